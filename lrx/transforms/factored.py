"""Adafactor's pieces: ``scale_by_factored_rms`` and the per-block scalings around it.

Adafactor (Shazeer & Stern 2018) sets the step of each parameter from a second-moment
estimate that, for a matrix, keeps only its row and column means (``n + m`` numbers
instead of ``n m``), clips each block's update to a maximum RMS, and multiplies it by the
block's parameter scale, a *relative* step size (article 003, 2.3: layer-wise rates). The
pieces here are the ones :func:`lrx.adafactor` and :func:`lrx.compat.hf.adafactor` chain:

* :func:`scale_by_factored_rms`: ``g / sqrt(v̂)`` with the factored ``v̂`` (Alg. 4/5);
* :func:`clip_by_block_rms`: ``u / max(1, RMS(u) / d)`` (update clipping, section 6);
* :func:`scale_by_param_block_rms`: ``u · max(RMS(θ), ε₂)`` (relative step, section 8);
* :func:`scale_by_ema`: ``m_t = β₁ m_{t-1} + (1 − β₁) u_t`` (no bias correction);
* :func:`flip_sign`: ``−u`` (descent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

from lrx._counters import safe_increment, zero_count
from lrx._dtypes import (
    canonical_dtype,
    cast,
    check_floating,
    compute_dtype,
    real_dtype,
    state_dtype,
    to_output,
)
from lrx._tree import check_state, check_update, tree_map_multi
from lrx._validate import check_bool, check_choice, check_float, check_int, is_traced
from lrx.transforms._moments import abs_sq, ema, scalar

__all__ = [
    "ScaleByEmaState",
    "ScaleByFactoredRmsState",
    "clip_by_block_rms",
    "decay_rate_pow",
    "factored_dims",
    "flip_sign",
    "scale_by_ema",
    "scale_by_factored_rms",
    "scale_by_param_block_rms",
]


class ScaleByFactoredRmsState(NamedTuple):
    """State of :func:`scale_by_factored_rms` (``optax.FactoredState``'s fields).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        v_row: per leaf, the row statistics ``R`` (the leaf's shape without its largest
            factored axis) of a factored leaf, a placeholder of shape ``(1,)`` otherwise.
        v_col: per leaf, the column statistics ``C`` of a factored leaf, else ``(1,)``.
        v: per leaf, the full ``v`` of a leaf that is not factored, else ``(1,)``.

    Statistics are real, float32 for parameters below 32 bits, else the params' real dtype.
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    v_row: Any
    v_col: Any
    v: Any


class ScaleByEmaState(NamedTuple):
    """State of :func:`scale_by_ema`: ``ema``, a tree like the params."""

    ema: Any


def decay_rate_pow(step: jax.typing.ArrayLike, exponent: jax.typing.ArrayLike = 0.8) -> jax.Array:
    """Adafactor's second-moment decay ``β̂₂ = 1 − (step + 1)^(−exponent)``.

    ``step`` counts from 0 (``step + 1`` is the paper's ``t``), as ``optax``'s default
    ``decay_rate_fn``. Computed in JAX's default float dtype (float32, as optax; float64
    under ``jax_enable_x64``); a floating array ``exponent`` sets the dtype instead.
    """
    dtype = getattr(exponent, "dtype", None)
    if dtype is None or not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    t = (jnp.asarray(step) + 1).astype(dtype)
    neg_exponent: Any = -jnp.asarray(exponent) if is_traced(exponent) else -float(exponent)  # type: ignore[arg-type]
    out: jax.Array = 1 - t ** scalar(neg_exponent, t)
    return out


def factored_dims(
    shape: tuple[int, ...], factored: bool, min_dim_size_to_factor: int, axes: str = "largest"
) -> tuple[int, int] | None:
    """The axes ``(d1, d0)`` a leaf's statistics are factored over, or ``None``.

    ``axes="largest"`` (optax, the paper): the two largest axes, if the second largest has
    at least ``min_dim_size_to_factor`` entries; ``d0`` (the largest) is averaged out of
    the row statistics, ``d1`` out of the column statistics. ``axes="last"``
    (transformers, fairseq): the last two axes (``d0 = -1``). Leaves of fewer than two
    axes are never factored.
    """
    if not factored or len(shape) < 2:
        return None
    if axes == "last":
        d1, d0 = len(shape) - 2, len(shape) - 1
    else:
        order = np.argsort(shape)
        d1, d0 = int(order[-2]), int(order[-1])
    if min(shape[d1], shape[d0]) < min_dim_size_to_factor:
        return None
    return d1, d0


