"""The :class:`Schedule` base class, the registry of schedule types, and config round-trips.

A schedule is a frozen, keyword-only dataclass and a JAX pytree: hashable, comparable by
parameters, printable with every parameter, callable inside ``jit`` on scalar or array
counts, serializable to a JSON-safe config, usable as a ``jit`` argument (no retrace when
only values change) and constructible under ``vmap`` from batched values. Subclasses are
declared with :func:`register`::

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
compare and hash by value; ``to_config`` raises ``TypeError`` for them too.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from lrx._validate import check_float, is_traced, static_value

if TYPE_CHECKING:  # typing_extensions is not a runtime dependency; mypy ships its stubs.
    from typing_extensions import dataclass_transform
else:
    try:
        from typing import dataclass_transform  # Python >= 3.11
    except ImportError:  # Python 3.10: only type checkers need the marker.

        def dataclass_transform(**kwargs: Any) -> Callable[[Any], Any]:
            return lambda f: f


__all__ = [
    "Schedule",
    "register",
    "schedule_field",
    "schedule_from_config",
    "schedules_field",
    "static_field",
]

_REGISTRY: dict[str, type[Schedule]] = {}
_MAX_DEPTH = 32  # nesting limit for configs (hostile input must not blow the stack)

S = TypeVar("S", bound="Schedule")


def schedule_field(**kwargs: Any) -> Any:
    """A dataclass field holding one child :class:`Schedule` (a pytree child)."""
    return dataclasses.field(metadata={"lrx_kind": "schedule"}, **kwargs)


def schedules_field(**kwargs: Any) -> Any:
    """A dataclass field holding a tuple of child :class:`Schedule` objects (pytree children)."""
    return dataclasses.field(metadata={"lrx_kind": "schedules"}, **kwargs)


def static_field(**kwargs: Any) -> Any:
    """A dataclass field that is static pytree data: a mode string, a flag, a callable.

    Static fields select code; two schedules that differ in one compile separately.
    """
    return dataclasses.field(metadata={"lrx_static": True}, **kwargs)


class _Static:
    """Holds a static field value in the pytree aux data (hash/eq by value, else identity)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Static):
            return NotImplemented
        a, b = self.value, other.value
        if a is b:
            return True
        if type(a) is not type(b):
            return False
        try:
            return bool(a == b)
        except Exception:  # unorderable/array-like values: identity only
            return False

    def __hash__(self) -> int:
        try:
            return hash(self.value)
        except TypeError:  # unhashable callables: identity
            return id(self.value)

    def __repr__(self) -> str:
        return repr(self.value)


@dataclass_transform(
    eq_default=False,
    frozen_default=True,
    kw_only_default=True,
    field_specifiers=(dataclasses.field, schedule_field, schedules_field, static_field),
)
def register(name: str) -> Callable[[type[S]], type[S]]:
    """Class decorator: a frozen keyword-only dataclass, a JAX pytree, registered as ``name``.

    Marked with ``typing.dataclass_transform`` (PEP 681) so type checkers see the
    generated ``__init__`` and the frozen fields. Fields made with :func:`static_field` are
    static aux data; every other field is a pytree child (numbers and tuples of numbers are
    leaves, schedules are subtrees).
    """

    def decorate(cls: type[S]) -> type[S]:
        if name in _REGISTRY:
            raise ValueError(f"schedule name {name!r} is already registered")
        cls = dataclasses.dataclass(frozen=True, repr=False, eq=False, kw_only=True)(cls)
        cls.name = name
        fields = dataclasses.fields(cls)
        static = tuple(f.name for f in fields if f.metadata.get("lrx_static"))
        children = tuple(f.name for f in fields if not f.metadata.get("lrx_static"))
        keys = tuple(jax.tree_util.GetAttrKey(n) for n in children)

        def flatten(s: Any) -> tuple[list[Any], tuple[_Static, ...]]:
            return [getattr(s, n) for n in children], tuple(_Static(getattr(s, n)) for n in static)

        def flatten_with_keys(s: Any) -> tuple[list[tuple[Any, Any]], tuple[_Static, ...]]:
            leaves, aux = flatten(s)
            return list(zip(keys, leaves, strict=True)), aux

        def unflatten(aux: tuple[_Static, ...], leaves: Any) -> Any:
            obj = object.__new__(cls)  # no __init__/__post_init__: leaves may be anything
            for n, v in zip(children, leaves, strict=True):
                object.__setattr__(obj, n, v)
            for n, box in zip(static, aux, strict=True):
                object.__setattr__(obj, n, box.value)
            return obj

        jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)
        _REGISTRY[name] = cls
        return cls

    return decorate


def _leaf_key(x: Any) -> Any:
    """A hashable value key for a concrete leaf; raises ``TypeError`` for a tracer."""
    if is_traced(x):
        raise TypeError("traced")
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        arr = np.asarray(x)
        if arr.ndim == 0:
            return arr.item()
        return ("array", arr.shape, tuple(arr.ravel().tolist()))
    return _Static(x)


