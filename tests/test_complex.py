"""Complex parameters through every transform: optax's convention, never a dropped imaginary part.

Convention (optax's): first moments are complex, second moments are the real
``|g|^2 = g * conj(g)``, outputs are complex. Checked three ways: a NumPy complex reference
per transform (lrx.testing.reference, written from the formulas), optax's own transforms on
the same complex gradients, and optax's complex alias cases (a parabola and the Rosenbrock
function with complex parameters, which must reach the complex optimum). Warnings are errors
in this suite, so a ComplexWarning (a silent cast to real) fails any test here.
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.testing import reference
from tests.grads import JIT, make_grads, ref_outputs, run_updates

GRADS = make_grads(12, seed=5, dtype=np.complex64)
PARAMS = jax.tree.map(jnp.zeros_like, GRADS[0])

# (transform, NumPy reference with the same arguments)
REFERENCES = {
    "momentum": (
        lambda: lrx.scale_by_momentum(0.9),
        lambda g: ref_outputs(reference.momentum, g, momentum=0.9),
    ),
    "momentum_nesterov": (
        lambda: lrx.scale_by_momentum(0.8, True),
        lambda g: ref_outputs(reference.momentum, g, momentum=0.8, nesterov=True),
    ),
    "momentum_dampening": (
        lambda: lrx.scale_by_momentum(0.8, dampening=0.3),
        lambda g: ref_outputs(reference.momentum, g, momentum=0.8, dampening=0.3),
    ),
    "adagrad": (lambda: lrx.scale_by_adagrad(), lambda g: ref_outputs(reference.adagrad, g)),
    "adagrad_torch": (
        lambda: lrx.scale_by_adagrad(0.0, 1e-10, eps_in_sqrt=False),
        lambda g: ref_outputs(
            reference.adagrad, g, initial_accumulator_value=0.0, eps=1e-10, eps_in_sqrt=False
        ),
    ),
    "rms": (lambda: lrx.scale_by_rms(), lambda g: ref_outputs(reference.rmsprop, g)),
    "rms_centered_bias": (
        lambda: lrx.scale_by_rms(0.9, 1e-8, 1.0, False, True, centered=True),
        lambda g: ref_outputs(
            reference.rmsprop,
            g,
            decay=0.9,
            eps=1e-8,
            initial_scale=1.0,
            eps_in_sqrt=False,
            bias_correction=True,
            centered=True,
        ),
    ),
    "adam": (lambda: lrx.scale_by_adam(), lambda g: ref_outputs(reference.adam, g)),
    "adam_eps_root": (
        lambda: lrx.scale_by_adam(0.9, 0.99, 0.0, 1e-8),
        lambda g: ref_outputs(reference.adam, g, b2=0.99, eps=0.0, eps_root=1e-8),
    ),
    "nadam": (
        lambda: lrx.scale_by_adam(nesterov=True),
        lambda g: ref_outputs(reference.adam, g, nesterov=True),
    ),
    "amsgrad": (
        lambda: lrx.scale_by_adam(0.8, 0.9, amsgrad=True),
        lambda g: ref_outputs(reference.adam, g, b1=0.8, b2=0.9, amsgrad=True),
    ),
    "adam_no_bias_correction": (
        lambda: lrx.scale_by_adam(eps=1e-3, bias_correction=False),
        lambda g: ref_outputs(reference.adam, g, eps=1e-3, bias_correction=False),
    ),
}


@pytest.mark.parametrize("name", list(REFERENCES))
@JIT
def test_complex64_matches_numpy_reference(name, jit):
    make, ref = REFERENCES[name]
    tx = make()
    update = jax.jit(tx.update) if jit else tx.update
    outs, _ = run_updates(update, tx.init(PARAMS), GRADS)
    chex.assert_trees_all_close(outs, ref(GRADS), rtol=2e-5, atol=1e-6)
    assert all(np.iscomplexobj(o["w"]) and np.abs(o["w"].imag).max() > 0.1 for o in outs)


@pytest.mark.parametrize("name", ["momentum", "adagrad", "rms_centered_bias", "nadam", "amsgrad"])
def test_complex128_matches_numpy_reference(name):
    make, ref = REFERENCES[name]
    with jax.enable_x64(True):
        grads = make_grads(12, seed=6, dtype=np.complex128)
        tx = make()
        outs, state = run_updates(jax.jit(tx.update), tx.init(grads[0]), grads)
        assert all(
            x.dtype in (jnp.complex128, jnp.float64, jnp.int32) for x in jax.tree.leaves(state)
        )
    chex.assert_trees_all_close(outs, ref(grads), rtol=1e-12, atol=1e-14)


def test_state_dtypes_first_moments_complex_second_moments_real():
    state = lrx.scale_by_adam(amsgrad=True).init(PARAMS)
    assert all(x.dtype == jnp.complex64 for x in jax.tree.leaves(state.mu))
    assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(state.nu))
    assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(state.nu_max))
    state = lrx.scale_by_rms(centered=True).init(PARAMS)
    assert all(x.dtype == jnp.complex64 for x in jax.tree.leaves(state.mu))
    assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(state.nu))
    assert jax.tree.leaves(lrx.scale_by_adagrad().init(PARAMS))[0].dtype == jnp.float32
    assert jax.tree.leaves(lrx.scale_by_momentum().init(PARAMS).momentum)[0].dtype == jnp.complex64


OPTAX_PEERS = {
    "adam": (lambda: lrx.scale_by_adam(), lambda: optax.scale_by_adam()),
    "nadam": (lambda: lrx.scale_by_adam(nesterov=True), lambda: optax.scale_by_adam(nesterov=True)),
    "rms": (lambda: lrx.scale_by_rms(), lambda: optax.scale_by_rms()),
    "rms_outside": (
        lambda: lrx.scale_by_rms(0.9, 1e-8, 0.0, False, True),
        lambda: optax.scale_by_rms(0.9, 1e-8, 0.0, False, True),
    ),
    "stddev": (lambda: lrx.scale_by_rms(centered=True), lambda: optax.scale_by_stddev()),
    "adagrad": (lambda: lrx.scale_by_adagrad(), lambda: optax.scale_by_rss()),
    "trace": (lambda: lrx.scale_by_momentum(0.9, True), lambda: optax.trace(0.9, True)),
    "clip": (lambda: lrx.clip_by_global_norm(1.0), lambda: optax.clip_by_global_norm(1.0)),
    "learning_rate": (
        lambda: lrx.scale_by_learning_rate(0.1),
        lambda: optax.scale_by_learning_rate(0.1),
    ),
}


@pytest.mark.parametrize("name", list(OPTAX_PEERS))
def test_complex64_equals_optax(name):
    """optax's transforms on the same complex gradients (optax keeps ``nu`` complex with a
    zero imaginary part; lrx keeps it real: same numbers, half the memory)."""
    make, make_peer = OPTAX_PEERS[name]
    tx, peer = make(), make_peer()
    outs, _ = run_updates(tx.update, tx.init(PARAMS), GRADS)
    with jax.numpy_dtype_promotion("standard"):  # optax: python float ** int32 count
        ref_outs, _ = run_updates(peer.update, peer.init(PARAMS), GRADS)
    chex.assert_trees_all_close(outs, ref_outs, rtol=2e-5, atol=1e-6)


def test_add_decayed_weights_complex_equals_optax():
    params = jax.tree.map(lambda g: g * 0.5 + 1j, GRADS[0])
    tx, peer = lrx.add_decayed_weights(0.1), optax.add_decayed_weights(0.1)
    u, _ = tx.update(GRADS[1], tx.init(params), params)
    ref, _ = peer.update(GRADS[1], peer.init(params), params)
    chex.assert_trees_all_close(u, ref, rtol=1e-6)


# -- optax's complex alias cases --------------------------------------------------------


def abs_sq(x):
    return jnp.real(x * jnp.conj(x))


def _parabola():
    final = jnp.array([1.0, -1.0, 1.0], jnp.complex64) * (1 + 1j)
    init = jnp.array([-1.0, 10.0, 1.0], jnp.complex64)
    return init, final, lambda p: jnp.sum(abs_sq(p - final))


def _rosenbrock():
    a, b = 1.0 + 1.0j, 100.0
    final = jnp.array([a, a**2], jnp.complex64)
    init = jnp.zeros(2, jnp.complex64)
    return init, final, lambda p: abs_sq(a - p[0]) + b * abs_sq(p[1] - p[0] ** 2)


# optax's alias_test settings; keywords only (the optimizers' positional order is optax's).
ALIASES = {
    "sgd": lambda: lrx.sgd(learning_rate=1e-3, momentum=0.9),
    "adagrad": lambda: lrx.adagrad(learning_rate=1.0),
    "rmsprop": lambda: lrx.rmsprop(learning_rate=5e-3),
    "rmsprop_momentum": lambda: lrx.rmsprop(learning_rate=5e-3, momentum=0.9),
    "adam": lambda: lrx.adam(learning_rate=1e-1),
    "adamw": lambda: lrx.adamw(learning_rate=1e-1, weight_decay=1e-4),
}


@pytest.mark.parametrize("target", [_parabola, _rosenbrock], ids=["parabola", "rosenbrock"])
@pytest.mark.parametrize("name", list(ALIASES))
def test_optax_alias_case_reaches_the_complex_optimum(name, target):
    """optax's alias_test.test_optimization with complex64 params: 10,000 steps of
    ``params += update(conj(grad))`` reach the complex optimum (rtol = atol = 3e-2)."""
    opt = ALIASES[name]()
    init, final, objective = target()

    @jax.jit
    def train(params):
        def step(carry, _):
            params, state = carry
            grads = jax.tree.map(jnp.conj, jax.grad(objective)(params))
            updates, state = opt.update(grads, state, params)
            return (lrx.apply_updates(params, updates), state), None

        (params, _), _ = jax.lax.scan(step, (params, opt.init(params)), None, length=10_000)
        return params

    params = train(init)
    assert params.dtype == jnp.complex64
    chex.assert_trees_all_close(params, final, rtol=3e-2, atol=3e-2)


# -- explicit dtypes ----------------------------------------------------------------------


def test_complex_mu_dtype_on_real_params_is_exact():
    """optax accepts mu_dtype=complex64 for real params; the imaginary part stays 0 and the
    real updates equal the all-real run."""
    grads = make_grads(8, seed=7)
    params = jax.tree.map(jnp.zeros_like, grads[0])
    tx = lrx.scale_by_adam(mu_dtype=jnp.complex64)
    state = tx.init(params)
    assert all(m.dtype == jnp.complex64 for m in jax.tree.leaves(state.mu))
    outs, state = run_updates(tx.update, state, grads)
    ref, _ = run_updates(lrx.scale_by_adam().update, lrx.scale_by_adam().init(params), grads)
    chex.assert_trees_all_close(outs, ref, rtol=1e-6)
    assert all(not np.iscomplexobj(o["w"]) for o in outs)


@pytest.mark.parametrize(
    "make",
    [
        lambda: lrx.scale_by_adam(mu_dtype=jnp.float32),
        lambda: lrx.scale_by_rms(centered=True, mu_dtype=jnp.bfloat16),
        lambda: lrx.scale_by_momentum(mu_dtype=jnp.float32),
    ],
    ids=["adam", "rms_centered", "momentum"],
)
def test_real_first_moment_dtype_for_complex_params_raises(make):
    with pytest.raises(ValueError, match=r"mu_dtype=\w+ cannot hold .* imaginary part"):
        make().init(PARAMS)


@pytest.mark.parametrize(
    "make, arg",
    [
        (lambda: lrx.scale_by_adam(nu_dtype=jnp.complex64), "nu_dtype"),
        (lambda: lrx.scale_by_adagrad(nu_dtype=jnp.complex64), "nu_dtype"),
        (lambda: lrx.clip_by_global_norm(1.0 + 0.5j), "max_norm"),
        (lambda: lrx.clip_by_global_norm(jnp.asarray(1 + 1j)), "max_norm"),
        (lambda: lrx.add_decayed_weights(1e-4j), "weight_decay"),
        (lambda: lrx.scale_by_adam(b1=np.complex64(0.9 + 0.1j)), "b1"),
        (lambda: lrx.scale_by_rms(decay=0.9 + 0.1j), "decay"),
        (lambda: lrx.scale_by_learning_rate(0.1 + 0.5j), "learning_rate"),
        (lambda: lrx.scale_by_learning_rate(jnp.asarray(0.1 + 0.5j)), "learning_rate"),
    ],
)
def test_complex_where_a_real_number_is_needed_raises(make, arg):
    with pytest.raises(ValueError, match=f"^{arg} must be"):
        make()


def test_complex_update_of_real_params_is_an_error_not_a_cast():
    with pytest.raises(ValueError, match="imaginary part"):
        lrx.apply_updates(jnp.zeros(2), jnp.ones(2, jnp.complex64))
    np.testing.assert_array_equal(
        lrx.apply_updates(jnp.zeros(2, jnp.complex64), jnp.ones(2, jnp.complex64)), [1, 1]
    )
