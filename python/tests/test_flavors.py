"""Real models trained on tiny data, saved and loaded through a real server:
predictions after load equal predictions before save."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import modelry
from modelry import metadata


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    return X, y


def test_sklearn_three_lines_and_every_reference(reg, name, data):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = data
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0)).fit(X, y)
    reg.register(name, description="churn classifier", tags={"team": "growth"})
    v = reg.save(name, model, "1.0", metrics={"accuracy": 0.93}, params={"C": 1.0}, alias="staging", input_example=X[:5])
    assert (v.version, v.label, v.metrics, v.params, v.aliases) == (1, "1.0", {"accuracy": 0.93}, {"C": "1.0"}, ["staging"])
    assert sorted(f.path for f in v.files) == ["input_example.npy", "model.skops", "modelry.json"]

    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    v2 = reg.save(name, forest, "2.0")
    assert v2.version == 2

    fresh = modelry.Registry(reg.url, token=reg.client._headers["Authorization"][7:], cache_dir=reg.cache.root.parent / "c2", progress=False)
    for ref in ["1.0", 1, "@staging", v.digest]:
        loaded = fresh.load(name, ref)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
        np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    latest = fresh.load(name)  # the forest: its Tree type is trusted as a scikit-learn class
    np.testing.assert_array_equal(latest.predict_proba(X), forest.predict_proba(X))
    np.testing.assert_array_equal(fresh.load(f"{name}:2.0").predict(X), forest.predict(X))

    info = fresh.load_info(name, "1.0")
    assert info.metadata["flavor"] == "sklearn" and info.metadata["serializer"] == "skops"
    assert set(info.metadata["libraries"]) >= {"sklearn", "skops", "numpy"}
    assert info.metadata["python"].count(".") == 2
    assert info.metadata["signature"]["inputs"] == {"type": "tensor", "dtype": "float32", "shape": [-1, 4]}
    assert info.metadata["signature"]["outputs"] == {"type": "tensor", "dtype": "int64", "shape": [-1]}
    np.testing.assert_array_equal(info.input_example, X[:5])


def test_skops_output_is_canonical(data):
    from sklearn.ensemble import RandomForestClassifier
    import skops.io as sio
    from modelry.flavors.sklearn import canonical_skops

    X, y = data
    m = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    a, b = sio.dumps(m), sio.dumps(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y))
    assert a != b  # skops alone differs (ids, times): the reason for canonical_skops
    assert canonical_skops(a) == canonical_skops(b)
    back = sio.loads(canonical_skops(a), trusted=sio.get_untrusted_types(data=a))
    np.testing.assert_array_equal(back.predict_proba(X), m.predict_proba(X))


def test_onnx_via_skl2onnx(reg, name, data):
    import onnxruntime
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    X, y = data
    onx = to_onnx(LogisticRegression().fit(X, y), X[:1], target_opset=17)
    before = onnxruntime.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    want = before.run(None, {before.get_inputs()[0].name: X})
    reg.save(name, onx, "1.0", input_example=X[:3])

    sess = reg.load(name, "1.0")
    assert isinstance(sess, onnxruntime.InferenceSession)
    got = sess.run(None, {sess.get_inputs()[0].name: X})
    np.testing.assert_array_equal(got[0], want[0])
    info = reg.load_info(name, "1.0")
    assert info.metadata["flavor"] == "onnx" and info.metadata["options"]["opset"]["ai.onnx"] == 17
    assert info.metadata["signature"]["outputs"]["dtype"] == "int64"


def test_xgboost_native(reg, name, data):
    import xgboost

    X, y = data
    clf = xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(X, y)
    booster = xgboost.train({"max_depth": 2}, xgboost.DMatrix(X, label=y), num_boost_round=4)
    reg.save(name, clf, "clf")
    reg.save(name, booster, "booster")

    got = reg.load(name, "clf")
    assert type(got) is xgboost.XGBClassifier
    np.testing.assert_array_equal(got.predict(X), clf.predict(X))
    np.testing.assert_array_equal(got.predict_proba(X), clf.predict_proba(X))
    b = reg.load(name, "booster")
    np.testing.assert_array_equal(b.predict(xgboost.DMatrix(X)), booster.predict(xgboost.DMatrix(X)))
    assert [f.path for f in reg.get(name, "clf").files] == ["model.ubj", "modelry.json"]


def test_lightgbm_native(reg, name, data):
    import lightgbm

    X, y = data
    labels = np.where(y == 1, "churn", "stay")  # string classes survive the round trip
    clf = lightgbm.LGBMClassifier(n_estimators=8, min_child_samples=5, verbose=-1).fit(X, labels)
    regr = lightgbm.LGBMRegressor(n_estimators=8, min_child_samples=5, verbose=-1).fit(X, X[:, 0] * 2)
    booster = lightgbm.train({"objective": "binary", "verbose": -1, "min_data_in_leaf": 5}, lightgbm.Dataset(X, label=y), num_boost_round=5)
    for label, m in [("clf", clf), ("reg", regr), ("booster", booster)]:
        reg.save(name, m, label)

    got = reg.load(name, "clf")
    assert type(got) is lightgbm.LGBMClassifier
    np.testing.assert_array_equal(got.predict(X), clf.predict(X))
    np.testing.assert_array_equal(got.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(reg.load(name, "reg").predict(X), regr.predict(X))
    np.testing.assert_array_equal(reg.load(name, "booster").predict(X), booster.predict(X))
    assert "model.txt" in [f.path for f in reg.get(name, "booster").files]


def test_numpy_weights_as_safetensors(reg, name):
    weights = {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.array([1, 2, 3], dtype=np.int64)}
    reg.save(name, weights, "1.0")
    got = reg.load(name, "1.0")
    assert set(got) == {"w", "b"}
    for k in weights:
        np.testing.assert_array_equal(got[k], weights[k])
        assert got[k].dtype == weights[k].dtype
    reg.save(name, np.eye(3), "eye")
    np.testing.assert_array_equal(reg.load(name, "eye"), np.eye(3))


class Opaque:
    """An object no flavor knows."""

    def __init__(self, k: int) -> None:
        self.k = k

    def predict(self, X):
        return np.full(len(X), self.k)


def test_pickle_refused_by_default(reg, name, data):
    from sklearn.linear_model import LogisticRegression

    X, y = data
    with pytest.raises(modelry.InvalidArgument) as e:
        reg.save(name, Opaque(3))
    assert e.value.code == "PICKLE_NOT_ALLOWED" and "allow_pickle=True" in e.value.message
    with pytest.raises(modelry.InvalidArgument) as e:
        reg.save(name, LogisticRegression().fit(X, y), serializer="joblib")
    assert e.value.code == "PICKLE_NOT_ALLOWED"
    with pytest.raises(modelry.NotFound):
        reg.get_model(name)  # nothing was created

    reg.save(name, Opaque(3), "opaque", allow_pickle=True)
    lr = LogisticRegression().fit(X, y)
    reg.save(name, lr, "joblib", serializer="joblib", allow_pickle=True)
    for label in ["opaque", "joblib"]:
        with pytest.raises(modelry.InvalidArgument) as e:
            reg.load(name, label)
        assert e.value.code == "PICKLE_NOT_ALLOWED"
    assert reg.load(name, "opaque", allow_pickle=True).k == 3
    np.testing.assert_array_equal(reg.load(name, "joblib", allow_pickle=True).predict(X), lr.predict(X))


def test_untrusted_skops_types_are_refused(reg, name, tmp_path, data):
    import operator

    from sklearn.preprocessing import FunctionTransformer

    X, _ = data
    reg.save(name, FunctionTransformer(operator.neg), "1.0")  # skops does not trust operator.neg
    with pytest.raises(modelry.InvalidArgument) as e:
        reg.load(name, "1.0")
    assert e.value.code == "UNTRUSTED_TYPES" and "_operator.neg" in e.value.message
    got = reg.load(name, "1.0", trusted=["_operator.neg"])
    np.testing.assert_array_equal(got.transform(X), -X)


def _fake_version(tmp_path, libraries, serializer="skops"):
    from sklearn.linear_model import LinearRegression

    d = tmp_path / "fake"
    d.mkdir()
    meta = metadata.write_model(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]), d)
    meta["libraries"].update(libraries)
    (d / "modelry.json").write_text(json.dumps(meta))
    return d


def test_library_versions_checked_on_load(reg, name, tmp_path):
    import sklearn

    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    folder = _fake_version(tmp_path, {"sklearn": f"{major + 1}.0.0"})
    reg.save_files(name, folder, "major")
    with pytest.raises(modelry.LibraryVersionError) as e:
        reg.load(name, "major")
    assert e.value.code == "LIBRARY_VERSION_MISMATCH" and f"sklearn: saved with {major + 1}.0.0" in e.value.message
    with pytest.warns(modelry.LibraryVersionWarning):
        assert reg.load(name, "major", force=True).predict([[2.0]])[0] == pytest.approx(2.0)

    folder2 = tmp_path / "minor"
    folder2.mkdir()
    for f in (tmp_path / "fake").iterdir():
        (folder2 / f.name).write_bytes(f.read_bytes())
    meta = json.loads((folder2 / "modelry.json").read_text())
    meta["libraries"]["sklearn"] = f"{major}.{minor + 1}.0"
    (folder2 / "modelry.json").write_text(json.dumps(meta))
    reg.save_files(name, folder2, "minor")
    with pytest.warns(modelry.LibraryVersionWarning, match="sklearn"):
        reg.load(name, "minor")

    with pytest.warns(modelry.LibraryVersionWarning):
        model = reg.load(name, "minor")
    reg.save(name, model, "same")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg.load(name, "same")  # same versions: no warning at all


def test_sklearn_with_a_dataframe_input_example(reg, name, data):
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = data
    df = pd.DataFrame({
        "age": (X[:, 0] * 10 + 40).astype("int64"),
        "income": X[:, 1].astype("float64"),
        "plan": np.where(X[:, 2] > 0, "pro", "free"),
    })
    model = make_pipeline(
        make_column_transformer((StandardScaler(), ["age", "income"]), (OneHotEncoder(), ["plan"])),
        LogisticRegression(),
    ).fit(df, y)
    reg.save(name, model, "1.0", input_example=df.head(5))

    info = reg.load_info(name, "1.0")
    inputs = info.metadata["signature"]["inputs"]
    assert inputs == {"type": "dataframe", "columns": {"age": "int64", "income": "float64", "plan": str(df["plan"].dtype)}}
    assert info.metadata["signature"]["outputs"] == {"type": "tensor", "dtype": "int64", "shape": [-1]}
    pd.testing.assert_frame_equal(info.input_example, df.head(5))  # back as a DataFrame, dtypes and all

    loaded = reg.load(name, "1.0")
    assert list(loaded.feature_names_in_) == ["age", "income", "plan"]
    np.testing.assert_array_equal(loaded.predict(df), model.predict(df))
    np.testing.assert_allclose(loaded.predict_proba(info.input_example), model.predict_proba(df.head(5)))
