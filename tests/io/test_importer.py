"""Importer: valid demo data import cleanly; each kind of bad input stops with a message naming file, place and remedy."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon

from workbench.cli import main as cli_main
from workbench.errors import DataValidationError
from workbench.io.dataset import Dataset
from workbench.io.importer import run_import


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()
    }


def _edit_csv(path: Path, encoding: str, fn) -> None:
    text = path.read_text(encoding=encoding)
    path.write_text(fn(text), encoding=encoding)


def _import_error(raw: Path, tmp_path: Path) -> str:
    with pytest.raises(DataValidationError) as info:
        run_import(raw, tmp_path / "processed")
    return str(info.value)


def test_valid_import_tables(small_processed, small_raw):
    ds = Dataset(small_processed)
    assert ds.years == [2019, 2020, 2021, 2022, 2023, 2024]
    assert ds.population["count"].dtype == np.int64
    assert set(ds.population["age"].unique()) == set(range(101))
    assert ds.keys["area_id"].nunique() == 12
    assert ds.areas.crs.to_epsg() == 25832 and len(ds.areas) == 12
    # "*" in the BA file stays suppressed (NaN, flagged), never 0
    ba = ds.counts[ds.counts["measure"].str.startswith("unemployed")]
    assert ba["suppressed"].any()
    assert ba.loc[ba["suppressed"], "value"].isna().all()
    raw_stars = 0
    for _, sheet in pd.read_excel(
        small_raw / "ba_sgb2_arbeitslose.xlsx", sheet_name=None, header=None, dtype=str
    ).items():
        raw_stars += int((sheet == "*").sum().sum())
    assert int(ds.counts["suppressed"].sum()) == raw_stars
    # population in processed equals the raw register sums
    raw24 = pd.read_csv(small_raw / "einwohner_2024.csv", sep=";", encoding="cp1252", dtype=str)
    total = pd.to_numeric(raw24["Anzahl"].str.replace(".", "", regex=False)).sum()
    assert ds.population.loc[ds.population["year"] == 2024, "count"].sum() == total
    # provenance
    names = {f["file"] for f in ds.manifest["files"]}
    assert {"einwohner_2019.csv", "ba_sgb2_arbeitslose.xlsx", "gebiete.gpkg"} <= names


def test_import_does_not_modify_raw_and_is_deterministic(raw_copy, tmp_path):
    before = _hashes(raw_copy)
    run_import(raw_copy, tmp_path / "a")
    run_import(raw_copy, tmp_path / "b")
    assert _hashes(raw_copy) == before
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")


def test_unknown_area_key(raw_copy, tmp_path):
    _edit_csv(raw_copy / "einwohner_2022.csv", "cp1252", lambda t: t.replace("\n0101;", "\n9999;", 1))
    msg = _import_error(raw_copy, tmp_path)
    assert "einwohner_2022.csv" in msg and "unbekannte Sozialraum-Schlüssel" in msg and "'9999'" in msg
    assert re.search(r"Zeile \d+", msg) and "Was tun" in msg


def test_duplicate_key_in_key_table(raw_copy, tmp_path):
    path = raw_copy / "schluessel_gebiete.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    path.write_text("\ufeff" + "\n".join(lines + [lines[1]]) + "\n", encoding="utf-8")
    msg = _import_error(raw_copy, tmp_path)
    assert "schluessel_gebiete.csv" in msg and "doppelter Schlüssel" in msg and "Zeilen 2" in msg


def test_negative_count(raw_copy, tmp_path):
    def neg(text: str) -> str:
        lines = text.splitlines()
        parts = lines[5].split(";")
        parts[-1] = "-3"
        lines[5] = ";".join(parts)
        return "\n".join(lines) + "\n"

    _edit_csv(raw_copy / "einwohner_2021.csv", "cp1252", neg)
    msg = _import_error(raw_copy, tmp_path)
    assert "einwohner_2021.csv" in msg and "negative Anzahl -3" in msg and "Zeile 6, Spalte 'Anzahl'" in msg


def test_parts_do_not_add_up(raw_copy, tmp_path):
    from openpyxl import load_workbook

    path = raw_copy / "ba_sgb2_arbeitslose.xlsx"
    wb = load_workbook(path)
    ws = wb["Dez 2023"]
    header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "Sozialraum")
    cols = {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)}
    for r in range(header + 1, ws.max_row + 1):
        v = ws.cell(r, cols["Arbeitslose insgesamt"]).value
        if isinstance(v, int | float) and all(
            isinstance(ws.cell(r, cols[c]).value, int | float)
            for c in ("Arbeitslose SGB II", "Arbeitslose SGB III")
        ):
            ws.cell(r, cols["Arbeitslose insgesamt"]).value = v + 10
            area = ws.cell(r, 1).value
            break
    wb.save(path)
    msg = _import_error(raw_copy, tmp_path)
    assert "ba_sgb2_arbeitslose.xlsx" in msg and "ergeben nicht 'Arbeitslose insgesamt'" in msg
    assert f"Sozialraum {area}" in msg and "Dez 2023" in msg


def test_missing_year(raw_copy, tmp_path):
    (raw_copy / "einwohner_2021.csv").unlink()
    msg = _import_error(raw_copy, tmp_path)
    assert "fehlende Jahre 2021" in msg


def test_invalid_geometry(raw_copy, tmp_path):
    path = raw_copy / "gebiete.gpkg"
    areas = gpd.read_file(path, layer="sozialraeume")
    blocks = gpd.read_file(path, layer="statistische_bezirke")
    x0, y0 = areas.geometry.iloc[2].centroid.coords[0]
    bowtie = Polygon([(x0, y0), (x0 + 100, y0 + 100), (x0 + 100, y0), (x0, y0 + 100)])
    areas.loc[2, "geometry"] = bowtie
    path.unlink()
    areas.to_file(path, layer="sozialraeume", driver="GPKG")
    blocks.to_file(path, layer="statistische_bezirke", driver="GPKG")
    msg = _import_error(raw_copy, tmp_path)
    assert "gebiete.gpkg" in msg and "ungültige Geometrie" in msg and areas["sozialraum_id"].iloc[2] in msg
    assert "reparieren" in msg


def test_empty_geometry(raw_copy, tmp_path):
    path = raw_copy / "gebiete.gpkg"
    areas = gpd.read_file(path, layer="sozialraeume")
    blocks = gpd.read_file(path, layer="statistische_bezirke")
    areas.loc[0, "geometry"] = Polygon()
    path.unlink()
    areas.to_file(path, layer="sozialraeume", driver="GPKG")
    blocks.to_file(path, layer="statistische_bezirke", driver="GPKG")
    msg = _import_error(raw_copy, tmp_path)
    assert "leere Geometrie" in msg and areas["sozialraum_id"].iloc[0] in msg


def test_missing_crs(raw_copy, tmp_path):
    path = raw_copy / "gebiete.gpkg"
    areas = gpd.read_file(path, layer="sozialraeume")
    blocks = gpd.read_file(path, layer="statistische_bezirke")
    path.unlink()
    areas.set_crs(None, allow_override=True).to_file(path, layer="sozialraeume", driver="GPKG")
    blocks.to_file(path, layer="statistische_bezirke", driver="GPKG")
    msg = _import_error(raw_copy, tmp_path)
    assert "kein Koordinatenbezugssystem" in msg and "EPSG:25832" in msg


def test_wrong_encoding_mojibake(raw_copy, tmp_path):
    path = raw_copy / "einwohner_2020.csv"
    text = path.read_text(encoding="cp1252")
    assert "ä" in text
    # UTF-8 bytes that were decoded as cp1252 and saved again: the classic "Ã¤"
    path.write_bytes(text.encode("utf-8").decode("cp1252", errors="replace").encode("utf-8"))
    msg = _import_error(raw_copy, tmp_path)
    assert "einwohner_2020.csv" in msg and "falsche Zeichenkodierung" in msg


def test_utf16_refused(raw_copy, tmp_path):
    path = raw_copy / "hze_faelle.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    msg = _import_error(raw_copy, tmp_path)
    assert "hze_faelle.csv" in msg and "Zeichenkodierung" in msg


def test_german_number_formats_and_markers(raw_copy, tmp_path):
    """'1.374' is one thousand three hundred seventy-four; '*', '–' and '.' stay suppressed, never 0."""
    path = raw_copy / "sgb12_grundsicherung_65plus.csv"
    df = pd.read_csv(path, sep=";", dtype=str)
    df.loc[0, "Empfaenger_65plus"] = "1.374"
    df.loc[1, "Empfaenger_65plus"] = "–"
    df.loc[2, "Empfaenger_65plus"] = "."
    df.loc[3, "Empfaenger_65plus"] = "*"
    df.to_csv(path, sep=";", index=False)
    # 1.374 recipients 65+ may exceed nothing checked here; the import must read it as 1374
    res = run_import(raw_copy, tmp_path / "p", write=False)
    c = res.tables["counts"]
    g = c[c["measure"] == "grusi_65"].set_index(["area_id", "year"])
    key = (df.loc[0, "Sozialraum"], int(df.loc[0, "Jahr"]))
    assert g.loc[key, "value"] == 1374
    for i in (1, 2, 3):
        row = g.loc[(df.loc[i, "Sozialraum"], int(df.loc[i, "Jahr"]))]
        assert bool(row["suppressed"]) and np.isnan(row["value"])


def test_not_a_number(raw_copy, tmp_path):
    path = raw_copy / "hze_faelle.csv"
    df = pd.read_csv(path, sep=";", dtype=str)
    df.loc[4, "Faelle"] = "zwölf"
    df.to_csv(path, sep=";", index=False)
    msg = _import_error(raw_copy, tmp_path)
    assert "'zwölf' ist keine Zahl" in msg and "Zeile 6, Spalte 'Faelle'" in msg


def test_failed_import_keeps_last_good_processed(raw_copy, tmp_path):
    out = tmp_path / "processed"
    run_import(raw_copy, out)
    before = _hashes(out)
    (raw_copy / "einwohner_2021.csv").unlink()
    with pytest.raises(DataValidationError):
        run_import(raw_copy, out)
    assert _hashes(out) == before


def test_cli_reports_error_without_traceback(raw_copy, tmp_path, capsys):
    cfg = tmp_path / "report.yaml"
    cfg.write_text(f"data_raw: {raw_copy}\ndata_processed: {tmp_path / 'p'}\nreports: {tmp_path / 'r'}\n")
    (raw_copy / "einwohner_2020.csv").unlink()
    code = cli_main(["--config", str(cfg), "data"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("Fehler: ") and "fehlende Jahre 2020" in err and "Traceback" not in err


# ------------------------------------------------------------------------------------------ reporting year


def test_missing_reporting_year_names_file_and_key(raw_copy, tmp_path):
    """No silent report on an earlier year: reporting_year 2024 without einwohner_2024.csv stops the import."""
    (raw_copy / "einwohner_2024.csv").unlink()
    cfg = tmp_path / "report.yaml"
    with pytest.raises(DataValidationError) as info:
        run_import(raw_copy, tmp_path / "p", reporting_year=2024, config=cfg)
    msg = str(info.value)
    assert f"Datei {raw_copy / 'einwohner_2024.csv'}" in msg and "Berichtsjahr 2024" in msg
    assert f"'reporting_year' in {cfg}" in msg and "2019–2023" in msg
    assert "Was tun" in msg and f"einwohner_2024.csv nach {raw_copy}" in msg
    assert not (tmp_path / "p").exists()
    # an earlier reporting year with data is fine
    assert (
        run_import(raw_copy, tmp_path / "p", reporting_year=2023).tables["population"]["year"].max() == 2023
    )


def test_cli_data_refuses_missing_reporting_year(raw_copy, tmp_path, capsys):
    cfg = tmp_path / "report.yaml"
    cfg.write_text(
        f"reporting_year: 2025\ndata_raw: {raw_copy}\ndata_processed: {tmp_path / 'p'}\n"
        f"reports: {tmp_path / 'r'}\n",
        encoding="utf-8",
    )
    assert cli_main(["--config", str(cfg), "data"]) == 2
    err = capsys.readouterr().err
    assert "einwohner_2025.csv" in err and "'reporting_year' in" in err and str(cfg) in err
    assert "Traceback" not in err and not (tmp_path / "p").exists()


# ------------------------------------------------------------------------------------------ BA city total


def _set_ba_column(raw: Path, sheet: str, column: str, cells: list, total: int) -> None:
    """Replace one column of one BA sheet: the area cells (ints or "*") and the "Stadt insgesamt" value."""
    from openpyxl import load_workbook

    path = raw / "ba_sgb2_arbeitslose.xlsx"
    wb = load_workbook(path)
    ws = wb[sheet]
    j = [c.value for c in ws[7]].index(column) + 1
    rows = [r for r in range(8, ws.max_row + 1) if str(ws.cell(r, 1).value or "").isdigit()]
    total_row = next(r for r in range(8, ws.max_row + 1) if ws.cell(r, 1).value == "Stadt insgesamt")
    assert len(rows) == len(cells) == 12
    for r, v in zip(rows, cells, strict=True):
        ws.cell(r, j).value = v
    ws.cell(total_row, j).value = total
    wb.save(path)


U25 = "Arbeitslose unter 25 Jahre"
VISIBLE_1168 = [300, 250, 200, 180, 130, 108]  # six visible areas, 1.168 together


def test_ba_stars_may_hide_more_than_two(raw_copy, tmp_path):
    """City total 1.186, visible areas 1.168, six "*": rest 18 ≥ 6 – a valid delivery (a "*" hides any value ≥ 1,
    the BA also suppresses values from which a 1 or 2 could be derived)."""
    assert sum(VISIBLE_1168) == 1168
    _set_ba_column(raw_copy, "Dez 2024", U25, VISIBLE_1168 + ["*"] * 6, 1186)
    result = run_import(raw_copy, tmp_path / "p")
    counts = result.tables["counts"]
    u25 = counts[(counts["measure"] == "unemployed_u25") & (counts["year"] == 2024)]
    assert int(u25["suppressed"].sum()) == 6 and u25["value"].sum() == 1168
    totals = result.tables["city_totals"].set_index(["year", "measure"])["value"]
    assert totals[(2024, "unemployed_u25")] == 1186


def test_ba_rest_smaller_than_number_of_stars_is_refused(raw_copy, tmp_path):
    _set_ba_column(raw_copy, "Dez 2024", U25, VISIBLE_1168 + ["*"] * 6, 1173)  # rest 5 < 6 stars
    msg = _import_error(raw_copy, tmp_path)
    assert "ba_sgb2_arbeitslose.xlsx" in msg and "Blatt 'Dez 2024'" in msg and f"Spalte '{U25}'" in msg
    assert "widersprüchlich" in msg and "1.173" in msg and "1.168" in msg and "ergibt 5" in msg
    assert "6 Feld(er) mit '*'" in msg and "mindestens 6" in msg and "Was tun" in msg
    assert not (tmp_path / "processed").exists()


def test_ba_rest_without_stars_is_refused(raw_copy, tmp_path):
    _set_ba_column(raw_copy, "Dez 2024", U25, VISIBLE_1168 + [0] * 6, 1186)  # nothing hidden, 18 missing
    msg = _import_error(raw_copy, tmp_path)
    assert f"Blatt 'Dez 2024', Spalte '{U25}'" in msg
    assert (
        "'Stadt insgesamt' (1.186) ist nicht die Summe der Sozialräume (1.168)" in msg and "kein Feld" in msg
    )


def test_ba_check_boundaries():
    """rest = number of stars (each hides exactly 1) is the smallest valid rest; no upper bound."""
    from workbench.io._ba import check_city_total

    long = pd.DataFrame(
        {
            "area_id": ["1", "2", "3", "4"],
            "measure": "m",
            "value": [10.0, np.nan, np.nan, 5.0],
            "suppressed": [False, True, True, False],
        }
    )
    for total in (17, 18, 1000):
        check_city_total(
            long, pd.DataFrame({"measure": ["m"], "value": [float(total)]}), {}, path=Path("x"), sheet="s"
        )
    with pytest.raises(DataValidationError, match="mindestens 2"):
        check_city_total(
            long, pd.DataFrame({"measure": ["m"], "value": [16.0]}), {}, path=Path("x"), sheet="s"
        )
