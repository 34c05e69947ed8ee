"""Report chapters and the Sozialraumprofil: each computes a protected model and renders views from it.

The chapter contract (see :mod:`workbench.chapters.context`): a chapter module declares ``INPUTS``, the
processed tables it needs, and ``build(ch)``, which computes the chapter's model (protected, publishable frames
and the data of its figures) from the chapter context ``ch``; the model's methods render the views. Chapter
notebooks hold only these calls and German narrative.

:data:`CHAPTERS` maps the chapter names of the report config (``chapters:``, notebook names) to their modules;
:func:`missing_inputs` says which processed tables a city's data lack for a chapter, so a build can leave that
chapter out with a note instead of failing.

What the data allow beyond the tables is data, too: :data:`PARTS` lists the chapter (and profile) parts with
what each needs (:class:`Need`: years, single ages, movements, comparison years of the index, Kita places), and
:data:`RAW_FILES` the raw files behind each processed table. :func:`assess` checks chapters, parts and every
catalogue indicator (its numerator and denominator measures) against a city's processed tables and returns an
:class:`Availability` with the German reason and the file, column or number of years that would enable what is
missing. It lives here because the chapter „Datenqualität und Methoden“ lists what was left out; the build's
view of it (``workbench check``, pages of left-out chapters) is :mod:`workbench.build.availability`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pyogrio

from workbench.chapters._population_detail import PopulationDetail, read_detail, source_label
from workbench.errors import ConfigError
from workbench.index import index_years
from workbench.index.monitoring import load_spec, years_text
from workbench.indicators import TREND_POINTS, load_catalogue
from workbench.indicators.population import STRUCTURE
from workbench.io.dataset import Dataset
from workbench.projection.evaluation import MAX_BAND_WIDTH, usable_groups
from workbench.projection.runs import load_projection_config
from workbench.settings import ReportConfig, chapter_titles, relative_to_root

CHAPTERS: dict[str, str] = {
    "bevoelkerung": "population",
    "soziale_lage": "social",
    "monitoring": "monitoring",
    "demografie": "demography",
    "kinder_jugend": "youth",
    "wohnen": "housing",
    "datenqualitaet": "quality",
    "profil": "profile",
    "bestand": "supply",
    "bedarfserhebung": "survey",
    "massnahmen": "measures",
    "finanzen": "finance",
}
"""Chapter name (notebook ``notebooks/<name>.ipynb``) → module in :mod:`workbench.chapters`."""

TABLE_LABELS: dict[str, str] = {
    "keys": "Schlüsseltabelle der Gebiete",
    "areas": "Gebietsgeometrien",
    "population": "Einwohner nach Alter und Geschlecht",
    "counts": "Fallzahlen (SGB II, Arbeitslose, Haushalte …)",
    "events": "Bevölkerungsbewegungen",
    "facilities": "Einrichtungen",
    "survey": "Befragung",
    "measures": "Maßnahmen",
    "shares": "veröffentlichte Anteile ohne Fallzahlen",
    "costs": "Ausgaben (HzE nach Hilfeart, Kosten der Unterkunft)",
}
"""German names of the processed tables a chapter may need (for messages)."""


def chapter_module(name: str) -> ModuleType:
    """The module of chapter ``name``; raises ``KeyError`` naming the known chapters."""
    if name not in CHAPTERS:
        raise KeyError(f"unbekanntes Kapitel {name!r}; bekannt: {', '.join(CHAPTERS)}")
    return importlib.import_module(f"workbench.chapters.{CHAPTERS[name]}")


def required_inputs(name: str) -> tuple[str, ...]:
    """The processed tables chapter ``name`` declares in its ``INPUTS``."""
    return tuple(chapter_module(name).INPUTS)


def missing_inputs(name: str, dataset) -> list[str]:
    """The inputs of chapter ``name`` that ``dataset`` (:class:`workbench.io.dataset.Dataset`) does not hold."""
    return [t.split("|")[0] for t in required_inputs(name) if not dataset.has(t)]


# ------------------------------------------------------------------------------------------ what the data allow
# The rules below say, as data, what each chapter part needs beyond the chapter's INPUTS; assess() checks them
# against a city's processed tables. They live in the chapter layer because the Datenqualität chapter lists what
# was left out; the build (workbench.build.availability) prints them, leaves chapters out and writes their pages.

RAW_FILES: dict[str, tuple[str, ...]] = {
    "keys": ("schluessel_gebiete.csv",),
    "areas": ("gebiete.gpkg",),
    "population": ("einwohner_<Jahr>.csv",),
    "counts": (
        "ba_sgb2_arbeitslose.xlsx",
        "haushalte.csv",
        "sgb12_grundsicherung_65plus.csv",
        "hze_faelle.csv",
    ),
    "events": ("bewegungen.csv",),
    "facilities": ("einrichtungen.csv",),
    "survey": ("befragung_<Jahr>.csv",),
    "measures": ("massnahmen.csv",),
    "costs": ("kosten.csv",),
}
"""Processed table → the raw files (docs/DATA_CONTRACT.md) the import makes it from."""

INDICATOR_CHAPTERS = frozenset({"soziale_lage"})
"""Chapters that consist of catalogue indicators only; left out when none of their indicators is computable."""

PLURAL_TABLES = frozenset({"areas", "population", "counts", "events", "facilities", "measures", "costs"})
"""Tables whose German label (:data:`TABLE_LABELS`) is a plural ("es fehlen …" instead of "es fehlt …")."""

SINGLE_AGES = (0, 79)
"""Population "by single year of age": every age of this range occurs in ``population.parquet``."""

TREND_MIN_YEARS = 3
"""Years of data from which time series and trend charts are drawn (the trend test itself uses
:data:`workbench.indicators.TREND_POINTS` points)."""

PROJECTION_MIN_EVENT_YEARS = 2
"""Years of movements (``events.parquet``) the population projection needs at least."""


@dataclass(frozen=True)
class Need:
    """One requirement of a chapter part beyond its chapter's ``INPUTS``.

    ``kind``: ``table`` (``value`` = processed table), ``years`` (at least ``value`` years with population and
    counts up to the reporting year), ``previous_year`` (the year before the reporting year), ``single_ages``
    (single years of age by sex in the reporting year), ``age_detail`` (age groups or single years in the
    reporting year, not totals only), ``population`` (``value`` = a population filter, a catalogue
    :class:`~workbench.indicators.Term`, computable in the reporting year),
    ``components`` (single ages and ≥ :data:`PROJECTION_MIN_EVENT_YEARS` years of movements, each with the
    previous year's population: the cohort-component projection), ``projection`` (``components``, or else the
    population by age at ≥ 2 reference dates up to the reporting year: Hamilton–Perry, with a note),
    ``backtest`` (cohort-component: population and movements up to reporting year − ``backtest_span`` of the
    projection config; Hamilton–Perry: ≥ 3 reference dates with ages), ``index_status`` / ``index_dynamic`` (measures and years of the MSS index of
    the index config), ``kita_places`` (facilities of type Kita with places).
    """

    kind: str
    value: Any = None


@dataclass(frozen=True)
class Part:
    """A part of a chapter (or of the profile) and what it needs; ``essential``: without it the chapter's
    ``build`` cannot run, so the whole chapter is left out."""

    chapter: str
    key: str
    label: str
    needs: tuple[Need, ...]
    essential: bool = False


PARTS: tuple[Part, ...] = (
    Part("bevoelkerung", "veraenderung", "Veränderung der Einwohnerzahl", (Need("years", 2),)),
    Part(
        "bevoelkerung", "anteil_u18", "Anteil unter 18 Jahren", (Need("population", STRUCTURE["under_18"]),)
    ),
    Part("bevoelkerung", "anteil_65", "Anteil ab 65 Jahren", (Need("population", STRUCTURE["over_65"]),)),
    Part(
        "bevoelkerung",
        "anteil_nichtdeutsch",
        "Anteil nichtdeutscher Einwohner",
        (Need("population", STRUCTURE["foreign"]),),
    ),
    Part("bevoelkerung", "pyramide", "Alterspyramide", (Need("single_ages"),)),
    Part("bevoelkerung", "altersgruppen", "Einwohner nach Altersgruppen", (Need("age_detail"),)),
    Part("soziale_lage", "trends", "Zeitreihen und Trends", (Need("years", TREND_MIN_YEARS),)),
    Part("monitoring", "status", "Status-Index", (Need("index_status"),), essential=True),
    Part("monitoring", "dynamik", "Dynamik-Index und Gesamtindex (12 Gruppen)", (Need("index_dynamic"),)),
    Part("monitoring", "wechsel", "Klassenwechsel gegenüber dem Vorjahr", (Need("previous_year"),)),
    Part(
        "demografie",
        "bewegungen",
        "Geburten, Sterbefälle und Wanderungen",
        (Need("table", "events"), Need("table", "counts")),
    ),
    Part("demografie", "prognose", "Bevölkerungsprognose", (Need("projection"),)),
    Part("demografie", "rueckrechnung", "Rückrechnung der Prognose (Backtest)", (Need("backtest"),)),
    Part(
        "kinder_jugend",
        "kita",
        "Kita-Versorgung heute und in fünf Jahren",
        (Need("kita_places"), Need("components")),
        essential=True,
    ),
    Part("profil", "trends", "Entwicklung der sozialen Lage", (Need("years", TREND_MIN_YEARS),)),
    Part("profil", "pyramide", "Altersaufbau", (Need("single_ages"),)),
    Part("profil", "monitoring", "Einstufung im Sozialraum-Monitoring", (Need("index_status"),)),
    Part("profil", "dynamik", "Dynamikklasse im Sozialraum-Monitoring", (Need("index_dynamic"),)),
    Part("profil", "einrichtungen", "Einrichtungen", (Need("table", "facilities"),)),
    Part(
        "bestand",
        "zielgruppen",
        "Zielgruppen nach Einzelaltersjahren",
        (Need("single_ages"),),
        essential=True,
    ),
    Part("bestand", "prognose", "Versorgungslücken mit der Bevölkerungsprognose", (Need("projection"),)),
)
"""The chapter parts with requirements beyond their chapter's ``INPUTS``, in report order."""


