"""Golden trajectories of DoG / L-DoG, COCOB and MoMo / MomoAdam from the authors' packages.

Run ``python tests/reference/gen_lr_free_dog_cocob_momo.py`` (needs torch, dog-optimizer
1.0.3, parameterfree 0.0.1 and momo-opt 0.1.0) to rewrite ``lr_free_dog_cocob_momo.json``.

Each run is closed loop on a problem of ``lr_free_problems.py``: at every step the
authors' optimizer gets the NumPy gradient (and, for MoMo, the loss) at its own iterate; the
whole parameter tree is one torch parameter group, tensors in JAX's leaf order (sorted
keys). Recorded: the flat parameters at ``CHECKPOINTS`` and the estimate after every step:

* DoG: ``eta`` (the authors' ``group['eta'][0]``); L-DoG: ``eta`` per tensor;
* COCOB: ``‖x − x0‖ / ‖Σ g‖`` from the authors' state (what ``lrx.learning_rate`` reports);
* MoMo / MomoAdam: ``τ``, recovered from the step (``τ = <x'_k − c x_{k+1}, s> / ‖s‖²``
  with ``s`` the authors' direction) and, with ``use_fstar``, the lower bound ``fstar``.

``meta.f32_noise`` is, per float32 run, the largest relative deviation of the authors'
float32 run from their float64 run (params over all steps, :func:`max_rel`): the scale of
the float32 tolerance. Float64 trajectories only are stored.
The live tests (``@pytest.mark.parity``) import :func:`torch_run` from here.
"""

from __future__ import annotations

import functools
import json
import pathlib
import sys
from typing import Any

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
if __package__ in (None, ""):
    sys.path.insert(0, str(HERE.parent.parent))

from tests.reference.lr_free_problems import PROBLEMS  # noqa: E402

STEPS = 60
CHECKPOINTS = (1, 2, 5, 10, 30, 60)
SIG = 10  # significant digits kept in the JSON (float64 tests compare at 1e-5)

# method -> config name -> the authors' keyword arguments
CONFIGS: dict[str, dict[str, dict[str, Any]]] = {
    "dog": {
        "defaults": {},
        "weight_decay": {"weight_decay": 1e-2},
        "reps_rel": {"reps_rel": 1e-4},
        "init_eta": {"init_eta": 1e-3},
        "lr": {"lr": 0.5},
    },
    "ldog": {
        "defaults": {},
        "weight_decay": {"weight_decay": 1e-2},
        "reps_rel": {"reps_rel": 1e-4},
        "init_eta": {"init_eta": 1e-3},
    },
    "cocob": {
        "defaults": {},
        "alpha": {"alpha": 10.0},
        "weight_decay": {"weight_decay": 1e-2},
        "eps": {"eps": 1e-4},
    },
    "momo": {
        "defaults": {},
        "lr": {"lr": 0.5},
        "weight_decay": {"weight_decay": 1e-2},
        "lb": {"lb": 0.01},
        "beta": {"beta": 0.95},
        "bias_correction": {"bias_correction": True},
        "use_fstar": {"use_fstar": True},
        "use_fstar_wd": {"use_fstar": True, "weight_decay": 1e-2, "lb": -1.0},
    },
    "momo_adam": {
        "defaults": {},
        "lr": {"lr": 0.1},
        "weight_decay": {"weight_decay": 1e-2},
        "weight_decay_adamw": {"weight_decay": 1e-2, "divide": False},
        "lb": {"lb": 0.01},
        "use_fstar": {"use_fstar": True},
        "use_fstar_wd": {"use_fstar": True, "weight_decay": 1e-2, "lb": -1.0},
    },
}
F32_CONFIGS = ("defaults", "weight_decay")

# the lrx names of the authors' arguments
RENAME = {"lr": "learning_rate"}


def lrx_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    """The authors' keyword arguments under lrx's names (``lr`` -> ``learning_rate``)."""
    return {RENAME.get(k, k): v for k, v in config.items()}


def _make(method: str, tensors: list[Any], config: dict[str, Any]) -> Any:
    if method in ("dog", "ldog"):
        import dog

        return (dog.DoG if method == "dog" else dog.LDoG)(tensors, **config)
    if method == "cocob":
        import parameterfree

        return parameterfree.COCOB(tensors, **config)
    import momo

    if method == "momo":
        return momo.Momo(tensors, **config)
    return momo.MomoAdam(tensors, **config)


