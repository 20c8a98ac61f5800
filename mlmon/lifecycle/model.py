"""Training data, estimators and their evaluation: what ``retrain`` and ``promote`` share.

The estimator is a scikit-learn pipeline: numerical features pass through (the default
estimators handle missing values), categorical ones are ordinal-encoded (unknown and missing
categories become -1), then the configured estimator — by default
``HistGradientBoostingClassifier`` / ``Regressor``, which take the categorical codes natively.
Labels become what the metrics use: 0/1 for binary (1 is the positive class), class indices
for multiclass, floats for regression.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from mlmon.config import Config
from mlmon.errors import ConfigError, DataError
from mlmon.performance.estimate import Estimate

PRIMARY = {
    "binary_classification": "roc_auc",
    "multiclass_classification": "f1_macro",
    "regression": "rmse",
}
"""The metric a one-line summary shows, and the promotion gate's default."""

DEFAULTS = {
    "binary_classification": "sklearn.ensemble.HistGradientBoostingClassifier",
    "multiclass_classification": "sklearn.ensemble.HistGradientBoostingClassifier",
    "regression": "sklearn.ensemble.HistGradientBoostingRegressor",
}


@dataclass
class Dataset:
    """Features and target of labelled rows, oldest first."""

    features: pl.DataFrame
    target: np.ndarray
    timestamps: pl.Series | None

    @property
    def rows(self) -> int:
        return self.features.height

    def digest(self) -> str:
        """SHA-256 of the rows in Arrow IPC form (same rows, same order → same digest)."""
        frame = self.features.with_columns(pl.Series("__target", self.target))
        return hashlib.sha256(
            frame.write_ipc(None, compression="uncompressed").getvalue()
        ).hexdigest()

    def split(self, holdout: float) -> tuple[Dataset, Dataset]:
        """The oldest rows for training, the latest ``holdout`` share for evaluation."""
        cut = self.rows - max(1, round(self.rows * holdout))
        if cut < 1:
            raise DataError(
                f"{self.rows} labelled rows cannot be split into training and holdout",
                hint="widen retrain.window or wait for more labels",
            )

        def part(lo: int, hi: int) -> Dataset:
            ts = None if self.timestamps is None else self.timestamps[lo:hi]
            return Dataset(self.features[lo:hi], self.target[lo:hi], ts)

        return part(0, cut), part(cut, self.rows)


def target(config: Config, label: pl.Series) -> np.ndarray:
    """Labels as the metrics read them (see the module docstring)."""
    classes = config.model.classes
    if config.model.task == "regression" or classes is None:
        return label.cast(pl.Float64).to_numpy()
    if config.model.task == "binary_classification":
        return (label == classes[1]).cast(pl.Int64).to_numpy()
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[v] for v in label.to_list()], dtype=np.int64)


NATIVE_CATEGORIES = 250
"""Histogram gradient boosting bins a native categorical feature in at most 255 bins; a
column with more categories is given to it as ordinal codes (a numerical feature)."""


def build(config: Config, train: pl.DataFrame | None = None) -> Any:
    """An unfitted pipeline for the configured task, features and estimator (``train``
    tells which categorical columns have few enough categories to be native)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    f = config.schema_.features
    settings = config.retrain.estimator
    path = settings.class_ or DEFAULTS[config.model.task]
    estimator_class = _trusted_import(config)
    params = dict(settings.params)
    accepted = inspect.signature(estimator_class).parameters
    if "random_state" in accepted and "random_state" not in params:
        params["random_state"] = config.retrain.seed
    if path.endswith("HistGradientBoostingClassifier") or path.endswith(
        "HistGradientBoostingRegressor"
    ):
        native = [train is None or train[c].n_unique() <= NATIVE_CATEGORIES for c in f.categorical]
        params.setdefault("categorical_features", [False] * len(f.numerical) + native)
    try:
        estimator = estimator_class(**params)
    except TypeError as exc:
        raise ConfigError(
            f"retrain.estimator.params: {path} does not accept them ({exc})",
            hint="check the parameter names against the estimator's documentation",
        ) from exc
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
    )
    columns = ColumnTransformer(
        [
            ("numerical", "passthrough", list(f.numerical)),
            ("categorical", encoder, list(f.categorical)),
        ]
    )
    return Pipeline([("features", columns), ("estimator", estimator)])


def fit(config: Config, train: Dataset) -> Any:
    """The fitted model: the pipeline of :func:`build`, or the user function's result."""
    function = config.retrain.estimator.function
    if function is not None:
        fitted = _trusted_import(config)(train.features, train.target)
        if not hasattr(fitted, "predict"):
            raise ConfigError(
                f"retrain.estimator.function {function} did not return a fitted estimator"
            )
        return fitted
    model = build(config, train.features)
    model.fit(train.features, train.target)
    return model


def evaluate(config: Config, model: Any, data: Dataset, confidence: float) -> dict[str, Estimate]:
    """The task's quality metrics of ``model`` on ``data`` (as ``mlmon metrics`` defines them)."""
    from mlmon.performance.binary import binary_metrics
    from mlmon.performance.multiclass import multiclass_metrics
    from mlmon.performance.regression import regression_metrics

    task = config.model.task
    if task == "regression":
        return regression_metrics(data.target, np.asarray(model.predict(data.features)), confidence)
    proba = np.asarray(model.predict_proba(data.features))
    if task == "binary_classification":
        score = proba[:, 1]
        pred = (score >= config.metrics.decision_threshold).astype(np.int64)
        return binary_metrics(data.target, pred, score, confidence)
    return multiclass_metrics(
        data.target, proba.argmax(axis=1), proba, config.model.classes or (), confidence
    )


def _trusted_import(config: Config) -> Any:
    """The configured estimator class (or user function), imported only from scikit-learn or
    ``retrain.trusted_modules``, and only a class with ``fit``, ``get_params`` and
    ``set_params`` (a function for ``retrain.estimator.function``): exit 3 otherwise, before
    anything is called. ``os.system`` or ``subprocess.Popen`` is never reached."""
    from pydantic_core import PydanticCustomError

    try:
        key, module, name = config.retrain.estimator_module()
    except PydanticCustomError as exc:
        raise ConfigError(exc.message(), hint=_TRUST_HINT) from None
    if not module:
        module, _, name = DEFAULTS[config.model.task].rpartition(".")
    path = f"{module}.{name}"
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(
            f"{key}: cannot import {path!r} ({exc})",
            hint="give a full path such as sklearn.ensemble.HistGradientBoostingClassifier "
            "(or module:function for a function)",
        ) from exc
    if key == "retrain.estimator.function":
        if not inspect.isroutine(obj):
            raise ConfigError(f"{key}: {path} is not a function", hint=_TRUST_HINT)
        return obj
    if not inspect.isclass(obj):
        raise ConfigError(
            f"{key}: {path} is not a class; give an estimator class (or use "
            "retrain.estimator.function for a function that returns a fitted estimator)",
            hint=_TRUST_HINT,
        )
    missing = [
        m for m in ("fit", "get_params", "set_params") if not callable(getattr(obj, m, None))
    ]
    if missing:
        raise ConfigError(
            f"{key}: {path} is not a scikit-learn estimator (it has no {', '.join(missing)})",
            hint=_TRUST_HINT,
        )
    return obj


_TRUST_HINT = (
    "name a scikit-learn-compatible estimator class from sklearn or from a module listed in "
    "retrain.trusted_modules"
)
