"""lrx.dadapt_adam / dadapt_sgd / dadapt_adagrad against the authors' dadaptation 3.2.

Closed-loop runs (each side takes its own gradient of the same loss) on the problems of
tests/reference/lr_free_problems.py: float64 within 1e-5 relative of the committed golden
values (tests/reference/gen_lr_free_prodigy_dadapt.py) at every step for ``d`` and at the
checkpoints for the parameters; live against dadaptation when it is installed (every step),
and float32 within the authors' own float32 noise (their float32 run vs their float64 run).
"""

from __future__ import annotations

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

METHODS = ("dadapt_adam", "dadapt_sgd", "dadapt_adagrad")
CONFIGS = [c for c in gen.CONFIGS if c[1] in METHODS]
IDS = [c[0] for c in CONFIGS]
RTOL = 1e-5


def _cases() -> list:
    out = []
    for cid, method, kwargs in CONFIGS:
        for problem in PROBLEMS:
            fast = problem == "mlp" or cid.endswith("-default")
            marks = [] if fast else [pytest.mark.slow]
            out.append(
                pytest.param(cid, method, kwargs, problem, marks=marks, id=f"{cid}-{problem}")
            )
    return out


@pytest.mark.parametrize(("cid", "method", "kwargs", "problem"), _cases())
def test_float64_matches_golden(cid: str, method: str, kwargs: dict, problem: str) -> None:
    golden = load("lr_free_prodigy_dadapt")["runs"][f"{cid}/{problem}"]
    with jax.enable_x64(True):
        ds, ps = gen.lrx_trajectory(method, kwargs, problem, np.float64)
    np.testing.assert_allclose(ds, np.asarray(golden["d"]), rtol=RTOL, atol=0)
    for c, want in golden["params"].items():
        got = {k: np.ravel(v) for k, v in ps[int(c) - 1].items()}
        assert gen.max_rel(got, {k: np.asarray(v) for k, v in want.items()}) < RTOL, c


@pytest.mark.parity
@pytest.mark.parametrize(("cid", "method", "kwargs"), CONFIGS, ids=IDS)
def test_float64_matches_authors_live(cid: str, method: str, kwargs: dict) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("dadaptation")
    want_d, want_p = gen.torch_trajectory(method, kwargs, "mlp", np.float64)
    with jax.enable_x64(True):
        ds, ps = gen.lrx_trajectory(method, kwargs, "mlp", np.float64)
    np.testing.assert_allclose(ds, want_d, rtol=RTOL, atol=0)
    for i in range(gen.STEPS):
        assert gen.max_rel(ps[i], want_p[i]) < RTOL, i


@pytest.mark.parity
@pytest.mark.parametrize("method", METHODS)
def test_float32_within_authors_noise(method: str) -> None:
    """lrx float32 is as close to the authors' float64 run as the authors' float32 run."""
    pytest.importorskip("torch")
    pytest.importorskip("dadaptation")
    d64, p64 = gen.torch_trajectory(method, {}, "mlp", np.float64)
    d32, p32 = gen.torch_trajectory(method, {}, "mlp", np.float32)
    ds, ps = gen.lrx_trajectory(method, {}, "mlp", np.float32, traced=False)
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


def _make(method: str, **kwargs: object) -> optax.GradientTransformation:
    return getattr(lrx, method)(**kwargs)


def _run(tx: optax.GradientTransformation, steps: int, params: dict, state: object) -> tuple:
    def step(carry: tuple, _: object) -> tuple:
        p, st = carry
        u, st = tx.update(GRAD(p), st, p)
        return (optax.apply_updates(p, u), st), None

    return jax.lax.scan(step, (params, state), None, length=steps)[0]


