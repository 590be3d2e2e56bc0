"""Composite schedules: sequence, per_epoch, from_fn.

References:
- torch SequentialLR goldens (schedule i runs on t - milestones[i-1]) and ConstantLR
  (factor < 1 is a two-piece sequence), live torch run; optax ``join_schedules``.
- per_epoch: a torch scheduler stepped once per epoch of ``steps_per_epoch`` updates,
  simulated in NumPy from the per-epoch values.
"""

from __future__ import annotations

import json

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from tests._schedule_paths import assert_schedule_close
from tests.grads import JIT, maybe_jit

RTOL = 2e-5


def test_sequence_matches_optax_join_schedules():
    mine = lrx.sequence(
        [lrx.linear_schedule(0.0, 0.1, 10), lrx.constant(0.1), lrx.exponential_decay(0.1, 1, 0.9)],
        [10, 30],
    )
    theirs = optax.join_schedules(
        [
            optax.linear_schedule(0.0, 0.1, 10),
            optax.constant_schedule(0.1),
            optax.exponential_decay(0.1, 1, 0.9),
        ],
        [10, 30],
    )
    counts = jnp.arange(80, dtype=jnp.float32)  # optax needs float counts under strict promotion
    assert_schedule_close(mine, theirs(counts), rtol=RTOL, atol=1e-9)


def test_sequence_semantics():
    a, b, c = lrx.constant(1.0), lrx.linear_schedule(0.0, 1.0, 4), lrx.step_decay(1.0, 1, 0.5)
    v = lrx.sequence([a, b, c], [3, 3 + 2]).values(8)
    np.testing.assert_allclose(v, [1, 1, 1, 0, 0.25, 1, 0.5, 0.25])
    assert lrx.sequence([a], []).values(3).tolist() == [1.0, 1.0, 1.0]
    # equal boundaries: the middle schedule never runs
    np.testing.assert_allclose(lrx.sequence([a, b, c], [2, 2]).values(4), [1, 1, 1, 0.5])


def test_sequence_numbers_and_callables():
    s = lrx.sequence([0.1, lambda t: 0.01 * jnp.ones_like(t)], [2])
    np.testing.assert_allclose(s.values(4), [0.1, 0.1, 0.01, 0.01], rtol=1e-6)
    assert s.schedules[0] == lrx.constant(0.1)


@pytest.mark.parametrize("steps_per_epoch", [1, 3, 7])
def test_per_epoch(steps_per_epoch):
    inner = lrx.step_decay(0.1, 20, 0.5)  # 002's StepLR, per epoch
    epochs = inner.values(30)
    got = lrx.per_epoch(inner, steps_per_epoch).values(30 * steps_per_epoch)
    np.testing.assert_allclose(got, np.repeat(epochs, steps_per_epoch), rtol=1e-7)


def test_per_epoch_large_counts():
    s = lrx.per_epoch(lrx.exponential_decay(1.0, 1, 0.99), 2**20)
    t = 2**30 + 128 * 7  # exact in float32; epoch 1024
    np.testing.assert_allclose(s(jnp.int32(t)), 0.99**1024, rtol=1e-5)
    s = lrx.per_epoch(lrx.step_decay(1.0, 10**6, 0.5), 1000)
    np.testing.assert_allclose(
        s(jnp.int32(2**31 - 1)), 0.5**2, rtol=1e-6
    )  # epoch 2147483: 2 decays


# -- from_fn ---------------------------------------------------------------------------------
def _fn(t):
    return 0.1 * jnp.exp(-t / 50.0)


def test_from_fn_values_and_jit():
    s = lrx.from_fn(_fn)
    np.testing.assert_allclose(s.values(100), 0.1 * np.exp(-np.arange(100) / 50.0), rtol=1e-6)
    np.testing.assert_allclose(jax.jit(s)(jnp.int32(50)), 0.1 * np.exp(-1.0), rtol=1e-6)
    # scalar-returning functions broadcast to the count's shape
    c = lrx.from_fn(lambda t: jnp.float32(0.3))
    assert c(jnp.arange(5)).shape == (5,)


