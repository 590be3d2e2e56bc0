"""Golden trajectories of the authors' Prodigy and D-Adaptation packages.

    python tests/reference/gen_lr_free_prodigy_dadapt.py   # needs torch, prodigyopt 1.1.2,
                                                          # dadaptation 3.2

writes ``tests/reference/lr_free_prodigy_dadapt.json``: for every configuration of
:data:`CONFIGS` and every problem of ``lr_free_problems`` (float64, closed-loop: the torch
optimizer steps on the NumPy gradient at its own iterate), the authors' ``d`` after every
step and the parameters after the steps of :data:`CHECKPOINTS`. The tests compare lrx to
these values always and rerun the authors' packages live when they are installed.

A configuration is written once, in lrx's names (``b1``/``b2``/``b3``, ``learning_rate``);
:func:`torch_kwargs` maps it to the authors' names. ``schedule`` names a learning-rate
multiplier of the step count (a torch ``LambdaLR`` stepped after each ``optimizer.step()``,
an lrx callable ``count -> lr``).
"""

from __future__ import annotations

import functools
import json
import math
import pathlib
import sys
from typing import Any

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE.parent.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent.parent))

from tests.reference.lr_free_problems import PROBLEMS, closed_loop  # noqa: E402

OUT = HERE / "lr_free_prodigy_dadapt.json"
STEPS = 50
CHECKPOINTS = (1, 2, 3, 5, 10, 25, 50)
DIGITS = 12  # significant digits kept (the tests need 1e-5 relative)

# (id, method, kwargs in lrx's names; "schedule" names an entry of SCHEDULES)
CONFIGS: list[tuple[str, str, dict[str, Any]]] = [
    ("prodigy-default", "prodigy", {}),
    ("prodigy-bias", "prodigy", {"use_bias_correction": True}),
    ("prodigy-wd-decoupled", "prodigy", {"weight_decay": 0.1}),
    ("prodigy-wd-l2", "prodigy", {"weight_decay": 0.1, "decouple": False}),
    ("prodigy-growth", "prodigy", {"growth_rate": 1.02}),
    ("prodigy-safeguard", "prodigy", {"safeguard_warmup": True, "schedule": "warmup0"}),
    ("prodigy-dcoef", "prodigy", {"d_coef": 0.5, "b3": 0.99}),
    ("prodigy-slice", "prodigy", {"slice_p": 3}),
    ("prodigy-b1zero", "prodigy", {"b1": 0.0, "eps": 1e-6}),
    ("prodigy-lr-warmup", "prodigy", {"learning_rate": 0.5, "schedule": "warmup0"}),
    ("dadapt_adam-default", "dadapt_adam", {}),
    ("dadapt_adam-bias", "dadapt_adam", {"use_bias_correction": True}),
    ("dadapt_adam-wd-l2", "dadapt_adam", {"weight_decay": 0.1}),
    ("dadapt_adam-wd-decoupled", "dadapt_adam", {"weight_decay": 0.1, "decouple": True}),
    ("dadapt_adam-growth", "dadapt_adam", {"growth_rate": 1.02, "b1": 0.8}),
    ("dadapt_adam-lr-warmup", "dadapt_adam", {"schedule": "warmup0"}),
    ("dadapt_sgd-default", "dadapt_sgd", {}),
    ("dadapt_sgd-momentum", "dadapt_sgd", {"momentum": 0.9}),
    ("dadapt_sgd-wd-growth", "dadapt_sgd", {"weight_decay": 0.1, "growth_rate": 1.1}),
    ("dadapt_sgd-lr-warmup", "dadapt_sgd", {"learning_rate": 0.5, "schedule": "warmup1"}),
    ("dadapt_adagrad-default", "dadapt_adagrad", {}),
    ("dadapt_adagrad-momentum-wd", "dadapt_adagrad", {"momentum": 0.5, "weight_decay": 0.01}),
    ("dadapt_adagrad-growth", "dadapt_adagrad", {"growth_rate": 1.05, "eps": 1e-3}),
    ("dadapt_adagrad-lr-warmup", "dadapt_adagrad", {"schedule": "warmup0"}),
]

