"""``mlmon check``: cheap health checks of the recent logs for the silent failures.

Freshness, gaps and volume read the timestamp column only; the feature, prediction and
contract checks read the contract's columns of the checked range once (one ``group_by`` per
window, :mod:`mlmon.health.tally`); ingest health reads the quarantine and the manifest.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from mlmon.config import Config
from mlmon.config.contract import Contract, load_contract
from mlmon.errors import DataError
from mlmon.health.freshness import Freshness, freshness, gaps
from mlmon.health.judge import Item, correct
from mlmon.health.result import CheckResult, VolumeWindow, group_items
from mlmon.health.volume import judge_volume
from mlmon.ops.arguments import check_choice
from mlmon.ops.columns import column_checks, with_examples
from mlmon.ops.contract import learned_contract
from mlmon.ops.ingest_health import ingest_checks, ingest_totals
from mlmon.ops.window import When, resolve
from mlmon.store import health as reads
from mlmon.timewindow import WINDOW_STEPS, floor_window

WINDOWS = ("1h", "1d")
WEEK = dt.timedelta(weeks=1)


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
    first = reads.first_timestamp(config)  # also where the volume's history begins
    if first is None:
        raise DataError(
            f"{config.store.path}: the store holds no predictions",
            hint="ingest the logs first: mlmon ingest FILE...",
        )
    start, end = resolve(config, since, until)
    if start is None or since is None:
        start = end - dt.timedelta(seconds=c.since)
    latest = isinstance(until, str) and until.strip().lower() == "latest"
    first_window = floor_window(start, step)
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
    volume, gap_list = _volume(config, complete, counts, first, step, insufficient)

    items: list[Item] = []
    notes: list[str] = []
    source, chosen = _contract(config, contract, every, notes)
    rows_in_range = sum(counts.get(w, 0) for w in windows)
    if chosen is not None:
        items += column_checks(config, chosen, start, end, every, step, insufficient, notes)
    rejected, unplaced = reads.quarantined(config, start, end, every)
    runs = reads.ingest_runs(config, start, end)
    items += ingest_checks(config, start, end, step, counts, windows, rejected, runs)

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
    items = with_examples(config, decided[len(p_items) :], chosen)
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
        groups=group_items(items),
        ingest=ingest_totals(config, runs, unplaced),
        alpha=c.alpha,
        correction=c.correction,
        insufficient=tuple(insufficient),
        notes=tuple(notes),
    )


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
    origin = floor_window(first, step) if first is not None else None
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
