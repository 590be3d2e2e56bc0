"""Every numeric hyperparameter on a schedule, without ``optax.inject_hyperparams``.

A schedule given for ``b1``, ``decay``, ``eps``, ``momentum``, ``weight_decay``, ... is
evaluated at the update index (the transform's count before the update, as the learning
rate), so the numbers equal ``optax.inject_hyperparams(factory)`` driven by the same
schedule. Also: the torch recipes with ``cycle_momentum=True`` (``OneCycleLR`` /
``CyclicLR`` moving SGD's momentum or Adam's ``betas[0]``) through :mod:`lrx.compat.torch`,
against golden torch trajectories (``tests/reference/gen_momentum_recipes.py``).
"""

import inspect

import chex
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.compat import torch as ltorch
from lrx.transforms._hyper import is_schedule
from lrx.transforms.adagrad import ScaleByAdagradCountState, ScaleByAdagradState
from tests.grads import JIT
from tests.reference.golden import load

N = 12  # updates per run
S = lrx.one_cycle_momentum(N)  # 0.95 -> 0.85 -> 0.95: a momentum / b1 curve
S2 = lrx.one_cycle_momentum(N, 0.99, 0.999)  # a b2 / decay curve
E = lrx.one_cycle_momentum(N, 1e-8, 1e-2)  # an eps curve
Z = lrx.one_cycle_momentum(N, 0.0, 0.2)  # dampening / weight decay / eps_root curves

# (id, factory, scheduled kwargs, constant kwargs)
CASES = [
    ("momentum_decay", lrx.scale_by_momentum, {"decay": S}, {}),
    ("momentum_dampening", lrx.scale_by_momentum, {"dampening": Z}, {"decay": 0.9}),
    ("nesterov_decay", lrx.scale_by_momentum, {"decay": S}, {"nesterov": True}),
    ("rms_decay_eps", lrx.scale_by_rms, {"decay": S2, "eps": E}, {}),
    (
        "rms_centered_bias_correction",
        lrx.scale_by_rms,
        {"decay": S},
        {"centered": True, "bias_correction": True, "initial_scale": 0.1},
    ),
    ("rms_torch_eps", lrx.scale_by_rms, {"eps": E}, {"eps_in_sqrt": False}),
    ("adagrad_eps", lrx.scale_by_adagrad, {"eps": E}, {}),
    ("adam_b1", lrx.scale_by_adam, {"b1": S}, {}),
    ("adam_b2", lrx.scale_by_adam, {"b2": S2}, {}),
    ("adam_eps_eps_root", lrx.scale_by_adam, {"eps": E, "eps_root": Z}, {}),
    ("nadam_b1", lrx.scale_by_adam, {"b1": S}, {"nesterov": True}),
    ("amsgrad_b2", lrx.scale_by_adam, {"b2": S2}, {"amsgrad": True}),
    ("sgd_momentum", lrx.sgd, {"momentum": S}, {"learning_rate": 0.1}),
    (
        "sgd_dampening_weight_decay",
        lrx.sgd,
        {"dampening": Z, "weight_decay": Z},
        {"learning_rate": 0.1, "momentum": 0.9},
    ),
    ("sgd_nesterov", lrx.sgd, {"momentum": S}, {"learning_rate": 0.1, "nesterov": True}),
    (
        "rmsprop_all",
        lrx.rmsprop,
        {"decay": S2, "eps": E, "momentum": S},
        {"learning_rate": 0.01},
    ),
    ("adam_all", lrx.adam, {"b1": S, "b2": S2, "eps": E}, {"learning_rate": 0.01}),
    ("adamw_b1_weight_decay", lrx.adamw, {"b1": S, "weight_decay": Z}, {"learning_rate": 0.01}),
    (
        "torch_sgd",
        ltorch.sgd,
        {"momentum": S, "weight_decay": Z},
        {"lr": 0.1},
    ),
    ("torch_sgd_dampening", ltorch.sgd, {"dampening": Z}, {"lr": 0.1, "momentum": 0.9}),
    ("torch_rmsprop", ltorch.rmsprop, {"alpha": S2, "eps": E, "momentum": S}, {"lr": 0.01}),
    ("torch_adagrad_eps", ltorch.adagrad, {"eps": E}, {"lr": 0.1}),
    ("torch_adamw_weight_decay", ltorch.adamw, {"weight_decay": Z}, {"lr": 0.01}),
]
IDS = [c[0] for c in CASES]
CASE = {c[0]: c[1:] for c in CASES}


