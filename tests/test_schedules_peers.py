"""The executable name table, and the schedule families that make every peer one lrx call.

References:
- tests/reference/gen_peers.py: the name table (``ROWS``) and the NumPy transcriptions of
  Keras (keras/src/optimizers/schedules/learning_rate_schedule.py, ``__call__`` of each
  class), Hugging Face transformers (src/transformers/optimization.py, the ``lr_lambda`` of
  each ``get_*``) and timm (timm/scheduler/{cosine,tanh,poly,step,multistep}_lr.py,
  ``_get_lr``); torch and optax rows are evaluated by the installed libraries.
- Golden values: tests/reference/peers.json (``python tests/reference/generate.py peers``).
- Exact Python (integer / float64) arithmetic for the cycle positions at large counts.
"""

from __future__ import annotations

import json
import math
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrx
from lrx.schedules.warmup import WARMUP_SHAPES
from tests._schedule_paths import sgdr_cycle
from tests.grads import JIT, maybe_jit
from tests.reference import gen_peers, golden

RTOL, ATOL = 2e-5, 1e-8  # atol: 1e-7 of the optimizer's lr 0.1 (values that cross zero)
GOLDEN = golden.load("peers")["rows"]
DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "schedules.md"


# -- the name table ---------------------------------------------------------------------
def test_golden_file_is_the_table():
    assert [r["id"] for r in GOLDEN] == [gen_peers.row_id(r) for r in gen_peers.ROWS]
    for r, row in zip(GOLDEN, gen_peers.ROWS, strict=True):
        assert (r["peer"], r["peer_expr"], r["lrx_expr"], r["steps"]) == row


def test_docs_show_the_table():
    """docs/schedules.md holds the table of ``gen_peers.markdown()`` verbatim."""
    assert gen_peers.markdown() in DOCS.read_text(encoding="utf-8")


@pytest.mark.parametrize("row", GOLDEN, ids=lambda r: r["id"])
def test_row_matches_peer(row):
    schedule = gen_peers.build_lrx(row["lrx_expr"])
    got = schedule.values(row["steps"])
    np.testing.assert_allclose(got, row["values"], rtol=RTOL, atol=ATOL, err_msg=row["id"])


@pytest.mark.parametrize(
    "row", [r for r in gen_peers.ROWS if r[0] not in gen_peers.LIVE], ids=gen_peers.row_id
)
def test_transcriptions_give_the_golden_values(row):
    """The committed transcription still produces the committed numbers."""
    want = next(r["values"] for r in GOLDEN if r["id"] == gen_peers.row_id(row))
    np.testing.assert_allclose(gen_peers.peer_values(row), want, rtol=1e-12, atol=0)


@pytest.mark.parity
@pytest.mark.parametrize(
    "row", [r for r in gen_peers.ROWS if r[0] in gen_peers.LIVE], ids=gen_peers.row_id
)
def test_row_matches_live_peer(row):
    pytest.importorskip(row[0])
    values = gen_peers.peer_values(row)
    got = gen_peers.build_lrx(row[2]).values(row[3])
    np.testing.assert_allclose(got, values, rtol=RTOL, atol=ATOL)


def test_every_peer_schedule_has_a_row():
    names = {(r[0], r[1].split("(")[0]) for r in gen_peers.ROWS}
    want = {
        ("torch", n)
        for n in [
            "ConstantLR",
            "StepLR",
            "MultiStepLR",
            "ExponentialLR",
            "CosineAnnealingLR",
            "CosineAnnealingWarmRestarts",
            "PolynomialLR",
            "LinearLR",
            "CyclicLR",
            "OneCycleLR",
            "SequentialLR",
            "LambdaLR",
        ]
    }
    want |= {("keras", n) for n in gen_peers.TRANSCRIBED["keras"]}
    want |= {("hf", n) for n in gen_peers.TRANSCRIBED["hf"]}
    want |= {("timm", n) for n in gen_peers.TRANSCRIBED["timm"]}
    assert want <= names, want - names


