"""Cyclical schedules: cyclical (CLR), one_cycle and their momentum curves.

References:
- Smith 2017 "Cyclical Learning Rates" (the "CyclicalLR" of article 002):
  ``cycle = floor(1 + t / (2 s))``, ``x = |t / s - 2 cycle + 1|``,
  ``lr = base + (max - base) * max(0, 1 - x) * scale`` for symmetric cycles, in NumPy.
- 1cycle written from torch's documented phase table (end steps ``pct_start*T - 1``,
  ``2*pct_start*T - 2``, ``T - 1``), in NumPy.
- torch's momentum cycling (``cycle_momentum=True``): golden values from
  ``tests/reference/gen_momentum.py`` (momentum.json) and a live torch run.
- torch goldens (CyclicLR triangular / triangular2 / exp_range / step_size_down;
  OneCycleLR cos / linear / three_phase) and a live torch run.
"""

from __future__ import annotations

import json
import math
import pathlib

import chex
import jax.numpy as jnp
import numpy as np
import pytest

import lrx
from tests.grads import JIT, maybe_jit

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


@JIT
def test_cyclical_array_counts(jit):
    counts = jnp.array([[0, 1], [2, 5]], jnp.int32)
    out = maybe_jit(jit, lrx.cyclical(0.0, 1.0, 2))(counts)
    chex.assert_trees_all_close(out, jnp.array([[0.0, 0.5], [1.0, 0.5]], jnp.float32))


@JIT
def test_one_cycle_scalar(jit):
    s = lrx.one_cycle(1.0, 10, anneal_strategy="linear", div_factor=10.0, final_div_factor=1.0)
    out = maybe_jit(jit, s)(jnp.int32(2))
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