def _momo_tau(method: str, opt: Any, before: list[Any], after: list[Any], cfg: dict) -> float:
    """The ``τ`` the authors' MoMo step applied, recovered from the step it took."""
    import torch

    group = opt.param_groups[0]
    lr, lmbda = group["lr"], group["weight_decay"]
    num = den = 0.0
    for p, x0, x1 in zip(group["params"], before, after, strict=True):
        st = opt.state[p]
        if method == "momo":
            s = st["grad_avg"]
        else:
            b2 = group["betas"][1]
            dk = st["grad_avg_sq"].div(1 - b2 ** st["step"]).sqrt().add(group["eps"])
            s = st["grad_avg"] / dk
        xk = x0.clone()
        xn = x1.clone()
        if lmbda > 0:
            if method == "momo_adam" and not cfg.get("divide", True):
                xk = xk * (1 - lmbda * lr)
            else:
                xn = xn * (1 + lr * lmbda)
        num += float(torch.sum((xk - xn) * s))
        den += float(torch.sum(s * s))
    return num / den if den > 0 else 0.0


def torch_run(
    method: str, config: dict[str, Any], problem: str, dtype: str, steps: int = STEPS
) -> dict[str, Any]:
    """The authors' closed-loop run: flat params per step (``steps + 1`` rows) and estimates."""
    import torch

    default = torch.get_default_dtype()
    # MoMo creates its <g, x> averages with torch's default dtype: run in the params' dtype
    torch.set_default_dtype(torch.float64 if dtype == "float64" else torch.float32)
    try:
        return _torch_run(method, config, problem, dtype, steps)
    finally:
        torch.set_default_dtype(default)


def _torch_run(
    method: str, config: dict[str, Any], problem: str, dtype: str, steps: int
) -> dict[str, Any]:
    import torch

    prob = PROBLEMS[problem]
    np_dtype = np.dtype(dtype)
    init = prob.init(np_dtype)
    names = sorted(init)
    tensors = [torch.tensor(np.asarray(init[n], np_dtype)) for n in names]
    opt = _make(method, tensors, config)

    def flat() -> np.ndarray:
        return np.concatenate([t.detach().numpy().reshape(-1) for t in tensors]).astype(np.float64)

    params = [flat()]
    est: list[Any] = []
    fstar: list[float] = []
    for _ in range(steps):
        p_np = {n: t.detach().numpy().copy() for n, t in zip(names, tensors, strict=True)}
        grads = prob.grad_np(p_np)
        for n, t in zip(names, tensors, strict=True):
            t.grad = torch.tensor(np.asarray(grads[n], np_dtype))
        before = [t.detach().clone() for t in tensors]
        if method in ("momo", "momo_adam"):
            loss = torch.tensor(np.asarray(prob.loss_np(p_np), np_dtype))
            opt.step(loss=loss)
            est.append(_momo_tau(method, opt, before, [t.detach() for t in tensors], config))
            if config.get("use_fstar"):
                fstar.append(float(opt.state["fstar"]))
        else:
            opt.step()
            group = opt.param_groups[0]
            if method == "dog":
                est.append(float(group["eta"][0]))
            elif method == "ldog":
                est.append([float(e) for e in group["eta"]])
            else:  # cocob: ‖x − x0‖ / ‖Σ g‖
                num = den = 0.0
                for t in tensors:
                    st = opt.state[t]
                    num += float(torch.sum((t.detach() - st["x0"]).double() ** 2))
                    den += float(torch.sum(st["sum_negative_gradients"].double() ** 2))
                est.append(float(np.sqrt(num / den)) if den > 0 else float("nan"))
        params.append(flat())
    out: dict[str, Any] = {"params": np.stack(params), "estimate": np.asarray(est, np.float64)}
    if fstar:
        out["fstar"] = np.asarray(fstar, np.float64)
    return out


_JITTED: dict[Any, Any] = {}


