"""From a command's result to the findings that may alert. Pure.

A finding is a condition (drift, a threshold breach, concept drift, stale data, a failed
health check), which holds while the command keeps seeing it and *resolves* when a later run
of the same command no longer does, or an event (a failed promotion gate, a rollback, a
triggered retraining), which happens once. Each has a stable key, so the same finding seen
by two runs is one alert.

The findings are read from the typed result of the operation (:mod:`mlmon.ops`), the object
whose ``to_dict()`` the command prints; a finding's ``details`` carry the JSON of the parts it
rests on, for the sinks' payloads.

``stale_data`` has two sources, kept apart by key: ``metrics`` and ``drift`` compare the
store's newest prediction with ``alerts.stale_after`` (key ``stale_data``), and ``check``
compares the newest prediction and label with ``check.freshness`` (keys
``stale_data:predictions`` and ``stale_data:labels``). One rule
``{finding: stale_data}`` enables both; each source resolves only its own keys
(:func:`unjudged`), so a clean ``mlmon check`` never resolves what ``mlmon metrics`` found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from mlmon.health import FINDINGS
from mlmon.outcome import Outcome
from mlmon.timewindow import iso_utc

if TYPE_CHECKING:  # a result's class is told by its command: importing every command's result
    # module (polars, numpy, scipy) would slow the alerts of a rollback by half a second
    from mlmon.concept.run import ConceptSection
    from mlmon.datadrift.result import DriftResult
    from mlmon.health.result import CheckResult
    from mlmon.lifecycle.promote import PromoteResult
    from mlmon.lifecycle.retrain import RetrainResult
    from mlmon.performance.windows import MetricsResult
    from mlmon.registry.rollback import RollbackResult

CHECK_FINDINGS = FINDINGS
"""The findings of ``mlmon check`` (:data:`mlmon.health.FINDINGS`, from the package's
``__init__``, which imports nothing: the alerts of a rollback need not import polars)."""

CONDITIONS = {
    "metrics": ("threshold_breach", "stale_data"),
    "drift": ("drift", "concept_drift", "stale_data"),
    "check": CHECK_FINDINGS,
}
"""The condition findings each command evaluates (and so may resolve)."""

STORE_STALENESS = ("metrics", "drift")
"""The commands whose runs judge ``alerts.stale_after`` (key ``stale_data``); ``check``
judges its own freshness bounds instead."""


def judged(result: Outcome, *, staleness_known: bool) -> set[str]:
    """The conditions this run actually judged, so the ones it may resolve when it did not
    find them. A window short of labels (without estimates), a concept section that was
    skipped, or a comparison of two files (not the store the alerts are about) judges
    nothing, and so resolves nothing."""
    out: set[str] = set()
    if result.command == "metrics":
        metrics = cast("MetricsResult", result)
        deciding = [metrics.windows[i] for i in metrics.deciding]
        if deciding and all(w.status != "insufficient_data" or w.estimated for w in deciding):
            out.add("threshold_breach")
    elif result.command == "drift":
        drift = cast("DriftResult", result)
        if drift.current.source.startswith("file "):
            return set()
        out |= _drift_judged(drift)
    elif result.command == "check":
        out |= _check_judged(cast("CheckResult", result))
    if result.command in STORE_STALENESS and staleness_known:
        out.add("stale_data")
    return out


def unjudged(result: Outcome, keys: Iterable[str]) -> set[str]:
    """Among ``keys`` (of firing alerts whose kind this run judged), those this run must
    still not resolve: the other source's ``stale_data`` (see the module docstring), and a
    check of ``mlmon check`` whose every window lacked the rows for a verdict this time."""
    keys = set(keys)
    check = result.command == "check"
    out = {k for k in keys if k.split(":", 1)[0] == "stale_data" and (k == "stale_data") == check}
    if check:
        # a column's finding is keyed by the column (HealthFinding.key): it stays firing
        # when none of that column's checks of its kind had a verdict this time
        verdicts: dict[str, bool] = {}
        for g in cast("CheckResult", result).groups:
            key = _key(g.kind, g.column) if g.column else _key(g.kind, g.check)
            verdicts[key] = verdicts.get(key, False) or g.status != "insufficient_data"
        out |= {k for k, judged in verdicts.items() if not judged} & keys
    return out


@dataclass(frozen=True)
class Finding:
    """One thing worth telling someone about."""

    kind: str
    key: str
    summary: str
    labels: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    event: bool = False
    """Happens once (a rollback), rather than holding until it clears (drift)."""


def findings(
    result: Outcome,
    *,
    latest_data: dt.datetime | None,
    now: dt.datetime,
    stale_after: float,
) -> list[Finding]:
    """The findings in ``result``. ``latest_data`` is the newest prediction time in the
    store, for ``stale_data``."""
    out: list[Finding] = []
    if result.command == "metrics":
        out += _metrics(cast("MetricsResult", result))
    elif result.command == "drift":
        out += _drift(cast("DriftResult", result))
    elif result.command == "promote":
        out += _promote(cast("PromoteResult", result))
    elif result.command == "rollback":
        out += _rollback(cast("RollbackResult", result))
    elif result.command == "retrain":
        out += _retrain(cast("RetrainResult", result))
    elif result.command == "check":
        out += _check(cast("CheckResult", result))
    if result.command in STORE_STALENESS and latest_data is not None:
        age = (now - latest_data).total_seconds()
        if age > stale_after:
            out.append(
                Finding(
                    "stale_data",
                    "stale_data",
                    f"the newest prediction is {age / 3600:.1f} h old "
                    f"(stale after {stale_after / 3600:.1f} h)",
                    details={"latest": latest_data.isoformat(), "age_seconds": age},
                )
            )
    return out


def _metrics(result: MetricsResult) -> list[Finding]:
    unique: dict[str, Finding] = {}
    for i in result.deciding:
        w = result.windows[i]
        start = iso_utc(w.start)
        for b in w.breaches:
            estimated = " (estimated)" if b.estimated else ""
            key = f"threshold_breach:{b.metric}:{b.rule}"
            # the same bound broken in several deciding windows is one alert
            unique.setdefault(
                key,
                Finding(
                    "threshold_breach",
                    key,
                    f"{b.metric}{estimated} {b.value:.4g} is {b.direction} its {b.rule} "
                    f"bound {b.bound:.4g} in the window from {start}",
                    {"metric": b.metric, "rule": b.rule},
                    {"breach": b.to_dict(), "window": start},
                ),
            )
    return list(unique.values())


def _drift_judged(result: DriftResult) -> set[str]:
    out = set()
    if result.dataset.n_columns:
        out.add("drift")
    concept = concept_of(result)
    if concept is not None and concept.status in ("ok", "drifted"):
        out.add("concept_drift")
    return out


def _drift(result: DriftResult) -> list[Finding]:
    out = []
    dataset = result.dataset
    multivariate = result.multivariate
    joint = multivariate is not None and multivariate.drifted
    if dataset.drifted or joint:
        columns = dataset.drifted_columns
        what = f"{dataset.n_drifted} of {dataset.n_columns} columns drifted"
        if multivariate is not None and joint:
            what += f"; domain classifier AUC {multivariate.auc:.3f}"
        out.append(
            Finding(
                "drift",
                "drift:dataset",
                f"data drift: {what}" + (f" ({', '.join(columns)})" if columns else ""),
                details={
                    "dataset": dataset.to_dict(),
                    "multivariate_auc": None if multivariate is None else multivariate.auc,
                },
            )
        )
    concept = concept_of(result)
    if concept is not None and concept.drifted:
        comparison = concept.comparison
        out.append(
            Finding(
                "concept_drift",
                "concept_drift",
                "concept drift: " + _concept_summary(concept),
                details={"comparison": {} if comparison is None else comparison.to_dict()},
            )
        )
    return out


def concept_of(result: DriftResult) -> ConceptSection | None:
    """The concept section, as the operation builds it (:mod:`mlmon.concept.run`'s)."""
    return cast("ConceptSection | None", result.concept)


def _concept_summary(concept: ConceptSection) -> str:
    """What the concept verdict rests on: the error beyond what CBPE expects of the rows, the
    plain rise from the reference, or the detectors' change points."""
    measure = "error rate" if concept.stream == "misclassification" else "mean absolute error"
    c = concept.comparison
    if c is not None and c.expected is not None and c.expected.finding:
        e = c.expected
        return (
            f"the {measure} {e.current:.3g} is {e.unexplained_change:+.3g} "
            f"beyond the {e.error:.3g} CBPE expects of these rows"
        )
    if c is not None and c.expected is None and c.drifted:
        if c.plain.reference is not None and c.plain.current is not None:
            return f"the {measure} rose from {c.plain.reference:.3g} to {c.plain.current:.3g}"
        return f"the {measure} rose"
    detectors = [d.detector for d in concept.detectors if d.status == "drifted"]
    return f"a change point in the {measure}" + (f" ({', '.join(detectors)})" if detectors else "")


def _check_judged(result: CheckResult) -> set[str]:
    """Freshness is judged on every run (no row at all is stale); gaps and volume when some
    window had a volume verdict (a store with too little history judges neither); a column
    finding's kind when some check of that kind had a verdict in some window."""
    out = {"stale_data"}
    if any(v.status != "insufficient_data" for v in result.volume):
        out |= {"no_data", "volume_anomaly"}
    out |= {g.kind for g in result.groups if g.status != "insufficient_data"}
    return out


def _key(*parts: str | None) -> str:
    """A health finding's key (:attr:`mlmon.health.result.HealthFinding.key`)."""
    return ":".join(p for p in parts if p)


SUMMARY_WINDOWS = 120
"""At most this many characters of a finding's windows go into its summary (all of them
are in its details)."""


_SAYS_WHEN = ("freshness", "gaps")
"""Checks whose summary says when already (the age at the run's end; the empty hours)."""


def _check(result: CheckResult) -> list[Finding]:
    out = []
    for f in result.findings:
        # labels identify the alert: a column's finding is one alert whichever check fails first
        labels = {"column": f.column} if f.column else {"check": f.check}
        where = f.windows
        if len(where) > SUMMARY_WINDOWS:
            where = where[: SUMMARY_WINDOWS - 1].rsplit(", ", 1)[0] + ", …"
        out.append(
            Finding(
                f.kind,
                f.key,
                f.summary + (f" [{where}]" if where and f.check not in _SAYS_WHEN else ""),
                labels,
                {"windows": f.windows, "evidence": f.evidence},
            )
        )
    return out


def _promote(result: PromoteResult) -> list[Finding]:
    gate = result.gate
    if gate is None or result.promoted or gate.passed:
        return []
    return [
        Finding(
            "gate_failed",
            f"gate_failed:{result.candidate}",
            f"candidate {result.candidate} failed the promotion gate on {gate.metric}",
            {"version": result.candidate},
            {"gate": gate.to_dict()},
            event=True,
        )
    ]


def _rollback(result: RollbackResult) -> list[Finding]:
    if result.from_version == result.to_version:
        return []
    return [
        Finding(
            "rollback",
            f"rollback:{result.from_version}->{result.to_version}",
            f"production rolled back from version {result.from_version} to {result.to_version}",
            {"version": result.to_version},
            event=True,
        )
    ]


def _retrain(result: RetrainResult) -> list[Finding]:
    if not result.triggered or result.version is None:
        return []
    fired = [t.name for t in result.triggers if t.fired]
    return [
        Finding(
            "retrain_triggered",
            f"retrain_triggered:{result.version}",
            f"retraining triggered by {', '.join(fired) or 'request'}: "
            f"candidate version {result.version}",
            {"version": result.version},
            event=True,
        )
    ]
