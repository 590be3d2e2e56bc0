"""NumPy reference implementations written from the source articles' formulas.

Each reference takes a list of gradients (NumPy arrays, one per step) and returns the list
of outputs of the transform (the update before the learning rate), computed in float64
unless the inputs are another dtype. They are deliberately naive loops, written from the
formulas, not from lrx's code:

- article 004 (learning-rate strategies / adaptive learning rates): AdaGrad, RMSprop and
  Adam with ``eps`` *inside* the square root; its momentum section for momentum;
- article 000 (1.4, the Adam code example): the ``AdamOptimizer`` class (``eps`` *outside*
  the root), re-implemented line by line in :class:`Article000Adam`;
- torch.optim's documented algorithms for the variants the articles do not cover
  (dampening, Nesterov, centered RMSprop, AMSGrad), and optax's NAdam formulation.

Complex gradients follow optax's convention: first moments are complex, second moments are
the real ``|g|^2 = (g * conj(g)).real`` (:func:`abs_sq`); with real inputs every reference is
the real formula unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def abs_sq(g: np.ndarray) -> np.ndarray:
    """``|g|^2``, real for complex ``g``."""
    return (g * np.conj(g)).real


# ----------------------------------------------------------------------------------------
# Article 004: the formulas with eps inside the square root.
# ----------------------------------------------------------------------------------------


def adagrad_004(grads: Sequence[np.ndarray], eps: float) -> list[np.ndarray]:
    """004 AdaGrad: g_t = g_{t-1} + ∇J⊙∇J;  θ ← θ − η/sqrt(g_t + ε) ⊙ ∇J (output without η)."""
    acc = np.zeros_like(abs_sq(grads[0]))
    out = []
    for g in grads:
        acc = acc + abs_sq(g)
        out.append(g / np.sqrt(acc + eps))
    return out


def rmsprop_004(grads: Sequence[np.ndarray], rho: float, eps: float) -> list[np.ndarray]:
    """004 RMSprop: s_t = ρ s_{t-1} + (1−ρ) ∇J⊙∇J;  θ ← θ − η/sqrt(s_t + ε) ⊙ ∇J."""
    s = np.zeros_like(abs_sq(grads[0]))
    out = []
    for g in grads:
        s = rho * s + (1 - rho) * abs_sq(g)
        out.append(g / np.sqrt(s + eps))
    return out


def adam_004(grads: Sequence[np.ndarray], b1: float, b2: float, eps: float) -> list[np.ndarray]:
    """004 Adam: m, v EMAs; m̂ = m/(1−β1^t), v̂ = v/(1−β2^t);  θ ← θ − η m̂/sqrt(v̂ + ε)."""
    m = np.zeros_like(grads[0])
    v = np.zeros_like(abs_sq(grads[0]))
    out = []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * abs_sq(g)
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        out.append(m_hat / np.sqrt(v_hat + eps))
    return out


# ----------------------------------------------------------------------------------------
# Article 000: the AdamOptimizer class of 1.4 实战, eps outside the square root.
# ----------------------------------------------------------------------------------------


class Article000Adam:
    """Line-by-line re-implementation of article 000's ``AdamOptimizer`` (1.4 实战)."""

    def __init__(self, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.lr = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.m = 0
        self.v = 0
        self.t = 0

    def update(self, theta, grad):
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * (grad**2)
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        theta = theta - self.lr * m_hat / (np.sqrt(v_hat) + self.epsilon)
        return theta


def article000_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Article 000's data, seed 0: X_b (100, 2) with a bias column, y (100, 1), theta0 (2, 1)."""
    # The article's own legacy global-RNG calls, kept verbatim so the data are its data.
    np.random.seed(0)  # noqa: NPY002
    X = 2 * np.random.rand(100, 1)  # noqa: NPY002
    y = 4 + 3 * X + np.random.randn(100, 1)  # noqa: NPY002
    X_b = np.c_[np.ones((100, 1)), X]
    theta = np.random.randn(2, 1)  # noqa: NPY002
    return X_b, y, theta


def article000_run(num_steps: int = 100, lr: float = 0.1) -> tuple[np.ndarray, list[float]]:
    """Run article 000's training loop; return the final theta and the losses."""
    X_b, y, theta = article000_data()
    adam = Article000Adam(learning_rate=lr)
    losses = []
    for _ in range(num_steps):
        gradients = 2 / len(X_b) * X_b.T.dot(X_b.dot(theta) - y)
        theta = adam.update(theta, gradients)
        losses.append(float(np.mean((X_b.dot(theta) - y) ** 2)))
    return theta, losses


# ----------------------------------------------------------------------------------------
# General references (torch.optim's documented algorithms; optax's NAdam).
# ----------------------------------------------------------------------------------------


def momentum_ref(
    grads: Sequence[np.ndarray], decay: float, *, nesterov: bool = False, dampening: float = 0.0
) -> list[np.ndarray]:
    """torch.optim.SGD's buffer: b_1 = g_1; b_t = μ b_{t−1} + (1−τ) g_t; out b_t or g_t + μ b_t."""
    b = None
    out = []
    for g in grads:
        b = g.copy() if b is None else decay * b + (1 - dampening) * g
        out.append(g + decay * b if nesterov else b)
    return out


def adagrad_ref(
    grads: Sequence[np.ndarray],
    initial_accumulator_value: float = 0.1,
    eps: float = 1e-7,
    *,
    eps_in_sqrt: bool = True,
) -> list[np.ndarray]:
    """G_t = G_{t−1} + |g|²;  g/sqrt(G+ε) (004's formula, optax), or g/(sqrt(G)+ε) (torch)."""
    acc = np.full_like(abs_sq(grads[0]), initial_accumulator_value)
    out = []
    for g in grads:
        acc = acc + abs_sq(g)
        den = np.sqrt(acc + eps) if eps_in_sqrt else np.sqrt(acc) + eps
        out.append(g / den)
    return out


def rms_ref(
    grads: Sequence[np.ndarray],
    decay: float = 0.9,
    eps: float = 1e-8,
    initial_scale: float = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
    *,
    centered: bool = False,
) -> list[np.ndarray]:
    """RMSprop: s_t EMA of |g|², μ_t EMA of g; g/sqrt(s − |μ|² + ε) or g/(sqrt(s − |μ|²)+ε)."""
    s = np.full_like(abs_sq(grads[0]), initial_scale)
    mu = np.zeros_like(grads[0])
    out = []
    for t, g in enumerate(grads, start=1):
        s = decay * s + (1 - decay) * abs_sq(g)
        mu = decay * mu + (1 - decay) * g
        s_hat, mu_hat = s, mu
        if bias_correction:
            s_hat = s / (1 - decay**t)
            mu_hat = mu / (1 - decay**t)
        # centered: clamped at 0 as lrx (rounding can make s − μ² slightly negative)
        var = np.maximum(s_hat - abs_sq(mu_hat), 0.0) if centered else s_hat
        den = np.sqrt(var + eps) if eps_in_sqrt else np.sqrt(var) + eps
        out.append(g / den)
    return out


def adam_ref(
    grads: Sequence[np.ndarray],
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    *,
    bias_correction: bool = True,
    nesterov: bool = False,
    amsgrad: bool = False,
) -> list[np.ndarray]:
    """Adam m̂/(sqrt(v̂ + ε_root) + ε).

    ``amsgrad`` as torch.optim.Adam: v_max = max(v_max, v) of the uncorrected v, then
    v̂ = v_max / (1 − β2^t). ``nesterov`` as optax's NAdam:
    m̂ = β1 m_t/(1 − β1^{t+1}) + (1 − β1) g_t/(1 − β1^t).
    """
    m = np.zeros_like(grads[0])
    v = np.zeros_like(abs_sq(grads[0]))
    v_max = np.zeros_like(v)
    out = []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * abs_sq(g)
        bc1 = (1 - b1**t) if bias_correction else 1.0
        bc1_next = (1 - b1 ** (t + 1)) if bias_correction else 1.0
        bc2 = (1 - b2**t) if bias_correction else 1.0
        if nesterov:
            m_hat = b1 * m / bc1_next + (1 - b1) * g / bc1
        else:
            m_hat = m / bc1
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / bc2
        else:
            v_hat = v / bc2
        out.append(m_hat / (np.sqrt(v_hat + eps_root) + eps))
    return out


# ----------------------------------------------------------------------------------------
# Small drivers shared by the transform tests.
# ----------------------------------------------------------------------------------------


def make_grads(num_steps: int = 20, seed: int = 0, dtype=np.float32) -> list[dict]:
    """``num_steps`` gradient trees ``{"w": (3, 2), "b": (2,)}`` with mixed scales.

    A complex ``dtype`` gets independent real and imaginary parts of the same scales.
    """
    rng = np.random.default_rng(seed)
    scales = {"w": np.array([[1.0, 0.1], [10.0, 1.0], [0.01, 3.0]]), "b": np.array([0.5, 2.0])}

    def draw(s):
        x = rng.normal(size=s.shape) * s
        if np.issubdtype(np.dtype(dtype), np.complexfloating):
            x = x + 1j * rng.normal(size=s.shape) * s
        return x.astype(dtype)

    return [{k: draw(s) for k, s in scales.items()} for _ in range(num_steps)]


def _wide(x) -> np.ndarray:
    """``x`` as float64, or complex128 when complex."""
    x = np.asarray(x)
    return x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)


def tree_ref(ref_fn, grads: Sequence[dict], *args, **kwargs) -> list[dict]:
    """Apply a per-array reference leaf by leaf (in float64 or complex128) to a list of
    gradient trees."""
    keys = list(grads[0])
    per_key = {k: ref_fn([_wide(g[k]) for g in grads], *args, **kwargs) for k in keys}
    return [{k: per_key[k][i] for k in keys} for i in range(len(grads))]


def run_updates(update, state, grads: Sequence[dict]) -> tuple[list[dict], object]:
    """Feed ``grads`` one by one through ``update(g, state)``; return outputs and last state."""
    outs = []
    for g in grads:
        u, state = update(g, state)
        outs.append({k: _wide(v) for k, v in u.items()})
    return outs, state
