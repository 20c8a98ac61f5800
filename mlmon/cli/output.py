"""Everything the CLI prints: results to stdout, notes/warnings/errors to stderr.

A rich table when stdout is a terminal, plain aligned text when it is not (pipes, cron),
one JSON document under ``--json``. ``NO_COLOR`` is honoured by rich.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mlmon.errors import MlmonError

SCHEMA_VERSION = 1


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars become Python ones; undefined floats become null, never NaN
    or Infinity."""
    if hasattr(value, "item") and not isinstance(value, dict | list | tuple | str):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def envelope(command: str, status: str, result: dict[str, Any]) -> dict[str, Any]:
    """The one JSON document a command prints under ``--json`` (DESIGN.md §3)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "status": status,
        "result": _clean(result),
    }


def error_envelope(command: str, error: MlmonError) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "status": "error",
        "error": {"type": error.kind, "message": error.message, "hint": error.hint},
    }


@dataclass
class Output:
    """Where and how a command writes. Built once per process from the global flags."""

    json_mode: bool = False
    quiet: bool = False
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    documents: int = 0
    """JSON documents written: stdout carries one, so an error after the result (an
    interrupt while the alerts go out) is told on stderr alone."""

    @property
    def stdout_is_tty(self) -> bool:
        return self.stdout.isatty()

    @property
    def stderr_is_tty(self) -> bool:
        return self.stderr.isatty()

    def console(self) -> Console:
        return Console(file=self.stdout, highlight=False, soft_wrap=False)

    def err_console(self) -> Console:
        return Console(file=self.stderr, highlight=False, soft_wrap=True)

    def json(self, command: str, status: str, result: dict[str, Any]) -> None:
        self._write_json(envelope(command, status, result))

    def _write_json(self, doc: dict[str, Any]) -> None:
        indent = 2 if self.stdout_is_tty else None
        self.stdout.write(json.dumps(doc, indent=indent, allow_nan=False) + "\n")
        self.stdout.flush()
        self.documents += 1

    def result_line(self, text: str) -> None:
        """A line of the human-readable result (stdout; silent under --quiet or --json)."""
        if not (self.quiet or self.json_mode):
            self.stdout.write(text + "\n")

    def table(
        self,
        title: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        right: Sequence[int] = (),
        markdown: bool = False,
    ) -> None:
        """A result table: rich in a terminal, tab-free aligned text otherwise, or a markdown
        table (for CI job summaries and pull-request comments)."""
        if self.quiet or self.json_mode:
            return
        cells = [[_fmt(v) for v in row] for row in rows]
        if markdown:
            self.stdout.write(f"**{title}**\n\n| " + " | ".join(headers) + " |\n")
            self.stdout.write("|" + "---|" * len(headers) + "\n")
            for row in cells:
                self.stdout.write("| " + " | ".join(row) + " |\n")
            return
        if self.stdout_is_tty:
            table = Table(title=title, title_justify="left")
            for i, h in enumerate(headers):
                # fold, never cut: a path or note is useless with its end replaced by "…"
                table.add_column(h, justify="right" if i in right else "left", overflow="fold")
            for row in cells:
                # Text, not markup: a path or value with "[...]" must print as it is
                table.add_row(*(Text(c, style=_style(c)) for c in row))
            self.console().print(table)
            return
        widths = [
            max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
            for i, h in enumerate(headers)
        ]

        def line(values: Sequence[str]) -> str:
            parts = [
                v.rjust(w) if i in right else v.ljust(w)
                for i, (v, w) in enumerate(zip(values, widths, strict=True))
            ]
            return "  ".join(parts).rstrip()

        self.stdout.write(f"{title}\n{line(headers)}\n")
        for row in cells:
            self.stdout.write(line(row) + "\n")

    def note(self, text: str) -> None:
        """Progress-like information for a person (stderr; silent under --quiet)."""
        if not self.quiet:
            self.stderr.write(text + "\n")

    def warning(self, text: str) -> None:
        self.stderr.write(f"warning: {text}\n")

    def error(self, command: str, error: MlmonError) -> None:
        """``error:``/``hint:`` on stderr; also the JSON error envelope under --json."""
        self.stderr.write(f"error: {error.message}\n")
        if error.hint:
            self.stderr.write(f"hint: {error.hint}\n")
        self.stderr.flush()
        if self.json_mode and not self.documents:
            self._write_json(error_envelope(command, error))


def _style(cell: str) -> str:
    """Findings stand out in a terminal."""
    return "bold red" if cell.startswith("BREACH") else ""


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
