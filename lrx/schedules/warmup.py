"""Warm-up schedules: ``warmup`` (in front of any schedule), warm-up + cosine, and WSD.

Every phase boundary is compared in the count's own integer dtype (``t < W``,
``t - W - S``), so the switch from one phase to the next happens at exactly the right
update for every int32 count; only the position inside a phase is then taken to float32.
The warm-up may be linear, cosine, 1-sqrt or exponential (:data:`WARMUP_SHAPES`).
"""

from __future__ import annotations

import math
from typing import Any, cast

import jax
import jax.numpy as jnp

from lrx._types import Hyper
from lrx._validate import check_bool, check_choice, check_float, check_int, static_value
from lrx.schedules._base import Schedule
from lrx.schedules._common import (
    as_f32,
    bound,
    check_exponent,
    check_static,
    cos_frac,
    int_count,
    raise_to,
    set_field,
)
from lrx.schedules._config import register, schedule_field, static_field
from lrx.schedules.compose import as_schedule

__all__ = ["WARMUP_SHAPES", "warmup", "warmup_cosine", "warmup_stable_decay"]

_DECAYS = ("cosine", "linear", "sqrt")
WARMUP_SHAPES = ("linear", "cosine", "sqrt", "exponential")


def _check_shape(name: str, shape: Any, init_value: Any) -> str:
    shape = check_choice(name, check_static(name, shape), WARMUP_SHAPES)
    if shape == "exponential" and static_value(init_value) == 0:
        raise ValueError(
            f"init_value must be > 0 for {name}='exponential' (the ramp is geometric), got 0.0"
        )
    return cast(str, shape)


def _ramp(done: jax.Array, w: jax.Array, start: Any, end: Any, shape: str) -> jax.Array:
    """Warm-up value ``done`` updates into a ramp of ``w`` from ``start`` to ``end``.

    With ``p = done / w``: ``start + (end - start) * f(p)`` where ``f(p) = p`` (linear),
    ``(1 - cos(pi p)) / 2`` (cosine), ``1 - sqrt(1 - p)`` (sqrt, the "1-sqrt" warm-up); or
    ``start * (end / start)**p`` (exponential: geometric from ``start > 0``).
    ``done``/``w`` are float32 (``w`` > 0 wherever the ramp is used).
    """
    if shape == "linear":  # each term keeps its relative precision
        return cast(jax.Array, start * ((w - done) / w) + end * (done / w))
    p = done / w
    if shape == "cosine":
        return cast(jax.Array, start + (end - start) * cos_frac(done, w))
    if shape == "sqrt":
        return cast(jax.Array, start + (end - start) * (1.0 - jnp.sqrt((w - done) / w)))
    # exponential: exp((1 - p) log(start) + p log(end)); p = 0 is start even when end = 0
    tiny = jnp.finfo(jnp.float32).tiny  # type: ignore[no-untyped-call]
    log_end = jnp.log(jnp.maximum(end, tiny))
    geo = jnp.exp((1.0 - p) * jnp.log(jnp.asarray(start, jnp.float32)) + p * log_end)
    return jnp.where(p > 0, jnp.where(end > 0, geo, 0.0), start)


def _phase(t: jax.Array, start: Any) -> jax.Array:
    """``max(t - start, 0)`` in ``t``'s dtype (no int32 overflow: ``t, start >= 0``)."""
    return jnp.maximum(t - jnp.asarray(start).astype(t.dtype), 0)


def _f32(x: Any) -> jax.Array:
    return jnp.asarray(x).astype(jnp.float32)


@register("warmup")
class Warmup(Schedule):
    """A warm-up ramp ``init_value -> schedule(0)`` over ``warmup_steps``, then the schedule."""

    schedule: Schedule = schedule_field()
    warmup_steps: int
    init_value: Hyper = 0.0
    shape: str = static_field(default="linear")
    prefix: bool = static_field(default=True)

    def __post_init__(self) -> None:
        set_field(self, "schedule", as_schedule("schedule", self.schedule))
        set_field(self, "warmup_steps", check_int("warmup_steps", self.warmup_steps, lo=0))
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "shape", _check_shape("shape", self.shape, self.init_value))
        set_field(self, "prefix", check_bool("prefix", check_static("prefix", self.prefix)))

    def _max_value(self) -> float | None:
        inner = self.schedule._max_value()
        return None if inner is None else bound(inner, self.init_value)

    def _at(self, t: jax.Array) -> jax.Array:
        if static_value(self.warmup_steps) == 0:
            return self.schedule(t)
        w = jnp.asarray(self.warmup_steps).astype(t.dtype)
        after = self.schedule(_phase(t, w) if self.prefix else t)
        target = self.schedule(jnp.zeros_like(t))
        wf = jnp.maximum(_f32(w), 1.0)
        ramp = _ramp(_f32(jnp.clip(t, 0, w)), wf, as_f32(self.init_value), target, self.shape)
        return jnp.where(t < w, ramp, after)

    def _value(self, t: jax.Array) -> jax.Array:
        return self._at(t)

    def _value_at(self, count: jax.Array) -> jax.Array:
        return self._at(int_count(count))