def _rsqrt(x: jax.Array) -> jax.Array:
    return lax.rsqrt(x)


def scale_by_factored_rms(
    factored: bool = True,
    decay_rate: jax.typing.ArrayLike = 0.8,
    step_offset: jax.typing.ArrayLike = 0,
    min_dim_size_to_factor: int = 128,
    epsilon: jax.typing.ArrayLike = 1e-30,
    decay_rate_fn: Callable[[Any, Any], Any] = decay_rate_pow,
    *,
    factor_axes: str = "largest",
) -> optax.GradientTransformation:
    r"""Adafactor's scaling ``g / sqrt(v̂)`` with a factored second-moment estimate.

    Formula (Alg. 4 and 5 of Shazeer & Stern 2018; ``t`` the update number from 1,
    ``β̂₂ = decay_rate_fn(t − 1 − step_offset, decay_rate)``, by default
    ``1 − (t − step_offset)^(−decay_rate)``), for a matrix leaf ``G`` (``n × m``)::

        R_t = β̂₂ R_{t-1} + (1 − β̂₂) mean_cols(G² + ε)        (row statistics)
        C_t = β̂₂ C_{t-1} + (1 − β̂₂) mean_rows(G² + ε)        (column statistics)
        V̂_t = R_t C_t / mean(R_t)                               (rank-one estimate)
        output = G / sqrt(V̂_t)

    and for a leaf that is not factored (vectors, scalars, small matrices)
    ``V_t = β̂₂ V_{t-1} + (1 − β̂₂)(G² + ε)``, ``output = G / sqrt(V_t)``. A leaf of two or
    more axes is factored over its two largest axes (Alg. 5 for higher-rank leaves) when
    both have at least ``min_dim_size_to_factor`` entries. Means (not sums) make ``V̂``
    the paper's ``R C / (1ᵀ R)``. These are the memory-saving second moments of article 003
    (2.3) and ``optax.scale_by_factored_rms``, argument for argument: the literal swap
    gives optax's numbers.

    Dtypes: statistics are real and float32 for parameters below 32 bits (optax keeps them
    in the params' dtype; a bfloat16 average stalls), else the params' real dtype;
    complex leaves use ``|g|²`` and keep their phase. ``decay_rate``, ``step_offset`` and
    ``epsilon`` may be tracers; ``factored``, ``min_dim_size_to_factor`` and
    ``factor_axes`` choose the state's shapes and must be static.

    Args:
        factored: factor the statistics of leaves with two or more axes (default ``True``).
        decay_rate: exponent of the decay schedule, >= 0 (default 0.8).
        step_offset: int >= 0, subtracted from the step (fine-tuning; default 0).
        min_dim_size_to_factor: int >= 0, smallest axis size worth factoring (default 128).
        epsilon: >= 0, added to ``g²`` (default 1e-30).
        decay_rate_fn: ``(step, decay_rate) -> β̂₂`` with ``step`` from 0 (default
            :func:`decay_rate_pow`, the paper's ``1 − t^(−0.8)``).
        factor_axes: keyword-only, ``"largest"`` (optax, default) or ``"last"`` (the last
            two axes, transformers' Adafactor).

    Returns:
        A ``GradientTransformation`` with state :class:`ScaleByFactoredRmsState`.

    References:
        Shazeer & Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
        ICML 2018 (arXiv:1804.04235).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.scale_by_factored_rms(epsilon=0.0)
        >>> u, state = tx.update(jnp.array([2.0, -0.5]), tx.init(jnp.zeros(2)))
        >>> u.tolist()  # β̂₂ = 0 at the first step: g / |g|
        [1.0, -1.0]
    """
    factored = check_bool("factored", factored)
    decay_rate = check_float("decay_rate", decay_rate, lo=0.0)
    step_offset = check_int("step_offset", step_offset, lo=0)
    if is_traced(min_dim_size_to_factor):
        raise ValueError("min_dim_size_to_factor must be a static int (it shapes the state)")
    min_dim = check_int("min_dim_size_to_factor", min_dim_size_to_factor, lo=0)
    epsilon = check_float("epsilon", epsilon, lo=0.0)
    if not callable(decay_rate_fn):
        raise ValueError(f"decay_rate_fn must be callable, got {decay_rate_fn!r}")
    axes = check_choice("factor_axes", factor_axes, ("largest", "last"))

    def dims(shape: tuple[int, ...]) -> tuple[int, int] | None:
        return factored_dims(shape, factored, min_dim, axes)

    def init_fn(params: optax.Params) -> Any:
        check_floating("scale_by_factored_rms", params)

        def leaf(p: Any) -> tuple[Any, Any, Any]:
            dt = state_dtype(p.dtype, real=True)
            fd = dims(p.shape)
            if fd is None:  # (1,) placeholders for the row and column statistics
                return jnp.zeros((1,), dt), jnp.zeros((1,), dt), jnp.zeros_like(p, dt)
            d1, d0 = fd
            row = jnp.zeros(tuple(np.delete(p.shape, d0)), dt)
            col = jnp.zeros(tuple(np.delete(p.shape, d1)), dt)
            return row, col, jnp.zeros((1,), dt)

        v_row, v_col, v = tree_map_multi(leaf, 3, params)
        return ScaleByFactoredRmsState(count=zero_count(), v_row=v_row, v_col=v_col, v=v)

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        check_state("scale_by_factored_rms", state, ScaleByFactoredRmsState)
        structure: Any = jax.tree.structure(updates)  # PyTreeDef is opaque to mypy
        if structure != jax.tree.structure(state.v):
            raise ValueError(
                "scale_by_factored_rms: the update tree does not match the state created by "
                f"init: {jax.tree.structure(updates)} vs {jax.tree.structure(state.v)}"
            )
        check_floating("scale_by_factored_rms", updates)
        decay = decay_rate_fn(state.count - step_offset, decay_rate)

        def leaf(g: Any, v_row: Any, v_col: Any, v: Any) -> tuple[Any, Any, Any, Any]:
            cdt = compute_dtype(g.dtype, v.dtype)
            rdt = real_dtype(cdt)
            b2 = jnp.asarray(decay).astype(rdt)
            g_c = g.astype(cdt)
            g_sq = abs_sq(g_c) + scalar(epsilon, abs_sq(g_c))  # G² + ε
            fd = dims(g.shape)
            if fd is None:
                v_new = ema(b2, v.astype(rdt), g_sq)
                out = g_c * _rsqrt(v_new).astype(cdt)
                return to_output(out, g.dtype), v_row, v_col, cast(v_new, v.dtype)
            d1, d0 = fd
            row = ema(b2, v_row.astype(rdt), jnp.mean(g_sq, axis=d0))
            col = ema(b2, v_col.astype(rdt), jnp.mean(g_sq, axis=d1))
            d1_in_row = d1 - 1 if d1 > d0 else d1
            row_factor = _rsqrt(row / jnp.mean(row, axis=d1_in_row, keepdims=True))
            col_factor = _rsqrt(col)
            scale = jnp.expand_dims(row_factor, d0) * jnp.expand_dims(col_factor, d1)
            out = g_c * scale.astype(cdt)  # G / sqrt(R C / mean(R))
            return to_output(out, g.dtype), cast(row, v_row.dtype), cast(col, v_col.dtype), v

        out, v_row, v_col, v = tree_map_multi(leaf, 4, updates, state.v_row, state.v_col, state.v)
        count = safe_increment(state.count)
        return out, ScaleByFactoredRmsState(count=count, v_row=v_row, v_col=v_col, v=v)

    return optax.GradientTransformation(init_fn, update_fn)


