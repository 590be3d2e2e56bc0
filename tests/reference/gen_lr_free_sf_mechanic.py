"""Golden values: Schedule-Free (schedulefree 1.4.1) and Mechanic (mechanic-pytorch 0.0.1).

Run ``python tests/reference/gen_lr_free_sf_mechanic.py`` (needs torch, schedulefree and
mechanic-pytorch) to rewrite ``tests/reference/lr_free_sf_mechanic.json``. The module also
holds the two sides of the comparison, imported by tests/test_lr_free_schedule_free.py and
tests/test_lr_free_mechanic.py:

* :func:`torch_run`: the authors' optimizer on a problem of tests/reference/lr_free_problems.py,
  closed loop (``p.grad`` set from the NumPy gradient at the current params), the whole
  parameter dict as ONE torch param group, in ``train()`` mode; it records the params (the
  training iterate ``y``) after every step, the estimate (Schedule-Free: the rate the step
  applied, ``scheduled_lr`` or the base group's ``lr``; Mechanic: the vector ``s``) and, after
  the last step, the evaluation iterate ``x`` (``optimizer.eval()``).
* :func:`jax_run`: the lrx transform on the same problem, its gradient ``jax.grad`` of the
  JAX loss at its own iterate, recording the same quantities (``lrx.learning_rate`` /
  ``state.s`` and ``lrx.schedule_free_eval_params``).

Mechanic's state tensors are created in torch's default dtype (float32 unless changed), so
the float64 runs set ``torch.set_default_dtype(torch.float64)`` (the authors' code run in
float64 throughout).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make ``tests`` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

from tests.reference.lr_free_problems import PROBLEMS

HERE = os.path.dirname(__file__)
JSON_PATH = os.path.join(HERE, "lr_free_sf_mechanic.json")
STEPS = 60
GOLDEN_STEPS = (1, 2, 3, 5, 10, 20, 40, 60)  # steps stored in the JSON (1-based)
KEYS = {"quadratic": ("x",), "lstsq": ("w", "u", "c"), "mlp": ("w1", "b1", "w2", "b2")}

# Schedule-Free SGD's default lr=1.0 diverges on the quadratic (curvature up to 1000).
SGD_LR = {"quadratic": 1e-3, "lstsq": 1.0, "mlp": 1.0}
INNER_SGD_LR = {"quadratic": 1e-3, "lstsq": 0.1, "mlp": 0.1}

# (id, kind, hyperparameters with lrx names). ``lr`` None: per problem (SGD_LR / INNER_SGD_LR).
CONFIGS: list[tuple[str, str, dict[str, Any]]] = [
    ("sgd_default", "sgd", {}),
    ("sgd_warmup", "sgd", {"warmup_steps": 5}),
    ("sgd_r_power", "sgd", {"r": 1.0, "weight_lr_power": 1.0}),
    ("sgd_wd_warmup", "sgd", {"weight_decay": 0.01, "warmup_steps": 3}),
    ("sgd_b1", "sgd", {"learning_rate": {"quadratic": 1e-3, "lstsq": 0.3, "mlp": 0.3}, "b1": 0.7}),
    ("adamw_default", "adamw", {}),
    ("adamw_warmup", "adamw", {"learning_rate": 0.02, "warmup_steps": 5}),
    ("adamw_r_power", "adamw", {"learning_rate": 0.02, "r": 0.5, "weight_lr_power": 0.0}),
    ("adamw_wd", "adamw", {"learning_rate": 0.02, "weight_decay": 0.1}),
    ("adamw_b1_b2", "adamw", {"learning_rate": 0.02, "b1": 0.5, "b2": 0.99, "eps": 1e-6}),
    ("wrap_sgd", "wrap_sgd", {}),
    ("wrap_adam", "wrap_adam", {"learning_rate": 0.01, "b1": 0.8}),
    ("wrap_sgd_warmup", "wrap_sgd", {"warmup_steps": 4, "r": 0.5}),
    ("mech_sgd", "mech_sgd", {}),
    ("mech_adam", "mech_adam", {"learning_rate": 0.01}),
    ("mech_s_decay_init", "mech_sgd", {"s_decay": 0.1, "s_init": 1e-7}),
    ("mech_betas_eps", "mech_adam", {"learning_rate": 0.01, "betas": (0.9, 0.99), "eps": 1e-6}),
]
CONFIG = {c[0]: c for c in CONFIGS}
SF_IDS = [c[0] for c in CONFIGS if not c[1].startswith("mech")]
MECH_IDS = [c[0] for c in CONFIGS if c[1].startswith("mech")]


def _lr(kind: str, hp: dict[str, Any], problem: str) -> float:
    if isinstance(hp.get("learning_rate"), dict):
        return float(hp["learning_rate"][problem])
    if "learning_rate" in hp:
        return float(hp["learning_rate"])
    if kind == "sgd":
        return SGD_LR[problem]
    if kind == "adamw":
        return 0.0025
    if kind in ("wrap_sgd", "mech_sgd"):
        return INNER_SGD_LR[problem]
    return 1e-3


# -- the authors' side -----------------------------------------------------------------------


def torch_run(config: str, problem: str, dtype: str = "float64", steps: int = STEPS) -> dict:
    """The authors' run: ``{"params": [step][key] -> list, "estimate": [step], "x": {...}}``."""
    import torch

    _, kind, hp = CONFIG[config]
    prob = PROBLEMS[problem]
    tdt = {"float64": torch.float64, "float32": torch.float32}[dtype]
    old_default = torch.get_default_dtype()
    torch.set_default_dtype(tdt)
    try:
        init = prob.init(np.dtype(dtype))
        keys = KEYS[problem]
        tensors = [torch.tensor(np.asarray(init[k]), dtype=tdt) for k in keys]
        opt, get_estimate, sched = _torch_optimizer(kind, hp, problem, tensors)
        if hasattr(opt, "train"):
            opt.train()
        params_out, est_out = [], []
        for _ in range(steps):
            current = {k: t.detach().numpy().copy() for k, t in zip(keys, tensors, strict=True)}
            grads = prob.grad_np(current)
            for k, t in zip(keys, tensors, strict=True):
                t.grad = torch.tensor(np.asarray(grads[k]), dtype=tdt)
            est = get_estimate(before=True)
            opt.step()
            if sched is not None:
                sched.step()
            est_out.append(est if est is not None else get_estimate(before=False))
            params_out.append(
                {k: t.detach().numpy().tolist() for k, t in zip(keys, tensors, strict=True)}
            )
        out: dict[str, Any] = {"params": params_out, "estimate": est_out}
        if hasattr(opt, "eval"):
            opt.eval()
            out["x"] = {k: t.detach().numpy().tolist() for k, t in zip(keys, tensors, strict=True)}
        return out
    finally:
        torch.set_default_dtype(old_default)


