"""Small pieces around the adaptive transforms: weight decay, global-norm clipping, updates.

``add_decayed_weights`` and ``clip_by_global_norm`` are optax's formulas with lrx's
contract: validated hyperparameters that may also be arrays or tracers, strict-dtype-safe
mixed trees (bfloat16 and float32 leaves together), complex leaves. ``apply_updates`` is
optax's (``p + u`` in the promoted dtype, rounded once to the parameter's dtype), also under
strict dtype promotion. ``chain`` is optax's, re-exported unchanged.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax
from optax import chain
from optax.transforms._adding import WeightDecaySchedule

from lrx._counters import safe_increment, zero_count
from lrx._dtypes import cast, compute_dtype, real_dtype
from lrx._types import ScalarOrSchedule
from lrx._validate import check_float, static_value
from lrx.transforms._hyper import hyper_at, is_schedule
from lrx.transforms._moments import abs_sq, scalar
from lrx.transforms._reduce import global_sum

__all__ = ["add_decayed_weights", "apply_updates", "chain", "clip_by_global_norm"]


def _is_none(x: Any) -> bool:
    return x is None


def add_decayed_weights(
    weight_decay: jax.typing.ArrayLike | ScalarOrSchedule = 0.0, mask: Any = None
) -> optax.GradientTransformation:
    r"""Add ``weight_decay * params`` to the updates (L2 in the gradient, or AdamW's term).

    Formula: ``u_t = u_t + λ θ_t``. Chained before the learning rate, as in
    ``optax.adamw`` / :func:`lrx.adamw`, it decays the weights by ``η_t λ θ_t`` per step;
    :func:`lrx.sgd`, :func:`lrx.adamw` and :mod:`lrx.compat.torch` use this transform.

    ``params`` in ``update``: a concrete ``λ = 0`` skips the term and needs no ``params``.
    Any other ``λ`` reads the parameters, and ``update`` without them raises ``ValueError``
    (at trace time: whether ``params`` is given is static). That includes a traced ``λ``
    (``optax.inject_hyperparams`` inside ``jit``, ``vmap``), whose value might be non-zero:
    pass ``params``, or keep ``weight_decay`` static (``static_args=("weight_decay",)``).
    ``λ`` is cast to each update's dtype; a complex ``θ`` with a real update raises.

    Args:
        weight_decay: ``λ`` >= 0 (default 0.0): a number, a scalar array, a tracer (not
            range-checked then), or a :class:`lrx.Schedule` / callable ``count -> λ``
            (``optax.add_decayed_weights``'s schedule, which always needs ``params``).
        mask: a pytree of bools like the params (or a callable ``params -> mask``)
            selecting the leaves to decay; ``None`` decays every leaf.

    Returns:
        A ``GradientTransformation`` (state ``optax.EmptyState``).

    References:
        Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.add_decayed_weights(0.1)
        >>> u, _ = tx.update(jnp.ones(2), tx.init(jnp.zeros(2)), jnp.full(2, 2.0))
        >>> u.tolist()
        [1.2000000476837158, 1.2000000476837158]
    """
    # a Schedule by type, or a callable that is not an array: λ = schedule(update index)
    if is_schedule(weight_decay):
        return _scheduled_decay(weight_decay, mask)
    wd = check_float("weight_decay", weight_decay, lo=0.0)
    value = static_value(wd)

    def init_fn(params: optax.Params) -> Any:
        del params
        return optax.EmptyState()

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        if value == 0:
            return updates, state
        if params is None:
            if value is None:
                raise ValueError(
                    "add_decayed_weights: weight_decay is traced (inject_hyperparams, jit, "
                    "vmap) and may be non-zero, so update needs params (the weights to "
                    "decay): call tx.update(grads, state, params), or keep weight_decay "
                    "static (optax.inject_hyperparams(..., static_args=('weight_decay',)))"
                )
            raise ValueError(
                f"add_decayed_weights: weight_decay={value!r} reads the parameters: pass "
                "params to update (tx.update(grads, state, params))"
            )

        def leaf(g: Any, p: Any) -> Any:
            return None if g is None else g + scalar(wd, g) * cast(p, g.dtype)

        return jax.tree.map(leaf, updates, params, is_leaf=_is_none), state

    tx = optax.GradientTransformation(init_fn, update_fn)
    return tx if mask is None else optax.masked(tx, mask)


def _scheduled_decay(schedule: Any, mask: Any) -> optax.GradientTransformation:
    """:func:`add_decayed_weights` with ``λ = schedule(count)``: optax's state and count
    (the update index), ``λ`` rounded once to each update's dtype (bfloat16, complex)."""

    def init_fn(params: optax.Params) -> Any:
        del params
        return WeightDecaySchedule(count=zero_count())

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        if params is None:
            raise ValueError(
                "add_decayed_weights: a weight_decay schedule reads the parameters: pass "
                "params to update (tx.update(grads, state, params))"
            )
        wd = hyper_at("weight_decay", schedule, state.count)

        def leaf(g: Any, p: Any) -> Any:
            return None if g is None else g + scalar(wd, g) * cast(p, g.dtype)

        new_state = WeightDecaySchedule(count=safe_increment(state.count))
        return jax.tree.map(leaf, updates, params, is_leaf=_is_none), new_state

    tx = optax.GradientTransformation(init_fn, update_fn)
    return tx if mask is None else optax.masked(tx, mask)


def clip_by_global_norm(max_norm: Any) -> optax.GradientTransformation:
    r"""Scale the updates down so that their global L2 norm is at most ``max_norm``.

    Formula: ``u_t = u_t`` if ``‖u_t‖ < c``, else ``u_t · c / ‖u_t‖``, with ``‖u‖² =
    Σ_leaves Σ |u|²`` (``|u|²`` real for complex leaves) summed in float32 or wider, as
    ``optax.clip_by_global_norm``. The squares of same-shaped leaves are added elementwise,
    32 leaves at a time, before one reduction each (compile time linear in the number of
    leaves; optax reduces every leaf alone): the norm agrees with optax's to rounding.

    Args:
        max_norm: ``c`` > 0: a real number, a scalar array or a tracer (not range-checked
            then). A complex value raises ``ValueError``.

    Returns:
        A ``GradientTransformation`` (state ``optax.EmptyState``).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.clip_by_global_norm(1.0)
        >>> u, _ = tx.update(jnp.array([3.0, 4.0]), tx.init(jnp.zeros(2)))
        >>> [round(x, 6) for x in u.tolist()]
        [0.6, 0.8]
    """
    max_norm = check_float("max_norm", max_norm, lo=0.0, lo_open=True)

    def init_fn(params: optax.Params) -> Any:
        del params
        return optax.EmptyState()

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        leaves = jax.tree.leaves(updates)
        if not leaves:
            return updates, state
        dtype = real_dtype(compute_dtype(*(x.dtype for x in leaves)))  # float32 or wider

        def square(x: Any) -> Any:
            return abs_sq(x.astype(compute_dtype(x.dtype, dtype)))

        norm = jnp.sqrt(global_sum(square, leaves, dtype=dtype))
        small = norm < scalar(max_norm, norm)

        def leaf(u: Any) -> Any:
            return jnp.where(small, u, u / norm.astype(u.dtype) * scalar(max_norm, u))

        return jax.tree.map(leaf, updates), state

    return optax.GradientTransformation(init_fn, update_fn)


def apply_updates(params: Any, updates: Any) -> Any:
    """``params + updates``, leaf by leaf, rounded once to each parameter's dtype.

    optax's ``apply_updates``: the sum is taken in the promotion of the two dtypes (a
    float32 update of a bfloat16 parameter is added in float32), also under
    ``jax_numpy_dtype_promotion="strict"``. A complex update of a real parameter raises
    ``ValueError`` (its imaginary part would be dropped). ``None`` leaves stay ``None``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> lrx.apply_updates(jnp.ones(2, jnp.bfloat16), jnp.full(2, 0.5)).tolist()
        [1.5, 1.5]
    """

    def leaf(p: Any, u: Any) -> Any:
        if p is None:
            return None
        p, u = jnp.asarray(p), jnp.asarray(u)
        if jnp.iscomplexobj(u) and not jnp.iscomplexobj(p):
            raise ValueError(
                f"apply_updates: a {u.dtype} update for a {p.dtype} parameter would drop its "
                "imaginary part: params and updates must be both complex or both real (was "
                "the optimizer's state built for other params, or are the updates complex "
                "gradients of real params?)"
            )
        dt = compute_dtype(p.dtype, u.dtype) if p.dtype != u.dtype else p.dtype
        return cast(p.astype(dt) + cast(u, dt), p.dtype)

    return jax.tree.map(leaf, params, updates, is_leaf=_is_none)
