"""Multivariate drift: can a classifier tell reference rows from current rows?

A domain classifier (scikit-learn's ``HistGradientBoostingClassifier``, which handles missing
values and categorical codes natively) is trained to separate a seeded sample of reference
rows from one of current rows; its out-of-fold ROC AUC (``StratifiedKFold``) is 0.5 when the
two are exchangeable and grows with any change in the joint distribution, including changes no
single column shows (a correlation that flipped). Rabanser, Günnemann & Lipton (2019), "Failing
Loudly".

The verdict is the columns' two-part rule (:mod:`mlmon.datadrift.rules`), each half switched by the
same ``drift.significance`` / ``drift.effect``:

- **significant**: DeLong's (1 - ``drift.alpha``) interval of the AUC lies above 0.5 (better
  than chance, not noise);
- **large**: the AUC reaches ``drift.multivariate.auc_threshold``, 0.6 by default.

Why 0.6: under the binormal model (two normal populations, equal variances, a mean shift of
d standard deviations along the best direction), AUC = P(X₁ > X₀) = Φ(d / √2), as
X₁ - X₀ ~ N(d, 2) (Pepe 2003, *The Statistical Evaluation of Medical Tests*, ch. 4). 0.6 is
then a shift of d = √2 · Φ⁻¹(0.6) ≈ 0.36: between Cohen's "small" (d = 0.2, AUC 0.556) and
"medium" (0.5, AUC 0.638), and 3.6 times the 0.1 σ a single column must move to drift. For
several columns d is the Mahalanobis distance, Δ² = Σ dᵢ² for independent columns: eleven
columns each moving by 0.1 σ (none of them drifts) give Δ ≈ 0.33, an AUC of 0.59. At
5,000 + 5,000 rows the 95% interval is ± 0.011, so any AUC above about 0.511 is significant
and the effect size alone decides: the former 0.55 (d ≈ 0.18, below Cohen's "small") flagged
28 consecutive days of NannyML's US Census data at AUC 0.56-0.59 while the model's quality
held.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import polars as pl

from mlmon.performance.intervals import delong_auc

if TYPE_CHECKING:
    from mlmon.config.drift import DriftSection

SEED = 20261127
_MAX_CODES = 250  # HistGradientBoosting bins a categorical feature's codes in at most 255 bins


@dataclass(frozen=True)
class MultivariateResult:
    """The ``multivariate`` section of ``mlmon drift``: the domain classifier's AUC, its
    interval and verdict, or why it was not run (``reason``)."""

    method: ClassVar[str] = "domain_classifier"

    auc: float | None
    low: float | None
    """The AUC's interval (DeLong), at level ``confidence``; None when not run."""
    high: float | None
    threshold: float
    drifted: bool
    n_reference: int
    n_current: int
    features: list[str]
    reason: str | None = None
    significant: bool | None = None
    """The AUC's interval lies above 0.5 (None when not run)."""
    large: bool | None = None
    """The AUC reaches the threshold (None when not run)."""
    confidence: float = 0.95
    features_skipped: dict[str, str] = field(default_factory=dict)
    """Features left out, with why: those without a value in either sample (a feature added
    to the schema after the data was written reads as all-null)."""

    @property
    def summary(self) -> str:
        """One line for people: the AUC, its interval and the verdict, or why not run."""
        verdict = "DRIFT" if self.drifted else "no drift"
        if not self.drifted and self.significant and not self.large:
            verdict += " (above chance, below the threshold)"
        summary = (
            f"domain classifier ROC AUC {self.auc:.3f} ({self.low:.3f}-{self.high:.3f}) on "
            f"{self.n_reference:,} + {self.n_current:,} rows, drift at {self.threshold}: {verdict}"
            if self.auc is not None and self.low is not None and self.high is not None
            else f"not run: {self.reason}"
        )
        if self.features_skipped:
            summary += "; left out: " + ", ".join(
                f"{c} ({why})" for c, why in self.features_skipped.items()
            )
        return summary

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "auc": self.auc,
            "ci_low": self.low,
            "ci_high": self.high,
            "confidence": self.confidence,
            "threshold": self.threshold,
            "significant": self.significant,
            "large": self.large,
            "drifted": self.drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "features": self.features,
            "features_skipped": self.features_skipped,
            "reason": self.reason,
            "summary": self.summary,
        }


def section(
    ref_rows: pl.DataFrame | None,
    cur_rows: pl.DataFrame | None,
    features: list[str],
    numerical: list[str],
    settings: DriftSection,
) -> MultivariateResult:
    """The ``multivariate`` section of ``mlmon drift``: :func:`domain_classifier` on the
    reference's and the current data's row samples of ``features`` (those in ``numerical``
    as numbers, the others as categories), or why there is none."""
    if ref_rows is None or cur_rows is None:
        return MultivariateResult(
            None,
            None,
            None,
            settings.multivariate.auc_threshold,
            False,
            0,
            0,
            features,
            reason="the reference is a training-data profile, which keeps no whole rows",
        )
    return domain_classifier(
        ref_rows,
        cur_rows,
        [c for c in features if c in numerical],
        [c for c in features if c not in numerical],
        threshold=settings.multivariate.auc_threshold,
        folds=settings.multivariate.folds,
        min_rows=settings.min_rows,
        confidence=1 - settings.alpha,
        significance=settings.significance,
        effect=settings.effect,
    )


