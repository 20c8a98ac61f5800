"""The statistics' declarations (mlmon.datadrift.methods) drive the dispatch and the rule: every
declared statistic runs its function, and the effect is judged in its declared direction.
(That they drive the config's method choices is tested in tests/unit/test_config.py.)"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from mlmon.datadrift import methods
from mlmon.datadrift import stats as st
from mlmon.datadrift.compare import Comparison, Settings, compare
from mlmon.datadrift.methods import STATISTICS, Kind, which_effect, which_test
from mlmon.datadrift.profile import CategoricalProfile, NumericalProfile, Profile, profile
from mlmon.datadrift.rules import decide, reaches
from tests.conftest import REPO

KINDS: tuple[Kind, ...] = ("numerical", "categorical")
COLUMN: dict[Kind, str] = {"numerical": "x", "categorical": "c"}


@pytest.fixture(scope="module")
def profiles() -> tuple[Profile, Profile]:
    """A reference and a shifted current sample of one numerical and one categorical column
    (every value kept, so KS runs on the values)."""
    rng = np.random.default_rng(15)
    ref = pl.DataFrame({"x": rng.normal(0, 1, 2000), "c": rng.choice(["a", "b", "c"], 2000)})
    cur = pl.DataFrame(
        {"x": rng.normal(0.3, 1, 1500), "c": rng.choice(["a", "b", "c"], 1500, p=[0.5, 0.3, 0.2])}
    )

    def of(frame: pl.DataFrame, reference: Profile | None = None) -> Profile:
        return profile(
            frame.lazy(),
            ["x"],
            ["c"],
            bins=20,
            sample_rows=5000,
            max_categories=100,
            reference=reference,
        )

    reference = of(ref)
    return reference, of(cur, reference)


def _compare(
    profiles: tuple[Profile, Profile], kind: Kind, method: str, threshold: float | None = None
) -> Comparison:
    ref, cur = profiles
    column = COLUMN[kind]
    settings = Settings(method, threshold, 30, 2.0, None, None)
    return compare(column, ref.columns[column], cur.columns[column], settings)


def _applicable() -> list[tuple[str, Kind]]:
    return [(name, kind) for name, d in STATISTICS.items() for kind in d.kinds]


def test_every_declared_statistic_has_a_function_and_nothing_else_does() -> None:
    assert list(st.FUNCTIONS) == list(STATISTICS)


def test_what_each_statistic_declares() -> None:
    assert {n for n, d in STATISTICS.items() if d.test} == {
        "ks",
        "anderson",
        "cramervonmises",
        "chisquare",
    }
    assert {n: d.default_threshold for n, d in STATISTICS.items() if d.effect} == {
        "ks": 0.1,
        "wasserstein": 0.1,
        "psi": 0.2,
        "jensenshannon": 0.1,
        "hellinger": 0.1,
        "linf": 0.1,
        "tvd": 0.1,
    }
    # every statistic mlmon has is a distance or a test statistic: higher is drift
    assert all(d.higher_is_drift for d in STATISTICS.values())
    for kind in KINDS:
        assert methods.AUTO_TEST[kind] in methods.methods(kind)
        assert STATISTICS[methods.AUTO_TEST[kind]].test
        assert STATISTICS[methods.AUTO_EFFECT[kind]].effect


def test_the_methods_table_of_the_docs_matches_the_declarations() -> None:
    """docs/methods.md lists every statistic with its kinds and default threshold."""
    text = (REPO / "docs" / "methods.md").read_text(encoding="utf-8")
    kinds: dict[str, tuple[Kind, ...]] = {
        "numerical": ("numerical",),
        "categorical": ("categorical",),
        "both": ("numerical", "categorical"),
    }
    documented: dict[str, tuple[tuple[Kind, ...], float | None]] = {}
    for names, kind, threshold in re.findall(
        r"^\| (`.+?) \| (\w+) \| .+? \| (.+?) \|$", text, re.M
    ):
        for name in re.findall(r"`(\w+)`", names):
            documented[name] = (
                kinds[kind],
                None if threshold == "—" else float(threshold),
            )
    assert documented == {n: (d.kinds, d.default_threshold) for n, d in STATISTICS.items()}


@pytest.mark.parametrize(
    ("method", "kind", "test", "effect"),
    [
        ("auto", "numerical", "ks", "wasserstein"),
        ("auto", "categorical", "chisquare", "jensenshannon"),
        ("ks", "numerical", "ks", "ks"),
        ("anderson", "numerical", "anderson", "wasserstein"),
        ("cramervonmises", "numerical", "cramervonmises", "wasserstein"),
        ("chisquare", "categorical", "chisquare", "jensenshannon"),
        ("psi", "numerical", "ks", "psi"),
        ("psi", "categorical", "chisquare", "psi"),
        ("linf", "categorical", "chisquare", "linf"),
        ("ks", "categorical", "chisquare", "jensenshannon"),  # another kind's: the default
    ],
)
def test_a_method_runs_the_test_and_effect_of_the_table(
    method: str, kind: Kind, test: str, effect: str
) -> None:
    """The table in mlmon.datadrift.compare's docstring."""
    assert (which_test(method, kind), which_effect(method, kind)) == (test, effect)