# -- the three corrected mappings --------------------------------------------------------
def test_keras_piecewise_constant_is_milestones_plus_one():
    """Keras keeps ``values[i]`` while ``step <= boundary``: milestones = boundaries + 1."""
    keras = gen_peers.PiecewiseConstantDecay([3, 6], [1.0, 0.5, 0.25])
    want = [keras(k) for k in range(9)]
    assert want == [1.0] * 4 + [0.5] * 3 + [0.25] * 2
    assert lrx.multistep_decay(1.0, [4, 7], 0.5).values(9).tolist() == want
    assert lrx.multistep_decay(1.0, [3, 6], 0.5).values(9).tolist() != want  # the old claim


def test_keras_m_mul_decays_the_height_above_the_floor():
    """m_mul = 0.5, alpha = 0.2: Keras peaks 1.0 / 0.6 / 0.4; ``peak_decay`` alone 1/0.5/0.25."""
    keras = gen_peers.CosineDecayRestarts(1.0, 4, t_mul=1.0, m_mul=0.5, alpha=0.2)
    peaks = [keras(k) for k in (0, 4, 8)]
    np.testing.assert_allclose(peaks, [1.0, 0.6, 0.4], rtol=1e-12)
    exact = lrx.cosine_warm_restarts(1.0, 4, 1, 0.2, 0.5, floor_relative=True)
    np.testing.assert_allclose(exact.values(12), [keras(k) for k in range(12)], rtol=1e-6)
    peak_only = lrx.cosine_warm_restarts(1.0, 4, 1, 0.2, 0.5)
    np.testing.assert_allclose(peak_only.values(12)[[0, 4, 8]], [1.0, 0.5, 0.25], rtol=1e-6)


def test_hf_wsd_warmup_starts_at_min_lr_ratio():
    """``get_wsd_schedule(min_lr_ratio=r)`` warms up from ``r * lr``: init_value = end_value."""
    hf = gen_peers.get_wsd_schedule(
        gen_peers._Optimizer(1.0), 4, 4, num_stable_steps=2, min_lr_ratio=0.2
    )
    want = [hf(k) for k in range(12)]
    assert want[0] == pytest.approx(0.2)
    mine = lrx.warmup_stable_decay(1.0, 4, 2, 4, init_value=0.2, end_value=0.2)
    np.testing.assert_allclose(mine.values(12), want, rtol=1e-6)
    old = lrx.warmup_stable_decay(1.0, 4, 2, 4, end_value=0.2)  # the old claim: starts at 0
    assert old(0) == 0.0


# -- the new families: NumPy references ---------------------------------------------------
def ref_restarts(init, T_0, T_mult, eta_min, d, n, *, floor_relative, cycle_limit, k):
    """Exact cycle arithmetic (Python ints / float64), then the SGDR formula."""
    cyc, pos, length = sgdr_cycle(np.arange(n), T_0, T_mult)
    if floor_relative:
        peak = eta_min + (init - eta_min) * d ** cyc.astype(np.float64)
    else:
        peak = np.maximum(init * d ** cyc.astype(np.float64), eta_min)
    out = eta_min + (peak - eta_min) * 0.5 * (1 + np.cos(np.pi * (pos / length) ** k))
    if cycle_limit is not None:
        out = np.where(cyc < cycle_limit, out, eta_min)
    return out


