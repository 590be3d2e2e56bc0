"""Factories with numeric hyperparameters, for the hyperparameters-as-data tests.

Each case is ``(id, factory, kwargs, static_args)``: ``factory(**kwargs)`` is the direct
call, ``optax.inject_hyperparams(factory, static_args)(**kwargs)`` the injected one.
``optax.inject_hyperparams`` injects every argument that is a Python number or an array,
defaults included, and keeps booleans, strings, ``None``, tuples and mappings static by
itself; only callables that are not schedules (an optimizer factory, a ``mask`` function,
a dtype class such as ``jnp.bfloat16``) need ``static_args``. Numeric hyperparameters never
do. Values are chosen away from the ``0`` shortcuts so that every formula is exercised.

Used by tests/test_inject.py and tests/test_conformance.py.
"""

from __future__ import annotations

import inspect
from typing import Any

import jax
import numpy as np

import lrx
from lrx.compat import torch as ltorch
from tests import cases as area_cases

MASK = {"w": True, "b": False}

CASES: list[tuple[str, Any, dict[str, Any], tuple[str, ...]]] = [
    # optimizers (every numeric argument given a non-default value)
    ("sgd", lrx.sgd, dict(learning_rate=0.05, momentum=0.9, weight_decay=0.01, dampening=0.1), ()),
    ("sgd_nesterov", lrx.sgd, dict(learning_rate=0.05, momentum=0.8, nesterov=True), ()),
    ("adagrad", lrx.adagrad, dict(learning_rate=0.1, initial_accumulator_value=0.2, eps=1e-6), ()),
    (
        "adagrad_eps_outside",
        lrx.adagrad,
        dict(learning_rate=0.1, initial_accumulator_value=0.0, eps=1e-3, eps_in_sqrt=False),
        (),
    ),
    (
        "rmsprop",
        lrx.rmsprop,
        dict(learning_rate=0.01, decay=0.8, eps=1e-6, initial_scale=0.1, momentum=0.5),
        (),
    ),
    (
        "rmsprop_centered",
        lrx.rmsprop,
        dict(
            learning_rate=0.01,
            decay=0.8,
            eps=1e-4,
            initial_scale=1.0,
            eps_in_sqrt=False,
            centered=True,
            bias_correction=True,
            momentum=0.5,
            nesterov=True,
        ),
        (),
    ),
    ("adam", lrx.adam, dict(learning_rate=0.01, b1=0.8, b2=0.99, eps=1e-6, eps_root=1e-8), ()),
    (
        "adam_nesterov_amsgrad",
        lrx.adam,
        dict(learning_rate=0.01, b1=0.8, b2=0.99, eps=1e-3, nesterov=True, amsgrad=True),
        (),
    ),
    ("adam_mu_bf16", lrx.adam, dict(learning_rate=0.01, mu_dtype="bfloat16"), ()),
    ("adamw", lrx.adamw, dict(learning_rate=0.01, b1=0.8, weight_decay=0.1, mask=MASK), ()),
    # transforms
    ("scale_by_momentum", lrx.scale_by_momentum, dict(decay=0.8, dampening=0.2), ()),
    ("scale_by_adagrad", lrx.scale_by_adagrad, dict(initial_accumulator_value=0.2, eps=1e-3), ()),
    (
        "scale_by_rms",
        lrx.scale_by_rms,
        dict(decay=0.8, eps=1e-3, initial_scale=0.5, centered=True, bias_correction=True),
        (),
    ),
    ("scale_by_adam", lrx.scale_by_adam, dict(b1=0.8, b2=0.99, eps=1e-3, eps_root=1e-6), ()),
    ("scale_by_learning_rate", lrx.scale_by_learning_rate, dict(learning_rate=0.1), ()),
    ("scale_by_schedule", lrx.scale_by_schedule, dict(schedule=0.5), ()),
    ("add_decayed_weights", lrx.add_decayed_weights, dict(weight_decay=0.1), ()),
    ("clip_by_global_norm", lrx.clip_by_global_norm, dict(max_norm=0.5), ()),
    (
        "reduce_on_plateau",
        lrx.reduce_on_plateau,
        dict(factor=0.5, patience=1, threshold=1e-3, cooldown=1, min_scale=0.01),
        (),
    ),
    (
        "layerwise_decay",
        lrx.layerwise_decay,
        dict(optimizer=lrx.adam, learning_rate=0.01, decay=0.5, layers=["b", "w"]),
        ("optimizer",),
    ),
    # compat.torch presets (torch names)
    (
        "torch_sgd",
        ltorch.sgd,
        dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
        (),
    ),
    (
        "torch_adagrad",
        ltorch.adagrad,
        dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1, eps=1e-6),
        (),
    ),
    (
        "torch_rmsprop",
        ltorch.rmsprop,
        dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5, centered=True),
        (),
    ),
    ("torch_adam", ltorch.adam, dict(lr=0.01, eps=1e-6, weight_decay=0.1, amsgrad=True), ()),
    ("torch_adamw", ltorch.adamw, dict(lr=0.01, eps=1e-6, weight_decay=0.1), ()),
]
CASES += area_cases.HYPER_CASES  # tests/cases/*.py: one module per area
IDS = [c[0] for c in CASES]


def numeric_args(factory: Any, kwargs: dict[str, Any], static_args=()) -> dict[str, Any]:
    """The arguments ``optax.inject_hyperparams`` would inject (defaults included)."""
    bound = inspect.signature(factory).bind(**kwargs)
    bound.apply_defaults()
    return {
        k: v
        for k, v in bound.arguments.items()
        if k not in static_args
        and not isinstance(v, bool)
        and isinstance(v, (int, float, np.ndarray, jax.Array))
    }


def params(dtype: Any = np.float32) -> dict[str, Any]:
    import jax.numpy as jnp

    return {
        "w": jnp.linspace(-1.0, 1.0, 6, dtype=jnp.float32).reshape(3, 2).astype(dtype),
        "b": jnp.array([0.5, -0.25], jnp.float32).astype(dtype),
    }


def grads(step: int, dtype: Any = np.float32) -> dict[str, Any]:
    import jax.numpy as jnp

    rng = np.random.default_rng(step)
    return {
        "w": jnp.asarray(rng.normal(size=(3, 2)), dtype),
        "b": jnp.asarray(rng.normal(size=(2,)), dtype),
    }
