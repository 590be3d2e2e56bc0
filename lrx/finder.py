"""The learning-rate range test: :func:`find_lr` and its :class:`LRFinderResult`.

Article 003, section 3 (the learning-rate range test): train for a short while with a
learning rate that grows from very small to very large, plot the loss against the learning
rate and pick a value where the loss still falls fastest, below where it blows up
(L. N. Smith, "Cyclical Learning Rates for Training Neural Networks", 2017; the fastai /
torch-lr-finder ``lr_find``).

:func:`find_lr` runs four named steps: :func:`_validate` (arguments and batches),
:func:`_grid` (the learning rates of the sweep), :func:`_run` (the sweep: one jitted
``lax.scan`` for stacked batches, a loop over one jitted step for an iterable) and
:func:`_suggest` (suggestions and the message, on the host in float64). The jitted
functions are built inside each call and dropped when it returns: nothing keeps the user's
``loss_fn`` (or the data it captures) alive after ``find_lr`` returns.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import TYPE_CHECKING, Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrx._validate import check_choice, check_float, check_int
from lrx.optimizers import sgd
from lrx.schedules._base import Schedule
from lrx.schedules.decay import exponential_decay, linear_schedule

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
        """Loss against learning rate, with the suggestion marked: :func:`lrx.plot.range_test`.

        Args:
            ax: a matplotlib Axes to draw on; default ``None`` draws on a new Figure.

        Returns:
            The matplotlib Figure.
        """
        from lrx import plot

        return plot.range_test(self, ax)


# ------------------------------------------------------------------------------------------
# Step 1: validate
# ------------------------------------------------------------------------------------------
class _Config(NamedTuple):
    """The validated arguments of :func:`find_lr`."""

    start_lr: float
    end_lr: float
    num_steps: int
    mode: str
    smoothing: float
    diverge_threshold: float
    suggest: str
    skip_start: int
    skip_end: int
    stacked: bool  # batches is a pytree of stacked arrays (else an iterable of batches)


def _validate(
    loss_fn: Any, optimizer: Any, batches: Any, start_lr: Any, end_lr: Any, **kw: Any
) -> _Config:
    """Check every argument (ValueError naming it) and say how ``batches`` is read."""
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
    n = check_int("num_steps", kw["num_steps"], lo=2)
    mode = check_choice("mode", kw["mode"], _MODES)
    s = check_float("smoothing", kw["smoothing"], lo=0.0, hi=1.0, lo_open=True)
    thr = check_float("diverge_threshold", kw["diverge_threshold"], lo=1.0, lo_open=True)
    suggest = check_choice("suggest", kw["suggest"], _SUGGEST)
    k0 = check_int("skip_start", kw["skip_start"], lo=0)
    k1 = check_int("skip_end", kw["skip_end"], lo=0)
    if n < k0 + k1 + _MIN_POINTS:
        raise ValueError(
            f"num_steps must be >= skip_start + skip_end + {_MIN_POINTS} = "
            f"{k0 + k1 + _MIN_POINTS} to leave points to suggest from, got {kw['num_steps']!r}"
        )
    stacked = _check_batches(batches, n)
    return _Config(start, end, n, mode, s, thr, suggest, k0, k1, stacked)


def _where(path: Any) -> str:
    where = jax.tree_util.keystr(path)
    return f"batches{where}" if where else "batches"


def _check_batches(batches: Any, n: int) -> bool:
    """True for a pytree of stacked arrays, False for an iterable of batches; else raise.

    A ``list`` or an iterator is always an iterable of per-step batches. Any other pytree
    holding at least one array is the stacked form: every leaf must then be an array whose
    leading axis has length >= ``n``.
    """
    if batches is not None and not isinstance(batches, (list, Iterator)):
        leaves = jax.tree_util.tree_leaves_with_path(batches)
        if any(isinstance(x, (np.ndarray, jax.Array)) for _, x in leaves):
            for path, leaf in leaves:
                if not isinstance(leaf, (np.ndarray, jax.Array)):
                    raise ValueError(
                        f"{_where(path)} must be an array with a leading axis of length >= "
                        f"num_steps={n} (batches is a pytree of stacked per-step arrays), got "
                        f"{type(leaf).__name__} {leaf!r}; drop it and capture constants in "
                        "loss_fn, or pass a list of per-step batches"
                    )
                length = leaf.shape[0] if leaf.ndim else 0
                if length < n:
                    raise ValueError(
                        f"batches must have a leading axis of length >= num_steps={n} on "
                        f"every leaf, got {length} at {_where(path)}; pass more batches, "
                        "lower num_steps, or pass a list of per-step batches"
                    )
            return True
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
    return False


# ------------------------------------------------------------------------------------------
# Step 2: the grid of learning rates
# ------------------------------------------------------------------------------------------
def _grid(cfg: _Config) -> Schedule:
    """The sweep as an lrx schedule: ``start_lr`` at step 0, ``end_lr`` at the last step.

    ``mode="exp"``: ``start * (end / start) ** (t / (n - 1))``, an :func:`lrx.exponential_decay`
    with ``decay_rate = end / start > 1`` capped at ``end``; ``mode="linear"``: a
    :func:`lrx.linear_schedule`. The schedule is a jit argument (a pytree), so other
    ``start_lr``/``end_lr`` values do not change the compiled program, and its
    ``values(n)`` are exactly the rates the sweep applies.
    """
    steps = cfg.num_steps - 1
    if cfg.mode == "exp":
        return exponential_decay(
            init_value=cfg.start_lr,
            transition_steps=steps,
            decay_rate=cfg.end_lr / cfg.start_lr,
            end_value=cfg.end_lr,
        )
    return linear_schedule(init_value=cfg.start_lr, end_value=cfg.end_lr, transition_steps=steps)


# ------------------------------------------------------------------------------------------
# Step 3: run the sweep
# ------------------------------------------------------------------------------------------
class _Carry(NamedTuple):
    """What the sweep carries from one step to the next."""

    params: Any
    opt_state: Any
    smoothed: jax.Array  # float32 scalar, the moving average of the loss
    best: jax.Array  # float32 scalar, the lowest smoothed loss so far
    diverged: jax.Array  # bool scalar, set at the step that diverged and kept


class _Trace(NamedTuple):
    """Per-step outputs of the sweep (NaN and ``diverged=True`` after divergence)."""

    losses: Any
    smoothed: Any
    diverged: Any


def _real_scalar(loss_fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``loss_fn`` that raises a ValueError, at trace time, unless it returns a real scalar."""

    def loss(params: Any, batch: Any) -> Any:
        value = loss_fn(params, batch)
        dtype, shape = jnp.result_type(value), jnp.shape(value)
        if shape != () or not jnp.issubdtype(dtype, jnp.floating):
            kind = "complex" if jnp.issubdtype(dtype, jnp.complexfloating) else "non-float"
            raise ValueError(
                "loss_fn must return a real floating-point scalar (the range test "
                f"differentiates it), got a {kind} value of dtype {dtype} and shape {shape}"
                + ("; return e.g. jnp.abs(z) ** 2 or jnp.real(z)" if kind == "complex" else "")
            )
        return value

    return loss


