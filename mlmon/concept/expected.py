"""Concept drift net of covariate shift: the realized error of the current rows against the
error CBPE expects of the same rows. Pure.

A classifier's error rate rises for two reasons: the population moves to where the model is
less sure (covariate shift: P(x) changes, P(y|x) does not), or the relation between inputs
and labels changes (concept drift: P(y|x) changes). CBPE's calibrated score gives each row
its probability of being wrong under the reference's P(y|x) — πᵢ = 1 - p̂ᵢ when the positive
class is predicted, p̂ᵢ when the negative one is (multiclass: 1 - p̂ᵢ(ŷᵢ), the calibrated
probability of the predicted class) — so the rise splits into two parts that add up:

    realized - reference = (expected - reference) + (realized - expected)
                           population change        unexplained change

where *expected* = mean πᵢ over the current rows. Only the unexplained part is concept drift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlmon.concept.stream import increased
from mlmon.performance.estimate import finite_or_none


@dataclass(frozen=True)
class ExpectedComparison:
    """The realized error of ``n`` rows against their expected error, and the split of the
    change from the reference's error into its two parts."""

    error: float | None
    """The expected error: mean πᵢ."""
    current: float | None
    """The realized error of the same rows: mean eᵢ."""
    n: int
    population_change: float | None
    """expected - reference: the rise the population's move explains."""
    unexplained_change: float | None
    """realized - expected: the rise it does not (the paired mean difference)."""
    low: float | None
    high: float | None
    p_value: float | None
    finding: bool
    test: str = "paired_t"

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": finite_or_none(self.error),
            "current": finite_or_none(self.current),
            "n": self.n,
            "population_change": finite_or_none(self.population_change),
            "unexplained_change": finite_or_none(self.unexplained_change),
            "interval": [finite_or_none(self.low), finite_or_none(self.high)],
            "p_value": finite_or_none(self.p_value),
            "test": self.test,
            "drifted": self.finding,
        }


def compare_with_expected(
    realized: np.ndarray,
    expected: np.ndarray,
    reference: float | None,
    *,
    alpha: float,
    threshold: float,
    confidence: float,
) -> ExpectedComparison:
    """The paired comparison of each row's realized error indicator eᵢ ∈ {0, 1} with its
    expected error probability πᵢ: dᵢ = eᵢ - πᵢ, their mean d̄ = realized - expected, with
    Student's one-sample t interval d̄ ± t₁₋α/₂,ₙ₋₁ · s_d/√n and the two-sided p-value of
    t = d̄ / (s_d/√n) (``scipy.stats.ttest_1samp``; Student 1908, *Biometrika* 6(1)).
    Under "no concept drift" E[eᵢ] = πᵢ, so E[d̄] = 0 and, the rows being independent,
    Var(d̄) = Σ πᵢ(1 - πᵢ) / n², which s_d²/n estimates; by the central limit theorem the
    t interval holds for the thousands of rows a window has. The interval does not carry the
    calibration's own fitting error (it is fitted once, on the reference). A finding when
    the test rejects at ``alpha`` and the unexplained rise is at least ``threshold``
    (absolute), the rule of the plain comparison.

    >>> e = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 1] * 100)
    >>> c = compare_with_expected(e, np.full(1000, 0.2), 0.2, alpha=0.05, threshold=0.02,
    ...                           confidence=0.95)
    >>> round(c.unexplained_change, 3), round(c.population_change, 3), c.finding
    (0.1, 0.0, True)
    >>> round(c.low, 4), round(c.high, 4)  # 0.1 ± t(.975, 999) · √(0.21 · 1000/999 / 1000)
    (0.0715, 0.1285)
    """
    from scipy import stats

    realized = np.asarray(realized, dtype=float)
    expected = np.asarray(expected, dtype=float)
    n = len(realized)
    if n < 2:
        return ExpectedComparison(None, None, n, None, None, None, None, None, False)
    d = realized - expected
    mean_expected, mean_realized = float(expected.mean()), float(realized.mean())
    diff = float(d.mean())
    population = None if reference is None else mean_expected - reference
    if float(np.ptp(d)) == 0.0:  # every row off by the same amount: no spread to test
        return ExpectedComparison(
            mean_expected, mean_realized, n, population, diff, diff, diff, None, False
        )
    result = stats.ttest_1samp(d, 0.0)
    ci = result.confidence_interval(confidence)
    p_value = float(result.pvalue)
    finding = (
        math.isfinite(p_value)
        and p_value < alpha
        and increased(mean_expected, mean_realized, threshold=threshold, relative=False)
    )
    return ExpectedComparison(
        mean_expected,
        mean_realized,
        n,
        population,
        diff,
        float(ci.low),
        float(ci.high),
        p_value if math.isfinite(p_value) else None,
        finding,
    )


__all__ = ["ExpectedComparison", "compare_with_expected"]
