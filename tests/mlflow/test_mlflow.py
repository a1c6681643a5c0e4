"""The real mlflow client against the real `modelry server`; the Modelry CLI
must see the same versions, aliases and files."""
import hashlib
import math
import os
import tempfile

import mlflow
import numpy as np
import pytest
import requests
from mlflow.exceptions import MlflowException, RestException
from sklearn.linear_model import LogisticRegression

from conftest import ADMIN, cli


def _sha_tree(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            rel = os.path.relpath(p, root)
            if rel == "registered_model_meta":  # written locally by the client
                continue
            out[rel] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


MLFLOW2 = mlflow.__version__.startswith("2.")


def _log_model(model, **kw):
    """log_model under the artifact name "model": `name=` in 3.x, `artifact_path=` in 2.x."""
    if MLFLOW2:
        return mlflow.sklearn.log_model(model, artifact_path="model", **kw)
    return mlflow.sklearn.log_model(model, name="model", **kw)


def _model():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]] * 5)
    y = np.array([0, 1, 1, 0] * 5)
    return LogisticRegression().fit(X, y), X


def test_health_and_unknown_endpoint(server):
    assert requests.get(server["url"] + "/health").text == "OK"
    r = requests.get(server["url"] + "/api/2.0/mlflow/no-such-thing")
    assert r.status_code == 404
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_auth_basic_and_bad_token(server):
    url = server["url"] + "/api/2.0/mlflow/registered-models/search"
    assert requests.get(url, auth=("anyone", ADMIN)).status_code == 200
    r = requests.get(url, headers={"Authorization": "Bearer wrong-token-0123456789"})
    assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"
    r = requests.get(url)
    assert r.status_code == 401


def test_tracking_log_model_register_and_load(server, client):
    mlflow.set_experiment("compat")
    model, X = _model()
    with mlflow.start_run() as run:
        mlflow.log_param("C", 1.0)
        mlflow.log_metric("acc", 0.5, step=0)
        mlflow.log_metric("acc", 0.75, step=1)
        mlflow.set_tag("team", "ml")
        mlflow.log_metric("diverged", float("nan"))
        info = _log_model(model, registered_model_name="iris")
    got = client.get_run(run.info.run_id)
    assert got.data.params == {"C": "1.0"}
    assert got.data.metrics["acc"] == 0.75
    assert got.data.tags["team"] == "ml"
    assert math.isnan(got.data.metrics["diverged"])
    assert [m.value for m in client.get_metric_history(run.info.run_id, "acc")] == [0.5, 0.75]
    assert str(info.registered_model_version) == "1"

    if not MLFLOW2:  # MLflow 3 logged models carry the run's metrics and params
        lm = mlflow.get_logged_model(info.model_id)
        assert "acc" in {m.key for m in lm.metrics} and lm.params.get("C") == "1.0"
        assert lm.status == "READY" or str(lm.status).endswith("READY")

    mv = client.get_model_version("iris", "1")
    assert mv.status == "READY" and mv.run_id == run.info.run_id
    client.set_registered_model_alias("iris", "champion", "1")

    want = model.predict(X).tolist()
    uris = ["models:/iris/1", "models:/iris@champion", "models:/iris/latest", info.model_uri,
            f"runs:/{run.info.run_id}/model"]
    for uri in uris:
        assert mlflow.pyfunc.load_model(uri).predict(X).tolist() == want, uri

    # The CLI sees the same version, alias and files.
    versions = cli(server, "versions", "iris")
    assert [v["version"] for v in versions] == [1]
    assert versions[0]["aliases"] == ["champion"]
    assert versions[0]["source"]["run"]["id"] == run.info.run_id
    dest = tempfile.mkdtemp()
    cli(server, "pull", "iris@champion", "--dest", dest)
    dl = mlflow.artifacts.download_artifacts("models:/iris@champion", dst_path=tempfile.mkdtemp())
    assert _sha_tree(dest) == _sha_tree(dl)
    assert "MLmodel" in _sha_tree(dest)

    # Stage URIs (2.x habits) and copies keep working on the same files.
    client.transition_model_version_stage("iris", "1", "Production")
    assert mlflow.pyfunc.load_model("models:/iris/Production").predict(X).tolist() == want
    copy = client.copy_model_version("models:/iris/1", "iris-copy")
    assert copy.version == "1"
    assert cli(server, "show", "iris-copy/1")["digest"] == cli(server, "show", "iris/1")["digest"]


def test_register_model_from_runs_uri(server, client):
    model, X = _model()
    with mlflow.start_run() as run:
        _log_model(model)
    mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", "iris-runs")
    assert mv.version == "1"
    assert mlflow.pyfunc.load_model("models:/iris-runs/1").predict(X).tolist() == model.predict(X).tolist()


