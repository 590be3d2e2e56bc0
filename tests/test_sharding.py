"""Sharded parameters: every optimizer keeps each state leaf sharded like its parameter.

lrx must keep every state leaf sharded like the parameter it mirrors and its results must
not depend on how parameters are placed (docs/scaling.md). One subprocess
(tests/workers/sharding_worker.py) runs every case on a 4x2 ``("data", "model")`` mesh of 8
devices: the first 8 accelerators when the suite runs on a backend that has 8 or more
(``JAX_PLATFORMS=cuda pytest`` on an 8-GPU host), otherwise 8 simulated CPU devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=8``, a CPU-only flag, set in the
subprocess only), under both an ``Auto`` mesh (``NamedSharding`` +
``device_put``) and an ``Explicit`` mesh (``jax.set_mesh``), and reports JSON that the tests
below check: state shardings after ``init``, after ``jit(init)`` (explicit mesh) and after 3
jitted, donating steps, and equality with the unsharded single-device run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workers.sharding_worker import CASE_NAMES, rtol_for

WORKER = Path(__file__).with_name("workers") / "sharding_worker.py"
CONTROL = "control_bad_state"


def worker_env() -> dict[str, str]:
    """The subprocess's environment: real devices if this backend has 8, else 8 CPU ones."""
    import jax

    env = dict(os.environ)
    if jax.default_backend() != "cpu" and jax.device_count() >= 8:
        # The same platform ("gpu" is JAX's alias for cuda/rocm); never "" (CPU to the worker).
        env["JAX_PLATFORMS"] = os.environ.get("JAX_PLATFORMS") or jax.default_backend()
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"  # this process holds memory too
    else:
        flags = re.sub(r"--xla_force_host_platform_device_count=\S*", "", env.get("XLA_FLAGS", ""))
        env["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count=8".strip()
        env["JAX_PLATFORMS"] = "cpu"
    return env


@pytest.fixture(scope="module")
def report() -> dict:
    env = worker_env()
    proc = subprocess.run(
        [sys.executable, str(WORKER)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=WORKER.parent.parent.parent,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_worker_ran_every_case_on_8_devices(report):
    assert report["devices"] == 8
    assert report["rtol"] == rtol_for(report["backend"])
    assert set(report["cases"]) == set(CASE_NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in CASE_NAMES if n != CONTROL])
def test_state_sharded_like_params_and_equal_to_unsharded(report, name):
    """State leaves shard like their params (init, jit(init), after steps); values match."""
    res = report["cases"][name]
    assert res["status"] == "ok", json.dumps(res, indent=1)
    # Every case has parameter-shaped state or scalar counts to check, in both mesh flavours.
    assert res["checked"] > 0
    assert set(res["max_rel_diff"]) == {"auto", "explicit"}
    assert max(res["max_rel_diff"].values()) <= rtol_for(report["backend"])


@pytest.mark.slow
def test_checker_catches_state_that_ignores_param_sharding(report):
    """Negative control: a transform with ``jnp.zeros(p.shape)`` state must be reported."""
    res = report["cases"][CONTROL]
    assert res["status"] == "fail", res
    problems = "\n".join(res["problems"])
    assert "auto/init: ['dense']['w']" in problems
    assert "explicit/jit(init): ['dense']['w']" in problems
