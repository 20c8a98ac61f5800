"""``mlmon promote``: move ``production`` to a candidate only through the statistical gate.

The gate (:mod:`mlmon.lifecycle.gate`) compares candidate and production on the same labelled
rows that the candidate was not trained on: the store's labelled rows from the start of the
candidate's holdout period up to ``until``. A pass moves the alias (event ``promoted``, with
the gate's figures); a failure changes nothing but the log (``gate_failed``); ``force`` moves
it anyway and records why (``forced``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlmon.config import Config
from mlmon.errors import DataError, InsufficientDataError, RegistryError
from mlmon.lifecycle import model as lm
from mlmon.lifecycle.gate import GateResult, decide, metric_functions
from mlmon.registry import open_registry
from mlmon.registry.artifact import load_model
from mlmon.timewindow import parse_iso_utc


@dataclass
class PromoteResult:
    """The result of ``mlmon promote``; :meth:`to_dict` is the JSON contract."""

    candidate: str
    production_before: str | None
    production_after: str | None
    promoted: bool
    gate: GateResult | None
    dry_run: bool
    forced: str | None = None
    note: str | None = None

    @property
    def status(self) -> str:
        if self.gate is None or self.gate.passed or self.forced:
            return "ok"
        return "finding"

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
        }


def promote(
    config: Config,
    version: str | None,
    until: dt.datetime,
    *,
    dry_run: bool = False,
    force: str | None = None,
    reason: str | None = None,
) -> PromoteResult:
    """Gate ``version`` (default: the candidate) against production; promote if it passes.

    ``force`` (the reason, recorded) promotes past a failed gate, and is also what it takes
    to promote a version that was rolled back out of production. ``reason`` is recorded in
    the event when there is no ``force``.
    """
    registry = open_registry(config)
    candidate = registry.resolve(version or "candidate")
    production = registry.aliases().get("production")
    reason = force or reason
    rolled_back = registry.rolled_back_out(candidate)
    if rolled_back is not None and force is None and candidate != production:
        raise RegistryError(
            f"version {candidate} was rolled back out of production at {rolled_back.time} "
            f"({rolled_back.reason or 'no reason given'}); it is not promoted again without "
            "--force",
            hint=f"promote it anyway with: mlmon promote {candidate} --force --reason TEXT, "
            "or train a new candidate with mlmon retrain",
        )
    if candidate == production:
        return PromoteResult(
            candidate,
            production,
            production,
            False,
            None,
            dry_run,
            note=f"version {candidate} is already in production; nothing to do",
        )
    data = _evaluation_rows(config, registry.metadata(candidate), until)
    p = config.promote
    if data.rows < p.min_rows and force is None:
        raise InsufficientDataError(
            f"{data.rows} labelled rows to compare on (promote.min_rows is {p.min_rows})",
            hint="wait for more labels, or lower promote.min_rows",
        )
    trusted = config.retrain.trusted_types
    cand_model = load_model(registry.artifact_path(candidate), trusted)
    prod_model = (
        None if production is None else load_model(registry.artifact_path(production), trusted)
    )
    gate = decide(
        data.target,
        _outputs(config, cand_model, data),
        None if prod_model is None else _outputs(config, prod_model, data),
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
    result = PromoteResult(candidate, production, production, False, gate, dry_run, force)
    if dry_run:
        return result
    details = gate.to_dict()
    if gate.passed or force is not None:
        registry.set_alias(
            "production",
            candidate,
            "promoted" if gate.passed else "forced",
            reason=reason,
            details=details,
            expect=production,
        )
    else:
        registry.record("gate_failed", version=candidate, reason=reason, details=details)
        return result
    result.promoted, result.production_after = True, candidate
    return result


def _evaluation_rows(config: Config, meta: dict[str, Any], until: dt.datetime) -> lm.Dataset:
    from mlmon.lifecycle.retrain import training_data

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
    return training_data(config, since, until, with_base=False)


def _outputs(config: Config, model: Any, data: lm.Dataset) -> np.ndarray:
    if config.model.task == "regression":
        return np.asarray(model.predict(data.features), dtype=float)
    proba = np.asarray(model.predict_proba(data.features), dtype=float)
    return proba[:, 1] if config.model.task == "binary_classification" else proba
