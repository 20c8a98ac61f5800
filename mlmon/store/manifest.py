"""``<store>/_ingested.jsonl``: one line per committed input file, by its SHA-256, so that
re-ingesting the same content is a no-op."""

from __future__ import annotations

import datetime as dt
import json
import socket
from typing import Any

from mlmon.errors import DataError
from mlmon.store.layout import StoreLayout, Table
from mlmon.store.report import FileReport


def read_manifest(layout: StoreLayout) -> dict[tuple[str, str], str]:
    """(table, sha256) → when, for every input file already committed."""
    seen: dict[tuple[str, str], str] = {}
    if layout.manifest.is_symlink():
        raise DataError(
            f"{layout.manifest}: is a symlink; mlmon reads and writes only files inside the store",
            hint="replace the link with the file it points to",
        )
    if layout.manifest.is_file():
        for n, raw in enumerate(layout.manifest.read_bytes().splitlines(), 1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw.decode("utf-8"))
                seen[(entry["table"], entry["sha256"])] = entry["ingested_at"]
            except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DataError(
                    f"{layout.manifest}: line {n} is not a valid manifest entry ({exc})",
                    hint="the file is append-only; remove the damaged line to continue "
                    "(the store's Parquet files are unaffected)",
                ) from exc
    return seen


def manifest_line(table: Table, report: FileReport, started: dt.datetime) -> dict[str, Any]:
    return {
        "table": table,
        "sha256": report.sha256,
        "path": report.path,
        "ingested_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": socket.gethostname(),
        "rows_read": report.rows_read,
        "rows_written": report.rows_written,
        "rows_rejected": report.rows_rejected,
    }