def _torch_optimizer(kind: str, hp: dict[str, Any], problem: str, tensors: list) -> Any:
    import mechanic_pytorch
    import schedulefree
    import torch

    lr = _lr(kind, hp, problem)
    sf = {k: hp[k] for k in ("warmup_steps", "r", "weight_lr_power") if k in hp}
    if kind == "sgd":
        opt = schedulefree.SGDScheduleFree(
            tensors,
            lr=lr,
            momentum=hp.get("b1", 0.9),
            weight_decay=hp.get("weight_decay", 0.0),
            foreach=False,
            **sf,
        )
        return opt, lambda before: None if before else opt.param_groups[0]["scheduled_lr"], None
    if kind == "adamw":
        opt = schedulefree.AdamWScheduleFree(
            tensors,
            lr=lr,
            betas=(hp.get("b1", 0.9), hp.get("b2", 0.999)),
            eps=hp.get("eps", 1e-8),
            weight_decay=hp.get("weight_decay", 0.0),
            foreach=False,
            **sf,
        )
        return opt, lambda before: None if before else opt.param_groups[0]["scheduled_lr"], None
    if kind in ("wrap_sgd", "wrap_adam"):
        if kind == "wrap_sgd":
            base: Any = torch.optim.SGD(tensors, lr=lr)
        else:
            base = torch.optim.Adam(tensors, lr=lr)
            # The wrapper keeps z in the base's state dict, so torch's Adam sees a non-empty
            # state and skips its own init (KeyError 'exp_avg'): fill it as Adam's init does.
            for t in tensors:
                base.state[t] = {
                    "step": torch.tensor(0.0, dtype=torch.get_default_dtype()),
                    "exp_avg": torch.zeros_like(t),
                    "exp_avg_sq": torch.zeros_like(t),
                }
        warmup = hp.get("warmup_steps", 0)
        sched = None
        if warmup:  # the wrapper has no warm-up: a torch scheduler on the base gives it
            sched = torch.optim.lr_scheduler.LambdaLR(base, lambda k: min((k + 1) / warmup, 1.0))
        # The wrapper's byte swap fails on 0-d tensors (lstsq's bias); its authors point to
        # the reference wrapper then (same formula, x kept instead of recomputed).
        scalar = any(t.dim() == 0 for t in tensors)
        wrapper = (
            schedulefree.ScheduleFreeWrapperReference
            if scalar
            else schedulefree.ScheduleFreeWrapper
        )
        opt = wrapper(
            base,
            momentum=hp.get("b1", 0.9),
            r=hp.get("r", 0.0),
            weight_lr_power=hp.get("weight_lr_power", 2.0),
        )
        return opt, lambda before: base.param_groups[0]["lr"] if before else None, sched
    mech = {k: hp[k] for k in ("s_decay", "s_init", "eps") if k in hp}
    if "betas" in hp:
        mech["betas"] = tuple(hp["betas"])
    cls = torch.optim.SGD if kind == "mech_sgd" else torch.optim.Adam
    opt = mechanic_pytorch.mechanize(cls, **mech)(tensors, lr=lr)
    return opt, lambda before: None if before else opt.state["_mechanic"]["s"].tolist(), None


