"""Golden values of torch optimizers with parameter groups, the peer of ``lrx.partition``.

    python tests/reference/gen_partition_golden.py     # needs torch (the ``parity`` extra)

Writes ``tests/reference/partition_golden.json``: a small two-tower model (``vision/...``
and ``text/...`` parameters), its gradients for 20 steps, and for each case the torch
optimizer whose two param groups carry their own options (lr, momentum, weight decay,
betas) with the parameters after every step. ``lrx.partition`` with one
``lrx.compat.torch`` preset per group must give the same numbers. Importable without torch.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "partition_golden.json"
STEPS = 20
SHAPES = {
    "vision/block_0/kernel": (2, 3),
    "vision/block_0/bias": (3,),
    "vision/block_1/kernel": (3, 2),
    "text/embed": (4,),
    "text/bias": (1,),
}
CASES: list[dict[str, Any]] = [
    {  # article 004: two learning rates, shared momentum
        "id": "sgd-two-lrs",
        "cls": "SGD",
        "defaults": {"lr": 1e-3, "momentum": 0.9},
        "groups": {"vision": {"lr": 5e-2}, "text": {"lr": 5e-3}},
    },
    {  # group-specific momentum, nesterov and weight decay
        "id": "sgd-group-options",
        "cls": "SGD",
        "defaults": {"lr": 1e-2},
        "groups": {
            "vision": {"lr": 5e-2, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-2},
            "text": {"lr": 2e-2, "momentum": 0.5, "dampening": 0.1},
        },
    },
    {  # Adam with per-group lr and betas, AdamW decay on one group
        "id": "adamw-group-options",
        "cls": "AdamW",
        "defaults": {"lr": 1e-3, "weight_decay": 0.0},
        "groups": {
            "vision": {"lr": 2e-2, "betas": [0.8, 0.99], "weight_decay": 0.1},
            "text": {"lr": 5e-3, "amsgrad": True},
        },
    },
]


def inputs() -> dict[str, Any]:
    rng = np.random.default_rng(4)
    params = {k: rng.normal(size=s).astype(np.float32) for k, s in SHAPES.items()}
    grads = [
        {k: rng.normal(size=s).astype(np.float32) for k, s in SHAPES.items()} for _ in range(STEPS)
    ]
    return {
        "params": {k: v.tolist() for k, v in params.items()},
        "grads": [{k: v.tolist() for k, v in g.items()} for g in grads],
    }


def torch_run(case: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    import torch

    tp = {
        k: torch.nn.Parameter(torch.tensor(np.asarray(v, np.float32)))
        for k, v in data["params"].items()
    }
    groups = []
    for name, opts in case["groups"].items():
        o = {k: tuple(v) if k == "betas" else v for k, v in opts.items()}
        groups.append({"params": [t for k, t in tp.items() if k.startswith(name + "/")], **o})
    opt = getattr(torch.optim, case["cls"])(groups, **case["defaults"])
    out = []
    for g in data["grads"]:
        for k, t in tp.items():
            t.grad = torch.tensor(np.asarray(g[k], np.float32))
        opt.step()
        out.append({k: t.detach().numpy().astype(np.float32).tolist() for k, t in tp.items()})
    return out


def main() -> None:
    import torch

    data = inputs()
    out: dict[str, Any] = {
        "about": "torch optimizers with two param groups vs lrx.partition; regenerate: "
        "python tests/reference/gen_partition_golden.py",
        "torch_version": torch.__version__,
        "inputs": data,
        "cases": [{**case, "params": torch_run(case, data)} for case in CASES],
    }
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
