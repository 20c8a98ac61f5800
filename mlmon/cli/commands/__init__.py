"""The command table: name → typer command function. Plain dict, no import-time magic."""

from collections.abc import Callable
from typing import Any

import typer

from mlmon.cli.commands.check import check_command, contract_app
from mlmon.cli.commands.drift import drift_command
from mlmon.cli.commands.ingest import ingest_command
from mlmon.cli.commands.init import init
from mlmon.cli.commands.metrics import metrics_command
from mlmon.cli.commands.promote import promote_command
from mlmon.cli.commands.registry import registry_app, rollback_command
from mlmon.cli.commands.retrain import retrain_command

COMMANDS: dict[str, Callable[..., Any]] = {
    "init": init,
    "ingest": ingest_command,
    "metrics": metrics_command,
    "drift": drift_command,
    "retrain": retrain_command,
    "promote": promote_command,
    "rollback": rollback_command,
    "check": check_command,
}

GROUPS: dict[str, typer.Typer] = {"registry": registry_app, "contract": contract_app}
"""Commands with subcommands (``mlmon registry list``, ...)."""
