"""Learning-rate sweeps in one program: ``jax.jit(jax.vmap(train))(learning_rates)``.

Every numeric hyperparameter of an lrx factory may be a traced array, so a whole training
run written as a function of its learning rate, ``train(lr) -> per-epoch metrics``, can be
vectorised with ``jax.vmap`` over K learning rates and compiled once: the K runs share the
data, the initial parameters and the batch order, and train side by side in one XLA program
(their parameters gain a leading axis of size K). ``python -m lrx.demo --sweep`` uses it
to draw the learning-rate sensitivity of SGD, AdaGrad, RMSprop and Adam (article 000's
optimizers) on article 002's MNIST MLP: 16 log-spaced learning rates per optimizer, one
compiled program per optimizer.

:func:`make_train` is also what ``bench/sweep.py`` times.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrx
from lrx.demo.data import Dataset
from lrx.demo.model import accuracy, apply, cross_entropy, init_params

__all__ = [
    "LEARNING_RATES",
    "SWEEP_OPTIMIZERS",
    "SweepResult",
    "make_train",
    "run_sweep",
    "select_optimizers",
]

# 16 log-spaced learning rates from 1e-4 to 1 (ratio 10^(4/15) = 1.85 between neighbours).
LEARNING_RATES: tuple[float, ...] = tuple(float(v) for v in np.logspace(-4, 0, 16))

HISTORY = ("train_loss", "val_loss", "val_accuracy")


@dataclass(frozen=True)
class SweepOptimizer:
    """An optimizer of the sweep: ``make(learning_rate)`` with every other argument at its
    default (keyword arguments only)."""

    name: str
    label: str
    make: Callable[[Any], optax.GradientTransformation]


SWEEP_OPTIMIZERS: tuple[SweepOptimizer, ...] = (
    SweepOptimizer("sgd", "SGD", lambda lr: lrx.sgd(learning_rate=lr)),
    SweepOptimizer("adagrad", "AdaGrad", lambda lr: lrx.adagrad(learning_rate=lr)),
    SweepOptimizer("rmsprop", "RMSprop", lambda lr: lrx.rmsprop(learning_rate=lr)),
    SweepOptimizer("adam", "Adam", lambda lr: lrx.adam(learning_rate=lr)),
)


def select_optimizers(names: str | None) -> tuple[SweepOptimizer, ...]:
    """The sweep optimizers named in a comma-separated list (all when empty or None).

    Raises:
        ValueError: an unknown name (the message lists the known ones).
    """
    if not names:
        return SWEEP_OPTIMIZERS
    by_name = {o.name: o for o in SWEEP_OPTIMIZERS}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise ValueError(
            f"unknown optimizer(s) {', '.join(unknown)} for --sweep; "
            f"choose from {', '.join(by_name)}"
        )
    return tuple(by_name[n] for n in wanted)


def make_train(
    graphdef: Any,
    make_tx: Callable[[Any], optax.GradientTransformation],
    *,
    epochs: int,
    batch_size: int,
    steps_per_epoch: int,
) -> Callable[..., dict[str, jax.Array]]:
    """``train(hparam, params, key, x_train, y_train, x_val, y_val) -> history``.

    A whole run as one function: ``epochs`` epochs (``lax.scan``) of ``steps_per_epoch``
    updates (an inner ``lax.scan``) with ``make_tx(hparam)``, the training set shuffled by
    ``jax.random.permutation(fold_in(key, epoch))`` as in :mod:`lrx.demo.train`, and the
    validation set evaluated after every epoch. ``history`` maps ``train_loss`` (the epoch's
    mean), ``val_loss`` and ``val_accuracy`` to float32 arrays of shape ``(epochs,)``.

    ``hparam`` may be a Python number (one program per value), a scalar array argument of
    ``jit`` (one program for every value) or batched with ``jax.vmap(train, in_axes=(0,) +
    (None,) * 6)`` (one program for the whole sweep, every run with the same data and batch
    order).
    """

    def loss_fn(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return cross_entropy(apply(graphdef, params, x), y)

    def train(
        hparam: Any,
        params: Any,
        key: jax.Array,
        x_train: jax.Array,
        y_train: jax.Array,
        x_val: jax.Array,
        y_val: jax.Array,
    ) -> dict[str, jax.Array]:
        tx = make_tx(hparam)

        def step(carry: tuple[Any, Any], idx: jax.Array) -> tuple[tuple[Any, Any], jax.Array]:
            p, s = carry
            loss, grads = jax.value_and_grad(loss_fn)(p, x_train[idx], y_train[idx])
            updates, s = tx.update(grads, s, p)
            return (lrx.apply_updates(p, updates), s), loss

        def epoch(
            carry: tuple[Any, Any], e: jax.Array
        ) -> tuple[tuple[Any, Any], dict[str, jax.Array]]:
            perm = jax.random.permutation(jax.random.fold_in(key, e), x_train.shape[0])
            batches = perm[: steps_per_epoch * batch_size].reshape(steps_per_epoch, batch_size)
            carry, losses = jax.lax.scan(step, carry, batches)
            logits = apply(graphdef, carry[0], x_val)
            return carry, {
                "train_loss": jnp.mean(losses),
                "val_loss": cross_entropy(logits, y_val),
                "val_accuracy": accuracy(logits, y_val),
            }

        _, history = jax.lax.scan(epoch, (params, tx.init(params)), jnp.arange(epochs))
        return history

    return train


@dataclass
class SweepResult:
    """One optimizer over the sweep's learning rates.

    Attributes:
        name, label: from :data:`SWEEP_OPTIMIZERS`.
        learning_rates: the K learning rates.
        history: metric -> NumPy array ``(K, epochs)`` (:data:`HISTORY`).
        compile_s: seconds to trace and compile the vmapped program.
        run_s: seconds to run it (all K runs together).
    """

    name: str
    label: str
    learning_rates: np.ndarray
    history: dict[str, np.ndarray] = field(default_factory=dict)
    compile_s: float = 0.0
    run_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Per learning rate: final and minimum validation loss (and its 1-based epoch),
        final and best validation accuracy; and the learning rate of the lowest minimum
        validation loss. A diverged run's losses are NaN."""
        loss = self.history["val_loss"].astype(np.float64)
        acc = self.history["val_accuracy"].astype(np.float64)
        finite = np.where(np.isfinite(loss), loss, np.inf)
        i_min = np.argmin(finite, axis=1)
        min_loss = finite[np.arange(len(loss)), i_min]
        min_loss = np.where(np.isfinite(min_loss), min_loss, np.nan)
        best = int(np.nanargmin(np.where(np.isfinite(min_loss), min_loss, np.inf)))
        return {
            "learning_rates": self.learning_rates.tolist(),
            "final_val_loss": loss[:, -1].tolist(),
            "min_val_loss": min_loss.tolist(),
            "min_val_loss_epoch": (i_min + 1).tolist(),
            "final_val_accuracy": acc[:, -1].tolist(),
            "best_val_accuracy": np.nanmax(np.nan_to_num(acc, nan=-1.0), axis=1).tolist(),
            "best_learning_rate": float(self.learning_rates[best]),
            "best_min_val_loss": float(min_loss[best]),
            "compile_s": self.compile_s,
            "run_s": self.run_s,
        }


