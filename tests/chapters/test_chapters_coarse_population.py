"""Chapters, profiles and `workbench check` on a population by totals or by age groups only (a population by
mapping, docs/DATA_CONTRACT.md „Coarser population“).

The coarse cities are the 12-area demo city with its population summed: per area and year to one all-ages row
(totals), or to the groups 0–17, 18–64, 65 and older (age groups) — so the right values are those of the full
data wherever the coarse detail determines them, and "not computable" (with the German reason of
``workbench check``) everywhere else.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

from workbench import settings
from workbench.build import availability
from workbench.chapters import PopulationDetail, context, housing, population, profile, quality, social
from workbench.chapters import profile_figures as pf
from workbench.chapters.notes import Note
from workbench.confidentiality.audit import audit_path
from workbench.indicators import Term, compute, load_catalogue
from workbench.vocabulary import AGE_ALL, ALL

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = [
    "bevoelkerung",
    "soziale_lage",
    "monitoring",
    "demografie",
    "kinder_jugend",
    "wohnen",
    "datenqualitaet",
]
GROUPS = [(0, 17), (18, 64), (65, 100)]
YEARS = "2019–2024"


def coarse_city(root: Path, small_processed: Path, detail: str) -> Path:
    """The small demo city with its population as totals (``detail="total"``) or age groups; its config."""
    proc = root / "processed"
    shutil.copytree(small_processed, proc, ignore=shutil.ignore_patterns("cache"))
    full = pd.read_parquet(proc / "population.parquet")
    tot = full.groupby(["area_id", "year"], as_index=False)["count"].sum()
    tot = tot.assign(sex=ALL, age=AGE_ALL, nationality=ALL)[
        ["area_id", "year", "sex", "age", "nationality", "count"]
    ]
    tot.to_parquet(proc / "population.parquet", index=False)
    if detail == "age_groups":
        parts = []
        for lo, hi in GROUPS:
            sub = (
                full[full["age"].between(lo, hi)].groupby(["area_id", "year"], as_index=False)["count"].sum()
            )
            parts.append(sub.assign(sex=ALL, nationality=ALL, age_from=lo, age_to=hi))
        cols = ["area_id", "year", "sex", "nationality", "age_from", "age_to", "count"]
        pd.concat(parts)[cols].to_parquet(proc / "population_age_groups.parquet", index=False)
    manifest = json.loads((proc / "manifest.json").read_text(encoding="utf-8"))
    years = sorted(int(y) for y in tot["year"].unique())
    manifest.update(
        population_detail=detail,
        population_detail_by_year={str(y): detail for y in years},
        population_by=[],
    )
    (proc / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    cfg = root / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": 2024,
                "data_raw": str(root / "raw"),
                "data_processed": str(proc),
                "reports": str(root / "reports"),
                "chapters": CHAPTERS,
            }
        ),
        encoding="utf-8",
    )
    return cfg


def closed(value):
    if isinstance(value, Figure):
        plt.close(value)
    return value


@pytest.fixture(scope="module")
def totals_city(small_processed, tmp_path_factory):
    cfg = coarse_city(tmp_path_factory.mktemp("totals"), small_processed, "total")
    ch = context.Chapter(cfg)
    yield ch
    settings.activate(None)


@pytest.fixture(scope="module")
def groups_city(small_processed, tmp_path_factory):
    cfg = coarse_city(tmp_path_factory.mktemp("groups"), small_processed, "age_groups")
    ch = context.Chapter(cfg)
    yield ch
    settings.activate(None)


def full_indicators(small_processed: Path) -> pd.DataFrame:
    """The catalogue indicators of the full (single-year) demo data, for the right values."""
    from workbench.io.dataset import Dataset

    ds = Dataset(small_processed)
    return compute(load_catalogue(), ds.population, ds.counts, ds.keys, city_totals=ds.city_totals)


def value(table: pd.DataFrame, indicator: str, unit: str, year: int = 2024) -> float:
    row = table[(table["indicator"] == indicator) & (table["unit_id"] == unit) & (table["year"] == year)]
    return float(row["value"].iloc[0])


# ------------------------------------------------------------------------------------------------ totals only
def test_totals_only_availability(totals_city):
    av = (
        totals_city.availability
    )  # texts for published pages: the raw folder outside the project is "data_raw"
    assert av.buildable_chapters() == [
        "bevoelkerung",
        "soziale_lage",
        "demografie",
        "wohnen",
        "datenqualitaet",
    ]
    ok = {i.key for i in av.indicators if i.ok}
    # whole-population denominators only (plus the households ones)
    assert {"mindestsicherung", "alleinerziehende", "umzugsvolumen", "wanderungssaldo"} <= ok
    assert not ok & {"sgb2_quote", "kinderarmut", "altersarmut", "auslaender", "hochbetagte", "fruchtbarkeit"}
    sgb2 = next(i for i in av.indicators if i.key == "sgb2_quote")
    assert sgb2.reason == (
        "Einwohner 0–64 Jahre nicht bestimmbar: die Einwohner liegen 2024 nur als Gesamtzahl vor (ohne Alter) – "
        "Spalte „Alter“ der Dateien einwohner_<Jahr>.csv im Rohdatenordner (data_raw) in Einzeljahren liefern"
    )
    assert av.population.summary() == (
        f"Die Einwohner liegen nur als Gesamtzahl ({YEARS}) vor, ohne Aufteilung nach Geschlecht und "
        "Staatsangehörigkeit"
    )


def test_check_text_for_a_totals_only_city(totals_city):
    text = " ".join(availability.check(totals_city.cfg).split())
    assert f"Die Einwohner liegen nur als Gesamtzahl ({YEARS}) vor, ohne Aufteilung nach Geschlecht" in text
    assert (
        "Sozial- raum-Monitoring" not in text
        and "Sozialraum-Monitoring (monitoring): - Status-Index:" in text
    )
    assert (
        "Demografie und Bevölkerungsprognose (demografie) ohne Bevölkerungsprognose: keine Prognose möglich: die "
        "Einwohner liegen nicht nach Alter vor" in text
    )
    assert "ohne Alterspyramide: die Einwohner liegen 2024 nur als Gesamtzahl vor" in text
    assert "ohne Altersaufbau: die Einwohner liegen 2024 nur als Gesamtzahl vor" in text
    assert "SGB-II-Quote (sgb2_quote): Einwohner 0–64 Jahre nicht bestimmbar" in text
    assert (
        "Ausländeranteil (auslaender): Einwohner nichtdeutsch nicht bestimmbar: die Einwohner liegen 2024 nicht "
        "nach Staatsangehörigkeit vor – Spalte „Staatsangehörigkeit“ der Dateien einwohner_<Jahr>.csv" in text
    )


def test_remedy_names_the_population_mapping():
    detail = PopulationDetail(kinds={2021: "total"}, source="staedte/x/einwohner.yaml", raw="staedte/x/roh")
    ((what, remedy),) = detail.term_gaps(Term("population", age_min=0, age_max=64), 2021)
    assert (
        what
        == "Einwohner 0–64 Jahre nicht bestimmbar: die Einwohner liegen 2021 nur als Gesamtzahl vor (ohne Alter)"
    )
    assert remedy == (
        "Einwohner 2021 nach Einzelaltern (Spalte age) oder nach Altersgruppen, die 0–64 Jahre ergeben "
        "(age_columns), in der Einwohner-Zuordnung liefern (sources.population: staedte/x/einwohner.yaml)"
    )
    assert detail.term_gaps(Term("population"), 2021) == []


def test_chapters_build_on_totals(totals_city, small_processed, tmp_path):
    ch = totals_city
    m = population.build(ch)
    summary = m.summary()
    assert "lebten in Kleinstadt" in summary and "jünger als 18" not in summary
    pyramid = m.pyramid()
    assert isinstance(pyramid, Note) and pyramid.startswith(
        "Ohne Alterspyramide: die Einwohner liegen 2024 nur als Gesamtzahl vor, nicht nach Einzelaltern"
    )
    assert isinstance(m.age_group_table(), Note) and m.age_group_table().startswith(
        "Ohne Einwohner nach Altersgruppen: die Einwohner liegen 2024 nur als Gesamtzahl vor"
    )
    overview = m.overview_table()
    assert 'data-wb-col="unter 18 Jahre"' not in overview and "Ohne Anteil unter 18 Jahren:" in overview
    assert isinstance(closed(m.change_map()), Figure)

    s = social.build(ch)
    views = s.views
    sgb2 = views.catalogue["sgb2_quote"]
    assert "Einwohner 0–64 Jahre nicht bestimmbar" in views.heading(sgb2)
    mind = views.catalogue["mindestsicherung"]
    assert isinstance(closed(views.dot_chart(mind)), Figure) and "data-wb-table" in views.indicator_table(
        mind
    )
    # the whole population is known: the same values as with single years
    full = full_indicators(small_processed)
    for unit in ("0101", "stadt"):
        assert value(ch.indicators, "mindestsicherung", unit) == pytest.approx(
            value(full, "mindestsicherung", unit)
        )
    assert "sgb2_quote" not in set(ch.indicators["indicator"])

    h = housing.build(ch)
    assert isinstance(closed(h.household_size_map()), Figure) and "data-wb-table" in h.table()

    q = quality.build(ch)
    assert (
        f"- Die Einwohner liegen nur als Gesamtzahl ({YEARS}) vor, ohne Aufteilung nach Geschlecht und "
        "Staatsangehörigkeit." in q.warnings_text()
    )
    assert (
        "- Bevölkerung ohne Alterspyramide: die Einwohner liegen 2024 nur als Gesamtzahl vor"
        in q.warnings_text()
    )

    page = tmp_path / "seite.html"
    tables = [overview, views.indicator_table(mind), h.table(), q.coverage_table()]
    page.write_text('<html lang="de"><body>' + "\n".join(tables) + "</body></html>", encoding="utf-8")
    assert audit_path(tmp_path) == []


def test_profile_builds_on_totals(totals_city, tmp_path):
    ch = totals_city
    profile.warm_caches(ch)
    p = profile.build(ch, "0101")
    steckbrief = p.steckbrief_html()
    assert (
        "Mindestsicherungsquote" in steckbrief and "Indikator „SGB-II-Quote“ nicht berechenbar" in steckbrief
    )
    note = pf.pyramid(p)
    assert isinstance(note, Note) and note.startswith(
        "Ohne Altersaufbau: die Einwohner liegen 2024 nur als Gesamtzahl"
    )
    for part in ("location", "spine", "trends"):
        assert getattr(pf, part)(p)
    assert p.title_markdown().startswith("# Sozialraumprofil 0101")
    page = tmp_path / "profil.html"
    page.write_text(f'<html lang="de"><body>{steckbrief}</body></html>', encoding="utf-8")
    assert audit_path(tmp_path) == []


# ------------------------------------------------------------------------------------------------ age groups
def test_age_groups_city(groups_city, small_processed, tmp_path):
    ch = groups_city
    av = ch.availability
    ok = {i.key for i in av.indicators if i.ok}
    # 0–64 = 0–17 + 18–64; 65+ as a group; 0–14, 15–64, 80+ cut the groups
    assert {"sgb2_quote", "altersarmut", "mindestsicherung"} <= ok
    assert not ok & {"kinderarmut", "alo_quote", "hochbetagte", "jugendquotient"}
    kinder = next(i for i in av.indicators if i.key == "kinderarmut")
    assert (
        "Einwohner 0–14 Jahre nicht bestimmbar: die Altersgruppen 2024 (0–17, 18–64, 65 und älter) ergeben "
        "diesen Altersbereich nicht" in kinder.reason
    )
    full = full_indicators(small_processed)
    for ind in ("sgb2_quote", "altersarmut"):
        for unit in ("0101", "0203", "stadt"):
            assert value(ch.indicators, ind, unit) == pytest.approx(value(full, ind, unit))
    assert av.buildable_chapters() == [
        "bevoelkerung",
        "soziale_lage",
        "demografie",
        "wohnen",
        "datenqualitaet",
    ]

    m = population.build(ch)
    chart = m.pyramid()
    assert isinstance(chart, Figure)
    plt.close(chart)
    table = m.age_group_table()
    assert 'data-wb-col="0 bis 17"' in table and 'data-wb-col="65 und älter"' in table
    summary = m.summary()
    pop = pd.read_parquet(small_processed / "population.parquet")
    cur = pop[pop["year"] == 2024]
    share = 100 * cur.loc[cur["age"] < 18, "count"].sum() / cur["count"].sum()
    assert f"{share:.1f}".replace(".", ",") + "\xa0% der Einwohner sind jünger als 18 Jahre" in summary
    overview = m.overview_table()
    assert 'data-wb-col="unter 18 Jahre"' in overview and "Ohne Anteil nichtdeutscher Einwohner:" in overview
    assert np.isnan(m.city["foreign_pct"])
    page = tmp_path / "seite.html"
    page.write_text(f'<html lang="de"><body>{table}{overview}</body></html>', encoding="utf-8")
    assert audit_path(tmp_path) == []
    # the groups of the data, summed over the areas: the city row of the table
    groups = pd.read_parquet(ch.cfg.paths.processed / "population_age_groups.parquet")
    city_u18 = int(groups.loc[(groups["year"] == 2024) & (groups["age_from"] == 0), "count"].sum())
    assert city_u18 == int(cur.loc[cur["age"] < 18, "count"].sum())
    assert f"{city_u18:,}".replace(",", ".") in table
