"""optax's schedule names with optax's signatures, each building the canonical lrx schedule.

Rule: a name lrx shares with optax has optax's signature (positional order, argument
names, defaults), optax's values (including its edge cases: a non-positive
``transition_steps`` is a constant, a negative ``transition_begin`` is 0) and optax's
``ValueError`` where optax raises. Each function here only translates arguments: the
curve is the canonical lrx schedule (``linear_schedule`` / ``exponential_decay`` /
``polynomial_decay`` in ``decay``, ``cosine_annealing``, ``warmup_cosine``, ``sequence``,
``piecewise_interpolate``), so the result prints, compares, serializes and is a pytree
like every lrx schedule. ``linear_schedule`` and ``exponential_decay`` are defined with
optax's signature in ``decay`` itself and re-exported here.

Where lrx is stricter than optax (documented in docs/porting-from-optax.md): values must
be >= 0 (they are learning rates), growth (``decay_rate > 1``) needs ``end_value`` so
that it stays finite in float32, step counts fit int32.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from jax.typing import ArrayLike

from lrx._validate import static_value
from lrx.schedules._base import Schedule
from lrx.schedules.compose import sequence
from lrx.schedules.cosine import CosineAnnealing
from lrx.schedules.decay import (
    Constant,
    PiecewiseInterpolate,
    PolynomialDecay,
    exponential_decay,
    linear_schedule,
)
from lrx.schedules.warmup import WarmupCosine

__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "exponential_decay",
    "join_schedules",
    "linear_onecycle_schedule",
    "linear_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "polynomial_schedule",
    "sgdr_schedule",
    "warmup_constant_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
]


def _num(x: ArrayLike) -> Any:
    """A number, array or tracer handed to a schedule field (validated there)."""
    return x


def _exponent(cls: type[Schedule], kwargs: dict[str, Any], exponent: Any) -> dict[str, Any]:
    """optax's cosine ``exponent``, a field of the canonical cosine curves."""
    del cls
    return {**kwargs, "exponent": exponent}


def _sorted_items(name: str, boundaries_and_scales: Any) -> tuple[list[Any], list[Any]]:
    """optax's ``boundaries_and_scales`` dict as sorted boundaries and their scales."""
    if boundaries_and_scales is None:
        return [], []
    if not isinstance(boundaries_and_scales, Mapping):
        raise ValueError(
            f"boundaries_and_scales must be a dict {{boundary: scale}} or None, "
            f"got {boundaries_and_scales!r}"
        )
    items = sorted(boundaries_and_scales.items())
    scales = [v for _, v in items]
    concrete = [static_value(v) for v in scales]
    if any(v is not None and not v >= 0.0 for v in concrete):
        raise ValueError(f"`{name}` expects non-negative scale factors, got {scales!r}")
    return [k for k, _ in items], scales


def constant_schedule(value: ArrayLike) -> Schedule:
    """optax ``constant_schedule(value)``: ``lrx.constant(value)``.

    Example:
        >>> import lrx
        >>> lrx.constant_schedule(0.5)(3).item()
        0.5
    """
    return Constant(value=_num(value))


def polynomial_schedule(
    init_value: ArrayLike,
    end_value: ArrayLike,
    power: ArrayLike,
    transition_steps: int,
    transition_begin: int = 0,
) -> Schedule:
    """optax ``polynomial_schedule``: ``lrx.polynomial_decay`` with optax's argument order.

    Formula: ``(init_value - end_value) * (1 - min(d, T) / T) ** power + end_value`` with
    ``d = max(t - transition_begin, 0)``, ``T = transition_steps``. A
    ``transition_steps <= 0`` is the constant ``init_value``; a negative
    ``transition_begin`` is 0 (as optax).

    Example:
        >>> import lrx
        >>> [round(v, 4) for v in lrx.polynomial_schedule(25.0, 10.0, 2, 10).values(3).tolist()]
        [25.0, 22.15, 19.6]
    """
    v = static_value(transition_steps)
    if v is not None and v <= 0:
        return Constant(value=_num(init_value))
    return PolynomialDecay(
        init_value=_num(init_value),
        total_steps=transition_steps,
        power=_num(power),
        end_value=_num(end_value),
        transition_begin=transition_begin,
    )


