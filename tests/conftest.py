"""Test configuration: strict numerics so dtype and rank mistakes fail loudly."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax

jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")

from hypothesis import HealthCheck, settings  # noqa: E402

# JAX compiles on first use, so the first example of a property test is slow: no deadline.
settings.register_profile(
    "lrx", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("lrx")
