"""Golden learning-rate values from ``torch.optim.lr_scheduler`` for the lrx schedules.

    python tests/reference/generate.py schedules     # needs torch (the ``parity`` extra)

Writes ``tests/reference/schedules.json``: for each case the torch scheduler and its
arguments, the optimizer's ``lr``, the lrx schedule config it maps to (built by
:func:`to_lrx`, the documented torch -> lrx mapping) and torch's learning rate after
``k = 0 .. steps-1`` calls of ``scheduler.step()``, which lrx's ``s(k)`` must equal.
``main()`` prints the largest relative deviation of lrx from torch per case.

Importable without torch (torch is imported inside the functions): the live parity tests
reuse :data:`CASES`, :func:`to_lrx` and :func:`torch_values`.
"""

from __future__ import annotations

import json
import pathlib
import warnings
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "schedules.json"
LR = 0.1  # the optimizer's lr (torch's base_lr)


def _case(case_id: str, cls: str, steps: int, **kwargs: Any) -> dict[str, Any]:
    return {"id": case_id, "torch": {"cls": cls, "kwargs": kwargs}, "steps": steps}


_NO_MOMENTUM = {"cycle_momentum": False}  # lrx schedules the learning rate only

CASES: list[dict[str, Any]] = [
    _case("ConstantLR-factor1", "ConstantLR", 100, factor=1.0, total_iters=5),
    _case("ConstantLR-factor0.5", "ConstantLR", 100, factor=0.5, total_iters=10),
    _case("StepLR-30-0.1", "StepLR", 150, step_size=30, gamma=0.1),
    _case("StepLR-7-0.5", "StepLR", 120, step_size=7, gamma=0.5),
    _case("MultiStepLR", "MultiStepLR", 120, milestones=[30, 80], gamma=0.1),
    _case("MultiStepLR-repeated", "MultiStepLR", 100, milestones=[10, 40, 40, 75], gamma=0.5),
    _case("ExponentialLR-0.95", "ExponentialLR", 200, gamma=0.95),
    # CosineAnnealingLR: compared for t <= T_max (lrx holds eta_min after, torch goes back up)
    _case("CosineAnnealingLR-100", "CosineAnnealingLR", 101, T_max=100, eta_min=0.001),
    _case("CosineAnnealingLR-137", "CosineAnnealingLR", 138, T_max=137, eta_min=0.0),
    _case(
        "CosineAnnealingWarmRestarts-Tmult1",
        "CosineAnnealingWarmRestarts",
        150,
        T_0=10,
        T_mult=1,
        eta_min=0.001,
    ),
    _case(
        "CosineAnnealingWarmRestarts-Tmult2",
        "CosineAnnealingWarmRestarts",
        200,
        T_0=5,
        T_mult=2,
        eta_min=0.0,
    ),
    _case(
        "CyclicLR-triangular",
        "CyclicLR",
        200,
        base_lr=0.001,
        max_lr=0.1,
        step_size_up=20,
        mode="triangular",
        **_NO_MOMENTUM,
    ),
    _case(
        "CyclicLR-triangular-down",
        "CyclicLR",
        200,
        base_lr=0.001,
        max_lr=0.1,
        step_size_up=10,
        step_size_down=30,
        mode="triangular",
        **_NO_MOMENTUM,
    ),
    _case(
        "CyclicLR-triangular2",
        "CyclicLR",
        150,
        base_lr=0.001,
        max_lr=0.1,
        step_size_up=10,
        mode="triangular2",
        **_NO_MOMENTUM,
    ),
    _case(
        "CyclicLR-exp_range",
        "CyclicLR",
        200,
        base_lr=0.001,
        max_lr=0.1,
        step_size_up=15,
        step_size_down=25,
        mode="exp_range",
        gamma=0.995,
        **_NO_MOMENTUM,
    ),
    # OneCycleLR: t <= total_steps - 1 (torch raises past total_steps)
    _case("OneCycleLR-cos", "OneCycleLR", 200, max_lr=0.1, total_steps=200, **_NO_MOMENTUM),
    _case(
        "OneCycleLR-linear",
        "OneCycleLR",
        150,
        max_lr=0.1,
        total_steps=150,
        pct_start=0.25,
        anneal_strategy="linear",
        div_factor=10.0,
        final_div_factor=100.0,
        **_NO_MOMENTUM,
    ),
    _case(
        "OneCycleLR-three_phase-cos",
        "OneCycleLR",
        120,
        max_lr=0.1,
        total_steps=120,
        three_phase=True,
        **_NO_MOMENTUM,
    ),
    _case(
        "OneCycleLR-three_phase-linear",
        "OneCycleLR",
        101,
        max_lr=0.1,
        total_steps=101,
        pct_start=0.35,
        anneal_strategy="linear",
        three_phase=True,
        **_NO_MOMENTUM,
    ),
    _case("PolynomialLR-linear", "PolynomialLR", 130, total_iters=100, power=1.0),
    _case("PolynomialLR-2.5", "PolynomialLR", 100, total_iters=60, power=2.5),
    _case("LinearLR-default", "LinearLR", 100, start_factor=1.0 / 3, end_factor=1.0, total_iters=5),
    _case("LinearLR-decay", "LinearLR", 120, start_factor=1.0, end_factor=0.05, total_iters=80),
    _case(
        "SequentialLR-warmup-cosine",
        "SequentialLR",
        100,
        milestones=[10],
        schedulers=[
            {
                "cls": "LinearLR",
                "kwargs": {"start_factor": 0.01, "end_factor": 1.0, "total_iters": 10},
            },
            {"cls": "CosineAnnealingLR", "kwargs": {"T_max": 90, "eta_min": 0.0}},
        ],
    ),
    _case(
        "SequentialLR-exp-step-poly",
        "SequentialLR",
        120,
        milestones=[20, 60],
        schedulers=[
            {"cls": "ExponentialLR", "kwargs": {"gamma": 0.9}},
            {"cls": "StepLR", "kwargs": {"step_size": 10, "gamma": 0.5}},
            {"cls": "PolynomialLR", "kwargs": {"total_iters": 40, "power": 2.0}},
        ],
    ),
    # ChainedScheduler: the product of its chainable children (lrx ``s * t``)
    _case(
        "ChainedScheduler-step-exp",
        "ChainedScheduler",
        100,
        schedulers=[
            {"cls": "StepLR", "kwargs": {"step_size": 4, "gamma": 0.5}},
            {"cls": "ExponentialLR", "kwargs": {"gamma": 0.95}},
        ],
    ),
    _case(
        "ChainedScheduler-multistep-constant",
        "ChainedScheduler",
        100,
        schedulers=[
            {"cls": "MultiStepLR", "kwargs": {"milestones": [20, 50], "gamma": 0.3}},
            {"cls": "ConstantLR", "kwargs": {"factor": 0.5, "total_iters": 10}},
        ],
    ),
    # MultiplicativeLR with a constant factor (its lr_lambda returns ``factor``)
    _case("MultiplicativeLR-0.9", "MultiplicativeLR", 100, factor=0.9),
    _case("MultiplicativeLR-0.99", "MultiplicativeLR", 150, factor=0.99),
]


