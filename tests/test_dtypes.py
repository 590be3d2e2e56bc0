"""The dtype table of docs/reliability.md, row by row, for every adaptive transform.

Each row fixes the params' and the gradients' dtypes (and an explicit state dtype where the
row says so) and checks the compute, state and output dtypes the table states, plus finite
outputs. Compute dtype is checked through its observable effect: bfloat16/float16 rows must
give the float32 trajectory (to the output's rounding), and float16 gradients above 256 must
not overflow the second moment.
"""

import re

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from tests.hyper_cases import CASES as HYPER_CASES
from tests.hyper_cases import grads as hyper_grads
from tests.hyper_cases import numeric_args
from tests.hyper_cases import params as hyper_params

TRANSFORMS = {
    "momentum": lambda **kw: lrx.scale_by_momentum(0.9, **kw),
    "adagrad": lambda **kw: lrx.scale_by_adagrad(**kw),
    "rms_centered": lambda **kw: lrx.scale_by_rms(centered=True, **kw),
    "adam_amsgrad": lambda **kw: lrx.scale_by_adam(amsgrad=True, **kw),
}
# which state fields are first moments (dtype like the params) and second moments (real)
FIRST = {"momentum": ["momentum"], "adagrad": [], "rms_centered": ["mu"], "adam_amsgrad": ["mu"]}
SECOND = {
    "momentum": [],
    "adagrad": ["sum_of_squares"],
    "rms_centered": ["nu"],
    "adam_amsgrad": ["nu", "nu_max"],
}
# per-transform keyword for an explicit second-moment dtype (momentum has none)
NU_KW = {"adagrad": "nu_dtype", "rms_centered": "nu_dtype", "adam_amsgrad": "nu_dtype"}

# row: params dtype, grads dtype, expected first-moment, second-moment and output dtypes
ROWS = {
    "float32": ("float32", "float32", "float32", "float32", "float32"),
    "float64": ("float64", "float64", "float64", "float64", "float64"),
    "bfloat16": ("bfloat16", "bfloat16", "float32", "float32", "bfloat16"),
    "float16": ("float16", "float16", "float32", "float32", "float16"),
    "complex64": ("complex64", "complex64", "complex64", "float32", "complex64"),
    "complex128": ("complex128", "complex128", "complex128", "float64", "complex128"),
    "bf16_params_f32_grads": ("bfloat16", "float32", "float32", "float32", "float32"),
    "f32_params_bf16_grads": ("float32", "bfloat16", "float32", "float32", "bfloat16"),
}
X64_ROWS = {"float64", "complex128"}


def _tree(dtype, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)

    def leaf(shape):
        x = rng.normal(size=shape) * scale
        if np.issubdtype(np.dtype(dtype), np.complexfloating):
            x = x + 1j * rng.normal(size=shape) * scale
        return jnp.asarray(x, dtype)

    return {"w": leaf((3, 2)), "b": leaf((2,))}


def _fields(state, names):
    return [x for n in names for x in jax.tree.leaves(getattr(state, n))]


@pytest.mark.parametrize("row", list(ROWS))
@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_dtype_table_row(name, row):
    p_dt, g_dt, first_dt, second_dt, out_dt = ROWS[row]
    with jax.enable_x64(row in X64_ROWS):
        tx = TRANSFORMS[name]()
        params = _tree(p_dt)
        state = tx.init(params)
        update = jax.jit(tx.update)
        for step in range(3):
            u, state = update(_tree(g_dt, seed=step + 1), state, params)
            assert all(x.dtype == jnp.dtype(out_dt) for x in jax.tree.leaves(u)), u
            assert all(np.all(np.isfinite(np.asarray(x))) for x in jax.tree.leaves(u))
            params = lrx.apply_updates(params, u)
        assert all(x.dtype == jnp.dtype(p_dt) for x in jax.tree.leaves(params))
        assert all(x.dtype == jnp.dtype(first_dt) for x in _fields(state, FIRST[name]))
        assert all(x.dtype == jnp.dtype(second_dt) for x in _fields(state, SECOND[name]))
        if "count" in state._fields:
            assert state.count.dtype == jnp.int32


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_integer_params_and_grads_raise(name):
    tx = TRANSFORMS[name]()
    with pytest.raises(ValueError, match=r"must have a floating dtype; these do not: \['w'\]"):
        tx.init({"w": jnp.zeros(2, jnp.int32), "b": jnp.zeros(2)})
    state = tx.init({"w": jnp.zeros(2), "b": jnp.zeros(2)})
    with pytest.raises(ValueError, match=r"\['b'\] \(int32\)"):
        tx.update({"w": jnp.ones(2), "b": jnp.ones(2, jnp.int32)}, state)


@pytest.mark.parametrize("name", ["adagrad", "rms_centered", "adam_amsgrad"])
def test_explicit_low_precision_second_moment(name):
    """nu_dtype=bfloat16 is honoured (the user trades accuracy for memory)."""
    tx = TRANSFORMS[name](**{NU_KW[name]: jnp.bfloat16})
    state = tx.init(_tree("bfloat16"))
    u, state = tx.update(_tree("bfloat16", seed=1), state)
    assert all(x.dtype == jnp.bfloat16 for x in _fields(state, SECOND[name]))
    assert all(x.dtype == jnp.bfloat16 for x in jax.tree.leaves(u))


