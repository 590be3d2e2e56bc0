"""Decay schedules: constant, step, multistep, exponential, polynomial, linear, inverse_sqrt.

References:
- NumPy closed forms of article 003 §4.2 ("Step Decay":
  ``eta_t = eta_0 * gamma**floor(t/s)``; "Exponential Decay": ``eta_t = eta_0 * gamma**t``).
- torch goldens (tests/reference/schedules.json: StepLR, MultiStepLR, ExponentialLR,
  PolynomialLR, LinearLR, ConstantLR) and a live torch run when torch is installed.
- optax ``exponential_decay`` (staircase and smooth), ``polynomial_schedule``,
  ``linear_schedule``.
- HF transformers' ``get_inverse_sqrt_schedule`` lambda, written out in NumPy.
"""

from __future__ import annotations

import bisect
import math

import chex
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from tests.grads import JIT, maybe_jit

RTOL = 2e-5
T = np.arange(200)


# -- NumPy references ----------------------------------------------------------------------
def ref_step(eta0, s, gamma, t):
    """article 003 §4.2, Step Decay."""
    return eta0 * gamma ** np.floor(t / s)


def ref_exponential(eta0, gamma, t):
    """article 003 §4.2, Exponential Decay."""
    return eta0 * gamma ** np.asarray(t, np.float64)


def ref_multistep(eta0, milestones, gamma, t):
    return np.array([eta0 * gamma ** bisect.bisect_right(milestones, k) for k in t])


def ref_poly(eta0, total, power, end, t):
    return (eta0 - end) * (1 - np.minimum(t, total) / total) ** power + end


def ref_inverse_sqrt(peak, warmup, t):
    """HF transformers _get_inverse_sqrt_schedule_lr_lambda (timescale = warmup), × peak."""
    out = []
    for k in t:
        if k < warmup:
            out.append(peak * float(k) / float(max(1, warmup)))
        else:
            out.append(peak / math.sqrt((k + warmup - warmup) / warmup))
    return np.array(out)


@pytest.mark.parametrize(
    ("schedule", "ref"),
    [
        (lrx.step_decay(0.1, 30), ref_step(0.1, 30, 0.1, T)),
        (lrx.step_decay(1.0, 7, gamma=0.5), ref_step(1.0, 7, 0.5, T)),
        (lrx.step_decay(0.3, 1, gamma=0.97), ref_step(0.3, 1, 0.97, T)),
        (lrx.exponential_decay(0.1, 1, 0.95), ref_exponential(0.1, 0.95, T)),
        (lrx.exponential_decay(0.1, 10, 0.5), 0.1 * 0.5 ** (T / 10)),
        (lrx.exponential_decay(0.1, 10, 0.5, staircase=True), ref_step(0.1, 10, 0.5, T)),
        (
            lrx.multistep_decay(0.1, [5, 50, 50, 120], 0.3),
            ref_multistep(0.1, [5, 50, 50, 120], 0.3, T),
        ),
        (lrx.multistep_decay(0.1, []), np.full(T.shape, 0.1)),
        (lrx.polynomial_decay(0.1, 150), ref_poly(0.1, 150, 1.0, 0.0, T)),
        (lrx.polynomial_decay(0.1, 77, power=0.5, end_value=0.01), ref_poly(0.1, 77, 0.5, 0.01, T)),
        (lrx.linear_schedule(0.0, 0.2, 40), 0.2 * np.minimum(T, 40) / 40),
        (lrx.linear_schedule(0.2, 0.05, 100), 0.2 + (0.05 - 0.2) * np.minimum(T, 100) / 100),
        (lrx.inverse_sqrt(0.01, 25), ref_inverse_sqrt(0.01, 25, T)),
        (lrx.constant(0.003), np.full(T.shape, 0.003)),
    ],
    ids=repr,
)
def test_numpy_reference(schedule, ref):
    np.testing.assert_allclose(schedule.values(len(T)), ref, rtol=RTOL, atol=0)


@JIT
def test_scalar_and_array_counts(jit):
    """Eager and jitted evaluation on scalar and array counts agree with the reference."""
    schedule = lrx.step_decay(0.1, step_size=3, gamma=0.5)
    fn = maybe_jit(jit, schedule)
    counts = jnp.arange(12, dtype=jnp.int32).reshape(3, 4)
    chex.assert_trees_all_close(
        fn(counts),
        ref_step(0.1, 3, 0.5, np.arange(12)).reshape(3, 4).astype(np.float32),
        rtol=1e-6,
    )
    chex.assert_trees_all_close(fn(jnp.int32(7)), jnp.float32(0.025), rtol=1e-6)
    chex.assert_shape(fn(jnp.int32(7)), ())


