"""Chapter "Bedarfserhebung": weighted results of the resident survey per item, Sozialraum and group.

What the chapter computes (docs/METHODEN.md, Abschnitt „Bedarfserhebung“):

* **Zustimmung:** the weighted share of respondents whose answer on the 1–5 scale is in ``positive`` (default
  4 and 5), among those with a valid answer to the item, per item for the city, each Sozialraum and each group
  (age group, sex). Weights: the design weights of ``survey.parquet``.
* **Interval:** Wilson score interval on Kish's effective sample size n_eff = (Σw)² / Σw² of the cell
  (:func:`workbench.stats.weighted_share_ci`; Kish 1965, Dean & Pagano 2015); the design effect of unequal
  weighting deff = n / n_eff is shown with it.
* **Vergleich mit der Stadt:** „besser“/„schlechter“ when the city share lies outside the area's interval
  (:func:`workbench.stats.compare`, high = good), else „ähnlich“.
* **Mindestfallzahl:** a share is published only on at least ``min_n`` respondents with a valid answer
  (``bedarfserhebung: min_n:`` in ``config/chapters.yaml``, default 30; never below the report's
  confidentiality threshold); withheld cells show the sign of ``geheim`` („.“). Numbers of respondents are
  counts: protected with the report's rules, the city being the sum of the areas, of the age groups and of
  the sexes (secondary suppression). Free texts are never published, only topic counts of at least the
  threshold.
* **Themen der Freitexte:** from a code column (``text_code``) when the survey has one, else from the keyword
  code book ``topics:`` of the chapter entry (a text counts for every topic one of whose keywords it contains).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench import stats
from workbench.chapters.notes import NOTHING, Note
from workbench.chapters.tables import unit_labels
from workbench.confidentiality import AdditiveTable, Rules
from workbench.errors import ConfigError, DataValidationError
from workbench.render import fmt, maps
from workbench.render.figure_text import attach
from workbench.render.plots import add_note, dot_chart, load_colours, new_figure
from workbench.render.tables import html_table
from workbench.settings import chapter_titles
from workbench.vocabulary import CITY_ID

__all__ = [
    "INPUTS",
    "SurveySettings",
    "SurveyModel",
    "build",
    "item_estimates",
    "likert_distribution",
    "load_settings",
    "topic_counts",
]

INPUTS = ("keys", "areas", "survey")
"""Processed tables the chapter needs (see :func:`workbench.chapters.missing_inputs`)."""

CHAPTER = "bedarfserhebung"
CITY_LABEL = "Stadt insgesamt"
SCALE = (1, 2, 3, 4, 5)
DEFAULT_SCALE_LABELS = ("sehr unzufrieden", "unzufrieden", "teils/teils", "zufrieden", "sehr zufrieden")
GROUP_LABELS = {"age_group": "Altersgruppe", "sex": "Geschlecht"}
SEX_LABELS = {"w": "weiblich", "m": "männlich", "d": "divers"}


@dataclass(frozen=True)
class SurveySettings:
    """Settings of the chapter entry ``bedarfserhebung:`` of ``config/chapters.yaml``."""

    min_n: int = 30
    positive: tuple[int, ...] = (4, 5)
    scale: tuple[str, ...] = DEFAULT_SCALE_LABELS
    items: Mapping[str, str] = field(default_factory=dict)
    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    confidence: float = 0.95


def load_settings(spec: Mapping[str, Any] | None, rules: Rules, source: object = "config/chapters.yaml"):
    """:class:`SurveySettings` from the chapter entry; ``min_n`` is raised to the confidentiality threshold."""
    spec = spec or {}
    where = CHAPTER
    try:
        min_n = int(spec.get("min_n", 30))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            "min_n muss eine ganze Zahl sein", path=source, where=f"{where}.min_n", hint="z. B. min_n: 30"
        ) from exc
    if min_n < 1:
        raise ConfigError("min_n muss mindestens 1 sein", path=source, where=f"{where}.min_n")
    positive = tuple(int(v) for v in spec.get("positive", (4, 5)))
    if not positive or not set(positive) <= set(SCALE):
        raise ConfigError(
            "positive muss Antworten von 1 bis 5 nennen",
            path=source,
            where=f"{where}.positive",
            hint="z. B. [4, 5]",
        )
    scale = tuple(str(s) for s in spec.get("scale", DEFAULT_SCALE_LABELS))
    if len(scale) != len(SCALE):
        raise ConfigError("scale braucht fünf Bezeichnungen (1 bis 5)", path=source, where=f"{where}.scale")
    topics = spec.get("topics") or {}
    if not isinstance(topics, Mapping):
        raise ConfigError(
            "topics muss eine Zuordnung Thema → Stichwörter sein", path=source, where=f"{where}.topics"
        )
    return SurveySettings(
        min_n=max(min_n, rules.threshold),
        positive=positive,
        scale=scale,
        items={str(k): str(v) for k, v in (spec.get("items") or {}).items()},
        topics={str(k): tuple(str(w) for w in v) for k, v in topics.items()},
    )


def survey_items(survey: pd.DataFrame) -> list[str]:
    """The Likert items of ``survey.parquet`` (columns starting with F and a number)."""
    import re

    return [c for c in survey.columns if re.match(r"F\d+", str(c))]


def item_label(item: str, settings: SurveySettings) -> str:
    """German label of an item: from ``items:`` or from the column name (``F1_Wohnzufriedenheit`` →
    „Wohnzufriedenheit“)."""
    if item in settings.items:
        return settings.items[item]
    return item.split("_", 1)[-1].replace("_", " ")


# --------------------------------------------------------------------------------------------- estimates


def item_estimates(
    survey: pd.DataFrame, item: str, settings: SurveySettings, by: str | None = None
) -> pd.DataFrame:
    """Weighted share of positive answers to ``item`` with its Wilson interval on n_eff, per ``by`` (None = city).

    Returns a frame indexed by the unit (``stadt`` for the city) with ``n`` (valid answers), ``n_eff``,
    ``deff``, ``share``, ``lower``, ``upper`` (percent) and ``enough`` (n ≥ ``min_n``)."""
    if item not in survey.columns:
        raise DataValidationError(f"Frage {item} fehlt", where="Tabelle survey")
    d = survey[[item, "weight"] + ([by] if by else [])].copy()
    d["hit"] = d[item].isin(settings.positive).astype(float).where(d[item].notna())
    groups = [(CITY_ID, d)] if by is None else list(d.groupby(d[by].astype(str), sort=True))
    rows = {}
    for unit, g in groups:
        r = stats.weighted_share_ci(g["hit"].to_numpy(), g["weight"].to_numpy(), settings.confidence)
        rows[str(unit)] = {
            "n": r.n,
            "n_eff": r.n_eff,
            "deff": r.deff,
            "share": 100 * r.share,
            "lower": 100 * r.lower,
            "upper": 100 * r.upper,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "unit"
    out["enough"] = out["n"] >= settings.min_n
    return out


def likert_distribution(survey: pd.DataFrame, item: str, by: str | None = None) -> pd.DataFrame:
    """Weighted distribution (percent) of the answers 1–5 to ``item`` among valid answers, per ``by`` unit
    (None = city, index ``stadt``); column ``n`` = valid answers."""
    d = survey[survey[item].notna()]
    keys = pd.Series(CITY_ID, index=d.index) if by is None else d[by].astype(str)
    w = d.pivot_table(index=keys, columns=d[item].astype(int), values="weight", aggfunc="sum", fill_value=0.0)
    w = w.reindex(columns=list(SCALE), fill_value=0.0)
    out = 100 * w.div(w.sum(axis=1), axis=0)
    out["n"] = keys.value_counts().reindex(out.index).to_numpy()
    out.index.name = "unit"
    return out


def topic_counts(survey: pd.DataFrame, settings: SurveySettings) -> pd.DataFrame | None:
    """Respondents per free-text topic (``mentions``) and their weighted share of all respondents (%), most
    frequent first; None without codes (no ``text_code`` column and no code book ``topics``)."""
    if "text_code" in survey.columns:
        codes = survey["text_code"].fillna("").astype(str)
        topics = sorted(t for t in codes.unique() if t)
        hits = {t: (codes == t).to_numpy() for t in topics}
    elif settings.topics and "text" in survey.columns:
        text = survey["text"].fillna("").astype(str).str.lower()
        hits = {
            t: np.logical_or.reduce([text.str.contains(w.lower(), regex=False).to_numpy() for w in words])
            for t, words in settings.topics.items()
            if words
        }
    else:
        return None
    w = survey["weight"].to_numpy(dtype=float)
    rows = [
        {"topic": t, "mentions": int(h.sum()), "share": 100 * float(w[h].sum() / w.sum())}
        for t, h in hits.items()
    ]
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.sort_values(["mentions", "topic"], ascending=[False, True]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class SurveyModel:
    """Protected views of the survey chapter."""

    year: int
    survey: pd.DataFrame
    settings: SurveySettings
    items: tuple[str, ...]
    keys: pd.DataFrame
    areas: Any
    districts: Any
    rules: Rules

    @property
    def labels(self) -> pd.Series:
        return unit_labels(self.keys)

    def label(self, item: str) -> str:
        return item_label(item, self.settings)

    @property
    def positive_text(self) -> str:
        s = self.settings
        names = [f"„{s.scale[v - 1]}“" for v in s.positive]
        return " oder ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]

    def _frame(self, item: str) -> pd.DataFrame:
        """City, groups and areas of one item with comparison and the published respondent counts."""
        s = self.settings
        parts = [item_estimates(self.survey, item, s).assign(kind="stadt")]
        for g in GROUP_LABELS:
            if g in self.survey.columns:
                parts.append(item_estimates(self.survey, item, s, by=g).assign(kind=g))
        area_ids = self.labels.index.astype(str)
        ar = item_estimates(self.survey, item, s, by="area_id").reindex(area_ids)
        ar["n"] = ar["n"].fillna(0)
        ar["enough"] = ar["enough"].fillna(False).astype(bool)
        parts.append(ar.assign(kind="sozialraum"))
        f = pd.concat(parts)
        city = float(f.iloc[0]["share"])
        cmp = stats.compare(f["lower"].to_numpy(), f["upper"].to_numpy(), city, "hoch = gut")
        f["cmp"] = np.where(f["enough"], cmp, "")
        f.iloc[0, f.columns.get_loc("cmp")] = ""
        f["row"] = [self._row_label(k, u) for k, u in zip(f["kind"], f.index, strict=True)]
        return f

    def _row_label(self, kind: str, unit: str) -> str:
        if kind == "stadt":
            return CITY_LABEL
        if kind == "sozialraum":
            return str(self.labels[unit])
        value = SEX_LABELS.get(unit, unit) if kind == "sex" else unit
        return f"{GROUP_LABELS[kind]}: {value}"

    def _protected_n(self, f: pd.DataFrame) -> pd.DataFrame:
        """Suppression of the respondent counts: city = Σ areas = Σ age groups = Σ sexes."""
        counts = pd.DataFrame({"n": f["n"].to_numpy(dtype=float)}, index=f["row"].to_numpy())
        relations = []
        for kind in ("sozialraum", *GROUP_LABELS):
            rows = f.loc[f["kind"] == kind, "row"].tolist()
            if rows:
                relations.append(((CITY_LABEL, "n"), [(r, "n") for r in rows]))
        return AdditiveTable(counts, relations).protect(self.rules).suppressed

    # ------------------------------------------------------------ text
    def summary(self) -> str:
        """German paragraph: respondents, the item with the highest and lowest approval, areas compared."""
        s = self.settings
        n = len(self.survey)
        n_eff = stats.kish_effective_n(self.survey["weight"].to_numpy())
        res = {i: item_estimates(self.survey, i, s).iloc[0] for i in self.items}
        best = max(res, key=lambda i: res[i]["share"])
        worst = min(res, key=lambda i: res[i]["share"])
        text = (
            f"An der Befragung {self.year} haben {fmt.number(n)} Personen teilgenommen (effektive Fallzahl "
            f"nach Gewichtung {fmt.number(n_eff)}, Designeffekt {fmt.number(n / n_eff, 2)}). Die höchste "
            f"Zustimmung ({self.positive_text}) erhält „{self.label(best)}“ mit {fmt.percent(res[best]['share'])}, "
            f"die niedrigste „{self.label(worst)}“ mit {fmt.percent(res[worst]['share'])}."
        )
        worse = []
        for i in self.items:
            f = self._frame(i)
            k = int(((f["kind"] == "sozialraum") & (f["cmp"] == "schlechter")).sum())
            if k:
                worse.append(f"„{self.label(i)}“ {fmt.number(k)}")
        if worse:
            text += (
                " Zahl der Sozialräume mit einer Zustimmung signifikant unter dem Stadtwert: "
                + ", ".join(worse)
                + "."
            )
        few = int((self.survey.groupby("area_id").size() < s.min_n).sum())
        text += f" Ergebnisse werden nur auf mindestens {fmt.number(s.min_n)} Antworten ausgewiesen" + (
            f"; in {fmt.count_word(few, 'Sozialraum', 'Sozialräumen')} haben weniger Personen teilgenommen."
            if few
            else "."
        )
        return text

    # ------------------------------------------------------------ tables
    def overview_table(self) -> str:
        """All items for the city: approval with interval, valid answers, n_eff and design effect."""
        s = self.settings
        rows = []
        for i in self.items:
            r = item_estimates(self.survey, i, s).iloc[0]
            rows.append(
                {
                    "Frage": self.label(i),
                    "Antworten": r["n"],
                    "Zustimmung": r["share"],
                    "95-%-Konfidenzintervall": f"{fmt.percent(r['lower'])} – {fmt.percent(r['upper'])}",
                    "effektive Fallzahl": fmt.number(r["n_eff"]),
                    "Designeffekt": fmt.number(r["deff"], 2),
                }
            )
        df = pd.DataFrame(rows).set_index("Frage")
        return html_table(
            df,
            {
                "Antworten": "count",
                "Zustimmung": ("share", "Antworten"),
                "95-%-Konfidenzintervall": "text",
                "effektive Fallzahl": "text",
                "Designeffekt": "text",
            },
            table_id=f"befragung-stadt-{self.year}",
            caption=f"Zustimmung je Frage in der Stadt, Befragung {self.year}",
            footnotes=[
                f"Zustimmung: gewichteter Anteil der Antworten {self.positive_text} an allen gültigen Antworten.",
                "Konfidenzintervall: Wilson-Intervall auf der effektiven Fallzahl nach Kish, n_eff = (Σw)²/Σw²; "
                "Designeffekt = Antworten / n_eff (Streuung der Gewichte).",
                "Quelle: Bewohnerbefragung der Stadt (Mikrodaten mit Designgewichten).",
            ],
        )

    def item_table(self, item: str) -> str:
        """One item: city, groups and areas with approval, interval, comparison; cells below ``min_n`` withheld."""
        s = self.settings
        f = self._frame(item)
        hidden_n = self._protected_n(f)["n"].to_numpy()
        show = f["enough"].to_numpy() & ~hidden_n
        df = pd.DataFrame(index=pd.Index(f["row"].tolist(), name="Gebiet / Gruppe"))
        df["Antworten"] = f["n"].to_numpy(dtype=float)
        df["Zustimmung"] = np.where(show, f["share"], np.nan)
        df["95-%-Konfidenzintervall"] = [
            f"{fmt.percent(lo)} – {fmt.percent(up)}" if ok else fmt.sign("geheim")
            for lo, up, ok in zip(f["lower"], f["upper"], show, strict=True)
        ]
        df["Designeffekt"] = [
            fmt.number(d, 2) if ok else fmt.sign("geheim") for d, ok in zip(f["deff"], show, strict=True)
        ]
        df["Vergleich mit der Stadt"] = [c if ok else "" for c, ok in zip(f["cmp"], show, strict=True)]
        sup = pd.DataFrame(False, index=df.index, columns=df.columns)
        sup["Antworten"] = hidden_n
        sup["Zustimmung"] = ~show
        totals = {
            "rows": [
                {"total": CITY_LABEL, "parts": f.loc[f["kind"] == k, "row"].tolist()}
                for k in ("sozialraum", *GROUP_LABELS)
                if (f["kind"] == k).any()
            ],
            "columns": [],
        }
        return html_table(
            df,
            {
                "Antworten": "count",
                "Zustimmung": ("share", "Antworten"),
                "95-%-Konfidenzintervall": "text",
                "Designeffekt": "text",
                "Vergleich mit der Stadt": "text",
            },
            table_id=f"befragung-{item.lower().replace('_', '-')}-{self.year}",
            caption=f"{self.label(item)}: Zustimmung nach Gruppe und Sozialraum, Befragung {self.year}",
            totals=totals,
            suppressed=sup,
            footnotes=[
                f"Zustimmung: gewichteter Anteil der Antworten {self.positive_text}; 95-%-Wilson-Intervall auf "
                "der effektiven Fallzahl nach Kish. Vergleich: „besser“/„schlechter“, wenn der Stadtwert "
                "außerhalb des Intervalls liegt, sonst „ähnlich“.",
                f"Mindestfallzahl: Anteile nur bei mindestens {fmt.number(s.min_n)} gültigen Antworten; Zahl der "
                f"Antworten unter {fmt.number(self.rules.threshold)} und daraus errechenbare Zahlen geheim.",
                "Quelle: Bewohnerbefragung der Stadt.",
            ],
        )

    def topic_table(self) -> str | Note:
        """Most frequent free-text topics (coded); fewer mentions than the threshold withheld."""
        t = topic_counts(self.survey, self.settings)
        if t is None:
            return Note(
                "Die Freitexte der Befragung sind nicht kodiert (keine Spalte text_code und kein Stichwortverzeichnis "
                "`topics` im Kapiteleintrag bedarfserhebung); eine Themenliste entfällt."
            )
        t = t[t["mentions"] > 0]
        if t.empty:
            return Note("Keine Freitextantwort passt zu einem Thema des Stichwortverzeichnisses.")
        hidden = (t["mentions"] < self.rules.threshold).to_numpy()
        df = pd.DataFrame(
            {
                "Nennungen": t["mentions"].to_numpy(dtype=float),
                "Anteil an allen Befragten": t["share"].to_numpy(),
            },
            index=pd.Index(t["topic"].tolist(), name="Thema"),
        )
        sup = pd.DataFrame({"Nennungen": hidden, "Anteil an allen Befragten": hidden}, index=df.index)
        source = (
            "Kodierung aus der Spalte text_code."
            if "text_code" in self.survey.columns
            else "Kodiert nach dem Stichwortverzeichnis „topics“ des Kapiteleintrags (eine Antwort kann mehrere "
            "Themen haben)."
        )
        return html_table(
            df,
            {"Nennungen": "count", "Anteil an allen Befragten": ("share", "Nennungen")},
            table_id=f"befragung-themen-{self.year}",
            caption=f"Häufigste Themen der Freitextantworten, Befragung {self.year}",
            suppressed=sup,
            footnotes=[
                source + " Die Freitexte selbst werden nicht veröffentlicht.",
                f"Anteil: gewichteter Anteil der Befragten mit einer Nennung des Themas; weniger als "
                f"{fmt.number(self.rules.threshold)} Nennungen geheim.",
            ],
        )

    # ------------------------------------------------------------ figures
    def likert_chart(self, item: str | None = None):
        """Diverging Likert chart: the city per item (``item`` None) or the areas of one item (with ≥ min_n
        answers) against the city; negative answers left of 0, neutral centred, positive right."""
        s = self.settings
        if item is None:
            dist = pd.concat(
                [likert_distribution(self.survey, i).assign(label=self.label(i)) for i in self.items]
            )
            title = f"Antworten je Frage in der Stadt, Befragung {self.year}"
            rows = dist
        else:
            city = likert_distribution(self.survey, item).assign(label=CITY_LABEL)
            ar = likert_distribution(self.survey, item, by="area_id")
            ar = ar[ar["n"] >= s.min_n]
            ar = ar.assign(label=[str(self.labels[a]) for a in ar.index])
            ar = ar.assign(_approval=ar[4] + ar[5]).sort_values(
                "_approval", ascending=False, kind="mergesort"
            )
            rows = pd.concat([city, ar.drop(columns="_approval")])
            title = f"{self.label(item)}: Antworten je Sozialraum, Befragung {self.year}"
        colours = load_colours().get("likert") or ["#ca0020", "#f4a582", "#e0e0e0", "#92c5de", "#0571b0"]
        n = len(rows)
        fig, ax = new_figure(None, (7.5, 1.4 + 0.28 * n))
        y = np.arange(n)[::-1]
        left = -(rows[1] + rows[2] + rows[3] / 2).to_numpy()
        for k, v in enumerate(SCALE):
            width = rows[v].to_numpy()
            ax.barh(y, width, left=left, color=colours[k], edgecolor="white", linewidth=0.4, label=s.scale[k])
            left = left + width
        ax.axvline(0, color="#252525", linewidth=0.8)
        ax.set_yticks(y, rows["label"].tolist(), fontsize=7)
        ax.set_xlim(-100, 100)
        ax.set_xticks([-100, -50, 0, 50, 100], ["100 %", "50 %", "0", "50 %", "100 %"], fontsize=7)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
            fontsize=7,
            title="Antwort",
            title_fontsize=8,
        )
        note = "Gewichtete Anteile an den gültigen Antworten; „teils/teils“ mittig, Ablehnung links, Zustimmung rechts."
        if item is not None:
            left_out = int((likert_distribution(self.survey, item, by="area_id")["n"] < s.min_n).sum())
            left_out += len(self.labels) - self.survey["area_id"].nunique()
            if left_out:
                note += (
                    f" {fmt.count_word(left_out, 'Sozialraum', 'Sozialräume')} mit weniger als "
                    f"{fmt.number(s.min_n)} Antworten nicht dargestellt."
                )
        add_note(fig, note + " Quelle: Bewohnerbefragung der Stadt.", title, ax)
        data = rows[list(SCALE)].round(1)
        data.columns = list(s.scale)
        data.index = pd.Index(rows["label"].tolist(), name="Frage" if item is None else "Gebiet")
        return attach(
            fig,
            f"Gestapeltes Balkendiagramm um die Mitte: {title}. "
            + "; ".join(
                f"{lab}: Zustimmung {fmt.percent(p)}"
                for lab, p in zip(rows["label"], rows[4] + rows[5], strict=True)
            )
            + ".",
            data,
            dict.fromkeys(data.columns, "share"),
            f"Daten zur Abbildung: {title}",
        )

    def comparison_chart(self, item: str):
        """Dot chart of the areas' approval with intervals against the city (areas with ≥ min_n answers)."""
        f = self._frame(item)
        city = float(f.iloc[0]["share"])
        ar = f[f["kind"] == "sozialraum"].copy()
        ar = ar.assign(
            value=ar["share"].where(ar["enough"]),
            lo=ar["lower"].where(ar["enough"]),
            up=ar["upper"].where(ar["enough"]),
            label=ar["row"],
            cmp=ar["cmp"].where(ar["enough"] & (ar["cmp"] != ""), "nicht verglichen"),
        )
        return dot_chart(
            ar,
            value="value",
            lower="lo",
            upper="up",
            label="label",
            comparison="cmp",
            benchmark=city,
            polarity="hoch = gut",
            unit="%",
            title=f"{self.label(item)}: Zustimmung je Sozialraum, Befragung {self.year}",
            note=(
                f"Gewichteter Anteil {self.positive_text} mit 95-%-Wilson-Intervall auf der effektiven Fallzahl; "
                f"Sozialräume mit weniger als {fmt.number(self.settings.min_n)} Antworten ohne Angabe. "
                "Quelle: Bewohnerbefragung der Stadt."
            ),
        )

    def approval_map(self, item: str):
        """Map of the approval per Sozialraum; areas below ``min_n`` hatched."""
        f = self._frame(item)
        ar = f[f["kind"] == "sozialraum"]
        gdf = self.areas.copy()
        ids = gdf["area_id"].astype(str)
        gdf["share"] = ids.map(ar["share"].where(ar["enough"])).to_numpy()
        gdf["withheld"] = ~ids.map(ar["enough"]).fillna(False).astype(bool).to_numpy()
        return maps.choropleth(
            gdf,
            "share",
            scheme="quantiles",
            k=4,
            palette="sequential_blue",
            legend_title="Zustimmung",
            value_format="percent",
            decimals=1,
            suppressed="withheld",
            districts=self.districts,
            labels="area_id",
            title=f"{self.label(item)}: Zustimmung je Sozialraum, Befragung {self.year}",
            note=(
                f"Gewichteter Anteil {self.positive_text}; schraffiert: weniger als "
                f"{fmt.number(self.settings.min_n)} Antworten. Quelle: Bewohnerbefragung der Stadt."
            ),
        )


