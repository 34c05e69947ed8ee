"""Chapter "Bevölkerung": inhabitants and their change per Sozialraum and Stadtbezirk, age structure.

Model: :func:`build` computes the change tables (:func:`workbench.indicators.population.change_table`) and
the area to portray in the pyramid; views render the German text, the change map, the protected overview and
age-group tables (secondary suppression with row and column totals) and the pyramid.

With population data of the reporting year only there is no change: the text and the tables leave it out and
the change map is the German sentence of ``workbench check`` (part „Veränderung der Einwohnerzahl“).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from workbench.chapters.model import view
from workbench.chapters.notes import Note
from workbench.chapters.tables import LEVEL_LABELS, protected_share, unit_labels
from workbench.confidentiality import Rules, with_margins
from workbench.indicators.population import (
    AGE_GROUPS,
    age_group_labels,
    change_table,
    pyramid_frame,
    totals,
)
from workbench.render import fmt, maps, plots
from workbench.render.tables import count_key, html_table, margin_totals

INPUTS = ("keys", "areas", "population")
"""Processed tables the chapter needs (see :func:`workbench.chapters.missing_inputs`)."""


def summary_text(
    city: pd.Series, areas: pd.DataFrame, area_keys: pd.DataFrame, year: int, first: int, city_name: str
) -> str:
    """German summary of population size and change (Markdown), from :func:`change_table` rows."""
    names = area_keys.set_index("area_id")["area_name"]
    grow = areas.sort_values("change_span_pct", ascending=False)
    up = int((areas["change_span_pct"] > 0).sum())
    top, low = grow.iloc[0], grow.iloc[-1]
    direction = "gewachsen" if city["change_span"] > 0 else "geschrumpft"
    if first >= year:  # one year of data: no change to describe
        return (
            f"Zum {fmt.reference_date(year)} lebten in {city_name} **{fmt.number(city['population'])}** "
            f"Menschen mit Hauptwohnsitz. {fmt.percent(city['under_18_pct'])} der Einwohner sind jünger als "
            f"18 Jahre, {fmt.percent(city['over_65_pct'])} sind 65 Jahre oder älter."
        )
    return (
        f"Zum {fmt.reference_date(year)} lebten in {city_name} **{fmt.number(city['population'])}** Menschen "
        f"mit Hauptwohnsitz. Seit {fmt.reference_date(first)} ist die Stadt um "
        f"{fmt.number(abs(city['change_span']))} Personen ({fmt.signed(city['change_span_pct'], 1, '%')}) {direction}. "
        f"In {up} von {len(areas)} Sozialräumen nahm die Einwohnerzahl zu. Am stärksten wuchs "
        f"{names[top['unit_id']]} ({fmt.signed(top['change_span_pct'], 1, '%')}), am stärksten ging "
        f"{names[low['unit_id']]} zurück ({fmt.signed(low['change_span_pct'], 1, '%')}). "
        f"{fmt.percent(city['under_18_pct'])} der Einwohner sind jünger als 18 Jahre, "
        f"{fmt.percent(city['over_65_pct'])} sind 65 Jahre oder älter."
    )


def population_overview(ds, year: int, first: int, rules: Rules, level: str = "sozialraum") -> str:
    """Population at ``first`` and ``year`` with change (%) and structure shares per unit, plus the city
    (population of ``year`` and the shares alone when ``first`` is ``year``)."""
    span = year - first  # the change since the first year of data
    tab = change_table(ds.population, ds.keys, year, level=level, span=max(span, 1))
    city = change_table(ds.population, ds.keys, year, level="stadt", span=max(span, 1))
    labels = unit_labels(ds.keys, level)
    tot = pd.concat([tab, city], ignore_index=True)
    before = totals(ds.population[ds.population["year"] == first], ds.keys, level)
    before_city = totals(ds.population[ds.population["year"] == first], ds.keys, "stadt")
    before = pd.concat([before, before_city]).set_index("unit_id")["count"]
    all_labels = pd.concat([labels, unit_labels(ds.keys, "stadt")])
    cur = ds.population[ds.population["year"] == year]
    shares = {}
    for col, mask in (
        ("under_18", cur["age"] < 18),
        ("over_65", cur["age"] >= 65),
        ("foreign", cur["nationality"] == "nichtdeutsch"),
    ):
        sub = pd.concat([totals(cur[mask], ds.keys, level), totals(cur[mask], ds.keys, "stadt")])
        shares[col] = sub.set_index("unit_id")["count"].reindex(tot["unit_id"]).fillna(0).to_numpy()
    df = pd.DataFrame(index=pd.Index(all_labels.loc[tot["unit_id"]].to_numpy(), name=LEVEL_LABELS[level]))
    df[f"Einwohner {first}"] = before.reindex(tot["unit_id"]).to_numpy()
    df[f"Einwohner {year}"] = tot["population"].to_numpy()
    if span:
        df[f"Veränderung {first}–{year}"] = tot["change_span_pct"].to_numpy()
    suppressed = pd.DataFrame(False, index=df.index, columns=[])
    denominator = pd.Series(tot["population"].to_numpy(), index=df.index)
    for col, label in (
        ("under_18", "unter 18 Jahre"),
        ("over_65", "65 Jahre und älter"),
        ("foreign", "nichtdeutsch"),
    ):
        value, mask = protected_share(pd.Series(shares[col], index=df.index), denominator, rules)
        df[label] = value.to_numpy()
        suppressed[label] = mask.to_numpy()
    suppressed = suppressed.reindex(columns=df.columns, fill_value=False)
    units = list(tot["unit_id"])
    lvl = [level] * len(tab) + ["stadt"]
    keys = pd.DataFrame(None, index=df.index, columns=df.columns, dtype=object)
    keys[f"Einwohner {year}"] = [
        count_key("population", lv, u, year) for lv, u in zip(lvl, units, strict=True)
    ]
    keys[f"Einwohner {first}"] = [
        count_key("population", lv, u, first) for lv, u in zip(lvl, units, strict=True)
    ]
    n_counts = 2 if span else 1
    kinds = {c: "count" for c in df.columns[:n_counts]}
    kinds.update({c: "rate" for c in df.columns[n_counts : n_counts + (1 if span else 0)]})
    kinds.update({c: "share" for c in df.columns[n_counts + (1 if span else 0) :]})
    caption = (
        f"Einwohner je {LEVEL_LABELS[level]} am {fmt.reference_date(first)} und {fmt.reference_date(year)}, "
        "Veränderung und Anteile in %"
        if span
        else f"Einwohner je {LEVEL_LABELS[level]} am {fmt.reference_date(year)} und Anteile in %"
    )
    return html_table(
        df,
        kinds,
        table_id=f"bevoelkerung-{level}-{year}",
        caption=caption,
        suppressed=suppressed,
        cell_keys=keys,
        footnotes=[
            "Quelle: Einwohnermelderegister, Hauptwohnsitz. Anteile in % der Einwohner des Sozialraums."
        ],
    )


def age_group_table(ds, year: int, rules: Rules) -> str:
    """Residents by age group per Sozialraum with row and column totals, protected by secondary suppression."""
    cur = ds.population[ds.population["year"] == year].copy()
    cur["group"] = age_group_labels(cur["age"])
    wide = cur.pivot_table(index="area_id", columns="group", values="count", aggfunc="sum", observed=False)
    wide = wide.reindex(columns=list(AGE_GROUPS)).fillna(0)
    labels = unit_labels(ds.keys)
    wide.index = pd.Index(labels.loc[wide.index].to_numpy(), name="Sozialraum")
    table = with_margins(wide, total_column="Insgesamt", total_row="Stadt insgesamt")
    prot = table.protect(rules)
    shown = prot.display()
    ids = {v: k for k, v in labels.items()}
    keys = pd.DataFrame(None, index=shown.index, columns=shown.columns, dtype=object)
    for r in shown.index:
        unit, level = (ids[r], "sozialraum") if r in ids else ("stadt", "stadt")
        keys.loc[r, "Insgesamt"] = count_key("population", level, unit, year)
        for g in AGE_GROUPS:
            keys.loc[r, g] = count_key(f"population_{g}", level, unit, year)
    return html_table(
        shown,
        {c: "count" for c in shown.columns},
        table_id=f"altersgruppen-{year}",
        caption=f"Einwohner nach Altersgruppen je Sozialraum am {fmt.reference_date(year)}",
        totals=margin_totals(shown, total_row="Stadt insgesamt", total_column="Insgesamt"),
        suppressed=prot.suppressed,
        cell_keys=keys,
        footnotes=[
            "Quelle: Einwohnermelderegister, Hauptwohnsitz; Altersgruppen in vollendeten Lebensjahren."
        ],
    )


@dataclass(frozen=True)
class PopulationModel:
    """What the chapter shows: city and area change tables, the area with the youngest population."""

    ds: Any
    rules: Rules
    city_name: str
    year: int
    first: int
    city: pd.Series
    areas: pd.DataFrame
    youngest_id: str
    youngest_name: str
    change_left_out: str = ""
    """German sentence in place of the change map when the data hold one year only ("" = the map is drawn)."""

    summary = view(summary_text, "city", "areas", "ds.area_keys", "year", "first", "city_name")

    def change_map(self) -> Figure | Note:
        """Choropleth of the change since the first year; the sentence why not with one year of data."""
        if self.change_left_out:
            return Note(self.change_left_out)
        gdf = self.ds.areas.merge(self.areas, left_on="area_id", right_on="unit_id")
        return maps.choropleth(
            gdf,
            "change_span_pct",
            scheme="natural_breaks",
            k=5,
            palette="diverging_blue_red",
            legend_title=f"Veränderung {self.first}–{self.year}",
            value_format="percent",
            decimals=1,
            districts=self.ds.districts,
            title=f"Bevölkerungsentwicklung {fmt.reference_date(self.first)} bis {fmt.reference_date(self.year)}",
            note="Quelle: Einwohnermelderegister, Stichtag 31.12.; Klassifikation: natürliche Brüche (Jenks).",
        )

    overview_table = view(population_overview, "ds", "year", "first", "rules")

    def pyramid(self) -> Figure:
        name = self.youngest_name
        return plots.pyramid(
            pyramid_frame(self.ds.population, self.year, [self.youngest_id]),
            pyramid_frame(self.ds.population, self.year),
            label_a=name,
            label_b=self.city_name,
            title=f"Altersaufbau {name} und {self.city_name}, {fmt.reference_date(self.year)}",
            note="Anteile in % der jeweiligen Gesamtbevölkerung, 5-Jahres-Altersgruppen; Quelle: Einwohnermelderegister.",
        )

    age_group_table = view(age_group_table, "ds", "year", "rules")


def build(ch: Any) -> PopulationModel:
    """The chapter model from a :class:`~workbench.chapters.context.Chapter`."""
    ds, year = ch.ds, ch.year
    first = ds.years[0]
    span = max(year - first, 1)  # the change since the first year of data (none with one year)
    city = change_table(ds.population, ds.keys, year, level="stadt", span=span).iloc[0]
    areas = change_table(ds.population, ds.keys, year, span=span)
    young = areas.sort_values("under_18_pct", ascending=False).iloc[0]
    name = ds.area_keys.set_index("area_id").loc[young["unit_id"], "area_name"]
    no_change = ""
    if first >= year:  # population of the reporting year only (the rule may also lack count years)
        no_change = ch.left_out("bevoelkerung.veraenderung") or (
            f"Ohne Veränderung der Einwohnerzahl: Einwohnerdaten liegen nur für {year} vor."
        )
    return PopulationModel(ds, ch.rules, ch.city, year, first, city, areas, young["unit_id"], name, no_change)
