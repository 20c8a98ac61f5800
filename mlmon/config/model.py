"""Typed, frozen config objects: the shape of ``mlmon.yaml`` (DESIGN.md §4).

Defaults live here and nowhere else. Cross-field rules (which columns a task needs, no
column in two roles) are checked once, in :class:`Config`. Sections that later commands
will add (metrics, drift, retrain, promote, alerts) appear here when they are implemented.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from mlmon.config.alerts import AlertsSection
from mlmon.config.base import (
    Section,
)
from mlmon.config.check import CheckSection
from mlmon.config.contract import column_kinds
from mlmon.config.drift import DriftSection
from mlmon.config.metric_names import directions, metric_names
from mlmon.config.promote import GATE_METRICS, PromoteSection
from mlmon.config.retrain import RetrainSection
from mlmon.config.sections import (
    MetricsSection,
    ModelSection,
    RegistrySection,
    SchemaSection,
    StoreSection,
)


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
    check: CheckSection = CheckSection()
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
        self._check_sentinels()
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

    def _check_sentinels(self) -> None:
        kinds = column_kinds(self)
        for column in self.check.sentinels:
            if column not in kinds:
                raise PydanticCustomError(
                    "column",
                    "check.sentinels.{column}: not a logged column (known: {known})",
                    {"column": column, "known": ", ".join(kinds)},
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
