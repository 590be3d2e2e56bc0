"""Checkpoint and resume across processes is bit-identical (issue: reliability).

A first process trains every optimizer case (schedules, plateau, partition, guard,
layer-wise decay, torch preset) for 40 steps, and separately for 17 steps, saving the
half-way state with ``flax.serialization.to_bytes`` and with orbax, plus each schedule's
``to_config()``. A second, fresh process rebuilds each schedule from its config, restores
the state both ways, trains the remaining 23 steps and compares with the uninterrupted
run byte for byte.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

WORKER = pathlib.Path(__file__).with_name("workers") / "resume_worker.py"


def worker_env() -> dict[str, str]:
    """The workers run on the suite's platform (``JAX_PLATFORMS``, CPU by default).

    On an accelerator both processes must pick the same kernels for their results to be
    bit-identical: deterministic ops and no timing-based autotuning (GPU flags, set only
    when the platform is not CPU), and no preallocation (this process holds memory too).
    """
    import jax

    env = dict(os.environ, PYTHONHASHSEED="0")
    env.setdefault("JAX_PLATFORMS", "cpu")
    backend = jax.default_backend()
    if backend != "cpu":
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    if backend == "gpu":
        flags = "--xla_gpu_deterministic_ops=true --xla_gpu_autotune_level=0"
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {flags}".strip()
    return env


def _run(phase: str, out: pathlib.Path) -> str:
    env = worker_env()
    proc = subprocess.run(
        [sys.executable, str(WORKER), phase, str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"{phase} failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    return proc.stdout


@pytest.mark.slow
def test_resume_in_fresh_process_is_bit_identical(tmp_path):
    _run("first", tmp_path)
    report = json.loads(_run("second", tmp_path).strip().splitlines()[-1])
    from tests.workers.resume_worker import CASES

    assert set(report) == set(CASES)
    failures = {case: r for case, r in report.items() if not (r["flax"] and r["orbax"])}
    assert not failures, f"resumed runs differ from the uninterrupted run: {failures}"
