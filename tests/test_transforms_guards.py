"""Tests for lrx.skip_nonfinite.

Reference: ``skip_nonfinite(inner, *, max_consecutive=None)`` skips (zero update,
state kept) any update whose gradients or result are not finite, and counts skips. The
Adam reference below is the formula of article 000 ("Adam"):
m_t = β1 m_{t−1} + (1−β1) g_t, v_t = β2 v_{t−1} + (1−β2) g_t², update
−η m̂_t / (√v̂_t + ε) with m̂_t = m_t / (1−β1^t), v̂_t = v_t / (1−β2^t).
"""

from __future__ import annotations

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrx
from lrx.transforms.guards import SkipNonfiniteState
from tests.grads import JIT, maybe_jit

NAN, INF = float("nan"), float("inf")


def _numpy_adam(grads, lr=1e-2, b1=0.9, b2=0.999, eps=1e-8):
    """Article 000's Adam on a list of finite gradients; returns the parameter deltas."""
    m = v = np.zeros_like(grads[0], np.float64)
    deltas = []
    for t, g in enumerate(grads, start=1):
        g = np.asarray(g, np.float64)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        deltas.append(-lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps))
    return deltas


_GRADS = [
    [1.0, -2.0],
    [NAN, 1.0],
    [0.5, 0.25],
    [INF, -INF],
    [NAN, NAN],
    [-1.0, 3.0],
]


@JIT
@pytest.mark.parametrize("lib", ["optax", "lrx"])
def test_adam_skips_equal_never_seen(jit, lib):
    """Skipped steps leave params and Adam's state untouched (its count included)."""
    finite = [g for g in _GRADS if np.all(np.isfinite(g))]
    expected = iter(_numpy_adam(finite))
    # optax.adam computes float ** int32 (bias correction), which the suite's strict
    # promotion rejects: standard promotion for the optax variant only.
    promotion = "standard" if lib == "optax" else "strict"
    with jax.numpy_dtype_promotion(promotion):
        adam = optax.adam(1e-2) if lib == "optax" else lrx.adam(1e-2)
        tx = lrx.skip_nonfinite(adam)
        params = jnp.zeros(2)
        state = maybe_jit(jit, tx.init)(params)
        update = maybe_jit(jit, tx.update)
        for g in _GRADS:
            updates, state = update(jnp.asarray(g, jnp.float32), state, params)
            if np.all(np.isfinite(g)):
                np.testing.assert_allclose(updates, next(expected), rtol=1e-5, atol=1e-9)
            else:
                np.testing.assert_array_equal(updates, np.zeros(2, np.float32))
            params = optax.apply_updates(params, updates)
            assert np.all(np.isfinite(params))
    counts = [
        leaf
        for leaf in jax.tree.leaves(state.inner_state)
        if jnp.issubdtype(leaf.dtype, jnp.integer)
    ]
    assert counts and all(int(c) == len(finite) for c in counts)
    assert int(state.num_skipped) == 3
    assert int(state.consecutive) == 0
    assert not bool(state.limit_hit)


@JIT
def test_counters_and_limit_flag(jit):
    """num_skipped totals, consecutive resets on a finite step, limit_hit is sticky."""
    tx = lrx.skip_nonfinite(optax.sgd(0.5, momentum=0.9), max_consecutive=2)
    unlimited = lrx.skip_nonfinite(optax.sgd(0.5, momentum=0.9))
    state = maybe_jit(jit, tx.init)(jnp.zeros(2))
    state_u = maybe_jit(jit, unlimited.init)(jnp.zeros(2))
    update, update_u = maybe_jit(jit, tx.update), maybe_jit(jit, unlimited.update)
    seen = []
    for g in _GRADS:
        g = jnp.asarray(g, jnp.float32)
        _, state = update(g, state)
        _, state_u = update_u(g, state_u)
        seen.append((int(state.num_skipped), int(state.consecutive), bool(state.limit_hit)))
        assert not bool(state_u.limit_hit)
    assert seen == [
        (0, 0, False),
        (1, 1, False),
        (1, 0, False),
        (2, 1, False),
        (3, 2, True),  # two consecutive skips: the limit is hit
        (3, 0, True),  # sticky after finite updates resume
    ]
    chex.assert_trees_all_equal(state_u.num_skipped, state.num_skipped)
    chex.assert_type([state.num_skipped, state.consecutive], jnp.int32)
    chex.assert_type(state.limit_hit, jnp.bool_)


