"""Cosine schedules: cosine_annealing and cosine_warm_restarts.

References:
- article 003 §4.2 "Cosine Annealing", the closed form
  ``eta_t = eta_min + (eta_max - eta_min) * (1 + cos(t * pi / T_max)) / 2``, in NumPy.
- SGDR (torch CosineAnnealingWarmRestarts' per-step recurrence ``T_cur += 1; if T_cur >=
  T_i: T_cur -= T_i; T_i *= T_mult``) simulated in NumPy, with timm's cycle_decay peaks.
- torch goldens (CosineAnnealingLR for t <= T_max, CosineAnnealingWarmRestarts with
  T_mult 1 and 2) and a live torch run; optax ``cosine_decay_schedule``.
"""

from __future__ import annotations

import chex
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from tests._schedule_paths import assert_schedule_close, sgdr_cycle
from tests.grads import JIT, maybe_jit

RTOL = 2e-5


def ref_cosine(eta_max, T_max, eta_min, t):
    """article 003 §4.2, held at eta_min after T_max."""
    t = np.minimum(np.asarray(t, np.float64), T_max)
    return eta_min + 0.5 * (eta_max - eta_min) * (1 + np.cos(t * np.pi / T_max))


def ref_warm_restarts(eta_max, T_0, T_mult, eta_min, peak_decay, n):
    """SGDR stepped one update at a time; cycle i peaks at eta_max * peak_decay**i."""
    out, t_cur, t_i, cycle = [], 0, T_0, 0
    for _ in range(n):
        peak = max(eta_max * peak_decay**cycle, eta_min)
        out.append(eta_min + (peak - eta_min) * (1 + np.cos(np.pi * t_cur / t_i)) / 2)
        t_cur += 1
        if t_cur >= t_i:
            t_cur, t_i, cycle = t_cur - t_i, t_i * T_mult, cycle + 1
    return np.array(out)


@pytest.mark.parametrize(
    ("init", "T_max", "eta_min"),
    [(0.1, 100, 0.0), (0.1, 37, 0.001), (1.0, 1, 0.0), (0.5, 500, 0.4)],
)
def test_cosine_annealing_closed_form(init, T_max, eta_min):
    t = np.arange(T_max + 50)
    s = lrx.cosine_annealing(init, T_max, eta_min)
    paths = assert_schedule_close(s, ref_cosine(init, T_max, eta_min, t), rtol=RTOL)
    for got in paths.values():  # held at the floor
        tail = got[T_max:]
        assert np.all(tail[~np.isnan(tail)] == np.float32(eta_min))


def test_cosine_annealing_precise_near_the_floor():
    """The sin² form keeps relative precision where 1 + cos(.) would cancel in float32."""
    ref = ref_cosine(1.0, 10_000, 0.0, np.arange(10_000))
    assert_schedule_close(lrx.cosine_annealing(1.0, 10_000), ref, rtol=2e-6)


@pytest.mark.parametrize(
    ("T_0", "T_mult", "eta_min", "peak_decay"),
    [
        (10, 1, 0.001, 1.0),
        (5, 2, 0.0, 1.0),
        (3, 3, 0.01, 1.0),
        (7, 1, 0.0, 0.5),
        (4, 2, 0.02, 0.8),
        (3, 1, 0.03, 0.5),  # peaks fall to eta_min and stay there
    ],
)
def test_warm_restarts_reference(T_0, T_mult, eta_min, peak_decay):
    s = lrx.cosine_warm_restarts(0.1, T_0, T_mult, eta_min, peak_decay)
    assert_schedule_close(
        s, ref_warm_restarts(0.1, T_0, T_mult, eta_min, peak_decay, 300), rtol=RTOL
    )


@JIT
def test_warm_restarts_array_counts(jit):
    schedule = lrx.cosine_warm_restarts(1.0, T_0=2, T_mult=2)
    counts = jnp.array([[0, 1, 2], [3, 6, 13]], jnp.int32)
    ref = ref_warm_restarts(1.0, 2, 2, 0.0, 1.0, 14)[np.asarray(counts)]
    chex.assert_trees_all_close(maybe_jit(jit, schedule)(counts), ref.astype(np.float32), rtol=1e-5)


@JIT
def test_cosine_scalar(jit):
    out = maybe_jit(jit, lrx.cosine_annealing(1.0, T_max=4))(jnp.int32(2))
    chex.assert_shape(out, ())
    chex.assert_trees_all_close(out, jnp.float32(0.5), rtol=1e-6)


