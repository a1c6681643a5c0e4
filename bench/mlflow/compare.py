"""Modelry and the real `mlflow server` side by side, through the same client.

Measures, for each server: model versions created per second and get-version-
by-alias per second (raw HTTP), both sequentially through one keep-alive
session and concurrently through CONCURRENCY worker processes, each with its
own keep-alive session (processes, not threads: one Python process tops out
near 1,500 requests/s, so one sequential client measures itself); the latency
of search_model_versions over N versions; log_model + register of a model of
SIZE bytes through the mlflow client (wall time); and each server's peak RSS
(VmHWM summed over its process tree). A "client ceiling" row, GET /health at
the same concurrency, shows the most this client can reach against each
server; a "refused create" row, create requests without a source that the
server answers with 400 at once, the most it can reach with creates. Prints one table with Modelry/MLflow ratios. Usage (make bench-mlflow):

    python compare.py --modelry bin/modelry --versions 2000 --size-mb 200 --concurrency 8

The N versions are created half sequentially and half concurrently, so the
search row always reads N versions. MLflow runs with its own default number of
workers (4 in 3.17.2).
"""
import argparse
import multiprocessing
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


def start_mlflow(data, workers=None):
    port = free_port()
    mlflow_bin = os.path.join(os.path.dirname(sys.executable), "mlflow")
    proc = subprocess.Popen([mlflow_bin, "server", "--host", "127.0.0.1", "--port", str(port),
                             "--backend-store-uri", f"sqlite:///{data}/mlflow.db",
                             "--artifacts-destination", f"{data}/artifacts"]
                            # MLflow's own default number of workers (4) unless --mlflow-workers
                            + (["--workers", str(workers)] if workers else []),
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


def session():
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + ADMIN
    return s


def request_fn(s, url, kind):
    """One request of kind; i makes create sources unique."""
    api = url + "/api/2.0/mlflow"
    if kind == "health":
        return lambda i: s.get(url + "/health")
    if kind == "create":
        return lambda i: s.post(api + "/model-versions/create",
                                json={"name": "bench", "source": f"s3://bucket/bench/{i}"})
    if kind == "refused":  # a create without a source: refused at once, so it costs the client alone
        return lambda i: _Refused(s.post(api + "/model-versions/create",
                                         json={"name": "bench", "src": f"s3://bucket/bench/{i}"}))
    if kind == "alias":
        return lambda i: s.get(api + "/registered-models/alias", params={"name": "bench", "alias": "champion"})
    raise ValueError(kind)


class _Refused:
    """The answer to a request meant to be refused: ok when it was (400)."""

    def __init__(self, r):
        self.ok = r.status_code == 400


def _worker(url, kind, first, n, barrier, q):
    s = session()
    s.get(url + "/health")  # open the keep-alive connection before the clock starts
    fn = request_fn(s, url, kind)
    barrier.wait()
    ok = err = 0
    t0 = time.monotonic()  # CLOCK_MONOTONIC: comparable across processes
    for i in range(first, first + n):
        try:
            if fn(i).ok:
                ok += 1
            else:
                err += 1
        except requests.RequestException:
            err += 1
    q.put((ok, err, t0, time.monotonic()))


def concurrent_rate(url, kind, total, concurrency, first=0):
    """total requests of kind split over concurrency processes; successful
    requests per second from the first worker's start to the last one's end."""
    ctx = multiprocessing.get_context("fork")
    barrier, q = ctx.Barrier(concurrency), ctx.Queue()
    per = [total // concurrency + (w < total % concurrency) for w in range(concurrency)]
    procs, start = [], first
    for n in per:
        procs.append(ctx.Process(target=_worker, args=(url, kind, start, n, barrier, q)))
        start += n
    for p in procs:
        p.start()
    res = [q.get(timeout=3600) for _ in procs]
    for p in procs:
        p.join()
    ok, err = sum(r[0] for r in res), sum(r[1] for r in res)
    if err:
        print(f"  {url} {kind}: {err} of {ok + err} concurrent requests failed", file=sys.stderr)
    return ok / (max(r[3] for r in res) - min(r[2] for r in res)), err


def tree_pids(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in open(f"/proc/{p}/task/{t}/children").read().split()]
        except OSError:
            pass
    return pids


def tree_cpu_ticks(pid):
    total = 0
    for p in tree_pids(pid):
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])  # utime + stime
        except (OSError, IndexError):
            pass
    return total


def settle(pid, limit=120):
    """Wait until the server's process tree is idle (its workers have all
    started: /health answering means one worker is up, not all of them)."""
    deadline, idle, last = time.monotonic() + limit, 0, tree_cpu_ticks(pid)
    while time.monotonic() < deadline and idle < 3:
        time.sleep(0.5)
        now = tree_cpu_ticks(pid)
        idle = idle + 1 if now - last <= 2 else 0
        last = now


def rate(n, fn):
    t = time.perf_counter()
    for i in range(n):
        fn(i).raise_for_status()
    return n / (time.perf_counter() - t)


