"""Golden learning-rate values from ``torch.optim.lr_scheduler`` for the lrx schedules.

    python tests/reference/generate.py schedules     # needs torch (the ``parity`` extra)

Writes ``tests/reference/schedules.json``: for each case the torch scheduler and its
arguments, the optimizer's ``lr``, the equivalent lrx schedule config, and torch's
learning rate after ``k = 0 .. steps-1`` calls of ``scheduler.step()`` (which lrx's
``s(k)`` must equal). ``main()`` also prints the largest relative deviation of lrx from
torch per case. Importable without torch: torch is imported inside the functions (the
live parity tests reuse ``CASES`` and ``torch_values``).
"""

from __future__ import annotations

import json
import pathlib
import warnings
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "schedules.json"
LR = 0.1

# id, torch scheduler (class name + kwargs; SequentialLR nests), steps, lrx config.
CASES: list[dict[str, Any]] = [
    {
        "id": "ConstantLR-factor1",
        "torch": {"cls": "ConstantLR", "kwargs": {"factor": 1.0, "total_iters": 5}},
        "steps": 100,
        "lrx": {"name": "constant", "value": LR},
    },
    {
        "id": "ConstantLR-factor0.5",
        "torch": {"cls": "ConstantLR", "kwargs": {"factor": 0.5, "total_iters": 10}},
        "steps": 100,
        "lrx": {
            "name": "sequence",
            "schedules": [{"name": "constant", "value": 0.05}, {"name": "constant", "value": LR}],
            "boundaries": [10],
        },
    },
    {
        "id": "StepLR-30-0.1",
        "torch": {"cls": "StepLR", "kwargs": {"step_size": 30, "gamma": 0.1}},
        "steps": 150,
        "lrx": {"name": "step_decay", "init_value": LR, "step_size": 30, "gamma": 0.1},
    },
    {
        "id": "StepLR-7-0.5",
        "torch": {"cls": "StepLR", "kwargs": {"step_size": 7, "gamma": 0.5}},
        "steps": 120,
        "lrx": {"name": "step_decay", "init_value": LR, "step_size": 7, "gamma": 0.5},
    },
    {
        "id": "MultiStepLR",
        "torch": {"cls": "MultiStepLR", "kwargs": {"milestones": [30, 80], "gamma": 0.1}},
        "steps": 120,
        "lrx": {"name": "multistep_decay", "init_value": LR, "milestones": [30, 80], "gamma": 0.1},
    },
    {
        "id": "MultiStepLR-repeated",
        "torch": {"cls": "MultiStepLR", "kwargs": {"milestones": [10, 40, 40, 75], "gamma": 0.5}},
        "steps": 100,
        "lrx": {
            "name": "multistep_decay",
            "init_value": LR,
            "milestones": [10, 40, 40, 75],
            "gamma": 0.5,
        },
    },
    {
        "id": "ExponentialLR-0.95",
        "torch": {"cls": "ExponentialLR", "kwargs": {"gamma": 0.95}},
        "steps": 200,
        "lrx": {"name": "exponential_decay", "init_value": LR, "gamma": 0.95, "every": 1,
                "staircase": False},
    },
    {
        "id": "CosineAnnealingLR-100",
        "torch": {"cls": "CosineAnnealingLR", "kwargs": {"T_max": 100, "eta_min": 0.001}},
        "steps": 101,  # t <= T_max
        "lrx": {"name": "cosine_annealing", "init_value": LR, "T_max": 100, "eta_min": 0.001},
    },
    {
        "id": "CosineAnnealingLR-137",
        "torch": {"cls": "CosineAnnealingLR", "kwargs": {"T_max": 137, "eta_min": 0.0}},
        "steps": 138,  # t <= T_max; torch ends at ~1e-18 where lrx gives exactly 0
        "lrx": {"name": "cosine_annealing", "init_value": LR, "T_max": 137, "eta_min": 0.0},
    },
    {
        "id": "CosineAnnealingWarmRestarts-Tmult1",
        "torch": {"cls": "CosineAnnealingWarmRestarts",
                  "kwargs": {"T_0": 10, "T_mult": 1, "eta_min": 0.001}},
        "steps": 150,
        "lrx": {"name": "cosine_warm_restarts", "init_value": LR, "T_0": 10, "T_mult": 1,
                "eta_min": 0.001, "peak_decay": 1.0},
    },
    {
        "id": "CosineAnnealingWarmRestarts-Tmult2",
        "torch": {"cls": "CosineAnnealingWarmRestarts",
                  "kwargs": {"T_0": 5, "T_mult": 2, "eta_min": 0.0}},
        "steps": 200,
        "lrx": {"name": "cosine_warm_restarts", "init_value": LR, "T_0": 5, "T_mult": 2,
                "eta_min": 0.0, "peak_decay": 1.0},
    },
    {
        "id": "CyclicLR-triangular",
        "torch": {"cls": "CyclicLR", "kwargs": {"base_lr": 0.001, "max_lr": 0.1,
                                                "step_size_up": 20, "mode": "triangular",
                                                "cycle_momentum": False}},
        "steps": 200,
        "lrx": {"name": "cyclical", "base_lr": 0.001, "max_lr": 0.1, "step_size_up": 20,
                "step_size_down": 20, "mode": "triangular", "gamma": 1.0},
    },
    {
        "id": "CyclicLR-triangular-down",
        "torch": {"cls": "CyclicLR", "kwargs": {"base_lr": 0.001, "max_lr": 0.1,
                                                "step_size_up": 10, "step_size_down": 30,
                                                "mode": "triangular", "cycle_momentum": False}},
        "steps": 200,
        "lrx": {"name": "cyclical", "base_lr": 0.001, "max_lr": 0.1, "step_size_up": 10,
                "step_size_down": 30, "mode": "triangular", "gamma": 1.0},
    },
    {
        "id": "CyclicLR-triangular2",
        "torch": {"cls": "CyclicLR", "kwargs": {"base_lr": 0.001, "max_lr": 0.1,
                                                "step_size_up": 10, "mode": "triangular2",
                                                "cycle_momentum": False}},
        "steps": 150,
        "lrx": {"name": "cyclical", "base_lr": 0.001, "max_lr": 0.1, "step_size_up": 10,
                "step_size_down": 10, "mode": "triangular2", "gamma": 1.0},
    },
    {
        "id": "CyclicLR-exp_range",
        "torch": {"cls": "CyclicLR", "kwargs": {"base_lr": 0.001, "max_lr": 0.1,
                                                "step_size_up": 15, "step_size_down": 25,
                                                "mode": "exp_range", "gamma": 0.995,
                                                "cycle_momentum": False}},
        "steps": 200,
        "lrx": {"name": "cyclical", "base_lr": 0.001, "max_lr": 0.1, "step_size_up": 15,
                "step_size_down": 25, "mode": "exp_range", "gamma": 0.995},
    },
    {
        "id": "OneCycleLR-cos",
        "torch": {"cls": "OneCycleLR", "kwargs": {"max_lr": 0.1, "total_steps": 200,
                                                  "cycle_momentum": False}},
        "steps": 200,
        "lrx": {"name": "one_cycle", "max_lr": 0.1, "total_steps": 200, "pct_start": 0.3,
                "anneal_strategy": "cos", "div_factor": 25.0, "final_div_factor": 1e4,
                "three_phase": False},
    },
    {
        "id": "OneCycleLR-linear",
        "torch": {"cls": "OneCycleLR", "kwargs": {"max_lr": 0.1, "total_steps": 150,
                                                  "pct_start": 0.25, "anneal_strategy": "linear",
                                                  "div_factor": 10.0, "final_div_factor": 100.0,
                                                  "cycle_momentum": False}},
        "steps": 150,
        "lrx": {"name": "one_cycle", "max_lr": 0.1, "total_steps": 150, "pct_start": 0.25,
                "anneal_strategy": "linear", "div_factor": 10.0, "final_div_factor": 100.0,
                "three_phase": False},
    },
    {
        "id": "OneCycleLR-three_phase-cos",
        "torch": {"cls": "OneCycleLR", "kwargs": {"max_lr": 0.1, "total_steps": 120,
                                                  "three_phase": True, "cycle_momentum": False}},
        "steps": 120,
        "lrx": {"name": "one_cycle", "max_lr": 0.1, "total_steps": 120, "pct_start": 0.3,
                "anneal_strategy": "cos", "div_factor": 25.0, "final_div_factor": 1e4,
                "three_phase": True},
    },
    {
        "id": "OneCycleLR-three_phase-linear",
        "torch": {"cls": "OneCycleLR", "kwargs": {"max_lr": 0.1, "total_steps": 101,
                                                  "pct_start": 0.35, "anneal_strategy": "linear",
                                                  "three_phase": True, "cycle_momentum": False}},
        "steps": 101,
        "lrx": {"name": "one_cycle", "max_lr": 0.1, "total_steps": 101, "pct_start": 0.35,
                "anneal_strategy": "linear", "div_factor": 25.0, "final_div_factor": 1e4,
                "three_phase": True},
    },
    {
        "id": "PolynomialLR-linear",
        "torch": {"cls": "PolynomialLR", "kwargs": {"total_iters": 100, "power": 1.0}},
        "steps": 130,
        "lrx": {"name": "polynomial_decay", "init_value": LR, "total_steps": 100, "power": 1.0,
                "end_value": 0.0},
    },
    {
        "id": "PolynomialLR-2.5",
        "torch": {"cls": "PolynomialLR", "kwargs": {"total_iters": 60, "power": 2.5}},
        "steps": 100,
        "lrx": {"name": "polynomial_decay", "init_value": LR, "total_steps": 60, "power": 2.5,
                "end_value": 0.0},
    },
    {
        "id": "LinearLR-default",
        "torch": {"cls": "LinearLR", "kwargs": {"start_factor": 1.0 / 3, "end_factor": 1.0,
                                                "total_iters": 5}},
        "steps": 100,
        "lrx": {"name": "linear_schedule", "start_value": LR / 3, "end_value": LR,
                "transition_steps": 5},
    },
    {
        "id": "LinearLR-decay",
        "torch": {"cls": "LinearLR", "kwargs": {"start_factor": 1.0, "end_factor": 0.05,
                                                "total_iters": 80}},
        "steps": 120,
        "lrx": {"name": "linear_schedule", "start_value": LR, "end_value": LR * 0.05,
                "transition_steps": 80},
    },
    {
        "id": "SequentialLR-warmup-cosine",
        "torch": {"cls": "SequentialLR", "kwargs": {
            "schedulers": [
                {"cls": "LinearLR", "kwargs": {"start_factor": 0.01, "end_factor": 1.0,
                                               "total_iters": 10}},
                {"cls": "CosineAnnealingLR", "kwargs": {"T_max": 90, "eta_min": 0.0}},
            ],
            "milestones": [10],
        }},
        "steps": 100,
        "lrx": {"name": "sequence", "schedules": [
            {"name": "linear_schedule", "start_value": LR * 0.01, "end_value": LR,
             "transition_steps": 10},
            {"name": "cosine_annealing", "init_value": LR, "T_max": 90, "eta_min": 0.0},
        ], "boundaries": [10]},
    },
    {
        "id": "SequentialLR-exp-step-poly",
        "torch": {"cls": "SequentialLR", "kwargs": {
            "schedulers": [
                {"cls": "ExponentialLR", "kwargs": {"gamma": 0.9}},
                {"cls": "StepLR", "kwargs": {"step_size": 10, "gamma": 0.5}},
                {"cls": "PolynomialLR", "kwargs": {"total_iters": 40, "power": 2.0}},
            ],
            "milestones": [20, 60],
        }},
        "steps": 120,
        "lrx": {"name": "sequence", "schedules": [
            {"name": "exponential_decay", "init_value": LR, "gamma": 0.9, "every": 1,
             "staircase": False},
            {"name": "step_decay", "init_value": LR, "step_size": 10, "gamma": 0.5},
            {"name": "polynomial_decay", "init_value": LR, "total_steps": 40, "power": 2.0,
             "end_value": 0.0},
        ], "boundaries": [20, 60]},
    },
]


