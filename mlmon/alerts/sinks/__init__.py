"""Alert sinks, one module each: where notifications and exported metrics go.

Every sink takes a :class:`Delivery` (the notifications of this run and every exported
sample) and raises :class:`SinkError` with a message that names the sink and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlmon.alerts.exposition import Sample


class SinkError(Exception):
    """A sink could not deliver (the command still prints its result, then exits 6)."""


@dataclass(frozen=True)
class Notification:
    """One alert going out: firing (new, or again after the cooldown) or resolved."""

    key: str
    kind: str
    status: str  # "firing" | "resolved"
    severity: str
    summary: str
    labels: dict[str, str]
    details: dict[str, Any]
    starts_at: str
    ends_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "finding": self.kind,
            "status": self.status,
            "severity": self.severity,
            "summary": self.summary,
            "labels": self.labels,
            "details": self.details,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
        }


@dataclass(frozen=True)
class Delivery:
    """What one run hands to the sinks."""

    model: str
    command: str
    notifications: list[Notification]
    samples: list[Sample]
