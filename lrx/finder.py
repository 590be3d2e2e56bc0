"""The learning-rate range test: :func:`find_lr` and its :class:`LRFinderResult`.

Article 003_c528f951556b93fa.txt, section 3 ("学习率范围测试", learning-rate range test):
train for a short while with a learning rate that grows from very small to very large,
plot the loss against the learning rate and pick a value where the loss still falls
fastest, below where it blows up (L. N. Smith, "Cyclical Learning Rates for Training
Neural Networks", 2017; the fastai / torch-lr-finder ``lr_find``).

The whole sweep is one jitted ``lax.scan`` when the batches come stacked in a pytree; the
learning rates are an array the optimizer indexes by its update count, so the sweep never
recompiles and changing ``start_lr``, ``end_lr``, ``smoothing`` or ``diverge_threshold``
reuses the compiled program.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrx._validate import check_choice, check_float, check_int
from lrx.optimizers import sgd

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["LRFinderResult", "find_lr"]

_MODES = ("exp", "linear")
_SUGGEST = ("steepest", "valley", "min_div_10")
_MIN_POINTS = 3  # points needed after skipping to suggest anything


# ------------------------------------------------------------------------------------------
# Result
# ------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class LRFinderResult:
    """The outcome of :func:`find_lr`.

    Attributes:
        learning_rates: float64 array, the learning rate used at each recorded step (the
            float32 values the optimizer applied), cut at the divergence point.
        losses: float64 array, the loss of each step's batch at the params before that
            step's update (as torch-lr-finder), same length.
        smoothed_losses: float64 array, the exponential moving average of ``losses``
            (``smoothing`` on the newest loss), same length.
        suggestion: the suggested learning rate (the chosen ``suggest`` method), or NaN
            when the curve is too short to suggest anything (``message`` says why).
        suggest: the method that produced ``suggestion``.
        suggestions: every method's suggestion, ``{"steepest": ..., "valley": ...,
            "min_div_10": ...}`` (NaN where it cannot be computed).
        suggestion_index: index of the suggested point in the arrays above (``None`` if
            there is no suggestion; for ``min_div_10`` the index of the minimum).
        diverged: whether the sweep stopped early because the smoothed loss exceeded
            ``diverge_threshold`` × its best (or the loss became non-finite).
        mode: "exp" or "linear", the sweep's spacing.
        num_steps: the number of steps requested (``len(learning_rates)`` is the number
            run, divergence point included).
        message: a one-line human-readable summary of the suggestion, or why there is none.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> x = jnp.linspace(-1.0, 1.0, 32).reshape(8, 4)
        >>> batches = {"x": jnp.tile(x, (60, 1, 1))}  # 60 steps of the same batch
        >>> loss = lambda p, b: jnp.mean((b["x"] @ p - 1.0) ** 2)
        >>> result = lrx.find_lr(loss, jnp.zeros(4), batches, num_steps=60, end_lr=100.0)
        >>> result.diverged, 1e-4 < result.suggestion < 10.0
        (True, True)
        >>> fig = result.plot()  # loss against lr (log axis), suggestion marked
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed_losses: np.ndarray
    suggestion: float
    suggest: str = "steepest"
    suggestions: dict[str, float] = dataclasses.field(default_factory=dict)
    suggestion_index: int | None = None
    diverged: bool = False
    mode: str = "exp"
    num_steps: int = 0
    message: str = ""

    def __repr__(self) -> str:
        return (
            f"LRFinderResult(suggestion={self.suggestion:.4g}, suggest={self.suggest!r}, "
            f"steps_run={self.learning_rates.size}/{self.num_steps}, "
            f"diverged={self.diverged}, message={self.message!r})"
        )

    def plot(self, ax: Axes | None = None) -> Figure:
        """Loss against learning rate, with the suggestion marked.

        Draws the raw losses (faint) and the smoothed losses against the learning rate,
        on a log x axis for ``mode="exp"`` (linear for ``mode="linear"``), and marks the
        suggestion with a red dot and a dotted vertical line.

        Args:
            ax: a matplotlib Axes to draw on; default ``None`` draws on a new Figure.

        Returns:
            The matplotlib Figure.
        """
        from lrx.plot import _axes

        fig, ax = _axes(ax, figsize=(7, 4.5))
        lrs = self.learning_rates
        ax.plot(lrs, self.losses, color="C0", alpha=0.3, linewidth=1, label="loss")
        ax.plot(lrs, self.smoothed_losses, color="C0", label="smoothed loss")
        if self.suggestion_index is not None and math.isfinite(self.suggestion):
            # The marker sits on the smoothed curve at the suggested rate (for min_div_10
            # a tenth of the minimum's rate, interpolated along the axis of the sweep).
            f = np.log if self.mode == "exp" else np.asarray
            ok = np.isfinite(self.smoothed_losses)
            y = float(np.interp(f(self.suggestion), f(lrs[ok]), self.smoothed_losses[ok]))
            ax.axvline(self.suggestion, color="C3", linestyle=":", linewidth=1)
            ax.plot(
                [self.suggestion],
                [y],
                "o",
                color="C3",
                markersize=8,
                label=f"{self.suggest}: {self.suggestion:.2e}",
            )
        if self.mode == "exp":
            ax.set_xscale("log")
        sm = self.smoothed_losses
        finite = np.isfinite(sm)
        if finite.any():  # frame the descent; let the exploding tail run off the top
            raw = self.losses[np.isfinite(self.losses)]
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


