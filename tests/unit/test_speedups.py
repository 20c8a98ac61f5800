"""Speed code behind a pure reference (``mlmon._speedups``): each fast path gives the same
results as its reference on random and edge-case inputs (empty, one value, all NaN, ±inf,
constant, huge), bit for bit; the reference is chosen where the fast path is missing, and
``--debug`` says so once; importing mlmon changes nothing in the host process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlmon import _speedups
from mlmon._speedups import accumulate as speedups_accumulate
from mlmon.concept.detectors import adwin
from mlmon.concept.detectors.adwin import ADWIN
from mlmon.concept.detectors.base import Detector
from mlmon.datadrift import accumulator
from mlmon.datadrift.accumulator import NumericAccumulator

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_logs" / "predictions"
RNG_SEED = 20261204

compiled_accumulate = pytest.importorskip("mlmon._speedups._accumulate").accumulate
reference_accumulate = speedups_accumulate.reference


def edge_columns() -> dict[str, np.ndarray]:
    """The edge cases every fast path is checked on, plus seeded random columns."""
    rng = np.random.default_rng(RNG_SEED)
    mixed = rng.normal(0.0, 1.0, 5000)
    mixed[rng.integers(0, 5000, 300)] = np.nan
    mixed[rng.integers(0, 5000, 20)] = np.inf
    mixed[rng.integers(0, 5000, 20)] = -np.inf
    return {
        "empty": np.zeros(0),
        "one value": np.array([2.5]),
        "all nan": np.full(100, np.nan),
        "all inf": np.array([np.inf, -np.inf, np.inf]),
        "constant": np.full(1000, 7.25),
        "signed zeros": np.array([0.0, -0.0, 0.0, -0.0, 1.0, -1.0]),
        "huge": np.array([1e308, 1.7e308, -1e308, 1e308, 5.0]),  # sums overflow to ±inf
        "tiny spread": 1e6 + rng.normal(0.0, 1e-3, 2000),
        "on the edges": rng.integers(-3, 4, 3000).astype(np.float64),
        "random": rng.normal(10.0, 3.0, 20_000),
        "random with nan and inf": mixed,
        "heavy tail": rng.standard_cauchy(5000),
    }


EDGES: dict[str, list[float] | None] = {
    "no bins": None,
    "one edge": [0.0],
    "integers": [-2.0, -1.0, 0.0, 1.0, 2.0],
    "quantiles": list(
        np.quantile(np.random.default_rng(1).normal(10.0, 3.0, 1000), np.linspace(0, 1, 21))
    ),
    "skewed": [0.0, 1e-9, 1e-6, 1e-3, 1.0, 1e3, 1e6],
    "extreme": [-1e308, 0.0, 1e308],
}


def bits(array: np.ndarray) -> list[int]:
    """The array's bytes as integers: equal iff equal to the last bit (nan and -0.0 too)."""
    result: list[int] = np.ascontiguousarray(array).view(np.int64).tolist()
    return result


def run(
    function: Callable[..., None],
    values: np.ndarray,
    edges: list[float] | None,
    chunk: int,
    capacity: int,
    step: int,
) -> NumericAccumulator:
    """An accumulator fed ``values`` in chunks through ``function``."""
    acc = NumericAccumulator(edges=edges, sample_rows=capacity, step=step)
    for start in range(0, max(len(values), 1), chunk):
        part = np.ascontiguousarray(values[start : start + chunk], dtype=np.float64)
        function(
            part,
            acc.edges,
            acc.table,
            acc.low,
            acc.scale,
            acc.counts,
            acc.sums,
            acc.tallies,
            acc.sample,
            acc.step,
        )
    return acc


def state(acc: NumericAccumulator) -> tuple[list[int], ...]:
    """Every buffer of the state, bit for bit (the sample up to what was taken)."""
    taken = int(acc.tallies[3])
    return bits(acc.sums), acc.tallies.tolist(), acc.counts.tolist(), bits(acc.sample[:taken])


@pytest.mark.parametrize("column", sorted(edge_columns()))
@pytest.mark.parametrize("edges", sorted(EDGES))
def test_accumulator_reference_is_bit_identical_to_the_c_loop(column: str, edges: str) -> None:
    values = edge_columns()[column]
    for chunk, capacity, step in ((1 << 20, 1000, 1), (7, 50, 3), (1, 3, 1000)):
        fast = run(compiled_accumulate, values, EDGES[edges], chunk, capacity, step)
        pure = run(reference_accumulate, values, EDGES[edges], chunk, capacity, step)
        assert state(pure) == state(fast), (chunk, capacity, step)


