"""Step and compile time of the learning-rate-free methods: vs lrx.adam and optax.contrib.

Every method (Prodigy, D-Adapt Adam/SGD/AdaGrad, DoG, L-DoG, Mechanic around Adam,
Schedule-Free SGD/AdamW, COCOB, MoMo, MoMo-Adam) is timed beside ``lrx.adam(1e-3)`` and,
where one exists, its ``optax.contrib`` counterpart (``prodigy``, ``dadapt_adamw``, ``dog``,
``mechanize``, ``schedule_free_sgd``/``schedule_free_adamw``, ``cocob``, ``momo``,
``momo_adam``), each at its defaults. The function timed is the training-loop step
``(params, grads, state, loss) -> (params, state)``: ``tx.update(grads, state, params,
value=loss)`` (MoMo needs the loss; the others ignore it) and ``apply_updates``, in one
``jax.jit`` with params and state donated.

These methods reduce over all parameters (dot products and norms of the whole tree, summed
per leaf), which Adam does not: the question is what those reductions cost per step.

* Step time: on the benchmark trees of ``_common.TREES``, all contenders of a tree timed
  interleaved (A B C ... A B C ...), median seconds per step over rounds.
* Compile time: ``jit(step).trace(...).lower()`` plus ``.compile()`` for a fresh transform
  and function, on the same tree structures given as shapes only (nothing allocated),
  repetitions interleaved over the contenders, medians.

Run::

    python bench/lr_free.py --out bench/results/lr_free.md
    python bench/lr_free.py --trees 10x1M --compile-trees 10x1M   # a few minutes
    python bench/lr_free.py --quick            # leaves 100x smaller, development

The 1,000-leaf tree is the slow part: 21 programs of 1,000 leaves to compile for each
section (more than 20 minutes on 2 loaded cores), and its step section keeps every
contender's buffers alive (several GB).
"""

from __future__ import annotations

import argparse
import contextlib
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
import optax  # noqa: E402

LR = 1e-3
Factory = Callable[[], optax.GradientTransformation]


def methods() -> list[tuple[str, Factory, str | None, Factory | None]]:
    """``(lrx name, lrx factory, optax.contrib name, optax factory)`` per method, defaults."""
    import lrx

    oc = optax.contrib
    return [
        ("prodigy", lambda: lrx.prodigy(), "prodigy", lambda: oc.prodigy()),
        ("dadapt_adam", lambda: lrx.dadapt_adam(), "dadapt_adamw", lambda: oc.dadapt_adamw()),
        ("dadapt_sgd", lambda: lrx.dadapt_sgd(), None, None),
        ("dadapt_adagrad", lambda: lrx.dadapt_adagrad(), None, None),
        ("dog", lambda: lrx.dog(), "dog", lambda: oc.dog()),
        ("ldog", lambda: lrx.ldog(), None, None),
        (
            "mechanize(adam)",
            lambda: lrx.mechanize(lrx.adam(LR)),
            "mechanize(adam)",
            lambda: oc.mechanize(optax.adam(LR)),
        ),
        (
            "schedule_free_sgd",
            lambda: lrx.schedule_free_sgd(),
            "schedule_free_sgd",
            lambda: oc.schedule_free_sgd(),
        ),
        (
            "schedule_free_adamw",
            lambda: lrx.schedule_free_adamw(),
            "schedule_free_adamw",
            lambda: oc.schedule_free_adamw(),
        ),
        ("cocob", lambda: lrx.cocob(), "cocob", lambda: oc.cocob()),
        ("momo", lambda: lrx.momo(), "momo", lambda: oc.momo()),
        ("momo_adam", lambda: lrx.momo_adam(), "momo_adam", lambda: oc.momo_adam()),
    ]


def contenders() -> dict[str, Factory]:
    """Every timed transform by column name: ``lrx.adam``, ``optax.adam``, then the methods."""
    import lrx

    out: dict[str, Factory] = {
        "lrx.adam": lambda: lrx.adam(LR),
        "optax.adam": lambda: optax.adam(LR),
    }
    for name, make, oname, omake in methods():
        out[f"lrx.{name}"] = make
        if oname is not None and omake is not None:
            out[f"optax.contrib.{oname}"] = omake
    return out


