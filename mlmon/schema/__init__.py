"""JSON Schemas (draft 2020-12) of the ``--json`` contract (DESIGN.md §3), shipped with the
package: one per command (``<command>.schema.json``: what the command prints, its result on
success or the error envelope when it fails) and one for the error envelope alone
(``error.schema.json``: any command, the mistyped ones included).

These files are the one source of truth; ``docs/schema/`` points here. :func:`load` and
:func:`path` need only the standard library; :func:`validate` needs the ``jsonschema``
package (``pip install jsonschema``), which mlmon itself does not depend on.

>>> sorted(COMMANDS)  # doctest: +NORMALIZE_WHITESPACE
['check', 'contract', 'drift', 'ingest', 'init', 'metrics', 'promote', 'registry', 'retrain',
 'rollback']
>>> load("rollback")["$defs"]["document"]["properties"]["command"]
{'const': 'rollback'}
>>> schema_for({"command": "nope", "status": "error"}), schema_for({"command": "drift"})
('error', 'drift')
"""

from __future__ import annotations

import json
import math
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

COMMANDS = (
    "ingest",
    "metrics",
    "drift",
    "retrain",
    "promote",
    "rollback",
    "registry",
    "init",
    "check",
    "contract",
)
"""The commands with a ``--json`` result; ``registry`` covers list, show, history and path,
``contract`` covers ``contract infer``."""

ERROR = "error"
"""The name of the error envelope's schema."""


class SchemaError(ValueError):
    """A document does not follow its schema (the first problem found, with where it is)."""


def path(name: str) -> Traversable:
    """The schema file of command ``name`` (or ``"error"``), inside the installed package."""
    if name not in (*COMMANDS, ERROR):
        raise KeyError(f"no JSON schema named {name!r}; known: {', '.join((*COMMANDS, ERROR))}")
    return files(__name__).joinpath(f"{name}.schema.json")


def load(name: str) -> dict[str, Any]:
    """The schema of command ``name`` (or ``"error"``), parsed."""
    schema: dict[str, Any] = json.loads(path(name).read_text(encoding="utf-8"))
    return schema


def schema_for(document: dict[str, Any]) -> str:
    """The name of the schema a ``--json`` document answers to: its command's, or ``error``
    for the error envelope of a command without one (``mlmon nope --json``)."""
    command = document.get("command")
    if command in COMMANDS:
        return str(command)
    if document.get("status") == "error":
        return ERROR
    raise SchemaError(f"command {command!r} has no --json result schema")


def validate(document: dict[str, Any]) -> str:
    """Check a parsed ``--json`` document against its schema; return the schema's name.

    Raises :class:`SchemaError` naming the first problem. A float that is NaN or infinite is
    refused too: JSON has no such numbers (the contract writes null), but Python's ``json``
    module reads them, and a JSON Schema cannot tell NaN from a number."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    name = schema_for(document)
    nonfinite = _nonfinite(document, "$")
    if nonfinite is not None:
        raise SchemaError(f"{nonfinite}: not a finite number (undefined values are null)")
    validator = Draft202012Validator(load(name), format_checker=Draft202012Validator.FORMAT_CHECKER)
    error = best_match(validator.iter_errors(document))
    if error is not None:
        where = error.json_path
        raise SchemaError(f"{name}.schema.json: {where}: {error.message}")
    return name


def _nonfinite(value: Any, where: str) -> str | None:
    """The JSON path of the first NaN or infinite float in ``value``, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return where
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _nonfinite(item, f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}")
        if found is not None:
            return found
    return None


__all__ = ["COMMANDS", "ERROR", "SchemaError", "load", "path", "schema_for", "validate"]
