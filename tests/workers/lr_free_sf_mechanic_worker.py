"""Subprocess worker: Schedule-Free and Mechanic on a 4x2 mesh of 8 simulated CPU devices.

Run as ``python tests/workers/lr_free_sf_mechanic_worker.py``; prints one JSON object on its
last stdout line. ``XLA_FLAGS=--xla_force_host_platform_device_count=8`` is set before JAX is
imported (so it must be a fresh process). For each case and each mesh flavour (``auto``:
``AxisType.Auto`` axes and ``device_put``; ``explicit``: ``AxisType.Explicit`` axes under
``jax.set_mesh``) it checks that

1. every state leaf that mirrors a parameter has the parameter's sharding and every scalar
   or small vector (the estimates) is fully replicated, after ``init`` and after 3 jitted,
   buffer-donating steps;
2. the compiled step holds no all-gather (the global dot products and norms reduce each
   shard in place and add the partial sums: no parameter is gathered);
3. params and state equal the unsharded single-device run (the global sums add in another
   order: relative 2e-6).

Importing this module does nothing.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

CASE_NAMES: tuple[str, ...] = ("sf_sgd", "sf_adamw", "sf_wrap_adam", "mech_sgd", "mech_adam")
STEPS = 3
RTOL, ATOL = 2e-6, 1e-7


def _factories() -> dict[str, Any]:
    import lrx

    return {
        "sf_sgd": lambda: lrx.schedule_free_sgd(0.1, weight_decay=1e-2, warmup_steps=2),
        "sf_adamw": lambda: lrx.schedule_free_adamw(1e-2, weight_decay=0.1, warmup_steps=2),
        "sf_wrap_adam": lambda: lrx.schedule_free(lrx.adam(1e-2), learning_rate=1e-2),
        "mech_sgd": lambda: lrx.mechanize(lrx.sgd(0.1)),
        "mech_adam": lambda: lrx.mechanize(lrx.adam(1e-2), s_decay=0.1),
    }


def main() -> None:
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count=8".strip()
    os.environ["JAX_PLATFORMS"] = "cpu"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, root)

    import jax
    import numpy as np
    import optax
    from jax.sharding import AxisType, NamedSharding
    from jax.sharding import PartitionSpec as P

    jax.config.update("jax_numpy_dtype_promotion", "strict")
    jax.config.update("jax_numpy_rank_promotion", "raise")
    assert jax.device_count() >= 8, jax.devices()

    specs = {"emb": P("data", None), "w": P("data", "model"), "b": P("model"), "odd": P()}
    shapes = {"emb": (12, 6), "w": (16, 8), "b": (8,), "odd": (3,)}
    rng = np.random.default_rng(0)
    params_np = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    targets = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}

    def loss(params: Any) -> Any:
        return sum(((params[k] - targets[k]) ** 2).sum() for k in params) * 0.5

    def make_step(tx: Any) -> Any:
        def step(params: Any, state: Any) -> Any:
            grads = jax.grad(loss)(params)
            u, state = tx.update(grads, state, params)
            return optax.apply_updates(params, u), state

        return jax.jit(step, donate_argnums=(0, 1))

    def run(tx: Any, params: Any) -> Any:
        state = tx.init(params)
        step = make_step(tx)
        for _ in range(STEPS):
            params, state = step(params, state)
        return params, state

    def check_layout(where: str, params: Any, state: Any, problems: list[str]) -> None:
        for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
            name = jax.tree_util.keystr(path)
            key = next((getattr(p, "key", None) for p in reversed(path) if hasattr(p, "key")), None)
            if leaf.ndim <= 1 and (key not in params or params[key].shape != leaf.shape):
                if not leaf.sharding.is_fully_replicated:
                    problems.append(f"{where}: {name} is not replicated")
                continue
            if key not in params:
                problems.append(f"{where}: {name} mirrors no parameter")
            elif not leaf.sharding.is_equivalent_to(params[key].sharding, leaf.ndim):
                problems.append(f"{where}: {name} {leaf.sharding.spec} != {params[key].sharding}")

    def max_rel(a_tree: Any, b_tree: Any) -> float:
        worst = 0.0
        for a, b in zip(jax.tree.leaves(a_tree), jax.tree.leaves(b_tree), strict=True):
            a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
            if a.size:
                worst = max(worst, float((np.abs(a - b) / (ATOL / RTOL + np.abs(b))).max()))
        return worst

    results: dict[str, Any] = {}
    for name, make in _factories().items():
        res: dict[str, Any] = {"status": "ok", "problems": [], "max_rel_diff": {}}
        try:
            ref = run(make(), params_np)
            for flavour in ("auto", "explicit"):
                axis = AxisType.Auto if flavour == "auto" else AxisType.Explicit
                mesh = jax.make_mesh((4, 2), ("data", "model"), axis_types=(axis, axis))
                shard = {k: NamedSharding(mesh, s) for k, s in specs.items()}
                ctx = jax.set_mesh(mesh) if flavour == "explicit" else _Null()
                with ctx:
                    params = jax.device_put(params_np, shard)
                    tx = make()
                    check_layout(f"{flavour}/init", params, tx.init(params), res["problems"])
                    hlo = make_step(tx).lower(params, tx.init(params)).compile().as_text()
                    if "all-gather" in hlo:
                        res["problems"].append(f"{flavour}: the step gathers (all-gather)")
                    out = run(tx, params)
                    check_layout(f"{flavour}/steps", params, out[1], res["problems"])
                    res["max_rel_diff"][flavour] = max_rel(out, ref)
            if max(res["max_rel_diff"].values()) > RTOL:
                res["problems"].append(f"differs from 1 device: {res['max_rel_diff']}")
            if res["problems"]:
                res["status"] = "fail"
        except Exception as e:  # reported to the test, which fails on it
            res = {"status": "error", "error": f"{type(e).__name__}: {e}"}
            res["traceback"] = traceback.format_exc()[-3000:]
        results[name] = res
    print(json.dumps({"devices": jax.device_count(), "cases": results}))


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


if __name__ == "__main__":
    main()
