"""``dog`` and ``ldog``: Distance over Gradients, a step size from the distance travelled.

DoG (Ivgi, Hinder and Carmon 2023) runs SGD with the step size ``η_t = r̄_t / sqrt(G_t)``:
the largest distance from the start seen so far over the root of the summed squared
gradient norms. L-DoG does the same per tensor. Both equal the authors' ``dog-optimizer``
package (``DoG`` / ``LDoG``, version 1.0.3) step for step, the whole parameter tree being one
torch parameter group.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._counters import safe_increment, zero_count
from lrx._dtypes import compute_dtype, real_dtype, state_dtype, to_output
from lrx._tree import check_state, check_tree_match, tree_map_multi
from lrx._types import ScalarOrSchedule
from lrx._validate import check_float, is_traced, static_value
from lrx.lr_free._common import check_real_params
from lrx.schedules._base import as_schedule_fn
from lrx.transforms._moments import abs_sq
from lrx.transforms._reduce import global_sum

__all__ = ["DoGState", "LDoGState", "dog", "ldog"]


class DoGState(NamedTuple):
    """State of :func:`dog` (the authors' names).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        eta: the step size ``η`` the last update applied (``learning_rate · r̄ / sqrt(G)``;
            ``init_eta`` before the first update when given, else 0: DoG's first step size
            depends on the first gradient). A scalar in the params' widest float dtype
            (float32 at least).
        rbar: ``r̄``, the largest distance ``‖x_t − x_0‖`` seen, starting at
            ``reps_rel · (1 + ‖x_0‖)`` (at 0 with ``init_eta``).
        G: the sum of the squared gradient norms, plus ``eps``.
        x0: the initial parameters (those given to ``init``).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    eta: jax.Array
    rbar: jax.Array
    G: jax.Array
    x0: Any

    def lrx_learning_rate(self, upcoming: bool) -> jax.Array:
        """``η``: the step size of the last update. The next one depends on the next
        gradient, so ``upcoming`` also reads the last ``η``."""
        del upcoming
        return self.eta


class LDoGState(NamedTuple):
    """State of :func:`ldog`: :class:`DoGState` with one ``eta``, ``rbar`` and ``G`` per tensor.

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        eta: a tree like the params of scalar step sizes (one per tensor), as
            :class:`DoGState`'s ``eta``.
        rbar: a tree of scalars, ``r̄`` per tensor.
        G: a tree of scalars, the summed squared gradient norm per tensor plus ``eps``.
        x0: the initial parameters.
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    eta: Any
    rbar: Any
    G: Any
    x0: Any

    def lrx_learning_rate(self, upcoming: bool) -> jax.Array:
        """The mean over tensors of the per-tensor ``η`` (float32) of the last update."""
        del upcoming
        etas = [jnp.asarray(e, jnp.float32) for e in jax.tree.leaves(self.eta)]
        if not etas:
            return jnp.zeros([], jnp.float32)
        return jnp.mean(jnp.stack(etas))


def _as_rate(learning_rate: ScalarOrSchedule) -> Callable[[jax.Array], Any]:
    """``count -> rate``; a Python number stays a Python number (exact in float64)."""
    if isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool):
        value = check_float("learning_rate", learning_rate, lo=0.0, lo_open=True)
        return lambda count: value
    return as_schedule_fn(learning_rate)


def _operand(value: Any, dtype: Any) -> Any:
    """A hyperparameter or rate as an operand of ``dtype``: Python numbers stay weak."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return jnp.asarray(value).astype(dtype)


def _scalar_dtype(params: Any) -> Any:
    """The dtype of the global estimates: the params' widest float dtype, float32 at least."""
    return compute_dtype(*(real_dtype(p.dtype) for p in jax.tree.leaves(params)))


