"""Schedule-Free (SGD, AdamW, the wrapper, the evaluation iterate) against schedulefree 1.4.1.

Golden values (tests/reference/lr_free_sf_mechanic.json, written by
tests/reference/gen_lr_free_sf_mechanic.py) are the authors' float64 runs on the three
problems of tests/reference/lr_free_problems.py, closed loop (each side takes its own
gradient at its own training iterate ``y``); the live tests rerun the authors' package when
it is installed. Plus: jit = no jit, vmap over the warm-up length, resume from a checkpoint,
``skip_nonfinite``, the reported learning rate, validation, the Flax NNX example and the
8-device check (subprocess, ``slow``).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import chex
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from tests.reference import gen_lr_free_sf_mechanic as G

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = json.loads(Path(G.JSON_PATH).read_text())
RTOL = 1e-5


@functools.cache
def _jax64(config: str, problem: str) -> dict:
    return G.jax_run(config, problem, "float64")


def _golden_close(config: str, problem: str) -> dict[str, float]:
    want = GOLDEN["runs"][f"{config}/{problem}"]
    run = _jax64(config, problem)
    got = {
        "params": [run["params"][s - 1] for s in GOLDEN["steps"]],
        "estimate": [run["estimate"][s - 1] for s in GOLDEN["steps"]],
    }
    if "x" in want:
        got["x"] = run["x"]
    return G.max_rel(got, want)


@pytest.mark.parametrize("problem", list(G.PROBLEMS))
@pytest.mark.parametrize("config", G.SF_IDS)
def test_golden_float64(config, problem):
    """The params (y), the rate each step applied and the final x equal the authors' float64
    run to 1e-5 relative at every stored step (measured: <= 5e-8, the rate read in float32)."""
    dev = _golden_close(config, problem)
    assert max(dev.values()) < RTOL, dev


def test_golden_is_not_trivial():
    """The golden runs move: a comparison of unchanged params would prove nothing."""
    for config in G.SF_IDS:
        run = GOLDEN["runs"][f"{config}/mlp"]
        first, last = G._flat(run["params"][0]), G._flat(run["params"][-1])
        assert np.max(np.abs(last - first)) > 1e-2, config


_LIVE = ["sgd_default", "sgd_warmup", "adamw_default", "adamw_wd", "wrap_adam", "wrap_sgd_warmup"]


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("config", _LIVE)
def test_live_against_schedulefree(config, dtype):
    """Live: every step of the authors' optimizer. float64 within 1e-5; float32 within the
    authors' own float32 noise (10x their float32-vs-float64 deviation, at least 1e-5)."""
    pytest.importorskip("torch")
    pytest.importorskip("schedulefree")
    problem = "lstsq"
    t64 = G.torch_run(config, problem, "float64")
    if dtype == "float64":
        dev = G.max_rel(_jax64(config, problem), t64)
        assert max(dev.values()) < RTOL, dev
        return
    noise = G.max_rel(G.torch_run(config, problem, "float32"), t64)
    dev = G.max_rel(G.jax_run(config, problem, "float32"), t64)
    for k in dev:
        assert dev[k] <= max(10 * noise[k], 1e-5), (k, dev, noise)


# -- jit, vmap, resume, guards -----------------------------------------------------------------

_FACTORIES = {
    "sgd": lambda **kw: lrx.schedule_free_sgd(0.05, weight_decay=0.01, **kw),
    "adamw": lambda **kw: lrx.schedule_free_adamw(0.05, weight_decay=0.01, **kw),
    "wrap": lambda **kw: lrx.schedule_free(lrx.adam(0.05), learning_rate=0.05, **kw),
}
_PROB = G.PROBLEMS["mlp"]


def _loss(params):
    with jax.numpy_rank_promotion("allow"):  # the problem's bias broadcasts
        return _PROB.loss_jax(params)


def _params():
    return {k: jnp.asarray(v) for k, v in _PROB.init(np.float32).items()}


_JITTED: dict = {}  # one compiled step per transform, shared by the tests


def _step_fn(tx, jit):
    def step(params, state):
        u, state = tx.update(jax.grad(_loss)(params), state, params)
        return optax.apply_updates(params, u), state

    if not jit:
        return step
    if tx not in _JITTED:
        _JITTED[tx] = jax.jit(step)
    return _JITTED[tx]


def _steps(tx, n, params=None, state=None, jit=True):
    params = _params() if params is None else params
    state = tx.init(params) if state is None else state
    step = _step_fn(tx, jit)
    for _ in range(n):
        params, state = step(params, state)
    return params, state


