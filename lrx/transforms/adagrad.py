"""``scale_by_adagrad``: divide by the root of the running sum of squared gradients.

Article 004 (1. AdaGrad) and article 000 (1.1 Adagrad): every parameter gets its own step
size, the inverse root of the sum of its past squared gradients, so steep directions take
small steps and flat ones large steps.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import optax

from lrx._counters import safe_increment, zero_count
from lrx._dtypes import canonical_float_dtype, check_floating
from lrx._tree import check_update
from lrx._types import HyperOrSchedule
from lrx._validate import check_bool, check_float
from lrx.transforms._hyper import check_hyper, hyper_at, is_schedule
from lrx.transforms._moments import abs_sq, init_moment, leafwise, over_root

__all__ = ["ScaleByAdagradCountState", "ScaleByAdagradState", "scale_by_adagrad"]


class ScaleByAdagradState(NamedTuple):
    """State of :func:`scale_by_adagrad`.

    Attributes:
        sum_of_squares: ``G``, the running sum of ``|g|²`` (real), a tree like the params.
    """

    sum_of_squares: Any


class ScaleByAdagradCountState(NamedTuple):
    """State of :func:`scale_by_adagrad` when ``eps`` is a schedule (it needs a count).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        sum_of_squares: ``G``, as in :class:`ScaleByAdagradState`.
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    sum_of_squares: Any


def scale_by_adagrad(
    initial_accumulator_value: float = 0.1,
    eps: HyperOrSchedule = 1e-7,
    *,
    eps_in_sqrt: bool = True,
    nu_dtype: Any = None,
) -> optax.GradientTransformation:
    r"""AdaGrad scaling: ``g_t / sqrt(G_t + eps)`` (or ``g_t / (sqrt(G_t) + eps)``).

    Formula (``|g|² = g · conj(g)`` is real)::

        G_0 = initial_accumulator_value
        G_t = G_{t-1} + |g_t|²
        output = g_t / sqrt(G_t + eps)        (eps_in_sqrt=True: article 004, optax)
        output = g_t / (sqrt(G_t) + eps)      (eps_in_sqrt=False: torch.optim.Adagrad)

    The defaults and positional order are ``optax.adagrad``'s (``optax.scale_by_rss``),
    so ``optax.scale_by_rss(*args)`` → ``lrx.scale_by_adagrad(*args)`` gives optax's
    numbers to float32 rounding; ``eps_in_sqrt=True`` is also the AdaGrad formula of
    article 004 (``θ_{t+1} = θ_t − η / sqrt(g_t + ε) ⊙ ∇J``). torch's defaults
    (``initial_accumulator_value=0, eps=1e-10, eps_in_sqrt=False``) live in
    :func:`lrx.compat.torch.adagrad`. Chain :func:`lrx.scale_by_learning_rate` after it for
    the ``η`` (see :func:`lrx.adagrad`).

    Dtypes: ``G`` is real (float32 for complex64 params) and float32 for params below 32
    bits unless ``nu_dtype`` says otherwise (4 bytes per bfloat16 parameter instead of 2).
    Hyperparameters are data: both numbers may be concrete arrays or tracers (a traced value
    is not range-checked; the division is then guarded). ``eps`` may also be a schedule (an
    :class:`lrx.Schedule` or a callable ``count -> eps``), evaluated at the update index
    ``t - 1`` and not range-checked, as ``optax.inject_hyperparams`` with that schedule; the
    state then keeps a count (:class:`ScaleByAdagradCountState`; decided by the argument's
    type, never its value). ``initial_accumulator_value`` is used by ``init`` and stays a
    number. A zero denominator (only with
    ``eps = initial_accumulator_value = 0`` and an all-zero history) gives a zero output.

    Args:
        initial_accumulator_value: ``G_0``, >= 0 (default 0.1).
        eps: >= 0 (default 1e-7).
        eps_in_sqrt: add ``eps`` inside the square root (default ``True``).
        nu_dtype: real dtype of ``G``, or ``None`` (the params' real dtype, float32 below
            32 bits).

    Returns:
        A ``GradientTransformation`` with state :class:`ScaleByAdagradState` (or
        :class:`ScaleByAdagradCountState` when ``eps`` is a schedule).

    References:
        Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
            Optimization", JMLR 12 (2011).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.scale_by_adagrad(0.0, eps=0.0)
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
    eps_spec = check_hyper("eps", eps, lo=0.0)
    eps_in_sqrt = check_bool("eps_in_sqrt", eps_in_sqrt)
    nu_dtype = canonical_float_dtype("nu_dtype", nu_dtype)
    counted = is_schedule(eps_spec)  # a schedule needs the update count (static: by type)
    state_type = ScaleByAdagradCountState if counted else ScaleByAdagradState

    def init_fn(params: optax.Params) -> Any:
        check_floating("scale_by_adagrad", params)
        acc = init_moment(params, nu_dtype, real=True, fill=initial_accumulator_value)
        if counted:
            return ScaleByAdagradCountState(count=zero_count(), sum_of_squares=acc)
        return ScaleByAdagradState(sum_of_squares=acc)

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        check_update("scale_by_adagrad", updates, state, state_type, "sum_of_squares")
        eps = hyper_at("eps", eps_spec, state.count) if counted else eps_spec
        eps_out, eps_in = (0.0, eps) if eps_in_sqrt else (eps, 0.0)

        def leaf(g: Any, acc: Any) -> tuple[Any, Any]:
            acc = acc + abs_sq(g)
            return over_root(g, acc, eps_out, eps_in, floor=initial_accumulator_value), acc

        out, acc = leafwise(leaf, updates, state.sum_of_squares)
        if counted:
            return out, ScaleByAdagradCountState(safe_increment(state.count), acc)
        return out, ScaleByAdagradState(sum_of_squares=acc)

    return optax.GradientTransformation(init_fn, update_fn)