@JIT
def test_nonfinite_result_from_finite_grads(jit):
    """Finite gradients whose transformed update overflows are skipped too."""
    tx = lrx.skip_nonfinite(optax.scale(3e38))
    state = maybe_jit(jit, tx.init)(jnp.zeros(2))
    update = maybe_jit(jit, tx.update)
    updates, state = update(jnp.array([2.0, 0.0], jnp.float32), state)
    np.testing.assert_array_equal(updates, np.zeros(2, np.float32))
    updates, state = update(jnp.array([0.5, 0.0], jnp.float32), state)
    np.testing.assert_allclose(updates, [1.5e38, 0.0], rtol=1e-6)
    assert int(state.num_skipped) == 1


@JIT
@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float32])
def test_dtypes(jit, dtype):
    """bf16 (and f32) gradients: Inf/NaN are detected, outputs keep the update dtype."""
    tx = lrx.skip_nonfinite(optax.sgd(0.5, momentum=0.9))
    params = {"w": jnp.ones(3, dtype), "b": jnp.ones(1, dtype)}
    state = maybe_jit(jit, tx.init)(params)
    update = maybe_jit(jit, tx.update)
    bad = {"w": jnp.array([1.0, INF, 0.0], dtype), "b": jnp.ones(1, dtype)}
    updates, state = update(bad, state, params)
    chex.assert_trees_all_equal_dtypes(updates, params)
    chex.assert_trees_all_close(updates, jax.tree.map(jnp.zeros_like, params))
    good = {"w": jnp.array([1.0, 2.0, 0.0], dtype), "b": jnp.ones(1, dtype)}
    updates, state = update(good, state, params)
    chex.assert_trees_all_equal_dtypes(updates, params)
    chex.assert_trees_all_close(updates, jax.tree.map(lambda g: -0.5 * g, good))
    assert int(state.num_skipped) == 1


@JIT
def test_learning_rate_schedule_does_not_advance(jit):
    """A skipped step is as if it never happened: the schedule's count holds."""
    sched = lrx.step_decay(1.0, step_size=1, gamma=0.5)
    tx = lrx.skip_nonfinite(lrx.scale_by_learning_rate(sched))
    state = maybe_jit(jit, tx.init)(jnp.zeros(1))
    update = maybe_jit(jit, tx.update)
    outs = []
    for g in [1.0, NAN, 1.0, INF, 1.0]:
        u, state = update(jnp.full(1, g, jnp.float32), state)
        outs.append(float(u[0]))
    assert outs == [-1.0, 0.0, -0.5, 0.0, -0.25]
    np.testing.assert_allclose(lrx.learning_rate(state), 0.25)


def test_extra_args_reach_reduce_on_plateau():
    """``value=`` passes through to reduce_on_plateau; a skipped step drops its observation."""
    inner = optax.chain(optax.sgd(1.0), lrx.reduce_on_plateau(factor=0.5, patience=0))
    tx = lrx.skip_nonfinite(inner)
    assert isinstance(tx, optax.GradientTransformationExtraArgs)
    state = tx.init(jnp.zeros(1))
    step = jax.jit(lambda g, s, v: tx.update(g, s, value=v))
    one = jnp.ones(1, jnp.float32)
    _, state = step(one, state, jnp.float32(1.0))  # best 1.0
    _, state = step(jnp.full(1, NAN, jnp.float32), state, jnp.float32(5.0))  # skipped
    plateau = state.inner_state[1]
    assert float(plateau.scale) == 1.0 and int(plateau.count) == 1
    u, state = step(one, state, jnp.float32(5.0))  # worse: scale 0.5
    assert float(state.inner_state[1].scale) == 0.5
    np.testing.assert_allclose(u, [-0.5])


def test_lax_scan_training_loop():
    """Inside a jitted lax.scan loop, skipped steps leave the trajectory of the finite ones."""
    grads = jnp.asarray(_GRADS, jnp.float32)
    tx = lrx.skip_nonfinite(optax.sgd(0.1, momentum=0.9), max_consecutive=3)
    ref_tx = optax.sgd(0.1, momentum=0.9)

    @jax.jit
    def train(params):
        def body(carry, g):
            p, s = carry
            u, s = tx.update(g, s, p)
            return (optax.apply_updates(p, u), s), None

        (p, s), _ = jax.lax.scan(body, (params, tx.init(params)), grads)
        return p, s

    params, state = train(jnp.zeros(2))
    p, s = jnp.zeros(2), ref_tx.init(jnp.zeros(2))
    for g in grads:
        if bool(jnp.all(jnp.isfinite(g))):
            u, s = ref_tx.update(g, s, p)
            p = optax.apply_updates(p, u)
    chex.assert_trees_all_close(params, p, rtol=1e-6)
    assert int(state.num_skipped) == 3 and not bool(state.limit_hit)
    assert isinstance(state, SkipNonfiniteState)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_max_consecutive_validation(bad):
    with pytest.raises(ValueError, match="max_consecutive must be"):
        lrx.skip_nonfinite(optax.sgd(0.1), max_consecutive=bad)


