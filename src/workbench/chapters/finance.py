"""Chapter "Sozial- und Finanzplanung": expenditure on Hilfen zur Erziehung and Kosten der Unterkunft.

Input: ``costs.parquet`` (raw file ``kosten.csv``: Sozialraum, Jahr, Leistung, Faelle, Ausgaben_EUR), one row
per area, year and Leistung — a Hilfeart of the Hilfen zur Erziehung (§§ 27 ff. SGB VIII: ``§27.2``, ``§29`` …
``§35a``) or ``KdU`` (Kosten der Unterkunft und Heizung, SGB II; cases = Bedarfsgemeinschaften).

* **City table** per Leistung: cases and expenditure of the reporting year, expenditure per case, expenditure
  of every year (development).
* **Area table** (reporting year): HzE cases and expenditure, Bedarfsgemeinschaften and KdU, expenditure in
  total and per inhabitant (residents of the register, 31.12.).
* **Relation to the social index**: the report's MSS status index (:mod:`workbench.index`) per area against
  the expenditure per inhabitant (Spearman rank correlation), mean per status class.
* **Prevention scenario** (chapters file ``finanzen: szenario:``): HzE density lower by ``senkung`` % in the
  ``anteil`` % of the assessed areas with the highest status index; every assumption is printed.

Confidentiality: cases are counts — primary suppression of 1 and 2, secondary suppression over the sums
„Stadt = Σ Sozialräume“, „HzE = Σ Hilfearten“ and the scenario's sum over its areas
(:class:`workbench.confidentiality.AdditiveTable`); the area totals of HzE cases are also withheld where the
report's protected count cube withholds ``hze_cases``. Expenditure (and everything derived from it) is withheld
wherever its cases are: the cost of one or two cases reveals them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workbench.chapters.notes import NOTHING, Note, markdown
from workbench.chapters.tables import unit_labels
from workbench.confidentiality import AdditiveTable, Rules
from workbench.errors import ConfigError, WorkbenchError
from workbench.render import fmt, maps
from workbench.render.figure_text import attach
from workbench.render.tables import count_key, html_table
from workbench.settings import chapter_titles

__all__ = [
    "INPUTS",
    "HZE_LABELS",
    "KDU",
    "ScenarioSettings",
    "FinanceModel",
    "area_frame",
    "protect_area_frame",
    "scenario",
    "build",
]

INPUTS = ("keys", "areas", "population", "costs")
"""Processed tables the chapter needs (the index part also needs the counts of the index indicators)."""

KDU = "KdU"
HZE_LABELS = {
    "§27.2": "Flexible Hilfen (§ 27 Abs. 2)",
    "§28": "Erziehungsberatung (§ 28)",
    "§29": "Soziale Gruppenarbeit (§ 29)",
    "§30": "Erziehungsbeistand (§ 30)",
    "§31": "Sozialpädagogische Familienhilfe (§ 31)",
    "§32": "Tagesgruppe (§ 32)",
    "§33": "Vollzeitpflege (§ 33)",
    "§34": "Heimerziehung (§ 34)",
    "§35": "Intensive Einzelbetreuung (§ 35)",
    "§35a": "Eingliederungshilfe seelisch behinderter junger Menschen (§ 35a)",
    "§41": "Hilfe für junge Volljährige (§ 41)",
}
"""German names of the Hilfearten (§§ SGB VIII); other codes are shown as delivered."""
HZE_TOTAL = "Hilfen zur Erziehung insgesamt"
KDU_LABEL = "Kosten der Unterkunft und Heizung (Bedarfsgemeinschaften)"
CITY = "Stadt insgesamt"
SOURCE = "Quelle: Jugendamt (Hilfen zur Erziehung), Jobcenter/Sozialamt (Kosten der Unterkunft); Einwohnermelderegister."


@dataclass(frozen=True)
class ScenarioSettings:
    """Prevention scenario: HzE density lower by ``reduction`` % in the ``share`` % most burdened areas."""

    reduction: float = 10.0
    share: float = 20.0

    @classmethod
    def from_entry(cls, entry: Any, path: Any = None) -> ScenarioSettings:
        sz = (entry or {}).get("szenario") if isinstance(entry, dict) else None
        sz = sz or {}
        try:
            s = cls(float(sz.get("senkung", 10)), float(sz.get("anteil", 20)))
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                "szenario: senkung und anteil müssen Zahlen sein",
                path=path,
                where="finanzen → szenario",
                hint="z. B. szenario: {senkung: 10, anteil: 20}",
            ) from exc
        if not (0 < s.reduction < 100 and 0 < s.share <= 100):
            raise ConfigError(
                "szenario: senkung muss zwischen 0 und 100 % liegen, anteil zwischen 0 und 100 %",
                path=path,
                where="finanzen → szenario",
                hint="z. B. szenario: {senkung: 10, anteil: 20}",
            )
        return s


def _euro(v: float, decimals: int = 0) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{fmt.number(v, decimals)} €"


def _mio(v: float) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{fmt.number(v / 1e6, 2)} Mio. €"


def item_label(item: str) -> str:
    return KDU_LABEL if item == KDU else HZE_LABELS.get(item, item)


# ------------------------------------------------------------------------------------------------- frames
def area_frame(costs: pd.DataFrame, population: pd.DataFrame, area_ids: list[str], year: int) -> pd.DataFrame:
    """Per area (reporting year): hze_cases, hze_spend, bg, kdu_spend, residents (unprotected, internal)."""
    c = costs[costs["year"] == year]
    hze = c[c["item"] != KDU].groupby("area_id")[["cases", "expenditure"]].sum()
    kdu = c[c["item"] == KDU].groupby("area_id")[["cases", "expenditure"]].sum()
    pop = population[population["year"] == year].groupby("area_id")["count"].sum()
    df = pd.DataFrame(index=pd.Index(area_ids, name="area_id"))
    df["hze_cases"] = hze["cases"].reindex(area_ids).fillna(0.0)
    df["hze_spend"] = hze["expenditure"].reindex(area_ids).fillna(0.0)
    df["bg"] = kdu["cases"].reindex(area_ids).fillna(0.0)
    df["kdu_spend"] = kdu["expenditure"].reindex(area_ids).fillna(0.0)
    df["residents"] = pop.reindex(area_ids).fillna(0.0)
    df.attrs["has_kdu"] = bool(len(kdu))
    df.attrs["has_hze"] = bool(len(hze))
    return df


@dataclass
class ProtectedAreas:
    """Area table with its suppression: ``hidden`` per area for HzE cases (and spending) and BG (and KdU);
    ``group_hidden`` for the scenario's sum over its areas."""

    frame: pd.DataFrame
    hze_hidden: pd.Series
    bg_hidden: pd.Series
    group_hidden: bool
    group: list[str]