def _lrx_scan(method: str, static: tuple[tuple[str, Any], ...], problem: str, steps: int) -> Any:
    """A jitted closed-loop run of lrx's ``method``, vmapped over its numeric hyperparameters."""
    key = (method, static, problem, steps)
    if key in _JITTED:
        return _JITTED[key]
    import jax
    import jax.numpy as jnp
    import optax

    import lrx

    factory = getattr(lrx, method)
    loss_fn = PROBLEMS[problem].loss_jax
    reads_loss = method in ("momo", "momo_adam")

    def one(hp: dict[str, Any], params: Any) -> Any:
        tx = factory(**dict(static), **hp)
        state = tx.init(params)

        def body(carry: Any, _: Any) -> Any:
            p, s = carry
            loss, g = jax.value_and_grad(loss_fn)(p)
            u, s = tx.update(g, s, p, value=loss) if reads_loss else tx.update(g, s, p)
            p = optax.apply_updates(p, u)
            if method == "dog":
                est = s.eta
            elif method == "ldog":
                est = jnp.stack(jax.tree.leaves(s.eta))
            elif method == "cocob":
                est = s.lrx_learning_rate(False)
            else:
                est = jnp.stack([s.tau, s.lb.astype(s.tau.dtype)])
            flat = jnp.concatenate([x.reshape(-1) for x in jax.tree.leaves(p)])
            return (p, s), (flat, est)

        _, out = jax.lax.scan(body, (params, state), None, length=steps)
        return out

    fn = jax.jit(jax.vmap(one, in_axes=(0, None)))
    _JITTED[key] = fn
    return fn


def lrx_run(
    method: str, configs: list[dict[str, Any]], problem: str, dtype: str, steps: int = STEPS
) -> list[dict[str, Any]]:
    """lrx's closed-loop runs of ``configs`` (the authors' keyword arguments), like
    :func:`torch_run`: configurations with the same static flags run as one vmapped program
    (float64 needs ``jax.enable_x64``)."""
    import inspect

    import jax.numpy as jnp

    import lrx

    factory = getattr(lrx, method)
    defaults = {k: p.default for k, p in inspect.signature(factory).parameters.items()}
    groups: dict[Any, list[tuple[int, dict[str, Any]]]] = {}
    for i, config in enumerate(configs):
        bound = defaults | lrx_kwargs(config)
        static = tuple(sorted((k, v) for k, v in bound.items() if v is None or isinstance(v, bool)))
        numeric = {k: v for k, v in bound.items() if not (v is None or isinstance(v, bool))}
        groups.setdefault(static, []).append((i, numeric))
    init = PROBLEMS[problem].init(np.dtype(dtype))
    params = {k: jnp.asarray(v) for k, v in init.items()}
    flat0 = np.concatenate([np.asarray(params[k], np.float64).reshape(-1) for k in sorted(params)])
    results: list[dict[str, Any]] = [{} for _ in configs]
    for static, members in groups.items():
        hp = {k: jnp.asarray([m[1][k] for m in members], dtype) for k in members[0][1]}
        flats, ests = _lrx_scan(method, static, problem, steps)(hp, params)
        flats, ests = np.asarray(flats, np.float64), np.asarray(ests, np.float64)
        for j, (i, _) in enumerate(members):
            r: dict[str, Any] = {
                "params": np.concatenate([flat0[None], flats[j]]),
                "estimate": ests[j],
            }
            if method in ("momo", "momo_adam"):
                r["estimate"], r["fstar"] = ests[j][:, 0], ests[j][:, 1]
            results[i] = r
    return results


def _round(x: Any) -> Any:
    return [float(f"{v:.{SIG}g}") for v in np.asarray(x, np.float64).reshape(-1)]


def max_rel(a: np.ndarray, b: np.ndarray) -> float:
    """The largest ``|a − b| / (|b| + 1e-6)`` (the deviation measure of the tests and docs)."""
    return float(np.max(np.abs(a - b) / (np.abs(b) + 1e-6)))


@functools.cache
def lrx_runs(method: str, problem: str, dtype: str, configs: tuple[str, ...]) -> dict[str, Any]:
    """lrx's runs of the named configurations of ``method`` (cached: one compile per group)."""
    import jax

    # the MLP's bias adds broadcast (x @ w1 + b1): allowed here, whatever the test config
    with jax.enable_x64(dtype == "float64"), jax.numpy_rank_promotion("allow"):
        runs = lrx_run(method, [CONFIGS[method][c] for c in configs], problem, dtype)
    return dict(zip(configs, runs, strict=True))


