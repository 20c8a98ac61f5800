"""Split a text log (CSV, JSON Lines) into chunks of whole records, pulled one at a time.

Why by hand: polars' ``collect_batches`` reads ahead of a slow consumer, so memory grows with
the file (pola-rs/polars#26952). Cutting the memory-mapped bytes ourselves and parsing each
chunk with polars' parallel parser keeps memory bounded by the chunk size.

A newline ends a CSV record only outside quotes: in RFC 4180 text a quote inside a field is
doubled, so a newline is a record boundary exactly when the number of ``"`` before it, counted
from a record boundary, is even. JSON Lines records never contain a raw newline.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

_SAMPLE_BYTES = 1 << 20
_MIN_CHUNK_BYTES = 1 << 20


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


def record_chunks(path: Path, rows: int, quoted: bool, skip_header: bool) -> Iterator[bytes]:
    """Yield chunks of about ``rows`` whole records of the file at ``path``.

    The chunk size in bytes is estimated from the first megabyte. Plain reads, not mmap: a
    mapped file's pages count as the process's memory until it ends.
    """
    with open(path, "rb") as fh:
        head = fh.read(_SAMPLE_BYTES)
        pos = first_boundary(head, quoted) if skip_header else 0
        sample = head[pos:]
        per_row = len(sample) / max(1, sample.count(b"\n"))
        size = max(_MIN_CHUNK_BYTES, int(rows * per_row))
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
                more = fh.read(size)  # a record longer than a chunk: widen until it ends
                if not more:
                    cut = len(buf)
                    break
                buf += more
            yield buf if cut == len(buf) else buf[:cut]
            pos += cut
