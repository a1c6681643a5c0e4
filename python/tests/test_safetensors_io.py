"""modelry.safetensors_io writes what the safetensors package reads, and
reads what it writes."""

from __future__ import annotations

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import modelry
from modelry import safetensors_io


def arrays():
    rng = np.random.default_rng(0)
    return {
        "f64": rng.normal(size=(3, 5)),
        "f16": rng.normal(size=7).astype(np.float16),
        "i8": np.arange(-3, 4, dtype=np.int8),  # odd size: later tensors stay aligned by the layout
        "u32": np.arange(6, dtype=np.uint32).reshape(2, 3),
        "bool": np.array([True, False, True]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "big_endian": np.arange(4, dtype=">i4"),
        "strided": np.arange(20, dtype=np.int64).reshape(4, 5)[:, ::2],
        "c64": np.array([1 + 2j], dtype=np.complex64),
    }


def test_written_file_reads_in_safetensors_and_back(tmp_path):
    a = arrays()
    p = safetensors_io.plan(a)
    path = tmp_path / "m.safetensors"
    p.write(str(path))
    assert path.stat().st_size == p.size == sum(len(c) for c in p.chunks())
    for got in (load_file(str(path)), safetensors_io.read(str(path))):
        assert set(got) == set(a)
        for k in a:
            np.testing.assert_array_equal(got[k], a[k])
            assert got[k].shape == a[k].shape
    assert safetensors_io.plan(a).header == p.header  # deterministic


def test_reads_files_safetensors_wrote(tmp_path):
    a = {k: v for k, v in arrays().items() if k not in ("big_endian", "strided", "c64")}
    save_file(a, str(tmp_path / "s.safetensors"), metadata={"format": "np"})
    got = safetensors_io.read(str(tmp_path / "s.safetensors"))
    for k in a:
        np.testing.assert_array_equal(got[k], a[k])


def test_bad_offsets_are_refused(tmp_path):
    p = safetensors_io.plan({"x": np.arange(4, dtype=np.int32)})
    path = tmp_path / "bad.safetensors"
    p.write(str(path))
    with open(path, "r+b") as f:
        f.truncate(p.size - 4)
    with pytest.raises(modelry.IntegrityError):
        safetensors_io.read(str(path))
