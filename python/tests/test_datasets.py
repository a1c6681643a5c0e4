"""Datasets and lineage against the real server: DataFrames and folders round
trip, an unchanged frame uploads nothing, a model's declared datasets and
parent show up both ways, and a name keeps its kind."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import modelry

from conftest import ADMIN_TOKEN

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module", autouse=True)
def server_knows_datasets(server, tmp_path_factory):
    """These tests need a server with datasets (names with a kind)."""
    probe = modelry.Registry(server.url, token=ADMIN_TOKEN, cache_dir=tmp_path_factory.mktemp("probe"), progress=False)
    got = probe.register("probe-kind", exist_ok=True)
    if "kind" not in got.raw:
        pytest.skip("this modelry server has no datasets yet (its models carry no kind)")


def frame(n: int = 50, seed: int = 1) -> "pd.DataFrame":
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer": [f"c{i:04d}" for i in range(n)],
        "age": rng.integers(18, 90, n).astype("int64"),
        "spend": rng.normal(100, 20, n),
        "churned": rng.random(n) > 0.8,
        "plan": pd.Categorical(rng.choice(["free", "pro", "team"], n)),
        "joined": pd.date_range("2026-01-01", periods=n, freq="D"),
    })


def test_dataframe_round_trip_and_unchanged_resave(server, reg, name, tmp_path):
    df = frame()
    v = reg.save_dataset(name, df, "2026-11", description="sales", tags={"src": "crm"}, alias="current")
    assert sorted(f.path for f in v.files) == ["data.parquet", "modelry.json"]
    assert (v.label, v.aliases, v.tags) == ("2026-11", ["current"], {"src": "crm"})
    m = reg.get_model(name)
    assert m.kind == "dataset" and name in [d.name for d in reg.datasets(prefix=name)]
    assert name not in [x.name for x in reg.models(prefix=name, kind="model")]

    fresh = modelry.Registry(reg.url, token=reg.client._headers["Authorization"][7:], cache_dir=tmp_path / "c2", progress=False)
    for ref in [f"{name}@current", f"{name}:2026-11", f"{name}/1"]:
        pd.testing.assert_frame_equal(fresh.load_dataset(ref), df)
    folder = fresh.load_files(name, 1)
    meta = json.loads((folder / "modelry.json").read_text())
    assert meta["kind"] == "dataset" and meta["data_format"] == "parquet" and meta["rows"] == 50
    assert meta["columns"][:3] == [{"name": "customer", "dtype": str(df["customer"].dtype)}, {"name": "age", "dtype": "int64"},
                                   {"name": "spend", "dtype": "float64"}]
    assert [c["name"] for c in meta["columns"]] == list(df.columns)

    before = server.put_bytes()
    again = reg.save_dataset(name, frame())  # an equal frame, built again: the same bytes
    assert again.version == 2 and again.digest == v.digest
    assert again.upload_report.uploaded_bytes == 0 and again.upload_report.blobs_skipped == 2
    assert server.settle(server.put_bytes, before) == before

    changed = frame()
    changed.loc[3, "spend"] = -1.0
    third = reg.save_dataset(name, changed)
    assert third.digest != v.digest and third.upload_report.uploaded_bytes > 0
    pd.testing.assert_frame_equal(reg.load_dataset(name), changed)


def test_files_and_folders_round_trip_byte_for_byte(reg, name, tmp_path):
    src = tmp_path / "images"
    (src / "train").mkdir(parents=True)
    (src / "train" / "a.png").write_bytes(os.urandom(3000))
    (src / "train" / "b.png").write_bytes(os.urandom(10))
    (src / "labels.csv").write_text("file,label\na.png,cat\n")
    (src / "modelry.json").write_text('{"mine": true}')  # the user's own file, not dataset metadata
    v = reg.save_dataset(name, src, "v1")
    assert sorted(f.path for f in v.files) == ["labels.csv", "modelry.json", "train/a.png", "train/b.png"]

    path = reg.load_dataset(name, "v1")
    for rel in ["labels.csv", "modelry.json", "train/a.png", "train/b.png"]:
        assert (path / rel).read_bytes() == (src / rel).read_bytes()
    out = reg.load_dataset(f"{name}/1", dest=tmp_path / "copy")
    assert out == tmp_path / "copy" and (out / "train" / "a.png").read_bytes() == (src / "train" / "a.png").read_bytes()

    extra = tmp_path / "extra.txt"
    extra.write_text("more")
    v2 = reg.save_dataset(name, [src, extra])  # several inputs: folders keep their name
    assert "extra.txt" in [f.path for f in v2.files] and "images/train/a.png" in [f.path for f in v2.files]


def test_model_lineage_both_ways(reg, name, tmp_path, data_names):
    sales, holdout, base, churn = data_names
    reg.save_dataset(sales, frame(seed=1))
    s2 = reg.save_dataset(sales, frame(seed=2))
    h = reg.save_dataset(holdout, frame(seed=3), alias="current")
    b = reg.save(base, {"w": np.zeros(3)})
    v = reg.save(churn, {"w": np.ones(3)}, datasets={"train": f"{sales}/2", "eval": f"{holdout}@current"}, parent=b, run_id="run-42")

    assert v.source["run"] == {"system": "mlflow", "id": "run-42"}
    used = {(u["role"], u["name"], u["version"], u["digest"]) for u in v.lineage["datasets"]}
    assert used == {("train", sales, 2, s2.digest), ("eval", holdout, 1, h.digest)}
    assert (v.lineage["parent"]["name"], v.lineage["parent"]["version"], v.lineage["parent"]["digest"]) == (base, 1, b.digest)
    assert reg.get(churn, 1).lineage == v.lineage

    up = reg.lineage(churn, 1)
    assert up.root == f"{churn}/1"
    assert {(e.source, e.target, e.role) for e in up.edges} == {
        (f"{sales}/2", f"{churn}/1", "train"), (f"{holdout}/1", f"{churn}/1", "eval"), (f"{base}/1", f"{churn}/1", "parent"),
    }
    assert up.node(f"{sales}/2").kind == "dataset" and up.node(f"{base}/1").kind == "model"
    assert up.node(f"{churn}/1").source["run"]["id"] == "run-42"
    assert {e.role for e in up.inputs(up.root)} == {"train", "eval", "parent"}

    v2 = reg.save(churn, {"w": np.full(3, 2.0)}, parent=v)  # a chain: churn/2 <- churn/1 <- sales/2 ...
    assert {e.source for e in reg.lineage(f"{churn}/2", depth=1).edges} == {f"{churn}/1"}
    assert f"{sales}/2" in {n.id for n in reg.lineage(v2.ref).nodes}

    down = reg.used_by(f"{sales}/2")
    assert (f"{sales}/2", f"{churn}/1", "train") in {(e.source, e.target, e.role) for e in down.edges}
    assert [e.target for e in down.outputs(f"{churn}/1")] == [f"{churn}/2"]
    assert reg.used_by(sales, depth=1).edges == [modelry.LineageEdge(f"{sales}/2", f"{churn}/1", "train")]  # every version of sales
    assert reg.used_by(f"{sales}/1").edges == []
    with pytest.raises(modelry.InvalidArgument):
        reg.lineage(churn, depth=0)


def test_a_dataset_derived_from_datasets(reg, name):
    raw, clean = f"{name}-raw", f"{name}-clean"
    r = reg.save_dataset(raw, frame(seed=5))
    c1 = reg.save_dataset(clean, frame(seed=5).dropna(), datasets={"raw": r})
    c2 = reg.save_dataset(clean, frame(seed=6), datasets={"raw": f"{raw}/1"}, parent=c1)
    assert c2.lineage["parent"]["version"] == 1 and c2.lineage["datasets"][0]["role"] == "raw"
    g = reg.used_by(raw)
    assert {(e.source, e.target, e.role) for e in g.edges} == {
        (f"{raw}/1", f"{clean}/1", "raw"), (f"{raw}/1", f"{clean}/2", "raw"), (f"{clean}/1", f"{clean}/2", "parent"),
    }
    assert {n.kind for n in g.nodes} == {"dataset"}
    with pytest.raises(modelry.InvalidArgument) as e:
        reg.save_dataset(clean, {"not": "a frame"})
    assert "pandas DataFrame, a path, or a list of paths" in e.value.message


@pytest.fixture
def data_names(name):
    return [f"{name}-{x}" for x in ("sales", "holdout", "base", "churn")]


def test_a_name_keeps_its_kind(server, reg, name, tmp_path):
    ds, model = f"{name}-ds", f"{name}-model"
    reg.save_dataset(ds, frame(5))
    reg.save(model, {"w": np.ones(2)})

    with pytest.raises(modelry.KindMismatch) as e:
        reg.save(ds, {"w": np.ones(2)})  # a model pushed into a dataset's name
    assert isinstance(e.value, modelry.InvalidArgument)
    assert (e.value.code, e.value.status, e.value.kind) == ("KIND_MISMATCH", 412, "dataset")
    assert "save_dataset" in e.value.message
    with pytest.raises(modelry.KindMismatch) as e:
        reg.save_dataset(model, frame(5))
    assert e.value.kind == "model"
    with pytest.raises(modelry.KindMismatch):
        reg.save_files(ds, __file__)

    with pytest.raises(modelry.InvalidArgument) as e:  # a model named as training data
        reg.save(f"{name}-new", {"w": np.ones(2)}, datasets={"train": f"{model}/1"})
    assert e.value.code == "KIND_MISMATCH" and "is a model, not a dataset" in e.value.message
    with pytest.raises(modelry.NotFound):
        reg.save(f"{name}-new", {"w": np.ones(2)}, datasets={"train": f"{ds}/9"})
    with pytest.raises(modelry.NotFound):
        reg.get_model(f"{name}-new")  # nothing was created
    with pytest.raises(modelry.InvalidArgument):
        reg.save(f"{name}-new", {"w": np.ones(2)}, datasets=["not", "a", "mapping"])

    assert [x.version for x in reg.versions(ds)] == [1]  # the refused saves left nothing behind
    assert [x.version for x in reg.versions(model)] == [1]


def test_the_cli_and_the_sdk_read_each_others_datasets(server, reg, name, tmp_path):
    import subprocess

    from conftest import _binary

    env = dict(os.environ, MODELRY_URL=server.url, MODELRY_TOKEN=ADMIN_TOKEN, XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    src = tmp_path / "clicks"
    src.mkdir()
    (src / "part-0.csv").write_text("id,n\n1,2\n")
    (src / "part-1.csv").write_bytes(os.urandom(500))
    subprocess.run([_binary(), "data", "push", f"{name}-cli", str(src), "--alias", "current"], env=env, check=True, capture_output=True)
    path = reg.load_dataset(f"{name}-cli@current")
    assert {p.name: p.read_bytes() for p in path.iterdir()} == {p.name: p.read_bytes() for p in src.iterdir()}
    assert reg.get_model(f"{name}-cli").kind == "dataset"

    df = frame(20)
    reg.save_dataset(f"{name}-py", df)
    out = tmp_path / "pulled"
    subprocess.run([_binary(), "data", "pull", f"{name}-py", "-d", str(out)], env=env, check=True, capture_output=True)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "data.parquet"), df)
    assert json.loads((out / "modelry.json").read_text())["rows"] == 20


def test_frames_parquet_cannot_hold_are_refused_before_anything_is_created(reg, name):
    with pytest.raises(modelry.InvalidArgument) as e:
        reg.save_dataset(name, pd.DataFrame({0: [1, 2]}))
    assert e.value.code == "INVALID_ARGUMENT" and "string column names" in e.value.message
    with pytest.raises(modelry.InvalidArgument) as e:
        reg.save_dataset(name, pd.DataFrame({"a": [object()]}))
    assert e.value.code == "UNSUPPORTED_DATA" and "column a" in e.value.message
    with pytest.raises(modelry.NotFound):
        reg.get_model(name)
