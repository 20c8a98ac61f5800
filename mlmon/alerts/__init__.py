"""Alerts: the findings of every command, sent to the configured sinks with a cooldown, and
mlmon's metrics exported to Prometheus.

:func:`dispatch` is the one operation. After a command has its result, it:

1. turns the result into findings (:mod:`mlmon.alerts.findings`) and keeps those a rule in
   ``alerts.rules`` names, with the rule's severity;
2. decides what to send: a new firing alert at once; the same alert again only after
   ``alerts.cooldown``; a condition that has cleared (a command that evaluates it no longer
   sees it) as ``resolved``, once;
3. hands the notifications to the webhook and JSON-lines sinks, and the samples of every
   command's latest run (:mod:`mlmon.alerts.exposition`) to the textfile and Pushgateway sinks;
4. saves the state (:mod:`mlmon.alerts.state`) atomically. An alert counts as sent only when
   every notification sink took it, so one that failed is sent again on the next run.

Sink failures are collected, not raised one by one: the caller prints the result, then the
failures, and exits 6.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmon.alerts.exposition import Sample, production_info, samples
from mlmon.alerts.findings import STORE_STALENESS, Finding, findings, judged, unjudged
from mlmon.alerts.sinks import Delivery, Notification, SinkError, scrub
from mlmon.alerts.state import AlertState
from mlmon.config import Config
from mlmon.errors import LockTimeoutError, MlmonError
from mlmon.fsutil import STATE_LOCK_HINT, STATE_LOCK_TIMEOUT, exclusive_lock
from mlmon.outcome import Outcome
from mlmon.timewindow import iso_utc


@dataclass
class DispatchReport:
    """What one dispatch did."""

    sent: list[Notification] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    """Keys of firing alerts not sent again because of the cooldown."""
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": [n.to_dict() for n in self.sent],
            "held_by_cooldown": self.held,
            "failures": self.failures,
        }


def dispatch(
    config: Config,
    result: Outcome,
    *,
    now: dt.datetime | None = None,
) -> DispatchReport | None:
    """Alert on ``result`` (an operation's typed result); None when no sink is set."""
    a = config.alerts
    if not a.sinks:
        return None
    now = now or dt.datetime.now(dt.UTC)
    path = _state_path(config)
    try:
        # metrics and drift from two cron jobs at once: one at a time, or one run's samples or
        # alert entries would be lost when the other saves the state
        with exclusive_lock(
            path.with_suffix(".lock"), STATE_LOCK_TIMEOUT, "the alert state", STATE_LOCK_HINT
        ):
            return _dispatch_locked(config, result, now, path)
    except LockTimeoutError as exc:
        return DispatchReport(failures=[f"{exc.message}; this run's alerts go out on the next"])
    except MlmonError as exc:  # an unreadable state file: the result is printed already
        hint = f" ({exc.hint})" if exc.hint else ""
        return DispatchReport(failures=[f"alerts: {exc.message}{hint}"])
    except OSError as exc:  # a state directory this user cannot write
        return DispatchReport(failures=[f"alerts: cannot keep the alert state in {path}: {exc}"])


def _dispatch_locked(
    config: Config, result: Outcome, now: dt.datetime, path: Path
) -> DispatchReport:
    a = config.alerts
    command = result.command
    state = AlertState.load(path)
    severity: dict[str, str] = {r.finding: r.severity for r in a.rules}
    latest = _latest_data(config) if command in STORE_STALENESS else None
    seen = [
        f
        for f in findings(result, latest_data=latest, now=now, stale_after=a.stale_after)
        if f.kind in severity
    ]
    resolvable = judged(result, staleness_known=latest is not None)
    firing = [k for k, e in state.alerts.items() if e["status"] == "firing"]
    kept = unjudged(result, (k for k in firing if state.alerts[k]["kind"] in resolvable))
    notifications, held, updates = _decide(state, seen, resolvable, kept, severity, now, a.cooldown)
    state.samples[command] = [
        s.to_dict() for s in samples(result, config.model.name, now.timestamp())
    ]
    all_samples = [Sample(**s) for kept in state.samples.values() for s in kept]
    all_samples += production_info(config.model.name, _production(config))
    delivery = Delivery(config.model.name, command, notifications, all_samples)
    report = DispatchReport(held=held)
    notified = True
    for i, sink in enumerate(a.sinks):
        where = f"alerts.sinks[{i}]"
        try:
            _deliver(sink, delivery, where)
        except Exception as exc:  # a sink's failure never ends the run (nor shows a secret)
            text = str(exc) if isinstance(exc, SinkError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, SinkError):
                text = f"{where} ({sink.type}): {text}"
            url = getattr(sink, "url", None)
            headers = getattr(sink, "headers", {})
            report.failures.append(scrub(text, *([url] if url else []), extra=headers.values()))
            notified = notified and sink.type not in ("webhook", "jsonl")
    if notified:
        for key, entry in updates.items():
            state.alerts[key] = entry
        report.sent = notifications
    state.save()
    return report


def _decide(
    state: AlertState,
    seen: list[Finding],
    resolvable: set[str],
    kept: set[str],
    severity: dict[str, str],
    now: dt.datetime,
    cooldown: float,
) -> tuple[list[Notification], list[str], dict[str, dict[str, Any]]]:
    """What to send, what the cooldown holds back, and the state entries once sent. A
    firing alert that this run no longer sees resolves when the run judged its kind and the
    key is not one the run could not judge (``kept``)."""
    stamp = iso_utc(now)
    assert stamp is not None
    out: list[Notification] = []
    held: list[str] = []
    updates: dict[str, dict[str, Any]] = {}
    for f in seen:
        entry = state.alerts.get(f.key)
        active = entry is not None and entry["status"] == "firing"
        if active and entry is not None:
            last = dt.datetime.fromisoformat(entry["last_sent"])
            if (now - last).total_seconds() < cooldown:
                held.append(f.key)
                continue
        starts = entry["starts_at"] if active and entry is not None else stamp
        n = Notification(
            f.key,
            f.kind,
            "firing",
            severity[f.kind],
            f.summary,
            f.labels,
            f.details,
            starts,
            None,
        )
        out.append(n)
        updates[f.key] = {
            "kind": f.kind,
            "status": "resolved" if f.event else "firing",
            "starts_at": starts,
            "last_sent": stamp,
            "summary": f.summary,
            "severity": n.severity,
            "labels": f.labels,
        }
    current = {f.key for f in seen} | kept
    for key, entry in state.alerts.items():
        if entry["status"] == "firing" and entry["kind"] in resolvable and key not in current:
            out.append(
                Notification(
                    key,
                    entry["kind"],
                    "resolved",
                    entry["severity"],
                    entry["summary"],
                    entry["labels"],
                    {},
                    entry["starts_at"],
                    stamp,
                )
            )
            updates[key] = {**entry, "status": "resolved", "last_sent": stamp}
    return out, held, updates


def _deliver(sink: Any, delivery: Delivery, where: str) -> None:
    from mlmon.alerts.sinks import jsonl, pushgateway, textfile, webhook

    modules = {"textfile": textfile, "pushgateway": pushgateway, "webhook": webhook, "jsonl": jsonl}
    modules[sink.type].deliver(sink, delivery, where)


def _state_path(config: Config) -> Path:
    # imported here: mlmon.store's package imports ingest (polars), which a rollback's or a
    # promotion's alerts do not otherwise need
    from mlmon.store.layout import StoreLayout

    base = config.alerts.state or StoreLayout(config.store.path).alert_state_dir()
    return Path(base) / f"{config.model.name}.json"


def _latest_data(config: Config) -> dt.datetime | None:
    from mlmon.store.scan import latest_timestamp

    try:
        return latest_timestamp(config)
    except Exception:
        return None


def _production(config: Config) -> str | None:
    from mlmon.registry import open_registry

    try:
        return open_registry(config).aliases().get("production")
    except Exception:
        return None


__all__ = ["DispatchReport", "dispatch"]
