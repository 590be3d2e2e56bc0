"""Cosine schedules: cosine annealing (held at its floor) and SGDR warm restarts.

The restart arithmetic (cycle ``i`` lasts ``T_0 * T_mult**i`` updates, found in integer
arithmetic) lives in ``_restarts.py``, shared with the tanh schedule.
"""

from __future__ import annotations

from typing import Any, cast

import jax
import jax.numpy as jnp

from lrx._types import Hyper
from lrx._validate import check_bool, check_float, check_int, static_value
from lrx.schedules._base import Schedule
from lrx.schedules._common import (
    as_f32,
    bound,
    check_exponent,
    check_static,
    cos_frac,
    int_count,
    power,
    raise_to,
    set_field,
)
from lrx.schedules._config import register, static_field
from lrx.schedules._restarts import (
    Restarts,
    check_cycle_limit,
    check_peak_growth,
    check_T_mult,
    cycle_table,
    peak_bound,
)

__all__ = ["cosine_annealing", "cosine_warm_restarts"]


def _power_frac(pos: jax.Array, length: jax.Array, k: Any) -> jax.Array:
    """The remaining fraction ``1 - (pos / length)**k`` of a cycle (k-decay; ``k = 1``
    is written ``(length - pos) / length``, exact near the end of the cycle)."""
    if static_value(k) == 1:
        return (length - pos) / length
    return cast(jax.Array, 1.0 - (pos / length) ** k)


@register("cosine_annealing")
class CosineAnnealing(Schedule):
    """``eta_min + (init_value - eta_min) * ((1 + cos(pi * min(t, T_max) / T_max)) / 2)^e``."""

    init_value: Hyper
    T_max: int
    eta_min: Hyper = 0.0
    exponent: Hyper = 1.0

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "T_max", check_int("T_max", self.T_max, lo=1))
        set_field(self, "eta_min", check_float("eta_min", self.eta_min, lo=0.0))
        set_field(self, "exponent", check_exponent(self.exponent))

    def _max_value(self) -> float | None:
        return bound(self.init_value, self.eta_min)

    def _from_done(self, done: jax.Array) -> jax.Array:
        total = jnp.asarray(self.T_max).astype(jnp.float32)
        init, low = as_f32(self.init_value), as_f32(self.eta_min)
        frac = raise_to(cos_frac(total - done, total), self.exponent)
        return cast(jax.Array, low + (init - low) * frac)

    def _value(self, t: jax.Array) -> jax.Array:
        return self._from_done(jnp.clip(t, 0.0, jnp.asarray(self.T_max).astype(jnp.float32)))

    def _value_at(self, count: jax.Array) -> jax.Array:
        count = int_count(count)
        done = jnp.clip(count, 0, jnp.asarray(self.T_max).astype(count.dtype))  # in integers
        return self._from_done(done.astype(jnp.float32))


def cosine_annealing(
    init_value: Hyper, T_max: int, eta_min: Hyper = 0.0, *, exponent: Hyper = 1.0
) -> Schedule:
    """Cosine annealing from ``init_value`` to ``eta_min`` over ``T_max`` updates, then held.

    Formula (article 003 §4.2 "Cosine Annealing", closed form with ``eta_max = init_value``):
    ``s(t) = eta_min + (init_value - eta_min) * (1 + cos(pi * min(t, T_max) / T_max)) / 2``.
    After ``T_max`` the value stays at ``eta_min``.

    Peers: torch ``CosineAnnealingLR(T_max, eta_min)`` for ``t <= T_max`` (torch keeps
    following the cosine back up afterwards; use ``cosine_warm_restarts`` for restarts).
    optax ``cosine_decay_schedule(init_value, decay_steps=T_max,
    alpha=eta_min / init_value)``; Keras ``CosineDecay(init_value, T_max, alpha)`` with
    ``eta_min = alpha * init_value``.

    Args:
        init_value: the value at ``t = 0`` (``eta_max``); finite, >= 0.
        T_max: updates until ``eta_min`` is reached; integer >= 1.
        eta_min: the floor; finite, >= 0. Default 0.0.
        exponent: ``e``, the cosine factor ``(1 + cos(...)) / 2`` is raised to it (optax's
            ``cosine_decay_schedule(exponent=)``); > 0. Default 1.0 (the article's curve).

    References:
        Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017.

    Example:
        >>> import lrx
        >>> s = lrx.cosine_annealing(1.0, T_max=4)
        >>> [round(v, 4) for v in s.values(6).tolist()]
        [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """
    return CosineAnnealing(init_value=init_value, T_max=T_max, eta_min=eta_min, exponent=exponent)


