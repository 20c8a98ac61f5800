"""Building blocks of config sections: the strict, frozen :class:`Section` base and the
value types sections share (durations, instants, names, time ranges)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from mlmon.fsutil import is_safe_name

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}

ECHO_CHARS = 80
"""How much of a config value (or key) a message shows: a value may be megabytes long."""


def short(value: Any, limit: int = ECHO_CHARS) -> str:
    """``value`` as a message shows it: its text, cut to ``limit`` characters and "…".

    >>> short("x" * 100, 5)
    'xxxxx…'
    """
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def short_repr(value: Any, limit: int = ECHO_CHARS) -> str:
    """``repr(value)`` cut the same way (a long value's repr is not built whole)."""
    if isinstance(value, str | bytes) and len(value) > limit:
        text = repr(value[:limit])
        return f"{text[:-1]}…{text[-1]}"
    if isinstance(value, dict | list | tuple) and len(value) > 20:
        return f"<a {type(value).__name__} of {len(value)} items>"
    return short(repr(value), limit)


def parse_duration(value: Any) -> float:
    """Seconds in a duration given as a number of seconds or a string like ``90s``, ``12h``, ``7d``.

    >>> parse_duration("12h"), parse_duration(30), parse_duration("1.5m")
    (43200.0, 30.0, 90.0)
    """
    if isinstance(value, bool):
        raise PydanticCustomError("duration", "expected a duration such as 30s, 5m, 12h, 7d")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2) or "s"]
    else:
        raise PydanticCustomError(
            "duration",
            "expected a duration such as 30s, 5m, 12h, 7d (got {value})",
            {"value": short_repr(value)},
        )
    if seconds < 0:
        raise PydanticCustomError("duration", "a duration cannot be negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


def _check_name(value: Any) -> Any:
    if isinstance(value, str) and not is_safe_name(value):
        raise PydanticCustomError(
            "name",
            "{value} is not a valid name: use letters, digits, '.', '_' and '-' "
            "(no path separators, no '..'), starting with a letter or digit",
            {"value": short_repr(value)},
        )
    return value


Name = Annotated[str, BeforeValidator(_check_name)]
ColumnName = Annotated[str, Field(min_length=1)]


class Section(BaseModel):
    """A config section: frozen, and strict about unknown keys (named with the allowed ones)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = {
                f.alias or name for name, f in cls.model_fields.items() if f.exclude is not True
            }
            for key in data:
                if key not in allowed:
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key; allowed keys here: {allowed}",
                        {"key": str(key), "allowed": ", ".join(sorted(allowed))},
                    )
        return data


def _to_instant(value: Any) -> dt.datetime:
    """A YAML date, datetime or ISO-8601 text as an aware UTC datetime (naive means UTC)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise PydanticCustomError(
                "instant",
                "{value} is not an ISO-8601 date or date-time",
                {"value": short_repr(value)},
            ) from None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    raise PydanticCustomError("instant", "expected a date such as 2026-10-01")


Instant = Annotated[dt.datetime, BeforeValidator(_to_instant)]


class TimeRange(Section):
    """A window ``[since, until)`` of the store (``metrics.baseline``, ``drift.reference``)."""

    since: Instant
    until: Instant

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.since >= self.until:
            raise PydanticCustomError("instant", "since must be before until")
        return self
