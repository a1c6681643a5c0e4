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

<key> is a short hash of the server URL. A blob is verified before every
first use in a process (and re-hashed whenever its inode, size or times
change): a corrupted or truncated entry is deleted and fetched again, so the
cache needs no fsync and survives any crash.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

from .types import FileEntry

#: Read size for hashing: large buffers let hashlib release the GIL for long.
HASH_BLOCK = 4 << 20


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


class Cache:
    """A local, content-addressed cache of blobs and version manifests.

    Args:
        root: the folder; :func:`default_root` when ``None``.
    """

    def __init__(self, root: Union[str, os.PathLike, None] = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self._verified: Dict[str, Tuple[int, int, int, int]] = {}
        self._lock = threading.Lock()

    def size(self) -> int:
        """Bytes the cached blobs take."""
        root = self.root / "blobs"
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0

    def clear(self) -> None:
        """Deletes everything in the cache (blobs, trees, manifests). The
        cache has no size limit of its own: call this, or delete the folder,
        to reclaim the space. Arrays mapped from it stay valid."""
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
            if self._verified.get(f.digest) == stamp:
                return p, False
        if st.st_size == f.size:
            _, digest = hash_file(p, progress)
            if digest == f.digest:
                self._remember(f.digest, p)
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

    def _remember(self, digest: str, p: Path) -> None:
        st = p.stat()
        with self._lock:
            self._verified[digest] = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def _discard(self, p: Path) -> None:
        try:
            p.unlink()
        except FileNotFoundError:
            pass

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
