"""Helpers shared by the schedule modules: float32 and integer arithmetic, common checks.

Each accepts concrete (Python number) or traced (JAX array) parameters: a concrete one keeps
the exact/fast path, a traced one takes the general jnp formula. This module imports only the
base layer (``lrx._validate``); every schedule module may import it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrx._validate import FLOAT32_MAX, check_float, check_int, is_traced, static_value

__all__ = [
    "F32_TINY",
    "as_f32",
    "as_int",
    "bound",
    "check_bound",
    "check_divisor",
    "check_exponent",
    "check_gamma",
    "check_sorted_ints",
    "check_static",
    "cos_frac",
    "floordiv",
    "int_count",
    "power",
    "raise_to",
    "set_field",
]


def set_field(obj: Any, field: str, value: Any) -> None:
    """Normalise a field of a frozen dataclass inside ``__post_init__``."""
    object.__setattr__(obj, field, value)


def as_f32(x: Any) -> Any:
    """A float field for float32 arithmetic: a Python float stays (weak), an array -> float32."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    return jnp.asarray(x).astype(jnp.float32)


def as_int(x: Any, dtype: Any) -> Any:
    """An integer field for integer arithmetic with counts of ``dtype``."""
    if isinstance(x, int) and not isinstance(x, bool):
        return x
    return jnp.asarray(x).astype(dtype)


def bound(*values: Any) -> float | None:
    """``max(values)`` as a Python float when every value is concrete, else ``None``."""
    concrete = [static_value(v) for v in values]
    if any(v is None for v in concrete):
        return None
    return float(max(concrete))


def floordiv(t: jax.Array, d: Any) -> jax.Array:
    """``floor(t / d)`` for non-negative float32 ``t`` and an integer ``d >= 1``, exact.

    ``t / d`` rounded to float32 can land on the next integer just below a multiple of
    ``d``; ``t - fmod(t, d)`` is an exact multiple of ``d``, so the quotient is exact.
    ``d`` may be traced (an integer or float array): it is used as float32.
    """
    d = as_f32(d)
    return jnp.round((t - jnp.mod(t, d)) / d)


def power(gamma: Any, x: jax.Array) -> jax.Array:
    """``gamma ** x`` for ``gamma`` in (0, 1] as ``exp(x * log(gamma))``.

    A concrete ``gamma`` takes ``log(gamma)`` in float64 on the host (and ``gamma == 1``
    is ``1``); a traced one takes it in float32.
    """
    g = static_value(gamma)
    if g is not None:
        if g == 1.0:
            return jnp.ones_like(x)
        return jnp.exp(x * math.log(g))
    return jnp.exp(x * jnp.log(as_f32(gamma)))


def raise_to(frac: jax.Array, exponent: Any) -> jax.Array:
    """``frac ** exponent`` (optax's cosine ``exponent``); ``frac`` itself for a concrete 1."""
    if not is_traced(exponent) and static_value(exponent) == 1.0:
        return frac
    return jnp.power(frac, as_f32(exponent))


def check_exponent(value: Any) -> Any:
    """optax's cosine ``exponent``: a finite number > 0 (the curve stays within its ends)."""
    return check_float("exponent", value, lo=0.0, lo_open=True)


def cos_frac(remaining: jax.Array, length: Any) -> jax.Array:
    """``(1 + cos(pi * (1 - remaining / length))) / 2`` written as ``sin²``.

    ``remaining`` is the distance to the end of the cosine (``length - progress``). The
    ``sin²(pi * remaining / (2 * length))`` form keeps full relative precision near the
    end of the curve, where ``1 + cos(...)`` would cancel catastrophically in float32.
    ``length`` may be traced.
    """
    s = jnp.sin(remaining * (math.pi / (2.0 * as_f32(length))))
    return s * s


F32_TINY = float(np.finfo(np.float32).tiny)  # smallest normal float32


def check_gamma(gamma: Any, name: str = "gamma") -> Any:
    """A decay factor in (0, 1]; a concrete one must be a normal float32 (not 0 there)."""
    g = check_float(name, gamma, lo=0.0, hi=1.0, lo_open=True)
    if not is_traced(g) and g < F32_TINY:
        raise ValueError(
            f"{name} must be >= {F32_TINY:.4g} (smaller is 0 in float32, whose log is -inf), "
            f"got {g!r}"
        )
    return g


def check_static(name: str, value: Any) -> Any:
    """A static field's value: a Python value, never a tracer (it selects code).

    Static fields (mode strings, flags, cycle limits, end counts, callables) are pytree aux
    data: they shape the compiled program, so they cannot be traced (built inside
    ``jit``/``vmap`` or ``inject_hyperparams`` from a traced argument).
    """
    if is_traced(value):
        raise ValueError(
            f"{name} must be a Python value (a static field: it selects the compiled code), "
            f"got a tracer {value!r}"
        )
    return value


def check_bound(name: str, value: Any, what: str) -> None:
    """Reject a schedule whose largest value ``value`` (a Python float or None) overflows
    float32: ``ValueError`` naming the argument ``name``; ``what`` describes the value."""
    if value is not None and not value <= FLOAT32_MAX:
        raise ValueError(
            f"{name}: {what} overflows float32 (up to {value:.4g} > {FLOAT32_MAX:.4g}); the "
            "learning rate would be inf"
        )


def check_divisor(name: str, value: Any) -> Any:
    """A positive factor used as a divisor in float32: finite and not 0 there."""
    v = check_float(name, value, lo=0.0, lo_open=True)
    if not is_traced(v) and v < F32_TINY:
        raise ValueError(
            f"{name} must be >= {F32_TINY:.4g} (smaller is 0 in float32: dividing by it "
            f"gives inf/NaN), got {v!r}"
        )
    return v


def check_sorted_ints(name: str, values: Any, lo: int = 0) -> tuple[Any, ...]:
    """A sorted (non-decreasing) sequence of integers ``>= lo``, as a tuple.

    A 1-D integer array (a tracer too, e.g. under ``vmap``) is split into its elements;
    the order is checked where neighbours are concrete.
    """
    if getattr(values, "ndim", None) == 1 and hasattr(values, "dtype"):
        values = tuple(values[i] for i in range(values.shape[0]))
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValueError(f"{name} must be a list of integers, got {values!r}")
    out = tuple(check_int(f"{name}[{i}]", v, lo=lo) for i, v in enumerate(values))
    concrete = [static_value(v) for v in out]
    if any(a is not None and b is not None and b < a for a, b in itertools.pairwise(concrete)):
        raise ValueError(f"{name} must be sorted in increasing order, got {list(values)!r}")
    return out


def int_count(count: jax.Array) -> jax.Array:
    """Counts of any integer dtype as int32 (int64 under x64 stays int64).

    Narrow counts (``np.uint8``, ``np.int16``) would overflow against the int32 cycle
    tables; unsigned 32-bit counts are read as int32 (the documented range is < 2**31).
    """
    if count.dtype.itemsize < 4 or count.dtype == jnp.uint32:
        return count.astype(jnp.int32)
    if count.dtype == jnp.uint64:
        return count.astype(jnp.int64)
    return count
