"""The demo city's raw-folder formats as one set of mappings (config/demo_zuordnungen/): importing the generated
demo through ``sources:`` gives the same processed tables as the built-in raw-folder import."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml

from workbench.io.importer import run_import
from workbench.settings import read_yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "demo_zuordnungen" / "report.yaml"
SORT = {
    "keys": ["block_id"],
    "population": ["area_id", "year", "sex", "age", "nationality"],
    "counts": ["measure", "area_id", "year"],
    "city_totals": ["measure", "year"],
    "events": ["area_id", "year", "sex", "age"],
    "survey": ["respondent_id"],
    "measures": ["measure_id"],
    "kpis": ["measure_id", "kpi", "year"],
    "costs": ["area_id", "year", "item"],
}
LAYERS = {"areas.gpkg": ["sozialraum", "stadtbezirk", "stat_bezirk"], "facilities.gpkg": [None]}


@pytest.fixture(scope="module")
def by_mapping(small_raw, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("processed_by_mapping")
    sources = read_yaml(CONFIG, "Berichtskonfiguration")["sources"]
    result = run_import(small_raw, out, sources=sources, base=ROOT, config=CONFIG, reporting_year=2024)
    return out, result


def _sorted(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return df.sort_values(by, ignore_index=True)


def test_every_processed_table_equals_the_raw_folder_import(small_processed, by_mapping):
    out, result = by_mapping
    names = sorted(p.name for p in small_processed.iterdir() if p.suffix in (".parquet", ".gpkg"))
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".parquet", ".gpkg")) == names
    assert len(names) == 11
    for name in names:
        if name.endswith(".parquet"):
            table = name.removesuffix(".parquet")
            a, b = pd.read_parquet(small_processed / name), pd.read_parquet(out / name)
            assert len(a) > 0, name
            pd.testing.assert_frame_equal(_sorted(a, SORT[table]), _sorted(b, SORT[table]))
        else:
            for layer in LAYERS[name]:
                a = gpd.read_file(small_processed / name, layer=layer)
                b = gpd.read_file(out / name, layer=layer)
                assert len(a) > 0 and a.geom_equals(b).all(), (name, layer)
                pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))
    # nothing of the raw folder is read twice or left unread
    assert not [w for w in result.warnings if "nicht gelesen" in w]


def test_manifest_names_the_same_files_with_their_mappings(small_processed, by_mapping):
    out, _ = by_mapping
    raw = json.loads((small_processed / "manifest.json").read_text(encoding="utf-8"))
    mapped = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert mapped["years"] == raw["years"] == [2019, 2020, 2021, 2022, 2023, 2024]
    assert mapped["areas"] == raw["areas"] == 12 and "missing" not in mapped
    assert {f["file"]: f["sha256"] for f in mapped["files"]} == {f["file"]: f["sha256"] for f in raw["files"]}
    for key in ("rows", "reference_date", "layers", "sheets"):  # what the Datenqualität chapter shows
        assert {f["file"]: f.get(key) for f in mapped["files"]} == {
            f["file"]: f.get(key) for f in raw["files"]
        }
    ba = next(f for f in mapped["files"] if f["file"] == "ba_sgb2_arbeitslose.xlsx")
    assert ba["mapping"] == "config/demo_zuordnungen/ba.yaml" and ba["sheets"] == [
        f"Dez {y}" for y in range(2019, 2025)
    ]


def test_workbench_data_generates_the_demo_for_a_config_read_through_mappings(tmp_path, capsys):
    """A config with ``demo:`` whose inputs all come by mapping still gets the demo city in its empty raw
    folder (``${RAW}`` in the mappings), then imports it through the mappings."""
    from workbench.cli import main as cli_main

    spec = read_yaml(CONFIG, "Berichtskonfiguration")
    spec |= {
        "data_raw": str(tmp_path / "raw"),
        "data_processed": str(tmp_path / "processed"),
        "reports": str(tmp_path / "reports"),
        "demo": {"areas": 12, "seed": 7},
    }
    cfg = tmp_path / "report.yaml"
    cfg.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert cli_main(["--config", str(cfg), "data"]) == 0
    out = capsys.readouterr().out
    assert "Demo-Stadt in" in out and "Import fertig: 19 Dateien, 12 Sozialräume, Jahre 2019–2024" in out
    manifest = json.loads((tmp_path / "processed" / "manifest.json").read_text(encoding="utf-8"))
    assert {f["mapping"] for f in manifest["files"]} == {
        f"config/demo_zuordnungen/{n}.yaml"
        for n in (
            "schluessel", "gebiete", "einwohner", "haushalte", "ba", "sgb12", "hze", "bewegungen",
            "einrichtungen", "befragung", "massnahmen", "kennzahlen", "kosten",
        )
    }  # fmt: skip
