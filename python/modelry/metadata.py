"""The ``modelry.json`` file every model version saved by :meth:`Registry.save`
carries, and the writing and reading of a model folder.

A saved version holds::

    modelry.json          this metadata (below)
    model.<ext>           the model, in its flavor's format
    input_example.npy     the input example, when given (an array; other
    input_example.json    examples, such as DataFrames, lists or dicts of
                          arrays, as JSON: a DataFrame in pandas' "split" form)

``modelry.json`` (``format`` 1)::

    {
      "format": 1,
      "flavor": "sklearn",                     # see modelry.flavors
      "serializer": "skops",                   # skops, pickle, joblib, safetensors, onnx, xgboost-ubj, lightgbm-text
      "model_files": ["model.skops"],
      "python": "3.11.7",
      "libraries": {"sklearn": "1.9.1", "skops": "0.16.0", "numpy": "2.4.6"},   # import name -> version
      "options": {...},                        # flavor-specific, e.g. the class's import path
      "signature": {"inputs": SCHEMA, "outputs": SCHEMA} or null,
      "input_example": "input_example.npy" or null,
      "sdk": "modelry-python 0.1.0"
    }

A SCHEMA is ``{"type": "tensor", "dtype": "float64", "shape": [-1, 4]}``
(the first dimension is -1: any batch size), ``{"type": "dataframe",
"columns": {name: dtype}}`` (a pandas DataFrame), ``{"type": "dict", "fields":
{name: SCHEMA}}``, ``{"type": "list", "length": n}``, or ``{"type": NAME}``
for other Python types. The file holds no time stamp, so saving the same
model twice gives the same bytes and uploads nothing the second time.

Load compares ``libraries`` with the installed versions (of the libraries the
flavor needs to load): a different major version raises
:class:`~modelry.errors.LibraryVersionError` unless ``force=True``; a
different minor version warns with :class:`LibraryVersionWarning`. For
pickled models the Python version is compared the same way.
"""

from __future__ import annotations

import json
import platform
import re
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from . import __version__
from . import flavors as _flavors
from .errors import InvalidArgument, LibraryVersionError

METADATA_FILE = "modelry.json"
FORMAT = 1


class LibraryVersionWarning(UserWarning):
    """A saved model was made with another minor version of a library."""


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:  # pragma: no cover - every flavor that takes examples brings numpy
        return None
    return numpy


def describe(x: Any, batch: bool = True) -> Dict[str, Any]:
    """The schema of a value (see the module doc)."""
    np = _numpy()
    if np is not None and isinstance(x, np.ndarray):
        shape = list(x.shape)
        if batch and shape:
            shape[0] = -1
        return {"type": "tensor", "dtype": str(x.dtype), "shape": shape}
    if hasattr(x, "dtypes") and hasattr(x, "columns"):  # a pandas DataFrame
        return {"type": "dataframe", "columns": {str(c): str(t) for c, t in zip(x.columns, x.dtypes)}}
    if isinstance(x, dict):
        return {"type": "dict", "fields": {str(k): describe(v, batch) for k, v in x.items()}}
    if isinstance(x, (list, tuple)):
        return {"type": "list", "length": len(x)}
    return {"type": type(x).__name__}


def write_example(example: Any, root: Path) -> Optional[str]:
    """Writes the input example; returns its file name, or None if it cannot
    be stored without pickle (a warning says so)."""
    np = _numpy()
    if np is not None and isinstance(example, np.ndarray) and example.dtype != object:
        np.save(root / "input_example.npy", example, allow_pickle=False)
        return "input_example.npy"
    try:
        if hasattr(example, "to_json"):  # pandas
            text = example.to_json(orient="split")
        else:
            text = json.dumps(_jsonable(example), sort_keys=True)
    except (TypeError, ValueError) as e:
        warnings.warn(f"the input example is not stored: {e}", stacklevel=3)
        return None
    (root / "input_example.json").write_text(text)
    return "input_example.json"


def _jsonable(x: Any) -> Any:
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return x


def read_example(root: Path, meta: Dict[str, Any]) -> Any:
    """Reads the input example back (an ndarray; a DataFrame, with its
    recorded dtypes, when it was one and pandas is installed; else decoded
    JSON), or None."""
    name = meta.get("input_example")
    if not name:
        return None
    if name.endswith(".npy"):
        import numpy as np

        return np.load(root / name, allow_pickle=False)
    text = (root / name).read_text()
    inputs = (meta.get("signature") or {}).get("inputs") or {}
    if inputs.get("type") == "dataframe":
        frame = _read_frame(text, inputs.get("columns") or {})
        if frame is not None:
            return frame
    return json.loads(text)


def _read_frame(text: str, columns: Dict[str, str]) -> Any:
    try:
        import io

        import pandas
    except ImportError:
        return None
    frame = pandas.read_json(io.StringIO(text), orient="split")
    try:
        return frame.astype({c: t for c, t in columns.items() if c in frame.columns})
    except (TypeError, ValueError):  # a dtype this pandas does not know: keep what JSON gave
        return frame


