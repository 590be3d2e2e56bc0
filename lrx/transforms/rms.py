"""``scale_by_rms``: RMSprop scaling, plain or centered, optionally bias-corrected.

Article 004_7dc5a075b1dee1ce.txt (2. RMSprop) and article 000_dbe525d0cf299df4.txt (1.2
RMSprop): AdaGrad's ever-growing sum is replaced by an exponential moving average of the
squared gradients, so the per-parameter step size can grow again when gradients shrink.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax import lax

from lrx._counters import bias_correction as _bias_correction
from lrx._counters import safe_increment, zero_count
from lrx._dtypes import cast, check_floating, compute_dtype, const, positive_in
from lrx._tree import check_state, check_tree_match, tree_map_multi
from lrx._validate import check_bool, check_float
from lrx.transforms._moments import divide

__all__ = ["ScaleByRmsCenteredState", "ScaleByRmsState", "scale_by_rms"]


class ScaleByRmsState(NamedTuple):
    """State of :func:`scale_by_rms` (``centered=False``).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        nu: ``s``, the EMA of squared updates, a tree like the params.
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    nu: Any


class ScaleByRmsCenteredState(NamedTuple):
    """State of :func:`scale_by_rms` (``centered=True``).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        mu: the EMA of the updates (torch's ``grad_avg``), a tree like the params.
        nu: ``s``, the EMA of squared updates, a tree like the params.
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    mu: Any
    nu: Any


def scale_by_rms(
    decay: float = 0.9,
    *,
    eps: float = 1e-8,
    eps_in_sqrt: bool = False,
    centered: bool = False,
    initial_scale: float = 0.0,
    bias_correction: bool = False,
) -> optax.GradientTransformation:
    r"""RMSprop scaling: ``g_t / (sqrt(s_t) + eps)``.

    Formula (``ρ = decay``, ``t = 1, 2, ...``)::

        s_0 = initial_scale,  μ_0 = 0
        s_t = ρ s_{t-1} + (1 − ρ) g_t ⊙ g_t
        μ_t = ρ μ_{t-1} + (1 − ρ) g_t                   (centered only)
        ŝ_t, μ̂_t = s_t, μ_t   or   s_t / (1 − ρ^t), μ_t / (1 − ρ^t)   (bias_correction)
        var_t = ŝ_t   or   max(ŝ_t − μ̂_t², 0)          (centered)
        output = g_t / (sqrt(var_t) + eps)   or   g_t / sqrt(var_t + eps)   (eps_in_sqrt)

    ``eps_in_sqrt=True`` is the RMSprop formula of article 004_7dc5a075b1dee1ce.txt
    (``θ_{t+1} = θ_t − η / sqrt(s_t + ε) ⊙ ∇J``) and optax's default; the lrx default (eps
    outside the root, ``eps=1e-8``, ``s_0 = 0``) is ``torch.optim.RMSprop(alpha=decay)``,
    and ``centered=True`` is ``torch.optim.RMSprop(centered=True)`` (the variance is clamped
    at 0, where rounding could otherwise make torch's root NaN). With ``centered`` and
    ``bias_correction`` and ``initial_scale=0`` the first variance is exactly 0
    (``ŝ_1 = g_1²``, ``μ̂_1 = g_1``), so the first output is ``g_1 / eps``: use
    ``initial_scale > 0`` there. A zero denominator (only with ``eps=0``) gives a zero
    output (the guard is only emitted then, so NaN and Inf otherwise propagate as in optax
    and torch). Chain :func:`lrx.scale_by_learning_rate` after it
    (see :func:`lrx.rmsprop`, which also adds torch's momentum).

    Args:
        decay: ``ρ``, in ``[0, 1]`` (default 0.9); ``< 1`` when ``bias_correction``.
        eps: >= 0 (default 1e-8).
        eps_in_sqrt: add ``eps`` inside the square root (default ``False``).
        centered: subtract the squared EMA of the updates (default ``False``).
        initial_scale: ``s_0``, >= 0 (default 0.0).
        bias_correction: divide ``s_t`` (and ``μ_t``) by ``1 − ρ^t`` (default ``False``).

    Returns:
        A ``GradientTransformation`` with state :class:`ScaleByRmsState` or
        :class:`ScaleByRmsCenteredState`.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.scale_by_rms(0.75, eps=0.0)
        >>> state = tx.init(jnp.zeros(2))
        >>> u, state = tx.update(jnp.array([2.0, -2.0]), state)  # s = 0.25 * 4 = 1
        >>> u.tolist()
        [2.0, -2.0]
    """
    decay = check_float("decay", decay, lo=0.0, hi=1.0)
    eps = check_float("eps", eps, lo=0.0)
    eps_in_sqrt = check_bool("eps_in_sqrt", eps_in_sqrt)
    centered = check_bool("centered", centered)
    initial_scale = check_float("initial_scale", initial_scale, lo=0.0)
    bias_correction = check_bool("bias_correction", bias_correction)
    if bias_correction and decay == 1.0:
        raise ValueError(f"decay must be < 1 when bias_correction=True, got {decay!r}")

    def init_fn(params):
        check_floating("scale_by_rms", params)
        nu = jax.tree.map(lambda p: jnp.full_like(p, initial_scale), params)
        if centered:
            return ScaleByRmsCenteredState(
                count=zero_count(), mu=jax.tree.map(jnp.zeros_like, params), nu=nu
            )
        return ScaleByRmsState(count=zero_count(), nu=nu)

    def update_fn(updates, state, params=None):
        del params
        check_state("scale_by_rms", state, ScaleByRmsCenteredState if centered else ScaleByRmsState)
        check_tree_match("scale_by_rms", updates, state.nu)
        count = safe_increment(state.count)
        mu_tree = state.mu if centered else state.nu  # placeholder tree when not centered

        @functools.cache
        def scalars(cdt):
            """Per-update scalars in ``cdt``, computed once per update (not per leaf)."""
            k = {
                "decay": const(decay, cdt),
                "1-decay": const(1 - decay, cdt),
                "eps": const(eps, cdt),
                "zero": const(0, cdt),
                # A zero denominator is only possible when eps vanishes in cdt.
                "guarded": not positive_in(eps, cdt),
            }
            if bias_correction:
                k["bc"] = _bias_correction(decay, count, cdt)
            return k

        def leaf(g, nu, mu):
            cdt = compute_dtype(g.dtype, nu.dtype, mu.dtype)
            k = scalars(cdt)
            g_c = cast(g, cdt)
            nu_new = lax.add(
                lax.mul(cast(nu, cdt), k["decay"]), lax.mul(lax.mul(g_c, g_c), k["1-decay"])
            )
            var = nu_new
            if bias_correction:
                var = lax.div(var, k["bc"])
            mu_store = mu
            if centered:
                mu_new = lax.add(lax.mul(cast(mu, cdt), k["decay"]), lax.mul(g_c, k["1-decay"]))
                mu_hat = lax.div(mu_new, k["bc"]) if bias_correction else mu_new
                var = lax.max(lax.sub(var, lax.mul(mu_hat, mu_hat)), k["zero"])
                mu_store = cast(mu_new, mu.dtype)
            if eps_in_sqrt:
                den = lax.sqrt(lax.add(var, k["eps"]) if eps != 0.0 else var)
            else:
                den = lax.sqrt(var)
                if eps != 0.0:
                    den = lax.add(den, k["eps"])
            out = divide(g_c, den, k["guarded"])
            return cast(out, g.dtype), cast(nu_new, nu.dtype), mu_store

        out, nu, mu = tree_map_multi(leaf, 3, updates, state.nu, mu_tree)
        if centered:
            return out, ScaleByRmsCenteredState(count=count, mu=mu, nu=nu)
        return out, ScaleByRmsState(count=count, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)
