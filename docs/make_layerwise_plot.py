"""Plot the per-layer effective learning rates of LARS and LAMB over a short training run.

    python docs/make_layerwise_plot.py     # needs matplotlib (the ``plot`` extra)

A 3-layer MLP (16 → 64 → 64 → 4, tanh) fits a fixed random linear-tanh teacher on 512
synthetic samples (full batch, 300 steps, seed 0) with ``lrx.lars(0.5, weight_decay=1e-4,
trust_ratio_mask=<weights only>)`` and ``lrx.lamb(warmup_cosine 1e-2, weight_decay=1e-2)``.
After every step it records :func:`lrx.transforms.trust_ratio.layer_learning_rates`
(base rate × trust ratio per leaf) and writes ``docs/img/layerwise_trust_ratio.png``.
"""

from __future__ import annotations

import itertools
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure  # pyplot-free: no backend or window needed

import lrx
from lrx.transforms.trust_ratio import layer_learning_rates

OUT = pathlib.Path(__file__).resolve().parent / "img" / "layerwise_trust_ratio.png"
STEPS = 300
SIZES = (16, 64, 64, 4)


def init_params(key: jax.Array) -> dict:
    params = {}
    for i, (m, n) in enumerate(itertools.pairwise(SIZES)):
        key, sub = jax.random.split(key)
        params[f"layer{i}"] = {
            "w": jax.random.normal(sub, (m, n)) / np.sqrt(m),
            "b": jnp.zeros(n),
        }
    return params


def forward(params: dict, x: jax.Array) -> jax.Array:
    for i in range(len(SIZES) - 1):
        x = x @ params[f"layer{i}"]["w"] + params[f"layer{i}"]["b"]
        if i < len(SIZES) - 2:
            x = jnp.tanh(x)
    return x


def train(opt: object) -> tuple[dict[str, np.ndarray], np.ndarray]:
    kx, kt, kp = jax.random.split(jax.random.PRNGKey(0), 3)
    x = jax.random.normal(kx, (512, SIZES[0]))
    y = jnp.tanh(x @ jax.random.normal(kt, (SIZES[0], SIZES[-1])))
    params = init_params(kp)
    state = opt.init(params)  # type: ignore[attr-defined]

    @jax.jit
    def step(params: dict, state: object) -> tuple:
        loss, grads = jax.value_and_grad(lambda p: jnp.mean((forward(p, x) - y) ** 2))(params)
        updates, state = opt.update(grads, state, params)  # type: ignore[attr-defined]
        return lrx.apply_updates(params, updates), state, loss, layer_learning_rates(state)

    rates: dict[str, list[float]] = {}
    losses = []
    for _ in range(STEPS):
        params, state, loss, lr = step(params, state)
        losses.append(float(loss))
        for path, v in jax.tree_util.tree_flatten_with_path(lr)[0]:
            name = "/".join(str(getattr(k, "key", k)) for k in path)
            rates.setdefault(name, []).append(float(v))
    return {k: np.asarray(v) for k, v in rates.items()}, np.asarray(losses)


def main() -> None:
    weights = {f"layer{i}": {"w": True, "b": False} for i in range(len(SIZES) - 1)}
    runs = {
        "LARS (η = 0.5, trust coefficient 0.001, biases masked)": lrx.lars(
            0.5, weight_decay=1e-4, trust_ratio_mask=weights
        ),
        "LAMB (η: warm-up + cosine, peak 1e-2)": lrx.lamb(
            lrx.warmup_cosine_decay_schedule(0.0, 1e-2, 30, STEPS), weight_decay=1e-2
        ),
    }
    fig = Figure(figsize=(10, 3.75))
    for i, (title, opt) in enumerate(runs.items()):
        rates, losses = train(opt)
        ax = fig.add_subplot(1, 2, i + 1)
        for name, values in rates.items():
            ax.plot(values, label=name, lw=1.2, ls="-" if name.endswith("w") else "--")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("effective rate η·r_l")
        ax.set_title(f"{title}\nloss {losses[0]:.3f} → {losses[-1]:.3f}", fontsize=9)
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(OUT, dpi=80)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
