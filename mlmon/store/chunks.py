"""Split a text log (CSV, JSON Lines) into chunks of whole records, pulled one at a time.

Why by hand: polars' ``collect_batches`` reads ahead of a slow consumer, so memory grows with
the file (pola-rs/polars#26952). Cutting the memory-mapped bytes ourselves and parsing each
chunk with polars' parallel parser keeps memory bounded by the chunk size.

A newline ends a CSV record only outside quotes: in RFC 4180 text a quote inside a field is
doubled, so a newline is a record boundary exactly when the number of ``"`` before it, counted
from a record boundary, is even. JSON Lines records never contain a raw newline.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

_SAMPLE_BYTES = 1 << 20
_MIN_CHUNK_BYTES = 1 << 20
MAX_CHUNK_BYTES = 64 << 20
"""Whatever the rows-per-batch estimate says: the first MiB may hold one huge record, and
``batch_rows`` such records would be gigabytes."""
MAX_RECORD_BYTES = 64 << 20
"""A longer record is not a log line: refused rather than read into memory whole."""


class Truncated(ValueError):
    """The file ends inside a record: cut short in transfer, or still being written."""


class RecordTooLong(ValueError):
    """One record is longer than :data:`MAX_RECORD_BYTES`."""


def last_boundary(buf: bytes, start: int, end: int, quoted: bool) -> int:
    """Index just past the last record-ending newline in ``buf[start:end]``, or ``start``
    if there is none. ``start`` must be a record boundary.

    >>> last_boundary(b'a,b\\n1,"x\\ny"\\n2,', 0, 15, quoted=True)
    12
    >>> last_boundary(b'1,"x\\ny', 0, 6, quoted=True)
    0
    """
    stop = end
    while True:
        newline = buf.rfind(b"\n", start, stop)
        if newline < 0:
            return start
        if not quoted or buf.find(b'"', start, newline) < 0:
            return newline + 1
        if buf.count(b'"', start, newline) % 2 == 0:
            return newline + 1
        stop = newline


def first_boundary(buf: bytes, quoted: bool) -> int:
    """Index just past the first record (the CSV header), or ``len(buf)``.

    >>> first_boundary(b'"a\\nb",c\\n1,2\\n', quoted=True)
    8
    """
    start = 0
    while True:
        newline = buf.find(b"\n", start)
        if newline < 0:
            return len(buf)
        if not quoted or buf.count(b'"', 0, newline) % 2 == 0:
            return newline + 1
        start = newline + 1


def record_chunks(
    path: Path, rows: int, quoted: bool, skip_header: bool, fields: int | None = None
) -> Iterator[bytes]:
    """Yield chunks of about ``rows`` whole records of the file at ``path``.

    The chunk size in bytes is estimated from the first megabyte and capped at
    :data:`MAX_CHUNK_BYTES`; a record longer than a chunk widens it up to
    :data:`MAX_RECORD_BYTES` (:class:`RecordTooLong` beyond). The last record must be whole:
    a file that ends inside a quoted field, with fewer than ``fields`` fields (CSV) or inside
    a JSON object raises :class:`Truncated`. Plain reads, not mmap: a mapped file's pages
    count as the process's memory until it ends.
    """
    with open(path, "rb") as fh:
        head = fh.read(_SAMPLE_BYTES)
        pos = first_boundary(head, quoted) if skip_header else 0
        sample = head[pos:]
        per_row = len(sample) / max(1, sample.count(b"\n"))
        size = min(MAX_CHUNK_BYTES, max(_MIN_CHUNK_BYTES, int(rows * per_row)))
        while True:
            fh.seek(pos)
            buf = fh.read(size)
            if not buf:
                return
            while True:
                if len(buf) < size:  # the end of the file: the rest is one chunk
                    cut = len(buf)
                    break
                cut = last_boundary(buf, 0, len(buf), quoted)
                if cut:
                    break
                if len(buf) > MAX_RECORD_BYTES:
                    raise RecordTooLong(
                        f"the record at byte {pos:,} is longer than {MAX_RECORD_BYTES >> 20} MiB"
                    )
                more = fh.read(size)  # a record longer than a chunk: widen until it ends
                if not more:
                    cut = len(buf)
                    break
                buf += more
            if cut == len(buf):
                check_last_record(buf, quoted, fields)
            yield buf if cut == len(buf) else buf[:cut]
            pos += cut


def check_last_record(chunk: bytes, quoted: bool, fields: int | None) -> None:
    """Raise :class:`Truncated` when the file's last chunk ends inside a record.

    A last line without its newline is common and fine when the record is whole; it is cut
    short when a quoted field is still open, when it has fewer than ``fields`` fields (CSV),
    or when it is not a whole JSON value (JSON Lines).

    >>> check_last_record(b'1,2\\n3,4', quoted=True, fields=2)
    >>> check_last_record(b'1,2\\n3', quoted=True, fields=2)
    Traceback (most recent call last):
    ...
    mlmon.store.chunks.Truncated: the last record has 1 of 2 fields
    """
    if not chunk or chunk.endswith(b"\n"):
        return
    tail = chunk[last_boundary(chunk, 0, len(chunk), quoted) :]
    if not quoted:
        try:
            json.loads(tail)
        except ValueError:
            raise Truncated("the last line is not a whole JSON object") from None
        return
    if tail.count(b'"') % 2:
        raise Truncated("the last record ends inside a quoted field")
    if fields is not None:
        text = tail.decode("utf-8", errors="replace")
        found = len(next(csv.reader(io.StringIO(text)), []))
        if found < fields:
            raise Truncated(f"the last record has {found} of {fields} fields")
