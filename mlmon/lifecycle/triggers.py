"""The retraining triggers' decisions (``retrain.triggers``), on figures already read. Pure.

Each trigger is reported with whether it fired and why:

- ``schedule``: the production version is older than ``max_age`` (or there is none);
- ``performance``: a metric of the latest ``window`` of labelled logs is below ``min`` (above
  ``max``), computed as ``mlmon metrics`` does, and only with ``metrics.min_labelled`` labels;
- ``drift``: ``mlmon drift`` of the latest ``drift.window`` finds the dataset drifted, or one of
  ``features``.

:mod:`mlmon.ops.retrain` reads the registry and computes the metrics and the drift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlmon.config.retrain import DriftTrigger, PerformanceTrigger
from mlmon.errors import RegistryError
from mlmon.timewindow import iso_utc, parse_iso_utc

if TYPE_CHECKING:
    from mlmon.datadrift.result import DriftResult
    from mlmon.performance.windows import WindowReport


@dataclass(frozen=True)
class Trigger:
    """One trigger's verdict: whether it fired, why, and the figures it read."""

    name: str
    fired: bool
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"trigger": self.name, "fired": self.fired, "reason": self.reason, **self.details}


def schedule_trigger(
    model: str, production: str | None, created_at: object, max_age: float, now: dt.datetime
) -> Trigger:
    """Fires when there is no ``production`` version or it was created (``created_at``, from
    its metadata) more than ``max_age`` seconds before ``now``."""
    if production is None:
        return Trigger("schedule", True, "no production version yet")
    try:
        created = parse_iso_utc(created_at)
    except ValueError:
        raise RegistryError(
            f"version {production} of {model!r}: metadata.json has no valid "
            "created_at, so the schedule trigger cannot tell its age",
            hint="the version is damaged; promote another one",
        ) from None
    # a model's age is wall-clock time, whatever window of old logs --until names
    age = (now - created).total_seconds()
    days = age / 86400
    if age > max_age:
        return Trigger(
            "schedule",
            True,
            f"production version {production} is {days:.1f} days old (max {max_age / 86400:g})",
            {"age_days": days},
        )
    return Trigger(
        "schedule",
        False,
        f"production version {production} is {days:.1f} days old",
        {"age_days": days},
    )


def performance_trigger(
    p: PerformanceTrigger, since: dt.datetime, window: WindowReport | str
) -> Trigger:
    """Fires when ``p.metric`` of the labelled ``window`` since ``since`` is out of bounds;
    ``window`` is a text when it could not be computed (why)."""
    if isinstance(window, str):
        return Trigger("performance", False, f"not evaluated: {window}")
    value = window.metrics.get(p.metric)
    if window.status == "insufficient_data" or value is None or value.value is None:
        return Trigger(
            "performance",
            False,
            f"not evaluated: {window.labelled:,} labelled rows since {iso_utc(since)}",
        )
    low = p.min is not None and value.value < p.min
    high = p.max is not None and value.value > p.max
    bound = f"< {p.min}" if low else f"> {p.max}" if high else "within bounds"
    return Trigger(
        "performance",
        low or high,
        f"{p.metric} = {value.value:.4f} {bound} over {window.labelled:,} labelled rows",
        {"metric": p.metric, "value": value.value},
    )


def drift_trigger(d: DriftTrigger, result: DriftResult | str) -> Trigger:
    """Fires when the dataset drifted (``d.dataset``) or one of ``d.features`` did;
    ``result`` is a text when drift could not be computed (why)."""
    if isinstance(result, str):
        return Trigger("drift", False, f"not evaluated: {result}")
    dataset = result.dataset
    named = [c.column for c in result.columns if c.column in d.features and c.status == "drifted"]
    fired = (d.dataset and dataset.drifted) or bool(named)
    reason = (
        f"{dataset.n_drifted} of {dataset.n_columns} columns drifted"
        + (f" [{', '.join(dataset.drifted_columns)}]" if dataset.drifted_columns else "")
        + (f"; watched features drifted: {', '.join(named)}" if named else "")
    )
    return Trigger("drift", fired, reason, {"drifted_columns": dataset.drifted_columns})
