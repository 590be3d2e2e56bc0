"""A learning-rate sweep in one program: ``jax.jit(jax.vmap(train))(learning_rates)``.

Article 000 (section 1.4, Adam in practice) fits ``y = 4 + 3x + noise`` with Adam at
``learning_rate=0.1``. Is 0.1 a good choice? Because every numeric hyperparameter of an lrx
optimizer may be a traced array, a whole training run written as a function of its
hyperparameters can be vectorised with ``jax.vmap`` and compiled ONCE for all of them:

    def train(learning_rate):
        tx = lrx.adam(learning_rate=learning_rate)
        ...                                 # lax.scan over the updates
        return losses                       # (steps,)

    losses = jax.jit(jax.vmap(train))(jnp.logspace(-2, 1, 16))   # (16, steps)

The 16 runs share the data and the start, and train side by side in one XLA program. The
same works for several hyperparameters at once: the second sweep below is a 4 x 4 grid of
schedule peaks (``lrx.warmup_cosine(peak_value=...)``) and AdamW weight decays, flattened
to 16 configurations of one vmapped program.

Prints: a table per sweep (final loss, the first step within 1% of the optimum) and the
check that a vmapped row equals the single run with a Python-float learning rate.
Draws: ``<out>/lr_sweep.png`` (the loss curves of the first sweep).

Run: ``python examples/lr_sweep.py --out plots``.
"""

from __future__ import annotations

import argparse
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np

import lrx


def article_data() -> tuple[jax.Array, jax.Array, jax.Array]:
    """``X_b`` (100, 2), ``y`` (100,) and the initial ``theta`` (2,), as article 000 draws them."""
    np.random.seed(0)  # noqa: NPY002
    x = 2 * np.random.rand(100, 1)  # noqa: NPY002
    y = 4 + 3 * x + np.random.randn(100, 1)  # noqa: NPY002
    x_b = np.c_[np.ones((100, 1)), x]
    theta = np.random.randn(2, 1)  # noqa: NPY002
    f32 = jnp.float32
    return jnp.asarray(x_b, f32), jnp.asarray(y[:, 0], f32), jnp.asarray(theta[:, 0], f32)


X_B, Y, THETA0 = article_data()


def loss_fn(theta: jax.Array) -> jax.Array:
    return jnp.mean((X_B @ theta - Y) ** 2)


def fit(tx, steps: int) -> jax.Array:
    """``steps`` full-batch updates of ``tx`` from THETA0 in one ``lax.scan``: the losses."""

    def step(carry, _):
        theta, state = carry
        loss, grad = jax.value_and_grad(loss_fn)(theta)
        updates, state = tx.update(grad, state, theta)
        return (lrx.apply_updates(theta, updates), state), loss

    _, losses = jax.lax.scan(step, (THETA0, tx.init(THETA0)), None, length=steps)
    return losses


def first_within(losses: np.ndarray, optimum: float, rel: float = 0.01) -> str:
    hits = np.flatnonzero(losses <= optimum * (1 + rel))
    return str(hits[0] + 1) if hits.size else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    parser.add_argument("--quick", action="store_true", help="50 updates instead of 200")
    parser.add_argument("--steps", type=int, default=None, help="updates per run (default 200)")
    args = parser.parse_args(argv)
    steps = args.steps or (50 if args.quick else 200)
    os.makedirs(args.out, exist_ok=True)
    # The least-squares optimum, to measure how close each run gets.
    theta_star, *_ = np.linalg.lstsq(np.asarray(X_B, np.float64), np.asarray(Y, np.float64))
    optimum = float(np.mean((np.asarray(X_B, np.float64) @ theta_star - np.asarray(Y)) ** 2))

    # ---- sweep 1: Adam over 16 learning rates, one program.
    def train(learning_rate):
        return fit(lrx.adam(learning_rate=learning_rate), steps)

    learning_rates = jnp.logspace(-2, 1, 16, dtype=jnp.float32)
    losses = np.asarray(jax.jit(jax.vmap(train))(learning_rates))  # (16, steps)

    print(f"Adam on article 000's regression, {steps} full-batch updates, one vmapped program")
    print(f"(least-squares optimum: loss {optimum:.4f})")
    print(f"{'learning rate':>14}{'final loss':>12}{'min loss':>10}{'steps to 1%':>13}")
    for lr, row in zip(np.asarray(learning_rates), losses, strict=True):
        print(f"{lr:>14.4g}{row[-1]:>12.4f}{row.min():>10.4f}{first_within(row, optimum):>13}")
    best = int(np.argmin(losses[:, -1]))
    i = int(np.argmin(np.abs(np.asarray(learning_rates) - 0.1)))  # the article's rate
    steps_to = [first_within(row, optimum) for row in losses]
    fastest = min((int(s), k) for k, s in enumerate(steps_to) if s != "-")[1]
    print(
        f"lowest final loss at learning rate {float(learning_rates[best]):.3g}; fastest to "
        f"within 1% of the optimum: {float(learning_rates[fastest]):.3g} "
        f"({steps_to[fastest]} updates; the article's 0.1 takes {steps_to[i]})"
    )

    # The vmapped program computes what a single run with a Python float computes.
    lr_i = float(learning_rates[i])
    single = np.asarray(jax.jit(lambda: fit(lrx.adam(learning_rate=lr_i), steps))())
    print(
        f"check: row {i} (lr {lr_i:.3g}) vs a single run with a Python float: "
        f"max |diff| = {np.max(np.abs(single - losses[i])):.1e}"
    )

    # ---- sweep 2: a 4 x 4 grid of schedule peaks and weight decays, flattened to 16 runs.
    peaks, decays = np.meshgrid([0.01, 0.03, 0.1, 0.3], [0.0, 1e-3, 1e-2, 1e-1], indexing="ij")
    grid = {
        "peak": jnp.asarray(peaks.ravel(), jnp.float32),
        "weight_decay": jnp.asarray(decays.ravel(), jnp.float32),
    }

    def train_grid(h):
        schedule = lrx.warmup_cosine(peak_value=h["peak"], warmup_steps=10, total_steps=steps)
        return fit(lrx.adamw(learning_rate=schedule, weight_decay=h["weight_decay"]), steps)

    grid_losses = np.asarray(jax.jit(jax.vmap(train_grid))(grid))
    print()
    print("AdamW + warmup_cosine: peak x weight decay, 16 runs in one program (final loss)")
    print(f"{'peak':>8}" + "".join(f"{f'wd {d:g}':>11}" for d in decays[0]))
    final = grid_losses[:, -1].reshape(peaks.shape)
    for p_row, l_row in zip(peaks[:, 0], final, strict=True):
        print(f"{p_row:>8g}" + "".join(f"{v:>11.4f}" for v in l_row))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    colors = plt.cm.viridis(np.linspace(0, 1, len(losses)))
    for lr, row, c in zip(np.asarray(learning_rates), losses, colors, strict=True):
        ax.plot(np.arange(1, steps + 1), row, color=c, lw=1, label=f"{lr:.2g}")
    ax.axhline(optimum, color="k", ls=":", lw=0.8, label="optimum")
    ax.set(xlabel="update", ylabel="loss (MSE)", yscale="log")
    ax.set_title("Adam, 16 learning rates in one jit(vmap(train)) program")
    ax.legend(fontsize="xx-small", ncol=2, title="learning rate", title_fontsize="x-small")
    path = os.path.join(args.out, "lr_sweep.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
