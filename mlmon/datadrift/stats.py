"""Drift statistics: one short function each, over binned counts or raw samples. Pure.

Each statistic returns a :class:`Stat` (value, and a p-value for tests). What each is (the
column kinds it applies to, a test or not, whether a higher value means drift, its default
threshold) is declared once in :data:`mlmon.datadrift.methods.STATISTICS`; :data:`FUNCTIONS`
computes each of them from a column's :class:`Samples`, and the rule in
:mod:`mlmon.datadrift.rules` applies thresholds.

Binned statistics (PSI, Jensen-Shannon, Hellinger, L∞, total variation, chi-squared) are
*defined* on the reference's bins: numerical columns use quantile bins computed from the
reference alone, categorical columns their categories. The rest need the values:

- ``ks``: exact from raw values (``scipy.stats.ks_2samp``) when both samples were kept whole;
  otherwise from the empirical CDFs at the bin edges, D_b = maxₖ |F_ref(eₖ) - F_cur(eₖ)|, which
  bounds the true statistic: D_b ≤ D ≤ D_b + maxₖ max(pₖ, qₖ) (the largest bin mass, about
  1/bins for quantile bins), with the asymptotic p-value of ``scipy.stats.kstwo`` at
  n_eff = n·m / (n + m), as ``ks_2samp(method="asymp")`` computes it (Kolmogorov's limit,
  ``kstwobign``, above ``KSTWO_EXACT_LIMIT``);
- ``wasserstein``: W₁ / σ_ref (Evidently's normalisation), from ``scipy.stats.wasserstein_distance``
  on the raw values, or on the values kept (a systematic sample of ``drift.sample_rows``
  values, every k-th in the data's order) when a column has more; the sampling error of W₁
  on 20,000 values per side is about 0.01 σ, a tenth of the default threshold;
- ``anderson`` and ``cramervonmises``: ``scipy.stats.anderson_ksamp`` / ``cramervonmises_2samp``
  on the values kept (exact at small n; on the samples otherwise, which makes their p-values
  those of the sample size, i.e. conservative). ``anderson_ksamp`` caps p-values to
  [0.001, 0.25].
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# The default rule's statistics (binned KS at large n, Wasserstein, chi-squared, Jensen-Shannon,
# the 2×2 test of shares) use numpy and scipy.special, the functions scipy.stats calls for
# them, rather than scipy.stats itself: importing scipy.stats and scipy.spatial costs a
# large share of a million-row `mlmon drift` (bench/RESULTS.md). Each is tested equal to its
# scipy.stats counterpart.
# scipy.stats is imported inside the functions that still use it (exact small-sample tests,
# Anderson-Darling, Cramér-von Mises, Fisher's exact test). scipy.special too is imported where
# it is used, so that mlmon.datadrift.run can import it while the data is profiled.

KSTWO_EXACT_LIMIT = 10_000
"""Above this effective sample size the binned KS p-value uses Kolmogorov's limiting
distribution (``scipy.stats.kstwobign``) instead of ``kstwo``, which is slow at such sizes."""

PSI_EPSILON = 1e-4
"""Bin shares of 0 are replaced by this in PSI (whose log ratio is otherwise infinite)."""


@dataclass(frozen=True)
class Stat:
    """A statistic's value, and its p-value when it is a test."""

    value: float
    p_value: float | None = None
    raw: float | None = None
    """The value before a bias correction (None for statistics without one)."""


def shares(counts: np.ndarray) -> np.ndarray:
    """Counts as shares of their total (zeros when the total is 0)."""
    total = counts.sum()
    return counts / total if total else np.zeros(len(counts))


def psi(ref: np.ndarray, cur: np.ndarray) -> Stat:
    """Population stability index: PSI = Σ (qᵢ - pᵢ) · ln(qᵢ / pᵢ) over the bins, with bin
    shares of 0 replaced by ``PSI_EPSILON`` (Siddiqi 2006, *Credit Risk Scorecards*).

    >>> round(psi(np.array([50, 50]), np.array([25, 75])).value, 4)  # .25·ln 1.5 + .25·ln 2
    0.2747
    """
    p = np.maximum(shares(ref), PSI_EPSILON)
    q = np.maximum(shares(cur), PSI_EPSILON)
    return Stat(float(np.sum((q - p) * np.log(q / p))))


