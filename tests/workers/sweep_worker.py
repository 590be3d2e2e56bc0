"""Subprocess worker for tests/test_sweep.py: the sweeps with their axis sharded over 8 devices.

Run as ``python tests/workers/sweep_worker.py``; prints one JSON object on its last stdout line.
It sets ``XLA_FLAGS=--xla_force_host_platform_device_count=8`` itself before importing JAX,
so it must run in a fresh process (importing this module does nothing).

For each sweep of tests/_sweep_problem.py, the 4 configurations and the same 4 reversed make
8; their hyperparameter arrays are placed with ``NamedSharding(Mesh(devices, ("sweep",)),
P("sweep"))``, one configuration per device, and ``jax.jit(jax.vmap(train))`` runs on them.
The worker reports the sharding of the loss output and the losses, final parameters and
final learning rates (the test compares them with the single runs).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any


def _run() -> dict[str, Any]:
    import jax
    import numpy as np
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    from tests._sweep_problem import BASE, SWEEPS, sweep_hparams, train

    mesh = Mesh(np.array(jax.devices()), ("sweep",))
    report: dict[str, Any] = {"devices": jax.device_count(), "cases": {}}
    for name in SWEEPS:
        try:
            schedule, _, batched = sweep_hparams(name)
            batched = {k: jax.numpy.concatenate([v, v[::-1]]) for k, v in batched.items()}

            def run(h: dict[str, Any], schedule: bool = schedule) -> Any:
                return train({**BASE, **h}, schedule)

            sweep = jax.jit(jax.vmap(run))
            sharded = jax.device_put(batched, NamedSharding(mesh, P("sweep")))
            out = sweep(sharded)
            spec = out["loss"].sharding.spec
            report["cases"][name] = {
                "status": "ok",
                "devices_used": len(out["loss"].sharding.device_set),
                "loss_sharding": [spec[0] if len(spec) > 0 else None, None],
                "loss": np.asarray(out["loss"]).tolist(),
                "learning_rate": np.asarray(out["learning_rate"]).tolist(),
                "params": {k: np.asarray(v).tolist() for k, v in out["params"].items()},
            }
        except Exception as e:  # reported per case; the test shows the message
            report["cases"][name] = {
                "status": "error",
                "error": f"{type(e).__name__}: {e}"[:2000],
                "traceback": traceback.format_exc()[-2000:],
            }
    return report


if __name__ == "__main__":
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count=8".strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    print(json.dumps(_run()))
