"""Article 000's experiment: Adam on seed-0 linear regression, lrx vs the article's class.

Reference: article 000, 1.4 (Adam in practice). Data exactly as the
article (``np.random.seed(0)``; ``X = 2 rand(100, 1)``; ``y = 4 + 3X + randn``; ``theta =
randn(2, 1)``), full-batch MSE gradient ``2/N X_bᵀ(X_b θ − y)``, ``AdamOptimizer(
learning_rate=0.1)`` for 100 steps, re-implemented line by line below
(:class:`Article000Adam`, float64). ``lrx.adam(0.1)`` must end where it ends.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrx

NUM_STEPS = 100


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


def _lrx_run(dtype, lr=0.1):
    X_b, y, theta0 = article000_data()
    X_b, y, theta = (jnp.asarray(a, dtype) for a in (X_b, y, theta0))
    opt = lrx.adam(lr)

    def loss(t):
        return jnp.mean((X_b @ t - y) ** 2)

    @jax.jit
    def step(t, state):
        grad = (2 / X_b.shape[0]) * X_b.T @ (X_b @ t - y)  # the article's gradient
        updates, state = opt.update(grad, state, t)
        t = lrx.apply_updates(t, updates)
        return t, state, loss(t)

    state = opt.init(theta)
    losses = []
    for _ in range(NUM_STEPS):
        theta, state, value = step(theta, state)
        losses.append(float(value))
    return np.asarray(theta, np.float64), np.asarray(losses), state


def test_float64_matches_article_class_tightly():
    """The learning rate is a float32 scalar (lrx convention, as schedules), so lr=0.1 is
    0.1 * (1 + 1.5e-8) and theta differs by ~1e-9 relative; everything else is float64."""
    theta_ref, losses_ref = article000_run(NUM_STEPS, lr=0.1)
    with jax.enable_x64(True):
        theta, losses, state = _lrx_run(jnp.float64)
        assert theta.dtype == np.float64
        assert float(lrx.learning_rate(state)) == pytest.approx(0.1)
    np.testing.assert_allclose(theta, theta_ref, rtol=1e-8)
    np.testing.assert_allclose(losses, losses_ref, rtol=1e-6)  # lr error accumulates


def test_float64_exact_learning_rate_matches_to_rounding():
    """With a learning rate exact in float32 (0.125) lrx equals the class to ~1e-12."""
    theta_ref, losses_ref = article000_run(NUM_STEPS, lr=0.125)
    with jax.enable_x64(True):
        theta, losses, _ = _lrx_run(jnp.float64, lr=0.125)
    np.testing.assert_allclose(theta, theta_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(losses, losses_ref, rtol=1e-11)


def test_float32_matches_article_class_loosely():
    theta_ref, losses_ref = article000_run(NUM_STEPS, lr=0.1)
    theta, losses, _ = _lrx_run(jnp.float32)
    np.testing.assert_allclose(theta, theta_ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(losses, losses_ref, rtol=1e-4)


def test_article_run_learns_the_line():
    """Sanity of the reference itself: 100 Adam steps move theta towards (4, 3)."""
    _, _, theta0 = article000_data()
    theta_ref, losses_ref = article000_run(NUM_STEPS, lr=0.1)
    X_b, y, _ = article000_data()
    loss0 = np.mean((X_b @ theta0 - y) ** 2)
    assert losses_ref[-1] < 0.5 * loss0
    assert np.all(np.diff(losses_ref[:10]) < 0)
    assert theta_ref.shape == (2, 1)
