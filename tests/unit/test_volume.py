"""Volume against its seasonal history (mlmon/health/volume.py): weekly seasonality is not an
alarm, a real 50% drop is caught, too little history gives no verdict; the spread agrees with
scipy's MAD and the interval with hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mlmon.health.volume import judge_volume, mad_sigma

WEEKDAY, WEEKEND = 1000, 400


def _week(rng: np.random.Generator) -> list[int]:
    """Hourly rows of one week: Poisson around 1,000 an hour on weekdays, 400 at weekends."""
    return [
        int(rng.poisson(WEEKDAY if day < 5 else WEEKEND)) for day in range(7) for _ in range(24)
    ]


def test_mad_sigma_is_scipys_normal_scaled_mad() -> None:
    rng = np.random.default_rng(1)
    for values in (rng.normal(50, 7, 9), rng.poisson(300, 5), [4, 4, 4, 4]):
        expected = stats.median_abs_deviation(values, scale="normal")
        assert mad_sigma(list(values)) == pytest.approx(expected, rel=1e-12)


def test_the_interval_is_the_median_plus_minus_z_sigma_by_hand() -> None:
    # median 1000, MAD 10 → σ = √((14.826)² + 1000) = √1219.81 = 34.9258...; z(0.99) = 2.5758...
    verdict = judge_volume(1000, [990, 1000, 1010, 1000, 1020], confidence=0.99)
    sigma = math.sqrt((10 * 1.482602218505602) ** 2 + 1000)
    assert sigma == pytest.approx(34.9258, abs=1e-4)
    assert verdict.expected == 1000
    assert verdict.low == pytest.approx(1000 - 2.5758293 * sigma, abs=1e-4)
    assert verdict.high == pytest.approx(1000 + 2.5758293 * sigma, abs=1e-4)
    assert (verdict.status, verdict.change, verdict.p_value) == ("ok", 0.0, 0.5)


def test_weekly_seasonality_raises_no_alarm_over_30_days() -> None:
    rng = np.random.default_rng(7)
    weeks = [_week(rng) for _ in range(5)]
    alarms = [
        (w, hour)
        for w in range(4, 5)
        for hour in range(7 * 24)
        if judge_volume(weeks[w][hour], [weeks[k][hour] for k in range(w)]).status != "ok"
    ]
    assert alarms == []


def test_a_real_50_percent_drop_is_caught_on_weekdays_and_weekends() -> None:
    rng = np.random.default_rng(8)
    history = [_week(rng) for _ in range(4)]
    now = _week(rng)
    for hour in (10, 5 * 24 + 10):  # a Monday hour and a Saturday hour
        verdict = judge_volume(now[hour] // 2, [week[hour] for week in history])
        assert verdict.status == "anomaly", verdict
        assert verdict.change is not None and verdict.change == pytest.approx(-0.5, abs=0.06)
        assert verdict.p_value is not None and verdict.p_value < 1e-6


def test_the_direction_decides_which_side_counts() -> None:
    history = [1000, 990, 1010, 1005]
    assert judge_volume(2000, history).status == "ok"  # drop watched: a spike is fine
    assert judge_volume(2000, history, direction="spike").status == "anomaly"
    assert judge_volume(2000, history, direction="both").status == "anomaly"
    assert judge_volume(400, history, direction="spike").status == "ok"


def test_a_significant_but_small_change_is_not_an_anomaly() -> None:
    """A 10% dip on a busy window is far outside the Poisson band and below min_change."""
    history = [100_000, 100_100, 99_900, 100_050]
    small = judge_volume(90_000, history, min_change=0.2)
    assert small.p_value is not None and small.p_value < 1e-10
    assert small.status == "ok"
    assert judge_volume(90_000, history, min_change=0.05).status == "anomaly"


def test_too_little_history_gives_no_verdict_and_says_what_is_needed() -> None:
    verdict = judge_volume(10, [1000, 1000], min_history=3)
    assert verdict.status == "insufficient_data"
    assert verdict.reason == "2 earlier seasons of this window < 3 needed"


def test_a_window_under_the_floor_is_a_drop_whatever_the_history() -> None:
    verdict = judge_volume(3, [], floor=50)
    assert (verdict.status, verdict.reason) == ("anomaly", "3 rows < the floor of 50")
    assert verdict.to_dict()["history"] == []