def _params():
    return {"a": jnp.array([1.0, -2.0, 0.5]), "b": jnp.array([[0.3, -0.7], [1.5, 0.0]])}


def _grads(t):
    p = _params()
    return jax.tree.map(lambda x: jnp.sin(x * (t + 1.0)) + 0.1 * t * x, p)


def _run(tx, jit, steps=N):
    params = _params()
    state = tx.init(params)
    update = jax.jit(tx.update) if jit else tx.update
    out = []
    for t in range(steps):
        u, state = update(_grads(t), state, params)
        params = optax.apply_updates(params, u)
        out.append(params)
    return out, state


def _injected(factory, scheduled, constant):
    """``optax.inject_hyperparams`` with the same schedules; every other argument static,
    so that constants stay the Python numbers the direct call sees (inject_hyperparams
    turns numeric constants into float32 arrays)."""
    static = set(inspect.signature(factory).parameters) - set(scheduled)
    return optax.inject_hyperparams(factory, static_args=static)(**constant, **scheduled)


@JIT
@pytest.mark.parametrize("case_id", IDS)
def test_schedule_equals_inject_hyperparams(case_id, jit):
    factory, scheduled, constant = CASE[case_id]
    direct, _ = _run(factory(**constant, **scheduled), jit)
    injected, _ = _run(_injected(factory, scheduled, constant), jit)
    chex.assert_trees_all_equal(direct, injected)
    if not jit:  # the check can fail: the schedule's first value, held constant, differs
        frozen = {k: float(v(0)) for k, v in scheduled.items()}
        constant_run, _ = _run(factory(**constant, **frozen), jit, steps=3)
        assert _differ(direct[:3], constant_run)


def _differ(a, b):
    return any(
        not np.array_equal(x, y)
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    )


B1 = lrx.one_cycle_momentum(N, 0.85, 0.95)
# (id, torch preset with a scheduled beta, lrx optimizer, its kwargs)
TORCH_BETAS = [
    (
        "adam_beta1",
        lambda: ltorch.adam(lr=0.01, betas=(B1, 0.999)),
        lrx.adam,
        {"learning_rate": 0.01, "b1": B1},
    ),
    (
        "adam_beta2",
        lambda: ltorch.adam(lr=0.01, betas=(0.9, S2)),
        lrx.adam,
        {"learning_rate": 0.01, "b2": S2},
    ),
    (
        "adamw_beta1",
        lambda: ltorch.adamw(lr=0.01, betas=(B1, 0.999), weight_decay=0.1),
        lrx.adamw,
        {"learning_rate": 0.01, "b1": B1, "weight_decay": 0.1},
    ),
]


@pytest.mark.parametrize(
    ("build", "factory", "kwargs"), [c[1:] for c in TORCH_BETAS], ids=[c[0] for c in TORCH_BETAS]
)
def test_torch_betas_on_a_schedule_equal_inject_hyperparams(build, factory, kwargs):
    """``betas`` is a tuple (inject_hyperparams keeps it static): a scheduled entry gives
    the numbers of ``inject_hyperparams(lrx.adam)`` (or ``lrx.adamw``) with ``b1`` / ``b2``
    on that schedule."""
    scheduled = {k: v for k, v in kwargs.items() if is_schedule(v)}
    constant = {k: v for k, v in kwargs.items() if k not in scheduled}
    direct, _ = _run(build(), jit=True)
    injected, _ = _run(_injected(factory, scheduled, constant), jit=True)
    chex.assert_trees_all_equal(direct, injected)


