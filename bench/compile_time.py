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

A second table (``--scaling``) times the same donated step for every public transform and
optimizer on its own, at 10 to 5,000 leaves, and flags any whose compile time grows faster
than the leaf count (growth exponent ``log(t2/t1) / log(n2/n1)`` above 1.3 between the two
largest sizes, which on a quiet machine separates linear from quadratic growth).

A third table (``--guard``) times ``skip_nonfinite(adam)`` against the unguarded ``adam``
interleaved (and optax's ``apply_if_finite(adam)`` against ``optax.adam``), at 10 to 5,000
leaves: the guard's compile time as a multiple of the optimizer's, median of repetitions,
with the ratio of each interleaved pair so the load's share of the spread shows. The tree
repeats four shapes, as a model repeats its layers' (XLA compiles identical kernels once);
``--distinct-shapes`` gives every leaf its own shape, the worst case.

Run::

    python bench/compile_time.py --out bench/results/compile_time.md
    python bench/compile_time.py --guard --reps 3 --out bench/results/compile_guard.md
    python bench/compile_time.py --scaling --out bench/results/compile_scaling.md
    python bench/compile_time.py --scaling --quick   # 10 and 100 leaves, a few seconds
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

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


def distinct_tree(n_leaves: int) -> dict[str, jax.Array]:
    """``n_leaves`` leaves of as many shapes: vectors ``(64 + i,)`` and matrices ``(16 + i, 8)``.

    The worst case for XLA's reuse of identical kernels (``tree`` repeats four shapes, as a
    deep model repeats its layers').
    """
    rng = np.random.default_rng(n_leaves)
    width = len(str(n_leaves - 1))
    return {
        f"p{i:0{width}d}": jnp.asarray(
            rng.standard_normal((16 + i, 8) if i % 2 else (64 + i,), dtype=np.float32)
        )
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


def scaling_cases() -> dict[str, Callable[[], optax.GradientTransformation]]:
    """Every public transform and optimizer, with the arguments a training script uses."""
    import lrx

    def halves(params: Any) -> Any:
        names = sorted(params)
        return {k: "a" if i % 2 == 0 else "b" for i, k in enumerate(names)}

    return {
        "scale_by_momentum": lambda: lrx.scale_by_momentum(0.9),
        "scale_by_adagrad": lambda: lrx.scale_by_adagrad(),
        "scale_by_rms": lambda: lrx.scale_by_rms(),
        "scale_by_adam": lambda: lrx.scale_by_adam(),
        "scale_by_learning_rate": lambda: lrx.scale_by_learning_rate(
            lrx.warmup_cosine(PEAK, WARMUP, TOTAL)
        ),
        "scale_by_schedule": lambda: lrx.scale_by_schedule(lrx.constant(0.5)),
        "add_decayed_weights": lambda: lrx.add_decayed_weights(1e-4),
        "clip_by_global_norm": lambda: lrx.clip_by_global_norm(1.0),
        "reduce_on_plateau": lambda: lrx.reduce_on_plateau(),
        "sgd": lambda: lrx.sgd(PEAK, momentum=0.9),
        "adagrad": lambda: lrx.adagrad(PEAK),
        "rmsprop": lambda: lrx.rmsprop(PEAK),
        "adam": lambda: lrx.adam(PEAK),
        "adamw": lambda: lrx.adamw(PEAK),
        "partition(adam, sgd)": lambda: lrx.partition(
            {"a": lrx.adam(PEAK), "b": lrx.sgd(PEAK)}, halves
        ),
        "layerwise_decay(adam)": lambda: lrx.layerwise_decay(
            lrx.adam, PEAK, 0.8, ["p0*", "p1*", "p2*"]
        ),
        "skip_nonfinite(adam)": lambda: lrx.skip_nonfinite(lrx.adam(PEAK)),
        "optax.adam (reference)": lambda: optax.adam(PEAK),
        "optax.clip_by_global_norm (reference)": lambda: optax.clip_by_global_norm(1.0),
        "optax.apply_if_finite(adam) (reference)": lambda: optax.apply_if_finite(
            optax.adam(PEAK), 10
        ),
    }


def guard(leaves: list[int], reps: int, only: str | None, distinct: bool) -> str:
    """skip_nonfinite(adam) / adam and optax.apply_if_finite(adam) / optax.adam, interleaved."""
    import lrx

    pairs = {
        "lrx": (lambda: lrx.adam(PEAK), lambda: lrx.skip_nonfinite(lrx.adam(PEAK))),
        "optax": (lambda: optax.adam(PEAK), lambda: optax.apply_if_finite(optax.adam(PEAK), 10)),
    }
    if only:
        pairs = {k: v for k, v in pairs.items() if k in only.split(",")}
    make_tree = distinct_tree if distinct else tree

    def extra(factory: Callable[[], optax.GradientTransformation]) -> Callable[[], Any]:
        return lambda: optax.with_extra_args_support(factory())  # the step passes value=loss

    rows = []
    with jax.numpy_dtype_promotion("standard"):  # optax's adam mixes int and float
        for _plain, guarded in pairs.values():
            time_once(extra(guarded), tree(2))  # warm the Python trace machinery once
        for n in leaves:
            params = make_tree(n)
            t: dict[tuple[str, int], list[float]] = {}
            for _ in range(reps):
                for lib, makers in pairs.items():
                    for j, factory in enumerate(makers):
                        t.setdefault((lib, j), []).append(sum(time_once(extra(factory), params)))
            row = [str(n)]
            for lib in pairs:
                a, g = statistics.median(t[lib, 0]), statistics.median(t[lib, 1])
                each = " ".join(f"{y / x:.2f}" for x, y in zip(t[lib, 0], t[lib, 1], strict=True))
                row += [f"{a:.2f}", f"{g:.2f}", f"**{g / a:.2f}**", each]
            rows.append(row)
            print(f"  {n}: {row} [load {C.load_average()}]", file=sys.stderr, flush=True)
    names = {
        "lrx": ["lrx adam s", "skip_nonfinite(adam) s"],
        "optax": ["optax.adam s", "apply_if_finite(adam) s"],
    }
    head = ["leaves"] + [h for lib in pairs for h in [*names[lib], "ratio", "ratio per pair"]]
    kind = "a distinct shape per leaf" if distinct else "four shapes repeated"
    return "\n".join(
        [
            "### Trace + compile of the donated step: guarded / unguarded (median seconds, "
            f"{kind})\n",
            C.markdown_table(head, rows),
        ]
    )


def growth_exponent(n1: int, t1: float, n2: int, t2: float) -> float:
    """``log(t2/t1) / log(n2/n1)``: 1 for linear growth, 2 for quadratic."""
    return math.log(t2 / t1) / math.log(n2 / n1)


def scaling(leaves: list[int], reps: int, only: str | None) -> str:
    cases = scaling_cases()
    if only:
        cases = {k: v for k, v in cases.items() if any(o in k for o in only.split(","))}
    rows = []
    for name, factory in cases.items():
        totals = []

        def make(factory=factory) -> optax.GradientTransformation:
            return optax.with_extra_args_support(factory())  # the step passes value=loss

        with jax.numpy_dtype_promotion("standard"):  # optax's adam mixes int and float
            time_once(make, tree(2))  # warm the Python trace machinery once
            for n in leaves:
                samples = [sum(time_once(make, tree(n))) for _ in range(reps)]
                totals.append(statistics.median(samples))
                print(f"  {name} {n}: {totals[-1]:.3f}s [load {C.load_average()}]", file=sys.stderr)
        exp = growth_exponent(leaves[-2], totals[-2], leaves[-1], totals[-1])
        flag = "**superlinear**" if exp > 1.3 else "linear"
        rows.append([name, *(f"{t:.2f}" for t in totals), f"{exp:.2f}", flag])
    head = ["transform", *(f"{n} leaves s" for n in leaves), "growth exponent", "verdict"]
    return "\n".join(
        [
            "### Trace + compile of the donated step vs leaves (median seconds)\n",
            C.markdown_table(head, rows),
            "",
            "growth exponent: log(t2/t1)/log(n2/n1) between the two largest sizes "
            "(1 = linear, 2 = quadratic); above 1.3 is flagged superlinear.",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--leaves",
        default=None,
        help="comma list of leaf counts (default 10,100,1000; 10,100,1000,5000 with --scaling)",
    )
    p.add_argument("--reps", type=int, default=5, help="interleaved repetitions (median)")
    p.add_argument("--quick", action="store_true", help="10,100 leaves, 2 repetitions")
    p.add_argument("--out", default=None, help="also write the Markdown report to this file")
    p.add_argument(
        "--scaling",
        action="store_true",
        help="time every public transform alone at --leaves (default 10,100,1000,5000)",
    )
    p.add_argument(
        "--only",
        default=None,
        help="with --scaling: comma list of name parts; with --guard: lrx, optax or both",
    )
    p.add_argument(
        "--distinct-shapes",
        action="store_true",
        help="with --guard: a distinct shape per leaf (no identical kernels for XLA to reuse)",
    )
    p.add_argument(
        "--guard",
        action="store_true",
        help="skip_nonfinite(adam) vs adam, interleaved, at --leaves (default 10,100,1000,5000)",
    )
    args = p.parse_args(argv)
    command = "python bench/compile_time.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.scaling or args.guard:
        leaves = [int(x) for x in (args.leaves or "10,100,1000,5000").split(",") if x]
        reps = 1 if args.reps == p.get_default("reps") else args.reps
        if args.quick:
            leaves, reps = [10, 100], 1
        report = "\n".join(
            [
                C.header("lrx compile time vs leaves", command.strip()),
                guard(leaves, reps, args.only, args.distinct_shapes)
                if args.guard
                else scaling(leaves, reps, args.only),
                "",
                f"load average (1/5/15 min) at end: {C.load_average()}",
                "",
            ]
        )
        emit(report, args.out)
        return
    leaves = [int(x) for x in (args.leaves or "10,100,1000").split(",") if x]
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
    emit(report, args.out)


def emit(report: str, out: str | None) -> None:
    """Print the Markdown report and, with ``--out``, write it to that file too."""
    print(report)
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
