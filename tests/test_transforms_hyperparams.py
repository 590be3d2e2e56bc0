"""Hyperparameters are data: every numeric hyperparameter of the transforms may be an array
or a tracer (``jit``, ``vmap``, ``optax.inject_hyperparams``).

For each transform and each of its numeric hyperparameters:
- ``optax.inject_hyperparams(factory)(**kw)`` equals ``factory(**kw)`` (eager and jitted);
- ``jax.vmap`` over the hyperparameter equals the loop of single runs with Python floats
  (the traced path takes the general formula: kept ``+ eps``, guarded division, bias
  correction evaluated on the device);
- a jitted function taking the hyperparameters as arguments traces once for new values.
"""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from tests.grads import JIT, make_grads

GRADS = make_grads(6, seed=11)
PARAMS = jax.tree.map(lambda g: jnp.full_like(g, 0.5), GRADS[0])
STACKED = jax.tree.map(lambda *g: jnp.stack(g), *GRADS)

# name -> (factory, hyperparameters (Python floats))
CASES = {
    "adam": (lrx.scale_by_adam, dict(b1=0.9, b2=0.99, eps=1e-8, eps_root=1e-10)),
    "nadam_amsgrad": (
        functools.partial(lrx.scale_by_adam, nesterov=True, amsgrad=True),
        dict(b1=0.8, b2=0.9, eps=1e-6, eps_root=0.0),
    ),
    "adam_no_bias_correction": (
        functools.partial(lrx.scale_by_adam, bias_correction=False),
        dict(b1=0.9, b2=0.99, eps=1e-3, eps_root=0.0),
    ),
    "rms": (lrx.scale_by_rms, dict(decay=0.9, eps=1e-6, initial_scale=0.1)),
    "rms_centered_bias_corrected": (
        functools.partial(lrx.scale_by_rms, eps_in_sqrt=False, bias_correction=True, centered=True),
        dict(decay=0.9, eps=1e-8, initial_scale=1.0),
    ),
    "adagrad": (lrx.scale_by_adagrad, dict(initial_accumulator_value=0.1, eps=1e-7)),
    "adagrad_outside": (
        functools.partial(lrx.scale_by_adagrad, eps_in_sqrt=False),
        dict(initial_accumulator_value=0.0, eps=1e-10),
    ),
    "momentum": (lrx.scale_by_momentum, dict(decay=0.9, dampening=0.3)),
    "nesterov": (functools.partial(lrx.scale_by_momentum, nesterov=True), dict(decay=0.9)),
    "add_decayed_weights": (lrx.add_decayed_weights, dict(weight_decay=0.1)),
    "clip_by_global_norm": (lrx.clip_by_global_norm, dict(max_norm=0.5)),
    "scale_by_learning_rate": (lrx.scale_by_learning_rate, dict(learning_rate=0.1)),
}

# values swept for each hyperparameter (0 included where valid: the guarded paths)
SWEEP = {
    "b1": [0.0, 0.5, 0.95],
    "b2": [0.5, 0.9, 0.999],
    "eps": [0.0, 1e-8, 1e-3],
    "eps_root": [0.0, 1e-8, 1e-3],
    "decay": [0.5, 0.9, 0.99],
    "dampening": [0.0, 0.3, 1.0],
    "initial_scale": [0.1, 1.0, 2.0],
    "initial_accumulator_value": [0.0, 0.1, 1.0],
    "weight_decay": [0.0, 0.1, 1.0],
    "max_norm": [0.1, 1.0, 100.0],
    "learning_rate": [0.0, 0.1, 1.0],
}

PAIRS = [(case, hp) for case, (_, hps) in CASES.items() for hp in hps]


def _run(tx, grads=GRADS):
    """Outputs of every step and the final state, from ``tx.init(PARAMS)``."""
    state = tx.init(PARAMS)
    outs = []
    for g in grads:
        u, state = tx.update(g, state, PARAMS)
        outs.append(u)
    return outs, state


def _run_scan(tx):
    def step(state, g):
        u, state = tx.update(g, state, PARAMS)
        return state, u

    state, outs = jax.lax.scan(step, tx.init(PARAMS), STACKED)
    return outs, state


