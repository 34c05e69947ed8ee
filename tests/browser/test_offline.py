"""Published pages are self-contained and German: no page of the small demo report (index, chapters, profiles'
overview, profiles) refers to anything outside itself, and every page is tagged ``lang="de"``.

Reads the HTML of the session's e2e build (tests/conftest.py); needs no browser. Links a reader may follow
(``<a href>``) are no loads and are allowed; everything a browser fetches when it opens the page is not.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.slow

EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
CSS_EXTERNAL = re.compile(
    r"(?:@import\s+(?:url\()?|url\()\s*['\"]?\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE
)
SCRIPT_EXTERNAL = re.compile(r"""(?:import\s*\(|from\s+|src\s*=\s*)['"`]\s*(?:https?:)?//""", re.IGNORECASE)
# attributes whose URL the browser loads by itself (not <a href>, which only a click follows)
LOADING = {
    "script": ["src"],
    "img": ["src", "srcset"],
    "iframe": ["src"],
    "frame": ["src"],
    "embed": ["src"],
    "object": ["data"],
    "source": ["src", "srcset"],
    "audio": ["src"],
    "video": ["src", "poster"],
    "track": ["src"],
    "input": ["src"],
    "link": ["href"],
    "image": ["href", "xlink:href"],
    "use": ["href", "xlink:href"],
    "feimage": ["href", "xlink:href"],
}


def external_references(text: str) -> list[str]:
    """Everything in an HTML page that makes the browser contact another host when the page is opened."""
    soup = BeautifulSoup(text, "html.parser")
    found = []
    for tag in soup.find_all(True):
        for attr in LOADING.get(tag.name.lower(), []):
            value = tag.get(attr)
            if value and any(EXTERNAL.match(v.strip().split(" ")[0]) for v in str(value).split(",")):
                found.append(f"<{tag.name} {attr}={value!r}>")
        style = tag.get("style")
        if style and CSS_EXTERNAL.search(style):
            found.append(f"<{tag.name} style={style[:120]!r}>")
    for style in soup.find_all("style"):
        for m in CSS_EXTERNAL.finditer(style.get_text()):
            found.append(f"<style> {style.get_text()[m.start() : m.start() + 120]!r}")
    for script in soup.find_all("script"):
        for m in SCRIPT_EXTERNAL.finditer(script.get_text()):
            found.append(f"<script> {script.get_text()[m.start() : m.start() + 120]!r}")
    for meta in soup.find_all("meta", attrs={"http-equiv": re.compile("refresh", re.I)}):
        found.append(f"<meta refresh {meta.get('content')!r}>")
    return found


def test_detector_finds_what_nbconvert_lab_used_to_load():
    """The scanner itself: the CDN scripts of nbconvert's lab template, fonts and imports are found."""
    page = """<html><head><script src="https://cdnjs.cloudflare.com/require.min.js"></script>
    <link rel="stylesheet" href="//fonts.example.org/css"><style>@import url("https://x.org/a.css");
    .a{background:url(http://x.org/b.png)}</style>
    <script type="module">const m = (await import("https://cdn.example/mermaid.mjs")).default;</script>
    </head><body><img src="data:image/png;base64,AAAA"><a href="https://www.example.org">Quelle</a>
    <svg><image href="https://tiles.example/1.png"/></svg></body></html>"""
    found = external_references(page)
    assert len(found) == 6, found
    assert not external_references('<a href="https://example.org">Link</a><img src="karte.png">')


def _published_pages(reports: Path) -> list[Path]:
    pages = [reports / "index.html", *sorted((reports / "html").glob("*.html"))]
    pages += sorted((reports / "profiles").glob("*.html"))
    return pages


def test_no_published_page_loads_anything_external(e2e_report):
    pages = _published_pages(e2e_report["reports"])
    assert len(pages) >= 1 + len(e2e_report["cfg"]["chapters"]) + 2
    problems = {}
    for page in pages:
        found = external_references(page.read_text(encoding="utf-8"))
        if found:
            problems[page.name] = found[:3]
    assert not problems, problems


def test_every_published_page_is_german(e2e_report):
    for page in _published_pages(e2e_report["reports"]):
        head = page.read_text(encoding="utf-8")[:2000]
        match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", head)
        assert match and match.group(1) == "de", f"{page.name}: {match.group(0) if match else 'kein lang'}"
        title = re.search(r"<title>([^<]*)</title>", head)
        assert title and title.group(1).strip() not in ("", "profil") and not title.group(1).isidentifier(), (
            f"{page.name}: <title> {title.group(1) if title else None!r} sagt nicht, was die Seite ist"
        )
