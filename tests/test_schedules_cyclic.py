"""Cyclical schedules: cyclical (CLR) and one_cycle.

References:
- Smith 2017 "Cyclical Learning Rates" (the "CyclicalLR" of article 002):
  ``cycle = floor(1 + t / (2 s))``, ``x = |t / s - 2 cycle + 1|``,
  ``lr = base + (max - base) * max(0, 1 - x) * scale`` for symmetric cycles, in NumPy.
- 1cycle written from torch's documented phase table (end steps ``pct_start*T - 1``,
  ``2*pct_start*T - 2``, ``T - 1``), in NumPy.
- torch goldens (CyclicLR triangular / triangular2 / exp_range / step_size_down;
  OneCycleLR cos / linear / three_phase) and a live torch run.
"""

from __future__ import annotations

import math

import chex
import jax.numpy as jnp
import numpy as np
import pytest

import lrx

RTOL = 2e-5


def ref_clr(base, top, s, mode, gamma, n):
    """Smith 2017, symmetric triangle of half-period s."""
    out = []
    for t in range(n):
        cycle = math.floor(1 + t / (2 * s))
        x = abs(t / s - 2 * cycle + 1)
        scale = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1), "exp_range": gamma**t}[
            mode
        ]
        out.append(base + (top - base) * max(0.0, 1 - x) * scale)
    return np.array(out)


def ref_one_cycle(max_lr, total, pct, strategy, div, final_div, three_phase):
    initial = max_lr / div
    final = initial / final_div
    if three_phase:
        phases = [
            (pct * total - 1, initial, max_lr),
            (2 * pct * total - 2, max_lr, initial),
            (total - 1, initial, final),
        ]
    else:
        phases = [(pct * total - 1, initial, max_lr), (total - 1, max_lr, final)]

    def anneal(a, b, p):
        if strategy == "cos":
            return b + (a - b) / 2 * (math.cos(math.pi * p) + 1)
        return (b - a) * p + a

    out = []
    for t in range(total):
        start = 0.0
        for i, (end, a, b) in enumerate(phases):
            if t <= end or i == len(phases) - 1:
                out.append(anneal(a, b, (t - start) / (end - start)))
                break
            start = end
    return np.array(out)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
@pytest.mark.parametrize("s", [1, 4, 20])
def test_cyclical_smith_reference(mode, s):
    got = lrx.cyclical(0.001, 0.1, s, mode=mode, gamma=0.99).values(200)
    ref = ref_clr(0.001, 0.1, s, mode, 0.99, 200)
    np.testing.assert_allclose(got, ref, rtol=RTOL, atol=0)


def test_cyclical_asymmetric():
    got = lrx.cyclical(0.0, 1.0, step_size_up=2, step_size_down=4).values(13)
    ref = [0, 0.5, 1, 0.75, 0.5, 0.25, 0, 0.5, 1, 0.75, 0.5, 0.25, 0]
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-7)


def test_cyclical_article_002():
    """002: 0.001 -> 0.1 -> 0.001 over a 40-epoch cycle, stepped per epoch."""
    v = lrx.cyclical(0.001, 0.1, step_size_up=20).values(100)
    assert v[0] == np.float32(0.001) and v[20] == np.float32(0.1) and v[40] == np.float32(0.001)
    np.testing.assert_allclose(v[80], 0.001, rtol=1e-6)


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize(("total", "pct"), [(100, 0.3), (37, 0.25), (1000, 0.1), (11, 0.45)])
def test_one_cycle_reference(total, pct, strategy, three_phase):
    got = lrx.one_cycle(
        0.1,
        total,
        pct_start=pct,
        anneal_strategy=strategy,
        div_factor=25.0,
        final_div_factor=1e4,
        three_phase=three_phase,
    ).values(total + 10)
    ref = ref_one_cycle(0.1, total, pct, strategy, 25.0, 1e4, three_phase)
    np.testing.assert_allclose(got[:total], ref, rtol=RTOL, atol=0)
    # past the cycle the final value holds (torch raises there)
    np.testing.assert_allclose(got[total:], ref[-1], rtol=RTOL)


