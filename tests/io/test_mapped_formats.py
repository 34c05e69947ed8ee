"""The mapped reader on the files municipalities publish: XLSX with several header rows, field counts, number
notations, codes, encodings, total rows, wide/long tables, names instead of ids, combined areas (hand-made files)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from workbench.errors import ConfigError, DataValidationError
from workbench.io.mapped import join_report, normalise_name, read_table, read_table_full

ROOT = Path(__file__).resolve().parents[2]


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --- 1. XLSX ------------------------------------------------------------------------------------------------------


def _workbook(path: Path, *, footer: bool = True, formula: bool = False) -> Path:
    """Sheet "Stadtteile" (2nd sheet): 2 title rows, 3 header rows with merged cells, 3 Stadtteile, one
    district row, one city row, an empty row and two footnotes."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Info"
    wb.active["A1"] = "Erläuterungen"
    ws = wb.create_sheet("Stadtteile")
    ws["A1"] = "Bevölkerung in den Stadtteilen"
    ws["A2"] = "Stand: 31.12.2023"
    ws["A3"], ws["B3"], ws["C3"], ws["G3"], ws["H3"] = "Nr", "Stadtteil", "Einwohner", "Arbeitslose", "Anteil"
    for rng in ("A3:A5", "B3:B5", "C3:F3", "G3:G5", "C4:D4", "E4:F4"):
        ws.merge_cells(rng)
    ws["C4"], ws["E4"] = 2022, 2023  # years stored as numbers
    for col, text in zip("CDEF", ["insgesamt", "weiblich"] * 2, strict=True):
        ws[f"{col}5"] = text
    ws["H5"] = "%"  # H4 empty: not part of "Arbeitslose" (other group above)
    rows = [
        (1, "Altstadt", 1200, 600, "1.234", 610, "*", 0.125),
        (2, "Neustadt", 2100, 1000, 2155, 1100, "-", 0.2),
        (None, "Bezirk Mitte insgesamt", 3300, 1600, 3389, 1710, 40, 0.15),
        (3, "St. Jürgen", 800, 400, "812", 405, 12, "7,5"),
        (None, "Stadt insgesamt", 4100, 2000, 4201, 2115, 52, 0.14),
    ]
    for r, row in enumerate(rows, start=6):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(r, c, value)
            if c == 8 and isinstance(value, float):
                cell.number_format = "0.0%"  # stored 0.125, shown 12,5 %
    if formula:
        ws["F9"] = "=F6+F7"
    if footer:
        ws["A12"] = "Quelle: Statistikamt"
        ws["A13"] = "* geheim gehalten, - genau null"
    wb.save(path)
    return path


XLSX_MAPPING = {
    "format": "xlsx",
    "sheet": "Stadtteile",
    "skip_rows": 2,
    "header_rows": 3,
    "decimal": ",",
    "suppressed": ["*"],
    "zero": ["-"],
    "rename": {"Nr": "area_id", "Stadtteil": "area_name"},
    "id": {"column": "area_id", "width": 2},
    "types": {"Einwohner 2023 insgesamt": "int", "Arbeitslose": "int", "Anteil %": "percent"},
    "aggregates": [
        {"level": "stadtbezirk", "column": "area_name", "match": "Bezirk .* insgesamt"},
        {"level": "stadt", "column": "area_name", "match": "Stadt insgesamt"},
    ],
}


