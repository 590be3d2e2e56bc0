"""The restart machinery shared by the restart families (cosine warm restarts, tanh decay).

Cycle ``i`` lasts ``T_0 * T_mult**i`` updates (``T_mult`` a real number >= 1, as Keras and
timm allow); its start is found in integer arithmetic, so every int32 count lands in the
right cycle. :class:`Restarts` is the base class of the families: it finds the count's
cycle ``(n, position, length)`` and leaves the shape of a cycle to the family.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

import jax
import jax.numpy as jnp

from lrx._validate import FLOAT32_MAX, INT32_MAX, check_float, check_int, static_value
from lrx.schedules._base import Schedule
from lrx.schedules._common import as_f32, check_static, int_count

__all__ = [
    "MAX_CYCLES",
    "Restarts",
    "check_T_mult",
    "check_cycle_limit",
    "check_peak_growth",
    "cycle_table",
    "num_cycles_below_2_31",
    "peak_bound",
    "restart_cycle",
    "restart_cycle_float",
    "unit_table",
]

# Above this many cycles below 2**31 a growing T_mult is rejected (it is within ~0.5% of 1).
MAX_CYCLES = 4096


def check_T_mult(value: Any) -> int | float:
    """``T_mult`` as a Python number >= 1 (an int when integral, so configs stay tidy)."""
    if static_value(value) is None:
        raise ValueError(
            "T_mult must be a Python value (a static field: it sets the cycle table), got a tracer"
        )
    f = check_float("T_mult", value, lo=1.0)
    return int(f) if float(f).is_integer() else f


def check_cycle_limit(value: Any) -> int | None:
    """``cycle_limit``: None or a Python integer >= 1 (a static field: never a tracer)."""
    check_static("cycle_limit", value)
    if value is None:
        return None
    return cast(int, check_int("cycle_limit", value, lo=1))


def cycle_table(T_0: int, T_mult: float) -> tuple[list[int], list[float], list[float]]:
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
        if len(first) > MAX_CYCLES:
            raise ValueError(
                f"T_mult must give at most {MAX_CYCLES} cycles below 2**31 (T_mult >= ~1.005 "
                f"for small T_0), got T_mult={T_mult!r} with T_0={T_0!r}"
            )
    return first, offset, length


def unit_table(T_mult: float) -> tuple[list[float], list[float]]:
    """``c_i = (T_mult**i - 1) / (T_mult - 1)`` and ``T_mult**i`` for the cycles of
    ``T_0 = 1`` below 2**31 (at most ``MAX_CYCLES + 1``): cycle ``i`` of any ``T_0``
    starts at ``T_0 * c_i`` and lasts ``T_0 * T_mult**i``."""
    c, g = [0.0], [1.0]
    while c[-1] + g[-1] <= INT32_MAX and len(c) <= MAX_CYCLES:
        c.append(c[-1] + g[-1])
        g.append(g[-1] * T_mult)
    return c, g


def restart_cycle(
    count: jax.Array, T_0: Any, T_mult: float
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(cycle index, position in the cycle, cycle length) of integer counts, float32.

    ``T_mult == 1``: integer ``//`` and ``%`` (``T_0`` may be traced). Otherwise, for a
    concrete ``T_0``, the host-exact start table of :func:`cycle_table` is searched with
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
        c, g = unit_table(T_mult)
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
    first, offset, length = cycle_table(int(T0), T_mult)
    firsts = jnp.asarray(first, count.dtype)
    n = jnp.maximum(jnp.searchsorted(firsts, count, side="right") - 1, 0)
    pos = (count - jnp.take(firsts, n)).astype(f32) + jnp.take(jnp.asarray(offset, f32), n)
    return n.astype(f32), pos, jnp.take(jnp.asarray(length, f32), n)


def restart_cycle_float(
    t: jax.Array, T_0: Any, T_mult: float
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """:func:`restart_cycle` for float32 counts (exact below 2**24)."""
    f32 = jnp.float32
    if T_mult == 1:
        T = jnp.asarray(T_0).astype(f32)
        n = jnp.floor(t / T)
        n = jnp.where(n * T > t, n - 1.0, n)  # t / T may round up just below a multiple
        return n, t - n * T, jnp.broadcast_to(T, t.shape)
    T0 = static_value(T_0)
    if T0 is None:
        c, g = unit_table(T_mult)
        cs, Tf = jnp.asarray(c, f32), jnp.asarray(T_0).astype(f32)
        n = jnp.maximum(jnp.searchsorted(cs, t / Tf, side="right") - 1, 0)
        pos = jnp.maximum(t - Tf * jnp.take(cs, n), 0.0)
        return n.astype(f32), pos, Tf * jnp.take(jnp.asarray(g, f32), n)
    first, offset, length = cycle_table(int(T0), T_mult)
    starts = jnp.asarray([f - o for f, o in zip(first, offset, strict=True)], f32)
    n = jnp.maximum(jnp.searchsorted(jnp.asarray(first, f32), t, side="right") - 1, 0)
    return n.astype(f32), t - jnp.take(starts, n), jnp.take(jnp.asarray(length, f32), n)


def num_cycles_below_2_31(T_0: int, T_mult: float) -> int:
    if T_mult == 1:
        return INT32_MAX // T_0 + 1
    return len(cycle_table(T_0, T_mult)[0])


def check_peak_growth(
    init_value: Any, peak_decay: Any, T_0: Any, T_mult: float, cycle_limit: int | None
) -> None:
    """``peak_decay > 1`` (Keras ``m_mul > 1``) must not overflow float32 before 2**31."""
    init, d, T = static_value(init_value), static_value(peak_decay), static_value(T_0)
    if init is None or d is None or T is None or d <= 1.0 or init == 0:
        return
    cycles = num_cycles_below_2_31(int(T), T_mult)
    if cycle_limit is not None:
        cycles = min(cycles, cycle_limit)
    if math.log(init) + (cycles - 1) * math.log(d) >= math.log(FLOAT32_MAX):
        raise ValueError(
            f"peak_decay must keep every peak finite in float32 over {cycles} cycles "
            f"(init_value * peak_decay**{cycles - 1} <= {FLOAT32_MAX:.4g}; set cycle_limit "
            f"to bound the growth), got {peak_decay!r}"
        )


class Restarts(Schedule):
    """Base of the restart families (cosine, tanh): the count's cycle ``(n, position,
    length)`` is found by :func:`restart_cycle` (integer-exact) or
    :func:`restart_cycle_float`, then shaped by the family's ``_shape``; cycles from
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
        return self._from_cycle(*restart_cycle_float(t, self.T_0, self.T_mult))

    def _value_at(self, count: jax.Array) -> jax.Array:
        return self._from_cycle(*restart_cycle(count, self.T_0, self.T_mult))


def peak_bound(
    init_value: Any,
    eta_min: Any,
    peak_decay: Any,
    T_0: Any,
    T_mult: float,
    cycle_limit: int | None,
) -> float | None:
    """The largest value of a restart family, or None when a field is traced.

    Peaks are ``init_value * peak_decay**n`` (or the floor-relative form, never larger) for
    the cycles ``n`` that run below 2**31 (and below ``cycle_limit``); the floor is
    ``eta_min``.
    """
    init, low, d, T = (static_value(v) for v in (init_value, eta_min, peak_decay, T_0))
    if init is None or low is None or d is None or T is None:
        return None
    if d <= 1.0 or init == 0:
        return float(max(init, low))
    cycles = num_cycles_below_2_31(int(T), T_mult)
    if cycle_limit is not None:
        cycles = min(cycles, cycle_limit)
    log_peak = math.log(init) + (cycles - 1) * math.log(d)
    return math.inf if log_peak >= math.log(FLOAT32_MAX) else float(max(math.exp(log_peak), low))
