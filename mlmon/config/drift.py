"""The ``drift`` section: how ``mlmon drift`` profiles, compares and decides."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from mlmon.config.base import Section, TimeRange
from mlmon.datadrift.methods import methods

NUMERICAL_METHODS = methods("numerical")
"""The methods a numerical column accepts, from the statistics' declarations."""
CATEGORICAL_METHODS = methods("categorical")
"""The methods a categorical column accepts, from the statistics' declarations."""

if TYPE_CHECKING:
    NumericalMethod = str
    CategoricalMethod = str
else:
    # Literals built from the declarations, so that pydantic checks the choices and names
    # them in its error; a type checker cannot read a Literal computed at runtime.
    NumericalMethod = Literal[NUMERICAL_METHODS]
    CategoricalMethod = Literal[CATEGORICAL_METHODS]


class NumericalRule(Section):
    """``drift.numerical`` / ``drift.columns.<numerical column>``."""

    method: NumericalMethod = "auto"
    threshold: float | None = Field(default=None, ge=0)
    """For the effect size (``auto``: normalised Wasserstein); default per statistic."""


class CategoricalRule(Section):
    """``drift.categorical`` / ``drift.columns.<categorical column>``."""

    method: CategoricalMethod = "auto"
    threshold: float | None = Field(default=None, ge=0)
    """For the effect size (``auto``: Jensen-Shannon distance); default per statistic."""


class ColumnRule(Section):
    """``drift.columns.<column>``: a method and/or threshold for one column (its kind decides
    which methods apply; checked against the schema when the config loads)."""

    method: str | None = None
    threshold: float | None = Field(default=None, ge=0)


class SignalSection(Section):
    """``drift.missing`` / ``drift.new_categories``: a share that may change by at most
    ``threshold`` (absolute) before it is drift."""

    threshold: float = Field(default=0.05, gt=0, le=1)
    enabled: bool = True


class MultivariateSection(Section):
    """``drift.multivariate``: the domain classifier."""

    enabled: bool = True
    sample_rows: int = Field(default=5000, ge=50)
    """Rows drawn from each of reference and current (seeded)."""
    auc_threshold: float = Field(default=0.6, gt=0.5, lt=1)
    """The effect half of the rule: the smallest cross-validated ROC AUC that is drift. 0.6 is
    a mean shift of about 0.36 σ under the binormal model, AUC = Φ(d / √2); see
    :mod:`mlmon.datadrift.multivariate` for why."""
    folds: int = Field(default=5, ge=2, le=20)


class PredictionSection(Section):
    """``drift.prediction``: prediction and confidence drift."""

    enabled: bool = True
    low_confidence: float = Field(default=0.6, gt=0, lt=1)
    """A prediction whose top-class probability is below this counts as low-confidence."""


class ConceptSection(Section):
    """``drift.concept``: concept drift on the errors of the labelled predictions."""

    enabled: bool = True
    detectors: dict[str, dict[str, Any]] | None = None
    """Detector name → its parameters (``{}`` for River's defaults). Default by task: ``ddm``
    with ``warm_start: 1000`` on the misclassification indicator for classification (with
    River's 30, the noisy first rows can set a low minimum error rate after which DDM
    rarely fires), ``adwin`` on the absolute error for regression (it needs no scale).
    Checked against each detector's valid ranges when the config loads."""
    error_rate_increase: float = Field(default=0.02, gt=0, le=1)
    """Classification: the smallest rise in the error rate (absolute) that is a finding."""
    mae_increase: float = Field(default=0.1, gt=0)
    """Regression: the smallest rise in the mean absolute error (relative) that is a finding."""
    confidence: float = Field(default=0.95, gt=0, lt=1)
    """Of the interval on the change in error."""
    persist: bool = True
    """Keep the detectors' state between runs (``<store>/_state/concept``), so consecutive
    runs continue one stream; a new production version starts a fresh one."""

    def detector_params(self, task: str) -> dict[str, dict[str, Any]]:
        """The configured detectors, or the task's default."""
        if self.detectors is not None:
            return self.detectors
        return {"adwin": {}} if task == "regression" else {"ddm": {"warm_start": 1000}}


class DriftSection(Section):
    """``drift``: reference, current window, the decision rule and its parts."""

    window: Literal["1h", "1d", "1w"] | None = "1d"
    """The current data by default: the last ``window`` up to ``--until``."""
    reference: TimeRange | None = None
    """A window of the store to compare against (or pass ``--reference FILE``)."""
    reference_version: str | None = None
    """Or a registered version (``production``, ``3``): the profile of its training data."""
    min_rows: int = Field(default=30, ge=1)
    """Fewer non-missing values than this in the current (or reference) data: no verdict."""
    alpha: float = Field(default=0.05, gt=0, lt=1)
    correction: Literal["bh", "bonferroni", "none"] = "bh"
    significance: bool = True
    """Require the (corrected) test to reject 'no change'."""
    effect: bool = True
    """Require the effect size to reach its threshold."""
    bins: int = Field(default=100, ge=2, le=10_000)
    max_categories: int = Field(default=10_000, ge=1)
    sample_rows: int = Field(default=20_000, ge=100)
    """Values kept per numerical column for statistics that need them (KS, Wasserstein,
    Anderson-Darling, Cramér-von Mises): all of them up to this many, a seeded sample above."""
    js_base: float = Field(default=2.0, gt=1)
    dataset_share: float = Field(default=0.5, gt=0, le=1)
    numerical: NumericalRule = NumericalRule()
    categorical: CategoricalRule = CategoricalRule()
    columns: dict[str, ColumnRule] = Field(default_factory=dict)
    missing: SignalSection = SignalSection()
    new_categories: SignalSection = SignalSection()
    prediction: PredictionSection = PredictionSection()
    multivariate: MultivariateSection = MultivariateSection()
    concept: ConceptSection = ConceptSection()
