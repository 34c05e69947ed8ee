"""Chapter "Wohnen": households, household size, length of residence and residential mobility per Sozialraum.

Sources and methods:

* households, households with children: ``counts.parquet`` (register-based household generation), published
  through the report-wide protected count cube (``Chapter.protected_counts``), so a household count is shown
  or withheld identically in every chapter;
* average household size = residents (population at 31.12.) / households (persons per household); withheld
  where the household count is withheld or below ``rules.min_base``;
* share of households with children = households with children / households × 100; withheld where either
  count is withheld or the base is below ``rules.min_base``;
* Wohndauer > 5 Jahre, Umzugsvolumen (in + out moves per 1,000 residents), Wanderungssaldo (in − out per
  1,000): catalogue indicators from ``Chapter.indicators`` — only the published ``pub_value`` is used. The
  volume and the balance are published exactly when all four flows are (``chapters.tables.rate_inputs``), as
  in the Demografie movements table, so a withheld balance never sits next to its published flows.

On partial data a part whose counts or indicator the data lack (no ``households`` of the reporting year, an
indicator not computable) is left out: its map is the German sentence why (as in ``workbench check``), its
columns are dropped from the table, whose footnotes then carry the sentences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.chapters.indicator_views import IndicatorViews, chapter_indicators
from workbench.chapters.model import ViewsModel, view
from workbench.chapters.notes import NOTHING, Note, markdown
from workbench.chapters.tables import unit_labels
from workbench.confidentiality import Rules
from workbench.render import fmt, maps
from workbench.render.tables import count_key, html_table

CITY_LABEL = "Stadt insgesamt"
INDICATORS = ("wohndauer", "umzugsvolumen", "wanderungssaldo")
"""Catalogue indicators of the chapter (config/indicators.yaml)."""
_HIDDEN = ("primary", "secondary", "input")
COLUMNS = {
    "households": ("Haushalte", "Personen je Haushalt", "Anteil Haushalte mit Kindern"),
    "households_children": ("Haushalte mit Kindern", "Anteil Haushalte mit Kindern"),
    "wohndauer": ("Wohndauer über 5 Jahre",),
    "umzugsvolumen": ("Umzugsvolumen je 1.000",),
    "wanderungssaldo": ("Wanderungssaldo je 1.000",),
}
"""Measure or indicator → the columns of :func:`housing_table` that need it."""
HOUSEHOLD_PARTS = {
    "households": "Haushalte und Haushaltsgröße",
    "households_children": "Haushalte mit Kindern",
}
"""Count measures of the chapter that no catalogue indicator uses → German name of the part they carry."""


def _cube(protected_counts: pd.DataFrame, measure: str, year: int) -> pd.DataFrame:
    pc = protected_counts
    sel = pc[(pc["measure"] == measure) & (pc["year"] == year) & pc["level"].isin(["sozialraum", "stadt"])]
    return sel.set_index(sel["unit_id"].astype(str))[["value", "published_value", "status"]]


def household_frame(ds, protected_counts: pd.DataFrame, year: int, rules: Rules) -> pd.DataFrame:
    """Per Sozialraum and the city ("stadt", last row): residents, households, households with children,
    average household size and share of households with children, with publication flags.

    Columns: unit_id, population, households, households_children (true values, internal),
    households_pub / households_children_pub (published or NaN), hh_hidden / hhc_hidden (withheld by the
    cube), hh_size (persons per household), hh_size_pub, children_share (%), children_share_pub.
    """
    area_ids = ds.area_keys["area_id"].astype(str).tolist()
    units = [*area_ids, "stadt"]
    pop = ds.population[ds.population["year"] == year]
    by_area = pop.groupby(pop["area_id"].astype(str))["count"].sum().reindex(area_ids).fillna(0.0)
    df = pd.DataFrame(index=pd.Index(units, name="unit_id"))
    df["population"] = [*by_area.to_numpy(), by_area.sum()]
    for measure, short in (("households", "hh"), ("households_children", "hhc")):
        c = _cube(protected_counts, measure, year).reindex(units)
        df[measure] = c["value"].to_numpy(dtype=float)
        df[f"{measure}_pub"] = c["published_value"].to_numpy(dtype=float)
        df[f"{short}_hidden"] = c["status"].isin(_HIDDEN).to_numpy()
    base = rules.min_base or 0.0
    hh = df["households"].where(df["households"] > 0)
    df["hh_size"] = df["population"] / hh
    ok = df["households_pub"].notna() & (df["households"] >= base)
    df["hh_size_pub"] = df["hh_size"].where(ok)
    df["children_share"] = 100.0 * df["households_children"] / hh
    ok_c = ok & df["households_children_pub"].notna()
    df["children_share_pub"] = df["children_share"].where(ok_c)
    return df.reset_index()


def _indicator_values(indicators: pd.DataFrame, year: int, units: list[str]) -> pd.DataFrame:
    """Published values and status of the chapter's catalogue indicators per unit (Sozialraum and city)."""
    sel = indicators[
        indicators["indicator"].isin(INDICATORS)
        & (indicators["year"] == year)
        & indicators["level"].isin(["sozialraum", "stadt"])
    ]
    val = sel.pivot_table(
        index="unit_id", columns="indicator", values="pub_value", aggfunc="first", dropna=False
    )
    st = sel.pivot_table(index="unit_id", columns="indicator", values="status", aggfunc="first")
    out = pd.DataFrame(index=pd.Index(units, name="unit_id"))
    for ind in INDICATORS:
        out[ind] = val[ind].reindex(units).to_numpy(dtype=float) if ind in val else np.nan
        status = st[ind].reindex(units) if ind in st else pd.Series("missing", index=units)
        out[f"{ind}_hidden"] = (~status.isin(["shown", "missing"]) & status.notna()).to_numpy()
    return out


