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


_LAZY_ESM = """
// plotly's widget bundle (5 MB) loaded once per page from the model's _plotly_esm, outside anywidget's
// 2-second initialisation limit: a model that misses it never applies a change sent from Python.
function load(model) {
  if (!globalThis.__workbenchPlotlyWidget) {
    const blob = new Blob([model.get("_plotly_esm")], { type: "text/javascript" });
    globalThis.__workbenchPlotlyWidget = import(URL.createObjectURL(blob));
  }
  return globalThis.__workbenchPlotlyWidget;
}

export default () => {
  let inner = null;
  let ready = null;
  return {
    initialize(ctx) {
      ready = load(ctx.model).then((mod) => {
        const factory = mod.default;
        inner = typeof factory === "function" ? factory() : factory;
        if (inner.initialize) inner.initialize(ctx);
      });
    },
    async render(ctx) {
      await ready;
      return inner.render(ctx);
    },
  };
};
"""


def lazy_figure_widget_class():
    """A ``FigureWidget`` whose front-end code loads plotly's 5 MB widget bundle itself, once per page.

    anywidget gives a model 2 s to load and initialise its code; on a busy machine plotly's bundle takes
    longer, and such a model then drops every later message from Python (the figures stop following the
    controls, "[anywidget] Failed to initialize model." in the console). The small module here returns at once
    and loads the bundle (sent as the trait ``_plotly_esm``) in the background; the view waits for it.
    """
    import pathlib

    import plotly
    import traitlets

    base = import_figure_widget()
    source = (pathlib.Path(plotly.__file__).parent / "package_data" / "widgetbundle.js").read_text(
        encoding="utf-8"
    )

    class LazyFigureWidget(base):
        _esm = _LAZY_ESM
        _plotly_esm = traitlets.Unicode(source).tag(sync=True)

    return LazyFigureWidget
