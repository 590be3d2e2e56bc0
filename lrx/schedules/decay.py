"""Decay schedules: constant, step, multistep, exponential, polynomial, linear, inverse sqrt,
and optax's piecewise interpolation.

Every schedule here is monotone (non-increasing for decays with ``gamma <= 1``), evaluated
in float32 from the count ``t`` (a float32 array), finite for every count up to
``2**31 - 1``. Powers ``gamma**x`` are computed as ``exp(x * log(gamma))`` with ``log(gamma)``
taken in float64 on the host, so the relative error stays ~1e-6 even after thousands of
decays.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from lrx._types import Hyper
from lrx._validate import (
    FLOAT32_MAX,
    INT32_MAX,
    check_bool,
    check_float,
    check_int,
    is_traced,
    static_value,
)
from lrx.schedules._base import Schedule, register, static_field
from lrx.schedules._common import (
    as_f32,
    as_int,
    bound,
    check_divisor,
    check_gamma,
    check_sorted_ints,
    cos_frac,
    floordiv,
    power,
    set_field,
)

P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "constant",
    "exponential_decay",
    "inverse_sqrt",
    "inverse_time_decay",
    "linear_schedule",
    "multistep_decay",
    "polynomial_decay",
    "step_decay",
]


@register("constant")
class Constant(Schedule):
    """``s(t) = value`` (torch ``ConstantLR(factor=1)``)."""

    value: Hyper

    def __post_init__(self) -> None:
        set_field(self, "value", check_float("value", self.value, lo=0.0))

    def _max_value(self) -> float | None:
        return bound(self.value)

    def _value(self, t: jax.Array) -> jax.Array:
        return jnp.broadcast_to(jnp.asarray(as_f32(self.value), jnp.float32), t.shape)


def constant(value: Hyper) -> Schedule:
    """A constant learning rate.

    Formula: ``s(t) = value``. Same numbers as torch ``ConstantLR(factor=1.0)``.

    Args:
        value: the learning rate, finite and >= 0.

    Example:
        >>> import lrx
        >>> lrx.constant(0.01)(5).item()
        0.009999999776482582
    """
    return Constant(value=value)


@register("step_decay")
class StepDecay(Schedule):
    """``s(t) = init_value * gamma ** floor(t / step_size)`` (torch ``StepLR``)."""

    init_value: Hyper
    step_size: int
    gamma: Hyper = 0.1

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "step_size", check_int("step_size", self.step_size, lo=1))
        set_field(self, "gamma", check_gamma(self.gamma))

    def _max_value(self) -> float | None:
        return bound(self.init_value)  # gamma <= 1: never above the start

    def _value(self, t: jax.Array) -> jax.Array:
        return jnp.asarray(as_f32(self.init_value) * power(self.gamma, floordiv(t, self.step_size)))

    def _value_at(self, count: jax.Array) -> jax.Array:
        # the number of decays in integer arithmetic: exact for every int32 count
        decays = count // as_int(self.step_size, count.dtype)
        return jnp.asarray(as_f32(self.init_value) * power(self.gamma, decays.astype(jnp.float32)))


def step_decay(init_value: Hyper, step_size: int, gamma: Hyper = 0.1) -> Schedule:
    """Step decay: multiply by ``gamma`` every ``step_size`` updates.

    Formula (article 003 §4.2 "Step Decay"):
    ``s(t) = init_value * gamma ** floor(t / step_size)``.
    Same numbers as torch ``StepLR(step_size, gamma)`` with ``lr=init_value``.

    Args:
        init_value: the learning rate for ``t < step_size``; finite, >= 0.
        step_size: updates between two decays; integer >= 1.
        gamma: the decay factor, in (0, 1]. Default 0.1.

    Example:
        >>> import lrx
        >>> lrx.step_decay(1.0, step_size=2, gamma=0.5).values(6).tolist()
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    return StepDecay(init_value=init_value, step_size=step_size, gamma=gamma)


