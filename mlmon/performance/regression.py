"""Realized quality of a regression model on one window's labelled rows. Pure.

Errors are ``e = prediction - label``. MAE, RMSE and R² equal scikit-learn's
``mean_absolute_error``, ``root_mean_squared_error`` and ``r2_score``. MAPE is
mean(|e| / |label|) and is undefined when any label is 0 (scikit-learn divides by machine
epsilon there, which turns one zero target into an astronomically large MAPE).
"""

from __future__ import annotations

import math

import numpy as np

from mlmon.config.metric_names import REGRESSION
from mlmon.performance.estimate import Estimate
from mlmon.performance.intervals import delta_ratio_interval, mean_t

NAMES = REGRESSION


def regression_metrics(y: np.ndarray, pred: np.ndarray, confidence: float) -> dict[str, Estimate]:
    """All regression metrics for labels ``y`` and predictions ``pred`` with intervals: t for
    the means (MAE, MAPE, bias), the square root of the t interval of MSE for RMSE, and the
    delta method for R² = 1 - mean(e²) / mean((y - ȳ)²)."""
    n = len(y)
    if n == 0:
        return {name: Estimate.undefined("no labelled rows") for name in NAMES}
    e = pred - y
    mse = mean_t(e * e, confidence, "no labelled rows")
    assert mse.value is not None
    rmse = Estimate(
        math.sqrt(mse.value),
        None if mse.low is None else math.sqrt(max(mse.low, 0.0)),
        None if mse.high is None else math.sqrt(mse.high),
        "t" if mse.low is not None else None,
    )
    zeros = int(np.sum(y == 0))
    mape = (
        Estimate.undefined(
            f"{zeros} label(s) are 0, where the percentage error is undefined; use mae or rmse"
        )
        if zeros
        else mean_t(np.abs(e) / np.abs(y), confidence, "no labelled rows")
    )
    return {
        "mae": mean_t(np.abs(e), confidence, "no labelled rows"),
        "rmse": rmse,
        "mape": mape,
        "r2": _r2(y, e, confidence),
        "mean_error": mean_t(e, confidence, "no labelled rows"),
    }


def _r2(y: np.ndarray, e: np.ndarray, confidence: float) -> Estimate:
    if len(y) < 2:
        return Estimate.undefined("needs at least 2 labelled rows")
    d = y - y.mean()
    if not np.any(d):
        return Estimate.undefined("the labels are constant in this window")
    a, b = e * e, d * d
    value = 1 - float(a.mean()) / float(b.mean())
    interval = delta_ratio_interval(
        a, b, lambda ma, mb: 1 - ma / mb, lambda ma, mb: (-1 / mb, ma / (mb * mb)), confidence
    )
    return Estimate.with_interval(value, interval, "delta")
