"""Schedules are data: pytrees, jit arguments without retrace, built under vmap, arithmetic.

Covers the decay, cyclic and composite families: every numeric field is a leaf, mode
strings and flags are static; a schedule passed to ``jit`` retraces only when its
structure changes; ``values(n)`` compiles once per structure; float and step-count fields
can be batched under ``vmap`` (equal to the loop of single schedules); ``==``/``hash``/
``to_config``/``repr`` on traced and batched schedules; ``c * s``/``s * t``; the new
peers (Keras ``InverseTimeDecay``, ``PolynomialDecay(cycle=True)``, HF inverse sqrt with
``timescale``) against NumPy transcriptions; integer-exact boundaries for every int32
count; the error paths of the reliability issue; ``from_fn``'s abstract trace.
"""

from __future__ import annotations

import dataclasses
import json
import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import lrx
from lrx.schedules import _base
from tests._schedule_paths import assert_schedule_close
from tests.grads import JIT, maybe_jit

COUNTS = np.arange(0, 60, dtype=np.int32)


def _examples() -> dict[str, lrx.Schedule]:
    return {
        "constant": lrx.constant(0.01),
        "step_decay": lrx.step_decay(0.1, step_size=7, gamma=0.5),
        "multistep_decay": lrx.multistep_decay(0.1, milestones=[3, 9], gamma=0.3),
        "exponential_decay": lrx.exponential_decay(0.1, 2, 0.9, staircase=True),
        "polynomial_decay": lrx.polynomial_decay(0.1, 12, power=2.0, end_value=0.01),
        "polynomial_cycle": lrx.polynomial_decay(0.1, 7, power=0.5, cycle=True),
        "linear_schedule": lrx.linear_schedule(0.0, 0.1, transition_steps=6),
        "inverse_sqrt": lrx.inverse_sqrt(0.1, warmup_steps=5, timescale=11),
        "inverse_time_decay": lrx.inverse_time_decay(0.1, 0.5, 3, staircase=True),
        "cyclical": lrx.cyclical(0.001, 0.1, 3, 5, mode="exp_range", gamma=0.95),
        "cyclical2": lrx.cyclical(0.001, 0.1, 4, mode="triangular2"),
        "one_cycle": lrx.one_cycle(0.1, 18, pct_start=0.25, three_phase=True),
        "one_cycle_linear": lrx.one_cycle(0.1, 30, anneal_strategy="linear", div_factor=5.0),
        "sequence": lrx.sequence([lrx.constant(0.1), lrx.step_decay(0.1, 2)], boundaries=[5]),
        "per_epoch": lrx.per_epoch(lrx.step_decay(0.1, 2, 0.5), steps_per_epoch=3),
        "scaled": 0.5 * lrx.step_decay(0.1, 4, 0.5),
        "product": lrx.step_decay(0.1, 4, 0.5) * lrx.exponential_decay(1.0, 1, 0.97),
    }


EXAMPLES = _examples()


def _bump(s: lrx.Schedule) -> lrx.Schedule:
    """The same structure with every top-level number changed to another valid value."""
    changes = {}
    for f in dataclasses.fields(s):
        v = getattr(s, f.name)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        changes[f.name] = v + 1 if isinstance(v, int) else v * 0.5
    if isinstance(s, lrx.schedules.cyclic.OneCycle):
        changes["total_steps"] = s.total_steps + 1
    return dataclasses.replace(s, **changes)


# -- pytree ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_pytree_round_trip_and_static_fields(name):
    s = EXAMPLES[name]
    leaves, treedef = jax.tree.flatten(s)
    assert all(isinstance(x, (int, float)) for x in leaves), leaves
    assert jax.tree.unflatten(treedef, leaves) == s
    # unflatten never runs __init__/__post_init__: JAX passes placeholders and tracers
    odd = jax.tree.unflatten(treedef, [object()] * len(leaves))
    assert type(odd) is type(s)
    assert jax.tree.unflatten(treedef, [None] * len(leaves)) is not None
    # static fields are not leaves
    for f in dataclasses.fields(s):
        if f.metadata.get("lrx_static"):
            assert not any(x is getattr(s, f.name) for x in leaves if isinstance(x, str))


