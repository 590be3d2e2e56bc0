"""The layering of ``lrx/`` (written down in lrx/README.md) holds.

Layers, bottom to top; a module imports only from its own layer or the layers below it:

0. ``lrx._validate``, ``lrx._dtypes``, ``lrx._counters``, ``lrx._tree``, ``lrx._types``
1. ``lrx.schedules``
2. ``lrx.transforms``
3. ``lrx.optimizers``, ``lrx.lr_free``, ``lrx.compat``
4. ``lrx.introspect``, ``lrx.finder``, ``lrx.testing``, ``lrx.plot``
5. ``lrx.demo``

and three rules hold everywhere: no upward import (``if TYPE_CHECKING:`` imports excepted, they
never run), no import cycle between modules, and no module imports another module's
``_private`` name (shared helpers live in a ``_common.py``, ``_moments.py`` or ``_reduce.py`` of
their layer with plain names). ``lrx/__init__.py`` (the public surface) is exempt from the
layer rule: it re-exports from every layer.
"""

from __future__ import annotations

import ast
import itertools
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "lrx"

LAYERS = [
    ("lrx._validate", "lrx._dtypes", "lrx._counters", "lrx._tree", "lrx._types"),
    ("lrx.schedules",),
    ("lrx.transforms",),
    ("lrx.optimizers", "lrx.lr_free", "lrx.compat"),
    ("lrx.introspect", "lrx.finder", "lrx.testing", "lrx.plot"),
    ("lrx.demo",),
]


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int | None:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None


def _imports(path: pathlib.Path) -> list[tuple[str, list[str], int]]:
    """(module, names, line) for every lrx import that runs (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skip.update(id(n) for n in ast.walk(child))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lrx"):
            names = []
            for a in node.names:  # ``from lrx import plot``: the module lrx.plot
                sub = f"{node.module}.{a.name}"
                if _exists(sub):
                    found.append((sub, [], node.lineno))
                else:
                    names.append(a.name)
            if names:
                found.append((node.module, names, node.lineno))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("lrx"):
                    found.append((a.name, [], node.lineno))
    return found


def _exists(module: str) -> bool:
    path = ROOT.parent / module.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def test_every_module_has_a_layer():
    assert [m for m in _modules() if m != "lrx" and _layer(m) is None] == []


def test_no_upward_imports():
    bad = []
    for module, path in _modules().items():
        if module == "lrx":
            continue
        here = _layer(module)
        for target, _, line in _imports(path):
            there = _layer(target)
            upward = there is not None and here is not None and there > here
            # the public surface ``lrx`` sits above every layer but the demo
            if upward or (target == "lrx" and here != len(LAYERS) - 1):
                bad.append(f"{path.relative_to(ROOT.parent)}:{line} imports {target}")
    assert bad == [], "\n".join(bad)


def test_no_cross_module_private_imports():
    bad = []
    for module, path in _modules().items():
        for target, names, line in _imports(path):
            if target == module:
                continue
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    bad.append(f"{path.relative_to(ROOT.parent)}:{line} takes {target}.{name}")
    assert bad == [], "\n".join(bad)


def test_no_import_cycles():
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for module, path in mods.items():
        if module == "lrx":
            continue
        for target, names, _ in _imports(path):
            deps = {target} | {f"{target}.{n}" for n in names}
            graph[module] |= {d for d in deps if d in mods and d != module and d != "lrx"}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycles.append([*stack[stack.index(d) :], d])
            elif d not in state:
                visit(d, [*stack, d])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    # a package's __init__ importing its own submodules is the re-export convention
    real = [
        c
        for c in cycles
        if not all(a.startswith(b) or b.startswith(a) for a, b in itertools.pairwise(c))
    ]
    assert real == [], "\n".join(" -> ".join(c) for c in real)


@pytest.mark.parametrize("rule", [test_no_upward_imports, test_no_cross_module_private_imports])
def test_the_checks_catch_a_violation(rule, tmp_path, monkeypatch):
    """The checks are not vacuous: a planted violation is reported."""
    planted = tmp_path / "lrx"
    planted.mkdir()
    (planted / "_validate.py").write_text("from lrx.schedules.decay import _private\n")
    (planted / "schedules").mkdir()
    (planted / "schedules" / "__init__.py").write_text("")
    (planted / "schedules" / "decay.py").write_text("_private = 1\n")
    monkeypatch.setattr(f"{__name__}.ROOT", planted)
    with pytest.raises(AssertionError, match=r"_validate\.py:1"):
        rule()
