"""Realized quality of a multiclass classifier on one window's labelled rows. Pure.

Point values are scikit-learn's: macro and weighted averages over the classes present among
the labels or predictions, with ``zero_division=0`` (a class never predicted has precision 0,
as scikit-learn reports it); ``roc_auc_ovr_macro`` is ``roc_auc_score(multi_class="ovr",
average="macro")`` and is undefined unless every class occurs among the labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlmon.config.metric_names import MULTICLASS
from mlmon.performance.estimate import Estimate
from mlmon.performance.intervals import bootstrap_confusion, mean_t, placements, wilson, z_value

NAMES = MULTICLASS
_EPS = float(np.finfo(np.float64).eps)


def multiclass_metrics(
    y: np.ndarray,
    pred: np.ndarray,
    proba: np.ndarray | None,
    classes: Sequence[object],
    confidence: float,
) -> dict[str, Estimate]:
    """Metrics for class indices ``y`` and ``pred`` (0..K-1, positions in ``classes``) and,
    optionally, the (n, K) class probabilities ``proba``; plus ``recall[<class>]`` per class."""
    # Imported here: scikit-learn is slow to import, and only multiclass windows use it.
    from sklearn.metrics import precision_recall_fscore_support

    k = len(classes)
    n = len(y)
    out: dict[str, Estimate] = {
        "accuracy": wilson(int(np.sum(y == pred)), n, confidence, "no labelled rows")
    }
    cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k).astype(float)
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y, pred, average=average, zero_division=0)
        for name, value in {"precision": p, "recall": r, "f1": f}.items():
            key = f"{name}_{average}"
            if n == 0:
                out[key] = Estimate.undefined("no labelled rows")
                continue

            def metric(draws: np.ndarray, name: str = name, average: str = average) -> np.ndarray:
                return _averaged(draws.reshape(-1, k, k), average)[name]

            interval = bootstrap_confusion(cm.ravel(), metric, confidence)
            out[key] = Estimate.with_interval(float(value), interval, "bootstrap")
    if proba is None:
        reason = "no probability columns in the config (schema.probabilities)"
        out["log_loss"] = Estimate.undefined(reason)
        out["roc_auc_ovr_macro"] = Estimate.undefined(reason)
    else:
        p_true = np.clip(proba[np.arange(n), y], _EPS, 1 - _EPS)
        out["log_loss"] = mean_t(-np.log(p_true), confidence, "no labelled rows")
        out["roc_auc_ovr_macro"] = ovr_macro_auc(y, proba, confidence)
    result = {name: out[name] for name in NAMES}
    for i, label in enumerate(classes):
        result[f"recall[{label}]"] = wilson(
            int(cm[i, i]), int(cm[i].sum()), confidence, f"no labels of class {label}"
        )
    return result


def _averaged(draws: np.ndarray, average: str) -> dict[str, np.ndarray]:
    """Macro or weighted precision/recall/F1 of each resampled confusion matrix, over the
    classes present (in its labels or predictions), zero_division=0, as scikit-learn."""
    diag = np.diagonal(draws, axis1=1, axis2=2)
    support = draws.sum(axis=2)  # true counts per class
    predicted = draws.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, diag / predicted, 0.0)
        recall = np.where(support > 0, diag / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    present = (support + predicted) > 0
    weights = present.astype(float) if average == "macro" else support.astype(float)
    total = weights.sum(axis=1, keepdims=True)
    total[total == 0] = 1.0
    return {
        name: (values * weights).sum(axis=1) / total[:, 0]
        for name, values in (("precision", precision), ("recall", recall), ("f1", f1))
    }


def ovr_macro_auc(y: np.ndarray, proba: np.ndarray, confidence: float) -> Estimate:
    """Mean over classes of the one-vs-rest ROC AUC, with a DeLong-type interval.

    Each class's AUC is a two-sample U-statistic; a row's influence on it is
    (V₁₀ - AUC)/m for a positive and (V₀₁ - AUC)/n for a negative (DeLong et al. 1988). The
    variance of the mean is the sum over rows of the squared mean influence, which accounts
    for the correlation between the classes' AUCs on the same rows.
    """
    n, k = proba.shape
    counts = np.bincount(y, minlength=k)
    if np.any(counts == 0):
        return Estimate.undefined("not every class occurs among the labels")
    influence = np.zeros(n)
    aucs = []
    for c in range(k):
        positive = y == c
        m, q = int(positive.sum()), int(n - positive.sum())
        score = proba[:, c]
        v10, v01 = placements(score[positive], score[~positive])
        auc = float(np.mean(v10))
        aucs.append(auc)
        contribution = np.empty(n)
        contribution[positive] = (v10 - auc) / m
        contribution[~positive] = (v01 - auc) / q
        influence += contribution / k
    value = float(np.mean(aucs))
    half = z_value(confidence) * float(np.sqrt(np.sum(influence**2)))
    return Estimate(value, max(0.0, value - half), min(1.0, value + half), "delong")