def test_key_paths_name_the_fields():
    paths = [
        jax.tree_util.keystr(p)
        for p, _ in jax.tree_util.tree_leaves_with_path(EXAMPLES["sequence"])
    ]
    assert paths == [
        ".schedules[0].value",
        ".schedules[1].init_value",
        ".schedules[1].step_size",
        ".schedules[1].gamma",
        ".boundaries[0]",
    ]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_jit_argument_no_retrace_on_new_values(name):
    s = EXAMPLES[name]
    traces = []

    @jax.jit
    def f(sched, t):
        traces.append(1)
        return sched(t)

    a = f(s, COUNTS)
    other = _bump(s)
    b = f(other, COUNTS)
    assert len(traces) == 1
    np.testing.assert_allclose(np.asarray(a), np.asarray(s(COUNTS)), rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(np.asarray(b), np.asarray(other(COUNTS)), rtol=1e-5, atol=1e-12)


def test_values_compiles_once_per_structure():
    """``values`` compiles once per structure (the jit cache grows only with structure)."""
    before = _base._values_jit._cache_size()
    for v in (0.1, 0.2, 0.3, 0.4):
        lrx.step_decay(v, step_size=int(v * 10), gamma=v).values(20)
    assert _base._values_jit._cache_size() - before == 1
    # a static field is structure: staircase=True and False compile separately
    for staircase in (False, True, False):
        lrx.exponential_decay(0.1, 1, 0.5, staircase=staircase).values(20)
    assert _base._values_jit._cache_size() - before == 3
    # a new n is a new program
    lrx.step_decay(0.5, 2, 0.5).values(21)
    assert _base._values_jit._cache_size() - before == 4


@JIT
def test_schedule_as_an_argument(jit):
    s = lrx.cyclical(0.0, 1.0, 3, mode="triangular2")
    got = maybe_jit(jit, lambda sched, c: sched(c))(s, jnp.asarray(COUNTS))
    chex.assert_trees_all_close(got, s(COUNTS), rtol=1e-6)


@JIT
def test_inverse_time_decay_matches_keras(jit):
    for init, rate, steps, staircase in [
        (0.1, 0.5, 1, False),
        (0.1, 0.5, 7, False),
        (1.0, 2.0, 5, True),
        (0.3, 0.0, 3, True),
    ]:
        s = lrx.inverse_time_decay(init, rate, steps, staircase=staircase)
        got = maybe_jit(jit, s)(jnp.asarray(COUNTS))
        want = keras_inverse_time(init, rate, steps, staircase, COUNTS)
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


# -- vmap ------------------------------------------------------------------------------
F = np.array([0.05, 0.1, 0.3], np.float32)
I = np.array([2, 5, 11], np.int32)

VMAP_CASES = {
    "constant.value": (lambda v: lrx.constant(v), F),
    "step_decay.init_value": (lambda v: lrx.step_decay(v, 3, 0.5), F),
    "step_decay.gamma": (lambda v: lrx.step_decay(1.0, 3, v), F),
    "step_decay.step_size": (lambda k: lrx.step_decay(1.0, k, 0.5), I),
    "multistep_decay.init_value": (lambda v: lrx.multistep_decay(v, [3, 7], 0.5), F),
    "multistep_decay.gamma": (lambda v: lrx.multistep_decay(1.0, [3, 7], v), F),
    "multistep_decay.milestones": (lambda k: lrx.multistep_decay(1.0, [k, k + 9], 0.5), I),
    "exponential_decay.gamma": (lambda v: lrx.exponential_decay(1.0, 3, v), F),
    "exponential_decay.every": (lambda k: lrx.exponential_decay(1.0, k, 0.5), I),
    "exponential_decay.every.staircase": (
        lambda k: lrx.exponential_decay(1.0, k, 0.5, staircase=True),
        I,
    ),
    "exponential_decay.end_value": (
        lambda v: lrx.exponential_decay(1e-3, 4, 10.0, end_value=v),
        F,
    ),
    "polynomial_decay.power": (lambda v: lrx.polynomial_decay(1.0, 20, power=v * 10), F),
    "polynomial_decay.end_value": (lambda v: lrx.polynomial_decay(1.0, 20, end_value=v), F),
    "polynomial_decay.total_steps": (lambda k: lrx.polynomial_decay(1.0, k, 2.0), I),
    "polynomial_decay.cycle.total_steps": (
        lambda k: lrx.polynomial_decay(1.0, k, 2.0, cycle=True),
        I,
    ),
    "linear_schedule.start_value": (lambda v: lrx.linear_schedule(v, 0.01, 20), F),
    "linear_schedule.transition_steps": (lambda k: lrx.linear_schedule(1.0, 0.0, k), I),
    "inverse_sqrt.peak_value": (lambda v: lrx.inverse_sqrt(v, 4), F),
    "inverse_sqrt.warmup_steps": (lambda k: lrx.inverse_sqrt(1.0, k), I),
    "inverse_sqrt.timescale": (lambda k: lrx.inverse_sqrt(1.0, 2, timescale=k), I),
    "inverse_time_decay.decay_rate": (lambda v: lrx.inverse_time_decay(1.0, v, 2), F),
    "inverse_time_decay.decay_steps": (
        lambda k: lrx.inverse_time_decay(1.0, 0.5, k, staircase=True),
        I,
    ),
    "cyclical.max_lr": (lambda v: lrx.cyclical(0.001, v, 4), F),
    "cyclical.gamma": (lambda v: lrx.cyclical(0.0, 1.0, 4, mode="exp_range", gamma=1 - v), F),
    "cyclical.step_size_up": (lambda k: lrx.cyclical(0.0, 1.0, k, 3, mode="triangular2"), I),
    "one_cycle.max_lr": (lambda v: lrx.one_cycle(v, 40), F),
    "one_cycle.pct_start": (lambda v: lrx.one_cycle(1.0, 40, pct_start=v + 0.1), F),
    "one_cycle.div_factor": (lambda v: lrx.one_cycle(1.0, 40, div_factor=v * 100), F),
    "one_cycle.total_steps": (lambda k: lrx.one_cycle(1.0, 10 * k, three_phase=True), I),
    "sequence.boundaries": (
        lambda k: lrx.sequence([lrx.constant(1.0), lrx.step_decay(0.5, 2, 0.5)], [k]),
        I,
    ),
    "per_epoch.steps_per_epoch": (lambda k: lrx.per_epoch(lrx.step_decay(1.0, 1, 0.5), k), I),
    "scaled.factor": (lambda v: v * lrx.step_decay(1.0, 3, 0.5), F),
    "product.inner": (lambda v: lrx.constant(v) * lrx.step_decay(1.0, 3, 0.5), F),
}


@pytest.mark.parametrize("case", sorted(VMAP_CASES))
def test_vmap_over_field_equals_loop(case):
    build, values = VMAP_CASES[case]
    counts = jnp.asarray(COUNTS)
    got = jax.jit(jax.vmap(lambda v: build(v)(counts)))(jnp.asarray(values))
    want = np.stack([np.asarray(build(v.item())(counts)) for v in values])
    np.testing.assert_allclose(np.asarray(got), want, rtol=2e-5, atol=1e-7)


def test_batched_schedule_out_of_vmap():
    """A schedule returned by vmap holds arrays of shape (K,): equal/hash by value."""
    make = jax.vmap(lambda v: lrx.step_decay(v, 2, 0.5))
    b = make(jnp.asarray(F))
    assert b == make(jnp.asarray(F)) and hash(b) == hash(make(jnp.asarray(F)))
    assert b != make(jnp.asarray(F * 2))
    assert "init_value=Array([0.05" in repr(b)
    with pytest.raises(TypeError, match=r"shape \(3,\).*serialize each configuration"):
        b.to_config()
    # and it evaluates per configuration under vmap again
    got = jax.vmap(lambda s: s(5))(b)
    np.testing.assert_allclose(np.asarray(got), F * 0.25, rtol=1e-6)


def test_traced_schedule_identity_and_serialization():
    seen = {}

    def f(v):
        s = lrx.step_decay(v, 2, 0.5)
        seen["repr"] = repr(s)
        seen["self_eq"] = s == s
        seen["eq_concrete"] = s == lrx.step_decay(0.1, 2, 0.5)
        seen["eq_twin"] = s == lrx.step_decay(v, 2, 0.5)  # same tracer, same structure
        with pytest.raises(TypeError, match=r"traced fields .* not hashable"):
            hash(s)
        with pytest.raises(TypeError, match=r"init_value is traced .* cannot be serialized"):
            s.to_config()
        return s(3)

    jax.jit(f)(0.1)
    assert "init_value=" in seen["repr"] and "Tracer" in seen["repr"]
    assert seen["self_eq"] and seen["eq_twin"] and not seen["eq_concrete"]


def test_concrete_array_fields_validate_and_compare_by_value():
    s = lrx.step_decay(jnp.float32(0.5), jnp.int32(3), np.float64(0.5))
    assert s == lrx.step_decay(0.5, 3, 0.5) and hash(s) == hash(lrx.step_decay(0.5, 3, 0.5))
    assert s.to_config() == {"name": "step_decay", "init_value": 0.5, "step_size": 3, "gamma": 0.5}
    with pytest.raises(
        ValueError, match=r"step_size must be a positive integer, got (0|Array\(0,)"
    ):
        lrx.step_decay(0.5, jnp.int32(0))
    # jit outputs are concrete arrays: repr shows plain numbers
    out = jax.jit(lambda s: s)(lrx.step_decay(0.5, 3, 0.5))
    assert repr(out) == "step_decay(init_value=0.5, step_size=3, gamma=0.5)"
    assert out == lrx.step_decay(0.5, 3, 0.5)


# -- arithmetic ------------------------------------------------------------------------
def test_arithmetic_builds_registered_serializable_schedules():
    s, t = lrx.step_decay(0.1, 3, 0.5), lrx.exponential_decay(1.0, 1, 0.9)
    for expr, want in [
        (0.5 * s, 0.5 * np.asarray(s(COUNTS))),
        (s * 0.5, 0.5 * np.asarray(s(COUNTS))),
        (jnp.float32(0.5) * s, 0.5 * np.asarray(s(COUNTS))),
        (s * t, np.asarray(s(COUNTS)) * np.asarray(t(COUNTS))),
        (2.0 * s * t, 2.0 * np.asarray(s(COUNTS)) * np.asarray(t(COUNTS))),
    ]:
        assert isinstance(expr, lrx.Schedule) and expr.name in ("scaled", "product")
        # values() takes gamma as a float32 leaf: ~x * 3e-8 relative after x decays
        assert_schedule_close(expr, want, rtol=5e-6)
        back = lrx.schedule_from_config(json.loads(json.dumps(expr.to_config())))
        assert back == expr and hash(back) == hash(expr)
    assert repr(0.5 * s) == (
        "scaled(factor=0.5, schedule=step_decay(init_value=0.1, step_size=3, gamma=0.5))"
    )
    # products flatten: (s * t) * u has three factors
    assert len(((s * t) * lrx.constant(2.0)).schedules) == 3


def test_arithmetic_errors():
    s = lrx.step_decay(0.1, 3, 0.5)
    with pytest.raises(TypeError):
        s * "2"
    with pytest.raises(TypeError):
        s * (lambda t: t)
    with pytest.raises(ValueError, match="factor must be >= 0"):
        -1.0 * s
    with pytest.raises(ValueError, match=r"factor .* overflows float32"):
        1e30 * lrx.constant(1e30)
    with pytest.raises(ValueError, match="product overflows float32"):
        lrx.constant(1e20) * lrx.step_decay(1e20, 2)


def test_torch_chained_and_multiplicative():
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(1))

    def run(make, n=40):
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make(opt)
        out = []
        for _ in range(n):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return np.array(out)

    chained = run(
        lambda o: torch.optim.lr_scheduler.ChainedScheduler(
            [
                torch.optim.lr_scheduler.StepLR(o, 4, 0.5),
                torch.optim.lr_scheduler.ExponentialLR(o, 0.95),
            ]
        )
    )
    ours = lrx.step_decay(0.1, 4, 0.5) * lrx.exponential_decay(1.0, 1, 0.95)
    assert_schedule_close(ours, chained, rtol=1e-5)
    mult = run(lambda o: torch.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.9))
    assert_schedule_close(lrx.exponential_decay(0.1, 1, 0.9), mult, rtol=1e-5)


