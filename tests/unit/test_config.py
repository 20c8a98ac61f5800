"""Config loading: typed objects, and one precise message per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlmon.config import load_config, parse_config, parse_duration
from mlmon.config.drift import CATEGORICAL_METHODS, NUMERICAL_METHODS
from mlmon.datadrift.methods import STATISTICS, Kind
from mlmon.errors import ConfigError, ExitCode
from tests.conftest import BINARY_CONFIG, REPO

GOOD = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine")


def _error(text: str, path: Path = Path("mlmon.yaml")) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, path)
    assert info.value.exit_code == ExitCode.CONFIG
    return info.value.message


def test_example_config_loads_with_paths_relative_to_the_file() -> None:
    config = load_config(REPO / "configs" / "example.yaml")
    assert config.model.task == "binary_classification"
    assert config.model.classes == (0, 1)
    assert config.store.path == REPO / ".demo" / "store"
    assert config.store.lock_timeout == 600.0
    assert "employer" in config.schema_.features.categorical


def test_starter_config_written_by_init_is_valid() -> None:
    config = load_config(REPO / "mlmon" / "config" / "starter.yaml")
    assert config.model.name == "my-model"


def test_config_objects_are_frozen() -> None:
    config = parse_config(GOOD, Path("mlmon.yaml"))
    with pytest.raises(Exception, match="frozen"):
        config.store.on_invalid = "reject"  # type: ignore[misc]


def test_unknown_key_is_named_with_its_path_and_the_allowed_keys() -> None:
    message = _error(GOOD.replace("  batch_rows: 1000", "  batch_rows: 1000\n  colour: red"))
    assert message == (
        "mlmon.yaml: store.colour: unknown key; allowed keys here: batch_rows, label_updates, "
        "lock_timeout, max_future, nonfinite_features, on_invalid, path, probability_tolerance"
    )


def test_unknown_top_level_section_is_rejected() -> None:
    message = _error(GOOD + "drfit: {}\n")
    assert (
        message
        == "mlmon.yaml: drfit: unknown key; allowed keys here: alerts, check, drift, metrics, "
        "model, promote, registry, retrain, schema, store"
    )


def test_wrong_choice_names_the_choices() -> None:
    message = _error(GOOD.replace("on_invalid: quarantine", "on_invalid: drop"))
    assert (
        message
        == "mlmon.yaml: store.on_invalid: must be one of 'quarantine' or 'reject' (got 'drop')"
    )


def test_wrong_type_names_the_key_and_the_value() -> None:
    message = _error(GOOD.replace("batch_rows: 1000", "batch_rows: lots"))
    assert message.startswith("mlmon.yaml: store.batch_rows: input should be a valid integer")
    assert "(got 'lots')" in message


def test_missing_section_is_named() -> None:
    text = GOOD.split("store:")[0]
    assert _error(text) == "mlmon.yaml: store: required key is missing"


def test_missing_config_file_is_exit_3_with_init_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    assert info.value.message == f"config file {tmp_path / 'nope.yaml'} not found"
    assert "mlmon init" in (info.value.hint or "")


def test_env_variables_are_substituted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORE_DIR", "/data/logs")
    config = parse_config(GOOD.replace("path: store", "path: ${STORE_DIR}/s"), Path("x/m.yaml"))
    assert config.store.path == Path("/data/logs/s")


def test_env_default_is_used_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_UNSET", raising=False)
    config = parse_config(
        GOOD.replace("path: store", "path: ${NOPE_UNSET:-fallback}"), Path("m.yaml")
    )
    assert config.store.path == Path("fallback")


def test_unset_env_variable_names_key_and_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_UNSET", raising=False)
    message = _error(GOOD.replace("path: store", "path: ${NOPE_UNSET}"))
    assert message == "mlmon.yaml: store.path: environment variable NOPE_UNSET is not set"


def test_malformed_env_reference_is_an_error() -> None:
    message = _error(GOOD.replace("path: store", "path: ${not valid}"))
    assert "store.path: '${not valid}' is not a valid environment variable reference" in message


def test_invalid_yaml_reports_line_and_column() -> None:
    message = _error("model: [unclosed\n")
    assert message.startswith("mlmon.yaml:2:1: invalid YAML")


def test_repeated_key_is_an_error_not_silently_last_wins() -> None:
    message = _error(GOOD + "store:\n  path: other\n")
    assert "key 'store' appears twice" in message


def test_empty_and_non_mapping_files_are_errors() -> None:
    assert _error("") == "mlmon.yaml: the file is empty"
    assert _error("- a\n- b\n").startswith("mlmon.yaml: the top level must be a mapping")


def test_binary_task_needs_two_classes() -> None:
    message = _error(GOOD.replace("classes: [0, 1]", "classes: [0, 1, 2]"))
    assert message == "mlmon.yaml: model: binary_classification needs exactly 2 classes (got 3)"


def test_regression_rejects_score_column() -> None:
    text = GOOD.replace("binary_classification", "regression").replace("  classes: [0, 1]\n", "")
    assert _error(text) == ("mlmon.yaml: schema.score does not apply: regression logs 'prediction'")


def test_a_column_cannot_play_two_roles() -> None:
    message = _error(GOOD.replace("categorical: [c]", "categorical: [x]"))
    assert (
        message
        == "mlmon.yaml: schema: column 'x' is both numerical feature and categorical feature; "
        "a column has one role"
    )


def test_model_name_with_path_separator_is_rejected() -> None:
    message = _error(GOOD.replace("name: loans", "name: ../evil"))
    assert message.startswith("mlmon.yaml: model.name: '../evil' is not a valid name")


def test_multiclass_probabilities_must_cover_every_class() -> None:
    text = (
        GOOD.replace("binary_classification", "multiclass_classification")
        .replace("classes: [0, 1]", "classes: [cat, dog, bird]")
        .replace("  score: score\n", "  probabilities: {cat: p_cat, dog: p_dog}\n")
    )
    assert "schema.probabilities must map every class in model.classes" in _error(text)


def test_several_problems_are_all_listed() -> None:
    text = GOOD.replace("batch_rows: 1000", "batch_rows: 0").replace(
        "on_invalid: quarantine", "on_invalid: x"
    )
    message = _error(text)
    assert message.startswith("mlmon.yaml: 2 problems:")
    assert "store.batch_rows" in message and "store.on_invalid" in message


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("12h", 43200.0),
        ("7d", 604800.0),
        ("1w", 604800.0),
        (90, 90.0),
        ("250ms", 0.25),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["soon", "-5s", "5y", True])
def test_bad_durations_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_internal_fields_are_not_config_keys() -> None:
    message = _error(GOOD + "source: elsewhere.yaml\n")
    assert message == (
        "mlmon.yaml: source: unknown key; allowed keys here: alerts, check, drift, metrics, model, "
        "promote, registry, retrain, schema, store"
    )


def test_metrics_section_defaults() -> None:
    metrics = parse_config(GOOD, Path("m.yaml")).metrics
    assert (metrics.window, metrics.min_labelled, metrics.confidence) == ("1d", 100, 0.95)
    assert metrics.thresholds == {}


def test_unknown_threshold_metric_lists_the_valid_names() -> None:
    message = _error(GOOD + "metrics:\n  thresholds:\n    auc: {min: 0.7}\n")
    assert message.startswith(
        "mlmon.yaml: metrics.thresholds.auc: unknown metric for binary_classification; "
        "choose from: accuracy, balanced_accuracy, precision, recall,"
    )
    assert message.endswith("error_rate, missing_feature_share")


def test_max_drop_needs_a_baseline_window() -> None:
    message = _error(GOOD + "metrics:\n  thresholds:\n    roc_auc: {max_drop: 0.05}\n")
    assert message == (
        "mlmon.yaml: metrics.thresholds.roc_auc.max_drop needs metrics.baseline, the window it "
        "is measured from"
    )


def test_a_threshold_needs_a_bound() -> None:
    message = _error(GOOD + "metrics:\n  thresholds:\n    roc_auc: {require_significance: true}\n")
    assert (
        message == "mlmon.yaml: metrics.thresholds.roc_auc: give at least one of min, max, max_drop"
    )


@pytest.mark.parametrize(
    ("drift", "message"),
    [
        (
            "drift: {columns: {x: {method: pssi}}}",
            "mlmon.yaml: drift.columns.x.method: unknown method 'pssi'; choose from: auto, ks,",
        ),
        (
            "drift: {columns: {nope: {method: psi}}}",
            "drift.columns.nope: not a feature column; features: ",
        ),
        (
            "drift: {columns: {c: {method: ks}}}",
            "drift.columns.c.method: 'ks' does not apply to a categorical column; choose from: ",
        ),
        (
            "drift: {correction: holm}",
            "drift.correction: must be one of 'bh', 'bonferroni' or 'none' (got 'holm')",
        ),
    ],
)
def test_drift_section_errors_name_the_key(drift: str, message: str) -> None:
    assert message in _error(GOOD + drift + "\n")


def test_the_drift_methods_keep_their_order() -> None:
    """The CLI's --method choices and every "choose from" list read these."""
    assert NUMERICAL_METHODS == (
        "auto",
        "ks",
        "wasserstein",
        "psi",
        "jensenshannon",
        "hellinger",
        "anderson",
        "cramervonmises",
    )
    assert CATEGORICAL_METHODS == (
        "auto",
        "chisquare",
        "psi",
        "jensenshannon",
        "hellinger",
        "linf",
        "tvd",
    )


