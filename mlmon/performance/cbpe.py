"""Confidence-based performance estimation (CBPE): a classifier's quality from its scores
alone, for windows whose labels have not arrived. Pure.

**Assumptions.** The (calibrated) score is the probability of the positive class, and the
relation between inputs and labels has not changed since the reference (no concept drift).
Then each row is right with probability p (or 1 - p), and every confusion-matrix cell has an
expected value: for binary predictions ŷ and calibrated probabilities p,

    E[TP] = Σ_{ŷ=1} p    E[FP] = Σ_{ŷ=1} (1 - p)    E[FN] = Σ_{ŷ=0} p    E[TN] = Σ_{ŷ=0} (1 - p)

from which accuracy, precision, recall and F1 follow; ROC AUC is the area under the curve of
expected true- and false-positive rates over the score thresholds (each row counts p of a
positive and 1 - p of a negative). Multiclass: one-vs-rest per class on the calibrated class
probabilities, macro-averaged; accuracy from E[correct] = Σ p(ŷ).

**Calibration** (isotonic regression, scikit-learn) is fitted on the labelled reference and
used only when it lowers the expected calibration error on held-out data: 10 stratified
splits holding out 10% each (seeded), held-out scores pooled, ECE over 10 equal-count bins,
before against after. A reference with one class only cannot be calibrated and is refused.

**Sampling error** of each estimate (the uncertainty of the realized value given the
probabilities, labels being independent Bernoulli draws): Var(accuracy) = Σ q(1 - q) / n² with
q the probability of being right; precision Σ_{ŷ=1} p(1 - p) / m² (m predicted positives);
recall and F1 by the delta method from Var(TP) and Var(FN); ROC AUC by Hanley & McNeil's
formula at the expected class counts. Bands are estimate ± z·SE at ``confidence``.

References: NannyML's CBPE (https://nannyml.readthedocs.io, "Confidence-based Performance
Estimation"); Hanley & McNeil (1982), *Radiology* 143(1), 29-36.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlmon.performance.estimate import Estimate
from mlmon.performance.intervals import z_value

ESTIMATED = ("accuracy", "precision", "recall", "f1", "roc_auc")
"""The metrics CBPE estimates (binary; multiclass: macro averages of the last four)."""

SPLITS, HOLDOUT, ECE_BINS, SEED = 10, 0.1, 10, 42


class CalibrationRefused(ValueError):
    """The reference cannot calibrate scores (one class only, or too few rows)."""


@dataclass(frozen=True)
class Calibration:
    """Isotonic calibration as its piecewise-linear points (JSON-able), or the identity."""

    applied: bool
    ece_before: float | None
    ece_after: float | None
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (scores clipped to the fitted range, as sklearn does)."""
        if not self.applied:
            return np.asarray(scores, dtype=float)
        return np.asarray(np.interp(scores, self.x, self.y), dtype=float)

    def to_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "ece_before": self.ece_before, "ece_after": self.ece_after}

    def state(self) -> dict[str, Any]:
        """Everything, the fitted points included (JSON-able), for :meth:`from_state`."""
        return self.to_dict() | {"x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Calibration:
        return cls(
            bool(data["applied"]),
            data["ece_before"],
            data["ece_after"],
            tuple(float(v) for v in data["x"]),
            tuple(float(v) for v in data["y"]),
        )

    def estimate(
        self, scores: np.ndarray, pred: np.ndarray, confidence: float
    ) -> dict[str, Estimate]:
        """:func:`estimate_binary` of a window's raw ``scores`` and predictions (0/1),
        calibrated here, with the same results, faster: the calibration is monotone, so each
        group of rows (predicted positive, predicted negative, all) is calibrated as sorted
        scores, where ``np.interp`` walks the breakpoints instead of searching them (much
        faster), and sorting values is faster than the argsort that carrying the
        predictions along would need."""
        if len(scores) == 0:
            return {m: Estimate.undefined("no rows") for m in ESTIMATED}
        positive = pred == 1
        p_pos = self.apply(np.sort(scores[positive]))
        p_neg = self.apply(np.sort(scores[~positive]))
        ranked = np.sort(scores)[::-1]  # descending, as estimated_auc reads it
        auc = estimated_auc(self.apply(ranked), ranked, presorted=True)
        return _bands(_binary_parts(p_pos, p_neg, auc), confidence)


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE over equal-count bins of the sorted probabilities: Σ (nᵦ/n) |mean(p)ᵦ - mean(y)ᵦ|.

    >>> round(expected_calibration_error(np.array([0, 0, 1, 1]), np.array([.1, .3, .6, .8]), 2), 3)
    0.25
    """
    order = np.argsort(p, kind="stable")
    p, y = p[order], y[order]
    edges = np.linspace(0, len(p), min(bins, max(1, len(p) // 2)) + 1).astype(int)
    total = 0.0
    for a, b in itertools.pairwise(edges):
        if b > a:
            total += (b - a) / len(p) * abs(float(p[a:b].mean()) - float(y[a:b].mean()))
    return float(total)


def fit_calibration(y: np.ndarray, scores: np.ndarray) -> Calibration:
    """Isotonic calibration of ``scores`` to the 0/1 labels ``y``, kept only when it lowers
    the held-out ECE (see the module docstring). Raises :class:`CalibrationRefused` when the
    reference has one class only or fewer than 20 rows."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.model_selection import StratifiedShuffleSplit

    y = np.asarray(y, dtype=int)
    scores = np.asarray(scores, dtype=float)
    if len(np.unique(y)) < 2:
        raise CalibrationRefused(
            f"the labelled reference holds one class only ({len(y)} rows): "
            "scores cannot be calibrated against it"
        )
    if len(y) < 20:
        raise CalibrationRefused(f"the labelled reference holds {len(y)} rows (need 20)")
    rarest = int(np.bincount(y).min())
    if rarest < 2:
        # the stratified held-out splits need every class at least twice
        raise CalibrationRefused(
            f"the labelled reference has a class with {rarest} row (need at least 2 of each)"
        )
    split = StratifiedShuffleSplit(n_splits=SPLITS, test_size=HOLDOUT, random_state=SEED)
    truth, raw, calibrated = [], [], []
    for train, test in split.split(scores, y):
        model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        model.fit(scores[train], y[train])
        truth.append(y[test])
        raw.append(scores[test])
        calibrated.append(model.predict(scores[test]))
    before = expected_calibration_error(np.concatenate(truth), np.concatenate(raw))
    after = expected_calibration_error(np.concatenate(truth), np.concatenate(calibrated))
    if after >= before:
        return Calibration(False, before, after)
    model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(scores, y)
    return Calibration(
        True,
        before,
        after,
        tuple(float(v) for v in model.X_thresholds_),
        tuple(float(v) for v in model.y_thresholds_),
    )


def estimated_auc(p: np.ndarray, scores: np.ndarray, presorted: bool = False) -> float | None:
    """Expected ROC AUC: the trapezoid area under (E[FPR], E[TPR]) over the score thresholds,
    rows with equal scores forming one step (so ties count half, as in the realized AUC).
    ``presorted``: the rows are already in descending order of score.

    >>> estimated_auc(np.array([1.0, 1.0, 0.0, 0.0]), np.array([.9, .8, .3, .2]))
    1.0
    """
    if presorted:
        s, q = scores, p
    else:
        # the order within a tie group does not matter (only group ends are read), so the
        # unstable sort will do, and is faster than a stable one
        order = np.argsort(-scores)
        s, q = scores[order], p[order]
    pos = np.cumsum(q)
    miss = 1.0 - q
    negatives = float(np.sum(miss))
    if pos[-1] <= 0 or negatives <= 0:
        return None
    if not np.any(s[1:] == s[:-1]):
        # No ties: each row is its own step, from (neg - (1-qᵢ), pos - qᵢ) to (neg, pos), so
        # the trapezoids sum to Σ (1 - qᵢ)(2·posᵢ - qᵢ) / (2·P·N), one pass instead of building
        # the curve's arrays.
        return float(np.dot(miss, 2.0 * pos - q) / (2.0 * pos[-1] * negatives))
    neg = np.cumsum(miss)
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]  # the end of each tie group
    tpr = np.r_[0.0, pos[last] / pos[-1]]
    fpr = np.r_[0.0, neg[last] / neg[-1]]
    return float(np.trapezoid(tpr, fpr))


