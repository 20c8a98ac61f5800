"""``mlmon ingest``: validate prediction or label logs and append them to the store.

One run is one transaction (see :mod:`mlmon.store.writer`): every input is read in batches,
coerced and validated; bad rows are quarantined (or the run is refused, under
``store.on_invalid: reject``); rows whose id is already stored are skipped; and only then is
anything made visible. A file whose exact content was ingested before is skipped whole, which
makes re-running an ingest a no-op.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path

import polars as pl

from mlmon.config import Config
from mlmon.errors import DataError
from mlmon.fsutil import append_line_durably, exclusive_lock, sha256_file
from mlmon.store.columns import (
    INGESTED,
    MISSING,
    MISSING_OF,
    TIMESTAMP,
    Column,
    label_columns,
    missing_features,
    missing_features_key,
    prediction_columns,
)
from mlmon.store.labelling import SOURCE, address_labels
from mlmon.store.layout import StoreLayout, Table
from mlmon.store.manifest import manifest_line, read_manifest
from mlmon.store.readers import (
    Format,
    Source,
    check_columns,
    read_batches,
    resolve_source,
)
from mlmon.store.report import FileReport, IngestResult
from mlmon.store.scratch import scratch_dir
from mlmon.store.stored import against_stored
from mlmon.store.validate import REASON, ROW, validate_batch
from mlmon.store.writer import StagedWrite, clear_stale_staging, refuse_symlinks, unwritable

Progress = Callable[[str, int], None]
"""Called with (source name, rows read so far) after each batch."""

_EXAMPLES = 5


def ingest(
    config: Config,
    paths: list[str],
    *,
    labels: bool = False,
    fmt: Format | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest prediction logs (or, with ``labels``, ground truth) into the configured store."""
    if not paths:
        raise DataError("no input files given", hint="pass one or more paths, or - for stdin")
    layout = StoreLayout(config.store.path)
    table: Table = "labels" if labels else "predictions"
    columns = label_columns(config) if labels else prediction_columns(config)
    started = dt.datetime.now(dt.UTC)
    try:
        with scratch_dir() as scratch:
            sources = [resolve_source(p, fmt, scratch) for p in paths]
            plans = [(s, check_columns(s, columns, labels)) for s in sources]
            run = _Run(config, table, columns, dry_run, started, progress)
            if dry_run:
                run.execute(plans, scratch)
                return run.result()
            with contextlib.ExitStack() as held:
                try:
                    layout.root.mkdir(parents=True, exist_ok=True)
                    refuse_symlinks(layout.lock_file, layout.staging_dir)
                    what = f"store {layout.root}"
                    held.enter_context(
                        exclusive_lock(layout.lock_file, config.store.lock_timeout, what)
                    )
                    clear_stale_staging(layout)
                except OSError as exc:
                    raise unwritable(layout, exc) from exc
                run.execute(plans, layout.staging_dir)
            return run.result()
    except MemoryError:
        # polars raises it too where an allocation fails; the run is all or nothing
        raise DataError(
            f"out of memory while ingesting {', '.join(paths[:3])}"
            + (" …" if len(paths) > 3 else ""),
            hint=f"lower store.batch_rows (now {config.store.batch_rows:,}) so that one batch "
            "fits in memory, or give the process more memory; then re-run (a run is all or "
            "nothing, and rows already stored are skipped)",
        ) from None


Plan = tuple[Source, tuple[list[str], list[str]]]
"""A checked source with its (missing optional, ignored) columns."""


