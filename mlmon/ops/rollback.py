"""``mlmon rollback``: point ``production`` back at an earlier version (DESIGN.md §6)."""

from __future__ import annotations

from mlmon.config import Config
from mlmon.registry import open_registry
from mlmon.registry.rollback import RollbackResult


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
