"""Chapter "Maßnahmencontrolling": measures, KPIs against targets, and effect estimates against comparison areas.

Inputs: the measures register (``measures.parquet``: measure_id, name, area_ids, start, end, budget,
optional target_indicator) and its KPI series (``kpis.parquet``: measure_id, kpi, year, value, target).

* **Status** of a KPI in its latest year ≤ reporting year: attainment = value / target × 100 %; „grün“ from
  ``green`` %, „gelb“ from ``yellow`` %, „rot“ below (thresholds from the chapters file, entry
  ``massnahmen: ampel:``; default 100 and 80). A KPI whose name ends in „(%)“ is a percentage, else a count.
* **Trend marker**: the KPI value against the previous year: „steigend“ (↑) above +5 %, „fallend“ (↓) below
  −5 %, else „gleichbleibend“ (→); „–“ without a previous year.
* **Budget per participant or case**: budget ÷ the sum of the measure's first count KPI over all years up to the
  reporting year (the register's budget is the budget of the whole period).
* **Confidentiality**: a count KPI of 1 or 2 (below the report's threshold) is withheld together with its
  attainment, status, trend and the budget per unit derived from it.
* **Effect estimate** for a measure with a target indicator (catalogue id, register column ``Zielindikator``):
  difference-in-differences against comparison areas (:mod:`workbench.stats._did`): comparison areas are the
  ``nachbarn`` nearest areas of each measure area on the standardised pre-period means of the monitoring
  indicators (the index's status indicators) and of the target indicator, drawn from the areas without a
  measure on the same target indicator; only published indicator values are used (an area with a withheld
  value in any year of the panel drops out). First post year = the start year when the measure starts on
  1 January, else the following year; post years end with the end year of the measure or the reporting year.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workbench.chapters.notes import NOTHING, Note, markdown
from workbench.chapters.tables import unit_labels
from workbench.errors import ConfigError, WorkbenchError
from workbench.render import fmt, maps
from workbench.render.figure_text import attach
from workbench.render.tables import html_table
from workbench.settings import chapter_titles
from workbench.stats import DidResult, did_estimate, match_controls

__all__ = [
    "INPUTS",
    "ControllingSettings",
    "MeasuresModel",
    "build",
    "first_post_year",
    "kpi_frame",
    "status_of",
    "trend_of",
    "effect_estimates",
]

INPUTS = ("keys", "areas", "population", "measures")
"""Processed tables the chapter needs (the KPIs come with the register; the indicators need counts)."""

STATUS_COLOURS = {"grün": "#1a9850", "gelb": "#fee08b", "rot": "#d73027"}
STATUS_SYMBOLS = {"grün": "●", "gelb": "◐", "rot": "○"}
"""Status is never carried by colour alone: each status has a symbol and its word."""
TREND_BAND = 5.0
"""Change against the previous year (%) within which a KPI counts as „gleichbleibend“."""


@dataclass(frozen=True)
class ControllingSettings:
    """Thresholds and comparison settings of the chapter (chapters file, entry ``massnahmen``)."""

    green: float = 100.0
    yellow: float = 80.0
    neighbours: int = 2
    level: float = 0.95
    pretrend_alpha: float = 0.05

    @classmethod
    def from_entry(cls, entry: Any, path: Any = None) -> ControllingSettings:
        """From ``massnahmen: {ampel: {gruen: 100, gelb: 80}, vergleich: {nachbarn: 2, alpha_vortrend: 0.05}}``."""
        entry = entry if isinstance(entry, dict) else {}
        amp = entry.get("ampel") or {}
        cmp_ = entry.get("vergleich") or {}
        try:
            s = cls(
                green=float(amp.get("gruen", 100)),
                yellow=float(amp.get("gelb", 80)),
                neighbours=int(cmp_.get("nachbarn", 2)),
                level=float(cmp_.get("konfidenzniveau", 0.95)),
                pretrend_alpha=float(cmp_.get("alpha_vortrend", 0.05)),
            )
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                "Schwellen der Ampel und Vergleichseinstellungen müssen Zahlen sein",
                path=path,
                where="massnahmen",
                hint="z. B. ampel: {gruen: 100, gelb: 80}, vergleich: {nachbarn: 2}",
            ) from exc
        if not (0 < s.yellow < s.green):
            raise ConfigError(
                f"Ampel: gelb ({fmt.number(s.yellow)} %) muss größer als 0 und kleiner als grün "
                f"({fmt.number(s.green)} %) sein",
                path=path,
                where="massnahmen → ampel",
                hint="z. B. gruen: 100, gelb: 80",
            )
        if s.neighbours < 1 or not (0 < s.pretrend_alpha < 1) or not (0.5 < s.level < 1):
            raise ConfigError(
                "vergleich: nachbarn ≥ 1, alpha_vortrend zwischen 0 und 1, konfidenzniveau zwischen 0,5 und 1",
                path=path,
                where="massnahmen → vergleich",
                hint="z. B. nachbarn: 2, alpha_vortrend: 0.05, konfidenzniveau: 0.95",
            )
        return s

    def rule(self) -> str:
        """The traffic-light rule in German."""
        return (
            f"grün {STATUS_SYMBOLS['grün']}: Zielerreichung mindestens {fmt.number(self.green)} %; "
            f"gelb {STATUS_SYMBOLS['gelb']}: mindestens {fmt.number(self.yellow)} %; "
            f"rot {STATUS_SYMBOLS['rot']}: unter {fmt.number(self.yellow)} %"
        )


def status_of(attainment: float, settings: ControllingSettings) -> str:
    """„grün“, „gelb“ or „rot“ for an attainment in % (NaN → "")."""
    if attainment is None or not math.isfinite(attainment):
        return ""
    if attainment >= settings.green:
        return "grün"
    return "gelb" if attainment >= settings.yellow else "rot"


def trend_of(value: float, previous: float | None) -> str:
    """„steigend“ / „fallend“ / „gleichbleibend“ (±:data:`TREND_BAND` %), „–“ without a previous value."""
    if previous is None or not math.isfinite(previous) or not math.isfinite(value):
        return "–"
    if previous == 0:
        return "steigend" if value > 0 else "gleichbleibend"
    change = 100.0 * (value - previous) / abs(previous)
    if change > TREND_BAND:
        return "steigend"
    return "fallend" if change < -TREND_BAND else "gleichbleibend"


TREND_ARROWS = {
    "steigend": "↑ steigend",
    "fallend": "↓ fallend",
    "gleichbleibend": "→ gleichbleibend",
    "–": "–",
}


def _parse_date(text: str) -> dt.date | None:
    try:
        d, m, y = (int(x) for x in str(text).strip().split("."))
        return dt.date(y, m, d)
    except (ValueError, TypeError):
        return None


def first_post_year(start: str) -> int | None:
    """First year in which a measure can have acted: the start year for a start on 1 January, else the next."""
    d = _parse_date(start)
    if d is None:
        return None
    return d.year if (d.month, d.day) == (1, 1) else d.year + 1


def is_percent(kpi: str) -> bool:
    """A KPI in % (name ends with „(%)“)."""
    return str(kpi).strip().endswith("(%)")


def kpi_frame(
    measures: pd.DataFrame, kpis: pd.DataFrame, year: int, settings: ControllingSettings, threshold: int = 3
) -> pd.DataFrame:
    """One row per measure × KPI with the latest year ≤ ``year``: value, target, attainment, status, trend,
    budget per unit (first count KPI of the measure) and ``withheld`` (a count KPI below ``threshold``, 0
    excepted)."""
    rows = []
    k = kpis[kpis["year"] <= year]
    for m in measures.itertuples(index=False):
        mk = k[k["measure_id"] == m.measure_id]
        first_count = next((n for n in dict.fromkeys(mk["kpi"]) if not is_percent(n)), None)
        for name, series in mk.groupby("kpi", sort=False):
            s = series.sort_values("year")
            last = s.iloc[-1]
            prev = s.iloc[-2]["value"] if len(s) > 1 else None
            value, target = float(last["value"]), float(last["target"])
            pct = is_percent(name)
            small = (not pct) and 0 < value < threshold
            prev_small = prev is not None and not pct and 0 < float(prev) < threshold
            att = 100.0 * value / target if target and math.isfinite(target) and target > 0 else float("nan")
            per_unit = float("nan")
            unit_small = False
            if name == first_count and math.isfinite(m.budget):
                total = float(s["value"].sum())
                per_unit = m.budget / total if total > 0 else float("nan")
                unit_small = 0 < total < threshold
            rows.append(
                {
                    "measure_id": m.measure_id,
                    "name": m.name,
                    "kpi": name,
                    "percent": pct,
                    "year": int(last["year"]),
                    "value": value,
                    "target": target,
                    "attainment": att,
                    "status": status_of(att, settings),
                    "trend": trend_of(value, None if prev is None else float(prev)),
                    "budget_per_unit": per_unit,
                    "withheld": bool(small),
                    "trend_withheld": bool(small or prev_small),
                    "unit_withheld": bool(unit_small or (small and name == first_count)),
                }
            )
    return pd.DataFrame(rows)


def _euro(v: float) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{fmt.number(v)} €"


def _area_names(ids: str, labels: pd.Series) -> str:
    return ", ".join(str(labels.get(a, a)) for a in str(ids).split(",") if a)


def register_table(measures: pd.DataFrame, labels: pd.Series, catalogue, year: int) -> str:
    """German HTML table of the measures register (areas, period, budget, target indicator)."""
    rows = {}
    for m in measures.itertuples(index=False):
        ind = getattr(m, "target_indicator", "") or ""
        rows[f"{m.measure_id} {m.name}"] = {
            "Sozialräume": _area_names(m.area_ids, labels),
            "Beginn": m.start or "–",
            "Ende": m.end or "offen",
            "Budget": _euro(m.budget),
            "Zielindikator": catalogue[ind].label if ind and ind in catalogue else (ind or "–"),
        }
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "Maßnahme"
    return html_table(
        df,
        dict.fromkeys(df.columns, "text"),
        table_id=f"massnahmen-register-{year}",
        caption=f"Maßnahmenregister {year}: Sozialräume, Laufzeit, Budget und Zielindikator",
        footnotes=[
            "Budget: Gesamtbudget der Laufzeit laut Maßnahmenregister. Quelle: Maßnahmenregister der Stadt."
        ],
    )


def kpi_table(frame: pd.DataFrame, settings: ControllingSettings, year: int) -> str:
    """German HTML table of the KPIs against their targets with status, trend and budget per unit."""
    cols = [
        "Jahr",
        "Wert",
        "Zielwert",
        "Zielerreichung",
        "Status",
        "Entwicklung",
        "Budget je Teilnehmende/Fall",
    ]
    rows, sup = {}, {}
    for r in frame.itertuples(index=False):
        label = f"{r.measure_id} {r.name}: {r.kpi}"
        dec = 1 if r.percent else 0
        unit = " %" if r.percent else ""
        w = r.withheld
        rows[label] = [
            str(r.year),
            fmt.SUPPRESSED_SIGN if w else fmt.number(r.value, dec) + unit,
            fmt.number(r.target, dec) + unit,
            fmt.SUPPRESSED_SIGN
            if w
            else (fmt.percent(r.attainment, 0) if math.isfinite(r.attainment) else "–"),
            fmt.SUPPRESSED_SIGN if w else (f"{r.status} {STATUS_SYMBOLS[r.status]}" if r.status else "–"),
            fmt.SUPPRESSED_SIGN if r.trend_withheld else TREND_ARROWS[r.trend],
            fmt.SUPPRESSED_SIGN if r.unit_withheld else _euro(r.budget_per_unit),
        ]
        sup[label] = [False, w, False, w, w, r.trend_withheld, r.unit_withheld]
    df = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    df.index.name = "Maßnahme und Kennzahl"
    suppressed = pd.DataFrame.from_dict(sup, orient="index", columns=cols)
    return html_table(
        df,
        dict.fromkeys(cols, "text"),
        table_id=f"massnahmen-kennzahlen-{year}",
        caption=f"Kennzahlen der Maßnahmen gegen ihre Zielwerte (letztes Jahr bis {year})",
        suppressed=suppressed,
        footnotes=[
            f"Ampel: {settings.rule()} (Zielerreichung = Wert ÷ Zielwert).",
            f"Entwicklung: Wert gegenüber dem Vorjahr; „gleichbleibend“ innerhalb von ±{fmt.number(TREND_BAND)} %.",
            "Budget je Teilnehmende/Fall: Gesamtbudget ÷ Summe der ersten Anzahl-Kennzahl der Maßnahme über alle "
            "Jahre bis zum Berichtsjahr.",
            "Geheimhaltung: Anzahlen 1 und 2 und alles, was aus ihnen folgt, werden nicht veröffentlicht (.).",
            "Quelle: Maßnahmenregister und Kennzahlenmeldungen der Träger.",
        ],
    )


def status_chart(frame: pd.DataFrame, settings: ControllingSettings, year: int) -> Figure:
    """Horizontal bars of the attainment of each KPI (latest year), coloured and marked by status."""
    f = frame[~frame["withheld"] & frame["attainment"].notna()].reset_index(drop=True)
    labels = [f"{r.measure_id}: {r.kpi}" for r in f.itertuples()]
    fig = Figure(figsize=(8.0, 0.35 * max(len(f), 3) + 1.6))
    ax = fig.add_subplot(111)
    y = np.arange(len(f))[::-1]
    vals = f["attainment"].to_numpy(float)
    ax.barh(
        y, vals, color=[STATUS_COLOURS.get(s, "#bbbbbb") for s in f["status"]], edgecolor="#333333", lw=0.5
    )
    for yi, v, s in zip(y, vals, f["status"], strict=True):
        ax.text(v + 1, yi, f"{fmt.percent(v, 0)} {STATUS_SYMBOLS.get(s, '')}", va="center", fontsize=8)
    for x, lab, ha in ((settings.yellow, "gelb", "right"), (settings.green, "grün", "left")):
        ax.axvline(x, color="#555555", ls="--", lw=0.8)
        ax.text(x, len(f) - 0.3, f" {lab} ab {fmt.number(x)} % ", fontsize=7, ha=ha, va="bottom")
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("Zielerreichung in %")
    ax.set_xlim(0, max(130.0, float(np.nanmax(vals)) + 20 if len(vals) else 130.0))
    ax.set_title(f"Zielerreichung der Kennzahlen (letztes Jahr bis {year})", loc="left", fontsize=10)
    fig.text(0.01, 0.01, f"Ampel: {settings.rule()}. Quelle: Maßnahmenregister.", fontsize=7)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    data = pd.DataFrame(
        {"Zielerreichung": [fmt.percent(v, 0) for v in vals], "Status": list(f["status"])}, index=labels
    )
    data.index.name = "Kennzahl"
    n = {s: int((f["status"] == s).sum()) for s in STATUS_COLOURS}
    alt = (
        f"Balkendiagramm der Zielerreichung von {len(f)} Kennzahlen: {n['grün']} grün, {n['gelb']} gelb, "
        f"{n['rot']} rot."
    )
    return attach(fig, alt, data, dict.fromkeys(data.columns, "text"), "Zielerreichung der Kennzahlen")


def measures_map(areas, measures: pd.DataFrame, districts=None) -> Figure:
    """Map of the number of measures per Sozialraum."""
    n = pd.Series(0, index=areas["area_id"].astype(str))
    for ids in measures["area_ids"]:
        for a in str(ids).split(","):
            if a in n.index:
                n[a] += 1
    gdf = areas.copy()
    gdf["klasse"] = (
        gdf["area_id"]
        .astype(str)
        .map(n)
        .clip(upper=3)
        .map({0: "keine", 1: "eine", 2: "zwei", 3: "drei und mehr"})
    )
    cats = {
        "keine": ("keine Maßnahme", "#f7f7f7"),
        "eine": ("eine Maßnahme", "#c6dbef"),
        "zwei": ("zwei Maßnahmen", "#6baed6"),
        "drei und mehr": ("drei und mehr", "#2171b5"),
    }
    return maps.category_map(
        gdf,
        "klasse",
        categories=cats,
        districts=districts,
        labels="area_id",
        legend_title="Maßnahmen je Sozialraum",
        title="Sozialräume mit Maßnahmen",
        note="Quelle: Maßnahmenregister der Stadt.",
    )


# ------------------------------------------------------------------------------------------ effect estimates
@dataclass
class Effect:
    """Effect estimate of one measure (or the German reason why there is none)."""

    measure_id: str
    name: str
    indicator: str
    label: str
    unit: str
    result: DidResult | None = None
    reason: str = ""
    first_post: int | None = None
    means: pd.DataFrame | None = None
    """Mean published indicator value per year of measure areas (``Maßnahmengebiete``) and comparison areas."""


def _published_panel(indicators: pd.DataFrame, ind: str, years: list[int]) -> pd.DataFrame:
    t = indicators[(indicators["indicator"] == ind) & (indicators["level"] == "sozialraum")]
    t = t[t["year"].isin(years)]
    return pd.DataFrame(
        {"area_id": t["unit_id"].astype(str), "year": t["year"].astype(int), "value": t["pub_value"]}
    )


def effect_estimates(
    measures: pd.DataFrame,
    indicators: pd.DataFrame,
    catalogue,
    matching: list[str],
    year: int,
    settings: ControllingSettings,
) -> list[Effect]:
    """Difference-in-differences for each measure with a target indicator (see module docstring)."""
    out: list[Effect] = []
    if "target_indicator" not in measures.columns:
        return out
    with_target = measures[measures["target_indicator"].fillna("").astype(str) != ""]
    all_years = sorted(int(y) for y in indicators["year"].unique()) if len(indicators) else []
    for m in with_target.itertuples(index=False):
        ind = str(m.target_indicator)
        meta = catalogue[ind] if ind in catalogue else None
        e = Effect(m.measure_id, m.name, ind, meta.label if meta else ind, meta.unit if meta else "")
        out.append(e)
        if meta is None:
            e.reason = f"Zielindikator „{ind}“ steht nicht im Indikatorenkatalog"
            continue
        if ind not in set(indicators["indicator"]):
            e.reason = f"Zielindikator „{meta.label}“ ist mit diesen Daten nicht berechenbar"
            continue
        e.first_post = first_post_year(m.start)
        if e.first_post is None:
            e.reason = f"Beginn „{m.start}“ ist kein Datum (TT.MM.JJJJ)"
            continue
        end = _parse_date(m.end)
        last = min(year, end.year) if end else year
        years = [y for y in all_years if y <= last]
        panel = _published_panel(indicators, ind, years)
        wide = panel.pivot_table(index="area_id", columns="year", values="value", aggfunc="first").dropna()
        treated = [a for a in str(m.area_ids).split(",") if a]
        same = with_target[with_target["target_indicator"] == ind]["area_ids"]
        busy = {a for ids in same for a in str(ids).split(",") if a}
        candidates = [a for a in wide.index if a not in busy]
        pre = [y for y in years if y < e.first_post]
        if not pre or e.first_post > last:
            e.reason = (
                f"es gibt keine Jahre mit Daten vor dem Maßnahmebeginn ({e.first_post})"
                if not pre
                else f"die Maßnahme wirkt erst ab {e.first_post}, Daten reichen bis {last}"
            )
            continue
        feats = {}
        for i in dict.fromkeys([*matching, ind]):
            p = _published_panel(indicators, i, pre)
            feats[i] = p.groupby("area_id")["value"].mean()
        features = pd.DataFrame(feats)
        controls = match_controls(
            features, [a for a in treated if a in wide.index], candidates, settings.neighbours
        )
        try:
            e.result = did_estimate(
                panel,
                treated,
                controls,
                e.first_post,
                level=settings.level,
                pretrend_alpha=settings.pretrend_alpha,
            )
        except WorkbenchError as exc:
            e.reason = str(getattr(exc, "problem", exc))
            continue
        r = e.result
        sel = wide.loc[list(r.treated) + list(r.controls)]
        e.means = pd.DataFrame(
            {
                "Maßnahmengebiete": sel.loc[list(r.treated)].mean(),
                "Vergleichsgebiete": sel.loc[list(r.controls)].mean(),
            }
        )
        e.means.index = e.means.index.astype(int)
    return out


def _unit(e: Effect) -> str:
    return "Prozentpunkte" if e.unit == "%" else (f"Punkte ({e.unit})" if e.unit else "Punkte")


def _num(v: float, decimals: int = 2) -> str:
    return fmt.signed(v, decimals) if v else fmt.number(0, decimals)


def effect_table(effects: list[Effect], labels: pd.Series, year: int) -> str | Note:
    """German HTML table of the effect estimates (estimate, interval, pre-trend check)."""
    if not effects:
        return Note(
            "Keine Maßnahme des Registers nennt einen Zielindikator (Spalte „Zielindikator“ in "
            "massnahmen.csv); ohne ihn wird keine Wirkung geschätzt."
        )
    rows = {}
    for e in effects:
        r = e.result
        if r is None:
            rows[f"{e.measure_id} {e.name}"] = [
                e.label,
                "–",
                "–",
                "–",
                "–",
                "–",
                "–",
                f"nicht geschätzt: {e.reason}",
            ]
            continue
        level = fmt.percent(100 * r.level, 0)
        rows[f"{e.measure_id} {e.name}"] = [
            e.label,
            ", ".join(labels.get(a, a) for a in r.treated),
            ", ".join(labels.get(a, a) for a in r.controls),
            f"{_span(r.pre_years)} / {_span(r.post_years)}",
            f"{_num(r.estimate)} {_unit(e)}",
            f"{_num(r.lower)} bis {_num(r.upper)} ({level})",
            f"{_num(r.boot_lower)} bis {_num(r.boot_upper)} ({level})"
            if r.boot_lower is not None
            else "– (weniger als 6 Gebiete)",
            _pretrend_words(r),
        ]
    cols = [
        "Zielindikator",
        "Maßnahmengebiete",
        "Vergleichsgebiete",
        "Jahre vorher / nachher",
        "Geschätzte Wirkung",
        "Konfidenzintervall",
        "Wild-Cluster-Bootstrap",
        "Vortrend-Prüfung",
    ]
    df = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    df.index.name = "Maßnahme"
    return html_table(
        df,
        dict.fromkeys(cols, "text"),
        table_id=f"massnahmen-wirkung-{year}",
        caption="Geschätzte Wirkung auf den Zielindikator (Differenz-von-Differenzen gegen Vergleichsgebiete)",
        footnotes=[
            "Wirkung: Veränderung des Zielindikators in den Maßnahmengebieten nach Beginn minus Veränderung in den "
            "Vergleichsgebieten (Regression mit Gebiets- und Jahreseffekten); negativ = Indikator gesunken.",
            "Intervall: clusterrobust nach Sozialraum, t-Verteilung mit Zahl der Gebiete − 1 Freiheitsgraden. "
            "Wild-Cluster-Bootstrap: Bootstrap-t-Intervall mit Rademacher-Gewichten je Sozialraum (alle "
            "Vorzeichenmuster bis 12 Gebiete, sonst 9.999 feste Ziehungen; erst ab 6 Gebieten); bei wenigen "
            "Gebieten verlässlicher.",
            "Vergleichsgebiete: die nächsten Nachbarn jedes Maßnahmengebiets nach den standardisierten Mittelwerten "
            "der Monitoring-Indikatoren und des Zielindikators vor Beginn; nur veröffentlichte Werte.",
            "Quelle: Maßnahmenregister; Indikatoren des Berichts.",
        ],
    )


def _span(years: tuple[int, ...]) -> str:
    """„2019–2021“, or „2019“ for one year."""
    return str(years[0]) if years[0] == years[-1] else f"{years[0]}–{years[-1]}"


def _pretrend_words(r: DidResult) -> str:
    if r.pretrend_violated is None:
        return "nicht prüfbar (nur ein Jahr vor Beginn)"
    p = fmt.number(r.pretrend_p, 2)
    if r.pretrend_violated:
        return f"verletzt: unterschiedlicher Trend schon vor Beginn (p = {p})"
    return f"kein Hinweis auf unterschiedlichen Vortrend (p = {p})"


def effect_text(effects: list[Effect], labels: pd.Series) -> str:
    """Plain German statements of each estimate with its limits."""
    if not effects:
        return ""
    parts = []
    for e in effects:
        head = f"**{e.measure_id} {e.name}** (Zielindikator {e.label}): "
        r = e.result
        if r is None:
            parts.append(head + f"Keine Schätzung möglich, weil {e.reason}.")
            continue
        level = fmt.percent(100 * r.level, 0)
        dirn = "gesunken" if r.estimate < 0 else "gestiegen"
        txt = (
            f"In den {fmt.number(len(r.treated))} Maßnahmengebieten ist der Indikator ab {r.post_years[0]} im Vergleich "
            f"zu {fmt.number(len(r.controls))} ähnlichen Vergleichsgebieten um {fmt.number(abs(r.estimate), 2)} "
            f"{_unit(e)} stärker {dirn} (Konfidenzintervall {level}: {_num(r.lower)} bis {_num(r.upper)}). "
        )
        if r.significant:
            txt += "Das Intervall schließt null aus: der Unterschied ist größer als der Zufall allein erklären würde. "
        else:
            txt += "Das Intervall schließt null ein: ein Unterschied ist nicht nachweisbar. "
        if r.pretrend_violated:
            txt += (
                "Schon vor Beginn entwickelten sich Maßnahmen- und Vergleichsgebiete unterschiedlich "
                f"(Vortrend-Test p = {fmt.number(r.pretrend_p, 2)}); die Schätzung ist deshalb nicht belastbar. "
            )
        elif r.pretrend_violated is None:
            txt += (
                "Ob beide Gruppen vorher parallel verliefen, lässt sich mit nur einem Vorjahr nicht prüfen. "
            )
        reasons = [
            "die Gebiete nicht zufällig ausgewählt wurden (Maßnahmen gehen dorthin, wo der Bedarf hoch ist)",
            "gleichzeitig andere Maßnahmen, Zuzüge oder die Konjunktur wirken können",
            f"nur {fmt.number(len(r.treated) + len(r.controls))} Gebiete eingehen und clusterrobuste Intervalle bei so "
            "wenigen Gebieten eher zu schmal sind",
        ]
        txt += "Keine kausale Wirkung belegbar, weil " + "; ".join(reasons) + "."
        parts.append(head + txt)
    return "\n\n".join(parts)


def effect_chart(e: Effect) -> Figure | Note:
    """Mean target indicator per year: measure areas against comparison areas, with the start marked."""
    if e.result is None or e.means is None:
        return NOTHING
    fig = Figure(figsize=(7.0, 3.6))
    ax = fig.add_subplot(111)
    years = list(e.means.index)
    for col, colour, marker in (("Maßnahmengebiete", "#b2182b", "o"), ("Vergleichsgebiete", "#2166ac", "s")):
        ax.plot(years, e.means[col], color=colour, marker=marker, label=col)
    ax.axvline(e.first_post - 0.5, color="#555555", ls="--", lw=0.8)
    ax.text(e.first_post - 0.45, ax.get_ylim()[1], "Maßnahme wirkt ab hier", fontsize=7, va="top")
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_ylabel(f"{e.label} ({e.unit})" if e.unit else e.label)
    ax.yaxis.set_major_formatter(lambda v, _p: fmt.number(v, 1))
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(f"{e.measure_id} {e.name}: {e.label} im Vergleich", loc="left", fontsize=10)
    fig.text(
        0.01,
        0.01,
        "Mittelwerte der veröffentlichten Gebietswerte. Quelle: Indikatoren des Berichts.",
        fontsize=7,
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    data = e.means.copy()
    data.index = [str(y) for y in data.index]
    data.index.name = "Jahr"
    shown = data.map(lambda v: fmt.number(v, 2))
    alt = (
        f"Liniendiagramm: {e.label} in den Maßnahmengebieten und den Vergleichsgebieten {years[0]} bis {years[-1]}; "
        f"geschätzte Wirkung {_num(e.result.estimate)} {_unit(e)}."
    )
    return attach(
        fig, alt, shown, dict.fromkeys(shown.columns, "text"), f"{e.measure_id}: {e.label} im Vergleich"
    )


# ------------------------------------------------------------------------------------------------- model
@dataclass
class MeasuresModel:
    """The chapter model: register, KPI status, effect estimates."""

    year: int
    settings: ControllingSettings
    measures: pd.DataFrame
    kpis: pd.DataFrame
    frame: pd.DataFrame
    effects: list[Effect]
    labels: pd.Series
    catalogue: Any
    areas: Any
    districts: Any
    effects_left_out: str = ""
    extra: dict = field(default_factory=dict)

    def summary(self) -> str:
        """German paragraph: measures, budget, KPI status counts."""
        f = self.frame
        shown = f[~f["withheld"] & (f["status"] != "")]
        n = {s: int((shown["status"] == s).sum()) for s in ("grün", "gelb", "rot")}
        areas = {a for ids in self.measures["area_ids"] for a in str(ids).split(",") if a}
        budget = float(self.measures["budget"].sum())
        text = (
            f"Das Maßnahmenregister enthält {fmt.count_word(len(self.measures), 'Maßnahme', 'Maßnahmen')} in "
            f"{fmt.count_word(len(areas), 'Sozialraum', 'Sozialräumen')} mit einem Gesamtbudget von "
            f"{_euro(budget)}. "
        )
        if len(shown):
            text += (
                f"Von {fmt.number(len(shown))} Kennzahlen mit Zielwert sind im letzten gemeldeten Jahr "
                f"{fmt.number(n['grün'])} grün, {fmt.number(n['gelb'])} gelb und {fmt.number(n['rot'])} rot "
                f"({self.settings.rule()})."
            )
        else:
            text += "Für keine Maßnahme liegen Kennzahlen mit Zielwerten vor."
        return text

    def register_table(self) -> str:
        return register_table(self.measures, self.labels, self.catalogue, self.year)

    def kpi_table(self) -> str | Note:
        if self.frame.empty:
            return Note("Keine Kennzahlen gemeldet (massnahmen_kennzahlen.csv fehlt oder ist leer).")
        return kpi_table(self.frame, self.settings, self.year)

    def status_chart(self) -> Figure | Note:
        if self.frame.empty:
            return NOTHING
        return status_chart(self.frame, self.settings, self.year)

    def measures_map(self) -> Figure:
        return measures_map(self.areas, self.measures, self.districts)

    def effect_text(self) -> str:
        if self.effects_left_out:
            return Note(markdown(self.effects_left_out))
        return effect_text(self.effects, self.labels)

    def effect_table(self) -> str | Note:
        if self.effects_left_out:
            return NOTHING
        return effect_table(self.effects, self.labels, self.year)

    def effect_charts(self) -> list[Figure]:
        return [c for c in (effect_chart(e) for e in self.effects) if not isinstance(c, Note)]


def load_settings(cfg) -> ControllingSettings:
    """The chapter settings from the report's chapters file (entry ``massnahmen``)."""
    entry = chapter_titles(cfg).get("massnahmen")
    return ControllingSettings.from_entry(entry, cfg.files.chapters)


