"""The last step of every command: print the result, notify the sinks, exit.

One function for all of them (STYLE.md: the command is parse, call, render), so the order —
result first, then alerts, then the exit code — and the meaning of ``--exit-zero`` are the
same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from mlmon.cli.alerting import notify
from mlmon.cli.output import Output
from mlmon.errors import ExitCode

if TYPE_CHECKING:
    from mlmon.cli.app import State
    from mlmon.config import Config
    from mlmon.outcome import Outcome


def finish(
    state: State,
    config: Config | None,
    result: Outcome,
    render: Callable[[Output], None],
    *,
    exit_zero: bool = False,
) -> None:
    """Print ``result`` (its JSON document under ``--json``, else ``render``), send it to
    the alert sinks when it says so, and end the command with its exit code; ``exit_zero``
    turns a finding's 1 into 0 (never an error's code nor insufficient data's 7)."""
    out = state.out
    for warning in result.warnings:
        out.warning(warning)
    if out.json_mode:
        out.json(result.command, result.status, result.to_dict())
    else:
        render(out)
    if result.alerts:
        notify(state, config, result)
    code = result.exit_code
    if exit_zero and code == ExitCode.FINDING:
        code = ExitCode.OK
    if code != ExitCode.OK:
        raise typer.Exit(code)
