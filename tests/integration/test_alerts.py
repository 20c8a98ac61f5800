"""Alerts with real parts: a real HTTP server on loopback receives the webhook posts (firing,
held inside the cooldown, resolved once when the condition clears), the textfile is read back
with prometheus-client's parser, a Pushgateway stand-in receives the push, and failing sinks
give exit 6 with the result printed and the alert retried on the next run."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mlmon.alerts import dispatch
from mlmon.alerts.exposition import FAMILIES
from mlmon.config import Config, parse_config
from tests.factories import column, concept_section, drift_result, metrics_result, multivariate

T0 = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.UTC)


class Receiver:
    """A loopback HTTP server that records every request and answers with the next status
    of ``statuses`` (then 200)."""

    def __init__(self, port: int = 0, statuses: list[int] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"method": self.command, "path": self.path, "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def json_bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _config(tmp_path: Path, sinks: str, rules: str = "[{finding: threshold_breach}]") -> Config:
    text = f"""\
model: {{name: loans, task: binary_classification, classes: [0, 1]}}
schema: {{id: id, timestamp: ts, score: score, label: label, features: {{numerical: [x]}}}}
store: {{path: store}}
alerts:
  cooldown: 1h
  stale_after: 100000d
  rules: {rules}
  sinks: {sinks}
