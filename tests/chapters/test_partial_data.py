"""Chapters on partial data: every chapter the availability rules call buildable builds, leaves out only what the
data do not allow and says so in German, with the reason and the raw file of ``workbench check``.

The partial cities are copies of the 12-area demo city with tables removed, years dropped and measures dropped.
Fast tests build every model and call every view; the slow test runs the real notebooks and audits the pages.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

from workbench import settings
from workbench.chapters import (
    assess,
    context,
    demography,
    housing,
    monitoring,
    population,
    profile,
    quality,
    social,
    youth,
)
from workbench.chapters import profile_figures as pf
from workbench.chapters.notes import NOTHING, Note
from workbench.confidentiality.audit import audit_path
from workbench.io.dataset import Dataset

ROOT = Path(__file__).resolve().parents[2]
ALL = [
    "bevoelkerung",
    "soziale_lage",
    "monitoring",
    "demografie",
    "kinder_jugend",
    "wohnen",
    "datenqualitaet",
]
EVENT_MEASURES = ("births", "deaths", "in_ext", "out_ext", "in_int", "out_int")
TRENDS_1 = (
    "Ohne Zeitreihen und Trends: nur 1 Jahr mit Daten (2024), nötig sind mindestens 3 – Einwohner- und "
    "Fallzahldateien von mindestens 2 früheren Jahren im Rohdatenordner (data_raw) ergänzen."
)
SINGLE_PARENTS = (
    "Indikator „Anteil Alleinerziehender“ nicht berechenbar: Maß single_parent_hh fehlt in counts.parquet – "
    "Spalte „Alleinerziehende“ der Datei haushalte.csv im Rohdatenordner (data_raw) ergänzen."
)


def make_city(
    root: Path,
    small_processed: Path,
    *,
    drop: tuple[str, ...] = (),
    years: list[int] | None = None,
    drop_measures: tuple[str, ...] = (),
) -> Path:
    """A copy of the small demo city with tables removed, years kept and measures dropped; its report config.

    The projection config leaves out the scenario with new-build areas of the 40-area demo city."""
    proc = root / "processed"
    shutil.copytree(small_processed, proc, ignore=shutil.ignore_patterns("cache"))
    for table in drop:
        (proc / Dataset.FILES[table]).unlink()
    for table in ("population", "counts", "events"):
        path = proc / Dataset.FILES[table]
        if path.exists():
            df = pd.read_parquet(path)
            if years is not None:
                df = df[df["year"].isin(years)]
            if table == "counts":
                df = df[~df["measure"].isin(drop_measures)]
            df.to_parquet(path, index=False)
    proj = yaml.safe_load((ROOT / "config" / "projection.yaml").read_text(encoding="utf-8"))
    proj["scenarios"] = [s for s in proj["scenarios"] if not s.get("extra_in_migrants")]
    (root / "projection.yaml").write_text(yaml.safe_dump(proj, allow_unicode=True), encoding="utf-8")
    cfg = root / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": 2024,
                "data_raw": str(root / "raw"),
                "data_processed": str(proc),
                "reports": str(root / "reports"),
                "chapters": ALL,
                "config_files": {"projection": str(root / "projection.yaml")},
            }
        ),
        encoding="utf-8",
    )
    return cfg


def views_of(name: str, m) -> dict[str, object]:
    """Every view of chapter ``name``'s model, called as its notebook calls it (label → result)."""
    out: dict[str, object] = {}

    def call(label, f, *args, **kw):
        out[label] = f(*args, **kw)

    if name == "bevoelkerung":
        for v in ("summary", "change_map", "overview_table", "pyramid", "age_group_table"):
            call(v, getattr(m, v))
        call("overview_table stadtbezirk", m.overview_table, level="stadtbezirk")
    elif name == "soziale_lage":
        call("overview", m.overview)
        for ind in m.indicators:
            for v in (
                "heading",
                "significance_map",
                "dot_chart",
                "trend_chart",
                "trend_text",
                "indicator_table",
            ):
                call(f"{ind.id} {v}", getattr(m.views, v), ind)
    elif name == "monitoring":
        for v in (
            "summary",
            "ranking",
            "changes_text",
            "changes_table",
            "deprivation_text",
            "deprivation_map",
        ):
            call(v, getattr(m, v))
        for v in ("typology_map", "typology_text"):
            call(v, getattr(m, v))
        for kind in ("status", "dynamic", "overlay"):
            call(f"map {kind}", m.map, kind)
    elif name == "demografie":
        for v in ("balance_text", "city_series_chart", "balance_table", "rules_text", "projection_text"):
            call(v, getattr(m, v))
        for v in ("scenario_chart", "city_pyramid", "projection_table", "scenario_list_text"):
            call(v, getattr(m, v))
        for v in ("backtest_text", "backtest_map", "backtest_table", "method_text"):
            call(v, getattr(m, v))
        for v in ("evaluation_text", "evaluation_table", "band_chart", "band_table"):
            call(v, getattr(m, v))
        for ind in m.age_indicators:
            call(f"map {ind}", m.age_indicator_map, ind)
            call(f"text {ind}", m.age_indicator_text, ind)
        for group in m.map_groups:
            call(f"change {group}", m.change_map, group)
    elif name == "kinder_jugend":
        call("kita_summary", m.kita_summary)
        call("demand_text", m.demand_text)
        call("demand_table", m.demand_table)
        for g in m.demand_groups:
            call(f"demand evaluation {g}", m.demand_evaluation_table, g)
        for g in ("u3", "ue3"):
            call(f"gap map {g}", m.kita_gap_map, g)
            call(f"kita table {g}", m.kita_table, g)
        for v in ("summary", "significance_map", "dot_chart"):
            call(f"hze {v}", getattr(m.views, v), m.hze())
        for v in ("quadrant_text", "quadrant_chart", "family_table", "facility_map"):
            call(v, getattr(m, v))
    elif name == "wohnen":
        for v in ("summary", "household_size_map", "residence_summary", "residence_dot_chart"):
            call(v, getattr(m, v))
        call("map wohndauer", m.indicator_map, "wohndauer", palette="sequential_green")
        call("map umzugsvolumen", m.indicator_map, "umzugsvolumen", palette="sequential_orange")
        call(
            "map wanderungssaldo",
            m.indicator_map,
            "wanderungssaldo",
            palette="diverging_blue_red",
            scheme="natural_breaks",
        )
        for v in ("mobility_trend_chart", "table"):
            call(v, getattr(m, v))
    elif name == "datenqualitaet":
        for v in ("files_table", "warnings_text", "coverage_table", "suppression_text", "suppression_table"):
            call(v, getattr(m, v))
        for v in ("statistics_text", "indicator_methods_table", "confidentiality_text", "index_text"):
            call(v, getattr(m, v))
        call("projection_text", m.projection_text)
    else:
        raise KeyError(name)
    for value in out.values():
        assert isinstance(value, Figure | str), type(value)
        if isinstance(value, Figure):
            plt.close(value)
    return out


