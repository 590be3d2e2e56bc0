"""Golden values from ``torch.optim`` for the ``lrx.compat.torch`` cases that had only live tests.

    python tests/reference/gen_compat_golden.py     # needs torch (the ``parity`` extra)

Writes ``tests/reference/compat_golden.json`` with:

* ``complex``: torch optimizing a complex64 parameter (torch views it as real pairs), five
  presets, 30 steps; the inputs are stored too.
* ``rejects``: whether torch raises ``ValueError`` for each invalid argument set.
* ``defaults``: every constructor default of the five torch optimizers.
* ``random``: seven random hyperparameter sets (odd seeds with a StepLR schedule), 40 steps.
* ``sgd_default``: ``torch.optim.SGD`` with its defaults but ``lr=0.05`` over 100 steps: the
  parameters move ~100x the comparison tolerance (the optim golden's default SGD moves
  0.4x it).

Importable without torch (torch is imported inside the functions).
"""

from __future__ import annotations

import inspect
import json
import pathlib
from typing import Any

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "compat_golden.json"

CLASSES = {
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
}

COMPLEX_CASES: dict[str, dict[str, Any]] = {
    "sgd": {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01},
    "adagrad": {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01},
    "rmsprop": {"lr": 0.01, "momentum": 0.5, "centered": True},
    "adam": {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01},
    "adamw": {"lr": 0.01, "weight_decay": 0.1},
}

REJECTS: list[tuple[str, dict[str, Any]]] = [
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
    ("adam", {"betas": [1.0, 0.999]}),
    ("adam", {"betas": [0.9, -0.1]}),
    ("adamw", {"weight_decay": -0.01}),
]

STEP_LR = {"step_size": 7, "gamma": 0.7}
RANDOM_SEEDS = (0, 1, 2, 3, 4, 11, 14)  # adamw, rmsprop, adam, sgd (nesterov; dampening)


def random_config(seed: int) -> dict[str, Any]:
    """A random preset and hyperparameters (seeded), with a StepLR schedule on odd seeds."""
    rng = np.random.default_rng(seed)
    preset = str(rng.choice(list(CLASSES)))

    def u(lo: float, hi: float) -> float:
        return float(np.float32(rng.uniform(lo, hi)))

    kw: dict[str, Any] = {"lr": u(1e-3, 5e-2)}
    if preset == "sgd":
        kw.update(momentum=u(0.0, 0.95), weight_decay=u(0.0, 0.1))
        if rng.random() < 0.5:
            kw["nesterov"] = True
        else:
            kw["dampening"] = u(0.0, 0.5)
    elif preset == "adagrad":
        kw.update(lr_decay=u(0.0, 0.05), initial_accumulator_value=u(0.0, 0.5))
        kw.update(weight_decay=u(0.0, 0.1), eps=float(np.float32(10 ** u(-10, -6))))
    elif preset == "rmsprop":
        kw.update(alpha=u(0.8, 0.999), momentum=u(0.0, 0.9), centered=bool(rng.random() < 0.5))
        kw.update(weight_decay=u(0.0, 0.1), eps=float(np.float32(10 ** u(-8, -5))))
    else:
        kw.update(betas=[u(0.5, 0.95), u(0.9, 0.9999)], eps=float(np.float32(10 ** u(-8, -5))))
        kw.update(weight_decay=u(0.0, 0.1), amsgrad=bool(rng.random() < 0.5))
    kw["maximize"] = bool(rng.random() < 0.25)
    return {"seed": seed, "preset": preset, "kwargs": kw, "step_lr": STEP_LR if seed % 2 else None}


def _f32(a: Any) -> list[Any]:
    return np.asarray(a, np.float32).tolist()


def inputs(seed: int, shape: int, steps: int, complex_: bool = False) -> dict[str, Any]:
    rng = np.random.default_rng(seed)

    def draw(*s: int) -> np.ndarray:
        x = rng.normal(size=s)
        if complex_:
            x = x + 1j * rng.normal(size=s)
        return x

    p0, grads = draw(shape), draw(steps, shape)
    if complex_:
        return {"p0": [_f32(p0.real), _f32(p0.imag)], "grads": [_f32(grads.real), _f32(grads.imag)]}
    return {"p0": _f32(p0), "grads": _f32(grads)}


