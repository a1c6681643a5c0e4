"""XGBoost and LightGBM in their native formats.

XGBoost: boosters and the scikit-learn wrappers (``XGBClassifier``...) as
UBJSON (``model.ubj``); the wrappers reload with ``load_model``, which
restores their scikit-learn attributes.

LightGBM: the booster's text format (``model.txt``). LightGBM's wrappers
(``LGBMClassifier``...) cannot reload a booster by themselves, so the
flavor records their parameters, classes and objective and rebuilds the
wrapper around the loaded booster (:func:`_rebuild_lgbm`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional

from . import Flavor, LoadContext, SaveContext, Saved, class_path, import_object, module_loaded


class XGBoostFlavor(Flavor):
    """XGBoost boosters and scikit-learn wrappers, as UBJSON (``model.ubj``)."""

    name = "xgboost"
    load_libraries = ("xgboost",)

    def matches(self, obj: Any) -> bool:
        if not module_loaded(obj, "xgboost"):
            return False
        import xgboost

        return isinstance(obj, (xgboost.Booster, xgboost.XGBModel))

    def save(self, obj: Any, root: Path, ctx: SaveContext) -> Saved:
        obj.save_model(str(root / "model.ubj"))
        return Saved("xgboost-ubj", ["model.ubj"], ["xgboost", "numpy"], {"class": class_path(obj)})

    def load(self, root: Path, meta: Dict[str, Any], ctx: LoadContext) -> Any:
        cls = import_object(meta["options"]["class"], allowed_roots=("xgboost",))
        model = cls()
        model.load_model(str(root / meta["model_files"][0]))
        return model

    def predict(self, obj: Any, example: Any) -> Any:
        import xgboost

        if isinstance(obj, xgboost.Booster):
            return obj.predict(xgboost.DMatrix(example))
        return obj.predict(example)


class LightGBMFlavor(Flavor):
    """LightGBM boosters and scikit-learn wrappers, as the text format (``model.txt``)."""

    name = "lightgbm"
    load_libraries = ("lightgbm",)

    def matches(self, obj: Any) -> bool:
        if not module_loaded(obj, "lightgbm"):
            return False
        import lightgbm

        return isinstance(obj, (lightgbm.Booster, lightgbm.LGBMModel))

    def save(self, obj: Any, root: Path, ctx: SaveContext) -> Saved:
        import lightgbm

        booster = obj if isinstance(obj, lightgbm.Booster) else obj.booster_
        booster.save_model(str(root / "model.txt"))
        opts: Dict[str, Any] = {"class": class_path(obj)}
        if not isinstance(obj, lightgbm.Booster):
            opts["params"] = _json_params(obj.get_params())
            opts["objective"] = obj.objective_ if isinstance(obj.objective_, str) else None
            classes = getattr(obj, "classes_", None) if hasattr(obj, "predict_proba") else None
            opts["classes"] = None if classes is None else classes.tolist()
            names = getattr(obj, "feature_names_in_", None)
            opts["feature_names_in"] = None if names is None else [str(n) for n in names]
        return Saved("lightgbm-text", ["model.txt"], ["lightgbm", "numpy"], opts)

    def load(self, root: Path, meta: Dict[str, Any], ctx: LoadContext) -> Any:
        import lightgbm

        booster = lightgbm.Booster(model_file=str(root / meta["model_files"][0]))
        cls = import_object(meta["options"]["class"], allowed_roots=("lightgbm",))
        if cls is lightgbm.Booster:
            return booster
        return _rebuild_lgbm(cls, booster, meta["options"])


def _rebuild_lgbm(cls: Any, booster: Any, opts: Dict[str, Any]) -> Any:
    """Builds a fitted LightGBM scikit-learn wrapper around a loaded booster,
    setting the attributes its ``fit`` would have set (lightgbm 4.x)."""
    import numpy as np

    model = cls(**(opts.get("params") or {}))
    model._Booster = booster
    model._n_features = booster.num_feature()
    model._n_features_in = booster.num_feature()
    model._objective = opts.get("objective")
    model._other_params = {}
    model._best_iteration = booster.best_iteration
    model._best_score = {}
    if opts.get("feature_names_in") and not isinstance(getattr(type(model), "feature_names_in_", None), property):
        model.feature_names_in_ = np.asarray(opts["feature_names_in"], dtype=object)  # (lightgbm < 4.7 derives it from the booster)
    classes: Optional[list] = opts.get("classes")
    if classes is not None:
        from sklearn.preprocessing import LabelEncoder

        model._le = LabelEncoder().fit(np.asarray(classes))
        model._classes = model._le.classes_
        model._n_classes = len(model._classes)
    model.fitted_ = True
    return model


def _json_params(params: Dict[str, Any]) -> Dict[str, Any]:
    """The parameters that survive JSON unchanged (callables and random
    generators are dropped)."""
    out = {}
    for k, v in params.items():
        try:
            if json.loads(json.dumps(v)) == v:
                out[k] = v
        except (TypeError, ValueError):
            pass
    return out
