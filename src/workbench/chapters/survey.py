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
from workbench.chapters.notes import NOTHING, Note, markdown
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
    "level_counts",
    "likert_distribution",
    "protect_levels",
    "trend_frame",
    "trend_table",
    "trend_text",
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
    min_n_cell: int = 3


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
    try:
        min_n_cell = int(spec.get("min_n_cell", rules.threshold))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            "min_n_cell muss eine ganze Zahl sein",
            path=source,
            where=f"{where}.min_n_cell",
            hint="z. B. min_n_cell: 3 (Antworten je Antwortstufe)",
        ) from exc
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
        min_n_cell=max(min_n_cell, rules.threshold),
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


def level_counts(survey: pd.DataFrame, item: str, by: str | None = None) -> pd.DataFrame:
    """Unweighted number of respondents per answer 1–5 of ``item`` (columns 1 … 5), per ``by`` unit (None =
    city, index ``stadt``); the counts behind the published weighted shares (never published themselves)."""
    d = survey[survey[item].notna()]
    keys = pd.Series(CITY_ID, index=d.index) if by is None else d[by].astype(str)
    out = pd.crosstab(keys, d[item].astype(int)).reindex(columns=list(SCALE), fill_value=0)
    out.columns = list(SCALE)
    out.index.name = "unit"
    return out.astype(float)


LEVEL_COLUMNS = (*SCALE, "positiv", "übrige", "n")
"""Columns of :func:`protect_levels`: the five answers, approval (positive answers), the rest, all answers."""


def protect_levels(
    counts: pd.DataFrame, positive: tuple[int, ...], rules: Rules, min_n_cell: int
) -> pd.DataFrame:
    """Which weighted answer shares of each row must be withheld (True = withheld).

    Every published row (a unit with at least ``min_n`` answers) shows the weighted shares of the answers
    1–5, which add up to 100 %, and the approval = the sum of the ``positive`` answers (so also its
    complement, 100 % − approval). Each row is an additive table of the unweighted respondent counts

        n = Σ answers = positiv + übrige,   positiv = Σ positive answers,   übrige = Σ other answers,

    protected with the report's machinery (:class:`workbench.confidentiality.AdditiveTable`): primary
    suppression of an answer with 1 … ``min_n_cell`` − 1 respondents (0 is shown under ``show_zero``), then
    secondary suppression until no withheld share can be computed from the published ones — not as 100 %
    minus the others, nor as approval minus the other positive answer. The row total n is always known
    (100 %) and is never withheld here.

    Parameters
    ----------
    counts : pandas.DataFrame
        Unweighted respondents per answer (columns 1 … 5, :func:`level_counts`), one row per published unit.
    positive : tuple of int
        The answers counted as approval.
    rules : Rules
        The report's confidentiality rules (``show_zero``).
    min_n_cell : int
        Smallest number of respondents an answer share may rest on (at least the report's threshold).

    Returns
    -------
    pandas.DataFrame of bool
        Same rows, columns :data:`LEVEL_COLUMNS`; ``positiv`` withheld means the approval is withheld.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.confidentiality import Rules
    >>> c = pd.DataFrame({1: [1.0], 2: [5.0], 3: [9.0], 4: [12.0], 5: [8.0]}, index=["01"])
    >>> h = protect_levels(c, (4, 5), Rules(threshold=3), 3)
    >>> [k for k, v in h.loc["01"].items() if v]     # the 1 and the 2 (else 1 = 100 % − approval − 2 − 3)
    [1, 2]
    """
    if counts.empty:
        return pd.DataFrame(False, index=counts.index, columns=list(LEVEL_COLUMNS))
    neg = [v for v in SCALE if v not in positive]
    t = counts.reindex(columns=list(SCALE), fill_value=0.0).astype(float).copy()
    t["positiv"] = t[list(positive)].sum(axis=1)
    t["übrige"] = t[neg].sum(axis=1)
    t["n"] = t[list(SCALE)].sum(axis=1)
    rows = [f"r{i}" for i in range(len(t))]
    grid = pd.DataFrame(t.to_numpy(), index=rows, columns=list(LEVEL_COLUMNS))
    relations = []
    for r in rows:  # the narrow relations first: the engine closes them in this order (less over-suppression)
        if neg:
            relations.append(((r, "übrige"), [(r, v) for v in neg]))
        relations += [
            ((r, "positiv"), [(r, v) for v in positive]),
            ((r, "n"), [(r, "positiv"), (r, "übrige")]),
            ((r, "n"), [(r, v) for v in SCALE]),
        ]
    cell_rules = Rules(threshold=int(min_n_cell), show_zero=rules.show_zero)
    hidden = AdditiveTable(grid, relations).protect(cell_rules).suppressed.astype(bool)
    hidden.index = t.index
    return _widen_small_sums(hidden, t, positive, neg, int(min_n_cell), bool(rules.show_zero))


