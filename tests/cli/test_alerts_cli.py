"""Alert sinks from the command line: a sink that fails after the result was computed gives
exit 6 with the result still printed (stdout) and the failure on stderr; a later run
delivers the alert."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import pytest

from tests.conftest import BINARY_CONFIG, Project
from tests.integration.test_alerts import Receiver
from tests.integration.test_metrics import METRICS, _store

WINDOW = ("--since", "2026-10-01", "--until", "2026-10-04", "--exit-zero")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def port() -> int:
    return _port()


@pytest.fixture
def aproject(make_project: Callable[..., Project], port: int) -> Project:
    alerts = f"""\
alerts:
  stale_after: 100000d
  rules: [{{finding: threshold_breach, severity: critical}}]
  sinks: [{{type: webhook, url: "http://127.0.0.1:{port}/hook", retries: 0}}]
"""
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + METRICS + alerts
    return make_project(text=text)


def test_an_unreachable_webhook_exits_6_after_printing_the_result(
    aproject: Project, port: int
) -> None:
    _store(aproject, labelled_days=3, drop_after=2)
    result = aproject.cli("--json", "metrics", *WINDOW)
    assert result.code == 6
    document = json.loads(result.stdout)  # the one JSON document: the result
    assert document["command"] == "metrics" and document["status"] == "finding"
    assert result.stderr.startswith(
        f"error: alerts.sinks[0] (webhook http://127.0.0.1:{port}/…): cannot reach it ("
    )
    assert result.stderr.endswith(
        "after 1 attempt; the alert is sent again on the next run\n"
        "hint: fix the sink; the result above stands (exit 6)\n"
    )
    receiver = Receiver(port=port)
    try:
        again = aproject.cli("metrics", *WINDOW)
        assert again.code == 0, again.stderr  # --exit-zero: the finding does not fail the run
        assert "alert firing: threshold_breach (critical): roc_auc" in again.stderr
        (payload,) = receiver.json_bodies()
        assert payload["alerts"][0]["labels"]["alertname"] == "MlmonThresholdBreach"
    finally:
        receiver.close()


def test_without_sinks_nothing_is_written_to_the_state_directory(
    make_project: Callable[..., Project],
) -> None:
    project = make_project(text=BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine"))
    _store(project, labelled_days=3)
    assert project.cli("metrics", *WINDOW).code == 0
    assert not (project.store / "_state" / "alerts").exists()


def test_an_unreadable_alert_state_exits_6_with_one_json_document(
    aproject: Project, port: int
) -> None:
    _store(aproject, labelled_days=3, drop_after=2)
    state = aproject.store / "_state" / "alerts" / "loans.json"
    state.parent.mkdir(parents=True)
    state.write_text('{"format":')
    result = aproject.cli("--json", "metrics", *WINDOW)
    assert result.code == 6
    assert json.loads(result.stdout)["status"] == "finding"  # one document: the result
    assert result.stderr.startswith(f"error: alerts: {state}: unreadable alert state (")
    assert "(delete the file: alerts start afresh" in result.stderr


def test_a_webhook_url_without_a_scheme_is_a_config_error_that_hides_the_path(
    make_project: Callable[..., Project],
) -> None:
    alerts = """\
alerts:
  sinks: [{type: webhook, url: "hooks.example.com/services/T0/B0/secret"}]
"""
    project = make_project(
        text=BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + alerts
    )
    result = project.cli("metrics", *WINDOW)
    assert result.code == 3
    assert (
        "alerts.sinks[0].webhook.url: must be an http:// or https:// URL (got one starting "
        "'hooks.exampl')" in result.stderr
    )
    assert "secret" not in result.stderr
