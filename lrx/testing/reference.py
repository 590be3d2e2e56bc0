"""NumPy float64 references written from the articles' formulas: optimizer steps and schedules.

Optimizer steps share one signature, ``step(params, grad, state, **hyperparameters) ->
(new_params, new_state)``, on one NumPy array (``state`` is ``None`` at the first call);
:func:`reference_trajectory` runs one over a pytree, leaf by leaf, in float64 (complex128
for complex values) and returns a :class:`lrx.testing.Trajectory`. The formula variants
are arguments. They are deliberately naive, written from the formulas, not from lrx's code:

- article 004 (learning-rate strategies): momentum, AdaGrad, RMSprop and Adam (its
  formulas put ``eps`` *inside* the square root: ``eps_in_sqrt=True`` or ``eps=0,
  eps_root=ε``); article 000 (1.4, the Adam code example: ``eps`` *outside* the root, the
  default of :func:`adam`);
- torch.optim's documented algorithms for what the articles do not cover (dampening,
  Nesterov, centered RMSprop, AMSGrad, coupled L2 weight decay), optax's NAdam, and the
  decoupled weight decay of AdamW (Loshchilov & Hutter), identical in optax and torch.

A learning rate is a float or a function of the count (``count -> rate``, the count
starting at 0 for the first update); a bare transform (no learning rate, such as
``lrx.scale_by_adam()``, whose output is *added* to the params) is the reference with
``learning_rate=-1.0``.

Complex gradients follow optax's convention: first moments are complex, second moments the
real ``|g|² = (g conj(g)).real``; for real inputs every formula is the real one unchanged.

Schedules are plain Python functions of the count (a non-negative int) returning a float.

References:
    Duchi, Hazan & Singer (2011), Adaptive subgradient methods (AdaGrad); Tieleman &
    Hinton (2012), RMSprop (lecture 6.5); Kingma & Ba (2015), Adam; Reddi, Kale & Kumar
    (2018), AMSGrad; Dozat (2016), NAdam; Loshchilov & Hutter (2019), AdamW; Loshchilov &
    Hutter (2017), SGDR.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import jax
import numpy as np

from lrx.testing._trajectory import Trajectory, num_steps_of

__all__ = [
    "abs_sq",
    "adagrad",
    "adam",
    "adamw",
    "cosine_annealing",
    "cosine_warm_restarts",
    "exponential_decay",
    "momentum",
    "reference_trajectory",
    "restart_cycle",
    "rmsprop",
    "step_decay",
]

Rate = float | Callable[[int], float]
State = dict[str, Any]
Step = Callable[..., tuple[np.ndarray, State]]


def abs_sq(g: np.ndarray) -> np.ndarray:
    """``|g|²``, real for complex ``g``."""
    return np.asarray((g * np.conj(g)).real)


def _rate(learning_rate: Rate, count: int) -> float:
    return float(learning_rate(count)) if callable(learning_rate) else float(learning_rate)


def _start(state: State | None, **fields: Any) -> State:
    return dict(count=0, **fields) if state is None else dict(state)


def _ema(decay: float, moment: np.ndarray, value: np.ndarray) -> np.ndarray:
    return decay * moment + (1 - decay) * value


def _den(x: np.ndarray, eps: float, eps_in_sqrt: bool) -> np.ndarray:
    return np.sqrt(x + eps) if eps_in_sqrt else np.sqrt(x) + eps


# ----------------------------------------------------------------------------------------
# Optimizer steps
# ----------------------------------------------------------------------------------------


def momentum(
    params: np.ndarray,
    grad: np.ndarray,
    state: State | None,
    *,
    learning_rate: Rate = 1e-2,
    momentum: float = 0.9,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, State]:
    """SGD with momentum as torch.optim.SGD (article 004's momentum with torch's variants).

    ``d = g + λθ``; ``b_1 = d``, ``b_t = μ b_{t−1} + (1 − τ) d``; the direction is ``b_t``
    or, with ``nesterov``, ``d + μ b_t``; ``θ ← θ − η_t direction``. ``momentum=0`` is
    plain gradient descent.

    Example:
        >>> import numpy as np
        >>> from lrx.testing import reference
        >>> p, s = reference.momentum(np.ones(1), np.ones(1), None, learning_rate=0.1)
        >>> p, s = reference.momentum(p, np.ones(1), s, learning_rate=0.1)
        >>> p.tolist()  # 1 − 0.1 − 0.1 (0.9 + 1)
        [0.71]
    """
    s = _start(state, buf=None)
    d = grad + weight_decay * params
    s["buf"] = d.copy() if s["buf"] is None else momentum * s["buf"] + (1 - dampening) * d
    direction = d + momentum * s["buf"] if nesterov else s["buf"]
    new = params - _rate(learning_rate, s["count"]) * direction
    s["count"] += 1
    return new, s


def adagrad(
    params: np.ndarray,
    grad: np.ndarray,
    state: State | None,
    *,
    learning_rate: Rate = 1e-2,
    initial_accumulator_value: float = 0.1,
    eps: float = 1e-7,
    eps_in_sqrt: bool = True,
) -> tuple[np.ndarray, State]:
    """AdaGrad: ``G_t = G_{t−1} + |g|²``; ``θ ← θ − η_t g / sqrt(G_t + ε)`` (article 004,
    optax) or, ``eps_in_sqrt=False``, ``g / (sqrt(G_t) + ε)`` (torch.optim.Adagrad)."""
    s = _start(state, acc=np.full(np.shape(grad), float(initial_accumulator_value)))
    s["acc"] = s["acc"] + abs_sq(grad)
    new = params - _rate(learning_rate, s["count"]) * grad / _den(s["acc"], eps, eps_in_sqrt)
    s["count"] += 1
    return new, s


def rmsprop(
    params: np.ndarray,
    grad: np.ndarray,
    state: State | None,
    *,
    learning_rate: Rate = 1e-2,
    decay: float = 0.9,
    eps: float = 1e-8,
    initial_scale: float = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
    centered: bool = False,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> tuple[np.ndarray, State]:
    """RMSprop: ``s_t = ρ s_{t−1} + (1 − ρ)|g|²`` (from ``initial_scale``), centered:
    ``μ_t = ρ μ_{t−1} + (1 − ρ) g`` and the variance ``max(s − |μ|², 0)``; with
    ``bias_correction`` both are divided by ``1 − ρ^t``; ``r = g / sqrt(var + ε)`` (article
    004) or ``g / (sqrt(var) + ε)`` (torch); with ``momentum`` (torch):
    ``b_t = m b_{t−1} + r`` (``b_0 = 0``), direction ``b_t`` or, ``nesterov``, ``r + m b_t``;
    ``θ ← θ − η_t direction``."""
    s = _start(
        state,
        s=np.full(np.shape(grad), float(initial_scale)),
        mu=np.zeros_like(grad),
        buf=np.zeros_like(grad),
    )
    t = s["count"] + 1
    s["s"] = _ema(decay, s["s"], abs_sq(grad))
    s["mu"] = _ema(decay, s["mu"], grad)
    corr = (1 - decay**t) if bias_correction else 1.0
    s_hat, mu_hat = s["s"] / corr, s["mu"] / corr
    var = np.maximum(s_hat - abs_sq(mu_hat), 0.0) if centered else s_hat
    r = grad / _den(var, eps, eps_in_sqrt)
    s["buf"] = momentum * s["buf"] + r
    direction = (r + momentum * s["buf"] if nesterov else s["buf"]) if momentum else r
    new = params - _rate(learning_rate, s["count"]) * direction
    s["count"] = t
    return new, s


def adam(
    params: np.ndarray,
    grad: np.ndarray,
    state: State | None,
    *,
    learning_rate: Rate = 1e-3,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    bias_correction: bool = True,
    nesterov: bool = False,
    amsgrad: bool = False,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, State]:
    """Adam: ``θ ← θ − η_t m̂ / (sqrt(v̂ + ε_root) + ε)``.

    ``m_t = β1 m + (1 − β1) g``, ``v_t = β2 v + (1 − β2)|g|²``, ``m̂ = m_t / (1 − β1^t)``,
    ``v̂ = v_t / (1 − β2^t)`` (article 000's class, ``eps`` outside the root; article 004's
    formula is ``eps=0, eps_root=ε``). ``amsgrad`` as torch.optim.Adam:
    ``v_max = max(v_max, v_t)`` of the uncorrected ``v``, then ``v̂ = v_max / (1 − β2^t)``.
    ``nesterov`` as optax's NAdam: ``m̂ = β1 m_t / (1 − β1^{t+1}) + (1 − β1) g / (1 − β1^t)``.
    ``bias_correction=False`` drops every ``1 − β^t``. ``weight_decay``: torch's coupled L2,
    ``g ← g + λθ`` first (for the decoupled decay see :func:`adamw`).
    """
    s = _start(state, m=np.zeros_like(grad), v=np.zeros(np.shape(grad)), v_max=None)
    t = s["count"] + 1
    g = grad + weight_decay * params
    s["m"] = _ema(b1, s["m"], g)
    s["v"] = _ema(b2, s["v"], abs_sq(g))
    bc1 = (1 - b1**t) if bias_correction else 1.0
    bc1_next = (1 - b1 ** (t + 1)) if bias_correction else 1.0
    bc2 = (1 - b2**t) if bias_correction else 1.0
    m_hat = b1 * s["m"] / bc1_next + (1 - b1) * g / bc1 if nesterov else s["m"] / bc1
    v = s["v"]
    if amsgrad:
        s["v_max"] = v if s["v_max"] is None else np.maximum(s["v_max"], v)
        v = s["v_max"]
    new = params - _rate(learning_rate, s["count"]) * m_hat / (np.sqrt(v / bc2 + eps_root) + eps)
    s["count"] = t
    return new, s


def adamw(
    params: np.ndarray,
    grad: np.ndarray,
    state: State | None,
    *,
    learning_rate: Rate = 1e-3,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    weight_decay: float = 1e-4,
    bias_correction: bool = True,
    nesterov: bool = False,
    amsgrad: bool = False,
) -> tuple[np.ndarray, State]:
    """AdamW: ``θ ← θ − η_t (adam_direction + λθ)``, the decay decoupled from the moments.

    optax (``chain(scale_by_adam, add_decayed_weights(λ), scale_by_learning_rate(η))``) and
    torch.optim.AdamW (``θ ← θ (1 − η λ)`` then the Adam step) compute this same formula; the
    defaults are optax's (torch's ``weight_decay`` default is 1e-2). The other arguments are
    :func:`adam`'s.

    Example:
        >>> import numpy as np
        >>> from lrx.testing import reference
        >>> p, _ = reference.adamw(
        ...     np.ones(1), np.ones(1), None, learning_rate=0.1, weight_decay=0.5
        ... )
        >>> p.round(6).tolist()  # 1 − 0.1 (1 + 0.5)
        [0.85]
    """
    s = state
    lr = _rate(learning_rate, 0 if s is None else s["count"])
    moved, s = adam(
        params, grad, s, learning_rate=-1.0, b1=b1, b2=b2, eps=eps, eps_root=eps_root,
        bias_correction=bias_correction, nesterov=nesterov, amsgrad=amsgrad,
    )  # fmt: skip
    return params - lr * ((moved - params) + weight_decay * params), s


# ----------------------------------------------------------------------------------------
# Trajectories
# ----------------------------------------------------------------------------------------


def _wide(x: Any) -> np.ndarray:
    a: np.ndarray = np.asarray(x)
    return a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)


def reference_trajectory(
    step: Step,
    params: Any,
    grads: Any,
    *,
    num_steps: int | None = None,
    **hyperparameters: Any,
) -> Trajectory:
    """Run a reference step over a gradient sequence, leaf by leaf, in float64.

    Args:
        step: a step function of this module (or your own with the same signature).
        params: the initial params (a pytree of arrays).
        grads: a pytree like ``params`` whose leaves have a leading step axis, or a
            callable ``grads(params, step) -> grads`` (closed loop: called with the float64
            NumPy params and the Python int step; needs ``num_steps``).
        num_steps: the number of steps (default: the length of ``grads``).
        **hyperparameters: passed to every call of ``step``.

    Returns:
        A :class:`lrx.testing.Trajectory`: params (float64) before each step and after the
        last, updates ``params[k + 1] − params[k]``, and the learning rates (``learning_rate``
        of ``hyperparameters``, a float or a function of the count; NaN without one).

    Example:
        >>> import numpy as np
        >>> from lrx.testing import reference
        >>> traj = reference.reference_trajectory(
        ...     reference.momentum, np.ones(1), np.ones((2, 1)), learning_rate=0.1
        ... )
        >>> traj.params[:, 0].round(6).tolist()
        [1.0, 0.9, 0.71]
    """
    n = num_steps_of(grads, num_steps)
    leaves, treedef = jax.tree.flatten(params)
    current = [_wide(p) for p in leaves]
    states: list[Any] = [None] * len(current)
    history = [current]
    for k in range(n):
        if callable(grads):
            g = jax.tree.leaves(grads(jax.tree.unflatten(treedef, current), k))
        else:
            g = [np.asarray(x)[k] for x in jax.tree.leaves(grads)]
        outs = [
            step(p, _wide(gi), s, **hyperparameters)
            for p, gi, s in zip(current, g, states, strict=True)
        ]
        current = [o[0] for o in outs]
        states = [o[1] for o in outs]
        history.append(current)
    stacked = [np.stack([h[i] for h in history]) for i in range(len(leaves))]
    lr = hyperparameters.get("learning_rate")
    rates = np.array([np.nan if lr is None else _rate(lr, k) for k in range(n)], np.float64)
    return Trajectory(
        jax.tree.unflatten(treedef, stacked),
        jax.tree.unflatten(treedef, [np.diff(x, axis=0) for x in stacked]),
        rates,
    )


# ----------------------------------------------------------------------------------------
# Schedules: plain Python functions of the count
# ----------------------------------------------------------------------------------------


def step_decay(count: int, init_value: float, step_size: int, gamma: float = 0.1) -> float:
    """``η_t = η_0 γ^⌊t / step_size⌋`` (torch's StepLR)."""
    return init_value * gamma ** (count // step_size)


def exponential_decay(count: int, init_value: float, gamma: float) -> float:
    """``η_t = η_0 γ^t`` (torch's ExponentialLR)."""
    return init_value * gamma**count


def cosine_annealing(count: int, init_value: float, T_max: int, eta_min: float = 0.0) -> float:
    """SGDR's cosine within one run: ``η_min + (η_0 − η_min)(1 + cos(π t / T_max)) / 2``,
    ``η_min`` after ``T_max``."""
    if count >= T_max:
        return eta_min
    return eta_min + (init_value - eta_min) * (1 + math.cos(math.pi * count / T_max)) / 2


def restart_cycle(count: int, T_0: int, T_mult: float = 1.0) -> tuple[int, float, float]:
    """SGDR's restart arithmetic: ``(cycle i, position t − S_i, length T_i)`` of a count.

    Cycle ``i`` lasts ``T_i = T_0 T_mult^i`` and starts at ``S_i = Σ_{j<i} T_j`` (a real
    number for a non-integer ``T_mult``); the counts of cycle ``i`` are
    ``⌈S_i⌉ <= t < ⌈S_{i+1}⌉``. Computed exactly in rationals (``T_mult`` read as the
    decimal it prints as), so a start that is an integer is one.

    Example:
        >>> from lrx.testing import reference
        >>> [reference.restart_cycle(t, 2, 2)[:2] for t in (0, 1, 2, 5, 6)]
        [(0, 0.0), (0, 1.0), (1, 0.0), (1, 3.0), (2, 0.0)]
    """
    mult = Fraction(str(T_mult))
    start, length, cycle = Fraction(0), Fraction(T_0), 0
    while count >= math.ceil(start + length):
        start += length
        length *= mult
        cycle += 1
    return cycle, float(count - start), float(length)


def cosine_warm_restarts(
    count: int, init_value: float, T_0: int, T_mult: float = 1.0, eta_min: float = 0.0
) -> float:
    """SGDR: ``η_min + (η_0 − η_min)(1 + cos(π T_cur / T_i)) / 2`` with the restart cycle
    of :func:`restart_cycle` (torch's CosineAnnealingWarmRestarts for integer ``T_mult``)."""
    _, pos, length = restart_cycle(count, T_0, T_mult)
    return eta_min + (init_value - eta_min) * (1 + math.cos(math.pi * pos / length)) / 2
