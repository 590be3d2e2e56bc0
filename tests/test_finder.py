"""Tests for lrx.find_lr, the learning-rate range test.

Reference: article 003, section 3 (the learning-rate range test): sweep the learning rate
over a range, record the loss, pick the rate from the curve.
Peer conventions (torch-lr-finder ``LRFinder.range_test``): exponential sweep
``start * (end/start) ** (t / (N-1))``, loss recorded before the update, smoothing
``s * loss + (1 - s) * previous`` with the first loss unsmoothed, stop at the first step
whose smoothed loss exceeds ``diverge_threshold * best`` (that step kept). fastai's
``valley`` for the valley suggestion.

Compilations are kept few: one loss function, one data shape, num_steps=100 everywhere
except where a test needs otherwise.
"""

import functools
import gc
import math
import weakref

import chex
import jax.numpy as jnp
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import lrx

matplotlib.use("Agg")

N = 100  # sweep length used throughout
RNG = np.random.default_rng(0)
X = (RNG.normal(size=(32, 4)) * np.array([2.0, 1.0, 0.5, 0.25])).astype(np.float32)
W_TRUE = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
Y = (X @ W_TRUE + 0.1 * RNG.normal(size=32)).astype(np.float32)
# Full-batch gradient descent: every step sees all the data.
XS = np.repeat(X[None], N, axis=0)
YS = np.repeat(Y[None], N, axis=0)
# loss(w) = mean((Xw - y)^2) has Hessian 2/n X^T X; plain SGD diverges above 2/L.
L_MAX = float(np.linalg.eigvalsh(2.0 / X.shape[0] * X.astype(np.float64).T @ X).max())
LR_CRIT = 2.0 / L_MAX


def lsq_loss(w, batch):
    x, y = batch
    return jnp.mean((x @ w - y) ** 2)


@pytest.fixture(scope="module")
def sweep():
    return lrx.find_lr(lsq_loss, np.zeros(4, np.float32), (XS, YS))


def _numpy_sweep(lrs):
    """Float64 NumPy gradient descent with the given learning rates: loss before update."""
    w = np.zeros(4)
    xd, yd = X.astype(np.float64), Y.astype(np.float64)
    out = []
    for lr in lrs:
        r = xd @ w - yd
        out.append(np.mean(r**2))
        w = w - lr * (2.0 / xd.shape[0]) * xd.T @ r
    return np.array(out)


def _ema(losses, s):
    out = [losses[0]]
    for v in losses[1:]:
        out.append(s * v + (1 - s) * out[-1])
    return np.array(out)


def test_sweep_matches_numpy_reference_and_stops_after_2_over_L(sweep):
    """Full-batch SGD diverges only once lr > 2/L; the sweep stops early there."""
    n = sweep.learning_rates.size
    assert sweep.diverged and n < N
    t = np.arange(N)
    expected_lrs = 1e-7 * (10.0 / 1e-7) ** (t / (N - 1))
    np.testing.assert_allclose(sweep.learning_rates, expected_lrs[:n], rtol=1e-6)
    # The loss can only grow after lr passes 2/L: the stop comes after it.
    assert sweep.learning_rates[-1] > LR_CRIT
    # Loss recorded at the params before each update, with the lr of that update.
    ref = _numpy_sweep(sweep.learning_rates)
    ok = sweep.learning_rates < LR_CRIT  # before the blow-up, where float32 is accurate
    np.testing.assert_allclose(sweep.losses[ok], ref[ok], rtol=2e-4)
    # torch-lr-finder smoothing and stopping rule.
    smooth = _ema(sweep.losses, 0.05)
    np.testing.assert_allclose(sweep.smoothed_losses, smooth, rtol=1e-5)
    best = np.minimum.accumulate(smooth)
    assert smooth[-1] > 5.0 * best[-1]
    assert np.all(smooth[:-1] <= 5.0 * best[:-1])


def test_suggestion_below_2_over_L_within_three_decades(sweep):
    for name, value in sweep.suggestions.items():
        assert LR_CRIT / 1000 < value < LR_CRIT, (name, value, LR_CRIT)
    assert sweep.suggestion == sweep.suggestions["steepest"]
    assert sweep.suggest == "steepest"
    assert "steepest" in sweep.message and "diverged" in sweep.message


