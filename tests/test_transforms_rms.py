"""Tests of lrx.scale_by_rms against article 004's RMSprop, torch and optax.

Reference: article 004 (learning-rate strategies / 2. RMSprop):
``s_t = ρ s_{t-1} + (1 − ρ) ∇J⊙∇J``, ``θ_{t+1} = θ_t − η / sqrt(s_t + ε) ⊙ ∇J`` (eps inside,
lrx.testing.reference.rmsprop; lrx's and optax's default); torch.optim.RMSprop (eps
outside, centered) as its variants.
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx._validate import INT32_MAX
from lrx.testing import reference
from tests.grads import JIT, assert_matches_reference, make_grads, run_updates

GRADS = make_grads(20, seed=2)
PARAMS = jax.tree.map(jnp.zeros_like, GRADS[0])


@JIT
def test_article004_formula(jit):
    """004 RMSprop with eps inside the root: scale_by_rms(rho, eps) (the default)."""
    tx = lrx.scale_by_rms(0.9, 1e-6)
    assert_matches_reference(
        tx, reference.rmsprop, GRADS, jit=jit, rtol=2e-6, atol=0.0, decay=0.9, eps=1e-6
    )


VARIANTS = {
    "optax_default": dict(decay=0.9),
    "torch_default": dict(decay=0.99, eps_in_sqrt=False),
    "centered": dict(decay=0.9, centered=True, eps_in_sqrt=False),
    "centered_in_sqrt": dict(decay=0.9, centered=True, eps=1e-6),
    "initial_scale": dict(decay=0.8, initial_scale=1.0),
    "bias_corrected": dict(decay=0.95, bias_correction=True, eps_in_sqrt=False),
    # s_0 > 0: with s_0 = 0 the first bias-corrected centered variance is exactly 0
    # (ill-conditioned: g / eps), so rounding would decide the result.
    "bias_corrected_centered": dict(
        decay=0.95, bias_correction=True, centered=True, initial_scale=1.0
    ),
}


@JIT
@pytest.mark.parametrize("name", list(VARIANTS))
def test_matches_reference(name, jit):
    kwargs = dict(VARIANTS[name])  # the dict is shared by the jit and no-jit cases
    decay = kwargs.pop("decay")
    tx = lrx.scale_by_rms(decay, **kwargs)
    assert_matches_reference(
        tx, reference.rmsprop, GRADS, jit=jit, rtol=1e-5, atol=1e-6, decay=decay, **kwargs
    )
    _, state = run_updates(tx.update, tx.init(PARAMS), GRADS)
    assert int(state.count) == len(GRADS)


@pytest.mark.parametrize(
    "args",
    [
        (),
        (0.8,),
        (0.9, 1e-6),
        (0.9, 1e-8, 0.5),
        (0.9, 1e-8, 0.0, False),
        (0.9, 1e-8, 0.5, False, True),
    ],
    ids=str,
)
def test_literal_swap_from_optax(args):
    """optax.scale_by_rms(*args) -> lrx.scale_by_rms(*args) gives optax's numbers."""
    tx, ref = lrx.scale_by_rms(*args), optax.scale_by_rms(*args)
    outs, _ = run_updates(tx.update, tx.init(PARAMS), GRADS)
    with jax.numpy_dtype_promotion("standard"):  # optax: python float ** int32 count
        ref_outs, _ = run_updates(ref.update, ref.init(PARAMS), GRADS)
    chex.assert_trees_all_close(outs, ref_outs, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, optax_fn",
    [
        (dict(), lambda: optax.scale_by_rms(0.9, eps=1e-8)),
        (
            dict(initial_scale=0.5, bias_correction=True, eps_in_sqrt=False),
            lambda: optax.scale_by_rms(
                0.9, eps=1e-8, initial_scale=0.5, eps_in_sqrt=False, bias_correction=True
            ),
        ),
        (dict(centered=True), lambda: optax.scale_by_stddev(0.9, eps=1e-8)),
    ],
    ids=["rms", "bias_corrected", "centered"],
)
def test_optax_parity(kwargs, optax_fn):
    tx = lrx.scale_by_rms(0.9, eps=1e-8, **kwargs)
    ref = optax_fn()
    outs, _ = run_updates(tx.update, tx.init(PARAMS), GRADS)
    # optax's bias correction (python float ** int32 count) needs standard promotion.
    with jax.numpy_dtype_promotion("standard"):
        ref_outs, _ = run_updates(ref.update, ref.init(PARAMS), GRADS)
    chex.assert_trees_all_close(outs, ref_outs, rtol=2e-5, atol=1e-6)


