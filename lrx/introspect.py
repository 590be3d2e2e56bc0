"""``learning_rate(opt_state)``: read the learning rate in force out of an optimizer state."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax
import optax.contrib
import optax.transforms

from lrx._tree import unwrap_variable
from lrx.transforms.learning_rate import ScaleByLearningRateState
from lrx.transforms.plateau import ReduceOnPlateauState

__all__ = ["learning_rate", "next_learning_rate"]

_INJECT = (optax.InjectHyperparamsState, optax.InjectStatefulHyperparamsState)
_PARTITION = optax.transforms.PartitionState
_OPTAX_PLATEAU = optax.contrib.ReduceLROnPlateauState
_NODES = (ScaleByLearningRateState, ReduceOnPlateauState, _OPTAX_PLATEAU, _PARTITION, *_INJECT)

Rate = jax.Array | dict[str, jax.Array]


def _reports_rate(x: Any) -> bool:
    """A state that computes its own learning rate (the learning-rate-free methods, LARS,
    ...) defines ``lrx_learning_rate(self, upcoming: bool) -> jax.Array``: the rate its
    last update applied (``upcoming=False``) or the next update will apply."""
    return callable(getattr(type(x), "lrx_learning_rate", None))


def _is_node(x: Any) -> bool:
    return isinstance(x, _NODES) or _reports_rate(x)


def _value(x: Any) -> jax.Array:
    # nnx.Optimizer keeps its state leaves in Variables; unwrap them.
    return jnp.asarray(unwrap_variable(x)).astype(jnp.float32)


def _next_rate(node: ScaleByLearningRateState) -> jax.Array:
    nxt = getattr(node, "next_learning_rate", None)
    if nxt is None:
        raise ValueError(
            "this ScaleByLearningRateState has no next_learning_rate field (a state saved "
            "by lrx 0.1.0?): re-create it with init and restore into that target"
        )
    return _value(nxt)


class _Found:
    """Learning rates, plateau scales and per-label rates found in one state tree."""

    def __init__(self) -> None:
        self.rates: list[jax.Array] = []
        self.scales: list[jax.Array] = []
        self.groups: dict[str, jax.Array] = {}

    def merge_groups(self, new: dict[str, jax.Array]) -> None:
        for k, v in new.items():
            self.groups[k] = self.groups[k] * v if k in self.groups else v


def _walk(tree: Any, upcoming: bool) -> _Found:
    """Collect the rates (last applied, or ``upcoming``) in ``tree``."""
    found = _Found()
    for node in jax.tree.leaves(tree, is_leaf=_is_node):
        if isinstance(node, ScaleByLearningRateState):
            found.rates.append(_next_rate(node) if upcoming else _value(node.learning_rate))
        elif _reports_rate(node):
            found.rates.append(_value(node.lrx_learning_rate(upcoming)))
        elif isinstance(node, ReduceOnPlateauState):
            scale, last, updated = (unwrap_variable(x) for x in node[:3])
            found.scales.append(_value(scale if upcoming else jnp.where(updated, last, scale)))
        elif isinstance(node, _OPTAX_PLATEAU):
            found.scales.append(_value(node.scale))
        elif isinstance(node, _INJECT):
            _walk_inject(node, upcoming, found)
        elif isinstance(node, _PARTITION):
            for label, inner in node.inner_states.items():
                lr = _resolve(inner, upcoming)
                if isinstance(lr, dict):
                    found.merge_groups({f"{label}/{k}": v for k, v in lr.items()})
                elif lr is not None:
                    found.merge_groups({str(label): lr})
    return found


def _walk_inject(node: Any, upcoming: bool, found: _Found) -> None:
    """An ``optax.inject_hyperparams`` state: its ``learning_rate`` counts once, and only
    where it is what the update applies.

    The rule: rates are read from the states that apply them. The inner state of
    ``inject_hyperparams(lrx.adam)`` records the rate its update applied
    (:func:`lrx.scale_by_learning_rate`), so the last rate is the inner's, never the
    injected value times it; ``partition``/``layerwise_decay`` groups and chains of several
    rate transforms are read the same way (0.2.0 multiplied the injected value in again).
    The injected value counts only where nothing below records a rate (``optax.sgd`` as
    the inner factory: the injected value is the rate it applies, and a value set by hand in
    ``state.hyperparams`` after the update shows there, the old one being gone). The next
    rate is the inner's next rate, except that an inner recording exactly one plain rate
    (``inject_hyperparams(lrx.adam)``: the injected constant) takes the injected value,
    which the next update is built with (a value set by hand takes effect there).
    """
    inner = _walk(node.inner_state, upcoming)
    hyper = node.hyperparams if isinstance(node.hyperparams, dict) else {}
    injected = hyper.get("learning_rate")
    if injected is not None:
        records = bool(inner.rates or inner.groups)
        if not records:
            inner.rates = [_value(injected)]
        elif upcoming and len(inner.rates) == 1 and not inner.groups:
            inner.rates = [_value(injected)]
    found.rates += inner.rates
    found.scales += inner.scales
    found.merge_groups(inner.groups)


def _product(values: list[jax.Array]) -> jax.Array:
    out = jnp.ones([], jnp.float32)
    for v in values:
        out = out * v
    return out


def _resolve(tree: Any, upcoming: bool) -> Rate | None:
    found = _walk(tree, upcoming)
    if not found.rates and not found.groups:
        return None
    outer = _product(found.rates + found.scales)
    if found.groups:
        return {k: v * outer for k, v in found.groups.items()}
    return outer


def _no_rate() -> ValueError:
    return ValueError(
        "opt_state holds no learning rate: found no lrx.scale_by_learning_rate state "
        "(nor an optax.inject_hyperparams 'learning_rate'). A bare transform such as "
        "lrx.scale_by_adam() has no learning rate; chain it with "
        "lrx.scale_by_learning_rate(...) or use an lrx optimizer (lrx.adam, lrx.sgd, ...)."
    )


def learning_rate(opt_state: Any) -> Rate:
    """The learning rate the last update used (what to log right after a step).

    ``lr = η_last × Π s_last``: ``η_last`` is the rate the last update applied, read from
    the :func:`lrx.scale_by_learning_rate` state, and ``s_last`` the
    :func:`lrx.reduce_on_plateau` scale that update applied (article 000, Adam + Reduce on
    Plateau: the global rate in force). Before any update it is the rate the first update
    will use. An :func:`lrx.observe` after the last update does not change it (it changes
    :func:`next_learning_rate`). Several learning-rate states or scales in one chain
    multiply. Rates are read from the states that applied them: under
    ``optax.inject_hyperparams`` the injected ``learning_rate`` counts once, and only where
    no state below it records a rate (``inject_hyperparams(optax.adam)``); an lrx inner
    (``lrx.adam``, ``partition``, ``layerwise_decay``, a chain of several rates) is read
    from its own states. ``optax.contrib.reduce_on_plateau`` states contribute their
    ``scale``.

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
    lr = _resolve(opt_state, upcoming=False)
    if lr is None:
        raise _no_rate()
    return lr


