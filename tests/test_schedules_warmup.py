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
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx

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
    np.testing.assert_allclose(s.values(len(ref)), ref, rtol=RTOL, atol=1e-12)


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
    np.testing.assert_allclose(s.values(len(ref)), ref, rtol=RTOL, atol=1e-12)


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
    np.testing.assert_allclose(got.values(len(ref)), ref, rtol=RTOL, atol=1e-9)


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
    np.testing.assert_allclose(mine.values(total + 20), theirs(counts), rtol=RTOL, atol=1e-9)


def test_warmup_semantics():
    inner = lrx.exponential_decay(0.1, 0.9)
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


class VariantsTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_warmup_array_counts(self):
        s = lrx.warmup(lrx.step_decay(1.0, 2, 0.5), 4)
        counts = jnp.array([[0, 2], [4, 6]], jnp.int32)
        chex.assert_trees_all_close(
            self.variant(s)(counts), jnp.array([[0.0, 0.5], [1.0, 0.5]], jnp.float32)
        )

    @chex.variants(with_jit=True, without_jit=True)
    def test_wsd_scalar(self):
        s = lrx.warmup_stable_decay(1.0, 2, 2, 4, decay="sqrt")
        out = self.variant(s)(jnp.int32(7))
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
