"""Tests of lrx.scale_by_learning_rate and lrx.scale_by_schedule.

Reference: the ``η_t`` of article 000's summary update
``θ_{t+1} = θ_t − η_t / σ_t · m_t`` (四、总结) and the plain ``θ ← θ − η ∇J`` of article
article 003 (4.1): the update is ``−η(t) u`` with ``t`` the number of updates
already applied, and the state remembers the ``η`` applied last.
"""

import warnings

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrx
from lrx._validate import INT32_MAX
from tests.grads import JIT, maybe_jit

G = {"w": jnp.array([[1.0, -2.0], [0.5, 4.0]]), "b": jnp.array([3.0])}


def _sched(t):
    return 0.5 / (1.0 + t)


@JIT
def test_schedule_value_of_each_count(jit):
    tx = lrx.scale_by_learning_rate(lrx.from_fn(_sched))
    state = tx.init(G)
    np.testing.assert_allclose(float(state.learning_rate), _sched(0))  # before any update
    update = maybe_jit(jit, tx.update)
    for t in range(5):
        u, state = update(G, state)
        expected = jax.tree.map(lambda g, t=t: -_sched(t) * np.asarray(g), G)
        chex.assert_trees_all_close(u, expected, rtol=1e-6)
        np.testing.assert_allclose(float(state.learning_rate), _sched(t), rtol=1e-6)
        assert int(state.count) == t + 1


@JIT
def test_flip_sign_false_and_scale_by_schedule(jit):
    for tx in (
        lrx.scale_by_learning_rate(0.25, flip_sign=False),
        lrx.scale_by_schedule(lrx.constant(0.25)),
    ):
        u, _ = maybe_jit(jit, tx.update)(G, tx.init(G))
        chex.assert_trees_all_close(u, jax.tree.map(lambda g: 0.25 * np.asarray(g), G))


@JIT
def test_scale_by_schedule_counts(jit):
    tx = lrx.scale_by_schedule(lrx.step_decay(1.0, step_size=2, gamma=0.5))
    state = tx.init(G)
    update = maybe_jit(jit, tx.update)
    scales = []
    for _ in range(5):
        u, state = update(G, state)
        scales.append(float(u["b"][0]) / 3.0)
    np.testing.assert_allclose(scales, [1.0, 1.0, 0.5, 0.5, 0.25])


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16, jnp.float32])
def test_update_dtype_preserved_state_float32(dtype):
    tx = lrx.scale_by_learning_rate(0.1)
    g = jax.tree.map(lambda x: x.astype(dtype), G)
    u, state = tx.update(g, tx.init(g))
    assert all(x.dtype == dtype for x in jax.tree.leaves(u))
    assert state.learning_rate.dtype == jnp.float32 and state.count.dtype == jnp.int32


def test_float64_updates_under_x64():
    with jax.enable_x64(True):
        tx = lrx.scale_by_learning_rate(0.1)
        g = jnp.ones(2, jnp.float64)
        u, _ = tx.update(g, tx.init(g))
        assert u.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(u), -0.1, rtol=1e-7)


def test_count_saturates():
    tx = lrx.scale_by_learning_rate(lrx.from_fn(_sched))
    state = tx.init(G)._replace(count=jnp.asarray(INT32_MAX, jnp.int32))
    u, state = tx.update(G, state)
    assert int(state.count) == INT32_MAX
    chex.assert_tree_all_finite(u)


def test_traced_learning_rate_inside_jit():
    """A learning rate passed into a jitted function (a tracer) is accepted, not validated."""

    @jax.jit
    def step(lr, g):
        tx = lrx.scale_by_learning_rate(lr)
        return tx.update(g, tx.init(g))[0]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        u = step(jnp.asarray(0.5), G)
    chex.assert_trees_all_close(u, jax.tree.map(lambda g: -0.5 * np.asarray(g), G))


def test_numpy_scalar_and_int_learning_rates():
    for lr in (np.float32(0.5), np.float64(0.5), 1):
        tx = lrx.scale_by_learning_rate(lr)
        u, state = tx.update(G, tx.init(G))
        np.testing.assert_allclose(float(state.learning_rate), float(lr))
        np.testing.assert_allclose(np.asarray(u["b"]), [-3.0 * float(lr)])
