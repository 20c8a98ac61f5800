"""The pure parts of ``mlmon check``: share tests against scipy and hand values, the spread
and vanished-category tests, the correction across checks, contract inference and parsing."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import binomtest, chi2

from mlmon.config import parse_config
from mlmon.config.contract import ColumnContract, Contract, dump_contract, parse_contract
from mlmon.errors import ConfigError
from mlmon.health.infer import infer_contract
from mlmon.health.judge import Item, correct, judge_window, windows_text
from mlmon.health.shares import judge_share
from mlmon.health.tally import tally
from tests.conftest import BINARY_CONFIG

UTC = dt.UTC
T0 = dt.datetime(2026, 10, 1, tzinfo=UTC)


def test_a_share_above_its_bound_has_the_exact_binomial_tail_and_wilson_interval() -> None:
    t = judge_share(30, 200, 0.05)
    assert t.p_value == pytest.approx(binomtest(30, 200, 0.05, alternative="greater").pvalue)
    # Wilson by hand: centre (p + z²/2n) / (1 + z²/n), half-width z/(1 + z²/n)·√(p(1-p)/n + z²/4n²)
    z, n, p = 1.959963984540054, 200, 0.15
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert t.low == pytest.approx(centre - half)
    assert t.high == pytest.approx(centre + half)
    assert t.beyond


def test_the_share_test_agrees_with_scipy_binomtest_on_random_inputs() -> None:
    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(1, 3000))
        k = int(rng.integers(0, n + 1))
        bound = float(rng.uniform(0.001, 0.999))
        above = bool(rng.random() < 0.5)
        t = judge_share(k, n, bound, side="above" if above else "below", confidence=0.9)
        exact = binomtest(k, n, bound, alternative="greater" if above else "less")
        assert t.p_value == (pytest.approx(exact.pvalue, rel=1e-9, abs=1e-300) if t.beyond else 1.0)
        ci = binomtest(k, n).proportion_ci(confidence_level=0.9, method="wilson")
        assert t.low == pytest.approx(ci.low, abs=1e-12)
        assert t.high == pytest.approx(ci.high, abs=1e-12)


def test_a_share_within_its_bound_is_not_evidence_and_a_small_sample_has_no_verdict() -> None:
    assert judge_share(3, 200, 0.05).p_value == 1.0
    below = judge_share(2, 200, 0.2, side="below")
    assert below.p_value == pytest.approx(binomtest(2, 200, 0.2, alternative="less").pvalue)
    assert judge_share(10, 10, 0.05, min_rows=50).p_value is None
    assert judge_share(0, 0, 0.05).share is None


def _counts(**values: object) -> dict[str, object]:
    return {k.replace("__", "\x1f"): v for k, v in values.items()}


def test_the_spread_test_is_the_lower_chi_squared_tail_of_the_variance() -> None:
    contract = Contract(columns={"x": ColumnContract(kind="numerical", spread_min=2.0)})
    counts = _counts(_rows=100, x__nulls=0, x__present=100, x__unique=50, x__finite=100,
                     x__zeros=0, x__nonfinite=0, x__min=0.0, x__max=1.0, x__std=1.5)  # fmt: skip
    (item,) = judge_window(
        counts, T0, T0, contract, {"x"}, frozenset(), min_rows=50, confidence=0.95
    )
    assert item.check == "spread" and item.status == "candidate"
    assert item.p_value == pytest.approx(chi2.cdf(99 * 1.5**2 / 2.0**2, 99))


def test_vanished_categories_have_the_probability_that_all_are_absent_by_chance() -> None:
    contract = Contract(
        columns={"c": ColumnContract(kind="categorical", domain={"a": 0.9, "b": 0.07, "c": 0.03})}
    )
    counts = _counts(_rows=100, c__nulls=0, c__present=100, c__unique=1, c__new=0,
                     c__value__0=100, c__value__1=0, c__value__2=0)  # fmt: skip
    items = judge_window(counts, T0, T0, contract, {"c"}, frozenset(), min_rows=50, confidence=0.95)
    missing = next(i for i in items if i.check == "categories_missing")
    assert missing.evidence["values"] == ["b", "c"]
    assert missing.p_value == pytest.approx(0.9**100)


def test_the_correction_decides_candidates_together_and_keeps_other_statuses() -> None:
    items = [
        Item("zero_share", "x", "feature_anomaly", T0, T0, "candidate", p_value=0.004),
        Item("zero_share", "y", "feature_anomaly", T0, T0, "candidate", p_value=0.03),
        Item("null_share", "x", "feature_anomaly", T0, T0, "ok", p_value=1.0),
        Item("cardinality", "x", "feature_anomaly", T0, T0, "finding"),
    ]
    # BH over the three p-values: 0.004·3/1 = 0.012, 0.03·3/2 = 0.045, 1.0
    out = correct(items, alpha=0.02, correction="bh")
    assert [i.p_adjusted for i in out[:3]] == [pytest.approx(0.012), pytest.approx(0.045), 1.0]
    assert [i.status for i in out] == ["finding", "ok", "ok", "finding"]
    assert out[3].p_adjusted is None  # a deterministic check keeps its verdict
    assert next(i.status for i in correct(items, alpha=0.01, correction="bh")) == "ok"


def test_windows_text_merges_consecutive_windows_and_names_midnight_24() -> None:
    hour = dt.timedelta(hours=1)
    items = [
        Item("x", None, "k", T0 + h * hour, T0 + (h + 1) * hour, "finding")
        for h in (2, 3, 4, 22, 23)
    ]
    assert (
        windows_text((it.start for it in items), hour)
        == "2026-10-01 02:00-05:00, 2026-10-01 22:00-24:00"
    )


def _reference(n: int = 5000) -> pl.DataFrame:
    rng = np.random.default_rng(1)
    return pl.DataFrame(
        {
            "ts": [T0 + dt.timedelta(seconds=int(s)) for s in np.sort(rng.integers(0, 86400, n))],
            "x": rng.normal(100, 10, n),
            "y": np.where(rng.random(n) < 0.01, -1.0, rng.gamma(2.0, 2.0, n)),
            "k": np.full(n, 3.0),
            "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        }
    )


def _infer(frame: pl.DataFrame) -> Contract:
    kinds = {"x": "numerical", "y": "numerical", "k": "numerical", "c": "categorical"}
    return infer_contract(
        frame.lazy(), kinds, timestamp="ts", every="1h", tolerance=0.02, class_tolerance=0.1,
        prediction=None, sentinels={}, model="m", source="test",
    )  # fmt: skip


def test_a_learned_contract_takes_ranges_from_quantiles_and_learns_sentinels() -> None:
    frame = _reference()
    contract = _infer(frame)
    x = contract.columns["x"]
    q1, q999 = (frame["x"].quantile(q, interpolation="linear") for q in (0.001, 0.999))
    assert q1 is not None and q999 is not None
    margin = (q999 - q1) * 0.25
    assert x.range is not None
    assert x.range[0] == pytest.approx(q1 - margin, rel=1e-5)
    assert x.range[1] == pytest.approx(q999 + margin, rel=1e-5)
    assert x.null_share == 0.02 and x.out_of_range_share == 0.02
    y = contract.columns["y"]
    assert y.sentinels == (-1.0,)  # 1% of -1: a hidden null
    minus_one = float(frame["y"].eq(-1.0).mean() or 0.0)  # type: ignore[arg-type]
    assert y.sentinel_share == pytest.approx(minus_one + 0.02, abs=1e-6)
    assert contract.columns["k"].top_share is None  # constant in the reference: may stay so
    c = contract.columns["c"]
    assert c.domain is not None and set(c.domain) == {"a", "b", "c"}
    assert c.domain["a"] == pytest.approx((frame["c"] == "a").mean(), abs=1e-6)


def test_a_learned_contract_passes_its_own_reference() -> None:
    frame = _reference()
    contract = _infer(frame)
    table = tally(frame.lazy(), "ts", "1h", contract, set(contract.columns))
    items = []
    for row in table.iter_rows(named=True):
        items += judge_window(
            row, T0, T0, contract, set(contract.columns), frozenset(), min_rows=50, confidence=0.99
        )
    assert [i for i in correct(items, 0.01, "bh") if i.status == "finding"] == []


CONFIG = parse_config(
    BINARY_CONFIG.format(batch_rows=1000, on_invalid="quarantine"),
    __import__("pathlib").Path("mlmon.yaml"),
)


def test_a_dumped_contract_parses_back_to_the_same_contract() -> None:
    contract = Contract(
        model="loans",
        columns={
            "x": ColumnContract(
                kind="numerical", null_share=0.05, range=(0.0, 10.0), out_of_range_share=0.02
            ),
            "pred": ColumnContract(
                kind="categorical", domain={0: 0.8, 1: 0.2}, share_tolerance=0.1
            ),
        },
    )
    again = parse_contract(dump_contract(contract, "a header"), "c.yaml", CONFIG)
    assert again.columns["x"] == contract.columns["x"]
    assert again.columns["pred"].domain == {0: 0.8, 1: 0.2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "columns:\n  x: {kind: numerical, domain: {a: 1.0}}\n",
            "columns.x: domain is not a check of a numerical column",
        ),
        (
            "columns:\n  x: {kind: numerical, null_share: 2}\n",
            "columns.x.null_share: Input should be less than or equal to 1",
        ),
        (
            "model: other\ncolumns: {}\n",
            "model: the contract is for 'other', the config for 'loans'",
        ),
        ("- a list\n", "a contract is a mapping with 'columns'"),
    ],
)
def test_a_bad_contract_is_a_config_error_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_contract(text, "c.yaml", CONFIG)
    assert err.value.exit_code == 3
    assert message in str(err.value)
