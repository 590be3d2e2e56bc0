"""Tests of lrx.sgd / adagrad / rmsprop / adam / adamw and hyperparameter validation.

References: the plain update ``θ_{t+1} = θ_t − η ∇J(θ_t)`` of article 003 (4.1) and
article 004 (learning-rate basics);
torch.optim.SGD's L2 weight decay and momentum with the learning rate applied to the
buffer (lrx.testing.reference.momentum); decoupled weight decay as optax.adamw.
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrx
from lrx.testing import assert_trajectories_close, reference, reference_trajectory, trajectory
from tests.grads import JIT, make_grads, stack

GRADS = make_grads(12, seed=4)
W0 = {"w": jnp.linspace(-1.0, 1.0, 6).reshape(3, 2), "b": jnp.array([0.5, -0.5])}


def _run(opt, grads=GRADS, jit=True):
    """The lrx.testing trajectory of ``opt`` from ``W0``."""
    return trajectory(opt, W0, stack(grads), jit=jit)


def _lr(t):
    return 0.1 * 0.8**t


@JIT
def test_plain_sgd_is_article_update(jit):
    """003 §4.1 / 004: θ_{t+1} = θ_t − η ∇J(θ_t)."""
    desired = reference_trajectory(
        reference.momentum, W0, stack(GRADS), learning_rate=0.05, momentum=0.0
    )
    assert_trajectories_close(_run(lrx.sgd(0.05), jit=jit), desired, rtol=1e-6, atol=1e-7)


@JIT
def test_momentum_schedule_multiplies_the_buffer(jit):
    """torch semantics: buf accumulates g + λθ; θ −= η_t buf (η_t a schedule)."""
    actual = _run(lrx.sgd(lrx.from_fn(_lr), momentum=0.9, weight_decay=0.01), jit=jit)
    desired = reference_trajectory(
        reference.momentum, W0, stack(GRADS), learning_rate=_lr, momentum=0.9, weight_decay=0.01
    )
    assert_trajectories_close(actual, desired, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(actual.learning_rates, desired.learning_rates, rtol=1e-6)
    np.testing.assert_allclose(actual.learning_rates[-1], _lr(len(GRADS) - 1), rtol=1e-6)


def test_sgd_nesterov_matches_torch_buffer():
    desired = reference_trajectory(
        reference.momentum, W0, stack(GRADS), learning_rate=0.1, momentum=0.9, nesterov=True
    )
    actual = _run(lrx.sgd(0.1, momentum=0.9, nesterov=True))
    assert_trajectories_close(actual, desired, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "learning_rate",
    [0.01, jnp.asarray(0.01), lrx.constant(0.01), lambda count: 0.01 * jnp.ones([])],
    ids=["float", "array", "schedule", "callable"],
)
@pytest.mark.parametrize("name", ["sgd", "adagrad", "rmsprop", "adam", "adamw"])
def test_every_learning_rate_kind(name, learning_rate):
    """Float, array, Schedule and callable learning rates give the same trajectory."""
    opt = getattr(lrx, name)(learning_rate)
    ref = getattr(lrx, name)(0.01)
    path = _run(opt, GRADS[:3])
    assert_trajectories_close(path, _run(ref, GRADS[:3]), rtol=1e-6, atol=0.0)
    np.testing.assert_allclose(path.learning_rates, 0.01, rtol=1e-6)


def test_adam_optimizer_is_scale_by_adam_times_minus_lr():
    desired = reference_trajectory(
        reference.adam, W0, stack(GRADS), learning_rate=0.02, b1=0.8, amsgrad=True
    )
    actual = _run(lrx.adam(0.02, b1=0.8, amsgrad=True))
    assert_trajectories_close(actual, desired, rtol=1e-5, atol=1e-8)


def test_adamw_equals_optax_adamw_with_mask():
    mask = {"w": True, "b": False}
    opt = lrx.adamw(0.01, weight_decay=0.1, mask=mask)
    ref = optax.adamw(0.01, weight_decay=0.1, mask=mask)
    path = _run(opt)
    with jax.numpy_dtype_promotion("standard"):  # optax's bias correction
        ref_path = _run(ref)
    assert_trajectories_close(path, ref_path, rtol=2e-5, atol=1e-6)


def test_adamw_decay_is_decoupled_from_adam_normalisation():
    """With zero gradients Adam's part is 0, so θ shrinks by exactly (1 − η λ) per step."""
    opt = lrx.adamw(0.1, weight_decay=0.5)
    zeros = [jax.tree.map(jnp.zeros_like, W0)] * 3
    path = _run(opt, zeros)
    final = jax.tree.map(lambda p: p[-1], path.params)
    chex.assert_trees_all_close(final, jax.tree.map(lambda p: np.asarray(p) * 0.95**3, W0))


