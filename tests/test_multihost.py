"""Many processes: a real ``jax.distributed`` run, multi-process orbax resume, sharded sweep.

``examples/multihost_training.py`` is run as a user runs it (its launcher spawns worker
processes on localhost: coordinator on ``127.0.0.1``, gloo CPU collectives, 2 CPU devices
per process through ``XLA_FLAGS`` in the workers' environment only), on a tiny MLP
(32-16-4, synthetic data) for a few steps:

1. 2 processes x 2 devices, uninterrupted, then a vmapped learning-rate sweep whose sweep
   axis is sharded over all 4 devices of both processes;
2. 2 processes stopped after ``STOP`` steps, orbax checkpoint written by both processes;
3. 2 fresh processes restoring that checkpoint and finishing the run;
4. 1 process x 4 devices, uninterrupted, same sweep.

The resumed run's final parameters must be bit-identical to run 1's; run 1 must equal run 4
to float32 rounding (the gradient all-reduce and the global norm sum over devices through
gloo across processes, in-process otherwise: a different summation order); the sweep must
give the same numbers on 2 processes as on 1. The workers always run on CPU (the point is
the multi-process runtime), so this test is the same on a GPU machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "multihost_training.py"
STEPS, STOP, EVAL_EVERY = 12, 7, 2
COMMON = ["--tiny", "--steps", str(STEPS), "--batch", "32", "--eval-every", str(EVAL_EVERY)]
# A plateau that cuts the rate when the validation loss improves by less than 10%: it fires
# before the stop, so the restored state carries a reduced scale.
COMMON += ["--lr", "2e-2", "--patience", "0", "--threshold", "0.1", "--timeout", "240"]
# Float32 rounding of sums taken in another order, after STEPS Adam steps on O(1) weights.
ATOL, RTOL = 1e-6, 1e-5


def _launch(*args: str) -> dict:
    """Run the launcher (its own process group, killed as a whole on timeout)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("XLA_FLAGS", None)
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLE), *COMMON, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"launcher timed out: {args}\n{out}\n{err[-4000:]}")
    assert proc.returncode == 0, f"{args} failed ({proc.returncode}):\n{out}\n{err[-4000:]}"
    lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
    assert lines, out
    return json.loads(lines[-1].removeprefix("RESULT "))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("multihost")
    ckpt = str(d / "ckpt")
    meta = {
        "two": _launch("--processes", "2", "--sweep", "--sweep-k", "4", "--out", str(d / "two")),
        "stop": _launch("--processes", "2", "--stop-after", str(STOP), "--ckpt-dir", ckpt),
        "resumed": _launch(
            "--processes", "2", "--resume", "--ckpt-dir", ckpt, "--out", str(d / "resumed")
        ),
        "one": _launch(
            "--processes", "1", "--devices-per-process", "4", "--sweep", "--sweep-k", "4",
            "--out", str(d / "one"),
        ),
    }  # fmt: skip
    files = {k: dict(np.load(d / f"{k}.npz")) for k in ("two", "resumed", "one")}
    return {"meta": meta, "files": files, "ckpt": Path(ckpt)}


def _params(result: dict, prefix: str = "params/") -> dict[str, np.ndarray]:
    return {k: v for k, v in result.items() if k.startswith(prefix)}


@pytest.mark.slow
def test_runs_used_every_device_of_every_process(runs):
    meta = runs["meta"]
    assert meta["two"] == {"processes": 2, "devices": 4, "start": 0, "stop": STEPS}
    assert meta["stop"] == {"processes": 2, "devices": 4, "start": 0, "stop": STOP}
    assert meta["resumed"] == {"processes": 2, "devices": 4, "start": STOP, "stop": STEPS}
    assert meta["one"] == {"processes": 1, "devices": 4, "start": 0, "stop": STEPS}
    # Each process wrote its own shards of the checkpoint.
    step_dir = runs["ckpt"] / str(STOP) / "default"
    assert {p.name for p in step_dir.glob("ocdbt.process_*")} == {
        "ocdbt.process_0",
        "ocdbt.process_1",
    }


@pytest.mark.slow
def test_resumed_two_process_run_is_bit_identical(runs):
    full, resumed = runs["files"]["two"], runs["files"]["resumed"]
    params = _params(full)
    assert set(params) == set(_params(resumed)) and params
    for k, v in params.items():
        assert v.dtype == np.float32
        assert v.tobytes() == resumed[k].tobytes(), k
    # The plateau observations after the restart saw the same global validation losses.
    after = full["history/step"] > STOP
    np.testing.assert_array_equal(full["history/val_loss"][after], resumed["history/val_loss"])
    np.testing.assert_array_equal(full["history/lr"][after], resumed["history/lr"])
    np.testing.assert_array_equal(full["history/scale"][after], resumed["history/scale"])
    # The plateau had cut the rate before the checkpoint: its state was restored too.
    assert full["history/scale"][~after].min() < 1.0
    assert resumed["history/scale"].min() < 1.0


@pytest.mark.slow
def test_two_processes_equal_one_process(runs):
    two, one = runs["files"]["two"], runs["files"]["one"]
    for k, v in _params(two).items():
        np.testing.assert_allclose(v, one[k], rtol=RTOL, atol=ATOL, err_msg=k)
    np.testing.assert_allclose(two["history/val_loss"], one["history/val_loss"], rtol=RTOL)
    np.testing.assert_allclose(two["history/lr"], one["history/lr"], rtol=RTOL)
    np.testing.assert_array_equal(two["history/scale"], one["history/scale"])


@pytest.mark.slow
def test_sweep_sharded_over_processes_equals_one_process(runs):
    two, one = runs["files"]["two"], runs["files"]["one"]
    sweep = _params(two, "sweep/")
    assert sweep["sweep/val_loss"].shape == (4,)
    assert sweep["sweep/params/hidden/kernel"].shape == (4, 32, 16)
    # The configurations really differ (one learning rate each) ...
    assert len(set(np.round(sweep["sweep/val_loss"], 4))) == 4
    # ... and need no communication: the same numbers on 2 processes as on 1.
    for k, v in sweep.items():
        np.testing.assert_allclose(v, one[k], rtol=RTOL, atol=ATOL, err_msg=k)
