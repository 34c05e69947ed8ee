"""Published HTML/XLSX tables: German format, machine-readable attributes, metadata, determinism."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from workbench.errors import WorkbenchError
from workbench.render.fmt import SUPPRESSED_SIGN
from workbench.render.tables import SUPPRESSION_FOOTNOTE, count_key, html_table, margin_totals, write_xlsx


def _frame() -> tuple[pd.DataFrame, dict]:
    df = pd.DataFrame(
        {
            "Name": ["Altstadt", "Nord", "Summe"],
            "Arbeitslose": [1234, "•", 1300.0],
            "Quote": [12.345, np.nan, 7.25],
        },
        index=pd.Index(["0101", "0102", "Stadt"], name="Sozialraum"),
    )
    return df, {"Name": "text", "Arbeitslose": "count", "Quote": ("rate", "Arbeitslose")}


def test_html_table_attributes_and_german_format() -> None:
    df, kinds = _frame()
    keys = pd.DataFrame(
        {"Arbeitslose": [count_key("unemployed", "sozialraum", r, 2024) for r in df.index]}, index=df.index
    )
    h = html_table(
        df,
        kinds,
        table_id="sl-1",
        caption="Arbeitslose 2024",
        totals=None,
        cell_keys=keys,
        footnotes=["Quelle: BA"],
    )
    soup = BeautifulSoup(h, "html.parser")
    t = soup.find("table")
    assert t["data-wb-table"] == "sl-1"
    assert json.loads(t["data-wb-totals"]) == {"rows": [], "columns": []}
    tds = t.find_all("td")
    assert [td["data-kind"] for td in tds[:3]] == ["text", "count", "rate"]
    assert tds[1].get_text() == "1.234" and tds[1]["data-value"] == "1234"
    assert tds[1]["data-wb-key"] == "unemployed|sozialraum|0101|2024"
    assert tds[2].get_text() == "12,3\u00a0%" and tds[2]["data-value"] == "12.3"
    assert tds[2]["data-numerator-col"] == "Arbeitslose"
    sup = tds[4]
    assert (
        sup["data-kind"] == "suppressed"
        and sup.get_text() == SUPPRESSED_SIGN
        and not sup.has_attr("data-value")
    )
    assert sup["data-wb-key"] == "unemployed|sozialraum|0102|2024"
    assert tds[5].get_text() == "–" and not tds[5].has_attr("data-value")
    notes = [p.get_text() for p in soup.find_all("p", class_="wb-footnote")]
    assert notes == ["Quelle: BA", SUPPRESSION_FOOTNOTE]
    assert "Fallzahl unter 3 oder rückrechenbar" in SUPPRESSION_FOOTNOTE


def test_html_totals_and_suppressed_mask() -> None:
    df = pd.DataFrame({"a": [3, 4, 7], "b": [5, 6, 11]}, index=["x", "y", "Insgesamt"])
    mask = pd.DataFrame(False, index=df.index, columns=df.columns)
    mask.loc["x", "a"] = True
    h = html_table(
        df,
        {"a": "count", "b": "count"},
        table_id="t",
        caption="c",
        totals=margin_totals(df, total_row="Insgesamt"),
        suppressed=mask,
        number_formats={"b": 1},
    )
    soup = BeautifulSoup(h, "html.parser")
    tot = json.loads(soup.table["data-wb-totals"])
    assert tot["rows"] == [{"total": "Insgesamt", "parts": ["x", "y"]}]
    assert soup.find_all("td")[0]["data-kind"] == "suppressed"
    assert soup.find_all("td")[1].get_text() == "5,0"
    assert SUPPRESSION_FOOTNOTE in h
    no_sup = html_table(df, {"a": "count", "b": "count"}, table_id="t", caption="c")
    assert SUPPRESSION_FOOTNOTE not in no_sup


def test_html_table_rejects_bad_input() -> None:
    df = pd.DataFrame({"a": [1, 2]}, index=["x", "y"])
    with pytest.raises(WorkbenchError):
        html_table(df, {}, table_id="t", caption="c")
    with pytest.raises(WorkbenchError):
        html_table(df, {"a": "count"}, table_id="t", caption="c", totals={"rows": [("z", ["x"])]})
    with pytest.raises(WorkbenchError):
        html_table(pd.DataFrame({"a": ["viele"]}), {"a": "count"}, table_id="t", caption="c")
    with pytest.raises(WorkbenchError):
        html_table(df, {"a": "count"}, table_id="t id", caption="c")


def test_write_xlsx_meta_and_determinism(tmp_path) -> None:
    df = pd.DataFrame(
        {"a": [3, SUPPRESSED_SIGN, 1234], "q": [12.5, np.nan, 3.0]},
        index=pd.Index(["x", "y", "Insgesamt"], name="Gebiet"),
    )
    kinds = {"a": "count", "q": ("share", "a")}
    totals = {"rows": [("Insgesamt", ["x", "y"])]}
    keys = pd.DataFrame(
        {"a": ["m|sozialraum|x|2024", "m|sozialraum|y|2024", "m|stadt|stadt|2024"]}, index=df.index
    )
    path = tmp_path / "out" / "tab.xlsx"
    write_xlsx({"Tabelle 1": (df, kinds, totals, {"cell_keys": keys, "caption": "Test"})}, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    write_xlsx({"Tabelle 1": (df, kinds, totals, {"cell_keys": keys, "caption": "Test"})}, path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert [p.name for p in path.parent.iterdir()] == ["tab.xlsx"]  # no temp file left
    wb = load_workbook(path)
    assert wb.sheetnames == ["Tabelle 1", "_wb_meta"] and wb["_wb_meta"].sheet_state == "hidden"
    assert wb.properties.created.year == 2000 and wb.properties.modified.year == 2000
    ws = wb["Tabelle 1"]
    assert ws["A1"].value == "Test" and ws["B3"].value == "a"
    assert ws["B4"].value == 3 and ws["B5"].value == SUPPRESSED_SIGN and ws["B6"].value == 1234
    assert ws["B6"].number_format == "#,##0" and ws["C4"].number_format == '0.0" %"'
    assert ws["C5"].value == "–"
    meta = {
        (r[0], r[2]): r[5] for r in wb["_wb_meta"].iter_rows(min_row=2, values_only=True) if r[2] != "key"
    }
    assert json.loads(meta[("Tabelle 1", "kinds")])["q"] == {"kind": "share", "numerator": "a"}
    assert json.loads(meta[("Tabelle 1", "totals")])["rows"] == [{"total": "Insgesamt", "parts": ["x", "y"]}]
    keys_meta = [r for r in wb["_wb_meta"].iter_rows(min_row=2, values_only=True) if r[2] == "key"]
    assert ("Tabelle 1", "Tabelle 1", "key", "y", "a", "m|sozialraum|y|2024") in keys_meta
