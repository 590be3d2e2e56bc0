"""The executable name table: every lrx schedule next to each peer's expression for it.

    python tests/reference/generate.py peers          # writes tests/reference/peers.json
    python tests/reference/gen_peers.py --markdown    # prints the table of docs/schedules.md

Each row of :data:`ROWS` is ``(peer, peer expression, lrx expression, steps)``. The peer
expression is evaluated:

* torch (``torch.optim.lr_scheduler``) and optax: by the installed library itself (live);
  ``opt`` is an SGD optimizer with ``lr = 0.1``;
* Keras, Hugging Face transformers and timm (not installed here): by the NumPy
  transcriptions below, written from the peers' source files (cited per function), with
  the peers' own names and arguments, in float64.

The value compared with lrx's ``s(k)`` is the rate of update ``k``: torch's rate after
``k`` calls of ``scheduler.step()``, optax's and Keras' ``schedule(k)``, HF's ``lr *
lr_lambda(k)`` (a ``LambdaLR`` after ``k`` steps), timm's ``_get_lr(k)`` (what
``step_update(num_updates=k)`` installs before update ``k``). ``peers.json`` stores the
peer's values so the default test run needs neither torch nor optax; the tests rerun the
live peers and the transcriptions too.
"""

from __future__ import annotations

import json
import math
import pathlib
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "peers.json"
LR = 0.1  # the optimizer's lr (torch/HF/timm base lr)

# ---------------------------------------------------------------------------------------
# Keras 3: keras/src/optimizers/schedules/learning_rate_schedule.py (``__call__`` of each
# class), step = optimizer.iterations = updates applied.
# ---------------------------------------------------------------------------------------


def ExponentialDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False):
    """``ExponentialDecay.__call__``: ``lr * rate ** p``, ``p = step / decay_steps`` (floored
    with ``staircase``)."""

    def f(step):
        p = step / decay_steps
        return initial_learning_rate * decay_rate ** (math.floor(p) if staircase else p)

    return f


def PiecewiseConstantDecay(boundaries, values):
    """``PiecewiseConstantDecay.__call__``: ``values[0]`` while ``step <= boundaries[0]``,
    ``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``, ``values[-1]`` after."""

    def f(step):
        for b, v in zip(boundaries, values, strict=False):
            if step <= b:
                return v
        return values[-1]

    return f


def PolynomialDecay(
    initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False
):
    """``PolynomialDecay.__call__``: with ``cycle`` the horizon is ``decay_steps *
    ceil(step / decay_steps)`` (1 multiple at step 0), else the step is clipped."""

    def f(step):
        horizon = decay_steps
        if cycle:
            horizon = decay_steps * (1.0 if step == 0 else math.ceil(step / decay_steps))
        else:
            step = min(step, decay_steps)
        p = step / horizon
        return (initial_learning_rate - end_learning_rate) * (1 - p) ** power + end_learning_rate

    return f


def InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False):
    """``InverseTimeDecay.__call__``: ``lr / (1 + rate * p)``, ``p = step / decay_steps``."""

    def f(step):
        p = step / decay_steps
        return initial_learning_rate / (1 + decay_rate * (math.floor(p) if staircase else p))

    return f


def CosineDecay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    """``CosineDecay.__call__`` / ``_warmup_function`` / ``_decay_function``: linear warm-up
    ``initial -> warmup_target`` over ``warmup_steps``, then
    ``peak * ((1 - alpha) * (1 + cos(pi * s / decay_steps)) / 2 + alpha)``, ``s`` clipped."""

    def decay(s, peak):
        return peak * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / decay_steps)) + alpha)

    def f(step):
        if warmup_target is None:
            return decay(min(step, decay_steps), initial_learning_rate)
        step = min(step, decay_steps + warmup_steps)
        if step < warmup_steps:
            return (warmup_target - initial_learning_rate) * (
                step / warmup_steps
            ) + initial_learning_rate
        return decay(step - warmup_steps, warmup_target)

    return f


def CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
    """``CosineDecayRestarts.__call__``: cycle ``i`` from the geometric sum
    (``floor(log(1 - f (1 - t_mul)) / log(t_mul))`` with ``f = step / first_decay_steps``),
    ``lr * ((1 - alpha) * m_mul**i * (1 + cos(pi * f_i)) / 2 + alpha)``: the height above
    the floor ``alpha * lr`` decays by ``m_mul``."""

    def f(step):
        frac = step / first_decay_steps
        if t_mul == 1.0:
            i = math.floor(frac)
            frac -= i
        else:
            i = math.floor(math.log(1.0 - frac * (1.0 - t_mul)) / math.log(t_mul))
            done = (1.0 - t_mul**i) / (1.0 - t_mul)
            frac = (frac - done) / t_mul**i
        cos = 0.5 * m_mul**i * (1.0 + math.cos(math.pi * frac))
        return initial_learning_rate * ((1 - alpha) * cos + alpha)

    return f


