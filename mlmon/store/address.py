"""Label addresses: where the prediction a label belongs to is stored.

Joining labels to predictions on a string id at every read costs time and a hash table over
every id. Committed prediction files never change (the store only appends files),
so label ingest looks each label's id up once and stores, beside the label, the position of
its prediction: ``_mlmon_file`` (the file, relative to the store root), ``_mlmon_row`` (the
row within that file) and ``_mlmon_day`` (its date partition, so a read prunes label files
by their statistics). A read then places each label on its row without a join.

A label whose prediction was not stored yet when the label arrived has null address columns,
as have label files written before addresses existed; reads join those few on the id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from mlmon.store.layout import PARTITION_KEY, StoreLayout

FILE, ROW, DAY = "_mlmon_file", "_mlmon_row", "_mlmon_day"
SCHEMA: dict[str, pl.DataType] = {FILE: pl.String(), ROW: pl.UInt32(), DAY: pl.Date()}
GLOBAL_ROW = "__mlmon_global_row"
"""Row index of a multi-file scan (polars numbers rows before any filter, across files)."""


class FileIndex:
    """Prediction files in scan order, with the first global row of each.

    A multi-file scan numbers rows 0..N-1 across ``files``; this maps those numbers to
    (file, row) and back.
    """

    def __init__(self, layout: StoreLayout, files: Sequence[Path]) -> None:
        self.files = list(files)
        self.names = [p.relative_to(layout.root).as_posix() for p in self.files]
        import pyarrow.parquet as pq  # here: slow to import, and only label reads need it

        counts = [pq.ParquetFile(p).metadata.num_rows for p in self.files]
        self.starts = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
        self.total = int(self.starts[-1])
        self.days = np.asarray([_partition_day(p) for p in self.files], dtype="datetime64[D]")

    def addresses(self, global_rows: np.ndarray) -> pl.DataFrame:
        """FILE, ROW and DAY of each global row number."""
        which = np.searchsorted(self.starts, global_rows, side="right") - 1
        return pl.DataFrame(
            {
                FILE: pl.Series(self.names, dtype=pl.String).gather(which),
                ROW: pl.Series(global_rows - self.starts[which], dtype=pl.UInt32),
                DAY: pl.Series(self.days, dtype=pl.Date).gather(which),
            }
        )

    def global_rows(self) -> pl.Expr:
        """The global row number of an addressed label (null for another file's label).

        Files are matched by the 64-bit hash of their name, computed in this process for
        both sides (mapping hashes is several times faster than mapping 10M strings; a
        collision among a store's file names has a probability near n²/2⁶⁵).
        """
        hashes = pl.Series(self.names, dtype=pl.String).hash().to_list()
        index = (
            pl.col(FILE)
            .hash()
            .replace_strict(hashes, self.starts[:-1].tolist(), default=None, return_dtype=pl.Int64)
        )
        return pl.when(pl.col(FILE).is_not_null()).then(index + pl.col(ROW).cast(pl.Int64))


def _partition_day(path: Path) -> dt.date:
    return dt.date.fromisoformat(path.parent.name.removeprefix(f"{PARTITION_KEY}="))
