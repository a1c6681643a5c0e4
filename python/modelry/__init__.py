"""Modelry: save, version and load ML models on a Modelry server.

Three lines::

    import modelry
    reg = modelry.Registry("http://127.0.0.1:8080", token="...")   # or MODELRY_URL / MODELRY_TOKEN
    v = reg.save("my_model", model, "1.0", metrics={"accuracy": 0.93}, alias="staging")
    model = reg.load("my_model", "1.0")          # also 3, "@production", "sha256:..."

:class:`Registry` is the entry point; :mod:`modelry.transfer` moves files on
its own; :mod:`modelry.errors` lists the exceptions; :mod:`modelry.flavors`
and :mod:`modelry.metadata` say how models are written, :mod:`modelry.datasets`
how datasets are; :mod:`modelry.lineage` and :mod:`modelry.gitsource` say
what a version records about the data and code that made it;
:mod:`modelry.cache` describes the local cache and its size limit.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    AlreadyExists,
    CacheBusy,
    DirtyWorkTree,
    IntegrityError,
    InvalidArgument,
    KindMismatch,
    LibraryVersionError,
    ModelryError,
    NotFound,
    PermissionDenied,
    ServerError,
)
from .metadata import LibraryVersionWarning  # noqa: E402
from .cache import PruneReport  # noqa: E402
from .lineage import LineageEdge, LineageGraph, LineageNode  # noqa: E402
from .registry import ModelInfo, OfflineWarning, Registry  # noqa: E402
from .types import Alias, AliasMove, DownloadReport, Event, FileEntry, Model, UploadReport, Version  # noqa: E402

__all__ = [
    "Registry", "ModelInfo", "Model", "Version", "FileEntry", "Alias", "AliasMove", "Event",
    "UploadReport", "DownloadReport", "ModelryError", "NotFound", "AlreadyExists", "PermissionDenied",
    "InvalidArgument", "IntegrityError", "LibraryVersionError", "ServerError", "OfflineWarning",
    "LibraryVersionWarning", "DirtyWorkTree", "KindMismatch", "CacheBusy", "LineageGraph", "LineageNode", "LineageEdge",
    "PruneReport", "__version__",
]