def test_xlsx_three_header_rows_merged_cells_numbers_and_text_totals_and_footer(tmp_path):
    f = _workbook(tmp_path / "stadtteile.xlsx")
    t = read_table_full({"file": str(f), **XLSX_MAPPING})
    df = t.data
    assert list(df.columns) == [
        "area_id", "area_name", "Einwohner 2022 insgesamt", "Einwohner 2022 weiblich",
        "Einwohner 2023 insgesamt", "Einwohner 2023 weiblich", "Arbeitslose", "Anteil %",
    ]  # fmt: skip
    assert df["area_id"].tolist() == ["01", "02", "03"]
    # "1.234" stored as text (German notation) and 2155 stored as a number give the same kind of value
    assert df["Einwohner 2023 insgesamt"].tolist() == [1234, 2155, 812]
    assert df["Einwohner 2022 weiblich"].dtype == "Int64"
    assert pd.isna(df["Arbeitslose"].iloc[0]) and t.suppressed["Arbeitslose"].tolist() == [True, False, False]
    assert df["Arbeitslose"].iloc[1] == 0  # "-" declared as zero
    assert df["Anteil %"].tolist() == pytest.approx([12.5, 20.0, 7.5])  # percent-formatted cells and text
    assert t.lines.tolist() == [6, 7, 9]
    assert t.totals["level"].tolist() == ["stadtbezirk", "stadt"]
    assert t.totals["area_name"].tolist() == ["Bezirk Mitte insgesamt", "Stadt insgesamt"]
    assert t.totals["Einwohner 2023 insgesamt"].tolist() == [3389, 4201]
    assert any("Fußnoten" in w for w in t.warnings)
    # the same sheet by number (1 = first sheet), and with explicit footer rows
    by_number = read_table_full({"file": str(f), **XLSX_MAPPING, "sheet": 2, "footer_rows": 2})
    pd.testing.assert_frame_equal(by_number.data, df)
    assert not by_number.warnings


def test_xlsx_errors_name_sheet_row_column_and_key(tmp_path):
    f = _workbook(tmp_path / "st.xlsx")
    with pytest.raises(DataValidationError) as exc:
        read_table({"file": str(f), **XLSX_MAPPING, "zero": []})  # "-" no longer declared
    msg = str(exc.value)
    assert "Blatt 'Stadtteile', Zeile 7, Spalte Arbeitslose (G)" in msg and "zero" in msg
    with pytest.raises(ConfigError, match="ab 1 gezählt") as exc:
        read_table({"file": str(f), **XLSX_MAPPING, "sheet": 0})
    assert exc.value.where == "sheet"
    with pytest.raises(ConfigError, match="vorhanden: Info, Stadtteile"):
        read_table({"file": str(f), **XLSX_MAPPING, "sheet": "Tabelle1"})
    g = _workbook(tmp_path / "formel.xlsx", formula=True)
    with pytest.raises(DataValidationError, match="Formel '=F6\\+F7' ohne gespeicherten Wert in F9"):
        read_table({"file": str(g), **XLSX_MAPPING})
    with pytest.raises(ConfigError) as exc:
        read_table({"file": str(f), **XLSX_MAPPING, "sep": ";"})
    assert exc.value.where == "sep"  # sep does not apply to xlsx


def test_xlsx_data_after_empty_row_is_refused_not_dropped(tmp_path):
    import openpyxl

    f = _workbook(tmp_path / "luecke.xlsx", footer=False)
    wb = openpyxl.load_workbook(f)
    ws = wb["Stadtteile"]
    for c, value in enumerate((4, "Nordstadt", 900, 450, 950, 470, 5, 0.1), start=1):
        ws.cell(12, c, value)
    wb.save(f)
    with pytest.raises(
        DataValidationError, match="nach der leeren Zeile 11 folgen weitere Datenzeilen \\(Zeile 12\\)"
    ):
        read_table({"file": str(f), **XLSX_MAPPING})


# --- 2. field counts ------------------------------------------------------------------------------------------------


