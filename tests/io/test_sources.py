"""Inputs by mapping (``sources:`` of the report config): key table, geometries, population and count tables read
with the mapped reader, validated, and written as the same processed tables as the raw-folder layout."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from shapely.geometry import box

from workbench.errors import ConfigError, DataValidationError
from workbench.io.dataset import Dataset
from workbench.io.importer import import_notes, parse_sources, run_import
from workbench.settings import load_report_config

ROOT = Path(__file__).resolve().parents[2]
FLENSBURG = ROOT.parent / "shared" / "data" / "flensburg-sozialatlas-2022"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def _yaml(path: Path, spec: dict) -> Path:
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def city(tmp_path) -> Path:
    """Three Sozialräume in two Stadtbezirke: key table (CSV), geometries (GeoPackage), population totals 2024."""
    d = tmp_path / "stadt"
    d.mkdir()
    _write(
        d / "schluessel.csv",
        "Nr;Stadtteil;Bezirk;Bezirksname\n1;Altstadt;1;Mitte\n2;Neustadt;1;Mitte\n3;Hafen;2;Nord\n",
    )
    _yaml(
        d / "schluessel.yaml",
        {
            "file": "schluessel.csv",
            "sep": ";",
            "rename": {
                "Nr": "area_id",
                "Stadtteil": "area_name",
                "Bezirk": "district_id",
                "Bezirksname": "district_name",
            },
            "id": {"column": "area_id", "width": 2},
            "types": {"district_id": "str"},
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
    _write(d / "einwohner.csv", "Stadtteil;Einwohner\n01;1.200\n02;2.155\n03;812\n")
    _yaml(
        d / "einwohner.yaml",
        {
            "file": "einwohner.csv",
            "sep": ";",
            "decimal": ",",
            "rename": {"Stadtteil": "area_id", "Einwohner": "count"},
            "id": {"column": "area_id"},
            "types": {"count": "int"},
        },
    )
    return d


def _sources(city: Path, **extra) -> dict:
    base = {
        "keys": "stadt/schluessel.yaml",
        "areas": "stadt/flaechen.yaml",
        "population": {"mapping": "stadt/einwohner.yaml", "year": 2024},
    }
    return {**base, **extra}


def _run(tmp_path: Path, sources: dict, **kw):
    return run_import(tmp_path / "raw", tmp_path / "processed", sources=sources, base=tmp_path, **kw)


# ----------------------------------------------------------------------------------- keys, areas, population


def test_keys_areas_population_totals_only(tmp_path, city):
    result = _run(tmp_path, _sources(city), reporting_year=2024)
    out = tmp_path / "processed"
    assert sorted(p.name for p in out.iterdir()) == [
        "areas.gpkg",
        "city_totals.parquet",
        "keys.parquet",
        "manifest.json",
        "population.parquet",
    ]
    ds = Dataset(out)
    assert ds.keys.to_dict("records")[0] == {
        "block_id": "01",
        "block_name": "Altstadt",
        "area_id": "01",
        "area_name": "Altstadt",
        "district_id": "1",
        "district_name": "Mitte",
    }
    assert list(ds.areas["area_id"]) == ["01", "02", "03"] and ds.areas.crs.to_epsg() == 25832
    assert list(ds.areas["population"]) == [1200, 2155, 812]
    assert list(ds.districts["district_id"]) == ["1", "2"]
    pop = ds.population
    assert list(pop.columns) == ["area_id", "year", "sex", "age", "nationality", "count"]
    assert pop.to_dict("list") == {
        "area_id": ["01", "02", "03"],
        "year": [2024] * 3,
        "sex": ["insgesamt"] * 3,
        "age": [-1] * 3,
        "nationality": ["insgesamt"] * 3,
        "count": [1200, 2155, 812],
    }
    assert ds.population_by("area_id", "year")["count"].sum() == 4167
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["years"] == [2024] and manifest["areas"] == 3
    assert manifest["population_detail"] == "total"
    assert manifest["population_detail_by_year"] == {"2024": "total"} and manifest["population_by"] == []
    assert {f["file"]: f["mapping"] for f in manifest["files"]} == {
        "schluessel.csv": "stadt/schluessel.yaml",
        "flaechen.gpkg": "stadt/flaechen.yaml",
        "einwohner.csv": "stadt/einwohner.yaml",
    }
    assert [m["input"] for m in manifest["missing"]][:2] == ["households", "ba"]
    notes = import_notes(result)
    assert any(
        n.startswith("Einwohner liegen nur als Gesamtzahl (2024) vor, ohne Aufteilung nach Geschlecht")
        for n in notes
    )


def test_sources_need_no_raw_folder_but_the_rest_of_the_raw_folder_is_used(tmp_path, city, raw_copy):
    # the raw folder may hold further inputs in the demo layout; its own key table etc. are then not used
    for name in [p.name for p in raw_copy.iterdir() if p.name != "hze_faelle.csv"]:
        (raw_copy / name).unlink()
    _write(raw_copy / "hze_faelle.csv", "Sozialraum;Jahr;Hilfeart;Faelle\n01;2024;§27.2;4\n02;2024;§27.2;*\n")
    run_import(raw_copy, tmp_path / "processed", sources=_sources(city), base=tmp_path)
    counts = pd.read_parquet(tmp_path / "processed" / "counts.parquet")
    assert counts["measure"].unique().tolist() == ["hze_cases"]
    assert counts["suppressed"].tolist() == [False, True]


def test_population_by_sex_and_single_years_and_age_groups(tmp_path, city):
    rows = ["Gebiet;Jahr;Geschlecht;Alter;Anzahl"]
    for area, n in (("01", 10), ("02", 20), ("03", 30)):
        for sex in ("männlich", "weiblich"):
            rows += [f"{area};2023;{sex};unter 18;{n}", f"{area};2023;{sex};18 bis unter 65;{2 * n}"]
            rows += [f"{area};2023;{sex};65 und älter;{n // 2}"]
            rows += [f"{area};2024;{sex};{age};{n + age}" for age in range(80)]  # single years 0 … 79
    _write(city / "alter.csv", "\n".join(rows) + "\n")
    _yaml(
        city / "alter.yaml",
        {
            "file": "alter.csv",
            "sep": ";",
            "layout": "long",
            "rename": {
                "Gebiet": "area_id",
                "Jahr": "year",
                "Geschlecht": "sex",
                "Alter": "age",
                "Anzahl": "count",
            },
            "id": {"column": "area_id"},
            "types": {"age": "str", "count": "int"},
            "row_keys": ["area_id", "year", "sex", "age"],
        },
    )
    result = _run(tmp_path, _sources(city, population="stadt/alter.yaml"))
    out = tmp_path / "processed"
    pop = pd.read_parquet(out / "population.parquet")
    p24 = pop[pop["year"] == 2024]
    assert (
        set(p24["age"]) == set(range(80))
        and set(p24["sex"]) == {"m", "w"}
        and set(p24["nationality"]) == {"insgesamt"}
    )
    p23 = pop[pop["year"] == 2023]
    assert set(p23["age"]) == {-1} and p23.set_index(["area_id", "sex"])["count"][("01", "w")] == 10 + 20 + 5
    groups = pd.read_parquet(out / "population_age_groups.parquet")
    assert list(groups.columns) == ["area_id", "year", "sex", "nationality", "age_from", "age_to", "count"]
    assert groups[(groups["area_id"] == "01") & (groups["sex"] == "m")][
        ["age_from", "age_to", "count"]
    ].values.tolist() == [
        [0, 17, 10],
        [18, 64, 20],
        [65, 100, 5],
    ]
    assert result.population == {
        "population_detail": "age_groups",
        "population_detail_by_year": {"2023": "age_groups", "2024": "single_years"},
        "population_by": ["sex"],
    }


def test_population_totals_and_age_groups_of_one_year_must_agree(tmp_path, city):
    _write(
        city / "baender.csv",
        "Nr;gesamt;u18;18-64;65+\n01;1200;200;800;200\n02;2155;300;1555;300\n03;812;100;600;112\n",
    )
    spec = {
        "file": "baender.csv",
        "sep": ";",
        "rename": {"Nr": "area_id", "gesamt": "count"},
        "id": {"column": "area_id"},
    }
    _yaml(city / "baender.yaml", spec)
    entry = {
        "mapping": "stadt/baender.yaml",
        "year": 2024,
        "age_columns": {"u18": [0, 17], "18-64": [18, 64], "65+": [65, None]},
    }
    population = [{"mapping": "stadt/einwohner.yaml", "year": 2024}, entry]
    result = _run(tmp_path, _sources(city, population=population))
    assert result.population["population_detail"] == "age_groups"  # the finer source of 2024 is kept
    groups = pd.read_parquet(tmp_path / "processed" / "population_age_groups.parquet")
    assert len(groups) == 9 and groups["count"].sum() == 4167
    # a total that is not the sum of its bands is refused (like Flensburg's Tab. 5, 08 Sandberg)
    _write(
        city / "baender.csv",
        "Nr;gesamt;u18;18-64;65+\n01;1200;200;800;200\n02;2515;300;1555;300\n03;812;100;600;112\n",
    )
    with pytest.raises(DataValidationError) as info:
        _run(tmp_path, _sources(city, population=population))
    msg = str(info.value)
    assert "baender.csv" in msg and "Zeile 3, Spalte 'gesamt'" in msg and "2.155" in msg and "2.515" in msg
    assert "sources.population[1]" in msg
    # bands alone: their sum must equal the other source of the year
    _write(city / "baender.csv", "Nr;u18;18-64;65+\n01;200;800;200\n02;300;1555;300\n03;100;600;113\n")
    _yaml(city / "baender.yaml", {**spec, "rename": {"Nr": "area_id"}})
    with pytest.raises(DataValidationError) as info:
        _run(tmp_path, _sources(city, population=population))
    assert "Einwohner 2024 von Sozialraum 03: 813 hier, aber 812 in einwohner.csv" in str(info.value)


def test_age_groups_with_a_gap_are_refused(tmp_path, city):
    _write(
        city / "lücke.csv",
        "Nr;Alter;Anzahl\n" + "".join(f"0{i};unter 18;5\n0{i};65 und älter;5\n" for i in (1, 2, 3)),
    )
    _yaml(
        city / "luecke.yaml",
        {
            "file": "lücke.csv",
            "sep": ";",
            "layout": "long",
            "rename": {"Nr": "area_id", "Alter": "age", "Anzahl": "count"},
            "id": {"column": "area_id"},
            "row_keys": ["area_id", "age"],
            "types": {"age": "str"},
        },
    )
    with pytest.raises(DataValidationError) as info:
        _run(tmp_path, _sources(city, population={"mapping": "stadt/luecke.yaml", "year": 2024}))
    msg = str(info.value)
    assert (
        "nicht lückenlos: es fehlen die Alter 18–64" in msg
        and "Zeile 2" in msg
        and "sources.population" in msg
    )


# ------------------------------------------------------------------------------------------------- counts


@pytest.fixture
def sgb2(city) -> Path:
    """A published count table: years in columns, '*' suppressed, '-' exactly zero, a city total row."""
    _write(
        city / "sgb2.csv",
        "Nr;Stadtteil;Anzahl 2023;Anteil 2023;Anzahl 2024;Anteil 2024\n"
        "1;Altstadt;*;0,2;120;10,0\n"
        "2;Neustadt;-;0,0;230;10,7\n"
        "3;Hafen;40;4,9;51;6,3\n"
        ";Stadt insgesamt;42;1,0;401;9,6\n",
    )
    _yaml(
        city / "sgb2.yaml",
        {
            "file": "sgb2.csv",
            "sep": ";",
            "decimal": ",",
            "suppressed": ["*"],
            "zero": ["-"],
            "rename": {"Nr": "area_id", "Stadtteil": "area_name"},
            "aggregates": [{"level": "stadt", "column": "area_name", "match": "Stadt insgesamt"}],
            "id": {"column": "area_id", "width": 2},
            "melt": {"pattern": "Anzahl (\\d{4})", "value": "anzahl", "id_columns": ["area_id"]},
        },
    )
    _write(
        city / "einwohner2.csv",
        "Stadtteil;Jahr;Einwohner\n"
        + "".join(f"0{i};{y};{n}\n" for y in (2023, 2024) for i, n in ((1, 1200), (2, 2155), (3, 812))),
    )
    _yaml(
        city / "einwohner2.yaml",
        {
            "file": "einwohner2.csv",
            "sep": ";",
            "layout": "long",
            "rename": {"Stadtteil": "area_id", "Jahr": "year", "Einwohner": "count"},
            "id": {"column": "area_id"},
            "row_keys": ["area_id", "year"],
        },
    )
    return city / "sgb2.yaml"


def _count_sources(city: Path, **entry) -> dict:
    return _sources(
        city,
        population="stadt/einwohner2.yaml",
        counts=[{"mapping": "stadt/sgb2.yaml", "measures": {"anzahl": "sgb2_rlb"}, **entry}],
    )


def test_counts_keep_suppressed_and_zero_codes(tmp_path, city, sgb2):
    _run(tmp_path, _count_sources(city), reporting_year=2024)
    out = tmp_path / "processed"
    counts = pd.read_parquet(out / "counts.parquet").set_index(["area_id", "year"])
    assert counts["measure"].unique().tolist() == ["sgb2_rlb"]
    star, dash = counts.loc[("01", 2023)], counts.loc[("02", 2023)]
    assert bool(star["suppressed"]) and pd.isna(star["value"])  # "*": suppressed, never 0
    assert not bool(dash["suppressed"]) and dash["value"] == 0.0  # "-": exactly zero
    assert counts.loc[("03", 2024), "value"] == 51.0
    totals = pd.read_parquet(out / "city_totals.parquet")
    assert totals.to_dict("records") == [
        {"year": 2023, "measure": "sgb2_rlb", "value": 42.0},
        {"year": 2024, "measure": "sgb2_rlb", "value": 401.0},
    ]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {
        "input": "ba",
        "file": "ba_sgb2_arbeitslose.xlsx",
        "measures": ["sgb2_u15", "unemployed", "unemployed_sgb2", "unemployed_sgb3", "unemployed_u25"],
        "tables": [],
    } in manifest["missing"]  # sgb2_rlb comes from the mapping
    assert "population_detail" in manifest


def test_city_total_contradicting_the_areas_is_refused(tmp_path, city, sgb2):
    text = (
        (city / "sgb2.csv")
        .read_text(encoding="utf-8")
        .replace(";Stadt insgesamt;42;1,0;401;", ";Stadt insgesamt;42;1,0;400;")
    )
    _write(city / "sgb2.csv", text)
    with pytest.raises(DataValidationError) as info:
        _run(tmp_path, _count_sources(city))
    msg = str(info.value)
    assert "sgb2.csv" in msg and "Jahr 2024, Spalte 'anzahl'" in msg and "(400)" in msg and "(401)" in msg


def test_count_id_not_in_key_table_names_file_and_line(tmp_path, city, sgb2):
    text = (city / "sgb2.csv").read_text(encoding="utf-8").replace("3;Hafen;", "9;Hafen;")
    _write(city / "sgb2.csv", text)
    with pytest.raises(DataValidationError) as info:
        _run(tmp_path, _count_sources(city))
    msg = str(info.value)
    assert f"Datei {city / 'sgb2.csv'}" in msg
    assert "unbekannte Sozialraum-Schlüssel: '09' (Zeile 4)" in msg
    assert "id.width" in msg and "sgb2.yaml" in msg and "sources.counts[0]" in msg


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("3;Hafen;40;", "3;Hafen;-4;"), "negative Anzahl -4 (Maß sgb2_rlb)"),
        (("3;Hafen;40;", "3;Hafen;40,5;"), "Anzahl 40.5 ist keine ganze Zahl"),
    ],
)
def test_counts_must_be_non_negative_integers(tmp_path, city, sgb2, edit, expected):
    _write(city / "sgb2.csv", (city / "sgb2.csv").read_text(encoding="utf-8").replace(*edit))
    with pytest.raises(DataValidationError) as info:
        _run(tmp_path, _count_sources(city))
    assert expected in str(info.value) and "Zeile 4, Spalte 'anzahl'" in str(info.value)


def test_a_share_is_no_count(tmp_path, city, sgb2):
    spec = yaml.safe_load(sgb2.read_text(encoding="utf-8"))
    spec["melt"]["pattern"] = "Anteil (\\d{4})"
    _yaml(sgb2, spec)
    with pytest.raises(DataValidationError) as info:
        _run(tmp_path, _count_sources(city))
    assert "ist keine ganze Zahl" in str(info.value) and "Anteile in %" in str(info.value)


def test_measure_from_two_sources_is_refused(tmp_path, city, sgb2):
    sources = _count_sources(city)
    sources["counts"].append({"mapping": "stadt/sgb2.yaml", "measures": {"anzahl": "sgb2_rlb"}})
    with pytest.raises(DataValidationError) as info:
        _run(tmp_path, sources)
    assert "kommt aus zwei Quellen" in str(info.value) and "sources.counts[1]" in str(info.value)


# ------------------------------------------------------------------------------------------ configuration


def test_sources_config_errors_name_the_key(tmp_path, city):
    with pytest.raises(ConfigError) as info:
        parse_sources({"keys": "stadt/schluessel.yaml", "bewegungen": "x.yaml"}, base=tmp_path)
    assert "unbekannte Eingabe(n) bewegungen" in str(info.value) and "sources" in str(info.value)
    assert "events" in str(info.value)  # the allowed inputs are listed
    with pytest.raises(ConfigError) as info:
        parse_sources({"counts": ["stadt/gibtsnicht.yaml"]}, base=tmp_path, config=tmp_path / "r.yaml")
    msg = str(info.value)
    assert "Zuordnung nicht gefunden" in msg and "sources.counts[0]" in msg and "r.yaml" in msg
    with pytest.raises(ConfigError) as info:
        parse_sources({"counts": [{"mapping": "stadt/einwohner.yaml", "measure": {}}]}, base=tmp_path)
    assert "unbekannte Einstellung(en) measure" in str(info.value) and "sources.counts[0]" in str(info.value)
    with pytest.raises(ConfigError) as info:
        parse_sources(
            {"population": {"mapping": "stadt/einwohner.yaml", "age_columns": {"u18": [18, 0]}}},
            base=tmp_path,
        )
    assert "sources.population.age_columns.u18" in str(info.value)


def test_counts_without_measures_need_the_measures_key(tmp_path, city, sgb2):
    sources = _count_sources(city)
    del sources["counts"][0]["measures"]
    with pytest.raises(ConfigError) as info:
        _run(tmp_path, sources)
    assert "keine Maßspalten" in str(info.value) and "sources.counts[0].measures" in str(info.value)


def test_report_config_accepts_sources(tmp_path):
    cfg = tmp_path / "stadt.yaml"
    cfg.write_text(
        "city: Flensburg\nreporting_year: 2021\nsources:\n  keys: a.yaml\n  counts: [b.yaml]\n",
        encoding="utf-8",
    )
    loaded = load_report_config(cfg)
    assert loaded.extra["sources"]["keys"] == "a.yaml" and list(loaded.extra["sources"]["counts"]) == [
        "b.yaml"
    ]


def test_missing_reporting_year_names_the_population_sources(tmp_path, city):
    with pytest.raises(DataValidationError) as info:
        _run(tmp_path, _sources(city), reporting_year=2025)
    msg = str(info.value)
    assert "keine Einwohnerdaten für das Berichtsjahr 2025" in msg and "sources.population" in msg
    assert "stadt/einwohner.yaml" in msg and "zuletzt 2024" in msg


# ------------------------------------------------------------------------------------------- real data


@pytest.mark.skipif(
    not FLENSBURG.is_dir(), reason="shared data folder (Flensburg Sozialatlas 2022) not present"
)
def test_flensburg_by_sources(tmp_path):
    d = tmp_path / "flensburg"
    d.mkdir()
    _yaml(
        d / "stadtteile.yaml",
        {
            "file": str(FLENSBURG / "tab_6_kinder_und_jugd_bis_18.csv"),
            "sep": ",",
            "encoding": "utf-8",
            "header": False,
            "names": ["area_id", "u18_2011", "u18_2017", "u18_2018", "u18_2019", "u18_2020", "u18_2021"],
            "id": {"column": "area_id", "split_name": "area_name", "width": 2},
            "columns": ["area_id", "area_name"],
        },
    )
    _yaml(
        d / "einwohner.yaml",
        {
            "file": str(FLENSBURG / "tab_1_einwohner_in_stadtteilen_2011_bis_2021.csv"),
            "sep": ",",
            "encoding": "utf-8",
            "names": [
                "area_id",
                "area_name",
                "pop_2011",
                "pop_2017",
                "pop_2018",
                "pop_2019",
                "pop_2020",
                "pop_2021",
                "male_pct_2021",
                "female_pct_2021",
            ],
            "decimal": ",",
            "id": {"column": "area_id", "width": 2},
            "types": {"male_pct_2021": "percent", "female_pct_2021": "percent"},
            "melt": {"pattern": "pop_(\\d{4})", "value": "count", "id_columns": ["area_id"]},
        },
    )
    _yaml(
        d / "sgb2.yaml",
        {
            "file": str(FLENSBURG / "tab_18_regelleistungsberechtigte_sgb2_2018_2021.csv"),
            "sep": ",",
            "encoding": "utf-8",
            "names": [
                "area_id",
                "area_name",
                "sgb2_2018",
                "sgb2_pct_2018",
                "sgb2_2019",
                "sgb2_pct_2019",
                "sgb2_2020",
                "sgb2_pct_2020",
                "sgb2_2021",
                "sgb2_pct_2021",
            ],
            "decimal": ",",
            "id": {"column": "area_id", "width": 2},
            "melt": {"pattern": "sgb2_(\\d{4})", "value": "sgb2", "id_columns": ["area_id"]},
        },
    )
    sources = {
        "keys": str(d / "stadtteile.yaml"),
        "areas": str(ROOT / "examples" / "flensburg" / "stadtteile_geo.yaml"),
        "population": str(d / "einwohner.yaml"),
        "counts": [{"mapping": str(d / "sgb2.yaml"), "measures": {"sgb2": "sgb2_rlb"}}],
    }
    out = tmp_path / "processed"
    result = run_import(tmp_path / "raw", out, sources=sources, reporting_year=2021)
    ds = Dataset(out)
    assert ds.keys["area_id"].nunique() == 13 and len(ds.areas) == 13
    assert ds.areas.crs.to_epsg() == 25832
    assert ds.keys.set_index("area_id").loc["04", "area_name"] == "Westliche Höhe"
    assert ds.years == [2011, 2017, 2018, 2019, 2020, 2021]
    with open(FLENSBURG / "tab_1_einwohner_in_stadtteilen_2011_bis_2021.csv", encoding="utf-8") as fh:
        published = {row["id"]: row for row in csv.DictReader(fh)}
    pop = ds.population_by("area_id", "year").set_index(["area_id", "year"])["count"]
    assert pop[("01", 2021)] == int(published["1"]["gesamt"]) == 3866
    assert pop[("13", 2011)] == int(published["13"]["2011"])
    assert ds.areas.set_index("area_id").loc["08", "population"] == 6702
    counts = ds.counts[ds.counts["measure"] == "sgb2_rlb"].set_index(["area_id", "year"])["value"]
    assert counts[("01", 2021)] == 475 and counts[("13", 2018)] == 74 and len(counts) == 13 * 4
    assert result.population["population_detail"] == "total"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["population_detail_by_year"]["2011"] == "total"
    assert any("2011, 2017–2021" in w and "2012–2016" in w for w in manifest["warnings"])
    assert any("ohne Stadtbezirke" in w for w in manifest["warnings"])
    rows = {f["file"]: f["rows"] for f in manifest["files"]}
    assert rows["tab_1_einwohner_in_stadtteilen_2011_bis_2021.csv"] == 13  # file lines, not melted rows
    assert set(ds.keys["district_id"]) == {"00"}


def test_single_years_above_100_are_added_to_100_and_duplicates_refused(tmp_path, city):
    ages = [(0, 5), *((a, 1) for a in range(1, 80)), (100, 2), (103, 1)]  # every age 0 … 79, then 100+
    rows = ["Nr;Alter;Anzahl"] + [f"0{i};{a};{n}" for i in (1, 2, 3) for a, n in ages]
    _write(city / "einzel.csv", "\n".join(rows) + "\n")
    spec = {
        "file": "einzel.csv",
        "sep": ";",
        "layout": "long",
        "rename": {"Nr": "area_id", "Alter": "age", "Anzahl": "count"},
        "id": {"column": "area_id"},
        "row_keys": ["area_id", "age"],
    }
    _yaml(city / "einzel.yaml", spec)
    _run(tmp_path, _sources(city, population={"mapping": "stadt/einzel.yaml", "year": 2024}))
    pop = pd.read_parquet(tmp_path / "processed" / "population.parquet")
    one = pop[pop["area_id"] == "01"][["age", "count"]].values.tolist()
    assert one[0] == [0, 5] and one[-1] == [100, 3] and len(one) == 81
    _write(city / "einzel.csv", "\n".join(rows + ["01;0;7"]) + "\n")
    _yaml(city / "einzel.yaml", {**spec, "row_keys": ["area_id", "age", "count"]})
    with pytest.raises(DataValidationError) as info:
        _run(tmp_path, _sources(city, population={"mapping": "stadt/einzel.yaml", "year": 2024}))
    assert "doppelter Schlüssel" in str(info.value) and "Zeilen 2, 248" in str(info.value)


def test_import_report_and_source_files(tmp_path, city, monkeypatch):
    from workbench.io.importer import import_report, source_files

    monkeypatch.setenv("WORKBENCH_ROOT", str(tmp_path))
    cfg = tmp_path / "stadt.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": 2024,
                "data_raw": "raw",
                "data_processed": "processed",
                "reports": "berichte",
                "sources": _sources(city),
            }
        ),
        encoding="utf-8",
    )
    loaded = load_report_config(cfg)
    result = import_report(loaded)
    assert (
        result.tables["population"]["count"].sum() == 4167
        and (tmp_path / "processed" / "manifest.json").exists()
    )
    files = source_files(loaded.extra["sources"], base=tmp_path)
    assert [f.name for f in files] == [
        "schluessel.yaml",
        "schluessel.csv",
        "flaechen.yaml",
        "flaechen.gpkg",
        "einwohner.yaml",
        "einwohner.csv",
    ]
    assert source_files(None) == []
