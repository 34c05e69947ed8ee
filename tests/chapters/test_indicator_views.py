"""Published indicator views and report tables on the small demo city: only published values, protected counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from workbench.chapters import indicator_views as views
from workbench.chapters import population
from workbench.chapters import tables as reporttables
from workbench.confidentiality import Rules, protect_counts
from workbench.confidentiality.audit import audit_path
from workbench.indicators import compute, load_catalogue
from workbench.io.dataset import Dataset


@pytest.fixture(scope="module")
def ctx(small_processed):
    ds = Dataset(small_processed)
    cat = load_catalogue()
    rules = Rules(threshold=3, min_base=20, suppress_on_denominator=True)
    prot = protect_counts(ds.counts, ds.keys, rules)
    table = reporttables.protect_indicators(compute(cat, ds.population, ds.counts, ds.keys), cat, prot, rules)
    return ds, cat, rules, prot, table


def test_suppressed_numerators_are_not_published(ctx):
    ds, cat, rules, prot, table = ctx
    jugend = table[(table["indicator"] == "jugend_alo") & (table["level"] == "sozialraum")]
    merged = jugend.merge(
        prot[(prot["measure"] == "unemployed_u25") & (prot["level"] == "sozialraum")],
        on=["unit_id", "year"],
    )
    hidden = merged["status_y"] != "shown"
    assert hidden.any(), "the small demo city should have suppressed youth-unemployment counts"
    assert merged.loc[hidden, "pub_value"].isna().all()
    assert (merged.loc[hidden, "cmp_city"] == "nicht verglichen").all()
    # visible ones keep their exact value
    shown = merged["status_x"] == "shown"
    np.testing.assert_allclose(merged.loc[shown, "pub_value"], merged.loc[shown, "value_x"])


def test_published_view_cites_only_published_benchmarks(ctx):
    *_, table = ctx
    view = views.published_view(table)
    city = table[(table["level"] == "stadt")].set_index(["indicator", "year"])["pub_value"]
    rows = view[view["level"] == "sozialraum"]
    expected = pd.MultiIndex.from_arrays([rows["indicator"], rows["year"]]).map(city.to_dict().get)
    np.testing.assert_allclose(
        rows["city_value"].to_numpy(float), np.asarray(expected, float), equal_nan=True
    )


def test_indicator_table_html_is_machine_readable_and_clean(ctx, tmp_path):
    ds, cat, rules, prot, table = ctx
    year = max(ds.years)
    ind = cat["sgb2_quote"]
    html = views.indicator_table(table, ind, year, ds.keys)
    soup = BeautifulSoup(html, "html.parser")
    cells = soup.select("td[data-kind='share']")
    assert len(cells) == 12 + 1
    rows = table[(table.indicator == "sgb2_quote") & (table.year == year) & (table.level == "sozialraum")]
    first = rows.sort_values("unit_id").iloc[0]
    assert float(cells[0]["data-value"]) == pytest.approx(first["pub_value"], abs=0.05)
    (tmp_path / "t.html").write_text(html, encoding="utf-8")
    assert audit_path(tmp_path) == []


def test_age_group_table_passes_audit(ctx, tmp_path):
    ds, cat, rules, *_ = ctx
    html = population.age_group_table(ds, max(ds.years), Rules(threshold=3))
    (tmp_path / "a.html").write_text(html, encoding="utf-8")
    assert audit_path(tmp_path) == []
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.select("tbody tr")) == 12 + 1


def test_chapter_indicator_list_from_config(ctx):
    _, cat, *_ = ctx
    ids = [i.id for i in views.chapter_indicators(cat, "soziale_lage")]
    assert ids[:6] == [
        "sgb2_quote",
        "kinderarmut",
        "altersarmut",
        "alo_quote",
        "jugend_alo",
        "alleinerziehende",
    ]


def test_indicator_workbook_is_published_safely(ctx, tmp_path):
    from openpyxl import load_workbook

    ds, cat, rules, prot, table = ctx
    year = max(ds.years)
    # the 12-area demo withholds no indicator in its last year: withhold one cell as protect_indicators would
    table = table.copy()
    plant = (table.year == year) & (table.unit_id == "0101") & (table.indicator == "sgb2_quote")
    table.loc[plant, "status"] = "numerator"
    for col in [c for c in table.columns if c.startswith("pub_")] + ["published_value"]:
        table.loc[plant, col] = np.nan
    path = tmp_path / "tabellen" / "indikatoren.xlsx"
    reporttables.indicator_workbook(table, cat, ds.keys, year, path, counts=prot)
    assert audit_path(tmp_path) == []  # the audit reads the long layout (and its chunked metadata)
    wb = load_workbook(path)
    ws = wb["Indikatoren"]
    assert ws.freeze_panes == "B4" and ws.auto_filter.ref.startswith("A3:")
    sheet = pd.read_excel(path, sheet_name="Indikatoren", header=2, index_col=0)
    sheet = sheet[sheet["Indikator-ID"].notna()]  # footnotes under the table
    # every indicator, every year and every level
    assert set(sheet["Jahr"].astype(int)) == set(ds.years)
    assert set(sheet["Ebene"]) == {"Sozialraum", "Stadtbezirk", "Stadt"}
    assert set(sheet["Indikator-ID"]) == set(table["indicator"])
    flags = [c for c in sheet.columns if str(c).endswith(" (Zeichen)")]
    numbers = [c.removesuffix(" (Zeichen)") for c in flags]
    assert {"Wert", "Untergrenze 95 %", "Obergrenze 95 %", "Zähler", "Nenner", "Differenz zur Stadt"} <= set(
        numbers
    )
    for c in [*numbers, "Jahr"]:  # numbers stay numbers: no sign or text in a number column
        assert pd.api.types.is_numeric_dtype(sheet[c]), c
    headers = {cell.column: cell.value for cell in ws[3]}
    for row in ws.iter_rows(min_row=4, max_row=3 + len(sheet)):
        for cell in row:
            if headers.get(cell.column) in numbers and cell.value is not None:
                assert isinstance(cell.value, int | float), (headers[cell.column], cell.value)
    # the withheld cell: empty value, "." in its flag column, and no interval or difference for it
    key = f"sgb2_quote|sozialraum|0101|{year}"
    assert pd.isna(sheet.at[key, "Wert"]) and sheet.at[key, "Wert (Zeichen)"] == "."
    for c in ("Untergrenze 95 %", "Obergrenze 95 %", "Differenz zur Stadt"):
        assert pd.isna(sheet.at[key, c]) and sheet.at[key, f"{c} (Zeichen)"] == "."
    # numerators are the published counts of the protected cube, suppressed ones empty and flagged
    num = prot[(prot.measure == "sgb2_rlb") & (prot.level == "sozialraum")].set_index(["unit_id", "year"])
    sel = sheet[(sheet["Indikator-ID"] == "sgb2_quote") & (sheet["Ebene"] == "Sozialraum")]
    for k, r in sel.iterrows():
        cube = num.loc[(k.split("|")[2], int(r["Jahr"]))]
        if cube["status"] == "shown":
            assert r["Zähler"] == cube["published_value"]
        else:
            assert pd.isna(r["Zähler"]) and r["Zähler (Zeichen)"] == ".", k
    assert not ((sheet["Zähler"] > 0) & (sheet["Zähler"] < rules.threshold)).any()
    defs = pd.read_excel(path, sheet_name="Definitionen", header=2, index_col=0)
    assert {"Indikator", "Einheit", "Zähler", "Nenner", "Quelle", "Methode (Konfidenzintervall)"} <= set(
        defs.columns
    )
    assert "sgb2_rlb" not in " ".join(defs["Zähler"].astype(str))  # German names, not internal ones


def test_audit_still_reads_the_new_workbook_layout(ctx, tmp_path):
    ds, cat, rules, prot, table = ctx
    year = max(ds.years)
    leak = prot.copy()
    hit = (
        (leak.measure == "sgb2_rlb")
        & (leak.level == "sozialraum")
        & (leak.unit_id == "0101")
        & (leak.year == year)
    )
    leak.loc[hit, ["published_value", "value"]] = 2.0  # a planted count of 2 in the numerator column
    leak.loc[hit, "status"] = "shown"
    reporttables.indicator_workbook(table, cat, ds.keys, year, tmp_path / "indikatoren.xlsx", counts=leak)
    findings = audit_path(tmp_path)
    assert any("0101" in str(f) and "Zähler" in str(f) for f in findings), findings


def test_value_on_too_small_base_is_unsure_not_secret(ctx, tmp_path):
    # a rate on fewer than min_base (20) in the denominator is "/" (not sure enough) with its interval, never
    # "." (secret): its counts may be published elsewhere, and "." would claim a protection that does not exist
    ds, cat, _, prot, _ = ctx
    rules = Rules(threshold=3, min_base=300, suppress_on_denominator=True)  # the small city's bases are large
    table = reporttables.protect_indicators(compute(cat, ds.population, ds.counts, ds.keys), cat, prot, rules)
    low = table[(table["status"] == "min_base") & (table["level"] == "sozialraum")]
    assert len(low), "with min_base 300 the small demo city should have rates on too small a base"
    row = low.iloc[0]
    ind = cat[row["indicator"]]
    html = views.indicator_table(table, ind, int(row["year"]), ds.keys)
    soup = BeautifulSoup(html, "html.parser")
    unit = str(row["unit_id"])
    tr = next(r for r in soup.select("tbody tr") if r.find("th") and r.find("th").get_text().startswith(unit))
    tds = [td.get_text(strip=True) for td in tr.find_all("td")]
    assert tds[0] == "/" and tds[1] == "/"
    assert "wb-suppressed" not in " ".join(tr.find_all("td")[0].get("class", []))
    assert "/" in soup.select_one(".wb-legend").get_text()
    (tmp_path / "t.html").write_text(html, encoding="utf-8")
    assert audit_path(tmp_path) == []
    # the Excel appendix: empty value with "/" in its flag column, and so its interval
    path = tmp_path / "indikatoren.xlsx"
    reporttables.indicator_workbook(table, cat, ds.keys, int(row["year"]), path, counts=prot)
    sheet = pd.read_excel(path, sheet_name="Indikatoren", header=2, index_col=0)
    key = f"{row['indicator']}|sozialraum|{unit}|{int(row['year'])}"
    assert pd.isna(sheet.at[key, "Wert"]) and sheet.at[key, "Wert (Zeichen)"] == "/"
    assert sheet.at[key, "Untergrenze 95 %" + " (Zeichen)"] == "/"
    assert audit_path(tmp_path) == []
