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
    ds, cat, rules, prot, table = ctx
    year = max(ds.years)
    # the 12-area demo withholds no indicator in its last year: withhold one cell as protect_indicators would
    table = table.copy()
    plant = (table.year == year) & (table.unit_id == "0101") & (table.indicator == "sgb2_quote")
    table.loc[plant, "status"] = "numerator"
    for col in [c for c in table.columns if c.startswith("pub_")] + ["published_value"]:
        table.loc[plant, col] = np.nan
    withheld = (table.level == "sozialraum") & ~table.status.isin(["shown", "missing"])
    path = tmp_path / "tabellen" / "indikatoren.xlsx"
    reporttables.indicator_workbook(table, cat, ds.keys, year, path)
    assert audit_path(tmp_path) == []
    sheet = pd.read_excel(path, sheet_name=f"Indikatoren {year}", header=2, index_col=0)
    hidden = table[withheld & (table.year == year)]
    flags = sheet[[c for c in sheet.columns if str(c).endswith(" (Zeichen)")]]
    values = sheet[[c.removesuffix(" (Zeichen)") for c in flags.columns]]
    assert int((flags == ".").sum().sum()) >= len(hidden) > 0  # official sign in the flag column
    area = [i for i in values.index if str(i).startswith("0101 ")]
    sgb2 = [c for c in values.columns if c == f"{cat['sgb2_quote'].label} ({cat['sgb2_quote'].unit})"]
    assert len(area) == 1 and len(sgb2) == 1 and pd.isna(values.at[area[0], sgb2[0]])  # empty value cell
    assert flags.at[area[0], f"{sgb2[0]} (Zeichen)"] == "."
    assert all(pd.api.types.is_numeric_dtype(values[c]) for c in values.columns)  # numbers stay numbers
    # the workbook publishes rates and shares only, no raw counts
    meta = pd.read_excel(path, sheet_name="_wb_meta", header=None)
    assert not meta.astype(str).apply(lambda c: c.str.contains('"count"')).any().any()
