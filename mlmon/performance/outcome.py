"""What the model said and what was true, as polars expressions over the store's columns.

Metrics and concept drift both need them: the target ``y`` and the prediction ``pred``,
coded the same way (class index for multiclass, 1 for the positive class in binary
classification, the value itself for regression)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from mlmon.config import Config

Y, PRED, SCORE = "__y", "__pred", "__score"
"""The columns the metrics frame holds the target, the predicted class and the score in."""
PROBA = "__p"
"""Prefix of the class-probability columns (``__p0``, ``__p1``, …, in ``model.classes``
order) that :func:`outcome` selects for multiclass models."""


@dataclass(frozen=True)
class Outcome:
    """The target, the prediction and (multiclass) the class probabilities, as expressions."""

    y: pl.Expr
    pred: pl.Expr
    probabilities: list[pl.Expr]


def outcome(config: Config) -> Outcome:
    """The target and the prediction expressions for ``config``'s task and schema. A binary
    model without a prediction column predicts the positive class at
    ``metrics.decision_threshold``; a multiclass one the class of highest probability."""
    s = config.schema_
    classes = config.model.classes
    label = pl.col(s.label)
    probabilities: list[pl.Expr] = []
    if config.model.task == "multiclass_classification":
        assert classes is not None
        index = list(range(len(classes)))
        y = label.replace_strict(list(classes), index, default=None, return_dtype=pl.Int32)
        columns = s.probabilities or {}
        probabilities = [
            pl.col(columns[c]).alias(f"{PROBA}{i}") for i, c in enumerate(classes) if c in columns
        ]
        if s.prediction is not None:
            pred = pl.col(s.prediction).replace_strict(
                list(classes), index, default=None, return_dtype=pl.Int32
            )
        else:
            pred = pl.concat_list([pl.col(columns[c]) for c in classes]).list.arg_max()
    elif classes is not None:  # binary: 1 for the positive class (the second one)
        positive = classes[1]
        y = (label == positive).cast(pl.Int8)
        if s.prediction is not None:
            pred = (pl.col(s.prediction) == positive).cast(pl.Int8)
        else:
            assert s.score is not None, "the config guarantees a prediction or a score"
            pred = (pl.col(s.score) >= config.metrics.decision_threshold).cast(pl.Int8)
    else:
        assert s.prediction is not None, "regression configs have a prediction column"
        y = label.cast(pl.Float64)
        pred = pl.col(s.prediction).cast(pl.Float64)
    return Outcome(y, pred, probabilities)
