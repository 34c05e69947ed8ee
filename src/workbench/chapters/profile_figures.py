"""Figures of one Sozialraumprofil as inline SVG (:mod:`workbench.render.svg`), from a
:class:`workbench.chapters.profile.Profile`.

Only published values are drawn (``pub_*`` columns, protected age bands), exactly the content of the former
matplotlib figures: spine chart, trends of the main social indicators (small multiples), age pyramid,
locator map and facility map. SVG text is written directly, so a profile's five figures take milliseconds
instead of seconds. A figure the data do not allow (too few years for the trends, no single ages for the
pyramid, no facility register) is the German sentence why (a :class:`workbench.chapters.notes.Note`), which
:func:`show` displays as text. Usage in the notebook::

    from workbench import profile_figures as pf
    pf.show(pf.spine(p))
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from shapely.geometry import box

from workbench.chapters.notes import Note
from workbench.chapters.profile import (
    LOCATOR_MAX_AREAS,
    MAIN_TRENDS,
    NEAR_METRES,
    TREND_TEXT,
    Profile,
    age_bands,
)
from workbench.render import fmt, svg
from workbench.render.figure_text import FigureText, svg_figure_html
from workbench.vocabulary import CITY_ID

SOURCES_SOCIAL = "Quellen: Bundesagentur für Arbeit, Sozialamt, Einwohnermelderegister."


def show(svg_text: str) -> None:
    """Display an SVG inline in the notebook (as HTML, so nbconvert embeds the markup, not a base64 image);
    a :class:`~workbench.chapters.notes.Note` as text (an empty one not at all)."""
    from IPython.display import HTML, Markdown, display

    if isinstance(svg_text, Note):
        if svg_text:
            display(Markdown(svg_text))
        return
    display(HTML(svg_figure_html(svg_text, getattr(svg_text, "wb_text", None))))


def spine(p: Profile) -> str:
    """Spine chart of all indicators: area vs. city and the spread of all Sozialräume (published values)."""
    return svg.spine_chart_svg(
        p.spine_rows(),
        area_label=p.name,
        city_label="Stadt",
        title=f"{p.name} im Vergleich mit der Stadt und allen Sozialräumen, {p.year}",
        note="Punkt: Sozialraum, Farbe nach Vergleich mit der Stadt (95-%-Konfidenzintervall); "
        "senkrechte Linie: Stadt; helle Fläche: Spannweite, dunkle Fläche: mittlere 50 % aller "
        "Sozialräume (nur veröffentlichte Werte). Quellen: Einwohnermelderegister, Bundesagentur für Arbeit.",
    )


def trends(p: Profile, indicators: tuple[str, ...] = MAIN_TRENDS) -> str:
    """Small multiples of the main social indicators over all years: area (band = 95 % CI) and city (the
    sentence why not with fewer than ``TREND_MIN_YEARS`` years; indicators the data do not allow are skipped)."""
    note = p.trends_left_out()
    if note:
        return note
    ids = [i for i in indicators if i in p.order]
    t = p.ch.indicators
    hist = t[t["indicator"].isin(ids)]
    area = hist[(hist["level"] == "sozialraum") & (hist["unit_id"] == p.area_id)]
    city = hist[hist["level"] == "stadt"].set_index(["indicator", "year"])["pub_value"]
    panels = []
    table: dict[str, pd.Series] = {}
    fmts: dict[str, dict] = {}
    parts: list[str] = []
    for ind_id in ids:
        ind = p.meta[ind_id]
        d = area[area["indicator"] == ind_id].sort_values("year")
        last = d[d["year"] == p.year]
        marker = None
        if len(last) and last["status"].iloc[0] == "shown":
            marker = f"Trend: {TREND_TEXT.get(str(last['trend'].iloc[0]), 'nicht berechenbar')}"
        panels.append(
            svg.sparkline_svg(
                d["year"].to_numpy(),
                d["pub_value"].to_numpy(dtype=float),
                d["pub_lower95"].to_numpy(dtype=float),
                d["pub_upper95"].to_numpy(dtype=float),
                [city.get((ind_id, y), np.nan) for y in d["year"]],
                unit=ind.unit,
                decimals=ind.decimals,
                title=ind.label,
                marker_text=marker,
            )
        )
        # data table: the drawn (rounded, published) values, withheld ones as "."
        col = f"{ind.label} ({ind.unit})"
        vals = pd.Series(
            np.round(d["pub_value"].to_numpy(dtype=float), ind.decimals), index=d["year"].astype(int)
        )
        table[col] = vals
        fmts[col] = {"decimals": ind.decimals, "unit": ""}
        ok = vals.dropna()
        if len(ok) >= 2:
            parts.append(
                f"{ind.label} {fmt.number(ok.iloc[0], ind.decimals)} ({ok.index[0]}) → "
                f"{fmt.number(ok.iloc[-1], ind.decimals)} ({ok.index[-1]})"
                + (f", {marker}" if marker else "")
            )
    data = pd.DataFrame(table)
    data.index = pd.Index([str(y) for y in data.index], name="Jahr")
    info = FigureText(
        f"Zeitreihen für {p.name}: " + ("; ".join(parts) or "keine veröffentlichten Werte") + ".",
        data,
        {c: "rate" for c in data.columns},
        f"Daten zur Abbildung: Entwicklung der sozialen Lage in {p.name}",
        {"number_formats": fmts},
    )
    return svg.trend_multiples_svg(
        panels,
        area_label=p.name,
        benchmark_label="Stadt",
        title=f"Entwicklung der sozialen Lage in {p.name}",
        note="Linie: Sozialraum mit 95-%-Konfidenzintervall (Band, Wilson); gestrichelt: Stadt. Trend: "
        "χ²-Trendtest über die letzten 5 Jahre, 99,8 %. Fehlende Punkte: geheimgehalten; fehlender Stadtwert: "
        "ein Teilwert wurde bereits geheimgehalten geliefert. " + SOURCES_SOCIAL,
        text_info=info,
    )


def pyramid(p: Profile) -> str | Note:
    """Age pyramid of the area (bars) against the city (line), from the protected bands (:func:`age_bands`):
    withheld bands are drawn hatched, never as 0, and shares are rounded to 0.1 % of the published total (the
    sentence why not when the population is not by single year of age, or when the area's total is withheld)."""
    note = p.pyramid_left_out()
    if note:
        return note
    ch = p.ch
    bands = age_bands(ch)
    area = bands[bands["unit_id"].astype(str) == p.area_id]
    city = bands[bands["unit_id"] == CITY_ID]
    total_a = area.loc[area["age"] < 0, "published"]
    total_b = city.loc[city["age"] < 0, "published"]
    shown_a = area[area["age"] >= 0]
    if not len(total_a) or not np.isfinite(total_a.iloc[0]) or not (shown_a["published"] > 0).any():
        return Note(f"Ohne Altersaufbau: die Einwohnerzahl von {p.name} ist geheimgehalten.")
    hidden = int(shown_a["published"].isna().sum())
    note = (
        "Anteile in % der Einwohner des Sozialraums bzw. der Stadt, 5-Jahres-Altersgruppen; "
        "Quelle: Einwohnermelderegister, Stichtag 31.12."
    )
    if hidden:
        note += f" {fmt.count_word(hidden, 'Gruppe', 'Gruppen')} geheimgehalten (schraffiert: weniger als "
        note += f"{ch.rules.threshold} Personen oder aus den übrigen Angaben rückrechenbar)."
    return svg.pyramid_svg(
        area,
        city,
        value_col="published",
        label_a=p.name,
        label_b=ch.city,
        total_a=float(total_a.iloc[0]),
        total_b=float(total_b.iloc[0]) if len(total_b) and np.isfinite(total_b.iloc[0]) else None,
        title=f"Altersaufbau {p.name} und {ch.city}, {fmt.reference_date(p.year)}",
        note=note,
    )


def location(p: Profile) -> str:
    """Locator map; above ``LOCATOR_MAX_AREAS`` areas the background shows the Stadtbezirke."""
    return svg.area_map_svg(
        p.ch.ds.areas,
        p.area_id,
        districts=p.ch.ds.districts,
        max_areas=LOCATOR_MAX_AREAS,
        title=f"Lage von {p.name}",
        note="Dunkle Linien: Stadtbezirke. Quelle: Gebietsgliederung der Stadt.",
    )


def areas_around(p: Profile) -> pd.DataFrame:
    """Areas intersecting a window around the area (the facility map only shows that window)."""
    areas = p.ch.ds.areas
    x0, y0, x1, y1 = areas.loc[areas["area_id"].astype(str) == p.area_id].total_bounds
    pad = max(x1 - x0, y1 - y0) + NEAR_METRES
    return areas.iloc[areas.sindex.query(box(x0 - pad, y0 - pad, x1 + pad, y1 + pad))].sort_index()


def facility(p: Profile) -> str:
    """Facilities in and around the area; the legend counts those inside (the sentence why not without a
    facility register)."""
    note = p.facilities_left_out()
    if note:
        return note
    return svg.facility_map_svg(
        areas_around(p),
        p.facilities,
        p.area_id,
        districts=p.ch.ds.districts,
        title=f"Einrichtungen in und um {p.name}",
        note=f"Gezeigt: Einrichtungen im Sozialraum und bis {fmt.number(NEAR_METRES)} m um ihn herum; "
        "Legende zählt die Einrichtungen im Sozialraum. Quelle: Einrichtungsverzeichnis der Stadt.",
    )


__all__ = ["areas_around", "facility", "location", "pyramid", "show", "spine", "trends"]