def estimate_binary(
    p: np.ndarray,
    scores: np.ndarray,
    pred: np.ndarray,
    confidence: float,
    presorted: bool = False,
) -> dict[str, Estimate]:
    """Estimated accuracy, precision, recall, F1 and ROC AUC of one window from calibrated
    probabilities ``p``, raw ``scores`` (for the ranking) and predicted classes ``pred``
    (0/1), each with a sampling-error band (see the module docstring). ``presorted``: the
    rows are in descending order of score."""
    if len(p) == 0:
        return {m: Estimate.undefined("no rows") for m in ESTIMATED}
    positive = pred == 1
    parts = _binary_parts(p[positive], p[~positive], estimated_auc(p, scores, presorted))
    return _bands(parts, confidence)


def _bands(parts: dict[str, tuple[float, float] | str], confidence: float) -> dict[str, Estimate]:
    z = z_value(confidence)
    return {
        name: Estimate.undefined(part) if isinstance(part, str) else _band(*part, z)
        for name, part in parts.items()
    }


def _binary_parts(
    p_pos: np.ndarray, p_neg: np.ndarray, auc: float | None
) -> dict[str, tuple[float, float] | str]:
    """Each metric as (estimate, standard error), or the reason it is undefined, from the
    calibrated probabilities of the rows predicted positive and negative and the estimated
    ROC AUC."""
    m = len(p_pos)
    n = m + len(p_neg)
    tp, fn = float(p_pos.sum()), float(p_neg.sum())
    var_tp = float((p_pos * (1 - p_pos)).sum())
    var_fn = float((p_neg * (1 - p_neg)).sum())
    # a row is right with probability p when predicted positive, 1 - p when negative; the
    # variance q(1 - q) is the same either way
    out: dict[str, tuple[float, float] | str] = {
        "accuracy": (((tp + (len(p_neg) - fn)) / n), math.sqrt(var_tp + var_fn) / n)
    }
    out["precision"] = (tp / m, math.sqrt(var_tp) / m) if m else "no predicted positives"
    actual = tp + fn
    if actual > 0:
        se = math.sqrt(fn * fn * var_tp + tp * tp * var_fn) / actual**2
        out["recall"] = (tp / actual, se)
    else:
        out["recall"] = "no expected positives"
    denominator = tp + m + fn
    if denominator > 0:
        se = 2 * math.sqrt((m + fn) ** 2 * var_tp + tp * tp * var_fn) / denominator**2
        out["f1"] = (2 * tp / denominator, se)
    else:
        out["f1"] = "no expected or predicted positives"
    out["roc_auc"] = (
        "one expected class only" if auc is None else (auc, _hanley_mcneil(auc, actual, n - actual))
    )
    return out


