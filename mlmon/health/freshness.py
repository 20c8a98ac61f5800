"""Freshness and gaps: is data still arriving, and did a stretch of windows get none? Pure.

``freshness`` compares the newest row's time with ``max_age`` (a prediction log whose newest
row is older than that has stopped arriving, whatever the row counts say). ``gaps`` finds
the runs of consecutive windows that should have rows (their history predicts some) and have
none: the ``no_data`` finding, reported as ``no rows 02:00-05:00``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlmon.timewindow import iso_utc


@dataclass(frozen=True)
class Freshness:
    """The newest row's age against ``max_age`` (seconds)."""

    newest: dt.datetime | None
    age_seconds: float | None
    max_age: float
    status: str
    """``stale`` (older than ``max_age``, or no row at all), else ``ok``."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "newest": iso_utc(self.newest),
            "age_seconds": self.age_seconds,
            "max_age_seconds": self.max_age,
            "status": self.status,
        }


def span_text(first: dt.datetime, last: dt.datetime) -> str:
    """``[first, last)`` for a person: ``2026-10-26 02:00-05:00`` within a day (a span that
    ends at midnight ends at ``24:00``), both dates and times when it crosses midnight.

    >>> t = dt.datetime(2026, 10, 26, 22, tzinfo=dt.UTC)
    >>> span_text(t, t + dt.timedelta(hours=2)), span_text(t, t + dt.timedelta(hours=3))
    ('2026-10-26 22:00-24:00', '2026-10-26 22:00 - 2026-10-27 01:00')
    """
    if first.date() != (last - dt.timedelta(microseconds=1)).date():
        return f"{first:%Y-%m-%d %H:%M} - {last:%Y-%m-%d %H:%M}"
    end = "24:00" if last.date() != first.date() else f"{last:%H:%M}"
    return f"{first:%Y-%m-%d %H:%M}-{end}"


def freshness(newest: dt.datetime | None, now: dt.datetime, max_age: float) -> Freshness:
    """How old the newest row is at ``now``; no row at all is stale.

    >>> now = dt.datetime(2026, 10, 31, 12, tzinfo=dt.UTC)
    >>> freshness(now - dt.timedelta(hours=3), now, 7200).status
    'stale'
    """
    if newest is None:
        return Freshness(None, None, max_age, "stale")
    age = (now - newest).total_seconds()
    return Freshness(newest, age, max_age, "stale" if age > max_age else "ok")


@dataclass(frozen=True)
class Gap:
    """Consecutive windows ``[start, end)`` that should have had rows and had none."""

    start: dt.datetime
    end: dt.datetime
    windows: int

    @property
    def summary(self) -> str:
        """``no rows 02:00-05:00`` (with the dates when the gap spans days)."""
        return f"no rows {span_text(self.start, self.end)}"

    def to_dict(self) -> dict[str, Any]:
        return {"start": iso_utc(self.start), "end": iso_utc(self.end), "windows": self.windows}


def gaps(
    starts: Sequence[dt.datetime],
    counts: Sequence[int],
    expected: Sequence[bool],
    step: dt.timedelta,
) -> list[Gap]:
    """The runs of empty windows among those ``expected`` to have rows. ``starts`` are the
    windows' starts in order, ``step`` apart; ``counts`` their rows.

    >>> t = [dt.datetime(2026, 10, 1, h, tzinfo=dt.UTC) for h in range(6)]
    >>> hour = dt.timedelta(hours=1)
    >>> [g.summary for g in gaps(t, [5, 0, 0, 0, 7, 0], [True] * 5 + [False], hour)]
    ['no rows 2026-10-01 01:00-04:00']
    """
    if not len(starts) == len(counts) == len(expected):
        raise ValueError("starts, counts and expected must have one entry per window")
    out: list[Gap] = []
    run: list[dt.datetime] = []
    for start, n, should in zip(starts, counts, expected, strict=True):
        if n == 0 and should:
            if run and start != run[-1] + step:  # not consecutive: a new gap
                out.append(Gap(run[0], run[-1] + step, len(run)))
                run = []
            run.append(start)
        elif run:
            out.append(Gap(run[0], run[-1] + step, len(run)))
            run = []
    if run:
        out.append(Gap(run[0], run[-1] + step, len(run)))
    return out