# -- the triangular2 amplitude is an exact power of two (flaky property, count 137) --------
@JIT
def test_triangular2_count_137_exact(jit):
    """up = down = 1, count 137: cycle 68, amplitude 2**-68 exactly. ``exp(68 * log 0.5)``
    in float32 was 2.0e-6 relative off (a hypothesis property failed on fresh databases)."""
    import jax

    s = lrx.cyclical(0.0, 1.0, 1, 1, mode="triangular2")
    f = jax.jit(lambda c: s(c)) if jit else s
    assert float(f(jnp.int32(137))) == 0.5**68
    assert float(f(jnp.float32(137.0))) == 0.5**68
    got = np.asarray(f(jnp.arange(1, 250, 2, dtype=jnp.int32)))  # the peaks: 2**-cycle
    want = np.array([0.5 ** (k // 2) for k in range(1, 250, 2)], np.float32)
    np.testing.assert_array_equal(got[got > 0], want[got > 0])


# -- torch's momentum cycling (cycle_momentum=True) ---------------------------------------
GOLDEN_MOMENTUM = json.loads(
    (pathlib.Path(__file__).parent / "reference/momentum.json").read_text()
)
MOMENTUM_CASES = {c["id"]: c for c in GOLDEN_MOMENTUM["cases"]}


def _build(expr):
    return eval(expr, {"lrx": lrx})  # the generator's own lrx calls (trusted test data)


@JIT
@pytest.mark.parametrize("case_id", sorted(MOMENTUM_CASES))
def test_momentum_matches_torch_golden(case_id, jit):
    """torch OneCycleLR / CyclicLR with cycle_momentum=True (SGD momentum, Adam betas[0]):
    lrx's momentum and rate curves equal torch's after k scheduler steps, both through
    ``values()`` (traced fields) and a jitted function closing over the schedule."""
    import jax

    case = MOMENTUM_CASES[case_id]
    n = len(case["momentum"])
    for expr, key in ((case["lrx_momentum"], "momentum"), (case["lrx_rate"], "lr")):
        s = _build(expr)
        got = jax.jit(lambda c, s=s: s(c))(jnp.arange(n)) if jit else s.values(n)
        np.testing.assert_allclose(got, case[key], rtol=0, atol=2e-7)


@pytest.mark.parity
@pytest.mark.parametrize("case_id", sorted(MOMENTUM_CASES))
def test_momentum_matches_torch_live(case_id):
    torch = pytest.importorskip("torch")
    case = MOMENTUM_CASES[case_id]
    p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    if case["optimizer"] == "sgd":
        opt, key = torch.optim.SGD([p], lr=0.1, momentum=0.9), "momentum"
    else:
        opt, key = torch.optim.Adam([p], lr=0.01), "betas"
    sched = getattr(torch.optim.lr_scheduler, case["scheduler"])(opt, **case["kwargs"])
    want = []
    for _ in range(len(case["momentum"])):
        m = opt.param_groups[0][key]
        want.append(float(m[0] if key == "betas" else m))
        opt.step()
        sched.step()
    got = _build(case["lrx_momentum"]).values(len(want))
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-7)


def test_momentum_curve_is_the_rate_curve_with_ends_swapped():
    """One implementation per curve: the momentum is the rate's wave mapped onto
    [max_momentum, base_momentum] (same phases, same steps)."""
    rate = lrx.cyclical(0.0, 1.0, 3, 5, mode="triangular2").values(40)
    mom = lrx.cyclical_momentum(0.8, 0.9, 3, 5, mode="triangular2").values(40)
    np.testing.assert_allclose(mom, 0.9 - 0.1 * rate, atol=1e-7)
    rate = lrx.one_cycle(1.0, 50, div_factor=1e30, final_div_factor=1.0).values(50)
    mom = lrx.one_cycle_momentum(50).values(50)
    np.testing.assert_allclose(mom, 0.95 - 0.1 * rate, atol=2e-7)


def test_momentum_schedules_are_schedules():
    for s in (
        lrx.one_cycle_momentum(100, three_phase=True),
        lrx.cyclical_momentum(0.8, 0.9, 4, 2, mode="exp_range", gamma=0.99),
    ):
        assert lrx.schedule_from_config(s.to_config()) == s
        assert hash(s) == hash(lrx.schedule_from_config(s.to_config()))
        assert "momentum" in repr(s)
        assert s._max_value() == pytest.approx(0.95 if "one_cycle" in repr(s) else 0.9)
    assert lrx.one_cycle_momentum(10)(1000).item() == pytest.approx(0.95)  # held after


@pytest.mark.parametrize(
    ("build", "arg"),
    [
        (lambda: lrx.one_cycle_momentum(100, base_momentum=-0.1), "base_momentum"),
        (lambda: lrx.one_cycle_momentum(100, max_momentum=1.5), "max_momentum"),
        (lambda: lrx.one_cycle_momentum(1), "total_steps"),
        (lambda: lrx.one_cycle_momentum(100, pct_start=1.0), "pct_start"),
        (lambda: lrx.one_cycle_momentum(100, anneal_strategy="cosine"), "anneal_strategy"),
        (lambda: lrx.cyclical_momentum(0.8, 0.9, 0), "step_size_up"),
        (lambda: lrx.cyclical_momentum(0.8, 0.9, 2, mode="tri"), "mode"),
        (lambda: lrx.cyclical_momentum(float("nan"), 0.9, 2), "base_momentum"),
    ],
)
def test_momentum_invalid_hyperparameters(build, arg):
    with pytest.raises(ValueError, match=rf"^{arg}"):
        build()


# -- the recipes: torch's default OneCycleLR / CyclicLR (cycle_momentum=True) end to end ---
RECIPES = {r["id"]: r for r in GOLDEN_MOMENTUM["recipes"]}


def _recipe_tx(recipe_id):
    import optax

    from lrx.compat import torch as ltorch

    if recipe_id == "sgd_one_cycle":
        return optax.inject_hyperparams(ltorch.sgd)(
            lr=lrx.one_cycle(0.1, 100), momentum=lrx.one_cycle_momentum(100)
        )
    if recipe_id == "adam_one_cycle":
        return optax.inject_hyperparams(lrx.adam)(
            learning_rate=lrx.one_cycle(0.01, 100), b1=lrx.one_cycle_momentum(100)
        )
    return optax.inject_hyperparams(ltorch.sgd)(
        lr=lrx.cyclical(0.001, 0.1, 10), momentum=lrx.cyclical_momentum(0.8, 0.9, 10)
    )


def _recipe_run(recipe):
    import jax
    import optax

    tx = _recipe_tx(recipe["id"])
    a, b = jnp.asarray(recipe["A"], jnp.float32), jnp.asarray(recipe["b"], jnp.float32)

    @jax.jit
    def step(x, state):
        updates, state = tx.update(a @ x - b, state, x)
        return optax.apply_updates(x, updates), state

    x = jnp.asarray(recipe["x0"], jnp.float32)
    state, out = tx.init(x), []
    for _ in range(len(recipe["params"])):
        x, state = step(x, state)
        out.append(np.asarray(x))
    return np.array(out)


@pytest.mark.parametrize("recipe_id", sorted(RECIPES))
def test_momentum_recipe_matches_torch_golden(recipe_id):
    """A torch recipe with the default cycle_momentum=True (SGD momentum / Adam beta1
    scheduled with the rate), 100 updates on a quadratic: lrx (float32) follows torch
    (float64) to 2e-6 (measured: 1.2e-6 SGD+OneCycleLR, 7e-7 SGD+CyclicLR, 1.7e-7
    Adam+OneCycleLR); with a constant momentum 0.9 instead the SGD gap is 0.61."""
    recipe = RECIPES[recipe_id]
    np.testing.assert_allclose(_recipe_run(recipe), recipe["params"], rtol=0, atol=2e-6)


@pytest.mark.parity
@pytest.mark.parametrize("recipe_id", sorted(RECIPES))
def test_momentum_recipe_matches_torch_live(recipe_id):
    pytest.importorskip("torch")
    from tests.reference import gen_momentum

    recipe = RECIPES[recipe_id]
    want = gen_momentum.recipe(
        recipe["optimizer"], recipe["scheduler"], recipe["kwargs"], len(recipe["params"])
    )
    np.testing.assert_allclose(_recipe_run(recipe), want, rtol=0, atol=2e-6)
