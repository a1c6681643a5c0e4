"""The cache's size limit: least recently used blobs go first, automatic
pruning after loads keeps what the call uses, and nothing is deleted while
a load or save in another process holds the cache."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import modelry
from modelry import cache as cache_mod

from conftest import ADMIN_TOKEN

SIZE = 1000


@pytest.fixture
def three(reg, name, tmp_path):
    """Three versions of one 1000-byte file each; returns their versions."""
    out = []
    for i in range(3):
        f = tmp_path / f"src{i}" / "data.bin"
        f.parent.mkdir()
        f.write_bytes(os.urandom(SIZE))
        out.append(reg.save_files(name, f, f"v{i}"))
    return out


def loader(reg, tmp_path, **kw):
    return modelry.Registry(reg.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "loader-cache", progress=False, **kw)


def present(r, v):
    return r.cache.blob_path(v.files[0].digest).exists()


def test_prune_removes_least_recently_used_first(reg, name, tmp_path, three):
    r = loader(reg, tmp_path)
    paths = [r.load_files(name, v.version) for v in three]
    r.load_files(name, three[0].version)  # v0 is used again: now v1 is the least recent
    assert r.cache.size() == 3 * SIZE

    rep = r.cache.prune(2 * SIZE)
    assert (rep.removed_blobs, rep.removed_bytes, rep.remaining_bytes) == (1, SIZE, 2 * SIZE)
    assert [present(r, v) for v in three] == [True, False, True]
    assert rep.removed_trees == 1 and not paths[1].exists()  # its version folder went with it
    assert len((paths[0] / "data.bin").read_bytes()) == SIZE  # the kept versions' folders still work

    again = r.load_files(name, three[1].version, tmp_path / "out")  # fetched again, verified
    assert (again / "data.bin").stat().st_size == SIZE
    assert r.get(name, three[1].version).size == SIZE

    old, new = r.cache.tmp_dir() / "dl-crashed", r.cache.tmp_dir() / "dl-recent"
    old.write_bytes(b"left by a killed download")
    new.write_bytes(b"x")
    os.utime(old, (os.path.getatime(old) - 7200, os.path.getmtime(old) - 7200))
    rep = cache_mod.prune("1KB", r.cache.root)  # the module-level call, with a unit
    assert rep.remaining_bytes <= 1000 and r.cache.size() == rep.remaining_bytes
    assert rep.removed_tmp == 1 and not old.exists() and new.exists()


def test_loads_prune_to_the_limit_and_keep_what_they_use(reg, name, tmp_path, three, monkeypatch):
    monkeypatch.setenv("MODELRY_CACHE_MAX_BYTES", "2.5KB")
    r = loader(reg, tmp_path)
    assert r.cache.max_bytes == 2500
    for v in three:
        r.load_files(name, v.version)
    assert [present(r, v) for v in three] == [False, True, True]  # pruned after the third load
    assert r.cache.size() == 2 * SIZE

    tiny = loader(reg, tmp_path, cache_max_bytes=1)  # below one version: the call's own files stay
    folder = tiny.load_files(name, three[0].version)
    assert (folder / "data.bin").stat().st_size == SIZE
    assert [present(tiny, v) for v in three] == [True, False, False]

    monkeypatch.setenv("MODELRY_CACHE_MAX_BYTES", "lots")
    with pytest.raises(modelry.InvalidArgument) as e:
        loader(reg, tmp_path)
    assert "MODELRY_CACHE_MAX_BYTES" in e.value.message
    with pytest.raises(modelry.InvalidArgument):
        modelry.Registry(reg.url, cache_dir=tmp_path / "x", cache_max_bytes="-1")


def test_saves_prune_too(reg, name, tmp_path):
    import numpy as np

    r = modelry.Registry(reg.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "c", progress=False, cache_max_bytes=0)
    v1 = r.save(name, np.arange(10), input_example=np.arange(3))  # its small files go into the cache, kept by this call
    assert r.cache.size() > 0
    v2 = r.save(name, np.arange(11), input_example=np.arange(4))  # and the next save prunes them
    only_v1 = {f.digest for f in v1.files} - {f.digest for f in v2.files}
    assert only_v1 and not any(r.cache.blob_path(d).exists() for d in only_v1)
    np.testing.assert_array_equal(r.load(name, v1.version), np.arange(10))


def test_no_prune_while_another_process_uses_the_cache(reg, name, tmp_path, three):
    r = loader(reg, tmp_path)
    for v in three:
        r.load_files(name, v.version)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from modelry.cache import Cache
            with Cache({str(r.cache.root)!r}).in_use():
                print("holding", flush=True)
                sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(modelry.CacheBusy) as e:
            r.cache.prune(0, timeout=0.3)
        assert e.value.code == "CACHE_BUSY"
        assert all(present(r, v) for v in three)
        r.load_files(name, three[0].version)  # loads share the cache meanwhile
        auto = loader(reg, tmp_path, cache_max_bytes=0)
        auto.load_files(name, three[1].version)  # its automatic prune skips its turn
        assert all(present(r, v) for v in three)
    finally:
        holder.communicate("\n", timeout=10)
    assert r.cache.prune(0).removed_blobs == 3 and r.cache.size() == 0


@pytest.mark.parametrize("text,want", [("123", 123), ("2KB", 2000), ("1.5GiB", 3 << 29), ("10 mb", 10**7), (7, 7)])
def test_parse_size(text, want):
    assert cache_mod.parse_size(text) == want