@register("multistep_decay")
class MultistepDecay(Schedule):
    """``s(t) = init_value * gamma ** #{m in milestones : m <= t}`` (torch ``MultiStepLR``)."""

    init_value: Hyper
    milestones: Sequence[int]  # any sequence; stored as a tuple by __post_init__
    gamma: Hyper = 0.1

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "milestones", check_sorted_ints("milestones", self.milestones))
        set_field(self, "gamma", check_gamma(self.gamma))

    def _max_value(self) -> float | None:
        return bound(self.init_value)  # gamma <= 1: never above the start

    def _value(self, t: jax.Array) -> jax.Array:
        if not self.milestones:
            return jnp.broadcast_to(jnp.asarray(as_f32(self.init_value), jnp.float32), t.shape)
        ms = jnp.stack([jnp.asarray(as_f32(m), jnp.float32) for m in self.milestones])
        passed = jnp.searchsorted(ms, t, side="right").astype(jnp.float32)
        return jnp.asarray(as_f32(self.init_value) * power(self.gamma, passed))

    def _value_at(self, count: jax.Array) -> jax.Array:
        # milestones compared in integer arithmetic: exact for every int32 count
        if not self.milestones:
            return self._value(count.astype(jnp.float32))
        ms = jnp.stack([jnp.asarray(as_int(m, count.dtype), count.dtype) for m in self.milestones])
        passed = jnp.searchsorted(ms, count, side="right").astype(jnp.float32)
        return jnp.asarray(as_f32(self.init_value) * power(self.gamma, passed))


def multistep_decay(init_value: Hyper, milestones: Sequence[int], gamma: Hyper = 0.1) -> Schedule:
    """Multiply by ``gamma`` at each milestone.

    Formula: ``s(t) = init_value * gamma ** (number of milestones m with m <= t)``, the
    step decay of article 003 §4.2 with hand-placed steps. A milestone listed
    twice decays twice, as torch. Same numbers as torch ``MultiStepLR(milestones, gamma)``.

    Args:
        init_value: the learning rate before the first milestone; finite, >= 0.
        milestones: update counts where the decay happens; sorted integers >= 0.
        gamma: the decay factor, in (0, 1]. Default 0.1.

    Example:
        >>> import lrx
        >>> lrx.multistep_decay(1.0, milestones=[2, 3], gamma=0.5).values(5).tolist()
        [1.0, 1.0, 0.5, 0.25, 0.25]
    """
    return MultistepDecay(init_value=init_value, milestones=milestones, gamma=gamma)


def _signature_hint(hint: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Turn a call that does not bind to the signature into a ``ValueError`` showing ``hint``.

    For names whose signature changed to optax's in 0.3.0: an old call (missing a new
    positional argument, or an old keyword) is reported with the new form instead of a
    bare ``TypeError``; the wrapped function keeps its signature (``inspect.signature``).
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                sig.bind(*args, **kwargs)
            except TypeError as e:
                raise ValueError(f"{fn.__name__}: {e}. {hint}") from None
            return fn(*args, **kwargs)

        return wrapper

    return decorate


def _num(x: ArrayLike | None) -> Any:
    """A number, array or tracer handed to a schedule field (validated there)."""
    return x


def _check_transition_steps(value: Any) -> Any:
    return check_int("transition_steps", value, lo=1)


def _check_begin(value: Any) -> Any:
    """``transition_begin``: an integer; a negative concrete one is 0 (as optax)."""
    v = check_int("transition_begin", value, lo=-INT32_MAX)
    return 0 if not is_traced(v) and v < 0 else v


def _constant_when(transition_steps: Any) -> bool:
    """optax's rule: a concrete ``transition_steps <= 0`` gives the constant ``init_value``."""
    v = static_value(transition_steps)
    if v is None:
        return False
    check_int("transition_steps", transition_steps, lo=-INT32_MAX)
    return bool(v <= 0)


