"""Which findings each command's result gives, with stable keys (the same finding in two
runs is one alert) and events told from conditions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mlmon.alerts.findings import findings

NOW = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.UTC)


def _kinds(
    command: str, result: dict[str, Any], latest: dt.datetime | None = None
) -> list[tuple[str, str, bool]]:
    return [
        (f.kind, f.key, f.event)
        for f in findings(command, result, latest_data=latest, now=NOW, stale_after=7200)
    ]


def test_a_failed_gate_is_an_event_keyed_by_the_candidate() -> None:
    result = {"candidate": "3", "promoted": False, "gate": {"metric": "roc_auc", "passed": False}}
    assert _kinds("promote", result) == [("gate_failed", "gate_failed:3", True)]
    passed = {"candidate": "3", "promoted": True, "gate": {"metric": "roc_auc", "passed": True}}
    assert _kinds("promote", passed) == []


def test_a_rollback_and_a_triggered_retraining_are_events() -> None:
    assert _kinds("rollback", {"from_version": "2", "to_version": "1"}) == [
        ("rollback", "rollback:2->1", True)
    ]
    assert _kinds("rollback", {"from_version": "1", "to_version": "1"}) == []
    retrain = {"triggered": True, "version": "4", "triggers": [{"trigger": "drift", "fired": True}]}
    (f,) = findings("retrain", retrain, latest_data=None, now=NOW, stale_after=7200)
    assert (f.kind, f.key, f.event) == ("retrain_triggered", "retrain_triggered:4", True)
    assert f.summary == "retraining triggered by drift: candidate version 4"
    assert _kinds("retrain", {"triggered": True, "version": None, "triggers": []}) == []


def test_drift_and_concept_drift_are_conditions_of_the_drift_command() -> None:
    result = {
        "dataset": {"drifted": False, "n_drifted": 1, "n_columns": 10, "drifted_columns": ["a"]},
        "multivariate": {"drifted": True, "auc": 0.71},
        "concept": {
            "drifted": True,
            "stream": "absolute_error",
            "comparison": {"reference": 1.0, "current": 1.4, "drifted": True},
        },
    }
    fs = findings("drift", result, latest_data=None, now=NOW, stale_after=7200)
    assert [(f.kind, f.key, f.event) for f in fs] == [
        ("drift", "drift:dataset", False),
        ("concept_drift", "concept_drift", False),
    ]
    assert fs[0].summary == "data drift: 1 of 10 columns drifted; domain classifier AUC 0.710 (a)"
    assert fs[1].summary == "concept drift: the mean absolute error rose from 1 to 1.4"


def test_a_concept_alert_says_what_its_verdict_rests_on() -> None:
    expected = {"error": 0.229, "current": 0.269, "unexplained_change": 0.04, "drifted": True}
    cbpe = {
        "drifted": True,
        "stream": "misclassification",
        "comparison": {
            "reference": 0.196,
            "current": 0.269,
            "drifted": True,
            "basis": "expected_error",
            "expected": expected,
        },
    }
    (f,) = findings("drift", {"concept": cbpe}, latest_data=None, now=NOW, stale_after=7200)
    assert f.summary == (
        "concept drift: the error rate 0.269 is +0.04 beyond the 0.229 CBPE expects of these rows"
    )
    detectors = {
        "drifted": True,
        "stream": "misclassification",
        "detectors": [
            {"detector": "ddm", "status": "ok"},
            {"detector": "hddm_a", "status": "drifted"},
        ],
        "comparison": {"basis": "expected_error", "expected": {**expected, "drifted": False}},
    }
    (f,) = findings("drift", {"concept": detectors}, latest_data=None, now=NOW, stale_after=7200)
    assert f.summary == "concept drift: a change point in the error rate (hddm_a)"


def test_stale_data_fires_when_the_newest_prediction_is_older_than_stale_after() -> None:
    fresh = NOW - dt.timedelta(hours=1)
    old = NOW - dt.timedelta(hours=3)
    assert _kinds("metrics", {"windows": []}, fresh) == []
    assert _kinds("metrics", {"windows": []}, old) == [("stale_data", "stale_data", False)]
    assert _kinds("drift", {}, old) == [("stale_data", "stale_data", False)]
    assert _kinds("promote", {}, old) == []  # only metrics and drift judge staleness
