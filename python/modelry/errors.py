"""The exceptions of the Modelry SDK.

Every error the SDK raises on purpose is a :class:`ModelryError`. Errors the
server answered carry its stable ``code`` (e.g. ``"NOT_FOUND"``), its
``message`` and the HTTP ``status``; errors detected locally carry a code of
their own (listed on each class) and ``status`` ``None``.

=====================  ==================================================
class                  server codes (``status``) / local codes
=====================  ==================================================
NotFound               NOT_FOUND, ENDPOINT_NOT_FOUND (404)
AlreadyExists          ALREADY_EXISTS (409)
PermissionDenied       PERMISSION_DENIED (403), UNAUTHENTICATED (401)
InvalidArgument        INVALID_ARGUMENT (400), FAILED_PRECONDITION (412),
                       MISSING_BLOBS (409), PAYLOAD_TOO_LARGE (413),
                       LENGTH_REQUIRED (411), METHOD_NOT_ALLOWED (405),
                       RANGE_NOT_SATISFIABLE (416); locally
                       PICKLE_NOT_ALLOWED, UNSUPPORTED_MODEL, BAD_METADATA,
                       NO_GIT_WORK_TREE, GIT_FAILED, UNSUPPORTED_DATA
DirtyWorkTree          DIRTY_WORK_TREE (local: ``require_clean=True`` and
                       the git work tree has uncommitted changes; a
                       subclass of InvalidArgument)
KindMismatch           KIND_MISMATCH (412) when a save names a
                       dataset, or a dataset save names a model, or
                       lineage names the wrong kind (a subclass of
                       InvalidArgument)
CacheBusy              CACHE_BUSY (local: a prune waited too long for
                       loads in progress to finish)
IntegrityError         DIGEST_MISMATCH (400 from the server, or local
                       verification of downloaded or cached bytes)
LibraryVersionError    LIBRARY_VERSION_MISMATCH (local, on load)
ServerError            INTERNAL (500), UNAVAILABLE (503), any other 5xx,
                       and CONNECTION_FAILED when the server cannot be
                       reached or the exchange broke off
=====================  ==================================================
"""

from __future__ import annotations

from typing import Optional


class ModelryError(Exception):
    """Base class of every error the SDK raises on purpose.

    Attributes:
        code: the server's stable error code, or a local one.
        message: what went wrong and, usually, what to do about it.
        status: the HTTP status the server answered, or ``None``.
    """

    def __init__(self, message: str, code: str = "", status: Optional[int] = None) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.code = code
        self.message = message
        self.status = status


class NotFound(ModelryError):
    """The model, version, alias, blob or token does not exist."""


class AlreadyExists(ModelryError):
    """A conflict with something that exists, such as a duplicate label."""


class PermissionDenied(ModelryError):
    """The token is missing, invalid (UNAUTHENTICATED) or lacks the role."""


class InvalidArgument(ModelryError):
    """The request, or a local argument, cannot be carried out as given."""


class DirtyWorkTree(InvalidArgument):
    """A save with ``require_clean=True`` found uncommitted changes in the
    git work tree; nothing was uploaded. ``paths`` lists the changed and
    untracked paths, relative to the top of the work tree."""

    def __init__(self, message: str, paths: "list[str]", code: str = "DIRTY_WORK_TREE") -> None:
        super().__init__(message, code=code)
        self.paths = list(paths)


class KindMismatch(InvalidArgument):
    """A save named a dataset (or a dataset save named a model): a name is
    one kind or the other for good. ``kind`` is the kind the name has."""

    def __init__(self, message: str, kind: str = "", code: str = "KIND_MISMATCH", status: Optional[int] = 412) -> None:
        super().__init__(message, code=code, status=status)
        self.kind = kind


class CacheBusy(ModelryError):
    """A cache prune gave up waiting for loads in progress (in this or
    another process) to finish; nothing was deleted."""


class IntegrityError(ModelryError):
    """Bytes do not match their SHA-256 digest (DIGEST_MISMATCH)."""


class LibraryVersionError(ModelryError):
    """A saved model needs a library whose installed major version differs."""


class ServerError(ModelryError):
    """The server failed (5xx) or could not be reached (CONNECTION_FAILED)."""


_BY_CODE = {
    "NOT_FOUND": NotFound,
    "ENDPOINT_NOT_FOUND": NotFound,
    "ALREADY_EXISTS": AlreadyExists,
    "PERMISSION_DENIED": PermissionDenied,
    "UNAUTHENTICATED": PermissionDenied,
    "INVALID_ARGUMENT": InvalidArgument,
    "FAILED_PRECONDITION": InvalidArgument,
    "KIND_MISMATCH": KindMismatch,
    "MISSING_BLOBS": InvalidArgument,
    "PAYLOAD_TOO_LARGE": InvalidArgument,
    "LENGTH_REQUIRED": InvalidArgument,
    "METHOD_NOT_ALLOWED": InvalidArgument,
    "RANGE_NOT_SATISFIABLE": InvalidArgument,
    "DIGEST_MISMATCH": IntegrityError,
    "INTERNAL": ServerError,
    "UNAVAILABLE": ServerError,
}

_BY_STATUS = {
    400: InvalidArgument,
    401: PermissionDenied,
    403: PermissionDenied,
    404: NotFound,
    409: AlreadyExists,
}


def from_response(status: int, code: str, message: str) -> ModelryError:
    """Return the exception for a server answer: by code, else by status."""
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = ServerError if status >= 500 else _BY_STATUS.get(status, InvalidArgument)
    return cls(message, code=code or f"HTTP_{status}", status=status)
