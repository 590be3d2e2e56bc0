"""Repository-wide pytest configuration (not shipped: the wheel holds only ``lrx/``).

pytest loads this file for every test path below the repository root, so
``pytest --doctest-modules lrx`` runs the docstring examples on the CPU backend, as
``pytest tests`` does (tests/conftest.py adds the strict numerics for the test suite).
"""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
