"""``scale_by_learning_rate`` and ``scale_by_schedule``: the step-size part of every optimizer."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

from lrx._counters import safe_increment, zero_count
from lrx._dtypes import check_floating
from lrx._tree import check_state
from lrx._types import ScalarOrSchedule
from lrx._validate import check_bool, check_float
from lrx.schedules._base import Schedule, as_schedule_fn

__all__ = [
    "ScaleByLearningRateState",
    "ScaleByScheduleState",
    "check_rate",
    "scale_by_learning_rate",
    "scale_by_schedule",
]


class ScaleByLearningRateState(NamedTuple):
    """State of :func:`scale_by_learning_rate`.

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        learning_rate: float32, the learning rate applied by the last update
            (``learning_rate(0)`` before any update).
        next_learning_rate: float32, the learning rate the next update will apply
            (``learning_rate(count)``), read by :func:`lrx.next_learning_rate`.
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    learning_rate: jax.Array
    next_learning_rate: jax.Array


class ScaleByScheduleState(NamedTuple):
    """State of :func:`scale_by_schedule`: the int32 update count."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do


def check_rate(name: str, rate: Any) -> ScalarOrSchedule:
    """Validate a ``ScalarOrSchedule`` argument; return it ready to use.

    A :class:`lrx.Schedule` or callable is returned as is. A constant (Python, NumPy or JAX
    number, or a tracer) goes through the one number check (:func:`lrx._validate.check_float`:
    >= 0, finite in float32, a complex value needs a zero imaginary part, ``ValueError``
    naming ``name``) and is returned as the exact Python float it holds, or the tracer.
    """
    if isinstance(rate, Schedule) or (callable(rate) and not hasattr(rate, "dtype")):
        return typing.cast(ScalarOrSchedule, rate)
    return typing.cast(ScalarOrSchedule, check_float(name, rate, lo=0.0))


def _rate_fn(name: str, rate: Any) -> Callable[[jax.Array], Any]:
    """``count -> rate`` for a constant, an :class:`lrx.Schedule` or a callable.

    A constant (Python, NumPy or JAX number, or a tracer) goes through the one number check
    (:func:`lrx._validate.check_float`: >= 0, finite in float32, a complex value needs a
    zero imaginary part) and stays exact: a concrete value is kept as the Python float it
    holds, a tracer as is, so that the multiply rounds it once, to the update's dtype
    (0.1 on a float64 parameter is 0.1, not float32's 0.10000000149).
    """
    value = check_rate(name, rate)
    if callable(value):
        return as_schedule_fn(value, name)
    return lambda count: value


def _rate_at(name: str, fn: Callable[[jax.Array], Any], count: jax.Array) -> Any:
    """The rate at ``count``: a Python float or a real scalar array (never complex)."""
    rate = fn(count)
    if isinstance(rate, float):
        return rate
    if isinstance(rate, complex) or jnp.iscomplexobj(rate):
        raise ValueError(
            f"{name} must be a real number: the callable returned {rate!r} (a complex value "
            "would lose its imaginary part)"
        )
    return jnp.asarray(rate)


def _f32(rate: Any) -> jax.Array:
    """The float32 copy of a rate kept in the state for the readout."""
    return jnp.asarray(rate, jnp.float32)


def _scale_tree(updates: optax.Updates, rate: Any, negate: bool) -> Any:
    """Every leaf times ``rate`` (``-rate`` with ``negate``), ``rate`` rounded once to each
    leaf's dtype (once per dtype, not per leaf): exact in float64 for a Python float."""
    by_dtype: dict[Any, Any] = {}

    def leaf(u: Any) -> Any:
        dtype = u.dtype
        s = by_dtype.get(dtype)
        if s is None:
            if isinstance(rate, float):
                s = np.array(-rate if negate else rate, dtype)
            else:
                s = lax.convert_element_type(rate, dtype)
                s = lax.neg(s) if negate else s
            by_dtype[dtype] = s
        return lax.mul(u, s)

    return jax.tree.map(leaf, updates)


def scale_by_learning_rate(
    learning_rate: ScalarOrSchedule, *, flip_sign: bool = True
) -> optax.GradientTransformation:
    r"""Multiply updates by ``-learning_rate(count)`` (``+`` with ``flip_sign=False``).

    Formula: ``u_t = -\eta_t \, u_t`` with ``\eta_t = learning_rate(t)``, ``t`` the number of
    updates already applied. This is the ``\eta_t`` of article 000's summary formula
    ``\theta_{t+1} = \theta_t - \eta_t / \sigma_t \, m_t``.

    Hyperparameters are data: ``learning_rate`` may be a concrete array or a tracer (``jit``,
    ``vmap``, ``optax.inject_hyperparams``); a traced rate is not range-checked. Updates of
    any floating or complex dtype keep their dtype, and the rate is rounded once, to that
    dtype: a constant stays the exact Python float it holds (``lrx.sgd(0.1)`` steps by
    exactly ``0.1 g`` on float64 parameters under x64, as ``optax.sgd``), a traced or
    callable rate is converted from its own dtype. The state keeps float32 copies for
    :func:`lrx.learning_rate`. A callable returning a complex value raises ``ValueError``.

    Args:
        learning_rate: a real float >= 0, a scalar array, an :class:`lrx.Schedule` or a
            jittable callable ``count -> lr``.
        flip_sign: negate (default ``True``), so that ``apply_updates`` descends.

    Returns:
        A ``GradientTransformation`` whose state (:class:`ScaleByLearningRateState`) keeps the
        count and the learning rate it applied last, read by :func:`lrx.learning_rate`.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.scale_by_learning_rate(lrx.step_decay(0.1, step_size=1, gamma=0.5))
        >>> state = tx.init(jnp.zeros(2))
        >>> u, state = tx.update(jnp.ones(2), state)
        >>> u.tolist(), state.learning_rate.item()
        ([-0.10000000149011612, -0.10000000149011612], 0.10000000149011612)
    """
    fn = _rate_fn("learning_rate", learning_rate)
    flip = check_bool("flip_sign", flip_sign)

    def init_fn(params: optax.Params) -> Any:
        del params
        count = zero_count()
        lr = _f32(_rate_at("learning_rate", fn, count))
        # Two buffers (a copy): state leaves that share one cannot both be donated.
        nxt = jnp.array(lr, copy=True)
        return ScaleByLearningRateState(count=count, learning_rate=lr, next_learning_rate=nxt)

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        check_state("scale_by_learning_rate", state, ScaleByLearningRateState)
        check_floating("scale_by_learning_rate", updates)
        lr = _rate_at("learning_rate", fn, state.count)
        updates = _scale_tree(updates, lr, negate=flip)
        count = safe_increment(state.count)
        nxt = _f32(_rate_at("learning_rate", fn, count))
        return updates, ScaleByLearningRateState(count, _f32(lr), nxt)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_schedule(schedule: ScalarOrSchedule) -> optax.GradientTransformation:
    r"""Multiply updates by ``schedule(count)`` (no sign flip).

    Formula: ``u_t = s(t) \, u_t``.

    Args:
        schedule: an :class:`lrx.Schedule`, a jittable callable ``count -> scale``, or a
            constant.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.scale_by_schedule(lrx.constant(0.5))
        >>> u, _ = tx.update(jnp.ones(2), tx.init(jnp.zeros(2)))
        >>> u.tolist()
        [0.5, 0.5]
    """
    fn = _rate_fn("schedule", schedule)

    def init_fn(params: optax.Params) -> Any:
        del params
        return ScaleByScheduleState(count=zero_count())

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        check_state("scale_by_schedule", state, ScaleByScheduleState)
        check_floating("scale_by_schedule", updates)
        scale = _rate_at("schedule", fn, state.count)
        updates = _scale_tree(updates, scale, negate=False)
        return updates, ScaleByScheduleState(safe_increment(state.count))

    return optax.GradientTransformation(init_fn, update_fn)
