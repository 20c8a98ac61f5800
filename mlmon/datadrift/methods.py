"""What each drift statistic is, declared once: its name, the column kinds it applies to,
whether it is a test, whether a higher value means drift, and its default threshold as an
effect size. Pure data (no numpy, no scipy), so that the config can offer these names.

Everything else follows from :data:`STATISTICS`: the methods ``drift.numerical.method``,
``drift.categorical.method`` and ``drift.columns.<column>.method`` accept (:func:`methods`,
read by :mod:`mlmon.config.drift`), the test and the effect a method runs on a column
(:func:`which_test`, :func:`which_effect`, used by :mod:`mlmon.datadrift.compare`), the function
computing each (:data:`mlmon.datadrift.stats.FUNCTIONS`) and the direction the rule applies
(:mod:`mlmon.datadrift.rules`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["numerical", "categorical"]


@dataclass(frozen=True)
class Definition:
    """A statistic: the column kinds it applies to; a test (it has a p-value) or not; its
    default threshold when it is used as the effect size (None: it is not one); and whether a
    value at or *above* the threshold is drift (else at or below)."""

    kinds: tuple[Kind, ...]
    test: bool
    default_threshold: float | None
    higher_is_drift: bool

    @property
    def effect(self) -> bool:
        """Whether the statistic can be the effect size (it has a default threshold)."""
        return self.default_threshold is not None


_NUM: tuple[Kind, ...] = ("numerical",)
_CAT: tuple[Kind, ...] = ("categorical",)
_BOTH: tuple[Kind, ...] = ("numerical", "categorical")

STATISTICS: dict[str, Definition] = {
    "ks": Definition(_NUM, test=True, default_threshold=0.1, higher_is_drift=True),
    "wasserstein": Definition(_NUM, test=False, default_threshold=0.1, higher_is_drift=True),
    "chisquare": Definition(_CAT, test=True, default_threshold=None, higher_is_drift=True),
    "psi": Definition(_BOTH, test=False, default_threshold=0.2, higher_is_drift=True),
    "jensenshannon": Definition(_BOTH, test=False, default_threshold=0.1, higher_is_drift=True),
    "hellinger": Definition(_BOTH, test=False, default_threshold=0.1, higher_is_drift=True),
    "anderson": Definition(_NUM, test=True, default_threshold=None, higher_is_drift=True),
    "cramervonmises": Definition(_NUM, test=True, default_threshold=None, higher_is_drift=True),
    "linf": Definition(_CAT, test=False, default_threshold=0.1, higher_is_drift=True),
    "tvd": Definition(_CAT, test=False, default_threshold=0.1, higher_is_drift=True),
}
"""Every statistic by name, in the order the config lists them. Each is 0 for identical
samples except ``anderson``, which is standardized."""

AUTO = "auto"
"""The method that runs a kind's default test and effect (:data:`AUTO_TEST`,
:data:`AUTO_EFFECT`)."""
AUTO_TEST: dict[Kind, str] = {"numerical": "ks", "categorical": "chisquare"}
AUTO_EFFECT: dict[Kind, str] = {"numerical": "wasserstein", "categorical": "jensenshannon"}


def methods(kind: Kind) -> tuple[str, ...]:
    """The methods a column of ``kind`` accepts: ``auto``, then its statistics.

    >>> methods("categorical")
    ('auto', 'chisquare', 'psi', 'jensenshannon', 'hellinger', 'linf', 'tvd')
    """
    return (AUTO, *(name for name, d in STATISTICS.items() if kind in d.kinds))


def which_test(method: str, kind: Kind) -> str:
    """The test ``method`` runs on a column of ``kind``: itself when it is a test for that
    kind, else the kind's default.

    >>> which_test("anderson", "numerical"), which_test("psi", "numerical")
    ('anderson', 'ks')
    """
    d = STATISTICS.get(method)
    return method if d is not None and d.test and kind in d.kinds else AUTO_TEST[kind]


def which_effect(method: str, kind: Kind) -> str:
    """The effect size ``method`` thresholds on a column of ``kind``: itself when it is an
    effect for that kind, else the kind's default.

    >>> which_effect("ks", "numerical"), which_effect("chisquare", "categorical")
    ('ks', 'jensenshannon')
    """
    d = STATISTICS.get(method)
    return method if d is not None and d.effect and kind in d.kinds else AUTO_EFFECT[kind]
