"""The raw-folder inputs besides keys, geometries and population, named by mapping under ``sources:`` (blocks,
households, ba, sgb12, hze, events, facilities, survey, measures, kpis), with ``{year}`` in file or sheet names
and ``${RAW}``: right values from small hand-made files, and for each input one refused mistake whose German
message names the file, the line or sheet and column, and the key to change."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import Workbook
from shapely.geometry import Point, box

from workbench.errors import ConfigError, DataValidationError
from workbench.io.importer import parse_sources, run_import, source_files
from workbench.io.mapped import read_year_tables


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _yaml(path: Path, spec: dict) -> Path:
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def city(tmp_path) -> Path:
    """Three Sozialräume (01, 02 in Stadtbezirk 1; 03 in 2), four statistical blocks, square areas of 100 m,
    population totals 2023 and 2024 in one file per year (``einwohner_{year}.csv``)."""
    d = tmp_path / "stadt"
    d.mkdir()
    _write(
        d / "schluessel.csv",
        "Block;Blockname;Nr;Stadtteil;Bezirk;Bezirksname\n011;Altstadt Nord;01;Altstadt;1;Mitte\n"
        "012;Altstadt Süd;01;Altstadt;1;Mitte\n021;Neustadt;02;Neustadt;1;Mitte\n031;Hafen;03;Hafen;2;Nord\n",
    )
    names = ["block_id", "block_name", "area_id", "area_name", "district_id", "district_name"]
    _yaml(
        d / "schluessel.yaml",
        {
            "file": "schluessel.csv",
            "sep": ";",
            "rename": dict(
                zip(["Block", "Blockname", "Nr", "Stadtteil", "Bezirk", "Bezirksname"], names, strict=True)
            ),
            "types": dict.fromkeys(names, "str"),
        },
    )
    gpd.GeoDataFrame(
        {"code": ["01", "02", "03"]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(0, 100, 200, 200)],
        crs=25832,
    ).to_file(d / "flaechen.gpkg", layer="stadtteile", driver="GPKG")
    _yaml(
        d / "flaechen.yaml",
        {"file": "flaechen.gpkg", "layer": "stadtteile", "id": {"column": "code", "name": "area_id"}},
    )
    _write(d / "einwohner_2023.csv", "Stadtteil;Einwohner\n01;1.000\n02;2.000\n03;800\n")
    _write(d / "einwohner_2024.csv", "Stadtteil;Einwohner\n01;1.200\n02;2.155\n03;812\n")
    _yaml(
        d / "einwohner.yaml",
        {
            "file": "einwohner_{year}.csv",
            "sep": ";",
            "decimal": ",",
            "rename": {"Stadtteil": "area_id", "Einwohner": "count"},
            "id": {"column": "area_id"},
        },
    )
    return d


def _sources(**extra) -> dict:
    base = {
        "keys": "stadt/schluessel.yaml",
        "areas": "stadt/flaechen.yaml",
        "population": "stadt/einwohner.yaml",
    }
    return {**base, **extra}


def _run(tmp_path: Path, sources: dict, raw: Path | None = None):
    return run_import(raw or tmp_path / "raw", tmp_path / "processed", sources=sources, base=tmp_path)


def _fails(tmp_path: Path, sources: dict, error=DataValidationError, raw: Path | None = None) -> str:
    with pytest.raises(error) as info:
        _run(tmp_path, sources, raw)
    return str(info.value)


def _counts(tmp_path: Path) -> pd.DataFrame:
    return pd.read_parquet(tmp_path / "processed" / "counts.parquet").set_index(
        ["measure", "area_id", "year"]
    )


def _manifest(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "processed" / "manifest.json").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------- {year}, ${RAW}


def test_one_population_file_per_year(tmp_path, city):
    population = {"mapping": "stadt/einwohner.yaml", "reference_date": "31.12.{year}"}
    _run(tmp_path, _sources(population=population), raw=None)
    pop = pd.read_parquet(tmp_path / "processed" / "population.parquet")
    assert pop.groupby("year")["count"].sum().to_dict() == {2023: 3800, 2024: 4167}
    files = {f["file"]: f for f in _manifest(tmp_path)["files"]}
    assert files["einwohner_2023.csv"]["years"] == [2023] and files["einwohner_2024.csv"]["years"] == [2024]
    assert files["einwohner_2023.csv"]["reference_date"] == "31.12.2023"
    assert files["einwohner_2024.csv"]["reference_date"] == "31.12.2024"
    src = parse_sources(_sources(), base=tmp_path)
    assert [p.name for p in src.files() if p.suffix == ".csv"] == [
        "schluessel.csv",
        "einwohner_2023.csv",
        "einwohner_2024.csv",
    ]


def test_year_in_the_file_name_and_in_a_year_column_is_refused(tmp_path, city):
    for year in (2023, 2024):
        _write(
            city / f"einwohner_{year}.csv", f"Stadtteil;Jahr;Einwohner\n01;{year};1.200\n02;{year};2.155\n"
        )
    spec = yaml.safe_load((city / "einwohner.yaml").read_text(encoding="utf-8"))
    _yaml(city / "einwohner.yaml", {**spec, "rename": {**spec["rename"], "Jahr": "year"}})
    msg = _fails(tmp_path, _sources())
    assert "einwohner_2023.csv" in msg and "Spalte year" in msg and "(2023)" in msg
    assert "sources.population" in msg


def test_no_file_for_the_year_pattern(tmp_path, city):
    spec = yaml.safe_load((city / "einwohner.yaml").read_text(encoding="utf-8"))
    _yaml(city / "einwohner.yaml", {**spec, "file": "bevoelkerung_{year}.csv"})
    msg = _fails(tmp_path, _sources())
    assert "keine Datei passt zu 'bevoelkerung_{year}.csv'" in msg and "einwohner.yaml" in msg


def test_raw_folder_placeholder(tmp_path, city):
    raw = tmp_path / "rohdaten"
    raw.mkdir()
    _write(raw / "grusi.csv", "Stadtteil;Jahr;Empfaenger\n01;2024;12\n02;2024;0\n03;2024;*\n")
    _yaml(
        city / "grusi.yaml",
        {
            "file": "${RAW}/grusi.csv",
            "sep": ";",
            "layout": "long",
            "suppressed": ["*"],
            "rename": {"Stadtteil": "area_id", "Jahr": "year"},
            "id": {"column": "area_id"},
            "row_keys": ["area_id", "year"],
        },
    )
    sgb12 = {"mapping": "stadt/grusi.yaml", "measures": {"Empfaenger": "grusi_65"}}
    _run(tmp_path, _sources(sgb12=sgb12), raw=raw)
    c = _counts(tmp_path)
    assert c.loc[("grusi_65", "01", 2024), "value"] == 12 and c.loc[("grusi_65", "02", 2024), "value"] == 0
    assert c.loc[("grusi_65", "03", 2024), "suppressed"] and np.isnan(
        c.loc[("grusi_65", "03", 2024), "value"]
    )
    manifest = _manifest(tmp_path)
    assert "sgb12" not in [m["input"] for m in manifest.get("missing", [])]
    files = source_files(_sources(sgb12=sgb12), base=tmp_path, raw=raw)
    assert raw / "grusi.csv" in files and city / "grusi.yaml" in files
    # without a raw folder the placeholder cannot be resolved: left out of the make dependencies
    assert raw / "grusi.csv" not in source_files(_sources(sgb12=sgb12), base=tmp_path)


def test_sgb12_measure_must_belong_to_the_input(tmp_path, city):
    _write(city / "grusi.csv", "Stadtteil;Jahr;Empfaenger\n01;2024;12\n")
    _yaml(city / "grusi.yaml", {"file": "grusi.csv", "sep": ";"})
    with pytest.raises(ConfigError) as info:
        parse_sources(
            _sources(sgb12={"mapping": "stadt/grusi.yaml", "measures": {"Empfaenger": "sgb2_rlb"}}),
            base=tmp_path,
            config=tmp_path / "bericht.yaml",
        )
    msg = str(info.value)
    assert "Maß 'sgb2_rlb' (Spalte 'Empfaenger') gehört nicht zu sgb12" in msg
    assert "sources.sgb12.measures" in msg and "bericht.yaml" in msg and "grusi_65" in msg


# ---------------------------------------------------------------------------------------------- blocks


def _blocks(city: Path, ids: list[str]) -> dict:
    shapes = {"011": box(0, 0, 100, 50), "012": box(0, 50, 100, 100), "021": box(100, 0, 200, 100)}
    shapes["099"] = box(300, 300, 400, 400)
    gpd.GeoDataFrame({"code": ids}, geometry=[shapes[i] for i in ids], crs=25832).to_file(
        city / "bloecke.gpkg", layer="bloecke", driver="GPKG"
    )
    _yaml(city / "bloecke.yaml", {"file": "bloecke.gpkg", "id": {"column": "code", "name": "block_id"}})
    return _sources(blocks="stadt/bloecke.yaml")


def test_blocks_geometries(tmp_path, city):
    _run(tmp_path, _blocks(city, ["011", "012", "021"]))
    layer = gpd.read_file(tmp_path / "processed" / "areas.gpkg", layer="stat_bezirk")
    assert layer["block_id"].tolist() == ["011", "012", "021"] and layer["area_id"].tolist() == [
        "01",
        "01",
        "02",
    ]
    assert layer.geometry.area.round().tolist() == [5000, 5000, 10000] and layer.crs.to_epsg() == 25832


def test_block_not_in_the_key_table(tmp_path, city):
    msg = _fails(tmp_path, _blocks(city, ["011", "012", "021", "099"]))
    assert "bloecke.gpkg" in msg and "Objekt 4" in msg and "statistischer Bezirk '099'" in msg
    assert "sources.blocks" in msg and "bloecke.yaml" in msg


# ------------------------------------------------------------------------------------------ households


def _households(city: Path, single_parents_02: int = 50) -> dict:
    _write(
        city / "haushalte.csv",
        "Stadtteil;Jahr;Haushalte;Mit Kindern;Alleinerziehende\n01;2024;600;120;30\n"
        f"02;2024;1100;200;{single_parents_02}\n03;2024;400;60;*\n",
    )
    _yaml(
        city / "haushalte.yaml",
        {
            "file": "haushalte.csv",
            "sep": ";",
            "layout": "long",
            "suppressed": ["*"],
            "rename": {
                "Stadtteil": "area_id",
                "Jahr": "year",
                "Haushalte": "households",
                "Mit Kindern": "households_children",
                "Alleinerziehende": "single_parent_hh",
            },
            "id": {"column": "area_id"},
            "row_keys": ["area_id", "year"],
        },
    )
    return _sources(households="stadt/haushalte.yaml")


def test_households(tmp_path, city):
    _run(tmp_path, _households(city))
    c = _counts(tmp_path)
    assert c.loc[("households", "02", 2024), "value"] == 1100
    assert c.loc[("households_children", "01", 2024), "value"] == 120
    assert c.loc[("single_parent_hh", "03", 2024), "suppressed"]
    missing = {m["input"]: m for m in _manifest(tmp_path)["missing"]}
    assert "households" not in missing and "ba" in missing


def test_households_part_larger_than_its_total(tmp_path, city):
    msg = _fails(tmp_path, _households(city, single_parents_02=250))
    assert "haushalte.csv" in msg and "Alleinerziehende (250) größer als Mit Kindern (200)" in msg
    assert "Sozialraum 02, Jahr 2024" in msg and "sources.households" in msg


def test_raw_file_replaced_by_a_mapping_is_named(tmp_path, city):
    raw = tmp_path / "rohdaten"
    raw.mkdir()
    _write(raw / "haushalte.csv", "Sozialraum;Jahr\n")
    result = _run(tmp_path, _households(city), raw=raw)
    assert (
        "haushalte.csv im Rohdatenordner nicht gelesen: sources.households ersetzt die Datei"
        in result.warnings
    )


# -------------------------------------------------------------------------------------------------- BA

BA_HEADER = [
    "Sozialraum",
    "Name",
    "RLB insgesamt",
    "RLB unter 15 Jahre",
    "Arbeitslose insgesamt",
    "Arbeitslose SGB II",
    "Arbeitslose SGB III",
    "Arbeitslose unter 25 Jahre",
]
BA_MEASURES = ["sgb2_rlb", "sgb2_u15", "unemployed", "unemployed_sgb2", "unemployed_sgb3", "unemployed_u25"]


def _ba(city: Path, total_u25_2024: int = 11, sgb3_02: int = 15) -> dict:
    sheets = {
        "Dez 2023": [
            ["01", "Altstadt", 110, 38, 28, 18, 10, 4],
            ["02", "Neustadt", 220, 66, 48, 33, 15, 5],
            ["03", "Hafen", 50, 11, 19, 12, 7, "*"],
            ["Stadt insgesamt", None, 380, 115, 95, 63, 32, 10],
        ],
        "Dez 2024": [
            ["01", "Altstadt", 120, 40, 30, 20, 10, "*"],
            ["02", "Neustadt", 230, 70, 50, 35, sgb3_02, 6],
            ["03", "Hafen", 51, 12, 20, 12, 8, 3],
            ["Stadt insgesamt", None, 401, 122, 100, 67, 33, total_u25_2024],
        ],
    }
    wb = Workbook()
    wb.active.title = "Hinweise"
    wb.active.append(["Sonderauswertung, * = geheim"])
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(["Arbeitsmarkt nach Sozialräumen"])
        ws.append([f"Berichtsmonat: {name}"])
        ws.append(BA_HEADER)
        for row in rows:
            ws.append(row)
        ws.append(["Quelle: Statistik der Bundesagentur für Arbeit"])
    wb.save(city / "ba.xlsx")
    _yaml(
        city / "ba.yaml",
        {
            "file": "ba.xlsx",
            "sheet": "Dez {year}",
            "skip_rows": 2,
            "footer_rows": 1,
            "suppressed": ["*"],
            "rename": {"Sozialraum": "area_id", "Name": "area_name"}
            | dict(zip(BA_HEADER[2:], BA_MEASURES, strict=True)),
            "aggregates": [{"level": "stadt", "column": "area_id", "match": "Stadt insgesamt"}],
            "id": {"column": "area_id"},
            "types": {"area_name": "str"},
        },
    )
    return _sources(ba="stadt/ba.yaml")


def test_ba_one_sheet_per_year_with_city_totals(tmp_path, city):
    _run(tmp_path, _ba(city))
    c = _counts(tmp_path)
    assert c.loc[("sgb2_rlb", "02", 2024), "value"] == 230 and c.loc[("sgb2_rlb", "02", 2023), "value"] == 220
    assert (
        c.loc[("unemployed_u25", "01", 2024), "suppressed"]
        and not c.loc[("unemployed_u25", "02", 2024), "suppressed"]
    )
    totals = pd.read_parquet(tmp_path / "processed" / "city_totals.parquet").set_index(["measure", "year"])
    assert (
        totals.loc[("unemployed_u25", 2024), "value"] == 11 and totals.loc[("sgb2_rlb", 2023), "value"] == 380
    )
    assert len(totals) == 12
    ba = next(f for f in _manifest(tmp_path)["files"] if f["file"] == "ba.xlsx")
    assert ba["sheets"] == ["Dez 2023", "Dez 2024"] and ba["rows"] == 6 and ba["mapping"] == "stadt/ba.yaml"


def test_ba_star_must_hide_at_least_one(tmp_path, city):
    msg = _fails(tmp_path, _ba(city, total_u25_2024=9))  # 9 − visible 9 = 0, but one "*" hides ≥ 1
    assert "ba.xlsx" in msg and "Blatt 'Dez 2024'" in msg and "Spalte 'Arbeitslose unter 25 Jahre'" in msg
    assert "widersprüchlich" in msg and "sources.ba" in msg


def test_ba_sgb2_and_sgb3_must_add_up(tmp_path, city):
    msg = _fails(tmp_path, _ba(city, sgb3_02=16))
    assert "Arbeitslose SGB II + SGB III (35 + 16) ergeben nicht 'Arbeitslose insgesamt' (50)" in msg
    assert "Blatt 'Dez 2024', Sozialraum 02" in msg and "sources.ba" in msg


def test_read_year_tables_skips_other_sheets(city):
    _ba(city)
    tables = read_year_tables(city / "ba.yaml")
    assert [y for y, _ in tables] == [2023, 2024]
    assert tables[1][1].data["sgb2_rlb"].tolist() == [120, 230, 51] and tables[1][1].lines.tolist() == [
        4,
        5,
        6,
    ]


# ------------------------------------------------------------------------------------------------- HzE


def _hze(city: Path, sum_over: bool = True) -> dict:
    _write(
        city / "hze.csv",
        "Stadtteil;Jahr;Hilfeart;Faelle\n01;2024;§29;3\n01;2024;§31;0\n01;2024;§34;5\n"
        "02;2024;§29;*\n02;2024;§31;4\n03;2024;§29;-\n",
    )
    _yaml(
        city / "hze.yaml",
        {
            "file": "hze.csv",
            "sep": ";",
            "layout": "long",
            "suppressed": ["*"],
            "zero": ["-"],
            "rename": {"Stadtteil": "area_id", "Jahr": "year", "Faelle": "hze_cases"},
            "id": {"column": "area_id"},
            "types": {"Hilfeart": "str"},
            "row_keys": ["area_id", "year", "Hilfeart"],
        },
    )
    return _sources(hze={"mapping": "stadt/hze.yaml"} | ({"sum_over": ["Hilfeart"]} if sum_over else {}))


def test_hze_types_of_help_added_up(tmp_path, city):
    _run(tmp_path, _hze(city))
    c = _counts(tmp_path)
    assert c.loc[("hze_cases", "01", 2024), "value"] == 8 and c.loc[("hze_cases", "03", 2024), "value"] == 0
    assert c.loc[("hze_cases", "02", 2024), "suppressed"] and np.isnan(
        c.loc[("hze_cases", "02", 2024), "value"]
    )


def test_hze_rows_per_type_without_sum_over(tmp_path, city):
    msg = _fails(tmp_path, _hze(city, sum_over=False))
    assert "hze.csv" in msg and "doppelter Schlüssel" in msg and "Zeilen 2, 3" in msg
    assert "sum_over" in msg and "sources.hze" in msg


# --------------------------------------------------------------------------------------------- movements


def _events(city: Path, age: str = "100 und älter") -> dict:
    rows = ["Stadtteil;Jahr;Geschlecht;Alter;Geburten;Gestorbene;Zuzug;Fortzug;Umzug zu;Umzug weg"]
    rows += ["01;2024;weiblich;30;2;0;5;3;1;", "01;2024;männlich;30;0;0;4;2;0;1"]  # empty cell: no event
    rows += [f"02;2024;weiblich;{age};0;3;0;0;0;0", "03;2024;männlich;0;0;0;1;0;2;0"]
    _write(city / "bewegungen.csv", "\n".join(rows) + "\n")
    names = ["births", "deaths", "in_ext", "out_ext", "in_int", "out_int"]
    _yaml(
        city / "bewegungen.yaml",
        {
            "file": "bewegungen.csv",
            "sep": ";",
            "layout": "long",
            "rename": {"Stadtteil": "area_id", "Jahr": "year", "Geschlecht": "sex", "Alter": "age"}
            | dict(
                zip(
                    ["Geburten", "Gestorbene", "Zuzug", "Fortzug", "Umzug zu", "Umzug weg"],
                    names,
                    strict=True,
                )
            ),
            "id": {"column": "area_id"},
            "types": {"age": "str"},
            "row_keys": ["area_id", "year", "sex", "age"],
        },
    )
    return _sources(events="stadt/bewegungen.yaml")


def test_events(tmp_path, city):
    _run(tmp_path, _events(city))
    ev = pd.read_parquet(tmp_path / "processed" / "events.parquet")
    assert list(ev.columns) == [
        "area_id",
        "year",
        "sex",
        "age",
        "births",
        "deaths",
        "in_ext",
        "out_ext",
        "in_int",
        "out_int",
    ]
    assert ev[["area_id", "sex", "age"]].values.tolist() == [
        ["01", "m", 30],
        ["01", "w", 30],
        ["02", "w", 100],
        ["03", "m", 0],
    ]
    assert ev["births"].tolist() == [0, 2, 0, 0] and ev["deaths"].tolist() == [0, 0, 3, 0]
    assert str(ev["in_ext"].dtype) == "int64"
    c = _counts(tmp_path)
    assert c.loc[("in_ext", "01", 2024), "value"] == 9 and c.loc[("in_int", "03", 2024), "value"] == 2


def test_events_need_single_years_of_age(tmp_path, city):
    msg = _fails(tmp_path, _events(city, age="18 bis 29"))
    assert (
        "bewegungen.csv" in msg and "Alter '18 bis 29' ungültig" in msg and "Zeile 4, Spalte 'Alter'" in msg
    )
    assert "sources.events" in msg


# -------------------------------------------------------------------------------------------- facilities


def _facilities(city: Path, x3: str = "50") -> dict:
    _write(
        city / "kitas.csv",
        "Nr;Name;Art;Rechtswert;Hochwert;Plätze U3;Plätze ab 3\n"
        "K1;Kita Sonnenschein;Kita;50,5;50;10;40\nK2;Kita Hafenkinder;Kita;150;50;;25\n"
        f"S1;Schule am Berg;Grundschule;{x3};150;;\n",
    )
    _yaml(
        city / "kitas.yaml",
        {
            "file": "kitas.csv",
            "sep": ";",
            "decimal": ",",
            "layout": "long",
            "rename": {
                "Nr": "facility_id",
                "Name": "name",
                "Art": "type",
                "Rechtswert": "x",
                "Hochwert": "y",
                "Plätze U3": "places_u3",
                "Plätze ab 3": "places_ue3",
            },
            "types": {"facility_id": "str", "name": "str", "type": "str"},
            "row_keys": ["facility_id"],
        },
    )
    return _sources(facilities="stadt/kitas.yaml")


def test_facilities_located_in_their_areas(tmp_path, city):
    _run(tmp_path, _facilities(city))
    fac = gpd.read_file(tmp_path / "processed" / "facilities.gpkg")
    assert fac["facility_id"].tolist() == ["K1", "K2", "S1"] and fac["area_id"].tolist() == ["01", "02", "03"]
    assert fac["places_u3"].tolist() == [10, 0, 0] and fac.geometry.x.tolist() == [50.5, 150, 50]
    assert fac["carrier"].tolist() == ["", "", ""] and fac.crs.to_epsg() == 25832
    c = _counts(tmp_path)
    assert (
        c.loc[("kita_places_u3", "01", 2024), "value"] == 10
        and c.loc[("kita_places_ue3", "02", 2024), "value"] == 25
    )


def test_facilities_from_point_geodata_in_another_crs(tmp_path, city):
    pts = gpd.GeoSeries([Point(50, 50), Point(150, 60)], crs=25832).to_crs(4326)
    gpd.GeoDataFrame(
        {"kennung": ["K1", "K2"], "bezeichnung": ["Kita A", "Kita B"], "art": ["Kita", "Kita"], "u3": [5, 7]},
        geometry=pts,
    ).to_file(city / "kitas.geojson", driver="GeoJSON")
    _yaml(
        city / "kitas_geo.yaml",
        {
            "file": "kitas.geojson",
            "rename": {"kennung": "facility_id", "bezeichnung": "name", "art": "type", "u3": "places_u3"},
        },
    )
    _run(tmp_path, _sources(facilities="stadt/kitas_geo.yaml"))
    fac = gpd.read_file(tmp_path / "processed" / "facilities.gpkg")
    assert fac["area_id"].tolist() == ["01", "02"] and fac.geometry.x.round(3).tolist() == [50.0, 150.0]
    assert _counts(tmp_path).loc[("kita_places_u3", "02", 2024), "value"] == 7


def test_facility_outside_every_area(tmp_path, city):
    msg = _fails(tmp_path, _facilities(city, x3="950"))
    assert "kitas.csv" in msg and "Einrichtung liegt in keinem Sozialraum" in msg
    assert "Zeile 4, Spalte 'Rechtswert'" in msg and "sources.facilities" in msg


# ---------------------------------------------------------------------------------------------- survey


def _survey(city: Path, answer: str = "4") -> dict:
    _write(
        city / "befragung_2024.csv",
        "ID;Gebiet;Alter;Geschlecht;Gewicht;F1 Wohnen;F2 Sicherheit;Anmerkung\n"
        "B1;01;18 bis 29;w;0,5;5;4;Mehr Grün\nB2;01;65 und älter;m;1,25;3;;\n"
        f"B3;03;30 bis 44;w;0,75;2;{answer};\n",
    )
    _yaml(
        city / "befragung.yaml",
        {
            "file": "befragung_{year}.csv",
            "sep": ";",
            "decimal": ",",
            "layout": "long",
            "rename": {
                "ID": "respondent_id",
                "Gebiet": "area_id",
                "Alter": "age_group",
                "Geschlecht": "sex",
                "Gewicht": "weight",
                "Anmerkung": "text",
            },
            "id": {"column": "area_id"},
            "types": {"respondent_id": "str", "age_group": "str", "text": "str"},
            "row_keys": ["respondent_id"],
        },
    )
    return _sources(survey="stadt/befragung.yaml")


def test_survey(tmp_path, city):
    _run(tmp_path, _survey(city))
    s = pd.read_parquet(tmp_path / "processed" / "survey.parquet")
    assert list(s.columns) == [
        "respondent_id",
        "area_id",
        "age_group",
        "sex",
        "weight",
        "F1 Wohnen",
        "F2 Sicherheit",
        "text",
        "year",
    ]
    assert s["year"].tolist() == [2024, 2024, 2024]  # the wave's year from the file name befragung_2024.csv
    assert s["weight"].tolist() == [0.5, 1.25, 0.75] and s["F1 Wohnen"].tolist() == [5, 3, 2]
    assert np.isnan(s["F2 Sicherheit"].iloc[1]) and s["text"].tolist() == ["Mehr Grün", "", ""]


def test_survey_answer_outside_the_scale(tmp_path, city):
    msg = _fails(tmp_path, _survey(city, answer="6"))
    assert "befragung_2024.csv" in msg and "Antwort 6 außerhalb 1–5" in msg
    assert "Zeile 4, Spalte 'F2 Sicherheit'" in msg and "sources.survey" in msg


# -------------------------------------------------------------------------------------- measures, KPIs


def _measures(city: Path, kpi_measure: str = "M2") -> dict:
    _write(
        city / "massnahmen.csv",
        "Nr;Titel;Gebiete;Start;Ende;Budget\nM1;Quartiersbüro;01, 02;01.01.2022;;120.000\n"
        "M2;Sprachkurse;03;01.06.2023;31.12.2025;45.500\n",
    )
    _write(
        city / "kennzahlen.csv",
        f"Nr;Kennzahl;Jahr;Ist;Ziel\nM1;Besuche;2023;410;500\n{kpi_measure};Kurse;2024;12,5;\n",
    )
    rename = {"Nr": "measure_id", "Titel": "name", "Gebiete": "area_ids", "Start": "start", "Ende": "end"}
    _yaml(
        city / "massnahmen.yaml",
        {
            "file": "massnahmen.csv",
            "sep": ";",
            "decimal": ",",
            "rename": rename | {"Budget": "budget"},
            "types": dict.fromkeys(rename.values(), "str"),
        },
    )
    _yaml(
        city / "kennzahlen.yaml",
        {
            "file": "kennzahlen.csv",
            "sep": ";",
            "decimal": ",",
            "rename": {
                "Nr": "measure_id",
                "Kennzahl": "kpi",
                "Jahr": "year",
                "Ist": "value",
                "Ziel": "target",
            },
            "types": {"measure_id": "str", "kpi": "str"},
        },
    )
    return _sources(measures="stadt/massnahmen.yaml", kpis="stadt/kennzahlen.yaml")


def test_measures_and_kpis(tmp_path, city):
    _run(tmp_path, _measures(city))
    m = pd.read_parquet(tmp_path / "processed" / "measures.parquet")
    assert m.to_dict("list") == {
        "measure_id": ["M1", "M2"],
        "name": ["Quartiersbüro", "Sprachkurse"],
        "area_ids": ["01,02", "03"],
        "start": ["01.01.2022", "01.06.2023"],
        "end": ["", "31.12.2025"],
        "budget": [120000.0, 45500.0],
        "target_indicator": ["", ""],  # optional column, not delivered
    }
    k = pd.read_parquet(tmp_path / "processed" / "kpis.parquet")
    assert k[["measure_id", "year", "value"]].values.tolist() == [["M1", 2023, 410.0], ["M2", 2024, 12.5]]
    assert k["target"].iloc[0] == 500 and np.isnan(k["target"].iloc[1])


def test_kpi_of_an_unknown_measure(tmp_path, city):
    msg = _fails(tmp_path, _measures(city, kpi_measure="M9"))
    assert "kennzahlen.csv" in msg and "Maßnahme 'M9' steht nicht im Maßnahmenregister" in msg
    assert "Zeile 3, Spalte 'Nr'" in msg and "sources.kpis" in msg


def test_kpis_need_the_register(tmp_path, city):
    _measures(city)
    with pytest.raises(ConfigError) as info:
        parse_sources(_sources(kpis="stadt/kennzahlen.yaml"), base=tmp_path)
    assert "sources.kpis" in str(info.value) and "measures" in str(info.value)


def test_every_input_and_entry_option_is_documented():
    from workbench.io._sources import ENTRY_KEYS, OPTIONAL_SOURCES

    root = Path(__file__).resolve().parents[2]
    guide = (root / "docs" / "ZUORDNUNGEN.md").read_text(encoding="utf-8")
    contract = (root / "docs" / "DATA_CONTRACT.md").read_text(encoding="utf-8")
    section = guide.split("## Eingaben der Berichtskonfiguration (`sources:`)")[1].split("\n## ")[0]
    for name in ("keys", "areas", "population", "counts", "shares", *OPTIONAL_SOURCES):
        assert f"| `{name}` |" in section, name
        assert f"`{name}`" in contract, name
        for option in ENTRY_KEYS[name]:
            assert f"`{option}`" in section, (name, option)
    assert "${RAW}" in guide and "{year}" in guide and "${RAW}" in contract