# -- the new peers ---------------------------------------------------------------------
def keras_inverse_time(init, rate, steps, staircase, t):
    """Keras ``InverseTimeDecay.__call__`` (keras/src/optimizers/schedules/
    learning_rate_schedule.py): ``p = step / decay_steps`` (floored with staircase),
    ``init / (1 + decay_rate * p)``."""
    p = np.asarray(t, np.float64) / steps
    if staircase:
        p = np.floor(p)
    return init / (1.0 + rate * p)


def keras_polynomial(init, steps, end, power, cycle, t):
    """Keras ``PolynomialDecay.__call__`` (same file): with ``cycle`` the horizon is
    ``decay_steps * ceil(step / decay_steps)`` (multiplier 1 at step 0); otherwise the
    step is clipped at ``decay_steps``."""
    t = np.asarray(t, np.float64)
    if cycle:
        mult = np.where(t == 0, 1.0, np.ceil(t / steps))
        horizon = steps * mult
    else:
        horizon = np.full_like(t, steps, dtype=np.float64)
        t = np.minimum(t, steps)
    return (init - end) * (1 - t / horizon) ** power + end


def hf_inverse_sqrt(lr, warmup, timescale, t):
    """HF ``_get_inverse_sqrt_schedule_lr_lambda`` (transformers/optimization.py):
    ``step / warmup`` during warm-up, then ``1 / sqrt((step + timescale - warmup) /
    timescale)``, times the optimizer's lr."""
    out = []
    for step in np.asarray(t).tolist():
        if step < warmup:
            out.append(lr * step / max(1, warmup))
        else:
            shift = timescale - warmup
            out.append(lr / math.sqrt((step + shift) / timescale))
    return np.array(out)


