"""Learning-rate noise: a schedule times ``1 + n_t``, with ``n_t`` drawn from a seed and ``t``."""

from __future__ import annotations

from typing import Any, cast

import jax
import jax.numpy as jnp

from lrx._types import Hyper
from lrx._validate import check_choice, check_float, check_int, static_value
from lrx.schedules._base import Schedule
from lrx.schedules._common import as_f32, check_bound, check_static, int_count, set_field
from lrx.schedules._config import register, schedule_field, static_field
from lrx.schedules.compose import as_schedule

__all__ = ["lr_noise"]

_KINDS = ("normal", "uniform")


def _draws(seed: Any, count: jax.Array, kind: str, pct: Any, std: Any) -> jax.Array:
    """One draw per count: ``jax.random`` keyed by ``fold_in(PRNGKey(seed), count)``."""
    base = jax.random.PRNGKey(jnp.asarray(seed).astype(jnp.uint32))
    flat = count.reshape(-1).astype(jnp.uint32)
    keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(base, flat)
    pct, std = as_f32(pct), as_f32(std)
    if kind == "normal":  # N(0, std²) truncated to (-pct, pct), as timm resamples
        z = jax.vmap(lambda k: jax.random.truncated_normal(k, -pct / std, pct / std))(keys)
        n = std * z
    else:
        n = jax.vmap(lambda k: jax.random.uniform(k, minval=-pct, maxval=pct))(keys)
    return cast(jax.Array, n.reshape(count.shape))


@register("lr_noise")
class LrNoise(Schedule):
    """``schedule(t) * (1 + n_t)`` for ``start <= t < end``; ``n_t`` is seeded by ``t``."""

    schedule: Schedule = schedule_field()
    pct: Hyper = 0.67
    std: Hyper = 1.0
    kind: str = static_field(default="normal")
    start: int = 0
    end: int | None = static_field(default=None)
    seed: int = 42

    def __post_init__(self) -> None:
        set_field(self, "schedule", as_schedule("schedule", self.schedule))
        set_field(self, "pct", check_float("pct", self.pct, lo=0.0, hi=1.0, hi_open=True))
        set_field(self, "std", check_float("std", self.std, lo=0.0, lo_open=True))
        set_field(self, "kind", check_choice("kind", check_static("kind", self.kind), _KINDS))
        set_field(self, "start", check_int("start", self.start, lo=0))
        check_static("end", self.end)
        if self.end is not None:
            set_field(self, "end", check_int("end", self.end, lo=0))
            lo = static_value(self.start)
            if lo is not None and self.end <= lo:
                raise ValueError(f"end must be > start ({lo}) or None, got {self.end}")
        set_field(self, "seed", check_int("seed", self.seed, lo=0))
        check_bound("schedule", self._max_value(), "schedule * (1 + pct)")

    def _max_value(self) -> float | None:
        inner, pct = self.schedule._max_value(), static_value(self.pct)
        return None if inner is None or pct is None else inner * (1.0 + pct)

    def _at(self, count: jax.Array) -> jax.Array:
        value = self.schedule(count)
        noise = _draws(self.seed, count, self.kind, self.pct, self.std)
        on = count >= jnp.asarray(self.start).astype(count.dtype)
        if self.end is not None:
            on = on & (count < self.end)
        return jnp.where(on, value * (1.0 + noise), value)

    def _value(self, t: jax.Array) -> jax.Array:
        return self._at(jnp.floor(t).astype(jnp.int32))

    def _value_at(self, count: jax.Array) -> jax.Array:
        return self._at(int_count(count))


def lr_noise(
    schedule: Schedule,
    *,
    pct: Hyper = 0.67,
    std: Hyper = 1.0,
    kind: str = "normal",
    start: int = 0,
    end: int | None = None,
    seed: int = 42,
) -> Schedule:
    """Multiply a schedule by seeded random noise: ``s(t) = schedule(t) * (1 + n_t)``.

    Formula: for ``start <= t < end`` (``end=None``: no end),
    ``s(t) = schedule(t) * (1 + n_t)``, otherwise ``schedule(t)``. ``n_t`` is drawn from
    ``jax.random`` with the key ``fold_in(PRNGKey(seed), t)``: a pure function of the seed
    and the count (the same value on every call, under ``jit``, after a restart from a
    checkpoint). ``kind="normal"``: ``n_t ~ N(0, std²)`` truncated to ``(-pct, pct)``;
    ``kind="uniform"``: ``n_t ~ U(-pct, pct)``. So ``(1 - pct) * schedule(t) <= s(t) <=
    (1 + pct) * schedule(t)``.

    Peers: timm's ``noise_range_t=(start, end)``, ``noise_pct=pct``, ``noise_type=kind``,
    ``noise_seed=seed`` on any of its schedulers (timm draws ``randn`` truncated by
    resampling, i.e. ``std = 1``, from ``torch.Generator`` seeded with ``seed + t``: the
    same distribution and semantics, other random numbers).

    Args:
        schedule: the noiseless schedule (a number means ``constant``).
        pct: the noise bound, in [0, 1). Default 0.67 (timm's).
        std: standard deviation of the normal noise before truncation, > 0. Default 1.0.
        kind: ``"normal"`` or ``"uniform"``. Default ``"normal"``.
        start: first noisy count; integer >= 0. Default 0.
        end: first count without noise again; integer > ``start``, or None. Default None.
        seed: the random seed; integer in [0, 2**31). Default 42.

    Example:
        >>> import lrx
        >>> s = lrx.lr_noise(lrx.constant(1.0), pct=0.1, start=2, end=4)
        >>> v = s.values(6)
        >>> v[[0, 1, 4, 5]].tolist(), bool(abs(v[2] - 1) < 0.1), bool(v[2] != v[3])
        ([1.0, 1.0, 1.0, 1.0], True, True)
        >>> float(s(3)) == float(s(3)) == float(v[3])
        True
    """
    return LrNoise(schedule=schedule, pct=pct, std=std, kind=kind, start=start, end=end, seed=seed)
