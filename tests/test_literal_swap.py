"""A literal swap from optax: ``optax.X(*args, **kw)`` -> ``lrx.X(*args, **kw)``.

The top-level optimizers take optax's positional order and defaults, so the same call,
positional arguments included, gives optax's trajectory to float32 rounding (lrx's bias
correction is the more exact one; the adaptive denominators amplify a few ulps). Every
optimizer runs 60 steps on a three-leaf tree with gradients spanning four decades, under
several argument combinations, with a constant learning rate and with a schedule.
Run with ``-s`` to print the max |Δ| table.
"""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx

NUM_STEPS = 60

# (optimizer, positional args after the learning rate, keyword args); every argument that
# optax has appears at least once, positionally where optax takes it positionally.
CASES = [
    ("sgd", (), {}),
    ("sgd", (0.9,), {}),
    ("sgd", (0.9, True), {}),
    ("sgd", (0.0,), {}),
    ("sgd", (0.9, False, jnp.bfloat16), {}),
    ("sgd", (0.9, True, jnp.float32), {}),
    ("adagrad", (), {}),
    ("adagrad", (0.5, 1e-3), {}),
    ("adagrad", (0.0, 1e-10), {}),
    ("rmsprop", (), {}),
    ("rmsprop", (0.95, 1e-6, 0.1), {}),
    ("rmsprop", (0.9, 1e-8, 0.0, False), {}),
    ("rmsprop", (0.9, 1e-8, 1.0, True, True), {}),
    ("rmsprop", (0.9, 1e-8, 0.0, True, False, 0.9), {}),
    ("rmsprop", (0.9, 1e-8, 0.0, True, False, 0.9, True, True), {}),
    ("rmsprop", (0.9, 1e-8, 0.5, False, True, 0.5, False, True), {}),
    ("adam", (), {}),
    ("adam", (0.8, 0.99, 1e-6, 1e-8), {}),
    ("adam", (0.9, 0.999, 0.0, 1e-8), {}),
    ("adam", (0.9, 0.999, 1e-8, 0.0, jnp.bfloat16), {}),
    ("adam", (), {"nesterov": True}),
    ("adamw", (), {}),
    ("adamw", (0.8, 0.99, 1e-6, 0.0, None, 0.1), {}),
    ("adamw", (0.9, 0.999, 1e-8, 0.0, None, 0.05, {"w": True, "b": False, "s": True}), {}),
    ("adamw", (), {"weight_decay": 0.01, "nesterov": True}),
]
IDS = [f"{name}{args}{kw or ''}".replace(" ", "") for name, args, kw in CASES]


def _params():
    rng = np.random.default_rng(0)
    return {
        "w": jnp.asarray(rng.standard_normal((4, 3)), jnp.float32),
        "b": jnp.asarray(rng.standard_normal(3), jnp.float32),
        "s": jnp.asarray(rng.standard_normal(2), jnp.float32),
    }


def _grads(t: int):
    rng = np.random.default_rng(100 + t)
    return {
        "w": jnp.asarray(rng.standard_normal((4, 3)), jnp.float32),
        "b": jnp.asarray(1e-2 * rng.standard_normal(3), jnp.float32),
        "s": jnp.asarray(1e-4 * (0.5 + rng.standard_normal(2)), jnp.float32),
    }


def _trajectory(tx):
    params = _params()
    state = tx.init(params)
    step = jax.jit(lambda g, s, p: tx.update(g, s, p))
    out = []
    for t in range(NUM_STEPS):
        updates, state = step(_grads(t), state, params)
        params = optax.apply_updates(params, updates)
        out.append(params)
    return jax.tree.map(lambda *xs: np.stack(xs), *out)


def _lrs(kind: str):
    """(lrx learning rate, optax learning rate) with the same values."""
    if kind == "constant":
        return 0.01, 0.01
    # step_decay(0.02, 20, 0.5) == optax.exponential_decay(0.02, 20, 0.5, staircase=True)
    return (
        lrx.step_decay(0.02, step_size=20, gamma=0.5),
        optax.exponential_decay(0.02, 20, 0.5, staircase=True),
    )


MAX_DELTA: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def _print_table(request):
    """The max |Δ| table, printed after this module's swaps ran (visible with ``-s``)."""
    yield
    if MAX_DELTA and request.config.getoption("capture") == "no":  # pytest -s
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print("\n| optax.X(*args) -> lrx.X(*args) | max abs delta (60 steps) |")
            print("|---|---|")
            for key, value in MAX_DELTA.items():
                print(f"| `{key}` | {value:.2e} |")


# With a schedule: one case per optimizer, and RMSprop's momentum, where the order of the
# learning rate and the buffer shows (optax's: the buffer accumulates scaled steps).
SCHEDULED = {"sgd(0.9,)", "adagrad()", "rmsprop(0.9,1e-08,0.0,True,False,0.9)", "adam()",
             "adamw(){'weight_decay':0.01,'nesterov':True}"}  # fmt: skip
PARAMS = [(*case, "constant") for case in CASES] + [
    (*case, "schedule") for case, id_ in zip(CASES, IDS, strict=True) if id_ in SCHEDULED
]


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "kind"), PARAMS, ids=[f"{i}-{p[-1]}" for i, p in enumerate(PARAMS)]
)
def test_literal_swap_gives_optax_numbers(name, args, kwargs, kind):
    lrx_lr, optax_lr = _lrs(kind)
    with jax.numpy_dtype_promotion("standard"):  # optax mixes int32 counts with floats
        want = _trajectory(getattr(optax, name)(optax_lr, *args, **kwargs))
    got = _trajectory(getattr(lrx, name)(lrx_lr, *args, **kwargs))
    delta = max(
        float(np.max(np.abs(np.asarray(got[k], np.float64) - np.asarray(want[k], np.float64))))
        for k in want
    )
    MAX_DELTA[f"{name}{args}{kwargs or ''} {kind}"] = delta
    # Parameters are O(1) and move by <= 0.02 per step: float32 rounding over 60 steps.
    # A bfloat16 first moment is rounded at 2**-8 relative at each store, by each library
    # from its own float32 value: the steps may differ by that much, 60 times.
    # sgd's bfloat16 buffer holds ~1/(1 - momentum) = 10 steps, rounded at each store
    # (optax also rounds decay * buffer in bfloat16 before adding the gradient in float32).
    atol = NUM_STEPS * 0.02 * 2**-8 if jnp.bfloat16 in args else 2e-5
    atol *= 10 if (name == "sgd" and jnp.bfloat16 in args) else 1
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=2e-5, atol=atol, err_msg=k)


@pytest.mark.parametrize("name", ["sgd", "adagrad", "rmsprop", "adam", "adamw"])
def test_optax_arguments_come_first_in_optax_order(name):
    """Every optax argument, same name, same position, same default; lrx's extras are
    keyword-only after them (optax.sgd's fourth positional ``accumulator_dtype`` included)."""
    theirs = list(inspect.signature(getattr(optax, name)).parameters.values())
    ours = list(inspect.signature(getattr(lrx, name)).parameters.values())
    for a, b in zip(theirs, ours, strict=False):
        assert (a.name, a.kind, a.default) == (b.name, b.kind, b.default), (name, a, b)
    for extra in ours[len(theirs) :]:
        assert extra.kind is inspect.Parameter.KEYWORD_ONLY, (name, extra)
