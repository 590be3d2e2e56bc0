"""Hyperparameters on a schedule: the one mechanism every transform uses.

A numeric hyperparameter (``b1``, ``b2``, ``eps``, ``decay``, ``dampening``, ...) may be a
number, a concrete array, a tracer, or a schedule: an :class:`lrx.Schedule` (recognised by
type) or any other callable ``count -> value`` that is not an array. A schedule is
evaluated at the count of the update it serves, the transform's own count *before* the
increment, i.e. the update index ``t = 0, 1, 2, ...`` (the same count the learning rate
uses), so ``lrx.scale_by_adam(b1=s)`` gives the numbers of
``optax.inject_hyperparams(lrx.scale_by_adam)(b1=s)``.

Whether a hyperparameter is a schedule is decided by its static type at construction, so
the structure of the state (a ``count`` where a transform otherwise keeps none) never
depends on a value. A constant hyperparameter goes through the usual number check and the
kernel is unchanged (the same HLO as before schedules were accepted).

Validation: a schedule is not range-checked as a number (its values are only known per
update, possibly traced); checking its values would need a host sync per update, so a
schedule that leaves the valid range gives what the formula gives with that value, as
``optax.inject_hyperparams`` does.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from lrx._validate import check_float, static_value
from lrx.schedules._base import Schedule

__all__ = ["check_hyper", "hyper_at", "is_schedule", "static_hyper"]


def is_schedule(value: Any) -> bool:
    """Whether ``value`` is a schedule: an :class:`lrx.Schedule`, or a callable that is not
    an array (the rule of ``learning_rate``; a JAX array is callable-free, a NumPy scalar
    too)."""
    return isinstance(value, Schedule) or (callable(value) and not hasattr(value, "dtype"))


def check_hyper(name: str, value: Any, **bounds: Any) -> Any:
    """Validate a hyperparameter that may be a schedule.

    A schedule is returned as is (not range-checked: see the module docstring); anything
    else goes through :func:`lrx._validate.check_float` with ``bounds`` (``lo``, ``hi``,
    ``lo_open``, ``hi_open``) and is returned as that function returns it.
    """
    if is_schedule(value):
        return value
    return check_float(name, value, **bounds)


def static_hyper(value: Any) -> Any:
    """:func:`lrx._validate.static_value`, and ``None`` for a schedule (unknown until the
    update): code that branches on a value takes the general formula for a schedule."""
    if is_schedule(value):
        return None
    return static_value(value)


def hyper_at(name: str, value: Any, count: jax.Array) -> Any:
    """The hyperparameter for the update at ``count`` (the update index, before increment).

    A schedule is called with ``count`` and its value returned as a real scalar array
    (float32 unless the schedule returns another floating dtype; it is rounded once more,
    to the compute dtype, where the kernel uses it). Anything else is returned unchanged,
    so a constant keeps its exact fast path. A complex or non-scalar value raises
    ``ValueError`` naming ``name``.
    """
    if not is_schedule(value):
        return value
    result = jnp.asarray(value(count))
    if jnp.iscomplexobj(result):
        raise ValueError(
            f"{name} must be real: the schedule returned a {result.dtype} value at count {count!r}"
        )
    if result.ndim != 0:
        raise ValueError(f"{name} must be a scalar: the schedule returned shape {result.shape}")
    if not jnp.issubdtype(result.dtype, jnp.floating):
        result = result.astype(jnp.float32)
    return result
