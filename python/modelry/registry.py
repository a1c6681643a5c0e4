"""The :class:`Registry`: models, versions, aliases, tags and metrics on a
Modelry server, and saving and loading real models in one call each."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, Mapping, Optional, Sequence, Union

from . import lineage as _lineage
from . import metadata as _meta
from . import refs as _refs
from . import transfer as _transfer
from ._dataset_api import DatasetMethods
from ._alias_api import AliasAuditMethods
from ._http import HTTPClient
from ._http import quote_segment as _q
from .cache import Cache
from .errors import CacheBusy, InvalidArgument, KindMismatch, ServerError
from .types import Model, Version

PathLike = Union[str, "os.PathLike[str]"]


class OfflineWarning(UserWarning):
    """A load used a version manifest from the cache because the server
    could not be reached."""


@dataclass
class ModelInfo:
    """A saved model's version, its ``modelry.json`` and its input example."""

    version: Version
    metadata: Dict[str, Any]
    input_example: Any
    path: Path


class Registry(AliasAuditMethods, DatasetMethods):
    """A Modelry server, from Python: models, and datasets (see
    :class:`~modelry._dataset_api.DatasetMethods` for those and lineage;
    :class:`~modelry._alias_api.AliasAuditMethods` for aliases, the audit
    log and tokens).

    Args:
        url: the server, e.g. ``"http://127.0.0.1:8080"``; when omitted,
            ``MODELRY_URL``, else the server of the last ``modelry login``,
            else that default.
        token: the API token; when omitted, ``MODELRY_TOKEN``, else the
            token ``modelry login`` saved for the server.
        cache_dir: the local cache; ``MODELRY_CACHE`` or ``~/.cache/modelry``
            when omitted (see :mod:`modelry.cache`).
        cache_max_bytes: prune the cache back under this size (bytes, or
            e.g. ``"20GB"``) after every load and save, least recently used
            first; ``MODELRY_CACHE_MAX_BYTES`` when omitted, else no limit.
        parallelism: files uploaded or downloaded at once.
        progress: show tqdm progress bars: ``None`` when stderr is a
            terminal, or always/never.
        timeout: seconds to wait on the network before giving up.

    Example::

        reg = modelry.Registry("http://127.0.0.1:8080", token="...")
        reg.register("churn", description="churn classifier")
        v = reg.save("churn", model, "1.0", metrics={"accuracy": 0.93}, alias="staging")
        model = reg.load("churn", "1.0")
    """

    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        *,
        cache_dir: Optional[PathLike] = None,
        cache_max_bytes: Union[int, str, None] = None,
        parallelism: int = _transfer.DEFAULT_PARALLELISM,
        progress: Optional[bool] = None,
        timeout: float = 300.0,
    ) -> None:
        self.client = HTTPClient(url, token, timeout=timeout, pool_size=max(8, parallelism * 2))
        self.cache = Cache(cache_dir, cache_max_bytes)
        self.parallelism = parallelism
        self.progress = progress

    @property
    def url(self) -> str:
        """The server's address."""
        return self.client.url

    def __repr__(self) -> str:
        return f"Registry({self.url!r})"

    def close(self) -> None:
        """Closes idle connections. The registry stays usable."""
        self.client.close()

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- models ----------------------------------------------------------

    def register(
        self, name: str, description: str = "", tags: Optional[Mapping[str, str]] = None, *,
        kind: str = "model", exist_ok: bool = False,
    ) -> Model:
        """Creates an empty model (or dataset, with ``kind="dataset"``).
        Raises :class:`AlreadyExists` if the name exists, unless
        ``exist_ok=True`` (then the existing one is returned unchanged).
        Saving a version creates its name too."""
        from .errors import AlreadyExists

        body: Dict[str, Any] = {"name": name, "description": description, "tags": dict(tags or {})}
        if kind != "model":
            body["kind"] = kind
        try:
            return Model.from_json(self.client.call("POST", "/api/v1/models", json_body=body))
        except AlreadyExists:
            if not exist_ok:
                raise
            return self.get_model(name)

    def get_model(self, name: str) -> Model:
        """Returns one model (raises :class:`NotFound`)."""
        return Model.from_json(self.client.call("GET", f"/api/v1/models/{_q(name)}"))

    def update_model(
        self, name: str, *, description: Optional[str] = None,
        set_tags: Optional[Mapping[str, str]] = None, remove_tags: Sequence[str] = (),
    ) -> Model:
        """Changes a model's description and tags."""
        return Model.from_json(self.client.call("PATCH", f"/api/v1/models/{_q(name)}", json_body=_patch(description, set_tags, remove_tags)))

    def delete_model(self, name: str) -> None:
        """Deletes a model with all its versions and aliases (admin)."""
        self.client.call("DELETE", f"/api/v1/models/{_q(name)}")

    def models(
        self, *, prefix: Optional[str] = None, tag: Optional[str] = None, alias: Optional[str] = None,
        kind: Optional[str] = None, page_size: int = 100,
    ) -> Iterator[Model]:
        """Iterates over names ordered by name, fetching pages as needed:
        models and datasets, or only one ``kind`` (``"model"`` or
        ``"dataset"``; :meth:`datasets` is the latter). ``tag`` is ``"KEY"``
        or ``"KEY=VALUE"``; ``alias`` keeps names with that alias set."""
        q = {"prefix": prefix, "tag": tag, "alias": alias, "kind": kind}
        for d in self.client.paginate("/api/v1/models", "models", q, page_size):
            yield Model.from_json(d)

    # --- versions --------------------------------------------------------

    def versions(
        self, name: str, *, tag: Optional[str] = None, alias: Optional[str] = None,
        include_deleted: bool = False, page_size: int = 100,
    ) -> Iterator[Version]:
        """Iterates over a model's versions, newest first, fetching pages as needed."""
        q = {"tag": tag, "alias": alias, "include_deleted": include_deleted or None}
        for d in self.client.paginate(f"/api/v1/models/{_q(name)}/versions", "versions", q, page_size):
            yield Version.from_json(d)

    def get(self, name: str, version: _refs.VersionSpec = None) -> Version:
        """Returns the version that ``version`` names: ``None`` (latest), an
        int (number), a label such as ``"1.0"``, ``"@alias"`` or
        ``"sha256:..."``; ``name`` may also be a full reference such as
        ``"iris@production"``."""
        return Version.from_json(self.client.call("GET", "/api/v1/resolve", query={"ref": _refs.to_ref(name, version)}))

    def update_version(
        self, name: str, version: _refs.VersionSpec, *, description: Optional[str] = None,
        set_tags: Optional[Mapping[str, str]] = None, remove_tags: Sequence[str] = (),
    ) -> Version:
        """Changes a version's description and tags (files, metrics and
        params never change)."""
        number = self._number(name, version)
        body = _patch(description, set_tags, remove_tags)
        return Version.from_json(self.client.call("PATCH", f"/api/v1/models/{_q(name)}/versions/{number}", json_body=body))

    def tag(self, name: str, version: _refs.VersionSpec, tags: Mapping[str, str]) -> Version:
        """Sets tags on a version (``reg.tag("iris", 3, {"stage": "candidate"})``)."""
        return self.update_version(name, version, set_tags=tags)

    def untag(self, name: str, version: _refs.VersionSpec, keys: Iterable[str]) -> Version:
        """Removes tags from a version."""
        return self.update_version(name, version, remove_tags=list(keys))

    def delete_version(self, name: str, version: _refs.VersionSpec) -> Version:
        """Soft-deletes a version, named explicitly (number, label,
        ``"@alias"`` or digest); refused while an alias points at it."""
        if version is None and not _refs.is_full_ref(name):
            raise InvalidArgument(f"{name!r} names no version; give one explicitly, or use delete_model", code="INVALID_ARGUMENT")
        number = self._number(name, version)
        model = _refs.split_ref(_refs.to_ref(name, version))[0]
        return Version.from_json(self.client.call("DELETE", f"/api/v1/models/{_q(model)}/versions/{number}"))

    def _number(self, name: str, version: _refs.VersionSpec) -> int:
        if isinstance(version, int) and not isinstance(version, bool):
            return version
        return self.get(name, version).version

    # --- saving ----------------------------------------------------------

    def save(
        self,
        name: str,
        model: Any,
        label: Optional[str] = None,
        *,
        description: str = "",
        metrics: Optional[Mapping[str, float]] = None,
        params: Optional[Mapping[str, Any]] = None,
        tags: Optional[Mapping[str, str]] = None,
        alias: Union[str, Sequence[str], None] = None,
        input_example: Any = None,
        allow_pickle: bool = False,
        serializer: Optional[str] = None,
        flavor: Optional[str] = None,
        flavor_options: Optional[Mapping[str, Any]] = None,
        datasets: Optional[Mapping[str, Any]] = None,
        parent: Optional[_lineage.VersionLike] = None,
        run_id: Optional[str] = None,
        source: Optional[Mapping[str, Any]] = None,
        git: Union[bool, PathLike] = True,
        require_clean: bool = False,
    ) -> Version:
        """Saves a model object as a new version and returns it.

        The flavor is picked from the object's type (see
        :mod:`modelry.flavors`); scikit-learn models are written with skops.
        pickle or joblib (``serializer="pickle"``/``"joblib"``, or objects
        no flavor knows) need ``allow_pickle=True``. ``input_example``
        (e.g. ``X[:5]``, or a pandas DataFrame) is stored with the model, and
        the input/output schema is derived from it. ``params`` values are
        turned into strings. ``alias`` (one or several) points at the new
        version in the same commit. Files the server already has are not
        sent: ``v.upload_report.uploaded_bytes`` says what was. Small files
        are kept in the local cache; weights streamed from memory are not (a
        second copy on disk would slow the save), so loading them back
        downloads them once.

        Provenance (see :mod:`modelry.lineage` and :mod:`modelry.gitsource`):
        ``datasets`` maps a role to the dataset versions used, e.g.
        ``{"train": "sales/3", "eval": "holdout@current"}``; ``parent`` is
        the model version this one derives from (``"base@2"``); ``run_id``
        is the MLflow run that trained it. The git commit, branch, remote
        and uncommitted changes of the current working directory's
        repository are recorded (``git=False`` skips that; a path reads
        another repository); ``require_clean=True`` raises
        :class:`~modelry.errors.DirtyWorkTree` before anything is uploaded
        when the work tree has uncommitted changes. ``source`` sets
        ``source`` fields by hand (they win over what is captured).

        Raises :class:`~modelry.errors.InvalidArgument` (code
        KIND_MISMATCH) when ``name`` is a dataset.
        """
        meta = _lineage.provenance(datasets, parent, run_id, source, git, require_clean)
        with self._staging() as (stage, keep):
            _, deferred = _meta.stage_model(
                model, stage, flavor=flavor, input_example=input_example, allow_pickle=allow_pickle,
                serializer=serializer, flavor_options=dict(flavor_options or {}),
            )
            local = _transfer.collect_files(stage)
            local += [_transfer.LocalFile(n, str(stage / n), size=d.size, source=d) for n, d in deferred.items()]
            local.sort(key=lambda f: f.path)
            return self._push(name, local, label, description, metrics, params, tags, alias, meta, keep, adopt=True)

    def save_files(
        self,
        name: str,
        paths: Union[PathLike, Sequence[PathLike]],
        label: Optional[str] = None,
        *,
        description: str = "",
        metrics: Optional[Mapping[str, float]] = None,
        params: Optional[Mapping[str, Any]] = None,
        tags: Optional[Mapping[str, str]] = None,
        alias: Union[str, Sequence[str], None] = None,
        datasets: Optional[Mapping[str, Any]] = None,
        parent: Optional[_lineage.VersionLike] = None,
        run_id: Optional[str] = None,
        source: Optional[Mapping[str, Any]] = None,
        git: Union[bool, PathLike] = True,
        require_clean: bool = False,
    ) -> Version:
        """Saves your own files and folders as a new model version, as
        ``modelry push`` does: one folder contributes its contents; one file
        keeps its base name; with several inputs, each folder's contents go
        under its name. Symbolic links inside a folder are kept. Lineage, git
        capture and ``require_clean`` work as in :meth:`save`."""
        meta = _lineage.provenance(datasets, parent, run_id, source, git, require_clean)
        with self._cache_use() as keep:
            return self._push(name, paths, label, description, metrics, params, tags, alias, meta, keep, adopt=False)

    def _push(self, name: str, paths: Any, label: Optional[str], description: str, metrics: Optional[Mapping[str, float]],
              params: Optional[Mapping[str, Any]], tags: Optional[Mapping[str, str]], alias: Union[str, Sequence[str], None],
              extra: Dict[str, Any], keep: "set[str]", adopt: bool) -> Version:
        """Uploads files and creates the version; with ``adopt`` the files
        (written by the SDK into the cache's tmp/) move into the cache, and
        their digests into ``keep``. Call inside :meth:`_cache_use`."""
        local = paths if isinstance(paths, list) and paths and isinstance(paths[0], _transfer.LocalFile) else _transfer.collect_files(paths)
        files, report = _transfer.upload(self.client, local, parallelism=self.parallelism, progress=self.progress)
        body: Dict[str, Any] = {
            "files": [f.to_json() for f in files],
            "description": description,
            "metrics": {k: float(v) for k, v in (metrics or {}).items()},
            "params": {k: str(v) for k, v in (params or {}).items()},
            "tags": dict(tags or {}),
            "aliases": [alias] if isinstance(alias, str) else list(alias or []),
            **extra,
        }
        if label:
            body["label"] = label
        v = Version.from_json(self._create_version(name, body))
        v.upload_report = report
        if adopt:  # the files save wrote are moved into the cache: loading them needs no download
            for f in local:
                if not f.target and os.path.exists(f.abs) and not self.cache.blob_path(f.digest).exists():
                    self.cache.adopt(f.abs, f.digest)
                    keep.add(f.digest)
        return v

    def _create_version(self, name: str, body: Dict[str, Any]) -> Dict[str, Any]:
        try:
            return dict(self.client.call("POST", f"/api/v1/models/{_q(name)}/versions", json_body=body))
        except KindMismatch as e:
            for kind, call in (("dataset", "save_dataset"), ("model", "save or save_files")):
                if f'"{name}" is a {kind}, not a' in e.message:
                    msg = f'"{name}" is a {kind}; a name holds models or datasets, never both: use {call} for it, or another name'
                    raise KindMismatch(msg, kind, status=e.status) from e
            raise

    @contextmanager
    def _staging(self) -> Iterator["tuple[Path, set[str]]"]:
        """A folder in the cache's tmp/ for a save to write into, removed
        at the end, with the cache held in use throughout."""
        with self._cache_use() as keep:
            stage = Path(tempfile.mkdtemp(prefix="save-", dir=self.cache.tmp_dir()))
            try:
                yield stage, keep
            finally:
                shutil.rmtree(stage, ignore_errors=True)

    @contextmanager
    def _cache_use(self) -> Iterator["set[str]"]:
        """Holds the cache in use for a load or save, then prunes it back
        under its size limit (if any), keeping the digests the block added
        to the yielded set. A prune that would wait for other loads skips
        its turn."""
        keep: "set[str]" = set()
        with self.cache.in_use():
            yield keep
        if self.cache.max_bytes is not None:
            try:
                self.cache.prune(keep=keep, timeout=0)
            except CacheBusy:
                pass

    # --- loading ---------------------------------------------------------

    def load(
        self,
        name: str,
        version: _refs.VersionSpec = None,
        *,
        allow_pickle: bool = False,
        force: bool = False,
        offline: bool = False,
        trusted: Optional[Sequence[str]] = None,
        model: Any = None,
        providers: Optional[Sequence[str]] = None,
    ) -> Any:
        """Loads a model saved with :meth:`save` and returns the object.

        ``version``: ``None`` (latest), an int (number), a label such as
        ``"1.0"``, ``"@production"`` or ``"sha256:..."``. Files come from the
        local cache when they are there (verified first), else from the
        server. If the server cannot be reached, a reference resolved
        before is served from the cache with an :class:`OfflineWarning`;
        ``offline=True`` does so without asking the server at all.

        Pickled models need ``allow_pickle=True``. A library whose major
        version differs from the saved one raises
        :class:`LibraryVersionError` unless ``force=True``. ``trusted`` names
        extra types a skops file may construct; ``model`` is a torch module
        to load weights into; ``providers`` are onnxruntime's.
        """
        opts = {"trusted": list(trusted or []), "model": model, "providers": list(providers or [])}
        with self._cache_use() as keep:
            info = self._fetch(name, version, offline, keep)
            return _meta.read_model(info.path, allow_pickle=allow_pickle, force=force, options=opts)

    def load_info(self, name: str, version: _refs.VersionSpec = None, *, offline: bool = False) -> ModelInfo:
        """Returns a saved model's version, ``modelry.json`` and input
        example, without loading the model."""
        with self._cache_use() as keep:
            info = self._fetch(name, version, offline, keep)
            meta = _meta.read_metadata(info.path)
            return ModelInfo(info.version, meta, _meta.read_example(info.path, meta), info.path)

    def load_files(
        self, name: str, version: _refs.VersionSpec = None, dest: Optional[PathLike] = None, *,
        offline: bool = False, link: bool = False,
    ) -> Path:
        """Fetches a version's files and returns the folder that holds them.

        With ``dest`` the files are copied there (hard-linked with
        ``link=True``; then do not edit them) and ``dest`` is returned.
        Without, the returned folder is inside the cache and read-only: its
        files are links to cached blobs (with a cache size limit, a later
        load or save may prune them: pass ``dest`` for a lasting copy).
        """
        with self._cache_use() as keep:
            info = self._fetch(name, version, offline, keep)
            if dest is None:
                return info.path
            blobs = {f.path: self.cache.blob_path(f.digest) for f in info.version.files if not f.is_link}
            return _transfer.materialize(info.version.files, blobs, dest, link=link)

    def _fetch(self, name: str, version: _refs.VersionSpec, offline: bool, keep: "set[str]") -> "_Fetched":
        """Resolves a version and makes its files present in the cache;
        adds their digests to ``keep`` (spared by the prune that follows)."""
        ref, model, kind = _refs.resolve_args(name, version)
        v, client = self._resolve(ref, model, kind, offline)
        keep.update(f.digest for f in v.files if not f.is_link)
        _, report = _transfer.download(client, v.files, self.cache, parallelism=self.parallelism, progress=self.progress)
        v.download_report = report
        return _Fetched(v, self.cache.tree(v.digest, v.files))

    def _resolve(self, ref: str, model: str, kind: str, offline: bool) -> "tuple[Version, Optional[HTTPClient]]":
        if not offline:
            try:
                raw = self.client.call("GET", "/api/v1/resolve", query={"ref": ref})
            except ServerError as e:
                if e.code != "CONNECTION_FAILED" and (e.status or 0) < 500:
                    raise
                cached = self.cache.find_version(self.url, model, ref)
                if cached is None:
                    raise
                v, when = Version.from_json(cached[0]), cached[1]
                warnings.warn(_offline_note(ref, v, kind, when, f"the server at {self.url} cannot be reached ({e.message})"), OfflineWarning, stacklevel=4)
                return v, None
            self.cache.save_version(self.url, ref, raw)
            return Version.from_json(raw), self.client
        cached = self.cache.find_version(self.url, model, ref)
        if cached is None:
            raise ServerError(f"{ref} was never resolved with this cache ({self.cache.root}); load it once online first", code="CONNECTION_FAILED")
        v = Version.from_json(cached[0])
        if not _refs.is_immutable(kind):
            warnings.warn(_offline_note(ref, v, kind, cached[1], "offline=True"), OfflineWarning, stacklevel=4)
        return v, None


@dataclass
class _Fetched:
    version: Version
    path: Path


def _offline_note(ref: str, v: Version, kind: str, when: float, why: str) -> str:
    age = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
    note = f"{why}: using {v.ref} from the cache for {ref}"
    if not _refs.is_immutable(kind):
        note += f"; {ref} can move, and pointed there when last resolved at {age}"
    return note


def _patch(description: Optional[str], set_tags: Optional[Mapping[str, str]], remove_tags: Sequence[str]) -> Dict[str, Any]:
    body: Dict[str, Any] = {}
    if description is not None:
        body["description"] = description
    if set_tags:
        body["set_tags"] = dict(set_tags)
    if remove_tags:
        body["remove_tags"] = list(remove_tags)
    return body
