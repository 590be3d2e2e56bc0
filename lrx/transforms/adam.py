"""``scale_by_adam``: Adam's bias-corrected moment ratio, with NAdam and AMSGrad variants.

Article 000 (1.3 Adam, 1.4 the Adam code example) and article 004 (3. Adam): the first
moment ``m_t`` chooses the direction and RMSprop's root of the second moment sets the size
of the step, giving article 000's summary update ``θ_{t+1} = θ_t − η_t / σ_t · m_t``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._counters import bias_correction as _bias_correction
from lrx._counters import safe_increment, zero_count
from lrx._dtypes import canonical_dtype, canonical_float_dtype, check_floating, real_dtype
from lrx._tree import check_update
from lrx._types import HyperOrSchedule
from lrx._validate import check_bool
from lrx.transforms._hyper import check_hyper, hyper_at
from lrx.transforms._moments import abs_sq, ema, init_moment, leafwise, over_root, unbias

__all__ = ["ScaleByAdamState", "ScaleByAmsgradState", "scale_by_adam"]


class ScaleByAdamState(NamedTuple):
    """State of :func:`scale_by_adam` (``amsgrad=False``).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        mu: ``m``, the EMA of the updates (``mu_dtype``; by default the params' dtype,
            float32 below 32 bits).
        nu: ``v``, the EMA of ``|g|²`` (real; ``nu_dtype``, by default the params' real
            dtype, float32 below 32 bits).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    mu: Any
    nu: Any