def loss_step(tx: optax.GradientTransformation) -> Callable[..., Any]:
    """The donated step ``(params, grads, state, loss) -> (params, state)``."""
    tx = optax.with_extra_args_support(tx)

    def step(params: Any, grads: Any, state: Any, loss: jax.Array) -> tuple[Any, Any]:
        updates, state = tx.update(grads, state, params, value=loss)
        return optax.apply_updates(params, updates), state

    return jax.jit(step, donate_argnums=(0, 2))


def step_contender(name: str, make_tx: Factory, n: int, size: int) -> C.Contender:
    """``C.jax_contender`` with the loss passed (fixed grads and loss, params and state donated)."""

    def setup() -> Callable[[int], None]:
        tx = make_tx()
        params = C.jax_tree(n, size, 0)
        box = {"params": params, "grads": C.jax_tree(n, size, 1, 1e-2)}
        # A state may hold the initial params themselves; copy it (both are donated).
        box["state"] = jax.tree.map(jnp.copy, tx.init(params))
        loss = jnp.float32(1.0)
        step = loss_step(tx)

        def run(k: int) -> None:
            p, s, g = box["params"], box["state"], box["grads"]
            for _ in range(k):
                p, s = step(p, g, s, loss)
            jax.block_until_ready((p, s))
            box["params"], box["state"] = p, s

        return run

    return C.Contender(name, setup)


def compiled_step(make_tx: Factory, n: int, size: int) -> tuple[Any, float]:
    """A fresh step compiled for an ``n x size`` tree (shapes only), and the seconds its
    trace + lower + compile took."""
    shapes = {f"p{i:04d}": jax.ShapeDtypeStruct((size,), jnp.float32) for i in range(n)}
    tx = make_tx()
    state = jax.eval_shape(tx.init, shapes)
    loss = jax.ShapeDtypeStruct((), jnp.float32)
    step = loss_step(tx)
    t0 = time.perf_counter()
    compiled = step.trace(shapes, shapes, state, loss).lower().compile()
    return compiled, time.perf_counter() - t0


def compile_once(make_tx: Factory, n: int, size: int) -> float:
    """Trace + lower + compile seconds of a fresh step on an ``n x size`` tree (shapes only)."""
    return compiled_step(make_tx, n, size)[1]


def ratio_rows(
    med: dict[str, float], fmt: Callable[[float], str]
) -> tuple[list[str], list[list[str]]]:
    """One row per method: lrx time, vs lrx.adam, optax.contrib time, lrx / optax.contrib."""
    rows = []
    adam = med["lrx.adam"]
    rows.append(
        [
            "adam (reference)",
            fmt(adam),
            "1.00",
            fmt(med["optax.adam"]),
            C.fmt_ratio(adam, med["optax.adam"]),
        ]
    )
    for name, _, oname, _ in methods():
        t = med.get(f"lrx.{name}", float("nan"))
        o = med.get(f"optax.contrib.{oname}", float("nan")) if oname else float("nan")
        label = name if oname is None or oname == name else f"{name} (optax: {oname})"
        rows.append([label, fmt(t), C.fmt_ratio(t, adam), fmt(o), C.fmt_ratio(t, o)])
    return ["method", "lrx", "lrx / lrx.adam", "optax.contrib", "lrx / optax.contrib"], rows


def section_step(args: argparse.Namespace, scale: float) -> str:
    parts = ["### Per-step time (median ms; lower is better)\n"]
    for tree in args.trees:
        n, size = C.tree_spec(tree, scale)
        cs = [step_contender(k, f, n, size) for k, f in contenders().items()]
        r = C.interleaved(cs, rounds=args.rounds, steps=args.steps)
        print(
            f"  step {tree}: " + ", ".join(f"{k}={C.fmt_ms(v)}" for k, v in r.items()),
            f"[load {C.load_average()}]",
            file=sys.stderr,
            flush=True,
        )
        head, rows = ratio_rows(r, C.fmt_ms)
        head = [h if h.startswith(("method", "lrx /")) else f"{h} ms" for h in head]
        parts += [
            f"Tree {tree} ({n} x {size:,} float32), {args.rounds} rounds x {args.steps} steps:\n",
            C.markdown_table(head, rows),
            "",
        ]
    return "\n".join(parts)


