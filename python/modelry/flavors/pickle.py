"""The pickle flavor: any Python object, with pickle or joblib, only when the
caller passes ``allow_pickle=True`` (loading runs arbitrary code)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from ..errors import InvalidArgument
from . import PICKLE_SERIALIZERS, Flavor, LoadContext, SaveContext, Saved


def require_pickle(allowed: bool, what: str) -> None:
    """Raises InvalidArgument(PICKLE_NOT_ALLOWED) unless ``allowed``."""
    if not allowed:
        raise InvalidArgument(
            f"{what} uses pickle, which can run arbitrary code; pass allow_pickle=True if you trust its source",
            code="PICKLE_NOT_ALLOWED",
        )


def dump(obj: Any, root: Path, serializer: str) -> str:
    """Writes obj with pickle or joblib; returns the file name."""
    if serializer == "joblib":
        import joblib

        joblib.dump(obj, root / "model.joblib")
        return "model.joblib"
    import pickle

    with open(root / "model.pkl", "wb") as f:
        pickle.dump(obj, f, protocol=4)
    return "model.pkl"


def load(root: Path, meta: Dict[str, Any]) -> Any:
    """Reads what :func:`dump` wrote."""
    name = meta["model_files"][0]
    if meta["serializer"] == "joblib":
        import joblib

        return joblib.load(root / name)
    import pickle

    with open(root / name, "rb") as f:
        return pickle.load(f)


class PickleFlavor(Flavor):
    """Any object, with pickle or joblib; only with ``allow_pickle=True``."""

    name = "pickle"

    def matches(self, obj: Any) -> bool:
        return False  # chosen only as the fallback, or by name

    def save(self, obj: Any, root: Path, ctx: SaveContext) -> Saved:
        require_pickle(ctx.allow_pickle, "saving this object")
        serializer = ctx.serializer or "pickle"
        if serializer not in PICKLE_SERIALIZERS:
            raise InvalidArgument(f"the pickle flavor writes pickle or joblib, not {serializer!r}", code="INVALID_ARGUMENT")
        libs = ["joblib"] if serializer == "joblib" else []
        return Saved(serializer, [dump(obj, root, serializer)], libs)

    def load(self, root: Path, meta: Dict[str, Any], ctx: LoadContext) -> Any:
        require_pickle(ctx.allow_pickle, "this version")
        return load(root, meta)
