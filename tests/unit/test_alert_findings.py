"""Which findings each command's result gives, with stable keys (the same finding in two
runs is one alert) and events told from conditions. The findings read the operations' typed
results (tests/factories.py builds small ones)."""

from __future__ import annotations

import datetime as dt

from mlmon.alerts.findings import findings, judged
from mlmon.concept.comparison import ConceptComparison
from mlmon.outcome import Outcome
from tests.factories import (
    column,
    concept_section,
    drift_result,
    expected,
    metrics_result,
    multivariate,
    plain,
    promote_result,
    retrain_result,
    rollback_result,
)

NOW = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.UTC)


def _kinds(result: Outcome, latest: dt.datetime | None = None) -> list[tuple[str, str, bool]]:
    return [
        (f.kind, f.key, f.event)
        for f in findings(result, latest_data=latest, now=NOW, stale_after=7200)
    ]


def test_a_failed_gate_is_an_event_keyed_by_the_candidate() -> None:
    (f,) = findings(promote_result("3", passed=False), latest_data=None, now=NOW, stale_after=1)
    assert (f.kind, f.key, f.event) == ("gate_failed", "gate_failed:3", True)
    assert f.summary == "candidate 3 failed the promotion gate on roc_auc"
    assert f.details["gate"]["passed"] is False
    assert _kinds(promote_result("3", passed=True)) == []


def test_a_rollback_and_a_triggered_retraining_are_events() -> None:
    assert _kinds(rollback_result("2", "1")) == [("rollback", "rollback:2->1", True)]
    assert _kinds(rollback_result("1", "1")) == []
    (f,) = findings(retrain_result("4", ["drift"]), latest_data=None, now=NOW, stale_after=7200)
    assert (f.kind, f.key, f.event) == ("retrain_triggered", "retrain_triggered:4", True)
    assert f.summary == "retraining triggered by drift: candidate version 4"
    assert _kinds(retrain_result(None, ["drift"])) == []


def test_a_breach_in_a_deciding_window_is_a_condition_keyed_by_metric_and_rule() -> None:
    (f,) = findings(metrics_result(breach=True), latest_data=None, now=NOW, stale_after=7200)
    assert (f.kind, f.key, f.event) == ("threshold_breach", "threshold_breach:roc_auc:min", False)
    assert f.summary == (
        "roc_auc 0.7 is below its min bound 0.75 in the window from 2026-10-20T00:00:00Z"
    )
    assert f.labels == {"metric": "roc_auc", "rule": "min"}
    assert f.details["breach"]["bound"] == 0.75
    assert _kinds(metrics_result(breach=False)) == []


def test_drift_and_concept_drift_are_conditions_of_the_drift_command() -> None:
    columns = [column("a", "drifted"), *(column(f"c{i}") for i in range(9))]
    rose = plain(1.0, 1.4, drifted=True, stream="absolute_error")
    concept = concept_section(
        stream="absolute_error",
        status="drifted",
        drifted=True,
        comparison=ConceptComparison(rose, None, "regression: CBPE estimates classifiers only"),
    )
    result = drift_result(columns, multivariate=multivariate(0.71, drifted=True), concept=concept)
    fs = findings(result, latest_data=None, now=NOW, stale_after=7200)
    assert [(f.kind, f.key, f.event) for f in fs] == [
        ("drift", "drift:dataset", False),
        ("concept_drift", "concept_drift", False),
    ]
    assert fs[0].summary == "data drift: 1 of 10 columns drifted; domain classifier AUC 0.710 (a)"
    assert fs[1].summary == "concept drift: the mean absolute error rose from 1 to 1.4"
    assert fs[1].details["comparison"]["basis"] == "reference"


def test_a_concept_alert_says_what_its_verdict_rests_on() -> None:
    rose = plain(0.196, 0.269, drifted=True, stream="misclassification")
    beyond = ConceptComparison(rose, expected(0.229, 0.269, drifted=True), None)
    cbpe = concept_section(status="drifted", drifted=True, comparison=beyond)
    (f,) = findings(drift_result(concept=cbpe), latest_data=None, now=NOW, stale_after=7200)
    assert f.summary == (
        "concept drift: the error rate 0.269 is +0.04 beyond the 0.229 CBPE expects of these rows"
    )
    explained = ConceptComparison(rose, expected(0.229, 0.269, drifted=False), None)
    detectors = concept_section(
        status="drifted", drifted=True, comparison=explained, drifted_detectors=["hddm_a"]
    )
    (f,) = findings(drift_result(concept=detectors), latest_data=None, now=NOW, stale_after=7200)
    assert f.summary == "concept drift: a change point in the error rate (hddm_a)"


def test_stale_data_fires_when_the_newest_prediction_is_older_than_stale_after() -> None:
    fresh = NOW - dt.timedelta(hours=1)
    old = NOW - dt.timedelta(hours=3)
    assert _kinds(metrics_result(breach=False), fresh) == []
    assert _kinds(metrics_result(breach=False), old) == [("stale_data", "stale_data", False)]
    assert _kinds(drift_result(), old) == [("stale_data", "stale_data", False)]
    # only metrics and drift judge staleness
    assert _kinds(promote_result("3", passed=True), old) == []


def test_only_what_a_run_judged_can_resolve() -> None:
    assert judged(metrics_result(breach=False), staleness_known=True) == {
        "threshold_breach",
        "stale_data",
    }
    short = metrics_result(breach=False, status="insufficient_data", estimated=False)
    assert judged(short, staleness_known=False) == set()
    assert judged(drift_result([column("a")]), staleness_known=False) == {"drift"}
    judged_concept = drift_result([column("a")], concept=concept_section(status="ok"))
    assert judged(judged_concept, staleness_known=False) == {"drift", "concept_drift"}
    skipped = drift_result([column("a")], concept=concept_section(status="skipped"))
    assert judged(skipped, staleness_known=False) == {"drift"}
    two_files = drift_result([column("a")], source="file cur.parquet")
    assert judged(two_files, staleness_known=True) == set()
    assert judged(rollback_result("2", "1"), staleness_known=True) == set()


def test_every_check_finding_can_be_named_by_a_rule_and_has_an_alert_name() -> None:
    from typing import get_args

    from mlmon.alerts.findings import CHECK_FINDINGS, CONDITIONS
    from mlmon.alerts.sinks.webhook import ALERT_NAMES
    from mlmon.config.alerts import Finding
    from mlmon.health import FINDINGS

    assert CHECK_FINDINGS == FINDINGS  # alerts name check's own list
    assert CONDITIONS["check"] == FINDINGS
    assert set(FINDINGS) <= set(get_args(Finding))
    assert set(ALERT_NAMES) == set(get_args(Finding))
    assert ALERT_NAMES["no_data"] == "MlmonNoData"
    assert ALERT_NAMES["volume_anomaly"] == "MlmonVolumeAnomaly"


def test_check_does_not_judge_stale_after_and_metrics_keeps_check_s_staleness() -> None:
    from mlmon.alerts.findings import unjudged

    keys = ["stale_data", "stale_data:predictions", "threshold_breach:roc_auc:min"]
    # metrics judges stale_data, but only its own key (alerts.stale_after) may resolve
    assert unjudged(metrics_result(breach=False), keys) == {"stale_data:predictions"}
    assert unjudged(drift_result(), keys) == {"stale_data:predictions"}
