"""Change detectors: the same change points as River 0.26.1 on seeded streams, and the
invariants every detector keeps (constant stream, reset, JSON state round trip, parameter
ranges). ADWIN has its own file (tests/unit/test_adwin.py)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from mlmon.concept.detectors.base import Detector
from mlmon.concept.detectors.ddm import DDM
from mlmon.concept.detectors.eddm import EDDM
from mlmon.concept.detectors.hddm_a import HDDMA
from mlmon.concept.detectors.hddm_w import HDDMW
from mlmon.concept.detectors.kswin import KSWIN
from mlmon.concept.detectors.page_hinkley import PageHinkley

RIVER_VERSION = "0.26.1"


def errors(seed: int, rates: list[tuple[int, float]]) -> list[float]:
    """A 0/1 error stream: ``n`` values at each error rate, in turn."""
    rng = np.random.default_rng(seed)
    return [int(v) for n, rate in rates for v in rng.random(n) < rate]


def gaussian(seed: int, parts: list[tuple[int, float, float]]) -> list[float]:
    rng = np.random.default_rng(seed)
    return [float(v) for n, mu, sd in parts for v in rng.normal(mu, sd, n)]


def absolute_errors(seed: int) -> list[float]:
    """|error| of a regression model whose error grows gradually, then jumps."""
    rng = np.random.default_rng(seed)
    scale = np.concatenate([np.full(2000, 1.0), np.linspace(1, 3, 2000), np.full(2000, 6.0)])
    return [float(v) for v in np.abs(rng.normal(0, scale))]


STREAMS: dict[str, Callable[[], list[float]]] = {
    "errors_up": lambda: errors(1, [(2000, 0.1), (2000, 0.3), (2000, 0.6)]),
    "errors_gradual": lambda: errors(2, [(1500, 0.2)] + [(100, 0.2 + 0.02 * i) for i in range(15)]),
    "errors_down": lambda: errors(3, [(2000, 0.4), (3000, 0.1)]),
    "errors_flat": lambda: errors(4, [(5000, 0.25)]),
    "gaussian_jumps": lambda: gaussian(5, [(1000, 0.0, 1.0), (1000, 3.0, 1.0), (1000, -2.0, 2.0)]),
    "absolute_errors": lambda: absolute_errors(6),
}

# (our class, River's class name, parameters, streams it reads)
BINARY = ["errors_up", "errors_gradual", "errors_down", "errors_flat"]
CASES: list[tuple[type[Detector], str, dict[str, Any], list[str]]] = [
    (DDM, "binary.DDM", {}, BINARY),
    (
        DDM,
        "binary.DDM",
        {"warm_start": 100, "warning_threshold": 1.5, "drift_threshold": 2.5},
        BINARY,
    ),
    (EDDM, "binary.EDDM", {}, BINARY),
    (EDDM, "binary.EDDM", {"alpha": 0.8, "beta": 0.7, "warm_start": 50}, BINARY),
    (HDDMA, "binary.HDDMA", {}, BINARY),
    (
        HDDMA,
        "binary.HDDMA",
        {"two_sided_test": True, "drift_confidence": 0.002, "warning_confidence": 0.01},
        BINARY,
    ),
    (HDDMW, "binary.HDDMW", {}, BINARY),
    (HDDMW, "binary.HDDMW", {"two_sided_test": True, "lambda_val": 0.1}, BINARY),
    (PageHinkley, "PageHinkley", {}, ["gaussian_jumps", "absolute_errors", "errors_up"]),
    (
        PageHinkley,
        "PageHinkley",
        {"threshold": 20.0, "delta": 0.05, "mode": "up", "alpha": 0.999},
        ["gaussian_jumps", "absolute_errors"],
    ),
    (PageHinkley, "PageHinkley", {"mode": "down", "threshold": 10.0}, ["gaussian_jumps"]),
    (KSWIN, "KSWIN", {"seed": 7}, ["gaussian_jumps", "absolute_errors"]),
    (
        KSWIN,
        "KSWIN",
        {"seed": 11, "window_size": 200, "stat_size": 50, "alpha": 0.001},
        ["gaussian_jumps"],
    ),
]


def run(detector: Any, stream: list[float]) -> tuple[list[int], list[int]]:
    """Indices where drift and where a warning is reported after the update."""
    drifts, warnings = [], []
    for i, x in enumerate(stream):
        detector.update(x)
        if detector.drift_detected:
            drifts.append(i)
        if getattr(detector, "warning_detected", False):
            warnings.append(i)
    return drifts, warnings


def river_detector(path: str, params: dict[str, Any]) -> Any:
    river = pytest.importorskip("river")
    assert river.__version__ == RIVER_VERSION, "golden tests are pinned to River 0.26.1"
    from river import drift

    target: Any = drift
    for part in path.split("."):
        target = getattr(target, part)
    return target(**params)


@pytest.mark.parametrize(
    ("cls", "river_name", "params", "stream"),
    [(c, r, p, s) for c, r, p, streams in CASES for s in streams],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_detector_reports_the_same_change_points_as_river_0_26_1(
    cls: type[Detector], river_name: str, params: dict[str, Any], stream: str
) -> None:
    values = STREAMS[stream]()
    ours = run(cls(**params), values)
    theirs = run(river_detector(river_name, params), values)
    assert ours == theirs
    if stream == "errors_up":
        assert ours[0], "a tripled error rate must be detected"


def test_the_golden_streams_exercise_detections_and_warnings() -> None:
    """The agreement above means something only if there are change points to agree on."""
    assert run(DDM(), STREAMS["errors_up"]())[0]
    assert run(DDM(), STREAMS["errors_up"]())[1]
    assert run(EDDM(), STREAMS["errors_gradual"]())[0]
    assert run(HDDMW(two_sided_test=True), STREAMS["errors_down"]())[0]
    assert run(PageHinkley(), STREAMS["absolute_errors"]())[0]
    assert run(KSWIN(seed=7), STREAMS["gaussian_jumps"]())[0]


ALL: list[type[Detector]] = [DDM, EDDM, HDDMA, HDDMW, PageHinkley, KSWIN]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_a_constant_stream_never_drifts(cls: type[Detector]) -> None:
    params = {"seed": 1} if cls is KSWIN else {}
    for value in [0.0, 1.0] if cls.binary else [0.0, 1.0, 0.3, -12.5]:
        drifts, warnings = run(cls(**params), [value] * 5000)
        assert drifts == [] and warnings == [], value


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_reset_gives_the_state_of_a_new_detector(cls: type[Detector]) -> None:
    params = {"seed": 3} if cls is KSWIN else {}
    detector = cls(**params)
    run(detector, STREAMS["errors_up"]())
    assert detector.state() != cls(**params).state()
    detector.reset()
    assert detector.state() == cls(**params).state()


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_a_json_round_trip_mid_stream_changes_no_later_output(cls: type[Detector]) -> None:
    params = {"seed": 5} if cls is KSWIN else {}
    values = STREAMS["errors_up"]() if cls.binary else STREAMS["gaussian_jumps"]()
    whole = cls(**params)
    expected = run(whole, values)
    for cut in (len(values) // 3, 2 * len(values) // 3):
        first = cls(**params)
        a = run(first, values[:cut])
        text = json.dumps(first.state(), allow_nan=False)  # strict JSON: no NaN/Infinity
        second = cls.from_state(json.loads(text))
        b = run(second, values[cut:])
        assert (a[0] + [i + cut for i in b[0]], a[1] + [i + cut for i in b[1]]) == expected
        assert second.state() == whole.state()


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_feed_reports_the_updates_detections_and_where_each_warning_zone_began(
    cls: type[Detector],
) -> None:
    """``feed`` (what ``trace`` runs) against ``update`` one value at a time: a drift's warning
    zone is the run of warnings on the updates just before it (None if it has none)."""
    params = {"seed": 9} if cls is KSWIN else {}
    values = STREAMS["errors_up"]() if cls.binary else STREAMS["gaussian_jumps"]()
    drifts, warned = run(cls(**params), values)
    zones: list[int | None] = []
    for hit in drifts:
        start = hit
        while start - 1 in warned:
            start -= 1
        zones.append(start if start < hit else None)
    assert drifts
    assert cls(**params).feed(values) == (drifts, zones)
    if cls.has_warning:
        assert any(zone is not None for zone in zones), "no warning zone to compare"


@pytest.mark.parametrize(
    ("cls", "params", "message"),
    [
        (DDM, {"warm_start": -1}, "ddm: warm_start must be an integer >= 0 (got -1)"),
        (DDM, {"drift_threshold": 0}, "ddm: drift_threshold must be a number > 0 (got 0)"),
        (DDM, {"warning_threshold": 4.0}, "ddm: warning_threshold must not exceed drift_threshold"),
        (EDDM, {"alpha": 1.5}, "eddm: alpha must be a number in (0, 1) (got 1.5)"),
        (
            HDDMA,
            {"drift_confidence": 0},
            "hddm_a: drift_confidence must be a number in (0, 1) (got 0)",
        ),
        (HDDMW, {"lambda_val": 1}, "hddm_w: lambda_val must be a number in (0, 1) (got 1)"),
        (
            PageHinkley,
            {"mode": "sideways"},
            "page_hinkley: mode must be one of 'up', 'down', 'both'",
        ),
        (KSWIN, {"stat_size": 60}, "kswin: window_size must be at least twice stat_size"),
        (KSWIN, {"seed": 1.5}, "kswin: seed must be an integer or null (got 1.5)"),
        (DDM, {"warmstart": 3}, "ddm: unknown parameter 'warmstart'; choose from: drift_threshold"),
    ],
)
def test_a_parameter_out_of_range_names_the_valid_range(
    cls: type[Detector], params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as info:
        cls(**params)
    assert str(info.value).startswith(message)


def test_warm_up_is_the_first_index_a_detection_is_possible() -> None:
    """A stream of errors after a correct start: no detector reports before its warm-up."""
    stream = [0.0] * 40 + [1.0] * 400
    for cls in ALL:
        params = {"seed": 1} if cls is KSWIN else {}
        detector = cls(**params)
        drifts, _ = run(detector, stream)
        assert drifts and drifts[0] + 1 >= detector.warm_up, cls.name


def test_page_hinkley_warm_up_within_a_span_is_rivers_first_detection_on_0_1_steps() -> None:
    """On an error indicator Page-Hinkley needs ~e·λ values, not min_instances: over every
    0 → 1 and 1 → 0 step, River's earliest detection is warm_up_within(1), and ours agrees."""
    for params in ({}, {"threshold": 20.0, "mode": "up"}, {"min_instances": 80}):
        warm_up = PageHinkley(**params).warm_up_within(1.0)
        assert warm_up > PageHinkley(**params).warm_up or params.get("min_instances") == 80
        first = math.inf
        for k in range(1, warm_up + 1):
            for before, after in ((0.0, 1.0), (1.0, 0.0)):
                stream = [before] * k + [after] * (warm_up + 1 - k)
                theirs = river_detector("PageHinkley", params)
                ours = PageHinkley(**params)
                for i, x in enumerate(stream):
                    theirs.update(x)
                    assert ours.update(x).drift_detected == theirs.drift_detected
                    if theirs.drift_detected:
                        first = min(first, i + 1)
                        break
        assert first == warm_up, params


def test_kswin_ks_test_gives_scipys_statistic_and_p_value_from_its_table() -> None:
    from scipy import stats

    from mlmon.concept.detectors import kswin

    rng = np.random.default_rng(21)
    for _ in range(3):  # the second and third rounds read p-values from the table
        for n1, n2 in ((30, 30), (30, 45), (7, 5), (1, 3)):
            for _ in range(40):
                a = rng.normal(0, 1, n1).round(1).tolist()  # ties
                b = rng.normal(0.5, 1, n2).round(1).tolist()
                expected = stats.ks_2samp(a, b, method="auto")
                got = kswin._ks_test(a, b)
                assert got == (float(expected.statistic), float(expected.pvalue))
    assert any(key[:2] == (30, 30) for key in kswin._P_VALUES)
    big = rng.normal(0, 1, kswin._EXACT_UP_TO + 1).tolist()  # no table: ks_2samp each time
    expected = stats.ks_2samp(big, big[:50], method="auto")
    assert kswin._ks_test(big, big[:50]) == (float(expected.statistic), float(expected.pvalue))
