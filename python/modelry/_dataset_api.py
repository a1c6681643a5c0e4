"""The dataset and lineage calls of :class:`~modelry.Registry` (a mixin: the
registry's transfer, cache and HTTP plumbing does the work)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Optional, Sequence, Union

from . import datasets as _datasets
from . import lineage as _lineage
from . import refs as _refs
from . import transfer as _transfer
from ._http import HTTPClient
from .cache import Cache
from .errors import InvalidArgument
from .types import Model, Version

if TYPE_CHECKING:  # pragma: no cover
    from .registry import PathLike
else:
    PathLike = Any


class DatasetMethods:
    """Datasets and lineage; :class:`~modelry.Registry` has these methods
    (they use its private save and fetch helpers)."""

    client: HTTPClient
    cache: Cache

    def save_dataset(
        self,
        name: str,
        data: Any,
        label: Optional[str] = None,
        *,
        description: str = "",
        metrics: Optional[Mapping[str, float]] = None,
        params: Optional[Mapping[str, Any]] = None,
        tags: Optional[Mapping[str, str]] = None,
        alias: Union[str, Sequence[str], None] = None,
        datasets: Optional[Mapping[str, Any]] = None,
        parent: Optional[_lineage.VersionLike] = None,
        source: Optional[Mapping[str, Any]] = None,
        git: Union[bool, "PathLike"] = True,
        require_clean: bool = False,
    ) -> Version:
        """Saves a dataset version and returns it.

        ``data`` is a pandas DataFrame (stored as Parquet with a
        ``modelry.json`` recording its columns, dtypes and row count; see
        :mod:`modelry.datasets`), a file, a folder, or a list of those
        (stored as they are, named as :meth:`save_files` names them).
        Unchanged files are not sent again: re-saving an equal DataFrame
        uploads 0 bytes. Labels, aliases, tags, git capture and
        ``require_clean`` work as in :meth:`save`; so does lineage: a
        dataset derived from others names them in ``datasets`` (by role,
        e.g. ``{"raw": "sales-raw/7"}``) and its previous dataset version
        in ``parent``.

        Raises :class:`~modelry.errors.InvalidArgument` (code
        KIND_MISMATCH) when ``name`` is a model: models and datasets
        share one namespace.

        Example::

            v = reg.save_dataset("sales", df, "2026-11", alias="current")
            reg.save_dataset("images", "./images/")
        """
        if not _datasets.is_dataframe(data) and not _is_paths(data):
            raise InvalidArgument(
                f"data must be a pandas DataFrame, a path, or a list of paths, not a {type(data).__module__}.{type(data).__qualname__}",
                code="INVALID_ARGUMENT",
            )
        meta = _lineage.provenance(datasets, parent, None, source, git, require_clean, kind="dataset")
        if not _datasets.is_dataframe(data):
            with self._cache_use() as keep:
                return self._push(name, data, label, description, metrics, params, tags, alias, meta, keep, adopt=False)
        with self._staging() as (stage, keep):
            _datasets.write_dataframe(data, stage)
            local = _transfer.collect_files(stage)
            return self._push(name, local, label, description, metrics, params, tags, alias, meta, keep, adopt=True)

    def load_dataset(
        self, name: str, version: _refs.VersionSpec = None, *, dest: Optional["PathLike"] = None,
        offline: bool = False, link: bool = False,
    ) -> Any:
        """Loads a dataset version: a DataFrame for one saved from a
        DataFrame, else the folder holding its verified files (in the cache
        and read-only, or a copy in ``dest``, as :meth:`load_files` does).
        ``name`` and ``version`` name it as in :meth:`load` (``"sales/3"``,
        ``"sales@current"``, ``("sales", 3)``...).

        Example::

            df = reg.load_dataset("sales@current")
            folder = reg.load_dataset("images", 2)
        """
        with self._cache_use() as keep:
            info = self._fetch(name, version, offline, keep)
            meta = _datasets.read_metadata(info.path)
            if meta is not None:
                return _datasets.read_dataframe(info.path, meta)
            if dest is None:
                return info.path
            blobs = {f.path: self.cache.blob_path(f.digest) for f in info.version.files if not f.is_link}
            return _transfer.materialize(info.version.files, blobs, dest, link=link)

    def datasets(self, *, prefix: Optional[str] = None, tag: Optional[str] = None, alias: Optional[str] = None, page_size: int = 100) -> Iterator[Model]:
        """Iterates over datasets ordered by name, fetching pages as needed
        (their versions: :meth:`versions`)."""
        return self.models(prefix=prefix, tag=tag, alias=alias, kind="dataset", page_size=page_size)

    def lineage(self, name: str, version: _refs.VersionSpec = None, *, depth: Optional[int] = None) -> _lineage.LineageGraph:
        """What made a version, upstream: the dataset versions and parent
        model versions it declares, theirs in turn, up to ``depth`` edges
        away (1 to 100; the server's default, 10, when ``None``). See :class:`~modelry.lineage.LineageGraph`.

        Example::

            g = reg.lineage("churn/3")
            [(e.source, e.role) for e in g.inputs(g.root)]   # [("sales/3", "train"), ("base/2", "parent")]
        """
        return self._graph("/api/v1/lineage", name, version, depth)

    def used_by(self, name: str, version: _refs.VersionSpec = None, *, depth: Optional[int] = None) -> _lineage.LineageGraph:
        """What a version went into, downstream: the live versions that used
        it as a dataset or parent, up to ``depth`` edges away (as in
        :meth:`lineage`). A bare name (``"sales"``) means every version of it.

        Example::

            g = reg.used_by("sales/3")
            [e.target for e in g.outputs("sales/3")]   # ["churn/3"]
        """
        return self._graph("/api/v1/used-by", name, version, depth)

    def _graph(self, path: str, name: str, version: _refs.VersionSpec, depth: Optional[int]) -> _lineage.LineageGraph:
        if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= 100):
            raise InvalidArgument(f"depth is a number of edges from 1 to 100 (or None for the server's default), not {depth!r}", code="INVALID_ARGUMENT")
        q = {"ref": _refs.to_ref(name, version), "depth": depth}
        return _lineage.LineageGraph.from_json(self.client.call("GET", path, query=q))


def _is_paths(x: Any) -> bool:
    if isinstance(x, (str, os.PathLike)):
        return True
    return isinstance(x, (list, tuple)) and bool(x) and all(isinstance(p, (str, os.PathLike)) for p in x)
