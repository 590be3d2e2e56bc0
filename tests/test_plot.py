"""Tests for lrx.plot: figures, lines, labels, axes scales (range_test: tests/test_finder.py)."""

import jax.numpy as jnp
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import lrx

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_schedules_mapping_labels_and_values():
    s1 = lrx.step_decay(0.1, step_size=3, gamma=0.5)
    s2 = lrx.exponential_decay(0.1, 1, 0.9)
    fig = lrx.plot.schedules({"step": s1, "exp": s2}, num_steps=10)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["step", "exp"]
    np.testing.assert_allclose(lines[0].get_ydata(), s1.values(10))
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(10))
    np.testing.assert_allclose(lines[1].get_ydata(), s2.values(10))
    assert ax.get_yscale() == "linear"
    plt.close(fig)


def test_schedules_single_sequence_callable_and_log():
    s = lrx.step_decay(0.1, step_size=3)
    fig = lrx.plot.schedules(s, 5, log_scale=True)
    (ax,) = fig.axes
    assert [ln.get_label() for ln in ax.get_lines()] == [repr(s)]
    assert ax.get_yscale() == "log"

    def halving(count):
        return 0.1 * 0.5 ** count.astype(jnp.float32)

    fig2 = lrx.plot.schedules([s, halving], 4)
    lines = fig2.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == [repr(s), "halving"]
    np.testing.assert_allclose(lines[1].get_ydata(), 0.1 * 0.5 ** np.arange(4), rtol=1e-6)


def test_schedules_on_given_axes_and_validation():
    fig, ax = plt.subplots()
    out = lrx.plot.schedules([lrx.step_decay(0.1, step_size=3)], 5, ax=ax)
    assert out is fig
    assert len(ax.get_lines()) == 1
    with pytest.raises(ValueError, match="num_steps"):
        lrx.plot.schedules(lrx.step_decay(0.1, step_size=3), 0)
    with pytest.raises(ValueError, match="schedules must not be empty"):
        lrx.plot.schedules({}, 5)
    with pytest.raises(ValueError, match="Schedule objects or callables"):
        lrx.plot.schedules([1.0], 5)


def _quadratic(th):
    return (th[0] - 1.0) ** 2 + 10.0 * th[1] ** 2


def test_trajectory_contours_paths_and_colorbar():
    p1 = np.array([[-1.0, 1.0], [0.0, 0.5], [1.0, 0.0]])
    p2 = np.array([[1.5, -1.0], [1.2, -0.2]])
    fig = lrx.plot.trajectory(
        _quadratic, {"sgd": p1, "adam": p2}, (-2, 2), (-1.5, 1.5), resolution=20
    )
    assert isinstance(fig, Figure)
    ax, cax = fig.axes
    assert cax.get_ylabel() == "Loss"
    # One path line + start marker + end marker per path.
    lines = ax.get_lines()
    assert len(lines) == 6
    np.testing.assert_array_equal(lines[0].get_xdata(), p1[:, 0])
    np.testing.assert_array_equal(lines[0].get_ydata(), p1[:, 1])
    assert lines[0].get_marker() == "o"
    assert lines[1].get_marker() == "s" and lines[2].get_marker() == "*"
    np.testing.assert_array_equal(lines[2].get_xdata(), [p1[-1, 0]])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sgd", "adam"]
    # The filled contours span the loss range on the grid: min 0 (at (1, 0)) is inside.
    (cs,) = [c for c in ax.collections if hasattr(c, "levels")]
    assert cs.levels[0] <= 0.05 and cs.levels[-1] >= _quadratic(np.array([-2.0, 1.5]))
    assert len(cs.levels) > 20  # ~50 levels as the article
    assert ax.get_xlim() == (-2.0, 2.0)


def test_trajectory_numpy_loss_and_log_levels():
    calls = []

    def np_loss(th):
        calls.append(1)
        th = np.asarray(th)  # not traceable: forces the point-by-point fallback
        return float((th[0] - 1.0) ** 2 + th[1] ** 2 + 0.1)

    fig = lrx.plot.trajectory(
        np_loss, np.array([[0.0, 0.0], [1.0, 0.0]]), (-1, 2), (-1, 1), resolution=5, log_levels=True
    )
    assert len(calls) >= 25
    ax = fig.axes[0]
    (cs,) = [c for c in ax.collections if hasattr(c, "levels")]
    ratios = cs.levels[1:] / cs.levels[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-6)  # geometric levels
    assert ax.get_legend().get_texts()[0].get_text() == "path"


def test_trajectory_validation():
    with pytest.raises(ValueError, match="xlim"):
        lrx.plot.trajectory(_quadratic, {}, (1, 1), (0, 1))
    with pytest.raises(ValueError, match=r"paths\['a'\] must have shape \(N, 2\)"):
        lrx.plot.trajectory(_quadratic, {"a": np.zeros((3, 3))}, (0, 1), (0, 1))
    with pytest.raises(ValueError, match="resolution"):
        lrx.plot.trajectory(_quadratic, {}, (0, 1), (0, 1), resolution=1)


def test_curves_flat_histories():
    fig = lrx.plot.curves({"a": [3.0, 2.0, 1.0], "b": np.array([2.0, 1.5])}, log_scale=True)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["a", "b"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[1].get_ydata(), [2.0, 1.5])
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epoch"


def test_curves_one_axes_per_metric():
    hist = {
        "sgd": {"loss": [1.0, 0.5], "acc": [0.5, 0.7]},
        "adam": {"loss": [0.8, 0.3]},
    }
    fig = lrx.plot.curves(hist, xlabel="step")
    assert [a.get_title() for a in fig.axes] == ["loss", "acc"]
    assert [len(a.get_lines()) for a in fig.axes] == [2, 1]
    assert fig.axes[1].get_xlabel() == "step"
    # Colors identify runs across metrics.
    assert fig.axes[0].get_lines()[0].get_color() == fig.axes[1].get_lines()[0].get_color()

    f2, axs = plt.subplots(1, 2)
    assert lrx.plot.curves(hist, ax=axs) is f2
    with pytest.raises(ValueError, match="one Axes per metric"):
        lrx.plot.curves(hist, ax=axs[0])


def test_curves_validation():
    with pytest.raises(ValueError, match="non-empty mapping"):
        lrx.plot.curves({})
    with pytest.raises(ValueError, match="every label"):
        lrx.plot.curves({"a": [1.0], "b": {"loss": [1.0]}})
    with pytest.raises(ValueError, match="must be 1-D"):
        lrx.plot.curves({"a": [[1.0, 2.0]]})