# -- the lrx side -------------------------------------------------------------------------------


def make_lrx(config: str, problem: str) -> Any:
    """The lrx transform of ``config`` on ``problem``."""
    import lrx

    _, kind, hp = CONFIG[config]
    lr = _lr(kind, hp, problem)
    rest = {k: v for k, v in hp.items() if k != "learning_rate"}  # lr: per problem
    if kind == "sgd":
        return lrx.schedule_free_sgd(lr, **rest)
    if kind == "adamw":
        return lrx.schedule_free_adamw(lr, **rest)
    if kind in ("wrap_sgd", "wrap_adam"):
        inner = lrx.sgd(lr) if kind == "wrap_sgd" else lrx.adam(lr)
        return lrx.schedule_free(inner, learning_rate=lr, **rest)
    inner = lrx.sgd(lr) if kind == "mech_sgd" else lrx.adam(lr)
    return lrx.mechanize(inner, **rest)


def jax_run(
    config: str, problem: str, dtype: str = "float64", steps: int = STEPS, jit: bool = True
) -> dict:
    """lrx's run, recorded as :func:`torch_run`."""
    import jax

    # the problems' JAX losses broadcast a bias (rank promotion), which tests/conftest.py forbids
    with jax.enable_x64(dtype == "float64"), jax.numpy_rank_promotion("allow"):
        return _jax_run(config, problem, dtype, steps, jit)


def _jax_run(config: str, problem: str, dtype: str, steps: int, jit: bool) -> dict:
    import jax
    import jax.numpy as jnp
    import optax

    import lrx

    kind = CONFIG[config][1]
    prob = PROBLEMS[problem]
    tx = make_lrx(config, problem)
    params = {k: jnp.asarray(v) for k, v in prob.init(np.dtype(dtype)).items()}

    def step(params: Any, state: Any) -> Any:
        grads = jax.grad(prob.loss_jax)(params)
        u, state = tx.update(grads, state, params)
        return optax.apply_updates(params, u), state

    step_fn = jax.jit(step) if jit else step
    state = tx.init(params)
    params_out, est_out = [], []
    for _ in range(steps):
        params, state = step_fn(params, state)
        if kind.startswith("mech"):
            est_out.append(np.asarray(state.s).tolist())
        else:
            est_out.append(float(lrx.learning_rate(state)))
        params_out.append({k: np.asarray(params[k]).tolist() for k in KEYS[problem]})
    out: dict[str, Any] = {"params": params_out, "estimate": est_out}
    if not kind.startswith("mech"):
        x = lrx.schedule_free_eval_params(state, params)
        out["x"] = {k: np.asarray(x[k]).tolist() for k in KEYS[problem]}
    return out


# -- comparison --------------------------------------------------------------------------------


def _flat(tree: Any) -> np.ndarray:
    if isinstance(tree, dict):
        return np.concatenate([_flat(tree[k]) for k in sorted(tree)])
    return np.ravel(np.asarray(tree, dtype=np.float64))


def max_rel(actual: dict, desired: dict, steps: Any = None) -> dict[str, float]:
    """Max relative deviation (``max|a − d| / max|d|`` per step, max over steps) of the
    params, the estimate and (when both have it) the evaluation iterate ``x``."""
    n = len(desired["params"])
    idx = range(n) if steps is None else [s - 1 for s in steps if s <= n]

    def rel(a: Any, d: Any) -> float:
        a, d = _flat(a), _flat(d)
        return float(np.max(np.abs(a - d)) / max(float(np.max(np.abs(d))), 1e-300))

    out = {
        "params": max(rel(actual["params"][i], desired["params"][i]) for i in idx),
        "estimate": max(rel(actual["estimate"][i], desired["estimate"][i]) for i in idx),
    }
    if "x" in actual and "x" in desired:
        out["x"] = rel(actual["x"], desired["x"])
    return out


def _round(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _round(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_round(v) for v in tree]
    return float(f"{tree:.12g}")


def main() -> None:
    golden: dict[str, Any] = {"steps": list(GOLDEN_STEPS), "runs": {}}
    for config, _, _ in CONFIGS:
        for problem in PROBLEMS:
            run = torch_run(config, problem, "float64")
            kept = {
                "params": [run["params"][s - 1] for s in GOLDEN_STEPS],
                "estimate": [run["estimate"][s - 1] for s in GOLDEN_STEPS],
            }
            if "x" in run:
                kept["x"] = run["x"]
            golden["runs"][f"{config}/{problem}"] = _round(kept)
    with open(JSON_PATH, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {JSON_PATH} ({os.path.getsize(JSON_PATH)} bytes)")


if __name__ == "__main__":
    main()
