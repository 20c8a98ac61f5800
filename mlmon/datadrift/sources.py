"""Where the reference and current data come from: a window of the store or a file, as a
lazy frame of the columns drift compares, plus a fingerprint of the content for caching."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from mlmon.config import Config
from mlmon.datadrift.profile import Profile
from mlmon.errors import DataError
from mlmon.store.layout import StoreLayout
from mlmon.store.scan import scan_predictions
from mlmon.timewindow import iso_utc

CLASS = "__predicted_class"
CONFIDENCE = "__confidence"
ENTROPY = "__entropy"
LOW_CONFIDENCE = "__low_confidence"
ROW_TIME, ROW_PREDICTION = "__ts", "__pred"
"""Columns of :func:`labelled_rows`, beside the label columns."""


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
    fingerprint: dict[str, object] = {
        "files": [
            [p.relative_to(layout.root).as_posix(), p.stat().st_size] for p in files
        ],  # committed files never change; new ones change the list
    }
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


def registry_profile(config: Config, ref: str) -> tuple[Source, Profile]:
    """The drift profile of a registered version's training data (``retrain`` keeps it beside
    the artifact), with an empty frame of its columns' types standing in for the data."""
    from mlmon.errors import RegistryError
    from mlmon.registry import open_registry

    registry = open_registry(config)
    version = registry.resolve(ref)
    path = registry.version_dir(version) / "reference_profile.json"
    try:
        profile = Profile.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RegistryError(
            f"version {version} of {config.model.name!r} has no readable training-data profile "
            f"({path}: {exc})",
            hint="versions registered by mlmon retrain carry one; use a store window or a file",
        ) from exc
    schema = {
        name: pl.Float64() if column.kind == "numerical" else pl.String()
        for name, column in profile.columns.items()
    }
    described = f"model {config.model.name} version {version}" + (
        "" if ref == version else f" ({ref})"
    )
    return Source(
        f"{described} training data", pl.LazyFrame(schema=schema), {"version": version}
    ), profile


def labels(config: Config, source: Source) -> pl.LazyFrame | None:
    """The source's labels (``schema.label``, nulls dropped) as one column, or None when it
    has none: a file without the label column, or a store window before any label arrived."""
    name = config.schema_.label
    if source.store:
        frame = labelled_rows(config, source).select(name)
        return frame.lazy().drop_nulls() if frame[name].null_count() < frame.height else None
    if name not in source.frame.collect_schema():
        return None
    return source.frame.select(name).drop_nulls()


def labelled_rows(config: Config, source: Source) -> pl.DataFrame:
    """A store window's predictions (time as ``ROW_TIME``, the predicted class or value as
    ``ROW_PREDICTION``) with their label columns, read once per source: label drift and
    concept drift both read them."""
    assert source.store, "files carry their labels in their own columns"
    if source.rows is None:
        from mlmon.performance.outcome import outcome
        from mlmon.store.scan import read_window

        select = [
            pl.col(config.schema_.timestamp).alias(ROW_TIME),
            outcome(config).pred.alias(ROW_PREDICTION),
        ]
        source.rows = read_window(config, source.since, source.until, select=select)
    return source.rows


def prediction_columns(config: Config, schema: pl.Schema) -> dict[str, pl.Expr]:
    """Derived columns describing the model's output, by name: the predicted class, and for
    classifiers with probabilities the confidence (top-class probability), its low flag and
    (multiclass) the entropy of the class probabilities. Only those the data can give."""
    s = config.schema_
    task = config.model.task
    out: dict[str, pl.Expr] = {}
    threshold = config.drift.prediction.low_confidence
    if task == "regression":
        return out
    if task == "binary_classification" and s.score is not None and s.score in schema:
        score = pl.col(s.score).cast(pl.Float64)
        confidence = pl.max_horizontal(score, 1.0 - score)
        out[CONFIDENCE] = confidence
        out[LOW_CONFIDENCE] = (confidence < threshold).cast(pl.String)
        if s.prediction not in schema:
            positive = score >= config.metrics.decision_threshold
            classes = config.model.classes or (0, 1)
            out[CLASS] = (
                pl.when(positive).then(pl.lit(str(classes[1]))).otherwise(pl.lit(str(classes[0])))
            )
    if task == "multiclass_classification" and s.probabilities:
        cols = [pl.col(c).cast(pl.Float64) for c in s.probabilities.values() if c in schema]
        if len(cols) == len(s.probabilities):
            top = pl.max_horizontal(cols)
            out[CONFIDENCE] = top
            out[LOW_CONFIDENCE] = (top < threshold).cast(pl.String)
            out[ENTROPY] = -pl.sum_horizontal(
                [pl.when(c > 0).then(c * c.log()).otherwise(0.0) for c in cols]
            )
    if s.prediction is not None and s.prediction in schema:
        out[CLASS] = pl.col(s.prediction).cast(pl.String)
    return out
