"""Cosine schedules: cosine annealing (held at its floor) and SGDR warm restarts.

The restart arithmetic (:func:`_restart_cycle`) is shared with the tanh schedule: cycle
``i`` lasts ``T_0 * T_mult**i`` updates (``T_mult`` a real number >= 1, as Keras and timm
allow) and its start is found in integer arithmetic, so every int32 count lands in the
right cycle.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from lrx._validate import FLOAT32_MAX, INT32_MAX, check_bool, check_float, check_int, static_value
from lrx.schedules._base import Schedule, register, static_field
from lrx.schedules._common import as_f32, cos_frac, int_count, power, set_field

__all__ = ["cosine_annealing", "cosine_warm_restarts"]

# Above this many cycles below 2**31 a growing T_mult is rejected (it is within ~0.5% of 1).
_MAX_CYCLES = 4096


def _check_T_mult(value: Any) -> int | float:
    """``T_mult`` as a Python number >= 1 (an int when integral, so configs stay tidy)."""
    if static_value(value) is None:
        raise ValueError("T_mult must be a concrete number (it sets the cycle table), got a tracer")
    f = check_float("T_mult", value, lo=1.0)
    return int(f) if float(f).is_integer() else f


def _check_cycle_limit(value: Any) -> int | None:
    if value is None:
        return None
    return check_int("cycle_limit", value, lo=1)


def _cycle_table(T_0: int, T_mult: float) -> tuple[list[int], list[float], list[float]]:
    """Cycle starts below 2**31: (ceil(start), start - ceil(start), length) per cycle.

    Cycle ``i`` starts at ``S_i = T_0 (T_mult**i - 1) / (T_mult - 1)`` (a real number when
    ``T_mult`` is not an integer); the counts in it are ``ceil(S_i) <= t < ceil(S_{i+1})``.
    """
    first, offset, length = [0], [0.0], [float(T_0)]
    start = 0.0
    while True:
        start += length[-1]
        nxt = math.ceil(start - 1e-9 * start) if not float(start).is_integer() else int(start)
        if nxt > INT32_MAX:
            break
        first.append(nxt)
        offset.append(nxt - start)
        length.append(length[-1] * T_mult)
        if len(first) > _MAX_CYCLES:
            raise ValueError(
                f"T_mult must give at most {_MAX_CYCLES} cycles below 2**31 (T_mult >= ~1.005 "
                f"for small T_0), got T_mult={T_mult!r} with T_0={T_0!r}"
            )
    return first, offset, length


def _unit_table(T_mult: float) -> tuple[list[float], list[float]]:
    """``c_i = (T_mult**i - 1) / (T_mult - 1)`` and ``T_mult**i`` for the cycles of
    ``T_0 = 1`` below 2**31 (at most ``_MAX_CYCLES + 1``): cycle ``i`` of any ``T_0``
    starts at ``T_0 * c_i`` and lasts ``T_0 * T_mult**i``."""
    c, g = [0.0], [1.0]
    while c[-1] + g[-1] <= INT32_MAX and len(c) <= _MAX_CYCLES:
        c.append(c[-1] + g[-1])
        g.append(g[-1] * T_mult)
    return c, g


def _restart_cycle(
    count: jax.Array, T_0: Any, T_mult: float
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(cycle index, position in the cycle, cycle length) of integer counts, float32.

    ``T_mult == 1``: integer ``//`` and ``%`` (``T_0`` may be traced). Otherwise, for a
    concrete ``T_0``, the host-exact start table of :func:`_cycle_table` is searched with
    the integer count; the position is the integer distance to the first count of the
    cycle plus the fractional start offset, exact wherever float32 can hold it. A traced
    ``T_0`` searches ``count // T_0`` in the integer table of ``c_i`` (integer
    ``T_mult``: exact) or ``count / T_0`` in float32 (non-integer ``T_mult``).
    """
    f32 = jnp.float32
    count = int_count(count)
    if T_mult == 1:
        T = jnp.asarray(T_0).astype(count.dtype)
        n, pos = count // T, count % T
        return n.astype(f32), pos.astype(f32), jnp.broadcast_to(T.astype(f32), count.shape)
    T0 = static_value(T_0)
    if T0 is None:
        c, g = _unit_table(T_mult)
        T = jnp.asarray(T_0).astype(count.dtype)
        grow = jnp.asarray(g, f32)
        if float(T_mult).is_integer():
            cs = jnp.asarray([int(x) for x in c], count.dtype)
            n = jnp.maximum(jnp.searchsorted(cs, count // T, side="right") - 1, 0)
            pos = (count - T * jnp.take(cs, n)).astype(f32)
        else:
            cs32 = jnp.asarray(c, f32)
            t, Tf = count.astype(f32), T.astype(f32)
            n = jnp.maximum(jnp.searchsorted(cs32, t / Tf, side="right") - 1, 0)
            pos = jnp.maximum(t - Tf * jnp.take(cs32, n), 0.0)
        return n.astype(f32), pos, T.astype(f32) * jnp.take(grow, n)
    first, offset, length = _cycle_table(int(T0), T_mult)
    firsts = jnp.asarray(first, count.dtype)
    n = jnp.maximum(jnp.searchsorted(firsts, count, side="right") - 1, 0)
    pos = (count - jnp.take(firsts, n)).astype(f32) + jnp.take(jnp.asarray(offset, f32), n)
    return n.astype(f32), pos, jnp.take(jnp.asarray(length, f32), n)


def _restart_cycle_float(
    t: jax.Array, T_0: Any, T_mult: float
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """:func:`_restart_cycle` for float32 counts (exact below 2**24)."""
    f32 = jnp.float32
    if T_mult == 1:
        T = jnp.asarray(T_0).astype(f32)
        n = jnp.floor(t / T)
        n = jnp.where(n * T > t, n - 1.0, n)  # t / T may round up just below a multiple
        return n, t - n * T, jnp.broadcast_to(T, t.shape)
    T0 = static_value(T_0)
    if T0 is None:
        c, g = _unit_table(T_mult)
        cs, Tf = jnp.asarray(c, f32), jnp.asarray(T_0).astype(f32)
        n = jnp.maximum(jnp.searchsorted(cs, t / Tf, side="right") - 1, 0)
        pos = jnp.maximum(t - Tf * jnp.take(cs, n), 0.0)
        return n.astype(f32), pos, Tf * jnp.take(jnp.asarray(g, f32), n)
    first, offset, length = _cycle_table(int(T0), T_mult)
    starts = jnp.asarray([f - o for f, o in zip(first, offset, strict=True)], f32)
    n = jnp.maximum(jnp.searchsorted(jnp.asarray(first, f32), t, side="right") - 1, 0)
    return n.astype(f32), t - jnp.take(starts, n), jnp.take(jnp.asarray(length, f32), n)


def _num_cycles_below_2_31(T_0: int, T_mult: float) -> int:
    if T_mult == 1:
        return INT32_MAX // T_0 + 1
    return len(_cycle_table(T_0, T_mult)[0])


def _check_peak_growth(
    init_value: Any, peak_decay: Any, T_0: Any, T_mult: float, cycle_limit: int | None
) -> None:
    """``peak_decay > 1`` (Keras ``m_mul > 1``) must not overflow float32 before 2**31."""
    init, d, T = static_value(init_value), static_value(peak_decay), static_value(T_0)
    if init is None or d is None or T is None or d <= 1.0 or init == 0:
        return
    cycles = _num_cycles_below_2_31(int(T), T_mult)
    if cycle_limit is not None:
        cycles = min(cycles, cycle_limit)
    if math.log(init) + (cycles - 1) * math.log(d) >= math.log(FLOAT32_MAX):
        raise ValueError(
            f"peak_decay must keep every peak finite in float32 over {cycles} cycles "
            f"(init_value * peak_decay**{cycles - 1} <= {FLOAT32_MAX:.4g}; set cycle_limit "
            f"to bound the growth), got {peak_decay!r}"
        )


def _power_frac(pos: jax.Array, length: jax.Array, k: Any) -> jax.Array:
    """The remaining fraction ``1 - (pos / length)**k`` of a cycle (k-decay; ``k = 1``
    is written ``(length - pos) / length``, exact near the end of the cycle)."""
    if static_value(k) == 1:
        return (length - pos) / length
    return 1.0 - (pos / length) ** k


@register("cosine_annealing")
class CosineAnnealing(Schedule):
    """``eta_min + (init_value - eta_min) * (1 + cos(pi * min(t, T_max) / T_max)) / 2``."""

    init_value: float
    T_max: int
    eta_min: float = 0.0

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "T_max", check_int("T_max", self.T_max, lo=1))
        set_field(self, "eta_min", check_float("eta_min", self.eta_min, lo=0.0))

    def _from_done(self, done: jax.Array) -> jax.Array:
        total = jnp.asarray(self.T_max).astype(jnp.float32)
        init, low = as_f32(self.init_value), as_f32(self.eta_min)
        return low + (init - low) * cos_frac(total - done, total)

    def _value(self, t: jax.Array) -> jax.Array:
        return self._from_done(jnp.clip(t, 0.0, jnp.asarray(self.T_max).astype(jnp.float32)))

    def _value_at(self, count: jax.Array) -> jax.Array:
        count = int_count(count)
        done = jnp.clip(count, 0, jnp.asarray(self.T_max).astype(count.dtype))  # in integers
        return self._from_done(done.astype(jnp.float32))


def cosine_annealing(init_value: float, T_max: int, eta_min: float = 0.0) -> Schedule:
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

    Example:
        >>> import lrx
        >>> s = lrx.cosine_annealing(1.0, T_max=4)
        >>> [round(v, 4) for v in s.values(6).tolist()]
        [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """
    return CosineAnnealing(init_value=init_value, T_max=T_max, eta_min=eta_min)


class _Restarts(Schedule):
    """Base of the restart families (cosine, tanh): the count's cycle ``(n, position,
    length)`` is found by :func:`_restart_cycle` (integer-exact) or
    :func:`_restart_cycle_float`, then shaped by the family's ``_shape``; cycles from
    ``cycle_limit`` on stay at ``eta_min``."""

    if TYPE_CHECKING:  # fields every restart family declares
        T_0: Any
        T_mult: float
        eta_min: Any
        cycle_limit: int | None

    def _shape(self, n: jax.Array, pos: jax.Array, length: jax.Array) -> jax.Array:
        raise NotImplementedError  # pragma: no cover - abstract

    def _from_cycle(self, n: jax.Array, pos: jax.Array, length: jax.Array) -> jax.Array:
        out = self._shape(n, pos, length)
        if self.cycle_limit is not None:
            out = jnp.where(n < self.cycle_limit, out, as_f32(self.eta_min))
        return out

    def _value(self, t: jax.Array) -> jax.Array:
        return self._from_cycle(*_restart_cycle_float(t, self.T_0, self.T_mult))

    def _value_at(self, count: jax.Array) -> jax.Array:
        return self._from_cycle(*_restart_cycle(count, self.T_0, self.T_mult))


@register("cosine_warm_restarts")
class CosineWarmRestarts(_Restarts):
    """SGDR: cosine cycles of length ``T_0 * T_mult**i`` with decaying peaks."""

    init_value: float
    T_0: int
    T_mult: float = static_field(default=1)
    eta_min: float = 0.0
    peak_decay: float = 1.0
    floor_relative: bool = static_field(default=False)
    cycle_limit: int | None = static_field(default=None)
    k_decay: float = 1.0

    def __post_init__(self) -> None:
        set_field(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        set_field(self, "T_0", check_int("T_0", self.T_0, lo=1))
        set_field(self, "T_mult", _check_T_mult(self.T_mult))
        set_field(self, "eta_min", check_float("eta_min", self.eta_min, lo=0.0))
        init, low = static_value(self.init_value), static_value(self.eta_min)
        if init is not None and low is not None and low > init:
            raise ValueError(f"eta_min must be <= init_value ({init!r}), got {low!r}")
        set_field(
            self, "peak_decay", check_float("peak_decay", self.peak_decay, lo=0.0, lo_open=True)
        )
        set_field(self, "floor_relative", check_bool("floor_relative", self.floor_relative))
        set_field(self, "cycle_limit", _check_cycle_limit(self.cycle_limit))
        set_field(self, "k_decay", check_float("k_decay", self.k_decay, lo=0.0, lo_open=True))
        if self.T_mult != 1 and static_value(self.T_0) is not None:
            _cycle_table(int(self.T_0), self.T_mult)  # rejects T_mult too close to 1
        _check_peak_growth(
            self.init_value, self.peak_decay, self.T_0, self.T_mult, self.cycle_limit
        )

    def _peak(self, n: jax.Array) -> jax.Array:
        decay = power(self.peak_decay, n)  # log in float64 on the host when concrete
        init, low = as_f32(self.init_value), as_f32(self.eta_min)
        if self.floor_relative:  # Keras m_mul: the height above the floor decays
            return low + (init - low) * decay
        return jnp.maximum(init * decay, low)

    def _shape(self, n: jax.Array, pos: jax.Array, length: jax.Array) -> jax.Array:
        low = as_f32(self.eta_min)
        k = self.k_decay if static_value(self.k_decay) is not None else as_f32(self.k_decay)
        return low + (self._peak(n) - low) * cos_frac(_power_frac(pos, length, k), 1.0)


def cosine_warm_restarts(
    init_value: float,
    T_0: int,
    T_mult: float = 1,
    eta_min: float = 0.0,
    peak_decay: float = 1.0,
    *,
    floor_relative: bool = False,
    cycle_limit: int | None = None,
    k_decay: float = 1.0,
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


def _np_cycle(t: np.ndarray, T_0: int, T_mult: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact (float64 / Python int) cycle index, position and length: a test reference."""
    t = np.asarray(t, np.int64)
    if T_mult == 1:
        return t // T_0, (t % T_0).astype(np.float64), np.full(t.shape, float(T_0))
    first, offset, length = _cycle_table(T_0, T_mult)
    n = np.searchsorted(np.asarray(first), t, side="right") - 1
    pos = (t - np.asarray(first)[n]) + np.asarray(offset)[n]
    return n, pos, np.asarray(length)[n]
