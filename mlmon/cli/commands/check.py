"""``mlmon check`` and ``mlmon contract infer``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mlmon.cli.finish import finish
from mlmon.cli.output import Output
from mlmon.cli.state import check_choice, state_of

if TYPE_CHECKING:  # the library is imported when the command runs, so other commands start fast
    from mlmon.health.result import CheckResult
    from mlmon.ops.contract import ContractResult

Since = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Start: ISO date/time, or a duration back from --until (7d, 12h). "
        "[default: check.since back from --until]",
        show_default=False,
    ),
]
Until = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="End (exclusive): ISO date/time, or 'latest' for the newest row. [default: now]",
        show_default=False,
    ),
]


def check_command(
    ctx: typer.Context,
    since: Since = None,
    until: Until = None,
    window: Annotated[
        str | None,
        typer.Option("--window", help="1h or 1d. [default: check.window]", show_default=False),
    ] = None,
    contract: Annotated[
        Path | None,
        typer.Option(
            "--contract",
            help="A data contract file. [default: check.contract, else learned from "
            "check.reference]",
            show_default=False,
        ),
    ] = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when a check fails.")
    ] = False,
) -> None:
    """Cheap health checks for silent failures: freshness and gaps, volume against its
    weekly history, feature and prediction health, the data contract, ingest rejections."""
    from mlmon.ops import check

    state = state_of(ctx)
    check_choice(window, ("1h", "1d"), "--window")
    config = state.config()
    result = check.run(config, since=since, until=until, window=window, contract=contract)
    finish(state, config, result, lambda out: render(out, result), exit_zero=exit_zero)


def render(out: Output, result: CheckResult) -> None:
    from mlmon.health.judge import summary, worst

    fresh = [("predictions", result.predictions), ("labels", result.labels)]
    rows = []
    for name, f in fresh:
        if f is None:
            continue
        age = "-" if f.age_seconds is None else f"{f.age_seconds / 3600:.1f} h"
        rows.append(["freshness", name, f.status, f"newest {age} old, max {f.max_age / 3600:g} h"])
    judged = [v for v in result.volume if v.status != "insufficient_data"]
    bad = [v for v in result.volume if v.status == "anomaly"]
    gaps = "; ".join(g.summary for g in result.gaps)
    if result.volume:
        status = "finding" if bad else ("ok" if judged else "insufficient_data")
        rows.append(
            ["volume", "rows", status, f"{len(judged)} of {len(result.volume)} windows judged"]
        )
    if gaps:
        rows.append(["gaps", "rows", "finding", gaps])
    for g in result.groups:
        if g.status == "ok" and g.check not in ("missing_column",):
            continue
        detail = summary(worst(g.failed)) if g.failed else (g.items[0].reason or "")
        rows.append([g.check, g.column or "rows", g.status, detail])
    ok = sum(1 for g in result.groups if g.status == "ok")
    out.table(
        f"check {result.since:%Y-%m-%d %H:%M} .. {result.until:%Y-%m-%d %H:%M} per "
        f"{result.window} ({result.rows:,} rows; {ok} column checks ok)",
        ["check", "column", "status", "evidence"],
        rows,
    )
    for finding in result.findings:
        where = f" [{finding.windows}]" if finding.windows else ""
        out.note(f"{finding.kind}: {finding.summary}{where}")
    for reason in result.insufficient:
        out.note(f"insufficient data: {reason}")
    out.note(
        f"contract: {result.contract or 'none'}; {result.correction} correction at alpha "
        f"{result.alpha}; status: {result.status}"
    )


contract_app = typer.Typer(
    help="Data contracts: what each logged column may look like.", no_args_is_help=True
)


@contract_app.command("infer")
def infer(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Start of the reference window (ISO date/time).", show_default=False
        ),
    ] = None,
    until: Until = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            help="A log file (Parquet, CSV, JSON Lines) as the reference.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the YAML here. [default: print it]", show_default=False
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output.")] = False,
) -> None:
    """Learn a reviewable YAML data contract from a reference window or file."""
    from mlmon.ops import contract

    state = state_of(ctx)
    config = state.config()
    result = contract.infer(
        config, since=since, until=until, reference=reference, output=output, force=force
    )
    finish(state, config, result, lambda out: render_contract(out, result))


def render_contract(out: Output, result: ContractResult) -> None:
    if result.output is None:
        out.result_line(result.text.rstrip("\n"))
        return
    out.result_line(f"wrote {result.output}: {len(result.contract.columns)} columns")
    out.note(f"learned from {result.contract.source}; review it, then set check.contract")
