"""Article 002's network: a 784-128-10 multilayer perceptron in Flax nnx.

Article 002 (its set-up and data preparation section) classifies MNIST digits with
"a basic three-layer neural network": 784 inputs, one hidden layer of 128 ReLU units and
10 outputs (softmax, trained with cross-entropy). The demo trains it functionally: the
module is split once into a graph definition and a plain nested dict of parameters
(``{"hidden": {"kernel", "bias"}, "out": {"kernel", "bias"}}``), so that every lrx
transform sees an ordinary pytree and the '/'-joined paths read ``hidden/kernel``.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import nnx

__all__ = ["MLP", "accuracy", "apply", "cross_entropy", "init_params"]


class MLP(nnx.Module):
    """``logits = W2 relu(W1 x + b1) + b2`` with ``W1: 784x128``, ``W2: 128x10``.

    Args:
        din: input features (default 784 = 28x28 pixels).
        hidden: hidden units (default 128, as article 002).
        dout: classes (default 10).
        rngs: ``nnx.Rngs`` for the initialisation (LeCun-normal kernels, zero biases).
    """

    def __init__(self, din: int = 784, hidden: int = 128, dout: int = 10, *, rngs: nnx.Rngs):
        self.hidden = nnx.Linear(din, hidden, rngs=rngs)
        self.out = nnx.Linear(hidden, dout, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.out(nnx.relu(self.hidden(x)))


def init_params(
    seed: int, din: int = 784, hidden: int = 128, dout: int = 10
) -> tuple[nnx.GraphDef[MLP], dict[str, Any]]:
    """Build the MLP from ``seed``; return ``(graphdef, params)``, params a nested dict.

    Example:
        >>> graphdef, params = init_params(0)
        >>> {k: v["kernel"].shape for k, v in params.items()}
        {'hidden': (784, 128), 'out': (128, 10)}
    """
    model = MLP(din, hidden, dout, rngs=nnx.Rngs(seed))
    graphdef, state = nnx.split(model)
    return graphdef, nnx.to_pure_dict(state)


def apply(graphdef: Any, params: Any, x: jax.Array) -> jax.Array:
    """Logits of the model ``graphdef`` with parameters ``params`` on a batch ``x``."""
    logits: jax.Array = nnx.merge(graphdef, params)(x)
    return logits


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean softmax cross-entropy of integer ``labels``."""
    loss: jax.Array = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
    return loss


def accuracy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Fraction of rows whose arg-max equals the label (float32)."""
    hits = jnp.argmax(logits, axis=-1) == labels
    return jnp.mean(hits.astype(jnp.float32))