def housing_table(
    frame: pd.DataFrame,
    indicators: pd.DataFrame,
    keys: pd.DataFrame,
    year: int,
    left_out: Mapping[str, str] | None = None,
) -> str:
    """German HTML table per Sozialraum and city: residents, households, household size, households with
    children, Wohndauer > 5 Jahre, Umzugsvolumen and Wanderungssaldo (published values only).

    ``left_out``: measure or indicator (keys of :data:`COLUMNS`) → German sentence why the data do not allow
    it; its columns are dropped and the sentence becomes a footnote."""
    labels = pd.concat([unit_labels(keys), unit_labels(keys, "stadt")])
    units = frame["unit_id"].astype(str).tolist()
    idx = pd.Index([CITY_LABEL if u == "stadt" else labels[u] for u in units], name="Sozialraum")
    ind = _indicator_values(indicators, year, units)
    cols = {
        "Einwohner": frame["population"].to_numpy(),
        "Haushalte": frame["households_pub"].to_numpy(),
        "Personen je Haushalt": frame["hh_size_pub"].to_numpy(),
        "Haushalte mit Kindern": frame["households_children_pub"].to_numpy(),
        "Anteil Haushalte mit Kindern": frame["children_share_pub"].to_numpy(),
        "Wohndauer über 5 Jahre": ind["wohndauer"].to_numpy(),
        "Umzugsvolumen je 1.000": ind["umzugsvolumen"].to_numpy(),
        "Wanderungssaldo je 1.000": ind["wanderungssaldo"].to_numpy(),
    }
    df = pd.DataFrame(cols, index=idx)
    sup = pd.DataFrame(False, index=idx, columns=df.columns)
    sup["Haushalte"] = frame["hh_hidden"].to_numpy()
    sup["Haushalte mit Kindern"] = frame["hhc_hidden"].to_numpy()
    sup["Personen je Haushalt"] = frame["hh_size_pub"].isna().to_numpy() & frame["hh_size"].notna().to_numpy()
    sup["Anteil Haushalte mit Kindern"] = (
        frame["children_share_pub"].isna().to_numpy() & frame["children_share"].notna().to_numpy()
    )
    sup["Wohndauer über 5 Jahre"] = ind["wohndauer_hidden"].to_numpy()
    sup["Umzugsvolumen je 1.000"] = ind["umzugsvolumen_hidden"].to_numpy()
    sup["Wanderungssaldo je 1.000"] = ind["wanderungssaldo_hidden"].to_numpy()
    ckeys = pd.DataFrame(None, index=idx, columns=df.columns, dtype=object)
    for r, u in zip(idx, units, strict=True):
        lvl = "stadt" if u == "stadt" else "sozialraum"
        ckeys.loc[r, "Einwohner"] = count_key("population", lvl, u, year)
        ckeys.loc[r, "Haushalte"] = count_key("households", lvl, u, year)
        ckeys.loc[r, "Haushalte mit Kindern"] = count_key("households_children", lvl, u, year)
    kinds = {
        "Einwohner": "count",
        "Haushalte": "count",
        "Personen je Haushalt": ("rate", "Einwohner"),
        "Haushalte mit Kindern": "count",
        "Anteil Haushalte mit Kindern": ("share", "Haushalte mit Kindern"),
        "Wohndauer über 5 Jahre": "share",
        "Umzugsvolumen je 1.000": "rate",
        "Wanderungssaldo je 1.000": "rate",
    }
    parts = [r for r in idx if r != CITY_LABEL]
    left_out = dict(left_out or {})
    drop = {c for key in left_out for c in COLUMNS.get(key, ())}
    keep = [c for c in df.columns if c not in drop]
    df, sup, ckeys = df[keep], sup[keep], ckeys[keep]
    kinds = {c: k for c, k in kinds.items() if c in keep}
    return html_table(
        df,
        kinds,
        table_id=f"wohnen-{year}",
        caption=f"Haushalte, Wohndauer und Wanderungen je Sozialraum {year}",
        totals={"rows": [{"total": CITY_LABEL, "parts": parts}], "columns": []},
        suppressed=sup,
        cell_keys=ckeys,
        number_formats={
            c: f
            for c, f in (
                ("Personen je Haushalt", {"decimals": 2, "unit": ""}),
                ("Umzugsvolumen je 1.000", {"decimals": 1, "unit": ""}),
                ("Wanderungssaldo je 1.000", {"decimals": 1, "unit": ""}),
            )
            if c in keep
        },
        footnotes=[
            f"Einwohner und Haushalte am {fmt.reference_date(year)} (Hauptwohnsitz, Haushaltegenerierung). "
            "Personen je Haushalt = Einwohner / Haushalte.",
            "Wohndauer: Einwohner, die seit mehr als 5 Jahren an derselben Adresse wohnen, in % der Einwohner. "
            "Umzugsvolumen: Zu- und Fortzüge (über die Stadtgrenze und zwischen Sozialräumen) je 1.000 Einwohner; "
            "Wanderungssaldo: Zuzüge minus Fortzüge je 1.000 Einwohner, jeweils im Kalenderjahr.",
            "Quelle: Einwohnermelderegister (Bestand und Bewegungsdaten).",
            *(v for v in left_out.values() if v),
        ],
    )


