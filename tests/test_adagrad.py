"""Tests of lrx.scale_by_adagrad against article 004's AdaGrad, torch and optax.

Reference: article 004 (learning-rate strategies / 1. AdaGrad):
``g_t = g_{t-1} + ∇J⊙∇J``, ``θ_{t+1} = θ_t − η / sqrt(g_t + ε) ⊙ ∇J`` (eps inside the root,
tests/numpy_refs.py::adagrad_004; lrx's and optax's default), and torch.optim.Adagrad's eps
outside the root (tests/numpy_refs.py::adagrad_ref).
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from absl.testing import parameterized

import lrx
from tests.numpy_refs import adagrad_004, adagrad_ref, make_grads, run_updates, tree_ref

GRADS = make_grads(20, seed=1)
PARAMS = jax.tree.map(jnp.zeros_like, GRADS[0])


class AdagradTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_article004_formula(self):
        """004 AdaGrad (G_0 = 0, eps inside the root): scale_by_adagrad(0.0, eps)."""
        tx = lrx.scale_by_adagrad(0.0, 1e-6)
        outs, _ = run_updates(self.variant(tx.update), tx.init(PARAMS), GRADS)
        chex.assert_trees_all_close(outs, tree_ref(adagrad_004, GRADS, 1e-6), rtol=2e-6)

    @chex.variants(with_jit=True, without_jit=True)
    @parameterized.named_parameters(
        ("torch_default", 0.0, 1e-10, False),
        ("initial_acc", 0.1, 1e-7, False),
        ("eps_in_sqrt", 0.1, 1e-7, True),
        ("large_eps", 0.0, 0.5, False),
    )
    def test_matches_reference(self, initial, eps, eps_in_sqrt):
        tx = lrx.scale_by_adagrad(initial, eps, eps_in_sqrt=eps_in_sqrt)
        outs, _ = run_updates(self.variant(tx.update), tx.init(PARAMS), GRADS)
        expected = tree_ref(
            adagrad_ref, GRADS, initial_accumulator_value=initial, eps=eps, eps_in_sqrt=eps_in_sqrt
        )
        chex.assert_trees_all_close(outs, expected, rtol=2e-6)


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
    outs, _ = run_updates(tx.update, tx.init(PARAMS), GRADS)
    chex.assert_trees_all_close(outs, tree_ref(adagrad_ref, GRADS, 0.1, 1e-7), rtol=2e-6)


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