# ------------------------------------------------------------------------------------------
# The compiled sweep
# ------------------------------------------------------------------------------------------
def _make_tx(optimizer: Callable[[Any], optax.GradientTransformation], lrs: jax.Array) -> Any:
    n = lrs.shape[0]

    def sweep(count: jax.Array) -> jax.Array:
        # The learning rate of update `count`; held at the last value past the sweep.
        return lrs[jnp.clip(jnp.asarray(count, jnp.int32), 0, n - 1)]

    return optimizer(sweep)


def _init(optimizer: Any, params: Any, lrs: jax.Array) -> Any:
    """The sweep's carry: (params, opt_state, smoothed loss, best smoothed, diverged)."""
    tx = _make_tx(optimizer, lrs)
    f32 = jnp.float32
    return (
        params,
        tx.init(params),
        jnp.zeros([], f32),
        jnp.full([], jnp.inf, f32),
        jnp.zeros([], jnp.bool_),
    )


def _step(
    loss_fn: Any,
    optimizer: Any,
    carry: Any,
    t: jax.Array,
    batch: Any,
    lrs: jax.Array,
    hyper: jax.Array,
) -> tuple[Any, tuple[jax.Array, ...]]:
    """One sweep step: loss at the current params, update, smoothing, divergence test."""
    tx = _make_tx(optimizer, lrs)
    smoothing, threshold = hyper[0], hyper[1]
    nan = jnp.full([], jnp.nan, jnp.float32)

    def run(c: Any) -> Any:
        params, opt_state, smooth, best, _ = c
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        loss = jnp.asarray(loss).astype(jnp.float32)
        # torch-lr-finder: the first loss is kept as is, then
        # smooth_t = smoothing * loss_t + (1 - smoothing) * smooth_{t-1}.
        smooth = jnp.where(t == 0, loss, smoothing * loss + (1 - smoothing) * smooth)
        best = jnp.where(smooth < best, smooth, best)
        # smooth > threshold * best for a positive best (torch-lr-finder's rule), written
        # so that it stays meaningful for losses that go negative; non-finite diverges.
        diverged = ~jnp.isfinite(smooth) | (smooth - best > (threshold - 1) * jnp.abs(best))
        return (params, opt_state, smooth, best, diverged), (loss, smooth, diverged)

    def hold(c: Any) -> Any:  # after divergence: no more work, outputs masked out later
        return c, (nan, nan, jnp.ones([], jnp.bool_))

    return jax.lax.cond(carry[4], hold, run, carry)


