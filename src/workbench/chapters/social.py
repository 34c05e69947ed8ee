"""Chapter "Soziale Lage": SGB-II-Quote, Kinder- and Altersarmut, Arbeitslosigkeit, Alleinerziehende.

Model: the chapter's indicators (the ``indicators`` list of ``soziale_lage`` in the chapter file, else the
catalogue topic) bound to the protected indicator table; views per indicator: significance map, dot chart with
95 % intervals, trend chart and text, German table (:class:`workbench.chapters.indicator_views.IndicatorViews`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.chapters.indicator_views import IndicatorViews, chapter_indicators
from workbench.chapters.notes import NOTHING, Note

INPUTS = ("keys", "areas", "population", "counts|shares")
"""Processed tables the chapter needs (see :func:`workbench.chapters.missing_inputs`)."""


@dataclass(frozen=True)
class SocialModel:
    """The chapter's indicators and their views."""

    views: IndicatorViews
    indicators: tuple

    def overview(self) -> str:
        return self.views.overview(list(self.indicators))

    def published_note(self) -> Note:
        """German paragraph when some of the chapter's values are published without counts (empty otherwise):
        they have no interval, so no comparison, trend test or significance colours."""
        return published_note(self.indicators)


def published_note(indicators) -> Note:
    """The note of :meth:`SocialModel.published_note` for ``indicators`` (also used by other chapters)."""
    names = [ind.label for ind in indicators if ind.published]
    if not names:
        return NOTHING
    which = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " und " + names[-1]
    verb = "liegt" if len(names) == 1 else "liegen"
    return Note(
        f"**Ohne Fallzahlen veröffentlicht:** {which} {verb} nur als veröffentlichter Wert vor, ohne Zähler und "
        "Nenner. Für diese Werte gibt es kein Konfidenzintervall, keinen Vergleich mit der Stadt und keinen "
        "Trendtest; die Karten zeigen Wertklassen (Quintile) statt Signifikanz."
    )


def build(ch: Any, chapter: str = "soziale_lage") -> SocialModel:
    """The chapter model from a :class:`~workbench.chapters.context.Chapter`."""
    return SocialModel(IndicatorViews.of(ch), tuple(chapter_indicators(ch.catalogue, chapter)))
