"""Cosine schedules: cosine annealing (held at its floor) and SGDR warm restarts."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lrx._validate import INT32_MAX, check_float, check_int
from lrx.schedules._base import Schedule, _set, register
from lrx.schedules.decay import _cos_frac, _floordiv, _pow

__all__ = ["cosine_annealing", "cosine_warm_restarts"]


@register("cosine_annealing")
class CosineAnnealing(Schedule):
    """``eta_min + (init_value - eta_min) * (1 + cos(pi * min(t, T_max) / T_max)) / 2``."""

    init_value: float
    T_max: int
    eta_min: float = 0.0

    def __post_init__(self) -> None:
        _set(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        _set(self, "T_max", check_int("T_max", self.T_max, lo=1))
        _set(self, "eta_min", check_float("eta_min", self.eta_min, lo=0.0))

    def _value(self, t: jax.Array) -> jax.Array:
        total = float(self.T_max)
        remaining = total - jnp.clip(t, 0.0, total)
        return self.eta_min + (self.init_value - self.eta_min) * _cos_frac(remaining, total)


def cosine_annealing(init_value: float, T_max: int, eta_min: float = 0.0) -> Schedule:
    """Cosine annealing from ``init_value`` to ``eta_min`` over ``T_max`` updates, then held.

    Formula (003_c528f951556b93fa.txt §4.2 "Cosine Annealing", closed form with
    ``eta_max = init_value``):
    ``s(t) = eta_min + (init_value - eta_min) * (1 + cos(pi * min(t, T_max) / T_max)) / 2``.
    After ``T_max`` the value stays at ``eta_min``.

    Peers: torch ``CosineAnnealingLR(T_max, eta_min)`` for ``t <= T_max`` (torch keeps
    following the cosine back up afterwards; use ``cosine_warm_restarts`` for restarts).
    optax ``cosine_decay_schedule(init_value, decay_steps=T_max,
    alpha=eta_min / init_value)``.

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
    return CosineAnnealing(init_value, T_max, eta_min)


@register("cosine_warm_restarts")
class CosineWarmRestarts(Schedule):
    """SGDR: cosine cycles of length ``T_0 * T_mult**i``, peak ``init_value * peak_decay**i``."""

    init_value: float
    T_0: int
    T_mult: int = 1
    eta_min: float = 0.0
    peak_decay: float = 1.0

    def __post_init__(self) -> None:
        _set(self, "init_value", check_float("init_value", self.init_value, lo=0.0))
        _set(self, "T_0", check_int("T_0", self.T_0, lo=1))
        _set(self, "T_mult", check_int("T_mult", self.T_mult, lo=1))
        _set(self, "eta_min", check_float("eta_min", self.eta_min, lo=0.0))
        if self.eta_min > self.init_value:
            raise ValueError(
                f"eta_min must be <= init_value ({self.init_value!r}), got {self.eta_min!r}"
            )
        _set(
            self,
            "peak_decay",
            check_float("peak_decay", self.peak_decay, lo=0.0, hi=1.0, lo_open=True),
        )

    def _cycle(self, t: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """(cycle index, position in the cycle, cycle length), float32, exact for t < 2**24."""
        if self.T_mult == 1:
            # fmod is exact; t - n * T_0 would round once n * T_0 passes 2**24
            pos = jnp.mod(t, float(self.T_0))
            return _floordiv(t, self.T_0), pos, jnp.full(t.shape, float(self.T_0), jnp.float32)
        # Cycle i starts at T_0 * (T_mult**i - 1) / (T_mult - 1); fewer than 32 cycles
        # start below 2**31, so the start table is built exactly on the host.
        starts, lengths = [0], [self.T_0]
        while starts[-1] + lengths[-1] <= INT32_MAX + 1:
            starts.append(starts[-1] + lengths[-1])
            lengths.append(lengths[-1] * self.T_mult)
        starts_arr = jnp.asarray(starts, jnp.float32)
        n = jnp.maximum(jnp.searchsorted(starts_arr, t, side="right") - 1, 0)
        start = jnp.take(starts_arr, n)
        length = jnp.take(jnp.asarray(lengths, jnp.float32), n)
        return n.astype(jnp.float32), t - start, length

    def _cycle_at(self, count: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """``_cycle`` in integer arithmetic: exact for every int32 count."""
        f32 = jnp.float32
        if self.T_mult == 1:
            n, pos = count // self.T_0, count % self.T_0
            return n.astype(f32), pos.astype(f32), jnp.full(count.shape, float(self.T_0), f32)
        starts, lengths = [0], [self.T_0]
        while starts[-1] + lengths[-1] <= INT32_MAX:
            starts.append(starts[-1] + lengths[-1])
            lengths.append(lengths[-1] * self.T_mult)
        starts_arr = jnp.asarray(starts, count.dtype)
        n = jnp.maximum(jnp.searchsorted(starts_arr, count, side="right") - 1, 0)
        pos = count - jnp.take(starts_arr, n)
        length = jnp.take(jnp.asarray(lengths, f32), n)
        return n.astype(f32), pos.astype(f32), length

    def _value(self, t: jax.Array) -> jax.Array:
        return self._from_cycle(*self._cycle(t))

    def _value_at(self, count: jax.Array) -> jax.Array:
        return self._from_cycle(*self._cycle_at(count))

    def _from_cycle(self, n: jax.Array, pos: jax.Array, length: jax.Array) -> jax.Array:
        peak = jnp.maximum(self.init_value * _pow(self.peak_decay, n), self.eta_min)
        return self.eta_min + (peak - self.eta_min) * _cos_frac(length - pos, length)


def cosine_warm_restarts(
    init_value: float,
    T_0: int,
    T_mult: int = 1,
    eta_min: float = 0.0,
    peak_decay: float = 1.0,
) -> Schedule:
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017).

    Formula: cycle ``i`` lasts ``T_i = T_0 * T_mult**i`` updates; inside it, at position
    ``T_cur``, ``s(t) = eta_min + (peak_i - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``
    with ``peak_i = max(init_value * peak_decay**i, eta_min)``. Each cycle is the cosine
    annealing of 003_c528f951556b93fa.txt §4.2 and restarts at its (decayed) peak.

    Peers: torch ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)`` stepped once per
    update (``peak_decay=1``). ``peak_decay`` is Keras ``CosineDecayRestarts``' ``m_mul``
    and timm's ``cycle_decay`` (timm's form: ``eta_min`` is not decayed).

    Args:
        init_value: the first peak; finite, >= 0.
        T_0: length of the first cycle in updates; integer >= 1.
        T_mult: growth factor of the cycle length; integer >= 1. Default 1.
        eta_min: the floor of every cycle; finite, in [0, init_value]. Default 0.0.
        peak_decay: factor applied to the peak at each restart, in (0, 1]; peaks never
            fall below ``eta_min``. Default 1.0.

    Example:
        >>> import lrx
        >>> s = lrx.cosine_warm_restarts(1.0, T_0=2, T_mult=2)
        >>> [round(v, 4) for v in s.values(8).tolist()]
        [1.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0, 0.9619]
    """
    return CosineWarmRestarts(init_value, T_0, T_mult, eta_min, peak_decay)
