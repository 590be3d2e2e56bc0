"""``scale_by_adagrad``: divide by the root of the running sum of squared gradients.

Article 004_7dc5a075b1dee1ce.txt (1. AdaGrad) and article 000_dbe525d0cf299df4.txt (1.1
Adagrad): every parameter gets its own step size, the inverse root of the sum of its past
squared gradients, so steep directions take small steps and flat ones large steps.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax import lax

from lrx._dtypes import cast, check_floating, compute_dtype, const, positive_in
from lrx._tree import check_state, check_tree_match, tree_map_multi
from lrx._validate import check_bool, check_float
from lrx.transforms._moments import divide

__all__ = ["ScaleByAdagradState", "scale_by_adagrad"]


class ScaleByAdagradState(NamedTuple):
    """State of :func:`scale_by_adagrad`.

    Attributes:
        sum_of_squares: ``G``, the running sum of squared updates, a tree like the params.
    """

    sum_of_squares: Any


def scale_by_adagrad(
    *, initial_accumulator_value: float = 0.0, eps: float = 1e-10, eps_in_sqrt: bool = False
) -> optax.GradientTransformation:
    r"""AdaGrad scaling: ``g_t / (sqrt(G_t) + eps)``.

    Formula::

        G_0 = initial_accumulator_value
        G_t = G_{t-1} + g_t ⊙ g_t
        output = g_t / (sqrt(G_t) + eps)      (eps_in_sqrt=False, torch.optim.Adagrad)
        output = g_t / sqrt(G_t + eps)        (eps_in_sqrt=True)

    ``eps_in_sqrt=True`` is the AdaGrad formula of article 004_7dc5a075b1dee1ce.txt
    (``θ_{t+1} = θ_t − η / sqrt(g_t + ε) ⊙ ∇J``) and ``optax.scale_by_rss``; the default
    (eps outside the root, ``eps=1e-10``, accumulator 0) is ``torch.optim.Adagrad``. Chain
    :func:`lrx.scale_by_learning_rate` after it for the ``η`` (see :func:`lrx.adagrad`).
    A zero denominator (only with ``eps=0`` and an all-zero history) gives a zero output
    (the guard is only emitted when ``eps`` and ``initial_accumulator_value`` are both 0, so
    NaN and Inf otherwise propagate as in optax and torch).

    Args:
        initial_accumulator_value: ``G_0``, >= 0 (default 0.0, torch's default).
        eps: >= 0 (default 1e-10, torch's default).
        eps_in_sqrt: add ``eps`` inside the square root (default ``False``).

    Returns:
        A ``GradientTransformation`` with state :class:`ScaleByAdagradState`.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.scale_by_adagrad(eps=0.0)
        >>> state = tx.init(jnp.zeros(2))
        >>> u, state = tx.update(jnp.array([3.0, -4.0]), state)  # g / |g|
        >>> u.tolist()
        [1.0, -1.0]
        >>> u, state = tx.update(jnp.array([4.0, 3.0]), state)  # g / sqrt(25)
        >>> u.tolist()
        [0.800000011920929, 0.6000000238418579]
    """
    initial_accumulator_value = check_float(
        "initial_accumulator_value", initial_accumulator_value, lo=0.0
    )
    eps = check_float("eps", eps, lo=0.0)
    eps_in_sqrt = check_bool("eps_in_sqrt", eps_in_sqrt)

    def init_fn(params):
        check_floating("scale_by_adagrad", params)
        return ScaleByAdagradState(
            sum_of_squares=jax.tree.map(
                lambda p: jnp.full_like(p, initial_accumulator_value), params
            )
        )

    @functools.cache
    def guarded(cdt, acc_dtype) -> bool:
        # G_t >= G_0, so the denominator cannot vanish if eps or G_0 is a normal number.
        return not (positive_in(eps, cdt) or positive_in(initial_accumulator_value, acc_dtype))

    def update_fn(updates, state, params=None):
        del params
        check_state("scale_by_adagrad", state, ScaleByAdagradState)
        check_tree_match("scale_by_adagrad", updates, state.sum_of_squares)

        def leaf(g, acc):
            cdt = compute_dtype(g.dtype, acc.dtype)
            g_c = cast(g, cdt)
            acc_new = lax.add(cast(acc, cdt), lax.mul(g_c, g_c))
            if eps_in_sqrt:
                den = lax.sqrt(lax.add(acc_new, const(eps, cdt)) if eps != 0.0 else acc_new)
            else:
                den = lax.sqrt(acc_new)
                if eps != 0.0:
                    den = lax.add(den, const(eps, cdt))
            out = divide(g_c, den, guarded(cdt, acc.dtype))
            return cast(out, g.dtype), cast(acc_new, acc.dtype)

        out, acc = tree_map_multi(leaf, 2, updates, state.sum_of_squares)
        return out, ScaleByAdagradState(sum_of_squares=acc)

    return optax.GradientTransformation(init_fn, update_fn)