class ScaleByAmsgradState(NamedTuple):
    """State of :func:`scale_by_adam` (``amsgrad=True``).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        mu: ``m``, as in :class:`ScaleByAdamState`.
        nu: ``v``, as in :class:`ScaleByAdamState`.
        nu_max: the running maximum of the *uncorrected* ``v`` (torch's ``max_exp_avg_sq``).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    mu: Any
    nu: Any
    nu_max: Any


def scale_by_adam(
    b1: HyperOrSchedule = 0.9,
    b2: HyperOrSchedule = 0.999,
    eps: HyperOrSchedule = 1e-8,
    eps_root: HyperOrSchedule = 0.0,
    mu_dtype: Any = None,
    *,
    nesterov: bool = False,
    amsgrad: bool = False,
    bias_correction: bool = True,
    nu_dtype: Any = None,
) -> optax.GradientTransformation:
    r"""Adam scaling: ``m̂_t / (sqrt(v̂_t + eps_root) + eps)``.

    Formula (``t = 1, 2, ...``; ``|g|² = g · conj(g)`` is real)::

        m_t = b1 m_{t-1} + (1 − b1) g_t
        v_t = b2 v_{t-1} + (1 − b2) |g_t|²
        m̂_t = m_t / (1 − b1^t),   v̂_t = v_t / (1 − b2^t)     (bias_correction)
        output = m̂_t / (sqrt(v̂_t + eps_root) + eps)

    The defaults (``eps=1e-8`` outside the root) are the Adam paper's, the Adam code
    example of article 000 (1.4) and ``optax.scale_by_adam`` / ``torch.optim.Adam``;
    ``optax.scale_by_adam(*args)`` → ``lrx.scale_by_adam(*args)`` gives optax's numbers to
    float32 rounding (lrx's bias correction ``-expm1(t·log b)`` is the more exact one).
    ``eps=0, eps_root=ε`` is the Adam formula of article 004 (ε inside the root). Chain
    :func:`lrx.scale_by_learning_rate` for the learning rate (see :func:`lrx.adam`).

    Variants:
        * ``nesterov=True`` (NAdam, Dozat 2016) as ``optax.nadam``:
          ``m̂_t = b1 m_t / (1 − b1^{t+1}) + (1 − b1) g_t / (1 − b1^t)``.
        * ``amsgrad=True`` as ``torch.optim.Adam(amsgrad=True)``: ``v_max_t =
          max(v_max_{t-1}, v_t)`` of the *uncorrected* ``v``, then ``v̂_t = v_max_t /
          (1 − b2^t)``. (``optax.scale_by_amsgrad`` takes the max of the corrected ``v̂``.)
        * ``bias_correction=False`` uses ``m_t`` and ``v_t`` as they are.

    Dtypes: moments are computed in float32 or wider (complex for complex params) and
    stored in their state dtype; the output has the update's dtype. Complex parameters get
    a complex ``m`` and a real ``v``. Parameters below 32 bits keep float32 moments unless
    ``mu_dtype``/``nu_dtype`` say otherwise: 8 bytes of state per bfloat16 parameter
    instead of 4 (``mu_dtype=jnp.bfloat16`` halves ``m`` at a small cost in accuracy; a
    bfloat16 ``v`` stops growing near a quarter of its true value).

    Hyperparameters are data: ``b1``, ``b2``, ``eps``, ``eps_root`` may be concrete arrays
    or tracers (``jit``, ``vmap``, ``optax.inject_hyperparams``); a traced value is not
    range-checked and takes the general formula (``+ eps`` kept, division guarded).
    Each may also be a schedule (an :class:`lrx.Schedule` or a callable ``count -> value``),
    evaluated at the update index ``t - 1`` (the state's count before the update, as the
    learning rate) and not range-checked: the numbers of
    ``optax.inject_hyperparams(lrx.scale_by_adam)`` with that schedule. The bias correction
    then uses the current value, ``1 − b1_t^t`` (as ``inject_hyperparams`` does), not the
    product of the past ``1 − b1_s``.
    A zero denominator (only possible with ``eps = eps_root = 0`` and an all-zero history)
    gives a zero output; the guard is only emitted when it can happen.

    Args:
        b1: decay of the first moment, in ``[0, 1)`` (default 0.9).
        b2: decay of the second moment, in ``[0, 1)`` (default 0.999).
        eps: >= 0, added outside the root (default 1e-8).
        eps_root: >= 0, added inside the root (default 0.0).
        mu_dtype: dtype of ``m`` (real or complex), or ``None`` (default: the params'
            dtype, float32 below 32 bits). A real ``mu_dtype`` for complex params raises.
        nesterov: NAdam momentum (default ``False``).
        amsgrad: AMSGrad as torch (default ``False``).
        bias_correction: divide the moments by ``1 − b^t`` (default ``True``).
        nu_dtype: real dtype of ``v`` (and ``nu_max``), or ``None`` (default: the params'
            real dtype, float32 below 32 bits).

    Returns:
        A ``GradientTransformation`` with state :class:`ScaleByAdamState` or
        :class:`ScaleByAmsgradState`.

    References:
        Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
        Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop (NAdam).
        Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018 (AMSGrad).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.scale_by_adam(eps=0.0)
        >>> state = tx.init(jnp.zeros(2))
        >>> u, state = tx.update(jnp.array([0.5, -3.0]), state)  # first step: g / |g|
        >>> [round(x, 6) for x in u.tolist()]
        [1.0, -1.0]
    """
    hypers = {  # schedules stay schedules, evaluated per update
        "b1": check_hyper("b1", b1, lo=0.0, hi=1.0, hi_open=True),
        "b2": check_hyper("b2", b2, lo=0.0, hi=1.0, hi_open=True),
        "eps": check_hyper("eps", eps, lo=0.0),
        "eps_root": check_hyper("eps_root", eps_root, lo=0.0),
    }
    mu_dtype = canonical_dtype("mu_dtype", mu_dtype)
    nesterov = check_bool("nesterov", nesterov)
    amsgrad = check_bool("amsgrad", amsgrad)
    bias_correction = check_bool("bias_correction", bias_correction)
    nu_dtype = canonical_float_dtype("nu_dtype", nu_dtype)
    state_type = ScaleByAmsgradState if amsgrad else ScaleByAdamState

    def init_fn(params: optax.Params) -> Any:
        check_floating("scale_by_adam", params)
        mu = init_moment(params, mu_dtype, name="mu_dtype")
        nu = init_moment(params, nu_dtype, real=True)
        if amsgrad:
            nu_max = init_moment(params, nu_dtype, real=True)
            return ScaleByAmsgradState(count=zero_count(), mu=mu, nu=nu, nu_max=nu_max)
        return ScaleByAdamState(count=zero_count(), mu=mu, nu=nu)

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        check_update("scale_by_adam", updates, state, state_type, "nu")
        # schedules at this update's index (the count before the increment)
        b1, b2, eps, eps_root = (hyper_at(n, h, state.count) for n, h in hypers.items())
        count = safe_increment(state.count)

        def corrections(dtype: Any) -> Any:
            """``(1 − b1^t, 1 − b1^{t+1}, 1 − b2^t)``, or ``None``s without bias correction."""
            if not bias_correction:
                return None, None, None
            bc1_next = _bias_correction(b1, safe_increment(count), dtype) if nesterov else None
            bc2 = _bias_correction(b2, count, real_dtype(dtype))
            return _bias_correction(b1, count, dtype), bc1_next, bc2

        def leaf(bc: Any, g: Any, m: Any, v: Any, v_max: Any = None) -> tuple[Any, ...]:
            bc1, bc1_next, bc2 = bc
            m = ema(b1, m, g)
            v = ema(b2, v, abs_sq(g))
            # NAdam: b1 m_t / (1 − b1^{t+1}) + (1 − b1) g_t / (1 − b1^t)
            m_hat = ema(b1, unbias(m, bc1_next), unbias(g, bc1)) if nesterov else unbias(m, bc1)
            if not amsgrad:
                return over_root(m_hat, unbias(v, bc2), eps, eps_root), m, v
            v_max = jnp.maximum(v_max, v)
            return over_root(m_hat, unbias(v_max, bc2), eps, eps_root), m, v, v_max

        moments = (state.mu, state.nu, state.nu_max) if amsgrad else (state.mu, state.nu)
        out, *new_moments = leafwise(leaf, updates, *moments, scalars=corrections)
        return out, state_type(count, *new_moments)

    return optax.GradientTransformation(init_fn, update_fn)