# ---------------------------------------------------------------------------------------
# Hugging Face transformers: src/transformers/optimization.py (the ``_..._lr_lambda``
# function of each ``get_*`` factory); the rate is ``optimizer lr * lambda(step)``.
# ---------------------------------------------------------------------------------------


class _Optimizer:
    """Stands for the torch optimizer HF/timm receive: only its ``lr`` matters."""

    def __init__(self, lr: float) -> None:
        self.lr = lr


def _lambda_lr(optimizer: _Optimizer, lam: Callable[[int], float]) -> Callable[[int], float]:
    return lambda step: optimizer.lr * lam(step)


def get_constant_schedule(optimizer):
    """``_get_constant_lambda``: 1."""
    return _lambda_lr(optimizer, lambda s: 1.0)


def get_constant_schedule_with_warmup(optimizer, num_warmup_steps):
    """``_get_constant_schedule_with_warmup_lr_lambda``: ``s / W`` then 1."""
    return _lambda_lr(
        optimizer, lambda s: s / max(1.0, num_warmup_steps) if s < num_warmup_steps else 1.0
    )


def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps):
    """``_get_linear_schedule_with_warmup_lr_lambda``: ``s / W``, then
    ``max(0, (T - s) / (T - W))``."""

    def lam(s):
        if s < num_warmup_steps:
            return s / max(1, num_warmup_steps)
        return max(0.0, (num_training_steps - s) / max(1, num_training_steps - num_warmup_steps))

    return _lambda_lr(optimizer, lam)


def get_cosine_schedule_with_warmup(
    optimizer, num_warmup_steps, num_training_steps, num_cycles=0.5
):
    """``_get_cosine_schedule_with_warmup_lr_lambda``: ``s / W``, then
    ``max(0, (1 + cos(2 pi c p)) / 2)``, ``p = (s - W) / (T - W)`` (not clipped)."""
    return get_cosine_with_min_lr_schedule_with_warmup(
        optimizer, num_warmup_steps, num_training_steps, num_cycles, min_lr_rate=0.0
    )


def get_cosine_with_min_lr_schedule_with_warmup(
    optimizer, num_warmup_steps, num_training_steps, num_cycles=0.5, min_lr=None, min_lr_rate=None
):
    """``_get_cosine_schedule_with_warmup_lr_lambda`` with ``min_lr_rate = r``:
    ``factor * (1 - r) + r``."""
    r = min_lr / optimizer.lr if min_lr is not None else min_lr_rate

    def lam(s):
        if s < num_warmup_steps:
            return s / max(1, num_warmup_steps)
        p = (s - num_warmup_steps) / max(1, num_training_steps - num_warmup_steps)
        factor = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * p))
        return max(0.0, factor * (1 - r) + r)

    return _lambda_lr(optimizer, lam)


def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
    optimizer,
    num_warmup_steps,
    num_training_steps,
    num_cycles=0.5,
    min_lr=None,
    min_lr_rate=None,
    warmup_lr_rate=None,
):
    """``_get_cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda``: ``(s + 1) / W`` (or
    ``w + (1 - w) s / max(1, W - 1)``) for ``s < W``, then the cosine of
    ``p = (s - W + 1) / max(1, T - W)`` floored at ``min_lr_rate`` (peak at ``s = W - 1``)."""
    r = min_lr / optimizer.lr if min_lr is not None else min_lr_rate

    def lam(s):
        if s < num_warmup_steps:
            if warmup_lr_rate is None:
                return (s + 1.0) / max(1.0, num_warmup_steps)
            w = float(warmup_lr_rate)
            return w + (1.0 - w) * s / max(1, num_warmup_steps - 1)
        p = (s - num_warmup_steps + 1.0) / max(1.0, num_training_steps - num_warmup_steps)
        factor = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * p))
        return max(0, factor * (1 - r) + r)

    return _lambda_lr(optimizer, lam)


def get_cosine_with_hard_restarts_schedule_with_warmup(
    optimizer, num_warmup_steps, num_training_steps, num_cycles=1
):
    """``_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda``: ``s / W``, then
    ``(1 + cos(pi * ((c p) mod 1))) / 2`` for ``p < 1`` and 0 from ``p = 1`` on."""

    def lam(s):
        if s < num_warmup_steps:
            return s / max(1, num_warmup_steps)
        p = (s - num_warmup_steps) / max(1, num_training_steps - num_warmup_steps)
        if p >= 1.0:
            return 0.0
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((num_cycles * p) % 1.0))))

    return _lambda_lr(optimizer, lam)


