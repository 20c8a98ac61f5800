"""Reading the log's timestamps: the ISO-8601 layouts mlmon accepts, tried in order. Pure.

Zoned layouts are converted to UTC; naive ones are taken as UTC (DESIGN.md §1: all times
are UTC).
"""

from __future__ import annotations

import polars as pl

# Timestamp layouts tried in order (chrono syntax; %.f also matches "no fraction",
# %#z matches Z, +02:00 and +0200). Zoned layouts are converted to UTC, naive ones are UTC.
_ZONED = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z")
_NAIVE = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def parse_timestamps(expr: pl.Expr) -> pl.Expr:
    """ISO-8601 text to UTC timestamps; null where no layout matches.

    >>> s = pl.Series(["2026-10-01T14:00:00+02:00", "2026-10-01 12:00:00", "31/10/2026"])
    >>> pl.select(parse_timestamps(pl.lit(s))).to_series().dt.hour().to_list()
    [12, 12, None]
    """
    return pl.coalesce([parse_with_layout(expr, layout) for layout in (*_ZONED, *_NAIVE)])


def parse_with_layout(expr: pl.Expr, layout: str) -> pl.Expr:
    """Text to UTC timestamps in one layout (null where it does not match)."""
    if "%#z" in layout:
        return expr.str.to_datetime(layout, strict=False, time_unit="us", time_zone="UTC")
    return expr.str.to_datetime(layout, strict=False, time_unit="us").dt.replace_time_zone("UTC")


def timestamp_layout(text: pl.Series) -> str:
    """The layout that reads the most of (a sample of) a text column of timestamps.

    >>> timestamp_layout(pl.Series(["2026-10-01 12:00:00", "2026-10-01 13:00:00.5"]))
    '%Y-%m-%d %H:%M:%S%.f'
    """
    sample = text.drop_nulls().head(256).str.strip_chars()
    layouts = (*_ZONED, *_NAIVE)
    hits = pl.select(
        parse_with_layout(pl.lit(sample), layout).is_not_null().sum().alias(str(i))
        for i, layout in enumerate(layouts)
    ).row(0)
    return layouts[max(range(len(layouts)), key=lambda i: hits[i])]


def reparse_missed(values: pl.DataFrame, raw: pl.DataFrame, name: str) -> pl.DataFrame:
    """Values the column's main layout could not read get every other layout."""
    missed = raw.get_column(name).is_not_null() & values.get_column(name).is_null()
    if not missed.any():
        return values
    where = missed.arg_true()
    text = raw.get_column(name).gather(where).str.strip_chars()
    retry = pl.select(parse_timestamps(pl.lit(text))).to_series()
    return values.with_columns(values.get_column(name).scatter(where, retry))
