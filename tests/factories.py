"""Small typed results for the tests of code that reads them (alerts, exposition): the
objects the operations return, built by hand with only what a test is about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from mlmon.concept.comparison import ConceptComparison
from mlmon.concept.expected import ExpectedComparison
from mlmon.concept.run import ConceptSection, DetectorReport
from mlmon.concept.stream import ErrorComparison
from mlmon.datadrift.compare import Comparison, Signal
from mlmon.datadrift.multivariate import MultivariateResult
from mlmon.datadrift.result import CurrentSide, DriftResult, DriftSettings, ReferenceSide
from mlmon.lifecycle.gate import GateResult
from mlmon.lifecycle.promote import PromoteResult
from mlmon.lifecycle.retrain import RetrainResult
from mlmon.lifecycle.triggers import Trigger
from mlmon.performance.estimate import Estimate
from mlmon.performance.thresholds import Breach
from mlmon.performance.windows import MetricsResult, WindowReport
from mlmon.registry.rollback import RollbackResult

DAY = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
STORE_WINDOW = "store 2026-10-20T00:00:00Z .. 2026-10-21T00:00:00Z"


def metrics_result(
    breach: bool,
    coverage: float = 0.8,
    *,
    status: str = "ok",
    estimated: bool = True,
) -> MetricsResult:
    """One daily window (the deciding one) of 1,000 rows: ROC AUC 0.70 breaking its 0.75
    minimum with ``breach``, else 0.80; latency p95 125 ms; error rate 0.002."""
    breaches = (
        (Breach("roc_auc", "min", "below", 0.75, 0.70, 0.68, 0.72, significant=True),)
        if breach
        else ()
    )
    window = WindowReport(
        start=DAY,
        end=DAY + dt.timedelta(days=1),
        by=None,
        n=1000,
        labelled=round(1000 * coverage),
        label_lag_median_hours=None,
        status=status,
        metrics={
            "roc_auc": Estimate(0.70 if breach else 0.80),
            "latency_p95": Estimate(125.0),
            "error_rate": Estimate(0.002),
        },
        breaches=breaches,
        estimated={"roc_auc": Estimate(0.79)} if estimated else None,
    )
    return MetricsResult(None, DAY + dt.timedelta(days=1), "1d", None, 0.95, 100, (window,), (0,))


def column(
    name: str,
    status: str = "ok",
    *,
    effect: str = "wasserstein",
    value: float | None = 0.01,
) -> Comparison:
    """A numerical column's comparison whose distribution signal is ``effect`` = ``value``."""
    signal = Signal(
        "distribution", "ks", None, 0.5, effect, value, 0.1, True, fired=status == "drifted"
    )
    return Comparison(name, "numerical", "auto", status, None, 500, 500, 0.0, 0.0, None, (signal,))


def drift_result(
    columns: Sequence[Comparison] = (),
    *,
    source: str = STORE_WINDOW,
    dataset_share: float = 0.5,
    multivariate: MultivariateResult | None = None,
    concept: ConceptSection | None = None,
) -> DriftResult:
    """A drift result of ``columns`` judged against ``dataset_share``, the current data from
    ``source`` (``file …`` for a comparison of two files)."""
    settings = DriftSettings(
        alpha=0.05,
        correction="bh",
        significance=True,
        effect=True,
        dataset_share=dataset_share,
        min_rows=30,
        js_base=2.0,
        method=None,
        columns=None,
        exclude=[],
    )
    reference = ReferenceSide(
        "store 2026-10-01T00:00:00Z .. 2026-10-08T00:00:00Z", 500, False, None, "k"
    )
    return DriftResult(
        reference=reference,
        current=CurrentSide(source, 500, None, None),
        columns=tuple(columns),
        prediction=(),
        settings=settings,
        fail_on="dataset",
        multivariate=multivariate,
        concept=concept,
    )


def multivariate(auc: float, *, drifted: bool) -> MultivariateResult:
    """The domain classifier's verdict: ``auc`` on 5,000 + 5,000 rows, drift at 0.6."""
    return MultivariateResult(
        auc=auc,
        low=auc - 0.01,
        high=auc + 0.01,
        threshold=0.6,
        drifted=drifted,
        n_reference=5000,
        n_current=5000,
        features=["x"],
    )


def plain(reference: float, current: float, *, drifted: bool, stream: str) -> ErrorComparison:
    """The current rows' error against the reference's."""
    measure = "error_rate" if stream == "misclassification" else "mean_absolute_error"
    return ErrorComparison(
        measure,
        reference,
        current,
        current - reference,
        None,
        None,
        0.01,
        "t",
        0.02,
        500,
        500,
        drifted,
    )


def expected(error: float, current: float, *, drifted: bool) -> ExpectedComparison:
    """The realized error ``current`` against the ``error`` CBPE expects of the rows."""
    return ExpectedComparison(error, current, 500, None, current - error, None, None, 0.01, drifted)


def concept_section(
    *,
    stream: str = "misclassification",
    status: str = "ok",
    drifted: bool = False,
    error: float | None = 0.2,
    comparison: ConceptComparison | None = None,
    drifted_detectors: Sequence[str] = (),
) -> ConceptSection:
    """A concept section; ``drifted_detectors`` found a change point, ``ddm`` did not."""
    names = ["ddm", *drifted_detectors]
    detectors = [
        DetectorReport(
            name,
            {},
            "drifted" if name in drifted_detectors else "ok",
            None,
            500,
            500,
            30,
            False,
            [],
        )
        for name in names
    ]
    return ConceptSection(
        stream=stream,
        mode="stateless",
        mode_reason="an explicit range",
        state_reset=None,
        n_labelled=500,
        error=error,
        comparison=comparison,
        status=status,
        drifted=drifted,
        reason=None,
        detectors=detectors,
        state=None,
    )


def promote_result(candidate: str, *, passed: bool) -> PromoteResult:
    gate = GateResult(metric="roc_auc", rows=1000, passed=passed, rules=())
    return PromoteResult(
        candidate=candidate,
        production_before="1",
        production_after=candidate if passed else "1",
        promoted=passed,
        gate=gate,
        dry_run=False,
    )


def rollback_result(from_version: str, to_version: str) -> RollbackResult:
    moved = from_version != to_version
    return RollbackResult(from_version, to_version, moved, False, None)


def retrain_result(version: str | None, fired: Sequence[str] = ()) -> RetrainResult:
    triggers = tuple(Trigger(name, True, "fired") for name in fired)
    return RetrainResult(triggers, None, dry_run=False, check=False, version=version)