def test_adagrad_and_rmsprop_optimizers_chain_the_transforms():
    """adagrad = scale_by_adagrad then -η; rmsprop = scale_by_rms, -η, then the momentum
    buffer (optax.rmsprop's order: the buffer accumulates learning-rate scaled steps)."""
    cases = [
        (
            lrx.adagrad(0.1),
            lrx.chain(
                lrx.scale_by_adagrad(initial_accumulator_value=0.1, eps=1e-7, eps_in_sqrt=True),
                optax.scale(-0.1),
            ),
        ),
        (
            lrx.rmsprop(0.1, 0.8, momentum=0.5, nesterov=True),
            lrx.chain(
                lrx.scale_by_rms(decay=0.8, eps=1e-8, eps_in_sqrt=True),
                optax.scale(-0.1),
                lrx.scale_by_momentum(decay=0.5, nesterov=True),
            ),
        ),
    ]
    for opt, tx in cases:
        s, ts = opt.init(W0), tx.init(W0)
        for g in GRADS[:4]:
            u, s = opt.update(g, s)
            tu, ts = tx.update(g, ts)
            chex.assert_trees_all_close(u, tu, rtol=1e-6)


def test_sgd_momentum_none_keeps_no_buffer_and_any_number_keeps_one():
    """optax.sgd's rule: ``None`` = plain SGD; a number, 0 included, keeps a buffer, so the
    chain never depends on a numeric value (inject_hyperparams, vmap)."""
    leaves = lambda tx: len(jax.tree.leaves(tx.init(W0)))  # noqa: E731
    assert leaves(lrx.sgd(0.1)) == 3  # the learning-rate state: count, last and next rate
    assert leaves(lrx.sgd(0.1, 0.0)) > leaves(lrx.sgd(0.1))
    u0, _ = lrx.sgd(0.1, 0.0).update(GRADS[0], lrx.sgd(0.1, 0.0).init(W0))
    u1, _ = lrx.sgd(0.1).update(GRADS[0], lrx.sgd(0.1).init(W0))
    chex.assert_trees_all_equal(u0, u1)


def test_weight_decay_without_params():
    """A concrete 0 needs no params; a concrete non-zero value raises; a traced one cannot be
    read without a host sync: 0 passes, non-zero turns the update into NaN (never a silent
    missing decay)."""
    g = {"w": jnp.ones(2)}
    params = {"w": jnp.full(2, 2.0)}
    for opt in (lrx.sgd(0.1), lrx.adamw(0.1, weight_decay=0.0)):
        opt.update(g, opt.init(params))  # no params needed
    opt = lrx.sgd(0.1, weight_decay=0.5)
    with pytest.raises(ValueError, match=r"weight_decay=0\.5 reads the parameters"):
        opt.update(g, opt.init(params))

    @jax.jit
    def step(wd):
        tx = lrx.sgd(0.1, weight_decay=wd)
        return tx.update(g, tx.init(params))[0]["w"]

    # a traced weight decay may be non-zero: without params it is a clear error at trace
    # time (never NaN updates), whatever its value
    for wd in (0.0, 0.5):
        with pytest.raises(ValueError, match="weight_decay is traced"):
            step(jnp.float32(wd))

    @jax.jit
    def step_with_params(wd):
        tx = lrx.sgd(0.1, weight_decay=wd)
        return tx.update(g, tx.init(params), params)[0]["w"]

    np.testing.assert_allclose(step_with_params(jnp.float32(0.5)), [-0.2, -0.2], rtol=1e-6)


