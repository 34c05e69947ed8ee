"""Every page type of the small demo report opened in headless Chromium (the system's package, driven by
playwright): index, each chapter, the profiles' overview and a profile.

Each page must load without console errors, without any request leaving the page (every request is intercepted),
without horizontal overflow at A4 width (794 CSS pixels), and without a serious or critical accessibility
violation found by axe-core (axe.min.js of the pinned PyPI package axe-playwright-python). The profile printed to
PDF has at most two A4 pages and shows every Steckbrief column.

Uses the report built once per session (tests/conftest.py ``e2e_report``). Skipped with a message when Chromium
is missing (``make browser`` installs it as root).
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from pathlib import Path

import pytest

from workbench.build import pdf

pytestmark = pytest.mark.slow

A4_WIDTH = 794  # CSS pixels of an A4 page (210 mm at 96 dpi)
A4_HEIGHT = 1123
SERIOUS = {"serious", "critical"}
CHROMIUM = pdf.find_chromium()
if CHROMIUM is None:
    pytest.skip(
        "Chromium fehlt: Browsertests übersprungen (als root installiert „make browser“ es per apt-get; sonst "
        "„apt-get install chromium“ oder WORKBENCH_CHROMIUM=/pfad/zu/chromium)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def _page_types(reports: Path, chapters: list[str]) -> dict[str, Path]:
    pages = {"index": reports / "index.html"}
    pages.update({f"kapitel:{c}": reports / "html" / f"{c}.html" for c in chapters})
    pages["profile:uebersicht"] = reports / "profiles" / "index.html"
    profile = sorted(p for p in (reports / "profiles").glob("*.html") if p.name != "index.html")[0]
    pages["profil"] = profile
    return pages


@pytest.fixture(scope="module")
def opened(e2e_report, browser, axe_source) -> dict[str, dict]:
    """Open every page type once: console errors, outside requests, overflow, axe violations by impact."""
    results = {}
    for name, path in _page_types(e2e_report["reports"], e2e_report["cfg"]["chapters"]).items():
        assert path.exists(), path
        page = browser.new_page(viewport={"width": A4_WIDTH, "height": A4_HEIGHT})
        errors: list[str] = []
        outside: list[str] = []
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))

        def route(r, outside=outside):
            if r.request.url.startswith(("file:", "data:", "about:", "blob:")):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(path.as_uri(), wait_until="load")
        # the page does not scroll sideways, and nothing visible reaches beyond its right edge (a table cut off by
        # an overflow:hidden container would not make the page scroll, but loses columns)
        overflow = page.evaluate(
            """() => {
                const doc = document.documentElement;
                const wide = [...document.querySelectorAll('body *')]
                    .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > doc.clientWidth + 1)
                    .filter(e => !(e.parentElement && e.parentElement.closest('svg')))  // outermost svg only: a nested one is clipped
                    .slice(0, 3)
                    .map(e => e.tagName + ' ' + (e.textContent || '').trim().slice(0, 50));
                return {scroll: doc.scrollWidth, client: doc.clientWidth, wide};
            }"""
        )
        page.evaluate(axe_source)
        axe = page.evaluate(
            "async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))"
        )
        violations = json.loads(axe)["violations"]
        page.close()
        results[name] = {
            "errors": errors,
            "outside": outside,
            "overflow": overflow,
            "violations": violations,
            "impacts": Counter(v["impact"] for v in violations for _ in v["nodes"]),
        }
    summary = {n: dict(r["impacts"]) for n, r in results.items()}
    out = os.environ.get("WORKBENCH_AXE_SUMMARY")  # measurements for the notes: violations by impact per page
    if out:
        Path(out).write_text(
            json.dumps(
                {
                    n: {
                        "impacts": dict(r["impacts"]),
                        "rules": sorted(
                            {f"{v['impact']}: {v['id']} ({len(v['nodes'])})" for v in r["violations"]}
                        ),
                    }
                    for n, r in results.items()
                },
                indent=1,
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
    print("axe-Verstöße je Seitentyp (nach Schwere):", summary)
    return results


def test_no_console_errors(opened):
    assert {n: r["errors"] for n, r in opened.items() if r["errors"]} == {}


def test_no_request_leaves_the_page(opened):
    assert {n: r["outside"] for n, r in opened.items() if r["outside"]} == {}


def test_no_horizontal_overflow_at_a4_width(opened):
    wide = {
        n: r["overflow"]
        for n, r in opened.items()
        if r["overflow"]["scroll"] > r["overflow"]["client"] + 1 or r["overflow"]["wide"]
    }
    assert wide == {}


def test_no_serious_or_critical_accessibility_violation(opened):
    bad = {
        n: [
            f"{v['impact']}: {v['id']} – {v['help']} ({len(v['nodes'])}×, z. B. {v['nodes'][0]['target']})"
            for v in r["violations"]
            if v["impact"] in SERIOUS
        ]
        for n, r in opened.items()
    }
    assert {n: v for n, v in bad.items() if v} == {}


def test_profile_prints_on_at_most_two_a4_pages_with_every_steckbrief_column(e2e_report, browser):
    from pypdf import PdfReader

    pages = _page_types(e2e_report["reports"], e2e_report["cfg"]["chapters"])
    with pdf.PdfPrinter(browser=browser) as printer:
        data = printer.pdf_bytes(pages["profil"])
    reader = PdfReader(io.BytesIO(data))
    assert 1 <= len(reader.pages) <= 2, f"Profil druckt auf {len(reader.pages)} Seiten"
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2, "kein A4"
    text = " ".join(p.extract_text() for p in reader.pages).replace("\n", " ")
    for column in ("Vergleich mit Stadt", "Vergleich mit Stadtbezirk", "Trend"):
        assert column in text, f"Steckbrief-Spalte „{column}“ fehlt im PDF"


def test_pdfs_carry_title_language_tags_and_the_whole_report_has_bookmarks(e2e_report, browser, tmp_path):
    """Chapter and profile PDFs: A4, title, language, tagged; joined: one bookmark per part, headings below."""
    import datetime

    from pypdf import PdfReader

    from workbench.settings import load_report_config

    cfg = load_report_config(e2e_report["tmp"] / "report.yaml")
    pages = _page_types(e2e_report["reports"], e2e_report["cfg"]["chapters"])
    chosen = [("index", "Übersicht"), ("kapitel:bevoelkerung", "Bevölkerung"), ("profil", "Profil")]
    header, footer = pdf._header_footer(cfg, datetime.date(2025, 3, 1))
    parts = []
    with pdf.PdfPrinter(header=header, footer=footer, browser=browser) as printer:
        for key, title in chosen:
            out = printer.print_page(pages[key], tmp_path / f"{key.replace(':', '_')}.pdf", title)
            parts.append(pdf.Part(pages[key], out, title))
    for part in parts:
        reader = PdfReader(part.pdf)
        root = reader.trailer["/Root"]
        assert reader.metadata.title == part.title
        assert root["/Lang"] == "de-DE" and "/StructTreeRoot" in root, part.title
        text = reader.pages[0].extract_text()
        assert "Sozialbericht" in text and "Seite 1 von" in text and "01.03.2025" in text, text[:300]
    whole = pdf.combine(parts, tmp_path / "bericht.pdf", "Sozialbericht Test")
    reader = PdfReader(whole)
    assert len(reader.pages) == sum(len(PdfReader(p.pdf).pages) for p in parts)
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == [title for _, title in chosen]
    assert any(isinstance(item, list) and item for item in reader.outline), (
        "keine Überschriften unter den Teilen"
    )
    assert reader.metadata.title == "Sozialbericht Test" and reader.trailer["/Root"]["/Lang"] == "de-DE"
