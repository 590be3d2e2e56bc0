"""The hyperbolic-tangent schedule (Hsueh et al. 2019, arXiv:1806.01593), with restarts."""

from __future__ import annotations

from typing import cast

import jax
import jax.numpy as jnp

from lrx._types import Hyper
from lrx._validate import check_float, check_int, static_value
from lrx.schedules._base import Schedule
from lrx.schedules._common import as_f32, power, set_field
from lrx.schedules._config import register, static_field
from lrx.schedules._restarts import (
    Restarts,
    check_cycle_limit,
    check_peak_growth,
    check_T_mult,
    cycle_table,
    peak_bound,
)

__all__ = ["tanh_decay"]


@register("tanh_decay")
class TanhDecay(Restarts):
    """``eta_min + (peak_i - eta_min) * (1 - tanh(lb + (ub - lb) * r)) / 2`` per cycle."""

    init_value: Hyper
    T_0: int
    lb: Hyper = -7.0
    ub: Hyper = 3.0
    eta_min: Hyper = 0.0
    T_mult: float = static_field(default=1)
    peak_decay: Hyper = 1.0
    cycle_limit: int | None = static_field(default=1)

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "T_0", check_int("T_0", self.T_0, lo=1))
        set_field(self, "lb", check_float("lb", self.lb))
        set_field(self, "ub", check_float("ub", self.ub))
        lb, ub = static_value(self.lb), static_value(self.ub)
        if lb is not None and ub is not None and not lb < ub:
            raise ValueError(f"ub must be > lb ({lb!r}), got {ub!r}")
        set_field(self, "eta_min", check_float("eta_min", self.eta_min, lo=0.0))
        init, low = static_value(self.init_value), static_value(self.eta_min)
        if init is not None and low is not None and low > init:
            raise ValueError(f"eta_min must be <= init_value ({init!r}), got {low!r}")
        set_field(self, "T_mult", check_T_mult(self.T_mult))
        set_field(
            self, "peak_decay", check_float("peak_decay", self.peak_decay, lo=0.0, lo_open=True)
        )
        set_field(self, "cycle_limit", check_cycle_limit(self.cycle_limit))
        if self.T_mult != 1 and static_value(self.T_0) is not None:
            cycle_table(int(self.T_0), self.T_mult)  # rejects T_mult too close to 1
        check_peak_growth(self.init_value, self.peak_decay, self.T_0, self.T_mult, self.cycle_limit)

    def _max_value(self) -> float | None:
        return peak_bound(
            self.init_value, self.eta_min, self.peak_decay, self.T_0, self.T_mult, self.cycle_limit
        )

    def _shape(self, n: jax.Array, pos: jax.Array, length: jax.Array) -> jax.Array:
        low, lb, ub = as_f32(self.eta_min), as_f32(self.lb), as_f32(self.ub)
        peak = jnp.maximum(as_f32(self.init_value) * power(self.peak_decay, n), low)
        r = pos / length
        out = low + (peak - low) * (0.5 * (1.0 - jnp.tanh(lb * (1.0 - r) + ub * r)))
        return cast(jax.Array, out)


def tanh_decay(
    init_value: Hyper,
    T_0: int,
    lb: Hyper = -7.0,
    ub: Hyper = 3.0,
    eta_min: Hyper = 0.0,
    *,
    T_mult: float = 1,
    peak_decay: Hyper = 1.0,
    cycle_limit: int | None = 1,
) -> Schedule:
    """Hyperbolic-tangent decay (HTD), optionally with restarts.

    Formula: in cycle ``i`` (the cycles of :func:`cosine_warm_restarts`: length
    ``T_0 * T_mult**i``), at position ``T_cur`` with ``r = T_cur / T_i``,
    ``s(t) = eta_min + (peak_i - eta_min) * (1 - tanh(lb * (1 - r) + ub * r)) / 2`` with
    ``peak_i = max(init_value * peak_decay**i, eta_min)``; after ``cycle_limit`` cycles
    the value stays at ``eta_min``. The curve starts just below the peak
    (``(1 - tanh(lb)) / 2``, 0.9999992 for ``lb = -7``), stays high, then falls steeply
    around ``r = -lb / (ub - lb)``.

    Peers: timm ``TanhLRScheduler(t_initial=T_0, lb, ub, lr_min=eta_min, cycle_mul=T_mult,
    cycle_decay=peak_decay, cycle_limit)`` stepped per update, optimizer ``lr =
    init_value`` (timm lets a decayed peak fall below ``lr_min``; lrx holds it at
    ``eta_min``).

    Args:
        init_value: the first peak; finite, >= 0.
        T_0: length of the first cycle in updates; integer >= 1.
        lb: the tanh argument at the start of a cycle; finite. Default -7.0.
        ub: the tanh argument at the end of a cycle; finite, > ``lb``. Default 3.0.
        eta_min: the floor; finite, in [0, init_value]. Default 0.0.
        T_mult: growth factor of the cycle length, >= 1. Default 1.
        peak_decay: factor applied to the peak at each restart, > 0. Default 1.0.
        cycle_limit: cycles before the value stays at ``eta_min``; integer >= 1 or None
            (unlimited). Default 1 (one decay, as timm).

    Example:
        >>> import lrx
        >>> s = lrx.tanh_decay(1.0, T_0=10)
        >>> [round(v, 4) for v in s.values(12).tolist()[::2]]
        [1.0, 1.0, 0.9975, 0.8808, 0.1192, 0.0]
    """
    return TanhDecay(
        init_value=init_value,
        T_0=T_0,
        lb=lb,
        ub=ub,
        eta_min=eta_min,
        T_mult=T_mult,
        peak_decay=peak_decay,
        cycle_limit=cycle_limit,
    )
