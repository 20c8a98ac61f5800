"""Regression metrics agree with scikit-learn; MAPE's zero-target rule; interval coverage."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from mlmon.performance.estimate import Estimate
from mlmon.performance.regression import NAMES, regression_metrics


def _values(estimates: dict[str, Estimate]) -> dict[str, float]:
    """The point values of a population large enough that every metric is defined."""
    values = {k: v.value for k, v in estimates.items()}
    return {k: v for k, v in values.items() if v is not None}


def _sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = rng.gamma(3.0, 20.0, n) + 1.0
    pred = 0.9 * y + rng.normal(3.0, 8.0, n)
    return y, pred


@pytest.mark.parametrize("n", [5, 300, 20_000])
def test_values_equal_scikit_learn(n: int) -> None:
    y, pred = _sample(n, np.random.default_rng(n))
    got = {k: v.value for k, v in regression_metrics(y, pred, 0.95).items()}
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, pred), rel=1e-9)
    assert got["rmse"] == pytest.approx(skm.root_mean_squared_error(y, pred), rel=1e-9)
    assert got["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, pred), rel=1e-9)
    assert got["r2"] == pytest.approx(skm.r2_score(y, pred), rel=1e-9)
    assert got["mean_error"] == pytest.approx(float(np.mean(pred - y)), rel=1e-9)
    assert list(got) == list(NAMES)


def test_mape_with_a_zero_target_is_undefined_with_the_reason() -> None:
    m = regression_metrics(np.array([0.0, 2.0, 4.0]), np.array([1.0, 2.0, 3.0]), 0.95)
    assert m["mape"].value is None
    assert m["mape"].reason == (
        "1 label(s) are 0, where the percentage error is undefined; use mae or rmse"
    )
    assert m["mae"].value == pytest.approx(2 / 3)


def test_constant_labels_leave_r2_undefined() -> None:
    m = regression_metrics(np.array([3.0, 3.0, 3.0]), np.array([2.0, 3.0, 4.0]), 0.95)
    assert m["r2"].value is None and m["r2"].reason == "the labels are constant in this window"


def test_empty_window() -> None:
    m = regression_metrics(np.array([]), np.array([]), 0.95)
    assert all(v.reason == "no labelled rows" for v in m.values())


def test_95_percent_intervals_cover_the_truth_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(11)
    truth = _values(regression_metrics(*_sample(2_000_000, rng), 0.95))
    hits = dict.fromkeys(NAMES, 0)
    windows = 400
    for _ in range(windows):
        for name, est in regression_metrics(*_sample(300, rng), 0.95).items():
            assert est.low is not None and est.high is not None, name
            hits[name] += est.low <= truth[name] <= est.high
    coverage = {name: hits[name] / windows for name in NAMES}
    assert all(0.91 <= c <= 0.985 for c in coverage.values()), coverage
