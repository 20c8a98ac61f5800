"""``mlmon drift`` from the command line: exit codes, messages, JSON equal to the operation's
result, markdown, inferred roles without a config, the cached reference profile."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mlmon.cli.output import envelope
from mlmon.ops import drift
from mlmon.ops.drift import compute_drift
from tests.conftest import BINARY_CONFIG, Project
from tests.integration.test_metrics import _store

DRIFT = """\
drift:
  reference: {since: 2026-10-01, until: 2026-10-02}
  multivariate: {enabled: false}
"""


def _frame(n: int, seed: int, shift: float = 0.0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "a": rng.normal(shift, 1, n),
            "b": rng.normal(5 + shift, 2, n),
            "kind": rng.choice(["x", "y", "z"], n),
        }
    )


@pytest.fixture
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)  # no ./mlmon.yaml here
    monkeypatch.delenv("MLMON_CONFIG", raising=False)
    yield tmp_path


def _files(root: Path, ref: pl.DataFrame, cur: pl.DataFrame) -> tuple[str, str]:
    ref.write_parquet(root / "ref.parquet")
    cur.write_parquet(root / "cur.parquet")
    return str(root / "ref.parquet"), str(root / "cur.parquet")


def _cli(*args: str) -> tuple[int, str, str]:
    import io

    from mlmon.cli.app import run
    from mlmon.cli.output import Output

    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), Output(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_two_files_without_a_config_infer_roles_and_exit_0_when_nothing_drifts(
    no_config: Path,
) -> None:
    ref, cur = _files(no_config, _frame(3000, 1), _frame(3000, 2))
    code, out, err = _cli("drift", "--reference", ref, "--current", cur)
    assert code == 0, err
    assert err.splitlines()[0] == (
        "no config: column roles inferred from the reference's types: numerical a, b; "
        "categorical kind"
    )
    assert out.startswith(f"drift of file {cur} (3,000 rows) against file {ref} (3,000 rows)")
    assert "dataset: 0 of 3 columns drifted (0%; drift at 50%): no drift" in err
    assert err.endswith("status: ok\n")


def test_dataset_drift_exits_1_and_exit_zero_makes_it_0(no_config: Path) -> None:
    ref, cur = _files(no_config, _frame(3000, 1), _frame(3000, 2, shift=1.0))
    code, out, err = _cli("drift", "--reference", ref, "--current", cur)
    assert code == 1
    assert "dataset: 2 of 3 columns drifted (67%; drift at 50%): DRIFT [a, b]" in err
    assert out.splitlines()[2].startswith("a ")  # drifted columns first
    assert _cli("drift", "--reference", ref, "--current", cur, "--exit-zero")[0] == 0


def test_one_drifted_column_is_caught_by_the_multivariate_check_or_fail_on_column(
    no_config: Path,
) -> None:
    cur_df = _frame(3000, 2).with_columns(pl.col("a") + 1.0)
    ref, cur = _files(no_config, _frame(3000, 1), cur_df)
    code, _, err = _cli("drift", "--reference", ref, "--current", cur)
    assert code == 1  # 1 of 3 columns is below dataset_share, but the classifier sees it
    assert "dataset: 1 of 3 columns drifted (33%; drift at 50%): no drift [a]" in err
    assert "multivariate: domain classifier ROC AUC" in err and ": DRIFT" in err
    (no_config / "mlmon.yaml").write_text(
        "model: {name: m, task: regression}\n"
        "schema: {id: id, timestamp: ts, prediction: p, label: y,"
        " features: {numerical: [a, b], categorical: [kind]}}\n"
        "store: {path: store}\n"
        "drift: {multivariate: {enabled: false}}\n"
    )
    assert _cli("drift", "--reference", ref, "--current", cur)[0] == 0
    assert _cli("drift", "--reference", ref, "--current", cur, "--fail-on", "column")[0] == 1


def test_json_is_the_operations_result(no_config: Path) -> None:
    ref, cur = _files(no_config, _frame(500, 1), _frame(500, 2, shift=0.5))
    code, out, _ = _cli("--json", "drift", "--reference", ref, "--current", cur)
    doc = json.loads(out)
    expected = drift.run(None, reference=ref, current=cur)
    assert doc == json.loads(json.dumps(envelope("drift", expected.status, expected.to_dict())))
    assert code == 1 and doc["status"] == "finding"
    assert (expected.command, expected.exit_code) == ("drift", 1)
    column = doc["result"]["columns"][0]
    assert {"column", "kind", "method", "statistic", "p_value", "threshold", "drifted"} <= set(
        column
    )
    assert (
        len(column["reference_distribution"]["shares"])
        == len(column["reference_distribution"]["edges"]) + 1
    )


def test_markdown_format(no_config: Path) -> None:
    ref, cur = _files(no_config, _frame(500, 1), _frame(500, 2))
    code, out, _ = _cli("drift", "--reference", ref, "--current", cur, "--format", "markdown")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("**drift of file")
    assert lines[2].startswith("| column | kind | status | test |")
    assert lines[3].startswith("|---|")


def test_too_few_rows_exits_7(no_config: Path) -> None:
    ref, cur = _files(no_config, _frame(5, 1), _frame(500, 2))
    code, _, err = _cli("drift", "--reference", ref, "--current", cur)
    assert code == 7
    assert err.endswith("status: insufficient_data\n")


def test_empty_or_missing_current_exits_4(no_config: Path) -> None:
    ref, cur = _files(no_config, _frame(500, 1), _frame(500, 2).head(0))
    code, _, err = _cli("drift", "--reference", ref, "--current", cur)
    assert code == 4
    assert f"error: the current data (file {cur}) holds no rows" in err
    code, _, err = _cli("drift", "--reference", ref, "--current", str(no_config / "nope.parquet"))
    assert code == 4 and f"error: {no_config / 'nope.parquet'}: no such file" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--method", "pssi"), "'pssi' is not one of auto, ks,"),
        (("--fail-on", "any"), "'any' is not one of dataset, column"),
    ],
)
def test_bad_options_exit_2(no_config: Path, args: tuple[str, ...], message: str) -> None:
    ref, cur = _files(no_config, _frame(50, 1), _frame(50, 2))
    code, _, err = _cli("drift", "--reference", ref, "--current", cur, *args)
    assert code == 2 and message in err


@pytest.fixture
def dproject(make_project: Callable[..., Project]) -> Project:
    return make_project(text=BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + DRIFT)


def test_store_windows_and_a_cached_reference_profile(dproject: Project) -> None:
    _store(dproject, days=3)
    args = ("--json", "drift", "--since", "2026-10-03", "--until", "latest")
    code, first = dproject.cli(*args).code, json.loads(dproject.cli(*args).stdout)
    assert code == 0
    assert first["result"]["reference"]["profile_cached"] is True  # the second run's
    assert first["result"]["reference"]["source"] == (
        "store 2026-10-01T00:00:00Z .. 2026-10-02T00:00:00Z"
    )
    assert first["result"]["current"]["rows"] == 400
    assert [c["column"] for c in first["result"]["columns"]] == ["x", "y", "c"]
    assert [c["column"] for c in first["result"]["prediction"]["columns"]] == [
        "score",
        "confidence",
        "low confidence",
        "predicted class",
    ]
    cache = list((dproject.store / "_cache" / "profiles").glob("*.json"))
    assert len(cache) == 1
    fresh = json.loads(dproject.cli(*args[:2], "--no-cache", *args[2:]).stdout)
    assert fresh["result"]["reference"]["profile_cached"] is False
    assert fresh["result"]["columns"] == first["result"]["columns"]


def test_json_is_the_envelope_around_the_operation_result_for_a_store_window(
    dproject: Project,
) -> None:
    _store(dproject, days=3)
    config = dproject.config()
    window = ("--since", "2026-10-02", "--until", "2026-10-04", "--fail-on", "column")
    drift.run(config, since="2026-10-02", until="2026-10-04")  # the cache is warm for both
    result = dproject.cli("--json", "drift", *window)
    doc = json.loads(result.stdout)
    operation = drift.run(config, since="2026-10-02", until="2026-10-04", fail_on="column")
    assert doc == json.loads(json.dumps(envelope("drift", operation.status, operation.to_dict())))
    assert result.code == operation.exit_code
    assert doc["result"]["reference"]["profile_cached"] is True
    assert doc["result"]["current"]["since"] == "2026-10-02T00:00:00Z"
    assert doc["result"]["concept"]["mode"] == "stateless"  # an explicit range: repeatable


def test_json_is_the_operations_result_for_two_files_with_a_config(
    dproject: Project,
) -> None:
    names = {"a": "x", "b": "y", "kind": "c"}  # the config's features
    ref, cur = _files(
        dproject.root, _frame(500, 1).rename(names), _frame(500, 2, shift=0.5).rename(names)
    )
    args = ("--reference", ref, "--current", cur, "--method", "psi", "--no-cache")
    result = dproject.cli("--json", "drift", *args, "--columns", "x,y", "--exit-zero")
    operation = drift.run(
        dproject.config(),
        reference=Path(ref),
        current=Path(cur),
        method="psi",
        no_cache=True,
        columns=["x", "y"],
    )
    assert json.loads(result.stdout)["result"] == json.loads(json.dumps(operation.to_dict()))
    assert [c["column"] for c in operation.to_dict()["columns"]] == ["x", "y"]
    assert (result.code, operation.exit_code) == (0, 1)  # --exit-zero is the CLI's


def test_store_without_a_reference_exits_3(make_project: Callable[..., Project]) -> None:
    project = make_project()
    _store(project, days=1)
    result = project.cli("drift", "--until", "latest")
    assert result.code == 3
    assert "drift.reference is not set, and no --reference was given" in result.stderr
    assert os.path.basename(str(project.config_path)) in result.stderr


def test_store_labels_give_label_drift_where_both_windows_have_them(dproject: Project) -> None:
    _store(dproject, days=3, labelled_days=2)
    labelled = json.loads(
        dproject.cli("--json", "drift", "--since", "2026-10-02", "--until", "2026-10-03").stdout
    )
    label = labelled["result"]["label"]
    assert label["column"] == "label" and label["kind"] == "categorical"
    assert label["status"] == "ok" and label["n_current"] == 400
    unlabelled = json.loads(
        dproject.cli("--json", "drift", "--since", "2026-10-03", "--until", "2026-10-04").stdout
    )
    assert unlabelled["result"]["label"] is None


def test_a_feature_added_to_the_schema_after_ingest_is_skipped_not_an_internal_error(
    make_project: Callable[..., Project],
) -> None:
    text = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine") + DRIFT
    project = make_project(text=text)
    _store(project, days=3)
    project.config_path.write_text(
        text.replace("numerical: [x, y]", "numerical: [x, y, z]")
        .replace("categorical: [c]", "categorical: [c, d]")
        .replace("multivariate: {enabled: false}", "multivariate: {sample_rows: 300}")
    )
    result = project.cli("--json", "drift", "--since", "2026-10-03", "--until", "latest")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)["result"]
    by = {c["column"]: c for c in doc["columns"]}
    assert (by["z"]["status"], by["z"]["reason"]) == (
        "skipped",
        "no finite values in the reference",
    )
    assert (by["d"]["status"], by["d"]["reason"]) == ("skipped", "no values in the reference")
    assert doc["dataset"]["n_columns"] == 3  # x, y, c are judged
    m = doc["multivariate"]
    assert m["features"] == ["x", "y", "c"] and m["auc"] is not None
    assert set(m["features_skipped"]) == {"z", "d"}


def _logs(n: int, seed: int, day: str) -> pl.DataFrame:
    """Prediction logs as a producer writes them: a unique request id, ISO timestamps as
    text (in CSV), a unique integer user id, and the features of :func:`_frame`."""
    start = np.datetime64(f"{day}T00:00:00")
    stamps = start + np.sort(np.random.default_rng(seed).integers(0, 86_400, n)).astype(
        "timedelta64[s]"
    )
    return pl.DataFrame(
        {
            "request_id": [f"{day}-{seed}-{i:06d}" for i in range(n)],
            "timestamp": [f"{t}Z" for t in stamps.astype(str)],
            "user_id": np.arange(n) + 1_000 * seed,
        }
    ).hstack(_frame(n, seed))


def test_two_csv_files_leave_the_timestamp_and_id_columns_out_and_say_so(
    no_config: Path,
) -> None:
    """The timestamps of two days never overlap: compared as a categorical column, timestamp
    drifted with a Jensen-Shannon distance of 1 and was fed to the domain classifier."""
    ref, cur = no_config / "a.csv", no_config / "b.csv"
    _logs(3000, 1, "2026-10-01").write_csv(ref)
    _logs(3000, 2, "2026-10-02").write_csv(cur)
    code, _, err = _cli("drift", "--reference", str(ref), "--current", str(cur))
    assert code == 0, err
    assert err.splitlines()[0] == (
        "no config: column roles inferred from the reference's types: numerical a, b; "
        "categorical kind; left out: request_id, user_id (id), timestamp (timestamp)"
    )
    assert "dataset: 0 of 3 columns drifted (0%; drift at 50%): no drift" in err
    doc = json.loads(_cli("--json", "drift", "--reference", str(ref), "--current", str(cur))[1])
    result = doc["result"]
    assert [c["column"] for c in result["columns"]] == ["a", "b", "kind"]
    assert result["roles_inferred"] == {
        "numerical": ["a", "b"],
        "categorical": ["kind"],
        "timestamp": ["timestamp"],
        "id": ["request_id", "user_id"],
    }
    assert result["multivariate"]["features"] == ["a", "b", "kind"]


def test_exclude_and_columns_choose_the_compared_columns(no_config: Path) -> None:
    ref, cur = _files(no_config, _frame(2000, 1), _frame(2000, 2, shift=1.0))
    args = ("--json", "drift", "--reference", ref, "--current", cur)
    excluded = json.loads(_cli(*args, "--exclude", "a", "--exclude", "kind")[1])["result"]
    assert [c["column"] for c in excluded["columns"]] == ["b"]
    assert excluded["settings"]["exclude"] == ["a", "kind"]
    assert excluded["multivariate"]["features"] == ["b"]
    chosen = json.loads(_cli(*args, "--columns", "kind,a")[1])["result"]
    assert [c["column"] for c in chosen["columns"]] == ["a", "kind"]
    assert chosen["settings"]["columns"] == ["kind", "a"]
    code, _, err = _cli("drift", "--reference", ref, "--current", cur, "--columns", "a,b")
    assert code == 1 and "dataset: 2 of 2 columns drifted" in err
    expected = compute_drift(None, reference_path=Path(ref), current_path=Path(cur), exclude=["b"])
    assert [c.column for c in expected.columns] == ["a", "kind"]


def test_a_named_column_that_does_not_exist_exits_2(
    no_config: Path, make_project: Callable[..., Project]
) -> None:
    ref, cur = _files(no_config, _frame(200, 1), _frame(200, 2))
    code, _, err = _cli("drift", "--reference", ref, "--current", cur, "--exclude", "nope")
    assert code == 2
    assert err == (
        f"error: --exclude: no column 'nope' in the reference (file {ref})\n"
        "hint: its columns: a, b, kind\n"
    )
    code, _, err = _cli("drift", "--reference", ref, "--current", cur, "--columns", "a,nope")
    assert code == 2 and f"error: --columns: no column 'nope' in the reference (file {ref})" in err
    code, _, err = _cli("drift", "--reference", ref, "--current", cur, "--exclude", "a,b,kind")
    assert code == 2 and "error: --columns/--exclude leave no column to compare" in err
    project = make_project()
    result = project.cli("drift", "--reference", ref, "--current", cur, "--columns", "a")
    assert result.code == 2
    assert result.stderr == (
        f"error: --columns: 'a' is not a feature in schema.features of {project.config_path}\n"
        "hint: features: x, y, c\n"
    )
