"""Subprocess worker for tests/test_sharding.py: every optimizer on a 4x2 mesh of 8 CPU devices.

Run as ``python tests/workers/sharding_worker.py``; prints one JSON object on its last stdout line.
The platform comes from ``JAX_PLATFORMS``: unset or ``cpu`` simulates 8 CPU devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=8``, set before importing JAX, so it
must run in a fresh process); any other platform (``cuda``, ``tpu``) runs on the first 8
real devices, with no device-count flag. Importing this module does nothing (the test
collects doctests from every module and imports this one too).

For each case (a transform factory) and each mesh flavour:

* ``auto``: a mesh with ``AxisType.Auto`` axes, params placed with ``jax.device_put`` and a
  ``NamedSharding`` (the classic GSPMD recipe, no mesh context);
* ``explicit``: a mesh with ``AxisType.Explicit`` axes entered with ``jax.set_mesh``;

it checks that

1. ``tx.init(params)`` gives every state leaf that mirrors a parameter (its key path ends
   with the parameter's key path) the parameter's sharding, and every scalar leaf a fully
   replicated sharding;
2. the same holds for ``jax.jit(tx.init)(params)`` under the explicit mesh (under an auto mesh
   ``jnp.zeros_like`` inside ``jit`` has no sharding to follow, for optax as for lrx, and
   XLA replicates it: not checked; docs/scaling.md says to init eagerly or pass
   ``out_shardings``);
3. after 3 jitted, buffer-donating training steps (``update`` + ``apply_updates``), params and
   state keep those shardings;
4. params and every state leaf equal an unsharded single-device run of the same steps.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import Any

# Names of the cases, importable without importing JAX (tests parametrize over them).
CASE_NAMES: tuple[str, ...] = (
    "optax_sgd",  # framework sanity check with a peer transform
    "control_bad_state",  # negative control: state made with jnp.zeros(shape); must FAIL
    "sgd_momentum",
    "sgd_nesterov_wd",
    "adagrad",
    "rmsprop_centered",
    "adam",
    "adam_amsgrad",
    "adamw",
    "adam_schedule",
    "torch_sgd",
    "torch_adagrad",
    "torch_rmsprop",
    "torch_adam",
    "torch_adamw",
    "partition",
    "layerwise_decay",
    "clip_adam_plateau",
    "skip_nonfinite",
)

STEPS = 3
# Elementwise math is bit-identical when sharded; a global norm sums in another order.
RTOL, ATOL = 2e-6, 1e-7
# Accelerators may fuse and reorder more (and sum the global norm in a tree of partial sums
# per device): a looser bound there, the CPU one everywhere it is known to hold.
RTOL_BY_BACKEND = {"cpu": RTOL, "gpu": 1e-5, "tpu": 1e-5}


def rtol_for(backend: str) -> float:
    """The relative tolerance of sharded vs unsharded results on ``backend``."""
    return RTOL_BY_BACKEND.get(backend, 1e-5)


def _factories() -> dict[str, tuple[Any, bool]]:
    """name -> (factory () -> GradientTransformation, whether update takes value=loss)."""
    import functools

    import optax

    import lrx
    from lrx.compat import torch as ct

    return {
        "optax_sgd": (lambda: optax.sgd(1e-2, momentum=0.9), False),
        "control_bad_state": (_bad_state_transform, False),
        "sgd_momentum": (lambda: lrx.sgd(learning_rate=0.1, momentum=0.9), False),
        "sgd_nesterov_wd": (
            lambda: lrx.sgd(learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2),
            False,
        ),
        "adagrad": (lambda: lrx.adagrad(learning_rate=0.1), False),
        "rmsprop_centered": (
            lambda: lrx.rmsprop(learning_rate=1e-2, centered=True, momentum=0.9),
            False,
        ),
        "adam": (lambda: lrx.adam(learning_rate=1e-2), False),
        "adam_amsgrad": (lambda: lrx.adam(learning_rate=1e-2, amsgrad=True), False),
        "adamw": (lambda: lrx.adamw(learning_rate=1e-2, weight_decay=0.1), False),
        "adam_schedule": (
            lambda: lrx.adam(
                learning_rate=lrx.warmup_cosine(peak_value=1e-2, warmup_steps=2, total_steps=10)
            ),
            False,
        ),
        "torch_sgd": (
            lambda: ct.sgd(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=1e-3),
            False,
        ),
        "torch_adagrad": (lambda: ct.adagrad(lr=0.1, lr_decay=1e-3, weight_decay=1e-3), False),
        "torch_rmsprop": (lambda: ct.rmsprop(lr=1e-2, momentum=0.9, centered=True), False),
        "torch_adam": (lambda: ct.adam(lr=1e-2, amsgrad=True, weight_decay=1e-3), False),
        "torch_adamw": (lambda: ct.adamw(lr=lrx.step_decay(init_value=1e-2, step_size=2)), False),
        "partition": (
            lambda: lrx.partition(
                {
                    "fast": lrx.adam(learning_rate=1e-2),
                    "slow": lrx.sgd(learning_rate=1e-3, momentum=0.9),
                },
                patterns={"dense/**": "fast", "**": "slow"},
            ),
            False,
        ),
        "layerwise_decay": (
            lambda: lrx.layerwise_decay(
                functools.partial(lrx.adamw, weight_decay=0.05),
                learning_rate=1e-2,
                decay=0.5,
                layers=["emb", "dense/**"],
            ),
            False,
        ),
        "clip_adam_plateau": (
            lambda: lrx.chain(
                lrx.clip_by_global_norm(max_norm=0.5),
                lrx.adam(
                    learning_rate=lrx.warmup_cosine(peak_value=1e-2, warmup_steps=1, total_steps=10)
                ),
                lrx.reduce_on_plateau(factor=0.5, patience=0),
            ),
            True,
        ),
        "skip_nonfinite": (lambda: lrx.skip_nonfinite(lrx.adam(learning_rate=1e-2)), False),
    }


def _bad_state_transform():
    """A momentum transform whose state ignores the params' sharding (jnp.zeros(shape))."""
    import jax
    import jax.numpy as jnp
    import optax

    def init(params):
        return jax.tree.map(lambda p: jnp.zeros(p.shape, p.dtype), params)

    def update(updates, state, params=None):
        del params
        state = jax.tree.map(lambda b, g: 0.9 * b + g, state, updates)
        return jax.tree.map(lambda b: -0.1 * b, state), state

    return optax.GradientTransformation(init, update)


