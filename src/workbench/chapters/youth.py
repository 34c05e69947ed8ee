"""Chapter "Kinder, Jugend und Familie": the Jugendhilfeplanung view (§ 80 SGB VIII).

Kita supply per Sozialraum today and in ``horizon`` years:

* places per area from the facility register (``facilities.gpkg``, type "Kita", ``places_u3`` /
  ``places_ue3``); children from the register: U3 = ages 0–2, Ü3 = ages 3–5 (completed years at 31.12.);
* children in ``year + horizon`` from the cohort-component projection (:mod:`workbench.projection`, status quo,
  rates from the last ``base_years`` years); places are held constant (status quo of supply);
* coverage (Versorgungsquote) = places / children × 100 (%);
* places needed for the target coverage t (%, report config) = ⌈t / 100 × children⌉ (projected children are
  not integers, so the ceiling is taken of the product); missing places (Fehlbedarf) = max(0, needed − places).
  The city's missing places are the *sum of the areas'* missing places: surplus places in one area are not
  counted against a gap in another (planning by Sozialraum, as in Kita-Bedarfsplanung).

Published tables pass the confidentiality layer: children counts (and projected children) get primary and
secondary suppression with the city total, places follow the report-wide protected count cube, and every
derived cell (coverage, missing places) is withheld where one of its inputs is withheld.

HzE density, single parents and child poverty come from the report's protected indicator table
(``Chapter.indicators``; only ``pub_*`` values are used); that family part lives in :mod:`workbench.chapters.youth_family`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench import projection
from workbench.chapters.demography_projection import (
    BAND_HORIZONS,
    demand_table_html,
    demand_text,
    evaluation_table_html,
)
from workbench.chapters.indicator_views import IndicatorViews
from workbench.chapters.model import ViewsModel, view
from workbench.chapters.notes import NOTHING, Note, markdown
from workbench.chapters.population_cells import joint_status
from workbench.chapters.tables import unit_labels
from workbench.chapters.youth_family import (
    CITY_LABEL,
    QUADRANTS,
    family_frame,
    family_table,
    quadrant_chart,
    quadrant_text,
)
from workbench.confidentiality import AdditiveTable, Rules, population_measure
from workbench.errors import ConfigError, DataValidationError
from workbench.indicators.population import single_years
from workbench.projection.evaluation import DEMAND_GROUPS
from workbench.render import fmt, maps
from workbench.render.tables import count_key, html_table
from workbench.settings import KitaSettings
from workbench.vocabulary import CITY_ID

__all__ = [
    "CITY_LABEL",
    "GROUPS",
    "KITA_TYPE",
    "YOUTH_TYPES",
    "KitaSettings",
    "facility_places",
    "projected_population",
    "kita_supply",
    "KitaProtected",
    "protect_kita",
    "kita_table",
    "kita_map_frame",
    "gap_bins",
    "kita_gap_map",
    "facility_overview_map",
    "kita_summary",
    "QUADRANTS",
    "family_frame",
    "quadrant_chart",
    "family_table",
    "quadrant_text",
]

GROUPS: dict[str, dict[str, Any]] = {
    "u3": {"ages": (0, 2), "label": "U3", "children": "Kinder unter 3 Jahren", "places": "places_u3"},
    "ue3": {
        "ages": (3, 5),
        "label": "Ü3",
        "children": "Kinder von 3 bis unter 6 Jahren",
        "places": "places_ue3",
    },
}
"""Kita age groups: inclusive age bounds, German labels, facility column with the places."""
QUADRANT_INDICATORS = ("alleinerziehende", "kinderarmut")
"""The two indicators of the quadrant chart (catalogue ids)."""
FAMILY_INDICATORS = (*QUADRANT_INDICATORS, "hze_dichte")
"""The catalogue indicators of the family part."""
KITA_TYPE = "Kita"
YOUTH_TYPES = ("Kita", "Familienzentrum", "Jugendzentrum")


# --------------------------------------------------------------------------------------------- config


# --------------------------------------------------------------------------------------------- supply


def facility_places(facilities: pd.DataFrame, area_ids: list[str]) -> pd.DataFrame:
    """Kita places per Sozialraum from the facility register: area_id, places_u3, places_ue3 (0 where none).

    Facilities whose area_id is not a known Sozialraum raise a DataValidationError (they would silently drop).
    """
    for col in ("type", "area_id", "places_u3", "places_ue3"):
        if col not in facilities.columns:
            raise DataValidationError(
                f"Spalte {col} fehlt", where="Tabelle facilities", hint="make data ausführen"
            )
    kita = facilities[facilities["type"] == KITA_TYPE]
    unknown = sorted(set(kita["area_id"].astype(str)) - set(area_ids))
    if unknown:
        raise DataValidationError(
            f"Kitas in unbekannten Sozialräumen: {', '.join(unknown[:5])}",
            where="Tabelle facilities, Spalte area_id",
            hint="Sozialraum-Nummern im Einrichtungsregister prüfen",
        )
    sums = kita.groupby(kita["area_id"].astype(str))[["places_u3", "places_ue3"]].sum(min_count=1)
    out = sums.reindex(area_ids).fillna(0.0)
    out.index.name = "area_id"
    return out.reset_index()


def _children(pop: pd.DataFrame, area_ids: list[str]) -> pd.DataFrame:
    """Children per area and Kita group from a long population table (area_id, age, count)."""
    cols = {}
    for g, spec in GROUPS.items():
        lo, hi = spec["ages"]
        sel = pop[(pop["age"] >= lo) & (pop["age"] <= hi)]
        cols[f"children_{g}"] = sel.groupby(sel["area_id"].astype(str))["count"].sum().reindex(area_ids)
    return pd.DataFrame(cols).fillna(0.0)


def projected_population(population: pd.DataFrame, events: pd.DataFrame, year: int, settings: KitaSettings):
    """Status-quo projection from 31.12.``year`` for ``settings.horizon`` years (workbench.projection).

    Rates from the last ``settings.base_years`` years ≤ ``year`` that have events and the previous year's
    population. Returns the projection (area_id, year, sex, age, count) and the base years used.
    """
    pop_years = set(int(y) for y in population["year"].unique())
    ev_years = set(int(y) for y in events["year"].unique())
    usable = [t for t in range(year - 20, year + 1) if t in ev_years and t - 1 in pop_years]
    base = usable[-settings.base_years :]
    if not base:
        raise DataValidationError(
            f"keine Basisjahre für die Prognose ab {year}",
            where="Tabellen population/events",
            hint="Bewegungsdaten und Vorjahresbestand werden benötigt",
        )
    rates = projection.estimate_rates(population, events, base_years=base)
    out = projection.project(population, rates, start_year=year, horizon=settings.horizon)
    return out, base


def kita_supply(ds, year: int, settings: KitaSettings, projected: pd.DataFrame | None = None) -> pd.DataFrame:
    """Kita coverage and missing places per Sozialraum today (``year``) and in ``year + horizon`` (internal).

    One row per area (ordered by id) plus the city row (area_id "stadt"). Columns per group g in (u3, ue3):
    ``children_g``, ``places_g``, ``coverage_g`` (%), ``needed_g``, ``gap_g`` and the same with suffix
    ``_future`` for the projected children (places unchanged). Values are unprotected (internal); publish via
    :func:`kita_table`. ``projected``: output of :func:`projected_population` (computed when None).
    """
    area_ids = ds.area_keys["area_id"].astype(str).tolist()
    places = facility_places(ds.facilities, area_ids).set_index("area_id")
    population = single_years(ds.population)  # years with totals or age groups only cannot be projected
    now = _children(population[population["year"] == year], area_ids)
    if projected is None:
        projected, _ = projected_population(population, ds.events, year, settings)
    target_year = year + settings.horizon
    fut = _children(projected[projected["year"] == target_year], area_ids)
    df = pd.DataFrame(index=pd.Index(area_ids, name="area_id"))
    for g in GROUPS:
        t = settings.target(g)
        p = places[GROUPS[g]["places"]]
        for suffix, src in (("", now), ("_future", fut)):
            c = src[f"children_{g}"]
            df[f"children_{g}{suffix}"] = c
            if not suffix:
                df[f"places_{g}"] = p
            df[f"needed_{g}{suffix}"] = np.ceil(t / 100.0 * c - 1e-9)
            df[f"gap_{g}{suffix}"] = np.maximum(df[f"needed_{g}{suffix}"] - p, 0.0)
    city = df.sum(axis=0).to_frame("stadt").T
    df = pd.concat([df, city])
    df.index.name = "area_id"
    for g in GROUPS:
        for suffix in ("", "_future"):
            c = df[f"children_{g}{suffix}"]
            df[f"coverage_{g}{suffix}"] = 100.0 * df[f"places_{g}"] / c.where(c > 0)
    df.attrs.update(year=year, target_year=target_year, settings=settings)
    return df.reset_index()


# --------------------------------------------------------------------------------------------- protection


@dataclass
class KitaProtected:
    """Published Kita table of one group: display values (suppression sign in force, "." by default), suppression mask, raw values."""

    display: pd.DataFrame
    suppressed: pd.DataFrame
    values: pd.DataFrame
    keys: pd.DataFrame
    kinds: dict[str, Any]
    year: int
    target_year: int
    signs: pd.DataFrame | None = None
    """Sign role of cells without a value: "unsicher" ("/") for a coverage rate on fewer children than
    ``min_base`` whose places and children are published (not secret: they are in the same row)."""


def _cube_hidden(
    protected_counts: pd.DataFrame | None, measure: str, year: int, area_ids: list[str]
) -> pd.Series:
    """True for areas whose count ``measure`` is not shown in the report-wide protected count cube."""
    if protected_counts is None or protected_counts.empty:
        return pd.Series(False, index=area_ids)
    pc = protected_counts
    sel = pc[(pc["level"] == "sozialraum") & (pc["measure"] == measure) & (pc["year"] == year)]
    st = sel.set_index(sel["unit_id"].astype(str))["status"].reindex(area_ids)
    return st.notna() & st.isin(["primary", "secondary", "input"])


def protect_kita(
    supply: pd.DataFrame,
    group: str,
    keys: pd.DataFrame,
    rules: Rules,
    protected_counts: pd.DataFrame | None = None,
    protected_population: pd.DataFrame | None = None,
) -> KitaProtected:
    """Protect the Kita table of ``group`` ("u3"/"ue3") for publication.

    Count columns (children now, places, projected children) form one additive table "Stadt = Σ Sozialräume";
    children get primary and secondary suppression, places are withheld where the report's protected count
    cube withholds ``kita_places_<group>`` (so the same count is never shown in one table and hidden in
    another); with ``protected_population`` (the report's joint population protection) the children of the
    report year are withheld exactly where the joint pattern of every breakdown of the population withholds
    them (age groups, pyramid bands, shares). Derived cells are withheld where an input is withheld: coverage also when the children are
    fewer than ``rules.min_base``; missing places of the city when any area's missing places are withheld.
    Missing places are numbers of Kita places (not persons) derived from published cells; they are published
    as formatted text so that the audit does not read them as person counts.
    """
    if group not in GROUPS:
        raise ConfigError(f"unbekannte Kita-Gruppe {group!r}", hint="u3 oder ue3")
    year, target_year = int(supply.attrs["year"]), int(supply.attrs["target_year"])
    spec = GROUPS[group]
    labels = unit_labels(keys)
    s = supply.set_index("area_id")
    area_ids = [a for a in s.index if a != "stadt"]
    rows = [labels[a] for a in area_ids] + [CITY_LABEL]
    c_now, c_pl, c_fut = (
        f"{spec['children']} {year}",
        f"Plätze {spec['label']} {year}",
        f"{spec['children']} {target_year} (Prognose)",
    )
    q_now, q_fut = f"Versorgungsquote {year}", f"Versorgungsquote {target_year}"
    g_now, g_fut = f"Fehlende Plätze {year}", f"Fehlende Plätze {target_year}"
    order = [*area_ids, "stadt"]
    raw = s.loc[order]
    counts = pd.DataFrame(
        {
            c_now: raw[f"children_{group}"].to_numpy(),
            c_pl: raw[f"places_{group}"].to_numpy(),
            c_fut: np.round(raw[f"children_{group}_future"].to_numpy()),
        },
        index=pd.Index(rows, name="Sozialraum"),
    )
    counts.loc[CITY_LABEL, c_fut] = counts.loc[rows[:-1], c_fut].sum()  # rounded parts add up
    marked = pd.DataFrame(False, index=counts.index, columns=counts.columns)
    hidden_places = _cube_hidden(protected_counts, f"kita_places_{group}", year, area_ids)
    marked.loc[rows[:-1], c_pl] = hidden_places.to_numpy()
    if protected_population is not None:
        lo, hi = spec["ages"]
        lv = ["sozialraum"] * len(area_ids) + ["stadt"]
        st = joint_status(
            protected_population, year, lv, [*area_ids, CITY_ID], [population_measure(lo, hi)] * len(lv)
        )
        marked[c_now] = st != "shown"
    relations = [((CITY_LABEL, c), [(r, c) for r in rows[:-1]]) for c in counts.columns]
    prot = AdditiveTable(counts, relations, input_suppressed=marked).protect(rules)
    hid = prot.suppressed
    df = counts.copy()
    df[q_now] = raw[f"coverage_{group}"].to_numpy()
    df[q_fut] = raw[f"coverage_{group}_future"].to_numpy()
    df[g_now] = raw[f"gap_{group}"].to_numpy()
    df[g_fut] = raw[f"gap_{group}_future"].to_numpy()
    sup = hid.reindex(columns=df.columns, fill_value=False)
    base = rules.min_base or 0.0
    sup[q_now] = hid[c_now] | hid[c_pl]
    sup[q_fut] = hid[c_fut] | hid[c_pl]
    # below min_base with both inputs in the row: not secret (places / children), but too unsure to publish
    unsure = pd.DataFrame(False, index=df.index, columns=df.columns)
    unsure[q_now] = ~sup[q_now] & (counts[c_now] < base)
    unsure[q_fut] = ~sup[q_fut] & (counts[c_fut] < base)
    df[[q_now, q_fut]] = df[[q_now, q_fut]].where(~unsure[[q_now, q_fut]])
    sup[g_now] = hid[c_now] | hid[c_pl]
    sup[g_fut] = hid[c_fut] | hid[c_pl]
    for col in (g_now, g_fut):
        if sup.loc[rows[:-1], col].any():
            sup.loc[CITY_LABEL, col] = True
    display = df.astype(object).where(~sup, fmt.SUPPRESSED_SIGN)
    for col in (g_now, g_fut):  # places, not persons: published as text (see docstring)
        display[col] = [v if isinstance(v, str) else fmt.number(v) for v in display[col]]
    ids = {labels[a]: a for a in area_ids}
    ckeys = pd.DataFrame(None, index=df.index, columns=df.columns, dtype=object)
    lo, hi = spec["ages"]
    for r in df.index:
        lvl, unit = ("sozialraum", ids[r]) if r in ids else ("stadt", "stadt")
        ckeys.loc[r, c_now] = count_key(population_measure(lo, hi), lvl, unit, year)
        ckeys.loc[r, c_pl] = count_key(f"kita_places_{group}", lvl, unit, year)
    kinds: dict[str, Any] = {c_now: "count", c_pl: "count", c_fut: "count", g_now: "text", g_fut: "text"}
    kinds[q_now] = ("rate", c_pl)
    kinds[q_fut] = ("rate", c_pl)
    display = display[[c_now, c_pl, q_now, g_now, c_fut, q_fut, g_fut]]
    sup = sup[display.columns]
    signs = pd.DataFrame(
        np.where(unsure[display.columns], "unsicher", None), index=display.index, columns=display.columns
    )
    return KitaProtected(
        display, sup, df[display.columns], ckeys[display.columns], kinds, year, target_year, signs
    )


def kita_table(prot: KitaProtected, group: str, settings: KitaSettings) -> str:
    """German HTML table of Kita supply and missing places per Sozialraum (protected, see :func:`protect_kita`)."""
    spec = GROUPS[group]
    cols = list(prot.display.columns)
    rate_fmt = {"decimals": 1, "unit": "%"}
    totals = {
        "rows": [{"total": CITY_LABEL, "parts": [r for r in prot.display.index if r != CITY_LABEL]}],
        "columns": [],
    }
    return html_table(
        prot.display,
        prot.kinds,
        table_id=f"kita-{group}-{prot.year}",
        caption=(
            f"Kita-Versorgung {spec['label']} je Sozialraum {prot.year} und {prot.target_year} "
            f"(Zielquote {fmt.percent(settings.target(group), 0)})"
        ),
        totals=totals,
        suppressed=prot.suppressed,
        signs=prot.signs,
        cell_keys=prot.keys,
        number_formats={c: rate_fmt for c in cols if c.startswith("Versorgungsquote")},
        footnotes=[
            f"Versorgungsquote = Kita-Plätze {spec['label']} je 100 {spec['children']}. Fehlende Plätze = "
            f"Plätze, die bis zur Zielquote von {fmt.percent(settings.target(group), 0)} fehlen "
            "(aufgerundet; Sozialräume mit Überhang zählen 0). Die Stadt weist die Summe der Fehlbedarfe aus.",
            f"Prognose {prot.target_year}: kleinräumige Bevölkerungsprognose (Kohorten-Komponenten-Methode, "
            "Status quo); Platzzahl unverändert.",
            "Quelle: Einrichtungsregister (Kita-Plätze), Einwohnermelderegister (31.12.).",
        ],
    )


def kita_map_frame(areas, prot: KitaProtected, keys: pd.DataFrame, future: bool = True):
    """GeoDataFrame of the areas with ``gap`` (missing places), ``coverage`` and ``suppressed`` for the map."""
    labels = unit_labels(keys)
    year = prot.target_year if future else prot.year
    gap_col, q_col = f"Fehlende Plätze {year}", f"Versorgungsquote {year}"
    by_label = pd.DataFrame(
        {
            "gap": prot.values[gap_col].where(~prot.suppressed[gap_col]),
            "coverage": prot.values[q_col].where(~prot.suppressed[q_col]),
            "suppressed": prot.suppressed[gap_col],
        }
    )
    gdf = areas.copy()
    lab = gdf["area_id"].astype(str).map(labels)
    for c in by_label.columns:
        gdf[c] = lab.map(by_label[c]).to_numpy()
    gdf["suppressed"] = gdf["suppressed"].fillna(False).astype(bool)
    return gdf


def gap_bins(values: pd.Series) -> list[float]:
    """Upper class bounds for the missing-places map: 0 (kein Fehlbedarf), then quartile-like steps.

    Bounds are whole places: 0, then the rounded 33rd/67th percentile of the positive gaps and their maximum.
    """
    pos = pd.to_numeric(values, errors="coerce")
    pos = pos[pos > 0].dropna()
    if pos.empty:
        return [0.0]
    qs = sorted({float(math.ceil(q)) for q in np.percentile(pos, [33, 67, 100])})
    return [0.0, *[q for q in qs if q > 0]]


def kita_gap_map(
    areas, prot: KitaProtected, keys: pd.DataFrame, group: str, settings: KitaSettings, districts=None
):
    """Map of the missing Kita places per Sozialraum in the projection year; withheld areas hatched."""

    gdf = kita_map_frame(areas, prot, keys, future=True)
    spec = GROUPS[group]
    return maps.choropleth(
        gdf,
        "gap",
        scheme="user",
        bins=gap_bins(gdf["gap"]),
        palette="sequential_red",
        legend_title=f"Fehlende Plätze {spec['label']} {prot.target_year}",
        value_format="number",
        decimals=0,
        suppressed="suppressed",
        districts=districts,
        labels="area_id",
        title=f"Fehlende Kita-Plätze {spec['label']} {prot.target_year} je Sozialraum",
        note=(
            f"Plätze bis zur Zielquote {fmt.percent(settings.target(group), 0)} ({spec['children']}); Kinderzahl "
            f"{prot.target_year} aus der Bevölkerungsprognose (Status quo), Plätze wie {prot.year}. "
            "Quelle: Einrichtungsregister, Einwohnermelderegister."
        ),
    )


def facility_overview_map(areas, facilities, districts=None):
    """Facility map of Kitas, Familienzentren and Jugendzentren (types present in the register)."""

    present = [t for t in YOUTH_TYPES if (facilities["type"] == t).any()]
    if not present:
        raise DataValidationError(
            "keine Kitas, Familienzentren oder Jugendzentren im Einrichtungsregister",
            where="Tabelle facilities, Spalte type",
        )
    return maps.facility_map(
        areas,
        facilities,
        types=present,
        districts=districts,
        title="Angebote für Kinder, Jugendliche und Familien",
        note="Quelle: Einrichtungsregister der Stadt (Standorte, Stand Berichtsjahr).",
    )


def kita_summary(prot_u3: KitaProtected, prot_ue3: KitaProtected, settings: KitaSettings) -> str:
    """German paragraph: city coverage now/in future, areas below target, missing places (published values only)."""
    parts = []
    for g, prot in (("u3", prot_u3), ("ue3", prot_ue3)):
        spec = GROUPS[g]
        d, sup = prot.values, prot.suppressed
        q_now, q_fut = f"Versorgungsquote {prot.year}", f"Versorgungsquote {prot.target_year}"
        g_now, g_fut = f"Fehlende Plätze {prot.year}", f"Fehlende Plätze {prot.target_year}"
        areas = [r for r in d.index if r != CITY_LABEL]

        def city(col: str, d: pd.DataFrame = d, sup: pd.DataFrame = sup) -> float | None:
            return None if sup.loc[CITY_LABEL, col] else float(d.loc[CITY_LABEL, col])

        target = settings.target(g)
        below = int(((d.loc[areas, q_fut] < target) & ~sup.loc[areas, q_fut]).sum())
        text = f"**{spec['label']}:** "
        qn, qf = city(q_now), city(q_fut)
        if qn is not None and qf is not None:
            text += (
                f"Die Versorgungsquote der Stadt liegt {prot.year} bei {fmt.percent(qn)} und würde bei gleicher "
                f"Platzzahl {prot.target_year} {fmt.percent(qf)} betragen (Zielquote {fmt.percent(target, 0)}). "
            )
        text += (
            f"{prot.target_year} lägen {fmt.count_word(below, 'Sozialraum', 'Sozialräume')} von "
            f"{fmt.number(len(areas))} unter der Zielquote. "
        )
        gn, gf = city(g_now), city(g_fut)
        if gn is not None and gf is not None:
            text += (
                f"Um die Zielquote in jedem Sozialraum zu erreichen, fehlen {prot.year} zusammen "
                f"{fmt.number(gn)} Plätze, {prot.target_year} {fmt.number(gf)} Plätze."
            )
        else:
            text += "Die Summe der fehlenden Plätze wird aus Gründen der Geheimhaltung nicht ausgewiesen."
        parts.append(text)
    return "\n\n".join(parts)


INPUTS = ("keys", "areas", "population", "counts", "events", "facilities")
"""Processed tables the chapter needs (see :func:`workbench.chapters.missing_inputs`)."""


@dataclass(frozen=True)
class YouthModel(ViewsModel):
    """Kita supply (protected, today and in ``horizon`` years), HzE, family situation and facilities."""

    settings: KitaSettings
    kita: dict[str, KitaProtected]
    family: pd.DataFrame
    facilities: Any
    left_out: Mapping[str, str] = field(default_factory=dict)
    """Family indicators the data do not allow (id → German sentence, plain text)."""
    demand_choice: Any = None
    """Projection method the data allow (:class:`workbench.projection.evaluation.MethodChoice`)."""
    demand_run: Any = None
    """Status-quo projection for the Kita and school demand (None without projection)."""
    demand_evaluation: Any = None
    """Back-test of that projection over all windows with the bands (:class:`~workbench.projection.evaluation.Evaluation`)."""

    def demand_text(self) -> str:
        """German summary of the children per Kita and school group in 5 and 10 years with the back-test error."""
        return demand_text(self.demand_run, self.demand_evaluation, self.demand_choice)

    def demand_table(self) -> str:
        """Children per Sozialraum and Kita/school group in 5 and 10 years with the empirical bands."""
        return demand_table_html(
            self.demand_run, self.demand_evaluation, self.views.keys, self.rules, self.demand_choice
        )

    def demand_evaluation_table(self, group: str) -> str:
        """Back-test of one planning group by horizon against the naive baselines."""
        return evaluation_table_html(self.demand_evaluation, self.demand_choice, group)

    demand_groups = tuple(DEMAND_GROUPS)
    rules: Any = None

    def kita_summary(self) -> str:
        return kita_summary(self.kita["u3"], self.kita["ue3"], self.settings)

    def kita_gap_map(self, group: str):
        v = self.views
        return kita_gap_map(v.areas, self.kita[group], v.keys, group, self.settings, districts=v.districts)

    def kita_table(self, group: str) -> str:
        return kita_table(self.kita[group], group, self.settings)

    def hze(self):
        """The catalogue indicator HzE-Dichte."""
        return self.views.catalogue["hze_dichte"]

    def _quadrant_left_out(self) -> Note | None:
        """The sentence(s) why there are no quadrants (single parents or child poverty not computable)."""
        why = [self.left_out[i] for i in QUADRANT_INDICATORS if i in self.left_out]
        return Note(markdown(" ".join(why))) if why else None

    def quadrant_text(self) -> str:
        return self._quadrant_left_out() or quadrant_text(self.family)

    def quadrant_chart(self):
        """Quadrant chart; nothing when the data do not allow it (:meth:`quadrant_text` says why)."""
        return NOTHING if self._quadrant_left_out() else quadrant_chart(self.family, self.year)

    family_table = view(family_table, "family", "year", "views.keys", "views.table", "left_out")
    facility_map = view(facility_overview_map, "views.areas", "facilities", "views.districts")


def build(ch: Any) -> YouthModel:
    """The chapter model from a :class:`~workbench.chapters.context.Chapter`."""
    ds, year, settings = ch.ds, ch.year, ch.cfg.kita
    supply = kita_supply(ds, year, settings)
    kita = {
        g: protect_kita(supply, g, ds.keys, ch.rules, ch.protected_counts, ch.protected_population)
        for g in ("u3", "ue3")
    }
    family = family_frame(ch.indicators, year, ds.area_keys["area_id"].tolist())
    views = IndicatorViews.of(ch)
    left_out = {i: ch.left_out_sentence(i) for i in FAMILY_INDICATORS if i in views.left_out}
    from workbench.chapters.demography import projection_for  # noqa: PLC0415  (chapter modules load lazily)

    choice, run, ev = projection_for(ch, max(BAND_HORIZONS))
    return YouthModel(
        views,
        settings,
        kita,
        family,
        ds.facilities,
        {k: v for k, v in left_out.items() if v},
        choice,
        run,
        ev,
        ch.rules,
    )