def cosine_decay_schedule(
    init_value: ArrayLike,
    decay_steps: int,
    alpha: ArrayLike = 0.0,
    exponent: ArrayLike = 1.0,
) -> Schedule:
    """optax ``cosine_decay_schedule``: ``lrx.cosine_annealing(init_value, decay_steps,
    eta_min=alpha * init_value)``.

    Formula: ``init_value * ((1 - alpha) * (1 + cos(pi * min(t, T) / T)) / 2 + alpha)``,
    ``T = decay_steps`` (article 003's cosine annealing). ``decay_steps <= 0`` is a
    ``ValueError`` (as optax).

    Example:
        >>> import lrx
        >>> s = lrx.cosine_decay_schedule(0.1, 10, alpha=0.1)
        >>> [round(v, 4) for v in s.values(3).tolist()] + [round(s(10).item(), 4)]
        [0.1, 0.0978, 0.0914, 0.01]
    """
    v = static_value(decay_steps)
    if v is not None and not v > 0:
        raise ValueError(
            f"The cosine_decay_schedule requires positive decay_steps, got decay_steps={v!r}."
        )
    kwargs = {"init_value": init_value, "T_max": decay_steps, "eta_min": alpha * init_value}
    return CosineAnnealing(**_exponent(CosineAnnealing, kwargs, exponent))


def warmup_constant_schedule(
    init_value: ArrayLike, peak_value: ArrayLike, warmup_steps: int
) -> Schedule:
    """optax ``warmup_constant_schedule``: ``lrx.linear_schedule(init_value, peak_value,
    warmup_steps)``.

    Example:
        >>> import lrx
        >>> lrx.warmup_constant_schedule(0.0, 1.0, 2).values(4).tolist()
        [0.0, 0.5, 1.0, 1.0]
    """
    return linear_schedule(init_value, peak_value, warmup_steps)


def warmup_cosine_decay_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: int,
    decay_steps: int,
    end_value: ArrayLike = 0.0,
    exponent: ArrayLike = 1.0,
) -> Schedule:
    """optax ``warmup_cosine_decay_schedule``: ``lrx.warmup_cosine(peak_value,
    warmup_steps, decay_steps, init_value=init_value, end_value=end_value)``.

    Formula: linear from ``init_value`` to ``peak_value`` over ``warmup_steps``, then a
    cosine to ``end_value`` at ``t = decay_steps`` (the total length, warm-up included),
    held there. ``decay_steps <= warmup_steps`` is a ``ValueError`` (as optax); with
    ``peak_value == 0`` the value after the warm-up is 0 (optax's ``alpha = 0``).

    Example:
        >>> import lrx
        >>> s = lrx.warmup_cosine_decay_schedule(0.0, 1.0, 2, 4)
        >>> [round(v, 4) for v in s.values(6).tolist()]
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """
    w, d = static_value(warmup_steps), static_value(decay_steps)
    if w is not None and d is not None and not d - w > 0:
        raise ValueError(
            f"decay_steps must be > warmup_steps ({w!r}): the cosine part needs positive "
            f"decay_steps - warmup_steps, got decay_steps={d!r}"
        )
    if static_value(peak_value) == 0:
        end_value = 0.0
    kwargs = {
        "peak_value": peak_value,
        "warmup_steps": warmup_steps,
        "total_steps": decay_steps,
        "init_value": init_value,
        "end_value": end_value,
    }
    return WarmupCosine(**_exponent(WarmupCosine, kwargs, exponent))


