"""Models, versions, aliases, tags, metrics, deletion, iterators and every
exception type, against a real server."""

from __future__ import annotations

import os
import shutil

import pytest

import modelry
from modelry import transfer

from conftest import ADMIN_TOKEN, free_port, token


def _push(reg, name, tmp_path, content, label=None, **kw):
    d = tmp_path / f"f-{content}"
    d.mkdir(exist_ok=True)
    (d / "model.bin").write_text(content)
    return reg.save_files(name, d, label, **kw)


def test_iterators_hide_pagination(reg, name, tmp_path):
    names = [f"{name}-{i:02d}" for i in range(7)]
    for n in names:
        reg.register(n, tags={"suite": name})
    assert [m.name for m in reg.models(prefix=name + "-", page_size=2)] == names
    assert len(list(reg.models(tag=f"suite={name}", page_size=3))) == 7

    for i in range(5):
        _push(reg, name, tmp_path, f"v{i}")
    assert [v.version for v in reg.versions(name, page_size=2)] == [5, 4, 3, 2, 1]

    for target in [1, 2, 3, 4, 5]:
        reg.set_alias(name, "production", target)
    moves = list(reg.alias_history(name, "production", page_size=2))
    assert [(m.from_version, m.to_version) for m in moves] == [(4, 5), (3, 4), (2, 3), (1, 2), (0, 1)]


def test_alias_set_history_rollback(reg, name, tmp_path):
    _push(reg, name, tmp_path, "one", "1.0")
    _push(reg, name, tmp_path, "two", "2.0")
    reg.set_alias(name, "production", "1.0")
    move = reg.set_alias(name, "production", 2, reason="better accuracy")
    assert (move.from_version, move.to_version, move.reason) == (1, 2, "better accuracy")
    assert move.actor == reg.whoami()["name"]
    assert reg.get(name, "@production").version == 2
    assert reg.get_model(name).aliases == {"production": 2}

    back = reg.rollback(name, "production", reason="regression")
    assert (back.from_version, back.to_version) == (2, 1)
    assert reg.get_alias(name, "production").version == 1
    history = list(reg.alias_history(name, "production"))
    assert [(m.to_version, m.reason) for m in history] == [(1, "regression"), (2, "better accuracy"), (1, "")]
    at = history[1].at
    assert next(reg.alias_history(name, "production", at=at)).to_version == 2

    with pytest.raises(modelry.InvalidArgument) as e:  # compare-and-set on a stale expectation
        reg.set_alias(name, "production", 2, expected_version=2)
    assert e.value.code == "FAILED_PRECONDITION" and e.value.status == 412
    reg.set_alias(name, "staging", 2, expected_version=0)
    assert sorted(a.alias for a in reg.aliases(name)) == ["production", "staging"]
    removed = reg.remove_alias(name, "staging", reason="done")
    assert (removed.from_version, removed.to_version) == (2, 0)
    assert list(reg.get_model(name).aliases) == ["production"]


def test_tags_metrics_and_deletion(reg, name, tmp_path):
    reg.register(name, description="d", tags={"team": "growth"})
    m = reg.update_model(name, description="churn", set_tags={"owner": "ana"}, remove_tags=["team"])
    assert (m.description, m.tags) == ("churn", {"owner": "ana"})
    v = _push(reg, name, tmp_path, "a", "1.0", metrics={"auc": 0.9}, params={"depth": 3}, tags={"stage": "dev"})
    assert (v.metrics, v.params) == ({"auc": 0.9}, {"depth": "3"})
    assert reg.tag(name, "1.0", {"reviewed": "yes"}).tags == {"stage": "dev", "reviewed": "yes"}
    assert reg.untag(name, 1, ["stage"]).tags == {"reviewed": "yes"}
    assert [x.version for x in reg.versions(name, tag="reviewed=yes")] == [1]
    _push(reg, name, tmp_path, "b")

    reg.set_alias(name, "production", 1)
    with pytest.raises(modelry.InvalidArgument) as e:  # an alias points at it
        reg.delete_version(name, 1)
    assert e.value.code == "FAILED_PRECONDITION"
    reg.remove_alias(name, "production")
    deleted = reg.delete_version(name, "1.0")
    assert deleted.version == 1 and deleted.deleted_at is not None
    assert [x.version for x in reg.versions(name)] == [2]
    assert [x.version for x in reg.versions(name, include_deleted=True)] == [2, 1]
    with pytest.raises(modelry.InvalidArgument):
        reg.delete_version(name, None)  # a bare name deletes nothing
    types = {e.type for e in reg.events(model=name)}
    assert {"version.created", "version.deleted", "alias.set"} <= types

    reg.delete_model(name)
    with pytest.raises(modelry.NotFound):
        reg.get_model(name)