def _init(optimizer: Any, params: Any, schedule: Schedule) -> _Carry:
    f32 = jnp.float32
    return _Carry(
        params=params,
        opt_state=optimizer(schedule).init(params),
        smoothed=jnp.zeros([], f32),
        best=jnp.full([], jnp.inf, f32),
        diverged=jnp.zeros([], jnp.bool_),
    )


def _step(
    loss_fn: Any,
    optimizer: Any,
    carry: _Carry,
    t: jax.Array,
    batch: Any,
    schedule: Schedule,
    hyper: jax.Array,
) -> tuple[_Carry, _Trace]:
    """One sweep step: loss at the current params, update, smoothing, divergence test."""
    tx = optimizer(schedule)
    smoothing, threshold = hyper[0], hyper[1]

    def run(c: _Carry) -> tuple[_Carry, _Trace]:
        loss, grads = jax.value_and_grad(loss_fn)(c.params, batch)
        updates, opt_state = tx.update(grads, c.opt_state, c.params)
        loss = jnp.asarray(loss).astype(jnp.float32)
        # torch-lr-finder: the first loss is kept as is, then
        # smoothed_t = smoothing * loss_t + (1 - smoothing) * smoothed_{t-1}.
        smoothed = jnp.where(t == 0, loss, smoothing * loss + (1 - smoothing) * c.smoothed)
        best = jnp.minimum(smoothed, c.best)
        # smoothed > threshold * best for a positive best (torch-lr-finder's rule), written
        # so that it stays meaningful for losses that go negative; non-finite diverges.
        diverged = ~jnp.isfinite(smoothed) | (smoothed - best > (threshold - 1) * jnp.abs(best))
        params = optax.apply_updates(c.params, updates)
        return _Carry(params, opt_state, smoothed, best, diverged), _Trace(loss, smoothed, diverged)

    def hold(c: _Carry) -> tuple[_Carry, _Trace]:  # after divergence: no work, masked later
        nan = jnp.full([], jnp.nan, jnp.float32)
        return c, _Trace(nan, nan, jnp.ones([], jnp.bool_))

    out: tuple[_Carry, _Trace] = jax.lax.cond(carry.diverged, hold, run, carry)
    return out