def _validate(
    learning_rate: ScalarOrSchedule,
    reps_rel: jax.typing.ArrayLike,
    eps: jax.typing.ArrayLike,
    init_eta: jax.typing.ArrayLike | None,
    weight_decay: jax.typing.ArrayLike,
) -> tuple[Any, ...]:
    rate = _as_rate(learning_rate)
    if init_eta is not None:
        init_eta = check_float("init_eta", init_eta, lo=0.0, lo_open=True)
        reps_rel = 0.0  # as the authors: the first step size is init_eta, r̄ starts at 0
    else:
        reps_rel = check_float("reps_rel", reps_rel, lo=0.0, lo_open=True)
    eps = check_float("eps", eps, lo=0.0)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    return rate, reps_rel, eps, init_eta, weight_decay


def _decayed(grads: Any, params: Any, weight_decay: Any) -> Any:
    """``g + weight_decay · x`` per leaf in the compute dtype (``g`` when it is a static 0)."""

    def leaf(g: jax.Array, p: jax.Array) -> jax.Array:
        dt = compute_dtype(g.dtype, p.dtype)
        g = g.astype(dt)
        if not is_traced(weight_decay) and static_value(weight_decay) == 0:
            return g
        out: jax.Array = g + _operand(weight_decay, dt) * p.astype(dt)
        return out

    return jax.tree.map(leaf, grads, params)


def _sq_dist(p: jax.Array, p0: jax.Array, dtype: Any) -> jax.Array:
    d = p.astype(dtype) - p0.astype(dtype)
    return d * d


def _first_eta(init_eta: Any, eta: jax.Array, first: jax.Array) -> jax.Array:
    if init_eta is None:
        return eta
    return jnp.where(first, _operand(init_eta, eta.dtype), eta)