def domain_classifier(
    reference: pl.DataFrame,
    current: pl.DataFrame,
    numerical: list[str],
    categorical: list[str],
    *,
    threshold: float,
    folds: int,
    min_rows: int,
    confidence: float = 0.95,
    significance: bool = True,
    effect: bool = True,
) -> MultivariateResult:
    """Out-of-fold ROC AUC of reference-vs-current and its verdict (see the module
    docstring); ``confidence`` is the interval's level, 1 - ``drift.alpha``."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    present = [
        c for c in numerical + categorical if c in reference.columns and c in current.columns
    ]
    skipped = {c: why for c in present if (why := _without_values(c, reference, current))}
    features = [c for c in present if c not in skipped]
    n_ref, n_cur = reference.height, current.height
    base = MultivariateResult(
        None,
        None,
        None,
        threshold,
        False,
        n_ref,
        n_cur,
        features,
        confidence=confidence,
        features_skipped=skipped,
    )
    if not features:
        return replace(base, reason="no feature with values in both datasets")
    if min(n_ref, n_cur) < max(min_rows, folds * 2):
        return replace(
            base,
            reason=f"{min(n_ref, n_cur)} rows in the smaller sample < {max(min_rows, folds * 2)}",
        )
    both = pl.concat([reference.select(features), current.select(features)], how="vertical_relaxed")
    columns = []
    mask_numeric: set[str] = set()
    for c in features:
        if c in categorical:
            text = both[c].cast(pl.String)
            if text.n_unique() <= _MAX_CODES:
                codes = text.cast(pl.Categorical).to_physical().cast(pl.Float64)
            else:  # more categories than the model's bins: use each category's frequency
                counts = text.value_counts()
                codes = text.replace_strict(
                    counts[c], counts["count"], default=None, return_dtype=pl.Float64
                )
                mask_numeric.add(c)
            columns.append(codes.to_numpy())
        else:
            values = both[c].cast(pl.Float64, strict=False).to_numpy().copy()
            values[~np.isfinite(values)] = np.nan
            columns.append(values)
    x = np.column_stack(columns)
    y = np.concatenate([np.zeros(n_ref, dtype=int), np.ones(n_cur, dtype=int)])
    mask = [c in categorical and c not in mask_numeric for c in features]
    model = HistGradientBoostingClassifier(
        max_iter=100, categorical_features=mask if any(mask) else None, random_state=SEED
    )
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    proba = cross_val_predict(model, x, y, cv=splits, method="predict_proba")[:, 1]
    auc = delong_auc(y, proba, confidence)
    assert auc.value is not None
    significant, large, drifted = verdict(
        auc.value, auc.low, threshold, significance=significance, effect=effect
    )
    return replace(
        base,
        auc=auc.value,
        low=auc.low,
        high=auc.high,
        significant=significant,
        large=large,
        drifted=drifted,
    )


def verdict(
    auc: float, low: float | None, threshold: float, *, significance: bool, effect: bool
) -> tuple[bool, bool, bool]:
    """(significant, large, drifted): drifted when both halves hold, a half switched off
    counting as held.

    >>> verdict(0.58, 0.57, 0.6, significance=True, effect=True)  # above chance, small
    (True, False, False)
    """
    significant = low is not None and low > 0.5
    large = auc >= threshold
    return significant, large, (significant or not significance) and (large or not effect)


def auc_of_shift(d: float) -> float:
    """The ROC AUC of a mean shift of ``d`` standard deviations under the binormal model,
    Φ(d / √2) (see the module docstring).

    >>> round(auc_of_shift(0.5), 3)  # Cohen's "medium" effect
    0.638
    """
    from scipy import special

    return float(special.ndtr(d / math.sqrt(2)))


def shift_of_auc(auc: float) -> float:
    """The inverse of :func:`auc_of_shift`: d = √2 · Φ⁻¹(AUC).

    >>> round(shift_of_auc(0.6), 3)
    0.358
    """
    from scipy import special

    return float(math.sqrt(2) * special.ndtri(auc))


def _without_values(column: str, reference: pl.DataFrame, current: pl.DataFrame) -> str | None:
    """Why ``column`` cannot go to the classifier, or None. A column without a value in one
    sample would let the classifier tell the samples apart by the nulls alone (the column's
    own comparison reports that change); one without a value in either cannot be binned."""
    empty = [
        side
        for side, frame in (("reference", reference), ("current data", current))
        if not _has_values(frame[column])
    ]
    if not empty:
        return None
    if len(empty) == 2:
        return "no values in the reference or the current data"
    return f"no values in the {empty[0]}"


def _has_values(values: pl.Series) -> bool:
    if values.dtype.is_numeric():
        return bool(values.cast(pl.Float64).is_finite().any())
    return values.null_count() < values.len()
