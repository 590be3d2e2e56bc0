"""``skip_nonfinite``: drop an update whose gradients or result are not finite."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

from lrx._counters import safe_increment, zero_count
from lrx._tree import check_state
from lrx._validate import check_int

__all__ = ["SkipNonfiniteState", "skip_nonfinite"]


class SkipNonfiniteState(NamedTuple):
    """State of :func:`skip_nonfinite`.

    Attributes:
        inner_state: the wrapped transform's state, as of the last finite update.
        num_skipped: int32, total number of skipped updates (saturates at int32 max).
        consecutive: int32, skipped updates since the last finite one (0 after a finite one).
        limit_hit: bool, ``True`` once ``consecutive`` has reached ``max_consecutive``
            (sticky: it stays ``True`` after finite updates resume); always ``False`` without
            ``max_consecutive``.
    """

    inner_state: Any
    num_skipped: jax.Array
    consecutive: jax.Array
    limit_hit: jax.Array


_CHUNK = 32  # most same-shape arrays summed elementwise before one reduction


def _is_float(x: Any) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.inexact)


def _chunks(lists: list[list[jax.Array]]) -> list[list[jax.Array]]:
    """Split same-shaped arrays, one list per source, into chunks of at most ``_CHUNK``.

    XLA compiles one kernel per distinct fused computation and reuses it for identical
    ones, so chunks are made identical where the counts allow: with ``m`` dividing every
    list's length, chunk ``j`` takes the ``j``-th ``m``-th of each list (a parameter's
    gradient, update and moments when every source has one array per parameter), and
    every chunk has the same composition. ``m`` is the fewest such chunks of at most
    ``_CHUNK`` arrays; where no ``m`` gives chunks that small, each list is cut alone.
    """
    lists = [xs for xs in lists if xs]
    lengths = [len(xs) for xs in lists]
    g = math.gcd(*lengths)
    total = sum(lengths)
    m = next((d for d in range(1, g + 1) if g % d == 0 and total <= d * _CHUNK), None)
    if m is None:
        return [xs[i : i + _CHUNK] for xs in lists for i in range(0, len(xs), _CHUNK)]
    return [
        [x for xs in lists for x in xs[j * len(xs) // m : (j + 1) * len(xs) // m]] for j in range(m)
    ]


def _all_finite(*sources: list[jax.Array]) -> jax.Array:
    """One boolean scalar: every element of every array of every source is finite.

    ``x - x`` is ``0`` for a finite ``x`` and NaN for ``±inf`` or NaN, and a sum of zeros
    never overflows, so ``sum(x - x)`` is NaN exactly when ``x`` has a non-finite element.
    (Not ``x * 0``: XLA folds ``(g * c) * 0`` into ``g * (c * 0)``, losing an overflow of
    ``g * c``.) Arrays of the same shape and dtype (a parameter's gradient, update and
    moments; the many same-shaped layers of a model) are added elementwise in chunks
    (:func:`_chunks`) and each sum is reduced once: the check compiles a few distinct
    kernels per shape, whatever the number of leaves. Float sums rather than boolean
    ``any`` reductions: XLA compiles them into fewer, smaller kernels.
    """
    buckets: dict[tuple[tuple[int, ...], Any], list[list[jax.Array]]] = {}
    for k, arrays in enumerate(sources):
        for x in arrays:
            buckets.setdefault((x.shape, x.dtype), [[] for _ in sources])[k].append(x)
    total = jnp.zeros((), jnp.float32)
    for lists in buckets.values():
        for chunk in _chunks(lists):
            total = lax.add(total, _nonfinite_sum(*chunk))
    return lax.is_finite(total)


@jax.jit
def _nonfinite_sum(*arrays: jax.Array) -> jax.Array:
    """``sum(x - x)`` over same-shaped ``arrays`` as a float32 scalar: 0 or NaN.

    Jitted so that tracing a chunk is one call, and identical chunks are traced once;
    ``lax``, not ``jnp``, inside: a ``jnp`` operator costs ~20x a primitive to trace.
    """
    acc = lax.sub(arrays[0], arrays[0])
    for x in arrays[1:]:
        acc = lax.add(acc, lax.sub(x, x))
    s = lax.reduce(acc, np.zeros((), acc.dtype), lax.add, tuple(range(acc.ndim)))
    if jnp.iscomplexobj(s):
        s = lax.add(lax.real(s), lax.imag(s))
    return lax.convert_element_type(s, jnp.float32)


# Scalar state fields that hold a +-inf sentinel by design (a plateau's best metric before
# its first observation: lrx's and optax.contrib's; the finder's best loss) and injected
# hyperparameters (``growth_rate=inf``): already non-finite before the update, they do not
# count. Every other leaf, 0-d or not, must be finite.
_SENTINEL_FIELDS = frozenset({"best", "best_value", "avg_value"})


def _is_sentinel(path: tuple[Any, ...]) -> bool:
    names = [getattr(k, "name", getattr(k, "key", None)) for k in path]
    if names and names[-1] in _SENTINEL_FIELDS:
        return True
    return "hyperparams" in names[:-1]


def _step_ok(grads: Any, updates: Any, new_state: Any, old_state: Any) -> jax.Array:
    """Gradients, updates and the new state finite.

    A sentinel field (:data:`_SENTINEL_FIELDS`, an injected hyperparameter) already
    non-finite before the update does not count. Every other state leaf must be finite,
    0-d or not: a moment of a shape ``()`` parameter restored as inf counts exactly like one
    of shape ``(2,)`` (a poisoned run that should keep being reported).
    """
    new_leaves = jax.tree.leaves(new_state)
    old_leaves = jax.tree.leaves(old_state)
    if any(_is_float(x) and x.ndim == 0 for x in new_leaves):
        paths = [p for p, _ in jax.tree_util.tree_flatten_with_path(new_state)[0]]
    else:
        paths = [()] * len(new_leaves)
    state = []
    for path, new, old in zip(paths, new_leaves, old_leaves, strict=True):
        if _is_float(new):
            exempt = new.ndim == 0 and _is_sentinel(path)
            state.append(jnp.where(jnp.isfinite(old), new, 0) if exempt else new)
    return _all_finite(
        [x for x in jax.tree.leaves(grads) if _is_float(x)],
        [x for x in jax.tree.leaves(updates) if _is_float(x)],
        state,
    )


_STATE_GROUP = 64  # inner-state leaves per lax.cond


def _take_new(new: list[jax.Array], old: list[jax.Array]) -> tuple[list[jax.Array], jax.Array]:
    return new, jnp.asarray(True)


def _keep_old(new: list[jax.Array], old: list[jax.Array]) -> tuple[list[jax.Array], jax.Array]:
    return old, jnp.asarray(False)


def _commit(ok: jax.Array, new_state: Any, old_state: Any) -> tuple[Any, jax.Array]:
    """``(new_state if ok else old_state, ok)``, ``_STATE_GROUP`` leaves per ``lax.cond``.

    The returned flag is ``ok`` as it comes out of the first conditional: an opaque scalar
    that XLA cannot fuse back into its consumers.
    """
    new_leaves, treedef = jax.tree.flatten(new_state)
    old_leaves = jax.tree.leaves(old_state)
    groups = [
        lax.cond(
            ok,
            _take_new,
            _keep_old,
            new_leaves[i : i + _STATE_GROUP],
            old_leaves[i : i + _STATE_GROUP],
        )
        for i in range(0, max(len(new_leaves), 1), _STATE_GROUP)
    ]
    taken = [leaf for group, _ in groups for leaf in group]
    return jax.tree.unflatten(treedef, taken), groups[0][1]


def _zeroed_unless(flag: jax.Array, tree: Any) -> Any:
    """``tree`` where ``flag``, else zeros: a select per leaf, one zeros array per type."""
    zeros: dict[Any, jax.Array] = {}

    def leaf(u: jax.Array) -> jax.Array:
        aval = jax.typeof(u)
        if aval not in zeros:
            zeros[aval] = lax.full_like(u, 0)
        return lax.select(flag, u, zeros[aval])

    return jax.tree.map(leaf, tree)


def skip_nonfinite(
    inner: optax.GradientTransformation, *, max_consecutive: int | None = None
) -> optax.GradientTransformationExtraArgs:
    r"""Skip any update whose gradients or resulting updates contain NaN or Inf.

    Formula: with ``(u_t, s'_t) = inner.update(g_t, s_{t-1})`` and
    ``ok_t = all(isfinite(g_t)) ∧ all(isfinite(u_t)) ∧ all(isfinite(s'_t))`` (a sentinel
    field of ``s'_t`` that was already non-finite in ``s_{t-1}`` is exempt), the output is ``u_t``
    and the new inner state ``s'_t`` when ``ok_t``, else zeros and the unchanged
    ``s_{t-1}``. A skipped step is as if it never happened: the inner count does not
    advance, so schedules, Adam's moments and bias correction continue from the last
    finite step. This is the loss-scaling "skip step on overflow" guard of mixed-precision
    training, usable for any lrx or optax transform.

    The state test catches a poisoned state behind a finite update: a finite but huge
    gradient (``|g| > ~1.8e19`` in float32) overflows Adam's second moment to ``inf`` while
    the update ``m / (sqrt(v) + eps)`` is a finite 0; committing it would freeze the
    parameter forever. Sentinel fields already non-finite before the update (a plateau's
    ``best``/``best_value`` of ``+inf`` before its first observation, the finder's ``best``,
    an injected hyperparameter such as ``growth_rate=inf``) do not count; any other state
    leaf that is non-finite, 0-d or not (a state restored from a poisoned checkpoint),
    skips every step, so ``num_skipped`` and ``limit_hit`` report it.

    The decision is a traced flag: no host synchronisation and no Python branching, so it
    works inside ``jit`` and ``lax.scan``. The check adds ``x - x`` over same-shaped arrays,
    in chunks that hold the same mix of gradients, updates and state (so XLA compiles one
    kernel for all of them), and reduces each sum once; the state is committed by
    ``lax.cond`` in groups of 64 leaves and the updates are zeroed by a select. Compile
    time grows with the number of leaves as the unguarded transform's does (measured
    against Adam's on the benchmarks page).

    lrx never raises inside jit: to stop a run that keeps producing non-finite gradients,
    pass ``max_consecutive`` and check ``state.limit_hit`` on the host (e.g. every ``k`` steps).

    Extra keyword arguments (e.g. ``value=`` for :func:`lrx.reduce_on_plateau`) are passed
    to ``inner``. On a skipped step everything ``inner`` did is discarded, so a ``value``
    observation given with that step is dropped too.

    Args:
        inner: the ``GradientTransformation`` (or ``...ExtraArgs``) to guard.
        max_consecutive: ``None`` (default: never flag) or a positive int: ``limit_hit``
            becomes ``True`` once this many consecutive updates were skipped.

    Returns:
        A ``GradientTransformationExtraArgs`` with state :class:`SkipNonfiniteState`.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.skip_nonfinite(lrx.sgd(0.1), max_consecutive=1)
        >>> state = tx.init(jnp.zeros(2))
        >>> u, state = tx.update(jnp.array([1.0, jnp.nan]), state)
        >>> u.tolist(), state.num_skipped.item(), bool(state.limit_hit)
        ([0.0, 0.0], 1, True)
        >>> u, state = tx.update(jnp.array([1.0, 2.0]), state)
        >>> u.tolist(), state.consecutive.item()
        ([-0.10000000149011612, -0.20000000298023224], 0)
    """
    if not isinstance(inner, optax.GradientTransformation):
        raise ValueError(f"inner must be a GradientTransformation, got {inner!r}")
    if max_consecutive is not None:
        max_consecutive = check_int("max_consecutive", max_consecutive, lo=1)
    inner = optax.with_extra_args_support(inner)

    def init_fn(params: optax.Params) -> SkipNonfiniteState:
        return SkipNonfiniteState(
            inner_state=inner.init(params),
            num_skipped=zero_count(),
            consecutive=zero_count(),
            limit_hit=jnp.asarray(False),
        )

    def update_fn(
        updates: optax.Updates,
        state: SkipNonfiniteState,
        params: optax.Params | None = None,
        **extra_args: Any,
    ) -> tuple[optax.Updates, SkipNonfiniteState]:
        check_state("skip_nonfinite", state, SkipNonfiniteState)
        new_updates, new_inner = inner.update(updates, state.inner_state, params, **extra_args)
        ok = _step_ok(updates, new_updates, new_inner, state.inner_state)
        # Commit the new inner state under one predicate, ``_STATE_GROUP`` leaves per
        # ``lax.cond``: a conditional carrying thousands of buffers makes XLA's buffer and
        # alias analyses grow with the square of their number. The updates are zeroed by a
        # select on the flag that comes out of a cond, not on ``ok`` itself: XLA would fuse
        # the reduction tree behind ``ok`` into every leaf's kernel (quadratic compile
        # time), and a select lets the update's arithmetic fuse into the caller's
        # ``apply_updates`` instead of being copied through a conditional.
        inner_state, committed = _commit(ok, new_inner, state.inner_state)
        out = _zeroed_unless(committed, new_updates)
        num_skipped = jnp.where(committed, state.num_skipped, safe_increment(state.num_skipped))
        consecutive = jnp.where(committed, zero_count(), safe_increment(state.consecutive))
        limit_hit = state.limit_hit
        if max_consecutive is not None:
            limit_hit = jnp.logical_or(limit_hit, consecutive >= max_consecutive)
        return out, SkipNonfiniteState(inner_state, num_skipped, consecutive, limit_hit)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