@register("exponential_decay")
class ExponentialDecay(Schedule):
    """``s(t) = init_value * decay_rate ** ((t - transition_begin) / transition_steps)``."""

    init_value: Hyper
    transition_steps: int
    decay_rate: Hyper
    transition_begin: int = 0
    staircase: bool = static_field(default=False)
    end_value: float | None = None

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "transition_steps", _check_transition_steps(self.transition_steps))
        rate = check_float("decay_rate", self.decay_rate, lo=0.0, lo_open=True)
        r = static_value(rate)
        if r is None or r <= 1.0:
            rate = check_gamma(rate, "decay_rate")
        set_field(self, "decay_rate", rate)
        set_field(self, "transition_begin", _check_begin(self.transition_begin))
        set_field(self, "staircase", check_bool("staircase", self.staircase))
        if self.end_value is not None:
            set_field(self, "end_value", check_float("end_value", self.end_value, lo=0.0))
        if r is not None and r > 1.0 and self.end_value is None:
            raise ValueError(
                "decay_rate > 1 grows without bound (inf in float32): pass end_value "
                f"(the cap), got decay_rate={r!r}"
            )

    def _max_value(self) -> float | None:
        r = static_value(self.decay_rate)
        if r is not None and r > 1.0:
            return bound(self.end_value)
        if r is not None and r == 1.0 and self.end_value is not None:
            init, end = static_value(self.init_value), static_value(self.end_value)
            return None if init is None or end is None else float(min(init, end))
        if self.end_value is None:
            return bound(self.init_value)  # decay_rate < 1: never above the start
        return bound(self.init_value, self.end_value)

    def _clip(self, value: jax.Array) -> jax.Array:
        # optax: max(value, end_value) when decay_rate < 1, else min(value, end_value)
        if self.end_value is None:
            return value
        end = as_f32(self.end_value)
        r = static_value(self.decay_rate)
        if r is not None:
            return jnp.maximum(value, end) if r < 1.0 else jnp.minimum(value, end)
        rate = as_f32(self.decay_rate)
        return jnp.where(rate < 1.0, jnp.maximum(value, end), jnp.minimum(value, end))

    def _decayed(self, x: jax.Array) -> jax.Array:
        return self._clip(as_f32(self.init_value) * power(self.decay_rate, x))

    def _value(self, t: jax.Array) -> jax.Array:
        done = jnp.maximum(t - as_f32(self.transition_begin), 0.0)
        steps = self.transition_steps
        return self._decayed(floordiv(done, steps) if self.staircase else done / as_f32(steps))

    def _value_at(self, count: jax.Array) -> jax.Array:
        # the shift and the number of periods in integer arithmetic: exact boundaries
        done = jnp.maximum(count - as_int(self.transition_begin, count.dtype), 0)
        if self.staircase:
            periods = done // as_int(self.transition_steps, count.dtype)
            return self._decayed(periods.astype(jnp.float32))
        return self._decayed(done.astype(jnp.float32) / as_f32(self.transition_steps))


_EXPONENTIAL_HINT = (
    "Since lrx 0.3.0 exponential_decay takes optax's signature: exponential_decay(init_value, "
    "transition_steps, decay_rate, transition_begin=0, staircase=False, end_value=None); the "
    "0.2 call exponential_decay(lr, gamma, every=n) is exponential_decay(lr, n, gamma) "
    "(torch ExponentialLR(gamma): exponential_decay(lr, 1, gamma))"
)


