"""A cache directory under ``<store>/_cache`` (:meth:`StoreLayout.cache_dir`): one entry per
key, ``<key>.json`` holding a JSON object and its checksum, with optional companion files
``<key><suffix>`` (a Parquet sample beside a profile).

Every file is written atomically under a unique temporary name, the document last: runs that
race each publish a whole entry, the last rename wins, and the document marks the entry
whole. The cache is disposable: a missing entry is a miss, a damaged one raises ValueError so
that the caller rebuilds it (and says so), and one that cannot be written raises OSError so
that the caller can skip it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlmon.fsutil import atomic_write_bytes, read_regular_file, temp_path
from mlmon.store.layout import Cache, StoreLayout

FIELDS: dict[Cache, str] = {
    "profiles": "profile",
    "calibrations": "calibration",
    "contracts": "contract",
    "tallies": "tally",
}
"""The object each cache's entries hold."""


@dataclass(frozen=True)
class EntryCache:
    """The entries of one cache directory; ``field`` names the object inside each document
    (``{"sha256": <of the object>, <field>: <the object>}``)."""

    directory: Path
    field: str

    def path(self, key: str, suffix: str = ".json") -> Path:
        """The file of ``key``'s entry (or of its companion with ``suffix``)."""
        return self.directory / f"{key}{suffix}"

    def read(self, key: str) -> dict[str, Any] | None:
        """The entry's object; None for a miss; ValueError (or OSError) for a damaged one."""
        try:
            document = json.loads(read_regular_file(self.path(key)))
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not isinstance(document, dict) or not isinstance(document.get(self.field), dict):
            raise ValueError("not a cache entry of this version of mlmon")
        if document.get("sha256") != _digest(document[self.field]):
            raise ValueError("its checksum does not match its content")
        return dict(document[self.field])

    def read_companion(self, key: str, suffix: str) -> bytes | None:
        """The bytes of the entry's companion file; None when it is missing."""
        try:
            return read_regular_file(self.path(key, suffix))
        except FileNotFoundError:
            return None

    def write(self, key: str, data: Mapping[str, Any], companions: Mapping[str, bytes]) -> None:
        """Publish ``key``'s entry: the companion files (``suffix: bytes``) first, then the
        document, which marks the entry whole. Raises OSError when it cannot be written."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for suffix, content in companions.items():
            partial = temp_path(self.directory, suffix)  # unique: runs race here
            try:
                partial.write_bytes(content)
                os.replace(partial, self.path(key, suffix))
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        document = {"sha256": _digest(data), self.field: data}
        atomic_write_bytes(self.path(key), json.dumps(document).encode())


def cache_key(parts: Mapping[str, Any]) -> str:
    """A key for the JSON-able ``parts`` an entry is computed from (32 hex digits of their
    SHA-256, in a canonical order)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def store_cache(store: Path, kind: Cache) -> EntryCache:
    """The ``kind`` cache of the store at ``store`` (:meth:`StoreLayout.cache_dir`)."""
    return EntryCache(StoreLayout(store).cache_dir(kind), FIELDS[kind])


def _digest(data: Any) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