@dataclass(frozen=True)
class Gap:
    """What is missing (``what``, German) and what would enable it (``remedy``, German)."""

    what: str
    remedy: str

    def __str__(self) -> str:
        return f"{self.what} – {self.remedy}"


@dataclass(frozen=True)
class Item:
    """Availability of one chapter, chapter part or indicator: ``gaps`` empty = can be built.

    ``kind`` is "chapter", "part" or "indicator"; ``chapter`` the chapter of a part (the topic of an indicator);
    ``essential``: a part without which its chapter is left out; ``note`` a German remark on a part that is
    built with less than the full data (e.g. the trend test needs more years).
    """

    kind: str
    key: str
    label: str
    chapter: str = ""
    gaps: tuple[Gap, ...] = ()
    essential: bool = False
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.gaps

    @property
    def reason(self) -> str:
        """German reason why it cannot be built, with the remedy ("" when it can)."""
        return "; ".join(str(g) for g in self.gaps)


@dataclass(frozen=True)
class Availability:
    """What a city's processed data allow: chapters, their parts, the indicators and the Sozialraumprofil."""

    city: str
    year: int
    years: tuple[int, ...]
    n_areas: int
    tables: tuple[str, ...]
    chapters: tuple[Item, ...]
    parts: tuple[Item, ...]
    indicators: tuple[Item, ...]
    profile: Item
    population: PopulationDetail = field(default_factory=PopulationDetail)
    """Age detail and breakdowns of the population per year; :meth:`PopulationDetail.summary` is the German
    sentence on a population coarser than single years by sex and nationality ("" otherwise)."""

    def chapter(self, name: str) -> Item:
        for item in (*self.chapters, self.profile):
            if item.key == name:
                return item
        raise KeyError(f"Kapitel {name!r} gehört nicht zu diesem Bericht")

    def buildable_chapters(self) -> list[str]:
        """Names of the report's chapters that can be built, in report order."""
        return [c.key for c in self.chapters if c.ok]

    def left_out_chapters(self) -> list[Item]:
        return [c for c in self.chapters if not c.ok]

    def left_out_parts(self, chapter: str | None = None) -> list[Item]:
        """Parts that cannot be built, of chapters that are built (and of the profile); all with ``chapter``."""
        built = {c.key for c in (*self.chapters, self.profile) if c.ok}
        return [
            p
            for p in self.parts
            if not p.ok and (p.chapter == chapter if chapter else p.chapter in built and not p.essential)
        ]

    def left_out_indicators(self) -> list[Item]:
        return [i for i in self.indicators if not i.ok]

    @property
    def complete(self) -> bool:
        """True when nothing is left out (every chapter, part, indicator and the profile can be built)."""
        items = (*self.chapters, *self.parts, *self.indicators, self.profile)
        return all(i.ok for i in items) and not any(p.note for p in self.parts)


