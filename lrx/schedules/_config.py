"""The registry of schedule types, the ``register`` decorator and JSON config round-trips.

A schedule type is a frozen, keyword-only dataclass registered under a name with
:func:`register`; it becomes a JAX pytree whose numeric fields and child schedules are the
children and whose :func:`static_field` fields (mode strings, flags, callables) are static
aux data. :func:`to_config` writes a registered schedule as a JSON-safe dict and
:func:`schedule_from_config` rebuilds it, building only registered types.

This module sits below the :class:`lrx.Schedule` base class (``_base.py`` imports it); it
imports only the base layer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import jax
import numpy as np

from lrx._validate import is_traced

if TYPE_CHECKING:  # typing_extensions is not a runtime dependency; mypy ships its stubs.
    from typing_extensions import dataclass_transform
else:
    try:
        from typing import dataclass_transform  # Python >= 3.11
    except ImportError:  # Python 3.10: only type checkers need the marker.

        def dataclass_transform(**kwargs: Any) -> Callable[[Any], Any]:
            return lambda f: f


__all__ = [
    "MAX_DEPTH",
    "REGISTRY",
    "StaticBox",
    "is_schedule",
    "json_float",
    "register",
    "schedule_field",
    "schedule_from_config",
    "schedules_field",
    "static_field",
    "to_config",
]

REGISTRY: dict[str, type[Any]] = {}
MAX_DEPTH = 32  # nesting limit for configs (hostile input must not blow the stack)

T = TypeVar("T")


def schedule_field(**kwargs: Any) -> Any:
    """A dataclass field holding one child schedule (a pytree child)."""
    return dataclasses.field(metadata={"lrx_kind": "schedule"}, **kwargs)


def schedules_field(**kwargs: Any) -> Any:
    """A dataclass field holding a tuple of child schedules (pytree children)."""
    return dataclasses.field(metadata={"lrx_kind": "schedules"}, **kwargs)


def static_field(**kwargs: Any) -> Any:
    """A dataclass field that is static pytree data: a mode string, a flag, a callable.

    Static fields select code; two schedules that differ in one compile separately. They
    must be Python values (a tracer is rejected at construction).
    """
    return dataclasses.field(metadata={"lrx_static": True}, **kwargs)


class StaticBox:
    """Holds a static field value in the pytree aux data (hash/eq by value, else identity)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StaticBox):
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


def is_schedule(value: Any) -> bool:
    """Whether ``value`` is an instance of a registered schedule type."""
    return type(value) in _TYPES


_TYPES: set[type[Any]] = set()


@dataclass_transform(
    eq_default=False,
    frozen_default=True,
    kw_only_default=True,
    field_specifiers=(dataclasses.field, schedule_field, schedules_field, static_field),
)
def register(name: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: a frozen keyword-only dataclass, a JAX pytree, registered as ``name``.

    Marked with ``typing.dataclass_transform`` (PEP 681) so type checkers see the
    generated ``__init__`` and the frozen fields. Fields made with :func:`static_field` are
    static aux data; every other field is a pytree child (numbers and tuples of numbers are
    leaves, schedules are subtrees).
    """

    def decorate(cls: type[T]) -> type[T]:
        if name in REGISTRY:
            raise ValueError(f"schedule name {name!r} is already registered")
        cls = dataclasses.dataclass(frozen=True, repr=False, eq=False, kw_only=True)(cls)
        cls.name = name  # type: ignore[attr-defined]
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        static = tuple(f.name for f in fields if f.metadata.get("lrx_static"))
        children = tuple(f.name for f in fields if not f.metadata.get("lrx_static"))
        keys = tuple(jax.tree_util.GetAttrKey(n) for n in children)

        def flatten(s: Any) -> tuple[list[Any], tuple[StaticBox, ...]]:
            return [getattr(s, n) for n in children], tuple(
                StaticBox(getattr(s, n)) for n in static
            )

        def flatten_with_keys(s: Any) -> tuple[list[tuple[Any, Any]], tuple[StaticBox, ...]]:
            leaves, aux = flatten(s)
            return list(zip(keys, leaves, strict=True)), aux

        def unflatten(aux: tuple[StaticBox, ...], leaves: Any) -> Any:
            obj = object.__new__(cls)  # no __init__/__post_init__: leaves may be anything
            for n, v in zip(children, leaves, strict=True):
                object.__setattr__(obj, n, v)
            for n, box in zip(static, aux, strict=True):
                object.__setattr__(obj, n, box.value)
            return obj

        jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)
        REGISTRY[name] = cls
        _TYPES.add(cls)
        return cls

    return decorate


def init_fields(obj: Any) -> tuple[dataclasses.Field[Any], ...]:
    """The constructor fields of a schedule (the ones a config holds), in order."""
    return tuple(f for f in dataclasses.fields(obj) if f.init)


def json_float(value: Any) -> Any:
    """A concrete 0-d array (or NumPy scalar) as a Python number for a config.

    Floats of float32 or narrower are written as the shortest decimal that round-trips the
    float32 value (``0.1``, not ``0.10000000149011612``): a schedule moved to a device (or
    through ``jit`` or a checkpoint) writes the config it was built from.
    """
    arr = np.asarray(value)
    item = arr.item()
    if arr.dtype.kind == "f" and arr.dtype.itemsize <= 4:
        return float(str(np.float32(item)))
    return item


def to_config(schedule: Any) -> dict[str, Any]:
    """``schedule.to_config()``: ``{"name": ..., **params}``; children are nested configs."""
    config: dict[str, Any] = {"name": schedule.name}
    for f in init_fields(schedule):
        config[f.name] = _to_json(getattr(schedule, f.name), f"{schedule.name}.{f.name}")
    return config


def _to_json(value: Any, where: str) -> Any:
    if is_schedule(value):
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
        return json_float(arr)
    return value


def schedule_from_config(config: Mapping[str, Any]) -> Any:
    """Rebuild a :class:`Schedule` from ``Schedule.to_config()`` output.

    Only registered lrx schedule types are built; nothing named in the config is imported
    or evaluated. Unknown names, unknown or missing keys, wrong types and invalid values
    (a rate that would overflow float32 included) raise ``ValueError``.

    Example:
        >>> import lrx
        >>> lrx.schedule_from_config({"name": "step_decay", "init_value": 0.1,
        ...                           "step_size": 30, "gamma": 0.5})
        step_decay(init_value=0.1, step_size=30, gamma=0.5)
        >>> lrx.schedule_from_config({"name": "scaled", "factor": 10.0,
        ...                           "schedule": {"name": "constant", "value": 1e38}})
        Traceback (most recent call last):
        ...
        ValueError: config: factor * schedule overflows float32 (up to 1e+39): ...
    """
    return _from_config(config, "config", 0)


def _from_config(config: Any, where: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"{where}: schedule configs nest at most {MAX_DEPTH} levels deep")
    if not isinstance(config, Mapping):
        raise ValueError(f"{where} must be a dict with a 'name' key, got {type(config).__name__}")
    name = config.get("name")
    if not isinstance(name, str) or name not in REGISTRY:
        raise ValueError(
            f"{where}: unknown schedule name {name!r}; known names: {sorted(REGISTRY)}"
        )
    cls = REGISTRY[name]
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
