"""Operational health of one window, with or without labels. Pure.

Latency quantiles carry the distribution-free order-statistic interval of
``scipy.stats.quantile_test`` (binomial ranks; Conover, *Practical Nonparametric
Statistics*, 3rd ed., §3.2); rates carry Wilson intervals.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from mlmon.metrics.estimate import Estimate
from mlmon.metrics.intervals import wilson
from mlmon.metrics.names import OPERATIONAL

NAMES = OPERATIONAL
_QUANTILES = {"latency_p50": 0.50, "latency_p95": 0.95, "latency_p99": 0.99}


def operational_metrics(
    rows: int,
    hours: float,
    latency: np.ndarray | None,
    errors: int | None,
    missing_feature_rows: int,
    confidence: float,
) -> dict[str, Estimate]:
    """Operational metrics of a window of ``rows`` requests spanning ``hours``.

    ``latency`` holds the non-null latencies (None without a latency column); ``errors`` the
    rows whose error column is set (None without an error column).

    >>> m = operational_metrics(4, 2.0, np.array([10.0, 20.0, 30.0, 40.0]), 1, 0, 0.95)
    >>> m["throughput_per_hour"].value, m["latency_p50"].value, m["error_rate"].value
    (2.0, 25.0, 0.25)
    """
    out: dict[str, Estimate] = {
        "rows": Estimate(float(rows)),
        "throughput_per_hour": Estimate(rows / hours)
        if hours > 0
        else Estimate.undefined("the window has no duration"),
        "error_rate": wilson(errors, rows, confidence, "no rows")
        if errors is not None
        else Estimate.undefined("no error column in the config (schema.error)"),
        "missing_feature_share": wilson(missing_feature_rows, rows, confidence, "no rows"),
    }
    if latency is None:
        for name in (*_QUANTILES, "latency_max"):
            out[name] = Estimate.undefined("no latency column in the config (schema.latency)")
    elif len(latency) == 0:
        for name in (*_QUANTILES, "latency_max"):
            out[name] = Estimate.undefined("no latency values in this window")
    else:
        ordered = np.sort(latency)  # one fast sort; the quantile searches are quicker on it
        for name, q in _QUANTILES.items():
            out[name] = latency_quantile(ordered, q, confidence)
        out["latency_max"] = Estimate(float(ordered[-1]))
    return {name: out[name] for name in NAMES}


def latency_quantile(values: np.ndarray, q: float, confidence: float) -> Estimate:
    """The ``q`` quantile (numpy's linear interpolation, as polars and pandas use) with a
    distribution-free interval; None bounds where the sample is too small for one."""
    value = float(np.quantile(values, q))
    result = stats.quantile_test(values, q=value, p=q)
    ci = result.confidence_interval(confidence_level=confidence)
    low, high = float(ci.low), float(ci.high)
    if not (np.isfinite(low) and np.isfinite(high)):
        return Estimate(value)
    return Estimate(value, low, high, "order-statistic")
