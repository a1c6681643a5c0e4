"""Verified downloads into the cache, and copying files out of it; see
:mod:`modelry.transfer`."""

from __future__ import annotations

import functools
import hashlib
import os
import queue
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ._files import DEFAULT_PARALLELISM, PathLike, Progress, _run_parallel
from ._http import HTTPClient
from .cache import Cache
from .errors import IntegrityError, ServerError
from .types import DownloadReport, FileEntry


#: Size of the buffers a download passes from the network to hashing and
#: writing: large, so that each thread takes the GIL rarely.
DOWNLOAD_BLOCK = 4 << 20

#: Size of the writes into the cache file: below 2 MiB, so that the page
#: cache holds the file in small folios (the kernel sizes a folio after the
#: write that creates it, up to 2 MiB). On virtual machines whose balloon
#: driver reports free memory to the host (virtio-balloon free page
#: reporting, e.g. Firecracker), free blocks of 2 MiB and more that sat idle
#: for about 2 s have been handed back, and touching them again costs a host
#: page fault per page: filling 500 MB of 2 MiB folios took 1.1-1.5 s on the
#: benchmark VM against 0.1-0.3 s in 512 KiB writes, which take the smaller
#: free blocks first (docs/benchmarks.md, "Python SDK"). Elsewhere the size
#: makes no measurable difference.
WRITE_PIECE = 512 << 10


def download(
    client: Optional[HTTPClient],
    files: Iterable[FileEntry],
    cache: Cache,
    *,
    parallelism: int = DEFAULT_PARALLELISM,
    progress: Optional[bool] = None,
) -> Tuple[Dict[str, Path], DownloadReport]:
    """Makes every regular file of ``files`` present and verified in the cache.

    Files whose blob is cached are verified (re-hashed) instead of fetched; a
    corrupted entry is deleted and fetched again. With ``client=None`` only
    the cache is used and a missing file raises :class:`ServerError`.
    Returns {file path: blob path in the cache} and a report.
    """
    t0 = time.monotonic()
    rep = DownloadReport()
    out: Dict[str, Path] = {}
    todo: Dict[str, FileEntry] = {}
    regular = [f for f in files if not f.is_link]
    for f in regular:
        _check_path(f)
        rep.files += 1
        rep.bytes += f.size
    checking = Progress("checking cache", sum(f.size for f in regular if cache.blob_path(f.digest).exists()), progress)
    try:
        for f in regular:
            p, repaired = cache.lookup(f, checking)
            rep.cache_repaired += int(repaired)
            if p is not None:
                out[f.path] = p
                rep.cache_hits += 1
            else:
                todo.setdefault(f.digest, f)
    finally:
        checking.close()
    if todo and client is None:
        raise ServerError(f"{len(todo)} file(s) are not in the cache at {cache.root} and the server cannot be reached", code="CONNECTION_FAILED")
    bar = Progress("downloading", sum(f.size for f in todo.values()), progress)
    try:
        _run_parallel([functools.partial(_get_blob, client, cache, f, bar) for f in todo.values()], parallelism)  # type: ignore[arg-type]
    finally:
        bar.close()
    rep.downloaded_bytes = sum(f.size for f in todo.values())
    for f in regular:
        out[f.path] = cache.blob_path(f.digest)
    rep.seconds = time.monotonic() - t0
    return out, rep


def _check_path(f: FileEntry) -> None:
    import posixpath

    p = f.path
    if not p or p.startswith("/") or "\\" in p or posixpath.normpath(p) != p or p == ".." or p.startswith("../"):
        raise IntegrityError(f"the server sent an unsafe file path {p!r}; refusing to write it", code="UNSAFE_PATH")