def jensen_shannon(ref: np.ndarray, cur: np.ndarray, base: float = 2.0) -> Stat:
    """Jensen-Shannon *distance*: √JSD with JSD = ½ KL(p‖m) + ½ KL(q‖m), m = (p + q) / 2, logs
    in ``base`` (2: the distance lies in [0, 1]; e: in [0, √ln 2]); Lin (1991). Computed as
    ``scipy.spatial.distance.jensenshannon`` does (KL terms by ``scipy.special.rel_entr``).

    >>> jensen_shannon(np.array([1, 0]), np.array([0, 1])).value  # disjoint, base 2
    1.0
    """
    from scipy import special

    p, q = shares(ref), shares(cur)
    m = (p + q) / 2.0
    js = (np.sum(special.rel_entr(p, m)) + np.sum(special.rel_entr(q, m))) / 2.0
    return Stat(float(np.sqrt(js / np.log(base))))


JS_NULL_DRAWS = 100
"""Permutations averaged by :func:`jensen_shannon_null`. The spread of the JSD under the null
is about √(2 / (k - 1)) of its mean for k categories, so 100 draws put the mean within
1-2% for a sparse, high-cardinality column; for a few categories the bias is negligible."""
JS_NULL_SEED = 20261127
HYPERGEOMETRIC_LIMIT = 10**9
"""numpy's hypergeometric sampler takes fewer rows than this; above it the chi-squared limit
of the expectation is used (at that size only a column of millions of categories is sparse)."""


def jensen_shannon_null(ref: np.ndarray, cur: np.ndarray, base: float = 2.0) -> float:
    """The expected Jensen-Shannon *divergence* (JSD, the squared distance, logs in ``base``)
    between the two samples if nothing changed: its mean over ``JS_NULL_DRAWS`` seeded
    permutations of the rows between reference and current (conditional on the pooled counts
    per category, a permutation is a multivariate hypergeometric split of them; Good 2005,
    *Permutation, Parametric and Bootstrap Tests of Hypotheses*). The chi-squared limit,
    E[JSD] ≈ (k - 1)(1/n + 1/m) / (8 ln base) for k categories and n, m rows (Grosse et al.
    2002, Phys. Rev. E 65:041905), holds only when every category has many rows; for a sparse
    column (3,000 Zipf categories, 42,285 reference rows) it overshoots, by 12% against a day's
    6,000 rows and 2.6 times against 1,000, so the permutation mean is computed instead: one
    pass over k × ``JS_NULL_DRAWS`` counts, cheap beside profiling.

    >>> jensen_shannon_null(np.array([1, 0]), np.array([0, 1]))  # either split is disjoint
    1.0
    """
    from scipy import special

    ref_n, cur_n = int(np.sum(ref)), int(np.sum(cur))
    pooled = (np.asarray(ref) + np.asarray(cur)).astype(np.int64)
    pooled = pooled[pooled > 0]
    if ref_n == 0 or cur_n == 0 or len(pooled) < 2:
        return 0.0
    if ref_n + cur_n >= HYPERGEOMETRIC_LIMIT:
        return (len(pooled) - 1) * (1 / ref_n + 1 / cur_n) / (8 * math.log(base))
    rng = np.random.default_rng(JS_NULL_SEED)
    split = rng.multivariate_hypergeometric(pooled, ref_n, size=JS_NULL_DRAWS)
    p, q = split / ref_n, (pooled - split) / cur_n
    m = (p + q) / 2.0
    jsd = (special.rel_entr(p, m).sum(axis=1) + special.rel_entr(q, m).sum(axis=1)) / 2.0
    return float(np.mean(jsd) / math.log(base))


def jensen_shannon_corrected(ref: np.ndarray, cur: np.ndarray, base: float = 2.0) -> Stat:
    """The Jensen-Shannon distance less its sampling bias: √max(0, D² - E₀[D²]), D the plug-in
    distance (:func:`jensen_shannon`) and E₀[D²] the divergence expected with no change
    (:func:`jensen_shannon_null`). The plug-in divergence of two samples is the true divergence
    plus a bias that grows with the categories per row (like the plug-in entropy's, Miller 1955;
    Paninski 2003, Neural Computation 15:1191), and biases add on the divergence scale, not the
    distance's: subtracting there leaves a real change's distance whole (a change of 0.22 in
    a 3,000-category column, 42,285 rows against 6,000, reads 0.38 raw and 0.21 corrected),
    where subtracting E₀[D] would shrink it to 0.06. Floored at 0. Dense counts keep their
    value.

    >>> jensen_shannon_corrected(np.array([1, 0]), np.array([0, 1])).value  # chance
    0.0
    >>> round(jensen_shannon(np.array([5000, 5000]), np.array([2500, 7500])).value, 4)
    0.2209
    >>> round(jensen_shannon_corrected(np.array([5000, 5000]), np.array([2500, 7500])).value, 4)
    0.2208
    """
    raw = jensen_shannon(ref, cur, base).value
    return Stat(math.sqrt(max(0.0, raw * raw - jensen_shannon_null(ref, cur, base))), raw=raw)


