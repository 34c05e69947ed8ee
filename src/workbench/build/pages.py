"""Look of every published page: the nbconvert template of chapters and profiles and the shared styles.

Chapters and profiles are exported with the template ``workbench`` (``templates/nbconvert/workbench``, based on
nbconvert's ``lab`` template): the page is in German (``lang="de"``) and self-contained - require.js, MathJax,
mermaid.js and the widget manager, which the lab template loads from a public CDN, are left out (the report has
no code cells, formulas or widgets). :data:`PRINT_CSS` (the template's ``static/workbench.css``) holds the screen
and A4 print styles; the index and overview pages, written by hand, include the same file.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "nbconvert"
"""Folder of the workbench's nbconvert templates (``extra_template_basedirs`` of the exporter)."""

TEMPLATE_NAME = "workbench"

LANGUAGE = "de"

PRINT_CSS = (TEMPLATE_DIR / TEMPLATE_NAME / "static" / "workbench.css").read_text(encoding="utf-8")
"""Screen and A4 print styles of every published page (``@page`` A4, no cut tables, headings kept with what
follows, figures not split)."""


def style_block(css: str) -> str:
    """``<style>`` element with a page's own ``css`` followed by the shared :data:`PRINT_CSS`."""
    return f"<style>{css}\n{PRINT_CSS}</style>"


__all__ = ["LANGUAGE", "PRINT_CSS", "TEMPLATE_DIR", "TEMPLATE_NAME", "style_block"]