def _sweep_scan(
    loss_fn: Any, optimizer: Any, params: Any, batches: Any, lrs: jax.Array, hyper: jax.Array
) -> tuple[jax.Array, ...]:
    n = lrs.shape[0]
    batches = jax.tree.map(lambda x: x[:n], batches)
    carry = _init(optimizer, params, lrs)

    def body(c: Any, xs: Any) -> Any:
        t, batch = xs
        return _step(loss_fn, optimizer, c, t, batch, lrs, hyper)

    _, (losses, smooth, diverged) = jax.lax.scan(body, carry, (jnp.arange(n), batches))
    return losses, smooth, diverged


_sweep_scan_jit = jax.jit(_sweep_scan, static_argnums=(0, 1))
_init_jit = jax.jit(_init, static_argnums=(0,))
_step_jit = jax.jit(_step, static_argnums=(0, 1))


def _hashable(*objs: Any) -> bool:
    try:
        hash(objs)
    except TypeError:
        return False
    return True


def _run_stacked(
    loss_fn: Any, optimizer: Any, params: Any, batches: Any, lrs: jax.Array, hyper: jax.Array
) -> tuple[np.ndarray, ...]:
    if _hashable(loss_fn, optimizer):
        out = _sweep_scan_jit(loss_fn, optimizer, params, batches, lrs, hyper)
    else:  # unhashable callables: compile for this call only
        out = jax.jit(functools.partial(_sweep_scan, loss_fn, optimizer))(
            params, batches, lrs, hyper
        )
    return tuple(np.asarray(o) for o in out)


def _run_iterable(
    loss_fn: Any,
    optimizer: Any,
    params: Any,
    batches: Iterable[Any],
    lrs: jax.Array,
    hyper: jax.Array,
) -> tuple[np.ndarray, ...]:
    init: Callable[..., Any]
    step: Callable[..., Any]
    if _hashable(loss_fn, optimizer):
        init = functools.partial(_init_jit, optimizer)
        step = functools.partial(_step_jit, loss_fn, optimizer)
    else:
        init = jax.jit(functools.partial(_init, optimizer))
        step = jax.jit(functools.partial(_step, loss_fn, optimizer))
    n = int(lrs.shape[0])
    carry = init(params, lrs)
    losses, smooth, diverged = [], [], []
    iterator: Iterator[Any] = iter(batches)
    for t in range(n):
        try:
            batch = next(iterator)
        except StopIteration:
            raise ValueError(
                f"batches ran out after {t} batches, before num_steps={n} steps and before "
                "the loss diverged; pass at least num_steps batches or lower num_steps"
            ) from None
        carry, (loss, s, d) = step(carry, jnp.asarray(t, jnp.int32), batch, lrs, hyper)
        losses.append(loss)
        smooth.append(s)
        diverged.append(d)
        if bool(d):  # one host sync per step: stop consuming the iterable at divergence
            break
    return tuple(np.asarray(jnp.stack(v)) for v in (losses, smooth, diverged))


# ------------------------------------------------------------------------------------------
# Suggestions (host side, float64)
# ------------------------------------------------------------------------------------------
def _steepest(x: np.ndarray, y: np.ndarray, candidates: np.ndarray) -> int:
    """The candidate where ``y`` falls fastest against ``x``, measured over a window.

    The slope at point i is the least-squares slope of the raw loss over the centred
    window ``[i - h, i + h]`` (truncated at the ends of the data, skipped points
    included), ``h = max(1, round(n / 8))`` for ``n`` recorded points: a zero-phase local
    linear fit, so one noisy batch cannot win and the estimate does not lag.
    """
    n = x.size
    h = max(1, round(n / 8))
    slopes = np.empty(candidates.size)
    for k, i in enumerate(candidates):
        a, b = max(0, i - h), min(n, i + h + 1)
        xc = x[a:b] - x[a:b].mean()
        slopes[k] = float(np.dot(xc, y[a:b] - y[a:b].mean()) / np.dot(xc, xc))
    return int(candidates[int(np.argmin(slopes))])


