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
path), by ``"untracked " + path + "\\n" + hex(sha256(contents)) + "\\n"``;
a symbolic link's contents are its target, an untracked nested repository's
(listed as ``sub/``) are empty. Before the first commit the diff is taken
against the empty tree instead of HEAD. Every command runs at the top of
the work tree (so the result does not depend on which folder inside it the
save ran from), with ``LC_ALL=C`` and no prompts; status never writes the
index. The Go CLI's internal/gitsource is the reference.

Outside a work tree (or inside a ``.git`` folder), or without git
installed, there is no git source and no error (unless the caller demands a
clean tree: :func:`check_clean`). Any other failure of git raises
:class:`~modelry.errors.InvalidArgument` with code GIT_FAILED and git's
message (pass ``git=False`` to save without a git source).
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from typing import Any, Dict, List, Optional, Tuple, Union

from .errors import DirtyWorkTree, InvalidArgument

PathLike = Union[str, "os.PathLike[str]"]


_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "LANGUAGE": "C"}


class _NoGit(Exception):
    """git is not installed."""


def _run(cwd: str, args: Tuple[str, ...], stdin: bytes = b"") -> "subprocess.CompletedProcess[bytes]":
    try:
        return subprocess.run(["git", "-C", cwd, *args], input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, **_ENV})
    except FileNotFoundError as e:
        raise _NoGit() from e


def _git(cwd: str, *args: str, optional: bool = False) -> bytes:
    """git's standard output. With ``optional``, exit status 1 or 2 (no
    HEAD yet, a detached HEAD, no such remote) gives b""; any other failure
    raises GIT_FAILED."""
    p = _run(cwd, args)
    if p.returncode == 0 or (optional and p.returncode in (1, 2)):
        return p.stdout if p.returncode == 0 else b""
    msg = " ".join(p.stderr.decode(errors="replace").split()) or f"exit status {p.returncode}"
    raise InvalidArgument(f"git {' '.join(args)} failed in {cwd}: {msg}; fix the repository, or pass git=False", code="GIT_FAILED")


def toplevel(where: Optional[PathLike] = None) -> Optional[str]:
    """The top folder of the work tree holding ``where`` (default: the
    current working directory), or None outside a work tree (or inside a
    ``.git`` folder) or without git."""
    place = os.fspath(where) if where is not None else os.getcwd()
    try:
        p = _run(place, ("rev-parse", "--is-inside-work-tree"))
    except _NoGit:
        return None
    if p.returncode != 0:
        if b"not a git repository" in p.stderr:
            return None
        _git(place, "rev-parse", "--is-inside-work-tree")  # raises with git's message
    if p.stdout.strip() != b"true":  # inside a .git folder or a bare repository
        return None
    return os.fsdecode(_git(place, "rev-parse", "--show-toplevel").rstrip(b"\n"))


def strip_credentials(url: str) -> str:
    """Removes the userinfo of a URL with a scheme: everything of the
    authority up to its last ``@`` (``https://user:token@host/x.git`` ->
    ``https://host/x.git``). scp-like addresses (``git@host:x.git``) and
    local paths carry no credentials and stay as they are."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    return scheme + "://" + authority.rpartition("@")[2] + slash + path


def _remote(top: str) -> str:
    out = _git(top, "remote", "get-url", "origin", optional=True)
    if not out:
        names = sorted(_git(top, "remote").split())
        if not names:
            return ""
        out = _git(top, "remote", "get-url", os.fsdecode(names[0]))
    return strip_credentials(os.fsdecode(out.rstrip(b"\n")))


def _status_paths(top: str) -> List[str]:
    """The paths ``git status --porcelain`` reports (ignored files do not count)."""
    out = _git(top, "--no-optional-locks", "status", "--porcelain", "-z", "--untracked-files=normal")
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


def diff_digest(top: str, has_head: bool = True) -> str:
    """The digest of the uncommitted changes of the work tree at ``top`` (see the module doc)."""
    base = "HEAD"
    if not has_head:  # the repository's empty tree (SHA-1 or SHA-256); stdin is empty
        base = _git(top, "hash-object", "-t", "tree", "--stdin").decode().strip()
    h = hashlib.sha256()
    h.update(_git(top, "diff", base, "--binary", "--no-color", "--no-ext-diff"))
    untracked = [p for p in _git(top, "ls-files", "--others", "--exclude-standard", "-z").split(b"\0") if p]
    for path in sorted(untracked):
        h.update(b"untracked " + path + b"\n" + _content_hash(os.path.join(os.fsencode(top), path)).encode() + b"\n")
    return "sha256:" + h.hexdigest()


def _content_hash(path: bytes) -> str:
    """The hex SHA-256 of a file's bytes, of a link's target, or of nothing for a folder."""
    h = hashlib.sha256()
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            h.update(os.readlink(path))
        elif stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
    except OSError as e:
        raise InvalidArgument(f"cannot hash the untracked file {os.fsdecode(path)}: {e}; pass git=False to skip git capture", code="GIT_FAILED") from e
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
    commit = _git(top, "rev-parse", "-q", "--verify", "HEAD", optional=True).decode().strip()
    branch = os.fsdecode(_git(top, "symbolic-ref", "--short", "-q", "HEAD", optional=True).rstrip(b"\n"))
    for k, v in (("remote", remote), ("commit", commit), ("branch", branch)):
        if v:
            src[k] = v
    if _status_paths(top):
        src["dirty"] = True
        src["diff_digest"] = diff_digest(top, has_head=bool(commit))
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