# learning-rate multipliers of the step count t: min(1, (t + shift) / 5); a torch LambdaLR
# on the Python int t, lrx's ``learning_rate(count)`` (in float64 when 64-bit is enabled)
SCHEDULES: dict[str, float] = {"warmup0": 0.0, "warmup1": 1.0}
NO_SCHEDULE = 1e9  # shift that makes the multiplier exactly 1 (one compiled run for all)


def multiplier(shift: Any, t: Any) -> Any:
    if isinstance(t, int):
        return min(1.0, (t + shift) / 5)
    import jax.numpy as jnp

    x = (jnp.asarray(t).astype(jnp.result_type(float)) + shift) / 5
    return jnp.minimum(jnp.ones([], x.dtype), x)


# numeric hyperparameters (passed to the compiled lrx runs as traced arguments, so that
# configurations differing only in numbers share one compilation) and their defaults
NUMERIC: dict[str, dict[str, float]] = {
    "prodigy": {
        "learning_rate": 1.0, "b1": 0.9, "b2": 0.999, "b3": -1.0, "eps": 1e-8, "weight_decay": 0.0,
        "d0": 1e-6, "d_coef": 1.0, "growth_rate": float("inf"),
    },
    "dadapt_adam": {
        "learning_rate": 1.0, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "weight_decay": 0.0,
        "d0": 1e-6, "growth_rate": float("inf"),
    },
    "dadapt_sgd": {
        "learning_rate": 1.0, "momentum": 0.0, "weight_decay": 0.0, "d0": 1e-6,
        "growth_rate": float("inf"),
    },
    "dadapt_adagrad": {
        "learning_rate": 1.0, "momentum": 0.0, "weight_decay": 0.0, "eps": 1e-6, "d0": 1e-6,
        "growth_rate": float("inf"),
    },
}  # fmt: skip
for _numeric in NUMERIC.values():  # the learning-rate schedule's shift (see multiplier)
    _numeric["shift"] = NO_SCHEDULE


def lrx_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` for the lrx factory (the schedule becomes ``learning_rate(count)``)."""
    out = dict(kwargs)
    name = out.pop("schedule", None)
    shift = out.pop("shift", None if name is None else SCHEDULES[name])
    if shift is not None:
        base = out.pop("learning_rate", 1.0)
        out["learning_rate"] = lambda count: base * multiplier(shift, count)
    return out


def torch_kwargs(method: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` in the authors' names (without the schedule)."""
    out = {k: v for k, v in kwargs.items() if k not in ("schedule", "b1", "b2", "b3")}
    if "learning_rate" in out:
        out["lr"] = out.pop("learning_rate")
    if method in ("prodigy", "dadapt_adam"):
        out["betas"] = (kwargs.get("b1", 0.9), kwargs.get("b2", 0.999))
    if "b3" in kwargs:
        out["beta3"] = kwargs["b3"]
    return out


def torch_optimizer(method: str, params: list[Any], kwargs: dict[str, Any]) -> Any:
    import contextlib
    import io

    import dadaptation
    import prodigyopt

    cls = {
        "prodigy": prodigyopt.Prodigy,
        "dadapt_adam": dadaptation.DAdaptAdam,
        "dadapt_sgd": dadaptation.DAdaptSGD,
        "dadapt_adagrad": dadaptation.DAdaptAdaGrad,
    }[method]
    with contextlib.redirect_stdout(io.StringIO()):  # Prodigy prints on weight decay
        return cls(params, **torch_kwargs(method, kwargs))


