"""Dtype policy: compute and state dtypes of moments, hyperparameters as operands, checks.

The rules every transform follows (docs/reliability.md has the full table):

* **compute dtype** of a leaf: the promotion of its update's and moments' dtypes with
  float32 (:func:`compute_dtype`). bfloat16/float16 are computed in float32, float64 stays
  float64, complex64/complex128 stay complex (the imaginary part is never dropped).
* **state dtype** of a moment (:func:`state_dtype`): the parameter's dtype, widened to
  float32 below 32 bits (a bfloat16 second moment stops growing at about a quarter of its
  true value; a float16 one overflows for ``|g| > 256``), unless the user names a dtype.
  Second moments are real: ``|g|^2`` of a complex64 parameter is stored in float32.
* **output dtype**: the update's dtype.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrx._validate import is_traced, static_value

__all__ = [
    "canonical_dtype",
    "canonical_float_dtype",
    "cast",
    "check_floating",
    "compute_dtype",
    "const",
    "positive_in",
    "real_dtype",
    "state_dtype",
    "to_output",
]


def compute_dtype(*dtypes: Any) -> Any:
    """The dtype moments are updated in: the promotion of ``dtypes`` with float32.

    ``(bfloat16,) -> float32``, ``(float64,) -> float64``, ``(complex64, float32) ->
    complex64``, ``(complex64, float64) -> complex128``. Memoized: called once per leaf at
    trace time.
    """
    return _compute_dtype(tuple(jnp.dtype(d) for d in dtypes))


@functools.lru_cache(maxsize=256)
def _compute_dtype(dtypes: tuple[Any, ...]) -> Any:
    # jnp.promote_types follows the strict-promotion setting, which rejects bf16 + f32.
    with jax.numpy_dtype_promotion("standard"):
        return functools.reduce(jnp.promote_types, dtypes, jnp.dtype(jnp.float32))


@functools.lru_cache(maxsize=64)
def real_dtype(dtype: Any) -> Any:
    """The real counterpart of ``dtype`` (``complex64 -> float32``); real dtypes unchanged."""
    dt = jnp.dtype(dtype)
    return jnp.finfo(dt).dtype if jnp.issubdtype(dt, jnp.complexfloating) else dt  # type: ignore[no-untyped-call]


def state_dtype(param_dtype: Any, override: Any = None, *, real: bool = False) -> Any:
    """The dtype of a moment kept for a parameter of ``param_dtype``.

    ``override`` (a validated dtype or ``None``) wins. Otherwise: ``param_dtype`` widened to
    float32 below 32 bits (bfloat16/float16 moments lose the small increments of an EMA and
    float16 squares overflow), and its real counterpart for a second moment (``real``).
    """
    if override is not None:
        return jnp.dtype(override)
    dt = jnp.dtype(param_dtype)
    if real:
        dt = real_dtype(dt)
    if jnp.issubdtype(dt, jnp.floating) and jnp.finfo(dt).bits < 32:  # type: ignore[no-untyped-call]
        return jnp.dtype(jnp.float32)
    return jax.dtypes.canonicalize_dtype(dt)


def cast(x: jax.Array, dtype: Any) -> jax.Array:
    """``x`` converted to ``dtype`` (no operation when it already is); never complex -> real.

    A complex value stored into a real buffer would silently lose its imaginary part, so
    that raises ``ValueError`` instead (at trace time: dtypes are static).
    """
    if x.dtype == dtype:
        return x
    if jnp.iscomplexobj(x) and not jnp.issubdtype(dtype, jnp.complexfloating):
        raise ValueError(
            f"cannot store a {x.dtype} value in a {jnp.dtype(dtype)} buffer without dropping "
            "its imaginary part: give complex parameters complex (or None) moment dtypes"
        )
    return x.astype(dtype)


def to_output(x: jax.Array, dtype: Any) -> jax.Array:
    """A computed update converted to the update dtype ``dtype``.

    A complex result for a real update only arises from a complex ``mu_dtype`` on real
    parameters, where the imaginary part is exactly zero (the moments start at 0 and only
    real gradients enter): its real part is taken. Any other complex -> real is an error.
    """
    if jnp.iscomplexobj(x) and not jnp.issubdtype(dtype, jnp.complexfloating):
        return jnp.real(x).astype(dtype)
    return cast(x, dtype)


def const(value: Any, dtype: Any) -> Any:
    """A hyperparameter as an operand of ``dtype``.

    A concrete value becomes a 0-d NumPy constant of ``dtype`` (a literal in the jaxpr,
    rounded once from the Python float); a tracer is converted with ``astype``.
    """
    if is_traced(value):
        return value.astype(dtype)
    return np.array(value, dtype)


def positive_in(value: Any, dtype: Any) -> bool:
    """Whether ``value`` is concrete and at least ``dtype``'s smallest normal number.

    The static test for skipping the guarded division: a denominator ``d + value`` with
    ``d >= 0`` can then never be zero, even on hardware that flushes subnormals to zero. A
    traced ``value`` might be 0, so it is not known to be positive (general formula).
    """
    v = static_value(value)
    return v is not None and float(v) >= float(jnp.finfo(real_dtype(dtype)).tiny)  # type: ignore[no-untyped-call]


def canonical_float_dtype(name: str, dtype: Any) -> Any:
    """Validate an optional real floating dtype argument (``None`` passes through)."""
    dt = _as_dtype(name, dtype, "a real floating dtype")
    if dt is not None and not jnp.issubdtype(dt, jnp.floating):
        raise ValueError(f"{name} must be None or a real floating dtype, got {dtype!r}")
    return dt


def canonical_dtype(name: str, dtype: Any) -> Any:
    """Validate an optional floating or complex dtype argument (``None`` passes through)."""
    dt = _as_dtype(name, dtype, "a floating or complex dtype")
    if dt is not None and not jnp.issubdtype(dt, jnp.inexact):
        raise ValueError(f"{name} must be None or a floating or complex dtype, got {dtype!r}")
    return dt


def _as_dtype(name: str, dtype: Any, what: str) -> Any:
    if dtype is None:
        return None
    try:
        return jax.dtypes.canonicalize_dtype(jnp.dtype(dtype))
    except TypeError as e:
        raise ValueError(f"{name} must be None or {what}, got {dtype!r}") from e


def check_floating(name: str, tree: Any) -> None:
    """Raise ``ValueError`` listing every leaf of ``tree`` whose dtype is not floating.

    Floating and complex leaves pass. Learning-rate updates of integer (or bool) parameters
    are meaningless and would either fail inside NumPy or silently truncate to zero; dtypes
    are static, so the check is free.
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
