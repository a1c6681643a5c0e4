"""The transfer layer and the cache: missing-blob negotiation, verified
downloads, cache hits, offline loads and corrupted cache entries."""

from __future__ import annotations

import os
import stat
import warnings

import numpy as np
import pytest

import modelry
from modelry import transfer
from modelry.cache import Cache

from conftest import ADMIN_TOKEN


@pytest.fixture
def weights():
    rng = np.random.default_rng(1)
    return {"w1": rng.normal(size=(256, 256)).astype(np.float32), "w2": rng.normal(size=(1000,))}


def test_resave_of_identical_content_uploads_no_bytes(reg, server, name):
    from sklearn.linear_model import LogisticRegression

    X = np.random.default_rng(3).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    before = server.put_bytes()
    v1 = reg.save(name, model, "1.0", input_example=X[:2])
    sent = server.settle(lambda: server.put_bytes() - before, v1.size)
    assert v1.upload_report.uploaded_bytes == v1.size == sent > 0
    assert v1.upload_report.blobs_uploaded == 3

    before = server.put_bytes()
    v2 = reg.save(name, LogisticRegression().fit(X, y), "1.1", input_example=X[:2])  # refitted: same bytes
    assert server.put_bytes() - before == 0
    rep = v2.upload_report
    assert (rep.uploaded_bytes, rep.blobs_uploaded, rep.blobs_skipped, rep.bytes) == (0, 0, 3, v1.size)
    assert v2.digest == v1.digest and v2.version == 2


def test_cache_hit_then_offline_load(own_server, tmp_path, name, weights):
    reg = modelry.Registry(own_server.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "saver", progress=False)
    reg.save(name, weights, "1.0", alias="production")
    loader = modelry.Registry(own_server.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "loader-cache", progress=False)

    sent = own_server.get_bytes()
    first = loader.load(name, "1.0")
    size = reg.get(name, "1.0").size
    assert own_server.settle(lambda: own_server.get_bytes() - sent, size) == size  # everything downloaded once
    info = loader.load_info(name, "@production")
    assert info.version.download_report.downloaded_bytes == 0
    assert info.version.download_report.cache_hits == len(info.version.files)
    np.testing.assert_array_equal(loader.load(name, 1)["w1"], first["w1"])
    assert own_server.get_bytes() - sent == size  # the later loads came from the cache

    own_server.stop()
    with pytest.warns(modelry.OfflineWarning, match="cannot be reached"):
        got = loader.load(name, "1.0")
    np.testing.assert_array_equal(got["w2"], weights["w2"])
    with pytest.warns(modelry.OfflineWarning, match="can move"):
        loader.load(name, "@production")  # resolved before: served, with a warning that it may have moved
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(loader.load(name, 1, offline=True)["w1"], weights["w1"])
    with pytest.raises(modelry.ServerError) as e:
        loader.load(name, "@staging")  # never resolved: nothing to fall back on
    assert e.value.code == "CONNECTION_FAILED"
    with pytest.raises(modelry.ServerError):
        loader.load(name, 2, offline=True)


def test_corrupted_cache_entry_is_fetched_again(server, reg, tmp_path, name, weights):
    reg.save(name, weights, "1.0")
    loader = modelry.Registry(server.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "loader-cache", progress=False)
    loader.load(name, "1.0")
    v = reg.get(name, "1.0")
    big = max(v.files, key=lambda f: f.size)
    blob = loader.cache.blob_path(big.digest)
    os.chmod(blob, stat.S_IRUSR | stat.S_IWUSR)
    with open(blob, "r+b") as f:  # same size, one byte flipped
        f.seek(1000)
        b = f.read(1)
        f.seek(1000)
        f.write(bytes([b[0] ^ 0xFF]))

    sent = server.get_bytes()
    info = loader.load_info(name, "1.0")
    assert info.version.download_report.cache_repaired == 1
    assert info.version.download_report.downloaded_bytes == big.size
    assert server.settle(lambda: server.get_bytes() - sent, big.size) == big.size
    np.testing.assert_array_equal(loader.load(name, "1.0")["w1"], weights["w1"])

    with open(blob, "ab"):  # a truncated entry too, read by a new process (fresh cache object)
        pass
    os.chmod(blob, 0o644)
    os.truncate(blob, 10)
    again = modelry.Registry(server.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "loader-cache", progress=False)
    np.testing.assert_array_equal(again.load(name, "1.0")["w1"], weights["w1"])