def write_model(obj: Any, root: Path, **kw: Any) -> Dict[str, Any]:
    """Writes a model and its ``modelry.json`` into the empty folder ``root``
    and returns the metadata. Takes the keyword arguments of :func:`stage_model`."""
    meta, deferred = stage_model(obj, root, **kw)
    for name, d in deferred.items():
        d.write(str(root / name))
    return meta


def stage_model(
    obj: Any,
    root: Path,
    *,
    flavor: Optional[str] = None,
    input_example: Any = None,
    allow_pickle: bool = False,
    serializer: Optional[str] = None,
    flavor_options: Optional[Dict[str, Any]] = None,
) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Like :func:`write_model`, but leaves the files a flavor can produce on
    demand unwritten: returns the metadata and {file name: producer} (see
    :class:`modelry.flavors.Saved`)."""
    fl = _flavors.by_name(flavor) if flavor else _flavors.detect(obj, allow_pickle)
    ctx = _flavors.SaveContext(allow_pickle=allow_pickle, serializer=serializer, options=dict(flavor_options or {}))
    saved = fl.save(obj, root, ctx)
    signature = None
    example_file = None
    if input_example is not None:
        example_file = write_example(input_example, root)
        signature = {"inputs": describe(input_example), "outputs": None}
        try:
            signature["outputs"] = describe(fl.predict(obj, input_example))
        except Exception:
            pass  # a model that cannot predict on its example still saves
    libs = {}
    for name in saved.libraries:
        v = _flavors.library_version(name)
        if v is not None:
            libs[name] = v
    meta = {
        "format": FORMAT,
        "flavor": fl.name,
        "serializer": saved.serializer,
        "model_files": saved.files,
        "python": platform.python_version(),
        "libraries": libs,
        "options": saved.options,
        "signature": signature,
        "input_example": example_file,
        "sdk": f"modelry-python {__version__}",
    }
    (root / METADATA_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta, saved.deferred


def read_metadata(root: Path) -> Dict[str, Any]:
    """Reads and checks ``modelry.json``."""
    p = root / METADATA_FILE
    if not p.exists():
        raise InvalidArgument(
            f"this version has no {METADATA_FILE}: it was not saved with Registry.save; use load_files to get its files",
            code="BAD_METADATA",
        )
    try:
        meta = json.loads(p.read_text())
    except ValueError as e:
        raise InvalidArgument(f"{METADATA_FILE} is not valid JSON: {e}", code="BAD_METADATA") from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or not meta.get("flavor") or not meta.get("model_files"):
        raise InvalidArgument(f"{METADATA_FILE} has an unknown format; a newer SDK may be needed", code="BAD_METADATA")
    return meta


def read_model(root: Path, *, allow_pickle: bool = False, force: bool = False, options: Optional[Dict[str, Any]] = None) -> Any:
    """Loads the model in folder ``root`` as its ``modelry.json`` says."""
    meta = read_metadata(root)
    fl = _flavors.by_name(meta["flavor"])
    if fl.uses_pickle(meta):
        from .flavors.pickle import require_pickle

        require_pickle(allow_pickle, "this version")
    check_versions(meta, fl, force)
    return fl.load(root, meta, _flavors.LoadContext(allow_pickle=allow_pickle, options=dict(options or {})))


def _major_minor(v: str) -> Optional[Tuple[int, int]]:
    m = re.match(r"^(\d+)(?:\.(\d+))?", v)
    return (int(m.group(1)), int(m.group(2) or 0)) if m else None


def check_versions(meta: Dict[str, Any], fl: "_flavors.Flavor", force: bool) -> None:
    """Compares recorded library versions with the installed ones."""
    recorded = dict(meta.get("libraries") or {})
    wanted = {k: v for k, v in recorded.items() if k in fl.load_libraries}
    if fl.uses_pickle(meta):
        wanted = dict(recorded)
        wanted["python"] = meta.get("python", "")
    majors: List[str] = []
    minors: List[str] = []
    for name, saved in sorted(wanted.items()):
        have = platform.python_version() if name == "python" else _flavors.library_version(name)
        if have is None:
            majors.append(f"{name} {saved} (not installed)")
            continue
        a, b = _major_minor(saved), _major_minor(have)
        if a is None or b is None or a == b:
            continue
        (majors if a[0] != b[0] else minors).append(f"{name}: saved with {saved}, installed {have}")
    if majors and not force:
        raise LibraryVersionError(
            "this model was saved with other major versions of " + "; ".join(majors)
            + ". Install the saved versions, or pass force=True to try anyway",
            code="LIBRARY_VERSION_MISMATCH",
        )
    if majors or minors:
        warnings.warn("library versions differ from the saved model's: " + "; ".join(majors + minors), LibraryVersionWarning, stacklevel=4)
