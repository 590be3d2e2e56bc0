"""LARS, LAMB and Adafactor: the literal swap from optax, and float64 references from the papers.

Article 003 (2.3, 4.3): layer-wise adaptive learning rates, here computed per leaf from
weight and update norms (LARS: Alg. 1 of You et al. 2017; LAMB: Alg. 2 of You et al.
2020) or from the parameter scale (Adafactor's relative step: Alg. 4/5 of Shazeer & Stern
2018). The NumPy references below are written from those algorithms in float64.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.transforms.trust_ratio import layer_learning_rates, trust_ratios
from tests.grads import JIT
from tests.reference import golden
from tests.reference.gen_layerwise import OPTAX, OPTAX_STEPS, make_inputs, run_optax, summary

GOLD = golden.load("layerwise")


@functools.cache
def _inputs() -> tuple[dict, list[dict]]:
    return make_inputs(OPTAX_STEPS)


def _run_lrx(tx: Any, num_steps: int) -> list[dict]:
    init, grads = _inputs()
    params = {k: jnp.asarray(v) for k, v in init.items()}
    state = tx.init(params)

    @jax.jit
    def step(params: Any, state: Any, g: Any) -> Any:
        u, state = tx.update(g, state, params)
        return lrx.apply_updates(params, u), state

    out = []
    for g in grads[:num_steps]:
        params, state = step(params, state, g)
        out.append(jax.tree.map(np.asarray, params))
    return out


@functools.cache
def _lrx_trajectory(name: str) -> list[dict]:
    _, fn, args, kwargs = next(c for c in OPTAX if c[0] == name)
    return _run_lrx(getattr(lrx, fn)(*args, **kwargs), OPTAX_STEPS)


def _max_dev(a: dict, b: dict) -> float:
    """max |Δ| over the leaves, relative to the leaf's magnitude where it exceeds 1."""
    return max(
        float(np.max(np.abs(np.asarray(a[k]) - b[k])) / max(1.0, np.max(np.abs(b[k])))) for k in b
    )


@pytest.mark.parametrize("name", [c[0] for c in OPTAX])
def test_literal_swap_matches_optax_golden(name):
    """``optax.X(*a, **k)`` → ``lrx.X(*a, **k)``: optax's parameters at steps 1, 10, 50, 100
    (golden float32 values), to float32 rounding accumulated over 100 steps."""
    init, _ = _inputs()
    traj = _lrx_trajectory(name)
    for step, want in GOLD["optax"][name]["params"].items():
        got = summary(traj[int(step) - 1], init)
        for k, v in want.items():
            scale = max(1.0, float(np.max(np.abs(v))))
            np.testing.assert_allclose(got[k], v, rtol=2e-5, atol=2e-6 * scale, err_msg=k)


@pytest.mark.parity
@pytest.mark.parametrize("name", [c[0] for c in OPTAX])
def test_literal_swap_matches_optax_live(name):
    """Every leaf, every step of 100: max |Δ| vs the installed optax below 1e-5 (relative
    to the leaf's size where it exceeds 1: ``adafactor()`` without a rate grows the
    parameters geometrically)."""
    _, fn, args, kwargs = next(c for c in OPTAX if c[0] == name)
    want = run_optax(fn, args, kwargs, OPTAX_STEPS)
    got = _lrx_trajectory(name)
    assert max(_max_dev(g, w) for g, w in zip(got, want, strict=True)) < 1e-5


# ----- float64 references from the papers -------------------------------------------------

LEAVES64 = {"w": (6, 5), "b": (4,), "s": ()}


def _inputs64(steps: int) -> tuple[dict, list[dict]]:
    rng = np.random.default_rng(3)
    init = {k: rng.standard_normal(s) for k, s in LEAVES64.items()}
    grads = [{k: rng.standard_normal(s) + 0.2 for k, s in LEAVES64.items()} for _ in range(steps)]
    return init, grads


