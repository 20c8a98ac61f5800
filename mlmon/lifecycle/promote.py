"""``mlmon promote``, the pure part: the rows to compare on, the gate on given model outputs,
and the result. :mod:`mlmon.ops.promote` reads the registry and the store, calls these, and
moves the alias.

The gate (:mod:`mlmon.lifecycle.gate`) compares candidate and production on the same labelled
rows that the candidate was not trained on: the store's labelled rows from the start of the
candidate's holdout period up to ``until``; the serving data of that window is checked
against the candidate's training contract (:mod:`mlmon.lifecycle.skew`). A pass moves the
alias (event ``promoted``, with the gate's figures); a failure changes nothing but the log
(``gate_failed``); ``force`` moves it anyway and records why (``forced``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mlmon.config import Config
from mlmon.errors import DataError, InsufficientDataError, RegistryError
from mlmon.lifecycle import model as lm
from mlmon.lifecycle.gate import GateResult, decide, metric_functions
from mlmon.lifecycle.skew import ContractCheck
from mlmon.outcome import StatusExit
from mlmon.timewindow import parse_iso_utc


@dataclass(frozen=True)
class PromoteResult(StatusExit):
    """The result of ``mlmon promote``; :meth:`to_dict` is the JSON contract."""

    command: ClassVar[str] = "promote"

    candidate: str
    production_before: str | None
    production_after: str | None
    promoted: bool
    gate: GateResult | None
    dry_run: bool
    forced: str | None = None
    note: str | None = None
    contract: ContractCheck | None = None
    """The candidate's training contract against the serving data (None: nothing gated)."""

    @property
    def warnings(self) -> tuple[str, ...]:
        """The training contract's violations (whether or not they refuse the promotion)."""
        return () if self.contract is None else self.contract.warnings()

    @property
    def status(self) -> str:
        if self.gate is None or self.gate.passed or self.forced:
            return "ok"
        return "finding"

    @property
    def alerts(self) -> bool:
        """A dry run tells the sinks nothing."""
        return not self.dry_run

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "production_before": self.production_before,
            "production_after": self.production_after,
            "promoted": self.promoted,
            "dry_run": self.dry_run,
            "forced": self.forced,
            "note": self.note,
            "gate": None if self.gate is None else self.gate.to_dict(),
            "contract": None if self.contract is None else self.contract.to_dict(),
        }


def comparison_since(meta: Mapping[str, Any], until: dt.datetime) -> dt.datetime:
    """Where the rows to compare on begin: the start of the candidate's holdout (or the end
    of its training window), read from its metadata ``meta``; it must precede ``until``."""
    training = meta.get("training")
    training = training if isinstance(training, dict) else {}
    start = training.get("holdout_since") or training.get("until")
    if start is None:
        raise DataError(
            "the candidate's metadata has no training window to compare after",
            hint="register candidates with mlmon retrain",
        )
    try:
        since = parse_iso_utc(start)
    except ValueError:
        raise RegistryError(
            "the candidate's metadata.json has no valid training window to compare after",
            hint="the version is damaged; register candidates with mlmon retrain",
        ) from None
    if since >= until:
        raise InsufficientDataError(
            f"no time after the candidate's training data ({start}) up to {until.isoformat()}",
            hint="wait for new labelled logs",
        )
    return since


def check_rows(config: Config, data: lm.Dataset, forced: bool) -> None:
    """Refuse to decide on fewer than ``promote.min_rows`` rows, unless ``forced``."""
    minimum = config.promote.min_rows
    if data.rows < minimum and not forced:
        raise InsufficientDataError(
            f"{data.rows} labelled rows to compare on (promote.min_rows is {minimum})",
            hint="wait for more labels, or lower promote.min_rows",
        )


def gate(config: Config, data: lm.Dataset, candidate: Any, production: Any | None) -> GateResult:
    """The ``promote`` gate of the ``candidate`` model against ``production`` (None: there
    is no production model) on the same rows ``data``."""
    p = config.promote
    return decide(
        data.target,
        _outputs(config, candidate, data),
        None if production is None else _outputs(config, production, data),
        metric_functions(config.model.task, config.metrics.decision_threshold),
        metric=p.metric or lm.PRIMARY[config.model.task],
        confidence=p.confidence,
        resamples=p.resamples,
        seed=p.seed,
        non_inferiority_margin=p.non_inferiority_margin,
        min_absolute_change=p.min_absolute_change,
        min_relative_change=p.min_relative_change,
        guardrails=p.guardrails,
        threshold=p.threshold,
    )


def _outputs(config: Config, model: Any, data: lm.Dataset) -> np.ndarray:
    if config.model.task == "regression":
        return np.asarray(model.predict(data.features), dtype=float)
    proba = np.asarray(model.predict_proba(data.features), dtype=float)
    return proba[:, 1] if config.model.task == "binary_classification" else proba