def bench_metadata(url, versions, lookups, concurrency):
    s = session()
    api = url + "/api/2.0/mlflow"
    s.post(api + "/registered-models/create", json={"name": "bench"}).raise_for_status()
    c = f"x{concurrency}"
    out, errors = {}, 0
    # The rate on a route that does nothing: the ceiling this client can reach
    # against this server, sequentially and at the same concurrency.
    out["ceiling GET /health/s seq"] = rate(lookups, request_fn(s, url, "health"))
    out[f"ceiling GET /health/s {c}"], e = concurrent_rate(url, "health", lookups, concurrency)
    errors += e
    # The same for a create the server refuses before doing anything: what a
    # create request costs this client (its body is encoded, the answer parsed).
    out[f"ceiling refused create/s {c}"], e = concurrent_rate(url, "refused", lookups, concurrency)
    errors += e
    half = versions // 2
    out["versions/s seq"] = rate(half, request_fn(s, url, "create"))
    out[f"versions/s {c}"], e = concurrent_rate(url, "create", versions - half, concurrency, first=half)
    errors += e
    s.post(api + "/registered-models/alias", json={"name": "bench", "alias": "champion", "version": "1"}).raise_for_status()
    out["get-by-alias/s seq"] = rate(lookups, request_fn(s, url, "alias"))
    out[f"get-by-alias/s {c}"], e = concurrent_rate(url, "alias", lookups, concurrency)
    errors += e
    times = []
    for _ in range(5):
        t = time.perf_counter()
        r = s.get(api + "/model-versions/search", params={"filter": "name = 'bench'", "max_results": 10000})
        times.append(time.perf_counter() - t)
        r.raise_for_status()
    out[f"search {versions} versions (ms)"] = 1000 * sorted(times)[2]
    out["failed concurrent requests"] = errors
    out["versions found by search"] = len(r.json().get("model_versions", []))
    return out


def time_model_call(size_mb, data, call, env):
    """Run, in a fresh Python, CALL on a pyfunc model holding one SIZE MB
    file written into DATA, and return how long CALL took (s)."""
    code = f"""
import os, time, numpy as np, mlflow
class M(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input
blob = os.path.join({data!r}, "weights.bin")
with open(blob, "wb") as f:
    f.write(np.random.default_rng(0).bytes({size_mb} << 20))
t = time.perf_counter()
{call}
print(time.perf_counter() - t)
"""
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", **env)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=data)
    if out.returncode:
        sys.exit(out.stderr)
    return float(out.stdout.strip().splitlines()[-1])


def bench_log_model(url, size_mb, data):
    """log_model + register of a pyfunc model holding one SIZE MB file."""
    call = """with mlflow.start_run():
    mlflow.pyfunc.log_model(name="model", python_model=M(), artifacts={"w": blob}, registered_model_name="big")"""
    return time_model_call(size_mb, data, call, {"MLFLOW_TRACKING_URI": url, "MLFLOW_TRACKING_TOKEN": ADMIN})


def bench_save_model(size_mb):
    """mlflow.pyfunc.save_model of the same model to a local folder: the
    client-side work inside log_model, with no request at all."""
    data = tempfile.mkdtemp(prefix="bench-save-")
    try:
        call = 'mlflow.pyfunc.save_model(path="model", python_model=M(), artifacts={"w": blob})'
        return time_model_call(size_mb, data, call, {})
    finally:
        shutil.rmtree(data, ignore_errors=True)


def run(name, start, args):
    data = tempfile.mkdtemp(prefix=f"bench-{name}-")
    proc, url = start(data)
    try:
        settle(proc.pid)
        res = bench_metadata(url, args.versions, args.lookups, args.concurrency)
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
    ap.add_argument("--concurrency", type=int, default=8,
                    help="client worker processes for the concurrent rows (same for both servers)")
    ap.add_argument("--mlflow-workers", type=int, default=None,
                    help="mlflow server --workers (default: MLflow's own default, 4)")
    ap.add_argument("--ceiling-only", action="store_true",
                    help="only time save_model, the client's share of log_model")
    args = ap.parse_args()
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    if args.ceiling_only:
        print(f"save_model {args.size_mb} MB alone (s): {bench_save_model(args.size_mb):.2f}")
        return
    m = run("modelry", lambda d: start_modelry(os.path.abspath(args.modelry), d), args)
    f = run("mlflow", lambda d: start_mlflow(d, args.mlflow_workers), args)
    # The client's own share of log_model: mlflow.pyfunc.save_model of the
    # same model into a local folder, which log_model does before it sends
    # anything. No server can make log_model faster than this.
    ceiling = bench_save_model(args.size_mb)
    print(f"{'metric':<34}{'modelry':>12}{'mlflow':>12}{'ratio':>10}")
    for k in m:
        if k.startswith(("failed", "versions found")):
            print(f"{k:<34}{m[k]:>12}{f[k]:>12}")
            continue
        ratio = m[k] / f[k] if "/s " in k else f[k] / m[k]
        print(f"{k:<34}{m[k]:>12.1f}{f[k]:>12.1f}{ratio:>9.1f}x")
    print(f"{'save_model alone (ceiling) (s)':<34}{ceiling:>12.1f}{'':>12}{f[f'log_model {args.size_mb} MB (s)'] / ceiling:>9.1f}x  best ratio any server could show")
    print("ratio: how many times better Modelry is (throughput up, time and memory down)")


if __name__ == "__main__":
    main()
