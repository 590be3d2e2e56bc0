"""Cyclical schedules: the cyclical learning rate (CLR) and the 1cycle policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp

from lrx._types import Hyper
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

__all__ = ["cyclical", "cyclical_momentum", "one_cycle", "one_cycle_momentum"]

_MODES = ("triangular", "triangular2", "exp_range")
_ANNEAL = ("cos", "linear")


def _half_power(cycle: jax.Array) -> jax.Array:
    """``0.5 ** cycle`` for whole-number float32 ``cycle >= 0``, exact (a power of two).

    ``exp(cycle * log(0.5))`` is off by ~``cycle * 6e-8`` relative (2e-6 at cycle 68);
    ``ldexp`` builds the power of two exactly (0 below the smallest normal float32).
    """
    return jnp.ldexp(jnp.ones_like(cycle), -jnp.minimum(cycle, 200.0).astype(jnp.int32))


class _Triangle(Schedule):
    """The CLR wave shared by the rate and the momentum curves (one implementation).

    Subclasses declare ``step_size_up``, ``step_size_down``, ``mode`` and ``gamma`` and
    say which value the wave starts from (``_ends``: bottom of the rate, top of the
    momentum) and which it moves towards.
    """

    if TYPE_CHECKING:
        step_size_up: Any
        step_size_down: Any
        mode: str
        gamma: Any

    def _ends(self) -> tuple[Any, Any]:  # pragma: no cover - abstract
        """``(start, far)``: the value at the start of a cycle and at its turning point."""
        raise NotImplementedError

    def _check_wave(self) -> None:
        set_field(self, "step_size_up", check_int("step_size_up", self.step_size_up, lo=1))
        down = self.step_size_up if self.step_size_down is None else self.step_size_down
        set_field(self, "step_size_down", check_int("step_size_down", down, lo=1))
        set_field(self, "mode", check_choice("mode", self.mode, _MODES))
        set_field(self, "gamma", check_gamma(self.gamma))

    def _max_value(self) -> float | None:
        return bound(*self._ends())

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
            scale = _half_power(cycle)  # 1 / 2**(cycle - 1), exact
        else:  # exp_range: scaled per update, as torch (scale_mode="iterations")
            scale = power(self.gamma, t)
        start, far = (as_f32(v) for v in self._ends())
        return jnp.asarray(start + (far - start) * height * scale)


@register("cyclical")
class Cyclical(_Triangle):
    """Triangular waves between ``base_lr`` and ``max_lr`` (torch ``CyclicLR``)."""

    base_lr: Hyper
    max_lr: Hyper
    step_size_up: int
    step_size_down: int | None = None
    mode: str = static_field(default="triangular")
    gamma: Hyper = 1.0

    def __post_init__(self) -> None:
        set_field(self, "base_lr", check_float("base_lr", self.base_lr, lo=0.0))
        set_field(self, "max_lr", check_float("max_lr", self.max_lr, lo=0.0))
        self._check_wave()

    def _ends(self) -> tuple[Any, Any]:
        return self.base_lr, self.max_lr


def cyclical(
    base_lr: Hyper,
    max_lr: Hyper,
    step_size_up: int,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: Hyper = 1.0,
) -> Schedule:
    """Cyclical learning rate (Smith 2017): triangle waves between ``base_lr`` and ``max_lr``.

    Formula: with ``L = step_size_up + step_size_down`` and ``p = t mod L``,
    ``h(t) = p / step_size_up`` while ``p <= step_size_up``, else
    ``(L - p) / step_size_down``; ``s(t) = base_lr + (max_lr - base_lr) * h(t) * f(t)``
    with ``f = 1`` (``"triangular"``), ``f = 2**-floor(t / L)`` (``"triangular2"``: the
    amplitude halves every cycle) or ``f = gamma**t`` (``"exp_range"``). This is the
    "CyclicalLR" of article 002 (0.001 to 0.1 over a 40-epoch cycle is
    ``cyclical(0.001, 0.1, step_size_up=20)`` stepped per epoch).

    Peers: torch ``CyclicLR(base_lr, max_lr, step_size_up, step_size_down, mode, gamma)``
    stepped once per update; torch's momentum cycling (``cycle_momentum=True``, its
    default) is :func:`lrx.cyclical_momentum` with the same wave arguments.

    Args:
        base_lr: the bottom of each cycle; finite, >= 0.
        max_lr: the top of the first cycle; finite, >= 0.
        step_size_up: updates from bottom to top; integer >= 1.
        step_size_down: updates from top back to bottom; integer >= 1. Default None
            (``= step_size_up``); stored resolved.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``. Default
            ``"triangular"``.
        gamma: the per-update amplitude factor of ``"exp_range"``, in (0, 1]. Default 1.0.

    References:
        Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017.

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


