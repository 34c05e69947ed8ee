"""Mapping-driven reader for published tables and the id join report (synthetic files)."""

import numpy as np
import pandas as pd
import pytest
import yaml

from workbench.errors import ConfigError, DataValidationError
from workbench.io.mapped import join_report, parse_number, read_table, read_table_full


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_parse_number_german_formats():
    assert parse_number("1.374", ",", ".") == 1374
    assert parse_number("1.234.567,5", ",", ".") == 1234567.5
    assert parse_number("53,40%", ",", ".", percent=True) == pytest.approx(53.4)
    assert parse_number("45%", ",", ".", percent=True) == 45
    assert parse_number("23", ",", ".", percent=True) == 23
    assert parse_number("-0,75", ",", None) == -0.75
    assert parse_number("4.22594", ".", None) == pytest.approx(4.22594)
    for bad in ("1.3066", "1.64", "abc", "857°", "12,3,4"):
        with pytest.raises(ValueError):
            parse_number(bad, ",", ".")


def test_cp1252_semicolon_decimal_comma_missing_and_suppressed(tmp_path):
    text = (
        "Statistik Musterstadt\r\nStand 31.12.2024\r\n"
        "Sozialraum;Name;Einwohner;Quote;Anteil;Bemerkung\r\n"
        "101;Altstadt-Süd;1.234;12,5;53,40%;ok\r\n"
        "0102;Nordstadt;*;-9999;45%;\r\n"
        "103;Weiße Siedlung;.;3,0;–;geschätzt\r\n"
    )
    f = _write(tmp_path / "t.csv", text, "cp1252")
    mapping = {
        "file": str(f), "sep": ";", "encoding": "cp1252", "skip_rows": 2, "decimal": ",", "thousands": ".",
        "missing": ["-9999", "."], "suppressed": ["*", "–"],
        "rename": {"Sozialraum": "area_id", "Name": "area_name", "Einwohner": "population"},
        "id": {"column": "area_id", "width": 4},
        "types": {"population": "int", "Quote": "float", "Anteil": "percent"},
    }  # fmt: skip
    t = read_table_full(mapping)
    df = t.data
    assert df["area_id"].tolist() == ["0101", "0102", "0103"]
    assert df["area_name"].tolist()[2] == "Weiße Siedlung"
    assert df["population"].dtype == "Int64"
    assert df["population"].iloc[0] == 1234 and pd.isna(df["population"].iloc[1])
    assert df["Quote"].iloc[0] == 12.5 and np.isnan(df["Quote"].iloc[1])
    assert df["Anteil"].tolist()[:2] == [pytest.approx(53.4), 45.0] and np.isnan(df["Anteil"].iloc[2])
    # "*" and "–" are suppression, "-9999" and "." plain missing
    assert t.suppressed["population"].tolist() == [False, True, False]
    assert t.suppressed["Anteil"].tolist() == [False, False, True]
    assert not t.suppressed["Quote"].any()
    assert pd.isna(df["population"].iloc[2]) and not t.suppressed["population"].iloc[2]
    plain = read_table(mapping)
    assert plain.attrs["suppressed"] == {"population": [1], "Anteil": [2]}


def test_headerless_split_ids_and_yaml_relative_path(tmp_path):
    data = tmp_path / "daten"
    data.mkdir()
    _write(data / "tab.csv", '01 Altstadt,297,"1.374"\n2 Neustadt,574,"2.191"\n13 Tarup,969,845')
    spec = {
        "file": "daten/tab.csv", "header": False, "names": ["key", "u18", "migr"], "thousands": ".",
        "decimal": ",", "id": {"column": "key", "split_name": "area_name", "width": 2, "name": "area_id"},
        "types": {"u18": "int", "migr": "int"},
        "columns": ["area_id", "area_name", "u18", "migr"],
    }  # fmt: skip
    y = tmp_path / "tab.yaml"
    y.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    df = read_table(y)
    assert list(df.columns) == ["area_id", "area_name", "u18", "migr"]
    assert df["area_id"].tolist() == ["01", "02", "13"]
    assert df["area_name"].tolist() == ["Altstadt", "Neustadt", "Tarup"]
    assert df["migr"].tolist() == [1374, 2191, 845]