@pytest.mark.parametrize(
    ("T_0", "T_mult", "eta_min", "d", "floor_relative", "cycle_limit", "k"),
    [
        (7, 1.5, 0.01, 0.7, True, None, 1.0),
        (5, 2.5, 0.0, 1.3, True, 4, 1.0),
        (6, 1, 0.02, 0.5, False, 3, 2.0),
        (3, 1.25, 0.0, 0.9, False, None, 0.5),
        (10, 3, 0.01, 1.0, False, 2, 1.0),
    ],
)
def test_restarts_reference(T_0, T_mult, eta_min, d, floor_relative, cycle_limit, k):
    kw = dict(floor_relative=floor_relative, cycle_limit=cycle_limit, k_decay=k)
    s = lrx.cosine_warm_restarts(0.1, T_0, T_mult, eta_min, d, **kw)
    ref = ref_restarts(
        0.1,
        T_0,
        T_mult,
        eta_min,
        d,
        200,
        floor_relative=floor_relative,
        cycle_limit=cycle_limit,
        k=k,
    )
    np.testing.assert_allclose(s.values(200), ref, rtol=RTOL, atol=ATOL)


def ref_ramp(t, w, start, end, shape):
    p = t / w
    if shape == "exponential":
        return start * (end / start) ** p
    f = {"linear": p, "cosine": (1 - np.cos(np.pi * p)) / 2, "sqrt": 1 - np.sqrt(1 - p)}[shape]
    return start + (end - start) * f


