"""lrx.prodigy against the authors' prodigyopt 1.1.2, step for step, and its guarantees.

Closed-loop runs (each side takes its own gradient of the same loss) on the problems of
tests/reference/lr_free_problems.py: float64 within 1e-5 relative of the committed golden
values (tests/reference/gen_lr_free_prodigy_dadapt.py) at every step for ``d`` and at the
checkpoints for the parameters; live against prodigyopt when it is installed (every step),
and float32 within the authors' own float32 noise (their float32 run vs their float64 run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from tests.reference import gen_lr_free_prodigy_dadapt as gen
from tests.reference.golden import load
from tests.reference.lr_free_problems import PROBLEMS

METHOD = "prodigy"
CONFIGS = [c for c in gen.CONFIGS if c[1] == METHOD]
IDS = [c[0] for c in CONFIGS]
RTOL = 1e-5


def _cases() -> list:
    out = []
    for cid, method, kwargs in CONFIGS:
        for problem in PROBLEMS:
            marks = [] if problem == "mlp" or cid.endswith("-default") else [pytest.mark.slow]
            out.append(
                pytest.param(cid, method, kwargs, problem, marks=marks, id=f"{cid}-{problem}")
            )
    return out


@pytest.mark.parametrize(("cid", "method", "kwargs", "problem"), _cases())
def test_float64_matches_golden(cid: str, method: str, kwargs: dict, problem: str) -> None:
    golden = load("lr_free_prodigy_dadapt")["runs"][f"{cid}/{problem}"]
    with jax.enable_x64(True):
        ds, ps = gen.lrx_trajectory(method, kwargs, problem, np.float64)
    want_d = np.asarray(golden["d"])
    np.testing.assert_allclose(ds, want_d, rtol=RTOL, atol=0)
    for c, want in golden["params"].items():
        got = {k: np.ravel(v) for k, v in ps[int(c) - 1].items()}
        assert gen.max_rel(got, {k: np.asarray(v) for k, v in want.items()}) < RTOL, c


@pytest.mark.parity
@pytest.mark.parametrize(("cid", "method", "kwargs"), CONFIGS, ids=IDS)
def test_float64_matches_authors_live(cid: str, method: str, kwargs: dict) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("prodigyopt")
    want_d, want_p = gen.torch_trajectory(method, kwargs, "mlp", np.float64)
    with jax.enable_x64(True):
        ds, ps = gen.lrx_trajectory(method, kwargs, "mlp", np.float64)
    np.testing.assert_allclose(ds, want_d, rtol=RTOL, atol=0)
    for i in range(gen.STEPS):
        assert gen.max_rel(ps[i], want_p[i]) < RTOL, i


@pytest.mark.parity
@pytest.mark.parametrize(
    "problem", [p if p == "mlp" else pytest.param(p, marks=pytest.mark.slow) for p in PROBLEMS]
)
def test_float32_within_authors_noise(problem: str) -> None:
    """lrx float32 is as close to the authors' float64 run as the authors' float32 run."""
    pytest.importorskip("torch")
    pytest.importorskip("prodigyopt")
    d64, p64 = gen.torch_trajectory(METHOD, {}, problem, np.float64)
    d32, p32 = gen.torch_trajectory(METHOD, {}, problem, np.float32)
    ds, ps = gen.lrx_trajectory(METHOD, {}, problem, np.float32, traced=False)
    assert ds.dtype == np.float32
    for i in range(gen.STEPS):
        noise_p = max(gen.max_rel(p32[i], p64[i]), 1e-5)
        noise_d = max(abs(d32[i] - d64[i]) / d64[i], 1e-5)
        assert gen.max_rel(ps[i], p64[i]) <= 2 * noise_p, i
        assert abs(ds[i] - d64[i]) / d64[i] <= 2 * noise_d, i


# --- guarantees ---------------------------------------------------------------------------

PROB = PROBLEMS["mlp"]
GRAD = jax.grad(PROB.loss_jax)


def _params(dtype: object = np.float32) -> dict:
    return {k: jnp.asarray(v) for k, v in PROB.init(dtype).items()}


def _run(tx: optax.GradientTransformation, steps: int, params: dict, state: object) -> tuple:
    def step(carry: tuple, _: object) -> tuple:
        p, st = carry
        u, st = tx.update(GRAD(p), st, p)
        return (optax.apply_updates(p, u), st), None

    return jax.lax.scan(step, (params, state), None, length=steps)[0]


def test_jit_equals_no_jit() -> None:
    tx = lrx.prodigy(weight_decay=0.01, use_bias_correction=True)
    update = jax.jit(tx.update)
    p = q = _params()
    st = sq = tx.init(p)
    for _ in range(3):
        u, st = tx.update(GRAD(p), st, p)
        v, sq = update(GRAD(q), sq, q)
        p, q = optax.apply_updates(p, u), optax.apply_updates(q, v)
    for a, b in zip(jax.tree.leaves((p, st)), jax.tree.leaves((q, sq)), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-9)


def test_resume_from_serialized_state_is_bit_identical() -> None:
    tx = lrx.prodigy(learning_rate=lambda c: jnp.minimum(1.0, (c + 1).astype(jnp.float32) / 4.0))
    run = jax.jit(lambda p, st: _run(tx, 6, p, st))
    p0 = _params()
    p_mid, st_mid = run(p0, tx.init(p0))
    blob = flax.serialization.to_bytes(st_mid)
    restored = flax.serialization.from_bytes(tx.init(p0), blob)
    p_a, st_a = run(p_mid, restored)
    p_b, st_b = jax.jit(lambda p, st: _run(tx, 12, p, st))(p0, tx.init(p0))
    for a, b in zip(jax.tree.leaves((p_a, st_a)), jax.tree.leaves((p_b, st_b)), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert int(st_a.k) == 12


def test_skip_nonfinite_skips_a_nan_step() -> None:
    tx = lrx.skip_nonfinite(lrx.prodigy())
    plain = lrx.prodigy()
    p = _params()
    st, st_plain = tx.init(p), plain.init(p)
    for i in range(4):
        g = GRAD(p)
        if i == 2:
            bad = jax.tree.map(lambda x: x.at[...].set(jnp.nan), g)
            u, st = tx.update(bad, st, p)
            assert all(float(jnp.max(jnp.abs(x))) == 0.0 for x in jax.tree.leaves(u))
            continue
        u, st = tx.update(g, st, p)
        u_plain, st_plain = plain.update(g, st_plain, p)
        for a, b in zip(jax.tree.leaves(u), jax.tree.leaves(u_plain), strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        p = optax.apply_updates(p, u)
    assert np.isfinite(float(lrx.learning_rate(st)))


def test_learning_rate_is_the_applied_rate() -> None:
    """``learning_rate(state)`` is the ``dlr`` of the step: ``u = -dlr m / (sqrt(v) + d eps)``
    (no weight decay); ``next_learning_rate`` is the next step's rate."""
    sched = lambda c: jnp.where(c < 2, 0.5, 1.0)  # noqa: E731
    tx = lrx.prodigy(learning_rate=sched, use_bias_correction=True)
    p = _params()
    st = tx.init(p)
    bc0 = np.sqrt(1 - 0.999) / (1 - 0.9)
    np.testing.assert_allclose(float(lrx.learning_rate(st)), 1e-6 * 0.5 * bc0, rtol=1e-6)
    for _ in range(4):
        upcoming = float(lrx.next_learning_rate(st))
        u, st = tx.update(GRAD(p), st, p)
        rate = float(lrx.learning_rate(st))
        assert rate == pytest.approx(upcoming, rel=1e-6)
        for k in p:
            direction = st.exp_avg[k] / (jnp.sqrt(st.exp_avg_sq[k]) + st.d * 1e-8)
            np.testing.assert_allclose(u[k], -rate * direction, rtol=1e-5, atol=1e-12)
        p = optax.apply_updates(p, u)


