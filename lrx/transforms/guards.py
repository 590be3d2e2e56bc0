"""``skip_nonfinite``: drop an update whose gradients or result are not finite."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
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


_CHUNK = 32  # boolean arrays OR-ed elementwise before one reduction


def _is_float(x: Any) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.inexact)


def _none_bad(bad: list[jax.Array]) -> jax.Array:
    """One boolean scalar: no element of any boolean array in ``bad`` is set.

    Arrays of the same shape (a parameter's gradient, update and moments; the many
    same-shaped layers of a model) are OR-ed elementwise, up to ``_CHUNK`` at a time, and
    each result is reduced once; the scalar flags are folded with ``logical_and``. This keeps
    the number of reductions (the kernels XLA compiles) a fraction of the leaf count, and
    the whole check linear in it.
    """
    by_shape: dict[tuple[int, ...], list[jax.Array]] = {}
    for b in bad:
        by_shape.setdefault(b.shape, []).append(b)
    ok = jnp.asarray(True)
    for group in by_shape.values():
        for i in range(0, len(group), _CHUNK):
            chunk = group[i : i + _CHUNK]
            any_bad = chunk[0]
            for b in chunk[1:]:
                any_bad = any_bad | b
            ok = ok & ~jnp.any(any_bad)
    return ok


def _step_ok(grads: Any, updates: Any, new_state: Any, old_state: Any) -> jax.Array:
    """Gradients and updates finite, and no state element that was finite turned non-finite.

    State elements already non-finite before the update (a plateau ``best`` of ``+inf``
    before its first observation) do not count: only a state this update poisons (e.g.
    Adam's second moment overflowing to ``inf`` on a huge but finite gradient) does.
    """
    bad = [~jnp.isfinite(x) for x in jax.tree.leaves((grads, updates)) if _is_float(x)]
    for new, old in zip(jax.tree.leaves(new_state), jax.tree.leaves(old_state), strict=True):
        if _is_float(new):
            bad.append(jnp.isfinite(old) & ~jnp.isfinite(new))
    return _none_bad(bad)


def skip_nonfinite(
    inner: optax.GradientTransformation, *, max_consecutive: int | None = None
) -> optax.GradientTransformationExtraArgs:
    r"""Skip any update whose gradients or resulting updates contain NaN or Inf.

    Formula: with ``(u_t, s'_t) = inner.update(g_t, s_{t-1})`` and
    ``ok_t = all(isfinite(g_t)) ∧ all(isfinite(u_t)) ∧ (no element of s'_t is non-finite where
    s_{t-1} was finite)``, the output is ``u_t`` and the new inner state ``s'_t`` when
    ``ok_t``, else zeros and the unchanged ``s_{t-1}``. A skipped step is as if it never
    happened: the inner count does not advance, so schedules, Adam's moments and bias
    correction continue from the last finite step. This is the loss-scaling "skip step on
    overflow" guard of mixed-precision training, usable for any lrx or optax transform.

    The state test catches a poisoned state behind a finite update: a finite but huge
    gradient (``|g| > ~1.8e19`` in float32) overflows Adam's second moment to ``inf`` while
    the update ``m / (sqrt(v) + eps)`` is a finite 0; committing it would freeze the
    parameter forever. State elements already non-finite before the update (a plateau
    ``best`` of ``+inf`` before its first observation) do not count.

    The decision is a traced flag applied with one ``lax.cond`` over the whole tree: no host
    synchronisation and no Python branching, compile time linear in the number of leaves,
    so it works inside ``jit`` and ``lax.scan``. lrx never raises
    inside jit: to stop a run that keeps producing non-finite gradients, pass
    ``max_consecutive`` and check ``state.limit_hit`` on the host (e.g. every ``k`` steps).

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
        # One conditional over the whole tree, not a select per leaf: per-leaf selects
        # sharing one predicate made XLA compile time grow quadratically with the leaves.
        out, inner_state = lax.cond(
            ok,
            lambda: (new_updates, new_inner),
            lambda: (jax.tree.map(jnp.zeros_like, new_updates), state.inner_state),
        )
        num_skipped = jnp.where(ok, state.num_skipped, safe_increment(state.num_skipped))
        consecutive = jnp.where(ok, zero_count(), safe_increment(state.consecutive))
        limit_hit = state.limit_hit
        if max_consecutive is not None:
            limit_hit = jnp.logical_or(limit_hit, consecutive >= max_consecutive)
        return out, SkipNonfiniteState(inner_state, num_skipped, consecutive, limit_hit)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
