"""Golden trajectories: torch optimizers under a scheduler that cycles the momentum.

``OneCycleLR`` and ``CyclicLR`` default to ``cycle_momentum=True``: besides the rate they
move SGD's / RMSprop's ``momentum`` or Adam's ``betas[0]`` against it. Each recipe runs a
torch optimizer with such a scheduler (stepped once after every ``optimizer.step()``) on a
fixed quadratic ``0.5 x'Ax - b'x`` in float64 and records the parameters after every
update. ``lrx`` is the call of :mod:`lrx.compat.torch` that should follow it (evaluated by
``tests/test_hyper_schedules.py`` with ``lrx`` and ``ltorch`` in scope).

Writes ``tests/reference/momentum_recipes.json``. Run with torch installed:
``python tests/reference/gen_momentum_recipes.py``.
"""

from __future__ import annotations

import json
import pathlib

import torch

OUT = pathlib.Path(__file__).with_name("momentum_recipes.json")

A = [[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 2.0]]
B = [1.0, -2.0, 0.5]
X0 = [1.0, 1.0, -1.0]

# (id, torch optimizer, its kwargs, scheduler, its kwargs, steps, the lrx call)
RECIPES = [
    (
        "sgd_one_cycle",
        "SGD",
        {"lr": 0.1, "momentum": 0.9},
        "OneCycleLR",
        {"max_lr": 0.1, "total_steps": 100},
        100,
        "ltorch.sgd(lr=lrx.one_cycle(0.1, 100), momentum=lrx.one_cycle_momentum(100))",
    ),
    (
        "sgd_nesterov_wd_one_cycle_three_phase",
        "SGD",
        {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
        "OneCycleLR",
        {"max_lr": 0.05, "total_steps": 60, "three_phase": True, "anneal_strategy": "linear"},
        60,
        "ltorch.sgd(lr=lrx.one_cycle(0.05, 60, three_phase=True, anneal_strategy='linear'), "
        "momentum=lrx.one_cycle_momentum(60, three_phase=True, anneal_strategy='linear'), "
        "weight_decay=0.01, nesterov=True)",
    ),
    (
        "adam_one_cycle",
        "Adam",
        {"lr": 0.01},
        "OneCycleLR",
        {"max_lr": 0.01, "total_steps": 100},
        100,
        "ltorch.adam(lr=lrx.one_cycle(0.01, 100), betas=(lrx.one_cycle_momentum(100), 0.999))",
    ),
    (
        "adamw_one_cycle",
        "AdamW",
        {"lr": 0.01, "weight_decay": 0.05},
        "OneCycleLR",
        {"max_lr": 0.02, "total_steps": 80, "base_momentum": 0.8, "max_momentum": 0.9},
        80,
        "ltorch.adamw(lr=lrx.one_cycle(0.02, 80), "
        "betas=(lrx.one_cycle_momentum(80, 0.8, 0.9), 0.999), weight_decay=0.05)",
    ),
    (
        "rmsprop_one_cycle",
        "RMSprop",
        {"lr": 0.01, "momentum": 0.9},
        "OneCycleLR",
        {"max_lr": 0.01, "total_steps": 50},
        50,
        "ltorch.rmsprop(lr=lrx.one_cycle(0.01, 50), momentum=lrx.one_cycle_momentum(50))",
    ),
    (
        "sgd_cyclic",
        "SGD",
        {"lr": 0.1, "momentum": 0.9},
        "CyclicLR",
        {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 10},
        100,
        "ltorch.sgd(lr=lrx.cyclical(0.001, 0.1, 10), momentum=lrx.cyclical_momentum(0.8, 0.9, 10))",
    ),
    (
        "sgd_dampening_cyclic_triangular2",
        "SGD",
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.1},
        "CyclicLR",
        {
            "base_lr": 0.001,
            "max_lr": 0.1,
            "step_size_up": 4,
            "step_size_down": 6,
            "mode": "triangular2",
            "base_momentum": 0.85,
            "max_momentum": 0.95,
        },
        60,
        "ltorch.sgd(lr=lrx.cyclical(0.001, 0.1, 4, 6, mode='triangular2'), "
        "momentum=lrx.cyclical_momentum(0.85, 0.95, 4, 6, mode='triangular2'), "
        "dampening=0.1)",
    ),
]


def recipe(optimizer: str, opt_kwargs: dict, scheduler: str, kwargs: dict, steps: int) -> list:
    """The parameters after each of ``steps`` updates (float64)."""
    a, b = torch.tensor(A, dtype=torch.float64), torch.tensor(B, dtype=torch.float64)
    p = torch.nn.Parameter(torch.tensor(X0, dtype=torch.float64))
    opt = getattr(torch.optim, optimizer)([p], **opt_kwargs)
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
    out: dict = {"torch": torch.__version__, "A": A, "b": B, "x0": X0, "recipes": []}
    for recipe_id, optimizer, opt_kwargs, scheduler, kwargs, steps, lrx_call in RECIPES:
        out["recipes"].append(
            {
                "id": recipe_id,
                "torch": f"{scheduler}({optimizer}(p, **{opt_kwargs!r}), **{kwargs!r})",
                "optimizer": optimizer,
                "optimizer_kwargs": opt_kwargs,
                "scheduler": scheduler,
                "kwargs": kwargs,
                "lrx": lrx_call,
                "params": recipe(optimizer, opt_kwargs, scheduler, kwargs, steps),
            }
        )
    OUT.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
