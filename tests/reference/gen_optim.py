"""Golden trajectories of torch.optim for ``lrx.compat.torch`` (writes ``optim.json``).

    python tests/reference/generate.py optim

Every configuration in :data:`CONFIGS` runs the torch optimizer for :data:`NUM_STEPS` steps
in float32 on a small fixed parameter tree, fed a precomputed, seeded gradient sequence
(stored in the JSON, so the tests need neither torch nor any loss code). Configurations
with an ``lr_schedule`` step a torch scheduler once after every optimizer step, the way a
per-step scheduler is used in torch; the learning rate of update ``t`` is recorded too.

The JSON holds ``init`` and ``grads`` (leaf name -> list), and per configuration its
``preset`` (lrx.compat.torch function name), ``kwargs`` (torch argument names),
``lr_schedule`` (or null), ``lrs`` (lr of each update) and ``params`` (leaf name ->
``NUM_STEPS`` flattened parameter values, after each update). float32 values are written
with their shortest float32 repr, so loading them as float32 is exact.

:func:`run_torch` is also used by the live parity tests in tests/test_compat_torch.py.
"""

from __future__ import annotations

import json
import math
import pathlib
from collections.abc import Mapping
from typing import Any

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
NUM_STEPS = 100
SEED = 20240611

# Leaf name -> (shape, gradient mean, gradient scale). The scales span five decades so that
# where ``eps`` sits (and its size) is visible in the trajectories of the adaptive methods.
LEAVES: dict[str, tuple[tuple[int, ...], float, float]] = {
    "b": ((4,), 0.0, 1e-2),
    "s": ((2,), 2e-5, 1e-4),
    "w": ((3, 4), 0.2, 1.0),
}

# Torch schedulers stepped once per optimizer step; lrx mirrors them in the tests.
STEP_LR = {"kind": "step", "step_size": 30, "gamma": 0.5}  # torch StepLR
INVERSE_LR = {"kind": "inverse", "rate": 0.05}  # torch LambdaLR(lambda t: 1 / (1 + rate*t))

# (name, preset, torch kwargs, lr schedule or None)
CONFIGS: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]] = [
    ("sgd_default", "sgd", {}, None),
    ("sgd_plain", "sgd", {"lr": 0.05}, None),
    ("sgd_momentum_dampening", "sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1}, None),
    ("sgd_nesterov", "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, None),
    ("sgd_weight_decay", "sgd", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}, None),
    ("sgd_maximize", "sgd", {"lr": 0.01, "weight_decay": 0.01, "maximize": True}, None),
    ("sgd_momentum_steplr", "sgd", {"lr": 0.05, "momentum": 0.9}, STEP_LR),
    ("adagrad_default", "adagrad", {}, None),
    (
        "adagrad_lr_decay_iav_wd",
        "adagrad",
        {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.05},
        None,
    ),
    ("adagrad_lr_decay_steplr", "adagrad", {"lr": 0.1, "lr_decay": 0.02}, STEP_LR),
    ("rmsprop_default", "rmsprop", {}, None),
    ("rmsprop_alpha_centered", "rmsprop", {"alpha": 0.9, "centered": True}, None),
    ("rmsprop_momentum", "rmsprop", {"lr": 1e-3, "momentum": 0.9}, None),
    (
        "rmsprop_centered_momentum_wd",
        "rmsprop",
        {"lr": 3e-3, "centered": True, "momentum": 0.5, "weight_decay": 0.01},
        None,
    ),
    ("rmsprop_inverse", "rmsprop", {"lr": 1e-2, "momentum": 0.5}, INVERSE_LR),
    ("adam_default", "adam", {}, None),
    ("adam_amsgrad", "adam", {"lr": 0.01, "amsgrad": True}, None),
    ("adam_l2", "adam", {"lr": 0.01, "weight_decay": 0.1}, None),
    ("adam_betas_eps", "adam", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6}, None),
    ("adam_inverse", "adam", {"lr": 0.01}, INVERSE_LR),
    ("adamw_default", "adamw", {}, None),
    ("adamw_amsgrad", "adamw", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}, None),
    ("adamw_steplr", "adamw", {"lr": 0.01, "weight_decay": 0.05}, STEP_LR),
]


