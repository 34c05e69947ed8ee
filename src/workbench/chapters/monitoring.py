"""Maps, tables and the notebook-facing bundle of the chapter "Sozialraum-Monitoring" (computation: monitoring.py).

:func:`run` computes everything for a :class:`workbench.chapters.context.Chapter` once; the returned
:class:`MonitoringReport` hands the notebook finished figures, HTML tables (via :func:`workbench.render.tables.html_table`)
and German text.

With one year of data (or fewer years than the dynamic indicators' ``change_years``) the index is status only
(:func:`workbench.index.monitoring.compute_index`): the summary, the ranking and the method notes show the
Status-Index alone, and the maps of the dynamic and overall class are replaced by a German sentence saying why
the dynamic part is missing and which files would enable it (:attr:`MonitoringReport.dynamic_note`, the words
of ``workbench check``); without the previous year the class changes are that sentence, too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
from matplotlib.figure import Figure

from workbench import settings
from workbench.chapters.notes import Note, markdown
from workbench.chapters.tables import unit_labels
from workbench.index import DYNAMIC_LABELS, STATUS_LABELS, Typology, index_years, typology
from workbench.index.monitoring import (
    NOT_ASSESSED,
    area_population,
    class_changes,
    class_label,
    compute_index,
    deprivation_deciles,
    load_spec,
    status_only,
    typology_frame,
)
from workbench.render import fmt, maps
from workbench.render.plots import load_colours, sequential_colours
from workbench.render.tables import html_table

UNSTABLE_MARK = "*"

DYNAMIC_MISSING_DEFAULT = (
    "Dynamik-Index und Gesamtindex (12 Gruppen) fehlen: Die Dynamik braucht Daten zu zwei Zeitpunkten. "
    "Gezeigt wird nur der Status-Index."
)
"""Fallback sentence for a status-only index without ``attrs["dynamic_missing"]``."""

INPUTS = ("keys", "areas", "population", "counts|shares")
"""Processed tables the chapter needs (see :func:`workbench.chapters.missing_inputs`)."""


def _names(ids: list[str], names: pd.Series) -> str:
    items = [str(names.get(i, i)) for i in ids]
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " und " + items[-1]


def summary_text(
    index: pd.DataFrame, names: pd.Series, unit_word: tuple[str, str] = ("Sozialraum", "Sozialräumen")
) -> str:
    """German summary: areas per status class, "sehr niedrig" and "negativ" areas, unstable classes, exclusions.

    ``names``: area id → display name. Only classes of assessed areas are named, never an indicator value.
    """
    one, many = unit_word
    ok = index[index["assessed"]]
    n, total = len(ok), len(index)
    year = index.attrs.get("year", "")
    counts = ok["status_class"].value_counts()
    parts = [f"{fmt.number(int(counts.get(c, 0)))} {STATUS_LABELS[c]}" for c in sorted(STATUS_LABELS)]
    lines = [
        f"Von {fmt.count_word(total, one, many)} wurden {fmt.number(n)} bewertet. "
        f"Sozialer Status {year}: {', '.join(parts)}."
    ]
    dynamic = not status_only(index)
    if dynamic:
        dyn = ok["dynamic_class"].value_counts()
        lines.append(
            "Dynamik: "
            + ", ".join(
                f"{fmt.number(int(dyn.get(c, 0)))} {DYNAMIC_LABELS[c]}" for c in sorted(DYNAMIC_LABELS)
            )
            + "."
        )
    else:
        lines.append(index.attrs.get("dynamic_missing") or DYNAMIC_MISSING_DEFAULT)
    very_low = sorted(ok.index[ok["status_class"] == 4])
    negative = sorted(ok.index[ok["dynamic_class"] == 3]) if dynamic else []
    lines.append(
        f"Sehr niedriger Status: {_names(very_low, names)}."
        if very_low
        else "Kein Gebiet hat einen sehr niedrigen Status."
    )
    if dynamic:
        lines.append(
            f"Negative Dynamik: {_names(negative, names)}."
            if negative
            else "Kein Gebiet hat eine negative Dynamik."
        )
    both = sorted(set(very_low) & set(negative))
    if both:
        lines.append(f"Sehr niedriger Status und negative Dynamik zugleich: {_names(both, names)}.")
    n_unstable = int(ok["unstable"].sum())
    thr = fmt.percent(100 * index.attrs.get("robustness", {}).get("threshold", 0.8), 0)
    if robustness_computed(index):
        lines.append(
            f"Bei {fmt.count_word(n_unstable, 'Gebiet', 'Gebieten')} ist die Klasse statistisch unsicher "
            f"(in weniger als {thr} der Simulationen gleich; auf den Karten schraffiert, in der Tabelle mit * "
            "markiert)."
        )
    else:
        lines.append(robustness_missing_text(index))
    left = index[~index["assessed"]]
    if len(left):
        groups = left.groupby("reason").groups
        why = "; ".join(f"{r}: {_names(sorted(ids), names)}" for r, ids in sorted(groups.items()))
        lines.append(
            f"Nicht bewertet ({fmt.number(len(left))}): {why}. Geheimgehaltene Werte gehen nicht in den Index ein."
        )
    return "\n\n".join(lines)


def changes_text(changes: pd.DataFrame, previous_year: int, names: pd.Series) -> str:
    """German sentence on the class changes against the previous year's index."""
    n = int(changes.attrs.get("n_compared", 0))
    if not len(changes):
        which = "Klasse" if changes.attrs.get("dynamic_compared", True) else "Statusklasse"
        return f"Gegenüber dem Index {previous_year} hat keines der {fmt.number(n)} in beiden Jahren bewerteten Gebiete die {which} gewechselt."
    s, d = int(changes["status_changed"].sum()), int(changes["dynamic_changed"].sum())
    if not changes.attrs.get("dynamic_compared", True):
        return (
            f"Gegenüber dem Index {previous_year} haben {fmt.number(len(changes))} von {fmt.number(n)} in beiden "
            f"Jahren bewerteten Gebieten die Statusklasse gewechselt (verglichen wird nur die Statusklasse, weil "
            f"der Dynamik-Index nicht für beide Jahre berechnet werden kann): {_names(sorted(changes.index), names)}."
        )
    return (
        f"Gegenüber dem Index {previous_year} haben {fmt.number(len(changes))} von {fmt.number(n)} in beiden Jahren "
        f"bewerteten Gebieten die Klasse gewechselt (Statusklasse: {fmt.number(s)}, Dynamikklasse: {fmt.number(d)}): "
        f"{_names(sorted(changes.index), names)}."
    )


