"""The Python API's shape (DESIGN.md §8): ``import mlmon`` gives load_config and one function
per command, imported on first use, without changing the host process."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mlmon


def test_every_api_name_is_exported_and_resolves_to_a_callable() -> None:
    assert set(mlmon.__all__) == {"__version__", *mlmon._API}
    for name in mlmon._API:
        assert callable(getattr(mlmon, name)), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'metricz'"):
        _ = mlmon.metricz


def test_importing_mlmon_imports_no_heavy_library_and_changes_no_environment() -> None:
    probe = (
        "import os, sys, threading\n"
        "env = dict(os.environ); threads = threading.active_count()\n"
        "import mlmon\n"
        "heavy = ('polars', 'numpy', 'sklearn', 'scipy', 'typer')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert dict(os.environ) == env and threading.active_count() == threads\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
