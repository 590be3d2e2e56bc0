"""Shared type aliases. ``ScalarOrSchedule`` is what every ``learning_rate`` accepts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Union

import jax
from jax.typing import ArrayLike, DTypeLike
from optax import GradientTransformation, GradientTransformationExtraArgs

if TYPE_CHECKING:
    from lrx.schedules._base import Schedule

__all__ = [
    "GradientTransformation",
    "GradientTransformationExtraArgs",
    "Hyper",
    "HyperOrSchedule",
    "MaybeDType",
    "Numeric",
    "ScalarOrSchedule",
]

Numeric = Union[float, int, jax.Array]  # noqa: UP007 (runtime alias, py3.10)
ScalarOrSchedule = Union[float, jax.Array, "Schedule", Callable[[jax.Array], Numeric]]
"""A constant (float or 0-d array), an :class:`lrx.Schedule`, or a jittable ``count -> lr``."""

Hyper = ArrayLike
"""A numeric hyperparameter: a Python or NumPy number, a concrete JAX array or a tracer (inside
``jit``, ``vmap``, ``optax.inject_hyperparams``). Hyperparameters are data."""

HyperOrSchedule = Union[ArrayLike, "Schedule", Callable[[jax.Array], Numeric]]
"""A numeric hyperparameter that may also follow a schedule of the update count."""

MaybeDType = Union[DTypeLike, None]  # noqa: UP007 (runtime alias, py3.10)
"""A dtype (``jnp.bfloat16``, ``"float32"``, ...) or ``None`` for the default."""