@register("cyclical_momentum")
class CyclicalMomentum(_Triangle):
    """torch ``CyclicLR``'s momentum curve: the CLR wave from ``max_momentum`` down."""

    base_momentum: Hyper
    max_momentum: Hyper
    step_size_up: int
    step_size_down: int | None = None
    mode: str = static_field(default="triangular")
    gamma: Hyper = 1.0

    def __post_init__(self) -> None:
        set_field(self, "base_momentum", _check_momentum("base_momentum", self.base_momentum))
        set_field(self, "max_momentum", _check_momentum("max_momentum", self.max_momentum))
        self._check_wave()

    def _ends(self) -> tuple[Any, Any]:
        return self.max_momentum, self.base_momentum  # the rate's wave, endpoints swapped


def _check_momentum(name: str, value: Any) -> Any:
    return check_float(name, value, lo=0.0, hi=1.0)


def cyclical_momentum(
    base_momentum: Hyper,
    max_momentum: Hyper,
    step_size_up: int,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: Hyper = 1.0,
) -> Schedule:
    """torch ``CyclicLR``'s momentum cycling (``cycle_momentum=True``, its default).

    Formula: the wave ``h(t) * f(t)`` of :func:`lrx.cyclical` (same ``step_size_up``,
    ``step_size_down``, ``mode``, ``gamma``) run the other way:
    ``m(t) = max_momentum - (max_momentum - base_momentum) * h(t) * f(t)``. The momentum
    is at ``max_momentum`` when the rate is at ``base_lr`` and at ``base_momentum`` when
    the rate peaks (Smith 2018: large rates want small momentum).

    Peers: torch ``CyclicLR(opt, base_lr, max_lr, step_size_up, step_size_down, mode,
    gamma, cycle_momentum=True, base_momentum, max_momentum)`` sets the optimizer's
    ``momentum`` (SGD) or ``betas[0]`` (Adam) to ``m(k)`` after ``k`` calls of ``step()``;
    pair it with ``cyclical(base_lr, max_lr, ...)`` for the rate.

    Args:
        base_momentum: the momentum at the rate's peak; in [0, 1]. torch's default 0.8.
        max_momentum: the momentum at the bottom of the rate; in [0, 1]. torch's default 0.9.
        step_size_up: updates from the rate's bottom to its top; integer >= 1.
        step_size_down: updates back; integer >= 1. Default None (``= step_size_up``).
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``. Default
            ``"triangular"``.
        gamma: the per-update amplitude factor of ``"exp_range"``, in (0, 1]. Default 1.0.

    References:
        Smith, "A disciplined approach to neural network hyper-parameters: Part 1", 2018
        (arXiv:1803.09820), §4.

    Example:
        >>> import lrx
        >>> m = lrx.cyclical_momentum(0.8, 0.9, step_size_up=2)
        >>> [round(v, 4) for v in m.values(6).tolist()]
        [0.9, 0.85, 0.8, 0.85, 0.9, 0.85]
    """
    return CyclicalMomentum(
        base_momentum=base_momentum,
        max_momentum=max_momentum,
        step_size_up=step_size_up,
        step_size_down=step_size_down,
        mode=mode,
        gamma=gamma,
    )