def test_accumulator_reference_agrees_on_random_columns_and_chunkings() -> None:
    rng = np.random.default_rng(RNG_SEED + 1)
    for _ in range(40):
        n = int(rng.integers(0, 3000))
        values = rng.normal(rng.normal(0, 100), rng.uniform(0.01, 50), n)
        values[rng.random(n) < rng.uniform(0, 0.3)] = np.nan
        values[rng.random(n) < 0.01] = rng.choice([np.inf, -np.inf])
        edges = sorted(set(np.round(rng.normal(0, 100, int(rng.integers(1, 40))), 1).tolist()))
        chunk, capacity, step = (
            int(rng.integers(1, 500)),
            int(rng.integers(0, 200)),
            int(rng.integers(1, 9)),
        )
        fast = run(compiled_accumulate, values, edges, chunk, capacity, step)
        pure = run(reference_accumulate, values, edges, chunk, capacity, step)
        assert state(pure) == state(fast)


@pytest.mark.parametrize(
    "function", [compiled_accumulate, reference_accumulate], ids=["c", "numpy"]
)
def test_both_accumulators_reject_wrong_types_and_inconsistent_state(
    function: Callable[..., None],
) -> None:
    ok = NumericAccumulator([1.0], 2, 1)
    args: list[Any] = [
        np.zeros(3),
        ok.edges,
        ok.table,
        0.0,
        0.0,
        ok.counts,
        ok.sums,
        ok.tallies,
        ok.sample,
    ]
    with pytest.raises(TypeError, match="values must be a contiguous float64 array"):
        function(np.zeros(3, dtype=np.float32), *args[1:], 1)
    with pytest.raises(TypeError, match="counts must be a contiguous int64 array"):
        function(*args[:5], np.zeros(2), *args[6:], 1)
    with pytest.raises(ValueError, match="inconsistent state buffers"):
        function(*args[:5], np.zeros(5, dtype=np.int64), *args[6:], 1)
    with pytest.raises(ValueError, match="inconsistent state buffers"):
        function(*args, 0)
    read_only = ok.counts.copy()
    read_only.flags.writeable = False
    with pytest.raises((BufferError, ValueError, TypeError)):
        function(*args[:5], read_only, *args[6:], 1)
    function(*args, 1)
    assert ok.counts.tolist() == [3, 0]


def test_profile_through_the_reference_equals_the_profile_through_the_c_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = edge_columns()["random with nan and inf"]
    edges = EDGES["quantiles"]

    def profile() -> dict[str, Any]:
        acc = NumericAccumulator(edges=edges, sample_rows=100, step=7)
        for start in range(0, len(values), 999):
            acc.add(values[start : start + 999])
        return acc.profile(rows=len(values), sample_complete=False).__dict__

    assert speedups_accumulate.accumulate is compiled_accumulate  # built here: the C loop
    fast = profile()
    monkeypatch.setattr(accumulator, "accumulate", reference_accumulate)
    assert json.dumps(profile()) == json.dumps(fast)


