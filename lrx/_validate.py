"""Eager hyperparameter validation shared by every constructor.

Each checker raises ``ValueError`` whose message names the argument and the offending
value, e.g. ``step_size must be a positive integer, got 0``, so a bad hyperparameter is
reported at construction instead of surfacing as NaN thousands of steps later.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

# Counts are int32 in optimizer states; integer hyperparameters must fit.
INT32_MAX = 2**31 - 1


def _is_real(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Real):
        return True
    return (
        isinstance(value, (np.ndarray, np.generic))
        and np.ndim(value) == 0
        and (
            np.issubdtype(np.asarray(value).dtype, np.floating)
            or np.issubdtype(np.asarray(value).dtype, np.integer)
        )
    )


def check_float(
    name: str,
    value: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Return ``value`` as a finite Python float inside the given interval.

    ``lo``/``hi`` are inclusive unless ``lo_open``/``hi_open``. Traced or array values
    that are not 0-d concrete numbers are rejected: hyperparameters are Python numbers.
    """
    if not _is_real(value):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if lo is not None and (f < lo or (lo_open and f == lo)):
        raise ValueError(f"{name} must be {_interval(lo, hi, lo_open, hi_open)}, got {value!r}")
    if hi is not None and (f > hi or (hi_open and f == hi)):
        raise ValueError(f"{name} must be {_interval(lo, hi, lo_open, hi_open)}, got {value!r}")
    return f


def check_int(name: str, value: Any, *, lo: int | None = None, hi: int = INT32_MAX) -> int:
    """Return ``value`` as a Python int in ``[lo, hi]`` (``hi`` defaults to int32 max)."""
    if isinstance(value, bool) or not (
        isinstance(value, numbers.Integral)
        or (isinstance(value, float) and value.is_integer())
        or (isinstance(value, np.generic) and np.issubdtype(value.dtype, np.integer))
    ):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    i = int(value)
    if lo is not None and i < lo:
        what = "a positive integer" if lo == 1 else f"an integer >= {lo}"
        raise ValueError(f"{name} must be {what}, got {value!r}")
    if i > hi:
        raise ValueError(f"{name} must be an integer <= {hi}, got {value!r}")
    return i


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool (numpy bools included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def _interval(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo}"
    return f"{'<' if hi_open else '<='} {hi}"
