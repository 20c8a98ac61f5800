"""``mlmon init``: write a commented starter ``mlmon.yaml``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar

from mlmon.errors import UsageError
from mlmon.fsutil import atomic_write_bytes
from mlmon.outcome import Report


def starter_config() -> bytes:
    """The starter config shipped with mlmon."""
    return files("mlmon.config").joinpath("starter.yaml").read_bytes()


@dataclass(frozen=True)
class InitResult(Report):
    """What ``mlmon init`` did; :meth:`to_dict` is the JSON contract."""

    command: ClassVar[str] = "init"

    path: Path
    written: bool
    """False when the file already held the starter config (nothing to do)."""
    overwritten: bool
    """An existing, different file was replaced (``force``)."""

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "written": self.written, "overwritten": self.overwritten}


def run(path: str | os.PathLike[str], *, force: bool = False) -> InitResult:
    """Write the starter config to ``path`` atomically. A file that already holds it is left
    alone (``written`` false); any other existing file is a usage error (exit 2) unless
    ``force``."""
    path = Path(path)
    text = starter_config()
    existed = path.exists()
    if existed and path.is_file() and path.read_bytes() == text:
        return InitResult(path, written=False, overwritten=False)
    if existed and not force:
        raise UsageError(
            f"{path} already exists; not overwriting it",
            hint="pass --force to replace it, or --config OTHER.yaml to write elsewhere",
        )
    atomic_write_bytes(path, text)
    return InitResult(path, written=True, overwritten=existed)
