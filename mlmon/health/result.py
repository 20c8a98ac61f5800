"""What ``mlmon check`` found: each check's verdict with its evidence, and the findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from mlmon.health.freshness import Freshness, Gap, span_text
from mlmon.health.judge import LABELS, Item, summary, windows_text, worst
from mlmon.health.volume import VolumeVerdict
from mlmon.outcome import StatusExit
from mlmon.timewindow import iso_utc

PRECEDENCE = (
    "missing_column",
    "nonfinite_share",
    "null_share",
    "zero_share",
    "sentinel_share",
    "new_value_share",
    "out_of_range_share",
    "top_share",
    "value_share",
    "categories_missing",
    "spread",
    "cardinality",
    "quarantine_share",
    "duplicate_share",
)
"""Which failed check names a column's finding when several fail together."""


@dataclass(frozen=True)
class VolumeWindow:
    """One complete window's row count judged against its history."""

    start: dt.datetime
    end: dt.datetime
    verdict: VolumeVerdict
    p_adjusted: float | None
    status: str
    """``anomaly`` (after the correction), ``ok``, ``insufficient_data``, or ``gap`` (no
    rows where history expects some: reported as no_data instead)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": iso_utc(self.start),
            "end": iso_utc(self.end),
            **self.verdict.to_dict(),
            "status": self.status,
            "p_adjusted": self.p_adjusted,
        }


@dataclass(frozen=True)
class CheckGroup:
    """One check of one column over the run's windows."""

    check: str
    column: str | None
    kind: str
    items: tuple[Item, ...]

    @property
    def failed(self) -> tuple[Item, ...]:
        return tuple(it for it in self.items if it.status == "finding")

    @property
    def status(self) -> str:
        if self.failed:
            return "finding"
        if all(it.status == "insufficient_data" for it in self.items):
            return "insufficient_data"
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        judged = [it for it in self.items if it.status != "insufficient_data"]
        shown = self.failed or tuple(judged) or self.items
        return {
            "check": self.check,
            "column": self.column,
            "kind": self.kind,
            "status": self.status,
            # windows, not items: a class's share is one item per class value in a window
            "windows": len({it.start for it in self.items}),
            "windows_failed": len({it.start for it in self.failed}),
            "windows_insufficient": len({it.start for it in self.items})
            - len({it.start for it in judged}),
            "worst": worst(shown).to_dict(),
            "failed": [it.to_dict() for it in self.failed],
        }


