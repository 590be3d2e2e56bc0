"""Structural cost of the transforms: traced work grows linearly with the leaves.

Speed is measured in bench/, never asserted on a clock. What can be asserted is structure:
the number of jaxpr equations ``update`` emits, which drives tracing and compile time.
Two guards that leave room for clear code:

- per-leaf work is constant: ``eqns(n) = a + b·n`` exactly (per-update scalars such as bias
  corrections are built once, not once per leaf; nothing grows quadratically), for float32,
  bfloat16 and complex64 leaves and for traced hyperparameters;
- the per-leaf count stays within a generous factor of optax's for the same math.
"""

import functools

import jax
import jax.numpy as jnp
import optax
import pytest

import lrx


def _eqns(tx: optax.GradientTransformation, n: int, dtype=jnp.float32) -> int:
    params = {f"p{i}": jnp.zeros((3,), dtype) for i in range(n)}
    state = tx.init(params)
    with jax.numpy_dtype_promotion("standard"):  # optax's adam needs standard promotion
        jaxpr = jax.make_jaxpr(lambda g, s: tx.update(g, s, params))(params, state)
    return len(jaxpr.jaxpr.eqns)


CASES = {
    "adam": (lambda: lrx.scale_by_adam(), lambda: optax.scale_by_adam()),
    "adam_amsgrad": (lambda: lrx.scale_by_adam(amsgrad=True), lambda: optax.scale_by_amsgrad()),
    "nadam": (
        lambda: lrx.scale_by_adam(nesterov=True),
        lambda: optax.scale_by_adam(nesterov=True),
    ),
    "rms": (lambda: lrx.scale_by_rms(), lambda: optax.scale_by_rms()),
    "rms_centered": (lambda: lrx.scale_by_rms(centered=True), lambda: optax.scale_by_stddev()),
    "adagrad": (lambda: lrx.scale_by_adagrad(), lambda: optax.scale_by_rss()),
    "momentum": (lambda: lrx.scale_by_momentum(0.9), lambda: optax.trace(0.9)),
    "nesterov": (lambda: lrx.scale_by_momentum(0.9, True), lambda: optax.trace(0.9, True)),
    "learning_rate": (lambda: lrx.scale_by_learning_rate(0.1), lambda: optax.scale(-0.1)),
    "clip": (lambda: lrx.clip_by_global_norm(1.0), lambda: optax.clip_by_global_norm(1.0)),
    "weight_decay": (
        lambda: lrx.add_decayed_weights(0.1),
        lambda: optax.add_decayed_weights(0.1),
    ),
    "adam_optimizer": (lambda: lrx.adam(1e-3), lambda: optax.adam(1e-3)),
}
IDS = list(CASES)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.complex64], ids=str)
@pytest.mark.parametrize("name", IDS)
def test_equations_grow_linearly_with_leaves(name, dtype):
    tx = CASES[name][0]()
    counts = [_eqns(tx, n, dtype) for n in (1, 2, 4, 8)]
    per_leaf = counts[1] - counts[0]
    assert per_leaf > 0
    assert counts == [counts[0] + per_leaf * (n - 1) for n in (1, 2, 4, 8)], counts


@pytest.mark.parametrize("name", IDS)
def test_per_leaf_equations_within_a_generous_factor_of_optax(name):
    make_lrx, make_optax = CASES[name]
    ours = _eqns(make_lrx(), 2) - _eqns(make_lrx(), 1)
    theirs = _eqns(make_optax(), 2) - _eqns(make_optax(), 1)
    assert ours <= 2 * theirs + 2, (ours, theirs)


INJECTED = {
    "adam": functools.partial(optax.inject_hyperparams(lrx.scale_by_adam), b1=0.9, b2=0.999),
    "rms": functools.partial(optax.inject_hyperparams(lrx.scale_by_rms), decay=0.9),
    "adagrad": functools.partial(optax.inject_hyperparams(lrx.scale_by_adagrad), eps=1e-7),
    "momentum": functools.partial(optax.inject_hyperparams(lrx.scale_by_momentum), decay=0.9),
}


@pytest.mark.parametrize("name", list(INJECTED))
def test_traced_hyperparameters_keep_per_leaf_work_constant(name):
    tx = INJECTED[name]()
    counts = [_eqns(tx, n) for n in (1, 2, 4, 8)]
    per_leaf = counts[1] - counts[0]
    assert counts == [counts[0] + per_leaf * (n - 1) for n in (1, 2, 4, 8)], counts