def test_trailing_separator_on_every_line_is_read_right(tmp_path):
    f = _write(tmp_path / "t.csv", "Nr;Name;Einwohner;Kinder\n01;Altstadt;1.234;56;\n02;Neustadt;2.155;78;\n")
    t = read_table_full({"file": str(f), "sep": ";", "decimal": ","})
    assert t.data["Einwohner"].tolist() == [1234, 2155] and t.data["Kinder"].tolist() == [56, 78]
    assert t.data["Nr"].tolist() == ["01", "02"]
    assert any("endet mit dem Trennzeichen" in w for w in t.warnings)
    declared = read_table({"file": str(f), "sep": ";", "decimal": ",", "trailing_separator": True})
    pd.testing.assert_frame_equal(declared, t.data, check_like=True)
    both = _write(tmp_path / "b.csv", "Nr;Name;Einwohner;\n01;Altstadt;1.234;\n02;Neustadt;2.155;\n")
    assert read_table({"file": str(both), "sep": ";", "decimal": ","}).columns.tolist() == [
        "Nr",
        "Name",
        "Einwohner",
    ]
    # only some lines end with the separator: refused, naming the line and the key
    mixed = _write(
        tmp_path / "m.csv", "Nr;Name;Einwohner;Kinder\n01;Altstadt;1.234;56\n02;Neustadt;2.155;78;\n"
    )
    with pytest.raises(DataValidationError) as exc:
        read_table({"file": str(mixed), "sep": ";", "decimal": ","})
    assert "Zeile 3" in str(exc.value) and "trailing_separator: true" in str(exc.value)
    ok = read_table({"file": str(mixed), "sep": ";", "decimal": ",", "trailing_separator": True})
    assert ok["Kinder"].tolist() == [56, 78]
    with pytest.raises(DataValidationError, match="Zeile 2"):
        read_table({"file": str(f), "sep": ";", "decimal": ",", "trailing_separator": False})


def test_field_count_mismatch_names_the_line(tmp_path):
    more = _write(tmp_path / "more.csv", "Nr,Name,Einwohner\n01,Altstadt,1234\n02,Weiche, Sandberg,2155\n")
    with pytest.raises(DataValidationError) as exc:
        read_table({"file": str(more)})
    msg = str(exc.value)
    assert "Zeile 3" in msg and "4 Felder, die Kopfzeile hat 3" in msg and "Anführungszeichen" in msg
    fewer = _write(tmp_path / "fewer.csv", "Nr,Name,Einwohner\n01,Altstadt\n02,Neustadt,2155\n")
    with pytest.raises(DataValidationError, match="Zeile 2.*2 Felder, die Kopfzeile hat 3"):
        read_table({"file": str(fewer)})
    quote = _write(tmp_path / "q.csv", 'Nr,Name,Einwohner\n01,"Altstadt,1234\n02,Neustadt,2155\n')
    with pytest.raises(
        DataValidationError, match="Zeile 2: .*Anführungszeichen wird bis zum Dateiende nicht"
    ):
        read_table({"file": str(quote)})
    footnote = _write(tmp_path / "fn.csv", "Nr,Name,Einwohner\n01,Altstadt,1234\nQuelle: Statistikamt\n")
    with pytest.raises(DataValidationError, match="(?s)Zeile 3: 1 Felder.*footer_rows"):
        read_table({"file": str(footnote)})
    assert read_table({"file": str(footnote), "footer_rows": 1})["Einwohner"].tolist() == [1234]
    headerless = _write(tmp_path / "h.csv", "01 Altstadt,297\n02 Neustadt,574,1\n")
    with pytest.raises(DataValidationError, match="Zeile 2.*3 Felder, die Liste names hat 2"):
        read_table({"file": str(headerless), "header": False, "names": ["key", "n"]})


# --- 3. numbers ---------------------------------------------------------------------------------------------------


