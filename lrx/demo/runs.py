"""The seventeen optimizer / schedule configurations the demo compares.

Article 002 (its five essential schedulers) trains its MNIST MLP
with SGD at 0.1 under five schedulers whose numbers are *per epoch*:

* StepLR: 0.1, halved every 20 epochs;
* ExponentialLR: 0.1 times 0.95 per epoch;
* CosineAnnealingLR: 0.1 down to 0 over the whole run;
* ReduceLROnPlateau on the validation loss;
* CyclicalLR: triangular between 0.001 and 0.1, a 40-epoch cycle (20 up, 20 down).

Those schedules are applied per epoch exactly as a torch scheduler stepped once an epoch:
``lrx.per_epoch(schedule, steps_per_epoch)`` with per-step updates (every step of epoch
``e`` uses ``schedule(e)``). The demo adds a constant-rate baseline, the two modern
per-step schedules article 002 and 004 mention (one-cycle, warmup-stable-decay; these
move every step), and the adaptive optimizers of article 000 (AdaGrad, RMSprop, Adam)
plus its closing suggestion, Adam with plateau reduction.

Plateau runs (``plateau=True``) are ``lrx.chain(base, lrx.reduce_on_plateau(...))``; the
training loop calls ``lrx.observe(opt_state, val_loss)`` after every epoch.

Five more runs answer "can I not choose a learning rate?": Prodigy, D-Adapt Adam and DoG,
which estimate their own step size, and Schedule-Free SGD and AdamW, which need no schedule;
all five at their authors' default call (``lrx.prodigy()``, ...; ``lr_free=True``). The
training loop reads the rate each picks with ``lrx.learning_rate(opt_state)`` after every
update. Schedule-Free trains the iterate ``y`` and is evaluated at ``x``
(``eval_params=lrx.schedule_free_eval_params``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

import optax

import lrx

__all__ = ["LR_FREE_RUNS", "RUNS", "RunSpec", "select_runs"]

SGD_LR = 0.1  # article 002's SGD learning rate
ADAPTIVE_LR = 1e-3  # torch / Keras default for RMSprop and Adam
ADAGRAD_LR = 1e-2  # torch default for AdaGrad


class PlateauKwargs(TypedDict):
    """Keyword arguments of ``lrx.reduce_on_plateau`` used by the plateau runs."""

    factor: float
    patience: int


PLATEAU: PlateauKwargs = {"factor": 0.5, "patience": 5}  # halve after 5 epochs without improvement


@dataclass(frozen=True)
class RunSpec:
    """One configuration.

    Attributes:
        name: short identifier (table rows, results.json keys, ``--runs``).
        label: human-readable description.
        schedule: ``(epochs, steps_per_epoch) -> lrx.Schedule`` of the global learning
            rate, per step; ``None`` for plateau runs (their rate depends on the data).
        optimizer: ``(learning_rate) -> GradientTransformation`` taking that schedule (or
            the constant rate when ``schedule`` is None).
        base_lr: the constant rate used when ``schedule`` is None.
        plateau: wrap with ``lrx.reduce_on_plateau(**PLATEAU)`` and observe the
            validation loss after each epoch.
        lr_free: the optimizer is called at its defaults and picks its own rate
            (``optimizer`` ignores its argument; ``base_lr`` is not used).
        eval_params: ``(opt_state, params) -> params`` to evaluate (the validation metrics)
            instead of the trained params, e.g. ``lrx.schedule_free_eval_params``.
    """

    name: str
    label: str
    optimizer: Callable[[lrx.ScalarOrSchedule], optax.GradientTransformation]
    schedule: Callable[[int, int], lrx.Schedule] | None = None
    base_lr: float = SGD_LR
    plateau: bool = False
    lr_free: bool = False
    eval_params: Callable[[Any, Any], Any] | None = None

    def make(self, epochs: int, steps_per_epoch: int) -> optax.GradientTransformation:
        """The optimizer for ``epochs`` epochs of ``steps_per_epoch`` updates."""
        lr = self.schedule(epochs, steps_per_epoch) if self.schedule else self.base_lr
        tx = self.optimizer(lr)
        if self.plateau:
            tx = lrx.chain(tx, lrx.reduce_on_plateau(**PLATEAU))
        return tx

    def schedule_config(self, epochs: int, steps_per_epoch: int) -> dict[str, Any] | None:
        """JSON-safe config of the schedule (``Schedule.to_config``), None for plateau runs."""
        if self.schedule is None:
            return None
        return self.schedule(epochs, steps_per_epoch).to_config()


def _sgd(lr: lrx.ScalarOrSchedule) -> optax.GradientTransformation:
    return lrx.sgd(lr)


def _adagrad(lr: lrx.ScalarOrSchedule) -> optax.GradientTransformation:
    # torch.optim.Adagrad's defaults (G_0 = 0, eps = 1e-10 outside the root), which the
    # measured tables in docs/demo.md use; lrx.adagrad's own defaults are optax's.
    return lrx.adagrad(lr, 0.0, 1e-10, eps_in_sqrt=False)


def _rmsprop(lr: lrx.ScalarOrSchedule) -> optax.GradientTransformation:
    # decay 0.9 with eps outside the root, as the measured tables in docs/demo.md use.
    return lrx.rmsprop(lr, eps_in_sqrt=False)


def _wsd(epochs: int, spe: int) -> lrx.Schedule:
    # Warmup-stable-decay (article 004, MiniCPM): 10% linear warm-up, 70% at the peak, a
    # 20% cosine decay to 0; per step.
    total = max(epochs * spe, 3)
    warm = max(1, round(0.1 * total))
    decay = max(1, round(0.2 * total))
    return lrx.warmup_stable_decay(
        SGD_LR, warmup_steps=warm, stable_steps=max(1, total - warm - decay), decay_steps=decay
    )


def _defaults(
    factory: Callable[[], optax.GradientTransformation],
) -> Callable[[lrx.ScalarOrSchedule], optax.GradientTransformation]:
    # A learning-rate-free run: the authors' default call, whatever rate the spec holds.
    def make(_: lrx.ScalarOrSchedule) -> optax.GradientTransformation:
        return factory()

    return make


def _prodigy() -> optax.GradientTransformation:
    return lrx.prodigy()


def _dadapt_adam() -> optax.GradientTransformation:
    return lrx.dadapt_adam()


def _dog() -> optax.GradientTransformation:
    return lrx.dog()


def _schedule_free_sgd() -> optax.GradientTransformation:
    return lrx.schedule_free_sgd()


def _schedule_free_adamw() -> optax.GradientTransformation:
    return lrx.schedule_free_adamw()


def _schedule_free_eval(opt_state: Any, params: Any) -> Any:
    return lrx.schedule_free_eval_params(opt_state, params)


RUNS: tuple[RunSpec, ...] = (
    RunSpec(
        "constant",
        "SGD, constant 0.1",
        _sgd,
        lambda e, spe: lrx.constant(SGD_LR),
    ),
    RunSpec(
        "step",
        "SGD, StepLR 0.1 halved every 20 epochs",
        _sgd,
        lambda e, spe: lrx.per_epoch(lrx.step_decay(SGD_LR, step_size=20, gamma=0.5), spe),
    ),
    RunSpec(
        "exponential",
        "SGD, ExponentialLR 0.1 x 0.95/epoch",
        _sgd,
        lambda e, spe: lrx.per_epoch(lrx.exponential_decay(SGD_LR, 1, 0.95), spe),
    ),
    RunSpec(
        "cosine",
        "SGD, cosine annealing 0.1 -> 0 over the run",
        _sgd,
        lambda e, spe: lrx.per_epoch(lrx.cosine_annealing(SGD_LR, T_max=e), spe),
    ),
    RunSpec(
        "plateau",
        "SGD 0.1, ReduceLROnPlateau(val loss, x0.5, patience 5)",
        _sgd,
        plateau=True,
    ),
    RunSpec(
        "cyclical",
        "SGD, cyclical 0.001-0.1, 40-epoch cycle",
        _sgd,
        lambda e, spe: lrx.per_epoch(lrx.cyclical(0.001, SGD_LR, step_size_up=20), spe),
    ),
    RunSpec(
        "one_cycle",
        "SGD, one-cycle to 0.1 (per step)",
        _sgd,
        lambda e, spe: lrx.one_cycle(SGD_LR, total_steps=max(e * spe, 4)),
    ),
    RunSpec(
        "wsd",
        "SGD, warmup-stable-decay 0.1 (10/70/20%, per step)",
        _sgd,
        _wsd,
    ),
    RunSpec("adagrad", "AdaGrad 0.01", _adagrad, base_lr=ADAGRAD_LR),
    RunSpec("rmsprop", "RMSprop 0.001", _rmsprop, base_lr=ADAPTIVE_LR),
    RunSpec("adam", "Adam 0.001", lrx.adam, base_lr=ADAPTIVE_LR),
    RunSpec(
        "adam_plateau",
        "Adam 0.001 + ReduceLROnPlateau (article 000)",
        lrx.adam,
        base_lr=ADAPTIVE_LR,
        plateau=True,
    ),
    RunSpec("prodigy", "Prodigy, defaults (no rate chosen)", _defaults(_prodigy), lr_free=True),
    RunSpec(
        "dadapt_adam",
        "D-Adapt Adam, defaults (no rate chosen)",
        _defaults(_dadapt_adam),
        lr_free=True,
    ),
    RunSpec("dog", "DoG, defaults (no rate chosen)", _defaults(_dog), lr_free=True),
    RunSpec(
        "sf_sgd",
        "Schedule-Free SGD, defaults (1.0, no schedule), eval at x",
        _defaults(_schedule_free_sgd),
        lr_free=True,
        eval_params=_schedule_free_eval,
    ),
    RunSpec(
        "sf_adamw",
        "Schedule-Free AdamW, defaults (0.0025, no schedule), eval at x",
        _defaults(_schedule_free_adamw),
        lr_free=True,
        eval_params=_schedule_free_eval,
    ),
)

LR_FREE_RUNS: tuple[str, ...] = tuple(r.name for r in RUNS if r.lr_free)


def select_runs(names: str | None) -> tuple[RunSpec, ...]:
    """The runs named in a comma-separated list (all when ``names`` is None or empty).

    Raises:
        ValueError: an unknown name (the message lists the known ones).
    """
    if not names:
        return RUNS
    by_name = {r.name: r for r in RUNS}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise ValueError(f"unknown run(s) {', '.join(unknown)}; choose from {', '.join(by_name)}")
    return tuple(by_name[n] for n in wanted)
