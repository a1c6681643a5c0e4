"""Tensors and weights as safetensors, which holds only numbers and loads
without running code.

numpy: a ``dict`` of ``str`` to ``numpy.ndarray`` (or one ndarray, kept
under the key ``"array"``) as ``model.safetensors``; loads as the same
dict (or the array).

torch: a ``torch.nn.Module``'s ``state_dict`` as ``model.safetensors`` plus
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
    name = "numpy"
    load_libraries = ("numpy", "safetensors")

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
        from safetensors.numpy import save_file

        single = isinstance(obj, np.ndarray)
        tensors = {"array": obj} if single else obj
        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(root / "model.safetensors"))
        return Saved("safetensors", ["model.safetensors"], ["numpy", "safetensors"], {"single_array": single})

    def load(self, root: Path, meta: Dict[str, Any], ctx: LoadContext) -> Any:
        from safetensors.numpy import load_file

        tensors = load_file(str(root / meta["model_files"][0]))
        return tensors["array"] if meta.get("options", {}).get("single_array") else tensors

    def predict(self, obj: Any, example: Any) -> Any:
        raise TypeError("weights do not predict")


class TorchFlavor(Flavor):
    name = "torch"
    load_libraries = ("torch", "safetensors")

    def matches(self, obj: Any) -> bool:
        if not module_loaded(obj, "torch"):
            return False
        import torch

        return isinstance(obj, torch.nn.Module)

    def save(self, obj: Any, root: Path, ctx: SaveContext) -> Saved:
        from safetensors.torch import save_model

        save_model(obj, str(root / "model.safetensors"))
        opts = {"class": class_path(obj), "init_kwargs": dict(ctx.options.get("init_kwargs") or {})}
        return Saved("safetensors", ["model.safetensors"], ["torch", "safetensors"], opts)

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
