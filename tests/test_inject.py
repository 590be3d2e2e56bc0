"""``optax.inject_hyperparams`` works for every lrx optimizer, transform and torch preset.

Hyperparameters are data: the injected factory is called with float32 arrays at ``init``
and, inside ``jit``, with tracers at every ``update``. The result equals the direct call
(Python numbers) to float32 rounding over 20 steps, and changing
``state.hyperparams["learning_rate"]`` between jitted steps takes effect without a retrace.
No numeric argument needs ``static_args`` (see tests/hyper_cases.py for the few callables
that do). Run with ``-s`` to print the max |Δ| table.
"""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.compat import torch as ltorch
from tests.hyper_cases import CASES, IDS, grads, numeric_args, params

NUM_STEPS = 20
MAX_DELTA: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def _print_table(request):
    """The max |Δ| table (factory -> max |injected − direct| over 20 steps), printed after
    this module's tests ran (visible with ``-s``)."""
    yield
    if MAX_DELTA and request.config.getoption("capture") == "no":  # pytest -s
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print("\n| factory | max abs delta, injected vs direct (20 steps) |")
            print("|---|---|")
            for key, value in MAX_DELTA.items():
                print(f"| `{key}` | {value:.2e} |")


def _run(tx, num_steps=NUM_STEPS):
    p = params()
    state = tx.init(p)
    step = jax.jit(lambda g, s, p: tx.update(g, s, p))
    out = []
    for t in range(num_steps):
        u, state = step(grads(t), state, p)
        p = optax.apply_updates(p, u)
        out.append(u)
    return jax.tree.map(lambda *xs: np.stack(xs), *out), state


@pytest.mark.parametrize(("name", "factory", "kwargs", "static"), CASES, ids=IDS)
def test_inject_equals_direct(name, factory, kwargs, static):
    injected = optax.inject_hyperparams(factory, static_args=static)(**kwargs)
    got, state = _run(injected)
    want, _ = _run(factory(**kwargs))
    # every numeric argument, defaults included, became an injected hyperparameter
    assert set(state.hyperparams) == set(numeric_args(factory, kwargs, static))
    MAX_DELTA[name] = max(
        float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
        for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True)
    )
    chex.assert_trees_all_close(got, want, rtol=1e-5, atol=1e-7)


LR_CASES = [
    ("sgd", lrx.sgd, dict(learning_rate=0.1, momentum=0.9), "learning_rate"),
    ("adagrad", lrx.adagrad, dict(learning_rate=0.1), "learning_rate"),
    ("rmsprop", lrx.rmsprop, dict(learning_rate=0.1, momentum=0.5), "learning_rate"),
    ("adam", lrx.adam, dict(learning_rate=0.1), "learning_rate"),
    ("adamw", lrx.adamw, dict(learning_rate=0.1), "learning_rate"),
    ("torch_sgd", ltorch.sgd, dict(lr=0.1), "lr"),
    ("torch_adagrad", ltorch.adagrad, dict(lr=0.1, lr_decay=0.1), "lr"),
    ("torch_rmsprop", ltorch.rmsprop, dict(lr=0.1, momentum=0.5), "lr"),
    ("torch_adam", ltorch.adam, dict(lr=0.1), "lr"),
    ("torch_adamw", ltorch.adamw, dict(lr=0.1), "lr"),
]


@pytest.mark.parametrize(("factory", "kwargs", "lr_name"), [c[1:] for c in LR_CASES],
                         ids=[c[0] for c in LR_CASES])  # fmt: skip
def test_changing_the_injected_rate_takes_effect_without_retrace(factory, kwargs, lr_name):
    """Step 0 at rate 0.1, then the injected rate is set to 0.025: step 1 equals the direct
    optimizer built with 0.025 fed the same state (its momentum/moments), one trace only."""
    tx = optax.inject_hyperparams(factory)(**kwargs)
    p = params()
    chex.clear_trace_counter()

    @jax.jit
    @chex.assert_max_traces(n=1)
    def step(g, state, p):
        return tx.update(g, state, p)

    state = tx.init(p)
    _, state = step(grads(0), state, p)
    state.hyperparams[lr_name] = jnp.asarray(0.025, jnp.float32)
    u1, _ = step(grads(1), state, p)

    # the direct optimizer with the same hyperparameters as arrays: the same chain (a torch
    # preset keeps no L2 term or buffer for a Python 0, but always for an array)
    arrays = {k: jnp.asarray(v, jnp.float32) for k, v in numeric_args(factory, kwargs).items()}
    direct = factory(**{**kwargs, **arrays, lr_name: 0.025})
    u_ref, _ = direct.update(grads(1), state.inner_state, p)
    chex.assert_trees_all_close(u1, u_ref, rtol=1e-6, atol=1e-8)


def test_booleans_and_strings_stay_static_without_static_args():
    """inject_hyperparams keeps bools static by itself: ``nesterov``, ``amsgrad``,
    ``centered``, ``eps_in_sqrt`` need no ``static_args``; a dtype given as a string too."""
    tx = optax.inject_hyperparams(lrx.adam)(0.01, mu_dtype="bfloat16", nesterov=True, amsgrad=True)
    state = tx.init(params())
    assert "nesterov" not in state.hyperparams and "mu_dtype" not in state.hyperparams
    assert set(state.hyperparams) == {"learning_rate", "b1", "b2", "eps", "eps_root"}