def _get_blob(client: HTTPClient, cache: Cache, f: FileEntry, progress: Callable[[int], None]) -> None:
    """Fetches one blob into the cache, hashing while writing, then renames it in."""
    resp = client.request("GET", f"/api/v1/blobs/{f.digest}", stream=True)
    fd, tmp = cache.new_tmp_file()
    ok = False
    try:
        if f.size > 0 and hasattr(os, "posix_fallocate"):
            try:  # one extent up front, as the Go client does: writes then only fill it
                os.posix_fallocate(fd, 0, f.size)
            except OSError:
                pass
        with os.fdopen(fd, "wb", buffering=0) as out:
            n, digest = _ingest(resp, out, progress)
        if n != f.size or digest != f.digest:
            raise IntegrityError(
                f"file {f.path!r}: received {n} bytes hashing to {digest}; the version lists {f.size} bytes with {f.digest}",
                code="DIGEST_MISMATCH",
            )
        cache.adopt(tmp, f.digest)
        ok = True
    finally:
        if not ok:
            resp.close()  # a half-read body must not go back to the pool
        resp.release_conn()
        if not ok:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass


def _ingest(resp: Any, out: Any, progress: Callable[[int], None]) -> Tuple[int, str]:
    """Copies a response body to ``out`` while hashing it. The network read
    and the write run here, hashing on a second thread, so that they
    overlap (each releases the GIL on large buffers)."""
    raw = getattr(resp, "_fp", None)  # http.client response: readinto without urllib3's copies
    readinto = raw.readinto if raw is not None and hasattr(raw, "readinto") else None
    h = hashlib.sha256()
    free: "queue.Queue[bytearray]" = queue.Queue()
    for _ in range(4):
        free.put(bytearray(DOWNLOAD_BLOCK))
    full: "queue.Queue[Optional[Tuple[bytearray, int]]]" = queue.Queue()
    failure: List[BaseException] = []

    def hasher() -> None:
        while True:
            item = full.get()
            if item is None:
                return
            buf, n = item
            try:
                if not failure:
                    h.update(memoryview(buf)[:n])
                    progress(n)
            except BaseException as e:  # reported by the reader
                failure.append(e)
            free.put(buf)

    t = threading.Thread(target=hasher, daemon=True)
    t.start()
    total = 0
    try:
        while not failure:
            buf = free.get()
            try:
                n = _fill(readinto, resp, buf)
            except Exception as e:
                where = resp.geturl() if hasattr(resp, "geturl") else "a blob"
                raise ServerError(f"download of {where} broke off: {e}", code="CONNECTION_FAILED") from e
            if n == 0:
                free.put(buf)
                break
            _write_all(out, memoryview(buf)[:n])
            total += n
            full.put((buf, n))
    finally:
        full.put(None)
        t.join()
    if failure:
        raise failure[0]
    return total, "sha256:" + h.hexdigest()


def _write_all(out: Any, mv: memoryview) -> None:
    """Writes mv to the raw file ``out`` in :data:`WRITE_PIECE` pieces."""
    i = 0
    while i < len(mv):
        i += out.write(mv[i:i + WRITE_PIECE])


def _fill(readinto: Any, resp: Any, buf: bytearray) -> int:
    """Reads up to len(buf) bytes into buf; 0 at the end of the body."""
    view = memoryview(buf)
    n = 0
    while n < len(buf):
        if readinto is not None:
            k = readinto(view[n:])
        else:
            chunk = resp.read(len(buf) - n)
            k = len(chunk)
            view[n:n + k] = chunk
        if not k:
            break
        n += k
    return n


def materialize(
    files: Iterable[FileEntry],
    blobs: Dict[str, Path],
    dest: PathLike,
    *,
    link: bool = False,
) -> Path:
    """Writes a version's files under ``dest`` from their cached blobs: copies
    by default (``link=True`` makes hard links, which share bytes with the
    cache: do not edit them) with each file's mode, and recreates symbolic
    links. Files in ``dest`` that the version does not list are left alone."""
    root = Path(dest)
    root.mkdir(parents=True, exist_ok=True)
    for f in files:
        _check_path(f)
        dst = root.joinpath(*f.path.split("/"))
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.is_symlink() or dst.exists():
            if dst.is_dir() and not dst.is_symlink():
                shutil.rmtree(dst)
            else:
                dst.unlink()
        if f.is_link:
            os.symlink(f.target, dst)
            continue
        if link:
            try:
                os.link(blobs[f.path], dst)
                continue
            except OSError:
                pass
        shutil.copyfile(blobs[f.path], dst)
        os.chmod(dst, f.mode)
    return root
