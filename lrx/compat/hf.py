"""Hugging Face presets: ``adafactor`` with ``transformers.Adafactor``'s names and numbers.

``transformers.optimization.Adafactor`` (the fairseq port of Shazeer & Stern 2018) differs
from ``optax.adafactor`` (:func:`lrx.adafactor`) in ways that change the trajectory, so it
gets its own preset, built from the same lrx pieces (:mod:`lrx.transforms.factored`):

* the step size is *relative*: ``ρ_t = min(1e-2, 1/sqrt(t))``, or ``min(1e-6 t,
  1/sqrt(t))`` with ``warmup_init`` (``t`` from 1), unless ``lr`` is given with
  ``relative_step=False``; with ``scale_parameter`` it is multiplied by the parameter
  scale ``max(eps[1], RMS(θ))`` of each tensor;
* every tensor of two or more axes is factored over its last two axes, whatever their
  sizes (optax: the two largest, when both have at least 128 entries);
* weight decay is ``θ ← θ − λ ρ_t max(eps[1], RMS(θ)) θ``: scaled by the step size, applied
  next to the (optionally ``beta1``-averaged) update.

The trajectory equals transformers' Adafactor on the same gradients (float32,
``rtol=1e-5`` over 50 steps; checked against golden values in ``tests/test_compat_hf.py``
and live when transformers and torch are installed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._counters import safe_increment, zero_count
from lrx._dtypes import compute_dtype, real_dtype, to_output
from lrx._tree import check_state
from lrx._types import ScalarOrSchedule
from lrx._validate import check_bool, check_float
from lrx.schedules._base import as_schedule_fn
from lrx.transforms._moments import abs_sq, scalar
from lrx.transforms.factored import (
    clip_by_block_rms,
    flip_sign,
    scale_by_ema,
    scale_by_factored_rms,
    scale_by_param_block_rms,
)
from lrx.transforms.learning_rate import scale_by_learning_rate

__all__ = ["HfWeightDecayState", "adafactor", "relative_step_size"]


def relative_step_size(count: jax.typing.ArrayLike, warmup_init: bool = False) -> jax.Array:
    """transformers' relative step ``ρ`` of update ``count`` (from 0), float32.

    ``ρ = min(1e-2, 1/sqrt(t))``, or ``min(1e-6 t, 1/sqrt(t))`` with ``warmup_init``, where
    ``t = count + 1`` is transformers' ``state["step"]``.

    Example:
        >>> from lrx.compat.hf import relative_step_size
        >>> round(relative_step_size(9999).item(), 6), relative_step_size(0, True).item()
        (0.01, 9.999999974752427e-07)
    """
    t = (jnp.asarray(count) + 1).astype(jnp.float32)
    floor = 1e-6 * t if warmup_init else jnp.asarray(1e-2, jnp.float32)
    return jnp.minimum(floor, jax.lax.rsqrt(t))


class HfWeightDecayState(NamedTuple):
    """State of Adafactor's weight decay in :func:`adafactor`: the int32 update count."""

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do


def _rms(x: jax.Array) -> jax.Array:
    xc = x.astype(compute_dtype(x.dtype))
    return jnp.sqrt(jnp.mean(abs_sq(xc)))


def _weight_decay(
    weight_decay: Any, rate: Any, scale_parameter: bool, eps2: Any
) -> optax.GradientTransformation:
    """``u + λ ρ_t max(eps2, RMS(θ)) θ``: transformers' decay, scaled by its step size."""

    def init_fn(params: optax.Params) -> Any:
        del params
        return HfWeightDecayState(count=zero_count())

    def update_fn(
        updates: optax.Updates, state: Any, params: optax.Params | None = None
    ) -> tuple[optax.Updates, Any]:
        if params is None:
            raise ValueError("adafactor: update needs params (weight decay and parameter scale)")
        check_state("adafactor weight decay", state, HfWeightDecayState)
        rho = jnp.asarray(rate(state.count), jnp.float32)

        def leaf(u: Any, p: Any) -> Any:
            cdt = compute_dtype(u.dtype, p.dtype)
            step = rho.astype(real_dtype(cdt))
            if scale_parameter:
                rms = _rms(p).astype(step.dtype)
                step = jnp.maximum(scalar(eps2, rms), rms) * step
            decay = scalar(weight_decay, step) * step
            return to_output(u.astype(cdt) + decay.astype(cdt) * p.astype(cdt), u.dtype)

        updates = jax.tree.map(leaf, updates, params)
        return updates, HfWeightDecayState(count=safe_increment(state.count))

    return optax.GradientTransformation(init_fn, update_fn)