def make_inputs(seed: int = SEED, num_steps: int = NUM_STEPS) -> tuple[dict, dict]:
    """Initial params (leaf -> float32 array) and gradients (leaf -> float32 [steps, ...])."""
    rng = np.random.default_rng(seed)
    init, grads = {}, {}
    for name, (shape, mean, scale) in LEAVES.items():
        init[name] = rng.standard_normal(shape).astype(np.float32)
        noise = rng.standard_normal((num_steps, *shape))
        grads[name] = (scale * (mean / scale + noise)).astype(np.float32)
    return init, grads


def lr_factor(spec: Mapping[str, Any] | None, t: int) -> float:
    """Multiplier of the base lr after ``t`` scheduler steps (torch's closed forms)."""
    if spec is None:
        return 1.0
    if spec["kind"] == "step":
        return float(spec["gamma"]) ** (t // int(spec["step_size"]))
    if spec["kind"] == "inverse":
        return 1.0 / (1.0 + float(spec["rate"]) * t)
    raise ValueError(f"unknown lr_schedule kind {spec['kind']!r}")


def _torch_scheduler(torch: Any, opt: Any, spec: Mapping[str, Any] | None) -> Any:
    if spec is None:
        return None
    if spec["kind"] == "step":
        return torch.optim.lr_scheduler.StepLR(
            opt, step_size=int(spec["step_size"]), gamma=float(spec["gamma"])
        )
    if spec["kind"] == "inverse":
        rate = float(spec["rate"])
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0 / (1.0 + rate * t))
    raise ValueError(f"unknown lr_schedule kind {spec['kind']!r}")


TORCH_DEFAULT_LR = {"sgd": 1e-3, "adagrad": 1e-2, "rmsprop": 1e-2, "adam": 1e-3, "adamw": 1e-3}

_TORCH_CLASSES = {
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
}


def run_torch(
    preset: str,
    kwargs: Mapping[str, Any],
    lr_schedule: Mapping[str, Any] | None,
    init: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
) -> tuple[list[float], dict[str, np.ndarray]]:
    """Run ``torch.optim.<preset>(**kwargs)`` on the given gradients.

    Returns the lr of each update and, per leaf, the float32 params after each update
    (shape ``[steps, *leaf_shape]``).
    """
    import torch

    names = sorted(init)
    params = [
        torch.nn.Parameter(torch.tensor(np.asarray(init[n]), dtype=torch.float32)) for n in names
    ]
    kw = dict(kwargs)
    if "betas" in kw:
        kw["betas"] = tuple(float(b) for b in kw["betas"])
    opt = getattr(torch.optim, _TORCH_CLASSES[preset])(params, **kw)
    sched = _torch_scheduler(torch, opt, lr_schedule)
    num_steps = len(next(iter(grads.values())))
    lrs: list[float] = []
    traj = {n: np.empty((num_steps, *np.shape(init[n])), np.float32) for n in names}
    for t in range(num_steps):
        for p, n in zip(params, names, strict=True):
            p.grad = torch.tensor(np.asarray(grads[n][t]), dtype=torch.float32)
        lrs.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        if sched is not None:
            sched.step()
        for p, n in zip(params, names, strict=True):
            traj[n][t] = p.detach().numpy()
    return lrs, traj


def _f32_list(a: np.ndarray) -> list:
    """Nested lists of Python floats holding each float32's shortest repr."""
    a = np.asarray(a, np.float32)
    if a.ndim == 0:
        return float(str(np.float32(a)))  # type: ignore[return-value]
    return [_f32_list(x) for x in a]


def main() -> None:
    import torch

    init, grads = make_inputs()
    out: dict[str, Any] = {
        "torch_version": torch.__version__,
        "num_steps": NUM_STEPS,
        "seed": SEED,
        "init": {n: _f32_list(v) for n, v in init.items()},
        "grads": {n: _f32_list(v) for n, v in grads.items()},
        "configs": [],
    }
    for name, preset, kwargs, spec in CONFIGS:
        lrs, traj = run_torch(preset, kwargs, spec, init, grads)
        for t, lr in enumerate(lrs):  # the recorded lr follows torch's closed form
            base = kwargs.get("lr", TORCH_DEFAULT_LR[preset])
            assert math.isclose(lr, base * lr_factor(spec, t), rel_tol=1e-12), (name, t, lr)
        out["configs"].append(
            {
                "name": name,
                "preset": preset,
                "kwargs": kwargs,
                "lr_schedule": spec,
                "lrs": lrs,
                "params": {n: _f32_list(v) for n, v in traj.items()},
            }
        )
    with open(HERE / "optim.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
