"""Optimizers: ``sgd``, ``adagrad``, ``rmsprop``, ``adam``, ``adamw`` as chains of lrx transforms.

Each optimizer is ``chain(<scaling transforms>..., scale_by_learning_rate(learning_rate))``,
so the learning rate (a float, scalar array, :class:`lrx.Schedule` or jittable callable)
multiplies last, after any momentum buffer, as torch.optim does, and
:func:`lrx.learning_rate` reads it back from the state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optax

from lrx._types import ScalarOrSchedule
from lrx._validate import check_bool, check_float
from lrx.transforms.adagrad import scale_by_adagrad
from lrx.transforms.adam import scale_by_adam
from lrx.transforms.learning_rate import scale_by_learning_rate
from lrx.transforms.momentum import scale_by_momentum
from lrx.transforms.rms import scale_by_rms

__all__ = ["adagrad", "adam", "adamw", "rmsprop", "sgd"]


def _check_momentum(momentum: float, nesterov: bool, dampening: float = 0.0) -> tuple:
    momentum = check_float("momentum", momentum, lo=0.0, hi=1.0)
    nesterov = check_bool("nesterov", nesterov)
    dampening = check_float("dampening", dampening, lo=0.0, hi=1.0)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError(
            "nesterov=True requires momentum > 0 and dampening == 0 (as torch.optim), "
            f"got momentum={momentum!r}, dampening={dampening!r}"
        )
    return momentum, nesterov, dampening


def sgd(
    learning_rate: ScalarOrSchedule,
    *,
    momentum: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    dampening: float = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""Stochastic gradient descent, with torch.optim.SGD's momentum and L2 weight decay.

    Formula: ``θ_{t+1} = θ_t − η_t d_t`` with ``d_t = g_t + λ θ_t`` (``λ = weight_decay``,
    L2 added to the gradient before the momentum, as torch), then, with ``momentum > 0``,
    ``d_t`` replaced by the momentum buffer of :func:`lrx.scale_by_momentum`. Without
    momentum this is the plain update ``θ ← θ − η ∇J(θ)`` of article
    003_c528f951556b93fa.txt (4.1) and article 004_7dc5a075b1dee1ce.txt (学习率基础).

    Chain: ``[add_decayed_weights(λ)] → [scale_by_momentum(momentum)] →
    scale_by_learning_rate(η)`` (bracketed parts only when non-zero). The learning rate
    multiplies the buffer, so a schedule changes the step without rescaling the history
    (torch semantics).

    Args:
        learning_rate: ``η``: a float >= 0, scalar array, :class:`lrx.Schedule` or callable.
        momentum: in ``[0, 1]`` (default 0.0: none).
        nesterov: Nesterov momentum (default ``False``); needs ``momentum > 0`` and
            ``dampening == 0``.
        weight_decay: L2 coefficient ``λ`` >= 0 (default 0.0); needs ``params`` in
            ``update``.
        dampening: torch's dampening, in ``[0, 1]`` (default 0.0).

    Returns:
        A ``GradientTransformationExtraArgs`` (an ``optax.chain``).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.sgd(0.1, momentum=0.9)
        >>> params = jnp.array([1.0, 2.0])
        >>> state = opt.init(params)
        >>> for _ in range(2):
        ...     updates, state = opt.update(jnp.ones(2), state, params)
        ...     params = lrx.apply_updates(params, updates)
        >>> params.tolist()  # steps 0.1 and 0.1 * (0.9 + 1)
        [0.7099999785423279, 1.7100000381469727]
    """
    momentum, nesterov, dampening = _check_momentum(momentum, nesterov, dampening)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    parts = []
    if weight_decay > 0:
        parts.append(optax.add_decayed_weights(weight_decay))
    if momentum > 0:
        parts.append(scale_by_momentum(momentum, nesterov=nesterov, dampening=dampening))
    elif dampening != 0:
        raise ValueError(f"dampening needs momentum > 0, got dampening={dampening!r}")
    parts.append(scale_by_learning_rate(learning_rate))
    return optax.chain(*parts)


