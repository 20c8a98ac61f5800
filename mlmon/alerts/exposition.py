"""What mlmon exports to Prometheus: every metric family by name, and the samples a command's
result gives. Pure (rendering uses prometheus-client's own exposition code).

Names carry the ``mlmon_`` prefix and base units (seconds, ratios); every sample has the
``model`` label. The samples of each command are kept between runs (in the alert state), so
the textfile always holds the latest of every command.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from mlmon.alerts.findings import CHECK_FINDINGS, concept_of
from mlmon.outcome import Outcome

if TYPE_CHECKING:  # told by the command, as in mlmon.alerts.findings
    from mlmon.datadrift.result import DriftResult
    from mlmon.health.result import CheckResult
    from mlmon.performance.windows import MetricsResult

FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "mlmon_metric_value": (
        "Realized quality or operational metric of the latest window",
        ("model", "metric", "window"),
    ),
    "mlmon_metric_estimated": (
        "Quality metric of the latest window estimated from the scores (CBPE)",
        ("model", "metric", "window"),
    ),
    "mlmon_threshold_breached": (
        "1 when the metric breaks the threshold rule in a deciding window",
        ("model", "metric", "rule"),
    ),
    "mlmon_label_coverage_ratio": (
        "Share of the latest window's predictions whose label has arrived",
        ("model", "window"),
    ),
    "mlmon_latency_seconds": (
        "Latency quantile of the latest window",
        ("model", "quantile", "window"),
    ),
    "mlmon_error_ratio": ("Share of failed requests in the latest window", ("model", "window")),
    "mlmon_drift_statistic": (
        "Effect size of a column's drift (the rule's statistic)",
        ("model", "feature", "statistic"),
    ),
    "mlmon_drift_detected": ("1 when the column drifted", ("model", "feature")),
    "mlmon_dataset_drift_share": ("Share of judged columns that drifted", ("model",)),
    "mlmon_dataset_drift_detected": ("1 when the dataset drifted", ("model",)),
    "mlmon_multivariate_drift_auc": (
        "Cross-validated ROC AUC of the domain classifier (0.5: no drift)",
        ("model",),
    ),
    "mlmon_concept_drift_detected": ("1 when concept drift was found", ("model",)),
    "mlmon_concept_error": (
        "Error of the labelled current rows (error rate, or mean absolute error)",
        ("model", "measure"),
    ),
    "mlmon_rows": (
        "Rows in the newest complete window of mlmon check",
        ("model", "window"),
    ),
    "mlmon_rows_expected": (
        "Rows the same window of earlier weeks predicts for the newest complete window",
        ("model", "window"),
    ),
    "mlmon_freshness_seconds": (
        "Age of the newest row at the end of the checked range",
        ("model", "table"),
    ),
    "mlmon_freshness_max_seconds": (
        "The age beyond which the table is stale (check.freshness)",
        ("model", "table"),
    ),
    "mlmon_check_status": (
        "1 when the check failed in some window of the range, 0 when it passed",
        ("model", "check", "column", "kind"),
    ),
    "mlmon_check_insufficient": (
        "1 when no window of the range had the rows for the check's verdict (else absent)",
        ("model", "check", "column", "kind"),
    ),
    "mlmon_check_findings": (
        "Findings of mlmon check by kind",
        ("model", "kind"),
    ),
    "mlmon_production_version_info": (
        "The registry's production version (value 1)",
        ("model", "version"),
    ),
    "mlmon_last_success_timestamp_seconds": (
        "Unix time of the command's last run that produced a result",
        ("model", "command"),
    ),
}
"""Every metric family mlmon exports: help text and label names."""


@dataclass(frozen=True)
class Sample:
    """One value of one family."""

    name: str
    labels: dict[str, str]
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "labels": self.labels, "value": self.value}


def production_info(model: str, production: str | None) -> list[Sample]:
    """The production version as an info metric (nothing without one)."""
    if production is None:
        return []
    return [Sample("mlmon_production_version_info", {"model": model, "version": production}, 1)]


def samples(result: Outcome, model: str, now: float) -> list[Sample]:
    """The samples of one command's result (finite values only), plus its success time."""
    out = [
        Sample(
            "mlmon_last_success_timestamp_seconds",
            {"model": model, "command": result.command},
            now,
        )
    ]
    if result.command == "metrics":
        out += _metrics(cast("MetricsResult", result), model)
    elif result.command == "drift":
        out += _drift(cast("DriftResult", result), model)
    elif result.command == "check":
        out += _check(cast("CheckResult", result), model)
    return [s for s in out if math.isfinite(s.value)]


_QUANTILES = {"latency_p50": "0.5", "latency_p95": "0.95", "latency_p99": "0.99"}


