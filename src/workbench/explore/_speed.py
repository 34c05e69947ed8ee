"""Import plotly's ``FigureWidget`` without the 3–4 s of an optional grammar package.

``plotly.graph_objects.FigureWidget`` imports ``plotly.io``, which imports ``nbformat`` → ``jsonschema``. When
the package ``rfc3987_syntax`` is installed (it comes with ``jupyter-events``), ``jsonschema`` imports it for its
optional "iri" format check, and that import compiles about 40 lark grammars: 3–4 s on this machine, most of the
explorer's opening time. The explorer and nbformat never check "iri" formats, so when ``jsonschema`` is not yet
loaded the import is skipped (``jsonschema`` then has no "iri"/"iri-reference" format checker in this process;
validation without ``format_checker``, as nbformat does it, is unchanged).
"""

from __future__ import annotations

import sys

_SLOW = "rfc3987_syntax"


def import_figure_widget():
    """``plotly.graph_objects.FigureWidget``, imported without the optional ``rfc3987_syntax`` grammar package
    when ``jsonschema`` has not been imported yet (see the module docstring)."""
    skip = "jsonschema" not in sys.modules and _SLOW not in sys.modules
    if skip:
        sys.modules[_SLOW] = None  # type: ignore[assignment]  # `import` raises ImportError, jsonschema skips it
    try:
        from plotly.graph_objects import FigureWidget
    finally:
        if skip and sys.modules.get(_SLOW, False) is None:
            del sys.modules[_SLOW]
    return FigureWidget
