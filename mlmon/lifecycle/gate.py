"""The promotion gate: is the candidate demonstrably not worse than production? Pure.

Both models score the *same* labelled rows. The primary metric's difference d = m(candidate) -
m(production) (signed so that positive is better) gets a paired bootstrap interval: resample
the rows with replacement (seeded), compute both models' metric on each resample, take the
percentiles of the differences (Efron & Tibshirani 1993, ch. 13). The gate passes when every
rule holds:

- ``non_inferiority_margin`` m: the interval's lower end is above -m (with the default m = 0
  the candidate must be better with the configured confidence, not just on the point);
- ``min_absolute_change`` / ``min_relative_change`` (MLflow's names): the point improvement is
  at least this much (absolute, or relative to production's value);
- each guardrail metric's interval lower end is above -margin (it may not get worse by more);

With no production model, the candidate's metric must reach ``threshold`` (when one is set).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

Metric = Callable[[np.ndarray, np.ndarray, np.ndarray | None], float]
"""(y, model output, row weights or None) → value. A bootstrap resample is a vector of row
weights (how often each row was drawn), so no data is copied per resample."""


def metric_functions(task: str, decision_threshold: float) -> dict[str, tuple[Metric, bool]]:
    """Gate metrics by name: (function, higher is better). The output is the positive-class
    score (binary), the class-probability matrix (multiclass) or the prediction (regression);
    every function is scikit-learn's with ``sample_weight``, except ROC AUC, which is
    :func:`weighted_auc` (the same value, without re-sorting the scores per resample)."""
    from sklearn import metrics as m

    def w(
        f: Callable[..., float],
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
        **kw: object,
    ) -> Metric:
        def metric(y: np.ndarray, out: np.ndarray, weights: np.ndarray | None) -> float:
            return float(f(y, transform(out) if transform else out, sample_weight=weights, **kw))

        return metric

    if task == "binary_classification":

        def labels(s: np.ndarray) -> np.ndarray:
            return (s >= decision_threshold).astype(int)

        return {
            "roc_auc": (weighted_auc, True),
            "average_precision": (w(m.average_precision_score), True),
            "log_loss": (w(m.log_loss, labels=[0, 1]), False),
            "brier": (w(m.brier_score_loss), False),
            "accuracy": (w(m.accuracy_score, labels), True),
            "balanced_accuracy": (w(m.balanced_accuracy_score, labels), True),
            "f1": (w(m.f1_score, labels, zero_division=0), True),
            "precision": (w(m.precision_score, labels, zero_division=0), True),
            "recall": (w(m.recall_score, labels, zero_division=0), True),
        }
    if task == "multiclass_classification":

        def top(p: np.ndarray) -> np.ndarray:
            return np.asarray(p.argmax(axis=1))

        return {
            "accuracy": (w(m.accuracy_score, top), True),
            "f1_macro": (w(m.f1_score, top, average="macro", zero_division=0), True),
            "log_loss": (
                lambda y, p, wt: float(
                    m.log_loss(y, p, labels=list(range(p.shape[1])), sample_weight=wt)
                ),
                False,
            ),
        }
    return {
        "mae": (w(m.mean_absolute_error), False),
        "rmse": (w(m.root_mean_squared_error), False),
        "r2": (w(m.r2_score), True),
    }


def weighted_auc(y: np.ndarray, score: np.ndarray, weights: np.ndarray | None) -> float:
    """ROC AUC with row weights: Σ over positives w⁺ · (weight of negatives scored lower + ½
    weight of negatives tied) / (W⁺ · W⁻), equal to ``sklearn.metrics.roc_auc_score(...,
    sample_weight=...)`` (tested). Raises ValueError with one class, as scikit-learn does.

    >>> weighted_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]), None)
    0.75
    """
    return _SortedScores(y, score)(weights)


class _SortedScores:
    """The scores sorted once, so each bootstrap resample costs two weighted counts."""

    def __init__(self, y: np.ndarray, score: np.ndarray) -> None:
        self.order = np.argsort(score, kind="stable")
        self.label = y[self.order].astype(float)
        s = score[self.order]
        self.group = np.concatenate([[0], np.cumsum(np.diff(s) != 0)])

    def __call__(self, weights: np.ndarray | None) -> float:
        wt = np.ones(len(self.order)) if weights is None else weights[self.order]
        pos = np.bincount(self.group, wt * self.label)
        neg = np.bincount(self.group, wt * (1.0 - self.label))
        total_pos, total_neg = pos.sum(), neg.sum()
        if total_pos == 0 or total_neg == 0:
            raise ValueError("only one class present")
        below = np.cumsum(neg) - neg
        return float(np.sum(pos * (below + 0.5 * neg)) / (total_pos * total_neg))


@dataclass(frozen=True)
class Comparison:
    """One metric of both models on the same rows, the improvement and its interval."""

    metric: str
    candidate: float
    production: float
    improvement: float
    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "candidate": self.candidate,
            "production": self.production,
            "difference": self.improvement,
            "ci_low": self.low,
            "ci_high": self.high,
        }


@dataclass(frozen=True)
class GateRule:
    """One rule of the gate, as it was required and seen, and whether it held."""

    rule: str
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "passed": self.passed}


@dataclass(frozen=True)
class GateResult:
    """The gate's decision: each rule with whether it held, and the figures it was made on
    (``primary`` compares the two models; without a production model only
    ``candidate_value`` is known)."""

    metric: str
    rows: int
    passed: bool
    rules: tuple[GateRule, ...]
    primary: Comparison | None = None
    candidate_value: float | None = None
    guardrails: tuple[Comparison, ...] = ()
    confidence: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        base = self.primary.to_dict() if self.primary else {"metric": self.metric}
        if self.primary is None:
            base |= {"candidate": self.candidate_value, "production": None, "difference": None}
        return {
            **base,
            "rows": self.rows,
            "confidence": self.confidence,
            "rules": [r.to_dict() for r in self.rules],
            "rule": "; ".join(r.rule for r in self.rules),
            "guardrails": [g.to_dict() for g in self.guardrails],
            "passed": self.passed,
        }


def paired_bootstrap(
    y: np.ndarray,
    candidate: np.ndarray,
    production: np.ndarray,
    metric: Metric,
    higher_is_better: bool,
    *,
    confidence: float,
    resamples: int,
    seed: int,
    name: str,
) -> Comparison:
    """The improvement of ``candidate`` over ``production`` on the same rows, with its paired
    percentile bootstrap interval (resamples where the metric is undefined are skipped)."""
    sign = 1.0 if higher_is_better else -1.0
    c, p = metric(y, candidate, None), metric(y, production, None)
    rng = np.random.default_rng(seed)
    n = len(y)
    diffs = []
    cand_fn: Callable[[np.ndarray | None], float]
    prod_fn: Callable[[np.ndarray | None], float]
    if metric is weighted_auc:  # sort each model's scores once, not per resample
        cand_fn, prod_fn = _SortedScores(y, candidate), _SortedScores(y, production)
    else:
        cand_fn = partial(metric, y, candidate)
        prod_fn = partial(metric, y, production)

    for _ in range(resamples):
        weights = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        try:
            diffs.append(sign * (cand_fn(weights) - prod_fn(weights)))
        except ValueError:  # one class only in the resample: AUC undefined
            continue
    alpha = (1 - confidence) / 2
    low, high = np.quantile(diffs, [alpha, 1 - alpha]) if diffs else (np.nan, np.nan)
    return Comparison(name, c, p, sign * (c - p), float(low), float(high))


def decide(
    y: np.ndarray,
    candidate: np.ndarray,
    production: np.ndarray | None,
    functions: Mapping[str, tuple[Metric, bool]],
    *,
    metric: str,
    confidence: float,
    resamples: int,
    seed: int,
    non_inferiority_margin: float,
    min_absolute_change: float | None,
    min_relative_change: float | None,
    guardrails: Mapping[str, float],
    threshold: float | None,
) -> GateResult:
    """Apply the rules of the module docstring."""
    function, higher = functions[metric]
    if production is None:
        value = function(y, candidate, None)
        if threshold is None:
            ok, text = True, "no production version and no threshold: nothing to beat"
        else:
            ok = value >= threshold if higher else value <= threshold
            text = (
                f"threshold: {metric} must be at {'least' if higher else 'most'} "
                f"{threshold:g}; it is {value:.4f}"
            )
        return GateResult(
            metric,
            len(y),
            ok,
            (GateRule(text, bool(ok)),),
            candidate_value=value,
            confidence=confidence,
        )
    primary = paired_bootstrap(
        y,
        candidate,
        production,
        function,
        higher,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        name=metric,
    )
    rules = [
        GateRule(
            f"non-inferiority: the {confidence:.0%} interval of the improvement must "
            f"lie above {_negated(non_inferiority_margin)}; it is "
            f"[{primary.low:+.4f}, {primary.high:+.4f}]",
            bool(primary.low > -non_inferiority_margin),
        )
    ]
    if min_absolute_change is not None:
        rules.append(
            GateRule(
                f"min_absolute_change: the improvement must be at least "
                f"{min_absolute_change:g}; it is {primary.improvement:+.4f}",
                bool(primary.improvement >= min_absolute_change),
            )
        )
    if min_relative_change is not None:
        relative = (
            primary.improvement / abs(primary.production) if primary.production else float("inf")
        )
        rules.append(
            GateRule(
                f"min_relative_change: the relative improvement must be at least "
                f"{min_relative_change:g}; it is {relative:+.4f}",
                bool(relative >= min_relative_change),
            )
        )
    checked = []
    for name, margin in guardrails.items():
        g_function, g_higher = functions[name]
        g = paired_bootstrap(
            y,
            candidate,
            production,
            g_function,
            g_higher,
            confidence=confidence,
            resamples=resamples,
            seed=seed,
            name=name,
        )
        checked.append(g)
        rules.append(
            GateRule(
                f"guardrail {name}: the {confidence:.0%} interval of its change must "
                f"lie above {_negated(margin)}; it is [{g.low:+.4f}, {g.high:+.4f}]",
                bool(g.low > -margin),
            )
        )
    passed = all(r.passed for r in rules)
    return GateResult(
        metric,
        len(y),
        passed,
        tuple(rules),
        primary,
        guardrails=tuple(checked),
        confidence=confidence,
    )


def _negated(margin: float) -> str:
    """``-margin`` as a bound to print: ``0`` for no margin, never ``-0``.

    >>> _negated(0.0), _negated(0.01)
    ('0', '-0.01')
    """
    return "0" if margin == 0 else f"{-margin:g}"