def warmup_exponential_decay_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: ArrayLike,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: ArrayLike | None = None,
) -> Schedule:
    """optax ``warmup_exponential_decay_schedule``: ``linear_schedule`` then
    ``exponential_decay``, joined at ``warmup_steps`` (``lrx.sequence``).

    Example:
        >>> import lrx
        >>> s = lrx.warmup_exponential_decay_schedule(0.0, 1.0, 2, 1, 0.5)
        >>> s.values(5).tolist()
        [0.0, 0.5, 1.0, 0.5, 0.25]
    """
    return sequence(
        [
            linear_schedule(init_value, peak_value, warmup_steps),
            exponential_decay(
                peak_value, transition_steps, decay_rate, transition_begin, staircase, end_value
            ),
        ],
        [warmup_steps],
    )


def piecewise_constant_schedule(
    init_value: ArrayLike, boundaries_and_scales: dict[int, float] | None = None
) -> Schedule:
    """optax ``piecewise_constant_schedule``: constants joined at the boundaries.

    Formula: ``init_value`` times every scale whose boundary is ``<= t``. Built as
    ``lrx.sequence`` of ``lrx.constant`` pieces. A negative scale is a ``ValueError``
    (as optax).

    Example:
        >>> import lrx
        >>> s = lrx.piecewise_constant_schedule(0.1, {3: 2.0, 6: 0.5})
        >>> [round(v, 4) for v in s.values(8).tolist()]
        [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.1, 0.1]
    """
    boundaries, scales = _sorted_items("piecewise_constant_schedule", boundaries_and_scales)
    if not boundaries:
        return Constant(value=_num(init_value))
    levels = [init_value]
    for s in scales:
        levels.append(levels[-1] * s)
    # a boundary below 0 applies its scale from the first update on (as optax)
    starts = [b if static_value(b) is None or b > 0 else 0 for b in boundaries]
    return sequence([Constant(value=_num(v)) for v in levels], starts)


def piecewise_interpolate_schedule(
    interpolate_type: str,
    init_value: ArrayLike,
    boundaries_and_scales: dict[int, float] | None = None,
) -> Schedule:
    """optax ``piecewise_interpolate_schedule``: linear or cosine pieces between levels.

    Formula: the levels are ``init_value`` times the running products of the scales
    (sorted by boundary); between two boundaries the value moves from one level to the
    next, linearly (``"linear"``) or along a half cosine (``"cosine"``); after the last
    boundary it holds the last level. An empty interval (two boundaries at the same
    count, or a first boundary at 0) counts as one update long (as optax).
    ``interpolate_type`` other than ``"linear"``/``"cosine"`` and negative scales are
    ``ValueError`` (as optax).

    Example:
        >>> import lrx
        >>> s = lrx.piecewise_interpolate_schedule("linear", 200.0, {5: 1.5, 10: 0.25})
        >>> s.values(12).tolist()
        [200.0, 220.0, 240.0, 260.0, 280.0, 300.0, 255.0, 210.0, 165.0, 120.0, 75.0, 75.0]
    """
    if interpolate_type not in ("linear", "cosine"):
        raise ValueError(
            f"interpolate_type must be either 'cosine' or 'linear', got {interpolate_type!r}"
        )
    boundaries, scales = _sorted_items("piecewise_interpolate_schedule", boundaries_and_scales)
    return PiecewiseInterpolate(
        interpolate_type=interpolate_type,
        init_value=_num(init_value),
        boundaries=boundaries,
        scales=scales,
    )


def _check_onecycle_steps(transition_steps: Any, kind: str) -> None:
    v = static_value(transition_steps)
    if v is None or not v > 0:
        raise ValueError(
            f"A {kind} onecycle schedule was set with a non-positive `transition_steps`, "
            f"got transition_steps={transition_steps!r}"
        )


