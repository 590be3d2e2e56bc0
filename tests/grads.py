"""Gradient sequences, drivers and the ``jit`` parameter shared by the tests (the references
themselves are lrx.testing.reference)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
import pytest

from lrx.testing.reference import reference_trajectory

JIT = pytest.mark.parametrize("jit", [True, False], ids=["jit", "no_jit"])


def maybe_jit(jit: bool, fn: Any, **kwargs: Any) -> Any:
    """``jax.jit(fn, **kwargs)`` when ``jit`` (the test's ``JIT`` parameter), else ``fn``."""
    return jax.jit(fn, **kwargs) if jit else fn


def make_grads(num_steps: int = 20, seed: int = 0, dtype: Any = np.float32) -> list[dict]:
    """``num_steps`` gradient trees ``{"w": (3, 2), "b": (2,)}`` with mixed scales.

    A complex ``dtype`` gets independent real and imaginary parts of the same scales.
    """
    rng = np.random.default_rng(seed)
    scales = {"w": np.array([[1.0, 0.1], [10.0, 1.0], [0.01, 3.0]]), "b": np.array([0.5, 2.0])}

    def draw(s):
        x = rng.normal(size=s.shape) * s
        if np.issubdtype(np.dtype(dtype), np.complexfloating):
            x = x + 1j * rng.normal(size=s.shape) * s
        return x.astype(dtype)

    return [{k: draw(s) for k, s in scales.items()} for _ in range(num_steps)]


def stack(grads: Sequence[dict]) -> dict:
    """A list of gradient trees as one tree with a leading step axis (lrx.testing's input)."""
    return jax.tree.map(lambda *xs: np.stack(xs), *grads)


def _wide(x) -> np.ndarray:
    """``x`` as float64, or complex128 when complex."""
    x = np.asarray(x)
    return x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)


def ref_outputs(step, grads: Sequence[dict], **hyperparameters) -> list[dict]:
    """The outputs of a bare transform (no learning rate: ``learning_rate=-1``) per step,
    from a reference step of lrx.testing.reference, as a list of trees."""
    zeros = jax.tree.map(np.zeros_like, grads[0])
    traj = reference_trajectory(step, zeros, stack(grads), learning_rate=-1.0, **hyperparameters)
    return [jax.tree.map(lambda u, k=k: u[k], traj.updates) for k in range(len(grads))]


def run_updates(update, state, grads: Sequence[dict]) -> tuple[list[dict], object]:
    """Feed ``grads`` one by one through ``update(g, state)``; return outputs and last state."""
    outs = []
    for g in grads:
        u, state = update(g, state)
        outs.append({k: _wide(v) for k, v in u.items()})
    return outs, state


def _outputs(traj):
    """The updates of a trajectory in the params slot (a zero row, then update ``k`` at row
    ``k + 1``): a bare transform's outputs compared step by step, without the float32
    rounding of their running sum in the params."""
    from lrx.testing import Trajectory

    rows = jax.tree.map(lambda u: np.concatenate([np.zeros_like(u[:1]), u]), traj.updates)
    return Trajectory(rows, traj.updates, traj.learning_rates)


def assert_matches_reference(tx, step, grads: Sequence[dict], *, jit: bool, rtol, atol, **hp):
    """lrx.testing: the outputs of the bare transform ``tx`` at every step equal the
    reference step's (``learning_rate=-1``: the output is added to the params)."""
    from lrx.testing import assert_trajectories_close, trajectory

    params = jax.tree.map(np.zeros_like, grads[0])
    actual = trajectory(tx, params, stack(grads), jit=jit)
    desired = reference_trajectory(step, params, stack(grads), learning_rate=-1.0, **hp)
    assert_trajectories_close(_outputs(actual), _outputs(desired), rtol=rtol, atol=atol)
    return actual