def build(ch: Any) -> MeasuresModel:
    """The chapter model from a :class:`~workbench.chapters.context.Chapter`."""
    from workbench.index.monitoring import load_spec

    ds, year = ch.ds, ch.year
    settings = load_settings(ch.cfg)
    measures = ds.measures.copy()
    kpis = (
        ds.kpis
        if ds.kpis is not None
        else pd.DataFrame(columns=["measure_id", "kpi", "year", "value", "target"])
    )
    frame = kpi_frame(measures, kpis, year, settings, int(ch.rules.threshold))
    labels = unit_labels(ds.keys)
    effects: list[Effect] = []
    left = ""
    if ds.has("counts|shares"):
        try:
            spec, _ = load_spec(ch.cfg.files.index)
            matching = [e.get("column", e.get("id")) for e in spec["status"]]
        except WorkbenchError:
            matching = []
        effects = effect_estimates(measures, ch.indicators, ch.catalogue, matching, year, settings)
    else:
        left = (
            "Ohne Wirkungsschätzung: es fehlen die Fallzahlen (counts) für die Zielindikatoren – "
            "ba_sgb2_arbeitslose.xlsx, haushalte.csv, hze_faelle.csv … im Rohdatenordner ergänzen."
        )
    return MeasuresModel(
        year, settings, measures, kpis, frame, effects, labels, ch.catalogue, ds.areas, ds.districts, left
    )


