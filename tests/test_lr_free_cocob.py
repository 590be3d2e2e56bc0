"""COCOB-Backprop (``lrx.cocob``) against the authors' ``parameterfree`` 0.0.1.

References: Orabona, Tommasi, "Training Deep Networks without Learning Rates Through Coin
Betting", NeurIPS 2017. Closed-loop runs on the problems of
tests/reference/lr_free_problems.py; golden values from
tests/reference/gen_lr_free_dog_cocob_momo.py (configurations: defaults, alpha, weight decay,
eps).
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
from tests.reference import gen_lr_free_dog_cocob_momo as gen
from tests.reference.lr_free_problems import PROBLEMS

LOSS = PROBLEMS["lstsq"].loss_jax


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_equals_authors_golden(problem, dtype):
    assert gen.golden_check("cocob", problem, dtype)


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_equals_authors_live(problem, dtype):
    pytest.importorskip("torch")
    pytest.importorskip("parameterfree")
    assert gen.live_check("cocob", problem, dtype)


def _params():
    return {k: jnp.asarray(v) for k, v in PROBLEMS["lstsq"].init(np.float32).items()}


@jax.jit
def _step(p, s):
    g = jax.grad(LOSS)(p)
    u, s = TX.update(g, s, p)
    return optax.apply_updates(p, u), s


TX = lrx.cocob(weight_decay=1e-3)


def _run(params, state, steps):
    for _ in range(steps):
        params, state = _step(params, state)
    return params, state


def test_resume_from_serialized_state_is_bit_identical():
    p0 = _params()
    p_mid, s_mid = _run(p0, TX.init(p0), 5)
    restored = flax.serialization.from_bytes(TX.init(p0), flax.serialization.to_bytes(s_mid))
    chex.assert_trees_all_equal(_run(p_mid, restored, 5), _run(p0, TX.init(p0), 10))


def test_learning_rate_is_distance_over_gradient_sum():
    """lrx.learning_rate reports ‖x − x0‖ / ‖Σ g‖ of the params the last update produced."""
    p0 = _params()
    state = TX.init(p0)
    np.testing.assert_allclose(lrx.learning_rate(state), 1 / (100 * 1e-8), rtol=1e-6)
    p, state = _run(p0, state, 4)
    dist = sum(
        float(jnp.sum((a - b) ** 2))
        for a, b in zip(jax.tree.leaves(p), jax.tree.leaves(p0), strict=True)
    )
    gsum = sum(float(jnp.sum(t**2)) for t in jax.tree.leaves(state.sum_negative_gradients))
    np.testing.assert_allclose(lrx.learning_rate(state), np.sqrt(dist / gsum), rtol=1e-4)
    assert lrx.next_learning_rate(state) == lrx.learning_rate(state)


def test_first_step_bets_one_over_alpha():
    tx = lrx.cocob(alpha=20.0)
    p = jnp.array([1.0, -2.0, 0.5])
    u, _ = tx.update(jnp.array([3.0, -0.1, 0.0]), tx.init(p), p)
    np.testing.assert_allclose(u, [-1 / 20, 1 / 20, 0.0], rtol=1e-6)


def test_skip_nonfinite_skips_a_nan_step():
    tx = lrx.skip_nonfinite(TX)
    p = _params()
    s = tx.init(p)
    u, s2 = tx.update(jax.tree.map(lambda x: jnp.full_like(x, jnp.inf), p), s, p)
    assert all(float(jnp.max(jnp.abs(x))) == 0.0 for x in jax.tree.leaves(u))
    chex.assert_trees_all_equal(s2.inner_state, s.inner_state)
    g = jax.grad(LOSS)(p)
    chex.assert_trees_all_equal(tx.update(g, s2, p)[0], TX.update(g, TX.init(p), p)[0])


def test_validation_and_errors():
    for kwargs, name in [
        ({"alpha": -1.0}, "alpha"),
        ({"eps": -1.0}, "eps"),
        ({"weight_decay": -1.0}, "weight_decay"),
    ]:
        with pytest.raises(ValueError, match=name):
            lrx.cocob(**kwargs)
    p = _params()
    with pytest.raises(ValueError, match="params"):
        TX.update(p, TX.init(p))
    with pytest.raises(ValueError, match="complex"):
        TX.init({"a": jnp.ones(2, jnp.complex64)})
