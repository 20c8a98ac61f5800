"""ADWIN: the same change points, window width, mean and variance as River 0.26.1's
``drift.ADWIN`` (the Rust ``AdaptiveWindowing`` of that release) on seeded streams, and the
invariants every detector keeps (constant stream, reset, JSON state round trip, parameter
ranges, warm-up). The compiled loop of long streams (``mlmon._speedups.adwin_kernel``) gives
the same detections and leaves the same state as ``update``."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from mlmon._speedups import adwin_kernel, jit
from mlmon.concept.detectors import adwin
from mlmon.concept.detectors.adwin import ADWIN

RIVER_VERSION = "0.26.1"

NON_DEFAULT = {
    "delta": 0.05,
    "clock": 1,
    "grace_period": 5,
    "min_window_length": 3,
    "max_buckets": 3,
}


def gaussian_jumps(seed: int) -> list[float]:
    """Mean 0, then 1.5 from index 1000, then 0.5 from index 3000; 5000 values."""
    rng = np.random.default_rng(seed)
    mean = np.select([np.arange(5000) < 1000, np.arange(5000) < 3000], [0.0, 1.5], 0.5)
    return [float(v) for v in rng.normal(mean, 1.0)]


def bernoulli_errors(seed: int) -> list[float]:
    """A 0/1 error stream whose rate goes from 0.1 to 0.3 at index 2000; 6000 values."""
    rng = np.random.default_rng(seed)
    rate = np.where(np.arange(6000) < 2000, 0.1, 0.3)
    return [float(v) for v in rng.random(6000) < rate]


def slow_drift(seed: int) -> list[float]:
    """A mean rising linearly from 0 to 2 over 8000 values (noise sd 1)."""
    rng = np.random.default_rng(seed)
    return [float(v) for v in rng.normal(np.linspace(0.0, 2.0, 8000), 1.0)]


def large_offset(seed: int) -> list[float]:
    """Values near 1e9 (noise sd 1, +2 from index 2500): sums where rounding shows."""
    rng = np.random.default_rng(seed)
    jump = (np.arange(4000) >= 2500) * 2.0
    return [float(v) for v in 1e9 + rng.normal(0.0, 1.0, 4000) + jump]


def heavy_tails(seed: int) -> list[float]:
    """Cauchy noise whose scale triples at index 3000."""
    rng = np.random.default_rng(seed)
    return [float(v) for v in rng.standard_cauchy(6000) * np.where(np.arange(6000) < 3000, 1, 3)]


STREAMS: dict[str, Callable[[], list[float]]] = {
    "gaussian_jumps": lambda: gaussian_jumps(11),
    "bernoulli_errors": lambda: bernoulli_errors(12),
    "slow_drift": lambda: slow_drift(13),
    "large_offset": lambda: large_offset(14),
    "heavy_tails": lambda: heavy_tails(15),
}

PARAMS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "non_default": NON_DEFAULT,
    "clock_7_buckets_2": {"clock": 7, "max_buckets": 2, "min_window_length": 1, "delta": 0.3},
    "grace_100": {"grace_period": 100, "min_window_length": 20, "max_buckets": 9, "delta": 1e-6},
}


def river_drift() -> Any:
    river = pytest.importorskip("river")
    assert river.__version__ == RIVER_VERSION, "the golden values are River 0.26.1's"
    from river import drift

    return drift


def run_both(stream: list[float], params: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Detection indices of ours and River's; width, mean, variance and n_detections compared
    every 250 values and at the end."""
    ours, theirs = ADWIN(**params), river_drift().ADWIN(**params)
    ours_hits, their_hits = [], []
    for i, x in enumerate(stream):
        ours.update(x)
        theirs.update(x)
        if ours.drift_detected:
            ours_hits.append(i)
        if theirs.drift_detected:
            their_hits.append(i)
        if i % 250 == 0 or i == len(stream) - 1:
            assert ours.width == theirs.width, i
            assert ours.estimation == pytest.approx(theirs.estimation, rel=1e-9, abs=1e-12), i
            assert ours.variance == pytest.approx(theirs.variance, rel=1e-9, abs=1e-12), i
            assert ours.total == pytest.approx(theirs.total, rel=1e-9, abs=1e-12), i
            assert ours.n_detections == theirs.n_detections, i
    return ours_hits, their_hits


