"""``learning_rate(opt_state)``: read the learning rate in force out of an optimizer state."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax
import optax.contrib
import optax.transforms

from lrx.transforms.learning_rate import ScaleByLearningRateState
from lrx.transforms.plateau import ReduceOnPlateauState

__all__ = ["learning_rate"]

_INJECT = (optax.InjectHyperparamsState, optax.InjectStatefulHyperparamsState)
_PARTITION = optax.transforms.PartitionState
_OPTAX_PLATEAU = optax.contrib.ReduceLROnPlateauState
_NODES = (ScaleByLearningRateState, ReduceOnPlateauState, _OPTAX_PLATEAU, _PARTITION, *_INJECT)


def _is_node(x: Any) -> bool:
    return isinstance(x, _NODES)


def _value(x: Any) -> jax.Array:
    # nnx.Optimizer keeps its state leaves in Variables; unwrap them.
    if hasattr(x, "get_value"):
        x = x.get_value()
    return jnp.asarray(x).astype(jnp.float32)


def _walk(tree: Any) -> tuple[list[jax.Array], list[jax.Array], dict[str, jax.Array]]:
    """Return (learning rates, scales, per-label learning rates of partitions) in ``tree``."""
    rates: list[jax.Array] = []
    scales: list[jax.Array] = []
    groups: dict[str, jax.Array] = {}
    for node in jax.tree.leaves(tree, is_leaf=_is_node):
        if isinstance(node, ScaleByLearningRateState):
            rates.append(_value(node.learning_rate))
        elif isinstance(node, (ReduceOnPlateauState, _OPTAX_PLATEAU)):
            scales.append(_value(node.scale))
        elif isinstance(node, _INJECT):
            if isinstance(node.hyperparams, dict) and "learning_rate" in node.hyperparams:
                rates.append(_value(node.hyperparams["learning_rate"]))
            r, s, g = _walk(node.inner_state)
            rates += r
            scales += s
            _merge(groups, g)
        elif isinstance(node, _PARTITION):
            for label, inner in node.inner_states.items():
                lr = _resolve(inner)
                if lr is None:
                    continue
                if isinstance(lr, dict):
                    _merge(groups, {f"{label}/{k}": v for k, v in lr.items()})
                else:
                    _merge(groups, {str(label): lr})
    return rates, scales, groups


def _merge(into: dict[str, jax.Array], new: dict[str, jax.Array]) -> None:
    for k, v in new.items():
        into[k] = into[k] * v if k in into else v


def _product(values: list[jax.Array]) -> jax.Array:
    out = jnp.ones([], jnp.float32)
    for v in values:
        out = out * v
    return out


def _resolve(tree: Any) -> jax.Array | dict[str, jax.Array] | None:
    rates, scales, groups = _walk(tree)
    if not rates and not groups:
        return None
    outer = _product(rates + scales)
    if groups:
        return {k: v * outer for k, v in groups.items()}
    return outer


def learning_rate(opt_state: Any) -> jax.Array | dict[str, jax.Array]:
    """The learning rate in force in ``opt_state``.

    ``lr = η_last × Π scales``: ``η_last`` is the learning rate that the last update used
    (the value of update 0 before any update), read from the
    :func:`lrx.scale_by_learning_rate` state, and the scales are the
    :func:`lrx.reduce_on_plateau` scales held now (article 000_dbe525d0cf299df4.txt,
    "Adam + Reduce on Plateau": the global rate actually in force). Several learning-rate
    states or scales in one chain multiply. ``optax.inject_hyperparams`` states contribute
    their ``hyperparams["learning_rate"]`` and ``optax.contrib.reduce_on_plateau`` states
    their ``scale``.

    Under :func:`lrx.partition` (optax's ``PartitionState``) the result is a dict
    ``label -> learning rate`` (labels whose transform holds no learning rate, such as
    ``optax.set_to_zero()``, are left out; nested partitions give ``"outer/inner"`` keys);
    scales outside the partition multiply every label's rate.

    The walk is over the pytree structure only, so it works inside ``jit`` (returning
    traced arrays) and on states restored with ``flax.serialization.from_bytes(target,
    data)`` or orbax into a target of the same structure (a raw dict restored without a
    target has lost the state types and cannot be read). States of ``nnx.Optimizer``
    (``optimizer.opt_state``) are read directly.

    Args:
        opt_state: an optimizer state (any pytree).

    Returns:
        A float32 scalar array, or a dict of them under ``partition``.

    Raises:
        ValueError: if the state holds no learning rate (no ``scale_by_learning_rate``
            state, e.g. a bare transform or optax's own float/schedule scaling).

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.chain(
        ...     lrx.scale_by_learning_rate(lrx.step_decay(0.1, step_size=1, gamma=0.5)),
        ...     lrx.reduce_on_plateau(factor=0.5, patience=0),
        ... )
        >>> state = tx.init(jnp.zeros(2))
        >>> lrx.learning_rate(state).item()  # update 0's value before any update
        0.10000000149011612
        >>> _, state = tx.update(jnp.ones(2), state, value=1.0)  # lr 0.1, best 1.0
        >>> _, state = tx.update(jnp.ones(2), state, value=2.0)  # lr 0.05, worse: scale 0.5
        >>> lrx.learning_rate(state).item()  # 0.05 × 0.5
        0.02500000037252903
    """
    lr = _resolve(opt_state)
    if lr is None:
        raise ValueError(
            "opt_state holds no learning rate: found no lrx.scale_by_learning_rate state "
            "(nor an optax.inject_hyperparams 'learning_rate'). A bare transform such as "
            "lrx.scale_by_adam() has no learning rate; chain it with "
            "lrx.scale_by_learning_rate(...) or use an lrx optimizer (lrx.adam, lrx.sgd, ...)."
        )
    return lr