def to_lrx(spec: dict[str, Any], lr: float = LR) -> Any:
    """The lrx schedule equal to torch scheduler ``spec`` on an optimizer with ``lr``.

    This is the torch -> lrx mapping that docs/schedules.md documents.
    """
    import lrx

    cls, kw = spec["cls"], spec["kwargs"]
    if cls == "ConstantLR":
        if kw["factor"] == 1.0:
            return lrx.constant(lr)
        return lrx.sequence(
            [lrx.constant(lr * kw["factor"]), lrx.constant(lr)], [kw["total_iters"]]
        )
    if cls == "StepLR":
        return lrx.step_decay(lr, kw["step_size"], kw["gamma"])
    if cls == "MultiStepLR":
        return lrx.multistep_decay(lr, kw["milestones"], kw["gamma"])
    if cls == "ExponentialLR":
        return lrx.exponential_decay(lr, 1, kw["gamma"])
    if cls == "CosineAnnealingLR":
        return lrx.cosine_annealing(lr, kw["T_max"], kw["eta_min"])
    if cls == "CosineAnnealingWarmRestarts":
        return lrx.cosine_warm_restarts(lr, kw["T_0"], kw["T_mult"], kw["eta_min"])
    if cls == "CyclicLR":
        return lrx.cyclical(
            kw["base_lr"],
            kw["max_lr"],
            kw["step_size_up"],
            kw.get("step_size_down"),
            mode=kw["mode"],
            gamma=kw.get("gamma", 1.0),
        )
    if cls == "OneCycleLR":
        return lrx.one_cycle(
            kw["max_lr"],
            kw["total_steps"],
            pct_start=kw.get("pct_start", 0.3),
            anneal_strategy=kw.get("anneal_strategy", "cos"),
            div_factor=kw.get("div_factor", 25.0),
            final_div_factor=kw.get("final_div_factor", 1e4),
            three_phase=kw.get("three_phase", False),
        )
    if cls == "PolynomialLR":
        return lrx.polynomial_decay(lr, kw["total_iters"], kw["power"])
    if cls == "LinearLR":
        return lrx.linear_schedule(
            lr * kw["start_factor"], lr * kw["end_factor"], kw["total_iters"]
        )
    if cls == "SequentialLR":
        return lrx.sequence([to_lrx(s, lr) for s in kw["schedulers"]], kw["milestones"])
    if cls == "ChainedScheduler":  # each child multiplies the rate: the product
        first, *rest = kw["schedulers"]
        out = to_lrx(first, lr)
        for child in rest:
            out = out * to_lrx(child, 1.0)
        return out
    if cls == "MultiplicativeLR":  # a constant factor per step
        return lrx.exponential_decay(lr, 1, kw["factor"])
    raise ValueError(f"no lrx mapping for torch scheduler {cls!r}")