@JIT
def test_multistep_any_shape(jit):
    schedule = lrx.multistep_decay(1.0, [2, 4], gamma=0.5)
    out = maybe_jit(jit, schedule)(jnp.array([[0, 2], [3, 4]], jnp.int32))
    chex.assert_trees_all_close(out, jnp.array([[1.0, 0.5], [0.5, 0.25]], jnp.float32))


# -- torch ---------------------------------------------------------------------------------


# -- optax ---------------------------------------------------------------------------------
@pytest.mark.parametrize("staircase", [False, True])
@pytest.mark.parametrize(("gamma", "every"), [(0.95, 1), (0.5, 10), (0.9, 7)])
def test_exponential_matches_optax(gamma, every, staircase):
    """optax.exponential_decay(init, transition_steps=every, decay_rate=gamma, staircase)."""
    mine = lrx.exponential_decay(0.1, every, gamma, staircase=staircase)
    theirs = optax.exponential_decay(
        0.1, transition_steps=every, decay_rate=gamma, staircase=staircase
    )
    np.testing.assert_allclose(mine.values(150), theirs(jnp.arange(150)), rtol=RTOL)


def test_polynomial_and_linear_match_optax():
    mine = lrx.polynomial_decay(0.1, 60, power=2.0, end_value=0.001)
    theirs = optax.polynomial_schedule(0.1, 0.001, power=2.0, transition_steps=60)
    np.testing.assert_allclose(mine.values(100), theirs(jnp.arange(100)), rtol=RTOL)
    mine = lrx.linear_schedule(0.001, 0.1, 30)
    theirs = optax.linear_schedule(0.001, 0.1, transition_steps=30)
    np.testing.assert_allclose(mine.values(60), theirs(jnp.arange(60)), rtol=RTOL)


# -- large counts --------------------------------------------------------------------------
BIG = np.array([2**24 + 1, 10**9, 2**31 - 2, 2**31 - 1], np.int64)


@pytest.mark.parametrize(
    ("schedule", "ref"),
    [
        (lrx.step_decay(0.1, 10**8, gamma=0.5), lambda t: ref_step(0.1, 10**8, 0.5, t)),
        (
            lrx.exponential_decay(0.1, 1, 0.999999999),
            lambda t: ref_exponential(0.1, 0.999999999, t),
        ),
        (
            lrx.multistep_decay(0.1, [10**9, 2**31 - 1]),
            lambda t: ref_multistep(0.1, [10**9, 2**31 - 1], 0.1, t),
        ),
        (
            lrx.polynomial_decay(0.1, 2**31 - 1, 0.5),
            lambda t: ref_poly(0.1, 2**31 - 1, 0.5, 0.0, t),
        ),
        (lrx.inverse_sqrt(0.1, 1000), lambda t: ref_inverse_sqrt(0.1, 1000, t)),
        (
            lrx.linear_schedule(0.1, 0.0, 2**31 - 1),
            lambda t: 0.1 * (1 - np.minimum(t, 2**31 - 1) / (2**31 - 1)),
        ),
    ],
    # ids from the schedule only (a lambda's repr holds its address: pytest-xdist workers
    # must collect the same ids)
    ids=lambda x: repr(x) if isinstance(x, lrx.Schedule) else "ref",
)
def test_large_counts(schedule, ref):
    """int32 counts up to 2**31-1: finite, and the formula at the exact count.

    (0.2.0: boundaries and remaining distances are integer arithmetic, so the count is no
    longer rounded to float32 first; 0.1.0 matched the formula at the float32 count.)
    """
    got = np.asarray(schedule(jnp.asarray(BIG, jnp.int32)))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, ref(BIG.astype(np.float64)), rtol=1e-4, atol=1e-12)


