"""Golden values of torch ``ReduceLROnPlateau`` on random configs with NaN/inf metrics.

    python tests/reference/gen_plateau_golden.py     # needs torch (the ``parity`` extra)

Writes ``tests/reference/plateau_golden.json``: for each seed the torch arguments, the
metric sequence (NaN at two epochs, +-inf at one; stored as strings, JSON has no NaN) and
torch's learning rate, best and bad-epoch count after each ``scheduler.step(metric)``. The
configs are those of the live test ``test_live_torch_random_configs_with_nan_and_inf``.
Importable without torch.
"""

from __future__ import annotations

import json
import pathlib
import sys
from typing import Any

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "plateau_golden.json"
BASE_LR = 0.5
SEEDS = (0, 1, 2, 3, 4, 5)


def config(seed: int) -> tuple[dict[str, Any], list[float]]:
    """The torch arguments and metrics of ``seed`` (as the live test draws them)."""
    rng = np.random.default_rng(seed)
    mode = ["min", "max"][seed % 2]
    torch_kwargs = dict(
        mode=mode,
        factor=float(rng.uniform(0.2, 0.8)),
        patience=int(rng.integers(0, 4)),
        threshold=float(rng.choice([0.0, 1e-3, 0.05])),
        threshold_mode=["rel", "abs"][seed % 2 if seed < 2 else 0],
        cooldown=int(rng.integers(0, 3)),
        min_lr=0.01 * seed,
    )
    steps = np.round(rng.standard_normal(60) * 4) / 8  # exact float32, many exact ties
    metrics = (np.cumsum(steps) * (1 if mode == "max" else -1)).astype(np.float32)
    metrics[[7, 23]] = np.nan
    metrics[41] = np.inf if mode == "min" else -np.inf
    if seed >= 3:  # the other infinity too: a metric that is worst possible
        metrics[50] = -np.inf if mode == "min" else np.inf
    return torch_kwargs, [float(m) for m in metrics]


def main() -> None:
    import torch

    sys.path.insert(0, str(HERE))
    from gen_plateau import torch_run

    out: dict[str, Any] = {
        "about": "torch ReduceLROnPlateau with NaN/inf metrics; metrics as strings; "
        "regenerate: python tests/reference/gen_plateau_golden.py",
        "torch_version": torch.__version__,
        "base_lr": BASE_LR,
        "cases": [],
    }
    for seed in SEEDS:
        kw, metrics = config(seed)
        run = torch_run(metrics, BASE_LR, **kw)
        out["cases"].append(
            {"seed": seed, "torch": kw, "metrics": [repr(m) for m in metrics], **run}
        )
        print(seed, kw, "final lr", run["lr"][-1])
    OUT.write_text(json.dumps(out, indent=0) + "\n")


if __name__ == "__main__":
    main()
