"""The JSON Schemas of the ``--json`` contract (mlmon/schema): valid schemas, real outputs of
every command that follow them, and broken documents that do not."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mlmon import schema
from mlmon.cli.commands import COMMANDS, GROUPS
from tests.conftest import BINARY_CONFIG, GOOD_ROWS, REPO, Project
from tests.integration.test_lifecycle import LIFECYCLE
from tests.integration.test_metrics import _store
from tests.schema_check import parse

Document = dict[str, Any]
NAMES = [*schema.COMMANDS, schema.ERROR]


@pytest.mark.parametrize("name", NAMES)
def test_each_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    loaded = schema.load(name)
    assert loaded["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(loaded)


def test_every_command_has_a_schema_and_every_schema_a_command() -> None:
    """Every command and group of the CLI prints ``--json`` (a group's subcommands share its
    schema), and the package ships exactly these files."""
    assert set(COMMANDS) | set(GROUPS) == set(schema.COMMANDS)
    assert {p.name for p in (REPO / "mlmon" / "schema").glob("*.json")} == {
        f"{n}.schema.json" for n in NAMES
    }


def test_definitions_shared_by_several_schemas_are_the_same() -> None:
    """Each schema stands alone (a consumer needs one file), so a few definitions are
    repeated; they must not drift apart."""
    for name in ("estimate", "metric_map", "number_or_null", "count", "time"):
        copies = [s["$defs"][name] for s in map(schema.load, NAMES) if name in s.get("$defs", {})]
        assert len(copies) >= 2 and all(c == copies[0] for c in copies), name
    alone = {k: v for k, v in schema.load("error").items() if k not in ("$schema", "title")}
    for command in schema.COMMANDS:
        envelope = schema.load(command)["$defs"]["error_envelope"]
        assert envelope | {"description": alone["description"]} == alone, command


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Document]]:
    """Real ``--json`` documents of every command, run on one small project: each one
    validated by the CLI runner already (tests/schema_check.py), gathered here by command."""
    project = Project(tmp_path_factory.mktemp("schemas"))
    config = BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine")
    drift = "drift: {reference: {since: 2026-10-01, until: 2026-10-04}}\n"
    project.config_path.write_text(config + LIFECYCLE.format(margin=0.05, extra="") + drift)
    _store(project, days=6, per_day=400, labelled_days=6)
    found: dict[str, list[Document]] = {}

    def run(*args: str) -> None:
        result = project.cli("--json", *args)
        document = parse(result.stdout)
        kind = "error" if document["status"] == "error" else document["command"]
        found.setdefault(kind, []).append(document)

    run("ingest", str(project.csv("a.csv", [*GOOD_ROWS, "bad,row"])))
    run("metrics", "--since", "2026-10-01", "--until", "latest")
    run("drift", "--since", "2026-10-05", "--until", "2026-10-07")
    run("retrain", "--until", "2026-10-04")
    run("promote", "--until", "latest")
    run("retrain", "--until", "2026-10-05", "--force", "--reason", "schemas")
    run("promote", "--until", "latest")
    run("rollback", "--dry-run")
    for sub in (["list"], ["show", "1"], ["history"], ["path", "production"]):
        run("registry", *sub)
    run("registry", "show", "99")
    run(
        "check",
        "--since",
        "2026-10-05",
        "--until",
        "2026-10-07",
        "--contract",
        str(contract(project)),
    )
    run("contract", "infer", "--since", "2026-10-01", "--until", "2026-10-04")
    run("init", "--force")  # last: it writes a starter config over the project's
    return found


def contract(project: Project) -> Path:
    """A contract with a check of every kind, so that the check document holds each one."""
    return project.write(
        "contract.yaml",
        """\
        columns:
          x: {kind: numerical, null_share: 0.01, zero_share: 0.01, nonfinite_share: 0.01,
              range: [-1, 1], out_of_range_share: 0.01, spread_min: 5, top_share: 0.5,
              cardinality: {min: 5000, rows: 10}, sentinels: [-1], sentinel_share: 0.01}
          c: {kind: categorical, domain: {a: 0.5, zz: 0.5}, new_value_share: 0.01,
              share_tolerance: 0.1}
        """,
    )


@pytest.mark.slow
def test_real_outputs_of_every_command_follow_their_schema(
    documents: dict[str, list[Document]],
) -> None:
    assert set(documents) == set(NAMES)
    for docs in documents.values():
        for document in docs:
            assert schema.validate(document) == document["command"]
    error = documents["error"][0]  # registry show 99: the registry schema and the error one
    assert schema.validate(error | {"command": "mlmon"}) == "error"
    registry = [set(d["result"]) for d in documents["registry"]]
    assert {"versions"} <= registry[0] and {"artifact"} <= registry[1]
    assert registry[2] == {"events"} and registry[3] == {"ref", "path"}


def _rename(key: str) -> Callable[[Any], None]:
    def change(d: Any) -> None:
        d[f"{key}_renamed"] = d.pop(key)

    return change


def _set(key: str, value: Any) -> Callable[[Any], None]:
    def change(d: Any) -> None:
        d[key] = value

    return change


# (command, path to the dict to change, the change): each must break the document
BREAKS: list[tuple[str, tuple[str | int, ...], Callable[[Any], None]]] = [
    ("ingest", ("result",), _rename("rows_written")),
    ("ingest", ("result",), _set("status", "ok")),
    ("ingest", ("result", "files", 0), _set("sha256", None)),
    ("metrics", ("result", "windows", 0), _rename("label_coverage")),
    ("metrics", ("result", "windows", 0, "metrics", "roc_auc"), _set("value", float("nan"))),
    ("metrics", ("result", "windows", 0), _set("status", "finding")),
    ("drift", ("result", "columns", 0), _rename("p_value")),
    ("drift", ("result", "columns", 0), _set("statistic", float("inf"))),
    ("drift", ("result", "columns", 0), _set("kind", "text")),
    ("drift", ("result", "dataset"), _set("share", "0.5")),
    ("drift", ("result", "concept"), _set("mode", "stateful-ish")),
    ("retrain", ("result",), _rename("holdout_metrics")),
    ("retrain", ("result", "triggers", 0), _set("trigger", "cron")),
    ("promote", ("result", "gate"), _rename("passed")),
    ("promote", ("result", "gate"), _set("difference", float("nan"))),
    ("rollback", ("result",), _set("changed", "yes")),
    ("registry", ("result", "events", 0), _set("event", "deleted")),
    ("registry", ("result",), _set("extra", 1)),
    ("init", ("result",), _rename("path")),
    ("check", ("result", "checks", 0), _set("kind", "anomaly")),
    ("check", ("result", "checks", 0, "worst"), _set("p_value", float("nan"))),
    ("check", ("result",), _rename("findings")),
    ("contract", ("result",), _set("columns", "2")),
    ("error", ("error",), _set("type", "crash")),
    ("error", (), _set("result", {})),
    ("error", ("error",), _rename("hint")),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "where", "change"), BREAKS)
def test_a_broken_document_does_not_validate(
    documents: dict[str, list[Document]],
    name: str,
    where: tuple[str | int, ...],
    change: Callable[[Any], None],
) -> None:
    for original in documents[name]:
        document = copy.deepcopy(original)
        target: Any = document
        try:
            for step in where:
                target = target[step]
        except (KeyError, IndexError, TypeError):
            continue  # not this document's shape (another registry subcommand, say)
        change(target)
        with pytest.raises(schema.SchemaError):
            schema.validate(document)
        break
    else:
        pytest.fail(f"no {name} document has {where}")


@pytest.mark.parametrize("status", ["finding", "error", "done"])
def test_a_wrong_status_does_not_validate(
    documents: dict[str, list[Document]], status: str
) -> None:
    document = copy.deepcopy(documents["rollback"][0])
    document["status"] = status
    with pytest.raises(schema.SchemaError):
        schema.validate(document)


def test_nan_in_the_text_is_refused_before_the_schema() -> None:
    text = '{"schema_version": 1, "command": "init", "status": "ok", "result": NaN}'
    with pytest.raises(ValueError, match="NaN is not JSON"):
        parse(text)


def test_the_readme_ingest_example_follows_the_schema() -> None:
    readme = (REPO / "README.md").read_text()
    block = readme.split("| python3 -m json.tool\n", 1)[1].split("```", 1)[0]
    assert schema.validate(parse(block)) == "ingest"


@pytest.mark.slow
def test_a_consumer_validates_with_the_jsonschema_command_line(
    documents: dict[str, list[Document]], tmp_path: Path
) -> None:
    """What the README tells a consumer: the shipped file, read by ``python -m jsonschema``."""
    instance = tmp_path / "drift.json"
    instance.write_text(json.dumps(documents["drift"][0]))
    command = [sys.executable, "-W", "ignore::DeprecationWarning", "-m", "jsonschema"]
    ok = subprocess.run(
        [*command, "-i", str(instance), str(schema.path("drift"))], capture_output=True, text=True
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    broken = documents["drift"][0] | {"status": "maybe"}
    instance.write_text(json.dumps(broken))
    bad = subprocess.run(
        [*command, "-i", str(instance), str(schema.path("drift"))], capture_output=True, text=True
    )
    assert bad.returncode == 1 and "'maybe' is not one of" in bad.stderr


def _property_names(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties":
                found |= set(value)
            if key != "metadata":
                _property_names(value, found)
    elif isinstance(node, list):
        for value in node:
            _property_names(value, found)
