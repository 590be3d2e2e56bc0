"""The :class:`Schedule` base class, the registry of schedule types, and config round-trips.

A schedule is a frozen dataclass: hashable, comparable by parameters, printable with every
parameter, callable inside ``jit`` on scalar or array counts, and serializable to a
JSON-safe config. Subclasses are declared with :func:`register`::

    @register("step_decay")
    class StepDecay(Schedule):
        init_value: float
        step_size: int
        gamma: float = 0.1

        def __post_init__(self):
            ...  # validate with lrx._validate, normalise with _set(self, name, value)

        def _value(self, t):  # t: float32 array of counts
            return self.init_value * self.gamma ** jnp.floor(t / self.step_size)

Composite schedules mark child fields with ``schedule_field()`` (one child) or
``schedules_field()`` (a tuple of children) so ``schedule_from_config`` rebuilds them.
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

from lrx._validate import check_float

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
]

_REGISTRY: dict[str, type[Schedule]] = {}
_MAX_DEPTH = 32  # nesting limit for configs (hostile input must not blow the stack)

S = TypeVar("S", bound="Schedule")


def schedule_field(**kwargs: Any) -> Any:
    """A dataclass field holding one child :class:`Schedule`."""
    return dataclasses.field(metadata={"lrx_kind": "schedule"}, **kwargs)


def schedules_field(**kwargs: Any) -> Any:
    """A dataclass field holding a tuple of child :class:`Schedule` objects."""
    return dataclasses.field(metadata={"lrx_kind": "schedules"}, **kwargs)


@dataclass_transform(
    eq_default=True,
    frozen_default=True,
    field_specifiers=(dataclasses.field, schedule_field, schedules_field),
)
def register(name: str) -> Callable[[type[S]], type[S]]:
    """Class decorator: make ``cls`` a frozen dataclass and register it under ``name``.

    Marked with ``typing.dataclass_transform`` (PEP 681) so type checkers see the
    generated ``__init__`` and the frozen fields.
    """

    def decorate(cls: type[S]) -> type[S]:
        if name in _REGISTRY:
            raise ValueError(f"schedule name {name!r} is already registered")
        cls = dataclasses.dataclass(frozen=True, repr=False, eq=True)(cls)
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def _set(obj: Any, field: str, value: Any) -> None:
    """Normalise a field of a frozen dataclass inside ``__post_init__``."""
    object.__setattr__(obj, field, value)


class Schedule:
    """Base class of all lrx schedules.

    A schedule maps the update count ``t`` (updates already applied, 0 for the first) to a
    learning rate: ``s(t)``. torch's scheduler value after ``k`` calls of
    ``scheduler.step()`` equals ``s(k)``.

    * ``s(count)`` works on Python ints, NumPy or JAX integer arrays, inside or outside
      ``jit``; it returns a float32 array of the count's shape.
    * ``s.values(n)`` gives the first ``n`` values as a NumPy array.
    * ``s.to_config()`` gives a JSON-safe dict; ``lrx.schedule_from_config`` inverts it.
    * ``repr(s)`` shows every parameter; ``==`` and ``hash`` go by parameters.

    Example:
        >>> import lrx
        >>> s = lrx.step_decay(0.1, step_size=2, gamma=0.5)
        >>> [round(v, 6) for v in s.values(5).tolist()]
        [0.1, 0.1, 0.05, 0.05, 0.025]
        >>> lrx.schedule_from_config(s.to_config()) == s
        True
    """

    name: ClassVar[str] = "schedule"
    _serializable: ClassVar[bool] = True
    if TYPE_CHECKING:  # every concrete subclass is a dataclass (made by ``register``)
        __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    # -- evaluation -------------------------------------------------------------------
    def _value(self, t: jax.Array) -> jax.Array:  # pragma: no cover - abstract
        raise NotImplementedError

    def _value_at(self, count: jax.Array) -> jax.Array:
        """Value at integer ``count`` (int32, or int64 under x64).

        The default evaluates ``_value`` on the float32 count. Periodic and composite
        schedules override it to reduce the count in integer arithmetic first (the phase
        inside a cycle, the epoch, the shift after a boundary), so they stay exact at
        counts where float32 can no longer represent every integer (above 2**24).
        """
        return self._value(count.astype(jnp.float32))

    def __call__(self, count: Any) -> jax.Array:
        count = jnp.asarray(count)
        if jnp.issubdtype(count.dtype, jnp.integer):
            return jnp.asarray(self._value_at(count), jnp.float32)
        if jnp.issubdtype(count.dtype, jnp.floating):
            return jnp.asarray(self._value(count.astype(jnp.float32)), jnp.float32)
        raise ValueError(f"count must be an integer array, got dtype {count.dtype}")

    def values(self, num_steps: int) -> np.ndarray:
        """The first ``num_steps`` values ``[s(0), ..., s(num_steps - 1)]`` (float32)."""
        from lrx._validate import check_int

        n = check_int("num_steps", num_steps, lo=0)
        return np.asarray(_values_jit(self, n))

    # -- identity and serialization ------------------------------------------------------
    def __repr__(self) -> str:
        params = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in _fields(self))
        return f"{self.name}({params})"

    def to_config(self) -> dict[str, Any]:
        """A JSON-safe dict ``{"name": ..., **params}``; children are nested configs."""
        if not self._serializable:
            raise TypeError(
                f"{self!r} wraps an arbitrary Python callable and cannot be serialized; "
                "use a registered lrx schedule (or a composite of them) to get a config"
            )
        config: dict[str, Any] = {"name": self.name}
        for f in _fields(self):
            config[f.name] = _to_json(getattr(self, f.name))
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


def _to_json(value: Any) -> Any:
    if isinstance(value, Schedule):
        return value.to_config()
    if isinstance(value, (tuple, list)):
        return [_to_json(v) for v in value]
    if isinstance(value, (np.generic,)):
        return value.item()
    return value


@functools.partial(jax.jit, static_argnums=(0, 1))
def _values_jit(schedule: Schedule, n: int) -> jax.Array:
    return schedule(jnp.arange(n, dtype=jnp.int32))


def schedule_from_config(config: Mapping[str, Any]) -> Schedule:
    """Rebuild a :class:`Schedule` from ``Schedule.to_config()`` output.

    Only registered lrx schedule types are built; nothing named in the config is imported
    or evaluated. Unknown names, unknown or missing keys, wrong types and invalid values
    raise ``ValueError``.

    Example:
        >>> import lrx
        >>> lrx.schedule_from_config({"name": "exponential_decay", "init_value": 0.1,
        ...                           "gamma": 0.95, "every": 1, "staircase": False})
        exponential_decay(init_value=0.1, gamma=0.95, every=1, staircase=False)
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
