"""``mlmon promote``: gate a candidate against production on the same labelled rows, then move
the ``production`` alias (see :mod:`mlmon.lifecycle.promote` for the rules).

This module reads the registry and the store and moves the alias; the gate's decision is
:mod:`mlmon.lifecycle.promote`'s.
"""

from __future__ import annotations

from mlmon.config import Config
from mlmon.errors import RegistryError
from mlmon.lifecycle import promote as lp
from mlmon.lifecycle.promote import PromoteResult
from mlmon.ops.retrain import training_data
from mlmon.ops.window import When, resolve
from mlmon.registry import open_registry
from mlmon.registry.artifact import load_model


def run(
    config: Config,
    version: str | None = None,
    *,
    until: When = None,
    dry_run: bool = False,
    force: str | None = None,
    reason: str | None = None,
) -> PromoteResult:
    """Gate ``version`` (default: the candidate) against production on the labelled rows up
    to ``until`` (None: now; ``"latest"``: the end of the day of the store's newest row);
    promote it if it passes, unless ``dry_run``.

    ``force`` (the reason, recorded) promotes past a failed gate, and is also what it takes
    to promote a version that was rolled back out of production. ``reason`` is recorded in
    the event when there is no ``force``. The status is ``finding`` when the gate fails."""
    _, end = resolve(config, None, until)
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
    since = lp.comparison_since(registry.metadata(candidate), end)
    data = training_data(config, since, end, with_base=False)
    lp.check_rows(config, data, forced=force is not None)
    trusted = config.retrain.trusted_types
    cand_model = load_model(registry.artifact_path(candidate), trusted)
    prod_model = (
        None if production is None else load_model(registry.artifact_path(production), trusted)
    )
    gate = lp.gate(config, data, cand_model, prod_model)
    if dry_run:
        return PromoteResult(candidate, production, production, False, gate, dry_run, force)
    details = gate.to_dict()
    if not gate.passed and force is None:
        registry.record("gate_failed", version=candidate, reason=reason, details=details)
        return PromoteResult(candidate, production, production, False, gate, dry_run, force)
    registry.set_alias(
        "production",
        candidate,
        "promoted" if gate.passed else "forced",
        reason=reason,
        details=details,
        expect=production,
    )
    return PromoteResult(candidate, production, candidate, True, gate, dry_run, force)
