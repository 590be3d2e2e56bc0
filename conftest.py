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


@pytest.hookimpl(trylast=True)  # after pytest's tmp_path plugin has set up its directory
def pytest_configure(config: pytest.Config) -> None:
    """One compilation cache per test run, shared by the xdist workers.

    Tests build many identical programs (the same transform in several tests, the same step
    in several files): with JAX's persistent cache in the run's temporary directory each is
    compiled once per run (the default run: 281 s -> 228 s on 2 cores). The directory is the
    run's pytest temporary directory, which pytest removes with old runs; nothing outlives
    them, so no test sees a program compiled by another version of the code.
    """
    if os.environ.get("LRX_TEST_NO_COMPILATION_CACHE"):
        return
    import jax

    base = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the workers' directories share the run's
    jax.config.update("jax_compilation_cache_dir", str(base / "jax-compilation-cache"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
