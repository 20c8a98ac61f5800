"""What an ``ingest`` run did, per input file and in total: the JSON contract of
``mlmon ingest`` (:meth:`IngestResult.to_dict`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mlmon.store.layout import Table


@dataclass
class FileReport:
    """What happened to one input file."""

    path: str
    format: str
    sha256: str
    rows_read: int = 0
    rows_written: int = 0
    duplicates_skipped: int = 0
    rows_rejected: int = 0
    labels_updated: int = 0
    labels_ignored: int = 0
    already_ingested_at: str | None = None
    label_time_from: str | None = None
    missing_optional_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    nonfinite_values: dict[str, int] = field(default_factory=dict)


@dataclass
class IngestResult:
    """The result of one ``ingest`` run; :meth:`to_dict` is the JSON contract."""

    table: Table
    store: str
    dry_run: bool
    files: list[FileReport]
    quarantine_path: str | None = None
    label_updates_path: str | None = None
    partitions: list[str] = field(default_factory=list)
    unmatched_labels: int | None = None
    reject_examples: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_written(self) -> int:
        return sum(f.rows_written for f in self.files)

    @property
    def duplicates_skipped(self) -> int:
        return sum(f.duplicates_skipped for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def labels_updated(self) -> int:
        return sum(f.labels_updated for f in self.files)

    @property
    def labels_ignored(self) -> int:
        return sum(f.labels_ignored for f in self.files)

    @property
    def status(self) -> str:
        """``finding`` when rows were quarantined, else ``ok``."""
        return "finding" if self.rows_rejected else "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "store": self.store,
            "dry_run": self.dry_run,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "duplicates_skipped": self.duplicates_skipped,
            "rows_rejected": self.rows_rejected,
            "quarantine_path": self.quarantine_path,
            "labels_updated": self.labels_updated,
            "labels_ignored": self.labels_ignored,
            "label_updates_path": self.label_updates_path,
            "partitions": self.partitions,
            "unmatched_labels": self.unmatched_labels,
            "reject_examples": self.reject_examples,
            "files": [asdict(f) for f in self.files],
        }
