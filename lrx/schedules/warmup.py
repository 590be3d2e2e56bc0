"""Warm-up schedules: ``warmup`` (in front of any schedule), warm-up + cosine, and WSD."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from lrx._validate import check_choice, check_float, check_int
from lrx.schedules._base import Schedule, _set, register, schedule_field
from lrx.schedules.compose import _as_schedule
from lrx.schedules.decay import _cos_frac

__all__ = ["warmup", "warmup_cosine", "warmup_stable_decay"]

_DECAYS = ("cosine", "linear", "sqrt")


def _ramp(t: jax.Array, steps: int, start: float, end: Any) -> jax.Array:
    """Linear ``start -> end`` over ``[0, steps]`` (``end`` may be an array)."""
    w = float(steps)
    done = jnp.clip(t, 0.0, w)
    return start * ((w - done) / w) + end * (done / w)


@register("warmup")
class Warmup(Schedule):
    """Linear ``init_value -> schedule(0)`` over ``warmup_steps``, then the shifted schedule."""

    schedule: Schedule = schedule_field()
    warmup_steps: int
    init_value: float = 0.0

    def __post_init__(self) -> None:
        _set(self, "schedule", _as_schedule("schedule", self.schedule))
        _set(self, "warmup_steps", check_int("warmup_steps", self.warmup_steps, lo=0))
        _set(self, "init_value", check_float("init_value", self.init_value, lo=0.0))

    def _value(self, t: jax.Array) -> jax.Array:
        w = self.warmup_steps
        if w == 0:
            return self.schedule(t)
        after = self.schedule(jnp.maximum(t - w, 0.0))
        ramp = _ramp(t, w, self.init_value, self.schedule(jnp.zeros_like(t)))
        return jnp.where(t < w, ramp, after)

    def _value_at(self, count: jax.Array) -> jax.Array:
        w = self.warmup_steps
        if w == 0:
            return self.schedule(count)
        after = self.schedule(jnp.maximum(count - w, 0))  # shifted in integers: exact
        t = count.astype(jnp.float32)
        ramp = _ramp(t, w, self.init_value, self.schedule(jnp.zeros_like(count)))
        return jnp.where(t < w, ramp, after)


def warmup(schedule: Schedule, warmup_steps: int, *, init_value: float = 0.0) -> Schedule:
    """Put a linear warm-up in front of any schedule.

    Formula (the warm-up of ``decay_lr_poly`` in 004_7dc5a075b1dee1ce.txt):
    ``s(t) = init_value + (schedule(0) - init_value) * t / W`` for ``t < W``, then
    ``s(t) = schedule(t - W)``, with ``W = warmup_steps``. The inner schedule starts its
    own count after the warm-up, so ``warmup(polynomial_decay(lr, T), W)`` is the article's
    ``decay_lr_poly`` with ``W = warm_up * total_batches`` and
    ``T = (total_epochs - warm_up) * total_batches``.

    Peers: optax ``join_schedules([linear_schedule(init_value, peak, W), schedule], [W])``;
    torch ``SequentialLR([LinearLR(...), scheduler], milestones=[W])``.

    Args:
        schedule: the schedule after the warm-up (a number means ``constant``).
        warmup_steps: ``W``; integer >= 0 (0: no warm-up).
        init_value: the value at ``t = 0``; finite, >= 0. Default 0.0.

    Example:
        >>> import lrx
        >>> lrx.warmup(lrx.constant(1.0), warmup_steps=4).values(6).tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    return Warmup(schedule, warmup_steps, init_value)


