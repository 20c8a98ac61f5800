"""Confidence intervals for window metrics. Pure functions over counts and numpy arrays.

Which interval for which metric, and why:

- proportions (accuracy, precision, recall, …): the Wilson score interval (Wilson 1927), as
  ``scipy.stats.binomtest(...).proportion_ci(method="wilson")`` computes it (the tests check
  they agree); it keeps its coverage near the nominal level for small n and proportions near
  0 or 1, where the normal interval does not.
- ROC AUC: DeLong et al. (1988) variance, computed with midranks (Sun & Xu 2014), normal
  interval clipped to [0, 1].
- means of per-row losses (log loss, Brier, MAE, bias, MAPE): Student-t interval of the mean.
- metrics of a confusion matrix that are not one proportion (F1, balanced accuracy, macro
  scores): bootstrap of the confusion matrix (multinomial resampling of its cells is exactly
  the row bootstrap for such metrics, and costs nothing per row), percentile interval.
- average precision: the logit interval of Boyd, Eng & Page (2013).
- RMSE and R²: delta method on the means they are made of.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import special

from mlmon.performance.estimate import Estimate

BOOTSTRAP_SEED = 20261127
"""Fixed, so the same window always gets the same interval."""


# These use scipy.special's distribution functions (the ones scipy.stats calls) rather than
# scipy.stats itself: importing scipy.stats costs a large share of a 10M-row metrics run
# (bench/RESULTS.md).


def z_value(confidence: float) -> float:
    """The two-sided normal quantile for ``confidence`` (1.96 for 0.95): Φ⁻¹(½ + c/2)."""
    return float(special.ndtri(0.5 + confidence / 2))


def wilson(k: int, n: int, confidence: float, empty: str) -> Estimate:
    """Proportion ``k/n`` with its Wilson score interval; undefined (``empty``) when n = 0.

    >>> e = wilson(7, 10, 0.95, "none")
    >>> round(e.value, 3), round(e.low, 4), round(e.high, 4)
    (0.7, 0.3968, 0.8922)
    """
    if n == 0:
        return Estimate.undefined(empty)
    # (k + z²/2) / (n + z²) ± z / (n + z²) · √(k(n - k)/n + z²/4)
    z = z_value(confidence)
    center = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
    return Estimate(k / n, max(0.0, center - half), min(1.0, center + half), "wilson")


def mean_t(values: np.ndarray, confidence: float, empty: str) -> Estimate:
    """Mean with a Student-t interval (one value: no interval).

    >>> e = mean_t(np.array([1.0, 2.0, 3.0]), 0.95, "none")
    >>> e.value, round(e.low, 4), round(e.high, 4)
    (2.0, -0.4841, 4.4841)
    """
    n = len(values)
    if n == 0:
        return Estimate.undefined(empty)
    mean = float(np.mean(values))
    if n == 1:
        return Estimate(mean)
    se = float(np.std(values, ddof=1)) / math.sqrt(n)
    half = float(special.stdtrit(n - 1, 0.5 + confidence / 2)) * se  # Student-t quantile
    return Estimate(mean, mean - half, mean + half, "t")


def placements(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's structural components of the AUC, in the order of ``pos`` and ``neg``.

    V₁₀(xᵢ) = (#{neg < xᵢ} + ½ #{neg = xᵢ}) / n for each positive score xᵢ, and
    V₀₁(yⱼ) = (#{pos > yⱼ} + ½ #{pos = yⱼ}) / m for each negative score yⱼ (m positives,
    n negatives); both average to the AUC. Counted by binary search in the sorted other
    sample, which gives the midrank placements of Sun & Xu (2014) without ranking the union.

    >>> v10, v01 = placements(np.array([0.35, 0.8]), np.array([0.1, 0.4]))
    >>> v10.tolist(), v01.tolist()
    ([0.5, 1.0], [1.0, 0.5])
    """
    pos_sorted, neg_sorted = np.sort(pos), np.sort(neg)
    below = np.searchsorted(neg_sorted, pos, "left") + np.searchsorted(neg_sorted, pos, "right")
    above = np.searchsorted(pos_sorted, neg, "left") + np.searchsorted(pos_sorted, neg, "right")
    return below / (2 * len(neg)), 1.0 - above / (2 * len(pos))


