"""Tests of lrx.testing, the verification kit: trajectories, references, the assertion and
check_transform, against hand-written loops (and torch's own loop when torch is installed).
"""

import functools
import math
import runpy
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lrx
from lrx.testing import (
    Trajectory,
    assert_trajectories_close,
    available_backends,
    check_transform,
    reference,
    reference_trajectory,
    torch_trajectory,
    trajectory,
)
from tests.grads import JIT

RNG = np.random.default_rng(0)
PARAMS = {"a": {"w": RNG.normal(size=(3, 2)).astype(np.float32)}, "b": np.ones(2, np.float32)}
GRADS = jax.tree.map(lambda p: RNG.normal(size=(6, *p.shape)).astype(np.float32), PARAMS)


def hand_loop(tx, params, grads, num_steps, extra=lambda k: {}):
    """The loop the kit replaces: params before each step and after the last, updates."""
    state = tx.init(params)
    ps, us = [params], []
    for k in range(num_steps):
        g = grads(params, k) if callable(grads) else jax.tree.map(lambda x, k=k: x[k], grads)
        u, state = tx.update(g, state, params, **extra(k))
        params = optax.apply_updates(params, u)
        ps.append(params)
        us.append(u)
    stack = lambda xs: jax.tree.map(lambda *a: np.stack([np.asarray(x) for x in a]), *xs)  # noqa: E731
    return stack(ps), stack(us)


# -- trajectory ------------------------------------------------------------------------------


@JIT
def test_trajectory_on_a_pytree_equals_the_hand_loop(jit):
    tx = lrx.adam(0.1, b1=0.8)
    traj = trajectory(tx, PARAMS, GRADS, jit=jit)
    ps, us = hand_loop(tx, PARAMS, GRADS, 6)
    assert traj.num_steps == 6
    assert traj.params["a"]["w"].shape == (7, 3, 2) and traj.updates["b"].shape == (6, 2)
    assert isinstance(traj.params["a"]["w"], np.ndarray)
    assert isinstance(traj.learning_rates, np.ndarray)
    np.testing.assert_array_equal(traj.params["a"]["w"][0], PARAMS["a"]["w"])
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7), traj.params, ps
    )
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7), traj.updates, us
    )


def test_jit_and_no_jit_agree_and_num_steps_truncates():
    tx = lrx.sgd(0.1, 0.9)
    a = trajectory(tx, PARAMS, GRADS, num_steps=4)
    b = trajectory(tx, PARAMS, GRADS, num_steps=4, jit=False)
    assert a.num_steps == b.num_steps == 4
    assert_trajectories_close(a, b, rtol=1e-6, atol=1e-7)
    empty = trajectory(tx, PARAMS, GRADS, num_steps=0, jit=False)
    assert empty.num_steps == 0 and empty.updates["b"].shape == (0, 2)


@JIT
def test_closed_loop_grads_follow_the_params(jit):
    """grads(params, step): the gradient of 0.5 |θ − 3|² (times step + 1) at the current θ."""

    def grads(params, step):
        return jax.tree.map(lambda p: (p - 3.0) * jnp.asarray(step + 1, p.dtype), params)

    tx = lrx.sgd(0.1)
    traj = trajectory(tx, {"x": jnp.zeros(2)}, grads, num_steps=4, jit=jit)
    x = 0.0
    for k in range(4):
        x = x - 0.1 * (x - 3.0) * (k + 1)
    np.testing.assert_allclose(traj.params["x"][-1], [x, x], rtol=1e-6)
    ps, _ = hand_loop(tx, {"x": jnp.zeros(2)}, lambda p, k: grads(p, k), 4)
    np.testing.assert_allclose(traj.params["x"], ps["x"], rtol=1e-6)
    desired = reference_trajectory(
        reference.momentum,
        {"x": np.zeros(2)},
        lambda p, k: {"x": (p["x"] - 3.0) * (k + 1)},  # NumPy float64 params, int step
        num_steps=4,
        learning_rate=0.1,
        momentum=0.0,
    )
    assert_trajectories_close(traj, desired, rtol=1e-6, atol=1e-7)


