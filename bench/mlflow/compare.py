"""Modelry and the real `mlflow server` side by side, through the same client.

Measures, for each server: model versions created per second, get-version-by-
alias per second (raw HTTP, one keep-alive session, sequential), the latency of
search_model_versions over N versions, and log_model + register of a model of
SIZE bytes through the mlflow client (wall time), plus each server's peak RSS
(VmHWM summed over its process tree). Prints one table with Modelry/MLflow
ratios. Usage (make bench-mlflow):

    python compare.py --modelry bin/modelry --versions 2000 --size-mb 200
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests

ADMIN = "mdl_bench_admin_token_0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url, proc, what):
    for _ in range(600):
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode}")
        try:
            if requests.get(url + "/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    sys.exit(f"{what} did not start")


def start_modelry(binary, data):
    port = free_port()
    proc = subprocess.Popen([binary, "server", "--addr", f"127.0.0.1:{port}", "--data", data],
                            env=dict(os.environ, MODELRY_ADMIN_TOKEN=ADMIN),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_up(url, proc, "modelry server")
    return proc, url


def start_mlflow(data):
    port = free_port()
    mlflow_bin = os.path.join(os.path.dirname(sys.executable), "mlflow")
    proc = subprocess.Popen([mlflow_bin, "server", "--host", "127.0.0.1", "--port", str(port),
                             "--backend-store-uri", f"sqlite:///{data}/mlflow.db",
                             "--artifacts-destination", f"{data}/artifacts", "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_up(url, proc, "mlflow server")
    return proc, url


def tree_hwm_kib(pid):
    """Peak RSS (VmHWM) summed over pid and its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
            for t in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in open(f"/proc/{p}/task/{t}/children").read().split()]
        except OSError:
            pass
    return total


def rate(n, fn):
    t = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - t)


def bench_metadata(url, versions, lookups):
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + ADMIN
    api = url + "/api/2.0/mlflow"
    s.post(api + "/registered-models/create", json={"name": "bench"}).raise_for_status()

    def create(i):
        s.post(api + "/model-versions/create", json={"name": "bench", "source": f"s3://bucket/bench/{i}"}).raise_for_status()

    # The same session's rate on a route that does nothing: the ceiling this
    # client can reach against this server.
    out = {"ceiling GET /health/s": rate(lookups, lambda i: s.get(url + "/health").raise_for_status())}
    out["versions/s"] = rate(versions, create)
    s.post(api + "/registered-models/alias", json={"name": "bench", "alias": "champion", "version": "1"}).raise_for_status()
    out["get-by-alias/s"] = rate(lookups, lambda i: s.get(api + "/registered-models/alias",
                                                          params={"name": "bench", "alias": "champion"}).raise_for_status())
    times = []
    for _ in range(5):
        t = time.perf_counter()
        s.get(api + "/model-versions/search", params={"filter": "name = 'bench'", "max_results": 10000}).raise_for_status()
        times.append(time.perf_counter() - t)
    out[f"search {versions} versions (ms)"] = 1000 * sorted(times)[2]
    return out


def bench_log_model(url, size_mb, data):
    """log_model + register of a pyfunc model holding one SIZE MB file."""
    code = f"""
import os, time, numpy as np, mlflow
os.environ["MLFLOW_TRACKING_URI"] = {url!r}
os.environ["MLFLOW_TRACKING_TOKEN"] = {ADMIN!r}
class M(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input
blob = os.path.join({data!r}, "weights.bin")
with open(blob, "wb") as f:
    f.write(np.random.default_rng(0).bytes({size_mb} << 20))
t = time.perf_counter()
with mlflow.start_run():
    mlflow.pyfunc.log_model(name="model", python_model=M(), artifacts={{"w": blob}}, registered_model_name="big")
print(time.perf_counter() - t)
"""
    env = dict(os.environ, MLFLOW_TRACKING_URI=url, MLFLOW_TRACKING_TOKEN=ADMIN, MLFLOW_DISABLE_TELEMETRY="true")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(out.stderr)
    return float(out.stdout.strip().splitlines()[-1])


def run(name, start, args):
    data = tempfile.mkdtemp(prefix=f"bench-{name}-")
    proc, url = start(data)
    try:
        res = bench_metadata(url, args.versions, args.lookups)
        res[f"log_model {args.size_mb} MB (s)"] = bench_log_model(url, args.size_mb, data)
        res["peak RSS (MiB)"] = tree_hwm_kib(proc.pid) / 1024
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        shutil.rmtree(data, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--modelry", default="bin/modelry")
    ap.add_argument("--versions", type=int, default=2000)
    ap.add_argument("--lookups", type=int, default=2000)
    ap.add_argument("--size-mb", type=int, default=200)
    args = ap.parse_args()
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    m = run("modelry", lambda d: start_modelry(os.path.abspath(args.modelry), d), args)
    f = run("mlflow", start_mlflow, args)
    higher_is_better = {"versions/s", "get-by-alias/s", "ceiling GET /health/s"}
    print(f"{'metric':<32}{'modelry':>12}{'mlflow':>12}{'ratio':>10}")
    for k in m:
        ratio = m[k] / f[k] if k in higher_is_better else f[k] / m[k]
        print(f"{k:<32}{m[k]:>12.1f}{f[k]:>12.1f}{ratio:>9.1f}x")
    print("ratio: how many times better Modelry is (throughput up, time and memory down)")


if __name__ == "__main__":
    main()
