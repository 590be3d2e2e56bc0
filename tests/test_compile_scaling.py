"""Compile cost grows linearly with the number of parameter leaves.

Compile time is measured in bench/compile_time.py (``--scaling``), never asserted on a
clock. What the suite asserts is the structure that drives it: the jaxpr of a full step
(``update`` + ``apply_updates``) has a constant number of equations per leaf as the tree
grows, for every public transform and optimizer. A per-leaf cost that grows with the leaf
count (the 0.1.0 ``skip_nonfinite`` compiled in 34 s at 100 leaves and 172 s at 200) shows
up here as a non-constant difference.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import optax
import pytest

import lrx

SIZES = (32, 64, 128)  # multiples of skip_nonfinite's 32-array check chunks


def _halves(params):
    return {k: "a" if int(k[1:]) % 2 == 0 else "b" for k in params}


CASES = {
    "scale_by_momentum": lambda: lrx.scale_by_momentum(0.9),
    "scale_by_adagrad": lambda: lrx.scale_by_adagrad(),
    "scale_by_rms": lambda: lrx.scale_by_rms(),
    "scale_by_adam": lambda: lrx.scale_by_adam(),
    "scale_by_learning_rate": lambda: lrx.scale_by_learning_rate(lrx.warmup_cosine(1e-3, 10, 100)),
    "scale_by_schedule": lambda: lrx.scale_by_schedule(lrx.constant(0.5)),
    "add_decayed_weights": lambda: lrx.add_decayed_weights(1e-4),
    "clip_by_global_norm": lambda: lrx.clip_by_global_norm(1.0),
    "reduce_on_plateau": lambda: lrx.reduce_on_plateau(),
    "sgd": lambda: lrx.sgd(0.1, momentum=0.9),
    "adagrad": lambda: lrx.adagrad(0.1),
    "rmsprop": lambda: lrx.rmsprop(0.1),
    "adam": lambda: lrx.adam(0.1),
    "adamw": lambda: lrx.adamw(0.1),
    "partition": lambda: lrx.partition({"a": lrx.adam(0.1), "b": lrx.sgd(0.1)}, _halves),
    "layerwise_decay": lambda: lrx.layerwise_decay(lrx.adam, 0.1, 0.8, ["p1*", "p2*"]),
    "skip_nonfinite(adam)": lambda: lrx.skip_nonfinite(lrx.adam(0.1)),
    "skip_nonfinite(chain)": lambda: lrx.skip_nonfinite(
        lrx.chain(lrx.clip_by_global_norm(1.0), lrx.adam(0.1), lrx.reduce_on_plateau())
    ),
}


def _equations(make, n: int) -> int:
    tx = optax.with_extra_args_support(make())
    params = {f"p{i}": jnp.zeros((3,)) for i in range(n)}
    state = tx.init(params)

    def step(params, grads, state):
        updates, state = tx.update(grads, state, params, value=jnp.float32(1.0))
        return optax.apply_updates(params, updates), state

    return len(jax.make_jaxpr(step)(params, params, state).jaxpr.eqns)


@pytest.mark.parametrize("name", list(CASES))
def test_equations_per_leaf_are_constant(name):
    counts = [_equations(CASES[name], n) for n in SIZES]
    per_leaf = [
        (b - a) / (nb - na)
        for a, b, na, nb in zip(counts, counts[1:], SIZES, SIZES[1:], strict=False)
    ]
    assert per_leaf[0] == per_leaf[1], (name, counts, per_leaf)
    assert 0 < per_leaf[0] <= 60, (name, per_leaf)  # a few dozen operations per leaf


def _hlo_instructions(make, n: int) -> int:
    """Instructions of the XLA-optimised step (what XLA:CPU turns into code)."""
    tx = optax.with_extra_args_support(make())
    params = {f"p{i}": jnp.zeros((3,)) for i in range(n)}
    state = tx.init(params)

    def step(params, grads, state):
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    text = jax.jit(step).trace(params, params, state).lower().compile().as_text()
    return len(re.findall(r"^\s+(?:ROOT )?%?[\w.\-]+ = ", text, re.M))


@pytest.mark.parametrize("name", ["adam", "skip_nonfinite(adam)"])
def test_optimised_hlo_grows_linearly(name):
    """The jaxpr of 0.1.0's skip_nonfinite was linear, but XLA's fusion of its per-leaf
    selects was not: 1694, 4862, 15806 optimised instructions at 8, 16, 32 leaves (about
    quadratic). Now: a constant number per leaf (785, 1497, 2917)."""
    counts = [_hlo_instructions(CASES[name], n) for n in (8, 16, 32)]
    per_leaf = [(counts[1] - counts[0]) / 8, (counts[2] - counts[1]) / 16]
    assert per_leaf[1] <= 1.1 * per_leaf[0], (name, counts)


def test_skip_nonfinite_conditionals_stay_small():
    """XLA's buffer and alias analyses cost grows with the square of the buffers one
    conditional carries: the guard commits the state in conds of at most 64 leaves (plus
    its flag), however large the tree."""
    tx = lrx.skip_nonfinite(lrx.adam(0.1))
    params = {f"p{i}": jnp.zeros((3,)) for i in range(300)}
    state = tx.init(params)
    jaxpr = jax.make_jaxpr(tx.update)(params, state, params).jaxpr
    conds = [e for e in jaxpr.eqns if e.primitive.name == "cond"]
    sizes = [len(e.outvars) for e in conds]
    assert sum(sizes) >= 2 * 300 and max(sizes) <= 65, sizes
    assert len(conds) == -(-(2 * 300 + 3) // 64), sizes  # mu, nu per leaf; count, lr state
