"""Binary metrics agree with scikit-learn, are undefined (not 0, not NaN) where they should
be, and their 95% intervals cover the truth about 95% of the time."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from mlmon.performance.binary import NAMES, binary_metrics, expected_calibration_error
from mlmon.performance.estimate import Estimate


def _values(estimates: dict[str, Estimate]) -> dict[str, float]:
    """The point values of a population large enough that every metric is defined."""
    values = {k: v.value for k, v in estimates.items()}
    return {k: v for k, v in values.items() if v is not None}


def _sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    score = rng.beta(2, 5, n)
    y = (rng.random(n) < score).astype(int)
    return y, (score >= 0.3).astype(int), score


@pytest.mark.parametrize(("n", "seed"), [(40, 1), (1000, 2), (25_000, 3)])
def test_values_equal_scikit_learn(n: int, seed: int) -> None:
    y, pred, score = _sample(n, seed)
    got = {k: v.value for k, v in binary_metrics(y, pred, score, 0.95).items()}
    tn, fp, _fn, _tp = skm.confusion_matrix(y, pred).ravel()
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "specificity": tn / (tn + fp),
        "f1": skm.f1_score(y, pred),
        "roc_auc": skm.roc_auc_score(y, score),
        "average_precision": skm.average_precision_score(y, score),
        "log_loss": skm.log_loss(y, score),
        "brier": skm.brier_score_loss(y, score),
        "predicted_positive_rate": pred.mean(),
        "base_rate": y.mean(),
    }
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=1e-9, rel=1e-9), name
    assert list(got) == list(NAMES)


def test_auc_and_average_precision_with_ties_equal_scikit_learn() -> None:
    rng = np.random.default_rng(4)
    score = rng.integers(0, 5, 500) / 4.0
    y = (rng.random(500) < score).astype(int)
    got = binary_metrics(y, (score > 0.5).astype(int), score, 0.95)
    assert got["roc_auc"].value == pytest.approx(skm.roc_auc_score(y, score), abs=1e-12)
    assert got["average_precision"].value == pytest.approx(
        skm.average_precision_score(y, score), abs=1e-12
    )


def test_same_rows_in_another_order_give_identical_digits() -> None:
    y, pred, score = _sample(20_000, 7)
    order = np.random.default_rng(8).permutation(len(y))
    first = binary_metrics(y, pred, score, 0.95)
    shuffled = binary_metrics(y[order], pred[order], score[order], 0.95)
    assert {k: v.to_dict() for k, v in first.items()} == {
        k: v.to_dict() for k, v in shuffled.items()
    }


def test_one_class_window_gives_undefined_metrics_with_reasons() -> None:
    y = np.zeros(20, dtype=int)
    pred = np.zeros(20, dtype=int)
    score = np.linspace(0.01, 0.4, 20)
    m = binary_metrics(y, pred, score, 0.95)
    assert m["roc_auc"].value is None and m["roc_auc"].reason == "only one class among the labels"
    assert m["recall"].reason == "no positive labels"
    assert m["precision"].reason == "no positive predictions"
    assert m["average_precision"].reason == "no positive labels"
    assert m["accuracy"].value == 1.0
    assert m["roc_auc"].to_dict() == {
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "ci_method": None,
        "reason": "only one class among the labels",
    }


def test_without_a_score_the_score_metrics_say_why() -> None:
    y, pred, _ = _sample(100, 5)
    m = binary_metrics(y, pred, None, 0.95)
    for name in ("roc_auc", "average_precision", "log_loss", "brier", "ece"):
        assert m[name].value is None
        assert m[name].reason == "no score column in the config (schema.score)"
    assert m["f1"].value is not None


def test_ece_by_hand() -> None:
    y = np.array([0, 0, 1, 1, 1])
    score = np.array([0.12, 0.18, 0.85, 0.95, 0.15])
    # bin 1: scores .12 .18 .15, labels 0 0 1 -> |1/3 - .15| ; bin 8: .85 -> |1-.85| ; bin 9: .95
    expected = (3 * abs(1 / 3 - 0.15) + abs(1 - 0.85) + abs(1 - 0.95)) / 5
    assert expected_calibration_error(y, score).value == pytest.approx(expected, abs=1e-12)


def test_ece_bins_include_their_lower_edge_and_the_last_includes_one() -> None:
    # 0.1 opens bin [0.1, 0.2) (alone with its label 1); 0.9 and 1.0 share [0.9, 1.0]
    y = np.array([1, 0, 1])
    score = np.array([0.1, 0.9, 1.0])
    expected = (abs(1 - 0.1) + abs(1 - 1.9)) / 3
    assert expected_calibration_error(y, score).value == pytest.approx(expected, abs=1e-12)


def test_95_percent_intervals_cover_the_true_value_about_95_percent_of_the_time() -> None:
    """Simulation: draw 400 windows of 400 rows from one known population; the truth is the
    metric on a very large sample of it. Coverage must be near 95% (the binomial noise of 400
    windows is about 1.1 points); ECE has no interval (see its docstring)."""
    rng = np.random.default_rng(7)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        score = rng.beta(2, 3, n)
        y = (rng.random(n) < np.clip(score * 1.1, 0, 1)).astype(int)
        return y, (score >= 0.5).astype(int), score

    names = [n for n in NAMES if n != "ece"]
    truth = _values(binary_metrics(*draw(1_000_000), 0.95))
    hits = dict.fromkeys(names, 0)
    windows = 400
    for _ in range(windows):
        estimates = binary_metrics(*draw(400), 0.95)
        for name in names:
            est = estimates[name]
            assert est.low is not None and est.high is not None, name
            hits[name] += est.low <= truth[name] <= est.high
    coverage = {name: hits[name] / windows for name in names}
    assert all(0.91 <= c <= 0.985 for c in coverage.values()), coverage
    assert binary_metrics(*draw(400), 0.95)["ece"].low is None
