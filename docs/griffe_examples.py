"""A griffe extension for the API reference (mkdocs.yml loads it; not part of the package).

lrx docstrings head their doctested example with ``Example:`` (Google style, as Napoleon
reads it) and cross-reference with Sphinx roles (``:func:`lrx.adam```); griffe's Google
parser knows only ``Examples:`` and Markdown shows the roles verbatim. Before griffe parses
a docstring this extension renames the heading, so the example renders as code, and turns
each role into inline code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_HEADING = re.compile(r"^Example:[ \t]*$", flags=re.MULTILINE)
_ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|obj|exc|math):`~?([^`]+)`")


class ExampleSections(griffe.Extension):
    """Read ``Example:`` as ``Examples:`` and Sphinx roles as inline code."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            text = _HEADING.sub("Examples:", obj.docstring.value)
            obj.docstring.value = _ROLE.sub(r"`\1`", text)
