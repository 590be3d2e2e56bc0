"""Reliability: long runs, hostile inputs, non-finite training and determinism.

The cross-process checkpoint/resume guarantees live in tests/test_resume.py. See
docs/reliability.md for the list of guarantees and the tests that hold them.
"""

from __future__ import annotations

import functools
import json
import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrx
from tests.grads import JIT

INT32_MAX = 2**31 - 1
NEAR_MAX = np.arange(INT32_MAX - 4, INT32_MAX + 1, dtype=np.int64).astype(np.int32)


# --------------------------------------------------------------------------------------
# Long runs: counts saturate, schedules stay finite and correct near 2**31 - 1
# --------------------------------------------------------------------------------------
def _all_schedules() -> dict[str, lrx.Schedule]:
    return {
        "constant": lrx.constant(0.1),
        "step_decay": lrx.step_decay(0.1, 10, 0.5),
        "multistep_decay": lrx.multistep_decay(0.1, [10, 20]),
        "exponential_decay": lrx.exponential_decay(0.1, 1, 0.95),
        "exponential_staircase": lrx.exponential_decay(0.1, 100, 0.95, staircase=True),
        "cosine_annealing": lrx.cosine_annealing(0.1, 100, 1e-3),
        "cosine_warm_restarts": lrx.cosine_warm_restarts(0.1, 10),
        "cosine_warm_restarts_mult": lrx.cosine_warm_restarts(0.1, 10, T_mult=2, eta_min=1e-4),
        "polynomial_decay": lrx.polynomial_decay(0.1, 100, 2.0, 1e-3),
        "linear_schedule": lrx.linear_schedule(0.1, 0.01, 100),
        "cyclical": lrx.cyclical(0.001, 0.1, 20),
        "cyclical_down": lrx.cyclical(0.001, 0.1, 7, step_size_down=13),
        "cyclical_triangular2": lrx.cyclical(0.001, 0.1, 20, mode="triangular2"),
        "cyclical_exp_range": lrx.cyclical(0.001, 0.1, 20, mode="exp_range", gamma=0.99),
        "one_cycle": lrx.one_cycle(0.1, 1000),
        "warmup": lrx.warmup(lrx.cyclical(0.001, 0.1, 5), 10),
        "warmup_cosine": lrx.warmup_cosine(0.1, 10, 1000, end_value=1e-4),
        "warmup_stable_decay": lrx.warmup_stable_decay(0.1, 10, 100, 100, end_value=1e-3),
        "inverse_sqrt": lrx.inverse_sqrt(0.1, 100),
        "sequence": lrx.sequence([lrx.constant(0.1), lrx.cyclical(0.01, 0.1, 3)], [10]),
        "per_epoch": lrx.per_epoch(lrx.cyclical(0.01, 0.1, 2), 7),
    }


@pytest.mark.parametrize("name", sorted(_all_schedules()))
def test_every_schedule_is_finite_near_int32_max(name):
    s = _all_schedules()[name]
    values = np.asarray(jax.jit(s)(jnp.asarray(NEAR_MAX)))
    assert values.dtype == np.float32
    assert np.all(np.isfinite(values)), values
    assert np.all(values >= 0), values


# Closed forms at huge counts, evaluated in exact integer / float64 arithmetic.
def _reference_near_max(name: str, n: int) -> float:
    if name == "cosine_warm_restarts":  # period 10
        return 0.05 * (1 + math.cos(math.pi * (n % 10) / 10))
    if name in ("cyclical", "cyclical_down"):
        up, down = (20, 20) if name == "cyclical" else (7, 13)
        k = n % (up + down)
        frac = k / up if k <= up else 1 - (k - up) / down
        return 0.001 + (0.1 - 0.001) * frac
    if name == "per_epoch":  # cyclical(0.01, 0.1, 2) at epoch n // 7
        k = (n // 7) % 4
        return 0.01 + 0.09 * (1 - abs(k / 2 - 1))
    if name == "sequence":  # cyclical(0.01, 0.1, 3) on n - 10
        k = (n - 10) % 6
        return 0.01 + 0.09 * (1 - abs(k / 3 - 1))
    if name == "warmup":  # cyclical(0.001, 0.1, 5) on n - 10
        k = (n - 10) % 10
        return 0.001 + 0.099 * (1 - abs(k / 5 - 1))
    limits = {
        "constant": 0.1,
        "step_decay": 0.0,
        "multistep_decay": 0.001,
        "exponential_decay": 0.0,
        "exponential_staircase": 0.0,
        "cosine_annealing": 1e-3,
        "polynomial_decay": 1e-3,
        "linear_schedule": 0.01,
        "cyclical_triangular2": 0.001,
        "cyclical_exp_range": 0.001,
        "one_cycle": 0.1 / 25 / 1e4,
        "warmup_cosine": 1e-4,
        "warmup_stable_decay": 1e-3,
        "inverse_sqrt": 0.1 * math.sqrt(100 / n),
    }
    return limits[name]


@pytest.mark.parametrize("name", sorted(set(_all_schedules()) - {"cosine_warm_restarts_mult"}))
def test_every_schedule_is_correct_near_int32_max(name):
    """Periodic schedules reduce the count in integer arithmetic, not float32."""
    s = _all_schedules()[name]
    got = np.asarray(s(jnp.asarray(NEAR_MAX)))
    want = np.array([_reference_near_max(name, int(n)) for n in NEAR_MAX], np.float64)
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-9)