@pytest.mark.parametrize(
    "mu_dtype, first, out",
    [("bfloat16", "bfloat16", "float32"), ("complex64", "complex64", "float32")],
)
def test_mu_dtype_rows(mu_dtype, first, out):
    """mu_dtype sets the first moment only; the output keeps the update dtype (float32)."""
    tx = lrx.scale_by_adam(mu_dtype=mu_dtype)
    state = tx.init(_tree("float32"))
    u, state = tx.update(_tree("float32", seed=1), state)
    assert all(x.dtype == jnp.dtype(first) for x in jax.tree.leaves(state.mu))
    assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(state.nu))
    assert all(x.dtype == jnp.dtype(out) for x in jax.tree.leaves(u))


def _last_step(tx, dtype, g, steps=3000):
    params = jnp.zeros(4, dtype)
    grad = jnp.full(4, g, dtype)

    def step(state, _):
        u, state = tx.update(grad, state, params)
        return state, u

    _, us = jax.jit(lambda s: jax.lax.scan(step, s, None, length=steps))(tx.init(params))
    return float(jnp.asarray(us[-1, 0], jnp.float32))


DRIFT = {
    "adam": lambda: lrx.scale_by_adam(),
    "rms_decay_0.999": lambda: lrx.scale_by_rms(0.999),
    "adagrad": lambda: lrx.scale_by_adagrad(0.0),
}


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", list(DRIFT))
def test_low_precision_step_stays_within_5_percent_of_float32(name, dtype):
    """After 3,000 constant-gradient steps the bf16/f16 step is within 5% of float32's
    (with bfloat16 moments Adam's step was 1.95x, RMSprop's 2.0x, AdaGrad's 2.7x)."""
    ratio = _last_step(DRIFT[name](), dtype, 0.1) / _last_step(DRIFT[name](), "float32", 0.1)
    assert abs(ratio - 1) < 0.05, ratio


@pytest.mark.parametrize("name", list(DRIFT))
def test_float16_gradients_above_256_do_not_overflow_the_moments(name):
    """|g| = 1000: g² = 1e6 is beyond float16's 65504; float32 moments hold it (the step
    was 0 with float16 moments)."""
    ratio = _last_step(DRIFT[name](), "float16", 1000.0) / _last_step(
        DRIFT[name](), "float32", 1000.0
    )
    assert abs(ratio - 1) < 0.01, ratio


# --------------------------------------------------------------------------------------
# Hyperparameters of every dtype optax.inject_hyperparams gives them
# --------------------------------------------------------------------------------------

# (hyperparam_dtype, params dtype): inject casts the hyperparameters to hyperparam_dtype,
# or (None) to the params' dtype: bfloat16 for bfloat16 params, complex64 for complex64.
# float32, the default, is held by tests/test_inject.py and tests/test_conformance.py.
VARIANTS = {
    "hp_bfloat16": (jnp.bfloat16, jnp.float32),
    "hp_float16": (jnp.float16, jnp.float32),
    "params_bfloat16": (None, jnp.bfloat16),
    "params_complex64": (None, jnp.complex64),
}


def _rounded(value, dtype):
    """``value`` as inject gives it to the factory: cast to ``dtype`` (its real part)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, int) or dtype is None:
        return value
    return float(np.real(np.asarray(value, dtype)))


def _two_steps(tx, p, dtype):
    state = tx.init(p)
    out = []
    for t in range(2):
        u, state = tx.update(hyper_grads(t, dtype), state, p)
        out.append(u)
    return out


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize(
    ("name", "factory", "kwargs", "static"), [pytest.param(*c, id=c[0]) for c in HYPER_CASES]
)
def test_inject_with_any_hyperparameter_dtype_equals_the_direct_call(
    name, factory, kwargs, static, variant, request
):
    """bfloat16/float16 hyperparameters (hyperparam_dtype, or bfloat16 params) and
    complex64 ones (complex params) work for every factory: equal to the direct call with
    the hyperparameters rounded as inject rounds them. Where that rounding makes a value
    invalid (b2 = 0.999 is 1.0 in bfloat16) both raise the same ValueError."""
    hp_dtype, p_dtype = VARIANTS[variant]
    p = hyper_params(p_dtype)
    cast_to = (
        hp_dtype if hp_dtype is not None else (jnp.bfloat16 if p_dtype == jnp.bfloat16 else None)
    )
    rounded = {k: _rounded(v, cast_to) for k, v in numeric_args(factory, kwargs, static).items()}
    direct_kwargs = {**kwargs, **rounded}
    injected = optax.inject_hyperparams(factory, static_args=static, hyperparam_dtype=hp_dtype)(
        **kwargs
    )
    try:
        want = _two_steps(factory(**direct_kwargs), p, p_dtype)
    except ValueError as e:
        with pytest.raises(ValueError, match=re.escape(str(e)[:40])):
            _two_steps(injected, p, p_dtype)
        return
    got = _two_steps(injected, p, p_dtype)
    tol = 2e-2 if p_dtype == jnp.bfloat16 else 2e-5
    chex.assert_trees_all_close(got, want, rtol=tol, atol=tol * 1e-2)
