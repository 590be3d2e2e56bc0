"""``lrx.compat.torch``: torch.optim presets give torch's trajectories.

Reference: torch.optim itself (SGD, Adagrad, RMSprop, Adam, AdamW of torch 2.13), whose
update rules are the formulas of article 000 ("SGD with Momentum", "AdaGrad", "RMSProp",
"Adam") and article 004 (AdaGrad / RMSprop / Adam formulas) with torch's conventions
(eps outside the root, no RMSprop bias correction, L2 weight decay in the gradient, AdamW's
decoupled decay). Golden trajectories are in
tests/reference/optim.json (made by tests/reference/gen_optim.py, 100 float32 steps on a
fixed 3-leaf tree with stored gradients); live tests re-run torch when it is installed.
"""

from __future__ import annotations

import inspect
import re

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrx
from lrx.compat import torch as ltorch
from lrx.testing import Trajectory, assert_trajectories_close, torch_trajectory, trajectory
from tests.grads import JIT
from tests.reference import golden
from tests.reference.gen_optim import _TORCH_CLASSES, _torch_scheduler, lr_factor, make_inputs

RTOL = 1e-5  # the compat.torch promise: rtol 1e-5 over 100 float32 steps
# Parameters are O(1) (standard normal init). A coordinate that passes near zero cannot
# match relatively: float32 rounding leaves ~1e-6 absolute after 100 steps (torch float32
# itself differs from torch float64 by up to 7e-6 on these configurations), so below 0.1
# in magnitude the bound is absolute, 1e-6 = RTOL * 0.1.
ATOL = 1e-6

GOLD = golden.load("optim")
CONFIGS = {c["name"]: c for c in GOLD["configs"]}
PRESETS = {
    "sgd": ltorch.sgd,
    "adagrad": ltorch.adagrad,
    "rmsprop": ltorch.rmsprop,
    "adam": ltorch.adam,
    "adamw": ltorch.adamw,
}
TORCH_DEFAULT_LR = {"sgd": 1e-3, "adagrad": 1e-2, "rmsprop": 1e-2, "adam": 1e-3, "adamw": 1e-3}


def _lr(preset: str, kwargs: dict, spec: dict | None):
    """The lrx counterpart of the torch lr (+ scheduler stepped once per optimizer step).

    StepLR maps to the lrx Schedule ``lrx.step_decay``; the LambdaLR ``1 / (1 + rate * t)``
    to a plain jittable callable, so both kinds of ``lr`` are exercised.
    """
    base = float(kwargs.get("lr", TORCH_DEFAULT_LR[preset]))
    if spec is None:
        return base
    if spec["kind"] == "step":
        return lrx.step_decay(base, step_size=spec["step_size"], gamma=spec["gamma"])
    if spec["kind"] == "inverse":
        rate = jnp.float32(spec["rate"])
        return lambda count: base / (1.0 + rate * jnp.asarray(count).astype(jnp.float32))
    raise AssertionError(spec)


def _make(preset: str, kwargs: dict, spec: dict | None) -> lrx.GradientTransformation:
    kw = dict(kwargs)
    kw["lr"] = _lr(preset, kwargs, spec)
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    return PRESETS[preset](**kw)


def _as_tree(d: dict) -> dict:
    return {k: jnp.asarray(np.asarray(v, np.float32)) for k, v in d.items()}


def _torch_optimizer(preset: str, kwargs: dict):
    """``list_of_tensors -> torch.optim.<preset>(..., **kwargs)`` for torch_trajectory."""
    import torch

    kw = {k: tuple(v) if k == "betas" else v for k, v in kwargs.items()}
    return lambda ps: getattr(torch.optim, _TORCH_CLASSES[preset])(ps, **kw)


# -- golden trajectories (no torch needed) ---------------------------------------------------


def _golden(cfg: dict) -> Trajectory:
    """The golden torch run of ``cfg`` as a Trajectory (params from the shared init)."""
    params = {
        k: np.concatenate(
            [np.asarray(GOLD["init"][k], np.float32)[None], np.asarray(v, np.float32)]
        )
        for k, v in cfg["params"].items()
    }
    return Trajectory(params, None, np.asarray(cfg["lrs"], np.float64))