@dataclass(frozen=True)
class MulticlassCalibration:
    """One calibration per class (one-vs-rest), each kept only where it helps; calibrated
    rows are renormalised to sum to 1 (uniform where every calibrated value is 0)."""

    classes: tuple[Calibration, ...]

    def apply(self, proba: np.ndarray) -> np.ndarray:
        cal = np.column_stack([c.apply(proba[:, i]) for i, c in enumerate(self.classes)])
        total = cal.sum(axis=1, keepdims=True)
        uniform = np.full_like(cal, 1.0 / cal.shape[1])
        return np.asarray(np.divide(cal, total, out=uniform, where=total != 0), dtype=float)

    def to_dict(self) -> dict[str, Any]:
        return {"applied": [c.applied for c in self.classes]}

    def state(self) -> dict[str, Any]:
        """Every class's :meth:`Calibration.state`, for :meth:`from_state`."""
        return {"classes": [c.state() for c in self.classes]}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> MulticlassCalibration:
        return cls(tuple(Calibration.from_state(c) for c in data["classes"]))


def fit_multiclass_calibration(y: np.ndarray, proba: np.ndarray) -> MulticlassCalibration:
    """Per-class isotonic calibration of the class probabilities ``proba`` (n × k, columns in
    class order) against class indexes ``y``. Refused when a class never occurs among the
    labels (its probability cannot be calibrated)."""
    k = proba.shape[1]
    missing = sorted(set(range(k)) - {int(v) for v in np.unique(y)})
    if missing:
        raise CalibrationRefused(
            f"the labelled reference never has class index {missing[0]} "
            f"({len(missing)} of {k} classes missing): its probabilities cannot be calibrated"
        )
    return MulticlassCalibration(
        tuple(fit_calibration((y == i).astype(int), proba[:, i]) for i in range(k))
    )