def protect_area_frame(
    frame: pd.DataFrame,
    rules: Rules,
    group: list[str],
    cube_hidden: pd.Series | None = None,
) -> ProtectedAreas:
    """Primary and secondary suppression of the HzE cases and Bedarfsgemeinschaften per area with the city
    total and the sum over ``group`` (the scenario's areas); ``cube_hidden``: areas whose ``hze_cases`` the
    report's protected count cube withholds (withheld here too)."""
    areas = list(frame.index)
    rows = [*areas, CITY, "Gruppe"]
    counts = pd.DataFrame(index=rows, columns=["hze", "bg"], dtype=float)
    counts.loc[areas, "hze"] = frame["hze_cases"].to_numpy()
    counts.loc[areas, "bg"] = frame["bg"].to_numpy()
    counts.loc[CITY] = counts.loc[areas].sum()
    counts.loc["Gruppe"] = counts.loc[group].sum() if group else 0.0
    marked = pd.DataFrame(False, index=rows, columns=counts.columns)
    if cube_hidden is not None:
        marked.loc[areas, "hze"] = cube_hidden.reindex(areas).fillna(False).to_numpy(bool)
    relations = []
    for c in counts.columns:
        relations.append(((CITY, c), [(a, c) for a in areas]))
        if group and len(group) < len(areas):
            relations.append((("Gruppe", c), [(a, c) for a in group]))
    prot = AdditiveTable(counts, relations, input_suppressed=marked).protect(rules)
    hid = prot.suppressed
    return ProtectedAreas(
        frame,
        hid.loc[areas, "hze"].astype(bool),
        hid.loc[areas, "bg"].astype(bool),
        bool(hid.loc["Gruppe", "hze"]) if group else True,
        list(group),
    )


