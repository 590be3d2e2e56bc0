"""Shared helpers for the lrx benchmarks: trees, contenders, interleaved timing, tables.

Nothing here is part of lrx's public API. The "experimental" helpers at the bottom measure
ideas (flattening many small leaves) before anything is proposed for the library.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

# Trees of float32 parameters: name -> (number of leaves, elements per leaf).
TREES: dict[str, tuple[int, int]] = {
    "10x1M": (10, 1_000_000),
    "1000x10k": (1000, 10_000),
    "1x50M": (1, 50_000_000),
}


def tree_spec(name: str, scale: float = 1.0) -> tuple[int, int]:
    """``(leaves, elements per leaf)`` of tree ``name``; ``scale`` shrinks leaf sizes (--quick)."""
    n, size = TREES[name]
    return n, max(8, int(size * scale))


# ----------------------------------------------------------------------------- machine


def cpu_count() -> int:
    """Cores this process may run on (what XLA:CPU's intra-op thread pool uses)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def load_average() -> str:
    """The 1/5/15-minute load averages, formatted."""
    try:
        a, b, c = os.getloadavg()
        return f"{a:.2f} {b:.2f} {c:.2f}"
    except OSError:  # pragma: no cover
        return "n/a"


def machine_info() -> dict[str, str]:
    """CPU model, core count and library versions, for the header of a results table."""
    model = platform.processor() or "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover
        pass
    info = {
        "cpu": model,
        "cores": str(cpu_count()),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jaxlib": getattr(jax.lib, "__version__", jax.__version__),
        "optax": optax.__version__,
        "backend": jax.default_backend(),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = str(torch.get_num_threads())
    except ImportError:  # pragma: no cover
        info["torch"] = "absent"
    return info


def header(title: str, command: str) -> str:
    info = machine_info()
    lines = [f"## {title}", "", "```", f"$ {command}"]
    lines += [f"{k}: {v}" for k, v in info.items()]
    lines += [f"load average (1/5/15 min) at start: {load_average()}", "```", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- timing


@dataclass
class Contender:
    """One thing to time: ``setup()`` allocates and returns ``run(n) -> None`` doing n steps.

    ``run`` must leave the device idle when it returns (block on its outputs), so that
    wall-clock time around it is the time of the n steps.
    """

    name: str
    setup: Callable[[], Callable[[int], None]]
    note: str = ""
    run: Callable[[int], None] | None = field(default=None, repr=False)


def interleaved(
    contenders: Sequence[Contender], *, rounds: int, steps: int, warmup: int = 2
) -> dict[str, float]:
    """Median seconds per step of each contender, timed A B C A B C ... for ``rounds`` rounds.

    Each round times ``steps`` consecutive steps of each contender; the result is the median
    over rounds of (round time / steps). Interleaving spreads slow drifts (other processes,
    thermal state) evenly over the contenders instead of penalising whoever runs last.
    Contenders whose setup raises ``NotImplementedError`` (placeholder lrx modules) are
    skipped and reported as NaN.
    """
    live: list[Contender] = []
    results: dict[str, float] = {}
    for c in contenders:
        try:
            c.run = c.setup()
            c.run(warmup)  # compile + first touch of every buffer
            live.append(c)
        except NotImplementedError:
            results[c.name] = float("nan")
    samples: dict[str, list[float]] = {c.name: [] for c in live}
    for _ in range(rounds):
        for c in live:
            assert c.run is not None
            t0 = time.perf_counter()
            c.run(steps)
            samples[c.name].append((time.perf_counter() - t0) / steps)
    for c in live:
        results[c.name] = statistics.median(samples[c.name])
        c.run = None
    gc.collect()
    return results


# ----------------------------------------------------------------------------- JAX contenders


def jax_tree(n_leaves: int, size: int, seed: int, scale: float = 1.0) -> dict[str, jax.Array]:
    """A dict of ``n_leaves`` float32 vectors of ``size`` elements (deterministic)."""
    rng = np.random.default_rng(seed)
    width = len(str(n_leaves - 1))
    return {
        f"p{i:0{width}d}": jnp.asarray(scale * rng.standard_normal(size, dtype=np.float32))
        for i in range(n_leaves)
    }


def jax_step(tx: optax.GradientTransformation) -> Callable[..., Any]:
    """The jitted training-loop step ``(params, grads, state) -> (params, state)``.

    ``tx.update`` followed by ``optax.apply_updates``, params and state donated, exactly what
    a training loop does after the backward pass.
    """

    def step(params, grads, state):
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    return jax.jit(step, donate_argnums=(0, 2))


def jax_contender(
    name: str,
    make_tx: Callable[[], optax.GradientTransformation],
    n: int,
    size: int,
    note: str = "",
) -> Contender:
    """Time ``jax_step(make_tx())`` on a fresh ``n x size`` tree (grads fixed, not donated)."""

    def setup():
        tx = make_tx()
        box = {"params": jax_tree(n, size, 0), "grads": jax_tree(n, size, 1, 1e-2)}
        box["state"] = tx.init(box["params"])
        step = jax_step(tx)

        def run(k: int) -> None:
            p, s, g = box["params"], box["state"], box["grads"]
            for _ in range(k):
                p, s = step(p, g, s)
            jax.block_until_ready((p, s))
            box["params"], box["state"] = p, s

        return run

    return Contender(name, setup, note)


# Bytes moved by one update, in buffers of the parameter size: (read, written).
#   sgd+momentum: read p, g, b; write p, b.  adagrad: read p, g, G; write p, G.
#   rmsprop: read p, g, s; write p, s.       adam: read p, g, m, v; write p, m, v.
STATE_BUFFERS = {"sgd": 1, "adagrad": 1, "rmsprop": 1, "adam": 2}


def bytes_moved(opt: str, n_elements: int, itemsize: int = 4) -> int:
    k = STATE_BUFFERS[opt]
    return ((2 + k) + (1 + k)) * n_elements * itemsize


def floor_kernel(n_state: int) -> Callable[..., Any]:
    """A jitted kernel that reads p, g and ``n_state`` state buffers and writes p and the states.

    ``p <- p - 1e-3 g`` and ``s <- 0.5 s``: every buffer the update must read is read once
    and every buffer it must write is written once, in place (p and the states donated), with
    one vectorised streaming loop per output and nothing else. No correct update can move
    fewer bytes, so its time is the memory-bandwidth floor of the update. (A kernel whose
    outputs depend on several state buffers is not a floor on XLA:CPU: it makes one loop per
    output, and the loop that writes p re-reads the new states.)
    """

    def kernel(p, g, states):
        return p - 1e-3 * g, tuple(0.5 * s for s in states)

    return jax.jit(kernel, donate_argnums=(0, 2))


def floor_contender(opt: str, n_elements: int) -> Contender:
    """The bandwidth floor for ``opt``: the same bytes moved as one flat float32 buffer each."""
    k = STATE_BUFFERS[opt]

    def setup():
        rng = np.random.default_rng(2)
        box = {
            "p": jnp.asarray(rng.standard_normal(n_elements, dtype=np.float32)),
            "g": jnp.asarray(rng.standard_normal(n_elements, dtype=np.float32)),
            "s": tuple(jnp.zeros(n_elements, jnp.float32) for _ in range(k)),
        }
        kernel = floor_kernel(k)

        def run(steps: int) -> None:
            p, s, g = box["p"], box["s"], box["g"]
            for _ in range(steps):
                p, s = kernel(p, g, s)
            jax.block_until_ready((p, s))
            box["p"], box["s"] = p, s

        return run

    return Contender("floor", setup, f"{bytes_moved(opt, n_elements) / 1e6:.0f} MB per step")


# ----------------------------------------------------------------------------- torch contenders


def torch_contender(
    name: str, make_opt: Callable[[list[Any]], Any], n: int, size: int, note: str = ""
) -> Contender:
    """Time ``opt.step()`` of a torch optimizer on an ``n x size`` list of parameters."""

    def setup():
        import torch

        params = []
        rng_p, rng_g = np.random.default_rng(0), np.random.default_rng(1)
        for _ in range(n):
            p = torch.nn.Parameter(torch.from_numpy(rng_p.standard_normal(size, dtype=np.float32)))
            p.grad = torch.from_numpy(1e-2 * rng_g.standard_normal(size, dtype=np.float32))
            params.append(p)
        opt = make_opt(params)

        def run(k: int) -> None:
            with torch.no_grad():
                for _ in range(k):
                    opt.step()

        return run

    return Contender(name, setup, note)


# ----------------------------------------------------------------------------- tables


def fmt_ms(seconds: float) -> str:
    if seconds != seconds:  # NaN: contender absent
        return "—"
    ms = seconds * 1e3
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.0f}"


def fmt_ratio(a: float, b: float) -> str:
    if a != a or b != b or b == 0:
        return "—"
    return f"{a / b:.2f}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


# ----------------------------------------------------------------------------- experimental


def flat_step(tx: optax.GradientTransformation) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """EXPERIMENTAL: run ``tx`` on one concatenated buffer instead of many small leaves.

    Returns ``(init, step)``. ``init(params)`` builds the optimizer state for the
    concatenation of all leaves; ``step(params, grads, state)`` concatenates grads and
    params, runs ``tx`` once on the flat vectors, and splits the result back into the tree
    (params and state donated). It trades per-leaf kernels for two extra copies
    (concatenate and split); the benchmark measures whether that pays off.
    """
    from jax.flatten_util import ravel_pytree

    def init(params):
        flat, _ = ravel_pytree(params)
        return tx.init(flat)

    def step(params, grads, state):
        flat_p, unravel = ravel_pytree(params)
        flat_g, _ = ravel_pytree(grads)
        updates, state = tx.update(flat_g, state, flat_p)
        return unravel(optax.apply_updates(flat_p, updates)), state

    return init, jax.jit(step, donate_argnums=(0, 2))


def flat_contender(
    name: str,
    make_tx: Callable[[], optax.GradientTransformation],
    n: int,
    size: int,
    note: str = "",
) -> Contender:
    """Time :func:`flat_step` on an ``n x size`` tree."""

    def setup():
        init, step = flat_step(make_tx())
        box = {"params": jax_tree(n, size, 0), "grads": jax_tree(n, size, 1, 1e-2)}
        box["state"] = init(box["params"])

        def run(k: int) -> None:
            p, s, g = box["params"], box["state"], box["grads"]
            for _ in range(k):
                p, s = step(p, g, s)
            jax.block_until_ready((p, s))
            box["params"], box["state"] = p, s

        return run

    return Contender(name, setup, note)
