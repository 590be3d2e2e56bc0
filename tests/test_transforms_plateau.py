"""Tests for ``lrx.reduce_on_plateau`` and ``lrx.observe``.

Reference: torch ``ReduceLROnPlateau`` (golden values in tests/reference/plateau.json,
made by tests/reference/gen_plateau.py, plus live runs when torch is installed), the
scheduler described in article 002 ("ReduceLROnPlateau - 自适应平台衰减":
lower the learning rate only when the validation metric stops improving) and recommended on
top of Adam in article 000 ("自适应学习率 + 学习率调度 ... Reduce on Plateau").
The mapping is ``lr = base_lr * scale``, ``min_lr = base_lr * min_scale``.
"""

from __future__ import annotations

import itertools
import math

import chex
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.transforms.plateau import ReduceOnPlateauState
from tests.grads import JIT, maybe_jit
from tests.reference import golden
from tests.reference.gen_plateau import lrx_kwargs, torch_run

GOLDEN = golden.load("plateau")
CONFIGS = {c["name"]: c for c in GOLDEN["configs"]}
NAMED = list(CONFIGS)


def _numpy_plateau(
    metrics,
    *,
    factor=0.1,
    patience=10,
    threshold=1e-4,
    threshold_mode="rel",
    cooldown=0,
    min_scale=0.0,
    mode="min",
    eps=0.0,
):
    """NumPy reference in scale space, written from the rule in the module docstring."""
    best = math.inf if mode == "min" else -math.inf
    scale, bad, cd = 1.0, 0, 0
    out = []
    for a in metrics:
        if threshold_mode == "rel":
            bound = best * (1 - threshold if mode == "min" else 1 + threshold)
        else:
            bound = best - threshold if mode == "min" else best + threshold
        if (a < bound) if mode == "min" else (a > bound):
            best, bad = a, 0
        else:
            bad += 1
        if cd > 0:
            cd, bad = cd - 1, 0
        if bad > patience:
            new = max(scale * factor, min_scale)
            if scale - new > eps:
                scale = new
            cd, bad = cooldown, 0
        out.append(scale)
    return np.array(out)


@JIT
@pytest.mark.parametrize("name", NAMED)
def test_update_with_value_matches_torch(jit, name):
    cfg = CONFIGS[name]
    metrics = GOLDEN["metrics"][cfg["metric"]]
    tx = lrx.reduce_on_plateau(**cfg["lrx"])
    update = maybe_jit(jit, tx.update)
    state = tx.init(jnp.zeros(3))
    scales, bests, bad = [], [], []
    for m in metrics:
        u, state = update(jnp.ones(3), state, value=jnp.float32(m))
        # the updates are scaled by the scale that results from this observation
        chex.assert_trees_all_close(u, jnp.full(3, state.scale), rtol=0)
        scales.append(float(state.scale))
        bests.append(float(state.best))
        bad.append(int(state.num_bad_epochs))
    np.testing.assert_allclose(cfg["base_lr"] * np.array(scales), cfg["lr"], rtol=1e-5)
    np.testing.assert_allclose(bests, cfg["best"], rtol=1e-6)
    np.testing.assert_array_equal(bad, cfg["num_bad_epochs"])
    assert int(state.count) == len(metrics)


@JIT
@pytest.mark.parametrize("name", NAMED)
def test_observe_with_per_step_updates_matches_torch(jit, name):
    cfg = CONFIGS[name]
    base_lr = cfg["base_lr"]
    tx = lrx.chain(lrx.scale_by_learning_rate(base_lr), lrx.reduce_on_plateau(**cfg["lrx"]))
    update = maybe_jit(jit, tx.update)
    observe = maybe_jit(jit, lrx.observe)
    state = tx.init(jnp.zeros(2))
    used = base_lr
    for m, torch_lr in zip(GOLDEN["metrics"][cfg["metric"]], cfg["lr"], strict=True):
        for _ in range(2):  # two steps per "epoch": the scale holds without value
            u, state = update(jnp.ones(2), state)
        state = observe(state, jnp.float32(m))
        # torch's get_last_lr() after scheduler.step(m) is the rate of the next update;
        # the rate the last update used is the previous epoch's.
        np.testing.assert_allclose(float(lrx.next_learning_rate(state)), torch_lr, rtol=1e-5)
        np.testing.assert_allclose(float(lrx.learning_rate(state)), used, rtol=1e-5)
        used = torch_lr
    u, _ = update(jnp.ones(2), state)
    np.testing.assert_allclose(np.asarray(u), -cfg["lr"][-1] * np.ones(2), rtol=1e-5)