def test_zero_learning_rate_is_a_no_op_as_the_authors() -> None:
    tx = lrx.prodigy(learning_rate=lambda c: jnp.where(c == 0, 0.0, 1.0))
    p = _params()
    st = tx.init(p)
    u, st1 = tx.update(GRAD(p), st, p)
    assert all(float(jnp.max(jnp.abs(x))) == 0.0 for x in jax.tree.leaves(u))
    assert int(st1.k) == 0 and int(st1.count) == 1 and float(st1.d) == float(st.d)


def test_vmap_over_d_coef_equals_separate_runs() -> None:
    def final_d(c: jax.Array) -> jax.Array:
        tx = lrx.prodigy(d_coef=c)
        return _run(tx, 4, _params(), tx.init(_params()))[1].d

    batched = jax.jit(jax.vmap(final_d))(jnp.asarray([0.5, 1.0, 2.0]))
    single = jax.jit(final_d)(jnp.asarray(2.0))
    np.testing.assert_allclose(float(batched[2]), float(single), rtol=1e-6)
    assert float(batched[0]) < float(batched[1]) < float(batched[2])


def test_bfloat16_params_keep_float32_state() -> None:
    p = {"w": jnp.ones((3,), jnp.bfloat16)}
    tx = lrx.prodigy()
    st = tx.init(p)
    assert st.exp_avg["w"].dtype == jnp.float32 and st.d.dtype == jnp.float32
    u, st = tx.update({"w": jnp.ones((3,), jnp.bfloat16)}, st, p)
    assert u["w"].dtype == jnp.bfloat16 and st.exp_avg_sq["w"].dtype == jnp.float32


