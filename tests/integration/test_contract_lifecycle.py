"""The training data's contract through the lifecycle, on real stores and registries: retrain
stores it in the version (its SHA-256 in the lineage), promote checks the serving data of the
gate's window against the candidate's contract (reporting, or with promote.require_contract
refusing), and ``contract infer --reference-version`` hands it out."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
import yaml

from mlmon.errors import RegistryError, UsageError
from mlmon.lifecycle.retrain import CONTRACT
from mlmon.ops import contract as contract_ops
from mlmon.registry import open_registry
from mlmon.store.ingest import ingest
from tests.conftest import BINARY_CONFIG, Project
from tests.integration.test_lifecycle import LIFECYCLE
from tests.integration.test_metrics import _store

UTC = dt.UTC


def _make(make_project: Callable[..., Project], extra: str = "", days: int = 6) -> Project:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine")
    project = make_project(text=text + LIFECYCLE.format(margin=0.05, extra=extra))
    _store(project, days=days, per_day=400, labelled_days=days)
    return project


def _serve_zeros(project: Project, first_day: int = 3, days: int = 3, per_day: int = 400) -> None:
    """Labelled serving days after the training data in which feature ``x`` arrives as 0 (a
    broken upstream join sending the default)."""
    rng = np.random.default_rng(7)
    frames = []
    for d in range(first_day, first_day + days):
        score = rng.beta(2, 3, per_day)
        start = dt.datetime(2026, 10, 1 + d, tzinfo=UTC)
        frames.append(
            pl.DataFrame(
                {
                    "id": [f"z{d}-{i}" for i in range(per_day)],
                    "ts": [
                        start + dt.timedelta(seconds=int(s))
                        for s in np.sort(rng.integers(0, 86400, per_day))
                    ],
                    "version": ["v1"] * per_day,
                    "pred": (score >= 0.4).astype(int),
                    "score": score,
                    "x": np.zeros(per_day),
                    "y": rng.normal(size=per_day),
                    "c": rng.choice(["a", "b"], per_day),
                    "latency_ms": rng.gamma(2.0, 10.0, per_day),
                    "error": pl.Series([None] * per_day, dtype=pl.String),
                    "label": (rng.random(per_day) < score).astype(int),
                }
            )
        )
    data = pl.concat(frames)
    data.drop("label").write_parquet(project.root / "z.parquet")
    data.select(
        "id", "label", (pl.col("ts") + pl.duration(hours=1)).alias("label_ts")
    ).write_parquet(project.root / "zl.parquet")
    ingest(project.config(), [str(project.root / "z.parquet")])
    ingest(project.config(), [str(project.root / "zl.parquet")], labels=True)


def _json(project: Project, *args: str) -> tuple[int, dict[str, Any], str]:
    result = project.cli("--json", *args)
    return result.code, json.loads(result.stdout), result.stderr


@pytest.fixture
def clean(make_project: Callable[..., Project]) -> Project:
    return _make(make_project)


def test_retrain_stores_the_training_rows_contract_with_its_digest(clean: Project) -> None:
    assert clean.cli("retrain", "--until", "2026-10-04").code == 0
    registry = open_registry(clean.config())
    meta = registry.metadata("1")
    path = registry.version_dir("1") / CONTRACT
    data = path.read_bytes()
    assert meta["contract"] == {
        "file": CONTRACT,
        "sha256": hashlib.sha256(data).hexdigest(),
        "columns": 3,
    }
    assert registry.contract_path("1") == path
    stored = yaml.safe_load(data)
    # the features of the 900 rows trained on (not the holdout, not the logged outputs)
    assert list(stored["columns"]) == ["x", "y", "c"]
    assert stored["model"] == "loans"
    assert stored["source"].startswith("the 900 training rows of 2026-10-01T00:00:00Z")
    assert set(stored["columns"]["c"]["domain"]) == {"a", "b"}
    assert not any(p.name.startswith(".") for p in registry.versions_dir.iterdir())


def test_clean_serving_data_satisfies_the_contract(clean: Project) -> None:
    clean.cli("retrain", "--until", "2026-10-04")
    code, doc, err = _json(clean, "promote", "--until", "latest")
    assert code == 0, err
    contract = doc["result"]["contract"]
    assert contract["status"] == "ok" and contract["violations"] == []
    assert contract["version"] == "1" and contract["required"] is False
    assert contract["columns"] == ["x", "y", "c"]
    assert contract["until"] == "2026-10-07T00:00:00Z" and contract["rows"] > 1000
    assert doc["result"]["promoted"] is True and "warning" not in err
    text = clean.cli("promote", "1")  # already in production: nothing gated, nothing checked
    assert text.code == 0


def test_violations_are_reported_but_the_gate_decides_without_require_contract(
    make_project: Callable[..., Project],
) -> None:
    project = _make(make_project, days=3)
    _serve_zeros(project)
    project.cli("retrain", "--until", "2026-10-04")
    dry = project.cli("promote", "--until", "latest", "--dry-run")
    assert dry.code == 0 and "would promote version 1" in dry.stdout
    assert "contract: 2 violation(s) of version 1's training contract" in dry.stderr
    code, doc, err = _json(project, "promote", "--until", "latest")
    assert code == 0 and doc["status"] == "ok" and doc["result"]["promoted"] is True
    contract = doc["result"]["contract"]
    assert contract["status"] == "violated"
    found = {(v["check"], v["column"]): v for v in contract["violations"]}
    assert set(found) == {("zero_share", "x"), ("top_share", "x")}  # stuck on the default
    violation = found["zero_share", "x"]
    assert violation["summary"] == "x: zero share 80.0% > 2.0% (1,200 of 1,500)"
    assert violation["p_adjusted"] < 0.01 and violation["evidence"]["status"] == "finding"
    assert (
        "warning: the serving data since 2026-10-03" in err
        and "violates the training contract of version 1: x: zero share" in err
    )
    assert open_registry(project.config()).aliases()["production"] == "1"


def test_require_contract_refuses_a_candidate_the_serving_data_violates(
    make_project: Callable[..., Project],
) -> None:
    project = _make(make_project, extra=", require_contract: true", days=3)
    _serve_zeros(project)
    project.cli("retrain", "--until", "2026-10-04")
    registry = open_registry(project.config())
    dry = project.cli("promote", "--until", "latest", "--dry-run")
    assert dry.code == 1 and "would not promote version 1" in dry.stdout
    refused = project.cli("promote", "--until", "latest")
    assert refused.code == 1
    assert (
        "FAIL  contract: the serving data must satisfy version 1's training contract "
        "(promote.require_contract); it violates 2: " in refused.stdout
    )
    assert "gate failed: production stays at (none)" in refused.stdout
    assert "production" not in registry.aliases()
    event = registry.events()[-1]
    assert event.event == "gate_failed" and event.version == "1"
    assert event.reason is not None and "x: zero share" in event.reason
    assert event.details is not None and event.details["contract"]["status"] == "violated"
    assert event.details["passed"] is False
    code, doc, _ = _json(project, "promote", "--until", "latest")
    assert code == 1 and doc["status"] == "finding" and not doc["result"]["promoted"]
    assert doc["result"]["gate"]["rules"][-1]["passed"] is False
    forced = project.cli("promote", "--until", "latest", "--force", "--reason", "known outage")
    assert forced.code == 0 and registry.aliases()["production"] == "1"
    assert registry.events()[-1].event == "forced"


def test_require_contract_passes_clean_data_with_the_rule_shown(
    make_project: Callable[..., Project],
) -> None:
    project = _make(make_project, extra=", require_contract: true")
    project.cli("retrain", "--until", "2026-10-04")
    result = project.cli("promote", "--until", "latest")
    assert result.code == 0, result.stderr
    assert (
        "pass  contract: the serving data must satisfy version 1's training contract "
        "(promote.require_contract); it does (3 feature columns)" in result.stdout
    )


def test_a_tampered_contract_is_refused_with_exit_5(clean: Project) -> None:
    clean.cli("retrain", "--until", "2026-10-04")
    registry = open_registry(clean.config())
    path = registry.version_dir("1") / CONTRACT
    path.write_text(path.read_text().replace("null_share: 0.02", "null_share: 1.0", 1))
    result = clean.cli("promote", "--until", "latest")
    assert result.code == 5
    assert "the contract" in result.stderr and "does not match its SHA-256" in result.stderr
    assert "production" not in registry.aliases()
    with pytest.raises(RegistryError, match="does not match its SHA-256"):
        contract_ops.infer(clean.config(), reference_version="1")
    path.unlink()
    missing = clean.cli("promote", "--until", "latest")
    assert missing.code == 5 and "is missing" in missing.stderr


def _forget_contract(project: Project, version: str) -> None:
    """Make ``version`` look registered before contracts were stored."""
    registry = open_registry(project.config())
    meta_path = registry.version_dir(version) / "metadata.json"
    meta = json.loads(meta_path.read_text())
    del meta["contract"]
    meta_path.write_text(json.dumps(meta, indent=2))
    (registry.version_dir(version) / CONTRACT).unlink()


def test_a_version_without_a_contract_still_promotes_even_when_one_is_required(
    make_project: Callable[..., Project],
) -> None:
    project = _make(make_project, extra=", require_contract: true")
    project.cli("retrain", "--until", "2026-10-04")
    _forget_contract(project, "1")
    assert open_registry(project.config()).contract_path("1") is None
    code, doc, err = _json(project, "promote", "--until", "latest")
    assert code == 0, err
    contract = doc["result"]["contract"]
    assert contract["status"] == "absent" and contract["rows"] is None
    assert "has no training contract" in contract["reason"]
    assert doc["result"]["gate"]["rules"][-1]["passed"] is True


def test_contract_infer_from_a_registered_version(clean: Project) -> None:
    clean.cli("retrain", "--until", "2026-10-04")
    config = clean.config()
    out = clean.root / "v1.contract.yaml"
    result = contract_ops.infer(config, reference_version="candidate", output=out)
    stored = yaml.safe_load((open_registry(config).version_dir("1") / CONTRACT).read_text())
    assert yaml.safe_load(out.read_text())["columns"] == stored["columns"]
    assert result.to_dict()["columns"] == 3
    assert "learned from the training rows of version 1" in out.read_text()
    # an older version: learned from its training window in the store (every monitored column)
    _forget_contract(clean, "1")
    learned = contract_ops.infer(config, reference_version="1")
    assert set(learned.contract.columns) == {"x", "y", "c", "pred", "score"}
    assert "the training window of version 1: store 2026-10-01T00:00:00Z .. " in learned.text
    with pytest.raises(UsageError, match="--reference-version and --since/--until both"):
        contract_ops.infer(config, reference_version="1", since="2026-10-01")
    with pytest.raises(RegistryError, match="has no version '9'"):
        contract_ops.infer(config, reference_version="9")
