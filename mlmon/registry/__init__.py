"""The model registry: versions with lineage, aliases, and the event log that is their history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlmon.registry.events import Event, production_history
from mlmon.registry.layout import check_name, sha256_file
from mlmon.registry.store import Registry

if TYPE_CHECKING:
    from mlmon.config import Config


def open_registry(config: Config) -> Registry:
    """The registry of the configured model (``registry.path``, ``model.name``)."""
    return Registry(config.registry.path, config.model.name, config.registry.lock_timeout)


__all__ = ["Event", "Registry", "check_name", "open_registry", "production_history", "sha256_file"]
