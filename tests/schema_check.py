"""Every ``--json`` document the tests make is checked against its JSON Schema (mlmon/schema).

The two CLI runners of the suite (``tests.conftest.Project.cli`` and ``_run`` of
``tests/cli/test_cli_contract.py``) call :func:`check_json_output` with the arguments and
stdout of each run. Load this module as a plugin (``pytest -p tests.schema_check``) to have
the number of documents checked in the terminal summary.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from mlmon.cli.app import split_global_options
from mlmon.schema import SchemaError, validate

checked: dict[str, int] = {}
"""Documents checked in this process, by schema name."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (the contract writes null for undefined numbers)")


def parse(text: str) -> dict[str, Any]:
    """One JSON document, strictly: NaN and Infinity are refused, as any JSON reader but
    Python's would."""
    document = json.loads(text, parse_constant=_no_constant)
    assert isinstance(document, dict), f"a --json document is an object, not {document!r}"
    return document


def check_json_output(args: Sequence[str], stdout: str) -> None:
    """Under ``--json`` (a global option before any ``--``), a non-empty stdout must be one
    document that follows its schema. ``--version`` prints the version, not a document."""
    flags, _ = split_global_options(list(args))
    if "--json" not in flags or "--version" in flags or not stdout:
        return
    try:
        name = validate(parse(stdout))
    except (SchemaError, ValueError) as exc:
        raise AssertionError(
            f"--json output of `mlmon {' '.join(args)}` breaks the contract: {exc}\n{stdout}"
        ) from None
    checked[name] = checked.get(name, 0) + 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """With ``-p tests.schema_check``: how many documents were checked against each schema."""
    total = sum(checked.values())
    by_schema = ", ".join(f"{k} {v}" for k, v in sorted(checked.items()))
    terminalreporter.write_line(
        f"--json documents checked against their schema: {total} ({by_schema})"
    )