def run_sweep(
    optimizers: Sequence[SweepOptimizer],
    data: Dataset,
    *,
    epochs: int,
    batch_size: int = 64,
    seed: int = 0,
    learning_rates: Sequence[float] = LEARNING_RATES,
    progress: bool = True,
) -> list[SweepResult]:
    """Each optimizer over ``learning_rates`` in ONE ``jax.jit(jax.vmap(train))`` program.

    Every run starts from ``init_params(seed)`` and sees the same batches in the same order
    (key ``jax.random.key(seed)``), so within an optimizer the learning rate is the only
    difference. Progress lines go to stdout when ``progress`` is true.
    """
    n_train = len(data.x_train)
    if not 1 <= batch_size <= n_train:
        raise ValueError(f"batch_size must be in [1, {n_train}], got {batch_size}")
    if epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs}")
    steps_per_epoch = n_train // batch_size
    graphdef, params = init_params(seed)
    arrays = [jnp.asarray(a) for a in (data.x_train, data.y_train, data.x_val, data.y_val)]
    key = jax.random.key(seed)
    lrs = jnp.asarray(learning_rates, jnp.float32)
    results = []
    for opt in optimizers:
        train = make_train(
            graphdef,
            opt.make,
            epochs=epochs,
            batch_size=batch_size,
            steps_per_epoch=steps_per_epoch,
        )
        sweep = jax.jit(jax.vmap(train, in_axes=(0, None, None, None, None, None, None)))
        start = time.perf_counter()
        compiled = sweep.lower(lrs, params, key, *arrays).compile()
        compiled_at = time.perf_counter()
        history = jax.device_get(compiled(lrs, params, key, *arrays))
        done = time.perf_counter()
        result = SweepResult(
            opt.name,
            opt.label,
            np.asarray(lrs, np.float64),
            {k: np.asarray(history[k]) for k in HISTORY},
            compile_s=compiled_at - start,
            run_s=done - compiled_at,
        )
        results.append(result)
        if progress:
            s = result.summary()
            print(
                f"{opt.name:>8}: {len(lrs)} learning rates x {epochs} epochs in one program: "
                f"compile {result.compile_s:.1f} s, run {result.run_s:.1f} s; "
                f"best lr {s['best_learning_rate']:.3g} "
                f"(min val loss {s['best_min_val_loss']:.4f})",
                flush=True,
            )
    return results
