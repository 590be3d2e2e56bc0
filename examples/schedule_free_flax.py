"""Schedule-Free AdamW in Flax NNX: train with y, evaluate and checkpoint with x.

Schedule-Free's optimizer moves the training iterate ``y`` (the model's params while
training); the point to evaluate, export and checkpoint is the average ``x``, which
``lrx.schedule_free_eval_params(opt_state, params)`` computes (torch users call
``optimizer.eval()``). No learning-rate schedule is chosen: the default
``lrx.schedule_free_adamw()`` with a short warm-up.

Run: ``python examples/schedule_free_flax.py`` (a few seconds on a CPU).
"""

from __future__ import annotations

import argparse
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

import lrx


class MLP(nnx.Module):
    """A 2-layer tanh network."""

    def __init__(self, width: int, rngs: nnx.Rngs) -> None:
        self.hidden = nnx.Linear(2, width, rngs=rngs)
        self.out = nnx.Linear(width, 1, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.out(jnp.tanh(self.hidden(x)))


def loss_fn(model: MLP, x: jax.Array, y: jax.Array) -> jax.Array:
    return jnp.mean((model(x) - y) ** 2)


@nnx.jit
def train_step(model: MLP, optimizer: nnx.Optimizer, x: jax.Array, y: jax.Array) -> jax.Array:
    loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)  # gradient at y (the params)
    optimizer.update(model, grads)
    return loss


def eval_model(model: MLP, optimizer: nnx.Optimizer) -> MLP:
    """A copy of ``model`` holding the evaluation iterate ``x`` (the model keeps ``y``).

    With batch norm, recompute the running statistics at ``x`` (a few forward passes in
    training mode on the copy) before evaluating: the statistics were gathered at ``y``.
    """
    x_params = lrx.schedule_free_eval_params(optimizer.opt_state, nnx.state(model, nnx.Param))
    evaluated = nnx.clone(model)
    nnx.update(evaluated, x_params)
    return evaluated


def main(steps: int = 300, width: int = 32, seed: int = 0) -> dict[str, Any]:
    """Fit ``sin`` on a grid; return the training loss at ``y`` and the loss at ``x``."""
    rng = np.random.default_rng(seed)
    x = jnp.asarray(rng.uniform(-2, 2, size=(128, 2)), jnp.float32)
    y = jnp.sin(x[:, :1] * 2) * jnp.cos(x[:, 1:])
    model = MLP(width, nnx.Rngs(seed))
    tx = lrx.schedule_free_adamw(learning_rate=0.0025 * 4, warmup_steps=20)
    optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
    first = float(loss_fn(model, x, y))
    for _ in range(steps):
        train_loss = train_step(model, optimizer, x, y)
    evaluated = eval_model(model, optimizer)
    out = {
        "initial_loss": first,
        "train_loss_at_y": float(loss_fn(model, x, y)),
        "eval_loss_at_x": float(loss_fn(evaluated, x, y)),
        "last_step_loss": float(train_loss),
        "learning_rate": float(lrx.learning_rate(optimizer.opt_state)),
    }
    # A checkpoint holds x (what to serve) plus the optimizer state (to resume training at y).
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    for k, v in main(steps=args.steps).items():
        print(f"{k:>16}: {v:.6g}")
