"""The column checks of ``mlmon check`` and of a promotion's contract: each day's per-window
tally (cached by the day's files), the contract's verdicts on it, and example request ids for
the failures."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

import polars as pl

from mlmon.config import Config
from mlmon.config.contract import Contract, column_kinds
from mlmon.health.judge import Item, correct, judge_window, kind_of, worst
from mlmon.health.result import CheckGroup, group_items
from mlmon.health.tally import ROWS, WINDOW, aggregations, condition, derived, tally, typed_contract
from mlmon.store import health as reads
from mlmon.store.cache import cache_key, store_cache
from mlmon.store.columns import prediction_columns, storage_schema
from mlmon.store.layout import StoreLayout
from mlmon.store.scan import scan_predictions
from mlmon.timewindow import floor_window

EXAMPLES = 3
"""Request ids shown per failed share check."""


def column_checks(
    config: Config,
    contract: Contract,
    start: dt.datetime,
    end: dt.datetime,
    every: str,
    step: dt.timedelta,
    insufficient: list[str],
    notes: list[str],
) -> list[Item]:
    c = config.check
    layout = StoreLayout(config.store.path)
    files = layout.files("predictions", start.date(), end.date())
    if not files:
        return []
    present, out = _present(config, contract, reads.file_columns(files), start, end)
    outputs = model_outputs(config)
    typed = typed_contract(contract, storage_schema(config, prediction_columns(config)))
    # day by day: a window (an hour or a day) never spans two UTC days, so the tallies of the
    # day partitions are the range's; memory holds one day's columns, not the range's, and a
    # day whose files are unchanged is read from the cache, not tallied again
    day = dt.datetime.combine(start.date(), dt.time(), dt.UTC)
    tallies = []
    while day < end:
        tallies.append(_day_tally(config, day.date(), every, typed, present, notes))
        day += dt.timedelta(days=1)
    first = floor_window(start, step)
    table = pl.concat(tallies, how="vertical").filter(
        (pl.col(WINDOW) >= first) & (pl.col(WINDOW) < end)
    )
    judged = 0
    for row in table.iter_rows(named=True):
        w = row[WINDOW]
        items = judge_window(
            row, w, w + step, typed, present, outputs, min_rows=c.min_rows, confidence=1 - c.alpha
        )
        judged += any(it.status != "insufficient_data" for it in items)
        out += items
    if table.height and not judged:
        insufficient.append(
            f"columns: no window of the range has check.min_rows ({c.min_rows:,}) values"
        )
    return out


TALLY_FORMAT = 1
"""Bump when a day's tally changes for the same files and contract (old entries then miss)."""


def _day_tally(
    config: Config,
    day: dt.date,
    every: str,
    contract: Contract,
    present: set[str],
    notes: list[str],
) -> pl.DataFrame:
    """The tally of one whole day partition, from ``_cache/tallies`` when its files (their
    paths and sizes: committed files never change, a new one changes the list), the
    contract and the window are those it was computed for."""
    layout = StoreLayout(config.store.path)
    files = layout.files("predictions", day, day)
    key = cache_key(
        {
            "format": TALLY_FORMAT,
            "files": layout.listing(files),
            "contract": contract.model_dump(mode="json"),
            "present": sorted(present),
            "every": every,
            "timestamp": config.schema_.timestamp,
        }
    )
    cache = store_cache(config.store.path, "tallies")
    try:
        entry = cache.read(key)
        stored = cache.read_companion(key, ".parquet") if entry is not None else None
        if stored is not None:
            return pl.read_parquet(io.BytesIO(stored))
    except (ValueError, OSError, pl.exceptions.PolarsError) as exc:
        notes.append(f"the cached tally of {day} is unusable ({exc}): computing it again")
    ts = config.schema_.timestamp
    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    frame = scan_predictions(
        config, start, start + dt.timedelta(days=1), columns=[ts, *sorted(present)]
    )
    table = tally(frame, ts, every, contract, present)
    buffer = io.BytesIO()
    table.write_parquet(buffer)
    try:
        cache.write(
            key, {"day": day.isoformat(), "windows": table.height}, {".parquet": buffer.getvalue()}
        )
    except OSError as exc:
        notes.append(f"could not cache the tally of {day} ({exc})")
    return table


