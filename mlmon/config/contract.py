"""A data contract: what each logged column may look like, as a reviewable YAML file.

``mlmon contract infer`` writes one from a reference window (a file, or the training data of a
version); ``check.contract`` points ``mlmon check`` at it; a registered version keeps its
training data's contract. Every share is the *largest* share allowed (the reference's share
plus ``check.tolerance``); ``mlmon check`` judges a window's share against it with an exact
binomial test, so a bound is a practical size, not a hair trigger.

```yaml
contract_version: 1
model: loan-default
source: store window 2026-10-01 .. 2026-10-08 (43,512 rows)
columns:
  income:
    kind: numerical
    null_share: 0.02            # at most 2% nulls
    zero_share: 0.02            # ... zeros (of the values present)
    nonfinite_share: 0.02       # ... NaN or ±inf
    range: [8000.0, 310000.0]   # from the 0.1% and 99.9% quantiles, widened by 10% of their span
    out_of_range_share: 0.02
    top_share: 0.05             # the most common value's share: a column stuck on one value
    spread_min: 9500.0          # the standard deviation may not fall below this
    cardinality: {min: 180, rows: 100}   # >= 180 distinct values in any window of >= 100 rows
    sentinels: [-1.0]           # values that stand for "missing"
    sentinel_share: 0.02
  region:
    kind: categorical
    null_share: 0.02
    domain: {north: 0.31, south: 0.27, east: 0.22, west: 0.2}   # value: reference share
    new_value_share: 0.02       # values outside the domain
    share_tolerance: 0.05       # each value's share may move this far (class mix; optional)
    top_share: 0.33
```
Absent keys are not checked (``top_share`` absent: the column may be constant).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from mlmon.config.base import ColumnName, Name, Section
from mlmon.errors import ConfigError

if TYPE_CHECKING:
    from mlmon.config.model import Config

Share = float
Value = int | float | str
NUMERICAL_KEYS = (
    "zero_share",
    "nonfinite_share",
    "range",
    "out_of_range_share",
    "spread_min",
)
CATEGORICAL_KEYS = ("domain", "new_value_share", "share_tolerance")
_HINT = "regenerate it with `mlmon contract infer`, or fix the key (docs/config.md: contracts)"


class Cardinality(Section):
    """At least ``min`` distinct values in any window of at least ``rows`` rows."""

    min: int = Field(ge=1)
    rows: int = Field(ge=1)


class ColumnContract(Section):
    """What one column may look like (absent keys are not checked)."""

    kind: Literal["numerical", "categorical"]
    null_share: Share = Field(default=1.0, ge=0, le=1)
    zero_share: Share | None = Field(default=None, ge=0, le=1)
    nonfinite_share: Share | None = Field(default=None, ge=0, le=1)
    range: tuple[float, float] | None = None
    out_of_range_share: Share | None = Field(default=None, ge=0, le=1)
    spread_min: float | None = Field(default=None, ge=0)
    domain: dict[Value, Share] | None = None
    new_value_share: Share | None = Field(default=None, ge=0, le=1)
    share_tolerance: float | None = Field(default=None, gt=0, le=1)
    top_share: Share | None = Field(default=None, gt=0, le=1)
    cardinality: Cardinality | None = None
    sentinels: tuple[Value, ...] = ()
    sentinel_share: Share | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _keys_fit_kind(self) -> ColumnContract:
        wrong = CATEGORICAL_KEYS if self.kind == "numerical" else NUMERICAL_KEYS
        for key in wrong:
            if getattr(self, key) is not None:
                raise PydanticCustomError(
                    "kind",
                    "{key} is not a check of a {kind} column",
                    {"key": key, "kind": self.kind},
                )
        if self.range is not None and self.range[0] > self.range[1]:
            raise PydanticCustomError("range", "range: the low end is above the high end")
        if self.share_tolerance is not None and self.domain is None:
            raise PydanticCustomError("domain", "share_tolerance needs the domain's shares")
        return self


class Contract(Section):
    """A data contract: one entry per logged column it constrains."""

    contract_version: Literal[1] = 1
    model: Name | None = None
    source: str | None = None
    """Where it was learned from (for people; not checked)."""
    columns: dict[ColumnName, ColumnContract]


def column_kinds(config: Config) -> dict[str, Literal["numerical", "categorical"]]:
    """The kind of every column a contract may name: the features, the prediction and the
    score or class probabilities, the latency and the metadata."""
    s = config.schema_
    kinds: dict[str, Literal["numerical", "categorical"]] = {}
    for c in s.features.numerical:
        kinds[c] = "numerical"
    for c in s.features.categorical:
        kinds[c] = "categorical"
    if s.prediction is not None:
        kinds[s.prediction] = "numerical" if config.model.task == "regression" else "categorical"
    if s.score is not None:
        kinds[s.score] = "numerical"
    for c in (s.probabilities or {}).values():
        kinds[c] = "numerical"
    if s.latency is not None:
        kinds[s.latency] = "numerical"
    for c in s.metadata:
        kinds[c] = "categorical"
    return kinds


def parse_contract(text: str, where: str, config: Config) -> Contract:
    """Validate contract text read from ``where`` against ``config``: every column is one
    the config logs, of the kind the config gives it (ConfigError, exit 3, naming the key)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{at}: invalid YAML: {problem}", hint=_HINT) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a contract is a mapping with 'columns'", hint=_HINT)
    try:
        contract = Contract.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err["loc"])
        key = (err.get("ctx") or {}).get("key")
        if err["type"] == "unknown_key" and key is not None:
            path = f"{path}.{key}" if path else str(key)
        raise ConfigError(f"{where}: {path}: {err['msg']}", hint=_HINT) from None
    kinds = column_kinds(config)
    for name, column in contract.columns.items():
        if name not in kinds:
            raise ConfigError(
                f"{where}: columns.{name}: not a column of the logs in "
                f"{config.source or 'the config'} (known: {', '.join(kinds)})",
                hint="a contract constrains the configured columns only: remove the entry, or "
                "add the column to schema",
            )
        if column.kind != kinds[name]:
            raise ConfigError(
                f"{where}: columns.{name}.kind: {column.kind}, but the config logs {name!r} as "
                f"{kinds[name]}",
                hint="infer the contract again from the current config, or fix schema",
            )
    if contract.model is not None and contract.model != config.model.name:
        raise ConfigError(
            f"{where}: model: the contract is for {contract.model!r}, the config for "
            f"{config.model.name!r}",
            hint="point check.contract at this model's contract",
        )
    return contract


def load_contract(path: Path, config: Config) -> Contract:
    """Read and validate the contract file at ``path`` (ConfigError when unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read the data contract ({exc.__class__.__name__}: {exc})",
            hint="write one with `mlmon contract infer --output " + str(path) + "`",
        ) from None
    return parse_contract(text, str(path), config)


def _plain(value: Any) -> Any:
    """Tuples as lists, all the way down (YAML's safe dumper writes no tuples)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dump_contract(contract: Contract, header: str = "") -> str:
    """The contract as YAML a person reviews: columns in order, flow style for short lists
    and maps, and ``header`` as leading comment lines."""
    # python mode keeps a class label 1 an int key (json mode would write '1')
    data = _plain(contract.model_dump(mode="python", exclude_none=True))
    for column in data["columns"].values():
        if column.get("null_share") == 1.0:
            column.pop("null_share")
        if not column.get("sentinels"):
            column.pop("sentinels", None)

    class _Dumper(yaml.SafeDumper):
        pass

    def short_flow(dumper: yaml.SafeDumper, value: list[object]) -> yaml.Node:
        return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)

    _Dumper.add_representer(list, short_flow)
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    return "\n".join(lines) + ("\n" if lines else "") + body
