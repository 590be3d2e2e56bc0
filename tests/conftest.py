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
# CI runs the same examples every time (derandomize): its time and its verdict depend on
# the commit, not on the examples drawn. Local runs keep exploring new examples.
settings.register_profile("lrx-ci", parent=settings.get_profile("lrx"), derandomize=True)
settings.load_profile("lrx-ci" if os.environ.get("CI") else "lrx")
