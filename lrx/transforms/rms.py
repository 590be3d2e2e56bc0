"""``scale_by_rms``: RMSprop scaling, plain or centered, optionally bias-corrected.

Article 004 (2. RMSprop) and article 000 (1.2 RMSprop): AdaGrad's ever-growing sum is
replaced by an exponential moving average of the squared gradients, so the per-parameter
step size can grow again when gradients shrink.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._counters import bias_correction as _bias_correction
from lrx._counters import safe_increment, zero_count
from lrx._dtypes import canonical_dtype, canonical_float_dtype, check_floating
from lrx._tree import check_update
from lrx._types import HyperOrSchedule
from lrx._validate import check_bool, check_float
from lrx.transforms._hyper import check_hyper, hyper_at, static_hyper
from lrx.transforms._moments import abs_sq, ema, init_moment, leafwise, over_root, unbias

__all__ = ["ScaleByRmsCenteredState", "ScaleByRmsState", "scale_by_rms"]


class ScaleByRmsState(NamedTuple):
    """State of :func:`scale_by_rms` (``centered=False``).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        nu: ``s``, the EMA of ``|g|²`` (real), a tree like the params.
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    nu: Any


class ScaleByRmsCenteredState(NamedTuple):
    """State of :func:`scale_by_rms` (``centered=True``).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        mu: ``μ``, the EMA of the updates (torch's ``grad_avg``), a tree like the params.
        nu: ``s``, the EMA of ``|g|²`` (real), a tree like the params.
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    mu: Any
    nu: Any


def scale_by_rms(
    decay: HyperOrSchedule = 0.9,
    eps: HyperOrSchedule = 1e-8,
    initial_scale: float = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
    *,
    centered: bool = False,
    mu_dtype: Any = None,
    nu_dtype: Any = None,
) -> optax.GradientTransformation:
    r"""RMSprop scaling: ``g_t / sqrt(s_t + eps)`` (or ``g_t / (sqrt(s_t) + eps)``).

    Formula (``ρ = decay``, ``t = 1, 2, ...``; ``|g|² = g · conj(g)`` is real)::

        s_0 = initial_scale,  μ_0 = 0
        s_t = ρ s_{t-1} + (1 − ρ) |g_t|²
        μ_t = ρ μ_{t-1} + (1 − ρ) g_t                     (centered only)
        ŝ_t, μ̂_t = s_t, μ_t   or   s_t / (1 − ρ^t), μ_t / (1 − ρ^t)   (bias_correction)
        var_t = ŝ_t   or   max(ŝ_t − |μ̂_t|², 0)          (centered)
        output = g_t / sqrt(var_t + eps)   or   g_t / (sqrt(var_t) + eps)   (eps_in_sqrt=False)

    The defaults and positional order are ``optax.scale_by_rms``'s (``eps`` inside the
    root), so ``optax.scale_by_rms(*args)`` → ``lrx.scale_by_rms(*args)`` gives optax's
    numbers to float32 rounding. That is also the RMSprop formula of article 004
    (``θ_{t+1} = θ_t − η / sqrt(s_t + ε) ⊙ ∇J``). ``eps_in_sqrt=False`` is
    ``torch.optim.RMSprop(alpha=decay)``, and ``centered=True`` its ``centered=True``
    (``optax.scale_by_stddev``; the variance is clamped at 0, where rounding could
    otherwise make the root NaN). With ``centered``, ``bias_correction`` and
    ``initial_scale=0`` the first variance is exactly 0, so the first output is
    ``g_1 / eps``: use ``initial_scale > 0`` there. Chain :func:`lrx.scale_by_learning_rate`
    after it (see :func:`lrx.rmsprop`, which also adds torch's momentum).

    Dtypes: complex parameters get a real ``s`` and a complex ``μ``; parameters below 32
    bits keep float32 moments unless ``mu_dtype``/``nu_dtype`` say otherwise (4 bytes per
    parameter for ``s``, 4 more for ``μ`` when centered). Hyperparameters are data:
    ``decay``, ``eps`` and ``initial_scale`` may be concrete arrays or tracers (a traced
    value is not range-checked and takes the general formula, with a guarded division).
    ``decay`` and ``eps`` may also be schedules (an :class:`lrx.Schedule` or a callable
    ``count -> value``), evaluated at the update index ``t - 1`` (the state's count before
    the update, as the learning rate), not range-checked: the numbers of
    ``optax.inject_hyperparams(lrx.scale_by_rms)`` with that schedule (the bias correction
    uses the current decay, ``1 − ρ_t^t``). ``initial_scale`` is used by ``init`` and stays
    a number.
    A zero denominator (only with ``eps=0``) gives a zero output.

    Args:
        decay: ``ρ``, in ``[0, 1]`` (default 0.9); ``< 1`` when ``bias_correction``.
        eps: >= 0 (default 1e-8).
        initial_scale: ``s_0``, >= 0 (default 0.0).
        eps_in_sqrt: add ``eps`` inside the square root (default ``True``, optax's).
        bias_correction: divide ``s_t`` (and ``μ_t``) by ``1 − ρ^t`` (default ``False``).
        centered: subtract the squared EMA of the updates (default ``False``).
        mu_dtype: dtype of ``μ`` (centered only), or ``None`` (the params' dtype, float32
            below 32 bits).
        nu_dtype: real dtype of ``s``, or ``None`` (the params' real dtype, float32 below
            32 bits).

    Returns:
        A ``GradientTransformation`` with state :class:`ScaleByRmsState` or
        :class:`ScaleByRmsCenteredState`.

    References:
        Tieleman & Hinton, "Lecture 6.5 — RMSprop", COURSERA: Neural Networks for Machine Learning
            (2012).
        Graves, "Generating Sequences With Recurrent Neural Networks", arXiv:1308.0850 (2013)
            (centered).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.scale_by_rms(0.75, eps=0.0)
        >>> state = tx.init(jnp.zeros(2))
        >>> u, state = tx.update(jnp.array([2.0, -2.0]), state)  # s = 0.25 * 4 = 1
        >>> u.tolist()
        [2.0, -2.0]
    """
    hypers = {"decay": check_hyper("decay", decay, lo=0.0, hi=1.0)}  # or schedules
    hypers["eps"] = check_hyper("eps", eps, lo=0.0)
    initial_scale = check_float("initial_scale", initial_scale, lo=0.0)
    eps_in_sqrt = check_bool("eps_in_sqrt", eps_in_sqrt)
    bias_correction = check_bool("bias_correction", bias_correction)
    centered = check_bool("centered", centered)
    mu_dtype = canonical_dtype("mu_dtype", mu_dtype)
    nu_dtype = canonical_float_dtype("nu_dtype", nu_dtype)
    if bias_correction and static_hyper(hypers["decay"]) == 1.0:
        raise ValueError(f"decay must be < 1 when bias_correction=True, got {hypers['decay']!r}")
    state_type = ScaleByRmsCenteredState if centered else ScaleByRmsState

    def init_fn(params: optax.Params) -> Any:
        check_floating("scale_by_rms", params)
        nu = init_moment(params, nu_dtype, real=True, fill=initial_scale)
        if centered:
            mu = init_moment(params, mu_dtype, name="mu_dtype")
            return ScaleByRmsCenteredState(count=zero_count(), mu=mu, nu=nu)
        return ScaleByRmsState(count=zero_count(), nu=nu)

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        check_update("scale_by_rms", updates, state, state_type, "nu")
        # schedules at this update's index (the count before the increment)
        decay, eps = (hyper_at(n, h, state.count) for n, h in hypers.items())
        count = safe_increment(state.count)
        eps_out, eps_in = (0.0, eps) if eps_in_sqrt else (eps, 0.0)

        @functools.cache  # once per dtype and update, not per leaf
        def correction(dtype: Any) -> Any:
            return _bias_correction(decay, count, dtype) if bias_correction else None

        def leaf(g: Any, nu: Any, mu: Any = None) -> tuple[Any, ...]:
            nu = ema(decay, nu, abs_sq(g))
            var = unbias(nu, correction(nu.dtype))
            if not centered:
                return over_root(g, var, eps_out, eps_in), nu
            mu = ema(decay, mu, g)
            var = jnp.maximum(var - abs_sq(unbias(mu, correction(mu.dtype))), 0)
            return over_root(g, var, eps_out, eps_in), nu, mu

        if centered:
            out, nu, mu = leafwise(leaf, updates, state.nu, state.mu)
            return out, ScaleByRmsCenteredState(count=count, mu=mu, nu=nu)
        out, nu = leafwise(leaf, updates, state.nu)
        return out, ScaleByRmsState(count=count, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)