@pytest.mark.parametrize("kind", list(_FACTORIES))
def test_jit_equals_no_jit(kind):
    tx = _FACTORIES[kind](warmup_steps=3)
    chex.assert_trees_all_close(
        _steps(tx, 5, jit=True), _steps(tx, 5, jit=False), rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("kind", list(_FACTORIES))
def test_vmap_over_warmup_steps_equals_the_loop(kind):
    """warmup_steps is numeric data: one program sweeps it."""
    warmups = jnp.asarray([0, 2, 6], jnp.int32)
    batched = jax.jit(jax.vmap(lambda w: _steps(_FACTORIES[kind](warmup_steps=w), 4, jit=False)))(
        warmups
    )
    for i, w in enumerate([0, 2, 6]):
        want = _steps(_FACTORIES[kind](warmup_steps=w), 4)
        got = jax.tree.map(lambda x, i=i: x[i], batched)
        chex.assert_trees_all_close(got, want, rtol=1e-5, atol=1e-7)
    # the sweep is not degenerate: the warm-up changes the result
    p0, p2 = (jax.tree.map(lambda x, i=i: x[i], batched[0]) for i in (0, 2))
    assert (
        max(
            float(jnp.max(jnp.abs(a - b)))
            for a, b in zip(*map(jax.tree.leaves, (p0, p2)), strict=True)
        )
        > 1e-4
    )


@pytest.mark.parametrize("kind", list(_FACTORIES))
def test_inject_hyperparams_over_learning_rate_and_b1(kind):
    make = {
        "sgd": lrx.schedule_free_sgd,
        "adamw": lrx.schedule_free_adamw,
        "wrap": lambda learning_rate, b1: lrx.schedule_free(
            lrx.sgd(learning_rate), learning_rate=learning_rate, b1=b1
        ),
    }[kind]
    injected = optax.inject_hyperparams(make)(learning_rate=0.05, b1=0.8)
    chex.assert_trees_all_close(
        _steps(injected, 4)[0], _steps(make(learning_rate=0.05, b1=0.8), 4)[0], rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("kind", list(_FACTORIES))
def test_resume_from_a_serialized_mid_run_state_is_bit_identical(kind):
    tx = _FACTORIES[kind](warmup_steps=4)
    params, state = _steps(tx, 3)
    blob = flax.serialization.to_bytes((params, state))
    restored = flax.serialization.from_bytes((_params(), tx.init(_params())), blob)
    straight = _steps(tx, 4, params, state)
    resumed = _steps(tx, 4, *restored)
    chex.assert_trees_all_equal(resumed, straight)


@pytest.mark.parametrize("kind", list(_FACTORIES))
def test_skip_nonfinite_leaves_params_and_state_unchanged(kind):
    tx = lrx.skip_nonfinite(_FACTORIES[kind]())
    params, state = _steps(tx, 2)
    bad = jax.tree.map(lambda p: jnp.full_like(p, jnp.nan), params)
    u, new_state = tx.update(bad, state, params)
    chex.assert_trees_all_equal(jax.tree.map(jnp.zeros_like, params), u)
    inner = lambda s: s.inner_state if hasattr(s, "inner_state") else s[1]  # noqa: E731
    chex.assert_trees_all_equal(inner(new_state), inner(state))
    # and it goes on like the unguarded optimizer
    chex.assert_trees_all_close(
        _steps(tx, 2, params, new_state)[0], _steps(tx, 4)[0], rtol=1e-5, atol=1e-7
    )


# -- the rate, the evaluation iterate -----------------------------------------------------------


@pytest.mark.parametrize("kind", list(_FACTORIES))
def test_learning_rate_is_the_warmed_up_rate_applied(kind):
    """lrx.learning_rate: γ_k = lr · min((k+1)/W, 1) of the last update (the first one's
    before any update); next_learning_rate: γ_{k+1}."""
    lr, warmup = 0.05, 4
    tx = _FACTORIES[kind](warmup_steps=warmup)  # one transform: one compiled step
    params = _params()
    state = tx.init(params)
    np.testing.assert_allclose(lrx.learning_rate(state), lr / warmup, rtol=1e-6)
    for k in range(6):
        params, state = _steps(tx, 1, params, state)
        np.testing.assert_allclose(lrx.learning_rate(state), lr * min((k + 1) / warmup, 1))
        np.testing.assert_allclose(lrx.next_learning_rate(state), lr * min((k + 2) / warmup, 1))


def test_sgd_step_applies_the_reported_rate():
    """The z step is exactly -γ g: the reported rate is the one applied."""
    tx = lrx.schedule_free_sgd(0.3, warmup_steps=3)
    params = _params()
    state = tx.init(params)
    g = jax.grad(_loss)(params)
    _, new_state = tx.update(g, state, params)
    gamma = lrx.learning_rate(new_state)
    chex.assert_trees_all_close(
        new_state.z, jax.tree.map(lambda p, g: p - gamma * g, params, g), rtol=1e-6
    )


def test_eval_params_is_x_and_inverts_the_interpolation():
    """x = y + (1 − 1/b1)(z − y), so y = (1 − b1) z + b1 x; before any update x = y."""
    tx = lrx.schedule_free_adamw(0.05, b1=0.8)
    params = _params()
    state = tx.init(params)
    chex.assert_trees_all_close(lrx.schedule_free_eval_params(state, params), params)
    params, state = _steps(tx, 5, params, state)
    x = lrx.schedule_free_eval_params(state, params)
    y = jax.tree.map(lambda z, x: 0.2 * z + 0.8 * x, state.z, x)
    chex.assert_trees_all_close(y, params, rtol=1e-5, atol=1e-7)
    # found inside a chain and an inject_hyperparams state too
    chained = optax.chain(optax.identity(), tx)
    _, cstate = _steps(chained, 5)
    chex.assert_trees_all_close(lrx.schedule_free_eval_params(cstate, params), x)
    with pytest.raises(ValueError, match="exactly one"):
        lrx.schedule_free_eval_params((state, state), params)


def test_warmup_counts_from_one_unlike_optax_contrib():
    """The authors' first warm-up step uses (0+1)/W; optax.contrib's uses 0/W (no move)."""
    y = jnp.asarray([1.0, -2.0])
    tx = lrx.schedule_free_sgd(1.0, warmup_steps=4)
    u, _ = tx.update(y, tx.init(y), y)
    np.testing.assert_allclose(u, -0.25 * y, rtol=1e-6)
    ref = optax.contrib.schedule_free_sgd(1.0, warmup_steps=4)
    u_ref, _ = ref.update(y, ref.init(y), y)
    np.testing.assert_allclose(u_ref, 0 * y, atol=0)


# -- validation, dtypes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: lrx.schedule_free_sgd(-1.0), "learning_rate"),
        (lambda: lrx.schedule_free_sgd(b1=1.0), "b1"),
        (lambda: lrx.schedule_free_sgd(b1=0.0), "b1"),
        (lambda: lrx.schedule_free_sgd(weight_decay=-1.0), "weight_decay"),
        (lambda: lrx.schedule_free_sgd(warmup_steps=-1), "warmup_steps"),
        (lambda: lrx.schedule_free_sgd(warmup_steps=2.5), "warmup_steps"),
        (lambda: lrx.schedule_free_adamw(r=-1.0), "r"),
        (lambda: lrx.schedule_free_adamw(weight_lr_power=-1.0), "weight_lr_power"),
        (lambda: lrx.schedule_free_adamw(b2=1.0), "b2"),
        (lambda: lrx.schedule_free_adamw(eps=-1.0), "eps"),
        (lambda: lrx.schedule_free(lrx.sgd(0.1), learning_rate=-0.1), "learning_rate"),
    ],
)
def test_invalid_hyperparameters_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_update_needs_params_and_adamw_rejects_complex():
    tx = lrx.schedule_free_sgd()
    with pytest.raises(ValueError, match="params"):
        tx.update(jnp.ones(2), tx.init(jnp.ones(2)))
    with pytest.raises(ValueError, match="complex"):
        lrx.schedule_free_adamw().init(jnp.ones(2, jnp.complex64))


