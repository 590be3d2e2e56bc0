"""Composite schedules: ``sequence`` (join), ``per_epoch`` (step per epoch), ``from_fn``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from lrx._validate import NOT_A_NUMBER, as_number, check_int
from lrx.schedules._arith import Product as Product  # registers "product" for ``s * t``
from lrx.schedules._arith import Scaled as Scaled  # registers "scaled" for ``c * s``
from lrx.schedules._base import Schedule
from lrx.schedules._common import (
    as_f32,
    as_int,
    bound,
    check_sorted_ints,
    check_static,
    floordiv,
    set_field,
)
from lrx.schedules._config import register, schedule_field, schedules_field, static_field
from lrx.schedules.decay import Constant

__all__ = ["from_fn", "per_epoch", "sequence"]


def as_schedule(name: str, value: Any) -> Schedule:
    """A child schedule: a Schedule as is, a number as ``constant``, a callable via ``from_fn``."""
    if isinstance(value, Schedule):
        return value
    number = as_number(name, value)
    if number is not NOT_A_NUMBER:
        try:
            # Constant.__post_init__ validates the number (Python, NumPy or 0-d JAX, any dtype)
            return Constant(value=number)
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from None
    if callable(value):
        return FromFn(fn=value)
    raise ValueError(f"{name} must be an lrx Schedule, a number or a callable, got {value!r}")


@register("from_fn")
class FromFn(Schedule):
    """Wraps a jittable ``count -> value`` callable; not serializable (torch ``LambdaLR``)."""

    _serializable = False

    fn: Callable[[jax.Array], Any] = static_field()

    def __post_init__(self) -> None:
        check_static("fn", self.fn)
        if isinstance(self.fn, Schedule) or not callable(self.fn):
            raise ValueError(f"fn must be a callable (count -> learning rate), got {self.fn!r}")
        _trace_once(self.fn)

    def _value(self, t: jax.Array) -> jax.Array:
        value = jnp.asarray(self.fn(t))
        if not jnp.issubdtype(value.dtype, jnp.floating) and not jnp.issubdtype(
            value.dtype, jnp.integer
        ):
            raise ValueError(f"fn must return a real number or array, got dtype {value.dtype}")
        return jnp.broadcast_to(value.astype(jnp.float32), t.shape)


_CONTROL_FLOW_ERRORS = (
    jax.errors.TracerBoolConversionError,
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerIntegerConversionError,
)


def _trace_once(fn: Callable[[jax.Array], Any]) -> None:
    """Trace ``fn`` abstractly on a float32 scalar count (no FLOPs): catch Python branching."""
    try:
        spec = jax.ShapeDtypeStruct((), jnp.float32)  # type: ignore[no-untyped-call]
        out = jax.eval_shape(fn, spec)
    except _CONTROL_FLOW_ERRORS as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(
            f"fn uses Python control flow on the count ({type(e).__name__}: {first}). "
            "A schedule runs under jit, where the count is a traced array: write branches "
            "as jnp.where(t < warmup, t / warmup, decay) or jax.lax.cond, replace "
            "min/max/float() by jnp.minimum/jnp.maximum/astype, or use a named schedule "
            "(lrx.warmup, lrx.warmup_cosine, lrx.linear_schedule, lrx.sequence, ...)"
        ) from None
    except Exception as e:  # any other failure: report it at construction, as a ValueError
        raise ValueError(
            f"fn must be a jittable count -> learning rate function; calling it on a traced "
            f"float32 scalar count raised {type(e).__name__}: {e}"
        ) from None
    leaves = jax.tree_util.tree_leaves(out)
    if len(leaves) != 1 or not hasattr(leaves[0], "dtype"):
        raise ValueError(f"fn must return one real number or array, got {out!r}")
    dtype = leaves[0].dtype
    if not (jnp.issubdtype(dtype, jnp.floating) or jnp.issubdtype(dtype, jnp.integer)):
        raise ValueError(f"fn must return a real number or array, got dtype {dtype}")
    if leaves[0].shape != ():
        raise ValueError(
            f"fn must map a scalar count to a scalar value, got shape {leaves[0].shape}"
        )


def from_fn(fn: Callable[[jax.Array], Any]) -> Schedule:
    """Wrap a jittable callable ``count -> learning rate`` as a Schedule.

    Formula: ``s(t) = fn(t)``, where ``fn`` receives the count as a float32 array (any
    shape; it must use ``jnp`` only, no Python branching on the count) and returns a value
    broadcastable to it. ``fn`` is traced once abstractly at construction (``jax.eval_shape``
    on a float32 scalar, no computation): Python control flow on the count (``if t < W``,
    ``min(t, W)``, ``float(t)``) raises ``ValueError`` there, not later under ``jit``.
    The result is a Schedule (printable, usable in ``sequence``, ``warmup``, ``values``,
    a pytree whose ``fn`` is static) but it cannot be serialized: ``to_config`` raises
    ``TypeError``. Two ``from_fn`` schedules are equal when they wrap the same function
    object.

    Hugging Face's ``LambdaLR`` lambdas branch in Python; rewrite them with ``jnp.where``
    (or, better, use the named schedule, which also serializes). With ``lr`` the peak,
    ``W`` the warm-up and ``T`` the total number of updates:

    * ``get_linear_schedule_with_warmup``:
      ``from_fn(lambda t: lr * jnp.where(t < W, t / W, jnp.maximum(0.0, (T - t) / (T - W))))``
      is ``lrx.warmup(lrx.linear_schedule(lr, 0.0, T - W), W)``.
    * ``get_cosine_schedule_with_warmup``:
      ``from_fn(lambda t: lr * jnp.where(t < W, t / W,
      0.5 * (1 + jnp.cos(jnp.pi * jnp.clip((t - W) / (T - W), 0, 1)))))``
      is ``lrx.warmup_cosine(lr, W, T)``.

    Peers: torch ``LambdaLR(lr_lambda)`` with ``lr=1`` (or ``fn = lr * lr_lambda``).
    A Schedule passed in is returned as is.

    Args:
        fn: a jittable ``count -> value`` function.

    Example:
        >>> import jax.numpy as jnp
        >>> import lrx
        >>> s = lrx.from_fn(lambda t: 0.1 / jnp.sqrt(1.0 + t))
        >>> [round(v, 4) for v in s.values(4).tolist()]
        [0.1, 0.0707, 0.0577, 0.05]
        >>> lrx.from_fn(lambda t: 0.1 if t < 5 else 0.01)
        Traceback (most recent call last):
        ...
        ValueError: fn uses Python control flow on the count (...
        >>> lr, W, T = 0.1, 4, 20
        >>> hf_linear = lrx.from_fn(
        ...     lambda t: lr * jnp.where(t < W, t / W, jnp.maximum(0.0, (T - t) / (T - W))))
        >>> named = lrx.warmup(lrx.linear_schedule(lr, 0.0, T - W), W)
        >>> bool(jnp.allclose(hf_linear.values(30), named.values(30), atol=1e-7))
        True
        >>> hf_cosine = lrx.from_fn(lambda t: lr * jnp.where(
        ...     t < W, t / W, 0.5 * (1 + jnp.cos(jnp.pi * jnp.clip((t - W) / (T - W), 0, 1)))))
        >>> bool(jnp.allclose(hf_cosine.values(30), lrx.warmup_cosine(lr, W, T).values(30),
        ...                   atol=1e-7))
        True
    """
    if isinstance(fn, Schedule):
        return fn
    return FromFn(fn=fn)


def _check_schedules(value: Any) -> tuple[Schedule, ...]:
    """A non-empty list of schedules (numbers and callables wrapped) as a tuple."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"schedules must be a list of schedules, got {value!r}")
    if not value:
        raise ValueError("schedules must hold at least one schedule, got []")
    return tuple(as_schedule(f"schedules[{i}]", s) for i, s in enumerate(value))


@register("sequence")
class SequenceSchedule(Schedule):
    """Schedule ``i`` on ``[boundaries[i-1], boundaries[i])``, run on ``t - boundaries[i-1]``."""

    # any sequences (numbers and callables allowed in schedules); stored as tuples of
    # Schedule and int by __post_init__
    schedules: Sequence[Schedule] = schedules_field()
    boundaries: Sequence[int]

    def __post_init__(self) -> None:
        set_field(self, "schedules", _check_schedules(self.schedules))
        set_field(self, "boundaries", check_sorted_ints("boundaries", self.boundaries))
        if len(self.boundaries) != len(self.schedules) - 1:
            raise ValueError(
                f"boundaries must hold len(schedules) - 1 = {len(self.schedules) - 1} "
                f"integers, got {list(self.boundaries)!r}"
            )

    def _max_value(self) -> float | None:
        bounds = [s._max_value() for s in self.schedules]
        return None if any(b is None for b in bounds) else bound(*bounds)

    def _value(self, t: jax.Array) -> jax.Array:
        value = self.schedules[0](t)
        for b, s in zip(self.boundaries, self.schedules[1:], strict=True):
            b = as_f32(b)
            value = jnp.where(t >= b, s(jnp.maximum(t - b, 0.0)), value)
        return value

    def _value_at(self, count: jax.Array) -> jax.Array:
        # boundaries and shifts in integer arithmetic: exact for every int32 count
        value = self.schedules[0](count)
        for b, s in zip(self.boundaries, self.schedules[1:], strict=True):
            b = as_int(b, count.dtype)
            value = jnp.where(count >= b, s(jnp.maximum(count - b, 0)), value)
        return value


def sequence(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run schedules one after another; each restarts its own count at its boundary.

    Formula: ``s(t) = schedules[i](t - boundaries[i-1])`` for
    ``boundaries[i-1] <= t < boundaries[i]`` (``boundaries[-1] = 0`` for the first
    schedule, the last one runs forever). A number in ``schedules`` means ``constant``;
    a plain callable means ``from_fn``.

    Peers: torch ``SequentialLR(schedulers, milestones=boundaries)``; optax
    ``join_schedules(schedules, boundaries)``.

    Args:
        schedules: one or more schedules.
        boundaries: ``len(schedules) - 1`` sorted integers >= 0, the update counts where
            the next schedule takes over.

    Example:
        >>> import lrx
        >>> s = lrx.sequence([lrx.linear_schedule(0.0, 1.0, 2), lrx.step_decay(1.0, 2, 0.5)],
        ...                  boundaries=[2])
        >>> s.values(7).tolist()
        [0.0, 0.5, 1.0, 1.0, 0.5, 0.5, 0.25]
    """
    return SequenceSchedule(schedules=schedules, boundaries=boundaries)


@register("per_epoch")
class PerEpoch(Schedule):
    """``s(t) = schedule(t // steps_per_epoch)``: a per-epoch schedule driven by updates."""

    schedule: Schedule = schedule_field()
    steps_per_epoch: int

    def __post_init__(self) -> None:
        set_field(self, "schedule", as_schedule("schedule", self.schedule))
        set_field(self, "steps_per_epoch", check_int("steps_per_epoch", self.steps_per_epoch, lo=1))

    def _max_value(self) -> float | None:
        return self.schedule._max_value()

    def _value(self, t: jax.Array) -> jax.Array:
        return self.schedule(floordiv(t, self.steps_per_epoch))

    def _value_at(self, count: jax.Array) -> jax.Array:
        return self.schedule(count // as_int(self.steps_per_epoch, count.dtype))


def per_epoch(schedule: Schedule, steps_per_epoch: int) -> Schedule:
    """Step a schedule once per epoch while the optimizer counts updates.

    Formula: ``s(t) = schedule(floor(t / steps_per_epoch))``: the learning rate of every
    update in epoch ``e`` is ``schedule(e)``, as a torch scheduler whose ``step()`` is
    called once per epoch (article 002's schedulers are all per-epoch).

    Args:
        schedule: the per-epoch schedule (a number means ``constant``).
        steps_per_epoch: updates per epoch; integer >= 1.

    Example:
        >>> import lrx
        >>> s = lrx.per_epoch(lrx.step_decay(1.0, step_size=1, gamma=0.5), steps_per_epoch=2)
        >>> s.values(6).tolist()
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    return PerEpoch(schedule=schedule, steps_per_epoch=steps_per_epoch)
