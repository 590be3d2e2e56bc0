"""Optimizers: ``sgd``, ``adagrad``, ``rmsprop``, ``adam``, ``adamw``, a literal swap for optax's.

Each optimizer takes optax's arguments in optax's positional order with optax's defaults,
so ``optax.X(*args, **kw)`` -> ``lrx.X(*args, **kw)`` gives optax's numbers (to float32
rounding); lrx's extras (the article variants and torch's options) are keyword-only after
them. torch.optim's defaults and conventions live in :mod:`lrx.compat.torch`, which is
built from these pieces.

Every optimizer is a chain of lrx transforms ending (or, for RMSprop with momentum, nearly
ending) in :func:`lrx.scale_by_learning_rate`, so :func:`lrx.learning_rate` reads the rate
back from the state. Every numeric argument may be a Python number, a concrete JAX array or
a tracer (``jit``, ``vmap``, ``optax.inject_hyperparams``): the structure of the chain and
of its state depends only on ``None``, booleans and dtypes, never on a numeric value.
``optax.inject_hyperparams(lrx.adam)(learning_rate=1e-3)`` needs no ``static_args``
(booleans stay static by themselves); give ``mu_dtype`` as a string (``"bfloat16"``) or
list it, and a callable ``mask``, in ``static_args``: optax takes any other callable for a
schedule. A traced value is not range-checked (that would need a host sync).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax

from lrx._types import ScalarOrSchedule
from lrx._validate import check_float, static_value
from lrx.schedules._base import Schedule
from lrx.transforms.adagrad import scale_by_adagrad
from lrx.transforms.adam import scale_by_adam
from lrx.transforms.learning_rate import scale_by_learning_rate
from lrx.transforms.momentum import check_nesterov, scale_by_momentum
from lrx.transforms.rms import scale_by_rms

__all__ = ["adagrad", "adam", "adamw", "rmsprop", "sgd"]


def _decayed_weights(weight_decay: Any, mask: Any = None) -> optax.GradientTransformation:
    """``u_t = u_t + λ θ_t`` with ``λ = weight_decay`` (L2 in the gradient, or AdamW's term).

    The state is ``optax.EmptyState()`` whatever ``λ`` is. A concrete ``λ = 0`` is skipped
    (no ``params`` needed). A concrete ``λ != 0`` needs ``params`` in ``update`` and raises
    ``ValueError`` without them. A traced ``λ`` (``inject_hyperparams``, ``vmap``) cannot be
    read without a host sync: with ``params`` the formula runs; without them the update is
    ``u_t + (0 if λ == 0 else NaN)``, so a forgotten ``params`` shows at the first step
    instead of silently dropping the decay. ``λ`` is cast to each update's dtype. A
    :class:`lrx.Schedule` or callable ``λ`` is ``optax.add_decayed_weights``'s schedule.
    """
    if isinstance(weight_decay, Schedule) or (
        not hasattr(weight_decay, "dtype") and callable(weight_decay)
    ):  # a Schedule by type; a number or array is a constant; any other callable a schedule
        return optax.add_decayed_weights(weight_decay, mask)
    wd = check_float("weight_decay", weight_decay, lo=0.0)

    def init_fn(params):
        del params
        return optax.EmptyState()

    def update_fn(updates, state, params=None):
        value = static_value(wd)
        if value == 0:
            return updates, state
        if params is None:
            if value is not None:
                raise ValueError(
                    f"weight_decay={value!r} reads the parameters: pass params to update "
                    "(tx.update(grads, state, params))"
                )
            poison = jnp.where(wd == 0, 0.0, jnp.nan)
            return jax.tree.map(lambda u: u + poison.astype(u.dtype), updates), state
        updates = jax.tree.map(
            lambda u, p: u + jnp.asarray(wd, u.dtype) * p.astype(u.dtype), updates, params
        )
        return updates, state

    tx = optax.GradientTransformation(init_fn, update_fn)
    return tx if mask is None else optax.masked(tx, mask)


def _momentum(momentum: Any, nesterov: bool, dampening: Any) -> list[optax.GradientTransformation]:
    """``[scale_by_momentum(...)]``, or ``[]`` for ``momentum=None`` (validated either way)."""
    if momentum is None:
        check_nesterov(0.0, nesterov, dampening)
        if static_value(dampening) not in (0, None):
            raise ValueError(f"dampening needs a momentum, got dampening={dampening!r}")
        return []
    momentum, nesterov, dampening = check_nesterov(momentum, nesterov, dampening)
    return [scale_by_momentum(decay=momentum, nesterov=nesterov, dampening=dampening)]


def sgd(
    learning_rate: ScalarOrSchedule,
    momentum: float | None = None,
    nesterov: bool = False,
    *,
    weight_decay: float = 0.0,
    dampening: float = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""Stochastic gradient descent, optionally with momentum: ``optax.sgd``'s signature.

    Formula: ``θ_{t+1} = θ_t − η_t d_t`` with ``d_t = g_t + λ θ_t`` (``λ = weight_decay``,
    L2 added to the gradient before the momentum, as torch.optim.SGD), replaced by the
    momentum buffer of :func:`lrx.scale_by_momentum` when ``momentum`` is given. Without
    momentum this is the plain update ``θ ← θ − η ∇J(θ)`` of articles 003 (4.1) and 004.

    Chain: ``add λθ → [scale_by_momentum(momentum)] → scale_by_learning_rate(η)``. The
    learning rate multiplies the buffer, so a schedule changes the step without rescaling
    the history (``optax.sgd`` and torch agree on this).

    Args:
        learning_rate: ``η``: a float >= 0, scalar array, :class:`lrx.Schedule` or callable.
        momentum: in ``[0, 1]``, or ``None`` for no momentum buffer (default ``None``; any
            number, 0 included, keeps a buffer, as ``optax.sgd``).
        nesterov: Nesterov momentum (default ``False``); needs ``momentum > 0``.
        weight_decay: keyword-only, L2 coefficient ``λ`` >= 0 (default 0.0); a non-zero
            value needs ``params`` in ``update``.
        dampening: keyword-only, torch's dampening in ``[0, 1]`` (default 0.0); needs a
            momentum and ``nesterov=False``.

    Returns:
        A ``GradientTransformationExtraArgs`` (an ``optax.chain``).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.sgd(0.1, 0.9)  # optax.sgd(0.1, 0.9)
        >>> params = jnp.array([1.0, 2.0])
        >>> state = opt.init(params)
        >>> for _ in range(2):
        ...     updates, state = opt.update(jnp.ones(2), state, params)
        ...     params = lrx.apply_updates(params, updates)
        >>> params.tolist()  # steps 0.1 and 0.1 * (0.9 + 1)
        [0.7099999785423279, 1.7100000381469727]
    """
    return optax.chain(
        _decayed_weights(weight_decay),
        *_momentum(momentum, nesterov, dampening),
        scale_by_learning_rate(learning_rate),
    )


def adagrad(
    learning_rate: ScalarOrSchedule,
    initial_accumulator_value: float = 0.1,
    eps: float = 1e-7,
    *,
    eps_in_sqrt: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""AdaGrad: ``θ_{t+1} = θ_t − η_t g_t / sqrt(G_t + eps)``, ``G_t = G_0 + Σ g²``.

    ``chain(scale_by_adagrad(...), scale_by_learning_rate(η))``: the AdaGrad formula of
    article 004 and ``optax.adagrad`` (same defaults). ``eps_in_sqrt=False`` puts ``eps``
    outside the root (``g / (sqrt(G_t) + eps)``, torch's placement); torch's defaults and
    its ``lr_decay`` are :func:`lrx.compat.torch.adagrad`.

    Args:
        learning_rate: ``η``: a float >= 0, scalar array, :class:`lrx.Schedule` or callable.
        initial_accumulator_value: ``G_0`` >= 0 (default 0.1).
        eps: >= 0 (default 1e-7).
        eps_in_sqrt: keyword-only, add ``eps`` inside the root (default ``True``).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.adagrad(0.5, 0.0, 0.0)
        >>> updates, state = opt.update(jnp.array([2.0]), opt.init(jnp.zeros(1)))
        >>> updates.tolist()  # -η g / |g|
        [-0.5]
    """
    return optax.chain(
        scale_by_adagrad(
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            eps_in_sqrt=eps_in_sqrt,
        ),
        scale_by_learning_rate(learning_rate),
    )


def rmsprop(
    learning_rate: ScalarOrSchedule,
    decay: float = 0.9,
    eps: float = 1e-8,
    initial_scale: float = 0.0,
    eps_in_sqrt: bool = True,
    centered: bool = False,
    momentum: float | None = None,
    nesterov: bool = False,
    bias_correction: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""RMSprop: ``θ_{t+1} = θ_t − η_t g_t / sqrt(s_t + eps)``, optionally with momentum.

    ``s_t = decay s_{t-1} + (1 − decay) g_t²`` (``s_0 = initial_scale``); with
    ``eps_in_sqrt=False`` the denominator is ``sqrt(s_t) + eps``; ``centered`` subtracts
    the square of the running mean of ``g``; ``bias_correction`` divides ``s_t`` by
    ``1 − decay^t``. This is the RMSprop formula of article 004 (``eps`` in the root) and
    ``optax.rmsprop``, argument for argument.

    Chain (optax's order): ``scale_by_rms(...) → scale_by_learning_rate(η) →
    [scale_by_momentum(momentum)]``: the momentum buffer accumulates the learning-rate
    scaled steps. With a schedule this differs from torch.optim.RMSprop, whose buffer is
    multiplied by the current rate: use :func:`lrx.compat.torch.rmsprop` for that.

    Args:
        learning_rate: ``η``: a float >= 0, scalar array, :class:`lrx.Schedule` or callable.
        decay, eps, initial_scale, eps_in_sqrt, centered, bias_correction: as
            :func:`lrx.scale_by_rms` (defaults 0.9, 1e-8, 0.0, True, False, False).
        momentum: in ``[0, 1]``, or ``None`` for no buffer (default ``None``).
        nesterov: Nesterov momentum (default ``False``); needs ``momentum > 0``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.rmsprop(0.1, 0.75, 0.0)
        >>> updates, state = opt.update(jnp.array([2.0]), opt.init(jnp.zeros(1)))
        >>> updates.tolist()  # -0.1 * 2 / sqrt(0.25 * 4)
        [-0.20000000298023224]
    """
    return optax.chain(
        scale_by_rms(
            decay=decay,
            eps=eps,
            initial_scale=initial_scale,
            eps_in_sqrt=eps_in_sqrt,
            bias_correction=bias_correction,
            centered=centered,
        ),
        scale_by_learning_rate(learning_rate),
        *_momentum(momentum, nesterov, 0.0),
    )


def adam(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    mu_dtype: Any = None,
    *,
    nesterov: bool = False,
    amsgrad: bool = False,
    bias_correction: bool = True,
) -> optax.GradientTransformationExtraArgs:
    r"""Adam: ``θ_{t+1} = θ_t − η_t m̂_t / (sqrt(v̂_t + eps_root) + eps)``.

    ``chain(scale_by_adam(...), scale_by_learning_rate(η))``, ``optax.adam``'s signature and
    defaults. The defaults are the paper's and the ``AdamOptimizer`` class of article 000
    (1.4); ``eps=0, eps_root=ε`` is the formula of article 004. Article 000's
    ``θ_{t+1} ← θ_t − η_t / σ_t · m_t`` is this optimizer with a schedule as
    ``learning_rate``.

    Args:
        learning_rate: ``η``: a float >= 0, scalar array, :class:`lrx.Schedule` or callable.
        b1, b2, eps, eps_root, mu_dtype: as :func:`lrx.scale_by_adam` (defaults 0.9,
            0.999, 1e-8, 0.0, None).
        nesterov, amsgrad, bias_correction: keyword-only, as :func:`lrx.scale_by_adam`
            (defaults False, False, True).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.adam(lrx.constant(0.1), eps=0.0)
        >>> updates, state = opt.update(jnp.array([5.0]), opt.init(jnp.zeros(1)))
        >>> updates.tolist(), lrx.learning_rate(state).item()
        ([-0.10000000149011612], 0.10000000149011612)
    """
    return optax.chain(
        scale_by_adam(
            b1=b1,
            b2=b2,
            eps=eps,
            eps_root=eps_root,
            mu_dtype=mu_dtype,
            nesterov=nesterov,
            amsgrad=amsgrad,
            bias_correction=bias_correction,
        ),
        scale_by_learning_rate(learning_rate),
    )


def adamw(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    mu_dtype: Any = None,
    weight_decay: ScalarOrSchedule = 1e-4,
    mask: Any | Callable[[Any], Any] | None = None,
    *,
    nesterov: bool = False,
    amsgrad: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), ``optax.adamw``'s way.

    Formula: ``θ_{t+1} = θ_t − η_t (m̂_t / (sqrt(v̂_t + eps_root) + eps) + λ θ_t)``, i.e.
    ``chain(scale_by_adam(...), add λθ (masked), scale_by_learning_rate(η))``: the decay is
    scaled by the (scheduled) learning rate but not by Adam's normalisation, as
    ``optax.adamw`` and ``torch.optim.AdamW``.

    Args:
        learning_rate: ``η``: a float >= 0, scalar array, :class:`lrx.Schedule` or callable.
        b1, b2, eps, eps_root, mu_dtype: as :func:`lrx.scale_by_adam`.
        weight_decay: ``λ`` >= 0 (default 1e-4, optax's; torch's 1e-2 is
            :func:`lrx.compat.torch.adamw`), or a schedule; a non-zero value needs
            ``params`` in ``update``.
        mask: a pytree of bools like the params (or a callable ``params -> mask``) selecting
            the parameters to decay; ``None`` decays all (default).
        nesterov, amsgrad: keyword-only, as :func:`lrx.scale_by_adam` (default False).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.adamw(0.1, eps=0.0, weight_decay=0.5)
        >>> params = jnp.array([2.0])
        >>> updates, state = opt.update(jnp.array([3.0]), opt.init(params), params)
        >>> updates.tolist()  # -0.1 * (1 + 0.5 * 2)
        [-0.20000000298023224]
    """
    return optax.chain(
        scale_by_adam(
            b1=b1,
            b2=b2,
            eps=eps,
            eps_root=eps_root,
            mu_dtype=mu_dtype,
            nesterov=nesterov,
            amsgrad=amsgrad,
            bias_correction=True,
        ),
        _decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
