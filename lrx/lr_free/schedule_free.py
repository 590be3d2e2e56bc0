"""Schedule-Free: SGD, AdamW and a wrapper around any optimizer, as schedulefree 1.4.1.

Schedule-Free (Defazio et al., 2024) replaces the learning-rate schedule by an average. Three
sequences are kept: ``z`` takes the base optimizer's steps, ``x`` is a weighted average of the
``z``'s (the point to evaluate), and the gradient is taken at their interpolation ``y``::

    y_t = (1 − b1) z_t + b1 x_t
    z_{t+1} = z_t − γ_t d_t                  (d_t: the base direction at y_t)
    x_{t+1} = (1 − c_{t+1}) x_t + c_{t+1} z_{t+1}

The parameters these transforms see and update are the training iterate ``y`` (as the
authors' torch optimizers in ``train()`` mode); :func:`schedule_free_eval_params` gives ``x``
(what torch's ``optimizer.eval()`` puts in the model) for evaluation and checkpoints.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrx._counters import bias_correction, safe_increment, zero_count
from lrx._dtypes import check_floating, compute_dtype, const, real_dtype, state_dtype, to_output
from lrx._tree import check_state, check_tree_match, tree_map_multi, unwrap_variable
from lrx._types import Hyper, ScalarOrSchedule
from lrx._validate import check_float, check_int, is_traced, static_value
from lrx.lr_free._common import check_real_params
from lrx.schedules._base import as_schedule_fn

__all__ = [
    "ScheduleFreeAdamWState",
    "ScheduleFreeState",
    "schedule_free",
    "schedule_free_adamw",
    "schedule_free_eval_params",
    "schedule_free_sgd",
]


class ScheduleFreeState(NamedTuple):
    """State of :func:`schedule_free` and :func:`schedule_free_sgd`.

    Attributes:
        count: int32, updates applied so far (the authors' ``k``).
        z: the base optimizer's sequence ``z`` (the params' dtype, float32 below 32 bits).
        lr_max: the largest (warmed-up) learning rate so far (the authors' ``lr_max``;
            ``-1`` before the first update, ``0`` for the wrapper as its authors).
        weight_sum: ``Σ_t (t+1)^r lr_max_t^weight_lr_power`` (the authors' ``weight_sum``).
        b1: the interpolation ``b1`` of the last update (read by
            :func:`schedule_free_eval_params`).
        learning_rate: the rate ``γ_t`` (warm-up factor × learning rate) the last update
            applied (the authors' ``scheduled_lr``; the first update's before any update).
        next_learning_rate: the rate the next update will apply.
        inner_state: the wrapped optimizer's state (:func:`schedule_free`), or
            ``optax.EmptyState()`` (:func:`schedule_free_sgd`).

    Scalars are float32 (float64 for float64 params, as the authors' float64 host math).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    z: Any
    lr_max: jax.Array
    weight_sum: jax.Array
    b1: jax.Array
    learning_rate: jax.Array
    next_learning_rate: jax.Array
    inner_state: Any

    def lrx_learning_rate(self, upcoming: bool) -> jax.Array:
        """The warmed-up rate ``γ`` of the last update (or of the next one: ``upcoming``)."""
        return self.next_learning_rate if upcoming else self.learning_rate


class ScheduleFreeAdamWState(NamedTuple):
    """State of :func:`schedule_free_adamw`.

    Attributes:
        count: int32, updates applied so far (the authors' ``k``).
        z: the sequence ``z`` (the params' dtype, float32 below 32 bits).
        exp_avg_sq: Adam's second moment ``v`` (same dtype as ``z``).
        lr_max, weight_sum, b1, learning_rate, next_learning_rate: as
            :class:`ScheduleFreeState` (``learning_rate`` is warm-up factor × learning rate:
            schedulefree 1.4.1 divides ``v`` by its bias correction instead of folding it
            into the rate).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    z: Any
    exp_avg_sq: Any
    lr_max: jax.Array
    weight_sum: jax.Array
    b1: jax.Array
    learning_rate: jax.Array
    next_learning_rate: jax.Array

    def lrx_learning_rate(self, upcoming: bool) -> jax.Array:
        """The warmed-up rate ``γ`` of the last update (or of the next one: ``upcoming``)."""
        return self.next_learning_rate if upcoming else self.learning_rate


_States = (ScheduleFreeState, ScheduleFreeAdamWState)


# -- the scalar part shared by the three: warm-up, averaging weights -------------------------


def _scalar_dtype(params: Any) -> Any:
    """float32, or float64 when a parameter is float64 (the authors' host math is float64)."""
    return compute_dtype(*(real_dtype(jnp.result_type(p)) for p in jax.tree.leaves(params)))


class _Averaging:
    """Warm-up factor, averaging weight and ``c_{t+1}`` (the authors' ``ckp1``) of one update.

    ``sched = (k+1)/warmup_steps`` while ``k < warmup_steps`` (``k`` counts from 0, so the
    first update already moves), ``γ = lr · sched``, ``lr_max = max(γ, lr_max)``,
    ``weight = (k+1)^r · lr_max^weight_lr_power``, ``c = weight / Σ weight`` (0 when the sum
    is 0: the authors' ``ZeroDivisionError`` fallback).
    """

    def __init__(
        self,
        learning_rate: ScalarOrSchedule,
        warmup_steps: Hyper,
        r: Hyper,
        weight_lr_power: Hyper,
    ) -> None:
        self.lr_fn = as_schedule_fn(learning_rate)
        self.lr_const = static_value(learning_rate) if _is_number(learning_rate) else None
        self.warmup_steps = warmup_steps
        self.r = r
        self.weight_lr_power = weight_lr_power

    def rate(self, count: jax.Array, dtype: Any) -> jax.Array:
        """``γ_k = lr(k) · sched(k)`` in ``dtype``."""
        if self.lr_const is not None:  # a Python number: rounded once, in dtype (float64)
            lr = jnp.asarray(np.array(self.lr_const, dtype))
        else:
            lr = jnp.asarray(self.lr_fn(count)).astype(dtype)
        warmup = static_value(self.warmup_steps)
        if warmup is not None and warmup == 0:
            return lr
        return lr * _warmup_factor(count, self.warmup_steps, dtype)

    def step(
        self, count: jax.Array, lr_max: jax.Array, weight_sum: jax.Array
    ) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
        """``(γ, lr_max, weight_sum, ckp1)`` of the update at ``count``."""
        dtype = lr_max.dtype
        lr = self.rate(count, dtype)
        lr_max = jnp.maximum(lr, lr_max)
        k1 = count.astype(dtype) + jnp.ones([], dtype)
        weight = _power(k1, self.r) * _power(lr_max, self.weight_lr_power)
        weight_sum = weight_sum + weight
        nonzero = weight_sum != 0
        ckp1 = jnp.where(nonzero, weight / jnp.where(nonzero, weight_sum, 1), 0)
        return lr, lr_max, weight_sum, ckp1.astype(dtype)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _power(x: jax.Array, p: Any) -> jax.Array:
    """``x ** p`` (``0 ** 0 = 1`` as Python); a concrete ``p = 0`` gives 1, ``2`` a square."""
    v = static_value(p)
    if v is not None and v == 0:
        return jnp.ones_like(x)
    if v is not None and v == 2:
        return x * x
    return jnp.power(x, const(p, x.dtype))


def _check_common(b1: Any, warmup_steps: Any, r: Any, weight_lr_power: Any) -> tuple[Any, ...]:
    return (
        check_float("b1", b1, lo=0.0, hi=1.0, lo_open=True, hi_open=True),
        check_int("warmup_steps", warmup_steps, lo=0),
        check_float("r", r, lo=0.0),
        check_float("weight_lr_power", weight_lr_power, lo=0.0),
    )


def _state_dtype(p: Any) -> Any:
    return state_dtype(jnp.result_type(p))


def _init_z(params: Any) -> Any:
    """``z_0 = y_0``: a copy of the params (the authors' ``torch.clone(p)``)."""
    return jax.tree.map(lambda p: jnp.array(p, dtype=_state_dtype(p), copy=True), params)


def _need_params(name: str, params: Any) -> None:
    if params is None:
        raise ValueError(f"{name}: update needs params (the training iterate y)")


def _init_scalars(avg: _Averaging, b1: Any, dtype: Any, lr_max0: Hyper) -> dict[str, jax.Array]:
    count = zero_count()
    lr = avg.rate(count, dtype)
    return dict(
        count=count,
        lr_max=jnp.full([], lr_max0, dtype),
        weight_sum=jnp.zeros([], dtype),
        b1=jnp.asarray(b1).astype(dtype),
        learning_rate=lr,
        next_learning_rate=jnp.array(lr, copy=True),
    )


def _lerp_update(
    y: jax.Array, z: jax.Array, d: jax.Array, ckp1: jax.Array, lr: jax.Array, b1: Any
) -> tuple[jax.Array, jax.Array]:
    """The authors' in-place step, as an update: ``y ← lerp(y, z, c) + γ(b1(1−c) − 1) d``,
    ``z ← z − γ d``; returns ``(y_new − y, z_new)``.

    The update is written with the new ``z``: ``c(z_new − y) − γ(1−b1)(1−c) d`` (the same
    number, as ``c z = c z_new + cγ d``). Read after ``z`` is written, the old ``z`` is dead
    once the new one exists, so XLA writes ``z`` in place instead of first copying it (two
    fewer passes over ``z`` per step with donated buffers).
    """
    cdt = d.dtype  # scalars cast to it (complex for complex params: strict promotion)
    c = ckp1.astype(cdt)
    g = lr.astype(cdt)
    z_new = z.astype(cdt) - g * d
    coef = -g * (const(1.0 - b1, cdt) if _is_number(b1) else 1 - const(b1, cdt)) * (1 - c)
    return c * (z_new - y.astype(cdt)) + coef * d, z_new


# -- Schedule-Free SGD ---------------------------------------------------------------------


def schedule_free_sgd(
    learning_rate: ScalarOrSchedule = 1.0,
    b1: Hyper = 0.9,
    weight_decay: Hyper = 0.0,
    *,
    warmup_steps: Hyper = 0,
    r: Hyper = 0.0,
    weight_lr_power: Hyper = 2.0,
) -> optax.GradientTransformation:
    r"""Schedule-Free SGD, as ``schedulefree.SGDScheduleFree`` (1.4.1) step for step.

    Formula (``k = 0, 1, ...`` the update count; params are ``y``; ``z_0 = y_0``)::

        g ← g + weight_decay · y                         (L2 at y)
        γ_k = lr(k) · min((k+1) / warmup_steps, 1)       (no warm-up when warmup_steps = 0)
        lr_max = max(γ_k, lr_max),  w_k = (k+1)^r · lr_max^weight_lr_power
        c = w_k / Σ_{j<=k} w_j
        y ← y + c (z − y) + γ_k (b1 (1 − c) − 1) g
        z ← z − γ_k g

    The averaged point ``x`` (to evaluate and checkpoint) is
    ``schedule_free_eval_params(state, params)``. The defaults are the authors'
    (``lr=1.0, momentum=0.9``; ``b1`` is their ``momentum``). The warm-up counts from
    ``k + 1``: the first update already moves (``optax.contrib.schedule_free_sgd`` starts at
    0, one step behind). ``learning_rate`` may be a schedule of ``k`` (the authors' group
    ``lr`` changed by a torch scheduler before each step). Complex parameters work (every
    operation is linear).

    :func:`lrx.learning_rate` reports ``γ_k`` (the authors' ``scheduled_lr``).

    Args:
        learning_rate: ``lr``, a float >= 0, an array or a schedule (default 1.0).
        b1: interpolation (the authors' ``momentum``), in ``(0, 1)`` (default 0.9).
        weight_decay: L2 coefficient added to the gradient at ``y``, >= 0 (default 0).
        warmup_steps: linear warm-up length, an integer >= 0 (default 0); numeric data, so
            a sweep over it may be ``vmap``-ed.
        r: polynomial weighting power of the average, >= 0 (default 0).
        weight_lr_power: power of ``lr_max`` in the weights, >= 0 (default 2).

    Returns:
        A ``GradientTransformation`` with state :class:`ScheduleFreeState`; ``update`` needs
        ``params``.

    References:
        Defazio, Yang, Mehta, Mishchenko, Khaled, Cutkosky, "The Road Less Scheduled",
        NeurIPS 2024 (arXiv:2405.15682).

    Example:
        >>> import jax.numpy as jnp, optax, lrx
        >>> tx = lrx.schedule_free_sgd(0.1)
        >>> y = jnp.array([1.0, -2.0])
        >>> state = tx.init(y)
        >>> u, state = tx.update(y, state, y)  # gradient of |y|^2 / 2 at y
        >>> y = optax.apply_updates(y, u)
        >>> [round(v, 4) for v in y.tolist()], lrx.schedule_free_eval_params(state, y).tolist()
        ([0.9, -1.8], [0.8999999761581421, -1.7999999523162842])
    """
    b1, warmup_steps, r, weight_lr_power = _check_common(b1, warmup_steps, r, weight_lr_power)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    avg = _Averaging(learning_rate, warmup_steps, r, weight_lr_power)
    decay = not (static_value(weight_decay) == 0 and not is_traced(weight_decay))

    def init_fn(params: optax.Params) -> Any:
        check_floating("schedule_free_sgd", params)
        return ScheduleFreeState(
            z=_init_z(params),
            inner_state=optax.EmptyState(),
            **_init_scalars(avg, b1, _scalar_dtype(params), -1.0),
        )

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        check_state("schedule_free_sgd", state, ScheduleFreeState)
        check_tree_match("schedule_free_sgd", updates, state.z)
        _need_params("schedule_free_sgd", params)
        lr, lr_max, weight_sum, ckp1 = avg.step(state.count, state.lr_max, state.weight_sum)

        def leaf(g: Any, y: Any, z: Any) -> Any:
            cdt = compute_dtype(g.dtype, z.dtype)
            d = g.astype(cdt)
            if decay:
                d = d + const(weight_decay, cdt) * y.astype(cdt)
            u, z_new = _lerp_update(y, z, d, ckp1, lr, b1)
            return to_output(u, g.dtype), z_new.astype(z.dtype)

        out, z = tree_map_multi(leaf, 2, updates, params, state.z)
        count = safe_increment(state.count)
        new_state = ScheduleFreeState(
            count=count,
            z=z,
            lr_max=lr_max,
            weight_sum=weight_sum,
            b1=jnp.asarray(b1).astype(state.b1.dtype),
            learning_rate=lr,
            next_learning_rate=avg.rate(count, lr.dtype),
            inner_state=state.inner_state,
        )
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


# -- Schedule-Free AdamW -------------------------------------------------------------------


def schedule_free_adamw(
    learning_rate: ScalarOrSchedule = 0.0025,
    b1: Hyper = 0.9,
    b2: Hyper = 0.999,
    eps: Hyper = 1e-8,
    weight_decay: Hyper = 0.0,
    *,
    warmup_steps: Hyper = 0,
    r: Hyper = 0.0,
    weight_lr_power: Hyper = 2.0,
) -> optax.GradientTransformation:
    r"""Schedule-Free AdamW, as ``schedulefree.AdamWScheduleFree`` (1.4.1) step for step.

    Formula (``k = 0, 1, ...``; params are ``y``; ``z_0 = y_0``, ``v_0 = 0``)::

        v ← b2 v + (1 − b2) g²
        d = g / (sqrt(v / (1 − b2^{k+1})) + eps) + weight_decay · y     (decay at y)
        γ_k, c: as schedule_free_sgd (warm-up from k + 1, weights lr_max^weight_lr_power)
        y ← y + c (z − y) + γ_k (b1 (1 − c) − 1) d
        z ← z − γ_k d

    There is no first moment (the interpolation ``b1`` plays its part) and no bias
    correction in the rate: schedulefree 1.4.1 divides ``v`` by ``1 − b2^{k+1}`` (older
    releases and ``AdamWScheduleFreeReference`` fold ``sqrt(1 − b2^{k+1})`` into ``γ``;
    the numbers are the same up to where ``eps`` sits). :func:`lrx.learning_rate` reports
    ``γ_k``. Defaults are the authors' (``lr=0.0025, betas=(0.9, 0.999)``).

    Args:
        learning_rate: ``lr``, a float >= 0, an array or a schedule (default 0.0025).
        b1: interpolation (the authors' ``beta1``), in ``(0, 1)`` (default 0.9).
        b2: decay of ``v``, in ``[0, 1)`` (default 0.999).
        eps: >= 0, added outside the root (default 1e-8).
        weight_decay: decoupled decay at ``y``, >= 0 (default 0).
        warmup_steps: linear warm-up length, an integer >= 0 (default 0).
        r: polynomial weighting power of the average, >= 0 (default 0).
        weight_lr_power: power of ``lr_max`` in the weights, >= 0 (default 2).

    Returns:
        A ``GradientTransformation`` with state :class:`ScheduleFreeAdamWState`; ``update``
        needs ``params``. Complex parameters raise ``ValueError`` at ``init``.

    References:
        Defazio, Yang, Mehta, Mishchenko, Khaled, Cutkosky, "The Road Less Scheduled",
        NeurIPS 2024 (arXiv:2405.15682).

    Example:
        >>> import jax.numpy as jnp, optax, lrx
        >>> tx = lrx.schedule_free_adamw(0.1, warmup_steps=2)
        >>> y = jnp.array([1.0, -2.0])
        >>> state = tx.init(y)
        >>> u, state = tx.update(y, state, y)
        >>> [round(v, 4) for v in optax.apply_updates(y, u).tolist()]
        [0.95, -1.95]
        >>> lr, next_lr = lrx.learning_rate(state), lrx.next_learning_rate(state)
        >>> round(lr.item(), 4), round(next_lr.item(), 4)
        (0.05, 0.1)
    """
    b1, warmup_steps, r, weight_lr_power = _check_common(b1, warmup_steps, r, weight_lr_power)
    b2 = check_float("b2", b2, lo=0.0, hi=1.0, hi_open=True)
    eps = check_float("eps", eps, lo=0.0)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    avg = _Averaging(learning_rate, warmup_steps, r, weight_lr_power)
    decay = not (static_value(weight_decay) == 0 and not is_traced(weight_decay))

    def init_fn(params: optax.Params) -> Any:
        check_floating("schedule_free_adamw", params)
        check_real_params("schedule_free_adamw", params)
        return ScheduleFreeAdamWState(
            z=_init_z(params),
            exp_avg_sq=jax.tree.map(lambda p: jnp.zeros_like(p, _state_dtype(p)), params),
            **_init_scalars(avg, b1, _scalar_dtype(params), -1.0),
        )

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        check_state("schedule_free_adamw", state, ScheduleFreeAdamWState)
        check_tree_match("schedule_free_adamw", updates, state.z)
        _need_params("schedule_free_adamw", params)
        lr, lr_max, weight_sum, ckp1 = avg.step(state.count, state.lr_max, state.weight_sum)
        count = safe_increment(state.count)
        bc2_by_dtype: dict[Any, jax.Array] = {}

        def leaf(g: Any, y: Any, z: Any, v: Any) -> Any:
            cdt = compute_dtype(g.dtype, z.dtype, v.dtype)
            bc2 = bc2_by_dtype.get(cdt)
            if bc2 is None:  # 1 − b2^{k+1}: once per dtype
                bc2 = bc2_by_dtype[cdt] = bias_correction(b2, count, cdt)
            gc = g.astype(cdt)
            v_new = const(b2, cdt) * v.astype(cdt) + const(1 - b2, cdt) * (gc * gc)
            d = gc / (jnp.sqrt(v_new / bc2) + const(eps, cdt))
            if decay:
                d = d + const(weight_decay, cdt) * y.astype(cdt)
            u, z_new = _lerp_update(y, z, d, ckp1, lr, b1)
            return to_output(u, g.dtype), z_new.astype(z.dtype), v_new.astype(v.dtype)

        out, z, v = tree_map_multi(leaf, 3, updates, params, state.z, state.exp_avg_sq)
        new_state = ScheduleFreeAdamWState(
            count=count,
            z=z,
            exp_avg_sq=v,
            lr_max=lr_max,
            weight_sum=weight_sum,
            b1=jnp.asarray(b1).astype(state.b1.dtype),
            learning_rate=lr,
            next_learning_rate=avg.rate(count, lr.dtype),
        )
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


# -- the wrapper -----------------------------------------------------------------------------


def schedule_free(
    inner: optax.GradientTransformation,
    *,
    learning_rate: ScalarOrSchedule,
    b1: Hyper = 0.9,
    warmup_steps: Hyper = 0,
    r: Hyper = 0.0,
    weight_lr_power: Hyper = 2.0,
) -> optax.GradientTransformationExtraArgs:
    r"""Make any optimizer Schedule-Free, as ``schedulefree.ScheduleFreeWrapper`` (1.4.1).

    ``inner`` is a complete optimizer, its learning rate included (``lrx.adam(1e-3)``,
    ``optax.rmsprop(0.01)``: the authors' ``base`` optimizer); it steps ``z`` with the
    gradient taken at ``y`` and sees ``z`` as its ``params`` (its own weight decay is at
    ``z``). ``learning_rate`` is the rate ``inner`` applies: the averaging weights need it
    (the authors read the base group's ``lr``). Per update ``k`` (params are ``y``)::

        x = y + (1 − 1/b1) (z − y)               (torch's eval(): y → x)
        z ← z + sched_k · inner(g, z)             (sched_k = min((k+1)/warmup_steps, 1))
        γ_k = learning_rate(k) · sched_k,  c = (k+1)^r lr_max^p / Σ ...   (as schedule_free_sgd)
        x ← x + c (z − x)
        y ← x + (1 − b1) (z − x)

    ``warmup_steps`` multiplies inner's updates by the warm-up factor (the authors' wrapper
    has none; with it this equals the wrapper around a base whose torch scheduler is that
    linear warm-up). :func:`lrx.learning_rate` reports ``γ_k``.

    Args:
        inner: the base optimizer (a ``GradientTransformation``; extra arguments of
            ``update`` are passed on to it).
        learning_rate: the rate ``inner`` applies, a float >= 0, an array or a schedule.
        b1: interpolation (the authors' ``momentum``), in ``(0, 1)`` (default 0.9).
        warmup_steps: linear warm-up length, an integer >= 0 (default 0).
        r: polynomial weighting power, >= 0 (default 0).
        weight_lr_power: power of ``lr_max`` in the weights, >= 0 (default 2).

    Returns:
        A ``GradientTransformationExtraArgs`` with state :class:`ScheduleFreeState`;
        ``update`` needs ``params``.

    References:
        Defazio, Yang, Mehta, Mishchenko, Khaled, Cutkosky, "The Road Less Scheduled",
        NeurIPS 2024 (arXiv:2405.15682).

    Example:
        >>> import jax.numpy as jnp, optax, lrx
        >>> tx = lrx.schedule_free(lrx.sgd(0.1), learning_rate=0.1)
        >>> y = jnp.array([1.0, -2.0])
        >>> state = tx.init(y)
        >>> u, state = tx.update(y, state, y)
        >>> [round(v, 4) for v in optax.apply_updates(y, u).tolist()]
        [0.9, -1.8]
    """
    b1, warmup_steps, r, weight_lr_power = _check_common(b1, warmup_steps, r, weight_lr_power)
    avg = _Averaging(learning_rate, warmup_steps, r, weight_lr_power)
    base = optax.with_extra_args_support(inner)
    warm = not (static_value(warmup_steps) == 0 and not is_traced(warmup_steps))

    def init_fn(params: optax.Params) -> Any:
        check_floating("schedule_free", params)
        z = _init_z(params)
        return ScheduleFreeState(
            z=z,
            inner_state=base.init(params),
            **_init_scalars(avg, b1, _scalar_dtype(params), 0.0),
        )

    def update_fn(
        updates: optax.Updates,
        state: Any,
        params: optax.Params | None = None,
        **extra_args: Any,
    ) -> tuple[optax.Updates, Any]:
        check_state("schedule_free", state, ScheduleFreeState)
        check_tree_match("schedule_free", updates, state.z)
        _need_params("schedule_free", params)
        z_params = jax.tree.map(lambda z, p: z.astype(jnp.result_type(p)), state.z, params)
        base_u, inner_state = base.update(updates, state.inner_state, z_params, **extra_args)
        lr, lr_max, weight_sum, ckp1 = avg.step(state.count, state.lr_max, state.weight_sum)
        sched = _warmup_factor(state.count, warmup_steps, lr.dtype) if warm else None

        def leaf(g: Any, y: Any, z: Any, u: Any) -> Any:
            cdt = compute_dtype(g.dtype, z.dtype, u.dtype)
            yc, zc, uc = y.astype(cdt), z.astype(cdt), u.astype(cdt)
            b = const(b1, cdt)
            x = yc + (1 - 1 / b) * (zc - yc)
            z_new = zc + (uc if sched is None else sched.astype(cdt) * uc)
            x = x + ckp1.astype(cdt) * (z_new - x)
            y_new = x + (1 - b) * (z_new - x)
            return to_output(y_new - yc, g.dtype), z_new.astype(z.dtype)

        out, z = tree_map_multi(leaf, 2, updates, params, state.z, base_u)
        count = safe_increment(state.count)
        new_state = ScheduleFreeState(
            count=count,
            z=z,
            lr_max=lr_max,
            weight_sum=weight_sum,
            b1=jnp.asarray(b1).astype(state.b1.dtype),
            learning_rate=lr,
            next_learning_rate=avg.rate(count, lr.dtype),
            inner_state=inner_state,
        )
        return out, new_state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def _warmup_factor(count: jax.Array, warmup_steps: Any, dtype: Any) -> jax.Array:
    k = count.astype(dtype)
    w = jnp.asarray(warmup_steps).astype(dtype)
    one = jnp.ones([], dtype)
    return jnp.where(k < w, (k + one) / jnp.maximum(w, one), one)


# -- the evaluation iterate ------------------------------------------------------------------


def _find_state(state: Any) -> Any:
    if isinstance(state, _States):
        return state
    found = [
        s
        for s in jax.tree.leaves(state, is_leaf=lambda x: isinstance(x, _States))
        if isinstance(s, _States)
    ]
    if len(found) != 1:
        raise ValueError(
            "schedule_free_eval_params: expected exactly one Schedule-Free state in opt_state "
            f"(from lrx.schedule_free, schedule_free_sgd or schedule_free_adamw), found "
            f"{len(found)}"
        )
    return found[0]


def schedule_free_eval_params(opt_state: Any, params: optax.Params) -> optax.Params:
    r"""The evaluation iterate ``x`` from the training iterate ``y = params``.

    ``x = y + (1 − 1/b1) (z − y)`` (torch's ``optimizer.eval()``, which undoes
    ``y = (1 − b1) z + b1 x``). Evaluate, checkpoint and export ``x``; keep training ``y``.
    Before the first update ``x = y``. ``opt_state`` is the Schedule-Free state or any
    state tree holding exactly one (a chain, ``optax.inject_hyperparams``, the
    ``opt_state`` of ``flax.nnx.Optimizer`` or a ``TrainState``).

    Args:
        opt_state: the optimizer state.
        params: the training iterate ``y`` (the params being trained), ``nnx.Param``
            variables unwrapped or not.

    Returns:
        ``x``, with the structure and dtypes of ``params``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.schedule_free_sgd(1.0)
        >>> state = tx.init(jnp.zeros(1))
        >>> lrx.schedule_free_eval_params(state, jnp.ones(1)).tolist()  # z = 0: x = y/b1
        [1.1111111640930176]
    """
    st = _find_state(opt_state)
    b1 = unwrap_variable(st.b1)

    def leaf(y: Any, z: Any) -> Any:
        y, z = unwrap_variable(y), unwrap_variable(z)
        cdt = compute_dtype(y.dtype, z.dtype)
        b = b1.astype(cdt)
        yc = y.astype(cdt)
        return to_output(yc + (1 - 1 / b) * (z.astype(cdt) - yc), y.dtype)

    return jax.tree.map(leaf, params, st.z, is_leaf=_is_var)


def _is_var(x: Any) -> bool:
    return unwrap_variable(x) is not x