# -- validation ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "arg"),
    [
        (lambda: lrx.constant(-1.0), "value"),
        (lambda: lrx.constant(float("nan")), "value"),
        (lambda: lrx.constant(True), "value"),
        (lambda: lrx.step_decay(0.1, 0), "step_size"),
        (lambda: lrx.step_decay(0.1, 2.5), "step_size"),
        (lambda: lrx.step_decay(0.1, 10, gamma=0.0), "gamma"),
        (lambda: lrx.step_decay(0.1, 10, gamma=-0.5), "gamma"),
        (lambda: lrx.step_decay(0.1, 10, gamma=1.5), "gamma"),
        (lambda: lrx.step_decay(float("inf"), 10), "init_value"),
        (lambda: lrx.step_decay(-0.1, 10), "init_value"),
        (lambda: lrx.step_decay(0.1, True), "step_size"),
        (lambda: lrx.multistep_decay(0.1, [30, 10]), "milestones"),
        (lambda: lrx.multistep_decay(0.1, [-1, 10]), "milestones"),
        (lambda: lrx.multistep_decay(0.1, 10), "milestones"),
        (lambda: lrx.multistep_decay(0.1, "10"), "milestones"),
        (lambda: lrx.multistep_decay(0.1, [1.5]), "milestones"),
        (lambda: lrx.exponential_decay(0.1, 1, -0.5), "decay_rate"),
        (lambda: lrx.exponential_decay(0.1, 1, float("nan")), "decay_rate"),
        (lambda: lrx.exponential_decay(0.1, 1.5, 0.9), "transition_steps"),
        (lambda: lrx.exponential_decay(0.1, 1, 0.9, staircase=1), "staircase"),
        (lambda: lrx.polynomial_decay(0.1, 0), "total_steps"),
        (lambda: lrx.polynomial_decay(0.1, 10, power=0.0), "power"),
        (lambda: lrx.polynomial_decay(0.1, 10, end_value=-1.0), "end_value"),
        (lambda: lrx.polynomial_decay(0.1, 2**31), "total_steps"),
        (lambda: lrx.linear_schedule(0.1, 0.2, 2.5), "transition_steps"),
        (lambda: lrx.linear_schedule(-0.1, 0.2, 5), "init_value"),
        (lambda: lrx.linear_schedule(0.1, float("inf"), 5), "end_value"),
        (lambda: lrx.inverse_sqrt(0.1, 0), "warmup_steps"),
        (lambda: lrx.inverse_sqrt(-0.1, 10), "peak_value"),
    ],
)
def test_invalid_hyperparameters(build, arg):
    with pytest.raises(ValueError, match=rf"^{arg}"):
        build()


def test_error_message_names_value():
    with pytest.raises(ValueError, match="step_size must be a positive integer, got 0"):
        lrx.step_decay(0.1, 0)
    with pytest.raises(ValueError, match=r"milestones must be sorted .*\[30, 10\]"):
        lrx.multistep_decay(0.1, [30, 10])


def test_integer_like_floats_are_normalised():
    assert lrx.step_decay(1, 10.0) == lrx.step_decay(1.0, 10)
    assert lrx.multistep_decay(0.1, (3, 5)).milestones == (3, 5)
    assert lrx.multistep_decay(0.1, [3, 5]) == lrx.multistep_decay(0.1, (3, 5))
    assert isinstance(lrx.step_decay(1, 10.0).step_size, int)


# -- 0.3.0: optax's signature for exponential_decay / linear_schedule ----------------------
@pytest.mark.parametrize(
    "old_call",
    [
        lambda: lrx.exponential_decay(0.1, 0.95),
        lambda: lrx.exponential_decay(0.1, 0.95, every=10),
        lambda: lrx.exponential_decay(0.1, gamma=0.95),
        lambda: lrx.exponential_decay(init_value=0.1, gamma=0.95, every=2, staircase=True),
    ],
)
def test_old_exponential_call_shows_the_new_form(old_call):
    with pytest.raises(ValueError, match=r"exponential_decay\(lr, n, gamma\)"):
        old_call()


@pytest.mark.parametrize(
    "old_call",
    [
        lambda: lrx.linear_schedule(start_value=0.1, end_value=0.0, transition_steps=5),
        lambda: lrx.linear_schedule(0.1, 0.0, 5, 0, 7),
    ],
)
def test_old_linear_call_shows_the_new_form(old_call):
    with pytest.raises(ValueError, match=r"linear_schedule\(init_value, end_value"):
        old_call()


def test_torch_exponential_lr_is_transition_steps_one():
    np.testing.assert_allclose(
        lrx.exponential_decay(0.1, 1, 0.95).values(50),
        ref_exponential(0.1, 0.95, T[:50]),
        rtol=RTOL,
    )


# optax 0.2.8's edge cases, compared with optax itself at every count (jit and no jit)
OPTAX_EDGES = [
    ("exponential_decay", (1.0, 2, 1.0), {"end_value": 0.1}),  # decay_rate >= 1: min
    ("exponential_decay", (1.0, 2, 0.5), {"end_value": 0.1, "transition_begin": 3}),
    ("exponential_decay", (1.0, 2, 0.5), {"staircase": True, "transition_begin": 5}),
    ("exponential_decay", (1.0, 2, 2.0), {"end_value": 3.0, "staircase": True}),
    ("exponential_decay", (1.0, 2, 0.5), {"transition_begin": -4}),
    ("exponential_decay", (1.0, 0, 0.5), {}),
    ("exponential_decay", (1.0, -1, 0.5), {}),
    ("exponential_decay", (1.0, 2, 0.0), {}),
    ("linear_schedule", (0.5, 0.1, 4), {"transition_begin": 3}),
    ("linear_schedule", (0.5, 0.1, 0), {}),
    ("linear_schedule", (0.5, 0.1, -2), {"transition_begin": -3}),
    ("polynomial_schedule", (30.0, 10.0, 2, 10), {"transition_begin": 4}),
    ("polynomial_schedule", (30.0, 10.0, 2, 0), {}),
]


