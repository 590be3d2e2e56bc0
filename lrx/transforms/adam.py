"""``scale_by_adam``: Adam's bias-corrected moment ratio, with NAdam and AMSGrad variants.

Article 000_dbe525d0cf299df4.txt (1.3 Adam, 1.4 实战) and article 004_7dc5a075b1dee1ce.txt
(3. Adam): momentum ``m_t`` steers the direction and RMSprop's ``σ_t`` sets the step
("动量掌控方向盘,RMSProp负责前进迈的步子有多大"), giving the summary update
``θ_{t+1} = θ_t − η_t / σ_t · m_t`` of article 000.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._numerics import bias_correction as _bias_correction
from lrx._numerics import (
    canonical_float_dtype,
    check_floating,
    check_state,
    check_tree_match,
    compute_dtype,
    safe_div,
    safe_increment,
    tree_map_multi,
    zero_count,
)
from lrx._validate import check_bool, check_float

__all__ = ["ScaleByAdamState", "ScaleByAmsgradState", "scale_by_adam"]


class ScaleByAdamState(NamedTuple):
    """State of :func:`scale_by_adam` (``amsgrad=False``).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        mu: ``m``, the EMA of the updates (dtype ``mu_dtype`` or the params').
        nu: ``v``, the EMA of the squared updates (the params' dtype).
    """

    count: jax.Array
    mu: Any
    nu: Any


class ScaleByAmsgradState(NamedTuple):
    """State of :func:`scale_by_adam` (``amsgrad=True``).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        mu: ``m``, the EMA of the updates (dtype ``mu_dtype`` or the params').
        nu: ``v``, the EMA of the squared updates (the params' dtype).
        nu_max: the running maximum of the *uncorrected* ``v`` (torch's ``max_exp_avg_sq``).
    """

    count: jax.Array
    mu: Any
    nu: Any
    nu_max: Any


def scale_by_adam(
    b1: float = 0.9,
    b2: float = 0.999,
    *,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    bias_correction: bool = True,
    nesterov: bool = False,
    amsgrad: bool = False,
    mu_dtype: Any = None,
) -> optax.GradientTransformation:
    r"""Adam scaling: ``m̂_t / (sqrt(v̂_t + eps_root) + eps)``.

    Formula (``t = 1, 2, ...``)::

        m_t = β1 m_{t-1} + (1 − β1) g_t
        v_t = β2 v_{t-1} + (1 − β2) g_t ⊙ g_t
        m̂_t = m_t / (1 − β1^t),   v̂_t = v_t / (1 − β2^t)     (bias_correction)
        output = m̂_t / (sqrt(v̂_t + eps_root) + eps)

    The defaults (``eps=1e-8`` outside the root) are the Adam paper's and the
    ``AdamOptimizer`` class of article 000_dbe525d0cf299df4.txt (1.4 实战:
    ``m_hat / (np.sqrt(v_hat) + epsilon)``), which is also ``optax.scale_by_adam`` and
    ``torch.optim.Adam``. ``eps=0, eps_root=ε`` is the Adam formula of article
    004_7dc5a075b1dee1ce.txt (``θ_{t+1} = θ_t − η m̂_t / sqrt(v̂_t + ε)``). Article 000's
    summary ``θ_{t+1} = θ_t − η_t / σ_t · m_t`` is this with ``σ_t = sqrt(v̂_t)`` and the
    bias correction folded in; chain :func:`lrx.scale_by_learning_rate` for ``η_t`` (see
    :func:`lrx.adam`).

    Variants:
        * ``nesterov=True`` (NAdam, Dozat 2016) uses optax's formulation
          ``m̂_t = β1 m_t / (1 − β1^{t+1}) + (1 − β1) g_t / (1 − β1^t)``
          (without Dozat's extra momentum schedule); it equals ``optax.nadam``.
        * ``amsgrad=True`` as ``torch.optim.Adam(amsgrad=True)``: ``v_max_t =
          max(v_max_{t-1}, v_t)`` of the *uncorrected* ``v``, then ``v̂_t = v_max_t /
          (1 − β2^t)``. (``optax.scale_by_amsgrad`` takes the max of the corrected ``v̂``.)
        * ``bias_correction=False`` uses ``m_t`` and ``v_t`` as they are.

    Moments are updated in float32 (float64 for float64 states) and stored in the state
    dtype; the output has the update's dtype. A zero denominator (only with
    ``eps = eps_root = 0`` and an all-zero history) gives a zero output.

    Args:
        b1: ``β1``, in ``[0, 1)`` (default 0.9).
        b2: ``β2``, in ``[0, 1)`` (default 0.999).
        eps: >= 0, added outside the root (default 1e-8).
        eps_root: >= 0, added inside the root (default 0.0).
        bias_correction: divide the moments by ``1 − β^t`` (default ``True``).
        nesterov: NAdam momentum (default ``False``).
        amsgrad: AMSGrad as torch (default ``False``).
        mu_dtype: dtype of ``m`` (e.g. ``jnp.bfloat16`` to halve its memory), or ``None``
            for the params' dtype (default).

    Returns:
        A ``GradientTransformation`` with state :class:`ScaleByAdamState` or
        :class:`ScaleByAmsgradState`.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.scale_by_adam(eps=0.0)
        >>> state = tx.init(jnp.zeros(2))
        >>> u, state = tx.update(jnp.array([0.5, -3.0]), state)  # first step: g / |g|
        >>> [round(x, 6) for x in u.tolist()]
        [1.0, -1.0]
    """
    b1 = check_float("b1", b1, lo=0.0, hi=1.0, hi_open=True)
    b2 = check_float("b2", b2, lo=0.0, hi=1.0, hi_open=True)
    eps = check_float("eps", eps, lo=0.0)
    eps_root = check_float("eps_root", eps_root, lo=0.0)
    bias_correction = check_bool("bias_correction", bias_correction)
    nesterov = check_bool("nesterov", nesterov)
    amsgrad = check_bool("amsgrad", amsgrad)
    mu_dtype = canonical_float_dtype("mu_dtype", mu_dtype)

    def init_fn(params):
        check_floating("scale_by_adam", params)
        if mu_dtype is None:
            mu = jax.tree.map(jnp.zeros_like, params)
        else:
            dt = jax.dtypes.canonicalize_dtype(mu_dtype)
            mu = jax.tree.map(lambda p: jnp.zeros_like(p, dtype=dt), params)
        nu = jax.tree.map(jnp.zeros_like, params)
        if amsgrad:
            return ScaleByAmsgradState(
                count=zero_count(), mu=mu, nu=nu, nu_max=jax.tree.map(jnp.zeros_like, params)
            )
        return ScaleByAdamState(count=zero_count(), mu=mu, nu=nu)

    def update_fn(updates, state, params=None):
        del params
        check_state("scale_by_adam", state, ScaleByAmsgradState if amsgrad else ScaleByAdamState)
        check_tree_match("scale_by_adam", updates, state.nu)
        count = safe_increment(state.count)
        nu_max_tree = state.nu_max if amsgrad else state.nu  # placeholder when not amsgrad

        def leaf(g, m, v, v_max):
            cdt = compute_dtype(g.dtype, m.dtype, v.dtype)
            g_c = g.astype(cdt)
            m_new = b1 * m.astype(cdt) + (1 - b1) * g_c
            v_new = b2 * v.astype(cdt) + (1 - b2) * (g_c * g_c)
            if bias_correction:
                bc1 = _bias_correction(b1, count, cdt)
                bc2 = _bias_correction(b2, count, cdt)
            else:
                bc1 = bc2 = jnp.ones([], cdt)
            if nesterov:
                bc1_next = (
                    _bias_correction(b1, safe_increment(count), cdt) if bias_correction else bc1
                )
                m_hat = b1 * m_new / bc1_next + (1 - b1) * g_c / bc1
            else:
                m_hat = m_new / bc1
            if amsgrad:
                v_max_new = jnp.maximum(v_max.astype(cdt), v_new)
                v_hat = v_max_new / bc2
                v_max_store = v_max_new.astype(v_max.dtype)
            else:
                v_hat = v_new / bc2
                v_max_store = v_max
            out = safe_div(m_hat, jnp.sqrt(v_hat + eps_root) + eps).astype(g.dtype)
            return out, m_new.astype(m.dtype), v_new.astype(v.dtype), v_max_store

        out, mu, nu, nu_max = tree_map_multi(leaf, 4, updates, state.mu, state.nu, nu_max_tree)
        if amsgrad:
            return out, ScaleByAmsgradState(count=count, mu=mu, nu=nu, nu_max=nu_max)
        return out, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)