def _valley(y: np.ndarray) -> tuple[int, int, int]:
    """fastai's ``valley`` on ``y``: (suggested index, valley start, valley end).

    ``lds[i]`` is the length of the longest strictly decreasing subsequence ending at i;
    the valley ends at the first i with the largest ``lds`` and starts ``lds`` points
    before it (clamped at 0, where fastai would wrap to -1); the suggestion is
    ``start + int(L/3) + int(L/6)`` with ``L = end - start``, as fastai.
    """
    m = y.size
    lds = np.ones(m, dtype=np.int64)
    for i in range(1, m):
        higher = y[:i] > y[i]
        if higher.any():
            lds[i] = int(lds[:i][higher].max()) + 1
    end = int(np.argmax(lds))  # first index of the maximum, as fastai's strict '<'
    start = max(0, end - int(lds[end]))
    sections = (end - start) / 3
    return min(m - 1, start + int(sections) + int(sections / 2)), start, end


def _suggest_all(
    lrs: np.ndarray,
    losses: np.ndarray,
    smooth: np.ndarray,
    mode: str,
    skip_start: int,
    skip_end: int,
) -> tuple[dict[str, float], dict[str, int | None], str]:
    """All suggestions from the points ``[skip_start, len - skip_end)`` with finite losses."""
    n = lrs.size
    finite = np.isfinite(losses) & np.isfinite(smooth)
    usable = int(np.argmin(finite)) if not finite.all() else n  # finite prefix
    idx = np.arange(skip_start, max(skip_start, min(n - skip_end, usable)))
    nan = float("nan")
    if idx.size < _MIN_POINTS:
        why = (
            f"no suggestion: only {idx.size} usable point(s) remain of the {n} recorded "
            f"after skip_start={skip_start} and skip_end={skip_end} (at least {_MIN_POINTS} "
            "needed); the loss diverged early, so lower start_lr or end_lr, raise num_steps, "
            "or reduce skip_start/skip_end"
        )
        return {k: nan for k in _SUGGEST}, {k: None for k in _SUGGEST}, why
    x = np.log(lrs[:usable]) if mode == "exp" else lrs[:usable]
    y = smooth[idx]
    i_valley, v_start, v_end = _valley(y)
    at = {
        # Steepest descent, but only inside the longest valley: a sustained descent.
        "steepest": _steepest(x, losses[:usable], idx[v_start : v_end + 1]),
        "valley": int(idx[i_valley]),
        "min_div_10": int(idx[int(np.argmin(y))]),
    }
    values = {k: float(lrs[i]) for k, i in at.items()}
    values["min_div_10"] /= 10.0
    return values, dict(at), ""


# ------------------------------------------------------------------------------------------
# find_lr
# ------------------------------------------------------------------------------------------
def _is_stacked(batches: Any) -> bool:
    """A pytree of arrays (tuple, dict, array, ...) is stacked; a list or iterator is not."""
    if isinstance(batches, (list, Iterator)) or batches is None:
        return False
    leaves = jax.tree.leaves(batches)
    return bool(leaves) and all(isinstance(x, (np.ndarray, jax.Array)) for x in leaves)


