"""The training problem of tests/test_sweep.py and tests/workers/sweep_worker.py.

A 8-16-1 tanh regression trained for :data:`STEPS` full-batch updates by
``chain(adamw(...), reduce_on_plateau(...))``, the training loss observed every
:data:`EPOCH` updates. ``train(h)`` takes every hyperparameter from the dict ``h``, so the
same function runs once with Python numbers (one program per configuration) or under
``jax.vmap`` with arrays (one program for the whole sweep).

Importing this module only defines functions and constants (the sharding worker imports it
after setting ``XLA_FLAGS``).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import lrx

STEPS = 60  # updates per run
EPOCH = 5  # observe the training loss every EPOCH updates (12 observations)
N, DIN, HIDDEN = 64, 8, 16

# Values used where a sweep does not vary the hyperparameter.
BASE: dict[str, float | int] = {
    "learning_rate": 3e-2,
    "b1": 0.9,
    "b2": 0.999,
    "weight_decay": 1e-2,
    "factor": 0.5,
    "peak": 3e-2,
    "warmup": 10,
}

# One sweep per hyperparameter (4 values each), and one that varies all of them at once.
# ``schedule``: the learning rate is ``warmup_cosine(peak, warmup, STEPS)`` instead of
# the constant ``learning_rate``.
SWEEPS: dict[str, tuple[bool, dict[str, list[float] | list[int]]]] = {
    "learning_rate": (False, {"learning_rate": [1e-3, 3e-3, 1e-2, 1e-1]}),
    "b1": (False, {"b1": [0.0, 0.5, 0.9, 0.99]}),
    "b2": (False, {"b2": [0.9, 0.99, 0.999, 0.9999]}),
    "weight_decay": (False, {"weight_decay": [0.0, 1e-2, 1e-1, 1.0]}),
    "factor": (False, {"factor": [0.1, 0.3, 0.5, 0.9]}),
    "peak": (True, {"peak": [1e-3, 1e-2, 3e-2, 1e-1]}),
    "warmup": (True, {"warmup": [0, 5, 10, 30]}),
    "all": (
        True,
        {
            "b1": [0.5, 0.8, 0.9, 0.95],
            "b2": [0.9, 0.99, 0.999, 0.9999],
            "weight_decay": [0.0, 1e-2, 1e-1, 1.0],
            "factor": [0.1, 0.3, 0.5, 0.9],
            "peak": [1e-2, 3e-2, 5e-2, 1e-1],
            "warmup": [0, 5, 10, 30],
        },
    ),
}


def problem() -> tuple[dict[str, jax.Array], jax.Array, jax.Array]:
    """Initial parameters, inputs ``(N, DIN)`` and targets ``(N,)`` (deterministic)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, DIN)).astype(np.float32)
    y = (np.sin(x @ rng.standard_normal(DIN)) + 0.1 * rng.standard_normal(N)).astype(np.float32)
    params = {
        "w1": (rng.standard_normal((DIN, HIDDEN)) / np.sqrt(DIN)).astype(np.float32),
        "b1": np.zeros(HIDDEN, np.float32),
        "w2": (rng.standard_normal(HIDDEN) / np.sqrt(HIDDEN)).astype(np.float32),
    }
    return {k: jnp.asarray(v) for k, v in params.items()}, jnp.asarray(x), jnp.asarray(y)


def loss_fn(params: dict[str, jax.Array], x: jax.Array, y: jax.Array) -> jax.Array:
    pred = jnp.tanh(x @ params["w1"] + params["b1"][None, :]) @ params["w2"]
    return jnp.mean((pred - y) ** 2)


def make_tx(h: dict[str, Any], schedule: bool) -> Any:
    """``chain(adamw(lr, b1, b2, weight_decay), reduce_on_plateau(factor))`` from ``h``."""
    lr = (
        lrx.warmup_cosine(peak_value=h["peak"], warmup_steps=h["warmup"], total_steps=STEPS)
        if schedule
        else h["learning_rate"]
    )
    return lrx.chain(
        lrx.adamw(learning_rate=lr, b1=h["b1"], b2=h["b2"], weight_decay=h["weight_decay"]),
        # 30% better per observation or the scale drops: reductions happen within 60 steps.
        lrx.reduce_on_plateau(factor=h["factor"], patience=1, threshold=0.3),
    )


def train(h: dict[str, Any], schedule: bool) -> dict[str, Any]:
    """Train from :func:`problem`'s start; the loss of every update, final params and rate."""
    params, x, y = problem()
    tx = make_tx(h, schedule)

    def epoch(carry: tuple[Any, Any], _: None) -> tuple[tuple[Any, Any], jax.Array]:
        def step(c: tuple[Any, Any], _: None) -> tuple[tuple[Any, Any], jax.Array]:
            p, s = c
            loss, g = jax.value_and_grad(loss_fn)(p, x, y)
            u, s = tx.update(g, s, p)
            return (lrx.apply_updates(p, u), s), loss

        (p, s), losses = jax.lax.scan(step, carry, None, length=EPOCH)
        s = lrx.observe(s, loss_fn(p, x, y))
        return (p, s), losses

    (params, state), losses = jax.lax.scan(
        epoch, (params, tx.init(params)), None, length=STEPS // EPOCH
    )
    return {
        "loss": losses.reshape(STEPS),
        "params": params,
        "learning_rate": lrx.learning_rate(state),
    }


def sweep_hparams(name: str) -> tuple[bool, list[dict[str, Any]], dict[str, jax.Array]]:
    """``(schedule, configs, batched)``: the sweep's configurations as dicts of Python
    numbers, and the varied values stacked into arrays (leading axis = configuration) for
    ``vmap``; the hyperparameters a sweep does not vary stay Python numbers (:data:`BASE`)."""
    schedule, varied = SWEEPS[name]
    k = len(next(iter(varied.values())))
    configs = [{**BASE, **{n: vs[i] for n, vs in varied.items()}} for i in range(k)]
    batched = {
        n: jnp.asarray([c[n] for c in configs], jnp.int32 if n == "warmup" else jnp.float32)
        for n in varied
    }
    return schedule, configs, batched