def test_from_fn_identity_hash_and_eq():
    s1, s2 = lrx.from_fn(_fn), lrx.from_fn(_fn)
    assert s1 == s2 and hash(s1) == hash(s2)
    assert lrx.from_fn(lambda t: t) != lrx.from_fn(lambda t: t)
    assert lrx.from_fn(s1) is s1  # a Schedule is returned as is
    assert "fn=" in repr(s1) and "_fn" in repr(s1)

    class Unhashable:
        __hash__ = None

        def __call__(self, t):
            return t * 0.0 + 0.2

    u = lrx.from_fn(Unhashable())
    assert isinstance(hash(u), int)
    np.testing.assert_allclose(u.values(3), [0.2, 0.2, 0.2], rtol=1e-6)


def test_from_fn_not_serializable():
    with pytest.raises(TypeError, match="cannot be serialized"):
        lrx.from_fn(_fn).to_config()
    with pytest.raises(TypeError, match="cannot be serialized"):
        lrx.warmup(lrx.from_fn(_fn), 10).to_config()
    with pytest.raises(ValueError, match="cannot be built from a config"):
        lrx.schedule_from_config({"name": "from_fn", "fn": "os.system"})


def test_from_fn_validation():
    with pytest.raises(ValueError, match=r"^fn"):
        lrx.from_fn(0.1)
    with pytest.raises(ValueError, match=r"^fn must return a real"):
        lrx.from_fn(lambda t: t > 3)(jnp.int32(1))


@JIT
def test_sequence_array_counts(jit):
    s = lrx.sequence([lrx.constant(1.0), lrx.step_decay(1.0, 1, 0.5)], [2])
    out = maybe_jit(jit, s)(jnp.array([[0, 1], [2, 4]], jnp.int32))
    chex.assert_trees_all_close(out, jnp.array([[1.0, 1.0], [1.0, 0.25]], jnp.float32))


@JIT
def test_per_epoch_scalar(jit):
    s = lrx.per_epoch(lrx.step_decay(1.0, 1, 0.5), 3)
    chex.assert_trees_all_close(maybe_jit(jit, s)(jnp.int32(7)), jnp.float32(0.25))


def test_nested_config_round_trip():
    s = lrx.per_epoch(lrx.warmup(lrx.sequence([lrx.cosine_annealing(0.1, 20), 0.001], [20]), 5), 10)
    config = json.loads(json.dumps(s.to_config()))
    assert config["schedule"]["schedule"]["schedules"][1] == {"name": "constant", "value": 0.001}
    back = lrx.schedule_from_config(config)
    assert back == s and hash(back) == hash(s)
    np.testing.assert_array_equal(back.values(300), s.values(300))


@pytest.mark.parametrize(
    ("build", "arg"),
    [
        (lambda: lrx.sequence([], []), "schedules"),
        (lambda: lrx.sequence(lrx.constant(0.1), []), "schedules"),
        (lambda: lrx.sequence([lrx.constant(0.1), "x"], [3]), r"schedules\[1\]"),
        (lambda: lrx.sequence([0.1, 0.2], []), "boundaries"),
        (lambda: lrx.sequence([0.1, 0.2], [3, 4]), "boundaries"),
        (lambda: lrx.sequence([0.1, 0.2, 0.3], [5, 3]), "boundaries"),
        (lambda: lrx.sequence([0.1, 0.2], [-1]), "boundaries"),
        (lambda: lrx.sequence([0.1, 0.2], [2.5]), "boundaries"),
        (lambda: lrx.per_epoch(lrx.constant(0.1), 0), "steps_per_epoch"),
        (lambda: lrx.per_epoch(None, 10), "schedule"),
    ],
)
def test_invalid_hyperparameters(build, arg):
    with pytest.raises(ValueError, match=rf"^{arg}"):
        build()
