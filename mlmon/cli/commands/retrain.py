"""``mlmon retrain``: decide from triggers, train, register a candidate."""

from __future__ import annotations

from typing import Annotated

import typer

from mlmon.cli.alerting import notify
from mlmon.cli.options import Reason, require_reason, until_option
from mlmon.cli.state import state_of
from mlmon.errors import ExitCode
from mlmon.timewindow import resolve_window


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
    from mlmon.lifecycle.retrain import retrain
    from mlmon.store.scan import latest_timestamp

    state = state_of(ctx)
    forced = require_reason(force, reason)
    config = state.config()
    _, end = resolve_window(None, until, default_span=None, latest=lambda: latest_timestamp(config))
    result = retrain(config, end, dry_run=dry_run, check=check, force=forced)
    out = state.out
    if out.json_mode:
        out.json("retrain", result.status, result.to_dict())
    else:
        rows = [[t.name, "FIRED" if t.fired else "no", t.reason] for t in result.triggers]
        out.table("retrain triggers", ["trigger", "fired", "why"], rows)
        if result.forced:
            out.result_line(f"forced: {result.forced}")
        if result.version is not None and result.training and result.holdout_metrics:
            cand = result.holdout_metrics["candidate"] or {}
            prod = result.holdout_metrics["production"]
            from mlmon.lifecycle.model import PRIMARY

            key = PRIMARY[config.model.task]
            training = result.training
            line = (
                f"registered version {result.version} as candidate: trained on "
                f"{training['train_rows']:,} rows, {key} on {training['holdout_rows']:,} "
                f"holdout rows {cand[key]['value']:.4f}"
            )
            if prod is not None:
                line += f" (production: {prod[key]['value']:.4f})"
            out.result_line(line)
        elif result.already is not None:
            out.result_line(
                f"version {result.already} was already trained on the same rows with the same "
                "config; nothing to do"
            )
        elif result.triggered:
            out.result_line(
                "retraining is due" + (" (dry run: nothing changed)" if dry_run or check else "")
            )
        else:
            out.result_line("no trigger fired; nothing to do")
    if not (dry_run or check):
        notify(state, config, "retrain", result.to_dict())
    if result.status == "finding":
        raise typer.Exit(ExitCode.FINDING)