def linear_onecycle_schedule(
    transition_steps: int,
    peak_value: ArrayLike,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """optax ``linear_onecycle_schedule``: a three-piece ``piecewise_interpolate``.

    Formula: linear from ``peak_value / div_factor`` to ``peak_value`` at
    ``int(pct_start * T)``, back to ``peak_value / div_factor`` at ``int(pct_final * T)``,
    down to ``peak_value / div_factor / final_div_factor`` at ``T = transition_steps``,
    then held. (torch's ``OneCycleLR`` places its phases differently: that is
    ``lrx.one_cycle``.) ``transition_steps <= 0`` is a ``ValueError`` (as optax).

    Example:
        >>> import lrx
        >>> s = lrx.linear_onecycle_schedule(10, 1000, 0.3, 0.7, 10.0, 100.0)
        >>> [round(v, 3) for v in s.values(12).tolist()]
        [100.0, 400.0, 700.0, 1000.0, 775.0, 550.0, 325.0, 100.0, 67.0, 34.0, 1.0, 1.0]
    """
    _check_onecycle_steps(transition_steps, "linear")
    return piecewise_interpolate_schedule(
        "linear",
        peak_value / div_factor,
        {
            int(pct_start * transition_steps): div_factor,
            int(pct_final * transition_steps): 1.0 / div_factor,
            transition_steps: 1.0 / final_div_factor,
        },
    )


def cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: ArrayLike,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """optax ``cosine_onecycle_schedule``: a two-piece cosine ``piecewise_interpolate``.

    Formula: a half cosine from ``peak_value / div_factor`` up to ``peak_value`` at
    ``int(pct_start * T)``, another down to ``peak_value / (div_factor *
    final_div_factor)`` at ``T = transition_steps``, then held. (torch's ``OneCycleLR``
    places its phases differently: that is ``lrx.one_cycle``.) ``transition_steps <= 0``
    is a ``ValueError`` (as optax).

    Example:
        >>> import lrx
        >>> s = lrx.cosine_onecycle_schedule(5, 1000.0, 0.4, 10.0, 100.0)
        >>> [round(v, 2) for v in s.values(7).tolist()]
        [100.0, 550.0, 1000.0, 750.25, 250.75, 1.0, 1.0]
    """
    _check_onecycle_steps(transition_steps, "cosine")
    return piecewise_interpolate_schedule(
        "cosine",
        peak_value / div_factor,
        {
            int(pct_start * transition_steps): div_factor,
            int(transition_steps): 1.0 / (div_factor * final_div_factor),
        },
    )


def join_schedules(
    schedules: Sequence[Schedule | Callable[[Any], Any]], boundaries: Sequence[int]
) -> Schedule:
    """optax ``join_schedules``: ``lrx.sequence(schedules, boundaries)``.

    Schedule ``i`` runs on ``t - boundaries[i - 1]`` from ``boundaries[i - 1]`` on. A plain
    callable is wrapped (``lrx.from_fn``: not serializable).

    Example:
        >>> import lrx
        >>> s = lrx.join_schedules([lrx.constant_schedule(1.0), lrx.constant_schedule(2.0)],
        ...                        boundaries=[2])
        >>> s.values(4).tolist()
        [1.0, 1.0, 2.0, 2.0]
    """
    return sequence(list(schedules), list(boundaries))  # type: ignore[arg-type]


def sgdr_schedule(cosine_kwargs: Iterable[dict[str, ArrayLike]]) -> Schedule:
    """optax ``sgdr_schedule``: ``warmup_cosine_decay_schedule`` pieces joined end to end.

    Each dict holds the keyword arguments of one :func:`warmup_cosine_decay_schedule`;
    piece ``i`` starts where the previous one's ``decay_steps`` end.

    Example:
        >>> import lrx
        >>> kw = dict(init_value=0.0, peak_value=1.0, warmup_steps=1, decay_steps=3)
        >>> [round(v, 2) for v in lrx.sgdr_schedule([kw, kw]).values(6).tolist()]
        [0.0, 1.0, 0.5, 0.0, 1.0, 0.5]
    """
    schedules: list[Schedule] = []
    boundaries: list[Any] = []
    step: Any = 0
    for kwargs in cosine_kwargs:
        schedules.append(warmup_cosine_decay_schedule(**kwargs))  # type: ignore[arg-type]
        step = step + kwargs["decay_steps"]
        boundaries.append(step)
    return sequence(schedules, boundaries[:-1])
