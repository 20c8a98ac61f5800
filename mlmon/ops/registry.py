"""``mlmon registry list/show/history/path``: read the registry (DESIGN.md §6).

Four read-only operations, one per subcommand; each returns a frozen result whose
:meth:`to_dict` is the JSON ``result`` (command ``registry``, status ``ok``, never sent to the
alert sinks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from mlmon.config import Config
from mlmon.outcome import Report
from mlmon.registry import Event, open_registry


class _Read(Report):
    """The four read-only results (:class:`mlmon.outcome.Report`: status ``ok``, no alerts)."""

    command: ClassVar[str] = "registry"


def trigger_summary(trigger: object) -> str:
    """What caused a version, from its metadata's ``trigger``: the reason it was forced, the
    triggers that fired, or ``-``.

    >>> trigger_summary({"fired": [{"trigger": "drift"}, {"trigger": "schedule"}]})
    'drift, schedule'
    >>> trigger_summary({"forced": "new features"})
    'forced: new features'
    >>> trigger_summary(None)
    '-'
    """
    if not isinstance(trigger, dict):
        return "-"
    if trigger.get("forced"):
        return f"forced: {trigger['forced']}"
    fired = [t.get("trigger", "?") for t in trigger.get("fired") or [] if isinstance(t, dict)]
    return ", ".join(fired) or "-"


@dataclass(frozen=True)
class VersionRow:
    """One registered version: its aliases and metadata, and what a table shows of them."""

    version: str
    aliases: tuple[str, ...]
    metadata: Mapping[str, Any]
    created_at: str
    """``metadata.created_at`` as text, ``-`` when absent."""
    trigger: str
    """What caused the version (:func:`trigger_summary`)."""
    sha256: str
    """The artifact's SHA-256 (hex)."""

    @classmethod
    def of(cls, version: str, aliases: tuple[str, ...], metadata: Mapping[str, Any]) -> VersionRow:
        return cls(
            version=version,
            aliases=aliases,
            metadata=metadata,
            created_at=str(metadata.get("created_at", "-")),
            trigger=trigger_summary(metadata.get("trigger")),
            sha256=str(metadata["artifact"]["sha256"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "aliases": list(self.aliases),
            "metadata": dict(self.metadata),
        }


@dataclass(frozen=True)
class RegistryList(_Read):
    """``registry list``: every version, oldest first, with its aliases."""

    model: str
    base: Path
    """The configured registry path (the model's directory is ``base / model``)."""
    aliases: Mapping[str, str]
    """Alias → version."""
    versions: tuple[VersionRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "aliases": dict(self.aliases),
            "versions": [v.to_dict() for v in self.versions],
        }


@dataclass(frozen=True)
class VersionMetadata(_Read):
    """``registry show``: one version's ``metadata.json``, its lineage."""

    version: str
    metadata: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.metadata)


@dataclass(frozen=True)
class History(_Read):
    """``registry history``: the event log, oldest first."""

    model: str
    events: tuple[Event, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"events": [e.to_dict() for e in self.events]}


@dataclass(frozen=True)
class ArtifactPath(_Read):
    """``registry path``: the artifact file of ``ref``, its SHA-256 checked."""

    ref: str
    path: Path
    """Absolute: a model server may run from another directory."""

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "path": str(self.path)}


def versions(config: Config) -> RegistryList:
    """Every registered version of the configured model with its aliases, oldest first."""
    registry = open_registry(config)
    aliases = registry.aliases()
    by_version: dict[str, list[str]] = {}
    for alias, version in aliases.items():
        by_version.setdefault(version, []).append(alias)
    rows = tuple(
        VersionRow.of(v, tuple(by_version.get(v, [])), registry.metadata(v))
        for v in registry.versions()
    )
    return RegistryList(model=registry.model, base=registry.base, aliases=aliases, versions=rows)


def show(config: Config, ref: str) -> VersionMetadata:
    """The metadata of a version or alias (exit 5 when unknown)."""
    registry = open_registry(config)
    version = registry.resolve(ref)
    return VersionMetadata(version=version, metadata=registry.metadata(version))


def history(config: Config) -> History:
    """The event log: registrations, alias moves, promotions, failed gates, rollbacks."""
    registry = open_registry(config)
    return History(model=registry.model, events=tuple(registry.events()))


def artifact(config: Config, ref: str) -> ArtifactPath:
    """The absolute path of the artifact of a version or alias, after checking its SHA-256
    (exit 5 on a mismatch: never hand out a file that is not what was registered)."""
    registry = open_registry(config)
    return ArtifactPath(ref=ref, path=registry.artifact_path(ref).resolve())
