"""The calibrations CBPE fits, cached on disk by the labelled reference they come from.

Fitting takes ten held-out isotonic fits plus one on the whole reference (about 1 s for
200,000 rows), and a cron job running ``mlmon metrics`` every few minutes would redo it each
time on the same reference. The cache key is the reference's definition (window, task, the
columns read) and content: the prediction files of the window's days and every label file,
each with its size (committed store files never change; new predictions or labels change the
list), so a label that arrives for the reference window refits. Entries are written atomically;
a damaged or unreadable entry is refitted and replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from mlmon.config import Config
from mlmon.fsutil import atomic_write_bytes
from mlmon.metrics.cbpe import Calibration, MulticlassCalibration
from mlmon.store.layout import StoreLayout

CACHE_FORMAT = 1


def cache_key(config: Config, since: dt.datetime, until: dt.datetime) -> str:
    """The key of the calibration fitted on the labelled predictions of ``[since, until)``."""
    layout = StoreLayout(config.store.path)
    s = config.schema_

    def listed(files: list[Path]) -> list[list[object]]:
        return [[p.relative_to(layout.root).as_posix(), p.stat().st_size] for p in files]

    text = json.dumps(
        {
            "format": CACHE_FORMAT,
            "window": [since.isoformat(), until.isoformat()],
            "task": config.model.task,
            "classes": list(config.model.classes or ()),
            "columns": [s.id, s.timestamp, s.prediction, s.score, s.label, s.probabilities],
            "predictions": listed(layout.files("predictions", since.date(), until.date())),
            "labels": listed(layout.files("labels")),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load(
    cache_dir: Path, key: str
) -> tuple[Calibration | MulticlassCalibration, int] | None:
    """The cached calibration and the number of labelled rows it was fitted on, or None."""
    path = cache_dir / f"{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        kind = MulticlassCalibration if data["kind"] == "multiclass" else Calibration
        return kind.from_state(data["calibration"]), int(data["rows"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # damaged or from another version: refitted and replaced


def save(
    cache_dir: Path, key: str, calibration: Calibration | MulticlassCalibration, rows: int
) -> None:
    data: dict[str, Any] = {
        "kind": "multiclass" if isinstance(calibration, MulticlassCalibration) else "binary",
        "rows": rows,
        "calibration": calibration.state(),
    }
    cache_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(cache_dir / f"{key}.json", json.dumps(data).encode())