def test_learning_rates_read_or_nan():
    schedule = lrx.step_decay(0.1, step_size=2, gamma=0.5)
    traj = trajectory(lrx.adam(schedule), PARAMS, GRADS)
    np.testing.assert_allclose(traj.learning_rates, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rtol=1e-6)
    bare = trajectory(lrx.scale_by_adam(), PARAMS, GRADS)
    assert bare.learning_rates.shape == (6,) and np.isnan(bare.learning_rates).all()
    parted = trajectory(
        lrx.partition({"a": lrx.sgd(0.1), "b": lrx.sgd(0.01)}, lambda p: {"a": "a", "b": "b"}),
        {"a": PARAMS["a"]["w"], "b": PARAMS["b"]},
        {"a": GRADS["a"]["w"], "b": GRADS["b"]},
    )
    assert set(parted.learning_rates) == {"a", "b"}
    np.testing.assert_allclose(parted.learning_rates["b"], np.full(6, 0.01), rtol=1e-6)


@JIT
def test_extra_args_dict_and_per_step_callable(jit):
    """extra_args feeds update's keywords: a per-step loss to reduce_on_plateau."""
    tx = lrx.chain(lrx.sgd(0.1), lrx.reduce_on_plateau(factor=0.5, patience=0))
    losses = [3.0, 2.0, 2.5, 2.6, 1.0, 1.5]
    traj = trajectory(tx, PARAMS, GRADS, jit=jit, extra_args=lambda k: {"value": losses[k]})
    ps, _ = hand_loop(tx, PARAMS, GRADS, 6, extra=lambda k: {"value": losses[k]})
    np.testing.assert_allclose(traj.params["b"], ps["b"], rtol=1e-6)
    np.testing.assert_allclose(
        traj.learning_rates, [0.1, 0.1, 0.05, 0.025, 0.025, 0.0125], rtol=1e-6
    )
    const = trajectory(tx, PARAMS, GRADS, jit=jit, extra_args={"value": 1.0})
    # the same loss every step: better once, then halved at every update (patience 0)
    np.testing.assert_allclose(const.learning_rates, 0.1 * 0.5 ** np.arange(6), rtol=1e-6)
    # a transform without extra arguments gets them dropped
    plain = trajectory(lrx.sgd(0.1), PARAMS, GRADS, jit=jit, extra_args={"value": 1.0})
    np.testing.assert_allclose(plain.learning_rates, np.full(6, 0.1), rtol=1e-6)


def test_trajectory_bad_inputs():
    with pytest.raises(ValueError, match="num_steps is required"):
        trajectory(lrx.sgd(0.1), PARAMS, lambda p, k: p)
    with pytest.raises(ValueError, match="same leading step axis"):
        trajectory(lrx.sgd(0.1), {"a": 0.0, "b": 0.0}, {"a": np.ones((3,)), "b": np.ones((4,))})
    with pytest.raises(ValueError, match="exceeds the 6 steps"):
        trajectory(lrx.sgd(0.1), PARAMS, GRADS, num_steps=7)
    with pytest.raises(ValueError, match="num_steps must be an int"):
        trajectory(lrx.sgd(0.1), PARAMS, GRADS, num_steps=-1)


# -- references ------------------------------------------------------------------------------


def test_reference_trajectory_is_float64_with_updates_and_rates():
    traj = reference_trajectory(
        reference.adam, PARAMS, GRADS, learning_rate=lambda t: 0.1 / (t + 1)
    )
    assert traj.params["a"]["w"].dtype == np.float64
    np.testing.assert_allclose(traj.updates["b"], np.diff(traj.params["b"], axis=0), rtol=0, atol=0)
    np.testing.assert_allclose(traj.learning_rates, [0.1 / (t + 1) for t in range(6)])
    # the first Adam step is −η sign(g) (up to ε)
    np.testing.assert_allclose(traj.updates["b"][0], -0.1 * np.sign(GRADS["b"][0]), rtol=1e-6)
    assert np.isnan(reference_trajectory(reference.adam, PARAMS, GRADS).learning_rates).all()


