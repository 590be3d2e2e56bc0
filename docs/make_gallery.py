"""Render the schedule gallery of docs/schedules.md into docs/img/schedule_<name>.png.

    python docs/make_gallery.py            # needs matplotlib (the ``plot`` extra)

One small PNG per lrx schedule (about 600x300 px), plus
``schedule_article002_summary.png``: the five-scheduler visual summary of
article 002 (StepLR 0.1 halved every 20 epochs, ExponentialLR 0.95, cosine
annealing, ReduceLROnPlateau on a scripted validation loss, cyclical 0.001-0.1 over a
40-epoch cycle; 100 epochs). Curves are drawn with ``lrx.plot.schedules``.
"""

from __future__ import annotations

import pathlib

import jax.numpy as jnp
from matplotlib.figure import Figure  # pyplot-free: no backend or window needed

import lrx

OUT = pathlib.Path(__file__).resolve().parent / "img"
SIZE = (7.5, 3.75)  # inches; at DPI 80 this is 600x300 px
DPI = 80


def _figure() -> tuple[Figure, object]:
    fig = Figure(figsize=SIZE)
    return fig, fig.add_subplot()


def _save(fig: Figure, name: str) -> pathlib.Path:
    fig.tight_layout()
    path = OUT / f"schedule_{name}.png"
    fig.savefig(path, dpi=DPI)
    return path


def _decaying(t):
    return 0.1 / (1.0 + t / 20.0)