def adafactor(
    lr: ScalarOrSchedule | None = None,
    eps: Sequence[jax.typing.ArrayLike] = (1e-30, 1e-3),
    clip_threshold: jax.typing.ArrayLike = 1.0,
    decay_rate: jax.typing.ArrayLike = -0.8,
    beta1: jax.typing.ArrayLike | None = None,
    weight_decay: jax.typing.ArrayLike = 0.0,
    scale_parameter: bool = True,
    relative_step: bool = True,
    warmup_init: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""``transformers.Adafactor(params, lr, eps, clip_threshold, ...)``, its numbers.

    Formula, per tensor ``θ`` with gradient ``G`` (``t`` from 1, ``β̂₂ = 1 − t^decay_rate``,
    ``ε₁, ε₂ = eps``)::

        R_t = β̂₂ R + (1 − β̂₂) mean_{-1}(G² + ε₁),  C_t = β̂₂ C + (1 − β̂₂) mean_{-2}(G² + ε₁)
        u = G / sqrt(R_t C_t / mean(R_t))      (ndim >= 2; else V_t = β̂₂ V + (1 − β̂₂)(G² + ε₁))
        u = u / max(1, RMS(u) / clip_threshold)
        α_t = ρ_t · max(ε₂, RMS(θ))            (ρ_t: relative step or lr; scale_parameter)
        u = α_t u;  m = beta1 m + (1 − beta1) u (beta1 given: u = m)
        θ ← θ − α_t λ θ − u                    (λ = weight_decay)

    with ``ρ_t = min(1e-2, 1/sqrt(t))``, or ``min(1e-6 t, 1/sqrt(t))`` with
    ``warmup_init`` (:func:`relative_step_size`), or ``lr`` when ``relative_step=False``.
    Chain: ``scale_by_factored_rms(decay_rate=-decay_rate, epsilon=ε₁,
    min_dim_size_to_factor=0, factor_axes="last") → clip_by_block_rms(clip_threshold) →
    scale_by_learning_rate(ρ, flip_sign=False) → [scale_by_param_block_rms(ε₂)] →
    [scale_by_ema(beta1)] → weight decay → flip_sign()``.

    :func:`lrx.learning_rate` reports ``ρ_t``, the step size the last update used
    (before any update, the first one's) *without* the per-tensor parameter scale
    ``max(ε₂, RMS(θ))``, which differs per tensor; :func:`lrx.next_learning_rate`
    reports ``ρ_{t+1}``.

    Args:
        lr: the external learning rate (a float, array, :class:`lrx.Schedule` or
            callable), only with ``relative_step=False`` (default ``None``).
        eps: ``(ε₁, ε₂)``: added to ``G²``, and the smallest parameter scale (default
            ``(1e-30, 1e-3)``).
        clip_threshold: > 0, the update RMS clipping threshold (default 1.0).
        decay_rate: ``<= 0``, the exponent of ``β̂₂ = 1 − t^decay_rate`` (default -0.8).
        beta1: first-moment decay in ``[0, 1]``, or ``None`` for none (default).
        weight_decay: ``λ`` >= 0 (default 0.0).
        scale_parameter: multiply the step by the parameter scale (default ``True``).
        relative_step: use the relative step ``ρ_t`` instead of ``lr`` (default ``True``).
        warmup_init: warm the relative step up from ``1e-6`` (default ``False``; needs
            ``relative_step``).

    Raises:
        ValueError: ``lr`` with ``relative_step=True``, ``warmup_init`` without
            ``relative_step`` (transformers' checks), no ``lr`` without ``relative_step``.

    References:
        Shazeer & Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
        ICML 2018 (arXiv:1804.04235).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> from lrx.compat import hf
        >>> opt = hf.adafactor(scale_parameter=False)  # transformers.Adafactor(params, ...)
        >>> params = jnp.ones(2)
        >>> updates, state = opt.update(jnp.array([2.0, -0.5]), opt.init(params), params)
        >>> updates.tolist(), lrx.learning_rate(state).item()  # ρ_1 = 1e-2
        ([-0.009999999776482582, 0.009999999776482582], 0.009999999776482582)
    """
    relative_step = check_bool("relative_step", relative_step)
    warmup_init = check_bool("warmup_init", warmup_init)
    scale_parameter = check_bool("scale_parameter", scale_parameter)
    if lr is not None and relative_step:
        raise ValueError("Cannot combine manual `lr` and `relative_step=True` options")
    if warmup_init and not relative_step:
        raise ValueError("`warmup_init=True` requires `relative_step=True`")
    if lr is None and not relative_step:
        raise ValueError("relative_step=False needs a learning rate: pass lr=...")
    if isinstance(eps, (str, bytes)) or not isinstance(eps, Sequence) or len(eps) != 2:
        raise ValueError(f"eps must be a pair (eps1, eps2), got {eps!r}")
    eps1 = check_float("eps[0]", eps[0], lo=0.0)
    eps2 = check_float("eps[1]", eps[1], lo=0.0)
    exponent: Any = check_float("decay_rate", decay_rate, hi=0.0)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)
    if relative_step:
        rate: Any = lambda count: relative_step_size(count, warmup_init)  # noqa: E731
    else:
        rate = as_schedule_fn(lr, "lr")
    txs = [
        scale_by_factored_rms(
            decay_rate=-exponent, epsilon=eps1, min_dim_size_to_factor=0, factor_axes="last"
        ),
        clip_by_block_rms(clip_threshold),
        scale_by_learning_rate(rate, flip_sign=False),
    ]
    if scale_parameter:
        txs.append(scale_by_param_block_rms(eps2))
    if beta1 is not None:
        txs.append(scale_by_ema(beta1))
    txs.append(_weight_decay(weight_decay, rate, scale_parameter, eps2))
    txs.append(flip_sign())
    return optax.chain(*txs)
