"""Plots: schedules, optimizer paths over a 2-D loss, training curves, the range test.

matplotlib is an optional dependency (``pip install "lrx[plot]"``): it is imported inside
each function, so ``import lrx`` works without it. Every function draws on a new
:class:`matplotlib.figure.Figure` (not registered with ``pyplot``: no window opens, no
global state, safe under the Agg backend and in tests) unless ``ax`` is given, and returns
the Figure. Save it with ``fig.savefig("out.png")``; in Jupyter a returned Figure displays
inline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from lrx._validate import check_int

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lrx.finder import LRFinderResult

__all__ = ["curves", "range_test", "schedules", "trajectory"]


def _require_matplotlib() -> Any:
    """Import matplotlib or raise an ImportError that says how to install it."""
    try:
        import matplotlib
        import matplotlib.figure
    except ImportError as e:  # pragma: no cover - exercised only without matplotlib
        raise ImportError(
            'lrx plotting needs matplotlib: pip install "lrx[plot]" (or pip install matplotlib)'
        ) from e
    return matplotlib


def _axes(ax: Any, **figure_kwargs: Any) -> tuple[Figure, Axes]:
    """The given Axes and its Figure, or a new pyplot-free Figure with one Axes."""
    mpl = _require_matplotlib()
    if ax is not None:
        return ax.get_figure(), ax
    fig = mpl.figure.Figure(**figure_kwargs)
    return fig, fig.add_subplot()


def _labelled(items: Any, what: str, label_of: Callable[[Any], str]) -> list[tuple[str, Any]]:
    """Normalise a single item, a sequence of items or a mapping label -> item."""
    if isinstance(items, Mapping):
        pairs = [(str(k), v) for k, v in items.items()]
    elif isinstance(items, (list, tuple)):
        pairs = [(label_of(v), v) for v in items]
    else:
        pairs = [(label_of(items), items)]
    if not pairs:
        raise ValueError(f"{what} must not be empty")
    return pairs


def _schedule_label(s: Any) -> str:
    from lrx.schedules._base import Schedule

    if isinstance(s, Schedule):
        return repr(s)
    return getattr(s, "__name__", None) or repr(s)


def _schedule_values(s: Any, num_steps: int) -> np.ndarray:
    import jax.numpy as jnp

    from lrx.schedules._base import Schedule

    if isinstance(s, Schedule):
        return np.asarray(s.values(num_steps), dtype=np.float64)
    if callable(s):
        vals = np.asarray(s(jnp.arange(num_steps, dtype=jnp.int32)), dtype=np.float64)
        out: np.ndarray = np.broadcast_to(vals, (num_steps,)).copy()
        return out
    raise ValueError(f"schedules must hold Schedule objects or callables, got {s!r}")


def schedules(
    schedules: Any,
    num_steps: int,
    ax: Axes | None = None,
    *,
    log_scale: bool = False,
) -> Figure:
    """Plot learning-rate schedules against the update count.

    Each schedule ``s`` is drawn as ``s(t)`` for ``t = 0, ..., num_steps - 1`` (its
    :meth:`lrx.Schedule.values`), the learning rate of update ``t``.

    Args:
        schedules: one :class:`lrx.Schedule`, a sequence of them, or a mapping
            ``label -> Schedule``. Labels default to ``repr(schedule)`` (every parameter).
            Plain jittable callables ``count -> lr`` are accepted too (labelled by
            ``__name__``).
        num_steps: number of updates to draw, an integer >= 1.
        ax: a matplotlib Axes to draw on; default ``None`` draws on a new Figure.
        log_scale: draw the learning rate on a log axis (default ``False``).

    Returns:
        The matplotlib Figure holding the plot.

    Example:
        >>> import lrx
        >>> fig = lrx.plot.schedules(
        ...     {"step": lrx.step_decay(0.1, step_size=30),
        ...      "exp": lrx.exponential_decay(0.1, 1, 0.97)},
        ...     num_steps=100)
        >>> [line.get_label() for line in fig.axes[0].get_lines()]
        ['step', 'exp']
    """
    n = check_int("num_steps", num_steps, lo=1)
    pairs = _labelled(schedules, "schedules", _schedule_label)
    fig, ax = _axes(ax, figsize=(8, 4.5))
    steps = np.arange(n)
    for label, s in pairs:
        ax.plot(steps, _schedule_values(s, n), label=label)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("update count t")
    ax.set_ylabel("learning rate")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def _grid_loss(loss_fn: Callable[[Any], Any], points: np.ndarray) -> np.ndarray:
    """Evaluate ``loss_fn`` on each row of ``points`` (M, 2): vmapped, else a Python loop."""
    import jax
    import jax.numpy as jnp

    try:
        values = jax.jit(jax.vmap(loss_fn))(jnp.asarray(points, jnp.float32))
        out = np.asarray(values, dtype=np.float64)
        if out.shape != (points.shape[0],):
            raise ValueError(
                f"loss_fn must return a scalar for a point of shape (2,), got shape {out.shape[1:]}"
            )
        return out
    except (
        jax.errors.TracerArrayConversionError,
        jax.errors.ConcretizationTypeError,
        jax.errors.TracerBoolConversionError,
        jax.errors.TracerIntegerConversionError,
    ):
        # loss_fn is plain NumPy (not traceable): evaluate point by point.
        return np.array([float(np.asarray(loss_fn(p))) for p in points], dtype=np.float64)


def trajectory(
    loss_fn: Callable[[Any], Any],
    paths: Any,
    xlim: Sequence[float],
    ylim: Sequence[float],
    ax: Axes | None = None,
    *,
    resolution: int = 100,
    levels: int = 50,
    cmap: str = "viridis",
    log_levels: bool = False,
) -> Figure:
    """Filled contours of a 2-D loss with optimizer paths drawn over them.

    The picture of article 000 (the contour plot of a loss with Adam's optimization
    path): ``contourf`` with 50 levels and a colorbar labelled "Loss", each
    path drawn as a line with small markers, its start marked with a square and its end
    with a star.

    Args:
        loss_fn: ``theta -> scalar`` where ``theta`` is an array of shape ``(2,)`` (the
            same loss you optimize over two parameters). It is evaluated on a
            ``resolution × resolution`` grid with ``jax.vmap``; a NumPy-only function that
            cannot be traced is evaluated point by point instead.
        paths: a mapping ``label -> array (N, 2)`` of parameter iterates (or a single
            ``(N, 2)`` array, labelled "path"). May be empty.
        xlim: ``(xmin, xmax)`` of the first parameter, xmin < xmax.
        ylim: ``(ymin, ymax)`` of the second parameter, ymin < ymax.
        ax: a matplotlib Axes to draw on; default ``None`` draws on a new Figure.
        resolution: grid points per axis, integer >= 2 (default 100, as the article).
        levels: number of contour levels, integer >= 1 (default 50, as the article).
        cmap: matplotlib colormap name (default "viridis", as the article).
        log_levels: space the levels logarithmically (for losses spanning decades;
            needs a positive loss). Default ``False``.

    Returns:
        The matplotlib Figure holding the plot (its colorbar is a second Axes).

    Example:
        >>> import jax.numpy as jnp, numpy as np, lrx
        >>> loss = lambda th: (th[0] - 1.0) ** 2 + 10.0 * th[1] ** 2
        >>> path = np.array([[-1.0, 1.0], [0.0, 0.5], [0.8, 0.1], [1.0, 0.0]])
        >>> fig = lrx.plot.trajectory(loss, {"sgd": path}, xlim=(-2, 2), ylim=(-1.5, 1.5))
        >>> len(fig.axes)  # the plot and its colorbar
        2
    """
    _require_matplotlib()
    res = check_int("resolution", resolution, lo=2)
    nlev = check_int("levels", levels, lo=1)
    x0, x1 = _limits("xlim", xlim)
    y0, y1 = _limits("ylim", ylim)
    if isinstance(paths, Mapping):
        path_pairs = [(str(k), np.asarray(v, dtype=np.float64)) for k, v in paths.items()]
    else:
        path_pairs = [("path", np.asarray(paths, dtype=np.float64))]
    for label, p in path_pairs:
        if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 1:
            raise ValueError(f"paths[{label!r}] must have shape (N, 2) with N >= 1, got {p.shape}")

    xs = np.linspace(x0, x1, res)
    ys = np.linspace(y0, y1, res)
    gx, gy = np.meshgrid(xs, ys)
    z = _grid_loss(loss_fn, np.stack([gx.ravel(), gy.ravel()], axis=-1)).reshape(gx.shape)

    fig, ax = _axes(ax, figsize=(9, 6))
    contour_levels: Any = nlev
    if log_levels:
        finite = z[np.isfinite(z)]
        if finite.size == 0 or finite.min() <= 0:
            raise ValueError("log_levels=True needs a loss that is positive on the grid")
        contour_levels = np.geomspace(finite.min(), finite.max(), nlev + 1)
    cs = ax.contourf(gx, gy, z, levels=contour_levels, cmap=cmap)
    cbar = fig.colorbar(cs, ax=ax)
    cbar.set_label("Loss")
    for i, (label, p) in enumerate(path_pairs):
        color = f"C{(i + 3) % 10}"  # C3 (red) first, as the article's 'r-o'
        ax.plot(p[:, 0], p[:, 1], "-o", color=color, markersize=3, label=label)
        ax.plot(p[0, 0], p[0, 1], "s", color=color, markersize=8, markeredgecolor="white")
        ax.plot(p[-1, 0], p[-1, 1], "*", color=color, markersize=14, markeredgecolor="white")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(r"$\theta_0$")
    ax.set_ylabel(r"$\theta_1$")
    if path_pairs:
        ax.legend(fontsize="small")
    return fig


def _limits(name: str, lim: Sequence[float]) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in lim)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (min, max) of numbers, got {lim!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be a finite pair with min < max, got {lim!r}")
    return lo, hi


def curves(
    histories: Mapping[str, Any],
    ax: Axes | Sequence[Axes] | None = None,
    *,
    xlabel: str = "epoch",
    log_scale: bool = False,
) -> Figure:
    """Plot training curves (e.g. loss per epoch) of several runs for comparison.

    Args:
        histories: a mapping ``label -> 1-D sequence`` (one Axes, one line per run), or
            ``label -> {metric: 1-D sequence}`` (one Axes per metric, in first-seen order;
            a run lacking a metric is simply absent from that Axes). Point ``i`` is drawn
            at x = ``i + 1`` (epochs count from 1).
        ax: a matplotlib Axes, or a sequence of Axes (one per metric); default ``None``
            draws on a new Figure.
        xlabel: label of the x axis (default "epoch").
        log_scale: draw the values on a log axis (default ``False``).

    Returns:
        The matplotlib Figure holding the plot.

    Example:
        >>> import lrx
        >>> fig = lrx.plot.curves({
        ...     "sgd": {"loss": [1.0, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.8]},
        ...     "adam": {"loss": [0.8, 0.3, 0.2], "accuracy": [0.6, 0.85, 0.9]}})
        >>> [a.get_title() for a in fig.axes]
        ['loss', 'accuracy']
    """
    mpl = _require_matplotlib()
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError(
            f"histories must be a non-empty mapping label -> sequence, got {histories!r}"
        )
    nested = [isinstance(v, Mapping) for v in histories.values()]
    if any(nested) and not all(nested):
        raise ValueError("histories must map every label to a sequence, or every label to a dict")
    runs: dict[str, dict[str, np.ndarray]] = {}
    metrics: list[str] = []
    for label, h in histories.items():
        per_metric = h if nested[0] else {"": h}
        runs[str(label)] = {}
        for metric, seq in per_metric.items():
            arr = np.asarray(seq, dtype=np.float64)
            if arr.ndim != 1:
                raise ValueError(
                    f"histories[{label!r}]{f'[{metric!r}]' if metric else ''} must be 1-D, "
                    f"got shape {arr.shape}"
                )
            runs[str(label)][str(metric)] = arr
            if str(metric) not in metrics:
                metrics.append(str(metric))

    if ax is None:
        fig: Figure = mpl.figure.Figure(figsize=(5.5 * len(metrics), 4.5), layout="constrained")
        axes = list(np.atleast_1d(fig.subplots(1, len(metrics), squeeze=False)).ravel())
    else:
        axes = list(ax) if isinstance(ax, Iterable) else [ax]
        if len(axes) != len(metrics):
            raise ValueError(f"ax must hold one Axes per metric ({len(metrics)}), got {len(axes)}")
        fig = cast("Figure", axes[0].get_figure())
    for a, metric in zip(axes, metrics, strict=True):
        for i, (label, per_metric) in enumerate(runs.items()):
            if metric in per_metric:
                y = per_metric[metric]
                a.plot(np.arange(1, y.size + 1), y, color=f"C{i % 10}", label=label)
        if metric:
            a.set_title(metric)
            a.set_ylabel(metric)
        if log_scale:
            a.set_yscale("log")
        a.set_xlabel(xlabel)
        a.grid(True, alpha=0.3)
        a.legend(fontsize="small")
    return fig


def range_test(result: LRFinderResult, ax: Axes | None = None) -> Figure:
    """Plot a learning-rate range test: loss against learning rate, suggestion marked.

    Draws the raw losses (faint) and the smoothed losses of an :class:`lrx.LRFinderResult`
    against the learning rate, on a log x axis for ``mode="exp"`` (linear for
    ``mode="linear"``), frames the descent (the diverging tail runs off the top), and marks
    the suggestion with a red dot on the smoothed curve and a dotted vertical line.
    ``result.plot(ax)`` calls this function.

    Args:
        result: the :class:`lrx.LRFinderResult` returned by :func:`lrx.find_lr`.
        ax: a matplotlib Axes to draw on; default ``None`` draws on a new Figure.

    Returns:
        The matplotlib Figure holding the plot.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> batches = {"x": jnp.ones((40, 8, 2))}
        >>> loss = lambda w, b: jnp.mean((b["x"] @ w - 1.0) ** 2)
        >>> result = lrx.find_lr(loss, jnp.zeros(2), batches, num_steps=40, skip_start=2)
        >>> fig = lrx.plot.range_test(result)
        >>> [line.get_label() for line in fig.axes[0].get_lines()][:2]
        ['loss', 'smoothed loss']
    """
    fig, ax = _axes(ax, figsize=(7, 4.5))
    lrs, losses, sm = result.learning_rates, result.losses, result.smoothed_losses
    ax.plot(lrs, losses, color="C0", alpha=0.3, linewidth=1, label="loss")
    ax.plot(lrs, sm, color="C0", label="smoothed loss")
    finite = np.isfinite(sm)
    if result.suggestion_index is not None and np.isfinite(result.suggestion):
        # The marker sits on the smoothed curve at the suggested rate (for min_div_10 a
        # tenth of the minimum's rate, interpolated along the axis of the sweep).
        f = np.log if result.mode == "exp" else np.asarray
        y = float(np.interp(f(result.suggestion), f(lrs[finite]), sm[finite]))
        ax.axvline(result.suggestion, color="C3", linestyle=":", linewidth=1)
        label = f"{result.suggest}: {result.suggestion:.2e}"
        ax.plot([result.suggestion], [y], "o", color="C3", markersize=8, label=label)
    if result.mode == "exp":
        ax.set_xscale("log")
    if finite.any():  # frame the descent; let the exploding tail run off the top
        raw = losses[np.isfinite(losses)]
        lo = min(float(sm[finite].min()), float(raw.min()) if raw.size else np.inf)
        i_min = int(np.nanargmin(np.where(finite, sm, np.nan)))
        hi = float(np.nanmax(np.where(finite, sm, np.nan)[: i_min + 1]))
        if hi <= lo:
            hi = float(sm[finite].max())
        pad = 0.25 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
        ax.set_ylim(lo - 0.2 * pad, hi + pad)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    ax.set_title("learning-rate range test")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return fig
