"""Per-step time of an optimizer update: lrx vs optax vs torch, against a bandwidth floor.

Every JAX contender runs the step a training loop runs after the backward pass:
``updates, state = tx.update(grads, state, params); params = apply_updates(params, updates)``
in one ``jax.jit`` with params and state donated. torch runs ``opt.step()`` (``foreach=True``
and ``fused=True`` where torch accepts it on the device: SGD, Adam, AdamW, and on CPU
Adagrad; RMSprop has no fused kernel; an unsupported combination is shown as "—"). The
floor is a jitted kernel that reads and writes exactly the bytes the update must move (for
Adam: read params, grads, m, v; write params, m, v) as flat buffers; its time is what the
update would take at the machine's achievable bandwidth.

The platform is JAX's (``JAX_PLATFORMS``, CPU unless set). On a GPU
(``JAX_PLATFORMS=cuda``) torch runs on CUDA when ``torch.cuda.is_available()``, timed with
``torch.cuda.synchronize()`` after each batch of steps; without CUDA torch the torch columns
are skipped. ``bench/run_all.sh`` picks the platform and runs everything.

Contenders are timed interleaved (A B C A B C ...) and the table shows medians over rounds.
torch's intra-op thread count is set to the number of cores this process may use, the size
of XLA:CPU's own intra-op pool, so both libraries use the same cores.

Run (full measurement, a few minutes on 2 cores)::

    python bench/step_time.py --out bench/results/step_time.md
    JAX_PLATFORMS=cuda python bench/step_time.py --out bench/results/step_time_gpu.md

Develop with tiny sizes::

    python bench/step_time.py --quick
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

os.environ.setdefault("JAX_PLATFORMS", "cpu")

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [_HERE, os.path.dirname(_HERE)]  # bench helpers, then the lrx checkout

import _common as C  # noqa: E402
import optax  # noqa: E402

LR = 1e-3
OPTS = ("adam", "rmsprop", "adagrad", "sgd")


def lrx_factory(opt: str, lr=LR) -> Callable[[], optax.GradientTransformation]:
    import lrx

    makers = {
        "adam": lambda: lrx.adam(lr),
        # The same formulas as the optax and torch contenders below: RMSprop with eps
        # outside the root; AdaGrad with G_0 = 0 and eps = 1e-10 (inside, as optax).
        "rmsprop": lambda: lrx.rmsprop(lr, 0.99, 1e-8, eps_in_sqrt=False),
        "adagrad": lambda: lrx.adagrad(lr, 0.0, 1e-10),
        "sgd": lambda: lrx.sgd(lr, momentum=0.9),
    }
    return makers[opt]


def optax_factory(opt: str) -> Callable[[], optax.GradientTransformation]:
    makers = {
        "adam": lambda: optax.adam(LR),
        "rmsprop": lambda: optax.rmsprop(LR, decay=0.99, eps=1e-8, eps_in_sqrt=False),
        "adagrad": lambda: optax.adagrad(LR, initial_accumulator_value=0.0, eps=1e-10),
        "sgd": lambda: optax.sgd(LR, momentum=0.9),
    }
    return makers[opt]


def torch_factory(opt: str, mode: str) -> Callable[[list], object] | None:
    """``mode`` is "foreach" or "fused"; None where torch has no such kernel at all.

    Combinations that exist on one device only (fused Adagrad is CPU-only) fail in
    :func:`torch_contender`'s setup, which reports them as absent.
    """
    import torch

    if opt == "rmsprop" and mode == "fused":
        return None
    kw = {mode: True}
    makers = {
        "adam": lambda ps: torch.optim.Adam(ps, lr=LR, **kw),
        "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=LR, alpha=0.99, eps=1e-8, **kw),
        "adagrad": lambda ps: torch.optim.Adagrad(ps, lr=LR, **kw),
        "sgd": lambda ps: torch.optim.SGD(ps, lr=LR, momentum=0.9, **kw),
    }
    return makers[opt]


def torch_device() -> str | None:
    """Where torch runs: beside JAX ("cpu" or "cuda"), or None (torch columns skipped)."""
    import jax

    backend = jax.default_backend()
    if backend == "cpu":
        return "cpu"
    try:
        import torch
    except ImportError:
        return None
    return "cuda" if backend == "gpu" and torch.cuda.is_available() else None


def torch_contender(
    name: str, make_opt: Callable[[list], object], n: int, size: int, device: str
) -> C.Contender:
    """Time ``opt.step()`` on an ``n x size`` list of parameters on ``device``.

    Like ``_common.torch_contender`` plus CUDA: tensors live on ``device`` and every batch
    of steps ends with ``torch.cuda.synchronize()`` (kernels are asynchronous). An
    optimizer/device combination torch rejects (e.g. fused Adagrad on CUDA) raises
    ``NotImplementedError`` in setup, which the timer reports as absent.
    """

    def setup():
        import numpy as np
        import torch

        dev = torch.device(device)
        sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
        params = []
        rng_p, rng_g = np.random.default_rng(0), np.random.default_rng(1)
        for _ in range(n):
            p = torch.nn.Parameter(
                torch.from_numpy(rng_p.standard_normal(size, dtype=np.float32)).to(dev)
            )
            p.grad = torch.from_numpy(1e-2 * rng_g.standard_normal(size, dtype=np.float32)).to(dev)
            params.append(p)
        try:
            opt = make_opt(params)
            with torch.no_grad():
                opt.step()  # type: ignore[attr-defined]
            sync()
        except (RuntimeError, ValueError, TypeError) as e:
            raise NotImplementedError(f"{name} on {device}: {e}") from e

        def run(k: int) -> None:
            with torch.no_grad():
                for _ in range(k):
                    opt.step()  # type: ignore[attr-defined]
            sync()

        return run

    return C.Contender(name, setup)


def device_info(torch_dev: str | None) -> str:
    """Accelerator lines for the report header (empty on CPU)."""
    import jax

    if jax.default_backend() == "cpu":
        return ""
    lines = [f"jax devices: {jax.device_count()} x {jax.devices()[0].device_kind}"]
    if torch_dev == "cuda":
        import torch

        lines.append(f"torch device: {torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})")
    else:
        lines.append("torch: no CUDA build or device; torch columns skipped")
    return "```\n" + "\n".join(lines) + "\n```\n"


def steps_for(opt: str, n_elements: int) -> int:
    """Steps per round so that one round moves about 1.5 GB (2 to 20 steps)."""
    return max(2, min(20, round(1.5e9 / C.bytes_moved(opt, n_elements))))


def section_step(args, scale: float) -> str:
    have_torch = not args.no_torch
    rows, lines = [], []
    for tree in args.trees:
        n, size = C.tree_spec(tree, scale)
        for opt in args.opts:
            cs = [
                C.jax_contender("lrx", lrx_factory(opt), n, size),
                C.jax_contender("optax", optax_factory(opt), n, size),
            ]
            if have_torch:
                dev = args.torch_device
                foreach = torch_factory(opt, "foreach")
                assert foreach is not None
                cs.append(torch_contender("torch-foreach", foreach, n, size, dev))
                fused = torch_factory(opt, "fused")
                if fused is not None:
                    cs.append(torch_contender("torch-fused", fused, n, size, dev))
            cs.append(C.floor_contender(opt, n * size))
            steps = args.steps or steps_for(opt, n * size)
            r = C.interleaved(cs, rounds=args.rounds, steps=steps)
            nan = float("nan")
            lrx_t, optax_t, floor_t = r["lrx"], r["optax"], r["floor"]
            tf, tfe = r.get("torch-fused", nan), r.get("torch-foreach", nan)
            # rmsprop has no fused torch kernel: compare with foreach and mark it.
            t_best, tag = (tf, "") if tf == tf else (tfe, " (foreach)")
            gbs = C.bytes_moved(opt, n * size) / floor_t / 1e9
            rows.append(
                [
                    tree,
                    opt,
                    C.fmt_ms(lrx_t),
                    C.fmt_ms(optax_t),
                    C.fmt_ms(tfe),
                    C.fmt_ms(tf),
                    f"{C.fmt_ms(floor_t)} ({gbs:.1f} GB/s)",
                    C.fmt_ratio(lrx_t, optax_t),
                    C.fmt_ratio(lrx_t, t_best) + (tag if t_best == t_best else ""),
                    C.fmt_ratio(lrx_t, floor_t),
                    C.fmt_ratio(optax_t, floor_t),
                ]
            )
            print(
                f"  {tree} {opt}: " + ", ".join(f"{k}={C.fmt_ms(v)} ms" for k, v in r.items()),
                f"[load {C.load_average()}]",
                file=sys.stderr,
                flush=True,
            )
    headers = [
        "tree",
        "optimizer",
        "lrx ms",
        "optax ms",
        "torch foreach ms",
        "torch fused ms",
        "floor ms",
        "lrx/optax",
        "lrx/torch-fused",
        "lrx/floor",
        "optax/floor",
    ]
    lines.append("### Per-step time (median ms; lower is better)\n")
    lines.append(C.markdown_table(headers, rows))
    return "\n".join(lines)


def section_flat(args, scale: float) -> str:
    """Many small leaves: plain tree vs one concatenated buffer (experimental helper)."""
    rows = []
    tree = "1000x10k"
    n, size = C.tree_spec(tree, scale)
    for opt in [o for o in args.opts if o in ("adam", "sgd")]:
        cs = [
            C.jax_contender("lrx tree", lrx_factory(opt), n, size),
            C.jax_contender(
                "optax.flatten(lrx)", lambda opt=opt: optax.flatten(lrx_factory(opt)()), n, size
            ),
            C.flat_contender("ravel params+grads in step", lrx_factory(opt), n, size),
            C.jax_contender("lrx on flat params", lrx_factory(opt), 1, n * size),
            C.jax_contender("optax tree", optax_factory(opt), n, size),
            C.floor_contender(opt, n * size),
        ]
        steps = args.steps or steps_for(opt, n * size)
        r = C.interleaved(cs, rounds=args.rounds, steps=steps)
        base = r["lrx tree"]
        for name, t in r.items():
            rows.append(
                [tree, opt, name, C.fmt_ms(t), C.fmt_ratio(t, base), C.fmt_ratio(t, r["floor"])]
            )
        print(
            f"  flat {opt}: " + ", ".join(f"{k}={C.fmt_ms(v)} ms" for k, v in r.items()),
            file=sys.stderr,
            flush=True,
        )
    head = ["tree", "optimizer", "variant", "ms", "vs lrx tree", "vs floor"]
    return "### Many small leaves: flattening (experimental)\n\n" + C.markdown_table(head, rows)


def section_schedule(args, scale: float) -> str:
    """Adam with a constant lr vs with warmup_stable_decay: the cost of a schedule per step."""
    import lrx

    rows = []
    for tree in args.trees:
        n, size = C.tree_spec(tree, scale)

        def wsd():
            return lrx.warmup_stable_decay(LR, warmup_steps=100, stable_steps=1000, decay_steps=500)

        cs = [
            C.jax_contender("constant", lambda: lrx.adam(LR), n, size),
            C.jax_contender("warmup_stable_decay", lambda: lrx.adam(wsd()), n, size),
        ]
        steps = args.steps or steps_for("adam", n * size)
        r = C.interleaved(cs, rounds=args.rounds, steps=steps)
        rows.append(
            [
                tree,
                C.fmt_ms(r["constant"]),
                C.fmt_ms(r["warmup_stable_decay"]),
                C.fmt_ratio(r["warmup_stable_decay"], r["constant"]),
            ]
        )
        print(
            f"  schedule {tree}: " + ", ".join(f"{k}={C.fmt_ms(v)} ms" for k, v in r.items()),
            file=sys.stderr,
            flush=True,
        )
    head = ["tree", "adam, constant lr (ms)", "adam, warmup_stable_decay (ms)", "wsd/constant"]
    return "### Schedule overhead (lrx.adam)\n\n" + C.markdown_table(head, rows)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--quick", action="store_true", help="leaves 100x smaller, 3 rounds (development)"
    )
    p.add_argument("--scale", type=float, default=None, help="multiply every leaf size by this")
    p.add_argument("--trees", default=",".join(C.TREES), help=f"comma list of {list(C.TREES)}")
    p.add_argument("--opts", default=",".join(OPTS), help=f"comma list of {list(OPTS)}")
    p.add_argument(
        "--sections", default="step,flat,schedule", help="comma list: step,flat,schedule"
    )
    p.add_argument(
        "--rounds", type=int, default=None, help="interleaved rounds (default 9, quick 3)"
    )
    p.add_argument(
        "--steps", type=int, default=None, help="steps per round (default: ~1.5 GB moved)"
    )
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    p.add_argument("--no-torch", action="store_true", help="skip the torch contenders")
    p.add_argument("--out", default=None, help="also write the Markdown report to this file")
    args = p.parse_args(argv)
    args.trees = [t for t in args.trees.split(",") if t]
    args.opts = [o for o in args.opts.split(",") if o]
    sections = [s for s in args.sections.split(",") if s]
    scale = args.scale if args.scale is not None else (0.01 if args.quick else 1.0)
    args.rounds = args.rounds or (3 if args.quick else 9)

    args.torch_device = None if args.no_torch else torch_device()
    if args.torch_device is None:
        args.no_torch = True
    else:
        try:
            import torch

            torch.set_num_threads(args.threads or C.cpu_count())
        except ImportError:
            args.no_torch = True

    command = "python bench/step_time.py " + " ".join(sys.argv[1:] if argv is None else argv)
    parts = [C.header("lrx step time", command.strip())]
    extra = device_info(args.torch_device)
    if extra:
        parts.append(extra)
    if scale != 1.0:
        parts.append(f"*Leaf sizes scaled by {scale}: development numbers, not results.*\n")
    for s in sections:
        fn = {"step": section_step, "flat": section_flat, "schedule": section_schedule}[s]
        parts.append(fn(args, scale))
        parts.append("")
    parts.append(f"load average (1/5/15 min) at end: {C.load_average()}\n")
    report = "\n".join(parts)
    print(report)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
