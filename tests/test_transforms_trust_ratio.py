"""``scale_by_trust_ratio``: the per-layer trust ratio of LARS/LAMB (article 003, 2.3 and 4.3).

NumPy reference: ``r_l = c max(‖θ_l‖, n) / (max(‖u_l‖, n) + eps)``, 1 where a norm is 0
(You et al. 2017, Alg. 1; You et al. 2020, Alg. 2), and ``optax.scale_by_trust_ratio``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.transforms.trust_ratio import trust_ratios
from tests.grads import JIT

PARAMS = {
    "w": np.linspace(-1.0, 2.0, 12).reshape(3, 4),
    "b": np.array([0.5, -0.25, 0.0]),
    "z": np.zeros(2),
    "s": np.array(1.5),
}
GRADS = {
    "w": np.cos(np.arange(12.0)).reshape(3, 4),
    "b": np.array([0.1, 0.2, -0.3]),
    "z": np.array([1.0, -1.0]),
    "s": np.array(0.0),
}


def reference(grads, params, min_norm=0.0, coeff=1.0, eps=0.0):
    out, ratios = {}, {}
    for k in params:
        pn = max(np.linalg.norm(params[k]), min_norm)
        un = max(np.linalg.norm(grads[k]), min_norm)
        r = 1.0 if pn == 0 or un == 0 else coeff * pn / (un + eps)
        out[k], ratios[k] = r * grads[k], r
    return out, ratios


def _tree(tree, dtype=jnp.float32):
    return {k: jnp.asarray(v, dtype) for k, v in tree.items()}


@JIT
@pytest.mark.parametrize("hp", [(0.0, 1.0, 0.0), (0.5, 0.01, 1e-3), (2.0, 3.0, 0.1)])
def test_matches_numpy_reference_and_stores_ratios(hp, jit):
    tx = lrx.scale_by_trust_ratio(*hp)
    update = jax.jit(tx.update) if jit else tx.update
    params = _tree(PARAMS)
    state = tx.init(params)
    assert all(float(r) == 1.0 for r in jax.tree.leaves(state.trust_ratio))
    u, state = update(_tree(GRADS), state, params)
    want_u, want_r = reference(GRADS, PARAMS, *hp)
    for k in PARAMS:
        np.testing.assert_allclose(np.asarray(u[k]), want_u[k], rtol=1e-6, atol=1e-7)
        assert float(state.trust_ratio[k]) == pytest.approx(want_r[k], rel=1e-6)
        assert state.trust_ratio[k].dtype == jnp.float32 and state.trust_ratio[k].shape == ()


@pytest.mark.parametrize("hp", [(0.0, 1.0, 0.0), (0.5, 0.01, 1e-3)])
def test_literal_swap_matches_optax(hp):
    params, grads = _tree(PARAMS), _tree(GRADS)
    want, _ = optax.scale_by_trust_ratio(*hp).update(grads, optax.EmptyState(), params)
    tx = lrx.scale_by_trust_ratio(*hp)
    got, _ = tx.update(grads, tx.init(params), params)
    for k in PARAMS:
        np.testing.assert_allclose(np.asarray(got[k]), np.asarray(want[k]), rtol=1e-6)


def test_float64_is_exact_to_rounding():
    with jax.enable_x64(True):
        tx = lrx.scale_by_trust_ratio(0.0, 0.3, 1e-4)
        params = _tree(PARAMS, jnp.float64)
        u, _ = tx.update(_tree(GRADS, jnp.float64), tx.init(params), params)
        assert u["w"].dtype == jnp.float64
    want, _ = reference(GRADS, PARAMS, 0.0, 0.3, 1e-4)
    for k in PARAMS:
        np.testing.assert_allclose(np.asarray(u[k]), want[k], rtol=1e-7, atol=1e-12)


def test_bfloat16_norms_in_float32():
    params = {"w": jnp.full((64, 64), 1.0 + 2**-7, jnp.bfloat16)}
    grads = {"w": jnp.full((64, 64), 3.0, jnp.bfloat16)}
    tx = lrx.scale_by_trust_ratio()
    u, state = tx.update(grads, tx.init(params), params)
    assert u["w"].dtype == jnp.bfloat16
    assert float(state.trust_ratio["w"]) == pytest.approx((1 + 2**-7) / 3, rel=1e-6)


def test_complex_norms_use_modulus():
    params = {"c": jnp.array([3.0 + 4.0j, 0.0j], jnp.complex64)}
    grads = {"c": jnp.array([1.0j, 0.0j], jnp.complex64)}
    tx = lrx.scale_by_trust_ratio()
    u, state = tx.update(grads, tx.init(params), params)
    assert u["c"].dtype == jnp.complex64
    assert float(state.trust_ratio["c"]) == pytest.approx(5.0)
    np.testing.assert_allclose(np.asarray(u["c"]), [5.0j, 0.0j])


def test_masked_leaves_read_one():
    params = _tree(PARAMS)
    mask = {"w": True, "b": False, "z": False, "s": True}
    tx = optax.masked(lrx.scale_by_trust_ratio(), mask)
    _, state = tx.update(_tree(GRADS), tx.init(params), params)
    ratios = trust_ratios(state)
    assert float(ratios["b"]) == 1.0 and float(ratios["z"]) == 1.0
    assert float(ratios["w"]) == pytest.approx(reference(GRADS, PARAMS)[1]["w"], rel=1e-6)


def test_needs_params_and_validates():
    tx = lrx.scale_by_trust_ratio()
    with pytest.raises(ValueError, match="params"):
        tx.update(_tree(GRADS), tx.init(_tree(PARAMS)))
    for kw, name in [({"min_norm": -1.0}, "min_norm"), ({"eps": -1e-3}, "eps")]:
        with pytest.raises(ValueError, match=name):
            lrx.scale_by_trust_ratio(**kw)
    with pytest.raises(ValueError, match="trust_coefficient"):
        lrx.scale_by_trust_ratio(trust_coefficient=float("nan"))