def warmup(
    schedule: Schedule,
    warmup_steps: int,
    *,
    init_value: Hyper = 0.0,
    shape: str = "linear",
    prefix: bool = True,
) -> Schedule:
    """Put a warm-up in front of any schedule.

    Formula (the warm-up of ``decay_lr_poly`` in article 004, with a choice of shape): with
    ``W = warmup_steps``, ``p = t / W`` and ``peak = schedule(0)``, for ``t < W``
    ``s(t) = init_value + (peak - init_value) * f(p)`` with ``f(p) = p`` (``"linear"``),
    ``(1 - cos(pi p)) / 2`` (``"cosine"``), ``1 - sqrt(1 - p)`` (``"sqrt"``), or
    ``s(t) = init_value * (peak / init_value)**p`` (``"exponential"``, needs
    ``init_value > 0``). Then ``s(t) = schedule(t - W)`` (``prefix=True``: the inner
    schedule starts its own count after the warm-up) or ``s(t) = schedule(t)``
    (``prefix=False``: the warm-up overwrites the first ``W`` updates of the schedule).
    ``warmup(polynomial_decay(lr, T), W)`` is the article's ``decay_lr_poly`` with
    ``W = warm_up * total_batches`` and ``T = (total_epochs - warm_up) * total_batches``.

    Peers: optax ``join_schedules([linear_schedule(init_value, peak, W), schedule], [W])``;
    torch ``SequentialLR([LinearLR(...), scheduler], milestones=[W])``; timm's
    ``warmup_t=W, warmup_lr_init=init_value`` with ``warmup_prefix=True`` (``prefix=True``)
    or its default ``warmup_prefix=False`` (``prefix=False``) on the step, multistep,
    cosine and poly schedulers (timm's tanh scheduler ramps towards ``schedule(W)``
    instead); HF ``get_wsd_schedule(warmup_type=...)`` shapes ``"linear"``, ``"cosine"``,
    ``"1-sqrt"`` (= ``"sqrt"``).

    Args:
        schedule: the schedule after the warm-up (a number means ``constant``).
        warmup_steps: ``W``; integer >= 0 (0: no warm-up).
        init_value: the value at ``t = 0``; finite, >= 0 (> 0 for ``"exponential"``).
            Default 0.0.
        shape: ``"linear"``, ``"cosine"``, ``"sqrt"`` or ``"exponential"``. Default
            ``"linear"``.
        prefix: shift the schedule by ``W`` (True) or overwrite its first ``W`` values
            (False). Default True.

    References:
        Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour", arXiv:1706.02677
            (2017).

    Example:
        >>> import lrx
        >>> lrx.warmup(lrx.constant(1.0), warmup_steps=4).values(6).tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
        >>> s = lrx.warmup(lrx.step_decay(1.0, 3, 0.5), 2, init_value=0.25, prefix=False)
        >>> s.values(6).tolist()
        [0.25, 0.625, 1.0, 0.5, 0.5, 0.5]
    """
    return Warmup(
        schedule=schedule,
        warmup_steps=warmup_steps,
        init_value=init_value,
        shape=shape,
        prefix=prefix,
    )


def _check_cycles(value: Any) -> Any:
    return check_float("num_cycles", value, lo=0.0, lo_open=True)


def _cosine_factor(done: jax.Array, length: jax.Array, num_cycles: Any) -> jax.Array:
    """``(1 + cos(2 pi c p)) / 2`` with ``p = done / length`` (``c = 0.5``: one half-wave,
    in the ``sin²`` form that keeps relative precision near the floor)."""
    if static_value(num_cycles) == 0.5:
        return cos_frac(length - done, length)
    c = jnp.cos((math.pi * as_f32(num_cycles)) * (done / length))
    return c * c