def test_without_the_c_extension_the_reference_is_chosen_and_named() -> None:
    code = (
        "import sys\n"
        "sys.modules['mlmon._speedups._accumulate'] = None  # as if never built\n"
        "from mlmon._speedups import accumulate, unavailable\n"
        "from mlmon.datadrift import accumulator\n"
        "print(accumulate.COMPILED, accumulator.accumulate is accumulate.reference)\n"
        "print(unavailable()[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, note = out.stdout.splitlines()
    assert first == "False True"
    assert "compiled drift accumulator" in note and "pure numpy reference" in note


# -- ADWIN: the numba kernel against the pure-Python update ---------------------------------


def adwin_streams() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(RNG_SEED + 2)
    jumps = np.concatenate(
        [rng.normal(0, 1, 3000), rng.normal(2, 1, 3000), rng.normal(-1, 3, 3000)]
    )
    return {
        "empty": np.zeros(0),
        "one value": np.array([1.0]),
        "all nan": np.full(500, np.nan),
        "nan in a stream": np.where(np.arange(2000) == 1500, np.nan, jumps[:2000]),
        "inf": np.array([0.0] * 100 + [np.inf] + [1.0] * 100 + [-np.inf] + [0.0] * 100),
        "constant": np.full(3000, 0.3),
        "huge": rng.normal(0, 1e300, 2000),
        "bernoulli step": (rng.random(8000) < np.where(np.arange(8000) < 4000, 0.1, 0.4)).astype(
            float
        ),
        "gaussian jumps": jumps,
    }


def compare_adwin(values: np.ndarray, **params: Any) -> None:
    pure = ADWIN(**params)
    fast = ADWIN(**params)
    expected, _ = Detector.feed(pure, values)  # the reference: update, one value at a time
    found = adwin_kernel_feed()(fast, np.ascontiguousarray(values, dtype=np.float64))
    assert found == expected
    assert json.dumps(fast.state(), sort_keys=True) == json.dumps(pure.state(), sort_keys=True)
    assert fast.drift_detected == pure.drift_detected


def adwin_kernel_feed() -> Callable[[Any, np.ndarray], list[int]]:
    kernel = _speedups.adwin_feed()
    if kernel is None:
        pytest.skip("numba does not import here: only the reference runs")
    return kernel


@pytest.mark.parametrize("stream", sorted(adwin_streams()))
def test_adwin_kernel_is_bit_identical_to_the_pure_update(stream: str) -> None:
    compare_adwin(adwin_streams()[stream])
    compare_adwin(
        adwin_streams()[stream],
        delta=0.05,
        clock=1,
        max_buckets=3,
        min_window_length=3,
        grace_period=5,
    )


def test_adwin_kernel_agrees_on_random_streams_and_parameters() -> None:
    rng = np.random.default_rng(RNG_SEED + 3)
    for _ in range(12):
        n = int(rng.integers(0, 4000))
        cut = int(rng.integers(0, n + 1))
        values = np.concatenate([rng.normal(0, 1, cut), rng.normal(rng.normal(0, 2), 1, n - cut)])
        compare_adwin(
            values,
            delta=float(rng.uniform(1e-4, 0.2)),
            clock=int(rng.integers(1, 64)),
            max_buckets=int(rng.integers(2, 8)),
            min_window_length=int(rng.integers(1, 20)),
            grace_period=int(rng.integers(1, 100)),
        )


def test_adwin_runs_the_reference_where_numba_does_not_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = adwin_streams()["gaussian jumps"]
    monkeypatch.setattr(adwin, "COMPILED_FROM", 0)
    fast = ADWIN()
    fast_drifts = fast.feed(values)
    monkeypatch.setattr(_speedups, "adwin_feed", lambda: None)
    pure = ADWIN()
    assert pure.feed(values) == fast_drifts
    assert pure.state() == fast.state()


# -- the host process ------------------------------------------------------------------------

HOST_CHECK = """
import json, os, sys, threading
def snapshot():
    return dict(os.environ), len(os.listdir("/proc/self/task")), threading.active_count()
{preload}
before = snapshot()
{imports}
after = snapshot()
print(json.dumps([before[0] == after[0], before[1], after[1], before[2], after[2],
                  sorted(set(after[0]) ^ set(before[0]))]))
"""


def host_change(preload: str, imports: str) -> list[Any]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    code = HOST_CHECK.format(preload=preload, imports=imports)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    result: list[Any] = json.loads(out.stdout)
    return result


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads through /proc")
def test_importing_mlmon_changes_nothing_in_the_host_process() -> None:
    assert host_change("", "import mlmon") == [True, 1, 1, 1, 1, []]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads through /proc")
def test_importing_the_library_starts_no_thread_and_sets_no_variable() -> None:
    """The third-party libraries mlmon imports start their own pools (OpenBLAS) when they are
    imported: loaded first, so that only what mlmon itself does is counted."""
    preload = "import numpy, polars, pyarrow, scipy.stats, sklearn.ensemble, numba"
    imports = (
        "import mlmon, mlmon.cli, mlmon.datadrift.run, mlmon.concept.run\n"
        "import mlmon.datadrift.accumulator\n"
        "import mlmon._speedups.adwin_kernel, mlmon.performance, mlmon.store.ingest"
    )
    same_env, threads_before, threads_after, python_before, python_after, changed = host_change(
        preload, imports
    )
    assert (same_env, changed) == (True, [])
    assert (threads_after, python_after) == (threads_before, python_before)


def cli(arguments: list[str], block_c: bool) -> subprocess.CompletedProcess[str]:
    """``mlmon`` (its console-script entry point) in a fresh process; ``block_c``: as if the C
    accumulator had not been built."""
    code = (
        "import sys\n"
        + ("sys.modules['mlmon._speedups._accumulate'] = None\n" if block_c else "")
        + "from mlmon.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    return subprocess.run([sys.executable, "-c", code, *arguments], capture_output=True, text=True)


def test_the_cli_entry_point_sets_one_openmp_thread_unless_the_user_set_one() -> None:
    code = (
        "import os, sys\n"
        "import mlmon.cli.app\n"
        "def show(argv):\n"
        "    print(os.environ.get('OMP_NUM_THREADS'), flush=True)\n"
        "    os._exit(0)\n"
        "mlmon.cli.app.main = show\n"
        "from mlmon.cli import main\n"
        "main([])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout == "1\n"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env | {"OMP_NUM_THREADS": "3"},
    )
    assert out.stdout == "3\n"


@pytest.mark.slow
def test_debug_says_once_that_the_reference_runs_and_nothing_otherwise() -> None:
    drift = [
        "drift",
        "--reference",
        str(SAMPLES / "predictions-2026-10-01.parquet"),
        "--current",
        str(SAMPLES / "predictions-2026-10-20.parquet"),
        "--exit-zero",
    ]
    note = "debug: the compiled drift accumulator (mlmon._speedups._accumulate) was not built"
    missing = cli(["--debug", *drift], block_c=True)
    assert missing.returncode == 0, missing.stderr
    assert missing.stderr.count(note) == 1
    assert "status: finding" in missing.stderr + missing.stdout
    quiet = cli(drift, block_c=True)
    assert quiet.returncode == 0 and "debug:" not in quiet.stderr
    built = cli(["--debug", *drift], block_c=False)
    assert built.returncode == 0 and "debug:" not in built.stderr
    assert built.stdout == missing.stdout  # the same verdicts through the reference