def test_slice_p_state_shape() -> None:
    st = lrx.prodigy(slice_p=3).init({"w": jnp.zeros((4, 5))})
    assert st.s["w"].shape == (7,) and st.p0["w"].shape == (7,)
    assert st.exp_avg["w"].shape == (4, 5)


def test_complex_params_raise() -> None:
    with pytest.raises(ValueError, match="complex"):
        lrx.prodigy().init({"w": jnp.zeros((2,), jnp.complex64)})


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"b1": 1.0}, "b1"),
        ({"b2": -0.1}, "b2"),
        ({"eps": 0.0}, "eps"),
        ({"d0": 0.0}, "d0"),
        ({"growth_rate": 0.0}, "growth_rate"),
        ({"slice_p": 0}, "slice_p"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"decouple": 1}, "decouple"),
    ],
)
def test_invalid_hyperparameters_raise(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        lrx.prodigy(**kwargs)


def test_update_needs_params() -> None:
    tx = lrx.prodigy()
    st = tx.init(_params())
    with pytest.raises(ValueError, match="params"):
        tx.update(_params(), st)


WORKER = Path(__file__).with_name("workers") / "lr_free_prodigy_dadapt_worker.py"


@pytest.mark.slow
def test_sharded_over_8_devices_equals_one_device() -> None:
    """Prodigy and D-Adapt Adam/SGD/AdaGrad on params sharded over a 4x2 mesh (auto and
    explicit axes) equal the single-device run, keep state sharded like the params and
    gather no parameter (the global sums reduce shards: all-reduces only)."""
    env = dict(os.environ)
    env["XLA_FLAGS"] = (
        env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
    ).strip()
    env["JAX_PLATFORMS"] = "cpu"
    proc = subprocess.run(
        [sys.executable, str(WORKER)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=WORKER.parent.parent.parent,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["devices"] == 8
    assert len(report["results"]) == 5
    for name, res in report["results"].items():
        assert res["problems"] == [], (name, res["problems"])
        for flavour in ("auto", "explicit"):
            assert res[f"{flavour}_max_rel_diff"] < 1e-5, (name, flavour, res)
            assert res[f"{flavour}_all_gathers"] == 0, (name, flavour, res)
            assert res[f"{flavour}_all_reduces"] > 0, (name, flavour, res)
