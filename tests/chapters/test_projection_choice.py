"""The projection of the chapters follows the data: method choice, bands from the back-test, audit-clean tables.

12-area demo city (components: cohort-component), the same city without movements (stocks at six dates:
Hamilton–Perry), one date only (no projection, German note), Vienna's 23 districts in 5-year bands (real data,
skipped without ../shared).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.chapters import demography_projection as dp
from workbench.chapters.notes import Note
from workbench.confidentiality import Rules
from workbench.confidentiality.audit import audit_path
from workbench.io.dataset import Dataset
from workbench.projection import evaluation as ev_mod
from workbench.projection import runs
from workbench.projection._stock_sources import read_vienna_stocks

RULES = Rules(threshold=3, min_base=20, suppress_on_denominator=True)
SHARED = Path(
    os.environ.get("WORKBENCH_SHARED_DATA", Path(__file__).resolve().parents[2] / ".." / "shared" / "data")
)
VIENNA = SHARED / "wien-bevoelkerung-2002-2025"


@pytest.fixture(scope="module")
def ds(small_processed) -> Dataset:
    return Dataset(small_processed)


def _audit(tmp_path, html: str) -> list:
    f = tmp_path / "t.html"
    f.write_text(f"<html><body>{html}</body></html>", encoding="utf-8")
    return audit_path(f)


def _bands(pop: pd.DataFrame) -> pd.DataFrame:
    """Single years → 5-year age groups 0–4 … 75–79 and 80+ (like a city's open data), persons."""
    p = pop[pop["age"] >= 0]
    lo = np.minimum(p["age"] // 5 * 5, 80)
    g = p.assign(age_from=lo, age_to=np.where(lo == 80, 100, lo + 4))
    out = g.groupby(["area_id", "year", "age_from", "age_to"], as_index=False)["count"].sum()
    return out.assign(sex="insgesamt")


def _cfg(horizon: int = 10):
    return runs.load_projection_config({"horizon": horizon})


# ----------------------------------------------------------------------------------------- method choice


def test_components_give_cohort_component(ds):
    c = ev_mod.choose_method(ds.population, ds.events, None, 2024)
    assert c.method == "cohort-component"
    assert "Kohorten-Komponenten-Methode" in c.reason
    assert len(c.event_years) >= ev_mod.MIN_EVENT_YEARS


def test_stocks_at_several_dates_give_hamilton_perry(ds):
    groups = _bands(ds.population)
    c = ev_mod.choose_method(None, None, groups, 2024)
    assert c.method == "hamilton-perry"
    assert c.stock_years == (2019, 2020, 2021, 2022, 2023, 2024)
    assert "Bewegungsdaten" in c.reason and "Hamilton–Perry" in c.reason
    # movements of one year only are not enough for the cohort-component model
    one = ds.events[ds.events["year"] == 2024]
    assert ev_mod.choose_method(ds.population, one, None, 2024).method == "hamilton-perry"


def test_one_date_gives_no_projection_with_german_note(ds):
    groups = _bands(ds.population)
    c = ev_mod.choose_method(None, None, groups[groups["year"] == 2024], 2024)
    assert c.method == "none"
    assert "nur zu einem Stichtag (2024)" in c.reason
    assert "mindestens zwei Stichtagen" in c.reason
    # incomplete age groups (a gap) are no stock by age
    gap = groups[(groups["age_from"] != 5)]
    assert ev_mod.choose_method(None, None, gap, 2024).method == "none"
    ev = ev_mod.evaluate(c, None, None, groups, 2024)
    assert ev.empty
    text = dp.evaluation_text(ev, c)
    assert isinstance(text, Note) and "keine Rückrechnung möglich" in text
    table = dp.demand_table_html(None, ev, ds.keys, RULES, c)
    assert isinstance(table, Note) and "Stichtag" in table


# ----------------------------------------------------------------------------------------- bands


@pytest.fixture(scope="module")
def cc(ds):
    c = ev_mod.choose_method(ds.population, ds.events, None, 2024)
    return (
        c,
        runs.run_projection(ds.population, ds.events, 2024, _cfg()),
        ev_mod.evaluate(c, ds.population, ds.events, None, 2024, min_past=5),
    )


@pytest.fixture(scope="module")
def hp(ds):
    groups = _bands(ds.population)
    c = ev_mod.choose_method(None, None, groups, 2024)
    run = runs.run_stock_projection(None, groups, list(c.stock_years), 2024, _cfg())
    return c, run, ev_mod.evaluate(c, None, None, groups, 2024, min_past=5)


def test_bands_are_quantiles_of_past_errors(cc):
    _c, _run, ev = cc
    rec = ev.records
    sel = rec[(rec["method"] == ev.method) & (rec["quantity"] == "Insgesamt") & (rec["horizon"] == 1)]
    size = float(sel["base"].iloc[0])
    cls = sel["size_class"].iloc[0]
    same = sel[sel["size_class"] == cls]
    q, how = ev.band("Insgesamt", 1, size)
    assert how == ("" if len(same) >= ev.min_past else "alle")
    expected = np.quantile(same["ape"] if how == "" else sel["ape"], ev.coverage)
    assert q == pytest.approx(expected)
    lo, hi, _ = ev.interval("Insgesamt", 1, size, 1000.0)
    assert lo == pytest.approx(1000 / (1 + q / 100)) and hi == pytest.approx(1000 / (1 - q / 100))
    # beyond the longest back-tested horizon the band grows linearly and is marked
    h = ev.max_horizon
    q_h, _ = ev.band("Insgesamt", h, size)
    q_far, how_far = ev.band("Insgesamt", 2 * h, size)
    assert how_far == "extrapoliert" and q_far == pytest.approx(2 * q_h)


def test_coverage_is_measured_with_bands_known_at_the_base_year(cc):
    _c, _run, ev = cc
    rec = ev.records[(ev.records["method"] == ev.method) & ev.records["band"].notna()]
    assert len(rec)
    row = rec.iloc[0]
    past = ev.records[
        (ev.records["method"] == ev.method)
        & (ev.records["quantity"] == row["quantity"])
        & (ev.records["horizon"] == row["horizon"])
        & (ev.records["size_class"] == row["size_class"])
        & (ev.records["base_year"] + ev.records["horizon"] <= row["base_year"])
    ]
    assert row["band"] == pytest.approx(np.quantile(past["ape"], ev.coverage))


def test_baselines_are_compared_in_text_and_table(cc, tmp_path):
    c, _run, ev = cc
    text = dp.evaluation_text(ev, c)
    h = dp._headline_horizon(ev)
    own = ev.row(ev.method, h)
    assert f"nach {h} Jahren im Mittel um" in text
    assert dp.fmt.percent(own["mape"]) in text
    assert "einfache Fortschreibung" in text
    html = dp.evaluation_table_html(ev, c)
    assert "MAPE Einwohnerzahl konstant" in html and "MAPE Wachstum wie zuletzt fortgeschrieben" in html
    assert _audit(tmp_path, html) == []


@pytest.mark.parametrize("which", ["cc", "hp"])
def test_published_projection_tables_pass_the_audit(which, request, ds, tmp_path):
    c, run, ev = request.getfixturevalue(which)
    assert run.method == c.method
    band = dp.band_table_html(run, ev, ds.keys, RULES)
    demand = dp.demand_table_html(run, ev, ds.keys, RULES, c)
    table = dp.projection_table_html(run, ds.keys, RULES)
    for html in (band, demand, table):
        assert _audit(tmp_path, html) == []
    assert "Schwankungsbreite 2029" in band and "Schwankungsbreite 2034" in band
    assert " bis " in band
    assert c.method == "cohort-component" or "Hamilton–Perry-Verfahren" in table
    # projected values are rounded model values (text), never counts
    assert 'data-kind="count"' not in band and 'data-kind="count"' not in demand


def test_small_groups_are_withheld_in_the_demand_table(hp, ds):
    c, run, ev = hp
    res = run.results["status_quo"]
    base = ev_mod.quantities(res[res["year"] == 2024])
    small = base["0–2"] < RULES.min_base
    rules = Rules(threshold=3, min_base=int(base["0–2"].median()) + 1, suppress_on_denominator=True)
    html = dp.demand_table_html(run, ev, ds.keys, rules, c)
    n_small = int((base["0–2"] < rules.min_base).sum())
    assert n_small > int(small.sum())
    # both horizons of the group are withheld in exactly the small areas; other groups are not affected
    withheld = int((base[list(ev_mod.DEMAND_GROUPS)] < rules.min_base).sum().sum())
    assert withheld >= n_small
    assert html.count('<td data-kind="text" data-wb-sign="geheim">.</td>') == 2 * withheld
    shown = dp.demand_table_html(run, ev, ds.keys, RULES, c)
    assert shown.count('<td data-kind="text" data-wb-sign="geheim">.</td>') == 2 * int(
        (base[list(ev_mod.DEMAND_GROUPS)] < 20).sum().sum()
    )


@pytest.mark.skipif(not VIENNA.exists(), reason="../shared/data/wien-bevoelkerung-2002-2025 fehlt")
def test_vienna_hamilton_perry_beats_constant_at_five_years():
    stocks = read_vienna_stocks(VIENNA)
    rows = []
    for y, frame in stocks.items():
        persons = frame.T.groupby(level=1).sum().T
        for band in persons.columns:
            lo = int(band.split("-")[0].rstrip("+"))
            hi = 100 if band.endswith("+") else int(band.split("-")[1]) - 1
            rows.append(
                pd.DataFrame(
                    {
                        "area_id": persons.index,
                        "year": y,
                        "age_from": lo,
                        "age_to": hi,
                        "count": persons[band].to_numpy(),
                    }
                )  # fmt: skip
            )
    groups = pd.concat(rows, ignore_index=True).assign(sex="insgesamt")
    c = ev_mod.choose_method(None, None, groups, 2025)
    assert c.method == "hamilton-perry" and len(c.stock_years) == 24
    ev = ev_mod.evaluate(c, None, None, groups, 2025, horizons=[5])
    own, const = ev.row("hamilton-perry", 5), ev.row("constant", 5)
    print(f"Wien, 5 Jahre: Hamilton–Perry MAPE {own['mape']:.2f} %, konstant {const['mape']:.2f} %, "
          f"Trend {ev.row('trend', 5)['mape']:.2f} %, im Band {own['within_band']:.0f} %")  # fmt: skip
    assert own["mape"] < const["mape"]
    assert 50 <= own["within_band"] <= 100
