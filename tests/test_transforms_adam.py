"""Tests of lrx.scale_by_adam against articles 000 and 004, torch and optax.

References:
- article 004 (learning-rate strategies / 3. Adam): bias-corrected moments and
  ``θ ← θ − η m̂/sqrt(v̂ + ε)`` (eps inside the root; lrx.testing.reference.adam with
  ``eps=0, eps_root=ε``), implemented by ``scale_by_adam(eps=0, eps_root=ε)``;
- article 000 (1.4, the Adam code example): the ``AdamOptimizer`` class (eps outside the
  root; lrx.testing.reference.adam's default), the default ``scale_by_adam()``;
- torch.optim.Adam(amsgrad=True) and optax.nadam for the variants (the same reference).
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx._validate import INT32_MAX
from lrx.testing import (
    assert_trajectories_close,
    reference,
    reference_trajectory,
    torch_trajectory,
    trajectory,
)
from tests.grads import JIT, assert_matches_reference, make_grads, ref_outputs, run_updates, stack

GRADS = make_grads(20, seed=3)
PARAMS = jax.tree.map(jnp.zeros_like, GRADS[0])


@JIT
def test_article004_formula(jit):
    """004 Adam, eps inside the root: scale_by_adam(eps=0, eps_root=ε)."""
    tx = lrx.scale_by_adam(0.9, 0.999, 0.0, 1e-6)
    assert_matches_reference(
        tx, reference.adam, GRADS, jit=jit, rtol=1e-5, atol=1e-7,
        b1=0.9, b2=0.999, eps=0.0, eps_root=1e-6,
    )  # fmt: skip


@JIT
def test_article000_class(jit):
    """000 AdamOptimizer.update: θ -= lr m̂/(sqrt(v̂)+ε); lrx.adam(lr) gives the same θ."""
    lr = 0.05
    actual = trajectory(lrx.adam(lr), PARAMS, stack(GRADS), jit=jit)
    desired = reference_trajectory(reference.adam, PARAMS, stack(GRADS), learning_rate=lr)
    assert_trajectories_close(actual, desired, rtol=1e-5, atol=1e-6)


VARIANTS = {
    "default": dict(),
    "eps_root": dict(eps=1e-6, eps_root=1e-8),
    "no_bias_correction": dict(bias_correction=False, eps=1e-3),
    "nesterov": dict(nesterov=True),
    "amsgrad": dict(amsgrad=True),
    "amsgrad_nesterov": dict(amsgrad=True, nesterov=True, b1=0.8, b2=0.99),
    "b1_zero": dict(b1=0.0),
}


@JIT
@pytest.mark.parametrize("name", list(VARIANTS))
def test_matches_reference(name, jit):
    kwargs = VARIANTS[name]
    tx = lrx.scale_by_adam(**kwargs)
    assert_matches_reference(tx, reference.adam, GRADS, jit=jit, rtol=1e-5, atol=1e-6, **kwargs)
    _, state = run_updates(tx.update, tx.init(PARAMS), GRADS)
    assert state.count.dtype == jnp.int32 and int(state.count) == len(GRADS)


@pytest.mark.parametrize(
    "kwargs, optax_fn",
    [
        (dict(), lambda: optax.scale_by_adam()),
        (dict(eps=1e-6, eps_root=1e-8), lambda: optax.scale_by_adam(eps=1e-6, eps_root=1e-8)),
        (dict(nesterov=True), lambda: optax.scale_by_adam(nesterov=True)),
    ],
    ids=["adam", "eps_root", "nadam"],
)
def test_optax_parity(kwargs, optax_fn):
    tx = lrx.scale_by_adam(**kwargs)
    ref = optax_fn()
    outs, state = run_updates(tx.update, tx.init(PARAMS), GRADS)
    with jax.numpy_dtype_promotion("standard"):  # optax: python float ** int32 count
        ref_outs, ref_state = run_updates(ref.update, ref.init(PARAMS), GRADS)
    # lrx's bias correction is accurate to ~1e-7; optax's float32(0.999)**t is off by ~1e-5.
    chex.assert_trees_all_close(outs, ref_outs, rtol=2e-5, atol=1e-6)
    chex.assert_trees_all_equal_dtypes(state.mu, ref_state.mu)


@pytest.mark.parametrize(
    "args",
    [
        (),
        (0.8,),
        (0.8, 0.99),
        (0.9, 0.999, 1e-6),
        (0.9, 0.999, 1e-6, 1e-8),
        (0.9, 0.99, 1e-8, 0.0, jnp.float32),
    ],
    ids=str,
)
@pytest.mark.parametrize("nesterov", [False, True])
def test_literal_swap_from_optax(args, nesterov):
    """optax.scale_by_adam(*args) -> lrx.scale_by_adam(*args) gives optax's numbers."""
    tx = lrx.scale_by_adam(*args, nesterov=nesterov)
    ref = optax.scale_by_adam(*args, nesterov=nesterov)
    outs, _ = run_updates(tx.update, tx.init(PARAMS), GRADS)
    with jax.numpy_dtype_promotion("standard"):  # optax: python float ** int32 count
        ref_outs, _ = run_updates(ref.update, ref.init(PARAMS), GRADS)
    chex.assert_trees_all_close(outs, ref_outs, rtol=2e-5, atol=1e-6)