def _make(optimizer: Any, spec: dict[str, Any]) -> Any:
    from torch.optim import lr_scheduler

    cls = getattr(lr_scheduler, spec["cls"])
    kwargs = dict(spec["kwargs"])
    if spec["cls"] == "SequentialLR":
        kwargs["schedulers"] = [_make(optimizer, s) for s in kwargs["schedulers"]]
    return cls(optimizer, **kwargs)


def torch_values(case: dict[str, Any]) -> list[float]:
    """torch's learning rate after ``k = 0 .. steps-1`` calls of ``scheduler.step()``."""
    import torch

    param = torch.nn.Parameter(torch.zeros(2))
    optimizer = torch.optim.SGD([param], lr=LR, momentum=0.9)
    with warnings.catch_warnings():
        # torch warns about step order / deprecated epoch arguments inside SequentialLR.
        warnings.simplefilter("ignore")
        scheduler = _make(optimizer, case["torch"])
        values = []
        for _ in range(case["steps"]):
            values.append(float(optimizer.param_groups[0]["lr"]))
            optimizer.step()
            scheduler.step()
    return values


def max_rel_deviation(case: dict[str, Any], values: list[float]) -> float:
    """Largest ``|lrx - torch| / |torch|`` over the case (0 where torch is exactly 0)."""
    import numpy as np

    import lrx

    got = lrx.schedule_from_config(case["lrx"]).values(case["steps"]).astype(np.float64)
    want = np.asarray(values, np.float64)
    err = np.abs(got - want)
    return float(np.max(np.where(want == 0, err, err / np.where(want == 0, 1.0, np.abs(want)))))


def main() -> None:
    import torch

    out = {
        "about": "torch.optim.lr_scheduler values after k scheduler.step() calls "
        f"(SGD lr={LR}); lrx: the equivalent lrx schedule config. "
        "Regenerate: python tests/reference/generate.py schedules",
        "torch_version": torch.__version__,
        "cases": [],
    }
    for case in CASES:
        values = torch_values(case)
        print(f"{case['id']:38s} max rel deviation lrx vs torch: "
              f"{max_rel_deviation(case, values):.2e}")
        out["cases"].append({**case, "values": values})
    OUT.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