def _restart_phase(done: jax.Array, length: jax.Array, num_cycles: Any) -> jax.Array:
    """``frac(c * done / length)``, the position in the current hard-restart half-wave.

    The quotient ``q = c * done / length`` is only rounded: compiled with constant fields,
    XLA may divide by ``length`` as a multiplication by its reciprocal, and ``q`` lands one
    ulp below an integer exactly at a restart, where ``q - floor(q)`` would then be ~1 (the
    floor instead of the peak). The restart is therefore decided on the exact products: at
    the nearest integer ``k`` of ``q``, the count is past the restart when
    ``c * done >= k * length`` (both products exact in float32 for counts below 2**24 and
    a ``c`` with a short mantissa, as 0.5, 2.5, 3), and the phase is ``q - k`` clipped to
    ``[0, 1)``; otherwise it is ``q - (k - 1)``.
    """
    num = as_f32(num_cycles) * done
    q = num / length
    k = jnp.round(q)
    past = num >= k * length
    phase = jnp.where(past, q - k, q - (k - 1.0))
    return jnp.clip(phase, 0.0, 1.0)


@register("warmup_cosine")
class WarmupCosine(Schedule):
    """A warm-up to ``peak_value``, cosine decay to ``end_value`` at ``total_steps``."""

    peak_value: Hyper
    warmup_steps: int
    total_steps: int
    init_value: Hyper = 0.0
    end_value: Hyper = 0.0
    warmup_shape: str = static_field(default="linear")
    num_cycles: Hyper = 0.5
    restarts: bool = static_field(default=False)
    exponent: Hyper = 1.0

    def __post_init__(self) -> None:
        set_field(self, "peak_value", check_float("peak_value", self.peak_value, lo=0.0))
        set_field(self, "warmup_steps", check_int("warmup_steps", self.warmup_steps, lo=0))
        set_field(self, "total_steps", check_int("total_steps", self.total_steps, lo=1))
        w, total = static_value(self.warmup_steps), static_value(self.total_steps)
        if w is not None and total is not None and total <= w:
            raise ValueError(f"total_steps must be > warmup_steps ({w}), got {total}")
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "end_value", check_float("end_value", self.end_value, lo=0.0))
        set_field(
            self, "warmup_shape", _check_shape("warmup_shape", self.warmup_shape, self.init_value)
        )
        set_field(self, "num_cycles", _check_cycles(self.num_cycles))
        set_field(self, "restarts", check_bool("restarts", check_static("restarts", self.restarts)))
        set_field(self, "exponent", check_exponent(self.exponent))

    def _max_value(self) -> float | None:
        return bound(self.peak_value, self.init_value, self.end_value)

    def _at(self, t: jax.Array) -> jax.Array:
        w = jnp.asarray(self.warmup_steps).astype(t.dtype)
        total = jnp.asarray(self.total_steps).astype(t.dtype)
        length = _f32(total - w)
        done = _f32(jnp.minimum(_phase(t, w), total - w))
        if self.restarts:  # HF hard restarts: c half-cosines, each from the peak
            factor = cos_frac(1.0 - _restart_phase(done, length, self.num_cycles), 1.0)
        else:
            factor = _cosine_factor(done, length, self.num_cycles)
        factor = raise_to(factor, self.exponent)
        peak, end = as_f32(self.peak_value), as_f32(self.end_value)
        value = jnp.where(t < total, end + (peak - end) * factor, end)
        if static_value(self.warmup_steps) == 0:
            return value
        wf = jnp.maximum(_f32(w), 1.0)
        init = as_f32(self.init_value)
        ramp = _ramp(_f32(jnp.clip(t, 0, w)), wf, init, peak, self.warmup_shape)
        return jnp.where(t < w, ramp, value)

    def _value(self, t: jax.Array) -> jax.Array:
        return self._at(t)

    def _value_at(self, count: jax.Array) -> jax.Array:
        return self._at(int_count(count))


