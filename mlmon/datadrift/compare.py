"""Compare one column's current profile with its reference profile. Pure.

Each comparison yields the signals a column can drift on, before any decision:

- ``distribution``: a test (p-value) and an effect size (distance) of the change in the
  distribution of the values (finite values for numerical columns; non-null for categorical);
- ``missing``: the change in the share of rows without a usable value (null, NaN or ±inf),
  with a two-proportion test;
- ``new_categories`` (categorical): the share of current rows in categories the reference
  never had, beyond the share its own sampling predicts (:func:`unseen_share`); no test, the
  threshold decides.

Which test and which effect size, by ``method`` (:func:`mlmon.datadrift.methods.which_test`
and :func:`~mlmon.datadrift.methods.which_effect`, from the statistics' declarations):

============== ====================== ==========================
method         test (p-value)         effect size (thresholded)
============== ====================== ==========================
auto (num.)    ks                     wasserstein (W₁ / σ_ref)
auto (cat.)    chisquare              jensenshannon
ks             ks                     ks (D)
anderson, cvm  anderson / cvm         wasserstein
chisquare      chisquare              jensenshannon
a distance     ks / chisquare         that distance
============== ====================== ==========================

The Jensen-Shannon effect is bias-corrected
(:func:`mlmon.datadrift.stats.jensen_shannon_corrected`): a sparse column's plug-in distance
is mostly sampling noise (0.25-0.31 for 3,000 categories with nothing changed); the plug-in
value is kept in the signal's ``raw``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from mlmon.datadrift import stats as st
from mlmon.datadrift.methods import STATISTICS, Kind, which_effect, which_test
from mlmon.datadrift.profile import CategoricalProfile, ColumnProfile, NumericalProfile

OTHER = "(other)"
"""The pooled bin of a categorical column: categories beyond the reference's kept ones."""


@dataclass(frozen=True)
class Signal:
    """One way a column can drift: a test's p-value (None when there is no test) and an effect
    (None when it cannot be computed), to be judged against ``threshold``."""

    name: str
    test: str | None
    test_statistic: float | None
    p_value: float | None
    effect: str
    value: float | None
    threshold: float
    higher_is_drift: bool | None
    """The direction in which ``value`` is drift: at or above the threshold (True), at or
    below it (False), or either way, ``|value|`` at or above it (None: a signed change)."""
    p_value_adjusted: float | None = None
    fired: bool = False
    raw: float | None = None
    """The effect before its bias correction (Jensen-Shannon: the plug-in distance; None for
    effects that are not corrected)."""


@dataclass(frozen=True)
class Comparison:
    """A column's signals, or why it has none (``status`` skipped / insufficient_data)."""

    column: str
    kind: str
    method: str
    status: str
    reason: str | None
    n_reference: int
    n_current: int
    null_share_reference: float | None
    null_share_current: float | None
    new_category_share: float | None
    signals: tuple[Signal, ...]
    reference_distribution: dict[str, list[float] | list[str]] | None = None
    current_distribution: dict[str, list[float] | list[str]] | None = None

    @property
    def distribution(self) -> Signal | None:
        """The main signal: the column's statistic under the rule (None without one)."""
        return next((s for s in self.signals if s.name == "distribution"), None)


@dataclass(frozen=True)
class Settings:
    """What a comparison needs from the config, resolved for one column."""

    method: str
    threshold: float | None
    min_rows: int
    js_base: float
    missing_threshold: float | None
    new_category_threshold: float | None


def compare(column: str, ref: ColumnProfile, cur: ColumnProfile, s: Settings) -> Comparison:
    """The signals of one column (same kind in both profiles; see the module docstring)."""
    if isinstance(ref, NumericalProfile) and isinstance(cur, NumericalProfile):
        return _numerical(column, ref, cur, s)
    if isinstance(ref, CategoricalProfile) and isinstance(cur, CategoricalProfile):
        return _categorical(column, ref, cur, s)
    return _skipped(column, ref.kind, s, ref, cur, "the column's kind differs between profiles")