def housing_map_frame(areas, frame: pd.DataFrame, indicators: pd.DataFrame, year: int):
    """GeoDataFrame of the areas with published household size, indicator values and ``*_suppressed`` flags."""
    gdf = areas.copy()
    ids = gdf["area_id"].astype(str)
    f = frame.set_index(frame["unit_id"].astype(str))
    gdf["hh_size"] = ids.map(f["hh_size_pub"]).to_numpy(dtype=float)
    gdf["hh_size_suppressed"] = (gdf["hh_size"].isna() & ids.map(f["hh_size"]).notna()).to_numpy()
    ind = _indicator_values(indicators, year, ids.tolist())
    for name in INDICATORS:
        gdf[name] = ind[name].to_numpy()
        gdf[f"{name}_suppressed"] = ind[f"{name}_hidden"].to_numpy()
    return gdf


def value_map(gdf, column: str, ind, year: int, districts=None, palette: str = "sequential_blue", **kw):
    """Choropleth (quintiles) of a published catalogue indicator; withheld areas hatched.

    ``ind``: catalogue Indicator (label, unit, source for legend and note). For the Wanderungssaldo a diverging
    palette with natural breaks is the better choice (pass ``palette``/``scheme``).
    """
    pct = ind.unit == "%"
    scheme = kw.pop("scheme", "quantiles")
    return maps.choropleth(
        gdf,
        column,
        scheme=scheme,
        k=5,
        palette=palette,
        legend_title=f"{ind.label} {year}" + ("" if pct else f" ({ind.unit})"),
        value_format="percent" if pct else "number",
        decimals=ind.decimals,
        suppressed=f"{column}_suppressed",
        districts=districts,
        title=f"{ind.label} je Sozialraum {year}",
        note=f"{ind.definition} Quelle: {ind.source}.",
        **kw,
    )


