"""``torch_trajectory``: the same Trajectory for a torch.optim optimizer (torch imported lazily)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from lrx.testing._trajectory import Trajectory, num_steps_of

__all__ = ["torch_trajectory"]


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            'lrx.testing.torch_trajectory needs torch: pip install "lrx[parity]"'
        ) from err
    return torch


def _numpy_dtype(dtype: Any) -> np.dtype[Any]:
    if dtype is None:
        return np.dtype(np.float32)
    name = str(dtype).removeprefix("torch.")
    if name not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return np.dtype(name)


def _leaf_dtype(x: Any, real: np.dtype[Any]) -> np.dtype[Any]:
    """``real``, or its complex counterpart for a complex leaf."""
    if np.iscomplexobj(x):
        return np.dtype(np.complex64 if real == np.float32 else np.complex128)
    return real


def torch_trajectory(
    make_optimizer: Callable[[list[Any]], Any],
    params: Any,
    grads: Any,
    *,
    make_scheduler: Callable[[Any], Any] | None = None,
    metrics: Sequence[float] | None = None,
    num_steps: int | None = None,
    dtype: Any = None,
) -> Trajectory:
    """Run a torch.optim optimizer over the same gradients and return its :class:`Trajectory`.

    The params' leaves become ``torch.nn.Parameter`` copies (in ``jax.tree.leaves`` order,
    so the returned params keep the leaf paths of ``params``); each step sets every
    ``.grad`` and calls ``optimizer.step()``, then ``scheduler.step()``.

    Args:
        make_optimizer: ``list_of_tensors -> optimizer``, e.g.
            ``lambda ps: torch.optim.Adam(ps, lr=1e-3)``.
        params: the initial params (a pytree of arrays).
        grads: a pytree like ``params`` whose leaves have a leading step axis, or a
            callable ``grads(params, step) -> grads`` called with the current params as
            NumPy arrays (of ``dtype``) and the Python int step (needs ``num_steps``).
        make_scheduler: optional ``optimizer -> scheduler`` (a ``torch.optim.lr_scheduler``),
            stepped after every update.
        metrics: for a scheduler that needs a metric (``ReduceLROnPlateau``): one value per
            update; after update ``k`` the scheduler is stepped with ``metrics[k]``, so
            (torch's order) ``metrics[k]`` can only change the rate of update ``k + 1``
            onwards. It is ``lrx.reduce_on_plateau``'s ``value=`` of update ``k + 1``.
        num_steps: the number of updates (default: the length of ``grads``).
        dtype: ``"float32"`` (default) or ``"float64"`` (a NumPy or torch dtype works too);
            complex leaves become complex64 or complex128 (torch optimizes them as
            ``view_as_real`` pairs).

    Returns:
        A :class:`Trajectory`: params before each step and after the last (NumPy, of
        ``dtype``), ``updates=None`` (the difference of float32 params would not be the
        update torch computed; :func:`assert_trajectories_close` then compares params
        only), and the learning rates the updates used (``param_groups[i]["lr"]`` before
        each step: an array, or a dict ``"0", "1", ...`` for several groups).

    Raises:
        ImportError: without torch (``pip install "lrx[parity]"``).

    Example:
        >>> import numpy as np, torch
        >>> from lrx.testing import torch_trajectory
        >>> traj = torch_trajectory(
        ...     lambda ps: torch.optim.SGD(ps, lr=0.5), {"w": np.ones(2)}, {"w": np.ones((3, 2))}
        ... )
        >>> traj.params["w"][:, 0].tolist()
        [1.0, 0.5, 0.0, -0.5]
    """
    torch = _import_torch()
    np_dtype = _numpy_dtype(dtype)
    n = num_steps_of(grads, num_steps)
    if metrics is not None:
        if make_scheduler is None:
            raise ValueError("metrics needs a scheduler: pass make_scheduler")
        if len(metrics) != n:
            raise ValueError(f"metrics needs one value per update ({n}), got {len(metrics)}")
    leaves, treedef = jax.tree.flatten(params)
    dtypes = [_leaf_dtype(x, np_dtype) for x in leaves]
    tensors = [
        torch.nn.Parameter(torch.tensor(np.array(x, d)))
        for x, d in zip(leaves, dtypes, strict=True)
    ]
    optimizer = make_optimizer(tensors)
    scheduler = make_scheduler(optimizer) if make_scheduler is not None else None

    def current() -> list[np.ndarray]:
        return [t.detach().numpy().copy() for t in tensors]

    history = [current()]
    rates: list[list[float]] = []
    for k in range(n):
        if callable(grads):
            g = jax.tree.leaves(grads(jax.tree.unflatten(treedef, history[-1]), k))
        else:
            g = [np.asarray(x)[k] for x in jax.tree.leaves(grads)]
        for t, gi, d in zip(tensors, g, dtypes, strict=True):
            t.grad = torch.tensor(np.array(gi, d))
        rates.append([float(group["lr"]) for group in optimizer.param_groups])
        optimizer.step()
        if scheduler is not None:
            if metrics is None:
                scheduler.step()
            else:
                scheduler.step(metrics[k])
        history.append(current())
    stacked = [np.stack([h[i] for h in history]) for i in range(len(leaves))]
    per_group = np.array(rates, np.float64).reshape(n, len(optimizer.param_groups))
    lrs: np.ndarray | dict[str, np.ndarray] = (
        per_group[:, 0]
        if per_group.shape[1] == 1
        else {str(i): per_group[:, i] for i in range(per_group.shape[1])}
    )
    return Trajectory(jax.tree.unflatten(treedef, stacked), None, lrs)