@pytest.mark.parametrize("name", NAMED)
def test_numpy_reference_matches_torch(name):
    # The article-level rule, restated in NumPy, agrees with torch: the goldens test
    # lrx against both.
    cfg = CONFIGS[name]
    ref = _numpy_plateau(GOLDEN["metrics"][cfg["metric"]], **cfg["lrx"])
    np.testing.assert_allclose(cfg["base_lr"] * ref, cfg["lr"], rtol=1e-5)


def _run(tx, state, metrics):
    update = jax.jit(tx.update)
    scales = []
    for m in metrics:
        _, state = update(jnp.ones(2), state, value=jnp.float32(m))
        scales.append(float(state.scale))
    return state, np.array(scales)


@pytest.mark.parity
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_live_torch_random_configs_with_nan_and_inf(seed):
    """Live torch ReduceLROnPlateau on random configs and metrics, NaN/inf included."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    mode = ["min", "max"][seed % 2]
    torch_kwargs = dict(
        mode=mode,
        factor=float(rng.uniform(0.2, 0.8)),
        patience=int(rng.integers(0, 4)),
        threshold=float(rng.choice([0.0, 1e-3, 0.05])),
        threshold_mode=["rel", "abs"][seed % 2 if seed < 2 else 0],
        cooldown=int(rng.integers(0, 3)),
        min_lr=0.01 * seed,
    )
    steps = np.round(rng.standard_normal(60) * 4) / 8  # exact float32, many exact ties
    metrics = (np.cumsum(steps) * (1 if mode == "max" else -1)).astype(np.float32)
    metrics[[7, 23]] = np.nan
    metrics[41] = np.inf if mode == "min" else -np.inf
    metrics = [float(m) for m in metrics]
    expected = torch_run(metrics, 0.5, **torch_kwargs)
    tx = lrx.reduce_on_plateau(**lrx_kwargs(0.5, torch_kwargs))
    _, scales = _run(tx, tx.init(jnp.zeros(2)), metrics)
    np.testing.assert_allclose(0.5 * scales, expected["lr"], rtol=1e-5)


@pytest.mark.parity
def test_live_torch_golden_sequences_regenerate():
    """The committed goldens are what torch produces now (guards against stale files)."""
    pytest.importorskip("torch")
    for cfg in GOLDEN["configs"]:
        run = torch_run(GOLDEN["metrics"][cfg["metric"]], cfg["base_lr"], **cfg["torch"])
        np.testing.assert_allclose(run["lr"], cfg["lr"], rtol=1e-12)


def test_nan_metric_is_a_bad_epoch_and_keeps_best():
    tx = lrx.reduce_on_plateau(factor=0.5, patience=1)
    state = tx.init(jnp.zeros(2))
    _, state = tx.update(jnp.ones(2), state, value=1.0)
    _, state = tx.update(jnp.ones(2), state, value=jnp.nan)
    assert float(state.best) == 1.0 and int(state.num_bad_epochs) == 1
    assert float(state.scale) == 1.0
    _, state = tx.update(jnp.ones(2), state, value=float("nan"))
    assert float(state.best) == 1.0
    assert float(state.scale) == 0.5  # two bad epochs > patience 1
    assert bool(jnp.isfinite(state.scale))
    _, state = tx.update(jnp.ones(2), state, value=0.5)  # a real improvement still counts
    assert float(state.best) == 0.5 and int(state.num_bad_epochs) == 0


def test_scale_holds_without_value():
    tx = lrx.reduce_on_plateau(factor=0.5, patience=0)
    state = tx.init(jnp.zeros(2))
    for v in (1.0, 2.0):
        _, state = tx.update(jnp.ones(2), state, value=v)
    before = state
    for _ in range(3):
        u, state = tx.update(jnp.ones(2), state)
    chex.assert_trees_all_equal(state, before)
    chex.assert_trees_all_close(u, jnp.full(2, 0.5))


def test_updates_keep_dtype_and_structure():
    tx = lrx.reduce_on_plateau(factor=0.5, patience=0)
    params = {"w": jnp.ones((2, 3), jnp.bfloat16), "b": jnp.ones(3, jnp.float32)}
    state = tx.init(params)
    _, state = tx.update(params, state, value=1.0)
    u, state = tx.update(params, state, value=2.0)
    chex.assert_trees_all_equal_dtypes(u, params)
    chex.assert_trees_all_close(u, jax.tree.map(lambda p: p * 0.5, params))


def test_state_round_trips_and_resumes_identically():
    cfg = CONFIGS["min_abs_cooldown"]
    metrics = GOLDEN["metrics"][cfg["metric"]]
    tx = lrx.reduce_on_plateau(**cfg["lrx"])
    full_state, full = _run(tx, tx.init(jnp.zeros(2)), metrics)
    half_state, first = _run(tx, tx.init(jnp.zeros(2)), metrics[:50])
    data = flax.serialization.to_bytes(half_state)
    # restore into a fresh state built with other hyperparameters: the checkpoint wins
    target = lrx.reduce_on_plateau(factor=0.9).init(jnp.zeros(2))
    restored = flax.serialization.from_bytes(target, data)
    assert isinstance(restored, ReduceOnPlateauState)
    chex.assert_trees_all_equal(restored, half_state)
    end_state, second = _run(tx, restored, metrics[50:])
    np.testing.assert_array_equal(np.concatenate([first, second]), full)
    chex.assert_trees_all_equal(end_state, full_state)


def test_state_is_arrays_and_init_is_shape_polymorphic():
    tx = lrx.reduce_on_plateau()
    state = tx.init({"a": jnp.zeros((5, 4))})
    assert all(isinstance(x, jax.Array) and x.shape == () for x in state)
    shapes = jax.eval_shape(tx.init, jax.ShapeDtypeStruct((3,), jnp.float32))
    assert isinstance(shapes, ReduceOnPlateauState)
    assert float(state.best) == math.inf
    assert float(lrx.reduce_on_plateau(mode="max").init(None).best) == -math.inf


def test_no_retrace_for_new_metric_values():
    tx = lrx.reduce_on_plateau(patience=0)

    @jax.jit
    @chex.assert_max_traces(n=1)
    def step(state, value):
        return tx.update(jnp.ones(2), state, value=value)

    state = tx.init(jnp.zeros(2))
    for v in (3.0, 2.0, 2.5, 4.0):
        _, state = step(state, jnp.float32(v))
    assert int(state.count) == 4


def test_value_passes_through_optax_chain():
    tx = optax.chain(
        optax.clip_by_global_norm(10.0),
        lrx.scale_by_learning_rate(0.1),
        lrx.reduce_on_plateau(factor=0.5, patience=0),
    )
    state = tx.init(jnp.zeros(2))
    _, state = tx.update(jnp.ones(2), state, value=1.0)
    u, state = tx.update(jnp.ones(2), state, value=1.0)  # not better: 1 bad > 0
    chex.assert_trees_all_close(u, jnp.full(2, -0.05))


def test_observe_reaches_nested_containers():
    plateau = lrx.reduce_on_plateau(factor=0.5, patience=0)
    tx = optax.chain(
        optax.transforms.partition(
            {"a": optax.chain(lrx.scale_by_learning_rate(0.1), plateau), "b": optax.sgd(0.1)},
            {"x": "a", "y": "b"},
        ),
        optax.inject_hyperparams(lambda lr: optax.chain(optax.scale(lr), plateau))(lr=1.0),
    )
    state = {"opt": tx.init({"x": jnp.zeros(2), "y": jnp.zeros(3)}), "other": jnp.ones(2)}
    state = lrx.observe(lrx.observe(state, 1.0), 2.0)
    found = [
        s
        for s in jax.tree.leaves(state, is_leaf=lambda x: isinstance(x, ReduceOnPlateauState))
        if isinstance(s, ReduceOnPlateauState)
    ]
    assert len(found) == 2
    assert all(float(s.scale) == 0.5 and int(s.count) == 2 for s in found)
    chex.assert_trees_all_equal(state["other"], jnp.ones(2))


def test_observe_under_jit_with_traced_value():
    tx = lrx.chain(lrx.scale_by_learning_rate(1.0), lrx.reduce_on_plateau(patience=0))
    observe = jax.jit(lrx.observe)
    state = tx.init(jnp.zeros(2))
    for v in (1.0, 1.5, 2.0):
        state = observe(state, jnp.float32(v))
    np.testing.assert_allclose(float(lrx.learning_rate(state)), 0.01, rtol=1e-6)


def test_observe_errors():
    with pytest.raises(ValueError, match="no reduce_on_plateau state"):
        lrx.observe(lrx.scale_by_learning_rate(0.1).init(jnp.zeros(2)), 1.0)
    tx = lrx.reduce_on_plateau()
    with pytest.raises(ValueError, match="value must be a scalar"):
        lrx.observe(tx.init(jnp.zeros(2)), jnp.ones(2))
    with pytest.raises(ValueError, match="value must be a scalar"):
        tx.update(jnp.ones(2), tx.init(jnp.zeros(2)), value=jnp.ones(3))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(factor=1.0), "factor"),
        (dict(factor=0.0), "factor"),
        (dict(factor=-0.5), "factor"),
        (dict(factor=float("nan")), "factor"),
        (dict(patience=-1), "patience"),
        (dict(patience=1.5), "patience"),
        (dict(threshold=-1e-4), "threshold"),
        (dict(threshold=float("inf")), "threshold"),
        (dict(threshold_mode="relative"), "threshold_mode"),
        (dict(mode="minimize"), "mode"),
        (dict(cooldown=-2), "cooldown"),
        (dict(cooldown=0.5), "cooldown"),
        (dict(min_scale=1.5), "min_scale"),
        (dict(min_scale=-0.1), "min_scale"),
        (dict(eps=-1.0), "eps"),
    ],
)
def test_validation(kwargs, name):
    ((_arg, value),) = kwargs.items()
    with pytest.raises(ValueError, match=rf"^{name} must .*got {value!r}"):
        lrx.reduce_on_plateau(**kwargs)


def test_nnx_optimizer_update_with_value():
    nnx = pytest.importorskip("flax.nnx")
    model = nnx.Linear(2, 1, rngs=nnx.Rngs(0))
    tx = lrx.chain(lrx.scale_by_learning_rate(0.1), lrx.reduce_on_plateau(factor=0.5, patience=0))
    optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
    x, y = jnp.ones((4, 2)), jnp.zeros((4, 1))

    def loss_fn(m):
        return jnp.mean((m(x) - y) ** 2)

    @nnx.jit
    def step(model, optimizer, value):
        grads = nnx.grad(loss_fn)(model)
        optimizer.update(model, grads, value=value)

    lrs = []
    for v in (1.0, 2.0, 3.0, 0.5):
        step(model, optimizer, jnp.float32(v))
        lrs.append(float(lrx.learning_rate(optimizer.opt_state)))
    np.testing.assert_allclose(lrs, [0.1, 0.05, 0.025, 0.025], rtol=1e-6)
    # the applied update used the scaled rate: w <- w - 0.025 * grad
    w0 = np.asarray(model.kernel[...])
    grads = nnx.grad(loss_fn)(model)
    optimizer.update(model, grads)
    np.testing.assert_allclose(
        np.asarray(model.kernel[...]), w0 - 0.025 * np.asarray(grads.kernel[...]), rtol=1e-6
    )
    # observe() updates an nnx optimizer's state in place, also under nnx.jit
    nnx.jit(lambda opt, v: lrx.observe(opt.opt_state, v))(optimizer, jnp.float32(1.0))
    np.testing.assert_allclose(
        float(lrx.next_learning_rate(optimizer.opt_state)), 0.0125, rtol=1e-6
    )
    np.testing.assert_allclose(float(lrx.learning_rate(optimizer.opt_state)), 0.025, rtol=1e-6)


def test_adam_plus_plateau_one_liner_trains_and_drops_lr():
    """Article 000 ("自适应学习率 + 学习率调度"): Adam + Reduce on Plateau as one line.

    With noisy (minibatch-like) gradients Adam at a fixed rate stalls at a noise floor set by
    the rate; the per-epoch validation loss then plateaus, the scale is cut, and the loss
    goes below the first plateau.
    """
    opt = lrx.chain(lrx.adam(1e-1), lrx.reduce_on_plateau(patience=2, factor=0.5))
    target = jnp.array([1.0, -2.0, 3.0])
    params = jnp.zeros(3)
    state = opt.init(params)

    def loss_fn(p):
        return jnp.sum((p - target) ** 2)

    @jax.jit
    def epoch(params, state, key):
        for k in jax.random.split(key, 10):
            grads = jax.grad(loss_fn)(params) + jax.random.normal(k, (3,))
            updates, state = opt.update(grads, state, params)
            params = optax.apply_updates(params, updates)
        loss = loss_fn(params)
        return params, lrx.observe(state, loss), loss

    losses, lrs = [], []
    for key in jax.random.split(jax.random.key(0), 30):
        params, state, loss = epoch(params, state, key)
        losses.append(float(loss))
        lrs.append(float(lrx.learning_rate(state)))
    assert lrs[0] == pytest.approx(0.1)
    assert all(b <= a for a, b in itertools.pairwise(lrs))
    assert lrs[-1] <= 0.1 * 0.5**3  # several plateaus were detected and cut
    assert losses[-1] < 1e-2 * losses[0]
    assert np.mean(losses[-3:]) < np.mean(losses[3:8])  # below the first plateau


def test_observe_and_value_through_skip_nonfinite():
    tx = lrx.skip_nonfinite(
        lrx.chain(lrx.scale_by_learning_rate(0.1), lrx.reduce_on_plateau(factor=0.5, patience=0))
    )
    state = tx.init(jnp.zeros(2))
    state = lrx.observe(lrx.observe(state, 1.0), 2.0)
    np.testing.assert_allclose(float(lrx.learning_rate(state)), 0.05, rtol=1e-6)
    u, state = tx.update(jnp.ones(2), state, value=3.0)  # value reaches the inner plateau
    np.testing.assert_allclose(np.asarray(u), [-0.025, -0.025], rtol=1e-6)
    np.testing.assert_allclose(float(lrx.learning_rate(state)), 0.025, rtol=1e-6)


def _scales(tx, metrics):
    state = tx.init(jnp.zeros(2))
    for m in metrics:
        _, state = tx.update(jnp.ones(2), state, value=m)
    return state.scale


_METRICS = [1.0, 1.1, 1.2, 1.3, 0.5, 0.6, 0.7]


def test_hyperparameters_accept_concrete_arrays():
    direct = _scales(lrx.reduce_on_plateau(factor=0.5, patience=1, cooldown=1), _METRICS)
    arrays = lrx.reduce_on_plateau(
        factor=jnp.float32(0.5),
        patience=jnp.int32(1),
        cooldown=np.int64(1),
        threshold=jnp.float32(1e-4),
        min_scale=jnp.float32(0.0),
    )
    assert float(_scales(arrays, _METRICS)) == float(direct)
    with pytest.raises(ValueError, match="factor"):
        lrx.reduce_on_plateau(factor=jnp.float32(1.5))


def test_vmap_over_factor_equals_the_loop():
    factors = jnp.array([0.1, 0.5, 0.9], jnp.float32)
    run = jax.vmap(lambda f: _scales(lrx.reduce_on_plateau(factor=f, patience=0), _METRICS))
    looped = [
        float(_scales(lrx.reduce_on_plateau(factor=float(f), patience=0), _METRICS))
        for f in factors
    ]
    np.testing.assert_allclose(run(factors), looped, rtol=1e-6)


def test_traced_hyperparameters_under_jit_and_inject_hyperparams():
    @jax.jit
    def scale(factor, patience, threshold, min_scale, cooldown):
        tx = lrx.reduce_on_plateau(
            factor=factor,
            patience=patience,
            threshold=threshold,
            min_scale=min_scale,
            cooldown=cooldown,
        )
        return _scales(tx, _METRICS)

    expected = _scales(lrx.reduce_on_plateau(factor=0.5, patience=1, min_scale=0.3), _METRICS)
    got = scale(jnp.float32(0.5), jnp.int32(1), jnp.float32(1e-4), jnp.float32(0.3), jnp.int32(0))
    assert float(got) == float(expected)
    tx = optax.inject_hyperparams(lrx.reduce_on_plateau)(factor=0.5, patience=0)
    state = tx.init(jnp.zeros(2))
    for m in [1.0, 2.0]:
        _, state = tx.update(jnp.ones(2), state, value=m)
    assert float(state.inner_state.scale) == 0.5
    state.hyperparams["factor"] = jnp.asarray(0.25)  # changed between steps: takes effect
    _, state = tx.update(jnp.ones(2), state, value=3.0)
    assert float(state.inner_state.scale) == 0.125


@pytest.mark.parametrize("bad", [10**400, "1.0", [1.0, 2.0], 1 + 2j, jnp.ones(2)])
def test_observe_rejects_unusable_metrics_with_value_error(bad):
    state = lrx.reduce_on_plateau().init(jnp.zeros(2))
    with pytest.raises(ValueError, match="value must be"):
        lrx.observe(state, bad)


def test_observe_accepts_a_large_integer_metric():
    """3_000_000_000 does not fit int32 (0.1.0 raised OverflowError): it is a float32 metric."""
    state = lrx.observe(lrx.reduce_on_plateau().init(jnp.zeros(2)), 3_000_000_000)
    assert float(state.best) == float(np.float32(3e9))


def test_foreign_state_is_a_value_error():
    tx = lrx.reduce_on_plateau()
    with pytest.raises(ValueError, match="reduce_on_plateau: got a state of type"):
        tx.update(jnp.ones(2), lrx.sgd(0.1).init(jnp.zeros(2)), value=1.0)
