"""``prodigy``: Adam with Prodigy's estimate ``d`` of the distance to the solution.

Equal step for step to the authors' PyTorch package (prodigyopt 1.1.2, ``Prodigy``), the
whole parameter tree being one torch parameter group. The authors keep the scalars (``d``,
``d_max``, ``d_numerator``, ...) as Python floats (float64 on the host) and the per-tensor
state in the parameters' dtype; lrx keeps the scalars in float64 for float64 parameters and
in float32 otherwise, and the per-tensor state in the parameters' dtype (float32 below 32
bits).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._counters import safe_increment
from lrx._dtypes import compute_dtype, const, state_dtype, to_output
from lrx._tree import check_state, check_tree_match
from lrx._types import ScalarOrSchedule
from lrx._validate import check_bool, check_float, check_int, is_traced, static_value
from lrx.lr_free._common import (
    adam_bias_correction,
    as_operand,
    check_lr,
    check_positive_or_inf,
    lr_at,
    one_minus,
    params_required,
    start_estimate,
)
from lrx.transforms._reduce import global_sum

__all__ = ["ProdigyState", "prodigy"]


# --- Prodigy ------------------------------------------------------------------------------


class ProdigyState(NamedTuple):
    """State of :func:`prodigy` (the authors' names where they have one).

    Attributes:
        count: int32, calls to ``update`` (the step at which ``learning_rate`` is evaluated,
            as a torch ``LambdaLR`` stepped after every ``optimizer.step()``).
        k: int32, the authors' ``k``: steps that moved the parameters (a call with
            ``learning_rate = 0`` or an all-zero gradient history leaves it unchanged).
        d: the estimate ``d`` (float64 for float64 params, else float32).
        d_max: the authors' ``d_max``.
        d_numerator: the authors' ``d_numerator`` (the EMA of ``⟨g, x0 − x⟩`` terms).
        d_denom: the authors' ``d_denom`` of the last step, ``‖s‖₁``.
        d_hat: the authors' ``d_hat`` of the last step.
        dlr: the rate ``d · lr · bias_correction`` the last update applied (before any
            update: the one the first update will apply).
        next_dlr: the rate the next update will apply (with the current ``d``).
        exp_avg: ``m``, EMA of ``d · g`` (params' dtype, float32 below 32 bits).
        exp_avg_sq: ``v``, EMA of ``d² g²``.
        s: EMA of the sliced gradients weighted by ``d / d0 · dlr`` (flat, every
            ``slice_p``-th entry, when ``slice_p > 1``).
        p0: the initial parameters (sliced as ``s``).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    k: jax.Array
    d: jax.Array
    d_max: jax.Array
    d_numerator: jax.Array
    d_denom: jax.Array
    d_hat: jax.Array
    dlr: jax.Array
    next_dlr: jax.Array
    exp_avg: Any
    exp_avg_sq: Any
    s: Any
    p0: Any

    def lrx_learning_rate(self, upcoming: bool) -> jax.Array:
        """``d · lr · bias_correction``: the rate of the last update (or the next one)."""
        return self.next_dlr if upcoming else self.dlr


def _slicer(slice_p: int) -> Callable[[Any], Any]:
    if slice_p == 1:
        return lambda x: x
    return lambda x: jnp.ravel(x)[::slice_p]


def prodigy(
    learning_rate: ScalarOrSchedule = 1.0,
    b1: jax.typing.ArrayLike = 0.9,
    b2: jax.typing.ArrayLike = 0.999,
    b3: jax.typing.ArrayLike | None = None,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
    *,
    decouple: bool = True,
    use_bias_correction: bool = False,
    safeguard_warmup: bool = False,
    d0: jax.typing.ArrayLike = 1e-6,
    d_coef: jax.typing.ArrayLike = 1.0,
    growth_rate: jax.typing.ArrayLike = math.inf,
    slice_p: int = 1,
) -> optax.GradientTransformation:
    r"""Prodigy (Mishchenko & Defazio): Adam whose step size ``d`` estimates ``‖x0 − x*‖``.

    Formula of prodigyopt 1.1.2 (one parameter group; ``lr_k = learning_rate(count)``,
    ``ĝ`` the gradient sliced to every ``slice_p``-th entry)::

        g    = g + weight_decay x                      (decouple=False)
        bc   = sqrt(1 − b2^(k+1)) / (1 − b1^(k+1))     (use_bias_correction, else 1)
        dlr  = d lr_k bc
        r    = d_numerator b3 + (d / d0) dlr ⟨ĝ, x̂0 − x̂⟩
        m    = b1 m + d (1 − b1) g
        v    = b2 v + d² (1 − b2) g²
        s    = b3 s + (d / d0) dlr ĝ                   ((d / d0) d with safeguard_warmup)
        d_hat = d_coef r / ‖s‖₁
        d    = max(d, d_hat) if d == d0;   d_max = max(d_max, d_hat)
        d    = min(d_max, d growth_rate)
        x    = x − weight_decay dlr x                  (decouple=True)
        x    = x − dlr m / (sqrt(v) + d eps)           (b1 = 0: x − dlr d g / (sqrt(v) + d eps))

    with ``b3 = sqrt(b2)`` when ``None``. ``‖s‖₁ = 0`` (``learning_rate = 0``, or no
    gradient yet) makes a call a no-op, as the authors' early return (the moments keep the
    in-place decay the authors apply before it). Weight decay: decoupled by default
    (``decouple=True``, AdamW style, as the authors; they print a line when it is on).

    Defaults are the authors' (``prodigyopt.Prodigy``): a call without arguments is their
    default call; ``use_bias_correction=False`` unlike ``optax.contrib.prodigy``.
    :func:`lrx.learning_rate` reports ``dlr = d · lr · bc`` (the estimate ``d`` itself is
    ``state.d``).

    Dtypes: the moments follow the parameters' dtype (float32 below 32 bits); the scalars
    are float64 for float64 parameters, float32 otherwise (the authors: float64 Python
    floats). Complex parameters raise ``ValueError`` (the authors define no complex
    version). Hyperparameters other than the flags and ``slice_p`` may be traced.

    References:
        Mishchenko & Defazio, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner"
        (ICML 2024, arXiv:2306.06101); prodigyopt 1.1.2.

    Args:
        learning_rate: multiplier of the estimated rate (``lr``; float >= 0, array,
            schedule or callable of the step count), default 1.0.
        b1: first-moment decay (default 0.9).
        b2: second-moment decay (default 0.999).
        b3: decay of ``s`` and ``d_numerator``; ``None`` (default) is ``sqrt(b2)``.
        eps: added to ``sqrt(v)`` (times ``d``), default 1e-8.
        weight_decay: default 0.0.
        decouple: AdamW-style decoupled decay (default ``True``); ``False`` adds it to g.
        use_bias_correction: Adam's bias correction in the rate (default ``False``).
        safeguard_warmup: leave ``lr`` out of ``s`` (default ``False``).
        d0: initial estimate (default 1e-6).
        d_coef: multiplier of the estimate (default 1.0).
        growth_rate: largest factor ``d`` may grow by per step (default ``inf``).
        slice_p: estimate from every ``slice_p``-th entry of each tensor (default 1).

    Returns:
        A ``GradientTransformation`` with state :class:`ProdigyState`; ``update`` needs
        ``params``.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.prodigy()
        >>> params = jnp.array([1.0, -2.0])
        >>> state = tx.init(params)
        >>> for _ in range(5):  # the gradient of |x|² / 2 is x
        ...     u, state = tx.update(params, state, params)
        ...     params = params + u
        >>> float(state.d) > 10 * 1e-6  # d grew from d0 = 1e-6
        True
        >>> bool(lrx.learning_rate(state) == state.dlr)  # d · lr of the last step
        True
    """
    lr_fn = check_lr(learning_rate)
    b1 = check_float("b1", b1, lo=0.0, hi=1.0, hi_open=True)
    b2 = check_float("b2", b2, lo=0.0, hi=1.0, hi_open=True)
    if b3 is not None:
        b3 = check_float("b3", b3, lo=0.0, hi=1.0)
    eps = check_float("eps", eps, lo=0.0, lo_open=True)
    weight_decay = check_float("weight_decay", weight_decay)
    decouple = check_bool("decouple", decouple)
    use_bias_correction = check_bool("use_bias_correction", use_bias_correction)
    safeguard_warmup = check_bool("safeguard_warmup", safeguard_warmup)
    d0 = check_float("d0", d0, lo=0.0, lo_open=True, finite_in=None)
    d_coef = check_float("d_coef", d_coef, finite_in=None)
    growth_rate = check_positive_or_inf("growth_rate", growth_rate)
    slice_p = check_int("slice_p", slice_p, lo=1)
    if is_traced(slice_p):
        raise ValueError("slice_p must be a static int (it sets the shape of the state)")
    sl = _slicer(slice_p)
    b1_static = static_value(b1)
    decay_static = static_value(weight_decay)

    def hyper(sdt: Any) -> tuple[Any, ...]:
        b2c = as_operand(b2, sdt)
        b3c = jnp.sqrt(b2c) if b3 is None else as_operand(b3, sdt)
        if b3 is None and not is_traced(b2):  # math.sqrt on the host, as the authors
            b3c = const(math.sqrt(static_value(b2)), sdt)
        return as_operand(b1, sdt), b2c, b3c

    def bias_corr(k: jax.Array, sdt: Any) -> Any:
        return adam_bias_correction(b1, b2, k, sdt, use_bias_correction)

    def init_fn(params: optax.Params) -> ProdigyState:
        sdt, start = start_estimate("prodigy", params, d0, lr_fn, bias_corr)
        d, zeros = start["d"], jnp.zeros([], sdt)

        def moment(p: Any) -> Any:
            return jnp.zeros_like(p, dtype=state_dtype(p.dtype))

        return ProdigyState(
            **start,
            d_max=jnp.array(d, copy=True),
            d_numerator=zeros,
            d_denom=jnp.array(zeros, copy=True),
            d_hat=jnp.array(zeros, copy=True),
            exp_avg=jax.tree.map(moment, params),
            exp_avg_sq=jax.tree.map(moment, params),
            s=jax.tree.map(lambda p: sl(moment(p)), params),
            p0=jax.tree.map(
                lambda p: jnp.array(sl(p), dtype=state_dtype(p.dtype), copy=True), params
            ),
        )

    def update_fn(
        updates: optax.Updates, state: ProdigyState, params: optax.Params | None = None
    ) -> tuple[optax.Updates, ProdigyState]:
        check_state("prodigy", state, ProdigyState)
        params = params_required("prodigy", params)
        check_tree_match("prodigy", updates, state.exp_avg_sq)
        sdt = state.d.dtype
        b1c, b2c, b3c = hyper(sdt)
        lr = lr_at(lr_fn, state.count, sdt)
        on = lr > 0
        d, k = state.d, state.k
        bc = bias_corr(k, sdt)
        dlr = d * lr * bc
        d0c, decay = as_operand(d0, sdt), as_operand(weight_decay, sdt)
        ratio = d / d0c
        d_numerator = state.d_numerator * b3c

        treedef: Any = jax.tree.structure(updates)
        gs, ps = treedef.flatten_up_to(updates), treedef.flatten_up_to(params)
        ms, vs = treedef.flatten_up_to(state.exp_avg), treedef.flatten_up_to(state.exp_avg_sq)
        ss, p0s = treedef.flatten_up_to(state.s), treedef.flatten_up_to(state.p0)
        cdts = [compute_dtype(g.dtype, m.dtype) for g, m in zip(gs, ms, strict=True)]
        gs = [g.astype(c) for g, c in zip(gs, cdts, strict=True)]
        xs = [p.astype(c) for p, c in zip(ps, cdts, strict=True)]
        if not decouple and decay_static != 0.0:
            gs = [g + x * decay.astype(g.dtype) for g, x in zip(gs, xs, strict=True)]

        dot = global_sum(
            lambda g, p0, x: sl(g) * (p0.astype(g.dtype) - sl(x)), gs, p0s, xs, dtype=sdt
        )
        delta_numerator = ratio * dlr * dot
        c_m = d * one_minus(b1, sdt)
        c_v = d * d * one_minus(b2, sdt)
        c_s = ratio * (d if safeguard_warmup else dlr)
        new_m, new_v, new_s = [], [], []
        for g, m, v, s in zip(gs, ms, vs, ss, strict=True):
            cd = g.dtype
            m_n = m.astype(cd) * b1c.astype(cd) + g * c_m.astype(cd)
            v_n = v.astype(cd) * b2c.astype(cd) + g * c_v.astype(cd) * g
            s_n = s.astype(cd) * b3c.astype(cd) + sl(g) * c_s.astype(cd)
            new_m.append(jnp.where(on, m_n, m.astype(cd)))
            new_v.append(jnp.where(on, v_n, v.astype(cd)))
            new_s.append(jnp.where(on, s_n, s.astype(cd)))
        d_denom = jnp.where(on, global_sum(jnp.abs, new_s, dtype=sdt), jnp.zeros([], sdt))
        go = d_denom > 0
        num = d_numerator + delta_numerator
        d_hat = as_operand(d_coef, sdt) * num / jnp.where(go, d_denom, jnp.ones([], sdt))
        d_new = jnp.where(d == d0c, jnp.maximum(d, d_hat), d)
        d_max = jnp.maximum(state.d_max, d_hat)
        d_new = jnp.minimum(d_max, d_new * as_operand(growth_rate, sdt))

        out = []
        for g, x, m, v, p in zip(gs, xs, new_m, new_v, ps, strict=True):
            cd = g.dtype
            denom = jnp.sqrt(v) + (d_new * as_operand(eps, sdt)).astype(cd)
            if b1_static is None:
                step = (
                    jnp.where(b1c > 0, (-dlr).astype(cd) * m, (-dlr * d_new).astype(cd) * g) / denom
                )
            elif b1_static > 0:
                step = (-dlr).astype(cd) * m / denom
            else:
                step = (-dlr * d_new).astype(cd) * g / denom
            if decouple and decay_static != 0.0:
                step = x * (-decay * dlr).astype(cd) + step
            out.append(to_output(jnp.where(go, step, jnp.zeros([], cd)), p.dtype))

        def keep(new: Any, old: Any) -> Any:
            return jnp.where(go, new, old)

        k_new = keep(safe_increment(k), k)
        count = safe_increment(state.count)
        d_state = keep(d_new, d)
        next_dlr = d_state * lr_at(lr_fn, count, sdt) * bias_corr(k_new, sdt)

        def store(trees: list[Any], like: Any) -> Any:
            olds = treedef.flatten_up_to(like)
            return treedef.unflatten([t.astype(o.dtype) for t, o in zip(trees, olds, strict=True)])

        new_state = ProdigyState(
            count=count,
            k=k_new,
            d=d_state,
            d_max=keep(d_max, state.d_max),
            d_numerator=keep(num, state.d_numerator),
            d_denom=keep(d_denom, state.d_denom),
            d_hat=keep(d_hat, state.d_hat),
            dlr=dlr,
            next_dlr=next_dlr,
            exp_avg=store(new_m, state.exp_avg),
            exp_avg_sq=store(new_v, state.exp_avg_sq),
            s=store(new_s, state.s),
            p0=state.p0,
        )
        return treedef.unflatten(out), new_state

    return optax.GradientTransformation(init_fn, update_fn)
