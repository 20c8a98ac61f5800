"""Lazy, windowed reads of the store: what ``metrics`` and ``drift`` build on.

Partition pruning is explicit: only the ``date=`` directories that overlap the window are
listed, then ``polars.scan_parquet`` reads only the columns asked for, so memory does not grow
with the size of the store. Labels are joined on the id (left join: unlabelled predictions
keep a null label).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from mlmon.config import Config
from mlmon.store.columns import label_columns, prediction_columns, storage_schema
from mlmon.store.layout import StoreLayout, Table


def scan_files(config: Config, table: Table, files: Sequence[Path]) -> pl.LazyFrame:
    """Lazy scan of some of a table's files, typed by the storage schema (empty if none)."""
    columns = label_columns(config) if table == "labels" else prediction_columns(config)
    schema = storage_schema(config, columns)
    if not files:
        return pl.LazyFrame(schema=schema)
    # Files written under an older config may lack a newer column: it reads as null.
    return pl.scan_parquet(
        list(files), schema=schema, missing_columns="insert", extra_columns="ignore"
    )


def scan_predictions(
    config: Config,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    columns: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """Predictions with ``since <= timestamp < until``, only ``columns`` (default: all)."""
    layout = StoreLayout(config.store.path)
    first = since.date() if since else None
    last = until.date() if until else None
    lf = scan_files(config, "predictions", list(layout.files("predictions", first, last)))
    ts = pl.col(config.schema_.timestamp)
    if since is not None:
        lf = lf.filter(ts >= since)
    if until is not None:
        lf = lf.filter(ts < until)
    if columns is not None:
        lf = lf.select(list(dict.fromkeys([*columns])))
    return lf


def scan_labels(config: Config) -> pl.LazyFrame:
    """Every stored label: id, label, label timestamp."""
    layout = StoreLayout(config.store.path)
    return scan_files(config, "labels", list(layout.files("labels")))


def scan_window(
    config: Config,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    columns: Sequence[str] | None = None,
    with_labels: bool = True,
) -> pl.LazyFrame:
    """Predictions in the window left-joined with their labels (``schema.label`` and the
    label timestamp column), restricted to ``columns`` plus the label columns."""
    s = config.schema_
    wanted = None if columns is None else list(dict.fromkeys([s.id, *columns]))
    lf = scan_predictions(config, since, until, wanted)
    if not with_labels:
        return lf
    label_cols = [c.name for c in label_columns(config)]
    return lf.join(scan_labels(config).select(label_cols), on=s.id, how="left")


def latest_timestamp(config: Config) -> dt.datetime | None:
    """The newest prediction timestamp in the store (reads one partition), or None."""
    layout = StoreLayout(config.store.path)
    parts = layout.partitions("predictions")
    for day in sorted(parts, reverse=True):
        files = layout.files("predictions", day, day)
        if not files:
            continue
        ts = config.schema_.timestamp
        newest = (
            scan_files(config, "predictions", list(files)).select(pl.col(ts).max()).collect().item()
        )
        if newest is not None:
            assert isinstance(newest, dt.datetime)
            return newest
    return None