def test_matches_optax_cosine_decay():
    mine = lrx.cosine_annealing(0.1, 80, eta_min=0.002)
    theirs = optax.cosine_decay_schedule(0.1, decay_steps=80, alpha=0.002 / 0.1)
    counts = jnp.arange(120, dtype=jnp.float32)  # optax needs float counts under strict promotion
    assert_schedule_close(mine, theirs(counts), rtol=RTOL)


@pytest.mark.parametrize(
    "schedule",
    [
        lrx.cosine_annealing(0.1, 1000),
        lrx.cosine_annealing(0.1, 2**31 - 1, 0.001),
        lrx.cosine_warm_restarts(0.1, 1000, 1, 0.001),
        lrx.cosine_warm_restarts(0.1, 3, 2, 0.0),
        lrx.cosine_warm_restarts(0.1, 7, 3, 0.0, 0.9),
    ],
    ids=repr,
)
def test_large_counts(schedule):
    counts = np.array([2**24 + 3, 10**9, 2**31 - 2, 2**31 - 1], np.int64)
    got = np.asarray(schedule(jnp.asarray(counts, jnp.int32)))
    assert np.all(np.isfinite(got))
    lo = schedule.eta_min
    hi = schedule.init_value
    assert np.all((got >= np.float32(lo) * (1 - 1e-6)) & (got <= np.float32(hi) * (1 + 1e-6)))
    if isinstance(schedule, type(lrx.cosine_annealing(0.1, 1))):
        t32 = counts.astype(np.float32).astype(np.float64)
        ref = ref_cosine(schedule.init_value, schedule.T_max, schedule.eta_min, t32)
        np.testing.assert_allclose(got, ref, rtol=1e-4)


def test_large_counts_warm_restarts_values():
    """Positions inside the cycle stay exact for counts that float32 represents exactly."""
    s = lrx.cosine_warm_restarts(1.0, 1000, 1)
    t = 2**30 + 128 * 5  # a multiple of float32's spacing (128) at 2**30
    pos = t % 1000  # 464
    np.testing.assert_allclose(s(jnp.int32(t)), (1 + np.cos(np.pi * pos / 1000)) / 2, rtol=1e-5)
    s2 = lrx.cosine_warm_restarts(1.0, 1, 2)  # restarts at 2**k - 1
    assert float(s2(jnp.int32(2**30 - 1))) == 1.0
    np.testing.assert_allclose(s2(jnp.int32(2**30 - 1 + 2**29)), 0.5, rtol=1e-6)


@pytest.mark.parametrize(
    ("build", "arg"),
    [
        (lambda: lrx.cosine_annealing(0.1, 0), "T_max"),
        (lambda: lrx.cosine_annealing(0.1, -5), "T_max"),
        (lambda: lrx.cosine_annealing(0.1, 10, eta_min=-0.1), "eta_min"),
        (lambda: lrx.cosine_annealing(float("nan"), 10), "init_value"),
        (lambda: lrx.cosine_annealing(0.1, 10.5), "T_max"),
        (lambda: lrx.cosine_warm_restarts(0.1, 0), "T_0"),
        (lambda: lrx.cosine_warm_restarts(0.1, 10, T_mult=0), "T_mult"),
        (lambda: lrx.cosine_warm_restarts(0.1, 10, T_mult=0.5), "T_mult"),
        (lambda: lrx.cosine_warm_restarts(0.1, 1, T_mult=1.0001), "T_mult"),  # > 4096 cycles
        (lambda: lrx.cosine_warm_restarts(0.1, 10, eta_min=0.2), "eta_min"),
        (lambda: lrx.cosine_warm_restarts(0.1, 10, peak_decay=0.0), "peak_decay"),
        # growing peaks (Keras m_mul > 1) must stay finite in float32 up to 2**31 - 1
        (lambda: lrx.cosine_warm_restarts(0.1, 10, peak_decay=1.1), "peak_decay"),
        (lambda: lrx.cosine_warm_restarts(0.1, 10, cycle_limit=0), "cycle_limit"),
        (lambda: lrx.cosine_warm_restarts(0.1, 10, k_decay=0.0), "k_decay"),
        (lambda: lrx.cosine_warm_restarts(0.1, 10, peak_decay=float("inf")), "peak_decay"),
        (lambda: lrx.cosine_warm_restarts(0.1, False), "T_0"),
    ],
)
def test_invalid_hyperparameters(build, arg):
    with pytest.raises(ValueError, match=rf"^{arg}"):
        build()


