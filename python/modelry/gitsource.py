"""The git source of a save: the code a version was made from.

:func:`capture` records, from the git repository that holds a folder (the
current working directory by default), exactly what ``modelry push`` records
(the Go CLI and the SDK give the same values for the same tree)::

    {"remote": "https://github.com/acme/churn.git",   # origin, else the first remote by name;
                                                      # credentials (user:token@) stripped
     "commit": "3f2a...",                             # git rev-parse HEAD ("" before the first commit)
     "branch": "main",                                # "" on a detached HEAD
     "dirty": True,                                   # git status --porcelain shows anything
     "diff_digest": "sha256:..."}                     # only when dirty (below)

Empty fields are left out, as the server leaves them out. ``diff_digest`` is
``"sha256:" + hex(sha256(D))``: D is the output of ``git diff HEAD --binary
--no-color --no-ext-diff``, followed, for each untracked file that is not
ignored (``git ls-files --others --exclude-standard -z``, in byte order of
path), by ``"untracked " + path + "\\n" + hex(sha256(contents)) + "\\n"``.
Every command runs at the top of the work tree, so the result does not depend
on which folder inside it the save ran from.

Outside a work tree, or without git installed, there is no git source and
no error (unless the caller demands a clean tree: :func:`check_clean`).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from typing import Any, Dict, List, Optional, Tuple, Union

from .errors import DirtyWorkTree, InvalidArgument

PathLike = Union[str, "os.PathLike[str]"]


def _git(cwd: str, *args: str, ok: Tuple[int, ...] = (0,)) -> Optional[bytes]:
    """Runs git; returns its stdout, or None when it exits with a status not in ``ok``."""
    try:
        p = subprocess.run(["git", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None
    return p.stdout if p.returncode in ok else None


def toplevel(where: Optional[PathLike] = None) -> Optional[str]:
    """The top folder of the work tree holding ``where`` (default: the
    current working directory), or None outside a work tree or without git."""
    out = _git(os.fspath(where) if where is not None else os.getcwd(), "rev-parse", "--show-toplevel")
    top = out.decode(errors="surrogateescape").strip() if out else ""
    return top or None


def strip_credentials(url: str) -> str:
    """Removes the userinfo (``user:token@``) of a URL with a scheme, such as
    ``https://user:token@host/x.git``. scp-like addresses (``git@host:x.git``)
    name an account, not a secret, and stay as they are."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", r"\1", url)


def _remote(top: str) -> str:
    out = _git(top, "remote", "get-url", "origin")
    if out is None:
        names = sorted((_git(top, "remote") or b"").decode(errors="surrogateescape").split())
        if not names:
            return ""
        out = _git(top, "remote", "get-url", names[0]) or b""
    return strip_credentials(out.decode(errors="surrogateescape").strip())


def _status_paths(top: str) -> List[str]:
    """The paths ``git status --porcelain`` reports (ignored files do not count)."""
    out = _git(top, "status", "--porcelain", "--untracked-files=normal", "-z") or b""
    entries = out.split(b"\0")
    paths: List[str] = []
    i = 0
    while i < len(entries):
        e = entries[i]
        i += 1
        if len(e) < 4:
            continue
        paths.append(e[3:].decode(errors="surrogateescape"))
        if b"R" in e[:2] or b"C" in e[:2]:  # a rename or copy: its source path follows
            i += 1
    return paths


def diff_digest(top: str) -> str:
    """The digest of the uncommitted changes of the work tree at ``top`` (see the module doc)."""
    h = hashlib.sha256()
    h.update(_git(top, "diff", "HEAD", "--binary", "--no-color", "--no-ext-diff") or b"")
    untracked = [p for p in (_git(top, "ls-files", "--others", "--exclude-standard", "-z") or b"").split(b"\0") if p]
    for path in sorted(untracked):
        h.update(b"untracked " + path + b"\n" + _file_hash(os.path.join(os.fsencode(top), path)).encode() + b"\n")
    return "sha256:" + h.hexdigest()


def _file_hash(path: bytes) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:  # a dangling link, or a file deleted meanwhile: hash what is there
        try:
            h.update(os.readlink(path))
        except OSError:
            pass
    return h.hexdigest()


def capture(where: Optional[PathLike] = None) -> Optional[Dict[str, Any]]:
    """The git source of the work tree holding ``where`` (default: the
    current working directory) as the server stores it, or None outside a
    work tree or without git."""
    top = toplevel(where)
    if top is None:
        return None
    src: Dict[str, Any] = {}
    remote = _remote(top)
    commit = (_git(top, "rev-parse", "--verify", "-q", "HEAD", ok=(0, 1)) or b"").decode().strip()
    branch = (_git(top, "symbolic-ref", "--short", "-q", "HEAD", ok=(0, 1)) or b"").decode(errors="surrogateescape").strip()
    for k, v in (("remote", remote), ("commit", commit), ("branch", branch)):
        if v:
            src[k] = v
    if _status_paths(top):
        src["dirty"] = True
        src["diff_digest"] = diff_digest(top)
    return src


def check_clean(where: Optional[PathLike] = None) -> None:
    """Raises :class:`~modelry.errors.DirtyWorkTree` (listing the changed
    paths) when the work tree holding ``where`` has uncommitted changes, and
    :class:`~modelry.errors.InvalidArgument` (code NO_GIT_WORK_TREE) when
    there is no work tree to check."""
    place = os.fspath(where) if where is not None else os.getcwd()
    top = toplevel(place)
    if top is None:
        raise InvalidArgument(
            f"require_clean=True, but {place} is not inside a git work tree (or git is not installed); "
            "run from your repository, or drop require_clean", code="NO_GIT_WORK_TREE",
        )
    paths = _status_paths(top)
    if paths:
        shown = ", ".join(paths[:20]) + (f" and {len(paths) - 20} more" if len(paths) > 20 else "")
        raise DirtyWorkTree(
            f"the git work tree {top} has uncommitted changes ({shown}); commit or stash them, or drop require_clean",
            paths=paths,
        )


def for_save(git: Union[bool, PathLike], require_clean: bool) -> Optional[Dict[str, Any]]:
    """What a save records: the git source of the current working directory
    (``git=True``), of a given folder, or nothing (``git=False``)."""
    if git is False:
        if require_clean:
            raise InvalidArgument("require_clean=True needs git capture; drop git=False", code="INVALID_ARGUMENT")
        return None
    where = None if git is True else git
    if require_clean:
        check_clean(where)
    return capture(where)  # type: ignore[arg-type]