def _survey_year(ch: Any) -> int:
    """The survey year: from the raw file names (``befragung_<Jahr>.csv``), else the reporting year."""
    import re

    raw = ch.cfg.paths.raw
    years = sorted(
        int(m.group(1)) for p in raw.glob("befragung_*.csv") if (m := re.search(r"(\d{4})", p.name))
    )
    return years[-1] if years else int(ch.year)


def build(ch: Any) -> SurveyModel:
    """The chapter model from a :class:`~workbench.chapters.context.Chapter`."""
    spec = chapter_titles(ch.cfg).get(CHAPTER) or {}
    settings = load_settings(spec, ch.rules, ch.cfg.files.chapters)
    survey = ch.ds.survey
    if survey is None or survey.empty:
        raise DataValidationError("die Befragung enthält keine Antworten", where="Tabelle survey")
    items = survey_items(survey)
    if not items:
        raise DataValidationError(
            "keine Fragen (Spalten F1, F2 …) in der Befragung", where="Tabelle survey", hint="Spalten prüfen"
        )
    return SurveyModel(
        _survey_year(ch), survey, settings, tuple(items), ch.ds.keys, ch.ds.areas, ch.ds.districts, ch.rules
    )


def profile_text(ch: Any, area_id: str) -> str:
    """German sentence for the Sozialraumprofil: approval per item in the area against the city (only on at
    least ``min_n`` answers; the number of answers itself is not shown), nothing without the chapter."""
    from workbench.chapters import missing_inputs

    if CHAPTER not in ch.cfg.chapters or missing_inputs(CHAPTER, ch.ds):
        return NOTHING
    m = build(ch)
    s = m.settings
    own = m.survey[m.survey["area_id"].astype(str) == str(area_id)]
    if own.empty:
        return NOTHING
    parts = []
    for item in m.items:
        a = item_estimates(own, item, s).iloc[0]
        if not a["enough"]:
            continue
        c = item_estimates(m.survey, item, s).iloc[0]
        cmp = stats.compare(a["lower"], a["upper"], c["share"], "hoch = gut")
        parts.append(f"{m.label(item)} {fmt.percent(a['share'])} ({cmp})")
    lead = f"**Bewohnerbefragung {m.year}, Zustimmung im Vergleich mit der Stadt:** "
    if not parts:
        return lead + f"weniger als {fmt.number(s.min_n)} Antworten je Frage, daher keine Ergebnisse."
    return lead + "; ".join(parts) + "."
