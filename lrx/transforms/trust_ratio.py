"""``scale_by_trust_ratio``: the layer-wise trust ratio of LARS and LAMB, kept in the state.

Article 003 (2.3, 4.3: layer-wise adaptive learning rates): each layer (each leaf of the
parameter tree) gets its own step size, computed from the ratio of its weight norm to its
update norm, so that layers whose updates are large relative to their weights take smaller
steps. The ratio of the last update is stored per leaf, so the per-layer effective rate
(base rate × trust ratio) can be read after a step with :func:`layer_learning_rates`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._dtypes import check_floating, compute_dtype, to_output
from lrx._tree import check_state, tree_map_multi
from lrx._validate import check_float
from lrx.transforms._moments import abs_sq, add, scalar
from lrx.transforms.learning_rate import ScaleByLearningRateState

__all__ = [
    "ScaleByTrustRatioState",
    "layer_learning_rates",
    "scale_by_trust_ratio",
    "trust_ratios",
]


class ScaleByTrustRatioState(NamedTuple):
    """State of :func:`scale_by_trust_ratio`.

    Attributes:
        trust_ratio: a tree like the params of float32 0-d arrays: the ratio each leaf's
            last update was multiplied by (1 before any update). Under ``optax.masked`` the
            leaves the mask leaves out are ``optax.MaskedNode()``.
    """

    trust_ratio: Any


def _norm(x: jax.Array, min_norm: Any) -> jax.Array:
    """``max(‖x‖₂, min_norm)`` over the whole leaf, in float32 or wider (real)."""
    xc = x.astype(compute_dtype(x.dtype))
    norm = jnp.sqrt(jnp.sum(abs_sq(xc)))
    return jnp.maximum(norm, scalar(min_norm, norm))


def scale_by_trust_ratio(
    min_norm: jax.typing.ArrayLike = 0.0,
    trust_coefficient: jax.typing.ArrayLike = 1.0,
    eps: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformation:
    r"""Multiply each leaf's update by its trust ratio ``c ‖θ‖ / (‖u‖ + eps)``.

    Formula, per leaf (layer) ``l``, with ``‖·‖`` the Euclidean norm of the whole leaf::

        n_θ = max(‖θ_l‖, min_norm),   n_u = max(‖u_l‖, min_norm)
        r_l = trust_coefficient · n_θ / (n_u + eps)     (r_l = 1 if n_θ = 0 or n_u = 0)
        output_l = r_l · u_l

    This is the layer-wise scaling of LARS (Alg. 1 of You et al. 2017, with ``u`` the
    decayed gradient) and LAMB (Alg. 2 of You et al. 2020, with ``u`` the Adam ratio plus
    weight decay), the layer-wise rates of article 003 (2.3, 4.3), and
    ``optax.scale_by_trust_ratio`` argument for argument: the literal swap gives optax's
    numbers. The norms are per leaf (``sqrt(sum |x|²)``): on a sharded leaf they are
    partial sums and one all-reduce, the leaf is never gathered. Complex leaves use
    ``|x|²``; the ratio is real.

    The ratios of the last update are kept in the state (float32 scalars, one per leaf;
    1 before the first update), read back by :func:`trust_ratios` and
    :func:`layer_learning_rates`.

    Hyperparameters are data: all three may be concrete arrays or tracers (not
    range-checked then).

    Args:
        min_norm: lower bound of both norms, >= 0 (default 0.0: no bound).
        trust_coefficient: ``c`` >= 0 (default 1.0; LARS uses 0.001).
        eps: >= 0, added to the update norm (default 0.0).

    Returns:
        A ``GradientTransformation`` with state :class:`ScaleByTrustRatioState`; its
        ``update`` needs ``params``.

    References:
        You, Gitman & Ginsburg, "Large Batch Training of Convolutional Networks", 2017
        (arXiv:1708.03888); You et al., "Large Batch Optimization for Deep Learning:
        Training BERT in 76 minutes", ICLR 2020 (arXiv:1904.00962).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.scale_by_trust_ratio()
        >>> params = {"w": jnp.array([3.0, 4.0]), "b": jnp.array([1.0])}
        >>> u, state = tx.update({"w": jnp.array([0.0, 1.0]), "b": jnp.array([2.0])},
        ...                      tx.init(params), params)
        >>> u["w"].tolist(), state.trust_ratio["w"].item(), state.trust_ratio["b"].item()
        ([0.0, 5.0], 5.0, 0.5)
    """
    min_norm = check_float("min_norm", min_norm, lo=0.0)
    trust_coefficient = check_float("trust_coefficient", trust_coefficient, lo=0.0)
    eps = check_float("eps", eps, lo=0.0)

    def init_fn(params: optax.Params) -> Any:
        check_floating("scale_by_trust_ratio", params)
        return ScaleByTrustRatioState(
            trust_ratio=jax.tree.map(lambda p: jnp.ones([], jnp.float32), params)
        )

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        if params is None:
            raise ValueError("scale_by_trust_ratio: update needs params (the weight norms)")
        check_state("scale_by_trust_ratio", state, ScaleByTrustRatioState)
        check_floating("scale_by_trust_ratio", updates)

        def leaf(u: Any, p: Any) -> tuple[Any, Any]:
            param_norm = _norm(p, min_norm)
            update_norm = _norm(u, min_norm)
            # c · n_θ / (n_u + eps), and 1 where either norm vanishes
            ratio = scalar(trust_coefficient, param_norm) * param_norm / add(update_norm, eps)
            zero = (param_norm == 0) | (update_norm == 0)
            ratio = jnp.where(zero, jnp.ones_like(ratio), ratio)
            cdt = compute_dtype(u.dtype, ratio.dtype)
            out = to_output(u.astype(cdt) * ratio.astype(cdt), u.dtype)
            return out, ratio.astype(jnp.float32)

        updates, ratios = tree_map_multi(leaf, 2, updates, params)
        return updates, ScaleByTrustRatioState(trust_ratio=ratios)

    return optax.GradientTransformation(init_fn, update_fn)


def _is_trust(x: Any) -> bool:
    return isinstance(x, ScaleByTrustRatioState)


def _is_masked(x: Any) -> bool:
    return isinstance(x, optax.MaskedNode)


def trust_ratios(opt_state: Any) -> Any:
    """The trust ratios the last update applied, a tree like the params of float32 scalars.

    Reads the (first) :func:`scale_by_trust_ratio` state inside ``opt_state`` (an
    :func:`lrx.lars` or :func:`lrx.lamb` state, or any chain holding one). Leaves a mask
    kept out of the trust ratio (LARS's ``trust_ratio_mask``) read 1: their update is not
    rescaled. Before any update every ratio is 1. Works inside ``jit``.

    Raises:
        ValueError: if ``opt_state`` holds no trust-ratio state.
    """
    for node in jax.tree.leaves(opt_state, is_leaf=_is_trust):
        if _is_trust(node):
            return jax.tree.map(
                lambda r: jnp.ones([], jnp.float32) if _is_masked(r) else r,
                node.trust_ratio,
                is_leaf=_is_masked,
            )
    raise ValueError(
        "opt_state holds no scale_by_trust_ratio state (use lrx.lars, lrx.lamb or chain "
        "lrx.scale_by_trust_ratio())"
    )


def layer_learning_rates(opt_state: Any, base: Any = None) -> Any:
    r"""The per-layer effective learning rates of the last update: ``η · r_l`` per leaf.

    ``η`` is the base learning rate the last update applied (what :func:`lrx.learning_rate`
    reports for :func:`lrx.lars` and :func:`lrx.lamb`) and ``r_l`` the trust ratio of leaf
    ``l`` (:func:`trust_ratios`). This is what to plot to see the layer-wise adaptation
    (article 003, 2.3): for LARS the step of layer ``l`` is ``η r_l`` times the momentum
    of the decayed gradients, for LAMB ``η r_l`` times Adam's ratio plus weight decay.

    Args:
        opt_state: an optimizer state holding a :func:`scale_by_trust_ratio` state.
        base: the base rate, or ``None`` (default) to read it from the state's
            :func:`lrx.scale_by_learning_rate` state (optax's own learning-rate scaling
            is not readable: pass ``base`` then, e.g. ``lrx.learning_rate(state)`` under
            ``optax.inject_hyperparams``).

    Returns:
        A tree like the params of float32 scalars.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> from lrx.transforms.trust_ratio import layer_learning_rates
        >>> opt = lrx.lamb(0.01)
        >>> params = {"w": jnp.full((2, 2), 3.0), "b": jnp.zeros(2)}
        >>> grads = {"w": jnp.ones((2, 2)), "b": jnp.ones(2)}
        >>> _, state = opt.update(grads, opt.init(params), params)
        >>> {k: round(v.item(), 6) for k, v in layer_learning_rates(state).items()}
        {'b': 0.01, 'w': 0.03}
    """
    ratios = trust_ratios(opt_state)
    if base is None:
        nodes = jax.tree.leaves(
            opt_state, is_leaf=lambda x: isinstance(x, ScaleByLearningRateState)
        )
        rates = [n.learning_rate for n in nodes if isinstance(n, ScaleByLearningRateState)]
        if not rates:
            raise ValueError("opt_state holds no lrx.scale_by_learning_rate state: pass base=...")
        base = rates[0]
        for r in rates[1:]:
            base = base * r
    eta = jnp.asarray(base, jnp.float32)
    return jax.tree.map(lambda r: eta * r, ratios)