def _run64(tx: Any, steps: int) -> dict:
    init, grads = _inputs64(steps)
    with jax.enable_x64(True):
        params = {k: jnp.asarray(v, jnp.float64) for k, v in init.items()}
        state = tx.init(params)
        update = jax.jit(tx.update)
        for g in grads:
            u, state = update({k: jnp.asarray(v, jnp.float64) for k, v in g.items()}, state, params)
            params = lrx.apply_updates(params, u)
        assert params["w"].dtype == jnp.float64
        return jax.tree.map(np.asarray, params)


def lars_reference(steps, lr, beta, eta, m, paper_denominator):
    """LARS, Alg. 1 of You et al. 2017: ``λ_l = η ‖w‖ / (‖∇L‖ + β ‖w‖)`` (the paper's
    denominator) or ``η ‖w‖ / ‖∇L + β w‖`` (optax's, equal for ``β = 0``);
    ``v ← m v + γ λ_l (∇L + β w)``; ``w ← w − v``."""
    w, grads = _inputs64(steps)
    v = {k: np.zeros_like(x) for k, x in w.items()}
    for g in grads:
        for k in w:
            d = g[k] + beta * w[k]
            wn = np.linalg.norm(w[k])
            den = np.linalg.norm(g[k]) + beta * wn if paper_denominator else np.linalg.norm(d)
            local = eta * wn / den if wn > 0 and den > 0 else 1.0
            v[k] = m * v[k] + lr * local * d
            w[k] = w[k] - v[k]
    return w


def lamb_reference(steps, lr, b1, b2, eps, lam):
    """LAMB, Alg. 2 of You et al. 2020 (φ the identity): Adam's ``r = m̂ / (sqrt(v̂) + ε)``,
    ``x ← x − η ‖x‖ / ‖r + λ x‖ · (r + λ x)`` per layer."""
    x, grads = _inputs64(steps)
    m = {k: np.zeros_like(a) for k, a in x.items()}
    v = {k: np.zeros_like(a) for k, a in x.items()}
    for t, g in enumerate(grads, start=1):
        for k in x:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            r = (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps)
            u = r + lam * x[k]
            ratio = np.linalg.norm(x[k]) / np.linalg.norm(u)
            x[k] = x[k] - lr * ratio * u
    return x


def adafactor_reference(steps, rho, d, eps1, eps2, decay=0.8):
    """Adafactor, Alg. 4 (matrices, with sums: ``V̂ = R C / (1ᵀ R)``) and Alg. 5 (vectors
    and scalars) of Shazeer & Stern 2018: ``β̂₂ = 1 − t^(−0.8)``, update clipping ``d``,
    ``α_t = max(ε₂, RMS(X)) ρ_t``."""
    x, grads = _inputs64(steps)
    stats: dict[str, Any] = {}
    for t, g in enumerate(grads, start=1):
        b2 = 1 - t ** (-decay)
        for k in x:
            alpha = max(eps2, np.sqrt(np.mean(x[k] ** 2))) * rho
            g2 = g[k] ** 2 + eps1
            if np.ndim(x[k]) == 2:
                r_prev, c_prev = stats.get(k, (0.0, 0.0))
                r = b2 * r_prev + (1 - b2) * g2.sum(axis=1)  # (G² + ε₁) 1_m
                c = b2 * c_prev + (1 - b2) * g2.sum(axis=0)  # 1_nᵀ (G² + ε₁)
                stats[k] = (r, c)
                v_hat = np.outer(r, c) / r.sum()
            else:
                v_hat = b2 * stats.get(k, 0.0) + (1 - b2) * g2
                stats[k] = v_hat
            u = g[k] / np.sqrt(v_hat)
            u = u / max(1.0, np.sqrt(np.mean(u**2)) / d)
            x[k] = x[k] - alpha * u
    return x


def _close64(got: dict, want: dict, rtol: float = 1e-10) -> None:
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=rtol, atol=rtol, err_msg=k)