def judge_frame(
    config: Config,
    contract: Contract,
    frame: pl.LazyFrame,
    start: dt.datetime,
    end: dt.datetime,
) -> tuple[tuple[CheckGroup, ...], int]:
    """The contract's checks over all of ``frame`` as one window ``[start, end)`` (the
    serving data a promotion is judged on), corrected together, and the frame's row count
    (from the same pass); a contract column the frame lacks is a ``missing_column`` failure."""
    c = config.check
    names = set(frame.collect_schema().names())
    present, items = _present(config, contract, names, start, end)
    outputs = model_outputs(config)
    typed = typed_contract(contract, storage_schema(config, prediction_columns(config)))
    # one group of every row, keyed by a column: polars 2.1 cannot run
    # drop_nulls().unique_counts().max() in a select or with a literal key (ShapeError)
    one = frame.with_columns(pl.lit(0).alias(WINDOW))
    table = (
        one.group_by(WINDOW)
        .agg(aggregations(typed, present))
        .with_columns(derived(typed, present))
        .collect()
    )
    if table.height == 0:
        return group_items(items), 0
    row = table.row(0, named=True)
    items += judge_window(
        row, start, end, typed, present, outputs, min_rows=c.min_rows, confidence=1 - c.alpha
    )
    return group_items(correct(items, c.alpha, c.correction)), int(row[ROWS])


def _present(
    config: Config, contract: Contract, names: set[str], start: dt.datetime, end: dt.datetime
) -> tuple[set[str], list[Item]]:
    """The contract's columns among ``names`` (the data's columns), and a ``missing_column``
    failure for each one the config logs but the data lacks."""
    wanted = [n for n in contract.columns if n in column_kinds(config)]
    outputs = model_outputs(config)
    missing = [
        Item("missing_column", n, kind_of("missing_column", n, outputs), start, end, "finding",
             reason=f"the data of the range holds no column {n!r}")
        for n in wanted if n not in names
    ]  # fmt: skip
    return {n for n in wanted if n in names}, missing


def model_outputs(config: Config) -> frozenset[str]:
    """The model's output columns (prediction, score, class probabilities): their checks'
    failures are prediction_anomaly findings."""
    s = config.schema_
    names = [s.prediction, s.score, *(s.probabilities or {}).values()]
    return frozenset(n for n in names if n is not None)


def with_examples(config: Config, items: list[Item], contract: Contract | None) -> list[Item]:
    """Up to three request ids of the rows behind each failed share check (one read of the
    failing window's rows per check and column: findings are rare)."""
    if contract is None:
        return items
    schema = storage_schema(config, prediction_columns(config))
    typed = typed_contract(contract, schema)
    failed: dict[tuple[str, str], list[int]] = {}
    for i, it in enumerate(items):
        below = it.test is not None and it.test.side == "below"  # too few: no row to show
        if (
            it.status == "finding"
            and it.column is not None
            and it.check in _ROW_CHECKS
            and not below
        ):
            failed.setdefault((it.check, it.column), []).append(i)
    out = list(items)
    for (_, column), indices in failed.items():
        cc = typed.columns.get(column)
        it = worst([items[i] for i in indices])  # the window the finding shows
        if cc is None or it.start is None:
            continue
        rows = scan_predictions(config, it.start, it.end, columns=[config.schema_.id, column])
        evidence = dict(it.evidence)
        if it.check == "out_of_range_share":  # how far out: the window's finite extremes
            c = pl.col(column)
            ends = rows.select(
                c.filter(c.is_finite()).min().alias("min"),
                c.filter(c.is_finite()).max().alias("max"),
            )
            evidence |= ends.collect().row(0, named=True)
        if it.check == "top_share":  # which value it is stuck on (the smallest of tied ones)
            top = (
                rows.group_by(column).len().drop_nulls(column)
                .sort(["len", column], descending=[True, False]).head(1).collect()
            )  # fmt: skip
            evidence["value"] = top[column].item() if top.height else None
        expr = condition(column, it.check, cc, evidence.get("value"))
        ids = (
            rows.filter(expr)
            .select(config.schema_.id)
            .head(EXAMPLES)
            .collect()
            .to_series()
            .to_list()
        )
        at = next(i for i in indices if items[i] is it)
        out[at] = replace(it, examples=tuple(str(x) for x in ids), evidence=evidence)
    return out


_ROW_CHECKS = frozenset(
    {
        "null_share",
        "zero_share",
        "nonfinite_share",
        "out_of_range_share",
        "sentinel_share",
        "new_value_share",
        "top_share",
        "value_share",
    }
)
