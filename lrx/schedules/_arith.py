"""Schedule arithmetic: ``scaled`` (``c * s``) and ``product`` (``s * t``).

``Schedule.__mul__`` builds these registered types by name (the base class sits below this
module). Both check their float32 range at construction: a product whose bound exceeds the
largest float32 (``~3.4e38``) is a ``ValueError`` naming the argument, not ``inf`` later.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, cast

import jax

from lrx._types import Hyper
from lrx._validate import FLOAT32_MAX, check_float, static_value
from lrx.schedules._base import Schedule
from lrx.schedules._common import as_f32, set_field
from lrx.schedules._config import register, schedule_field, schedules_field
from lrx.schedules.decay import Constant

__all__ = ["Product", "Scaled", "child_schedule"]


def child_schedule(name: str, value: Any) -> Schedule:
    """A child of an arithmetic schedule: a Schedule as is, a real number as ``constant``."""
    if isinstance(value, Schedule):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            return cast(Schedule, Constant(value=cast(float, value)))
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from None
    raise ValueError(f"{name} must be an lrx Schedule or a number, got {value!r}")


@register("scaled")
class Scaled(Schedule):
    """``s(t) = factor * schedule(t)``: what ``c * s`` and ``s * c`` build."""

    factor: Hyper
    schedule: Schedule = schedule_field()

    def __post_init__(self) -> None:
        set_field(self, "factor", check_float("factor", self.factor, lo=0.0))
        set_field(self, "schedule", child_schedule("schedule", self.schedule))
        bound = self._max_value()
        if bound is not None and bound > FLOAT32_MAX:
            raise ValueError(
                f"factor * schedule overflows float32 (up to {bound:.4g}): factor must be "
                f"<= {FLOAT32_MAX / (bound / self.factor):.4g} for {self.schedule!r}, "
                f"got {self.factor!r}"
            )

    def _max_value(self) -> float | None:
        factor, inner = static_value(self.factor), self.schedule._max_value()
        return None if factor is None or inner is None else factor * inner

    def _value(self, t: jax.Array) -> jax.Array:
        return cast(jax.Array, as_f32(self.factor) * self.schedule(t))

    def _value_at(self, count: jax.Array) -> jax.Array:
        return cast(jax.Array, as_f32(self.factor) * self.schedule(count))


@register("product")
class Product(Schedule):
    """``s(t) = schedules[0](t) * schedules[1](t) * ...``: what ``s * t`` builds."""

    schedules: Sequence[Schedule] = schedules_field()

    def __post_init__(self) -> None:
        value = self.schedules
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
            raise ValueError(f"schedules must be a non-empty list of schedules, got {value!r}")
        children = tuple(child_schedule(f"schedules[{i}]", s) for i, s in enumerate(value))
        set_field(self, "schedules", children)
        bound = self._max_value()
        if bound is not None and bound > FLOAT32_MAX:
            raise ValueError(
                f"schedules: their product overflows float32 (up to {bound:.4g}), got "
                f"{list(self.schedules)!r}"
            )

    def _max_value(self) -> float | None:
        bound = 1.0
        for s in self.schedules:
            b = s._max_value()
            if b is None:
                return None
            bound *= b
        return bound

    def _value(self, t: jax.Array) -> jax.Array:
        value = self.schedules[0](t)
        for s in self.schedules[1:]:
            value = value * s(t)
        return value

    def _value_at(self, count: jax.Array) -> jax.Array:
        value = self.schedules[0](count)
        for s in self.schedules[1:]:
            value = value * s(count)
        return value
