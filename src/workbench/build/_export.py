"""The HTML exporter of published pages: nbconvert's ``HTMLExporter`` without its second parse of the page.

nbconvert's :class:`~nbconvert.exporters.HTMLExporter` renders the page from its template and then parses the whole
page again with BeautifulSoup (``html.parser``) only to set three attributes: ``alt`` on images without one and
``tabindex="0"`` on the output areas and input wrappers, so keyboard users can scroll them. For a Sozialraumprofil
(about 390 kB of HTML with inline SVG figures) that parse and re-serialisation is two thirds of the export (0.2 of
0.3 s per page). :class:`PageExporter` renders the same template and sets the same attributes on the rendered
string. The result parses to the same document as nbconvert's (checked in ``tests/build/test_export.py``).
"""

from __future__ import annotations

import re
from typing import Any

from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

MISSING_ALT = "No description has been provided for this image"
"""The ``alt`` text nbconvert gives an image that has none (kept, so pages stay as nbconvert makes them)."""

_FOCUSABLE = ("jp-OutputArea-output", "jp-Cell-inputWrapper")
_DIV = re.compile(r'<div\b[^>]*?\bclass="([^"]*)"[^>]*>')
_IMG = re.compile(r"<img\b[^>]*>")
_ALT = re.compile(r"\salt\s*=", re.IGNORECASE)


def _with_attribute(tag: str, attribute: str) -> str:
    """``tag`` (a start tag) with ``attribute`` appended after its last attribute."""
    end = -2 if tag.endswith("/>") else -1
    return f"{tag[:end].rstrip()} {attribute}{tag[end:]}"


def _focusable(match: re.Match[str]) -> str:
    tag = match.group(0)
    classes = match.group(1).split()
    if "tabindex=" in tag or not any(c in classes for c in _FOCUSABLE):
        return tag
    return _with_attribute(tag, 'tabindex="0"')


def _described(match: re.Match[str]) -> str:
    tag = match.group(0)
    return tag if _ALT.search(tag) else _with_attribute(tag, f'alt="{MISSING_ALT}"')


def finish_page(page: str) -> str:
    """``page`` with nbconvert's accessibility attributes: ``tabindex="0"`` on every output area and input
    wrapper (``div`` with class ``jp-OutputArea-output`` or ``jp-Cell-inputWrapper``) and an ``alt`` text on every
    ``img`` without one."""
    return _IMG.sub(_described, _DIV.sub(_focusable, page))


class PageExporter(HTMLExporter):
    """``HTMLExporter`` that sets its accessibility attributes on the rendered string (:func:`finish_page`)
    instead of parsing the page again. Everything else (template, filters, resources) is nbconvert's."""

    def from_notebook_node(self, nb, resources: dict[str, Any] | None = None, **kw: Any):  # type: ignore[override]
        # the two per-notebook filters HTMLExporter registers before it renders
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        resources = self._init_resources(resources)
        self.register_filter(
            "highlight_code",
            self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)),
        )
        self.register_filter(
            "filter_data_type",
            WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
        )
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return finish_page(page), resources