@register("warmup_cosine")
class WarmupCosine(Schedule):
    """Linear warm-up to ``peak_value``, cosine decay to ``end_value`` at ``total_steps``."""

    peak_value: float
    warmup_steps: int
    total_steps: int
    init_value: float = 0.0
    end_value: float = 0.0

    def __post_init__(self) -> None:
        _set(self, "peak_value", check_float("peak_value", self.peak_value, lo=0.0))
        _set(self, "warmup_steps", check_int("warmup_steps", self.warmup_steps, lo=0))
        _set(self, "total_steps", check_int("total_steps", self.total_steps, lo=1))
        if self.total_steps <= self.warmup_steps:
            raise ValueError(
                f"total_steps must be > warmup_steps ({self.warmup_steps}), got {self.total_steps}"
            )
        _set(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        _set(self, "end_value", check_float("end_value", self.end_value, lo=0.0))

    def _value(self, t: jax.Array) -> jax.Array:
        w, total = self.warmup_steps, float(self.total_steps)
        length = total - w
        remaining = total - jnp.clip(t, float(w), total)
        decay = self.end_value + (self.peak_value - self.end_value) * _cos_frac(remaining, length)
        if w == 0:
            return decay
        return jnp.where(t < w, _ramp(t, w, self.init_value, self.peak_value), decay)


def warmup_cosine(
    peak_value: float,
    warmup_steps: int,
    total_steps: int,
    *,
    init_value: float = 0.0,
    end_value: float = 0.0,
) -> Schedule:
    """Linear warm-up, then cosine decay to ``end_value`` at ``total_steps`` (held after).

    Formula (004_7dc5a075b1dee1ce.txt: the warm-up of ``decay_lr_poly`` followed by its
    "cosine decay schedule" variant): ``s(t) = init_value + (peak_value - init_value) * t / W``
    for ``t < W``; then
    ``s(t) = end_value + (peak_value - end_value) * (1 + cos(pi * (t - W) / (T - W))) / 2``
    up to ``T = total_steps``, and ``end_value`` after. ``W = warmup_steps``.

    Peers: optax ``warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps,
    decay_steps=total_steps, end_value)`` (same numbers); HF transformers
    ``get_cosine_schedule_with_warmup(num_warmup_steps=W, num_training_steps=T)`` with
    ``init_value = end_value = 0``.

    Args:
        peak_value: the value at ``t = W``; finite, >= 0.
        warmup_steps: ``W``; integer >= 0.
        total_steps: ``T``, warm-up included; integer > ``warmup_steps``.
        init_value: the value at ``t = 0``; finite, >= 0. Default 0.0.
        end_value: the value from ``t = T`` on; finite, >= 0. Default 0.0.

    Example:
        >>> import lrx
        >>> s = lrx.warmup_cosine(1.0, warmup_steps=2, total_steps=6)
        >>> [round(v, 4) for v in s.values(7).tolist()]
        [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 0.0]
    """
    return WarmupCosine(peak_value, warmup_steps, total_steps, init_value, end_value)


@register("warmup_stable_decay")
class WarmupStableDecay(Schedule):
    """WSD: linear warm-up, constant ``peak_value``, then a cosine/linear/1-sqrt cooldown."""

    peak_value: float
    warmup_steps: int
    stable_steps: int
    decay_steps: int
    init_value: float = 0.0
    end_value: float = 0.0
    decay: str = "cosine"

    def __post_init__(self) -> None:
        _set(self, "peak_value", check_float("peak_value", self.peak_value, lo=0.0))
        _set(self, "warmup_steps", check_int("warmup_steps", self.warmup_steps, lo=0))
        _set(self, "stable_steps", check_int("stable_steps", self.stable_steps, lo=0))
        _set(self, "decay_steps", check_int("decay_steps", self.decay_steps, lo=1))
        _set(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        _set(self, "end_value", check_float("end_value", self.end_value, lo=0.0))
        _set(self, "decay", check_choice("decay", self.decay, _DECAYS))

    def _value(self, t: jax.Array) -> jax.Array:
        w, d = self.warmup_steps, float(self.decay_steps)
        done = jnp.clip(t - float(w + self.stable_steps), 0.0, d)  # progress into the decay
        peak, end = self.peak_value, self.end_value
        if self.decay == "cosine":
            decayed = end + (peak - end) * _cos_frac(d - done, d)
        elif self.decay == "linear":
            decayed = peak * ((d - done) / d) + end * (done / d)
        else:  # "sqrt": the 1-sqrt cooldown
            decayed = end + (peak - end) * (1.0 - jnp.sqrt(done / d))
        if w == 0:
            return decayed
        return jnp.where(t < w, _ramp(t, w, self.init_value, peak), decayed)


def warmup_stable_decay(
    peak_value: float,
    warmup_steps: int,
    stable_steps: int,
    decay_steps: int,
    *,
    init_value: float = 0.0,
    end_value: float = 0.0,
    decay: str = "cosine",
) -> Schedule:
    """Warmup-Stable-Decay (WSD, MiniCPM: Hu et al. 2024, arXiv:2404.06395).

    Formula (004_7dc5a075b1dee1ce.txt ``decay_lr_stable``, in updates): with
    ``W = warmup_steps``, ``S = stable_steps``, ``D = decay_steps`` and
    ``p = clip((t - W - S) / D, 0, 1)``:
    ``s(t) = init_value + (peak_value - init_value) * t / W`` for ``t < W``, then
    ``s(t) = end_value + (peak_value - end_value) * f(p)`` with
    ``f(p) = (1 + cos(pi * p)) / 2`` (``"cosine"``, the article's), ``1 - p``
    (``"linear"``) or ``1 - sqrt(p)`` (``"sqrt"``: the "1-sqrt" cooldown of Hägele et al.
    2024, arXiv:2405.18392). ``f(0) = 1`` makes the stable phase; ``end_value`` is held
    from ``t = W + S + D`` on. The article's ``decay_lr_stable(lr, epoch, batch, E, B,
    warm_up, stable_epochs)`` is ``warmup_stable_decay(lr, warm_up * B, stable_epochs * B,
    (E - warm_up - stable_epochs) * B)`` at ``t = epoch * B + batch``.

    Peers: HF transformers ``get_wsd_schedule(num_warmup_steps=W, num_stable_steps=S,
    num_decay_steps=D, min_lr_ratio=end_value / peak_value, decay_type=...)`` with
    ``decay_type`` ``"cosine"``, ``"linear"`` or ``"1-sqrt"``.

    Args:
        peak_value: the stable value; finite, >= 0.
        warmup_steps: ``W``; integer >= 0.
        stable_steps: ``S``; integer >= 0.
        decay_steps: ``D``; integer >= 1.
        init_value: the value at ``t = 0``; finite, >= 0. Default 0.0.
        end_value: the value reached at ``t = W + S + D``; finite, >= 0. Default 0.0.
        decay: ``"cosine"``, ``"linear"`` or ``"sqrt"``. Default ``"cosine"``.

    Example:
        >>> import lrx
        >>> s = lrx.warmup_stable_decay(1.0, warmup_steps=2, stable_steps=2, decay_steps=4,
        ...                             decay="linear")
        >>> s.values(10).tolist()
        [0.0, 0.5, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """
    return WarmupStableDecay(
        peak_value, warmup_steps, stable_steps, decay_steps, init_value, end_value, decay
    )
