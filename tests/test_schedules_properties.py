"""Property tests (hypothesis) for every schedule with random valid hyperparameters.

For each drawn schedule: finite and within its [min, max]; non-increasing where it decays
(step, multistep, exponential, cosine_annealing, polynomial, inverse_sqrt after its
warm-up, ...), non-decreasing during warm-ups and continuous at the warm-up boundary
(the step into ``t = W`` is the ramp's slope); the JSON config round-trips to an equal
schedule with equal values; the jitted ``values(n)``, eager array evaluation and scalar
evaluation agree; the largest int32 count gives a finite in-range value.

``values(N)`` compiles once per distinct schedule, so N is small and fixed; the eager
paths reuse compiled primitives across examples.
"""

from __future__ import annotations

import dataclasses
import json

import jax.numpy as jnp
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import lrx

N = 48
RTOL = 1e-5

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
gammas = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False)
steps = st.integers(min_value=1, max_value=40)


@dataclasses.dataclass
class Case:
    schedule: lrx.Schedule
    lo: float
    hi: float
    inc_until: int = 0  # non-decreasing on [0, inc_until]
    dec_from: int | None = None  # non-increasing from here on
    warm: tuple[int, float, float] | None = None  # (W, init_value, value at W)


@st.composite
def decays(draw) -> Case:
    """Schedules that start at their max and never increase."""
    init = draw(unit)
    kind = draw(
        st.sampled_from(
            [
                "step",
                "multistep",
                "exponential",
                "cosine",
                "polynomial",
                "linear_down",
                "per_epoch",
                "inverse_time",
                "scaled",
            ]
        )
    )
    if kind == "step":
        s = lrx.step_decay(init, draw(steps), draw(gammas))
    elif kind == "multistep":
        ms = sorted(draw(st.lists(st.integers(0, 60), max_size=5)))
        s = lrx.multistep_decay(init, ms, draw(gammas))
    elif kind == "exponential":
        s = lrx.exponential_decay(init, draw(steps), draw(gammas), staircase=draw(st.booleans()))
    elif kind == "cosine":
        s = lrx.cosine_annealing(init, draw(steps), eta_min=init * draw(unit))
    elif kind == "polynomial":
        power = draw(st.floats(min_value=0.1, max_value=5.0))
        s = lrx.polynomial_decay(init, draw(steps), power=power, end_value=init * draw(unit))
    elif kind == "linear_down":
        s = lrx.linear_schedule(init, init * draw(unit), draw(steps))
    elif kind == "inverse_time":
        rate = draw(st.floats(min_value=0.0, max_value=1e3))
        s = lrx.inverse_time_decay(init, rate, draw(steps), staircase=draw(st.booleans()))
    elif kind == "scaled":  # c * s: a decay scaled by a factor in [0, 1]
        inner = lrx.step_decay(init, draw(steps), draw(gammas))
        s = draw(unit) * inner if draw(st.booleans()) else inner * draw(unit)
    else:
        inner = lrx.step_decay(init, draw(steps), draw(gammas))
        s = lrx.per_epoch(inner, draw(st.integers(1, 5)))
    return Case(s, lo=0.0, hi=init, dec_from=0)


