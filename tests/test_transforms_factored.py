"""``scale_by_factored_rms`` and Adafactor's block pieces (Shazeer & Stern 2018, Alg. 4/5).

Article 003 (2.3): per-block (layer-wise) step sizes. The NumPy reference keeps the paper's
row and column *sums* (``V̂ = R C / 1ᵀR``); lrx keeps means, as optax: the same ``V̂``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.transforms.factored import (
    clip_by_block_rms,
    decay_rate_pow,
    factored_dims,
    flip_sign,
    scale_by_ema,
    scale_by_param_block_rms,
)
from tests.grads import JIT

SHAPES = {"big": (6, 9), "t3": (2, 5, 7), "v": (4,), "s": ()}


def _grads(steps, seed=0):
    rng = np.random.default_rng(seed)
    return [{k: rng.standard_normal(s) for k, s in SHAPES.items()} for _ in range(steps)]


def reference(grads, min_dim, eps=1e-30, decay=0.8, offset=0):
    """Alg. 4 (matrices; higher ranks over their two largest axes) and Alg. 5 (the rest)."""
    stats, outs = {}, []
    for t, g in enumerate(grads, start=1):
        b2 = 1 - (t - offset) ** (-decay)
        out = {}
        for k, x in g.items():
            g2 = x**2 + eps
            dims = factored_dims(np.shape(x), True, min_dim)
            if dims is None:
                v = b2 * stats.get(k, 0.0) + (1 - b2) * g2
                stats[k] = v
                out[k] = x / np.sqrt(v)
                continue
            d1, d0 = dims
            r_prev, c_prev = stats.get(k, (0.0, 0.0))
            r = b2 * r_prev + (1 - b2) * g2.sum(axis=d0)
            c = b2 * c_prev + (1 - b2) * g2.sum(axis=d1)
            stats[k] = (r, c)
            d1_in_r = d1 - 1 if d1 > d0 else d1
            v_hat = np.expand_dims(r, d0) * np.expand_dims(c, d1)
            v_hat = v_hat / np.expand_dims(r.sum(axis=d1_in_r, keepdims=True), d0)
            out[k] = x / np.sqrt(v_hat)
        outs.append(out)
    return outs


@JIT
@pytest.mark.parametrize("min_dim", [0, 5, 128])
def test_matches_float64_reference(min_dim, jit):
    grads = _grads(6)
    want = reference(grads, min_dim)
    with jax.enable_x64(True):
        tx = lrx.scale_by_factored_rms(min_dim_size_to_factor=min_dim)
        update = jax.jit(tx.update) if jit else tx.update
        state = tx.init({k: jnp.zeros(s, jnp.float64) for k, s in SHAPES.items()})
        for g, w in zip(grads, want, strict=True):
            u, state = update({k: jnp.asarray(v) for k, v in g.items()}, state)
            for k in SHAPES:
                np.testing.assert_allclose(np.asarray(u[k]), w[k], rtol=1e-10, err_msg=k)


def test_state_shapes_are_optax():
    params = {k: jnp.zeros(s) for k, s in SHAPES.items()}
    for kw in [{}, {"min_dim_size_to_factor": 2}, {"factored": False}]:
        ours = jax.tree.map(jnp.shape, lrx.scale_by_factored_rms(**kw).init(params))
        theirs = jax.tree.map(jnp.shape, optax.scale_by_factored_rms(**kw).init(params))
        assert tuple(ours) == tuple(theirs)


@pytest.mark.parametrize(
    "kw", [{}, {"min_dim_size_to_factor": 2}, {"decay_rate": 0.5, "step_offset": 0}]
)
def test_literal_swap_matches_optax(kw):
    grads = _grads(5, seed=1)
    a, b = lrx.scale_by_factored_rms(**kw), optax.scale_by_factored_rms(**kw)
    params = {k: jnp.ones(s) for k, s in SHAPES.items()}
    sa, sb = a.init(params), b.init(params)
    for g in grads:
        g = {k: jnp.asarray(v, jnp.float32) for k, v in g.items()}
        ua, sa = a.update(g, sa, params)
        with jax.numpy_dtype_promotion("standard"):
            ub, sb = b.update(g, sb, params)
        for k in SHAPES:
            np.testing.assert_allclose(np.asarray(ua[k]), np.asarray(ub[k]), rtol=2e-6)


def test_last_axes_factoring_is_transformers_rule():
    assert factored_dims((2, 5, 7), True, 0, "last") == (1, 2)
    assert factored_dims((9, 3), True, 0, "last") == (0, 1)
    assert factored_dims((9, 3), True, 0) == (1, 0)  # optax: the largest axis is d0
    assert factored_dims((9,), True, 0, "last") is None
    assert factored_dims((200, 100), True, 128) is None


def test_bfloat16_params_keep_float32_statistics():
    tx = lrx.scale_by_factored_rms(min_dim_size_to_factor=2)
    params = {"w": jnp.ones((4, 3), jnp.bfloat16), "b": jnp.ones(3, jnp.bfloat16)}
    state = tx.init(params)
    assert {x.dtype for x in jax.tree.leaves((state.v_row, state.v_col, state.v))} == {
        jnp.dtype(jnp.float32)
    }
    u, _ = tx.update(jax.tree.map(lambda p: 0.5 * p, params), state)
    assert u["w"].dtype == jnp.bfloat16
    np.testing.assert_allclose(np.asarray(u["w"], np.float32), 1.0, rtol=1e-2)


def test_complex_keeps_the_phase():
    tx = lrx.scale_by_factored_rms(epsilon=0.0)
    g = jnp.array([3.0 + 4.0j, -1.0j], jnp.complex64)
    u, state = tx.update(g, tx.init(g))
    assert state.v.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(u), [0.6 + 0.8j, -1.0j], rtol=1e-6)


def test_decay_rate_pow_is_the_paper_schedule():
    t = np.arange(1, 6)
    np.testing.assert_allclose(np.asarray(decay_rate_pow(t - 1)), 1 - t**-0.8, rtol=1e-6)


def test_block_pieces():
    u = jnp.array([3.0, 4.0])
    out, _ = clip_by_block_rms(1.0).update(u, optax.EmptyState())
    np.testing.assert_allclose(np.asarray(out), u / np.sqrt(12.5), rtol=1e-6)
    out, _ = clip_by_block_rms(10.0).update(u, optax.EmptyState())
    np.testing.assert_allclose(np.asarray(out), u)
    out, _ = scale_by_param_block_rms().update(u, optax.EmptyState(), jnp.zeros(2))
    np.testing.assert_allclose(np.asarray(out), 1e-3 * u, rtol=1e-6)
    tx = scale_by_ema(0.5)
    state = tx.init(u)
    out, state = tx.update(u, state)
    out, state = tx.update(u, state)
    np.testing.assert_allclose(np.asarray(out), 0.75 * u)
    out, _ = flip_sign().update(u, optax.EmptyState())
    np.testing.assert_allclose(np.asarray(out), -u)


def test_validation():
    for kw, name in [
        ({"decay_rate": -1.0}, "decay_rate"),
        ({"step_offset": -1}, "step_offset"),
        ({"min_dim_size_to_factor": 1.5}, "min_dim_size_to_factor"),
        ({"epsilon": -1.0}, "epsilon"),
        ({"factored": 1}, "factored"),
        ({"factor_axes": "first"}, "factor_axes"),
        ({"decay_rate_fn": 0.8}, "decay_rate_fn"),
    ]:
        with pytest.raises(ValueError, match=name):
            lrx.scale_by_factored_rms(**kw)