@pytest.mark.parametrize("kind", ["numerical", "categorical"])
def test_the_config_accepts_exactly_the_declared_methods_of_each_kind(kind: Kind) -> None:
    valid = ("auto", *(n for n, d in STATISTICS.items() if kind in d.kinds))
    assert valid == (NUMERICAL_METHODS if kind == "numerical" else CATEGORICAL_METHODS)
    column = "x" if kind == "numerical" else "c"
    for method in valid:
        text = (
            f"drift: {{{kind}: {{method: {method}}}, columns: {{{column}: {{method: {method}}}}}}}"
        )
        drift = parse_config(GOOD + text + "\n", Path("mlmon.yaml")).drift
        assert (getattr(drift, kind).method, drift.columns[column].method) == (method, method)
    choices = ", ".join(repr(m) for m in valid[:-1]) + f" or {valid[-1]!r}"
    for other in [n for n in STATISTICS if n not in valid] + ["pssi"]:
        assert _error(GOOD + f"drift: {{{kind}: {{method: {other}}}}}\n") == (
            f"mlmon.yaml: drift.{kind}.method: must be one of {choices} (got {other!r})"
        )
        problem = (
            f"{other!r} does not apply to a {kind} column"
            if other in STATISTICS
            else f"unknown method {other!r}"
        )
        assert _error(GOOD + f"drift: {{columns: {{{column}: {{method: {other}}}}}}}\n") == (
            f"mlmon.yaml: drift.columns.{column}.method: {problem}; choose from: "
            + ", ".join(valid)
        )


def test_a_threshold_the_schema_cannot_produce_is_a_warning_naming_the_missing_key() -> None:
    from mlmon.cli.commands.init import starter_config

    assert parse_config(starter_config().decode(), Path("mlmon.yaml")).warnings() == []
    bare = GOOD.replace("  latency: latency_ms\n  error: error\n", "")
    text = bare + "metrics:\n  thresholds: {error_rate: {max: 0.01}, latency_p95: {max: 200}}\n"
    assert parse_config(GOOD + text[len(bare) :], Path("mlmon.yaml")).warnings() == []
    warnings = parse_config(text, Path("mlmon.yaml")).warnings()
    assert warnings == [
        "metrics.thresholds.error_rate: error_rate needs schema.error, which is not set; this "
        "threshold is never evaluated (set schema.error, or remove the threshold)",
        "metrics.thresholds.latency_p95: latency_p95 needs schema.latency, which is not set; "
        "this threshold is never evaluated (set schema.latency, or remove the threshold)",
    ]
