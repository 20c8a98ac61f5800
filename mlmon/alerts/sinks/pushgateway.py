"""Prometheus Pushgateway, for hosts without node_exporter: the samples pushed with
prometheus-client's ``push_to_gateway`` under ``job`` and the grouping key ``model``."""

from __future__ import annotations

from mlmon.alerts.exposition import registry_of
from mlmon.alerts.sinks import Delivery, SinkError
from mlmon.config.alerts import PushgatewaySink


def deliver(sink: PushgatewaySink, delivery: Delivery, where: str) -> None:
    from prometheus_client import push_to_gateway

    try:
        push_to_gateway(
            sink.url,
            job=sink.job,
            registry=registry_of(delivery.samples),
            grouping_key={"model": delivery.model},
            timeout=sink.timeout,
        )
    except OSError as exc:  # URLError and HTTPError are OSErrors
        raise SinkError(f"{where} (pushgateway {sink.url}): {exc}") from exc
