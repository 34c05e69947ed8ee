"""What the data allow: chapters, parts, indicators and profile parts of partial cities; `workbench check`;
chapters the data do not allow get a German page instead of failing, and the index names the reason."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from workbench.build import availability
from workbench.build import report as reportbuild
from workbench.chapters import PARTS, quality
from workbench.cli import main
from workbench.confidentiality.audit import audit_path
from workbench.errors import DataValidationError
from workbench.io.dataset import Dataset
from workbench.settings import load_report_config

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
EVENT_MEASURES = ["births", "deaths", "in_ext", "out_ext", "in_int", "out_int"]


def _city(
    tmp_path: Path,
    small_processed: Path,
    *,
    drop: tuple[str, ...] = (),
    years: list[int] | None = None,
    drop_measures: tuple[str, ...] = (),
    relative: bool = False,
):
    """A copy of the 12-area demo city with tables removed, years kept and measures dropped; its report config."""
    proc = tmp_path / "processed"
    shutil.copytree(small_processed, proc, ignore=shutil.ignore_patterns("cache"))
    for table in drop:
        (proc / Dataset.FILES[table]).unlink()
    for table in ("population", "counts", "events"):
        path = proc / Dataset.FILES[table]
        if not path.exists():
            continue
        df = pd.read_parquet(path)
        if years is not None:
            df = df[df["year"].isin(years)]
        if table == "counts" and drop_measures:
            df = df[~df["measure"].isin(drop_measures)]
        df.to_parquet(path, index=False)
    cfg = tmp_path / "report.yaml"
    where = (lambda p: p.name) if relative else str
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": 2024,
                "data_raw": where(tmp_path / "raw"),
                "data_processed": where(proc),
                "reports": where(tmp_path / "reports"),
                "chapters": ALL,
            }
        ),
        encoding="utf-8",
    )
    return cfg


def _bad_parts(av) -> list[str]:
    return [p.key for p in av.parts if not p.ok]


# --------------------------------------------------------------------------------------------- full data
def test_full_demo_city_allows_everything(tmp_path, small_processed):
    cfg = _city(tmp_path, small_processed)
    av = availability.assess_report(cfg)
    assert av.complete and av.years == (2019, 2020, 2021, 2022, 2023, 2024) and av.n_areas == 12
    assert availability.buildable_chapters(cfg) == ALL
    assert _bad_parts(av) == [] and av.left_out_indicators() == [] and av.profile.ok
    assert [p.key for p in av.parts if p.note] == []  # 6 years: the trend test has its 5 points
    text = availability.check(cfg)
    assert "Kapitel, die erstellt werden (7 von 7):" in text
    assert "Kapitel, die ausgelassen werden (0 von 7):\n  keines" in text
    assert "Indikatoren 2024: 23 von 23 berechenbar" in text and "nicht berechenbar" not in text
    # nothing left out: the Datenqualität chapter shows exactly the import notes, as before
    assert quality.left_out_text(av) == ""
    manifest = Dataset(tmp_path / "processed").manifest
    assert quality.data_notes(manifest, av) == quality.warnings_text(manifest)


# ------------------------------------------------------------------------------------------ partial city
@pytest.fixture
def partial(tmp_path, small_processed):
    """No events (and so no event measures), one year of population and counts, no single-parent measure."""
    cfg = _city(
        tmp_path,
        small_processed,
        drop=("events",),
        years=[2024],
        drop_measures=("single_parent_hh", *EVENT_MEASURES),
    )
    return cfg, str(tmp_path / "raw")


def test_partial_city_chapters_parts_and_reasons(partial):
    cfg, raw = partial
    av = availability.assess_report(cfg)
    assert av.years == (2024,) and not av.complete
    assert av.buildable_chapters() == [
        "bevoelkerung",
        "soziale_lage",
        "monitoring",
        "wohnen",
        "datenqualitaet",
    ]
    assert availability.buildable_chapters(cfg) == av.buildable_chapters()
    assert [c.key for c in av.left_out_chapters()] == ["demografie", "kinder_jugend"]
    events = (
        "es fehlen Bevölkerungsbewegungen (events.parquet)",
        f"Datei bewegungen.csv im Rohdatenordner ({raw}) ergänzen",
    )
    projection = [
        (
            "Bevölkerungsbewegungen aus mindestens 2 Jahren nötig",
            f"bewegungen.csv mit mindestens 2 Jahren bis 2024 im Rohdatenordner ({raw}) liefern",
        ),
        (
            "Einwohnerbestand vor den Bewegungsjahren (2023) nötig, vorhanden: 2024",
            f"einwohner_<Jahr>.csv für 2023 im Rohdatenordner ({raw}) ergänzen",
        ),
    ]
    demografie = av.chapter("demografie")
    assert [(g.what, g.remedy) for g in demografie.gaps] == [
        events,
        *((f"Bevölkerungsprognose: {w}", r) for w, r in projection),
        (
            "Rückrechnung der Prognose (Backtest): sie beginnt 3 Jahre vor dem Berichtsjahr (2021) und braucht "
            "Einwohner für 2020 und 2021, vorhanden: 2024",
            f"einwohner_<Jahr>.csv für 2020 und 2021 im Rohdatenordner ({raw}) ergänzen",
        ),
    ]
    kita = av.chapter("kinder_jugend")
    assert [(g.what, g.remedy) for g in kita.gaps] == [
        events,
        *((f"Kita-Versorgung heute und in fünf Jahren: {w}", r) for w, r in projection),
    ]
    # parts: time series, the dynamic index, the class change and the profile's trend and dynamic class
    assert _bad_parts(av) == [
        "bevoelkerung.veraenderung",
        "soziale_lage.trends",
        "monitoring.dynamik",
        "monitoring.wechsel",
        "demografie.prognose",
        "demografie.rueckrechnung",
        "kinder_jugend.kita",
        "profil.trends",
        "profil.dynamik",
    ]
    assert [p.key for p in av.left_out_parts()] == [
        "bevoelkerung.veraenderung",
        "soziale_lage.trends",
        "monitoring.dynamik",
        "monitoring.wechsel",
        "profil.trends",
        "profil.dynamik",
    ]
    parts = {p.key: p for p in av.parts}
    assert parts["soziale_lage.trends"].reason == (
        "nur 1 Jahr mit Daten (2024), nötig sind mindestens 3 – Einwohner- und Fallzahldateien von mindestens "
        f"2 früheren Jahren im Rohdatenordner ({raw}) ergänzen"
    )
    assert parts["monitoring.dynamik"].reason == (
        "die Dynamik ist eine Veränderung und braucht Daten zu zwei Zeitpunkten (2022 und 2024); vorhanden: "
        f"2024 – Einwohner- und Fallzahldateien für 2022 im Rohdatenordner ({raw}) ergänzen"
    )
    assert parts["monitoring.status"].ok and parts["profil.pyramide"].ok and parts["profil.einrichtungen"].ok
    assert av.profile.ok


def test_partial_city_indicators_name_measure_and_column(partial):
    cfg, raw = partial
    av = availability.assess_report(cfg)
    left = {i.key: i.reason for i in av.left_out_indicators()}
    assert list(left) == [
        "alleinerziehende",
        "wanderungssaldo",
        "wanderungssaldo_aussen",
        "fruchtbarkeit",
        "umzugsvolumen",
    ]
    assert left["alleinerziehende"] == (
        "Maß single_parent_hh fehlt in counts.parquet – Spalte „Alleinerziehende“ der Datei haushalte.csv im "
        f"Rohdatenordner ({raw}) ergänzen"
    )
    assert left["fruchtbarkeit"] == (
        "Maß births fehlt in counts.parquet – Spalte „Geburten“ der Datei bewegungen.csv im Rohdatenordner "
        f"({raw}) ergänzen"
    )
    # every measure of a difference is named: in_ext, in_int, out_ext, out_int
    assert left["wanderungssaldo"].count("fehlt in counts.parquet") == 4
    assert "Spalte „Umzuege_weg“ der Datei bewegungen.csv" in left["wanderungssaldo"]
    assert len(av.indicators) - len(left) == 18


def test_partial_city_check_text(partial):
    cfg, raw = partial
    text = availability.check(cfg)
    assert text.startswith("Datenprüfung für den Sozialbericht Kleinstadt 2024\n")
    assert "Fehlen: Bevölkerungsbewegungen (events.parquet)" in text
    assert "Kapitel, die erstellt werden (5 von 7):" in text
    assert (
        "Kapitel, die ausgelassen werden (2 von 7):\n  Demografie und Bevölkerungsprognose (demografie):\n"
        in text
    )
    assert (
        "  Sozialraum-Monitoring (monitoring)\n    ohne Dynamik-Index und Gesamtindex (12 Gruppen): " in text
    )
    assert "Indikatoren 2024: 18 von 23 berechenbar" in text and "nicht berechenbar (5):" in text
    assert "**" not in text and "`" not in text and "#" not in text  # plain text, no Markdown
    assert all(len(line) <= availability.WIDTH for line in text.splitlines())


def test_partial_city_in_the_quality_chapter(partial):
    cfg, _ = partial
    av = availability.assess_report(cfg, published=True)
    text = quality.left_out_text(av)
    assert text.startswith("### Was die vorhandenen Daten nicht erlauben\n")
    assert (
        "- Kapitel „Demografie und Bevölkerungsprognose“ nicht erstellt: es fehlen Bevölkerungsbewegungen"
        in text
    )
    assert "- Sozialraum-Monitoring ohne Dynamik-Index und Gesamtindex (12 Gruppen): " in text
    assert "- Indikator „Anteil Alleinerziehender“ nicht berechenbar: Maß single_parent_hh fehlt" in text
    # the raw folder lies outside the project: published texts never show its absolute path
    assert "(data_raw)" in text and str(Path(cfg).parent) not in text
    assert "einwohner_&lt;Jahr&gt;.csv" in text  # Markdown: no HTML tag
    manifest = Dataset(Path(cfg).parent / "processed").manifest
    assert quality.data_notes(manifest, av) == quality.warnings_text(manifest) + "\n\n" + text


# ------------------------------------------------------------------------------------------- single rules
def test_two_and_three_years(tmp_path, small_processed):
    two = _city(tmp_path / "zwei", small_processed, years=[2023, 2024])
    av = availability.assess_report(two)
    parts = {p.key: p for p in av.parts}
    assert not parts["monitoring.dynamik"].ok and parts["monitoring.wechsel"].ok
    assert parts["bevoelkerung.veraenderung"].ok and not parts["soziale_lage.trends"].ok
    assert parts["demografie.prognose"].ok  # movements 2023 and 2024, population 2023 before 2024
    assert not parts["demografie.rueckrechnung"].ok and av.buildable_chapters() == [
        "bevoelkerung", "soziale_lage", "monitoring", "kinder_jugend", "wohnen", "datenqualitaet",
    ]  # fmt: skip
    three = _city(tmp_path / "drei", small_processed, years=[2022, 2023, 2024])
    parts = {p.key: p for p in availability.assess_report(three).parts}
    assert parts["monitoring.dynamik"].ok and parts["soziale_lage.trends"].ok
    # trends are drawn from 3 years; the report's trend test uses 5 points and says so
    assert parts["soziale_lage.trends"].note == (
        "Trendgrafiken mit 3 Jahren; der Trendtest (χ², 99,8 %) des Berichts nutzt 5 Zeitpunkte und bleibt bis "
        "dahin „nicht berechenbar“"
    )
    assert "Hinweis zu Zeitreihen und Trends: Trendgrafiken mit 3 Jahren" in availability.check(three)


def test_single_ages_and_kita_places(tmp_path, small_processed):
    cfg = _city(tmp_path, small_processed)
    proc = tmp_path / "processed"
    pop = pd.read_parquet(proc / "population.parquet")
    pop["age"] = pop["age"] // 5 * 5  # five-year age bands
    pop.groupby(["area_id", "year", "sex", "age", "nationality"], as_index=False)["count"].sum().to_parquet(
        proc / "population.parquet", index=False
    )
    import geopandas as gpd

    fac = gpd.read_file(proc / "facilities.gpkg")
    fac[["places_u3", "places_ue3"]] = 0.0
    fac.to_file(proc / "facilities.gpkg", driver="GPKG")
    av = availability.assess_report(cfg)
    parts = {p.key: p for p in av.parts}
    ages = "die Einwohner liegen nicht nach Einzelaltern vor (nicht jedes Alter von 0 bis 79)"
    assert [g.what for g in parts["demografie.prognose"].gaps] == [ages]
    assert [g.what for g in parts["kinder_jugend.kita"].gaps] == [
        "im Einrichtungsverzeichnis gibt es keine Kita mit Plätzen",
        ages,
    ]
    assert "Plaetze_U3" in parts["kinder_jugend.kita"].reason
    assert not parts["profil.pyramide"].ok and parts["profil.einrichtungen"].ok
    assert [c.key for c in av.left_out_chapters()] == ["demografie", "kinder_jugend"]


def test_reporting_year_without_population(tmp_path, small_processed):
    cfg = _city(tmp_path, small_processed, years=[2022, 2023])
    av = availability.assess_report(cfg)
    assert av.buildable_chapters() == []
    assert av.chapter("bevoelkerung").gaps[0].what == (
        "für das Berichtsjahr 2024 gibt es keine Einwohnerdaten (vorhanden: 2022 und 2023)"
    )
    assert "Für das Berichtsjahr 2024 gibt es keine Einwohnerdaten." in availability.check(cfg)


def test_index_config_without_mss_leaves_out_only_the_monitoring(tmp_path, small_processed):
    cfg = _city(tmp_path, small_processed)
    index = tmp_path / "index.yaml"
    index.write_text(
        "indices: {imd: {method: domain, domains: {sgb2_quote: 1, kinderarmut: 1}}}\n", encoding="utf-8"
    )
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    cfg.write_text(yaml.safe_dump({**data, "config_files": {"index": str(index)}}), encoding="utf-8")
    av = availability.assess_report(cfg)
    assert [c.key for c in av.left_out_chapters()] == ["monitoring"]
    gap = av.chapter("monitoring").gaps[0]
    assert gap.what == "Status-Index: Index-Konfiguration (indices): kein Index mit method: mss konfiguriert"
    assert gap.remedy.startswith(f"{index} prüfen")
    assert [p.key for p in av.parts if not p.ok] == [
        "monitoring.status", "monitoring.dynamik", "profil.monitoring", "profil.dynamik",
    ]  # fmt: skip


def test_rules_are_data():
    assert {p.chapter for p in PARTS} <= set(ALL) | {"profil"}
    essential = sorted(f"{p.chapter}.{p.key}" for p in PARTS if p.essential)
    assert essential == [
        "demografie.prognose",
        "demografie.rueckrechnung",
        "kinder_jugend.kita",
        "monitoring.status",
    ]


# ------------------------------------------------------------------------------------- required data, CLI
def test_areas_and_population_are_required(tmp_path, small_processed, capsys):
    cfg = _city(tmp_path, small_processed, drop=("population",))
    with pytest.raises(
        DataValidationError, match=r"Einwohner nach Alter und Geschlecht \(population.parquet\)"
    ):
        availability.check(cfg)
    assert availability.buildable_chapters(cfg) == []
    assert main(["check", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Fehler: Ordner ") and "fehlen in den aufbereiteten Daten" in err
    assert "einwohner_<Jahr>.csv im Rohdatenordner" in err


def test_check_command_for_areas_and_population_only(tmp_path, small_processed, monkeypatch):
    """`workbench check` on a city that delivered only areas (keys, geometries) and one year of population."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    cfg = _city(
        tmp_path,
        small_processed,
        drop=("counts", "events", "facilities", "survey", "measures"),
        relative=True,
    )
    (tmp_path / "processed" / "kpis.parquet").unlink()
    pop = pd.read_parquet(tmp_path / "processed" / "population.parquet")
    pop[pop["year"] == 2024].to_parquet(tmp_path / "processed" / "population.parquet", index=False)
    env = {**os.environ, "WORKBENCH_ROOT": str(tmp_path)}
    env.pop("WORKBENCH_MAKE_FOLDERS", None)
    run = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "check", "--config", cfg.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == EXPECTED_CHECK
    # the same through the function
    monkeypatch.setenv("WORKBENCH_ROOT", str(tmp_path))
    assert availability.check(load_report_config(cfg)) == EXPECTED_CHECK
    assert availability.buildable_chapters(cfg.name) == ["bevoelkerung"]


