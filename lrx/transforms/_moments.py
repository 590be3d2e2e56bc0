"""Guarded division used by the adaptive transforms where a denominator can vanish."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

__all__ = ["divide", "safe_div"]


def safe_div(num: jax.Array, den: jax.Array) -> jax.Array:
    """``num / den``, and 0 where ``den == 0`` (only reachable with ``eps == 0``).

    Transforms use it only where a zero denominator is possible (decided statically from
    the hyperparameters, see :func:`positive_in`); elsewhere they divide plainly.
    """
    num, den = jnp.asarray(num), jnp.asarray(den)
    ok = lax.gt(den, np.array(0, den.dtype))
    safe_den = lax.select(ok, den, lax.full_like(den, 1))  # no inf/NaN, even in gradients
    return lax.select(ok, lax.div(num, safe_den), lax.full_like(num, 0))


def divide(num: jax.Array, den: jax.Array, guarded: bool) -> jax.Array:
    """``safe_div(num, den)`` if ``guarded`` (a static Python bool), else ``num / den``."""
    return safe_div(num, den) if guarded else lax.div(num, den)
