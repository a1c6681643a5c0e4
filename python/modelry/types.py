"""The objects the registry returns: plain dataclasses mirroring the JSON of
the REST API (api/openapi.yaml). ``raw`` keeps the answer as sent."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


def parse_time(s: Optional[str]) -> Optional[_dt.datetime]:
    """Parses an RFC 3339 time as the server writes it (nanoseconds, ``Z``)."""
    if not s:
        return None
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", s)
    if not m:
        return None
    frac = (m.group(2) or ".0")[1:7].ljust(6, "0")
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    return _dt.datetime.fromisoformat(f"{m.group(1)}.{frac}{tz}")


@dataclass(frozen=True)
class FileEntry:
    """One file of a version: its path inside the version, size, SHA-256
    digest (``sha256:<hex>``), permission bits, and for a symbolic link its
    target (then digest is empty)."""

    path: str
    size: int
    digest: str = ""
    mode: int = 0o644
    target: str = ""

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "FileEntry":
        """Builds a FileEntry from the server's JSON."""
        return cls(d["path"], int(d.get("size", 0)), d.get("digest", ""), int(d.get("mode", 0o644)), d.get("target", ""))

    def to_json(self) -> Dict[str, Any]:
        """The JSON the server takes in a manifest."""
        d: Dict[str, Any] = {"path": self.path, "size": self.size, "mode": self.mode}
        if self.digest:
            d["digest"] = self.digest
        if self.target:
            d["target"] = self.target
        return d

    @property
    def is_link(self) -> bool:
        """Whether this entry is a symbolic link."""
        return bool(self.target)


@dataclass
class Model:
    """A registered name: ``kind`` (``"model"`` or ``"dataset"``; a name is
    one or the other for good), description, tags, aliases (alias -> version
    number), the highest version number given and the live count."""

    name: str
    kind: str = "model"
    description: str = ""
    tags: Dict[str, str] = field(default_factory=dict)
    aliases: Dict[str, int] = field(default_factory=dict)
    last_version: int = 0
    version_count: int = 0
    created_at: Optional[_dt.datetime] = None
    updated_at: Optional[_dt.datetime] = None
    created_by: str = ""
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "Model":
        """Builds a Model from the server's JSON."""
        return cls(
            name=d["name"],
            kind=d.get("kind") or "model",
            description=d.get("description", ""),
            tags=dict(d.get("tags") or {}),
            aliases={k: int(v) for k, v in (d.get("aliases") or {}).items()},
            last_version=int(d.get("last_version", 0)),
            version_count=int(d.get("version_count", 0)),
            created_at=parse_time(d.get("created_at")),
            updated_at=parse_time(d.get("updated_at")),
            created_by=d.get("created_by", ""),
            raw=d,
        )


@dataclass
class UploadReport:
    """What an upload did. ``uploaded_bytes`` is 0 when the server already
    had every blob."""

    files: int = 0
    links: int = 0
    bytes: int = 0
    uploaded_bytes: int = 0
    blobs_uploaded: int = 0
    blobs_skipped: int = 0
    seconds: float = 0.0


@dataclass
class DownloadReport:
    """What a download did: bytes fetched from the server, and files served
    from the local cache (verified) instead."""

    files: int = 0
    bytes: int = 0
    downloaded_bytes: int = 0
    cache_hits: int = 0
    cache_repaired: int = 0
    seconds: float = 0.0


@dataclass
class Version:
    """One immutable version of a model.

    ``version`` is its number, ``label`` its optional label, ``digest`` the
    SHA-256 of its manifest. ``source`` is its provenance as the server
    stores it (``{"git": {...}, "run": {...}}``, see
    :mod:`modelry.gitsource`), ``lineage`` what it declared it was made from
    (``{"datasets": [...], "parent": {...}}``, see :mod:`modelry.lineage`).
    ``upload_report`` is set on the version that
    :meth:`Registry.save` or :meth:`Registry.save_files` returns, and
    ``download_report`` after a load.
    """

    model: str
    version: int
    label: str = ""
    digest: str = ""
    description: str = ""
    metrics: Dict[str, float] = field(default_factory=dict)
    params: Dict[str, str] = field(default_factory=dict)
    tags: Dict[str, str] = field(default_factory=dict)
    source: Dict[str, Any] = field(default_factory=dict)
    lineage: Dict[str, Any] = field(default_factory=dict)
    files: List[FileEntry] = field(default_factory=list)
    size: int = 0
    aliases: List[str] = field(default_factory=list)
    created_by: str = ""
    created_at: Optional[_dt.datetime] = None
    deleted_at: Optional[_dt.datetime] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)
    upload_report: Optional[UploadReport] = field(default=None, repr=False, compare=False)
    download_report: Optional[DownloadReport] = field(default=None, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "Version":
        """Builds a Version from the server's JSON."""
        return cls(
            model=d["model"],
            version=int(d["version"]),
            label=d.get("label", ""),
            digest=d.get("digest", ""),
            description=d.get("description", ""),
            metrics={k: float(v) for k, v in (d.get("metrics") or {}).items()},
            params=dict(d.get("params") or {}),
            tags=dict(d.get("tags") or {}),
            source=dict(d.get("source") or {}),
            lineage=dict(d.get("lineage") or {}),
            files=[FileEntry.from_json(f) for f in d.get("files") or []],
            size=int(d.get("size", 0)),
            aliases=list(d.get("aliases") or []),
            created_by=d.get("created_by", ""),
            created_at=parse_time(d.get("created_at")),
            deleted_at=parse_time(d.get("deleted_at")),
            raw=d,
        )

    @property
    def ref(self) -> str:
        """The immutable reference of this version, ``model/number``."""
        return f"{self.model}/{self.version}"


@dataclass
class Alias:
    """Where an alias points now, and who moved it last."""

    model: str
    alias: str
    version: int
    updated_at: Optional[_dt.datetime] = None
    updated_by: str = ""

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "Alias":
        """Builds a Alias from the server's JSON."""
        return cls(d["model"], d["alias"], int(d["version"]), parse_time(d.get("updated_at")), d.get("updated_by", ""))


@dataclass
class AliasMove:
    """One move of an alias: from and to version numbers (0 when unset),
    who, why and when. ``seq`` is 0 when a set changed nothing."""

    seq: int
    model: str
    alias: str
    from_version: int
    to_version: int
    actor: str = ""
    reason: str = ""
    at: Optional[_dt.datetime] = None

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "AliasMove":
        """Builds a AliasMove from the server's JSON."""
        return cls(
            int(d.get("seq", 0)), d["model"], d["alias"], int(d.get("from", 0)), int(d.get("to", 0)),
            d.get("actor", ""), d.get("reason", ""), parse_time(d.get("at")),
        )


@dataclass
class Event:
    """One entry of the server's append-only audit log."""

    seq: int
    type: str
    actor: str
    model: str = ""
    version: int = 0
    data: Dict[str, Any] = field(default_factory=dict)
    at: Optional[_dt.datetime] = None

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "Event":
        """Builds a Event from the server's JSON."""
        return cls(
            int(d["seq"]), d["type"], d.get("actor", ""), d.get("model", ""), int(d.get("version", 0)),
            dict(d.get("data") or {}), parse_time(d.get("at")),
        )