def warmup_cosine(
    peak_value: Hyper,
    warmup_steps: int,
    total_steps: int,
    *,
    init_value: Hyper = 0.0,
    end_value: Hyper = 0.0,
    warmup_shape: str = "linear",
    num_cycles: Hyper = 0.5,
    restarts: bool = False,
    exponent: Hyper = 1.0,
) -> Schedule:
    """A warm-up, then cosine decay to ``end_value`` at ``total_steps`` (held after).

    Formula (article 004: the warm-up of ``decay_lr_poly`` followed by its "cosine decay
    schedule" variant): the warm-up of :func:`warmup` (shape ``warmup_shape``) from
    ``init_value`` to ``peak_value`` for ``t < W``; then with ``p = (t - W) / (T - W)``
    ``s(t) = end_value + (peak_value - end_value) * (1 + cos(2 pi c p)) / 2`` (``c =
    num_cycles``; 0.5 is one half-wave down), or with ``restarts=True``
    ``(1 + cos(pi * frac(c p))) / 2`` (``c`` half-waves, each restarting at the peak); and
    ``end_value`` from ``t = T = total_steps`` on. ``W = warmup_steps``.

    Peers: optax ``warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps,
    decay_steps=total_steps, end_value)`` (same numbers); HF transformers
    ``get_cosine_schedule_with_warmup(W, T, num_cycles=c)`` and
    ``get_cosine_with_min_lr_schedule_with_warmup(..., min_lr_rate=r)``
    (``end_value = r * peak_value``) for ``t < T``, and
    ``get_cosine_with_hard_restarts_schedule_with_warmup(W, T, num_cycles=c)``
    (``restarts=True``); Keras ``CosineDecay(init, decay_steps=T - W, alpha,
    warmup_target=peak, warmup_steps=W)`` (``end_value = alpha * peak``).

    Args:
        peak_value: the value at ``t = W``; finite, >= 0.
        warmup_steps: ``W``; integer >= 0.
        total_steps: ``T``, warm-up included; integer > ``warmup_steps``.
        init_value: the value at ``t = 0``; finite, >= 0. Default 0.0.
        end_value: the value from ``t = T`` on; finite, >= 0. Default 0.0.
        warmup_shape: ``"linear"``, ``"cosine"``, ``"sqrt"`` or ``"exponential"``.
            Default ``"linear"``.
        num_cycles: ``c`` above, > 0. Default 0.5.
        restarts: hard restarts (HF ``cosine_with_restarts``). Default False.
        exponent: the cosine factor is raised to it (optax's ``exponent``); > 0. Default 1.0.

    Example:
        >>> import lrx
        >>> s = lrx.warmup_cosine(1.0, warmup_steps=2, total_steps=6)
        >>> [round(v, 4) for v in s.values(7).tolist()]
        [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 0.0]
        >>> r = lrx.warmup_cosine(1.0, 0, 6, num_cycles=2, restarts=True)
        >>> [round(v, 4) for v in r.values(7).tolist()]
        [1.0, 0.75, 0.25, 1.0, 0.75, 0.25, 0.0]
    """
    return WarmupCosine(
        peak_value=peak_value,
        warmup_steps=warmup_steps,
        total_steps=total_steps,
        init_value=init_value,
        end_value=end_value,
        warmup_shape=warmup_shape,
        num_cycles=num_cycles,
        restarts=restarts,
        exponent=exponent,
    )


@register("warmup_stable_decay")
class WarmupStableDecay(Schedule):
    """WSD: a warm-up, constant ``peak_value``, then a cosine/linear/1-sqrt cooldown."""

    peak_value: Hyper
    warmup_steps: int
    stable_steps: int
    decay_steps: int
    init_value: Hyper = 0.0
    end_value: Hyper = 0.0
    decay: str = static_field(default="cosine")
    warmup_shape: str = static_field(default="linear")
    num_cycles: Hyper = 0.5

    def __post_init__(self) -> None:
        set_field(self, "peak_value", check_float("peak_value", self.peak_value, lo=0.0))
        set_field(self, "warmup_steps", check_int("warmup_steps", self.warmup_steps, lo=0))
        set_field(self, "stable_steps", check_int("stable_steps", self.stable_steps, lo=0))
        set_field(self, "decay_steps", check_int("decay_steps", self.decay_steps, lo=1))
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "end_value", check_float("end_value", self.end_value, lo=0.0))
        set_field(self, "decay", check_choice("decay", check_static("decay", self.decay), _DECAYS))
        set_field(
            self, "warmup_shape", _check_shape("warmup_shape", self.warmup_shape, self.init_value)
        )
        set_field(self, "num_cycles", _check_cycles(self.num_cycles))

    def _max_value(self) -> float | None:
        return bound(self.peak_value, self.init_value, self.end_value)

    def _at(self, t: jax.Array) -> jax.Array:
        w = jnp.asarray(self.warmup_steps).astype(t.dtype)
        d = jnp.asarray(self.decay_steps).astype(t.dtype)
        s = jnp.asarray(self.stable_steps).astype(t.dtype)
        into_decay = _phase(_phase(t, w), s)  # t - W - S, clipped at 0
        done, df = _f32(jnp.minimum(into_decay, d)), _f32(d)
        peak, end = as_f32(self.peak_value), as_f32(self.end_value)
        if self.decay == "cosine":
            factor = _cosine_factor(done, df, self.num_cycles)
            decayed = end + (peak - end) * factor
        elif self.decay == "linear":
            decayed = peak * ((df - done) / df) + end * (done / df)
        else:  # "sqrt": the 1-sqrt cooldown
            decayed = end + (peak - end) * (1.0 - jnp.sqrt(done / df))
        decayed = jnp.where(into_decay < d, decayed, end)
        if static_value(self.warmup_steps) == 0:
            return decayed
        wf = jnp.maximum(_f32(w), 1.0)
        init = as_f32(self.init_value)
        ramp = _ramp(_f32(jnp.clip(t, 0, w)), wf, init, peak, self.warmup_shape)
        return jnp.where(t < w, ramp, decayed)

    def _value(self, t: jax.Array) -> jax.Array:
        return self._at(t)

    def _value_at(self, count: jax.Array) -> jax.Array:
        return self._at(int_count(count))


