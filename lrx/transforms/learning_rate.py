"""``scale_by_learning_rate`` and ``scale_by_schedule``: the step-size part of every optimizer."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax import lax

from lrx._counters import safe_increment, zero_count
from lrx._dtypes import check_floating
from lrx._tree import check_state
from lrx._types import ScalarOrSchedule
from lrx._validate import check_bool
from lrx.schedules._base import as_schedule_fn

__all__ = [
    "ScaleByLearningRateState",
    "ScaleByScheduleState",
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


def _check_real(name: str, value: object) -> None:
    """A complex rate has no meaning (and casting it would drop its imaginary part)."""
    dtype = getattr(value, "dtype", None)
    if isinstance(value, complex) or (dtype is not None and jnp.iscomplexobj(value)):
        raise ValueError(f"{name} must be a real number, got {value!r}")


def _lr_at(fn: Any, count: jax.Array) -> jax.Array:
    return jnp.asarray(fn(count), jnp.float32)


def _scale_tree(updates: optax.Updates, scale: jax.Array) -> Any:
    """Every leaf times the float32 scalar ``scale``: one multiply per leaf, the scalar cast
    once per leaf dtype (not once per leaf)."""
    by_dtype = {jnp.dtype(jnp.float32): scale}

    def leaf(u: Any) -> Any:
        dtype = u.dtype
        s = by_dtype.get(dtype)
        if s is None:
            s = by_dtype[dtype] = lax.convert_element_type(scale, dtype)
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
    any floating or complex dtype keep their dtype.

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
    _check_real("learning_rate", learning_rate)
    fn = as_schedule_fn(learning_rate)
    flip = check_bool("flip_sign", flip_sign)

    def init_fn(params: optax.Params) -> Any:
        del params
        count = zero_count()
        lr = _lr_at(fn, count)
        # Two buffers (a copy): state leaves that share one cannot both be donated.
        nxt = jnp.array(lr, copy=True)
        return ScaleByLearningRateState(count=count, learning_rate=lr, next_learning_rate=nxt)

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        check_state("scale_by_learning_rate", state, ScaleByLearningRateState)
        check_floating("scale_by_learning_rate", updates)
        lr = _lr_at(fn, state.count)
        updates = _scale_tree(updates, lax.neg(lr) if flip else lr)
        count = safe_increment(state.count)
        return updates, ScaleByLearningRateState(count, lr, _lr_at(fn, count))

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
    _check_real("schedule", schedule)
    fn = as_schedule_fn(schedule, "schedule")

    def init_fn(params: optax.Params) -> Any:
        del params
        return ScaleByScheduleState(count=zero_count())

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        check_state("scale_by_schedule", state, ScaleByScheduleState)
        check_floating("scale_by_schedule", updates)
        scale = _lr_at(fn, state.count)
        updates = _scale_tree(updates, scale)
        return updates, ScaleByScheduleState(safe_increment(state.count))

    return optax.GradientTransformation(init_fn, update_fn)