def _rms(x: jax.Array) -> jax.Array:
    """``sqrt(mean(|x|²))`` of a whole leaf, real, in float32 or wider."""
    xc = x.astype(compute_dtype(x.dtype))
    return jnp.sqrt(jnp.mean(abs_sq(xc)))


def _scaled(u: jax.Array, factor: jax.Array) -> jax.Array:
    """``u · factor`` (a real scalar) in the compute dtype, cast back to ``u``'s dtype."""
    cdt = compute_dtype(u.dtype, factor.dtype)
    return to_output(u.astype(cdt) * factor.astype(cdt), u.dtype)


def clip_by_block_rms(threshold: jax.typing.ArrayLike) -> optax.GradientTransformation:
    r"""Clip each leaf's update to RMS ``threshold``: ``u / max(1, RMS(u) / d)``.

    Adafactor's update clipping (Shazeer & Stern 2018, section 6, ``d`` the threshold),
    ``optax.clip_by_block_rms``'s formula. ``RMS(u) = sqrt(mean |u|²)`` over the leaf.

    Args:
        threshold: ``d`` > 0 (a tracer is not range-checked).

    Returns:
        A stateless ``GradientTransformation``.

    Example:
        >>> import jax.numpy as jnp
        >>> from lrx.transforms.factored import clip_by_block_rms
        >>> tx = clip_by_block_rms(1.0)
        >>> u, _ = tx.update(jnp.array([3.0, 4.0]), tx.init(None))
        >>> [round(x, 4) for x in u.tolist()]  # RMS sqrt(12.5) → 1
        [0.8485, 1.1314]
    """
    threshold = check_float("threshold", threshold, lo=0.0, lo_open=True)

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        check_floating("clip_by_block_rms", updates)

        def leaf(u: Any) -> Any:
            rms = _rms(u)
            return _scaled(u, 1 / jnp.maximum(1, rms / scalar(threshold, rms)))

        return jax.tree.map(leaf, updates), state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update_fn)


