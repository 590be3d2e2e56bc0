"""MoMo and MomoAdam (``lrx.momo``, ``lrx.momo_adam``) against the authors' ``momo-opt`` 0.1.0.

References: Schaipp, Ohana, Eickenberg, Defazio, Gower, "MoMo: Momentum Models for Adaptive
Learning Rates", ICML 2024. Closed-loop runs (each side takes the loss and gradient at its own
iterate) on the problems of tests/reference/lr_free_problems.py; golden values from
tests/reference/gen_lr_free_dog_cocob_momo.py (configurations: defaults, lr, weight decay,
lb, beta, bias_correction, use_fstar, use_fstar with weight decay; MomoAdam also
divide=False).
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

METHODS = ("momo", "momo_adam")
LOSS = PROBLEMS["lstsq"].loss_jax


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("method", METHODS)
def test_equals_authors_golden(method, problem, dtype):
    assert gen.golden_check(method, problem, dtype)


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("method", METHODS)
def test_equals_authors_live(method, problem, dtype):
    pytest.importorskip("torch")
    pytest.importorskip("momo")
    assert gen.live_check(method, problem, dtype)


def _params():
    return {k: jnp.asarray(v) for k, v in PROBLEMS["lstsq"].init(np.float32).items()}


def _stepper(tx):
    @jax.jit
    def step(p, s):
        loss, g = jax.value_and_grad(LOSS)(p)
        u, s = tx.update(g, s, p, value=loss)
        return optax.apply_updates(p, u), s, u

    def run(params, state, steps):
        for _ in range(steps):
            params, state, u = step(params, state)
        return params, state, u

    return run


@pytest.mark.parametrize("method", METHODS)
def test_resume_from_serialized_state_is_bit_identical(method):
    tx = getattr(lrx, method)(weight_decay=1e-3, use_fstar=True)
    run = _stepper(tx)
    p0 = _params()
    p_mid, s_mid, _ = run(p0, tx.init(p0), 5)
    restored = flax.serialization.from_bytes(tx.init(p0), flax.serialization.to_bytes(s_mid))
    chex.assert_trees_all_equal(run(p_mid, restored, 5)[:2], run(p0, tx.init(p0), 10)[:2])


def test_learning_rate_is_the_tau_applied():
    """Without weight decay the update is ``−τ d``; lrx.learning_rate reads τ."""
    tx = lrx.momo()
    p0 = _params()
    state = tx.init(p0)
    assert float(lrx.learning_rate(state)) == 0.0
    _, state, u = _stepper(tx)(p0, state, 3)
    tau = lrx.learning_rate(state)
    chex.assert_trees_all_close(u, jax.tree.map(lambda d: -tau * d, state.grad_avg), rtol=1e-6)
    assert lrx.next_learning_rate(state) == tau


def test_momo_adam_learning_rate_is_the_tau_applied():
    tx = lrx.momo_adam()
    p0 = _params()
    _, state, u = _stepper(tx)(p0, tx.init(p0), 3)
    tau = lrx.learning_rate(state)
    k = 3

    def direction(m, v):
        return m / (jnp.sqrt(v / (1 - 0.999**k)) + 1e-8)

    want = jax.tree.map(lambda m, v: -tau * direction(m, v), state.grad_avg, state.grad_avg_sq)
    chex.assert_trees_all_close(u, want, rtol=1e-5)


def test_momo_first_step_is_polyak_capped_by_lr():
    """First step, no bias correction: τ = min(lr, f / ‖g‖²) (``d_1 = g_1``, ``γ_1 = <g, x>``)."""
    x = jnp.array([3.0, 4.0])
    g = x
    for lr, want in [(1.0, 12.5 / 25), (0.1, 0.1)]:
        tx = lrx.momo(learning_rate=lr)
        _, state = tx.update(g, tx.init(x), x, value=jnp.float32(12.5))
        np.testing.assert_allclose(state.tau, want, rtol=1e-6)


def test_momo_schedule_caps_tau():
    sched = lrx.step_decay(1e-3, step_size=1, gamma=0.5)
    tx = lrx.momo(learning_rate=sched)
    p0 = _params()
    state = tx.init(p0)
    run = _stepper(tx)
    for t in range(3):
        p0, state, _ = run(p0, state, 1)
        np.testing.assert_allclose(lrx.learning_rate(state), sched(t), rtol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_skip_nonfinite_passes_value_and_skips_a_nan_loss(method):
    tx = lrx.skip_nonfinite(getattr(lrx, method)())
    p = _params()
    s = tx.init(p)
    loss, g = jax.value_and_grad(LOSS)(p)
    u, s1 = tx.update(g, s, p, value=loss)
    assert int(s1.num_skipped) == 0
    assert float(lrx.learning_rate(s1)) > 0
    u, s2 = tx.update(g, s1, p, value=jnp.float32(jnp.nan))  # a NaN loss poisons the state
    assert int(s2.num_skipped) == 1
    assert all(float(jnp.max(jnp.abs(x))) == 0.0 for x in jax.tree.leaves(u))
    chex.assert_trees_all_equal(s2.inner_state, s1.inner_state)


@pytest.mark.parametrize("method", METHODS)
def test_validation_and_errors(method):
    factory = getattr(lrx, method)
    for kwargs, name in [
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"use_fstar": 1}, "use_fstar"),
    ]:
        with pytest.raises(ValueError, match=name):
            factory(**kwargs)
    tx = factory()
    p = _params()
    g = jax.grad(LOSS)(p)
    with pytest.raises(ValueError, match="value=loss"):
        tx.update(g, tx.init(p), p)
    with pytest.raises(ValueError, match="params"):
        tx.update(g, tx.init(p), value=1.0)
    with pytest.raises(ValueError, match="complex"):
        tx.init({"a": jnp.ones(2, jnp.complex64)})
