"""Subprocess worker: DoG, L-DoG, COCOB, MoMo and MomoAdam on a 4x2 mesh of 8 CPU devices.

Run as ``python tests/workers/lr_free_dog_cocob_momo_worker.py`` (tests/test_lr_free_dog.py
does, with ``XLA_FLAGS=--xla_force_host_platform_device_count=8``); prints one JSON object on
its last stdout line. Importing this module does nothing.

For each method and each mesh flavour (``auto``: ``AxisType.Auto`` axes and
``jax.device_put``; ``explicit``: ``AxisType.Explicit`` axes under ``jax.set_mesh``) it checks
that ``init`` gives every state leaf that mirrors a parameter the parameter's sharding and
every scalar a replicated one; that after 3 jitted, buffer-donating steps (``update`` with
``value=loss`` for MoMo, then ``apply_updates``) params and state keep them; that params
and state equal a single-device run; and that the compiled step gathers no parameter (no
``all-gather`` in its HLO: the global norms and dot products are per-shard sums followed
by an all-reduce of scalars). A control (a step that reads a gathered copy of a parameter)
must be caught by the HLO check.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

CASE_NAMES = ("dog", "ldog", "cocob", "momo", "momo_adam")
STEPS = 3
RTOL, ATOL = 2e-6, 1e-7


def main() -> None:
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count=8".strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from jax.sharding import AxisType, NamedSharding
    from jax.sharding import PartitionSpec as P

    import lrx

    jax.config.update("jax_numpy_dtype_promotion", "strict")
    jax.config.update("jax_numpy_rank_promotion", "raise")

    factories = {
        "dog": lambda: lrx.dog(weight_decay=1e-2),
        "ldog": lambda: lrx.ldog(),
        "cocob": lambda: lrx.cocob(weight_decay=1e-2),
        "momo": lambda: lrx.momo(weight_decay=1e-2, use_fstar=True),
        "momo_adam": lambda: lrx.momo_adam(weight_decay=1e-2),
    }
    specs = {"emb": P("data", None), "w": P("data", "model"), "b": P("model"), "odd": P()}
    shapes = {"emb": (12, 6), "w": (16, 8), "b": (8,), "odd": (3,)}
    rng = np.random.default_rng(0)
    params_np = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    targets = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}

    def loss_fn(p: Any) -> Any:
        return 0.5 * sum(jnp.sum((p[k] - targets[k]) ** 2) for k in sorted(p))

    def make_step(tx: Any, with_value: bool) -> Any:
        def step(params: Any, state: Any) -> Any:
            loss, g = jax.value_and_grad(loss_fn)(params)
            if with_value:
                u, state = tx.update(g, state, params, value=loss)
            else:
                u, state = tx.update(g, state, params)
            return optax.apply_updates(params, u), state

        return step

    def check_mirrors(where: str, params: Any, state: Any, problems: list[str]) -> int:
        n = 0
        for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
            name = jax.tree_util.keystr(path)
            if leaf.ndim == 0:
                n += 1
                if not leaf.sharding.is_fully_replicated:
                    problems.append(f"{where}: scalar {name} not replicated")
                continue
            key = next((k.key for k in reversed(path) if hasattr(k, "key")), None)
            if key not in params:
                problems.append(f"{where}: {name} mirrors no parameter")
                continue
            n += 1
            if not leaf.sharding.is_equivalent_to(params[key].sharding, leaf.ndim):
                problems.append(f"{where}: {name} sharded unlike its parameter {key}")
        return n

    def max_rel(a_tree: Any, b_tree: Any) -> float:
        worst = 0.0
        for a, b in zip(jax.tree.leaves(a_tree), jax.tree.leaves(b_tree), strict=True):
            a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
            worst = max(worst, float(np.max(np.abs(a - b) / (ATOL / RTOL + np.abs(b)))))
        return worst

    def run(tx: Any, with_value: bool, params: Any, flavour: str, res: Any) -> Any:
        """Init, then STEPS donating jitted steps; returns params, state and the step's HLO."""
        state = tx.init(params)
        res["checked"] += check_mirrors(f"{flavour}/init", params, state, res["problems"])
        donating = jax.jit(make_step(tx, with_value), donate_argnums=(0, 1))
        hlo = donating.lower(params, state).compile().as_text()
        for _ in range(STEPS):
            params, state = donating(params, state)
        return params, state, hlo

    results: dict[str, Any] = {}
    for name in CASE_NAMES:
        with_value = name.startswith("momo")
        problems: list[str] = []
        res: dict[str, Any] = {"problems": problems, "checked": 0, "max_rel_diff": 0.0}
        try:
            tx = factories[name]()
            step = jax.jit(make_step(tx, with_value))
            ref_p = {k: jnp.asarray(v) for k, v in params_np.items()}
            ref_s = tx.init(ref_p)
            for _ in range(STEPS):
                ref_p, ref_s = step(ref_p, ref_s)
            for flavour in ("auto", "explicit"):
                axis = AxisType.Auto if flavour == "auto" else AxisType.Explicit
                mesh = jax.make_mesh((4, 2), ("data", "model"), axis_types=(axis, axis))
                shard = {k: NamedSharding(mesh, s) for k, s in specs.items()}
                params = {k: jax.device_put(v, shard[k]) for k, v in params_np.items()}

                if flavour == "explicit":
                    with jax.set_mesh(mesh):
                        p, s, hlo = run(tx, with_value, params, flavour, res)
                else:
                    p, s, hlo = run(tx, with_value, params, flavour, res)
                res["checked"] += check_mirrors(f"{flavour}/step{STEPS}", p, s, problems)
                if "all-gather" in hlo:
                    problems.append(f"{flavour}: the compiled step gathers (all-gather in HLO)")
                res["max_rel_diff"] = max(res["max_rel_diff"], max_rel(p, ref_p), max_rel(s, ref_s))
        except Exception as e:  # reported, not raised: the test shows which case failed
            problems.append(f"{type(e).__name__}: {e}")
        results[name] = res

    # control: a step that uses a gathered copy of a sharded parameter must be caught
    mesh = jax.make_mesh((4, 2), ("data", "model"), axis_types=(AxisType.Auto,) * 2)
    w = jax.device_put(params_np["w"], NamedSharding(mesh, specs["w"]))
    gather = jax.jit(lambda x: jnp.sort(x.reshape(-1))[:3], out_shardings=NamedSharding(mesh, P()))
    control_caught = "all-gather" in gather.lower(w).compile().as_text()
    print(
        json.dumps(
            {"devices": jax.device_count(), "cases": results, "control_caught": control_caught}
        )
    )


if __name__ == "__main__":
    main()