def test_every_suggest_mode_matches_its_definition(sweep):
    """valley: fastai's longest-valley rule on the smoothed loss; steepest: the most
    negative windowed least-squares slope of the raw loss vs log lr among the points of
    that valley; min_div_10: argmin of the smoothed loss / 10. All on the points
    [skip_start, n - skip_end)."""
    lrs, raw, smooth = sweep.learning_rates, sweep.losses, sweep.smoothed_losses
    n = lrs.size
    lo, hi = 10, n - 5
    # min_div_10
    i_min = lo + int(np.argmin(smooth[lo:hi]))
    # valley, written from fastai's description (LDS over the slice).
    seg = smooth[lo:hi]
    m = seg.size
    lds = [1] * m
    max_start = max_end = 0
    for i in range(1, m):
        for j in range(i):
            if seg[i] < seg[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end, max_start = i, i - lds[i]
    max_start = max(max_start, 0)
    sections = (max_end - max_start) / 3
    i_valley = lo + max_start + int(sections) + int(sections / 2)
    # steepest sustained descent: inside the valley [max_start, max_end] of the slice
    h = max(1, round(n / 8))
    x = np.log(lrs)
    slopes = []
    for i in range(lo + max_start, lo + max_end + 1):
        a, b = max(0, i - h), min(n, i + h + 1)
        slopes.append(np.polyfit(x[a:b], raw[a:b], 1)[0])
    i_steep = lo + max_start + int(np.argmin(slopes))

    expected = {"steepest": lrs[i_steep], "valley": lrs[i_valley], "min_div_10": lrs[i_min] / 10}
    for mode, value in expected.items():
        res = lrx.find_lr(lsq_loss, np.zeros(4, np.float32), (XS, YS), suggest=mode)
        assert res.suggest == mode
        np.testing.assert_allclose(res.suggestion, value, rtol=1e-12)
        assert res.suggestion_index is not None
        assert mode in res.message


def test_scan_and_iterable_paths_agree(sweep):
    """A list of per-step batches runs a Python loop of jitted steps: same numbers."""
    batches = list(zip(XS, YS, strict=True))
    res = lrx.find_lr(lsq_loss, np.zeros(4, np.float32), batches)
    chex.assert_trees_all_close(
        (res.learning_rates, res.losses, res.smoothed_losses),
        (sweep.learning_rates, sweep.losses, sweep.smoothed_losses),
        rtol=1e-5,
    )
    assert res.diverged and res.suggestion == pytest.approx(sweep.suggestion)

    # A generator is consumed only up to the divergence point.
    consumed = []

    def gen():
        for i, b in enumerate(batches):
            consumed.append(i)
            yield b

    res2 = lrx.find_lr(lsq_loss, np.zeros(4, np.float32), gen())
    assert len(consumed) == res2.learning_rates.size == sweep.learning_rates.size


def test_params_are_never_mutated_nor_donated():
    p_np = np.array([0.5, -0.5, 0.25, 1.0], np.float32)
    before = p_np.copy()
    p_jax = {"w": jnp.asarray(before)}
    res = lrx.find_lr(lsq_loss, p_np, (XS, YS))
    assert res.diverged  # the sweep blew the params up internally
    np.testing.assert_array_equal(p_np, before)
    res = lrx.find_lr(lambda p, b: lsq_loss(p["w"], b), p_jax, list(zip(XS, YS, strict=True)))
    assert res.diverged
    np.testing.assert_array_equal(np.asarray(p_jax["w"]), before)  # still alive, unchanged
    assert not p_jax["w"].is_deleted()


def test_too_short_sweep_says_so():
    # Starting far above 2/L the loss explodes at once: nothing left after skip_start.
    res = lrx.find_lr(
        lsq_loss, np.zeros(4, np.float32), (XS, YS), start_lr=5.0 * LR_CRIT, end_lr=100.0 * LR_CRIT
    )
    assert res.diverged and res.learning_rates.size < 10
    assert math.isnan(res.suggestion) and res.suggestion_index is None
    assert all(math.isnan(v) for v in res.suggestions.values())
    assert "no suggestion" in res.message and "skip_start=10" in res.message
    assert "nan" in repr(res)
    res.plot()  # plots without a suggestion marker
    plt.close("all")


@pytest.mark.parametrize("stacked", [True, False], ids=["scan", "loop"])
def test_one_compilation_per_call_whatever_the_sweep_hyperparameters(stacked):
    """The sweep compiles once per call and never retraces while it runs (the learning
    rates, smoothing and threshold are traced inputs). Each call compiles anew: the
    compiled program belongs to the call (see the gc test below), by design since 0.2.0."""
    traces = []

    def counted(w, batch):
        traces.append(1)
        return lsq_loss(w, batch)

    kw = dict(num_steps=30, skip_start=2, skip_end=2)
    b = (XS[:30], YS[:30]) if stacked else list(zip(XS[:30], YS[:30], strict=True))
    lrx.find_lr(counted, np.zeros(4, np.float32), b, **kw)
    assert len(traces) == 1
    r = lrx.find_lr(
        counted,
        np.zeros(4, np.float32),
        b,
        start_lr=1e-5,
        end_lr=1.0,
        smoothing=0.2,
        diverge_threshold=3.0,
        **kw,
    )
    assert len(traces) == 2
    np.testing.assert_allclose(r.learning_rates[0], 1e-5, rtol=1e-6)


class _Data:  # a weak-referenceable holder of the data a loss closes over
    def __init__(self):
        self.x, self.y = X.copy(), Y.copy()


def _closure_over_data():
    """A loss function capturing data (and a NumPy array, a jit constant)."""
    data = _Data()
    scale = np.ones(4, np.float32)

    def loss_fn(w, batch):
        del batch
        return jnp.mean((data.x @ (w * scale) - data.y) ** 2)

    return loss_fn, weakref.ref(data)


@pytest.mark.parametrize("stacked", [True, False], ids=["scan", "loop"])
def test_find_lr_keeps_no_reference_to_loss_fn_or_its_data(stacked):
    """gc proof: once find_lr returns, the loss function and the data it captures are
    freed (no module-level jit cache holds the user's closure)."""

    loss_fn, data_ref = _closure_over_data()
    batches = (XS[:30, :1], YS[:30, :1]) if stacked else [(X[:1], Y[:1])] * 30
    refs = [weakref.ref(loss_fn), data_ref]
    res = lrx.find_lr(loss_fn, np.zeros(4, np.float32), batches, num_steps=30, skip_start=2)
    assert res.learning_rates.size > 0
    del loss_fn, batches
    gc.collect()
    assert [r() is None for r in refs] == [True, True]


def test_noisy_losses_suggestion_is_stable_across_seeds():
    """Minibatches of 8 noisy samples: the steepest suggestion varies much less across
    seeds than the naive argmin of the raw loss's gradient, and less than
    torch-lr-finder's argmin of the gradient of the moving average."""
    scale = np.array([3.0, 1.0, 1.0, 0.5], np.float32)
    ours, naive, torch_like = [], [], []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        a = (rng.normal(size=(N, 8, 4)) * scale).astype(np.float32)
        y = (a @ W_TRUE + 0.5 * rng.normal(size=(N, 8))).astype(np.float32)
        res = lrx.find_lr(lsq_loss, np.zeros(4, np.float32), (a, y))
        n = res.learning_rates.size
        lrs = res.learning_rates[10 : n - 5]
        ours.append(res.suggestion)
        naive.append(lrs[np.argmin(np.gradient(res.losses[10 : n - 5]))])
        torch_like.append(lrs[np.argmin(np.gradient(res.smoothed_losses[10 : n - 5]))])
    spread = {
        k: float(np.std(np.log10(v)))
        for k, v in {"ours": ours, "naive": naive, "torch": torch_like}.items()
    }
    assert spread["ours"] < 0.5 * spread["naive"], spread
    assert spread["ours"] < spread["torch"], spread


def test_linear_mode_other_optimizer_and_no_divergence():
    adam = functools.partial(lrx.adam, b1=0.9)
    res = lrx.find_lr(
        lsq_loss,
        np.zeros(4, np.float32),
        (XS[:40], YS[:40]),
        optimizer=adam,
        start_lr=1e-3,
        end_lr=0.05,
        num_steps=40,
        mode="linear",
        skip_start=2,
        skip_end=2,
        suggest="min_div_10",
    )
    np.testing.assert_allclose(res.learning_rates, np.linspace(1e-3, 0.05, 40), rtol=1e-6)
    assert not res.diverged and res.learning_rates.size == 40
    assert 1e-4 <= res.suggestion <= 5e-3
    assert "40 of 40 steps" in res.message
    fig = res.plot()
    assert fig.axes[0].get_xscale() == "linear"
    plt.close(fig)


def test_plot(sweep):
    """result.plot() is lrx.plot.range_test(result): the public plot API."""
    fig = sweep.plot()
    public = lrx.plot.range_test(sweep)
    assert [ln.get_label() for ln in public.axes[0].get_lines()] == [
        ln.get_label() for ln in fig.axes[0].get_lines()
    ]
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert labels[:2] == ["loss", "smoothed loss"]
    marker = [ln for ln in ax.get_lines() if ln.get_label().startswith("steepest")]
    assert len(marker) == 1
    np.testing.assert_allclose(marker[0].get_xdata(), [sweep.suggestion])
    f2, ax2 = plt.subplots()
    assert sweep.plot(ax=ax2) is f2
    plt.close("all")


def test_result_is_frozen_and_read_only(sweep):
    with pytest.raises(AttributeError):
        sweep.suggestion = 1.0
    with pytest.raises(ValueError):
        sweep.losses[0] = 0.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(start_lr=0.0), "start_lr must be > 0"),
        (dict(start_lr=-1.0), "start_lr"),
        (dict(end_lr=1e-8), "end_lr must be > start_lr"),
        (
            dict(num_steps=1),
            "num_steps must be an integer >= 2, got 1",
        ),
        (dict(num_steps=2.5), "num_steps must be an integer"),
        (dict(num_steps=17), r"num_steps must be >= skip_start \+ skip_end \+ 3 = 18"),
        (dict(mode="cos"), "mode must be one of"),
        (dict(smoothing=0.0), "smoothing must be in"),
        (dict(smoothing=1.5), "smoothing must be in"),
        (dict(diverge_threshold=1.0), "diverge_threshold must be > 1"),
        (dict(suggest="fastest"), "suggest must be one of"),
        (dict(skip_start=-1), "skip_start must be an integer >= 0"),
        (dict(skip_end=True), "skip_end must be an integer"),
        (dict(optimizer=None), "optimizer must be a callable"),
    ],
)
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lrx.find_lr(lsq_loss, np.zeros(4, np.float32), (XS, YS), **kwargs)


