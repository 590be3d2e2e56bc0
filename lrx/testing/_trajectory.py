"""``trajectory``: run a GradientTransformation over a gradient sequence, keep every step."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrx.introspect import learning_rate

__all__ = ["Trajectory", "trajectory"]

GradFn = Callable[[Any, Any], Any]
ExtraArgs = Mapping[str, Any] | Callable[[int], Mapping[str, Any]] | None


class Trajectory(NamedTuple):
    """Every step of one optimization run, as NumPy values.

    Attributes:
        params: the params pytree, each leaf with a leading axis of ``num_steps + 1``: the
            params before each step and, last, after the last step.
        updates: the updates pytree, each leaf with a leading axis of ``num_steps``
            (``params[k + 1] = params[k] + updates[k]``), or ``None`` when the run does
            not expose its updates.
        learning_rates: the learning rate each update used, shape ``(num_steps,)`` (a dict
            ``label -> array`` under :func:`lrx.partition`); NaN where it cannot be read.
    """

    params: Any
    updates: Any
    learning_rates: np.ndarray | dict[str, np.ndarray]

    @property
    def num_steps(self) -> int:
        """The number of updates in the run."""
        return int(jax.tree.leaves(self.params)[0].shape[0]) - 1


def num_steps_of(grads: Any, num_steps: int | None) -> int:
    """The number of steps of a gradient sequence (a pytree with a leading step axis or a
    callable, for which ``num_steps`` is required)."""
    if callable(grads):
        if num_steps is None:
            raise ValueError("num_steps is required when grads is a callable grads(params, step)")
        return _check_steps(num_steps)
    lengths = {int(np.shape(x)[0]) if np.ndim(x) else -1 for x in jax.tree.leaves(grads)}
    if not lengths:
        raise ValueError("grads has no leaves")
    if len(lengths) != 1 or -1 in lengths:
        raise ValueError(
            "every leaf of grads needs the same leading step axis, got leading sizes "
            f"{sorted(lengths)} (a scalar leaf has none)"
        )
    available = lengths.pop()
    if num_steps is None:
        return available
    if _check_steps(num_steps) > available:
        raise ValueError(f"num_steps={num_steps} exceeds the {available} steps of grads")
    return num_steps


def _check_steps(num_steps: int) -> int:
    if isinstance(num_steps, bool) or not isinstance(num_steps, int | np.integer) or num_steps < 0:
        raise ValueError(f"num_steps must be an int >= 0, got {num_steps!r}")
    return int(num_steps)


def extra_args_sequence(extra_args: ExtraArgs, num_steps: int) -> dict[str, Any] | None:
    """``extra_args`` as a dict of arrays with a leading step axis (or ``None``)."""
    if extra_args is None:
        return None
    if callable(extra_args):
        per_step = [dict(extra_args(k)) for k in range(num_steps)]
        keys = sorted(per_step[0]) if per_step else []
        return {key: np.stack([np.asarray(d[key]) for d in per_step]) for key in keys}
    return {
        k: np.broadcast_to(np.asarray(v), (num_steps, *np.shape(v))) for k, v in extra_args.items()
    }


def _read_lr(state: Any) -> Any:
    try:
        return learning_rate(state)
    except ValueError:
        return jnp.full([], jnp.nan, jnp.float32)


def make_step(tx: optax.GradientTransformation, grads: Any) -> Callable[..., Any]:
    """One step ``(params, state, k, grads_k, extra_k) -> (params, state, update, lr)``."""
    tx_extra = optax.with_extra_args_support(tx)

    def step(params: Any, state: Any, k: Any, g: Any, extra: dict[str, Any] | None) -> Any:
        if callable(grads):
            g = grads(params, k)
        updates, state = tx_extra.update(g, state, params, **(extra or {}))
        new_params = optax.apply_updates(params, updates)
        return new_params, state, updates, _read_lr(state)

    return step


def scan_fn(tx: optax.GradientTransformation, grads: Any, num_steps: int) -> Callable[..., Any]:
    """``(params, grads_xs, extra_xs) -> (params after each step, updates, learning rates)``:
    the whole run as one ``lax.scan`` (jit it, vmap it over params)."""
    step = make_step(tx, grads)

    def scan(params: Any, xs: Any, extra: Any) -> Any:
        def body(carry: Any, inputs: Any) -> Any:
            p, s = carry
            k, g, e = inputs
            p, s, u, lr = step(p, s, k, g, e)
            return (p, s), (p, u, lr)

        steps = jnp.arange(num_steps, dtype=jnp.int32)
        _, stacked = jax.lax.scan(body, (params, tx.init(params)), (steps, xs, extra))
        return stacked

    return scan


def grads_xs(grads: Any, num_steps: int) -> Any:
    """The scanned gradient sequence (``None`` for a closed-loop callable)."""
    return None if callable(grads) else jax.tree.map(lambda x: jnp.asarray(x)[:num_steps], grads)


def with_initial(params: Any, stacked: Any) -> Any:
    """Prepend the initial params to the params after each step."""
    return jax.tree.map(lambda p0, p: jnp.concatenate([jnp.asarray(p0)[None], p]), params, stacked)


def run(
    tx: optax.GradientTransformation,
    params: Any,
    grads: Any,
    num_steps: int,
    extra: dict[str, Any] | None,
    jit: bool,
) -> tuple[Any, Any, Any]:
    """The stacked ``(params, updates, learning_rates)`` of a run, as JAX arrays."""
    params = jax.tree.map(jnp.asarray, params)
    xs = grads_xs(grads, num_steps)
    if jit or num_steps == 0:  # (no step to loop over: the scan gives the empty stacks)
        scan = scan_fn(tx, grads, num_steps)
        ps, us, lrs = (jax.jit(scan) if jit else scan)(params, xs, extra)
    else:
        step = make_step(tx, grads)

        def at(tree: Any, k: int) -> Any:
            return None if tree is None else jax.tree.map(lambda x: x[k], tree)

        state = tx.init(params)
        p = params
        outs = []
        for k in range(num_steps):
            p, state, u, lr = step(p, state, k, at(xs, k), at(extra, k))
            outs.append((p, u, lr))
        ps, us, lrs = jax.tree.map(lambda *leaves: jnp.stack(leaves), *outs)
    return with_initial(params, ps), us, lrs


def to_numpy(params: Any, updates: Any, lrs: Any) -> Trajectory:
    """A Trajectory of NumPy arrays (learning rates as float64 arrays)."""
    if isinstance(lrs, Mapping):
        rates: np.ndarray | dict[str, np.ndarray] = {
            str(k): np.asarray(v, np.float64) for k, v in lrs.items()
        }
    else:
        rates = np.asarray(lrs, np.float64)
    return Trajectory(jax.tree.map(np.asarray, params), jax.tree.map(np.asarray, updates), rates)


def trajectory(
    tx: optax.GradientTransformation,
    params: Any,
    grads: Any | GradFn,
    *,
    num_steps: int | None = None,
    jit: bool = True,
    extra_args: ExtraArgs = None,
) -> Trajectory:
    """Run ``tx`` from ``params`` over a gradient sequence and return every step.

    Each step is ``updates, state = tx.update(g_k, state, params_k, **extra_k)``, then
    ``params_{k+1} = optax.apply_updates(params_k, updates)``, and the learning rate the
    update used is read with :func:`lrx.learning_rate` (NaN when the state holds none, e.g.
    a bare ``lrx.scale_by_adam()``).

    Args:
        tx: any ``optax.GradientTransformation`` (lrx's, optax's or your own).
        params: the initial params (a pytree of arrays; their dtypes are kept).
        grads: a pytree like ``params`` whose leaves have a leading step axis (open loop:
            ``grads`` leaf ``[k]`` is the gradient of step ``k``), or a callable
            ``grads(params, step) -> grads`` (closed loop, e.g. ``jax.grad(loss)`` of the
            current params); under ``jit=True`` the callable is traced (``step`` is an int32
            array), so write it with ``jax.numpy``.
        num_steps: the number of updates; defaults to the length of the ``grads`` sequence;
            required for a callable ``grads``.
        jit: ``True`` (default) runs all steps in one compiled ``lax.scan`` (compiled once);
            ``False`` runs a Python loop of eager updates.
        extra_args: extra keyword arguments of ``update`` (a transform that does not take
            them gets them dropped by ``optax.with_extra_args_support``): a dict passed to
            every step, or a callable ``step -> dict`` (called with Python ints ``0 ..
            num_steps - 1`` before the run) for per-step values such as the loss
            ``value=`` that :func:`lrx.reduce_on_plateau` or MoMo read.

    Returns:
        A :class:`Trajectory` of NumPy arrays.

    Example:
        >>> import jax.numpy as jnp, lrx, lrx.testing
        >>> traj = lrx.testing.trajectory(
        ...     lrx.sgd(0.5), jnp.ones(2), jnp.ones((3, 2)), jit=False
        ... )
        >>> traj.params[:, 0].tolist()  # before each step and after the last
        [1.0, 0.5, 0.0, -0.5]
        >>> traj.learning_rates.tolist()
        [0.5, 0.5, 0.5]
    """
    n = num_steps_of(grads, num_steps)
    extra = extra_args_sequence(extra_args, n)
    return to_numpy(*run(tx, params, grads, n, extra, jit))
