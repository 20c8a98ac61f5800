"""Training/serving skew at promotion: does the recent serving data still look like the data
the candidate was trained on? Pure.

``mlmon retrain`` stores the contract of a version's training rows (``contract.yaml``, learned
by :func:`mlmon.lifecycle.retrain.training_contract`). ``mlmon promote`` checks the serving
data of the window the gate compares on (every logged row of it, labelled or not) against the
*candidate's* contract, all checks as one window with the multiple-testing correction of
``mlmon check`` (:func:`mlmon.ops.columns.judge_frame`).

Only the contract's **feature** columns are checked: the outputs logged in that window
(prediction, score, probabilities) are the production model's, not the candidate's, so they
cannot say whether the candidate is fit for the data.

With ``promote.require_contract`` a violation is one more rule of the gate, which then fails
(nothing moves, ``gate_failed`` is logged); without it the violations are reported and the gate
decides alone. A version registered before contracts were stored has none (``absent``), and a
window too small to judge is ``insufficient_data``: neither refuses a promotion.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mlmon.config.contract import Contract
from mlmon.health.judge import summary, worst
from mlmon.health.result import CheckGroup
from mlmon.lifecycle.gate import GateResult, GateRule

STATUSES = ("ok", "violated", "insufficient_data", "absent")


@dataclass(frozen=True)
class Violation:
    """One contract check the serving data fails."""

    check: str
    column: str | None
    kind: str
    summary: str
    p_adjusted: float | None
    evidence: dict[str, Any]
    """The failing check's figures (share, bound, counts, p-values) as ``mlmon check`` has them."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "column": self.column,
            "kind": self.kind,
            "summary": self.summary,
            "p_adjusted": self.p_adjusted,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class ContractCheck:
    """The candidate's training contract against the serving data of the comparison window."""

    version: str
    status: str
    """``ok``, ``violated``, ``insufficient_data`` or ``absent`` (no contract stored)."""
    required: bool
    """``promote.require_contract``: a violation fails the gate."""
    since: str | None = None
    until: str | None = None
    rows: int | None = None
    """Serving rows in the window (None when nothing was read)."""
    columns: tuple[str, ...] = ()
    """The feature columns checked."""
    violations: tuple[Violation, ...] = ()
    reason: str | None = None
    """Why there is no verdict (``absent``, ``insufficient_data``)."""

    @property
    def refuses(self) -> bool:
        return self.required and self.status == "violated"

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "status": self.status,
            "required": self.required,
            "since": self.since,
            "until": self.until,
            "rows": self.rows,
            "columns": list(self.columns),
            "violations": [v.to_dict() for v in self.violations],
            "reason": self.reason,
        }

    def rule(self) -> GateRule:
        """This check as a rule of the gate (it fails only on a violation)."""
        head = (
            f"contract: the serving data must satisfy version {self.version}'s training "
            "contract (promote.require_contract)"
        )
        if self.status == "violated":
            found = "; ".join(v.summary for v in self.violations)
            return GateRule(f"{head}; it violates {len(self.violations)}: {found}", False)
        if self.status == "ok":
            return GateRule(f"{head}; it does ({len(self.columns)} feature columns)", True)
        return GateRule(f"{head}; not applied: {self.reason}", True)

    def warnings(self) -> tuple[str, ...]:
        """One line per violation, for stderr."""
        return tuple(
            f"the serving data since {self.since} violates the training contract of version "
            f"{self.version}: {v.summary}"
            for v in self.violations
        )


def features_only(contract: Contract, features: Iterable[str]) -> Contract:
    """``contract`` reduced to the feature columns (see the module docstring)."""
    keep = set(features)
    columns = {n: c for n, c in contract.columns.items() if n in keep}
    return contract.model_copy(update={"columns": columns})


def absent(version: str, required: bool) -> ContractCheck:
    """A version registered without a training contract."""
    return ContractCheck(
        version,
        "absent",
        required,
        reason=f"version {version} has no training contract (registered before mlmon "
        "stored them, or not by mlmon retrain)",
    )


def judged(
    version: str,
    groups: Sequence[CheckGroup],
    *,
    required: bool,
    since: str | None,
    until: str | None,
    rows: int,
    columns: Sequence[str],
    min_rows: int,
) -> ContractCheck:
    """The verdict of the contract's check ``groups`` over the window's ``rows`` serving rows:
    ``violated`` when any failed, ``insufficient_data`` when none could be judged."""
    failed = [g for g in groups if g.status == "finding"]
    violations = tuple(_violation(g) for g in failed)
    judged_any = any(g.status != "insufficient_data" for g in groups)
    status, reason = "ok", None
    if violations:
        status = "violated"
    elif not columns:
        status, reason = "insufficient_data", "the contract names no feature column"
    elif not judged_any:
        status = "insufficient_data"
        reason = f"{rows:,} serving rows, fewer than check.min_rows ({min_rows:,}) values"
    return ContractCheck(
        version, status, required, since, until, rows, tuple(columns), violations, reason
    )


def apply(gate: GateResult, check: ContractCheck) -> GateResult:
    """``gate`` with the contract as one more rule when it is required."""
    if not check.required:
        return gate
    rule = check.rule()
    return replace(gate, rules=(*gate.rules, rule), passed=gate.passed and rule.passed)


def _violation(group: CheckGroup) -> Violation:
    item = worst(group.failed)
    return Violation(
        group.check, group.column, group.kind, summary(item), item.p_adjusted, item.to_dict()
    )
