"""``mlmon registry`` (list, show, history, path) and ``mlmon rollback``."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from mlmon.cli.alerting import notify
from mlmon.cli.options import Reason
from mlmon.cli.state import state_of
from mlmon.registry import open_registry

registry_app = typer.Typer(
    help="Inspect model versions, aliases and the event log.", no_args_is_help=True
)


@registry_app.command("list")
def list_versions(ctx: typer.Context) -> None:
    """Every registered version with its aliases, oldest first."""
    state = state_of(ctx)
    registry = open_registry(state.config())
    aliases = registry.aliases()
    by_version: dict[str, list[str]] = {}
    for alias, version in aliases.items():
        by_version.setdefault(version, []).append(alias)
    rows = []
    versions = []
    for v in registry.versions():
        meta = registry.metadata(v)
        versions.append({"version": v, "aliases": by_version.get(v, []), "metadata": meta})
        rows.append(
            [
                v,
                ", ".join(by_version.get(v, [])) or "-",
                str(meta.get("created_at", "-")),
                _trigger(meta.get("trigger")),
                str(meta["artifact"]["sha256"])[:12],
            ]
        )
    if state.out.json_mode:
        state.out.json(
            "registry", "ok", {"model": registry.model, "aliases": aliases, "versions": versions}
        )
        return
    state.out.table(
        f"model {registry.model} in {registry.base}",
        ["version", "aliases", "created_at", "trigger", "sha256"],
        rows,
    )
    if not rows:
        state.out.note("no versions registered yet")


@registry_app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="A version number or an alias (production, ...).")],
) -> None:
    """A version's metadata (its lineage)."""
    state = state_of(ctx)
    registry = open_registry(state.config())
    version = registry.resolve(ref)
    meta = registry.metadata(version)
    if state.out.json_mode:
        state.out.json("registry", "ok", meta)
        return
    state.out.stdout.write(json.dumps(meta, indent=2, default=str) + "\n")


@registry_app.command("history")
def history(ctx: typer.Context) -> None:
    """The event log: registrations, promotions, failed gates, rollbacks."""
    state = state_of(ctx)
    registry = open_registry(state.config())
    events = registry.events()
    if state.out.json_mode:
        state.out.json("registry", "ok", {"events": [e.to_dict() for e in events]})
        return
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
        for e in events
    ]
    state.out.table(
        f"history of model {registry.model}",
        ["time", "event", "version", "alias", "move", "reason", "by"],
        rows,
    )


@registry_app.command("path")
def path(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="An alias (production, ...) or a version number.")],
) -> None:
    """The artifact file of a version or alias, after checking its SHA-256 (for serving)."""
    state = state_of(ctx)
    registry = open_registry(state.config())
    artifact = registry.artifact_path(ref).resolve()  # absolute: a server may run elsewhere
    if state.out.json_mode:
        state.out.json("registry", "ok", {"ref": ref, "path": str(artifact)})
        return
    state.out.stdout.write(f"{artifact}\n")


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
    state = state_of(ctx)
    config = state.config()
    registry = open_registry(config)
    before, after, withdrawn = registry.rollback(to, reason, dry_run=dry_run)
    changed = before != after and not dry_run
    result = {
        "from_version": before,
        "to_version": after,
        "changed": changed,
        "dry_run": dry_run,
        "candidate_withdrawn": withdrawn,
    }
    if state.out.json_mode:
        state.out.json("rollback", "ok", result)
    elif before == after:
        state.out.result_line(f"production is already version {after}; nothing to do")
    elif dry_run:
        state.out.result_line(f"would roll production back: {before} → {after} (dry run)")
    else:
        state.out.result_line(f"rolled production back: {before} → {after}")
    if withdrawn is not None and before != after:
        state.out.result_line(
            f"{'would withdraw' if dry_run else 'withdrew'} version {withdrawn} as candidate: "
            "it is not promoted again without --force --reason"
        )
    if changed:
        notify(state, config, "rollback", result)


def _trigger(trigger: object) -> str:
    """What caused a version: the triggers that fired, or the reason it was forced."""
    if not isinstance(trigger, dict):
        return "-"
    if trigger.get("forced"):
        return f"forced: {trigger['forced']}"
    fired = [t.get("trigger", "?") for t in trigger.get("fired") or [] if isinstance(t, dict)]
    return ", ".join(fired) or "-"
