"""Flavors: how each kind of model object is written to files and read back.

A flavor is picked from the object's type when saving (or named with
``flavor=``) and recorded in the version's ``modelry.json``, which picks it
again when loading. Flavors import their libraries lazily, so the SDK needs
none of them installed until a model of that kind is saved or loaded.

=========  ==========================================  ====================
flavor     objects                                      files
=========  ==========================================  ====================
torch      ``torch.nn.Module``                          model.safetensors (state_dict)
onnx       ``onnx.ModelProto``                          model.onnx
xgboost    ``xgboost.Booster``, ``xgboost.XGBModel``    model.ubj
lightgbm   ``lightgbm.Booster``, ``lightgbm.LGBMModel`` model.txt
numpy      ``dict`` of ``numpy.ndarray``, an ndarray    model.safetensors
sklearn    scikit-learn compatible estimators           model.skops (or, with
                                                        allow_pickle, model.pkl/.joblib)
pickle     anything else, only with allow_pickle=True   model.pkl / model.joblib
=========  ==========================================  ====================
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from ..errors import InvalidArgument


@dataclass
class SaveContext:
    """What a flavor's save gets besides the object."""

    allow_pickle: bool = False
    serializer: Optional[str] = None
    options: Dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadContext:
    """What a flavor's load gets besides the files."""

    allow_pickle: bool = False
    options: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Saved:
    """What a flavor wrote: the serializer, the files (relative to the
    version's root), the libraries to record, and flavor-specific options."""

    serializer: str
    files: List[str]
    libraries: Sequence[str]
    options: Dict[str, Any] = field(default_factory=dict)
    #: files not written yet: name -> an object with ``size``, ``chunks()``
    #: and ``write(path, tap)`` (see modelry.safetensors_io.Plan), so that
    #: a save can hash, write and upload them in one pass
    deferred: Dict[str, Any] = field(default_factory=dict)


class Flavor:
    """Base class of flavors. Subclasses set ``name`` and implement
    :meth:`matches`, :meth:`save` and :meth:`load`; :meth:`predict` is used
    to describe the output of an input example, when possible."""

    name = ""
    #: libraries whose versions load checks (import names)
    load_libraries: Sequence[str] = ()

    def matches(self, obj: Any) -> bool:
        """Whether this flavor saves ``obj`` (checked without importing
        libraries the caller has not imported)."""
        raise NotImplementedError

    def save(self, obj: Any, root: Path, ctx: SaveContext) -> Saved:
        """Writes ``obj``'s files into ``root`` (or defers them) and says what it wrote."""
        raise NotImplementedError

    def load(self, root: Path, meta: Dict[str, Any], ctx: LoadContext) -> Any:
        """Reads the model back from the version's folder and its metadata."""
        raise NotImplementedError

    def predict(self, obj: Any, example: Any) -> Any:
        """Returns the model's output for an example, or raises."""
        return obj.predict(example)

    def uses_pickle(self, meta: Dict[str, Any]) -> bool:
        """Whether loading this version runs pickle."""
        return meta.get("serializer") in PICKLE_SERIALIZERS


PICKLE_SERIALIZERS = ("pickle", "joblib")


def module_loaded(obj: Any, root: str) -> bool:
    """Whether ``obj``'s class comes from ``root`` (without importing it)."""
    return root in sys.modules and any(c.__module__.split(".")[0] == root for c in type(obj).__mro__)


def library_version(name: str) -> Optional[str]:
    """The installed version of a library by import name, or None."""
    try:
        mod = importlib.import_module(name)
    except Exception:
        return None
    v = getattr(mod, "__version__", None)
    if v is None:
        try:
            from importlib.metadata import version

            v = version(name)
        except Exception:
            return None
    return str(v)


def import_object(path: str, allowed_roots: Optional[Sequence[str]] = None) -> Any:
    """Imports ``module:qualname`` (or ``module.qualname``), refusing modules
    outside ``allowed_roots`` when given."""
    if ":" in path:
        module, qual = path.split(":", 1)
    else:
        module, _, qual = path.rpartition(".")
    if allowed_roots is not None and module.split(".")[0] not in allowed_roots:
        raise InvalidArgument(f"refusing to import {path}: only {', '.join(allowed_roots)} classes are loaded here", code="BAD_METADATA")
    obj: Any = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def class_path(obj: Any) -> str:
    """``module:qualname`` of an object's class."""
    t = type(obj)
    return f"{t.__module__}:{t.__qualname__}"


def _all() -> List[Flavor]:
    from .boosting import LightGBMFlavor, XGBoostFlavor
    from .onnx import ONNXFlavor
    from .pickle import PickleFlavor
    from .sklearn import SklearnFlavor
    from .tensors import NumpyFlavor, TorchFlavor

    # Order matters: boosting wrappers are sklearn-compatible too.
    return [TorchFlavor(), ONNXFlavor(), XGBoostFlavor(), LightGBMFlavor(), NumpyFlavor(), SklearnFlavor(), PickleFlavor()]


def by_name(name: str) -> Flavor:
    """The flavor called ``name``."""
    for f in _all():
        if f.name == name:
            return f
    raise InvalidArgument(f"unknown flavor {name!r}; known: {', '.join(f.name for f in _all())}", code="UNSUPPORTED_MODEL")


def detect(obj: Any, allow_pickle: bool) -> Flavor:
    """The flavor for an object, by type. Objects no flavor knows are
    pickled only with ``allow_pickle=True``."""
    for f in _all():
        if f.name != "pickle" and f.matches(obj):
            return f
    if allow_pickle:
        return by_name("pickle")
    raise InvalidArgument(
        f"no flavor saves a {type(obj).__module__}.{type(obj).__qualname__} without pickle; "
        "pass allow_pickle=True to pickle it (loading will demand allow_pickle=True too), or write it to files and use save_files",
        code="PICKLE_NOT_ALLOWED",
    )
