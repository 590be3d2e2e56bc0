"""Update counters: the int32 ``count`` every state keeps, and Adam-style bias corrections."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from lrx._validate import static_value

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
    max_value = np.array(np.iinfo(dtype).max, dtype)
    return lax.select(lax.lt(count, max_value), lax.add(count, np.array(1, dtype)), max_value)


def bias_correction(decay: Any, count: jax.Array, dtype: Any = jnp.float32) -> jax.Array:
    """``1 - decay**count`` in ``dtype`` (for a complex ``dtype``: computed in its real part
    and converted); finite for counts up to int32 max.

    It is evaluated as ``-expm1(count * log(decay))``, which keeps ``dtype``'s relative
    precision (``1 - 0.999**1`` in float32 via ``float32(0.999)`` is off by 1.3e-5; this is
    off by ~1e-7, as torch and NumPy's float64 bias correction). A concrete ``decay`` takes
    ``log(decay)`` in float64 on the host; a traced one (``jit``, ``vmap``,
    ``optax.inject_hyperparams``) takes it in ``dtype`` on the device. ``decay = 0`` gives
    1 for ``count >= 1`` (``0**0 = 1`` gives 0 at ``count = 0``).
    """
    dtype = jnp.dtype(dtype)
    rdt = np.finfo(dtype).dtype if jnp.issubdtype(dtype, jnp.complexfloating) else dtype
    c = jnp.asarray(count).astype(rdt)
    d = static_value(decay)
    if d is None:  # traced: the same formula, on the device
        result = -jnp.expm1(c * jnp.log(jnp.asarray(decay).astype(rdt)))
        result = jnp.where(c > 0, result, jnp.zeros([], rdt))  # 0 * log(0) is NaN
    elif d == 0.0:  # 0**0 = 1, 0**t = 0 for t > 0
        result = jnp.where(c > 0, jnp.ones([], rdt), jnp.zeros([], rdt))
    elif 0.0 < d < 1.0:
        result = -jnp.expm1(c * np.asarray(math.log(d), rdt))
    else:
        result = 1 - jnp.asarray(d, rdt) ** c
    return result.astype(dtype)
