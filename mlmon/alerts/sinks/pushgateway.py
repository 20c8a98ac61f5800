"""Prometheus Pushgateway, for hosts without node_exporter: the samples pushed with
prometheus-client's ``push_to_gateway`` under ``job`` and the grouping key ``model``, within
``timeout`` for the whole request. A ``user:password@`` in the URL is sent as Basic auth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlmon.alerts.exposition import registry_of
from mlmon.alerts.sinks import (
    DeadlineExceeded,
    Delivery,
    SinkError,
    redact_url,
    scrub,
    split_userinfo,
    within,
)
from mlmon.config.alerts import PushgatewaySink


def deliver(sink: PushgatewaySink, delivery: Delivery, where: str) -> None:
    from prometheus_client import push_to_gateway
    from prometheus_client.exposition import basic_auth_handler, default_handler

    url, user, password = split_userinfo(sink.url)

    def handler(
        url: str, method: str, timeout: float | None, headers: Any, data: bytes
    ) -> Callable[[], None]:
        if user is None:
            return default_handler(url, method, timeout, headers, data)
        return basic_auth_handler(url, method, timeout, headers, data, user, password or "")

    registry = registry_of(delivery.samples)

    def push() -> None:
        push_to_gateway(
            url,
            job=sink.job,
            registry=registry,
            grouping_key={"model": delivery.model},
            timeout=sink.timeout,
            handler=handler,
        )

    try:
        within(sink.timeout, push)
    except (OSError, DeadlineExceeded, ValueError) as exc:  # URLError, HTTPError: OSErrors
        message = f"{where} (pushgateway {redact_url(sink.url)}): {exc}"
        raise SinkError(scrub(message, sink.url)) from exc
