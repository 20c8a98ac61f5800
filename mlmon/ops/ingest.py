"""``mlmon ingest``: validate prediction (or label) logs and append them to the store."""

from __future__ import annotations

import os
from collections.abc import Sequence

from mlmon.config import Config
from mlmon.errors import UsageError
from mlmon.store.ingest import Progress, ingest
from mlmon.store.readers import FORMATS
from mlmon.store.report import IngestResult


def run(
    config: Config,
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    labels: bool = False,
    fmt: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest ``paths`` (one path or several; ``-`` is stdin) into the configured store:
    prediction logs, or ground truth with ``labels``. ``fmt`` (csv, jsonl, parquet)
    overrides the extension; ``dry_run`` validates and reports, writing nothing;
    ``progress`` is called with (source name, rows read so far) after each batch.

    The status is ``finding`` when rows were quarantined; ingest sends no alerts."""
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(
            f"--format: {fmt!r} is not one of {', '.join(FORMATS)}",
            hint=f"pass --format {FORMATS[0]}, or leave it out to go by the extension",
        )
    return ingest(
        config,
        [os.fspath(p) for p in ([paths] if isinstance(paths, str | os.PathLike) else paths)],
        labels=labels,
        fmt=fmt,
        dry_run=dry_run,
        progress=progress,
    )
