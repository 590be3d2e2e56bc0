"""Per-leaf moment helpers shared by the adaptive transforms (optax's update_moment family).

Each helper is the formula it names, in the dtype of its array operands, so a kernel reads
like its docstring: ``m = ema(b1, m, g)``, ``v = ema(b2, v, abs_sq(g))``. Hyperparameters
may be Python numbers (weakly typed literals: no equation, no promotion) or tracers
(converted to the operand's dtype: strict dtype promotion never sees a mismatch).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from lrx._dtypes import const, state_dtype
from lrx._validate import is_traced, static_value

__all__ = [
    "abs_sq",
    "add",
    "divide",
    "ema",
    "init_moment",
    "safe_div",
    "scalar",
    "unbias",
]


def init_moment(
    params: Any, dtype: Any = None, *, real: bool = False, fill: Any = 0, name: str = "mu_dtype"
) -> Any:
    """A moment tree like ``params``, filled with ``fill``, in :func:`state_dtype`.

    ``real`` for second moments (``|g|²``: float32 for complex64 params). A real ``dtype``
    asked for the first moment of complex params raises ``ValueError`` naming ``name``:
    the imaginary part would be dropped.
    """

    def leaf(p: Any) -> Any:
        dt = state_dtype(p.dtype, dtype, real=real)
        if not real and jnp.iscomplexobj(p) and not jnp.issubdtype(dt, jnp.complexfloating):
            raise ValueError(
                f"{name}={dt.name} cannot hold the moments of {jnp.dtype(p.dtype).name} "
                "parameters without dropping their imaginary part; use a complex dtype or None"
            )
        return jnp.full_like(p, fill, dtype=dt)

    return jax.tree.map(leaf, params)


def unbias(x: jax.Array, correction: Any) -> jax.Array:
    """``x / correction`` (a bias correction ``1 − decay^t``); ``x`` when it is ``None``."""
    return x if correction is None else x / correction


def scalar(value: Any, like: jax.Array) -> Any:
    """A hyperparameter as an operand for ``like``: a Python number stays a (weakly typed)
    Python number; a tracer or array is converted to ``like``'s dtype."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return const(value, like.dtype)


def ema(decay: Any, moment: jax.Array, value: jax.Array) -> jax.Array:
    """``decay * moment + (1 - decay) * value``: the exponential moving average step."""
    out: jax.Array = scalar(decay, moment) * moment + scalar(1 - decay, value) * value
    return out


def abs_sq(x: jax.Array) -> jax.Array:
    """``|x|^2``, real: ``x * x``, or ``real(x * conj(x))`` for a complex ``x``."""
    if jnp.iscomplexobj(x):
        return jnp.real(x * jnp.conj(x))
    return x * x


def add(x: jax.Array, value: Any) -> jax.Array:
    """``x + value``; just ``x`` when ``value`` is a concrete 0 (the fast path)."""
    if not is_traced(value) and static_value(value) == 0:
        return x
    out: jax.Array = x + scalar(value, x)
    return out


def safe_div(num: jax.Array, den: jax.Array) -> jax.Array:
    """``num / den`` for a real ``den >= 0``, and 0 where ``den == 0``.

    No inf or NaN is formed, even in gradients: the division sees 1 where ``den == 0``.
    """
    ok = den > 0
    safe_den = jnp.where(ok, den, jnp.ones_like(den))
    return jnp.where(ok, num / safe_den.astype(num.dtype), jnp.zeros_like(num))


def divide(num: jax.Array, den: jax.Array, guarded: bool) -> jax.Array:
    """``num / den`` for a real ``den`` (``num`` real or complex); :func:`safe_div` if
    ``guarded`` (a static bool: only where a zero denominator is possible)."""
    if guarded:
        return safe_div(num, den)
    return num / den.astype(num.dtype)
