"""Article 000 (section 1, adaptive learning rates): a steep/flat valley.

The article's picture: along one direction (AB, ``w1``) the loss is steep, along the other
(BC, ``w2``) it is flat. One global learning rate cannot suit both: large enough to make
progress along ``w2``, fixed-rate gradient descent bounces between the valley walls along
``w1``, so the loss stalls while the *gradient norm stays large* (the article's first
figure); small enough for ``w1``, it crawls along ``w2``. Per-parameter adaptive rates
(AdaGrad, RMSprop, Adam) rescale each coordinate and reach the minimum.

Loss: ``L(w) = 0.5 * (20 w1^2 + 0.2 w2^2)`` (condition number 100), start ``(-1.5, 8)``,
300 full-gradient steps. SGD at ``lr = 0.1 = 2/20``, the stability limit of the steep
direction, bounces between the walls forever (loss stuck near 22, gradient norm 30); SGD at
``lr = 0.05`` settles ``w1`` at once but crawls along ``w2``. RMSprop with a constant rate
ends up hopping around the minimum with steps of about ``lr`` (article 000 section 2: the
late-training oscillation of adaptive rates); the same RMSprop with a cosine-annealed
``eta_t`` (the article's summary formula ``theta <- theta - eta_t / sigma_t * m_t``) settles.

Prints: for each optimizer the final loss, the final gradient norm and the first step at
which the loss fell below 1e-3. Draws: ``<out>/valley_paths.png`` (contours and paths, via
``lrx.plot.trajectory``) and ``<out>/valley_gradient_norm.png`` (loss and gradient norm per
step, via ``lrx.plot.curves``).

Run: ``python examples/ill_conditioned_valley.py --out plots``.
"""

from __future__ import annotations

import argparse
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np

import lrx

H = jnp.array([20.0, 0.2], jnp.float32)  # curvatures: steep w1, flat w2


def loss_fn(w: jax.Array) -> jax.Array:
    return 0.5 * jnp.sum(H * w**2)


def run(tx, w0: jax.Array, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Path (steps+1, 2), loss (steps+1,) and gradient norm (steps+1,) of ``steps`` updates."""

    def step(carry, _):
        w, state = carry
        g = jax.grad(loss_fn)(w)
        updates, state = tx.update(g, state, w)
        w = lrx.apply_updates(w, updates)
        return (w, state), w

    _, ws = jax.jit(lambda w: jax.lax.scan(step, (w, tx.init(w)), length=steps))(w0)
    path = np.concatenate([np.asarray(w0)[None], np.asarray(ws)])
    losses = np.asarray(jax.vmap(loss_fn)(path))
    grad_norms = np.asarray(jax.vmap(lambda w: jnp.linalg.norm(jax.grad(loss_fn)(w)))(path))
    return path, losses, grad_norms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="directory for the PNGs (default: .)")
    parser.add_argument("--quick", action="store_true", help="100 steps instead of 300")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    steps = 100 if args.quick else 300

    w0 = jnp.array([-1.5, 8.0], jnp.float32)
    # AdaGrad and RMSprop with eps outside the root (torch's placement, lrx 0.1.0's default)
    optimizers = {
        "SGD 0.1 (= 2/20: bounces)": lrx.sgd(0.1),
        "SGD 0.05 (crawls along w2)": lrx.sgd(0.05),
        "AdaGrad 0.5": lrx.adagrad(0.5, 0.0, 1e-10, eps_in_sqrt=False),
        "RMSprop 0.1": lrx.rmsprop(0.1, eps_in_sqrt=False),
        "RMSprop 0.1, cosine decay": lrx.rmsprop(
            lrx.cosine_annealing(0.1, T_max=steps), eps_in_sqrt=False
        ),
        "Adam 0.3": lrx.adam(0.3),
    }
    paths, histories = {}, {}
    print(f"{'optimizer':>28} {'final loss':>11} {'|grad|':>9}  first step with loss < 1e-3")
    for name, tx in optimizers.items():
        path, losses, gnorm = run(tx, w0, steps)
        paths[name] = path
        histories[name] = {"loss": losses, "gradient norm": gnorm}
        below = np.flatnonzero(losses < 1e-3)
        first = str(int(below[0])) if below.size else "never"
        print(f"{name:>28} {losses[-1]:>11.2e} {gnorm[-1]:>9.2e}  {first}")

    fig = lrx.plot.trajectory(loss_fn, paths, xlim=(-2, 2), ylim=(-1.5, 9), log_levels=False)
    fig.axes[0].set_title("Steep w1, flat w2: fixed-rate SGD bounces, adaptive rates do not")
    out1 = os.path.join(args.out, "valley_paths.png")
    fig.savefig(out1, dpi=90)
    fig = lrx.plot.curves(histories, xlabel="step", log_scale=True)
    out2 = os.path.join(args.out, "valley_gradient_norm.png")
    fig.savefig(out2, dpi=90)
    print(f"wrote {out1} and {out2}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
