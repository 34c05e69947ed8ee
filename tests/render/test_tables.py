"""Published HTML/XLSX tables: German format, machine-readable attributes, metadata, determinism."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from workbench import settings
from workbench.errors import ConfigError, WorkbenchError
from workbench.render import fmt
from workbench.render.tables import count_key, html_table, margin_totals, write_xlsx

SUPPRESSED_SIGN = "."  # official sign: Zahlenwert unbekannt oder geheim zu halten
LEGEND_SUPPRESSED = (
    "Zeichenerklärung: . = Zahlenwert unbekannt oder geheim zu halten "
    "(geheim gehalten: Fallzahl unter 3 oder aus anderen Angaben rückrechenbar)"
)


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
    assert sup["data-wb-key"] == "unemployed|sozialraum|0102|2024" and sup["data-wb-sign"] == "geheim"
    assert tds[5].get_text() == "." and not tds[5].has_attr("data-value")
    assert tds[5]["data-wb-sign"] == "unbekannt"
    notes = [p.get_text() for p in soup.find_all("p", class_="wb-footnote")]
    assert notes == ["Quelle: BA"]
    assert [p.get_text() for p in soup.find_all("p", class_="wb-legend")] == [LEGEND_SUPPRESSED]


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
    assert LEGEND_SUPPRESSED in h
    no_sup = html_table(df, {"a": "count", "b": "count"}, table_id="t", caption="c")
    assert "wb-legend" not in no_sup and "Zeichenerklärung" not in no_sup


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
    assert ws["A1"].value == "Test" and ws["B3"].value == "a" and ws["C3"].value == "a (Zeichen)"
    assert ws["D3"].value == "q" and ws["E3"].value == "q (Zeichen)"
    # numbers stay numbers, an unpublished cell is empty and its sign stands in the flag column
    assert ws["B4"].value == 3 and ws["B5"].value is None and ws["B6"].value == 1234
    assert ws["C4"].value is None and ws["C5"].value == SUPPRESSED_SIGN and ws["C6"].value is None
    assert ws["B6"].number_format == "#,##0" and ws["D4"].number_format == '0.0" %"'
    assert ws["D5"].value is None and ws["E5"].value == "."
    assert ws["A8"].value == LEGEND_SUPPRESSED
    meta = {
        (r[0], r[2]): r[5] for r in wb["_wb_meta"].iter_rows(min_row=2, values_only=True) if r[2] != "key"
    }
    assert json.loads(meta[("Tabelle 1", "kinds")])["q"] == {"kind": "share", "numerator": "a"}
    layout = json.loads(meta[("Tabelle 1", "layout")])
    assert layout["value_columns"] == {"a": 2, "q": 4} and layout["flag_columns"] == {"a": 3, "q": 5}
    assert json.loads(meta[("Tabelle 1", "totals")])["rows"] == [{"total": "Insgesamt", "parts": ["x", "y"]}]
    keys_meta = [r for r in wb["_wb_meta"].iter_rows(min_row=2, values_only=True) if r[2] == "key"]
    assert ("Tabelle 1", "Tabelle 1", "key", "y", "a", "m|sozialraum|y|2024") in keys_meta


# --------------------------------------------------------------------------------------------- signs


def _signs_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Fälle": [0, 5, np.nan, "•"],
            "Quote": [0.0, 12.5, np.nan, np.nan],
            "Intervall": [np.nan, 3.26, "x", np.nan],
        },
        index=pd.Index(["a", "b", "c", "d"], name="Gebiet"),
    )


def _cell_signs(h: str) -> list[list[tuple[str, str | None]]]:
    soup = BeautifulSoup(h, "html.parser")
    return [
        [(td.get_text(), td.get("data-wb-sign")) for td in tr.find_all("td")]
        for tr in soup.tbody.find_all("tr")
    ]


def test_official_sign_per_role_and_exact_legend() -> None:
    df = _signs_frame()
    kinds = {"Fälle": "count", "Quote": ("rate", "Fälle"), "Intervall": "rate"}
    roles = pd.DataFrame(None, index=df.index, columns=df.columns, dtype=object)
    roles.loc["a", "Intervall"] = "nicht_sinnvoll"  # no interval by method
    roles.loc["c", "Fälle"] = "spaeter"  # not yet delivered
    roles.loc["c", "Quote"] = "unsicher"
    mask = pd.DataFrame(False, index=df.index, columns=df.columns)
    mask.loc["d", "Quote"] = True
    h = html_table(df, kinds, table_id="s", caption="c", signs=roles, suppressed=mask, zero_as_sign=True)
    cells = _cell_signs(h)
    assert cells[0] == [("–", "null"), ("0,0\u00a0%", None), ("x", "nicht_sinnvoll")]
    assert cells[1] == [("5", None), ("12,5\u00a0%", None), ("3,3\u00a0%", None)]
    assert cells[2] == [("…", "spaeter"), ("/", "unsicher"), ("x", "nicht_sinnvoll")]
    assert cells[3] == [(".", "geheim"), (".", "geheim"), (".", "unbekannt")]
    soup = BeautifulSoup(h, "html.parser")
    zero = soup.tbody.find("td")
    assert zero["data-value"] == "0" and zero["data-kind"] == "count"  # a true 0, shown as "–"
    legend = soup.find("p", class_="wb-legend").get_text()
    assert legend == (
        "Zeichenerklärung: – = nichts vorhanden (genau null); . = Zahlenwert unbekannt oder geheim zu halten "
        "(geheim gehalten: Fallzahl unter 3 oder aus anderen Angaben rückrechenbar); x = Tabellenfach gesperrt, "
        "weil Aussage nicht sinnvoll; / = keine Angaben, da Zahlenwert nicht sicher genug; … = Angabe fällt "
        "später an"
    )
    # only "x" used: the legend names "x" and nothing else; zeros stay "0" by default
    only_x = html_table(
        pd.DataFrame({"n": [0, 4]}, index=["a", "b"]),
        {"n": "count"},
        table_id="x",
        caption="c",
        signs={"n": "nicht_sinnvoll"},
    )
    assert _cell_signs(only_x) == [[("0", None)], [("4", None)]]
    assert "wb-legend" not in only_x
    only_x = html_table(
        pd.DataFrame({"n": [np.nan, 4]}, index=["a", "b"]),
        {"n": "count"},
        table_id="x",
        caption="c",
        signs={"n": "nicht_sinnvoll"},
    )
    legend = BeautifulSoup(only_x, "html.parser").find("p", class_="wb-legend").get_text()
    assert legend == "Zeichenerklärung: x = Tabellenfach gesperrt, weil Aussage nicht sinnvoll"
    with pytest.raises(WorkbenchError, match="Zeichenrolle 'geheim'"):  # withholding only via ``suppressed``
        html_table(df, kinds, table_id="s", caption="c", signs={"Quote": "geheim"})


def _config(tmp_path, signs_yaml: str) -> settings.ReportConfig:
    path = tmp_path / "report.yaml"
    path.write_text(f"city: Teststadt\nreporting_year: 2024\nsigns:\n{signs_yaml}", encoding="utf-8")
    return settings.load_report_config(path)


def test_signs_configurable_per_report(tmp_path) -> None:
    cfg = _config(tmp_path, '  geheim: "•"\n  nicht_sinnvoll: {zeichen: "X", text: "nicht berechenbar"}\n')
    assert cfg.signs["geheim"] == ("•", None) and cfg.signs["nicht_sinnvoll"] == ("X", "nicht berechenbar")
    settings.activate(cfg)
    try:
        df = pd.DataFrame({"n": [7, 4, np.nan]}, index=["a", "b", "c"])
        mask = pd.DataFrame({"n": [False, True, False]}, index=df.index)
        h = html_table(
            df, {"n": "count"}, table_id="t", caption="c", suppressed=mask, signs={"n": "nicht_sinnvoll"}
        )
        assert _cell_signs(h) == [[("7", None)], [("•", "geheim")], [("X", "nicht_sinnvoll")]]
        assert fmt.SUPPRESSED_SIGN == "•" and fmt.sign("null") == "–"
        legend = BeautifulSoup(h, "html.parser").find("p", class_="wb-legend").get_text()
        assert legend.startswith("Zeichenerklärung: • = Zahlenwert unbekannt oder geheim zu halten (geheim")
        assert legend.endswith("; X = nicht berechenbar")
    finally:
        settings.activate(None)
    assert fmt.SUPPRESSED_SIGN == "."


def test_signs_config_refuses_wrong_key_and_ambiguous_sign(tmp_path) -> None:
    with pytest.raises(ConfigError) as err:
        _config(tmp_path, '  geheimnis: "."\n')
    assert "unbekannte Zeichenrolle 'geheimnis'" in str(err.value) and "signs.geheimnis" in str(err.value)
    assert "report.yaml" in str(err.value)
    with pytest.raises(ConfigError, match="signs.spaeter"):
        _config(tmp_path, '  spaeter: "1"\n')  # a digit would read as a number
    with pytest.raises(ConfigError, match="signs.geheim"):
        _config(tmp_path, "  geheim: {zeichen: '.', farbe: rot}\n")
    cfg = _config(tmp_path, '  unbekannt: "–"\n')  # "–" means genau null: never for an unknown value
    with pytest.raises(ConfigError, match="signs.unbekannt") as err:
        fmt.sign_table(cfg)
    assert "null" in str(err.value)


def test_xlsx_numeric_columns_with_flag_columns_and_audit(tmp_path) -> None:
    from workbench.confidentiality.audit import audit_path

    df = pd.DataFrame(
        {"Fälle": [40, 5, 45], "Quote": [12.5, np.nan, 11.0]},
        index=pd.Index(["x", "y", "Insgesamt"], name="Gebiet"),
    )
    mask = pd.DataFrame({"Fälle": [False, True, False], "Quote": [False, True, False]}, index=df.index)
    path = tmp_path / "t.xlsx"
    spec = (df, {"Fälle": "count", "Quote": ("rate", "Fälle")}, None, {"suppressed": mask})
    write_xlsx({"T": spec}, path)
    ws = load_workbook(path)["T"]
    values = [ws.cell(row=r, column=c).value for r in (4, 5, 6) for c in (2, 4)]
    assert values == [40, 12.5, None, None, 45, 11.0]  # numbers or empty: SUM/AVERAGE work on the column
    assert all(v is None or isinstance(v, int | float) for v in values)
    assert [ws.cell(row=r, column=3).value for r in (4, 5, 6)] == [None, ".", None]
    assert audit_path(path) == []
    # with totals, the suppressed 5 follows from 45 − 40: the audit must read the flag column to see it
    write_xlsx({"T": (*spec[:2], {"rows": [("Insgesamt", ["x", "y"])]}, spec[3])}, path)
    findings = audit_path(path)
    assert [(f.kind, f.row, f.column, f.value) for f in findings if f.kind == "recoverable"] == [
        ("recoverable", "y", "Fälle", 5.0)
    ]
