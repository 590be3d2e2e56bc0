"""Typed usage of lrx, checked by mypy in CI (`python -m mypy lrx tests/typed_usage.py`).

Hyperparameters are data: Python numbers, NumPy numbers, JAX arrays, tracers and (for the
learning rate and the other hyperparameters of the optimizers) schedules are all part of the
contract, and the type hints must accept them. This file is never run; mypy reads it, so a
hint that narrows back to ``float`` fails CI.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrx

b1 = jnp.asarray(0.9)
lr_array = jnp.asarray(1e-3)

# arrays and NumPy scalars as hyperparameters
tx1: optax.GradientTransformation = lrx.scale_by_adam(b1=b1, b2=np.float32(0.999), eps=1e-8)
tx2 = lrx.adam(lr_array, b1, 0.999)
tx3 = lrx.sgd(np.float64(0.1), momentum=jnp.asarray(0.9))
tx4 = lrx.scale_by_rms(decay=jnp.asarray(0.9), eps=np.float32(1e-8))
tx5 = lrx.scale_by_momentum(jnp.asarray(0.8), False, jnp.float32)
tx6 = lrx.clip_by_global_norm(jnp.asarray(1.0))

# schedules as learning rates, and schedules built from arrays
schedule: lrx.Schedule = lrx.warmup_cosine(jnp.asarray(0.1), 5, 100)
tx7 = lrx.adamw(schedule, weight_decay=jnp.asarray(1e-2))
tx8 = lrx.sgd(lrx.cosine_decay_schedule(0.1, 100))
tx9 = lrx.lars(lrx.linear_schedule(0.0, 0.1, 10), weight_decay=jnp.asarray(1e-4))


# tracers: a factory called inside jit / vmap
@jax.jit
def step(lr: jax.Array, g: jax.Array) -> jax.Array:
    tx = lrx.adam(lr, b1=lr * 0 + 0.9)
    updates, _ = tx.update(g, tx.init(g))
    out: jax.Array = updates
    return out


rates = jax.vmap(lambda peak: lrx.warmup_cosine(peak, 5, 100)(10))(jnp.asarray([0.1, 0.2]))

# learning-rate-free methods and their readouts
free = lrx.prodigy(d_coef=jnp.asarray(0.5))
state = free.init({"w": jnp.zeros(3)})
rate: jax.Array | dict[str, jax.Array] = lrx.learning_rate(state)