def _show(x: Any) -> str:
    if not is_traced(x) and isinstance(x, (jax.Array, np.ndarray, np.generic)):
        v = static_value(x)
        if v is not None:
            return repr(v)
    return repr(x)


_VALUES_TRACES = [0]  # how many times ``values`` traced (tests check it compiles per structure)


@functools.partial(jax.jit, static_argnums=(1,))
def _values_jit(schedule: Schedule, n: int) -> jax.Array:
    _VALUES_TRACES[0] += 1
    return schedule(jnp.arange(n, dtype=jnp.int32))


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
        from lrx._validate import check_int

        n = check_int("num_steps", num_steps, lo=0)
        return np.asarray(_values_jit(self, n))

    # -- arithmetic ----------------------------------------------------------------------
    def __mul__(self, other: Any) -> Schedule:
        from lrx.schedules.compose import _multiply

        return _multiply(self, other)

    def __rmul__(self, other: Any) -> Schedule:
        from lrx.schedules.compose import _multiply

        return _multiply(other, self)

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
        params = ", ".join(f"{f.name}={_show(getattr(self, f.name))}" for f in _fields(self))
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
        config: dict[str, Any] = {"name": self.name}
        for f in _fields(self):
            config[f.name] = _to_json(getattr(self, f.name), f"{self.name}.{f.name}")
        return config


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


def _fields(obj: Any) -> tuple[dataclasses.Field, ...]:
    return tuple(f for f in dataclasses.fields(obj) if f.init)


def _to_json(value: Any, where: str) -> Any:
    if isinstance(value, Schedule):
        return value.to_config()
    if isinstance(value, (tuple, list)):
        return [_to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if is_traced(value):
        raise TypeError(
            f"{where} is traced (inside jit/vmap): its value is unknown, so the schedule "
            "cannot be serialized; call to_config outside the transformation"
        )
    if isinstance(value, (np.generic, np.ndarray, jax.Array)):
        arr = np.asarray(value)
        if arr.ndim != 0:
            raise TypeError(
                f"{where} is an array of shape {arr.shape} (a batched schedule holds several "
                "configurations); serialize each configuration separately"
            )
        return arr.item()
    return value


def schedule_from_config(config: Mapping[str, Any]) -> Schedule:
    """Rebuild a :class:`Schedule` from ``Schedule.to_config()`` output.

    Only registered lrx schedule types are built; nothing named in the config is imported
    or evaluated. Unknown names, unknown or missing keys, wrong types and invalid values
    raise ``ValueError``.

    Example:
        >>> import lrx
        >>> lrx.schedule_from_config({"name": "exponential_decay", "init_value": 0.1,
        ...                           "gamma": 0.95, "every": 1, "staircase": False})
        exponential_decay(init_value=0.1, gamma=0.95, every=1, staircase=False, end_value=None)
    """
    return _from_config(config, "config", 0)


def _from_config(config: Any, where: str, depth: int) -> Schedule:
    if depth > _MAX_DEPTH:
        raise ValueError(f"{where}: schedule configs nest at most {_MAX_DEPTH} levels deep")
    if not isinstance(config, Mapping):
        raise ValueError(f"{where} must be a dict with a 'name' key, got {type(config).__name__}")
    name = config.get("name")
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(
            f"{where}: unknown schedule name {name!r}; known names: {sorted(_REGISTRY)}"
        )
    cls = _REGISTRY[name]
    if not cls._serializable:
        raise ValueError(f"{where}: schedule {name!r} cannot be built from a config")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(str(k) for k in config if k != "name" and k not in fields)
    if unknown:
        raise ValueError(
            f"{where}: unknown keys {unknown} for schedule {name!r}; allowed: {sorted(fields)}"
        )
    missing = [
        k
        for k, f in fields.items()
        if k not in config
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ValueError(f"{where}: missing keys {missing} for schedule {name!r}")
    kwargs: dict[str, Any] = {}
    for key, value in config.items():
        if key == "name":
            continue
        kind = fields[key].metadata.get("lrx_kind")
        sub = f"{where}.{key}"
        if kind == "schedule":
            kwargs[key] = _from_config(value, sub, depth + 1)
        elif kind == "schedules":
            if not isinstance(value, (list, tuple)):
                raise ValueError(f"{sub} must be a list of schedule configs, got {value!r}")
            kwargs[key] = tuple(
                _from_config(v, f"{sub}[{i}]", depth + 1) for i, v in enumerate(value)
            )
        else:
            kwargs[key] = _from_json_value(value, sub)
    try:
        return cls(**kwargs)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    except (TypeError, OverflowError, ArithmeticError) as e:  # defensive: never leak others
        raise ValueError(f"{where}: invalid parameters for {name!r}: {e}") from None


def _from_json_value(value: Any, where: str) -> Any:
    if isinstance(value, list):
        return tuple(_from_json_value(v, f"{where}[]") for v in value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} must be finite, got {value!r}")
        return value
    raise ValueError(f"{where} has an unsupported JSON value {value!r}")