def get_polynomial_decay_schedule_with_warmup(
    optimizer, num_warmup_steps, num_training_steps, lr_end=1e-7, power=1.0
):
    """``_get_polynomial_decay_schedule_with_warmup_lr_lambda``: ``s / W``; past ``T``
    ``lr_end / lr``; else ``((lr - lr_end) * (1 - (s - W) / (T - W))**power + lr_end) / lr``."""
    lr_init = optimizer.lr

    def lam(s):
        if s < num_warmup_steps:
            return s / max(1, num_warmup_steps)
        if s > num_training_steps:
            return lr_end / lr_init
        remaining = 1 - (s - num_warmup_steps) / (num_training_steps - num_warmup_steps)
        return ((lr_init - lr_end) * remaining**power + lr_end) / lr_init

    return _lambda_lr(optimizer, lam)


def get_inverse_sqrt_schedule(optimizer, num_warmup_steps, timescale=None):
    """``_get_inverse_sqrt_schedule_lr_lambda``: ``s / W``, then
    ``1 / sqrt((s + timescale - W) / timescale)`` (``timescale`` defaults to ``W``)."""
    tau = timescale if timescale is not None else (num_warmup_steps or 10_000)

    def lam(s):
        if s < num_warmup_steps:
            return s / max(1, num_warmup_steps)
        return 1.0 / math.sqrt((s + tau - num_warmup_steps) / tau)

    return _lambda_lr(optimizer, lam)


def get_wsd_schedule(
    optimizer,
    num_warmup_steps,
    num_decay_steps,
    num_training_steps=None,
    num_stable_steps=None,
    warmup_type="linear",
    decay_type="cosine",
    min_lr_ratio=0.0,
    num_cycles=0.5,
):
    """``_get_wsd_scheduler_lambda``: the warm-up factor (linear ``p``, cosine
    ``(1 - cos(pi p)) / 2``, 1-sqrt ``1 - sqrt(1 - p)``) and the decay factor (linear
    ``1 - p``, cosine ``(1 + cos(2 pi c p)) / 2``, 1-sqrt ``1 - sqrt(p)``) are both mapped
    to ``factor * (1 - r) + r``: the warm-up starts at ``r * lr``; ``r`` after the decay."""
    r = min_lr_ratio
    if num_stable_steps is None:
        num_stable_steps = num_training_steps - num_warmup_steps - num_decay_steps
    warm = {
        "linear": lambda p: p,
        "cosine": lambda p: 0.5 * (1.0 - math.cos(math.pi * p)),
        "1-sqrt": lambda p: 1.0 - math.sqrt(1.0 - p),
    }[warmup_type]
    decay = {
        "linear": lambda p: 1.0 - p,
        "cosine": lambda p: 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * p)),
        "1-sqrt": lambda p: 1.0 - math.sqrt(p),
    }[decay_type]

    def lam(s):
        if s < num_warmup_steps:
            return max(0.0, warm(s / max(1, num_warmup_steps)) * (1.0 - r) + r)
        if s < num_warmup_steps + num_stable_steps:
            return 1.0
        if s < num_warmup_steps + num_stable_steps + num_decay_steps:
            p = (s - num_warmup_steps - num_stable_steps) / max(1, num_decay_steps)
            return max(0.0, decay(p) * (1.0 - r) + r)
        return r

    return _lambda_lr(optimizer, lam)


# ---------------------------------------------------------------------------------------
# timm: timm/scheduler/{cosine_lr,tanh_lr,poly_lr,step_lr,multistep_lr}.py, ``_get_lr(t)``
# of each scheduler (t = num_updates with t_in_epochs=False); noise off.
# ---------------------------------------------------------------------------------------


def _timm_cycle(t, t_initial, cycle_mul):
    """The cycle index, cycle length and position of ``_get_lr`` (geometric sum)."""
    if cycle_mul != 1:
        i = math.floor(math.log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))
        t_i = cycle_mul**i * t_initial
        t_curr = t - (1 - cycle_mul**i) / (1 - cycle_mul) * t_initial
    else:
        i = t // t_initial
        t_i = t_initial
        t_curr = t - t_initial * i
    return i, t_i, t_curr


def _timm(optimizer, curve, warmup_t, warmup_lr_init, warmup_prefix, warmup_target=None):
    """The shared warm-up of the timm schedulers: ``warmup_lr_init + t * step`` for
    ``t < warmup_t`` with ``step = (target - warmup_lr_init) / warmup_t`` (target: the base
    lr, or ``_get_lr(warmup_t)`` for the non-prefix tanh scheduler); then ``curve(t)`` on
    ``t - warmup_t`` (prefix) or ``t``."""
    base = optimizer.lr
    target = base if warmup_target is None else warmup_target
    slope = (target - warmup_lr_init) / warmup_t if warmup_t else 0.0

    def f(t):
        if t < warmup_t:
            return warmup_lr_init + t * slope
        return curve(t - warmup_t if warmup_prefix else t)

    return f


