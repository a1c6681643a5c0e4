"""Fixtures: a real `modelry server` on a free port with a temporary data
folder, and registries with their own cache folders.

The binary is $MODELRY_BIN, else ../bin/modelry (built with `go build` if it
is missing)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Iterator, Optional

import pytest

import modelry

ADMIN_TOKEN = "test-admin-token-0123456789"
REPO = Path(__file__).resolve().parents[2]


def _binary() -> str:
    b = os.environ.get("MODELRY_BIN")
    if b:
        return b
    b = str(REPO / "bin" / "modelry")
    if not os.path.exists(b):
        subprocess.run(["go", "build", "-o", b, "./cmd/modelry"], cwd=REPO, check=True)
    return b


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `modelry server` child process."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Optional[subprocess.Popen] = None
        self.log = data.parent / f"server-{self.port}.log"

    def start(self) -> "Server":
        env = dict(os.environ, MODELRY_ADMIN_TOKEN=ADMIN_TOKEN)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [_binary(), "server", "--addr", f"127.0.0.1:{self.port}", "--data", str(self.data)],
                env=env, stdout=log, stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def metric(self, name: str, **labels: str) -> float:
        """The value of one Prometheus sample (0 when absent)."""
        with urllib.request.urlopen(self.url + "/metrics", timeout=5) as r:
            text = r.read().decode()
        want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in text.splitlines():
            m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
            if not m or m.group(1) != name:
                continue
            got = ",".join(sorted(p for p in re.findall(r'\w+="[^"]*"', m.group(2) or "")))
            if got == want:
                return float(m.group(3))
        return 0.0

    def settle(self, read, want: float, timeout: float = 3.0) -> float:
        """read() once it equals want, or its last value after timeout: the
        server counts a request just after the client has its answer."""
        deadline = time.monotonic() + timeout
        while True:
            got = read()
            if got == want or time.monotonic() > deadline:
                return got
            time.sleep(0.02)

    def put_bytes(self) -> float:
        """Blob bytes the server has received, on both upload routes."""
        return sum(
            self.metric("modelry_http_request_bytes_total", route=r)
            for r in ("PUT /api/v1/blobs/{digest}", "POST /api/v1/blobs")
        )

    def get_bytes(self) -> float:
        """Blob bytes the server has sent."""
        return self.metric("modelry_http_response_bytes_total", route="GET /api/v1/blobs/{digest}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server shared by the tests that do not stop it."""
    s = Server(tmp_path_factory.mktemp("data")).start()
    yield s
    s.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    """A server for one test, which may stop it."""
    s = Server(tmp_path / "data").start()
    yield s
    s.stop()


@pytest.fixture
def reg(server: Server, tmp_path: Path) -> modelry.Registry:
    """An admin registry on the shared server with an empty cache."""
    return modelry.Registry(server.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "cache", progress=False)


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A model name unique to the test."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", request.node.name)[:200]


def token(reg: modelry.Registry, role: str) -> str:
    """Creates a token with a role and returns its secret."""
    got = reg.create_token(f"t-{role}-{time.time_ns()}", role)
    return got["token"]


__all__ = ["ADMIN_TOKEN", "Server", "free_port", "token", "json", "shutil"]
