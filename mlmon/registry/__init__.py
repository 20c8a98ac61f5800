"""The model registry: versions with lineage, aliases, and the event log that is their history."""

from mlmon.registry.store import Event, Registry, check_name, production_history, sha256_file

__all__ = ["Event", "Registry", "check_name", "production_history", "sha256_file"]
