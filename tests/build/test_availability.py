"""What the data allow: chapters, parts, indicators and profile parts of partial cities; `workbench check`;
chapters the data do not allow get a German page instead of failing, and the index names the reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
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
    # Demografie is built from one date by age: movements and projection are left out with the reason
    assert av.buildable_chapters() == [
        "bevoelkerung",
        "soziale_lage",
        "monitoring",
        "demografie",
        "wohnen",
        "datenqualitaet",
    ]
    assert availability.buildable_chapters(cfg) == av.buildable_chapters()
    assert [c.key for c in av.left_out_chapters()] == ["kinder_jugend"]
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
    parts0 = {p.key: p for p in av.parts}
    assert [(g.what, g.remedy) for g in parts0["demografie.prognose"].gaps] == [
        (
            "keine Prognose möglich: Einwohner nach Alter nur zu einem Stichtag (2024); nötig sind Einwohner nach "
            "Alter zu mindestens zwei Stichtagen (Hamilton–Perry) oder Einwohner nach Einzelaltern mit "
            "Bewegungsdaten (Kohorten-Komponenten)",
            f"Einwohnertabellen nach Alter (Altersgruppen genügen) eines früheren Stichtags im Rohdatenordner ({raw}) "
            "ergänzen",
        )
    ]
    assert not parts0["demografie.bewegungen"].ok
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
        "demografie.bewegungen",
        "demografie.prognose",
        "demografie.rueckrechnung",
        "kinder_jugend.kita",
        "profil.trends",
        "profil.dynamik",
        "bestand.prognose",  # assessed although this report has no chapter Bestand und Versorgung
    ]
    assert [p.key for p in av.left_out_parts()] == [
        "bevoelkerung.veraenderung",
        "soziale_lage.trends",
        "monitoring.dynamik",
        "monitoring.wechsel",
        "demografie.bewegungen",
        "demografie.prognose",
        "demografie.rueckrechnung",
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
    assert "Kapitel, die erstellt werden (6 von 7):" in text
    assert (
        "Kapitel, die ausgelassen werden (1 von 7):\n  Kinder, Jugend und Familie (kinder_jugend):\n" in text
    )
    assert (
        "    ohne Bevölkerungsprognose: keine Prognose möglich: Einwohner nach Alter nur zu einem Stichtag"
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
    assert "- Kapitel „Kinder, Jugend und Familie“ nicht erstellt: es fehlen Bevölkerungsbewegungen" in text
    assert "- Demografie und Bevölkerungsprognose ohne Bevölkerungsprognose: keine Prognose möglich" in text
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
        "bevoelkerung", "soziale_lage", "monitoring", "demografie", "kinder_jugend", "wohnen", "datenqualitaet",
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
    assert [g.what for g in parts["demografie.prognose"].gaps] == [
        "keine Prognose möglich: die Einwohner liegen nicht nach Alter vor (weder Einzelalter noch lückenlose "
        "Altersgruppen); nötig sind Einwohner nach Alter zu mindestens zwei Stichtagen (Hamilton–Perry) oder "
        "Einwohner nach Einzelaltern mit Bewegungsdaten (Kohorten-Komponenten)"
    ]
    assert [g.what for g in parts["kinder_jugend.kita"].gaps] == [
        "im Einrichtungsverzeichnis gibt es keine Kita mit Plätzen",
        ages,
    ]
    assert "Plaetze_U3" in parts["kinder_jugend.kita"].reason
    assert not parts["profil.pyramide"].ok and parts["profil.einrichtungen"].ok
    assert [c.key for c in av.left_out_chapters()] == ["kinder_jugend"]


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
    assert {p.chapter for p in PARTS} <= set(ALL) | {"profil", "bestand"}
    essential = sorted(f"{p.chapter}.{p.key}" for p in PARTS if p.essential)
    assert essential == ["bestand.zielgruppen", "kinder_jugend.kita", "monitoring.status"]


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
        drop=("counts", "events", "facilities", "survey", "measures", "costs"),
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
    assert availability.buildable_chapters(cfg.name) == ["bevoelkerung", "demografie"]


EXPECTED_CHECK = """\
Datenprüfung für den Sozialbericht Kleinstadt 2024

Aufbereitete Daten: processed – 12 Sozialräume, Einwohner 2024
Vorhanden: Schlüsseltabelle der Gebiete (keys.parquet), Gebietsgeometrien (areas.gpkg), Einwohner
  nach Alter und Geschlecht (population.parquet)
