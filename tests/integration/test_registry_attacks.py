"""Hostile registries and configs (issue 14): crafted artifacts, estimator classes that are
not estimators, alias files and metadata that point outside the registry, symlinks, damaged
files, a registry that is a file. Each test reproduces an attack that once worked."""

from __future__ import annotations

import io
import json
import os
import re
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from mlmon.errors import ConfigError, RegistryError
from mlmon.registry import Registry, sha256_file
from mlmon.registry.artifact import load_model, save_model
from tests.conftest import BINARY_CONFIG, REPO, Project
from tests.integration.test_lifecycle import LIFECYCLE
from tests.integration.test_metrics import _store

# ---------------------------------------------------------------- item 1: crafted artifacts

FEATURES = pl.DataFrame(
    {
        "x": np.linspace(-2, 2, 120),
        "y": np.cos(np.arange(120.0)),
        "c": ["a", "b", "c"] * 40,
    }
)
TARGET = (np.arange(120) % 2 == 0).astype(int)


def _pipeline(estimator: object) -> Any:  # a fitted sklearn Pipeline (sklearn has no stubs)
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
    )
    columns = ColumnTransformer(
        [("numerical", "passthrough", ["x", "y"]), ("categorical", encoder, ["c"])]
    )
    return Pipeline([("features", columns), ("estimator", estimator)]).fit(FEATURES, TARGET)


def _estimators() -> dict[str, object]:
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
    )
    from sklearn.linear_model import LogisticRegression

    return {
        "hgb-native-categories": HistGradientBoostingClassifier(
            max_iter=5, categorical_features=[False, False, True]
        ),
        "hgb-regressor": HistGradientBoostingRegressor(max_iter=5),
        "random-forest": RandomForestClassifier(n_estimators=3, random_state=0),
        "gradient-boosting": GradientBoostingClassifier(n_estimators=3),
        "logistic-regression": LogisticRegression(),
    }


@pytest.mark.parametrize("name", list(_estimators()))
def test_real_models_still_load_under_the_explicit_trust_list(tmp_path: Path, name: str) -> None:
    model = _pipeline(_estimators()[name])
    path = tmp_path / "model.skops"
    save_model(model, path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(FEATURES), model.predict(FEATURES))


def _craft(real: Path, out: Path, module: str, name: str, args: tuple[object, ...]) -> None:
    """``real`` with its top-level pipeline's ``verbose`` replaced by a call
    ``module.name(*args)`` (skops' ConstructorFromReduceNode)."""
    import skops.io as sio

    with zipfile.ZipFile(real) as zin:
        members = {n: zin.read(n) for n in zin.namelist()}
    schema = json.loads(members["schema.json"])
    with zipfile.ZipFile(io.BytesIO(sio.dumps(args))) as z:
        arg_state = json.loads(z.read("schema.json"))
    arg_state.pop("protocol", None)
    arg_state.pop("_skops_version", None)
    _forget_ids(arg_state)  # its own ids could name objects of the real file's memo
    schema["content"]["content"]["verbose"] = {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": arg_state,
    }
    members["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(out, "w") as zout:
        for n, data in members.items():
            zout.writestr(n, data)


def _forget_ids(node: object) -> None:
    if isinstance(node, dict):
        node.pop("__id__", None)
        for value in node.values():
            _forget_ids(value)
    elif isinstance(node, list):
        for value in node:
            _forget_ids(value)


def _exec_payload(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('pwned')"


def test_a_crafted_artifact_calling_numpy_runstring_is_refused_and_runs_nothing(
    tmp_path: Path,
) -> None:
    real = tmp_path / "real.skops"
    save_model(_pipeline(_estimators()["logistic-regression"]), real)
    evil = tmp_path / "evil.skops"
    marker = tmp_path / "PWNED"
    _craft(real, evil, "numpy.testing._private.utils", "runstring", (_exec_payload(marker), {}))
    with pytest.raises(RegistryError, match=r"numpy\.testing\._private\.utils\.runstring") as err:
        load_model(evil)
    assert err.value.exit_code == 5
    assert not marker.exists()
    # naming it in retrain.trusted_types is the user's explicit choice; without it, refused
    reg = Registry(tmp_path / "registry", "loans")
    reg.register(evil, {})
    with pytest.raises(RegistryError, match="does not trust"):
        reg.load("candidate")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("numpy.testing._private.utils", "runstring"),
        ("numpy.lib._utils_impl", "safe_eval"),
        ("sklearn.utils._testing", "assert_run_python_script_without_output"),
        ("sklearn.utils.fixes", "parse_version"),  # a function, however harmless
    ],
)
def test_no_function_and_no_module_prefix_is_trusted(
    tmp_path: Path, module: str, name: str
) -> None:
    real = tmp_path / "real.skops"
    save_model(_pipeline(_estimators()["logistic-regression"]), real)
    evil = tmp_path / "evil.skops"
    _craft(real, evil, module, name, ("1",))
    with pytest.raises(RegistryError, match=re.escape(f"does not trust: {module}.{name}")):
        load_model(evil)