@JIT
@pytest.mark.parametrize("case", list(CASES))
def test_inject_hyperparams_equals_direct(case, jit):
    factory, hps = CASES[case]
    injected = optax.inject_hyperparams(factory)(**hps)
    state = injected.init(PARAMS)
    assert set(hps) <= set(state.hyperparams)  # numeric defaults are injected too
    update = jax.jit(injected.update) if jit else injected.update
    outs = []
    for g in GRADS:
        u, state = update(g, state, PARAMS)
        outs.append(u)
    expected, direct_state = _run(factory(**hps))
    chex.assert_trees_all_close(outs, expected, rtol=1e-5, atol=1e-7)
    chex.assert_trees_all_close(state.inner_state, direct_state, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("case, hp", PAIRS, ids=[f"{c}-{h}" for c, h in PAIRS])
def test_vmap_over_hyperparameter_equals_loop(case, hp):
    factory, hps = CASES[case]
    values = SWEEP[hp]

    def run(value):
        return _run_scan(factory(**{**hps, hp: value}))

    outs, state = jax.jit(jax.vmap(run))(jnp.asarray(values, jnp.float32))
    for i, value in enumerate(values):
        single_outs, single_state = _run_scan(factory(**{**hps, hp: value}))
        chex.assert_trees_all_close(
            jax.tree.map(lambda x, i=i: x[i], (outs, state)),
            (single_outs, single_state),
            rtol=2e-5,
            atol=1e-7,
        )


@pytest.mark.parametrize("case", list(CASES))
def test_jit_with_hyperparameters_as_arguments_does_not_retrace(case):
    factory, hps = CASES[case]
    chex.clear_trace_counter()

    @jax.jit
    @chex.assert_max_traces(n=1)
    def train(hyperparams):
        return _run_scan(factory(**hyperparams))

    first = train({k: jnp.float32(v) for k, v in hps.items()})
    other = {k: jnp.float32(SWEEP[k][1]) for k in hps}
    second = train(other)
    chex.assert_trees_all_close(second, _run_scan(factory(**other)), rtol=2e-5, atol=1e-7)
    chex.assert_tree_all_finite(first)


def test_traced_eps_zero_takes_the_guarded_division():
    """With eps traced its value is unknown, so a zero denominator gives 0, as concrete 0."""

    @jax.jit
    def first_update(eps, eps_root):
        tx = lrx.scale_by_adam(eps=eps, eps_root=eps_root)
        return tx.update(jnp.zeros(2), tx.init(jnp.zeros(2)))[0]

    np.testing.assert_array_equal(first_update(0.0, 0.0), np.zeros(2))
    tx = lrx.scale_by_adagrad(0.0, eps=jnp.float32(0.0))
    np.testing.assert_array_equal(tx.update(jnp.zeros(2), tx.init(jnp.zeros(2)))[0], np.zeros(2))


def test_concrete_arrays_are_validated_like_numbers():
    with pytest.raises(ValueError, match=r"b1 must be in \[0.0, 1.0\), got 1.0"):
        lrx.scale_by_adam(b1=jnp.asarray(1.0))
    with pytest.raises(ValueError, match=r"eps must be >= 0\.0"):
        lrx.scale_by_rms(eps=np.float32(-1.0))
    with pytest.raises(ValueError, match=r"max_norm must be > 0\.0"):
        lrx.clip_by_global_norm(jnp.asarray(0.0))
    with pytest.raises(ValueError, match=r"weight_decay must be >= 0\.0"):
        lrx.add_decayed_weights(jnp.asarray(-0.5))
    with pytest.raises(ValueError, match="decay must be a scalar"):
        lrx.scale_by_momentum(jnp.ones(2))
    with pytest.raises(ValueError, match="must be < 1 when bias_correction"):
        lrx.scale_by_rms(jnp.asarray(1.0), bias_correction=True)


def test_bias_correction_with_traced_decay_is_the_accurate_form():
    """1 − b^t from −expm1(t·log b) on the device: accurate where float32 1 − b**t is not."""
    from lrx._counters import bias_correction

    counts = jnp.asarray([1, 2, 10, 1000, 2**31 - 1], jnp.int32)
    traced = jax.jit(jax.vmap(bias_correction, in_axes=(None, 0)))(jnp.float32(0.999), counts)
    exact = 1 - np.float64(np.float32(0.999)) ** np.asarray(counts, np.float64)
    np.testing.assert_allclose(np.asarray(traced), exact, rtol=2e-6)
