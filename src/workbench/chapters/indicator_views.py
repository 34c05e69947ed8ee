"""Published views of catalogue indicators: one map, dot chart, trend chart and table per indicator.

All functions take the protected indicator table (``Chapter.indicators``) and use only published values:
rows whose ``status`` is not "shown" appear as suppressed (hatched, "." = official sign for "geheim zu halten") and
are never compared or cited.
Used by the thematic chapters (Soziale Lage, Kinder/Jugend, Wohnen, …) and the profiles.

On partial data (:class:`IndicatorViews`): an indicator the data do not allow is absent from the table; its
text views (:meth:`~IndicatorViews.heading`, :meth:`~IndicatorViews.summary`) give the German sentence why
(:meth:`workbench.chapters.context.Chapter.left_out`), its figure and table views show nothing. With fewer than
:data:`workbench.chapters.TREND_MIN_YEARS` years the trend chart is that sentence for the time series; with
fewer than :data:`workbench.indicators.TREND_POINTS` the trend text says the trend test lacks years.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from workbench import settings
from workbench.chapters.notes import NOTHING, Note
from workbench.chapters.tables import unit_labels
from workbench.errors import ConfigError
from workbench.indicators import TREND_POINTS
from workbench.render import fmt, maps, plots
from workbench.render.findings import significance_summary
from workbench.render.tables import html_table

METHOD_TEXT = {
    "wilson": "Wilson-Intervall",
    "poisson": "exaktes Poisson-Intervall (x < 10) bzw. Byar",
    "none": "ohne Intervall",
    "published": "veröffentlichter Wert ohne Fallzahlen, daher ohne Intervall und ohne Signifikanzvergleich",
}
NO_INTERVAL = "ohne Intervall"
"""Interval cell of a value published without counts (``method: published``)."""


def published_view(table: pd.DataFrame) -> pd.DataFrame:
    """The indicator table with every value column replaced by its published version.

    value/lower/upper become NaN where the row is suppressed; city and parent values are taken from the
    published city/parent rows, so a suppressed benchmark is never cited either.
    """
    df = table.copy()
    for col in ("value", "lower95", "upper95", "lower998", "upper998"):
        df[col] = df[f"pub_{col}"]
    hidden = df["status"] != "shown"
    df["numerator_suppressed"] = df["numerator_suppressed"] | hidden
    pub = df.set_index(["indicator", "level", "unit_id", "year"])["value"]
    city = pub.xs("stadt", level="level").droplevel("unit_id")
    df["city_value"] = pd.MultiIndex.from_arrays([df["indicator"], df["year"]]).map(city.to_dict().get)
    if "parent_id" in df:
        parent_level = df["level"].map({"sozialraum": "stadtbezirk", "stadtbezirk": "stadt"})
        keys = list(zip(df["indicator"], parent_level, df["parent_id"].astype(str), df["year"], strict=True))
        lookup = pub.to_dict()
        df["parent_value"] = [lookup.get(k, np.nan) for k in keys]
    return df


def note(ind, confidence: str = "95 %", comparator: str = "Stadt") -> str:
    """Chart note: method, confidence level, comparator and source of an indicator."""
    return (
        f"Methode: {METHOD_TEXT.get(ind.method, ind.method)}, {confidence}; Vergleich: {comparator}; "
        f"Quelle: {ind.source}, Stand {ind.reference_date}. {fmt.SUPPRESSED_SIGN}/schraffiert = geheim gehalten."
    )


def _rows(table: pd.DataFrame, indicator: str, year: int, level: str = "sozialraum") -> pd.DataFrame:
    sel = table[(table["indicator"] == indicator) & (table["year"] == year) & (table["level"] == level)]
    return sel.sort_values("unit_id")


def summary(table: pd.DataFrame, ind, year: int, catalogue) -> str:
    """German sentence on how many areas differ significantly from the city (published values only); for a
    value published without counts its range and the areas with the highest values instead."""
    if ind.published:
        return published_summary(table, ind, year)
    return significance_summary(published_view(table), ind.id, year, catalogue=catalogue)


def published_summary(table: pd.DataFrame, ind, year: int) -> str:
    """German sentences for a value published without counts: range, city value, the highest areas, and why
    there is no significance comparison."""
    rows = _rows(table, ind.id, year)
    rows = rows[rows["status"] == "shown"]
    d = ind.decimals
    unit = f" {ind.unit}"
    if rows.empty:
        return f"Für {year} gibt es keinen veröffentlichten Wert je Sozialraum."
    top = rows.sort_values(["pub_value", "unit_id"], ascending=[False, True]).head(3)
    city = table[(table["indicator"] == ind.id) & (table["year"] == year) & (table["level"] == "stadt")]
    city_value = city["pub_value"].iloc[0] if len(city) else np.nan
    text = (
        f"{ind.label} reicht {year} von {fmt.number(rows['pub_value'].min(), d)}{unit} bis "
        f"{fmt.number(rows['pub_value'].max(), d)}{unit} ({fmt.number(len(rows))} Sozialräume mit Wert)"
    )
    text += f"; der Wert der Stadt ist {fmt.number(city_value, d)}{unit}." if pd.notna(city_value) else "."
    text += " Die höchsten Werte: " + ", ".join(
        f"{n} ({fmt.number(v, d)}{unit})" for n, v in zip(top["unit_name"], top["pub_value"], strict=True)
    )
    return (
        text
        + ". Der Wert ist ohne Fallzahlen veröffentlicht: ohne Konfidenzintervall lässt sich nicht prüfen, "
        "ob ein Sozialraum signifikant von der Stadt abweicht; die Karte zeigt deshalb Wertklassen (Quintile)."
    )


def significance_map(table: pd.DataFrame, ind, year: int, areas, districts=None):
    """Map of the areas coloured by their 95 % comparison with the city; suppressed areas hatched. A value
    published without counts has no interval: its map shows value classes (quintiles) instead."""
    rows = _rows(table, ind.id, year)
    if ind.published:
        gdf = areas.merge(
            rows[["unit_id", "pub_value", "status"]], left_on="area_id", right_on="unit_id", how="left"
        )
        gdf["suppressed"] = gdf["status"].ne("shown") & gdf["status"].notna()
        return maps.choropleth(
            gdf,
            "pub_value",
            scheme="quantiles",
            k=5,
            palette="sequential_red" if ind.polarity == "hoch = schlecht" else "sequential_blue",
            legend_title=ind.unit,
            value_format="percent" if ind.unit == "%" else "number",
            decimals=ind.decimals,
            suppressed="suppressed",
            districts=districts,
            title=f"{ind.label} {year}",
            note=note(ind, comparator="keiner (ohne Intervall)"),
        )
    gdf = areas.merge(
        rows[["unit_id", "cmp_city", "status"]], left_on="area_id", right_on="unit_id", how="left"
    )
    gdf["suppressed"] = gdf["status"].ne("shown") & gdf["status"].notna()
    return maps.significance_map(
        gdf,
        "cmp_city",
        polarity=ind.polarity,
        suppressed="suppressed",
        districts=districts,
        title=f"{ind.label} {year}: Vergleich mit der Stadt",
        note=note(ind),
    )


def dot_chart(table: pd.DataFrame, ind, year: int, keys: pd.DataFrame):
    """Ranked dot chart of the areas with 95 % intervals and the city value as reference line."""
    rows = _rows(table, ind.id, year)
    city = table[(table["indicator"] == ind.id) & (table["year"] == year) & (table["level"] == "stadt")]
    labels = unit_labels(keys)
    df = pd.DataFrame(
        {
            "label": labels.reindex(rows["unit_id"]).to_numpy(),
            "value": rows["pub_value"].to_numpy(),
            "lower": rows["pub_lower95"].to_numpy(),
            "upper": rows["pub_upper95"].to_numpy(),
            "cmp": rows["cmp_city"].to_numpy(),
        }
    )
    bench = city["pub_value"].iloc[0] if len(city) else np.nan
    return plots.dot_chart(
        df,
        value="value",
        lower="lower" if ind.method not in ("none", "published") else None,
        upper="upper" if ind.method not in ("none", "published") else None,
        label="label",
        comparison="cmp",
        benchmark=None if pd.isna(bench) else float(bench),
        polarity=ind.polarity,
        unit=ind.unit,
        decimals=ind.decimals,
        title=f"{ind.label} je Sozialraum {year} ({ind.unit})",
        note=note(ind),
    )


def trend_chart(table: pd.DataFrame, ind, year: int, keys: pd.DataFrame):
    """City and Stadtbezirk values over the years with the city's 95 % band and its trend marker."""
    sel = table[(table["indicator"] == ind.id) & (table["level"].isin(["stadt", "stadtbezirk"]))].copy()
    names = pd.concat([unit_labels(keys, "stadtbezirk"), pd.Series({"stadt": "Stadt insgesamt"})])
    sel["series"] = sel["unit_id"].map(names)
    sel = sel[sel["year"] <= year].sort_values(["series", "year"])
    marker = sel[(sel["level"] == "stadt") & (sel["year"] == year)]["trend"]
    text = f"Trend Stadt: {marker.iloc[0]} (χ²-Trendtest, 99,8 %, letzte 5 Jahre)" if len(marker) else None
    return plots.trend_chart(
        sel,
        year="year",
        value="pub_value",
        series="series",
        unit=ind.unit,
        decimals=ind.decimals,
        title=f"{ind.label}: Entwicklung nach Stadtbezirk",
        note=note(ind, comparator="Zeitreihe"),
        marker_text=text,
    )