def test_reference_steps_by_hand():
    """One or two steps of each formula, written out."""
    g, p = np.array([2.0]), np.array([1.0])
    new, s = reference.adagrad(
        p, g, None, learning_rate=0.1, initial_accumulator_value=0.0, eps=0.0
    )
    np.testing.assert_allclose(new, 1.0 - 0.1 * 2 / 2)
    new, _ = reference.adagrad(p, g, None, learning_rate=1.0, initial_accumulator_value=5.0,
                               eps=1.0, eps_in_sqrt=False)  # fmt: skip
    np.testing.assert_allclose(new, 1.0 - 2 / (3 + 1))
    new, _ = reference.rmsprop(p, g, None, learning_rate=1.0, decay=0.75, eps=0.0)
    np.testing.assert_allclose(new, 1.0 - 2 / math.sqrt(0.25 * 4))
    new, _ = reference.rmsprop(p, g, None, learning_rate=1.0, decay=0.75, eps=0.0, centered=True,
                               initial_scale=1.0)  # fmt: skip
    np.testing.assert_allclose(new, 1.0 - 2 / math.sqrt(0.75 + 1.0 - 0.25))  # s − μ² = 1.75 − 0.25
    _, s = reference.adam(p, g, None, amsgrad=True, b2=0.5)
    _, s = reference.adam(p, np.array([0.0]), s, amsgrad=True, b2=0.5)
    np.testing.assert_allclose(s["v_max"], [2.0])  # the uncorrected max, as torch
    a, _ = reference.adamw(p, g, None, learning_rate=0.1, weight_decay=0.5)
    b, _ = reference.adam(p, g, None, learning_rate=0.1)
    np.testing.assert_allclose(a, b - 0.1 * 0.5 * p)