@JIT
@pytest.mark.parametrize("name", list(CONFIGS))
def test_golden_trajectory(name, jit):
    """Every golden configuration: lrx's trajectory equals torch's at rtol 1e-5."""
    cfg = CONFIGS[name]
    tx = _make(cfg["preset"], cfg["kwargs"], cfg["lr_schedule"])
    got = trajectory(tx, _as_tree(GOLD["init"]), _as_tree(GOLD["grads"]), jit=jit)
    assert got.num_steps == GOLD["num_steps"] == 100
    assert_trajectories_close(got, _golden(cfg), rtol=RTOL, atol=ATOL)
    if "lr_decay" not in cfg["kwargs"]:  # torch's param_groups lr leaves Adagrad's decay out
        np.testing.assert_allclose(got.learning_rates, cfg["lrs"], rtol=1e-6)


def test_golden_coverage():
    """The golden file covers every preset, the options named in the task, and schedules."""
    presets = {c["preset"] for c in CONFIGS.values()}
    assert presets == set(PRESETS)
    options = {(c["preset"], k) for c in CONFIGS.values() for k in c["kwargs"]}
    for option in [
        ("sgd", "momentum"), ("sgd", "dampening"), ("sgd", "nesterov"), ("sgd", "weight_decay"),
        ("sgd", "maximize"), ("adagrad", "lr_decay"), ("adagrad", "initial_accumulator_value"),
        ("adagrad", "weight_decay"), ("rmsprop", "alpha"), ("rmsprop", "centered"),
        ("rmsprop", "momentum"), ("rmsprop", "weight_decay"), ("adam", "amsgrad"),
        ("adam", "weight_decay"), ("adam", "betas"), ("adam", "eps"), ("adamw", "amsgrad"),
    ]:  # fmt: skip
        assert option in options, option
    assert sum(c["lr_schedule"] is not None for c in CONFIGS.values()) >= 2


@pytest.mark.parametrize("name", [n for n, c in CONFIGS.items() if c["lr_schedule"]])
def test_schedule_mirror_matches_torch_lrs(name):
    """The lrx schedule used for a config gives the lr torch applied at every update."""
    cfg = CONFIGS[name]
    lr = _lr(cfg["preset"], cfg["kwargs"], cfg["lr_schedule"])
    counts = jnp.arange(len(cfg["lrs"]), dtype=jnp.int32)
    chex.assert_trees_all_close(
        np.asarray(lr(counts)), np.asarray(cfg["lrs"], np.float32), rtol=1e-6
    )


def test_state_learning_rate_tracks_schedule():
    """``lrx.learning_rate`` reads the lr in force (torch's ``param_groups[0]['lr']``)."""
    cfg = CONFIGS["adamw_steplr"]
    tx = _make(cfg["preset"], cfg["kwargs"], cfg["lr_schedule"])
    params = _as_tree(GOLD["init"])
    state = tx.init(params)
    grads = _as_tree(GOLD["grads"])
    step = jax.jit(lambda p, s, g: tx.update(g, s, p))
    for t in range(35):
        _, state = step(params, state, {k: v[t] for k, v in grads.items()})
    np.testing.assert_allclose(float(lrx.learning_rate(state)), cfg["lrs"][34], rtol=1e-6)


# -- behaviour not visible in trajectories ---------------------------------------------------


def test_defaults_match_torch_signatures_golden():
    """Argument names and defaults as torch.optim (checked live in test_defaults_live)."""
    expected = {
        "sgd": {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0,
                "nesterov": False, "maximize": False},
        "adagrad": {"lr": 1e-2, "lr_decay": 0, "weight_decay": 0,
                    "initial_accumulator_value": 0, "eps": 1e-10, "maximize": False},
        "rmsprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0,
                    "momentum": 0, "centered": False, "maximize": False},
        "adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                 "amsgrad": False, "maximize": False, "decoupled_weight_decay": False},
        "adamw": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2,
                  "amsgrad": False, "maximize": False},
    }  # fmt: skip
    for name, fn in PRESETS.items():
        sig = inspect.signature(fn)
        assert {k: p.default for k, p in sig.parameters.items()} == expected[name], name


