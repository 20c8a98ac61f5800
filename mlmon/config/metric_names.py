"""Which metrics exist for which task, and which way is better. Pure, no heavy imports.

The config's vocabulary for ``metrics.thresholds`` and ``retrain.triggers.performance``,
so it lives here, where the config can check names without importing ``mlmon.performance``.

Each metric's direction is declared once, here: ``HIGHER`` (a drop is worse), ``LOWER`` (a
rise is worse) or ``None`` (a rate or count with no better side, so ``max_drop`` does not
apply to it).
"""

from __future__ import annotations

HIGHER, LOWER = True, False

_BINARY: dict[str, bool | None] = {
    "accuracy": HIGHER,
    "balanced_accuracy": HIGHER,
    "precision": HIGHER,
    "recall": HIGHER,
    "specificity": HIGHER,
    "f1": HIGHER,
    "roc_auc": HIGHER,
    "average_precision": HIGHER,
    "log_loss": LOWER,
    "brier": LOWER,
    "ece": LOWER,
    "predicted_positive_rate": None,
    "base_rate": None,
}
_MULTICLASS: dict[str, bool | None] = {
    "accuracy": HIGHER,
    "precision_macro": HIGHER,
    "recall_macro": HIGHER,
    "f1_macro": HIGHER,
    "precision_weighted": HIGHER,
    "recall_weighted": HIGHER,
    "f1_weighted": HIGHER,
    "log_loss": LOWER,
    "roc_auc_ovr_macro": HIGHER,
}
"""Plus ``recall[<class>]`` for every class (reported, not usable in thresholds)."""
_REGRESSION: dict[str, bool | None] = {
    "mae": LOWER,
    "rmse": LOWER,
    "mape": LOWER,
    "r2": HIGHER,
    "mean_error": None,
}
_OPERATIONAL: dict[str, bool | None] = {
    "rows": None,
    "throughput_per_hour": HIGHER,
    "latency_p50": LOWER,
    "latency_p95": LOWER,
    "latency_p99": LOWER,
    "latency_max": LOWER,
    "error_rate": LOWER,
    "missing_feature_share": LOWER,
}
_QUALITY = {
    "binary_classification": _BINARY,
    "multiclass_classification": _MULTICLASS,
    "regression": _REGRESSION,
}

BINARY = tuple(_BINARY)
MULTICLASS = tuple(_MULTICLASS)
REGRESSION = tuple(_REGRESSION)
OPERATIONAL = tuple(_OPERATIONAL)


def quality_names(task: str) -> tuple[str, ...]:
    """Metrics that need labels, for ``task``."""
    return tuple(_QUALITY[task])


def metric_names(task: str) -> tuple[str, ...]:
    """Every metric ``mlmon metrics`` reports for ``task``, quality first.

    >>> metric_names("regression")[:3]
    ('mae', 'rmse', 'mape')
    """
    return quality_names(task) + OPERATIONAL


def directions(task: str) -> dict[str, bool]:
    """``{metric: higher_is_better}`` for the metrics of ``task`` that have a direction."""
    both = {**_QUALITY[task], **_OPERATIONAL}
    return {name: d for name, d in both.items() if d is not None}