GALLERY: dict[str, tuple[int, dict[str, lrx.Schedule]]] = {
    "constant": (200, {"constant(0.05)": lrx.constant(0.05)}),
    "step_decay": (
        200,
        {
            "step_decay(0.1, step_size=50, gamma=0.5)": lrx.step_decay(0.1, 50, 0.5),
            "step_decay(0.1, step_size=30, gamma=0.1)": lrx.step_decay(0.1, 30, 0.1),
        },
    ),
    "multistep_decay": (
        200,
        {
            "multistep_decay(0.1, [60, 120, 160], 0.2)": lrx.multistep_decay(
                0.1, [60, 120, 160], 0.2
            )
        },
    ),
    "exponential_decay": (
        200,
        {
            "exponential_decay(0.1, 1, 0.98)": lrx.exponential_decay(0.1, 1, 0.98),
            "exponential_decay(0.1, 40, 0.5)": lrx.exponential_decay(0.1, 40, 0.5),
            "... staircase=True": lrx.exponential_decay(0.1, 40, 0.5, staircase=True),
        },
    ),
    "cosine_annealing": (
        200,
        {
            "cosine_annealing(0.1, T_max=150)": lrx.cosine_annealing(0.1, 150),
            "cosine_annealing(0.1, T_max=150, eta_min=0.02)": lrx.cosine_annealing(0.1, 150, 0.02),
        },
    ),
    "cosine_warm_restarts": (
        200,
        {
            "T_0=40, T_mult=1": lrx.cosine_warm_restarts(0.1, 40),
            "T_0=10, T_mult=2, eta_min=0.01": lrx.cosine_warm_restarts(0.1, 10, 2, 0.01),
            "T_0=40, peak_decay=0.6": lrx.cosine_warm_restarts(0.1, 40, peak_decay=0.6),
        },
    ),
    "cosine_warm_restarts_peers": (
        250,
        {
            "Keras: T_mult=1.5, eta_min=0.03, peak_decay=0.5, floor_relative": (
                lrx.cosine_warm_restarts(0.1, 20, 1.5, 0.03, 0.5, floor_relative=True)
            ),
            "timm: T_mult=1.5, eta_min=0.03, peak_decay=0.5, cycle_limit=3": (
                lrx.cosine_warm_restarts(0.1, 20, 1.5, 0.03, 0.5, cycle_limit=3)
            ),
            "timm: T_0=60, k_decay=3, cycle_limit=2": lrx.cosine_warm_restarts(
                0.1, 60, k_decay=3.0, cycle_limit=2
            ),
        },
    ),
    "polynomial_decay": (
        200,
        {
            f"polynomial_decay(0.1, 150, power={p})": lrx.polynomial_decay(0.1, 150, power=p)
            for p in (0.5, 1.0, 2.0)
        }
        | {
            "polynomial_decay(0.1, 40, 2.0, 0.01, cycle=True) (Keras)": lrx.polynomial_decay(
                0.1, 40, 2.0, 0.01, cycle=True
            )
        },
    ),
    "linear_schedule": (
        200,
        {
            "linear_schedule(0.1, 0.01, 150)": lrx.linear_schedule(0.1, 0.01, 150),
            "linear_schedule(0.0, 0.1, 50)": lrx.linear_schedule(0.0, 0.1, 50),
        },
    ),
    "cyclical": (
        200,
        {
            "triangular": lrx.cyclical(0.001, 0.1, 25),
            "triangular2": lrx.cyclical(0.001, 0.1, 25, mode="triangular2"),
            "exp_range, gamma=0.99, down=35": lrx.cyclical(
                0.001, 0.1, 15, 35, mode="exp_range", gamma=0.99
            ),
        },
    ),
    "one_cycle": (
        200,
        {
            "cos": lrx.one_cycle(0.1, 200),
            "linear": lrx.one_cycle(0.1, 200, anneal_strategy="linear"),
            "three_phase": lrx.one_cycle(0.1, 200, three_phase=True),
        },
    ),
    "warmup": (
        200,
        {
            "warmup(exponential_decay(0.1, 1, 0.98), 30)": lrx.warmup(
                lrx.exponential_decay(0.1, 1, 0.98), 30
            ),
            "warmup(step_decay(0.1, 50, 0.5), 20, init_value=0.02)": lrx.warmup(
                lrx.step_decay(0.1, 50, 0.5), 20, init_value=0.02
            ),
        },
    ),
    "warmup_shapes": (
        80,
        {
            f'shape="{shape}"': lrx.warmup(
                lrx.cosine_annealing(0.1, 40), 40, init_value=0.001, shape=shape
            )
            for shape in ("linear", "cosine", "sqrt", "exponential")
        }
        | {
            "prefix=False (timm)": lrx.warmup(
                lrx.cosine_annealing(0.1, 80), 20, init_value=0.001, prefix=False
            )
        },
    ),
    "warmup_cosine": (
        200,
        {
            "warmup_cosine(0.1, 20, 180)": lrx.warmup_cosine(0.1, 20, 180),
            "... init_value=0.01, end_value=0.01": lrx.warmup_cosine(
                0.1, 20, 180, init_value=0.01, end_value=0.01
            ),
            "... num_cycles=1.5 (HF)": lrx.warmup_cosine(0.1, 20, 180, num_cycles=1.5),
            "... num_cycles=2.5, restarts=True (HF)": lrx.warmup_cosine(
                0.1, 20, 180, num_cycles=2.5, restarts=True
            ),
        },
    ),
    "warmup_stable_decay": (
        200,
        {
            f'decay="{d}"': lrx.warmup_stable_decay(0.1, 20, 110, 50, decay=d)
            for d in ("cosine", "linear", "sqrt")
        }
        | {
            'HF min_lr_ratio=0.1, warmup_shape="cosine"': lrx.warmup_stable_decay(
                0.1, 20, 110, 50, init_value=0.01, end_value=0.01, warmup_shape="cosine"
            )
        },
    ),
    "tanh_decay": (
        200,
        {
            "tanh_decay(0.1, 180)": lrx.tanh_decay(0.1, 180),
            "tanh_decay(0.1, 40, lb=-4, ub=4, T_mult=2, peak_decay=0.7, cycle_limit=3)": (
                lrx.tanh_decay(0.1, 40, -4.0, 4.0, T_mult=2, peak_decay=0.7, cycle_limit=3)
            ),
        },
    ),
    "lr_noise": (
        200,
        {
            "lr_noise(cosine_annealing(0.1, 200), pct=0.3, start=50, end=150)": lrx.lr_noise(
                lrx.cosine_annealing(0.1, 200), pct=0.3, start=50, end=150
            ),
            "cosine_annealing(0.1, 200)": lrx.cosine_annealing(0.1, 200),
        },
    ),
    "inverse_sqrt": (
        200,
        {
            "inverse_sqrt(0.1, warmup_steps=20)": lrx.inverse_sqrt(0.1, 20),
            "inverse_sqrt(0.1, warmup_steps=60)": lrx.inverse_sqrt(0.1, 60),
            "inverse_sqrt(0.1, 20, timescale=100)": lrx.inverse_sqrt(0.1, 20, timescale=100),
        },
    ),
    "inverse_time_decay": (
        200,
        {
            "inverse_time_decay(0.1, 0.5, 10)": lrx.inverse_time_decay(0.1, 0.5, 10),
            "... staircase=True": lrx.inverse_time_decay(0.1, 0.5, 10, staircase=True),
        },
    ),
    "sequence": (
        200,
        {
            "sequence([linear 0->0.1, constant 0.1, cosine], [20, 80])": lrx.sequence(
                [
                    lrx.linear_schedule(0.0, 0.1, 20),
                    lrx.constant(0.1),
                    lrx.cosine_annealing(0.1, 120),
                ],
                [20, 80],
            )
        },
    ),
    "per_epoch": (
        200,
        {
            "per_epoch(cosine_annealing(0.1, 10), steps_per_epoch=20)": lrx.per_epoch(
                lrx.cosine_annealing(0.1, 10), 20
            ),
            "cosine_annealing(0.1, 200) (per update)": lrx.cosine_annealing(0.1, 200),
        },
    ),
    "from_fn": (200, {"from_fn(lambda t: 0.1 / (1 + t / 20))": lrx.from_fn(_decaying)}),
}