def test_cosine_warm_restarts_tmult_is_within_its_cycle_bounds_near_max():
    s = lrx.cosine_warm_restarts(0.1, 10, T_mult=2, eta_min=1e-4)
    values = np.asarray(s(jnp.asarray(NEAR_MAX)))
    assert np.all((values >= 1e-4 - 1e-9) & (values <= 0.1 + 1e-9))


@pytest.mark.parametrize(
    "make",
    [
        lambda: lrx.adam(1e-3),
        lambda: lrx.adamw(1e-3, amsgrad=True),
        lambda: lrx.rmsprop(1e-3, bias_correction=True, centered=True),
        lambda: lrx.sgd(lrx.cosine_warm_restarts(0.1, 10), momentum=0.9),
        lambda: lrx.chain(lrx.adam(1e-3), lrx.reduce_on_plateau()),
    ],
    ids=["adam", "adamw_amsgrad", "rmsprop_bias_corrected", "sgd_restarts", "adam_plateau"],
)
def test_counts_saturate_and_updates_stay_finite_at_int32_max(make):
    tx = make()
    params = jnp.zeros(3)
    state = tx.init(params)

    # Jump every update count to just below the int32 limit.
    def is_count(path, x):
        return "count" in jax.tree_util.keystr(path) and x.dtype == jnp.int32

    state = jax.tree_util.tree_map_with_path(
        lambda path, x: jnp.full_like(x, INT32_MAX - 2) if is_count(path, x) else x, state
    )
    step = jax.jit(tx.update)
    for _ in range(5):
        updates, state = step(jnp.ones(3), state, params)
        assert np.all(np.isfinite(np.asarray(updates)))
    counts = [x for path, x in jax.tree_util.tree_leaves_with_path(state) if is_count(path, x)]
    assert counts, "every optimizer keeps an int32 count"
    # No count wrapped to a negative value; the update counts stopped at the limit
    # (a plateau's observation count did not move: nothing was observed).
    assert all(INT32_MAX - 2 <= int(c) <= INT32_MAX for c in counts)
    assert any(int(c) == INT32_MAX for c in counts)


# --------------------------------------------------------------------------------------
# Hostile input: schedule configs
# --------------------------------------------------------------------------------------
BAD_CONFIGS = [
    ("not a dict", [1, 2]),
    ("string", "step_decay"),
    ("no name", {"init_value": 0.1, "step_size": 2}),
    ("name not a string", {"name": 3}),
    ("unknown name", {"name": "os.system"}),
    ("private class name", {"name": "StepDecay", "init_value": 0.1, "step_size": 2}),
    ("missing key", {"name": "step_decay", "init_value": 0.1}),
    ("extra key", {"name": "step_decay", "init_value": 0.1, "step_size": 2, "x": 1}),
    ("string number", {"name": "step_decay", "init_value": "0.1", "step_size": 2}),
    ("bool number", {"name": "step_decay", "init_value": True, "step_size": 2}),
    ("nan", {"name": "step_decay", "init_value": float("nan"), "step_size": 2}),
    (
        "inf",
        {
            "name": "exponential_decay",
            "init_value": 0.1,
            "transition_steps": 1,
            "decay_rate": float("inf"),
        },
    ),
    ("huge int", {"name": "step_decay", "init_value": 0.1, "step_size": 10**30}),
    ("negative", {"name": "cosine_annealing", "init_value": 0.1, "T_max": -5}),
    ("float step", {"name": "step_decay", "init_value": 0.1, "step_size": 2.5}),
    ("list for scalar", {"name": "constant", "value": [0.1]}),
    ("dict for scalar", {"name": "constant", "value": {"a": 1}}),
    ("null", {"name": "constant", "value": None}),
    (
        "unknown mode",
        {
            "name": "cyclical",
            "base_lr": 0.001,
            "max_lr": 0.1,
            "step_size_up": 2,
            "mode": "sawtooth",
        },
    ),
    ("child not a config", {"name": "warmup", "schedule": 0.1, "warmup_steps": 3}),
    ("bad child", {"name": "warmup", "schedule": {"name": "nope"}, "warmup_steps": 3}),
    (
        "schedules not a list",
        {"name": "sequence", "schedules": {"name": "constant", "value": 1.0}, "boundaries": []},
    ),
    (
        "boundaries mismatch",
        {
            "name": "sequence",
            "schedules": [{"name": "constant", "value": 1.0}] * 2,
            "boundaries": [1, 2],
        },
    ),
    ("from_fn", {"name": "from_fn", "fn": "print"}),
]


