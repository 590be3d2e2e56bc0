"""Numerical helpers shared by transforms: saturating counts, bias correction, lr resolution."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from lrx._validate import check_float

INT32_MAX = 2**31 - 1


def zero_count() -> jax.Array:
    """The initial update count: int32 zero."""
    return jnp.zeros([], jnp.int32)


def safe_increment(count: jax.Array) -> jax.Array:
    """``count + 1`` that saturates at ``int32`` max instead of wrapping to negative."""
    count = jnp.asarray(count)
    max_value = jnp.iinfo(count.dtype).max
    return jnp.where(count < max_value, count + 1, max_value).astype(count.dtype)


def bias_correction(decay: float, count: jax.Array, dtype: Any = jnp.float32) -> jax.Array:
    """``1 - decay**count`` computed in ``dtype``; finite for counts up to int32 max."""
    c = jnp.asarray(count).astype(dtype)
    return 1 - jnp.asarray(decay, dtype) ** c


def as_schedule_fn(learning_rate: Any, name: str = "learning_rate") -> Callable[[jax.Array], Any]:
    """Turn a ``ScalarOrSchedule`` into ``count -> value``.

    A :class:`lrx.Schedule` is recognised by type; a Python number or 0-d array is a
    constant (validated: finite and >= 0); anything else callable is wrapped as is.
    """
    from lrx.schedules._base import Schedule  # local: schedules import numerics

    if isinstance(learning_rate, Schedule):
        return learning_rate
    if isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool):
        value = check_float(name, learning_rate, lo=0.0)
        return lambda count: jnp.asarray(value, jnp.float32)
    if isinstance(learning_rate, jax.Array | jax.core.Tracer) or hasattr(learning_rate, "dtype"):
        arr = jnp.asarray(learning_rate)
        if arr.ndim != 0:
            raise ValueError(f"{name} must be a scalar, got an array of shape {arr.shape}")
        if not isinstance(arr, jax.core.Tracer):
            value = float(arr)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
        return lambda count: arr
    if callable(learning_rate):
        return learning_rate
    raise ValueError(f"{name} must be a float, a scalar array, a Schedule or a callable, got {learning_rate!r}")
