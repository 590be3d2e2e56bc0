"""``lrx.learning_rate`` (the rate the last update used) and ``lrx.next_learning_rate`` (the
rate the next update will use), step by step against torch.

Golden values: ``tests/reference/next_lr.json`` from ``tests/reference/gen_next_lr.py``
(torch's ``param_groups[0]["lr"]`` during ``optimizer.step()`` and ``get_last_lr()`` after
``scheduler.step()``); a live test re-runs torch when it is installed.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from tests.grads import JIT
from tests.reference import gen_next_lr
from tests.reference.golden import load

GOLDEN = {case["id"]: case for case in load("next_lr")["cases"]}
LR = load("next_lr")["lr"]


def _schedule(case):
    kw = case["kwargs"]
    if case["cls"] == "StepLR":
        return lrx.step_decay(LR, kw["step_size"], kw["gamma"])
    if case["cls"] == "CosineAnnealingLR":
        return lrx.cosine_annealing(LR, kw["T_max"], kw["eta_min"])
    assert case["cls"] == "OneCycleLR"
    return lrx.one_cycle(kw["max_lr"], kw["total_steps"])


def _lrx_rates(case, jit):
    """(used, next) after each lrx update, as torch records them."""
    read_last = jax.jit(lrx.learning_rate) if jit else lrx.learning_rate
    read_next = jax.jit(lrx.next_learning_rate) if jit else lrx.next_learning_rate
    used, upcoming = [], []
    if case["cls"] == "ReduceLROnPlateau":
        kw = case["kwargs"]
        tx = lrx.chain(
            lrx.sgd(LR),
            lrx.reduce_on_plateau(
                factor=kw["factor"],
                patience=kw["patience"],
                threshold=kw["threshold"],
                cooldown=kw["cooldown"],
            ),
        )
        state = tx.init(jnp.zeros(2))
        update = jax.jit(tx.update) if jit else tx.update
        for metric in case["metrics"]:
            _, state = update(jnp.ones(2), state)  # optimizer.step()
            used.append(float(read_last(state)))
            state = lrx.observe(state, metric)  # scheduler.step(metric)
            upcoming.append(float(read_next(state)))
        return used, upcoming
    tx = lrx.sgd(_schedule(case))
    state = tx.init(jnp.zeros(2))
    update = jax.jit(tx.update) if jit else tx.update
    for _ in range(case["steps"]):
        _, state = update(jnp.ones(2), state)
        used.append(float(read_last(state)))
        upcoming.append(float(read_next(state)))
    return used, upcoming


@JIT
@pytest.mark.parametrize("case_id", list(GOLDEN))
def test_last_and_next_match_torch_step_by_step(case_id, jit):
    case = GOLDEN[case_id]
    used, upcoming = _lrx_rates(case, jit)
    np.testing.assert_allclose(used, case["used"], rtol=2e-5, atol=1e-7)
    np.testing.assert_allclose(upcoming, case["next"], rtol=2e-5, atol=1e-7)


def test_golden_values_equal_live_torch():
    pytest.importorskip("torch")
    for case in gen_next_lr.CASES:
        live = gen_next_lr.run(case)
        np.testing.assert_allclose(live["used"], GOLDEN[case["id"]]["used"], rtol=1e-7)
        np.testing.assert_allclose(live["next"], GOLDEN[case["id"]]["next"], rtol=1e-7)


def test_before_any_update_both_are_the_first_rate():
    tx = lrx.sgd(lrx.step_decay(0.1, step_size=1, gamma=0.5))
    state = tx.init(jnp.zeros(2))
    assert float(lrx.learning_rate(state)) == pytest.approx(0.1)
    assert float(lrx.next_learning_rate(state)) == pytest.approx(0.1)


def test_plateau_update_with_value_uses_the_new_scale_at_once():
    """update(value=m) is scheduler.step(m) then optimizer.step(): last == next after it."""
    tx = lrx.chain(lrx.sgd(0.1), lrx.reduce_on_plateau(factor=0.5, patience=0))
    state = tx.init(jnp.zeros(2))
    for value, lr in [(1.0, 0.1), (2.0, 0.05), (3.0, 0.025)]:
        _, state = tx.update(jnp.ones(2), state, value=value)
        assert float(lrx.learning_rate(state)) == pytest.approx(lr)
        assert float(lrx.next_learning_rate(state)) == pytest.approx(lr)


def test_observe_before_any_update_moves_both():
    tx = lrx.chain(lrx.sgd(0.1), lrx.reduce_on_plateau(factor=0.5, patience=0))
    state = lrx.observe(lrx.observe(tx.init(jnp.zeros(2)), 1.0), 2.0)
    assert float(lrx.learning_rate(state)) == pytest.approx(0.05)  # the first update's rate
    assert float(lrx.next_learning_rate(state)) == pytest.approx(0.05)


def test_partition_gives_dicts():
    params = {"a": jnp.zeros(2), "b": jnp.zeros(2)}
    tx = lrx.partition(
        {"a": lrx.sgd(lrx.step_decay(0.1, step_size=1, gamma=0.5)), "b": lrx.sgd(0.01)},
        {"a": "a", "b": "b"},
    )
    state = tx.init(params)
    _, state = tx.update(jax.tree.map(jnp.ones_like, params), state, params)
    last, upcoming = lrx.learning_rate(state), lrx.next_learning_rate(state)
    assert {k: float(v) for k, v in last.items()} == pytest.approx({"a": 0.1, "b": 0.01})
    assert {k: float(v) for k, v in upcoming.items()} == pytest.approx({"a": 0.05, "b": 0.01})


@pytest.mark.parametrize("factory", [lrx.adam, lrx.sgd, optax.adam, optax.sgd])
def test_inject_hyperparams_counts_the_rate_once(factory):
    """inject_hyperparams(lrx.adam) holds the rate twice (hyperparams and the inner lrx
    state): it must be read once (0.1.0 returned lr²)."""
    with jax.numpy_dtype_promotion("standard"):  # optax.adam mixes int and float
        tx = optax.inject_hyperparams(factory)(learning_rate=0.01)
        state = tx.init(jnp.zeros(2))
        assert float(lrx.learning_rate(state)) == pytest.approx(0.01)
        _, state = tx.update(jnp.ones(2), state)
        assert float(lrx.learning_rate(state)) == pytest.approx(0.01)
        assert float(lrx.next_learning_rate(state)) == pytest.approx(0.01)
        state.hyperparams["learning_rate"] = jnp.asarray(0.002)  # set by hand
        assert float(lrx.learning_rate(state)) == pytest.approx(
            0.01 if factory in (lrx.adam, lrx.sgd) else 0.002
        )
        assert float(lrx.next_learning_rate(state)) == pytest.approx(0.002)
        _, state = tx.update(jnp.ones(2), state)
        assert float(lrx.learning_rate(state)) == pytest.approx(0.002)


def test_inject_hyperparams_schedule_last_rate():
    sched = lrx.step_decay(0.1, step_size=1, gamma=0.5)
    tx = optax.inject_hyperparams(lrx.sgd)(learning_rate=sched)
    state = tx.init(jnp.zeros(2))
    rates = []
    for _ in range(3):
        _, state = tx.update(jnp.ones(2), state)
        rates.append(float(lrx.learning_rate(state)))
    assert rates == pytest.approx([0.1, 0.05, 0.025])


# --------------------------------------------------------------------------------------
# Readouts under inject_hyperparams equal the rate the update applies (one rule)
# --------------------------------------------------------------------------------------
_P = {"a": jnp.array([1.0, -2.0]), "b": jnp.array([0.5, 3.0])}
_G = {"a": jnp.array([1.0, 2.0]), "b": jnp.array([-4.0, 0.5])}


def _partitioned(learning_rate):
    return lrx.partition({"a": lrx.sgd(learning_rate), "b": lrx.sgd(0.5)}, {"a": "a", "b": "b"})


def _two_rates(learning_rate):
    return optax.chain(
        lrx.scale_by_learning_rate(learning_rate),
        lrx.scale_by_learning_rate(lrx.step_decay(0.5, step_size=1, gamma=0.5), flip_sign=False),
    )


INJECTED = {
    "partition": (lambda: optax.inject_hyperparams(_partitioned)(learning_rate=0.1), True),
    "layerwise_decay": (
        lambda: optax.inject_hyperparams(lrx.layerwise_decay, static_args=("optimizer",))(
            optimizer=lrx.sgd, learning_rate=0.5, decay=0.1, layers=["a", "b"]
        ),
        True,
    ),
    "two_rates": (lambda: optax.inject_hyperparams(_two_rates)(learning_rate=0.1), False),
    "lrx_sgd": (lambda: optax.inject_hyperparams(lrx.sgd)(learning_rate=0.1), False),
    "optax_sgd": (lambda: optax.inject_hyperparams(optax.sgd)(learning_rate=0.1), False),
}


def _applied(updates, grouped):
    """The rate an sgd-like update applied: -u / g (per group under partition)."""
    rate = jax.tree.map(lambda u, g: float(np.mean(-np.asarray(u) / np.asarray(g))), updates, _G)
    if not grouped:
        assert rate["a"] == pytest.approx(rate["b"], rel=1e-6)
        return rate["a"]
    return rate


def _read(value, grouped):
    if not grouped:
        return float(value)
    assert set(value) in ({"a", "b"}, {"layer_0", "layer_1"})
    keys = sorted(value)
    return {"a": float(value[keys[0]]), "b": float(value[keys[1]])}


@pytest.mark.parametrize("name", list(INJECTED))
def test_readouts_under_inject_equal_the_applied_rate(name):
    """learning_rate (before any update: the first update's rate; after: the last one's)
    and next_learning_rate equal -update/gradient, for inject around partition,
    layerwise_decay, a chain of two rate transforms, lrx.sgd and optax.sgd. 0.2.0 counted
    the injected rate twice under partition/layerwise_decay (0.025/0.25 for 0.05/0.5) and
    read the injected value alone for a chain of two rates (0.1 for 0.05)."""
    make, grouped = INJECTED[name]
    tx = make()
    state = tx.init(_P)
    first = _read(lrx.learning_rate(state), grouped)
    upcoming = first
    for _ in range(3):
        updates, state = tx.update(_G, state, _P)
        applied = _applied(updates, grouped)
        assert applied == pytest.approx(upcoming, rel=1e-6)
        assert _read(lrx.learning_rate(state), grouped) == pytest.approx(applied, rel=1e-6)
        upcoming = _read(lrx.next_learning_rate(state), grouped)


@pytest.mark.parametrize("name", ["lrx_sgd", "optax_sgd", "lrx_adam_sgd_like"])
def test_a_hand_changed_injected_rate_shows_in_next_not_in_last(name):
    if name == "lrx_adam_sgd_like":
        tx = optax.inject_hyperparams(lambda learning_rate: lrx.chain(lrx.sgd(learning_rate)))(
            learning_rate=0.1
        )
    else:
        tx = INJECTED[name][0]()
    state = tx.init(_P)
    updates, state = tx.update(_G, state, _P)
    state.hyperparams["learning_rate"] = jnp.asarray(0.02)  # set by hand
    if name != "optax_sgd":  # optax.sgd's state keeps no record of the rate it applied
        assert float(lrx.learning_rate(state)) == pytest.approx(_applied(updates, False))
    nxt = float(lrx.next_learning_rate(state))
    updates, state = tx.update(_G, state, _P)
    assert nxt == pytest.approx(_applied(updates, False), rel=1e-6) == 0.02