@dataclass
class _FileTally:
    """What happened to one input file so far (frozen into a :class:`FileReport`)."""

    path: str
    format: str
    sha256: str = ""
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

    def report(self) -> FileReport:
        """The tally frozen (same fields; the lists as tuples, the counts copied)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return FileReport(
            **values
            | {
                "missing_optional_columns": tuple(self.missing_optional_columns),
                "ignored_columns": tuple(self.ignored_columns),
                "nonfinite_values": dict(self.nonfinite_values),
            }
        )


@dataclass
class _Run:
    """One ingest run: what it writes to, and what it counts (:meth:`result` at the end)."""

    config: Config
    table: Table
    columns: list[Column]
    dry_run: bool
    started: dt.datetime
    progress: Progress | None
    last_stamp: dt.datetime | None = None
    """The staging time of the previous label batch (see :meth:`_stamp`)."""
    sources: dict[str, Source] = field(default_factory=dict)
    """The run's sources by name (as in its file reports)."""
    files: list[_FileTally] = field(default_factory=list)
    quarantine_path: str | None = None
    label_updates_path: str | None = None
    partitions: list[str] = field(default_factory=list)
    unmatched_labels: int | None = None
    reject_examples: list[str] = field(default_factory=list)

    def result(self) -> IngestResult:
        """What the run did, frozen."""
        return IngestResult(
            table=self.table,
            store=str(self.layout.root),
            dry_run=self.dry_run,
            files=tuple(f.report() for f in self.files),
            quarantine_path=self.quarantine_path,
            label_updates_path=self.label_updates_path,
            partitions=tuple(self.partitions),
            unmatched_labels=self.unmatched_labels,
            reject_examples=tuple(self.reject_examples),
        )

    def __post_init__(self) -> None:
        self.layout = StoreLayout(self.config.store.path)
        self.id_col = self.columns[0].name
        self.ts_col = self.columns[2].name if self.table == "labels" else self.columns[1].name

    def execute(self, plans: list[Plan], staging_root: Path) -> None:
        """Read, validate and stage every source; commit unless this is a dry run."""
        try:
            staged = StagedWrite(self.layout, staging_root)
        except OSError as exc:
            raise unwritable(self.layout, exc) from exc
        committed = False
        try:
            self._stage_all(plans, staged)
            if self.dry_run:
                if staged.rows_quarantined:
                    target = staged.side_target("quarantine", self.started)
                    self.quarantine_path = str(target)
                return
            try:
                staged.check_targets(self.started)
            except OSError as exc:
                raise unwritable(self.layout, exc) from exc
            try:
                sides = staged.commit(self.started)
            except OSError as exc:
                raise DataError(
                    f"the commit into the store {self.layout.root} failed part-way: "
                    f"{exc.strerror or exc} ({exc.filename}); the files moved so far are whole",
                    hint="fix the cause (space, permissions), then re-run the same ingest: it "
                    "completes the commit, and rows already stored are skipped",
                ) from exc
            committed = True
            if "quarantine" in sides:
                self.quarantine_path = str(sides["quarantine"])
            if "label_updates" in sides:
                self.label_updates_path = str(sides["label_updates"])
            self._record()
        finally:
            if not committed:
                staged.discard()

    def _record(self) -> None:
        """Append each committed file to the manifest; the rows are in already."""
        written = sum(f.rows_written for f in self.files)
        for tally in self.files:
            if tally.already_ingested_at is None:
                line = manifest_line(self.table, tally.report(), self.started)
                try:
                    append_line_durably(self.layout.manifest, json.dumps(line))
                except OSError as exc:
                    raise DataError(
                        f"{written:,} rows WERE committed to the store "
                        f"{self.layout.root}, but its manifest {self.layout.manifest} could not "
                        f"be updated ({exc.strerror or exc}); re-running the same ingest is "
                        "safe: its rows are skipped as duplicates",
                        hint="fix the cause (space, permissions); until the manifest has the "
                        "file, a re-run reads it again instead of skipping it whole",
                    ) from exc

    def _stage_all(self, plans: list[Plan], staged: StagedWrite) -> None:
        seen = read_manifest(self.layout)
        days: set[dt.date] = set()
        with ThreadPoolExecutor(max_workers=1) as hasher:
            digests: list[Future[str]] = [hasher.submit(sha256_file, s.path) for s, _ in plans]
            for (source, (missing, ignored)), digest in zip(plans, digests, strict=True):
                report = _FileTally(
                    source.name,
                    source.format,
                    missing_optional_columns=missing,
                    ignored_columns=ignored,
                )
                self.files.append(report)
                self.sources[report.path] = source
                report.sha256 = digest.result()
                if (self.table, report.sha256) in seen:
                    report.already_ingested_at = seen[(self.table, report.sha256)]
                    continue
                days |= self._stage_source(source, report, staged)
        self.partitions = sorted(d.isoformat() for d in days)
        if self.table == "labels":
            self.unmatched_labels = address_labels(
                self.config, staged, lambda bad: self._early_labels(bad, staged)
            )

    def _stage_source(
        self, source: Source, report: _FileTally, staged: StagedWrite
    ) -> set[dt.date]:
        days: set[dt.date] = set()
        labels = self.table == "labels"
        if labels:
            report.label_time_from = "file"
            if self.ts_col in report.missing_optional_columns:
                report.missing_optional_columns.remove(self.ts_col)
                report.label_time_from = "ingest_time"
        absent = report.missing_optional_columns + (
            [self.ts_col] if report.label_time_from == "ingest_time" else []
        )
        for read in read_batches(source, self.columns, self.config.store.batch_rows):
            raw = read.frame
            for name in absent:
                raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(name))
            report.rows_read += raw.height
            batch = validate_batch(
                raw, self.columns, self.config, source.name, self.started, nul_free=read.nul_free
            )
            for name, n in batch.nonfinite.items():
                report.nonfinite_values[name] = report.nonfinite_values.get(name, 0) + n
            good = batch.good
            if labels:
                known = pl.lit(self.started).cast(TIMESTAMP)
                good = good.with_columns(
                    pl.col(self.ts_col).fill_null(known),
                    pl.lit(self._stamp()).cast(TIMESTAMP).alias(INGESTED),
                )
            checked = against_stored(self.config, self.table, self.columns, staged, good)
            bad = batch.bad
            if checked.conflicts.height:
                conflicts = self._as_text(checked.conflicts)
                bad = pl.concat([bad, conflicts], how="diagonal_relaxed").sort(ROW)
            if bad.height:
                self._set_aside(source, report, bad, staged, last_row=raw[ROW][-1])
            if checked.updates.height:
                staged.add_label_updates(
                    checked.updates.with_columns(
                        pl.lit(source.name).alias("_source"),
                        pl.lit(self.started).cast(TIMESTAMP).alias("_ingested_at"),
                    )
                )
            # A label keeps its row and source until its prediction's time is known
            # (_address_labels checks that it does not precede it, then drops them).
            fresh = (
                checked.fresh.with_columns(pl.lit(len(self.files) - 1).alias(SOURCE))
                if labels
                else checked.fresh.drop(ROW)
            )
            report.duplicates_skipped += batch.duplicates + checked.repeats
            report.labels_updated += checked.updates.height
            report.labels_ignored += checked.ignored
            report.rows_written += fresh.height
            metadata = None
            if self.table == "predictions":
                fresh = fresh.with_columns(missing_features(self.config).alias(MISSING))
                metadata = {MISSING_OF: missing_features_key(self.config)}
            days |= set(staged.add(self.table, fresh, self.ts_col, metadata))
            if self.progress:
                self.progress(source.name, report.rows_read)
        if report.rows_read == 0:
            raise DataError(
                f"{source.name}: the file has a header but no rows",
                hint="nothing to ingest; check the producer",
            )
        return days

    def _early_labels(self, bad: pl.DataFrame, staged: StagedWrite) -> None:
        """Quarantine labels dated before their prediction (``bad`` has ROW, REASON, the
        source index and the label columns), counted against their files."""
        for (index,), rows in bad.sort(SOURCE, ROW).partition_by(SOURCE, as_dict=True).items():
            assert isinstance(index, int)
            report = self.files[index]
            report.rows_written -= rows.height
            # a rejected label replaces nothing: its audit record goes too
            report.labels_updated -= staged.drop_side_rows(
                "label_updates",
                rows.select(
                    pl.col(self.id_col),
                    pl.col(self.ts_col).alias("new_label_timestamp"),
                    pl.lit(report.path).alias("_source"),
                ),
            )
            source = self.sources[report.path]
            self._set_aside(source, report, self._as_text(rows), staged, rows[ROW][-1])

    def _stamp(self) -> dt.datetime:
        """The staging time of a label batch, strictly later than the previous batch's."""
        now = dt.datetime.now(dt.UTC)
        if self.last_stamp is not None and now <= self.last_stamp:
            now = self.last_stamp + dt.timedelta(microseconds=1)
        self.last_stamp = now
        return now

    def _as_text(self, conflicts: pl.DataFrame) -> pl.DataFrame:
        """Conflicting rows as the quarantine stores them: row, reason, values as text."""
        names = [c.name for c in self.columns]
        return conflicts.select(
            pl.col(ROW).cast(pl.Int64), REASON, *[pl.col(n).cast(pl.String) for n in names]
        )

    def _set_aside(
        self,
        source: Source,
        report: _FileTally,
        bad: pl.DataFrame,
        staged: StagedWrite,
        last_row: int,
    ) -> None:
        """Quarantine invalid rows, or refuse the run under ``on_invalid: reject``."""
        report.rows_rejected += bad.height
        examples = self.reject_examples
        for row, reason in bad.select(ROW, REASON).head(_EXAMPLES).iter_rows():
            if len(examples) < _EXAMPLES:
                examples.append(f"{source.name} row {row}: {reason}")
        if self.config.store.on_invalid == "reject":
            raise DataError(
                f"{source.name}: {bad.height} invalid row(s) in rows {bad[ROW][0]}..{last_row}; "
                "store.on_invalid is 'reject', so nothing was written. First problems:\n  "
                + "\n  ".join(examples),
                hint="fix the rows at the source, or set store.on_invalid: quarantine to "
                "store the good rows and set the bad ones aside",
            )
        staged.add_quarantine(
            bad.rename({ROW: "_row", REASON: "_reason"})
            .with_columns(pl.lit(source.name).alias("_source"))
            .select("_source", "_row", "_reason", pl.exclude("_source", "_row", "_reason"))
        )