def hellinger(ref: np.ndarray, cur: np.ndarray) -> Stat:
    """Hellinger distance H = √(1 - Σ √(pᵢ qᵢ)), in [0, 1] (Hellinger 1909).

    >>> round(hellinger(np.array([50, 50]), np.array([25, 75])).value, 4)
    0.1846
    """
    bc = float(np.sum(np.sqrt(shares(ref) * shares(cur))))
    return Stat(math.sqrt(max(0.0, 1.0 - bc)))


def linf(ref: np.ndarray, cur: np.ndarray) -> Stat:
    """L∞ distance: the largest change in any category's share, maxᵢ |pᵢ - qᵢ|.

    >>> linf(np.array([50, 50]), np.array([25, 75])).value
    0.25
    """
    return Stat(float(np.max(np.abs(shares(ref) - shares(cur)))))


def tvd(ref: np.ndarray, cur: np.ndarray) -> Stat:
    """Total variation distance ½ Σ |pᵢ - qᵢ|: the share of rows that would have to change
    category.

    >>> tvd(np.array([50, 50, 0]), np.array([25, 50, 25])).value
    0.25
    """
    return Stat(0.5 * float(np.sum(np.abs(shares(ref) - shares(cur)))))


def chi_square(ref: np.ndarray, cur: np.ndarray) -> Stat:
    """Chi-squared test of homogeneity on the 2×k table of counts (reference, current),
    ``scipy.stats.chi2_contingency`` without continuity correction; categories empty in both
    are dropped. Unlike a goodness-of-fit test against the reference shares, it treats the
    reference as a sample too, so its false-alarm rate stays at α however many categories.

    >>> s = chi_square(np.array([30, 70]), np.array([30, 70]))
    >>> s.value, s.p_value
    (0.0, 1.0)
    """
    table = np.vstack([ref, cur]).astype(float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return Stat(0.0, 1.0)
    return _homogeneity(table, _expected(table))


def _expected(table: np.ndarray) -> np.ndarray:
    """The counts a table would hold without association: row total · column total / total."""
    return np.asarray(np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum(), dtype=float)


def _homogeneity(table: np.ndarray, expected: np.ndarray) -> Stat:
    """Pearson's X² = Σ (O - E)² / E with E = row total · column total / total, and its
    p-value P(χ²_ν > X²), ν = (rows - 1)(columns - 1): ``chi2_contingency(table,
    correction=False)`` (``scipy.special.chdtrc`` is the χ² survival function scipy.stats uses).
    ``expected`` is :func:`_expected` of the table, whose row and column totals must all be
    positive."""
    from scipy import special

    statistic = float(np.sum((table - expected) ** 2 / expected))
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    return Stat(statistic, float(special.chdtrc(dof, statistic)))


def ks_raw(ref: np.ndarray, cur: np.ndarray) -> Stat:
    """Two-sample Kolmogorov-Smirnov D = supₓ |F_ref(x) - F_cur(x)|, ``scipy.stats.ks_2samp``
    (exact p-value for small samples)."""
    from scipy import stats

    result = stats.ks_2samp(ref, cur)
    return Stat(float(result.statistic), float(result.pvalue))


def ks_binned(ref_cdf: np.ndarray, cur_cdf: np.ndarray, n_ref: int, n_cur: int) -> Stat:
    """KS from the two empirical CDFs at the same bin edges (see the module docstring for the
    bound), with the asymptotic two-sided p-value ``scipy.stats.kstwo.sf(D, round(n_eff))``.

    >>> s = ks_binned(np.array([0.5, 1.0]), np.array([0.3, 1.0]), 1000, 1000)
    >>> s.value, s.p_value < 1e-15
    (0.2, True)
    """
    d = float(np.max(np.abs(ref_cdf - cur_cdf))) if len(ref_cdf) else 0.0
    n_eff = n_ref * n_cur / (n_ref + n_cur)
    if n_eff > KSTWO_EXACT_LIMIT:
        # the limiting distribution; kstwo is slow and no closer here. ``special.kolmogorov``
        # is ``kstwobign.sf``.
        from scipy import special

        return Stat(d, float(special.kolmogorov(d * math.sqrt(n_eff))))
    from scipy import stats

    return Stat(d, float(stats.kstwo.sf(d, max(1, round(n_eff)))))


def wasserstein(ref: np.ndarray, cur: np.ndarray, ref_std: float) -> Stat:
    """W₁(ref, cur) / σ_ref; for a constant reference (σ_ref = 0) the statistic is 0 when
    nothing moved and infinite otherwise. W₁ = ∫ |F_ref(x) - F_cur(x)| dx over the pooled
    sorted values, computed as ``scipy.stats.wasserstein_distance`` does (Ramdas, García Trillos
    & Cuturi 2017, eq. 4).

    >>> wasserstein(np.array([0.0, 2.0]), np.array([1.0, 3.0]), 1.0).value
    1.0
    """
    u, v = np.sort(ref), np.sort(cur)
    pooled = np.sort(np.concatenate([u, v]), kind="mergesort")
    f_u = u.searchsorted(pooled[:-1], "right") / u.size
    f_v = v.searchsorted(pooled[:-1], "right") / v.size
    w = float(np.vecdot(np.abs(f_u - f_v), np.diff(pooled)))
    if ref_std > 0:
        return Stat(w / ref_std)
    return Stat(0.0 if w == 0 else math.inf)


def anderson(ref: np.ndarray, cur: np.ndarray) -> Stat:
    """k-sample Anderson-Darling (Scholz & Stephens 1987), ``scipy.stats.anderson_ksamp``;
    its p-value is capped to [0.001, 0.25]."""
    from scipy import stats

    with warnings.catch_warnings():
        # scipy warns when it caps the p-value; the cap is documented above
        warnings.simplefilter("ignore", UserWarning)
        result = stats.anderson_ksamp([ref, cur], variant="midrank")
    return Stat(float(result.statistic), float(result.pvalue))


def cramer_von_mises(ref: np.ndarray, cur: np.ndarray) -> Stat:
    """Two-sample Cramér-von Mises (Anderson 1962), ``scipy.stats.cramervonmises_2samp``."""
    from scipy import stats

    result = stats.cramervonmises_2samp(ref, cur)
    return Stat(float(result.statistic), float(result.pvalue))


def two_proportions(k_ref: int, n_ref: int, k_cur: int, n_cur: int) -> Stat:
    """Change in a share (of nulls, say): the value is q - p (current minus reference) and
    the p-value that of the chi-squared test of homogeneity on the 2×2 table (Fisher's exact
    test when an expected count is below 5).

    >>> s = two_proportions(10, 100, 10, 100)
    >>> s.value, s.p_value
    (0.0, 1.0)
    """
    table = np.array([[k_ref, n_ref - k_ref], [k_cur, n_cur - k_cur]], dtype=float)
    p = k_ref / n_ref if n_ref else 0.0
    q = k_cur / n_cur if n_cur else 0.0
    if table.sum(axis=0).min() == 0 or table.sum(axis=1).min() == 0:
        return Stat(q - p, 1.0)
    expected = _expected(table)
    if expected.min() < 5:
        from scipy import stats

        return Stat(q - p, float(stats.fisher_exact(table).pvalue))
    return Stat(q - p, _homogeneity(table, expected).p_value)


@dataclass(frozen=True)
class Samples:
    """One column on both sides, as the statistics read it: counts in the reference's bins
    (numerical) or categories (categorical); for a numerical column the values kept, whether
    both sides kept every value, the finite values counted and the reference's standard
    deviation; and the logarithm base of the Jensen-Shannon distance."""

    ref_counts: np.ndarray
    cur_counts: np.ndarray
    n_ref: int
    n_cur: int
    js_base: float
    ref_values: np.ndarray = field(default_factory=lambda: np.empty(0))
    cur_values: np.ndarray = field(default_factory=lambda: np.empty(0))
    complete: bool = False
    ref_std: float = 0.0


def _ks(s: Samples) -> Stat:
    """KS exact from the values when both sides kept them all, else from the binned CDFs."""
    if s.complete:
        return ks_raw(s.ref_values, s.cur_values)
    ref_cdf = np.cumsum(shares(s.ref_counts))[:-1]
    cur_cdf = np.cumsum(shares(s.cur_counts))[:-1]
    return ks_binned(ref_cdf, cur_cdf, s.n_ref, s.n_cur)


FUNCTIONS: dict[str, Callable[[Samples], Stat]] = {
    "ks": _ks,
    "wasserstein": lambda s: wasserstein(s.ref_values, s.cur_values, s.ref_std),
    "chisquare": lambda s: chi_square(s.ref_counts, s.cur_counts),
    "psi": lambda s: psi(s.ref_counts, s.cur_counts),
    "jensenshannon": lambda s: jensen_shannon_corrected(s.ref_counts, s.cur_counts, s.js_base),
    "hellinger": lambda s: hellinger(s.ref_counts, s.cur_counts),
    "anderson": lambda s: anderson(s.ref_values, s.cur_values),
    "cramervonmises": lambda s: cramer_von_mises(s.ref_values, s.cur_values),
    "linf": lambda s: linf(s.ref_counts, s.cur_counts),
    "tvd": lambda s: tvd(s.ref_counts, s.cur_counts),
}
"""The function of every statistic in :data:`mlmon.datadrift.methods.STATISTICS`, by the same
name. The Jensen-Shannon distance is the bias-corrected one (its plug-in value in ``raw``)."""
