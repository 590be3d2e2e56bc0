"""The demo's outputs: the results table, ``results.json`` and the plots (also for ``--sweep``)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

import lrx
from lrx.demo.runs import ADAPTIVE_LR, SGD_LR, RunSpec
from lrx.demo.sweep import SweepResult
from lrx.demo.train import RunResult

__all__ = [
    "LR_FREE_PLOT",
    "PLOTS",
    "SWEEP_PLOT",
    "format_sweep_table",
    "format_table",
    "write_plots",
    "write_results",
    "write_sweep_plot",
    "write_sweep_results",
]

PLOTS = (
    "schedules.png",
    "train_loss.png",
    "val_loss.png",
    "val_accuracy.png",
    "learning_rate.png",
)
LR_FREE_PLOT = "effective_lr.png"  # written when the runs include learning-rate-free ones


def format_table(results: Sequence[RunResult]) -> str:
    """A fixed-width text table, one row per run.

    Columns: final and best validation accuracy (with the epoch of the best), the minimum
    validation loss and the epoch it came at (epochs count from 1), the final validation
    loss and the run's wall time. A final line names the run with the lowest validation
    loss and the run with the best validation accuracy.
    """
    head = (
        f"{'run':<13}{'final acc':>10}{'best acc':>10}{'(epoch)':>8}"
        f"{'min val loss':>14}{'(epoch)':>8}{'final loss':>12}{'wall s':>8}  description"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        s = r.summary()
        lines.append(
            f"{r.name:<13}{s['final_val_accuracy']:>10.4f}{s['best_val_accuracy']:>10.4f}"
            f"{s['best_val_accuracy_epoch']:>8d}{s['min_val_loss']:>14.4f}"
            f"{s['min_val_loss_epoch']:>8d}{s['final_val_loss']:>12.4f}{s['wall_s']:>8.1f}"
            f"  {r.label}"
        )
    if results:
        by_loss = min(results, key=lambda r: _finite(r.summary()["min_val_loss"], math.inf))
        by_acc = max(results, key=lambda r: _finite(r.summary()["best_val_accuracy"], -1.0))
        lines.append("-" * len(head))
        lines.append(
            f"lowest validation loss: {by_loss.name} "
            f"({by_loss.summary()['min_val_loss']:.4f}); "
            f"best validation accuracy: {by_acc.name} "
            f"({by_acc.summary()['best_val_accuracy']:.4f})"
        )
    return "\n".join(lines)


def _finite(x: float, default: float) -> float:
    return x if math.isfinite(x) else default


def _json_float(x: float) -> float | None:
    # JSON has no NaN/inf: a diverged run's metrics become null.
    return float(x) if math.isfinite(x) else None


def write_results(
    path: str,
    results: Sequence[RunResult],
    specs: Sequence[RunSpec],
    config: dict[str, Any],
) -> dict[str, Any]:
    """Write ``results.json`` and return its content.

    Layout: ``{"config": {...}, "runs": {name: {"label", "base_lr", "plateau", "lr_free",
    "schedule", <summary fields>, "history": {metric: [per-epoch values]}}}}``;
    ``schedule`` is the schedule's ``to_config()`` (per step) or null for plateau and
    learning-rate-free runs; ``base_lr`` is null for scheduled and learning-rate-free runs;
    learning-rate-free runs also have ``step_learning_rate`` (the rate each update
    applied). Non-finite numbers are written as null.
    """
    epochs, spe = config["epochs"], config["steps_per_epoch"]
    runs: dict[str, Any] = {}
    for r, spec in zip(results, specs, strict=True):
        summary = {
            k: (_json_float(v) if isinstance(v, float) else v) for k, v in r.summary().items()
        }
        runs[r.name] = {
            "label": r.label,
            "base_lr": None if spec.schedule or spec.lr_free else spec.base_lr,
            "plateau": spec.plateau,
            "lr_free": spec.lr_free,
            "schedule": spec.schedule_config(epochs, spe),
            **summary,
            "history": {k: [_json_float(v) for v in vs] for k, vs in r.history.items()},
        }
        if spec.lr_free:
            runs[r.name]["step_learning_rate"] = [_json_float(v) for v in r.step_learning_rate]
    content = {"config": config, "runs": runs}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(content, f, indent=1)
        f.write("\n")
    return content


def _recolor(fig: Any) -> None:
    # lrx.plot.curves cycles through 10 colours; the demo has 17 runs: give lines 11+ a
    # dashed style so that every run stays distinguishable.
    for ax in fig.axes:
        for i, line in enumerate(ax.get_lines()):
            if i >= 10:
                line.set_linestyle("--")
        if ax.get_legend() is not None:
            ax.legend(fontsize="x-small", ncol=2)


def write_plots(
    out_dir: str,
    results: Sequence[RunResult],
    specs: Sequence[RunSpec],
    epochs: int,
    steps_per_epoch: int,
) -> list[str]:
    """Draw the schedules and the per-epoch curves into ``out_dir``; return the paths.

    * ``schedules.png``: each scheduled run's learning rate for every update of the run,
      drawn with :func:`lrx.plot.schedules` (x axis in epochs: update / steps_per_epoch);
    * ``train_loss.png``, ``val_loss.png``, ``val_accuracy.png``, ``learning_rate.png``:
      the per-epoch histories of every run, drawn with :func:`lrx.plot.curves` (losses and
      learning rates on a log axis);
    * ``effective_lr.png`` (:data:`LR_FREE_PLOT`, only when learning-rate-free runs are
      among ``specs``): the rate each of them applied at every update
      (:func:`write_effective_lr_plot`).
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    paths = []
    scheduled = {
        s.name: s.schedule(epochs, steps_per_epoch) for s in specs if s.schedule is not None
    }
    fig = lrx.plot.schedules(
        scheduled or {"(none)": lrx.constant(0.0)}, num_steps=epochs * steps_per_epoch
    )
    ax = fig.axes[0]
    ticks = MaxNLocator(nbins=10, integer=True).tick_values(0, epochs)
    ax.set_xticks([t * steps_per_epoch for t in ticks if 0 <= t <= epochs])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda t, _: f"{t / steps_per_epoch:g}"))
    ax.set_xlabel(f"epoch ({steps_per_epoch} updates each)")
    ax.set_title("learning-rate schedules (plateau runs: see learning_rate.png)")
    paths.append(_save(fig, out_dir, "schedules.png"))

    titles = {
        "train_loss": ("training loss (mean over the epoch)", True),
        "val_loss": ("validation loss", True),
        "val_accuracy": ("validation accuracy", False),
        "learning_rate": ("learning rate in force (last update of the epoch)", True),
    }
    for metric, (title, log) in titles.items():
        histories = {r.name: r.history[metric] for r in results}
        fig = lrx.plot.curves(histories, log_scale=log and _positive(results, metric))
        fig.axes[0].set_title(title)
        fig.axes[0].set_ylabel(metric.replace("_", " "))
        if metric == "val_accuracy":
            _zoom_past_warmup(fig.axes[0], [r.history[metric] for r in results])
        _recolor(fig)
        paths.append(_save(fig, out_dir, f"{metric}.png"))
    if any(s.lr_free for s in specs):
        paths.append(write_effective_lr_plot(out_dir, results, specs, steps_per_epoch))
    return paths


