"""Appendix "Datenqualität und Methoden": provenance, coverage, confidentiality statistics and methods.

Everything here describes the data and the methods, never persons: file rows, table cells and parameters.
Counts of *cells* (areas × years) are published as text cells (kind "text") with a note that they are not
person counts, so that the confidentiality audit does not confuse them with case numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.chapters import Availability, assess
from workbench.chapters.labels import MEASURE_LABELS
from workbench.chapters.model import view
from workbench.chapters.notes import markdown
from workbench.confidentiality import Rules
from workbench.errors import ConfigError
from workbench.index import load_index_config, validate_index_config
from workbench.indicators import TREND_CONFIDENCE, TREND_POINTS, indicator_meta
from workbench.render import fmt
from workbench.render.tables import html_table
from workbench.settings import KitaSettings

STATUS_LABELS = {
    "shown": "veröffentlicht",
    "primary": "primär gesperrt",
    "secondary": "sekundär gesperrt",
    "input": "gesperrt geliefert",
    "missing": "fehlend",
}
"""German names of the statuses of the protected count cube."""
CELL_NOTE = "Anzahl von Tabellenzellen (Gebiet × Jahr), keine Personenzahlen."
METHOD_COLUMNS = {
    "numerator": "Zähler",
    "denominator": "Nenner",
    "unit": "Einheit",
    "method_label": "Konfidenzintervall",
    "polarity": "Polarität",
    "source": "Quelle",
}
"""Columns of :func:`workbench.indicators.indicator_meta` in the methods table and their German headings."""
PARAMETER_LABELS = {
    "n_draws": "Simulationen",
    "seed": "Startwert des Zufallsgenerators",
    "threshold": "Anteil gleicher Klassen für „robust“",
    "k_min": "kleinste Zahl der Typen",
    "k_max": "größte Zahl der Typen",
}
"""German names of the robustness and typology parameters of ``config/index.yaml`` (methods appendix)."""
_MEASURE_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+\b")


def measure_text(expression: str) -> str:
    """A numerator or denominator of the catalogue in German: measure names replaced by their labels.

    >>> measure_text("sgb2_rlb − sgb2_u15")
    'Regelleistungsberechtigte SGB II − RLB unter 15 Jahren'
    """
    return _MEASURE_NAME.sub(lambda m: MEASURE_LABELS.get(m.group(0), m.group(0)), str(expression))


def parameter_text(params: Mapping[str, Any]) -> str:
    """``{"n_draws": 500, "seed": 0}`` → ``"500 Simulationen, Startwert des Zufallsgenerators 0"`` (German)."""
    parts = []
    for key, value in params.items():
        label = PARAMETER_LABELS.get(key, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            shown = str(value)
        else:
            shown = (
                fmt.number(value)
                if float(value).is_integer()
                else fmt.number(value, 2).rstrip("0").rstrip(",")
            )
        parts.append(f"{shown} {label}" if key == "n_draws" else f"{label} {shown}")
    return ", ".join(parts)


def _text(n: float | int) -> str:
    return fmt.number(n)


def _text_table(df: pd.DataFrame, table_id: str, caption: str, *footnotes: str) -> str:
    """HTML table whose every cell is text (file names, checksums, cell counts, method names)."""
    return html_table(
        df, {c: "text" for c in df.columns}, table_id=table_id, caption=caption, footnotes=list(footnotes)
    )


# --------------------------------------------------------------------------------------------- files


def files_frame(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """One row per imported raw file: Datei, SHA-256, Zeilen, Stichtag/Blätter/Ebenen (all text)."""
    files = manifest.get("files")
    if not isinstance(files, list):
        raise ConfigError(
            "manifest.json enthält keine Dateiliste ('files')",
            where="manifest.json",
            hint="`make data` erneut ausführen",
        )
    rows = []
    for f in files:
        extra = []
        if f.get("reference_date"):
            extra.append(f"Stichtag {f['reference_date']}")
        if f.get("sheets"):
            extra.append("Blätter: " + ", ".join(map(str, f["sheets"])))
        if f.get("layers"):
            extra.append("Ebenen: " + ", ".join(map(str, f["layers"])))
        rows.append(
            {
                "Datei": str(f.get("file", "")),
                "SHA-256": str(f.get("sha256", "")),
                "Datenzeilen": _text(f["rows"]) if f.get("rows") is not None else fmt.MISSING_SIGN,
                "Stichtag / Inhalt": "; ".join(extra),
            }
        )
    return pd.DataFrame(rows, columns=["Datei", "SHA-256", "Datenzeilen", "Stichtag / Inhalt"])


def files_table(manifest: Mapping[str, Any]) -> str:
    """HTML table of the imported files with their SHA-256 checksums (provenance)."""
    df = files_frame(manifest).set_index("Datei")
    return _text_table(
        df,
        "datenqualitaet-dateien",
        "Eingelesene Rohdateien mit Prüfsumme",
        "SHA-256: Prüfsumme der gelieferten Datei; eine geänderte Datei hat eine andere Prüfsumme. "
        "Datenzeilen: Zeilen der Datei ohne Kopfzeilen (keine Personenzahlen).",
    )


def warnings_text(manifest: Mapping[str, Any]) -> str:
    """German Markdown list of the import warnings (or a sentence that there were none)."""
    warns = manifest.get("warnings") or []
    if not warns:
        return "Beim Einlesen der Rohdaten sind keine Prüfhinweise aufgetreten."
    lines = [
        f"Beim Einlesen {'ist' if len(warns) == 1 else 'sind'} "
        f"{fmt.count_word(len(warns), 'Prüfhinweis', 'Prüfhinweise')} aufgetreten:",
        "",
    ]
    lines += [f"- {str(w)}" for w in warns]
    return "\n".join(lines)


_md = markdown


def left_out_text(availability: Availability | None) -> str:
    """German Markdown section on what the data do not allow: chapters, chapter parts, Sozialraumprofile and
    indicators left out of the report, each with the reason and the raw file or column that would enable it.

    "" when nothing is left out (the section then does not appear at all). The same assessment as
    ``workbench check`` (:func:`workbench.chapters.assess`).
    """
    if availability is None or availability.complete:
        return ""
    av = availability
    titles = {c.key: c.label for c in av.chapters}
    titles["profil"] = "Sozialraumprofile"
    lines = [
        "### Was die vorhandenen Daten nicht erlauben",
        "",
        "Nicht jede Auswertung ist mit den gelieferten Dateien möglich. Folgendes fehlt in diesem Bericht, "
        "jeweils mit dem Grund und der Datei, die es ermöglichen würde (dieselbe Prüfung wie `workbench check`):",
        "",
    ]
    if av.population.summary():  # totals or age groups only: the reason for most population gaps below
        lines.append(f"- {_md(av.population.summary())}.")
    for c in av.left_out_chapters():
        lines.append(f"- Kapitel „{_md(c.label)}“ nicht erstellt: {_md(c.reason)}.")
    if not av.profile.ok:
        lines.append(f"- Sozialraumprofile nicht erstellt: {_md(av.profile.reason)}.")
    for part in av.left_out_parts():
        lines.append(
            f"- {_md(titles.get(part.chapter, part.chapter))} ohne {_md(part.label)}: {_md(part.reason)}."
        )
    for ind in av.left_out_indicators():
        lines.append(f"- Indikator „{_md(ind.label)}“ nicht berechenbar: {_md(ind.reason)}.")
    built = {c.key for c in av.chapters if c.ok} | ({"profil"} if av.profile.ok else set())
    for part in av.parts:
        if part.ok and part.note and part.chapter in built:
            lines.append(
                f"- {_md(titles.get(part.chapter, part.chapter))}, {_md(part.label)}: {_md(part.note)}."
            )
    return "\n".join(lines)


def data_notes(manifest: Mapping[str, Any], availability: Availability | None = None) -> str:
    """The import warnings (:func:`warnings_text`) followed by :func:`left_out_text` when something is left out."""
    left = left_out_text(availability)
    return warnings_text(manifest) + (f"\n\n{left}" if left else "")


# --------------------------------------------------------------------------------------------- coverage


def coverage_frame(indicators: pd.DataFrame, catalogue, level: str = "sozialraum") -> pd.DataFrame:
    """Per catalogue indicator at ``level`` over all years: cells, published, suppressed, missing, share.

    A cell is one unit × year. published: status "shown" with a value; suppressed: withheld by the
    confidentiality rules (status numerator/denominator/min_base); missing: no value (no data, or not
    computable). ``share_published`` = published / cells × 100 (%). ``computed``: False for an indicator the
    data do not allow (absent from the table; the chapter's left-out section says why).
    """
    computed = set(indicators["indicator"].unique())
    sel = indicators[indicators["level"] == level]
    rows = []
    for ind in catalogue:
        sub = sel[sel["indicator"] == ind.id]
        n = len(sub)
        shown = int(((sub["status"] == "shown") & sub["pub_value"].notna()).sum())
        missing = int(
            ((sub["status"] == "missing") | (sub["status"] == "shown") & sub["pub_value"].isna()).sum()
        )
        suppressed = n - shown - missing
        years = sorted(int(y) for y in sub.loc[sub["pub_value"].notna(), "year"].unique())
        rows.append(
            {
                "indicator": ind.id,
                "label": ind.label,
                "cells": n,
                "published": shown,
                "suppressed": suppressed,
                "missing": missing,
                "share_published": 100.0 * shown / n if n else float("nan"),
                "years": f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else ""),
                "computed": ind.id in computed,
            }
        )
    return pd.DataFrame(rows)


def coverage_table(frame: pd.DataFrame, level_label: str = "Sozialräume") -> str:
    """HTML table of :func:`coverage_frame` (cell counts as text, the share as a share); indicators the data
    do not allow are left out with a footnote naming them."""
    absent = []
    if "computed" in frame:
        absent = frame.loc[~frame["computed"].astype(bool), "label"].tolist()
        frame = frame[frame["computed"].astype(bool)]
    df = pd.DataFrame(
        {
            "Zellen": frame["cells"].map(_text).to_numpy(),
            "veröffentlicht": frame["published"].map(_text).to_numpy(),
            "gesperrt": frame["suppressed"].map(_text).to_numpy(),
            "fehlend": frame["missing"].map(_text).to_numpy(),
            "Anteil veröffentlicht": frame["share_published"].to_numpy(),
            "Jahre mit Werten": frame["years"].to_numpy(),
        },
        index=pd.Index(frame["label"].to_numpy(), name="Indikator"),
    )
    kinds = {c: "text" for c in df.columns}
    kinds["Anteil veröffentlicht"] = "share"
    return html_table(
        df,
        kinds,
        table_id="datenqualitaet-abdeckung",
        caption=f"Abdeckung der Indikatoren: {level_label} × Jahre mit veröffentlichtem Wert",
        footnotes=[
            CELL_NOTE,
            "gesperrt: Wert aus Gründen der Geheimhaltung nicht veröffentlicht (kleiner Zähler, gesperrter Nenner "
            "oder Nenner unter der Mindestbasis); fehlend: keine Daten geliefert oder nicht berechenbar.",
            *(
                [
                    f"Nicht berechenbar und daher nicht aufgeführt: {', '.join(absent)} (Grund und fehlende "
                    "Datei unter „Was die vorhandenen Daten nicht erlauben“)."
                ]
                if absent
                else []
            ),
        ],
    )


# --------------------------------------------------------------------------------------------- suppression


def suppression_frame(protected_counts: pd.DataFrame, level: str | None = None) -> pd.DataFrame:
    """Cells of the protected count cube per measure and status (shown/primary/secondary/input/missing).

    ``level`` restricts to one level (None = all levels Sozialraum, Stadtbezirk, Stadt). Rows are measures
    in the cube's order, columns the statuses in :data:`STATUS_LABELS` order plus ``total``.
    """
    pc = protected_counts if level is None else protected_counts[protected_counts["level"] == level]
    tab = pd.crosstab(pc["measure"], pc["status"])
    tab = tab.reindex(columns=list(STATUS_LABELS), fill_value=0)
    tab["total"] = tab.sum(axis=1)
    return tab


def suppression_table(frame: pd.DataFrame) -> str:
    """HTML table of :func:`suppression_frame` with German labels; cell counts as text."""
    labels = [MEASURE_LABELS.get(m, m) for m in frame.index]
    df = pd.DataFrame(index=pd.Index(labels, name="Merkmal"))
    for st, label in STATUS_LABELS.items():
        df[label] = frame[st].map(_text).to_numpy()
    df["Zellen insgesamt"] = frame["total"].map(_text).to_numpy()
    total = frame.sum(axis=0)
    df.loc["Alle Merkmale"] = [*(_text(total[s]) for s in STATUS_LABELS), _text(total["total"])]
    return _text_table(
        df,
        "datenqualitaet-geheimhaltung",
        "Geheimhaltung der Fallzahlen: Zellen je Merkmal und Status (Sozialraum, Stadtbezirk, Stadt; alle Jahre)",
        CELL_NOTE,
        "primär gesperrt: Fallzahl unter der Geheimhaltungsgrenze; sekundär gesperrt: zusätzlich gesperrt, "
        "damit keine gesperrte Zahl über Summen zurückgerechnet werden kann; gesperrt geliefert: bereits in "
        "der Lieferung gesperrt (z. B. „*“ der Bundesagentur für Arbeit) oder eine Summe darüber.",
    )


def suppression_text(frame: pd.DataFrame) -> str:
    """German sentence with the numbers of primary, secondary and input-suppressed cells."""
    total = frame.sum(axis=0)
    hidden = int(total["primary"] + total["secondary"] + total["input"])
    return (
        f"Von {fmt.number(total['total'])} Zellen der Fallzahltabelle (Merkmal × Gebiet × Jahr) sind "
        f"{fmt.number(hidden)} gesperrt: {fmt.number(total['primary'])} primär, "
        f"{fmt.number(total['secondary'])} sekundär und {fmt.number(total['input'])} bereits gesperrt geliefert. "
        f"{fmt.number(total['missing'])} Zellen enthalten keine Daten. Die Angaben zählen Tabellenzellen, "
        "keine Personen."
    )


# --------------------------------------------------------------------------------------------- methods


def indicator_methods_table(catalogue) -> str:
    """HTML table: per indicator numerator, denominator, unit, interval method, polarity, source."""
    meta = indicator_meta(catalogue)
    for col in ("numerator", "denominator"):
        meta[col] = [measure_text(v) for v in meta[col]]
    df = pd.DataFrame(
        {label: meta[col].to_numpy() for col, label in METHOD_COLUMNS.items()},
        index=pd.Index(meta["label"].to_numpy(), name="Indikator"),
    )
    return _text_table(
        df,
        "methoden-indikatoren",
        "Indikatoren: Definition, Intervallmethode und Polarität (config/indicators.yaml)",
        "Wilson: Score-Intervall für Anteile; Poisson/Byar: exaktes Poisson-Intervall bei weniger als 10 "
        "Fällen, sonst Byars Näherung, geteilt durch den Nenner; ohne Konfidenzintervall: Differenzen "
        "(z. B. Wanderungssaldo).",
    )


def _small_range(threshold: int) -> str:
    if threshold <= 2:
        return "von 1" if threshold == 2 else "(keine)"
    if threshold == 3:
        return "von 1 und 2"
    return f"von 1 bis {threshold - 1}"


def confidentiality_text(rules: Rules) -> str:
    """German Markdown list of the confidentiality rules of the report."""
    lines = [
        f"- Fallzahlen {_small_range(rules.threshold)} werden nie veröffentlicht (Schwelle {rules.threshold}); "
        + ("die Null wird gezeigt." if rules.show_zero else "auch die Null wird gesperrt."),
        "- Sekundärsperrung: Wo Summen (Stadtbezirk, Stadt, Zeilen- und Spaltensummen) veröffentlicht werden, "
        "werden weitere Zellen gesperrt, bis sich keine gesperrte Zahl mehr zurückrechnen lässt (Prüfung mit "
        "linearer Optimierung und Rangtest).",
        "- Quoten und Anteile werden nicht veröffentlicht, wenn ihr Zähler gesperrt ist"
        + (", wenn ihr Nenner gesperrt ist" if rules.suppress_on_denominator else "")
        + (f" oder wenn der Nenner kleiner als {fmt.number(rules.min_base)} ist." if rules.min_base else "."),
        "- Karten schraffieren gesperrte Gebiete; Texte nennen keine gesperrten Werte.",
        "- Die veröffentlichten HTML-Seiten werden mit `workbench audit` unabhängig geprüft.",
    ]
    return "\n".join(lines)


def statistics_text() -> str:
    """German Markdown list of the statistical methods (intervals, comparison, trend, quantiles)."""

    return "\n".join(
        [
            "- Konfidenzniveaus: 95 % (Vergleiche in Karten, Tabellen und Texten) und 99,8 % (deutliche "
            "Abweichungen, Trendtest).",
            "- Vergleich mit der Stadt bzw. dem Stadtbezirk: „ähnlich“, wenn der Vergleichswert im "
            "Konfidenzintervall des Gebiets liegt, sonst höher/niedriger; die Polarität des Indikators macht daraus "
            "besser/schlechter. „nicht verglichen“, wenn kein Intervall berechnet werden kann.",
            f"- Trend: χ²-Test auf linearen Trend über die letzten {TREND_POINTS} Jahre, signifikant bei "
            f"{fmt.percent(TREND_CONFIDENCE * 100, 1)} (χ² > 9,5495, 1 Freiheitsgrad); Richtung aus dem Vorzeichen "
            "der Steigung. Weniger als fünf Jahre oder gesperrte Werte: „nicht berechenbar“.",
            "- Quintile nach Rang innerhalb von Ebene und Jahr, Quintil 1 = höchste Werte.",
        ]
    )


def index_text(index_config: str | Path | Mapping[str, Any]) -> str:
    """German Markdown description of the composite indices in ``config/index.yaml`` (MSS and domain index)."""

    cfg = (
        validate_index_config(dict(index_config))
        if isinstance(index_config, Mapping)
        else load_index_config(index_config)
    )
    lines = []
    for name, spec in cfg["indices"].items():
        title = spec.get("title", name)
        if spec["method"] == "mss":
            status = ", ".join(e.get("label", e["id"]) for e in spec["status"])
            dyn = ", ".join(
                f"{e.get('label', e['id'])} ({e.get('change_years', 2)} Jahre)" for e in spec["dynamic"]
            )
            excl = ", ".join(spec["exclude"]) or "keine"
            lines.append(
                f"- **{title}**: gestuftes Indexverfahren. Einbezogen sind Sozialräume mit mindestens "
                f"{fmt.number(spec['min_population'])} Einwohnern (ausgeschlossen: {excl}). Statusindikatoren: "
                f"{status}. Dynamikindikatoren (Veränderung in Prozentpunkten): {dyn}. Jeder Indikator wird "
                "z-standardisiert (Mittelwert und Standardabweichung der Grundgesamtheit), die Summen erneut; "
                "Statusklassen: hoch (< −1), mittel (−1 bis +1), niedrig (+1 bis +1,5), sehr niedrig (> +1,5); "
                "Dynamikklassen: positiv (< −1), stabil (−1 bis +1), negativ (> +1)."
            )
        else:
            weights = spec["domains"]
            total = sum(float(w) for w in weights.values()) or 1.0
            dom = ", ".join(f"{k} {fmt.percent(100.0 * float(w) / total, 0)}" for k, w in weights.items())
            lines.append(
                f"- **{title}**: Rang je Domäne, exponentielle Transformation X = −23 · ln(1 − R · (1 − e^(−100/23))), "
                f"gewichtete Summe (Gewichte normiert: {dom}), erneut gerankt und in Dezile eingeteilt."
            )
    for key, label in (("robustness", "Robustheit der Klassen"), ("typology", "Typisierung")):
        if isinstance(cfg.get(key), Mapping):
            lines.append(f"- {label}: {parameter_text(cfg[key])}.")
    return "\n".join(lines)


def projection_text(base_years: int = 3, horizon: int = 5) -> str:
    """German Markdown description of the small-area population projection as used in the report."""
    return (
        "Kleinräumige Bevölkerungsprognose nach der Kohorten-Komponenten-Methode je Sozialraum, Geschlecht und "
        "Einzelalter (0 bis 100 Jahre und älter), Jahr für Jahr: Überlebende nach Sterbewahrscheinlichkeiten "
        "der Stadt (je Sozialraum mit einem empirisch-bayes-geschrumpften Sterblichkeitsverhältnis), Geburten "
        "aus altersspezifischen Fruchtbarkeitsraten der Frauen von 15 bis 49 Jahren (Geschlechterverhältnis "
        "105 Jungen zu 100 Mädchen), Fortzüge und Umzüge als Raten je Sozialraum, Zuzüge als mittlere Zahl je "
        f"Jahr (über 5-Jahres-Altersgruppen geglättet). Die Raten sind Mittel der letzten {base_years} "
        f"Basisjahre (Status-quo-Variante); der Prognosehorizont im Kapitel Kinder, Jugend und Familie beträgt "
        f"{horizon} Jahre. Umzüge innerhalb der Stadt gleichen sich stadtweit aus."
    )


INPUTS = ("keys", "population", "counts|shares")
"""Processed tables the chapter needs (see :func:`workbench.chapters.missing_inputs`)."""


@dataclass(frozen=True)
class QualityModel:
    """Import provenance, indicator coverage, suppression statistics and the methods in force."""

    manifest: dict
    coverage: pd.DataFrame
    suppression: pd.DataFrame
    catalogue: Any
    rules: Rules
    index_config: Path
    kita: KitaSettings
    availability: Availability | None = None

    files_table = view(files_table, "manifest")
    warnings_text = view(data_notes, "manifest", "availability")
    left_out_text = view(left_out_text, "availability")
    coverage_table = view(coverage_table, "coverage")
    suppression_text = view(suppression_text, "suppression")
    suppression_table = view(suppression_table, "suppression")
    statistics_text = view(statistics_text)
    indicator_methods_table = view(indicator_methods_table, "catalogue")
    confidentiality_text = view(confidentiality_text, "rules")
    index_text = view(index_text, "index_config")
    projection_text = view(projection_text, "kita.base_years", "kita.horizon")


def build(ch: Any) -> QualityModel:
    """The chapter model from a :class:`~workbench.chapters.context.Chapter`."""
    return QualityModel(
        ch.ds.manifest,
        coverage_frame(ch.indicators, ch.catalogue),
        suppression_frame(ch.protected_counts),
        ch.catalogue,
        ch.rules,
        ch.cfg.files.index,
        ch.cfg.kita,
        assess(ch.cfg, ch.ds, published=True),
    )
