"""The ``retrain`` section: when to retrain, on what data, with which estimator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_core import PydanticCustomError

from mlmon.config.base import ColumnName, Duration, Section

TRUSTED_MODULE = "sklearn"
"""The estimator's module is scikit-learn or one listed in ``retrain.trusted_modules``."""


class EstimatorSection(Section):
    """``retrain.estimator``: a scikit-learn class path and its parameters, or a user function
    ``module:function`` that returns a fitted estimator. Either must come from scikit-learn or
    a module in ``retrain.trusted_modules``: the config names code that mlmon imports and
    runs, so it is trusted like code for what it names, and nothing else is imported."""

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
    """Extra types a model artifact may contain, beyond scikit-learn's (docs/storage.md,
    "What is trusted")."""
    trusted_modules: tuple[str, ...] = ()
    """Modules besides scikit-learn whose estimator classes or functions ``estimator`` may
    name (``xgboost``, ``lightgbm``, a module of your own); their submodules too."""

    def estimator_module(self) -> tuple[str, str, str]:
        """``(key, module, name)`` of the configured estimator class or function, after
        checking that its module is trusted — before anything is imported (exit 3 via the
        config's validation otherwise). The default class has key ``retrain.estimator.class``
        and an empty module (resolved by the caller)."""
        e = self.estimator
        if e.function is not None:
            key, path = "retrain.estimator.function", e.function
            module, sep, name = path.partition(":")
            if not sep:
                module, _, name = path.rpartition(".")
        elif e.class_ is not None:
            key, path = "retrain.estimator.class", e.class_
            module, _, name = path.rpartition(".")
        else:
            return "retrain.estimator.class", "", ""
        trusted = (TRUSTED_MODULE, *self.trusted_modules)
        if (
            not module
            or not name
            or not any(module == t or module.startswith(t + ".") for t in trusted)
        ):
            raise PydanticCustomError(
                "estimator",
                "{key}: {path} is not from scikit-learn or a module listed in "
                "retrain.trusted_modules ({trusted}); mlmon imports and runs only those",
                {"key": key, "path": repr(path), "trusted": ", ".join(trusted)},
            )
        return key, module, name
