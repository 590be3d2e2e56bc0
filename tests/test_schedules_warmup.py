# ruff: noqa: E501  (the article's two functions below are transcribed line by line)
"""Warm-up schedules: warmup, warmup_cosine, warmup_stable_decay (and inverse_sqrt's warm-up).

References:
- article 004, section on other learning-rate strategies / warm-up: ``decay_lr_poly``
  (its first implementation) and ``decay_lr_stable`` (Warmup-Stable-Decay), transcribed
  below with the comments in English.
  ``steps = epoch_i * total_batches + batch_i`` is the update count.
- optax ``warmup_cosine_decay_schedule`` (same numbers as ``warmup_cosine``).
- HF transformers ``get_wsd_schedule`` decay shapes (linear, "1-sqrt") written in NumPy.
"""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrx
from tests._schedule_paths import assert_schedule_close, schedule_paths
from tests.grads import JIT, maybe_jit

RTOL = 2e-5


# -- article 004, transcribed ---------------------------------------------------------------
# fmt: off
def decay_lr_poly(base_lr, epoch_i, batch_i, total_epochs, total_batches, warm_up, power=1.0):
    '''
    base_lr: the initial learning rate
    epoch_i, batch_i, total_epochs, total_batches: the i-th epoch/batch; total epochs/batches
    warm_up: epochs of training before the rate reaches base_lr
    '''
    if warm_up > 0 and epoch_i < warm_up:
        rate = (epoch_i * total_batches + batch_i) / (warm_up * total_batches)
    else:
        # learning-rate decay
        rate = np.power(
            1.0 - ((epoch_i - warm_up) * total_batches + batch_i) / ((total_epochs - warm_up) * total_batches),
            power)
    return rate * base_lr


def decay_lr_stable(base_lr, epoch_i, batch_i, total_epochs, total_batches, warm_up, stable_epochs=0):
    if warm_up > 0 and epoch_i < warm_up:
        # warm-up phase
        rate = (epoch_i * total_batches + batch_i) / (warm_up * total_batches)
    elif epoch_i < warm_up + stable_epochs:
        # stable phase
        rate = 1.0  # the rate stays at base_lr
    else:
        # decay phase
        progress = (epoch_i - warm_up - stable_epochs) * total_batches + batch_i
        cosine_decay = 0.5 * (1.0 + np.cos(np.pi * progress / ((total_epochs - warm_up - stable_epochs) * total_batches)))
        rate = cosine_decay
    return rate * base_lr
# fmt: on
# ---------------------------------------------------------------------------------------


def article_curve(fn, total_epochs, total_batches, *args):
    return np.array(
        [
            fn(0.01, e, b, total_epochs, total_batches, *args)
            for e in range(total_epochs)
            for b in range(total_batches)
        ]
    )


