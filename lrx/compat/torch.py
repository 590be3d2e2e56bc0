"""torch.optim presets: ``sgd, adagrad, rmsprop, adam, adamw`` with torch's names and defaults.

Each preset is a :func:`lrx.chain` of lrx transforms whose trajectory equals the torch
optimizer's on the same gradients (float32, ``rtol=1e-5`` over 100 steps; checked against
golden torch 2.13 trajectories in ``tests/test_compat_torch.py``). Argument names,
defaults and validation follow ``torch.optim``; the torch-only execution knobs
(``foreach``, ``fused``, ``capturable``, ``differentiable``) have no JAX meaning and are
not accepted.

``lr`` may be a float, an :class:`lrx.Schedule` or a jittable callable ``count -> lr``:
update ``t`` (``t = 0`` first) uses ``lr(t)``, which is what torch does with a scheduler
stepped once after every ``optimizer.step()``. For a scheduler stepped once per epoch,
pass ``lrx.per_epoch(schedule, steps_per_epoch)``.

Weight decay reads the parameters, so pass ``params`` to ``update`` whenever
``weight_decay != 0``, as with :func:`optax.add_decayed_weights`.

Example:
    >>> import jax.numpy as jnp, lrx
    >>> from lrx.compat import torch as ltorch
    >>> tx = ltorch.adamw(lr=1e-3)          # torch.optim.AdamW(params, lr=1e-3)
    >>> params = {"w": jnp.ones(3)}
    >>> state = tx.init(params)
    >>> updates, state = tx.update({"w": jnp.ones(3)}, state, params)
    >>> lrx.apply_updates(params, updates)["w"].tolist()
    [0.998989999294281, 0.998989999294281, 0.998989999294281]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax

from lrx._types import ScalarOrSchedule
from lrx._validate import check_bool, check_float
from lrx.schedules._base import as_schedule_fn
from lrx.transforms.adagrad import scale_by_adagrad
from lrx.transforms.adam import scale_by_adam
from lrx.transforms.learning_rate import scale_by_learning_rate
from lrx.transforms.misc import add_decayed_weights, chain
from lrx.transforms.momentum import scale_by_momentum
from lrx.transforms.rms import scale_by_rms

__all__ = ["adagrad", "adam", "adamw", "rmsprop", "sgd"]


# -- shared pieces ---------------------------------------------------------------------------


def _check_lr(lr: Any) -> ScalarOrSchedule:
    """Validate ``lr`` as torch does (a number must be >= 0), keeping schedules as they are."""
    as_schedule_fn(lr, "lr")  # raises ValueError naming ``lr`` for a bad constant
    return lr


def _negate() -> optax.GradientTransformation:
    """``maximize=True``: ascend, i.e. use ``-g`` from the very first operation as torch."""
    return optax.scale(-1.0)


def _head(maximize: bool, weight_decay: float) -> list[optax.GradientTransformation]:
    """torch's first two lines of every step: ``g = -g`` if maximize; ``g += wd * p`` (L2)."""
    parts = []
    if check_bool("maximize", maximize):
        parts.append(_negate())
    if weight_decay != 0.0:
        parts.append(add_decayed_weights(weight_decay))
    return parts


def _check_betas(betas: Any) -> tuple[float, float]:
    if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    b1 = check_float("betas[0]", betas[0], lo=0.0, hi=1.0, hi_open=True)
    b2 = check_float("betas[1]", betas[1], lo=0.0, hi=1.0, hi_open=True)
    return b1, b2


# -- presets ---------------------------------------------------------------------------------


