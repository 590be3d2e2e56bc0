"""Article 004 (the hands-on section): per-tower rates, two-tower model.

The article's multimodal recipe in torch::

    optim.SGD([{'params': model.VisionModel.parameters(), 'lr': 1e-2},
               {'params': model.TextModel.parameters(), 'lr': 1e-3}], lr=1e-3, momentum=0.9)

is, in lrx, ``lrx.partition`` with glob patterns over the '/'-joined parameter paths::

    lrx.partition({"vision": lrx.sgd(1e-2, momentum=0.9), "text": lrx.sgd(1e-3, momentum=0.9)},
                  patterns={"vision/**": "vision", "**": "text"})

(the head, like torch's default group, trains at the default 1e-3). The model is a small
Flax nnx two-tower regressor (vision tower on 16 features, text tower on 12, a linear head
on both embeddings) fitted to synthetic data. It also shows

* ``lrx.layerwise_decay`` (article 003 §2.3 / §4.3, layer-wise rates set by one rule):
  the top layer (head) at 1e-2 and each layer below it at 0.5x the one above;
* ``lrx.skip_nonfinite``: one mini-batch is corrupted with a NaN; the guarded optimizer
  skips that update (counted in its state) instead of poisoning the weights;
* ``lrx.learning_rate(opt_state)``: the per-group rates in force, a dict label -> rate.

Prints: the per-group learning rates of each optimizer, the final training loss of each,
and the number of skipped updates. Draws: ``<out>/layerwise_lr_loss.png``.

Run: ``python examples/layerwise_lr.py --out plots`` (``--quick``: fewer steps).
"""

from __future__ import annotations

import argparse
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

import lrx


class Tower(nnx.Module):
    def __init__(self, din: int, hidden: int, dout: int, *, rngs: nnx.Rngs):
        self.layer_0 = nnx.Linear(din, hidden, rngs=rngs)
        self.layer_1 = nnx.Linear(hidden, dout, rngs=rngs)

    def __call__(self, x):
        return self.layer_1(nnx.relu(self.layer_0(x)))


class TwoTower(nnx.Module):
    """Vision and text towers, concatenated embeddings, a linear head."""

    def __init__(self, *, rngs: nnx.Rngs):
        self.vision = Tower(16, 32, 8, rngs=rngs)
        self.text = Tower(12, 32, 8, rngs=rngs)
        self.head = nnx.Linear(16, 1, rngs=rngs)

    def __call__(self, xv, xt):
        return self.head(jnp.concatenate([self.vision(xv), self.text(xt)], axis=-1))[:, 0]


def make_data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    xv = rng.normal(size=(n, 16)).astype(np.float32)
    xt = rng.normal(size=(n, 12)).astype(np.float32)
    a, b = rng.normal(size=16), rng.normal(size=12)
    y = np.sin(xv @ a / 4) + 0.5 * np.tanh(xt @ b / 3) + 0.05 * rng.normal(size=n)
    return xv, xt, y.astype(np.float32)


def train(tx, graphdef, params, batches, nan_step: int | None):
    """One jitted scan over ``batches``; batch ``nan_step`` gets a NaN in its targets."""

    def loss_fn(p, xv, xt, y):
        return jnp.mean((nnx.merge(graphdef, p)(xv, xt) - y) ** 2)

    def step(carry, inp):
        p, s = carry
        i, (xv, xt, y) = inp
        y = jnp.where(i == (-1 if nan_step is None else nan_step), jnp.nan, y)
        loss, g = jax.value_and_grad(loss_fn)(p, xv, xt, y)
        u, s = tx.update(g, s, p)
        return (lrx.apply_updates(p, u), s), loss

    @jax.jit
    def run(p):
        steps = jnp.arange(batches[0].shape[0])
        (p, s), losses = jax.lax.scan(step, (p, tx.init(p)), (steps, batches))
        return p, s, losses

    return run(params)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    parser.add_argument("--quick", action="store_true", help="150 steps instead of 600")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    steps, batch = (150, 32) if args.quick else (600, 32)

    xv, xt, y = make_data(steps * batch, args.seed)
    batches = tuple(a.reshape(steps, batch, *a.shape[1:]) for a in (xv, xt, y))
    graphdef, state = nnx.split(TwoTower(rngs=nnx.Rngs(args.seed)))
    params = nnx.to_pure_dict(state)  # {"vision": {...}, "text": {...}, "head": {...}}

    optimizers = {
        "single lr 1e-3": lrx.sgd(1e-3, momentum=0.9),
        "per tower (article 004)": lrx.partition(
            {"vision": lrx.sgd(1e-2, momentum=0.9), "text": lrx.sgd(1e-3, momentum=0.9)},
            patterns={"vision/**": "vision", "**": "text"},
        ),
        "layerwise_decay 0.5": lrx.layerwise_decay(
            lambda lr: lrx.sgd(lr, momentum=0.9),
            1e-2,
            0.5,
            [
                ["vision/layer_0/**", "text/layer_0/**"],
                ["vision/layer_1/**", "text/layer_1/**"],
                "head/**",
            ],
        ),
    }
    histories = {}
    for name, tx in optimizers.items():
        guarded = lrx.skip_nonfinite(tx)
        _, opt_state, losses = train(guarded, graphdef, params, batches, nan_step=steps // 3)
        rates = lrx.learning_rate(opt_state)
        if isinstance(rates, dict):
            shown = ", ".join(f"{k}={float(v):.3g}" for k, v in sorted(rates.items()))
        else:
            shown = f"{float(rates):.3g}"
        losses = np.asarray(losses)
        histories[name] = np.where(np.isfinite(losses), losses, np.nan)
        tail = float(np.nanmean(losses[-steps // 10 :]))
        skipped = int(opt_state.num_skipped)
        print(f"{name:>24}: rates {shown}; final loss {tail:.4f}; skipped updates {skipped}")

    fig = lrx.plot.curves(histories, xlabel="step", log_scale=True)
    fig.axes[0].set_title("two-tower regression: training loss (batch NaN skipped)")
    out = os.path.join(args.out, "layerwise_lr_loss.png")
    fig.savefig(out, dpi=90)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