def next_learning_rate(opt_state: Any) -> Rate:
    """The learning rate the next update will use if no new metric arrives.

    ``lr = η(count) × Π s``: the schedule at the next update's count times the
    :func:`lrx.reduce_on_plateau` scales held now. This is torch's
    ``scheduler.get_last_lr()`` after ``scheduler.step()`` (or ``scheduler.step(metric)``).
    Same rules as :func:`learning_rate` otherwise (dict under :func:`lrx.partition`, works
    inside ``jit`` and on restored and ``nnx.Optimizer`` states). Under
    ``optax.inject_hyperparams`` the inner's next rate; where the inner holds one plain
    rate (``inject_hyperparams(lrx.adam)``, ``inject_hyperparams(optax.adam)``) it is the
    injected ``learning_rate`` (times any plateau scale), so a value set by hand in
    ``state.hyperparams`` shows here (under ``partition``/``layerwise_decay`` groups or
    several rates it shows after the next update). For an injected *schedule* optax's
    state keeps only the last value, so give the schedule to the lrx optimizer instead to
    read its next value.

    Args:
        opt_state: an optimizer state (any pytree).

    Returns:
        A float32 scalar array, or a dict of them under ``partition``.

    Raises:
        ValueError: if the state holds no learning rate.

    Example:
        A per-epoch plateau observation changes the next rate, not the last one:

        >>> import jax.numpy as jnp, optax, lrx
        >>> tx = lrx.chain(
        ...     optax.inject_hyperparams(optax.sgd)(learning_rate=0.1),
        ...     lrx.reduce_on_plateau(factor=0.5, patience=0),
        ... )
        >>> state = tx.init(jnp.zeros(2))
        >>> _, state = tx.update(jnp.ones(2), state)  # used 0.1
        >>> state = lrx.observe(lrx.observe(state, 1.0), 2.0)  # plateau: scale 0.5
        >>> lrx.learning_rate(state).item(), lrx.next_learning_rate(state).item()
        (0.10000000149011612, 0.05000000074505806)

        With ``lrx.sgd(lrx.step_decay(0.1, step_size=1, gamma=0.5))`` the next rate after
        the first update is the schedule's next value, 0.05.
    """
    lr = _resolve(opt_state, upcoming=True)
    if lr is None:
        raise _no_rate()
    return lr
