"""Moving files between this machine and a server, usable without the
registry: :func:`upload` sends a set of files with the server's missing-blob
negotiation and returns the manifest to create a version from;
:func:`download` fetches a version's files into the local :class:`Cache`,
verifying every byte, and :func:`materialize` copies them out.

Like the Go client (client/push.go, client/pull.go): files are hashed
several at once, ``POST /api/v1/blobs/missing`` says which blobs the server
lacks, only those are sent (``PUT /api/v1/blobs/{digest}`` with
Content-Length, ``parallelism`` at a time, once more after a network
failure), and downloads are hashed while they are written and refused when
their bytes do not match.
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import stat
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from ._http import BLOCK_SIZE, HTTPClient
from .cache import Cache, hash_file
from .errors import IntegrityError, InvalidArgument, ServerError
from .types import DownloadReport, FileEntry, UploadReport

PathLike = Union[str, "os.PathLike[str]"]

#: Blobs uploaded or downloaded at once, as in the Go client.
DEFAULT_PARALLELISM = 4


@dataclass
class LocalFile:
    """A file (or symbolic link) to upload: its path in the manifest, where it
    is on disk, and once hashed its size and digest."""

    path: str
    abs: str
    mode: int = 0o644
    target: str = ""
    size: int = 0
    digest: str = ""
    #: a producer of the bytes (``size``, ``chunks()``, ``write(path, tap)``)
    #: for a file not on disk yet: the upload writes it to ``abs`` as it goes
    source: Any = None

    def entry(self) -> FileEntry:
        return FileEntry(self.path, self.size, self.digest, self.mode, self.target)


# --- progress ------------------------------------------------------------


class Progress:
    """A thread-safe byte counter shown as a tqdm bar when enabled.

    ``enabled=None`` shows the bar when stderr is a terminal.
    """

    def __init__(self, desc: str, total: int, enabled: Optional[bool] = None) -> None:
        if enabled is None:
            enabled = sys.stderr.isatty()
        self._bar = None
        self._lock = threading.Lock()
        if enabled and total > 0:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # tqdm is a dependency, but stay usable without it
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, leave=False)

    def __call__(self, n: int) -> None:
        if self._bar is not None:
            with self._lock:
                self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# --- collecting and hashing ----------------------------------------------


def collect_files(paths: Union[PathLike, Sequence[PathLike]]) -> List[LocalFile]:
    """Lists the files to upload, with the Go client's naming rules: one file
    is stored under its base name; one folder contributes its contents; with
    several inputs each file keeps its base name and each folder's contents
    go under the folder's name. Links inside a folder are kept as links;
    links that leave it are refused."""
    inputs = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not inputs:
        raise InvalidArgument("nothing to upload: give at least one file or folder", code="INVALID_ARGUMENT")
    files: List[LocalFile] = []
    for p in inputs:
        ap = os.path.abspath(p)
        st = os.stat(ap)
        if stat.S_ISREG(st.st_mode):
            files.append(LocalFile(os.path.basename(ap), ap, _mode(st.st_mode)))
        elif stat.S_ISDIR(st.st_mode):
            files.extend(_walk(ap, os.path.basename(ap) if len(inputs) > 1 else ""))
        else:
            raise InvalidArgument(f"{p} is not a regular file or a folder", code="INVALID_ARGUMENT")
    files.sort(key=lambda f: f.path)
    for a, b in zip(files, files[1:]):
        if a.path == b.path:
            raise InvalidArgument(f"{a.abs} and {b.abs} would both be stored as {a.path!r}", code="INVALID_ARGUMENT")
    if not files:
        raise InvalidArgument("nothing to upload: the inputs hold no files", code="INVALID_ARGUMENT")
    return files


def _walk(root: str, prefix: str) -> List[LocalFile]:
    out: List[LocalFile] = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            mpath = f"{prefix}/{rel}" if prefix else rel
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                out.append(LocalFile(mpath, full, 0o777, _link_target(root, full, rel)))
                if name in dirnames:
                    dirnames.remove(name)  # os.walk does not follow it anyway
            elif stat.S_ISREG(st.st_mode):
                out.append(LocalFile(mpath, full, _mode(st.st_mode)))
            elif not stat.S_ISDIR(st.st_mode):
                raise InvalidArgument(f"{full} is not a regular file, folder or link; Modelry stores only those", code="INVALID_ARGUMENT")
    return out


def _link_target(root: str, full: str, rel: str) -> str:
    import posixpath

    target = os.readlink(full)
    if os.path.isabs(target):
        target = os.path.relpath(target, os.path.dirname(full))
    target = target.replace(os.sep, "/")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    if resolved in (".", "..") or resolved.startswith("../"):
        raise InvalidArgument(f"link {full} points at {target}, outside {root}; only links inside the tree can be stored", code="INVALID_ARGUMENT")
    return target


def _mode(m: int) -> int:
    return 0o755 if m & 0o111 else 0o644


def hash_files(files: Sequence[LocalFile], progress: Optional[Callable[[int], None]] = None, workers: Optional[int] = None) -> None:
    """Fills in the size and digest of every regular file, several at once."""
    todo = [f for f in files if not f.target]
    workers = workers or max(1, min(os.cpu_count() or 1, 8))

    def one(f: LocalFile) -> None:
        if f.source is not None:  # write it out, hashing on the way
            h = hashlib.sha256()

            def tap(c: memoryview) -> None:
                h.update(c)
                if progress is not None:
                    progress(len(c))

            f.source.write(f.abs, tap)
            f.size, f.digest = f.source.size, "sha256:" + h.hexdigest()
            return
        f.size, f.digest = hash_file(f.abs, progress)

    if len(todo) <= 1 or workers == 1:
        for f in todo:
            one(f)
        return
    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(one, todo))


# --- upload --------------------------------------------------------------


#: Size from which a new file is uploaded while it is hashed rather than
#: hashed first (as the Go client's streamThreshold).
STREAM_THRESHOLD = 8 << 20


def upload(
    client: HTTPClient,
    paths: Union[PathLike, Sequence[PathLike], Sequence[LocalFile]],
    *,
    parallelism: int = DEFAULT_PARALLELISM,
    progress: Optional[bool] = None,
) -> Tuple[List[FileEntry], UploadReport]:
    """Uploads the blobs of a set of files that the server lacks.

    ``paths`` are files and folders (named as :func:`collect_files` says)
    or already collected :class:`LocalFile` objects (hashed or not). Returns
    the manifest (to pass to ``POST /api/v1/models/{model}/versions``) and a
    report whose ``uploaded_bytes`` is 0 when the server had everything.

    Large files (``STREAM_THRESHOLD`` and up) whose size no stored blob has
    cannot be on the server yet: they are sent to ``POST /api/v1/blobs``
    while a second thread hashes them, and the digest the server computed
    must equal the local one. The others are hashed first, and only those
    the server lacks are sent.
    """
    t0 = time.monotonic()
    seq = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files: List[LocalFile] = seq if seq and all(isinstance(f, LocalFile) for f in seq) else collect_files(seq)  # type: ignore[assignment,arg-type]
    rep = UploadReport()
    unhashed = [f for f in files if not f.target and not f.digest]
    for f in unhashed:
        f.size = f.source.size if f.source is not None else os.path.getsize(f.abs)
    streamed = _stream_new_files(client, unhashed, rep, parallelism, progress)
    rest = [f for f in unhashed if f.abs not in streamed]
    if rest:
        bar = Progress("hashing", sum(f.size for f in rest), progress)
        try:
            hash_files(rest, bar)
        finally:
            bar.close()
    for f in files:
        if f.target:
            rep.links += 1
        else:
            rep.files += 1
            rep.bytes += f.size
    _upload_missing(client, [f for f in files if f.abs not in streamed], rep, parallelism, progress)
    rep.seconds = time.monotonic() - t0
    return [f.entry() for f in files], rep


def _stream_new_files(client: HTTPClient, files: List[LocalFile], rep: UploadReport, parallelism: int, progress: Optional[bool]) -> set:
    """Streams the large files no stored blob has the size of; returns their paths on disk."""
    candidates = [f for f in files if f.size >= STREAM_THRESHOLD]
    if not candidates:
        return set()
    answer = client.call("POST", "/api/v1/blobs/missing", json_body={"digests": [], "sizes": [f.size for f in candidates]})
    fresh = set(answer.get("new_sizes") or [])
    todo = []
    for f in candidates:  # only the first file of each new size: identical files are sent once
        if f.size in fresh:
            fresh.discard(f.size)
            todo.append(f)
    if not todo:
        return set()
    bar = Progress("uploading", sum(f.size for f in todo), progress)
    try:
        _run_parallel([lambda f=f: _stream(client, f, bar) for f in todo], parallelism)
    finally:
        bar.close()
    rep.uploaded_bytes += sum(f.size for f in todo)
    rep.blobs_uploaded += len(todo)
    return {f.abs for f in todo}


def _stream(client: HTTPClient, f: LocalFile, progress: Callable[[int], None]) -> None:
    """POSTs one file while another thread hashes it, then compares digests."""
    if f.source is not None:
        return _stream_source(client, f, progress)
    with ThreadPoolExecutor(1) as ex:
        hashing = ex.submit(hash_file, f.abs)
        counted = [0]

        def count(n: int) -> None:
            counted[0] += n
            progress(n)

        with open(f.abs, "rb") as fh:
            try:
                blob = client.send_file("POST", "/api/v1/blobs", fh, f.size, count)
            except ServerError:
                progress(-counted[0])
                raise
        size, digest = hashing.result()
    if size != f.size or blob.get("digest") != digest:
        raise IntegrityError(
            f"{f.abs} changed while it was being uploaded (the server received {blob.get('digest')}, the file now hashes to {digest}); save again",
            code="DIGEST_MISMATCH",
        )
    f.digest = digest


def _upload_missing(client: HTTPClient, files: List[LocalFile], rep: UploadReport, parallelism: int, progress: Optional[bool]) -> None:
    by_digest: Dict[str, LocalFile] = {}
    for f in files:
        if not f.target:
            by_digest.setdefault(f.digest, f)
    if not by_digest:
        return
    answer = client.call("POST", "/api/v1/blobs/missing", json_body={"digests": list(by_digest)})
    missing = answer.get("missing") or []
    for d in missing:
        if d not in by_digest:
            raise ServerError(f"the server asked for blob {d}, which this upload does not contain", code="BAD_RESPONSE")
    rep.blobs_uploaded += len(missing)
    rep.blobs_skipped += len(by_digest) - len(missing)
    total = sum(by_digest[d].size for d in missing)
    bar = Progress("uploading", total, progress)
    try:
        _run_parallel([lambda f=by_digest[d]: _put_with_retry(client, f, bar) for d in missing], parallelism)
    finally:
        bar.close()
    rep.uploaded_bytes += total


def _put_with_retry(client: HTTPClient, f: LocalFile, progress: Callable[[int], None]) -> None:
    """PUTs one blob, once more if the network failed."""
    try:
        _put(client, f, progress)
    except ServerError as e:
        if e.code != "CONNECTION_FAILED":
            raise
        _put(client, f, progress)


def _put(client: HTTPClient, f: LocalFile, progress: Callable[[int], None]) -> None:
    counted = [0]

    def count(n: int) -> None:
        counted[0] += n
        progress(n)

    with open(f.abs, "rb") as fh:
        if os.fstat(fh.fileno()).st_size != f.size:
            raise IntegrityError(f"{f.abs} changed while it was being uploaded (it was {f.size} bytes when hashed); save again", code="DIGEST_MISMATCH")
        try:
            client.send_file("PUT", f"/api/v1/blobs/{f.digest}", fh, f.size, count)
        except IntegrityError as e:
            raise IntegrityError(f"{f.abs} changed while it was being uploaded; save again ({e.message})", code=e.code, status=e.status) from e
        except ServerError:
            progress(-counted[0])  # a retry reports these bytes again
            raise


def _run_parallel(tasks: List[Callable[[], Any]], parallelism: int) -> None:
    if not tasks:
        return
    if len(tasks) == 1 or parallelism <= 1:
        for t in tasks:
            t()
        return
    with ThreadPoolExecutor(max(1, parallelism)) as ex:
        futures = [ex.submit(t) for t in tasks]
        for fut in futures:
            fut.result()


def _stream_source(client: HTTPClient, f: LocalFile, progress: Callable[[int], None]) -> None:
    """POSTs a produced file from its chunks while a second thread hashes
    them and writes them to ``f.abs``: one pass over the bytes, no copies."""
    chunks: "queue.Queue[Optional[memoryview]]" = queue.Queue()
    h = hashlib.sha256()
    failure: List[BaseException] = []

    def sink() -> None:
        with open(f.abs, "wb", buffering=0) as out:
            while True:
                c = chunks.get()
                if c is None:
                    return
                if not failure:
                    try:
                        h.update(c)
                        out.write(c)
                    except BaseException as e:  # reported after the upload
                        failure.append(e)

    def body() -> Iterable[memoryview]:
        for c in f.source.chunks():
            chunks.put(c)
            progress(len(c))
            yield c

    t = threading.Thread(target=sink, daemon=True)
    t.start()
    try:
        blob = client.call("POST", "/api/v1/blobs", body=body(),  # type: ignore[arg-type]
                           headers={"Content-Length": str(f.size), "Content-Type": "application/octet-stream"})
    finally:
        chunks.put(None)
        t.join()
    if failure:
        raise failure[0]
    digest = "sha256:" + h.hexdigest()
    if blob.get("digest") != digest:
        raise IntegrityError(f"{f.path}: the server stored {blob.get('digest')}, but the bytes sent hash to {digest}", code="DIGEST_MISMATCH")
    f.digest = digest


# --- download ------------------------------------------------------------


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
    checking = Progress("checking cache", sum(f.size for f in regular), progress)
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
        _run_parallel([lambda f=f: _get_blob(client, cache, f, bar) for f in todo.values()], parallelism)  # type: ignore[arg-type]
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
        resp.release_conn()
        if not ok:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass


def _ingest(resp: Any, out: Any, progress: Callable[[int], None]) -> Tuple[int, str]:
    """Copies a response body to ``out`` while hashing it. The network read
    runs here; hashing and writing run on a second thread, so that the three
    overlap (each releases the GIL on large buffers)."""
    raw = getattr(resp, "_fp", None)  # http.client response: readinto without urllib3's copies
    readinto = raw.readinto if raw is not None and hasattr(raw, "readinto") else None
    h = hashlib.sha256()
    free: "queue.Queue[bytearray]" = queue.Queue()
    for _ in range(4):
        free.put(bytearray(BLOCK_SIZE))
    full: "queue.Queue[Optional[Tuple[bytearray, int]]]" = queue.Queue()
    failure: List[BaseException] = []

    def sink() -> None:
        while True:
            item = full.get()
            if item is None:
                return
            buf, n = item
            try:
                if not failure:
                    mv = memoryview(buf)[:n]
                    h.update(mv)
                    out.write(mv)
                    progress(n)
            except BaseException as e:  # reported by the reader
                failure.append(e)
            free.put(buf)

    t = threading.Thread(target=sink, daemon=True)
    t.start()
    total = 0
    try:
        while not failure:
            buf = free.get()
            n = _fill(readinto, resp, buf)
            if n == 0:
                free.put(buf)
                break
            total += n
            full.put((buf, n))
    except Exception as e:
        raise ServerError(f"download of {resp.geturl() if hasattr(resp, 'geturl') else 'a blob'} broke off: {e}", code="CONNECTION_FAILED") from e
    finally:
        full.put(None)
        t.join()
    if failure:
        raise failure[0]
    return total, "sha256:" + h.hexdigest()


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
