"""``mlmon promote``: the statistical gate, then the production alias."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mlmon.cli.finish import finish
from mlmon.cli.options import Reason, require_reason, until_option
from mlmon.cli.output import Output
from mlmon.cli.state import state_of

if TYPE_CHECKING:  # the library is imported when the command runs, so other commands start fast
    from mlmon.lifecycle.promote import PromoteResult


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
    from mlmon.ops import promote

    state = state_of(ctx)
    forced = require_reason(force, reason)
    config = state.config()
    result = promote.run(config, version, until=until, dry_run=dry_run, force=forced, reason=reason)
    finish(state, config, result, lambda out: render(out, result))


def render(out: Output, result: PromoteResult) -> None:
    gate = result.gate
    if gate is None:
        out.result_line(result.note or "nothing to do")
        return
    c = gate.primary
    if c is None:
        out.result_line(
            f"gate: {gate.metric} of candidate {result.candidate} = {gate.candidate_value:.4f}"
        )
    else:
        out.result_line(
            f"gate: {c.metric} candidate {result.candidate} {c.candidate:.4f} vs "
            f"production {result.production_before} {c.production:.4f} "
            f"on {gate.rows:,} rows: "
            f"improvement {c.improvement:+.4f} ({gate.confidence:.0%} interval "
            f"{c.low:+.4f} to {c.high:+.4f})"
        )
    for rule in gate.rules:
        out.result_line(f"  {'pass' if rule.passed else 'FAIL'}  {rule.rule}")
    skew = result.contract
    if skew is not None and not skew.required:
        if skew.status == "violated":
            out.note(
                f"contract: {len(skew.violations)} violation(s) of version {skew.version}'s "
                "training contract (reported only: promote.require_contract is off)"
            )
        elif skew.status == "ok":
            out.note(
                f"contract: the serving data satisfies version {skew.version}'s training "
                f"contract ({len(skew.columns)} feature columns)"
            )
        else:
            out.note(f"contract: not checked: {skew.reason}")
    if result.dry_run:
        verdict = "would promote" if gate.passed else "would not promote"
        out.result_line(f"{verdict} version {result.candidate} (dry run: nothing changed)")
    elif result.promoted:
        how = "forced past the gate" if result.forced and not gate.passed else "promoted"
        before = result.production_before or "(none)"
        out.result_line(f"{how}: production {before} → {result.production_after}")
    else:
        out.result_line(f"gate failed: production stays at {result.production_before or '(none)'}")