def household_size_map(gdf, year: int, districts=None):
    """Choropleth of the average household size (persons per household, quintiles)."""
    return maps.choropleth(
        gdf,
        "hh_size",
        scheme="quantiles",
        k=5,
        palette="sequential_purple",
        legend_title=f"Personen je Haushalt {year}",
        value_format="number",
        decimals=2,
        suppressed="hh_size_suppressed",
        districts=districts,
        title=f"Durchschnittliche Haushaltsgröße je Sozialraum {year}",
        note=(
            f"Einwohner je Haushalt am {fmt.reference_date(year)}. Quelle: Einwohnermelderegister "
            "(Haushaltegenerierung)."
        ),
    )


def housing_summary(frame: pd.DataFrame, indicators: pd.DataFrame, keys: pd.DataFrame, year: int) -> str:
    """German paragraph on households and mobility; cites only published values."""
    f = frame.set_index(frame["unit_id"].astype(str))
    units = f.index.tolist()
    ind = _indicator_values(indicators, year, units)
    labels = unit_labels(keys)
    parts = []
    city = f.loc["stadt"]
    if pd.notna(city["households_pub"]) and pd.notna(city["hh_size_pub"]):
        parts.append(
            f"Am {fmt.reference_date(year)} leben in der Stadt {fmt.number(city['population'])} Menschen in "
            f"{fmt.number(city['households_pub'])} Haushalten, im Mittel {fmt.number(city['hh_size_pub'], 2)} "
            "Personen je Haushalt."
        )
    areas = f.drop(index="stadt")
    sizes = areas["hh_size_pub"].dropna()
    if len(sizes) >= 2:
        lo, hi = sizes.idxmin(), sizes.idxmax()
        parts.append(
            f"Die Haushalte sind in {labels[hi]} am größten ({fmt.number(sizes[hi], 2)} Personen) und in "
            f"{labels[lo]} am kleinsten ({fmt.number(sizes[lo], 2)})."
        )
    wd = ind.loc["stadt", "wohndauer"]
    if pd.notna(wd):
        parts.append(
            f"{fmt.percent(wd)} der Einwohner wohnen seit mehr als fünf Jahren an derselben Adresse."
        )
    vol = ind["umzugsvolumen"].drop(index="stadt").dropna()
    if len(vol):
        top = vol.sort_values(ascending=False, kind="stable").head(3)
        names = ", ".join(f"{labels[u]} ({fmt.number(v, 1)} je 1.000)" for u, v in top.items())
        parts.append(f"Die höchste Umzugsdynamik haben {names}.")
    saldo = ind["wanderungssaldo"].drop(index="stadt").dropna()
    if len(saldo):
        gain, loss = int((saldo > 0).sum()), int((saldo < 0).sum())
        parts.append(
            f"{fmt.count_word(gain, 'Sozialraum', 'Sozialräume')} {'hat' if gain == 1 else 'haben'} {year} mehr "
            f"Zu- als Fortzüge, {fmt.number(loss)} mehr Fort- als Zuzüge."
        )
    return " ".join(parts)


INPUTS = ("keys", "areas", "population", "counts|shares")
"""Processed tables the chapter needs (see :func:`workbench.chapters.missing_inputs`)."""


