"""Structural cost of the transforms: traced work grows linearly with the leaves.

Speed is measured in bench/, never asserted on a clock. What can be asserted is structure:
the number of jaxpr equations ``update`` emits, which drives tracing and compile time.
Two guards that leave room for clear code:

- per-leaf work is constant: ``eqns(n) = a + b·n`` exactly (per-update scalars such as bias
  corrections are built once, not once per leaf; nothing grows quadratically), for float32,
  bfloat16 and complex64 leaves and for traced hyperparameters;
- the per-leaf count stays within a generous factor of optax's for the same math.

And one guard that pins them: the kernels' ``(fixed, per-leaf)`` counts, keyed by the jax
version they were measured with (jaxpr counts move with jax releases: on another version only
the linear growth is checked).
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


KERNELS = {
    "adam": lambda: lrx.scale_by_adam(),
    "adam_amsgrad": lambda: lrx.scale_by_adam(amsgrad=True),
    "nadam": lambda: lrx.scale_by_adam(nesterov=True),
    "adam_eps_root": lambda: lrx.scale_by_adam(eps=0.0, eps_root=1e-8),
    "adam_no_bias_correction": lambda: lrx.scale_by_adam(bias_correction=False),
    "rms": lambda: lrx.scale_by_rms(),
    "rms_centered": lambda: lrx.scale_by_rms(centered=True),
    "rms_bias_correction": lambda: lrx.scale_by_rms(bias_correction=True, eps_in_sqrt=False),
    "adagrad": lambda: lrx.scale_by_adagrad(),
    "adagrad_guarded": lambda: lrx.scale_by_adagrad(0.0, eps=0.0, eps_in_sqrt=False),
    "momentum": lambda: lrx.scale_by_momentum(0.9),
    "nesterov": lambda: lrx.scale_by_momentum(0.9, True),
    "momentum_dampening": lambda: lrx.scale_by_momentum(0.9, dampening=0.1),
    "adam_traced": INJECTED["adam"],
    "rms_traced": INJECTED["rms"],
    "adagrad_traced": INJECTED["adagrad"],
    "momentum_traced": INJECTED["momentum"],
}
# (fixed, per_leaf): eqns(n) = fixed + per_leaf * n for n leaves of shape (3,) of the dtype.
# Key: the jax version that traced them (counts move with jax releases). A change of the kernels
# that moves a count updates it here, on purpose.
PINNED = {
    "0.10.2": {
        "adam/float32": (11, 12),
        "adam/bfloat16": (11, 14),
        "adam/complex64": (12, 15),
        "adam_amsgrad/float32": (11, 13),
        "adam_amsgrad/bfloat16": (11, 15),
        "adam_amsgrad/complex64": (12, 16),
        "nadam/float32": (18, 16),
        "nadam/bfloat16": (18, 18),
        "nadam/complex64": (20, 19),
        "adam_eps_root/float32": (11, 12),
        "adam_eps_root/bfloat16": (11, 14),
        "adam_eps_root/complex64": (12, 15),
        "adam_no_bias_correction/float32": (3, 10),
        "adam_no_bias_correction/bfloat16": (3, 12),
        "adam_no_bias_correction/complex64": (3, 13),
        "rms/float32": (3, 7),
        "rms/bfloat16": (3, 9),
        "rms/complex64": (3, 10),
        "rms_centered/float32": (3, 13),
        "rms_centered/bfloat16": (3, 15),
        "rms_centered/complex64": (3, 18),
        "rms_bias_correction/float32": (7, 8),
        "rms_bias_correction/bfloat16": (7, 10),
        "rms_bias_correction/complex64": (7, 11),
        "adagrad/float32": (0, 5),
        "adagrad/bfloat16": (0, 7),
        "adagrad/complex64": (0, 8),
        "adagrad_guarded/float32": (0, 9),
        "adagrad_guarded/bfloat16": (0, 11),
        "adagrad_guarded/complex64": (0, 12),
        "momentum/float32": (3, 2),
        "momentum/bfloat16": (3, 4),
        "momentum/complex64": (3, 2),
        "nesterov/float32": (3, 4),
        "nesterov/bfloat16": (3, 6),
        "nesterov/complex64": (3, 4),
        "momentum_dampening/float32": (5, 3),
        "momentum_dampening/bfloat16": (5, 5),
        "momentum_dampening/complex64": (5, 3),
        "adam_traced/float32": (20, 20),
        "rms_traced/float32": (6, 13),
        "adagrad_traced/float32": (3, 10),
        "momentum_traced/float32": (9, 3),
    },
}
DTYPES = ("float32", "bfloat16", "complex64")
KERNEL_DTYPES = [
    f"{name}/{dtype}"
    for name in KERNELS
    for dtype in (DTYPES[:1] if name.endswith("_traced") else DTYPES)
]


@pytest.mark.parametrize("case", KERNEL_DTYPES)
def test_kernel_equation_counts_are_pinned(case):
    """Exact counts on the pinned jax version; on any other, the linear growth alone."""
    name, dtype = case.split("/")
    counts = [_eqns(KERNELS[name](), n, jnp.dtype(dtype)) for n in (1, 2, 4)]
    per_leaf = counts[1] - counts[0]
    fixed = counts[0] - per_leaf
    assert counts[2] == fixed + 4 * per_leaf, counts
    pinned = PINNED.get(jax.__version__)
    if pinned is not None:
        assert (fixed, per_leaf) == pinned[case], f"jax {jax.__version__}: {counts}"


def test_pinned_counts_cover_every_kernel_case():
    for version, counts in PINNED.items():
        assert sorted(counts) == sorted(KERNEL_DTYPES), version