def test_promote_dry_run_on_a_crafted_candidate_runs_nothing_and_exits_5(
    make_project: Callable[..., Project],
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine")
    project = make_project(text=text + LIFECYCLE.format(margin=0.05, extra=""))
    _store(project, days=6, per_day=400, labelled_days=6)
    assert project.cli("retrain", "--until", "2026-10-04").code == 0
    reg = Registry(project.root / "registry", "loans")
    artifact = reg.artifact_path("candidate")
    marker = project.root / "PWNED"
    evil = project.root / "evil.skops"
    _craft(artifact, evil, "numpy.testing._private.utils", "runstring", (_exec_payload(marker), {}))
    artifact.write_bytes(evil.read_bytes())
    meta_path = reg.version_dir("1") / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["artifact"]["sha256"] = sha256_file(artifact)  # the attacker fixes the digest too
    meta_path.write_text(json.dumps(meta))
    result = project.cli("promote", "--until", "latest", "--dry-run")
    assert result.code == 5, result.stderr
    assert "numpy.testing._private.utils.runstring" in result.stderr
    assert not marker.exists()


# ---------------------------------------------------------------- item 2: estimator from config


def _retrain_project(make_project: Callable[..., Project], estimator: str) -> Project:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine")
    project = make_project(text=text)
    _store(project, days=3, per_day=200, labelled_days=3)
    project.config_path.write_text(
        text + f"metrics: {{min_labelled: 50}}\nretrain:\n  window: 3d\n  estimator: {estimator}\n"
    )
    return project


@pytest.mark.parametrize(
    "estimator",
    [
        "{{class: os.system, params: {{command: 'touch {marker}'}}}}",
        "{{class: subprocess.Popen, params: {{args: [touch, '{marker}']}}}}",
        "{{function: 'os:system'}}",
        "{{function: 'subprocess:getoutput'}}",
    ],
)
def test_an_estimator_outside_sklearn_and_trusted_modules_is_a_config_error_and_runs_nothing(
    make_project: Callable[..., Project], tmp_path: Path, estimator: str
) -> None:
    marker = tmp_path / "PWNED"
    project = _retrain_project(make_project, estimator.format(marker=marker))
    result = project.cli("retrain", "--until", "2026-10-04", "--force", "--reason", "x")
    assert result.code == 3, result.stderr
    key = "retrain.estimator.function" if "function" in estimator else "retrain.estimator.class"
    assert key in result.stderr and "retrain.trusted_modules" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("sklearn.utils.estimator_html_repr", "not a class"),
        ("sklearn.metrics.roc_auc_score", "not a class"),
        ("sklearn.utils.Bunch", "not a scikit-learn estimator"),
        ("sklearnx.Thing", "retrain.trusted_modules"),
    ],
)
def test_a_sklearn_function_or_non_estimator_class_is_a_config_error(
    make_project: Callable[..., Project], path: str, why: str
) -> None:
    project = _retrain_project(make_project, f"{{class: {path}}}")
    result = project.cli("retrain", "--until", "2026-10-04", "--force", "--reason", "x")
    assert result.code == 3, result.stderr
    assert "retrain.estimator.class" in result.stderr and why in result.stderr


