"""Chapter "Soziale Lage": SGB-II-Quote, Kinder- and Altersarmut, Arbeitslosigkeit, Alleinerziehende.

Model: the chapter's indicators (the ``indicators`` list of ``soziale_lage`` in the chapter file, else the
catalogue topic) bound to the protected indicator table; views per indicator: significance map, dot chart with
95 % intervals, trend chart and text, German table (:class:`workbench.chapters.indicator_views.IndicatorViews`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.chapters.indicator_views import IndicatorViews, chapter_indicators

INPUTS = ("keys", "areas", "population", "counts")
"""Processed tables the chapter needs (see :func:`workbench.chapters.missing_inputs`)."""


@dataclass(frozen=True)
class SocialModel:
    """The chapter's indicators and their views."""

    views: IndicatorViews
    indicators: tuple

    def overview(self) -> str:
        return self.views.overview(list(self.indicators))


def build(ch: Any, chapter: str = "soziale_lage") -> SocialModel:
    """The chapter model from a :class:`~workbench.chapters.context.Chapter`."""
    return SocialModel(IndicatorViews.of(ch), tuple(chapter_indicators(ch.catalogue, chapter)))
