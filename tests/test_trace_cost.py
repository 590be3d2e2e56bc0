"""Structural cost of the adaptive transforms: no more traced work per leaf than optax.

Speed is measured in bench/, never asserted on a clock. What can be asserted is structure:
the number of jaxpr equations a transform's ``update`` emits for each additional parameter
leaf, which drives tracing/compile time and the number of per-leaf kernels. lrx computes
every per-update scalar (bias corrections, learning rate, first-step dampening) once, not
per leaf, so its per-leaf count must not exceed optax's for the same math.
"""

import jax
import jax.numpy as jnp
import optax
import pytest

import lrx


def _eqns_per_leaf(tx: optax.GradientTransformation) -> int:
    def count(n: int) -> int:
        params = {f"p{i}": jnp.zeros((3,)) for i in range(n)}
        state = tx.init(params)
        jaxpr = jax.make_jaxpr(lambda g, s: tx.update(g, s, params))(params, state)
        return len(jaxpr.jaxpr.eqns)

    with jax.numpy_dtype_promotion("standard"):  # optax's adam needs standard promotion
        return count(2) - count(1)


CASES = [
    ("adam", lambda: lrx.scale_by_adam(), lambda: optax.scale_by_adam()),
    ("adam_amsgrad", lambda: lrx.scale_by_adam(amsgrad=True), lambda: optax.scale_by_amsgrad()),
    (
        "adam_nesterov",
        lambda: lrx.scale_by_adam(nesterov=True),
        lambda: optax.scale_by_adam(nesterov=True),
    ),
    ("rms", lambda: lrx.scale_by_rms(0.9), lambda: optax.scale_by_rms(0.9, eps_in_sqrt=False)),
    (
        "rms_centered",
        lambda: lrx.scale_by_rms(0.9, centered=True),
        lambda: optax.scale_by_stddev(0.9, eps_in_sqrt=False),
    ),
    ("adagrad", lambda: lrx.scale_by_adagrad(), lambda: optax.scale_by_rss(0.0, eps=1e-10)),
    ("momentum", lambda: lrx.scale_by_momentum(0.9), lambda: optax.trace(0.9)),
    (
        "nesterov",
        lambda: lrx.scale_by_momentum(0.9, nesterov=True),
        lambda: optax.trace(0.9, nesterov=True),
    ),
    ("learning_rate", lambda: lrx.scale_by_learning_rate(0.1), lambda: optax.scale(-0.1)),
    ("sgd_momentum", lambda: lrx.sgd(0.1, momentum=0.9), lambda: optax.sgd(0.1, momentum=0.9)),
    ("adam_full", lambda: lrx.adam(1e-3), lambda: optax.adam(1e-3)),
]


@pytest.mark.parametrize("make_lrx,make_optax", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_no_more_equations_per_leaf_than_optax(make_lrx, make_optax):
    ours, theirs = _eqns_per_leaf(make_lrx()), _eqns_per_leaf(make_optax())
    assert 0 < ours <= theirs, (ours, theirs)
