"""Arrays that Registry.load maps from the cache: writable without changing
the cached file, valid after a prune deletes that file, and never mapped
from a corrupted file; downloads write the cache file in small pieces."""

from __future__ import annotations

import gc
import os
import stat

import numpy as np
import pytest

import modelry
from modelry import _download
from modelry.cache import hash_file

from conftest import ADMIN_TOKEN


@pytest.fixture
def weights():
    rng = np.random.default_rng(7)
    return {"w1": rng.normal(size=(512, 256)).astype(np.float32), "w2": rng.normal(size=(3000,))}


def loader(server, tmp_path):
    return modelry.Registry(server.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "loader-cache", progress=False)


def weights_file(reg, name):
    return next(f for f in reg.get(name, "1.0").files if f.path == "model.safetensors")


def test_writing_to_loaded_arrays_leaves_the_cache_intact(server, reg, tmp_path, name, weights):
    reg.save(name, weights, "1.0")
    r = loader(server, tmp_path)
    got = r.load(name, "1.0")
    f = weights_file(reg, name)
    blob = r.cache.blob_path(f.digest)

    got["w1"][:] = 7.0
    got["w2"] *= -1
    np.testing.assert_array_equal(got["w1"], np.full_like(weights["w1"], 7.0))
    assert hash_file(blob) == (f.size, f.digest)  # copy-on-write: the file kept its bytes

    sent = server.get_bytes()
    again = loader(server, tmp_path)  # as a new process: re-hashes the file, finds it intact
    fresh = again.load(name, "1.0")
    assert server.get_bytes() - sent == 0
    for k in weights:
        np.testing.assert_array_equal(fresh[k], weights[k])
    np.testing.assert_array_equal(r.load(name, "1.0")["w2"], weights["w2"])  # a second load in the first process too


def test_arrays_stay_valid_after_a_prune_deletes_their_file(server, reg, tmp_path, name, weights):
    reg.save(name, weights, "1.0")
    r = loader(server, tmp_path)
    got = r.load(name, "1.0")
    blob = r.cache.blob_path(weights_file(reg, name).digest)

    rep = r.cache.prune(0)
    assert rep.removed_blobs == len(reg.get(name, "1.0").files) and not blob.exists()
    assert r.cache.size() == 0
    gc.collect()
    for k in weights:  # the mapping holds the unlinked file's pages
        np.testing.assert_array_equal(got[k], weights[k])
    got["w1"] += 1  # and stays writable
    np.testing.assert_array_equal(got["w1"], weights["w1"] + 1)


def test_a_corrupted_cache_file_is_never_mapped(server, reg, tmp_path, name, weights):
    reg.save(name, weights, "1.0")
    r = loader(server, tmp_path)
    r.load(name, "1.0")
    f = weights_file(reg, name)
    blob = r.cache.blob_path(f.digest)
    os.chmod(blob, stat.S_IRUSR | stat.S_IWUSR)
    with open(blob, "r+b") as fh:  # one byte of w1's data, in the middle of the file
        fh.seek(f.size // 2)
        b = fh.read(1)
        fh.seek(f.size // 2)
        fh.write(bytes([b[0] ^ 0x40]))

    sent = server.get_bytes()
    got = loader(server, tmp_path).load(name, "1.0")  # a new process: hashes before mapping
    assert server.settle(lambda: server.get_bytes() - sent, f.size) == f.size  # fetched again
    for k in weights:
        np.testing.assert_array_equal(got[k], weights[k])
    assert hash_file(blob) == (f.size, f.digest)


def test_downloads_write_the_cache_file_in_small_pieces(server, reg, tmp_path, name, monkeypatch):
    data = os.urandom(9 << 20)
    src = tmp_path / "src" / "big.bin"
    src.parent.mkdir()
    src.write_bytes(data)
    reg.save_files(name, src, "1.0")

    sizes = []
    real_fdopen = os.fdopen

    class Recorder:
        def __init__(self, fh):
            self.fh = fh

        def write(self, b):
            sizes.append(len(b))
            return self.fh.write(b)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    def fdopen(fd, mode="r", *a, **kw):
        fh = real_fdopen(fd, mode, *a, **kw)
        return Recorder(fh) if mode == "wb" else fh  # the download's file, not the cache's JSON records

    monkeypatch.setattr(os, "fdopen", fdopen)
    folder = loader(server, tmp_path).load_files(name, "1.0")
    monkeypatch.undo()

    assert (folder / "big.bin").read_bytes() == data
    assert sum(sizes) == len(data)
    assert max(sizes) == _download.WRITE_PIECE < 2 << 20  # below the size of a huge page (see WRITE_PIECE)
