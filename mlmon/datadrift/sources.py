"""The columns drift compares, derived from the two sides (:mod:`mlmon.store.datasets` reads
them from the store or a file): the model's output as columns and the labels."""

from __future__ import annotations

import polars as pl

from mlmon.config import Config
from mlmon.store.datasets import Source

__all__ = ["Source", "labelled_rows", "labels", "prediction_columns"]

CLASS = "__predicted_class"
CONFIDENCE = "__confidence"
ENTROPY = "__entropy"
LOW_CONFIDENCE = "__low_confidence"
ROW_TIME, ROW_PREDICTION = "__ts", "__pred"
"""Columns of :func:`labelled_rows`, beside the label columns."""


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