def trend_counts(table: pd.DataFrame, ind, year: int) -> pd.Series:
    """Number of Sozialräume per trend marker in ``year`` (suppressed rows count as "nicht berechenbar")."""
    rows = _rows(table, ind.id, year)
    marker = rows["trend"].where(rows["status"] == "shown", "nicht berechenbar")
    return marker.value_counts()


def indicator_table(
    table: pd.DataFrame, ind, year: int, keys: pd.DataFrame, level: str = "sozialraum"
) -> str:
    """German table per unit: value, 95 % interval, comparison with city and Stadtbezirk, trend, quintile.

    Numerator counts from the protected cube are shown only where published (cell keys link them to the
    same counts in other tables for the audit).
    """
    rows = pd.concat([_rows(table, ind.id, year, level), _rows(table, ind.id, year, "stadt")])
    labels = pd.concat([unit_labels(keys, level), unit_labels(keys, "stadt")])
    shown = rows["status"].eq("shown").to_numpy()
    d = ind.decimals

    def interval(lo, up, status):
        if ind.published:
            return NO_INTERVAL
        if ind.method == "none":
            return fmt.sign("nicht_sinnvoll")  # no interval by method
        if status == "min_base":
            return fmt.sign("unsicher")  # too few in the base: not secret, not sure enough
        if pd.isna(lo) or pd.isna(up):
            return fmt.sign("geheim")  # withheld with its value (or unknown: the same official sign ".")
        return f"{fmt.number(lo, d)} – {fmt.number(up, d)}"

    df = pd.DataFrame(index=pd.Index(labels.reindex(rows["unit_id"]).to_numpy(), name=level.capitalize()))
    value_col = f"{ind.label} ({ind.unit})"
    df[value_col] = np.where(shown, rows["pub_value"], np.nan)
    df["95-%-KI"] = [
        interval(lo, up, st)
        for lo, up, st in zip(rows["pub_lower95"], rows["pub_upper95"], rows["status"], strict=True)
    ]
    df["Vergleich Stadt"] = rows["cmp_city"].to_numpy()
    if level == "sozialraum":
        df["Vergleich Stadtbezirk"] = rows["cmp_parent"].where(rows["level"] != "stadt", "").to_numpy()
    df["Trend (5 J.)"] = np.where(shown, rows["trend"], "nicht berechenbar")
    df["Quintil"] = [
        "" if pd.isna(q) or not s else str(int(q)) for q, s in zip(rows["quintile"], shown, strict=True)
    ]
    df.loc[df.index[-1], ["Vergleich Stadt", "Trend (5 J.)"]] = ["", rows["trend"].iloc[-1]]
    suppressed = pd.DataFrame(False, index=df.index, columns=df.columns)
    unsure = rows["status"].eq("min_base").to_numpy()
    suppressed[value_col] = ~shown & ~unsure & rows["status"].ne("missing").to_numpy()
    # a value on fewer than min_base in the denominator is not secret (its counts may be published elsewhere,
    # so "." would claim a protection that does not exist) but too unsure: "/"
    signs = pd.DataFrame(None, index=df.index, columns=df.columns, dtype=object)
    signs.loc[unsure, value_col] = "unsicher"
    kind = "share" if ind.unit == "%" else "rate"
    kinds = {c: "text" for c in df.columns}
    kinds[value_col] = kind
    fmts = {value_col: {"decimals": d, "unit": ind.unit}}
    return html_table(
        df,
        kinds,
        table_id=f"{ind.id}-{level}-{year}",
        caption=f"{ind.label} je {level.capitalize()} {year}: {ind.definition}",
        suppressed=suppressed,
        signs=signs,
        number_formats=fmts,
        footnotes=[
            f"95-%-KI: {METHOD_TEXT.get(ind.method, ind.method)}. Vergleich: „ähnlich“, wenn der Vergleichswert im "
            "95-%-Intervall liegt. Trend: χ²-Trendtest über die letzten 5 Jahre, 99,8 %. "
            "Quintil 1 = höchste Werte.",
            f"Quelle: {ind.source}.",
        ],
    )