Fehlen: Fallzahlen (SGB II, Arbeitslose, Haushalte …; counts.parquet), Bevölkerungsbewegungen
  (events.parquet), Einrichtungen (facilities.gpkg), Befragung (survey.parquet), Maßnahmen
  (measures.parquet), veröffentlichte Anteile ohne Fallzahlen (shares.parquet), Ausgaben (HzE nach
  Hilfeart, Kosten der Unterkunft; costs.parquet)

Konfiguration: keine Fehler, 1 Hinweis:
  Hinweis: config/projection.yaml, Schlüssel scenarios → neubau → demo_only: Szenario „Neubau“
      gehört zur Demo-Stadt (demo_only: true) und wird für diesen Bericht nicht gerechnet – eigene
      Szenarien mit den Sozialraum-Schlüsseln der Stadt in einer eigenen Prognose-Konfiguration
      anlegen (config_files: projection: in der Berichtskonfiguration)

Kapitel, die erstellt werden (2 von 7):
  Bevölkerung (bevoelkerung)
    ohne Veränderung der Einwohnerzahl: nur 1 Jahr mit Daten (2024), nötig sind mindestens 2 –
      Einwohner- und Fallzahldateien von mindestens 1 früheren Jahr im Rohdatenordner (raw) ergänzen
  Demografie und Bevölkerungsprognose (demografie)
    ohne Geburten, Sterbefälle und Wanderungen:
      - es fehlen Bevölkerungsbewegungen (events.parquet) – Datei bewegungen.csv im Rohdatenordner
        (raw) ergänzen
      - es fehlen Fallzahlen (SGB II, Arbeitslose, Haushalte …; counts.parquet) – mindestens eine
        der Dateien ba_sgb2_arbeitslose.xlsx, haushalte.csv, sgb12_grundsicherung_65plus.csv oder
        hze_faelle.csv im Rohdatenordner (raw) ergänzen
    ohne Bevölkerungsprognose: keine Prognose möglich: Einwohner nach Alter nur zu einem Stichtag
      (2024); nötig sind Einwohner nach Alter zu mindestens zwei Stichtagen (Hamilton–Perry) oder
      Einwohner nach Einzelaltern mit Bewegungsdaten (Kohorten-Komponenten) – Einwohnertabellen nach
      Alter (Altersgruppen genügen) eines früheren Stichtags im Rohdatenordner (raw) ergänzen
    ohne Rückrechnung der Prognose (Backtest): Einwohner nach Alter nur zu einem Stichtag (2024);
      die Rückrechnung braucht mindestens drei Stichtage bis zum Berichtsjahr – Einwohnertabellen
      nach Alter früherer Stichtage im Rohdatenordner (raw) ergänzen

Kapitel, die ausgelassen werden (5 von 7):
  Soziale Lage (soziale_lage): es fehlen Fallzahlen (SGB II, Arbeitslose, Haushalte …;
    counts.parquet) – mindestens eine der Dateien ba_sgb2_arbeitslose.xlsx, haushalte.csv,
    sgb12_grundsicherung_65plus.csv oder hze_faelle.csv im Rohdatenordner (raw) ergänzen
  Sozialraum-Monitoring (monitoring): es fehlen Fallzahlen (SGB II, Arbeitslose, Haushalte …;
    counts.parquet) – mindestens eine der Dateien ba_sgb2_arbeitslose.xlsx, haushalte.csv,
    sgb12_grundsicherung_65plus.csv oder hze_faelle.csv im Rohdatenordner (raw) ergänzen
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