def test_inner_validation():
    with pytest.raises(ValueError, match="inner must be a GradientTransformation"):
        lrx.skip_nonfinite(lambda g: g)


def test_state_is_arrays_and_serializes():
    """State leaves are arrays; flax.serialization round-trips it."""
    serialization = pytest.importorskip("flax.serialization")
    tx = lrx.skip_nonfinite(optax.sgd(0.1, momentum=0.9), max_consecutive=2)
    state = tx.init({"w": jnp.ones(2)})
    _, state = tx.update({"w": jnp.array([NAN, 1.0], jnp.float32)}, state)
    assert all(isinstance(x, jax.Array) for x in jax.tree.leaves(state))
    restored = serialization.from_bytes(tx.init({"w": jnp.ones(2)}), serialization.to_bytes(state))
    chex.assert_trees_all_equal(restored, state)


@JIT
def test_poisoned_state_behind_a_finite_update_is_skipped(jit):
    """A finite gradient of 1e20 overflows Adam's v (g² > float32 max) to inf while the
    update m/(sqrt(v)+eps) is a finite 0: the step must be skipped, counted, and the state
    kept, so the next finite gradient trains normally."""
    tx = lrx.skip_nonfinite(lrx.adam(0.1))
    update = jax.jit(tx.update) if jit else tx.update
    state = tx.init(jnp.zeros(2))
    before = state
    updates, state = update(jnp.array([1e20, 1.0], jnp.float32), state)
    np.testing.assert_array_equal(updates, [0.0, 0.0])
    assert int(state.num_skipped) == 1
    chex.assert_trees_all_equal(state.inner_state, before.inner_state)
    # unguarded, the same step commits v = inf and the first parameter never moves again
    plain = lrx.adam(0.1)
    u, s = plain.update(jnp.array([1e20, 1.0], jnp.float32), plain.init(jnp.zeros(2)))
    assert np.isfinite(np.asarray(u)).all() and not np.isfinite(np.asarray(s[0].nu)).all()
    updates, state = update(jnp.array([1.0, 1.0], jnp.float32), state)
    np.testing.assert_allclose(updates, [-0.1, -0.1], rtol=1e-5)
    assert int(state.num_skipped) == 1


def test_state_already_infinite_is_not_a_skip():
    """reduce_on_plateau's best is +inf before its first observation: not a poisoned state."""
    tx = lrx.skip_nonfinite(lrx.chain(lrx.sgd(0.1), lrx.reduce_on_plateau()))
    state = tx.init(jnp.zeros(2))
    updates, state = tx.update(jnp.ones(2), state)
    np.testing.assert_allclose(updates, [-0.1, -0.1], rtol=1e-6)
    assert int(state.num_skipped) == 0
    updates, state = tx.update(jnp.ones(2), state, value=1.0)
    assert int(state.num_skipped) == 0 and float(state.inner_state[1].best) == 1.0


def test_foreign_state_is_a_value_error():
    tx = lrx.skip_nonfinite(lrx.sgd(0.1))
    with pytest.raises(ValueError, match="skip_nonfinite: got a state of type"):
        tx.update(jnp.ones(2), lrx.sgd(0.1).init(jnp.zeros(2)))


def test_array_state_already_nonfinite_skips_every_step():
    """An array state leaf that is already inf (a state restored from a poisoned run) is
    not exempt like a scalar sentinel: every step is skipped, so the counters report it."""
    tx = lrx.skip_nonfinite(lrx.adam(0.1), max_consecutive=3)
    state = tx.init(jnp.zeros(2))
    adam_state = state.inner_state[0]._replace(nu=jnp.array([INF, 0.0], jnp.float32))
    state = state._replace(inner_state=(adam_state, *state.inner_state[1:]))
    update = jax.jit(tx.update)
    for _ in range(3):
        updates, state = update(jnp.ones(2), state)
        np.testing.assert_array_equal(updates, [0.0, 0.0])
    assert int(state.num_skipped) == 3 and bool(state.limit_hit)


