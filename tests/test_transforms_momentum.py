"""Tests of lrx.scale_by_momentum against the article's momentum and torch.optim.SGD.

Reference: article 004, momentum methods (the first step follows the gradient, later steps
add the decayed previous direction), with torch.optim.SGD's dampening and
Nesterov variants (lrx.testing.reference.momentum).
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx._validate import INT32_MAX
from lrx.testing import assert_trajectories_close, reference, torch_trajectory, trajectory
from lrx.transforms.momentum import check_nesterov
from tests.grads import JIT, assert_matches_reference, make_grads, run_updates, stack

GRADS = make_grads(20)
PARAMS = jax.tree.map(jnp.zeros_like, GRADS[0])


@JIT
@pytest.mark.parametrize(
    ("decay", "nesterov", "dampening"),
    [(0.9, False, 0.0), (0.9, True, 0.0), (0.8, False, 0.3), (0.0, False, 0.0), (0.5, False, 1.0)],
    ids=["heavy_ball", "nesterov", "dampening", "zero_decay", "full_dampening"],
)
def test_matches_reference(decay, nesterov, dampening, jit):
    """004 动量方法 / torch.optim.SGD buffer over 20 steps, b_1 = g_1 undampened."""
    tx = lrx.scale_by_momentum(decay, nesterov=nesterov, dampening=dampening)
    assert_matches_reference(
        tx, reference.momentum, GRADS, jit=jit, rtol=1e-5, atol=1e-6,
        momentum=decay, nesterov=nesterov, dampening=dampening,
    )  # fmt: skip
    _, state = run_updates(tx.update, tx.init(PARAMS), GRADS)
    assert int(state.count) == len(GRADS)


@JIT
@pytest.mark.parametrize("nesterov", [False, True], ids=["plain", "nesterov"])
def test_equals_optax_trace(nesterov, jit):
    """With dampening=0 the buffer is optax.trace's."""
    tx = lrx.scale_by_momentum(0.9, nesterov)  # optax.trace's positional order
    ref = optax.trace(0.9, nesterov)
    actual = trajectory(tx, PARAMS, stack(GRADS), jit=jit)
    assert_trajectories_close(actual, trajectory(ref, PARAMS, stack(GRADS)), rtol=1e-5, atol=1e-7)


def test_inside_optax_chain_gives_optax_sgd():
    """lrx momentum mixed with optax's scaling reproduces optax.sgd(momentum=0.9)."""
    tx = optax.chain(lrx.scale_by_momentum(0.9, nesterov=True), optax.scale(-0.1))
    ref = optax.sgd(0.1, momentum=0.9, nesterov=True)
    outs, _ = run_updates(tx.update, tx.init(PARAMS), GRADS)
    ref_outs, _ = run_updates(ref.update, ref.init(PARAMS), GRADS)
    chex.assert_trees_all_close(outs, ref_outs, rtol=1e-5, atol=1e-7)


@pytest.mark.parity
def test_torch_sgd_dampening_parity():
    """torch.optim.SGD(momentum, dampening) trajectory equals lrx.sgd's (float32)."""
    torch = pytest.importorskip("torch")
    w0 = np.linspace(-1.0, 1.0, 6).astype(np.float32)
    grads = np.stack([g["w"].reshape(-1) for g in GRADS[:10]])
    want = torch_trajectory(
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01),
        w0,
        grads,
    )
    got = trajectory(lrx.sgd(0.05, momentum=0.8, dampening=0.3, weight_decay=0.01), w0, grads)
    assert_trajectories_close(got, want, rtol=1e-5, atol=1e-7)


def test_count_saturates_and_stays_finite():
    tx = lrx.scale_by_momentum(0.9, dampening=0.5)
    state = tx.init(PARAMS)._replace(count=jnp.asarray(INT32_MAX, jnp.int32))
    u, state = tx.update(GRADS[0], state)
    assert state.count.dtype == jnp.int32 and int(state.count) == INT32_MAX
    chex.assert_tree_all_finite(u)
    # not the first step: the gradient is dampened
    chex.assert_trees_all_close(u, jax.tree.map(lambda g: 0.5 * g, GRADS[0]), rtol=1e-6)


def test_mismatched_tree_raises():
    tx = lrx.scale_by_momentum()
    state = tx.init({"w": jnp.zeros(3)})
    with pytest.raises(ValueError, match="update tree does not match the state"):
        tx.update({"v": jnp.ones(3)}, state)
    with pytest.raises(ValueError, match="shape"):
        tx.update({"w": jnp.ones(4)}, state)


def test_nesterov_needs_momentum_and_no_dampening():
    with pytest.raises(ValueError, match="nesterov=True requires decay > 0"):
        lrx.scale_by_momentum(0.0, nesterov=True)
    with pytest.raises(ValueError, match="dampening"):
        lrx.scale_by_momentum(0.9, nesterov=True, dampening=0.1)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            (0.0, True),
            r"nesterov=True requires momentum > 0 and dampening == 0 \(as torch.optim\), "
            r"got momentum=0.0, dampening=0.0",
        ),
        ((0.9, True, 0.5), "got momentum=0.9, dampening=0.5"),
        ((1.5, False), r"momentum must be in \[0.0, 1.0\], got 1.5"),
        ((0.9, False, -0.1), r"dampening must be in \[0.0, 1.0\], got -0.1"),
        ((0.9, 1), "nesterov must be a bool, got 1"),
    ],
)
def test_check_nesterov_messages(args, match):
    with pytest.raises(ValueError, match=match):
        check_nesterov(*args)


def test_check_nesterov_normalizes_and_lets_tracers_through():
    assert check_nesterov(np.float32(0.5), np.bool_(True)) == (0.5, True, 0.0)
    assert check_nesterov(jnp.asarray(0.25), False, jnp.asarray(0.5)) == (0.25, False, 0.5)

    @jax.jit
    def f(m, d):
        m2, nesterov, d2 = check_nesterov(m, True, d)  # rule unchecked for tracers
        assert nesterov is True and m2 is m and d2 is d
        return m2 + d2

    assert float(f(0.0, 0.5)) == 0.5