def torch_trajectory(
    method: str, kwargs: dict[str, Any], problem: str, dtype: Any, steps: int = STEPS
) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """The authors' ``d`` after each step and the parameters after each step."""
    import torch

    prob = PROBLEMS[problem]
    tensors = {k: torch.tensor(v) for k, v in prob.init(dtype).items()}
    opt = torch_optimizer(method, list(tensors.values()), kwargs)
    sched = None
    if "schedule" in kwargs:
        shift = SCHEDULES[kwargs["schedule"]]
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: multiplier(shift, t))
    ds, params = [], []
    for _ in range(steps):
        g = prob.grad_np({k: t.numpy() for k, t in tensors.items()})
        for k, t in tensors.items():
            t.grad = torch.tensor(np.asarray(g[k]))
        opt.step()
        if sched is not None:
            sched.step()
        ds.append(float(opt.param_groups[0]["d"]))
        params.append({k: t.numpy().copy() for k, t in tensors.items()})
    return np.asarray(ds), params


@functools.cache
def _compiled(method: str, static: tuple[Any, ...], problem: str, dtype: str, steps: int) -> Any:
    import jax

    import lrx

    names = tuple(NUMERIC[method])

    def run(values: tuple[Any, ...]) -> Any:
        kw = dict(static) | dict(zip(names, values, strict=True))
        return closed_loop(
            lambda: getattr(lrx, method)(**lrx_kwargs(kw)), problem, np.dtype(dtype), steps
        )

    return jax.jit(run)


def lrx_trajectory(
    method: str,
    kwargs: dict[str, Any],
    problem: str,
    dtype: Any,
    steps: int = STEPS,
    *,
    traced: bool = True,
) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """lrx's ``d`` and parameters after each step, as :func:`torch_trajectory` (64-bit runs
    need ``jax.enable_x64``). ``traced``: numeric hyperparameters are traced arguments of
    one compiled run per flag combination; otherwise constants (one compilation each)."""
    import jax

    import lrx

    dt = np.dtype(dtype).name
    if traced:
        numeric = NUMERIC[method]
        kw = dict(kwargs)
        if "schedule" in kw:
            kw["shift"] = SCHEDULES[kw.pop("schedule")]
        if "b3" in numeric and "b3" not in kw:  # None: sqrt(b2), as the authors' math.sqrt
            kw["b3"] = math.sqrt(kw.get("b2", numeric["b2"]))
        static = tuple(sorted((k, v) for k, v in kw.items() if k not in numeric))
        values = tuple(jax.numpy.asarray(kw.get(k, v), dtype) for k, v in numeric.items())
        ds, ps = _compiled(method, static, problem, dt, steps)(values)
    else:
        run = jax.jit(
            lambda: closed_loop(
                lambda: getattr(lrx, method)(**lrx_kwargs(kwargs)), problem, dtype, steps
            )
        )
        ds, ps = run()
    ps = {k: np.asarray(v) for k, v in ps.items()}
    return np.asarray(ds), [{k: v[i] for k, v in ps.items()} for i in range(steps)]


def max_rel(a: dict[str, Any], b: dict[str, Any]) -> float:
    """``max |a − b| / max |b|`` over all leaves of two parameter dicts."""
    scale = max(float(np.max(np.abs(np.asarray(v, np.float64)))) for v in b.values())
    diff = max(
        float(np.max(np.abs(np.asarray(a[k], np.float64) - np.asarray(b[k], np.float64))))
        for k in b
    )
    return diff / scale


def _round(x: float) -> float:
    return float(f"{x:.{DIGITS}g}")


def generate() -> dict[str, Any]:
    out: dict[str, Any] = {"steps": STEPS, "checkpoints": list(CHECKPOINTS), "runs": {}}
    for cid, method, kwargs in CONFIGS:
        for problem in PROBLEMS:
            ds, params = torch_trajectory(method, kwargs, problem, np.float64)
            out["runs"][f"{cid}/{problem}"] = {
                "d": [_round(v) for v in ds],
                "params": {
                    str(c): {
                        k: [_round(v) for v in np.ravel(a).tolist()]
                        for k, a in params[c - 1].items()
                    }
                    for c in CHECKPOINTS
                },
            }
    return out


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")
    with open(OUT, "w") as f:
        json.dump(generate(), f, separators=(",", ":"))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