@pytest.mark.parametrize("config", [c for _, c in BAD_CONFIGS], ids=[i for i, _ in BAD_CONFIGS])
def test_malformed_schedule_configs_raise_value_error(config):
    with pytest.raises(ValueError):
        lrx.schedule_from_config(config)


def test_deeply_nested_config_is_rejected_not_a_recursion_error():
    config = {"name": "constant", "value": 0.1}
    for _ in range(200):
        config = {"name": "per_epoch", "schedule": config, "steps_per_epoch": 1}
    with pytest.raises(ValueError, match="nest"):
        lrx.schedule_from_config(config)


def test_error_messages_name_the_argument():
    with pytest.raises(ValueError, match="step_size"):
        lrx.schedule_from_config({"name": "step_decay", "init_value": 0.1, "step_size": 0})
    with pytest.raises(ValueError, match="unknown keys"):
        lrx.schedule_from_config({"name": "constant", "value": 0.1, "vaule": 0.2})


def _json_containers(children: st.SearchStrategy) -> st.SearchStrategy:
    # A named function: hypothesis inspects a multi-line lambda's source and cannot see
    # that it uses its argument (a false "can't actually recurse" deprecation warning).
    return st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=12), children, max_size=5
    )


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    _json_containers,
    max_leaves=20,
)
_names = st.sampled_from([*sorted(lrx.schedules._base._REGISTRY), "nope", ""])


@st.composite
def _configs(draw):
    """Random JSON, biased towards dicts with a real schedule name and its real keys."""
    if draw(st.booleans()):
        return draw(_json)
    name = draw(_names)
    cls = lrx.schedules._base._REGISTRY.get(name)
    keys = [f for f in getattr(cls, "__dataclass_fields__", {})] if cls else []
    config = {"name": name}
    for key in keys:
        if draw(st.integers(0, 5)):  # mostly present
            config[key] = draw(
                st.integers(-3, 50)
                | st.floats(-1, 2)
                | _json
                | st.just({"name": "constant", "value": 0.5})
                | st.lists(st.integers(0, 30), max_size=4)
                | st.lists(st.just({"name": "constant", "value": 0.1}), max_size=3)
            )
    if draw(st.integers(0, 9)) == 0:
        config[draw(st.text(max_size=5))] = draw(_json)
    return config


@given(_configs())
def test_random_json_gives_a_valid_schedule_or_value_error(config):
    try:
        s = lrx.schedule_from_config(config)
    except ValueError:
        return
    assert isinstance(s, lrx.Schedule)
    # A schedule that was accepted round-trips and evaluates to finite values.
    assert lrx.schedule_from_config(json.loads(json.dumps(s.to_config()))) == s
    assert np.all(np.isfinite(np.asarray(s(jnp.arange(4)))))


# --------------------------------------------------------------------------------------
# Hostile input: optimizers
# --------------------------------------------------------------------------------------
OPTIMIZERS = {
    "sgd": lambda: lrx.sgd(0.1),
    "sgd_momentum": lambda: lrx.sgd(0.1, momentum=0.9),
    "adagrad": lambda: lrx.adagrad(0.1),
    "rmsprop": lambda: lrx.rmsprop(0.1),
    "adam": lambda: lrx.adam(0.1),
    "adamw": lambda: lrx.adamw(0.1),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_integer_params_are_rejected_with_a_clear_error(name):
    tx = OPTIMIZERS[name]()
    params = {"w": jnp.zeros(3), "step": jnp.arange(3)}
    with pytest.raises(ValueError, match=r"floating.*step|step.*floating"):
        state = tx.init(params)
        tx.update(params, state, params)


@pytest.mark.parametrize("name", sorted(set(OPTIMIZERS) - {"sgd"}))  # plain sgd: no per-param state
def test_update_tree_not_matching_state_raises_value_error(name):
    tx = OPTIMIZERS[name]()
    state = tx.init({"a": jnp.zeros(3)})
    with pytest.raises(ValueError, match="init"):
        tx.update({"b": jnp.zeros(3)}, state, {"b": jnp.zeros(3)})


@pytest.mark.parametrize(
    "first,second",
    [
        ("adam", "sgd_momentum"),
        ("sgd_momentum", "adam"),
        ("rmsprop", "adagrad"),
        ("adagrad", "adam"),
    ],
)
def test_state_from_another_optimizer_raises_value_error(first, second):
    params = {"a": jnp.zeros(3)}
    state = OPTIMIZERS[first]().init(params)
    with pytest.raises(ValueError, match="state"):
        OPTIMIZERS[second]().update(params, state, params)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, np.float32("nan")])