def trend_text(table: pd.DataFrame, ind, year: int) -> str:
    """German sentence on the 5-year trend markers of the Sozialräume."""
    counts = trend_counts(table, ind, year)
    n = int(counts.sum())
    up, down = int(counts.get("steigend", 0)), int(counts.get("fallend", 0))
    na = int(counts.get("nicht berechenbar", 0))
    text = (
        f"Über die letzten fünf Jahre ist {ind.article} {ind.label} in {up} von {n} Sozialräumen signifikant "
        f"gestiegen und in {down} signifikant gesunken (χ²-Trendtest, 99,8 %)."
    )
    if na:
        text += f" In {na} Sozialräumen ist kein Trend berechenbar (fehlende oder geheimgehaltene Werte)."
    return text


def overview(table: pd.DataFrame, indicators, year: int, catalogue) -> str:
    """Markdown table: city value and the number of areas significantly worse/better per indicator."""
    lines = [
        f"| Indikator | Stadt {year} | ungünstiger als die Stadt | günstiger als die Stadt | Trend Stadt |",
        "|---|---|---|---|---|",
    ]
    computed = set(table["indicator"].unique())
    for ind in indicators:
        if ind.id not in computed:  # the data do not allow it: the indicator's section says why
            dash = fmt.sign("nicht_sinnvoll")
            lines.append(f"| {ind.label} | nicht berechenbar | {dash} | {dash} | {dash} |")
            continue
        rows = _rows(table, ind.id, year)
        city = table[(table["indicator"] == ind.id) & (table["year"] == year) & (table["level"] == "stadt")]
        value = city["pub_value"].iloc[0] if len(city) else np.nan
        shown = f"{fmt.number(value, ind.decimals)} {ind.unit}" if pd.notna(value) else fmt.SUPPRESSED_SIGN
        if ind.published:
            shown = shown if pd.notna(value) else "nicht veröffentlicht"
            dash = "nicht verglichen (ohne Intervall)"
            lines.append(f"| {ind.label} | {shown} | {dash} | {dash} | nicht berechenbar |")
            continue
        if pd.isna(value):  # withheld city value: no area is compared with it (tables.protect_indicators)
            dash = "nicht verglichen (Stadtwert geheimgehalten)"
            trend = city["trend"].iloc[0] if len(city) else "nicht berechenbar"
            lines.append(f"| {ind.label} | {shown} | {dash} | {dash} | {trend} |")
            continue
        worse = int(rows["cmp_city"].isin(["schlechter", "höher"]).sum())
        better = int(rows["cmp_city"].isin(["besser", "niedriger"]).sum())
        trend = city["trend"].iloc[0] if len(city) else "nicht berechenbar"
        if ind.polarity == "neutral":
            lines.append(f"| {ind.label} | {shown} | {worse} höher | {better} niedriger | {trend} |")
        else:
            lines.append(f"| {ind.label} | {shown} | {worse} | {better} | {trend} |")
    return (
        "\n".join(lines) + f"\n\nAnzahl der Sozialräume mit signifikanter Abweichung (95 %) im Jahr {year}."
    )


