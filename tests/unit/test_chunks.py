"""Cutting text logs into chunks of whole records, and prefetching them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlmon.store import chunks
from mlmon.store.chunks import last_boundary, record_chunks
from mlmon.store.prefetch import prefetch

_FIELD = st.text(alphabet=st.sampled_from(list('ab,"\n x')), max_size=8)


def _csv(rows: list[list[str]]) -> bytes:
    frame = pl.DataFrame(
        {f"c{i}": [r[i] for r in rows] for i in range(3)},
        schema={f"c{i}": pl.String for i in range(3)},
    )
    buf = io.BytesIO()
    frame.write_csv(buf)
    return buf.getvalue()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(_FIELD, min_size=3, max_size=3), min_size=1, max_size=60),
    rows_per_chunk=st.integers(1, 7),
)
def test_chunks_hold_whole_records_and_concatenate_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[list[str]], rows_per_chunk: int
) -> None:
    monkeypatch.setattr(chunks, "_MIN_CHUNK_BYTES", 16)  # force many small chunks
    data = _csv(rows)
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    header_end = chunks.first_boundary(data, quoted=True)
    pieces = list(record_chunks(path, rows_per_chunk, quoted=True, skip_header=True))
    assert b"".join(pieces) == data[header_end:]
    schema = {f"c{i}": pl.String for i in range(3)}
    parsed = [pl.read_csv(p, has_header=False, schema=schema) for p in pieces]
    assert pl.concat(parsed).equals(pl.read_csv(data, schema=schema))


def test_a_newline_inside_quotes_is_not_a_boundary() -> None:
    data = b'1,"multi\nline",3\n4,5,6\n'
    assert last_boundary(data, 0, len(data) - 1, quoted=True) == 17
    assert last_boundary(data, 0, 12, quoted=True) == 0


def test_prefetch_reraises_producer_errors_in_the_consumer() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("bad chunk")

    got = []
    with pytest.raises(ValueError, match="bad chunk"):
        for item in prefetch(broken()):
            got.append(item)
    assert got == [1]


def test_prefetch_stops_the_producer_when_the_consumer_stops() -> None:
    produced = []

    def endless() -> Iterator[int]:
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    it = prefetch(endless())
    assert next(it) == 0
    it.close()  # joins the worker: it must notice and stop
    assert len(produced) <= 4