@pytest.mark.parametrize("name", ["sgd", "adam", "adagrad", "rmsprop", "adamw"])
def test_non_finite_or_negative_learning_rate_is_rejected(name, bad):
    with pytest.raises(ValueError, match="learning_rate"):
        getattr(lrx, name)(bad)


def test_find_lr_with_too_few_batches_is_rejected():
    batches = {"x": jnp.ones((5, 2))}
    with pytest.raises(ValueError, match="batches"):
        lrx.find_lr(lambda p, b: jnp.sum(p * b["x"]), jnp.ones(2), batches, num_steps=50)
    with pytest.raises(ValueError, match="batches"):
        lrx.find_lr(lambda p, b: jnp.sum(p * b), jnp.ones(2), [jnp.ones(2)] * 5, num_steps=50)


# --------------------------------------------------------------------------------------
# Non-finite training and determinism
# --------------------------------------------------------------------------------------
def _problem():
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.normal(size=(64, 5)), jnp.float32)
    y = jnp.asarray(rng.normal(size=(64,)), jnp.float32)
    params = {"w": jnp.zeros(5), "b": jnp.zeros(())}

    def loss(p, idx):
        xb, yb = x[idx], y[idx]
        return jnp.mean((xb @ p["w"] + p["b"] - yb) ** 2)

    return params, loss


def _train(tx, steps, poison_steps=()):
    params, loss = _problem()
    state = tx.init(params)

    @jax.jit
    def step(params, state, idx, poison):
        grads = jax.grad(loss)(params, idx)
        grads = jax.tree.map(lambda g: jnp.where(poison, jnp.full_like(g, jnp.nan), g), grads)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    for t in steps:
        idx = jnp.arange(8) + 8 * (t % 8)
        params, state = step(params, state, idx, jnp.asarray(t in poison_steps))
    return params, state


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nan_gradients_injected_at_random_steps_are_skipped_exactly(seed):
    """A run with NaNs injected ends where a run that never saw those steps ends."""
    rng = np.random.default_rng(seed)
    steps = list(range(60))
    poison = set(rng.choice(60, size=12, replace=False).tolist())
    make = lambda: lrx.skip_nonfinite(  # noqa: E731
        lrx.chain(lrx.clip_by_global_norm(1.0), lrx.adam(lrx.warmup_cosine(0.05, 5, 50))),
        max_consecutive=100,
    )
    poisoned, state = _train(make(), steps, poison)
    clean, _ = _train(make(), [t for t in steps if t not in poison])
    chex.assert_trees_all_equal(poisoned, clean)
    assert int(state.num_skipped) == len(poison)
    # and an unguarded optimizer fed only the clean steps agrees numerically
    plain, _ = _train(
        lrx.chain(lrx.clip_by_global_norm(1.0), lrx.adam(lrx.warmup_cosine(0.05, 5, 50))),
        [t for t in steps if t not in poison],
    )
    chex.assert_trees_all_close(poisoned, plain, rtol=1e-6, atol=1e-7)


def test_two_runs_of_the_same_jitted_loop_are_bit_identical():
    def run():
        params, loss = _problem()
        tx = lrx.chain(lrx.adamw(lrx.one_cycle(0.05, 40)), lrx.reduce_on_plateau(patience=2))
        state = tx.init(params)

        def body(carry, t):
            p, s = carry
            value, g = jax.value_and_grad(loss)(p, jnp.arange(8) + 8 * (t % 8))
            u, s = tx.update(g, s, p, value=value)
            return (optax.apply_updates(p, u), s), value

        (p, s), losses = jax.jit(lambda c: jax.lax.scan(body, c, jnp.arange(40)))((params, state))
        return p, s, losses

    a, b = run(), run()
    chex.assert_trees_all_equal(a, b)


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: lrx.sgd(1e39), "learning_rate"),
        (lambda: lrx.sgd(1e39, momentum=0.9), "learning_rate"),
        (lambda: lrx.adam(1e-3, eps=1e39), "eps"),
        (lambda: lrx.adamw(1e-3, weight_decay=1e39), "weight_decay"),
        (lambda: lrx.scale_by_rms(eps=1e39), "eps"),
        (lambda: lrx.scale_by_adagrad(initial_accumulator_value=1e39), "initial_accumulator_value"),
        (lambda: lrx.add_decayed_weights(1e39), "weight_decay"),
        (lambda: lrx.clip_by_global_norm(1e39), "max_norm"),
        (lambda: lrx.reduce_on_plateau(threshold=1e39), "threshold"),
        (lambda: lrx.compat.torch.adam(lr=1e39), "lr"),
    ],
)
def test_values_beyond_float32_are_rejected_naming_the_argument(make, name):
    """Rates and hyperparameters are used in float32: 1e39 would be inf there."""
    with pytest.raises(ValueError, match=name):
        make()