EXPECTED_CHECK = """\
Datenprüfung für den Sozialbericht Kleinstadt 2024

Aufbereitete Daten: processed – 12 Sozialräume, Einwohner 2024
Vorhanden: Schlüsseltabelle der Gebiete (keys.parquet), Gebietsgeometrien (areas.gpkg), Einwohner
  nach Alter und Geschlecht (population.parquet)
Fehlen: Fallzahlen (SGB II, Arbeitslose, Haushalte …; counts.parquet), Bevölkerungsbewegungen
  (events.parquet), Einrichtungen (facilities.gpkg), Befragung (survey.parquet), Maßnahmen
  (measures.parquet)

Kapitel, die erstellt werden (1 von 7):
  Bevölkerung (bevoelkerung)
    ohne Veränderung der Einwohnerzahl: nur 1 Jahr mit Daten (2024), nötig sind mindestens 2 –
      Einwohner- und Fallzahldateien von mindestens 1 früheren Jahr im Rohdatenordner (raw) ergänzen

Kapitel, die ausgelassen werden (6 von 7):
  Soziale Lage (soziale_lage): es fehlen Fallzahlen (SGB II, Arbeitslose, Haushalte …;
    counts.parquet) – mindestens eine der Dateien ba_sgb2_arbeitslose.xlsx, haushalte.csv,
    sgb12_grundsicherung_65plus.csv oder hze_faelle.csv im Rohdatenordner (raw) ergänzen
  Sozialraum-Monitoring (monitoring): es fehlen Fallzahlen (SGB II, Arbeitslose, Haushalte …;
    counts.parquet) – mindestens eine der Dateien ba_sgb2_arbeitslose.xlsx, haushalte.csv,
    sgb12_grundsicherung_65plus.csv oder hze_faelle.csv im Rohdatenordner (raw) ergänzen
  Demografie und Bevölkerungsprognose (demografie):
    - es fehlen Fallzahlen (SGB II, Arbeitslose, Haushalte …; counts.parquet) und
      Bevölkerungsbewegungen (events.parquet) – mindestens eine der Dateien
      ba_sgb2_arbeitslose.xlsx, haushalte.csv, sgb12_grundsicherung_65plus.csv oder hze_faelle.csv
      und Datei bewegungen.csv im Rohdatenordner (raw) ergänzen
    - Bevölkerungsprognose: Bevölkerungsbewegungen aus mindestens 2 Jahren nötig – bewegungen.csv
      mit mindestens 2 Jahren bis 2024 im Rohdatenordner (raw) liefern
    - Bevölkerungsprognose: Einwohnerbestand vor den Bewegungsjahren (2023) nötig, vorhanden: 2024 –
      einwohner_<Jahr>.csv für 2023 im Rohdatenordner (raw) ergänzen
    - Rückrechnung der Prognose (Backtest): sie beginnt 3 Jahre vor dem Berichtsjahr (2021) und
      braucht Einwohner für 2020 und 2021, vorhanden: 2024 – einwohner_<Jahr>.csv für 2020 und 2021
      im Rohdatenordner (raw) ergänzen
  Kinder, Jugend und Familie (kinder_jugend):
    - es fehlen Fallzahlen (SGB II, Arbeitslose, Haushalte …; counts.parquet),
      Bevölkerungsbewegungen (events.parquet) und Einrichtungen (facilities.gpkg) – mindestens eine
      der Dateien ba_sgb2_arbeitslose.xlsx, haushalte.csv, sgb12_grundsicherung_65plus.csv oder
      hze_faelle.csv, Datei bewegungen.csv und Datei einrichtungen.csv im Rohdatenordner (raw)
      ergänzen
    - Kita-Versorgung heute und in fünf Jahren: Bevölkerungsbewegungen aus mindestens 2 Jahren nötig
      – bewegungen.csv mit mindestens 2 Jahren bis 2024 im Rohdatenordner (raw) liefern
    - Kita-Versorgung heute und in fünf Jahren: Einwohnerbestand vor den Bewegungsjahren (2023)
      nötig, vorhanden: 2024 – einwohner_<Jahr>.csv für 2023 im Rohdatenordner (raw) ergänzen
  Wohnen (wohnen): es fehlen Fallzahlen (SGB II, Arbeitslose, Haushalte …; counts.parquet) –
    mindestens eine der Dateien ba_sgb2_arbeitslose.xlsx, haushalte.csv,
    sgb12_grundsicherung_65plus.csv oder hze_faelle.csv im Rohdatenordner (raw) ergänzen
  Datenqualität und Methoden (datenqualitaet): es fehlen Fallzahlen (SGB II, Arbeitslose, Haushalte
    …; counts.parquet) – mindestens eine der Dateien ba_sgb2_arbeitslose.xlsx, haushalte.csv,
    sgb12_grundsicherung_65plus.csv oder hze_faelle.csv im Rohdatenordner (raw) ergänzen

Sozialraumprofile werden nicht erstellt: es fehlen Fallzahlen (SGB II, Arbeitslose, Haushalte …;
  counts.parquet) – mindestens eine der Dateien ba_sgb2_arbeitslose.xlsx, haushalte.csv,
  sgb12_grundsicherung_65plus.csv oder hze_faelle.csv im Rohdatenordner (raw) ergänzen

Indikatoren 2024: 4 von 23 berechenbar
  berechenbar: Ausländeranteil (auslaender), Jugendquotient (jugendquotient), Altenquotient
    (altenquotient), Anteil Hochbetagter (hochbetagte)
  nicht berechenbar (19):
    SGB-II-Quote (sgb2_quote), SGB-II-Quote 15 bis unter 65 Jahre (sgb2_quote_15_64),
      Mindestsicherungsquote (SGB II und Grundsicherung im Alter) (mindestsicherung), Kinderarmut
      (kinderarmut), Altersarmut (altersarmut), Arbeitslosenanteil (alo_quote), Arbeitslosenanteil
      SGB II (alo_sgb2), Jugendarbeitslosigkeit (jugend_alo), Beschäftigungsquote (beschaeftigung),
      Anteil Alleinerziehender (alleinerziehende), Kita-Versorgungsquote U3 (kita_u3),
      Kita-Versorgungsquote Ü3 (kita_ue3), HzE-Dichte (hze_dichte), Anteil mit Migrationshintergrund
      (migration), Wanderungssaldo (wanderungssaldo), Außenwanderungssaldo (wanderungssaldo_aussen),
      Allgemeine Fruchtbarkeitsrate (fruchtbarkeit), Anteil mit Wohndauer über 5 Jahre (wohndauer),
      Umzugsvolumen (umzugsvolumen): es fehlen Fallzahlen (SGB II, Arbeitslose, Haushalte …;
      counts.parquet) – mindestens eine der Dateien ba_sgb2_arbeitslose.xlsx, haushalte.csv,
      sgb12_grundsicherung_65plus.csv oder hze_faelle.csv im Rohdatenordner (raw) ergänzen

Nach dem Ergänzen von Dateien im Rohdatenordner „workbench data“ ausführen und den Bericht neu
bauen; ausgelassene Kapitel erscheinen im Bericht mit diesem Hinweis.
"""