def main() -> None:
    platforms = os.environ.get("JAX_PLATFORMS", "")
    if platforms in ("", "cpu"):  # simulated devices: the device-count flag is CPU-only
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_force_host_platform_device_count" not in flags:
            os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count=8".strip()
        os.environ["JAX_PLATFORMS"] = "cpu"
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from jax.sharding import AxisType, NamedSharding
    from jax.sharding import PartitionSpec as P

    jax.config.update("jax_numpy_dtype_promotion", "strict")
    jax.config.update("jax_numpy_rank_promotion", "raise")

    t_start = time.perf_counter()
    backend = jax.default_backend()
    assert jax.device_count() >= 8, jax.devices()
    mesh_devices = jax.devices()[:8]
    rtol = rtol_for(backend)

    # Parameters of a small two-layer model plus odd shapes; the spec says how each shards.
    specs = {
        "emb": P("data", None),  # (12, 6): rows over data
        "dense": {"w": P("data", "model"), "b": P("model")},  # (16, 8), (8,)
        "head": {"w": P("model", None), "b": P()},  # (8, 4) rows over model; (4,) replicated
        "odd": P(),  # (3,): not divisible, replicated
    }
    shapes = {"emb": (12, 6), "dense": {"w": (16, 8), "b": (8,)}, "head": {"w": (8, 4), "b": (4,)}}
    shapes["odd"] = (3,)
    rng = np.random.default_rng(0)
    is_shape = lambda x: isinstance(x, tuple) and all(isinstance(i, int) for i in x)  # noqa: E731
    params_np = jax.tree.map(
        lambda s: rng.standard_normal(s).astype(np.float32), shapes, is_leaf=is_shape
    )
    grads_np = [
        jax.tree.map(
            lambda s, t=t: (rng.standard_normal(s) * (1.0 + t)).astype(np.float32),
            shapes,
            is_leaf=is_shape,
        )
        for t in range(STEPS)
    ]
    losses = [1.0, 1.5, 2.0]  # worsening: the plateau case reduces its scale

    def path_tail_index(params):
        """Map param key path (tuple) -> param leaf."""
        leaves, _ = jax.tree_util.tree_flatten_with_path(params)
        return {tuple(path): leaf for path, leaf in leaves}

    def spec_of(x) -> str:
        s = x.sharding
        return str(s.spec) if isinstance(s, NamedSharding) else type(s).__name__

    def check_mirrors(where: str, params, state, problems: list[str]) -> int:
        """State leaves shard like the params they mirror; scalars replicated. Returns #checked."""
        index = path_tail_index(params)
        n = 0
        for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
            path = tuple(path)
            name = jax.tree_util.keystr(path)
            if leaf.ndim == 0:
                n += 1
                if not leaf.sharding.is_fully_replicated:
                    problems.append(f"{where}: scalar {name} is not replicated ({spec_of(leaf)})")
                continue
            match = [p for p in index if len(p) <= len(path) and path[len(path) - len(p) :] == p]
            if not match:
                problems.append(f"{where}: {name} {leaf.shape} mirrors no parameter")
                continue
            param = index[max(match, key=len)]
            n += 1
            if leaf.shape != param.shape:
                problems.append(f"{where}: {name} shape {leaf.shape} != param {param.shape}")
            elif not leaf.sharding.is_equivalent_to(param.sharding, leaf.ndim):
                problems.append(
                    f"{where}: {name} sharded {spec_of(leaf)}, its parameter {spec_of(param)}"
                )
        return n

    def make_step(tx, with_value: bool):
        def step(params, grads, state, loss):
            if with_value:
                updates, state = tx.update(grads, state, params, value=loss)
            else:
                updates, state = tx.update(grads, state, params)
            return optax.apply_updates(params, updates), state

        return jax.jit(step, donate_argnums=(0, 2))

    def run(tx, with_value, params, grads_list):
        state = tx.init(params)
        step = make_step(tx, with_value)
        for t in range(STEPS):
            params, state = step(params, grads_list[t], state, jnp.float32(losses[t]))
        return params, state

    def max_rel_diff(a_tree, b_tree) -> float:
        worst = 0.0
        for a, b in zip(jax.tree.leaves(a_tree), jax.tree.leaves(b_tree), strict=True):
            a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
            if a.shape != b.shape:
                return float("inf")
            if a.size:
                d = np.abs(a - b) / (ATOL / RTOL + np.abs(b))
                worst = max(worst, float(d.max()))
        return worst

    factories = _factories()
    results: dict[str, Any] = {}
    for name in CASE_NAMES:
        t0 = time.perf_counter()
        make, with_value = factories[name]
        res: dict[str, Any] = {"status": "ok", "problems": [], "checked": 0}
        try:
            ref_params, ref_state = run(make(), with_value, params_np, grads_np)
            problems: list[str] = res["problems"]
            diffs = {}
            for flavour in ("auto", "explicit"):
                axis = AxisType.Auto if flavour == "auto" else AxisType.Explicit
                mesh = jax.make_mesh(
                    (4, 2), ("data", "model"), axis_types=(axis, axis), devices=mesh_devices
                )
                shardings = jax.tree.map(
                    lambda s, mesh=mesh: NamedSharding(mesh, s),
                    specs,
                    is_leaf=lambda x: isinstance(x, P),
                )
                ctx = jax.set_mesh(mesh) if flavour == "explicit" else _nullcontext()
                with ctx:
                    params = jax.device_put(params_np, shardings)
                    grads = [jax.device_put(g, shardings) for g in grads_np]
                    tx = make()
                    res["checked"] += check_mirrors(
                        f"{flavour}/init", params, tx.init(params), problems
                    )
                    if flavour == "explicit":
                        res["checked"] += check_mirrors(
                            f"{flavour}/jit(init)", params, jax.jit(tx.init)(params), problems
                        )
                    out_params, out_state = run(tx, with_value, params, grads)
                    res["checked"] += check_mirrors(
                        f"{flavour}/after {STEPS} steps", params, out_state, problems
                    )
                    for path, leaf in jax.tree_util.tree_flatten_with_path(out_params)[0]:
                        orig = path_tail_index(params)[tuple(path)]
                        if not leaf.sharding.is_equivalent_to(orig.sharding, leaf.ndim):
                            problems.append(
                                f"{flavour}: param {jax.tree_util.keystr(tuple(path))} became "
                                f"{spec_of(leaf)}, was {spec_of(orig)}"
                            )
                    diffs[flavour] = max(
                        max_rel_diff(out_params, ref_params), max_rel_diff(out_state, ref_state)
                    )
            res["max_rel_diff"] = diffs
            if max(diffs.values()) > rtol:
                problems.append(f"results differ from the unsharded run: {diffs} > {rtol}")
            if problems:
                res["status"] = "fail"
        except Exception as e:  # reported to the test, which fails on it
            res = {"status": "error", "error": f"{type(e).__name__}: {e}"}
            res["traceback"] = traceback.format_exc()[-3000:]
        res["seconds"] = round(time.perf_counter() - t0, 2)
        results[name] = res
    out = {
        "backend": backend,
        "devices": len(mesh_devices),
        "rtol": rtol,
        "seconds": round(time.perf_counter() - t_start, 2),
        "cases": results,
    }
    print(json.dumps(out))


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    main()