def test_registered_model_crud(client):
    client.create_registered_model("crud", tags={"team": "a"}, description="first")
    with pytest.raises(RestException, match="RESOURCE_ALREADY_EXISTS"):
        client.create_registered_model("crud")
    rm = client.get_registered_model("crud")
    assert rm.description == "first" and rm.tags == {"team": "a"}
    client.update_registered_model("crud", description="second")
    assert client.get_registered_model("crud").description == "second"
    client.set_registered_model_tag("crud", "k", "v")
    client.delete_registered_model_tag("crud", "team")
    assert client.get_registered_model("crud").tags == {"k": "v"}
    client.rename_registered_model("crud", "crud2")
    with pytest.raises(RestException, match="RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model("crud")
    assert client.get_registered_model("crud2").name == "crud2"
    client.delete_registered_model("crud2")
    with pytest.raises(RestException, match="not found"):
        client.get_registered_model("crud2")


def test_model_versions_aliases_and_stages(server, client):
    client.create_registered_model("mv")
    for i in range(3):
        client.create_model_version("mv", f"s3://bucket/mv/{i}", run_id=f"{i:032x}", tags={"i": str(i)})
    # An external source stays where it is: the client downloads from it.
    assert client.get_model_version_download_uri("mv", "1") == "s3://bucket/mv/0"
    client.update_model_version("mv", "2", description="two")
    assert client.get_model_version("mv", "2").description == "two"
    client.set_model_version_tag("mv", "2", "stage", "candidate")
    client.delete_model_version_tag("mv", "2", "i")
    assert client.get_model_version("mv", "2").tags == {"stage": "candidate"}

    client.set_registered_model_alias("mv", "prod", "2")
    assert client.get_model_version_by_alias("mv", "prod").version == "2"
    assert client.get_registered_model("mv").aliases == {"prod": "2"}
    with pytest.raises(RestException, match="INVALID_PARAMETER_VALUE"):
        client.get_model_version_by_alias("mv", "nope")
    client.delete_registered_model_alias("mv", "prod")
    with pytest.raises(RestException):
        client.get_model_version_by_alias("mv", "prod")

    client.transition_model_version_stage("mv", "3", "Production")
    assert client.get_model_version("mv", "3").current_stage == "Production"
    assert [v.version for v in client.get_latest_versions("mv", ["Production"])] == ["3"]

    client.delete_model_version("mv", "1")
    with pytest.raises(RestException, match="RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version("mv", "1")
    assert [v["version"] for v in cli(server, "versions", "mv")] == [3, 2]
    assert cli(server, "show", "mv/3")["tags"]["mlflow.current_stage"] == "Production"


def test_search_filters_order_and_paging(client):
    for name in ["search-a", "search-b", "search-c", "other-x"]:
        client.create_registered_model(name, tags={"kind": "s" if name.startswith("search") else "o"})
    names = [m.name for m in client.search_registered_models(filter_string="name LIKE 'search-%'")]
    assert names == ["search-a", "search-b", "search-c"]
    assert [m.name for m in client.search_registered_models("name ILIKE 'SEARCH-A'")] == ["search-a"]
    assert [m.name for m in client.search_registered_models("tags.kind = 'o'")] == ["other-x"]
    page1 = client.search_registered_models("name LIKE 'search-%'", max_results=2, order_by=["name DESC"])
    assert [m.name for m in page1] == ["search-c", "search-b"] and page1.token
    page2 = client.search_registered_models("name LIKE 'search-%'", max_results=2, order_by=["name DESC"],
                                            page_token=page1.token)
    assert [m.name for m in page2] == ["search-a"] and not page2.token

    run_a, run_b = "a" * 32, "b" * 32
    for run in [run_a, run_b, run_a]:
        client.create_model_version("search-a", "s3://x/y", run_id=run)
    vs = client.search_model_versions(f"run_id IN ('{run_a}')", order_by=["version_number ASC"])
    assert [v.version for v in vs] == ["1", "3"]
    vs = client.search_model_versions("name = 'search-a' AND version_number > 1", max_results=1,
                                      order_by=["version_number DESC"])
    assert [v.version for v in vs] == ["3"] and vs.token
    assert list(client.search_model_versions("name = 'no-such-model'")) == []
    assert list(client.search_model_versions("name = 'no such/model'")) == []
    with pytest.raises(RestException, match="INVALID_PARAMETER_VALUE"):
        client.search_model_versions("name = 'x' OR name = 'y'")


def test_multipart_not_supported_answer(server):
    r = requests.post(server["url"] + "/api/2.0/mlflow-artifacts/mpu/create/0/x/file",
                      json={"path": "file", "num_parts": 2}, headers={"Authorization": "Bearer " + ADMIN})
    assert r.json()["message"].startswith("Multipart upload is not supported for the current artifact repository")