def _scan(
    init: Callable[..., _Carry],
    step: Callable[..., tuple[_Carry, _Trace]],
    n: int,
    params: Any,
    batches: Any,
    schedule: Schedule,
    hyper: jax.Array,
) -> _Trace:
    def body(c: _Carry, xs: Any) -> tuple[_Carry, _Trace]:
        t, batch = xs
        return step(c, t, batch, schedule, hyper)

    batches = jax.tree.map(lambda x: x[:n], batches)
    _, trace = jax.lax.scan(body, init(params, schedule), (jnp.arange(n), batches))
    return trace


def _loop(
    init: Callable[..., _Carry],
    step: Callable[..., tuple[_Carry, _Trace]],
    n: int,
    params: Any,
    batches: Iterable[Any],
    schedule: Schedule,
    hyper: jax.Array,
) -> _Trace:
    carry = init(params, schedule)
    outs: list[_Trace] = []
    iterator: Iterator[Any] = iter(batches)
    for t in range(n):
        try:
            batch = next(iterator)
        except StopIteration:
            raise ValueError(
                f"batches ran out after {t} batches, before num_steps={n} steps and before "
                "the loss diverged; pass at least num_steps batches or lower num_steps"
            ) from None
        carry, out = step(carry, jnp.asarray(t, jnp.int32), batch, schedule, hyper)
        outs.append(out)
        if bool(out.diverged):  # one host sync per step: stop consuming at divergence
            break
    return _Trace(*(jnp.stack(v) for v in zip(*outs, strict=True)))


def _run(
    loss_fn: Any, optimizer: Any, params: Any, batches: Any, schedule: Schedule, cfg: _Config
) -> _Trace:
    """The sweep, compiled for this call only (no cache outlives it), as NumPy arrays."""
    init = functools.partial(_init, optimizer)
    step = functools.partial(_step, _real_scalar(loss_fn), optimizer)
    hyper = jnp.asarray([cfg.smoothing, cfg.diverge_threshold], jnp.float32)
    n = cfg.num_steps
    # Fresh device buffers: nothing of the user's params is donated or aliased.
    params = jax.tree.map(lambda p: jnp.array(p, copy=True), params)
    if cfg.stacked:
        trace = jax.jit(functools.partial(_scan, init, step, n))(params, batches, schedule, hyper)
    else:
        trace = _loop(jax.jit(init), jax.jit(step), n, params, batches, schedule, hyper)
    return _Trace(*(np.asarray(v) for v in trace))