def find_lr(
    loss_fn: Callable[[Any, Any], Any],
    params: Any,
    batches: Any,
    *,
    optimizer: Callable[[Any], optax.GradientTransformation] = sgd,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    mode: str = "exp",
    smoothing: float = 0.05,
    diverge_threshold: float = 5.0,
    suggest: str = "steepest",
    skip_start: int = 10,
    skip_end: int = 5,
) -> LRFinderResult:
    r"""Learning-rate range test: sweep the learning rate up, record the loss, suggest one.

    Article 003_c528f951556b93fa.txt §3 ("学习率范围测试"): test a series of learning
    rates, plot loss against learning rate, and pick the initial value from the curve.
    Step ``t = 0, ..., num_steps - 1`` trains on batch ``t`` with

    * ``mode="exp"``: :math:`\eta_t = \eta_{start} (\eta_{end}/\eta_{start})^{t/(N-1)}`,
    * ``mode="linear"``: :math:`\eta_t = \eta_{start} + (\eta_{end} - \eta_{start})\,t/(N-1)`,

    records the loss at the params *before* the update and the smoothed loss
    :math:`\bar L_0 = L_0,\ \bar L_t = s L_t + (1 - s) \bar L_{t-1}` (``s = smoothing``,
    torch-lr-finder's convention), and stops after the first step where
    :math:`\bar L_t > \text{diverge\_threshold} \cdot \min_{k \le t} \bar L_k` or the loss
    is not finite (that step is kept, as torch-lr-finder). For losses that can be
    negative the test reads :math:`\bar L_t - best > (\text{threshold} - 1)|best|`, the
    same rule for a positive best.

    The optimizer is built once as ``optimizer(sweep)`` where ``sweep(count)`` looks the
    learning rate up in an array: no recompilation during the sweep, nor when
    ``start_lr``/``end_lr``/``smoothing``/``diverge_threshold`` change between calls.

    Suggestions (computed on the smoothed losses after dropping the first ``skip_start``
    and last ``skip_end`` recorded points; ``x`` is log lr for ``exp``, lr for ``linear``):

    * ``"steepest"``: where the loss falls fastest against ``x``, as torch-lr-finder, but
      made robust to noise (a *sustained* descent): only points inside the longest valley
      of the smoothed loss (fastai's valley, below) are candidates, and the slope at each
      is the least-squares slope of the loss over a centred window of ``2h+1`` points
      (``h = max(1, round(n/8))`` for ``n`` recorded points) instead of a two-point
      difference. The local fit is zero-phase, so unlike the moving average it does not
      lag toward divergence by ``(1-s)/s`` steps.
    * ``"valley"``: fastai's valley: the middle of the longest decreasing stretch.
    * ``"min_div_10"``: the learning rate at the minimum smoothed loss, divided by 10.

    Args:
        loss_fn: ``loss_fn(params, batch) -> scalar``, differentiable in ``params``.
        params: the initial parameters (any pytree). Never modified nor donated.
        batches: either a pytree (array, tuple, dict, ...) of arrays whose leaves all have
            a leading axis of length >= ``num_steps``: batch ``t`` is ``leaf[t]`` and the
            sweep runs as one jitted ``lax.scan``; or an iterable (a ``list`` of batches,
            a generator, a data loader) yielding one batch per step, run as a Python loop
            over a jitted step with the same numbers, stopping at divergence. A ``list``
            is always read as per-step batches.
        optimizer: factory ``learning_rate -> GradientTransformation`` called once with a
            schedule (``count -> lr``); default :func:`lrx.sgd`. E.g. ``lrx.adam``,
            ``functools.partial(lrx.sgd, momentum=0.9)``, ``optax.adamw``.
        start_lr: first learning rate, > 0 (default 1e-7).
        end_lr: last learning rate, > ``start_lr`` (default 10.0).
        num_steps: number of steps, an integer >= ``skip_start + skip_end + 3`` (default
            100).
        mode: "exp" (geometric spacing, default) or "linear".
        smoothing: weight of the newest loss in the moving average, in (0, 1] (default
            0.05; 1 means no smoothing).
        diverge_threshold: stop when the smoothed loss exceeds this multiple of its best,
            > 1 (default 5.0).
        suggest: "steepest" (default), "valley" or "min_div_10".
        skip_start: recorded points ignored at the start for suggestions, integer >= 0
            (default 10).
        skip_end: recorded points ignored at the end for suggestions, integer >= 0
            (default 5).

    Returns:
        An :class:`LRFinderResult`; ``suggestion`` is NaN (and ``message`` says why) when
        divergence left fewer than 3 usable points.

    Raises:
        ValueError: for an invalid argument, or when ``batches`` holds fewer than
            ``num_steps`` batches (up front for stacked pytrees and sized iterables; when
            the iterable runs out before divergence otherwise).

    Example:
        >>> import jax.numpy as jnp, numpy as np, lrx
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(60, 8, 3)).astype(np.float32)   # 60 batches of 8
        >>> y = X @ np.array([1.0, -2.0, 0.5], np.float32)
        >>> loss = lambda w, b: jnp.mean((b[0] @ w - b[1]) ** 2)
        >>> res = lrx.find_lr(loss, jnp.zeros(3), (X, y), start_lr=1e-4, end_lr=10.0,
        ...                   num_steps=60, skip_start=5, skip_end=2)
        >>> res.diverged, bool(1e-3 < res.suggestion < 1.0)
        (True, True)
    """
    if not callable(loss_fn):
        raise ValueError(f"loss_fn must be callable, got {loss_fn!r}")
    if not callable(optimizer):
        raise ValueError(
            f"optimizer must be a callable lr -> GradientTransformation, got {optimizer!r}"
        )
    start = check_float("start_lr", start_lr, lo=0.0, lo_open=True)
    end = check_float("end_lr", end_lr, lo=0.0, lo_open=True)
    if end <= start:
        raise ValueError(f"end_lr must be > start_lr={start_lr!r}, got {end_lr!r}")
    n = check_int("num_steps", num_steps, lo=2)
    mode = check_choice("mode", mode, _MODES)
    s = check_float("smoothing", smoothing, lo=0.0, hi=1.0, lo_open=True)
    thr = check_float("diverge_threshold", diverge_threshold, lo=1.0, lo_open=True)
    suggest = check_choice("suggest", suggest, _SUGGEST)
    k0 = check_int("skip_start", skip_start, lo=0)
    k1 = check_int("skip_end", skip_end, lo=0)
    if n < k0 + k1 + _MIN_POINTS:
        raise ValueError(
            f"num_steps must be >= skip_start + skip_end + {_MIN_POINTS} = "
            f"{k0 + k1 + _MIN_POINTS} to leave points to suggest from, got {num_steps!r}"
        )

    stacked = _is_stacked(batches)
    if stacked:
        for path, leaf in jax.tree_util.tree_leaves_with_path(batches):
            length = leaf.shape[0] if np.ndim(leaf) else 0
            if length < n:
                where = jax.tree_util.keystr(path) or "(the array)"
                raise ValueError(
                    f"batches must have a leading axis of length >= num_steps={n} on every "
                    f"leaf, got {length} at batches{where if where[0] == '[' else ' ' + where}"
                    "; pass more batches, lower num_steps, or pass a list of per-step batches"
                )
    else:
        if not isinstance(batches, Iterable):
            raise ValueError(
                "batches must be a pytree of stacked arrays (leading axis >= num_steps) or "
                f"an iterable of batches, got {type(batches).__name__}"
            )
        if isinstance(batches, Sized) and len(batches) < n:
            raise ValueError(
                f"batches holds {len(batches)} batches, fewer than num_steps={n}; pass more "
                "batches or lower num_steps"
            )

    if mode == "exp":
        lrs64 = start * (end / start) ** (np.arange(n) / (n - 1))
    else:
        lrs64 = start + (end - start) * (np.arange(n) / (n - 1))
    lrs32 = lrs64.astype(np.float32)
    lrs_dev = jnp.asarray(lrs32)
    hyper = jnp.asarray([s, thr], jnp.float32)
    # Copy the user's params into fresh device buffers: nothing of theirs is donated or
    # aliased, whatever the optimizer does.
    params = jax.tree.map(lambda p: jnp.array(p, copy=True), params)

    run = _run_stacked if stacked else _run_iterable
    losses, smooth, div = run(loss_fn, optimizer, params, batches, lrs_dev, hyper)

    hits = np.flatnonzero(div)
    diverged = bool(hits.size)
    stop = int(hits[0]) + 1 if diverged else n
    lrs = lrs32[:stop].astype(np.float64)
    losses = losses[:stop].astype(np.float64)
    smooth = smooth[:stop].astype(np.float64)
    for a in (lrs, losses, smooth):
        a.setflags(write=False)

    values, at, why = _suggest_all(lrs, losses, smooth, mode, k0, k1)
    if why:
        message = why
    else:
        i = at[suggest]
        message = (
            f"{suggest}: {values[suggest]:.3g}"
            + (
                f" (minimum at lr={lrs[i]:.3g}, divided by 10)"
                if suggest == "min_div_10"
                else f" at step {i}"
            )
            + f"; {stop} of {n} steps run"
            + (" (stopped: the loss diverged)" if diverged else "")
        )
    return LRFinderResult(
        learning_rates=lrs,
        losses=losses,
        smoothed_losses=smooth,
        suggestion=values[suggest],
        suggest=suggest,
        suggestions=values,
        suggestion_index=at[suggest],
        diverged=diverged,
        mode=mode,
        num_steps=n,
        message=message,
    )
