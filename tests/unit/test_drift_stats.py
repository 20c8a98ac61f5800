"""Drift statistics against scipy and hand computations; profiles merge; the corrected rule."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
from scipy import stats
from scipy.spatial import distance

from mlmon.datadrift import stats as st
from mlmon.datadrift.profile import (
    CategoricalProfile,
    NumericalProfile,
    Profile,
    profile,
    quantile_edges,
)
from mlmon.datadrift.rules import adjust

P = np.array([50.0, 30.0, 20.0])
Q = np.array([30.0, 30.0, 40.0])


def test_binned_distances_by_hand() -> None:
    p, q = P / 100, Q / 100
    assert st.psi(P, Q).value == pytest.approx(float(np.sum((q - p) * np.log(q / p))), abs=1e-12)
    assert st.hellinger(P, Q).value == pytest.approx(
        math.sqrt(1 - float(np.sum(np.sqrt(p * q)))), abs=1e-12
    )
    assert st.linf(P, Q).value == pytest.approx(0.2)
    assert st.tvd(P, Q).value == pytest.approx(0.2)


@pytest.mark.parametrize("base", [2.0, math.e])
def test_jensen_shannon_distance_by_hand_and_base(base: float) -> None:
    p, q = P / 100, Q / 100
    m = (p + q) / 2

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.sum(a * np.log(a / b))) / math.log(base)

    expected = math.sqrt(0.5 * kl(p, m) + 0.5 * kl(q, m))
    assert st.jensen_shannon(P, Q, base).value == pytest.approx(expected, abs=1e-12)
    assert st.jensen_shannon(P, Q, base).value == pytest.approx(
        distance.jensenshannon(p, q, base=base), abs=1e-15
    )


def test_psi_replaces_empty_bins() -> None:
    got = st.psi(np.array([10.0, 0.0]), np.array([5.0, 5.0])).value
    p, q = np.array([1.0, st.PSI_EPSILON]), np.array([0.5, 0.5])
    assert got == pytest.approx(float(np.sum((q - p) * np.log(q / p))), abs=1e-12)


def test_chi_square_is_scipys_test_of_homogeneity() -> None:
    got = st.chi_square(P, Q)
    expected = stats.chi2_contingency(np.vstack([P, Q]), correction=False)
    assert (got.value, got.p_value) == pytest.approx((expected.statistic, expected.pvalue))


def test_chi_square_false_alarm_rate_stays_near_alpha_with_many_categories() -> None:
    # Evidently's goodness-of-fit test rejects ~75% at 20 categories on identical data
    rng = np.random.default_rng(1)
    shares = rng.dirichlet(np.ones(20))
    rejections = 0
    for _ in range(400):
        ref = rng.multinomial(2000, shares)
        cur = rng.multinomial(2000, shares)
        p_value = st.chi_square(ref, cur).p_value
        assert p_value is not None
        rejections += p_value < 0.05
    assert rejections / 400 < 0.08


def test_raw_value_tests_are_scipys() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 300), rng.normal(0.3, 1, 250)
    ks = stats.ks_2samp(a, b)
    assert (st.ks_raw(a, b).value, st.ks_raw(a, b).p_value) == (ks.statistic, ks.pvalue)
    cvm = stats.cramervonmises_2samp(a, b)
    assert st.cramer_von_mises(a, b).p_value == pytest.approx(cvm.pvalue)
    ad = stats.anderson_ksamp([a, b], variant="midrank")
    assert st.anderson(a, b).value == pytest.approx(ad.statistic)
    w = stats.wasserstein_distance(a, b) / 2.0
    assert st.wasserstein(a, b, 2.0).value == pytest.approx(w)


def test_binned_ks_bounds_the_exact_statistic() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 20_000), rng.normal(0.1, 1.1, 20_000)
    edges = quantile_edges(a, 100)
    ca = np.histogram(a, [-np.inf, *edges, np.inf])[0]
    cb = np.histogram(b, [-np.inf, *edges, np.inf])[0]
    binned = st.ks_binned(
        np.cumsum(ca / ca.sum())[:-1], np.cumsum(cb / cb.sum())[:-1], len(a), len(b)
    ).value
    exact = stats.ks_2samp(a, b).statistic
    largest_bin = max((ca / ca.sum()).max(), (cb / cb.sum()).max())
    assert binned <= exact + 1e-12 <= binned + largest_bin + 1e-12


def test_two_proportions_uses_fisher_for_small_counts() -> None:
    got = st.two_proportions(0, 10, 4, 10)
    assert got.value == pytest.approx(0.4)
    assert got.p_value == pytest.approx(stats.fisher_exact([[0, 10], [4, 6]]).pvalue)


def test_identical_samples_give_no_change_values() -> None:
    x = np.random.default_rng(4).normal(0, 1, 500)
    counts = np.array([10.0, 20.0, 30.0])
    for f in (st.psi, st.hellinger, st.linf, st.tvd):
        assert f(counts, counts).value == pytest.approx(0.0, abs=1e-12)
    assert st.jensen_shannon(counts, counts).value == pytest.approx(0.0, abs=1e-7)
    assert st.chi_square(counts, counts).p_value == pytest.approx(1.0)
    assert st.ks_raw(x, x).value == 0.0
    assert st.wasserstein(x, x, 1.0).value == 0.0


def test_constant_reference_wasserstein_is_zero_or_infinite() -> None:
    assert st.wasserstein(np.ones(5), np.ones(5), 0.0).value == 0.0
    assert st.wasserstein(np.ones(5), np.full(5, 2.0), 0.0).value == math.inf


def test_adjust_matches_scipy_and_bonferroni() -> None:
    p = [0.001, 0.04, 0.03, 0.2, 0.5]
    np.testing.assert_allclose(adjust(p, "bh"), stats.false_discovery_control(p, method="bh"))
    assert adjust(p, "bonferroni") == pytest.approx([0.005, 0.2, 0.15, 1.0, 1.0])
    assert adjust(p, "none") == p


def test_default_rule_statistics_equal_scipy_stats_on_random_inputs() -> None:
    # mlmon computes these with numpy and scipy.special (scipy.stats costs 1 s to import):
    # they must give scipy.stats' values, statistic and p-value alike.
    rng = np.random.default_rng(11)
    for _ in range(50):
        k = int(rng.integers(2, 40))
        ref = rng.multinomial(int(rng.integers(50, 5000)), rng.dirichlet(np.ones(k)))
        cur = rng.multinomial(int(rng.integers(50, 5000)), rng.dirichlet(np.ones(k)))
        table = np.vstack([ref, cur]).astype(float)
        table = table[:, table.sum(axis=0) > 0]
        expected = stats.chi2_contingency(table, correction=False)
        got = st.chi_square(ref, cur)
        assert got.value == pytest.approx(expected.statistic, rel=1e-12)
        assert got.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
        for base in (2.0, math.e):
            assert st.jensen_shannon(ref, cur, base).value == pytest.approx(
                distance.jensenshannon(ref / ref.sum(), cur / cur.sum(), base=base),
                rel=1e-12,
                abs=1e-15,
            )
        a = rng.normal(0, 1, int(rng.integers(1, 3000))).round(int(rng.integers(0, 4)))
        b = rng.normal(0.2, 1.3, int(rng.integers(1, 3000))).round(int(rng.integers(0, 4)))
        assert st.wasserstein(a, b, 1.0).value == pytest.approx(
            stats.wasserstein_distance(a, b), rel=1e-12, abs=1e-15
        )
        n_ref, n_cur = int(rng.integers(20_000, 10**7)), int(rng.integers(20_000, 10**7))
        d = float(rng.uniform(0, 0.02))
        n_eff = n_ref * n_cur / (n_ref + n_cur)
        assert st.ks_binned(np.array([0.5]), np.array([0.5 + d]), n_ref, n_cur).p_value == (
            pytest.approx(stats.kstwobign.sf(d * math.sqrt(n_eff)), rel=1e-12)
        )
        k_ref, k_cur = int(rng.integers(5, 500)), int(rng.integers(5, 500))
        n1, n2 = k_ref + int(rng.integers(5, 500)), k_cur + int(rng.integers(5, 500))
        two = st.two_proportions(k_ref, n1, k_cur, n2)
        two_by_two = [[k_ref, n1 - k_ref], [k_cur, n2 - k_cur]]
        exp = stats.contingency.expected_freq(two_by_two)
        reference = (
            stats.fisher_exact(two_by_two).pvalue
            if exp.min() < 5
            else stats.chi2_contingency(two_by_two, correction=False).pvalue
        )
        assert two.p_value == pytest.approx(reference, rel=1e-9, abs=1e-300)


def test_benjamini_hochberg_equals_scipy_with_ties_and_extremes() -> None:
    rng = np.random.default_rng(12)
    for m in (1, 2, 7, 200):
        p = rng.uniform(0, 1, m) ** 3
        p[: m // 3] = p[0]  # ties
        if m > 2:
            p[1], p[2] = 0.0, 1.0
        np.testing.assert_allclose(
            adjust(list(p), "bh"), stats.false_discovery_control(p, method="bh"), rtol=1e-15
        )


def _frame(seed: int, n: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(5, 2, n)
    x[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame({"x": x, "c": rng.choice(["a", "b", "c"], n)})


def test_profiles_of_two_parts_merge_into_the_profile_of_the_whole() -> None:
    a, b = _frame(5, 3000), _frame(6, 2000)

    def of(frame: pl.DataFrame, reference: Profile | None = None) -> Profile:
        lf = frame.lazy()
        return profile(
            lf, ["x"], ["c"], bins=20, sample_rows=10_000, max_categories=10, reference=reference
        )

    ref = of(a)
    part_b = of(b, ref)
    whole = of(pl.concat([a, b]), ref)
    merged_x, part_x = ref.columns["x"], part_b.columns["x"]
    assert isinstance(merged_x, NumericalProfile) and isinstance(part_x, NumericalProfile)
    got = merged_x.merge(part_x, 10_000)
    want = whole.columns["x"]
    assert isinstance(want, NumericalProfile)
    assert (got.rows, got.nulls, got.count, got.counts) == (
        want.rows,
        want.nulls,
        want.count,
        want.counts,
    )
    assert got.mean == pytest.approx(want.mean, rel=1e-12)
    assert got.m2 == pytest.approx(want.m2, rel=1e-9)
    assert got.sample == want.sample  # both complete: every value, sorted
    ref_c, part_c, whole_c = ref.columns["c"], part_b.columns["c"], whole.columns["c"]
    assert isinstance(ref_c, CategoricalProfile) and isinstance(part_c, CategoricalProfile)
    assert isinstance(whole_c, CategoricalProfile)
    cat = ref_c.merge(part_c, 10)
    assert cat.counts == whole_c.counts


def test_profile_json_round_trip_is_exact_and_reads_format_1() -> None:
    frame = _frame(7, 4000).with_columns(pl.col("x").fill_nan(-0.0))
    original = profile(frame.lazy(), ["x"], ["c"], bins=20, sample_rows=1000, max_categories=10)
    text = json.dumps(original.to_dict())
    again = Profile.from_dict(json.loads(text))
    assert again.to_dict() == original.to_dict()
    x, x_again = original.columns["x"], again.columns["x"]
    assert isinstance(x, NumericalProfile) and isinstance(x_again, NumericalProfile)
    assert x_again.sample == x.sample
    # format 1 (a registry's training-data profile from mlmon 0.1.0) kept samples as numbers
    old = json.loads(text)
    old["format"] = 1
    old["columns"]["x"]["sample"] = x.sample
    assert Profile.from_dict(old).to_dict() == original.to_dict()
    with pytest.raises(ValueError, match="profile format 3"):
        Profile.from_dict({**old, "format": 3})


def test_the_multivariate_auc_threshold_is_a_binormal_shift_of_about_a_third_sigma() -> None:
    from mlmon.config.drift import MultivariateSection
    from mlmon.datadrift.multivariate import auc_of_shift, shift_of_auc

    threshold = MultivariateSection().auc_threshold
    assert threshold == 0.6
    # binormal model: AUC = Phi(d / sqrt 2) for a mean shift of d standard deviations
    assert shift_of_auc(threshold) == pytest.approx(math.sqrt(2) * stats.norm.ppf(0.6))
    assert shift_of_auc(threshold) == pytest.approx(0.358, abs=5e-4)
    assert auc_of_shift(0.2) == pytest.approx(stats.norm.cdf(0.2 / math.sqrt(2)))
    assert auc_of_shift(shift_of_auc(0.57)) == pytest.approx(0.57)


@pytest.mark.parametrize(
    ("auc", "low", "significance", "effect", "expected"),
    [
        (0.58, 0.57, True, True, (True, False, False)),  # above chance, small: no drift
        (0.65, 0.64, True, True, (True, True, True)),
        (0.65, 0.49, True, True, (False, True, False)),  # large but could be chance
        (0.65, 0.49, False, True, (False, True, True)),  # significance off
        (0.58, 0.57, True, False, (True, False, True)),  # effect off
    ],
)
def test_the_multivariate_verdict_needs_significance_and_effect_like_a_column(
    auc: float, low: float, significance: bool, effect: bool, expected: tuple[bool, ...]
) -> None:
    from mlmon.datadrift.multivariate import verdict

    assert verdict(auc, low, 0.6, significance=significance, effect=effect) == expected


def _zipf(k: int, a: float = 1.05) -> np.ndarray:
    ranks = np.arange(1, k + 1, dtype=float)
    return ranks**-a / np.sum(ranks**-a)


def test_jensen_shannon_null_is_the_chi_square_limit_on_dense_counts() -> None:
    # Many rows per category: JSD ~ (1/8) sum (p_i - q_i)^2 / m_i nats, whose expectation under
    # exchangeability is (k - 1)(1/n + 1/m) / 8 (Grosse et al. 2002); here 49 * 2e-4 / 8 / ln 2
    rng = np.random.default_rng(7)
    p = rng.dirichlet(np.full(50, 5.0))
    ref, cur = rng.multinomial(20_000, p), rng.multinomial(10_000, p)
    limit = 49 * (1 / 20_000 + 1 / 10_000) / 8 / math.log(2)
    assert st.jensen_shannon_null(ref, cur) == pytest.approx(limit, rel=0.08)
    assert st.jensen_shannon_null(ref, cur, math.e) == pytest.approx(limit * math.log(2), rel=0.08)


def test_bias_corrected_jensen_shannon_is_near_zero_on_a_sparse_unchanged_column() -> None:
    # the sample logs' employer: 3,000 Zipf categories, 42,285 reference rows, a day's 6,000
    rng = np.random.default_rng(8)
    p = _zipf(3_000)
    ref, cur = rng.multinomial(42_285, p), rng.multinomial(6_000, p)
    raw = st.jensen_shannon(ref, cur).value
    assert raw == pytest.approx(distance.jensenshannon(ref, cur, base=2), abs=1e-12)
    assert raw > 0.25  # the plug-in distance: all sampling noise
    corrected = st.jensen_shannon_corrected(ref, cur).value
    assert corrected < 0.06
    assert corrected == pytest.approx(
        math.sqrt(max(0.0, raw**2 - st.jensen_shannon_null(ref, cur))), abs=1e-12
    )


def test_bias_corrected_jensen_shannon_keeps_a_real_change_of_a_sparse_column() -> None:
    rng = np.random.default_rng(9)
    p = _zipf(3_000)
    q = 0.85 * p + 0.15 * np.roll(p, 1_500)
    true = distance.jensenshannon(p, q, base=2)
    ref, cur = rng.multinomial(42_285, p), rng.multinomial(6_000, q)
    assert st.jensen_shannon(ref, cur).value > true + 0.1
    assert st.jensen_shannon_corrected(ref, cur).value == pytest.approx(true, abs=0.02)


def test_bias_corrected_jensen_shannon_is_floored_at_zero_and_leaves_dense_counts_alone() -> None:
    counts = np.array([300.0, 200.0, 500.0])
    assert st.jensen_shannon_corrected(counts, counts).value == 0.0
    big_p, big_q = np.array([50_000, 50_000]), np.array([25_000, 75_000])
    raw = st.jensen_shannon(big_p, big_q).value
    assert st.jensen_shannon_corrected(big_p, big_q).value == pytest.approx(raw, abs=1e-4)
