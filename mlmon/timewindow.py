"""Time windows of DESIGN.md §1: ``--since``/``--until`` as ISO-8601 or durations. Pure.

``--until`` defaults to now; ``latest`` means the end of the UTC day of the newest timestamp in
the store (so a demo on old sample logs works, and day windows are whole days); ``--since``
may be a duration (``7d``, ``12h``) counted back from ``--until``. Windows are half-open,
``[since, until)``, and in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from mlmon.config import parse_duration
from mlmon.errors import UsageError

UTC = dt.UTC


WINDOW_STEPS: dict[str, dt.timedelta] = {
    "1h": dt.timedelta(hours=1),
    "1d": dt.timedelta(days=1),
    "1w": dt.timedelta(weeks=1),
}
"""The tumbling windows of ``metrics.window`` and ``drift.window`` (besides ``all``), whose
names are also polars' ``truncate`` periods."""


def parse_instant(text: str, flag: str) -> dt.datetime:
    """An ISO-8601 date or datetime as an aware UTC datetime (naive input is UTC).

    >>> parse_instant("2026-10-01", "--since").isoformat()
    '2026-10-01T00:00:00+00:00'
    >>> parse_instant("2026-10-01T14:00:00+02:00", "--until").isoformat()
    '2026-10-01T12:00:00+00:00'
    """
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{flag}: {text!r} is neither an ISO-8601 date/time nor a duration",
            hint="write e.g. 2026-10-01, 2026-10-01T12:00:00Z, 7d or 12h",
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def resolve_window(
    since: str | None,
    until: str | None,
    *,
    default_span: float | None,
    latest: Callable[[], dt.datetime | None],
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(UTC),
) -> tuple[dt.datetime | None, dt.datetime]:
    """Resolve the two flags to ``(since, until)``; ``since`` is None for "from the start".

    ``latest`` returns the newest stored timestamp (or None for an empty store); the window
    then ends at the end of that row's UTC day (the next midnight), so the newest row is
    inside and a window of whole days (``--since 7d``, ``drift.window: 1d``) is whole
    calendar days, not two part-days.

    >>> fixed = dt.datetime(2026, 10, 30, 12, tzinfo=UTC)
    >>> s, u = resolve_window("7d", "latest", default_span=None, latest=lambda: fixed)
    >>> (s.isoformat(), u.isoformat())
    ('2026-10-24T00:00:00+00:00', '2026-10-31T00:00:00+00:00')
    """
    if until is None or until.strip() == "":
        end = now()
    elif until.strip().lower() == "latest":
        newest = latest()
        end = now() if newest is None else end_of_day(newest)
    else:
        end = _instant_or_duration(until, "--until", None)
    if since is None:
        start = _before(end, default_span, "the default window") if default_span else None
    else:
        start = _instant_or_duration(since, "--since", end)
    if start is not None and start >= end:
        raise UsageError(
            f"--since ({start.isoformat()}) is not before --until ({end.isoformat()})",
            hint="the window is [since, until); swap them or widen it",
        )
    return start, end


def end_of_day(instant: dt.datetime) -> dt.datetime:
    """The UTC midnight that ends ``instant``'s day (an instant at midnight starts its day).

    >>> end_of_day(dt.datetime(2026, 10, 30, 0, 0, tzinfo=UTC)).isoformat()
    '2026-10-31T00:00:00+00:00'
    """
    today = instant.astimezone(UTC).date()
    if today == dt.date.max:  # the calendar ends first: a window ends at its last instant
        return dt.datetime.max.replace(tzinfo=UTC)
    day = today + dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=UTC)


def _instant_or_duration(text: str, flag: str, anchor: dt.datetime | None) -> dt.datetime:
    if anchor is not None and text.strip()[-1:].isalpha() and text.strip()[:1].isdigit():
        try:
            seconds = parse_duration(text)
        except ValueError:
            pass
        else:
            return _before(anchor, seconds, f"{flag}: {text!r}")
    return parse_instant(text, flag)


def _before(anchor: dt.datetime, seconds: float, what: str) -> dt.datetime:
    """``anchor`` minus ``seconds``; a usage error when that is before the year 1."""
    try:
        return anchor - dt.timedelta(seconds=seconds)
    except OverflowError:
        raise UsageError(
            f"{what} reaches before the year 1 (counted back from {anchor.isoformat()})",
            hint="give a shorter duration or an ISO-8601 date",
        ) from None


def parse_iso_utc(value: object) -> dt.datetime:
    """An instant as :func:`iso_utc` writes it (ISO-8601 with a zone, ``Z`` included) back as
    an aware datetime; ``ValueError`` for anything else, a naive time included (a stored
    instant without its zone is damaged, not UTC).

    >>> parse_iso_utc("2026-10-01T00:00:00Z").isoformat()
    '2026-10-01T00:00:00+00:00'
    """
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed


def iso_utc(value: dt.datetime | None) -> str | None:
    """An instant as ISO-8601 UTC with a ``Z`` (None stays None), as the JSON output writes it.

    >>> iso_utc(dt.datetime(2026, 10, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    '2026-10-01T00:00:00Z'
    """
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def floor_window(instant: dt.datetime, step: dt.timedelta) -> dt.datetime:
    """The start of the tumbling UTC window of length ``step`` (an hour or a day) that holds
    ``instant``.

    >>> floor_window(dt.datetime(2026, 10, 1, 14, 35, tzinfo=dt.UTC), dt.timedelta(hours=1)).hour
    14
    """
    day = instant.replace(hour=0, minute=0, second=0, microsecond=0)
    if step >= dt.timedelta(days=1):
        return day
    return day + ((instant - day) // step) * step