# -- which count: the update index, as the learning rate --------------------------------------


@JIT
def test_schedule_is_evaluated_at_the_update_index(jit):
    """``eps(t) = t + 1`` at update ``t = 0, 1, ...``: ``u_t = g_t / sqrt(G_t + t + 1)``."""
    tx = lrx.scale_by_adagrad(0.0, eps=lambda count: (count + 1).astype(jnp.float32))
    state = tx.init(jnp.zeros(2))
    update = jax.jit(tx.update) if jit else tx.update
    acc = np.zeros(2)
    for t in range(4):
        g = np.array([1.0 + t, -2.0], np.float32)
        acc = acc + g * g
        u, state = update(jnp.asarray(g), state)
        np.testing.assert_allclose(u, g / np.sqrt(acc + t + 1), rtol=1e-6)
    assert int(state.count) == 4


def test_adam_bias_correction_uses_the_current_b1():
    """With a scheduled b1, ``m̂_t = m_t / (1 − b1_t^t)`` (inject_hyperparams' rule): b1 is
    0.5 at the first update and 0.9 at the second."""
    tx = lrx.scale_by_adam(b1=lambda c: jnp.where(c == 0, 0.5, 0.9), b2=0.0, eps=0.0)
    state = tx.init(jnp.zeros(1))
    _, state = tx.update(jnp.array([1.0]), state)  # m_1 = 0.5 * 1
    u, state = tx.update(jnp.array([3.0]), state)  # m_2 = 0.9 m_1 + 0.1 * 3, v_2 = 9
    m2 = 0.9 * 0.5 + 0.1 * 3.0
    np.testing.assert_allclose(u, [m2 / (1 - 0.9**2) / 3.0], rtol=1e-6)


# -- state structure, tracing, serialization, vmap --------------------------------------------


def test_state_gets_a_count_only_for_a_schedule():
    params = _params()
    plain = lrx.scale_by_adagrad().init(params)
    counted = lrx.scale_by_adagrad(eps=E).init(params)
    assert type(plain) is ScaleByAdagradState
    assert type(counted) is ScaleByAdagradCountState
    assert counted.count.dtype == jnp.int32 and int(counted.count) == 0
    # transforms that already count keep their state type
    assert type(lrx.scale_by_momentum(S).init(params)) is type(
        lrx.scale_by_momentum(0.9).init(params)
    )


@pytest.mark.parametrize("case_id", ["adagrad_eps", "adam_all", "sgd_momentum", "torch_sgd"])
def test_one_trace_and_state_roundtrips_flax_serialization(case_id):
    factory, scheduled, constant = CASE[case_id]
    tx = factory(**constant, **scheduled)
    traces = []

    @jax.jit
    def step(g, state, params):
        traces.append(None)
        return tx.update(g, state, params)

    params = _params()
    state = tx.init(params)
    for t in range(3):
        _, state = step(_grads(t), state, params)
    assert len(traces) == 1
    assert all(isinstance(x, jax.Array) for x in jax.tree.leaves(state))
    restored = flax.serialization.from_bytes(tx.init(params), flax.serialization.to_bytes(state))
    chex.assert_trees_all_equal(restored, state)
    # the restored state continues as the original does
    chex.assert_trees_all_equal(step(_grads(3), restored, params), step(_grads(3), state, params))


def test_vmap_over_a_schedule_field_equals_the_loop():
    """The schedule is a pytree: vmap over its ``base_momentum`` (momentum and b1)."""
    bases = jnp.array([0.5, 0.85])

    def final(base):
        s = lrx.one_cycle_momentum(N, base_momentum=base)
        txs = (lrx.sgd(0.1, momentum=s), lrx.adam(0.01, b1=s), ltorch.sgd(0.1, momentum=s))
        return [_run(tx, jit=False, steps=4)[0][-1] for tx in txs]

    batched = jax.jit(jax.vmap(final))(bases)
    for i, base in enumerate(bases.tolist()):
        chex.assert_trees_all_close(
            jax.tree.map(lambda x, i=i: x[i], batched), final(base), rtol=1e-6
        )


