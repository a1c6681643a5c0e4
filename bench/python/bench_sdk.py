#!/usr/bin/env python3
"""`make bench-sdk`: save and load of a dict of numpy arrays through the
Python SDK against `modelry push` and `modelry pull` of the same files, in
the same run, on the same machine (docs/benchmarks.md, "Python SDK").

Every measurement gets a fresh `modelry server` (own data folder, free
127.0.0.1 port) and, for the SDK, an empty cache, so every byte moves. The
files and the server's blobs stay in the page cache (hot), as in the
transfer benchmark of bench/; `sync` runs before every timed step, so that
the previous step's dirty pages are not written back during it. The server
stores blobs with O_DIRECT, so before every download (CLI pull, SDK load,
SDK load_files) the benchmark reads the server's blob files once: the
downloads are "hot", and measure the clients rather than the disk. Throughput is the weights' size over the wall
time, in GB/s (10^9 bytes per second).

Rows:
  CLI push            modelry push of the folder the SDK's writer made (model.safetensors + modelry.json)
  SDK save            Registry.save(name, weights): serialise to safetensors, hash, upload, create
  SDK save_files      Registry.save_files(name, folder): the transfer part alone, same files as the CLI
  CLI pull            modelry pull into a new folder (verifies, fsyncs)
  SDK load            Registry.load(name) with an empty cache: download, verify, map the arrays
                      (copy-on-write mmap of the cached file: no copy until written)
  SDK load_files      Registry.load_files(name): the transfer part alone (download + verify into the cache)
  SDK load, cached    Registry.load(name) again from a new Registry on the same cache, as a new
                      process would: every file re-hashed (verified), then mapped
  CLI pull + arrays   CLI pull, plus mapping the pulled file and touching every page of its arrays
                      (modelry.safetensors_io.read, one byte read per 4 KiB): what a CLI user pays
                      to hold the arrays, as the SDK's load returns them
  SDK load + touch    SDK load, plus touching every page of the arrays it returned (the like-for-like
                      row against "CLI pull + arrays": the mapped arrays cannot hide unread bytes)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np

import modelry
from modelry import metadata, safetensors_io

TOKEN = "bench-admin-token-0123456789"
TARGET = 0.8


def parse_size(s: str) -> int:
    units = {"kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30, "b": 1}
    s = s.strip().lower()
    for u in sorted(units, key=len, reverse=True):
        if s.endswith(u):
            return int(float(s[: -len(u)]) * units[u])
    return int(s)


def load1() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


class Server:
    def __init__(self, binary: str, root: Path) -> None:
        self.data = Path(tempfile.mkdtemp(prefix="srv-", dir=root))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, MODELRY_ADMIN_TOKEN=TOKEN)
        self.log = open(self.data.parent / f"server-{self.port}.log", "wb")
        self.proc = subprocess.Popen([binary, "server", "--addr", f"127.0.0.1:{self.port}", "--data", str(self.data)],
                                     env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("server did not start")
                time.sleep(0.05)

    def received(self) -> float:
        with urllib.request.urlopen(self.url + "/metrics") as r:
            text = r.read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith("modelry_http_request_bytes_total{") and ("/api/v1/blobs/{digest}" in line or '"POST /api/v1/blobs"' in line):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def warm(self) -> None:
        """Reads every stored blob, so that downloads find it in the page cache."""
        for p in (self.data / "blobs").rglob("*"):
            if p.is_file():
                with open(p, "rb") as f:
                    while f.read(8 << 20):
                        pass

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def timed(fn: Callable[[], object]) -> float:
    os.sync()  # no dirty pages of the previous step write back during this one
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def cli(binary: str, url: str, *args: str) -> None:
    env = dict(os.environ, MODELRY_URL=url, MODELRY_TOKEN=TOKEN)
    subprocess.run([binary, *args], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def touch(arrays: Dict[str, np.ndarray]) -> int:
    """Reads one byte of every 4 KiB page of the arrays, so that every page
    is resident and mapped."""
    return sum(int(a.reshape(-1).view(np.uint8)[::4096].sum()) for a in arrays.values())


def make_weights(size: int, arrays: int) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(42)
    per = size // arrays // 4
    return {f"layer{i:02d}.weight": rng.random(per, dtype=np.float32) for i in range(arrays)}


def one_run(binary: str, root: Path, weights: Dict[str, np.ndarray], folder: Path, size: int, times: Dict[str, List[float]]) -> None:
    def reg_for(url: str) -> modelry.Registry:
        return modelry.Registry(url, token=TOKEN, cache_dir=tempfile.mkdtemp(prefix="cache-", dir=root), progress=False)

    s = Server(binary, root)
    try:
        times["CLI push"].append(timed(lambda: cli(binary, s.url, "push", "bench", str(folder))))
        assert s.received() >= size, "the CLI push did not send every byte"
        dest = Path(tempfile.mkdtemp(prefix="pull-", dir=root))
        s.warm()
        times["CLI pull"].append(timed(lambda: cli(binary, s.url, "pull", "bench", "--dest", str(dest))))
        assert (dest / "model.safetensors").stat().st_size == (folder / "model.safetensors").stat().st_size
        pulled = str(dest / "model.safetensors")
        times["CLI pull + arrays"].append(times["CLI pull"][-1] + timed(lambda: touch(safetensors_io.read(pulled))))
        shutil.rmtree(dest)
    finally:
        s.stop()

    s = Server(binary, root)
    try:
        reg = reg_for(s.url)
        times["SDK save"].append(timed(lambda: reg.save("bench", weights)))
        assert s.received() >= size, "the SDK save did not send every byte"
        shutil.rmtree(reg.cache.root)
        loader = reg_for(s.url)
        got: Dict[str, np.ndarray] = {}
        s.warm()
        times["SDK load"].append(timed(lambda: got.update(loader.load("bench"))))
        times["SDK load + touch"].append(times["SDK load"][-1] + timed(lambda: touch(got)))
        assert all(np.array_equal(got[k], weights[k]) for k in weights), "the SDK load returned other arrays"
        got.clear()
        again = modelry.Registry(s.url, token=TOKEN, cache_dir=loader.cache.root, progress=False)  # as a new process: re-verifies
        times["SDK load, cached"].append(timed(lambda: again.load("bench")))
        shutil.rmtree(loader.cache.root)
    finally:
        s.stop()

    s = Server(binary, root)
    try:
        reg = reg_for(s.url)
        times["SDK save_files"].append(timed(lambda: reg.save_files("bench", folder)))
        assert s.received() >= size
        shutil.rmtree(reg.cache.root)
        files_only = reg_for(s.url)
        s.warm()
        times["SDK load_files"].append(timed(lambda: files_only.load_files("bench")))
        shutil.rmtree(files_only.cache.root)
    finally:
        s.stop()


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modelry", default="bin/modelry", help="the modelry binary")
    ap.add_argument("--size", default="500MB", help="total size of the weights (e.g. 500MB, 64MiB)")
    ap.add_argument("--arrays", type=int, default=10, help="arrays in the dict")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default=None, help="where files and data folders go (default $TMPDIR)")
    ap.add_argument("--json", default=None, help="also write the results here")
    a = ap.parse_args(argv)
    size = parse_size(a.size)
    binary = os.path.abspath(a.modelry)
    root = Path(tempfile.mkdtemp(prefix="modelry-sdk-bench-", dir=a.workdir))
    start_load = load1()
    if start_load > 1:
        print(f"warning: load average {start_load} at the start; numbers will be noisy", file=sys.stderr)
    t_start = time.time()
    try:
        weights = make_weights(size, a.arrays)
        nbytes = sum(v.nbytes for v in weights.values())
        folder = root / "weights"
        folder.mkdir()
        metadata.write_model(weights, folder)
        times: Dict[str, List[float]] = {k: [] for k in
                                          ["CLI push", "SDK save", "SDK save_files", "CLI pull", "SDK load", "SDK load_files", "SDK load, cached",
                                           "CLI pull + arrays", "SDK load + touch"]}
        for r in range(a.runs):
            print(f"run {r + 1}/{a.runs}", file=sys.stderr)
            one_run(binary, root, weights, folder, nbytes, times)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    gbs = {k: nbytes / v / 1e9 for k, v in med.items()}
    ratios = {
        "SDK save": ("CLI push", True), "SDK save_files": ("CLI push", False),
        "SDK load": ("CLI pull", True), "SDK load_files": ("CLI pull", False), "SDK load, cached": ("CLI pull", False),
        "SDK load + touch": ("CLI pull + arrays", False),
    }
    print(f"\nPython SDK vs CLI: {nbytes / 1e6:.0f} MB in {a.arrays} float32 arrays, median of {a.runs} runs, "
          f"load average {start_load} at start, {load1()} at end, {time.time() - t_start:.0f} s\n")
    print("| Measurement | Median | Runs (s) | Ratio | Target | Result |")
    print("|---|---|---|---|---|---|")
    results = []
    for k in times:
        ratio = target = verdict = ""
        if k in ratios:
            peer, gated = ratios[k]
            rv = gbs[k] / gbs[peer]
            ratio = f"{rv:.2f}× {peer}"
            if gated:
                target, verdict = f"≥ {TARGET:.2f}×", "**PASS**" if rv >= TARGET else "**MISS**"
        runs = " ".join(f"{t:.3f}" for t in times[k])
        print(f"| {k} | {gbs[k]:.3f} GB/s ({med[k]:.3f} s) | {runs} | {ratio} | {target} | {verdict} |")
        results.append({"measurement": k, "seconds": times[k], "gb_per_s": gbs[k], "ratio": ratio, "result": verdict.strip("*")})
    if a.json:
        Path(a.json).write_text(json.dumps({"bytes": nbytes, "runs": a.runs, "load_start": start_load, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
