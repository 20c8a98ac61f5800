"""The ``retrain`` section: when to retrain, on what data, with which estimator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from mlmon.config.base import ColumnName, Duration, Section


class EstimatorSection(Section):
    """``retrain.estimator``: a scikit-learn class path and its parameters, or a user function
    ``module:function`` that returns a fitted estimator."""

    class_: str | None = Field(default=None, alias="class")
    params: dict[str, Any] = Field(default_factory=dict)
    function: str | None = None


class ScheduleTrigger(Section):
    """``retrain.triggers.schedule``: the production version is older than ``max_age``."""

    max_age: Duration


class PerformanceTrigger(Section):
    """``retrain.triggers.performance``: a metric of the latest labelled window is below
    ``min`` (or above ``max``), with at least ``metrics.min_labelled`` labels."""

    metric: str
    min: float | None = None
    max: float | None = None
    window: Duration = 7 * 86400.0


class DriftTrigger(Section):
    """``retrain.triggers.drift``: the dataset drifts, or any of ``features`` does."""

    dataset: bool = True
    features: tuple[ColumnName, ...] = ()


class TriggersSection(Section):
    schedule: ScheduleTrigger | None = None
    performance: PerformanceTrigger | None = None
    drift: DriftTrigger | None = None


class RetrainSection(Section):
    """``retrain``."""

    window: Duration = 28 * 86400.0
    """Training data: labelled logs from this long before ``--until``."""
    base_data: Path | None = None
    """A file of labelled rows added to the logs (features, label)."""
    holdout: float = Field(default=0.2, gt=0, lt=1)
    """The latest share of the rows, by time, held out for evaluation."""
    seed: int = 0
    estimator: EstimatorSection = EstimatorSection()
    triggers: TriggersSection = TriggersSection()
    trusted_types: tuple[str, ...] = ()
    """Extra types a model artifact may contain, beyond scikit-learn's (see the README)."""
