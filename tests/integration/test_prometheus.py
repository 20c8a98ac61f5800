"""The shipped Prometheus rules and Grafana dashboard, checked with the real tools: promtool
checks and unit-tests the rules; a real Prometheus scrapes mlmon's exposition on loopback and
fires the shipped drift rule; every metric the dashboard queries is one mlmon exports.

promtool and prometheus come from Debian's ``prometheus`` package (``.ci/run`` installs it);
without them these tests skip and say so."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mlmon.alerts import dispatch
from mlmon.alerts.exposition import FAMILIES
from mlmon.config import parse_config
from tests.conftest import REPO
from tests.factories import column, drift_result

RULES = REPO / "configs" / "prometheus" / "alerts.yml"
RULE_TESTS = REPO / "configs" / "prometheus" / "alerts_test.yml"
DASHBOARD = REPO / "configs" / "grafana" / "mlmon-dashboard.json"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package 'prometheus'; .ci/run installs it)")
    return path


def test_promtool_checks_the_shipped_rules() -> None:
    proc = subprocess.run(
        [_tool("promtool"), "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 11 rules found" in proc.stdout


def test_promtool_unit_tests_of_the_shipped_rules_pass() -> None:
    proc = subprocess.run(
        [_tool("promtool"), "test", "rules", str(RULE_TESTS)],
        capture_output=True,
        text=True,
        cwd=RULE_TESTS.parent,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_every_metric_the_rules_and_dashboard_use_is_one_mlmon_exports() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs.append(dashboard["templating"]["list"][1]["definition"])
    used = {m for e in exprs for m in re.findall(r"\bmlmon_[a-z_]+", e)}
    used |= set(re.findall(r"\bmlmon_[a-z_]+", RULES.read_text()))
    assert used, "the dashboard and rules query mlmon's metrics"
    assert used <= set(FAMILIES), sorted(used - set(FAMILIES))
    panels = {p["title"] for p in dashboard["panels"]}
    for topic in (
        "Quality",
        "Drift per feature",
        "Label coverage",
        "Latency",
        "Production version",
        "Freshness",
        "Rows vs expected",
        "Failing checks",
    ):
        assert any(t.startswith(topic) for t in panels), topic


def test_a_real_prometheus_scraping_mlmon_fires_the_shipped_drift_rule(tmp_path: Path) -> None:
    binary = _tool("prometheus")
    config = parse_config(
        f"""\
model: {{name: loans, task: binary_classification, classes: [0, 1]}}
schema: {{id: id, timestamp: ts, score: score, label: label, features: {{numerical: [x]}}}}
store: {{path: store}}
alerts: {{sinks: [{{type: textfile, directory: '{tmp_path}'}}], stale_after: 100000d}}
""",
        tmp_path / "mlmon.yaml",
    )
    drift = drift_result([column("x", "drifted", effect="psi", value=0.4)])
    dispatch(config, drift, now=dt.datetime.now(dt.UTC))
    exposition = (tmp_path / "mlmon_loans.prom").read_bytes()

    class Exporter(BaseHTTPRequestHandler):  # stands in for node_exporter's textfile collector
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(exposition)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Exporter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rules = tmp_path / "alerts.yml"
    shutil.copy(RULES, rules)
    (tmp_path / "prometheus.yml").write_text(
        f"""\
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: [{rules}]
scrape_configs:
  - job_name: mlmon
    static_configs: [{{targets: ["127.0.0.1:{server.server_address[1]}"]}}]
"""
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        firing: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not firing:
            time.sleep(1)
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v1/alerts", timeout=2
                ) as r:
                    alerts = json.loads(r.read())["data"]["alerts"]
            except OSError:
                continue
            firing = [
                a
                for a in alerts
                if a["labels"]["alertname"] == "MlmonDataDrift" and a["state"] == "firing"
            ]
        assert firing, "MlmonDataDrift did not fire within 60 s"
        assert firing[0]["labels"]["model"] == "loans"
        assert firing[0]["annotations"]["summary"] == "Data drift in model loans"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    """A free loopback port (bound, then released for the child process to take)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
