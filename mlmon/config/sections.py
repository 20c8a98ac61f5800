"""The config's own sections: the model, its log schema, the store, the registry and the
metrics (DESIGN.md §4). Sections with a module of their own (drift, retrain, promote, alerts)
live there; :class:`mlmon.config.model.Config` puts them together and checks the rules that
span sections.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from mlmon.config.base import (
    ColumnName,
    Duration,
    Name,
    Section,
    TimeRange,
)

Task = Literal["binary_classification", "multiclass_classification", "regression"]
ClassLabel = int | str


class ModelSection(Section):
    """``model``: what is being monitored."""

    name: Name
    task: Task
    classes: tuple[ClassLabel, ...] | None = None
    """Class labels, for classification. For binary classification the second one is the
    positive class, the one ``schema.score`` is the probability of."""

    @model_validator(mode="after")
    def _classes_fit_task(self) -> ModelSection:
        if self.task == "regression":
            if self.classes is not None:
                raise PydanticCustomError("task", "'classes' is only for classification tasks")
            return self
        if self.classes is None:
            raise PydanticCustomError(
                "task", "{task} needs 'classes', the list of class labels", {"task": self.task}
            )
        if len(set(self.classes)) != len(self.classes):
            raise PydanticCustomError("task", "'classes' has repeated labels")
        if len({type(c) for c in self.classes}) != 1:
            raise PydanticCustomError("task", "'classes' mixes numbers and strings; use one kind")
        n = len(self.classes)
        if self.task == "binary_classification" and n != 2:
            raise PydanticCustomError(
                "task", "binary_classification needs exactly 2 classes (got {n})", {"n": n}
            )
        if self.task == "multiclass_classification" and n < 3:
            raise PydanticCustomError(
                "task",
                "multiclass_classification needs at least 3 classes (got {n}); "
                "use binary_classification for 2",
                {"n": n},
            )
        return self


class FeaturesSection(Section):
    """``schema.features``: the model's input columns, by kind."""

    numerical: tuple[ColumnName, ...] = ()
    categorical: tuple[ColumnName, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.numerical + self.categorical


class SchemaSection(Section):
    """``schema``: which column of the logs plays which role."""

    id: ColumnName
    timestamp: ColumnName
    model_version: ColumnName | None = None
    prediction: ColumnName | None = None
    score: ColumnName | None = None
    probabilities: dict[ClassLabel, ColumnName] | None = None
    label: ColumnName
    label_timestamp: ColumnName | None = None
    features: FeaturesSection = FeaturesSection()
    latency: ColumnName | None = None
    error: ColumnName | None = None
    metadata: tuple[ColumnName, ...] = ()

    def prediction_columns(self) -> list[tuple[str, str]]:
        """(role, column) for every column of a prediction log, in storage order."""
        cols: list[tuple[str, str]] = [("id", self.id), ("timestamp", self.timestamp)]
        for role in ("model_version", "prediction", "score"):
            if (col := getattr(self, role)) is not None:
                cols.append((role, col))
        for label, col in (self.probabilities or {}).items():
            cols.append((f"probability[{label}]", col))
        cols += [("numerical feature", c) for c in self.features.numerical]
        cols += [("categorical feature", c) for c in self.features.categorical]
        for role in ("latency", "error"):
            if (col := getattr(self, role)) is not None:
                cols.append((role, col))
        cols += [("metadata", c) for c in self.metadata]
        return cols


class RegistrySection(Section):
    """``registry``: where model versions, aliases and their history live."""

    path: Path = Path("registry")
    lock_timeout: Duration = 60.0


class StoreSection(Section):
    """``store``: where the Parquet log store lives and how ingest treats bad rows."""

    path: Path
    on_invalid: Literal["quarantine", "reject"] = "quarantine"
    nonfinite_features: Literal["allow", "quarantine"] = "allow"
    label_updates: Literal["replace", "keep_first", "quarantine"] = "replace"
    """A label for an id whose stored label differs: replace it (recorded with the old value
    under ``label_updates/``), keep the first one, or quarantine the new one."""
    probability_tolerance: float = Field(default=1e-3, gt=0, lt=1)
    batch_rows: int = Field(default=250_000, ge=1)
    lock_timeout: Duration = 600.0
    max_future: Duration = Field(default=86_400.0, le=36_500 * 86_400)
    """How far past the ingest time a prediction or label time may lie (clock skew); later
    times, and times before 1970, are quarantined."""


Window = Literal["1h", "1d", "1w", "all"]


class ThresholdSection(Section):
    """``metrics.thresholds.<metric>``: when a window's value is a finding."""

    min: float | None = None
    max: float | None = None
    max_drop: float | None = Field(default=None, ge=0)
    """How far the metric may get worse than its value on ``metrics.baseline``."""
    require_significance: bool = False
    """Count a breach only when the whole confidence interval lies beyond the bound."""

    @model_validator(mode="after")
    def _some_bound(self) -> ThresholdSection:
        if self.min is None and self.max is None and self.max_drop is None:
            raise PydanticCustomError("threshold", "give at least one of min, max, max_drop")
        return self


class EstimateSection(Section):
    """``metrics.estimate``: performance estimated from the scores (CBPE) where labels are
    late."""

    enabled: bool = True
    reference: TimeRange | None = None
    """The labelled window the scores are calibrated on (default: ``metrics.baseline``)."""
    use_estimates: bool = False
    """Apply the thresholds to the estimates in windows with fewer than
    ``metrics.min_labelled`` labels, so a drop is caught before the labels arrive."""


class MetricsSection(Section):
    """``metrics``: how ``mlmon metrics`` windows, estimates and judges."""

    window: Window = "1d"
    min_labelled: int = Field(default=100, ge=1)
    decision_threshold: float = Field(default=0.5, gt=0, lt=1)
    """Binary: the score at or above which a row counts as a positive prediction, when the
    logs have a score but no prediction column."""
    confidence: float = Field(default=0.95, gt=0, lt=1)
    baseline: TimeRange | None = None
    thresholds: dict[str, ThresholdSection] = Field(default_factory=dict)
    estimate: EstimateSection = EstimateSection()
