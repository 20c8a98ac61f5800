"""``mlmon registry`` (list, show, history, path) and ``mlmon rollback``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from mlmon.cli.finish import finish
from mlmon.cli.options import Reason
from mlmon.cli.output import Output
from mlmon.cli.state import state_of

if TYPE_CHECKING:  # the library is imported when the command runs, so other commands start fast
    from mlmon.ops.registry import ArtifactPath, History, RegistryList, VersionMetadata
    from mlmon.registry.rollback import RollbackResult

registry_app = typer.Typer(
    help="Inspect model versions, aliases and the event log.", no_args_is_help=True
)


@registry_app.command("list")
def list_versions(ctx: typer.Context) -> None:
    """Every registered version with its aliases, oldest first."""
    from mlmon.ops import registry

    state = state_of(ctx)
    config = state.config()
    result = registry.versions(config)
    finish(state, config, result, lambda out: render_list(out, result))


def render_list(out: Output, result: RegistryList) -> None:
    out.table(
        f"model {result.model} in {result.base}",
        ["version", "aliases", "created_at", "trigger", "sha256"],
        [
            [v.version, ", ".join(v.aliases) or "-", v.created_at, v.trigger, v.sha256[:12]]
            for v in result.versions
        ],
    )
    if not result.versions:
        out.note("no versions registered yet")


@registry_app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="A version number or an alias (production, ...).")],
) -> None:
    """A version's metadata (its lineage)."""
    from mlmon.ops import registry

    state = state_of(ctx)
    config = state.config()
    result = registry.show(config, ref)
    finish(state, config, result, lambda out: render_metadata(out, result))


def render_metadata(out: Output, result: VersionMetadata) -> None:
    out.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")


@registry_app.command("history")
def history(ctx: typer.Context) -> None:
    """The event log: registrations, promotions, failed gates, rollbacks."""
    from mlmon.ops import registry

    state = state_of(ctx)
    config = state.config()
    result = registry.history(config)
    finish(state, config, result, lambda out: render_history(out, result))


def render_history(out: Output, result: History) -> None:
    rows = [
        [
            e.time,
            e.event,
            e.version or "-",
            e.alias or "-",
            f"{e.from_version or '-'} → {e.to_version or '(removed)'}"
            if e.to_version or e.event == "alias_removed"
            else "-",
            e.reason or "-",
            f"{e.user}@{e.host}",
        ]
        for e in result.events
    ]
    out.table(
        f"history of model {result.model}",
        ["time", "event", "version", "alias", "move", "reason", "by"],
        rows,
    )


@registry_app.command("path")
def path(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="An alias (production, ...) or a version number.")],
) -> None:
    """The artifact file of a version or alias, after checking its SHA-256 (for serving)."""
    from mlmon.ops import registry

    state = state_of(ctx)
    config = state.config()
    result = registry.artifact(config, ref)
    finish(state, config, result, lambda out: render_path(out, result))


def render_path(out: Output, result: ArtifactPath) -> None:
    out.stdout.write(f"{result.path}\n")


def rollback_command(
    ctx: typer.Context,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="The version to put back (default: the previous production).",
            show_default=False,
        ),
    ] = None,
    reason: Reason = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would happen; change nothing.")
    ] = False,
) -> None:
    """Point production back at the previous production version (or --to VERSION)."""
    from mlmon.ops import rollback

    state = state_of(ctx)
    config = state.config()
    result = rollback.run(config, to=to, reason=reason, dry_run=dry_run)
    finish(state, config, result, lambda out: render_rollback(out, result))


def render_rollback(out: Output, result: RollbackResult) -> None:
    before, after, withdrawn = result.from_version, result.to_version, result.candidate_withdrawn
    if before == after:
        out.result_line(f"production is already version {after}; nothing to do")
    elif result.dry_run:
        out.result_line(f"would roll production back: {before} → {after} (dry run)")
    else:
        out.result_line(f"rolled production back: {before} → {after}")
    if withdrawn is not None and before != after:
        out.result_line(
            f"{'would withdraw' if result.dry_run else 'withdrew'} version {withdrawn} as "
            "candidate: it is not promoted again without --force --reason"
        )