@st.composite
def cases(draw) -> Case:
    kind = draw(
        st.sampled_from(
            [
                "decay",
                "constant",
                "linear_up",
                "warm_restarts",
                "cyclical",
                "one_cycle",
                "warmup",
                "warmup_cosine",
                "wsd",
                "inverse_sqrt",
                "sequence",
                "poly_cycle",
                "product",
            ]
        )
    )
    if kind == "decay":
        return draw(decays())
    if kind == "constant":
        v = draw(unit)
        return Case(lrx.constant(v), v, v, inc_until=N, dec_from=0)
    if kind == "linear_up":
        a, b = sorted([draw(unit), draw(unit)])
        return Case(lrx.linear_schedule(a, b, draw(steps)), a, b, inc_until=N)
    if kind == "warm_restarts":
        init = draw(unit)
        eta_min = init * draw(unit)
        s = lrx.cosine_warm_restarts(
            init,
            draw(st.integers(1, 15)),
            draw(st.integers(1, 3)),
            eta_min,
            draw(st.floats(min_value=0.05, max_value=1.0)),
        )
        # non-increasing inside the first cycle
        return Case(s, eta_min, init, dec_from=None)
    if kind == "cyclical":
        a, b = draw(unit), draw(unit)
        s = lrx.cyclical(
            a,
            b,
            draw(st.integers(1, 20)),
            draw(st.one_of(st.none(), st.integers(1, 20))),
            mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
            gamma=draw(st.floats(min_value=0.5, max_value=1.0)),
        )
        return Case(s, min(a, b), max(a, b))
    if kind == "one_cycle":
        total = draw(st.integers(4, 80))
        pct = draw(st.floats(min_value=1.5 / total, max_value=0.45))
        max_lr = draw(unit)
        div = draw(st.floats(min_value=1.0, max_value=100.0))
        final_div = draw(st.floats(min_value=1.0, max_value=1e4))
        s = lrx.one_cycle(
            max_lr,
            total,
            pct_start=pct,
            div_factor=div,
            final_div_factor=final_div,
            anneal_strategy=draw(st.sampled_from(["cos", "linear"])),
            three_phase=draw(st.booleans()),
        )
        peak_at = int(np.ceil(pct * total - 1))  # first count at or past the warm-up end
        non_dec = int(np.floor(pct * total - 1))
        return Case(
            s,
            max_lr / div / final_div,
            max_lr,
            inc_until=non_dec,
            dec_from=None if s.three_phase else peak_at,
        )
    if kind == "warmup":
        inner = draw(decays())
        w = draw(st.integers(0, 30))
        start = inner.schedule(0).item()
        init = start * draw(unit)  # ramps up to the inner schedule's first value
        s = lrx.warmup(inner.schedule, w, init_value=init)
        return Case(
            s, min(init, inner.lo), inner.hi, inc_until=w, dec_from=w, warm=(w, init, start)
        )
    if kind == "warmup_cosine":
        peak = draw(unit)
        w = draw(st.integers(0, 30))
        total = w + draw(st.integers(1, 40))
        init, end = peak * draw(unit), peak * draw(unit)
        s = lrx.warmup_cosine(peak, w, total, init_value=init, end_value=end)
        return Case(s, min(init, end), peak, inc_until=w, dec_from=w, warm=(w, init, peak))
    if kind == "wsd":
        peak = draw(unit)
        w, st_, d = draw(st.integers(0, 20)), draw(st.integers(0, 20)), draw(st.integers(1, 30))
        init, end = peak * draw(unit), peak * draw(unit)
        s = lrx.warmup_stable_decay(
            peak,
            w,
            st_,
            d,
            init_value=init,
            end_value=end,
            decay=draw(st.sampled_from(["cosine", "linear", "sqrt"])),
        )
        return Case(s, min(init, end), peak, inc_until=w, dec_from=w, warm=(w, init, peak))
    if kind == "inverse_sqrt":
        peak, w = draw(unit), draw(st.integers(1, 30))
        tau = draw(st.one_of(st.none(), st.integers(1, 10_000)))
        return Case(
            lrx.inverse_sqrt(peak, w, timescale=tau),
            0.0,
            peak,
            inc_until=w,
            dec_from=w,
            warm=(w, 0.0, peak),
        )
    if kind == "poly_cycle":  # Keras cycle=True: restarts below the previous peak
        init = draw(unit)
        end = init * draw(unit)
        s = lrx.polynomial_decay(
            init,
            draw(steps),
            power=draw(st.floats(min_value=0.1, max_value=5.0)),
            end_value=end,
            cycle=True,
        )
        return Case(s, end, init)
    if kind == "product":  # s * t of two decays with values in [0, 1]
        a, b = draw(decays()), draw(decays())
        return Case(a.schedule * b.schedule, 0.0, a.hi * b.hi, dec_from=0)
    # sequence of decays
    parts = draw(st.lists(decays(), min_size=1, max_size=3))
    bounds = sorted(
        draw(st.lists(st.integers(0, 40), min_size=len(parts) - 1, max_size=len(parts) - 1))
    )
    s = lrx.sequence([p.schedule for p in parts], bounds)
    return Case(s, min(p.lo for p in parts), max(p.hi for p in parts))


def _tol(case: Case) -> float:
    return RTOL * max(abs(case.hi), abs(case.lo)) + 1e-12


@given(case=cases())
def test_schedule_properties(case: Case):
    s, tol = case.schedule, _tol(case)
    v = s.values(N).astype(np.float64)

    # finite and within [min, max]
    assert np.all(np.isfinite(v)), s
    assert np.all(v >= case.lo - tol) and np.all(v <= case.hi + tol), (s, v.min(), v.max())

    # monotone pieces
    d = np.diff(v)
    if case.inc_until:
        assert np.all(d[: min(case.inc_until, N - 1)] >= -tol), (s, d)
    if case.dec_from is not None:
        assert np.all(d[case.dec_from :] <= tol), (s, d)

    # continuity at the warm-up boundary: the value at W is the target, reached by the ramp
    if case.warm is not None and 1 <= case.warm[0] < N:
        w, init, target = case.warm
        assert abs(v[w] - target) <= tol, (s, v[w], target)
        assert abs((v[w] - v[w - 1]) - (target - init) / w) <= 2 * tol, s

    # JSON config round trip: equal object, equal values
    config = json.loads(json.dumps(s.to_config()))
    back = lrx.schedule_from_config(config)
    assert back == s and hash(back) == hash(s)
    np.testing.assert_array_equal(back.values(N), s.values(N))

    # eager array evaluation and scalar evaluation equal the jitted path (up to a few
    # float32 ulps: XLA fuses and reassociates the jitted arithmetic)
    eager = np.asarray(s(jnp.arange(N, dtype=jnp.int32)), np.float64)
    np.testing.assert_allclose(eager, v, rtol=1e-5, atol=1e-12)
    for k in (0, 1, N // 2, N - 1):
        np.testing.assert_allclose(float(s(k)), v[k], rtol=1e-5, atol=1e-12)

    # the largest int32 count
    big = float(s(jnp.int32(2**31 - 1)))
    assert np.isfinite(big) and case.lo - tol <= big <= case.hi + tol, (s, big)
