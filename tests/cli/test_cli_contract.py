"""The CLI contract shared by every command (DESIGN.md sections 1-3)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlmon import __version__
from mlmon.cli import app as app_module
from mlmon.cli.app import run, split_global_options
from mlmon.cli.commands import COMMANDS
from mlmon.cli.commands.init import starter_config
from mlmon.cli.output import Output, envelope
from tests.conftest import GOOD_ROWS, REPO, Project
from tests.schema_check import check_json_output


def _run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), Output(stdout=out, stderr=err))
    check_json_output(args, out.getvalue())
    return code, out.getvalue(), err.getvalue()


def test_version_flag_prints_the_version() -> None:
    assert _run("--version") == (0, f"mlmon {__version__}\n", "")


def test_global_options_work_before_and_after_the_command(project: Project) -> None:
    path = str(project.csv("a.csv", GOOD_ROWS))
    after = project.cli("ingest", path, "--json", "--dry-run")
    before = project.cli("--json", "ingest", "--dry-run", path)
    assert after.code == before.code == 0
    assert json.loads(after.stdout)["result"]["rows_written"] == 5
    assert json.loads(after.stdout) == json.loads(before.stdout)


def test_split_keeps_arguments_after_double_dash() -> None:
    assert split_global_options(["ingest", "--", "--json"]) == ([], ["ingest", "--", "--json"])


def test_config_from_environment_variable(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLMON_CONFIG", str(project.config_path))
    code, out, err = _run("ingest", "--dry-run", str(project.csv("a.csv", GOOD_ROWS)))
    assert code == 0, err
    assert "would write 5 of 5 rows" in out


def test_unknown_flag_is_exit_2_with_hint() -> None:
    code, out, err = _run("ingest", "--nope", "x.csv")
    assert code == 2 and out == ""
    assert err == "error: No such option: --nope\nhint: run `mlmon ingest --help`\n"


def test_unknown_command_is_exit_2() -> None:
    code, _, err = _run("frobnicate")
    assert code == 2
    assert err.startswith("error: No such command 'frobnicate'.")


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["drfit"], "hint: run `mlmon drift`; `mlmon --help` lists the commands\n"),
        (
            ["registry", "hstory"],
            "hint: run `mlmon registry history`; `mlmon registry --help` lists the commands\n",
        ),
        (["frobnicate"], "hint: `mlmon --help` lists the commands\n"),
    ],
)
def test_a_mistyped_command_hints_at_the_valid_one_not_its_own_help(
    args: list[str], hint: str
) -> None:
    code, _, err = _run(*args)
    assert code == 2
    assert err.endswith(hint)
    assert f"{args[-1]} --help" not in err


def test_usage_error_under_json_prints_the_error_envelope() -> None:
    code, out, _ = _run("--json", "ingest", "--nope")
    assert code == 2
    doc = json.loads(out)
    assert doc["status"] == "error" and doc["error"]["type"] == "usage"


def test_missing_config_is_exit_3(tmp_path: Path) -> None:
    missing = tmp_path / "none.yaml"
    code, out, err = _run("-c", str(missing), "ingest", "x.csv")
    assert code == 3 and out == ""
    assert err.startswith(f"error: config file {missing} not found\nhint: ")


def test_invalid_config_is_exit_3_naming_the_key(project: Project) -> None:
    project.config_path.write_text(
        project.config_path.read_text().replace("on_invalid: quarantine", "on_invalid: maybe")
    )
    result = project.cli("ingest", "x.csv")
    assert result.code == 3
    assert result.stderr.startswith(
        f"error: {project.config_path}: store.on_invalid: must be one of 'quarantine' or "
        "'reject' (got 'maybe')\n"
    )


def test_internal_errors_are_exit_70_without_traceback(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("mlmon.ops.ingest.ingest", boom)
    result = project.cli("ingest", "x.csv")
    assert result.code == 70
    assert result.stderr == (
        "error: internal error: RuntimeError: kaboom\n"
        "hint: this is a bug in mlmon; re-run with --debug for the traceback and report it\n"
    )
    debug = project.cli("--debug", "ingest", "x.csv")
    assert debug.code == 70 and "Traceback (most recent call last)" in debug.stderr


def test_running_out_of_memory_in_any_command_is_exit_4_with_a_hint(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr("mlmon.ops.metrics.compute_metrics", exhausted)
    result = project.cli("metrics", "--since", "2026-10-01", "--until", "2026-10-02")
    assert result.code == 4
    assert result.stderr.startswith("error: out of memory in mlmon metrics\nhint: narrow the")


def test_keyboard_interrupt_is_exit_130(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("mlmon.ops.ingest.ingest", interrupted)
    assert project.cli("ingest", "x.csv").code == 130


def test_quiet_prints_nothing_on_success(project: Project) -> None:
    result = project.cli("--quiet", "ingest", str(project.csv("a.csv", GOOD_ROWS)))
    assert (result.code, result.stdout, result.stderr) == (0, "", "")


def test_json_floats_that_are_undefined_become_null() -> None:
    doc = envelope("x", "ok", {"a": float("nan"), "b": [float("inf"), 1.5]})
    assert json.dumps(doc, allow_nan=False) == (
        '{"schema_version": 1, "command": "x", "status": "ok", '
        '"result": {"a": null, "b": [null, 1.5]}}'
    )


def test_init_writes_starter_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "mlmon.yaml"
    assert _run("-c", str(target), "init")[0] == 0
    assert target.read_bytes() == starter_config()
    target.write_text("# mine\n")
    code, _, err = _run("-c", str(target), "init")
    assert code == 2
    assert err == (
        f"error: {target} already exists; not overwriting it\n"
        "hint: pass --force to replace it, or --config OTHER.yaml to write elsewhere\n"
    )
    assert target.read_text() == "# mine\n"
    code, out, _ = _run("-c", str(target), "--json", "init", "--force")
    assert code == 0
    assert json.loads(out)["result"] == {"path": str(target), "written": True, "overwritten": True}
    assert target.read_bytes() == starter_config()


def test_init_again_on_an_untouched_starter_is_a_no_op(tmp_path: Path) -> None:
    target = tmp_path / "mlmon.yaml"
    _run("-c", str(target), "init")
    code, _, err = _run("-c", str(target), "init")
    assert code == 0
    assert "already holds the starter config; nothing to do" in err


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_and_a_readme_section(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = _run(name, "--help")
    out = capsys.readouterr().out  # click writes help to the process's stdout
    assert code == 0
    assert f"Usage: mlmon {name}" in out
    assert COMMANDS[name].__doc__, f"{name} needs a docstring (its --help text)"
    readme = (REPO / "README.md").read_text()
    assert f"### `mlmon {name}`" in readme, f"README.md lacks a section for mlmon {name}"


def test_python_dash_m_and_stdin_ingest(project: Project) -> None:
    data = (project.csv("a.csv", GOOD_ROWS)).read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "mlmon", "-c", str(project.config_path), "--json", "ingest", "-"],
        input=data,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert doc["result"]["files"][0]["path"] == "<stdin>"
    assert doc["result"]["rows_written"] == 5
    assert proc.stderr == b""  # not a terminal: no progress, and nothing else to say


def test_app_module_has_no_import_time_side_effects() -> None:
    assert app_module.app.info.name == "mlmon"


def test_a_threshold_the_schema_cannot_produce_warns_on_stderr(project: Project) -> None:
    text = project.config_path.read_text().replace("  error: error\n", "")
    project.config_path.write_text(text + "metrics:\n  thresholds: {error_rate: {max: 0.01}}\n")
    # (r5 carries only an error, which this schema does not have: it would be quarantined)
    result = project.cli("ingest", str(project.csv("a.csv", GOOD_ROWS[:4])))
    assert result.code == 0
    assert result.stderr.startswith(
        f"warning: {project.config_path}: metrics.thresholds.error_rate: error_rate needs "
        "schema.error, which is not set"
    )


def test_drift_help_names_concept_drift(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = _run("drift", "--help")
    out = capsys.readouterr().out
    assert code == 0 and "concept drift" in " ".join(out.split()).lower()