def scale_by_param_block_rms(
    min_scale: jax.typing.ArrayLike = 1e-3,
) -> optax.GradientTransformation:
    r"""Multiply each leaf's update by its parameter scale ``max(RMS(θ), min_scale)``.

    Adafactor's relative step (Shazeer & Stern 2018, section 8: the step of a block is
    relative to the scale of its weights; ``min_scale`` is the paper's ``ε₂``),
    ``optax.scale_by_param_block_rms``'s formula.

    Args:
        min_scale: ``ε₂`` >= 0 (default 1e-3).

    Returns:
        A stateless ``GradientTransformation`` whose ``update`` needs ``params``.

    Example:
        >>> import jax.numpy as jnp
        >>> from lrx.transforms.factored import scale_by_param_block_rms
        >>> tx = scale_by_param_block_rms()
        >>> u, _ = tx.update(jnp.ones(2), tx.init(None), jnp.array([3.0, 4.0]))
        >>> [round(x, 4) for x in u.tolist()]  # RMS(θ) = sqrt(12.5)
        [3.5355, 3.5355]
    """
    min_scale = check_float("min_scale", min_scale, lo=0.0)

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        if params is None:
            raise ValueError("scale_by_param_block_rms: update needs params (their RMS)")
        check_floating("scale_by_param_block_rms", updates)

        def leaf(u: Any, p: Any) -> Any:
            rms = _rms(p)
            return _scaled(u, jnp.maximum(rms, scalar(min_scale, rms)))

        return jax.tree.map(leaf, updates, params), state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update_fn)


def scale_by_ema(
    decay: jax.typing.ArrayLike, accumulator_dtype: Any = None
) -> optax.GradientTransformation:
    r"""An exponential moving average of the updates: ``m_t = β m_{t-1} + (1 − β) u_t``.

    ``m_0 = 0`` and no bias correction (``optax.ema(decay, debias=False)``, Adafactor's
    optional first moment ``β₁``); the output is ``m_t`` in the update's dtype.

    Args:
        decay: ``β`` in ``[0, 1]``.
        accumulator_dtype: dtype of ``m``, or ``None`` (the params' dtype, float32 below
            32 bits). A real dtype for complex params means its complex counterpart
            (float32 → complex64), so the imaginary part is kept.

    Returns:
        A ``GradientTransformation`` with state :class:`ScaleByEmaState`.

    Example:
        >>> import jax.numpy as jnp
        >>> from lrx.transforms.factored import scale_by_ema
        >>> tx = scale_by_ema(0.75)
        >>> u, _ = tx.update(jnp.ones(1), tx.init(jnp.zeros(1)))
        >>> u.tolist()
        [0.25]
    """
    decay = check_float("decay", decay, lo=0.0, hi=1.0)
    acc_dtype = canonical_dtype("accumulator_dtype", accumulator_dtype)

    def init_fn(params: optax.Params) -> Any:
        check_floating("scale_by_ema", params)

        def leaf(p: Any) -> Any:
            dt = state_dtype(p.dtype, acc_dtype)
            if jnp.iscomplexobj(p) and not jnp.issubdtype(dt, jnp.complexfloating):
                dt = compute_dtype(dt, p.dtype)  # float32 → complex64: keep the phase
            return jnp.zeros_like(p, dt)

        return ScaleByEmaState(ema=jax.tree.map(leaf, params))

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        check_update("scale_by_ema", updates, state, ScaleByEmaState, "ema")

        def leaf(u: Any, m: Any) -> tuple[Any, Any]:
            cdt = compute_dtype(u.dtype, m.dtype)
            m_new = ema(decay, m.astype(cdt), u.astype(cdt))
            return to_output(m_new, u.dtype), cast(m_new, m.dtype)

        out, new = tree_map_multi(leaf, 2, updates, state.ema)
        return out, ScaleByEmaState(new)

    return optax.GradientTransformation(init_fn, update_fn)


def flip_sign() -> optax.GradientTransformation:
    """``u → −u`` (``optax.scale(-1)``): gradient *descent* at the end of a chain."""

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        del params
        return jax.tree.map(lax.neg, updates), state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update_fn)