def section_compile(args: argparse.Namespace, scale: float) -> str:
    parts = ["### Trace + compile of the donated step (median seconds)\n"]
    for tree, reps in zip(args.compile_trees, args.reps, strict=True):
        n, size = C.tree_spec(tree, scale)
        makers = contenders()
        for f in makers.values():  # warm the Python trace machinery once
            compile_once(f, 2, 8)
        samples: dict[str, list[float]] = {k: [] for k in makers}
        for _ in range(reps):
            for k, f in makers.items():
                samples[k].append(compile_once(f, n, size))
        med = {k: statistics.median(v) for k, v in samples.items()}
        print(
            f"  compile {tree}: " + ", ".join(f"{k}={v:.2f}" for k, v in med.items()),
            f"[load {C.load_average()}]",
            file=sys.stderr,
            flush=True,
        )
        head, rows = ratio_rows(med, lambda s: "—" if s != s else f"{s:.2f}")
        head = [h if h.startswith(("method", "lrx /")) else f"{h} s" for h in head]
        parts += [
            f"Tree {tree} ({n} leaves), {reps} repetition{'s' if reps > 1 else ''}:\n",
            C.markdown_table(head, rows),
            "",
        ]
    return "\n".join(parts)


@contextlib.contextmanager
def sums_replaced() -> Any:
    """While active, every global sum of the lr-free modules is a constant 0.5.

    XLA then drops the reductions (and what only they read): the step that remains is the
    per-parameter work alone, so the difference to the real step is what the global sums
    cost. The numbers it computes are meaningless; only its time is.
    """
    import lrx.lr_free  # noqa: F401  (its modules, in sys.modules)

    mods = [
        m
        for name, m in sorted(sys.modules.items())
        if name.startswith("lrx.lr_free.") and hasattr(m, "global_sum")
    ]
    saved = [m.global_sum for m in mods]

    def constant(fn: Any, *trees: Any, dtype: Any) -> jax.Array:
        del fn, trees
        return jnp.asarray(0.5, dtype)

    for m in mods:
        m.global_sum = constant
    try:
        yield
    finally:
        for m, f in zip(mods, saved, strict=True):
            m.global_sum = f


def without_sums(make_tx: Factory) -> Factory:
    """``make_tx`` whose ``update`` is traced under :func:`sums_replaced`."""

    def make() -> optax.GradientTransformation:
        tx = optax.with_extra_args_support(make_tx())

        def update(*args: Any, **kwargs: Any) -> Any:
            with sums_replaced():
                return tx.update(*args, **kwargs)

        return optax.GradientTransformationExtraArgs(tx.init, update)

    return make


def section_sums(args: argparse.Namespace, scale: float) -> str:
    """What the global sums cost: each method beside itself with the sums removed."""
    parts = ["### What the global sums cost (median ms per step)\n"]
    for tree in args.trees:
        n, size = C.tree_spec(tree, scale)
        makers: dict[str, Factory] = {"lrx.adam": lambda: __import__("lrx").adam(LR)}
        for name, make, _, _ in methods():
            makers[name] = make
            makers[f"{name} without sums"] = without_sums(make)
        cs = [step_contender(k, f, n, size) for k, f in makers.items()]
        r = C.interleaved(cs, rounds=args.rounds, steps=args.steps)
        print(
            f"  sums {tree}: " + ", ".join(f"{k}={C.fmt_ms(v)}" for k, v in r.items()),
            f"[load {C.load_average()}]",
            file=sys.stderr,
            flush=True,
        )
        adam = r["lrx.adam"]
        rows = []
        for name, _, _, _ in methods():
            full, bare = r[name], r[f"{name} without sums"]
            rows.append(
                [
                    name,
                    C.fmt_ms(full),
                    C.fmt_ratio(full, adam),
                    C.fmt_ms(bare),
                    C.fmt_ratio(bare, adam),
                    C.fmt_ratio(full - bare, adam),
                ]
            )
        head = [
            "method",
            "step ms",
            "step / adam",
            "without sums ms",
            "without sums / adam",
            "sums / adam",
        ]
        parts += [
            f"Tree {tree} ({n} x {size:,} float32, lrx.adam {C.fmt_ms(adam)} ms), "
            f"{args.rounds} rounds x {args.steps} steps:\n",
            C.markdown_table(head, rows),
            "",
        ]
    return "\n".join(parts)