def test_adam_decoupled_weight_decay_is_adamw():
    """torch's ``Adam(decoupled_weight_decay=True)`` is AdamW."""
    params = jnp.array([1.0, -2.0, 3.0])
    g = jnp.array([0.3, -0.1, 2.0])
    a = ltorch.adam(lr=0.1, weight_decay=0.2, decoupled_weight_decay=True)
    b = ltorch.adamw(lr=0.1, weight_decay=0.2)
    ua, _ = a.update(g, a.init(params), params)
    ub, _ = b.update(g, b.init(params), params)
    chex.assert_trees_all_close(ua, ub, rtol=0, atol=0)
    c = ltorch.adam(lr=0.1, weight_decay=0.2)  # coupled L2 differs
    uc, _ = c.update(g, c.init(params), params)
    assert not np.allclose(np.asarray(uc), np.asarray(ub))


def test_momentum_zero_has_no_buffer_and_bf16_dtypes_kept():
    """Plain SGD keeps no momentum state; updates keep the parameter dtype."""
    params = {"a": jnp.ones(3, jnp.bfloat16), "b": jnp.ones(2, jnp.float32)}
    tx = ltorch.sgd(lr=0.1)
    state = tx.init(params)
    assert not any(getattr(leaf, "shape", ()) == (3,) for leaf in jax.tree.leaves(state))
    for fn in PRESETS.values():
        tx = fn(lr=0.1)
        u, _ = tx.update(params, tx.init(params), params)
        chex.assert_trees_all_equal_dtypes(u, params)


def test_presets_are_the_top_level_optimizers_plus_torch_parts():
    """Built on lrx.sgd/adagrad/adam/adamw: with torch's parts switched off they give the
    same updates bit for bit."""
    params = {"w": jnp.array([1.0, -2.0, 3.0]), "b": jnp.array([0.5])}
    grads = [{"w": jnp.array([0.3, -0.1, 2.0]), "b": jnp.array([g])} for g in (1.0, -0.5)]
    pairs = [
        (ltorch.sgd(lr=0.1, momentum=0.9, nesterov=True), lrx.sgd(0.1, 0.9, True)),
        (ltorch.adagrad(lr=0.1), lrx.adagrad(0.1, 0.0, 1e-10, eps_in_sqrt=False)),
        (ltorch.adam(lr=0.1, betas=(0.8, 0.99)), lrx.adam(0.1, 0.8, 0.99)),
        (ltorch.adamw(lr=0.1, weight_decay=0.5), lrx.adamw(0.1, weight_decay=0.5)),
    ]
    for ours, base in pairs:
        s1, s2 = ours.init(params), base.init(params)
        for g in grads:
            u1, s1 = ours.update(g, s1, params)
            u2, s2 = base.update(g, s2, params)
            chex.assert_trees_all_equal(u1, u2)


def test_array_hyperparameters_keep_the_chain_whatever_their_value():
    """A momentum or weight decay given as an array keeps its buffer / L2 term even at 0
    (its value may change, e.g. under inject_hyperparams), with torch's numbers."""
    params = jnp.array([1.0, -2.0])
    g = jnp.array([0.5, 0.25])
    number = ltorch.sgd(lr=0.1)
    array = ltorch.sgd(lr=0.1, momentum=jnp.asarray(0.0), weight_decay=jnp.asarray(0.0))
    assert len(jax.tree.leaves(array.init(params))) > len(jax.tree.leaves(number.init(params)))
    u1, _ = number.update(g, number.init(params), params)
    u2, _ = array.update(g, array.init(params), params)
    chex.assert_trees_all_equal(u1, u2)