def _widen_small_sums(
    hidden: pd.DataFrame,
    t: pd.DataFrame,
    positive: tuple[int, ...],
    neg: list[int],
    min_n_cell: int,
    show_zero: bool,
) -> pd.DataFrame:
    """Withhold further answers until every withheld group with a known sum could hold ``min_n_cell``
    respondents in each of its small cells.

    Exact non-recoverability is not enough here: the sum of the withheld answers of a row follows from the
    published ones (100 % − the others, or approval − the other positive answer), and with zeros shown every
    withheld answer is at least 1. Two withheld answers with 2 respondents together are then both 1 (an
    attack on the demo found four such pairs). So for each relation whose total is known (n always; approval
    and rest when the approval is published) and whose withheld members include a small answer (1 …
    ``min_n_cell`` − 1), the largest value a withheld answer can take, sum − (k − 1) for k withheld answers
    (sum without ``show_zero``), must reach ``min_n_cell``; otherwise the smallest published answer of the
    relation is withheld too, and the check repeats.
    """
    hidden = hidden.copy()
    for row in hidden.index:
        counts = t.loc[row]
        changed = True
        while changed:
            changed = False
            groups = [list(SCALE)]
            if not hidden.at[row, "positiv"]:
                groups += [list(positive), list(neg)]
            for members in groups:
                withheld = [v for v in members if hidden.at[row, v]]
                if not any(0 < counts[v] < min_n_cell for v in withheld):
                    continue
                total = float(sum(counts[v] for v in withheld))
                largest = total - (len(withheld) - 1 if show_zero else 0)
                if largest >= min_n_cell:
                    continue
                shown = [v for v in members if not hidden.at[row, v] and counts[v] > 0]
                if not shown:
                    continue
                hidden.at[row, min(shown, key=lambda v: (counts[v], v))] = True
                changed = True
                break
            # a group with a known sum and exactly one withheld answer would give it away: withhold another
            single = True
            while single:
                single = False
                known = [list(SCALE)] + ([] if hidden.at[row, "positiv"] else [list(positive), list(neg)])
                for members in known:
                    if sum(bool(hidden.at[row, v]) for v in members) == 1:
                        rest = [v for v in members if not hidden.at[row, v]]
                        if rest:
                            hidden.at[row, min(rest, key=lambda v: (counts[v] == 0, counts[v], v))] = True
                            single = changed = True
    return hidden


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
    previous: pd.DataFrame | None = None
    previous_year: int | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

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

    def level_hidden(self, item: str, by: str | None = None) -> pd.DataFrame:
        """:func:`protect_levels` of the units of ``by`` (None = city) with at least ``min_n`` answers to
        ``item`` (computed once per item and breakdown: every table, chart and the profile use this result)."""
        key = (item, by)
        if key not in self._cache:
            counts = level_counts(self.survey, item, by)
            counts = counts[counts.sum(axis=1) >= self.settings.min_n]
            self._cache[key] = protect_levels(
                counts, self.settings.positive, self.rules, self.settings.min_n_cell
            )
        return self._cache[key]

    def _estimates(self, item: str, by: str | None = None) -> pd.DataFrame:
        """:func:`item_estimates` with ``published``: enough answers and the approval not withheld by the
        per-answer protection (:meth:`level_hidden`)."""
        est = item_estimates(self.survey, item, self.settings, by=by)
        hidden = self.level_hidden(item, by)["positiv"].reindex(est.index).fillna(True).astype(bool)
        return est.assign(published=est["enough"] & ~hidden.to_numpy())

    def _frame(self, item: str) -> pd.DataFrame:
        """City, groups and areas of one item with comparison and the published respondent counts."""
        parts = [self._estimates(item).assign(kind="stadt")]
        for g in GROUP_LABELS:
            if g in self.survey.columns:
                parts.append(self._estimates(item, g).assign(kind=g))
        area_ids = self.labels.index.astype(str)
        ar = self._estimates(item, "area_id").reindex(area_ids)
        ar["n"] = ar["n"].fillna(0)
        ar["enough"] = ar["enough"].fillna(False).astype(bool)
        ar["published"] = ar["published"].fillna(False).astype(bool)
        parts.append(ar.assign(kind="sozialraum"))
        f = pd.concat(parts)
        city = float(f.iloc[0]["share"])
        cmp = stats.compare(f["lower"].to_numpy(), f["upper"].to_numpy(), city, "hoch = gut")
        f["cmp"] = np.where(f["published"], cmp, "")
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

    def trend_text(self) -> str:
        """:func:`trend_text` of this model."""
        return trend_text(self)

    def trend_table(self) -> str | Note:
        """:func:`trend_table` of this model."""
        return trend_table(self)

    # ------------------------------------------------------------ text
    def summary(self) -> str:
        """German paragraph: respondents, the item with the highest and lowest approval, areas compared."""
        s = self.settings
        n = len(self.survey)
        n_eff = stats.kish_effective_n(self.survey["weight"].to_numpy())
        res = {i: self._estimates(i).iloc[0] for i in self.items}
        res = {i: r for i, r in res.items() if r["published"]}
        text = (
            f"An der Befragung {self.year} haben {fmt.number(n)} Personen teilgenommen (effektive Fallzahl "
            f"nach Gewichtung {fmt.number(n_eff)}, Designeffekt {fmt.number(n / n_eff, 2)})."
        )
        if len(res) >= 2:
            best = max(res, key=lambda i: res[i]["share"])
            worst = min(res, key=lambda i: res[i]["share"])
            text += (
                f" Die höchste Zustimmung ({self.positive_text}) erhält „{self.label(best)}“ mit "
                f"{fmt.percent(res[best]['share'])}, die niedrigste „{self.label(worst)}“ mit "
                f"{fmt.percent(res[worst]['share'])}."
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
        rows, hidden = [], []
        for i in self.items:
            r = self._estimates(i).iloc[0]
            ok = bool(r["published"])
            hidden.append(not ok)
            rows.append(
                {
                    "Frage": self.label(i),
                    "Antworten": r["n"],
                    "Zustimmung": r["share"] if ok else np.nan,
                    "95-%-Konfidenzintervall": f"{fmt.percent(r['lower'])} – {fmt.percent(r['upper'])}"
                    if ok
                    else fmt.sign("geheim"),
                    "effektive Fallzahl": fmt.number(r["n_eff"]),
                    "Designeffekt": fmt.number(r["deff"], 2),
                }
            )
        df = pd.DataFrame(rows).set_index("Frage")
        sup = pd.DataFrame(False, index=df.index, columns=df.columns)
        sup["Zustimmung"] = hidden
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
            suppressed=sup,
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
        show = f["published"].to_numpy() & ~hidden_n
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
                f"Antworten unter {fmt.number(self.rules.threshold)} und daraus errechenbare Zahlen geheim. "
                f"Die Zustimmung ist auch geheim, wenn sie oder ihr Rest zu 100 % auf weniger als "
                f"{fmt.number(s.min_n_cell)} Antworten beruht oder eine geheime Antwortstufe verraten würde.",
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
    def _likert_rows(self, item: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Rows of :meth:`likert_chart` (weighted shares 1–5, ``label``) and their withheld answers (bool per
        answer, :meth:`level_hidden`); rows below ``min_n`` are not drawn."""
        s = self.settings
        parts = []
        if item is None:
            for i in self.items:
                d = likert_distribution(self.survey, i).assign(label=self.label(i))
                h = self.level_hidden(i).reindex(d.index)
                parts.append((d, h))
        else:
            city = likert_distribution(self.survey, item).assign(label=CITY_LABEL)
            parts.append((city, self.level_hidden(item).reindex(city.index)))
            ar = likert_distribution(self.survey, item, by="area_id")
            ar = ar[ar["n"] >= s.min_n]
            h = self.level_hidden(item, "area_id").reindex(ar.index)
            approval = ar[list(s.positive)].sum(axis=1).where(~h["positiv"].fillna(True).astype(bool))
            order = approval.sort_values(ascending=False, kind="mergesort", na_position="last").index
            ar, h = ar.loc[order], h.loc[order]
            parts.append((ar.assign(label=[str(self.labels[a]) for a in ar.index]), h))
        rows = pd.concat([d for d, _ in parts])
        hidden = pd.concat([h for _, h in parts]).fillna(True).astype(bool)
        keep = (rows["n"] >= s.min_n).to_numpy()
        return rows[keep], hidden[keep]

    def likert_chart(self, item: str | None = None):
        """Diverging Likert chart: the city per item (``item`` None) or the areas of one item (with ≥ min_n
        answers) against the city; negative answers left of 0, neutral centred, positive right.

        Answers withheld by the per-answer protection (:meth:`level_hidden`) are not drawn in place: the row is
        centred on its published answers only and the withheld ones are one grey block at its right end, whose
        width (100 % minus the published answers) reveals nothing more than the published shares."""
        s = self.settings
        rows, hidden = self._likert_rows(item)
        if item is None:
            title = f"Antworten je Frage in der Stadt, Befragung {self.year}"
        else:
            title = f"{self.label(item)}: Antworten je Sozialraum, Befragung {self.year}"
        colours = load_colours().get("likert") or ["#ca0020", "#f4a582", "#e0e0e0", "#92c5de", "#0571b0"]
        n = len(rows)
        fig, ax = new_figure(None, (7.5, 1.4 + 0.28 * n))
        y = np.arange(n)[::-1]
        shares = rows[list(SCALE)]
        vis = shares.where(~hidden[list(SCALE)].to_numpy(), 0.0)
        left = -(vis[1] + vis[2] + vis[3] / 2).to_numpy()
        for k, v in enumerate(SCALE):
            width = vis[v].to_numpy()
            ax.barh(y, width, left=left, color=colours[k], edgecolor="white", linewidth=0.4, label=s.scale[k])
            left = left + width
        withheld = (100.0 - vis.sum(axis=1)).clip(lower=0).where(hidden[list(SCALE)].any(axis=1), 0.0)
        if withheld.gt(0).any():
            ax.barh(
                y,
                withheld.to_numpy(),
                left=left,
                color="#f0f0f0",
                edgecolor="#969696",
                hatch="////",
                linewidth=0.4,
                label="geheim (zusammen)",
            )
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
        if hidden[list(SCALE)].any(axis=None):
            note += (
                f" Schraffiert: Antwortstufen mit weniger als {fmt.number(s.min_n_cell)} Antworten und die zu ihrem "
                "Schutz gesperrten, zusammen am Zeilenende."
            )
        if item is not None:
            left_out = int((likert_distribution(self.survey, item, by="area_id")["n"] < s.min_n).sum())
            left_out += len(self.labels) - self.survey["area_id"].nunique()
            if left_out:
                note += (
                    f" {fmt.count_word(left_out, 'Sozialraum', 'Sozialräume')} mit weniger als "
                    f"{fmt.number(s.min_n)} Antworten nicht dargestellt."
                )
        add_note(fig, note + " Quelle: Bewohnerbefragung der Stadt.", title, ax)
        data = shares.round(1)
        data.columns = list(s.scale)
        data.index = pd.Index(rows["label"].tolist(), name="Frage" if item is None else "Gebiet")
        sup = pd.DataFrame(hidden[list(SCALE)].to_numpy(), index=data.index, columns=data.columns)
        data = data.mask(sup)
        approval = shares[list(s.positive)].sum(axis=1).to_numpy()
        return attach(
            fig,
            f"Gestapeltes Balkendiagramm um die Mitte: {title}. "
            + "; ".join(
                f"{lab}: Zustimmung " + (fmt.sign("geheim") if h else fmt.percent(p))
                for lab, p, h in zip(rows["label"], approval, hidden["positiv"], strict=True)
            )
            + ".",
            data,
            dict.fromkeys(data.columns, "share"),
            f"Daten zur Abbildung: {title}",
            suppressed=sup,
            totals={"rows": [], "columns": [], "shares": [{"parts": list(data.columns)}]},
        )

    def comparison_chart(self, item: str):
        """Dot chart of the areas' approval with intervals against the city (areas with ≥ min_n answers)."""
        f = self._frame(item)
        city = float(f.iloc[0]["share"])
        ar = f[f["kind"] == "sozialraum"].copy()
        ar = ar.assign(
            value=ar["share"].where(ar["published"]),
            lo=ar["lower"].where(ar["published"]),
            up=ar["upper"].where(ar["published"]),
            label=ar["row"],
            cmp=ar["cmp"].where(ar["published"] & (ar["cmp"] != ""), "nicht verglichen"),
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
                f"Sozialräume mit weniger als {fmt.number(self.settings.min_n)} Antworten oder geheimer Zustimmung "
                "ohne Angabe. "
                "Quelle: Bewohnerbefragung der Stadt."
            ),
        )

    def approval_map(self, item: str):
        """Map of the approval per Sozialraum; areas below ``min_n`` hatched."""
        f = self._frame(item)
        ar = f[f["kind"] == "sozialraum"]
        gdf = self.areas.copy()
        ids = gdf["area_id"].astype(str)
        gdf["share"] = ids.map(ar["share"].where(ar["published"])).to_numpy()
        gdf["withheld"] = ~ids.map(ar["published"]).fillna(False).astype(bool).to_numpy()
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
                f"{fmt.number(self.settings.min_n)} Antworten oder geheim. Quelle: Bewohnerbefragung der Stadt."
            ),
        )