@pytest.mark.parametrize("shape", WARMUP_SHAPES)
@pytest.mark.parametrize("prefix", [True, False])
def test_warmup_shapes_and_prefix(shape, prefix):
    inner = lrx.cosine_annealing(0.1, 40, 0.001)
    s = lrx.warmup(inner, 10, init_value=0.002, shape=shape, prefix=prefix)
    t = np.arange(60)
    ramp = ref_ramp(t[:10], 10, 0.002, 0.1, shape)
    after = inner.values(60)[t[10:] - 10 if prefix else t[10:]]
    np.testing.assert_allclose(s.values(60), np.concatenate([ramp, after]), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("shape", WARMUP_SHAPES)
def test_warmup_shape_in_warmup_cosine_and_wsd(shape):
    wc = lrx.warmup_cosine(0.1, 8, 40, init_value=0.01, warmup_shape=shape)
    wsd = lrx.warmup_stable_decay(0.1, 8, 4, 20, init_value=0.01, warmup_shape=shape)
    ramp = ref_ramp(np.arange(8), 8, 0.01, 0.1, shape)
    np.testing.assert_allclose(wc.values(8), ramp, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(wsd.values(8), ramp, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(wc.values(9)[8], 0.1, rtol=1e-6)


@pytest.mark.parametrize("c", [0.25, 0.5, 1.0, 1.5, 2.0])
def test_cosine_num_cycles(c):
    s = lrx.warmup_cosine(0.1, 0, 50, end_value=0.01, num_cycles=c)
    p = np.arange(50) / 50
    ref = 0.01 + 0.09 * (1 + np.cos(2 * np.pi * c * p)) / 2
    v = s.values(60)
    np.testing.assert_allclose(v[:50], ref, rtol=RTOL, atol=ATOL)
    assert np.all(v[50:] == np.float32(0.01))  # end_value from T on


@pytest.mark.parametrize("c", [1, 2.5, 3])
def test_hard_restarts(c):
    s = lrx.warmup_cosine(0.1, 0, 60, num_cycles=c, restarts=True)
    p = np.arange(60) / 60
    ref = 0.1 * (1 + np.cos(np.pi * ((c * p) % 1.0))) / 2
    np.testing.assert_allclose(s.values(70)[:60], ref, rtol=RTOL, atol=ATOL)


def test_tanh_reference():
    s = lrx.tanh_decay(0.1, 12, -5.0, 2.0, 0.001, T_mult=2, peak_decay=0.5, cycle_limit=3)
    cyc, pos, length = sgdr_cycle(np.arange(120), 12, 2)
    peak = np.maximum(0.1 * 0.5 ** cyc.astype(np.float64), 0.001)
    r = pos / length
    ref = 0.001 + (peak - 0.001) * 0.5 * (1 - np.tanh(-5.0 * (1 - r) + 2.0 * r))
    ref = np.where(cyc < 3, ref, 0.001)
    np.testing.assert_allclose(s.values(120), ref, rtol=RTOL, atol=ATOL)


@JIT
def test_lr_noise_deterministic_in_seed_and_count(jit):
    s = lrx.lr_noise(lrx.constant(1.0), pct=0.5, start=3, end=500, seed=7)
    counts = jnp.arange(600, dtype=jnp.int32)
    a = np.asarray(maybe_jit(jit, s)(counts))
    np.testing.assert_array_equal(a, s.values(600))
    for k in (0, 3, 77, 499, 500):
        assert float(maybe_jit(jit, s)(jnp.int32(k))) == a[k]
    assert np.all(a[:3] == 1.0) and np.all(a[500:] == 1.0)
    noisy = a[3:500] - 1.0
    assert np.all(np.abs(noisy) < 0.5) and len(np.unique(noisy)) == len(noisy)
    other = lrx.lr_noise(lrx.constant(1.0), pct=0.5, start=3, end=500, seed=8)
    assert not np.array_equal(other.values(600), a)


def test_lr_noise_distribution():
    n = lrx.lr_noise(lrx.constant(1.0), pct=0.67).values(20_000) - 1.0
    assert np.all(np.abs(n) < 0.67)
    # N(0, 1) truncated to (-0.67, 0.67): mean 0, std 0.3739
    assert abs(n.mean()) < 0.01 and abs(n.std() - 0.3739) < 0.01
    u = lrx.lr_noise(lrx.constant(1.0), pct=0.3, kind="uniform").values(20_000) - 1.0
    assert np.all(np.abs(u) <= 0.3) and abs(u.std() - 0.3 / math.sqrt(3)) < 0.005


# -- integer-exact closed forms at large counts ------------------------------------------
BIG = st.integers(min_value=0, max_value=2**31 - 1)


@settings(max_examples=60, deadline=None)
@given(
    count=BIG,
    T_0=st.integers(1, 5000),
    T_mult=st.sampled_from([1, 2, 3, 1.5, 2.5, 1.1]),
)
def test_restart_cycle_exact_at_any_int32_count(count, T_0, T_mult):
    """Cycle index and position from exact Python arithmetic, every count up to 2**31 - 1."""
    s = lrx.cosine_warm_restarts(1.0, T_0, T_mult, cycle_limit=None)
    n, start, length = 0, 0.0, float(T_0)  # exact sums in float64 / ints
    while start + length <= count:
        start, length, n = start + length, length * T_mult, n + 1
    pos = count - start
    want = 0.5 * (1 + math.cos(math.pi * pos / length))
    got = float(s(jnp.int32(count)))
    # the position is exact; the float32 phase pos/length keeps ~1e-7 relative precision
    assert abs(got - want) <= 1e-5, (count, got, want)


@settings(max_examples=60, deadline=None)
@given(w=st.integers(1, 2**30), s_=st.integers(0, 2**29), d=st.integers(1, 1000))
def test_phase_boundaries_exact_at_any_int32_count(w, s_, d):
    """Warm-up, stable and decay switch at exactly W, W + S, W + S + D (integer counts)."""
    i32 = jnp.int32
    wsd = lrx.warmup_stable_decay(1.0, w, s_, d, init_value=0.5, end_value=0.25)
    assert float(wsd(i32(w))) == 1.0 and float(wsd(i32(w + s_))) == 1.0
    if s_ > 0:
        assert float(wsd(i32(w + s_ - 1))) == 1.0
    assert float(wsd(i32(w + s_ + d))) == np.float32(0.25)
    assert float(wsd(i32(w + s_ + d - 1))) > np.float32(0.25)
    wc = lrx.warmup_cosine(1.0, w, w + d, init_value=0.5, end_value=0.25)
    assert float(wc(i32(w))) == 1.0
    assert float(wc(i32(w + d))) == np.float32(0.25)
    assert float(wc(i32(w + d - 1))) > np.float32(0.25)
    wu = lrx.warmup(lrx.step_decay(1.0, 1, 0.5), w, init_value=0.25)
    assert float(wu(i32(w))) == 1.0 and float(wu(i32(w + 1))) == 0.5
    assert float(wu(i32(w - 1))) <= 1.0


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint16, np.uint32, np.int32])
def test_narrow_count_dtypes(dtype):
    s = lrx.cosine_warm_restarts(1.0, 3, T_mult=2)
    k = np.arange(0, 120, 7).astype(dtype)
    np.testing.assert_allclose(s(k), s(k.astype(np.int32)), rtol=0)
    assert float(s(dtype(100))) == float(s(100))


# -- hypothesis: bounds and finiteness of the new families ---------------------------------
unit = st.floats(0.0, 1.0)


@st.composite
def new_families(draw):
    init = draw(st.floats(1e-4, 1.0))
    low = init * draw(unit)
    kind = draw(st.sampled_from(["restarts", "tanh", "noise", "warmup"]))
    T_0 = draw(st.integers(1, 30))
    T_mult = draw(st.sampled_from([1, 1.5, 2, 3]))
    limit = draw(st.sampled_from([None, 1, 2, 5]))
    if kind == "restarts":
        d = draw(st.floats(0.05, 1.2))
        s = lrx.cosine_warm_restarts(
            init,
            T_0,
            T_mult,
            low,
            d,
            floor_relative=draw(st.booleans()),
            cycle_limit=limit if d <= 1 else 5,
            k_decay=draw(st.floats(0.1, 4.0)),
        )
        hi = init * max(1.0, d) ** (4 if d > 1 else 0)
        return s, low, hi
    if kind == "tanh":
        lb = draw(st.floats(-10.0, 2.0))
        s = lrx.tanh_decay(
            init, T_0, lb, lb + draw(st.floats(0.5, 10.0)), low, T_mult=T_mult, cycle_limit=limit
        )
        return s, low, init
    if kind == "noise":
        pct = draw(st.floats(0.0, 0.99))
        inner = lrx.cosine_warm_restarts(init, T_0, T_mult, low, cycle_limit=limit)
        s = lrx.lr_noise(
            inner,
            pct=pct,
            std=draw(st.floats(0.1, 3.0)),
            kind=draw(st.sampled_from(["normal", "uniform"])),
            seed=draw(st.integers(0, 2**31 - 1)),
        )
        return s, low * (1 - pct), init * (1 + pct)
    shape = draw(st.sampled_from(WARMUP_SHAPES))
    start = init * draw(st.floats(1e-3, 1.0))
    s = lrx.warmup(
        lrx.tanh_decay(init, T_0, eta_min=low),
        draw(st.integers(0, 30)),
        init_value=start,
        shape=shape,
        prefix=draw(st.booleans()),
    )
    return s, min(low, start), init


@settings(max_examples=60, deadline=None)
@given(case=new_families())
def test_new_families_bounded_finite_and_round_trip(case):
    s, lo, hi = case
    tol = 1e-5 * hi + 1e-12
    v = np.concatenate([s.values(64), np.asarray(s(jnp.array([2**24 + 1, 2**31 - 1])))])
    assert np.all(np.isfinite(v)), s
    assert np.all(v >= lo - tol) and np.all(v <= hi + tol), (s, v.min(), v.max())
    back = lrx.schedule_from_config(json.loads(json.dumps(s.to_config())))
    assert back == s and hash(back) == hash(s) and repr(back) == repr(s)
    np.testing.assert_array_equal(back.values(64), s.values(64))


# -- pytree: jit arguments and vmapped fields ----------------------------------------------
VMAPPED = [
    (lambda x: lrx.cosine_annealing(x, 50, 0.001), [0.1, 0.2, 0.05]),
    (lambda x: lrx.cosine_annealing(0.1, x), [10, 50, 90]),
    (lambda x: lrx.cosine_warm_restarts(0.1, x), [5, 7, 20]),
    (lambda x: lrx.cosine_warm_restarts(0.1, x, 2, 0.01, 0.8), [3, 5, 9]),
    (lambda x: lrx.cosine_warm_restarts(0.1, 8, 1.5, 0.01, x, floor_relative=True), [0.5, 1.0]),
    (lambda x: lrx.cosine_warm_restarts(0.1, 8, k_decay=x, cycle_limit=3), [0.5, 1.0, 2.0]),
    (lambda x: lrx.tanh_decay(0.1, 40, lb=x), [-7.0, -3.0]),
    (lambda x: lrx.warmup(lrx.cosine_annealing(0.1, 50), x, shape="cosine"), [0, 5, 20]),
    (lambda x: lrx.warmup_cosine(0.1, x, 80, num_cycles=1.5), [0, 10, 30]),
    (lambda x: lrx.warmup_cosine(x, 10, 80, init_value=0.001), [0.1, 0.3]),
    (lambda x: lrx.warmup_cosine(0.1, 10, x, restarts=True, num_cycles=2), [40, 80]),
    (lambda x: lrx.warmup_stable_decay(0.1, x, 20, 30, warmup_shape="sqrt"), [0, 10, 25]),
    (lambda x: lrx.warmup_stable_decay(0.1, 10, x, 30), [0, 10, 25]),
    (lambda x: lrx.warmup_stable_decay(0.1, 10, 20, x, num_cycles=1.0), [5, 30]),
    (lambda x: lrx.lr_noise(lrx.constant(0.1), pct=x, seed=3), [0.1, 0.5]),
]


@pytest.mark.parametrize(("build", "xs"), VMAPPED)
def test_vmap_over_fields_equals_the_loop(build, xs):
    dtype = jnp.int32 if isinstance(xs[0], int) else jnp.float32
    counts = jnp.arange(120, dtype=jnp.int32)
    batched = jax.vmap(lambda x: build(x)(counts))(jnp.asarray(xs, dtype))
    loop = np.stack([build(x).values(120) for x in xs])
    np.testing.assert_allclose(batched, loop, rtol=1e-5, atol=1e-9)


def test_jit_argument_no_retrace_on_new_values():
    traces = []

    @jax.jit
    def f(s, t):
        traces.append(1)
        return s(t)

    t = jnp.arange(30, dtype=jnp.int32)
    for s in [
        lrx.cosine_warm_restarts(0.1, 5, 2, 0.01, 0.9, floor_relative=True, k_decay=1.5),
        lrx.cosine_warm_restarts(0.2, 7, 2, 0.02, 0.5, floor_relative=True, k_decay=0.5),
    ]:
        np.testing.assert_allclose(f(s, t), s.values(30), rtol=1e-6)
    assert len(traces) == 1
    traces.clear()
    for w in (3, 9):
        s = lrx.warmup_stable_decay(0.1, w, 4, 10, warmup_shape="cosine", num_cycles=0.75)
        np.testing.assert_allclose(f(s, t), s.values(30), rtol=1e-6)
    assert len(traces) == 1


# -- validation ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "arg"),
    [
        (lambda: lrx.warmup(0.1, 5, shape="quadratic"), "shape"),
        (lambda: lrx.warmup(0.1, 5, shape="exponential"), "init_value"),
        (lambda: lrx.warmup(0.1, 5, prefix="no"), "prefix"),
        (lambda: lrx.warmup_cosine(0.1, 5, 10, num_cycles=0.0), "num_cycles"),
        (lambda: lrx.warmup_cosine(0.1, 5, 10, warmup_shape="exponential"), "init_value"),
        (lambda: lrx.warmup_stable_decay(0.1, 5, 5, 5, warmup_shape="tri"), "warmup_shape"),
        (lambda: lrx.tanh_decay(0.1, 10, lb=1.0, ub=1.0), "ub"),
        (lambda: lrx.tanh_decay(0.1, 10, eta_min=0.2), "eta_min"),
        (lambda: lrx.tanh_decay(0.1, 0), "T_0"),
        (lambda: lrx.lr_noise(0.1, pct=1.0), "pct"),
        (lambda: lrx.lr_noise(0.1, std=0.0), "std"),
        (lambda: lrx.lr_noise(0.1, kind="cauchy"), "kind"),
        (lambda: lrx.lr_noise(0.1, start=5, end=5), "end"),
        (lambda: lrx.lr_noise(0.1, seed=-1), "seed"),
        (lambda: lrx.cosine_warm_restarts(0.1, 1, 2, peak_decay=20.0), "peak_decay"),
    ],
)
def test_invalid_hyperparameters(build, arg):
    with pytest.raises(ValueError, match=rf"^{arg}"):
        build()


