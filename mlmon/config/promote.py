"""The ``promote`` section: the statistical gate between a candidate and production."""

from __future__ import annotations

from pydantic import Field

from mlmon.config.base import Section

GATE_METRICS = {
    "binary_classification": (
        "roc_auc",
        "average_precision",
        "log_loss",
        "brier",
        "accuracy",
        "balanced_accuracy",
        "f1",
        "precision",
        "recall",
    ),
    "multiclass_classification": ("accuracy", "f1_macro", "log_loss"),
    "regression": ("mae", "rmse", "r2"),
}
"""The metrics the gate can compare, per task (each is scikit-learn's)."""


class PromoteSection(Section):
    """``promote``: see ``mlmon.lifecycle.gate`` for the rules."""

    metric: str | None = None
    """The primary metric (default: roc_auc, f1_macro or rmse by task)."""
    confidence: float = Field(default=0.95, gt=0, lt=1)
    resamples: int = Field(default=1000, ge=100)
    seed: int = 0
    min_rows: int = Field(default=200, ge=10)
    non_inferiority_margin: float = Field(default=0.0, ge=0)
    min_absolute_change: float | None = None
    min_relative_change: float | None = None
    guardrails: dict[str, float] = Field(default_factory=dict)
    """Metric → how much worse it may get (absolute)."""
    threshold: float | None = None
    """With no production version: the candidate's metric must reach this."""
    require_contract: bool = False
    """Refuse a candidate whose training data's contract the recent serving data violates
    (without it, the violations are reported and the gate decides alone)."""