@pytest.mark.parametrize(("name", "kind"), _applicable())
def test_every_declared_statistic_dispatches_to_its_function(
    profiles: tuple[Profile, Profile], name: str, kind: Kind, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _compare(profiles, kind, name).signals[0]
    d = STATISTICS[name]
    assert real.name == "distribution"
    assert (real.test == name) == d.test and (real.effect == name) == d.effect
    # the signal carries what FUNCTIONS[name] returns: a stand-in shows through
    monkeypatch.setitem(st.FUNCTIONS, name, lambda s: st.Stat(0.123, 0.456, raw=0.789))
    stub = _compare(profiles, kind, name).signals[0]
    if d.test:
        assert (stub.test_statistic, stub.p_value) == (0.123, 0.456)
    if d.effect:
        assert (stub.value, stub.raw) == (0.123, 0.789)
        assert stub.threshold == d.default_threshold


def test_the_functions_compute_the_named_statistics(profiles: tuple[Profile, Profile]) -> None:
    ref, cur = (p.columns["x"] for p in profiles)
    assert isinstance(ref, NumericalProfile) and isinstance(cur, NumericalProfile)
    assert ref.sample_complete and cur.sample_complete  # so KS is exact, from the values
    values = (np.asarray(ref.sample), np.asarray(cur.sample))
    counts = (np.asarray(ref.counts), np.asarray(cur.counts))
    ks = _compare(profiles, "numerical", "ks").signals[0]
    exact = st.ks_raw(*values)
    assert (ks.test_statistic, ks.p_value, ks.value) == (exact.value, exact.p_value, exact.value)
    assert _compare(profiles, "numerical", "psi").signals[0].value == st.psi(*counts).value
    js = _compare(profiles, "numerical", "jensenshannon").signals[0]
    corrected = st.jensen_shannon_corrected(*counts)
    assert (js.value, js.raw) == (corrected.value, st.jensen_shannon(*counts).value)
    assert corrected.raw == js.raw


def test_the_rule_applies_the_declared_direction(
    profiles: tuple[Profile, Profile], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statistic declared lower-is-drift fires at or below its threshold, not above it."""
    psi = _compare(profiles, "numerical", "psi").signals[0].value
    assert psi is not None and psi > 0.01
    monkeypatch.setitem(STATISTICS, "psi", replace(STATISTICS["psi"], higher_is_drift=False))
    for threshold, fires in ((psi / 2, False), (psi, True), (psi * 2, True)):
        c = _compare(profiles, "numerical", "psi", threshold)
        assert c.signals[0].higher_is_drift is False
        (c,) = decide([c], alpha=0.05, correction="none", significance=False, effect=True)
        assert c.signals[0].fired is fires
    monkeypatch.undo()
    for threshold, fires in ((psi / 2, True), (psi, True), (psi * 2, False)):
        c = _compare(profiles, "numerical", "psi", threshold)
        (c,) = decide([c], alpha=0.05, correction="none", significance=False, effect=True)
        assert c.signals[0].fired is fires


@pytest.mark.parametrize(
    ("value", "threshold", "higher_is_drift", "drift"),
    [
        (0.2, 0.1, True, True),
        (0.1, 0.1, True, True),
        (0.05, 0.1, True, False),
        (-0.2, 0.1, True, False),
        (0.2, 0.1, False, False),
        (0.1, 0.1, False, True),
        (0.05, 0.1, False, True),
        (-0.2, 0.1, None, True),
        (0.2, 0.1, None, True),
        (-0.05, 0.1, None, False),
    ],
)
def test_reaches_is_the_threshold_in_the_declared_direction(
    value: float, threshold: float, higher_is_drift: bool | None, drift: bool
) -> None:
    assert reaches(value, threshold, higher_is_drift) is drift


def test_the_missing_share_drifts_either_way() -> None:
    """A signed change (a share falling as much as rising) keeps the two-sided rule."""
    more = CategoricalProfile(rows=1000, nulls=0, counts={"a": 500, "b": 500}, other=0)
    fewer = CategoricalProfile(rows=1000, nulls=300, counts={"a": 350, "b": 350}, other=0)
    settings = Settings("auto", None, 30, 2.0, 0.05, None)
    for ref, cur, sign in ((fewer, more, -1), (more, fewer, 1)):
        c = compare("c", ref, cur, settings)
        (missing,) = [s for s in c.signals if s.name == "missing"]
        assert missing.higher_is_drift is None
        assert missing.value == pytest.approx(sign * 0.3)
        (c,) = decide([c], alpha=0.05, correction="none", significance=True, effect=True)
        (missing,) = [s for s in c.signals if s.name == "missing"]
        assert missing.fired and c.status == "drifted"
