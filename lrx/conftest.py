"""Doctest configuration for ``pytest --doctest-modules lrx``."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
