"""The scikit-learn flavor: estimators and pipelines (and anything
sklearn-compatible), written with skops by default, which loads without
running arbitrary code. pickle or joblib only with ``allow_pickle=True``.

skops names the arrays in its zip after ``id()`` of the objects and stamps
entries with the current time, so the same model would give different bytes
each save. :func:`canonical_skops` renumbers both in document order and
fixes the times, so that saving an unchanged model again uploads nothing.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, Dict, List

from ..errors import InvalidArgument
from . import PICKLE_SERIALIZERS, Flavor, LoadContext, SaveContext, Saved, class_path
from . import pickle as pickle_flavor

#: Module roots whose classes skops may construct without the caller listing them.
TRUSTED_ROOTS = ("sklearn", "numpy", "scipy")


class SklearnFlavor(Flavor):
    """scikit-learn compatible estimators, with skops (or pickle/joblib when allowed)."""

    name = "sklearn"
    load_libraries = ("sklearn",)

    def matches(self, obj: Any) -> bool:
        try:
            from sklearn.base import BaseEstimator
        except ImportError:
            return False
        if isinstance(obj, BaseEstimator):
            return True
        return callable(getattr(obj, "get_params", None)) and callable(getattr(obj, "fit", None))

    def save(self, obj: Any, root: Path, ctx: SaveContext) -> Saved:
        serializer = ctx.serializer or "skops"
        libs: List[str] = ["sklearn", "numpy"]
        if serializer in PICKLE_SERIALIZERS:
            pickle_flavor.require_pickle(ctx.allow_pickle, f"serializer={serializer!r}")
            name = pickle_flavor.dump(obj, root, serializer)
            return Saved(serializer, [name], libs + (["joblib"] if serializer == "joblib" else []), {"class": class_path(obj)})
        if serializer != "skops":
            raise InvalidArgument(f"the sklearn flavor writes skops, pickle or joblib, not {serializer!r}", code="INVALID_ARGUMENT")
        import skops.io as sio

        data = canonical_skops(sio.dumps(obj))
        (root / "model.skops").write_bytes(data)
        untrusted = sio.get_untrusted_types(data=data)
        return Saved("skops", ["model.skops"], libs + ["skops"], {"class": class_path(obj), "untrusted_types": untrusted})

    def load(self, root: Path, meta: Dict[str, Any], ctx: LoadContext) -> Any:
        if meta.get("serializer") in PICKLE_SERIALIZERS:
            pickle_flavor.require_pickle(ctx.allow_pickle, "this version")
            return pickle_flavor.load(root, meta)
        import skops.io as sio

        path = root / meta["model_files"][0]
        data = path.read_bytes()
        extra = [str(t) for t in ctx.options.get("trusted", []) or []]
        untrusted = sio.get_untrusted_types(data=data)
        refused = [t for t in untrusted if t not in extra and not _library_class(t)]
        if refused:
            raise InvalidArgument(
                "this skops file needs types that are not trusted by default: " + ", ".join(refused)
                + "; if you trust them, pass trusted=[...] naming them",
                code="UNTRUSTED_TYPES",
            )
        return sio.loads(data, trusted=list(untrusted))


def _library_class(name: str) -> bool:
    """Whether ``name`` is a class (not a function) of a trusted library."""
    import importlib

    module, _, attr = name.rpartition(".")
    if module.split(".")[0] not in TRUSTED_ROOTS:
        return False
    try:
        return isinstance(getattr(importlib.import_module(module), attr), type)
    except Exception:
        return False


def canonical_skops(data: bytes) -> bytes:
    """Rewrites a skops file so that equal models give equal bytes: array
    files and ``__id__`` memo keys renumbered in document order, entries in
    a fixed order with a fixed time. Loading is unaffected: ids only pair up
    references to the same object, and file names only link nodes to arrays."""
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(src.read("schema.json"))
    ids: Dict[Any, int] = {}
    files: Dict[str, str] = {}
    names = set(src.namelist())

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out: Dict[str, Any] = {}
            for k, v in node.items():
                if k == "__id__" and isinstance(v, int):
                    out[k] = ids.setdefault(v, len(ids) + 1)
                elif k == "file" and isinstance(v, str) and v in names:
                    if v not in files:
                        ext = v.rsplit(".", 1)[-1] if "." in v else "bin"
                        files[v] = f"{len(files) + 1}.{ext}"
                    out[k] = files[v]
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    schema = walk(schema)
    unknown = names - set(files) - {"schema.json"}
    if unknown:  # a layout this code does not know: keep the original bytes
        return data
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        entries = [("schema.json", json.dumps(schema, indent=2).encode())]
        entries += sorted(((new, src.read(old)) for old, new in files.items()), key=lambda e: e[0])
        for name, payload in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = src.getinfo("schema.json").compress_type
            info.external_attr = 0o644 << 16
            dst.writestr(info, payload)
    return buf.getvalue()
