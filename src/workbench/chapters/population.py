"""Chapter "Bevölkerung": inhabitants and their change per Sozialraum and Stadtbezirk, age structure.

Model: :func:`build` computes the change tables (:func:`workbench.indicators.population.change_table`) and
the area to portray in the pyramid; views render the German text, the change map, the protected overview and
age-group tables (secondary suppression with row and column totals) and the pyramid.

With population data of the reporting year only there is no change: the text and the tables leave it out and
the change map is the German sentence of ``workbench check`` (part „Veränderung der Einwohnerzahl“).

A population coarser than single years by sex and nationality (totals or age groups, docs/DATA_CONTRACT.md):
with age groups the pyramid becomes a bar chart of the age groups' shares and the age-group table shows the
data's own groups; with totals only both are the German sentence of ``workbench check`` (parts „Alterspyramide“,
„Einwohner nach Altersgruppen“). Shares (under 18, 65 and older, nichtdeutsch) the detail does not determine
are left out of the text and the overview table, with the sentence as footnote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workbench.chapters.model import view
from workbench.chapters.notes import Note, markdown
from workbench.chapters.population_cells import POPULATION, group_measure, joint_status, structure_measure
from workbench.chapters.tables import LEVEL_LABELS, protected_share, unit_labels
from workbench.confidentiality import ProtectedTable, Rules, with_margins
from workbench.indicators.population import (
    STRUCTURE,
    age_group_counts,
    change_table,
    structure_counts,
    totals,
)
from workbench.render import fmt, maps, plots, svg
from workbench.render.tables import count_key, html_table, margin_totals
from workbench.vocabulary import CITY_ID

INPUTS = ("keys", "areas", "population")
"""Processed tables the chapter needs (see :func:`workbench.chapters.missing_inputs`)."""


def _structure_sentence(city: pd.Series) -> str:
    """„… der Einwohner sind jünger als 18 Jahre, … sind 65 Jahre oder älter.“ with the shares the population's
    detail determines ("" with totals only)."""
    young, old = city["under_18_pct"], city["over_65_pct"]
    if np.isfinite(young) and np.isfinite(old):
        return (
            f" {fmt.percent(young)} der Einwohner sind jünger als 18 Jahre, {fmt.percent(old)} sind 65 Jahre "
            "oder älter."
        )
    if np.isfinite(young):
        return f" {fmt.percent(young)} der Einwohner sind jünger als 18 Jahre."
    if np.isfinite(old):
        return f" {fmt.percent(old)} der Einwohner sind 65 Jahre oder älter."
    return ""


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
            f"Menschen mit Hauptwohnsitz.{_structure_sentence(city)}"
        )
    return (
        f"Zum {fmt.reference_date(year)} lebten in {city_name} **{fmt.number(city['population'])}** Menschen "
        f"mit Hauptwohnsitz. Seit {fmt.reference_date(first)} ist die Stadt um "
        f"{fmt.number(abs(city['change_span']))} Personen ({fmt.signed(city['change_span_pct'], 1, '%')}) {direction}. "
        f"In {up} von {len(areas)} Sozialräumen nahm die Einwohnerzahl zu. Am stärksten wuchs "
        f"{names[top['unit_id']]} ({fmt.signed(top['change_span_pct'], 1, '%')}), am stärksten ging "
        f"{names[low['unit_id']]} zurück ({fmt.signed(low['change_span_pct'], 1, '%')})."
        f"{_structure_sentence(city)}"
    )


def population_overview(
    ds,
    year: int,
    first: int,
    rules: Rules,
    level: str = "sozialraum",
    left_out: tuple[str, ...] = (),
    protected: pd.DataFrame | None = None,
) -> str:
    """Population at ``first`` and ``year`` with change (%) and structure shares per unit, plus the city
    (population of ``year`` and the shares alone when ``first`` is ``year``). A share the population's detail
    does not determine (totals only, no breakdown by nationality) is left out; ``left_out``: the German
    sentences why, as footnotes. With ``protected`` (the joint population protection) a share is also withheld
    where its numerator is withheld in any other breakdown."""
    span = year - first  # the change since the first year of data
    tab = change_table(ds.population, ds.keys, year, level=level, span=max(span, 1), age_groups=ds.age_groups)
    city = change_table(
        ds.population, ds.keys, year, level="stadt", span=max(span, 1), age_groups=ds.age_groups
    )
    labels = unit_labels(ds.keys, level)
    tot = pd.concat([tab, city], ignore_index=True)
    before = totals(ds.population[ds.population["year"] == first], ds.keys, level)
    before_city = totals(ds.population[ds.population["year"] == first], ds.keys, "stadt")
    before = pd.concat([before, before_city]).set_index("unit_id")["count"]
    all_labels = pd.concat([labels, unit_labels(ds.keys, "stadt")])
    structure = pd.concat(
        [
            structure_counts(ds.population, ds.keys, year, level, ds.age_groups),
            structure_counts(ds.population, ds.keys, year, "stadt", ds.age_groups),
        ]
    ).reindex(tot["unit_id"])
    shares = {col: structure[col].to_numpy() for col in structure.columns}
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
        if np.isnan(shares[col]).all():  # the population's detail does not determine it
            continue
        value, mask = protected_share(pd.Series(shares[col], index=df.index), denominator, rules)
        if protected is not None:
            lv = [level] * len(tab) + ["stadt"]
            st = joint_status(
                protected, year, lv, list(tot["unit_id"]), [structure_measure(STRUCTURE[col])] * len(lv)
            )
            mask = mask | pd.Series(st != "shown", index=mask.index)
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
    with_shares = len(df.columns) > n_counts + (1 if span else 0)
    caption = (
        f"Einwohner je {LEVEL_LABELS[level]} am {fmt.reference_date(first)} und {fmt.reference_date(year)}, "
        + ("Veränderung und Anteile in %" if with_shares else "Veränderung in %")
        if span
        else f"Einwohner je {LEVEL_LABELS[level]} am {fmt.reference_date(year)}"
        + (" und Anteile in %" if with_shares else "")
    )
    source = "Quelle: Einwohnermelderegister, Hauptwohnsitz."
    return html_table(
        df,
        kinds,
        table_id=f"bevoelkerung-{level}-{year}",
        caption=caption,
        suppressed=suppressed,
        cell_keys=keys,
        footnotes=[
            source + (" Anteile in % der Einwohner des Sozialraums." if with_shares else ""),
            *left_out,
        ],
    )


def age_group_table(
    ds, year: int, rules: Rules, left_out: str = "", protected: pd.DataFrame | None = None
) -> str | Note:
    """Residents by age group per Sozialraum with row and column totals, protected by secondary suppression.

    Single years of age are grouped into the standard groups; a year with age groups shows its own groups; a
    year with totals only gives the Note ``left_out`` (why, in the words of ``workbench check``). With
    ``protected`` (the report's joint population protection) the cells hidden are those hidden in every other
    breakdown too (pyramid, Kita groups, shares); without it the table is protected on its own."""
    wide = age_group_counts(ds.population, year, ds.age_groups)
    if wide.empty or not len(wide.columns):
        return Note(left_out)
    groups = list(wide.columns)
    labels = unit_labels(ds.keys)
    area_ids = list(wide.index.astype(str))
    wide.index = pd.Index(labels.loc[wide.index].to_numpy(), name="Sozialraum")
    table = with_margins(wide, total_column="Insgesamt", total_row="Stadt insgesamt")
    if protected is None:
        prot = table.protect(rules)
    else:  # the joint pattern of every breakdown (pyramid, Kita groups, shares)
        units = [("sozialraum", a) for a in area_ids] + [("stadt", CITY_ID)]
        measures = [group_measure(str(g)) for g in groups] + [POPULATION]
        lv = [u[0] for u in units for _ in measures]
        st = joint_status(protected, year, lv, [u[1] for u in units for _ in measures], measures * len(units))
        status = pd.DataFrame(
            st.reshape(len(units), len(measures)), index=table.values.index, columns=table.values.columns
        )
        prot = ProtectedTable(table.values, status, table.relations)
    shown = prot.display()
    ids = {v: k for k, v in labels.items()}
    keys = pd.DataFrame(None, index=shown.index, columns=shown.columns, dtype=object)
    for r in shown.index:
        unit, level = (ids[r], "sozialraum") if r in ids else ("stadt", "stadt")
        keys.loc[r, "Insgesamt"] = count_key("population", level, unit, year)
        for g in groups:
            keys.loc[r, g] = count_key(group_measure(str(g)), level, unit, year)
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


def age_group_shares(
    ds,
    year: int,
    area_id: str | None,
    area_name: str,
    city_name: str,
    rules: Rules,
    protected: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, bool]:
    """Share (%) of each age group of the population of ``area_id`` and of the city in ``year`` (long: group,
    unit, share) for the bar chart that replaces the pyramid when the population comes in age groups; True
    when the area is left out because one of its groups holds 1 … threshold−1 persons (its share would reveal
    the count) or, with ``protected`` (the joint population protection), is withheld in any breakdown."""
    wide = age_group_counts(ds.population, year, ds.age_groups)
    frames = []
    small = False
    units = [(wide.sum(axis=0), city_name)]
    if area_id is not None and area_id in wide.index:
        counts = wide.loc[area_id]
        small = bool(((counts > 0) & (counts < rules.threshold)).any())
        if protected is not None:
            ms = [group_measure(str(g)) for g in counts.index] + [POPULATION]
            st = joint_status(protected, year, ["sozialraum"] * len(ms), [str(area_id)] * len(ms), ms)
            small = small or bool((st != "shown").any())
        if not small:
            units.insert(0, (counts, area_name))
    for counts, label in units:
        total = counts.sum()
        frames.append(
            pd.DataFrame({"group": counts.index, "unit": label, "share": 100 * counts.to_numpy() / total})
        )
    return pd.concat(frames, ignore_index=True), small


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
    youngest_id: str | None
    youngest_name: str
    change_left_out: str = ""
    """German sentence in place of the change map when the data hold one year only ("" = the map is drawn)."""
    age_detail: str = "single_years"
    """Age detail of the population in the report year: "single_years" (by sex: the pyramid), "age_groups"
    (a bar chart of the groups' shares instead) or "total" (neither)."""
    pyramid_left_out: str = ""
    """German sentence why there is no pyramid ("" = the pyramid is drawn)."""
    age_groups_left_out: str = ""
    """German sentence in place of the age-group table with totals only."""
    shares_left_out: tuple[str, ...] = ()
    """German sentences on the structure shares the population's detail does not determine."""
    protected: pd.DataFrame | None = None
    """The report's joint population protection (:attr:`~workbench.chapters.context.Chapter.protected_population`)."""

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
            note="Quelle: Einwohnermelderegister, Stichtag 31.12.",  # the map names its one classification
        )

    overview_table = view(
        population_overview, "ds", "year", "first", "rules", left_out="shares_left_out", protected="protected"
    )

    def pyramid(self) -> str | Figure | Note:
        """Age pyramid of the youngest area and the city as inline SVG, from the protected bands of the profiles
        (:func:`workbench.chapters.profile.pyramid_bands`: withheld bands hatched, shares to 0.1 %); with age
        groups a bar chart of the groups' shares, with totals only the German sentence why not."""
        if self.age_detail == "age_groups":
            return self.age_group_chart()
        if self.pyramid_left_out:
            return Note(markdown(self.pyramid_left_out))
        from workbench.chapters.profile import pyramid_bands  # the profiles' table: same cells hidden

        name = self.youngest_name
        bands = pyramid_bands(self.ds.population, self.year, rules=self.rules, protected=self.protected)
        area = bands[bands["unit_id"].astype(str) == str(self.youngest_id)]
        city = bands[bands["unit_id"] == CITY_ID]
        total_a = area.loc[area["age"] < 0, "published"]
        total_b = city.loc[city["age"] < 0, "published"]
        if not len(total_a) or not np.isfinite(total_a.iloc[0]):
            area, total_a, name = city, total_b, self.city_name  # the youngest area's total is withheld
        hidden = int(area.loc[area["age"] >= 0, "published"].isna().sum())
        note = "Anteile in % der jeweiligen Gesamtbevölkerung, 5-Jahres-Altersgruppen; Quelle: Einwohnermelderegister."
        if hidden:
            note += f" {fmt.count_word(hidden, 'Gruppe', 'Gruppen')} geheimgehalten (schraffiert)."
        return svg.pyramid_svg(
            area,
            city,
            value_col="published",
            label_a=name,
            label_b=self.city_name,
            total_a=float(total_a.iloc[0]),
            total_b=float(total_b.iloc[0]) if len(total_b) and np.isfinite(total_b.iloc[0]) else None,
            title=f"Altersaufbau {name} und {self.city_name}, {fmt.reference_date(self.year)}",
            note=note,
        )

    def age_group_chart(self) -> Figure:
        """Bar chart of the age groups' shares (youngest area and city) for a population by age groups."""
        shares, small = age_group_shares(
            self.ds,
            self.year,
            self.youngest_id,
            self.youngest_name,
            self.city_name,
            self.rules,
            self.protected,
        )
        shown = self.youngest_name if self.youngest_id is not None and not small else ""
        note = "Anteile in % der jeweiligen Gesamtbevölkerung; Altersgruppen der Datenlieferung. "
        if small:
            note += f"{self.youngest_name} nicht gezeigt (eine Altersgruppe mit weniger als {self.rules.threshold} Personen). "
        note += f"Statt der Alterspyramide: {self.pyramid_left_out.removeprefix('Ohne Alterspyramide: ')}"
        return plots.grouped_bars(
            shares,
            category="group",
            group="unit",
            value="share",
            unit="%",
            title=f"Altersgruppen {shown + ' und ' if shown else ''}{self.city_name}, {fmt.reference_date(self.year)}",
            note=note,
        )

    age_group_table = view(
        age_group_table, "ds", "year", "rules", left_out="age_groups_left_out", protected="protected"
    )


def build(ch: Any) -> PopulationModel:
    """The chapter model from a :class:`~workbench.chapters.context.Chapter`."""
    ds, year = ch.ds, ch.year
    first = ds.years[0]
    span = max(year - first, 1)  # the change since the first year of data (none with one year)
    city = change_table(
        ds.population, ds.keys, year, level="stadt", span=span, age_groups=ds.age_groups
    ).iloc[0]
    areas = change_table(ds.population, ds.keys, year, span=span, age_groups=ds.age_groups)
    young_id, name = None, ""
    if areas["under_18_pct"].notna().any():
        young = areas.sort_values("under_18_pct", ascending=False).iloc[0]
        young_id = young["unit_id"]
        name = ds.area_keys.set_index("area_id").loc[young_id, "area_name"]
    no_change = ""
    if first >= year:  # population of the reporting year only (the rule may also lack count years)
        no_change = ch.left_out("bevoelkerung.veraenderung") or (
            f"Ohne Veränderung der Einwohnerzahl: Einwohnerdaten liegen nur für {year} vor."
        )
    detail = ch.availability.population
    kind = detail.kind(year)
    if kind == "single_years" and not detail.single_years_by_sex(year):
        kind = "age_groups"  # single years without sex: the standard age groups instead of the pyramid
    shares = tuple(
        ch.left_out_sentence(f"bevoelkerung.{key}")
        for key in ("anteil_u18", "anteil_65", "anteil_nichtdeutsch")
        if ch.left_out_sentence(f"bevoelkerung.{key}")
    )
    return PopulationModel(
        ds,
        ch.rules,
        ch.city,
        year,
        first,
        city,
        areas,
        young_id,
        name,
        no_change,
        age_detail=kind,
        pyramid_left_out=ch.left_out_sentence("bevoelkerung.pyramide"),
        age_groups_left_out=ch.left_out("bevoelkerung.altersgruppen"),
        shares_left_out=shares,
        protected=ch.protected_population,
    )
