"""--since/--until resolution (DESIGN.md section 1)."""

from __future__ import annotations

import datetime as dt

import pytest

from mlmon.errors import UsageError
from mlmon.timewindow import resolve_window

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 27, 12, tzinfo=UTC)


def _resolve(
    since: str | None,
    until: str | None,
    span: float | None = None,
    latest: dt.datetime | None = None,
) -> tuple[dt.datetime | None, dt.datetime]:
    return resolve_window(since, until, default_span=span, latest=lambda: latest, now=lambda: NOW)


def test_until_defaults_to_now_and_since_to_the_default_span() -> None:
    assert _resolve(None, None, span=86400.0) == (NOW - dt.timedelta(days=1), NOW)


def test_no_since_and_no_span_means_from_the_start() -> None:
    assert _resolve(None, "2026-10-02") == (None, dt.datetime(2026, 10, 2, tzinfo=UTC))


def test_since_as_duration_counts_back_from_until() -> None:
    assert _resolve("12h", "2026-10-02T00:00:00Z")[0] == dt.datetime(2026, 10, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "newest",
    [
        dt.datetime(2026, 10, 30, 23, 59, 59, 940000, tzinfo=UTC),
        dt.datetime(2026, 10, 30, 0, 0, tzinfo=UTC),
        dt.datetime(2026, 10, 30, 9, 15, tzinfo=UTC),
    ],
)
def test_until_latest_includes_the_newest_row_and_day_windows_are_whole_days(
    newest: dt.datetime,
) -> None:
    since, until = _resolve("7d", "latest", latest=newest)
    assert until == dt.datetime(2026, 10, 31, tzinfo=UTC) and newest < until
    assert since == dt.datetime(2026, 10, 24, tzinfo=UTC)
    one_day, end = _resolve(None, "latest", latest=newest, span=86400.0)
    assert (one_day, end) == (dt.datetime(2026, 10, 30, tzinfo=UTC), until)
    assert one_day is not None and one_day <= newest < end


def test_until_latest_on_an_empty_store_is_now() -> None:
    assert _resolve(None, "latest")[1] == NOW


def test_zoned_times_are_converted_to_utc() -> None:
    assert _resolve("2026-10-01T02:00:00+02:00", None)[0] == dt.datetime(2026, 10, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("yesterday", None, "--since: 'yesterday' is neither an ISO-8601 date/time nor a duration"),
        ("2026-10-05", "2026-10-01", "--since (2026-10-05T00:00:00+00:00) is not before --until"),
    ],
)
def test_bad_windows_are_usage_errors(since: str, until: str | None, message: str) -> None:
    with pytest.raises(UsageError) as info:
        _resolve(since, until)
    assert info.value.message.startswith(message)


def test_a_since_duration_too_long_for_the_calendar_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"--since: '999999999d' reaches before the year 1"):
        _resolve("999999999d", "2026-10-02")


def test_until_latest_on_the_last_representable_day_does_not_overflow() -> None:
    newest = dt.datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    since, until = _resolve("7d", "latest", latest=newest)
    assert until == dt.datetime.max.replace(tzinfo=UTC)
    assert since == until - dt.timedelta(days=7)


def test_end_of_day_of_the_last_day_is_the_end_of_time() -> None:
    from mlmon.timewindow import end_of_day

    assert end_of_day(dt.datetime(9999, 12, 31, 5, tzinfo=UTC)) == dt.datetime.max.replace(
        tzinfo=UTC
    )