def city_items(costs: pd.DataFrame, rules: Rules, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """City per Leistung × year: cases and expenditure; and the suppression of the cases (HzE types against
    their total per year, primary and secondary)."""
    c = costs.groupby(["item", "year"])[["cases", "expenditure"]].sum().reset_index()
    years = sorted(int(y) for y in c["year"].unique() if y <= year)
    items = [i for i in dict.fromkeys(sorted(c["item"].unique(), key=_item_order)) if i != KDU]
    cases = c.pivot(index="item", columns="year", values="cases").reindex(columns=years).fillna(0.0)
    spend = c.pivot(index="item", columns="year", values="expenditure").reindex(columns=years).fillna(0.0)
    hz = cases.reindex(items)
    tab = pd.concat([hz, hz.sum().to_frame(HZE_TOTAL).T])
    relations = [((HZE_TOTAL, y), [(i, y) for i in items]) for y in years]
    hidden = AdditiveTable(tab, relations).protect(rules).suppressed if items else pd.DataFrame(columns=years)
    if KDU in cases.index:
        kdu_hidden = pd.DataFrame([(0 < cases.loc[KDU]) & (cases.loc[KDU] < rules.threshold)], index=[KDU])
        hidden = pd.concat([hidden, kdu_hidden])
    cases_all = pd.concat([tab, cases.loc[[KDU]]]) if KDU in cases.index else tab
    spend_all = spend.reindex(items)
    spend_all = pd.concat([spend_all, spend_all.sum().to_frame(HZE_TOTAL).T])
    if KDU in spend.index:
        spend_all = pd.concat([spend_all, spend.loc[[KDU]]])
    out = pd.concat({"cases": cases_all, "spend": spend_all}, axis=1)
    return out, hidden.astype(bool)


def _item_order(item: str) -> tuple:
    s = str(item).lstrip("§").replace("a", ".5")
    try:
        return (
            0,
            float(s.split(".")[0]) + (0.5 if "a" in str(item) else 0) + (0.2 if ".2" in str(item) else 0),
            item,
        )
    except ValueError:
        return (1, 0.0, item)


# ------------------------------------------------------------------------------------------------- model
@dataclass
class FinanceModel:
    year: int
    rules: Rules
    settings: ScenarioSettings
    city: pd.DataFrame
    city_hidden: pd.DataFrame
    prot: ProtectedAreas
    labels: pd.Series
    areas: Any
    districts: Any
    index: pd.DataFrame | None
    index_left_out: str = ""

    # ---------------------------------------------------------------- derived published values
    def _area_published(self) -> pd.DataFrame:
        f, p = self.prot.frame, self.prot
        out = pd.DataFrame(index=f.index)
        out["hze_cases"] = f["hze_cases"].where(~p.hze_hidden)
        out["hze_spend"] = f["hze_spend"].where(~p.hze_hidden)
        out["bg"] = f["bg"].where(~p.bg_hidden)
        out["kdu_spend"] = f["kdu_spend"].where(~p.bg_hidden)
        out["total"] = out["hze_spend"] + out["kdu_spend"]
        res = f["residents"].where(f["residents"] > 0)
        out["per_inhabitant"] = out["total"] / res
        out["hze_per_inhabitant"] = out["hze_spend"] / res
        return out

    def summary(self) -> str:
        y = self.year
        cs, hid = self.city, self.city_hidden
        parts = []
        if HZE_TOTAL in cs.index and not hid.loc[HZE_TOTAL, y]:
            n, e = cs.loc[HZE_TOTAL, ("cases", y)], cs.loc[HZE_TOTAL, ("spend", y)]
            parts.append(
                f"{y} gab die Stadt für {fmt.number(n)} Hilfen zur Erziehung {_mio(e)} aus "
                f"(im Mittel {_euro(e / n if n else float('nan'))} je Hilfe)."
            )
            first = cs.columns.get_level_values(1).min()
            if first < y and not hid.loc[HZE_TOTAL, first]:
                e0 = cs.loc[HZE_TOTAL, ("spend", first)]
                if e0 > 0:
                    parts.append(
                        f"Seit {first} sind die HzE-Ausgaben um {fmt.percent(100 * (e / e0 - 1), 1)} gestiegen."
                        if e >= e0
                        else f"Seit {first} sind die HzE-Ausgaben um {fmt.percent(100 * (1 - e / e0), 1)} gesunken."
                    )
        if KDU in cs.index and not hid.loc[KDU, y]:
            n, e = cs.loc[KDU, ("cases", y)], cs.loc[KDU, ("spend", y)]
            parts.append(
                f"Die Kosten der Unterkunft und Heizung für {fmt.number(n)} Bedarfsgemeinschaften betrugen "
                f"{_mio(e)} ({_euro(e / n / 12 if n else float('nan'))} je Bedarfsgemeinschaft und Monat)."
            )
        pub = self._area_published()["per_inhabitant"].dropna()
        if len(pub) >= 2:
            hi, lo = pub.idxmax(), pub.idxmin()
            parts.append(
                f"Je Einwohner reichen die Ausgaben von {_euro(pub.min())} ({self.labels.get(lo, lo)}) bis "
                f"{_euro(pub.max())} ({self.labels.get(hi, hi)})."
            )
        return " ".join(parts) or "Für das Berichtsjahr liegen keine veröffentlichbaren Ausgaben vor."

    def city_table(self) -> str:
        cs, hid, y = self.city, self.city_hidden, self.year
        years = sorted(cs["spend"].columns)
        cols = [f"Fälle {y}", f"Ausgaben {y}", "Ausgaben je Fall"] + [
            f"Ausgaben {t}" for t in years if t != y
        ]
        rows, sup, keys = {}, {}, {}
        cases_display = {}
        for item in cs.index:
            label = item_label(item) if item != HZE_TOTAL else HZE_TOTAL
            h = hid.loc[item] if item in hid.index else pd.Series(False, index=years)
            n, e = cs.loc[item, ("cases", y)], cs.loc[item, ("spend", y)]
            cases_display[label] = np.nan if h[y] else n
            vals = [
                fmt.SUPPRESSED_SIGN if h[y] else _mio(e),
                fmt.SUPPRESSED_SIGN if h[y] else (_euro(e / n) if n else "–"),
            ] + [fmt.SUPPRESSED_SIGN if h[t] else _mio(cs.loc[item, ("spend", t)]) for t in years if t != y]
            rows[label] = [None, *vals]
            sup[label] = [bool(h[y]), bool(h[y]), bool(h[y])] + [bool(h[t]) for t in years if t != y]
            keys[label] = count_key(f"kosten_faelle_{item}", "stadt", "stadt", y)
        df = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
        df[cols[0]] = pd.Series(cases_display)
        df.index.name = "Leistung"
        suppressed = pd.DataFrame.from_dict(sup, orient="index", columns=cols)
        ckeys = pd.DataFrame(None, index=df.index, columns=cols, dtype=object)
        ckeys[cols[0]] = pd.Series(keys)
        kinds = {c: "text" for c in cols}
        kinds[cols[0]] = "count"
        hze_rows = [item_label(i) for i in cs.index if i not in (HZE_TOTAL, KDU)]
        return html_table(
            df,
            kinds,
            table_id=f"finanzen-leistungen-{y}",
            caption=f"Fälle und Ausgaben nach Leistung, Stadt {years[0]}–{y}",
            totals={"rows": [{"total": HZE_TOTAL, "parts": hze_rows}], "columns": []}
            if HZE_TOTAL in df.index
            else None,
            suppressed=suppressed,
            cell_keys=ckeys,
            footnotes=[
                "Fälle: Hilfen zur Erziehung nach Hilfeart (§§ 27 ff. SGB VIII) bzw. Bedarfsgemeinschaften mit "
                "Kosten der Unterkunft und Heizung (SGB II); Ausgaben: Auszahlungen des Jahres.",
                "Geheimhaltung: Fallzahlen 1 und 2 und die zugehörigen Ausgaben werden nicht veröffentlicht (.), "
                "ebenso Zellen, aus denen sie sich zurückrechnen ließen.",
                SOURCE,
            ],
        )

    def development_chart(self) -> Figure:
        cs, hid = self.city, self.city_hidden
        years = sorted(cs["spend"].columns)
        fig = Figure(figsize=(7.0, 3.6))
        ax = fig.add_subplot(111)
        data = {}
        for item, colour, marker in ((HZE_TOTAL, "#b2182b", "o"), (KDU, "#2166ac", "s")):
            if item not in cs.index:
                continue
            vals = [np.nan if hid.loc[item, t] else cs.loc[item, ("spend", t)] / 1e6 for t in years]
            ax.plot(years, vals, color=colour, marker=marker, label=item_label(item) if item == KDU else item)
            data[item_label(item) if item == KDU else item] = [
                fmt.number(v, 2) if math.isfinite(v) else fmt.SUPPRESSED_SIGN for v in vals
            ]
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_ylabel("Mio. €")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(lambda v, _p: fmt.number(v, 0))
        ax.legend(fontsize=8, frameon=False, loc="lower left")
        ax.set_title(f"Ausgaben der Stadt {years[0]}–{years[-1]} in Mio. €", loc="left", fontsize=10)
        fig.text(0.01, 0.01, SOURCE, fontsize=7)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        table = pd.DataFrame(data, index=[str(y) for y in years])
        table.index.name = "Jahr"
        alt = f"Liniendiagramm der Ausgaben für Hilfen zur Erziehung und Kosten der Unterkunft {years[0]} bis {years[-1]} in Mio. €."
        return attach(fig, alt, table, dict.fromkeys(table.columns, "text"), "Ausgaben der Stadt in Mio. €")

    def area_table(self) -> str:
        pub = self._area_published()
        p = self.prot
        y = self.year
        cols = [
            "HzE-Fälle",
            "HzE-Ausgaben",
            "Bedarfsgemeinschaften",
            "KdU-Ausgaben",
            "Ausgaben insgesamt",
            "€ je Einwohner",
        ]
        f = p.frame
        labels = [self.labels.get(a, a) for a in f.index]
        df = pd.DataFrame(index=pd.Index([*labels, CITY], name="Sozialraum"), columns=cols, dtype=object)
        sup = pd.DataFrame(False, index=df.index, columns=cols)
        for a, lab in zip(f.index, labels, strict=True):
            hh, bh = bool(p.hze_hidden[a]), bool(p.bg_hidden[a])
            df.loc[lab, "HzE-Fälle"] = np.nan if hh else f.loc[a, "hze_cases"]
            df.loc[lab, "HzE-Ausgaben"] = fmt.SUPPRESSED_SIGN if hh else _euro(f.loc[a, "hze_spend"])
            df.loc[lab, "Bedarfsgemeinschaften"] = np.nan if bh else f.loc[a, "bg"]
            df.loc[lab, "KdU-Ausgaben"] = fmt.SUPPRESSED_SIGN if bh else _euro(f.loc[a, "kdu_spend"])
            df.loc[lab, "Ausgaben insgesamt"] = (
                fmt.SUPPRESSED_SIGN if (hh or bh) else _euro(pub.loc[a, "total"])
            )
            df.loc[lab, "€ je Einwohner"] = (
                fmt.SUPPRESSED_SIGN if (hh or bh) else _euro(pub.loc[a, "per_inhabitant"], 0)
            )
            sup.loc[lab] = [hh, hh, bh, bh, hh or bh, hh or bh]
        tot = f.sum()
        df.loc[CITY] = [
            tot["hze_cases"],
            _euro(tot["hze_spend"]),
            tot["bg"],
            _euro(tot["kdu_spend"]),
            _euro(tot["hze_spend"] + tot["kdu_spend"]),
            _euro(
                (tot["hze_spend"] + tot["kdu_spend"]) / tot["residents"] if tot["residents"] else float("nan")
            ),
        ]
        for c in ("HzE-Fälle", "Bedarfsgemeinschaften"):
            df[c] = pd.to_numeric(df[c])
        kinds = {c: "text" for c in cols}
        kinds["HzE-Fälle"] = kinds["Bedarfsgemeinschaften"] = "count"
        ckeys = pd.DataFrame(None, index=df.index, columns=cols, dtype=object)
        for a, lab in zip([*f.index, "stadt"], [*labels, CITY], strict=True):
            lvl = "stadt" if a == "stadt" else "sozialraum"
            ckeys.loc[lab, "HzE-Fälle"] = count_key("kosten_hze_faelle", lvl, a, y)
            ckeys.loc[lab, "Bedarfsgemeinschaften"] = count_key("kosten_bg", lvl, a, y)
        return html_table(
            df,
            kinds,
            table_id=f"finanzen-sozialraeume-{y}",
            caption=f"Ausgaben für Hilfen zur Erziehung und Kosten der Unterkunft je Sozialraum {y}",
            totals={"rows": [{"total": CITY, "parts": labels}], "columns": []},
            suppressed=sup,
            cell_keys=ckeys,
            footnotes=[
                "€ je Einwohner: Ausgaben für HzE und KdU ÷ Einwohner am 31.12. (Melderegister).",
                "Geheimhaltung: Fallzahlen 1 und 2 und die Ausgaben, aus denen sie sich ergeben würden, werden nicht "
                "veröffentlicht (.), ebenso Zellen, aus denen sie sich zurückrechnen ließen.",
                SOURCE,
            ],
        )

    def per_inhabitant_map(self) -> Figure:
        pub = self._area_published()
        gdf = self.areas.copy()
        ids = gdf["area_id"].astype(str)
        gdf["value"] = ids.map(pub["per_inhabitant"]).astype(float)
        hidden = self.prot.hze_hidden | self.prot.bg_hidden
        gdf["suppressed"] = ids.map(hidden).fillna(False).astype(bool)
        return maps.choropleth(
            gdf,
            "value",
            scheme="quantiles",
            k=5,
            palette="sequential_red",
            legend_title=f"€ je Einwohner {self.year}",
            value_format="number",
            decimals=0,
            suppressed="suppressed",
            districts=self.districts,
            labels="area_id",
            title=f"Ausgaben für HzE und KdU je Einwohner {self.year}",
            note="Ausgaben für Hilfen zur Erziehung und Kosten der Unterkunft ÷ Einwohner (31.12.). "
            + SOURCE,
        )

    # ---------------------------------------------------------------- social index
    def _index_frame(self) -> pd.DataFrame | None:
        if self.index is None:
            return None
        pub = self._area_published()
        df = self.index[["status_index", "status_class", "assessed"]].join(
            pub[["per_inhabitant", "hze_per_inhabitant"]]
        )
        return df[df["assessed"] & df["per_inhabitant"].notna()]

    def index_text(self) -> str:
        if self.index is None:
            return Note(markdown(self.index_left_out))
        d = self._index_frame()
        if d is None or len(d) < 5:
            return "Zu wenige Sozialräume mit Index und veröffentlichten Ausgaben für einen Vergleich."
        from scipy.stats import spearmanr  # imported here: scipy.stats costs ~0.8 s in every kernel

        rho, p = spearmanr(d["status_index"], d["per_inhabitant"])
        strength = "stark" if abs(rho) >= 0.6 else ("mäßig" if abs(rho) >= 0.3 else "schwach")
        direction = "höher" if rho > 0 else "niedriger"
        by = d.groupby("status_class")["per_inhabitant"].mean()
        text = (
            f"Je ungünstiger der Status-Index eines Sozialraums, desto {direction} sind die Ausgaben je Einwohner: "
            f"der Zusammenhang ist {strength} (Rangkorrelation nach Spearman ρ = {fmt.number(rho, 2)}, "
            f"{fmt.number(len(d))} Sozialräume{', p < 0,001' if p < 0.001 else f', p = {fmt.number(p, 3)}'}). "
        )
        if len(by) >= 2:
            text += (
                f"Im Mittel geben die Sozialräume der Statusklasse {int(by.index.min())} {_euro(by.iloc[0])} und die "
                f"der Statusklasse {int(by.index.max())} {_euro(by.iloc[-1])} je Einwohner aus. "
            )
        text += (
            "Der Zusammenhang beschreibt, wo Ausgaben anfallen; er sagt nicht, dass die soziale Lage sie verursacht "
            "oder dass Ausgaben die Lage verbessern."
        )
        return text

    def index_chart(self) -> Figure | Note:
        if self.index is None:
            return NOTHING
        d = self._index_frame()
        if d is None or d.empty:
            return NOTHING
        fig = Figure(figsize=(6.5, 4.2))
        ax = fig.add_subplot(111)
        ax.scatter(d["status_index"], d["per_inhabitant"], color="#b2182b", s=22)
        for a, r in d.iterrows():
            ax.annotate(
                a,
                (r["status_index"], r["per_inhabitant"]),
                fontsize=6,
                xytext=(2, 2),
                textcoords="offset points",
            )
        ax.set_xlabel("Status-Index (höher = ungünstigere soziale Lage)")
        ax.set_ylabel("€ je Einwohner (HzE und KdU)")
        ax.yaxis.set_major_formatter(lambda v, _p: fmt.number(v, 0))
        ax.xaxis.set_major_formatter(lambda v, _p: fmt.number(v, 1))
        ax.set_title(f"Ausgaben je Einwohner und Status-Index {self.year}", loc="left", fontsize=10)
        fig.text(0.01, 0.01, "Status-Index: Sozialraum-Monitoring des Berichts. " + SOURCE, fontsize=7)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        table = pd.DataFrame(
            {
                "Status-Index": [fmt.number(v, 2) for v in d["status_index"]],
                "Statusklasse": [str(int(v)) for v in d["status_class"]],
                "€ je Einwohner": [fmt.number(v, 0) for v in d["per_inhabitant"]],
            },
            index=[self.labels.get(a, a) for a in d.index],
        )
        table.index.name = "Sozialraum"
        alt = f"Streudiagramm: Ausgaben je Einwohner gegen den Status-Index für {len(d)} Sozialräume."
        return attach(
            fig, alt, table, dict.fromkeys(table.columns, "text"), "Ausgaben je Einwohner und Status-Index"
        )

    # ---------------------------------------------------------------- prevention scenario
    def scenario_values(self) -> dict | None:
        return scenario(self.prot, self.settings, self.city, self.year)

    def scenario_text(self) -> str:
        s = self.settings
        if self.index is None:
            return Note(
                markdown("Ohne Präventionsszenario: es braucht den Status-Index. " + self.index_left_out)
            )
        v = self.scenario_values()
        n_areas = len(self.prot.group)
        names = ", ".join(self.labels.get(a, a) for a in self.prot.group)
        assumptions = [
            f"Betrachtet werden die {fmt.number(s.share)} % der bewerteten Sozialräume mit dem ungünstigsten "
            f"Status-Index ({fmt.count_word(n_areas, 'Sozialraum', 'Sozialräume')}: {names}).",
            f"Dort ist die HzE-Dichte (Hilfen je Einwohner unter 21 Jahren) um {fmt.number(s.reduction)} % niedriger; "
            "Einwohnerzahl und Altersaufbau bleiben gleich, also sinkt die Zahl der Hilfen um denselben Anteil.",
            "Die Verteilung auf die Hilfearten bleibt gleich (ambulante und stationäre Hilfen sinken gleichmäßig).",
            f"Die Ausgaben je Hilfe bleiben wie {self.year} in diesen Sozialräumen; Preissteigerungen sind nicht "
            "berücksichtigt.",
            "In den übrigen Sozialräumen ändert sich nichts; Verlagerungen und Nachholeffekte gibt es nicht.",
            "Die Kosten der Prävention selbst sind nicht abgezogen: das Ergebnis ist eine Brutto-Entlastung, der die "
            "Ausgaben für Präventionsangebote gegenüberzustellen sind.",
        ]
        text = "**Annahmen des Szenarios:**\n\n" + "\n".join(
            f"{i}. {a}" for i, a in enumerate(assumptions, 1)
        )
        if v is None:
            return text + (
                "\n\nDie Summe dieser Sozialräume wird aus Gründen der Geheimhaltung nicht ausgewiesen; "
                "das Szenario kann deshalb nicht beziffert werden."
            )
        text += (
            f"\n\n**Ergebnis:** Unter diesen Annahmen gäbe es in diesen Sozialräumen rund {fmt.number(v['fewer_cases'])} "
            f"Hilfen weniger im Jahr, und die HzE-Ausgaben der Stadt sänken um rund {_euro(v['saving'])} "
            f"({fmt.percent(v['saving_share'], 1)} der HzE-Ausgaben {self.year}). Das ist eine Rechnung unter Annahmen, "
            "keine Prognose und kein Nachweis, dass Prävention diese Wirkung hat."
        )
        return text

    def scenario_table(self) -> str | Note:
        if self.index is None:
            return NOTHING
        v = self.scenario_values()
        if v is None:
            return NOTHING
        rows = {
            "Hilfen zur Erziehung in den belastetsten Sozialräumen": [
                fmt.number(v["cases"]),
                _euro(v["spend"]),
            ],
            f"davon weniger bei {fmt.number(self.settings.reduction)} % niedrigerer HzE-Dichte": [
                fmt.number(v["fewer_cases"]),
                _euro(v["saving"]),
            ],
            "HzE-Ausgaben der Stadt ohne und mit Szenario": [
                "–",
                f"{_euro(v['city_spend'])} → {_euro(v['city_spend'] - v['saving'])}",
            ],
        }
        df = pd.DataFrame.from_dict(rows, orient="index", columns=["Hilfen", "Ausgaben"])
        df.index.name = "Präventionsszenario"
        return html_table(
            df,
            {"Hilfen": "text", "Ausgaben": "text"},
            table_id=f"finanzen-szenario-{self.year}",
            caption=f"Präventionsszenario {self.year}: HzE-Dichte in den belastetsten Sozialräumen "
            f"{fmt.number(self.settings.reduction)} % niedriger",
            footnotes=[
                "Hilfen gerundet auf ganze Hilfen, Ausgaben auf 1.000 €; Annahmen im Text über der Tabelle.",
                SOURCE,
            ],
        )


def scenario(prot: ProtectedAreas, settings: ScenarioSettings, city: pd.DataFrame, year: int) -> dict | None:
    """The prevention scenario's figures (None when the group's sum is withheld): cases and HzE expenditure of
    the group, fewer cases and saving (reduction × the group's values), the city's HzE expenditure."""
    if prot.group_hidden or not prot.group:
        return None
    f = prot.frame.loc[prot.group]
    cases, spend = float(f["hze_cases"].sum()), float(f["hze_spend"].sum())
    r = settings.reduction / 100.0
    city_spend = (
        float(city.loc[HZE_TOTAL, ("spend", year)])
        if HZE_TOTAL in city.index
        else float(prot.frame["hze_spend"].sum())
    )
    saving = round(r * spend, -3)
    return {
        "cases": cases,
        "spend": round(spend, -3),
        "fewer_cases": round(r * cases),
        "saving": saving,
        "city_spend": round(city_spend, -3),
        "saving_share": 100.0 * r * spend / city_spend if city_spend else float("nan"),
    }


def _cube_hidden(ch: Any, year: int, area_ids: list[str]) -> pd.Series | None:
    if not ch.ds.has("counts"):
        return None
    pc = ch.protected_counts
    sel = pc[(pc["level"] == "sozialraum") & (pc["measure"] == "hze_cases") & (pc["year"] == year)]
    if sel.empty:
        return None
    st = sel.set_index(sel["unit_id"].astype(str))["status"].reindex(area_ids)
    return st.notna() & st.isin(["primary", "secondary", "input"])


def build(ch: Any) -> FinanceModel:
    """The chapter model from a :class:`~workbench.chapters.context.Chapter`."""
    ds, year, rules = ch.ds, ch.year, ch.rules
    settings = ScenarioSettings.from_entry(chapter_titles(ch.cfg).get("finanzen"), ch.cfg.files.chapters)
    costs = ds.costs
    area_ids = ds.area_keys["area_id"].astype(str).tolist()
    frame = area_frame(costs, ds.population, area_ids, year)
    index = None
    left = ""
    group: list[str] = []
    try:
        from workbench.index.monitoring import area_population, compute_index, load_spec

        spec, _ = load_spec(ch.cfg.files.index)
        index = compute_index(
            ch.indicators, area_population(ds.population), year, spec, robustness={"n_draws": 20, "seed": 0}
        )
        assessed = index[index["assessed"]].sort_values("status_index", ascending=False, kind="stable")
        k = max(1, int(math.ceil(settings.share / 100.0 * len(assessed))))
        group = sorted(str(a) for a in assessed.index[:k])
    except (WorkbenchError, KeyError, ValueError) as exc:
        index = None
        left = f"Ohne Bezug zum Sozialindex: der Status-Index ist mit diesen Daten nicht berechenbar ({getattr(exc, 'problem', exc)})."
    prot = protect_area_frame(frame, rules, group, _cube_hidden(ch, year, area_ids))
    city, hidden = city_items(costs, rules, year)
    return FinanceModel(
        year, rules, settings, city, hidden, prot, unit_labels(ds.keys), ds.areas, ds.districts, index, left
    )


def profile_frame(ch: Any) -> pd.DataFrame | None:
    """Published expenditure per inhabitant of every area and the city (reporting year), as the chapter's area
    table shows it (NaN where withheld), cached with the processed data for the Sozialraumprofile: columns
    ``unit_id``, ``per_inhabitant``, ``hze_per_inhabitant`` (€); None without the chapter or its inputs."""
    from workbench.chapters import missing_inputs

    if "finanzen" not in ch.cfg.chapters or missing_inputs("finanzen", ch.ds):
        return None
    if not ch.availability.chapter("finanzen").ok:
        return None

    def build_frame() -> pd.DataFrame:
        m = build(ch)
        pub = m._area_published()
        f = m.prot.frame
        res = float(f["residents"].sum())
        city = {
            "per_inhabitant": float((f["hze_spend"].sum() + f["kdu_spend"].sum()) / res) if res else np.nan,
            "hze_per_inhabitant": float(f["hze_spend"].sum() / res) if res else np.nan,
        }
        out = pub[["per_inhabitant", "hze_per_inhabitant"]].astype(float).copy()
        out.loc["stadt"] = [city["per_inhabitant"], city["hze_per_inhabitant"]]
        out.index = out.index.astype(str)
        return out.rename_axis("unit_id").reset_index()

    return ch._cached("finance_profile", build_frame, f"reporting_year={ch.year}")


def profile_text(ch: Any, area_id: str) -> str:
    """German paragraph for the Sozialraumprofil: expenditure for HzE and KdU per inhabitant of the area
    against the city, and the HzE density (published catalogue indicator ``hze_dichte``, with its comparison)
    when the report publishes it. Values withheld in the chapter are withheld here; a note when the report has
    the chapter but the data lack ``kosten.csv``; nothing without the chapter."""
    from workbench.chapters import missing_inputs
    from workbench.chapters.notes import sentence

    if "finanzen" not in ch.cfg.chapters:
        return NOTHING
    lead = f"**Ausgaben {ch.year}:** "
    if missing_inputs("finanzen", ch.ds) or not ch.availability.chapter("finanzen").ok:
        return Note(markdown(lead + sentence(ch.availability.chapter("finanzen"))))
    frame = profile_frame(ch).set_index("unit_id")
    own, city = frame.reindex([str(area_id)]).iloc[0], frame.loc["stadt"]
    parts = []
    if math.isfinite(own["per_inhabitant"]):
        parts.append(
            f"Hilfen zur Erziehung und Kosten der Unterkunft {_euro(own['per_inhabitant'])} je Einwohner "
            f"(Stadt {_euro(city['per_inhabitant'])}), davon HzE {_euro(own['hze_per_inhabitant'])} "
            f"(Stadt {_euro(city['hze_per_inhabitant'])})"
        )
    else:
        parts.append("Ausgaben je Einwohner aus Gründen der Geheimhaltung nicht ausgewiesen")
    ind = ch.indicators
    sel = ind[(ind["indicator"] == "hze_dichte") & (ind["year"] == ch.year)]
    a = sel[(sel["level"] == "sozialraum") & (sel["unit_id"].astype(str) == str(area_id))]
    c = sel[sel["level"] == "stadt"]
    if len(a) and len(c) and math.isfinite(float(a["pub_value"].iloc[0])):
        cmp = a["cmp_city"].iloc[0]
        cmp = "" if pd.isna(cmp) else str(cmp)
        parts.append(
            f"HzE-Dichte {fmt.number(float(a['pub_value'].iloc[0]), 1)} je 1.000 unter 21-Jährige "
            f"(Stadt {fmt.number(float(c['pub_value'].iloc[0]), 1)}" + (f", {cmp})" if cmp else ")")
        )
    return lead + "; ".join(parts) + "."