MODULES = {
    "bevoelkerung": population,
    "soziale_lage": social,
    "monitoring": monitoring,
    "demografie": demography,
    "kinder_jugend": youth,
    "wohnen": housing,
    "datenqualitaet": quality,
}


def build_all(cfg: Path) -> tuple[context.Chapter, dict[str, dict[str, object]]]:
    """The chapter context and the views of every chapter the availability rules call buildable."""
    ch = context.Chapter(cfg)
    built = {}
    for name in assess(ch.cfg, ch.ds).buildable_chapters():
        built[name] = views_of(name, MODULES[name].build(ch))
    return ch, built


def profile_parts(ch: context.Chapter, area: str) -> dict[str, str]:
    """Every part of the profile of ``area``, in the order of the notebook."""
    p = profile.build(ch, area)
    parts = {v: getattr(p, v)() for v in ("title_markdown", "findings", "steckbrief_html")}
    parts.update({f"pf.{v}": getattr(pf, v)(p) for v in ("location", "spine", "trends", "pyramid")})
    parts.update({"monitoring_html": p.monitoring_html(), "pf.facility": pf.facility(p)})
    parts["facility_html"] = p.facility_html()
    return parts


def text(html: str) -> str:
    """Text of an HTML fragment, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# --------------------------------------------------------------------------------------- one year, no events
@pytest.fixture(scope="module")
def one_year(small_processed, tmp_path_factory):
    """Population and counts of 2024 only, no movements, no facilities, no single-parent households."""
    cfg = make_city(
        tmp_path_factory.mktemp("one_year"),
        small_processed,
        drop=("events", "facilities"),
        years=[2024],
        drop_measures=("single_parent_hh",),
    )
    ch, built = build_all(cfg)
    yield ch, built
    settings.activate(None)


def test_indicators_hold_only_what_the_data_allow(one_year):
    ch, _ = one_year
    ids = set(ch.indicators["indicator"])
    assert "alleinerziehende" not in ids and {"sgb2_quote", "kinderarmut", "hze_dichte"} <= ids
    assert ch.computable_indicators() == [i for i in ch.catalogue.ids if i != "alleinerziehende"]
    assert ch.left_out("alleinerziehende") == SINGLE_PARENTS
    assert ch.left_out("sgb2_quote") == NOTHING
    # the same wording as `workbench check` and the Datenqualität chapter
    item = ch.item("alleinerziehende")
    assert (
        ch.left_out_sentence("alleinerziehende")
        == f"Indikator „{item.label}“ nicht berechenbar: {item.reason}."
    )
    assert (
        f"- Indikator „Anteil Alleinerziehender“ nicht berechenbar: {item.reason}."
        in quality.left_out_text(ch.availability)
    )


def test_every_buildable_chapter_builds_on_one_year(one_year):
    ch, built = one_year
    assert list(built) == [
        "bevoelkerung",
        "soziale_lage",
        "monitoring",
        "demografie",
        "wohnen",
        "datenqualitaet",
    ]
    assert ch.availability.profile.ok  # facilities are a part of the profile, not an input


def test_population_without_change(one_year):
    _, built = one_year
    v = built["bevoelkerung"]
    assert v["change_map"] == (
        "Ohne Veränderung der Einwohnerzahl: nur 1 Jahr mit Daten (2024), nötig sind mindestens 2 – Einwohner- "
        "und Fallzahldateien von mindestens 1 früheren Jahr im Rohdatenordner (data_raw) ergänzen."
    )
    assert isinstance(v["change_map"], Note)
    assert v["summary"].startswith("Zum 31.12.2024 lebten in Kleinstadt **")
    assert "Seit" not in v["summary"] and "0 von 12" not in v["summary"]
    assert "Veränderung" not in v["overview_table"] and 'data-wb-col="Einwohner 2024"' in v["overview_table"]
    assert "<caption>Einwohner je Sozialraum am 31.12.2024 und Anteile in %</caption>" in v["overview_table"]
    assert isinstance(v["pyramid"], str) and v["pyramid"].startswith("<svg")  # inline SVG (protected bands)


def test_social_situation_without_trends_and_one_indicator(one_year):
    _, built = one_year
    v = built["soziale_lage"]
    assert "| Anteil Alleinerziehender | nicht berechenbar | x | x | x |" in v["overview"]
    assert v["alleinerziehende heading"].endswith(SINGLE_PARENTS)
    for view in ("significance_map", "dot_chart", "trend_chart", "trend_text", "indicator_table"):
        assert v[f"alleinerziehende {view}"] == NOTHING  # one sentence per indicator, in its heading
    assert v["sgb2_quote trend_chart"] == TRENDS_1 and isinstance(v["sgb2_quote trend_chart"], Note)
    assert v["sgb2_quote trend_text"] == NOTHING  # the chart's place already says why
    assert isinstance(v["sgb2_quote significance_map"], Figure) and isinstance(
        v["sgb2_quote dot_chart"], Figure
    )
    assert 'data-wb-table="sgb2_quote-sozialraum-2024"' in v["sgb2_quote indicator_table"]


def test_monitoring_status_only(one_year):
    _, built = one_year
    v = built["monitoring"]
    assert isinstance(v["map status"], Figure)
    for kind in ("dynamic", "overlay"):
        assert isinstance(v[f"map {kind}"], Note)
        assert v[f"map {kind}"] == (
            "Ohne Dynamik-Index und Gesamtindex (12 Gruppen): die Dynamik ist eine Veränderung und braucht Daten "
            "zu zwei Zeitpunkten (2022 und 2024); vorhanden: 2024 – Einwohner- und Fallzahldateien für 2022 im "
            "Rohdatenordner (data_raw) ergänzen. Gezeigt wird nur der Status-Index."
        )
    assert v["changes_text"] == (
        "Ohne Klassenwechsel gegenüber dem Vorjahr: für 2023 liegen keine Daten vor (vorhanden: 2024) – "
        "Einwohner- und Fallzahldateien für 2023 im Rohdatenordner (data_raw) ergänzen."
    )
    assert v["changes_table"] == "" and "Dynamik-Index</th>" not in v["ranking"]


def test_housing_on_one_year(one_year):
    _, built = one_year
    v = built["wohnen"]
    assert v["mobility_trend_chart"] == TRENDS_1
    assert isinstance(v["household_size_map"], Figure) and isinstance(v["map umzugsvolumen"], Figure)
    assert "Wanderungssaldo je 1.000" in v["table"]


def test_quality_names_what_is_left_out(one_year):
    _, built = one_year
    v = built["datenqualitaet"]
    assert "Anteil Alleinerziehender" not in text(v["coverage_table"]).split("Nicht berechenbar")[0]
    assert "Nicht berechenbar und daher nicht aufgeführt: Anteil Alleinerziehender" in v["coverage_table"]
    assert (
        "- Indikator „Anteil Alleinerziehender“ nicht berechenbar: Maß single_parent_hh" in v["warnings_text"]
    )
    assert (
        "- Sozialraumprofile ohne Einrichtungen: es fehlen Einrichtungen (facilities.gpkg)"
        in v["warnings_text"]
    )


def test_published_tables_pass_the_audit(one_year, tmp_path):
    _, built = one_year
    tables = [
        value
        for views in built.values()
        for value in views.values()
        if isinstance(value, str) and "data-wb-table" in value
    ]
    assert len(tables) > 10
    page = tmp_path / "seite.html"
    page.write_text('<html lang="de"><body>' + "\n".join(tables) + "</body></html>", encoding="utf-8")
    assert audit_path(tmp_path) == []


def test_profile_on_one_year_without_facilities(one_year, tmp_path):
    ch, _ = one_year
    parts = profile_parts(ch, "0101")
    steckbrief = parts["steckbrief_html"]
    assert "Anteil Alleinerziehender" not in text(steckbrief).split("Werte in der Einheit")[0]
    assert f'<p class="wb-footnote">{SINGLE_PARENTS}</p>' in steckbrief
    assert parts["pf.trends"] == (
        "Ohne Entwicklung der sozialen Lage: nur 1 Jahr mit Daten (2024), nötig sind mindestens 3 – Einwohner- "
        "und Fallzahldateien von mindestens 2 früheren Jahren im Rohdatenordner (data_raw) ergänzen."
    )
    assert parts["pf.facility"] == (
        "Ohne Einrichtungen: es fehlen Einrichtungen (facilities.gpkg) – Datei einrichtungen.csv im "
        "Rohdatenordner (data_raw) ergänzen."
    )
    assert parts["facility_html"] == NOTHING
    mon = parts["monitoring_html"]
    assert 'data-wb-table="monitoring-0101-2024"' in mon and "Dynamik-Index" not in text(mon).split("Ohne")[0]
    assert "Status-Index" in mon and "Ohne Dynamikklasse im Sozialraum-Monitoring: die Dynamik ist" in mon
    for key in ("pf.location", "pf.spine", "pf.pyramid"):
        assert parts[key].startswith("<svg")
    page = tmp_path / "profil.html"
    page.write_text(f'<html lang="de"><body>{steckbrief}{mon}</body></html>', encoding="utf-8")
    assert audit_path(tmp_path) == []


def test_display_of_notes(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    context.Chapter.figure(Note("Ohne Karte."))
    context.Chapter.table(Note("Ohne Tabelle."))
    context.Chapter.text(NOTHING)
    context.Chapter.figure(NOTHING)
    pf.show(Note("Ohne Grafik."))
    pf.show(NOTHING)
    context.Chapter.text("")  # an empty text that is no note is displayed as before
    assert [type(o).__name__ for o in shown] == ["Markdown", "Markdown", "Markdown", "Markdown"]
    assert [o.data for o in shown] == ["Ohne Karte.", "Ohne Tabelle.", "Ohne Grafik.", ""]


# ------------------------------------------------------------------------------------- two and three years
def test_two_years_draw_the_change_since_the_first(small_processed, tmp_path):
    cfg = make_city(tmp_path, small_processed, drop=("facilities",), years=[2023, 2024])
    try:
        ch = context.Chapter(cfg)
        v = views_of("bevoelkerung", population.build(ch))
    finally:
        settings.activate(None)
    assert isinstance(v["change_map"], Figure)  # the change 2023–2024, not 2019–2024 (missing)
    assert (
        "Seit 31.12.2023 ist die Stadt um" in v["summary"] and "Veränderung 2023–2024" in v["overview_table"]
    )


def test_three_years_draw_trends_without_the_trend_test(small_processed, tmp_path):
    cfg = make_city(tmp_path, small_processed, years=[2022, 2023, 2024])
    try:
        ch, built = build_all(cfg)
        parts = profile_parts(ch, "0101")
    finally:
        settings.activate(None)
    assert list(built) == [
        "bevoelkerung",
        "soziale_lage",
        "monitoring",
        "demografie",
        "kinder_jugend",
        "wohnen",
        "datenqualitaet",
    ]
    v = built["soziale_lage"]
    assert isinstance(v["sgb2_quote trend_chart"], Figure)
    assert v["sgb2_quote trend_text"] == (
        "Hinweis zu Zeitreihen und Trends: Trendgrafiken mit 3 Jahren; der Trendtest (χ², 99,8 %) des Berichts "
        "nutzt 5 Zeitpunkte und bleibt bis dahin „nicht berechenbar“."
    )
    assert isinstance(built["monitoring"]["map dynamic"], Figure)  # 2022 and 2024: the dynamic index exists
    # movements 2023 and 2024: cohort-component, back-tested from 2023 only; no three-year window
    d = built["demografie"]
    assert "Kohorten-Komponenten-Methode" in d["method_text"] and d["backtest_text"] == NOTHING
    assert "nach 1 Jahr im Mittel um" in d["evaluation_text"]
    assert parts["pf.trends"].startswith("<svg") and "Ohne" not in text(parts["monitoring_html"])


# ------------------------------------------------------------------------------------- missing measures
def test_housing_without_households_and_movements(small_processed, tmp_path):
    cfg = make_city(
        tmp_path,
        small_processed,
        drop=("events",),
        years=[2024],
        drop_measures=("households", *EVENT_MEASURES),
    )
    try:
        ch, built = build_all(cfg)
    finally:
        settings.activate(None)
    v = built["wohnen"]
    households = (
        "Ohne Haushalte und Haushaltsgröße: Maß households fehlt in counts.parquet – Spalte „Haushalte“ der "
        "Datei haushalte.csv im Rohdatenordner (data_raw) ergänzen."
    )
    assert v["household_size_map"] == households
    assert v["map umzugsvolumen"].startswith(
        "Indikator „Umzugsvolumen“ nicht berechenbar: Maß in_ext fehlt in counts.parquet – Spalte „Zuzuege“"
    )
    assert v["map wanderungssaldo"].startswith("Indikator „Wanderungssaldo“ nicht berechenbar")
    assert v["mobility_trend_chart"] == NOTHING  # the Umzugsvolumen map says why
    assert isinstance(v["map wohndauer"], Figure)
    table = v["table"]
    for column in ("Haushalte", "Personen je Haushalt", "Umzugsvolumen je 1.000", "Wanderungssaldo je 1.000"):
        assert f'data-wb-col="{column}"' not in table
    assert 'data-wb-col="Haushalte mit Kindern"' in table and 'data-wb-col="Wohndauer über 5 Jahre"' in table
    assert households in text(table)
    assert "| nicht berechenbar | x" not in built["soziale_lage"]["overview"]  # Alleinerziehende are there


def test_youth_without_single_parents_and_hze(small_processed, tmp_path):
    cfg = make_city(
        tmp_path, small_processed, years=[2023, 2024], drop_measures=("single_parent_hh", "hze_cases")
    )
    try:
        _, built = build_all(cfg)
    finally:
        settings.activate(None)
    v = built["kinder_jugend"]
    assert v["quadrant_text"] == SINGLE_PARENTS and v["quadrant_chart"] == NOTHING
    assert v["hze summary"].startswith("Indikator „HzE-Dichte“ nicht berechenbar: Maß hze_cases fehlt")
    assert v["hze significance_map"] == NOTHING and v["hze dot_chart"] == NOTHING
    table = v["family_table"]
    assert 'data-wb-col="Kinderarmut (%)"' in table and 'data-wb-col="Alleinerziehende (%)"' not in table
    assert "HzE je 1.000" not in table.split("wb-footnote")[0] and "Lage (Alleinerz." not in table
    assert SINGLE_PARENTS in text(table)
    assert isinstance(v["gap map u3"], Figure) and isinstance(v["facility_map"], Figure)


def test_demography_without_some_indicators(small_processed, tmp_path):
    cfg = make_city(
        tmp_path,
        small_processed,
        drop=("facilities",),
        drop_measures=("single_parent_hh", "hze_cases", "residence_5y"),
    )
    try:
        ch, built = build_all(cfg)
        parts = profile_parts(ch, "0102")
    finally:
        settings.activate(None)
    assert list(built) == [
        "bevoelkerung",
        "soziale_lage",
        "monitoring",
        "demografie",
        "wohnen",
        "datenqualitaet",
    ]
    assert isinstance(built["demografie"]["map jugendquotient"], Figure)
    assert built["wohnen"]["residence_summary"].startswith("Indikator „Anteil mit Wohndauer über 5 Jahre“")
    assert built["wohnen"]["map wohndauer"] == NOTHING and built["wohnen"]["residence_dot_chart"] == NOTHING
    assert parts["pf.trends"].startswith("<svg") and parts["pf.facility"].startswith("Ohne Einrichtungen")


def test_demography_on_one_date_says_why_there_is_no_projection(one_year, tmp_path):
    _, built = one_year
    v = built["demografie"]
    assert v["method_text"].startswith(
        "Keine Bevölkerungsprognose möglich: Die Einwohner nach Alter liegen nur zu"
    )
    assert "(2024)" in v["method_text"]
    for view in ("projection_text", "scenario_chart", "projection_table", "band_table", "band_chart"):
        assert v[view] == NOTHING, view
    assert v["balance_text"].startswith("Ohne Geburten, Sterbefälle und Wanderungen: es fehlen")
    assert "keine Rückrechnung möglich" in v["evaluation_text"]
    assert isinstance(v["map jugendquotient"], Figure)


def test_demography_and_demand_from_stocks_alone(small_processed, tmp_path):
    """Without movements but with the population at six dates: Hamilton–Perry, bands from its back-test."""
    cfg = make_city(tmp_path, small_processed, drop=("events",))
    try:
        ch = context.Chapter(cfg)
        m = demography.build(ch)
        v = views_of("demografie", m)
    finally:
        settings.activate(None)
    assert m.choice.method == "hamilton-perry" and m.projection.method == "hamilton-perry"
    assert (
        "Bewegungsdaten (Geburten, Sterbefälle, Wanderungen je Sozialraum und Alter) fehlen"
        in v["method_text"]
    )
    assert "(Hamilton–Perry-Verfahren (Kohortenveränderungsraten aus Beständen))" in v["projection_text"]
    assert "Hamilton–Perry-Verfahren, Stichtage" in v["projection_table"]
    assert v["backtest_text"] == NOTHING and v["city_pyramid"].startswith("Keine Alterspyramide")
    # the bands of the table are the back-test's: 80 % quantile of the errors of areas of the same size
    ev = m.evaluation
    assert ev.method == "hamilton-perry" and ev.max_horizon == 4
    assert "Im Rückblick lag die Vorausberechnung (Hamilton–Perry-Verfahren" in v["evaluation_text"]
    assert "MAPE Einwohnerzahl konstant" in v["evaluation_table"]
    assert isinstance(v["band_chart"], Figure)
    for view in ("projection_table", "band_table", "evaluation_table"):
        f = tmp_path / f"{view}.html"
        f.write_text(f"<html><body>{v[view]}</body></html>", encoding="utf-8")
        assert audit_path(f) == [], view


def test_no_indicator_computable(small_processed, tmp_path):
    """Counts without any measure of the catalogue: population indicators only, the chapters still build."""
    cfg = make_city(tmp_path, small_processed)
    proc = tmp_path / "processed"
    counts = pd.read_parquet(proc / "counts.parquet")
    counts[counts["measure"] == "households"].to_parquet(proc / "counts.parquet", index=False)
    try:
        ch = context.Chapter(cfg)
        ids = set(ch.indicators["indicator"])
        m = social.build(ch)
        v = views_of("soziale_lage", m)
    finally:
        settings.activate(None)
    assert ids == {"auslaender", "jugendquotient", "altenquotient", "hochbetagte"}
    assert v["overview"].count("| nicht berechenbar | x") == len(m.indicators) > 0
    headings = [value for key, value in v.items() if key.endswith("heading")]
    assert len(headings) == len(m.indicators) and all("nicht berechenbar: Maß" in h for h in headings)


# ------------------------------------------------------------------------------------------- real notebooks
@pytest.mark.slow
def test_notebooks_on_a_partial_city(small_processed, tmp_path):
    """The real notebooks of every buildable chapter and two profiles on one year without facilities; the
    published pages carry the German sentences and pass the confidentiality audit."""
    from workbench.build import profiles as profile_build
    from workbench.build import report as reportbuild

    cfg = make_city(
        tmp_path,
        small_processed,
        drop=("events", "facilities"),
        years=[2024],
        drop_measures=("single_parent_hh",),
    )
    reports = tmp_path / "reports"
    try:
        pages = {name: reportbuild.build_chapter(name, cfg).read_text(encoding="utf-8") for name in ALL}
        code = profile_build.build_profiles(cfg, workers=1, areas="0101,0102")
        reportbuild.build_index(cfg)
    finally:
        settings.activate(None)
    assert code == 0
    assert "Ohne Veränderung der Einwohnerzahl: nur 1 Jahr mit Daten (2024)" in pages["bevoelkerung"]
    assert "Ohne Zeitreihen und Trends: nur 1 Jahr mit Daten (2024)" in pages["soziale_lage"]
    assert "Indikator „Anteil Alleinerziehender“ nicht berechenbar" in pages["soziale_lage"]
    assert "Ohne Dynamik-Index und Gesamtindex (12 Gruppen)" in pages["monitoring"]
    assert "Ohne Klassenwechsel gegenüber dem Vorjahr" in pages["monitoring"]
    assert "Keine Bevölkerungsprognose möglich" in pages["demografie"]  # one date, no movements
    assert "Ohne Geburten, Sterbefälle und Wanderungen" in pages["demografie"]
    assert "Was die vorhandenen Daten nicht erlauben" in pages["datenqualitaet"]
    for name, page in pages.items():
        assert "Traceback" not in page and 'data-mime-type="application/vnd.jupyter.stderr"' not in page, name
        assert str(tmp_path) not in page, name
    profile_page = (reports / "profiles" / "0101.html").read_text(encoding="utf-8")
    assert "Ohne Einrichtungen: es fehlen Einrichtungen (facilities.gpkg)" in profile_page
    assert "Ohne Entwicklung der sozialen Lage" in profile_page and "Traceback" not in profile_page
    assert audit_path(reports) == []
