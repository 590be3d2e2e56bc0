"""``scale_by_momentum``: heavy-ball and Nesterov momentum with torch.optim.SGD's semantics.

Article 004_7dc5a075b1dee1ce.txt (动量方法) describes momentum as "not only this step's
gradient direction but also the previous one": the update direction is the gradient plus
the decayed previous direction, starting from zero momentum so that the first step follows
the gradient alone.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax import lax

from lrx._counters import safe_increment, zero_count
from lrx._dtypes import cast, check_floating, compute_dtype, const
from lrx._tree import check_state, check_tree_match, tree_map_multi
from lrx._validate import check_bool, check_float, static_value

__all__ = ["ScaleByMomentumState", "check_nesterov", "scale_by_momentum"]


def check_nesterov(
    momentum: Any, nesterov: Any, dampening: Any = 0.0, *, name: str = "momentum"
) -> tuple[Any, bool, Any]:
    """Validate a momentum configuration; the one Nesterov rule of lrx.

    ``momentum`` and ``dampening`` must lie in ``[0, 1]`` (:func:`check_float`: concrete
    values become Python floats, tracers pass unchanged); ``nesterov`` is a static bool.
    ``nesterov=True`` needs ``momentum > 0`` and ``dampening == 0``, as ``torch.optim.SGD``;
    the rule is checked when both values are concrete (a traced value is unchecked).
    ``name`` is the momentum argument's name in messages (``decay`` for
    :func:`scale_by_momentum`).

    Returns:
        ``(momentum, nesterov, dampening)``, normalized.
    """
    momentum = check_float(name, momentum, lo=0.0, hi=1.0)
    nesterov = check_bool("nesterov", nesterov)
    dampening = check_float("dampening", dampening, lo=0.0, hi=1.0)
    m, d = static_value(momentum), static_value(dampening)
    if nesterov and m is not None and d is not None and (m <= 0 or d != 0):
        raise ValueError(
            f"nesterov=True requires {name} > 0 and dampening == 0 (as torch.optim), "
            f"got {name}={momentum!r}, dampening={dampening!r}"
        )
    return momentum, nesterov, dampening


class ScaleByMomentumState(NamedTuple):
    """State of :func:`scale_by_momentum`.

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        momentum: the momentum buffer ``b``, a tree like the params (same dtypes).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    momentum: Any


def scale_by_momentum(
    decay: float = 0.9, *, nesterov: bool = False, dampening: float = 0.0
) -> optax.GradientTransformation:
    r"""Heavy-ball (or Nesterov) momentum, exactly as ``torch.optim.SGD``'s buffer.

    Formula (``t = 1, 2, ...`` the update number, ``g_t`` the incoming update)::

        b_1 = g_1                                   (the first step is undampened)
        b_t = decay * b_{t-1} + (1 - dampening) * g_t      (t > 1)
        output = b_t                  (nesterov=False)
        output = g_t + decay * b_t    (nesterov=True)

    This is the momentum of article 004_7dc5a075b1dee1ce.txt (动量方法: the first step
    follows the gradient, later steps add the decayed previous direction) and the buffer of
    ``torch.optim.SGD(momentum=decay, dampening=..., nesterov=...)``. With
    ``dampening=0`` it equals ``optax.trace(decay, nesterov)``. The learning rate is not
    applied here: chain :func:`lrx.scale_by_learning_rate` after it, so that (as in torch)
    the learning rate multiplies the buffer, not the gradients accumulated into it.

    Args:
        decay: momentum coefficient, in ``[0, 1]`` (default 0.9).
        nesterov: use Nesterov momentum (default ``False``); needs ``decay > 0`` and
            ``dampening == 0``, as torch.
        dampening: in ``[0, 1]`` (default 0); scales the gradient added to the buffer
            after the first step.

    Returns:
        A ``GradientTransformation`` with state :class:`ScaleByMomentumState`.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.scale_by_momentum(0.5)
        >>> state = tx.init(jnp.zeros(2))
        >>> u, state = tx.update(jnp.ones(2), state)  # b_1 = g_1
        >>> u, state = tx.update(jnp.ones(2), state)  # b_2 = 0.5 * 1 + 1
        >>> u.tolist()
        [1.5, 1.5]
    """
    decay, nesterov, dampening = check_nesterov(decay, nesterov, dampening, name="decay")

    def init_fn(params):
        check_floating("scale_by_momentum", params)
        return ScaleByMomentumState(
            count=zero_count(), momentum=jax.tree.map(jnp.zeros_like, params)
        )

    def update_fn(updates, state, params=None):
        del params
        check_state("scale_by_momentum", state, ScaleByMomentumState)
        check_tree_match("scale_by_momentum", updates, state.momentum)

        @functools.cache
        def coef(cdt):
            """The gradient's coefficient, once per update: 1 at the first step (torch's
            undampened ``b_1 = g_1``; ``b_0 = 0``), then ``1 - dampening``."""
            return lax.select(state.count == 0, const(1, cdt), const(1 - dampening, cdt))

        def leaf(g, b):
            cdt = compute_dtype(g.dtype, b.dtype)
            g_c = cast(g, cdt)
            decay_c = const(decay, cdt)
            g_in = g_c if dampening == 0 else lax.mul(g_c, coef(cdt))
            b_new = lax.add(lax.mul(cast(b, cdt), decay_c), g_in)
            out = lax.add(g_c, lax.mul(b_new, decay_c)) if nesterov else b_new
            return cast(out, g.dtype), cast(b_new, b.dtype)

        out, momentum = tree_map_multi(leaf, 2, updates, state.momentum)
        return out, ScaleByMomentumState(count=safe_increment(state.count), momentum=momentum)

    return optax.GradientTransformation(init_fn, update_fn)
