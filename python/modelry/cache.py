"""The local cache: verified blobs keyed by digest, version manifests kept for
offline use, and version trees laid out from the blobs.

Layout under the root (``$MODELRY_CACHE``, else ``~/.cache/modelry``)::

    blobs/sha256/<hex>                   a file's bytes, read-only; the name is their SHA-256
    trees/<hex>/...                      a version's files as symbolic links into blobs/,
                                         <hex> being the version's manifest digest
    servers/<key>/versions/<model>/<n>.json   a version as the server answered it
    servers/<key>/refs/<model>/<ref>.json     which number a reference resolved to, and when
    tmp/                                 downloads and saves in flight (same filesystem,
                                         so that finished files are renamed into blobs/)
    lock                                 held shared by every load and save in progress,
                                         and exclusively by a prune

<key> is a short hash of the server URL. A blob is verified before every
first use in a process (and re-hashed whenever its inode, size or times
change): a corrupted or truncated entry is deleted and fetched again, so the
cache needs no fsync and survives any crash.

**Size limit.** The cache grows until pruned. With a limit
(``MODELRY_CACHE_MAX_BYTES``, e.g. ``20GB`` or ``500MiB``, or
``Registry(cache_max_bytes=...)``), every load and save ends by pruning the
cache back under it; :func:`prune` and :meth:`Cache.prune` do it on demand.
Pruning deletes the least recently used blobs first: the SDK stamps a
blob's access time whenever it uses it (so ``noatime`` mounts do not
matter), and a version folder (``trees/``) goes with its blobs. It never
deletes what a load or save in progress uses, in this process or another:
those hold the lock shared, and a prune waits for them (an automatic prune
skips its turn instead). The files of the version a call just loaded are
kept even over the limit, but a folder :meth:`Registry.load_files` returned
without ``dest`` may go in a later prune: pass ``dest`` for a lasting copy.
Arrays mapped from a deleted blob stay valid. A prune also deletes what
interrupted downloads and saves left in ``tmp/`` (after an hour).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, Dict, Iterator, Optional, Tuple, Union

from .errors import CacheBusy, InvalidArgument
from .types import FileEntry

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no cross-process protection
    fcntl = None  # type: ignore[assignment]

#: Read size for hashing: large buffers let hashlib release the GIL for long.
HASH_BLOCK = 4 << 20

#: Age after which a prune deletes a file left in ``tmp/`` (seconds).
TMP_MAX_AGE = 3600.0


def default_root() -> Path:
    """The cache root: ``$MODELRY_CACHE``, else ``$XDG_CACHE_HOME/modelry``, else ``~/.cache/modelry``."""
    env = os.environ.get("MODELRY_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "modelry"


def hash_file(path: Union[str, os.PathLike], progress: Any = None) -> Tuple[int, str]:
    """Returns the size and ``sha256:<hex>`` digest of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    buf = bytearray(HASH_BLOCK)
    view = memoryview(buf)
    size = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
            size += n
            if progress is not None:
                progress(n)
    return size, "sha256:" + h.hexdigest()


def digest_hex(digest: str) -> str:
    """Returns the hex part of a ``sha256:<hex>`` digest, refusing anything else."""
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest or ""):
        raise ValueError(f"{digest!r} is not a sha256:<64 hex> digest")
    return digest[7:]


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
          "t": 1000**4, "tb": 1000**4, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}


def parse_size(text: Union[str, int], what: str = "a size") -> int:
    """Bytes from ``"20GB"``, ``"500MiB"``, ``"1.5G"`` or a plain number of bytes."""
    if isinstance(text, int) and not isinstance(text, bool):
        n: float = text
    else:
        m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", str(text))
        unit = m.group(2).lower() if m else ""
        if not m or unit not in _UNITS:
            raise InvalidArgument(f"{what} is {text!r}; write bytes, or a number with KB, MB, GB, TB, KiB, MiB, GiB or TiB", code="INVALID_ARGUMENT")
        n = float(m.group(1)) * _UNITS[unit]
    if n < 0:
        raise InvalidArgument(f"{what} is {text!r}; it cannot be negative", code="INVALID_ARGUMENT")
    return int(n)


def default_max_bytes() -> Optional[int]:
    """The size limit from ``$MODELRY_CACHE_MAX_BYTES``, or None (no limit)."""
    env = os.environ.get("MODELRY_CACHE_MAX_BYTES", "").strip()
    return parse_size(env, "MODELRY_CACHE_MAX_BYTES") if env else None


@dataclass
class PruneReport:
    """What a prune did: blobs and version folders deleted, bytes freed, and
    the blob bytes left in the cache (over the limit only when what was
    left is in use); ``removed_tmp`` counts leftovers of interrupted
    downloads and saves deleted from ``tmp/``."""

    removed_blobs: int = 0
    removed_bytes: int = 0
    removed_trees: int = 0
    removed_tmp: int = 0
    remaining_bytes: int = 0


