"""The result of ``mlmon drift``: :class:`DriftResult`, whose :meth:`~DriftResult.to_dict`
is the JSON contract (DESIGN.md §3), and how one column's comparison appears in it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from mlmon.datadrift import sources
from mlmon.datadrift.compare import Comparison
from mlmon.outcome import StatusExit

if TYPE_CHECKING:  # scikit-learn's and scipy's module: imported when the section is computed
    from mlmon.datadrift.multivariate import MultivariateResult

PREDICTION_LABELS = {
    sources.CLASS: "predicted class",
    sources.CONFIDENCE: "confidence",
    sources.ENTROPY: "entropy",
    sources.LOW_CONFIDENCE: "low confidence",
}


@dataclass(frozen=True)
class ReferenceSide:
    """What the result says of the reference."""

    source: str
    rows: int
    profile_cached: bool
    """The profile came from the cache (or the registry) rather than from the data."""
    profile_cache_warning: str | None
    """Why the cache was rebuilt or could not be written (a warning for the user), else None."""
    profile_key: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "profile_cached": self.profile_cached,
            "profile_cache_warning": self.profile_cache_warning,
            "profile_key": self.profile_key,
        }


@dataclass(frozen=True)
class CurrentSide:
    """What the result says of the current data (``since``/``until``: ISO, or None for a
    file)."""

    source: str
    rows: int
    since: str | None
    until: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "rows": self.rows, "since": self.since, "until": self.until}


@dataclass(frozen=True)
class DriftSettings:
    """The settings a run used (``drift.*``, and the command's overrides)."""

    alpha: float
    correction: str
    significance: bool
    effect: bool
    dataset_share: float
    min_rows: int
    js_base: float
    method: str | None
    """``--method``: every column's statistic of its kind (None: each column's own)."""
    columns: list[str] | None
    """``--columns``: the only feature columns compared (None: all)."""
    exclude: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "correction": self.correction,
            "significance": self.significance,
            "effect": self.effect,
            "dataset_share": self.dataset_share,
            "min_rows": self.min_rows,
            "js_base": self.js_base,
            "method": self.method,
            "columns": self.columns,
            "exclude": self.exclude,
        }


@dataclass(frozen=True)
class DatasetVerdict:
    """Whether the dataset drifted: the share of the judged columns (those ``ok`` or
    ``drifted``) that drifted, against ``drift.dataset_share``."""

    n_columns: int
    n_drifted: int
    share: float | None
    """None when no column could be judged."""
    threshold: float
    drifted: bool
    drifted_columns: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_columns": self.n_columns,
            "n_drifted": self.n_drifted,
            "share": self.share,
            "threshold": self.threshold,
            "drifted": self.drifted,
            "drifted_columns": self.drifted_columns,
        }


class ConceptVerdict(Protocol):
    """What the result needs of its concept section (:class:`mlmon.concept.run.ConceptSection`,
    which the operation computes: the data-drift comparison does not import concept drift,
    which imports it)."""

    @property
    def drifted(self) -> bool: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class DriftResult(StatusExit):
    """The result of ``mlmon drift``; :meth:`to_dict` is the JSON contract."""

    command: ClassVar[str] = "drift"

    reference: ReferenceSide
    current: CurrentSide
    columns: tuple[Comparison, ...]
    prediction: tuple[Comparison, ...]
    settings: DriftSettings
    fail_on: str
    roles_inferred: dict[str, list[str]] | None = None
    """Without a config, the roles inferred from the reference (numerical, categorical, and
    the timestamp and id columns left out); None when the config gave them."""
    multivariate: MultivariateResult | None = None
    label: Comparison | None = None
    concept: ConceptVerdict | None = None

    @property
    def warnings(self) -> tuple[str, ...]:
        """The profile cache's trouble, if any (the result stands without the cache)."""
        warning = self.reference.profile_cache_warning
        return () if warning is None else (warning,)

    @property
    def dataset(self) -> DatasetVerdict:
        judged = [c for c in self.columns if c.status in ("ok", "drifted")]
        drifted = [c for c in judged if c.status == "drifted"]
        share = len(drifted) / len(judged) if judged else None
        threshold = self.settings.dataset_share
        return DatasetVerdict(
            n_columns=len(judged),
            n_drifted=len(drifted),
            share=share,
            threshold=threshold,
            drifted=share is not None and share >= threshold,
            drifted_columns=[c.column for c in drifted],
        )

    @property
    def status(self) -> str:
        dataset = self.dataset
        if dataset.drifted or (self.multivariate is not None and self.multivariate.drifted):
            return "finding"
        if self.concept is not None and self.concept.drifted:
            return "finding"
        if self.fail_on == "column" and dataset.n_drifted:
            return "finding"
        if dataset.n_columns == 0:
            return "insufficient_data"
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference.to_dict(),
            "current": self.current.to_dict(),
            "roles_inferred": self.roles_inferred,
            "settings": self.settings.to_dict(),
            "dataset": self.dataset.to_dict(),
            "columns": [column_dict(c) for c in self.columns],
            "prediction": {
                "drifted": any(c.status == "drifted" for c in self.prediction),
                "columns": [column_dict(c) for c in self.prediction],
            },
            "label": None if self.label is None else column_dict(self.label),
            "multivariate": None if self.multivariate is None else self.multivariate.to_dict(),
            "concept": None if self.concept is None else self.concept.to_dict(),
        }


def renamed(c: Comparison) -> Comparison:
    """``c`` under the name the result shows for a derived prediction column."""
    return replace(c, column=PREDICTION_LABELS.get(c.column, c.column))


def column_dict(c: Comparison) -> dict[str, Any]:
    main = next((s for s in c.signals if s.name == "distribution"), None)
    return {
        "column": c.column,
        "kind": c.kind,
        "method": c.method,
        "test": main.test if main else None,
        "test_statistic": main.test_statistic if main else None,
        "p_value": main.p_value if main else None,
        "p_value_adjusted": main.p_value_adjusted if main else None,
        "effect": main.effect if main else None,
        "statistic": main.value if main else None,
        "statistic_raw": main.raw if main else None,
        "threshold": main.threshold if main else None,
        "drifted": c.status == "drifted",
        "fired": [s.name for s in c.signals if s.fired],
        "status": c.status,
        "reason": c.reason,
        "n_reference": c.n_reference,
        "n_current": c.n_current,
        "null_share_reference": c.null_share_reference,
        "null_share_current": c.null_share_current,
        "new_category_share": c.new_category_share,
        "signals": [
            {
                "signal": s.name,
                "test": s.test,
                "p_value": s.p_value,
                "p_value_adjusted": s.p_value_adjusted,
                "effect": s.effect,
                "value": s.value,
                "value_raw": s.raw,
                "threshold": s.threshold,
                "fired": s.fired,
            }
            for s in c.signals
        ],
        "reference_distribution": c.reference_distribution,
        "current_distribution": c.current_distribution,
    }
