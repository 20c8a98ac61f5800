"""The registry's event log: one ``Event`` per line of ``events.jsonl``, and the production
history that ``rollback`` walks (DESIGN.md §6: the event log is the history)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EVENTS = (
    "registered",
    "promoted",
    "gate_failed",
    "rolled_back",
    "forced",
    "alias_set",
    "alias_removed",
)


@dataclass(frozen=True)
class Event:
    """One line of ``events.jsonl``."""

    time: str
    event: str
    version: str | None
    alias: str | None
    from_version: str | None
    to_version: str | None
    reason: str | None
    user: str
    host: str
    details: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "event": self.event,
            "version": self.version,
            "alias": self.alias,
            "from": self.from_version,
            "to": self.to_version,
            "reason": self.reason,
            "user": self.user,
            "host": self.host,
            "details": dict(self.details) if self.details else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        return cls(
            time=str(data["time"]),
            event=str(data["event"]),
            version=data.get("version"),
            alias=data.get("alias"),
            from_version=data.get("from"),
            to_version=data.get("to"),
            reason=data.get("reason"),
            user=str(data.get("user", "")),
            host=str(data.get("host", "")),
            details=data.get("details"),
        )


def production_history(events: list[Event], alias: str = "production") -> list[str]:
    """The versions ``alias`` has pointed to, as a stack: a promotion (or any other move)
    pushes its version, a rollback pops the current one. The last item is the current target;
    the one before it is where a rollback goes, so repeated rollbacks walk further back
    instead of flipping between two versions.

    >>> e = lambda kind, v: Event("t", kind, v, "production", None, v, None, "u", "h")
    >>> production_history([e("promoted", "1"), e("promoted", "2"), e("promoted", "3")])
    ['1', '2', '3']
    >>> production_history([e("promoted", "1"), e("promoted", "2"), e("promoted", "3"),
    ...                     e("rolled_back", "2")])
    ['1', '2']
    """
    stack: list[str] = []
    for event in events:
        if event.alias != alias or event.to_version is None:
            continue
        if event.event == "rolled_back":
            while stack and stack[-1] != event.to_version:
                stack.pop()
            if not stack:
                stack.append(event.to_version)
        elif not stack or stack[-1] != event.to_version:
            stack.append(event.to_version)
    return stack


def rolled_back_out(events: list[Event], version: str, alias: str = "production") -> Event | None:
    """The ``rolled_back`` event that took ``version`` out of ``alias``, if that is the last
    word on it: None when it was never rolled back, or was put back since (promoted, forced
    or rolled back to). A version rolled back out of production is not promoted again
    without ``--force --reason``.

    >>> e = lambda kind, a, b: Event("t", kind, b, "production", a, b, None, "u", "h")
    >>> rolled_back_out([e("promoted", "1", "2"), e("rolled_back", "2", "1")], "2").event
    'rolled_back'
    >>> rolled_back_out([e("rolled_back", "2", "1"), e("forced", "1", "2")], "2") is None
    True
    """
    out: Event | None = None
    for event in events:
        if event.alias != alias:
            continue
        if event.event == "rolled_back" and event.from_version == version:
            out = event
        elif event.to_version == version:
            out = None
    return out