@pytest.mark.parametrize(
    "make",
    [
        lambda: lrx.chain(lrx.sgd(0.1), lrx.reduce_on_plateau()),
        lambda: lrx.skip_nonfinite(lrx.adam(0.1)),
        lambda: lrx.skip_nonfinite(lrx.sgd(jnp.asarray(0.1), 0.9)),
        lambda: lrx.skip_nonfinite(lrx.chain(lrx.adam(jnp.asarray(0.1)), lrx.reduce_on_plateau())),
        lambda: lrx.compat.torch.adagrad(lr=0.1, lr_decay=0.1),
        lambda: lrx.layerwise_decay(lrx.adam, 0.1, 0.5, ["w"]),
    ],
    ids=["plateau", "skip_adam", "skip_sgd_array_lr", "skip_adam_plateau", "torch_adagrad", "lw"],
)
def test_state_leaves_never_share_a_buffer_so_the_whole_state_can_be_donated(make):
    """A training step donates params and state; two state leaves that are one buffer (the
    same array object, or an input forwarded to two outputs) make XLA refuse the call."""
    tx = optax.with_extra_args_support(make())
    params = {"w": jnp.ones(3)}
    state = tx.init(params)

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def step(params, state):
        updates, state = tx.update(jax.tree.map(jnp.ones_like, params), state, params)
        return optax.apply_updates(params, updates), state

    for _ in range(3):
        params, state = step(params, state)
        ids = [id(x) for x in jax.tree.leaves(state)]
        assert len(ids) == len(set(ids))
    assert bool(jnp.all(jnp.isfinite(params["w"])))


# --------------------------------------------------------------------------------------
# Round 3: one number check, one weight decay, float64 rates, error paths
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        *(10, 10.0, np.float64(10.0), np.float32(10.0), np.float16(10.0), np.int64(10)),
        *(jnp.array(10.0), jnp.array(10), jnp.array(10.0, jnp.bfloat16)),
        *(jnp.array(10.0 + 0j, jnp.complex64), np.complex128(10.0)),
    ],
    ids=lambda v: f"{type(v).__name__}-{getattr(v, 'dtype', '')}",
)
def test_integers_given_as_integral_floats_are_accepted_from_every_source(value):
    """warmup_steps, patience, steps_per_epoch: one rule for Python, NumPy and JAX numbers
    (integral floats of any dtype are integers; complex with a zero imaginary part too)."""
    assert lrx.warmup(0.1, value).warmup_steps == 10
    assert lrx.reduce_on_plateau(patience=value) is not None
    assert lrx._validate.check_int("steps_per_epoch", value, lo=1) == 10


@pytest.mark.parametrize(
    "value", [10.5, np.float32(10.5), jnp.array(10.5), jnp.array(10.5, jnp.bfloat16), True]
)
def test_non_integral_numbers_are_rejected_as_integers_from_every_source(value):
    with pytest.raises(ValueError, match="warmup_steps must be an integer"):
        lrx.warmup(0.1, value)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16, jnp.float32, np.float16])
def test_every_real_floating_dtype_is_a_real_number(dtype):
    b1 = jnp.asarray(0.5, dtype)
    tx = lrx.scale_by_adam(b1=b1, b2=jnp.asarray(0.5, dtype))
    want = lrx.scale_by_adam(b1=0.5, b2=0.5)
    g = jnp.array([1.0, -2.0])
    chex.assert_trees_all_close(tx.update(g, tx.init(g))[0], want.update(g, want.init(g))[0])


def test_complex_hyperparameters_need_a_zero_imaginary_part():
    assert lrx._validate.check_float("b1", jnp.asarray(0.9, jnp.complex64)) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="b1 must be a real number"):
        lrx.scale_by_adam(b1=jnp.asarray(0.9 + 0.1j, jnp.complex64))
    with pytest.raises(ValueError, match="learning_rate must be a real number"):
        lrx.sgd(0.1 + 0.5j)


@JIT
def test_a_learning_rate_callable_returning_a_complex_value_is_a_value_error(jit):
    tx = lrx.sgd(lambda count: 0.1 + 0.5j)
    update = jax.jit(tx.update) if jit else tx.update
    with pytest.raises(ValueError, match=r"learning_rate.*real"):
        update(jnp.ones(2), tx.init(jnp.ones(2)))


