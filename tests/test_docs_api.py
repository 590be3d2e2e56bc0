"""The API reference (docs/api/) documents every public name.

The public names are ``lrx.__all__`` (equal to the explicit re-exports ``from m import x as
x`` of ``lrx/__init__.py``) and the ``__all__`` of ``lrx.compat.torch`` and ``lrx.plot``. Each
must have a ``::: <qualified name>`` line on a docs/api page (mkdocstrings renders it);
names optax owns and lrx re-exports unchanged may instead appear as `` `lrx.<name>` `` in a
table that points to optax's documentation. Adding a public name means adding one line.
"""

import ast
import inspect
import pathlib
import re

import pytest

import lrx
import lrx.compat.hf
import lrx.compat.torch
import lrx.plot
import lrx.testing

ROOT = pathlib.Path(__file__).resolve().parent.parent
API_DOCS = ROOT / "docs" / "api"


def _reexports() -> list[str]:
    """``lrx.__all__`` (the public API), modules excluded; it matches the explicit re-exports
    (``from m import x as x``) of ``lrx/__init__.py``."""
    return [n for n in lrx.__all__ if not inspect.ismodule(getattr(lrx, n))]


def test_all_matches_the_explicit_reexports():
    tree = ast.parse((ROOT / "lrx" / "__init__.py").read_text())
    explicit = {
        a.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for a in node.names
        if a.asname == a.name
    }
    # (ruff's RUF022 keeps ``__all__`` sorted; here: no duplicates, nothing missing)
    assert len(set(lrx.__all__)) == len(lrx.__all__)
    assert set(lrx.__all__) == explicit


def _public_names() -> list[str]:
    return (
        [f"lrx.{n}" for n in _reexports()]
        + [f"lrx.compat.torch.{n}" for n in lrx.compat.torch.__all__]
        + [f"lrx.compat.hf.{n}" for n in lrx.compat.hf.__all__]
        + [f"lrx.plot.{n}" for n in lrx.plot.__all__]
        + [f"lrx.testing.{n}" for n in lrx.testing.__all__]
    )


def _pages() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(API_DOCS.glob("*.md"))}


def _directives() -> dict[str, list[str]]:
    """Qualified name -> the pages with a ``::: name`` line for it."""
    found: dict[str, list[str]] = {}
    for page, text in _pages().items():
        for name in re.findall(r"^:::\s+(\S+)\s*$", text, flags=re.MULTILINE):
            found.setdefault(name, []).append(page)
    return found


def _from_optax(qualified: str) -> bool:
    obj = getattr(lrx, qualified.removeprefix("lrx."), None)
    return (getattr(obj, "__module__", "") or "").startswith("optax")


def test_public_names_are_found():
    names = _public_names()
    assert "lrx.adam" in names and "lrx.find_lr" in names and "lrx.plot.curves" in names
    assert "lrx.compat.torch.sgd" in names
    assert not any(n in ("lrx.compat", "lrx.plot") for n in names)


@pytest.mark.parametrize("name", _public_names())
def test_every_public_name_is_in_the_api_reference(name):
    directives = _directives()
    if name in directives:
        assert len(directives[name]) == 1, f"{name} is rendered on several pages: {directives}"
        return
    if _from_optax(name):
        assert any(f"`{name}`" in text for text in _pages().values()), (
            f"{name} (optax's, re-exported) is not listed on any docs/api page"
        )
        return
    pytest.fail(
        f"{name} is public but no docs/api page renders it: add the line '::: {name}' to the "
        "page of its group (see docs/api/index.md)"
    )


def test_api_reference_renders_only_public_names():
    public = set(_public_names())
    stale = sorted(set(_directives()) - public)
    assert not stale, f"docs/api renders names that are not public: {stale}"


def test_every_api_page_is_in_the_mkdocs_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    missing = [p for p in _pages() if f"api/{p}" not in nav]
    assert not missing, f"docs/api pages missing from mkdocs.yml nav: {missing}"