OPTIMIZERS = {  # lrx optimizer, its reference step and the step's hyperparameters
    "sgd_l2": (lrx.sgd(0.1, 0.9, weight_decay=0.1), reference.momentum, dict(weight_decay=0.1)),
    "adagrad": (lrx.adagrad(0.1), reference.adagrad, {}),
    "rmsprop_momentum": (
        lrx.rmsprop(0.1, 0.8, centered=True, momentum=0.5, nesterov=True),
        reference.rmsprop,
        dict(decay=0.8, centered=True, momentum=0.5, nesterov=True),
    ),
    "adamw": (lrx.adamw(0.1, weight_decay=0.5), reference.adamw, dict(weight_decay=0.5)),
    "adam_schedule": (lrx.adam(lrx.step_decay(0.1, 2, 0.5)), reference.adam, {}),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_references_are_the_lrx_optimizers(name):
    """Each reference step follows the lrx optimizer of the same formula (constant rates:
    the momentum of rmsprop is applied after the rate by lrx, before it by torch)."""
    tx, step, hp = OPTIMIZERS[name]
    lr = (lambda t: reference.step_decay(t, 0.1, 2, 0.5)) if "schedule" in name else 0.1
    desired = reference_trajectory(step, PARAMS, GRADS, learning_rate=lr, **hp)
    actual = trajectory(tx, PARAMS, GRADS)
    assert_trajectories_close(actual, desired, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(actual.learning_rates, desired.learning_rates, rtol=1e-6)


def test_schedule_references():
    assert reference.step_decay(5, 1.0, 2, 0.5) == 0.25
    assert reference.exponential_decay(3, 2.0, 0.5) == 0.25
    assert reference.cosine_annealing(0, 1.0, 10) == 1.0
    assert reference.cosine_annealing(5, 1.0, 10, 0.2) == pytest.approx(0.6)
    assert reference.cosine_annealing(12, 1.0, 10, 0.2) == 0.2
    # T_0 = 3, T_mult = 2: cycles [0, 3), [3, 9), [9, 21)
    cycles = [reference.restart_cycle(t, 3, 2) for t in range(22)]
    assert [c[0] for c in cycles] == [0] * 3 + [1] * 6 + [2] * 12 + [3]
    assert cycles[8] == (1, 5.0, 6.0) and cycles[9] == (2, 0.0, 12.0)
    # T_mult = 1.5, T_0 = 2: starts 0, 2, 5, 9.5 -> counts 10.. are cycle 3 at 0.5, 1.5, ...
    assert reference.restart_cycle(9, 2, 1.5) == (2, 4.0, 4.5)
    assert reference.restart_cycle(10, 2, 1.5) == (3, 0.5, 6.75)
    # T_mult = 1.1 read as the decimal: cycle starts 10, 21 exactly
    assert reference.restart_cycle(21, 10, 1.1)[:2] == (2, 0.0)
    assert reference.cosine_warm_restarts(3, 1.0, 3, 2) == 1.0
    assert reference.cosine_warm_restarts(6, 1.0, 3, 2) == pytest.approx(0.5)


def test_schedule_references_against_lrx():
    values = lrx.cosine_warm_restarts(0.1, T_0=3, T_mult=2).values(30)
    ref = [reference.cosine_warm_restarts(t, 0.1, 3, 2) for t in range(30)]
    np.testing.assert_allclose(values, ref, rtol=1e-5, atol=1e-8)
    values = lrx.step_decay(0.1, step_size=3, gamma=0.5).values(10)
    np.testing.assert_allclose(values, [reference.step_decay(t, 0.1, 3, 0.5) for t in range(10)])


# -- assert_trajectories_close ---------------------------------------------------------------


def _wrong_eps(num_steps=6):
    """Adam with eps inside the root (article 004's placement) vs Adam's formula."""
    grads = jax.tree.map(lambda g: 1e-3 * g[:num_steps], GRADS)
    actual = trajectory(lrx.adam(0.01, eps=0.0, eps_root=1e-6), PARAMS, grads)
    desired = reference_trajectory(reference.adam, PARAMS, grads, learning_rate=0.01, eps=1e-6)
    return actual, desired


def test_assert_passes_on_equal_and_close():
    actual, desired = _wrong_eps()
    assert_trajectories_close(actual, actual, rtol=0, atol=0)
    assert_trajectories_close(actual, desired, rtol=1.0)  # the two placements, loosely
    nan = Trajectory({"w": np.array([1.0, np.nan])}, None, np.full(1, np.nan))
    assert_trajectories_close(nan, nan)


def test_assert_message_names_step_leaf_values_and_table():
    actual, desired = _wrong_eps()
    with pytest.raises(AssertionError) as info:
        assert_trajectories_close(actual, desired)
    msg = str(info.value)
    lines = msg.splitlines()
    assert lines[0].startswith("trajectories differ (rtol=1e-05, atol=1e-07): first at step 0, ")
    assert "updates['a']['w'], element [" in lines[0] or "updates['b'], element [" in lines[0]
    assert lines[1].startswith("  actual:  ") and lines[2].startswith("  desired: ")
    a, d = float(lines[1].split()[-1]), float(lines[2].split()[-1])
    assert abs(a - d) > 1e-5 * abs(d)
    assert "6 of 6 steps differ" in lines[3]
    assert "max relative error per step" in msg
    rows = [ln.split() for ln in lines[6:]]
    assert rows[0][0] == "init" and [r[0] for r in rows[1:]] == [str(k) for k in range(6)]
    assert all(r[-1] == "x" for r in rows[1:])


def test_assert_message_first_failure_late_and_compact_table():
    """A drift that leaves the tolerance at step 30 of 40: head, around 30, tail."""
    p = np.ones(41)
    p2 = p.copy()
    p2[31:] += 1e-3 * np.arange(10)  # params after step 30 onwards; step 30 adds 0
    p2[31] += 1e-4
    a = Trajectory({"x": p}, None, np.full(40, np.nan))
    b = Trajectory({"x": p2}, None, np.full(40, np.nan))
    with pytest.raises(AssertionError) as info:
        assert_trajectories_close(a, b)
    msg = str(info.value)
    assert "first at step 30, params['x'] (after the step)" in msg
    steps = [ln.split()[0] for ln in msg.splitlines()[6:]]
    assert steps == ["init", "0", "1", "2", "...", "28", "29", "30", "31", "32", "...",
                     "37", "38", "39"]  # fmt: skip


def test_assert_initial_params_and_structure_and_steps():
    a = Trajectory({"x": np.zeros((3, 2))}, None, np.zeros(2))
    with pytest.raises(AssertionError, match="first at the initial params, params\\['x'\\]"):
        assert_trajectories_close(a, Trajectory({"x": np.ones((3, 2))}, None, np.zeros(2)))
    with pytest.raises(AssertionError, match="params structures differ"):
        assert_trajectories_close(a, Trajectory({"y": np.zeros((3, 2))}, None, np.zeros(2)))
    with pytest.raises(AssertionError, match="step counts differ: actual 2, desired 3"):
        assert_trajectories_close(a, Trajectory({"x": np.zeros((4, 2))}, None, np.zeros(3)))


def test_assert_compares_updates_only_when_both_have_them():
    p = {"x": np.zeros((2, 1))}
    a = Trajectory(p, {"x": np.ones((1, 1))}, np.zeros(1))
    b = Trajectory(p, {"x": np.zeros((1, 1))}, np.zeros(1))
    with pytest.raises(AssertionError, match="updates\\['x'\\]"):
        assert_trajectories_close(a, b)
    assert_trajectories_close(a, b._replace(updates=None))


# -- check_transform -------------------------------------------------------------------------


ADAM_FORMULA = functools.partial(reference.adam, learning_rate=0.1, b1=0.8)


def test_check_transform_variants_and_backends():
    tx = lrx.adam(0.1, b1=0.8)
    check_transform(tx, ADAM_FORMULA, PARAMS, GRADS, variants=("jit", "no_jit", "vmap"))
    assert "cpu" in available_backends()
    desired = reference_trajectory(ADAM_FORMULA, PARAMS, GRADS)
    check_transform(tx, desired, PARAMS, GRADS, variants=("vmap",), backends=["cpu"])


def test_check_transform_closed_loop_needs_a_trajectory():
    def grads(params, step):
        return jax.tree.map(lambda p: p - 1.0, params)

    desired = reference_trajectory(ADAM_FORMULA, PARAMS, grads, num_steps=5)
    check_transform(lrx.adam(0.1, b1=0.8), desired, PARAMS, grads, variants=("jit", "vmap"))
    with pytest.raises(ValueError, match="callable grads needs desired as a Trajectory"):
        check_transform(lrx.adam(0.1, b1=0.8), ADAM_FORMULA, PARAMS, grads)


def test_check_transform_failure_names_variant_and_backend():
    wrong = lrx.adam(0.1, b1=0.8, eps=0.0, eps_root=1e-8)  # eps inside the root
    grads = jax.tree.map(lambda g: 1e-4 * g, GRADS)
    with pytest.raises(AssertionError) as info:
        check_transform(wrong, ADAM_FORMULA, PARAMS, grads, variants=("no_jit", "vmap"))
    msg = str(info.value)
    assert msg.startswith("check_transform: 2 failing run(s)")
    assert "variant 'no_jit' on backend 'cpu'" in msg
    assert "variant 'vmap' (batch member 0) on backend 'cpu'" in msg
    assert "first at step 0" in msg


def test_check_transform_bad_arguments():
    with pytest.raises(ValueError, match="variants must be"):
        check_transform(lrx.sgd(0.1), ADAM_FORMULA, PARAMS, GRADS, variants=("pmap",))
    missing = next(b for b in ("tpu", "gpu") if b not in available_backends())
    with pytest.raises(ValueError, match=f"backend '{missing}' has no devices"):
        check_transform(lrx.sgd(0.1), ADAM_FORMULA, PARAMS, GRADS, backends=[missing])


# -- torch_trajectory ------------------------------------------------------------------------


def _torch_hand_loop(torch, make_opt, params, grads, make_sched=None, metrics=None, dtype=None):
    names = sorted(params)
    ts = [torch.nn.Parameter(torch.tensor(np.asarray(params[n]), dtype=dtype)) for n in names]
    opt = make_opt(ts)
    sched = make_sched(opt) if make_sched else None
    out, lrs = [], []
    for k in range(len(grads[names[0]])):
        for t, n in zip(ts, names, strict=True):
            t.grad = torch.tensor(np.asarray(grads[n][k]), dtype=dtype)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step() if metrics is None else sched.step(metrics[k])
        out.append({n: t.detach().numpy().copy() for t, n in zip(ts, names, strict=True)})
    return out, lrs


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_trajectory_equals_torch_loop_with_a_scheduler(dtype):
    torch = pytest.importorskip("torch")
    params = {"b": PARAMS["b"], "w": PARAMS["a"]["w"]}
    grads = {"b": GRADS["b"], "w": GRADS["a"]["w"]}
    make_opt = lambda ps: torch.optim.Adam(ps, lr=0.1, betas=(0.8, 0.99))  # noqa: E731
    make_sched = lambda o: torch.optim.lr_scheduler.StepLR(o, 2, 0.5)  # noqa: E731
    traj = torch_trajectory(make_opt, params, grads, make_scheduler=make_sched, dtype=dtype)
    tdtype = getattr(torch, dtype)
    want, lrs = _torch_hand_loop(torch, make_opt, params, grads, make_sched, dtype=tdtype)
    assert traj.updates is None and traj.params["w"].dtype == np.dtype(dtype)
    np.testing.assert_array_equal(traj.params["w"][0], params["w"])
    for k in range(6):
        np.testing.assert_array_equal(traj.params["w"][k + 1], want[k]["w"])
        np.testing.assert_array_equal(traj.params["b"][k + 1], want[k]["b"])
    np.testing.assert_allclose(traj.learning_rates, lrs)
    np.testing.assert_allclose(traj.learning_rates, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    # and lrx's Adam follows it
    ours = trajectory(lrx.adam(lrx.step_decay(0.1, 2, 0.5), b1=0.8, b2=0.99), params, grads)
    assert_trajectories_close(ours, traj, rtol=1e-5, atol=1e-6)


@pytest.mark.parity
def test_torch_trajectory_plateau_metrics_and_closed_loop():
    torch = pytest.importorskip("torch")
    losses = [3.0, 2.0, 2.5, 2.6, 1.0, 1.5]
    make_opt = lambda ps: torch.optim.SGD(ps, lr=0.1)  # noqa: E731
    make_sched = lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=0)  # noqa: E731
    traj = torch_trajectory(make_opt, {"x": np.ones(2)}, {"x": np.ones((6, 2))},
                            make_scheduler=make_sched, metrics=losses)  # fmt: skip
    _, lrs = _torch_hand_loop(torch, make_opt, {"x": np.ones(2)}, {"x": np.ones((6, 2))},
                              make_sched, metrics=losses, dtype=torch.float32)  # fmt: skip
    np.testing.assert_allclose(traj.learning_rates, lrs)
    # metrics[k] acts from update k + 1: lrx's value= of update k + 1
    np.testing.assert_allclose(traj.learning_rates, [0.1, 0.1, 0.1, 0.05, 0.025, 0.025])
    ours = trajectory(
        lrx.chain(lrx.sgd(0.1), lrx.reduce_on_plateau(factor=0.5, patience=0)),
        {"x": np.ones(2, np.float32)},
        {"x": np.ones((6, 2), np.float32)},
        extra_args=lambda k: {"value": [1e9, *losses][k]},
    )
    np.testing.assert_allclose(ours.learning_rates, traj.learning_rates, rtol=1e-6)
    assert_trajectories_close(ours, traj, rtol=1e-6)
    # closed loop: the callable sees the current params as NumPy
    seen = []

    def grads(params, step):
        seen.append(type(params["x"]))
        return {"x": params["x"] - 3.0}

    closed = torch_trajectory(make_opt, {"x": np.zeros(2)}, grads, num_steps=3)
    assert seen == [np.ndarray] * 3
    np.testing.assert_allclose(closed.params["x"][:, 0], [0.0, 0.3, 0.57, 0.813], rtol=1e-6)
    with pytest.raises(ValueError, match="one value per update"):
        torch_trajectory(make_opt, {"x": np.ones(2)}, {"x": np.ones((6, 2))},
                         make_scheduler=make_sched, metrics=losses[:3])  # fmt: skip
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        torch_trajectory(make_opt, {"x": np.ones(2)}, {"x": np.ones((6, 2))}, dtype="float16")


def test_torch_trajectory_without_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r'pip install "lrx\[parity\]"'):
        torch_trajectory(lambda ps: None, {"x": np.ones(2)}, {"x": np.ones((2, 2))})


def test_import_needs_no_test_dependencies():
    """lrx.testing imports without pytest, chex or torch (a fresh interpreter)."""
    import subprocess

    code = (
        "import sys\n"
        "for m in ('pytest', 'chex', 'torch'): sys.modules[m] = None\n"
        "import lrx.testing\n"
        "print(sorted(lrx.testing.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "check_transform" in out.stdout


# -- the example -----------------------------------------------------------------------------


@pytest.mark.parity
def test_verify_custom_optimizer_example_runs(capsys):
    pytest.importorskip("torch")
    path = Path(__file__).parents[1] / "examples" / "verify_custom_optimizer.py"
    example = runpy.run_path(str(path), run_name="example")
    message = example["main"](num_steps=4)
    out = capsys.readouterr().out
    assert "my_adam == Adam's formula" in out and "my_adam == torch.optim.Adam" in out
    assert message.startswith("trajectories differ (rtol=1e-05, atol=1e-07): first at step 0, ")
    assert "4 of 4 steps differ" in message
