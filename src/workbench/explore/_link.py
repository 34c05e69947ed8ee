"""The mini-profile's link to an area's profile page, valid where the explorer runs.

A relative link from the notebook to ``<reports>/profiles/<id>.html`` works in neither front end: JupyterLab
resolves it against its own ``/lab/tree/…`` page route, and Voila serves no file outside its ``/voila/files/``
route. The link is therefore computed in the browser from the page's ``jupyter-config-data``:

- **JupyterLab / Notebook 7** (the page config has ``serverRoot``): ``<baseUrl>files/<path below the server
  root>`` – Jupyter Server's file route, which serves the page as it is (static HTML, no kernel).
- **Voila** (``appUrl`` is ``voila/``): ``<baseUrl>voila/files/<path below Voila's root>``; Voila serves only
  files matched by ``VoilaConfiguration.file_allowlist``. ``make explorer`` (:mod:`workbench.explore.serve`)
  sets Voila's root and allows exactly the report folder's HTML pages, and passes the root to the kernel as
  ``WORKBENCH_EXPLORER_FILES_ROOT``.
- Anywhere else (or a page outside the served folder) the widget shows the file's path as text.
"""

from __future__ import annotations

import os
from pathlib import Path

import anywidget
import traitlets

from workbench.explore.serve import FILES_ROOT_ENV

_ESM = """
function pageConfig() {
  const el = document.getElementById("jupyter-config-data");
  if (!el) return {};
  try { return JSON.parse(el.textContent); } catch (e) { return {}; }
}

function href(model) {
  const path = model.get("path");
  if (!path) return null;
  const cfg = pageConfig();
  const base = (cfg.baseUrl || "/").replace(/\\/?$/, "/");
  let root = null;
  let route = null;
  if (typeof cfg.serverRoot === "string") {  // JupyterLab, Notebook 7: Jupyter Server's /files/
    root = cfg.serverRoot.replace(/^~(?=\\/|$)/, model.get("home"));
    route = "files/";
  } else if (cfg.appUrl === "voila/" && model.get("voila_root")) {  // Voila: its allowlisted /voila/files/
    root = model.get("voila_root");
    route = "voila/files/";
  }
  if (root === null) return null;
  root = root.replace(/\\/+$/, "");
  if (!path.startsWith(root + "/")) return null;
  const rel = path.slice(root.length + 1).split("/").map(encodeURIComponent).join("/");
  return base + route + rel;
}

function render({ model, el }) {
  const draw = () => {
    el.innerHTML = "";
    const path = model.get("path");
    if (!path) {
      if (model.get("missing")) {
        const p = document.createElement("p");
        p.className = "wb-explorer-link";
        p.style.fontSize = "12px";
        p.textContent = model.get("missing");
        el.appendChild(p);
      }
      return;
    }
    const p = document.createElement("p");
    p.className = "wb-explorer-link";
    const url = href(model);
    if (url) {
      const a = document.createElement("a");
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = model.get("text");
      p.appendChild(a);
    } else {
      p.style.fontSize = "12px";
      p.textContent = model.get("text") + ": " + path;
    }
    el.appendChild(p);
  };
  draw();
  model.on("change", draw);
}
export default { render };
"""


class ProfileLink(anywidget.AnyWidget):
    """Link to an area's profile page, computed in the browser for JupyterLab or Voila (module docstring).

    ``path`` is the page's absolute file path (POSIX), empty when there is none; ``missing`` is the German
    note shown then (e.g. the profiles are not built yet).
    """

    _esm = _ESM
    path = traitlets.Unicode("").tag(sync=True)
    text = traitlets.Unicode("Gebietsprofil öffnen").tag(sync=True)
    missing = traitlets.Unicode("").tag(sync=True)
    voila_root = traitlets.Unicode("").tag(sync=True)
    home = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs):
        root = os.environ.get(FILES_ROOT_ENV, "")
        kwargs.setdefault("voila_root", Path(os.path.abspath(root)).as_posix() if root else "")
        kwargs.setdefault("home", Path.home().as_posix())
        super().__init__(**kwargs)

    def point_to(self, page: Path | None, missing: str = "") -> None:
        """Link to ``page`` (a file); without a page, show ``missing`` instead."""
        if page is not None and page.is_file():
            self.missing = ""
            self.path = Path(os.path.abspath(page)).as_posix()
        else:
            self.path = ""
            self.missing = missing
