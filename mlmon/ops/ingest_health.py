"""Ingest health for ``mlmon check``: the share of rows ingest quarantined, per window and
over the range, and the share of a range's ingested rows that were duplicates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mlmon.config import Config
from mlmon.health.judge import Item
from mlmon.health.shares import judge_share


def ingest_checks(
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


def ingest_totals(config: Config, runs: dict[str, int], unplaced: int) -> dict[str, Any]:
    """What ingest did in the range (by ingest time): files, rows, duplicates skipped."""
    share = runs["duplicates"] / runs["rows_read"] if runs["rows_read"] else None
    return runs | {
        "duplicate_share": share,
        "max_duplicate_share": config.check.ingest.max_duplicate_share,
        "quarantined_without_timestamp": unplaced,
    }
