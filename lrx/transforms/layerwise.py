"""``layerwise_decay``: layer-wise learning-rate decay (LLRD) built on :func:`lrx.partition`.

Article 003 §2.3 and §4.3: the rate of layer ``k`` of ``K`` (counted from the top) is
``η · decay^(K-1-k)``; each layer's group gets its own optimizer at that rate.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax

from lrx._types import ScalarOrSchedule
from lrx._validate import FLOAT32_MAX, check_choice, check_float, is_traced, static_value
from lrx.schedules._base import Schedule
from lrx.transforms.learning_rate import check_rate
from lrx.transforms.partition import PatternLabels, partition

__all__ = ["layerwise_decay"]


def _scaled(learning_rate: ScalarOrSchedule, factor: Any) -> ScalarOrSchedule:
    """``factor · learning_rate``: a schedule stays a (printable, serializable) Schedule."""
    if isinstance(learning_rate, Schedule):
        scaled_schedule: Schedule = factor * learning_rate
        return scaled_schedule
    if callable(learning_rate):
        fn = learning_rate

        def scaled(count: Any) -> jax.Array:
            return jnp.asarray(fn(count), jnp.float32) * jnp.asarray(factor, jnp.float32)

        return scaled
    rate = check_rate("learning_rate", learning_rate)  # a Python float or a tracer
    if is_traced(rate) or is_traced(factor):
        # the product in the rate's dtype (float64 under x64 stays float64)
        return jnp.asarray(rate) * jnp.asarray(factor).astype(jnp.asarray(rate).dtype)
    return typing.cast(float, rate) * float(factor)  # exact: rounded once, to the update's dtype


def _check_decay_range(decay: float, n: int, learning_rate: Any) -> None:
    """Every layer's factor ``decay^{n-1-k}`` (and constant rate) must be finite in float32."""
    try:
        largest = max(decay ** (n - 1), 1.0)
    except OverflowError:
        largest = math.inf
    rate = static_value(learning_rate) if not callable(learning_rate) else None
    if rate is not None:
        largest *= max(float(rate), 1.0)
    if not largest <= FLOAT32_MAX:
        raise ValueError(
            f"decay={decay!r} over {n} layers gives a learning-rate factor decay**{n - 1} "
            f"(times the learning rate) of {largest:.3g}, beyond float32 range "
            f"({FLOAT32_MAX:.3g}): the rates would be inf; use a decay closer to 1"
        )


def layerwise_decay(
    optimizer: Callable[[ScalarOrSchedule], optax.GradientTransformation],
    learning_rate: ScalarOrSchedule,
    decay: float,
    layers: Sequence[str | Sequence[str]],
    *,
    default: str = "top",
) -> optax.GradientTransformationExtraArgs:
    r"""Layer-wise learning-rate decay (LLRD): lower layers get geometrically smaller rates.

    Formula: with ``n`` layers ordered from the input (``k = 0``) to the output
    (``k = n−1``), layer ``k`` trains with ``η_k = η · decay^{n−1−k}``, ``η`` the
    ``learning_rate`` (a schedule is scaled at every step: ``η_k(t) = η(t) · decay^{n−1−k}``).
    This is the per-group rate ``η_k`` of article 003 §2.3/§4.3 set by
    one rule, as in the fine-tuning recipes of ELECTRA (Clark et al., 2020) and BEiT (Bao et
    al., 2022) with ``decay`` around 0.65–0.9. ``decay > 1`` gives the lower layers the larger
    rates, the alternative article 003 §2.3 mentions.

    Built as ``partition({f"layer_{k}": optimizer(η_k)}, patterns)``: each layer gets its
    own copy of ``optimizer`` (separate state) and its own rate, readable per label with
    :func:`lrx.learning_rate`.

    Args:
        optimizer: factory ``learning_rate -> GradientTransformation``, e.g. ``lrx.adamw`` or
            ``functools.partial(lrx.adamw, weight_decay=0.05)``; called once per layer.
        learning_rate: ``η``, the top layer's rate: a float >= 0, a scalar array, an
            :class:`lrx.Schedule` or a jittable ``count -> lr``.
        decay: the per-layer factor, a finite float > 0 (``1`` gives every layer ``η``)
            such that every layer's rate is finite in float32; a concrete array or a
            tracer (``jax.vmap`` over ``decay``) is accepted, its range then unchecked.
        layers: ``n >= 1`` entries ordered from the bottom (input) layer to the top
            (output) layer; each is a glob pattern or a sequence of patterns (the syntax of
            :func:`partition`), e.g. ``["embed/**", "blocks_0/**", "blocks_1/**",
            "head/**"]``. A parameter matching several entries joins the first (lowest).
        default: where parameters that match no entry go: ``"top"`` (default: layer
            ``n−1``, rate ``η``), ``"bottom"`` (layer 0, rate ``η·decay^{n−1}``) or
            ``"error"`` (``ValueError`` listing them at ``init``).

    Returns:
        A :func:`partition` transform with labels ``"layer_0"`` (bottom) ...
        ``"layer_{n-1}"`` (top).

    Example:
        >>> import jax, jax.numpy as jnp, lrx
        >>> params = {"embed": jnp.ones(1), "block": jnp.ones(1), "head": jnp.ones(1)}
        >>> tx = lrx.layerwise_decay(lrx.sgd, 1.0, 0.5, ["embed", "block", "head"])
        >>> state = tx.init(params)
        >>> updates, state = tx.update(jax.tree.map(jnp.ones_like, params), state, params)
        >>> {k: v.item() for k, v in updates.items()}
        {'block': -0.5, 'embed': -0.25, 'head': -1.0}
        >>> {k: v.item() for k, v in sorted(lrx.learning_rate(state).items())}
        {'layer_0': 0.25, 'layer_1': 0.5, 'layer_2': 1.0}
    """
    if not callable(optimizer):
        raise ValueError(
            f"optimizer must be a callable learning_rate -> transform, got {optimizer!r}"
        )
    decay = check_float("decay", decay, lo=0.0, lo_open=True)
    default = check_choice("default", default, ["top", "bottom", "error"])
    if isinstance(layers, str) or not isinstance(layers, Sequence) or len(layers) == 0:
        raise ValueError(
            f"layers must be a non-empty sequence of glob patterns (bottom to top), got {layers!r}"
        )
    n = len(layers)
    patterns: dict[str, str] = {}
    for k, entry in enumerate(layers):
        if isinstance(entry, str):
            entry_patterns: tuple[Any, ...] = (entry,)
        elif isinstance(entry, Sequence):
            entry_patterns = tuple(entry)
        else:
            entry_patterns = ()
        if not entry_patterns or not all(isinstance(p, str) for p in entry_patterns):
            raise ValueError(
                f"layers[{k}] must be a glob pattern or a non-empty sequence of them, got {entry!r}"
            )
        for p in entry_patterns:
            patterns.setdefault(p, f"layer_{k}")  # first (lowest) layer wins
    if default != "error":
        patterns.setdefault("**", f"layer_{n - 1}" if default == "top" else "layer_0")
    learning_rate = check_rate("learning_rate", learning_rate)  # validate eagerly
    if static_value(decay) is not None:
        _check_decay_range(float(decay), n, learning_rate)
    transforms = {
        f"layer_{k}": optimizer(_scaled(learning_rate, decay ** (n - 1 - k))) for k in range(n)
    }
    resolver = PatternLabels(patterns, transforms)
    return partition(transforms, resolver)
