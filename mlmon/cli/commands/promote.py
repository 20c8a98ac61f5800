"""``mlmon promote``: the statistical gate, then the production alias."""

from __future__ import annotations

from typing import Annotated

import typer

from mlmon.cli.alerting import notify
from mlmon.cli.options import Reason, require_reason, until_option
from mlmon.cli.state import state_of
from mlmon.errors import ExitCode
from mlmon.timewindow import resolve_window


def promote_command(
    ctx: typer.Context,
    version: Annotated[
        str | None,
        typer.Argument(help="The version to promote [default: the candidate].", show_default=False),
    ] = None,
    until: Annotated[str | None, until_option("the comparison window")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the gate's decision; change nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Promote even if the gate fails (needs --reason).")
    ] = False,
    reason: Reason = None,
) -> None:
    """Gate a candidate against production on the same labelled rows; promote it if it passes."""
    from mlmon.lifecycle.promote import promote
    from mlmon.store.scan import latest_timestamp

    state = state_of(ctx)
    forced = require_reason(force, reason)
    config = state.config()
    _, end = resolve_window(None, until, default_span=None, latest=lambda: latest_timestamp(config))
    result = promote(config, version, end, dry_run=dry_run, force=forced, reason=reason)
    out = state.out
    if out.json_mode:
        out.json("promote", result.status, result.to_dict())
    elif result.gate is None:
        out.result_line(result.note or "nothing to do")
    else:
        g = result.gate.to_dict()
        if g["production"] is None:
            out.result_line(
                f"gate: {g['metric']} of candidate {result.candidate} = {g['candidate']:.4f}"
            )
        else:
            out.result_line(
                f"gate: {g['metric']} candidate {result.candidate} {g['candidate']:.4f} vs "
                f"production {result.production_before} {g['production']:.4f} "
                f"on {g['rows']:,} rows: "
                f"improvement {g['difference']:+.4f} ({g['confidence']:.0%} interval "
                f"{g['ci_low']:+.4f} to {g['ci_high']:+.4f})"
            )
        for rule in g["rules"]:
            out.result_line(f"  {'pass' if rule['passed'] else 'FAIL'}  {rule['rule']}")
        if dry_run:
            verdict = "would promote" if g["passed"] else "would not promote"
            out.result_line(f"{verdict} version {result.candidate} (dry run: nothing changed)")
        elif result.promoted:
            how = "forced past the gate" if result.forced and not g["passed"] else "promoted"
            before = result.production_before or "(none)"
            out.result_line(f"{how}: production {before} → {result.production_after}")
        else:
            out.result_line(f"gate failed: production stays at {result.production_before}")
    if not dry_run:
        notify(state, config, "promote", result.to_dict())
    if result.status == "finding":
        raise typer.Exit(ExitCode.FINDING)