def test_batches_validation():
    p = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match=r"leading axis of length >= num_steps=100.*got 50"):
        lrx.find_lr(lsq_loss, p, (XS[:50], YS[:50]))
    with pytest.raises(ValueError, match="batches holds 3 batches, fewer than num_steps=100"):
        lrx.find_lr(lsq_loss, p, [(X, Y)] * 3)
    with pytest.raises(ValueError, match="batches ran out after 20 batches"):
        lrx.find_lr(lsq_loss, p, iter([(X, Y)] * 20), start_lr=1e-7, end_lr=1e-6)
    with pytest.raises(ValueError, match="batches must be a pytree"):
        lrx.find_lr(lsq_loss, p, 3)
    with pytest.raises(ValueError, match="loss_fn must be callable"):
        lrx.find_lr(None, p, (XS, YS))


def test_stacked_batches_with_a_non_array_leaf_say_which_leaf():
    """``(X, y, 1.0)`` is a stacked pytree with a stray float, not three per-step batches."""
    p = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match=r"batches\[2\] must be an array .* got float 1.0"):
        lrx.find_lr(lsq_loss, p, (XS, YS, 1.0))
    with pytest.raises(ValueError, match=r"batches\['lr'\] must be an array .* got int 3"):
        lrx.find_lr(lambda w, b: lsq_loss(w, (b["x"], b["y"])), p, {"x": XS, "y": YS, "lr": 3})


@pytest.mark.parametrize("stacked", [True, False], ids=["scan", "loop"])
def test_complex_or_non_scalar_loss_is_a_value_error(stacked):
    p = np.zeros(4, np.float32)
    b = (XS[:30], YS[:30]) if stacked else list(zip(XS[:30], YS[:30], strict=True))
    kw = dict(num_steps=30, skip_start=2)
    with pytest.raises(ValueError, match=r"loss_fn must return a real .* complex .*complex64"):
        lrx.find_lr(lambda w, b: lsq_loss(w, b).astype(jnp.complex64), p, b, **kw)
    with pytest.raises(ValueError, match=r"loss_fn must return a real .* shape \(32,\)"):
        lrx.find_lr(lambda w, b: (b[0] @ w - b[1]) ** 2, p, b, **kw)
