"""Subprocess worker: Prodigy and D-Adaptation on parameters sharded over 8 devices.

Run as ``python tests/workers/lr_free_prodigy_dadapt_worker.py``; prints one JSON object on
its last stdout line. Unless ``JAX_PLATFORMS`` names an accelerator, 8 CPU devices are
simulated (``XLA_FLAGS=--xla_force_host_platform_device_count=8``, set before importing
JAX). Importing this module does nothing.

For each case and each mesh flavour (``auto``: ``AxisType.Auto`` axes and ``device_put``;
``explicit``: ``AxisType.Explicit`` axes entered with ``jax.set_mesh``) on a 4x2 mesh it
runs 4 jitted steps of ``update`` + ``apply_updates`` and reports: the largest relative
difference of params and state from the single-device run, whether every state leaf that
mirrors a parameter keeps its sharding and every scalar is replicated, and the number of
``all-gather`` operations in the compiled step (the global sums of these methods reduce
each shard and add the partial sums: they must gather no parameter).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

CASE_NAMES = ("prodigy", "prodigy_wd_bias", "dadapt_adam", "dadapt_sgd", "dadapt_adagrad")
STEPS = 4


def main() -> None:
    if os.environ.get("JAX_PLATFORMS", "") in ("", "cpu"):
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_force_host_platform_device_count" not in flags:
            os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count=8".strip()
        os.environ["JAX_PLATFORMS"] = "cpu"
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

    import jax
    import numpy as np
    import optax
    from jax.sharding import AxisType, NamedSharding
    from jax.sharding import PartitionSpec as P

    import lrx

    jax.config.update("jax_numpy_dtype_promotion", "strict")
    jax.config.update("jax_numpy_rank_promotion", "raise")
    assert jax.device_count() >= 8, jax.devices()

    factories = {
        "prodigy": lambda: lrx.prodigy(),
        "prodigy_wd_bias": lambda: lrx.prodigy(weight_decay=0.01, use_bias_correction=True),
        "dadapt_adam": lambda: lrx.dadapt_adam(weight_decay=0.01),
        "dadapt_sgd": lambda: lrx.dadapt_sgd(momentum=0.9),
        "dadapt_adagrad": lambda: lrx.dadapt_adagrad(momentum=0.5),
    }
    specs = {"w": P("data", "model"), "b": P("model"), "v": P("data", None), "odd": P()}
    shapes = {"w": (16, 8), "b": (8,), "v": (12, 6), "odd": (3,)}
    rng = np.random.default_rng(0)
    params_np = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    grads_np = [
        {k: (rng.standard_normal(s) * (1.0 + t)).astype(np.float32) for k, s in shapes.items()}
        for t in range(STEPS)
    ]

    def make_step(tx: Any) -> Any:
        def step(params: Any, grads: Any, state: Any) -> Any:
            u, state = tx.update(grads, state, params)
            return optax.apply_updates(params, u), state

        return jax.jit(step)

    def run(tx: Any, params: Any, grads: list[Any]) -> tuple[Any, Any, tuple[int, int]]:
        state = tx.init(params)
        step = make_step(tx)
        hlo = step.lower(params, grads[0], state).compile().as_text()
        for g in grads:
            params, state = step(params, g, state)
        gathers = hlo.count("all-gather-start(") + hlo.count(" all-gather(")
        reduces = hlo.count("all-reduce-start(") + hlo.count(" all-reduce(")
        return params, state, (gathers, reduces)

    def max_rel(a: Any, b: Any) -> float:
        worst = 0.0
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
            x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
            worst = max(worst, float(np.max(np.abs(x - y) / (1e-6 + np.abs(y)))))
        return worst

    results: dict[str, Any] = {}
    for name in CASE_NAMES:
        res: dict[str, Any] = {"problems": []}
        try:
            ref_p, ref_s, _ = run(factories[name](), params_np, grads_np)
            for flavour in ("auto", "explicit"):
                axis = AxisType.Auto if flavour == "auto" else AxisType.Explicit
                mesh = jax.make_mesh(
                    (4, 2), ("data", "model"), axis_types=(axis, axis), devices=jax.devices()[:8]
                )
                sh = {k: NamedSharding(mesh, s) for k, s in specs.items()}
                ctx = jax.set_mesh(mesh) if flavour == "explicit" else _Null()
                with ctx:
                    params = jax.device_put(params_np, sh)
                    grads = [jax.device_put(g, sh) for g in grads_np]
                    out_p, out_s, (gathers, reduces) = run(factories[name](), params, grads)
                res[f"{flavour}_max_rel_diff"] = max(max_rel(out_p, ref_p), max_rel(out_s, ref_s))
                res[f"{flavour}_all_gathers"] = gathers
                res[f"{flavour}_all_reduces"] = reduces  # > 0: the step is partitioned
                for path, leaf in jax.tree_util.tree_flatten_with_path(out_s)[0]:
                    key = jax.tree_util.keystr(path)
                    if leaf.ndim == 0:
                        if not leaf.sharding.is_fully_replicated:
                            res["problems"].append(f"{flavour}: scalar {key} not replicated")
                        continue
                    pname = path[-1].key
                    if not leaf.sharding.is_equivalent_to(sh[pname], leaf.ndim):
                        res["problems"].append(f"{flavour}: {key} not sharded like {pname}")
        except Exception as e:  # reported to the test, which fails on it
            res["problems"].append(f"{type(e).__name__}: {e}")
        results[name] = res
    print(json.dumps({"devices": jax.device_count(), "results": results}))


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


if __name__ == "__main__":
    main()