"""
    (tmp_path / "mlmon.yaml").write_text(text)  # for child processes to load
    return parse_config(text, tmp_path / "mlmon.yaml")


def test_webhook_fires_holds_within_the_cooldown_and_resolves_once(
    tmp_path: Path, receiver: Receiver
) -> None:
    config = _config(tmp_path, f"[{{type: webhook, url: '{receiver.url}/hook'}}]")
    first = dispatch(config, metrics_result(breach=True), now=T0)
    assert first is not None and first.failures == []
    (payload,) = receiver.json_bodies()
    assert payload["version"] == "4" and payload["status"] == "firing"
    (alert,) = payload["alerts"]
    assert alert["labels"] == {
        "alertname": "MlmonThresholdBreach",
        "model": "loans",
        "severity": "warning",
        "metric": "roc_auc",
        "rule": "min",
    }
    assert alert["startsAt"] == "2026-10-20T12:00:00Z"
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert "roc_auc 0.7 is below its min bound 0.75" in alert["annotations"]["summary"]

    later = dispatch(config, metrics_result(breach=True), now=T0 + dt.timedelta(minutes=10))
    assert later is not None and later.held == ["threshold_breach:roc_auc:min"]
    assert len(receiver.requests) == 1  # nothing repeated inside the cooldown

    cleared = T0 + dt.timedelta(minutes=20)
    dispatch(config, metrics_result(breach=False), now=cleared)
    resolved = receiver.json_bodies()[1]
    assert resolved["status"] == "resolved"
    assert resolved["alerts"][0]["startsAt"] == "2026-10-20T12:00:00Z"
    assert resolved["alerts"][0]["endsAt"] == "2026-10-20T12:20:00Z"

    dispatch(config, metrics_result(breach=False), now=T0 + dt.timedelta(minutes=30))
    assert len(receiver.requests) == 2  # resolved goes out once
    dispatch(config, metrics_result(breach=True), now=T0 + dt.timedelta(hours=3))
    assert receiver.json_bodies()[2]["status"] == "firing"


def test_a_firing_alert_is_sent_again_after_the_cooldown(
    tmp_path: Path, receiver: Receiver
) -> None:
    config = _config(tmp_path, f"[{{type: webhook, url: '{receiver.url}'}}]")
    for minutes in (0, 30, 59, 61, 90):
        dispatch(config, metrics_result(True), now=T0 + dt.timedelta(minutes=minutes))
    assert len(receiver.requests) == 2  # at 0 and at 61 minutes
    starts = {b["alerts"][0]["startsAt"] for b in receiver.json_bodies()}
    assert starts == {"2026-10-20T12:00:00Z"}  # the same alert, reminded


def test_slack_returning_500_then_200_is_retried_and_delivered(tmp_path: Path) -> None:
    slack = Receiver(statuses=[500])
    try:
        config = _config(
            tmp_path,
            f"[{{type: webhook, format: slack, url: '{slack.url}/services/T/B/x', backoff: 0.01}}]",
        )
        report = dispatch(config, metrics_result(True), now=T0)
        assert report is not None and report.failures == []
        assert len(slack.requests) == 2
        body = slack.json_bodies()[1]
        assert set(body) == {"text"}
        assert ":red_circle: FIRING [warning] roc_auc 0.7 is below its min bound" in body["text"]
    finally:
        slack.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_webhook_fails_the_run_and_the_alert_is_sent_on_the_next(
    tmp_path: Path,
) -> None:
    port = _free_port()
    config = _config(
        tmp_path,
        f"[{{type: webhook, url: 'http://127.0.0.1:{port}/x', retries: 1, backoff: 0.01}}]",
    )
    report = dispatch(config, metrics_result(True), now=T0)
    assert report is not None and report.sent == []
    (failure,) = report.failures
    assert failure.startswith(
        f"alerts.sinks[0] (webhook http://127.0.0.1:{port}/…): cannot reach it"
    )
    assert failure.endswith("after 2 attempts; the alert is sent again on the next run")
    late = Receiver(port=port)
    try:
        retry = dispatch(config, metrics_result(True), now=T0 + dt.timedelta(minutes=5))
        assert retry is not None and retry.failures == [] and len(late.requests) == 1
        assert late.json_bodies()[0]["status"] == "firing"  # not held: it was never sent
    finally:
        late.close()


def test_the_textfile_parses_with_prometheus_client_and_holds_every_command(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "textfile"
    directory.mkdir()
    config = _config(tmp_path, f"[{{type: textfile, directory: '{directory}'}}]")
    dispatch(config, metrics_result(True), now=T0)
    drift = drift_result(
        [column("x", "drifted", effect="wasserstein", value=0.31)],
        multivariate=multivariate(0.68, drifted=True),
        concept=concept_section(status="ok", error=0.2),
    )
    dispatch(config, drift, now=T0 + dt.timedelta(minutes=1))
    path = directory / "mlmon_loans.prom"
    assert [p.name for p in directory.iterdir()] == ["mlmon_loans.prom"]  # no temp left
    families = {f.name: f for f in text_string_to_metric_families(path.read_text())}
    assert set(families) <= set(FAMILIES)
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    assert all(s.timestamp is None for f in families.values() for s in f.samples)
    assert (
        values[
            (
                "mlmon_latency_seconds",
                (("model", "loans"), ("quantile", "0.95"), ("window", "latest")),
            )
        ]
        == 0.125
    )
    assert (
        values[
            (
                "mlmon_threshold_breached",
                (("metric", "roc_auc"), ("model", "loans"), ("rule", "min")),
            )
        ]
        == 1
    )
    assert (
        values[
            (
                "mlmon_metric_estimated",
                (("metric", "roc_auc"), ("model", "loans"), ("window", "latest")),
            )
        ]
        == 0.79
    )
    assert (
        values[
            (
                "mlmon_drift_statistic",
                (("feature", "x"), ("model", "loans"), ("statistic", "wasserstein")),
            )
        ]
        == 0.31
    )
    assert values[("mlmon_dataset_drift_detected", (("model", "loans"),))] == 1
    assert values[("mlmon_concept_drift_detected", (("model", "loans"),))] == 0
    success = {k[1]: v for k, v in values.items() if k[0] == "mlmon_last_success_timestamp_seconds"}
    assert success == {
        (("command", "metrics"), ("model", "loans")): T0.timestamp(),
        (("command", "drift"), ("model", "loans")): T0.timestamp() + 60,
    }


def test_a_missing_textfile_directory_is_a_clear_error(tmp_path: Path) -> None:
    config = _config(tmp_path, f"[{{type: textfile, directory: '{tmp_path / 'nope'}'}}]")
    report = dispatch(config, metrics_result(True), now=T0)
    assert report is not None
    assert report.failures == [
        f"alerts.sinks[0] (textfile): directory {tmp_path / 'nope'} does not exist; create it "
        "(node_exporter --collector.textfile.directory) or fix alerts.sinks[0].directory"
    ]


def test_the_pushgateway_receives_the_samples_under_job_and_model(
    tmp_path: Path, receiver: Receiver
) -> None:
    config = _config(tmp_path, f"[{{type: pushgateway, url: '{receiver.url}', job: nightly}}]")
    dispatch(config, metrics_result(False), now=T0)
    (request,) = receiver.requests
    assert request["method"] == "PUT" and request["path"] == "/metrics/job/nightly/model/loans"
    names = {f.name for f in text_string_to_metric_families(request["body"].decode())}
    assert "mlmon_metric_value" in names and "mlmon_last_success_timestamp_seconds" in names


def test_the_jsonl_sink_appends_one_line_per_notification(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    config = _config(
        tmp_path,
        f"[{{type: jsonl, path: '{path}'}}]",
        rules="[{finding: threshold_breach, severity: critical}]",
    )
    dispatch(config, metrics_result(True), now=T0)
    dispatch(config, metrics_result(False), now=T0 + dt.timedelta(minutes=5))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["status"], r["severity"], r["finding"]) for r in lines] == [
        ("firing", "critical", "threshold_breach"),
        ("resolved", "critical", "threshold_breach"),
    ]


def test_findings_without_a_rule_do_not_alert(tmp_path: Path, receiver: Receiver) -> None:
    config = _config(
        tmp_path, f"[{{type: webhook, url: '{receiver.url}'}}]", rules="[{finding: drift}]"
    )
    dispatch(config, metrics_result(True), now=T0)
    assert receiver.requests == []


def test_an_unknown_finding_in_a_rule_is_a_config_error_listing_the_valid_ones(
    tmp_path: Path,
) -> None:
    from mlmon.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        _config(tmp_path, "[]", rules="[{finding: drfit}]")
    assert "alerts.rules[0].finding: must be one of 'drift', 'threshold_breach'" in str(info.value)
    assert "(got 'drfit')" in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_a_read_only_textfile_directory_is_a_clear_error(tmp_path: Path) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o555)
    config = _config(tmp_path, f"[{{type: textfile, directory: '{directory}'}}]")
    try:
        report = dispatch(config, metrics_result(True), now=T0)
    finally:
        directory.chmod(0o755)
    assert report is not None
    assert report.failures == [
        f"alerts.sinks[0] (textfile): directory {directory} is not writable by this user"
    ]


def test_a_textfile_path_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "not-a-dir"
    target.write_text("")
    config = _config(tmp_path, f"[{{type: textfile, directory: '{target}'}}]")
    report = dispatch(config, metrics_result(True), now=T0)
    assert report is not None
    assert report.failures == [f"alerts.sinks[0] (textfile): {target} is a file, not a directory"]


def _dispatch_many(config_path: str, command: str, times: int) -> None:
    """One process: ``times`` dispatches of ``command`` (a cron job run again and again)."""
    from mlmon.config import load_config

    config = load_config(config_path)
    result = metrics_result(True) if command == "metrics" else drift_result()
    for i in range(times):
        dispatch(config, result, now=T0 + dt.timedelta(seconds=i))


def test_concurrent_runs_of_two_commands_lose_no_alert_state(tmp_path: Path) -> None:
    """Two processes (the metrics and the drift cron job) dispatching at the same moments.
    The metrics job's breach fires once and is then held by the cooldown; without the state
    lock the drift job's saves would drop its entry and the alert would be sent again."""
    directory = tmp_path / "textfile"
    directory.mkdir()
    log = tmp_path / "alerts.jsonl"
    _config(
        tmp_path, f"[{{type: textfile, directory: '{directory}'}}, {{type: jsonl, path: '{log}'}}]"
    )
    context = multiprocessing.get_context("fork")
    procs = [
        context.Process(target=_dispatch_many, args=(str(tmp_path / "mlmon.yaml"), command, 60))
        for command in ("metrics", "drift")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    sent = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(n["status"], n["finding"]) for n in sent] == [("firing", "threshold_breach")]
    state = json.loads((tmp_path / "store/_state/alerts/loans.json").read_text())
    assert set(state["samples"]) == {"metrics", "drift"}
    text = (directory / "mlmon_loans.prom").read_text()
    assert 'command="metrics"' in text and 'command="drift"' in text