@pytest.mark.parametrize(
    ("fn", "kwargs", "name"),
    [
        (ltorch.sgd, {"lr": -0.1}, "lr"),
        (ltorch.sgd, {"lr": float("nan")}, "lr"),
        (ltorch.sgd, {"momentum": -0.5}, "momentum"),
        (ltorch.sgd, {"weight_decay": -1e-4}, "weight_decay"),
        (ltorch.sgd, {"momentum": 0.0, "nesterov": True}, "nesterov"),
        (ltorch.sgd, {"momentum": 0.9, "dampening": 0.1, "nesterov": True}, "nesterov"),
        (ltorch.sgd, {"maximize": "yes"}, "maximize"),
        (ltorch.adagrad, {"lr": -1.0}, "lr"),
        (ltorch.adagrad, {"lr_decay": -0.1}, "lr_decay"),
        (ltorch.adagrad, {"weight_decay": -0.1}, "weight_decay"),
        (ltorch.adagrad, {"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
        (ltorch.adagrad, {"eps": -1e-10}, "eps"),
        (ltorch.rmsprop, {"lr": -1.0}, "lr"),
        (ltorch.rmsprop, {"alpha": -0.5}, "alpha"),
        (ltorch.rmsprop, {"alpha": 1.5}, "alpha"),
        (ltorch.rmsprop, {"eps": -1e-8}, "eps"),
        (ltorch.rmsprop, {"momentum": -0.9}, "momentum"),
        (ltorch.rmsprop, {"weight_decay": -0.1}, "weight_decay"),
        (ltorch.rmsprop, {"centered": 1}, "centered"),
        (ltorch.adam, {"lr": -1e-3}, "lr"),
        (ltorch.adam, {"betas": (1.0, 0.999)}, "betas[0]"),
        (ltorch.adam, {"betas": (0.9, -0.1)}, "betas[1]"),
        (ltorch.adam, {"betas": (0.9,)}, "betas"),
        (ltorch.adam, {"eps": -1e-8}, "eps"),
        (ltorch.adam, {"weight_decay": -0.1}, "weight_decay"),
        (ltorch.adam, {"amsgrad": "no"}, "amsgrad"),
        (ltorch.adamw, {"lr": -1e-3}, "lr"),
        (ltorch.adamw, {"betas": (0.9, 1.0)}, "betas[1]"),
        (ltorch.adamw, {"weight_decay": -0.01}, "weight_decay"),
        (ltorch.adamw, {"eps": float("inf")}, "eps"),
    ],
)
def test_bad_arguments_raise_naming_them(fn, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}[ =]"):
        fn(**kwargs)


# -- live parity against torch (skipped without torch) ---------------------------------------

# Cases torch itself rejects with ValueError (the stricter lrx-only bounds are excluded).
TORCH_REJECTS = [
    ("sgd", {"lr": -0.1}),
    ("sgd", {"momentum": -0.5}),
    ("sgd", {"weight_decay": -1e-4}),
    ("sgd", {"momentum": 0.0, "nesterov": True}),
    ("sgd", {"momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("adagrad", {"lr_decay": -0.1}),
    ("adagrad", {"initial_accumulator_value": -0.1}),
    ("adagrad", {"eps": -1e-10}),
    ("rmsprop", {"alpha": -0.5}),
    ("rmsprop", {"momentum": -0.9}),
    ("adam", {"betas": (1.0, 0.999)}),
    ("adam", {"betas": (0.9, -0.1)}),
    ("adamw", {"weight_decay": -0.01}),
]


@pytest.mark.parity
@pytest.mark.parametrize(("preset", "kwargs"), TORCH_REJECTS)
def test_torch_rejects_the_same_arguments(preset, kwargs):
    torch = pytest.importorskip("torch")
    cls = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam",
           "adamw": "AdamW"}[preset]  # fmt: skip
    with pytest.raises(ValueError):
        getattr(torch.optim, cls)([torch.nn.Parameter(torch.zeros(2))], **kwargs)
    with pytest.raises(ValueError):
        PRESETS[preset](**kwargs)


@pytest.mark.parity
def test_defaults_live():
    """Every lrx.compat.torch default equals torch.optim's default of the same name."""
    torch = pytest.importorskip("torch")
    classes = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad,
               "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
               "adamw": torch.optim.AdamW}  # fmt: skip
    for name, fn in PRESETS.items():
        theirs = inspect.signature(classes[name].__init__).parameters
        for arg, p in inspect.signature(fn).parameters.items():
            assert arg in theirs, (name, arg)
            assert p.default == theirs[arg].default, (name, arg)


def _random_config(rng: np.random.Generator) -> tuple[str, dict]:
    preset = str(rng.choice(list(PRESETS)))
    u = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731
    kw: dict = {"lr": u(1e-3, 5e-2)}
    if preset == "sgd":
        kw.update(momentum=u(0.0, 0.95), weight_decay=u(0.0, 0.1))
        if rng.random() < 0.5:
            kw["nesterov"] = True
        else:
            kw["dampening"] = u(0.0, 0.5)
    elif preset == "adagrad":
        kw.update(lr_decay=u(0.0, 0.05), initial_accumulator_value=u(0.0, 0.5),
                  weight_decay=u(0.0, 0.1), eps=10 ** u(-10, -6))  # fmt: skip
    elif preset == "rmsprop":
        kw.update(alpha=u(0.8, 0.999), momentum=u(0.0, 0.9), centered=bool(rng.random() < 0.5),
                  weight_decay=u(0.0, 0.1), eps=10 ** u(-8, -5))  # fmt: skip
    else:
        kw.update(betas=(u(0.5, 0.95), u(0.9, 0.9999)), eps=10 ** u(-8, -5),
                  weight_decay=u(0.0, 0.1), amsgrad=bool(rng.random() < 0.5))  # fmt: skip
    kw["maximize"] = bool(rng.random() < 0.25)
    return preset, kw


@pytest.mark.parity
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_configs_live(seed):
    """Random hyperparameters (and a random lr schedule) on fresh gradients vs live torch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    preset, kw = _random_config(rng)
    spec = [None, {"kind": "step", "step_size": 7, "gamma": 0.7},
            {"kind": "inverse", "rate": 0.1}][seed % 3]  # fmt: skip
    init, grads = make_inputs(seed=1000 + seed, num_steps=40)
    want = torch_trajectory(
        _torch_optimizer(preset, kw),
        init,
        grads,
        make_scheduler=lambda opt: _torch_scheduler(torch, opt, spec),
    )
    want_lrs = [kw["lr"] * lr_factor(spec, t) for t in range(40)]
    np.testing.assert_allclose(want.learning_rates, want_lrs, rtol=1e-12)
    got = trajectory(_make(preset, kw, spec), _as_tree(init), _as_tree(grads))
    assert_trajectories_close(got, want, rtol=RTOL, atol=ATOL)


# -- torch views a complex parameter as real pairs --------------------------------------------
TORCH_COMPLEX_CASES = {
    "sgd": ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    "adagrad": ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01)),
    "rmsprop": ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    "adam": ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    "adamw": ("AdamW", dict(lr=0.01, weight_decay=0.1)),
}


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(TORCH_COMPLEX_CASES))
def test_complex_params_equal_torch_which_views_them_as_real_pairs(name):
    """torch.optim optimizes a complex parameter as ``view_as_real`` pairs (second moments
    per component, not ``|g|²``); the compat.torch presets do the same, so trajectories match."""
    torch = pytest.importorskip("torch")
    torch_name, kwargs = TORCH_COMPLEX_CASES[name]
    rng = np.random.default_rng(7)

    def c64(*shape):
        return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(np.complex64)

    p0, grads = c64(6), np.stack([c64(6) for _ in range(30)])
    want = torch_trajectory(lambda ps: getattr(torch.optim, torch_name)(ps, **kwargs), p0, grads)
    got = trajectory(getattr(ltorch, name)(**kwargs), p0, grads)
    assert got.params.dtype == np.complex64
    assert_trajectories_close(got, want, rtol=2e-5, atol=2e-6)
