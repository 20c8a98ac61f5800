"""The result of a rollback (``mlmon rollback``), in the registry beside the move it reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from mlmon.outcome import StatusExit


@dataclass(frozen=True)
class RollbackResult(StatusExit):
    """What a rollback did (or, under ``dry_run``, would do); :meth:`to_dict` is the JSON
    contract. ``from_version == to_version`` when production was already there (a no-op)."""

    command: ClassVar[str] = "rollback"

    from_version: str
    to_version: str
    changed: bool
    """Production moved: false for a no-op and under ``dry_run``."""
    dry_run: bool
    candidate_withdrawn: str | None
    """The version withdrawn as ``candidate`` (or, under ``dry_run``, that would be), so
    that ``mlmon promote`` does not put it straight back; None when there is none."""

    @property
    def status(self) -> str:
        return "ok"

    @property
    def alerts(self) -> bool:
        """The sinks hear of a rollback only when production actually moved."""
        return self.changed

    def to_dict(self) -> dict[str, Any]:
        return {
            "from_version": self.from_version,
            "to_version": self.to_version,
            "changed": self.changed,
            "dry_run": self.dry_run,
            "candidate_withdrawn": self.candidate_withdrawn,
        }
