"""Cyclical schedules: the cyclical learning rate (CLR) and the 1cycle policy."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from lrx._validate import (
    FLOAT32_MAX,
    check_bool,
    check_choice,
    check_float,
    check_int,
    static_value,
)
from lrx.schedules._base import Schedule, register, static_field
from lrx.schedules._common import (
    as_f32,
    bound,
    check_divisor,
    check_gamma,
    cos_frac,
    floordiv,
    power,
    set_field,
)

__all__ = ["cyclical", "one_cycle"]

_MODES = ("triangular", "triangular2", "exp_range")
_ANNEAL = ("cos", "linear")


@register("cyclical")
class Cyclical(Schedule):
    """Triangular waves between ``base_lr`` and ``max_lr`` (torch ``CyclicLR``)."""

    base_lr: float
    max_lr: float
    step_size_up: int
    step_size_down: int | None = None
    mode: str = static_field(default="triangular")
    gamma: float = 1.0

    def __post_init__(self) -> None:
        set_field(self, "base_lr", check_float("base_lr", self.base_lr, lo=0.0))
        set_field(self, "max_lr", check_float("max_lr", self.max_lr, lo=0.0))
        set_field(self, "step_size_up", check_int("step_size_up", self.step_size_up, lo=1))
        down = self.step_size_up if self.step_size_down is None else self.step_size_down
        set_field(self, "step_size_down", check_int("step_size_down", down, lo=1))
        set_field(self, "mode", check_choice("mode", self.mode, _MODES))
        set_field(self, "gamma", check_gamma(self.gamma))

    def _max_value(self) -> float | None:
        return bound(self.base_lr, self.max_lr)

    @property
    def _down(self) -> Any:
        """``step_size_down`` as set by ``__post_init__`` (``None`` became ``step_size_up``)."""
        return self.step_size_down

    def _value(self, t: jax.Array) -> jax.Array:
        up, down = as_f32(self.step_size_up), as_f32(self._down)
        total = up + down
        # position inside the current cycle and cycle index, exact for t < 2**24
        pos = jnp.mod(t, total)
        return self._shape(t, pos, total - pos, floordiv(t, total), pos <= up)

    def _value_at(self, count: jax.Array) -> jax.Array:
        # The cycle length may exceed int32 (two step sizes near 2**31): reduce the count
        # in uint32 (int64 under x64), where up + down and every count fit exactly.
        wide = jnp.uint32 if count.dtype.itemsize <= 4 else count.dtype
        c = jnp.maximum(count, 0).astype(wide)
        up = jnp.asarray(self.step_size_up).astype(wide)
        total = up + jnp.asarray(self._down).astype(wide)
        pos = c % total
        f32 = jnp.float32
        return self._shape(
            count.astype(f32),
            pos.astype(f32),
            (total - pos).astype(f32),
            (c // total).astype(f32),
            pos <= up,
        )

    def _shape(
        self,
        t: jax.Array,
        pos: jax.Array,
        to_end: jax.Array,
        cycle: jax.Array,
        rising: jax.Array,
    ) -> jax.Array:
        up, down = as_f32(self.step_size_up), as_f32(self._down)
        height = jnp.where(rising, pos / up, to_end / down)
        if self.mode == "triangular":
            scale = jnp.ones_like(t)
        elif self.mode == "triangular2":
            scale = power(0.5, cycle)  # 1 / 2**(cycle - 1)
        else:  # exp_range: scaled per update, as torch (scale_mode="iterations")
            scale = power(self.gamma, t)
        base, peak = as_f32(self.base_lr), as_f32(self.max_lr)
        return base + (peak - base) * height * scale


def cyclical(
    base_lr: float,
    max_lr: float,
    step_size_up: int,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> Schedule:
    """Cyclical learning rate (Smith 2017): triangle waves between ``base_lr`` and ``max_lr``.

    Formula: with ``L = step_size_up + step_size_down`` and ``p = t mod L``,
    ``h(t) = p / step_size_up`` while ``p <= step_size_up``, else
    ``(L - p) / step_size_down``; ``s(t) = base_lr + (max_lr - base_lr) * h(t) * f(t)``
    with ``f = 1`` (``"triangular"``), ``f = 2**-floor(t / L)`` (``"triangular2"``: the
    amplitude halves every cycle) or ``f = gamma**t`` (``"exp_range"``). This is the
    "CyclicalLR" of article 002 (0.001 to 0.1 over a 40-epoch cycle is
    ``cyclical(0.001, 0.1, step_size_up=20)`` stepped per epoch).

    Peers: torch ``CyclicLR(base_lr, max_lr, step_size_up, step_size_down, mode, gamma,
    cycle_momentum=False)`` stepped once per update (lrx schedules only the learning rate;
    torch cycles the momentum too unless ``cycle_momentum=False``).

    Args:
        base_lr: the bottom of each cycle; finite, >= 0.
        max_lr: the top of the first cycle; finite, >= 0.
        step_size_up: updates from bottom to top; integer >= 1.
        step_size_down: updates from top back to bottom; integer >= 1. Default None
            (``= step_size_up``); stored resolved.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``. Default
            ``"triangular"``.
        gamma: the per-update amplitude factor of ``"exp_range"``, in (0, 1]. Default 1.0.

    Example:
        >>> import lrx
        >>> lrx.cyclical(0.0, 1.0, step_size_up=2).values(6).tolist()
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.5]
        >>> lrx.cyclical(0.0, 1.0, step_size_up=2, mode="triangular2").values(7).tolist()
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.25, 0.5]
    """
    return Cyclical(
        base_lr=base_lr,
        max_lr=max_lr,
        step_size_up=step_size_up,
        step_size_down=step_size_down,
        mode=mode,
        gamma=gamma,
    )


@register("one_cycle")
class OneCycle(Schedule):
    """The 1cycle policy (torch ``OneCycleLR``), held at its final value after the cycle."""

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    anneal_strategy: str = static_field(default="cos")
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = static_field(default=False)

    def __post_init__(self) -> None:
        set_field(self, "max_lr", check_float("max_lr", self.max_lr, lo=0.0))
        set_field(self, "total_steps", check_int("total_steps", self.total_steps, lo=2))
        set_field(
            self,
            "pct_start",
            check_float("pct_start", self.pct_start, lo=0.0, hi=1.0, lo_open=True, hi_open=True),
        )
        set_field(
            self, "anneal_strategy", check_choice("anneal_strategy", self.anneal_strategy, _ANNEAL)
        )
        set_field(self, "div_factor", check_divisor("div_factor", self.div_factor))
        set_field(
            self, "final_div_factor", check_divisor("final_div_factor", self.final_div_factor)
        )
        set_field(self, "three_phase", check_bool("three_phase", self.three_phase))
        max_lr, div, final_div = (
            static_value(self.max_lr),
            static_value(self.div_factor),
            static_value(self.final_div_factor),
        )
        if max_lr is not None and div is not None and max_lr / div > FLOAT32_MAX:
            raise ValueError(
                f"div_factor must keep max_lr / div_factor finite in float32, got "
                f"div_factor={div!r} with max_lr={max_lr!r}"
            )
        if (
            max_lr is not None
            and div is not None
            and final_div is not None
            and max_lr / div / final_div > FLOAT32_MAX
        ):
            raise ValueError(
                f"final_div_factor must keep max_lr / div_factor / final_div_factor finite "
                f"in float32, got final_div_factor={final_div!r}"
            )
        pct, total = static_value(self.pct_start), static_value(self.total_steps)
        if pct is None or total is None:
            return  # traced: the phase checks below need both values
        warm = pct * total
        if warm <= 1.0:
            raise ValueError(
                f"pct_start must give a warm-up of more than one update "
                f"(pct_start * total_steps > 1), got pct_start={pct!r} with "
                f"total_steps={total}"
            )
        if self.three_phase and 2.0 * warm - 2.0 >= total - 1:
            raise ValueError(
                f"pct_start must leave room for the third phase with three_phase=True "
                f"(2 * pct_start * total_steps < total_steps + 1), got "
                f"pct_start={pct!r} with total_steps={total}"
            )

    def _max_value(self) -> float | None:
        max_lr = static_value(self.max_lr)
        div, final_div = static_value(self.div_factor), static_value(self.final_div_factor)
        if max_lr is None or div is None or final_div is None:
            return None
        return float(max(max_lr, max_lr / div, max_lr / div / final_div))

    def phases(self) -> list[tuple[Any, Any, Any, Any]]:
        """``(start_step, end_step, start_value, end_value)`` per phase, torch's arithmetic.

        Python floats for a concrete schedule; float32 arrays where a field is traced.
        """
        max_lr = as_f32(self.max_lr)
        initial = max_lr / as_f32(self.div_factor)
        final = initial / as_f32(self.final_div_factor)
        pct, total = as_f32(self.pct_start), as_f32(self.total_steps)
        warm_end = pct * total - 1.0
        last = total - 1.0
        if self.three_phase:
            down_end = 2.0 * pct * total - 2.0
            return [
                (0.0, warm_end, initial, max_lr),
                (warm_end, down_end, max_lr, initial),
                (down_end, last, initial, final),
            ]
        return [(0.0, warm_end, initial, max_lr), (warm_end, last, max_lr, final)]

    def _anneal(self, t: jax.Array, phase: tuple[Any, Any, Any, Any]) -> jax.Array:
        start, end, v0, v1 = phase
        length = end - start
        remaining = end - jnp.clip(t, start, end)  # (1 - pct) * length
        if self.anneal_strategy == "cos":
            return v1 + (v0 - v1) * cos_frac(remaining, length)
        done = length - remaining
        return v0 * (remaining / length) + v1 * (done / length)

    def _value(self, t: jax.Array) -> jax.Array:
        phases = self.phases()
        value = self._anneal(t, phases[-1])
        for phase in reversed(phases[:-1]):
            value = jnp.where(t <= phase[1], self._anneal(t, phase), value)
        return value


def one_cycle(
    max_lr: float,
    total_steps: int,
    *,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    """The 1cycle policy (Smith & Topin 2018): warm up to ``max_lr``, then anneal far below.

    Formula: ``initial = max_lr / div_factor``, ``final = initial / final_div_factor``,
    ``w = pct_start * total_steps - 1``. Two phases: ``initial -> max_lr`` on ``[0, w]``,
    ``max_lr -> final`` on ``[w, total_steps - 1]``. With ``three_phase``:
    ``initial -> max_lr`` on ``[0, w]``, ``max_lr -> initial`` on
    ``[w, 2 * pct_start * total_steps - 2]``, ``initial -> final`` up to
    ``total_steps - 1``. Inside a phase from ``a`` to ``b`` with progress ``p``:
    ``b + (a - b) * (1 + cos(pi * p)) / 2`` (``"cos"``) or ``a + (b - a) * p``
    (``"linear"``). One of the "beyond the basics" schedulers of article 002.

    Peers: torch ``OneCycleLR(max_lr, total_steps, pct_start, anneal_strategy,
    div_factor, final_div_factor, three_phase, cycle_momentum=False)`` for
    ``t <= total_steps - 1`` (the same phase end steps). torch raises past
    ``total_steps``; lrx holds ``final`` from ``t = total_steps - 1`` on. optax
    ``cosine_onecycle_schedule`` / ``linear_onecycle_schedule`` place the phases differently.

    Args:
        max_lr: the peak; finite, >= 0.
        total_steps: length of the cycle in updates; integer >= 2.
        pct_start: fraction of the cycle spent warming up, in (0, 1), with
            ``pct_start * total_steps > 1``. Default 0.3.
        anneal_strategy: ``"cos"`` or ``"linear"``. Default ``"cos"``.
        div_factor: ``max_lr / initial``, > 0. Default 25.0.
        final_div_factor: ``initial / final``, > 0. Default 1e4.
        three_phase: add a symmetric way back down to ``initial`` before the final
            annealing (fastai's original policy). Default False.

    Example:
        >>> import lrx
        >>> s = lrx.one_cycle(1.0, total_steps=10, pct_start=0.3, anneal_strategy="linear",
        ...                   div_factor=10.0, final_div_factor=1.0)
        >>> [round(v, 3) for v in s.values(10).tolist()]
        [0.1, 0.55, 1.0, 0.871, 0.743, 0.614, 0.486, 0.357, 0.229, 0.1]
    """
    return OneCycle(
        max_lr=max_lr,
        total_steps=total_steps,
        pct_start=pct_start,
        anneal_strategy=anneal_strategy,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
        three_phase=three_phase,
    )
