"""Repository-wide pytest configuration (not shipped: the wheel holds only ``lrx/``).

pytest loads this file for every test path below the repository root, so
``pytest --doctest-modules lrx`` runs the docstring examples on the CPU backend, as
``pytest tests`` does (tests/conftest.py adds the strict numerics for the test suite).
"""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import importlib.util

import pytest

# Docstring examples that drive a peer library are live peer comparisons: marked `parity`
# (run by CI's `python -m pytest -m "slow or parity"`), and skipped where the peer is absent.
_PEER_DOCTESTS = {"lrx/testing/_torch.py": "torch"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        peer = _PEER_DOCTESTS.get(item.nodeid.partition("::")[0])
        if peer is None:
            continue
        item.add_marker(pytest.mark.parity)
        if importlib.util.find_spec(peer) is None:
            item.add_marker(pytest.mark.skip(reason=f"needs {peer} (the parity extra)"))
