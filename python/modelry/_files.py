"""Files to upload: collecting them like the CLI, hashing them, progress
bars, and running transfers in parallel. Used by :mod:`modelry.transfer`."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Union

from .cache import hash_file
from .errors import InvalidArgument
from .types import FileEntry

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
        """The manifest entry of this file (hashed)."""
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
        """Removes the bar."""
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


