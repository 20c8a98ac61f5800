"""From a window's counts and the contract to the verdict of every check. Pure.

Each check of a column in a window becomes a :class:`Item`: the share tests of
:mod:`mlmon.health.shares` (nulls, zeros, NaN/inf, out of range, sentinels, new values, the
most common value, each class's share), the spread (a χ² test of the variance against the
contract's lowest standard deviation), categories that vanished, and the distinct-value
floor. :func:`correct` then adjusts the p-values of all of a run's checks together (the
drift rule's BH or Bonferroni, :func:`mlmon.datadrift.rules.adjust`), and an item is a
finding when its adjusted p-value is under ``alpha`` and its share is beyond the bound (the
bound holds the practical size).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mlmon.config.contract import ColumnContract, Contract
from mlmon.datadrift.rules import Correction, adjust
from mlmon.health.freshness import span_text
from mlmon.health.shares import ShareTest, judge_share
from mlmon.health.tally import ROWS, SEP, stat
from mlmon.timewindow import iso_utc

CONTRACT_CHECKS = frozenset({"out_of_range_share", "new_value_share", "missing_column"})
"""Checks whose failure breaks the contract's shape (contract_violation); the others are
anomalies of a feature's values (feature_anomaly), or of the model's output when the column
is a prediction, score or class probability (prediction_anomaly)."""

LABELS = {
    "null_share": "null share",
    "zero_share": "zero share",
    "nonfinite_share": "NaN/inf share",
    "out_of_range_share": "share out of range",
    "sentinel_share": "sentinel share",
    "new_value_share": "share of new values",
    "top_share": "most common value's share",
    "value_share": "share of value",
    "spread": "standard deviation",
    "categories_missing": "categories missing",
    "cardinality": "distinct values",
    "missing_column": "column missing from the logs",
    "quarantine_share": "share of rows quarantined at ingest",
    "duplicate_share": "share of ingested rows that were duplicates",
}


@dataclass(frozen=True)
class Item:
    """One check of one column (or of the rows) in one window."""

    check: str
    column: str | None
    kind: str
    """The finding it would be: feature_anomaly, prediction_anomaly, contract_violation, ..."""
    start: dt.datetime | None
    end: dt.datetime | None
    status: str
    """``finding``, ``ok`` or ``insufficient_data`` (before :func:`correct`: ``candidate``
    for an item whose p-value the correction decides)."""
    p_value: float | None = None
    p_adjusted: float | None = None
    test: ShareTest | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None
    examples: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "window_start": iso_utc(self.start),
            "window_end": iso_utc(self.end),
            "status": self.status,
            **(self.test.to_dict() if self.test is not None else {}),
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            **dict(self.evidence),
            "reason": self.reason,
            "examples": list(self.examples),
        }


def kind_of(check: str, column: str | None, outputs: frozenset[str]) -> str:
    """The finding a failed ``check`` of ``column`` is (``outputs``: the model's columns)."""
    if column is not None and column in outputs:
        return "prediction_anomaly"
    return "contract_violation" if check in CONTRACT_CHECKS else "feature_anomaly"


def judge_window(
    counts: Mapping[str, Any],
    start: dt.datetime,
    end: dt.datetime,
    contract: Contract,
    present: set[str],
    outputs: frozenset[str],
    *,
    min_rows: int,
    confidence: float,
) -> list[Item]:
    """Every check of every contract column in one window, from its tally row ``counts``.
    Share tests get a p-value (``status`` ``candidate``) or ``insufficient_data``; the
    deterministic checks (distinct-value floor) are decided here."""
    out: list[Item] = []
    for name, cc in contract.columns.items():
        if name in present:
            out += _judge_column(
                name, cc, counts, start, end, outputs, min_rows=min_rows, confidence=confidence
            )
    return out


def _judge_column(
    name: str,
    cc: ColumnContract,
    counts: Mapping[str, Any],
    start: dt.datetime,
    end: dt.datetime,
    outputs: frozenset[str],
    *,
    min_rows: int,
    confidence: float,
) -> list[Item]:
    out: list[Item] = []

    def item(check: str, **kw: Any) -> Item:
        return Item(check, name, kind_of(check, name, outputs), start, end, **kw)

    def share(check: str, count_key: str, n: int, bound: float, **kw: Any) -> None:
        t = judge_share(
            int(counts[stat(name, count_key)] or 0),  # None: no value to count
            n,
            bound,
            min_rows=min_rows,
            confidence=confidence,
        )
        out.append(_share_item(item, check, t, min_rows, kw))

    rows, nonnull = int(counts[ROWS]), int(counts[stat(name, "present")])
    if cc.null_share < 1:
        share("null_share", "nulls", rows, cc.null_share)
    if cc.sentinels and cc.sentinel_share is not None:
        share("sentinel_share", "sentinels", nonnull, cc.sentinel_share)
    if cc.top_share is not None:
        share("top_share", "top", nonnull, cc.top_share)  # the value itself: read for findings
    if cc.kind == "numerical":
        finite = int(counts[stat(name, "finite")])
        if cc.zero_share is not None:
            share("zero_share", "zeros", nonnull, cc.zero_share)
        if cc.nonfinite_share is not None:
            share("nonfinite_share", "nonfinite", nonnull, cc.nonfinite_share)
        if cc.range is not None and cc.out_of_range_share is not None:
            share(
                "out_of_range_share", "out_of_range", finite, cc.out_of_range_share,
                evidence={"range": list(cc.range)},
            )  # fmt: skip
        if cc.spread_min is not None:
            out.append(_spread(item, counts[stat(name, "std")], finite, cc.spread_min, min_rows))
    elif cc.domain is not None:
        if cc.new_value_share is not None:
            share("new_value_share", "new", nonnull, cc.new_value_share)
        out += _domain(item, counts, name, cc, nonnull, min_rows, confidence)
    if cc.cardinality is not None:
        out.append(_cardinality(item, int(counts[stat(name, "unique")]), nonnull, cc, min_rows))
    return out


def _share_item(
    make: Callable[..., Item], check: str, t: ShareTest, min_rows: int, kw: Mapping[str, Any]
) -> Item:
    if t.p_value is None:
        return make(
            check, status="insufficient_data", test=t,
            reason=f"{t.n:,} values < check.min_rows {min_rows:,}", **kw,
        )  # fmt: skip
    if not t.beyond:  # p = 1, and so adjusted 1 under any correction
        return make(check, status="ok", p_value=t.p_value, p_adjusted=t.p_value, test=t, **kw)
    return make(check, status="candidate", p_value=t.p_value, test=t, **kw)


def _spread(
    make: Callable[..., Item], std: float | None, n: int, spread_min: float, min_rows: int
) -> Item:
    """The window's standard deviation against the contract's floor: the lower tail of
    ``(n - 1) s² / σ_min² ~ χ²(n - 1)`` (the variance test for a normal sample)."""
    evidence = {"std": std, "spread_min": spread_min, "n": n}
    if n < max(min_rows, 2) or std is None:
        return make(
            "spread", status="insufficient_data", evidence=evidence,
            reason=f"{n:,} finite values < check.min_rows {min_rows:,}",
        )  # fmt: skip
    if std >= spread_min:
        return make("spread", status="ok", p_value=1.0, evidence=evidence)
    # chdtr(df, x) is scipy.stats.chi2.cdf(x, df), without importing scipy.stats (and only
    # when a spread is below its floor)
    from scipy.special import chdtr

    p = float(chdtr(n - 1, (n - 1) * std**2 / spread_min**2)) if spread_min > 0 else 1.0
    return make("spread", status="candidate", p_value=p, evidence=evidence)


def _domain(
    make: Callable[..., Item],
    counts: Mapping[str, Any],
    name: str,
    cc: ColumnContract,
    n: int,
    min_rows: int,
    confidence: float,
) -> list[Item]:
    """Each domain value's share within ``share_tolerance`` of its reference share (the
    class mix, a binary model's positive rate), and the categories that vanished: with
    reference shares ``p_i`` for the absent ones, all of them missing from ``n`` rows has
    probability ``(1 - Σ p_i)ⁿ``."""
    assert cc.domain is not None
    out: list[Item] = []
    absent: list[tuple[object, float]] = []
    for i, (value, ref) in enumerate(cc.domain.items()):
        k = int(counts[stat(name, f"value{SEP}{i}")])
        if k == 0:
            absent.append((value, ref))
        if cc.share_tolerance is None:
            continue
        high, low = min(ref + cc.share_tolerance, 1.0), max(ref - cc.share_tolerance, 0.0)
        above = judge_share(k, n, high, side="above", min_rows=min_rows, confidence=confidence)
        below = judge_share(k, n, low, side="below", min_rows=min_rows, confidence=confidence)
        t = below if below.beyond else above
        out.append(
            _share_item(
                make, "value_share", t, min_rows, {"evidence": {"value": value, "reference": ref}}
            )
        )
    if absent and n >= min_rows:
        missing = sum(p for _, p in absent)
        p = max(0.0, 1.0 - missing) ** n
        out.append(
            make(
                "categories_missing", status="candidate", p_value=p,
                evidence={"values": [v for v, _ in absent], "reference_share": missing, "n": n},
            )
        )  # fmt: skip
    return out


def _cardinality(
    make: Callable[..., Item], unique: int, n: int, cc: ColumnContract, min_rows: int
) -> Item:
    """At least ``cardinality.min`` distinct values in a window of ``cardinality.rows`` rows
    or more: a column collapsing onto few values (a default filled in)."""
    assert cc.cardinality is not None
    evidence = {"unique": unique, "min": cc.cardinality.min, "n": n}
    if n < max(cc.cardinality.rows, min_rows):
        return make(
            "cardinality", status="insufficient_data", evidence=evidence,
            reason=f"{n:,} values < the {max(cc.cardinality.rows, min_rows):,} the bound needs",
        )  # fmt: skip
    status = "finding" if unique < cc.cardinality.min else "ok"
    return make("cardinality", status=status, evidence=evidence)


def correct(items: Sequence[Item], alpha: float, correction: Correction) -> list[Item]:
    """The items with their p-values adjusted together and ``candidate`` decided: a finding
    when the adjusted p-value is under ``alpha``. Items without a p-value keep their status."""
    tested = [i for i, it in enumerate(items) if it.p_value is not None]
    adjusted = adjust([p for it in items if (p := it.p_value) is not None], correction)
    out = list(items)
    for i, q in zip(tested, adjusted, strict=True):
        it = items[i]
        if it.p_value == 1.0 and it.status == "ok":
            # the largest p-value stays 1 under any correction: most items of a run are these,
            # and copying tens of thousands of them costs more than the whole judgement
            out[i] = it if it.p_adjusted == 1.0 else replace(it, p_adjusted=1.0)
            continue
        status = it.status
        if status == "candidate":
            status = "finding" if q < alpha else "ok"
        out[i] = replace(it, p_adjusted=q, status=status)
    return out


def summary(it: Item) -> str:
    """A line for a person: ``credit_score: zero share 100% > 2.0% (6,210 of 6,210)``."""
    what = LABELS.get(it.check, it.check)
    subject = f"{it.column}: " if it.column else ""
    t = it.test
    if t is not None and t.share is not None:
        value = it.evidence.get("value")
        shown = it.check in ("value_share", "top_share") and value is not None
        of = f" ({value!r})" if shown else ""
        sign = ">" if t.side == "above" else "<"
        return f"{subject}{what}{of} {t.share:.1%} {sign} {t.bound:.1%} ({t.count:,} of {t.n:,})"
    e = it.evidence
    if it.check == "spread" and e.get("std") is not None:
        return f"{subject}{what} {e['std']:.4g} < {e['spread_min']:.4g} (stuck on few values)"
    if it.check == "categories_missing":
        values = ", ".join(map(str, e["values"]))
        return f"{subject}{what}: {values} (usually {e['reference_share']:.1%} of rows)"
    if it.check == "cardinality":
        return f"{subject}{what} {e['unique']:,} < {e['min']:,} in {e['n']:,} values"
    return f"{subject}{what}"


def windows_text(starts: Iterable[dt.datetime | None], every: dt.timedelta) -> str:
    """Windows (by their starts) as runs: ``2026-10-27 10:00-16:00, 2026-10-28 12:00-13:00``;
    daily windows as dates, ``2026-10-27 .. 2026-10-31``."""
    runs: list[list[dt.datetime]] = []
    for s in sorted({s for s in starts if s is not None}):
        if runs and s == runs[-1][-1] + every:
            runs[-1].append(s)
        else:
            runs.append([s])
    parts = []
    for run in runs:
        first, last = run[0], run[-1] + every
        if every >= dt.timedelta(days=1):
            days = (last - first).days
            parts.append(f"{first:%Y-%m-%d}" + (f" .. {last - every:%Y-%m-%d}" if days > 1 else ""))
        else:
            parts.append(span_text(first, last))
    return ", ".join(parts)


def worst(items: Sequence[Item]) -> Item:
    """The item with the smallest p-value (or the first, without p-values)."""
    return min(items, key=lambda it: it.p_adjusted if it.p_adjusted is not None else math.inf)