class _OneCycleShape(Schedule):
    """The 1cycle phases shared by the rate and the momentum curves (one implementation).

    Subclasses declare ``total_steps``, ``pct_start``, ``anneal_strategy`` and
    ``three_phase`` and give the three levels the phases join (``_levels``).
    """

    if TYPE_CHECKING:
        total_steps: Any
        pct_start: Any
        anneal_strategy: str
        three_phase: bool

    def _levels(self) -> tuple[Any, Any, Any]:  # pragma: no cover - abstract
        """``(initial, peak, final)`` as float32 values (Python floats when concrete)."""
        raise NotImplementedError

    def _check_phases(self) -> None:
        set_field(self, "total_steps", check_int("total_steps", self.total_steps, lo=2))
        set_field(
            self,
            "pct_start",
            check_float("pct_start", self.pct_start, lo=0.0, hi=1.0, lo_open=True, hi_open=True),
        )
        set_field(
            self, "anneal_strategy", check_choice("anneal_strategy", self.anneal_strategy, _ANNEAL)
        )
        set_field(self, "three_phase", check_bool("three_phase", self.three_phase))
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

    def phases(self) -> list[tuple[Any, Any, Any, Any]]:
        """``(start_step, end_step, start_value, end_value)`` per phase, torch's arithmetic.

        Python floats for a concrete schedule; float32 arrays where a field is traced.
        """
        initial, peak, final = self._levels()
        pct, total = as_f32(self.pct_start), as_f32(self.total_steps)
        warm_end = pct * total - 1.0
        last = total - 1.0
        if self.three_phase:
            down_end = 2.0 * pct * total - 2.0
            return [
                (0.0, warm_end, initial, peak),
                (warm_end, down_end, peak, initial),
                (down_end, last, initial, final),
            ]
        return [(0.0, warm_end, initial, peak), (warm_end, last, peak, final)]

    def _anneal(self, t: jax.Array, phase: tuple[Any, Any, Any, Any]) -> jax.Array:
        start, end, v0, v1 = phase
        length = end - start
        remaining = end - jnp.clip(t, start, end)  # (1 - pct) * length
        if self.anneal_strategy == "cos":
            return jnp.asarray(v1 + (v0 - v1) * cos_frac(remaining, length))
        done = length - remaining
        return jnp.asarray(v0 * (remaining / length) + v1 * (done / length))

    def _value(self, t: jax.Array) -> jax.Array:
        phases = self.phases()
        value = self._anneal(t, phases[-1])
        for phase in reversed(phases[:-1]):
            value = jnp.where(t <= phase[1], self._anneal(t, phase), value)
        return value


@register("one_cycle")
class OneCycle(_OneCycleShape):
    """The 1cycle policy (torch ``OneCycleLR``), held at its final value after the cycle."""

    max_lr: Hyper
    total_steps: int
    pct_start: Hyper = 0.3
    anneal_strategy: str = static_field(default="cos")
    div_factor: Hyper = 25.0
    final_div_factor: Hyper = 1e4
    three_phase: bool = static_field(default=False)

    def __post_init__(self) -> None:
        set_field(self, "max_lr", check_float("max_lr", self.max_lr, lo=0.0))
        set_field(self, "div_factor", check_divisor("div_factor", self.div_factor))
        set_field(
            self, "final_div_factor", check_divisor("final_div_factor", self.final_div_factor)
        )
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
        self._check_phases()

    def _max_value(self) -> float | None:
        max_lr = static_value(self.max_lr)
        div, final_div = static_value(self.div_factor), static_value(self.final_div_factor)
        if max_lr is None or div is None or final_div is None:
            return None
        return float(max(max_lr, max_lr / div, max_lr / div / final_div))

    def _levels(self) -> tuple[Any, Any, Any]:
        max_lr = as_f32(self.max_lr)
        initial = max_lr / as_f32(self.div_factor)
        return initial, max_lr, initial / as_f32(self.final_div_factor)


def one_cycle(
    max_lr: Hyper,
    total_steps: int,
    *,
    pct_start: Hyper = 0.3,
    anneal_strategy: str = "cos",
    div_factor: Hyper = 25.0,
    final_div_factor: Hyper = 1e4,
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
    div_factor, final_div_factor, three_phase)`` for ``t <= total_steps - 1`` (the same
    phase end steps); torch's momentum cycling (``cycle_momentum=True``) is
    :func:`lrx.one_cycle_momentum`. torch raises past
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

    References:
        Smith & Topin, "Super-Convergence: Very Fast Training of Neural Networks Using Large
            Learning Rates", 2019.
        Smith, "A disciplined approach to neural network hyper-parameters: Part 1", arXiv:1803.09820
            (2018).

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