class Cache:
    """A local, content-addressed cache of blobs and version manifests.

    Args:
        root: the folder; :func:`default_root` when ``None``.
        max_bytes: the size limit that loads and saves prune the cache back
            under (see the module doc); ``$MODELRY_CACHE_MAX_BYTES`` when
            ``None``, and no limit when that is unset too.
    """

    def __init__(self, root: Union[str, os.PathLike, None] = None, max_bytes: Union[int, str, None] = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.max_bytes = parse_size(max_bytes, "max_bytes") if max_bytes is not None else default_max_bytes()
        self._verified: Dict[str, Tuple[int, int, int, int]] = {}
        self._lock = threading.Lock()

    def size(self) -> int:
        """Bytes the cached blobs take."""
        root = self.root / "blobs"
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0

    def clear(self) -> None:
        """Deletes everything in the cache (blobs, trees, manifests), even
        what loads in progress use (:meth:`prune` spares those). Arrays
        mapped from it stay valid."""
        import shutil

        for name in ("blobs", "trees", "servers", "tmp"):
            shutil.rmtree(self.root / name, ignore_errors=True)
        with self._lock:
            self._verified.clear()

    # --- blobs -----------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        """Where the blob with this digest lives (whether or not it is there)."""
        return self.root / "blobs" / "sha256" / digest_hex(digest)

    def tmp_dir(self) -> Path:
        """A folder for files in flight, on the cache's filesystem."""
        d = self.root / "tmp"
        d.mkdir(parents=True, exist_ok=True)
        return d

    def new_tmp_file(self) -> Tuple[int, str]:
        """Creates a temporary file in :meth:`tmp_dir`; returns (fd, path)."""
        return tempfile.mkstemp(prefix="dl-", dir=self.tmp_dir())

    def lookup(self, f: FileEntry, progress: Any = None) -> Tuple[Optional[Path], bool]:
        """Returns (path, repaired): the verified blob of ``f``, or None.

        A present blob whose size or hash is wrong is deleted and reported
        as repaired=True (the caller fetches it again).
        """
        p = self.blob_path(f.digest)
        try:
            st = p.stat()
        except FileNotFoundError:
            return None, False
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        with self._lock:
            known = self._verified.get(f.digest) == stamp
        if known:
            self._touch(f.digest, p, st)
            return p, False
        if st.st_size == f.size:
            _, digest = hash_file(p, progress)
            if digest == f.digest:
                self._touch(f.digest, p, st)
                return p, False
        self._discard(p)
        return None, True

    def adopt(self, path: Union[str, os.PathLike], digest: str) -> Path:
        """Moves a file whose digest is known into the blob store (the file
        must be on the cache's filesystem, e.g. in :meth:`tmp_dir`)."""
        dst = self.blob_path(digest)
        dst.parent.mkdir(parents=True, exist_ok=True)
        src = Path(path)
        os.chmod(src, 0o444)
        os.replace(src, dst)
        self._remember(digest, dst)
        return dst

    def _touch(self, digest: str, p: Path, st: os.stat_result) -> None:
        """Stamps the blob's access time (what pruning orders by) and
        remembers it as verified (the stamp changes its ctime)."""
        try:
            os.utime(p, ns=(time.time_ns(), st.st_mtime_ns))
        except OSError:  # someone else's cache: read-only to us
            pass
        self._remember(digest, p)

    def _remember(self, digest: str, p: Path) -> None:
        st = p.stat()
        with self._lock:
            self._verified[digest] = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def _discard(self, p: Path) -> None:
        try:
            p.unlink()
        except FileNotFoundError:
            pass

    # --- size limit ------------------------------------------------------

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Holds the cache's lock shared: no prune, in any process, deletes
        anything until the block ends. Loads and saves hold it."""
        with self._flock(fcntl.LOCK_SH if fcntl else 0, None):
            yield

    @contextmanager
    def _flock(self, mode: int, timeout: Optional[float]) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if timeout is None:
                fcntl.flock(fd, mode)
            else:
                deadline = time.monotonic() + timeout
                while True:
                    try:
                        fcntl.flock(fd, mode | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            raise CacheBusy(
                                f"loads or saves in progress use the cache at {self.root}; "
                                f"waited {timeout:g}s for them to finish, and deleted nothing", code="CACHE_BUSY",
                            ) from None
                        time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # releases the lock

    def prune(self, max_bytes: Union[int, str, None] = None, *, keep: Collection[str] = (), timeout: float = 60.0) -> PruneReport:
        """Deletes the least recently used blobs until the cached blobs take
        at most ``max_bytes`` (``self.max_bytes`` when ``None``), and the
        version folders that linked to them. ``keep`` lists digests
        (``sha256:...``) never to delete. Waits up to ``timeout`` seconds for
        loads and saves in progress to finish, then raises
        :class:`~modelry.errors.CacheBusy` having deleted nothing."""
        limit = parse_size(max_bytes, "max_bytes") if max_bytes is not None else self.max_bytes
        if limit is None:
            raise InvalidArgument("no size limit to prune to: pass max_bytes, or set MODELRY_CACHE_MAX_BYTES", code="INVALID_ARGUMENT")
        kept = {digest_hex(d) for d in keep}
        with self._flock(fcntl.LOCK_EX if fcntl else 0, timeout):
            return self._prune_locked(limit, kept)

    def _prune_locked(self, limit: int, kept: "set[str]") -> PruneReport:
        rep = PruneReport()
        blobs = []
        folder = self.root / "blobs" / "sha256"
        for p in folder.iterdir() if folder.is_dir() else ():
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            blobs.append((st.st_atime_ns, p.name, st.st_size, p))
        total = sum(b[2] for b in blobs)
        removed = set()
        for _, hexd, size, p in sorted(blobs):
            if total <= limit:
                break
            if hexd in kept:
                continue
            self._discard(p)
            removed.add(hexd)
            total -= size
            rep.removed_blobs += 1
            rep.removed_bytes += size
            with self._lock:
                self._verified.pop("sha256:" + hexd, None)
        if removed:
            rep.removed_trees = self._drop_trees(removed)
        rep.remaining_bytes = total
        rep.removed_tmp = self._drop_stale_tmp()
        return rep

    def _drop_stale_tmp(self, age: float = TMP_MAX_AGE) -> int:
        """Deletes what interrupted downloads and saves left in ``tmp/``.
        Loads and saves in progress hold the lock that the prune holds
        exclusively, so anything there is a leftover; the age spares direct
        users of :mod:`modelry.transfer`, which do not take the lock."""
        import shutil

        n = 0
        tmp = self.root / "tmp"
        cutoff = time.time() - age
        for p in tmp.iterdir() if tmp.is_dir() else ():
            try:
                if p.lstat().st_mtime >= cutoff:
                    continue
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink()
                n += 1
            except FileNotFoundError:
                continue
        return n

    def _drop_trees(self, removed: "set[str]") -> int:
        """Deletes the version folders with a link to a removed blob (given by hex digest)."""
        import shutil

        def gone(link: str) -> bool:
            return os.path.islink(link) and os.path.basename(os.readlink(link)) in removed

        n = 0
        trees = self.root / "trees"
        for d in trees.iterdir() if trees.is_dir() else ():
            for dirpath, _, names in os.walk(d):
                if any(gone(os.path.join(dirpath, x)) for x in names):
                    shutil.rmtree(d, ignore_errors=True)
                    n += 1
                    break
        return n

    # --- version trees ---------------------------------------------------

    def tree(self, version_digest: str, files: "list[FileEntry]") -> Path:
        """Lays out a version's files as links into the blob store and
        returns the folder. Every regular file's blob must be in the cache."""
        d = self.root / "trees" / digest_hex(version_digest)
        if d.is_dir():
            return d
        tmp = Path(tempfile.mkdtemp(prefix="tree-", dir=self.tmp_dir()))
        for f in files:
            dst = tmp.joinpath(*f.path.split("/"))
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(f.target if f.is_link else self.blob_path(f.digest), dst)
        d.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(tmp, d)
        except OSError:  # another process laid it out first
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        return d

    # --- manifests for offline use ---------------------------------------

    def _server_dir(self, server: str) -> Path:
        return self.root / "servers" / hashlib.sha256(server.encode()).hexdigest()[:16]

    def save_version(self, server: str, ref: str, version: Dict[str, Any]) -> None:
        """Records a version the server resolved ``ref`` to."""
        d = self._server_dir(server)
        model, number = version["model"], int(version["version"])
        _write_json(d / "versions" / model / f"{number}.json", version)
        _write_json(d / "refs" / model / (_ref_file(ref) + ".json"), {"ref": ref, "version": number, "resolved_at": time.time()})

    def find_version(self, server: str, model: str, ref: str) -> Optional[Tuple[Dict[str, Any], float]]:
        """Returns (version JSON, when ``ref`` was last resolved) or None."""
        d = self._server_dir(server)
        entry = _read_json(d / "refs" / model / (_ref_file(ref) + ".json"))
        if entry is None:
            return None
        v = _read_json(d / "versions" / model / f"{int(entry['version'])}.json")
        return (v, float(entry["resolved_at"])) if v is not None else None


def _ref_file(ref: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", lambda m: "%%%02X" % ord(m.group(0)), ref)


def _write_json(p: Path, obj: Any) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=p.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, p)


def _read_json(p: Path) -> Optional[Dict[str, Any]]:
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def prune(max_bytes: Union[int, str], root: Union[str, os.PathLike, None] = None, *, timeout: float = 60.0) -> PruneReport:
    """Prunes the cache at ``root`` (:func:`default_root` when ``None``) to
    at most ``max_bytes`` of blobs, least recently used first; see
    :meth:`Cache.prune`."""
    return Cache(root).prune(max_bytes, timeout=timeout)
