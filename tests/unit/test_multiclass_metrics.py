"""Multiclass metrics agree with scikit-learn; intervals cover the truth about 95% of the time."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from mlmon.performance.estimate import Estimate
from mlmon.performance.multiclass import NAMES, multiclass_metrics


def _values(estimates: dict[str, Estimate]) -> dict[str, float]:
    """The point values of a population large enough that every metric is defined."""
    values = {k: v.value for k, v in estimates.items()}
    return {k: v for k, v in values.items() if v is not None}


CLASSES = ("cat", "dog", "bird")


def _sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    logits = rng.normal(size=(n, 3)) + np.array([0.4, 0.0, -0.5])
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.random((n, 1)) > np.cumsum(proba, axis=1)).sum(axis=1)
    return y, proba.argmax(axis=1), proba


@pytest.mark.parametrize("n", [60, 2000])
def test_values_equal_scikit_learn(n: int) -> None:
    y, pred, proba = _sample(n, np.random.default_rng(n))
    got = multiclass_metrics(y, pred, proba, CLASSES, 0.95)
    assert got["accuracy"].value == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
    for average in ("macro", "weighted"):
        kw = {"average": average, "zero_division": 0}
        assert got[f"precision_{average}"].value == pytest.approx(
            skm.precision_score(y, pred, **kw), abs=1e-12
        )
        assert got[f"recall_{average}"].value == pytest.approx(
            skm.recall_score(y, pred, **kw), abs=1e-12
        )
        assert got[f"f1_{average}"].value == pytest.approx(skm.f1_score(y, pred, **kw), abs=1e-12)
    assert got["log_loss"].value == pytest.approx(skm.log_loss(y, proba), abs=1e-9)
    assert got["roc_auc_ovr_macro"].value == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"), abs=1e-12
    )
    per_class = skm.recall_score(y, pred, average=None)
    for i, label in enumerate(CLASSES):
        assert got[f"recall[{label}]"].value == pytest.approx(per_class[i], abs=1e-12)
    assert list(got)[: len(NAMES)] == list(NAMES)


def test_a_missing_class_leaves_auc_undefined() -> None:
    y = np.array([0, 1, 0, 1])
    proba = np.array([[0.6, 0.3, 0.1]] * 4)
    got = multiclass_metrics(y, np.array([0, 0, 0, 1]), proba, CLASSES, 0.95)
    assert got["roc_auc_ovr_macro"].reason == "not every class occurs among the labels"
    assert got["recall[bird]"].reason == "no labels of class bird"


def test_without_probabilities_the_probability_metrics_say_why() -> None:
    y, pred, _ = _sample(100, np.random.default_rng(1))
    got = multiclass_metrics(y, pred, None, CLASSES, 0.95)
    assert got["log_loss"].reason == "no probability columns in the config (schema.probabilities)"


def test_95_percent_intervals_cover_the_truth_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(3)
    truth = _values(multiclass_metrics(*_sample(300_000, rng), CLASSES, 0.95))
    names = ["accuracy", "f1_macro", "recall_weighted", "log_loss", "roc_auc_ovr_macro"]
    hits = dict.fromkeys(names, 0)
    windows = 300
    for _ in range(windows):
        est = multiclass_metrics(*_sample(300, rng), CLASSES, 0.95)
        for name in names:
            low, high = est[name].low, est[name].high
            assert low is not None and high is not None
            hits[name] += low <= truth[name] <= high
    coverage = {name: hits[name] / windows for name in names}
    assert all(0.90 <= c <= 0.99 for c in coverage.values()), coverage