def _metrics(result: MetricsResult, model: str) -> list[Sample]:
    if not result.windows:
        return []
    latest = result.windows[-1]
    window = "latest"
    out = []
    for name, est in latest.metrics.items():
        if est.value is None:
            continue
        if name.startswith("latency_p"):
            q = _QUANTILES.get(name)
            if q is not None:  # the logs' latency is in milliseconds; base unit: seconds
                out.append(
                    Sample(
                        "mlmon_latency_seconds",
                        {"model": model, "quantile": q, "window": window},
                        est.value / 1000.0,
                    )
                )
            continue
        if name == "error_rate":
            out.append(Sample("mlmon_error_ratio", {"model": model, "window": window}, est.value))
        labels = {"model": model, "metric": name, "window": window}
        out.append(Sample("mlmon_metric_value", labels, est.value))
    for name, est in (latest.estimated or {}).items():
        if est.value is not None:
            labels = {"model": model, "metric": name, "window": window}
            out.append(Sample("mlmon_metric_estimated", labels, est.value))
    if latest.label_coverage is not None:
        out.append(
            Sample(
                "mlmon_label_coverage_ratio",
                {"model": model, "window": window},
                latest.label_coverage,
            )
        )
    breached = {(b.metric, b.rule) for i in result.deciding for b in result.windows[i].breaches}
    for metric, rule in sorted(breached):
        labels = {"model": model, "metric": metric, "rule": rule}
        out.append(Sample("mlmon_threshold_breached", labels, 1))
    return out


def _drift(result: DriftResult, model: str) -> list[Sample]:
    out = []
    for c in [*result.columns, *result.prediction]:
        if c.status not in ("ok", "drifted"):
            continue
        main = c.distribution
        if main is not None and main.value is not None and main.effect:
            labels = {"model": model, "feature": c.column, "statistic": main.effect}
            out.append(Sample("mlmon_drift_statistic", labels, main.value))
        out.append(
            Sample(
                "mlmon_drift_detected",
                {"model": model, "feature": c.column},
                float(c.status == "drifted"),
            )
        )
    dataset = result.dataset
    if dataset.share is not None:
        out.append(Sample("mlmon_dataset_drift_share", {"model": model}, dataset.share))
    out.append(Sample("mlmon_dataset_drift_detected", {"model": model}, float(dataset.drifted)))
    multivariate = result.multivariate
    if multivariate is not None and multivariate.auc is not None:
        out.append(Sample("mlmon_multivariate_drift_auc", {"model": model}, multivariate.auc))
    concept = concept_of(result)
    if concept is not None and concept.status != "skipped":
        out.append(Sample("mlmon_concept_drift_detected", {"model": model}, float(concept.drifted)))
        if concept.error is not None:
            measure = "error_rate" if concept.stream == "misclassification" else "mae"
            out.append(
                Sample("mlmon_concept_error", {"model": model, "measure": measure}, concept.error)
            )
    return out


def _check(result: CheckResult, model: str) -> list[Sample]:
    """Rows against the expectation in the newest complete window, freshness, each check's
    verdict (status 1 failing or 0 passing, or else insufficient 1: one series per check and
    column, no window label: the range is the run's), and the findings per kind (0
    included)."""
    out = []
    if result.volume:
        newest = result.volume[-1]
        labels = {"model": model, "window": result.window}
        out.append(Sample("mlmon_rows", labels, newest.verdict.rows))
        if newest.verdict.expected is not None:
            out.append(Sample("mlmon_rows_expected", labels, newest.verdict.expected))
    verdicts: list[tuple[str, str, str, str]] = []  # (check, column, kind, status)
    for table, fresh in (("predictions", result.predictions), ("labels", result.labels)):
        if fresh is None:
            continue
        labels = {"model": model, "table": table}
        if fresh.age_seconds is not None:
            out.append(Sample("mlmon_freshness_seconds", labels, fresh.age_seconds))
        out.append(Sample("mlmon_freshness_max_seconds", labels, fresh.max_age))
        status = "finding" if fresh.status == "stale" else "ok"
        verdicts.append(("freshness", table, "stale_data", status))
    if result.volume:
        judged = [v for v in result.volume if v.status != "insufficient_data"]
        volume = "ok" if judged else "insufficient_data"
        gaps = "finding" if result.gaps else volume
        if any(v.status == "anomaly" for v in judged):
            volume = "finding"
        verdicts += [("volume", "", "volume_anomaly", volume), ("gaps", "", "no_data", gaps)]
    verdicts += [(g.check, g.column or "", g.kind, g.status) for g in result.groups]
    for check, column, kind, status in verdicts:
        labels = {"model": model, "check": check, "column": column, "kind": kind}
        if status == "insufficient_data":
            out.append(Sample("mlmon_check_insufficient", labels, 1))
        else:
            out.append(Sample("mlmon_check_status", labels, float(status == "finding")))
    found = result.findings
    for kind in CHECK_FINDINGS:
        n = sum(1 for f in found if f.kind == kind)
        out.append(Sample("mlmon_check_findings", {"model": model, "kind": kind}, n))
    return out


def registry_of(all_samples: list[Sample]) -> Any:
    """The samples as a prometheus-client registry (one gauge per family), which the
    textfile and Pushgateway sinks write with prometheus-client's own exposition code."""
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()
    gauges: dict[str, Any] = {}
    for s in all_samples:
        help_text, label_names = FAMILIES[s.name]
        gauge = gauges.get(s.name)
        if gauge is None:
            gauge = gauges[s.name] = Gauge(s.name, help_text, label_names, registry=registry)
        gauge.labels(**{k: s.labels[k] for k in label_names}).set(s.value)
    return registry
