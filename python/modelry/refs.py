"""Turning the Python ways of naming a version into the server's reference
grammar (``name``, ``name/3``, ``name:1.0``, ``name@alias``,
``name@sha256:<hex>``; see internal/registry/ref.go).

=====================  ======================  =========
Python                 reference               immutable
=====================  ======================  =========
``None``               ``name`` (latest)       no
``3`` (an int)         ``name/3``              yes
``"1.0"``              ``name:1.0`` (label)    yes [1]_
``"@production"``      ``name@production``     no
``"sha256:<hex>"``     ``name@sha256:<hex>``   yes
=====================  ======================  =========

.. [1] a label names one version for good unless that version is deleted.

A ``name`` that is already a full reference (``"iris@production"``,
``"models:/iris/3"``) is used as is when no version is given.
"""

from __future__ import annotations

from typing import Optional, Tuple, Union

VersionSpec = Union[int, str, None]


def to_ref(name: str, version: VersionSpec = None) -> str:
    """The server reference for ``name`` and a Python version spec."""
    if version is None or version == "":
        return name
    if isinstance(version, bool):
        raise TypeError("a version is an int (number), a label, '@alias' or 'sha256:...', not a bool")
    if isinstance(version, int):
        if version <= 0:
            raise ValueError(f"version numbers start at 1, not {version}")
        return f"{name}/{version}"
    if not isinstance(version, str):
        raise TypeError(f"a version is an int (number), a label, '@alias' or 'sha256:...', not {type(version).__name__}")
    if version.startswith("@"):
        return f"{name}{version}"
    if version.startswith("sha256:"):
        return f"{name}@{version}"
    if version == "latest":
        return name
    return f"{name}:{version}"


def split_ref(ref: str) -> Tuple[str, str]:
    """(model name, selector kind) of a server reference; kind is one of
    latest, number, label, alias, digest."""
    if ref.startswith("models:/"):
        rest = ref[len("models:/"):]
        if "@" in rest:
            return rest.split("@", 1)[0], "alias"
        name, _, sel = rest.rpartition("/")
        return name, "latest" if sel == "latest" else "number"
    for i, c in enumerate(ref):
        if c == "/":
            return ref[:i], "number"
        if c == ":":
            return ref[:i], "label"
        if c == "@":
            return ref[:i], "digest" if ref[i + 1:].startswith("sha256:") else "alias"
    return ref, "latest"


def is_immutable(kind: str) -> bool:
    """Whether a selector kind always names the same version."""
    return kind in ("number", "digest", "label")


def resolve_args(name: str, version: VersionSpec) -> Tuple[str, str, str]:
    """(reference, model name, selector kind) for a load or get call."""
    ref = to_ref(name, version)
    model, kind = split_ref(ref)
    return ref, model, kind


def is_full_ref(name: str) -> Optional[bool]:
    """Whether ``name`` already carries a selector."""
    return name.startswith("models:/") or any(c in name for c in "/:@")