# -- independent SGDR references (no lrx code), both evaluation paths -----------------------
def test_sgdr_cycle_reference_itself():
    """The reference's cycles: T_0 = 2, T_mult = 2 start at 0, 2, 6, 14; 1.5 at 0, 4, 10, 19."""
    n, pos, length = sgdr_cycle(np.arange(16), 2, 2)
    assert n.tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3]
    assert pos[[0, 2, 5, 6, 13, 14]].tolist() == [0, 0, 3, 0, 7, 0]
    assert length[[0, 2, 6, 14]].tolist() == [2, 4, 8, 16]
    n, pos, _ = sgdr_cycle(np.array([3, 4, 9, 10, 18, 19]), 4, 1.5)  # starts 0, 4, 10, 19
    assert n.tolist() == [0, 1, 1, 2, 2, 3]
    np.testing.assert_allclose(pos, [3, 0, 5, 0, 8, 0])
    n, pos, _ = sgdr_cycle(np.array([5, 6, 7]), 3, 1.5)  # starts 0, 3, 7.5: 7 is in cycle 1
    assert n.tolist() == [1, 1, 1] and pos.tolist() == [2, 3, 4]


def ref_sgdr(init, T_0, T_mult, eta_min, d, n, *, floor_relative=False, cycle_limit=None, k=1.0):
    """SGDR (Loshchilov & Hutter 2017) in float64 on the independent cycle reference."""
    cyc, pos, length = sgdr_cycle(np.arange(n), T_0, T_mult)
    decay = d ** cyc.astype(np.float64)
    if floor_relative:
        peak = eta_min + (init - eta_min) * decay
    else:
        peak = np.maximum(init * decay, eta_min)
    out = eta_min + (peak - eta_min) * 0.5 * (1 + np.cos(np.pi * (pos / length) ** k))
    return out if cycle_limit is None else np.where(cyc < cycle_limit, out, eta_min)


@pytest.mark.parametrize(
    ("T_0", "T_mult", "eta_min", "d", "floor_relative", "cycle_limit", "k"),
    [
        (7, 1.5, 0.01, 0.7, True, None, 1.0),
        (5, 2.5, 0.0, 1.3, True, 4, 1.0),
        (6, 1, 0.02, 0.5, False, 3, 2.0),
        (3, 1.25, 0.0, 0.9, False, None, 0.5),
        (10, 3, 0.01, 1.0, False, 2, 1.0),
        (3, 1.5, 0.0, 1.0, False, None, 1.0),  # a cycle start between two counts (7.5)
    ],
)
def test_restarts_independent_reference(T_0, T_mult, eta_min, d, floor_relative, cycle_limit, k):
    kw = {"floor_relative": floor_relative, "cycle_limit": cycle_limit, "k_decay": k}
    s = lrx.cosine_warm_restarts(0.1, T_0, T_mult, eta_min, d, **kw)
    ref = ref_sgdr(0.1, T_0, T_mult, eta_min, d, 200, **kw_ref(kw))
    assert_schedule_close(s, ref, rtol=RTOL, atol=1e-8)


def kw_ref(kw):
    return {
        "floor_relative": kw["floor_relative"],
        "cycle_limit": kw["cycle_limit"],
        "k": kw["k_decay"],
    }


@pytest.mark.parametrize(("T_mult", "cycle_limit"), [(2, 3), (1, None), (1.5, 4)])
def test_tanh_independent_reference(T_mult, cycle_limit):
    s = lrx.tanh_decay(
        0.1, 12, -5.0, 2.0, 0.001, T_mult=T_mult, peak_decay=0.5, cycle_limit=cycle_limit
    )
    cyc, pos, length = sgdr_cycle(np.arange(150), 12, T_mult)
    peak = np.maximum(0.1 * 0.5 ** cyc.astype(np.float64), 0.001)
    r = pos / length
    ref = 0.001 + (peak - 0.001) * 0.5 * (1 - np.tanh(-5.0 * (1 - r) + 2.0 * r))
    if cycle_limit is not None:
        ref = np.where(cyc < cycle_limit, ref, 0.001)
    assert_schedule_close(s, ref, rtol=RTOL, atol=1e-8)