def CosineLRScheduler(
    optimizer,
    t_initial,
    lr_min=0.0,
    cycle_mul=1.0,
    cycle_decay=1.0,
    cycle_limit=1,
    warmup_t=0,
    warmup_lr_init=0,
    warmup_prefix=False,
    k_decay=1.0,
):
    """``CosineLRScheduler._get_lr`` (timm/scheduler/cosine_lr.py)."""
    base = optimizer.lr

    def curve(t):
        i, t_i, t_curr = _timm_cycle(t, t_initial, cycle_mul)
        if i >= cycle_limit:
            return lr_min
        lr_max = base * cycle_decay**i
        return lr_min + 0.5 * (lr_max - lr_min) * (
            1 + math.cos(math.pi * t_curr**k_decay / t_i**k_decay)
        )

    return _timm(optimizer, curve, warmup_t, warmup_lr_init, warmup_prefix)


def TanhLRScheduler(
    optimizer,
    t_initial,
    lb=-7.0,
    ub=3.0,
    lr_min=0.0,
    cycle_mul=1.0,
    cycle_decay=1.0,
    cycle_limit=1,
    warmup_t=0,
    warmup_lr_init=0,
    warmup_prefix=False,
):
    """``TanhLRScheduler._get_lr`` (timm/scheduler/tanh_lr.py)."""
    base = optimizer.lr

    def curve(t):
        i, t_i, t_curr = _timm_cycle(t, t_initial, cycle_mul)
        if i >= cycle_limit:
            return lr_min
        lr_max = base * cycle_decay**i
        tr = t_curr / t_i
        return lr_min + 0.5 * (lr_max - lr_min) * (1 - math.tanh(lb * (1.0 - tr) + ub * tr))

    target = None if warmup_prefix or not warmup_t else curve(warmup_t)
    return _timm(optimizer, curve, warmup_t, warmup_lr_init, warmup_prefix, target)


def PolyLRScheduler(
    optimizer,
    t_initial,
    power=0.5,
    lr_min=0.0,
    cycle_mul=1.0,
    cycle_decay=1.0,
    cycle_limit=1,
    warmup_t=0,
    warmup_lr_init=0,
    warmup_prefix=False,
    k_decay=1.0,
):
    """``PolyLRScheduler._get_lr`` (timm/scheduler/poly_lr.py)."""
    base = optimizer.lr

    def curve(t):
        i, t_i, t_curr = _timm_cycle(t, t_initial, cycle_mul)
        if i >= cycle_limit:
            return lr_min
        lr_max = base * cycle_decay**i
        return lr_min + (lr_max - lr_min) * (1 - t_curr**k_decay / t_i**k_decay) ** power

    return _timm(optimizer, curve, warmup_t, warmup_lr_init, warmup_prefix)


