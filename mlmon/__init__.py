"""mlmon: monitor and maintain deployed machine-learning models from the command line.

The Python API (DESIGN.md §8) is the command line without the parsing, printing and alerts::

    import mlmon

    config = mlmon.load_config("mlmon.yaml")
    result = mlmon.drift(config, until="latest")
    result.status, result.exit_code, result.to_dict()   # the JSON ``result`` of mlmon drift

One function per command, each :func:`run` of its module in :mod:`mlmon.ops` (the
registry's subcommands are ``registry_list``, ``registry_show``, ``registry_history`` and
``registry_path``; ``mlmon contract infer`` is ``contract_infer``). They are imported on
first use: this module imports nothing heavy.
Importing mlmon changes nothing in the host process (no environment variables, threads or
signal handlers): the command line's entry point, :func:`mlmon.cli.main`, makes those
settings.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mlmon._version import __version__

if TYPE_CHECKING:
    from mlmon.config import load_config
    from mlmon.ops.check import run as check
    from mlmon.ops.contract import infer as contract_infer
    from mlmon.ops.drift import run as drift
    from mlmon.ops.ingest import run as ingest
    from mlmon.ops.init import run as init
    from mlmon.ops.metrics import run as metrics
    from mlmon.ops.promote import run as promote
    from mlmon.ops.registry import artifact as registry_path
    from mlmon.ops.registry import history as registry_history
    from mlmon.ops.registry import show as registry_show
    from mlmon.ops.registry import versions as registry_list
    from mlmon.ops.retrain import run as retrain
    from mlmon.ops.rollback import run as rollback

_API: dict[str, tuple[str, str]] = {
    "load_config": ("mlmon.config", "load_config"),
    "check": ("mlmon.ops.check", "run"),
    "contract_infer": ("mlmon.ops.contract", "infer"),
    "drift": ("mlmon.ops.drift", "run"),
    "ingest": ("mlmon.ops.ingest", "run"),
    "init": ("mlmon.ops.init", "run"),
    "metrics": ("mlmon.ops.metrics", "run"),
    "retrain": ("mlmon.ops.retrain", "run"),
    "promote": ("mlmon.ops.promote", "run"),
    "rollback": ("mlmon.ops.rollback", "run"),
    "registry_list": ("mlmon.ops.registry", "versions"),
    "registry_show": ("mlmon.ops.registry", "show"),
    "registry_history": ("mlmon.ops.registry", "history"),
    "registry_path": ("mlmon.ops.registry", "artifact"),
}
"""Each public name and where it lives: ``(module, attribute)``."""

__all__ = [
    "__version__",
    "check",
    "contract_infer",
    "drift",
    "ingest",
    "init",
    "load_config",
    "metrics",
    "promote",
    "registry_history",
    "registry_list",
    "registry_path",
    "registry_show",
    "retrain",
    "rollback",
]
"""Literal, for linters and type checkers; tests/unit/test_api.py checks it against _API."""


def __getattr__(name: str) -> Any:
    """The API's functions, imported when first read (PEP 562)."""
    if name not in _API:
        raise AttributeError(f"module 'mlmon' has no attribute {name!r}")
    module, attribute = _API[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