# ------------------------------------------------------------------------- configuration against the data
def _broken_configs(tmp_path: Path, cfg: Path) -> Path:
    """Copies of the shipped index, chapters, catalogue and projection configs, each with ids the 12-area demo
    city does not have; the report config points at them."""
    conf = tmp_path / "conf"
    conf.mkdir()
    index = yaml.safe_load((ROOT / "config" / "index.yaml").read_text(encoding="utf-8"))
    index["indices"]["mss"]["exclude"] = ["0105", "999", 102]
    index["indices"]["mss"]["status"][1]["id"] = "kinderarmutt"
    index["indices"]["deprivation"]["domains"]["alo_sgb3"] = 0.1
    chapters = yaml.safe_load((ROOT / "config" / "chapters.yaml").read_text(encoding="utf-8"))
    chapters["soziale_lage"]["indicators"][0] = "sgb2_qoute"
    del chapters["wohnen"]
    catalogue = (ROOT / "config" / "indicators.yaml").read_text(encoding="utf-8")
    assert catalogue.count("numerator: {measure: hze_cases}") == 1
    catalogue = catalogue.replace("numerator: {measure: hze_cases}", "numerator: {measure: hze_faelle}")
    projection = yaml.safe_load((ROOT / "config" / "projection.yaml").read_text(encoding="utf-8"))
    projection["scenarios"].append(
        {"name": "hafen", "label_de": "Hafenquartier", "extra_in_migrants": {"0105": 80, "0301": 40, "7": 10}}
    )
    for name, data in (("index", index), ("chapters", chapters), ("projection", projection)):
        (conf / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (conf / "indicators.yaml").write_text(catalogue, encoding="utf-8")
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    data["config_files"] = {
        n: str(conf / f"{n}.yaml") for n in ("index", "chapters", "projection", "indicators")
    }
    data["chapters"] = [*ALL, "wohnen"]
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return conf


def test_config_problems_name_file_key_and_hint(tmp_path, small_processed):
    cfg = _city(tmp_path, small_processed)
    conf = _broken_configs(tmp_path, cfg)
    lines = [p.line() for p in availability.config_problems(cfg)]
    assert lines == [
        f"Fehler: {cfg}, Schlüssel chapters: Kapitel wohnen steht 2-mal in der Liste – nur einmal aufführen",
        f"Hinweis: {conf}/chapters.yaml, Schlüssel wohnen: Kapitel wohnen hat keinen Eintrag (Titel und "
        "Beschreibung) – Eintrag „wohnen: {title: …, description: …}“ ergänzen; bis dahin heißt das Kapitel im "
        "Bericht „wohnen“",
        f"Fehler: {conf}/chapters.yaml, Schlüssel soziale_lage → indicators: Indikator sgb2_qoute (ähnlich: "
        f"sgb2_quote) steht nicht im Indikatorenkatalog ({conf}/indicators.yaml) – ids aus dem "
        "Indikatorenkatalog eintragen (Schreibweise prüfen) oder löschen",
        f"Fehler: {conf}/indicators.yaml, Schlüssel indicators → hze_dichte → numerator: Maß hze_faelle steht "
        "nicht in counts.parquet, und keine Eingabe liefert es – Schreibweise prüfen oder die Quelle des Maßes "
        "unter sources: counts: der Berichtskonfiguration ergänzen (Maße des Datenvertrags: "
        "docs/DATA_CONTRACT.md)",
        # the copy is written with sorted keys: deprivation before mss
        f"Fehler: {conf}/index.yaml, Schlüssel indices.deprivation.domains.alo_sgb3: Indikator 'alo_sgb3' "
        "(ähnlich: alo_sgb2) steht nicht im Indikatorenkatalog – eine id aus dem Indikatorenkatalog eintragen "
        "(Schreibweise prüfen) oder den Eintrag löschen",
        f"Fehler: {conf}/index.yaml, Schlüssel indices.mss.status[1].id: Indikator 'kinderarmutt' (ähnlich: "
        "kinderarmut) steht nicht im Indikatorenkatalog – eine id aus dem Indikatorenkatalog eintragen "
        "(Schreibweise prüfen) oder den Eintrag löschen",
        f"Fehler: {conf}/index.yaml, Schlüssel indices.mss.exclude: Sozialräume 999, 102 (gemeint: 0102?) gibt "
        "es in den Daten nicht – Schlüssel wie in der Schlüsseltabelle schreiben (mit führenden Nullen, in "
        "Anführungszeichen) oder aus der Liste löschen",
        f"Hinweis: {conf}/projection.yaml, Schlüssel scenarios → neubau → demo_only: Szenario „Neubau“ gehört "
        "zur Demo-Stadt (demo_only: true) und wird für diesen Bericht nicht gerechnet – eigene Szenarien mit "
        "den Sozialraum-Schlüsseln der Stadt in einer eigenen Prognose-Konfiguration anlegen (config_files: "
        "projection: in der Berichtskonfiguration)",
        f"Fehler: {conf}/projection.yaml, Schlüssel scenarios → hafen → extra_in_migrants: unbekannte "
        "Sozialräume 0301, 7 – die Daten haben 12 Sozialräume (0101, 0102, 0103 und 9 weitere) – "
        "Sozialraum-Schlüssel der Stadt eintragen (wie in der Schlüsseltabelle, mit führenden Nullen, in "
        "Anführungszeichen) oder das Szenario löschen",
    ]
    text = availability.check(cfg)
    assert "\nKonfiguration: 7 Fehler, 2 Hinweise – vor dem Bau des Berichts zu beheben:\n  Fehler: " in text
    # workbench check exits with 1 on errors; --quiet (make report) prints one line per problem
    env = {**os.environ}
    env.pop("WORKBENCH_MAKE_FOLDERS", None)
    run = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "check", "--quiet", "--config", str(cfg)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    errors = [line for line in lines if line.startswith("Fehler")]
    assert run.stderr.splitlines() == [
        *errors,
        "Abbruch: 7 Konfigurationsfehler (siehe oben) – die genannten Schlüssel ändern, dann make report "
        f"CONFIG={cfg} erneut ausführen",
    ]
    assert run.stdout.splitlines() == [line for line in lines if line.startswith("Hinweis")]


def test_demo_config_computes_the_demo_scenario_only_where_its_areas_exist(tmp_path, small_processed):
    cfg = _city(tmp_path, small_processed)
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    cfg.write_text(yaml.safe_dump({**data, "demo": {"areas": 12, "seed": 7}}), encoding="utf-8")
    # the 12-area demo has 0203 but not 0405 and 0604 of the standard demo: left out with a remark, no error
    assert [p.line() for p in availability.config_problems(cfg)] == [
        "Hinweis: config/projection.yaml, Schlüssel scenarios → neubau → extra_in_migrants: Szenario „Neubau“ "
        "der Demo-Stadt nennt Sozialräume, die diese Demo-Stadt (12 Sozialräume) nicht hat (0405, 0604); es "
        "wird ausgelassen – die Schlüssel passen zur Standard-Demo (demo: {areas: 40, seed: 2024}); für diese "
        "Demo-Stadt eigene Schlüssel eintragen, sonst nichts zu tun"
    ]
    assert main(["check", "--quiet", "--config", str(cfg)]) == 0


def test_check_of_a_city_folder_with_only_areas_and_population(tmp_path, monkeypatch):
    """A planner's folder with two hand-made files — Sozialräume as GeoJSON, inhabitants by sex and single year
    of age as CSV — read through mappings: `workbench data` imports them, `workbench check` lists in German
    what each chapter and indicator lacks and which file or column would enable it."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    city = tmp_path / "stadt"
    city.mkdir()
    squares = [(0, 0), (1000, 0), (0, 1000)]
    features = [
        {
            "type": "Feature",
            "properties": {"Nr": nr, "Name": name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x, y], [x + 1000, y], [x + 1000, y + 1000], [x, y + 1000], [x, y]]],
            },
        }
        for nr, name, (x, y) in zip((1, 2, 3), ("Altstadt", "Neustadt", "Hafen"), squares, strict=True)
    ]
    (city / "gebiete.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
                "features": features,
            }
        ),
        encoding="utf-8",
    )
    rows = ["Gebiet;Geschlecht;Alter;Anzahl"]
    for area, n in (("1", 30), ("2", 50), ("3", 20)):
        rows += [f"{area};{sex};{age};{n + age % 7}" for sex in ("m", "w") for age in range(91)]
    (city / "einwohner_2024.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (city / "gebiete.yaml").write_text(
        "file: gebiete.geojson\nformat: geo\nid: {column: Nr, width: 2, name: area_id}\n"
        "rename: {Name: area_name}\ncolumns: [area_id, area_name]\n",
        encoding="utf-8",
    )
    (city / "einwohner.yaml").write_text(
        'file: einwohner_2024.csv\nsep: ";"\nlayout: long\n'
        "rename: {Gebiet: area_id, Geschlecht: sex, Alter: age, Anzahl: count}\n"
        "id: {column: area_id, width: 2}\ntypes: {age: int, count: int}\nrow_keys: [area_id, sex, age]\n",
        encoding="utf-8",
    )
    (tmp_path / "stadt.yaml").write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": 2024,
                "data_raw": "stadt/rohdaten",
                "data_processed": "stadt/aufbereitet",
                "reports": "stadt/bericht",
                "chapters": ALL,
                "sources": {
                    "keys": "stadt/gebiete.yaml",
                    "areas": "stadt/gebiete.yaml",
                    "population": {"mapping": "stadt/einwohner.yaml", "year": 2024},
                },
            }
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "WORKBENCH_ROOT": str(tmp_path)}
    env.pop("WORKBENCH_MAKE_FOLDERS", None)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "workbench.cli", "--config", "stadt.yaml", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )

    data = cli("data")
    assert data.returncode == 0, data.stderr
    assert data.stdout.startswith("Import fertig: 2 Dateien, 3 Sozialräume, Jahre 2024–2024")
    run = cli("check")
    assert run.returncode == 0, run.stderr
    text = run.stdout
    assert "Aufbereitete Daten: stadt/aufbereitet – 3 Sozialräume, Einwohner 2024\n" in text
    assert "\nKonfiguration: keine Fehler, 1 Hinweis:\n" in text  # the demo's Neubau scenario is not theirs
    assert "Kapitel, die erstellt werden (2 von 7):\n  Bevölkerung (bevoelkerung)\n" in text
    assert "\n  Demografie und Bevölkerungsprognose (demografie)\n    ohne Geburten, Sterbefälle" in text
    assert (
        "ohne Bevölkerungsprognose: keine Prognose möglich: Einwohner nach Alter nur zu einem Stichtag"
        in text
    )
    assert "Kapitel, die ausgelassen werden (5 von 7):\n" in text
    chapters = text.split("Kapitel, die ausgelassen werden")[1].split("Sozialraumprofile")[0]
    flat = " ".join(chapters.split())
    for chapter, files in (
        ("Soziale Lage (soziale_lage)", ["ba_sgb2_arbeitslose.xlsx", "haushalte.csv"]),
        ("Sozialraum-Monitoring (monitoring)", ["sgb12_grundsicherung_65plus.csv"]),
        ("Kinder, Jugend und Familie (kinder_jugend)", ["Datei einrichtungen.csv"]),
        ("Wohnen (wohnen)", ["hze_faelle.csv"]),
        ("Datenqualität und Methoden (datenqualitaet)", ["counts.parquet"]),
    ):
        part = flat.split(chapter)[1][:900]
        assert all(f in part for f in files), (chapter, part)
    assert "Sozialraumprofile werden nicht erstellt: es fehlen Fallzahlen" in text
    assert "Indikatoren 2024: 3 von 23 berechenbar\n" in text
    assert (
        "  berechenbar: Jugendquotient (jugendquotient), Altenquotient (altenquotient), Anteil Hochbetagter\n"
        in text
    )
    flat_text = " ".join(text.split())
    assert "Ausländeranteil (auslaender): " in flat_text and "Staatsangehörigkeit" in flat_text
    # the same through the function, and the processed folder holds only what the two files give
    monkeypatch.setenv("WORKBENCH_ROOT", str(tmp_path))
    assert availability.buildable_chapters("stadt.yaml") == ["bevoelkerung", "demografie"]
    assert sorted(p.name for p in (tmp_path / "stadt" / "aufbereitet").glob("*.parquet")) == [
        "city_totals.parquet",
        "keys.parquet",
        "population.parquet",
    ]
    # a scenario and an exclude list with areas this city does not have: check exits with 1, naming the keys
    projection = tmp_path / "config" / "projection.yaml"
    text = projection.read_text(encoding="utf-8")
    projection.write_text(
        text + '  - {name: hafen, label_de: Hafen, extra_in_migrants: {"04": 100}}\n', encoding="utf-8"
    )
    index = tmp_path / "config" / "index.yaml"
    index.write_text(
        index.read_text(encoding="utf-8").replace("exclude: []", "exclude: ['3']"), encoding="utf-8"
    )
    bad = cli("check", "--quiet")
    assert bad.returncode == 1
    assert bad.stderr.splitlines()[:2] == [
        "Fehler: config/index.yaml, Schlüssel indices.mss.exclude: Sozialraum 3 (gemeint: 03?) gibt es in den "
        "Daten nicht – Schlüssel wie in der Schlüsseltabelle schreiben (mit führenden Nullen, in "
        "Anführungszeichen) oder aus der Liste löschen",
        "Fehler: config/projection.yaml, Schlüssel scenarios → hafen → extra_in_migrants: unbekannte "
        "Sozialräume 04 – die Daten haben 3 Sozialräume (01, 02, 03) – Sozialraum-Schlüssel der Stadt "
        "eintragen (wie in der Schlüsseltabelle, mit führenden Nullen, in Anführungszeichen) oder das Szenario "
        "löschen",
    ]


# --------------------------------------------------------------------------------- build what the data allow
def test_left_out_chapter_gets_a_page_and_the_index_names_it(partial):
    cfg, _ = partial
    reports = Path(cfg).parent / "reports"
    executed = reports / "executed" / "kinder_jugend.ipynb"
    executed.parent.mkdir(parents=True)
    executed.write_text("{}", encoding="utf-8")  # from an earlier build with more data
    out = reportbuild.build_chapter("kinder_jugend", cfg)  # returns normally, no notebook is run
    assert out == reports / "html" / "kinder_jugend.html" and not executed.exists()
    page = out.read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="de">') and reportbuild.CSS in page
    assert "<title>Kinder, Jugend und Familie – Sozialbericht Kleinstadt 2024</title>" in page
    assert "<p>Dieses Kapitel konnte nicht erstellt werden:</p>" in page
    assert "<li>es fehlen Bevölkerungsbewegungen (events.parquet) und Einrichtungen" not in page
    assert "es fehlen Bevölkerungsbewegungen (events.parquet)" in page
    assert "einwohner_&lt;Jahr&gt;.csv" in page and str(Path(cfg).parent) not in page
    assert '<a href="../index.html">' in page
    index = reportbuild.build_index(cfg).read_text(encoding="utf-8")
    assert (
        '<li><a href="html/kinder_jugend.html">Kinder, Jugend und Familie</a> – <em>nicht erstellt '
        "(fehlende Daten)</em><br>es fehlen Bevölkerungsbewegungen (events.parquet)"
    ) in index
    # Demografie is allowed (from one date by age, without movements and projection) but was not built here
    assert "<li>Demografie und Bevölkerungsprognose – <em>nicht erstellt (Fehler beim Bau" in index
    # chapters the data allow but that were not built are still reported as build errors
    assert "<li>Wohnen – <em>nicht erstellt (Fehler beim Bau, siehe Konsole)</em></li>" in index
    # the appendix holds the 18 computable indicators; the sheet „Hinweise“ names the 5 others and why
    assert (
        '<a href="tabellen/indikatoren_2024.xlsx">Tabellenanhang (Excel)</a><br>Berechenbare Indikatoren (18 '
        "von 23) je Sozialraum, Stadtbezirk und Stadt im Berichtsjahr, mit Definitionen; die übrigen mit Grund "
        "im Blatt „Hinweise“."
    ) in index
    book = openpyxl.load_workbook(reports / "tabellen" / "indikatoren_2024.xlsx")
    assert book.sheetnames == ["Indikatoren", "Definitionen", "Hinweise", "_wb_meta"]
    values = book["Indikatoren"]  # long layout: one row per indicator, year and area (issue 13)
    header = [c.value for c in values[3]]
    assert header[:8] == [
        "Schlüssel",
        "Indikator-ID",
        "Indikator",
        "Einheit",
        "Jahr",
        "Ebene",
        "Gebietsnummer",
        "Gebiet",
    ]
    ids = {r[1] for r in values.iter_rows(min_row=4, values_only=True) if r[1]}
    assert len(ids) == 18 and "alleinerziehende" not in ids and "sgb2_quote" in ids
    assert values.max_row - 3 >= 12 + 1  # 12 Sozialräume, their Stadtbezirke and the city
    notes = [[c.value for c in row] for row in book["Hinweise"].iter_rows(min_row=3)]
    assert notes[0] == ["id", "Indikator", "Nicht enthalten, weil"]
    assert [r[0] for r in notes[1:6]] == [
        "alleinerziehende",
        "wanderungssaldo",
        "wanderungssaldo_aussen",
        "fruchtbarkeit",
        "umzugsvolumen",
    ]
    assert notes[1][1:] == [
        "Anteil Alleinerziehender",
        "Maß single_parent_hh fehlt in counts.parquet – Spalte „Alleinerziehende“ der Datei haushalte.csv im "
        "Rohdatenordner (data_raw) ergänzen",
    ]
    assert str(Path(cfg).parent) not in index
    assert out.exists() and audit_path(reports) == []  # HTML pages and the workbook with its notes
    # the page is rewritten (atomically) with the same bytes
    first = out.read_bytes()
    reportbuild.build_chapter("demografie", cfg)
    assert out.read_bytes() == first
