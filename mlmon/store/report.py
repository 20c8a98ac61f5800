"""What an ``ingest`` run did, per input file and in total: the JSON contract of
``mlmon ingest`` (:meth:`IngestResult.to_dict`).

Both classes are frozen: :mod:`mlmon.store.ingest` counts into mutable tallies while it runs
and builds these once at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mlmon.outcome import StatusExit
from mlmon.store.layout import Table


@dataclass(frozen=True)
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
    missing_optional_columns: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    nonfinite_values: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "duplicates_skipped": self.duplicates_skipped,
            "rows_rejected": self.rows_rejected,
            "labels_updated": self.labels_updated,
            "labels_ignored": self.labels_ignored,
            "already_ingested_at": self.already_ingested_at,
            "label_time_from": self.label_time_from,
            "missing_optional_columns": list(self.missing_optional_columns),
            "ignored_columns": list(self.ignored_columns),
            "nonfinite_values": dict(self.nonfinite_values),
        }


@dataclass(frozen=True)
class IngestResult(StatusExit):
    """The result of one ``ingest`` run; :meth:`to_dict` is the JSON contract."""

    command: ClassVar[str] = "ingest"

    table: Table
    store: str
    dry_run: bool
    files: tuple[FileReport, ...]
    quarantine_path: str | None = None
    label_updates_path: str | None = None
    partitions: tuple[str, ...] = ()
    unmatched_labels: int | None = None
    reject_examples: tuple[str, ...] = ()

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

    @property
    def alerts(self) -> bool:
        """Ingest sends nothing to the alert sinks (its finding is in its exit code)."""
        return False

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
            "partitions": list(self.partitions),
            "unmatched_labels": self.unmatched_labels,
            "reject_examples": list(self.reject_examples),
            "files": [f.to_dict() for f in self.files],
        }