@register("one_cycle_momentum")
class OneCycleMomentum(_OneCycleShape):
    """torch ``OneCycleLR``'s momentum curve: the 1cycle phases from ``max_momentum`` down."""

    total_steps: int
    base_momentum: Hyper = 0.85
    max_momentum: Hyper = 0.95
    pct_start: Hyper = 0.3
    anneal_strategy: str = static_field(default="cos")
    three_phase: bool = static_field(default=False)

    def __post_init__(self) -> None:
        set_field(self, "base_momentum", _check_momentum("base_momentum", self.base_momentum))
        set_field(self, "max_momentum", _check_momentum("max_momentum", self.max_momentum))
        self._check_phases()

    def _max_value(self) -> float | None:
        return bound(self.base_momentum, self.max_momentum)

    def _levels(self) -> tuple[Any, Any, Any]:
        # the rate's (initial, peak, final) with the momentum's ends swapped in
        top, low = as_f32(self.max_momentum), as_f32(self.base_momentum)
        return top, low, top


def one_cycle_momentum(
    total_steps: int,
    base_momentum: Hyper = 0.85,
    max_momentum: Hyper = 0.95,
    *,
    pct_start: Hyper = 0.3,
    anneal_strategy: str = "cos",
    three_phase: bool = False,
) -> Schedule:
    """torch ``OneCycleLR``'s momentum cycling (``cycle_momentum=True``, its default).

    Formula: the phases of :func:`lrx.one_cycle` (same ``total_steps``, ``pct_start``,
    ``anneal_strategy``, ``three_phase``) with the momentum in place of the rate: from
    ``max_momentum`` down to ``base_momentum`` while the rate warms up, back to
    ``max_momentum`` while it anneals (with ``three_phase``: down, back up, then held at
    ``max_momentum`` during the final annealing). Held at ``max_momentum`` after the
    cycle.

    Peers: torch ``OneCycleLR(opt, max_lr, total_steps, pct_start, anneal_strategy,
    three_phase=..., base_momentum, max_momentum)`` sets the optimizer's ``momentum``
    (SGD) or ``betas[0]`` (Adam) to this value after ``k`` calls of ``step()``; pair it
    with ``one_cycle(max_lr, total_steps, ...)`` for the rate.

    Args:
        total_steps: length of the cycle in updates; integer >= 2.
        base_momentum: the momentum at the rate's peak; in [0, 1]. Default 0.85.
        max_momentum: the momentum at the start and the end; in [0, 1]. Default 0.95.
        pct_start: fraction of the cycle spent warming up the rate, in (0, 1), with
            ``pct_start * total_steps > 1``. Default 0.3.
        anneal_strategy: ``"cos"`` or ``"linear"``. Default ``"cos"``.
        three_phase: fastai's three phases (see :func:`lrx.one_cycle`). Default False.

    References:
        Smith & Topin, "Super-Convergence: Very Fast Training of Neural Networks Using
        Large Learning Rates", 2018 (arXiv:1708.07120); Smith, "A disciplined approach to
        neural network hyper-parameters: Part 1", 2018 (arXiv:1803.09820), §4.

    Example:
        >>> import lrx
        >>> m = lrx.one_cycle_momentum(10, pct_start=0.3, anneal_strategy="linear")
        >>> [round(v, 4) for v in m.values(10).tolist()]
        [0.95, 0.9, 0.85, 0.8643, 0.8786, 0.8929, 0.9071, 0.9214, 0.9357, 0.95]
    """
    return OneCycleMomentum(
        total_steps=total_steps,
        base_momentum=base_momentum,
        max_momentum=max_momentum,
        pct_start=pct_start,
        anneal_strategy=anneal_strategy,
        three_phase=three_phase,
    )
