"""Decay schedules: constant, step, multistep, exponential, polynomial, linear, inverse sqrt.

Every schedule here is monotone (non-increasing for decays with ``gamma <= 1``), evaluated
in float32 from the count ``t`` (a float32 array), finite for every count up to
``2**31 - 1``. Powers ``gamma**x`` are computed as ``exp(x * log(gamma))`` with ``log(gamma)``
taken in float64 on the host, so the relative error stays ~1e-6 even after thousands of
decays.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from lrx._validate import check_bool, check_float, check_int, static_value
from lrx.schedules._base import Schedule, register, static_field
from lrx.schedules._common import (
    as_f32,
    as_int,
    bound,
    check_divisor,
    check_gamma,
    check_sorted_ints,
    floordiv,
    power,
    set_field,
)

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

    value: float

    def __post_init__(self) -> None:
        set_field(self, "value", check_float("value", self.value, lo=0.0))

    def _max_value(self) -> float | None:
        return bound(self.value)

    def _value(self, t: jax.Array) -> jax.Array:
        return jnp.broadcast_to(jnp.asarray(as_f32(self.value), jnp.float32), t.shape)


def constant(value: float) -> Schedule:
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

    init_value: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "step_size", check_int("step_size", self.step_size, lo=1))
        set_field(self, "gamma", check_gamma(self.gamma))

    def _max_value(self) -> float | None:
        return bound(self.init_value)  # gamma <= 1: never above the start

    def _value(self, t: jax.Array) -> jax.Array:
        return as_f32(self.init_value) * power(self.gamma, floordiv(t, self.step_size))

    def _value_at(self, count: jax.Array) -> jax.Array:
        # the number of decays in integer arithmetic: exact for every int32 count
        decays = count // as_int(self.step_size, count.dtype)
        return as_f32(self.init_value) * power(self.gamma, decays.astype(jnp.float32))


def step_decay(init_value: float, step_size: int, gamma: float = 0.1) -> Schedule:
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

    init_value: float
    milestones: Sequence[int]  # any sequence; stored as a tuple by __post_init__
    gamma: float = 0.1

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
        return as_f32(self.init_value) * power(self.gamma, passed)

    def _value_at(self, count: jax.Array) -> jax.Array:
        # milestones compared in integer arithmetic: exact for every int32 count
        if not self.milestones:
            return self._value(count.astype(jnp.float32))
        ms = jnp.stack([jnp.asarray(as_int(m, count.dtype), count.dtype) for m in self.milestones])
        passed = jnp.searchsorted(ms, count, side="right").astype(jnp.float32)
        return as_f32(self.init_value) * power(self.gamma, passed)


def multistep_decay(init_value: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
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


@register("exponential_decay")
class ExponentialDecay(Schedule):
    """``s(t) = init_value * gamma ** (t / every)``; floor of the exponent with staircase."""

    init_value: float
    gamma: float
    every: int = 1
    staircase: bool = static_field(default=False)
    end_value: float | None = None

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        gamma = check_float("gamma", self.gamma, lo=0.0, lo_open=True)
        g = static_value(gamma)
        if g is None or g <= 1.0:
            gamma = check_gamma(gamma)
        set_field(self, "gamma", gamma)
        set_field(self, "every", check_int("every", self.every, lo=1))
        set_field(self, "staircase", check_bool("staircase", self.staircase))
        if self.end_value is not None:
            set_field(self, "end_value", check_float("end_value", self.end_value, lo=0.0))
        init, end = static_value(self.init_value), static_value(self.end_value)
        if g is not None and g > 1.0:
            if self.end_value is None:
                raise ValueError(
                    f"gamma > 1 grows without bound: pass end_value (the cap), got gamma={g!r}"
                )
            if init is not None and init <= 0.0:
                raise ValueError(f"init_value must be > 0 when gamma > 1, got {init!r}")
            if init is not None and end is not None and end < init:
                raise ValueError(
                    f"end_value must be >= init_value ({init!r}) when gamma > 1, got {end!r}"
                )
        elif g is not None and init is not None and end is not None and end > init:
            raise ValueError(
                f"end_value must be <= init_value ({init!r}) when gamma <= 1, got {end!r}"
            )

    def _max_value(self) -> float | None:
        g = static_value(self.gamma)
        if g is not None and g > 1.0:
            return bound(self.end_value)
        return bound(self.init_value)  # gamma <= 1: never above the start

    def _clip(self, value: jax.Array) -> jax.Array:
        if self.end_value is None:
            return value
        end = as_f32(self.end_value)
        g = static_value(self.gamma)
        if g is not None:
            return jnp.minimum(value, end) if g > 1.0 else jnp.maximum(value, end)
        return jnp.where(as_f32(self.gamma) > 1.0, jnp.minimum(value, end), jnp.maximum(value, end))

    def _value(self, t: jax.Array) -> jax.Array:
        x = floordiv(t, self.every) if self.staircase else t / as_f32(self.every)
        return self._clip(as_f32(self.init_value) * power(self.gamma, x))

    def _value_at(self, count: jax.Array) -> jax.Array:
        if not self.staircase:
            return self._value(count.astype(jnp.float32))
        periods = count // as_int(self.every, count.dtype)
        return self._clip(as_f32(self.init_value) * power(self.gamma, periods.astype(jnp.float32)))


def exponential_decay(
    init_value: float,
    gamma: float,
    *,
    every: int = 1,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """Exponential decay: multiply by ``gamma`` per ``every`` updates, smoothly or in steps.

    Formula (article 003 §4.2 "Exponential Decay", ``eta_t = eta_0 gamma^t``,
    generalised to a period): ``s(t) = init_value * gamma ** (t / every)``, or
    ``gamma ** floor(t / every)`` with ``staircase=True``. With ``end_value`` the value is
    clipped there: a floor when ``gamma <= 1``, a cap when ``gamma > 1`` (growth, which
    needs ``end_value`` so that it stays finite: the geometric ramp of an LR range test is
    ``exponential_decay(start, end / start, every=n - 1, end_value=end)``).

    Peers: torch ``ExponentialLR(gamma)`` is ``every=1``. optax
    ``exponential_decay(init_value, transition_steps=every, decay_rate=gamma,
    staircase=staircase, end_value=end_value)`` gives the same numbers.

    Args:
        init_value: the learning rate at ``t = 0``; finite, >= 0 (> 0 when ``gamma > 1``).
        gamma: the factor applied per ``every`` updates; in (0, 1], or > 1 with
            ``end_value``.
        every: the decay period in updates; integer >= 1. Default 1.
        staircase: decay in whole periods (piecewise constant). Default False.
        end_value: the floor (``gamma <= 1``) or cap (``gamma > 1``); finite, >= 0, on the
            far side of ``init_value``. Default None (no clipping; required if
            ``gamma > 1``).

    Example:
        >>> import lrx
        >>> s = lrx.exponential_decay(1.0, 0.5, every=2)
        >>> [round(v, 4) for v in s.values(4).tolist()]
        [1.0, 0.7071, 0.5, 0.3536]
        >>> ramp = lrx.exponential_decay(1e-3, 1e3, every=3, end_value=1.0)
        >>> [round(v, 6) for v in ramp.values(5).tolist()]
        [0.001, 0.01, 0.1, 1.0, 1.0]
    """
    return ExponentialDecay(
        init_value=init_value, gamma=gamma, every=every, staircase=staircase, end_value=end_value
    )


@register("polynomial_decay")
class PolynomialDecay(Schedule):
    """``s(t) = (init_value - end_value) * (1 - min(t, T) / T) ** power + end_value``."""

    init_value: float
    total_steps: int
    power: float = 1.0
    end_value: float = 0.0
    cycle: bool = static_field(default=False)

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "total_steps", check_int("total_steps", self.total_steps, lo=1))
        set_field(self, "power", check_divisor("power", self.power))
        set_field(self, "end_value", check_float("end_value", self.end_value, lo=0.0))
        set_field(self, "cycle", check_bool("cycle", self.cycle))

    def _curve(self, frac: jax.Array) -> jax.Array:
        init, end = as_f32(self.init_value), as_f32(self.end_value)
        p = static_value(self.power)
        shaped = frac if p == 1.0 else frac ** as_f32(self.power)
        return (init - end) * shaped + end

    def _max_value(self) -> float | None:
        return bound(self.init_value, self.end_value)

    def _value(self, t: jax.Array) -> jax.Array:
        total = as_f32(self.total_steps)
        if self.cycle:  # Keras: the horizon grows to the next multiple of T (T at t = 0)
            horizon = total * jnp.maximum(jnp.ceil(t / total), 1.0)
            return self._curve((horizon - t) / horizon)
        frac = (total - jnp.clip(t, 0.0, total)) / total  # 1 - min(t, T)/T, exact near T
        return self._curve(frac)

    def _value_at(self, count: jax.Array) -> jax.Array:
        total = as_int(self.total_steps, count.dtype)
        f32 = jnp.float32
        if self.cycle:
            # distance to the next multiple of T, in integers (0 at a multiple); the
            # horizon count + rem is formed in float32 (it may exceed int32)
            rem = (-count) % total
            rem = jnp.where(count == 0, total, rem)
            horizon = count.astype(f32) + rem.astype(f32)
            return self._curve(rem.astype(f32) / horizon)
        remaining = total - jnp.clip(count, 0, total)
        return self._curve(remaining.astype(f32) / as_f32(self.total_steps))


def polynomial_decay(
    init_value: float,
    total_steps: int,
    power: float = 1.0,
    end_value: float = 0.0,
    *,
    cycle: bool = False,
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
    is slower, and ``s`` reaches ``end_value`` exactly at every multiple of ``T``).

    Peers: torch ``PolynomialLR(total_iters=T, power=power)`` when ``end_value=0``; optax
    ``polynomial_schedule(init_value, end_value, power, transition_steps=T)``; Keras
    ``PolynomialDecay(init_value, decay_steps=T, end_learning_rate=end_value, power,
    cycle)``.

    Args:
        init_value: the learning rate at ``t = 0``; finite, >= 0.
        total_steps: updates until ``end_value`` is reached; integer >= 1.
        power: the exponent ``p``, > 0. Default 1.0 (linear).
        end_value: the value from ``t = T`` on; finite, >= 0. Default 0.0.
        cycle: restart the decay with a longer horizon after each multiple of ``T``
            (Keras semantics). Default False (held at ``end_value``).

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
    )


@register("linear_schedule")
class LinearSchedule(Schedule):
    """``s(t) = start + (end - start) * min(t, T) / T``."""

    start_value: float
    end_value: float
    transition_steps: int

    def __post_init__(self) -> None:
        set_field(self, "start_value", check_float("start_value", self.start_value, lo=0.0))
        set_field(self, "end_value", check_float("end_value", self.end_value, lo=0.0))
        set_field(
            self,
            "transition_steps",
            check_int("transition_steps", self.transition_steps, lo=1),
        )

    def _mix(self, remaining: jax.Array, done: jax.Array) -> jax.Array:
        # start * (T - t)/T + end * t/T: each term keeps its relative precision.
        total = as_f32(self.transition_steps)
        start, end = as_f32(self.start_value), as_f32(self.end_value)
        return start * (remaining / total) + end * (done / total)

    def _max_value(self) -> float | None:
        return bound(self.start_value, self.end_value)

    def _value(self, t: jax.Array) -> jax.Array:
        total = as_f32(self.transition_steps)
        done = jnp.clip(t, 0.0, total)
        return self._mix(total - done, done)

    def _value_at(self, count: jax.Array) -> jax.Array:
        total = as_int(self.transition_steps, count.dtype)
        done = jnp.clip(count, 0, total)
        return self._mix((total - done).astype(jnp.float32), done.astype(jnp.float32))


def linear_schedule(start_value: float, end_value: float, transition_steps: int) -> Schedule:
    """Linear interpolation from ``start_value`` to ``end_value``, then held.

    Formula: ``s(t) = start_value + (end_value - start_value) * min(t, T) / T`` with
    ``T = transition_steps`` (the linear warm-up of article 004 when
    ``start_value = 0``).

    Peers: optax ``linear_schedule(init_value, end_value, transition_steps)``. torch
    ``LinearLR(start_factor, end_factor, total_iters)`` multiplies the optimizer's ``lr``:
    it equals ``linear_schedule(lr * start_factor, lr * end_factor, total_iters)``.

    Args:
        start_value: the value at ``t = 0``; finite, >= 0.
        end_value: the value from ``t = T`` on; finite, >= 0.
        transition_steps: length of the ramp in updates; integer >= 1.

    Example:
        >>> import lrx
        >>> lrx.linear_schedule(0.0, 1.0, transition_steps=4).values(6).tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    return LinearSchedule(
        start_value=start_value, end_value=end_value, transition_steps=transition_steps
    )


@register("inverse_sqrt")
class InverseSqrt(Schedule):
    """Linear warm-up to ``peak_value``, then ``peak_value * sqrt(warmup_steps / t)``."""

    peak_value: float
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
        return as_f32(self.peak_value) * jnp.where(t < w, ramp, decay)


def inverse_sqrt(peak_value: float, warmup_steps: int, *, timescale: int | None = None) -> Schedule:
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

    init_value: float
    decay_rate: float
    decay_steps: int = 1
    staircase: bool = static_field(default=False)

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "decay_rate", check_float("decay_rate", self.decay_rate, lo=0.0))
        set_field(self, "decay_steps", check_int("decay_steps", self.decay_steps, lo=1))
        set_field(self, "staircase", check_bool("staircase", self.staircase))

    def _at(self, x: jax.Array) -> jax.Array:
        return as_f32(self.init_value) / (1.0 + as_f32(self.decay_rate) * x)

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
    init_value: float, decay_rate: float, decay_steps: int = 1, *, staircase: bool = False
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
