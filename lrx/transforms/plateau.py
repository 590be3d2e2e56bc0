"""``reduce_on_plateau`` and ``observe``: cut the learning rate when a metric stops improving.

Article 002 describes the scheduler that watches a validation metric and lowers the
learning rate only when progress stalls; article 000 recommends it on top of Adam. The
semantics are torch's ``ReduceLROnPlateau`` in scale space:
``lr = base_lr * scale`` and ``min_lr = base_lr * min_scale``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._counters import safe_increment, zero_count
from lrx._tree import check_state, is_variable
from lrx._types import Hyper
from lrx._validate import NOT_A_NUMBER, as_number, check_choice, check_float, check_int, is_traced

__all__ = ["ReduceOnPlateauState", "observe", "reduce_on_plateau"]


class ReduceOnPlateauState(NamedTuple):
    """State of :func:`reduce_on_plateau`: every counter and hyperparameter, as arrays.

    The hyperparameters live in the state (not in a closure) so that :func:`observe` can
    advance a state on its own, and a restored checkpoint resumes exactly.

    Attributes:
        scale: float32, the multiplier the next update applies (1 at init).
        last_scale: float32, the multiplier the last update applied (read by
            :func:`lrx.learning_rate`; equal to ``scale`` until the first update).
        updated: bool, whether an update has been applied (``observe`` before the first
            update moves ``last_scale`` with ``scale``).
        best: float32, best metric seen so far (``+inf`` in min mode, ``-inf`` in max mode
            at init; torch's ``best``).
        num_bad_epochs: int32, observations since the last improvement (torch's
            ``num_bad_epochs``).
        cooldown_counter: int32, observations left in the cooldown after a reduction.
        count: int32, number of metric observations so far (torch's ``last_epoch``).
        factor: float32 hyperparameter, see :func:`reduce_on_plateau`.
        patience: int32 hyperparameter.
        threshold: float32 hyperparameter.
        cooldown: int32 hyperparameter.
        min_scale: float32 hyperparameter.
        eps: float32 hyperparameter.
        maximize: bool, ``mode == "max"``.
        relative: bool, ``threshold_mode == "rel"``.
    """

    scale: jax.Array
    last_scale: jax.Array
    updated: jax.Array
    best: jax.Array
    num_bad_epochs: jax.Array
    cooldown_counter: jax.Array
    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    factor: jax.Array
    patience: jax.Array
    threshold: jax.Array
    cooldown: jax.Array
    min_scale: jax.Array
    eps: jax.Array
    maximize: jax.Array
    relative: jax.Array


def _is_plateau(x: Any) -> bool:
    return isinstance(x, ReduceOnPlateauState)


def _as_metric(value: Any) -> jax.Array:
    """``value`` as a float32 scalar; ``ValueError`` for anything that is not one.

    Read by the one number check (:func:`lrx._validate.as_number`): Python, NumPy and 0-d
    JAX numbers of any real dtype (``fractions.Fraction`` too), a complex one only with a
    zero imaginary part, a tracer as is. NaN and inf pass (the plateau logic handles them).
    """
    if isinstance(value, str):
        raise ValueError(f"value must be a real scalar metric, got {value!r}")
    try:
        number = as_number("value", value)
    except ValueError as e:
        raise ValueError(f"{e} (the metric)") from None
    if number is NOT_A_NUMBER:
        raise ValueError(f"value must be a real scalar metric, got {value!r}")
    if is_traced(number):
        return jnp.asarray(number).astype(jnp.float32)
    try:
        metric = float(number)  # 3_000_000_000 does not fit int32; 10**400 not a float
    except OverflowError:
        raise ValueError(
            f"value must be a metric representable as float32, got an integer of "
            f"{len(str(abs(int(number))))} digits"
        ) from None
    return jnp.asarray(metric, jnp.float32)


def _observe(state: ReduceOnPlateauState, value: jax.Array) -> ReduceOnPlateauState:
    """One ``torch ReduceLROnPlateau.step(value)``, branch-free."""
    v = value
    best = state.best
    # torch's _is_better, all four (mode, threshold_mode) cases; NaN compares False.
    rel_bound = best * jnp.where(state.maximize, 1.0 + state.threshold, 1.0 - state.threshold)
    abs_bound = jnp.where(state.maximize, best + state.threshold, best - state.threshold)
    bound = jnp.where(state.relative, rel_bound, abs_bound)
    better = jnp.where(state.maximize, v > bound, v < bound)

    best = jnp.where(better, v, best)
    zero = jnp.zeros_like(state.num_bad_epochs)
    num_bad = jnp.where(better, zero, safe_increment(state.num_bad_epochs))

    in_cooldown = state.cooldown_counter > 0
    cooldown_counter = jnp.where(in_cooldown, state.cooldown_counter - 1, state.cooldown_counter)
    num_bad = jnp.where(in_cooldown, zero, num_bad)

    reduce = num_bad > state.patience
    new_scale = jnp.maximum(state.scale * state.factor, state.min_scale)
    apply = reduce & (state.scale - new_scale > state.eps)
    scale = jnp.where(apply, new_scale, state.scale)
    cooldown_counter = jnp.where(reduce, state.cooldown, cooldown_counter)
    num_bad = jnp.where(reduce, zero, num_bad)

    return state._replace(
        scale=scale,
        last_scale=jnp.where(state.updated, state.last_scale, scale),
        best=best,
        num_bad_epochs=num_bad,
        cooldown_counter=cooldown_counter,
        count=safe_increment(state.count),
    )


def reduce_on_plateau(
    *,
    factor: Hyper = 0.1,
    patience: int = 10,
    threshold: Hyper = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_scale: Hyper = 0.0,
    mode: str = "min",
    eps: Hyper = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""Multiply updates by a scale that drops by ``factor`` when a metric plateaus.

    Article 002 (adaptive plateau decay): monitor a validation metric and lower the
    learning rate only when it stops improving; article 000 recommends it on top of Adam.
    Each observation ``v`` of the metric runs torch's ``ReduceLROnPlateau.step(v)`` on the
    scale ``s`` (``s_0 = 1``):

    * better: ``v < best·(1 − threshold)`` (min, rel), ``v < best − threshold`` (min, abs),
      ``v > best·(1 + threshold)`` (max, rel), ``v > best + threshold`` (max, abs);
      ``best`` starts at ``+inf`` (min) or ``−inf`` (max). A NaN metric is never better:
      it counts as a bad epoch and leaves ``best`` untouched (as torch).
    * if better: ``best ← v``, ``num_bad ← 0``; else ``num_bad ← num_bad + 1``.
    * in cooldown (``cooldown_counter > 0``): ``cooldown_counter −= 1``, ``num_bad ← 0``.
    * if ``num_bad > patience``: ``s' = max(s·factor, min_scale)``, applied when
      ``s − s' > eps``; then ``cooldown_counter ← cooldown``, ``num_bad ← 0``.

    With ``lr = base_lr · s`` and ``min_lr = base_lr · min_scale`` this is torch's schedule
    exactly. torch's own ``eps`` (``1e-8``) is in learning-rate units; lrx does not know
    ``base_lr``, so ``eps`` here is in scale units and defaults to ``0`` (every reduction
    that lowers the scale applies). For bit-exact torch parity at tiny learning rates pass
    ``eps = 1e-8 / base_lr``; for ordinary rates (``base_lr·s·(1−factor) > 1e-8``) both agree.

    ``update(updates, state, params=None, *, value=None)``: with ``value`` (a scalar,
    possibly traced), the value is first counted as one observation, then the updates are
    scaled by the resulting scale — one call per epoch with the epoch's validation metric
    is torch's ``scheduler.step(metric)`` between epochs. Without ``value`` the scale holds,
    so per-step updates can run between per-epoch observations made with :func:`observe`.

    Feed it a per-epoch metric: a noisy per-step minibatch loss with a small ``patience``
    counts noise as plateaus and collapses the scale (docs/plateau.md measures the trap).

    ``factor``, ``threshold``, ``min_scale``, ``eps``, ``patience`` and ``cooldown`` may be
    concrete JAX arrays or tracers (``jax.vmap`` over ``factor``,
    ``optax.inject_hyperparams``); tracers are used as data and their range is not checked.

    Args:
        factor: multiplier applied at each reduction, in ``(0, 1)``. Default ``0.1``.
        patience: bad observations tolerated before reducing, an integer ``>= 0``.
            Default ``10``.
        threshold: minimal significant improvement, ``>= 0``. Default ``1e-4``.
        threshold_mode: ``"rel"`` (default) or ``"abs"``, as above.
        cooldown: observations to wait after a reduction before counting bad ones again,
            an integer ``>= 0``. Default ``0``.
        min_scale: floor of the scale, in ``[0, 1]`` (torch's ``min_lr / base_lr``).
            Default ``0``.
        mode: ``"min"`` (default; the metric should decrease, e.g. a loss) or ``"max"``
            (e.g. an accuracy).
        eps: minimal decrease of the scale for a reduction to apply, ``>= 0`` (torch's
            ``eps / base_lr``). Default ``0``.

    Returns:
        A ``GradientTransformationExtraArgs`` whose state is a
        :class:`ReduceOnPlateauState`. It is a pure scale: put it after the learning rate,
        e.g. ``lrx.chain(lrx.adam(1e-3), lrx.reduce_on_plateau(patience=5))`` (Adam +
        Reduce on Plateau, article 000), and call
        ``update(grads, state, params, value=val_loss)``.

    Raises:
        ValueError: if a hyperparameter is out of range (the message names it).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.reduce_on_plateau(factor=0.5, patience=1)
        >>> state = tx.init(jnp.zeros(2))
        >>> for loss in [1.0, 0.5, 0.75, 0.625]:  # two bad epochs > patience 1
        ...     u, state = tx.update(jnp.ones(2), state, value=loss)
        >>> state.scale.item(), state.best.item(), u.tolist()
        (0.5, 0.5, [0.5, 0.5])

        Adam + Reduce on Plateau (article 000) in one line, observed once per epoch;
        ``learning_rate`` is the rate the last update used, ``next_learning_rate`` the rate
        the next one will use (torch's ``get_last_lr()`` after ``scheduler.step()``):

        >>> opt = lrx.chain(lrx.adam(1e-3), lrx.reduce_on_plateau(patience=5))
        >>> state = opt.init(jnp.zeros(2))
        >>> for val_loss in [0.9, 0.8] + [0.85] * 6:  # 6 epochs without progress > 5
        ...     state = lrx.observe(state, val_loss)
        >>> round(lrx.learning_rate(state).item(), 8)  # no update yet: the first one's rate
        0.0001
    """
    factor = check_float("factor", factor, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    patience = check_int("patience", patience, lo=0)
    threshold = check_float("threshold", threshold, lo=0.0)
    threshold_mode = check_choice("threshold_mode", threshold_mode, ["rel", "abs"])
    cooldown = check_int("cooldown", cooldown, lo=0)
    min_scale = check_float("min_scale", min_scale, lo=0.0, hi=1.0)
    mode = check_choice("mode", mode, ["min", "max"])
    eps = check_float("eps", eps, lo=0.0)
    maximize = mode == "max"

    def hyper() -> dict[str, jax.Array]:
        f32 = jnp.float32
        return {
            "factor": jnp.asarray(factor, f32),
            "patience": jnp.asarray(patience, jnp.int32),
            "threshold": jnp.asarray(threshold, f32),
            "cooldown": jnp.asarray(cooldown, jnp.int32),
            "min_scale": jnp.asarray(min_scale, f32),
            "eps": jnp.asarray(eps, f32),
            "maximize": jnp.asarray(maximize),
            "relative": jnp.asarray(threshold_mode == "rel"),
        }

    def init_fn(params: optax.Params) -> ReduceOnPlateauState:
        del params
        f32 = jnp.float32
        return ReduceOnPlateauState(
            scale=jnp.ones([], f32),
            last_scale=jnp.ones([], f32),
            updated=jnp.asarray(False),
            best=jnp.asarray(-jnp.inf if maximize else jnp.inf, f32),
            num_bad_epochs=zero_count(),
            cooldown_counter=zero_count(),
            count=zero_count(),
            **hyper(),
        )

    def update_fn(
        updates: optax.Updates,
        state: ReduceOnPlateauState,
        params: optax.Params | None = None,
        *,
        value: Any = None,
        **extra_args: Any,
    ) -> tuple[optax.Updates, ReduceOnPlateauState]:
        del params, extra_args
        check_state("reduce_on_plateau", state, ReduceOnPlateauState)
        # The factory's hyperparameters win over the stored copies, so that values changed
        # between steps (optax.inject_hyperparams rebuilds the factory) take effect.
        state = state._replace(**hyper())
        if value is not None:
            state = _observe(state, _as_metric(value))
        scale = state.scale
        updates = jax.tree.map(lambda u: u * scale.astype(u.dtype), updates)
        # A copy: ``scale`` may be the input leaf itself, and two state leaves sharing one
        # buffer cannot both be donated to the next jitted step.
        last_scale = jnp.array(scale, copy=True)
        return updates, state._replace(last_scale=last_scale, updated=jnp.asarray(True))

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def observe(opt_state: Any, value: Any) -> Any:
    """Feed one metric observation to every :func:`reduce_on_plateau` state in ``opt_state``.

    For per-epoch validation metrics with per-step updates: call ``tx.update`` without
    ``value`` at every step, and ``opt_state = lrx.observe(opt_state, val_loss)`` once per
    epoch (torch's ``scheduler.step(val_loss)``). The new scale applies from the next
    update on. Works through any pytree container (``chain`` tuples, NamedTuples, dicts,
    ``optax`` partition / masked / inject_hyperparams states, ``lrx.skip_nonfinite``) and
    under ``jit``; ``value`` may be traced. With ``flax.nnx.Optimizer``,
    ``lrx.observe(optimizer.opt_state, val_loss)`` updates the optimizer's state Variables
    in place (and returns that same state).

    Args:
        opt_state: an optimizer state (any pytree) holding one or more
            :class:`ReduceOnPlateauState`.
        value: the metric, a scalar (float, NumPy or JAX scalar).

    Returns:
        ``opt_state`` with each plateau state advanced by one observation; everything else
        is returned unchanged.

    Raises:
        ValueError: if ``opt_state`` holds no reduce_on_plateau state, or ``value`` is not
            a scalar.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.chain(lrx.scale_by_learning_rate(0.1), lrx.reduce_on_plateau(patience=0))
        >>> state = tx.init(jnp.zeros(2))
        >>> state = lrx.observe(lrx.observe(state, 1.0), 2.0)  # worse: 1 bad > patience 0
        >>> lrx.learning_rate(state).item()  # no update yet: the first one's rate
        0.010000000707805157
    """
    metric = _as_metric(value)
    found = [
        s
        for s in jax.tree.leaves(opt_state, is_leaf=_is_plateau)
        if isinstance(s, ReduceOnPlateauState)
    ]
    if not found:
        raise ValueError(
            "opt_state holds no reduce_on_plateau state: observe() needs an optimizer "
            "built with lrx.reduce_on_plateau(...)"
        )
    return jax.tree.map(
        lambda s: _observe_any(s, metric) if isinstance(s, ReduceOnPlateauState) else s,
        opt_state,
        is_leaf=_is_plateau,
    )


def _observe_any(state: ReduceOnPlateauState, metric: jax.Array) -> ReduceOnPlateauState:
    """``_observe``; a state whose leaves are nnx Variables is updated in place."""
    if not any(is_variable(x) for x in state):
        return _observe(state, metric)
    leaves: tuple[Any, ...] = tuple(state)  # arrays or nnx Variables, not only jax.Array
    values = ReduceOnPlateauState(*(x.get_value() if is_variable(x) else x for x in leaves))
    new = _observe(values, metric)
    for var, value in zip(leaves, new, strict=True):
        if is_variable(var):
            var.set_value(value)
    return state