def test_mu_bf16_matches_optax_dtypes_and_is_closer_to_exact_adam():
    """mu_dtype=bfloat16 stores m as optax does; lrx forms b1*m in float32 (optax in
    bfloat16), so its trajectory is at least as close to exact (float64) Adam."""
    exact = ref_outputs(reference.adam, GRADS)
    tx = lrx.scale_by_adam(mu_dtype=jnp.bfloat16)
    ref = optax.scale_by_adam(mu_dtype=jnp.bfloat16)
    outs, state = run_updates(tx.update, tx.init(PARAMS), GRADS)
    with jax.numpy_dtype_promotion("standard"):
        ref_outs, ref_state = run_updates(ref.update, ref.init(PARAMS), GRADS)
    chex.assert_trees_all_equal_dtypes(tuple(state), tuple(ref_state))

    def max_err(o):
        return max(float(np.abs(o[i][k] - exact[i][k]).max()) for i in range(20) for k in o[0])

    assert max_err(outs) < 1e-2
    assert max_err(outs) <= max_err(ref_outs)


def test_inside_optax_chain_gives_optax_adamw():
    """lrx.scale_by_adam inside optax.chain with optax pieces equals optax.adamw."""
    tx = optax.chain(
        lrx.scale_by_adam(), optax.add_decayed_weights(0.1), optax.scale_by_learning_rate(0.01)
    )
    ref = optax.adamw(0.01, weight_decay=0.1)
    params = jax.tree.map(lambda g: jnp.ones_like(g) * 0.5, GRADS[0])
    s, rs = tx.init(params), ref.init(params)
    with jax.numpy_dtype_promotion("standard"):
        for g in GRADS:
            u, s = tx.update(g, s, params)
            ru, rs = ref.update(g, rs, params)
            chex.assert_trees_all_close(u, ru, rtol=2e-5, atol=1e-8)


@pytest.mark.parity
@pytest.mark.parametrize("amsgrad", [False, True])
def test_torch_adam_parity(amsgrad):
    """lrx.adam follows torch.optim.Adam (amsgrad: max of the uncorrected v) for 20 steps."""
    torch = pytest.importorskip("torch")
    w0 = np.linspace(-1.0, 1.0, 6).astype(np.float32)
    # decreasing gradients make v shrink, so the amsgrad max matters
    grads = np.stack([g["w"].reshape(-1) / (1 + i) ** 2 for i, g in enumerate(GRADS)])
    want = torch_trajectory(
        lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), amsgrad=amsgrad), w0, grads
    )
    got = trajectory(lrx.adam(0.01, b1=0.8, b2=0.99, amsgrad=amsgrad), w0, grads)
    assert_trajectories_close(got, want, rtol=1e-5, atol=1e-6)


def test_amsgrad_keeps_uncorrected_max():
    """torch semantics: nu_max holds max(v) of the uncorrected v, not of v̂."""
    tx = lrx.scale_by_adam(b2=0.5, amsgrad=True)
    state = tx.init(jnp.zeros(1))
    _, state = tx.update(jnp.array([2.0]), state)  # v = 2
    _, state = tx.update(jnp.array([0.0]), state)  # v = 1; v̂ = 1/0.75 > 2/0.5? no: max(v)=2
    np.testing.assert_allclose(np.asarray(state.nu_max), [2.0])
    np.testing.assert_allclose(np.asarray(state.nu), [1.0])


def test_bias_correction_finite_at_saturated_count():
    for kwargs in (dict(), dict(nesterov=True), dict(amsgrad=True)):
        tx = lrx.scale_by_adam(**kwargs)
        state = tx.init(PARAMS)._replace(count=jnp.asarray(INT32_MAX, jnp.int32))
        u, state = tx.update(GRADS[0], state)
        assert int(state.count) == INT32_MAX
        chex.assert_tree_all_finite(u)
        # at t → ∞ the correction is 1: m̂ = m = (1 − β1) g, v̂ = (1 − β2) g²
        expected = jax.tree.map(
            lambda g: np.asarray(0.1 * g / (np.sqrt(0.001) * np.abs(g) + 1e-8)), GRADS[0]
        )
        if not kwargs:
            chex.assert_trees_all_close(u, expected, rtol=1e-4)


def test_mu_dtype_sets_first_moment_dtype_only():
    tx = lrx.scale_by_adam(mu_dtype=jnp.bfloat16)
    state = tx.init(PARAMS)
    assert all(m.dtype == jnp.bfloat16 for m in jax.tree.leaves(state.mu))
    assert all(v.dtype == jnp.float32 for v in jax.tree.leaves(state.nu))
    u, state = tx.update(GRADS[0], state)
    assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(u))
    assert all(m.dtype == jnp.bfloat16 for m in jax.tree.leaves(state.mu))


def test_zero_history_with_zero_eps_is_zero_not_nan():
    tx = lrx.scale_by_adam(eps=0.0)
    u, _ = tx.update(jnp.zeros(2), tx.init(jnp.zeros(2)))
    np.testing.assert_array_equal(np.asarray(u), np.zeros(2))


def test_mismatched_tree_raises():
    tx = lrx.scale_by_adam()
    with pytest.raises(ValueError, match="update tree does not match the state"):
        tx.update({"a": jnp.ones(2)}, tx.init({"b": jnp.zeros(2)}))


def test_works_inside_optax_masked():
    """optax.masked feeds MaskedNode leaves to init and update; the tree check accepts them."""
    tx = optax.masked(lrx.scale_by_adam(), {"w": True, "b": False})
    state = tx.init(PARAMS)
    u, state = tx.update(GRADS[0], state)
    np.testing.assert_array_equal(np.asarray(u["b"]), np.asarray(GRADS[0]["b"]))  # untouched
    np.testing.assert_allclose(np.abs(np.asarray(u["w"])), 1.0, rtol=1e-4)  # first Adam step
