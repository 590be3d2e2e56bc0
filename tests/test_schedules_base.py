"""The Schedule base: identity, repr, configs, values(n), jit, count dtypes, optimizer use.

These are contract tests of the public Schedule type and schedule functions, run over one
example of every registered schedule type (the registry must not hold a type without an
example here).
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.schedules import _base, _config
from tests.grads import JIT, maybe_jit


def _fn(t):
    return 0.05 * jnp.ones_like(t)


EXAMPLES = {
    "constant": lrx.constant(0.01),
    "step_decay": lrx.step_decay(0.1, step_size=7, gamma=0.5),
    "multistep_decay": lrx.multistep_decay(0.1, milestones=[3, 9], gamma=0.3),
    "exponential_decay": lrx.exponential_decay(0.1, 2, 0.9, staircase=True),
    "cosine_annealing": lrx.cosine_annealing(0.1, T_max=15, eta_min=0.001),
    "cosine_warm_restarts": lrx.cosine_warm_restarts(
        0.1, T_0=4, T_mult=2, eta_min=0.001, peak_decay=0.7
    ),
    "polynomial_decay": lrx.polynomial_decay(0.1, total_steps=12, power=2.0, end_value=0.01),
    "linear_schedule": lrx.linear_schedule(0.0, 0.1, transition_steps=6),
    "cyclical": lrx.cyclical(
        0.001, 0.1, step_size_up=3, step_size_down=5, mode="exp_range", gamma=0.95
    ),
    "one_cycle": lrx.one_cycle(
        0.1,
        total_steps=18,
        pct_start=0.25,
        anneal_strategy="linear",
        div_factor=10.0,
        final_div_factor=100.0,
        three_phase=True,
    ),
    "warmup": lrx.warmup(lrx.exponential_decay(0.1, 1, 0.8), warmup_steps=4, init_value=0.01),
    "warmup_cosine": lrx.warmup_cosine(
        0.1, warmup_steps=3, total_steps=15, init_value=0.001, end_value=0.002
    ),
    "warmup_stable_decay": lrx.warmup_stable_decay(
        0.1, 2, 5, 8, init_value=0.001, end_value=0.003, decay="sqrt"
    ),
    "inverse_sqrt": lrx.inverse_sqrt(0.1, warmup_steps=5, timescale=8),
    "inverse_time_decay": lrx.inverse_time_decay(0.1, 0.3, decay_steps=2, staircase=True),
    "scaled": 0.5 * lrx.cyclical(0.001, 0.1, step_size_up=3),
    "product": lrx.step_decay(0.1, 4, 0.5) * lrx.polynomial_decay(1.0, 30, cycle=True),
    "sequence": lrx.sequence([lrx.constant(0.1), lrx.step_decay(0.1, 2)], boundaries=[5]),
    "per_epoch": lrx.per_epoch(lrx.cosine_annealing(0.1, 5), steps_per_epoch=3),
    "from_fn": lrx.from_fn(_fn),
    "tanh_decay": lrx.tanh_decay(0.1, T_0=10),
    "lr_noise": lrx.lr_noise(lrx.constant(0.1), pct=0.1, start=2, end=20),
    "cyclical_momentum": lrx.cyclical_momentum(0.8, 0.9, step_size_up=2),
    "one_cycle_momentum": lrx.one_cycle_momentum(10, pct_start=0.3, anneal_strategy="linear"),
    "piecewise_interpolate": lrx.piecewise_interpolate_schedule(
        "linear", 200.0, {5: 1.5, 10: 0.25}
    ),
}
SERIALIZABLE = {k: v for k, v in EXAMPLES.items() if k != "from_fn"}


def test_every_registered_schedule_has_an_example():
    assert set(EXAMPLES) == set(_config.REGISTRY)
    for name, s in EXAMPLES.items():
        assert s.name == name and isinstance(s, lrx.Schedule)


def test_public_surface():
    import lrx.schedules as pkg

    for name in EXAMPLES:
        if name in ("scaled", "product", "piecewise_interpolate"):  # arithmetic; optax name
            continue
        assert getattr(lrx, name) is getattr(pkg, name)
    assert pkg.Schedule is lrx.Schedule and pkg.schedule_from_config is lrx.schedule_from_config


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_hashable_and_eq_by_params(name):
    s = EXAMPLES[name]
    twin = dataclasses.replace(s)  # a new object with the same parameters
    assert twin is not s and twin == s and hash(twin) == hash(s)
    assert len({s, twin}) == 1
    if name == "from_fn":
        assert s != lrx.from_fn(lambda t: t)
        return
    # changing any numeric parameter breaks equality
    changed = 0
    for f in dataclasses.fields(s):
        value = getattr(s, f.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        new = value + 1 if isinstance(value, int) else (value * 0.5 if value else 0.001)
        assert dataclasses.replace(s, **{f.name: new}) != s, f.name
        changed += 1
    assert changed or name in ("sequence", "product")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_repr_shows_every_parameter(name):
    s = EXAMPLES[name]
    text = repr(s)
    assert text.startswith(f"{name}(")
    for f in dataclasses.fields(s):
        assert f"{f.name}={getattr(s, f.name)!r}" in text


@pytest.mark.parametrize("name", sorted(SERIALIZABLE))
def test_config_round_trip(name):
    s = SERIALIZABLE[name]
    config = s.to_config()
    assert config["name"] == name
    back = lrx.schedule_from_config(json.loads(json.dumps(config)))
    assert back == s and hash(back) == hash(s)
    np.testing.assert_array_equal(back.values(40), s.values(40))


def test_repr_of_composite_nests():
    s = EXAMPLES["sequence"]
    assert repr(s) == (
        "sequence(schedules=(constant(value=0.1), step_decay(init_value=0.1, step_size=2, "
        "gamma=0.1)), boundaries=(5,))"
    )


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"name": "nope"}, "unknown schedule name 'nope'"),
        ({"value": 0.1}, "unknown schedule name None"),
        ({"name": "constant", "value": 0.1, "extra": 1}, r"unknown keys \['extra'\]"),
        ({"name": "step_decay", "init_value": 0.1}, r"missing keys \['step_size'\]"),
        ([("name", "constant")], "must be a dict"),
        ("constant", "must be a dict"),
        ({"name": "constant", "value": float("nan")}, "must be finite"),
        ({"name": "constant", "value": float("inf")}, "must be finite"),
        ({"name": "constant", "value": "0.1"}, "value must be a real number"),
        ({"name": "constant", "value": True}, "value must be a real number"),
        ({"name": "constant", "value": {"a": 1}}, "unsupported JSON value"),
        (
            {"name": "step_decay", "init_value": 0.1, "step_size": 0},
            "step_size must be a positive integer",
        ),
        (
            {
                "name": "sequence",
                "schedules": [{"name": "constant", "value": 0.1}, {"name": "x"}],
                "boundaries": [3],
            },
            r"config\.schedules\[1\]: unknown schedule name 'x'",
        ),
        (
            {"name": "sequence", "schedules": {"name": "constant"}, "boundaries": []},
            "must be a list of schedule configs",
        ),
        (
            {"name": "warmup", "schedule": 0.1, "warmup_steps": 3},
            r"config\.schedule must be a dict",
        ),
        ({"name": "from_fn", "fn": "print"}, "cannot be built from a config"),
        ({"name": "__init__"}, "unknown schedule name"),
    ],
)
def test_from_config_rejects(config, match):
    with pytest.raises(ValueError, match=match):
        lrx.schedule_from_config(config)


def test_from_config_depth_limit():
    config: dict = {"name": "constant", "value": 0.1}
    for _ in range(40):
        config = {"name": "warmup", "schedule": config, "warmup_steps": 1}
    with pytest.raises(ValueError, match="nest at most"):
        lrx.schedule_from_config(config)


def test_from_config_defaults_optional_keys():
    s = lrx.schedule_from_config({"name": "step_decay", "init_value": 0.1, "step_size": 3})
    assert s == lrx.step_decay(0.1, 3, 0.1)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_values(name):
    s = EXAMPLES[name]
    v = s.values(25)
    assert isinstance(v, np.ndarray) and v.dtype == np.float32 and v.shape == (25,)
    assert s.values(0).shape == (0,)
    manual = np.array([float(s(k)) for k in range(25)], np.float32)
    # values() passes the fields as float32 leaves (one program per structure); eager
    # calls keep Python floats: a few float32 ulps apart
    np.testing.assert_allclose(v, manual, rtol=1e-5)
    assert np.all(np.isfinite(v))


def test_values_rejects_bad_n():
    with pytest.raises(ValueError, match="num_steps"):
        EXAMPLES["constant"].values(-1)
    with pytest.raises(ValueError, match="num_steps"):
        EXAMPLES["constant"].values(2.5)


@JIT
def test_all_schedules_scalar_and_array(jit):
    """Every schedule works inside jit on scalar and array counts (and equals eager)."""
    counts = jnp.arange(24, dtype=jnp.int32).reshape(2, 3, 4)
    for name, s in EXAMPLES.items():
        ref = s.values(24).reshape(2, 3, 4)
        fn = maybe_jit(jit, lambda c, s=s: s(c))
        out = fn(counts)
        chex.assert_shape(out, (2, 3, 4))
        chex.assert_type(out, jnp.float32)
        chex.assert_trees_all_close(out, ref, rtol=1e-5, custom_message=name)
        scalar = fn(jnp.int32(13))
        chex.assert_shape(scalar, ())
        chex.assert_trees_all_close(scalar, ref.reshape(-1)[13], rtol=1e-5, custom_message=name)


@pytest.mark.parametrize(
    "count",
    [7, np.int32(7), np.int64(7), np.uint8(7), jnp.int32(7), jnp.asarray(7, jnp.int16), 7.0],
    ids=lambda c: type(c).__name__ + str(getattr(c, "dtype", "")),
)
def test_count_dtypes(count):
    s = EXAMPLES["step_decay"]
    out = s(count)
    assert out.dtype == jnp.float32 and out.shape == ()
    np.testing.assert_allclose(out, 0.05, rtol=1e-6)


def test_bool_count_rejected():
    with pytest.raises(ValueError, match="count"):
        EXAMPLES["constant"](True)


def test_schedule_as_static_jit_argument():
    """Equal schedules hit the same jit cache entry (hash/eq by parameters)."""
    traces = []

    @jax.jit
    def run(count):
        traces.append(1)
        return lrx.step_decay(0.1, 7, 0.5)(count)

    run(jnp.int32(1))
    run(jnp.int32(2))
    assert len(traces) == 1

    f = jax.jit(lambda s, c: s(c), static_argnums=0)
    f(lrx.cosine_annealing(0.1, 10), jnp.int32(3))
    f(lrx.cosine_annealing(0.1, 10), jnp.int32(4))
    assert f._cache_size() == 1


def test_optimizer_accepts_schedule():
    """Any lrx optimizer takes a Schedule as its learning rate."""
    schedule = lrx.one_cycle(
        0.1, total_steps=10, anneal_strategy="linear", div_factor=10.0, final_div_factor=1.0
    )
    for opt in (lrx.adam(schedule), lrx.sgd(schedule, momentum=0.9)):
        params = {"w": jnp.ones(3, jnp.float32)}
        state = opt.init(params)
        step = jax.jit(opt.update)
        grads = {"w": jnp.ones(3, jnp.float32)}
        for _ in range(3):
            updates, state = step(grads, state, params)
            params = lrx.apply_updates(params, updates)
        assert np.all(np.isfinite(np.asarray(params["w"])))
    # plain SGD applies exactly -lr(t) * g: lr = 0.01, 0.055, 0.1 for t = 0, 1, 2
    opt = lrx.sgd(schedule)
    params = {"w": jnp.zeros((), jnp.float32)}
    state = opt.init(params)
    for _ in range(3):
        updates, state = opt.update({"w": jnp.ones((), jnp.float32)}, state, params)
        params = lrx.apply_updates(params, updates)
    np.testing.assert_allclose(params["w"], -(0.01 + 0.055 + 0.1), rtol=1e-5)
    assert math.isclose(float(lrx.learning_rate(state)), 0.1, rel_tol=1e-5)


# -- identity after device_put / jit / checkpoint round trips (float32-exact) ---------------
def _round_trips(s):
    """The schedule after jax.device_put, as a jit output, and restored from NumPy leaves."""
    yield "device_put", jax.device_put(s)
    yield "jit", jax.jit(lambda x: x)(s)
    leaves, treedef = jax.tree_util.tree_flatten(s)
    yield "numpy leaves", jax.tree_util.tree_unflatten(treedef, [np.asarray(x) for x in leaves])


@pytest.mark.parametrize("name", sorted(SERIALIZABLE))
def test_equal_and_hash_after_round_trips(name):
    s = SERIALIZABLE[name]
    for how, other in _round_trips(s):
        assert other == s and s == other, how
        assert hash(other) == hash(s), how
        assert other.to_config() == s.to_config(), how
        assert lrx.schedule_from_config(other.to_config()) == s, how


def test_equal_after_orbax_round_trip(tmp_path):
    ocp = pytest.importorskip("orbax.checkpoint")
    s = lrx.warmup_cosine(0.1, 5, 105, init_value=0.003, end_value=0.001, num_cycles=2.5)
    with ocp.PyTreeCheckpointer() as ckpt:
        ckpt.save(tmp_path / "s", s)
        restored = ckpt.restore(tmp_path / "s", item=s)
    assert restored == s and hash(restored) == hash(s)
    assert restored.to_config() == s.to_config()


def test_to_config_writes_the_shortest_float32_decimal():
    """Issue: a device_put schedule wrote 0.10000000149011612 for 0.1."""
    s = jax.device_put(lrx.step_decay(0.1, 2, 0.7))
    assert s.to_config() == {"name": "step_decay", "init_value": 0.1, "step_size": 2, "gamma": 0.7}
    assert json.loads(json.dumps(s.to_config()))["init_value"] == 0.1
    third = jax.device_put(lrx.constant(1 / 3))
    assert third.to_config()["value"] == 0.33333334
    assert third == lrx.constant(1 / 3)  # float32-exact comparison


def test_float_fields_compare_in_float32():
    """Two values that are one float32 compare equal; a float32 ulp apart, unequal."""
    a = lrx.constant(0.1)
    assert a == lrx.constant(float(np.float32(0.1))) == lrx.constant(jnp.float32(0.1))
    assert a != lrx.constant(float(np.nextafter(np.float32(0.1), np.float32(1.0))))


# -- static fields: a tracer is a ValueError naming the field ------------------------------
STATIC_TRACERS = [
    ("end", lambda v: lrx.lr_noise(lrx.constant(0.1), end=v), 10),
    ("cycle_limit", lambda v: lrx.tanh_decay(0.1, 10, cycle_limit=v), 2),
    ("cycle_limit", lambda v: lrx.cosine_warm_restarts(0.1, 10, cycle_limit=v), 2),
    ("T_mult", lambda v: lrx.cosine_warm_restarts(0.1, 10, T_mult=v), 2),
    ("T_mult", lambda v: lrx.tanh_decay(0.1, 10, T_mult=v), 2),
    ("restarts", lambda v: lrx.warmup_cosine(0.1, 2, 10, restarts=v), True),
    ("prefix", lambda v: lrx.warmup(lrx.constant(0.1), 2, prefix=v), True),
    ("floor_relative", lambda v: lrx.cosine_warm_restarts(0.1, 4, floor_relative=v), True),
]


@pytest.mark.parametrize(
    ("field", "build", "value"),
    STATIC_TRACERS,
    ids=[f"{i}-{f}" for i, (f, _, _) in enumerate(STATIC_TRACERS)],
)
def test_static_field_given_a_tracer(field, build, value):
    """Issue: raw TracerBoolConversionError / TracerArrayConversionError before."""

    def run(v):
        return build(v)(jnp.arange(5))

    with pytest.raises(ValueError, match=rf"{field} must be a Python value"):
        jax.jit(run)(jnp.asarray(value))
    build(value).values(5)  # the Python value works


def test_static_field_given_a_tracer_under_inject():
    def make(end):
        return optax.scale_by_schedule(lrx.lr_noise(lrx.constant(0.1), end=end))

    opt = optax.inject_hyperparams(make)(end=10)
    state = opt.init(jnp.zeros(2))
    with pytest.raises(ValueError, match="end must be a Python value"):
        jax.jit(opt.update)(jnp.ones(2), state)


# -- the float32 range check covers arithmetic and composites -------------------------------
RANGE = [
    ("factor", lambda: lrx.warmup_cosine(1e38, 5, 50) * 10),
    ("factor", lambda: 10 * lrx.cosine_annealing(1e38, 10)),
    ("factor", lambda: lrx.warmup(lrx.constant(1e38), 5) * 10),
    ("factor", lambda: lrx.warmup(lrx.constant(0.1), 5, init_value=1e38) * 10),
    ("factor", lambda: lrx.warmup_stable_decay(1e38, 2, 3, 4) * 10),
    ("factor", lambda: lrx.tanh_decay(1e38, 10) * 10),
    ("factor", lambda: lrx.cosine_warm_restarts(1e38, 10) * 10),
    ("factor", lambda: lrx.sequence([lrx.constant(0.1), lrx.warmup_cosine(1e38, 1, 5)], [3]) * 10),
    ("factor", lambda: lrx.per_epoch(lrx.cosine_annealing(1e38, 10), 3) * 10),
    ("factor", lambda: lrx.lr_noise(lrx.constant(1e38), pct=0.1) * 10),
    ("schedules", lambda: lrx.warmup_cosine(1e20, 5, 50) * lrx.cosine_warm_restarts(1e20, 4)),
    ("schedule", lambda: lrx.lr_noise(lrx.constant(3e38), pct=0.5)),
    (
        "factor",
        lambda: lrx.schedule_from_config(
            {
                "name": "scaled",
                "factor": 10.0,
                "schedule": lrx.warmup_cosine(1e38, 5, 50).to_config(),
            }
        ),
    ),
    ("factor", lambda: lrx.cosine_warm_restarts(1e30, 4, peak_decay=1.5, cycle_limit=30) * 1e7),
]


@pytest.mark.parametrize(
    ("arg", "build"), RANGE, ids=[f"{i}-{a}" for i, (a, _) in enumerate(RANGE)]
)
def test_range_check_covers_arithmetic_and_composites(arg, build):
    """Issue: each of these built fine and the first update was -inf."""
    with pytest.raises(ValueError, match=rf"{arg}\b.*overflows float32|overflows float32.*{arg}"):
        build()


def test_range_check_accepts_the_largest_finite_products():
    s = lrx.warmup_cosine(1e38, 5, 50) * 3.0
    assert np.all(np.isfinite(s.values(60))) and float(s(5)) == pytest.approx(3e38, rel=1e-6)
    n = lrx.lr_noise(lrx.constant(2e38), pct=0.5)
    assert np.all(np.isfinite(n.values(50)))


# -- no test hooks or test references in the library ----------------------------------------
def test_no_test_hooks_in_the_library():
    import lrx.schedules.cosine as _  # noqa: F401

    cosine = sys.modules["lrx.schedules.cosine"]
    assert not hasattr(cosine, "_np_cycle")
    assert not hasattr(_base, "_VALUES_TRACES")
