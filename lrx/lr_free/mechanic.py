"""Mechanic: a learned scale ``s`` for any optimizer's steps, as mechanic-pytorch 0.0.1.

Mechanic (Cutkosky, Defazio, Mehta, 2023) keeps the reference point ``x_0`` and the sum
``Δ`` of the base optimizer's updates, and plays the iterate ``x_t = x_0 + s_t Δ_t``; the
scale ``s = Σ_i s_i`` is chosen by one coin-betting tuner per ``β_i`` from the products
``h_t = ⟨Δ, g_t + λ ...⟩``. The base optimizer is any lrx/optax transform.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrx._counters import safe_increment, zero_count
from lrx._dtypes import compute_dtype, const, real_dtype, state_dtype, to_output
from lrx._tree import check_state, check_tree_match, tree_map_multi
from lrx._types import Hyper
from lrx._validate import check_float
from lrx.lr_free._common import check_real_params
from lrx.transforms._reduce import global_sum
from lrx.transforms.learning_rate import ScaleByLearningRateState

__all__ = ["MechanicState", "mechanize"]

_MAX_PRODUCT_INIT = 1e-6  # the authors' initial ``max_product``


class MechanicState(NamedTuple):
    """State of :func:`mechanize` (field names are the authors').

    Attributes:
        count: int32, updates applied so far (the authors' ``iter_count``).
        ref: the reference point ``x_0`` (the params at ``init``; their dtype, float32 below
            32 bits).
        s: the scales ``s_i``, one per ``β_i`` (``Σ s_i`` multiplies the base updates).
        max_product: ``m_i``, the decayed maximum of ``|h|`` (starts at ``1e-6``).
        sum_squared_products: ``v_i = Σ β_i^{2(t−j)} h_j²``.
        reward: ``r_i``, the clamped wealth gained (``≥ 0``).
        inner_state: the base optimizer's state.

    The vectors are float32 (float64 for float64 params: the authors' state tensors are in
    torch's default dtype).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    ref: Any
    s: jax.Array
    max_product: jax.Array
    sum_squared_products: jax.Array
    reward: jax.Array
    inner_state: Any

    def lrx_learning_rate(self, upcoming: bool) -> jax.Array:
        """``Σ s_i`` × the base optimizer's learning rate (``Σ s_i`` alone when the base
        state holds no readable rate). ``s`` is 0 until the first update sets it (to
        ``β_i · 1e-6 · s_init / n / eps``), so this is 0 before any update."""
        scale = jnp.maximum(jnp.sum(self.s), 0)
        inner = _inner_rate(self.inner_state, upcoming)
        return scale if inner is None else scale * inner.astype(scale.dtype)


def _is_rate_node(x: Any) -> bool:
    return isinstance(x, ScaleByLearningRateState) or callable(
        getattr(type(x), "lrx_learning_rate", None)
    )


def _inner_rate(inner_state: Any, upcoming: bool) -> jax.Array | None:
    """The product of the learning rates held in ``inner_state`` (lrx states), or ``None``."""
    rates = []
    for node in jax.tree.leaves(inner_state, is_leaf=_is_rate_node):
        if isinstance(node, ScaleByLearningRateState):
            rates.append(node.next_learning_rate if upcoming else node.learning_rate)
        elif _is_rate_node(node):
            rates.append(node.lrx_learning_rate(upcoming))
    if not rates:
        return None
    out = jnp.ones([], jnp.float32)
    for r in rates:
        out = out * jnp.asarray(r).astype(jnp.float32)
    return out


def _scalar_dtype(params: Any) -> Any:
    return compute_dtype(*(real_dtype(jnp.result_type(p)) for p in jax.tree.leaves(params)))


def mechanize(
    inner: optax.GradientTransformation,
    *,
    betas: Sequence[float] = (0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999),
    s_decay: Hyper = 0.01,
    s_init: Hyper = 1e-8,
    eps: Hyper = 1e-8,
) -> optax.GradientTransformationExtraArgs:
    r"""Wrap ``inner`` in Mechanic's scale tuner, as ``mechanic_pytorch.mechanize`` step for step.

    Per update (``x`` the params, ``x_0 = ref`` the params at ``init``, ``S = Σ_i s_i``,
    ``s`` starting at 0, ``m`` at ``1e-6``, ``v = r = 0``; the authors' default
    ``store_delta=False`` recomputes ``Δ`` from the params)::

        u = inner(g, x)                                  (the base step, with its own rate)
        Δ = (x − x_0) / (S + eps)
        h = Σ ⟨Δ, g + s_decay · (x + u) · S · ‖g‖ / (‖x + u‖ + eps)⟩
        m_i = max(β_i m_i, |h|)
        v_i = β_i² v_i + h²
        r_i = max(β_i r_i − s_i h, 0)
        s_i = (m_i · s_init / n + r_i) / (sqrt(v_i) + eps)
        x ← x_0 + (Δ + u) · max(Σ_i s_i, 0)

    The norms and ``h`` are global sums over all parameters (sharded leaves are reduced in
    place). ``optax.contrib.mechanize`` is another algorithm (it starts ``s`` at ``s_init``
    and ``m`` at 0, clips ``h``, leaves ``r`` unclamped and decays towards ``x_t``); this
    one gives the authors' numbers. :func:`lrx.learning_rate` reports ``Σ s_i`` times the
    base rate when the base state holds an lrx learning rate (``lrx.sgd``, ``lrx.adam``,
    ...), ``Σ s_i`` alone otherwise (an ``optax`` base).

    Args:
        inner: the base optimizer, its learning rate included; it sees the params ``x``
            and any extra ``update`` arguments.
        betas: the tuners' decays ``β_i`` (a static sequence; its length ``n`` is the number
            of scales), each in ``[0, 1]`` (default ``(0.9, 0.99, ..., 0.999999)``).
        s_decay: ``λ``, the weight-decay-like term on ``h``, >= 0 (default 0.01).
        s_init: the initial wealth scale, > 0 (default 1e-8).
        eps: >= 0, in ``Δ``'s and ``s``'s denominators and the norm ratio (default 1e-8).

    Returns:
        A ``GradientTransformationExtraArgs`` with state :class:`MechanicState`; ``update``
        needs ``params``. Complex parameters raise ``ValueError`` at ``init`` (the authors'
        dot products are real).

    References:
        Cutkosky, Defazio, Mehta, "Mechanic: A Learning Rate Tuner", NeurIPS 2023
        (arXiv:2306.00144).

    Example:
        >>> import jax.numpy as jnp, optax, lrx
        >>> tx = lrx.mechanize(lrx.sgd(0.1))
        >>> x = jnp.array([1.0, -2.0])
        >>> state = tx.init(x)
        >>> scales = []
        >>> for _ in range(3):
        ...     u, state = tx.update(x, state, x)  # gradient of |x|^2 / 2
        ...     x = optax.apply_updates(x, u)
        ...     scales.append(f"{float(state.s.sum()):.3g}")
        >>> scales  # Σs starts tiny and grows
        ['9.81e-07', '9.91e-07', '1.33e-06']
    """
    beta_list = [float(check_float(f"betas[{i}]", b, lo=0.0, hi=1.0)) for i, b in enumerate(betas)]
    if not beta_list:
        raise ValueError("betas must hold at least one value, got ()")
    n = len(beta_list)
    s_decay = check_float("s_decay", s_decay, lo=0.0)
    s_init = check_float("s_init", s_init, lo=0.0, lo_open=True)
    eps = check_float("eps", eps, lo=0.0)
    base = optax.with_extra_args_support(inner)

    def init_fn(params: optax.Params) -> Any:
        check_real_params("mechanize", params)
        dt = _scalar_dtype(params)
        ref = jax.tree.map(
            lambda p: jnp.array(p, dtype=state_dtype(jnp.result_type(p)), copy=True), params
        )
        return MechanicState(
            count=zero_count(),
            ref=ref,
            s=jnp.zeros([n], dt),
            max_product=jnp.full([n], _MAX_PRODUCT_INIT, dt),
            sum_squared_products=jnp.zeros([n], dt),
            reward=jnp.zeros([n], dt),
            inner_state=base.init(params),
        )

    def update_fn(
        updates: optax.Updates,
        state: Any,
        params: optax.Params | None = None,
        **extra_args: Any,
    ) -> tuple[optax.Updates, Any]:
        check_state("mechanize", state, MechanicState)
        check_tree_match("mechanize", updates, state.ref)
        if params is None:
            raise ValueError("mechanize: update needs params")
        u, inner_state = base.update(updates, state.inner_state, params, **extra_args)
        dt = state.s.dtype
        b = jnp.asarray(np.array(beta_list, dt))
        eps_ = const(eps, dt)
        s_sum = jnp.sum(state.s)

        def prepare(g: Any, x: Any, ref: Any, du: Any) -> Any:
            cdt = compute_dtype(g.dtype, x.dtype, ref.dtype, dt)
            delta = (x.astype(cdt) - ref.astype(cdt)) / (s_sum + eps_).astype(cdt)
            return delta, x.astype(cdt) + du.astype(cdt), g.astype(cdt)

        delta, x_base, g_c = tree_map_multi(prepare, 3, updates, params, state.ref, u)
        global_norm = jnp.sqrt(global_sum(lambda p: p * p, x_base, dtype=dt))
        # |g|·|g| = g·g exactly; written apart from the inner optimizer's g·g, XLA does not
        # materialize one shared g² array for both (a write and a read per step saved)
        grad_norm = jnp.sqrt(global_sum(lambda g: jnp.abs(g) * jnp.abs(g), g_c, dtype=dt))
        ratio = s_sum * grad_norm / (global_norm + eps_)
        lam = const(s_decay, dt)

        def h_term(d: Any, g: Any, p: Any) -> Any:
            return d * (g + lam.astype(p.dtype) * p * ratio.astype(p.dtype))

        h = global_sum(h_term, delta, g_c, x_base, dtype=dt)
        max_product = jnp.maximum(b * state.max_product, jnp.abs(h))
        sum_squared_products = b * b * state.sum_squared_products + h * h
        reward = jnp.maximum(b * state.reward - state.s * h, 0)
        wealth = max_product * const(s_init, dt) / n + reward
        s = wealth / (jnp.sqrt(sum_squared_products) + eps_)
        scale = jnp.maximum(jnp.sum(s), 0)

        def leaf(g: Any, x: Any, ref: Any, d: Any, du: Any) -> Any:
            cdt = d.dtype
            x_new = ref.astype(cdt) + (d + du.astype(cdt)) * scale.astype(cdt)
            return to_output(x_new - x.astype(cdt), g.dtype)

        out = jax.tree.map(leaf, updates, params, state.ref, delta, u)
        new_state = MechanicState(
            count=safe_increment(state.count),
            ref=state.ref,
            s=s,
            max_product=max_product,
            sum_squared_products=sum_squared_products,
            reward=reward,
            inner_state=inner_state,
        )
        return out, new_state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