def estimate_multiclass(
    p: np.ndarray, proba: np.ndarray, pred: np.ndarray, confidence: float
) -> dict[str, Estimate]:
    """Estimated accuracy (mean calibrated probability of the predicted class) and the
    macro averages of one-vs-rest precision, recall, F1 and ROC AUC (``roc_auc_ovr_macro``;
    each class ranked by its raw probability) from calibrated probabilities ``p`` (n × k),
    raw ``proba`` and predicted class indexes ``pred``. The macro bands combine the
    per-class standard errors as if independent: SE = √(Σ SEᵢ²) / k."""
    names = ("precision", "recall", "f1", "roc_auc")
    n, k = p.shape
    if n == 0:
        return {m: Estimate.undefined("no rows") for m in ("accuracy", *_macro(names))}
    z = z_value(confidence)
    right = p[np.arange(n), pred]
    out = {
        "accuracy": _band(float(right.mean()), math.sqrt(float((right * (1 - right)).sum())) / n, z)
    }
    per_class = [
        estimate_binary(p[:, i], proba[:, i], (pred == i).astype(int), confidence) for i in range(k)
    ]
    for name, macro in zip(names, _macro(names), strict=True):
        values = [c[name] for c in per_class]
        if any(v.value is None for v in values):
            out[macro] = Estimate.undefined(f"{name} undefined for a class")
            continue
        mean = sum(float(v.value) for v in values if v.value is not None) / k
        halves = [
            (v.high - v.low) / 2 / z for v in values if v.low is not None and v.high is not None
        ]
        se = math.sqrt(sum(h * h for h in halves)) / k if len(halves) == k else math.nan
        out[macro] = _band(mean, se, z)
    return out


def _macro(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple("roc_auc_ovr_macro" if n == "roc_auc" else f"{n}_macro" for n in names)


def _hanley_mcneil(auc: float, n_pos: float, n_neg: float) -> float:
    """SE of an AUC (Hanley & McNeil 1982): √([A(1-A) + (n₁-1)(Q₁-A²) + (n₂-1)(Q₂-A²)]/(n₁n₂)),
    Q₁ = A/(2-A), Q₂ = 2A²/(1+A)."""
    if n_pos <= 1 or n_neg <= 1:
        return math.nan
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
        n_pos * n_neg
    )
    return math.sqrt(max(var, 0.0))


def _band(value: float, se: float, z: float) -> Estimate:
    if not math.isfinite(se):
        return Estimate(value, method="cbpe")
    return Estimate(value, max(0.0, value - z * se), min(1.0, value + z * se), "cbpe")
