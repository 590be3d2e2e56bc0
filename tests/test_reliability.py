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
        "exponential_decay": lrx.exponential_decay(0.1, 0.95),
        "exponential_staircase": lrx.exponential_decay(0.1, 0.95, every=100, staircase=True),
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
    ("inf", {"name": "exponential_decay", "init_value": 0.1, "gamma": float("inf")}),
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
