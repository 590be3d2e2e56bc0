"""D-Adaptation: ``dadapt_adam``, ``dadapt_sgd``, ``dadapt_adagrad``.

Equal step for step to the authors' PyTorch package (dadaptation 3.2: ``DAdaptAdam``,
``DAdaptSGD``, ``DAdaptAdaGrad``), the whole parameter tree being one torch parameter group.
As in :mod:`lrx.lr_free.prodigy`, the scalars the authors keep as Python floats are float64
for float64 parameters and float32 otherwise; per-tensor state follows the parameters'
dtype (float32 below 32 bits).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._counters import safe_increment
from lrx._dtypes import compute_dtype, const, state_dtype, to_output
from lrx._tree import check_state, check_tree_match
from lrx._types import Hyper, ScalarOrSchedule
from lrx._validate import check_bool, check_float, is_traced, static_value
from lrx.lr_free._common import (
    adam_bias_correction,
    after,
    as_operand,
    check_lr,
    check_positive_or_inf,
    lr_at,
    one_minus,
    params_required,
    start_estimate,
)
from lrx.transforms._reduce import global_sum

__all__ = [
    "DAdaptAdaGradState",
    "DAdaptAdamState",
    "DAdaptSGDState",
    "dadapt_adagrad",
    "dadapt_adam",
    "dadapt_sgd",
]


def _moment(p: Any, fill: Hyper = 0.0) -> Any:
    return jnp.full_like(p, fill, dtype=state_dtype(p.dtype))


def _flat(tree: Any, treedef: Any) -> list[Any]:
    return list(treedef.flatten_up_to(tree))


def _store(treedef: Any, trees: list[Any], like: Any) -> Any:
    olds = treedef.flatten_up_to(like)
    return treedef.unflatten([t.astype(o.dtype) for t, o in zip(trees, olds, strict=True)])


# --- D-Adapt Adam --------------------------------------------------------------------------


class DAdaptAdamState(NamedTuple):
    """State of :func:`dadapt_adam` (the authors' names where they have one).

    Attributes:
        count: int32, calls to ``update`` (the step at which ``learning_rate`` is evaluated).
        k: int32, the authors' ``k`` (steps that moved the parameters).
        d: the estimate ``d`` (float64 for float64 params, else float32).
        numerator_weighted: the authors' EMA of ``dlr ⟨g, s / (sqrt(v) + eps)⟩``.
        dlr: the rate ``d · lr · bias_correction`` the last update applied (before any
            update: the one the first update will apply).
        next_dlr: the rate the next update will apply.
        exp_avg: EMA of ``dlr · g`` (the rate is folded into it, as the authors).
        exp_avg_sq: EMA of ``g²``.
        s: EMA (decay ``sqrt(b2)``) of ``dlr · g``.
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    k: jax.Array
    d: jax.Array
    numerator_weighted: jax.Array
    dlr: jax.Array
    next_dlr: jax.Array
    exp_avg: Any
    exp_avg_sq: Any
    s: Any

    def lrx_learning_rate(self, upcoming: bool) -> jax.Array:
        """``d · lr · bias_correction``: the rate of the last update (or the next one)."""
        return self.next_dlr if upcoming else self.dlr


def dadapt_adam(
    learning_rate: ScalarOrSchedule = 1.0,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    *,
    decouple: bool = False,
    use_bias_correction: bool = False,
    d0: jax.typing.ArrayLike = 1e-6,
    growth_rate: jax.typing.ArrayLike = math.inf,
) -> optax.GradientTransformation:
    r"""D-Adapt Adam (Defazio & Mishchenko): Adam with the D-Adaptation step size ``d``.

    Formula of dadaptation 3.2's ``DAdaptAdam`` (one parameter group, ``layer_scale = 1``;
    ``lr_k = learning_rate(count)``, ``β = sqrt(b2)``)::

        g    = g + weight_decay x                      (decouple=False, the default)
        bc   = sqrt(1 − b2^(k+1)) / (1 − b1^(k+1))     (use_bias_correction, else 1)
        dlr  = d lr_k bc
        a    = dlr ⟨g, s / (sqrt(v) + eps)⟩            (old s and v)
        m    = b1 m + dlr (1 − b1) g
        v    = b2 v + (1 − b2) g²
        s    = β s + dlr (1 − β) g
        numerator_weighted = β numerator_weighted + (1 − β) a
        d_hat = numerator_weighted / ((1 − β) ‖s‖₁)
        d    = max(d, min(d_hat, d growth_rate))
        x    = x − weight_decay dlr x                  (decouple=True)
        x    = x − m / (sqrt(v) + eps)

    ``‖s‖₁ = 0`` (``learning_rate = 0`` or no gradient yet) makes a call a no-op, as the
    authors' early return. Defaults are the authors': L2 weight decay (``decouple=False``)
    and no bias correction, unlike ``optax.contrib.dadapt_adamw``.
    :func:`lrx.learning_rate` reports ``dlr = d · lr · bc``.

    Complex parameters raise ``ValueError`` (the authors define no complex version).

    References:
        Defazio & Mishchenko, "Learning-Rate-Free Learning by D-Adaptation" (ICML 2023,
        arXiv:2301.07733); dadaptation 3.2.

    Args:
        learning_rate: multiplier of the estimated rate (float >= 0, array, schedule or
            callable of the step count), default 1.0.
        b1: first-moment decay (default 0.9).
        b2: second-moment decay (default 0.999).
        eps: added to ``sqrt(v)`` (default 1e-8).
        weight_decay: default 0.0.
        decouple: AdamW-style decoupled decay (default ``False``: L2 added to g).
        use_bias_correction: Adam's bias correction in the rate (default ``False``).
        d0: initial estimate (default 1e-6).
        growth_rate: largest factor ``d`` may grow by per step (default ``inf``).

    Returns:
        A ``GradientTransformation`` with state :class:`DAdaptAdamState`; ``update`` needs
        ``params``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.dadapt_adam()
        >>> params = jnp.array([1.0, -2.0])
        >>> state = tx.init(params)
        >>> for _ in range(3):
        ...     u, state = tx.update(params, state, params)
        ...     params = params + u
        >>> float(state.d) > 1e-6
        True
    """
    lr_fn = check_lr(learning_rate)
    b1 = check_float("b1", b1, lo=0.0, hi=1.0, hi_open=True)
    b2 = check_float("b2", b2, lo=0.0, hi=1.0, hi_open=True)
    eps = check_float("eps", eps, lo=0.0)
    weight_decay = check_float("weight_decay", weight_decay)
    decouple = check_bool("decouple", decouple)
    use_bias_correction = check_bool("use_bias_correction", use_bias_correction)
    d0 = check_float("d0", d0, lo=0.0, lo_open=True, finite_in=None)
    growth_rate = check_positive_or_inf("growth_rate", growth_rate)
    decay_static = static_value(weight_decay)

    def sqrt_b2(sdt: Any) -> tuple[Any, Any]:
        """``(β, 1 − β)`` with ``β = sqrt(b2)``, on the host when ``b2`` is concrete."""
        if is_traced(b2):
            beta = jnp.sqrt(as_operand(b2, sdt))
            return beta, 1 - beta
        beta_f = static_value(b2) ** 0.5
        return const(beta_f, sdt), const(1.0 - beta_f, sdt)

    def bias_corr(k: jax.Array, sdt: Any) -> Any:
        return adam_bias_correction(b1, b2, k, sdt, use_bias_correction)

    def init_fn(params: optax.Params) -> DAdaptAdamState:
        sdt, start = start_estimate("dadapt_adam", params, d0, lr_fn, bias_corr)
        return DAdaptAdamState(
            **start,
            numerator_weighted=jnp.zeros([], sdt),
            exp_avg=jax.tree.map(_moment, params),
            exp_avg_sq=jax.tree.map(_moment, params),
            s=jax.tree.map(_moment, params),
        )

    def update_fn(
        updates: optax.Updates, state: DAdaptAdamState, params: optax.Params | None = None
    ) -> tuple[optax.Updates, DAdaptAdamState]:
        check_state("dadapt_adam", state, DAdaptAdamState)
        params = params_required("dadapt_adam", params)
        check_tree_match("dadapt_adam", updates, state.exp_avg_sq)
        sdt = state.d.dtype
        lr = lr_at(lr_fn, state.count, sdt)
        on = lr > 0
        d, k = state.d, state.k
        dlr = d * lr * bias_corr(k, sdt)
        b1c, b2c, epsc = as_operand(b1, sdt), as_operand(b2, sdt), as_operand(eps, sdt)
        beta, one_m_beta = sqrt_b2(sdt)
        decay = as_operand(weight_decay, sdt)

        treedef: Any = jax.tree.structure(updates)
        gs, ps = _flat(updates, treedef), _flat(params, treedef)
        ms, vs, ss = (_flat(t, treedef) for t in (state.exp_avg, state.exp_avg_sq, state.s))
        cdts = [compute_dtype(g.dtype, m.dtype) for g, m in zip(gs, ms, strict=True)]
        gs = [g.astype(c) for g, c in zip(gs, cdts, strict=True)]
        xs = [p.astype(c) for p, c in zip(ps, cdts, strict=True)]
        if not decouple and decay_static != 0.0:
            gs = [g + x * decay.astype(g.dtype) for g, x in zip(gs, xs, strict=True)]

        def dot_term(g: Any, s: Any, v: Any) -> Any:
            cd = g.dtype
            return g * (s.astype(cd) / (jnp.sqrt(v.astype(cd)) + epsc.astype(cd)))

        numerator_acum = dlr * global_sum(dot_term, gs, ss, vs, dtype=sdt)
        c_m, c_v = dlr * one_minus(b1, sdt), one_minus(b2, sdt)
        c_s = dlr * one_m_beta
        write = on & after(numerator_acum)  # v and s are rewritten once the sum has read them
        new_m, new_v, new_s = [], [], []
        for g, m, v, s in zip(gs, ms, vs, ss, strict=True):
            cd = g.dtype
            m, v, s = m.astype(cd), v.astype(cd), s.astype(cd)
            m_n = m * b1c.astype(cd) + g * c_m.astype(cd)
            v_n = v * b2c.astype(cd) + c_v.astype(cd) * g * g
            s_n = s * beta.astype(cd) + g * c_s.astype(cd)
            new_m.append(jnp.where(on, m_n, m))
            new_v.append(jnp.where(write, v_n, v))
            new_s.append(jnp.where(write, s_n, s))
        sk_l1 = jnp.where(on, global_sum(jnp.abs, new_s, dtype=sdt), jnp.zeros([], sdt))
        go = sk_l1 > 0
        nw = beta * state.numerator_weighted + one_m_beta * numerator_acum
        d_hat = nw / (one_m_beta * jnp.where(go, sk_l1, jnp.ones([], sdt)))
        d_new = jnp.maximum(d, jnp.minimum(d_hat, d * as_operand(growth_rate, sdt)))

        out = []
        for x, m, v, p in zip(xs, new_m, new_v, ps, strict=True):
            cd = m.dtype
            step = -m / (jnp.sqrt(v) + epsc.astype(cd))
            if decouple and decay_static != 0.0:
                step = x * (-decay * dlr).astype(cd) + step
            out.append(to_output(jnp.where(go, step, jnp.zeros([], cd)), p.dtype))

        k_new = jnp.where(go, safe_increment(k), k)
        count = safe_increment(state.count)
        d_state = jnp.where(go, d_new, d)
        next_dlr = d_state * lr_at(lr_fn, count, sdt) * bias_corr(k_new, sdt)
        new_state = DAdaptAdamState(
            count=count,
            k=k_new,
            d=d_state,
            numerator_weighted=jnp.where(go, nw, state.numerator_weighted),
            dlr=dlr,
            next_dlr=next_dlr,
            exp_avg=_store(treedef, new_m, state.exp_avg),
            exp_avg_sq=_store(treedef, new_v, state.exp_avg_sq),
            s=_store(treedef, new_s, state.s),
        )
        return treedef.unflatten(out), new_state

    return optax.GradientTransformation(init_fn, update_fn)


# --- D-Adapt SGD ---------------------------------------------------------------------------


class DAdaptSGDState(NamedTuple):
    """State of :func:`dadapt_sgd` (the authors' names where they have one).

    Attributes:
        count: int32, calls to ``update`` (the step at which ``learning_rate`` is evaluated).
        k: int32, the authors' ``k`` (steps that moved the parameters).
        d: the estimate ``d`` (float64 for float64 params, else float32).
        numerator_weighted: the authors' running sum of ``dlr ⟨g, s⟩``.
        g0_norm: ``‖g_0‖`` of the first step (without weight decay, as the authors).
        dlr: the rate ``d · lr / g0_norm`` the last update applied (before any update:
            ``d0 · lr(0)``, the first update's rate before ``g0_norm`` is known).
        next_dlr: the rate the next update will apply.
        s: ``Σ dlr g``.
        x0: the initial parameters (the authors' ``z = x0 − s`` is not stored).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    k: jax.Array
    d: jax.Array
    numerator_weighted: jax.Array
    g0_norm: jax.Array
    dlr: jax.Array
    next_dlr: jax.Array
    s: Any
    x0: Any

    def lrx_learning_rate(self, upcoming: bool) -> jax.Array:
        """``d · lr / g0_norm``: the rate of the last update (or the next one)."""
        return self.next_dlr if upcoming else self.dlr


def dadapt_sgd(
    learning_rate: ScalarOrSchedule = 1.0,
    momentum: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    *,
    d0: jax.typing.ArrayLike = 1e-6,
    growth_rate: jax.typing.ArrayLike = math.inf,
) -> optax.GradientTransformation:
    r"""D-Adapt SGD (Defazio & Mishchenko): dual averaging with the D-Adaptation step ``d``.

    Formula of dadaptation 3.2's ``DAdaptSGD`` (one parameter group; ``lr_k =
    learning_rate(count)``, ``ck = 1 − momentum``)::

        g0_norm = ‖g_0‖                     (first step; weight decay not included, as the
                                             authors' out-of-place add)
        dlr  = d lr_k / g0_norm
        g    = g + weight_decay x
        numerator_weighted += dlr ⟨g, s⟩    (old s)
        s    = s + dlr g
        d_hat = 2 numerator_weighted / ‖s‖₂
        d    = max(d, min(d_hat, d growth_rate))
        x    = (1 − ck) x + ck (x0 − s)

    ``‖s‖ = 0`` makes a call a no-op (the authors' early return; ``learning_rate = 0``
    raises inside the authors' code and is a no-op here). ``g0_norm = 0`` gives non-finite
    numbers, as the authors' division by zero. The authors' defaults diverge on some
    problems (the first step has length ``d0 · lr`` but ``d`` then grows quickly on an
    ill-conditioned least squares); they are kept. :func:`lrx.learning_rate` reports
    ``dlr = d · lr / g0_norm``.

    Complex parameters raise ``ValueError`` (the authors define no complex version).

    References:
        Defazio & Mishchenko, "Learning-Rate-Free Learning by D-Adaptation" (ICML 2023,
        arXiv:2301.07733); dadaptation 3.2.

    Args:
        learning_rate: multiplier of the estimated rate (float >= 0, array, schedule or
            callable of the step count), default 1.0.
        momentum: in ``[0, 1)`` (default 0.0).
        weight_decay: L2 weight decay added to the gradient (default 0.0).
        d0: initial estimate (default 1e-6).
        growth_rate: largest factor ``d`` may grow by per step (default ``inf``).

    Returns:
        A ``GradientTransformation`` with state :class:`DAdaptSGDState`; ``update`` needs
        ``params``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.dadapt_sgd()
        >>> params = jnp.array([1.0, -2.0])
        >>> state = tx.init(params)
        >>> u, state = tx.update(params, state, params)
        >>> round(float(state.g0_norm), 4)
        2.2361
    """
    lr_fn = check_lr(learning_rate)
    momentum = check_float("momentum", momentum, lo=0.0, hi=1.0, hi_open=True)
    weight_decay = check_float("weight_decay", weight_decay)
    d0 = check_float("d0", d0, lo=0.0, lo_open=True, finite_in=None)
    growth_rate = check_positive_or_inf("growth_rate", growth_rate)
    decay_static = static_value(weight_decay)

    def init_fn(params: optax.Params) -> DAdaptSGDState:
        sdt, start = start_estimate("dadapt_sgd", params, d0, lr_fn)
        return DAdaptSGDState(
            **start,
            numerator_weighted=jnp.zeros([], sdt),
            g0_norm=jnp.zeros([], sdt),
            s=jax.tree.map(_moment, params),
            x0=jax.tree.map(lambda p: jnp.array(p, dtype=state_dtype(p.dtype), copy=True), params),
        )

    def update_fn(
        updates: optax.Updates, state: DAdaptSGDState, params: optax.Params | None = None
    ) -> tuple[optax.Updates, DAdaptSGDState]:
        check_state("dadapt_sgd", state, DAdaptSGDState)
        params = params_required("dadapt_sgd", params)
        check_tree_match("dadapt_sgd", updates, state.s)
        sdt = state.d.dtype
        lr = lr_at(lr_fn, state.count, sdt)
        on = lr > 0
        d, k = state.d, state.k
        decay, ck = as_operand(weight_decay, sdt), 1 - as_operand(momentum, sdt)

        treedef: Any = jax.tree.structure(updates)
        gs, ps = _flat(updates, treedef), _flat(params, treedef)
        ss, x0s = _flat(state.s, treedef), _flat(state.x0, treedef)
        cdts = [compute_dtype(g.dtype, s.dtype) for g, s in zip(gs, ss, strict=True)]
        gs = [g.astype(c) for g, c in zip(gs, cdts, strict=True)]
        xs = [p.astype(c) for p, c in zip(ps, cdts, strict=True)]

        gsq = global_sum(lambda g: g * g, gs, dtype=sdt)
        g0_first = jnp.sqrt(jnp.where(on, gsq, jnp.zeros([], sdt)))
        g0_norm = jnp.where(k == 0, g0_first, state.g0_norm)
        dlr = d * lr / g0_norm
        if decay_static != 0.0:
            gs = [g + x * decay.astype(g.dtype) for g, x in zip(gs, xs, strict=True)]

        dot = global_sum(lambda g, s: g * s.astype(g.dtype), gs, ss, dtype=sdt)
        nw = state.numerator_weighted + jnp.where(on, dlr * dot, jnp.zeros([], sdt))
        write = on & after(dot)  # s is rewritten once the dot product has read it
        new_s = []
        for g, s in zip(gs, ss, strict=True):
            cd = g.dtype
            s = s.astype(cd)
            new_s.append(jnp.where(write, s + g * dlr.astype(cd), s))
        sk_sq = jnp.where(on, global_sum(lambda s: s * s, new_s, dtype=sdt), jnp.zeros([], sdt))
        go = sk_sq > 0
        d_hat = 2 * nw / jnp.sqrt(jnp.where(go, sk_sq, jnp.ones([], sdt)))
        d_new = jnp.maximum(d, jnp.minimum(d_hat, d * as_operand(growth_rate, sdt)))

        out = []
        for x, s, x0, p in zip(xs, new_s, x0s, ps, strict=True):
            cd = x.dtype
            z = x0.astype(cd) - s
            ckc = ck.astype(cd)
            new_x = x * (1 - ckc) + z * ckc
            out.append(to_output(jnp.where(go, new_x - x, jnp.zeros([], cd)), p.dtype))

        k_new = jnp.where(go, safe_increment(k), k)
        count = safe_increment(state.count)
        d_state = jnp.where(go, d_new, d)
        next_dlr = d_state * lr_at(lr_fn, count, sdt) / g0_norm
        new_state = DAdaptSGDState(
            count=count,
            k=k_new,
            d=d_state,
            numerator_weighted=jnp.where(go, nw, state.numerator_weighted),
            g0_norm=g0_norm,
            dlr=dlr,
            next_dlr=next_dlr,
            s=_store(treedef, new_s, state.s),
            x0=state.x0,
        )
        return treedef.unflatten(out), new_state

    return optax.GradientTransformation(init_fn, update_fn)


# --- D-Adapt AdaGrad -----------------------------------------------------------------------


class DAdaptAdaGradState(NamedTuple):
    """State of :func:`dadapt_adagrad` (the authors' names where they have one).

    Attributes:
        count: int32, calls to ``update`` (the step at which ``learning_rate`` is evaluated).
        k: int32, the authors' ``k`` (steps that moved the parameters).
        d: the estimate ``d`` (float64 for float64 params, else float32).
        gsq_weighted: the authors' ``Σ dlr² Σ g² / (sqrt(alphak) + eps)``.
        sksq_weighted: the authors' ``Σ sk² / (sqrt(alphak) + eps)``.
        skl1: the authors' ``‖sk‖₁``.
        sksq: ``Σ sk² / (sqrt(alphak) + eps)`` of the stored ``sk`` and ``alphak`` (the sum
            the next update subtracts: kept, not read again from the old state).
        sk_l1: ``‖sk‖₁`` of the stored ``sk`` (likewise).
        dlr: the rate ``d · lr`` the last update applied (before any update: the first's).
        next_dlr: the rate the next update will apply.
        alphak: ``1e-6 + Σ g²`` (the authors' initial 1e-6).
        sk: ``Σ dlr g``.
        x0: the initial parameters.
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    k: jax.Array
    d: jax.Array
    gsq_weighted: jax.Array
    sksq_weighted: jax.Array
    skl1: jax.Array
    sksq: jax.Array
    sk_l1: jax.Array
    dlr: jax.Array
    next_dlr: jax.Array
    alphak: Any
    sk: Any
    x0: Any

    def lrx_learning_rate(self, upcoming: bool) -> jax.Array:
        """``d · lr``: the rate of the last update (or the next one)."""
        return self.next_dlr if upcoming else self.dlr


def dadapt_adagrad(
    learning_rate: ScalarOrSchedule = 1.0,
    momentum: jax.typing.ArrayLike = 0.0,
    weight_decay: jax.typing.ArrayLike = 0.0,
    eps: jax.typing.ArrayLike = 1e-6,
    *,
    d0: jax.typing.ArrayLike = 1e-6,
    growth_rate: jax.typing.ArrayLike = math.inf,
) -> optax.GradientTransformation:
    r"""D-Adapt AdaGrad (Defazio & Mishchenko): dual-averaged AdaGrad with the step ``d``.

    Formula of dadaptation 3.2's ``DAdaptAdaGrad`` (dense gradients; ``lr_k =
    learning_rate(count)``, ``ck = 1 − momentum``, ``D(a) = sqrt(a) + eps``)::

        dlr  = d lr_k
        g    = g + weight_decay x
        alphak = alphak + g²                 (alphak starts at 1e-6)
        sk   = sk + dlr g
        gsq_weighted  += dlr² Σ g² / D(alphak)
        sksq_weighted += Σ sk² / D(alphak) − Σ sk_old² / D(alphak_old)
        skl1 += ‖sk‖₁ − ‖sk_old‖₁
        d_hat = (sksq_weighted − gsq_weighted) / skl1
        d    = max(d, min(d_hat, d growth_rate))            (lr_k > 0)
        x    = (1 − ck) x + ck (x0 − sk / D(alphak))

    ``skl1 = 0`` (no gradient yet) makes a call a no-op except for ``alphak``, as the
    authors' early return. Unlike D-Adapt Adam and SGD, the authors keep accumulating (and
    moving the parameters) at ``learning_rate = 0``; so does lrx. The authors' default
    ``eps`` is 1e-6. :func:`lrx.learning_rate` reports ``dlr = d · lr``.

    Complex parameters raise ``ValueError`` (the authors define no complex version).

    References:
        Defazio & Mishchenko, "Learning-Rate-Free Learning by D-Adaptation" (ICML 2023,
        arXiv:2301.07733); dadaptation 3.2.

    Args:
        learning_rate: multiplier of the estimated rate (float >= 0, array, schedule or
            callable of the step count), default 1.0.
        momentum: in ``[0, 1)`` (default 0.0).
        weight_decay: L2 weight decay added to the gradient (default 0.0).
        eps: > 0, added to ``sqrt(alphak)`` (default 1e-6, the authors').
        d0: initial estimate (default 1e-6).
        growth_rate: largest factor ``d`` may grow by per step (default ``inf``).

    Returns:
        A ``GradientTransformation`` with state :class:`DAdaptAdaGradState`; ``update``
        needs ``params``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.dadapt_adagrad()
        >>> params = jnp.array([1.0, -2.0])
        >>> state = tx.init(params)
        >>> for _ in range(5):
        ...     u, state = tx.update(params, state, params)
        ...     params = params + u
        >>> float(state.d) > 1e-6
        True
    """
    lr_fn = check_lr(learning_rate)
    momentum = check_float("momentum", momentum, lo=0.0, hi=1.0, hi_open=True)
    weight_decay = check_float("weight_decay", weight_decay)
    eps = check_float("eps", eps, lo=0.0, lo_open=True)
    d0 = check_float("d0", d0, lo=0.0, lo_open=True, finite_in=None)
    growth_rate = check_positive_or_inf("growth_rate", growth_rate)
    decay_static = static_value(weight_decay)

    def init_fn(params: optax.Params) -> DAdaptAdaGradState:
        sdt, start = start_estimate("dadapt_adagrad", params, d0, lr_fn)
        return DAdaptAdaGradState(
            **start,
            gsq_weighted=jnp.zeros([], sdt),
            sksq_weighted=jnp.zeros([], sdt),
            skl1=jnp.zeros([], sdt),
            sksq=jnp.zeros([], sdt),  # the sums of sk = 0
            sk_l1=jnp.zeros([], sdt),
            alphak=jax.tree.map(lambda p: _moment(p, 1e-6), params),
            sk=jax.tree.map(_moment, params),
            x0=jax.tree.map(lambda p: jnp.array(p, dtype=state_dtype(p.dtype), copy=True), params),
        )

    def update_fn(
        updates: optax.Updates, state: DAdaptAdaGradState, params: optax.Params | None = None
    ) -> tuple[optax.Updates, DAdaptAdaGradState]:
        check_state("dadapt_adagrad", state, DAdaptAdaGradState)
        params = params_required("dadapt_adagrad", params)
        check_tree_match("dadapt_adagrad", updates, state.sk)
        sdt = state.d.dtype
        lr = lr_at(lr_fn, state.count, sdt)
        d, k = state.d, state.k
        dlr = d * lr
        decay, ck, epsc = (
            as_operand(weight_decay, sdt),
            1 - as_operand(momentum, sdt),
            as_operand(eps, sdt),
        )

        treedef: Any = jax.tree.structure(updates)
        gs, ps = _flat(updates, treedef), _flat(params, treedef)
        aks, sks, x0s = (_flat(t, treedef) for t in (state.alphak, state.sk, state.x0))
        cdts = [compute_dtype(g.dtype, a.dtype) for g, a in zip(gs, aks, strict=True)]
        gs = [g.astype(c) for g, c in zip(gs, cdts, strict=True)]
        xs = [p.astype(c) for p, c in zip(ps, cdts, strict=True)]
        aks = [a.astype(c) for a, c in zip(aks, cdts, strict=True)]
        sks = [s.astype(c) for s, c in zip(sks, cdts, strict=True)]
        if decay_static != 0.0:
            gs = [g + x * decay.astype(g.dtype) for g, x in zip(gs, xs, strict=True)]

        def den(a: Any) -> Any:
            return jnp.sqrt(a) + epsc.astype(a.dtype)

        # The authors subtract the sums of the old sk and alphak: the last update computed
        # them (two reductions fewer, and none of the old state read before it is rewritten).
        old_sksq, old_skl1 = state.sksq, state.sk_l1
        new_a = [a + g * g for a, g in zip(aks, gs, strict=True)]
        # |g|·|g| = g·g exactly, written apart from alphak's g·g: no shared g² array materialized
        g_sq = global_sum(lambda g, a: jnp.abs(g) * jnp.abs(g) / den(a), gs, new_a, dtype=sdt)
        new_sk = [s + g * dlr.astype(g.dtype) for s, g in zip(sks, gs, strict=True)]
        sksq = global_sum(lambda s, a: s * s / den(a), new_sk, new_a, dtype=sdt)
        skl1_p = global_sum(jnp.abs, new_sk, dtype=sdt)
        sksq_weighted = state.sksq_weighted + (sksq - old_sksq)
        skl1 = state.skl1 + (skl1_p - old_skl1)
        go = skl1 != 0
        gsq_weighted = state.gsq_weighted + dlr * dlr * g_sq
        d_hat = (sksq_weighted - gsq_weighted) / jnp.where(go, skl1, jnp.ones([], sdt))
        d_new = jnp.maximum(d, jnp.minimum(d_hat, d * as_operand(growth_rate, sdt)))
        d_new = jnp.where(lr > 0, d_new, d)

        out = []
        for x, s, a, x0, p in zip(xs, new_sk, new_a, x0s, ps, strict=True):
            cd = x.dtype
            z = x0.astype(cd) - s / den(a)
            ckc = ck.astype(cd)
            new_x = x * (1 - ckc) + z * ckc
            out.append(to_output(jnp.where(go, new_x - x, jnp.zeros([], cd)), p.dtype))

        def keep(new: Any, old: Any) -> Any:
            return jnp.where(go, new, old)

        k_new = keep(safe_increment(k), k)
        count = safe_increment(state.count)
        d_state = keep(d_new, d)
        new_state = DAdaptAdaGradState(
            count=count,
            k=k_new,
            d=d_state,
            gsq_weighted=keep(gsq_weighted, state.gsq_weighted),
            sksq_weighted=keep(sksq_weighted, state.sksq_weighted),
            skl1=keep(skl1, state.skl1),
            sksq=sksq,
            sk_l1=skl1_p,
            dlr=dlr,
            next_dlr=d_state * lr_at(lr_fn, count, sdt),
            alphak=_store(treedef, new_a, state.alphak),
            sk=_store(treedef, new_sk, state.sk),
            x0=state.x0,
        )
        return treedef.unflatten(out), new_state

    return optax.GradientTransformation(init_fn, update_fn)
