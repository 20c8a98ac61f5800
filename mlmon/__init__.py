"""mlmon: monitor and maintain deployed machine-learning models from the command line.

The Python API (DESIGN.md §8) is the command line without the parsing, printing and alerts::

    import mlmon

    config = mlmon.load_config("mlmon.yaml")
    result = mlmon.drift(config, until="latest")
    result.status, result.exit_code, result.to_dict()   # the JSON ``result`` of mlmon drift

One function per command, each :func:`run` of its module in :mod:`mlmon.ops`. They are
imported on first use (this module imports nothing heavy), and importing mlmon changes
nothing in the host process (no environment variables, threads or signal handlers): the
command line's entry point, :func:`mlmon.cli.main`, makes those settings.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mlmon._version import __version__

if TYPE_CHECKING:
    from mlmon.config import load_config
    from mlmon.ops.metrics import run as metrics

_API: dict[str, tuple[str, str]] = {
    "load_config": ("mlmon.config", "load_config"),
    "metrics": ("mlmon.ops.metrics", "run"),
}
"""Each public name and where it lives: ``(module, attribute)``."""

__all__ = ["__version__", "load_config", "metrics"]
"""Literal, for linters and type checkers; tests/unit/test_api.py checks it against _API."""


def __getattr__(name: str) -> Any:
    """The API's functions, imported when first read (PEP 562)."""
    if name not in _API:
        raise AttributeError(f"module 'mlmon' has no attribute {name!r}")
    module, attribute = _API[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