# -- golden agreement with River 0.26.1 ----------------------------------------------------


def test_gaussian_jumps_detected_where_river_does() -> None:
    """(a) Gaussian stream whose mean jumps at 1000 and at 3000."""
    ours, theirs = run_both(gaussian_jumps(11), {})
    assert ours == theirs
    assert any(1000 <= i < 1200 for i in ours) and any(3000 <= i < 3300 for i in ours)


def test_bernoulli_error_rate_increase_detected_where_river_does() -> None:
    """(b) 0/1 errors, rate 0.1 → 0.3 at 2000."""
    ours, theirs = run_both(bernoulli_errors(12), {})
    assert ours == theirs
    assert any(2000 <= i < 2600 for i in ours)


def test_slow_drift_detected_where_river_does() -> None:
    """(c) A mean rising linearly."""
    ours, theirs = run_both(slow_drift(13), {})
    assert ours == theirs
    assert len(ours) >= 2


@pytest.mark.parametrize("stream", ["gaussian_jumps", "bernoulli_errors", "slow_drift"])
def test_non_default_parameters_agree_with_river(stream: str) -> None:
    """(d) delta=0.05, clock=1, grace_period=5, min_window_length=3, max_buckets=3."""
    ours, theirs = run_both(STREAMS[stream](), NON_DEFAULT)
    assert ours == theirs
    assert ours


@pytest.mark.parametrize("stream", sorted(STREAMS))
@pytest.mark.parametrize("params", sorted(PARAMS))
def test_every_stream_and_parameter_set_agrees_with_river(stream: str, params: str) -> None:
    ours, theirs = run_both(STREAMS[stream](), PARAMS[params])
    assert ours == theirs


def earliest_step_detection(params: dict[str, Any], length: int, step: float) -> int:
    """The earliest update on which a step of ``step`` at any place of a ``length``-value
    stream is detected, checking on every update that River and mlmon agree."""
    drift = river_drift()
    first_hits = set()
    for step_at in range(1, length):
        stream = [0.0] * step_at + [step] * (length - step_at)
        ours, theirs = ADWIN(**params), drift.ADWIN(**params)
        for i, x in enumerate(stream):
            ours.update(x)
            theirs.update(x)
            assert ours.drift_detected == theirs.drift_detected
            if ours.drift_detected:
                first_hits.add(i + 1)
                break
    return min(first_hits)


def test_warm_up_is_the_first_update_river_can_detect_on() -> None:
    """A step at any place of a window of ``warm_up`` values: some step is detected on the
    ``warm_up``-th value, in River and here, and none earlier."""
    cases: list[dict[str, Any]] = [
        {},
        NON_DEFAULT,
        {"clock": 1},
        {"min_window_length": 40, "clock": 5},
    ]
    for params in cases:
        warm_up = ADWIN(**params).warm_up
        assert earliest_step_detection(params, warm_up, 1e6) == warm_up, params
    assert ADWIN().warm_up == 32
    assert ADWIN(grace_period=1000).warm_up == 1024


def test_warm_up_within_a_span_is_the_first_update_river_can_detect_on_a_0_1_stream() -> None:
    """An error indicator steps by 1 at most, so ADWIN needs more values than for an
    unbounded step: some 0 → 1 step is detected on the ``warm_up_within(1)``-th value, in
    River and here, and none earlier."""
    for params in ({}, NON_DEFAULT, {"clock": 1}, {"clock": 7, "delta": 0.1}):
        warm_up = ADWIN(**params).warm_up_within(1.0)
        assert warm_up > ADWIN(**params).warm_up
        assert earliest_step_detection(params, warm_up, 1.0) == warm_up, params
    assert ADWIN().warm_up_within(1e9) == ADWIN().warm_up  # a wide span: the unbounded case