def test_inverse_time_decay_is_torch_adagrad_lr_decay():
    """torch Adagrad: ``clr = lr / (1 + (step - 1) * lr_decay)`` with step counted from 1."""
    lr, lr_decay = 0.01, 0.3
    want = [lr / (1 + (step - 1) * lr_decay) for step in range(1, 31)]
    assert_schedule_close(lrx.inverse_time_decay(lr, lr_decay), want, rtol=1e-6)


@pytest.mark.parametrize(
    ("init", "steps", "end", "power", "cycle"),
    [
        (0.1, 10, 0.0, 1.0, True),
        (0.1, 7, 0.01, 0.5, True),
        (1.0, 3, 0.2, 2.0, True),
        (1.0, 3, 0.2, 2.0, False),
    ],
)
def test_polynomial_cycle_matches_keras(init, steps, end, power, cycle):
    s = lrx.polynomial_decay(init, steps, power=power, end_value=end, cycle=cycle)
    want = keras_polynomial(init, steps, end, power, cycle, COUNTS)
    assert_schedule_close(s, want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.asarray(s(COUNTS)), want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(("warmup", "timescale"), [(1, 1), (4, None), (4, 9), (10, 3), (3, 1000)])
def test_inverse_sqrt_timescale_matches_hf(warmup, timescale):
    s = lrx.inverse_sqrt(0.5, warmup, timescale=timescale)
    want = hf_inverse_sqrt(0.5, warmup, warmup if timescale is None else timescale, COUNTS)
    assert_schedule_close(s, want, rtol=1e-6)
    assert s.timescale == (warmup if timescale is None else timescale)


@given(
    init=st.floats(0.0, 1e3),
    rate=st.floats(0.0, 1e30),
    steps=st.integers(1, 2**31 - 1),
    staircase=st.booleans(),
    count=st.integers(0, 2**31 - 1),
)
def test_inverse_time_decay_bounded_finite(init, rate, steps, staircase, count):
    s = lrx.inverse_time_decay(init, rate, steps, staircase=staircase)
    v = float(s(jnp.int32(count)))
    assert math.isfinite(v) and 0.0 <= v <= init * (1 + 1e-6)
    assert lrx.schedule_from_config(json.loads(json.dumps(s.to_config()))) == s


@given(
    init=st.floats(0.0, 1e3),
    frac=st.floats(0.0, 1.0),
    steps=st.integers(1, 2**31 - 1),
    power=st.floats(1e-3, 1e3),
    count=st.integers(0, 2**31 - 1),
)
def test_polynomial_cycle_bounded_finite(init, frac, steps, power, count):
    end = init * frac
    s = lrx.polynomial_decay(init, steps, power, end, cycle=True)
    v = float(s(jnp.int32(count)))
    tol = 1e-6 * init + 1e-30
    assert math.isfinite(v) and end - tol <= v <= init + tol
    if count and count % steps == 0:  # every multiple of T is the end of a cycle
        assert abs(v - end) <= tol
    assert lrx.schedule_from_config(json.loads(json.dumps(s.to_config()))) == s


@given(
    peak=st.floats(0.0, 1e3),
    warmup=st.integers(1, 2**31 - 1),
    timescale=st.one_of(st.none(), st.integers(1, 2**31 - 1)),
    count=st.integers(0, 2**31 - 1),
)
@example(peak=0.0, warmup=20236188, timescale=1, count=20236187)  # was 0 * inf = NaN
@example(peak=1.0, warmup=20236188, timescale=1, count=20236187)  # was inf
def test_inverse_sqrt_timescale_bounded_finite(peak, warmup, timescale, count):
    s = lrx.inverse_sqrt(peak, warmup, timescale=timescale)
    v = float(s(jnp.int32(count)))
    assert math.isfinite(v) and 0.0 <= v <= peak * (1 + 1e-6)
    assert lrx.schedule_from_config(json.loads(json.dumps(s.to_config()))) == s


# -- integer-exact boundaries ----------------------------------------------------------
def test_multistep_boundary_above_2_24():
    """The reliability report's case: 1_999_999_941 rounds to 2_000_000_000 in float32."""
    s = lrx.multistep_decay(1, [2_000_000_001], 0.5)
    assert float(s(1_999_999_941)) == 1.0
    assert float(s(2_000_000_000)) == 1.0 and float(s(2_000_000_001)) == 0.5
    assert s.values(3).tolist() == [1.0, 1.0, 1.0]


counts = st.integers(0, 2**31 - 1)
sizes = st.integers(1, 2**31 - 1)


def _close(got: float, exact: float) -> bool:
    """Within float32 rounding of the exact value: one decay more or less is 2x off."""
    return abs(got - exact) <= 1e-5 * exact + 1e-37


@given(count=counts, size=sizes)
def test_step_decay_boundaries_exact(count, size):
    got = float(lrx.step_decay(1.0, size, 0.5)(jnp.int32(count)))
    assert _close(got, 0.5 ** (count // size))


@given(count=counts, ms=st.lists(counts, min_size=1, max_size=4))
def test_multistep_boundaries_exact(count, ms):
    ms = sorted(ms)
    got = float(lrx.multistep_decay(1.0, ms, 0.5)(jnp.int32(count)))
    assert _close(got, 0.5 ** sum(m <= count for m in ms))


@given(count=counts, every=sizes)
def test_staircase_boundaries_exact(count, every):
    got = float(lrx.exponential_decay(1.0, every, 0.5, staircase=True)(jnp.int32(count)))
    assert _close(got, 0.5 ** (count // every))
    inv = float(lrx.inverse_time_decay(1.0, 1.0, every, staircase=True)(jnp.int32(count)))
    assert _close(inv, 1.0 / (1 + count // every))


@given(count=counts, b=st.lists(counts, min_size=1, max_size=3))
def test_sequence_boundaries_exact(count, b):
    b = sorted(b)
    parts = [lrx.constant(float(i + 1)) for i in range(len(b) + 1)]
    got = float(lrx.sequence(parts, b)(jnp.int32(count)))
    assert got == 1 + sum(x <= count for x in b)


@given(count=counts, spe=sizes, size=st.integers(1, 1000))
def test_per_epoch_boundaries_exact(count, spe, size):
    got = float(lrx.per_epoch(lrx.step_decay(1.0, size, 0.5), spe)(jnp.int32(count)))
    assert _close(got, 0.5 ** ((count // spe) // size))


@given(count=counts, up=sizes, down=sizes)
def test_cyclical_phase_exact(count, up, down):
    got = float(lrx.cyclical(0.0, 1.0, up, down, mode="triangular2")(jnp.int32(count)))
    pos, cycle = count % (up + down), count // (up + down)
    height = pos / up if pos <= up else (up + down - pos) / down
    want = height * 0.5**cycle
    assert abs(got - want) <= 1e-6 * want + 1e-37


@given(count=counts, total=sizes)
def test_linear_and_polynomial_remaining_exact(count, total):
    lin = float(lrx.linear_schedule(1.0, 0.0, total)(jnp.int32(count)))
    want = (total - min(count, total)) / total
    assert abs(lin - want) <= 1e-6 * want
    assert (lin == 0.0) == (count >= total)


# -- error paths (construction-time ValueErrors naming the argument) --------------------
@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: lrx.constant(10**400), "value must be finite"),
        (lambda: lrx.constant(1e39), "value must be representable in float32"),
        (lambda: lrx.schedule_from_config({"name": "constant", "value": 1e300}), "value must be"),
        (lambda: lrx.one_cycle(1.0, 100, div_factor=1e-300), "div_factor must be >= 1.175e-38"),
        (lambda: lrx.one_cycle(1e30, 100, div_factor=1e-10), "div_factor must keep max_lr"),
        (
            lambda: lrx.one_cycle(1e30, 100, div_factor=1.0, final_div_factor=1e-10),
            "final_div_factor must keep",
        ),
        (lambda: lrx.step_decay(1.0, 2, gamma=1e-300), "gamma must be >= 1.175e-38"),
        (lambda: lrx.cyclical(0.0, 1.0, 3, mode="exp_range", gamma=1e-40), "gamma must be"),
        (lambda: lrx.polynomial_decay(1.0, 3, power=1e-300), "power must be >= 1.175e-38"),
        (lambda: lrx.inverse_time_decay(1.0, -0.1), "decay_rate must be >= 0"),
        (lambda: lrx.inverse_time_decay(1.0, 0.1, 0), "decay_steps must be a positive integer"),
        (lambda: lrx.inverse_time_decay(1.0, 1e39), "decay_rate must be representable"),
        (lambda: lrx.inverse_sqrt(1.0, 4, timescale=0), "timescale must be a positive integer"),
        (lambda: lrx.polynomial_decay(1.0, 3, cycle="yes"), "cycle must be a bool"),
        (lambda: lrx.multistep_decay(1.0, [5, 3]), "milestones must be sorted"),
    ],
)
def test_error_paths(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_cyclical_huge_step_sizes_evaluate():
    """0.1.0 raised OverflowError: the cycle length 2**31 + 10 does not fit int32."""
    s = lrx.cyclical(0.0, 1.0, 2**30 + 5)
    assert float(s(7)) == pytest.approx(7 / (2**30 + 5), rel=1e-6)
    assert float(s(2**31 - 1)) == pytest.approx(11 / (2**30 + 5), rel=1e-5)
    assert np.isfinite(s.values(4)).all()


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint16, np.uint32, np.int32])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_small_integer_count_dtypes(dtype, name):
    s = EXAMPLES[name]
    c = np.arange(0, 40).astype(dtype)
    np.testing.assert_allclose(np.asarray(s(c)), np.asarray(s(c.astype(np.int32))), rtol=0, atol=0)
    assert s(dtype(9)).dtype == jnp.float32


# -- from_fn ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fn",
    [
        lambda t: 0.1 if t < 5 else 0.01,  # HF-style branch
        lambda t: min(t, 10.0) / 10.0,  # builtin min compares
        lambda t: float(t) / 10.0,  # float() of the count
        lambda t: [0.1, 0.2][int(t)],  # int() of the count
    ],
)
def test_from_fn_python_control_flow_is_a_value_error(fn):
    with pytest.raises(ValueError, match=r"Python control flow on the count.*jnp\.where"):
        lrx.from_fn(fn)


def test_from_fn_bad_outputs():
    with pytest.raises(ValueError, match="scalar count to a scalar value"):
        lrx.from_fn(lambda t: jnp.ones(3) * t)
    with pytest.raises(ValueError, match="real number"):
        lrx.from_fn(lambda t: t > 3)
    with pytest.raises(ValueError, match="raised ZeroDivisionError"):
        lrx.from_fn(lambda t: 1 / 0)


def test_from_fn_is_static_and_traced_once():
    calls = []

    def fn(t):
        calls.append(1)
        return 0.1 * jnp.ones_like(t)

    s = lrx.from_fn(fn)
    assert len(calls) == 1  # the abstract trace at construction
    assert jax.tree.leaves(s) == []  # fn is static data
    np.testing.assert_allclose(s.values(5), 0.1)


def test_hf_lambdas_rewritten_for_from_fn_equal_named_schedules():
    lr, w, total = 0.1, 4, 20
    hf_linear = lrx.from_fn(
        lambda t: lr * jnp.where(t < w, t / w, jnp.maximum(0.0, (total - t) / (total - w)))
    )
    np.testing.assert_allclose(
        hf_linear.values(30),
        lrx.warmup(lrx.linear_schedule(lr, 0.0, total - w), w).values(30),
        atol=1e-7,
    )
    hf_cosine = lrx.from_fn(
        lambda t: (
            lr
            * jnp.where(
                t < w, t / w, 0.5 * (1 + jnp.cos(jnp.pi * jnp.clip((t - w) / (total - w), 0, 1)))
            )
        )
    )
    np.testing.assert_allclose(
        hf_cosine.values(30), lrx.warmup_cosine(lr, w, total).values(30), atol=1e-7
    )


# -- exponential growth with a cap (optax decay_rate > 1 with end_value) ----------------
@pytest.mark.parametrize(
    ("init", "gamma", "every", "staircase", "end"),
    [
        (1e-3, 10.0, 4, False, 0.5),
        (1e-3, 10.0, 4, True, 0.5),
        (1.0, 0.5, 3, False, 0.05),
        (1.0, 0.5, 3, True, 0.05),
    ],
)
def test_exponential_end_value_matches_optax(init, gamma, every, staircase, end):
    optax = pytest.importorskip("optax")
    ref = optax.exponential_decay(
        init, transition_steps=every, decay_rate=gamma, staircase=staircase, end_value=end
    )
    s = lrx.exponential_decay(init, every, gamma, staircase=staircase, end_value=end)
    want = np.array([float(ref(k)) for k in COUNTS])
    assert_schedule_close(s, want, rtol=2e-5)
    assert float(s(jnp.int32(2**31 - 1))) == pytest.approx(end, rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"decay_rate": 2.0}, "decay_rate > 1 grows without bound.*pass end_value"),
        ({"decay_rate": -0.5}, "decay_rate must be > 0"),
        ({"decay_rate": 0.5, "end_value": -1.0}, "end_value must be"),
    ],
)
def test_exponential_end_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lrx.exponential_decay(1.0, 1, **kwargs)


# -- the expressions that replace the ad-hoc learning-rate callables --------------------
def test_adagrad_lr_decay_is_inverse_time_decay_times_schedule():
    """torch Adagrad's ``lr(t) / (1 + t * lr_decay)`` for a scheduled lr is a product."""
    base = lrx.step_decay(0.1, 5, 0.5)
    s = base * lrx.inverse_time_decay(1.0, 0.2)
    want = np.asarray(base(COUNTS)) / (1 + COUNTS * 0.2)
    assert_schedule_close(s, want, rtol=1e-6)


@pytest.mark.parametrize("mode", ["exp", "linear"])
def test_lr_range_test_sweep_is_a_schedule(mode):
    """find_lr's sweep: geometric (or linear) from start to end over n - 1 updates, held."""
    start, end, n = 1e-7, 10.0, 100
    k = np.arange(n + 20)
    if mode == "exp":
        want = start * (end / start) ** (np.minimum(k, n - 1) / (n - 1))
        s = lrx.exponential_decay(start, n - 1, end / start, end_value=end)
    else:
        want = start + (end - start) * (np.minimum(k, n - 1) / (n - 1))
        s = lrx.linear_schedule(start, end, n - 1)
    assert_schedule_close(s, want, rtol=2e-5)
