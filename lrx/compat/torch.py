"""torch.optim presets: ``sgd, adagrad, rmsprop, adam, adamw`` with torch's names and defaults.

Each preset is built from the top-level optimizers (:func:`lrx.sgd`, :func:`lrx.adagrad`,
:func:`lrx.adam`, :func:`lrx.adamw`) or, for RMSprop, from the same transforms; only what
is torch's own is written here: ``maximize``, weight decay as an L2 term added to the
gradient, AdaGrad's ``lr_decay``, RMSprop's learning rate applied to the momentum buffer,
and "momentum 0 means no buffer". The trajectory equals the torch optimizer's on the same
gradients (float32, ``rtol=1e-5`` over 100 steps; checked against golden torch
trajectories in ``tests/test_compat_torch.py``). Argument names,
defaults and validation follow ``torch.optim``; the torch-only execution knobs
(``foreach``, ``fused``, ``capturable``, ``differentiable``) have no JAX meaning and are
not accepted.

``lr`` may be a float, an :class:`lrx.Schedule` or a jittable callable ``count -> lr``:
update ``t`` (``t = 0`` first) uses ``lr(t)``, which is what torch does with a scheduler
stepped once after every ``optimizer.step()``. For a scheduler stepped once per epoch,
pass ``lrx.per_epoch(schedule, steps_per_epoch)``.

Weight decay reads the parameters, so pass ``params`` to ``update`` whenever
``weight_decay != 0``, as with :func:`optax.add_decayed_weights`.

Complex parameters are optimized as torch does: ``torch.optim`` views a complex tensor as
real ``(re, im)`` pairs (``torch.view_as_real``), so AdaGrad's, RMSprop's and Adam's second
moments are per component, not ``|g|²`` as in lrx's top-level optimizers (optax's
convention). The adaptive presets do the same: a complex leaf's state holds real pairs
(a trailing axis of 2), and the updates come back complex. SGD is linear, so both
conventions agree and its state stays complex.

Hyperparameters are data: every numeric argument may be a concrete JAX array or a tracer,
so ``optax.inject_hyperparams(ltorch.adam)(lr=1e-3)`` and ``jax.vmap`` over ``lr`` work.
``betas`` is a tuple, which ``inject_hyperparams`` keeps static (use :func:`lrx.adam`'s
``b1``/``b2`` to inject them). Without ``inject_hyperparams``, every numeric argument
(``momentum``, ``betas[0]``, ``betas[1]``, ``alpha``, ``eps``, ``dampening``,
``weight_decay``) may be an :class:`lrx.Schedule` or a callable ``count -> value``,
evaluated at each update's index as ``lr``: torch's ``OneCycleLR`` / ``CyclicLR`` with
``cycle_momentum=True`` is ``sgd(lr=lrx.one_cycle(0.1, n), momentum=lrx.one_cycle_momentum(n))``
or ``adam(lr=lrx.one_cycle(0.01, n), betas=(lrx.one_cycle_momentum(n), 0.999))``. A
``momentum`` of exactly 0 given as a Python or NumPy number keeps no buffer (torch); a JAX
array, concrete or traced, always keeps one, since its value may change, and so does a
schedule.

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

import numbers
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax

from lrx._types import ScalarOrSchedule
from lrx._validate import check_bool, check_float, static_value
from lrx.optimizers import adagrad as _adagrad
from lrx.optimizers import adam as _adam
from lrx.optimizers import adamw as _adamw
from lrx.optimizers import sgd as _sgd
from lrx.schedules._base import Schedule
from lrx.schedules.compose import from_fn
from lrx.schedules.decay import inverse_time_decay
from lrx.transforms._hyper import check_hyper
from lrx.transforms.learning_rate import check_rate, scale_by_learning_rate
from lrx.transforms.misc import add_decayed_weights, chain
from lrx.transforms.momentum import check_nesterov, scale_by_momentum
from lrx.transforms.rms import scale_by_rms

__all__ = ["adagrad", "adam", "adamw", "rmsprop", "sgd"]


# -- the torch-specific pieces ---------------------------------------------------------------


def _check_lr(lr: Any) -> ScalarOrSchedule:
    """Validate ``lr`` as torch does (a number must be >= 0), keeping schedules as they are."""
    return check_rate("lr", lr)  # ValueError naming ``lr`` for a bad constant


def _is_zero_number(value: Any) -> bool:
    """A Python or NumPy number equal to 0 (torch's "off"); arrays and tracers never are.

    Decided on the argument as given (before validation turns a concrete array into a
    Python float), so that a hyperparameter passed as an array, concrete at ``init`` and
    traced at ``update`` (``optax.inject_hyperparams``), builds the same chain both times.
    """
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == 0


def _has_buffer(momentum: Any) -> bool:
    """torch keeps a momentum buffer only for ``momentum != 0``."""
    return not _is_zero_number(momentum)


def _head(maximize: bool, weight_decay: Any) -> list[optax.GradientTransformation]:
    """torch's first two lines of every step: ``g = -g`` if maximize; ``g += wd * p`` (L2)."""
    parts = [optax.scale(-1.0)] if check_bool("maximize", maximize) else []
    if not _is_zero_number(weight_decay):
        parts.append(add_decayed_weights(weight_decay))
    return parts


def _check_betas(betas: Any) -> tuple[Any, Any]:
    if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    b1 = check_hyper("betas[0]", betas[0], lo=0.0, hi=1.0, hi_open=True)  # or a schedule
    b2 = check_hyper("betas[1]", betas[1], lo=0.0, hi=1.0, hi_open=True)
    return b1, b2


def _adagrad_lr(lr: ScalarOrSchedule, lr_decay: Any) -> ScalarOrSchedule:
    """torch's ``clr = lr / (1 + (step - 1) * lr_decay)`` with ``step - 1 = count``.

    A real schedule: :func:`lrx.inverse_time_decay` for a constant ``lr``, its product
    with the given schedule otherwise (so it prints, compares and serializes).
    """
    if static_value(lr_decay) == 0:
        return lr
    if isinstance(lr, Schedule) or callable(lr):
        base = lr if isinstance(lr, Schedule) else from_fn(lr)
        return base * inverse_time_decay(init_value=1.0, decay_rate=lr_decay, decay_steps=1)
    return inverse_time_decay(init_value=lr, decay_rate=lr_decay, decay_steps=1)


def _to_pairs(tree: Any) -> Any:
    """Complex leaves as real ``(..., 2)`` arrays of (real, imaginary) parts."""
    return jax.tree.map(
        lambda x: jnp.stack([jnp.real(x), jnp.imag(x)], -1) if jnp.iscomplexobj(x) else x, tree
    )


def _from_pairs(tree: Any, like: Any) -> Any:
    """Real ``(..., 2)`` leaves back to complex where ``like`` is complex."""
    return jax.tree.map(
        lambda u, x: jax.lax.complex(u[..., 0], u[..., 1]) if jnp.iscomplexobj(x) else u,
        tree,
        like,
    )


def _real_pairs(tx: optax.GradientTransformation) -> optax.GradientTransformationExtraArgs:
    """``tx`` applied to complex leaves viewed as real pairs, as ``torch.view_as_real``.

    On trees without complex leaves it is ``tx`` itself (same state, same numbers); the
    check is on dtypes, so it costs nothing inside ``jit``.
    """
    tx = optax.with_extra_args_support(tx)

    def init_fn(params: Any) -> Any:
        return tx.init(_to_pairs(params))

    def update_fn(updates: Any, state: Any, params: Any = None, **extra: Any) -> Any:
        pairs = None if params is None else _to_pairs(params)
        out, state = tx.update(_to_pairs(updates), state, pairs, **extra)
        return _from_pairs(out, updates), state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


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

    This is SGD with heavy-ball / Nesterov momentum as written in article 000, with
    torch's conventions (the buffer starts at the first gradient, the learning rate
    multiplies outside the buffer). Built as ``chain([scale(-1)], [L2],
    lrx.sgd(lr, momentum or None, nesterov, dampening=dampening))``: a momentum of 0 keeps
    no buffer, as torch.

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
    head = _head(maximize, weight_decay)  # decided on the arguments as given
    has_buffer = _has_buffer(momentum)
    momentum, nesterov, dampening = check_nesterov(momentum, nesterov, dampening)
    core = _sgd(
        _check_lr(lr),
        momentum if has_buffer else None,
        nesterov,
        dampening=dampening if has_buffer else 0.0,
    )
    return chain(*head, core)


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

    The AdaGrad formula of article 004 with ``eps`` outside the square root (torch's
    placement; :func:`lrx.adagrad` keeps the article's ``eps`` inside it). With a schedule,
    ``lr_decay`` multiplies it as in torch: ``clr_t = lr(t-1) / (1 + (t-1) * lr_decay)``.
    Built as ``chain([scale(-1)], [L2], lrx.adagrad(clr, initial_accumulator_value, eps,
    eps_in_sqrt=False))``.

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
    head = _head(maximize, weight_decay)
    lr = _adagrad_lr(_check_lr(lr), check_float("lr_decay", lr_decay, lo=0.0))
    core = _adagrad(lr, initial_accumulator_value, eps, eps_in_sqrt=False)
    return _real_pairs(chain(*head, core))


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

    RMSprop of articles 000 / 004 with torch's conventions: no bias correction, ``eps``
    outside the square root, and the momentum buffer holding ``g / denominator`` (the
    learning rate multiplies outside it, unlike :func:`lrx.rmsprop`, whose buffer follows
    optax and accumulates learning-rate scaled steps). Built as ``chain([scale(-1)], [L2],
    scale_by_rms, [scale_by_momentum], scale_by_learning_rate)``.

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
    head = _head(maximize, weight_decay)
    lr = _check_lr(lr)
    alpha = check_hyper("alpha", alpha, lo=0.0, hi=1.0)
    has_buffer = _has_buffer(momentum)
    momentum = check_hyper("momentum", momentum, lo=0.0, hi=1.0)
    rms = scale_by_rms(
        decay=alpha,
        eps=eps,
        initial_scale=0.0,
        eps_in_sqrt=False,
        bias_correction=False,
        centered=check_bool("centered", centered),
    )
    # torch's buffer holds g / denominator (b_0 = 0: with dampening 0 that is lrx's
    # b_1 = d_1) and the learning rate multiplies the buffer: momentum before the rate.
    moment = [scale_by_momentum(decay=momentum, nesterov=False)] if has_buffer else []
    return _real_pairs(chain(*head, rms, *moment, scale_by_learning_rate(lr)))


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
    000 and 004 with ``eps`` outside the root,
    as in the paper and torch. ``weight_decay`` is torch's L2 penalty added to the
    gradient (it passes through the moments); ``decoupled_weight_decay=True`` is
    :func:`adamw`. Built as ``chain([scale(-1)], [L2], lrx.adam(lr, *betas, eps,
    amsgrad=amsgrad))``.

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
    head = _head(maximize, weight_decay)
    b1, b2 = _check_betas(betas)
    core = _adam(_check_lr(lr), b1, b2, eps, amsgrad=check_bool("amsgrad", amsgrad))
    return _real_pairs(chain(*head, core))


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
    Hutter's decoupled weight decay). Built as ``chain([scale(-1)], lrx.adamw(lr, *betas, eps,
    weight_decay=weight_decay, amsgrad=amsgrad))``.

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
    b1, b2 = _check_betas(betas)
    amsgrad = check_bool("amsgrad", amsgrad)
    core = _adamw(lr, b1, b2, eps, weight_decay=weight_decay, amsgrad=amsgrad)
    return _real_pairs(chain(*_head(maximize, 0.0), core))
