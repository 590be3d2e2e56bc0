"""Small deterministic problems shared by the learning-rate-free golden generators and tests.

Each problem is a :class:`Problem`: ``init(dtype)`` gives the initial parameters (a dict of
NumPy arrays), ``grad_np(params)`` the gradient in NumPy (same dtype as the parameters; used
by the PyTorch side of the comparisons, which sets ``p.grad`` from it), ``loss_np(params)``
the loss in NumPy and ``loss_jax(params)`` the same loss in JAX (``jax.grad`` of it is the
JAX side's gradient). Comparisons are closed-loop: each side takes its own gradient at its
own iterate.

Problems:

* ``quadratic``: an ill-conditioned 10-D quadratic, ``0.5 Σ h_i (x_i - c_i)^2`` with
  curvatures ``h`` from 1 to 1000 (log-spaced);
* ``lstsq``: least squares with three parameter tensors (a vector, a matrix, a bias),
  ``0.5 / n ||A w + (B U) 1 + c - y||^2``;
* ``mlp``: a 2-layer tanh network (3 -> 8 -> 1) on 16 points, mean squared error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

__all__ = ["PROBLEMS", "Problem", "closed_loop"]

Params = dict[str, Any]


@dataclass(frozen=True)
class Problem:
    """A loss with its initial parameters, NumPy gradient and JAX loss."""

    name: str
    init: Callable[[Any], Params]
    grad_np: Callable[[Params], Params]
    loss_np: Callable[[Params], Any]
    loss_jax: Callable[[Params], Any]


def _cast(x: np.ndarray, like: Any) -> Any:
    return np.asarray(x, dtype=np.asarray(like).dtype)


# --- ill-conditioned quadratic ---------------------------------------------------------
_Q_H = np.logspace(0.0, 3.0, 10)
_Q_C = np.linspace(-1.0, 1.0, 10)


def _q_init(dtype: Any) -> Params:
    return {"x": np.asarray(np.cos(np.arange(10.0)) * 0.5, dtype=dtype)}


def _q_grad(p: Params) -> Params:
    x = np.asarray(p["x"])
    return {"x": _cast(_Q_H, x) * (x - _cast(_Q_C, x))}


def _q_loss(p: Params) -> Any:
    x = np.asarray(p["x"])
    return 0.5 * np.sum(_cast(_Q_H, x) * (x - _cast(_Q_C, x)) ** 2)


def _q_loss_jax(p: Params) -> Any:
    x = p["x"]
    h, c = jnp.asarray(_Q_H, x.dtype), jnp.asarray(_Q_C, x.dtype)
    return 0.5 * jnp.sum(h * (x - c) ** 2)


# --- three-tensor least squares -------------------------------------------------------
_rng = np.random.default_rng(24)
_L_N = 12
_L_A = _rng.normal(size=(_L_N, 3))
_L_B = _rng.normal(size=(_L_N, 2))
_L_Y = _rng.normal(size=(_L_N,))


def _l_init(dtype: Any) -> Params:
    return {
        "w": np.asarray([0.3, -0.2, 0.1], dtype=dtype),
        "u": np.asarray([[0.1, -0.3, 0.2, 0.05], [-0.1, 0.2, 0.0, 0.4]], dtype=dtype),
        "c": np.asarray(0.25, dtype=dtype),
    }


def _l_resid(p: Params) -> Any:
    w, u, c = (np.asarray(p[k]) for k in ("w", "u", "c"))
    a, b, y = _cast(_L_A, w), _cast(_L_B, w), _cast(_L_Y, w)
    return a @ w + b @ u.sum(axis=1) + c - y


def _l_grad(p: Params) -> Params:
    w, u = np.asarray(p["w"]), np.asarray(p["u"])
    r = _l_resid(p) / np.asarray(_L_N, dtype=w.dtype)
    a, b = _cast(_L_A, w), _cast(_L_B, w)
    gu = b.T @ r
    return {
        "w": a.T @ r,
        "u": np.repeat(gu[:, None], u.shape[1], axis=1),
        "c": np.asarray(r.sum(), dtype=w.dtype),
    }


def _l_loss(p: Params) -> Any:
    r = _l_resid(p)
    return 0.5 * np.sum(r * r) / _L_N


def _l_loss_jax(p: Params) -> Any:
    w, u, c = p["w"], p["u"], p["c"]
    a, b, y = (jnp.asarray(m, w.dtype) for m in (_L_A, _L_B, _L_Y))
    r = a @ w + b @ u.sum(axis=1) + c - y
    return 0.5 * jnp.sum(r * r) / _L_N


# --- 2-layer tanh MLP ------------------------------------------------------------------
_rng = np.random.default_rng(2024)
_M_X = _rng.normal(size=(16, 3))
_M_Y = np.sin(_M_X @ np.array([1.0, -0.5, 0.25]))[:, None]
_M_W1 = _rng.normal(size=(3, 8)) * 0.5
_M_W2 = _rng.normal(size=(8, 1)) * 0.5


def _m_init(dtype: Any) -> Params:
    return {
        "w1": np.asarray(_M_W1, dtype=dtype),
        "b1": np.zeros((8,), dtype=dtype),
        "w2": np.asarray(_M_W2, dtype=dtype),
        "b2": np.zeros((1,), dtype=dtype),
    }


def _m_grad(p: Params) -> Params:
    w1, b1, w2, b2 = (np.asarray(p[k]) for k in ("w1", "b1", "w2", "b2"))
    x, y = _cast(_M_X, w1), _cast(_M_Y, w1)
    h = np.tanh(x @ w1 + b1)
    r = (h @ w2 + b2 - y) / np.asarray(x.shape[0], dtype=w1.dtype)
    dh = (r @ w2.T) * (1 - h * h)
    return {"w1": x.T @ dh, "b1": dh.sum(axis=0), "w2": h.T @ r, "b2": r.sum(axis=0)}


def _m_loss(p: Params) -> Any:
    w1, b1, w2, b2 = (np.asarray(p[k]) for k in ("w1", "b1", "w2", "b2"))
    x, y = _cast(_M_X, w1), _cast(_M_Y, w1)
    r = np.tanh(x @ w1 + b1) @ w2 + b2 - y
    return 0.5 * np.mean(r * r)


def _m_loss_jax(p: Params) -> Any:
    w1 = p["w1"]
    x, y = jnp.asarray(_M_X, w1.dtype), jnp.asarray(_M_Y, w1.dtype)
    r = jnp.tanh(x @ w1 + p["b1"][None, :]) @ p["w2"] + p["b2"][None, :] - y
    return 0.5 * jnp.mean(r * r)


PROBLEMS: dict[str, Problem] = {
    "quadratic": Problem("quadratic", _q_init, _q_grad, _q_loss, _q_loss_jax),
    "lstsq": Problem("lstsq", _l_init, _l_grad, _l_loss, _l_loss_jax),
    "mlp": Problem("mlp", _m_init, _m_grad, _m_loss, _m_loss_jax),
}


def closed_loop(
    make_tx: Callable[[], Any], problem: str, dtype: Any, steps: int, estimate: str = "d"
) -> tuple[Any, Any]:
    """Run ``make_tx()`` for ``steps`` steps on ``problem`` (JAX's own gradients), one
    ``lax.scan``; call it inside ``jax.jit`` (``make_tx`` may close over tracers).

    Returns ``(estimates, params)``: ``state.<estimate>`` after each step (``None`` for
    ``estimate=None``) and the parameters after each step (leaves stacked on axis 0).
    """
    prob = PROBLEMS[problem]
    tx = make_tx()
    params = {k: jnp.asarray(v) for k, v in prob.init(dtype).items()}
    grad = jax.grad(prob.loss_jax)

    def body(carry: Any, _: Any) -> Any:
        p, st = carry
        u, st = tx.update(grad(p), st, p)
        p = optax.apply_updates(p, u)
        est = None if estimate is None else getattr(st, estimate)
        return (p, st), (est, p)

    _, (ests, ps) = jax.lax.scan(body, (params, tx.init(params)), None, length=steps)
    return ests, ps
