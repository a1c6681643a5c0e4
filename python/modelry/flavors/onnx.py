"""The ONNX flavor: an ``onnx.ModelProto`` is written as ``model.onnx`` and
loaded into an ``onnxruntime.InferenceSession`` (CPU unless ``providers``
is passed to load)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from . import Flavor, LoadContext, SaveContext, Saved, module_loaded


class ONNXFlavor(Flavor):
    """``onnx.ModelProto`` as ``model.onnx``, loaded into onnxruntime."""

    name = "onnx"
    load_libraries = ("onnxruntime",)

    def matches(self, obj: Any) -> bool:
        if not module_loaded(obj, "onnx"):
            return False
        import onnx

        return isinstance(obj, onnx.ModelProto)

    def save(self, obj: Any, root: Path, ctx: SaveContext) -> Saved:
        (root / "model.onnx").write_bytes(obj.SerializeToString(deterministic=True))
        libs = ["onnx", "onnxruntime"]
        opset = {o.domain or "ai.onnx": int(o.version) for o in obj.opset_import}
        return Saved("onnx", ["model.onnx"], libs, {"opset": opset, "ir_version": int(obj.ir_version)})

    def load(self, root: Path, meta: Dict[str, Any], ctx: LoadContext) -> Any:
        import onnxruntime

        providers = ctx.options.get("providers") or ["CPUExecutionProvider"]
        return onnxruntime.InferenceSession(str(root / meta["model_files"][0]), providers=providers)

    def predict(self, obj: Any, example: Any) -> Any:
        import onnxruntime

        sess = onnxruntime.InferenceSession(obj.SerializeToString(), providers=["CPUExecutionProvider"])
        return sess.run(None, {sess.get_inputs()[0].name: example})[0]