@dataclass(frozen=True)
class HousingModel(ViewsModel):
    """Households per area from the protected count cube, the housing indicators and their map frame."""

    frame: pd.DataFrame
    map_frame: Any
    left_out: Mapping[str, str] = field(default_factory=dict)
    """Measure or indicator the data do not allow (keys of :data:`COLUMNS`) → German sentence (plain text)."""

    further_indicators: tuple = ()
    """The chapter's other indicators (chapter file or catalogue topic ``wohnen``, e.g. a city's published
    shares), shown one by one like the indicators of Soziale Lage."""

    def _ind(self, ind_id: str):
        """The catalogue indicator, or None when the report's catalogue does not define it."""
        return self.views.catalogue[ind_id] if ind_id in self.views.catalogue else None

    summary = view(housing_summary, "frame", "views.table", "views.keys", "year")

    def household_size_map(self):
        """Choropleth of the persons per household (the sentence why not without households)."""
        if "households" in self.left_out:
            return Note(markdown(self.left_out["households"]))
        return household_size_map(self.map_frame, self.year, districts=self.views.districts)

    def section(self, part: str) -> str:
        """German heading (and explanation) of a part of the chapter: ``wohndauer`` or ``mobilitaet``; nothing
        when the report's catalogue has none of its indicators (a city with its own housing indicators)."""
        ids = {"wohndauer": ("wohndauer",), "mobilitaet": ("umzugsvolumen", "wanderungssaldo")}[part]
        if not any(self._ind(i) for i in ids):
            return NOTHING
        if part == "wohndauer":
            return "## Wohndauer über fünf Jahre"
        return (
            "## Umzugsvolumen und Wanderungssaldo\n\nDas Umzugsvolumen zählt alle Zu- und Fortzüge eines Jahres "
            "je 1.000 Einwohner, der Wanderungssaldo die Differenz aus Zuzügen und Fortzügen. Beide enthalten die "
            "Umzüge zwischen den Sozialräumen der Stadt."
        )

    def residence_summary(self) -> str:
        ind = self._ind("wohndauer")
        return self.views.summary(ind) if ind else NOTHING

    def indicator_map(self, ind_id: str, palette: str, **kw):
        """Class map of one of the chapter's indicators (:data:`INDICATORS`); the sentence why not when the
        data do not allow the indicator (nothing when the catalogue does not define it)."""
        if self._ind(ind_id) is None:
            return NOTHING
        missing = self.views.missing(self._ind(ind_id))
        if missing:
            return missing if ind_id != "wohndauer" else NOTHING  # Wohndauer: residence_summary says why
        return value_map(
            self.map_frame,
            ind_id,
            self._ind(ind_id),
            self.year,
            districts=self.views.districts,
            palette=palette,
            **kw,
        )

    def residence_dot_chart(self):
        ind = self._ind("wohndauer")
        return self.views.dot_chart(ind) if ind else NOTHING

    def mobility_trend_chart(self):
        ind = self._ind("umzugsvolumen")
        return self.views.trend_chart(ind) if ind else NOTHING

    table = view(housing_table, "frame", "views.table", "views.keys", "year", "left_out")


def build(ch: Any) -> HousingModel:
    """The chapter model from a :class:`~workbench.chapters.context.Chapter`."""
    frame = household_frame(ch.ds, ch.protected_counts, ch.year, ch.rules)
    gdf = housing_map_frame(ch.ds.areas, frame, ch.indicators, ch.year)
    views = IndicatorViews.of(ch)
    pc = ch.protected_counts
    present = set(pc.loc[pc["year"] == ch.year, "measure"].astype(str).unique())
    left_out = {
        m: ch.measures_left_out_sentence(f"wohnen.{m}", label, (m,))
        for m, label in HOUSEHOLD_PARTS.items()
        if m not in present
    }
    left_out.update({i: ch.left_out_sentence(i) for i in INDICATORS if i in views.left_out})
    left_out = {k: v for k, v in left_out.items() if v}
    # indicators a city's catalogue does not define: their columns go, without a note (nothing is missing)
    left_out.update({i: "" for i in INDICATORS if i not in ch.catalogue})
    further = tuple(ind for ind in chapter_indicators(ch.catalogue, "wohnen") if ind.id not in INDICATORS)
    return HousingModel(views, frame, gdf, left_out, further)
