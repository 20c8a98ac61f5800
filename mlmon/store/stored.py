"""What the store already holds for a batch's ids: repeats, conflicting re-sends and label
corrections (DESIGN.md §5: rows are deduplicated on the id; a label for an id that already has
a different label replaces it, and the change is recorded)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from mlmon.config import Config
from mlmon.store.columns import INGESTED, Column
from mlmon.store.layout import StoreLayout, Table
from mlmon.store.scan import reading, scan_files
from mlmon.store.validate import REASON, ROW, quoted
from mlmon.store.writer import StagedWrite


@dataclass(frozen=True)
class Checked:
    """A batch's valid rows split by what the store already holds for their ids."""

    fresh: pl.DataFrame
    """Rows to write: new ids, and label corrections under ``label_updates: replace``."""
    repeats: int
    """Rows equal to the stored row (or label): skipped as duplicates."""
    conflicts: pl.DataFrame
    """Rows to quarantine, with their REASON."""
    updates: pl.DataFrame
    """Audit records of the replaced labels."""
    ignored: int
    """Differing labels left out under ``label_updates: keep_first``."""


def against_stored(
    config: Config,
    table: Table,
    columns: list[Column],
    staged: StagedWrite,
    good: pl.DataFrame,
) -> Checked:
    """Split ``good`` by what the store (and this run's staged files) hold for its ids.

    A row whose id is not stored is fresh. A prediction equal to the stored one is a
    harmless repeat; one that differs is a conflict (quarantined: a request's logged
    outputs do not change). A label equal to the latest stored label is a repeat; one that
    differs is a correction, handled as ``store.label_updates`` says: ``replace`` (stored,
    with an audit record of the old value), ``keep_first`` (left out, counted) or
    ``quarantine``. Predictions are looked up only in the date partitions and the time
    range the batch touches (a request's timestamp does not change when it is re-sent);
    labels, which may arrive on any day, in the whole labels table.
    """
    nothing = good.clear()
    if good.height == 0:
        return Checked(good, 0, nothing, nothing, 0)
    id_col = columns[0].name
    ts_col = columns[2].name if table == "labels" else columns[1].name
    days = None
    if table == "predictions":
        days = good.get_column(ts_col).dt.date().unique().to_list()
    files = StoreLayout(config.store.path).files(table, days=days) + staged.staged_files(
        table, days
    )
    if not files:
        return Checked(good, 0, nothing, nothing, 0)
    ids = good.get_column(id_col)
    scan = scan_files(config, table, files)
    names = [c.name for c in columns]
    if table == "predictions":
        # The same request has the same timestamp, so only rows in this batch's time range
        # can match; Parquet min/max statistics then skip most files and row groups unread.
        ts = good.get_column(ts_col)
        scan = scan.filter(pl.col(ts_col).is_between(ts.min(), ts.max()))
        compared = [n for n in names if n != id_col]
        select = names
    else:
        compared = [columns[1].name]  # the label; a re-sent label time is no change
        select = [*names, INGESTED]
    if table == "labels":
        # A null label (stored by mlmon before it refused them) is no label: it neither
        # makes the real one a duplicate nor is it "corrected" by it.
        scan = scan.filter(pl.col(columns[1].name).is_not_null())
    with reading(files):
        matched = scan.select(id_col).filter(pl.col(id_col).is_in(ids.implode())).collect()
    if matched.height == 0:  # the usual case: read only the id column
        return Checked(good, 0, nothing, nothing, 0)
    found = matched.get_column(id_col).unique()
    with reading(files):
        stored = scan.select(select).filter(pl.col(id_col).is_in(found.implode())).collect()
    if table == "labels":
        stored = stored.sort(INGESTED, nulls_last=False, maintain_order=True)
    stored = stored.unique(id_col, keep="last", maintain_order=True)
    suffix = "__stored"
    joined = good.join(
        stored.with_columns(pl.lit(True).alias("__found")),
        on=id_col,
        how="left",
        suffix=suffix,
        maintain_order="left",
    )
    marked = joined.with_columns(
        pl.col("__found").fill_null(False),
        pl.concat_list(
            pl.when(~pl.col(c).eq_missing(pl.col(f"{c}{suffix}"))).then(pl.lit(c)) for c in compared
        )
        .list.drop_nulls()
        .alias("__changed"),
    )
    fresh = marked.filter(~pl.col("__found"))
    repeats = marked.filter(pl.col("__found") & (pl.col("__changed").list.len() == 0))
    changed = marked.filter(pl.col("__found") & (pl.col("__changed").list.len() > 0))
    keep = good.columns
    if table == "predictions":
        conflicts = changed.with_columns(
            pl.format(
                "{}: id {} is already stored with other values ({}); a re-sent "
                "prediction must equal the stored one",
                pl.lit(id_col),
                quoted(pl.col(id_col)),
                pl.col("__changed").list.join(", "),
            ).alias(REASON)
        )
        return Checked(fresh.select(keep), repeats.height, conflicts, nothing, 0)
    label = columns[1].name
    policy = config.store.label_updates
    if policy == "quarantine":
        conflicts = changed.with_columns(
            pl.format(
                "{}: the label of {} {} differs from the stored label {} "
                "(store.label_updates is 'quarantine')",
                pl.lit(label),
                pl.lit(id_col),
                quoted(pl.col(id_col).cast(pl.String)),
                pl.col(f"{label}{suffix}").cast(pl.String),
            ).alias(REASON)
        )
        return Checked(fresh.select(keep), repeats.height, conflicts, nothing, 0)
    if policy == "keep_first":
        return Checked(fresh.select(keep), repeats.height, nothing, nothing, changed.height)
    updates = changed.select(
        pl.col(id_col),
        pl.col(f"{label}{suffix}").alias("old_label"),
        pl.col(label).alias("new_label"),
        pl.col(f"{ts_col}{suffix}").alias("old_label_timestamp"),
        pl.col(ts_col).alias("new_label_timestamp"),
    )
    replaced = pl.concat([fresh.select(keep), changed.select(keep)]).sort(ROW)
    return Checked(replaced, repeats.height, nothing, updates, 0)
