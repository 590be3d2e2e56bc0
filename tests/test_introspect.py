"""Tests for ``lrx.learning_rate(opt_state)``.

Reference: the learning rate in force is the schedule value of the last update
(of update 0 before any) times the reduce_on_plateau scale held now; under ``partition`` a
dict label -> value. This is the global rate ``η_t`` of article 000's
summary formula ``θ_{t+1} = θ_t − η_t / σ_t · m_t``, with the plateau reduction of its
"自适应学习率 + 学习率调度" recommendation (Adam + Reduce on Plateau) applied on top.
"""

from __future__ import annotations

import chex
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.transforms.learning_rate import ScaleByLearningRateState
from tests.grads import JIT, maybe_jit


def _schedule_np(t):
    """NumPy reference schedule: 0.1 · 0.9^t."""
    return 0.1 * 0.9 ** np.asarray(t, np.float64)


def _schedule(count):
    return 0.1 * 0.9 ** count.astype(jnp.float32)


def _params():
    return {"vision": {"w": jnp.ones(3)}, "text": {"w": jnp.ones(2), "b": jnp.ones(1)}}


@JIT
def test_schedule_value_of_last_update(jit):
    tx = lrx.chain(optax.trace(decay=0.9), lrx.scale_by_learning_rate(_schedule))
    read = maybe_jit(jit, lrx.learning_rate)
    state = tx.init(jnp.zeros(2))
    np.testing.assert_allclose(read(state), _schedule_np(0), rtol=1e-6)  # before any
    for k in range(1, 5):
        _, state = tx.update(jnp.ones(2), state)
        # after k updates the last one was update k-1
        np.testing.assert_allclose(read(state), _schedule_np(k - 1), rtol=1e-6)


@JIT
def test_times_plateau_scale(jit):
    tx = lrx.chain(
        lrx.scale_by_learning_rate(_schedule), lrx.reduce_on_plateau(factor=0.5, patience=0)
    )
    read = maybe_jit(jit, lrx.learning_rate)
    state = tx.init(jnp.zeros(2))
    expected_scale = [1.0, 0.5, 0.25, 0.25]
    for k, (value, scale) in enumerate(zip([2.0, 3.0, 3.0, 1.0], expected_scale, strict=True)):
        _, state = tx.update(jnp.ones(2), state, value=value)
        np.testing.assert_allclose(read(state), _schedule_np(k) * scale, rtol=1e-6)
    # A later per-epoch observation cuts the scale for the NEXT update: the rate the last
    # update used is unchanged (0.2.0: it used to include the new scale).
    state = lrx.observe(state, 5.0)
    np.testing.assert_allclose(read(state), _schedule_np(3) * 0.25, rtol=1e-6)
    if "next_learning_rate" in ScaleByLearningRateState._fields:
        upcoming = maybe_jit(jit, lrx.next_learning_rate)(state)
        np.testing.assert_allclose(upcoming, _schedule_np(4) * 0.125, rtol=1e-6)


@JIT
def test_partition_gives_a_dict_per_label(jit):
    tx = lrx.chain(
        lrx.partition(
            {
                "vision": lrx.chain(optax.trace(decay=0.9), lrx.scale_by_learning_rate(1e-2)),
                "text": lrx.chain(
                    lrx.scale_by_learning_rate(_schedule),
                    lrx.reduce_on_plateau(factor=0.1, patience=0),
                ),
                "frozen": optax.set_to_zero(),
            },
            patterns={"vision/**": "vision", "text/w": "text", "**": "frozen"},
        ),
        lrx.reduce_on_plateau(factor=0.5, patience=1),  # global, outside the partition
    )
    read = maybe_jit(jit, lrx.learning_rate)
    params = _params()
    state = tx.init(params)
    lr = read(state)
    assert set(lr) == {"vision", "text"}  # "frozen" holds no learning rate
    np.testing.assert_allclose(lr["vision"], 1e-2, rtol=1e-6)
    np.testing.assert_allclose(lr["text"], _schedule_np(0), rtol=1e-6)
    grads = jax.tree.map(jnp.ones_like, params)
    for value in (1.0, 2.0, 2.0):  # text: cut at the 2nd and 3rd; global: at the 3rd
        _, state = tx.update(grads, state, params, value=value)
    lr = read(state)
    np.testing.assert_allclose(lr["vision"], 1e-2 * 0.5, rtol=1e-6)
    np.testing.assert_allclose(lr["text"], _schedule_np(2) * 0.01 * 0.5, rtol=1e-5)


