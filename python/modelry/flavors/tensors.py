"""Tensors and weights as safetensors, which holds only numbers and loads
without running code.

numpy: a ``dict`` of ``str`` to ``numpy.ndarray`` (or one ndarray, kept
under the key ``"array"``) as ``model.safetensors``; loads as the same
dict (or the array). Common dtypes are written by
:mod:`modelry.safetensors_io` straight from the arrays' memory while they
upload, and read back by mapping the cached file copy-on-write; other
dtypes (e.g. bfloat16) go through the safetensors package.

torch: a ``torch.nn.Module``'s ``state_dict`` as ``model.safetensors``
(written deterministically by :func:`_torch_plan`, streamed like numpy) plus
the import path of its class and the keyword arguments to build it (pass
``flavor_options={"init_kwargs": {...}}`` to save). Load imports the class,
builds it, loads the weights and calls ``eval()``; pass ``model=`` an
instance to load the weights into it instead. A class defined in
``__main__`` cannot be imported elsewhere: load then needs ``model=``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from ..errors import InvalidArgument
from . import Flavor, LoadContext, SaveContext, Saved, class_path, import_object, module_loaded


class NumpyFlavor(Flavor):
    """A dict of numpy arrays (or one array) as safetensors."""

    name = "numpy"
    load_libraries = ("numpy",)

    def matches(self, obj: Any) -> bool:
        try:
            import numpy as np
        except ImportError:
            return False
        if isinstance(obj, np.ndarray):
            return obj.dtype != object
        return (
            isinstance(obj, dict) and len(obj) > 0
            and all(isinstance(k, str) and isinstance(v, np.ndarray) and v.dtype != object for k, v in obj.items())
        )

    def save(self, obj: Any, root: Path, ctx: SaveContext) -> Saved:
        import numpy as np

        from .. import safetensors_io

        single = isinstance(obj, np.ndarray)
        tensors = {"array": obj} if single else obj
        opts = {"single_array": single}
        if safetensors_io.supported(tensors):  # written while uploading, without copies
            return Saved("safetensors", ["model.safetensors"], ["numpy"], opts, deferred={"model.safetensors": safetensors_io.plan(tensors)})
        from safetensors.numpy import save_file  # other dtypes, e.g. bfloat16

        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(root / "model.safetensors"))
        return Saved("safetensors", ["model.safetensors"], ["numpy", "safetensors"], opts)

    def load(self, root: Path, meta: Dict[str, Any], ctx: LoadContext) -> Any:
        """Maps the file copy-on-write (see modelry.safetensors_io.read):
        loading costs no copy, the arrays are writable, the cache stays intact."""
        from .. import safetensors_io

        path = str(root / meta["model_files"][0])
        if "safetensors" in (meta.get("libraries") or {}):
            from safetensors.numpy import load_file

            tensors = load_file(path)
        else:
            tensors = safetensors_io.read(path)
        return tensors["array"] if meta.get("options", {}).get("single_array") else tensors

    def predict(self, obj: Any, example: Any) -> Any:
        raise TypeError("weights do not predict")


class TorchFlavor(Flavor):
    """A torch module's state_dict as safetensors, plus its class's import path."""

    name = "torch"
    load_libraries = ("torch", "safetensors")

    def matches(self, obj: Any) -> bool:
        if not module_loaded(obj, "torch"):
            return False
        import torch

        return isinstance(obj, torch.nn.Module)

    def save(self, obj: Any, root: Path, ctx: SaveContext) -> Saved:
        opts = {"class": class_path(obj), "init_kwargs": dict(ctx.options.get("init_kwargs") or {})}
        plan = _torch_plan(obj)
        return Saved("safetensors", ["model.safetensors"], ["torch", "safetensors"], opts, deferred={"model.safetensors": plan})

    def load(self, root: Path, meta: Dict[str, Any], ctx: LoadContext) -> Any:
        from safetensors.torch import load_model

        model = ctx.options.get("model")
        if model is None:
            path = meta["options"]["class"]
            if path.startswith("__main__:"):
                raise InvalidArgument(
                    f"the module class {path} was defined in a script and cannot be imported; pass model=<an instance> to load the weights into",
                    code="INVALID_ARGUMENT",
                )
            model = import_object(path)(**meta["options"].get("init_kwargs", {}))
        load_model(model, str(root / meta["model_files"][0]))
        model.eval()
        return model

    def predict(self, obj: Any, example: Any) -> Any:
        import torch

        with torch.no_grad():
            was_training = obj.training
            obj.eval()
            try:
                return obj(torch.as_tensor(example)).numpy()
            finally:
                obj.train(was_training)


_TORCH_CODES = {
    "float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16",
    "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8",
    "bool": "BOOL", "float8_e4m3fn": "F8_E4M3", "float8_e5m2": "F8_E5M2",
}


def _torch_plan(module: Any) -> Any:
    """A module's state_dict as a safetensors layout, like
    ``safetensors.torch.save_model`` (tensors that share memory are stored
    once, the others named in ``__metadata__``) but deterministic: that
    function writes its metadata in hash order, so equal modules would
    give different bytes."""
    import numpy as np
    import torch
    from safetensors.torch import _remove_duplicate_names

    from .. import safetensors_io

    state = module.state_dict()
    renamed: Dict[str, str] = {}
    for kept, removed in _remove_duplicate_names(state).items():
        for name in removed:
            renamed[name] = kept
            del state[name]
    entries = []
    for name, t in state.items():
        t = t.detach().to("cpu").contiguous()
        code = _TORCH_CODES.get(str(t.dtype).replace("torch.", ""))
        if code is None:
            raise InvalidArgument(f"tensor {name!r} has dtype {t.dtype}, which safetensors does not store", code="UNSUPPORTED_MODEL")
        raw = t.reshape(-1).view(torch.uint8).numpy() if t.numel() else np.zeros(0, np.uint8)
        entries.append((name, code, list(t.shape), t.element_size(), raw))
    return safetensors_io.plan_raw(entries, renamed)
