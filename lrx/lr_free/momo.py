"""``momo`` and ``momo_adam``: model-based momentum, a Polyak-type step size from the loss.

MoMo (Schaipp, Ohana, Eickenberg, Defazio and Gower 2024) averages gradients, the loss and
``<g, x>`` with momentum, builds a model of the loss that is bounded below by ``lb``, and
takes the step ``τ`` that minimises it, capped by the learning rate. Both equal the authors'
``momo-opt`` package (``Momo`` / ``MomoAdam``, version 0.1.0) step for step, the whole
parameter tree being one torch parameter group. They read the loss:
``update(grads, state, params, value=loss)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._counters import bias_correction as _bias_correction
from lrx._counters import safe_increment, zero_count
from lrx._dtypes import compute_dtype, real_dtype, state_dtype, to_output
from lrx._tree import check_state, check_tree_match, tree_map_multi
from lrx._types import ScalarOrSchedule
from lrx._validate import check_bool, check_float, is_traced, static_value
from lrx.lr_free._common import check_real_params
from lrx.schedules._base import as_schedule_fn
from lrx.transforms._reduce import global_sum

__all__ = ["MomoAdamState", "MomoState", "momo", "momo_adam"]


class MomoState(NamedTuple):
    """State of :func:`momo` (the authors' names).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        grad_avg: ``d``, the momentum average of the gradients (mirrors params).
        grad_dot_w: ``γ``, the momentum average of ``<g, x>`` (a scalar; the sum of the
            authors' per-tensor averages).
        loss_avg: ``f̄``, the momentum average of the loss.
        lb: the loss lower bound in use (the authors' ``fstar`` with ``use_fstar``; the
            ``lb`` hyperparameter otherwise).
        tau: ``τ``, the step size the last update applied (0 before the first update).

    The scalars are in the params' widest float dtype (float32 at least).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    grad_avg: Any
    grad_dot_w: jax.Array
    loss_avg: jax.Array
    lb: jax.Array
    tau: jax.Array

    def lrx_learning_rate(self, upcoming: bool) -> jax.Array:
        """``τ`` of the last update. The next one depends on the next loss and gradient, so
        ``upcoming`` also reads the last ``τ``."""
        del upcoming
        return self.tau


class MomoAdamState(NamedTuple):
    """State of :func:`momo_adam`: :class:`MomoState` plus Adam's second moment.

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        grad_avg: ``m``, the EMA of the gradients (mirrors params).
        grad_avg_sq: ``v``, the EMA of the squared gradients (mirrors params).
        grad_dot_w: ``γ``, the EMA of ``<g, x>`` (a scalar).
        loss_avg: ``f̄``, the EMA of the loss.
        lb: the loss lower bound in use.
        tau: ``τ``, the step size the last update applied (0 before the first update).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    grad_avg: Any
    grad_avg_sq: Any
    grad_dot_w: jax.Array
    loss_avg: jax.Array
    lb: jax.Array
    tau: jax.Array

    def lrx_learning_rate(self, upcoming: bool) -> jax.Array:
        """``τ`` of the last update (also for ``upcoming``: the next ``τ`` needs the next
        loss)."""
        del upcoming
        return self.tau


def _as_rate(learning_rate: ScalarOrSchedule) -> Callable[[jax.Array], Any]:
    """``count -> rate``; a Python number stays a Python number (exact in float64)."""
    if isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool):
        value = check_float("learning_rate", learning_rate, lo=0.0)
        return lambda count: value
    return as_schedule_fn(learning_rate)


def _operand(value: Any, dtype: Any) -> Any:
    """A hyperparameter as an operand of ``dtype``: Python numbers stay weak."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return jnp.asarray(value).astype(dtype)


def _is_zero(value: Any) -> bool:
    return not is_traced(value) and static_value(value) == 0


def _check_params(name: str, params: Any) -> Any:
    """Reject complex leaves; return the dtype of the scalar estimates."""
    check_real_params(name, params)
    leaves = jax.tree.leaves(params)
    return compute_dtype(*(real_dtype(p.dtype) for p in leaves))


def _loss(name: str, value: Any, dtype: Any) -> jax.Array:
    if value is None:
        raise ValueError(
            f"{name} reads the loss: call update(grads, state, params, value=loss) with the "
            "loss of the batch the gradients come from"
        )
    loss = jnp.asarray(value)
    if loss.ndim != 0:
        raise ValueError(f"{name}: value must be a scalar loss, got shape {loss.shape}")
    return loss.astype(dtype)


def _pick_min(a: Any, b: jax.Array) -> jax.Array:
    """Python's ``min(a, b)``: ``b`` where ``b < a``, else ``a`` (so a NaN ``b`` gives ``a``)."""
    return jnp.where(b < a, b, a)


def _pick_max(a: jax.Array, b: Any) -> jax.Array:
    """Python's ``max(a, b)``: ``b`` where ``b > a``, else ``a``."""
    return jnp.where(b > a, b, a)


def _step_size(
    *,
    lr: Any,
    fac: Any,
    rho: Any,
    loss_avg: jax.Array,
    dot: jax.Array,
    gamma: jax.Array,
    norm: jax.Array,
    lb_state: jax.Array,
    lb0: Any,
    use_fstar: bool,
) -> tuple[jax.Array, jax.Array]:
    """MoMo's ``τ`` and the new lower bound, in the authors' order of operations."""
    if use_fstar:
        cap = fac * loss_avg + dot - fac * gamma
        reset = _pick_max(cap / (2 * fac * rho), lb0)
        lb = jnp.where(cap < fac * rho * lb_state, reset, lb_state)
    else:
        lb = jnp.full_like(loss_avg, lb0)
    nom = fac * (loss_avg - rho * lb) + dot - fac * gamma
    t1 = jnp.maximum(nom, jnp.zeros_like(nom)) / norm
    tau = _pick_min(lr / rho, t1)
    if use_fstar:
        h = loss_avg + dot - gamma
        lb = _pick_max((h - 0.5 * tau * norm) / rho, lb0)
    return tau, lb


def momo(
    learning_rate: ScalarOrSchedule = 1.0,
    beta: jax.typing.ArrayLike = 0.9,
    lb: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    *,
    bias_correction: bool = False,
    use_fstar: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""MoMo: momentum SGD whose step size comes from a model of the loss.

    Formula (``k = 1, 2, ...``; ``f_k`` the loss, ``g_k`` its gradient at ``x_k``, ``λ`` the
    weight decay, ``ρ_k = 1 − beta^k`` with ``bias_correction`` else 1)::

        d_k = beta d_{k-1} + (1 − beta) g_k
        γ_k = beta γ_{k-1} + (1 − beta) <g_k, x_k>
        f̄_k = beta f̄_{k-1} + (1 − beta) f_k
        (without bias correction d_0 = g_1, γ_0 = <g_1, x_1>, f̄_0 = f_1; with it all 0)
        c = 1 + learning_rate(k−1) · λ
        τ_k = min(lr / ρ_k, max(0, c (f̄_k − ρ_k lb) + <d_k, x_k> − c γ_k) / ‖d_k‖²)
        x_{k+1} = (x_k − τ_k d_k) / c

    Equal to ``momo.Momo`` of the authors' package ``momo-opt`` 0.1.0 with the whole tree as
    one parameter group, defaults included. The weight decay is the authors' proximal step:
    the division by ``1 + lr·λ`` comes after the gradient step, and ``λ`` also enters ``τ``
    (optax.contrib.momo decays first). With ``use_fstar`` the lower bound is estimated
    online as the authors do: reset to ``max(cap / (2 c ρ), lb)`` when the model's value
    ``cap = c f̄ + <d, x> − c γ`` falls below ``c ρ lb_k``, and after the step set to
    ``max((f̄ + <d, x> − γ − τ ‖d‖² / 2) / ρ, lb)``.

    :func:`lrx.learning_rate` reads ``τ`` (the state's ``tau``), the step size applied.

    Hyperparameters are data: ``learning_rate`` (also an :class:`lrx.Schedule` or a callable
    of the count), ``beta``, ``lb``, ``weight_decay`` may be arrays or tracers (``jit``,
    ``vmap``, ``optax.inject_hyperparams``); ``bias_correction`` and ``use_fstar`` are static.
    ``update`` needs ``params`` and the loss as ``value``. Complex parameters raise
    ``ValueError``.

    References:
        Schaipp, Ohana, Eickenberg, Defazio, Gower, "MoMo: Momentum Models for Adaptive
        Learning Rates", ICML 2024 (arXiv:2305.07583).

    Args:
        learning_rate: the cap on ``τ`` (default 1.0), >= 0.
        beta: momentum, in ``[0, 1]`` (default 0.9).
        lb: a lower bound of the loss (default 0).
        weight_decay: ``λ`` >= 0 (default 0).
        bias_correction: average from 0 with ``ρ_k`` (default ``False``).
        use_fstar: estimate the lower bound online (default ``False``).

    Returns:
        A ``GradientTransformationExtraArgs`` with state :class:`MomoState`.

    Example:
        >>> import jax, jax.numpy as jnp, lrx
        >>> loss_fn = lambda x: 0.5 * jnp.sum(x**2)
        >>> x = jnp.array([3.0, 4.0])
        >>> tx = lrx.momo()
        >>> state = tx.init(x)
        >>> loss, g = jax.value_and_grad(loss_fn)(x)
        >>> u, state = tx.update(g, state, x, value=loss)  # τ = f / ‖g‖² = 0.5 (Polyak)
        >>> float(lrx.learning_rate(state)), [round(v, 6) for v in (x + u).tolist()]
        (0.5, [1.5, 2.0])
    """
    rate = _as_rate(learning_rate)
    beta = check_float("beta", beta, lo=0.0, hi=1.0)
    lb = check_float("lb", lb, finite_in=None)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    bias_correction = check_bool("bias_correction", bias_correction)
    use_fstar = check_bool("use_fstar", use_fstar)
    decay = not _is_zero(weight_decay)

    def init_fn(params: optax.Params) -> MomoState:
        dt = _check_params("momo", params)
        return MomoState(
            count=zero_count(),
            grad_avg=jax.tree.map(lambda p: jnp.zeros_like(p, dtype=state_dtype(p.dtype)), params),
            grad_dot_w=jnp.zeros([], dt),
            loss_avg=jnp.zeros([], dt),
            lb=jnp.full([], _operand(lb, dt), dt),
            tau=jnp.zeros([], dt),
        )

    def update_fn(
        updates: optax.Updates,
        state: MomoState,
        params: optax.Params | None = None,
        *,
        value: Any = None,
        **extra_args: Any,
    ) -> tuple[optax.Updates, MomoState]:
        del extra_args
        check_state("momo", state, MomoState)
        if params is None:
            raise ValueError("momo: update needs params (the model uses <d, x>)")
        check_tree_match("momo", updates, params)
        dt = state.loss_avg.dtype
        loss = _loss("momo", value, dt)
        first = state.count == 0
        b = _operand(beta, dt)
        k = safe_increment(state.count)
        rho = _bias_correction(beta, k, dt) if bias_correction else 1.0

        def avg(prev: jax.Array, new: jax.Array, bb: Any) -> jax.Array:
            if not bias_correction:  # the authors start the averages at the first value
                prev = jnp.where(first, new, prev)
            out: jax.Array = bb * prev + (1 - bb) * new
            return out

        def leaf(g: jax.Array, p: jax.Array, d: jax.Array) -> tuple[jax.Array, ...]:
            cd = compute_dtype(g.dtype, p.dtype, d.dtype)
            d_new = avg(d.astype(cd), g.astype(cd), _operand(beta, cd))
            return (d_new,)

        (d,) = tree_map_multi(leaf, 1, updates, params, state.grad_avg)

        def pdot(x: jax.Array, y: jax.Array) -> jax.Array:
            return x.astype(dt) * y.astype(dt)

        gdw = global_sum(pdot, params, updates, dtype=dt)
        loss_avg = avg(state.loss_avg, loss, b)
        gamma = avg(state.grad_dot_w, gdw, b)
        dot = global_sum(pdot, params, d, dtype=dt)
        norm = global_sum(lambda x: x.astype(dt) * x.astype(dt), d, dtype=dt)
        lr = _operand(rate(state.count), dt)
        fac = 1 + lr * _operand(weight_decay, dt) if decay else 1.0
        tau, lb_new = _step_size(
            lr=lr,
            fac=fac,
            rho=rho,
            loss_avg=loss_avg,
            dot=dot,
            gamma=gamma,
            norm=norm,
            lb_state=state.lb,
            lb0=_operand(lb, dt),
            use_fstar=use_fstar,
        )

        def out_leaf(u: jax.Array, p: jax.Array, di: jax.Array) -> jax.Array:
            t = tau.astype(di.dtype)
            if not decay:
                return to_output(-t * di, u.dtype)
            # (x − τ d) / c − x, written so that no difference of near-equal x is formed
            cd = di.dtype
            shrink = jnp.asarray(lr * _operand(weight_decay, dt)).astype(cd)
            step = (-shrink * p.astype(cd) - t * di) / jnp.asarray(fac).astype(cd)
            return to_output(step, u.dtype)

        out = jax.tree.map(out_leaf, updates, params, d)
        grad_avg = jax.tree.map(lambda di, s: di.astype(s.dtype), d, state.grad_avg)
        new = MomoState(
            count=k,
            grad_avg=grad_avg,
            grad_dot_w=gamma.astype(dt),
            loss_avg=loss_avg.astype(dt),
            lb=lb_new.astype(dt),
            tau=tau.astype(dt),
        )
        return out, new

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def momo_adam(
    learning_rate: ScalarOrSchedule = 1e-2,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    lb: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    *,
    divide: bool = True,
    use_fstar: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""MoMo-Adam: Adam's preconditioned momentum with MoMo's model-based step size.

    Formula (``k = 1, 2, ...``; all averages start at 0; ``λ`` the weight decay)::

        m_k = b1 m_{k-1} + (1 − b1) g_k,   v_k = b2 v_{k-1} + (1 − b2) g_k²
        γ_k = b1 γ_{k-1} + (1 − b1) <g_k, x_k>,   f̄_k = (1 − b1) f_k + b1 f̄_{k-1}
        D_k = sqrt(v_k / (1 − b2^k)) + eps,       ρ_k = 1 − b1^k
        c = 1 + learning_rate(k−1) · λ
        τ_k = min(lr / ρ_k, max(0, c (f̄_k − ρ_k lb) + <m_k, x_k> − c γ_k) / <m_k, m_k / D_k>)
        x_{k+1} = (x_k − τ_k m_k / D_k) / c                 (divide=True: proximal decay)
        x_{k+1} = x_k (1 − lr λ) − τ_k m_k / D_k            (divide=False: AdamW-style)

    Equal to ``momo.MomoAdam`` of ``momo-opt`` 0.1.0 with the whole tree as one parameter
    group, defaults included (``learning_rate=1e-2``). ``use_fstar`` estimates the lower
    bound online as in :func:`momo`, with ``ρ_k = 1 − b1^k``.

    :func:`lrx.learning_rate` reads ``τ`` (the state's ``tau``), the step size applied.

    Hyperparameters are data: ``learning_rate`` (also a schedule), ``b1``, ``b2``, ``eps``,
    ``lb``, ``weight_decay`` may be arrays or tracers; ``divide`` and ``use_fstar`` are
    static. ``update`` needs ``params`` and the loss as ``value``. Complex parameters raise
    ``ValueError``.

    References:
        Schaipp, Ohana, Eickenberg, Defazio, Gower, "MoMo: Momentum Models for Adaptive
        Learning Rates", ICML 2024 (arXiv:2305.07583).

    Args:
        learning_rate: the cap on ``τ ρ_k`` (default 1e-2), >= 0.
        b1: first-moment decay, in ``[0, 1)`` (default 0.9).
        b2: second-moment decay, in ``[0, 1)`` (default 0.999).
        eps: >= 0, added to ``D_k`` (default 1e-8).
        lb: a lower bound of the loss (default 0).
        weight_decay: ``λ`` >= 0 (default 0).
        divide: proximal weight decay (default ``True``) or AdamW-style (``False``).
        use_fstar: estimate the lower bound online (default ``False``).

    Returns:
        A ``GradientTransformationExtraArgs`` with state :class:`MomoAdamState`.

    Example:
        >>> import jax, jax.numpy as jnp, lrx
        >>> loss_fn = lambda x: 0.5 * jnp.sum(x**2)
        >>> x = jnp.array([3.0, 4.0])
        >>> tx = lrx.momo_adam()
        >>> state = tx.init(x)
        >>> loss, g = jax.value_and_grad(loss_fn)(x)
        >>> u, state = tx.update(g, state, x, value=loss)
        >>> round(float(lrx.learning_rate(state)), 6)  # capped: lr / (1 − b1)
        0.1
    """
    rate = _as_rate(learning_rate)
    b1 = check_float("b1", b1, lo=0.0, hi=1.0, hi_open=True)
    b2 = check_float("b2", b2, lo=0.0, hi=1.0, hi_open=True)
    eps = check_float("eps", eps, lo=0.0)
    lb = check_float("lb", lb, finite_in=None)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    divide = check_bool("divide", divide)
    use_fstar = check_bool("use_fstar", use_fstar)
    decay = not _is_zero(weight_decay)

    def init_fn(params: optax.Params) -> MomoAdamState:
        dt = _check_params("momo_adam", params)

        def zeros(p: jax.Array) -> jax.Array:
            return jnp.zeros_like(p, dtype=state_dtype(p.dtype))

        return MomoAdamState(
            count=zero_count(),
            grad_avg=jax.tree.map(zeros, params),
            grad_avg_sq=jax.tree.map(zeros, params),
            grad_dot_w=jnp.zeros([], dt),
            loss_avg=jnp.zeros([], dt),
            lb=jnp.full([], _operand(lb, dt), dt),
            tau=jnp.zeros([], dt),
        )

    def update_fn(
        updates: optax.Updates,
        state: MomoAdamState,
        params: optax.Params | None = None,
        *,
        value: Any = None,
        **extra_args: Any,
    ) -> tuple[optax.Updates, MomoAdamState]:
        del extra_args
        check_state("momo_adam", state, MomoAdamState)
        if params is None:
            raise ValueError("momo_adam: update needs params (the model uses <m, x>)")
        check_tree_match("momo_adam", updates, params)
        dt = state.loss_avg.dtype
        loss = _loss("momo_adam", value, dt)
        k = safe_increment(state.count)
        bc1 = _bias_correction(b1, k, dt)

        def leaf(g: jax.Array, p: jax.Array, m: jax.Array, v: jax.Array) -> tuple[jax.Array, ...]:
            cd = compute_dtype(g.dtype, p.dtype, m.dtype, v.dtype)
            gc = g.astype(cd)
            m = _operand(b1, cd) * m.astype(cd) + (1 - _operand(b1, cd)) * gc
            v = _operand(b2, cd) * v.astype(cd) + (1 - _operand(b2, cd)) * (gc * gc)
            Dk = jnp.sqrt(v / _bias_correction(b2, k, cd)) + _operand(eps, cd)
            return m, v, m / Dk

        m, v, step = tree_map_multi(leaf, 3, updates, params, state.grad_avg, state.grad_avg_sq)

        def pdot(x: jax.Array, y: jax.Array) -> jax.Array:
            return x.astype(dt) * y.astype(dt)

        gdw = global_sum(pdot, params, updates, dtype=dt)
        bb = _operand(b1, dt)
        gamma = bb * state.grad_dot_w + (1 - bb) * gdw
        loss_avg = (1 - bb) * loss + bb * state.loss_avg
        dot = global_sum(pdot, params, m, dtype=dt)
        norm = global_sum(pdot, m, step, dtype=dt)
        lr = _operand(rate(state.count), dt)
        wd = _operand(weight_decay, dt)
        fac = 1 + lr * wd if decay else 1.0
        tau, lb_new = _step_size(
            lr=lr,
            fac=fac,
            rho=bc1,
            loss_avg=loss_avg,
            dot=dot,
            gamma=gamma,
            norm=norm,
            lb_state=state.lb,
            lb0=_operand(lb, dt),
            use_fstar=use_fstar,
        )

        def out_leaf(u: jax.Array, p: jax.Array, s: jax.Array) -> jax.Array:
            cd = s.dtype
            t = tau.astype(cd)
            if not decay:
                return to_output(-t * s, u.dtype)
            # x (1 − lr λ) − τ s − x, or (x − τ s) / c − x, without differences of near-equal x
            step = -jnp.asarray(lr * wd).astype(cd) * p.astype(cd) - t * s
            if divide:
                step = step / jnp.asarray(fac).astype(cd)
            return to_output(step, u.dtype)

        out = jax.tree.map(out_leaf, updates, params, step)
        cast = jax.tree.map(lambda x, s: x.astype(s.dtype), m, state.grad_avg)
        cast_sq = jax.tree.map(lambda x, s: x.astype(s.dtype), v, state.grad_avg_sq)
        new = MomoAdamState(
            count=k,
            grad_avg=cast,
            grad_avg_sq=cast_sq,
            grad_dot_w=gamma.astype(dt),
            loss_avg=loss_avg.astype(dt),
            lb=lb_new.astype(dt),
            tau=tau.astype(dt),
        )
        return out, new

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
