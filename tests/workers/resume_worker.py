"""Worker for tests/test_resume.py: train, checkpoint, and resume in separate processes.

    python tests/workers/resume_worker.py first  DIR   # full run, and a half run saved to DIR
    python tests/workers/resume_worker.py second DIR   # fresh process: restore from DIR, finish

Every case builds its optimizer from a schedule *config* (saved beside the state as JSON,
rebuilt with ``lrx.schedule_from_config`` in the second process), trains a small
least-squares problem with one jitted, buffer-donating step, observes a plateau metric
every few steps, and (for guarded cases) gets NaN gradients injected at fixed steps.
The first process writes the uninterrupted run's final params and the checkpoint of the
run stopped halfway (flax.serialization bytes and an orbax checkpoint); the second
restores both and finishes. The test compares the bytes of the final params.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrx

TOTAL, HALF, OBSERVE_EVERY = 40, 17, 5
NAN_STEPS = {3, 11, 12, 25}  # guarded cases only; 11 and 12 straddle nothing, 25 is after HALF


def schedules() -> dict[str, lrx.Schedule]:
    return {
        "const": lrx.constant(value=0.05),
        "wsd": lrx.warmup_stable_decay(
            peak_value=0.05, warmup_steps=5, stable_steps=10, decay_steps=25, decay="sqrt"
        ),
        "one_cycle": lrx.one_cycle(max_lr=0.1, total_steps=TOTAL),
        "restarts": lrx.cosine_warm_restarts(init_value=0.05, T_0=7, T_mult=2, eta_min=1e-4),
        "cyclic": lrx.per_epoch(
            schedule=lrx.cyclical(base_lr=0.001, max_lr=0.05, step_size_up=2, mode="triangular2"),
            steps_per_epoch=3,
        ),
        "seq": lrx.sequence(
            schedules=[
                lrx.warmup(
                    schedule=lrx.exponential_decay(
                        init_value=0.05, transition_steps=1, decay_rate=0.9
                    ),
                    warmup_steps=4,
                ),
                lrx.step_decay(init_value=0.02, step_size=5, gamma=0.5),
            ],
            boundaries=[20],
        ),
    }


def build(case: str, sched: lrx.Schedule) -> optax.GradientTransformation:
    """Optimizer for ``case``; every one has a schedule, most a plateau or a partition."""
    plateau = lrx.reduce_on_plateau(factor=0.5, patience=1)
    if case == "sgd_momentum":
        return lrx.chain(lrx.sgd(learning_rate=sched, momentum=0.9, nesterov=True), plateau)
    if case == "adagrad":
        return lrx.chain(lrx.adagrad(learning_rate=sched, initial_accumulator_value=0.1), plateau)
    if case == "rmsprop":
        return lrx.chain(lrx.rmsprop(learning_rate=sched, centered=True, momentum=0.5), plateau)
    if case == "adam":
        return lrx.chain(
            lrx.clip_by_global_norm(max_norm=1.0),
            lrx.adam(learning_rate=sched, amsgrad=True),
            plateau,
        )
    if case == "adamw_partition":
        return lrx.partition(
            {
                "w": lrx.chain(lrx.adamw(learning_rate=sched, weight_decay=0.1), plateau),
                "b": lrx.sgd(learning_rate=0.01),
            },
            patterns={"**/w": "w", "**": "b"},
        )
    if case == "guarded_adam":
        return lrx.skip_nonfinite(
            lrx.chain(lrx.adam(learning_rate=sched), plateau), max_consecutive=3
        )
    if case == "torch_rmsprop":
        return lrx.chain(lrx.compat.torch.rmsprop(lr=sched, alpha=0.9, momentum=0.3), plateau)
    if case == "layerwise":
        return lrx.layerwise_decay(
            lrx.adam, learning_rate=sched, decay=0.5, layers=["layer0/**", "layer1/**"]
        )
    raise KeyError(case)


CASES = {
    "sgd_momentum": "const",
    "adagrad": "restarts",
    "rmsprop": "cyclic",
    "adam": "wsd",
    "adamw_partition": "one_cycle",
    "guarded_adam": "seq",
    "torch_rmsprop": "wsd",
    "layerwise": "seq",
}


def problem():
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(32, 4)), jnp.float32)
    y = jnp.asarray(rng.normal(size=(32, 2)), jnp.float32)
    params = {
        "layer0": {"w": jnp.asarray(rng.normal(size=(4, 3)), jnp.float32), "b": jnp.zeros(3)},
        "layer1": {"w": jnp.asarray(rng.normal(size=(3, 2)), jnp.float32), "b": jnp.zeros(2)},
    }

    def loss(p):
        h = jnp.tanh(x @ p["layer0"]["w"] + p["layer0"]["b"])
        return jnp.mean((h @ p["layer1"]["w"] + p["layer1"]["b"] - y) ** 2)

    return params, loss


def make_step(tx, loss):
    def step(params, state, poison):
        value, grads = jax.value_and_grad(loss)(params)
        grads = jax.tree.map(lambda g: jnp.where(poison, jnp.nan, g), grads)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value

    return jax.jit(step, donate_argnums=(0, 1))


_observe = jax.jit(lrx.observe)


def run(case, step, params, state, start, stop):
    guarded = case == "guarded_adam"
    for t in range(start, stop):
        poison = jnp.asarray(guarded and t in NAN_STEPS)
        params, state, value = step(params, state, poison)
        if (t + 1) % OBSERVE_EVERY == 0 and case != "layerwise":
            state = _observe(state, value)
    return params, state


def first(out: pathlib.Path) -> None:
    import orbax.checkpoint as ocp

    scheds = schedules()
    for case, sname in CASES.items():
        tx = build(case, scheds[sname])
        params0, loss = problem()
        step = make_step(tx, loss)
        full, _ = run(case, step, params0, tx.init(params0), 0, TOTAL)
        params0, _ = problem()
        half_p, half_s = run(case, step, params0, tx.init(params0), 0, HALF)
        d = out / case
        d.mkdir(parents=True)
        (d / "full.bin").write_bytes(flax.serialization.to_bytes(full))
        (d / "schedule.json").write_text(json.dumps(scheds[sname].to_config()))
        (d / "state.msgpack").write_bytes(flax.serialization.to_bytes((half_p, half_s)))
        ckptr = ocp.StandardCheckpointer()
        ckptr.save((d / "orbax").absolute(), {"params": half_p, "opt_state": half_s})
        ckptr.wait_until_finished()
        ckptr.close()


def second(out: pathlib.Path) -> None:
    import orbax.checkpoint as ocp

    report = {}
    for case in CASES:
        d = out / case
        sched = lrx.schedule_from_config(json.loads((d / "schedule.json").read_text()))
        tx = build(case, sched)
        template_p, loss = problem()
        template = (template_p, tx.init(template_p))
        step = make_step(tx, loss)
        full = flax.serialization.from_bytes(template_p, (d / "full.bin").read_bytes())
        results = {}
        # flax.serialization
        p, s = flax.serialization.from_bytes(template, (d / "state.msgpack").read_bytes())
        results["flax"] = run(case, step, p, s, HALF, TOTAL)[0]
        # orbax
        ckptr = ocp.StandardCheckpointer()
        abstract = jax.tree.map(
            ocp.utils.to_shape_dtype_struct, {"params": template[0], "opt_state": template[1]}
        )
        restored = ckptr.restore((d / "orbax").absolute(), abstract)
        ckptr.close()
        restored_state = jax.tree.unflatten(
            jax.tree.structure(template[1]), jax.tree.leaves(restored["opt_state"])
        )
        results["orbax"] = run(case, step, restored["params"], restored_state, HALF, TOTAL)[0]
        report[case] = {
            how: all(
                np.asarray(a).tobytes() == np.asarray(b).tobytes()
                for a, b in zip(jax.tree.leaves(p_end), jax.tree.leaves(full), strict=True)
            )
            for how, p_end in results.items()
        }
    print(json.dumps(report))


if __name__ == "__main__":
    {"first": first, "second": second}[sys.argv[1]](pathlib.Path(sys.argv[2]))