def test_growing_peaks_need_a_bound():
    s = lrx.cosine_warm_restarts(0.1, 1, 2, peak_decay=2.0, cycle_limit=10)
    assert float(s(2**9 - 1)) == pytest.approx(0.1 * 2**9)
    assert np.isfinite(float(s(2**31 - 1)))


# -- the documented domains of the HF cosine mappings (exact at their edge) ----------------
@pytest.mark.parametrize(
    ("c", "equal_at_end"), [(0.5, True), (1.5, True), (1.0, False), (0.25, False)]
)
def test_hf_cosine_num_cycles_domain_is_t_below_T(c, equal_at_end):
    """``get_cosine_schedule_with_warmup(W, T, num_cycles=c)`` equals
    ``warmup_cosine(lr, W, T, num_cycles=c)`` for every ``t < T``; at ``t = T`` HF gives
    ``0.5 (1 + cos 2 pi c) lr`` and lrx ``end_value``: equal only for half-integer ``c``
    (docs/schedules.md states this domain)."""
    hf = gen_peers.get_cosine_schedule_with_warmup(gen_peers._Optimizer(0.1), 10, 100, c)
    s = lrx.warmup_cosine(0.1, 10, 100, num_cycles=c)
    got = s.values(101)
    want = np.array([hf(k) for k in range(101)])
    np.testing.assert_allclose(got[:100], want[:100], rtol=RTOL, atol=ATOL)
    assert (abs(got[100] - want[100]) <= ATOL) == equal_at_end


