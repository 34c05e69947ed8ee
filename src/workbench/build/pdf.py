"""PDF edition of the report (``make pdf`` / ``workbench pdf``): one A4 PDF per chapter, per Sozialraumprofil and
one PDF of the whole report with bookmarks, in ``<reports>/pdf/``.

Renderer: the published HTML pages are printed by headless Chromium from the operating system's packages
(Debian/Ubuntu ``chromium``), driven by the ``playwright`` Python package with ``executable_path`` - no browser
download. Chromium is the browser that renders the pages on screen (the inline SVG figures, the JupyterLab
styles), so the PDF looks like the page; it honours the pages' ``@page`` A4 rule, writes the running page header
and footer (city, report, date, "Seite x von y"), a tagged PDF with the page language and an outline from the
headings. WeasyPrint would need no browser but does not run the pages' layout the same way (flexbox/grid of the
JupyterLab styles) and was not needed for anything Chromium cannot do.

Every PDF is written atomically (temporary file + ``os.replace``); a page whose PDF is newer than its HTML is not
printed again. The whole report (``bericht.pdf``) is the index page, the chapters in report order, the profiles'
overview and every profile, joined with pypdf: one bookmark per part with the part's own heading outline below it.
While printing, every request that would leave the page is blocked: a PDF never depends on the network.
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench.build._jobs import write_atomic
from workbench.errors import WorkbenchError
from workbench.settings import ReportConfig, activate, chapter_titles, load_report_config, relative_to_root

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""Executables tried in this order on the PATH (after the environment variable ``WORKBENCH_CHROMIUM``)."""

LANG = "de-DE"

# pypdf warns about harmless quirks of Chromium's files ("Object count … exceeds defined trailer size"): not for
# the planner's console
logging.getLogger("pypdf").setLevel(logging.ERROR)

