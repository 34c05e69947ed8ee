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
# comments, script and style blocks (left as they are) or a div/img start tag (quoted values may hold ">")
_TOKEN = re.compile(
    r"""<!--.*?-->|<(script|style)\b.*?</\1\s*>|<(div|img)\b((?:[^>"']|"[^"]*"|'[^']*')*)>""",
    re.IGNORECASE | re.DOTALL,
)
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+))?""")


def _attributes(text: str) -> dict[str, str]:
    """Attributes of a start tag's inside: lower-case name -> value without quotes ("" when it has none)."""
    return {m.group(1).lower(): (m.group(2) or "").strip("\"'") for m in _ATTRIBUTE.finditer(text)}


def _with_attribute(tag: str, attribute: str) -> str:
    """``tag`` (a start tag) with ``attribute`` appended after its last attribute."""
    end = -2 if tag.endswith("/>") else -1
    return f"{tag[:end].rstrip()} {attribute}{tag[end:]}"


def _finish(match: re.Match[str]) -> str:
    tag, name = match.group(0), (match.group(2) or "").lower()
    if not name:  # comment, script or style
        return tag
    attrs = _attributes(match.group(3))
    if name == "img":
        return tag if "alt" in attrs else _with_attribute(tag, f'alt="{MISSING_ALT}"')
    if "tabindex" in attrs or not set(attrs.get("class", "").split()) & set(_FOCUSABLE):
        return tag
    return _with_attribute(tag, 'tabindex="0"')


def finish_page(page: str) -> str:
    """``page`` with nbconvert's accessibility attributes: ``tabindex="0"`` on every output area and input
    wrapper (``div`` with class ``jp-OutputArea-output`` or ``jp-Cell-inputWrapper``) and an ``alt`` text on every
    ``img`` without one. Tags are read with quoted values (which may hold ``>``); comments, scripts and styles
    are left as they are. An existing ``tabindex`` or ``alt`` is kept."""
    return _TOKEN.sub(_finish, page)


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
