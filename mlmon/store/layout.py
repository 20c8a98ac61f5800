"""Where things live inside a log store directory (DESIGN.md §5).

```
<store>/
  predictions/date=YYYY-MM-DD/part-<uuid>.parquet
  labels/date=YYYY-MM-DD/part-<uuid>.parquet      (date the label became known)
  quarantine/<time>-<file>-<run>.parquet           (rejected rows, with a reason per row)
  _staging/<run>/                                  (an ingest in progress; never read)
  _ingested.jsonl                                  (one line per input file committed)
  .lock                                            (flock held by the one writer)
```
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlmon.fsutil import TMP_PREFIX

Table = Literal["predictions", "labels"]
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
        return self.root / "quarantine"

    @property
    def staging_dir(self) -> Path:
        return self.root / "_staging"

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
        if not base.is_dir():
            return out
        prefix = f"{PARTITION_KEY}="
        for child in base.iterdir():
            if child.is_dir() and child.name.startswith(prefix):
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
        (or exactly ``days``). Temporary files (``.tmp-*``) are never listed."""
        wanted = set(days) if days is not None else None
        out: list[Path] = []
        for day, directory in sorted(self.partitions(table).items()):
            if (first and day < first) or (last and day > last):
                continue
            if wanted is not None and day not in wanted:
                continue
            out += sorted(
                p for p in directory.glob("*.parquet") if not p.name.startswith((TMP_PREFIX, "."))
            )
        return out
