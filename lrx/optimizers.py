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

Without ``inject_hyperparams``, the numeric hyperparameters (``momentum``, ``dampening``,
``weight_decay``, ``decay``, ``eps``, ``b1``, ``b2``, ``eps_root``) may themselves be an
:class:`lrx.Schedule` or a callable ``count -> value``: each transform evaluates it at the
index of the update it serves (as the learning rate), giving ``inject_hyperparams``'s
numbers; a schedule is not range-checked. ``initial_scale`` and
``initial_accumulator_value`` fill the state at ``init`` and stay numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax

from lrx._types import HyperOrSchedule, ScalarOrSchedule
from lrx._validate import check_bool, static_value
from lrx.transforms.adagrad import scale_by_adagrad
from lrx.transforms.adam import scale_by_adam
from lrx.transforms.factored import (
    clip_by_block_rms,
    flip_sign,
    scale_by_ema,
    scale_by_factored_rms,
    scale_by_param_block_rms,
)
from lrx.transforms.learning_rate import scale_by_learning_rate
from lrx.transforms.misc import add_decayed_weights
from lrx.transforms.momentum import check_nesterov, scale_by_momentum
from lrx.transforms.rms import scale_by_rms
from lrx.transforms.trust_ratio import scale_by_trust_ratio

__all__ = ["adafactor", "adagrad", "adam", "adamw", "lamb", "lars", "rmsprop", "sgd"]


def _momentum(
    momentum: Any, nesterov: bool, dampening: Any, accumulator_dtype: Any = None
) -> list[optax.GradientTransformation]:
    """``[scale_by_momentum(...)]``, or ``[]`` for ``momentum=None`` (validated either way)."""
    if momentum is None:
        check_nesterov(0.0, nesterov, dampening)
        if static_value(dampening) not in (0, None):
            raise ValueError(f"dampening needs a momentum, got dampening={dampening!r}")
        return []
    momentum, nesterov, dampening = check_nesterov(momentum, nesterov, dampening)
    return [scale_by_momentum(momentum, nesterov, accumulator_dtype, dampening=dampening)]


