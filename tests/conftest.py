"""Shared fixtures: a small binary-classification config, log writers, a CLI runner."""

from __future__ import annotations

import hashlib
import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mlmon.cli.app import run
from mlmon.cli.output import Output
from mlmon.config import Config, load_config
from tests.schema_check import check_json_output

REPO = Path(__file__).resolve().parents[1]

BINARY_CONFIG = """\
model:
  name: loans
  task: binary_classification
  classes: [0, 1]
schema:
  id: id
  timestamp: ts
  model_version: version
  prediction: pred
  score: score
  label: label
  label_timestamp: label_ts
  features:
    numerical: [x, y]
    categorical: [c]
  latency: latency_ms
  error: error
store:
  path: store
  batch_rows: {batch_rows}
  on_invalid: {on_invalid}
  lock_timeout: 30s
"""

MULTICLASS_CONFIG = """\
model: {name: pets, task: multiclass_classification, classes: [cat, dog, bird]}
schema:
  id: id
  timestamp: ts
  prediction: pred
  probabilities: {cat: p_cat, dog: p_dog, bird: p_bird}
  label: label
  features: {numerical: [x]}
store: {path: store}
"""

HEADER = "id,ts,version,pred,score,x,y,c,latency_ms,error"
GOOD_ROWS = [
    "r1,2026-10-01T10:00:00Z,v1,1,0.9,1.5,2.0,a,12.5,",
    "r2,2026-10-01T11:30:00,v1,0,0.2,0.5,1.0,b,8.0,",
    "r3,2026-10-02T09:00:00+02:00,v1,1,0.7,2.5,0.1,a,30.0,",
    "r4,2026-10-02 12:00:00,v1,0,0.4,nan,3.0,c,15.0,",
    "r5,2026-10-03T00:00:00Z,v1,,,1.0,1.0,b,5000.0,timeout",
]


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@dataclass
class Project:
    """A temporary project directory with ``mlmon.yaml`` and a store beside it."""

    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / "mlmon.yaml"

    @property
    def store(self) -> Path:
        return self.root / "store"

    def config(self) -> Config:
        return load_config(self.config_path)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(textwrap.dedent(text))
        return path

    def csv(self, name: str, rows: list[str], header: str = HEADER) -> Path:
        path = self.root / name
        path.write_text("\n".join([header, *rows]) + "\n")
        return path

    def cli(self, *args: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        code = run(["-c", str(self.config_path), *args], Output(stdout=out, stderr=err))
        check_json_output(args, out.getvalue())
        return CliResult(code, out.getvalue(), err.getvalue())

    def stored(self, table: str = "predictions") -> pl.DataFrame:
        files = sorted((self.store / table).glob("date=*/*.parquet"))
        return pl.read_parquet(files) if files else pl.DataFrame()

    def snapshot(self) -> dict[str, str]:
        """Every file in the store with its SHA-256: 'byte-for-byte as it was'."""
        if not self.store.exists():
            return {}
        return {
            str(p.relative_to(self.store)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.store.rglob("*"))
            if p.is_file()
        }


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Project]:
    def make(
        on_invalid: str = "quarantine", batch_rows: int = 1000, text: str | None = None
    ) -> Project:
        project = Project(tmp_path)
        config = text or BINARY_CONFIG.format(batch_rows=batch_rows, on_invalid=on_invalid)
        project.config_path.write_text(config)
        return project

    return make


@pytest.fixture
def project(make_project: Callable[..., Project]) -> Project:
    return make_project()


def big_log(path: Path, n: int, seed: int, prefix: str) -> pl.DataFrame:
    """``n`` prediction rows over 40 days, written to ``path`` as CSV (a run writes many
    partition files): the crash and chaos tests' input, seeded."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-09-01T00:00:00", "ms")
    offsets = np.sort(rng.integers(0, 40 * 86_400_000, n)).astype("timedelta64[ms]")
    frame = pl.DataFrame(
        {
            "id": [f"{prefix}{i:08d}" for i in range(n)],
            "ts": pl.Series(start + offsets).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
            "version": "v1",
            "pred": rng.integers(0, 2, n),
            "score": rng.random(n).round(6),
            "x": rng.normal(size=n).round(6),
            "y": rng.normal(size=n).round(6),
            "c": rng.choice(["a", "b", "c"], n),
            "latency_ms": rng.gamma(2.0, 10.0, n).round(3),
            "error": None,
        }
    )
    frame.write_csv(path)
    return frame
