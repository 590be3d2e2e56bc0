"""Conformance and hyperparameter cases contributed per area (one module per area).

Each module in this package may define:

- ``CASES``: ``[(id, factory)]`` appended to tests/test_conformance.py's list;
- ``HYPER_CASES``: ``[(id, factory, kwargs, static_args)]`` appended to
  tests/hyper_cases.py's list (the inject / vmap / trace-once checks);
- ``NO_COMPLEX``: ids whose ``init`` on complex parameters must raise ``ValueError`` (methods
  whose authors define no complex version).

Modules are read in name order, so the case lists are the same on every run.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

CASES: list[tuple[str, Any]] = []
HYPER_CASES: list[tuple[str, Any, dict[str, Any], tuple[str, ...]]] = []
NO_COMPLEX: set[str] = set()

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    _mod = importlib.import_module(f"{__name__}.{_info.name}")
    CASES += getattr(_mod, "CASES", [])
    HYPER_CASES += getattr(_mod, "HYPER_CASES", [])
    NO_COMPLEX |= set(getattr(_mod, "NO_COMPLEX", ()))
