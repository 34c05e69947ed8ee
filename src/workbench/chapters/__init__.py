"""Report chapters and the Sozialraumprofil: each computes a protected model and renders views from it.

The chapter contract (see :mod:`workbench.chapters.context`): a chapter module declares ``INPUTS``, the
processed tables it needs, and ``build(ch)``, which computes the chapter's model (protected, publishable frames
and the data of its figures) from the chapter context ``ch``; the model's methods render the views. Chapter
notebooks hold only these calls and German narrative.

:data:`CHAPTERS` maps the chapter names of the report config (``chapters:``, notebook names) to their modules;
:func:`missing_inputs` says which processed tables a city's data lack for a chapter, so a build can leave that
chapter out with a note instead of failing.
"""

from __future__ import annotations

import importlib
from types import ModuleType

CHAPTERS: dict[str, str] = {
    "bevoelkerung": "population",
    "soziale_lage": "social",
    "monitoring": "monitoring",
    "demografie": "demography",
    "kinder_jugend": "youth",
    "wohnen": "housing",
    "datenqualitaet": "quality",
    "profil": "profile",
}
"""Chapter name (notebook ``notebooks/<name>.ipynb``) → module in :mod:`workbench.chapters`."""

TABLE_LABELS: dict[str, str] = {
    "keys": "Schlüsseltabelle der Gebiete",
    "areas": "Gebietsgeometrien",
    "population": "Einwohner nach Alter und Geschlecht",
    "counts": "Fallzahlen (SGB II, Arbeitslose, Haushalte …)",
    "events": "Bevölkerungsbewegungen",
    "facilities": "Einrichtungen",
    "survey": "Befragung",
    "measures": "Maßnahmen",
}
"""German names of the processed tables a chapter may need (for messages)."""


def chapter_module(name: str) -> ModuleType:
    """The module of chapter ``name``; raises ``KeyError`` naming the known chapters."""
    if name not in CHAPTERS:
        raise KeyError(f"unbekanntes Kapitel {name!r}; bekannt: {', '.join(CHAPTERS)}")
    return importlib.import_module(f"workbench.chapters.{CHAPTERS[name]}")


def required_inputs(name: str) -> tuple[str, ...]:
    """The processed tables chapter ``name`` declares in its ``INPUTS``."""
    return tuple(chapter_module(name).INPUTS)


def missing_inputs(name: str, dataset) -> list[str]:
    """The inputs of chapter ``name`` that ``dataset`` (:class:`workbench.io.dataset.Dataset`) does not hold."""
    return [t for t in required_inputs(name) if not dataset.has(t)]