@JIT
@pytest.mark.parametrize(("name", "args", "kwargs"), OPTAX_EDGES)
def test_optax_edge_cases_give_optax_values(name, args, kwargs, jit):
    mine = getattr(lrx, name)(*args, **kwargs)
    theirs = getattr(optax, name)(*args, **kwargs)
    counts = jnp.arange(25)
    got = jax_jit(mine)(counts) if jit else mine(counts)
    np.testing.assert_allclose(got, np.broadcast_to(theirs(counts), (25,)), rtol=1e-6)
    assert isinstance(mine, lrx.Schedule)
    assert lrx.schedule_from_config(mine.to_config()) == mine


def jax_jit(schedule):
    import jax

    return jax.jit(lambda c: schedule(c))


def test_exponential_end_value_min_with_unit_rate():
    """optax clips with min when decay_rate >= 1: end_value below init_value wins."""
    assert lrx.exponential_decay(1.0, 2, 1.0, end_value=0.1)(5).item() == pytest.approx(0.1)
    assert float(optax.exponential_decay(1.0, 2, 1.0, end_value=0.1)(5)) == pytest.approx(0.1)


def test_new_fields_default_to_the_old_values():
    """transition_begin defaults to 0: configs without it build the same curve."""
    s = lrx.polynomial_decay(0.1, 10, 2.0)
    cfg = s.to_config()
    assert cfg["transition_begin"] == 0
    del cfg["transition_begin"]
    assert lrx.schedule_from_config(cfg) == s


# -- StepDecay's float-count path: boundaries exact, off-by-one detectable -----------------
@pytest.mark.parametrize("step_size", [1, 3, 7, 1000, 2**20 + 3])
def test_step_decay_float_counts_at_boundaries(step_size):
    """``floor(t / s)`` at ``k*s - 1``, ``k*s``, ``k*s + 1`` for float counts equals the int
    path and the closed form (a float32 ``t / s`` that rounds up to ``k`` would decay one
    update early)."""
    s = lrx.step_decay(1.0, step_size, 0.5)
    ks = [1, 2, 5, 7]
    counts = [c for k in ks for c in (k * step_size - 1, k * step_size, k * step_size + 1)]
    counts = [c for c in counts if c < 2**24]
    want = np.array([0.5 ** (c // step_size) for c in counts], np.float32)
    got_f = np.asarray(s(jnp.asarray(counts, jnp.float32)))
    got_i = np.asarray(s(jnp.asarray(counts, jnp.int32)))
    np.testing.assert_array_equal(got_f, got_i)
    np.testing.assert_allclose(got_f, want, rtol=1e-6)


def test_step_decay_float_boundary_every_count():
    """Every float count below 3000 for several step sizes: no off-by-one anywhere (an
    early or late decay is a factor 2, far outside the float32 rounding of the power)."""
    t = np.arange(3000)
    for size in (25, 49, 100, 299):
        got = np.asarray(lrx.step_decay(1.0, size, 0.5)(jnp.asarray(t, jnp.float32)))
        np.testing.assert_allclose(got, 0.5 ** (t // size), rtol=1e-5)


# -- polynomial_decay(cycle=True): float counts equal int counts ---------------------------
@pytest.mark.parametrize(("total", "power"), [(2, 1.0), (7, 0.5), (30, 2.0), (45, 1.0)])
def test_polynomial_cycle_float_counts_equal_int_counts(total, power):
    """Keras cycle semantics: end_value at every multiple of T for float counts too
    (``s(90.0) == s(90) == 0`` for T = 45; ``ceil(t / T)`` in float32 used to overshoot)."""
    s = lrx.polynomial_decay(0.1, total, power, cycle=True)
    t = np.arange(9012)
    got_f = np.asarray(s(jnp.asarray(t, jnp.float32)))
    got_i = np.asarray(s(jnp.asarray(t, jnp.int32)))
    np.testing.assert_array_equal(got_f, got_i)
    assert (got_f[total::total] == 0.0).all()
