"""``assert_trajectories_close``: where and when two runs part, not only that they do."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

__all__ = ["assert_trajectories_close"]

_FULL_TABLE = 20  # at most this many steps: every step is a row of the table


def _wide(x: Any) -> np.ndarray:
    a: np.ndarray = np.asarray(x)
    return a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)


def _leaves(tree: Any, what: str) -> tuple[list[str], list[np.ndarray], Any]:
    flat, treedef = jax.tree_util.tree_flatten_with_path(tree)
    return (
        [f"{what}{jax.tree_util.keystr(p)}" for p, _ in flat],
        [_wide(x) for _, x in flat],
        treedef,
    )


class _Row:
    """The comparison of one array of one step (a params or updates leaf at step k)."""

    def __init__(self, name: str, a: np.ndarray, d: np.ndarray, rtol: float, atol: float):
        self.name = name
        diff = np.abs(a - d)
        both_nan = np.isnan(a) & np.isnan(d)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(diff == 0, 0.0, diff / np.abs(d))
            excess = np.where(diff == 0, 0.0, diff / (atol + rtol * np.abs(d)))
        rel = np.where(both_nan, 0.0, np.where(np.isnan(rel), np.inf, rel))
        excess = np.where(both_nan, 0.0, np.where(np.isnan(excess), np.inf, excess))
        self.max_rel = float(rel.max()) if rel.size else 0.0
        self.max_excess = float(excess.max()) if excess.size else 0.0
        self.failed = self.max_excess > 1
        if self.failed:
            idx = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.ndim else ()
            self.index = tuple(int(i) for i in idx)
            self.actual, self.desired = a[idx], d[idx]
            self.abs_err, self.rel_err = float(diff[idx]), float(rel[idx])


def _fmt(x: Any) -> str:
    x = complex(x) if np.iscomplexobj(x) else float(x)
    return repr(x)


def _rows_to_show(num_steps: int, first: int | None) -> list[int | None]:
    """Step indices of the table (``None``: an elided run of steps)."""
    if num_steps <= _FULL_TABLE:
        return list(range(num_steps))
    keep = {0, 1, 2, num_steps - 3, num_steps - 2, num_steps - 1}
    if first is not None:
        keep |= {k for k in range(first - 2, first + 3) if 0 <= k < num_steps}
    out: list[int | None] = []
    for k in sorted(keep):
        if out and out[-1] is not None and k != out[-1] + 1:
            out.append(None)
        out.append(k)
    return out


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2e}"


def assert_trajectories_close(
    actual: Any, desired: Any, *, rtol: float = 1e-5, atol: float = 1e-7
) -> None:
    """Assert two trajectories agree step by step: ``|actual - desired| <= atol + rtol |desired|``.

    Compares the params of every step (the initial ones included) and the updates when
    both trajectories have them (a :func:`torch_trajectory` has none), in float64
    (complex128 for complex values); NaN equals NaN. On failure the ``AssertionError``
    names the first step that differs and, in it, the leaf (its ``jax.tree_util.keystr``
    path) and element furthest outside the tolerance, with both values and the errors,
    then a table of the max relative error
    ``|actual - desired| / |desired|`` per step (all steps up to 20, else the first steps,
    those around the first failure and the last ones), which shows whether the runs part at
    step 0, drift slowly or blow up at one step. Failing steps are marked ``x``.

    Args:
        actual: a :class:`Trajectory` (the run under test).
        desired: a :class:`Trajectory` (the reference) with the same params structure and
            number of steps.
        rtol: relative tolerance (default 1e-5).
        atol: absolute tolerance (default 1e-7).

    Raises:
        AssertionError: when the structures, step counts or values differ.

    Example:
        >>> import numpy as np
        >>> from lrx.testing import Trajectory, assert_trajectories_close
        >>> a = Trajectory({"w": np.array([1.0, 0.9, 0.8])}, None, np.full(2, np.nan))
        >>> b = Trajectory({"w": np.array([1.0, 0.9, 0.7])}, None, np.full(2, np.nan))
        >>> assert_trajectories_close(a, a)
        >>> assert_trajectories_close(a, b)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        AssertionError: trajectories differ (rtol=1e-05, atol=1e-07): first at step 1, ...
    """
    names, a_params, a_def = _leaves(actual.params, "params")
    _, d_params, d_def = _leaves(desired.params, "params")
    if a_def != d_def:
        raise AssertionError(f"params structures differ:\n  actual:  {a_def}\n  desired: {d_def}")
    num_steps = a_params[0].shape[0] - 1 if a_params else 0
    d_steps = d_params[0].shape[0] - 1 if d_params else 0
    if num_steps != d_steps:
        raise AssertionError(f"step counts differ: actual {num_steps}, desired {d_steps}")
    for name, a, d in zip(names, a_params, d_params, strict=True):
        if a.shape != d.shape:
            raise AssertionError(f"{name}: shapes differ: actual {a.shape}, desired {d.shape}")
    compare_updates = actual.updates is not None and desired.updates is not None
    u_names: list[str] = []
    a_upd: list[np.ndarray] = []
    d_upd: list[np.ndarray] = []
    if compare_updates:
        u_names, a_upd, _ = _leaves(actual.updates, "updates")
        _, d_upd, _ = _leaves(desired.updates, "updates")
        if len(a_upd) != len(d_upd):
            raise AssertionError("updates structures differ")

    def rows(
        kind_names: list[str], a_list: list[np.ndarray], d_list: list[np.ndarray], k: int
    ) -> list[_Row]:
        return [
            _Row(n, a[k], d[k], rtol, atol)
            for n, a, d in zip(kind_names, a_list, d_list, strict=True)
        ]

    init = rows(names, a_params, d_params, 0)
    per_step = []  # (update rows, params-after rows) of each step
    for k in range(num_steps):
        upd = rows(u_names, a_upd, d_upd, k) if compare_updates else []
        per_step.append((upd, rows(names, a_params, d_params, k + 1)))

    failed_steps = [k for k, (u, p) in enumerate(per_step) if any(r.failed for r in u + p)]
    init_failed = any(r.failed for r in init)
    if not failed_steps and not init_failed:
        return

    if init_failed:
        where, culprit = "the initial params", max(init, key=lambda r: r.max_excess)
        after = ""
        first: int | None = None
    else:
        first = failed_steps[0]
        u, p = per_step[first]
        # the worst leaf of the first failing step (its updates before its params)
        culprit = max(u + p, key=lambda r: r.max_excess)
        after = " (after the step)" if culprit in p else ""
        where = f"step {first}"
    index = f", element {list(culprit.index)}" if culprit.index else ""
    lines = [
        f"trajectories differ (rtol={rtol:g}, atol={atol:g}): first at {where}, "
        f"{culprit.name}{index}{after}",
        f"  actual:  {_fmt(culprit.actual)}",
        f"  desired: {_fmt(culprit.desired)}",
        f"  abs. error {culprit.abs_err:.3g}, rel. error {culprit.rel_err:.3g}; "
        f"{len(failed_steps)} of {num_steps} steps differ",
        "max relative error per step (x: outside the tolerance):",
        f"  {'step':>6}  {'params':>9}  {'updates':>9}",
        f"  {'init':>6}  {_num(max(r.max_rel for r in init) if init else 0.0):>9}  {'-':>9}"
        + ("  x" if init_failed else ""),
    ]
    for row in _rows_to_show(num_steps, first):
        if row is None:
            lines.append(f"  {'...':>6}")
            continue
        k = row
        u, p = per_step[k]
        u_err = max((r.max_rel for r in u), default=None) if compare_updates else None
        p_err = max((r.max_rel for r in p), default=0.0)
        mark = "  x" if k in failed_steps else ""
        lines.append(f"  {k:>6}  {_num(p_err):>9}  {_num(u_err):>9}{mark}")
    raise AssertionError("\n".join(lines))
