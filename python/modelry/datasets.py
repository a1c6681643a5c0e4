"""Datasets: versioned like models, in the same store, under the same kinds
of references (``sales/3``, ``sales:2026-11``, ``sales@current``); a name is
either a model or a dataset, never both.

:meth:`Registry.save_dataset` takes a pandas DataFrame, a file, a folder or
a list of files and folders. Files and folders are stored as they are, as
``modelry data push`` stores them. A DataFrame is written as Parquet (with
pyarrow) beside a ``modelry.json``::

    data.parquet      the frame, index included (a default RangeIndex is kept as metadata)
    modelry.json      {"format": 1, "kind": "dataset", "data_format": "parquet",
                       "data_files": ["data.parquet"], "rows": 1000,
                       "columns": [{"name": "age", "dtype": "int64"}, ...],
                       "libraries": {"pandas": "...", "pyarrow": "..."},
                       "sdk": "modelry-python 0.1.0"}

Neither file holds a time stamp, so saving an unchanged frame again uploads
nothing. :meth:`Registry.load_dataset` returns the DataFrame for such a
version, and the folder of its verified files for any other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional

from . import __version__
from .errors import InvalidArgument

METADATA_FILE = "modelry.json"
DATA_FILE = "data.parquet"
FORMAT = 1


def is_dataframe(x: Any) -> bool:
    """Whether ``x`` is a pandas DataFrame (without importing pandas)."""
    t = type(x)
    return t.__name__ == "DataFrame" and t.__module__.split(".")[0] == "pandas"


def write_dataframe(df: Any, root: Path) -> Dict[str, Any]:
    """Writes ``df`` as ``data.parquet`` and its ``modelry.json`` into the
    folder ``root``; returns the metadata."""
    try:
        import pyarrow
    except ImportError as e:
        raise InvalidArgument("saving a DataFrame needs pyarrow: pip install pyarrow", code="UNSUPPORTED_DATA") from e
    import pandas

    bad = [c for c in df.columns if not isinstance(c, str)]
    if bad:
        raise InvalidArgument(
            f"Parquet needs string column names; these are not: {bad[:5]!r}; rename them, e.g. df.columns = df.columns.astype(str)",
            code="INVALID_ARGUMENT",
        )
    try:
        df.to_parquet(root / DATA_FILE, engine="pyarrow")
    except (ValueError, TypeError, pyarrow.ArrowException) as e:
        raise InvalidArgument(f"this DataFrame cannot be written as Parquet: {e}", code="UNSUPPORTED_DATA") from e
    meta = {
        "format": FORMAT,
        "kind": "dataset",
        "data_format": "parquet",
        "data_files": [DATA_FILE],
        "rows": int(len(df)),
        "columns": [{"name": str(c), "dtype": str(t)} for c, t in zip(df.columns, df.dtypes)],
        "libraries": {"pandas": pandas.__version__, "pyarrow": pyarrow.__version__},
        "sdk": f"modelry-python {__version__}",
    }
    (root / METADATA_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def read_metadata(root: Path) -> Optional[Dict[str, Any]]:
    """The ``modelry.json`` of a dataset saved from a DataFrame, or None for
    a dataset of plain files (which may hold a ``modelry.json`` of their own)."""
    p = root / METADATA_FILE
    try:
        meta = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("kind") != "dataset":
        return None
    if meta.get("format") != FORMAT or meta.get("data_format") != "parquet" or not meta.get("data_files"):
        raise InvalidArgument(f"this dataset's {METADATA_FILE} has an unknown format; a newer SDK may be needed", code="BAD_METADATA")
    return meta


def read_dataframe(root: Path, meta: Dict[str, Any]) -> Any:
    """Reads the DataFrame of a dataset folder and its metadata."""
    try:
        import pandas
    except ImportError as e:
        raise InvalidArgument("this dataset is a DataFrame: pip install pandas pyarrow to load it, or use load_files", code="UNSUPPORTED_DATA") from e
    files = [root / f for f in meta["data_files"]]
    frames = [pandas.read_parquet(f, engine="pyarrow") for f in files]
    return frames[0] if len(frames) == 1 else pandas.concat(frames)
