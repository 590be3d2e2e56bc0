"""Sweeps in one program: ``jax.jit(jax.vmap(train))(hparams)`` equals the loop of single runs.

Hyperparameters are data: every numeric hyperparameter of an lrx factory may be a tracer,
so a whole training run written as a function of its hyperparameters,

    def train(h):
        tx = lrx.chain(
            lrx.adamw(learning_rate=lrx.warmup_cosine(peak_value=h["peak"],
                                                      warmup_steps=h["warmup"],
                                                      total_steps=T),
                      b1=h["b1"], b2=h["b2"], weight_decay=h["weight_decay"]),
            lrx.reduce_on_plateau(factor=h["factor"]),
        )
        ...  # lax.scan over the updates
        return metrics

runs K configurations in ONE compiled program with ``jax.jit(jax.vmap(train))(h)``, where
every leaf of ``h`` has a leading axis of size K. These tests check, for a sweep over each of
the learning rate, b1, b2, weight decay, plateau factor, schedule peak and warm-up length
(and one over all of them at once), that the vmapped program gives the same losses, final
parameters and final learning rates as K separate programs built with Python numbers, to
float32 rounding; that new values of the same shape reuse the compiled program; and that
the sweep axis sharded over 8 (simulated) devices gives the same numbers.

The problem (an 8-16-1 tanh regression, 60 Adam-W updates, plateau observed every 5) is in
tests/_sweep_problem.py.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import chex
import jax
import numpy as np
import pytest

from tests._sweep_problem import BASE, STEPS, SWEEPS, sweep_hparams, train

# float32 over 60 Adam updates: a batched program may round its matmuls differently, and
# Adam's m / sqrt(v) amplifies last-bit differences in near-zero gradient components.
RTOL, ATOL = 1e-4, 1e-5
WORKER = Path(__file__).with_name("workers") / "sweep_worker.py"


def _stack(results: list[Any]) -> Any:
    return jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *results)


@functools.cache
def _loop(name: str) -> Any:
    """The reference: one program per configuration, hyperparameters as Python numbers."""
    schedule, configs, _ = sweep_hparams(name)
    return _stack([jax.jit(functools.partial(train, c, schedule))() for c in configs])


def _vmapped(name: str) -> Any:
    schedule, _, batched = sweep_hparams(name)

    def run(h: dict[str, jax.Array]) -> Any:
        return train({**BASE, **h}, schedule)

    return jax.jit(jax.vmap(run))(batched)


@pytest.mark.parametrize("name", list(SWEEPS))
def test_vmapped_sweep_equals_loop_of_single_runs(name):
    want = _loop(name)
    got = _vmapped(name)
    assert got["loss"].shape == (len(want["loss"]), STEPS)
    chex.assert_trees_all_close(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", list(SWEEPS))
def test_sweep_configurations_differ(name):
    """Guard against a vacuous pass: every configuration trains differently, and the
    plateau reductions happen (the final rate is below the starting one somewhere)."""
    want = _loop(name)
    final = want["loss"][:, -1]
    assert len(np.unique(final)) == len(final), final
    assert np.all(np.isfinite(want["loss"]))
    if name == "factor":
        lr = want["learning_rate"]
        assert len(np.unique(lr)) == len(lr), lr
        assert np.all(lr < BASE["learning_rate"]), lr


def test_new_values_reuse_the_compiled_sweep():
    """A second sweep with other values (same shapes) runs without a retrace."""
    schedule, _, batched = sweep_hparams("all")
    traces = []

    def run(h: dict[str, jax.Array]) -> Any:
        traces.append(1)
        return train({**BASE, **h}, schedule)

    sweep = jax.jit(jax.vmap(run))
    first = sweep(batched)
    other = {k: v[::-1] for k, v in batched.items()}
    second = sweep(other)
    assert len(traces) == 1
    chex.assert_trees_all_close(
        jax.tree.map(lambda a: a[::-1], second), first, rtol=RTOL, atol=ATOL
    )


@pytest.fixture(scope="module")
def sharded_report() -> dict:
    env = dict(os.environ)
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    env["JAX_PLATFORMS"] = "cpu"
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
@pytest.mark.parametrize("name", list(SWEEPS))
def test_sweep_sharded_over_8_devices_equals_loop(sharded_report, name):
    """The sweep axis (8 configurations: the sweep's 4 and the same 4 reversed) placed one
    configuration per device with ``NamedSharding(mesh, P("sweep"))``: the outputs stay
    sharded along the sweep axis and equal the single runs."""
    assert sharded_report["devices"] == 8
    res = sharded_report["cases"][name]
    assert res["status"] == "ok", res.get("error")
    assert res["devices_used"] == 8
    assert res["loss_sharding"] == ["sweep", None]
    want = _loop(name)
    want8 = jax.tree.map(lambda a: np.concatenate([a, a[::-1]]), want)
    got = {
        "loss": np.asarray(res["loss"], np.float32),
        "learning_rate": np.asarray(res["learning_rate"], np.float32),
        "params": {k: np.asarray(v, np.float32) for k, v in res["params"].items()},
    }
    chex.assert_trees_all_close(got, want8, rtol=RTOL, atol=ATOL)
