"""Time to trace and compile a full optimizer chain: lrx vs the optax equivalent.

The chain is what a real training script builds: global-norm clipping, Adam, a warm-up +
cosine schedule and plateau reduction fed the loss,

    lrx:   chain(clip_by_global_norm(1), scale_by_adam(), scale_by_learning_rate(warmup_cosine),
                 reduce_on_plateau())
    optax: chain(clip_by_global_norm(1), scale_by_adam(), scale_by_learning_rate(
                 warmup_cosine_decay_schedule), optax.contrib.reduce_on_plateau())

and the function compiled is the donated training-loop step ``(params, grads, state, loss) ->
(params, state)``. For each tree size (10, 100, 1,000 leaves) the two are timed
interleaved, each repetition with a fresh transform and a fresh function so no JAX cache
is hit; "trace" is ``jit(f).trace(...).lower()`` (Python tracing plus lowering to
StableHLO) and "compile" is ``.compile()`` (XLA). The table shows medians.

Run::

    python bench/compile_time.py --out bench/results/compile_time.md
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [_HERE, os.path.dirname(_HERE)]  # bench helpers, then the lrx checkout

import _common as C  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

PEAK, WARMUP, TOTAL = 1e-3, 100, 10_000


def lrx_chain() -> optax.GradientTransformation:
    import lrx

    return lrx.chain(
        lrx.clip_by_global_norm(1.0),
        lrx.scale_by_adam(),
        lrx.scale_by_learning_rate(lrx.warmup_cosine(PEAK, WARMUP, TOTAL)),
        lrx.reduce_on_plateau(factor=0.5, patience=5),
    )


def optax_chain() -> optax.GradientTransformation:
    return optax.chain(
        optax.clip_by_global_norm(1.0),
        optax.scale_by_adam(),
        optax.scale_by_learning_rate(
            optax.warmup_cosine_decay_schedule(0.0, PEAK, WARMUP, TOTAL, 0.0)
        ),
        optax.contrib.reduce_on_plateau(factor=0.5, patience=5),
    )


def tree(n_leaves: int) -> dict[str, jax.Array]:
    """``n_leaves`` leaves of mixed ranks (vectors and matrices), 64..4096 elements each."""
    rng = np.random.default_rng(n_leaves)
    shapes = [(64,), (32, 32), (16, 256), (128,)]
    width = len(str(n_leaves - 1))
    return {
        f"p{i:0{width}d}": jnp.asarray(rng.standard_normal(shapes[i % 4], dtype=np.float32))
        for i in range(n_leaves)
    }


def time_once(make_tx, params) -> tuple[float, float]:
    """(trace+lower seconds, compile seconds) for a fresh transform and step function."""
    tx = make_tx()
    state = tx.init(params)
    loss = jnp.float32(1.0)

    def step(params, grads, state, loss):
        updates, state = tx.update(grads, state, params, value=loss)
        return optax.apply_updates(params, updates), state

    jitted = jax.jit(step, donate_argnums=(0, 2))
    t0 = time.perf_counter()
    lowered = jitted.trace(params, params, state, loss).lower()
    t1 = time.perf_counter()
    lowered.compile()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--leaves", default="10,100,1000", help="comma list of leaf counts")
    p.add_argument("--reps", type=int, default=5, help="interleaved repetitions (median)")
    p.add_argument("--quick", action="store_true", help="10,100 leaves, 2 repetitions")
    p.add_argument("--out", default=None, help="also write the Markdown report to this file")
    args = p.parse_args(argv)
    leaves = [int(x) for x in args.leaves.split(",") if x]
    reps = args.reps
    if args.quick:
        leaves, reps = [n for n in leaves if n <= 100], 2

    contenders = {"lrx": lrx_chain, "optax": optax_chain}
    rows = []
    for n in leaves:
        params = tree(n)
        samples: dict[str, list[tuple[float, float]]] = {k: [] for k in contenders}
        for k, make in contenders.items():  # warm the Python import/trace machinery once
            try:
                time_once(make, tree(2))
            except NotImplementedError:
                samples.pop(k)
        for _ in range(reps):
            for k in samples:
                samples[k].append(time_once(contenders[k], params))
        med = {
            k: (statistics.median(s[0] for s in v), statistics.median(s[1] for s in v))
            for k, v in samples.items()
        }
        nan = (float("nan"), float("nan"))
        lt, lc = med.get("lrx", nan)
        ot, oc = med["optax"]
        rows.append(
            [
                str(n),
                f"{lt:.3f}",
                f"{lc:.3f}",
                f"{lt + lc:.3f}",
                f"{ot:.3f}",
                f"{oc:.3f}",
                f"{ot + oc:.3f}",
                C.fmt_ratio(lt + lc, ot + oc),
            ]
        )
        print(f"  {n} leaves: {med} [load {C.load_average()}]", file=sys.stderr, flush=True)

    command = "python bench/compile_time.py " + " ".join(sys.argv[1:] if argv is None else argv)
    head = [
        "leaves",
        "lrx trace s",
        "lrx compile s",
        "lrx total s",
        "optax trace s",
        "optax compile s",
        "optax total s",
        "lrx/optax",
    ]
    report = "\n".join(
        [
            C.header("lrx compile time", command.strip()),
            "### Trace + compile of clip + adam + schedule + plateau (median seconds)\n",
            C.markdown_table(head, rows).replace("| nan", "| —"),
            "",
            f"load average (1/5/15 min) at end: {C.load_average()}",
            "",
        ]
    )
    print(report)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