_MARGIN = {"top": "18mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}


@dataclass(frozen=True)
class Part:
    """One published page printed to PDF: its HTML, its PDF and the bookmark title in the whole report."""

    html: Path
    pdf: Path
    title: str


def find_chromium() -> Path | None:
    """The Chromium executable: ``$WORKBENCH_CHROMIUM`` if set, else the first of :data:`CHROMIUM_NAMES` on the
    PATH; ``None`` when there is none."""
    wanted = os.environ.get("WORKBENCH_CHROMIUM")
    if wanted:
        path = Path(wanted)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def missing_browser_hint() -> str:
    """German hint how to get Chromium (shown when it is missing)."""
    return (
        "Chromium installieren: unter Debian/Ubuntu als root „apt-get install -y chromium“ (make pdf tut das als "
        "root selbst), sonst den Pfad eines vorhandenen Chromium/Chrome in der Umgebungsvariable "
        "WORKBENCH_CHROMIUM angeben."
    )


def pdf_dir(cfg: ReportConfig) -> Path:
    """``<reports>/pdf``: the PDF edition of the report."""
    return cfg.paths.reports / "pdf"


def report_parts(cfg: ReportConfig) -> list[Part]:
    """The published pages of the report in reading order, each with its PDF path and bookmark title.

    Index page, chapters (order of the config; only those whose HTML exists), the profiles' overview and every
    profile (sorted by id). Profile titles are read from the page's ``<title>``.
    """
    out = pdf_dir(cfg)
    titles = chapter_titles(cfg)
    parts: list[Part] = []
    if cfg.paths.index_html.exists():
        parts.append(Part(cfg.paths.index_html, out / "uebersicht.pdf", "Übersicht und Herkunft der Daten"))
    for name in cfg.chapters:
        page = cfg.paths.html / f"{name}.html"
        if page.exists():
            parts.append(Part(page, out / f"{name}.pdf", titles.get(name, {}).get("title", name)))
    overview = cfg.paths.profiles / "index.html"
    if overview.exists():
        parts.append(Part(overview, out / "profile" / "uebersicht.pdf", "Sozialraumprofile"))
        for page in sorted(cfg.paths.profiles.glob("*.html")):
            if page.name != "index.html":
                parts.append(Part(page, out / "profile" / f"{page.stem}.pdf", _page_title(page, page.stem)))
    return parts


def _page_title(path: Path, default: str) -> str:
    """The text of the page's ``<title>`` (first 4 kB read), else ``default``."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        head = handle.read(4096)
    start, end = head.find("<title>"), head.find("</title>")
    if start < 0 or end < start:
        return default
    return html.unescape(head[start + 7 : end]).strip() or default


def _header_footer(cfg: ReportConfig, today: _dt.date) -> tuple[str, str]:
    """Chromium header and footer templates (German): city and report left, page title right; date and
    "Seite x von y" below."""
    style = (
        "font-family:Arial,sans-serif;font-size:7.5pt;color:#3e4c59;width:100%;margin:0 14mm;"
        "display:flex;justify-content:space-between;gap:8mm"
    )
    report = html.escape(f"Sozialbericht {cfg.city} {cfg.reporting_year}")
    header = f'<div style="{style}"><span>{report}</span><span class="title"></span></div>'
    footer = (
        f'<div style="{style}"><span>Stand {today.strftime("%d.%m.%Y")}</span>'
        '<span>Seite <span class="pageNumber"></span> von <span class="totalPages"></span></span></div>'
    )
    return header, footer


class PdfPrinter:
    """Headless Chromium (system package) that prints local HTML pages to A4 PDF; use as a context manager.

    ``browser``: an already running playwright Chromium browser to print with (e.g. a test session's), which is
    then neither started nor closed here.
    """

    def __init__(self, chromium: Path | None = None, header: str = "", footer: str = "", browser=None):
        self.chromium = chromium or find_chromium()
        if self.chromium is None and browser is None:
            raise WorkbenchError(
                "Chromium nicht gefunden – PDFs können nicht erstellt werden", hint=missing_browser_hint()
            )
        self.header, self.footer = header, footer
        self._pw = None
        self._browser = browser
        self._own = browser is None

    def __enter__(self) -> PdfPrinter:
        if not self._own:
            return self
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:  # pragma: no cover - playwright is a declared dependency
            raise WorkbenchError("Python-Paket playwright fehlt", hint="make setup ausführen") from exc
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=str(self.chromium), headless=True)
        except Exception as exc:
            self._pw.stop()
            raise WorkbenchError(
                f"Chromium ({self.chromium}) startet nicht: {str(exc).strip().splitlines()[0]}",
                hint=missing_browser_hint(),
            ) from None
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._own:
            return
        if self._browser is not None:
            self._browser.close()
        if self._pw is not None:
            self._pw.stop()
        self._browser = self._pw = None

    def pdf_bytes(self, page_path: Path) -> bytes:
        """Print one local HTML page to A4 PDF (tagged, with outline); requests leaving the page are blocked."""
        assert self._browser is not None, "PdfPrinter must be used as a context manager"
        page = self._browser.new_page()
        try:
            page.route("**/*", _local_only)
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            return page.pdf(
                format="A4",
                prefer_css_page_size=True,
                print_background=True,
                display_header_footer=bool(self.header or self.footer),
                header_template=self.header or "<span></span>",
                footer_template=self.footer or "<span></span>",
                margin=_MARGIN,
                tagged=True,
                outline=True,
            )
        finally:
            page.close()

    def print_page(self, page_path: Path, pdf_path: Path, title: str | None = None) -> Path:
        """Print ``page_path`` to ``pdf_path`` (atomically) with document title and language set."""
        data = _with_metadata(self.pdf_bytes(page_path), title or _page_title(page_path, page_path.stem))
        write_atomic(pdf_path, data)
        return pdf_path


def _local_only(route) -> None:
    """Playwright route handler: pages may load their own file and inline data, nothing else."""
    if route.request.url.startswith(("file:", "data:", "about:")):
        route.continue_()
    else:
        route.abort()


def _with_metadata(data: bytes, title: str) -> bytes:
    """The PDF ``data`` with ``/Title`` (document information), ``/Lang`` and ``DisplayDocTitle`` set."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import BooleanObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    _set_document_info(writer, title)
    prefs = writer._root_object.get("/ViewerPreferences")
    prefs = prefs.get_object() if prefs is not None else DictionaryObject()
    prefs[NameObject("/DisplayDocTitle")] = BooleanObject(True)
    writer._root_object[NameObject("/ViewerPreferences")] = prefs
    writer._root_object[NameObject("/Lang")] = TextStringObject(LANG)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _set_document_info(writer, title: str) -> None:
    writer.add_metadata(
        {"/Title": title, "/Creator": "Sozialplanungs-Workbench", "/Producer": "Chromium, pypdf"}
    )


def combine(parts: Sequence[Part], out: Path, title: str) -> Path:
    """Join the parts' PDFs into ``out`` (atomically): one bookmark per part, its heading outline nested below."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    for part in parts:
        start = len(writer.pages)
        writer.append(str(part.pdf), import_outline=False)
        parent = writer.add_outline_item(part.title, start)
        _copy_outline(writer, part.pdf, parent, start)
    _set_document_info(writer, title)
    writer._root_object[NameObject("/Lang")] = TextStringObject(LANG)
    writer.page_mode = "/UseOutlines"
    buffer = io.BytesIO()
    writer.write(buffer)
    write_atomic(out, buffer.getvalue())
    return out


def _copy_outline(writer, pdf: Path, parent, offset: int) -> None:
    """Add the heading outline of ``pdf`` under ``parent``, page numbers shifted by ``offset``."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))

    def walk(items, under) -> None:
        last = under
        for item in items:
            if isinstance(item, list):
                walk(item, last)
                continue
            page = reader.get_destination_page_number(item)
            if page is None or page < 0:
                continue
            last = writer.add_outline_item(str(item.title), offset + page, parent=under)

    try:
        walk(reader.outline, parent)
    except Exception:  # an outline pypdf cannot read: the part keeps its own bookmark only
        pass


def _stale(part: Part, newer_than: float) -> bool:
    return not part.pdf.exists() or part.pdf.stat().st_mtime < max(part.html.stat().st_mtime, newer_than)


def build_pdfs(
    config_path: str | Path | None = None,
    only: Sequence[str] | None = None,
    force: bool = False,
    today: _dt.date | None = None,
) -> list[Path]:
    """Print the report's published pages to ``<reports>/pdf`` and join them into ``bericht.pdf``.

    Only pages whose PDF is missing or older than the HTML (or than the print styles) are printed, unless
    ``force``. ``only``: names of pages to print (chapter names, area ids, ``uebersicht``); then no whole-report
    PDF is written. Returns the PDFs written. Raises :class:`WorkbenchError` (German) when the report has not
    been built or Chromium is missing.
    """
    from workbench.build import pages

    cfg = activate(load_report_config(config_path))
    parts = report_parts(cfg)
    if not parts:
        raise WorkbenchError(
            f"kein Bericht in {relative_to_root(cfg.paths.reports)} – zuerst den Bericht bauen",
            hint="make report (oder workbench report) ausführen, dann make pdf",
        )
    if only:
        wanted = set(only)
        parts = [p for p in parts if p.pdf.stem in wanted or p.html.stem in wanted]
        if not parts:
            raise WorkbenchError(f"keine Seite namens {', '.join(sorted(wanted))} im Bericht")
    styles = (pages.TEMPLATE_DIR / pages.TEMPLATE_NAME / "static" / "workbench.css").stat().st_mtime
    todo = [p for p in parts if force or _stale(p, styles)]
    written: list[Path] = []
    if todo:
        header, footer = _header_footer(cfg, today or _dt.date.today())
        with PdfPrinter(header=header, footer=footer) as printer:
            for part in todo:
                written.append(printer.print_page(part.html, part.pdf, part.title))
    if not only:
        whole = pdf_dir(cfg) / "bericht.pdf"
        newest = max(p.pdf.stat().st_mtime for p in parts)
        if force or written or not whole.exists() or whole.stat().st_mtime < newest:
            written.append(combine(parts, whole, f"Sozialbericht {cfg.city} {cfg.reporting_year}"))
    return written


__all__ = [
    "CHROMIUM_NAMES",
    "Part",
    "PdfPrinter",
    "build_pdfs",
    "combine",
    "find_chromium",
    "missing_browser_hint",
    "pdf_dir",
    "report_parts",
]