def running_in(measures: pd.DataFrame, area_id: str, year: int) -> pd.DataFrame:
    """The measures of the register that run in ``area_id`` in ``year`` (start year ≤ year ≤ end year; an empty
    end = open-ended), in register order."""

    def runs(m) -> bool:
        areas = [a.strip() for a in str(m.area_ids).split(",") if a.strip()]
        if str(area_id) not in areas:
            return False
        start, end = _parse_date(m.start), _parse_date(m.end)
        return (start is None or start.year <= year) and (end is None or end.year >= year)

    mask = [runs(m) for m in measures.itertuples(index=False)]
    return measures[np.asarray(mask, dtype=bool)] if len(measures) else measures


def _kpi_words(r: pd.Series) -> str:
    """„Teilnehmende 342 von 440 (78 %, ○ rot)“; a withheld count KPI only says „geheimgehalten“."""
    if r["withheld"]:
        return f"{r['kpi']} geheimgehalten"
    unit = " %" if r["percent"] else ""
    name = str(r["kpi"]).removesuffix("(%)").strip() if r["percent"] else str(r["kpi"])
    text = f"{name} {fmt.number(r['value'], 1 if r['percent'] else 0)}{unit}"
    if math.isfinite(r["target"]) and r["target"] > 0:
        text += f" von {fmt.number(r['target'], 1 if r['percent'] else 0)}{unit}"
    if r["status"]:
        text += f" ({fmt.percent(r['attainment'], 0)}, {STATUS_SYMBOLS[r['status']]} {r['status']})"
    return text


