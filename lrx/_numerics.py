"""Numerical helpers shared by transforms: saturating counts, bias correction, lr resolution."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from lrx._validate import check_float

INT32_MAX = 2**31 - 1


def zero_count() -> jax.Array:
    """The initial update count: int32 zero."""
    return jnp.zeros([], jnp.int32)


def safe_increment(count: jax.Array) -> jax.Array:
    """``count + 1`` that saturates at ``int32`` max instead of wrapping to negative.

    Three ``lax`` operations (no nested ``where`` jit). A ``select`` rather than
    ``min(count, max - 1) + 1``: XLA duplicates the latter into every consumer (the bias
    corrections), which then read the donated input count and force a copy of it.
    """
    count = jnp.asarray(count)
    dtype = count.dtype
    max_value = np.array(jnp.iinfo(dtype).max, dtype)
    return lax.select(lax.lt(count, max_value), lax.add(count, np.array(1, dtype)), max_value)


def bias_correction(decay: float, count: jax.Array, dtype: Any = jnp.float32) -> jax.Array:
    """``1 - decay**count`` computed in ``dtype``; finite for counts up to int32 max.

    For a Python ``decay`` in ``(0, 1)`` it is ``-expm1(count * log(decay))`` with
    ``log(decay)`` taken in float64, so the result keeps ``dtype``'s relative precision
    (``1 - 0.999**1`` in float32 via ``float32(0.999)`` is off by 1.3e-5; this is off by
    ~1e-7, as torch and NumPy's float64 bias correction).
    """
    c = jnp.asarray(count).astype(dtype)
    if isinstance(decay, (int, float)) and not isinstance(decay, bool):
        d = float(decay)
        if d == 0.0:  # 0**0 = 1, 0**t = 0 for t > 0
            return jnp.where(c > 0, jnp.ones([], dtype), jnp.zeros([], dtype))
        if 0.0 < d < 1.0:
            return -jnp.expm1(c * jnp.asarray(math.log(d), dtype))
    return 1 - jnp.asarray(decay, dtype) ** c


def as_schedule_fn(learning_rate: Any, name: str = "learning_rate") -> Callable[[jax.Array], Any]:
    """Turn a ``ScalarOrSchedule`` into ``count -> value``.

    A :class:`lrx.Schedule` is recognised by type; a Python number or 0-d array is a
    constant (validated: finite and >= 0); anything else callable is wrapped as is.
    """
    from lrx.schedules._base import Schedule  # local: schedules import numerics

    if isinstance(learning_rate, Schedule):
        return learning_rate
    if isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool):
        value = check_float(name, learning_rate, lo=0.0)
        return lambda count: jnp.asarray(value, jnp.float32)
    if isinstance(learning_rate, jax.Array | jax.core.Tracer) or hasattr(learning_rate, "dtype"):
        arr = jnp.asarray(learning_rate)
        if arr.ndim != 0:
            raise ValueError(f"{name} must be a scalar, got an array of shape {arr.shape}")
        if not isinstance(arr, jax.core.Tracer):
            value = float(arr)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
        return lambda count: arr
    if callable(learning_rate):
        return learning_rate
    raise ValueError(
        f"{name} must be a float, a scalar array, a Schedule or a callable, got {learning_rate!r}"
    )


# -- helpers shared by the adaptive transforms (momentum, adagrad, rms, adam) ------------


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


def safe_div(num: jax.Array, den: jax.Array) -> jax.Array:
    """``num / den``, and 0 where ``den == 0`` (only reachable with ``eps == 0``).

    Transforms use it only where a zero denominator is possible (decided statically from
    the hyperparameters, see :func:`positive_in`); elsewhere they divide plainly.
    """
    num, den = jnp.asarray(num), jnp.asarray(den)
    ok = lax.gt(den, np.array(0, den.dtype))
    safe_den = lax.select(ok, den, lax.full_like(den, 1))  # no inf/NaN, even in gradients
    return lax.select(ok, lax.div(num, safe_den), lax.full_like(num, 0))


def divide(num: jax.Array, den: jax.Array, guarded: bool) -> jax.Array:
    """``safe_div(num, den)`` if ``guarded`` (a static Python bool), else ``num / den``."""
    return safe_div(num, den) if guarded else lax.div(num, den)


def check_tree_match(name: str, updates: Any, reference: Any) -> None:
    """Raise ``ValueError`` unless ``updates`` has the structure and shapes of ``reference``.

    ``reference`` is a moment tree of the state made by ``init``. Structures and shapes are
    static, so this runs at trace time and costs nothing inside ``jit``.
    """
    u_def: Any  # jax's PyTreeDef is opaque to mypy
    u_leaves, u_def = jax.tree.flatten(updates)
    r_leaves, r_def = jax.tree.flatten(reference)
    if u_def != r_def:
        raise ValueError(
            f"{name}: the update tree does not match the state created by init "
            f"(init it with params of the same structure as the updates). "
            f"updates: {u_def}; state: {r_def}"
        )
    if all(jnp.shape(u) == jnp.shape(r) for u, r in zip(u_leaves, r_leaves, strict=True)):
        return  # the common case: no key paths built (they cost ~50 us per leaf)
    paths = jax.tree_util.tree_leaves_with_path(updates)
    for (path, u), r in zip(paths, r_leaves, strict=True):
        if jnp.shape(u) != jnp.shape(r):
            raise ValueError(
                f"{name}: the update at {jax.tree_util.keystr(path) or '<root>'} has shape "
                f"{jnp.shape(u)} but the state created by init has shape {jnp.shape(r)}"
            )


def tree_map_multi(
    fn: Callable[..., tuple[Any, ...]], n: int, tree: Any, *rest: Any
) -> tuple[Any, ...]:
    """Map ``fn`` (returning an ``n``-tuple) over the leaves of trees shaped like ``tree``.

    Returns ``n`` trees, each with the structure of ``tree``.
    """
    treedef: Any = jax.tree.structure(tree)  # PyTreeDef is opaque to mypy
    columns = [treedef.flatten_up_to(t) for t in (tree, *rest)]
    results = [fn(*xs) for xs in zip(*columns, strict=True)]
    return tuple(treedef.unflatten([r[i] for r in results]) for i in range(n))


def check_state(name: str, state: Any, expected: type | tuple[type, ...]) -> None:
    """Raise ``ValueError`` unless ``state`` is the state type ``init`` of ``name`` makes.

    Catches a state from another optimizer (or a checkpoint restored without a target)
    being passed to ``update``, which would otherwise fail with an ``AttributeError`` deep
    inside the math. Types are static: this costs nothing inside ``jit``.
    """
    if not isinstance(state, expected):
        types = expected if isinstance(expected, tuple) else (expected,)
        want = " or ".join(t.__name__ for t in types)
        raise ValueError(
            f"{name}: got a state of type {type(state).__name__}, expected {want}. Pass the "
            "state returned by this optimizer's init (a state made by another optimizer, or "
            "a checkpoint restored without this optimizer's state as target, does not fit)"
        )


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
