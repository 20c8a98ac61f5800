"""Staged labels get the address of their prediction before the commit (see
:mod:`mlmon.store.address`), and labels dated before their prediction are turned away."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from mlmon.config import Config
from mlmon.store import address
from mlmon.store.scan import locate
from mlmon.store.validate import REASON, ROW, duration_text
from mlmon.store.writer import StagedWrite

ADDRESS_CHUNK = 1_000_000
"""Label ids looked up per scan of the predictions' id column: bounds the lookup's memory."""


SOURCE = "__mlmon_source"
"""Staged labels carry the index of their source file (and their ROW) until addressed."""
PREDICTED_AT = "__mlmon_predicted_at"


def address_labels(
    config: Config, staged: StagedWrite, reject: Callable[[pl.DataFrame], None]
) -> int:
    """Store with every label staged in this run the address of its prediction
    (:mod:`mlmon.store.address`); return how many have no stored prediction (kept, with a
    null address, and reported).

    A label whose time is more than ``store.max_future`` before its prediction's time cannot
    be right (a label is known after the request; clocks disagree by less): it is handed to
    ``reject`` (with ROW, REASON, the source index and the label columns) and not stored.

    The run's label ids are looked up in chunks of ``ADDRESS_CHUNK`` with an ``is_in``
    filter over the predictions' id column, so memory is bounded by the chunk, not by the
    number of labels or predictions (one anti-join of all the labels would hold them all at
    once). The staged files are rewritten with the addresses before the commit, so they land
    whole.
    """
    id_col = config.schema_.id
    unmatched = 0
    chunk: list[Path] = []
    size = 0

    s = config.schema_
    label, label_ts = s.label, s.label_timestamp or "label_timestamp"
    slack = pl.duration(seconds=config.store.max_future)
    early = (pl.col(label_ts) < pl.col(PREDICTED_AT) - slack).fill_null(False)
    shown = "%Y-%m-%d %H:%M:%S"
    reason = pl.format(
        "{}: {} is more than {} before its prediction ({}; store.max_future)",
        pl.lit(label_ts),
        pl.col(label_ts).dt.strftime(shown),
        pl.lit(duration_text(config.store.max_future)),
        pl.col(PREDICTED_AT).dt.strftime(shown),
    ).alias(REASON)

    def place(paths: list[Path]) -> int:
        frames = [pl.read_parquet(p) for p in paths]
        ids = pl.concat([f.get_column(id_col) for f in frames])
        found = locate(config, ids, [s.timestamp]).rename({s.timestamp: PREDICTED_AT})
        missing = 0
        for path, frame in zip(paths, frames, strict=True):
            addressed = frame.join(found, on=id_col, how="left", maintain_order="left")
            too_early = addressed.filter(early)
            if too_early.height:
                reject(too_early.select(ROW, reason, SOURCE, id_col, label, label_ts))
                addressed = addressed.filter(~early)
            addressed = addressed.drop(ROW, SOURCE, PREDICTED_AT)
            missing += addressed.get_column(address.FILE).null_count()
            # In the order of their predictions, so a read places them with near-sequential
            # writes (scattering them in random order is much slower).
            staged.rewrite(path, addressed.sort(address.FILE, address.ROW, nulls_last=True))
        return missing

    for path in staged.staged_files("labels"):
        chunk.append(path)
        size += pl.scan_parquet(path).select(pl.len()).collect().item()
        if size >= ADDRESS_CHUNK:
            unmatched += place(chunk)
            chunk, size = [], 0
    if chunk:
        unmatched += place(chunk)
    return unmatched
