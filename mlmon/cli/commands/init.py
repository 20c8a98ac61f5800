"""``mlmon init``: write a commented starter ``mlmon.yaml``."""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated

import typer

from mlmon.cli.state import state_of
from mlmon.errors import UsageError
from mlmon.fsutil import atomic_write_bytes


def starter_config() -> bytes:
    """The starter config shipped with mlmon."""
    return files("mlmon.config").joinpath("starter.yaml").read_bytes()


def init(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter config (to --config, or ./mlmon.yaml)."""
    state = state_of(ctx)
    path = state.config_path
    text = starter_config()
    existed = path.exists()
    if existed and path.is_file() and path.read_bytes() == text:
        state.out.note(f"{path} already holds the starter config; nothing to do")
        written = False
    elif existed and not force:
        raise UsageError(
            f"{path} already exists; not overwriting it",
            hint="pass --force to replace it, or --config OTHER.yaml to write elsewhere",
        )
    else:
        atomic_write_bytes(path, text)
        written = True
        state.out.note(
            f"wrote {path}: fill in `schema` with your log's columns, then run `mlmon ingest FILE`"
        )
    if state.out.json_mode:
        state.out.json(
            "init",
            "ok",
            {"path": str(path), "written": written, "overwritten": written and existed},
        )
    else:
        state.out.result_line(str(path))