def plateau_lrs(base_lr: float = 0.1, epochs: int = 100) -> list[float]:
    """ReduceLROnPlateau of 002 on a scripted validation loss, with lrx.reduce_on_plateau.

    The loss improves for 14 epochs at the start of each 25-epoch block, then stalls; with
    ``patience=10`` the rate halves at epochs 25, 50 and 75, as in the article's figure.
    """

    def loss(e: int) -> float:
        block, k = divmod(e, 25)
        return 1.0 / (1 + block) - 0.01 * min(k, 13) / (1 + block)

    tx = lrx.reduce_on_plateau(factor=0.5, patience=10)
    state = tx.init(jnp.zeros(()))
    lrs = [base_lr]
    for e in range(epochs - 1):  # the metric of epoch e sets the rate of epoch e + 1
        updates, state = tx.update(jnp.ones(()), state, value=loss(e))
        lrs.append(base_lr * float(updates))
    return lrs


def article_002_summary() -> pathlib.Path:
    epochs = 100
    fig = Figure(figsize=(7.5, 4.5))
    axes = fig.subplots(2, 3, sharex=True).ravel()
    curves = {
        "StepLR\nstep_decay(0.1, 20, 0.5)": lrx.step_decay(0.1, 20, 0.5),
        "ExponentialLR\nexponential_decay(0.1, 1, 0.95)": lrx.exponential_decay(0.1, 1, 0.95),
        "CosineAnnealingLR\ncosine_annealing(0.1, 100)": lrx.cosine_annealing(0.1, 100),
        "CyclicalLR\ncyclical(0.001, 0.1, 20)": lrx.cyclical(0.001, 0.1, 20),
    }
    colors = ["tab:blue", "tab:red", "tab:green", "tab:orange"]
    for ax, (label, schedule), color in zip(
        axes[[0, 1, 2, 4]], curves.items(), colors, strict=True
    ):
        ax.plot(range(epochs), schedule.values(epochs), color=color)
        ax.set_title(label, fontsize=7)
    axes[3].plot(range(epochs), plateau_lrs(0.1, epochs), color="tab:purple")
    axes[3].set_title("ReduceLROnPlateau\nreduce_on_plateau(factor=0.5, patience=10)", fontsize=7)
    axes[5].axis("off")
    axes[5].text(0.0, 0.5, "lr per epoch, 100 epochs\n(article 002)", fontsize=8)
    for ax in axes[:5]:
        ax.tick_params(labelsize=7)
        ax.grid(True, alpha=0.3)
    return _save(fig, "article002_summary")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (num_steps, curves) in GALLERY.items():
        fig, ax = _figure()
        lrx.plot.schedules(curves, num_steps, ax=ax)
        ax.set_title(f"lrx.{name}", fontsize=10)
        ax.legend(fontsize=7)
        written.append(_save(fig, name))
    written.append(article_002_summary())
    total = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} PNGs to {OUT} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