@_signature_hint(_EXPONENTIAL_HINT)
def exponential_decay(
    init_value: ArrayLike,
    transition_steps: int,
    decay_rate: ArrayLike,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: ArrayLike | None = None,
) -> Schedule:
    """Exponential decay (optax's signature): ``decay_rate`` per ``transition_steps`` updates.

    Formula (article 003 §4.2 "Exponential Decay", ``eta_t = eta_0 gamma^t``, generalised
    to a period and a delayed start): with ``d = max(t - transition_begin, 0)``,
    ``s(t) = init_value * decay_rate ** (d / transition_steps)``, or
    ``decay_rate ** floor(d / transition_steps)`` with ``staircase=True``. With
    ``end_value`` the value is clipped as optax does: ``max(s, end_value)`` when
    ``decay_rate < 1``, ``min(s, end_value)`` when ``decay_rate >= 1`` (so with
    ``decay_rate == 1`` it is ``min(init_value, end_value)``). Growth (``decay_rate > 1``)
    needs ``end_value``, the cap, so that it stays finite in float32: the geometric ramp of
    an LR range test is ``exponential_decay(start, n - 1, end / start, end_value=end)``.

    optax's edge cases give optax's values: a ``transition_steps <= 0`` or a
    ``decay_rate == 0`` is the constant ``init_value`` (a ``constant`` schedule), a
    negative ``transition_begin`` counts as 0.

    Peers: optax ``exponential_decay`` with the same arguments (same name, same
    signature); torch ``ExponentialLR(gamma)`` is ``exponential_decay(lr, 1, gamma)``;
    Keras ``ExponentialDecay(lr, decay_steps, decay_rate, staircase)`` is
    ``exponential_decay(lr, decay_steps, decay_rate, staircase=staircase)``. Changed in
    0.3.0 (was ``exponential_decay(init_value, gamma, *, every=1, ...)``): an old call
    raises a ``ValueError`` that shows the new form.

    Args:
        init_value: the learning rate up to ``t = transition_begin``; finite, >= 0.
        transition_steps: the decay period in updates; integer (``<= 0``: constant).
        decay_rate: the factor per period; in [0, 1], or > 1 with ``end_value``.
        transition_begin: updates before the decay starts; integer (negative: 0).
            Default 0.
        staircase: decay in whole periods (piecewise constant). Default False.
        end_value: the clip value (see above); finite, >= 0. Default None (no clipping;
            required if ``decay_rate > 1``).

    Example:
        >>> import lrx
        >>> s = lrx.exponential_decay(1.0, 2, 0.5)
        >>> [round(v, 4) for v in s.values(4).tolist()]
        [1.0, 0.7071, 0.5, 0.3536]
        >>> ramp = lrx.exponential_decay(1e-3, 3, 1e3, end_value=1.0)
        >>> [round(v, 6) for v in ramp.values(5).tolist()]
        [0.001, 0.01, 0.1, 1.0, 1.0]
        >>> lrx.exponential_decay(1.0, 2, 1.0, end_value=0.1)(5).item()  # as optax: min
        0.10000000149011612
    """
    if _constant_when(transition_steps) or static_value(decay_rate) == 0:
        check_float("decay_rate", decay_rate, lo=0.0)
        return Constant(value=_num(init_value))
    return ExponentialDecay(
        init_value=_num(init_value),
        transition_steps=transition_steps,
        decay_rate=_num(decay_rate),
        transition_begin=transition_begin,
        staircase=staircase,
        end_value=_num(end_value),
    )


@register("polynomial_decay")
class PolynomialDecay(Schedule):
    """``s(t) = (init_value - end_value) * (1 - min(t, T) / T) ** power + end_value``."""

    init_value: Hyper
    total_steps: int
    power: Hyper = 1.0
    end_value: Hyper = 0.0
    cycle: bool = static_field(default=False)
    transition_begin: int = 0

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "total_steps", check_int("total_steps", self.total_steps, lo=1))
        set_field(self, "power", check_divisor("power", self.power))
        set_field(self, "end_value", check_float("end_value", self.end_value, lo=0.0))
        set_field(self, "cycle", check_bool("cycle", self.cycle))
        set_field(self, "transition_begin", _check_begin(self.transition_begin))

    def _curve(self, frac: jax.Array) -> jax.Array:
        init, end = as_f32(self.init_value), as_f32(self.end_value)
        p = static_value(self.power)
        shaped = frac if p == 1.0 else frac ** as_f32(self.power)
        return jnp.asarray((init - end) * shaped + end)

    def _max_value(self) -> float | None:
        return bound(self.init_value, self.end_value)

    def _cycled(self, t: jax.Array, rem: jax.Array) -> jax.Array:
        # Keras: the horizon grows to the next multiple of T (T at t = 0); ``rem`` is the
        # distance to it, exact (integer arithmetic, or fmod of an exact float)
        rem = jnp.where(t == 0, as_f32(self.total_steps), rem)
        return self._curve(rem / (t + rem))

    def _value(self, t: jax.Array) -> jax.Array:
        t = jnp.maximum(t - as_f32(self.transition_begin), 0.0)
        total = as_f32(self.total_steps)
        if self.cycle:
            # fmod of integral float32 counts is exact: float counts equal int counts
            return self._cycled(t, jnp.mod(-t, total))
        frac = (total - jnp.clip(t, 0.0, total)) / total  # 1 - min(t, T)/T, exact near T
        return self._curve(frac)

    def _value_at(self, count: jax.Array) -> jax.Array:
        count = jnp.maximum(count - as_int(self.transition_begin, count.dtype), 0)
        total = as_int(self.total_steps, count.dtype)
        f32 = jnp.float32
        if self.cycle:
            # distance to the next multiple of T in integers (0 at a multiple); the
            # horizon count + rem is formed in float32 (it may exceed int32)
            return self._cycled(count.astype(f32), ((-count) % total).astype(f32))
        remaining = total - jnp.clip(count, 0, total)
        return self._curve(remaining.astype(f32) / as_f32(self.total_steps))


