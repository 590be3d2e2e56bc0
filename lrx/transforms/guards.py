"""``skip_nonfinite``: drop an update whose gradients or result are not finite."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._counters import safe_increment, zero_count
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


def _all_finite(tree: Any) -> jax.Array:
    flags = [jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)]
    if not flags:
        return jnp.asarray(True)
    return jnp.all(jnp.stack(flags))


def skip_nonfinite(
    inner: optax.GradientTransformation, *, max_consecutive: int | None = None
) -> optax.GradientTransformationExtraArgs:
    r"""Skip any update whose gradients or resulting updates contain NaN or Inf.

    Formula: with ``(u_t, s'_t) = inner.update(g_t, s_{t-1})`` and
    ``ok_t = all(isfinite(g_t)) ∧ all(isfinite(u_t))``, the output is ``u_t`` and the new
    inner state ``s'_t`` when ``ok_t``, else zeros and the unchanged ``s_{t-1}``. A skipped
    step is as if it never happened: the inner count does not advance, so schedules,
    Adam's moments and bias correction continue from the last finite step. This is the
    loss-scaling "skip step on overflow" guard of mixed-precision training, usable for
    any lrx or optax transform.

    The decision is a traced flag applied with ``jnp.where``: no host synchronisation and
    no Python branching, so it works inside ``jit`` and ``lax.scan``. lrx never raises
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
        new_updates, new_inner = inner.update(updates, state.inner_state, params, **extra_args)
        ok = jnp.logical_and(_all_finite(updates), _all_finite(new_updates))
        out = jax.tree.map(lambda u: jnp.where(ok, u, jnp.zeros_like(u)), new_updates)
        inner_state = jax.tree.map(
            lambda new, old: jnp.where(ok, new, old), new_inner, state.inner_state
        )
        num_skipped = jnp.where(ok, state.num_skipped, safe_increment(state.num_skipped))
        consecutive = jnp.where(ok, zero_count(), safe_increment(state.consecutive))
        limit_hit = state.limit_hit
        if max_consecutive is not None:
            limit_hit = jnp.logical_or(limit_hit, consecutive >= max_consecutive)
        return out, SkipNonfiniteState(inner_state, num_skipped, consecutive, limit_hit)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