def sgd(
    lr: ScalarOrSchedule = 1e-3,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.SGD(params, lr, momentum, dampening, weight_decay, nesterov, maximize=)``.

    Formula (torch's order; ``t = 1`` is the first step, ``\eta_t = lr(t-1)``)::

        g_t = -g_t                                      if maximize
        g_t = g_t + weight_decay * theta_t              if weight_decay != 0
        b_1 = g_1,  b_t = momentum * b_{t-1} + (1 - dampening) * g_t    if momentum != 0
        d_t = g_t + momentum * b_t   if nesterov   else   b_t
        theta_{t+1} = theta_t - eta_t * d_t

    This is SGD with heavy-ball / Nesterov momentum as written in article
    000_dbe525d0cf299df4.txt, with torch's conventions (the buffer starts at the first
    gradient, the learning rate multiplies outside the buffer). Built as
    ``chain([scale(-1)], [add_decayed_weights], [scale_by_momentum], scale_by_learning_rate)``.

    Args:
        lr: learning rate (default ``1e-3``, torch's), a float >= 0, an
            :class:`lrx.Schedule` or a jittable ``count -> lr``.
        momentum: momentum factor in ``[0, 1]`` (default ``0``: plain SGD, no buffer).
        dampening: dampening of the momentum input in ``[0, 1]`` (default ``0``).
        weight_decay: L2 penalty >= 0 added to the gradient (default ``0``).
        nesterov: Nesterov momentum (default ``False``); needs ``momentum > 0`` and
            ``dampening == 0`` as in torch.
        maximize: maximize the objective instead (default ``False``).

    Returns:
        A ``GradientTransformation``; pass ``params`` to ``update`` when ``weight_decay != 0``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> from lrx.compat import torch as ltorch
        >>> tx = ltorch.sgd(lr=0.1, momentum=0.9)  # torch.optim.SGD(p, lr=0.1, momentum=0.9)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = tx.init(params)
        >>> for g in ([1.0, 1.0], [1.0, -1.0]):
        ...     updates, state = tx.update(jnp.array(g), state, params)
        ...     params = lrx.apply_updates(params, updates)
        >>> params.tolist()
        [0.7099999785423279, -2.0899999141693115]
    """
    lr = _check_lr(lr)
    momentum = check_float("momentum", momentum, lo=0.0, hi=1.0)
    dampening = check_float("dampening", dampening, lo=0.0, hi=1.0)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    nesterov = check_bool("nesterov", nesterov)
    if nesterov and (momentum <= 0.0 or dampening != 0.0):
        raise ValueError(
            "nesterov=True requires momentum > 0 and dampening == 0, "
            f"got momentum={momentum!r}, dampening={dampening!r}"
        )
    parts = _head(maximize, weight_decay)
    if momentum != 0.0:
        parts.append(scale_by_momentum(momentum, nesterov=nesterov, dampening=dampening))
    parts.append(scale_by_learning_rate(lr))
    return chain(*parts)


def _adagrad_lr(lr: ScalarOrSchedule, lr_decay: float) -> ScalarOrSchedule:
    """torch's ``clr = lr / (1 + (step - 1) * lr_decay)`` with ``step - 1 = count``."""
    if lr_decay == 0.0:
        return lr
    base = as_schedule_fn(lr, "lr")
    decay = jnp.float32(lr_decay)

    def fn(count: jax.Array) -> jax.Array:
        t = jnp.asarray(count).astype(jnp.float32)
        return jnp.asarray(base(count), jnp.float32) / (1.0 + t * decay)

    return fn


def adagrad(
    lr: ScalarOrSchedule = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.Adagrad(params, lr, lr_decay, weight_decay, initial_accumulator_value, eps)``.

    Formula (``t = 1`` is the first step, ``\eta_t = lr(t-1)``)::

        g_t = -g_t                                  if maximize
        g_t = g_t + weight_decay * theta_t          if weight_decay != 0
        G_t = G_{t-1} + g_t**2,   G_0 = initial_accumulator_value
        clr_t = eta_t / (1 + (t - 1) * lr_decay)
        theta_{t+1} = theta_t - clr_t * g_t / (sqrt(G_t) + eps)

    The AdaGrad formula of article 004_7dc5a075b1dee1ce.txt with ``eps`` outside the square
    root (torch's placement; ``lrx.scale_by_adagrad(eps_in_sqrt=True)`` is the article's).
    With a schedule, ``lr_decay`` multiplies it as in torch: ``clr_t = lr(t-1) / (1 + (t-1)
    * lr_decay)``. Built as ``chain([scale(-1)], [add_decayed_weights], scale_by_adagrad,
    scale_by_learning_rate)``.

    Args:
        lr: learning rate (default ``1e-2``), a float >= 0, a Schedule or a callable.
        lr_decay: inverse-time decay >= 0 of the learning rate (default ``0``).
        weight_decay: L2 penalty >= 0 added to the gradient (default ``0``).
        initial_accumulator_value: initial ``G_0`` >= 0 (default ``0``).
        eps: >= 0, added to ``sqrt(G_t)`` (default ``1e-10``).
        maximize: maximize the objective instead (default ``False``).

    Returns:
        A ``GradientTransformation``; pass ``params`` to ``update`` when ``weight_decay != 0``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> from lrx.compat import torch as ltorch
        >>> tx = ltorch.adagrad(lr=0.1, lr_decay=0.5)  # torch.optim.Adagrad(p, 0.1, 0.5)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = tx.init(params)
        >>> for g in ([3.0, 0.5], [4.0, 0.5]):
        ...     updates, state = tx.update(jnp.array(g), state, params)
        ...     params = lrx.apply_updates(params, updates)
        >>> params.tolist()
        [0.8466666340827942, -2.1471402645111084]
    """
    lr = _check_lr(lr)
    lr_decay = check_float("lr_decay", lr_decay, lo=0.0)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    initial_accumulator_value = check_float(
        "initial_accumulator_value", initial_accumulator_value, lo=0.0
    )
    eps = check_float("eps", eps, lo=0.0)
    parts = _head(maximize, weight_decay)
    parts.append(
        scale_by_adagrad(
            initial_accumulator_value=initial_accumulator_value, eps=eps, eps_in_sqrt=False
        )
    )
    parts.append(scale_by_learning_rate(_adagrad_lr(lr, lr_decay)))
    return chain(*parts)


def rmsprop(
    lr: ScalarOrSchedule = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.RMSprop(params, lr, alpha, eps, weight_decay, momentum, centered)``.

    Formula (``t = 1`` is the first step, ``\eta_t = lr(t-1)``)::

        g_t = -g_t                                  if maximize
        g_t = g_t + weight_decay * theta_t          if weight_decay != 0
        s_t = alpha * s_{t-1} + (1 - alpha) * g_t**2,          s_0 = 0
        m_t = alpha * m_{t-1} + (1 - alpha) * g_t,             m_0 = 0  (centered)
        d_t = g_t / (sqrt(s_t - m_t**2 if centered else s_t) + eps)
        b_t = momentum * b_{t-1} + d_t,   b_0 = 0               if momentum > 0
        theta_{t+1} = theta_t - eta_t * (b_t if momentum > 0 else d_t)

    RMSprop of articles 000_dbe525d0cf299df4.txt / 004_7dc5a075b1dee1ce.txt with torch's
    conventions: no bias correction, ``eps`` outside the square root, and the momentum
    buffer holding ``g / denominator`` (the learning rate multiplies outside it). Built as
    ``chain([scale(-1)], [add_decayed_weights], scale_by_rms, [scale_by_momentum],
    scale_by_learning_rate)``.

    Args:
        lr: learning rate (default ``1e-2``), a float >= 0, a Schedule or a callable.
        alpha: smoothing constant of the squared-gradient average, in ``[0, 1]``
            (default ``0.99``; lrx and optax use ``decay=0.9``).
        eps: >= 0, added to the root (default ``1e-8``).
        weight_decay: L2 penalty >= 0 added to the gradient (default ``0``).
        momentum: momentum factor in ``[0, 1]`` (default ``0``).
        centered: divide by the estimated standard deviation instead (default ``False``).
        maximize: maximize the objective instead (default ``False``).

    Returns:
        A ``GradientTransformation``; pass ``params`` to ``update`` when ``weight_decay != 0``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> from lrx.compat import torch as ltorch
        >>> tx = ltorch.rmsprop(lr=0.01, alpha=0.9)  # torch.optim.RMSprop(p, 0.01, 0.9)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = tx.init(params)
        >>> updates, state = tx.update(jnp.array([2.0, -0.5]), state, params)
        >>> lrx.apply_updates(params, updates).tolist()
        [0.9683772325515747, -1.9683772325515747]
    """
    lr = _check_lr(lr)
    alpha = check_float("alpha", alpha, lo=0.0, hi=1.0)
    eps = check_float("eps", eps, lo=0.0)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    momentum = check_float("momentum", momentum, lo=0.0, hi=1.0)
    centered = check_bool("centered", centered)
    parts = _head(maximize, weight_decay)
    parts.append(
        scale_by_rms(
            alpha,
            eps=eps,
            eps_in_sqrt=False,
            centered=centered,
            initial_scale=0.0,
            bias_correction=False,
        )
    )
    if momentum > 0.0:
        # b_0 = 0 in torch; with dampening 0 that equals lrx's b_1 = d_1.
        parts.append(scale_by_momentum(momentum, nesterov=False, dampening=0.0))
    parts.append(scale_by_learning_rate(lr))
    return chain(*parts)


def _adam_parts(betas: Any, eps: float, amsgrad: bool) -> optax.GradientTransformation:
    b1, b2 = _check_betas(betas)
    eps = check_float("eps", eps, lo=0.0)
    amsgrad = check_bool("amsgrad", amsgrad)
    return scale_by_adam(
        b1, b2, eps=eps, eps_root=0.0, bias_correction=True, nesterov=False, amsgrad=amsgrad
    )


def adam(
    lr: ScalarOrSchedule = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.Adam(params, lr, betas, eps, weight_decay, amsgrad)``.

    Formula (``t = 1`` is the first step, ``\eta_t = lr(t-1)``)::

        g_t = -g_t                                  if maximize
        g_t = g_t + weight_decay * theta_t          if weight_decay != 0 (L2, coupled)
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t,   v_t = beta2 * v_{t-1} + (1 - beta2) * g_t**2
        vmax_t = max(vmax_{t-1}, v_t)               if amsgrad (uncorrected v)
        theta_{t+1} = theta_t - eta_t * (m_t / (1 - beta1**t))
                                       / (sqrt(v_t / (1 - beta2**t)) + eps)

    (``vmax_t`` replaces ``v_t`` in the last line with ``amsgrad``.) The Adam of articles
    000_dbe525d0cf299df4.txt and 004_7dc5a075b1dee1ce.txt with ``eps`` outside the root,
    as in the paper and torch. ``weight_decay`` is torch's L2 penalty added to the
    gradient (it passes through the moments); ``decoupled_weight_decay=True`` is
    :func:`adamw`. Built as ``chain([scale(-1)], [add_decayed_weights], scale_by_adam,
    scale_by_learning_rate)``.

    Args:
        lr: learning rate (default ``1e-3``), a float >= 0, a Schedule or a callable.
        betas: ``(beta1, beta2)``, each in ``[0, 1)`` (default ``(0.9, 0.999)``).
        eps: >= 0, added to ``sqrt(v_hat)`` (default ``1e-8``).
        weight_decay: L2 penalty >= 0 (default ``0``).
        amsgrad: use the running maximum of ``v`` (default ``False``).
        maximize: maximize the objective instead (default ``False``).
        decoupled_weight_decay: decay the weights directly as AdamW (default ``False``).

    Returns:
        A ``GradientTransformation``; pass ``params`` to ``update`` when ``weight_decay != 0``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> from lrx.compat import torch as ltorch
        >>> tx = ltorch.adam(lr=0.1)  # torch.optim.Adam(params, lr=0.1)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = tx.init(params)
        >>> updates, state = tx.update(jnp.array([0.5, -3.0]), state, params)
        >>> lrx.apply_updates(params, updates).tolist()
        [0.8999999761581421, -1.899999976158142]
    """
    if check_bool("decoupled_weight_decay", decoupled_weight_decay):
        return adamw(lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
    lr = _check_lr(lr)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    core = _adam_parts(betas, eps, amsgrad)
    parts = _head(maximize, weight_decay)
    parts.append(core)
    parts.append(scale_by_learning_rate(lr))
    return chain(*parts)


def adamw(
    lr: ScalarOrSchedule = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
) -> optax.GradientTransformation:
    r"""``torch.optim.AdamW(params, lr, betas, eps, weight_decay, amsgrad)``.

    Formula (``t = 1`` is the first step, ``\eta_t = lr(t-1)``)::

        g_t = -g_t                                  if maximize
        theta_t' = theta_t * (1 - eta_t * weight_decay)            (decoupled decay)
        m_t, v_t (and vmax_t if amsgrad) exactly as in :func:`adam`, on g_t
        theta_{t+1} = theta_t' - eta_t * m_hat_t / (sqrt(v_hat_t) + eps)

    i.e. ``theta_{t+1} = theta_t - eta_t * (adam_t + weight_decay * theta_t)``: the
    weight decay is scaled by the scheduled learning rate, as in torch (Loshchilov &
    Hutter's decoupled weight decay). Built as ``chain([scale(-1)], scale_by_adam,
    add_decayed_weights, scale_by_learning_rate)``.

    Args:
        lr: learning rate (default ``1e-3``), a float >= 0, a Schedule or a callable.
        betas: ``(beta1, beta2)``, each in ``[0, 1)`` (default ``(0.9, 0.999)``).
        eps: >= 0, added to ``sqrt(v_hat)`` (default ``1e-8``).
        weight_decay: decoupled decay coefficient >= 0 (default ``1e-2``, torch's;
            optax's ``adamw`` defaults to ``1e-4``).
        amsgrad: use the running maximum of ``v`` (default ``False``).
        maximize: maximize the objective instead (default ``False``).

    Returns:
        A ``GradientTransformation``; pass ``params`` to ``update`` when ``weight_decay != 0``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> from lrx.compat import torch as ltorch
        >>> tx = ltorch.adamw(lr=0.1, weight_decay=0.5)  # torch.optim.AdamW(p, 0.1, ...)
        >>> params = jnp.array([1.0, -2.0])
        >>> state = tx.init(params)
        >>> updates, state = tx.update(jnp.array([0.5, -3.0]), state, params)
        >>> lrx.apply_updates(params, updates).tolist()
        [0.8500000238418579, -1.7999999523162842]
    """
    lr = _check_lr(lr)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    core = _adam_parts(betas, eps, amsgrad)
    parts = _head(maximize, 0.0)
    parts.append(core)
    if weight_decay != 0.0:
        parts.append(add_decayed_weights(weight_decay))
    parts.append(scale_by_learning_rate(lr))
    return chain(*parts)
