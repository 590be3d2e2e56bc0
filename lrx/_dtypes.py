"""Dtype policy: which dtype moments are computed in, casts, and the floating-dtype checks."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

__all__ = [
    "canonical_float_dtype",
    "cast",
    "check_floating",
    "compute_dtype",
    "const",
    "positive_in",
]


def compute_dtype(*dtypes: Any) -> Any:
    """The dtype moments are updated in: the promotion of ``dtypes`` with float32.

    bfloat16/float16 moments are updated in float32 (``g**2`` of a float16 gradient above
    256 would overflow otherwise) and stored back in their own dtype; float64 stays float64.
    Memoized on the dtypes: called once per leaf at trace time.
    """
    return _compute_dtype(tuple(jnp.dtype(d) for d in dtypes))


@functools.lru_cache(maxsize=256)
def _compute_dtype(dtypes: tuple[Any, ...]) -> Any:
    # Chosen by width, not jnp.promote_types: strict promotion rejects bfloat16 + float32.
    wide = any(jnp.finfo(d).bits > 32 for d in dtypes)
    return jnp.dtype(jnp.float64 if wide else jnp.float32)


def cast(x: jax.Array, dtype: Any) -> jax.Array:
    """``x`` converted to ``dtype``; ``x`` itself (no operation at all) when it already is."""
    return x if x.dtype == dtype else lax.convert_element_type(x, dtype)


def const(value: float, dtype: Any) -> np.ndarray:
    """``value`` as a 0-d NumPy constant of ``dtype``: a literal operand of ``lax`` ops.

    ``lax`` operations take it as is (no ``convert``/``broadcast`` equation), with the same
    rounding as ``jnp``'s weak-typed Python scalars (one rounding from the Python float).
    """
    return np.array(value, dtype)


def positive_in(value: float, dtype: Any) -> bool:
    """Whether ``value`` is at least ``dtype``'s smallest normal number.

    The static test for skipping the guarded division: a denominator ``d + value`` with
    ``d >= 0`` can then never be zero, even on hardware that flushes subnormals to zero.
    """
    return float(value) >= float(jnp.finfo(dtype).tiny)


def canonical_float_dtype(name: str, dtype: Any) -> Any:
    """Validate an optional floating dtype argument (``None`` passes through)."""
    if dtype is None:
        return None
    try:
        dt = jnp.dtype(dtype)
    except TypeError as e:
        raise ValueError(f"{name} must be None or a floating dtype, got {dtype!r}") from e
    if not jnp.issubdtype(dt, jnp.floating):
        raise ValueError(f"{name} must be None or a floating dtype, got {dtype!r}")
    return dt


def check_floating(name: str, tree: Any) -> None:
    """Raise ``ValueError`` listing every leaf of ``tree`` whose dtype is not floating.

    Learning-rate updates of integer (or bool) parameters are meaningless and would either
    fail inside NumPy or silently truncate to zero; dtypes are static, so the check is free.
    """
    if all(_is_inexact(_dtype_of(leaf)) for leaf in jax.tree.leaves(tree)):
        return  # the common case: no key paths built (they cost ~50 us per leaf)
    bad = []
    for path, leaf in jax.tree_util.tree_leaves_with_path(tree):
        dtype = _dtype_of(leaf)
        if not _is_inexact(dtype):
            bad.append(f"{jax.tree_util.keystr(path) or '<root>'} ({dtype})")
    if bad:
        raise ValueError(
            f"{name}: parameters and updates must have a floating dtype; these do not: "
            f"{', '.join(bad)}. Keep integer leaves (step counters, token ids) out of the "
            "optimized tree, or exclude them with optax.masked / lrx.partition + "
            "optax.set_to_zero()"
        )


def _dtype_of(leaf: Any) -> Any:
    dtype = getattr(leaf, "dtype", None)
    return jnp.result_type(leaf) if dtype is None else dtype


@functools.lru_cache(maxsize=256)
def _is_inexact(dtype: Any) -> bool:
    return bool(jnp.issubdtype(dtype, jnp.inexact))
