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
import hashlib
import json
import socket
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from mlmon.config import Config
from mlmon.errors import DataError
from mlmon.fsutil import append_line_durably, exclusive_lock
from mlmon.store import address
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
from mlmon.store.layout import StoreLayout, Table
from mlmon.store.readers import Format, Source, read_batches, resolve_source, source_columns
from mlmon.store.scan import locate, reading, scan_files
from mlmon.store.scratch import scratch_dir
from mlmon.store.validate import REASON, ROW, duration_text, quoted, validate_batch
from mlmon.store.writer import StagedWrite, clear_stale_staging, refuse_symlinks

Progress = Callable[[str, int], None]
"""Called with (source name, rows read so far) after each batch."""

_EXAMPLES = 5


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
    result = IngestResult(table=table, store=str(layout.root), dry_run=dry_run, files=[])
    try:
        with scratch_dir() as scratch:
            sources = [resolve_source(p, fmt, scratch) for p in paths]
            plans = [(s, _check_columns(s, columns, labels)) for s in sources]
            run = _Run(config, table, columns, result, started, progress)
            if dry_run:
                run.execute(plans, scratch)
                return result
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
                    raise _unwritable(layout, exc) from exc
                run.execute(plans, layout.staging_dir)
    except MemoryError:
        # polars raises it too where an allocation fails; the run is all or nothing
        raise DataError(
            f"out of memory while ingesting {', '.join(paths[:3])}"
            + (" …" if len(paths) > 3 else ""),
            hint=f"lower store.batch_rows (now {config.store.batch_rows:,}) so that one batch "
            "fits in memory, or give the process more memory; then re-run (a run is all or "
            "nothing, and rows already stored are skipped)",
        ) from None
    return result


def _unwritable(layout: StoreLayout, exc: OSError) -> DataError:
    """The error for a store that cannot be written: read-only, or a path of the wrong kind."""
    where = f" ({exc.filename})" if exc.filename else ""
    return DataError(
        f"cannot write to the store {layout.root}: {exc.strerror or exc}{where}",
        hint="the store, its _staging folder and its .lock file must be directories and a "
        "file mlmon may write; check the path and its permissions (nothing was written)",
    )


def _check_columns(
    source: Source, columns: list[Column], labels: bool
) -> tuple[list[str], list[str]]:
    """Refuse a source that lacks a required column; return (missing optional, ignored)."""
    offered = source_columns(source)
    wanted = {c.name for c in columns}
    missing = [c for c in columns if c.name not in offered]
    required = [c for c in missing if c.required]
    if required:
        listed = ", ".join(f"{c.name!r} ({c.role})" for c in required)
        found = ", ".join(_printable(c) for c in offered[:20]) + (" …" if len(offered) > 20 else "")
        what = "label" if labels else "prediction"
        raise DataError(
            f"{source.name}: missing required column(s) {listed}; the file has: {found}",
            hint=f"map the {what} log's columns in the config's `schema` section"
            + ("" if len(offered) > 1 else f", or check that the file really is {source.format}"),
        )
    return [c.name for c in missing], [c for c in offered if c not in wanted]


def _printable(name: str) -> str:
    """A column name safe to print: control characters escaped, long names cut."""
    text = name if name.isprintable() else repr(name)[1:-1]
    return text if len(text) <= 40 else text[:39] + "…"


Plan = tuple[Source, tuple[list[str], list[str]]]
"""A checked source with its (missing optional, ignored) columns."""


@dataclass(frozen=True)
class _Checked:
    """A batch's valid rows split by what the store already holds for their ids."""

    fresh: pl.DataFrame
    """Rows to write: new ids, and label corrections under ``label_updates: replace``."""
    repeats: int
    """Rows equal to the stored row (or label): skipped as duplicates."""
    conflicts: pl.DataFrame
    """Rows to quarantine, with their REASON."""
    updates: pl.DataFrame
    """Audit records of the replaced labels."""
    ignored: int
    """Differing labels left out under ``label_updates: keep_first``."""


