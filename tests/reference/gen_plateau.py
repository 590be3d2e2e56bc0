"""Golden values for ``lrx.reduce_on_plateau``: torch ``ReduceLROnPlateau`` learning rates.

    python tests/reference/generate.py plateau

A fixed, seeded pair of noisy metric sequences with plateaus (a loss and an accuracy, each
rounded to float32 so lrx sees exactly the numbers torch saw) is fed to torch's
``ReduceLROnPlateau`` in several configurations; after every ``scheduler.step(metric)`` the
learning rate, ``best`` and ``num_bad_epochs`` are recorded. The lrx mapping is
``lr = base_lr * scale``, ``min_scale = min_lr / base_lr`` and ``eps = torch_eps / base_lr``
(lrx's default ``eps=0`` agrees with torch at ordinary learning rates; the ``tiny_lr``
configuration needs the mapped eps). The generator refuses sequences in which a comparison
falls within 1e-5 (relative) of torch's improvement bound, so float32 (lrx) and float64
(torch) arithmetic take the same branches.
"""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
NUM_VALUES = 100
SEED = 20240601
TORCH_EPS = 1e-8

# name, metric, base_lr, torch kwargs (mode, factor, patience, threshold, threshold_mode,
# cooldown, min_lr); lrx kwargs are derived in ``lrx_kwargs``.
CONFIGS = [
    ("defaults", "loss", 0.1, {}),
    ("min_rel", "loss", 0.1, dict(factor=0.5, patience=3, threshold=1e-2)),
    (
        "min_abs_cooldown",
        "loss",
        0.1,
        dict(factor=0.3, patience=2, threshold=0.01, threshold_mode="abs", cooldown=3),
    ),
    ("max_rel", "accuracy", 0.1, dict(mode="max", factor=0.5, patience=4, threshold=1e-3)),
    (
        "max_abs_cooldown",
        "accuracy",
        0.05,
        dict(mode="max", factor=0.7, patience=1, threshold=0.002, threshold_mode="abs", cooldown=2),
    ),
    ("min_lr_floor", "loss", 0.1, dict(factor=0.1, patience=1, min_lr=1e-3)),
    ("min_rel_negative", "neg_loss", 0.1, dict(factor=0.5, patience=2, threshold=1e-2)),
    ("tiny_lr", "loss", 1e-6, dict(factor=0.5, patience=0, threshold=1e-2)),
]


def metric_sequences() -> dict[str, list[float]]:
    """Seeded noisy loss/accuracy curves with plateaus and exact repeats, float32-exact."""
    rng = np.random.default_rng(SEED)
    t = np.arange(NUM_VALUES, dtype=np.float64)
    # A loss that falls fast, stalls (20-45), falls again, stalls for good after 70.
    trend = np.where(t < 20, 2.0 * np.exp(-t / 8.0), 0.0)
    trend = np.where((t >= 20) & (t < 45), 2.0 * np.exp(-20 / 8.0), trend)
    trend = np.where(
        (t >= 45) & (t < 70), 2.0 * np.exp(-20 / 8.0) * np.exp(-(t - 45) / 15.0), trend
    )
    trend = np.where(t >= 70, 2.0 * np.exp(-20 / 8.0) * np.exp(-25 / 15.0), trend)
    loss = trend + 0.3 + 0.02 * rng.standard_normal(NUM_VALUES)
    # Exact repeats: an unchanged metric is never an improvement.
    for i in (30, 31, 60, 85, 86, 87):
        loss[i] = loss[i - 1]
    acc = 0.95 - 0.5 * np.exp(-t / 12.0) + 0.005 * rng.standard_normal(NUM_VALUES)
    acc = np.where(t > 55, acc[55] + 0.002 * rng.standard_normal(NUM_VALUES), acc)
    for i in (40, 41, 70):
        acc[i] = acc[i - 1]
    neg = loss - 1.0  # negative metric: torch's rel bound best*(1-thr) is then above best
    as32 = lambda a: [float(np.float32(x)) for x in a]  # noqa: E731
    return {"loss": as32(loss), "accuracy": as32(acc), "neg_loss": as32(neg)}


def lrx_kwargs(base_lr: float, torch_kwargs: dict) -> dict:
    """The lrx ``reduce_on_plateau`` arguments equal to torch's on ``base_lr``."""
    kw = {k: v for k, v in torch_kwargs.items() if k != "min_lr"}
    if "min_lr" in torch_kwargs:
        kw["min_scale"] = torch_kwargs["min_lr"] / base_lr
    if base_lr < 1e-4:  # torch's eps matters only at tiny rates; see the module docstring
        kw["eps"] = TORCH_EPS / base_lr
    return kw


def torch_run(metrics, base_lr: float, **torch_kwargs) -> dict[str, list[float]]:
    """Learning rate, best and num_bad_epochs after each ``scheduler.step(metric)``."""
    import torch

    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base_lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **torch_kwargs)
    out: dict[str, list[float]] = {"lr": [], "best": [], "num_bad_epochs": []}
    for m in metrics:
        sched.step(m)
        out["lr"].append(float(opt.param_groups[0]["lr"]))
        out["best"].append(float(sched.best))
        out["num_bad_epochs"].append(int(sched.num_bad_epochs))
    return out


def _check_margins(metrics, torch_kwargs: dict) -> None:
    """Refuse a metric that sits within 1e-5 (relative) of torch's improvement bound."""
    mode = torch_kwargs.get("mode", "min")
    thr = torch_kwargs.get("threshold", 1e-4)
    rel = torch_kwargs.get("threshold_mode", "rel") == "rel"
    best = math.inf if mode == "min" else -math.inf
    for i, a in enumerate(metrics):
        if rel:
            bound = best * (1 - thr if mode == "min" else 1 + thr)
        else:
            bound = best - thr if mode == "min" else best + thr
        if math.isfinite(bound) and a != best:
            gap = abs(a - bound) / max(abs(bound), 1e-12)
            assert gap > 1e-5, f"metric {i}={a} too close to bound {bound}"
        better = a < bound if mode == "min" else a > bound
        if better:
            best = a


def main() -> None:
    seqs = metric_sequences()
    configs = []
    for name, metric, base_lr, torch_kwargs in CONFIGS:
        _check_margins(seqs[metric], torch_kwargs)
        run = torch_run(seqs[metric], base_lr, **torch_kwargs)
        configs.append(
            {
                "name": name,
                "metric": metric,
                "base_lr": base_lr,
                "torch": torch_kwargs,
                "lrx": lrx_kwargs(base_lr, torch_kwargs),
                **run,
            }
        )
    import torch

    data = {
        "generator": "tests/reference/gen_plateau.py",
        "torch_version": torch.__version__,
        "seed": SEED,
        "metrics": seqs,
        "configs": configs,
    }
    with open(HERE / "plateau.json", "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
