"""Update counters: the int32 ``count`` every state keeps, and Adam-style bias corrections."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

__all__ = ["bias_correction", "safe_increment", "zero_count"]


def zero_count() -> jax.Array:
    """The initial update count: int32 zero."""
    return jnp.zeros([], jnp.int32)


def safe_increment(count: jax.Array) -> jax.Array:
    """``count + 1`` that saturates at ``int32`` max instead of wrapping to negative.

    Three ``lax`` operations (no nested ``where`` jit). A ``select`` rather than
    ``min(count, max - 1) + 1``: XLA duplicates the latter into every consumer (the bias
    corrections), which then read the donated input count and force a copy of it.
    """
    count = jnp.asarray(count)
    dtype = count.dtype
    max_value = np.array(jnp.iinfo(dtype).max, dtype)
    return lax.select(lax.lt(count, max_value), lax.add(count, np.array(1, dtype)), max_value)


def bias_correction(decay: float, count: jax.Array, dtype: Any = jnp.float32) -> jax.Array:
    """``1 - decay**count`` computed in ``dtype``; finite for counts up to int32 max.

    For a Python ``decay`` in ``(0, 1)`` it is ``-expm1(count * log(decay))`` with
    ``log(decay)`` taken in float64, so the result keeps ``dtype``'s relative precision
    (``1 - 0.999**1`` in float32 via ``float32(0.999)`` is off by 1.3e-5; this is off by
    ~1e-7, as torch and NumPy's float64 bias correction).
    """
    c = jnp.asarray(count).astype(dtype)
    if isinstance(decay, (int, float)) and not isinstance(decay, bool):
        d = float(decay)
        if d == 0.0:  # 0**0 = 1, 0**t = 0 for t > 0
            return jnp.where(c > 0, jnp.ones([], dtype), jnp.zeros([], dtype))
        if 0.0 < d < 1.0:
            return -jnp.expm1(c * jnp.asarray(math.log(d), dtype))
    return 1 - jnp.asarray(decay, dtype) ** c