@pytest.mark.parametrize(("beta", "paper"), [(0.0, True), (1e-2, False)])
def test_lars_matches_float64_reference(beta, paper):
    got = _run64(lrx.lars(0.125, weight_decay=beta, trust_coefficient=0.01, momentum=0.9), 20)
    _close64(got, lars_reference(20, 0.125, beta, 0.01, 0.9, paper_denominator=paper))


def test_lamb_matches_float64_reference():
    got = _run64(lrx.lamb(0.0625, b1=0.9, b2=0.99, eps=1e-6, weight_decay=0.01), 20)
    _close64(got, lamb_reference(20, 0.0625, 0.9, 0.99, 1e-6, 0.01))


@pytest.mark.parametrize("d", [1.0, 0.25])
def test_adafactor_matches_float64_reference(d):
    tx = lrx.adafactor(0.0625, min_dim_size_to_factor=2, clipping_threshold=d)
    _close64(_run64(tx, 20), adafactor_reference(20, 0.0625, d, 1e-30, 1e-3))


def test_adafactor_unfactored_default_dims_matches_reference():
    """The 6 x 5 matrix stays unfactored below min_dim_size_to_factor (Alg. 5 per entry)."""
    got = _run64(lrx.adafactor(0.0625, factored=False), 10)
    x, grads = _inputs64(10)
    v = {k: np.zeros_like(a) for k, a in x.items()}
    for t, g in enumerate(grads, start=1):
        b2 = 1 - t**-0.8
        for k in x:
            alpha = max(1e-3, np.sqrt(np.mean(x[k] ** 2))) * 0.0625
            v[k] = b2 * v[k] + (1 - b2) * (g[k] ** 2 + 1e-30)
            u = g[k] / np.sqrt(v[k])
            x[k] = x[k] - alpha * u / max(1.0, np.sqrt(np.mean(u**2)))
    _close64(got, x)


# ----- introspection: base rate and per-layer rates --------------------------------------


@JIT
def test_learning_rate_is_the_base_rate_and_layer_rates_the_product(jit):
    params = {"w": jnp.full((3, 2), 2.0), "b": jnp.array([0.5, -0.5])}
    grads = {"w": jnp.ones((3, 2)), "b": jnp.array([1.0, 3.0])}
    opt = lrx.lars(lrx.step_decay(0.1, step_size=1, gamma=0.5), trust_coefficient=1.0)
    state = opt.init(params)
    assert float(lrx.learning_rate(state)) == pytest.approx(0.1)
    chex_ones = layer_learning_rates(state)
    assert {k: float(v) for k, v in chex_ones.items()} == pytest.approx({"w": 0.1, "b": 0.1})
    update = jax.jit(opt.update) if jit else opt.update
    _, state = update(grads, state, params)
    _, state = update(grads, state, params)
    assert float(lrx.learning_rate(state)) == pytest.approx(0.05)  # the 2nd update's rate
    ratios = {k: float(v) for k, v in trust_ratios(state).items()}
    want = {"w": np.linalg.norm(params["w"]) / np.sqrt(6), "b": np.sqrt(0.5) / np.sqrt(10)}
    assert ratios == pytest.approx(want, rel=1e-6)
    rates = {k: float(v) for k, v in layer_learning_rates(state).items()}
    assert rates == pytest.approx({k: 0.05 * v for k, v in want.items()}, rel=1e-6)


def test_masked_layers_report_the_base_rate():
    params = {"w": jnp.full((3, 2), 2.0), "b": jnp.array([0.5, -0.5])}
    opt = lrx.lars(0.2, trust_coefficient=1.0, trust_ratio_mask={"w": True, "b": False})
    _, state = opt.update(jax.tree.map(jnp.ones_like, params), opt.init(params), params)
    rates = layer_learning_rates(state)
    assert float(rates["b"]) == pytest.approx(0.2)
    assert float(rates["w"]) == pytest.approx(0.2 * 2.0)


