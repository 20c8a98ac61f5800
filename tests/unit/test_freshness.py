"""Freshness and gaps (mlmon/health/freshness.py): a log that stopped is stale, an empty store
is stale, and empty windows that should have rows are reported as runs ("no rows 02:00-05:00"),
never the quiet ones history expects to be empty."""

from __future__ import annotations

import datetime as dt

import pytest

from mlmon.health.freshness import freshness, gaps

NOW = dt.datetime(2026, 10, 31, 12, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def test_the_newest_row_older_than_max_age_is_stale() -> None:
    fresh = freshness(NOW - dt.timedelta(minutes=30), NOW, 3600)
    assert (fresh.status, fresh.age_seconds) == ("ok", 1800.0)
    stale = freshness(NOW - dt.timedelta(hours=5), NOW, 3600)
    assert stale.status == "stale"
    assert stale.to_dict() == {
        "newest": "2026-10-31T07:00:00Z",
        "age_seconds": 18000.0,
        "max_age_seconds": 3600,
        "status": "stale",
    }
    assert freshness(None, NOW, 3600).status == "stale"  # no row at all


def test_an_outage_inside_the_range_is_one_gap_with_its_hours() -> None:
    starts = [dt.datetime(2026, 10, 30, h, tzinfo=dt.UTC) for h in range(8)]
    counts = [900, 880, 0, 0, 0, 910, 0, 905]
    (outage, single) = gaps(starts, counts, [True] * 8, HOUR)
    assert outage.summary == "no rows 2026-10-30 02:00-05:00"
    assert (outage.windows, outage.to_dict()["end"]) == (3, "2026-10-30T05:00:00Z")
    assert single.summary == "no rows 2026-10-30 06:00-07:00"


def test_windows_history_expects_to_be_empty_are_no_gap() -> None:
    starts = [dt.datetime(2026, 10, 30, h, tzinfo=dt.UTC) for h in range(6)]
    counts = [0, 0, 0, 40, 50, 0]  # a service quiet at night
    expected = [False, False, False, True, True, True]
    (gap,) = gaps(starts, counts, expected, HOUR)
    assert gap.summary == "no rows 2026-10-30 05:00-06:00"


def test_a_gap_across_midnight_names_both_days_and_missing_windows_split_runs() -> None:
    starts = [dt.datetime(2026, 10, 30, 22, tzinfo=dt.UTC) + i * HOUR for i in range(4)]
    (gap,) = gaps(starts, [0, 0, 0, 0], [True] * 4, HOUR)
    assert gap.summary == "no rows 2026-10-30 22:00 - 2026-10-31 02:00"
    apart = [starts[0], starts[2]]  # not consecutive: two gaps
    assert len(gaps(apart, [0, 0], [True, True], HOUR)) == 2


def test_lengths_that_differ_are_a_bug_not_a_silent_truncation() -> None:
    with pytest.raises(ValueError, match="one entry per window"):
        gaps([NOW], [0, 1], [True], HOUR)
