"""Which metrics exist for which task, and which way is better. Pure, no heavy imports."""

from __future__ import annotations

BINARY = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "specificity",
    "f1",
    "roc_auc",
    "average_precision",
    "log_loss",
    "brier",
    "ece",
    "predicted_positive_rate",
    "base_rate",
)
REGRESSION = ("mae", "rmse", "mape", "r2", "mean_error")
MULTICLASS = (
    "accuracy",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "log_loss",
    "roc_auc_ovr_macro",
)
"""Plus ``recall[<class>]`` for every class (reported, not usable in thresholds)."""
OPERATIONAL = (
    "rows",
    "throughput_per_hour",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "latency_max",
    "error_rate",
    "missing_feature_share",
)
_HIGHER = {
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "specificity",
    "f1",
    "roc_auc",
    "average_precision",
    "r2",
    "throughput_per_hour",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "roc_auc_ovr_macro",
}
_LOWER = {
    "log_loss",
    "brier",
    "ece",
    "mae",
    "rmse",
    "mape",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "latency_max",
    "error_rate",
    "missing_feature_share",
}


def quality_names(task: str) -> tuple[str, ...]:
    """Metrics that need labels, for ``task``."""
    if task == "binary_classification":
        return BINARY
    if task == "regression":
        return REGRESSION
    return MULTICLASS


def metric_names(task: str) -> tuple[str, ...]:
    """Every metric ``mlmon metrics`` reports for ``task``, quality first."""
    return quality_names(task) + OPERATIONAL


def directions(task: str) -> dict[str, bool]:
    """``{metric: higher_is_better}`` for the metrics of ``task`` that have a direction."""
    out: dict[str, bool] = {}
    for name in metric_names(task):
        if name in _HIGHER:
            out[name] = True
        elif name in _LOWER:
            out[name] = False
    return out
