"""Intervals against scipy.stats: DeLong placements and the AUC interval against the midrank
formulation (rankdata), Wilson against binomtest, the normal, t and binomial quantiles, and
the latency quantile interval against quantile_test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mlmon.performance.intervals import (
    delong_auc,
    mean_t,
    placements,
    sorted_placements,
    wilson,
    z_value,
)
from mlmon.performance.operational import _binomial_isf, _binomial_ppf, latency_quantile

scores = st.lists(st.integers(0, 6).map(lambda k: k / 6), min_size=1, max_size=40)


def _midrank_placements(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sun & Xu (2014): V10 = (rank among all - rank among positives) / n, and so on."""
    m = len(pos)
    ranks = stats.rankdata(np.concatenate([pos, neg]))
    v10 = (ranks[:m] - stats.rankdata(pos)) / len(neg)
    v01 = 1.0 - (ranks[m:] - stats.rankdata(neg)) / m
    return v10, v01


@settings(max_examples=200, deadline=None)
@given(scores, scores)
def test_placements_equal_the_midrank_formulation_with_ties(
    pos: list[float], neg: list[float]
) -> None:
    p, n = np.array(pos), np.array(neg)
    expected = _midrank_placements(p, n)
    for got, want in zip(placements(p, n), expected, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-12)
    ps, ns = np.sort(p), np.sort(n)
    for got, want in zip(sorted_placements(ps, ns), _midrank_placements(ps, ns), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_delong_interval_equals_the_midrank_variance() -> None:
    rng = np.random.default_rng(11)
    score = np.round(rng.beta(2, 3, 3000), 2)  # many ties
    y = (rng.random(3000) < score).astype(int)
    v10, v01 = _midrank_placements(score[y == 1], score[y == 0])
    auc = v10.mean()
    se = math.sqrt(np.var(v10, ddof=1) / len(v10) + np.var(v01, ddof=1) / len(v01))
    got = delong_auc(y, score, 0.95)
    half = z_value(0.95) * se
    assert (got.value, got.low, got.high) == pytest.approx((auc, auc - half, auc + half), abs=1e-12)


@pytest.mark.parametrize("n", [5, 20, 101, 5000])
@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_latency_interval_equals_scipy_quantile_test(n: int, q: float) -> None:
    values = np.sort(np.random.default_rng(n).lognormal(3, 1, n))
    got = latency_quantile(values, q, 0.9)
    assert got.value == pytest.approx(np.quantile(values, q), abs=1e-12)
    ci = stats.quantile_test(values, q=got.value, p=q).confidence_interval(0.9)
    if np.isfinite(ci.low) and np.isfinite(ci.high):
        assert (got.low, got.high) == (ci.low, ci.high)
    else:
        assert (got.low, got.high) == (None, None)


@pytest.mark.parametrize("n", [1, 2, 7, 50, 1000, 333_333])
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_wilson_equals_scipy_binomtest(n: int, confidence: float) -> None:
    for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
        got = wilson(k, n, confidence, "none")
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
        assert (got.low, got.high) == pytest.approx((ci.low, ci.high), abs=1e-12), (k, n)


def test_normal_and_t_quantiles_equal_scipy_stats() -> None:
    for c in (0.5, 0.9, 0.95, 0.999):
        assert z_value(c) == pytest.approx(stats.norm.ppf(0.5 + c / 2), rel=1e-14)
        values = np.array([1.0, 4.0, 2.0, 8.0])
        e = mean_t(values, c, "none")
        half = stats.t.ppf(0.5 + c / 2, 3) * values.std(ddof=1) / 2
        assert (e.low, e.high) == pytest.approx((3.75 - half, 3.75 + half), rel=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 99, 100, 101, 1000, 12_345, 333_333])
@pytest.mark.parametrize("p", [0.5, 0.95, 0.99])
def test_binomial_quantiles_equal_scipy_stats(n: int, p: float) -> None:
    for a in (0.0005, 0.005, 0.025, 0.05, 0.25):
        assert _binomial_ppf(a, n, p) == stats.binom(n, p).ppf(a), (a, n, p)
        assert _binomial_isf(a, n, p) == stats.binom(n, p).isf(a), (a, n, p)
