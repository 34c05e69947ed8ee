"""One rule for balances and their flows (docs/METHODEN.md, „Salden und Summen von Bewegungen“): a balance or a
sum of movement counts is published exactly when all its flows are, in the movements table and as indicator."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.chapters import demography as dm
from workbench.chapters.tables import protect_indicators
from workbench.confidentiality import Rules, protect_counts
from workbench.indicators import compute, load_catalogue
from workbench.io.dataset import Dataset

RULES = Rules(threshold=3, min_base=20, suppress_on_denominator=True)
YEAR = 2024


@pytest.fixture(scope="module")
def planted(small_processed):
    """The 12-area demo with planted flows in 2024: 0101 in 8 / out 9 (balance −1), 0201 in 2 / out 20."""
    ds = Dataset(small_processed)
    counts = ds.counts.copy()
    plant = {("0101", "in_ext"): 8, ("0101", "out_ext"): 9, ("0201", "in_ext"): 2, ("0201", "out_ext"): 20}
    for (area, measure), value in plant.items():
        row = (counts["area_id"] == area) & (counts["year"] == YEAR) & (counts["measure"] == measure)
        assert row.sum() == 1
        counts.loc[row, "value"] = float(value)
    cat = load_catalogue()
    pc = protect_counts(counts, ds.keys, RULES)
    table = protect_indicators(compute(cat, ds.population, counts, ds.keys), cat, pc, RULES)
    return ds, pc, table


def _status(table: pd.DataFrame, indicator: str, unit: str, level: str = "sozialraum") -> pd.Series:
    sel = table[(table["indicator"] == indicator) & (table["level"] == level) & (table["year"] == YEAR)]
    return sel.set_index("unit_id").loc[unit]


def test_small_balance_of_published_flows_is_published_everywhere(planted):
    ds, pc, table = planted
    row = _status(table, "wanderungssaldo_aussen", "0101")
    pop = ds.population
    residents = pop[(pop["area_id"] == "0101") & (pop["year"] == YEAR)]["count"].sum()
    # |8 − 9| = 1 < 3, but both flows are published: the balance is known anyway and is shown
    assert row["status"] == "shown"
    assert row["pub_value"] == pytest.approx(-1000 / residents)
    movements = dm.balances(pc, "sozialraum", YEAR).set_index("unit_id").loc["0101"]
    assert (movements["in_ext"], movements["out_ext"], movements["external"]) == (8, 9, -1)
    assert not movements["external_suppressed"]


def test_withheld_flow_withholds_every_balance_and_sum_it_enters(planted):
    _, pc, table = planted
    movements = dm.balances(pc, "sozialraum", YEAR).set_index("unit_id").loc["0201"]
    assert movements["in_ext_suppressed"] and pd.isna(movements["in_ext"])  # 2: primary
    assert movements["external_suppressed"] and movements["total_suppressed"]
    for indicator in ("wanderungssaldo_aussen", "wanderungssaldo", "umzugsvolumen"):
        row = _status(table, indicator, "0201")
        assert row["status"] == "numerator" and pd.isna(row["pub_value"]), indicator


def test_balance_indicators_follow_their_flows_in_every_unit(planted):
    """Shown ⇔ all flows shown, for every unit, level and year – the movements table and the indicators agree."""
    _, pc, table = planted
    flows = {
        "wanderungssaldo_aussen": ("in_ext", "out_ext"),
        "wanderungssaldo": ("in_ext", "in_int", "out_ext", "out_int"),
        "umzugsvolumen": ("in_ext", "in_int", "out_ext", "out_int"),
    }
    ok = pc.assign(ok=pc["status"].eq("shown")).set_index(["level", "unit_id", "year", "measure"])["ok"]
    checked = withheld = 0
    for indicator, measures in flows.items():
        sel = table[(table["indicator"] == indicator) & table["value"].notna()]
        for r in sel.itertuples(index=False):
            parts = all(ok[(r.level, r.unit_id, r.year, m)] for m in measures)
            assert (r.status == "shown") == parts, (indicator, r.level, r.unit_id, r.year)
            checked += 1
            withheld += not parts
    assert (
        checked == 3 * (12 + 2 + 1) * 6 and withheld >= 3
    )  # 3 indicators, areas + districts + city, 6 years
    movements = dm.balances(pc, None, None)
    ext = table[table["indicator"] == "wanderungssaldo_aussen"].set_index(["level", "unit_id", "year"])
    merged = movements.set_index(["level", "unit_id", "year"]).join(ext["status"], how="inner")
    assert len(merged) == (12 + 2 + 1) * 6
    assert (merged["external_suppressed"] == merged["status"].ne("shown")).all()


def test_movements_table_keys_balances_so_the_audit_relates_them_to_their_flows(planted, tmp_path):
    """The balances of the movements table carry count keys: a withheld balance whose flows are published
    elsewhere is found by the audit, and the protected table itself audits clean."""
    from bs4 import BeautifulSoup

    from workbench.confidentiality.audit import audit_path

    ds, pc, _ = planted
    html = dm.balance_table_html(pc, ds.keys, YEAR)
    soup = BeautifulSoup(html, "html.parser")
    keyed = {td["data-wb-key"]: td.get_text(strip=True) for td in soup.find_all(attrs={"data-wb-key": True})}
    assert keyed[f"external|sozialraum|0101|{YEAR}"] == "\u22121"
    assert keyed[f"external|sozialraum|0201|{YEAR}"] == "."
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "bewegungen.html").write_text(f"<html><body>{html}</body></html>", encoding="utf-8")
    assert audit_path(tmp_path / "ok") == []
    # plant: the balance of 0101 withheld here, its flows printed as they are
    td = soup.find(attrs={"data-wb-key": f"external|sozialraum|0101|{YEAR}"})
    td.string = "."
    for attr in ("data-value",):
        td.attrs.pop(attr, None)
    td["data-kind"] = "suppressed"
    (tmp_path / "leak").mkdir()
    (tmp_path / "leak" / "bewegungen.html").write_text(f"<html><body>{soup}</body></html>", encoding="utf-8")
    found = [(f.row, f.kind, f.value) for f in audit_path(tmp_path / "leak")]
    assert any(kind == "recoverable" and value == -1 and "0101" in row for row, kind, value in found), found
