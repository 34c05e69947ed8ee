"""Published shares without counts (``sources: shares:``): read through a mapping into ``shares.parquet``, used
by ``method: published`` indicators without interval, comparison or own suppression."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import yaml
from shapely.geometry import box

from workbench.chapters.tables import protect_indicators
from workbench.confidentiality import Rules, protect_counts
from workbench.errors import ConfigError, DataValidationError
from workbench.indicators import compute, parse_catalogue
from workbench.io.dataset import Dataset
from workbench.io.importer import run_import


def _yaml(path: Path, spec: dict) -> Path:
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def city(tmp_path) -> Path:
    """Three areas in two districts; population totals 2020; published shares with a withheld value ("."),
    a city row and a district file."""
    d = tmp_path / "stadt"
    d.mkdir()
    (d / "schluessel.csv").write_text(
        "Nr;Name;Bezirk\n01100101;Altstadt;Mitte\n01100102;Neustadt;Mitte\n02200101;Hafen;Nord\n",
        encoding="utf-8",
    )
    _yaml(
        d / "schluessel.yaml",
        {
            "file": "schluessel.csv",
            "sep": ";",
            "rename": {"Nr": "area_id", "Name": "area_name", "Bezirk": "district_name"},
            "id": {"column": "area_id", "width": 8, "parent": {"name": "district_id", "width": 2}},
        },
    )
    gpd.GeoDataFrame(
        {"code": ["01100101", "01100102", "02200101"]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(0, 100, 200, 200)],
        crs=25833,
    ).to_file(d / "flaechen.gpkg", layer="plr", driver="GPKG")
    _yaml(
        d / "flaechen.yaml",
        {"file": "flaechen.gpkg", "layer": "plr", "id": {"column": "code", "name": "area_id"}},
    )
    (d / "anteile.csv").write_text(
        "PLR;EW;S1;D1\n01100101;3419;4,22594;1,46443\n01100102;1791;.;0,24344\n02200101;812;7,5;-0,5\n"
        "Berlin;6022;5,1;0,4\n",
        encoding="utf-8",
    )
    _yaml(
        d / "einwohner.yaml",
        {
            "file": "anteile.csv",
            "sep": ";",
            "decimal": ",",
            "suppressed": ["."],
            "aggregates": [{"level": "stadt", "column": "PLR", "values": ["Berlin"]}],
            "id": {"column": "PLR", "width": 8, "name": "area_id"},
            "types": {"EW": "int"},
            "columns": ["area_id", "EW"],
        },
    )
    _yaml(
        d / "anteile.yaml",
        {
            "file": "anteile.csv",
            "sep": ";",
            "decimal": ",",
            "suppressed": ["."],
            "aggregates": [{"level": "stadt", "column": "PLR", "values": ["Berlin"]}],
            "id": {"column": "PLR", "width": 8, "name": "area_id"},
            "types": {"EW": "int", "S1": "float", "D1": "float"},
        },
    )
    (d / "bezirke.csv").write_text("id,name,s1\n01,Mitte,4.9\n02,Nord,7.5\n", encoding="utf-8")
    _yaml(
        d / "bezirke.yaml",
        {
            "file": "bezirke.csv",
            "sep": ",",
            "decimal": ".",
            "id": {"column": "id", "width": 2, "name": "district_id"},
        },
    )
    return d


def _sources(d: Path, **extra) -> dict:
    return {
        "keys": str(d / "schluessel.yaml"),
        "areas": str(d / "flaechen.yaml"),
        "population": {"mapping": str(d / "einwohner.yaml"), "year": 2020, "columns": {"EW": "count"}},
        "shares": [
            {"mapping": str(d / "anteile.yaml"), "year": 2020, "indicators": {"S1": "s1", "D1": "d1"}},
            {
                "mapping": str(d / "bezirke.yaml"),
                "year": 2020,
                "level": "stadtbezirk",
                "indicators": {"s1": "s1"},
            },
        ],
        **extra,
    }


CATALOGUE = {
    "indicators": [
        {
            "id": "s1",
            "label": "Arbeitslosigkeit",
            "definition": "Anteil Arbeitslose.",
            "unit": "%",
            "polarity": "hoch = schlecht",
            "method": "published",
            "topic": "soziale_lage",
            "source": "Senat",
            "reference_date": "31.12.2020",
        },
        {
            "id": "d1",
            "label": "Veränderung Arbeitslosigkeit",
            "definition": "Veränderung in Prozentpunkten.",
            "unit": "Prozentpunkte",
            "polarity": "hoch = schlecht",
            "method": "published",
            "topic": "monitoring",
            "source": "Senat",
            "reference_date": "31.12.2020",
            "decimals": 2,
        },
    ]
}


def test_shares_import_areas_districts_city_and_withheld_value(city, tmp_path):
    out = tmp_path / "processed"
    run_import(tmp_path / "leer", out, sources=_sources(city))
    ds = Dataset(out)
    keys = ds.keys.set_index("area_id")
    assert keys.loc["02200101", "district_id"] == "02" and keys.loc["01100102", "district_name"] == "Mitte"
    assert ds.population.groupby("area_id")["count"].sum().to_dict() == {
        "01100101": 3419,
        "01100102": 1791,
        "02200101": 812,
    }
    s = ds.shares.set_index(["level", "unit_id", "indicator"])
    assert s.loc[("sozialraum", "01100101", "s1"), "value"] == pytest.approx(4.22594)
    assert s.loc[("sozialraum", "02200101", "d1"), "value"] == pytest.approx(-0.5)  # changes may be negative
    withheld = s.loc[("sozialraum", "01100102", "s1")]
    assert bool(withheld["suppressed"]) and np.isnan(withheld["value"])  # "." stays withheld, never 0
    assert s.loc[("stadt", "stadt", "s1"), "value"] == pytest.approx(5.1)
    assert s.loc[("stadtbezirk", "02", "s1"), "value"] == pytest.approx(7.5)
    assert len(ds.shares) == 3 * 2 + 2 + 2  # areas × indicators, city row × 2, districts × 1
    assert ds.has("counts|shares") and not ds.has("counts")
    assert ds.counts.empty  # no count table: the empty table, so that published indicators still compute


def test_published_indicators_value_without_interval_comparison_or_suppression(city, tmp_path):
    out = tmp_path / "processed"
    run_import(tmp_path / "leer", out, sources=_sources(city))
    ds = Dataset(out)
    cat = parse_catalogue(CATALOGUE)
    assert cat["s1"].published and cat["s1"].multiplier == 100.0
    table = compute(cat, ds.population, ds.counts, ds.keys, shares=ds.shares, city_name="Berlin")
    rules = Rules.from_config({"threshold": 3, "min_base": 20})
    prot = protect_indicators(table, cat, protect_counts(ds.counts, ds.keys, rules), rules)
    r = prot.set_index(["indicator", "level", "unit_id"])
    a = r.loc[("s1", "sozialraum", "01100101")]
    assert a["pub_value"] == pytest.approx(4.22594) and a["status"] == "shown"
    assert np.isnan(a["lower95"]) and np.isnan(a["upper95"]) and np.isnan(a["numerator"])
    assert a["cmp_city"] == "nicht verglichen" and a["trend"] == "nicht berechenbar"
    assert a["city_value"] == pytest.approx(5.1) and a["parent_value"] == pytest.approx(4.9)
    hidden = r.loc[("s1", "sozialraum", "01100102")]
    assert hidden["status"] == "numerator" and np.isnan(hidden["pub_value"])  # withheld by the source
    # a Stadtbezirk without a published value stays unknown: shares are never summed or averaged
    assert r.loc[("d1", "stadtbezirk", "01"), "status"] == "missing"
    assert r.loc[("d1", "stadt", "stadt"), "pub_value"] == pytest.approx(0.4)


def test_published_entry_with_numerator_is_refused():
    bad = {"indicators": [{**CATALOGUE["indicators"][0], "numerator": {"measure": "x"}}]}
    with pytest.raises(ConfigError) as err:
        parse_catalogue(bad)
    assert "keinen Zähler und Nenner" in str(err.value) and "'numerator'" in str(err.value)


def test_shares_errors_name_file_line_and_key(city, tmp_path):
    spec = _sources(city)
    spec["shares"][0]["indicators"] = {"S9": "s1"}
    with pytest.raises(ConfigError) as err:
        run_import(tmp_path / "leer", tmp_path / "p1", sources=spec)
    assert "S9" in str(err.value) and "sources.shares[0].indicators" in str(err.value)
    (city / "anteile.csv").write_text(
        "PLR;EW;S1;D1\n01100101;3419;4,2;1,4\n01100102;1791;k.A.;0,2\n02200101;812;7,5;-0,5\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as err:
        run_import(tmp_path / "leer", tmp_path / "p2", sources=_sources(city))
    text = str(err.value)
    assert "anteile.csv" in text and "Zeile 3" in text and "k.A." in text


def test_id_parent_refuses_ids_too_short(city, tmp_path):
    (city / "schluessel.csv").write_text("Nr;Name;Bezirk\n1;Altstadt;Mitte\n", encoding="utf-8")
    spec = yaml.safe_load((city / "schluessel.yaml").read_text())
    spec["id"] = {"column": "area_id", "parent": {"name": "district_id", "width": 2}}
    _yaml(city / "schluessel.yaml", spec)
    from workbench.io.mapped import read_table

    with pytest.raises(DataValidationError) as err:
        read_table(city / "schluessel.yaml")
    assert "ersten 2 Stellen" in str(err.value) and "Zeile 2" in str(err.value)