# -- invariants ------------------------------------------------------------------------------


def test_constant_stream_never_drifts() -> None:
    det = ADWIN()
    assert not any(det.update(0.3).drift_detected for _ in range(10_000))
    assert det.width == 10_000
    assert det.estimation == pytest.approx(0.3)
    assert det.n_detections == 0


def test_new_detector_is_empty() -> None:
    det = ADWIN()
    assert (det.width, det.estimation, det.variance, det.n_detections) == (0, 0.0, 0.0, 0)
    assert not det.drift_detected


@pytest.mark.parametrize("params", [{}, NON_DEFAULT])
def test_reset_gives_a_new_detectors_state(params: dict[str, Any]) -> None:
    det = ADWIN(**params)
    for x in gaussian_jumps(21)[:2500]:
        det.update(x)
    assert det.width > 0
    det.reset()
    assert det.state() == ADWIN(**params).state()
    assert det.width == 0 and det.estimation == 0.0


def test_detection_resets_on_the_next_update() -> None:
    det = ADWIN()
    stream = gaussian_jumps(11)
    hit = next(i for i, x in enumerate(stream) if det.update(x).drift_detected)
    assert det.n_detections == 1
    det.update(stream[hit + 1])
    assert not det.drift_detected
    assert (det.width, det.n_detections) == (1, 0)


@pytest.mark.parametrize("params", [{}, NON_DEFAULT])
@pytest.mark.parametrize("cut", [1, 333, 1000, 2047, 3117])
def test_json_round_trip_continues_identically(params: dict[str, Any], cut: int) -> None:
    stream = gaussian_jumps(31)
    whole = ADWIN(**params)
    whole_hits = [i for i, x in enumerate(stream) if whole.update(x).drift_detected]

    first = ADWIN(**params)
    hits = [i for i, x in enumerate(stream[:cut]) if first.update(x).drift_detected]
    restored = ADWIN.from_state(json.loads(json.dumps(first.state())))
    assert restored.state() == first.state()
    hits += [cut + i for i, x in enumerate(stream[cut:]) if restored.update(x).drift_detected]

    assert hits == whole_hits
    assert restored.state() == whole.state()
    assert (restored.width, restored.variance) == (whole.width, whole.variance)


def test_json_round_trip_just_after_a_detection() -> None:
    stream = gaussian_jumps(11)
    whole = ADWIN()
    whole_hits = [i for i, x in enumerate(stream) if whole.update(x).drift_detected]
    first = ADWIN()
    cut = whole_hits[0] + 1  # the state still says drift_detected
    for x in stream[:cut]:
        first.update(x)
    assert first.drift_detected
    restored = ADWIN.from_state(json.loads(json.dumps(first.state())))
    hits = [cut + i for i, x in enumerate(stream[cut:]) if restored.update(x).drift_detected]
    assert [whole_hits[0], *hits] == whole_hits
    assert restored.state() == whole.state()


def test_state_is_plain_json_even_with_infinite_values() -> None:
    det = ADWIN(clock=1)
    for x in [1.0, 2.0, float("inf"), 3.0] * 10:
        det.update(x)
    text = json.dumps(det.state(), allow_nan=False)
    assert ADWIN.from_state(json.loads(text)).state() == det.state()


def test_update_counter_wraps_like_rivers_32_bit_counter() -> None:
    det = ADWIN(clock=3)
    state = det.state()
    state["state"]["tick"] = 2**31 - 1
    det = ADWIN.from_state(state)
    det.update(1.0)
    assert det.tick == -(2**31)


