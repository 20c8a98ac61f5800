"""The time window every store-reading operation resolves the same way (DESIGN.md §1)."""

from __future__ import annotations

import datetime as dt

from mlmon.config import Config
from mlmon.store.scan import latest_timestamp
from mlmon.timewindow import resolve_window

When = str | dt.datetime | None
"""A window bound as the API takes it: an ISO date/time or duration string as on the command
line (``"7d"``, ``"latest"``), an aware datetime, or None for the default."""


def resolve(config: Config, since: When, until: When) -> tuple[dt.datetime | None, dt.datetime]:
    """``(since, until)`` in UTC: ``until`` None is now and ``"latest"`` the end of the day
    of the store's newest row; ``since`` None is the start, a duration string counts back
    from ``until``."""
    return resolve_window(
        _text(since),
        _text(until),
        default_span=None,
        latest=lambda: latest_timestamp(config),
    )


def ends_now(until: When) -> bool:
    """Does the window end at the present (``until`` None or ``latest``)? Only such a run
    continues a stream saved between runs (the concept detectors')."""
    return until is None or (isinstance(until, str) and until.strip().lower() in ("", "latest"))


def _text(value: When) -> str | None:
    """A datetime as the text the command line would pass (naive means UTC, as there)."""
    return value.isoformat() if isinstance(value, dt.datetime) else value
