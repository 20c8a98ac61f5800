"""Operational health of one window, with or without labels. Pure.

Latency quantiles carry the distribution-free order-statistic interval of
``scipy.stats.quantile_test`` (binomial ranks; Conover, *Practical Nonparametric
Statistics*, 3rd ed., §3.2); rates carry Wilson intervals.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from mlmon.config.metric_names import OPERATIONAL
from mlmon.performance.estimate import Estimate
from mlmon.performance.intervals import wilson

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


def latency_quantile(ordered: np.ndarray, q: float, confidence: float) -> Estimate:
    """The ``q`` quantile of the sorted sample ``ordered`` (numpy's linear interpolation, as
    polars and pandas use) with a distribution-free interval; no bounds where the sample is
    too small for one.

    The interval is the one ``scipy.stats.quantile_test(...).confidence_interval()`` gives
    (Conover §3.2): with B ~ Binomial(n, q) and a = (1 - confidence) / 2, the order
    statistics x₍ₗ₎ and x₍ₕ₎ (0-based) with l = F_B⁻¹(a) - 1 and h = S_B⁻¹(a). It is
    computed here from the sorted sample because quantile_test also computes a p-value and
    sorts the sample again, three times per window.

    >>> e = latency_quantile(np.arange(1.0, 101.0), 0.5, 0.95)
    >>> e.value, e.low, e.high
    (50.5, 40.0, 61.0)
    """
    n = len(ordered)
    value = float(np.quantile(ordered, q))
    alpha = (1 - confidence) / 2
    low_index, high_index = _binomial_ppf(alpha, n, q) - 1, _binomial_isf(alpha, n, q)
    if low_index < 0 or high_index >= n:
        return Estimate(value)
    return Estimate(value, float(ordered[low_index]), float(ordered[high_index]), "order-statistic")


def _binomial_ppf(a: float, n: int, p: float) -> int:
    """The smallest k with P(B ≤ k) ≥ a for B ~ Binomial(n, p) (``scipy.stats.binom.ppf``),
    from scipy.special's binomial CDF, starting at its continuous inverse."""
    k = _start(special.bdtrik(a, n, p), n, p)
    while k > 0 and special.bdtr(k - 1, n, p) >= a:
        k -= 1
    while k < n and special.bdtr(k, n, p) < a:
        k += 1
    return k


def _binomial_isf(a: float, n: int, p: float) -> int:
    """The smallest k with P(B > k) ≤ a (``scipy.stats.binom.isf``)."""
    k = _start(special.bdtrik(1 - a, n, p), n, p)
    while k > 0 and special.bdtrc(k - 1, n, p) <= a:
        k -= 1
    while k < n and special.bdtrc(k, n, p) > a:
        k += 1
    return k


def _start(guess: float, n: int, p: float) -> int:
    return int(np.ceil(guess)) if np.isfinite(guess) else round(n * p)
