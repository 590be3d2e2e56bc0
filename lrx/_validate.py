"""Eager hyperparameter validation shared by every constructor.

Each checker raises ``ValueError`` whose message names the argument and the offending
value, e.g. ``step_size must be a positive integer, got 0``, so a bad hyperparameter is
reported at construction instead of surfacing as NaN thousands of steps later.

Hyperparameters are data: a checker accepts a Python or NumPy number, a concrete 0-d JAX
array of any real dtype, bfloat16 included (validated like a number and returned as a
Python number; every checker reads numbers through the one :func:`as_number`, and a
complex value counts as its real part when its imaginary part is exactly 0, as
``optax.inject_hyperparams`` gives them for complex parameters), or a JAX tracer (inside
``jit``, ``vmap`` or ``optax.inject_hyperparams``). A tracer's value is unknown at
construction, so only its shape and dtype are checked and it is returned unchanged: no
host synchronisation, no recompile when its value changes. Code that takes a shortcut from
a value (``eps == 0``) asks :func:`static_value` and falls back to the general formula
when it returns ``None``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

# Counts are int32 in optimizer states; integer hyperparameters must fit.
INT32_MAX = 2**31 - 1
# Rates and schedule parameters are used in float32: anything larger is inf there.
FLOAT32_MAX = float(np.finfo(np.float32).max)

__all__ = [
    "FLOAT32_MAX",
    "INT32_MAX",
    "NOT_A_NUMBER",
    "as_number",
    "check_bool",
    "check_choice",
    "check_float",
    "check_int",
    "is_traced",
    "static_value",
]


def is_traced(value: Any) -> bool:
    """Whether ``value`` is a JAX tracer (its value is unknown until run time)."""
    return isinstance(value, jax.core.Tracer)


def static_value(value: Any) -> Any:
    """``value`` as a Python number when it is concrete, ``None`` when it is traced.

    The test for value-dependent code shapes: ``static_value(eps) == 0`` may skip ``+ eps``;
    a traced ``eps`` (``None``) takes the general formula. A complex value whose imaginary
    part is exactly 0 is its real part.
    """
    if is_traced(value):
        return None
    if isinstance(value, (bool, int, float)):
        return value
    arr = np.asarray(value)
    if arr.ndim != 0:
        return None
    item = arr.item()
    if isinstance(item, complex) and item.imag == 0:
        return item.real
    return item


class _NotANumber:
    """Marker returned by :func:`as_number` for values that are not numbers."""


NOT_A_NUMBER: Any = _NotANumber()


def as_number(name: str, value: Any) -> Any:
    """The one number check: ``value`` as a Python ``int``/``float``, a tracer, or
    :data:`NOT_A_NUMBER`.

    Python, NumPy and concrete 0-d JAX numbers of every real dtype (bfloat16, float16,
    float32, float64, integers) are numbers, validated identically whatever their type: a
    concrete one becomes the Python ``int`` (integer dtypes) or ``float`` it holds. A complex
    number whose imaginary part is exactly 0 is its real part (``optax.inject_hyperparams``
    casts hyperparameters to complex64 for complex parameters); a non-zero imaginary part
    is a ``ValueError`` naming ``name``. Booleans, strings and other objects are
    :data:`NOT_A_NUMBER`. A tracer of shape ``()`` is returned unchanged (real dtypes) or
    as its real part (complex dtypes: its imaginary part is unknown at construction); an
    array of another shape is a ``ValueError``.
    """
    if isinstance(value, (bool, np.bool_)):
        return NOT_A_NUMBER
    if isinstance(value, (int, float)):  # Python numbers (and np.float64, a float subclass)
        return value
    if isinstance(value, complex):
        return _real_part(name, value, value)
    dtype = getattr(value, "dtype", None)
    shape = getattr(value, "shape", None)
    if dtype is None or shape is None:
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):  # fractions.Fraction, ...
            return float(value)
        return NOT_A_NUMBER
    try:
        dt = np.dtype(dtype)
    except TypeError:
        return NOT_A_NUMBER
    kind = _kind(dt)
    if kind is None:
        return NOT_A_NUMBER
    if tuple(shape) != ():
        raise ValueError(f"{name} must be a scalar, got an array of shape {tuple(shape)}")
    if is_traced(value):
        return jax.numpy.real(value) if kind == "c" else value
    item = np.asarray(value)
    if kind == "i":
        return int(item.item())
    if kind == "c":
        return _real_part(name, complex(item.item()), value)
    return float(item.astype(np.float64))


def _kind(dtype: Any) -> str | None:
    """'f' (any real floating dtype, bfloat16 included), 'i' (integers), 'c', or None."""
    if dtype == np.bool_:
        return None
    if jax.numpy.issubdtype(dtype, jax.numpy.floating):
        return "f"
    if jax.numpy.issubdtype(dtype, jax.numpy.integer):
        return "i"
    if jax.numpy.issubdtype(dtype, jax.numpy.complexfloating):
        return "c"
    return None


def _real_part(name: str, z: complex, shown: Any) -> float:
    if z.imag != 0:
        raise ValueError(
            f"{name} must be a real number (a complex value needs a zero imaginary part), "
            f"got {_show(shown)}"
        )
    return float(z.real)


def _show(value: Any) -> str:
    """``repr(value)``, shortened: a hostile value must not flood the message."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:40]}...{text[-20:]} ({len(text)} characters)"


