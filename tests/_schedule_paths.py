"""Shared helpers for schedule tests: both evaluation paths, and independent references.

A user meets a schedule on two paths that compile differently:

* ``s.values(n)`` (and any ``jit`` taking the schedule as an argument): every field is a
  traced argument;
* a jitted training step that closes over the schedule (``lrx.sgd(s)`` inside ``jax.jit``):
  every field is a compile-time constant, and XLA may fold and rewrite the arithmetic
  (a division by a constant becomes a multiplication by its reciprocal).

:func:`schedule_paths` returns the values of both, and :func:`assert_schedule_close`
compares both with a reference at every count: a test that compares with a peer or a
reference should use it, so the code training runs is the code the test checks.

:func:`sgdr_cycle` is an independent reference for the SGDR cycle of a count (Loshchilov &
Hutter 2017, with a real ``T_mult`` as Keras allows): closed form plus exact rational
correction, no lrx code.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["assert_schedule_close", "schedule_paths", "sgdr_cycle"]


def schedule_paths(schedule: Any, n: int) -> dict[str, np.ndarray]:
    """Values at counts ``0 .. n - 1`` on the paths a user hits.

    ``values``: ``schedule.values(n)`` (fields traced); ``closure``: a jitted function that
    closes over the schedule (fields constant) called on the int32 counts; ``step``: the
    same closure called on one scalar int32 count at a time (as in an optimizer state), for
    at most 16 counts spread over the range (the ends included).
    """
    counts = jnp.arange(n, dtype=jnp.int32)
    closure = jax.jit(lambda c: schedule(c))
    out = {
        "values": np.asarray(schedule.values(n)),
        "closure": np.asarray(closure(counts)),
    }
    idx = np.unique(np.linspace(0, n - 1, num=min(n, 16)).astype(np.int64))
    step = jax.jit(lambda c: schedule(c))
    scalar = np.full(n, np.nan, np.float32)
    for i in idx:
        scalar[i] = float(step(jnp.int32(i)))
    out["step"] = scalar
    return out


def assert_schedule_close(
    schedule: Any,
    expected: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 0.0,
    err_msg: str = "",
) -> dict[str, np.ndarray]:
    """Assert both paths of :func:`schedule_paths` equal ``expected`` at every count."""
    expected = np.asarray(expected, np.float64)
    paths = schedule_paths(schedule, expected.shape[0])
    for name, got in paths.items():
        mask = ~np.isnan(got)
        assert mask.any(), name
        np.testing.assert_allclose(
            got[mask],
            expected[mask],
            rtol=rtol,
            atol=atol,
            err_msg=f"{err_msg} (path: {name})",
        )
    return paths


def sgdr_cycle(t: Any, T_0: int, T_mult: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cycle index, position and length of integer counts ``t`` in SGDR's cycles.

    Cycle ``i`` lasts ``T_i = T_0 * T_mult**i`` and starts at
    ``S_i = T_0 * (T_mult**i - 1) / (T_mult - 1)`` (``i * T_0`` for ``T_mult = 1``); a
    count ``t`` is in cycle ``i`` when ``S_i <= t < S_{i+1}``, at position ``t - S_i``. The
    index comes from the closed form ``i = floor(log(1 + t (T_mult - 1) / T_0) /
    log(T_mult))`` (Keras' ``CosineDecayRestarts``) and is then corrected with exact
    rational arithmetic on ``T_mult``'s float value, so it is right at every boundary.
    """
    t = np.asarray(t, np.int64)
    n = np.empty(t.shape, np.int64)
    pos = np.empty(t.shape, np.float64)
    length = np.empty(t.shape, np.float64)
    m = Fraction(T_mult)
    for j, count in np.ndenumerate(t):
        c = int(count)
        if m == 1:
            i = c // T_0
            n[j], pos[j], length[j] = i, float(c - i * T_0), float(T_0)
            continue

        def start(k: int) -> Fraction:
            return T_0 * (m**k - 1) / (m - 1)

        i = math.floor(math.log1p(c * (float(m) - 1.0) / T_0) / math.log(float(m)))
        i = max(i, 0)
        while i > 0 and start(i) > c:
            i -= 1
        while start(i + 1) <= c:
            i += 1
        n[j] = i
        pos[j] = float(c - start(i))
        length[j] = float(T_0 * m**i)
    return n, pos, length