@pytest.mark.parametrize("method", METHODS)
def test_jit_equals_no_jit(method: str) -> None:
    tx = _make(method, weight_decay=0.01)
    update = jax.jit(tx.update)
    p = q = _params()
    st = sq = tx.init(p)
    for _ in range(3):
        u, st = tx.update(GRAD(p), st, p)
        v, sq = update(GRAD(q), sq, q)
        p, q = optax.apply_updates(p, u), optax.apply_updates(q, v)
    for a, b in zip(jax.tree.leaves((p, st)), jax.tree.leaves((q, sq)), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_resume_from_serialized_state_is_bit_identical(method: str) -> None:
    tx = _make(method, learning_rate=lambda c: jnp.minimum(1.0, (c + 1).astype(jnp.float32) / 4))
    run = jax.jit(lambda p, st: _run(tx, 5, p, st))
    p0 = _params()
    p_mid, st_mid = run(p0, tx.init(p0))
    restored = flax.serialization.from_bytes(tx.init(p0), flax.serialization.to_bytes(st_mid))
    p_a, st_a = run(p_mid, restored)
    p_b, st_b = run(*run(p0, tx.init(p0)))
    for a, b in zip(jax.tree.leaves((p_a, st_a)), jax.tree.leaves((p_b, st_b)), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert int(st_a.k) == 10


def test_skip_nonfinite_skips_a_nan_step() -> None:
    tx = lrx.skip_nonfinite(lrx.dadapt_adam())
    plain = lrx.dadapt_adam()
    p = _params()
    st, st_plain = tx.init(p), plain.init(p)
    for i in range(4):
        g = GRAD(p)
        if i == 2:
            u, st = tx.update(jax.tree.map(lambda x: x * jnp.nan, g), st, p)
            assert all(float(jnp.max(jnp.abs(x))) == 0.0 for x in jax.tree.leaves(u))
            continue
        u, st = tx.update(g, st, p)
        u_plain, st_plain = plain.update(g, st_plain, p)
        for a, b in zip(jax.tree.leaves(u), jax.tree.leaves(u_plain), strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        p = optax.apply_updates(p, u)


@pytest.mark.parametrize("method", METHODS)
def test_learning_rate_is_the_applied_rate(method: str) -> None:
    """``learning_rate(state)`` is the ``dlr`` the step folded into its accumulator
    (``m`` of Adam, ``s`` of SGD, ``sk`` of AdaGrad); ``next_learning_rate`` the next's."""
    tx = _make(method, learning_rate=lambda c: jnp.where(c < 2, 0.5, 1.0))
    p = _params()
    st = tx.init(p)
    for i in range(4):
        upcoming = float(lrx.next_learning_rate(st))
        g = GRAD(p)
        u, new = tx.update(g, st, p)
        rate = float(lrx.learning_rate(new))
        if method != "dadapt_sgd" or i > 0:  # SGD's first rate needs ‖g_0‖
            assert rate == pytest.approx(upcoming, rel=1e-6)
        for k in p:
            if method == "dadapt_adam":
                folded = (new.exp_avg[k] - 0.9 * st.exp_avg[k]) / (0.1 * g[k])
            elif method == "dadapt_sgd":
                folded = (new.s[k] - st.s[k]) / g[k]
            else:
                folded = (new.sk[k] - st.sk[k]) / g[k]
            ok = jnp.abs(g[k]) > 1e-3
            np.testing.assert_allclose(np.asarray(folded)[ok], rate, rtol=2e-3)
        p, st = optax.apply_updates(p, u), new


@pytest.mark.parametrize("method", ["dadapt_adam", "dadapt_sgd"])
def test_zero_learning_rate_is_a_no_op_as_the_authors(method: str) -> None:
    tx = _make(method, learning_rate=lambda c: jnp.where(c == 0, 0.0, 1.0))
    p = _params()
    st = tx.init(p)
    u, st1 = tx.update(GRAD(p), st, p)
    assert all(float(jnp.max(jnp.abs(x))) == 0.0 for x in jax.tree.leaves(u))
    assert int(st1.k) == 0 and int(st1.count) == 1 and float(st1.d) == float(st.d)


def test_adagrad_moves_at_zero_learning_rate_as_the_authors() -> None:
    tx = lrx.dadapt_adagrad(learning_rate=lambda c: jnp.where(c == 1, 0.0, 1.0))
    p = _params()
    st = tx.init(p)
    u, st = tx.update(GRAD(p), st, p)
    p = optax.apply_updates(p, u)
    u, st2 = tx.update(GRAD(p), st, p)  # lr = 0: alphak grows, x = x0 − sk / D(alphak) moves
    assert float(st2.d) == float(st.d) and int(st2.k) == 2
    assert max(float(jnp.max(jnp.abs(x))) for x in jax.tree.leaves(u)) > 0


def test_sgd_g0_norm_excludes_weight_decay_as_the_authors() -> None:
    p = _params()
    g = GRAD(p)
    st = lrx.dadapt_sgd(weight_decay=0.5).init(p)
    _, st = lrx.dadapt_sgd(weight_decay=0.5).update(g, st, p)
    want = float(jnp.sqrt(sum(jnp.sum(x * x) for x in jax.tree.leaves(g))))
    assert float(st.g0_norm) == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_complex_params_raise(method: str) -> None:
    with pytest.raises(ValueError, match="complex"):
        _make(method).init({"w": jnp.zeros((2,), jnp.complex64)})


@pytest.mark.parametrize("method", METHODS)
def test_bfloat16_params_keep_float32_state(method: str) -> None:
    p = {"w": jnp.ones((3,), jnp.bfloat16)}
    tx = _make(method)
    st = tx.init(p)
    assert st.d.dtype == jnp.float32
    assert all(x.dtype != jnp.bfloat16 for x in jax.tree.leaves(st))
    u, _ = tx.update({"w": jnp.ones((3,), jnp.bfloat16)}, st, p)
    assert u["w"].dtype == jnp.bfloat16


@pytest.mark.parametrize(
    ("method", "kwargs", "name"),
    [
        ("dadapt_adam", {"b1": 1.0}, "b1"),
        ("dadapt_adam", {"d0": 0.0}, "d0"),
        ("dadapt_adam", {"growth_rate": -1.0}, "growth_rate"),
        ("dadapt_sgd", {"momentum": 1.0}, "momentum"),
        ("dadapt_sgd", {"learning_rate": -0.1}, "learning_rate"),
        ("dadapt_adagrad", {"eps": 0.0}, "eps"),
        ("dadapt_adagrad", {"momentum": -0.5}, "momentum"),
    ],
)
def test_invalid_hyperparameters_raise(method: str, kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        _make(method, **kwargs)


def test_defaults_are_the_authors() -> None:
    """Signature defaults equal the authors' constructors' (dadaptation 3.2)."""
    inspect = pytest.importorskip("inspect")
    dadaptation = pytest.importorskip("dadaptation")
    pairs = {
        "dadapt_adam": dadaptation.DAdaptAdam,
        "dadapt_sgd": dadaptation.DAdaptSGD,
        "dadapt_adagrad": dadaptation.DAdaptAdaGrad,
    }
    rename = {"learning_rate": "lr"}
    for ours, theirs in pairs.items():
        mine = inspect.signature(getattr(lrx, ours)).parameters
        ref = inspect.signature(theirs).parameters
        for name, param in mine.items():
            if name in ("b1", "b2"):
                assert ref["betas"].default[int(name[1]) - 1] == param.default
            else:
                assert ref[rename.get(name, name)].default == param.default, (ours, name)
