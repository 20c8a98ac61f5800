"""Where things live inside a log store directory (DESIGN.md §5).

```
<store>/
  predictions/date=YYYY-MM-DD/part-<uuid>.parquet
  labels/date=YYYY-MM-DD/part-<uuid>.parquet      (date the label became known)
  quarantine/<time>-<run>.parquet                  (rejected rows, with a reason per row)
  label_updates/<time>-<run>.parquet               (replaced labels: id, old and new label)
  _staging/<run>/                                  (an ingest in progress; never read)
  _ingested.jsonl                                  (one line per input file committed)
  .lock                                            (flock held by the one writer)
  _cache/profiles/<key>.json                       (drift: reference profiles, by content)
  _cache/calibrations/<key>.json                   (CBPE calibrations, by content)
  _cache/contracts/<key>.json                      (check: contracts learned from a reference)
  _cache/tallies/<key>.json, <key>.parquet         (check: a day's per-window counts, by content)
  _state/concept/<model>/                          (concept detectors' saved stream, locked)
  _state/alerts/<model>.json                       (alert state: cooldowns, first seen;
                                                    alerts.state moves it elsewhere)
```

Caches are optimisations keyed by the content they were computed from: deleting ``_cache``
is always safe. State carries a stream across runs: deleting ``_state`` restarts it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlmon.fsutil import TMP_PREFIX

Table = Literal["predictions", "labels"]
Side = Literal["quarantine", "label_updates"]
Cache = Literal["profiles", "calibrations", "contracts", "tallies"]
"""The caches kept under ``_cache``: one directory of ``<key>.json`` entries each."""
"""Files an ingest run writes beside the tables: one of each kind per run, at most."""
PARTITION_KEY = "date"


@dataclass(frozen=True)
class StoreLayout:
    """Paths of one store. Pure: creates nothing until a writer asks it to."""

    root: Path

    def table_dir(self, table: Table) -> Path:
        return self.root / table

    def partition_dir(self, table: Table, day: dt.date) -> Path:
        return self.table_dir(table) / f"{PARTITION_KEY}={day.isoformat()}"

    @property
    def quarantine_dir(self) -> Path:
        return self.side_dir("quarantine")

    def side_dir(self, kind: Side) -> Path:
        return self.root / kind

    def has_label_updates(self) -> bool:
        """Has any label ever been replaced? (Then reads keep the latest label per id.)"""
        d = self.side_dir("label_updates")
        return d.is_dir() and any(
            not p.name.startswith((TMP_PREFIX, ".")) for p in d.glob("*.parquet")
        )

    def side_files(self, kind: Side) -> list[Path]:
        """The committed files of a side directory (quarantine, label updates), oldest
        first; as :meth:`files`, no temporary file and no symlink."""
        directory = self.side_dir(kind)
        if directory.is_symlink() or not directory.is_dir():
            return []
        return sorted(p for p in directory.glob("*.parquet") if _committed(p))

    @property
    def staging_dir(self) -> Path:
        return self.root / "_staging"

    def listing(self, files: Iterable[Path]) -> list[list[object]]:
        """Each file's path under the store and its size: the content of a window as a
        cache key sees it (committed files never change; a new file changes the list)."""
        return [[p.relative_to(self.root).as_posix(), p.stat().st_size] for p in files]

    def cache_dir(self, kind: Cache) -> Path:
        return self.root / "_cache" / kind

    def concept_state_dir(self, model: str) -> Path:
        """Where the concept-drift detectors keep ``model``'s stream between runs."""
        return self.root / "_state" / "concept" / model

    def alert_state_dir(self) -> Path:
        """The default home of the alert state (``alerts.state`` overrides it)."""
        return self.root / "_state" / "alerts"

    @property
    def manifest(self) -> Path:
        return self.root / "_ingested.jsonl"

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    def partitions(self, table: Table) -> dict[dt.date, Path]:
        """Every partition directory of a table, by date (unparseable names are ignored)."""
        out: dict[dt.date, Path] = {}
        base = self.table_dir(table)
        if base.is_symlink() or not base.is_dir():
            return out
        prefix = f"{PARTITION_KEY}="
        for child in base.iterdir():
            # a symlink could point outside the store: never followed
            if child.name.startswith(prefix) and not child.is_symlink() and child.is_dir():
                try:
                    out[dt.date.fromisoformat(child.name[len(prefix) :])] = child
                except ValueError:
                    continue
        return out

    def files(
        self,
        table: Table,
        first: dt.date | None = None,
        last: dt.date | None = None,
        days: Iterable[dt.date] | None = None,
    ) -> list[Path]:
        """Committed Parquet files of a table, pruned to partitions in ``[first, last]``
        (or exactly ``days``). Temporary files (``.tmp-*``) and symlinks (which could point
        outside the store) are never listed."""
        wanted = set(days) if days is not None else None
        out: list[Path] = []
        for day, directory in sorted(self.partitions(table).items()):
            if (first and day < first) or (last and day > last):
                continue
            if wanted is not None and day not in wanted:
                continue
            out += sorted(p for p in directory.glob("*.parquet") if _committed(p))
        return out


def _committed(path: Path) -> bool:
    """A file a reader may read: not an in-progress temporary (``.tmp-*``) or hidden file,
    and not a symlink (which could point outside the store)."""
    return not path.name.startswith((TMP_PREFIX, ".")) and not path.is_symlink()