def _missing_signal(ref: ColumnProfile, cur: ColumnProfile, s: Settings) -> list[Signal]:
    if s.missing_threshold is None or min(ref.rows, cur.rows) < s.min_rows:
        return []
    stat = st.two_proportions(ref.missing, ref.rows, cur.missing, cur.rows)
    return [
        Signal(
            "missing",
            "two_proportions",
            None,
            stat.p_value,
            "missing_share_change",
            stat.value,
            s.missing_threshold,
            higher_is_drift=None,  # a share that falls is as much a change as one that rises
        )
    ]


def _unjudged(
    base: Comparison, signals: list[Signal], n_ref: int, n_cur: int, what: str, s: Settings
) -> Comparison | None:
    """The column without a distribution verdict (its missing share is still judged): no
    ``what`` on a side is ``skipped``, fewer than ``drift.min_rows`` ``insufficient_data``;
    None when it can be compared."""
    if n_ref == 0 or n_cur == 0:
        which = "reference" if n_ref == 0 else "current data"
        reason = f"no {what} in the {which}"
        return replace(base, signals=tuple(signals), status="skipped", reason=reason)
    if min(n_ref, n_cur) < s.min_rows:
        reason = f"{min(n_ref, n_cur)} values < drift.min_rows ({s.min_rows})"
        return replace(base, signals=tuple(signals), status="insufficient_data", reason=reason)
    return None


def _numerical(
    column: str, ref: NumericalProfile, cur: NumericalProfile, s: Settings
) -> Comparison:
    method = s.method
    base = _base(column, "numerical", method, ref, cur)
    signals = _missing_signal(ref, cur, s)
    unjudged = _unjudged(base, signals, ref.count, cur.count, "finite values", s)
    if unjudged is not None:
        return unjudged
    ref_counts, cur_counts = np.asarray(ref.counts), np.asarray(cur.counts)
    samples = st.Samples(
        ref_counts,
        cur_counts,
        n_ref=ref.count,
        n_cur=cur.count,
        js_base=s.js_base,
        ref_values=np.asarray(ref.sample),
        cur_values=np.asarray(cur.sample),
        complete=ref.sample_complete and cur.sample_complete,
        ref_std=ref.std,
    )
    signals.insert(0, _distribution("numerical", samples, s))
    edges = [float(e) for e in ref.edges]
    return replace(
        base,
        signals=tuple(signals),
        status="ok",
        reference_distribution={"edges": edges, "shares": st.shares(ref_counts).tolist()},
        current_distribution={"edges": edges, "shares": st.shares(cur_counts).tolist()},
    )


def _categorical(
    column: str, ref: CategoricalProfile, cur: CategoricalProfile, s: Settings
) -> Comparison:
    method = s.method
    base = _base(column, "categorical", method, ref, cur)
    signals = _missing_signal(ref, cur, s)
    n_ref, n_cur = ref.rows - ref.nulls, cur.rows - cur.nulls
    unjudged = _unjudged(base, signals, n_ref, n_cur, "values", s)
    if unjudged is not None:
        return unjudged
    # Both samples' categories, so the test treats them alike (pooling what the reference
    # never saw into one bin made a sparse column look drifted); categories pooled by either
    # profile beyond drift.max_categories share the last bin.
    names = [*ref.counts, *sorted(k for k in cur.counts if k not in ref.counts)]
    ref_counts = np.array([*(ref.counts.get(k, 0) for k in names), ref.other], dtype=float)
    cur_counts = np.array([*(cur.counts.get(k, 0) for k in names), cur.other], dtype=float)
    expected_new = 0.0
    new_share = None
    if ref.other == 0 and cur.other == 0:
        new = sum(v for k, v in cur.counts.items() if k not in ref.counts)
        new_share = new / n_cur
        expected_new = unseen_share(ref.counts.values())
    # else unknown: a profile pooled categories beyond drift.max_categories
    samples = st.Samples(ref_counts, cur_counts, n_ref=n_ref, n_cur=n_cur, js_base=s.js_base)
    signals.insert(0, _distribution("categorical", samples, s))
    if s.new_category_threshold is not None and new_share is not None:
        signals.append(
            Signal(
                "new_categories",
                None,
                None,
                None,
                "new_category_share_excess",
                new_share - expected_new,
                s.new_category_threshold,
                # only an excess: fewer unseen categories than the reference's one-off ones
                # predict is no appearance of new values (the distribution signal judges the
                # shares of the known ones)
                higher_is_drift=True,
            )
        )
    labels, ref_shown, cur_shown = _shown(names, ref_counts, cur_counts)
    return replace(
        base,
        signals=tuple(signals),
        status="ok",
        new_category_share=new_share,
        reference_distribution={"categories": labels, "shares": st.shares(ref_shown).tolist()},
        current_distribution={"categories": labels, "shares": st.shares(cur_shown).tolist()},
    )


