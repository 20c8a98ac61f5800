"""Windowed reads of the store: what ``metrics`` and ``drift`` build on.

Partition pruning is explicit: only the ``date=`` directories that overlap the window are
listed, then ``polars.scan_parquet`` reads only the columns asked for, so memory does not grow
with the size of the store. Labels are placed on their predictions by the address stored
with them at ingest (:mod:`mlmon.store.address`); the few without one are joined on the id.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from mlmon.config import Config
from mlmon.errors import DataError
from mlmon.store import address
from mlmon.store.address import DAY, FILE, GLOBAL_ROW, FileIndex
from mlmon.store.columns import (
    INGESTED,
    MISSING,
    MISSING_OF,
    TIMESTAMP,
    label_columns,
    missing_features,
    missing_features_key,
    prediction_columns,
    storage_schema,
)
from mlmon.store.layout import StoreLayout, Table
from mlmon.store.validate import EARLIEST

_ID = "__mlmon_id"
_READ_ERRORS = (pl.exceptions.PolarsError, OSError, ValueError)  # pyarrow's are ValueErrors


def damaged_file(files: Sequence[Path], exc: BaseException) -> DataError | None:
    """The error naming the first of ``files`` that cannot be read, after ``exc`` was raised
    reading them; None when every one reads (then ``exc`` is not the files' fault).

    Footers first (cheap: they catch truncated and foreign files), then, one file at a time,
    the data pages.
    """
    import pyarrow.parquet as pq  # here: slow to import, and only a failed read needs it

    for read_all in (False, True):
        for path in files:
            try:
                parquet = pq.ParquetFile(path)
                if read_all:
                    for group in range(parquet.num_row_groups):
                        parquet.read_row_group(group)
            except _READ_ERRORS as bad:
                detail = str(bad).strip().splitlines()[0] if str(bad).strip() else str(exc)
                return DataError(
                    f"{path}: damaged store file ({detail})",
                    hint="move it out of the store (its rows are then missing), or restore it "
                    "from a backup, then re-ingest the logs it came from: rows already stored "
                    "are skipped",
                )
    return None


@contextlib.contextmanager
def reading(files: Sequence[Path]) -> Iterator[None]:
    """Turn a failed read of store ``files`` into a :class:`DataError` naming the damaged file
    (exit 4); an error no file explains propagates unchanged."""
    try:
        yield
    except _READ_ERRORS as exc:
        if isinstance(exc, DataError):
            raise
        error = damaged_file(files, exc)
        if error is None:
            raise
        raise error from exc


def check_footers(files: Sequence[Path]) -> None:
    """Raise the :class:`DataError` of the first of ``files`` whose Parquet footer is damaged
    (a read of a lazy scan fails later, where no caller can name the file)."""
    import pyarrow.parquet as pq

    for path in files:
        try:
            pq.read_metadata(path)
        except _READ_ERRORS as exc:
            error = damaged_file([path], exc)
            if error is not None:
                raise error from exc


def scan_files(
    config: Config, table: Table, files: Sequence[Path], row_index: str | None = None
) -> pl.LazyFrame:
    """Lazy scan of some of a table's files, typed by the storage schema (empty if none);
    label scans include the address columns. ``row_index`` numbers the rows across
    ``files`` (before any filter)."""
    columns = label_columns(config) if table == "labels" else prediction_columns(config)
    schema = storage_schema(config, columns)
    if table == "labels":
        schema |= address.SCHEMA | {INGESTED: TIMESTAMP}
    else:
        schema[MISSING] = pl.Boolean()
    if not files:
        empty = pl.LazyFrame(schema=schema)
        return empty.with_row_index(row_index) if row_index else empty
    # Files written under an older config may lack a newer column: it reads as null.
    return pl.scan_parquet(
        list(files),
        schema=schema,
        missing_columns="insert",
        extra_columns="ignore",
        row_index_name=row_index,
    )


def scan_predictions(
    config: Config,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    columns: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """Predictions with ``since <= timestamp < until``, only ``columns`` (default: all)."""
    layout = StoreLayout(config.store.path)
    files = layout.files("predictions", *_days(since, until))
    check_footers(files)
    lf = scan_files(config, "predictions", files)
    lf = lf.filter(_in_window(config, since, until))
    if columns is not None:
        lf = lf.select(list(dict.fromkeys([*columns])))
    return lf


def read_window(
    config: Config,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    select: Sequence[str | pl.Expr] | None = None,
) -> pl.DataFrame:
    """Predictions with ``since <= timestamp < until``, reduced to ``select`` (column names
    or expressions over the prediction columns; default: every column), followed by the label
    columns (``schema.label`` and the label timestamp; null where no label has arrived).

    Rows keep the store's order (files by date, then name; rows as written). Memory holds
    the selected columns of the window, plus 4 bytes per row of the window's files while
    labels are placed. A damaged store file is a :class:`DataError` naming it.
    """
    layout = StoreLayout(config.store.path)
    label_files = layout.files("labels")
    files = layout.files("predictions", *_days(since, until))
    with reading([*files, *label_files]):
        return _read_window(config, layout, files, label_files, since, until, select)


def _read_window(
    config: Config,
    layout: StoreLayout,
    files: list[Path],
    label_files: list[Path],
    since: dt.datetime | None,
    until: dt.datetime | None,
    select: Sequence[str | pl.Expr] | None,
) -> pl.DataFrame:
    s = config.schema_
    label_cols = [c.name for c in label_columns(config) if c.name != s.id]
    # A null label (stored by mlmon before it refused them) is no label.
    all_labels = scan_files(config, "labels", label_files).filter(pl.col(s.label).is_not_null())
    # A replaced label stays stored beside its correction: keep the latest per prediction.
    # (Checked once per read; without corrections nothing extra is read or sorted.)
    corrected = layout.has_label_updates()
    order = [INGESTED] if corrected else []
    # Labels stored before their prediction, or by a version without addresses.
    loose = all_labels.filter(pl.col(FILE).is_null()).select(s.id, *label_cols, *order).collect()
    if corrected:
        loose = _latest(loose, s.id)
    index = FileIndex(layout, files)
    exprs: list[str | pl.Expr] = list(select) if select is not None else [pl.exclude(GLOBAL_ROW)]
    if loose.height:
        exprs.append(pl.col(s.id).alias(_ID))
    predictions = (
        scan_files(config, "predictions", files, row_index=GLOBAL_ROW)
        .filter(_in_window(config, since, until))
        .select(GLOBAL_ROW, *exprs)
    )
    placed = all_labels
    if files:
        # Statistics on the day column let the scan skip label files of other days unread.
        first, last = index.days.min().item(), index.days.max().item()
        placed = placed.filter(pl.col(DAY).is_between(first, last))
    placed = placed.select(index.global_rows().alias(GLOBAL_ROW), *label_cols, *order).drop_nulls(
        GLOBAL_ROW  # labels of other files
    )
    # Both scans at once: each alone leaves a core idle part of the time.
    frame, placed_frame = pl.collect_all([predictions, placed], engine="streaming")
    if corrected:
        placed_frame = _latest(placed_frame, GLOBAL_ROW)
    frame = frame.with_columns(_place(frame, placed_frame, index.total, label_cols))
    if loose.height:
        renamed = {c: f"__loose_{c}" for c in label_cols}
        frame = (
            frame.join(
                loose.rename(renamed),
                left_on=_ID,
                right_on=s.id,
                how="left",
                maintain_order="left",
            )
            .with_columns(pl.coalesce(c, renamed[c]).alias(c) for c in label_cols)
            .drop(_ID, *renamed.values())
        )
    return frame.drop(GLOBAL_ROW)


def _latest(labels: pl.DataFrame, key: str) -> pl.DataFrame:
    """One label per ``key``: the one ingested last (see :data:`INGESTED`)."""
    return (
        labels.sort(INGESTED, nulls_last=False, maintain_order=True)
        .unique(key, keep="last", maintain_order=False)
        .drop(INGESTED)
    )


def _place(
    frame: pl.DataFrame, placed: pl.DataFrame, total: int, columns: list[str]
) -> list[pl.Series]:
    """The label ``columns`` aligned with ``frame``'s rows: each placed label goes to the
    row with its global row number (labels of rows outside the window are dropped)."""
    rows = frame[GLOBAL_ROW].to_numpy()
    wanted = placed[GLOBAL_ROW].to_numpy()
    if len(rows) == total:  # nothing filtered out: row k of the files is row k of the frame
        target = wanted
    else:
        dtype = np.int32 if len(rows) < 2**31 else np.int64
        position = np.full(total, -1, dtype=dtype)
        position[rows] = np.arange(len(rows), dtype=dtype)
        target = position[wanted]
    keep = target >= 0
    everything = bool(keep.all())
    out = []
    for name in columns:
        values = placed[name] if everything else placed[name].filter(pl.Series(keep))
        column = pl.repeat(None, frame.height, dtype=values.dtype, eager=True).alias(name)
        out.append(
            column.scatter(target if everything else target[keep], values)
            if len(values)
            else column
        )
    return out


def missing_feature_flag(
    config: Config, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> pl.Expr:
    """An expression over prediction rows: does any configured feature lack a value?

    It reads the flag stored at ingest when every file of the window stored it for the
    features configured now (the flag then costs one column instead of all feature columns),
    and computes it from the feature columns otherwise (files ingested by mlmon 0.1.0, or
    before the config's features changed).
    """
    layout = StoreLayout(config.store.path)
    key = missing_features_key(config).encode()
    for path in layout.files("predictions", *_days(since, until)):
        import pyarrow.parquet as pq  # here: slow to import (see mlmon.store.address)

        with reading([path]):
            stored = pq.ParquetFile(path).metadata.metadata or {}
        if stored.get(MISSING_OF.encode()) != key:
            return missing_features(config)
    return pl.col(MISSING)


def locate(config: Config, ids: pl.Series, columns: Sequence[str] = ()) -> pl.DataFrame:
    """The address of each of ``ids`` that has a stored prediction: the id, the
    :mod:`~mlmon.store.address` columns and the prediction ``columns`` asked for. One
    streaming scan of the predictions' id column with an ``is_in`` filter, so memory is
    bounded by ``ids``, not by the store."""
    id_col = config.schema_.id
    layout = StoreLayout(config.store.path)
    files = layout.files("predictions")
    with reading(files):
        index = FileIndex(layout, files)
        found = (
            scan_files(config, "predictions", files, row_index=GLOBAL_ROW)
            .select(GLOBAL_ROW, id_col, *columns)
            .filter(pl.col(id_col).is_in(ids.implode()))
            .collect(engine="streaming")
        )
    where = index.addresses(found[GLOBAL_ROW].to_numpy().astype(np.int64))
    return pl.concat([found.select(id_col), where, found.select(columns)], how="horizontal")


def _days(
    since: dt.datetime | None, until: dt.datetime | None
) -> tuple[dt.date | None, dt.date | None]:
    return (since.date() if since else None, until.date() if until else None)


def _in_window(config: Config, since: dt.datetime | None, until: dt.datetime | None) -> pl.Expr:
    ts = pl.col(config.schema_.timestamp)
    return (ts >= since if since else pl.lit(True)) & (ts < until if until else pl.lit(True))


def latest_timestamp(config: Config, now: dt.datetime | None = None) -> dt.datetime | None:
    """The newest plausible prediction timestamp in the store (reads one partition), or None.

    Plausible as ingest checks it: from 1970 to ``store.max_future`` after ``now`` (default:
    the clock). A later time (stored before ingest checked, or by another tool) is ignored, so
    one absurd row cannot move every ``--until latest`` window to the end of time.
    """
    layout = StoreLayout(config.store.path)
    bound = (now or dt.datetime.now(dt.UTC)) + dt.timedelta(seconds=config.store.max_future)
    days = [d for d in layout.partitions("predictions") if EARLIEST.date() <= d <= bound.date()]
    if not days:  # no polars call at all: a forked child (alert dispatch) must not start its pool
        return None
    ts = pl.col(config.schema_.timestamp)
    plausible = ts.filter((ts >= EARLIEST) & (ts <= bound)).max()
    return first_instant(config, "predictions", sorted(days, reverse=True), plausible)


def first_instant(
    config: Config, table: Table, days: Sequence[dt.date], aggregate: pl.Expr
) -> dt.datetime | None:
    """``aggregate`` (a min or max of a time column) over one day partition of ``table`` at a
    time, in the order of ``days``: the first that is not null (None when none is). Reads
    as few partitions as the answer needs."""
    layout = StoreLayout(config.store.path)
    for day in days:
        files = layout.files(table, day, day)
        if not files:
            continue
        with reading(files):
            value = scan_files(config, table, files).select(aggregate).collect().item()
        if value is not None:
            assert isinstance(value, dt.datetime)
            return value
    return None
