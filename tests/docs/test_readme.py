"""The README is the user's manual: its examples must run and print what they show.

Each ```console block holds ``$ command`` lines followed by their output. The blocks run in
order, from the repository root, against a fresh store (``MLMON_STORE`` points the example
config at a temporary directory). Lines that differ on every run (times, run ids, digests,
the store's location) are normalised on both sides; output lines are compared as a multiset
because a terminal interleaves stdout and stderr. Then each ```python block followed by
"prints" and a ```text block runs on the store and registry the tour built, and must print
exactly that text.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

_BLOCK = re.compile(r"```console\n(.*?)```", re.S)
_PYTHON = re.compile(r"```python\n(.*?)```\n\nprints\n\n```text\n(.*?)```", re.S)
_VOLATILE = [
    (re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{12}"), "<RUN>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"), "<TIME>"),
    (re.compile(r"[0-9a-f]{64}"), "<SHA256>"),
]


def _examples(readme: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every ``$`` line of every console block."""
    examples: list[tuple[str, list[str]]] = []
    for block in _BLOCK.findall(readme):
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:], []))
            elif examples:
                examples[-1][1].append(line)
    return examples


def _normalise(lines: list[str], store: str, registry: str) -> Counter[str]:
    out: Counter[str] = Counter()
    for line in lines:
        line = line.replace(store, ".demo/store").replace(registry, ".demo/registry").rstrip()
        for pattern, placeholder in _VOLATILE:
            line = pattern.sub(placeholder, line)
        if line:
            out[line] += 1
    return out


def test_readme_examples_run_and_print_what_they_show(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    examples = _examples(readme)
    assert len(examples) >= 5, "the README should show the tour with real output"
    env = {
        **os.environ,
        "MLMON_STORE": str(tmp_path / "store"),
        "MLMON_REGISTRY": str(tmp_path / "registry"),
        "MLMON_TEXTFILE_DIR": str(tmp_path / "textfile"),
        "MLMON_ALERT_LOG": str(tmp_path / "alerts.jsonl"),
        "NO_COLOR": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    env.pop("MLMON_CONFIG", None)
    (tmp_path / "textfile").mkdir()
    store = str(tmp_path / "store")
    registry = str(tmp_path / "registry")
    for command, expected in examples:
        if command.startswith("export "):
            name, _, value = command.removeprefix("export ").partition("=")
            env[name] = shlex.split(value)[0]
            continue
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        got = _normalise((proc.stdout + proc.stderr).splitlines(), store, registry)
        want = _normalise(expected, store, registry)
        assert got == want, (
            f"README example `{command}` printed something else (exit {proc.returncode}):\n"
            f"--- README\n" + "\n".join(expected) + "\n--- actual\n" + proc.stdout + proc.stderr
        )
    # the Python API examples, on the store and registry the tour built
    programs = _PYTHON.findall(readme)
    assert programs, "the README should show the Python API with its output"
    for program, printed in programs:
        proc = subprocess.run(
            [sys.executable, "-c", program],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert (proc.returncode, proc.stdout) == (0, printed), (
            f"README Python example printed something else (exit {proc.returncode}):\n"
            f"--- README\n{printed}--- actual\n{proc.stdout}{proc.stderr}"
        )
