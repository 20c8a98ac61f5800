"""Prometheus textfile for node_exporter's textfile collector: ``<directory>/mlmon_<model>.prom``,
written by prometheus-client's ``write_to_textfile`` (a temporary file renamed over the old
one, so the collector never reads half a file; no sample timestamps, which it rejects)."""

from __future__ import annotations

import os
from pathlib import Path

from mlmon.alerts.exposition import registry_of
from mlmon.alerts.sinks import Delivery, SinkError
from mlmon.config.alerts import TextfileSink


def deliver(sink: TextfileSink, delivery: Delivery, where: str) -> None:
    from prometheus_client import write_to_textfile

    directory = Path(sink.directory)
    if directory.exists() and not directory.is_dir():
        raise SinkError(f"{where} (textfile): {directory} is a file, not a directory")
    if not directory.is_dir():
        raise SinkError(
            f"{where} (textfile): directory {directory} does not exist; create it (node_exporter "
            f"--collector.textfile.directory) or fix {where}.directory"
        )
    if not os.access(directory, os.W_OK):
        raise SinkError(f"{where} (textfile): directory {directory} is not writable by this user")
    path = directory / f"mlmon_{delivery.model}.prom"
    try:
        write_to_textfile(str(path), registry_of(delivery.samples))
    except OSError as exc:
        raise SinkError(f"{where} (textfile): cannot write {path}: {exc.strerror or exc}") from exc