@pytest.mark.parametrize(
    "make",
    [
        lambda wd: lrx.add_decayed_weights(wd),
        lambda wd: lrx.sgd(0.1, weight_decay=wd),
        lambda wd: lrx.adamw(0.1, weight_decay=wd),
        lambda wd: lrx.compat.torch.sgd(lr=0.1, weight_decay=wd),
        lambda wd: lrx.compat.torch.adamw(lr=0.1, weight_decay=wd),
    ],
    ids=["add_decayed_weights", "sgd", "adamw", "torch_sgd", "torch_adamw"],
)
def test_one_weight_decay_a_traced_value_without_params_is_a_value_error(make):
    """One implementation (lrx.add_decayed_weights): a traced λ without params raises at
    trace time (0.2.0's sgd/adamw/compat.torch returned NaN updates), λ = 0 needs no
    params, and with params every entry point gives g + λθ."""
    g, p = jnp.ones(2), jnp.full(2, 2.0)

    @jax.jit
    def no_params(wd):
        tx = make(wd)
        return tx.update(g, tx.init(p))[0]

    with pytest.raises(ValueError, match=r"weight_decay is traced.*params"):
        no_params(jnp.asarray(0.1))
    with pytest.raises(ValueError, match="pass params"):
        make(0.1).update(g, make(0.1).init(p))
    tx = make(0.0)
    assert bool(jnp.all(jnp.isfinite(tx.update(g, tx.init(p))[0])))  # no params needed
    with_params = jax.jit(lambda wd: make(wd).update(g, make(wd).init(p), p)[0])
    chex.assert_trees_all_close(
        with_params(jnp.asarray(0.25)), make(0.25).update(g, make(0.25).init(p), p)[0]
    )


def test_the_private_weight_decay_is_gone():
    import lrx.optimizers

    assert not hasattr(lrx.optimizers, "_decayed_weights")


@JIT
def test_accumulator_dtype_is_positional_as_optax(jit):
    params = {"w": jnp.linspace(-1.0, 1.0, 4)}
    # optax computes decay * buffer in the buffer's dtype, lrx in float32: equal to the
    # buffer dtype's rounding
    for tx, ref, rtol in [
        (lrx.sgd(0.01, 0.9, False, jnp.bfloat16), optax.sgd(0.01, 0.9, False, jnp.bfloat16), 3e-2),
        (
            lrx.scale_by_momentum(0.9, False, jnp.float32),
            optax.trace(0.9, False, jnp.float32),
            1e-6,
        ),
        (lrx.sgd(0.01, 0.9, True, jnp.float16), optax.sgd(0.01, 0.9, True, jnp.float16), 4e-3),
    ]:
        s, r = tx.init(params), ref.init(params)
        step = jax.jit(tx.update) if jit else tx.update
        for i in range(4):
            g = {"w": jnp.cos(jnp.arange(4.0) + i)}
            u, s = step(g, s, params)
            with jax.numpy_dtype_promotion("standard"):  # optax mixes bf16 and f32
                v, r = ref.update(g, r, params)
            chex.assert_trees_all_close(u, v, rtol=rtol, atol=rtol * 0.05)  # |u| ~ 0.01-0.05
        buffers = [x.dtype for x in jax.tree.leaves(s) if x.ndim]
        assert buffers == [x.dtype for x in jax.tree.leaves(r) if x.ndim]
    with pytest.raises(ValueError, match="accumulator_dtype"):
        lrx.scale_by_momentum(0.9, False, jnp.float32, mu_dtype=jnp.bfloat16)


def test_observe_rejects_a_non_number_naming_the_argument():
    from fractions import Fraction

    tx = lrx.chain(lrx.scale_by_learning_rate(0.1), lrx.reduce_on_plateau())
    state = tx.init(jnp.zeros(2))
    lrx.observe(state, Fraction(1, 2))  # a real number: accepted as 0.5
    with pytest.raises((ValueError, TypeError), match="value"):
        lrx.observe(state, "0.5")


def test_apply_updates_complex_to_real_message_talks_about_params_and_updates():
    with pytest.raises(ValueError, match=r"params.*updates|updates.*params") as info:
        lrx.apply_updates(jnp.ones(2), jnp.full(2, 1j, jnp.complex64))
    assert "moment" not in str(info.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda v: lrx.sgd(v),
        lambda v: lrx.scale_by_learning_rate(v),
        lambda v: lrx.scale_by_schedule(v),
        lambda v: lrx.compat.torch.sgd(lr=v),
    ],
    ids=["sgd", "scale_by_learning_rate", "scale_by_schedule", "torch_sgd"],
)
@pytest.mark.parametrize("kind", ["jnp", "np", "np0d"])
def test_float64_arrays_beyond_float32_are_rejected_in_x64_mode(make, kind):
    with jax.enable_x64(True):
        value = {"jnp": jnp.array(1e39), "np": np.float64(1e39), "np0d": np.array(1e39)}[kind]
        with pytest.raises(ValueError, match="representable in float32"):
            make(value)


