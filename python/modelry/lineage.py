"""Lineage: what a version was made from, and what was made from it.

A model version declares, when saved, the dataset versions it used (by
role: ``train``, ``eval``, ...) and its parent model version::

    reg.save("churn", model, datasets={"train": "sales/3", "eval": "holdout@current"},
             parent="churn-base@2", run_id=mlflow_run.info.run_id)

The server resolves every reference when the version is created and records
the exact version and digest; ``v.lineage`` holds them as the server sent
them (``{"datasets": [{"role", "ref", "name", "version", "digest"}],
"parent": {"ref", "name", "version", "digest"}}``).

:meth:`Registry.lineage` walks upstream (what made a version) and
:meth:`Registry.used_by` downstream (what a version, or every version of a
dataset, went into). Both return a :class:`LineageGraph`: nodes are
versions of models and datasets, edges point from input to output, with the
role (``train``, ``eval``, ..., or ``parent``).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import gitsource as _git
from .errors import InvalidArgument
from .types import Version, parse_time

#: What names a version in ``datasets=`` and ``parent=``: a reference such as
#: ``"sales/3"`` or ``"holdout@current"``, or a :class:`~modelry.Version`.
VersionLike = Union[str, Version]


@dataclass
class LineageNode:
    """One version in a lineage graph. ``kind`` is ``"model"`` or
    ``"dataset"``; ``id`` is its reference ``name/number``; ``source`` its
    git and run provenance as the server stores it; ``deleted`` is true when
    the version (or its name) was deleted after it was used."""

    id: str
    kind: str
    name: str
    version: int
    digest: str = ""
    label: str = ""
    created_at: Optional[_dt.datetime] = None
    source: Dict[str, Any] = field(default_factory=dict)
    deleted: bool = False

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "LineageNode":
        """Builds a LineageNode from the server's JSON."""
        return cls(
            id=d["id"], kind=d.get("kind", "model"), name=d.get("name", ""), version=int(d.get("version", 0)),
            digest=d.get("digest", ""), label=d.get("label", ""), created_at=parse_time(d.get("created_at")),
            source=dict(d.get("source") or {}), deleted=bool(d.get("deleted", False)),
        )


@dataclass(frozen=True)
class LineageEdge:
    """``source`` (an input, by node id) went into ``target`` in ``role``
    (``train``, ``eval``, ... or ``parent``)."""

    source: str
    target: str
    role: str

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "LineageEdge":
        """Builds a LineageEdge from the server's JSON (``from``, ``to``, ``role``)."""
        return cls(d["from"], d["to"], d.get("role", ""))


@dataclass
class LineageGraph:
    """The versions reachable from ``root`` upstream (:meth:`Registry.lineage`)
    or downstream (:meth:`Registry.used_by`), and the edges between them,
    from input to output. ``truncated`` is true when the server stopped the
    walk at its node limit (1000). ``raw`` keeps the answer as sent."""

    root: str
    nodes: List[LineageNode] = field(default_factory=list)
    edges: List[LineageEdge] = field(default_factory=list)
    truncated: bool = False
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "LineageGraph":
        """Builds a LineageGraph from the server's JSON."""
        return cls(
            root=d.get("root", ""), nodes=[LineageNode.from_json(n) for n in d.get("nodes") or []],
            edges=[LineageEdge.from_json(e) for e in d.get("edges") or []],
            truncated=bool(d.get("truncated", False)), raw=d,
        )

    def node(self, id: str) -> LineageNode:
        """The node with this id (``name/number``); KeyError if absent."""
        for n in self.nodes:
            if n.id == id:
                return n
        raise KeyError(id)

    def inputs(self, id: str) -> List[LineageEdge]:
        """The edges into a node: what it was made from."""
        return [e for e in self.edges if e.target == id]

    def outputs(self, id: str) -> List[LineageEdge]:
        """The edges out of a node: what it went into."""
        return [e for e in self.edges if e.source == id]


def _ref(x: Any, what: str) -> str:
    if isinstance(x, Version):
        return x.ref
    if isinstance(x, str) and x:
        return x
    raise InvalidArgument(f"{what} must be a reference such as 'sales/3' or a Version, not {x!r}", code="INVALID_ARGUMENT")


def request_body(datasets: Optional[Mapping[str, Union[VersionLike, Sequence[VersionLike]]]], parent: Optional[VersionLike]) -> Optional[Dict[str, Any]]:
    """The ``lineage`` of a version create request, or None when there is
    none: ``datasets`` maps a role to one reference or several."""
    if datasets is not None and not isinstance(datasets, Mapping):
        raise InvalidArgument("datasets must map a role to a reference, e.g. {'train': 'sales/3'}", code="INVALID_ARGUMENT")
    uses: List[Dict[str, str]] = []
    for role, refs in (datasets or {}).items():
        if not isinstance(role, str) or not role:
            raise InvalidArgument(f"a dataset role must be a non-empty string such as 'train', not {role!r}", code="INVALID_ARGUMENT")
        for r in refs if isinstance(refs, (list, tuple)) else [refs]:
            uses.append({"role": role, "ref": _ref(r, f"datasets[{role!r}]")})
    body: Dict[str, Any] = {}
    if uses:
        body["datasets"] = uses
    if parent is not None:
        body["parent"] = _ref(parent, "parent")
    return body or None


def provenance(
    datasets: Optional[Mapping[str, Any]], parent: Optional[VersionLike], run_id: Optional[str],
    source: Optional[Mapping[str, Any]], git: Union[bool, str, "os.PathLike[str]"], require_clean: bool,
    kind: Optional[str] = None,
) -> Dict[str, Any]:
    """The fields of a version create request besides files and metadata:
    ``source`` (the git source, captured here so that a dirty tree is
    refused before anything is uploaded; the run; then ``source`` given by
    hand, which wins), ``lineage`` and ``kind``."""
    src: Dict[str, Any] = {}
    captured = _git.for_save(git, require_clean)
    if captured:
        src["git"] = captured
    if run_id:
        src["run"] = {"system": "mlflow", "id": str(run_id)}
    src.update(dict(source or {}))
    out: Dict[str, Any] = {}
    if src:
        out["source"] = src
    lin = request_body(datasets, parent)
    if lin:
        out["lineage"] = lin
    if kind:
        out["kind"] = kind
    return out
