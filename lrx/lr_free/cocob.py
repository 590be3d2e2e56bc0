"""``cocob``: COCOB-Backprop, parameter-free training by coin betting.

COCOB (Orabona and Tommasi 2017) treats each coordinate as a gambler betting a fraction of
its wealth on the sign of the negative gradient: no learning rate at all. This equals the
authors' ``parameterfree`` package (``COCOB``, version 0.0.1) step for step.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrx._counters import safe_increment, zero_count
from lrx._dtypes import compute_dtype, state_dtype, to_output
from lrx._tree import check_state, check_tree_match, tree_map_multi
from lrx._validate import check_float, is_traced, static_value
from lrx.lr_free._common import check_real_params
from lrx.transforms._reduce import global_sum

__all__ = ["CocobState", "cocob"]


def _operand(value: Any, dtype: Any) -> Any:
    """A hyperparameter as an operand of ``dtype``: Python numbers stay weak."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return jnp.asarray(value).astype(dtype)


class CocobState(NamedTuple):
    """State of :func:`cocob` (the authors' names; every leaf but ``count`` mirrors params).

    Attributes:
        count: int32, updates applied so far (saturates at int32 max).
        sum_negative_gradients: ``θ = −Σ g``.
        grad_norm_sum: ``Σ |g|``.
        L: the largest ``|g|`` seen, starting at ``eps``.
        reward: the wealth, ``max(0, reward − g · (x − x_0))``.
        x0: the initial parameters (those given to ``init``).
        alpha: float32, the ``alpha`` of the last update (read by
            :meth:`lrx_learning_rate`).
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax states do
    sum_negative_gradients: Any
    grad_norm_sum: Any
    L: Any
    reward: Any
    x0: Any
    alpha: jax.Array

    def lrx_learning_rate(self, upcoming: bool) -> jax.Array:
        """COCOB's per-coordinate rate summarised as one number (float32).

        COCOB sets ``x = x_0 + β ⊙ θ`` with ``θ = −Σ g`` and a per-coordinate rate
        ``β = (reward + L) / (max(Σ|g| + L, alpha · L) · L)``. Reported is
        ``‖β ⊙ θ‖ / ‖θ‖ = ‖x − x_0‖ / ‖Σ g‖``: the one rate that moves ``x_0`` as far along
        ``−Σ g`` as COCOB does (the ``θ²``-weighted root mean square of ``β``). Before the
        first update (``θ = 0``) it is the mean of ``β``, ``1 / (alpha · eps)``. The next
        ``β`` depends on the next gradient, so ``upcoming`` also reads this one.
        """
        del upcoming
        leaves = jax.tree.leaves(self.L)
        if not leaves:
            return jnp.zeros([], jnp.float32)
        dt = compute_dtype(*(x.dtype for x in leaves))
        alpha = self.alpha.astype(dt)

        def beta(reward: jax.Array, L: jax.Array, A: jax.Array) -> jax.Array:
            reward, L, A = reward.astype(dt), L.astype(dt), A.astype(dt)
            out: jax.Array = (reward + L) / (jnp.maximum(A + L, L * alpha) * L)
            return out

        betas = jax.tree.map(beta, self.reward, self.L, self.grad_norm_sum)
        theta = self.sum_negative_gradients
        num = global_sum(lambda b, s: jnp.square(b * s.astype(dt)), betas, theta, dtype=dt)
        den = global_sum(lambda s: jnp.square(s.astype(dt)), theta, dtype=dt)
        mean_beta = global_sum(lambda b: b, betas, dtype=dt) / sum(x.size for x in leaves)
        ok = den > 0
        rate = jnp.where(ok, jnp.sqrt(num / jnp.where(ok, den, jnp.ones_like(den))), mean_beta)
        return rate.astype(jnp.float32)


def cocob(
    alpha: jax.typing.ArrayLike = 100.0,
    eps: jax.typing.ArrayLike = 1e-8,
    weight_decay: jax.typing.ArrayLike = 0.0,
) -> optax.GradientTransformation:
    r"""COCOB-Backprop: per-coordinate coin betting, no learning rate.

    Formula (per coordinate, ``t = 0, 1, ...``; ``L_{-1} = eps``, the sums start at 0)::

        g_t = ∇f(x_t) + weight_decay · x_t
        L_t = max(L_{t-1}, |g_t|)
        θ_t = θ_{t-1} − g_t                       (sum_negative_gradients)
        A_t = A_{t-1} + |g_t|                     (grad_norm_sum)
        reward_t = max(0, reward_{t-1} − g_t (x_t − x_0))
        x_{t+1} = x_0 + (reward_t + L_t) θ_t / (max(A_t + L_t, alpha L_t) L_t)

    Equal to ``parameterfree.COCOB`` (version 0.0.1, the authors' package) step for step,
    defaults included; as there, ``alpha`` (about the number of warm-up rounds) keeps the
    first bets small, ``eps`` is the initial ``L`` and weight decay is an L2 term added to
    the gradient. The update is ``x_{t+1} − x_t``; ``x_0`` is the params given to ``init``.

    :func:`lrx.learning_rate` reports ``‖x − x_0‖ / ‖Σ g‖`` (see
    :meth:`CocobState.lrx_learning_rate`).

    Hyperparameters are data: ``alpha``, ``eps``, ``weight_decay`` may be arrays or tracers
    (``jit``, ``vmap``, ``optax.inject_hyperparams``); a traced value is not range-checked.
    ``update`` needs ``params``. Complex parameters raise ``ValueError`` (the authors define
    no complex version). State: five arrays per parameter (``x_0`` included).

    References:
        Orabona, Tommasi, "Training Deep Networks without Learning Rates Through Coin
        Betting", NeurIPS 2017 (arXiv:1705.07795).

    Args:
        alpha: >= 0, the warm-up of the bets (default 100).
        eps: >= 0, the initial ``L`` (default 1e-8).
        weight_decay: >= 0, L2 penalty added to the gradient (default 0).

    Returns:
        A ``GradientTransformation`` with state :class:`CocobState`.

    Example:
        >>> import jax.numpy as jnp, lrx
        >>> tx = lrx.cocob()
        >>> params = jnp.array([1.0, 1.0])
        >>> state = tx.init(params)
        >>> u, state = tx.update(jnp.array([2.0, -0.5]), state, params)
        >>> [round(x, 6) for x in u.tolist()]  # first bet: −sign(g) / alpha
        [-0.01, 0.01]
    """
    alpha = check_float("alpha", alpha, lo=0.0)
    eps = check_float("eps", eps, lo=0.0)
    weight_decay = check_float("weight_decay", weight_decay, lo=0.0)

    def init_fn(params: optax.Params) -> CocobState:
        check_real_params("cocob", params)

        def zeros(p: jax.Array) -> jax.Array:
            return jnp.zeros_like(p, dtype=state_dtype(p.dtype))

        def ell(p: jax.Array) -> jax.Array:
            dt = state_dtype(p.dtype)
            return jnp.full_like(p, _operand(eps, dt), dtype=dt)

        return CocobState(
            count=zero_count(),
            sum_negative_gradients=jax.tree.map(zeros, params),
            grad_norm_sum=jax.tree.map(zeros, params),
            L=jax.tree.map(ell, params),
            reward=jax.tree.map(zeros, params),
            x0=jax.tree.map(lambda p: jnp.array(p, copy=True), params),
            alpha=jnp.asarray(alpha, jnp.float32),
        )

    def update_fn(
        updates: optax.Updates, state: CocobState, params: optax.Params | None = None
    ) -> tuple[optax.Updates, CocobState]:
        check_state("cocob", state, CocobState)
        if params is None:
            raise ValueError("cocob: update needs params (the reward uses x − x0)")
        check_tree_match("cocob", updates, params)
        decay = is_traced(weight_decay) or static_value(weight_decay) != 0

        def leaf(
            u: jax.Array,
            p: jax.Array,
            x0: jax.Array,
            theta: jax.Array,
            A: jax.Array,
            L: jax.Array,
            reward: jax.Array,
        ) -> tuple[jax.Array, ...]:
            sdt = L.dtype
            dt = compute_dtype(u.dtype, p.dtype, sdt)
            g, pc, x0c = u.astype(dt), p.astype(dt), x0.astype(dt)
            if decay:
                g = g + _operand(weight_decay, dt) * pc
            L_new = jnp.maximum(L.astype(dt), jnp.abs(g))
            theta_new = theta.astype(dt) - g
            A_new = A.astype(dt) + jnp.abs(g)
            r = reward.astype(dt) - g * (pc - x0c)
            r = jnp.maximum(r, jnp.zeros_like(r))
            den = jnp.maximum(A_new + L_new, L_new * _operand(alpha, dt)) * L_new
            x_new = (r + L_new) * theta_new / den + x0c
            return (
                to_output(x_new - pc, u.dtype),
                theta_new.astype(sdt),
                A_new.astype(sdt),
                L_new.astype(sdt),
                r.astype(sdt),
            )

        out, theta, A, L, reward = tree_map_multi(
            leaf,
            5,
            updates,
            params,
            state.x0,
            state.sum_negative_gradients,
            state.grad_norm_sum,
            state.L,
            state.reward,
        )
        new = CocobState(
            count=safe_increment(state.count),
            sum_negative_gradients=theta,
            grad_norm_sum=A,
            L=L,
            reward=reward,
            x0=state.x0,
            alpha=jnp.asarray(alpha, jnp.float32),
        )
        return out, new

    return optax.GradientTransformation(init_fn, update_fn)
