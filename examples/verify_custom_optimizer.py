"""Verify a hand-written optimizer against the Adam formula and against torch.optim.Adam.

``my_adam`` below is a GradientTransformation written from the Adam paper (Kingma & Ba,
2015): bias-corrected moments and ``θ ← θ − η m̂ / (sqrt(v̂) + ε)``. lrx.testing checks it

1. against ``lrx.testing.reference.adam`` (NumPy, float64) with ``check_transform``: jit,
   no jit and vmap, on every backend this machine has (cpu, gpu, tpu);
2. against ``torch.optim.Adam`` with ``torch_trajectory`` (when torch is installed);
3. and shows what a mistake looks like: the same optimizer with ``ε`` inside the square
   root (``sqrt(v̂ + ε)``, article 004's formula, not Adam's) fails with the first step and
   parameter that differ and the error per step.

Run: ``python examples/verify_custom_optimizer.py`` (``--steps N``: N updates, default 50).
"""

from __future__ import annotations

import argparse
import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrx.testing import (
    assert_trajectories_close,
    available_backends,
    check_transform,
    reference,
    reference_trajectory,
    torch_trajectory,
    trajectory,
)


class MyAdamState(NamedTuple):
    count: jax.Array
    mu: Any
    nu: Any


def my_adam(lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, *, eps_inside=False):
    """Adam from the paper (``eps_inside=True``: the deliberate mistake)."""

    def init(params: Any) -> MyAdamState:
        zeros = jax.tree.map(jnp.zeros_like, params)
        return MyAdamState(jnp.zeros([], jnp.int32), zeros, zeros)

    def update(grads: Any, state: MyAdamState, params: Any = None) -> tuple[Any, MyAdamState]:
        t = state.count + 1
        mu = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, state.mu, grads)
        nu = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, state.nu, grads)
        # 1 − β^t as −expm1(t log β), log β from float64: float32's 0.999 is 0.99900001,
        # so a plain 1 − 0.999**t would be off by 1e-5 relative at t = 1.
        t32 = t.astype(jnp.float32)
        c1 = -jnp.expm1(t32 * np.float32(np.log(b1)))
        c2 = -jnp.expm1(t32 * np.float32(np.log(b2)))

        def step(m: jax.Array, v: jax.Array) -> jax.Array:
            den = jnp.sqrt(v / c2 + eps) if eps_inside else jnp.sqrt(v / c2) + eps
            return -lr * (m / c1) / den

        return jax.tree.map(step, mu, nu), MyAdamState(t, mu, nu)

    return optax.GradientTransformation(init, update)


def main(num_steps: int = 50) -> str:
    rng = np.random.default_rng(0)
    params = {"w": rng.normal(size=(3, 2)).astype(np.float32), "b": np.zeros(2, np.float32)}
    # small gradients (|g|² ~ 1e-6): where ε = 1e-8 inside or outside the root matters
    grads = jax.tree.map(lambda p: 1e-3 * rng.normal(size=(num_steps, *p.shape)), params)
    grads = jax.tree.map(lambda g: g.astype(np.float32), grads)
    lr = 1e-2

    # 1. against the formula, under jit / no jit / vmap, on every backend
    adam_formula = functools.partial(reference.adam, learning_rate=lr)
    check_transform(my_adam(lr), adam_formula, params, grads, variants=("jit", "no_jit", "vmap"))
    print(f"my_adam == Adam's formula on {available_backends()} (jit, no_jit, vmap)")

    # 2. against torch.optim.Adam (float32, same params and gradients)
    try:
        import torch
    except ImportError:
        print('torch not installed: pip install "lrx[parity]" for the torch check')
    else:
        want = torch_trajectory(lambda ps: torch.optim.Adam(ps, lr=lr), params, grads)
        assert_trajectories_close(trajectory(my_adam(lr), params, grads), want, atol=1e-6)
        print("my_adam == torch.optim.Adam")

    # 3. the deliberate mistake: eps inside the square root
    desired = reference_trajectory(reference.adam, params, grads, learning_rate=lr)
    try:
        assert_trajectories_close(trajectory(my_adam(lr, eps_inside=True), params, grads), desired)
    except AssertionError as err:
        message = str(err)
    else:  # pragma: no cover - the check exists to fail
        raise SystemExit("eps inside the root was not caught")
    print("eps inside the root:\n" + message)
    return message


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    main(parser.parse_args().steps)
