"""Subprocess worker: LARS, LAMB and Adafactor on 8 devices equal 1 device (per-leaf norms).

Run as ``python tests/workers/layerwise_worker.py``; prints one JSON object on its last
stdout line. On CPU it simulates 8 devices (``XLA_FLAGS=--xla_force_host_platform_device_count=8``,
set before importing JAX, so it needs a fresh process). Importing this module does nothing.

For each case and each mesh flavour (``Auto`` axes with ``jax.device_put``; ``Explicit``
axes under ``jax.set_mesh``) on a 4 x 2 ``("data", "model")`` mesh it runs 3 jitted steps
on sharded parameters and records: the largest relative difference of params and state
from an unsharded run; whether state leaves shaped like a parameter keep its sharding and
scalar leaves (counts, trust ratios) are replicated; and whether the compiled step of the
trust-ratio methods contains an ``all-gather`` (the per-leaf norms must be partial sums
plus an all-reduce, never a gather of the leaf).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import Any

CASE_NAMES = ("lars", "lamb", "adafactor", "hf_adafactor")
STEPS = 3


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
    from lrx.compat import hf
    from lrx.transforms.trust_ratio import trust_ratios

    jax.config.update("jax_numpy_dtype_promotion", "strict")
    jax.config.update("jax_numpy_rank_promotion", "raise")
    assert jax.device_count() >= 8, jax.devices()

    factories = {
        "lars": lambda: lrx.lars(0.5, weight_decay=1e-3, trust_coefficient=0.01),
        "lamb": lambda: lrx.lamb(1e-2, weight_decay=1e-2),
        "adafactor": lambda: lrx.adafactor(1e-2, min_dim_size_to_factor=4, momentum=0.9),
        "hf_adafactor": lambda: hf.adafactor(beta1=0.9, weight_decay=0.1),
    }
    specs = {"emb": P("data", None), "w": P("data", "model"), "b": P("model"), "s": P()}
    shapes = {"emb": (16, 6), "w": (16, 8), "b": (8,), "s": ()}
    rng = np.random.default_rng(0)
    params_np = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    grads_np = [
        {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
        for _ in range(STEPS)
    ]

    def run(tx: Any, params: Any, grads: list[Any]) -> tuple[Any, Any, str]:
        state = tx.init(params)

        def step(params: Any, grads: Any, state: Any) -> Any:
            u, state = tx.update(grads, state, params)
            return optax.apply_updates(params, u), state

        jitted = jax.jit(step)
        hlo = jitted.lower(params, grads[0], state).compile().as_text()
        for g in grads:
            params, state = jitted(params, g, state)
        return params, state, hlo

    def rel_diff(a_tree: Any, b_tree: Any) -> float:
        worst = 0.0
        for a, b in zip(jax.tree.leaves(a_tree), jax.tree.leaves(b_tree), strict=True):
            a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
            worst = max(worst, float(np.max(np.abs(a - b) / (1e-3 + np.abs(b)), initial=0.0)))
        return worst

    results: dict[str, Any] = {}
    for name in CASE_NAMES:
        res: dict[str, Any] = {"problems": [], "max_rel_diff": {}, "all_gather": {}}
        ref_params, ref_state, _ = run(factories[name](), params_np, grads_np)
        for flavour in ("auto", "explicit"):
            axis = AxisType.Auto if flavour == "auto" else AxisType.Explicit
            mesh = jax.make_mesh((4, 2), ("data", "model"), axis_types=(axis, axis))
            shardings = {k: NamedSharding(mesh, s) for k, s in specs.items()}
            ctx = jax.set_mesh(mesh) if flavour == "explicit" else contextlib.nullcontext()
            with ctx:
                params = jax.device_put(params_np, shardings)
                grads = [jax.device_put(g, shardings) for g in grads_np]
                out_params, state, hlo = run(factories[name](), params, grads)
            res["max_rel_diff"][flavour] = max(
                rel_diff(out_params, ref_params), rel_diff(state, ref_state)
            )
            res["all_gather"][flavour] = "all-gather" in hlo
            for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
                key = jax.tree_util.keystr(path)
                if leaf.ndim == 0:
                    if not leaf.sharding.is_fully_replicated:
                        res["problems"].append(f"{flavour}: scalar {key} not replicated")
                    continue
                owner = [k for k in shapes if key.endswith(f"['{k}']")]
                if owner and leaf.shape == shapes[owner[0]]:
                    if not leaf.sharding.is_equivalent_to(shardings[owner[0]], leaf.ndim):
                        res["problems"].append(f"{flavour}: {key} not sharded like {owner[0]}")
            for k in shapes:
                if not out_params[k].sharding.is_equivalent_to(shardings[k], len(shapes[k])):
                    res["problems"].append(f"{flavour}: param {k} lost its sharding")
            if name in ("lars", "lamb"):
                ratios = trust_ratios(state)
                ref_ratios = trust_ratios(ref_state)
                res.setdefault("ratio_diff", {})[flavour] = rel_diff(ratios, ref_ratios)
        results[name] = res
    print(json.dumps({"devices": jax.device_count(), "cases": results}))


if __name__ == "__main__":
    main()