def test_a_class_from_a_trusted_module_is_accepted(
    make_project: Callable[..., Project],
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + (
        "metrics: {min_labelled: 50}\n"
        "retrain:\n  window: 3d\n"
        "  estimator: {class: tests.integration.test_registry_attacks.Constant}\n"
        "  trusted_modules: [tests.integration.test_registry_attacks]\n"
        "  trusted_types: [tests.integration.test_registry_attacks.Constant]\n"
    )
    project = make_project(text=text)
    _store(project, days=3, per_day=200, labelled_days=3)
    result = project.cli("retrain", "--until", "2026-10-04", "--force", "--reason", "x")
    assert result.code == 0, result.stderr


class Constant(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A minimal scikit-learn-compatible classifier from a user module (for the test above)."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def fit(self, x: object, y: np.ndarray) -> Constant:
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, x: pl.DataFrame) -> np.ndarray:
        return np.tile([1 - self.p, self.p], (len(x), 1))

    def predict(self, x: pl.DataFrame) -> np.ndarray:
        return (self.predict_proba(x)[:, 1] >= 0.5).astype(int)


# ---------------------------------------------------------------- item 4: escapes


def _reg(tmp_path: Path) -> Registry:
    reg = Registry(tmp_path / "registry", "loans", lock_timeout=5)
    art = tmp_path / "model.skops"
    art.write_bytes(b"model bytes")
    reg.register(art, {})
    return reg


@pytest.mark.parametrize(
    "content", ["/etc", "../../../outside", "1/../../x", "latest-model", "01x"]
)
def test_an_alias_that_is_not_a_version_name_is_refused_without_echoing_it(
    tmp_path: Path, content: str
) -> None:
    reg = _reg(tmp_path)
    (reg.aliases_dir / "production").write_text(content + "\n")
    for read in (reg.aliases, lambda: reg.resolve("production")):
        with pytest.raises(RegistryError, match="aliases/production") as err:
            read()
        assert err.value.exit_code == 5
        assert content not in err.value.message.replace(str(reg.root), "")


def test_a_symlinked_alias_is_refused_without_leaking_the_target(tmp_path: Path) -> None:
    reg = _reg(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN\n")
    (reg.aliases_dir / "production").symlink_to(secret)
    with pytest.raises(RegistryError, match="symbolic link") as err:
        reg.resolve("production")
    assert "TOP-SECRET" not in err.value.message + (err.value.hint or "")


@pytest.mark.parametrize("where", ["version", "artifact", "metadata", "events", "aliases"])
def test_symlinks_anywhere_in_the_registry_are_refused(tmp_path: Path, where: str) -> None:
    reg = _reg(tmp_path)
    outside = tmp_path / "outside"
    if where == "version":
        os.rename(reg.version_dir("1"), outside)
        reg.version_dir("1").symlink_to(outside)
    elif where == "artifact":
        target = reg.version_dir("1") / "model.skops"
        os.rename(target, outside)
        target.symlink_to(outside)
    elif where == "metadata":
        target = reg.version_dir("1") / "metadata.json"
        os.rename(target, outside)
        target.symlink_to(outside)
    elif where == "events":
        os.rename(reg.events_file, outside)
        reg.events_file.symlink_to(outside)
    else:
        os.rename(reg.aliases_dir, outside)
        reg.aliases_dir.symlink_to(outside)
    with pytest.raises(RegistryError, match="symbolic link") as err:
        reg.artifact_path("1")
        reg.events()
        reg.aliases()
    assert err.value.exit_code == 5


def test_metadata_pointing_outside_its_version_directory_is_refused(project: Project) -> None:
    reg = Registry(project.root / "registry", "loans")
    art = project.root / "model.skops"
    art.write_bytes(b"model bytes")
    reg.register(art, {})
    outside = project.root / "outside"
    outside.write_bytes(b"not the registry's")
    meta_path = reg.version_dir("1") / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["artifact"]["file"] = "../../../../outside"
    meta["artifact"]["sha256"] = sha256_file(outside)
    meta_path.write_text(json.dumps(meta))
    result = project.cli("registry", "path", "1")
    assert result.code == 5
    assert "artifact.file" in result.stderr and result.stdout == ""


def test_drift_with_an_escaping_production_alias_writes_nothing_outside_the_store(
    tmp_path: Path,
) -> None:
    from mlmon.ops.drift import compute_drift
    from tests.integration.test_concept import _config, _day
    from tests.integration.test_concept import _store as concept_store

    concept_store(tmp_path)
    aliases = tmp_path / "registry/m/aliases"
    aliases.mkdir(parents=True)
    escape = tmp_path / "escaped"
    (aliases / "production").write_text(f"../../../../../{escape.name}\n")
    with pytest.raises(RegistryError, match="aliases/production"):
        compute_drift(_config(tmp_path), since=_day(5), until=_day(9), until_is_present=True)
    assert not escape.exists()
    assert not list(tmp_path.glob("**/ddm.lock")) or all(
        (tmp_path / "store") in p.parents for p in tmp_path.glob("**/ddm.lock")
    )


# ---------------------------------------------------------------- item 11: exit 70 → 3/5


def test_non_utf8_events_and_aliases_exit_5_naming_the_file(tmp_path: Path) -> None:
    reg = _reg(tmp_path)
    with open(reg.events_file, "ab") as fh:
        fh.write(b'{"event": "\xff\xfe"}\n')
    with pytest.raises(RegistryError, match=r"events\.jsonl"):
        reg.events()
    (tmp_path / "b").mkdir()
    reg = _reg(tmp_path / "b")
    (reg.aliases_dir / "production").write_bytes(b"\xff\xfe\n")
    with pytest.raises(RegistryError, match="aliases/production"):
        reg.aliases()


@pytest.mark.parametrize(
    "artifact",
    [None, "not a mapping", {"file": 3, "sha256": "x"}, {"file": "model.skops"}],
)
def test_metadata_without_a_valid_artifact_section_exits_5(
    project: Project, artifact: object
) -> None:
    reg = Registry(project.root / "registry", "loans")
    art = project.root / "model.skops"
    art.write_bytes(b"model bytes")
    reg.register(art, {})
    meta_path = reg.version_dir("1") / "metadata.json"
    meta = json.loads(meta_path.read_text())
    if artifact is None:
        del meta["artifact"]
    else:
        meta["artifact"] = artifact
    meta_path.write_text(json.dumps(meta))
    for args in (("registry", "list"), ("registry", "path", "1")):
        result = project.cli(*args)
        assert result.code == 5, (args, result.stderr)
        assert "metadata.json" in result.stderr and "artifact" in result.stderr


@pytest.mark.parametrize("name", ["abc", "²", "01", "1x"])
def test_a_version_directory_that_is_not_a_version_number_is_refused(
    tmp_path: Path, name: str
) -> None:
    reg = _reg(tmp_path)
    (reg.versions_dir / name).mkdir()
    with pytest.raises(RegistryError, match="not a version directory"):
        reg.versions()
    with pytest.raises(RegistryError, match="not a version directory"):
        reg.register(tmp_path / "model.skops", {})


def test_a_registry_path_that_is_a_file_exits_5_on_list(project: Project) -> None:
    (project.root / "registry").write_text("a file")
    result = project.cli("registry", "list")
    assert result.code == 5
    assert "registry" in result.stderr and "not a directory" in result.stderr


def test_store_and_registry_at_the_same_path_is_a_config_error(
    make_project: Callable[..., Project],
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine")
    project = make_project(text=text + "registry: {path: ./store}\n")
    with pytest.raises(ConfigError, match=r"store\.path") as err:
        project.config()
    assert "registry.path" in err.value.message


FSIZE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from mlmon.cli.app import main
sys.argv = ["mlmon", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize("limit", [20_000, 200_000])
def test_retrain_under_a_file_size_limit_exits_cleanly_and_leaves_no_version(
    make_project: Callable[..., Project], limit: int
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine")
    project = make_project(text=text + LIFECYCLE.format(margin=0.05, extra=""))
    _store(project, days=6, per_day=400, labelled_days=6)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            FSIZE,
            str(limit),
            "-c",
            str(project.config_path),
            "retrain",
            "--until",
            "2026-10-04",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode in (4, 5), proc.stderr
    assert "cannot write the model artifact" in proc.stderr and "File too large" in proc.stderr
    reg = Registry(project.root / "registry", "loans")
    assert reg.versions() == [] and reg.aliases() == {}
    assert [e.event for e in reg.events()] == []
    leftovers = list(reg.versions_dir.iterdir()) if reg.versions_dir.exists() else []
    assert leftovers == []
    assert resource.RLIMIT_FSIZE  # (the limit applies to the child only)


REGISTER_UNDER_LIMIT = """
import resource, sys
from pathlib import Path
from mlmon.errors import MlmonError
from mlmon.registry import Registry
reg = Registry(Path(sys.argv[1]), "loans")
limit = reg.events_file.stat().st_size + 40  # the next event line is torn after 40 bytes
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    reg.register(Path(sys.argv[2]), {})
except MlmonError as exc:
    print(exc.message, file=sys.stderr)
    sys.exit(exc.exit_code)
"""


def test_an_event_append_torn_by_a_file_size_limit_is_undone_and_named(tmp_path: Path) -> None:
    reg = _reg(tmp_path)
    for n in range(20):  # a log longer than the change's intent record
        reg.record("gate_failed", version="1", reason=f"padding {n}")
    before = reg.events_file.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-c", REGISTER_UNDER_LIMIT, str(reg.base), str(tmp_path / "model.skops")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 5, proc.stderr
    assert f"cannot write {reg.events_file} (File too large); nothing changed" in proc.stderr
    assert reg.events_file.read_bytes() == before  # the torn line is gone
    assert reg.versions() == ["1"] and reg.aliases() == {"candidate": "1"}
    assert reg.register(tmp_path / "model.skops", {}) == "2"


def test_an_escaping_production_alias_never_reaches_a_prometheus_label(tmp_path: Path) -> None:
    import datetime as dt

    from mlmon.alerts import dispatch
    from mlmon.config import parse_config
    from tests.factories import column, drift_result

    config = parse_config(
        f"""\
model: {{name: loans, task: binary_classification, classes: [0, 1]}}
schema: {{id: id, timestamp: ts, score: score, label: label, features: {{numerical: [x]}}}}
store: {{path: store}}
alerts: {{sinks: [{{type: textfile, directory: '{tmp_path}'}}], stale_after: 100000d}}
""",
        tmp_path / "mlmon.yaml",
    )
    aliases = tmp_path / "registry/loans/aliases"
    aliases.mkdir(parents=True)
    result = drift_result([column("x")])
    (aliases / "production").write_text("3\n")
    dispatch(config, result, now=dt.datetime.now(dt.UTC))
    assert 'version="3"' in (tmp_path / "mlmon_loans.prom").read_text()
    (aliases / "production").write_text('../../../x"} 1\nevil_metric{a="\n')
    dispatch(config, result, now=dt.datetime.now(dt.UTC))
    exposition = (tmp_path / "mlmon_loans.prom").read_text()
    assert "mlmon_production_version_info{" not in exposition
    assert "evil" not in exposition and "../" not in exposition


@pytest.mark.parametrize(
    ("command", "metadata", "code", "says"),
    [
        ("retrain", {"created_at": "yesterday"}, 5, "no valid created_at"),
        ("promote", {"training": ["not", "a", "map"]}, 4, "no training window"),
        ("promote", {"training": {"until": "soon"}}, 5, "no valid training window"),
    ],
)
def test_damaged_lineage_in_metadata_is_a_clear_error_not_70(
    make_project: Callable[..., Project],
    command: str,
    metadata: dict[str, object],
    code: int,
    says: str,
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine")
    project = make_project(text=text + LIFECYCLE.format(margin=0.05, extra=""))
    reg = Registry(project.root / "registry", "loans")
    art = project.root / "model.skops"
    art.write_bytes(b"model bytes")
    reg.register(art, {"created_at": "2026-10-01T00:00:00Z", **metadata})
    reg.set_alias("production", "1", "promoted")
    reg.register(art, metadata)
    result = project.cli(command, "--until", "2026-10-04", "--dry-run")
    assert result.code == code, result.stderr
    assert says in result.stderr


@pytest.mark.parametrize("where", ["aliases/production", "versions/1/metadata.json", ".lock"])
def test_a_directory_where_the_registry_keeps_a_file_exits_5(tmp_path: Path, where: str) -> None:
    reg = _reg(tmp_path)
    reg.set_alias("production", "1", "promoted")
    target = reg.root / where
    target.unlink()
    target.mkdir()
    with pytest.raises(RegistryError, match=r"not a (regular )?file") as err:
        reg.resolve("production")
        reg.record("gate_failed", version="1")
    assert err.value.exit_code == 5
