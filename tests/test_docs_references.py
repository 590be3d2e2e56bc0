"""Every test a document cites exists.

docs/formulas.md maps each article formula to the test that checks it, and the other pages
(reliability, benchmarks, ...) cite tests as evidence; a renamed or deleted test must not
leave a dangling claim. Citations look like ``tests/test_x.py::test_y``,
``test_x.py::Class::test_y`` or, continuing the file cited last, ``::test_z``.
"""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md"])
TOKEN = re.compile(r"(?:tests/)?(test_\w+\.py)((?:::\w+)*)|(?<![\w.])((?:::\w+)+)")


def _references() -> list[tuple[str, str, str]]:
    refs = set()
    for doc in DOCS:
        last = None
        for m in TOKEN.finditer(doc.read_text(encoding="utf-8")):
            if m.group(1):
                last = m.group(1)
                names = m.group(2)
            else:
                names = m.group(3)
                if last is None:
                    continue
            if names:
                refs.add((doc.name, last, names))
    return sorted(refs)


def test_documents_cite_tests():
    assert len(_references()) > 60  # formulas.md and reliability.md alone cite dozens


@pytest.mark.parametrize(("doc", "file", "names"), _references())
def test_cited_test_exists(doc, file, names):
    path = ROOT / "tests" / file
    assert path.is_file(), f"{doc} cites tests/{file}, which does not exist"
    text = path.read_text(encoding="utf-8")
    for name in names.strip(":").split("::"):
        assert re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{name}\b", text, re.M), (
            f"{doc} cites tests/{file}{names}: no def/class {name!r} there"
        )