def test_number_notations(tmp_path):
    de = _write(tmp_path / "de.csv", "id;n;q\n1;2.155;12,5\n2;1.234.567;0,75\n3;999;1.000,5\n")
    df = read_table(
        {"file": str(de), "sep": ";", "decimal": ","}
    )  # no thousands key: the dot groups thousands
    assert df["n"].tolist() == [2155, 1234567, 999] and df["q"].tolist() == [12.5, 0.75, 1000.5]
    bad = _write(tmp_path / "bad.csv", "id;n\n1;2.155\n2;2.15\n")
    with pytest.raises(DataValidationError) as exc:
        read_table({"file": str(bad), "sep": ";", "decimal": ","})
    assert "Zeile 3, Spalte n" in str(exc.value) and "decimal" in str(exc.value)
    en = _write(tmp_path / "en.csv", 'id,n,q\n1,"2,155",12.5\n2,999,"1,000.5"\n')
    df = read_table({"file": str(en), "decimal": ".", "thousands": ","})
    assert df["n"].tolist() == [2155, 999] and df["q"].tolist() == [12.5, 1000.5]
    with pytest.raises(DataValidationError, match="Zeile 2, Spalte n"):
        read_table({"file": str(_write(tmp_path / "en2.csv", 'id,n\n1,"2,15"\n')), "thousands": ","})
    with pytest.raises(DataValidationError, match="Komma .*ohne thousands"):
        read_table({"file": str(en), "decimal": "."})
    # nothing declared: "2.155" could be either, so it is refused
    with pytest.raises(DataValidationError) as exc:
        read_table({"file": str(de), "sep": ";"})
    assert "mehrdeutig" in str(exc.value) and "Zeile 2, Spalte n" in str(exc.value)


@pytest.mark.parametrize(
    ("decl", "key"),
    [
        ({"decimal": ",", "thousands": ","}, "thousands"),
        ({"thousands": "."}, "decimal"),
        ({"decimal": ";"}, "decimal"),
        ({"decimal": ",", "thousands": "x"}, "thousands"),
    ],
)
def test_ambiguous_number_declarations_are_refused(tmp_path, decl, key):
    f = _write(tmp_path / "n.csv", "id;n\n1;2\n")
    with pytest.raises(ConfigError) as exc:
        read_table({"file": str(f), "sep": ";", **decl})
    assert exc.value.where == key


def test_numeric_column_with_text_or_undeclared_code(tmp_path):
    f = _write(tmp_path / "t.csv", "id;n\n1;5\n2;fünf\n")
    with pytest.raises(DataValidationError) as exc:
        read_table({"file": str(f), "sep": ";", "types": {"n": "int"}})
    assert "Zeile 3, Spalte n" in str(exc.value) and "fünf" in str(exc.value)
    for code, key in (
        ("k.A.", "missing"),
        ("-", "zero"),
        ("–", "zero"),
        ("/", "missing"),
        ("-9999", "missing"),
    ):
        g = _write(tmp_path / "c.csv", f"id;n;m\n1;5;7\n2;{code};8\n")
        for types in ({"n": "int"}, {}):  # declared numeric, and auto (numbers beside a code)
            with pytest.raises(DataValidationError) as exc:
                read_table({"file": str(g), "sep": ";", "types": types})
            msg = str(exc.value)
            assert "Zeile 3, Spalte n" in msg and "kein erklärter Code" in msg and f"{key}: [" in msg, msg
    # text columns stay text
    names = _write(tmp_path / "names.csv", "id;name\n1;Altstadt\n2;-\n")
    assert read_table({"file": str(names), "sep": ";"})["name"].tolist() == ["Altstadt", "-"]


# --- 4. codes -----------------------------------------------------------------------------------------------------


def test_suppressed_zero_and_missing_codes(tmp_path):
    f = _write(tmp_path / "c.csv", "id;a;b;c\n1;*;-;k.A.\n2;.;–;-9999\n3;x;4;5\n4;•;0;\n")
    t = read_table_full(
        {
            "file": str(f), "sep": ";", "suppressed": ["*", ".", "x", "•"], "zero": ["-", "–"],
            "missing": ["k.A.", "-9999"], "types": {"a": "int", "b": "int", "c": "int"},
        }
    )  # fmt: skip
    assert t.data["a"].isna().all() and t.suppressed["a"].all()  # suppressed: no value, flagged, never 0
    assert t.data["b"].tolist() == [0, 0, 4, 0] and not t.suppressed["b"].any()
    assert t.data["c"].isna().tolist() == [True, True, False, True] and not t.suppressed["c"].any()
    # default suppression signs without declaration: "*", ".", "x", "•" (dashes must be declared)
    d = _write(tmp_path / "d.csv", "id;a\n1;*\n2;•\n3;7\n")
    t = read_table_full({"file": str(d), "sep": ";", "types": {"a": "int"}})
    assert t.suppressed["a"].tolist() == [True, True, False] and t.data["a"].iloc[2] == 7
    with pytest.raises(ConfigError) as exc:
        read_table({"file": str(d), "sep": ";", "suppressed": ["-"], "zero": ["-"]})
    assert exc.value.where == "zero"


