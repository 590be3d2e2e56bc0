"""``check_transform``: one transform against its reference, under every variant and backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax

from lrx.testing._assert import assert_trajectories_close
from lrx.testing._trajectory import (
    Trajectory,
    grads_xs,
    num_steps_of,
    run,
    scan_fn,
    to_numpy,
    with_initial,
)
from lrx.testing.reference import Step, reference_trajectory

__all__ = ["available_backends", "check_transform"]

VARIANTS = ("jit", "no_jit", "vmap")
_BATCH = 2  # members of the vmap variant's batch


def available_backends() -> list[str]:
    """The platforms among ``cpu``, ``gpu`` and ``tpu`` that have devices here."""
    found = []
    for backend in ("cpu", "gpu", "tpu"):
        try:
            if jax.devices(backend):
                found.append(backend)
        except RuntimeError:
            continue
    return found


def _vmapped(tx: optax.GradientTransformation, params: Any, grads: Any, n: int) -> list[Trajectory]:
    """A run of ``jax.vmap`` over a batch of copies of ``params``: one Trajectory per member."""
    params = jax.tree.map(jnp.asarray, params)
    batch = jax.tree.map(lambda p: jnp.stack([p] * _BATCH), params)
    scan = jax.jit(jax.vmap(scan_fn(tx, grads, n), in_axes=(0, None, None)))
    ps, us, lrs = scan(batch, grads_xs(grads, n), None)
    out = []
    for b in range(_BATCH):
        member = jax.tree.map(lambda x, b=b: x[b], (ps, us, lrs))
        out.append(to_numpy(with_initial(params, member[0]), member[1], member[2]))
    return out


def check_transform(
    tx: optax.GradientTransformation,
    desired: Trajectory | Step,
    params: Any,
    grads: Any,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    variants: Sequence[str] = ("jit", "no_jit"),
    backends: Sequence[str] | None = None,
) -> None:
    """Check ``tx`` against ``desired`` under each variant on each backend.

    Every (backend, variant) pair runs :func:`trajectory` of ``tx`` under
    ``jax.default_device`` of the backend's first device and compares it with ``desired``
    by :func:`assert_trajectories_close`. Variants: ``"jit"`` (one compiled scan),
    ``"no_jit"`` (a Python loop of eager updates), ``"vmap"`` (``jax.vmap`` of the whole
    run over a batch of two copies of ``params``: each member must match ``desired``).

    Args:
        tx: the transform under test.
        desired: a :class:`Trajectory`, or a reference step function (such as
            ``functools.partial(lrx.testing.reference.adam, learning_rate=0.1)``) run by
            :func:`~lrx.testing.reference.reference_trajectory` on the same params and grads.
        params: the initial params.
        grads: the gradient sequence (a pytree with a leading step axis) or a callable
            ``grads(params, step)``, as :func:`trajectory` (a callable needs ``desired``
            to be a Trajectory: it sets the number of steps).
        rtol: relative tolerance (default 1e-5).
        atol: absolute tolerance (default 1e-7).
        variants: a subset of ``("jit", "no_jit", "vmap")`` (default jit and no jit).
        backends: platform names (``"cpu"``, ``"gpu"``, ``"tpu"``); default every one with
            devices here.

    Raises:
        AssertionError: naming every failing variant and backend, each with the
            :func:`assert_trajectories_close` message.
        ValueError: for an unknown variant or a backend without devices.

    Example:
        >>> import functools, numpy as np, lrx
        >>> from lrx.testing import check_transform, reference
        >>> grads = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
        >>> check_transform(
        ...     lrx.adam(0.1),
        ...     functools.partial(reference.adam, learning_rate=0.1),
        ...     np.zeros(3, np.float32),
        ...     grads,
        ...     variants=("jit", "vmap"),
        ... )
    """
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        raise ValueError(f"variants must be a non-empty subset of {VARIANTS}, got {variants!r}")
    if backends is None:
        backends = available_backends()
    if isinstance(desired, Trajectory):
        want = desired
    else:
        if callable(grads):
            raise ValueError("a callable grads needs desired as a Trajectory (num_steps)")
        want = reference_trajectory(desired, params, grads, num_steps=num_steps_of(grads, None))
    steps = want.num_steps
    failures = []
    for backend in backends:
        try:
            device = jax.devices(backend)[0]
        except RuntimeError as err:
            raise ValueError(f"backend {backend!r} has no devices here: {err}") from err
        with jax.default_device(device):
            for variant in variants:
                if variant == "vmap":
                    runs = _vmapped(tx, params, grads, steps)
                else:
                    runs = [to_numpy(*run(tx, params, grads, steps, None, variant == "jit"))]
                for member, got in enumerate(runs):
                    try:
                        assert_trajectories_close(got, want, rtol=rtol, atol=atol)
                    except AssertionError as err:
                        who = f" (batch member {member})" if variant == "vmap" else ""
                        failures.append(
                            f"variant {variant!r}{who} on backend {backend!r} ({device}):\n{err}"
                        )
                        break
    if failures:
        raise AssertionError(
            f"check_transform: {len(failures)} failing run(s)\n\n" + "\n\n".join(failures)
        )
