"""Tracking beyond the happy path: search with filters and pages, run
artifacts, experiment and run lifecycle."""
import hashlib
import os
import time
import tempfile

import mlflow
import pytest
from mlflow.exceptions import MlflowException


def test_search_runs_filters_order_and_pages(client):
    exp = client.create_experiment("search-runs")
    for i, acc in enumerate([0.2, 0.9, 0.6]):
        run = client.create_run(exp, run_name=f"r{i}", start_time=1000 + i)
        client.log_param(run.info.run_id, "lr", str(i))
        client.log_metric(run.info.run_id, "acc", acc)
        client.set_terminated(run.info.run_id)
    hits = client.search_runs([exp], "metrics.acc > 0.5", order_by=["attributes.start_time ASC"])
    assert [r.info.run_name for r in hits] == ["r1", "r2"]
    assert [r.info.run_name for r in client.search_runs([exp], "params.lr = '0'")] == ["r0"]
    assert len(client.search_runs([exp], "attributes.status = 'FINISHED'")) == 3
    page = client.search_runs([exp], max_results=2)
    assert [r.info.run_name for r in page] == ["r2", "r1"] and page.token
    rest = client.search_runs([exp], max_results=2, page_token=page.token)
    assert [r.info.run_name for r in rest] == ["r0"] and not rest.token
    df = mlflow.search_runs([exp], filter_string="metrics.acc < 0.5")
    assert list(df["tags.mlflow.runName"]) == ["r0"]
    with pytest.raises(MlflowException, match="INVALID_PARAMETER_VALUE"):
        client.search_runs([exp], "metrics.acc LIKE '1'")


def test_search_experiments(client):
    client.create_experiment("exp-alpha", tags={"team": "a"})
    client.create_experiment("exp-beta")
    time.sleep(0.01)
    client.create_experiment("exp-gamma")
    hits = client.search_experiments(filter_string="name LIKE 'exp-%'", order_by=["name ASC"])
    assert [e.name for e in hits] == ["exp-alpha", "exp-beta", "exp-gamma"]
    assert client.search_experiments(filter_string="name LIKE 'exp-%'")[0].name == "exp-gamma"  # newest first
    page = client.search_experiments(filter_string="name LIKE 'exp-%'", max_results=2, order_by=["name DESC"])
    assert [e.name for e in page] == ["exp-gamma", "exp-beta"] and page.token
    assert [e.name for e in client.search_experiments(filter_string="tags.team = 'a'")] == ["exp-alpha"]
    assert client.get_experiment_by_name("exp-beta").lifecycle_stage == "active"
    assert client.get_experiment_by_name("does-not-exist") is None


def test_run_artifacts_round_trip(server, client):
    src = tempfile.mkdtemp()
    os.makedirs(os.path.join(src, "sub"))
    for rel, text in [("a.txt", "alpha"), ("sub/b.txt", "beta"), ("sub/c.txt", "alpha")]:
        with open(os.path.join(src, rel), "w") as f:
            f.write(text)
    with mlflow.start_run() as run:
        mlflow.log_artifacts(src, artifact_path="data")
    top = client.list_artifacts(run.info.run_id, "data")
    assert [(f.path, f.is_dir) for f in top] == [("data/a.txt", False), ("data/sub", True)]
    dest = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="data", dst_path=tempfile.mkdtemp())
    assert open(os.path.join(dest, "sub", "b.txt")).read() == "beta"
    assert open(os.path.join(dest, "sub", "c.txt")).read() == "alpha"
    # a.txt and sub/c.txt hold the same bytes: the blob store keeps one copy.
    blob = os.path.join(server["data"], "blobs", "sha256", hashlib.sha256(b"alpha").hexdigest()[:2],
                        hashlib.sha256(b"alpha").hexdigest())
    assert open(blob, "rb").read() == b"alpha"
    copies = [p for d, _, fs in os.walk(os.path.join(server["data"], "blobs")) for p in fs
              if open(os.path.join(d, p), "rb").read() == b"alpha"]
    assert len(copies) == 1


def test_run_and_experiment_lifecycle(client):
    exp = client.create_experiment("lifecycle")
    run = client.create_run(exp)
    client.delete_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    assert client.search_runs([exp]) == []
    assert len(client.search_runs([exp], run_view_type=mlflow.entities.ViewType.ALL)) == 1
    client.restore_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"
    client.rename_experiment(exp, "lifecycle-2")
    assert client.get_experiment(exp).name == "lifecycle-2"
    client.set_experiment_tag(exp, "k", "v")
    assert client.get_experiment(exp).tags == {"k": "v"}
    client.delete_experiment(exp)
    assert client.get_experiment(exp).lifecycle_stage == "deleted"
    assert "lifecycle-2" not in [e.name for e in client.search_experiments()]


@pytest.mark.skipif(mlflow.__version__.startswith("2."), reason="logged models arrived in MLflow 3")
def test_logged_model_tags_and_delete(client):
    exp = client.create_experiment("logged-models")
    lm = client.create_logged_model(exp, name="lm", tags={"a": "1", "b": "2"})
    assert lm.model_id.startswith("m-") and lm.artifact_location.endswith(f"/models/{lm.model_id}/artifacts")
    client.delete_logged_model_tag(lm.model_id, "a")
    assert client.get_logged_model(lm.model_id).tags == {"b": "2"}
    assert [m.model_id for m in client.search_logged_models([exp])] == [lm.model_id]
    client.delete_logged_model(lm.model_id)
    with pytest.raises(MlflowException, match="not found"):
        client.get_logged_model(lm.model_id)
    assert list(client.search_logged_models([exp])) == []


def test_artifact_proxy_edges(server):
    import requests

    from conftest import ADMIN
    base = server["url"] + "/api/2.0/mlflow-artifacts/artifacts"
    auth = {"Authorization": "Bearer " + ADMIN}
    r = requests.put(base + "/0/edge/chunked.bin", data=iter([b"ab", b"cd"]), headers=auth)  # chunked
    assert r.status_code == 200 and r.json() == {}
    assert requests.get(base + "/0/edge/chunked.bin", headers=auth).content == b"abcd"
    assert requests.get(base, params={"path": "0/edge/none"}, headers=auth).json() == {}
    assert requests.get(base, params={"path": "0/edge/chunked.bin"}, headers=auth).json() == {}
    r = requests.get(base + "/0/edge/missing", headers=auth)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = requests.put(base + "/_modelry/models/x/versions/1/f", data=b"x", headers=auth)
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = requests.get(base, params={"path": "0/../etc"}, headers=auth)
    assert r.status_code == 400
