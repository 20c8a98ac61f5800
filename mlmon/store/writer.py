"""Staged, all-or-nothing writes into the log store.

An ingest writes every output file under ``_staging/<run>/`` first (each fsynced), and only
when every input has been read and validated does :meth:`StagedWrite.commit` rename them into
their partitions. Readers never look in ``_staging``, so until the commit the store is exactly
as it was; an error, Ctrl-C or SIGKILL before it leaves nothing behind but a staging folder
that the next writer removes. Each rename is atomic, so a kill *during* the commit leaves some
whole files in place and no partial rows; re-running the ingest completes it, because rows
are deduplicated on the id.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import polars as pl

from mlmon.errors import DataError
from mlmon.fsutil import TMP_PREFIX, fsync_dir, fsync_file
from mlmon.store.layout import PARTITION_KEY, Side, StoreLayout, Table
from mlmon.store.readers import out_of_memory

PARQUET_COMPRESSION: Literal["zstd"] = "zstd"


class StagedWrite:
    """The files one ingest run will add to the store, held in a staging folder."""

    def __init__(self, layout: StoreLayout, staging_root: Path) -> None:
        self.layout = layout
        self.run_id = uuid.uuid4().hex[:12]
        self.dir = staging_root / self.run_id
        self.dir.mkdir(parents=True)
        self._staged: dict[tuple[Table, dt.date], list[Path]] = {}
        self._side_parts: dict[Side, list[Path]] = {}
        # One background writer: compressing and fsyncing batch k overlaps reading and
        # validating batch k+1 (polars releases the GIL while it writes).
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlmon-writer")
        self._pending: list[Future[None]] = []

    def add(
        self,
        table: Table,
        frame: pl.DataFrame,
        timestamp_col: str,
        metadata: dict[str, str] | None = None,
    ) -> list[dt.date]:
        """Stage ``frame`` split into one file per UTC date of ``timestamp_col``, with the
        Parquet key-value ``metadata``.

        The files are written in the background; :meth:`flush` waits for them.
        """
        if frame.height == 0:
            return []
        days: list[dt.date] = []
        dated = frame.with_columns(pl.col(timestamp_col).dt.date().alias("__mlmon_day"))
        for (day,), part in dated.partition_by("__mlmon_day", as_dict=True).items():
            assert isinstance(day, dt.date)
            target = self.dir / table / f"{PARTITION_KEY}={day.isoformat()}"
            target.mkdir(parents=True, exist_ok=True)
            path = target / f"part-{self.run_id}-{uuid.uuid4().hex[:8]}.parquet"
            part = part.drop("__mlmon_day")
            self._pending.append(self._writer.submit(_write, part, path, metadata))
            self._staged.setdefault((table, day), []).append(path)
            days.append(day)
        return days

    def flush(self) -> None:
        """Wait until every staged file is written; raise the first write error."""
        pending, self._pending = self._pending, []
        errors = [f.exception() for f in pending]
        for error in errors:
            if error is not None and out_of_memory(error):
                raise MemoryError(str(error)) from error
            if error is not None:
                raise DataError(
                    f"cannot write to the store under {self.dir}: {error}",
                    hint="check free space and permissions of the store directory; "
                    "nothing was committed",
                ) from error

    def staged_files(self, table: Table, days: list[dt.date] | None = None) -> list[Path]:
        """Files staged so far for ``table`` (on ``days`` only, when given), all written."""
        self.flush()
        return [
            p
            for (t, day), paths in self._staged.items()
            if t == table and (days is None or day in days)
            for p in paths
        ]

    def rewrite(self, path: Path, frame: pl.DataFrame) -> None:
        """Replace the staged file ``path`` with ``frame`` (atomically: the file is whole
        before and after)."""
        if path.parent == self.dir or self.dir not in path.parents:
            raise ValueError(f"{path} is not a staged data file of this run")
        if frame.height == 0:  # every row was set aside: the file goes
            for paths in self._staged.values():
                if path in paths:
                    paths.remove(path)
            path.unlink()
            return
        partial = path.with_name(f"{TMP_PREFIX}{path.name}")
        _write(frame, partial)
        os.replace(partial, path)

    def add_quarantine(self, frame: pl.DataFrame) -> None:
        """Stage rejected rows (all text columns plus source, row and reason)."""
        self._add_side("quarantine", frame)

    def add_label_updates(self, frame: pl.DataFrame) -> None:
        """Stage the audit records of replaced labels (id, old and new label and times)."""
        self._add_side("label_updates", frame)

    def _add_side(self, kind: Side, frame: pl.DataFrame) -> None:
        if frame.height:
            parts = self._side_parts.setdefault(kind, [])
            path = self.dir / kind / f"part-{len(parts):05d}.parquet"
            path.parent.mkdir(exist_ok=True)
            _write(frame, path)
            parts.append(path)

    def drop_side_rows(self, kind: Side, keys: pl.DataFrame) -> int:
        """Remove the staged ``kind`` records that match a row of ``keys`` on all its
        columns; return how many were removed."""
        removed = 0
        parts = self._side_parts.get(kind, [])
        for path in list(parts):
            frame = pl.read_parquet(path)
            kept = frame.join(keys, on=keys.columns, how="anti", nulls_equal=True)
            if kept.height == frame.height:
                continue
            removed += frame.height - kept.height
            if kept.height:
                partial = path.with_name(f"{TMP_PREFIX}{path.name}")
                _write(kept, partial)
                os.replace(partial, path)
            else:  # no record left: no side file for it
                parts.remove(path)
                path.unlink()
        if not parts:
            self._side_parts.pop(kind, None)
        return removed

    @property
    def rows_quarantined(self) -> bool:
        return bool(self._side_parts.get("quarantine"))

    def side_target(self, kind: Side, started: dt.datetime) -> Path:
        """Where the run's ``quarantine`` (or ``label_updates``) file lands at the commit."""
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        return self.layout.side_dir(kind) / f"{stamp}-{self.run_id}.parquet"

    def commit(self, started: dt.datetime) -> dict[Side, Path]:
        """Move every staged file into place; return the run's side files (its quarantine
        and label-update audit files), by kind."""
        self.flush()
        self.check_targets(started)
        touched: set[Path] = set()
        for (table, day), paths in sorted(self._staged.items()):
            final_dir = self.layout.partition_dir(table, day)
            if not final_dir.exists():
                final_dir.mkdir(parents=True)
                touched.add(final_dir.parent)
            for path in paths:
                os.rename(path, final_dir / path.name)
            touched.add(final_dir)
        sides: dict[Side, Path] = {}
        for kind, parts in sorted(self._side_parts.items()):
            target = self.side_target(kind, started)
            target.parent.mkdir(parents=True, exist_ok=True)
            merged = self.dir / f"{kind}.parquet"
            _write(pl.concat([pl.read_parquet(p) for p in parts], how="diagonal_relaxed"), merged)
            os.rename(merged, target)
            touched.add(target.parent)
            sides[kind] = target
        for directory in sorted(touched):
            fsync_dir(directory)
        self.discard()
        return sides

    def check_targets(self, started: dt.datetime) -> None:
        """Raise OSError if a directory the commit moves files into is a symlink (checked
        before anything moves: a refused commit is no partial commit)."""
        partitions = {self.layout.partition_dir(table, day) for table, day in self._staged}
        refuse_symlinks(
            *{p.parent for p in partitions},
            *partitions,
            *(self.side_target(kind, started).parent for kind in self._side_parts),
        )

    def discard(self) -> None:
        """Remove the staging folder (after a commit, or to abandon the run)."""
        self._writer.shutdown(wait=True)  # no write may land after the folder is gone
        # Often called while another error propagates, which must not be masked; what is left
        # behind is removed (and any failure raised) by the next writer's clear_stale_staging.
        shutil.rmtree(self.dir, ignore_errors=True)


