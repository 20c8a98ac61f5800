"""Read prediction and label logs (CSV, JSON Lines, Parquet; ``-`` = stdin) in batches.

Every value arrives as text from CSV and JSON Lines (so one coercion path handles both) and
with its own type from Parquet. Batches bound memory: no file is loaded whole.
"""

from __future__ import annotations

import csv
import errno
import io
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from mlmon.errors import DataError
from mlmon.store.chunks import (
    MAX_CHUNK_BYTES,
    MAX_RECORD_BYTES,
    RecordTooLong,
    Truncated,
    first_boundary,
    record_chunks,
)
from mlmon.store.columns import Column
from mlmon.store.prefetch import prefetch
from mlmon.store.validate import ROW

Format = Literal["csv", "jsonl", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl", "parquet")
_EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_FORMAT_HINT = "name the file .csv, .jsonl/.ndjson or .parquet, or pass --format csv|jsonl|parquet"
_JSONL_SAMPLE_ROWS = 1000
_JSONL_SAMPLE_BYTES = 8 << 20
MAX_COLUMNS = 10_000
_HEADER_BYTES = 1 << 20
"""More columns than any log needs: a wider file is refused before it is parsed."""


@dataclass(frozen=True)
class Source:
    """One input file: where to read it, what to call it in messages, and its format."""

    path: Path
    name: str
    format: Format


def resolve_source(arg: str, fmt: Format | None, spool_dir: Path) -> Source:
    """Check one PATH argument; ``-`` copies stdin to ``spool_dir`` first (format sniffed)."""
    if arg == "-":
        target = spool_dir / "stdin"
        stdin = sys.stdin.buffer if sys.stdin is not None else None
        if stdin is None or stdin.closed:
            raise DataError(
                "<stdin>: standard input is closed",
                hint="pipe the log into `mlmon ingest -`, or pass the file's path",
            )
        try:
            with open(target, "wb") as out:
                shutil.copyfileobj(stdin, out, 1 << 20)
        except OSError as exc:
            raise DataError(
                f"<stdin>: cannot read standard input ({exc.strerror or exc})",
                hint="pipe the log into `mlmon ingest -`, or pass the file's path",
            ) from exc
        return Source(target, "<stdin>", fmt or _sniff(target))
    path = Path(arg)
    if not path.exists():
        raise DataError(f"{arg}: no such file", hint="check the path; use - to read stdin")
    if not path.is_file():
        raise DataError(f"{arg}: not a regular file", hint="pass files, not directories")
    if fmt is None:
        suffix = path.suffix.lower()
        if suffix not in _EXTENSIONS:
            raise DataError(
                f"{arg}: unknown file type {suffix or '(no extension)'!r}", hint=_FORMAT_HINT
            )
        fmt = _EXTENSIONS[suffix]
    return Source(path, arg, fmt)


def _sniff(path: Path) -> Format:
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        return "parquet"
    if head.lstrip()[:1] == b"{":
        return "jsonl"
    return "csv"


def source_columns(source: Source) -> list[str]:
    """Column names a source offers (CSV header, keys of the first JSON rows, Parquet schema)."""
    if source.path.stat().st_size == 0:
        raise DataError(
            f"{source.name}: the file is empty", hint="nothing to ingest; check the producer"
        )
    if source.format != "parquet":
        with open(source.path, "rb") as fh:
            head = fh.read(8192)
        if b"\x00" in head:
            kind = "Parquet" if head.startswith(b"PAR1") else "binary"
            raise DataError(
                f"{source.name}: holds {kind} data, not {source.format} text",
                hint="pass the right file, or --format parquet if it is Parquet",
            )
    if source.format == "csv":
        _check_header(source)
    try:
        if source.format == "csv":
            names = list(pl.scan_csv(source.path, infer_schema=False).collect_schema().names())
        elif source.format == "jsonl":
            sample = pl.read_ndjson(io.BytesIO(_jsonl_head(source.path)), infer_schema_length=None)
            names = list(sample.columns)
        else:
            names = list(pl.scan_parquet(source.path).collect_schema().names())
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise _unreadable(source, exc) from exc
    if len(names) > MAX_COLUMNS:
        raise _too_wide(source, f"{len(names):,} columns")
    return names


def check_columns(
    source: Source, columns: list[Column], labels: bool
) -> tuple[list[str], list[str]]:
    """Refuse a source that lacks a required column; return (missing optional, ignored)."""
    offered = source_columns(source)
    wanted = {c.name for c in columns}
    missing = [c for c in columns if c.name not in offered]
    required = [c for c in missing if c.required]
    if required:
        listed = ", ".join(f"{c.name!r} ({c.role})" for c in required)
        found = ", ".join(printable(c) for c in offered[:20]) + (" …" if len(offered) > 20 else "")
        what = "label" if labels else "prediction"
        raise DataError(
            f"{source.name}: missing required column(s) {listed}; the file has: {found}",
            hint=f"map the {what} log's columns in the config's `schema` section"
            + ("" if len(offered) > 1 else f", or check that the file really is {source.format}"),
        )
    return [c.name for c in missing], [c for c in offered if c not in wanted]


def printable(name: str) -> str:
    """A column name safe to print: control characters escaped, long names cut."""
    text = name if name.isprintable() else repr(name)[1:-1]
    return text if len(text) <= 40 else text[:39] + "…"


def _check_header(source: Source) -> None:
    """Refuse a CSV header wider than :data:`MAX_COLUMNS` before polars parses it (a header
    of millions of names is itself gigabytes to parse)."""
    with open(source.path, "rb") as fh:
        head = fh.read(_HEADER_BYTES)
    end = first_boundary(head, quoted=True)
    if end == len(head) and len(head) == _HEADER_BYTES:  # no end of the header in sight
        raise _too_wide(source, f"a header longer than {_HEADER_BYTES >> 20} MiB")
    fields = next(csv.reader(io.StringIO(head[:end].decode("utf-8", errors="replace"))), [])
    if len(fields) > MAX_COLUMNS:
        raise _too_wide(source, f"{len(fields):,} columns")


def _too_wide(source: Source, what: str) -> DataError:
    return DataError(
        f"{source.name}: {what}; mlmon reads at most {MAX_COLUMNS:,} columns",
        hint="keep only the columns the config's `schema` names (for example with "
        "`cut` or polars), then ingest that file",
    )


def _jsonl_head(path: Path) -> bytes:
    """The first lines of a JSON Lines file, for its keys: at most ``_JSONL_SAMPLE_ROWS``
    lines and about ``_JSONL_SAMPLE_BYTES`` (one line however long, up to the record limit)."""
    lines: list[bytes] = []
    size = 0
    with open(path, "rb") as fh:
        while len(lines) < _JSONL_SAMPLE_ROWS and size < _JSONL_SAMPLE_BYTES:
            line = fh.readline(MAX_RECORD_BYTES + 1)
            if not line:
                break
            if len(line) > MAX_RECORD_BYTES:
                raise RecordTooLong(
                    f"line {len(lines) + 1} is longer than {MAX_RECORD_BYTES >> 20} MiB"
                )
            if line.strip():
                lines.append(line if line.endswith(b"\n") else line + b"\n")
                size += len(line)
    return b"".join(lines)


@dataclass(frozen=True)
class RawBatch:
    """Rows of a source as read, before validation."""

    frame: pl.DataFrame
    """ROW (1-based) and every configured column the source has."""
    nul_free: bool = False
    """The source bytes of these rows hold no NUL character (so validation need not look)."""


def read_batches(source: Source, columns: list[Column], batch_rows: int) -> Iterator[RawBatch]:
    """Yield batches of at most ``batch_rows`` rows holding ROW (1-based) and every column of
    ``columns`` that the source has; the caller adds the optional ones it lacks."""
    offered = set(source_columns(source))
    names = [c.name for c in columns if c.name in offered]
    try:
        if source.format == "parquet":
            yield from prefetch(_parquet_batches(source.path, names, batch_rows))
        else:
            yield from prefetch(_text_batches(source, names, batch_rows))
    except Truncated as exc:
        raise DataError(
            f"{source.name}: the file ends inside a record (truncated?): {exc}",
            hint="the copy may be incomplete or the producer still writing; ingest the whole "
            "file (nothing was written)",
        ) from exc
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise _unreadable(source, exc) from exc


def _text_batches(source: Source, names: list[str], batch_rows: int) -> Iterator[RawBatch]:
    """CSV and JSON Lines as all-text frames, one chunk of whole records at a time.

    A NUL is looked for in the chunk's bytes (a memchr, about 100 times cheaper than looking
    in every value); JSON may also escape it."""
    offset = 1
    is_csv = source.format == "csv"
    header = source_columns(source) if is_csv else []
    text_schema = {n: pl.String for n in (header if is_csv else names)}
    fields = len(header) if is_csv else None
    for chunk in record_chunks(
        source.path, batch_rows, quoted=is_csv, skip_header=is_csv, fields=fields
    ):
        if is_csv:
            frame = pl.read_csv(chunk, has_header=False, schema=text_schema).select(names)
        else:
            frame = pl.read_ndjson(chunk, schema=text_schema)
        if frame.height == 0:
            continue
        nul_free = b"\x00" not in chunk and (is_csv or b"\\u0000" not in chunk)
        yield RawBatch(_numbered(frame, offset, names), nul_free)
        offset += frame.height


def _numbered(frame: pl.DataFrame, offset: int, names: list[str]) -> pl.DataFrame:
    return frame.with_columns(
        pl.int_range(offset, offset + frame.height, dtype=pl.Int64).alias(ROW)
    ).select(ROW, *names)


def _parquet_batches(path: Path, names: list[str], batch_rows: int) -> Iterator[RawBatch]:
    """One slice at a time: polars pushes the slice down to the pages it needs, so memory is
    bounded by the batch, not by the row group or the file (pyarrow's ``iter_batches`` kept
    about twice as much at 10M rows in bench/ingest).

    A slice is also cut by bytes, as text chunks are: a few KB of Parquet can hold gigabytes
    of repeated long strings (dictionary encoding), so each slice's rows are sized from the
    size in memory of the slice before (the first from a small probe).
    """
    total = pl.scan_parquet(path).select(pl.len()).collect().item()
    probe = pl.scan_parquet(path).select(names).slice(0, min(batch_rows, 100)).collect()
    rows = _rows_within(probe, batch_rows)
    offset = 0
    while offset < total:
        frame = pl.scan_parquet(path).select(names).slice(offset, rows).collect()
        yield RawBatch(_numbered(frame, offset + 1, names))
        offset += frame.height
        rows = _rows_within(frame, batch_rows)


def _rows_within(sample: pl.DataFrame, batch_rows: int) -> int:
    """Rows like ``sample``'s that fit in a chunk's bytes, at most ``batch_rows``."""
    if sample.height == 0:
        return batch_rows
    per_row = max(1.0, sample.estimated_size() / sample.height)
    return max(1, min(batch_rows, int(MAX_CHUNK_BYTES / per_row)))


def out_of_memory(exc: BaseException) -> bool:
    """Is ``exc`` an allocation failure (ENOMEM from the OS, or polars reporting one)?"""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, OSError) and exc.errno == errno.ENOMEM:
        return True
    text = str(exc).lower()
    return any(m in text for m in ("os error 12", "cannot allocate memory", "out of memory"))


def _unreadable(source: Source, exc: BaseException) -> DataError | MemoryError:
    """The error for a source that cannot be read (a MemoryError when memory ran out: the
    caller reports that with its own advice)."""
    if out_of_memory(exc):
        return MemoryError(str(exc))
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(
        f"{source.name}: cannot read as {source.format}: {detail}",
        hint="the file may be truncated or corrupt, or not "
        + source.format
        + "; check it, or pass --format if the extension is wrong",
    )
