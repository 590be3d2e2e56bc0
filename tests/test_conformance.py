"""Conformance suite: every public transform, optimizer and preset passes the same checks.

jit equals no-jit; output and state dtypes preserved for bfloat16/float16/float32/float64
and complex64; no retrace on the second call; ``jax.eval_shape(tx.init, ShapeDtypeStruct)``
works; the state is arrays only and round-trips flax.serialization; extra kwargs pass
through ``optax.chain`` (GradientTransformationExtraArgs).

Hyperparameters are data (every factory with numeric arguments, tests/hyper_cases.py):
``optax.inject_hyperparams`` equals the direct call; ``jax.vmap`` over every numeric
hyperparameter at once equals the loop of single runs; ``jit`` with the hyperparameters as
arguments traces once for new values.

To add a transform, append ``(id, factory)`` to ``CASES`` and, when it has numeric
arguments, ``(id, factory, kwargs, static_args)`` to ``tests/hyper_cases.CASES`` -- or, for a
new area, write a module in ``tests/cases/`` (read by tests/cases/__init__.py).
"""

import chex
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
import lrx.testing as testing
from tests import cases as area_cases
from tests import hyper_cases

CASES = [
    ("scale_by_momentum", lambda: lrx.scale_by_momentum(0.9)),
    ("scale_by_momentum_dampening", lambda: lrx.scale_by_momentum(0.8, dampening=0.3)),
    ("scale_by_momentum_nesterov", lambda: lrx.scale_by_momentum(0.9, nesterov=True)),
    ("scale_by_adagrad", lambda: lrx.scale_by_adagrad(initial_accumulator_value=0.1)),
    ("scale_by_adagrad_eps_in_sqrt", lambda: lrx.scale_by_adagrad(eps_in_sqrt=True)),
    ("scale_by_rms", lambda: lrx.scale_by_rms(0.9)),
    (
        "scale_by_rms_centered_bias",
        # s_0 > 0: with s_0 = 0 the first corrected centered variance is exactly 0 (g / eps)
        lambda: lrx.scale_by_rms(
            0.9, centered=True, bias_correction=True, eps_in_sqrt=True, initial_scale=1.0
        ),
    ),
    ("scale_by_adam", lambda: lrx.scale_by_adam()),
    ("scale_by_adam_eps_root", lambda: lrx.scale_by_adam(eps=0.0, eps_root=1e-8)),
    ("scale_by_adam_nesterov_amsgrad", lambda: lrx.scale_by_adam(nesterov=True, amsgrad=True)),
    ("scale_by_adam_mu_bf16", lambda: lrx.scale_by_adam(mu_dtype=jnp.bfloat16)),
    (
        "scale_by_learning_rate_constant",
        lambda: lrx.scale_by_learning_rate(lrx.constant(0.1)),
    ),
    (
        "scale_by_learning_rate_schedule",
        lambda: lrx.scale_by_learning_rate(lrx.step_decay(0.1, step_size=1, gamma=0.5)),
    ),
    (
        "scale_by_schedule_constant",
        lambda: lrx.scale_by_schedule(lrx.constant(0.5)),
    ),
    (
        "scale_by_schedule_step_decay",
        lambda: lrx.scale_by_schedule(lrx.step_decay(1.0, step_size=2)),
    ),
    ("sgd", lambda: lrx.sgd(0.1)),
    ("sgd_momentum_wd", lambda: lrx.sgd(0.1, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    ("adagrad", lambda: lrx.adagrad(0.1)),
    ("rmsprop", lambda: lrx.rmsprop(0.01, momentum=0.9, centered=True)),
    ("adam", lambda: lrx.adam(lrx.step_decay(1e-3, step_size=2))),
    ("adamw", lambda: lrx.adamw(1e-3, weight_decay=1e-2, mask={"w": True, "b": False})),
    ("reduce_on_plateau", lambda: lrx.reduce_on_plateau(patience=0)),
    ("adam_plateau", lambda: lrx.chain(lrx.adam(1e-3), lrx.reduce_on_plateau(cooldown=1))),
    (
        "partition",
        lambda: lrx.partition(
            {"w": lrx.adam(1e-3), "b": lrx.sgd(0.1, momentum=0.9)},
            patterns={"w": "w", "**": "b"},
        ),
    ),
    (
        "layerwise_decay",
        lambda: lrx.layerwise_decay(lrx.adam, lrx.warmup_cosine(1e-3, 2, 10), 0.5, ["b", "w"]),
    ),
    ("skip_nonfinite", lambda: lrx.skip_nonfinite(lrx.adam(1e-3), max_consecutive=2)),
    ("torch_sgd", lambda: lrx.compat.torch.sgd(lr=0.1, momentum=0.9, dampening=0.1)),
    ("torch_adagrad", lambda: lrx.compat.torch.adagrad(lr=0.1, lr_decay=0.01)),
    ("torch_rmsprop", lambda: lrx.compat.torch.rmsprop(lr=0.01, centered=True, momentum=0.5)),
    ("torch_adam", lambda: lrx.compat.torch.adam(lr=1e-3, amsgrad=True, weight_decay=0.1)),
    ("torch_adamw", lambda: lrx.compat.torch.adamw(lr=lrx.one_cycle(1e-3, 10))),
    ("add_decayed_weights", lambda: lrx.add_decayed_weights(1e-2)),
    ("clip_by_global_norm", lambda: lrx.clip_by_global_norm(0.5)),
    *area_cases.CASES,  # tests/cases/*.py: one module per area
]

IDS = [c[0] for c in CASES]
FACTORIES = [c[1] for c in CASES]
DTYPES = [jnp.bfloat16, jnp.float16, jnp.float32, "float64", jnp.complex64]


def _params(dtype=jnp.float32):
    params = hyper_cases.params(jnp.float32)
    if jnp.issubdtype(dtype, jnp.complexfloating):  # a non-zero imaginary part
        params = jax.tree.map(lambda p: p.astype(dtype), params)
        return jax.tree.map(lambda p: p + 0.5j * p[::-1], params)
    return jax.tree.map(lambda p: p.astype(dtype), params)


def _grads(step, dtype=jnp.float32):
    rng = np.random.default_rng(step)
    g = {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=(2,))}
    if jnp.issubdtype(dtype, jnp.complexfloating):
        g = {k: v + 1j * rng.normal(size=v.shape) for k, v in g.items()}
    return {k: jnp.asarray(v, dtype) for k, v in g.items()}


def _run(tx, update, dtype=jnp.float32, steps=3):
    params = _params(dtype)
    state = tx.init(params)
    outs = []
    for i in range(steps):
        u, state = update(_grads(i, dtype), state, params)
        params = optax.apply_updates(params, u)
        outs.append(u)
    return outs, state


def _dtypes(tree):
    return [jnp.asarray(x).dtype for x in jax.tree.leaves(tree)]


@pytest.mark.parametrize("factory", FACTORIES, ids=IDS)
def test_jit_equals_no_jit(factory, request):
    tx = factory()
    outs, state = _run(tx, tx.update)
    jit_outs, jit_state = _run(tx, jax.jit(tx.update))
    # XLA fuses differently under jit. Centered RMSprop with momentum divides by
    # sqrt(s - m^2), which amplifies a 1-ulp difference to ~30 ulp in the buffer (2.6e-6
    # relative seen), so that case gets the project's parity tolerance (rtol 1e-5).
    rtol = 1e-5 if "torch_rmsprop" in request.node.name else 1e-6
    chex.assert_trees_all_close(jit_outs, outs, rtol=rtol, atol=1e-7)
    chex.assert_trees_all_close(jit_state, state, rtol=rtol, atol=1e-7)
    # The whole run compiled as one lax.scan (lrx.testing) equals the eager loop too. Params
    # are sums of O(1) values (a bare scale_by_adam steps ~1 per leaf), so a param that
    # cancels to ~0 carries the float32 rounding of its terms: atol 4 ulp(1).
    grads = jax.tree.map(lambda *g: jnp.stack(g), *[_grads(i) for i in range(3)])
    testing.assert_trajectories_close(
        testing.trajectory(tx, _params(), grads, jit=True),
        testing.trajectory(tx, _params(), grads, jit=False),
        rtol=rtol,
        atol=4 * float(jnp.finfo(jnp.float32).eps),
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=["bf16", "f16", "f32", "f64", "c64"])
@pytest.mark.parametrize("factory", FACTORIES, ids=IDS)
def test_dtypes_preserved_and_finite(factory, dtype, request):
    if dtype == jnp.complex64 and "mu_bf16" in request.node.name:
        with pytest.raises(ValueError, match="mu_dtype"):  # would drop the imaginary part
            factory().init(_params(dtype))
        return
    if dtype == jnp.complex64 and IDS[FACTORIES.index(factory)] in area_cases.NO_COMPLEX:
        with pytest.raises(ValueError, match="complex"):  # no complex version by its authors
            factory().init(_params(dtype))
        return

    def check(dt):
        tx = factory()
        init_state = tx.init(_params(dt))
        outs, state = _run(tx, tx.update, dt)
        for u in outs:
            assert _dtypes(u) == [jnp.dtype(dt)] * 2
            chex.assert_tree_all_finite(u)
        assert _dtypes(state) == _dtypes(init_state)
        # No NaN anywhere in the state. Infinities are legitimate in a few bookkeeping
        # leaves (a plateau's best metric starts at +inf before any observation).
        for leaf in jax.tree.leaves(state):
            assert not bool(jnp.any(jnp.isnan(leaf))), state
        for leaf in jax.tree.leaves(init_state):
            # moments mirror params; counts int32; plateau scale/hyperparameters float32;
            # flags bool
            assert leaf.dtype in (jnp.dtype(dt), jnp.int32, jnp.float32, jnp.bfloat16, jnp.bool_)
            # (a complex parameter's second moment |g|^2 may be kept real)

    if dtype == "float64":
        with jax.enable_x64(True):
            check(jnp.float64)
    else:
        check(dtype)


@pytest.mark.parametrize("factory", FACTORIES, ids=IDS)
def test_no_retrace_on_second_call(factory):
    tx = factory()
    chex.clear_trace_counter()

    @jax.jit
    @chex.assert_max_traces(n=1)
    def step(g, state, params):
        return tx.update(g, state, params)

    params = _params()
    state = tx.init(params)
    for i in range(3):
        _, state = step(_grads(i), state, params)


@pytest.mark.parametrize("factory", FACTORIES, ids=IDS)
def test_eval_shape_init(factory):
    tx = factory()
    params = _params()
    abstract = jax.eval_shape(
        tx.init, jax.tree.map(lambda p: jax.ShapeDtypeStruct(p.shape, p.dtype), params)
    )
    concrete = tx.init(params)
    assert jax.tree.structure(abstract) == jax.tree.structure(concrete)
    for a, c in zip(jax.tree.leaves(abstract), jax.tree.leaves(concrete), strict=True):
        assert (a.shape, a.dtype) == (c.shape, c.dtype)


@pytest.mark.parametrize("factory", FACTORIES, ids=IDS)
def test_state_is_arrays_and_roundtrips_flax_serialization(factory):
    tx = factory()
    params = _params()
    _, state = _run(tx, tx.update)
    assert all(isinstance(x, jax.Array) for x in jax.tree.leaves(state))
    assert jax.tree.leaves(state) or jax.tree.structure(state).num_leaves == 0
    data = flax.serialization.to_bytes(state)
    restored = flax.serialization.from_bytes(tx.init(params), data)
    assert jax.tree.structure(restored) == jax.tree.structure(state)
    chex.assert_trees_all_equal(restored, state)
    # the restored state continues exactly like the original
    u1, _ = tx.update(_grads(7), state, params)
    u2, _ = tx.update(_grads(7), restored, params)
    chex.assert_trees_all_equal(u1, u2)


@pytest.mark.parametrize("factory", FACTORIES, ids=IDS)
def test_extra_kwargs_pass_through_chain(factory):
    tx = factory()
    chained = optax.chain(tx, optax.identity())
    assert isinstance(chained, optax.GradientTransformationExtraArgs)
    params = _params()
    state = chained.init(params)
    u, new_state = chained.update(_grads(0), state, params, some_metric=1.0, value=0.5)
    ref_u, _ = tx.update(_grads(0), tx.init(params), params)
    chex.assert_trees_all_close(u, ref_u)
    assert jax.tree.structure(new_state) == jax.tree.structure(state)


# -- hyperparameters are data ---------------------------------------------------------------

HYPER = hyper_cases.CASES
HYPER_IDS = hyper_cases.IDS
HYPER_STEPS = 3


def _updates(tx, steps=HYPER_STEPS):
    """The updates of ``steps`` steps from ``init`` (traceable: runs under vmap)."""
    params = _params()
    state = tx.init(params)
    outs = []
    for i in range(steps):
        u, state = tx.update(_grads(i), state, params)
        params = optax.apply_updates(params, u)
        outs.append(u)
    return outs


def _split(factory, kwargs, static):
    numeric = hyper_cases.numeric_args(factory, kwargs, static)
    rest = {k: v for k, v in kwargs.items() if k not in numeric}
    return numeric, rest


def _other_value(name, value):
    """A second valid value for a hyperparameter: ints + 1, floats halved."""
    if isinstance(value, int):
        return value + 1
    return value * 0.5


@pytest.mark.parametrize(("factory", "kwargs", "static"), [c[1:] for c in HYPER], ids=HYPER_IDS)
def test_inject_hyperparams_equals_direct(factory, kwargs, static):
    """Eager, so the injected values are concrete arrays (tests/test_inject.py runs the
    jitted, traced version over 20 steps)."""
    injected = optax.inject_hyperparams(factory, static_args=static)(**kwargs)
    grads = jax.tree.map(lambda *g: jnp.stack(g), *[_grads(i) for i in range(HYPER_STEPS)])
    # lrx.testing: the params and updates of every step (a failure names step and leaf)
    testing.assert_trajectories_close(
        testing.trajectory(injected, _params(), grads, jit=False),
        testing.trajectory(factory(**kwargs), _params(), grads, jit=False),
        rtol=1e-5,
        atol=1e-7,
    )


@pytest.mark.parametrize(("factory", "kwargs", "static"), [c[1:] for c in HYPER], ids=HYPER_IDS)
def test_vmap_over_every_numeric_hyperparameter_equals_the_loop(factory, kwargs, static):
    """All numeric hyperparameters batched at once (two configurations): the factory is
    called under ``vmap`` with tracers, init included, and gives the single runs' numbers."""
    numeric, rest = _split(factory, kwargs, static)
    configs = [numeric, {k: _other_value(k, v) for k, v in numeric.items()}]
    batched = {
        k: jnp.asarray([c[k] for c in configs], jnp.int32 if isinstance(v, int) else jnp.float32)
        for k, v in numeric.items()
    }
    got = jax.vmap(lambda hp: _updates(factory(**rest, **hp)))(batched)
    for i, config in enumerate(configs):
        want = _updates(factory(**rest, **config))
        chex.assert_trees_all_close(
            jax.tree.map(lambda x, i=i: x[i], got), want, rtol=1e-5, atol=1e-7
        )


@pytest.mark.parametrize(("factory", "kwargs", "static"), [c[1:] for c in HYPER], ids=HYPER_IDS)
def test_jit_with_hyperparameters_as_arguments_traces_once(factory, kwargs, static):
    numeric, rest = _split(factory, kwargs, static)
    chex.clear_trace_counter()

    @jax.jit
    @chex.assert_max_traces(n=1)
    def step(hp, g, state, params):
        return factory(**rest, **hp).update(g, state, params)

    def arrays(config):
        return {
            k: jnp.asarray(v, jnp.int32 if isinstance(v, int) else jnp.float32)
            for k, v in config.items()
        }

    params = _params()
    state = factory(**rest, **arrays(numeric)).init(params)
    _, state = step(arrays(numeric), _grads(0), state, params)
    other = {k: _other_value(k, v) for k, v in numeric.items()}
    u, _ = step(arrays(other), _grads(1), state, params)
    want, _ = factory(**rest, **arrays(other)).update(_grads(1), state, params)
    chex.assert_trees_all_close(u, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("factory", FACTORIES, ids=IDS)
def test_donated_training_step(factory):
    """A training step that donates params and state runs: no state leaf shares a buffer
    with the params it was built from (``init`` copies what it keeps, e.g. ``x0``)."""
    tx = factory()
    params = _params()

    def step(p, s, g):
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s

    donated = jax.jit(step, donate_argnums=(0, 1))
    p, s = params, tx.init(params)
    for i in range(2):
        p, s = donated(p, s, _grads(i))
    chex.assert_tree_all_finite(p)
