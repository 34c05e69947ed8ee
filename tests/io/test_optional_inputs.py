"""Only key table, geometries and population are required: every other raw input is optional, recorded as
missing in the manifest, its processed tables are not written; a present but broken file is still an error."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from workbench.errors import DataValidationError
from workbench.io.dataset import Dataset
from workbench.io.importer import OPTIONAL_INPUTS, import_notes, missing_measures, run_import

OPTIONAL_FILES = [
    "ba_sgb2_arbeitslose.xlsx",
    "haushalte.csv",
    "sgb12_grundsicherung_65plus.csv",
    "hze_faelle.csv",
    "bewegungen.csv",
    "einrichtungen.csv",
    "massnahmen.csv",
    "massnahmen_kennzahlen.csv",
    "kosten.csv",
]


def _strip(raw: Path, names: list[str], *, survey: bool = False) -> None:
    for name in names:
        (raw / name).unlink()
    if survey:
        for p in raw.glob("befragung_*.csv"):
            p.unlink()


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_keys_geometries_population_suffice(raw_copy, tmp_path):
    _strip(raw_copy, OPTIONAL_FILES, survey=True)
    assert sorted(p.name for p in raw_copy.iterdir() if not p.name.startswith(".")) == [
        "einwohner_2019.csv",
        "einwohner_2020.csv",
        "einwohner_2021.csv",
        "einwohner_2022.csv",
        "einwohner_2023.csv",
        "einwohner_2024.csv",
        "gebiete.gpkg",
        "schluessel_gebiete.csv",
    ]
    out = tmp_path / "processed"
    result = run_import(raw_copy, out, reporting_year=2024)
    written = sorted(p.name for p in out.iterdir())
    assert written == [
        "areas.gpkg",
        "city_totals.parquet",
        "keys.parquet",
        "manifest.json",
        "population.parquet",
    ]
    ds = Dataset(out)
    assert ds.has("areas") and ds.has("population") and not ds.has("counts") and not ds.has("events")
    assert ds.years == [2019, 2020, 2021, 2022, 2023, 2024] and len(ds.areas) == 12
    assert ds.city_totals.empty
    missing = _manifest(out)["missing"]
    assert [m["input"] for m in missing] == list(OPTIONAL_INPUTS)
    ba = next(m for m in missing if m["input"] == "ba")
    assert ba == {
        "input": "ba",
        "file": "ba_sgb2_arbeitslose.xlsx",
        "measures": [
            "sgb2_rlb",
            "sgb2_u15",
            "unemployed",
            "unemployed_sgb2",
            "unemployed_sgb3",
            "unemployed_u25",
        ],
        "tables": [],
    }
    events = next(m for m in missing if m["input"] == "events")
    assert events["tables"] == ["events"] and events["measures"] == missing_measures()["events"]
    notes = import_notes(result)
    assert len(notes) == len(OPTIONAL_INPUTS)
    assert any(
        n.startswith("BA-Sonderauswertung (SGB II, Arbeitslose) nicht geliefert (ba_sgb2_arbeitslose.xlsx")
        for n in notes
    )
    assert any("Tabellen events.parquet" in n for n in notes)
    # the full register extracts need no detail entry (same manifest layout as the demo city)
    assert "population_detail" not in _manifest(out)


def test_counts_hold_what_exists(raw_copy, tmp_path):
    _strip(raw_copy, ["ba_sgb2_arbeitslose.xlsx", "bewegungen.csv", "einrichtungen.csv"])
    out = tmp_path / "processed"
    run_import(raw_copy, out)
    counts = pd.read_parquet(out / "counts.parquet")
    measures = set(counts["measure"])
    assert {"households", "grusi_65", "hze_cases"} <= measures
    assert not measures & {"sgb2_rlb", "births", "kita_places_u3"}
    assert not (out / "events.parquet").exists() and not (out / "facilities.gpkg").exists()
    assert (out / "survey.parquet").exists() and (out / "measures.parquet").exists()
    assert [m["input"] for m in _manifest(out)["missing"]] == ["ba", "events", "facilities"]
    # no BA delivery, no official city totals
    assert pd.read_parquet(out / "city_totals.parquet").empty


def test_reimport_removes_tables_of_inputs_no_longer_delivered(raw_copy, tmp_path):
    out = tmp_path / "processed"
    run_import(raw_copy, out)
    assert (out / "events.parquet").exists() and (out / "facilities.gpkg").exists()
    assert "missing" not in _manifest(out)
    _strip(raw_copy, ["bewegungen.csv", "einrichtungen.csv"])
    run_import(raw_copy, out)
    assert not (out / "events.parquet").exists() and not (out / "facilities.gpkg").exists()
    assert (out / "counts.parquet").exists()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("hze_faelle.csv", "Sozialraum;Jahr;Hilfeart;Faelle\n0101;2024;§27.2;drei\n"),
        ("haushalte.csv", "Sozialraum;Jahr\n0101;2024\n"),
    ],
)
def test_present_but_broken_file_is_still_an_error(raw_copy, tmp_path, name, text):
    (raw_copy / name).write_text(text, encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        run_import(raw_copy, tmp_path / "processed")
    assert name in str(info.value)
    assert not (tmp_path / "processed" / "manifest.json").exists()


def test_required_inputs_stay_required(raw_copy, tmp_path):
    (raw_copy / "gebiete.gpkg").unlink()
    with pytest.raises(DataValidationError) as info:
        run_import(raw_copy, tmp_path / "processed")
    assert "gebiete.gpkg" in str(info.value) and "Datei fehlt" in str(info.value)