# --------------------------------------------------------------------------------- build what the data allow
def test_left_out_chapter_gets_a_page_and_the_index_names_it(partial):
    cfg, _ = partial
    reports = Path(cfg).parent / "reports"
    executed = reports / "executed" / "demografie.ipynb"
    executed.parent.mkdir(parents=True)
    executed.write_text("{}", encoding="utf-8")  # from an earlier build with more data
    out = reportbuild.build_chapter("demografie", cfg)  # returns normally, no notebook is run
    assert out == reports / "html" / "demografie.html" and not executed.exists()
    page = out.read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="de">') and reportbuild.CSS in page
    assert "<title>Demografie und Bevölkerungsprognose – Sozialbericht Kleinstadt 2024</title>" in page
    assert "<p>Dieses Kapitel konnte nicht erstellt werden:</p>" in page
    assert (
        "<li>es fehlen Bevölkerungsbewegungen (events.parquet) – Datei bewegungen.csv im Rohdatenordner "
        "(data_raw) ergänzen</li>"
    ) in page
    assert "einwohner_&lt;Jahr&gt;.csv" in page and str(Path(cfg).parent) not in page
    assert '<a href="../index.html">' in page
    one = reportbuild.build_chapter("kinder_jugend", cfg)
    index = reportbuild.build_index(cfg).read_text(encoding="utf-8")
    assert (
        '<li><a href="html/demografie.html">Demografie und Bevölkerungsprognose</a> – <em>nicht erstellt '
        "(fehlende Daten)</em><br>es fehlen Bevölkerungsbewegungen (events.parquet) – Datei bewegungen.csv "
        "im Rohdatenordner (data_raw) ergänzen; Bevölkerungsprognose: "
    ) in index
    assert (
        '<a href="html/kinder_jugend.html">Kinder, Jugend und Familie</a> – <em>nicht erstellt (fehlende'
        in index
    )
    # chapters the data allow but that were not built are still reported as build errors
    assert "<li>Wohnen – <em>nicht erstellt (Fehler beim Bau, siehe Konsole)</em></li>" in index
    assert "Tabellenanhang" not in index  # the appendix needs every indicator
    assert str(Path(cfg).parent) not in index
    assert one.exists() and audit_path(reports) == []
    # the page is rewritten (atomically) with the same bytes
    first = out.read_bytes()
    reportbuild.build_chapter("demografie", cfg)
    assert out.read_bytes() == first