def profile_text(ch: Any, area_id: str) -> str:
    """German paragraph for the Sozialraumprofil: the measures running in the area in the reporting year with
    their traffic-light status (KPI against target in the latest reported year, the chapter's rule).

    The KPIs belong to the whole measure (all its areas), as in the chapter; a count KPI below the threshold is
    withheld as there. A note when the report has the chapter but the data lack the register; nothing when the
    report has no chapter „Maßnahmencontrolling“. Cheap (no effect estimate), so it needs no cache."""
    from workbench.chapters import missing_inputs
    from workbench.chapters.notes import sentence

    if "massnahmen" not in ch.cfg.chapters:
        return NOTHING
    lead = f"**Maßnahmen im Sozialraum {ch.year}:** "
    if missing_inputs("massnahmen", ch.ds) or not ch.availability.chapter("massnahmen").ok:
        return Note(markdown(lead + sentence(ch.availability.chapter("massnahmen"))))
    year = int(ch.year)
    settings = load_settings(ch.cfg)
    own = running_in(ch.ds.measures, area_id, year)
    if own.empty:
        return lead + "Laut Maßnahmenregister läuft hier keine Maßnahme."
    kpis = (
        ch.ds.kpis
        if ch.ds.kpis is not None
        else pd.DataFrame(columns=["measure_id", "kpi", "year", "value", "target"])
    )
    frame = kpi_frame(own, kpis, year, settings, int(ch.rules.threshold))
    parts = []
    for m in own.itertuples(index=False):
        start = _parse_date(m.start)
        since = f"seit {start.month:02d}/{start.year}" if start else "Beginn unbekannt"
        rows = frame[frame["measure_id"] == m.measure_id] if len(frame) else frame
        kpi = (
            "; ".join(_kpi_words(r) for _, r in rows.iterrows()) if len(rows) else "keine Kennzahlen gemeldet"
        )
        parts.append(f"{markdown(str(m.name))} ({since}): {markdown(kpi)}")
    return (
        lead
        + "; ".join(parts)
        + f". Kennzahlen der ganzen Maßnahme im letzten gemeldeten Jahr (Wert von Zielwert); Ampel: grün ab "
        f"{fmt.number(settings.green)} %, gelb ab {fmt.number(settings.yellow)} %, rot darunter."
    )
