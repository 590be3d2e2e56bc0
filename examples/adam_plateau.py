"""Article 000 (the section on combining Adam with other methods): Adam + Reduce on Plateau.

Article 000 ends with a recommendation: combine an adaptive optimizer with a schedule,
e.g. Adam plus "Reduce on Plateau", which lowers the global learning rate when the
validation metric stops improving, so the late-training oscillation of the adaptive step
(article 000, section 2) is damped. In lrx that is one line::

    tx = lrx.chain(lrx.adam(LR), lrx.reduce_on_plateau(factor=0.5, patience=5))

This example fits a small MLP to noisy samples of ``y = sin(3x)`` with mini-batch Adam,
with and without plateau reduction, from the same initialisation and batches. Each epoch
is one jitted ``lax.scan`` over the batches (params and state donated); after it, the
validation loss is fed to the plateau state with ``lrx.observe(opt_state, val_loss)``
(torch's ``scheduler.step(val_loss)``), and ``lrx.learning_rate(opt_state)`` reads the
rate in force.

Prints: per run, the epochs where the learning rate dropped, the final and minimum
validation loss. Draws: ``<out>/adam_plateau.png`` (validation loss and learning rate per
epoch, ``lrx.plot.curves``).

Run: ``python examples/adam_plateau.py --out plots`` (``--quick``: 30 epochs).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np

import lrx

BATCH, N_TRAIN, N_VAL, HIDDEN, LR = 32, 512, 256, 32, 2e-2


def make_data(seed: int):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, size=(N_TRAIN + N_VAL, 1)).astype(np.float32)
    y = (np.sin(3 * x) + 0.2 * rng.normal(size=x.shape)).astype(np.float32)
    return (jnp.asarray(x[:N_TRAIN]), jnp.asarray(y[:N_TRAIN])), (
        jnp.asarray(x[N_TRAIN:]),
        jnp.asarray(y[N_TRAIN:]),
    )


def init_params(seed: int):
    k1, k2 = jax.random.split(jax.random.key(seed))
    return {
        "hidden": {"w": jax.random.normal(k1, (1, HIDDEN)), "b": jnp.zeros((1, HIDDEN))},
        "out": {"w": jax.random.normal(k2, (HIDDEN, 1)) / np.sqrt(HIDDEN), "b": jnp.zeros((1, 1))},
    }


def mse(params, x, y):
    h = jnp.tanh(x @ params["hidden"]["w"] + params["hidden"]["b"])
    return jnp.mean((h @ params["out"]["w"] + params["out"]["b"] - y) ** 2)


@functools.partial(jax.jit, static_argnums=(0, 1), donate_argnums=(2, 3))
def epoch(tx, plateau, params, opt_state, key, train, val):
    """One epoch of mini-batch updates (``lax.scan``), then observe the validation loss."""
    x, y = train
    order = jax.random.permutation(key, x.shape[0]).reshape(-1, BATCH)

    def step(carry, idx):
        params, opt_state = carry
        loss, grads = jax.value_and_grad(mse)(params, x[idx], y[idx])
        updates, opt_state = tx.update(grads, opt_state, params)
        return (lrx.apply_updates(params, updates), opt_state), loss

    (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), order)
    val_loss = mse(params, *val)
    if plateau:  # static: observe raises on a state without a reduce_on_plateau part
        opt_state = lrx.observe(opt_state, val_loss)
    return params, opt_state, jnp.mean(losses), val_loss, lrx.learning_rate(opt_state)


def train(tx, plateau: bool, epochs: int, seed: int):
    train_set, val_set = make_data(seed)
    params = init_params(seed)
    opt_state = tx.init(params)
    history = {"validation loss": [], "learning rate": []}
    for e in range(epochs):
        key = jax.random.fold_in(jax.random.key(seed), e)
        params, opt_state, _, val_loss, lr = epoch(
            tx, plateau, params, opt_state, key, train_set, val_set
        )
        history["validation loss"].append(float(val_loss))
        history["learning rate"].append(float(lr))
    return history


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    parser.add_argument("--quick", action="store_true", help="30 epochs")
    parser.add_argument("--epochs", type=int, default=None, help="default 60 (30 with --quick)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    epochs = args.epochs or (30 if args.quick else 60)

    runs = {
        "Adam": lrx.adam(LR),
        "Adam + plateau": lrx.chain(lrx.adam(LR), lrx.reduce_on_plateau(factor=0.5, patience=5)),
    }
    histories = {}
    for name, tx in runs.items():
        h = train(tx, name.endswith("plateau"), epochs, args.seed)
        histories[name] = h
        lrs = np.asarray(h["learning rate"])
        drops = [e + 1 for e in range(1, epochs) if lrs[e] < lrs[e - 1]]
        vl = np.asarray(h["validation loss"])
        print(
            f"{name:>20}: final val loss {vl[-1]:.4f}, min {vl.min():.4f} "
            f"(epoch {vl.argmin() + 1}), final lr {lrs[-1]:.2e}, lr dropped after epochs {drops}"
        )
    fig = lrx.plot.curves(histories)
    for ax in fig.axes:
        ax.set_yscale("log")
    path = os.path.join(args.out, "adam_plateau.png")
    fig.savefig(path, dpi=90)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
