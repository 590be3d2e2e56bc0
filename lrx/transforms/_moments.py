"""Per-leaf moment helpers shared by the adaptive transforms (optax's update_moment family).

:func:`leafwise` maps a kernel's per-leaf function under the dtype policy of ``lrx._dtypes``
(operands in, new moments and output back out), so the function is only its formula. Each
helper is the formula it names, in the dtype of its array operands, so a kernel reads like
its docstring: ``m = ema(b1, m, g)``, ``v = ema(b2, v, abs_sq(g))``. Hyperparameters may be
Python numbers (weakly typed literals: no equation, no promotion) or tracers (converted to
the operand's dtype: strict dtype promotion never sees a mismatch).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from lrx._dtypes import cast, compute_dtype, const, positive_in, real_dtype, state_dtype, to_output
from lrx._tree import tree_map_multi
from lrx._validate import is_traced, static_value

__all__ = [
    "abs_sq",
    "add",
    "divide",
    "ema",
    "init_moment",
    "leafwise",
    "over_root",
    "safe_div",
    "scalar",
    "unbias",
]


def leafwise(
    fn: Callable[..., tuple[Any, ...]],
    updates: Any,
    *moments: Any,
    scalars: Callable[[Any], Any] | None = None,
) -> tuple[Any, ...]:
    """Map the per-leaf formula ``fn`` over ``updates`` and ``moments`` under the dtype policy.

    For each leaf, with ``cdt`` the :func:`lrx._dtypes.compute_dtype` of the update's and the
    moments' dtypes: the update, and each complex moment, enter ``fn`` converted to ``cdt``;
    a real moment (a ``|g|²`` statistic) enters in ``cdt``'s real counterpart. ``fn(g,
    *moments)`` returns ``(output, *new_moments)``; the output is returned in the update's
    dtype (:func:`lrx._dtypes.to_output`), each new moment in the dtype of the moment it
    replaces (:func:`lrx._dtypes.cast`). A conversion to the dtype a value already has
    emits nothing.

    ``scalars`` (optional) maps a compute dtype to per-update values the formula needs from
    its first line (bias corrections): it is called once per compute dtype, not per leaf,
    before the first leaf of that dtype is converted, and its result is ``fn``'s first
    argument: ``fn(scalars(cdt), g, *moments)``.

    The moment trees are the kernel's (AMSGrad's ``nu_max`` or a centered ``mu`` only when
    the variant keeps one): ``fn`` takes and returns as many moments as it is given.

    Returns:
        ``(outputs, *new_moments)``: ``1 + len(moments)`` trees shaped like ``updates``.

    Example:
        >>> import jax.numpy as jnp
        >>> g, m = jnp.ones(2, jnp.bfloat16), jnp.zeros(2, jnp.float32)
        >>> out, m = leafwise(lambda g, m: (g + m, 0.5 * m + g), g, m)  # computed in float32
        >>> out.dtype.name, m.dtype.name
        ('bfloat16', 'float32')
    """
    per_dtype = functools.cache(scalars) if scalars is not None else None

    def leaf(g: Any, *olds: Any) -> tuple[Any, ...]:
        cdt = compute_dtype(g.dtype, *(m.dtype for m in olds))
        first = () if per_dtype is None else (per_dtype(cdt),)
        ins = (m.astype(cdt if jnp.iscomplexobj(m) else real_dtype(cdt)) for m in olds)
        out, *news = fn(*first, g.astype(cdt), *ins)
        out = to_output(out, g.dtype)
        return out, *(cast(new, old.dtype) for new, old in zip(news, olds, strict=True))

    return tree_map_multi(leaf, 1 + len(moments), updates, *moments)


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


def over_root(
    num: jax.Array, sq: jax.Array, eps: Any = 0.0, eps_root: Any = 0.0, *, floor: Any = 0.0
) -> jax.Array:
    """``num / (sqrt(sq + eps_root) + eps)`` for a real ``sq >= floor >= 0``.

    A concrete 0 ``eps`` or ``eps_root`` emits no addition. The division is guarded
    (:func:`safe_div`: 0 where the denominator is 0) only where the denominator can vanish:
    unless ``eps``, ``eps_root`` or ``floor`` is known to be a normal positive number
    (:func:`lrx._dtypes.positive_in`; a traced value is not known to be).
    """
    den = add(jnp.sqrt(add(sq, eps_root)), eps)
    nonzero = any(positive_in(x, den.dtype) for x in (eps, eps_root, floor))
    return divide(num, den, guarded=not nonzero)
