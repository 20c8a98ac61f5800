"""The ``alerts`` section: which findings alert, at what severity, and where they go."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from mlmon.config.base import Duration, Section


def _http_url(value: str) -> str:
    """An http(s) URL. The message leaves the path out: webhook URLs carry their secret there."""
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in ("http", "https") or not rest.split("/", 1)[0]:
        raise PydanticCustomError(
            "url",
            "must be an http:// or https:// URL (got one starting {start})",
            # up to the first ':' or '@': never a password, even in a mistyped scheme
            {"start": repr(re.split(r"[:@?#]", value, maxsplit=1)[0][:12])},
        )
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]

Finding = Literal[
    "drift",
    "threshold_breach",
    "concept_drift",
    "gate_failed",
    "rollback",
    "retrain_triggered",
    "stale_data",
    "no_data",
    "volume_anomaly",
    "feature_anomaly",
    "contract_violation",
    "prediction_anomaly",
]
"""Every finding a rule can name (``stale_data`` and the last five are ``mlmon check``'s;
``metrics`` and ``drift`` report ``stale_data`` too, from ``stale_after``)."""

Severity = Literal["info", "warning", "critical"]


class Rule(Section):
    """``alerts.rules[]``: a finding that alerts, and how loudly."""

    finding: Finding
    severity: Severity = "warning"


class TextfileSink(Section):
    """A Prometheus textfile for node_exporter's textfile collector."""

    type: Literal["textfile"]
    directory: Path


class PushgatewaySink(Section):
    """A Prometheus Pushgateway."""

    type: Literal["pushgateway"]
    url: HttpUrl
    job: str = "mlmon"
    timeout: Duration = 5.0


class WebhookSink(Section):
    """An HTTP endpoint: Alertmanager-style JSON (``alertmanager``) or a Slack incoming
    webhook (``slack``)."""

    type: Literal["webhook"]
    url: HttpUrl
    format: Literal["alertmanager", "slack"] = "alertmanager"
    timeout: Duration = 5.0
    retries: int = Field(default=3, ge=0, le=10)
    """Further attempts after a failed one (connection error, 5xx or 429)."""
    backoff: Duration = 0.5
    """Wait before the first retry; doubled before each further one."""
    headers: dict[str, str] = Field(default_factory=dict)


class JsonlSink(Section):
    """A JSON-lines file, one notification per line (for log shippers)."""

    type: Literal["jsonl"]
    path: Path


Sink = Annotated[
    TextfileSink | PushgatewaySink | WebhookSink | JsonlSink, Field(discriminator="type")
]


class AlertsSection(Section):
    """``alerts``: rules, cooldown and sinks."""

    rules: tuple[Rule, ...] = ()
    sinks: tuple[Sink, ...] = ()
    cooldown: Duration = 3600.0
    """The same firing alert is not sent again within this time."""
    stale_after: Duration = 86400.0
    """``stale_data`` of ``metrics`` and ``drift`` fires when the newest prediction in the store
    is older than this (``mlmon check`` uses ``check.freshness`` instead)."""
    state: Path | None = None
    """Where alert state lives (default ``<store>/_state/alerts``)."""
