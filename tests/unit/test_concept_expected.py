"""The paired comparison of realized errors with CBPE's expected errors, and the stream's
segments around a change point: against scipy and hand-computed values."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from mlmon.concept.comparison import ConceptComparison
from mlmon.concept.expected import compare_with_expected
from mlmon.concept.stream import Segments, change_points, compare_error_rates


def test_the_paired_comparison_is_scipys_one_sample_t_on_realized_minus_expected() -> None:
    rng = np.random.default_rng(1)
    expected = rng.uniform(0.05, 0.45, 3000)
    realized = (rng.random(3000) < expected + 0.03).astype(float)
    c = compare_with_expected(realized, expected, 0.2, alpha=0.05, threshold=0.02, confidence=0.9)
    d = realized - expected
    t = stats.ttest_1samp(d, 0.0)
    ci = t.confidence_interval(0.9)
    assert c.unexplained_change == pytest.approx(d.mean())
    assert (c.low, c.high) == pytest.approx((ci.low, ci.high))
    assert c.low is not None and c.high is not None
    assert c.p_value == pytest.approx(t.pvalue)
    # by hand: d̄ ± t(0.95, n-1)·s/√n
    half = stats.t.ppf(0.95, 2999) * d.std(ddof=1) / math.sqrt(3000)
    assert c.high - c.low == pytest.approx(2 * half)
    assert c.error == pytest.approx(expected.mean())
    assert c.population_change == pytest.approx(expected.mean() - 0.2)
    assert c.population_change is not None and c.unexplained_change is not None
    assert c.population_change + c.unexplained_change == pytest.approx(realized.mean() - 0.2)


def test_errors_as_expected_are_no_finding_and_a_small_significant_rise_is_none_either() -> None:
    rng = np.random.default_rng(2)
    expected = rng.uniform(0.1, 0.4, 20_000)
    calibrated = (rng.random(20_000) < expected).astype(float)
    c = compare_with_expected(
        calibrated, expected, 0.25, alpha=0.05, threshold=0.02, confidence=0.95
    )
    assert not c.finding and c.low is not None and c.high is not None and c.low < 0 < c.high
    # +1 point on 20,000 rows is significant but below the 2-point increase that matters
    worse = (rng.random(20_000) < expected + 0.01).astype(float)
    c = compare_with_expected(worse, expected, 0.25, alpha=0.05, threshold=0.02, confidence=0.95)
    assert c.p_value is not None and c.p_value < 0.05 and not c.finding


def test_fewer_than_two_rows_give_no_comparison() -> None:
    c = compare_with_expected(
        np.array([1.0]), np.array([0.2]), 0.2, alpha=0.05, threshold=0.02, confidence=0.95
    )
    assert c.unexplained_change is None and not c.finding and c.n == 1


def test_segments_continued_in_parts_equal_the_segments_of_the_whole_stream() -> None:
    t = [dt.datetime(2026, 10, 1, h, tzinfo=dt.UTC) for h in range(3)]
    values = np.array([0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0], dtype=float)
    whole = Segments()
    whole.extend(values, [4, 9], [(t[0], None), (t[1], t[0])])
    parts = Segments()
    parts.extend(values[:6], [4], [(t[0], None)])
    parts.extend(values[6:], [3], [(t[1], t[0])])
    assert parts == whole
    first, second = change_points(whole, "ddm", lambda a, b: b - a >= 0.1)
    assert (first.error_before, first.n_before) == (0.25, 4)  # rows 0-3
    assert (first.error_after, first.n_after) == (0.8, 5)  # rows 4-8, up to the next change
    assert (second.error_after, second.n_after) == (0.0, 3)  # the open segment
    assert first.finding and not second.finding
    # a window showing only the second point reports it with the same errors
    (only,) = change_points(whole, "ddm", lambda a, b: b - a >= 0.1, since=t[1])
    assert only == second


def test_the_expected_comparison_decides_over_the_plain_one_and_the_json_keeps_both() -> None:
    plain = compare_error_rates(100, 1000, 150, 1000, alpha=0.05, threshold=0.02, confidence=0.95)
    realized = np.array([1, 0, 0, 0, 0, 0, 0] * 100, dtype=float)  # 0.143: as expected
    expected = compare_with_expected(
        realized, np.full(700, 1 / 7), 0.1, alpha=0.05, threshold=0.02, confidence=0.95
    )
    c = ConceptComparison(plain, expected, None)
    assert (c.basis, c.plain_drifted, c.drifted) == ("expected_error", True, False)
    assert c.to_dict() == plain.to_dict() | {
        "drifted": False,
        "plain_drifted": True,
        "basis": "expected_error",
        "basis_reason": None,
        "expected": expected.to_dict(),
    }
    assert list(c.to_dict())[-5:] == [
        "reason",
        "plain_drifted",
        "basis",
        "basis_reason",
        "expected",
    ]
    alone = ConceptComparison(plain, None, "regression: CBPE estimates classifiers only")
    assert (alone.basis, alone.drifted, alone.to_dict()["expected"]) == ("reference", True, None)
