"""A JSON-lines file for log shippers: one notification per line, appended."""

from __future__ import annotations

import json
import os

from mlmon.alerts.sinks import Delivery, SinkError
from mlmon.config.alerts import JsonlSink


def deliver(sink: JsonlSink, delivery: Delivery, where: str) -> None:
    if not delivery.notifications:
        return
    lines = "".join(
        json.dumps({"model": delivery.model, "command": delivery.command, **n.to_dict()}) + "\n"
        for n in delivery.notifications
    )
    try:
        # one write of whole lines with O_APPEND: concurrent writers do not interleave them
        fd = os.open(sink.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, lines.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise SinkError(f"{where} (jsonl): cannot append to {sink.path}: {exc.strerror}") from exc
