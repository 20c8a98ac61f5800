"""The ``mlmon`` application: global options, the command table, and the one error boundary.

Global options may stand before or after the command (``mlmon --json ingest f.csv`` and
``mlmon ingest f.csv --json`` are the same): :func:`split_global_options` moves them to the
front before typer parses the line. :func:`run` maps every outcome to an exit code of
DESIGN.md §2; no traceback reaches the user unless ``--debug`` is given.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from mlmon import __version__
from mlmon.cli.commands import COMMANDS, GROUPS
from mlmon.cli.output import Output
from mlmon.config import Config, config_path, load_config
from mlmon.config.loader import CONFIG_ENV
from mlmon.errors import DataError, ExitCode, Interrupted, MlmonError, UsageError

try:  # typer >= 0.2x vendors click; older releases use click itself
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
    from typer._click.exceptions import UsageError as ClickUsageError
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import ClickException, NoArgsIsHelpError  # type: ignore[no-redef]
    from click.exceptions import UsageError as ClickUsageError  # type: ignore[no-redef]

_FLAGS = {"--json", "--quiet", "-q", "--debug", "--version"}
_VALUED = {"--config", "-c"}


@dataclass
class State:
    """What every command receives in ``ctx.obj``: the output and the config, loaded lazily."""

    out: Output
    config_arg: str | None = None
    debug: bool = False
    _config: Config | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        return config_path(self.config_arg)

    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
            for warning in self._config.warnings():
                self.out.warning(f"{self.config_path}: {warning}")
        return self._config

    def config_if_any(self) -> Config | None:
        """The config when one was named (``--config``, ``$MLMON_CONFIG``) or the default
        file exists; None otherwise (for commands that can run without one)."""
        if self.config_arg or os.environ.get(CONFIG_ENV) or self.config_path.is_file():
            return self.config()
        return None


app = typer.Typer(
    name="mlmon",
    help="Monitor and maintain a deployed machine-learning model from the command line.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
            envvar="MLMON_CONFIG",
            help="Config file [default: ./mlmon.yaml; env MLMON_CONFIG].",
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout, nothing else.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only errors (and --json output).")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Global options; they may also be given after the command."""
    state = ctx.ensure_object(State)
    state.config_arg = config
    state.debug = debug
    state.out.json_mode = json_output
    state.out.quiet = quiet


for _name, _func in COMMANDS.items():
    app.command(_name)(_func)
for _name, _group in GROUPS.items():
    app.add_typer(_group, name=_name)


def split_global_options(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Separate the global options (wherever they stand, up to ``--``) from the rest.

    >>> split_global_options(["ingest", "a.csv", "--json", "-c", "x.yaml"])
    (['--json', '-c', 'x.yaml'], ['ingest', 'a.csv'])
    """
    found: list[str] = []
    rest: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg in _FLAGS:
            found.append(arg)
        elif arg in _VALUED and i + 1 < len(args):
            found += [arg, args[i + 1]]
            i += 1
        elif arg.startswith("--config="):
            found.append(arg)
        else:
            rest.append(arg)
        i += 1
    return found, rest


def _command_name(rest: Sequence[str]) -> str:
    return next((a for a in rest if not a.startswith("-")), "mlmon")


def run(argv: Sequence[str], out: Output | None = None) -> int:
    """Run one command line and return its exit code. Never raises (but SystemExit)."""
    found, rest = split_global_options(argv)
    out = out or Output()
    out.json_mode = "--json" in found
    debug = "--debug" in found
    command = _command_name(rest)
    if "--version" in found:
        out.stdout.write(f"mlmon {__version__}\n")
        return ExitCode.OK
    state = State(out=out)
    try:
        cli = typer.main.get_command(app)
        rv = cli.main(args=[*found, *rest], prog_name="mlmon", standalone_mode=False, obj=state)
        code = rv if isinstance(rv, int) else ExitCode.OK
    except typer.Exit as exc:
        code = int(exc.exit_code)
    except MlmonError as exc:
        if debug:
            traceback.print_exc(file=out.stderr)
        out.error(command, exc)
        return int(exc.exit_code)
    except NoArgsIsHelpError as exc:
        if exc.ctx is not None:
            out.stderr.write(exc.ctx.get_help() + "\n")
        return ExitCode.USAGE
    except ClickUsageError as exc:
        out.error(command, UsageError(exc.format_message(), hint=_usage_hint(exc)))
        return ExitCode.USAGE
    except ClickException as exc:
        out.error(command, UsageError(exc.format_message()))
        return int(getattr(exc, "exit_code", ExitCode.USAGE))
    except (KeyboardInterrupt, typer.Abort):  # Ctrl-C, or SIGTERM (see mlmon.cli.main)
        code = ExitCode.INTERRUPTED
    except MemoryError:
        if debug:
            traceback.print_exc(file=out.stderr)
        out.error(
            command,
            DataError(
                f"out of memory in mlmon {command}",
                hint="narrow the window (--since/--until, a shorter --window), or run where "
                "more memory is free; for ingest, lower store.batch_rows",
            ),
        )
        return ExitCode.DATA
    except Exception as exc:  # the boundary: a bug must not look like a finding
        if debug:
            traceback.print_exc(file=out.stderr)
        internal = MlmonError(
            f"internal error: {type(exc).__name__}: {exc}",
            hint="this is a bug in mlmon; re-run with --debug for the traceback and report it",
        )
        out.error(command, internal)
        return ExitCode.INTERNAL
    if code == ExitCode.INTERRUPTED:
        # typer turns a KeyboardInterrupt inside a command into a silent Exit(130); no
        # command exits 130 by itself, so this is always an interrupt to report
        out.error(command, Interrupted())
    return code


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Run the command line and end the process (:func:`mlmon.cli.main`, the console script,
    calls this once it has installed the interrupt handling).

    It ends the process without the interpreter's teardown: by then the command has written
    and closed every file (stores, registry, caches, alert state are written atomically and
    under ``with``) and its worker threads have finished, and only output buffers are left,
    which are flushed here. The teardown frees every module one by one (typer, pydantic,
    polars, numba), a noticeable share of a million-row ``mlmon drift`` (bench/RESULTS.md).
    (Tests call :func:`run`, which returns.)"""
    code = run(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):
        # the reader went away (`mlmon … | head`) or the stream is closed: nothing to write
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(code)


def _usage_hint(exc: ClickUsageError) -> str:
    """What to run next after a usage error: the closest command for a mistyped one (the
    help of a command that does not exist would fail the same way), else the help of the
    command (or group) where the error is."""
    ctx = exc.ctx
    where = ctx.command_path if ctx is not None else "mlmon"
    group = ctx.command if ctx is not None else None
    typed = [*exc.message.split("'"), ""][1] if "No such command" in exc.message else ""
    commands = getattr(group, "list_commands", None)  # a group's (click's Group API)
    if typed and commands is not None:
        close = difflib.get_close_matches(typed, commands(ctx), n=1, cutoff=0.6)
        if close:
            return f"run `{where} {close[0]}`; `{where} --help` lists the commands"
        return f"`{where} --help` lists the commands"
    return f"run `{where} --help`"
