"""``lrx.compat.hf.adafactor`` equals ``transformers.optimization.Adafactor`` step for step.

Golden transformers trajectories (tests/reference/layerwise.json, float32, 50 steps) always;
live comparisons when transformers and torch are installed. The relative step and the
parameter scale are Adafactor's (Shazeer & Stern 2018, section 8; article 003, 2.3).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.compat import hf
from tests.reference import golden
from tests.reference.gen_layerwise import HF, HF_STEPS, make_inputs, run_hf, summary

GOLD = golden.load("layerwise")


def _kwargs(kw: dict[str, Any]) -> dict[str, Any]:
    kw = dict(kw)
    if "eps" in kw:
        kw["eps"] = tuple(kw["eps"])
    return kw


@functools.cache
def _trajectory(name: str, jit: bool = True) -> list[dict]:
    kwargs = next(kw for n, kw in HF if n == name)
    init, grads = make_inputs(HF_STEPS)
    tx = hf.adafactor(**_kwargs(kwargs))
    params = {k: jnp.asarray(v) for k, v in init.items()}
    state = tx.init(params)
    update = jax.jit(tx.update) if jit else tx.update
    out = []
    for g in grads:
        u, state = update(g, state, params)
        params = lrx.apply_updates(params, u)
        out.append(jax.tree.map(np.asarray, params))
    return out


@pytest.mark.parametrize("name", [n for n, _ in HF])
def test_matches_transformers_golden(name):
    init, _ = make_inputs(1)
    traj = _trajectory(name)
    for step, want in GOLD["hf"][name]["params"].items():
        got = summary(traj[int(step) - 1], init)
        for k, v in want.items():
            np.testing.assert_allclose(got[k], v, rtol=1e-5, atol=2e-6, err_msg=f"{step} {k}")


def test_jit_equals_no_jit():
    a, b = _trajectory("hf_beta1_wd", True)[:5], _trajectory("hf_beta1_wd", False)[:5]
    for x, y in zip(a, b, strict=True):
        for k in x:
            np.testing.assert_allclose(x[k], y[k], rtol=1e-6, atol=1e-7)


@pytest.mark.parity
@pytest.mark.parametrize("name", [n for n, _ in HF])
def test_matches_transformers_live(name):
    """Every leaf after every one of 50 steps: rtol 1e-5 (atol 1e-6 near zero)."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    kwargs = next(kw for n, kw in HF if n == name)
    want = run_hf(kwargs, HF_STEPS)
    for got, ref in zip(_trajectory(name), want, strict=True):
        for k in ref:
            np.testing.assert_allclose(got[k], ref[k], rtol=1e-5, atol=1e-6, err_msg=k)


@pytest.mark.parity
def test_signature_is_transformers():
    transformers = pytest.importorskip("transformers")
    theirs = inspect.signature(transformers.optimization.Adafactor.__init__).parameters
    ours = inspect.signature(hf.adafactor).parameters
    assert list(ours) == [p for p in theirs if p not in ("self", "params")]
    for name, p in ours.items():
        assert p.default == theirs[name].default, name


@pytest.mark.parametrize("warmup_init", [False, True])
def test_learning_rate_reports_the_relative_step(warmup_init):
    """``ρ_t = min(1e-2 or 1e-6 t, 1/sqrt(t))`` without the parameter scale."""
    tx = hf.adafactor(warmup_init=warmup_init)
    params = {"w": jnp.full((3, 4), 5.0)}
    state = tx.init(params)
    first = 1e-6 if warmup_init else 1e-2
    assert float(lrx.learning_rate(state)) == pytest.approx(first)
    update = jax.jit(tx.update)
    for t in range(1, 5):
        _, state = update({"w": jnp.ones((3, 4))}, state, params)
        rho = min(1e-6 * t if warmup_init else 1e-2, 1 / np.sqrt(t))
        assert float(lrx.learning_rate(state)) == pytest.approx(rho, rel=1e-6)
        nxt = min(1e-6 * (t + 1) if warmup_init else 1e-2, 1 / np.sqrt(t + 1))
        assert float(lrx.next_learning_rate(state)) == pytest.approx(nxt, rel=1e-6)


def test_relative_step_takes_over_from_its_floor():
    t = np.array([1, 100, 10_000, 40_000])
    got = np.asarray(hf.relative_step_size(t - 1))
    np.testing.assert_allclose(got, np.minimum(1e-2, 1 / np.sqrt(t)), rtol=1e-6)
    got = np.asarray(hf.relative_step_size(t - 1, warmup_init=True))
    np.testing.assert_allclose(got, np.minimum(1e-6 * t, 1 / np.sqrt(t)), rtol=1e-6)


def test_first_step_formula_by_hand():
    """Step 1: β̂₂ = 0, so V = G² + ε₁ and U = sign(G) for a vector; RMS(U) = 1 (no
    clipping); θ ← θ − 1e-2 · max(1e-3, RMS(θ)) · sign(G)."""
    params = jnp.array([3.0, -4.0])
    tx = hf.adafactor()
    u, _ = tx.update(jnp.array([0.5, 2.0]), tx.init(params), params)
    rms = np.sqrt(12.5)
    np.testing.assert_allclose(np.asarray(u), [-1e-2 * rms, -1e-2 * rms], rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(lr=1e-3), "relative_step"),
        (dict(relative_step=False, warmup_init=True, lr=1e-3), "warmup_init"),
        (dict(relative_step=False), "lr"),
        (dict(eps=1e-3), "eps"),
        (dict(decay_rate=0.8), "decay_rate"),
        (dict(clip_threshold=0.0), "threshold"),
        (dict(beta1=1.5), "decay"),
        (dict(weight_decay=-0.1), "weight_decay"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        hf.adafactor(**kwargs)


def test_inject_hyperparams_weight_decay_and_lr():
    params = {"w": jnp.ones((3, 4)), "b": jnp.ones(2)}
    grads = jax.tree.map(lambda p: 0.5 * p, params)
    direct = hf.adafactor(lr=1e-2, relative_step=False, weight_decay=0.1)
    injected = optax.inject_hyperparams(hf.adafactor)(
        lr=1e-2, relative_step=False, weight_decay=0.1
    )
    u1, _ = direct.update(grads, direct.init(params), params)
    u2, s2 = injected.update(grads, injected.init(params), params)
    for k in params:
        np.testing.assert_allclose(np.asarray(u1[k]), np.asarray(u2[k]), rtol=1e-6)
    assert float(lrx.learning_rate(s2)) == pytest.approx(1e-2)
