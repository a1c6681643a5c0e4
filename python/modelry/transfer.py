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

from ._download import download, materialize
from ._files import DEFAULT_PARALLELISM, LocalFile, Progress, collect_files, hash_files
from ._upload import STREAM_THRESHOLD, upload

__all__ = [
    "upload", "download", "materialize", "collect_files", "hash_files", "LocalFile", "Progress",
    "STREAM_THRESHOLD", "DEFAULT_PARALLELISM",
]
