"""Typed, frozen config objects: the shape of ``mlmon.yaml`` (DESIGN.md §4).

Defaults live here and nowhere else. Cross-field rules (which columns a task needs, no
column in two roles) are checked once, in :class:`Config`. Sections that later commands
will add (metrics, drift, retrain, promote, alerts) appear here when they are implemented.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from mlmon.config.alerts import AlertsSection
from mlmon.config.base import (
    ColumnName,
    Duration,
    Name,
    Section,
    TimeRange,
)
from mlmon.config.drift import DriftSection
from mlmon.config.metric_names import directions, metric_names
from mlmon.config.promote import GATE_METRICS, PromoteSection
from mlmon.config.retrain import RetrainSection

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


class Config(Section):
    """The whole of ``mlmon.yaml``. ``source`` is the file it was read from (not a YAML key)."""

    model: ModelSection
    schema_: SchemaSection = Field(alias="schema")
    store: StoreSection
    registry: RegistrySection = RegistrySection()
    metrics: MetricsSection = MetricsSection()
    drift: DriftSection = DriftSection()
    retrain: RetrainSection = RetrainSection()
    promote: PromoteSection = PromoteSection()
    alerts: AlertsSection = AlertsSection()
    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _schema_fits_task(self) -> Config:
        s, task = self.schema_, self.model.task
        if task == "binary_classification":
            _forbid(s.probabilities, "probabilities", "binary_classification logs 'score'")
            if s.prediction is None and s.score is None:
                raise PydanticCustomError(
                    "schema", "schema: binary_classification needs 'prediction', 'score' or both"
                )
        elif task == "multiclass_classification":
            _forbid(s.score, "score", "multiclass_classification logs 'probabilities'")
            if s.prediction is None and s.probabilities is None:
                raise PydanticCustomError(
                    "schema",
                    "schema: multiclass_classification needs 'prediction', 'probabilities' or both",
                )
            if s.probabilities is not None and set(s.probabilities) != set(
                self.model.classes or ()
            ):
                raise PydanticCustomError(
                    "schema",
                    "schema.probabilities must map every class in model.classes to a column "
                    "(classes {classes}, mapped {mapped})",
                    {"classes": list(self.model.classes or ()), "mapped": list(s.probabilities)},
                )
        else:
            _forbid(s.score, "score", "regression logs 'prediction'")
            _forbid(s.probabilities, "probabilities", "regression logs 'prediction'")
            if s.prediction is None:
                raise PydanticCustomError("schema", "schema: regression needs 'prediction'")
        seen: dict[str, str] = {}
        for role, col in [*s.prediction_columns(), ("label", s.label)] + (
            [("label_timestamp", s.label_timestamp)] if s.label_timestamp else []
        ):
            if col in seen:
                raise PydanticCustomError(
                    "schema",
                    "schema: column {col} is both {a} and {b}; a column has one role",
                    {"col": repr(col), "a": seen[col], "b": role},
                )
            seen[col] = role
        if not s.features.all:
            raise PydanticCustomError(
                "schema", "schema.features: list at least one numerical or categorical feature"
            )
        self._check_paths()
        self._check_thresholds()
        self._check_drift_columns()
        self._check_concept_detectors()
        self._check_retrain()
        self._check_promote()
        return self

    def _check_paths(self) -> None:
        # both are relative to the same config file, so comparing them as written suffices
        store = os.path.normpath(self.store.path)
        registry = os.path.normpath(self.registry.path)
        if store == registry:
            raise PydanticCustomError(
                "paths",
                "store.path ({store}) and registry.path ({registry}) are the same directory; "
                "give each its own",
                {"store": repr(str(self.store.path)), "registry": repr(str(self.registry.path))},
            )

    def _check_promote(self) -> None:
        valid = GATE_METRICS[self.model.task]
        p = self.promote
        for key, name in [("metric", p.metric)] + [(f"guardrails.{g}", g) for g in p.guardrails]:
            if name is not None and name not in valid:
                raise PydanticCustomError(
                    "metric",
                    "promote.{key}: the gate cannot compare {name} for {task}; choose from: "
                    "{valid}",
                    {
                        "key": key,
                        "name": repr(name),
                        "task": self.model.task,
                        "valid": ", ".join(valid),
                    },
                )

    def _check_retrain(self) -> None:
        t = self.retrain.triggers
        if t.performance is not None:
            valid = metric_names(self.model.task)
            if t.performance.metric not in valid:
                raise PydanticCustomError(
                    "metric",
                    "retrain.triggers.performance.metric: unknown metric {name} for {task}; "
                    "choose from: {valid}",
                    {
                        "name": repr(t.performance.metric),
                        "task": self.model.task,
                        "valid": ", ".join(valid),
                    },
                )
            if t.performance.min is None and t.performance.max is None:
                raise PydanticCustomError("bound", "retrain.triggers.performance: give min or max")
        if t.drift is not None:
            unknown = [c for c in t.drift.features if c not in self.schema_.features.all]
            if unknown:
                raise PydanticCustomError(
                    "column",
                    "retrain.triggers.drift.features: not feature columns: {unknown}",
                    {"unknown": ", ".join(unknown)},
                )
        e = self.retrain.estimator
        if e.class_ is not None and e.function is not None:
            raise PydanticCustomError(
                "estimator", "retrain.estimator: give class or function, not both"
            )
        self.retrain.estimator_module()  # a module outside the trusted ones: exit 3

    def _check_concept_detectors(self) -> None:
        from mlmon.concept.detectors import DETECTORS

        task = self.model.task
        for name, params in self.drift.concept.detector_params(task).items():
            cls = DETECTORS.get(name)
            if cls is None:
                raise PydanticCustomError(
                    "detector",
                    "drift.concept.detectors.{name}: unknown detector; choose from: {valid}",
                    {"name": name, "valid": ", ".join(DETECTORS)},
                )
            if cls.binary and task == "regression":
                numeric = ", ".join(n for n, c in DETECTORS.items() if not c.binary)
                raise PydanticCustomError(
                    "detector",
                    "drift.concept.detectors.{name}: reads a 0/1 error indicator, but a "
                    "regression model's errors are numbers; choose from: {valid}",
                    {"name": name, "valid": numeric},
                )
            try:
                cls(**(params or {}))
            except ValueError as exc:
                raise PydanticCustomError(
                    "detector",
                    "drift.concept.detectors.{name}: {error}",
                    {"name": name, "error": str(exc).removeprefix(f"{name}: ")},
                ) from None

    def _check_drift_columns(self) -> None:
        from mlmon.config.drift import CATEGORICAL_METHODS, NUMERICAL_METHODS

        f = self.schema_.features
        for name, rule in self.drift.columns.items():
            valid: tuple[str, ...]
            if name in f.numerical:
                valid = NUMERICAL_METHODS
            elif name in f.categorical:
                valid = CATEGORICAL_METHODS
            else:
                raise PydanticCustomError(
                    "column",
                    "drift.columns.{name}: not a feature column; features: {features}",
                    {"name": name, "features": ", ".join(f.all)},
                )
            known = dict.fromkeys(NUMERICAL_METHODS + CATEGORICAL_METHODS)
            if rule.method is not None and rule.method not in known:
                raise PydanticCustomError(
                    "method",
                    "drift.columns.{name}.method: unknown method {method}; choose from: {valid}",
                    {"name": name, "method": repr(rule.method), "valid": ", ".join(valid)},
                )
            if rule.method is not None and rule.method not in valid:
                kind = "numerical" if name in f.numerical else "categorical"
                raise PydanticCustomError(
                    "method",
                    "drift.columns.{name}.method: {method} does not apply to a {kind} column; "
                    "choose from: {valid}",
                    {
                        "name": name,
                        "method": repr(rule.method),
                        "kind": kind,
                        "valid": ", ".join(valid),
                    },
                )

    def warnings(self) -> list[str]:
        """What is valid but cannot work: thresholds on metrics the configured columns cannot
        produce (``error_rate`` without ``schema.error``, say), which would never be judged."""
        s, task = self.schema_, self.model.task
        needs: dict[str, tuple[str, object]] = {"error_rate": ("schema.error", s.error)}
        for q in ("p50", "p95", "p99", "max"):
            needs[f"latency_{q}"] = ("schema.latency", s.latency)
        if task == "binary_classification":
            for name in ("roc_auc", "average_precision", "log_loss", "brier", "ece"):
                needs[name] = ("schema.score", s.score)
        elif task == "multiclass_classification":
            for name in ("log_loss", "roc_auc_ovr_macro"):
                needs[name] = ("schema.probabilities", s.probabilities)
        return [
            f"metrics.thresholds.{name}: {name} needs {key}, which is not set; this "
            f"threshold is never evaluated (set {key}, or remove the threshold)"
            for name in self.metrics.thresholds
            if name in needs
            for key, column in [needs[name]]
            if column is None
        ]

    def _check_thresholds(self) -> None:
        valid = metric_names(self.model.task)
        for name, threshold in self.metrics.thresholds.items():
            if name not in valid:
                raise PydanticCustomError(
                    "threshold",
                    "metrics.thresholds.{name}: unknown metric for {task}; choose from: {valid}",
                    {"name": name, "task": self.model.task, "valid": ", ".join(valid)},
                )
            if threshold.max_drop is not None:
                if name not in directions(self.model.task):
                    raise PydanticCustomError(
                        "threshold",
                        "metrics.thresholds.{name}.max_drop: {name} has no better or worse "
                        "direction; use min or max",
                        {"name": name},
                    )
                if self.metrics.baseline is None:
                    raise PydanticCustomError(
                        "threshold",
                        "metrics.thresholds.{name}.max_drop needs metrics.baseline, the "
                        "window it is measured from",
                        {"name": name},
                    )


def _forbid(value: object, key: str, why: str) -> None:
    if value is not None:
        raise PydanticCustomError(
            "schema", "schema.{key} does not apply: {why}", {"key": key, "why": why}
        )