@dataclass(frozen=True)
class _Facts:
    """What the processed tables hold, read cheaply (columns only)."""

    tables: frozenset[str]
    year: int
    population_years: tuple[int, ...]
    data_years: tuple[int, ...]
    ages: frozenset[int]
    sexes: frozenset[str]
    nationalities: frozenset[str]
    measures: dict[str, tuple[int, ...]]
    event_years: tuple[int, ...]
    kita_places: bool
    n_areas: int
    shares: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Published indicator (``shares.parquet``) → years with at least one value."""
    population: PopulationDetail = field(default_factory=PopulationDetail)
    """Age detail and breakdowns of the population per year (single years, age groups or totals)."""


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " und " + items[-1]


def _read_facts(ds, reporting_year: int, *, source: str = "", raw: str = "") -> _Facts:
    """The facts of dataset ``ds``; ``source`` (the population mappings, "" = raw folder) and ``raw`` (the raw
    folder as named in texts) go into the remedies of the population detail."""
    tables = frozenset(t for t in ds.FILES if ds.has(t))
    detail = PopulationDetail(source=source, raw=raw)
    pop_years: tuple[int, ...] = ()
    ages: frozenset[int] = frozenset()
    sexes: frozenset[str] = frozenset()
    nats: frozenset[str] = frozenset()
    if "population" in tables:
        pop = pd.read_parquet(
            ds.processed / ds.FILES["population"], columns=["year", "age", "sex", "nationality"]
        )
        pop_years = tuple(sorted(int(y) for y in pop["year"].unique()))
        ages = frozenset(int(a) for a in pop["age"].unique())
        sexes = frozenset(str(s) for s in pop["sex"].unique())
        nats = frozenset(str(n) for n in pop["nationality"].unique())
        detail = read_detail(pop, ds.age_groups, ds.population_detail, source=source, raw=raw)
    year = int(reporting_year)
    measures: dict[str, tuple[int, ...]] = {}
    if "counts" in tables:
        counts = pd.read_parquet(ds.processed / ds.FILES["counts"], columns=["measure", "year"])
        for m, ys in counts.groupby("measure")["year"]:
            measures[str(m)] = tuple(sorted(int(y) for y in ys.unique()))
    count_years = set().union(*measures.values()) if measures else set()
    data_years = tuple(y for y in pop_years if y <= year and (not measures or y in count_years))
    shares: dict[str, tuple[int, ...]] = {}
    if "shares" in tables:
        sh = pd.read_parquet(ds.processed / ds.FILES["shares"], columns=["indicator", "year", "value"])
        for ind, ys in sh.loc[sh["value"].notna()].groupby("indicator")["year"]:
            shares[str(ind)] = tuple(sorted(int(y) for y in ys.unique()))
        if not measures:  # years with published values count as data years like count years
            share_years = {y for ys in shares.values() for y in ys}
            data_years = tuple(y for y in pop_years if y <= year and y in share_years) or data_years
    event_years: tuple[int, ...] = ()
    if "events" in tables:
        ev = pd.read_parquet(ds.processed / ds.FILES["events"], columns=["year"])
        event_years = tuple(sorted(int(y) for y in ev["year"].unique()))
    kita = False
    if "facilities" in tables:
        fac = pyogrio.read_dataframe(ds.processed / ds.FILES["facilities"], read_geometry=False)
        if {"type", "places_u3", "places_ue3"} <= set(fac.columns):
            is_kita = fac["type"].astype(str).str.lower().str.startswith("kita")
            places = fac["places_u3"].fillna(0) + fac["places_ue3"].fillna(0)
            kita = bool((is_kita & (places > 0)).any())
    n_areas = 0
    if "keys" in tables:
        n_areas = int(
            pd.read_parquet(ds.processed / ds.FILES["keys"], columns=["area_id"])["area_id"].nunique()
        )
    elif "areas" in tables:
        n_areas = int(pyogrio.read_info(ds.processed / ds.FILES["areas"], layer="sozialraum")["features"])
    return _Facts(
        tables,
        year,
        pop_years,
        data_years,
        ages,
        sexes,
        nats,
        measures,
        event_years,
        kita,
        n_areas,
        shares,
        detail,
    )


def _table_gap(tables: list[str], raw: str) -> Gap:
    """Gap for missing processed tables: German names, file names and the raw files that make them."""
    labels = [table_label(t) for t in tables]
    verb = "fehlen" if len(tables) > 1 or tables[0] in PLURAL_TABLES else "fehlt"
    files = []
    for t in tables:
        names = RAW_FILES.get(t, (t,))
        if len(names) == 1:
            files.append(f"Datei {names[0]}")
        else:  # any of them makes the table
            files.append(f"mindestens eine der Dateien {', '.join(names[:-1])} oder {names[-1]}")
    return Gap(f"es {verb} {_and(labels)}", f"{_and(files)} im Rohdatenordner ({raw}) ergänzen")


def table_label(table: str) -> str:
    """German name with the processed file: "Bevölkerungsbewegungen (events.parquet)"; a name that ends in
    parentheses takes the file inside them: "Fallzahlen (SGB II, …; counts.parquet)"."""
    label = TABLE_LABELS.get(table, table)
    if label.endswith(")"):
        return f"{label[:-1]}; {_file_name(table)})"
    return f"{label} ({_file_name(table)})"


def _file_name(table: str) -> str:
    return Dataset.FILES.get(table, table)


def _measure_sources() -> dict[str, tuple[str, str]]:
    """Measure of ``counts.parquet`` → (raw file, column) it is imported from (docs/DATA_CONTRACT.md)."""
    # imported here: the importer loads pandera (about 1 s), which only this look-up of raw column names needs
    from workbench.io.importer import BA_COLUMNS, EVENT_COLUMNS, HOUSEHOLD_COLUMNS

    out = {m: ("ba_sgb2_arbeitslose.xlsx", c) for c, m in BA_COLUMNS.items()}
    out.update({m: ("haushalte.csv", c) for c, m in HOUSEHOLD_COLUMNS.items()})
    out.update({m: ("bewegungen.csv", c) for c, m in EVENT_COLUMNS.items()})
    out.update(
        {
            "grusi_65": ("sgb12_grundsicherung_65plus.csv", "Empfaenger_65plus"),
            "hze_cases": ("hze_faelle.csv", "Faelle"),
            "kita_places_u3": ("einrichtungen.csv", "Plaetze_U3"),
            "kita_places_ue3": ("einrichtungen.csv", "Plaetze_Ue3"),
        }
    )
    return out


def _measure_gaps(measures, facts: _Facts, years, raw: str, sources) -> list[Gap]:
    """Gaps for measures missing in ``counts.parquet`` (or in one of ``years``)."""
    gaps = []
    for m in dict.fromkeys(measures):
        have = facts.measures.get(m)
        file, column = sources.get(m, ("", ""))
        where = f"Spalte „{column}“ der Datei {file}" if file else f"das Maß {m}"
        if not have:
            gaps.append(
                Gap(f"Maß {m} fehlt in counts.parquet", f"{where} im Rohdatenordner ({raw}) ergänzen")
            )
            continue
        lacking = [y for y in years if y not in have]
        if lacking:
            gaps.append(
                Gap(
                    f"Maß {m} liegt für {years_text(lacking)} nicht vor (vorhanden: {years_text(have)})",
                    f"{where} für {years_text(lacking)} im Rohdatenordner ({raw}) ergänzen",
                )
            )
    return gaps


def _population_gaps(term, facts: _Facts, raw: str, years=None) -> list[Gap]:
    """Why population filter ``term`` cannot be computed in ``years`` (default: the reporting year): the
    population lacks the age detail (totals only, age groups that do not add up to the range) or the breakdown
    by sex / nationality."""
    if "population" not in facts.tables:
        return [_table_gap(["population"], raw)]
    gaps = [
        Gap(what, remedy)
        for year in (years or [facts.year])
        if year in facts.population.kinds
        for what, remedy in facts.population.term_gaps(term, year)
    ]
    if gaps:
        return gaps
    if term.sex and term.sex not in facts.sexes:
        gaps.append(
            Gap(
                f"Einwohner mit Geschlecht {term.sex} fehlen in population.parquet",
                f"Spalte „Geschlecht“ der Dateien einwohner_<Jahr>.csv im Rohdatenordner ({raw}) prüfen",
            )
        )
    if term.nationality and term.nationality not in facts.nationalities:
        gaps.append(
            Gap(
                f"Einwohner mit Staatsangehörigkeit {term.nationality} fehlen in population.parquet",
                f"Spalte „Staatsangehörigkeit“ der Dateien einwohner_<Jahr>.csv im Rohdatenordner ({raw}) "
                "ergänzen",
            )
        )
    return gaps


def _published_gaps(ind, facts: _Facts, years, raw: str) -> list[Gap]:
    """Why a published indicator (``method: published``) has no value in ``years``: no shares at all, or none
    of this indicator and year."""
    remedy = (
        f"die Tabelle mit den veröffentlichten Werten unter sources: shares: der Berichtskonfiguration angeben "
        f"(Spalte → {ind.id} unter indicators:) und make data ausführen"
    )
    if "shares" not in facts.tables:
        return [Gap("es fehlen veröffentlichte Werte (shares.parquet)", remedy)]
    have = facts.shares.get(ind.id, ())
    lacking = [y for y in years if y not in have]
    if lacking:
        return [Gap(f"für {years_text(lacking)} gibt es keinen veröffentlichten Wert von {ind.id}", remedy)]
    return []


def _indicator_gaps(ind, facts: _Facts, years, raw: str, sources) -> list[Gap]:
    """Why catalogue indicator ``ind`` cannot be computed for ``years`` (numerator and denominator)."""
    gaps: list[Gap] = []
    if ind.published:
        return _published_gaps(ind, facts, years, raw)
    measures = [m for t in (ind.numerator, ind.denominator) for m in (*t.measures, *t.minus)]
    if measures and "counts" not in facts.tables:
        gaps.append(_table_gap(["counts"], raw))
    elif measures:
        gaps += _measure_gaps(measures, facts, years, raw, sources)
    for term in (ind.numerator, ind.denominator):
        if term.kind == "population":
            gaps += [g for g in _population_gaps(term, facts, raw) if g not in gaps]
    return gaps


def _raw_label(cfg: ReportConfig, published: bool) -> str:
    """The raw folder as named in the texts: relative to the project; ``data_raw`` in published texts when it
    lies outside (never an absolute path in a published page)."""
    raw = relative_to_root(cfg.paths.raw)
    return "data_raw" if published and Path(raw).is_absolute() else raw


class _Context:
    """Report-specific inputs of the rules: catalogue, MSS index spec, projection config, raw folder label."""

    def __init__(self, cfg, facts: _Facts, published: bool = False):
        self.facts = facts
        self.raw = _raw_label(cfg, published)
        self.catalogue = load_catalogue(cfg.files.indicators)
        self.sources = _measure_sources()
        # a broken or missing index / projection configuration leaves out only the parts that use it
        self.spec: dict | None = None
        self.backtest_span: int | None = None
        self.config_gaps: dict[str, Gap] = {}
        for key, path, what in (
            ("index", cfg.files.index, "Index-Konfiguration"),
            ("projection", cfg.files.projection, "Prognose-Konfiguration"),
        ):
            try:
                if key == "index":
                    self.spec = load_spec(path)[0]
                else:
                    self.backtest_span = load_projection_config(path).backtest_span
            except ConfigError as exc:
                where = f" ({exc.where})" if exc.where else ""
                self.config_gaps[key] = Gap(
                    f"{what}{where}: {exc.problem}",
                    f"{relative_to_root(path)} prüfen ({exc.hint or 'siehe Meldung'})",
                )

    def index_measures(self, part: str) -> list[str]:
        ids = [e.get("column", e.get("id")) for e in self.spec[part]]
        return [m for i in ids if i in self.catalogue for m in self.catalogue[i].measures]

    def index_population_gaps(self, part: str, years) -> list[Gap]:
        """Population filters of the index indicators of ``part`` the population's detail does not determine
        in ``years`` (e.g. children under 15 from totals only)."""
        gaps: list[Gap] = []
        ids = [e.get("column", e.get("id")) for e in self.spec[part]]
        for ind in (self.catalogue[i] for i in dict.fromkeys(ids) if i in self.catalogue):
            for term in (ind.numerator, ind.denominator):
                if term.kind == "population":
                    gaps += [g for g in _population_gaps(term, self.facts, self.raw, years) if g not in gaps]
        return gaps

    def check(self, need: Need) -> tuple[list[Gap], str]:
        """(gaps, note) of one requirement."""
        f, raw = self.facts, self.raw
        if need.kind == "table":
            return ([] if need.value in f.tables else [_table_gap([need.value], raw)]), ""
        if need.kind == "previous_year":
            if f.year - 1 in f.data_years:
                return [], ""
            return [
                Gap(
                    f"für {f.year - 1} liegen keine Daten vor (vorhanden: {years_text(f.data_years)})",
                    f"Einwohner- und Fallzahldateien für {f.year - 1} im Rohdatenordner ({raw}) ergänzen",
                )
            ], ""
        if need.kind == "years":
            n, have = int(need.value), list(f.data_years)
            if len(have) < n:
                more = n - len(have)
                gap = Gap(
                    f"nur {len(have)} {'Jahr' if len(have) == 1 else 'Jahre'} mit Daten ({years_text(have)}), "
                    f"nötig sind mindestens {n}",
                    f"Einwohner- und Fallzahldateien von mindestens {more} "
                    f"{'früheren Jahr' if more == 1 else 'früheren Jahren'} im Rohdatenordner ({raw}) ergänzen",
                )
                return [gap], ""
            note = ""
            if n == TREND_MIN_YEARS and len(have) < TREND_POINTS:
                note = (
                    f"Trendgrafiken mit {len(have)} Jahren; der Trendtest (χ², 99,8 %) des Berichts nutzt "
                    f"{TREND_POINTS} Zeitpunkte und bleibt bis dahin „nicht berechenbar“"
                )
            return [], note
        if need.kind == "single_ages":
            return self._single_ages(), ""
        if need.kind == "population":
            return _population_gaps(need.value, f, raw), ""
        if need.kind == "age_detail":
            if "population" not in f.tables:
                return [_table_gap(["population"], raw)], ""
            if f.population.kind(f.year) == "total":
                return [
                    Gap(
                        f"die Einwohner liegen {f.year} nur als Gesamtzahl vor (ohne Alter)",
                        f.population.age_remedy(f.year, any_groups=True),
                    )
                ], ""
            return [], ""
        if need.kind == "components":
            return self._projection(), ""
        if need.kind == "projection":
            return self._any_projection()
        if need.kind == "backtest":
            if self._projection():  # no cohort-component model: the back-test of the stock projection
                return self._stock_backtest()
            return self._backtest(), ""
        if need.kind in ("index_status", "index_dynamic"):
            part = "status" if need.kind == "index_status" else "dynamic"
            if "counts" not in f.tables and self.index_measures(part):
                return [_table_gap(["counts"], raw)], ""
            if self.spec is None:
                return [self.config_gaps["index"]], ""
            years = list(index_years(self.spec, f.year)[part])
            lacking = [y for y in years if y not in f.data_years]
            if part == "dynamic" and lacking:
                gap = Gap(
                    f"die Dynamik ist eine Veränderung und braucht Daten zu zwei Zeitpunkten ({years_text(years)}); "
                    f"vorhanden: {years_text(f.data_years)}",
                    f"Einwohner- und Fallzahldateien für {years_text(lacking)} im Rohdatenordner ({raw}) ergänzen",
                )
                return [gap], ""
            gaps = _measure_gaps(self.index_measures(part), f, years, raw, self.sources)
            return gaps + self.index_population_gaps(part, years), ""
        if need.kind == "kita_places":
            if "facilities" not in f.tables:
                return [_table_gap(["facilities"], raw)], ""
            if not f.kita_places:
                return [
                    Gap(
                        "im Einrichtungsverzeichnis gibt es keine Kita mit Plätzen",
                        f"Spalten „Plaetze_U3“ und „Plaetze_Ue3“ der Kitas (Typ „Kita“) in einrichtungen.csv im "
                        f"Rohdatenordner ({raw}) ergänzen",
                    )
                ], ""
            return [], ""
        raise KeyError(f"unbekannte Anforderung {need.kind!r}")

    def _projection(self) -> list[Gap]:
        """Single ages, ≥ PROJECTION_MIN_EVENT_YEARS years of movements, the previous year's population."""
        f, raw, k = self.facts, self.raw, PROJECTION_MIN_EVENT_YEARS
        gaps = self._single_ages() + ([self.config_gaps["projection"]] if self.backtest_span is None else [])
        ev = [y for y in f.event_years if y <= f.year]
        if "events" not in f.tables:
            gaps += [
                _table_gap(["events"], raw),
                Gap(
                    f"Bevölkerungsbewegungen aus mindestens {k} Jahren nötig",
                    f"bewegungen.csv mit mindestens {k} Jahren bis {f.year} im Rohdatenordner ({raw}) liefern",
                ),
            ]
        elif len(ev) < k:
            gaps.append(
                Gap(
                    f"Bevölkerungsbewegungen nur für {years_text(ev)}, nötig sind mindestens {k} Jahre",
                    f"bewegungen.csv mit früheren Jahren im Rohdatenordner ({raw}) ergänzen",
                )
            )
        # the rates relate each year's movements to the population at the end of the previous year
        before = sorted({y - 1 for y in ev}) if ev else [f.year - 1]
        single = [y for y in f.population_years if f.population.single_years_by_sex(y)]
        if set(before) & set(f.population_years) and not set(before) & set(single):
            gaps.append(
                Gap(
                    f"Einwohnerbestand nach Einzelaltern und Geschlecht vor den Bewegungsjahren "
                    f"({years_text(before)}) nötig, nach Einzelaltern und Geschlecht vorhanden: "
                    f"{years_text(single) if single else 'kein Jahr'}",
                    f.population.age_remedy(before[-1]),
                )
            )
        elif not set(before) & set(f.population_years):
            gaps.append(
                Gap(
                    f"Einwohnerbestand vor den Bewegungsjahren ({years_text(before)}) nötig, vorhanden: "
                    f"{years_text(f.population_years)}",
                    f"einwohner_<Jahr>.csv für {years_text(before)} im Rohdatenordner ({raw}) ergänzen",
                )
            )
        return gaps

    def _age_years(self) -> list[int]:
        """Years up to the reporting year with the population by age: age groups that a projection from stocks
        can use (:func:`workbench.projection.evaluation.usable_groups`), or single years (every age of
        :data:`SINGLE_AGES`)."""
        f = self.facts
        full = set(range(SINGLE_AGES[0], SINGLE_AGES[1] + 1)) <= f.ages
        kinds = {y: f.population.kind(y) for y in f.population_years if y <= f.year}
        return [
            y
            for y, k in kinds.items()
            if (k == "age_groups" and usable_groups(f.population.groups.get(y, ())))
            or (k == "single_years" and full)
        ]

    def _stock_years(self) -> list[int]:
        """:meth:`_age_years` when the reporting year is one of them and there are at least two (a projection
        from stocks is possible), else empty."""
        years = self._age_years()
        return years if self.facts.year in years and len(years) >= 2 else []

    def _any_projection(self) -> tuple[list[Gap], str]:
        """Cohort-component when the components allow it; else Hamilton–Perry from ≥ 2 stocks by age (note)."""
        components = self._projection()
        if not components:
            return [], ""
        stocks = self._stock_years()
        if stocks:
            return [], (
                f"ohne Bewegungsdaten aus den Einwohnerbeständen nach Alter ({years_text(stocks)}) nach dem "
                "Hamilton–Perry-Verfahren gerechnet (Kohorten-Komponenten-Methode: "
                + "; ".join(g.what for g in components)
                + ")"
            )
        f = self.facts
        with_ages = self._age_years()
        coarse = [y for y in f.population_years if y <= f.year and f.population.kind(y) == "age_groups"]
        if not with_ages and coarse:
            what = (
                f"die Altersgruppen der Einwohner ({years_text(coarse)}) sind zu grob (Gruppen breiter als "
                f"{MAX_BAND_WIDTH} Jahre) oder nicht lückenlos"
            )
        elif not with_ages:
            what = (
                "die Einwohner liegen nicht nach Alter vor (weder Einzelalter noch lückenlose Altersgruppen)"
            )
            dates = [y for y in f.population_years if y <= f.year]
            if len(dates) == 1:
                what = (
                    f"die Einwohner liegen nur zu einem Stichtag ({dates[0]}) und ohne Altersgliederung vor"
                )
        elif f.year not in with_ages:
            what = f"Einwohner nach Alter nicht für das Berichtsjahr {f.year} (nur {years_text(with_ages)})"
        else:
            what = f"Einwohner nach Alter nur zu einem Stichtag ({years_text(with_ages)})"
        return [
            Gap(
                f"keine Prognose möglich: {what}; nötig sind Einwohner nach Alter zu mindestens zwei Stichtagen "
                "(Hamilton–Perry) oder Einwohner nach Einzelaltern mit Bewegungsdaten (Kohorten-Komponenten)",
                f"Einwohnertabellen nach Alter (Altersgruppen genügen) eines früheren Stichtags im Rohdatenordner "
                f"({self.raw}) ergänzen",
            )
        ], ""

    def _stock_backtest(self) -> tuple[list[Gap], str]:
        """The back-test of a projection from stocks needs three reference dates with ages."""
        stocks = self._age_years()
        if len(stocks) >= 3 and self.facts.year in stocks:
            return [], ""
        have = (
            "Einwohner nach Alter zu keinem Stichtag"
            if not stocks
            else f"Einwohner nach Alter nur zu {'einem Stichtag' if len(stocks) == 1 else f'{len(stocks)} Stichtagen'}"
            f" ({years_text(stocks)})"
        )
        return [
            Gap(
                f"{have}; die Rückrechnung braucht mindestens drei Stichtage bis zum Berichtsjahr",
                f"Einwohnertabellen nach Alter früherer Stichtage im Rohdatenordner ({self.raw}) ergänzen",
            )
        ], ""

    def _backtest(self) -> list[Gap]:
        """Population at the back-test's base year and the year before, movements up to the base year."""
        f, raw = self.facts, self.raw
        if self.backtest_span is None:
            return [self.config_gaps["projection"]]
        base = f.year - self.backtest_span
        gaps = []
        if "events" not in f.tables:
            gaps.append(_table_gap(["events"], raw))
        elif not [y for y in f.event_years if y <= base]:
            gaps.append(
                Gap(
                    f"Bevölkerungsbewegungen bis {base} nötig, vorhanden: {years_text(f.event_years)}",
                    f"bewegungen.csv mit den Jahren bis {base} im Rohdatenordner ({raw}) ergänzen",
                )
            )
        need = [base - 1, base]
        lacking = [y for y in need if y not in f.population_years]
        coarse = [y for y in need if y in f.population_years and not f.population.single_years_by_sex(y)]
        if coarse:
            gaps.append(
                Gap(
                    f"sie braucht Einwohner nach Einzelaltern und Geschlecht für {years_text(need)}, vorhanden "
                    f"für {years_text(coarse)}: "
                    + " bzw. ".join(dict.fromkeys(f.population.words(y) for y in coarse)),
                    f.population.age_remedy(coarse[0]),
                )
            )
        if lacking:
            gaps.append(
                Gap(
                    f"sie beginnt {self.backtest_span} Jahre vor dem Berichtsjahr ({base}) und braucht Einwohner "
                    f"für {years_text(need)}, vorhanden: {years_text(f.population_years)}",
                    f"einwohner_<Jahr>.csv für {years_text(lacking)} im Rohdatenordner ({raw}) ergänzen",
                )
            )
        return gaps

    def _single_ages(self) -> list[Gap]:
        lo, hi = SINGLE_AGES
        if "population" not in self.facts.tables:
            return [_table_gap(["population"], self.raw)]
        coarse = self.facts.population.single_years_gap(self.facts.year)
        if coarse:  # totals, age groups or no breakdown by sex in the reporting year
            return [Gap(*coarse)]
        if not set(range(lo, hi + 1)) <= self.facts.ages:
            return [
                Gap(
                    f"die Einwohner liegen nicht nach Einzelaltern vor (nicht jedes Alter von {lo} bis {hi})",
                    self.facts.population.age_remedy(self.facts.year)
                    if self.facts.population.source
                    else f"Spalte „Alter“ der Dateien einwohner_<Jahr>.csv in Einzeljahren liefern ({self.raw})",
                )
            ]
        return []