# --- 5. encodings -------------------------------------------------------------------------------------------------


def test_encoding_declared_wrong_is_refused_and_undeclared_detected(tmp_path):
    text = "id;name\n1;Altstadt\n2;Mülheim\n"
    utf8 = _write(tmp_path / "u.csv", text)
    with pytest.raises(DataValidationError) as exc:
        read_table({"file": str(utf8), "sep": ";", "encoding": "cp1252"})
    msg = str(exc.value)
    assert "Zeile 3" in msg and "MÃ¼lheim" in msg and "encoding" in msg
    latin = _write(tmp_path / "l.csv", text, "cp1252")
    for f in (utf8, latin, _write(tmp_path / "bom.csv", "\ufeff" + text)):
        assert read_table({"file": str(f), "sep": ";"})["name"].tolist() == ["Altstadt", "Mülheim"]
    double = _write(tmp_path / "d.csv", "id;name\n1;MÃ¼lheim\n")  # UTF-8 saved as cp1252 then as UTF-8
    with pytest.raises(DataValidationError, match="Zeile 2.*falsche Zeichenkodierung"):
        read_table({"file": str(double), "sep": ";"})


def test_shapefile_utf8_dbf_without_cpg(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame(
        {"ID": ["1", "2"], "NAME": ["Mülheim", "Süderstraße"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs=25832,
    )
    shp = tmp_path / "gebiete.shp"
    gdf.to_file(shp, engine="pyogrio", encoding="UTF-8")
    shp.with_suffix(".cpg").unlink()
    t = read_table_full({"file": str(shp), "id": {"column": "ID", "width": 2, "name": "area_id"}})
    assert t.data["NAME"].tolist() == ["Mülheim", "Süderstraße"]
    assert t.data["area_id"].tolist() == ["01", "02"]
    assert any("UTF-8" in w for w in t.warnings)
    with pytest.raises(DataValidationError) as exc:
        read_table({"file": str(shp), "encoding": "cp1252"})
    assert "Objekt 1, Spalte NAME" in str(exc.value) and "encoding" in str(exc.value)


# --- 6. aggregates and filter ---------------------------------------------------------------------------------------


def test_aggregate_rows_become_totals_and_filter(tmp_path):
    text = (
        "Bezirk;Nr;Stadtteil;Merkmal;Einwohner\n"
        "1;01;Altstadt;insgesamt;1000\n1;01;Altstadt;weiblich;510\n"
        "1;02;Neustadt;insgesamt;2000\n1;02;Neustadt;weiblich;990\n"
        "1;1;Bezirk Mitte;insgesamt;3000\n1;1;Bezirk Mitte;weiblich;1500\n"
        "2;03;Nordstadt;insgesamt;500\n2;03;Nordstadt;weiblich;260\n"
        "2;2;Bezirk Nord;insgesamt;500\n2;2;Bezirk Nord;weiblich;260\n"
        ";;Stadt;insgesamt;3500\n;;Stadt;weiblich;1760\n"
    )
    f = _write(tmp_path / "a.csv", text)
    spec = {
        "file": str(f), "sep": ";", "filter": [{"column": "Merkmal", "keep": ["insgesamt"]}],
        "aggregates": [
            {"level": "stadtbezirk", "values": ["1", "2"]},  # ids without leading zero are the districts
            {"level": "stadt", "column": "Stadtteil", "match": "(?i)stadt( insgesamt)?"},
        ],
        "id": {"column": "Nr", "name": "area_id"}, "types": {"Bezirk": "str"},
    }  # fmt: skip
    t = read_table_full(spec)
    assert t.data["area_id"].tolist() == ["01", "02", "03"]
    assert t.data["Einwohner"].tolist() == [1000, 2000, 500]
    assert t.lines.tolist() == [2, 4, 8]
    assert t.totals[["level", "Stadtteil", "Einwohner"]].values.tolist() == [
        ["stadtbezirk", "Bezirk Mitte", 3000],
        ["stadtbezirk", "Bezirk Nord", 500],
        ["stadt", "Stadt", 3500],
    ]
    drop = read_table({**spec, "filter": [{"column": "Merkmal", "drop_match": "weib.*"}]})
    assert drop["area_id"].tolist() == ["01", "02", "03"]
    # without the aggregates rule the city row has no id: refused, pointing to aggregates
    with pytest.raises(DataValidationError, match="Zeile 12.*ohne Gebietsschlüssel") as exc:
        read_table({**spec, "aggregates": spec["aggregates"][:1]})
    assert "aggregates" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        read_table({**spec, "aggregates": [{"level": "land", "values": ["x"]}]})
    assert exc.value.where == "aggregates[0].level"


# --- 7. layout and melt -------------------------------------------------------------------------------------------


def test_melt_wide_years_to_long_and_long_layout(tmp_path):
    f = _write(
        tmp_path / "w.csv",
        "Nr;Name;Einwohner 2021;Einwohner 2022;Einwohner 2023;Fläche\n01;Altstadt;100;*;120;2,5\n02;Neustadt;200;210;220;3\n"
        ";Stadt;300;;340;5,5\n",
    )
    spec = {
        "file": str(f), "sep": ";", "decimal": ",", "id": {"column": "Nr", "name": "area_id"},
        "aggregates": [{"level": "stadt", "column": "Name", "values": ["Stadt"]}],
        "melt": {"pattern": r"Einwohner (\d{4})", "value": "population", "id_columns": ["area_id", "Name"]},
    }  # fmt: skip
    t = read_table_full(spec)
    df = t.data
    assert list(df.columns) == ["area_id", "Name", "year", "population"]
    assert df[["area_id", "year"]].values.tolist() == [
        ["01", 2021], ["01", 2022], ["01", 2023], ["02", 2021], ["02", 2022], ["02", 2023],
    ]  # fmt: skip
    assert df["population"].dtype == "Int64"
    assert (
        df["population"].iloc[0] == 100
        and pd.isna(df["population"].iloc[1])
        and df["population"].iloc[2] == 120
    )
    assert t.suppressed["population"].tolist() == [False, True, False, False, False, False]
    assert t.totals["population"].tolist()[0] == 300 and t.totals["year"].tolist() == [2021, 2022, 2023]
    assert t.lines.tolist() == [2, 2, 2, 3, 3, 3]
    with pytest.raises(ConfigError) as exc:
        read_table({**spec, "melt": {"pattern": r"Einwohner \d{4}", "value": "population"}})
    assert exc.value.where == "melt.pattern"  # no group for the year
    long = _write(
        tmp_path / "l.csv", "area_id;year;population\n01;2021;100\n01;2022;110\n02;2021;200\n01;2021;101\n"
    )
    with pytest.raises(ConfigError) as exc:
        read_table({"file": str(long), "sep": ";", "layout": "long"})
    assert exc.value.where == "row_keys"
    base = {"file": str(long), "sep": ";", "layout": "long", "id": {"column": "area_id"}}
    with pytest.raises(DataValidationError, match="kommt mehrfach vor \\(Zeilen 2, 5\\)"):
        read_table({**base, "row_keys": ["area_id", "year"]})
    ok = read_table(
        {**base, "row_keys": ["area_id", "year"], "filter": [{"column": "population", "drop": ["101"]}]}
    )
    assert ok["population"].tolist() == [100, 110, 200]


# --- 8. names instead of ids --------------------------------------------------------------------------------------

KEYS_CSV = (
    "nr;name\n01;Altstadt\n02;Süderstraße\n03;St. Jürgen\n04;Meller Bogen\n05;Friesischer Berg\n06;Weiche\n"
    "07;Südstadt\n08;Sandberg\n"
)


def _name_table(tmp_path: Path, rows: str) -> dict:
    _write(tmp_path / "schluessel.csv", KEYS_CSV)
    _write(tmp_path / "namen.csv", "Stadtteil;Einwohner\n" + rows)
    return {
        "file": "namen.csv", "sep": ";", "join_by": "name", "id": {"column": "Stadtteil"},
        "key_table": {"file": "schluessel.csv", "sep": ";", "id": "nr", "name": "name"},
    }  # fmt: skip


def test_join_by_name_normalises_and_suggests(tmp_path):
    spec = _name_table(
        tmp_path,
        "ALTSTADT;100\nSuederstrasse;200\nSankt Jürgen;300\nFriesischer-Berg;400\nMellerbogen;500\nSüdstdt;600\n",
    )
    y = tmp_path / "namen.yaml"
    y.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataValidationError) as exc:
        read_table(y)
    msg = str(exc.value)
    assert "2 Name(n) nicht in der Schlüsseltabelle" in msg
    assert "„Mellerbogen“ (Zeile 6) → „Meller Bogen“?" in msg and "„Südstdt“ (Zeile 7) → „Südstadt“?" in msg
    assert "id.names" in msg
    spec["id"]["names"] = {"Mellerbogen": "Meller Bogen", "Südstdt": "Südstadt"}
    y.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    df = read_table(y)
    assert df["area_id"].tolist() == ["01", "02", "03", "05", "04", "07"]
    assert df["Stadtteil"].tolist()[0] == "ALTSTADT" and df["Einwohner"].tolist()[-1] == 600
    spec["id"]["names"] = {"Mellerbogen": "Mellerbogn"}
    with pytest.raises(ConfigError, match="meinten Sie „Meller Bogen“"):
        read_table(
            {
                **spec,
                "file": str(tmp_path / "namen.csv"),
                "key_table": {**spec["key_table"], "file": str(tmp_path / "schluessel.csv")},
            }
        )
    assert normalise_name("St.-Jürgen") == normalise_name("Sankt Juergen") == normalise_name("st jürgen")
    assert normalise_name("Süderstraße") == normalise_name("SUEDERSTRASSE")


# --- 9. crosswalk -------------------------------------------------------------------------------------------------


def test_crosswalk_keeps_combined_areas_and_reports_them(tmp_path):
    spec = _name_table(tmp_path, "Altstadt;100\nWeiche-Sandberg;900\nSüdstadt;700\n")
    spec["crosswalk"] = {"Weiche Sandberg": ["07", "08"]}  # wrong on purpose: Weiche is 06
    y = tmp_path / "k.yaml"
    y.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        DataValidationError, match="Gebiet '07' kommt einzeln und im zusammengefassten Gebiet '07\\+08' vor"
    ):
        read_table(y)
    spec["crosswalk"] = {"Weiche Sandberg": ["06", "08"]}
    y.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    t = read_table_full(y)
    assert t.data["area_id"].tolist() == ["01", "06+08", "07"]
    assert t.data["Einwohner"].tolist() == [100, 900, 700]  # kept at the combined level
    assert t.combined == {"06+08": ["06", "08"]}
    keys = read_table(
        {"file": str(tmp_path / "schluessel.csv"), "sep": ";", "id": {"column": "nr", "name": "area_id"}}
    )
    joined, rep = join_report(keys, read_table(y), on="area_id", how="left")
    assert rep.only_combined == {"06": "06+08", "08": "06+08"}
    assert rep.left_only == ["02", "03", "04", "05"] and rep.right_only == [] and not rep.complete
    assert "nur zusammengefasst verfügbar: 06, 08 (als 06+08)" in str(rep)
    six = joined.set_index("area_id").loc[["06", "08"]]
    assert six["Einwohner"].isna().all()  # never split between 06 and 08
    assert six["combined_in"].tolist() == ["06+08", "06+08"]


def test_crosswalk_from_csv_file_for_id_tables(tmp_path):
    _write(tmp_path / "kombi.csv", "veroeffentlicht,schluessel\n78,7\n78,8\n")
    f = _write(tmp_path / "t.csv", "Nr,Einwohner\n1,100\n78,900\n")
    t = read_table_full(
        {
            "file": str(f), "id": {"column": "Nr", "width": 2, "name": "area_id"},
            "crosswalk": {"file": str(tmp_path / "kombi.csv"), "from": "veroeffentlicht", "to": "schluessel"},
        }
    )  # fmt: skip
    assert t.data["area_id"].tolist() == ["01", "07+08"] and t.combined == {"07+08": ["07", "08"]}
    with pytest.raises(ConfigError) as exc:
        read_table({"file": str(f), "id": {"column": "Nr"}, "crosswalk": {"78": ["07"]}})
    assert exc.value.where == "crosswalk.78"


# --- mapping errors name the YAML line; 10. the reference ---------------------------------------------------------


def test_config_errors_name_the_yaml_line_and_key(tmp_path):
    _write(tmp_path / "t.csv", "id;n\n1;2\n")
    y = tmp_path / "m.yaml"
    y.write_text('# Kommentar\nfile: t.csv\nsep: ";"\ntypes:\n  n: zahl\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        read_table(y)
    assert exc.value.where == "types.n" and "(Zeile 5)" in str(exc.value) and "m.yaml" in str(exc.value)


def test_reference_documents_every_key():
    from workbench.io._mapping_spec import describe_keys

    doc = (ROOT / "docs" / "ZUORDNUNGEN.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)?)`", doc))
    missing = [k for k in describe_keys() if k not in documented and k.split(".")[-1] not in documented]
    assert missing == []


def test_example_mappings_still_read_when_data_present():
    shared = ROOT.parent / "shared" / "data"
    if not (shared / "flensburg-sozialatlas-2022").is_dir():
        pytest.skip("../shared/data fehlt")
    for y in sorted((ROOT / "examples" / "flensburg").glob("tab_*.yaml")):
        t = read_table_full(y, shared)
        assert len(t.data) == 13 and not t.totals.shape[0], y.name
        assert np.all(t.lines.to_numpy() >= 1)


def test_worked_example_of_the_reference_reads_as_documented(tmp_path):
    doc = (ROOT / "docs" / "ZUORDNUNGEN.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- beispiel: stadtteile -->\n```yaml\n(.*?)```", doc, re.S).group(1)
    _workbook(tmp_path / "stadtteile_2023.xlsx")
    y = tmp_path / "stadtteile_2023.yaml"
    y.write_text(block, encoding="utf-8")
    t = read_table_full(y)
    assert t.data["area_id"].tolist() == ["01", "02", "03"]
    assert t.data["einwohner_2023"].tolist() == [1234, 2155, 812]
    assert pd.isna(t.data["arbeitslose"].iloc[0]) and t.data["arbeitslose"].tolist()[1:] == [0, 12]
    assert t.data["anteil_alo"].tolist() == pytest.approx([12.5, 20.0, 7.5])
    assert t.suppressed.sum().sum() == 1 and t.suppressed.loc[0, "arbeitslose"]
    assert t.totals["level"].tolist() == ["stadtbezirk", "stadt"]
    assert t.totals["einwohner_2023"].tolist() == [3389, 4201]
    assert t.lines.tolist() == [6, 7, 9] and not t.warnings
    spec = yaml.safe_load(block)
    spec["melt"] = {
        "pattern": r"einwohner_(\d{4})",
        "value": "einwohner",
        "id_columns": ["area_id", "area_name"],
    }
    y.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    long = read_table(y)
    assert list(long.columns) == ["area_id", "area_name", "year", "einwohner"]
    assert long["einwohner"].tolist() == [1200, 1234, 2100, 2155, 800, 812]