def test_optax_partition_and_nested_partition_keys():
    inner = lrx.partition(
        {"a": lrx.scale_by_learning_rate(0.3), "b": lrx.scale_by_learning_rate(0.4)},
        patterns={"text/w": "a", "**": "b"},
    )
    tx = optax.transforms.partition(
        {"text": inner, "vision": lrx.scale_by_learning_rate(0.2)},
        {"vision": "vision", "text": "text"},
    )
    lr = lrx.learning_rate(tx.init(_params()))
    assert set(lr) == {"vision", "text/a", "text/b"}
    np.testing.assert_allclose(
        [lr["vision"], lr["text/a"], lr["text/b"]], [0.2, 0.3, 0.4], rtol=1e-6
    )


def test_several_rates_and_scales_multiply():
    tx = lrx.chain(
        lrx.scale_by_learning_rate(0.5),
        lrx.reduce_on_plateau(factor=0.5, patience=0),
        lrx.scale_by_learning_rate(0.2, flip_sign=False),
    )
    state = lrx.observe(lrx.observe(tx.init(jnp.zeros(1)), 1.0), 1.0)
    np.testing.assert_allclose(lrx.learning_rate(state), 0.5 * 0.5 * 0.2, rtol=1e-6)


def test_round_trip_through_flax_serialization():
    tx = lrx.chain(
        lrx.scale_by_learning_rate(_schedule), lrx.reduce_on_plateau(factor=0.5, patience=0)
    )
    state = tx.init(jnp.zeros(2))
    for value in (1.0, 2.0, 3.0):
        _, state = tx.update(jnp.ones(2), state, value=value)
    restored = flax.serialization.from_bytes(
        tx.init(jnp.zeros(2)), flax.serialization.to_bytes(state)
    )
    np.testing.assert_allclose(lrx.learning_rate(restored), _schedule_np(2) * 0.25, rtol=1e-6)
    chex.assert_trees_all_equal(lrx.learning_rate(restored), lrx.learning_rate(state))

    ptx = lrx.partition(
        {"v": lrx.scale_by_learning_rate(0.1), "t": lrx.scale_by_learning_rate(_schedule)},
        patterns={"vision/**": "v", "**": "t"},
    )
    pstate = ptx.init(_params())
    _, pstate = ptx.update(jax.tree.map(jnp.ones_like, _params()), pstate)
    prestored = flax.serialization.from_bytes(
        ptx.init(_params()), flax.serialization.to_bytes(pstate)
    )
    chex.assert_trees_all_close(
        lrx.learning_rate(prestored), {"v": jnp.float32(0.1), "t": jnp.float32(0.1)}
    )


def test_inject_hyperparams_learning_rate():
    tx = optax.inject_hyperparams(optax.sgd)(
        learning_rate=lambda count: 1.0 - 0.1 * count.astype(jnp.float32)
    )
    state = tx.init(jnp.zeros(2))
    np.testing.assert_allclose(lrx.learning_rate(state), 1.0, rtol=1e-6)
    for _ in range(3):
        _, state = tx.update(jnp.ones(2), state)
    np.testing.assert_allclose(lrx.learning_rate(state), 0.8, rtol=1e-6)  # value of update 2


def test_nnx_optimizer_state_is_read_directly():
    nnx = pytest.importorskip("flax.nnx")
    model = nnx.Linear(2, 1, rngs=nnx.Rngs(0))
    tx = lrx.chain(optax.trace(decay=0.9), lrx.scale_by_learning_rate(_schedule))
    optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
    grads = nnx.grad(lambda m: jnp.sum(m(jnp.ones((1, 2)))))(model)
    optimizer.update(model, grads)
    optimizer.update(model, grads)
    np.testing.assert_allclose(lrx.learning_rate(optimizer.opt_state), _schedule_np(1), rtol=1e-6)


@pytest.mark.parametrize(
    "tx",
    [optax.scale_by_adam(), optax.adam(1e-3), lrx.reduce_on_plateau(), optax.identity()],
    ids=["bare_transform", "optax_adam", "plateau_alone", "identity"],
)
def test_error_without_learning_rate(tx):
    with pytest.raises(ValueError, match=r"holds no learning rate.*scale_by_learning_rate"):
        lrx.learning_rate(tx.init(jnp.zeros(2)))
