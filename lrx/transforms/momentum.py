"""``scale_by_momentum``: heavy-ball and Nesterov momentum with torch.optim.SGD's semantics.

Article 004 (momentum methods) describes momentum as using the previous direction as well
as this step's gradient: the update direction is the gradient plus the decayed previous
direction, starting from zero momentum so that the first step follows the gradient alone.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._counters import safe_increment, zero_count
from lrx._dtypes import canonical_dtype, check_floating, const
from lrx._tree import check_update
from lrx._validate import check_bool, is_traced, static_value
from lrx.transforms._hyper import check_hyper, hyper_at, static_hyper
from lrx.transforms._moments import init_moment, leafwise, scalar

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
    momentum = check_hyper(name, momentum, lo=0.0, hi=1.0)  # a schedule: not range-checked
    nesterov = check_bool("nesterov", nesterov)
    dampening = check_hyper("dampening", dampening, lo=0.0, hi=1.0)
    m, d = static_hyper(momentum), static_hyper(dampening)
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
        momentum: the momentum buffer ``b``, a tree like the params (``mu_dtype``; by
            default the params' dtype, float32 below 32 bits).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    momentum: Any


def scale_by_momentum(
    decay: jax.typing.ArrayLike = 0.9,
    nesterov: bool = False,
    accumulator_dtype: jax.typing.DTypeLike | None = None,
    *,
    dampening: jax.typing.ArrayLike = 0.0,
    mu_dtype: jax.typing.DTypeLike | None = None,
) -> optax.GradientTransformation:
    r"""Heavy-ball (or Nesterov) momentum, exactly as ``torch.optim.SGD``'s buffer.

    Formula (``t = 1, 2, ...`` the update number, ``g_t`` the incoming update)::

        b_1 = g_1                                   (the first step is undampened)
        b_t = decay * b_{t-1} + (1 - dampening) * g_t      (t > 1)
        output = b_t                  (nesterov=False)
        output = g_t + decay * b_t    (nesterov=True)

    This is the momentum of article 004 (momentum methods: the first step follows the
    gradient, later steps add the decayed previous direction) and the buffer of
    ``torch.optim.SGD(momentum=decay, dampening=..., nesterov=...)``. With
    ``dampening=0`` it equals ``optax.trace(decay, nesterov)`` (same positional order). The
    learning rate is not applied here: chain :func:`lrx.scale_by_learning_rate` after it,
    so that (as in torch) the learning rate multiplies the buffer, not the gradients
    accumulated into it.

    Dtypes: the buffer is complex for complex parameters and float32 for parameters below
    32 bits unless ``mu_dtype`` says otherwise (4 bytes per bfloat16 parameter instead of
    2). Hyperparameters are data: ``decay`` and ``dampening`` may be concrete arrays or
    tracers (not range-checked then; the Nesterov rule is checked on concrete values).
    Either may also be a schedule (an :class:`lrx.Schedule` or a callable ``count ->
    value``), evaluated at the update index ``t - 1`` (the state's count before the update,
    as the learning rate) and not range-checked: the numbers of
    ``optax.inject_hyperparams(lrx.scale_by_momentum)`` with that schedule, e.g. torch's
    ``cycle_momentum`` with ``decay=lrx.one_cycle_momentum(total_steps)``.

    Args:
        decay: momentum coefficient, in ``[0, 1]`` (default 0.9).
        nesterov: use Nesterov momentum (default ``False``); needs ``decay > 0`` and
            ``dampening == 0``, as torch.
        dampening: in ``[0, 1]`` (default 0); scales the gradient added to the buffer
            after the first step.
        accumulator_dtype: dtype of the buffer, ``optax.trace``'s third positional
            argument (default ``None``); ``mu_dtype`` is the same setting by lrx's name
            (give one of them, or both equal).
        mu_dtype: keyword-only, dtype of the buffer, or ``None`` (the params' dtype,
            float32 below 32 bits).

    Returns:
        A ``GradientTransformation`` with state :class:`ScaleByMomentumState`.

    References:
        Polyak, "Some methods of speeding up the convergence of iteration methods", USSR Comput.
            Math. and Math. Phys. (1964).
        Sutskever, Martens, Dahl & Hinton, "On the importance of initialization and momentum in deep
            learning", ICML 2013 (Nesterov).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.scale_by_momentum(0.5)
        >>> state = tx.init(jnp.zeros(2))
        >>> u, state = tx.update(jnp.ones(2), state)  # b_1 = g_1
        >>> u, state = tx.update(jnp.ones(2), state)  # b_2 = 0.5 * 1 + 1
        >>> u.tolist()
        [1.5, 1.5]
    """
    decay_spec, nesterov, damp_spec = check_nesterov(decay, nesterov, dampening, name="decay")
    mu_dtype = canonical_dtype("mu_dtype", mu_dtype)
    accumulator_dtype = canonical_dtype("accumulator_dtype", accumulator_dtype)
    if accumulator_dtype is not None:
        if mu_dtype is not None and mu_dtype != accumulator_dtype:
            raise ValueError(
                "accumulator_dtype and mu_dtype name the same buffer's dtype: give one, got "
                f"accumulator_dtype={accumulator_dtype} and mu_dtype={mu_dtype}"
            )
        mu_dtype = accumulator_dtype

    def init_fn(params: optax.Params) -> Any:
        check_floating("scale_by_momentum", params)
        return ScaleByMomentumState(count=zero_count(), momentum=init_moment(params, mu_dtype))

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        check_update("scale_by_momentum", updates, state, ScaleByMomentumState, "momentum")
        decay = hyper_at("decay", decay_spec, state.count)  # a schedule at the update index
        dampening = hyper_at("dampening", damp_spec, state.count)
        dampened = is_traced(dampening) or static_value(dampening) != 0

        @functools.cache  # once per dtype and update, not per leaf
        def gradient_coefficient(dtype: Any) -> Any:
            """The gradient's coefficient: 1 at the first step (``b_1 = g_1``), then
            ``1 - dampening``."""
            return jnp.where(state.count == 0, const(1, dtype), const(1 - dampening, dtype))

        def leaf(g: Any, b: Any) -> tuple[Any, Any]:
            g_in = gradient_coefficient(g.dtype) * g if dampened else g
            b = scalar(decay, g) * b + g_in
            return (g + scalar(decay, g) * b if nesterov else b), b

        out, momentum = leafwise(leaf, updates, state.momentum)
        return out, ScaleByMomentumState(count=safe_increment(state.count), momentum=momentum)

    return optax.GradientTransformation(init_fn, update_fn)