def polynomial_decay(
    init_value: Hyper,
    total_steps: int,
    power: Hyper = 1.0,
    end_value: Hyper = 0.0,
    *,
    cycle: bool = False,
    transition_begin: int = 0,
) -> Schedule:
    """Polynomial decay from ``init_value`` to ``end_value`` over ``total_steps``, then held.

    Formula (the decay part of ``decay_lr_poly`` in article 004, "warm-up"
    section): ``s(t) = (init_value - end_value) * (1 - min(t, T) / T) ** power + end_value``
    with ``T = total_steps``. Put ``lrx.warmup`` in front for the article's full
    ``decay_lr_poly``.

    With ``cycle=True`` the decay restarts instead of holding: the horizon becomes the
    next multiple of ``T`` at or above ``t`` (``T`` at ``t = 0``),
    ``s(t) = (init_value - end_value) * (1 - t / H) ** power + end_value`` with
    ``H = T * max(ceil(t / T), 1)`` (Keras ``PolynomialDecay(cycle=True)``: each restart
    is slower, and ``s`` reaches ``end_value`` exactly at every multiple of ``T``). Float
    counts give the integer counts' values (the distance to the next multiple of ``T`` is
    taken with an exact ``fmod``, not ``ceil(t / T)``, which rounds).

    With ``transition_begin = b`` the whole curve starts at ``t = b`` (``init_value``
    before): ``s(t)`` is the formula at ``max(t - b, 0)``.

    Peers: torch ``PolynomialLR(total_iters=T, power=power)`` when ``end_value=0``; optax
    ``polynomial_schedule(init_value, end_value, power, transition_steps=T,
    transition_begin=b)`` (``lrx.polynomial_schedule``, the same name); Keras
    ``PolynomialDecay(init_value, decay_steps=T, end_learning_rate=end_value, power,
    cycle)``.

    Args:
        init_value: the learning rate at ``t = 0``; finite, >= 0.
        total_steps: updates until ``end_value`` is reached; integer >= 1.
        power: the exponent ``p``, > 0. Default 1.0 (linear).
        end_value: the value from ``t = T`` on; finite, >= 0. Default 0.0.
        cycle: restart the decay with a longer horizon after each multiple of ``T``
            (Keras semantics). Default False (held at ``end_value``).
        transition_begin: updates before the decay starts; integer (negative: 0).
            Default 0.

    Example:
        >>> import lrx
        >>> lrx.polynomial_decay(1.0, total_steps=4, power=2.0).values(6).tolist()
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
        >>> lrx.polynomial_decay(1.0, total_steps=2, cycle=True).values(6).tolist()
        [1.0, 0.5, 0.0, 0.25, 0.0, 0.1666666716337204]
    """
    return PolynomialDecay(
        init_value=init_value,
        total_steps=total_steps,
        power=power,
        end_value=end_value,
        cycle=cycle,
        transition_begin=transition_begin,
    )