def warmup_stable_decay(
    peak_value: Hyper,
    warmup_steps: int,
    stable_steps: int,
    decay_steps: int,
    *,
    init_value: Hyper = 0.0,
    end_value: Hyper = 0.0,
    decay: str = "cosine",
    warmup_shape: str = "linear",
    num_cycles: Hyper = 0.5,
) -> Schedule:
    """Warmup-Stable-Decay (WSD, MiniCPM: Hu et al. 2024, arXiv:2404.06395).

    Formula (article 004 ``decay_lr_stable``, in updates): with ``W = warmup_steps``,
    ``S = stable_steps``, ``D = decay_steps`` and ``p = (t - W - S) / D``: the warm-up of
    :func:`warmup` (shape ``warmup_shape``) from ``init_value`` to ``peak_value`` for
    ``t < W``; ``peak_value`` for ``W <= t < W + S``; then
    ``s(t) = end_value + (peak_value - end_value) * f(p)`` with
    ``f(p) = (1 + cos(2 pi c p)) / 2`` (``"cosine"``, the article's with ``c = num_cycles
    = 0.5``), ``1 - p`` (``"linear"``) or ``1 - sqrt(p)`` (``"sqrt"``: the "1-sqrt"
    cooldown of Hägele et al. 2024, arXiv:2405.18392); ``end_value`` from
    ``t = W + S + D`` on. The article's ``decay_lr_stable(lr, epoch, batch, E, B,
    warm_up, stable_epochs)`` is ``warmup_stable_decay(lr, warm_up * B, stable_epochs * B,
    (E - warm_up - stable_epochs) * B)`` at ``t = epoch * B + batch``.

    Peers: HF transformers ``get_wsd_schedule(num_warmup_steps=W, num_stable_steps=S,
    num_decay_steps=D, min_lr_ratio=r, warmup_type, decay_type, num_cycles)`` on an
    optimizer ``lr`` is ``warmup_stable_decay(lr, W, S, D, init_value=r * lr,
    end_value=r * lr, warmup_shape=warmup_type, decay=decay_type, num_cycles=num_cycles)``
    (HF's warm-up starts at ``r * lr``; ``"1-sqrt"`` is ``"sqrt"``).

    Args:
        peak_value: the stable value; finite, >= 0.
        warmup_steps: ``W``; integer >= 0.
        stable_steps: ``S``; integer >= 0.
        decay_steps: ``D``; integer >= 1.
        init_value: the value at ``t = 0``; finite, >= 0. Default 0.0.
        end_value: the value from ``t = W + S + D`` on; finite, >= 0. Default 0.0.
        decay: ``"cosine"``, ``"linear"`` or ``"sqrt"``. Default ``"cosine"``.
        warmup_shape: ``"linear"``, ``"cosine"``, ``"sqrt"`` or ``"exponential"``.
            Default ``"linear"``.
        num_cycles: ``c`` of the cosine decay, > 0. Default 0.5.

    References:
        Hu et al., "MiniCPM: Unveiling the Potential of Small Language Models with Scalable Training
            Strategies", arXiv:2404.06395 (2024).

    Example:
        >>> import lrx
        >>> s = lrx.warmup_stable_decay(1.0, warmup_steps=2, stable_steps=2, decay_steps=4,
        ...                             decay="linear")
        >>> s.values(10).tolist()
        [0.0, 0.5, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """
    return WarmupStableDecay(
        peak_value=peak_value,
        warmup_steps=warmup_steps,
        stable_steps=stable_steps,
        decay_steps=decay_steps,
        init_value=init_value,
        end_value=end_value,
        decay=decay,
        warmup_shape=warmup_shape,
        num_cycles=num_cycles,
    )