def test_layer_learning_rates_of_lamb_under_inject_hyperparams_takes_a_base():
    params = {"w": jnp.full((2, 2), 3.0)}
    opt = optax.inject_hyperparams(lrx.lamb)(learning_rate=0.01)
    _, state = opt.update({"w": jnp.ones((2, 2))}, opt.init(params), params)
    base = lrx.learning_rate(state)
    assert float(base) == pytest.approx(0.01)
    assert float(layer_learning_rates(state, base)["w"]) == pytest.approx(0.01 * 3.0, rel=1e-5)


def test_helpers_reject_states_without_a_trust_ratio():
    state = lrx.adam(0.1).init(jnp.zeros(2))
    with pytest.raises(ValueError, match="trust_ratio"):
        trust_ratios(state)
    with pytest.raises(ValueError, match="trust_ratio"):
        layer_learning_rates(state)


def test_adafactor_learning_rate_reads_the_schedule():
    opt = lrx.adafactor(lrx.step_decay(0.1, step_size=1, gamma=0.5))
    params = jnp.ones((2, 2))
    _, state = opt.update(jnp.ones((2, 2)), opt.init(params), params)
    assert float(lrx.learning_rate(state)) == pytest.approx(0.1)
    assert float(lrx.next_learning_rate(state)) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="no learning rate"):
        lrx.learning_rate(lrx.adafactor().init(params))


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: lrx.lars(0.1, trust_coefficient=-1.0), "trust_coefficient"),
        (lambda: lrx.lars(0.1, momentum=1.5), "decay"),
        (lambda: lrx.lamb(0.1, b1=1.0), "b1"),
        (lambda: lrx.lamb(0.1, weight_decay=-1.0), "weight_decay"),
        (lambda: lrx.adafactor(decay_rate=-0.8), "decay_rate"),
        (lambda: lrx.adafactor(clipping_threshold=0.0), "threshold"),
        (lambda: lrx.adafactor(min_dim_size_to_factor=-1), "min_dim_size_to_factor"),
        (lambda: lrx.adafactor(multiply_by_parameter_scale=1), "multiply_by_parameter_scale"),
    ],
)
def test_bad_hyperparameters_raise_naming_the_argument(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


# ----- 8 devices equal 1 device ---------------------------------------------------------


@pytest.fixture(scope="module")
def sharding_report() -> dict:
    from tests.test_sharding import worker_env

    worker = Path(__file__).with_name("workers") / "layerwise_worker.py"
    proc = subprocess.run(
        [sys.executable, str(worker)],
        capture_output=True,
        text=True,
        timeout=600,
        env=worker_env(),
        cwd=worker.parent.parent.parent,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lars", "lamb", "adafactor", "hf_adafactor"])
def test_sharded_equals_unsharded_without_gathering(sharding_report, name):
    """On a 4 x 2 mesh (Auto and Explicit axes) params, state and trust ratios equal the
    single-device run; states keep the params' sharding; the compiled step of every case
    has no all-gather (per-leaf norms are partial sums and an all-reduce)."""
    assert sharding_report["devices"] == 8
    res = sharding_report["cases"][name]
    assert res["problems"] == []
    assert set(res["max_rel_diff"]) == {"auto", "explicit"}
    assert max(res["max_rel_diff"].values()) <= 1e-5
    assert not any(res["all_gather"].values())
    assert max(res.get("ratio_diff", {"": 0.0}).values()) <= 1e-6


@pytest.mark.parametrize(
    "name", ["lars", "lamb", "adafactor", "scale_by_trust_ratio", "scale_by_factored_rms"]
)
def test_signature_is_optax(name):
    """Same positional order, names and defaults (lrx's extras are keyword-only)."""
    import inspect

    ours = inspect.signature(getattr(lrx, name)).parameters
    theirs = inspect.signature(getattr(optax, name)).parameters
    positional = [n for n, p in ours.items() if p.kind != p.KEYWORD_ONLY]
    assert positional == list(theirs)
    for n in theirs:
        if n != "decay_rate_fn":  # the same schedule, defined in each library
            assert ours[n].default == theirs[n].default, n