def test_one_cycle_end_points():
    s = lrx.one_cycle(1.0, 100, div_factor=10.0, final_div_factor=100.0)
    v = s.values(100)
    np.testing.assert_allclose(v[0], 0.1, rtol=1e-6)
    np.testing.assert_allclose(v.max(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(v[-1], 0.001, rtol=1e-5)
    assert int(np.argmax(v)) == 29  # pct_start * total_steps - 1


class VariantsTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_cyclical_array_counts(self):
        counts = jnp.array([[0, 1], [2, 5]], jnp.int32)
        out = self.variant(lrx.cyclical(0.0, 1.0, 2))(counts)
        chex.assert_trees_all_close(out, jnp.array([[0.0, 0.5], [1.0, 0.5]], jnp.float32))

    @chex.variants(with_jit=True, without_jit=True)
    def test_one_cycle_scalar(self):
        s = lrx.one_cycle(1.0, 10, anneal_strategy="linear", div_factor=10.0, final_div_factor=1.0)
        out = self.variant(s)(jnp.int32(2))
        chex.assert_shape(out, ())
        chex.assert_trees_all_close(out, jnp.float32(1.0), rtol=1e-6)


@pytest.mark.parametrize(
    "schedule",
    [
        lrx.cyclical(0.001, 0.1, 2000, mode="triangular2"),
        lrx.cyclical(0.001, 0.1, 7, 13, mode="exp_range", gamma=0.9999),
        lrx.one_cycle(0.1, 2**31 - 1),
        lrx.one_cycle(0.1, 1000, three_phase=True),
    ],
    ids=repr,
)
def test_large_counts(schedule):
    counts = jnp.array([2**24 + 1, 10**9, 2**31 - 2, 2**31 - 1], jnp.int32)
    got = np.asarray(schedule(counts))
    assert np.all(np.isfinite(got))
    assert np.all(got >= 0) and np.all(got <= 0.1 * (1 + 1e-6))


def test_large_counts_cyclical_value():
    s = lrx.cyclical(0.0, 1.0, 1000)
    t = 2**30 + 128 * 3  # exactly representable in float32
    pos = t % 2000
    ref = pos / 1000 if pos <= 1000 else (2000 - pos) / 1000
    np.testing.assert_allclose(s(jnp.int32(t)), ref, rtol=1e-6)


@pytest.mark.parametrize(
    ("build", "arg"),
    [
        (lambda: lrx.cyclical(-0.1, 0.1, 10), "base_lr"),
        (lambda: lrx.cyclical(0.001, float("nan"), 10), "max_lr"),
        (lambda: lrx.cyclical(0.001, 0.1, 0), "step_size_up"),
        (lambda: lrx.cyclical(0.001, 0.1, 10, 0), "step_size_down"),
        (lambda: lrx.cyclical(0.001, 0.1, 10, mode="triangle"), "mode"),
        (lambda: lrx.cyclical(0.001, 0.1, 10, mode="exp_range", gamma=0.0), "gamma"),
        (lambda: lrx.cyclical(0.001, 0.1, 10, mode="exp_range", gamma=1.01), "gamma"),
        (lambda: lrx.one_cycle(-1.0, 100), "max_lr"),
        (lambda: lrx.one_cycle(0.1, 1), "total_steps"),
        (lambda: lrx.one_cycle(0.1, 100, pct_start=0.0), "pct_start"),
        (lambda: lrx.one_cycle(0.1, 100, pct_start=1.0), "pct_start"),
        (lambda: lrx.one_cycle(0.1, 100, pct_start=1.5), "pct_start"),
        (lambda: lrx.one_cycle(0.1, 100, pct_start=0.01), "pct_start"),
        (lambda: lrx.one_cycle(0.1, 100, pct_start=0.6, three_phase=True), "pct_start"),
        (lambda: lrx.one_cycle(0.1, 100, anneal_strategy="cosine"), "anneal_strategy"),
        (lambda: lrx.one_cycle(0.1, 100, div_factor=0.0), "div_factor"),
        (lambda: lrx.one_cycle(0.1, 100, final_div_factor=-1.0), "final_div_factor"),
        (lambda: lrx.one_cycle(0.1, 100, three_phase="yes"), "three_phase"),
    ],
)
def test_invalid_hyperparameters(build, arg):
    with pytest.raises(ValueError, match=rf"^{arg}"):
        build()


def test_step_size_down_defaults_to_up():
    assert lrx.cyclical(0.0, 1.0, 5) == lrx.cyclical(0.0, 1.0, 5, 5)
    assert lrx.cyclical(0.0, 1.0, 5).step_size_down == 5
