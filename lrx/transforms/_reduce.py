"""Global sums over a pytree: one reduction per chunk of same-shaped leaves.

``global_sum(fn, *trees, dtype=...)`` is ``Σ_leaves Σ fn(a, b, ...)``: the global squared
norm of clipping, the global dot products of the learning-rate-free methods. Each term is a
sum of per-leaf elementwise work, so it runs on sharded leaves without gathering them (each
device reduces its shard, XLA adds the partial sums) and its result is a replicated scalar.

Same-shaped leaves (a model's repeated layers) have their terms added elementwise, up to
``CHUNK`` at a time, and each chunk is reduced once. One reduction per leaf, summed as one
chain of scalars, made XLA:CPU's fusion pass quadratic in the number of leaves (it counts the
reductions already in the growing sum for every reduction it considers): compile time stays
linear this way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["CHUNK", "global_sum"]

CHUNK = 32  # most same-shaped leaves whose terms are added before one reduction


def global_sum(fn: Callable[..., Any], *trees: Any, dtype: Any) -> jax.Array:
    """``Σ_leaves Σ fn(*leaves)`` in ``dtype`` (a scalar; ``0`` for empty trees).

    ``fn`` maps the matching leaves of ``trees`` (same structure; ``None`` leaves skipped) to
    an elementwise array; it should compute in a dtype at least as wide as ``dtype`` needs.
    """
    leaves = [jax.tree.leaves(t) for t in trees]
    groups: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for xs in zip(*leaves, strict=True):
        key = tuple((jnp.shape(x), jnp.result_type(x)) for x in xs)
        groups.setdefault(key, []).append(xs)
    total = jnp.zeros([], dtype)
    for group in groups.values():
        for i in range(0, len(group), CHUNK):
            acc = fn(*group[i])
            for xs in group[i + 1 : i + CHUNK]:
                acc = acc + fn(*xs)
            total = total + jnp.sum(acc).astype(dtype)
    return total