def adagrad(
    learning_rate: ScalarOrSchedule,
    *,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
    eps_in_sqrt: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""AdaGrad: ``θ_{t+1} = θ_t − η_t g_t / (sqrt(G_t) + eps)``, ``G_t = Σ g²``.

    ``chain(scale_by_adagrad(...), scale_by_learning_rate(η))``; with ``eps_in_sqrt=True``
    the formula of article 004_7dc5a075b1dee1ce.txt (``η / sqrt(G_t + ε)``). The defaults
    are ``torch.optim.Adagrad``'s (torch's ``lr_decay`` is the schedule
    ``η / (1 + t · lr_decay)``: pass it as ``learning_rate``).

    Args:
        learning_rate: ``η``: a float >= 0, scalar array, :class:`lrx.Schedule` or callable.
        initial_accumulator_value: ``G_0`` >= 0 (default 0.0).
        eps: >= 0 (default 1e-10).
        eps_in_sqrt: add ``eps`` inside the root (default ``False``).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.adagrad(0.5, eps=0.0)
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
    *,
    decay: float = 0.9,
    eps: float = 1e-8,
    eps_in_sqrt: bool = False,
    centered: bool = False,
    initial_scale: float = 0.0,
    bias_correction: bool = False,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""RMSprop: ``θ_{t+1} = θ_t − η_t g_t / (sqrt(s_t) + eps)``, optionally with momentum.

    Chain: ``scale_by_rms(...) → [scale_by_momentum(momentum)] → scale_by_learning_rate(η)``.
    With momentum this is ``torch.optim.RMSprop(momentum=...)``: the buffer accumulates
    ``g_t / (sqrt(s_t) + eps)`` and the learning rate multiplies the buffer. With
    ``eps_in_sqrt=True`` (and no momentum) it is the formula of article
    004_7dc5a075b1dee1ce.txt (``η / sqrt(s_t + ε)``). torch's ``alpha`` is ``decay``.

    Args:
        learning_rate: ``η``: a float >= 0, scalar array, :class:`lrx.Schedule` or callable.
        decay, eps, eps_in_sqrt, centered, initial_scale, bias_correction: as
            :func:`lrx.scale_by_rms` (defaults 0.9, 1e-8, False, False, 0.0, False).
        momentum: in ``[0, 1]`` (default 0.0: none).
        nesterov: Nesterov momentum (default ``False``); needs ``momentum > 0``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.rmsprop(0.1, decay=0.75, eps=0.0)
        >>> updates, state = opt.update(jnp.array([2.0]), opt.init(jnp.zeros(1)))
        >>> updates.tolist()  # -0.1 * 2 / sqrt(0.25 * 4)
        [-0.20000000298023224]
    """
    momentum, nesterov, _ = _check_momentum(momentum, nesterov)
    parts: list[Any] = [
        scale_by_rms(
            decay,
            eps=eps,
            eps_in_sqrt=eps_in_sqrt,
            centered=centered,
            initial_scale=initial_scale,
            bias_correction=bias_correction,
        )
    ]
    if momentum > 0:
        parts.append(scale_by_momentum(momentum, nesterov=nesterov))
    parts.append(scale_by_learning_rate(learning_rate))
    return optax.chain(*parts)


def adam(
    learning_rate: ScalarOrSchedule,
    *,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    bias_correction: bool = True,
    nesterov: bool = False,
    amsgrad: bool = False,
    mu_dtype: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Adam: ``θ_{t+1} = θ_t − η_t m̂_t / (sqrt(v̂_t + eps_root) + eps)``.

    ``chain(scale_by_adam(...), scale_by_learning_rate(η))``. The defaults reproduce the
    ``AdamOptimizer`` class of article 000_dbe525d0cf299df4.txt (1.4 实战) and
    ``torch.optim.Adam``; ``eps=0, eps_root=ε`` is the formula of article
    004_7dc5a075b1dee1ce.txt. Article 000's ``θ_{t+1} ← θ_t − η_t / σ_t · m_t`` is this
    optimizer with a schedule as ``learning_rate``.

    Args:
        learning_rate: ``η``: a float >= 0, scalar array, :class:`lrx.Schedule` or callable.
        b1, b2, eps, eps_root, bias_correction, nesterov, amsgrad, mu_dtype: as
            :func:`lrx.scale_by_adam` (defaults 0.9, 0.999, 1e-8, 0.0, True, False, False,
            None).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.adam(lrx.constant(0.1), eps=0.0)
        >>> updates, state = opt.update(jnp.array([5.0]), opt.init(jnp.zeros(1)))
        >>> updates.tolist(), lrx.learning_rate(state).item()
        ([-0.10000000149011612], 0.10000000149011612)
    """
    return optax.chain(
        scale_by_adam(
            b1,
            b2,
            eps=eps,
            eps_root=eps_root,
            bias_correction=bias_correction,
            nesterov=nesterov,
            amsgrad=amsgrad,
            mu_dtype=mu_dtype,
        ),
        scale_by_learning_rate(learning_rate),
    )


def adamw(
    learning_rate: ScalarOrSchedule,
    *,
    weight_decay: float = 1e-2,
    mask: Any | Callable[[Any], Any] | None = None,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    bias_correction: bool = True,
    nesterov: bool = False,
    amsgrad: bool = False,
    mu_dtype: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter).

    Formula: ``θ_{t+1} = θ_t − η_t (m̂_t / (sqrt(v̂_t + eps_root) + eps) + λ θ_t)``, i.e.
    ``chain(scale_by_adam(...), add_decayed_weights(λ, mask), scale_by_learning_rate(η))``:
    the decay is scaled by the (scheduled) learning rate but not by Adam's normalisation,
    as ``optax.adamw`` and ``torch.optim.AdamW``.

    Args:
        learning_rate: ``η``: a float >= 0, scalar array, :class:`lrx.Schedule` or callable.
        weight_decay: ``λ`` >= 0 (default 1e-2, torch's default); needs ``params`` in
            ``update``.
        mask: a pytree of bools like the params (or a callable ``params -> mask``) selecting
            the parameters to decay; ``None`` decays all (default).
        b1, b2, eps, eps_root, bias_correction, nesterov, amsgrad, mu_dtype: as
            :func:`lrx.scale_by_adam`.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.adamw(0.1, weight_decay=0.5, eps=0.0)
        >>> params = jnp.array([2.0])
        >>> updates, state = opt.update(jnp.array([3.0]), opt.init(params), params)
        >>> updates.tolist()  # -0.1 * (1 + 0.5 * 2)
        [-0.20000000298023224]
    """
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    return optax.chain(
        scale_by_adam(
            b1,
            b2,
            eps=eps,
            eps_root=eps_root,
            bias_correction=bias_correction,
            nesterov=nesterov,
            amsgrad=amsgrad,
            mu_dtype=mu_dtype,
        ),
        optax.add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )
