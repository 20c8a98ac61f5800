"""``mlmon rollback``: point ``production`` back at an earlier version (DESIGN.md §6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from mlmon.config import Config
from mlmon.outcome import StatusExit
from mlmon.registry import open_registry


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


def run(
    config: Config, *, to: str | None = None, reason: str | None = None, dry_run: bool = False
) -> RollbackResult:
    """Point ``production`` back at ``to`` (a version or an alias), or at the version that
    was production before the current one; ``reason`` goes to the event log. ``dry_run``
    decides and changes nothing. Exit 5 (:class:`mlmon.errors.RegistryError`) when there is
    no production version, nothing to roll back to, or ``to`` is unknown."""
    registry = open_registry(config)
    before, after, withdrawn = registry.rollback(to, reason, dry_run=dry_run)
    return RollbackResult(
        from_version=before,
        to_version=after,
        changed=before != after and not dry_run,
        dry_run=dry_run,
        candidate_withdrawn=withdrawn,
    )