def _write(frame: pl.DataFrame, path: Path, metadata: dict[str, str] | None = None) -> None:
    # zstd level 1: in bench/ingest about 10% faster than the default level 3 for about 12%
    # larger files; logs are written once, and ingest speed is what a cron job waits on.
    frame.write_parquet(
        path,
        compression=PARQUET_COMPRESSION,
        compression_level=1,
        statistics=True,
        metadata=metadata,
    )
    fsync_file(path)


def refuse_symlinks(*paths: Path) -> None:
    """Raise OSError for any of ``paths`` that is a symlink: a write through it would land
    outside the store (and a lock file is truncated when taken)."""
    for path in paths:
        if path.is_symlink():
            raise OSError(
                errno.ELOOP, "a symlink, which mlmon does not follow in a store", str(path)
            )


def clear_stale_staging(layout: StoreLayout) -> None:
    """Remove what killed runs left in ``_staging``. Call only while holding the store lock."""
    if layout.staging_dir.is_dir():
        for child in layout.staging_dir.iterdir():
            shutil.rmtree(child)  # an error here surfaces: the store needs attention


def unwritable(layout: StoreLayout, exc: OSError) -> DataError:
    """The error for a store that cannot be written: read-only, or a path of the wrong kind."""
    where = f" ({exc.filename})" if exc.filename else ""
    return DataError(
        f"cannot write to the store {layout.root}: {exc.strerror or exc}{where}",
        hint="the store, its _staging folder and its .lock file must be directories and a "
        "file mlmon may write; check the path and its permissions (nothing was written)",
    )
