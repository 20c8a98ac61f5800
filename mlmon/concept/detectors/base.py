"""What every change detector is: one interface, declared parameters, JSON state. Pure.

A detector reads a stream one value at a time (an error indicator, an absolute error) and
says after each value whether the stream has changed (``drift_detected``) and, where the
method has one, whether it is in a warning zone (``warning_detected``). The interface and
the defaults follow River's ``river.drift`` (version 0.26.1), so that a detector here and
River's of the same name report the same change points on the same stream:

- ``update(x)`` adds one value and returns the detector;
- after a detection, the next ``update`` first resets the detector (River's semantics: the
  detection is visible until the next value arrives);
- ``reset()`` forgets everything;
- ``feed(values)`` runs ``update`` over a whole stream and returns where it detected (what
  ``mlmon.concept.stream.trace`` calls; a detector may run it faster, with the same results).

What is new here: parameters are declared (name, default, valid range), so a config error
can name the valid range; the whole state round-trips through JSON (never pickle), so
consecutive cron runs continue one stream; ``warm_up`` says how many values a detector
needs before it can detect anything, so a shorter stream is "not enough data", not "no
drift".
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

if TYPE_CHECKING:
    import numpy as np

STATE_FORMAT = 1


@dataclass(frozen=True)
class Param:
    """One parameter: its default and the range of valid values (``low``/``high`` bounds,
    open or closed), or the valid choices."""

    default: Any
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    choices: tuple[Any, ...] | None = None
    nullable: bool = False

    def describe(self) -> str:
        """The valid values in words, e.g. ``a number in (0, 1)``."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        kind = "an integer" if self.integer else "a number"
        if self.low is not None and self.high is not None:
            left = "(" if self.low_open else "["
            right = ")" if self.high_open else "]"
            kind = f"{kind} in {left}{_num(self.low)}, {_num(self.high)}{right}"
        elif self.low is not None:
            kind = f"{kind} {'>' if self.low_open else '>='} {_num(self.low)}"
        elif self.high is not None:
            kind = f"{kind} {'<' if self.high_open else '<='} {_num(self.high)}"
        return f"{kind} or null" if self.nullable else kind

    def valid(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        if self.choices is not None:
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (
            self.high is not None and (value >= self.high if self.high_open else value > self.high)
        )


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


class Detector(abc.ABC):
    """A change detector over a stream of numbers (see the module docstring).

    Subclasses declare ``name``, ``PARAMS``, ``STATE`` (the attribute names that make up
    their state besides the two flags) and implement ``_clear`` (the state after a reset)
    and ``_step`` (one value)."""

    name: ClassVar[str]
    binary: ClassVar[bool] = False
    """The input is a 0/1 indicator (an error) or a value in [0, 1], not any number."""
    has_warning: ClassVar[bool] = False
    PARAMS: ClassVar[dict[str, Param]] = {}
    STATE: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.PARAMS))
        if unknown:
            raise ValueError(
                f"{self.name}: unknown parameter {unknown[0]!r}; "
                f"choose from: {', '.join(sorted(self.PARAMS)) or '(none)'}"
            )
        values = {k: p.default for k, p in self.PARAMS.items()} | params
        for key, value in values.items():
            spec = self.PARAMS[key]
            if spec.integer and isinstance(value, float) and value.is_integer():
                value = int(value)
                values[key] = value
            if not spec.valid(value):
                raise ValueError(f"{self.name}: {key} must be {spec.describe()} (got {value!r})")
        self.params: dict[str, Any] = values
        self._check(values)
        self.reset()

    def _check(self, params: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """Checks across parameters (raise ValueError); none by default."""

    # -- the interface ------------------------------------------------------------------

    def update(self, x: float) -> Self:
        """Add one value; afterwards ``drift_detected`` (and ``warning_detected``) say what
        the stream looks like now."""
        if self.drift_detected:
            self.reset()
        self._step(float(x))
        return self

    def feed(self, values: Sequence[float] | np.ndarray) -> tuple[list[int], list[int | None]]:
        """``update`` with each of ``values`` in turn (continuing the state): the positions
        where drift was detected and, for each, where the warning zone that preceded it began
        (None: no warning on the update before). Detectors override this only with a faster
        loop that leaves the same state and returns the same positions.

        >>> from mlmon.concept.detectors.ddm import DDM
        >>> DDM().feed([0, 0, 0, 1] * 50 + [1, 1, 0] * 20)  # error rate 0.25, then 0.67
        ([231], [212])
        """
        drifts: list[int] = []
        warnings: list[int | None] = []
        zone: int | None = None
        update = self.update
        for i, x in enumerate(values):
            update(x)
            if self.drift_detected:
                drifts.append(i)
                warnings.append(zone)
                zone = None
            elif self.warning_detected:
                zone = i if zone is None else zone
            else:
                zone = None
        return drifts, warnings

    def reset(self) -> None:
        """Forget the stream: the state of a new detector with the same parameters."""
        self.drift_detected = False
        self.warning_detected = False
        self._clear()

    @property
    def warm_up(self) -> int:
        """How many values after a reset before this detector can detect a change."""
        return 1

    def warm_up_within(self, span: float) -> int:
        """:attr:`warm_up` for a stream whose values lie within an interval of width
        ``span`` (1 for an error indicator), where a detector that reads magnitudes may need
        more values; the same as :attr:`warm_up` unless a detector says otherwise."""
        return self.warm_up

    # -- state ----------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The whole detector as JSON-compatible data (floats ±inf and nan as strings)."""
        values = {k: getattr(self, k) for k in self.STATE}
        values["drift_detected"] = self.drift_detected
        values["warning_detected"] = self.warning_detected
        return {
            "format": STATE_FORMAT,
            "detector": self.name,
            "params": dict(self.params),
            "state": _encode(values),
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Self:
        """The detector :meth:`state` described; later updates give identical outputs."""
        if data.get("format") != STATE_FORMAT or data.get("detector") != cls.name:
            raise ValueError(
                f"not a {cls.name} state of format {STATE_FORMAT}: "
                f"{data.get('detector')!r}, format {data.get('format')!r}"
            )
        detector = cls(**data["params"])
        values = _decode(data["state"])
        missing = [k for k in (*cls.STATE, "drift_detected", "warning_detected") if k not in values]
        if missing:
            raise ValueError(f"{cls.name} state lacks {', '.join(missing)}")
        for key, value in values.items():
            setattr(detector, key, value)
        detector._restored()
        return detector

    def _restored(self) -> None:  # noqa: B027 - optional hook
        """Rebuild derived attributes after :meth:`from_state` (nothing by default)."""

    # -- for subclasses -------------------------------------------------------------------

    @abc.abstractmethod
    def _clear(self) -> None:
        """Set the state attributes (those in ``STATE``) to their values after a reset."""

    @abc.abstractmethod
    def _step(self, x: float) -> None:
        """Take one value and set ``drift_detected`` / ``warning_detected``."""


def _encode(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}  # 'inf', '-inf', 'nan': JSON has no such numbers
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"float"}:
            return float(value["float"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