def test_adamw_weight_decay_schedule_as_optax():
    """optax.adamw takes a schedule as weight_decay; so does lrx.adamw."""
    wd = optax.linear_schedule(0.1, 0.0, 5)
    path = _run(lrx.adamw(0.01, weight_decay=wd), GRADS[:6])
    with jax.numpy_dtype_promotion("standard"):
        ref = _run(optax.adamw(0.01, weight_decay=wd), GRADS[:6])
    assert_trajectories_close(path, ref, rtol=2e-5, atol=1e-6)


# -- validation ---------------------------------------------------------------------------

BAD = [
    # (factory, kwargs, argument named in the message)
    (lrx.scale_by_momentum, dict(decay=-0.1), "decay"),
    (lrx.scale_by_momentum, dict(decay=1.5), "decay"),
    (lrx.scale_by_momentum, dict(dampening=2.0), "dampening"),
    (lrx.scale_by_momentum, dict(decay=float("nan")), "decay"),
    (lrx.scale_by_momentum, dict(nesterov="yes"), "nesterov"),
    (lrx.scale_by_momentum, dict(decay=0.0, nesterov=True), "nesterov"),
    (lrx.scale_by_adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (lrx.scale_by_adagrad, dict(eps=-1e-10), "eps"),
    (lrx.scale_by_adagrad, dict(eps_in_sqrt=1), "eps_in_sqrt"),
    (lrx.scale_by_rms, dict(decay=1.1), "decay"),
    (lrx.scale_by_rms, dict(decay=-0.5), "decay"),
    (lrx.scale_by_rms, dict(eps=-1.0), "eps"),
    (lrx.scale_by_rms, dict(initial_scale=-0.1), "initial_scale"),
    (lrx.scale_by_rms, dict(centered=None), "centered"),
    (lrx.scale_by_rms, dict(decay=1.0, bias_correction=True), "decay"),
    (lrx.scale_by_adam, dict(b1=1.0), "b1"),
    (lrx.scale_by_adam, dict(b1=-0.1), "b1"),
    (lrx.scale_by_adam, dict(b2=1.0), "b2"),
    (lrx.scale_by_adam, dict(b2=float("inf")), "b2"),
    (lrx.scale_by_adam, dict(eps=-1e-8), "eps"),
    (lrx.scale_by_adam, dict(eps_root=-1e-8), "eps_root"),
    (lrx.scale_by_adam, dict(amsgrad="no"), "amsgrad"),
    (lrx.scale_by_adam, dict(mu_dtype=jnp.int32), "mu_dtype"),
    (lrx.scale_by_adam, dict(mu_dtype="not-a-dtype"), "mu_dtype"),
    (lrx.sgd, dict(learning_rate=-0.1), "learning_rate"),
    (lrx.sgd, dict(learning_rate=float("nan")), "learning_rate"),
    (lrx.sgd, dict(learning_rate=0.1, momentum=-0.9), "momentum"),
    (lrx.sgd, dict(learning_rate=0.1, nesterov=True), "nesterov"),
    (lrx.sgd, dict(learning_rate=0.1, weight_decay=-1.0), "weight_decay"),
    (lrx.sgd, dict(learning_rate=0.1, momentum=0.9, dampening=1.5), "dampening"),
    (lrx.sgd, dict(learning_rate=0.1, dampening=0.5), "dampening"),
    (lrx.sgd, dict(learning_rate=0.1, momentum=None, nesterov=True), "nesterov"),
    (lrx.sgd, dict(learning_rate=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (lrx.adagrad, dict(learning_rate=0.1, initial_accumulator_value=-0.1), "initial_accumulator"),
    (lrx.rmsprop, dict(learning_rate=0.1, eps_in_sqrt="yes"), "eps_in_sqrt"),
    (lrx.rmsprop, dict(learning_rate=0.1, initial_scale=-1.0), "initial_scale"),
    (lrx.adam, dict(learning_rate=0.1, mu_dtype=jnp.int8), "mu_dtype"),
    (lrx.adamw, dict(learning_rate=0.1, weight_decay=float("inf")), "weight_decay"),
    (lrx.adagrad, dict(learning_rate=-1.0), "learning_rate"),
    (lrx.adagrad, dict(learning_rate=0.1, eps=-1.0), "eps"),
    (lrx.rmsprop, dict(learning_rate=0.1, momentum=1.5), "momentum"),
    (lrx.rmsprop, dict(learning_rate=0.1, decay=2.0), "decay"),
    (lrx.rmsprop, dict(learning_rate=0.1, nesterov=True), "nesterov"),
    (lrx.adam, dict(learning_rate=jnp.inf), "learning_rate"),
    (lrx.adam, dict(learning_rate=0.1, b1=1.2), "b1"),
    (lrx.adamw, dict(learning_rate=0.1, weight_decay=-0.01), "weight_decay"),
    (lrx.adamw, dict(learning_rate=0.1, b2=-0.1), "b2"),
    (lrx.scale_by_learning_rate, dict(learning_rate=-0.5), "learning_rate"),
    (lrx.scale_by_learning_rate, dict(learning_rate="fast"), "learning_rate"),
    (lrx.scale_by_learning_rate, dict(learning_rate=jnp.ones(2)), "learning_rate"),
    (lrx.scale_by_learning_rate, dict(learning_rate=0.1, flip_sign=0), "flip_sign"),
]


@pytest.mark.parametrize(
    "factory, kwargs, arg", BAD, ids=[f"{f.__name__}-{a}-{i}" for i, (f, _, a) in enumerate(BAD)]
)
def test_bad_hyperparameters_raise_naming_the_argument(factory, kwargs, arg):
    with pytest.raises(ValueError, match=arg) as info:
        factory(**kwargs)
    value = [v for k, v in kwargs.items() if k == arg]
    if value and isinstance(value[0], float) and value[0] == value[0]:  # not NaN
        assert repr(value[0]) in str(info.value) or str(value[0]) in str(info.value)


# -- property: finite outputs for finite inputs -----------------------------------------

_unit = st.floats(0.0, 0.999)
_eps = st.sampled_from([0.0, 1e-10, 1e-8, 1e-3])


@st.composite
def _transforms(draw):
    kind = draw(st.sampled_from(["momentum", "adagrad", "rms", "adam"]))
    if kind == "momentum":
        return lrx.scale_by_momentum(draw(_unit), dampening=draw(st.floats(0.0, 1.0)))
    if kind == "adagrad":
        return lrx.scale_by_adagrad(
            initial_accumulator_value=draw(st.floats(0.0, 1.0)),
            eps=draw(_eps),
            eps_in_sqrt=draw(st.booleans()),
        )
    if kind == "rms":
        return lrx.scale_by_rms(
            draw(_unit),
            eps=draw(_eps),
            eps_in_sqrt=draw(st.booleans()),
            centered=draw(st.booleans()),
            bias_correction=draw(st.booleans()),
        )
    return lrx.scale_by_adam(
        draw(_unit),
        draw(_unit),
        eps=draw(_eps),
        eps_root=draw(_eps),
        nesterov=draw(st.booleans()),
        amsgrad=draw(st.booleans()),
        bias_correction=draw(st.booleans()),
    )


@settings(max_examples=30)
@given(
    tx=_transforms(),
    exponents=st.lists(st.integers(-15, 15), min_size=3, max_size=3),
    signs=st.lists(st.sampled_from([-1.0, 0.0, 1.0]), min_size=3, max_size=3),
)
def test_finite_outputs_for_finite_inputs(tx, exponents, signs):
    state = tx.init(jnp.zeros(2))
    for e, s in zip(exponents, signs, strict=True):
        g = jnp.asarray([s * 10.0**e, -s * 10.0 ** (-e)], jnp.float32)
        u, state = tx.update(g, state)
        assert np.all(np.isfinite(np.asarray(u))), (u, g)