def test_transfer_layer_alone(server, tmp_path):
    client = modelry.Registry(server.url, token=ADMIN_TOKEN).client
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.bin").write_bytes(os.urandom(3 << 20))
    (src / "sub" / "b.txt").write_text("hello")
    (src / "dup.bin").write_bytes((src / "a.bin").read_bytes())  # same blob twice: sent once

    files, rep = transfer.upload(client, src, parallelism=3, progress=False)
    assert [f.path for f in files] == ["a.bin", "dup.bin", "sub/b.txt"]
    assert (rep.files, rep.blobs_uploaded, rep.uploaded_bytes) == (3, 2, (3 << 20) + 5)
    _, again = transfer.upload(client, [str(src)], progress=False)
    assert again.uploaded_bytes == 0 and again.blobs_skipped == 2

    cache = Cache(tmp_path / "cache")
    blobs, drep = transfer.download(client, files, cache, progress=False)
    assert drep.downloaded_bytes == (3 << 20) + 5  # the duplicate is fetched once
    out = transfer.materialize(files, blobs, tmp_path / "out")
    for f in files:
        assert (out / f.path).read_bytes() == (src / f.path).read_bytes()

    lying = [modelry.FileEntry("x", files[2].size, files[0].digest)]  # a digest that is not of those bytes' size
    with pytest.raises(modelry.IntegrityError) as e:
        transfer.download(client, lying, Cache(tmp_path / "c2"), progress=False)
    assert e.value.code == "DIGEST_MISMATCH"
    assert not list((tmp_path / "c2" / "tmp").iterdir())  # nothing left behind


