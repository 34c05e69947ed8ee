"""Population age groups from several partial tables (``rest:``): under 18 and 18–64 from two files, 65 and older
as the year's total minus both (as Flensburg publishes them), refused with a German message when impossible."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import yaml
from shapely.geometry import box

from workbench.errors import ConfigError, DataValidationError
from workbench.io.dataset import Dataset
from workbench.io.importer import run_import


def _yaml(path: Path, spec: dict) -> Path:
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def city(tmp_path) -> Path:
    d = tmp_path / "stadt"
    d.mkdir()
    (d / "schluessel.csv").write_text("Nr;Name\n01;Altstadt\n02;Hafen\n", encoding="utf-8")
    _yaml(
        d / "schluessel.yaml",
        {"file": "schluessel.csv", "sep": ";", "rename": {"Nr": "area_id", "Name": "area_name"},
         "id": {"column": "area_id", "width": 2}},
    )  # fmt: skip
    gpd.GeoDataFrame(
        {"code": ["01", "02"]}, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=25832
    ).to_file(d / "flaechen.gpkg", layer="teile", driver="GPKG")
    _yaml(
        d / "flaechen.yaml",
        {"file": "flaechen.gpkg", "layer": "teile", "id": {"column": "code", "name": "area_id"}},
    )
    (d / "gesamt.csv").write_text("Nr;E2020;E2021\n01;1000;1010\n02;300;296\n", encoding="utf-8")
    _yaml(
        d / "gesamt.yaml",
        {"file": "gesamt.csv", "sep": ";", "id": {"column": "Nr", "width": 2, "name": "area_id"},
         "types": {"E2020": "int", "E2021": "int"},
         "melt": {"pattern": "E(\\d{4})", "value": "count", "id_columns": ["area_id"]}},
    )  # fmt: skip
    (d / "u18.csv").write_text("Nr;K2020;K2021\n01;150;160\n02;40;41\n", encoding="utf-8")
    _yaml(
        d / "u18.yaml",
        {"file": "u18.csv", "sep": ";", "id": {"column": "Nr", "width": 2, "name": "area_id"},
         "types": {"K2020": "int", "K2021": "int"},
         "melt": {"pattern": "K(\\d{4})", "value": "unter_18", "id_columns": ["area_id"]}},
    )  # fmt: skip
    (d / "mitte.csv").write_text("Nr;M2020;M2021\n01;600;610\n02;200;199\n", encoding="utf-8")
    _yaml(
        d / "mitte.yaml",
        {"file": "mitte.csv", "sep": ";", "id": {"column": "Nr", "width": 2, "name": "area_id"},
         "types": {"M2020": "int", "M2021": "int"},
         "melt": {"pattern": "M(\\d{4})", "value": "mitte", "id_columns": ["area_id"]}},
    )  # fmt: skip
    return d


def _sources(d: Path, rest=(65, None)) -> dict:
    return {
        "keys": str(d / "schluessel.yaml"),
        "areas": str(d / "flaechen.yaml"),
        "population": [
            str(d / "gesamt.yaml"),
            {"mapping": str(d / "u18.yaml"), "age_columns": {"unter_18": [0, 17]}, "rest": list(rest)},
            {"mapping": str(d / "mitte.yaml"), "age_columns": {"mitte": [18, 64]}, "rest": list(rest)},
        ],
    }


def test_rest_group_is_total_minus_given_groups(city, tmp_path):
    out = tmp_path / "p"
    run_import(tmp_path / "leer", out, sources=_sources(city))
    ds = Dataset(out)
    g = ds.age_groups.set_index(["area_id", "year", "age_from"])["count"]
    assert g[("01", 2020, 0)] == 150 and g[("01", 2020, 18)] == 600 and g[("01", 2020, 65)] == 250
    assert g[("02", 2021, 65)] == 296 - 41 - 199 == 56
    # totals stay those of the total table
    assert ds.population.groupby(["area_id", "year"])["count"].sum()[("02", 2021)] == 296
    assert ds.population_detail == {2020: "age_groups", 2021: "age_groups"}


def test_negative_rest_is_refused_with_area_and_year(city, tmp_path):
    (city / "mitte.csv").write_text("Nr;M2020;M2021\n01;600;610\n02;270;199\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as err:
        run_import(tmp_path / "leer", tmp_path / "p", sources=_sources(city))
    text = str(err.value)
    assert "Restgruppe 65–100 Jahre von Sozialraum 02, 2020, wäre negativ" in text and "gesamt.csv" in text


def test_gap_between_groups_and_rest_is_refused(city, tmp_path):
    with pytest.raises(DataValidationError) as err:
        run_import(tmp_path / "leer", tmp_path / "p", sources=_sources(city, rest=(70, None)))
    assert "nicht lückenlos" in str(err.value) and "es fehlen die Alter 65–69" in str(err.value)


def test_rest_without_a_total_is_a_config_error(city, tmp_path):
    spec = _sources(city)
    spec["population"] = spec["population"][1:]
    with pytest.raises(ConfigError) as err:
        run_import(tmp_path / "leer", tmp_path / "p", sources=spec)
    assert "keine Gesamtzahl" in str(err.value) and "sources.population" in str(err.value)


def test_age_codes_read_as_single_years_are_refused(city, tmp_path):
    """Vienna's 5-year band codes 1 … 17 without an ages: translation must not become ages 1 … 17."""
    rows = ["Nr;Jahr;Alter;Anzahl"] + [f"{a};2020;{c};10" for a in ("01", "02") for c in range(1, 18)]
    (city / "codes.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    _yaml(
        city / "codes.yaml",
        {"file": "codes.csv", "sep": ";", "layout": "long", "row_keys": ["area_id", "year", "age"],
         "rename": {"Nr": "area_id", "Jahr": "year", "Alter": "age", "Anzahl": "count"},
         "id": {"column": "area_id", "width": 2}, "types": {"count": "int", "year": "int"}},
    )  # fmt: skip
    spec = _sources(city)
    spec["population"] = [str(city / "codes.yaml")]
    with pytest.raises(DataValidationError) as err:
        run_import(tmp_path / "leer", tmp_path / "p", sources=spec)
    text = str(err.value)
    assert "decken nicht jedes Alter von 0 bis 79 ab" in text and "ages:" in text and "codes.csv" in text