def _category_map(
    gdf: gpd.GeoDataFrame,
    column: str,
    categories: dict[str, tuple[str, str]],
    legend_title: str,
    districts: gpd.GeoDataFrame | None,
    title: str | None,
    note: str,
    **kw,
) -> Figure:
    """:func:`workbench.render.maps.category_map` of ``column`` with a grey "nicht bewertet" class added when
    some area is left out of the index."""
    cats = dict(categories)
    if (gdf[column] == NOT_ASSESSED).any():
        cats[NOT_ASSESSED] = (NOT_ASSESSED, load_colours()["missing"]["colour"])
    return maps.category_map(
        gdf,
        column,
        categories=cats,
        districts=districts,
        legend_title=legend_title,
        title=title,
        note=note,
        **kw,
    )


def placeholder(text: str) -> Figure:
    """A small figure carrying only a German note (keeps the notebook free of conditionals)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6.0, 0.6))
    fig.text(0.01, 0.5, text, va="center", fontsize=9, color="#52606d")
    return fig


def robustness_computed(index: pd.DataFrame) -> bool:
    """Whether the class robustness was simulated (not for published values without intervals)."""
    return bool(index.attrs.get("robustness", {}).get("computed", True))


def robustness_missing_text(index: pd.DataFrame) -> str:
    """German sentence why the robustness of the classes is not shown ("" when it is)."""
    if robustness_computed(index):
        return ""
    missing = index.attrs["robustness"].get("missing", [])
    return (
        "Die Robustheit der Klassen ist nicht bestimmbar: "
        + (", ".join(missing) + " " if missing else "")
        + ("liegt" if len(missing) == 1 else "liegen")
        + " nur als veröffentlichter Wert ohne Fallzahlen und daher ohne Konfidenzintervall vor."
    )


def method_note(index: pd.DataFrame, source: str, stability: bool = True) -> str:
    """German chart note: method, comparator, robustness and source of the MSS-style index."""
    labels = index.attrs["labels"]
    rob = index.attrs["robustness"]
    status = ", ".join(labels[c] for c in index.attrs["status"])
    dynamic = (
        "Dynamik = Veränderung über zwei Jahre in Prozentpunkten"
        if not status_only(index)
        else "nur Status-Index, Dynamik mangels zweiten Zeitpunkts nicht berechnet"
    )
    parts = [
        f"Gestuftes z-Indexverfahren nach dem Berliner MSS ({status}; {dynamic}); Vergleichsmaßstab: Mittelwert "
        "der bewerteten Gebiete (z = 0)",
    ]
    if stability and robustness_computed(index):
        parts.append(
            f"schraffiert: Klasse unsicher (95-%-Konfidenzintervalle, {fmt.number(rob['n_draws'])} Simulationen, "
            f"in weniger als {fmt.percent(100 * rob['threshold'], 0)} gleiche Klasse)"
        )
    parts.append(f"Quelle: {source}")
    return "; ".join(parts)


def class_map(
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    districts: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    note: str = "",
    legend_title: str | None = None,
) -> Figure:
    """Category map of the status ("status"), dynamic ("dynamic") or 12-group ("overlay") class.

    ``gdf`` carries ``<kind>_key`` and the flags ``unstable`` (hatched). Not assessed areas are grey.
    """
    column = f"{kind}_key"
    hatch = {"status": "status_unstable", "dynamic": "dynamic_unstable", "overlay": "unstable"}[kind]
    default_titles = {
        "status": "Statusklasse",
        "dynamic": "Dynamikklasse",
        "overlay": "Gesamtindex (Status/Dynamik)",
    }
    return _category_map(
        gdf,
        column,
        maps.mss_categories(kind),
        legend_title or default_titles[kind],
        districts,
        title,
        note,
        hatch_column=hatch,
        hatch_label="Klasse unsicher",
    )


def ranking_table(index: pd.DataFrame, labels: pd.Series, *, table_id: str, caption: str, source: str) -> str:
    """Areas ranked by Status-Index (highest = most burdened first); not assessed areas last.

    Index values are z-values (kind "rate" without unit, 2 decimals); unstable classes carry ``*``.
    """
    ok = index[index["assessed"]].sort_values("status_index", ascending=False, kind="stable")
    rest = index[~index["assessed"]].sort_index()
    df = pd.concat([ok, rest])

    def cls(kind: str, row: pd.Series) -> str:
        text = class_label(kind, row[f"{kind}_class"] if row["assessed"] else None)
        return text + (UNSTABLE_MARK if row["assessed"] and row[f"{kind}_unstable"] else "")

    rob = index.attrs["robustness"]
    fmt2 = {"decimals": 2, "unit": ""}
    names = pd.Index([labels.get(i, i) for i in df.index], name="Gebiet")
    unstable_note = (
        f"{UNSTABLE_MARK} Klasse unsicher: in weniger als {fmt.percent(100 * rob['threshold'], 0)} von "
        f"{fmt.number(rob['n_draws'])} Simulationen innerhalb der 95-%-Konfidenzintervalle gleich."
        if robustness_computed(index)
        else robustness_missing_text(index)
    )
    if status_only(index):
        out = pd.DataFrame(
            {
                "Rang": [str(i + 1) if a else "" for i, a in enumerate(df["assessed"])],
                "Status-Index": df["status_index"].to_numpy(),
                "Statusklasse": [
                    cls("status", r) if r["assessed"] else f"{NOT_ASSESSED} ({r['reason']})"
                    for _, r in df.iterrows()
                ],
            },
            index=names,
        )
        notes = [
            "Index = z-Wert (Mittelwert der bewerteten Gebiete 0, Standardabweichung 1); hoher Status-Index = hohe "
            "soziale Belastung.",
            index.attrs.get("dynamic_missing") or DYNAMIC_MISSING_DEFAULT,
            unstable_note,
            f"Quelle: {source}",
        ]
    else:
        out = pd.DataFrame(
            {
                "Rang": [str(i + 1) if a else "" for i, a in enumerate(df["assessed"])],
                "Status-Index": df["status_index"].to_numpy(),
                "Statusklasse": [cls("status", r) for _, r in df.iterrows()],
                "Dynamik-Index": df["dynamic_index"].to_numpy(),
                "Dynamikklasse": [cls("dynamic", r) for _, r in df.iterrows()],
                "Gesamtgruppe": [
                    str(k) if a else f"{NOT_ASSESSED} ({r})"
                    for k, a, r in zip(df["overlay_key"], df["assessed"], df["reason"], strict=True)
                ],
            },
            index=names,
        )
        notes = [
            "Index = z-Wert (Mittelwert der bewerteten Gebiete 0, Standardabweichung 1); hoher Status-Index = hohe "
            "soziale Belastung, hoher Dynamik-Index = Verschlechterung.",
            unstable_note,
            f"Quelle: {source}",
        ]
    indices = [c for c in ("Status-Index", "Dynamik-Index") if c in out.columns]
    kinds = {c: "rate" if c in indices else "text" for c in out.columns}
    return html_table(
        out,
        kinds,
        table_id=table_id,
        caption=caption,
        footnotes=notes,
        number_formats=dict.fromkeys(indices, fmt2),
    )


def changes_table(
    changes: pd.DataFrame, labels: pd.Series, previous_year: int, year: int, *, table_id: str
) -> str:
    """Table of the areas whose class changed between the two indices (text cells only)."""
    out = pd.DataFrame(
        {
            f"Statusklasse {previous_year}": changes["status_before"].to_numpy(),
            f"Statusklasse {year}": changes["status_now"].to_numpy(),
            f"Dynamik {previous_year}": changes["dynamic_before"].to_numpy(),
            f"Dynamik {year}": changes["dynamic_now"].to_numpy(),
            f"Gruppe {previous_year}": changes["overall_before"].astype(str).to_numpy(),
            f"Gruppe {year}": changes["overall_now"].astype(str).to_numpy(),
        },
        index=pd.Index([labels.get(i, i) for i in changes.index], name="Gebiet"),
    )
    if not changes.attrs.get("dynamic_compared", True):  # status only: no dynamic class, no overall group
        out = out[[f"Statusklasse {previous_year}", f"Statusklasse {year}"]]
    return html_table(
        out,
        {c: "text" for c in out.columns},
        table_id=table_id,
        caption=f"Gebiete mit Klassenwechsel zwischen dem Index {previous_year} und {year}",
    )


def decile_map(gdf: gpd.GeoDataFrame, *, districts: gpd.GeoDataFrame | None, title: str, note: str) -> Figure:
    """Deciles of the domain index as a class map in five classes of two deciles each (1.–2. Dezil = most
    deprived 20 %, darkest): ten shades of one hue cannot be told apart, five can (the palette's anchors)."""
    colours = sequential_colours("sequential_red", 5)[::-1]
    pairs = {d: (d + 1) // 2 for d in range(1, 11)}  # decile → class 1 … 5
    cats = {
        str(c): (
            f"{2 * c - 1}.–{2 * c}. Dezil" + (" (am stärksten benachteiligt)" if c == 1 else ""),
            colours[c - 1],
        )
        for c in range(1, 6)
    }
    dec = pd.to_numeric(gdf["decile"], errors="coerce")
    col = dec.map(lambda d: str(pairs[int(d)]) if pd.notna(d) else NOT_ASSESSED)
    data = gdf.assign(decile_key=col.astype(object))
    return _category_map(data, "decile_key", cats, "Benachteiligungsindex", districts, title, note)


def typology_map(
    gdf: gpd.GeoDataFrame, typ: Typology, *, districts: gpd.GeoDataFrame | None, title: str, note: str
) -> Figure:
    """Area types (k-means) on a map; legend "Typ 1 … Typ k" in the qualitative typology colours."""
    palette = load_colours()["typology"]
    key = (
        gdf["area_id"]
        .map(typ.assignment)
        .astype("Int64")
        .astype("string")
        .fillna(NOT_ASSESSED)
        .astype(object)
    )
    data = gdf.assign(type_key=key)
    cats = {str(t): (f"Typ {t}", palette[(t - 1) % len(palette)]) for t in sorted(typ.descriptions)}
    return _category_map(data, "type_key", cats, "Gebietstyp", districts, title, note)


def typology_text(typ: Typology) -> str:
    """German list of the types with their size and description (from :func:`workbench.index.typology`)."""
    lines = [
        f"Die k-Means-Typisierung (z-standardisierte Indikatoren, Zahl der Typen nach dem Silhouettenkoeffizienten) "
        f"ergibt {fmt.number(typ.k)} Typen:"
    ]
    for t, desc in sorted(typ.descriptions.items()):
        n = int(typ.sizes.get(t, 0))
        lines.append(f"- {desc} ({fmt.count_word(n, 'Gebiet', 'Gebiete')})")
    return "\n".join(lines)


@dataclass
class MonitoringReport:
    """Everything the chapter shows; figures and tables are built on demand."""

    index: pd.DataFrame
    previous: pd.DataFrame | None
    changes: pd.DataFrame | None
    deciles: pd.DataFrame | None
    typ: Typology | None
    gdf: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame | None
    names: pd.Series
    labels: pd.Series
    year: int
    source: str
    config: dict
    dynamic_left_out: str = ""
    """German sentence (``workbench check``) why the Dynamik-Index is missing ("" = use the index's own)."""
    changes_left_out: str = ""
    """German sentence (``workbench check``) why there is no comparison with the previous year."""
    spec: dict = field(default_factory=dict)
    """The MSS index spec (index config) the chapter shows."""

    def intro(self) -> str:
        """German paragraph: which indicators the index combines, from the index config (not fixed texts)."""
        labels = self.index.attrs["labels"]
        status = [labels[c] for c in self.index.attrs["status"]]
        names = status[0] if len(status) == 1 else ", ".join(status[:-1]) + " und " + status[-1]
        minimum = fmt.number(float(self.spec.get("min_population", 300)))
        text = (
            f"Das Monitoring fasst {fmt.count_word(len(status), 'Indikator', 'Indikatoren')} der sozialen Lage – "
            f"{names} – in einem gestuften Index nach dem Vorbild des Berliner Monitorings Soziale "
            "Stadtentwicklung zusammen: den **Status-Index** (Stand im Berichtsjahr) und den **Dynamik-Index** "
            f"(Veränderung über zwei Jahre). Bewertet werden Sozialräume mit mindestens {minimum} Einwohnern, "
            "deren Indikatoren veröffentlicht werden dürfen; geheimgehaltene Werte gehen nicht in den Index ein."
        )
        excluded = [str(x) for x in self.spec.get("exclude", [])]
        if excluded:
            text += (
                " Ausgeschlossen sind außerdem laut Index-Konfiguration: "
                + ", ".join(f"{a} {self.names.get(a, '')}".strip() for a in excluded)
                + "."
            )
        return text

    def robustness_text(self) -> str:
        """German paragraph on the class robustness: the simulation, or why it cannot be made."""
        if not robustness_computed(self.index):
            return robustness_missing_text(self.index)
        rob = self.index.attrs["robustness"]
        return (
            "Die Indikatoren sind Quoten aus Fallzahlen und haben eine zufällige Schwankung. Für jeden Sozialraum "
            f"wurden die Indikatoren {fmt.number(rob['n_draws'])}-mal innerhalb ihrer 95-%-Konfidenzintervalle "
            "(Wilson) neu gezogen und der Index jeweils neu berechnet. Für die Veränderungen über zwei Jahre "
            "werden die halben Intervallbreiten beider Jahre quadratisch addiert (unabhängige Jahre). Bleibt "
            f"eine Klasse in weniger als {fmt.percent(100 * rob['threshold'], 0)} der Ziehungen gleich, gilt "
            "sie als unsicher: schraffiert auf den Karten, mit * in der Tabelle. Klassen nahe einer Grenze "
            "sollten nicht allein Grundlage einer Entscheidung sein."
        )

    def _gdf(self, extra: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
        cols = ["status_key", "dynamic_key", "overlay_key", "status_unstable", "dynamic_unstable", "unstable"]
        out = self.gdf.merge(self.index[cols], left_on="area_id", right_index=True, how="left")
        for c in cols[:3]:
            out[c] = out[c].fillna(NOT_ASSESSED)
        for c in cols[3:]:
            out[c] = out[c].fillna(False).astype(bool)
        if extra is not None:
            out = out.merge(extra, left_on="area_id", right_index=True, how="left")
        return out

    def summary(self) -> str:
        return summary_text(self.index, self.names)

    @property
    def dynamic_missing(self) -> str:
        """German sentence why the Dynamik-Index and the Gesamtindex are missing ("" when they exist)."""
        if not status_only(self.index):
            return ""
        return self.index.attrs.get("dynamic_missing") or DYNAMIC_MISSING_DEFAULT

    @property
    def dynamic_note(self) -> Note | None:
        """The sentence in place of the dynamic and overall maps of a status-only index (None when complete):
        what is missing and which files would enable it."""
        if not self.dynamic_missing:
            return None
        if self.dynamic_left_out:
            return Note(f"{self.dynamic_left_out} Gezeigt wird nur der Status-Index.")
        return Note(markdown(self.dynamic_missing))

    def map(self, kind: str) -> Figure | Note:
        """Class map of ``kind`` ("status", "dynamic", "overlay"); for a status-only index the dynamic and
        overall maps are the sentence why they are missing (:attr:`dynamic_note`)."""
        if kind in ("dynamic", "overlay") and self.dynamic_note:
            return self.dynamic_note
        titles = {
            "status": f"Status-Index {self.year}",
            "dynamic": f"Dynamik-Index {self.year - 2}–{self.year}",
            "overlay": f"Gesamtindex {self.year}: Status und Dynamik (12 Gruppen)",
        }
        return class_map(
            self._gdf(),
            kind,
            districts=self.districts,
            title=titles[kind],
            note=method_note(self.index, self.source),
        )

    def ranking(self) -> str:
        return ranking_table(
            self.index,
            self.labels,
            table_id="monitoring_rangfolge",
            caption=f"Rangfolge nach Status-Index {self.year}",
            source=self.source,
        )

    def changes_text(self) -> str:
        if self.changes is None:
            if self.changes_left_out:
                return Note(self.changes_left_out)
            return f"Ein Vergleich mit dem Vorjahr ist nicht möglich: für {self.year - 1} liegen keine Daten vor."
        return changes_text(self.changes, self.year - 1, self.names)

    def changes_table(self) -> str:
        if self.changes is None or not len(self.changes):
            return ""
        return changes_table(
            self.changes, self.labels, self.year - 1, self.year, table_id="monitoring_wechsel"
        )

    def deprivation_text(self) -> str:
        if self.deciles is None:
            return "Der Benachteiligungsindex ist nicht konfiguriert oder hat zu wenige bewertbare Gebiete (< 10)."
        spec = self.config["deprivation"]
        weights = spec["domains"]
        total = sum(weights.values())
        parts = ", ".join(
            f"{self.config['labels'].get(k, k)} {fmt.percent(100 * w / total, 0)}" for k, w in weights.items()
        )
        first = sorted(self.deciles.index[self.deciles["decile"] == 1])
        names = ", ".join(str(self.names.get(i, i)) for i in first)
        return (
            f"{spec.get('title', 'Benachteiligungsindex')}: Rang je Domäne, exponentielle Transformation, gewichtete "
            f"Summe ({parts}), erneut gerankt und in Dezile geteilt. Im 1. Dezil (am stärksten benachteiligt): {names}."
        )

    def deprivation_map(self) -> Figure:
        if self.deciles is None:
            return placeholder("Kein Benachteiligungsindex berechnet.")
        return decile_map(
            self._gdf(self.deciles[["decile"]]),
            districts=self.districts,
            title=f"Benachteiligungsindex {self.year} (Dezile)",
            note="Rangbasierter Index nach dem englischen IMD (exponentielle Transformation, gewichtete Domänen); "
            f"Dezil 1 = die 10 % am stärksten benachteiligten Gebiete; Quelle: {self.source}",
        )

    def typology_map(self) -> Figure:
        if self.typ is None:
            return placeholder("Keine Typisierung konfiguriert.")
        return typology_map(
            self._gdf(),
            self.typ,
            districts=self.districts,
            title=f"Gebietstypen {self.year}",
            note="k-Means auf z-standardisierten Indexindikatoren (Status und Veränderung), feste Startwerte; "
            f"Quelle: {self.source}",
        )

    def typology_text(self) -> str:
        return typology_text(self.typ) if self.typ is not None else "Keine Typisierung konfiguriert."


def build(ch: Any, index_config: str | None = None) -> MonitoringReport:
    """The chapter model (:class:`MonitoringReport`) of a :class:`~workbench.chapters.context.Chapter`; the
    index config is ``index_config`` if given, else the report's (``config_files: index:``)."""
    path = settings.resolve_path(index_config) if index_config else ch.cfg.files.index
    spec, cfg = load_spec(path)
    report = build_report(ch.indicators, ch.ds, ch.year, spec, cfg, unit_labels(ch.ds.keys))
    ids = [e.get("column", e.get("id")) for e in spec["status"] + spec["dynamic"]]
    sources = list(dict.fromkeys(ch.catalogue[i].source for i in ids if i in ch.catalogue))
    if sources:
        report.source = f"{'; '.join(sources)}, Stichtag {fmt.reference_date(ch.year)}"
    if report.dynamic_missing:
        report.dynamic_left_out = ch.left_out("monitoring.dynamik")
    if report.changes is None:
        report.changes_left_out = ch.left_out("monitoring.wechsel")
    return report


def _has_years(indicators: pd.DataFrame, year: int, spec: dict) -> bool:
    """True when the data hold the year of an index of ``year`` (its status part; without the comparison years
    the index is status only, see :func:`workbench.index.monitoring.compute_index`)."""
    return set(index_years(spec, year)["status"]) <= set(indicators["year"].astype(int))


def build_report(
    indicators: pd.DataFrame, ds: Any, year: int, spec: dict, cfg: dict, labels: pd.Series | None = None
) -> MonitoringReport:
    """:class:`MonitoringReport` from the protected indicator table and a :class:`workbench.io.dataset.Dataset`."""
    pop = area_population(ds.population)
    rob = cfg.get("robustness") or {}
    index = compute_index(indicators, pop, year, spec, robustness=rob)
    previous = changes = None
    if _has_years(indicators, year - 1, spec):
        previous = compute_index(indicators, pop, year - 1, spec, robustness=rob)
        changes = class_changes(index, previous)
    deprivation = next((s for s in cfg["indices"].values() if s["method"] == "domain"), None)
    deciles = None
    extra: dict[str, Any] = {"labels": dict(index.attrs["labels"])}
    if deprivation is not None:
        deciles = deprivation_deciles(
            indicators, pop, year, deprivation, float(spec.get("min_population", 300))
        )
        extra["deprivation"] = deprivation
    typ = None
    tcfg = cfg.get("typology")
    if tcfg:
        frame = typology_frame(index)
        lo, hi = int(tcfg.get("k_min", 3)), int(tcfg.get("k_max", 6))
        typ = typology(
            frame, list(frame.columns), index.attrs["labels"], range(lo, hi + 1), int(tcfg.get("seed", 0))
        )
    keys = ds.keys.drop_duplicates("area_id").set_index("area_id")
    names = keys["area_name"]
    if labels is None:
        labels = pd.Series(keys.index + " " + keys["area_name"], index=keys.index)
    return MonitoringReport(
        index=index,
        previous=previous,
        changes=changes,
        deciles=deciles,
        typ=typ,
        gdf=ds.areas[["area_id", "area_name", "geometry"]],
        districts=ds.districts,
        names=names,
        labels=labels,
        year=year,
        source=f"Statistik der Bundesagentur für Arbeit; Einwohnermelderegister, Stichtag {fmt.reference_date(year)}",
        config=extra,
        spec=dict(spec),
    )


__all__ = [
    "DYNAMIC_LABELS",
    "INPUTS",
    "MonitoringReport",
    "build",
    "build_report",
    "class_map",
    "ranking_table",
]
