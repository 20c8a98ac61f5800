"""From a command's result to the findings that may alert. Pure.

A finding is a condition (drift, a threshold breach, concept drift, stale data), which holds
while the command keeps seeing it and *resolves* when a later run of the same command no
longer does, or an event (a failed promotion gate, a rollback, a triggered retraining),
which happens once. Each has a stable key, so the same finding seen by two runs is one alert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CONDITIONS = {
    "metrics": ("threshold_breach", "stale_data"),
    "drift": ("drift", "concept_drift", "stale_data"),
}
"""The condition findings each command evaluates (and so may resolve)."""


def judged(command: str, result: dict[str, Any], *, staleness_known: bool) -> set[str]:
    """The conditions this run actually judged, so the ones it may resolve when it did not
    find them. A window short of labels (without estimates), a concept section that was
    skipped, or a comparison of two files (not the store the alerts are about) judges
    nothing, and so resolves nothing."""
    out: set[str] = set()
    if command == "metrics":
        windows = result.get("windows", [])
        deciding = [windows[i] for i in result.get("deciding_windows", [])]
        if deciding and all(
            w.get("status") != "insufficient_data" or w.get("estimated") for w in deciding
        ):
            out.add("threshold_breach")
    elif command == "drift":
        if str((result.get("current") or {}).get("source", "")).startswith("file "):
            return set()
        if (result.get("dataset") or {}).get("n_columns"):
            out.add("drift")
        if (result.get("concept") or {}).get("status") in ("ok", "drifted"):
            out.add("concept_drift")
    if command in CONDITIONS and staleness_known:
        out.add("stale_data")
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
    command: str,
    result: dict[str, Any],
    *,
    latest_data: dt.datetime | None,
    now: dt.datetime,
    stale_after: float,
) -> list[Finding]:
    """The findings in ``result`` (the ``result`` of the command's JSON document).
    ``latest_data`` is the newest prediction time in the store, for ``stale_data``."""
    out: list[Finding] = []
    if command == "metrics":
        out += _metrics(result)
    elif command == "drift":
        out += _drift(result)
    elif command == "promote":
        gate = result.get("gate") or {}
        if gate and not result.get("promoted") and gate.get("passed") is False:
            out.append(
                Finding(
                    "gate_failed",
                    f"gate_failed:{result.get('candidate')}",
                    f"candidate {result.get('candidate')} failed the promotion gate on "
                    f"{gate.get('metric')}",
                    {"version": str(result.get("candidate"))},
                    {"gate": gate},
                    event=True,
                )
            )
    elif command == "rollback":
        if result.get("to_version") and result.get("from_version") != result.get("to_version"):
            out.append(
                Finding(
                    "rollback",
                    f"rollback:{result.get('from_version')}->{result.get('to_version')}",
                    f"production rolled back from version {result.get('from_version')} to "
                    f"{result.get('to_version')}",
                    {"version": str(result.get("to_version"))},
                    event=True,
                )
            )
    elif command == "retrain" and result.get("triggered") and result.get("version"):
        fired = [t["trigger"] for t in result.get("triggers", []) if t.get("fired")]
        out.append(
            Finding(
                "retrain_triggered",
                f"retrain_triggered:{result.get('version')}",
                f"retraining triggered by {', '.join(fired) or 'request'}: "
                f"candidate version {result.get('version')}",
                {"version": str(result.get("version"))},
                event=True,
            )
        )
    if command in CONDITIONS and latest_data is not None:
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


def _metrics(result: dict[str, Any]) -> list[Finding]:
    out = []
    windows = result.get("windows", [])
    for i in result.get("deciding_windows", []):
        w = windows[i]
        for b in w.get("breaches", []):
            metric, rule = b["metric"], b["rule"]
            estimated = " (estimated)" if b.get("estimated") else ""
            out.append(
                Finding(
                    "threshold_breach",
                    f"threshold_breach:{metric}:{rule}",
                    f"{metric}{estimated} {b['value']:.4g} is {b['direction']} its {rule} "
                    f"bound {b['bound']:.4g} in the window from {w['start']}",
                    {"metric": metric, "rule": rule},
                    {"breach": b, "window": w["start"]},
                )
            )
    unique: dict[str, Finding] = {}
    for f in out:  # the same bound broken in several deciding windows is one alert
        unique.setdefault(f.key, f)
    return list(unique.values())


def _drift(result: dict[str, Any]) -> list[Finding]:
    out = []
    dataset = result.get("dataset") or {}
    multivariate = result.get("multivariate") or {}
    if dataset.get("drifted") or multivariate.get("drifted"):
        columns = dataset.get("drifted_columns", [])
        what = f"{dataset.get('n_drifted')} of {dataset.get('n_columns')} columns drifted"
        if multivariate.get("drifted"):
            what += f"; domain classifier AUC {multivariate.get('auc'):.3f}"
        out.append(
            Finding(
                "drift",
                "drift:dataset",
                f"data drift: {what}" + (f" ({', '.join(columns)})" if columns else ""),
                details={"dataset": dataset, "multivariate_auc": multivariate.get("auc")},
            )
        )
    concept = result.get("concept") or {}
    if concept.get("drifted"):
        comparison = concept.get("comparison") or {}
        out.append(
            Finding(
                "concept_drift",
                "concept_drift",
                "concept drift: " + _concept_summary(concept, comparison),
                details={"comparison": comparison},
            )
        )
    return out


def _concept_summary(concept: Mapping[str, Any], comparison: Mapping[str, Any]) -> str:
    """What the concept verdict rests on: the error beyond what CBPE expects of the rows, the
    plain rise from the reference, or the detectors' change points."""
    measure = (
        "error rate" if concept.get("stream") == "misclassification" else "mean absolute error"
    )
    expected = comparison.get("expected") or {}
    if comparison.get("basis") == "expected_error" and expected.get("drifted"):
        return (
            f"the {measure} {expected['current']:.3g} is {expected['unexplained_change']:+.3g} "
            f"beyond the {expected['error']:.3g} CBPE expects of these rows"
        )
    if comparison.get("drifted") and comparison.get("basis") != "expected_error":
        if comparison.get("reference") is not None and comparison.get("current") is not None:
            return (
                f"the {measure} rose from {comparison['reference']:.3g} "
                f"to {comparison['current']:.3g}"
            )
        return f"the {measure} rose"
    detectors = [
        d["detector"] for d in concept.get("detectors") or [] if d.get("status") == "drifted"
    ]
    return f"a change point in the {measure}" + (f" ({', '.join(detectors)})" if detectors else "")