SHOWN_CATEGORIES = 50
"""Categories reported in a column's distributions; the rest are summed into ``(other)``."""


def _shown(
    names: list[str], ref: np.ndarray, cur: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The most frequent categories (over both samples) and ``(other)``, for display."""
    order = np.argsort(-(ref[:-1] + cur[:-1]), kind="stable")[:SHOWN_CATEGORIES]
    rest = np.ones(len(names), dtype=bool)
    rest[order] = False
    labels = [names[i] for i in order]
    ref_out = np.append(ref[order], ref[-1] + ref[:-1][rest].sum())
    cur_out = np.append(cur[order], cur[-1] + cur[:-1][rest].sum())
    if ref_out[-1] == 0 and cur_out[-1] == 0:
        return labels, ref_out[:-1], cur_out[:-1]
    return [*labels, OTHER], ref_out, cur_out


def unseen_share(counts: Iterable[int]) -> float:
    """Good-Turing estimate of the share of *future* rows in categories a sample never saw:
    (number of categories seen once) / (rows) (Good 1953). A high-cardinality column's
    reference misses many categories by chance; the ``new_categories`` signal counts only
    the new share beyond this.

    >>> unseen_share([5, 1, 1, 3])  # two singletons in 10 rows
    0.2
    """
    values = list(counts)
    total = sum(values)
    return sum(1 for v in values if v == 1) / total if total else 0.0


def _distribution(kind: Kind, samples: st.Samples, s: Settings) -> Signal:
    """The ``distribution`` signal: the method's test (statistic and p-value) and its effect
    size against its threshold (the configured one, or the statistic's default), in the
    effect's declared direction."""
    test_name, effect_name = which_test(s.method, kind), which_effect(s.method, kind)
    test = st.FUNCTIONS[test_name](samples)
    effect = test if effect_name == test_name else st.FUNCTIONS[effect_name](samples)
    return Signal(
        "distribution",
        test_name,
        test.value,
        test.p_value,
        effect_name,
        effect.value,
        _threshold(effect_name, s.threshold),
        higher_is_drift=STATISTICS[effect_name].higher_is_drift,
        raw=effect.raw,
    )


def _threshold(effect: str, configured: float | None) -> float:
    if configured is not None:
        return configured
    default = STATISTICS[effect].default_threshold
    assert default is not None, f"{effect} is an effect size with a default threshold"
    return default


def _base(
    column: str, kind: str, method: str, ref: ColumnProfile, cur: ColumnProfile
) -> Comparison:
    n_ref = ref.count if isinstance(ref, NumericalProfile) else ref.rows - ref.nulls
    n_cur = cur.count if isinstance(cur, NumericalProfile) else cur.rows - cur.nulls
    return Comparison(
        column=column,
        kind=kind,
        method=method,
        status="ok",
        reason=None,
        n_reference=n_ref,
        n_current=n_cur,
        null_share_reference=ref.missing / ref.rows if ref.rows else None,
        null_share_current=cur.missing / cur.rows if cur.rows else None,
        new_category_share=None,
        signals=(),
    )


def _skipped(
    column: str, kind: str, s: Settings, ref: ColumnProfile, cur: ColumnProfile, reason: str
) -> Comparison:
    return replace(_base(column, kind, s.method, ref, cur), status="skipped", reason=reason)
