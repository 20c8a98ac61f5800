"""``mlmon retrain``: decide from triggers, train, register a candidate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mlmon.cli.finish import finish
from mlmon.cli.options import Reason, require_reason, until_option
from mlmon.cli.output import Output
from mlmon.cli.state import state_of

if TYPE_CHECKING:  # the library is imported when the command runs, so other commands start fast
    from mlmon.lifecycle.retrain import RetrainResult


def retrain_command(
    ctx: typer.Context,
    until: Annotated[str | None, until_option("the training and trigger windows")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report which triggers fire and why; change nothing.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Like --dry-run, and exit 1 when retraining is due.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Retrain whatever the triggers say (needs --reason).")
    ] = False,
    reason: Reason = None,
) -> None:
    """Decide from the triggers whether to retrain; if so, train and register a candidate."""
    from mlmon.lifecycle.model import PRIMARY
    from mlmon.ops import retrain

    state = state_of(ctx)
    forced = require_reason(force, reason)
    config = state.config()
    result = retrain.run(config, until=until, dry_run=dry_run, check=check, force=forced)
    finish(state, config, result, lambda out: render(out, result, PRIMARY[config.model.task]))


def render(out: Output, result: RetrainResult, key: str) -> None:
    """The triggers, then what was done; ``key`` is the task's primary metric."""
    rows = [[t.name, "FIRED" if t.fired else "no", t.reason] for t in result.triggers]
    out.table("retrain triggers", ["trigger", "fired", "why"], rows)
    if result.forced:
        out.result_line(f"forced: {result.forced}")
    if result.version is not None and result.training and result.holdout_metrics:
        cand = result.holdout_metrics.candidate
        prod = result.holdout_metrics.production
        training = result.training
        line = (
            f"registered version {result.version} as candidate: trained on "
            f"{training.train_rows:,} rows, {key} on {training.holdout_rows:,} "
            f"holdout rows {cand[key].value:.4f}"
        )
        if prod is not None:
            line += f" (production: {prod[key].value:.4f})"
        out.result_line(line)
    elif result.already is not None:
        out.result_line(
            f"version {result.already} was already trained on the same rows with the same "
            "config; nothing to do"
        )
    elif result.triggered:
        out.result_line(
            "retraining is due"
            + (" (dry run: nothing changed)" if result.dry_run or result.check else "")
        )
    else:
        out.result_line("no trigger fired; nothing to do")