@dataclass(frozen=True)
class HealthFinding:
    """One finding of the run, for people and the alert sinks."""

    kind: str
    check: str
    column: str | None
    summary: str
    windows: str
    evidence: dict[str, Any]

    @property
    def key(self) -> str:
        """Stable across runs: the same failure seen again is the same alert. A column's
        finding is keyed by the column, not by which of its checks came first (that may
        change from run to run while the column stays broken)."""
        return f"{self.kind}:{self.column}" if self.column else f"{self.kind}:{self.check}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "check": self.check,
            "column": self.column,
            "summary": self.summary,
            "windows": self.windows,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class CheckResult(StatusExit):
    """The result of ``mlmon check``."""

    command: ClassVar[str] = "check"
    since: dt.datetime
    until: dt.datetime
    as_of: dt.datetime
    window: str
    step: dt.timedelta
    rows: int
    contract: str | None
    """Where the contract came from (None: no contract, no feature checks)."""
    predictions: Freshness
    labels: Freshness | None
    volume: tuple[VolumeWindow, ...]
    gaps: tuple[Gap, ...]
    groups: tuple[CheckGroup, ...]
    ingest: dict[str, Any]
    alpha: float
    correction: str
    insufficient: tuple[str, ...]
    """Why a part of the run had no verdict (too little history, too few rows)."""
    notes: tuple[str, ...] = ()

    @property
    def findings(self) -> tuple[HealthFinding, ...]:
        out: list[HealthFinding] = []
        for name, fresh in (("predictions", self.predictions), ("labels", self.labels)):
            if fresh is not None and fresh.status == "stale":
                age = (
                    "none at all"
                    if fresh.age_seconds is None
                    else f"the newest is {fresh.age_seconds / 3600:.1f} h old"
                )
                out.append(
                    HealthFinding(
                        "stale_data", "freshness", name,
                        f"{name}: {age} (max {fresh.max_age / 3600:.1f} h)",
                        iso_utc(self.as_of) or "", fresh.to_dict(),
                    )
                )  # fmt: skip
        if self.gaps:
            out.append(
                HealthFinding(
                    "no_data", "gaps", None,
                    "; ".join(g.summary for g in self.gaps) + " (history expects rows)",
                    ", ".join(span_text(g.start, g.end) for g in self.gaps),
                    {"gaps": [g.to_dict() for g in self.gaps]},
                )
            )  # fmt: skip
        anomalies = [v for v in self.volume if v.status == "anomaly"]
        if anomalies:
            v = min(anomalies, key=lambda a: a.verdict.p_value or 0.0)
            change = f"{v.verdict.change:+.0%}" if v.verdict.change is not None else "below floor"
            expected = f"{v.verdict.expected:,.0f}" if v.verdict.expected is not None else "-"
            out.append(
                HealthFinding(
                    "volume_anomaly", "volume", None,
                    f"rows {v.verdict.rows:,} vs {expected} expected ({change}) in "
                    f"{len(anomalies)} window{'s' if len(anomalies) > 1 else ''}",
                    windows_text((a.start for a in anomalies), self.step),
                    v.to_dict(),
                )
            )  # fmt: skip
        by_column: dict[tuple[str, str | None, str | None], list[CheckGroup]] = {}
        for g in self.groups:
            if g.failed:  # a column's checks fail together; checks of the rows stand alone
                key = (g.kind, g.column, g.check if g.column is None else None)
                by_column.setdefault(key, []).append(g)
        for (kind, column, _), failed in by_column.items():
            # one failure often breaks several checks (a feature sending zeros: zero share,
            # range, spread, distinct values): one finding per column, the clearest check first
            failed.sort(key=lambda g: PRECEDENCE.index(g.check) if g.check in PRECEDENCE else 99)
            first = failed[0]
            w = worst(first.failed)
            n = len({it.start for it in first.failed})  # a class share fails per class value
            also = [check_label(g.check) for g in failed[1:]]
            out.append(
                HealthFinding(
                    kind, first.check, column,
                    summary(w) + f" in {n} window{'s' if n > 1 else ''}"
                    + (f"; also {', '.join(also)}" if also else ""),
                    windows_text((it.start for it in first.failed), self.step),
                    w.to_dict() | {"checks": [g.check for g in failed]},
                )
            )  # fmt: skip
        return tuple(out)

    @property
    def status(self) -> str:
        if self.findings:
            return "finding"
        return "insufficient_data" if self.insufficient else "ok"

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.notes

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": iso_utc(self.since),
            "until": iso_utc(self.until),
            "as_of": iso_utc(self.as_of),
            "window": self.window,
            "rows": self.rows,
            "contract": self.contract,
            "alpha": self.alpha,
            "correction": self.correction,
            "freshness": {
                "predictions": self.predictions.to_dict(),
                "labels": self.labels.to_dict() if self.labels is not None else None,
            },
            "volume": [v.to_dict() for v in self.volume],
            "gaps": [g.to_dict() | {"summary": g.summary} for g in self.gaps],
            "checks": [g.to_dict() for g in self.groups],
            "ingest": self.ingest,
            "findings": [f.to_dict() for f in self.findings],
            "insufficient": list(self.insufficient),
        }


def group_items(items: Sequence[Item]) -> tuple[CheckGroup, ...]:
    """The items gathered by check and column, in the order they first appear."""
    grouped: dict[tuple[str, str | None], list[Item]] = {}
    for it in items:
        grouped.setdefault((it.check, it.column), []).append(it)
    return tuple(
        CheckGroup(check, column, members[0].kind, tuple(members))
        for (check, column), members in grouped.items()
    )


def check_label(check: str) -> str:
    """A check's name for a person."""
    return LABELS.get(check, check.replace("_", " "))
