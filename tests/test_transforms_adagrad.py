"""Tests of lrx.scale_by_adagrad against article 004's AdaGrad, torch and optax.

Reference: article 004 (learning-rate strategies / 1. AdaGrad):
``g_t = g_{t-1} + ∇J⊙∇J``, ``θ_{t+1} = θ_t − η / sqrt(g_t + ε) ⊙ ∇J`` (eps inside the root,
lrx.testing.reference.adagrad; lrx's and optax's default), and torch.optim.Adagrad's eps
outside the root (``eps_in_sqrt=False``).
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.testing import reference
from tests.grads import JIT, assert_matches_reference, make_grads, run_updates

GRADS = make_grads(20, seed=1)
PARAMS = jax.tree.map(jnp.zeros_like, GRADS[0])


@JIT
def test_article004_formula(jit):
    """004 AdaGrad (G_0 = 0, eps inside the root): scale_by_adagrad(0.0, eps)."""
    tx = lrx.scale_by_adagrad(0.0, 1e-6)
    assert_matches_reference(
        tx, reference.adagrad, GRADS, jit=jit, rtol=2e-6, atol=0.0,
        initial_accumulator_value=0.0, eps=1e-6, eps_in_sqrt=True,
    )  # fmt: skip


@JIT
@pytest.mark.parametrize(
    ("initial", "eps", "eps_in_sqrt"),
    [(0.0, 1e-10, False), (0.1, 1e-7, False), (0.1, 1e-7, True), (0.0, 0.5, False)],
    ids=["torch_default", "initial_acc", "eps_in_sqrt", "large_eps"],
)
def test_matches_reference(initial, eps, eps_in_sqrt, jit):
    tx = lrx.scale_by_adagrad(initial, eps, eps_in_sqrt=eps_in_sqrt)
    assert_matches_reference(
        tx, reference.adagrad, GRADS, jit=jit, rtol=2e-6, atol=0.0,
        initial_accumulator_value=initial, eps=eps, eps_in_sqrt=eps_in_sqrt,
    )  # fmt: skip


@pytest.mark.parametrize("args", [(), (0.5,), (0.0, 1e-4), (1.0, 0.0)], ids=str)
def test_equals_optax_scale_by_rss(args):
    """The literal swap: optax.scale_by_rss(*args) -> lrx.scale_by_adagrad(*args)."""
    tx = lrx.scale_by_adagrad(*args)
    ref = optax.scale_by_rss(*args)
    outs, _ = run_updates(tx.update, tx.init(PARAMS), GRADS)
    ref_outs, _ = run_updates(ref.update, ref.init(PARAMS), GRADS)
    chex.assert_trees_all_close(outs, ref_outs, rtol=1e-5)


def test_defaults_are_optax_adagrad():
    tx = lrx.scale_by_adagrad()
    np.testing.assert_allclose(np.asarray(tx.init(jnp.zeros(2)).sum_of_squares), 0.1)
    assert_matches_reference(
        tx, reference.adagrad, GRADS, jit=False, rtol=2e-6, atol=0.0,
        initial_accumulator_value=0.1, eps=1e-7,
    )  # fmt: skip


def test_optimizer_inside_optax_chain_gives_optax_adagrad():
    tx = optax.chain(lrx.scale_by_adagrad(), optax.scale(-0.3))
    ref = optax.adagrad(0.3, initial_accumulator_value=0.1, eps=1e-7)
    outs, _ = run_updates(tx.update, tx.init(PARAMS), GRADS)
    ref_outs, _ = run_updates(ref.update, ref.init(PARAMS), GRADS)
    chex.assert_trees_all_close(outs, ref_outs, rtol=1e-5)


@pytest.mark.parametrize("eps_in_sqrt", [True, False])
def test_zero_gradient_with_zero_eps_is_zero_not_nan(eps_in_sqrt):
    tx = lrx.scale_by_adagrad(0.0, 0.0, eps_in_sqrt=eps_in_sqrt)
    u, _ = tx.update(jnp.zeros(3), tx.init(jnp.zeros(3)))
    np.testing.assert_array_equal(np.asarray(u), np.zeros(3))


def test_mismatched_tree_raises():
    tx = lrx.scale_by_adagrad()
    with pytest.raises(ValueError, match="update tree does not match the state"):
        tx.update([jnp.ones(2)], tx.init({"a": jnp.zeros(2)}))