@dataclass
class _Run:
    """One ingest run: what it writes to, and the result it fills in."""

    config: Config
    table: Table
    columns: list[Column]
    result: IngestResult
    started: dt.datetime
    progress: Progress | None
    last_stamp: dt.datetime | None = None
    """The staging time of the previous label batch (see :meth:`_stamp`)."""
    sources: dict[str, Source] = field(default_factory=dict)
    """The run's sources by name (as in its file reports)."""

    def __post_init__(self) -> None:
        self.layout = StoreLayout(self.config.store.path)
        self.id_col = self.columns[0].name
        self.ts_col = self.columns[2].name if self.table == "labels" else self.columns[1].name

    def execute(self, plans: list[Plan], staging_root: Path) -> None:
        """Read, validate and stage every source; commit unless this is a dry run."""
        try:
            staged = StagedWrite(self.layout, staging_root)
        except OSError as exc:
            raise _unwritable(self.layout, exc) from exc
        committed = False
        try:
            self._stage_all(plans, staged)
            if self.result.dry_run:
                if staged.rows_quarantined:
                    target = staged.side_target("quarantine", self.started)
                    self.result.quarantine_path = str(target)
                return
            try:
                staged.check_targets(self.started)
            except OSError as exc:
                raise _unwritable(self.layout, exc) from exc
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
                self.result.quarantine_path = str(sides["quarantine"])
            if "label_updates" in sides:
                self.result.label_updates_path = str(sides["label_updates"])
            self._record()
        finally:
            if not committed:
                staged.discard()

    def _record(self) -> None:
        """Append each committed file to the manifest; the rows are in already."""
        for report in self.result.files:
            if report.already_ingested_at is None:
                line = _manifest_line(self.table, report, self.started)
                try:
                    append_line_durably(self.layout.manifest, json.dumps(line))
                except OSError as exc:
                    raise DataError(
                        f"{self.result.rows_written:,} rows WERE committed to the store "
                        f"{self.layout.root}, but its manifest {self.layout.manifest} could not "
                        f"be updated ({exc.strerror or exc}); re-running the same ingest is "
                        "safe: its rows are skipped as duplicates",
                        hint="fix the cause (space, permissions); until the manifest has the "
                        "file, a re-run reads it again instead of skipping it whole",
                    ) from exc

    def _stage_all(self, plans: list[Plan], staged: StagedWrite) -> None:
        seen = _manifest(self.layout)
        days: set[dt.date] = set()
        with ThreadPoolExecutor(max_workers=1) as hasher:
            digests: list[Future[str]] = [hasher.submit(_sha256, s.path) for s, _ in plans]
            for (source, (missing, ignored)), digest in zip(plans, digests, strict=True):
                report = FileReport(
                    source.name,
                    source.format,
                    "",
                    missing_optional_columns=missing,
                    ignored_columns=ignored,
                )
                self.result.files.append(report)
                self.sources[report.path] = source
                report.sha256 = digest.result()
                if (self.table, report.sha256) in seen:
                    report.already_ingested_at = seen[(self.table, report.sha256)]
                    continue
                days |= self._stage_source(source, report, staged)
        self.result.partitions = sorted(d.isoformat() for d in days)
        if self.table == "labels":
            self.result.unmatched_labels = _address_labels(
                self.config, staged, lambda bad: self._early_labels(bad, staged)
            )

    def _stage_source(
        self, source: Source, report: FileReport, staged: StagedWrite
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
            checked = self._against_stored(staged, good)
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
                checked.fresh.with_columns(pl.lit(len(self.result.files) - 1).alias(_SOURCE))
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
        for (index,), rows in bad.sort(_SOURCE, ROW).partition_by(_SOURCE, as_dict=True).items():
            assert isinstance(index, int)
            report = self.result.files[index]
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

    def _against_stored(self, staged: StagedWrite, good: pl.DataFrame) -> _Checked:
        """Split ``good`` by what the store (and this run's staged files) hold for its ids.

        A row whose id is not stored is fresh. A prediction equal to the stored one is a
        harmless repeat; one that differs is a conflict (quarantined: a request's logged
        outputs do not change). A label equal to the latest stored label is a repeat; one that
        differs is a correction, handled as ``store.label_updates`` says: ``replace`` (stored,
        with an audit record of the old value), ``keep_first`` (left out, counted) or
        ``quarantine``. Predictions are looked up only in the date partitions and the time
        range the batch touches (a request's timestamp does not change when it is re-sent);
        labels, which may arrive on any day, in the whole labels table.
        """
        nothing = good.clear()
        if good.height == 0:
            return _Checked(good, 0, nothing, nothing, 0)
        table, id_col, ts_col = self.table, self.id_col, self.ts_col
        days = None
        if table == "predictions":
            days = good.get_column(ts_col).dt.date().unique().to_list()
        files = self.layout.files(table, days=days) + staged.staged_files(table, days)
        if not files:
            return _Checked(good, 0, nothing, nothing, 0)
        ids = good.get_column(id_col)
        scan = scan_files(self.config, table, files)
        names = [c.name for c in self.columns]
        if table == "predictions":
            # The same request has the same timestamp, so only rows in this batch's time range
            # can match; Parquet min/max statistics then skip most files and row groups unread.
            ts = good.get_column(ts_col)
            scan = scan.filter(pl.col(ts_col).is_between(ts.min(), ts.max()))
            compared = [n for n in names if n != id_col]
            select = names
        else:
            compared = [self.columns[1].name]  # the label; a re-sent label time is no change
            select = [*names, INGESTED]
        if table == "labels":
            # A null label (stored by mlmon before it refused them) is no label: it neither
            # makes the real one a duplicate nor is it "corrected" by it.
            scan = scan.filter(pl.col(self.columns[1].name).is_not_null())
        with reading(files):
            matched = scan.select(id_col).filter(pl.col(id_col).is_in(ids.implode())).collect()
        if matched.height == 0:  # the usual case: read only the id column
            return _Checked(good, 0, nothing, nothing, 0)
        found = matched.get_column(id_col).unique()
        with reading(files):
            stored = scan.select(select).filter(pl.col(id_col).is_in(found.implode())).collect()
        if table == "labels":
            stored = stored.sort(INGESTED, nulls_last=False, maintain_order=True)
        stored = stored.unique(id_col, keep="last", maintain_order=True)
        suffix = "__stored"
        joined = good.join(
            stored.with_columns(pl.lit(True).alias("__found")),
            on=id_col,
            how="left",
            suffix=suffix,
            maintain_order="left",
        )
        marked = joined.with_columns(
            pl.col("__found").fill_null(False),
            pl.concat_list(
                pl.when(~pl.col(c).eq_missing(pl.col(f"{c}{suffix}"))).then(pl.lit(c))
                for c in compared
            )
            .list.drop_nulls()
            .alias("__changed"),
        )
        fresh = marked.filter(~pl.col("__found"))
        repeats = marked.filter(pl.col("__found") & (pl.col("__changed").list.len() == 0))
        changed = marked.filter(pl.col("__found") & (pl.col("__changed").list.len() > 0))
        keep = good.columns
        if table == "predictions":
            conflicts = changed.with_columns(
                pl.format(
                    "{}: id {} is already stored with other values ({}); a re-sent "
                    "prediction must equal the stored one",
                    pl.lit(id_col),
                    quoted(pl.col(id_col)),
                    pl.col("__changed").list.join(", "),
                ).alias(REASON)
            )
            return _Checked(fresh.select(keep), repeats.height, conflicts, nothing, 0)
        label = self.columns[1].name
        policy = self.config.store.label_updates
        if policy == "quarantine":
            conflicts = changed.with_columns(
                pl.format(
                    "{}: the label of {} {} differs from the stored label {} "
                    "(store.label_updates is 'quarantine')",
                    pl.lit(label),
                    pl.lit(id_col),
                    quoted(pl.col(id_col).cast(pl.String)),
                    pl.col(f"{label}{suffix}").cast(pl.String),
                ).alias(REASON)
            )
            return _Checked(fresh.select(keep), repeats.height, conflicts, nothing, 0)
        if policy == "keep_first":
            return _Checked(fresh.select(keep), repeats.height, nothing, nothing, changed.height)
        updates = changed.select(
            pl.col(id_col),
            pl.col(f"{label}{suffix}").alias("old_label"),
            pl.col(label).alias("new_label"),
            pl.col(f"{ts_col}{suffix}").alias("old_label_timestamp"),
            pl.col(ts_col).alias("new_label_timestamp"),
        )
        replaced = pl.concat([fresh.select(keep), changed.select(keep)]).sort(ROW)
        return _Checked(replaced, repeats.height, nothing, updates, 0)

    def _set_aside(
        self,
        source: Source,
        report: FileReport,
        bad: pl.DataFrame,
        staged: StagedWrite,
        last_row: int,
    ) -> None:
        """Quarantine invalid rows, or refuse the run under ``on_invalid: reject``."""
        report.rows_rejected += bad.height
        examples = self.result.reject_examples
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


_ADDRESS_CHUNK = 1_000_000
"""Label ids looked up per scan of the predictions' id column: bounds the lookup's memory."""


_SOURCE = "__mlmon_source"
"""Staged labels carry the index of their source file (and their ROW) until addressed."""
_PREDICTED_AT = "__mlmon_predicted_at"


def _address_labels(
    config: Config, staged: StagedWrite, reject: Callable[[pl.DataFrame], None]
) -> int:
    """Store with every label staged in this run the address of its prediction
    (:mod:`mlmon.store.address`); return how many have no stored prediction (kept, with a
    null address, and reported).

    A label whose time is more than ``store.max_future`` before its prediction's time cannot
    be right (a label is known after the request; clocks disagree by less): it is handed to
    ``reject`` (with ROW, REASON, the source index and the label columns) and not stored.

    The run's label ids are looked up in chunks of ``_ADDRESS_CHUNK`` with an ``is_in``
    filter over the predictions' id column, so memory is bounded by the chunk, not by the
    number of labels or predictions (one anti-join of 10M labels took 1.8 GB). The staged
    files are rewritten with the addresses before the commit, so they land whole.
    """
    id_col = config.schema_.id
    unmatched = 0
    chunk: list[Path] = []
    size = 0

    s = config.schema_
    label, label_ts = s.label, s.label_timestamp or "label_timestamp"
    slack = pl.duration(seconds=config.store.max_future)
    early = (pl.col(label_ts) < pl.col(_PREDICTED_AT) - slack).fill_null(False)
    shown = "%Y-%m-%d %H:%M:%S"
    reason = pl.format(
        "{}: {} is more than {} before its prediction ({}; store.max_future)",
        pl.lit(label_ts),
        pl.col(label_ts).dt.strftime(shown),
        pl.lit(duration_text(config.store.max_future)),
        pl.col(_PREDICTED_AT).dt.strftime(shown),
    ).alias(REASON)

    def place(paths: list[Path]) -> int:
        frames = [pl.read_parquet(p) for p in paths]
        ids = pl.concat([f.get_column(id_col) for f in frames])
        found = locate(config, ids, [s.timestamp]).rename({s.timestamp: _PREDICTED_AT})
        missing = 0
        for path, frame in zip(paths, frames, strict=True):
            addressed = frame.join(found, on=id_col, how="left", maintain_order="left")
            too_early = addressed.filter(early)
            if too_early.height:
                reject(too_early.select(ROW, reason, _SOURCE, id_col, label, label_ts))
                addressed = addressed.filter(~early)
            addressed = addressed.drop(ROW, _SOURCE, _PREDICTED_AT)
            missing += addressed.get_column(address.FILE).null_count()
            # In the order of their predictions, so a read places them with near-sequential
            # writes (scattering 10M labels in random order took 3x as long).
            staged.rewrite(path, addressed.sort(address.FILE, address.ROW, nulls_last=True))
        return missing

    for path in staged.staged_files("labels"):
        chunk.append(path)
        size += pl.scan_parquet(path).select(pl.len()).collect().item()
        if size >= _ADDRESS_CHUNK:
            unmatched += place(chunk)
            chunk, size = [], 0
    if chunk:
        unmatched += place(chunk)
    return unmatched


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _manifest(layout: StoreLayout) -> dict[tuple[str, str], str]:
    """(table, sha256) → when, for every input file already committed."""
    seen: dict[tuple[str, str], str] = {}
    if layout.manifest.is_symlink():
        raise DataError(
            f"{layout.manifest}: is a symlink; mlmon reads and writes only files inside the store",
            hint="replace the link with the file it points to",
        )
    if layout.manifest.is_file():
        for n, raw in enumerate(layout.manifest.read_bytes().splitlines(), 1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw.decode("utf-8"))
                seen[(entry["table"], entry["sha256"])] = entry["ingested_at"]
            except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DataError(
                    f"{layout.manifest}: line {n} is not a valid manifest entry ({exc})",
                    hint="the file is append-only; remove the damaged line to continue "
                    "(the store's Parquet files are unaffected)",
                ) from exc
    return seen


def _manifest_line(table: Table, report: FileReport, started: dt.datetime) -> dict[str, Any]:
    return {
        "table": table,
        "sha256": report.sha256,
        "path": report.path,
        "ingested_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": socket.gethostname(),
        "rows_read": report.rows_read,
        "rows_written": report.rows_written,
        "rows_rejected": report.rows_rejected,
    }