def test_a_window_short_of_labels_resolves_nothing(tmp_path: Path, receiver: Receiver) -> None:
    """No verdict is not 'all clear': a breach stays firing while the deciding window has too
    few labels to judge it, and resolves once a judged window no longer breaks the bound."""
    config = _config(tmp_path, f"[{{type: webhook, url: '{receiver.url}'}}]")
    dispatch(config, metrics_result(True), now=T0)
    unjudged = metrics_result(False, status="insufficient_data", estimated=False)
    dispatch(config, unjudged, now=T0 + dt.timedelta(minutes=5))
    assert [b["status"] for b in receiver.json_bodies()] == ["firing"]
    dispatch(config, metrics_result(False), now=T0 + dt.timedelta(minutes=10))
    assert [b["status"] for b in receiver.json_bodies()] == ["firing", "resolved"]


def test_a_comparison_of_two_files_resolves_no_store_alert(
    tmp_path: Path, receiver: Receiver
) -> None:
    config = _config(
        tmp_path, f"[{{type: webhook, url: '{receiver.url}'}}]", rules="[{finding: drift}]"
    )
    drifted = [column(f"d{i}", "drifted") for i in range(3)] + [column("a"), column("b")]
    calm = [column(f"c{i}") for i in range(5)]
    dispatch(config, drift_result(drifted, source="store a .. b"), now=T0)
    dispatch(config, drift_result(calm, source="file cur.parquet"), now=T0)
    assert [b["status"] for b in receiver.json_bodies()] == ["firing"]
    dispatch(config, drift_result(calm, source="store b .. c"), now=T0)
    assert [b["status"] for b in receiver.json_bodies()] == ["firing", "resolved"]
