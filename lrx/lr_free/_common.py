"""Helpers the learning-rate-free methods share: parameter checks, scalar dtypes, rates.

The authors keep their scalar estimates as Python floats (float64 on the host): the scalars
here are float64 for float64 parameters and float32 otherwise, and hyperparameter arithmetic
such as ``1 - b`` is taken in float64 on the host when the value is concrete.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from lrx._counters import bias_correction, safe_increment, zero_count
from lrx._dtypes import const
from lrx._validate import check_float, is_traced, static_value
from lrx.schedules._base import as_schedule_fn

__all__ = [
    "adam_bias_correction",
    "after",
    "as_operand",
    "check_lr",
    "check_positive_or_inf",
    "check_real_params",
    "lr_at",
    "one_minus",
    "params_required",
    "scalar_dtype",
    "start_estimate",
]


def check_real_params(name: str, params: Any) -> None:
    """The authors define no complex version: complex (or integer) leaves raise."""
    for leaf in jax.tree.leaves(params):
        dt = jnp.dtype(leaf.dtype)
        if jnp.issubdtype(dt, jnp.complexfloating):
            raise ValueError(
                f"{name}: complex parameters are not supported (the authors' method is defined "
                f"for real parameters only), got a {dt.name} leaf"
            )
        if not jnp.issubdtype(dt, jnp.floating):
            raise ValueError(f"{name}: parameters must have a floating dtype, got {dt.name}")


def scalar_dtype(params: Any) -> Any:
    """float64 when any parameter is float64 (the authors' host floats), else float32."""
    for leaf in jax.tree.leaves(params):
        if jnp.dtype(leaf.dtype) == jnp.float64:
            return jnp.dtype(jnp.float64)
    return jnp.dtype(jnp.float32)


def check_positive_or_inf(name: str, value: Any) -> Any:
    """A concrete float > 0 (``inf`` allowed: "unrestricted"); a tracer passes unchecked."""
    v = static_value(value)
    if is_traced(value):
        return value
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    if math.isnan(float(v)) or float(v) <= 0.0:
        raise ValueError(f"{name} must be > 0 (inf for unrestricted), got {value!r}")
    return float(v)


def check_lr(learning_rate: Any) -> Callable[[jax.Array], Any]:
    """``count -> lr``; a Python number stays a Python float (cast to the scalars' dtype
    where used: float64 for float64 parameters, as the authors' host float)."""
    if not callable(learning_rate):
        value = check_float("learning_rate", learning_rate, lo=0.0)
        if not is_traced(value) and isinstance(learning_rate, (int, float)):
            return lambda count: value
    return as_schedule_fn(learning_rate)


def lr_at(fn: Callable[[jax.Array], Any], count: jax.Array, dtype: Any) -> jax.Array:
    value = fn(count)
    if isinstance(value, float):
        return jnp.asarray(const(value, dtype))
    return jnp.asarray(value).astype(dtype)


def as_operand(value: Any, dtype: Any) -> Any:
    """A hyperparameter or scalar as an operand of ``dtype``."""
    if isinstance(value, jax.Array):
        return value.astype(dtype)
    return const(value, dtype)


def one_minus(value: Any, dtype: Any) -> Any:
    """``1 − value`` in ``dtype``, taken in float64 on the host when ``value`` is concrete
    (``1 − float32(0.9995)`` is off by 1e-4 relative: the authors' host floats are not)."""
    if is_traced(value):
        return 1 - value.astype(dtype)
    return const(1.0 - float(value), dtype)


def adam_bias_correction(b1: Any, b2: Any, k: jax.Array, dtype: Any, enabled: bool = True) -> Any:
    """``sqrt(1 − b2^(k+1)) / (1 − b1^(k+1))``, each ``1 − b^t`` without cancellation; 1 when
    not ``enabled`` (the authors' ``use_bias_correction=False``)."""
    if not enabled:
        return const(1.0, dtype)
    t = safe_increment(k)
    return jnp.sqrt(bias_correction(b2, t, dtype)) / bias_correction(b1, t, dtype)


def params_required(name: str, params: Any) -> Any:
    if params is None:
        raise ValueError(f"{name}: update needs params (update(grads, state, params))")
    return params


def start_estimate(
    name: str,
    params: Any,
    d0: Any,
    lr_fn: Callable[[jax.Array], Any],
    factor: Callable[[jax.Array, Any], Any] | None = None,
) -> tuple[Any, dict[str, jax.Array]]:
    """Check ``params`` and return the scalars' dtype and the fields every ``d``-estimating
    method starts with: ``count = k = 0``, ``d = d0`` and ``dlr = next_dlr = d0 · lr(0)``
    (times ``factor(0, dtype)``, e.g. Adam's bias correction)."""
    check_real_params(name, params)
    sdt = scalar_dtype(params)
    count = zero_count()
    d = as_operand(d0, sdt) * jnp.ones([], sdt)
    dlr = d * lr_at(lr_fn, count, sdt)
    if factor is not None:
        dlr = dlr * factor(count, sdt)
    fields = {"count": count, "k": zero_count(), "d": d, "dlr": dlr}
    return sdt, {**fields, "next_dlr": jnp.array(dlr, copy=True)}


def after(*sums: jax.Array) -> jax.Array:
    """A boolean scalar, always ``True``, that XLA can only know once ``sums`` are computed.

    A global sum that reads the old state, which the same update then rewrites, is a
    write-after-read hazard: with donated buffers XLA writes the new state over the old one
    and, unless the writes are known to come after the sum, first copies the old state (two
    extra passes over each buffer). ``jnp.where(on & after(sum), new, old)`` makes the
    writes depend on the sum (``x >= 0 or x < 0 or isnan(x)`` holds for every float, and
    no XLA pass proves it): no copy, the same numbers.
    """
    ok = jnp.ones([], bool)
    for s in sums:
        ok = ok & ((s >= 0) | (s < 0) | jnp.isnan(s))
    return ok
