"""The demo's training loop: one jitted call per epoch, ``lax.scan`` over its batches.

Per epoch, inside a single ``jax.jit`` (params and optimizer state donated):

1. shuffle the training set with ``jax.random.permutation(fold_in(key, epoch))`` and cut it
   into ``steps_per_epoch`` batches of ``batch_size`` (the remainder is dropped; a
   different remainder each epoch);
2. ``lax.scan`` over the batches: gradient of the mean cross-entropy, ``tx.update``,
   ``lrx.apply_updates``, and the rate that update applied, ``lrx.learning_rate(opt_state)``
   (for the learning-rate-free runs, the rate the method picked);
3. read the learning rate in force with ``lrx.learning_rate(opt_state)``;
4. evaluate on the validation set (Schedule-Free runs: at the evaluation iterate
   ``x = lrx.schedule_free_eval_params(opt_state, params)``, training goes on from ``y``)
   and, for plateau runs, ``lrx.observe(opt_state, val_loss)`` (torch's
   ``scheduler.step(val_loss)`` between epochs).

The same seed gives the same initial parameters and the same batch order for every run,
so the runs differ only in their optimizer. Results are deterministic for a given seed.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrx
from lrx.demo.data import Dataset
from lrx.demo.model import accuracy, apply, cross_entropy, init_params
from lrx.demo.runs import RunSpec

__all__ = ["RunResult", "make_epoch_fn", "run_one", "train_all"]

METRICS = ("train_loss", "val_loss", "val_accuracy", "learning_rate")


@dataclass
class RunResult:
    """History and summary of one run.

    Attributes:
        name, label: from the :class:`~lrx.demo.runs.RunSpec`.
        history: per-epoch lists ``train_loss`` (mean over the epoch's batches),
            ``val_loss``, ``val_accuracy`` and ``learning_rate`` (the global rate used by
            the epoch's last update, plateau scale included).
        step_learning_rate: the rate every update applied (``lrx.learning_rate`` after
            each update), ``epochs * steps_per_epoch`` values.
        wall_s: wall-clock seconds of the run, compilation included.
    """

    name: str
    label: str
    history: dict[str, list[float]] = field(default_factory=dict)
    wall_s: float = 0.0
    step_learning_rate: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Final and best validation accuracy, minimum validation loss and its epoch (1-based)."""
        acc = np.asarray(self.history["val_accuracy"], np.float64)
        loss = np.asarray(self.history["val_loss"], np.float64)
        finite = np.where(np.isfinite(loss), loss, np.inf)
        i_loss = int(np.argmin(finite))
        i_acc = int(np.argmax(np.nan_to_num(acc, nan=-1.0)))
        return {
            "final_val_accuracy": float(acc[-1]),
            "best_val_accuracy": float(acc[i_acc]),
            "best_val_accuracy_epoch": i_acc + 1,
            "final_val_loss": float(loss[-1]),
            "min_val_loss": float(loss[i_loss]),
            "min_val_loss_epoch": i_loss + 1,
            "final_train_loss": float(self.history["train_loss"][-1]),
            "wall_s": float(self.wall_s),
        }


def make_epoch_fn(
    graphdef: Any,
    tx: optax.GradientTransformation,
    *,
    batch_size: int,
    steps_per_epoch: int,
    plateau: bool,
    eval_params: Callable[[Any, Any], Any] | None = None,
) -> Callable[..., tuple[Any, Any, dict[str, jax.Array]]]:
    """A jitted ``epoch(params, opt_state, key, x_train, y_train, x_val, y_val)``.

    Returns ``(params, opt_state, metrics)`` with ``metrics`` a dict of float32 scalars
    (:data:`METRICS`) plus ``step_learning_rate``, the float32 rate of each of the epoch's
    updates. ``params`` and ``opt_state`` are donated. ``eval_params(opt_state, params)``,
    when given, are the params the validation metrics use.
    """

    def loss_fn(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return cross_entropy(apply(graphdef, params, x), y)

    Carry = tuple[Any, Any, jax.Array, jax.Array]  # params, opt_state, x_train, y_train

    def step(carry: Carry, idx: jax.Array) -> tuple[Carry, tuple[jax.Array, jax.Array]]:
        params, opt_state, x_train, y_train = carry
        loss, grads = jax.value_and_grad(loss_fn)(params, x_train[idx], y_train[idx])
        updates, opt_state = tx.update(grads, opt_state, params)
        params = lrx.apply_updates(params, updates)
        lr = jnp.asarray(lrx.learning_rate(opt_state), jnp.float32)
        return (params, opt_state, x_train, y_train), (loss, lr)

    def epoch(
        params: Any,
        opt_state: Any,
        key: jax.Array,
        x_train: jax.Array,
        y_train: jax.Array,
        x_val: jax.Array,
        y_val: jax.Array,
    ) -> tuple[Any, Any, dict[str, jax.Array]]:
        n = x_train.shape[0]
        perm = jax.random.permutation(key, n)[: steps_per_epoch * batch_size]
        batches = perm.reshape(steps_per_epoch, batch_size)
        (params, opt_state, _, _), (losses, step_lrs) = jax.lax.scan(
            step, (params, opt_state, x_train, y_train), batches
        )
        lr = jnp.asarray(lrx.learning_rate(opt_state), jnp.float32)
        evaluated = params if eval_params is None else eval_params(opt_state, params)
        logits = apply(graphdef, evaluated, x_val)
        val_loss = cross_entropy(logits, y_val)
        if plateau:
            opt_state = lrx.observe(opt_state, val_loss)
        metrics = {
            "train_loss": jnp.mean(losses),
            "val_loss": val_loss,
            "val_accuracy": accuracy(logits, y_val),
            "learning_rate": lr,
            "step_learning_rate": step_lrs,
        }
        return params, opt_state, metrics

    return jax.jit(epoch, donate_argnums=(0, 1))


def run_one(
    spec: RunSpec,
    data: Dataset,
    *,
    epochs: int,
    batch_size: int = 64,
    seed: int = 0,
    progress: bool = True,
) -> RunResult:
    """Train the MLP with ``spec``'s optimizer for ``epochs`` epochs.

    Args:
        spec: the configuration.
        data: training and validation arrays.
        epochs: number of epochs (>= 1).
        batch_size: examples per update (<= the number of training examples).
        seed: initialisation and shuffling seed (same seed: same start, same batches).
        progress: show a tqdm progress bar (on stderr).
    """
    n_train = len(data.x_train)
    if not 1 <= batch_size <= n_train:
        raise ValueError(f"batch_size must be in [1, {n_train}], got {batch_size}")
    if epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs}")
    steps_per_epoch = n_train // batch_size
    graphdef, params = init_params(seed)
    tx = spec.make(epochs, steps_per_epoch)
    epoch_fn = make_epoch_fn(
        graphdef,
        tx,
        batch_size=batch_size,
        steps_per_epoch=steps_per_epoch,
        plateau=spec.plateau,
        eval_params=spec.eval_params,
    )
    arrays = [jnp.asarray(a) for a in (data.x_train, data.y_train, data.x_val, data.y_val)]
    key = jax.random.key(seed)
    result = RunResult(spec.name, spec.label, {m: [] for m in METRICS})

    from tqdm.auto import tqdm

    start = time.perf_counter()
    # A state may hold the initial params themselves (x0 of DoG, z of Schedule-Free): copy
    # it, since the epoch donates params and state and a buffer cannot be donated twice.
    opt_state = jax.tree.map(jnp.copy, tx.init(params))
    bar = tqdm(range(epochs), desc=f"{spec.name:>12}", disable=not progress, leave=True)
    with warnings.catch_warnings():
        # On backends that cannot reuse donated buffers (some CPU builds) jax warns once
        # per compilation; donation is still correct, so keep the demo's output clean.
        warnings.filterwarnings("ignore", "Some donated buffers were not usable")
        for e in bar:
            params, opt_state, metrics = epoch_fn(
                params, opt_state, jax.random.fold_in(key, e), *arrays
            )
            fetched = jax.device_get(metrics)
            result.step_learning_rate.extend(
                float(v) for v in np.asarray(fetched.pop("step_learning_rate"))
            )
            host = {k: float(v) for k, v in fetched.items()}
            for k in METRICS:
                result.history[k].append(host[k])
            bar.set_postfix(
                loss=f"{host['val_loss']:.4f}",
                acc=f"{host['val_accuracy']:.4f}",
                lr=f"{host['learning_rate']:.3g}",
            )
    bar.close()
    result.wall_s = time.perf_counter() - start
    return result


def train_all(
    specs: Iterable[RunSpec],
    data: Dataset,
    *,
    epochs: int,
    batch_size: int = 64,
    seed: int = 0,
    progress: bool = True,
) -> list[RunResult]:
    """:func:`run_one` for every spec, in order, from the same initialisation."""
    return [
        run_one(s, data, epochs=epochs, batch_size=batch_size, seed=seed, progress=progress)
        for s in specs
    ]
