"""Eager hyperparameter validation shared by every constructor.

Each checker raises ``ValueError`` whose message names the argument and the offending
value, e.g. ``step_size must be a positive integer, got 0``, so a bad hyperparameter is
reported at construction instead of surfacing as NaN thousands of steps later.

Hyperparameters are data: a checker accepts a Python or NumPy number, a concrete 0-d JAX
array (validated like a number and returned as a Python number), or a JAX tracer (inside
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
    a traced ``eps`` (``None``) takes the general formula.
    """
    if is_traced(value):
        return None
    if isinstance(value, (bool, int, float)):
        return value
    arr = np.asarray(value)
    return arr.item() if arr.ndim == 0 else None


def _scalar_kind(name: str, value: Any, kinds: str) -> Any:
    """Return a concrete NumPy 0-d array for ``value``, or the tracer itself.

    ``kinds`` is a string of NumPy dtype kinds accepted for arrays ('f', 'i', 'u').
    """
    dtype = getattr(value, "dtype", None)
    shape = getattr(value, "shape", None)
    if dtype is None or shape is None:
        return None
    if np.dtype(dtype).kind not in kinds:
        return None
    if tuple(shape) != ():
        raise ValueError(f"{name} must be a scalar, got an array of shape {tuple(shape)}")
    if is_traced(value):
        return value
    return np.asarray(value)


def _show(value: Any) -> str:
    """``repr(value)``, shortened: a hostile value must not flood the message."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:40]}...{text[-20:]} ({len(text)} characters)"


def _is_real(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, numbers.Real)


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
    if not _is_real(value):
        arr = _scalar_kind(name, value, "fiu")
        if arr is None:
            raise ValueError(f"{name} must be a real number, got {_show(value)}")
        if is_traced(arr):
            return arr
        value = arr.item()
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
    if lo is not None and (f < lo or (lo_open and f == lo)):
        raise ValueError(
            f"{name} must be {_interval(lo, hi, lo_open, hi_open)}, got {_show(value)}"
        )
    if hi is not None and (f > hi or (hi_open and f == hi)):
        raise ValueError(
            f"{name} must be {_interval(lo, hi, lo_open, hi_open)}, got {_show(value)}"
        )
    return f


def check_int(name: str, value: Any, *, lo: int | None = None, hi: int = INT32_MAX) -> Any:
    """Return ``value`` as a Python int in ``[lo, hi]`` (``hi`` defaults to int32 max).

    A 0-d integer JAX or NumPy array is validated like a number; an integer tracer of shape
    ``()`` is returned unchanged, unchecked.
    """
    if not isinstance(value, (numbers.Integral, float, bool)):
        arr = _scalar_kind(name, value, "iu")
        if arr is None:
            raise ValueError(f"{name} must be an integer, got {_show(value)}")
        if is_traced(arr):
            return arr
        value = int(arr.item())
    if isinstance(value, bool) or not (
        isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer())
    ):
        raise ValueError(f"{name} must be an integer, got {_show(value)}")
    i = int(value)
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