# ------------------------------------------------------------------------------------------
# Step 4: suggest (host side, float64)
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


def _suggest(cfg: _Config, lrs: np.ndarray, trace: _Trace) -> LRFinderResult:
    """Cut the trace at the divergence point, suggest, and say what was found."""
    hits = np.flatnonzero(trace.diverged)
    diverged = bool(hits.size)
    stop = int(hits[0]) + 1 if diverged else cfg.num_steps
    lrs64, losses, smoothed = (
        np.array(a[:stop], dtype=np.float64) for a in (lrs, trace.losses, trace.smoothed)
    )
    for a in (lrs64, losses, smoothed):
        a.setflags(write=False)
    values, at, message = _suggest_all(
        lrs64, losses, smoothed, cfg.mode, cfg.skip_start, cfg.skip_end
    )
    if not message:
        name, i = cfg.suggest, at[cfg.suggest]
        where = (
            f" (minimum at lr={lrs64[i]:.3g}, divided by 10)"
            if name == "min_div_10"
            else f" at step {i}"
        )
        message = f"{name}: {values[name]:.3g}{where}; {stop} of {cfg.num_steps} steps run" + (
            " (stopped: the loss diverged)" if diverged else ""
        )
    return LRFinderResult(
        learning_rates=lrs64,
        losses=losses,
        smoothed_losses=smoothed,
        suggestion=values[cfg.suggest],
        suggest=cfg.suggest,
        suggestions=values,
        suggestion_index=at[cfg.suggest],
        diverged=diverged,
        mode=cfg.mode,
        num_steps=cfg.num_steps,
        message=message,
    )


# ------------------------------------------------------------------------------------------
# find_lr
# ------------------------------------------------------------------------------------------
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

    Article 003, section 3 (the learning-rate range test): try a series of learning rates,
    plot the loss against them, and read the initial learning rate off the curve.
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
    learning rate up in an array, so the sweep is compiled once per call and never
    recompiles while it runs. The compiled program belongs to the call: nothing keeps
    ``loss_fn`` or the data it captures alive after ``find_lr`` returns.

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
        loss_fn: ``loss_fn(params, batch) -> scalar``, a real floating-point scalar
            differentiable in ``params``.
        params: the initial parameters (any pytree). Never modified nor donated.
        batches: either a pytree (array, tuple, dict, ...) of arrays whose leaves all have
            a leading axis of length >= ``num_steps``: batch ``t`` is ``leaf[t]`` and the
            sweep runs as one jitted ``lax.scan``; or an iterable (a ``list`` of batches,
            a generator, a data loader) yielding one batch per step, run as a Python loop
            over a jitted step with the same numbers, stopping at divergence. A ``list``
            is always read as per-step batches; any other pytree holding an array is the
            stacked form, and all its leaves must then be such arrays.
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
        ValueError: for an invalid argument; when ``batches`` holds fewer than
            ``num_steps`` batches (up front for stacked pytrees and sized iterables; when
            the iterable runs out before divergence otherwise) or a stacked pytree holds a
            leaf that is not an array; when ``loss_fn`` does not return a real scalar
            (e.g. a complex loss).

    References:
        Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017 (the LR range
            test).

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
    cfg = _validate(
        loss_fn,
        optimizer,
        batches,
        start_lr,
        end_lr,
        num_steps=num_steps,
        mode=mode,
        smoothing=smoothing,
        diverge_threshold=diverge_threshold,
        suggest=suggest,
        skip_start=skip_start,
        skip_end=skip_end,
    )
    schedule = _grid(cfg)
    trace = _run(loss_fn, optimizer, params, batches, schedule, cfg)
    return _suggest(cfg, schedule.values(cfg.num_steps), trace)