@pytest.mark.parametrize("make", [lrx.sgd, lrx.adam, lrx.adamw, lrx.rmsprop, lrx.adagrad])
@pytest.mark.parametrize("rate", ["float", "array", "traced"])
def test_float64_params_get_float64_rates(make, rate):
    """Under x64 a float64 parameter steps by exactly 0.1·direction, as optax."""
    with jax.enable_x64(True):
        params = jnp.linspace(-1.0, 1.0, 5, dtype=jnp.float64)
        g = jnp.cos(jnp.arange(5, dtype=jnp.float64))
        ref = getattr(optax, make.__name__)(0.1)
        with jax.numpy_dtype_promotion("standard"):  # optax adds Python floats to int32
            want = ref.update(g, ref.init(params), params)[0]
        lr = {"float": 0.1, "array": jnp.asarray(0.1, jnp.float64)}.get(rate)
        if rate == "traced":
            got = jax.jit(lambda lr: make(lr).update(g, make(lr).init(params), params)[0])(
                jnp.asarray(0.1, jnp.float64)
            )
        else:
            tx = make(lr)
            got = tx.update(g, tx.init(params), params)[0]
        assert got.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-15, atol=0)


@pytest.mark.parametrize("shape", [(), (2,)])
def test_skip_nonfinite_counts_a_restored_inf_moment_on_a_0d_param_like_any_other(shape):
    """0.2.0 exempted every 0-d state leaf already non-finite (meant for a plateau's
    best = +inf), so an inf second moment of a shape () parameter was committed forever."""
    tx = lrx.skip_nonfinite(lrx.chain(lrx.adam(0.1), lrx.reduce_on_plateau()))
    params = {"p": jnp.zeros(shape), "q": jnp.zeros(3)}
    state = tx.init(params)
    adam_state = state.inner_state[0][0]
    nu = dict(adam_state.nu, p=jnp.full(shape, jnp.inf))
    inner = (adam_state._replace(nu=nu), *state.inner_state[0][1:])
    state = state._replace(inner_state=(inner, *state.inner_state[1:]))
    step = jax.jit(tx.update)
    for _ in range(2):
        u, state = step(jax.tree.map(jnp.ones_like, params), state, params, value=1.0)
    assert int(state.num_skipped) == 2
    chex.assert_trees_all_equal(u, jax.tree.map(jnp.zeros_like, params))


def test_skip_nonfinite_still_exempts_sentinels_plateau_best_and_injected_inf():
    """A plateau's best = +inf (lrx's and optax.contrib's) and an injected inf
    hyperparameter are sentinels: steps are taken."""

    def capped(step_size, cap):  # a factory with an inf hyperparameter (cap = inf: none)
        return optax.scale(jnp.minimum(step_size, cap))

    tx = lrx.skip_nonfinite(
        lrx.chain(
            optax.inject_hyperparams(capped)(step_size=1.0, cap=math.inf),
            lrx.scale_by_learning_rate(0.1),
            lrx.reduce_on_plateau(),
            optax.contrib.reduce_on_plateau(),
        )
    )
    params = jnp.zeros(())
    state = tx.init(params)
    assert not bool(jnp.isfinite(state.inner_state[0].hyperparams["cap"]))
    with jax.numpy_dtype_promotion("standard"):  # optax.contrib mixes int32 and float32
        u, state = jax.jit(tx.update)(jnp.ones(()), state, params, value=1.0)
    assert int(state.num_skipped) == 0
    assert float(u) == pytest.approx(-0.1)


def test_partition_pattern_with_a_list_label_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match=r"patterns\['\*\*'\] must be a label"):
        lrx.partition({"a": optax.sgd(0.1)}, patterns={"**": ["a"]})


_LABEL_PARAMS = {"x": jnp.ones(2), "y": {"z": jnp.ones(3), "w": jnp.ones(1)}}


@pytest.mark.parametrize("where", ["masked", "nested"])
def test_partition_label_trees_may_leave_masked_slots_unlabelled(where):
    """Inside optax.masked (or a nested partition) the masked-out parameters are optax
    MaskedNode slots; a label tree that leaves them out works (0.2.0: a raw pytree
    structure error), equal to the same tree with the slot labelled."""
    t = {"a": optax.sgd(0.1), "b": optax.sgd(0.2)}
    if where == "masked":
        mask = {"x": True, "y": {"z": True, "w": False}}
        tx = optax.masked(lrx.partition(t, {"x": "a", "y": {"z": "b"}}), mask)
        ref = optax.masked(lrx.partition(t, {"x": "a", "y": {"z": "b", "w": "a"}}), mask)
    else:
        inner = lrx.partition(t, {"x": "a", "y": {"z": "b"}})
        full = lrx.partition(t, {"x": "a", "y": {"z": "b", "w": "a"}})
        outer = {"x": "in", "y": {"z": "in", "w": "out"}}
        tx = lrx.partition({"in": inner, "out": optax.sgd(0.3)}, outer)
        ref = lrx.partition({"in": full, "out": optax.sgd(0.3)}, outer)
    p = _LABEL_PARAMS
    got = tx.update(p, tx.init(p), p)[0]
    chex.assert_trees_all_close(got, ref.update(p, ref.init(p), p)[0])


