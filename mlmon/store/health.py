"""The store reads of ``mlmon check``: row counts and the newest rows (the timestamp column
only), the columns the files hold (their Parquet footers), the quarantined rows and the
ingest manifest."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from mlmon.config import Config
from mlmon.store.columns import INGESTED
from mlmon.store.layout import StoreLayout
from mlmon.store.scan import check_footers, first_instant, reading, scan_files
from mlmon.store.timestamps import parse_timestamps
from mlmon.store.validate import EARLIEST

WINDOW = "window"
ROWS = "rows"


def timestamps(
    config: Config, days: Iterable[dt.date], since: dt.datetime, until: dt.datetime
) -> pl.LazyFrame:
    """The timestamp column, and nothing else, of the predictions of the day partitions
    ``days`` with ``since <= timestamp < until``."""
    files = StoreLayout(config.store.path).files("predictions", days=days)
    check_footers(files)
    ts = pl.col(config.schema_.timestamp)
    return scan_files(config, "predictions", files).select(ts).filter((ts >= since) & (ts < until))


def row_counts(
    config: Config, days: Iterable[dt.date], since: dt.datetime, until: dt.datetime, every: str
) -> dict[dt.datetime, int]:
    """Rows per window (``every``) of the day partitions ``days`` within ``[since, until)``,
    reading only the timestamp column."""
    ts = config.schema_.timestamp
    frame = (
        timestamps(config, days, since, until)
        .group_by(pl.col(ts).dt.truncate(every).alias(WINDOW))
        .agg(pl.len().alias(ROWS))
        .collect()
    )
    return dict(zip(frame[WINDOW].to_list(), frame[ROWS].to_list(), strict=True))


def newest_prediction(config: Config, before: dt.datetime) -> dt.datetime | None:
    """The newest prediction's time before ``before`` (reads the timestamps of the newest
    partition that has one)."""
    partitions = StoreLayout(config.store.path).partitions("predictions")
    days = sorted((d for d in partitions if d <= before.date()), reverse=True)
    ts = pl.col(config.schema_.timestamp)
    return first_instant(config, "predictions", days, ts.filter(ts < before).max())


def first_timestamp(config: Config) -> dt.datetime | None:
    """The oldest prediction's time (reads the earliest partition's timestamps), or None
    for a store without predictions."""
    days = sorted(StoreLayout(config.store.path).partitions("predictions"))
    ts = pl.col(config.schema_.timestamp)
    return first_instant(config, "predictions", days, ts.filter(ts >= EARLIEST).min())


def newest_label(config: Config, before: dt.datetime) -> dt.datetime | None:
    """When the newest label known before ``before`` became known (``label_timestamp`` if
    the schema has one, else when it was ingested)."""
    partitions = StoreLayout(config.store.path).partitions("labels")
    days = sorted((d for d in partitions if d <= before.date()), reverse=True)
    c = pl.col(config.schema_.label_timestamp or INGESTED)
    return first_instant(config, "labels", days, c.filter(c < before).max())


def file_columns(files: Sequence[Path]) -> set[str]:
    """The columns any of ``files`` holds (from their footers, no data read)."""
    names: set[str] = set()
    with reading(files):
        for path in files:
            names.update(pq.read_schema(path).names)
    return names


def quarantined(
    config: Config, since: dt.datetime, until: dt.datetime, every: str
) -> tuple[dict[dt.datetime, tuple[int, int]], int]:
    """Quarantined rows per window of their own timestamp: ``{window: (rows, duplicates)}``
    (duplicates: rows rejected for a repeated id), and how many rows in quarantine have no
    readable timestamp (so no window)."""
    files = StoreLayout(config.store.path).side_files("quarantine")
    if not files:
        return {}, 0
    ts = config.schema_.timestamp
    parts = []
    with reading(files):
        for path in files:
            if ts in pq.read_schema(path).names:  # a file of an older schema may lack it
                part = pl.read_parquet(path, columns=[ts, "_reason"])
                parts.append(part.with_columns(pl.col(ts).cast(pl.String)))
    if not parts:
        return {}, 0
    frame = pl.concat(parts, how="vertical")
    placed = frame.with_columns(parse_timestamps(pl.col(ts)).alias("_at"))
    unplaced = int(placed["_at"].null_count())
    inside = placed.filter((pl.col("_at") >= since) & (pl.col("_at") < until))
    grouped = inside.group_by(pl.col("_at").dt.truncate(every).alias(WINDOW)).agg(
        pl.len().alias(ROWS),
        pl.col("_reason").str.contains("duplicate").sum().alias("duplicates"),
    )
    out = {
        w: (int(n), int(d))
        for w, n, d in zip(grouped[WINDOW], grouped[ROWS], grouped["duplicates"], strict=True)
    }
    return out, unplaced


def ingest_runs(config: Config, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """The prediction files committed (by ingest time) in ``[since, until)``: rows read,
    written, rejected, and skipped as duplicates of stored rows."""
    layout = StoreLayout(config.store.path)
    totals = dict.fromkeys(
        ("files", "rows_read", "rows_written", "rows_rejected", "duplicates", "damaged_lines"), 0
    )
    if not layout.manifest.is_file() or layout.manifest.is_symlink():
        return totals
    for raw in layout.manifest.read_bytes().splitlines():
        try:
            entry = json.loads(raw)
            at = dt.datetime.strptime(entry["ingested_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=dt.UTC
            )
            if entry["table"] != "predictions" or not since <= at < until:
                continue
            read, written, rejected = (
                int(entry[k]) for k in ("rows_read", "rows_written", "rows_rejected")
            )
        except (ValueError, KeyError, TypeError):
            totals["damaged_lines"] += 1  # ingest refuses to run until it is repaired
            continue
        totals["files"] += 1
        totals["rows_read"] += read
        totals["rows_written"] += written
        totals["rows_rejected"] += rejected
        totals["duplicates"] += max(read - written - rejected, 0)
    return totals
