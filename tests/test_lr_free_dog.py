"""DoG and L-DoG (``lrx.dog``, ``lrx.ldog``) against the authors' ``dog-optimizer`` 1.0.3.

References: Ivgi, Hinder, Carmon, "DoG is SGD's Best Friend: A Parameter-Free Dynamic Step
Size Schedule", ICML 2023. Closed-loop runs on the problems of
tests/reference/lr_free_problems.py; golden values from
tests/reference/gen_lr_free_dog_cocob_momo.py. The 8-device check of all five methods of
that module (DoG, L-DoG, COCOB, MoMo, MomoAdam) lives here too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

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

METHODS = ("dog", "ldog")
LOSS = PROBLEMS["lstsq"].loss_jax


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("method", METHODS)
def test_equals_authors_golden(method, problem, dtype):
    """Every configuration (defaults, weight decay, reps_rel, init_eta, lr), 60 steps."""
    found = gen.golden_check(method, problem, dtype)
    assert found  # deviations were measured for every configuration


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("method", METHODS)
def test_equals_authors_live(method, problem, dtype):
    pytest.importorskip("torch")
    pytest.importorskip("dog")
    assert gen.live_check(method, problem, dtype)


def _params(dtype=jnp.float32):
    return {k: jnp.asarray(v) for k, v in PROBLEMS["lstsq"].init(np.dtype(dtype)).items()}


def _run(tx, params, state, steps, jit=True):
    def step(p, s):
        g = jax.grad(LOSS)(p)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s, u, g

    step = jax.jit(step) if jit else step
    for _ in range(steps):
        params, state, u, g = step(params, state)
    return params, state, u, g


@pytest.mark.parametrize("method", METHODS)
def test_resume_from_serialized_state_is_bit_identical(method):
    tx = getattr(lrx, method)()
    p0 = _params()
    p_mid, s_mid, _, _ = _run(tx, p0, tx.init(p0), 5)
    restored = flax.serialization.from_bytes(tx.init(p0), flax.serialization.to_bytes(s_mid))
    a = _run(tx, p_mid, restored, 5)
    b = _run(tx, p_mid, s_mid, 5)
    full = _run(tx, p0, tx.init(p0), 10)
    chex.assert_trees_all_equal(a, b)
    chex.assert_trees_all_equal(a[:2], full[:2])


@pytest.mark.parametrize("method", METHODS)
def test_learning_rate_is_the_step_applied(method):
    """``u = −η g`` per tensor; lrx.learning_rate reads η (L-DoG: the mean over tensors)."""
    tx = getattr(lrx, method)()
    p = _params()
    state = tx.init(p)
    assert float(lrx.learning_rate(state)) == 0.0  # the first η needs the first gradient
    _, state, u, g = _run(tx, p, state, 3)
    etas = jax.tree.map(lambda ui, gi: -jnp.sum(ui * gi) / jnp.sum(gi * gi), u, g)
    if method == "dog":
        for e in jax.tree.leaves(etas):
            np.testing.assert_allclose(e, state.eta, rtol=1e-5)
        np.testing.assert_allclose(lrx.learning_rate(state), state.eta, rtol=1e-6)
        assert lrx.next_learning_rate(state) == lrx.learning_rate(state)
    else:
        chex.assert_trees_all_close(etas, state.eta, rtol=1e-5)
        mean = np.mean([float(e) for e in jax.tree.leaves(state.eta)])
        np.testing.assert_allclose(lrx.learning_rate(state), mean, rtol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_init_eta_is_the_first_step_and_readable_before_it(method):
    tx = getattr(lrx, method)(init_eta=1e-3)
    p = _params()
    state = tx.init(p)
    np.testing.assert_allclose(lrx.learning_rate(state), 1e-3, rtol=1e-6)
    _, state, u, g = _run(tx, p, state, 1)
    chex.assert_trees_all_close(u, jax.tree.map(lambda x: -1e-3 * x, g), rtol=1e-6)
    for r in jax.tree.leaves(state.rbar):  # as the authors: r̄ starts at 0 with init_eta
        assert float(r) == 0.0


def test_dog_schedule_scales_eta():
    """A schedule multiplies η: η_t = lr(t) · r̄_t / sqrt(G_t)."""
    sched = lrx.step_decay(0.5, step_size=1, gamma=0.5)
    tx = lrx.dog(learning_rate=sched)
    p = _params()
    state = tx.init(p)
    for t in range(3):
        p, state, _, _ = _run(tx, p, state, 1)
        np.testing.assert_allclose(state.eta, sched(t) * state.rbar / jnp.sqrt(state.G), rtol=1e-6)


def test_skip_nonfinite_skips_a_nan_step():
    """(jit = no jit, inject_hyperparams and vmap: tests/cases/lr_free_dog_cocob_momo.py.)"""
    tx = lrx.skip_nonfinite(lrx.ldog())
    p = _params()
    p1, s1, _, _ = _run(tx, p, tx.init(p), 2)
    bad = jax.tree.map(lambda x: jnp.full_like(x, jnp.nan), p1)
    u, s2 = jax.jit(tx.update)(bad, s1, p1)
    assert all(float(jnp.max(jnp.abs(x))) == 0.0 for x in jax.tree.leaves(u))
    chex.assert_trees_all_equal(s2.inner_state, s1.inner_state)
    a = _run(tx, p1, s2, 2)
    b = _run(tx, p1, s1, 2)
    chex.assert_trees_all_equal(a[:2][0], b[:2][0])


@pytest.mark.parametrize("method", METHODS)
def test_validation_and_errors(method):
    factory = getattr(lrx, method)
    for kwargs, name in [
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"reps_rel": 0.0}, "reps_rel"),
        ({"eps": -1.0}, "eps"),
        ({"init_eta": -1.0}, "init_eta"),
        ({"weight_decay": -0.1}, "weight_decay"),
    ]:
        with pytest.raises(ValueError, match=name):
            factory(**kwargs)
    tx = factory()
    p = _params()
    with pytest.raises(ValueError, match="params"):
        tx.update(p, tx.init(p))
    with pytest.raises(ValueError, match="complex"):
        tx.init({"a": jnp.ones(2, jnp.complex64)})


# -- 8 devices equal 1 device (all five methods of the module) ------------------------------

WORKER = os.path.join(os.path.dirname(__file__), "workers", "lr_free_dog_cocob_momo_worker.py")


@pytest.fixture(scope="module")
def sharding_report():
    env = dict(os.environ)
    flags = re.sub(r"--xla_force_host_platform_device_count=\S*", "", env.get("XLA_FLAGS", ""))
    env["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count=8".strip()
    env["JAX_PLATFORMS"] = "cpu"
    proc = subprocess.run(
        [sys.executable, WORKER], capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_sharded_8_devices_equal_1_device_and_no_gather(sharding_report):
    assert sharding_report["devices"] == 8
    names = {"dog", "ldog", "cocob", "momo", "momo_adam"}
    assert set(sharding_report["cases"]) == names
    for name, res in sharding_report["cases"].items():
        assert res["problems"] == [], (name, res["problems"])
        assert res["checked"] > 0, name
        assert res["max_rel_diff"] <= 2e-6, (name, res["max_rel_diff"])
    assert sharding_report["control_caught"], "the checker missed a gathered parameter"