# -- validation ------------------------------------------------------------------------------


def test_a_schedule_is_not_range_checked_but_a_constant_is():
    lrx.scale_by_adam(b1=lambda c: 1.5)  # a schedule's values are not checked
    lrx.sgd(0.1, momentum=lambda c: 2.0, nesterov=True)
    with pytest.raises(ValueError, match="b1 must be"):
        lrx.scale_by_adam(b1=1.5)
    with pytest.raises(ValueError, match="momentum must be"):
        lrx.sgd(0.1, momentum=2.0)
    with pytest.raises(ValueError, match=r"betas\[0\] must be"):
        ltorch.adam(betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="dampening needs a momentum"):
        lrx.sgd(0.1, dampening=Z)


def test_a_complex_schedule_value_raises():
    tx = lrx.scale_by_momentum(lambda c: jnp.asarray(0.5 + 0.5j))
    with pytest.raises(ValueError, match="decay must be real"):
        tx.update(jnp.ones(2), tx.init(jnp.zeros(2)))


# -- torch's cycle_momentum recipes, end to end through lrx.compat.torch ----------------------

GOLDEN = load("momentum_recipes")
RECIPES = {r["id"]: r for r in GOLDEN["recipes"]}


def _recipe_run(recipe):
    tx = eval(recipe["lrx"], {"lrx": lrx, "ltorch": ltorch})  # the committed call
    a = jnp.asarray(GOLDEN["A"], jnp.float32)
    b = jnp.asarray(GOLDEN["b"], jnp.float32)

    def step(carry, _):
        x, state = carry
        updates, state = tx.update(a @ x - b, state, x)
        x = optax.apply_updates(x, updates)
        return (x, state), x

    x = jnp.asarray(GOLDEN["x0"], jnp.float32)
    run = jax.jit(lambda x: jax.lax.scan(step, (x, tx.init(x)), length=len(recipe["params"])))
    _, out = run(x)
    return np.array(out)


@pytest.mark.parametrize("recipe_id", sorted(RECIPES))
def test_cycle_momentum_recipe_matches_torch_golden(recipe_id):
    """torch's optimizer + OneCycleLR / CyclicLR at cycle_momentum=True, float64, against
    the lrx.compat.torch preset with the momentum schedule, float32: max deviation over
    all updates 1.2e-6 (measured: SGD+OneCycleLR 1.2e-6, SGD+CyclicLR 6.9e-7, Adam 2.9e-7,
    AdamW 3.2e-7, RMSprop 5.1e-7)."""
    recipe = RECIPES[recipe_id]
    np.testing.assert_allclose(_recipe_run(recipe), recipe["params"], rtol=0, atol=2e-6)


def test_constant_momentum_would_not_match():
    """The check can fail: SGD + OneCycleLR with the momentum left at 0.9."""
    recipe = dict(RECIPES["sgd_one_cycle"])
    recipe["lrx"] = "ltorch.sgd(lr=lrx.one_cycle(0.1, 100), momentum=0.9)"
    gap = np.max(np.abs(_recipe_run(recipe) - np.array(RECIPES["sgd_one_cycle"]["params"])))
    assert gap > 1e-2


@pytest.mark.parity
@pytest.mark.parametrize("recipe_id", sorted(RECIPES))
def test_cycle_momentum_recipe_matches_torch_live(recipe_id):
    pytest.importorskip("torch")
    from tests.reference import gen_momentum_recipes as gen

    recipe = RECIPES[recipe_id]
    want = gen.recipe(
        recipe["optimizer"],
        recipe["optimizer_kwargs"],
        recipe["scheduler"],
        recipe["kwargs"],
        len(recipe["params"]),
    )
    np.testing.assert_allclose(_recipe_run(recipe), want, rtol=0, atol=2e-6)
