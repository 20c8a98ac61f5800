"""``mlmon check`` and ``mlmon contract infer``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mlmon.cli.finish import finish
from mlmon.cli.options import Until
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
    rows = []
    for name, fresh in (("predictions", result.predictions), ("labels", result.labels)):
        if fresh is None:
            continue
        age = "none" if fresh.age_seconds is None else f"{fresh.age_seconds / 3600:.1f} h old"
        status = "finding" if fresh.status == "stale" else "ok"
        limit = f"max {fresh.max_age / 3600:g} h"
        rows.append(["freshness", name, status, f"newest {age} ({limit})", ""])
    if result.volume:
        judged = sum(v.status != "insufficient_data" for v in result.volume)
        status = "ok" if judged else "insufficient_data"
        rows.append(
            ["volume", "rows", status, f"{judged} of {len(result.volume)} windows judged", ""]
        )
    for f in result.findings:
        if f.kind == "stale_data":
            rows = [
                r if r[:2] != ["freshness", f.column] else [*r[:3], f.summary, ""] for r in rows
            ]
            continue
        if f.kind == "volume_anomaly":
            rows = [r for r in rows if r[0] != "volume"]
        evidence = f.summary.removeprefix(f"{f.column}: ")
        rows.append([f.kind, f.column or "rows", "finding", evidence, _runs(f.windows)])
    ok = sum(1 for g in result.groups if g.status == "ok")
    out.table(
        f"check {result.since:%Y-%m-%d %H:%M} .. {result.until:%Y-%m-%d %H:%M} per "
        f"{result.window}: {result.rows:,} rows, {ok} column checks ok",
        ["check", "column", "status", "evidence", "windows"],
        rows,
    )
    for reason in result.insufficient:
        out.note(f"insufficient data: {reason}")
    out.note(
        f"contract: {result.contract or 'none'}; {result.correction} correction at alpha "
        f"{result.alpha}; status: {result.status}"
    )


def _runs(windows: str, shown: int = 3) -> str:
    """The first few runs of windows, and how many more (the JSON has them all)."""
    runs = [w for w in windows.split(", ") if w]
    more = f" (+{len(runs) - shown} more)" if len(runs) > shown else ""
    return ", ".join(runs[:shown]) + more


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
    reference_version: Annotated[
        str | None,
        typer.Option(
            "--reference-version",
            help="A registered version (or alias) whose training data is the reference: "
            "the contract stored with it, else learned from its training window.",
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
    """Learn a reviewable YAML data contract from a reference window, a file or a registered
    version's training data."""
    from mlmon.ops import contract

    state = state_of(ctx)
    config = state.config()
    result = contract.infer(
        config,
        since=since,
        until=until,
        reference=reference,
        reference_version=reference_version,
        output=output,
        force=force,
    )
    finish(state, config, result, lambda out: render_contract(out, result))


def render_contract(out: Output, result: ContractResult) -> None:
    if result.output is None:
        out.result_line(result.text.rstrip("\n"))
        return
    out.result_line(f"wrote {result.output}: {len(result.contract.columns)} columns")
    out.note(f"learned from {result.contract.source}; review it, then set check.contract")
