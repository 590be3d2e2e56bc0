"""Golden "last" and "next" learning rates from torch, step by step.

    python tests/reference/generate.py next_lr     # needs torch (the ``parity`` extra)

Writes ``tests/reference/next_lr.json``. For each case torch runs a training loop
(``optimizer.step()`` then ``scheduler.step()``, or ``scheduler.step(metric)`` for
ReduceLROnPlateau) and records at every step:

* ``used``: the rate that ``optimizer.step()`` used (the param group's ``lr`` during the
  step) — what :func:`lrx.learning_rate` must return after the matching lrx update;
* ``next``: ``scheduler.get_last_lr()[0]`` after ``scheduler.step()`` — what
  :func:`lrx.next_learning_rate` must return.

Importable without torch: the live parity test reuses :data:`CASES` and :func:`run`.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "next_lr.json"
LR = 0.1

CASES: list[dict[str, Any]] = [
    {"id": "StepLR", "cls": "StepLR", "kwargs": {"step_size": 3, "gamma": 0.5}, "steps": 12},
    {
        "id": "CosineAnnealingLR",
        "cls": "CosineAnnealingLR",
        "kwargs": {"T_max": 10, "eta_min": 0.001},
        "steps": 10,
    },
    {
        "id": "OneCycleLR",
        "cls": "OneCycleLR",
        "kwargs": {"max_lr": 0.1, "total_steps": 20, "cycle_momentum": False},
        "steps": 19,  # torch raises on a step past total_steps
    },
    {
        "id": "ReduceLROnPlateau",
        "cls": "ReduceLROnPlateau",
        "kwargs": {"factor": 0.5, "patience": 1, "threshold": 0.0, "cooldown": 1},
        "metrics": [1.0, 0.9, 0.95, 0.97, 0.99, 0.8, 0.85, 0.86, 0.87, 0.88, 0.7, 0.75],
    },
]


def run(case: dict[str, Any]) -> dict[str, list[float]]:
    """torch's used/next rates for ``case``."""
    import torch
    from torch.optim import lr_scheduler

    param = torch.nn.Parameter(torch.zeros(2))
    optimizer = torch.optim.SGD([param], lr=LR)
    scheduler = getattr(lr_scheduler, case["cls"])(optimizer, **case["kwargs"])
    used, upcoming = [], []
    metrics = case.get("metrics")
    for k in range(len(metrics) if metrics else case["steps"]):
        used.append(float(optimizer.param_groups[0]["lr"]))
        param.grad = torch.ones(2)
        optimizer.step()
        if metrics:
            scheduler.step(metrics[k])
        else:
            scheduler.step()
        upcoming.append(float(scheduler.get_last_lr()[0]))
    return {"used": used, "next": upcoming}


def main() -> None:
    out = {"lr": LR, "cases": [{**case, **run(case)} for case in CASES]}
    OUT.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
