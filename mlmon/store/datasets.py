"""The two sides drift compares, as read from disk: a window of the store or a data file, each
as a lazy frame plus a fingerprint of its content (the key of the reference profile's cache).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from mlmon.config import Config
from mlmon.errors import DataError
from mlmon.store.layout import StoreLayout
from mlmon.store.scan import scan_predictions
from mlmon.timewindow import iso_utc


@dataclass
class Source:
    """One side of the comparison."""

    description: str
    frame: pl.LazyFrame
    fingerprint: dict[str, object] = field(default_factory=dict)
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    store: bool = False
    """A window of the store (labels live in their own table) rather than a file."""
    rows: pl.DataFrame | None = field(default=None, repr=False)
    """The window's predictions with their labels, once :func:`labelled_rows` has read them."""
    files: list[Path] = field(default_factory=list)
    """The store files a store window reads (a damaged one is named, exit 4)."""

    def key(self) -> str:
        text = json.dumps(
            {"description": self.description, "content": self.fingerprint},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(text.encode()).hexdigest()


def store_window(config: Config, since: dt.datetime, until: dt.datetime) -> Source:
    """The predictions with ``since <= timestamp < until``."""
    layout = StoreLayout(config.store.path)
    files = layout.files("predictions", since.date(), until.date())
    fingerprint: dict[str, object] = {"files": layout.listing(files)}
    return Source(
        f"store {iso_utc(since)} .. {iso_utc(until)}",
        scan_predictions(config, since, until),
        fingerprint,
        since,
        until,
        store=True,
        files=files,
    )


def file_source(path: Path) -> Source:
    """A Parquet, CSV or JSON Lines file (by extension)."""
    if not path.is_file():
        raise DataError(f"{path}: no such file", hint="check the path")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pl.scan_parquet(path)
        elif suffix == ".csv":
            frame = pl.scan_csv(path, infer_schema_length=10_000)
        elif suffix in (".jsonl", ".ndjson"):
            frame = pl.scan_ndjson(path, infer_schema_length=10_000)
        else:
            raise DataError(
                f"{path}: unknown file type {suffix!r}",
                hint="use .parquet, .csv or .jsonl",
            )
        frame.collect_schema()
    except DataError:
        raise
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DataError(
            f"{path}: cannot read it as {suffix[1:]} ({exc})", hint="check the file"
        ) from exc
    stat = path.stat()
    return Source(
        f"file {path}",
        frame,
        {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns},
    )
