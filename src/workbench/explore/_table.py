"""The explorer's table as a small anywidget: the HTML of :func:`workbench.explore._views.table_html`, a click on
a row selects its area, a click on a column head sorts by it (both sent back to Python)."""

from __future__ import annotations

import anywidget
import traitlets

_ESM = """
function render({ model, el }) {
  const draw = () => {
    const box = el.querySelector(".wb-explorer-table");
    const top = box ? box.scrollTop : 0;
    el.innerHTML = model.get("value");
    const again = el.querySelector(".wb-explorer-table");
    if (again) again.scrollTop = top;
  };
  draw();
  model.on("change:value", draw);
  el.addEventListener("click", (event) => {
    const head = event.target.closest("th[data-sort]");
    if (head) {
      model.set("sort_request", head.dataset.sort + "|" + Date.now());
      model.save_changes();
      return;
    }
    const row = event.target.closest("tr[data-unit]");
    if (row) {
      model.set("clicked", row.dataset.unit + "|" + Date.now());
      model.save_changes();
    }
  });
}
export default { render };
"""

_CSS = """
.wb-explorer-table tr[data-unit] { cursor: pointer; }
.wb-explorer-table tr[data-unit]:hover { outline: 1px solid #555; }
.wb-explorer-table th[data-sort] { cursor: pointer; text-decoration: underline dotted; }
.wb-explorer-table th, .wb-explorer-table td { padding: 1px 6px; }
.wb-explorer-table thead th { position: sticky; top: 0; background: #fff; }
"""


class TableWidget(anywidget.AnyWidget):
    """HTML table whose rows and column heads can be clicked.

    ``value`` is the table's HTML; a click on a row sets ``clicked`` to ``"<unit id>|<time>"``, a click on a
    column head sets ``sort_request`` to ``"<sort key>|<time>"`` (the time makes a repeated click a change).
    """

    _esm = _ESM
    _css = _CSS
    value = traitlets.Unicode("").tag(sync=True)
    clicked = traitlets.Unicode("").tag(sync=True)
    sort_request = traitlets.Unicode("").tag(sync=True)