TREND_WORDS = {1: "gestiegen", -1: "gesunken", 0: "unverändert"}


def _wave_model(m: SurveyModel) -> SurveyModel:
    """The model of the earlier wave (same settings, areas and rules), for its protected estimates."""
    from dataclasses import replace

    return replace(
        m, survey=m.previous, year=int(m.previous_year), previous=None, previous_year=None, _cache={}
    )


def trend_frame(m: SurveyModel, item: str) -> pd.DataFrame:
    """Change of the approval to ``item`` from the earlier to the latest wave, for the city and every area.

    Per unit: ``earlier``, ``later`` (approval in %), ``difference``, ``lower``, ``upper`` (percentage points,
    :func:`workbench.stats.weighted_share_difference`: two independent weighted samples, Kish n_eff, Newcombe's
    interval), ``direction`` (+1 / −1 when the interval excludes 0, else 0) and ``published``: only where
    the approval of *both* waves is published (enough answers, not withheld by the per-answer protection) —
    a difference of a withheld share would reveal it. Index: ``stadt`` then the area ids; ``row`` = label."""
    if m.previous is None:
        raise DataValidationError("nur eine Befragungswelle", where="Tabelle survey")
    prev = _wave_model(m)
    rows = {}
    units = [(CITY_ID, None), *((a, a) for a in m.labels.index.astype(str))]
    pub_late = m._estimates(item, "area_id")["published"]
    pub_early = prev._estimates(item, "area_id")["published"] if item in m.previous.columns else pd.Series()
    city_ok = bool(m._estimates(item)["published"].iloc[0]) and item in m.previous.columns
    city_ok = city_ok and bool(prev._estimates(item)["published"].iloc[0])
    for unit, area in units:
        a = m.previous if area is None else m.previous[m.previous["area_id"].astype(str) == area]
        b = m.survey if area is None else m.survey[m.survey["area_id"].astype(str) == area]
        ok = city_ok if area is None else bool(pub_late.get(area, False)) and bool(pub_early.get(area, False))
        if item not in a.columns:
            a = a.assign(**{item: np.nan})
        d = stats.weighted_share_difference(
            a[item].isin(m.settings.positive).astype(float).where(a[item].notna()).to_numpy(),
            a["weight"].to_numpy(),
            b[item].isin(m.settings.positive).astype(float).where(b[item].notna()).to_numpy(),
            b["weight"].to_numpy(),
            m.settings.confidence,
        )
        rows[unit] = {
            "earlier": 100 * d.earlier.share,
            "later": 100 * d.later.share,
            "difference": 100 * d.difference,
            "lower": 100 * d.lower,
            "upper": 100 * d.upper,
            "direction": (1 if d.lower > 0 else -1 if d.upper < 0 else 0) if ok else 0,
            "published": ok,
            "row": CITY_LABEL if area is None else str(m.labels[area]),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "unit"
    return out


def trend_text(m: SurveyModel) -> str:
    """German paragraph on the change since the earlier wave (city per item, number of areas up / down); a
    note without an earlier wave."""
    if m.previous is None:
        return Note(
            markdown(
                "Ohne Entwicklung seit der letzten Befragung: die Daten enthalten nur eine Befragungswelle "
                "(für einen Vergleich eine frühere Welle als befragung_<Jahr>.csv in den Rohdatenordner legen)."
            )
        )
    parts, areas = [], []
    for item in m.items:
        f = trend_frame(m, item)
        c = f.loc[CITY_ID]
        if c["published"]:
            parts.append(
                f"„{m.label(item)}“ {TREND_WORDS[int(c['direction'])]} "
                f"({fmt.signed(c['difference'], 1, 'Prozentpunkte')}, 95-%-Intervall "
                f"{fmt.signed(c['lower'], 1)} bis {fmt.signed(c['upper'], 1)})"
            )
        ar = f.drop(index=CITY_ID)
        up, down = int((ar["direction"] > 0).sum()), int((ar["direction"] < 0).sum())
        if up or down:
            areas.append(f"„{m.label(item)}“ {fmt.number(up)} gestiegen, {fmt.number(down)} gesunken")
    text = (
        f"Gegenüber der Befragung {m.previous_year} hat sich die Zustimmung in der Stadt so entwickelt: "
        + "; ".join(parts)
        + ". "
        if parts
        else f"Gegenüber der Befragung {m.previous_year} ist für die Stadt keine Veränderung ausweisbar. "
    )
    text += (
        "Zahl der Sozialräume mit einer signifikanten Veränderung: " + "; ".join(areas) + ". "
        if areas
        else "In keinem Sozialraum hat sich die Zustimmung signifikant verändert. "
    )
    return text + (
        "Beide Wellen sind unabhängige Stichproben; das Intervall der Differenz (Newcombe, aus den "
        "Wilson-Intervallen auf der effektiven Fallzahl je Welle) berücksichtigt die Gewichtung."
    )


def trend_table(m: SurveyModel) -> str | Note:
    """City and areas × items: change of the approval in percentage points with its 95-% interval; ▲ / ▼ when
    the interval excludes 0; the sign of ``geheim`` where one of the two shares is not published."""
    if m.previous is None:
        return NOTHING
    frames = {item: trend_frame(m, item) for item in m.items}
    first = next(iter(frames.values()))
    df = pd.DataFrame(index=pd.Index(first["row"].tolist(), name="Gebiet"))
    for item, f in frames.items():
        df[m.label(item)] = [
            (
                f"{fmt.signed(r['difference'], 1)} ({fmt.signed(r['lower'], 1)} bis {fmt.signed(r['upper'], 1)})"
                + {1: " ▲", -1: " ▼", 0: ""}[int(r["direction"])]
            )
            if r["published"]
            else fmt.sign("geheim")
            for _, r in f.iterrows()
        ]
    return html_table(
        df,
        dict.fromkeys(df.columns, "text"),
        table_id=f"befragung-entwicklung-{m.previous_year}-{m.year}",
        caption=f"Veränderung der Zustimmung {m.previous_year} bis {m.year} in Prozentpunkten (95-%-Intervall)",
        footnotes=[
            f"Zustimmung: gewichteter Anteil der Antworten {m.positive_text}. Differenz = Befragung {m.year} − "
            f"Befragung {m.previous_year}; Intervall nach Newcombe aus den Wilson-Intervallen beider Wellen auf der "
            "effektiven Fallzahl nach Kish (zwei unabhängige Stichproben). ▲ / ▼: das Intervall schließt 0 aus.",
            f"{fmt.sign('geheim')}: in mindestens einer Welle weniger als {fmt.number(m.settings.min_n)} Antworten "
            "oder Zustimmung geheim.",
            "Quelle: Bewohnerbefragungen der Stadt.",
        ],
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
    year, previous, previous_year = _survey_year(ch), None, None
    if "year" in survey.columns and survey["year"].notna().any():  # one wave per raw file
        waves = sorted(int(y) for y in survey["year"].dropna().unique())
        year = waves[-1]
        if len(waves) >= 2:
            previous_year = waves[-2]
            previous = survey[survey["year"] == previous_year].reset_index(drop=True)
        survey = survey[survey["year"] == year].reset_index(drop=True)
        if "text_code" in survey.columns and not survey["text_code"].fillna("").astype(bool).any():
            survey = survey.drop(columns="text_code")  # only an earlier wave was coded: use the code book
    items = survey_items(survey)
    if not items:
        raise DataValidationError(
            "keine Fragen (Spalten F1, F2 …) in der Befragung", where="Tabelle survey", hint="Spalten prüfen"
        )
    items = [i for i in items if survey[i].notna().any()]  # an item only asked in the earlier wave
    return SurveyModel(
        year,
        survey,
        settings,
        tuple(items),
        ch.ds.keys,
        ch.ds.areas,
        ch.ds.districts,
        ch.rules,
        previous,
        previous_year,
    )


def profile_frame(ch: Any) -> pd.DataFrame | None:
    """Approval per item and area as the profiles show it, computed once for all areas and cached with the
    processed data: columns ``area_id``, ``item``, ``label``, ``share``, ``comparison`` (German label against
    the city), ``order``, plus one row per area with an empty item for areas that have respondents; None
    without the chapter or its inputs. Only published estimates (``published``) are listed."""
    from workbench.chapters import missing_inputs

    if CHAPTER not in ch.cfg.chapters or missing_inputs(CHAPTER, ch.ds):
        return None

    def build_frame() -> pd.DataFrame:
        m = build(ch)
        s = m.settings
        rows = [
            {"area_id": str(a), "item": "", "label": "", "share": np.nan, "comparison": "", "order": -1}
            for a in sorted(m.survey["area_id"].astype(str).unique())
        ]
        for order, item in enumerate(m.items):
            est = m._estimates(item, "area_id")
            c = item_estimates(m.survey, item, s).iloc[0]
            for area, a in est[est["published"].astype(bool)].iterrows():
                cmp = stats.compare(a["lower"], a["upper"], c["share"], "hoch = gut")
                rows.append(
                    {
                        "area_id": str(area),
                        "item": str(item),
                        "label": m.label(item),
                        "share": float(a["share"]),
                        "comparison": str(cmp),
                        "order": order,
                    }
                )
        frame = pd.DataFrame(rows)
        return frame.assign(year=int(m.year), min_n=int(s.min_n))

    return ch._cached("survey_profile", build_frame, f"reporting_year={ch.year}")


def profile_text(ch: Any, area_id: str) -> str:
    """German sentence for the Sozialraumprofil: approval per item in the area against the city (only on at
    least ``min_n`` answers; the number of answers itself is not shown), nothing without the chapter."""
    frame = profile_frame(ch)
    if frame is None:
        return NOTHING
    own = frame[frame["area_id"] == str(area_id)]
    if own.empty:
        return NOTHING
    shown = own[own["order"] >= 0].sort_values("order", kind="stable")
    parts = [f"{r.label} {fmt.percent(r.share)} ({r.comparison})" for r in shown.itertuples()]
    lead = f"**Bewohnerbefragung {int(frame['year'].iloc[0])}, Zustimmung im Vergleich mit der Stadt:** "
    if not parts:
        return lead + (
            f"weniger als {fmt.number(int(frame['min_n'].iloc[0]))} Antworten je Frage oder Ergebnis geheim, "
            "daher keine Ergebnisse."
        )
    return lead + "; ".join(parts) + "."
