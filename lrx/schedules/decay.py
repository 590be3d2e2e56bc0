"""Decay schedules: constant, step, multistep, exponential, polynomial, linear, inverse sqrt."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lrx._validate import check_float
from lrx.schedules._base import Schedule, _set, register

__all__ = ["constant"]


@register("constant")
class Constant(Schedule):
    """``s(t) = value`` (torch ``ConstantLR(factor=1)``)."""

    value: float

    def __post_init__(self) -> None:
        _set(self, "value", check_float("value", self.value, lo=0.0))

    def _value(self, t: jax.Array) -> jax.Array:
        return jnp.full(t.shape, self.value, jnp.float32)


def constant(value: float) -> Schedule:
    """A constant learning rate.

    Formula: ``s(t) = value``. Same numbers as torch ``ConstantLR(factor=1.0)``.

    Args:
        value: the learning rate, finite and >= 0.

    Example:
        >>> import lrx
        >>> lrx.constant(0.01)(5).item()
        0.009999999776482582
    """
    return Constant(value)


# PLACEHOLDERS below: being implemented (replace)
def exponential_decay(*args, **kwargs):
    raise NotImplementedError('lrx.exponential_decay is not implemented yet')


def inverse_sqrt(*args, **kwargs):
    raise NotImplementedError('lrx.inverse_sqrt is not implemented yet')


def linear_schedule(*args, **kwargs):
    raise NotImplementedError('lrx.linear_schedule is not implemented yet')


def multistep_decay(*args, **kwargs):
    raise NotImplementedError('lrx.multistep_decay is not implemented yet')


def polynomial_decay(*args, **kwargs):
    raise NotImplementedError('lrx.polynomial_decay is not implemented yet')


def step_decay(*args, **kwargs):
    raise NotImplementedError('lrx.step_decay is not implemented yet')