def _make(optimizer: Any, spec: dict[str, Any]) -> Any:
    from torch.optim import lr_scheduler

    kwargs = dict(spec["kwargs"])
    if spec["cls"] == "ChainedScheduler":
        return lr_scheduler.ChainedScheduler([_make(optimizer, s) for s in kwargs["schedulers"]])
    if spec["cls"] == "MultiplicativeLR":
        factor = kwargs["factor"]
        return lr_scheduler.MultiplicativeLR(optimizer, lambda epoch: factor)
    if spec["cls"] == "SequentialLR":
        kwargs["schedulers"] = [_make(optimizer, s) for s in kwargs["schedulers"]]
    return getattr(lr_scheduler, spec["cls"])(optimizer, **kwargs)


def torch_values(case: dict[str, Any]) -> list[float]:
    """torch's learning rate after ``k = 0 .. steps-1`` calls of ``scheduler.step()``."""
    import torch

    param = torch.nn.Parameter(torch.zeros(2))
    optimizer = torch.optim.SGD([param], lr=LR, momentum=0.9)
    with warnings.catch_warnings():
        # SequentialLR passes epoch arguments to its children (deprecated in torch).
        warnings.simplefilter("ignore")
        scheduler = _make(optimizer, case["torch"])
        values = []
        for _ in range(case["steps"]):
            values.append(float(optimizer.param_groups[0]["lr"]))
            optimizer.step()
            scheduler.step()
    return values


def max_rel_deviation(schedule: Any, values: list[float]) -> float:
    """Largest ``|lrx - torch| / |torch|`` (absolute where torch is exactly 0)."""
    import numpy as np

    got = np.asarray(schedule.values(len(values)), np.float64)
    want = np.asarray(values, np.float64)
    scale = np.where(want == 0, 1.0, np.abs(want))
    return float(np.max(np.abs(got - want) / scale))


def main() -> None:
    import torch

    out: dict[str, Any] = {
        "about": "torch.optim.lr_scheduler values after k scheduler.step() calls "
        f"(SGD lr={LR}); 'lrx' is the lrx schedule config each maps to. "
        "Regenerate: python tests/reference/generate.py schedules",
        "torch_version": torch.__version__,
        "lr": LR,
        "cases": [],
    }
    for case in CASES:
        values = torch_values(case)
        schedule = to_lrx(case["torch"])
        dev = max_rel_deviation(schedule, values)
        print(f"{case['id']:36s} max rel deviation lrx vs torch: {dev:.2e}")
        out["cases"].append({**case, "lrx": schedule.to_config(), "values": values})
    OUT.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