@pytest.mark.parametrize(
    ("total_epochs", "total_batches", "warm_up", "power"),
    [(10, 10, 5, 1.0), (12, 7, 2, 2.0), (6, 13, 0, 0.5), (20, 5, 3, 1.5)],
)
def test_decay_lr_poly_is_warmup_of_polynomial(total_epochs, total_batches, warm_up, power):
    """decay_lr_poly == warmup(polynomial_decay(...), warm_up * B) at t = epoch * B + batch."""
    ref = article_curve(decay_lr_poly, total_epochs, total_batches, warm_up, power)
    b = total_batches
    s = lrx.warmup(
        lrx.polynomial_decay(0.01, (total_epochs - warm_up) * b, power=power), warm_up * b
    )
    assert_schedule_close(s, ref, rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize(
    ("total_epochs", "total_batches", "warm_up", "stable"),
    [(10, 10, 2, 5), (12, 7, 3, 0), (8, 9, 0, 4), (15, 4, 1, 1)],
)
def test_decay_lr_stable_is_wsd_cosine(total_epochs, total_batches, warm_up, stable):
    ref = article_curve(decay_lr_stable, total_epochs, total_batches, warm_up, stable)
    b = total_batches
    s = lrx.warmup_stable_decay(
        0.01, warm_up * b, stable * b, (total_epochs - warm_up - stable) * b, decay="cosine"
    )
    assert_schedule_close(s, ref, rtol=RTOL, atol=1e-12)


def ref_wsd(peak, w, s, d, init, end, decay, n):
    """HF get_wsd_schedule's decay shapes (linear, 1-sqrt, cosine) with min ratio end/peak."""
    out = []
    for t in range(n):
        if t < w:
            out.append(init + (peak - init) * t / w)
        else:
            p = min(max(t - w - s, 0) / d, 1.0)
            f = {"cosine": 0.5 * (1 + np.cos(np.pi * p)), "linear": 1 - p, "sqrt": 1 - np.sqrt(p)}
            out.append(end + (peak - end) * f[decay])
    return np.array(out)


@pytest.mark.parametrize("decay", ["cosine", "linear", "sqrt"])
@pytest.mark.parametrize(
    ("w", "s", "d", "init", "end"),
    [(10, 30, 20, 0.0, 0.0), (0, 5, 50, 0.0, 0.001), (7, 0, 13, 0.002, 0.01)],
)
def test_wsd_reference(decay, w, s, d, init, end):
    got = lrx.warmup_stable_decay(0.1, w, s, d, init_value=init, end_value=end, decay=decay)
    ref = ref_wsd(0.1, w, s, d, init, end, decay, w + s + d + 20)
    assert_schedule_close(got, ref, rtol=RTOL, atol=1e-9)


@pytest.mark.parametrize(
    ("peak", "w", "total", "init", "end"),
    [
        (0.1, 10, 100, 0.0, 0.0),
        (1.0, 0, 50, 0.0, 0.1),
        (0.3, 25, 26, 0.01, 0.001),
        (0.05, 5, 300, 0.05, 0.0),
    ],
)
def test_warmup_cosine_matches_optax(peak, w, total, init, end):
    mine = lrx.warmup_cosine(peak, w, total, init_value=init, end_value=end)
    theirs = optax.warmup_cosine_decay_schedule(
        init_value=init, peak_value=peak, warmup_steps=w, decay_steps=total, end_value=end
    )
    counts = jnp.arange(total + 20, dtype=jnp.float32)  # optax needs float counts (strict)
    assert_schedule_close(mine, theirs(counts), rtol=RTOL, atol=1e-9)


def test_warmup_semantics():
    inner = lrx.exponential_decay(0.1, 1, 0.9)
    s = lrx.warmup(inner, 10, init_value=0.01)
    v = s.values(40)
    np.testing.assert_allclose(v[:10], 0.01 + (0.1 - 0.01) * np.arange(10) / 10, rtol=1e-6)
    np.testing.assert_allclose(v[10:], inner.values(30), rtol=1e-6)  # schedule(t - W)
    assert lrx.warmup(inner, 0) != inner and np.array_equal(
        lrx.warmup(inner, 0).values(20), inner.values(20)
    )


def test_warmup_accepts_number_and_callable():
    assert lrx.warmup(0.1, 5) == lrx.warmup(lrx.constant(0.1), 5)
    f = lambda t: 0.1 * jnp.ones_like(t)  # noqa: E731
    s = lrx.warmup(f, 4)
    np.testing.assert_allclose(s.values(6), [0, 0.025, 0.05, 0.075, 0.1, 0.1], rtol=1e-6)


@JIT
def test_warmup_array_counts(jit):
    s = lrx.warmup(lrx.step_decay(1.0, 2, 0.5), 4)
    counts = jnp.array([[0, 2], [4, 6]], jnp.int32)
    chex.assert_trees_all_close(
        maybe_jit(jit, s)(counts), jnp.array([[0.0, 0.5], [1.0, 0.5]], jnp.float32)
    )


@JIT
def test_wsd_scalar(jit):
    s = lrx.warmup_stable_decay(1.0, 2, 2, 4, decay="sqrt")
    out = maybe_jit(jit, s)(jnp.int32(7))
    chex.assert_shape(out, ())
    chex.assert_trees_all_close(out, jnp.float32(1 - np.sqrt(0.75)), rtol=1e-5)


@pytest.mark.parametrize(
    "schedule",
    [
        lrx.warmup(lrx.cosine_annealing(0.1, 10**9), 1000),
        lrx.warmup_cosine(0.1, 1000, 2**31 - 1),
        lrx.warmup_stable_decay(0.1, 1000, 10**9, 10**9, decay="sqrt"),
        lrx.inverse_sqrt(0.1, 4000),
    ],
    ids=repr,
)
def test_large_counts(schedule):
    got = np.asarray(schedule(jnp.array([2**24 + 1, 10**9, 2**31 - 1], jnp.int32)))
    assert np.all(np.isfinite(got)) and np.all(got >= 0) and np.all(got <= 0.1 * (1 + 1e-6))


@pytest.mark.parametrize(
    ("build", "arg"),
    [
        (lambda: lrx.warmup(lrx.constant(0.1), -1), "warmup_steps"),
        (lambda: lrx.warmup(lrx.constant(0.1), 5, init_value=-0.1), "init_value"),
        (lambda: lrx.warmup("cosine", 5), "schedule"),
        (lambda: lrx.warmup(-0.1, 5), "schedule"),
        (lambda: lrx.warmup_cosine(0.1, 10, 10), "total_steps"),
        (lambda: lrx.warmup_cosine(0.1, -1, 10), "warmup_steps"),
        (lambda: lrx.warmup_cosine(float("inf"), 1, 10), "peak_value"),
        (lambda: lrx.warmup_cosine(0.1, 1, 10, end_value=-1.0), "end_value"),
        (lambda: lrx.warmup_stable_decay(0.1, 10, 10, 0), "decay_steps"),
        (lambda: lrx.warmup_stable_decay(0.1, 10, -1, 10), "stable_steps"),
        (lambda: lrx.warmup_stable_decay(0.1, 10, 10, 10, decay="exp"), "decay"),
        (lambda: lrx.warmup_stable_decay(0.1, 10, 10, 10, init_value=float("nan")), "init_value"),
    ],
)
def test_invalid_hyperparameters(build, arg):
    with pytest.raises(ValueError, match=rf"^{arg}"):
        build()


# -- hard restarts: the restart lands on the peak on every path -----------------------------
def ref_hard_restarts(peak, w, total, c, n, init=0.0, end=0.0):
    """HF ``cosine_with_hard_restarts`` with the phase ``frac(c * done / length)`` taken in
    exact rational arithmetic on float32(c) (no rounding can put a restart an ulp early)."""
    from fractions import Fraction

    c32 = Fraction(float(np.float32(c)))
    length = total - w
    out = []
    for t in range(n):
        if t < w:
            out.append(init + (peak - init) * t / w)
        elif t >= total:
            out.append(end)
        else:
            q = c32 * (t - w) / length
            phase = float(q - (q.numerator // q.denominator))
            out.append(end + (peak - end) * 0.5 * (1 + np.cos(np.pi * phase)))
    return np.array(out)


def test_hard_restarts_in_a_jitted_step():
    """Issue: at updates 45 and 85 a jitted step closing over the schedule used 8.8e-16."""
    s = lrx.warmup_cosine(0.1, 5, 105, num_cycles=2.5, restarts=True)
    ref = ref_hard_restarts(0.1, 5, 105, 2.5, 110)
    paths = assert_schedule_close(s, ref, rtol=1e-5, atol=1e-9)
    for got in paths.values():
        assert np.isnan(got[45]) or got[45] == np.float32(0.1)
    # the step a user trains with: lrx.sgd and optax.scale_by_schedule, jitted
    for opt in (lrx.sgd(s), optax.scale_by_schedule(s)):
        state = opt.init(jnp.zeros(()))
        step = jax.jit(lambda st, opt=opt: opt.update(jnp.ones(()), st))
        rates = []
        for _ in range(90):
            u, state = step(state)
            rates.append(abs(float(u)))
        assert rates[45] == pytest.approx(0.1, rel=1e-6) and rates[85] == pytest.approx(
            0.1, rel=1e-6
        )
        np.testing.assert_allclose(rates, ref[:90], rtol=1e-5, atol=1e-9)


def _check_hard_restarts(configs):
    """Both paths of every ``(c, length, w)`` equal the exact-phase reference at every count;
    the closure path compiles all configurations into one jitted function (constant fields)."""
    scheds = [
        lrx.warmup_cosine(1.0, w, w + L, num_cycles=c, restarts=True, end_value=0.01)
        for c, L, w in configs
    ]
    n = max(w + L for _, L, w in configs) + 3
    closure = jax.jit(lambda t: jnp.stack([s(t) for s in scheds]))
    together = np.asarray(closure(jnp.arange(n, dtype=jnp.int32)))
    for (c, L, w), s, closed in zip(configs, scheds, together, strict=True):
        ref = ref_hard_restarts(1.0, w, w + L, c, n, end=0.01)
        msg = f"c={c} length={L} w={w}"
        np.testing.assert_allclose(closed, ref, rtol=1e-5, atol=1e-6, err_msg=msg + " (closure)")
        np.testing.assert_allclose(s.values(n), ref, rtol=1e-5, atol=1e-6, err_msg=msg)


def test_hard_restarts_grid():
    """num_cycles in 0.25 .. 5 (step 0.25) by lengths 100, 200, 333: 16 of these restarts
    gave ~1e-14 instead of the peak in the closure path before the fix."""
    _check_hard_restarts([(m / 4, L, 5) for m in range(1, 21) for L in (100, 200, 333)])


@settings(max_examples=6, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(st.integers(1, 40).map(lambda m: m / 8), st.integers(1, 400), st.integers(0, 12)),
        min_size=8,
        max_size=8,
    )
)
def test_hard_restarts_property(configs):
    """Any (num_cycles = m / 8, length, warm-up): both paths equal the exact reference."""
    _check_hard_restarts(configs)


@pytest.mark.parametrize("c", [0.3, 0.7, 1.1, 2.2, 3.3])
def test_hard_restarts_decimal_cycles(c):
    """Decimal ``num_cycles`` (inexact in binary): both paths give the peak at every count
    where ``c * done / length`` is an integer in decimal, as HF's float64 formula does."""
    w, total = 4, 104
    s = lrx.warmup_cosine(0.1, w, total, num_cycles=c, restarts=True)
    for got in schedule_paths(s, total).values():
        for done in range(total - w):
            q = round(c * 10) * done  # 10 * c * done, exactly
            if q % (10 * (total - w)) == 0 and not np.isnan(got[w + done]):
                assert got[w + done] == np.float32(0.1), (c, done)
