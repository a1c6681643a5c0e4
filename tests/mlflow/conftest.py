"""Fixtures: a real `modelry server` on a free port, and the mlflow client aimed at it."""
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ADMIN = "mdl_mlflow_suite_admin_token_0123456789"
BIN = os.environ.get("MODELRY_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "bin", "modelry"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    data = tempfile.mkdtemp(prefix="modelry-mlflow-")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, MODELRY_ADMIN_TOKEN=ADMIN)
    log = open(os.path.join(data, "server.log"), "w")
    proc = subprocess.Popen([BIN, "server", "--addr", f"127.0.0.1:{port}", "--data", data],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            if urllib.request.urlopen(url + "/health").read() == b"OK":
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("modelry server did not start; see " + log.name)
    os.environ["MLFLOW_TRACKING_URI"] = url
    os.environ["MLFLOW_TRACKING_TOKEN"] = ADMIN
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    yield {"url": url, "data": data}
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def client(server):
    from mlflow import MlflowClient
    return MlflowClient(server["url"])


def cli(server, *args):
    """Runs the Modelry CLI against the server and returns its JSON output."""
    env = dict(os.environ, MODELRY_URL=server["url"], MODELRY_TOKEN=ADMIN)
    out = subprocess.run([BIN, *args, "-o", "json"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else None
