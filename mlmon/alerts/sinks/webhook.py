"""Webhooks: Alertmanager's webhook JSON (version "4": the shape Alertmanager posts to its
receivers, so existing receivers work) or a Slack incoming-webhook message. POSTed with a
timeout; a connection error, a 5xx or a 429 is retried with exponential backoff."""

from __future__ import annotations

import hashlib
import http.client
import json
import time
import urllib.error
import urllib.request
from typing import Any

from mlmon.alerts.sinks import Delivery, SinkError
from mlmon.config.alerts import WebhookSink

ZERO_TIME = "0001-01-01T00:00:00Z"
"""Alertmanager's ``endsAt`` for an alert that has not ended."""

ALERT_NAMES = {
    "drift": "MlmonDataDrift",
    "threshold_breach": "MlmonThresholdBreach",
    "concept_drift": "MlmonConceptDrift",
    "gate_failed": "MlmonPromotionGateFailed",
    "rollback": "MlmonRollback",
    "retrain_triggered": "MlmonRetrainTriggered",
    "stale_data": "MlmonStaleData",
}


def alertmanager_payload(delivery: Delivery) -> dict[str, Any]:
    """The notifications as Alertmanager's webhook payload (one group: the model)."""
    alerts: list[dict[str, Any]] = []
    for n in delivery.notifications:
        labels = {
            "alertname": ALERT_NAMES[n.kind],
            "model": delivery.model,
            "severity": n.severity,
            **n.labels,
        }
        alerts.append(
            {
                "status": n.status,
                "labels": labels,
                "annotations": {
                    "summary": n.summary,
                    "description": json.dumps(n.details, sort_keys=True, default=str),
                },
                "startsAt": n.starts_at,
                "endsAt": n.ends_at or ZERO_TIME,
                "generatorURL": "",
                "fingerprint": hashlib.sha256(
                    json.dumps(labels, sort_keys=True).encode()
                ).hexdigest()[:16],
            }
        )
    firing = any(a["status"] == "firing" for a in alerts)
    common = {
        k: v for k, v in alerts[0]["labels"].items() if all(a["labels"].get(k) == v for a in alerts)
    }
    return {
        "version": "4",
        "groupKey": f'{{}}:{{model="{delivery.model}"}}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "mlmon",
        "groupLabels": {"model": delivery.model},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "",
        "alerts": alerts,
    }


def slack_payload(delivery: Delivery) -> dict[str, Any]:
    """The notifications as one Slack message (``text``, with a line per alert)."""
    lines = [f"*mlmon {delivery.command}* — model `{delivery.model}`"]
    for n in delivery.notifications:
        mark = ":red_circle: FIRING" if n.status == "firing" else ":large_green_circle: RESOLVED"
        lines.append(f"{mark} [{n.severity}] {n.summary}")
    return {"text": "\n".join(lines)}


def deliver(sink: WebhookSink, delivery: Delivery, where: str) -> None:
    if not delivery.notifications:
        return
    payload = (
        alertmanager_payload(delivery) if sink.format == "alertmanager" else slack_payload(delivery)
    )
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "mlmon", **sink.headers}
    wait = sink.backoff
    problem = ""
    for attempt in range(sink.retries + 1):
        if attempt:
            time.sleep(wait)
            wait *= 2
        request = urllib.request.Request(sink.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=sink.timeout) as response:
                response.read()
            return
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code} {exc.reason}"
            if exc.code < 500 and exc.code != 429:
                break  # the request itself is wrong: retrying will not help
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            problem = f"cannot reach it ({reason})"
        except http.client.HTTPException as exc:  # a garbled response
            problem = f"bad response ({type(exc).__name__})"
    raise SinkError(
        f"{where} (webhook {_redacted(sink.url)}): {problem} after {attempt + 1} attempt"
        f"{'s' if attempt else ''}; the alert is sent again on the next run"
    )


def _redacted(url: str) -> str:
    """The URL without its path (webhook URLs carry their secret there)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/…" if "/" in rest else url


__all__ = ["alertmanager_payload", "deliver", "slack_payload"]
