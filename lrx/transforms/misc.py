"""Pieces optax already does well, re-exported unchanged (DESIGN.md: do not rewrite them).

``add_decayed_weights(weight_decay, mask=None)``: ``u_t = u_t + \\lambda \\theta_t``.
``clip_by_global_norm(max_norm)``: ``u_t = u_t \\cdot \\min(1, c / \\|u_t\\|_2)``.
``chain(*transforms)`` composes transforms; ``apply_updates(params, updates)`` adds them.
"""

from optax import add_decayed_weights, apply_updates, chain, clip_by_global_norm

__all__ = ["add_decayed_weights", "apply_updates", "chain", "clip_by_global_norm"]