def test_bfloat16_params_keep_float32_state():
    tx = lrx.schedule_free_adamw(0.05)
    params = jax.tree.map(lambda p: p.astype(jnp.bfloat16), _params())
    params, state = _steps(tx, 3, params)
    assert all(p.dtype == jnp.bfloat16 for p in jax.tree.leaves(params))
    assert all(z.dtype == jnp.float32 for z in jax.tree.leaves(state.z))
    assert state.lr_max.dtype == jnp.float32


# -- Flax NNX example and 8 devices -------------------------------------------------------------


def test_flax_nnx_example_trains_with_y_and_evaluates_x():
    spec = importlib.util.spec_from_file_location(
        "schedule_free_flax", ROOT / "examples" / "schedule_free_flax.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.main(steps=40, width=8)
    assert out["train_loss_at_y"] < 0.75 * out["initial_loss"], out
    assert out["eval_loss_at_x"] != out["train_loss_at_y"]  # x is another point than y
    assert np.isfinite(out["eval_loss_at_x"])
    np.testing.assert_allclose(out["learning_rate"], 0.01, rtol=1e-6)


def test_flax_train_state_pattern():
    """TrainState: train ``state.params`` (y); evaluate and checkpoint
    ``schedule_free_eval_params(state.opt_state, state.params)`` (x)."""
    from flax.training import train_state

    tx = lrx.schedule_free_adamw(0.05, warmup_steps=2)
    ts = train_state.TrainState.create(apply_fn=None, params=_params(), tx=tx)
    for _ in range(4):
        ts = ts.apply_gradients(grads=jax.grad(_loss)(ts.params))
    x = lrx.schedule_free_eval_params(ts.opt_state, ts.params)
    params, state = _steps(tx, 4)
    chex.assert_trees_all_close(ts.params, params, rtol=1e-5, atol=1e-7)
    want = lrx.schedule_free_eval_params(state, params)
    chex.assert_trees_all_close(x, want, rtol=1e-5, atol=1e-7)
    assert float(_loss(x)) != float(_loss(ts.params))


@pytest.mark.slow
def test_eight_devices_equal_one_and_nothing_is_gathered():
    """Schedule-Free and Mechanic on 8 simulated devices (tests/workers/): state shards like
    the params, estimates replicated, no all-gather in the step, results equal 1 device."""
    env = dict(os.environ)
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    env["JAX_PLATFORMS"] = "cpu"
    worker = ROOT / "tests" / "workers" / "lr_free_sf_mechanic_worker.py"
    proc = subprocess.run(
        [sys.executable, str(worker)], capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["devices"] == 8
    bad = {k: v for k, v in report["cases"].items() if v["status"] != "ok"}
    assert not bad, bad