@register("linear_schedule")
class LinearSchedule(Schedule):
    """``s(t) = init + (end - init) * min(max(t - begin, 0), T) / T``."""

    init_value: Hyper
    end_value: Hyper
    transition_steps: int
    transition_begin: int = 0

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "end_value", check_float("end_value", self.end_value, lo=0.0))
        set_field(self, "transition_steps", _check_transition_steps(self.transition_steps))
        set_field(self, "transition_begin", _check_begin(self.transition_begin))

    def _mix(self, remaining: jax.Array, done: jax.Array) -> jax.Array:
        # init * (T - t)/T + end * t/T: each term keeps its relative precision.
        total = as_f32(self.transition_steps)
        init, end = as_f32(self.init_value), as_f32(self.end_value)
        return jnp.asarray(init * (remaining / total) + end * (done / total))

    def _max_value(self) -> float | None:
        return bound(self.init_value, self.end_value)

    def _value(self, t: jax.Array) -> jax.Array:
        total = as_f32(self.transition_steps)
        done = jnp.clip(t - as_f32(self.transition_begin), 0.0, total)
        return self._mix(total - done, done)

    def _value_at(self, count: jax.Array) -> jax.Array:
        total = as_int(self.transition_steps, count.dtype)
        begin = as_int(self.transition_begin, count.dtype)
        done = jnp.clip(count - begin, 0, total)
        return self._mix((total - done).astype(jnp.float32), done.astype(jnp.float32))


_LINEAR_HINT = (
    "Since lrx 0.3.0 linear_schedule takes optax's signature: linear_schedule(init_value, "
    "end_value, transition_steps, transition_begin=0) (start_value= is init_value=)"
)


@_signature_hint(_LINEAR_HINT)
def linear_schedule(
    init_value: ArrayLike,
    end_value: ArrayLike,
    transition_steps: int,
    transition_begin: int = 0,
) -> Schedule:
    """Linear interpolation from ``init_value`` to ``end_value`` (optax's signature).

    Formula: ``s(t) = init_value + (end_value - init_value) * min(d, T) / T`` with
    ``d = max(t - transition_begin, 0)`` and ``T = transition_steps`` (the linear warm-up
    of article 004 when ``init_value = 0``). optax's edge cases give optax's values: a
    ``transition_steps <= 0`` is the constant ``init_value`` (a ``constant`` schedule), a
    negative ``transition_begin`` counts as 0.

    Peers: optax ``linear_schedule`` with the same arguments (same name, same signature).
    torch ``LinearLR(start_factor, end_factor, total_iters)`` multiplies the optimizer's
    ``lr``: it equals ``linear_schedule(lr * start_factor, lr * end_factor, total_iters)``.
    Changed in 0.3.0: ``start_value`` is now ``init_value`` (a call with
    ``start_value=`` raises a ``ValueError`` that shows the new form), and
    ``transition_begin`` is new.

    Args:
        init_value: the value up to ``t = transition_begin``; finite, >= 0.
        end_value: the value from ``t = transition_begin + T`` on; finite, >= 0.
        transition_steps: length of the ramp in updates; integer (``<= 0``: constant).
        transition_begin: updates before the ramp starts; integer (negative: 0).
            Default 0.

    Example:
        >>> import lrx
        >>> lrx.linear_schedule(0.0, 1.0, transition_steps=4).values(6).tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
        >>> lrx.linear_schedule(1.0, 0.0, 2, transition_begin=2).values(5).tolist()
        [1.0, 1.0, 1.0, 0.5, 0.0]
    """
    if _constant_when(transition_steps):
        return Constant(value=_num(init_value))
    return LinearSchedule(
        init_value=_num(init_value),
        end_value=_num(end_value),
        transition_steps=transition_steps,
        transition_begin=transition_begin,
    )


@register("inverse_sqrt")
class InverseSqrt(Schedule):
    """Linear warm-up to ``peak_value``, then ``peak_value * sqrt(warmup_steps / t)``."""

    peak_value: Hyper
    warmup_steps: int
    timescale: int | None = None

    def __post_init__(self) -> None:
        set_field(self, "peak_value", check_float("peak_value", self.peak_value, lo=0.0))
        set_field(self, "warmup_steps", check_int("warmup_steps", self.warmup_steps, lo=1))
        scale = self.warmup_steps if self.timescale is None else self.timescale
        set_field(self, "timescale", check_int("timescale", scale, lo=1))

    def _max_value(self) -> float | None:
        return bound(self.peak_value)

    def _value(self, t: jax.Array) -> jax.Array:
        w, tau = as_f32(self.warmup_steps), as_f32(self.timescale)
        ramp = jnp.clip(t, 0.0, w) / w
        # HF: 1 / sqrt((t + tau - W) / tau), = sqrt(W / t) when tau = W
        # (max(t, W) - W) + tau >= tau: no cancellation to 0 when t, W are large float32
        decay = jnp.sqrt(tau / ((jnp.maximum(t, w) - w) + tau))
        return jnp.asarray(as_f32(self.peak_value) * jnp.where(t < w, ramp, decay))


