"""The PyTorch flavor (make test-torch): state_dict as safetensors plus the
class's import path."""

from __future__ import annotations

import numpy as np
import pytest

import modelry

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def test_torch_module_round_trip(reg, name):
    from torch_models import TinyNet

    torch.manual_seed(0)
    net = TinyNet(4, hidden=16)
    X = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    with torch.no_grad():
        want = net(torch.from_numpy(X)).numpy()
    v = reg.save(name, net, "1.0", input_example=X[:2], flavor_options={"init_kwargs": {"n_in": 4, "hidden": 16}})
    assert [f.path for f in v.files] == ["input_example.npy", "model.safetensors", "modelry.json"]

    got = reg.load(name, "1.0")
    assert type(got).__name__ == "TinyNet" and not got.training
    with torch.no_grad():
        np.testing.assert_array_equal(got(torch.from_numpy(X)).numpy(), want)
    info = reg.load_info(name, "1.0")
    assert info.metadata["options"]["class"] == "torch_models:TinyNet"
    assert info.metadata["signature"]["outputs"] == {"type": "tensor", "dtype": "float32", "shape": [-1, 2]}
    assert "torch" in info.metadata["libraries"]

    into = TinyNet(4, hidden=16)
    assert reg.load(name, "1.0", model=into) is into
    with torch.no_grad():
        np.testing.assert_array_equal(into(torch.from_numpy(X)).numpy(), want)

    again = reg.save(name, net, "1.1", input_example=X[:2], flavor_options={"init_kwargs": {"n_in": 4, "hidden": 16}})
    assert again.upload_report.uploaded_bytes == 0


def test_torch_class_from_a_script_needs_an_instance(reg, name):
    class Local(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(3))

    Local.__module__ = "__main__"
    reg.save(name, Local(), "1.0")
    with pytest.raises(modelry.InvalidArgument, match="model="):
        reg.load(name, "1.0")
    m = Local()
    with torch.no_grad():
        m.w.zero_()
    assert torch.equal(reg.load(name, "1.0", model=m).w, torch.ones(3))
