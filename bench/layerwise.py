"""Step and compile time of lrx's LARS, LAMB and Adafactor against optax's.

The tree is a small transformer-like stack: ``--layers`` blocks of a 512 x 512 matrix, a
512 x 2048 and a 2048 x 512 matrix and two 512 vectors (so Adafactor factors every
matrix). For each optimizer, lrx's and optax's are timed interleaved (``interleaved`` in
bench/_common.py: A B A B ..., median of rounds) on the donated training step
``(params, grads, state) -> (params, state)``; compile time is ``jit(f).trace().lower()``
plus ``.compile()`` with a fresh transform each repetition (no cache hit), interleaved too,
median of ``--reps``. optax runs under standard dtype promotion, lrx under strict.

Run::

    python bench/layerwise.py --out bench/results/layerwise.md
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _common import Contender, header, interleaved, jax_step

import lrx

PAIRS: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
    "lars": (lambda: lrx.lars(0.1, weight_decay=1e-4), lambda: optax.lars(0.1, weight_decay=1e-4)),
    "lamb": (
        lambda: lrx.lamb(1e-3, weight_decay=1e-2),
        lambda: optax.lamb(1e-3, weight_decay=1e-2),
    ),
    "adafactor": (lambda: lrx.adafactor(1e-2), lambda: optax.adafactor(1e-2)),
}


def tree(layers: int, seed: int, scale: float = 1.0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    shapes = {"attn": (512, 512), "up": (512, 2048), "down": (2048, 512), "g": (512,), "b": (512,)}
    return {
        f"block{i}": {
            k: jnp.asarray(scale * rng.standard_normal(s, dtype=np.float32))
            for k, s in shapes.items()
        }
        for i in range(layers)
    }


def contender(name: str, make_tx: Callable[[], Any], layers: int, standard: bool) -> Contender:
    def setup() -> Callable[[int], None]:
        tx = make_tx()
        box = {"params": tree(layers, 0), "grads": tree(layers, 1, 1e-2)}
        box["state"] = tx.init(box["params"])
        step = jax_step(tx)

        def run(k: int) -> None:
            p, s, g = box["params"], box["state"], box["grads"]
            with jax.numpy_dtype_promotion("standard" if standard else "strict"):
                for _ in range(k):
                    p, s = step(p, g, s)
            jax.block_until_ready((p, s))
            box["params"], box["state"] = p, s

        return run

    return Contender(name, setup)


def compile_seconds(make_tx: Callable[[], Any], layers: int, standard: bool) -> float:
    tx = make_tx()
    params, grads = tree(layers, 0), tree(layers, 1, 1e-2)
    state = tx.init(params)

    def step(params: Any, grads: Any, state: Any) -> Any:
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    with jax.numpy_dtype_promotion("standard" if standard else "strict"):
        t0 = time.perf_counter()
        jax.jit(step, donate_argnums=(0, 2)).trace(params, grads, state).lower().compile()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", type=pathlib.Path)
    args = ap.parse_args()
    jax.config.update("jax_numpy_dtype_promotion", "strict")

    rows = []
    for name, (ours, theirs) in PAIRS.items():
        step = interleaved(
            [
                contender(f"lrx.{name}", ours, args.layers, False),
                contender(f"optax.{name}", theirs, args.layers, True),
            ],
            rounds=args.rounds,
            steps=args.steps,
        )
        comp: dict[str, list[float]] = {"lrx": [], "optax": []}
        for _ in range(args.reps):
            comp["lrx"].append(compile_seconds(ours, args.layers, False))
            comp["optax"].append(compile_seconds(theirs, args.layers, True))
        c_l, c_o = statistics.median(comp["lrx"]), statistics.median(comp["optax"])
        s_l, s_o = step[f"lrx.{name}"], step[f"optax.{name}"]
        rows.append(
            f"| {name} | {s_l * 1e3:.2f} | {s_o * 1e3:.2f} | {s_l / s_o:.2f} "
            f"| {c_l * 1e3:.0f} | {c_o * 1e3:.0f} | {c_l / c_o:.2f} |"
        )
        print(rows[-1], flush=True)

    n_params = sum(x.size for x in jax.tree.leaves(tree(args.layers, 0)))
    command = "python bench/layerwise.py " + " ".join(sys.argv[1:])
    text = "\n".join(
        [
            header("LARS, LAMB, Adafactor: lrx vs optax", command),
            f"Tree: {args.layers} blocks of 512x512, 512x2048, 2048x512 matrices and two "
            f"512 vectors ({n_params:,} float32 parameters, {5 * args.layers} leaves). "
            f"Step: median over {args.rounds} interleaved rounds of {args.steps} steps; "
            f"compile: trace + lower + compile, median of {args.reps} interleaved reps.",
            "",
            "| optimizer | lrx step (ms) | optax step (ms) | ratio | lrx compile (ms) "
            "| optax compile (ms) | ratio |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