def inverse_sqrt(peak_value: Hyper, warmup_steps: int, *, timescale: int | None = None) -> Schedule:
    """The Transformer's inverse square-root schedule with linear warm-up.

    Formula: ``s(t) = peak_value * t / W`` for ``t < W``, then
    ``s(t) = peak_value * sqrt(tau / (t + tau - W))``, with ``W = warmup_steps`` and
    ``tau = timescale`` (default ``W``, where it is ``peak_value * sqrt(W / t)``: Vaswani
    et al. 2017's ``d_model**-0.5 * min(t**-0.5, t * W**-1.5)`` rescaled so the peak is
    ``peak_value``). The warm-up is the linear warm-up of article 004.

    Peers: HF transformers ``get_inverse_sqrt_schedule(optimizer, num_warmup_steps=W,
    timescale=tau)`` with the optimizer's ``lr = peak_value`` (HF's default timescale is
    also ``W`` when ``W > 0``).

    Args:
        peak_value: the value at ``t = W``; finite, >= 0.
        warmup_steps: ``W``, the length of the warm-up; integer >= 1.
        timescale: ``tau``, how slowly the decay goes; integer >= 1. Default None
            (``= warmup_steps``); stored resolved.

    References:
        Vaswani et al., "Attention Is All You Need", NeurIPS 2017.

    Example:
        >>> import lrx
        >>> lrx.inverse_sqrt(1.0, warmup_steps=4).values(6).tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0, 0.8944271802902222]
        >>> lrx.inverse_sqrt(1.0, warmup_steps=4)(16).item()
        0.5
        >>> lrx.inverse_sqrt(1.0, warmup_steps=4, timescale=9)(16).item()  # sqrt(9 / 21)
        0.6546536684036255
    """
    return InverseSqrt(peak_value=peak_value, warmup_steps=warmup_steps, timescale=timescale)


@register("inverse_time_decay")
class InverseTimeDecay(Schedule):
    """``s(t) = init_value / (1 + decay_rate * t / decay_steps)`` (Keras ``InverseTimeDecay``)."""

    init_value: Hyper
    decay_rate: Hyper
    decay_steps: int = 1
    staircase: bool = static_field(default=False)

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "decay_rate", check_float("decay_rate", self.decay_rate, lo=0.0))
        set_field(self, "decay_steps", check_int("decay_steps", self.decay_steps, lo=1))
        set_field(self, "staircase", check_bool("staircase", self.staircase))

    def _at(self, x: jax.Array) -> jax.Array:
        return jnp.asarray(as_f32(self.init_value) / (1.0 + as_f32(self.decay_rate) * x))

    def _max_value(self) -> float | None:
        return bound(self.init_value)

    def _value(self, t: jax.Array) -> jax.Array:
        d = as_f32(self.decay_steps)
        return self._at(floordiv(t, d) if self.staircase else t / d)

    def _value_at(self, count: jax.Array) -> jax.Array:
        if not self.staircase:
            return self._value(count.astype(jnp.float32))
        periods = count // as_int(self.decay_steps, count.dtype)
        return self._at(periods.astype(jnp.float32))


