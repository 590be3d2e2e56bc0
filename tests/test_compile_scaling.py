"""Compile cost grows linearly with the number of parameter leaves.

Compile time is measured in bench/compile_time.py (``--scaling``), never asserted on a
clock. What the suite asserts is the structure that drives it: the jaxpr of a full step
(``update`` + ``apply_updates``) has a constant number of equations per leaf as the tree
grows, for every public transform and optimizer. A per-leaf cost that grows with the leaf
count (the 0.1.0 ``skip_nonfinite`` compiled in 34 s at 100 leaves and 172 s at 200) shows
up here as a non-constant difference.
"""

from __future__ import annotations

import functools
import re

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx

SIZES = (32, 64, 128)  # skip_nonfinite splits each source into n / 8 chunks at these sizes


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


@functools.cache
def _distinct_kernels(name: str, n: int) -> int:
    """Distinct fused computations of the XLA-optimised step on a tree of four shapes."""
    shapes = [(64,), (32, 32), (16, 256), (128,)]
    params = {f"p{i:03d}": jnp.zeros(shapes[i % 4]) for i in range(n)}
    tx = CASES[name]()
    state = tx.init(params)

    def step(params, grads, state):
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    text = jax.jit(step, donate_argnums=(0, 2)).trace(params, params, state).lower().compile()
    text = text.as_text()
    called = set(re.findall(r" fusion\(.*?calls=(%[\w.\-]+)", text))
    bodies = set()
    for name, head, body in re.findall(
        r"^(%[\w.\-]+) (\(.*?\) -> .*?) \{\n(.*?)\n\}", text, re.M | re.S
    ):
        if name in called:
            anonymous = re.sub(r"%[\w.\-]+|, metadata=\{[^}]*\}|[\w.\-]+: ", "", head + body)
            bodies.add(anonymous)
    return len(bodies)


@pytest.mark.parametrize("name", ["adam", "skip_nonfinite(adam)"])
def test_distinct_kernels_do_not_grow_with_repeated_shapes(name):
    """XLA:CPU compiles each distinct fused computation once and reuses the code for
    identical ones, so compile time follows the number of distinct kernels far more than
    the number of kernels (400 identical small kernels compile in 0.16 s, 400 of distinct
    shapes in 4.3 s). A model's layers repeat a few shapes: twice the leaves, the same
    distinct kernels."""
    counts = [_distinct_kernels(name, n) for n in (200, 400)]
    assert counts[0] == counts[1], (name, counts)


def test_skip_nonfinite_adds_few_distinct_kernels_per_shape():
    """The guard's own kernels per shape: the update materialised for the check, the
    check's chunk sum and its reduction (split in two by XLA for large arrays); plus a
    scalar tail. Chunks hold the same mix of gradients, updates and moments, so they are
    identical: 31 distinct kernels against adam's 15 on four shapes (the first chunking
    cut one run of arrays into chunks of mixed sources: 44)."""
    guarded = _distinct_kernels("skip_nonfinite(adam)", 200)
    plain = _distinct_kernels("adam", 200)
    assert guarded <= plain + 4 * 4 + 4, (guarded, plain)


def test_clip_by_global_norm_reduces_once_per_chunk_of_same_shaped_leaves():
    """One reduction per leaf, summed as one chain of scalars, made XLA:CPU's fusion pass
    quadratic in the leaves (it counts the reductions already in the growing sum for each
    reduction it considers): 7.3 s to compile at 1,000 leaves, 293 s at 5,000. Up to 32
    leaves each is reduced alone (separate reductions run side by side on XLA:CPU); beyond,
    same-shaped leaves are squared and added elementwise, ceil(n / 32) at a time, before one
    reduction, so a tree never has more than 32 reductions per distinct leaf shape."""

    def reductions(params):
        tx = lrx.clip_by_global_norm(1.0)
        jaxpr = jax.make_jaxpr(tx.update)(params, tx.init(params)).jaxpr
        return sum(e.primitive.name == "reduce_sum" for e in jaxpr.eqns)

    shapes = [(4,), (2, 3)]
    assert reductions({f"p{i}": jnp.ones(shapes[i % 2]) for i in range(10)}) == 10
    assert reductions({f"p{i}": jnp.ones(shapes[i % 2]) for i in range(32)}) == 32
    params = {f"p{i:03d}": jnp.ones(shapes[i % 2]) for i in range(256)}
    assert reductions(params) == 2 * (128 // 8)  # 8 leaves per reduction
    assert reductions({f"p{i:04d}": jnp.ones(shapes[i % 2]) for i in range(1000)}) == 2 * 16
    tx = lrx.clip_by_global_norm(1.0)
    updates, _ = tx.update(params, tx.init(params))
    norm = np.sqrt(sum(float(np.sum(np.asarray(x) ** 2)) for x in params.values()))
    chex.assert_trees_all_close(
        updates, jax.tree.map(lambda x: x / norm, params), rtol=1e-6, atol=0
    )
