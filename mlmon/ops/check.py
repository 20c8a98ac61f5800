"""``mlmon check``: cheap health checks of the recent logs for the silent failures.

Freshness, gaps and volume read the timestamp column only; the feature, prediction and
contract checks read the contract's columns of the checked range once (one ``group_by`` per
window, :mod:`mlmon.health.tally`); ingest health reads the quarantine and the manifest.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from mlmon.config import Config
from mlmon.config.contract import Contract, column_kinds, load_contract
from mlmon.errors import DataError
from mlmon.health.freshness import Freshness, freshness, gaps
from mlmon.health.judge import Item, correct, judge_window, kind_of, worst
from mlmon.health.result import CheckGroup, CheckResult, VolumeWindow
from mlmon.health.shares import judge_share
from mlmon.health.tally import WINDOW, aggregations, condition, derived, tally, typed_contract
from mlmon.health.volume import judge_volume
from mlmon.ops.arguments import check_choice
from mlmon.ops.contract import learned_contract
from mlmon.ops.window import When, resolve
from mlmon.store import health as reads
from mlmon.store.cache import cache_key, store_cache
from mlmon.store.columns import prediction_columns, storage_schema
from mlmon.store.layout import StoreLayout
from mlmon.store.scan import scan_predictions
from mlmon.timewindow import WINDOW_STEPS

WINDOWS = ("1h", "1d")
WEEK = dt.timedelta(weeks=1)
EXAMPLES = 3


def run(
    config: Config,
    *,
    since: When = None,
    until: When = None,
    window: str | None = None,
    contract: Path | None = None,
) -> CheckResult:
    """The health of ``[since, until)`` per ``window`` (default ``check.window``).

    ``until`` None is now, ``"latest"`` the store's newest row; ``since`` None is
    ``check.since`` back from ``until``. Freshness is measured at the end of the range (at the
    newest row for ``latest``). ``contract`` overrides ``check.contract``; with neither, the
    contract is learned from ``check.reference`` (or ``drift.reference``) and cached."""
    check_choice(window, WINDOWS, "--window")
    c = config.check
    every = window or c.window
    step = WINDOW_STEPS[every]
    layout = StoreLayout(config.store.path)
    if not layout.files("predictions"):
        raise DataError(
            f"{config.store.path}: the store holds no predictions",
            hint="ingest the logs first: mlmon ingest FILE...",
        )
    start, end = resolve(config, since, until)
    if start is None or since is None:
        start = end - dt.timedelta(seconds=c.since)
    latest = isinstance(until, str) and until.strip().lower() == "latest"
    first_window = _floor(start, step)
    windows = _windows(first_window, end, step)
    seasons = c.volume.seasons if c.volume.enabled else 0
    # the range's days and, for the volume's history, the same days of earlier weeks: a
    # day's check reads 1 + seasons day partitions' timestamps, not every day in between
    days = {(w - k * WEEK).date() for w in windows for k in range(seasons + 1)}
    counts = reads.row_counts(config, days, first_window - seasons * WEEK, end, every)
    newest = reads.newest_prediction(config, end)
    as_of = (newest or end) if latest else end
    insufficient: list[str] = []

    predictions = freshness(newest, as_of, c.freshness.max_age)
    labels = _label_freshness(config, as_of)
    complete = [w for w in windows if w + step <= as_of]
    first = reads.first_timestamp(config)
    volume, gap_list = _volume(config, complete, counts, first, step, insufficient)

    items: list[Item] = []
    notes: list[str] = []
    source, chosen = _contract(config, contract, every, notes)
    rows_in_range = sum(counts.get(w, 0) for w in windows)
    if chosen is not None:
        items += _column_checks(config, chosen, start, end, every, step, insufficient, notes)
    rejected, unplaced = reads.quarantined(config, start, end, every)
    runs = reads.ingest_runs(config, start, end)
    items += _ingest_checks(config, start, end, step, counts, windows, rejected, runs)

    tested_volume = [
        i for i, v in enumerate(volume) if v.verdict.p_value is not None and v.status != "gap"
    ]
    p_items = [
        Item("volume", None, "volume_anomaly", v.start, v.end,
             "candidate" if v.status == "anomaly" else "ok", p_value=v.verdict.p_value)
        for v in (volume[i] for i in tested_volume)
    ]  # fmt: skip
    decided = correct([*p_items, *items], c.alpha, c.correction)
    for i, it in zip(tested_volume, decided[: len(p_items)], strict=True):
        v = volume[i]
        status = "anomaly" if it.status == "finding" else "ok"
        volume[i] = VolumeWindow(v.start, v.end, v.verdict, it.p_adjusted, status)
    items = _with_examples(config, decided[len(p_items) :], chosen)
    return CheckResult(
        since=start,
        until=end,
        as_of=as_of,
        window=every,
        step=step,
        rows=rows_in_range,
        contract=source,
        predictions=predictions,
        labels=labels,
        volume=tuple(volume),
        gaps=tuple(gap_list),
        groups=_groups(items),
        ingest=_ingest_totals(config, runs, unplaced),
        alpha=c.alpha,
        correction=c.correction,
        insufficient=tuple(insufficient),
        notes=tuple(notes),
    )


def _floor(instant: dt.datetime, step: dt.timedelta) -> dt.datetime:
    day = instant.replace(hour=0, minute=0, second=0, microsecond=0)
    if step >= dt.timedelta(days=1):
        return day
    return day + ((instant - day) // step) * step


def _windows(first: dt.datetime, end: dt.datetime, step: dt.timedelta) -> list[dt.datetime]:
    out, w = [], first
    while w < end:
        out.append(w)
        w += step
    return out


def _label_freshness(config: Config, as_of: dt.datetime) -> Freshness | None:
    max_age = config.check.freshness.max_label_age
    if max_age is None:
        return None
    return freshness(reads.newest_label(config, as_of), as_of, max_age)


def _volume(
    config: Config,
    complete: list[dt.datetime],
    counts: dict[dt.datetime, int],
    first: dt.datetime | None,
    step: dt.timedelta,
    insufficient: list[str],
) -> tuple[list[VolumeWindow], list[Any]]:
    """Each complete window's count against the same window of earlier weeks that the store
    covers (a week before the first row is not a week of zero rows), and the gaps."""
    v = config.check.volume
    if not v.enabled or not complete:
        return [], []
    origin = _floor(first, step) if first is not None else None
    out: list[VolumeWindow] = []
    for w in complete:
        history = [
            counts.get(w - k * WEEK, 0)
            for k in range(1, v.seasons + 1)
            if origin is not None and w - k * WEEK >= origin
        ]
        verdict = judge_volume(
            counts.get(w, 0), history, direction=v.direction, confidence=v.confidence,
            min_change=v.min_change, min_history=v.min_history, floor=v.floor,
        )  # fmt: skip
        out.append(VolumeWindow(w, w + step, verdict, None, verdict.status))
    expected = [(o.verdict.expected or 0) >= 1 or config.check.volume.floor > 0 for o in out]
    found = gaps(complete, [o.verdict.rows for o in out], expected, step)
    empty = {o.start for o in out if o.verdict.rows == 0}
    out = [
        VolumeWindow(o.start, o.end, o.verdict, None, "gap") if o.start in empty and e else o
        for o, e in zip(out, expected, strict=True)
    ]
    short = [o for o in out if o.status == "insufficient_data"]
    if short:
        since = f" (the store starts {first:%Y-%m-%d %H:%M})" if first is not None else ""
        insufficient.append(
            f"volume: {len(short)} of {len(out)} windows have fewer than {v.min_history} earlier "
            f"weeks of history{since}; a verdict needs {v.min_history} weeks of logs before "
            "the window"
        )
    return out, found


def _contract(
    config: Config, explicit: Path | None, every: str, notes: list[str]
) -> tuple[str | None, Contract | None]:
    path = explicit or config.check.contract
    if path is not None:
        return f"file {path}", load_contract(path, config)
    reference = config.check.reference or config.drift.reference
    if reference is None:
        notes.append(
            "no data contract: feature and prediction checks skipped; set check.contract "
            "(mlmon contract infer) or check.reference"
        )
        return None, None
    contract = learned_contract(config, reference.since, reference.until, every, notes)
    return contract.source, contract


def _column_checks(
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
    outputs = _outputs(config)
    typed = typed_contract(contract, storage_schema(config, prediction_columns(config)))
    # day by day: a window (an hour or a day) never spans two UTC days, so the tallies of the
    # day partitions are the range's; memory holds one day's columns, not the range's, and a
    # day whose files are unchanged is read from the cache, not tallied again
    day = dt.datetime.combine(start.date(), dt.time(), dt.UTC)
    tallies = []
    while day < end:
        tallies.append(_day_tally(config, day.date(), every, typed, present, notes))
        day += dt.timedelta(days=1)
    first = _floor(start, step)
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
) -> tuple[CheckGroup, ...]:
    """The contract's checks over all of ``frame`` as one window ``[start, end)`` (the
    serving data a promotion is judged on), corrected together; a contract column the frame
    lacks is a ``missing_column`` failure."""
    c = config.check
    names = set(frame.collect_schema().names())
    present, items = _present(config, contract, names, start, end)
    outputs = _outputs(config)
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
        return _groups(items)
    row = table.row(0, named=True)
    items += judge_window(
        row, start, end, typed, present, outputs, min_rows=c.min_rows, confidence=1 - c.alpha
    )
    return _groups(correct(items, c.alpha, c.correction))


def _present(
    config: Config, contract: Contract, names: set[str], start: dt.datetime, end: dt.datetime
) -> tuple[set[str], list[Item]]:
    """The contract's columns among ``names`` (the data's columns), and a ``missing_column``
    failure for each one the config logs but the data lacks."""
    wanted = [n for n in contract.columns if n in column_kinds(config)]
    outputs = _outputs(config)
    missing = [
        Item("missing_column", n, kind_of("missing_column", n, outputs), start, end, "finding",
             reason=f"the data of the range holds no column {n!r}")
        for n in wanted if n not in names
    ]  # fmt: skip
    return {n for n in wanted if n in names}, missing


def _outputs(config: Config) -> frozenset[str]:
    s = config.schema_
    names = [s.prediction, s.score, *(s.probabilities or {}).values()]
    return frozenset(n for n in names if n is not None)


def _ingest_checks(
    config: Config,
    start: dt.datetime,
    end: dt.datetime,
    step: dt.timedelta,
    counts: dict[dt.datetime, int],
    windows: list[dt.datetime],
    rejected: dict[dt.datetime, tuple[int, int]],
    runs: dict[str, int],
) -> list[Item]:
    """The share of rows that ingest quarantined, of rows stored plus quarantined, against
    ``check.ingest.max_quarantine_share``: per window, and over the whole range (a quiet
    window's few rejections add up); and the share of the range's ingested rows that were
    duplicates of stored ones, against ``max_duplicate_share``."""
    c = config.check
    spans = [(w, w + step, counts.get(w, 0), *rejected.get(w, (0, 0))) for w in windows]
    total_bad = sum(bad for *_, bad, _ in spans)
    total_dup = sum(dup for *_, dup in spans)
    total = (start, end, sum(n for _, _, n, _, _ in spans), total_bad, total_dup)
    out = []
    for first, last, stored, bad, duplicates in [*spans, total]:
        n = stored + bad
        if n == 0:
            continue
        out.append(
            _share_check(
                config, "quarantine_share", bad, n, c.ingest.max_quarantine_share, first, last,
                {"duplicates": duplicates},
            )
        )  # fmt: skip
    if runs["rows_read"]:
        out.append(
            _share_check(
                config, "duplicate_share", runs["duplicates"], runs["rows_read"],
                c.ingest.max_duplicate_share, start, end, {"files": runs["files"]},
            )
        )  # fmt: skip
    return out


def _share_check(
    config: Config,
    check: str,
    count: int,
    n: int,
    bound: float,
    first: dt.datetime,
    last: dt.datetime,
    evidence: dict[str, Any],
) -> Item:
    """An ingest share, a contract_violation when it fails (rows that broke the log's
    contract at the door)."""
    c = config.check
    t = judge_share(count, n, bound, min_rows=c.min_rows, confidence=1 - c.alpha)
    short = None if t.p_value is not None else f"{n:,} rows < check.min_rows {c.min_rows:,}"
    status = "insufficient_data" if short else ("candidate" if t.beyond else "ok")
    return Item(
        check, None, "contract_violation", first, last, status,
        p_value=t.p_value, test=t, evidence=evidence, reason=short,
    )  # fmt: skip


def _ingest_totals(config: Config, runs: dict[str, int], unplaced: int) -> dict[str, Any]:
    """What ingest did in the range (by ingest time): files, rows, duplicates skipped."""
    share = runs["duplicates"] / runs["rows_read"] if runs["rows_read"] else None
    return runs | {
        "duplicate_share": share,
        "max_duplicate_share": config.check.ingest.max_duplicate_share,
        "quarantined_without_timestamp": unplaced,
    }


def _with_examples(config: Config, items: list[Item], contract: Contract | None) -> list[Item]:
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


def _groups(items: list[Item]) -> tuple[CheckGroup, ...]:
    grouped: dict[tuple[str, str | None], list[Item]] = {}
    for it in items:
        grouped.setdefault((it.check, it.column), []).append(it)
    return tuple(
        CheckGroup(check, column, members[0].kind, tuple(members))
        for (check, column), members in grouped.items()
    )
