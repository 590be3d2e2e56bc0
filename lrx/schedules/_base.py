"""The :class:`Schedule` base class: evaluation, identity (``==``, ``hash``, ``repr``), arithmetic.

A schedule is a frozen, keyword-only dataclass and a JAX pytree: hashable, comparable by
parameters, printable with every parameter, callable inside ``jit`` on scalar or array
counts, serializable to a JSON-safe config, usable as a ``jit`` argument (no retrace when
only values change) and constructible under ``vmap`` from batched values. Subclasses are
declared with :func:`register` (defined in ``_config.py`` with the registry and the config
round-trips; re-exported here)::

    @register("step_decay")
    class StepDecay(Schedule):
        init_value: float
        step_size: int
        gamma: float = 0.1

        def __post_init__(self):
            ...  # validate with lrx._validate, normalise with set_field(self, name, value)

        def _value(self, t):  # t: float32 array of counts; fields may be tracers
            return self.init_value * self.gamma ** jnp.floor(t / self.step_size)

Pytree layout: numeric fields (numbers, tuples of numbers) and child schedules are the
children; fields declared with :func:`static_field` (mode strings, flags, callables) are
static auxiliary data. Composite schedules mark child fields with ``schedule_field()`` (one
child) or ``schedules_field()`` (a tuple of children) so ``schedule_from_config`` rebuilds
them. JAX rebuilds a schedule from its leaves without running ``__init__`` (the leaves may
be tracers, batched arrays or placeholders), so validation happens only at construction.

Traced schedules (fields that are tracers, inside ``jit``/``vmap``): ``repr`` shows the
tracers; ``==`` compares the structure and then each field by value where both are
concrete and by identity where either is traced; ``hash`` and ``to_config`` raise
``TypeError`` (a traced value is unknown, so it can be neither hashed nor serialized).
Batched concrete schedules (array fields of shape ``(K,)``, e.g. returned by a ``vmap``)
compare and hash by value; ``to_config`` raises ``TypeError`` for them too. Float fields
compare by their float32 value, so a schedule moved with ``jax.device_put``, returned by a
``jit`` or restored from a checkpoint equals (and hashes like) the one it was built as.

Arithmetic: ``c * s`` and ``s * t`` build the registered ``scaled`` / ``product`` schedules
of ``_arith.py``, looked up by name in the registry (this module sits below them).
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, cast

import jax
import jax.numpy as jnp
import numpy as np

from lrx._validate import check_float, check_int, is_traced, static_value
from lrx.schedules._config import REGISTRY as _REGISTRY
from lrx.schedules._config import (
    StaticBox,
    init_fields,
    register,
    schedule_field,
    schedule_from_config,
    schedules_field,
    static_field,
    to_config,
)

__all__ = [
    "Schedule",
    "as_schedule_fn",
    "register",
    "schedule_field",
    "schedule_from_config",
    "schedules_field",
    "static_field",
]


def _leaf_key(x: Any) -> Any:
    """A hashable value key for a concrete leaf; raises ``TypeError`` for a tracer.

    Floats are keyed by their float32 value (the precision every schedule computes in), so
    a schedule compares and hashes equal to itself after ``jax.device_put``, ``jit`` or a
    checkpoint round trip (a Python ``0.1`` and a float32 ``0.1`` array are one value).
    """
    if is_traced(x):
        raise TypeError("traced")
    if x is None or isinstance(x, (bool, int, str)):
        return x
    if isinstance(x, float):
        return float(np.float32(x))
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        arr = np.asarray(x)
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        if arr.ndim == 0:
            return arr.item()
        return ("array", arr.shape, tuple(arr.ravel().tolist()))
    return StaticBox(x)


def _show(x: Any) -> str:
    if not is_traced(x) and isinstance(x, (jax.Array, np.ndarray, np.generic)):
        v = static_value(x)
        if v is not None:
            return repr(v)
    return repr(x)


@functools.partial(jax.jit, static_argnums=(1,))
def _values_jit(schedule: Schedule, n: int) -> jax.Array:
    return schedule(jnp.arange(n, dtype=jnp.int32))


def _is_number(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, numbers.Real):
        return True
    return getattr(x, "shape", None) == () and hasattr(x, "dtype")


def _multiply(a: Any, b: Any) -> Any:
    """``a * b`` for a Schedule and a number or two Schedules.

    Builds the registered ``scaled`` / ``product`` schedules (``lrx/schedules/_arith.py``)
    by name, so this base module does not import the arithmetic module above it.
    """
    if isinstance(a, Schedule) and isinstance(b, Schedule):
        product = _REGISTRY["product"]
        left = a.schedules if isinstance(a, product) else (a,)
        right = b.schedules if isinstance(b, product) else (b,)
        return product(schedules=(*left, *right))
    if isinstance(a, Schedule) and _is_number(b):
        return _REGISTRY["scaled"](factor=b, schedule=a)
    if isinstance(b, Schedule) and _is_number(a):
        return _REGISTRY["scaled"](factor=a, schedule=b)
    return NotImplemented


class Schedule:
    """Base class of all lrx schedules.

    A schedule maps the update count ``t`` (updates already applied, 0 for the first) to a
    learning rate: ``s(t)``. torch's scheduler value after ``k`` calls of
    ``scheduler.step()`` equals ``s(k)``.

    * ``s(count)`` works on Python ints, NumPy or JAX integer arrays (int8/uint8/int16 are
      promoted to int32), inside or outside ``jit``; it returns a float32 array of the
      count's shape.
    * ``s.values(n)`` gives the first ``n`` values as a NumPy array; it compiles once per
      schedule structure (type, static fields, nesting), not once per value.
    * ``s.to_config()`` gives a JSON-safe dict; ``lrx.schedule_from_config`` inverts it.
    * ``repr(s)`` shows every parameter; ``==`` and ``hash`` go by parameters.
    * A schedule is a pytree: pass it to ``jax.jit`` as an argument (new values, same
      structure: no retrace) or build it inside ``jax.vmap`` from batched values.
    * ``c * s``, ``s * c`` and ``s * t`` (numbers ``c``, schedules ``s``, ``t``) are
      serializable schedules whose value is the product (``scaled`` and ``product``).

    Example:
        >>> import lrx
        >>> s = lrx.step_decay(0.1, step_size=2, gamma=0.5)
        >>> [round(v, 6) for v in s.values(5).tolist()]
        [0.1, 0.1, 0.05, 0.05, 0.025]
        >>> lrx.schedule_from_config(s.to_config()) == s
        True
        >>> round(float((0.5 * s)(2)), 6)
        0.025
    """

    name: ClassVar[str] = "schedule"
    _serializable: ClassVar[bool] = True
    if TYPE_CHECKING:  # every concrete subclass is a dataclass (made by ``register``)
        __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    # -- evaluation -------------------------------------------------------------------
    def _value(self, t: jax.Array) -> jax.Array:  # pragma: no cover - abstract
        raise NotImplementedError

    def _max_value(self) -> float | None:
        """An upper bound of ``s(t)`` over all counts, or ``None`` when unknown (traced).

        Composites (``scaled``, ``product``) use it to reject, at construction, a
        combination that would overflow float32. Schedules that cannot bound themselves
        cheaply return ``None`` (the default), which skips that check.
        """
        return None

    def _value_at(self, count: jax.Array) -> jax.Array:
        """Value at integer ``count`` (int32, or int64 under x64).

        The default evaluates ``_value`` on the float32 count. Schedules with boundaries,
        periods or shifts override it to reduce the count in integer arithmetic first, so
        they stay exact at counts where float32 can no longer represent every integer
        (above 2**24).
        """
        return self._value(count.astype(jnp.float32))

    def __call__(self, count: Any) -> jax.Array:
        count = jnp.asarray(count)
        dtype = count.dtype
        if jnp.issubdtype(dtype, jnp.integer) and dtype != jnp.bool_:
            if dtype.itemsize < 4 or dtype == jnp.uint32:
                count = count.astype(jnp.int32)  # small/unsigned counts: int32 arithmetic
            elif dtype == jnp.uint64:
                count = count.astype(jnp.int64)
            return jnp.asarray(self._value_at(count), jnp.float32)
        if jnp.issubdtype(dtype, jnp.floating):
            return jnp.asarray(self._value(count.astype(jnp.float32)), jnp.float32)
        raise ValueError(f"count must be an integer array, got dtype {dtype}")

    def values(self, num_steps: int) -> np.ndarray:
        """The first ``num_steps`` values ``[s(0), ..., s(num_steps - 1)]`` (float32)."""
        n = check_int("num_steps", num_steps, lo=0)
        return np.asarray(_values_jit(self, n))

    # -- arithmetic ----------------------------------------------------------------------
    def __mul__(self, other: Any) -> Schedule:
        return _multiply(self, other)  # type: ignore[no-any-return]

    def __rmul__(self, other: Any) -> Schedule:
        return _multiply(other, self)  # type: ignore[no-any-return]

    # -- identity and serialization ------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schedule):
            return NotImplemented
        if other is self:
            return True
        la, ta = jax.tree_util.tree_flatten(self)
        lb, tb = jax.tree_util.tree_flatten(other)
        if ta != tb:  # type: ignore[operator]  # PyTreeDef compares structurally
            return False
        for a, b in zip(la, lb, strict=True):
            if a is b:
                continue
            try:
                if _leaf_key(a) != _leaf_key(b):
                    return False
            except TypeError:  # a traced leaf: equal only to itself
                return False
        return True

    def __hash__(self) -> int:
        leaves, treedef = jax.tree_util.tree_flatten(self)
        try:
            return hash((treedef, tuple(_leaf_key(x) for x in leaves)))
        except TypeError:
            raise TypeError(
                f"a {self.name} schedule with traced fields (inside jit/vmap) is not "
                "hashable: its values are unknown until run time"
            ) from None

    def __repr__(self) -> str:
        params = ", ".join(f"{f.name}={_show(getattr(self, f.name))}" for f in init_fields(self))
        return f"{self.name}({params})"

    def to_config(self) -> dict[str, Any]:
        """A JSON-safe dict ``{"name": ..., **params}``; children are nested configs.

        Raises ``TypeError`` for schedules wrapping a Python callable (``from_fn``) and for
        schedules whose fields are traced or batched (one config per configuration).
        """
        if not self._serializable:
            raise TypeError(
                f"{self!r} wraps an arbitrary Python callable and cannot be serialized; "
                "use a registered lrx schedule (or a composite of them) to get a config"
            )
        return to_config(self)


def as_schedule_fn(learning_rate: Any, name: str = "learning_rate") -> Callable[[jax.Array], Any]:
    """Turn a ``ScalarOrSchedule`` into ``count -> value``.

    A :class:`lrx.Schedule` is recognised by type; a Python number or 0-d array is a
    constant (validated: finite and >= 0); anything else callable is wrapped as is.
    """
    if isinstance(learning_rate, Schedule):
        return learning_rate
    if isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool):
        value = check_float(name, learning_rate, lo=0.0)
        return lambda count: jnp.asarray(value, jnp.float32)
    if isinstance(learning_rate, jax.Array | jax.core.Tracer) or hasattr(learning_rate, "dtype"):
        arr = jnp.asarray(learning_rate)
        if arr.ndim != 0:
            raise ValueError(f"{name} must be a scalar, got an array of shape {arr.shape}")
        # the one number check: finite, >= 0, within float32; a zero imaginary part is dropped
        value = check_float(name, learning_rate, lo=0.0)
        if is_traced(value):
            arr = value
        elif jnp.iscomplexobj(arr):
            arr = jnp.real(arr)
        return lambda count: arr
    if callable(learning_rate):
        return cast(Callable[[jax.Array], Any], learning_rate)
    raise ValueError(
        f"{name} must be a float, a scalar array, a Schedule or a callable, got {learning_rate!r}"
    )