def test_inside_optax_chain_gives_optax_rmsprop_with_momentum():
    """lrx rms + optax.trace + optax.scale equals optax.rmsprop(momentum=0.9)."""
    tx = optax.chain(
        lrx.scale_by_rms(0.9, eps=1e-8),
        optax.trace(0.9),
        optax.scale(-0.01),
    )
    ref = optax.rmsprop(0.01, decay=0.9, eps=1e-8, momentum=0.9)
    outs, _ = run_updates(tx.update, tx.init(PARAMS), GRADS)
    ref_outs, _ = run_updates(ref.update, ref.init(PARAMS), GRADS)
    chex.assert_trees_all_close(outs, ref_outs, rtol=1e-5, atol=1e-7)


@pytest.mark.parity
@pytest.mark.parametrize("centered", [False, True])
def test_torch_rmsprop_parity(centered):
    """lrx.rmsprop(momentum, centered) follows torch.optim.RMSprop over 20 steps (float32)."""
    torch = pytest.importorskip("torch")
    w0 = np.linspace(-1.0, 1.0, 6).astype(np.float32)
    p = torch.nn.Parameter(torch.tensor(w0))
    opt = torch.optim.RMSprop([p], lr=0.01, alpha=0.9, momentum=0.5, centered=centered)
    tx = lrx.rmsprop(0.01, decay=0.9, eps_in_sqrt=False, momentum=0.5, centered=centered)
    w = jnp.asarray(w0)
    state = tx.init(w)
    for g in GRADS:
        grad = g["w"].reshape(-1)
        p.grad = torch.tensor(grad)
        opt.step()
        u, state = tx.update(jnp.asarray(grad), state, w)
        w = optax.apply_updates(w, u)
    np.testing.assert_allclose(np.asarray(w), p.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("eps_in_sqrt", [True, False])
def test_centered_constant_gradient_stays_finite_with_zero_eps(eps_in_sqrt):
    """Var → 0 with a constant gradient: clamped at 0, then a zero denominator gives 0."""
    tx = lrx.scale_by_rms(0.5, eps=0.0, eps_in_sqrt=eps_in_sqrt, centered=True)
    state = tx.init(jnp.zeros(2))
    for _ in range(60):
        u, state = tx.update(jnp.full((2,), 3.0), state)
        chex.assert_tree_all_finite(u)


def test_bias_correction_finite_at_saturated_count():
    tx = lrx.scale_by_rms(0.9, bias_correction=True, centered=True)
    state = tx.init(PARAMS)._replace(count=jnp.asarray(INT32_MAX, jnp.int32))
    u, state = tx.update(GRADS[0], state)
    assert int(state.count) == INT32_MAX
    chex.assert_tree_all_finite(u)


def test_bias_correction_needs_decay_below_one():
    with pytest.raises(ValueError, match="decay must be < 1"):
        lrx.scale_by_rms(1.0, bias_correction=True)


def test_mismatched_tree_raises():
    tx = lrx.scale_by_rms(centered=True)
    with pytest.raises(ValueError, match="update tree does not match the state"):
        tx.update({"a": jnp.ones(2), "b": jnp.ones(1)}, tx.init({"a": jnp.zeros(2)}))