def assess(
    cfg: ReportConfig,
    dataset=None,
    chapters: tuple[str, ...] | list[str] | None = None,
    *,
    published: bool = False,
) -> Availability:
    """What the processed data of report ``cfg`` (:class:`workbench.settings.ReportConfig`) allow.

    Per chapter of the report: its ``INPUTS`` (:func:`missing_inputs`) and its essential :data:`PARTS`; per
    part its :class:`Need` s; per catalogue indicator its numerator and denominator (measures in
    ``counts.parquet`` for the reporting year, population filters) — each with the German reason and the raw
    file or column that would enable it. The profile (``profil``) is assessed as well. ``dataset``: the
    :class:`workbench.io.dataset.Dataset` (default: the report's processed folder); ``chapters``: the chapters
    to assess (default: the report's ``chapters:``); ``published``: the texts go into published pages, so the
    raw folder is named relative to the project, never as an absolute path (``data_raw`` when it lies outside).
    """

    ds = dataset if dataset is not None else Dataset(cfg.paths.processed)
    source = source_label(cfg.extra.get("sources"))
    raw = _raw_label(cfg, published)
    facts = _read_facts(ds, int(cfg.reporting_year), source=source, raw=raw)
    ctx = _Context(cfg, facts, published)
    titles = chapter_titles(cfg)
    year_gap = Gap(
        f"für das Berichtsjahr {facts.year} gibt es keine Einwohnerdaten (vorhanden: "
        f"{years_text(facts.population_years)})",
        f"einwohner_{facts.year}.csv im Rohdatenordner ({ctx.raw}) ergänzen oder reporting_year in der "
        "Berichtskonfiguration auf ein vorhandenes Jahr setzen",
    )
    parts: list[Item] = []
    for part in PARTS:
        gaps: list[Gap] = []
        notes: list[str] = []
        for need in part.needs:
            g, note = ctx.check(need)
            gaps += [x for x in g if x not in gaps]
            if note:
                notes.append(note)
        parts.append(
            Item(
                "part",
                f"{part.chapter}.{part.key}",
                part.label,
                part.chapter,
                tuple(gaps),
                part.essential,
                "; ".join(notes) if not gaps else "",
            )  # fmt: skip
        )

    def chapter_item(name: str) -> Item:
        title = titles.get(name, {}).get("title") or ("Sozialraumprofile" if name == "profil" else name)
        missing = missing_inputs(name, ds)
        gaps: list[Gap] = [_table_gap(missing, ctx.raw)] if missing else []
        if facts.population_years and facts.year not in facts.population_years:
            gaps.append(year_gap)
        tables = {_table_gap([t], ctx.raw) for t in missing}
        for p in parts:
            if p.chapter == name and p.essential and not p.ok:
                gaps += [Gap(f"{p.label}: {g.what}", g.remedy) for g in p.gaps if g not in tables]
        return Item("chapter", name, title, name, tuple(gaps))

    indicators = tuple(
        Item(
            "indicator",
            ind.id,
            ind.label,
            ind.topic,
            tuple(_indicator_gaps(ind, facts, [facts.year], ctx.raw, ctx.sources)),
        )
        for ind in ctx.catalogue
    )
    by_key = {item.key: item for item in indicators}

    def indicator_chapter_item(name: str) -> Item:
        """A chapter that shows only catalogue indicators (Soziale Lage) is left out when none of them is
        computable: an empty chapter of dashes helps nobody."""
        item = chapter_item(name)
        if name not in INDICATOR_CHAPTERS or not item.ok:
            return item
        ids = titles.get(name, {}).get("indicators") or [i.id for i in ctx.catalogue if i.topic == name]
        own = [by_key[i] for i in ids if i in by_key]
        if own and not any(i.ok for i in own):
            gap = Gap(
                f"keiner der {len(own)} Indikatoren des Kapitels ist mit diesen Daten berechenbar",
                "die Daten eines der Indikatoren liefern (workbench check nennt je Indikator die fehlende Datei)",
            )
            return Item("chapter", name, item.label, name, (gap,))
        return item

    chapters_ = tuple(indicator_chapter_item(n) for n in (cfg.chapters if chapters is None else chapters))
    return Availability(
        city=cfg.city,
        year=facts.year,
        years=facts.population_years,
        n_areas=facts.n_areas,
        tables=tuple(sorted(facts.tables, key=list(ds.FILES).index)),
        chapters=chapters_,
        parts=tuple(parts),
        indicators=indicators,
        profile=chapter_item("profil"),
        population=facts.population,
    )


def measure_item(
    cfg: ReportConfig,
    key: str,
    label: str,
    measures: tuple[str, ...] | list[str],
    dataset=None,
    *,
    published: bool = False,
) -> Item:
    """Availability of a chapter part ``key`` (German ``label``) that needs count ``measures`` in the reporting
    year — like an indicator's numerator and denominator in :func:`assess`: the German reason and the raw file
    and column that would enable each missing measure. For parts outside :data:`PARTS`, e.g. the household
    size of the chapter „Wohnen“ (measure ``households``, which no catalogue indicator uses)."""
    ds = dataset if dataset is not None else Dataset(cfg.paths.processed)
    facts = _read_facts(ds, int(cfg.reporting_year))
    raw = _raw_label(cfg, published)
    if "counts" not in facts.tables:
        gaps = [_table_gap(["counts"], raw)]
    else:
        gaps = _measure_gaps(measures, facts, [facts.year], raw, _measure_sources())
    return Item("part", key, label, key.partition(".")[0], tuple(gaps))
