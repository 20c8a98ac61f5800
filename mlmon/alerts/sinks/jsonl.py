"""A JSON-lines file for log shippers: one notification per line, appended.

The path must be a regular file (or not exist yet): opening a FIFO for writing waits for a
reader forever, and a device or socket is no log, so anything else is a sink error."""

from __future__ import annotations

import json
import os
import stat

from mlmon.alerts.sinks import Delivery, SinkError
from mlmon.config.alerts import JsonlSink

_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFDIR: "a directory",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def deliver(sink: JsonlSink, delivery: Delivery, where: str) -> None:
    if not delivery.notifications:
        return
    lines = "".join(
        json.dumps({"model": delivery.model, "command": delivery.command, **n.to_dict()}) + "\n"
        for n in delivery.notifications
    )
    try:
        _refuse_irregular(sink, where, os.stat(sink.path).st_mode)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise SinkError(f"{where} (jsonl): cannot append to {sink.path}: {exc.strerror}") from exc
    try:
        # O_NONBLOCK: a FIFO swapped in since the check fails (ENXIO) instead of waiting
        fd = os.open(
            sink.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o644
        )
        try:
            _refuse_irregular(sink, where, os.fstat(fd).st_mode)
            os.set_blocking(fd, True)
            # one write of whole lines with O_APPEND: concurrent writers do not interleave them
            os.write(fd, lines.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise SinkError(f"{where} (jsonl): cannot append to {sink.path}: {exc.strerror}") from exc


def _refuse_irregular(sink: JsonlSink, where: str, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a file")
        raise SinkError(
            f"{where} (jsonl): {sink.path} is not a regular file ({kind}); point {where}.path "
            "at a file that log shippers read"
        )
