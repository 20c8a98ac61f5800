"""Alert state between runs: which alerts are firing, when each was last sent, and the
latest exported samples of every command. One JSON file per model, written atomically."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmon.errors import DataError
from mlmon.fsutil import atomic_write_bytes

STATE_FORMAT = 1


@dataclass
class AlertState:
    """The state of one model's alerts (see the module docstring)."""

    path: Path
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> AlertState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            raise DataError(
                f"{path}: unreadable alert state ({exc})",
                hint="delete the file: alerts start afresh (a firing alert is sent again)",
            ) from exc
        if data.get("format") != STATE_FORMAT:
            raise DataError(f"{path}: alert state of format {data.get('format')!r}")
        return cls(path, dict(data.get("alerts", {})), dict(data.get("samples", {})))

    def save(self) -> None:
        document = {"format": STATE_FORMAT, "alerts": self.alerts, "samples": self.samples}
        atomic_write_bytes(self.path, json.dumps(document, indent=1, sort_keys=True).encode())
