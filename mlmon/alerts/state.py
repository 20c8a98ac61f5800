"""Alert state between runs: which alerts are firing, when each was last sent, and the
latest exported samples of every command. One JSON file per model, written atomically."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmon.config.base import short, short_repr
from mlmon.errors import DataError
from mlmon.fsutil import atomic_write_bytes, read_regular_file

STATE_FORMAT = 1

_HINT = "delete the file: alerts start afresh (a firing alert is sent again)"
_ENTRY = {
    "kind": str,
    "status": str,
    "starts_at": str,
    "last_sent": str,
    "summary": str,
    "severity": str,
    "labels": dict,
}
"""The keys of an alert entry, and their types (what :func:`mlmon.alerts.dispatch` reads)."""


@dataclass
class AlertState:
    """The state of one model's alerts (see the module docstring)."""

    path: Path
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> AlertState:
        try:
            data = json.loads(read_regular_file(path).decode("utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: unreadable alert state ({_reason(exc)})", hint=_HINT) from exc
        if not isinstance(data, dict):
            raise _damaged(path, f"a JSON {type(data).__name__}, not an object")
        if data.get("format") != STATE_FORMAT:
            raise DataError(
                f"{path}: alert state of format {short_repr(data.get('format'))}",
                hint=_HINT,
            )
        alerts, samples = data.get("alerts", {}), data.get("samples", {})
        if problem := _alerts_problem(alerts) or _samples_problem(samples):
            raise _damaged(path, problem)
        return cls(path, dict(alerts), dict(samples))

    def save(self) -> None:
        document = {"format": STATE_FORMAT, "alerts": self.alerts, "samples": self.samples}
        atomic_write_bytes(self.path, json.dumps(document, indent=1, sort_keys=True).encode())


def _damaged(path: Path, problem: str) -> DataError:
    return DataError(f"{path}: damaged alert state ({problem})", hint=_HINT)


def _alerts_problem(alerts: Any) -> str | None:
    """What is structurally wrong with the ``alerts`` of a state file (None: nothing)."""
    if not isinstance(alerts, dict):
        return f"alerts is a {type(alerts).__name__}, not an object"
    for key, entry in alerts.items():
        if not isinstance(entry, dict):
            return f"alert {short_repr(key)} is a {type(entry).__name__}, not an object"
        for name, kind in _ENTRY.items():
            if not isinstance(entry.get(name), kind):
                return f"alert {short_repr(key)}: {name} is missing or not a {kind.__name__}"
        if entry["status"] not in ("firing", "resolved"):
            return f"alert {short_repr(key)}: status {short_repr(entry['status'])}"
        for name in ("starts_at", "last_sent"):
            try:
                dt.datetime.fromisoformat(entry[name])
            except ValueError:
                return f"alert {short_repr(key)}: {name} is not a date-time"
        if not _str_map(entry["labels"]):
            return f"alert {short_repr(key)}: labels are not names and strings"
    return None


def _samples_problem(samples: Any) -> str | None:
    """What is structurally wrong with the ``samples`` of a state file (None: nothing)."""
    if not isinstance(samples, dict):
        return f"samples is a {type(samples).__name__}, not an object"
    for command, kept in samples.items():
        if not isinstance(kept, list):
            return f"samples of {short_repr(command)} are not a list"
        for sample in kept:
            if not (
                isinstance(sample, dict)
                and set(sample) == {"name", "labels", "value"}
                and isinstance(sample["name"], str)
                and _str_map(sample["labels"])
                and isinstance(sample["value"], int | float)
                and not isinstance(sample["value"], bool)
            ):
                return f"a sample of {short_repr(command)} is not {{name, labels, value}}"
    return None


def _str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _reason(exc: Exception) -> str:
    """Why a state file could not be read, without repeating its path."""
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else None) or short(str(exc))
