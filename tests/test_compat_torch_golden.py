"""Golden twins (no torch needed) of the live-torch ``lrx.compat.torch`` tests.

tests/reference/compat_golden.json (``python tests/reference/gen_compat_golden.py``) holds
torch's numbers for: complex64 parameters (torch views them as real pairs), the argument
sets torch rejects, every torch default, random hyperparameter sets (with a StepLR
schedule on odd seeds) and SGD's defaults at ``lr=0.05`` over 100 steps. Each runs here
against lrx.compat.torch, so CI checks them without torch.
"""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.compat import torch as ltorch
from tests.reference import gen_compat_golden as gen
from tests.reference import golden

GOLDEN = golden.load("compat_golden")
RTOL, ATOL = 1e-5, 1e-6  # the compat.torch promise (float32, as the live tests)


def _run(tx: optax.GradientTransformation, p0: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """The parameter after each update (jitted step, float32 / complex64)."""
    p = jnp.asarray(p0)
    state = tx.init(p)

    @jax.jit
    def step(g, state, p):
        u, state = tx.update(g, state, p)
        return optax.apply_updates(p, u), state

    out = []
    for g in grads:
        p, state = step(jnp.asarray(g), state, p)
        out.append(np.asarray(p))
    return np.stack(out)


def _kwargs(kw: dict) -> dict:
    return {k: tuple(v) if k == "betas" else v for k, v in kw.items()}


@pytest.mark.parametrize("case", GOLDEN["complex"]["cases"], ids=lambda c: c["preset"])
def test_complex_params_golden(case):
    """Twin of test_complex_params_equal_torch_which_views_them_as_real_pairs."""
    p0 = gen.as_array(GOLDEN["complex"]["inputs"]["p0"], True)
    grads = gen.as_array(GOLDEN["complex"]["inputs"]["grads"], True)
    want = gen.as_array(case["params"], True)
    got = _run(getattr(ltorch, case["preset"])(**_kwargs(case["kwargs"])), p0, grads)
    assert got.dtype == np.complex64
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)
    assert np.max(np.abs(want[-1] - p0)) > 100 * 2e-6  # the comparison can fail


@pytest.mark.parametrize(
    "case", GOLDEN["rejects"], ids=lambda c: f"{c['preset']}-{'-'.join(c['kwargs'])}"
)
def test_rejects_what_torch_rejects_golden(case):
    """Twin of test_torch_rejects_the_same_arguments."""
    make = getattr(ltorch, case["preset"])
    if case["torch_raises"]:
        with pytest.raises(ValueError):
            make(**_kwargs(case["kwargs"]))
    else:
        make(**_kwargs(case["kwargs"]))


@pytest.mark.parametrize("preset", sorted(gen.CLASSES))
def test_defaults_golden(preset):
    """Twin of test_defaults_live: every compat.torch default is torch's of the same name."""
    theirs = GOLDEN["defaults"][preset]
    for arg, p in inspect.signature(getattr(ltorch, preset)).parameters.items():
        assert arg in theirs, (preset, arg)
        want = tuple(theirs[arg]) if isinstance(theirs[arg], list) else theirs[arg]
        assert p.default == want, (preset, arg, p.default, want)


@pytest.mark.parametrize("case", GOLDEN["random"]["cases"], ids=lambda c: f"seed{c['seed']}")
def test_random_configs_golden(case):
    """Twin of test_random_configs_live (its StepLR schedule as lrx.step_decay)."""
    p0 = gen.as_array(GOLDEN["random"]["inputs"]["p0"], False)
    grads = gen.as_array(GOLDEN["random"]["inputs"]["grads"], False)
    kw = _kwargs(case["kwargs"])
    if case["step_lr"]:
        kw["lr"] = lrx.step_decay(kw["lr"], case["step_lr"]["step_size"], case["step_lr"]["gamma"])
    got = _run(getattr(ltorch, case["preset"])(**kw), p0, grads)
    want = np.asarray(case["params"], np.float32)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_sgd_default_moves_far_beyond_the_tolerance():
    """SGD with torch's defaults (lr 0.05): the parameters move ~0.9, so a wrong update
    (a missing or doubled step) cannot hide inside the tolerance."""
    case = GOLDEN["sgd_default"]
    p0 = gen.as_array(case["inputs"]["p0"], False)
    grads = gen.as_array(case["inputs"]["grads"], False)
    want = np.asarray(case["params"], np.float32)
    assert np.max(np.abs(want[-1] - p0)) > 100 * (ATOL + RTOL * np.max(np.abs(want)))
    got = _run(ltorch.sgd(**case["kwargs"]), p0, grads)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