def sorted_placements(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`placements` for sorted ``pos`` and ``neg``, with two binary searches instead
    of four: for sorted samples, pos ≤ negⱼ exactly when #{neg < pos} ≤ j, so the counts of
    positives below each negative are running sums of the positives' placements.

    >>> v10, v01 = sorted_placements(np.array([0.35, 0.8]), np.array([0.1, 0.4]))
    >>> v10.tolist(), v01.tolist()
    ([0.5, 1.0], [1.0, 0.5])
    """
    m, n = len(pos), len(neg)
    left = np.searchsorted(neg, pos, "left")  # #{neg < posᵢ}
    right = np.searchsorted(neg, pos, "right")  # #{neg ≤ posᵢ}
    pos_le = np.cumsum(np.bincount(left, minlength=n + 1))[:n]  # #{pos ≤ negⱼ}
    pos_lt = np.cumsum(np.bincount(right, minlength=n + 1))[:n]  # #{pos < negⱼ}
    return (left + right) / (2 * n), 1.0 - (pos_le + pos_lt) / (2 * m)


def delong_auc(y: np.ndarray, score: np.ndarray, confidence: float) -> Estimate:
    """ROC AUC with DeLong's variance. ``y`` holds 0/1.

    AUC = P(score⁺ > score⁻) + ½ P(score⁺ = score⁻) = mean V₁₀ (see :func:`placements`).
    The variance is S₁₀/m + S₀₁/n, with S₁₀, S₀₁ the sample variances of V₁₀ (over the m
    positives) and V₀₁ (over the n negatives). DeLong, DeLong & Clarke-Pearson (1988),
    Biometrics 44:837-845; Sun & Xu (2014), IEEE Signal Processing Letters 21:1389-1393.

    >>> e = delong_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]), 0.95)
    >>> e.value
    0.75
    """
    return delong_auc_sorted(np.sort(score[y == 1]), np.sort(score[y == 0]), confidence)


def delong_auc_sorted(pos: np.ndarray, neg: np.ndarray, confidence: float) -> Estimate:
    """:func:`delong_auc` from the sorted positive and negative scores. Every sum runs over
    sorted values, so the same scores give the same digits whatever the row order."""
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return Estimate.undefined("only one class among the labels")
    v10, v01 = sorted_placements(pos, neg)
    auc = float(np.mean(v10))
    if m < 2 or n < 2:
        return Estimate(auc)
    var = float(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n)
    half = z_value(confidence) * math.sqrt(max(var, 0.0))
    return Estimate(auc, max(0.0, auc - half), min(1.0, auc + half), "delong")


def bootstrap_confusion(
    cells: np.ndarray,
    metric: Callable[[np.ndarray], np.ndarray],
    confidence: float,
    resamples: int = 2000,
) -> tuple[float, float] | None:
    """Percentile interval of ``metric`` over multinomial resamples of a confusion matrix.

    ``cells`` is the matrix flattened (counts); ``metric`` maps an array of shape
    (resamples, len(cells)) of counts to one value per resample (NaN where undefined).
    """
    n = int(cells.sum())
    if n == 0:
        return None
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = rng.multinomial(n, cells / n, size=resamples)
    values = metric(draws)
    values = values[np.isfinite(values)]
    if len(values) < resamples // 2:
        return None
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


def logit_interval(value: float, n_eff: float, confidence: float) -> tuple[float, float] | None:
    """Boyd, Eng & Page (2013) logit interval for a precision-recall summary such as average
    precision: expit(logit(v) ± z / sqrt(n⁺·v·(1-v))), with n⁺ the number of positives."""
    if not 0 < value < 1 or n_eff <= 0:
        return None
    eta = math.log(value / (1 - value))
    tau = 1 / math.sqrt(n_eff * value * (1 - value))
    z = z_value(confidence)
    return 1 / (1 + math.exp(-(eta - z * tau))), 1 / (1 + math.exp(-(eta + z * tau)))


def delta_ratio_interval(
    a: np.ndarray,
    b: np.ndarray,
    f: Callable[[float, float], float],
    grad: Callable[[float, float], tuple[float, float]],
    confidence: float,
) -> tuple[float, float] | None:
    """Delta-method interval of f(mean(a), mean(b)) from per-row values a and b."""
    n = len(a)
    if n < 2:
        return None
    ma, mb = float(np.mean(a)), float(np.mean(b))
    ga, gb = grad(ma, mb)
    cov = np.cov(np.vstack([a, b]), ddof=1)
    var = (ga * ga * cov[0, 0] + gb * gb * cov[1, 1] + 2 * ga * gb * cov[0, 1]) / n
    if not math.isfinite(var):
        return None
    half = z_value(confidence) * math.sqrt(max(var, 0.0))
    value = f(ma, mb)
    return value - half, value + half