# -- parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"delta": 2}, "delta must be a number in (0, 1)"),
        ({"delta": 0}, "delta must be a number in (0, 1)"),
        ({"delta": 1.0}, "delta must be a number in (0, 1)"),
        ({"clock": 0}, "clock must be an integer in [1, 2147483647]"),
        ({"clock": 2**31}, "clock must be an integer in [1, 2147483647]"),
        ({"clock": 2.5}, "clock must be an integer in [1, 2147483647]"),
        ({"max_buckets": 1}, "max_buckets must be an integer >= 2"),
        ({"min_window_length": 0}, "min_window_length must be an integer in [1, 2147483647]"),
        ({"grace_period": 0}, "grace_period must be an integer in [1, 2147483647]"),
        ({"window": 10}, "unknown parameter 'window'"),
    ],
)
def test_out_of_range_parameters_name_the_valid_range(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ADWIN(**params)


def test_parameter_bounds_are_accepted() -> None:
    ADWIN(delta=1e-12, clock=1, max_buckets=2, min_window_length=1, grace_period=1)
    ADWIN(delta=0.999, clock=2**31 - 1, max_buckets=100)
    assert ADWIN(clock=32.0).params["clock"] == 32


# -- the compiled loop of long streams (feed) -----------------------------------------------


def spy_on_kernel(monkeypatch: pytest.MonkeyPatch, compiled_from: int) -> list[int]:
    """Streams of ``compiled_from`` values or more run the compiled loop; the list records the
    length of each stream it ran."""
    calls: list[int] = []
    kernel_feed = adwin_kernel.feed

    def spy(detector: ADWIN, values: np.ndarray) -> list[int]:
        calls.append(len(values))
        return kernel_feed(detector, values)

    monkeypatch.setattr(adwin, "COMPILED_FROM", compiled_from)
    monkeypatch.setattr(adwin_kernel, "feed", spy)
    return calls


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every ``feed`` runs the compiled loop; the list records the length of each stream it ran."""
    return spy_on_kernel(monkeypatch, 0)


def updates(detector: ADWIN, values: list[float]) -> list[int]:
    """Where ``update`` (the pure-Python path) detects."""
    return [i for i, x in enumerate(values) if detector.update(x).drift_detected]


def observed(detector: ADWIN) -> tuple[Any, ...]:
    """Everything a caller can see of the detector, compared exactly (state() encodes nan)."""
    return (
        detector.state(),
        detector.width,
        detector.total,
        detector.estimation,
        detector.variance,
        detector.n_detections,
    )


@pytest.mark.parametrize("stream", sorted(STREAMS))
@pytest.mark.parametrize("params", sorted(PARAMS))
def test_compiled_feed_detects_where_river_and_update_do_and_leaves_the_same_state(
    stream: str, params: str, compiled: list[int]
) -> None:
    values = STREAMS[stream]()
    theirs = river_drift().ADWIN(**PARAMS[params])
    river_hits = []
    for i, x in enumerate(values):
        theirs.update(x)
        if theirs.drift_detected:
            river_hits.append(i)
    fed, stepped = ADWIN(**PARAMS[params]), ADWIN(**PARAMS[params])

    drifts, warnings = fed.feed(np.array(values))

    assert compiled == [len(values)]
    assert drifts == updates(stepped, values) == river_hits
    assert warnings == [None] * len(drifts)
    assert observed(fed) == observed(stepped)
    assert fed.width == theirs.width and fed.n_detections == theirs.n_detections


@pytest.mark.parametrize("params", [{}, NON_DEFAULT])
def test_batches_on_either_path_with_json_round_trips_between_equal_one_stream(
    params: dict[str, Any], compiled: list[int]
) -> None:
    """Cut before, on and just after detections; odd batches go through the compiled loop,
    even ones through ``update``, and the detector is saved and restored between batches."""
    values = slow_drift(13)
    whole = ADWIN(**params)
    expected = updates(whole, values)
    assert len(expected) >= 2
    cuts = sorted({0, 1, 777, expected[0], expected[0] + 1, expected[1] + 1, 5000, len(values)})
    detector = ADWIN(**params)
    hits: list[int] = []
    for k, (start, stop) in enumerate(itertools.pairwise(cuts)):
        batch = values[start:stop]
        found = detector.feed(np.array(batch))[0] if k % 2 else updates(detector, batch)
        hits += [start + i for i in found]
        detector = ADWIN.from_state(json.loads(json.dumps(detector.state())))
    assert compiled == [b - a for a, b in zip(cuts[1::2], cuts[2::2], strict=False)]
    assert hits == expected
    assert observed(detector) == observed(whole)


def test_compiled_feed_right_after_a_detection_resets_first(compiled: list[int]) -> None:
    stream = gaussian_jumps(11)
    det = ADWIN()
    hit = updates(det, stream).pop(0)
    det = ADWIN()
    updates(det, stream[: hit + 1])
    assert det.drift_detected and det.n_detections == 1

    assert det.feed(np.array(stream[hit + 1 : hit + 2])) == ([], [])

    assert not det.drift_detected
    assert (det.width, det.n_detections, det.tick) == (1, 0, 1)
    assert det.state()["state"]["bucket_totals"] == [[stream[hit + 1]]]


def test_compiled_feed_ending_on_a_detection_leaves_it_for_the_next_update(
    compiled: list[int],
) -> None:
    stream = gaussian_jumps(11)
    hit = updates(ADWIN(), stream)[0]
    det = ADWIN()
    assert det.feed(np.array(stream[: hit + 1]))[0] == [hit]
    assert det.drift_detected and det.n_detections == 1
    det.update(stream[hit + 1])
    assert not det.drift_detected and det.width == 1


def test_compiled_feed_reports_more_detections_than_its_buffer_holds(
    compiled: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adwin_kernel, "FOUND", 2)
    values, params = heavy_tails(15), PARAMS["clock_7_buckets_2"]
    stepped = ADWIN(**params)
    expected = updates(stepped, values)
    assert len(expected) > 10
    fed = ADWIN(**params)
    assert fed.feed(np.array(values))[0] == expected
    assert observed(fed) == observed(stepped)


def test_compiled_feed_follows_the_wrapping_update_counter(compiled: list[int]) -> None:
    """clock=7 does not divide 2**32: after the wrap the tested updates shift, and so do the
    detections (checked against a detector that does not wrap)."""
    state = ADWIN(clock=7).state()
    state["state"]["tick"] = 2**31 - 100
    values = gaussian_jumps(11)
    fed, stepped = ADWIN.from_state(state), ADWIN.from_state(state)
    drifts = fed.feed(np.array(values))[0]
    assert drifts == updates(stepped, values)
    assert observed(fed) == observed(stepped)
    assert drifts != updates(ADWIN(clock=7), values)


def test_feed_runs_the_compiled_loop_from_the_threshold_on(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy_on_kernel(monkeypatch, 1000)
    stream = [0.0, 1.0] * 250 + [2.0, 3.0] * 250  # the mean jumps at 500
    expected = updates(ADWIN(), stream)
    assert expected and expected[0] < 999

    assert ADWIN().feed(np.array(stream[:999]))[0] == expected
    assert calls == []
    assert ADWIN().feed(np.array(stream))[0] == expected
    assert calls == [1000]


def _double(x: float) -> float:
    return 2.0 * x


def test_kernel_compiles_uncached_where_numba_has_no_writable_cache_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """numba raises when no cache directory is writable (neither __pycache__ beside the
    module nor its user-wide one); mlmon._speedups.jit then compiles in each process instead (the
    ADWIN kernel and the drift accumulator are compiled through it)."""
    import numba
    from numba.core import caching

    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])
    with pytest.raises(RuntimeError, match="no locator available"):
        numba.njit(cache=True)(_double)
    assert jit.compiled(nogil=True)(_double)(2.0) == 4.0
    assert adwin_kernel._compile(_double)(2.0) == 4.0


@pytest.mark.slow
def test_importing_mlmon_and_short_adwin_streams_do_not_import_numba() -> None:
    """numba's import takes ~0.3 s: only a stream of COMPILED_FROM values or more pays it."""
    code = (
        "import sys\n"
        "import numpy as np\n"
        "import mlmon.cli, mlmon.concept.run, mlmon.datadrift\n"
        "from mlmon.concept.detectors.adwin import ADWIN, COMPILED_FROM\n"
        "from mlmon.concept.stream import trace\n"
        "trace(ADWIN(), np.zeros(COMPILED_FROM - 1))\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
