"""The audit reads only published HTML/XLSX and finds planted leaks; protected output is clean."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.confidentiality import Rules, with_margins
from workbench.confidentiality.audit import audit_path, main
from workbench.render.tables import count_key, html_table, margin_totals, write_xlsx

_SUPPRESSED_TD = re.compile(r'<td data-kind="suppressed"[^>]*>[^<]*</td>')
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
BERLIN = DATA / "berlin-mss-2021" / "einwohner_2022-06_plr_altersgruppen.csv"


def _protected_html(df: pd.DataFrame, table_id: str = "t1", keys: pd.DataFrame | None = None) -> str:
    prot = with_margins(df).protect(Rules())
    disp = prot.display()
    kinds = {c: "count" for c in disp.columns}
    tot = margin_totals(disp, total_row="Insgesamt", total_column="Insgesamt")
    return html_table(disp, kinds, table_id=table_id, caption="Test", totals=tot, cell_keys=keys)


DF = pd.DataFrame({"a": [5, 1, 7], "b": [4, 6, 9], "c": [10, 12, 2]}, index=["r1", "r2", "r3"])


def test_protected_output_is_clean_and_exit_code_0(tmp_path, capsys) -> None:
    (tmp_path / "kapitel.html").write_text(_protected_html(DF), encoding="utf-8")
    assert audit_path(tmp_path) == []
    assert main([str(tmp_path)]) == 0
    assert "keine Befunde" in capsys.readouterr().out


def test_planted_small_count_in_suppressed_place(tmp_path, capsys) -> None:
    h = _protected_html(DF)
    # replace the suppressed r2/a cell (the first suppressed cell of row r2) by a visible 2
    row = h.index('data-wb-row="r2"')
    m = _SUPPRESSED_TD.search(h, row)
    assert m is not None
    h = h[: m.start()] + '<td data-kind="count" data-value="2">2</td>' + h[m.end() :]
    (tmp_path / "k.html").write_text(h, encoding="utf-8")
    findings = audit_path(tmp_path)
    kinds = {f.kind for f in findings}
    assert "small_count" in kinds
    small = [f for f in findings if f.kind == "small_count"][0]
    assert (small.file, small.table_id, small.row, small.column, small.value) == (
        "k.html",
        "t1",
        "r2",
        "a",
        2.0,
    )
    assert main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "Zeile „r2“, Spalte „a“: sichtbare Fallzahl 2 (unter 3)" in out


def test_total_row_allows_differencing(tmp_path) -> None:
    """Only primary suppression plus a total row: the hidden 1 = 13 - 5 - 7."""
    table = with_margins(DF, total_column=None)
    disp = table.values.astype(object)
    disp.loc["r2", "a"] = "•"
    disp.loc["r3", "c"] = "•"
    h = html_table(
        disp,
        {c: "count" for c in disp.columns},
        table_id="leak",
        caption="x",
        totals=margin_totals(disp, total_row="Insgesamt"),
    )
    (tmp_path / "leak.html").write_text(h, encoding="utf-8")
    found = {(f.row, f.column): f for f in audit_path(tmp_path)}
    assert found[("r2", "a")].kind == "recoverable" and found[("r2", "a")].value == 1
    assert found[("r3", "c")].value == 2
    assert "rückrechenbar (1)" in found[("r2", "a")].message


def test_xlsx_small_count_and_executed_skipped(tmp_path) -> None:
    df = pd.DataFrame({"n": [2, 40]}, index=["x", "y"])
    write_xlsx({"T": (df, {"n": "count"}, None)}, tmp_path / "tab.xlsx")
    (tmp_path / "executed").mkdir()
    (tmp_path / "executed" / "raw.html").write_text(
        html_table(df, {"n": "count"}, table_id="raw", caption="intern"), encoding="utf-8"
    )
    findings = audit_path(tmp_path)
    assert [(f.file, f.table_id, f.row, f.kind, f.value) for f in findings] == [
        ("tab.xlsx", "T", "x", "small_count", 2.0)
    ]


def test_cross_table_differencing_via_keys(tmp_path) -> None:
    """Each table alone is safe; together (same cell keys) the hidden cell follows from the other table."""
    keys = pd.DataFrame(
        {
            c: [count_key(c, "sozialraum", r, 2024) for r in ["r1", "r2", "Insgesamt"]]
            for c in ["a", "b", "Insgesamt"]
        },
        index=["r1", "r2", "Insgesamt"],
    )
    df = pd.DataFrame({"a": [1, 5], "b": [6, 4]}, index=["r1", "r2"])
    (tmp_path / "one.html").write_text(_protected_html(df, "one", keys), encoding="utf-8")
    assert audit_path(tmp_path) == []
    # a second table repeats column a, all visible
    other = pd.DataFrame({"a": [1.0, 5.0, 6.0]}, index=["r1", "r2", "Insgesamt"]).astype(object)
    other.loc["r1", "a"] = "•"
    h2 = html_table(other, {"a": "count"}, table_id="two", caption="y", cell_keys=keys[["a"]])
    (tmp_path / "two.html").write_text(h2, encoding="utf-8")
    found = audit_path(tmp_path)
    assert any(f.kind == "recoverable" and f.row == "r1" and f.column == "a" and f.value == 1 for f in found)
    # r2/a visible in table two but suppressed in table one → shown elsewhere
    assert any(f.kind == "shown_elsewhere" and f.table_id == "one" and f.row == "r2" for f in found)


def test_rate_on_suppressed_numerator(tmp_path) -> None:
    df = pd.DataFrame({"n": ["•", 40], "q": [0.5, 8.0]}, index=["x", "y"])
    h = html_table(df, {"n": "count", "q": ("rate", "n")}, table_id="r", caption="q")
    (tmp_path / "r.html").write_text(h, encoding="utf-8")
    assert [(f.row, f.kind) for f in audit_path(tmp_path)] == [("x", "rate_suppressed_numerator")]


def test_unreadable_input_exit_2(tmp_path, capsys) -> None:
    assert main([str(tmp_path / "nope")]) == 2
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    assert main([str(tmp_path)]) == 2
    assert "Fehler" in capsys.readouterr().err


@pytest.mark.realdata
def test_berlin_age_groups_protected_and_clean(tmp_path) -> None:
    if not BERLIN.exists():
        pytest.skip("../shared/data not available")
    raw = pd.read_csv(BERLIN, sep=";", dtype=str, encoding="utf-8-sig")
    assert raw.shape == (542, 12) and raw["PLR-ID"].is_unique
    ages = ["unter6", "6-15", "15-18", "18-27", "27-45", "45-55", "55-65", "65undmehr"]
    df = raw.set_index("PLR-ID")[["Gesamt", *ages]]
    input_cells = df == "–"
    assert int(input_cells.to_numpy().sum()) == 26  # 5 PLR arrive with suppressions (2 of them entirely)
    prot = with_margins(df, total_column="Gesamt", total_row=None).protect(Rules())
    # input suppressions stay suppressed, never summed as 0
    assert (prot.status[input_cells] == "input").to_numpy()[input_cells.to_numpy()].all()
    assert np.isnan(prot.values.loc["03300515", "18-27"])
    # the '–' cells of three PLR are pinned to 0 by their totals → exactly one extra cell each
    sec = prot.status == "secondary"
    assert sorted(sec.any(axis=1)[lambda s: s].index) == ["03300515", "04400725", "05300838"]
    assert int(sec.to_numpy().sum()) == 3
    assert prot.status.loc["03300515", "15-18"] == "secondary"  # smallest visible part (3)
    disp = prot.display()
    h = html_table(
        disp,
        {c: "count" for c in disp.columns},
        table_id="ew-alter",
        caption="Einwohner nach Alter",
        totals={"columns": [("Gesamt", ages)]},
    )
    (tmp_path / "bevoelkerung.html").write_text(h, encoding="utf-8")
    assert audit_path(tmp_path) == []
    # the unprotected table is caught by the audit (the 0-pinned '–' cells)
    raw_disp = df.apply(lambda s: s.map(lambda v: "•" if v == "–" else float(v)))
    (tmp_path / "raw.html").write_text(
        html_table(
            raw_disp,
            {c: "count" for c in raw_disp.columns},
            table_id="raw",
            caption="roh",
            totals={"columns": [("Gesamt", ages)]},
        ),
        encoding="utf-8",
    )
    found = audit_path(tmp_path)
    assert {f.table_id for f in found} == {"raw"} and {f.kind for f in found} == {"recoverable"}
    assert all(f.value == 0 for f in found)