def inverse_time_decay(
    init_value: Hyper, decay_rate: Hyper, decay_steps: int = 1, *, staircase: bool = False
) -> Schedule:
    """Inverse time decay: the rate falls like ``1 / t``.

    Formula: ``s(t) = init_value / (1 + decay_rate * t / decay_steps)``; with
    ``staircase=True`` the quotient ``t / decay_steps`` is floored (whole periods).

    Peers: Keras ``InverseTimeDecay(init_value, decay_steps, decay_rate, staircase)``.
    torch ``Adagrad(lr, lr_decay)`` scales its step by ``lr / (1 + t * lr_decay)``, which
    is ``inverse_time_decay(lr, lr_decay)`` (``decay_steps=1``).

    Args:
        init_value: the value at ``t = 0``; finite, >= 0.
        decay_rate: how fast it falls; finite, >= 0 (0 is constant).
        decay_steps: the period the rate is expressed in; integer >= 1. Default 1.
        staircase: decay in whole periods (piecewise constant). Default False.

    Example:
        >>> import lrx
        >>> lrx.inverse_time_decay(1.0, decay_rate=1.0).values(4).tolist()
        [1.0, 0.5, 0.3333333432674408, 0.25]
        >>> lrx.inverse_time_decay(1.0, 1.0, decay_steps=2, staircase=True).values(5).tolist()
        [1.0, 1.0, 0.5, 0.5, 0.3333333432674408]
    """
    return InverseTimeDecay(
        init_value=init_value,
        decay_rate=decay_rate,
        decay_steps=decay_steps,
        staircase=staircase,
    )


_INTERPOLATE = ("linear", "cosine")


@register("piecewise_interpolate")
class PiecewiseInterpolate(Schedule):
    """Interpolation between ``init_value * prod(scales[:i])`` at ``boundaries[i-1]``."""

    interpolate_type: str = static_field()
    init_value: Hyper
    boundaries: Sequence[int] = ()  # stored as a tuple of ints by __post_init__
    scales: Sequence[float] = ()  # stored as a tuple of floats by __post_init__

    def __post_init__(self) -> None:
        if self.interpolate_type not in _INTERPOLATE:  # also None, "" (optax's ValueError)
            raise ValueError(
                f"interpolate_type must be either 'cosine' or 'linear', "
                f"got {self.interpolate_type!r}"
            )
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "boundaries", check_sorted_ints("boundaries", self.boundaries))
        if isinstance(self.scales, (str, bytes)) or not isinstance(self.scales, Sequence):
            raise ValueError(f"scales must be a list of numbers, got {self.scales!r}")
        scales = tuple(check_float(f"scales[{i}]", v, lo=0.0) for i, v in enumerate(self.scales))
        if len(scales) != len(self.boundaries):
            raise ValueError(
                f"scales must hold one factor per boundary ({len(self.boundaries)}), "
                f"got {len(scales)}"
            )
        set_field(self, "scales", scales)
        peak = self._max_value()
        if peak is not None and peak > FLOAT32_MAX:
            raise ValueError(
                f"scales must keep init_value * prod(scales) finite in float32, got "
                f"scales={list(scales)!r} with init_value={self.init_value!r}"
            )

    def _levels(self) -> list[Any]:
        """``init_value`` times the running products of ``scales`` (float32 when traced)."""
        levels = [self.init_value]
        for s in self.scales:
            levels.append(levels[-1] * s)
        return levels

    def _max_value(self) -> float | None:
        return bound(*self._levels())

    def _between(self, done: jax.Array, size: jax.Array, v0: Any, v1: Any) -> jax.Array:
        a, b = as_f32(v0), as_f32(v1)
        if self.interpolate_type == "linear":
            return jnp.asarray((b - a) * (done / size) + a)
        return jnp.asarray(b + (a - b) * cos_frac(size - done, size))

    def _at(self, t: jax.Array, zero: jax.Array) -> jax.Array:
        """The value at counts ``t`` (int or float); ``zero`` is ``t``'s 0 of its dtype."""
        levels = [jnp.asarray(as_f32(v), jnp.float32) for v in self._levels()]
        value = jnp.broadcast_to(levels[-1], t.shape)  # from the last boundary on
        bounds = [zero, *(jnp.asarray(b).astype(t.dtype) for b in self.boundaries)]
        f32 = jnp.float32
        for i in reversed(range(len(self.boundaries))):
            lo, hi = bounds[i], bounds[i + 1]
            size = jnp.maximum(hi - lo, 1).astype(f32)  # optax: an empty interval is 1 long
            part = self._between((t - lo).astype(f32), size, levels[i], levels[i + 1])
            value = jnp.where((lo <= t) & (t < hi), part, value)
        return value

    def _value(self, t: jax.Array) -> jax.Array:
        return self._at(t, jnp.zeros((), t.dtype))

    def _value_at(self, count: jax.Array) -> jax.Array:
        return self._at(count, jnp.zeros((), count.dtype))
