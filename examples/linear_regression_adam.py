"""Article 000 (1.4, Adam in practice): Adam on linear regression.

Reproduces the article's experiment with lrx: the data ``y = 4 + 3x + noise`` (100 points,
``np.random.seed(0)``), the initial ``theta = np.random.randn(2, 1)`` drawn right after the
data, full-batch gradients ``2/n X_b^T (X_b theta - y)`` and 100 Adam steps at
``learning_rate=0.1``. ``lrx.adam(0.1)`` is checked against the article's own NumPy
``AdamOptimizer`` (the deviation is printed), then the same start is optimised with SGD,
momentum, AdaGrad, RMSprop and Adam and their paths are drawn over the loss contours with
``lrx.plot.trajectory`` (the article's "Contour Plot of Loss Function with Adam
Optimization Path").

Prints: the trained parameters (as the article prints them), the deviation from the
article's NumPy Adam, and each optimizer's final parameters and loss.
Draws: ``<out>/linear_regression_paths.png``.

Run: ``python examples/linear_regression_adam.py --out plots``.
"""

from __future__ import annotations

import argparse
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np

import lrx


def article_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X_b (100, 2), y (100, 1) and the initial theta (2, 1), drawn exactly as the article."""
    # The article's legacy global-RNG calls, kept verbatim to reproduce its numbers.
    np.random.seed(0)  # noqa: NPY002
    X = 2 * np.random.rand(100, 1)  # noqa: NPY002
    y = 4 + 3 * X + np.random.randn(100, 1)  # noqa: NPY002
    X_b = np.c_[np.ones((100, 1)), X]
    theta = np.random.randn(2, 1)  # noqa: NPY002
    return X_b, y, theta


def article_adam(X_b, y, theta, steps=100, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8):
    """The article's NumPy ``AdamOptimizer`` loop, for comparison (float64)."""
    m = v = 0.0
    theta = theta.copy()
    for t in range(1, steps + 1):
        grad = 2 / len(X_b) * X_b.T.dot(X_b.dot(theta) - y)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


def optimize(tx, loss_fn, theta0: jax.Array, steps: int) -> np.ndarray:
    """Run ``steps`` full-batch updates in one ``lax.scan``; return the path (steps+1, 2)."""

    def step(carry, _):
        theta, state = carry
        grads = jax.grad(loss_fn)(theta)
        updates, state = tx.update(grads, state, theta)
        theta = lrx.apply_updates(theta, updates)
        return (theta, state), theta

    _, path = jax.jit(lambda t: jax.lax.scan(step, (t, tx.init(t)), length=steps))(theta0)
    return np.concatenate([np.asarray(theta0)[None], np.asarray(path)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    parser.add_argument(
        "--quick", action="store_true", help="accepted for uniformity; this example is already fast"
    )
    parser.add_argument("--steps", type=int, default=100, help="updates (default 100)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    X_b, y, theta_np = article_data()
    Xj, yj = jnp.asarray(X_b, jnp.float32), jnp.asarray(y[:, 0], jnp.float32)

    def loss_fn(theta):
        return jnp.mean((Xj @ theta - yj) ** 2)

    theta0 = jnp.asarray(theta_np[:, 0], jnp.float32)
    adam_path = optimize(lrx.adam(0.1), loss_fn, theta0, args.steps)
    reference = article_adam(X_b, y, theta_np, steps=args.steps)[:, 0]
    print(f"trained parameters (lrx.adam(0.1), {args.steps} steps): {adam_path[-1]}")
    print(f"article's NumPy Adam:                        {reference}")
    print(f"max |lrx - article| = {np.max(np.abs(adam_path[-1] - reference)):.2e} (float32)")

    optimizers = {
        "SGD 0.1": lrx.sgd(0.1),
        "momentum 0.9, lr 0.02": lrx.sgd(0.02, momentum=0.9),
        # eps outside the root: torch's placement, lrx 0.1.0's default
        "AdaGrad 0.5": lrx.adagrad(0.5, 0.0, 1e-10, eps_in_sqrt=False),
        "RMSprop 0.05": lrx.rmsprop(0.05, eps_in_sqrt=False),
        "Adam 0.1": lrx.adam(0.1),
    }
    paths = {}
    for name, tx in optimizers.items():
        path = optimize(tx, loss_fn, theta0, args.steps)
        paths[name] = path
        print(f"{name:>22}: theta = {path[-1].round(4)}, loss = {float(loss_fn(path[-1])):.4f}")
    fig = lrx.plot.trajectory(loss_fn, paths, xlim=(-1, 10), ylim=(-1, 5))
    fig.axes[0].set_title("Loss contours of y = 4 + 3x + noise with optimizer paths")
    fig.axes[0].set_xlabel(r"$\theta_0$ (Bias)")
    fig.axes[0].set_ylabel(r"$\theta_1$ (Weight)")
    out = os.path.join(args.out, "linear_regression_paths.png")
    fig.savefig(out, dpi=90)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
