"""Every test a document cites (``tests/<file>.py::<name>``) exists.

docs/formulas.md maps each article formula to the test that checks it, and the other
pages cite tests as evidence; a renamed or deleted test must not leave a dangling claim.
"""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md"])
REF = re.compile(r"(tests/[\w/]+\.py)((?:::\w+)+)")


def _references() -> list[tuple[str, str, str]]:
    refs = []
    for doc in DOCS:
        for m in REF.finditer(doc.read_text(encoding="utf-8")):
            refs.append((doc.name, m.group(1), m.group(2)))
    return sorted(set(refs))


def test_documents_cite_tests():
    assert len(_references()) > 40  # formulas.md alone cites dozens


@pytest.mark.parametrize(("doc", "path", "names"), _references())
def test_cited_test_exists(doc, path, names):
    file = ROOT / path
    assert file.is_file(), f"{doc} cites {path}, which does not exist"
    text = file.read_text(encoding="utf-8")
    for name in names.strip(":").split("::"):
        assert re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{name}\b", text, re.M), (
            f"{doc} cites {path}{names}: no def/class {name!r} in {path}"
        )