def check_float(
    name: str,
    value: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    finite_in: Any = np.float32,
) -> Any:
    """Return ``value`` as a finite Python float inside the given interval.

    ``lo``/``hi`` are inclusive unless ``lo_open``/``hi_open``. A concrete value must also
    be finite in ``finite_in`` (float32 by default: a learning rate of ``1e39`` is ``inf``
    there); pass ``finite_in=None`` for values used in float64 on the host. A 0-d JAX or
    NumPy array is validated like a number; a tracer (float or integer dtype, shape ``()``)
    is returned unchanged, unchecked.
    """
    given = value
    number = as_number(name, value)
    if number is NOT_A_NUMBER:
        raise ValueError(f"{name} must be a real number, got {_show(value)}")
    if is_traced(number):
        return number
    value = number
    try:
        f = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite, got {_show(value)}") from None
    if not math.isfinite(f):
        raise ValueError(f"{name} must be finite, got {_show(value)}")
    if finite_in is not None and abs(f) > float(np.finfo(finite_in).max):
        raise ValueError(
            f"{name} must be representable in {np.dtype(finite_in).name} "
            f"(|{name}| <= {float(np.finfo(finite_in).max):.4g}), got {_show(value)}"
        )
    if (lo is not None and (f < lo or (lo_open and f == lo))) or (
        hi is not None and (f > hi or (hi_open and f == hi))
    ):
        raise ValueError(
            f"{name} must be {_interval(lo, hi, lo_open, hi_open)}, got {_show(value)}"
            + _rounding_hint(given)
        )
    return f


def _rounding_hint(value: Any) -> str:
    """For a 16-bit float out of range: the value may be a rounded one (0.999 is 1.0 in
    bfloat16, as ``optax.inject_hyperparams`` stores it for bfloat16 params)."""
    dtype = getattr(value, "dtype", None)
    if dtype is None or not jax.numpy.issubdtype(dtype, jax.numpy.floating):
        return ""
    if np.dtype(dtype).itemsize > 2:
        return ""
    return (
        f" (a {np.dtype(dtype).name} number, perhaps rounded there: pass hyperparameters in "
        "float32, e.g. optax.inject_hyperparams(..., hyperparam_dtype=jnp.float32))"
    )


def check_int(name: str, value: Any, *, lo: int | None = None, hi: int = INT32_MAX) -> Any:
    """Return ``value`` as a Python int in ``[lo, hi]`` (``hi`` defaults to int32 max).

    Every number is read by :func:`as_number`, so Python, NumPy and concrete 0-d JAX
    numbers of any dtype are validated identically: an integral float (``10.0``,
    ``np.float32(10.0)``, ``jnp.array(10.0)``, bfloat16 too) is accepted as that integer,
    a non-integral one and ``bool`` are rejected. An integer tracer of shape ``()`` is
    returned unchanged, unchecked; a floating tracer is rejected (its value may not be
    integral).
    """
    number = as_number(name, value)
    if number is NOT_A_NUMBER or (isinstance(number, float) and not number.is_integer()):
        raise ValueError(f"{name} must be an integer, got {_show(value)}")
    if is_traced(number):
        if not jax.numpy.issubdtype(number.dtype, jax.numpy.integer):
            raise ValueError(f"{name} must be an integer, got a {number.dtype} tracer")
        return number
    i = int(number)
    if lo is not None and i < lo:
        what = "a positive integer" if lo == 1 else f"an integer >= {lo}"
        raise ValueError(f"{name} must be {what}, got {_show(value)}")
    if i > hi:
        raise ValueError(f"{name} must be an integer <= {hi}, got {_show(value)}")
    return i


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices`` (mode strings are static)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {_show(value)}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a static bool (Python or NumPy); flags shape the code."""
    if is_traced(value):
        raise ValueError(f"{name} must be a static Python bool (it selects code), got a tracer")
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a bool, got {_show(value)}")
    return bool(value)


def _interval(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo}"
    return f"{'<' if hi_open else '<='} {hi}"