def test_partition_label_tree_missing_a_real_parameter_names_its_path():
    tx = lrx.partition({"a": optax.sgd(0.1)}, {"x": "a", "y": {"z": "a"}})
    with pytest.raises(ValueError, match=r"parameters with no label \(1\):\n  y/w"):
        tx.init(_LABEL_PARAMS)


@pytest.mark.parametrize(
    "lr",
    [1e38, np.float64(1e38), lrx.constant(1e38), lrx.warmup_cosine(1e38, 5, 50)],
    ids=["float", "np", "constant", "warmup_cosine"],
)
def test_layerwise_decay_factors_beyond_float32_are_rejected_at_construction(lr):
    with pytest.raises(ValueError, match="float32"):
        lrx.layerwise_decay(lrx.sgd, lr, 4.0, ["a", "b", "c"])
    with jax.enable_x64(True), pytest.raises(ValueError, match="float32"):
        lrx.layerwise_decay(lrx.sgd, jnp.asarray(1e38), 4.0, ["a", "b", "c"])
    with pytest.raises(ValueError, match="float32"):
        lrx.layerwise_decay(lrx.sgd, 1.0, 1e20, ["a", "b", "c"])


def _multisteps_run(tx, grads):
    params = {"w": jnp.array([1.0, -2.0, 3.0])}
    with jax.numpy_dtype_promotion("standard"):  # optax.MultiSteps mixes int32 and float32
        state = tx.init(params)
        step = jax.jit(tx.update)
        for g in grads:
            u, state = step({"w": g}, state, params)
            params = optax.apply_updates(params, u)
    return params["w"]


def test_skip_nonfinite_outside_multisteps_recovers_from_a_nan_micro_batch():
    """The order that works: skip_nonfinite(MultiSteps(...)) skips the NaN micro-batch
    before it reaches MultiSteps' accumulator: the run equals one that never saw that
    batch. Inside (MultiSteps(skip_nonfinite(...))) optax.MultiSteps keeps the NaN in its
    accumulator (not a bug of lrx; optax.apply_if_finite behaves the same), so the
    parameters never move again after the NaN micro-batch."""
    grads = [jnp.cos(jnp.arange(3.0) + t) for t in range(12)]
    poisoned = [g.at[1].set(jnp.nan) if t == 5 else g for t, g in enumerate(grads)]
    without = grads[:5] + grads[6:]

    def outside():
        return lrx.skip_nonfinite(optax.MultiSteps(lrx.adam(0.1), 2).gradient_transformation())

    def inside():
        return optax.MultiSteps(lrx.skip_nonfinite(lrx.adam(0.1)), 2).gradient_transformation()

    chex.assert_trees_all_close(
        _multisteps_run(outside(), poisoned), _multisteps_run(outside(), without)
    )
    stuck = _multisteps_run(inside(), poisoned)
    assert bool(jnp.all(jnp.isfinite(stuck)))
    # inside: stuck at the parameters of the two steps emitted before the NaN (batches 0-3)
    chex.assert_trees_all_equal(stuck, _multisteps_run(inside(), grads[:4]))


@pytest.mark.parametrize("value", [jnp.float32(0.1), jnp.array(0.1), jnp.array(0.1, jnp.bfloat16)])
def test_concrete_jax_numbers_are_accepted_as_schedule_values_like_numpy_ones(value):
    want = float(np.asarray(value, np.float32))
    assert float(lrx.sequence([value, 0.01], [5])(0)) == pytest.approx(want)
    assert float(lrx.warmup(value, 5)(5)) == pytest.approx(want)


def test_a_16_bit_hyperparameter_rounded_out_of_range_names_the_rounding():
    """optax.inject_hyperparams stores hyperparameters in the params' dtype: with bfloat16
    params, b2 = 0.999 becomes 1.0 and is rejected. The message says why and what to pass;
    a float32 1.0 (the user's own value) gets the plain message."""
    params = {"w": jnp.ones(3, jnp.bfloat16)}
    with pytest.raises(ValueError, match=r"b2 .* got 1\.0 \(a bfloat16 number, perhaps rounded"):
        optax.inject_hyperparams(lrx.scale_by_adam)().init(params)
    with pytest.raises(ValueError, match=r"got 1\.0$"):
        lrx.scale_by_adam(b2=jnp.float32(1.0))
    state = optax.inject_hyperparams(lrx.scale_by_adam, hyperparam_dtype=jnp.float32)().init(params)
    assert float(state.hyperparams["b2"]) == pytest.approx(0.999)
