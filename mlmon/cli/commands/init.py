"""``mlmon init``: write a commented starter ``mlmon.yaml``."""

from __future__ import annotations

from typing import Annotated

import typer

from mlmon.cli.finish import finish
from mlmon.cli.state import state_of


def starter_config() -> bytes:
    """The starter config shipped with mlmon (:func:`mlmon.ops.init.starter_config`)."""
    from mlmon.ops.init import starter_config

    return starter_config()


def init(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter config (to --config, or ./mlmon.yaml)."""
    from mlmon.ops.init import run

    state = state_of(ctx)
    result = run(state.config_path, force=force)
    if result.written:
        state.out.note(
            f"wrote {result.path}: fill in `schema` with your log's columns, "
            "then run `mlmon ingest FILE`"
        )
    else:
        state.out.note(f"{result.path} already holds the starter config; nothing to do")
    finish(state, None, result, lambda out: out.result_line(str(result.path)))