def section_traffic(args: argparse.Namespace, scale: float) -> str:
    """Memory traffic per step from XLA's cost analysis of the compiled step: bytes read and
    written by every kernel, in units of the tree's size (Adam: 10 = 4 reads and 3 writes in
    its moment kernels, 3 in the parameter kernel). Deterministic: no clock, no load."""
    parts = ["### Memory traffic per step (XLA cost analysis, in tree sizes)\n"]
    for tree in args.trees:
        n, size = C.tree_spec(tree, scale)
        traffic: dict[str, float] = {}
        for name, make in contenders().items():
            cost = compiled_step(make, n, size)[0].cost_analysis()
            cost = cost[0] if isinstance(cost, list) else cost
            traffic[name] = float(cost.get("bytes accessed", float("nan"))) / (4 * n * size)
        head, rows = ratio_rows(traffic, lambda x: "—" if x != x else f"{x:.1f}")
        parts += [
            f"Tree {tree} ({n} x {size:,} float32):\n",
            C.markdown_table(head, rows),
            "",
        ]
    return "\n".join(parts)


def section_faults(args: argparse.Namespace, scale: float) -> str:
    """Page faults per step: the temporaries XLA:CPU allocates afresh every step.

    Donated params and state are written in place; an intermediate array XLA materializes
    (one consumed by several kernels, a global sum's operand) is a temporary, and with
    glibc's allocator a temporary of this size is mapped anew each step, so every page of
    it faults on first touch. The count is ``ru_minflt`` (this process) over the steps.
    """
    import resource

    parts = ["### Page faults per step (temporaries mapped afresh)\n"]
    for tree in args.trees:
        n, size = C.tree_spec(tree, scale)
        rows = []
        for name, make in contenders().items():
            run = step_contender(name, make, n, size).setup()
            run(2)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            run(args.steps)
            faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / args.steps
            rows.append([name, f"{faults:,.0f}", f"{faults * resource.getpagesize() / 1e6:,.0f}"])
            del run
        parts += [
            f"Tree {tree} ({n} x {size:,} float32), {args.steps} steps:\n",
            C.markdown_table(["contender", "minor faults / step", "MB / step"], rows),
            "",
        ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="leaves 100x smaller, 2 rounds")
    p.add_argument("--scale", type=float, default=None, help="multiply every leaf size by this")
    p.add_argument(
        "--trees",
        default="10x1M,1000x10k",
        help=f"step-time trees, comma list of {list(C.TREES)} (default %(default)s: all "
        "contenders of a tree are alive at once, 1x50M needs about 25 GB)",
    )
    p.add_argument(
        "--compile-trees", default="10x1M,1000x10k", help="compile-time trees (default %(default)s)"
    )
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 5)")
    p.add_argument("--steps", type=int, default=None, help="steps per round (default 5)")
    p.add_argument(
        "--reps",
        default="3",
        help="compile repetitions: one number, or a comma list, one per --compile-trees "
        "(default 3)",
    )
    p.add_argument(
        "--sections", default="step,compile", help="comma list: step,compile,sums,faults,traffic"
    )
    p.add_argument("--out", default=None, help="also write the Markdown report to this file")
    args = p.parse_args(argv)
    args.trees = [t for t in args.trees.split(",") if t]
    args.compile_trees = [t for t in args.compile_trees.split(",") if t]
    scale = args.scale if args.scale is not None else (0.01 if args.quick else 1.0)
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.steps = args.steps or (2 if args.quick else 5)
    reps = [int(r) for r in args.reps.split(",") if r]
    args.reps = reps * len(args.compile_trees) if len(reps) == 1 else reps
    if len(args.reps) != len(args.compile_trees):
        p.error("--reps: one number, or one per --compile-trees")
    if args.quick:
        args.reps = [1] * len(args.compile_trees)

    command = "python bench/lr_free.py " + " ".join(sys.argv[1:] if argv is None else argv)
    parts = [C.header("learning-rate-free methods: step and compile time", command.strip())]
    if scale != 1.0:
        parts.append(f"*Leaf sizes scaled by {scale}: development numbers, not results.*\n")
    with jax.numpy_dtype_promotion("standard"):  # optax mixes int and float in places
        for s in [s for s in args.sections.split(",") if s]:
            fn = {
                "step": section_step,
                "compile": section_compile,
                "sums": section_sums,
                "faults": section_faults,
                "traffic": section_traffic,
            }[s]
            parts.append(fn(args, scale))
    parts.append(f"load average (1/5/15 min) at end: {C.load_average()}\n")
    report = "\n".join(parts)
    print(report)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