def test_bom_and_header_spaces_and_shared_placeholder(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    _write(shared / "z.csv", "\ufeffPLR-ID;zS1 ;Klasse \r\n01100101;-0.25;mittel\r\n01100102;;\r\n")
    df = read_table({"file": "${SHARED}/z.csv", "sep": ";", "encoding": "utf-8", "id": {"column": "PLR-ID"}},
                    shared=shared)  # fmt: skip
    assert list(df.columns) == ["PLR-ID", "zS1", "Klasse"]  # BOM and trailing spaces removed
    assert df["PLR-ID"].tolist() == ["01100101", "01100102"]  # leading zeros kept
    assert df["zS1"].iloc[0] == -0.25 and np.isnan(df["zS1"].iloc[1])


def test_auto_type_keeps_codes_with_leading_zeros(tmp_path):
    f = _write(tmp_path / "k.csv", "id,bez,n\n1,01,5\n2,12,7\n")
    df = read_table({"file": str(f)})
    assert df["bez"].tolist() == ["01", "12"]
    assert df["n"].dtype == "Int64"


def test_errors_name_file_row_and_column(tmp_path):
    f = _write(tmp_path / "bad.csv", "id,n\n1,5\n2,857°\n")
    with pytest.raises(DataValidationError) as exc:
        read_table({"file": str(f), "types": {"n": "int"}})
    msg = str(exc.value)
    assert "bad.csv" in msg and "Zeile 3, Spalte n" in msg and "857°" in msg and "Was tun" in msg
    g = _write(tmp_path / "frac.csv", "id,n\n1,5\n2,1.5\n")
    with pytest.raises(DataValidationError, match="keine ganze Zahl"):
        read_table({"file": str(g), "types": {"n": "int"}})
    h = _write(tmp_path / "dup.csv", "id,n\n1,5\n01,6\n")
    with pytest.raises(DataValidationError, match="mehrfach"):
        read_table({"file": str(h), "id": {"column": "id", "width": 2}})
    latin = _write(tmp_path / "latin.csv", "id,name\n1,Süd\n", "cp1252")
    with pytest.raises(DataValidationError, match="cp1252"):
        read_table({"file": str(latin), "encoding": "utf-8"})
    with pytest.raises(DataValidationError, match="nicht gefunden"):
        read_table({"file": str(tmp_path / "nope.csv")})


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"sepp": ";"}, None),
        ({"encoding": "latin-1"}, "encoding"),
        ({"types": {"n": "decimal"}}, "types.n"),
        ({"rename": {"x": "y"}}, "rename"),
        ({"header": False}, "names"),
        ({"id": {"column": "nope"}}, "id.column"),
    ],
)
def test_malformed_mapping(tmp_path, spec, key):
    f = _write(tmp_path / "ok.csv", "id,n\n1,5\n")
    with pytest.raises(ConfigError) as exc:
        read_table({"file": str(f), **spec})
    assert exc.value.where == key


def test_join_report_lists_unmatched_ids_both_sides():
    left = pd.DataFrame({"area_id": ["01", "02", "03"], "area_name": ["Altstadt", "Neustadt", "Nord"]})
    right = pd.DataFrame(
        {"id": ["02", "03", "04"], "area_name": ["Neu-Stadt", "Nord", "Süd"], "x": [1, 2, 3]}
    )
    joined, rep = join_report(left, right, on=("area_id", "id"))
    assert rep.matched == 2 and rep.left_only == ["01"] and rep.right_only == ["04"]
    assert not rep.complete
    assert joined["area_id"].tolist() == ["02", "03"]
    assert joined["area_name_rechts"].tolist() == ["Neu-Stadt", "Nord"]  # names differ, ids decide
    assert "nur links (1): 01" in str(rep) and "nur rechts (1): 04" in str(rep)
    outer, _ = join_report(left, right, on=("area_id", "id"), how="outer")
    assert len(outer) == 4
    indexed = right.set_index("id")
    _, rep2 = join_report(left, indexed, on=("area_id", "id"))
    assert rep2.matched == 2
    with pytest.raises(ConfigError):
        join_report(left, right, on="zzz")