def test_every_exception_type_from_real_answers(server, reg, name, tmp_path):
    with pytest.raises(modelry.NotFound) as e:
        reg.get_model(name)
    assert (e.value.code, e.value.status) == ("NOT_FOUND", 404) and name in e.value.message
    with pytest.raises(modelry.NotFound):
        reg.load(name, "@production")

    reg.register(name)
    with pytest.raises(modelry.AlreadyExists) as e:
        reg.register(name)
    assert (e.value.code, e.value.status) == ("ALREADY_EXISTS", 409)
    assert reg.register(name, exist_ok=True).name == name
    _push(reg, name, tmp_path, "x", "1.0")
    with pytest.raises(modelry.AlreadyExists):
        _push(reg, name, tmp_path, "y", "1.0")  # label taken

    bad = modelry.Registry(server.url, token="not-a-token", cache_dir=tmp_path / "c")
    with pytest.raises(modelry.PermissionDenied) as e:
        list(bad.models())
    assert (e.value.code, e.value.status) == ("UNAUTHENTICATED", 401)
    reader = modelry.Registry(server.url, token=token(reg, "reader"), cache_dir=tmp_path / "c")
    assert reader.get_model(name).name == name
    with pytest.raises(modelry.PermissionDenied) as e:
        reader.register(name + "-r")
    assert (e.value.code, e.value.status) == ("PERMISSION_DENIED", 403)

    with pytest.raises(modelry.InvalidArgument) as e:
        reg.register("bad name!")
    assert (e.value.code, e.value.status) == ("INVALID_ARGUMENT", 400)

    src = tmp_path / "blob"
    src.write_bytes(b"real bytes")
    f = transfer.LocalFile("blob", str(src), size=10, digest="sha256:" + "0" * 64)  # a digest that is not of these bytes
    with pytest.raises(modelry.IntegrityError) as e:
        transfer.upload(reg.client, [f], progress=False)
    assert (e.value.code, e.value.status) == ("DIGEST_MISMATCH", 400)

    dead = modelry.Registry(f"http://127.0.0.1:{free_port()}", token=ADMIN_TOKEN, cache_dir=tmp_path / "c")
    with pytest.raises(modelry.ServerError) as e:
        dead.get_model(name)
    assert e.value.code == "CONNECTION_FAILED" and e.value.status is None


def test_server_error_from_a_failing_store(own_server, tmp_path, name):
    reg = modelry.Registry(own_server.url, token=ADMIN_TOKEN, cache_dir=tmp_path / "c", progress=False)
    blobs = own_server.data / "blobs"
    shutil.rmtree(blobs)
    blobs.write_text("the blob store's folder is now a file")
    src = tmp_path / "m.bin"
    src.write_bytes(b"some model bytes")
    with pytest.raises(modelry.ServerError) as e:
        reg.save_files(name, src)
    assert e.value.status is not None and e.value.status >= 500 and e.value.code in ("INTERNAL", "UNAVAILABLE")


def test_tokens_create_list_revoke(server, reg, tmp_path):
    made = reg.create_token("ci-bot", "writer")
    assert made["role"] == "writer" and made["token"]
    assert "ci-bot" in [t["name"] for t in reg.tokens()]
    ci = modelry.Registry(server.url, token=made["token"], cache_dir=tmp_path / "c")
    assert ci.whoami() == {"name": "ci-bot", "role": "writer"}
    reg.revoke_token(made["id"])
    with pytest.raises(modelry.PermissionDenied) as e:
        ci.whoami()
    assert e.value.code == "UNAUTHENTICATED"


def test_url_and_token_from_the_environment_and_modelry_login(server, tmp_path, monkeypatch):
    import subprocess

    from conftest import _binary

    monkeypatch.delenv("MODELRY_URL", raising=False)
    monkeypatch.delenv("MODELRY_TOKEN", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"))
    subprocess.run([_binary(), "login", "--url", server.url, "--token", ADMIN_TOKEN], env=env, check=True, capture_output=True)
    reg = modelry.Registry(cache_dir=tmp_path / "c")  # the CLI's login: server and token
    assert reg.url == server.url and reg.whoami()["role"] == "admin"

    monkeypatch.setenv("MODELRY_TOKEN", "wrong-token-from-env")
    with pytest.raises(modelry.PermissionDenied):
        modelry.Registry(cache_dir=tmp_path / "c").whoami()  # the environment comes first
