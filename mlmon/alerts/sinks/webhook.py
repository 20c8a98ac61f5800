"""Webhooks: Alertmanager's webhook JSON (version "4": the shape Alertmanager posts to its
receivers, so existing receivers work) or a Slack incoming-webhook message. POSTed with a
timeout over the whole request (not each read: a server trickling bytes cannot hold the run);
a connection error, a timeout, a 5xx or a 429 is retried with exponential backoff. A
``user:password@`` in the URL is sent as Basic auth. At most 64 KiB of the answer is read."""

from __future__ import annotations

import base64
import functools
import hashlib
import http.client
import json
import time
import urllib.error
import urllib.request
from typing import Any

from mlmon.alerts.sinks import (
    MAX_RESPONSE_BYTES,
    DeadlineExceeded,
    Delivery,
    SinkError,
    redact_url,
    scrub,
    split_userinfo,
    within,
)
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
    "no_data": "MlmonNoData",
    "volume_anomaly": "MlmonVolumeAnomaly",
    "feature_anomaly": "MlmonFeatureAnomaly",
    "contract_violation": "MlmonContractViolation",
    "prediction_anomaly": "MlmonPredictionAnomaly",
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
    url, user, password = split_userinfo(sink.url)
    headers = {"Content-Type": "application/json", "User-Agent": "mlmon"}
    if user is not None:
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    headers.update(sink.headers)
    wait = sink.backoff
    problem = ""
    for attempt in range(sink.retries + 1):
        if attempt:
            time.sleep(wait)
            wait *= 2
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            within(sink.timeout, functools.partial(_post, request, sink.timeout))
            return
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code} {exc.reason}"
            if exc.code < 500 and exc.code != 429:
                break  # the request itself is wrong: retrying will not help
        except DeadlineExceeded as exc:
            problem = str(exc)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            problem = f"cannot reach it ({reason})"
        except (http.client.HTTPException, ValueError) as exc:  # garbled response, bad URL
            problem = f"bad response ({type(exc).__name__})"
    message = (
        f"{where} (webhook {redact_url(sink.url)}): {problem} after {attempt + 1} attempt"
        f"{'s' if attempt else ''}; the alert is sent again on the next run"
    )
    raise SinkError(scrub(message, sink.url, extra=sink.headers.values()))


def _post(request: urllib.request.Request, timeout: float) -> None:
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read(MAX_RESPONSE_BYTES)


__all__ = ["alertmanager_payload", "deliver", "slack_payload"]