@pytest.mark.parametrize(
    ("w_steps", "total", "c", "r", "w"),
    [
        (10, 100, 0.5, 0.1, None),
        (10, 100, 1.5, 0.1, 0.05),
        (8, 60, 1.0, 0.2, None),
        (1, 20, 0.5, 0.0, None),
    ],
)
def test_hf_cosine_with_min_lr_rate_mapping(w_steps, total, c, r, w):
    """``get_cosine_with_min_lr_schedule_with_warmup_lr_rate`` (peak at ``W - 1``) is
    ``warmup_cosine(lr, W - 1, T - 1, init_value=(w or 1/W) lr, end_value=r lr,
    num_cycles=c)`` for ``t < T - 1`` (and at ``T - 1`` for half-integer ``c``)."""
    hf = gen_peers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
        gen_peers._Optimizer(0.1), w_steps, total, c, min_lr_rate=r, warmup_lr_rate=w
    )
    init = (w if w is not None else 1.0 / w_steps) * 0.1
    s = lrx.warmup_cosine(
        0.1, w_steps - 1, total - 1, init_value=init, end_value=r * 0.1, num_cycles=c
    )
    n = total if c % 1.0 == 0.5 else total - 1
    want = np.array([hf(k) for k in range(n)])
    np.testing.assert_allclose(s.values(n), want, rtol=RTOL, atol=ATOL)