def as_array(pair_or_list: Any, complex_: bool) -> np.ndarray:
    if complex_:
        re, im = (np.asarray(x, np.float32) for x in pair_or_list)
        return (re + 1j * im).astype(np.complex64)
    return np.asarray(pair_or_list, np.float32)


def torch_params(preset: str, kwargs: dict[str, Any], p0: np.ndarray, grads: np.ndarray,
                 step_lr: dict[str, Any] | None = None) -> np.ndarray:  # fmt: skip
    """The parameter after each of ``len(grads)`` torch steps."""
    import torch

    kw = {k: tuple(v) if k == "betas" else v for k, v in kwargs.items()}
    p = torch.nn.Parameter(torch.tensor(p0.copy()))
    opt = getattr(torch.optim, CLASSES[preset])([p], **kw)
    sched = torch.optim.lr_scheduler.StepLR(opt, **step_lr) if step_lr else None
    out = []
    for g in grads:
        p.grad = torch.tensor(g.copy())
        opt.step()
        if sched is not None:
            sched.step()
        out.append(p.detach().numpy().copy())
    return np.stack(out)


def torch_rejects(preset: str, kwargs: dict[str, Any]) -> bool:
    import torch

    kw = {k: tuple(v) if k == "betas" else v for k, v in kwargs.items()}
    try:
        getattr(torch.optim, CLASSES[preset])([torch.nn.Parameter(torch.zeros(2))], **kw)
    except ValueError:
        return True
    return False


def torch_defaults() -> dict[str, dict[str, Any]]:
    import torch

    out: dict[str, dict[str, Any]] = {}
    for preset, cls in CLASSES.items():
        params = inspect.signature(getattr(torch.optim, cls).__init__).parameters
        out[preset] = {}
        for name, p in params.items():
            d = p.default
            if d is inspect.Parameter.empty or name == "self":
                continue
            if isinstance(d, tuple):
                d = list(d)
            if d is None or isinstance(d, (bool, int, float, list)):
                out[preset][name] = d
            else:  # a tensor default (torch's lr may be one): its float
                out[preset][name] = float(d)
    return out


def _encode(params: np.ndarray, complex_: bool) -> Any:
    return [_f32(params.real), _f32(params.imag)] if complex_ else _f32(params)


def main() -> None:
    import torch

    out: dict[str, Any] = {
        "about": "torch.optim goldens for lrx.compat.torch (complex params, rejected arguments, "
        "defaults, random configs, SGD defaults); regenerate: "
        "python tests/reference/gen_compat_golden.py",
        "torch_version": torch.__version__,
    }
    cin = inputs(7, 6, 30, complex_=True)
    p0, grads = as_array(cin["p0"], True), as_array(cin["grads"], True)
    out["complex"] = {
        "inputs": cin,
        "cases": [
            {"preset": k, "kwargs": kw, "params": _encode(torch_params(k, kw, p0, grads), True)}
            for k, kw in COMPLEX_CASES.items()
        ],
    }
    out["rejects"] = [
        {"preset": k, "kwargs": kw, "torch_raises": torch_rejects(k, kw)} for k, kw in REJECTS
    ]
    out["defaults"] = torch_defaults()
    rin = inputs(1000, 8, 40)
    rp0, rgrads = as_array(rin["p0"], False), as_array(rin["grads"], False)
    out["random"] = {"inputs": rin, "cases": []}
    for seed in RANDOM_SEEDS:
        cfg = random_config(seed)
        params = torch_params(cfg["preset"], cfg["kwargs"], rp0, rgrads, cfg["step_lr"])
        out["random"]["cases"].append({**cfg, "params": _f32(params)})
        print(f"random {seed}: {cfg['preset']} {cfg['kwargs']}")
    sin = inputs(2000, 8, 100)
    sp0, sgrads = as_array(sin["p0"], False), as_array(sin["grads"], False)
    sgd = torch_params("sgd", {"lr": 0.05}, sp0, sgrads)
    out["sgd_default"] = {"inputs": sin, "kwargs": {"lr": 0.05}, "params": _f32(sgd)}
    print(f"sgd_default: max |p_T - p_0| = {np.max(np.abs(sgd[-1] - sp0)):.3g}")
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