def test_save_files_and_load_files_round_trip_a_folder(reg, name, tmp_path):
    src = tmp_path / "model"
    (src / "tokenizer").mkdir(parents=True)
    (src / "weights.bin").write_bytes(os.urandom(100_000))
    (src / "tokenizer" / "vocab.txt").write_text("a\nb\n")
    (src / "run.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(src / "run.sh", 0o755)
    os.symlink("tokenizer/vocab.txt", src / "vocab.txt")
    v = reg.save_files(name, src, "1.0", metrics={"loss": 0.1})
    assert {f.path: f.mode for f in v.files} == {"run.sh": 0o755, "tokenizer/vocab.txt": 0o644, "vocab.txt": 0o777, "weights.bin": 0o644}

    loader = modelry.Registry(reg.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "loader-cache", progress=False)
    out = loader.load_files(name, "1.0", tmp_path / "out")
    for rel in ["weights.bin", "tokenizer/vocab.txt", "run.sh"]:
        assert (out / rel).read_bytes() == (src / rel).read_bytes()
    assert os.stat(out / "run.sh").st_mode & 0o777 == 0o755
    assert os.readlink(out / "vocab.txt") == "tokenizer/vocab.txt"
    view = loader.load_files(name, 1)  # no dest: the read-only tree in the cache
    assert (view / "weights.bin").read_bytes() == (src / "weights.bin").read_bytes()

    (src / "weights.bin").write_bytes(b"changed")  # one changed file: only it is sent
    v2 = reg.save_files(name, src, "1.1")
    assert v2.upload_report.uploaded_bytes == len(b"changed") and v2.upload_report.blobs_skipped == 2


def test_large_new_files_stream_while_hashed(server, tmp_path):
    client = modelry.Registry(server.url, token=ADMIN_TOKEN).client
    src = tmp_path / "big"
    src.mkdir()
    size = transfer.STREAM_THRESHOLD + 12345  # a size no other test stores
    data = os.urandom(size)
    (src / "a.bin").write_bytes(data)
    (src / "b.bin").write_bytes(data)  # same size and bytes: streamed once, then found stored
    streamed = server.metric("modelry_http_request_bytes_total", route="POST /api/v1/blobs")
    files, rep = transfer.upload(client, src, progress=False)
    posted = server.settle(lambda: server.metric("modelry_http_request_bytes_total", route="POST /api/v1/blobs") - streamed, size)
    assert posted == size
    assert (rep.uploaded_bytes, rep.blobs_uploaded, rep.blobs_skipped) == (size, 1, 1)
    assert files[0].digest == files[1].digest == "sha256:" + __import__("hashlib").sha256(data).hexdigest()
    _, again = transfer.upload(client, src, progress=False)  # a stored size: hashed, then skipped
    assert again.uploaded_bytes == 0 and again.blobs_skipped == 1


def test_large_weights_stream_from_memory(server, reg, name):
    rng = np.random.default_rng(5)
    weights = {"big": rng.random(3 << 20, dtype=np.float32), "small": np.arange(5, dtype=np.int8)}  # 12 MiB
    posted = server.metric("modelry_http_request_bytes_total", route="POST /api/v1/blobs")
    v = reg.save(name, weights, "1.0")
    big = next(f for f in v.files if f.path == "model.safetensors")
    assert server.settle(lambda: server.metric("modelry_http_request_bytes_total", route="POST /api/v1/blobs") - posted, big.size) == big.size
    assert v.upload_report.uploaded_bytes >= big.size  # modelry.json may be stored already

    loader = modelry.Registry(reg.url, token=ADMIN_TOKEN, cache_dir=reg.cache.root.parent / "loader-cache", progress=False)
    got = loader.load(name, "1.0")
    np.testing.assert_array_equal(got["big"], weights["big"])
    np.testing.assert_array_equal(got["small"], weights["small"])
    got["big"][0] = -1.0  # the arrays are writable copies-on-write: the cache is untouched
    np.testing.assert_array_equal(loader.load(name, "1.0")["big"], weights["big"])

    again = reg.save(name, {k: v.copy() for k, v in weights.items()}, "1.1")
    assert again.upload_report.uploaded_bytes == 0 and again.digest == v.digest


def test_download_refuses_bytes_corrupted_in_the_server_store(own_server, tmp_path, name):
    reg = modelry.Registry(own_server.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "saver", progress=False)
    src = tmp_path / "m.bin"
    src.write_bytes(os.urandom(1 << 20))
    v = reg.save_files(name, src, "1.0")
    blob = next(p for p in (own_server.data / "blobs").rglob(v.files[0].digest[7:]))
    with open(blob, "r+b") as f:  # the server serves stored blobs without re-hashing them
        f.seek(12345)
        b = f.read(1)
        f.seek(12345)
        f.write(bytes([b[0] ^ 1]))
    loader = modelry.Registry(own_server.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "loader-cache", progress=False)
    with pytest.raises(modelry.IntegrityError) as e:
        loader.load_files(name, "1.0", tmp_path / "out")
    assert e.value.code == "DIGEST_MISMATCH" and "m.bin" in e.value.message
    assert not (tmp_path / "out" / "m.bin").exists()
    assert not loader.cache.blob_path(v.files[0].digest).exists()


def test_early_answers_and_stale_connections_on_blob_uploads(server, reg, tmp_path):
    from conftest import token

    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(24 << 20))  # far more than the server reads before it answers
    reader = modelry.Registry(server.url, token=token(reg, "reader")).client
    with open(big, "rb") as fh:  # the server refuses before reading the body, then hangs up
        with pytest.raises(modelry.PermissionDenied) as e:
            reader.send_file("POST", "/api/v1/blobs", fh, 24 << 20)
    assert e.value.code == "PERMISSION_DENIED"

    writer = reg.client
    with open(big, "rb") as fh:
        first = writer.send_file("POST", "/api/v1/blobs", fh, 24 << 20)
    pooled, reused = writer._raw_conn()
    assert reused
    pooled.sock.close()  # as if the server had closed the idle connection
    writer._raw.put(pooled)
    with open(big, "rb") as fh:
        again = writer.send_file("POST", "/api/v1/blobs", fh, 24 << 20)
    assert again["digest"] == first["digest"]


def test_cache_size_and_clear(server, reg, tmp_path, name, weights):
    reg.save(name, weights, "1.0")
    loader = modelry.Registry(server.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "loader-cache", progress=False)
    got = loader.load(name, "1.0")
    assert loader.cache.size() == reg.get(name, "1.0").size
    loader.cache.clear()
    assert loader.cache.size() == 0
    np.testing.assert_array_equal(got["w1"], weights["w1"])  # still mapped
    sent = server.get_bytes()
    loader.load(name, "1.0")
    assert server.settle(lambda: server.get_bytes() - sent, reg.get(name, "1.0").size) > 0  # fetched again