@register("cosine_warm_restarts")
class CosineWarmRestarts(Restarts):
    """SGDR: cosine cycles of length ``T_0 * T_mult**i`` with decaying peaks."""

    init_value: Hyper
    T_0: int
    T_mult: float = static_field(default=1)
    eta_min: Hyper = 0.0
    peak_decay: Hyper = 1.0
    floor_relative: bool = static_field(default=False)
    cycle_limit: int | None = static_field(default=None)
    k_decay: Hyper = 1.0

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "T_0", check_int("T_0", self.T_0, lo=1))
        set_field(self, "T_mult", check_T_mult(self.T_mult))
        set_field(self, "eta_min", check_float("eta_min", self.eta_min, lo=0.0))
        init, low = static_value(self.init_value), static_value(self.eta_min)
        if init is not None and low is not None and low > init:
            raise ValueError(f"eta_min must be <= init_value ({init!r}), got {low!r}")
        set_field(
            self, "peak_decay", check_float("peak_decay", self.peak_decay, lo=0.0, lo_open=True)
        )
        check_static("floor_relative", self.floor_relative)
        set_field(self, "floor_relative", check_bool("floor_relative", self.floor_relative))
        set_field(self, "cycle_limit", check_cycle_limit(self.cycle_limit))
        set_field(self, "k_decay", check_float("k_decay", self.k_decay, lo=0.0, lo_open=True))
        if self.T_mult != 1 and static_value(self.T_0) is not None:
            cycle_table(int(self.T_0), self.T_mult)  # rejects T_mult too close to 1
        check_peak_growth(self.init_value, self.peak_decay, self.T_0, self.T_mult, self.cycle_limit)

    def _max_value(self) -> float | None:
        return peak_bound(
            self.init_value, self.eta_min, self.peak_decay, self.T_0, self.T_mult, self.cycle_limit
        )

    def _peak(self, n: jax.Array) -> jax.Array:
        decay = power(self.peak_decay, n)  # log in float64 on the host when concrete
        init, low = as_f32(self.init_value), as_f32(self.eta_min)
        if self.floor_relative:  # Keras m_mul: the height above the floor decays
            return cast(jax.Array, low + (init - low) * decay)
        return jnp.maximum(init * decay, low)

    def _shape(self, n: jax.Array, pos: jax.Array, length: jax.Array) -> jax.Array:
        low = as_f32(self.eta_min)
        k = self.k_decay if static_value(self.k_decay) is not None else as_f32(self.k_decay)
        height = self._peak(n) - low
        return cast(jax.Array, low + height * cos_frac(_power_frac(pos, length, k), 1.0))


def cosine_warm_restarts(
    init_value: Hyper,
    T_0: int,
    T_mult: float = 1,
    eta_min: Hyper = 0.0,
    peak_decay: Hyper = 1.0,
    *,
    floor_relative: bool = False,
    cycle_limit: int | None = None,
    k_decay: Hyper = 1.0,
) -> Schedule:
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017).

    Formula: cycle ``i`` lasts ``T_i = T_0 * T_mult**i`` updates (it starts at
    ``T_0 * (T_mult**i - 1) / (T_mult - 1)``, a real number when ``T_mult`` is not an
    integer); at position ``T_cur`` in it
    ``s(t) = eta_min + (peak_i - eta_min) * (1 + cos(pi * (T_cur / T_i)**k_decay)) / 2``
    with ``peak_i = max(init_value * peak_decay**i, eta_min)``, or with
    ``floor_relative=True``: ``peak_i = eta_min + (init_value - eta_min) * peak_decay**i``
    (the height above the floor decays). After ``cycle_limit`` cycles the value stays at
    ``eta_min``. Each cycle is the cosine annealing of article 003 §4.2.

    Peers:

    * torch ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)`` stepped once per update
      (integer ``T_mult``, defaults elsewhere).
    * Keras ``CosineDecayRestarts(lr, first_decay_steps, t_mul, m_mul, alpha)`` is
      ``cosine_warm_restarts(lr, first_decay_steps, t_mul, alpha * lr, m_mul,
      floor_relative=True)`` (float ``t_mul``, any ``m_mul > 0``).
    * timm ``CosineLRScheduler(t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit,
      k_decay)`` stepped per update is ``cosine_warm_restarts(lr, t_initial, cycle_mul,
      lr_min, cycle_decay, cycle_limit=cycle_limit, k_decay=k_decay)`` (timm's default
      ``cycle_limit`` is 1; lrx's is ``None``, unlimited).

    Args:
        init_value: the first peak; finite, >= 0.
        T_0: length of the first cycle in updates; integer >= 1.
        T_mult: growth factor of the cycle length; a number >= 1 (at most 4096 cycles
            below 2**31, so ``T_mult`` not within ~0.5% above 1). Default 1.
        eta_min: the floor of every cycle; finite, in [0, init_value]. Default 0.0.
        peak_decay: factor applied at each restart, > 0 (above 1 the peaks grow; they must
            stay finite in float32 up to count 2**31 - 1 or ``cycle_limit``). Default 1.0.
        floor_relative: decay the height above ``eta_min`` (Keras) instead of the peak
            (timm; peaks never fall below ``eta_min``). Default False.
        cycle_limit: number of cycles before the value stays at ``eta_min``; integer >= 1
            or None (unlimited). Default None.
        k_decay: the k-decay exponent ``k`` (Zhang & Li 2020, arXiv:2004.05909), > 0.
            Default 1.0 (plain cosine).

    References:
        Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017.

    Example:
        >>> import lrx
        >>> s = lrx.cosine_warm_restarts(1.0, T_0=2, T_mult=2)
        >>> [round(v, 4) for v in s.values(8).tolist()]
        [1.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0, 0.9619]
        >>> k = lrx.cosine_warm_restarts(1.0, 2, 1, 0.2, 0.5, floor_relative=True)
        >>> [round(v, 4) for v in k.values(6).tolist()]
        [1.0, 0.6, 0.6, 0.4, 0.4, 0.3]
    """
    return CosineWarmRestarts(
        init_value=init_value,
        T_0=T_0,
        T_mult=T_mult,
        eta_min=eta_min,
        peak_decay=peak_decay,
        floor_relative=floor_relative,
        cycle_limit=cycle_limit,
        k_decay=k_decay,
    )