@JIT
def test_overflow_behind_constant_scales_is_seen(jit):
    """``g * 1e19 * 1e19`` overflows float32 for |g| >= 4: the check must see it after XLA
    folds the constants (a ``u * 0`` test would become ``g * 0`` and miss it)."""
    tx = lrx.skip_nonfinite(optax.chain(optax.scale(1e19), optax.scale(1e19)))
    update = jax.jit(tx.update) if jit else tx.update
    state = tx.init(jnp.zeros(2))
    updates, state = update(jnp.array([10.0, 0.0], jnp.float32), state)
    np.testing.assert_array_equal(updates, [0.0, 0.0])
    assert int(state.num_skipped) == 1
    updates, state = update(jnp.array([1.0, 0.0], jnp.float32), state)
    np.testing.assert_allclose(updates, [1e38, 0.0], rtol=1e-5)
    assert int(state.num_skipped) == 1


@pytest.mark.parametrize("bad", [complex(INF, 0.0), complex(0.0, NAN)])
def test_complex_leaves(bad):
    """A non-finite real or imaginary part of a complex gradient skips the step."""
    tx = lrx.skip_nonfinite(lrx.adam(0.1))
    params = {"z": jnp.ones(2, jnp.complex64), "w": jnp.ones(3)}
    state = tx.init(params)
    update = jax.jit(tx.update)
    grads = {"z": jnp.array([1.0 + 1.0j, bad], jnp.complex64), "w": jnp.ones(3)}
    updates, state = update(grads, state, params)
    chex.assert_trees_all_equal(updates, jax.tree.map(jnp.zeros_like, params))
    assert int(state.num_skipped) == 1
    grads = {"z": jnp.array([1.0 + 1.0j, 2.0j], jnp.complex64), "w": jnp.ones(3)}
    updates, state = update(grads, state, params)
    assert np.isfinite(np.asarray(updates["z"])).all() and np.abs(updates["z"]).min() > 0
    assert int(state.num_skipped) == 1


@pytest.mark.parametrize("where", ["grad", "state"])
def test_one_bad_leaf_anywhere_in_a_large_tree(where):
    """100 leaves of three shapes (11 or 17 check chunks per shape, four state groups): one
    non-finite element in any one leaf, in the gradient or in the new state, skips the
    whole step and keeps every state group. One compiled update, every leaf in turn."""
    shapes = [(3,), (2, 2), (5,)]
    params = {f"p{i:03d}": jnp.ones(shapes[i % 3]) for i in range(100)}
    tx = lrx.skip_nonfinite(lrx.adam(0.1))
    update = jax.jit(tx.update)
    ones = jax.tree.map(jnp.ones_like, params)
    _, before = update(ones, tx.init(params), params)
    zeros = jax.tree.map(jnp.zeros_like, params)
    for name in params:
        grads = dict(ones)
        grads[name] = grads[name].reshape(-1).at[-1].set(NAN if where == "grad" else 1e20)
        grads[name] = grads[name].reshape(params[name].shape)  # 1e20**2 overflows v
        updates, state = update(grads, before, params)
        chex.assert_trees_all_equal(updates, zeros)
        chex.assert_trees_all_equal(state.inner_state, before.inner_state)
        assert int(state.num_skipped) == 1, name
    updates, state = update(ones, state, params)
    assert all(np.all(np.asarray(u) < 0) for u in jax.tree.leaves(updates))
    assert int(state.num_skipped) == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=1, max_size=4))
def test_check_chunks_cover_every_array_once(lengths):
    """The finiteness check's chunking (pure list slicing, so checked on plain objects):
    every array of every source lands in exactly one chunk of at most 32; when the sources'
    lengths share a divisor that makes chunks that small, every chunk has the same number
    of arrays from each source (identical kernels for XLA)."""
    from lrx.transforms import guards

    lists = [[(k, i) for i in range(n)] for k, n in enumerate(lengths)]
    if not any(lists):
        return
    chunks = guards._chunks(lists)
    flat = [x for chunk in chunks for x in chunk]
    assert sorted(flat) == sorted(x for xs in lists for x in xs)
    assert all(0 < len(chunk) <= guards._CHUNK for chunk in chunks)
    nonempty = [n for n in lengths if n]
    g = math.gcd(*nonempty)
    if sum(nonempty) <= g * guards._CHUNK:
        mixes = {
            tuple(sum(1 for k, _ in chunk if k == s) for s in range(len(lists))) for chunk in chunks
        }
        assert len(mixes) == 1, mixes