def golden_check(method: str, problem: str, dtype: str) -> dict[str, float]:
    """Compare lrx with the committed authors' float64 run of every configuration.

    Float64: params (at the checkpoints) and the estimate (every step) within 1e-5
    relative (``max_rel``). Float32 (configurations of ``F32_CONFIGS``): params within
    four times the authors' own float32 deviation from their float64 run (``meta.f32_noise``),
    at least 1e-5. Raises ``AssertionError``; returns the deviations measured.
    """
    from tests.reference.golden import load

    golden = load("lr_free_dog_cocob_momo")
    names = tuple(CONFIGS[method]) if dtype == "float64" else F32_CONFIGS
    ours = lrx_runs(method, problem, dtype, names)
    checkpoints = list(golden["meta"]["checkpoints"])
    found: dict[str, float] = {}
    for cname in names:
        key = f"{method}/{cname}/{problem}"
        ref = golden["runs"][key]
        got = ours[cname]
        dev = max_rel(got["params"][checkpoints], np.asarray(ref["params"]))
        if dtype == "float64":
            est = max_rel(np.asarray(got["estimate"]).reshape(-1), np.asarray(ref["estimate"]))
            if "fstar" in ref:
                est = max(est, max_rel(got["fstar"], np.asarray(ref["fstar"])))
            found[cname] = max(dev, est)
            assert dev <= 1e-5 and est <= 1e-5, (key, dtype, dev, est)
        else:
            tol = max(4 * golden["meta"]["f32_noise"][key], 1e-5)
            found[cname] = dev
            assert dev <= tol, (key, dtype, dev, tol)
    return found


def live_check(method: str, problem: str, dtype: str) -> dict[str, float]:
    """Compare lrx with the authors' package run now, at every step.

    Float64: params and estimate within 1e-5 relative at every step. Float32: lrx's float32
    params within four times the authors' float32-vs-float64 deviation (at least 1e-5) of the
    authors' float64 run. Returns the deviations (float32: from the authors' float32 run).
    """
    names = tuple(CONFIGS[method]) if dtype == "float64" else F32_CONFIGS
    ours = lrx_runs(method, problem, dtype, names)
    found: dict[str, float] = {}
    for cname in names:
        ref = torch_run(method, CONFIGS[method][cname], problem, dtype)
        got = ours[cname]
        dev = max_rel(got["params"], ref["params"])
        if dtype == "float64":
            est = max_rel(np.asarray(got["estimate"]).reshape(-1), ref["estimate"].reshape(-1))
            if "fstar" in ref:
                est = max(est, max_rel(got["fstar"], ref["fstar"]))
            found[cname] = max(dev, est)
            assert dev <= 1e-5 and est <= 1e-5, (method, cname, problem, dev, est)
        else:  # as far from the exact (float64) run as the authors' float32 run is, or less
            ref64 = torch_run(method, CONFIGS[method][cname], problem, "float64")
            tol = max(4 * max_rel(ref["params"], ref64["params"]), 1e-5)
            dev64 = max_rel(got["params"], ref64["params"])
            found[cname] = dev
            assert dev64 <= tol, (method, cname, problem, dev64, tol)
    return found


def generate() -> dict[str, Any]:
    import dog
    import momo
    import parameterfree
    import torch

    torch.set_num_threads(1)
    runs: dict[str, Any] = {}
    noise: dict[str, float] = {}
    for method, configs in CONFIGS.items():
        for cname, config in configs.items():
            for problem in PROBLEMS:
                r = torch_run(method, config, problem, "float64")
                assert np.all(np.isfinite(r["params"])), (method, cname, problem)
                key = f"{method}/{cname}/{problem}"
                entry = {
                    "params": [_round(r["params"][c]) for c in CHECKPOINTS],
                    "estimate": _round(r["estimate"]),
                }
                if "fstar" in r:
                    entry["fstar"] = _round(r["fstar"])
                runs[key] = entry
                if cname in F32_CONFIGS:
                    r32 = torch_run(method, config, problem, "float32")
                    noise[key] = max_rel(r32["params"], r["params"])
    meta = {
        "steps": STEPS,
        "checkpoints": list(CHECKPOINTS),
        "configs": CONFIGS,
        "f32_noise": {k: float(f"{v:.3g}") for k, v in noise.items()},
        "versions": {
            "torch": torch.__version__.split("+")[0],
            "dog-optimizer": dog.DoG.__version__,
            "parameterfree": getattr(parameterfree, "__version__", "0.0.1"),
            "momo-opt": getattr(momo, "__version__", "0.1.0"),
        },
    }
    return {"meta": meta, "runs": runs}


def main() -> None:
    data = generate()
    path = HERE / "lr_free_dog_cocob_momo.json"
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB, {len(data['runs'])} runs)")


if __name__ == "__main__":
    main()