def StepLRScheduler(
    optimizer, decay_t, decay_rate=1.0, warmup_t=0, warmup_lr_init=0, warmup_prefix=True
):
    """``StepLRScheduler._get_lr`` (timm/scheduler/step_lr.py): ``lr * rate**(t // decay_t)``."""
    base = optimizer.lr
    return _timm(
        optimizer,
        lambda t: base * decay_rate ** (t // decay_t),
        warmup_t,
        warmup_lr_init,
        warmup_prefix,
    )


def MultiStepLRScheduler(
    optimizer, decay_t, decay_rate=1.0, warmup_t=0, warmup_lr_init=0, warmup_prefix=True
):
    """``MultiStepLRScheduler._get_lr`` (timm/scheduler/multistep_lr.py):
    ``lr * rate**bisect_right(decay_t, t)``."""
    import bisect

    base = optimizer.lr
    return _timm(
        optimizer,
        lambda t: base * decay_rate ** bisect.bisect_right(decay_t, t),
        warmup_t,
        warmup_lr_init,
        warmup_prefix,
    )


TRANSCRIBED: dict[str, dict[str, Any]] = {
    "keras": {
        f.__name__: f
        for f in (
            ExponentialDecay,
            PiecewiseConstantDecay,
            PolynomialDecay,
            InverseTimeDecay,
            CosineDecay,
            CosineDecayRestarts,
        )
    },
    "hf": {
        f.__name__: f
        for f in (
            get_constant_schedule,
            get_constant_schedule_with_warmup,
            get_linear_schedule_with_warmup,
            get_cosine_schedule_with_warmup,
            get_cosine_with_min_lr_schedule_with_warmup,
            get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
            get_cosine_with_hard_restarts_schedule_with_warmup,
            get_polynomial_decay_schedule_with_warmup,
            get_inverse_sqrt_schedule,
            get_wsd_schedule,
        )
    },
    "timm": {
        f.__name__: f
        for f in (
            CosineLRScheduler,
            TanhLRScheduler,
            PolyLRScheduler,
            StepLRScheduler,
            MultiStepLRScheduler,
        )
    },
}
SOURCES = {
    "torch": "torch.optim.lr_scheduler (installed, live)",
    "optax": "optax (installed, live)",
    "keras": "keras/src/optimizers/schedules/learning_rate_schedule.py (transcribed)",
    "hf": "transformers src/transformers/optimization.py (transcribed)",
    "timm": "timm/scheduler/*_lr.py (transcribed)",
}
LIVE = ("torch", "optax")

# ---------------------------------------------------------------------------------------
# The name table. (peer, peer expression, lrx expression, steps). ``opt`` has lr = 0.1.
# ---------------------------------------------------------------------------------------
ROWS: list[tuple[str, str, str, int]] = [
    # -- torch.optim.lr_scheduler --------------------------------------------------------
    ("torch", "ConstantLR(opt, factor=1.0)", "lrx.constant(0.1)", 20),
    (
        "torch",
        "ConstantLR(opt, factor=0.5, total_iters=10)",
        "lrx.sequence([0.05, 0.1], [10])",
        30,
    ),
    ("torch", "StepLR(opt, step_size=30, gamma=0.1)", "lrx.step_decay(0.1, 30, 0.1)", 150),
    (
        "torch",
        "MultiStepLR(opt, milestones=[30, 80], gamma=0.1)",
        "lrx.multistep_decay(0.1, [30, 80], 0.1)",
        120,
    ),
    ("torch", "ExponentialLR(opt, gamma=0.95)", "lrx.exponential_decay(0.1, 1, 0.95)", 150),
    (
        "torch",
        "CosineAnnealingLR(opt, T_max=100, eta_min=0.001)",
        "lrx.cosine_annealing(0.1, 100, 0.001)",
        101,
    ),
    (
        "torch",
        "CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2, eta_min=0.001)",
        "lrx.cosine_warm_restarts(0.1, 5, 2, 0.001)",
        160,
    ),
    (
        "torch",
        "PolynomialLR(opt, total_iters=50, power=2.0)",
        "lrx.polynomial_decay(0.1, 50, 2.0)",
        80,
    ),
    (
        "torch",
        "LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=20)",
        "lrx.linear_schedule(0.025, 0.1, 20)",
        40,
    ),
    (
        "torch",
        "CyclicLR(opt, base_lr=0.001, max_lr=0.1, step_size_up=20, cycle_momentum=False)",
        "lrx.cyclical(0.001, 0.1, 20)",
        150,
    ),
    (
        "torch",
        "OneCycleLR(opt, max_lr=0.1, total_steps=100, cycle_momentum=False)",
        "lrx.one_cycle(0.1, 100)",
        100,
    ),
    (
        "torch",
        "SequentialLR(opt, [LinearLR(opt, start_factor=0.1, total_iters=10), "
        "CosineAnnealingLR(opt, T_max=90)], milestones=[10])",
        "lrx.sequence([lrx.linear_schedule(0.01, 0.1, 10), lrx.cosine_annealing(0.1, 90)], [10])",
        100,
    ),
    (
        "torch",
        "LambdaLR(opt, lambda k: 1.0 / (1.0 + k / 20.0))",
        "lrx.from_fn(lambda t: 0.1 / (1.0 + t / 20.0))",
        60,
    ),
    # -- optax ---------------------------------------------------------------------------
    ("optax", "optax.constant_schedule(0.1)", "lrx.constant(0.1)", 20),
    (
        "optax",
        "optax.exponential_decay(0.1, transition_steps=10, decay_rate=0.5, staircase=True)",
        "lrx.exponential_decay(0.1, 10, 0.5, staircase=True)",
        60,
    ),
    (
        "optax",
        "optax.piecewise_constant_schedule(0.1, {30: 0.1, 80: 0.1})",
        "lrx.multistep_decay(0.1, [30, 80], 0.1)",
        120,
    ),
    (
        "optax",
        "optax.cosine_decay_schedule(0.1, decay_steps=80, alpha=0.02)",
        "lrx.cosine_annealing(0.1, 80, 0.002)",
        100,
    ),
    (
        "optax",
        "optax.polynomial_schedule(0.1, 0.001, power=2.0, transition_steps=50)",
        "lrx.polynomial_decay(0.1, 50, 2.0, 0.001)",
        70,
    ),
    ("optax", "optax.linear_schedule(0.0, 0.1, 20)", "lrx.linear_schedule(0.0, 0.1, 20)", 30),
    (
        "optax",
        "optax.warmup_cosine_decay_schedule(0.01, 0.1, 10, 100, end_value=0.001)",
        "lrx.warmup_cosine(0.1, 10, 100, init_value=0.01, end_value=0.001)",
        120,
    ),
    (
        "optax",
        "optax.warmup_exponential_decay_schedule(0.0, 0.1, 10, transition_steps=5, decay_rate=0.5)",
        "lrx.warmup(lrx.exponential_decay(0.1, 5, 0.5), 10)",
        60,
    ),
    (
        "optax",
        "optax.join_schedules([optax.linear_schedule(0.01, 0.1, 10), "
        "optax.cosine_decay_schedule(0.1, 90)], [10])",
        "lrx.sequence([lrx.linear_schedule(0.01, 0.1, 10), lrx.cosine_annealing(0.1, 90)], [10])",
        110,
    ),
    (
        "optax",
        "optax.sgdr_schedule([dict(init_value=0.1, peak_value=0.1, decay_steps=20, "
        "warmup_steps=0, end_value=0.0)] * 3)",
        "lrx.cosine_warm_restarts(0.1, 20, cycle_limit=3)",
        80,
    ),
    # -- Keras ---------------------------------------------------------------------------
    (
        "keras",
        "ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)",
        "lrx.exponential_decay(0.1, 10, 0.5)",
        60,
    ),
    (
        "keras",
        "ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)",
        "lrx.step_decay(0.1, 10, 0.5)",
        60,
    ),
    (
        "keras",
        "PiecewiseConstantDecay([30, 80], [0.1, 0.01, 0.001])",
        "lrx.multistep_decay(0.1, [31, 81], 0.1)",
        120,
    ),
    (
        "keras",
        "PiecewiseConstantDecay([10, 25], [0.1, 0.05, 0.08])",
        "lrx.sequence([0.1, 0.05, 0.08], [11, 26])",
        40,
    ),
    (
        "keras",
        "PolynomialDecay(0.1, 50, end_learning_rate=0.001, power=2.0)",
        "lrx.polynomial_decay(0.1, 50, 2.0, 0.001)",
        70,
    ),
    (
        "keras",
        "PolynomialDecay(0.1, 20, end_learning_rate=0.001, power=2.0, cycle=True)",
        "lrx.polynomial_decay(0.1, 20, 2.0, 0.001, cycle=True)",
        90,
    ),
    (
        "keras",
        "InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)",
        "lrx.inverse_time_decay(0.1, 0.5, 10)",
        80,
    ),
    (
        "keras",
        "InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)",
        "lrx.inverse_time_decay(0.1, 0.5, 10, staircase=True)",
        80,
    ),
    (
        "keras",
        "CosineDecay(0.1, decay_steps=100, alpha=0.1)",
        "lrx.cosine_annealing(0.1, 100, 0.01)",
        120,
    ),
    (
        "keras",
        "CosineDecay(0.0, decay_steps=90, alpha=0.1, warmup_target=0.1, warmup_steps=10)",
        "lrx.warmup_cosine(0.1, 10, 100, end_value=0.01)",
        120,
    ),
    (
        "keras",
        "CosineDecayRestarts(0.1, 10)",
        "lrx.cosine_warm_restarts(0.1, 10, 2, floor_relative=True)",
        200,
    ),
    (
        "keras",
        "CosineDecayRestarts(0.1, 10, t_mul=1.0, m_mul=0.5, alpha=0.2)",
        "lrx.cosine_warm_restarts(0.1, 10, 1, 0.02, 0.5, floor_relative=True)",
        60,
    ),
    (
        "keras",
        "CosineDecayRestarts(0.1, 8, t_mul=1.5, m_mul=0.8, alpha=0.1)",
        "lrx.cosine_warm_restarts(0.1, 8, 1.5, 0.01, 0.8, floor_relative=True)",
        200,
    ),
    (
        "keras",
        "CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=1.1)",
        "lrx.cosine_warm_restarts(0.1, 10, 2, 0.0, 1.1, floor_relative=True)",
        200,
    ),
    # -- Hugging Face transformers --------------------------------------------------------
    ("hf", "get_constant_schedule(opt)", "lrx.constant(0.1)", 20),
    ("hf", "get_constant_schedule_with_warmup(opt, 10)", "lrx.warmup(0.1, 10)", 30),
    (
        "hf",
        "get_linear_schedule_with_warmup(opt, 10, 100)",
        "lrx.warmup(lrx.linear_schedule(0.1, 0.0, 90), 10)",
        120,
    ),
    (
        "hf",
        "get_cosine_schedule_with_warmup(opt, 10, 100)",
        "lrx.warmup_cosine(0.1, 10, 100)",
        101,
    ),
    (
        "hf",
        "get_cosine_schedule_with_warmup(opt, 10, 100, num_cycles=1.5)",
        "lrx.warmup_cosine(0.1, 10, 100, num_cycles=1.5)",
        101,
    ),
    (
        "hf",
        "get_cosine_with_min_lr_schedule_with_warmup(opt, 10, 100, min_lr_rate=0.1)",
        "lrx.warmup_cosine(0.1, 10, 100, end_value=0.01)",
        101,
    ),
    # num_cycles = c not a half-integer: HF's value at t = T is 0.5 (1 + cos 2 pi c) lr
    # (lrx holds end_value from T on): the mapping holds for t < T
    (
        "hf",
        "get_cosine_schedule_with_warmup(opt, 10, 100, num_cycles=1.0)",
        "lrx.warmup_cosine(0.1, 10, 100, num_cycles=1.0)",
        100,
    ),
    (
        "hf",
        "get_cosine_schedule_with_warmup(opt, 10, 100, num_cycles=0.25)",
        "lrx.warmup_cosine(0.1, 10, 100, num_cycles=0.25)",
        100,
    ),
    # the peak at t = W - 1, the end at t = T - 1 (for t <= T - 1; for t < T - 1 when c is
    # not a half-integer)
    (
        "hf",
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate(opt, 10, 100, min_lr_rate=0.1)",
        "lrx.warmup_cosine(0.1, 9, 99, init_value=0.01, end_value=0.01)",
        100,
    ),
    (
        "hf",
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate(opt, 10, 100, num_cycles=1.5, "
        "min_lr_rate=0.1, warmup_lr_rate=0.05)",
        "lrx.warmup_cosine(0.1, 9, 99, init_value=0.005, end_value=0.01, num_cycles=1.5)",
        100,
    ),
    (
        "hf",
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate(opt, 8, 60, num_cycles=1.0, "
        "min_lr_rate=0.2)",
        "lrx.warmup_cosine(0.1, 7, 59, init_value=0.0125, end_value=0.02, num_cycles=1.0)",
        59,
    ),
    (
        "hf",
        "get_cosine_with_hard_restarts_schedule_with_warmup(opt, 10, 100, num_cycles=3)",
        "lrx.warmup_cosine(0.1, 10, 100, num_cycles=3, restarts=True)",
        120,
    ),
    (
        "hf",
        "get_cosine_with_hard_restarts_schedule_with_warmup(opt, 5, 105, num_cycles=2.5)",
        "lrx.warmup_cosine(0.1, 5, 105, num_cycles=2.5, restarts=True)",
        120,
    ),
    (
        "hf",
        "get_polynomial_decay_schedule_with_warmup(opt, 10, 100, lr_end=1e-4, power=2.0)",
        "lrx.warmup(lrx.polynomial_decay(0.1, 90, 2.0, 1e-4), 10)",
        120,
    ),
    ("hf", "get_inverse_sqrt_schedule(opt, 10)", "lrx.inverse_sqrt(0.1, 10)", 100),
    (
        "hf",
        "get_inverse_sqrt_schedule(opt, 10, timescale=50)",
        "lrx.inverse_sqrt(0.1, 10, timescale=50)",
        100,
    ),
    (
        "hf",
        "get_wsd_schedule(opt, 10, 30, num_stable_steps=50, min_lr_ratio=0.1)",
        "lrx.warmup_stable_decay(0.1, 10, 50, 30, init_value=0.01, end_value=0.01)",
        100,
    ),
    (
        "hf",
        "get_wsd_schedule(opt, 10, 30, num_training_steps=90, warmup_type='cosine', "
        "decay_type='1-sqrt')",
        "lrx.warmup_stable_decay(0.1, 10, 50, 30, decay='sqrt', warmup_shape='cosine')",
        100,
    ),
    (
        "hf",
        "get_wsd_schedule(opt, 12, 20, num_stable_steps=8, warmup_type='1-sqrt', "
        "decay_type='linear', min_lr_ratio=0.05)",
        "lrx.warmup_stable_decay(0.1, 12, 8, 20, init_value=0.005, end_value=0.005, "
        "decay='linear', warmup_shape='sqrt')",
        50,
    ),
    (
        "hf",
        "get_wsd_schedule(opt, 5, 40, num_stable_steps=5, num_cycles=1.0, min_lr_ratio=0.2)",
        "lrx.warmup_stable_decay(0.1, 5, 5, 40, init_value=0.02, end_value=0.02, num_cycles=1.0)",
        60,
    ),
    # -- timm -----------------------------------------------------------------------------
    (
        "timm",
        "CosineLRScheduler(opt, t_initial=50)",
        "lrx.cosine_warm_restarts(0.1, 50, cycle_limit=1)",
        80,
    ),
    (
        "timm",
        "CosineLRScheduler(opt, t_initial=20, lr_min=0.001, cycle_mul=1.5, cycle_decay=0.5, "
        "cycle_limit=4)",
        "lrx.cosine_warm_restarts(0.1, 20, 1.5, 0.001, 0.5, cycle_limit=4)",
        200,
    ),
    (
        "timm",
        "CosineLRScheduler(opt, t_initial=30, cycle_limit=2, k_decay=2.0)",
        "lrx.cosine_warm_restarts(0.1, 30, cycle_limit=2, k_decay=2.0)",
        80,
    ),
    (
        "timm",
        "CosineLRScheduler(opt, t_initial=50, warmup_t=10, warmup_lr_init=0.001)",
        "lrx.warmup(lrx.cosine_warm_restarts(0.1, 50, cycle_limit=1), 10, init_value=0.001, "
        "prefix=False)",
        70,
    ),
    (
        "timm",
        "CosineLRScheduler(opt, t_initial=50, warmup_t=10, warmup_lr_init=0.001, "
        "warmup_prefix=True)",
        "lrx.warmup(lrx.cosine_warm_restarts(0.1, 50, cycle_limit=1), 10, init_value=0.001)",
        70,
    ),
    ("timm", "TanhLRScheduler(opt, t_initial=50)", "lrx.tanh_decay(0.1, 50)", 70),
    (
        "timm",
        "TanhLRScheduler(opt, t_initial=20, lb=-6.0, ub=4.0, lr_min=0.001, cycle_mul=2.0, "
        "cycle_decay=0.8, cycle_limit=3)",
        "lrx.tanh_decay(0.1, 20, -6.0, 4.0, 0.001, T_mult=2, peak_decay=0.8, cycle_limit=3)",
        160,
    ),
    (
        "timm",
        "TanhLRScheduler(opt, t_initial=40, warmup_t=5, warmup_lr_init=0.01, warmup_prefix=True)",
        "lrx.warmup(lrx.tanh_decay(0.1, 40), 5, init_value=0.01)",
        60,
    ),
    (
        "timm",
        "PolyLRScheduler(opt, t_initial=50, power=0.5)",
        "lrx.polynomial_decay(0.1, 50, 0.5)",
        70,
    ),
    (
        "timm",
        "StepLRScheduler(opt, decay_t=10, decay_rate=0.5)",
        "lrx.step_decay(0.1, 10, 0.5)",
        50,
    ),
    (
        "timm",
        "StepLRScheduler(opt, decay_t=10, decay_rate=0.5, warmup_t=5, warmup_lr_init=0.01)",
        "lrx.warmup(lrx.step_decay(0.1, 10, 0.5), 5, init_value=0.01)",
        50,
    ),
    (
        "timm",
        "MultiStepLRScheduler(opt, decay_t=[20, 50], decay_rate=0.5)",
        "lrx.multistep_decay(0.1, [20, 50], 0.5)",
        70,
    ),
]

_PREFIX = {"torch": "", "optax": "", "keras": "keras: ", "hf": "HF: ", "timm": "timm: "}


def row_id(row: tuple[str, str, str, int]) -> str:
    return f"{row[0]}: {row[1]}"


def build_lrx(expr: str) -> Any:
    """The lrx schedule of a row (``lrx.*`` expressions only)."""
    import lrx

    return eval(expr, {"__builtins__": {}, "lrx": lrx})  # committed constant expressions


def peer_values(row: tuple[str, str, str, int]) -> np.ndarray:
    """The peer's rate of updates ``0 .. steps - 1`` (live torch/optax, else transcribed)."""
    peer, expr, _, steps = row
    if peer == "torch":
        return _torch_values(expr, steps)
    if peer == "optax":
        import jax.numpy as jnp
        import optax

        fn = eval(expr, {"__builtins__": {"dict": dict}, "optax": optax})
        return np.asarray(fn(jnp.arange(steps, dtype=jnp.float32)), np.float64)
    namespace: dict[str, Any] = {"__builtins__": {}, "opt": _Optimizer(LR), **TRANSCRIBED[peer]}
    fn = eval(expr, namespace)
    return np.array([fn(k) for k in range(steps)], np.float64)


def _torch_values(expr: str, steps: int) -> np.ndarray:
    import torch
    from torch.optim import lr_scheduler

    param = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([param], lr=LR)
    namespace = {"__builtins__": {}, "opt": opt, **vars(lr_scheduler)}
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR / step-order notices
        sched = eval(expr, namespace)
        for _ in range(steps):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
    return np.array(out, np.float64)


def markdown() -> str:
    """The name table of docs/schedules.md: one line per row, grouped by peer."""
    lines = [
        "| peer | peer expression (`opt`: lr = 0.1) | lrx | checked against |",
        "|---|---|---|---|",
    ]
    for row in ROWS:
        peer, expr, lrx_expr, _ = row
        how = "live" if peer in LIVE else "transcribed"
        lines.append(f"| {peer} | `{expr}` | `{lrx_expr}` | {how} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    rows = []
    for row in ROWS:
        values = peer_values(row)
        got = np.asarray(build_lrx(row[2]).values(row[3]), np.float64)
        dev = np.max(np.abs(got - values) / np.maximum(np.abs(values), 1e-12))
        print(f"{row_id(row):100s} max rel dev {dev:.2e}")
        rows.append(
            {
                "id": row_id(row),
                "peer": row[0],
                "peer_expr": row[1],
                "lrx_expr": row[2],
                "steps": row[3],
                "source": SOURCES[row[0]],
                "values": values.tolist(),
            }
        )
    OUT.write_text(json.dumps({"lr": LR, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    if "--markdown" in sys.argv:
        print(markdown(), end="")
    else:
        main()