def write_effective_lr_plot(
    out_dir: str,
    results: Sequence[RunResult],
    specs: Sequence[RunSpec],
    steps_per_epoch: int,
) -> str:
    """``effective_lr.png``: the learning rate each learning-rate-free run picked.

    One line per run with ``lr_free``: the rate of every update as ``lrx.learning_rate``
    reads it (Prodigy and D-Adapt: ``d`` times the rate 1; DoG: ``eta``; Schedule-Free: the
    rate in force, constant without warm-up), against the update, both axes logarithmic
    (the estimates move most in the first epoch; thin lines mark epochs 1, 10, 100). Dotted
    horizontal lines mark the tuned constant rates of the other runs (SGD 0.1, Adam 0.001),
    the scale each method should be compared with. The return value is the path.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    for i, (r, spec) in enumerate(zip(results, specs, strict=True)):
        if not spec.lr_free:
            continue
        y = np.asarray(r.step_learning_rate, np.float64)
        x = np.arange(1, len(y) + 1)
        y = np.where(np.isfinite(y) & (y > 0), y, np.nan)
        ax.plot(x, y, color=f"C{i % 10}", lw=1.2, label=r.label)
    for rate, text in ((SGD_LR, "SGD's tuned 0.1"), (ADAPTIVE_LR, "Adam's tuned 0.001")):
        ax.axhline(rate, color="grey", lw=0.8, ls=":")
        ax.annotate(
            text,
            (1.0, rate),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 3),
            textcoords="offset points",
            ha="right",
            fontsize="x-small",
            color="grey",
        )
    for e in (1, 10, 100):  # epoch boundaries, to read the log axis in epochs
        if e * steps_per_epoch <= max((len(r.step_learning_rate) for r in results), default=0):
            ax.axvline(e * steps_per_epoch, color="grey", lw=0.8, ls="--", alpha=0.7)
            ax.annotate(
                f"epoch {e}",
                (e * steps_per_epoch, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(-2, -4),
                textcoords="offset points",
                ha="right",
                va="top",
                rotation=90,
                fontsize="x-small",
                color="grey",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"update (log scale; {steps_per_epoch} updates per epoch)")
    ax.set_ylabel("learning rate applied (lrx.learning_rate)")
    ax.set_title("the learning rate each learning-rate-free method picks, per update")
    ax.legend(fontsize="x-small", loc="lower right")
    ax.grid(True, which="major", alpha=0.3)
    return _save(fig, out_dir, LR_FREE_PLOT)


def _zoom_past_warmup(ax: Any, series: Sequence[Sequence[float]]) -> None:
    # The first epochs' low accuracies would flatten the comparison that matters: zoom the
    # y axis on the values after the first 10% of the epochs (all of them in short runs).
    start = len(series[0]) // 10 if series else 0
    tail = [v for vs in series for v in vs[start:] if math.isfinite(v)]
    if tail and min(tail) < max(tail):
        lo, hi = min(tail), max(tail)
        pad = 0.1 * (hi - lo)
        ax.set_ylim(max(0.0, lo - pad), min(1.0, hi + pad))
        if start:
            ax.set_title(f"{ax.get_title()} (y axis fitted to epochs {start + 1}+)")


def _positive(results: Sequence[RunResult], metric: str) -> bool:
    return all(v > 0 for r in results for v in r.history[metric] if math.isfinite(v))


def _save(fig: Any, out_dir: str, name: str) -> str:
    path = os.path.join(out_dir, name)
    fig.set_size_inches(8, 5)
    fig.savefig(path, dpi=100)
    return path


# --------------------------------------------------------------------------- --sweep

SWEEP_PLOT = "lr_sensitivity.png"


def format_sweep_table(results: Sequence[SweepResult]) -> str:
    """The ``--sweep`` table: one row per optimizer and learning rate.

    Columns: the learning rate, the final and minimum validation loss (with its epoch) and
    the final validation accuracy; ``nan`` marks a diverged run. A final line per optimizer
    names the learning rate with the lowest minimum validation loss and the program's
    compile and run time.
    """
    head = (
        f"{'optimizer':<10}{'lr':>10}{'final loss':>12}{'min loss':>10}{'(epoch)':>8}"
        f"{'final acc':>11}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        s = r.summary()
        for i, lr in enumerate(s["learning_rates"]):
            lines.append(
                f"{r.name:<10}{lr:>10.3g}{s['final_val_loss'][i]:>12.4f}"
                f"{s['min_val_loss'][i]:>10.4f}{s['min_val_loss_epoch'][i]:>8d}"
                f"{s['final_val_accuracy'][i]:>11.4f}"
            )
        lines.append("-" * len(head))
    for r in results:
        s = r.summary()
        lines.append(
            f"{r.name}: best lr {s['best_learning_rate']:.3g} (min val loss "
            f"{s['best_min_val_loss']:.4f}); {len(s['learning_rates'])} runs in one program: "
            f"compile {r.compile_s:.1f} s, run {r.run_s:.1f} s"
        )
    return "\n".join(lines)


def write_sweep_results(
    path: str, results: Sequence[SweepResult], config: dict[str, Any]
) -> dict[str, Any]:
    """Write the ``--sweep`` ``results.json`` and return its content.

    Layout: ``{"config": {...}, "optimizers": {name: {"label", <SweepResult.summary()
    fields, one list entry per learning rate>, "history": {metric: [[per-epoch values] per
    learning rate]}}}}``; non-finite numbers are written as null.
    """
    optimizers: dict[str, Any] = {}
    for r in results:
        summary = {
            k: ([_json_float(x) if isinstance(x, float) else x for x in v])
            if isinstance(v, list)
            else (_json_float(v) if isinstance(v, float) else v)
            for k, v in r.summary().items()
        }
        optimizers[r.name] = {
            "label": r.label,
            **summary,
            "history": {
                k: [[_json_float(float(x)) for x in row] for row in v] for k, v in r.history.items()
            },
        }
    content = {"config": config, "optimizers": optimizers}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(content, f, indent=1)
        f.write("\n")
    return content


def write_sweep_plot(out_dir: str, results: Sequence[SweepResult], epochs: int) -> str:
    """The learning-rate sensitivity figure, ``lr_sensitivity.png`` in ``out_dir``.

    One colour per optimizer: the minimum validation loss over the epochs (solid, dots) and
    the final one (dashed) against the learning rate (log axis). Losses above the y range
    (a diverged run, NaN included) are drawn as ``x`` markers on the top edge. The return
    value is the path.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    top = 2.5  # above ln(10) = 2.30, the loss of a uniform guess over 10 classes
    for i, r in enumerate(results):
        s = r.summary()
        color = f"C{i}"
        lrs = np.asarray(s["learning_rates"])
        for key, style, label in (
            ("min_val_loss", "o-", "min"),
            ("final_val_loss", "--", "final"),
        ):
            y = np.asarray(s[key], np.float64)
            off = ~np.isfinite(y) | (y > top)
            ax.plot(
                lrs,
                np.where(off, np.nan, y),
                style,
                color=color,
                ms=4,
                label=f"{r.label} ({label})",
            )
            if off.any():
                ax.plot(lrs[off], np.full(off.sum(), top), "x", color=color, ms=7)
        best = s["best_learning_rate"]
        ax.axvline(best, color=color, lw=0.6, alpha=0.5)
    ax.set_xscale("log")
    ax.set_ylim(0.0, top)
    ax.axhline(math.log(10), color="grey", lw=0.6, ls=":")
    ax.set_xlabel("learning rate (16 per optimizer, one vmapped program each)")
    ax.set_ylabel("validation loss")
    ax.set_title(
        f"learning-rate sensitivity, MNIST MLP, {epochs} epochs: min (solid) and final "
        "(dashed) validation loss",
        fontsize="small",
    )
    ax.legend(fontsize="x-small", ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    return _save(fig, out_dir, SWEEP_PLOT)