def dog(
    learning_rate: ScalarOrSchedule = 1.0,
    reps_rel: jax.typing.ArrayLike = 1e-6,
    eps: jax.typing.ArrayLike = 1e-8,
    init_eta: jax.typing.ArrayLike | None = None,
    weight_decay: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformation:
    r"""DoG (Distance over Gradients): SGD whose step size is distance over gradient norms.

    Formula (``t = 0, 1, ...``; norms over the whole parameter tree)::

        g_t = ∇f(x_t) + weight_decay · x_t
        r̄_t = max(r̄_{t-1}, ‖x_t − x_0‖),   r̄_{-1} = reps_rel · (1 + ‖x_0‖)
        G_t = G_{t-1} + ‖g_t‖²,              G_{-1} = eps
        η_t = learning_rate(t) · r̄_t / sqrt(G_t)    (η_0 = init_eta when given)
        x_{t+1} = x_t − η_t g_t

    Equal to ``dog.DoG`` of the authors' package ``dog-optimizer`` 1.0.3 with the whole tree
    as one parameter group, defaults included (``reps_rel=1e-6``: 1e-4 is suggested for
    models with batch normalization). ``init_eta`` fixes the first step size and, as in the
    authors' code, makes ``r̄`` start at 0 (``reps_rel`` is ignored). Weight decay is an L2
    term added to the gradient, so it also enters ``G``. ``x_0`` is the params given to
    ``init``. The authors recommend iterate averaging on top (e.g. an EMA of the params).

    :func:`lrx.learning_rate` reads ``η`` (the state's ``eta``) of the last update.
    Hyperparameters are data: ``learning_rate`` (also an :class:`lrx.Schedule` or a callable
    of the count), ``reps_rel``, ``eps``, ``init_eta`` and ``weight_decay`` may be arrays or
    tracers (``jit``, ``vmap``, ``optax.inject_hyperparams``); a traced value is not
    range-checked. ``update`` needs ``params``. Complex parameters raise ``ValueError`` (the
    authors define no complex version).
    References:
        Ivgi, Hinder, Carmon, "DoG is SGD's Best Friend: A Parameter-Free Dynamic Step Size
        Schedule", ICML 2023 (arXiv:2302.12022).

    Args:
        learning_rate: the factor ``c`` of the paper (default 1.0, which the authors
            recommend keeping), > 0.
        reps_rel: the relative initial distance, > 0 (default 1e-6).
        eps: added to ``G`` once, >= 0 (default 1e-8).
        init_eta: ``None`` (default) or the first step size, > 0.
        weight_decay: L2 penalty added to the gradient, >= 0 (default 0).

    Returns:
        A ``GradientTransformation`` with state :class:`DoGState`.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.dog()
        >>> params = jnp.array([3.0, 4.0])
        >>> state = tx.init(params)
        >>> u, state = tx.update(jnp.array([1.0, 0.0]), state, params)
        >>> round(float(state.rbar), 9), round(float(lrx.learning_rate(state)), 9)
        (6e-06, 6e-06)
    """
    rate, reps_rel, eps, init_eta, weight_decay = _validate(
        learning_rate, reps_rel, eps, init_eta, weight_decay
    )

    def init_fn(params: optax.Params) -> DoGState:
        check_real_params("dog", params)
        dt = _scalar_dtype(params)
        norm = jnp.sqrt(global_sum(lambda p: abs_sq(p.astype(dt)), params, dtype=dt))
        rbar = _operand(reps_rel, dt) * (1 + norm)
        eta = jnp.zeros([], dt) if init_eta is None else jnp.full([], _operand(init_eta, dt), dt)
        return DoGState(
            count=zero_count(),
            eta=eta,
            rbar=rbar,
            G=jnp.full([], _operand(eps, dt), dt),
            x0=jax.tree.map(lambda p: jnp.array(p, copy=True), params),
        )

    def update_fn(
        updates: optax.Updates, state: DoGState, params: optax.Params | None = None
    ) -> tuple[optax.Updates, DoGState]:
        check_state("dog", state, DoGState)
        if params is None:
            raise ValueError("dog: update needs params (the distance from x0 is measured)")
        check_tree_match("dog", updates, params)
        dt = state.G.dtype
        g = _decayed(updates, params, weight_decay)
        dist = jnp.sqrt(global_sum(lambda p, p0: _sq_dist(p, p0, dt), params, state.x0, dtype=dt))
        rbar = jnp.maximum(state.rbar, dist)
        G = state.G + global_sum(lambda x: abs_sq(x.astype(dt)), g, dtype=dt)
        eta = _operand(rate(state.count), dt) * rbar / jnp.sqrt(G)
        eta = _first_eta(init_eta, eta, state.count == 0)
        out = jax.tree.map(lambda gi, u: to_output(-eta.astype(gi.dtype) * gi, u.dtype), g, updates)
        new = DoGState(safe_increment(state.count), eta, rbar, G, state.x0)
        return out, new

    return optax.GradientTransformation(init_fn, update_fn)


def ldog(
    learning_rate: ScalarOrSchedule = 1.0,
    reps_rel: jax.typing.ArrayLike = 1e-6,
    eps: jax.typing.ArrayLike = 1e-8,
    init_eta: jax.typing.ArrayLike | None = None,
    weight_decay: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformation:
    r"""L-DoG (layer-wise DoG): :func:`dog`'s step size computed for each tensor separately.

    Formula (per tensor ``i``, ``t = 0, 1, ...``)::

        g_t = ∇f(x_t) + weight_decay · x_t
        r̄_t^i = max(r̄_{t-1}^i, ‖x_t^i − x_0^i‖),   r̄_{-1}^i = reps_rel · (1 + ‖x_0^i‖)
        G_t^i = G_{t-1}^i + ‖g_t^i‖²,                G_{-1}^i = eps
        η_t^i = learning_rate(t) · r̄_t^i / sqrt(G_t^i)    (η_0^i = init_eta when given)
        x_{t+1}^i = x_t^i − η_t^i g_t^i

    Equal to ``dog.LDoG`` of ``dog-optimizer`` 1.0.3 (the whole tree one parameter group).
    The per-tensor estimates are trees of scalars in the state (``eta``, ``rbar``, ``G``);
    :func:`lrx.learning_rate` reports the **mean over tensors** of ``η``.
    Hyperparameters are data: ``learning_rate`` (also an :class:`lrx.Schedule` or a callable
    of the count), ``reps_rel``, ``eps``, ``init_eta`` and ``weight_decay`` may be arrays or
    tracers (``jit``, ``vmap``, ``optax.inject_hyperparams``); a traced value is not
    range-checked. ``update`` needs ``params``. Complex parameters raise ``ValueError`` (the
    authors define no complex version).
    References:
        Ivgi, Hinder, Carmon, "DoG is SGD's Best Friend: A Parameter-Free Dynamic Step Size
        Schedule", ICML 2023 (arXiv:2302.12022).

    Args:
        learning_rate: the factor ``c`` (default 1.0), > 0.
        reps_rel: the relative initial distance, > 0 (default 1e-6).
        eps: added to each ``G`` once, >= 0 (default 1e-8).
        init_eta: ``None`` (default) or the first step size of every tensor, > 0.
        weight_decay: L2 penalty added to the gradient, >= 0 (default 0).

    Returns:
        A ``GradientTransformation`` with state :class:`LDoGState`.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.ldog()
        >>> params = {"a": jnp.array([3.0, 4.0]), "b": jnp.array([0.0])}
        >>> state = tx.init(params)
        >>> g = {"a": jnp.array([1.0, 0.0]), "b": jnp.array([2.0])}
        >>> u, state = tx.update(g, state, params)
        >>> [round(float(e), 9) for e in (state.eta["a"], state.eta["b"])]
        [6e-06, 5e-07]
    """
    rate, reps_rel, eps, init_eta, weight_decay = _validate(
        learning_rate, reps_rel, eps, init_eta, weight_decay
    )

    def init_fn(params: optax.Params) -> LDoGState:
        check_real_params("ldog", params)

        def leaf_dt(p: jax.Array) -> Any:
            return state_dtype(p.dtype)

        def rbar0(p: jax.Array) -> jax.Array:
            dt = leaf_dt(p)
            norm = jnp.sqrt(jnp.sum(abs_sq(p.astype(dt))))
            out: jax.Array = _operand(reps_rel, dt) * (1 + norm)
            return out

        def eta0(p: jax.Array) -> jax.Array:
            dt = leaf_dt(p)
            return (
                jnp.zeros([], dt) if init_eta is None else jnp.full([], _operand(init_eta, dt), dt)
            )

        return LDoGState(
            count=zero_count(),
            eta=jax.tree.map(eta0, params),
            rbar=jax.tree.map(rbar0, params),
            G=jax.tree.map(lambda p: jnp.full([], _operand(eps, leaf_dt(p)), leaf_dt(p)), params),
            x0=jax.tree.map(lambda p: jnp.array(p, copy=True), params),
        )

    def update_fn(
        updates: optax.Updates, state: LDoGState, params: optax.Params | None = None
    ) -> tuple[optax.Updates, LDoGState]:
        check_state("ldog", state, LDoGState)
        if params is None:
            raise ValueError("ldog: update needs params (the distance from x0 is measured)")
        check_tree_match("ldog", updates, params)
        g = _decayed(updates, params, weight_decay)
        first = state.count == 0
        lr = rate(state.count)

        def leaf(
            gi: jax.Array, u: jax.Array, p: jax.Array, p0: jax.Array, rbar: jax.Array, G: jax.Array
        ) -> tuple[jax.Array, ...]:
            dt = G.dtype
            rbar = jnp.maximum(rbar, jnp.sqrt(jnp.sum(_sq_dist(p, p0, dt))))
            G = G + jnp.sum(abs_sq(gi.astype(dt)))
            eta = _first_eta(init_eta, _operand(lr, dt) * rbar / jnp.sqrt(G), first)
            return to_output(-eta.astype(gi.dtype) * gi, u.dtype), eta, rbar, G

        out, eta, rbar, G = tree_map_multi(
            leaf, 4, g, updates, params, state.x0, state.rbar, state.G
        )
        return out, LDoGState(safe_increment(state.count), eta, rbar, G, state.x0)

    return optax.GradientTransformation(init_fn, update_fn)