def chapter_indicators(catalogue, chapter: str) -> list:
    """The indicators a chapter shows: the ``indicators`` list of its entry in the chapter file
    (``config_files: chapters:``, else ``config/chapters.yaml``),
    else every catalogue indicator whose topic is the chapter's name."""
    titles_path = settings.active().files.chapters
    ids = (settings.chapter_titles().get(chapter) or {}).get("indicators")
    by_id = {ind.id: ind for ind in catalogue.indicators}
    if ids:
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise ConfigError(
                f"unbekannte Indikatoren {', '.join(unknown)} für Kapitel {chapter}",
                path=settings.relative_to_root(titles_path),
                hint="ids aus config/indicators.yaml verwenden",
            )
        return [by_id[i] for i in ids]
    return [ind for ind in catalogue.indicators if ind.topic == chapter]


@dataclass(frozen=True)
class IndicatorViews:
    """The published views of catalogue indicators for one report year, bound to the chapter's data.

    ``table`` is the protected indicator table (:attr:`workbench.chapters.context.Chapter.indicators`); every
    method takes one :class:`~workbench.indicators.catalogue.Indicator` and returns Markdown, HTML or a figure
    — or a :class:`~workbench.chapters.notes.Note` where the data do not allow the view: ``left_out`` maps the
    ids of indicators absent from the table to the German sentence why (shown by the text views, the figure
    and table views are empty notes); ``trends_left_out`` replaces the trend chart when there are too few
    years for time series, ``trend_hint`` the trend text when the trend test lacks years.
    """

    table: pd.DataFrame
    catalogue: Any
    year: int
    areas: Any
    districts: Any
    keys: pd.DataFrame
    left_out: Mapping[str, str] = field(default_factory=dict)
    trends_left_out: str = ""
    trend_hint: str = ""

    @classmethod
    def of(cls, ch: Any) -> IndicatorViews:
        """The views of a :class:`~workbench.chapters.context.Chapter` (its protected indicators); what the data
        do not allow is asked of the chapter's availability only when something is missing."""
        table = ch.indicators
        computed = set(table["indicator"].unique())
        absent = [ind.id for ind in ch.catalogue.indicators if ind.id not in computed]
        left_out = {i: ch.left_out(i) for i in absent}
        trends = hint = ""
        if table.loc[table["year"] <= ch.year, "year"].nunique() < TREND_POINTS:
            trends, hint = ch.left_out("soziale_lage.trends"), ch.hint("soziale_lage.trends")
        return cls(
            table, ch.catalogue, ch.year, ch.ds.areas, ch.ds.districts, ch.ds.keys, left_out, trends, hint
        )

    @cached_property
    def computed(self) -> frozenset[str]:
        """Ids of the indicators in the table."""
        return frozenset(self.table["indicator"].unique())

    def missing(self, ind) -> Note | None:
        """The German sentence why indicator ``ind`` is not in the table (None when it is)."""
        if ind.id in self.computed:
            return None
        return Note(self.left_out.get(ind.id) or f"Indikator „{ind.label}“ ist nicht berechnet.")

    def summary(self, ind) -> str:
        return self.missing(ind) or summary(self.table, ind, self.year, self.catalogue)

    def heading(self, ind) -> str:
        """Markdown section: indicator name, definition and the summary sentences."""
        return f"## {ind.label}\n\n{ind.definition}\n\n{self.summary(ind)}"

    def overview(self, indicators) -> str:
        return overview(self.table, indicators, self.year, self.catalogue)

    def significance_map(self, ind):
        if self.missing(ind):
            return NOTHING
        return significance_map(self.table, ind, self.year, self.areas, self.districts)

    def dot_chart(self, ind):
        if self.missing(ind):
            return NOTHING
        return dot_chart(self.table, ind, self.year, self.keys)

    def trend_chart(self, ind):
        if self.missing(ind):
            return NOTHING
        if self.trends_left_out:
            return Note(self.trends_left_out)
        return trend_chart(self.table, ind, self.year, self.keys)

    def trend_text(self, ind) -> str:
        if self.missing(ind) or self.trends_left_out:  # the trend chart's place says why
            return NOTHING
        if self.trend_hint:
            return Note(self.trend_hint)
        return trend_text(self.table, ind, self.year)

    def indicator_table(self, ind) -> str:
        if self.missing(ind):
            return NOTHING
        return indicator_table(self.table, ind, self.year, self.keys)