def sgd(
    learning_rate: ScalarOrSchedule,
    momentum: HyperOrSchedule | None = None,
    nesterov: bool = False,
    accumulator_dtype: jax.typing.DTypeLike | None = None,
    *,
    weight_decay: HyperOrSchedule = 0.0,
    dampening: HyperOrSchedule = 0.0,
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
        accumulator_dtype: dtype of the momentum buffer (default ``None``: the params'
            dtype, float32 below 32 bits), ``optax.sgd``'s fourth positional argument.
        weight_decay: keyword-only, L2 coefficient ``λ`` >= 0 (default 0.0); a non-zero
            value needs ``params`` in ``update``.
        dampening: keyword-only, torch's dampening in ``[0, 1]`` (default 0.0); needs a
            momentum and ``nesterov=False``.

    Returns:
        A ``GradientTransformationExtraArgs`` (an ``optax.chain``).

    References:
        Robbins & Monro, "A Stochastic Approximation Method", Ann. Math. Statist. 22 (1951).

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
        add_decayed_weights(weight_decay),
        *_momentum(momentum, nesterov, dampening, accumulator_dtype),
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

    References:
        Duchi, Hazan & Singer, JMLR 12 (2011).

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
    decay: HyperOrSchedule = 0.9,
    eps: HyperOrSchedule = 1e-8,
    initial_scale: float = 0.0,
    eps_in_sqrt: bool = True,
    centered: bool = False,
    momentum: HyperOrSchedule | None = None,
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

    References:
        Tieleman & Hinton, COURSERA lecture 6.5 (2012).

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
    b1: HyperOrSchedule = 0.9,
    b2: HyperOrSchedule = 0.999,
    eps: HyperOrSchedule = 1e-8,
    eps_root: HyperOrSchedule = 0.0,
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

    References:
        Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.

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
    b1: HyperOrSchedule = 0.9,
    b2: HyperOrSchedule = 0.999,
    eps: HyperOrSchedule = 1e-8,
    eps_root: HyperOrSchedule = 0.0,
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

    References:
        Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.

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
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


# 0.3.0: layer-wise computed rates (LARS, LAMB) and Adafactor --------------------------------


def lars(
    learning_rate: ScalarOrSchedule,
    weight_decay: jax.typing.ArrayLike = 0.0,
    weight_decay_mask: Any = True,
    trust_coefficient: jax.typing.ArrayLike = 0.001,
    eps: jax.typing.ArrayLike = 0.0,
    trust_ratio_mask: Any = True,
    momentum: jax.typing.ArrayLike = 0.9,
    nesterov: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""LARS: SGD with momentum and a per-layer trust ratio (``optax.lars``'s signature).

    Formula, per leaf (layer) ``l`` (Alg. 1 of You et al. 2017; ``λ = weight_decay``,
    ``c = trust_coefficient``)::

        d_l = g_l + λ θ_l
        r_l = c ‖θ_l‖ / (‖d_l‖ + eps)        (1 where a norm is 0)
        b_l = momentum · b_l + η_t r_l d_l
        θ_l ← θ_l − b_l                       (Nesterov: − (η_t r_l d_l + momentum · b_l))

    The paper's local rate divides by ``‖g_l‖ + λ ‖θ_l‖``; optax (and so lrx) by
    ``‖g_l + λ θ_l‖``, the norm of the update it scales: the two agree for ``λ = 0``.

    Chain (optax's): ``add_decayed_weights(λ, weight_decay_mask) →
    masked(scale_by_trust_ratio(c, eps), trust_ratio_mask) → scale_by_learning_rate(η) →
    scale_by_momentum(momentum, nesterov)``: the literal swap ``optax.lars`` →
    ``lrx.lars`` gives optax's numbers. The layer-wise rates of article 003 (2.3, 4.3),
    computed instead of set by hand. :func:`lrx.learning_rate` reports the base rate
    ``η_t``; the per-layer rates ``η_t r_l`` are
    :func:`lrx.transforms.trust_ratio.layer_learning_rates`.

    Args:
        learning_rate: ``η``: a float >= 0, scalar array, :class:`lrx.Schedule` or callable.
        weight_decay: ``λ`` >= 0 (default 0.0).
        weight_decay_mask: bools like the params (or a callable, or ``True`` for all;
            default ``True``) selecting the leaves to decay.
        trust_coefficient: ``c`` >= 0 (default 0.001).
        eps: >= 0, added to the update norm (default 0.0).
        trust_ratio_mask: like ``weight_decay_mask``, the leaves the trust ratio scales
            (default ``True``; biases and norms are often left out).
        momentum: in ``[0, 1]`` (default 0.9).
        nesterov: Nesterov momentum (default ``False``).

    References:
        You, Gitman & Ginsburg, "Large Batch Training of Convolutional Networks", 2017
        (arXiv:1708.03888).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.lars(0.1, trust_coefficient=1.0)
        >>> params = jnp.array([3.0, 4.0])
        >>> updates, state = opt.update(jnp.array([0.0, 1.0]), opt.init(params), params)
        >>> updates.tolist()  # -0.1 * (5 / 1) * g
        [0.0, -0.5]
    """
    return optax.chain(
        add_decayed_weights(weight_decay, mask=weight_decay_mask),
        optax.masked(
            scale_by_trust_ratio(trust_coefficient=trust_coefficient, eps=eps), trust_ratio_mask
        ),
        scale_by_learning_rate(learning_rate),
        scale_by_momentum(decay=momentum, nesterov=nesterov),
    )


def lamb(
    learning_rate: ScalarOrSchedule,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-6,
    eps_root: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""LAMB: Adam with decoupled weight decay and a per-layer trust ratio (``optax.lamb``).

    Formula, per leaf (layer) ``l`` (Alg. 2 of You et al. 2020)::

        m_t = b1 m + (1 − b1) g,   v_t = b2 v + (1 − b2) g²,   m̂, v̂ bias-corrected
        u_l = m̂_l / (sqrt(v̂_l + eps_root) + eps) + λ θ_l
        r_l = ‖θ_l‖ / ‖u_l‖                   (1 where a norm is 0)
        θ_l ← θ_l − η_t r_l u_l

    Chain (optax's): ``scale_by_adam(b1, b2, eps, eps_root) → add_decayed_weights(λ, mask)
    → scale_by_trust_ratio() → scale_by_learning_rate(η)``: the literal swap gives optax's
    numbers. :func:`lrx.learning_rate` reports ``η_t``; the per-layer rates ``η_t r_l`` are
    :func:`lrx.transforms.trust_ratio.layer_learning_rates` (article 003, 2.3 and 4.3).

    Args:
        learning_rate: ``η``: a float >= 0, scalar array, :class:`lrx.Schedule` or callable.
        b1, b2, eps, eps_root: as :func:`lrx.scale_by_adam` (defaults 0.9, 0.999, 1e-6, 0).
        weight_decay: ``λ`` >= 0 (default 0.0).
        mask: bools like the params (or a callable) selecting the leaves to decay; ``None``
            decays all (default).

    References:
        You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76
        minutes", ICLR 2020 (arXiv:1904.00962).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.lamb(0.1, eps=0.0)
        >>> params = jnp.array([3.0, 4.0])
        >>> updates, state = opt.update(jnp.array([1.0, -1.0]), opt.init(params), params)
        >>> [round(u, 6) for u in updates.tolist()]  # -0.1 * (5 / sqrt(2)) * sign(g)
        [-0.353553, 0.353553]
    """
    adam_args: dict[str, Any] = dict(b1=b1, b2=b2, eps=eps, eps_root=eps_root)
    return optax.chain(
        scale_by_adam(**adam_args),
        add_decayed_weights(weight_decay, mask=mask),
        scale_by_trust_ratio(),
        scale_by_learning_rate(learning_rate),
    )


def adafactor(
    learning_rate: ScalarOrSchedule | None = None,
    min_dim_size_to_factor: int = 128,
    decay_rate: jax.typing.ArrayLike = 0.8,
    decay_offset: jax.typing.ArrayLike = 0,
    multiply_by_parameter_scale: bool = True,
    clipping_threshold: jax.typing.ArrayLike | None = 1.0,
    momentum: jax.typing.ArrayLike | None = None,
    dtype_momentum: Any = jnp.float32,
    weight_decay_rate: jax.typing.ArrayLike | None = None,
    eps: jax.typing.ArrayLike = 1e-30,
    factored: bool = True,
    weight_decay_mask: Any = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Adafactor: factored second moments, update clipping, relative step (``optax.adafactor``).

    Formula (Alg. 4/5 of Shazeer & Stern 2018; ``t`` from 1, ``β̂₂ = 1 − (t −
    decay_offset)^(−decay_rate)``)::

        u = G / sqrt(V̂_t)                  (factored V̂ = R C / mean(R) for large matrices)
        u = u / max(1, RMS(u) / d)           (clipping_threshold d)
        u = η_t · max(RMS(θ), 1e-3) · u      (learning rate; parameter scale)
        u = β₁ m + (1 − β₁) u                (momentum β₁, no bias correction)
        θ ← θ − (u + λ θ)                    (weight_decay_rate λ, not scaled by η)

    Chain (optax's; each bracket present when its argument is not ``None``/``False``):
    ``scale_by_factored_rms → [clip_by_block_rms(d)] → [scale_by_learning_rate(η,
    flip_sign=False)] → [scale_by_param_block_rms()] → [scale_by_ema(β₁)] →
    [add_decayed_weights(λ, mask)] → flip_sign()`` (pieces in
    :mod:`lrx.transforms.factored`): the literal swap gives optax's numbers. The relative
    step of the paper is a schedule given as ``learning_rate`` (e.g.
    ``lambda t: jnp.minimum(1e-2, 1 / jnp.sqrt(t + 1))``); Hugging Face's defaults are
    :func:`lrx.compat.hf.adafactor`. :func:`lrx.learning_rate` reports ``η_t`` (without the
    per-leaf parameter scale); with ``learning_rate=None`` the state has no rate to report.

    Args:
        learning_rate: ``η``, a float, array, :class:`lrx.Schedule` or callable, or
            ``None`` (default: no rate, steps of RMS-scaled size).
        min_dim_size_to_factor: static int >= 0 (default 128).
        decay_rate: exponent of ``β̂₂`` >= 0 (default 0.8).
        decay_offset: int >= 0 subtracted from the step (default 0).
        multiply_by_parameter_scale: multiply by ``max(RMS(θ), 1e-3)`` (default ``True``).
        clipping_threshold: ``d`` > 0 or ``None`` (no clipping; default 1.0).
        momentum: ``β₁`` in ``[0, 1]`` or ``None`` (no first moment; default ``None``).
        dtype_momentum: dtype of the first moment (default float32).
        weight_decay_rate: ``λ`` >= 0 or ``None`` (default ``None``).
        eps: added to ``G²`` (default 1e-30).
        factored: factor the second moments of matrices (default ``True``).
        weight_decay_mask: bools like the params (or a callable) for the decay, or ``None``.

    References:
        Shazeer & Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
        ICML 2018 (arXiv:1804.04235).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> opt = lrx.adafactor(0.1, multiply_by_parameter_scale=False)
        >>> params = jnp.zeros(2)
        >>> updates, state = opt.update(jnp.array([2.0, -0.5]), opt.init(params), params)
        >>> updates.tolist(), lrx.learning_rate(state).item()  # -η g / |g|
        ([-0.10000000149011612, 0.10000000149011612], 0.10000000149011612)
    """
    txs = [scale_by_factored_rms(factored, decay_rate, decay_offset, min_dim_size_to_factor, eps)]
    if clipping_threshold is not None:
        txs.append(clip_by_block_rms(clipping_threshold))
    if learning_rate is not None:
        txs.append(scale_by_learning_rate(learning_rate, flip_sign=False))
    if check_bool("multiply_by_parameter_scale", multiply_by_parameter_scale):
        txs.append(scale_by_param_block_rms())
    if momentum is not None:
        txs.append(scale_by_ema(momentum, accumulator_dtype=dtype_momentum))
    if weight_decay_rate is not None:
        txs.append(add_decayed_weights(weight_decay_rate, mask=weight_decay_mask))
    txs.append(flip_sign())
    return optax.chain(*txs)
