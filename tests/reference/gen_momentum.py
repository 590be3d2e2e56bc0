"""Golden values for torch's momentum cycling (``cycle_momentum=True``).

Writes ``tests/reference/momentum.json``: for each case, the optimizer's momentum
(SGD ``momentum``, Adam ``betas[0]``) and learning rate after ``k`` calls of
``scheduler.step()``, ``k = 0 .. steps - 1`` (lrx's count ``k``). Run with torch installed:
``python tests/reference/gen_momentum.py``.
"""

from __future__ import annotations

import json
import pathlib

import torch

OUT = pathlib.Path(__file__).with_name("momentum.json")

# (id, optimizer, scheduler kwargs, steps, lrx calls for the momentum and the rate)
CASES = [
    (
        "one_cycle_sgd",
        "sgd",
        "OneCycleLR",
        {"max_lr": 0.1, "total_steps": 100},
        100,
        "lrx.one_cycle_momentum(100)",
        "lrx.one_cycle(0.1, 100)",
    ),
    (
        "one_cycle_adam",
        "adam",
        "OneCycleLR",
        {"max_lr": 0.01, "total_steps": 50},
        50,
        "lrx.one_cycle_momentum(50)",
        "lrx.one_cycle(0.01, 50)",
    ),
    (
        "one_cycle_sgd_linear_three_phase",
        "sgd",
        "OneCycleLR",
        {
            "max_lr": 0.1,
            "total_steps": 60,
            "pct_start": 0.25,
            "anneal_strategy": "linear",
            "three_phase": True,
            "base_momentum": 0.8,
            "max_momentum": 0.9,
        },
        60,
        "lrx.one_cycle_momentum(60, 0.8, 0.9, pct_start=0.25, anneal_strategy='linear', "
        "three_phase=True)",
        "lrx.one_cycle(0.1, 60, pct_start=0.25, anneal_strategy='linear', three_phase=True)",
    ),
    (
        "cyclic_sgd",
        "sgd",
        "CyclicLR",
        {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 5},
        40,
        "lrx.cyclical_momentum(0.8, 0.9, 5)",
        "lrx.cyclical(0.001, 0.1, 5)",
    ),
    (
        "cyclic_sgd_triangular2",
        "sgd",
        "CyclicLR",
        {
            "base_lr": 0.001,
            "max_lr": 0.1,
            "step_size_up": 3,
            "step_size_down": 5,
            "mode": "triangular2",
        },
        50,
        "lrx.cyclical_momentum(0.8, 0.9, 3, 5, mode='triangular2')",
        "lrx.cyclical(0.001, 0.1, 3, 5, mode='triangular2')",
    ),
    (
        "cyclic_sgd_exp_range",
        "sgd",
        "CyclicLR",
        {
            "base_lr": 0.001,
            "max_lr": 0.1,
            "step_size_up": 4,
            "mode": "exp_range",
            "gamma": 0.97,
            "base_momentum": 0.85,
            "max_momentum": 0.95,
        },
        40,
        "lrx.cyclical_momentum(0.85, 0.95, 4, mode='exp_range', gamma=0.97)",
        "lrx.cyclical(0.001, 0.1, 4, mode='exp_range', gamma=0.97)",
    ),
]


def run(optimizer: str, scheduler: str, kwargs: dict, steps: int) -> tuple[list, list]:
    p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    if optimizer == "sgd":
        opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
        key = "momentum"
    else:
        opt = torch.optim.Adam([p], lr=0.01)
        key = "betas"
    sched = getattr(torch.optim.lr_scheduler, scheduler)(opt, **kwargs)
    momentum, lr = [], []
    for _ in range(steps):
        m = opt.param_groups[0][key]
        momentum.append(float(m[0] if key == "betas" else m))
        lr.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        sched.step()
    return momentum, lr


# Recipes: torch's optimizer + scheduler (cycle_momentum=True) on a fixed quadratic
# ``0.5 x'Ax - b'x`` from X0, float64; the parameters after each of the first 100 updates.
A = [[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 2.0]]
B = [1.0, -2.0, 0.5]
X0 = [1.0, 1.0, -1.0]
RECIPES = [
    ("sgd_one_cycle", "sgd", "OneCycleLR", {"max_lr": 0.1, "total_steps": 100}, 100),
    ("adam_one_cycle", "adam", "OneCycleLR", {"max_lr": 0.01, "total_steps": 100}, 100),
    (
        "sgd_cyclic",
        "sgd",
        "CyclicLR",
        {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 10},
        100,
    ),
]


def recipe(optimizer: str, scheduler: str, kwargs: dict, steps: int) -> list:
    a, b = torch.tensor(A, dtype=torch.float64), torch.tensor(B, dtype=torch.float64)
    p = torch.nn.Parameter(torch.tensor(X0, dtype=torch.float64))
    if optimizer == "sgd":
        opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    else:
        opt = torch.optim.Adam([p], lr=0.01)
    sched = getattr(torch.optim.lr_scheduler, scheduler)(opt, **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        p.grad = a @ p.detach() - b
        opt.step()
        sched.step()
        out.append(p.detach().tolist())
    return out


def main() -> None:
    out = {"torch": torch.__version__, "cases": [], "recipes": []}
    for recipe_id, optimizer, scheduler, kwargs, steps in RECIPES:
        out["recipes"].append(
            {
                "id": recipe_id,
                "optimizer": optimizer,
                "scheduler": scheduler,
                "kwargs": kwargs,
                "A": A,
                "b": B,
                "x0": X0,
                "params": recipe(optimizer, scheduler, kwargs, steps),
            }
        )
    for case_id, optimizer, scheduler, kwargs, steps, lrx_momentum, lrx_rate in CASES:
        momentum, lr = run(optimizer, scheduler, kwargs, steps)
        out["cases"].append(
            {
                "id": case_id,
                "torch": f"{scheduler}({optimizer}, **{kwargs!r})",
                "optimizer": optimizer,
                "scheduler": scheduler,
                "kwargs": kwargs,
                "lrx_momentum": lrx_momentum,
                "lrx_rate": lrx_rate,
                "momentum": momentum,
                "lr": lr,
            }
        )
    OUT.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
