"""Demografie chapter functions on the 12-area demo city: balances, projection runs, control total, back-test."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench.chapters import demography as dm
from workbench.chapters import demography_projection as dp
from workbench.chapters.demography_projection import _change_classes
from workbench.confidentiality import CITY_ID, Rules, protect_counts
from workbench.confidentiality.audit import audit_path
from workbench.errors import ConfigError, DataValidationError
from workbench.io.dataset import Dataset
from workbench.projection import runs
from workbench.render import fmt
from workbench.render.plots import load_colours

RULES = Rules(threshold=3, min_base=20, suppress_on_denominator=True)


@pytest.fixture(scope="module")
def ds(small_processed) -> Dataset:
    return Dataset(small_processed)


@pytest.fixture(scope="module")
def pc(ds) -> pd.DataFrame:
    return protect_counts(ds.counts, ds.keys, RULES)


def _cfg(**kw):
    data = {
        "horizon": 5,
        "scenarios": [
            {"name": "neubau", "label_de": "Neubau", "extra_in_migrants": {"0102": 200, "0203": 200}},
            {"name": "niedrig", "label_de": "Niedrige Zuwanderung", "in_migration_factor": 0.8},
            {"name": "geburten", "label_de": "Mehr Geburten", "fertility_factor": 1.3},
        ],
    }
    data.update(kw)
    return runs.load_projection_config(data)


@pytest.fixture(scope="module")
def run(ds):
    return runs.run_projection(ds.population, ds.events, 2024, _cfg())


def _audit(tmp_path, html: str):
    f = tmp_path / "t.html"
    f.write_text(f"<html><body>{html}</body></html>", encoding="utf-8")
    return audit_path(f)


# ------------------------------------------------------------------------------------------- balances


def test_balances_add_up_and_match_events(ds, pc):
    b = dm.balances(pc, "sozialraum", 2024).set_index("unit_id")
    assert len(b) == 12
    ok = ~b["total_suppressed"]
    assert ok.all()  # demo areas have thousands of inhabitants: nothing suppressed
    assert (b["natural"] == b["births"] - b["deaths"]).all()
    assert (b["external"] == b["in_ext"] - b["out_ext"]).all()
    assert (b["total"] == b["natural"] + b["external"] + b["internal"]).all()
    # hand check against the raw event table for one area
    ev = ds.events[(ds.events["area_id"] == "0103") & (ds.events["year"] == 2024)]
    assert b.at["0103", "births"] == ev["births"].sum()
    assert b.at["0103", "out_int"] == ev["out_int"].sum()
    city = dm.balances(pc, "stadt", 2024).iloc[0]
    for m in dm.EVENT_MEASURES:  # city = sum of the areas
        assert city[m] == b[m].sum()
    assert city["internal"] == 0  # moves between areas cancel out in the city
    assert city["total"] == b["total"].sum()


def test_suppressed_counts_suppress_their_balances(ds, pc, tmp_path):
    cube = pc.copy()
    hit = (cube["level"] == "sozialraum") & (cube["unit_id"] == "0102") & (cube["year"] == 2024)
    for m in ("births", "out_int"):
        sel = hit & (cube["measure"] == m)
        cube.loc[sel, "status"] = "primary"
        cube.loc[sel, "published_value"] = np.nan
    b = dm.balances(cube, "sozialraum", 2024).set_index("unit_id")
    row = b.loc["0102"]
    assert row["natural_suppressed"] and math.isnan(row["natural"])
    assert row["internal_suppressed"] and math.isnan(row["internal"])
    assert row["total_suppressed"] and math.isnan(row["total"])
    assert not row["external_suppressed"] and row["external"] == row["in_ext"] - row["out_ext"]
    assert not b.drop(index="0102")["total_suppressed"].any()
    html = dm.balance_table_html(cube, ds.keys, 2024)
    tr = html.split('data-wb-row="0102 ')[1].split("</tr>")[0]
    assert tr.count('data-kind="suppressed"') == 5  # births, out_int and three balances
    assert fmt.SUPPRESSED_SIGN in html
    text = dm.balance_text(cube, 2024, "Kleinstadt")
    assert "von 12 Sozialräumen überwogen" in text
    assert "Für 1 Sozialraum ist der Saldo wegen gesperrter Fallzahlen nicht ausgewiesen." in text


def test_balances_that_follow_from_published_residents_are_published(ds, pc, tmp_path):
    # births and out_int of 0102 withheld: the total balance is still the change of the published residents
    # (an attack recovered such "." balances), so it is published; natural and internal (two unknowns) not
    cube = pc.copy()
    hit = (cube["level"] == "sozialraum") & (cube["unit_id"] == "0102") & (cube["year"] == 2024)
    for m in ("births", "out_int"):
        sel = hit & (cube["measure"] == m)
        cube.loc[sel, "status"] = "primary"
        cube.loc[sel, "published_value"] = np.nan
    tot = ds.population.groupby(["area_id", "year"], as_index=False)["count"].sum()
    stocks = pd.concat(
        [
            tot.assign(level="sozialraum", unit_id=tot["area_id"].astype(str)),
            tot.groupby("year", as_index=False)["count"].sum().assign(level="stadt", unit_id=CITY_ID),
        ]
    ).rename(columns={"count": "published_value"})
    row = dm.balances(cube, "sozialraum", 2024, stocks).set_index("unit_id").loc["0102"]
    pop = tot.set_index(["area_id", "year"])["count"]
    assert not row["total_suppressed"] and row["total"] == pop[("0102", 2024)] - pop[("0102", 2023)]
    assert row["natural_suppressed"] and row["internal_suppressed"] and math.isnan(row["natural"])
    # with the internal moves published too, the natural balance follows: total − external − internal
    cube2 = cube.copy()
    sel = hit & (cube2["measure"] == "out_int")
    cube2.loc[sel, "status"] = "shown"
    cube2.loc[sel, "published_value"] = cube2.loc[sel, "value"]
    row2 = dm.balances(cube2, "sozialraum", 2024, stocks).set_index("unit_id").loc["0102"]
    assert not row2["natural_suppressed"]
    assert row2["natural"] == row2["total"] - row2["external"] - row2["internal"]
    true = pc[hit].set_index("measure")["value"]
    assert row2["natural"] == true["births"] - true["deaths"]  # the balance equation of the demo holds
    # the protected cube of the demo: balances derived from the residents leave every withheld flow protected
    html = dm.balance_table_html(pc, ds.keys, 2024, stocks)
    assert _audit(tmp_path, html) == []


def test_balance_table_is_audit_clean_with_keys(ds, pc, tmp_path):
    html = dm.balance_table_html(pc, ds.keys, 2024)
    assert 'data-wb-key="births|sozialraum|0101|2024"' in html
    assert 'data-wb-key="deaths|stadt|stadt|2024"' in html
    assert _audit(tmp_path, html) == []
    # a visible count 1 or 2 would be flagged: counts in this table are the protected published values
    assert 'data-kind="count" data-value="1"' not in html


def test_balances_without_events_raise(pc):
    with pytest.raises(DataValidationError, match="Bewegungsdaten"):
        dm.balances(pc, "sozialraum", 1990)
    with pytest.raises(DataValidationError, match="fehlen"):
        dm.balances(pc.drop(columns="status"))


def test_city_series_and_text(pc):
    s = dm.city_series(pc)
    assert sorted(s["year"].unique()) == list(range(2019, 2025))
    c = dm.balances(pc, "stadt", 2024).iloc[0]
    text = dm.balance_text(pc, 2024, "Kleinstadt")
    assert f"{fmt.number(c['births'])} Kinder geboren" in text
    assert fmt.signed(c["total"], 0) in text
    fig = dm.city_series_chart(pc, "Kleinstadt")
    assert isinstance(fig, Figure) and len(fig.axes) == 2


# ------------------------------------------------------------------------------------------- projection


def test_repo_config_loads():
    cfg = runs.load_projection_config()
    assert cfg.horizon == 15 and cfg.max_base_years == 3 and cfg.rounding == 10
    names = [s.name for s in cfg.scenarios]
    assert names[0] == "status_quo" and "neubau" in names and "niedrige_zuwanderung" in names
    assert len(cfg.scenarios[names.index("neubau")].extra_in_migrants) == 3


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"horizon": 0}, "horizon"),
        ({"horizont": 15}, "unbekannte Schlüssel"),
        ({"control_total": {2030: -5}}, "positive"),
        ({"control_total": [1, 2]}, "control_total"),
        ({"scenarios": [{"name": "x", "fertility_factor": "hoch"}]}, "fertility_factor"),
    ],
)
def test_bad_config_raises_config_error(data, match):
    with pytest.raises(ConfigError, match=match):
        runs.load_projection_config(data)


def test_base_years_as_many_as_data_allow(ds, run):
    assert runs.available_base_years(ds.population, ds.events, 2024, 3) == [2022, 2023, 2024]
    assert runs.available_base_years(ds.population, ds.events, 2021, 3) == [
        2020,
        2021,
    ]  # 2019 has no 2018 stock
    assert run.base_years == [2022, 2023, 2024]
    with pytest.raises(DataValidationError):
        runs.available_base_years(ds.population, ds.events, 2019, 3)


def test_scenarios_move_in_expected_direction(ds, run):
    tot = runs.city_totals(run).pivot(index="year", columns="scenario", values="count")
    assert list(tot.index) == list(range(2024, 2030))
    base = float(ds.population.loc[ds.population["year"] == 2024, "count"].sum())
    assert tot.loc[2024].to_numpy() == pytest.approx(base)
    assert (tot.loc[2025:, "niedrig"] < tot.loc[2025:, "status_quo"]).all()
    assert (tot.loc[2025:, "neubau"] > tot.loc[2025:, "status_quo"]).all()
    # the extra in-migrants land in the two named areas
    end = {n: r[r["year"] == 2029].groupby("area_id")["count"].sum() for n, r in run.results.items()}
    gain = end["neubau"] - end["status_quo"]
    assert gain["0102"] > 500 and gain["0203"] > 500
    assert gain.drop(["0102", "0203"]).abs().max() < 0.2 * gain["0102"]
    g = {n: runs.group_changes(run, n) for n in ("status_quo", "geburten")}
    young = {n: d.loc[d["group"] == "0–5", "projected"].sum() for n, d in g.items()}
    assert young["geburten"] > young["status_quo"] * 1.1
    old = {n: d.loc[d["group"] == "65+", "projected"].sum() for n, d in g.items()}
    assert old["geburten"] == pytest.approx(old["status_quo"])


def test_control_total_is_respected(ds):
    base = float(ds.population.loc[ds.population["year"] == 2024, "count"].sum())
    target = round(base * 1.05)
    run = runs.run_projection(ds.population, ds.events, 2024, _cfg(control_total={2028: target}))
    tot = runs.city_totals(run).pivot(index="year", columns="scenario", values="count")
    assert tot.at[2028, "status_quo"] == pytest.approx(target)
    # linear interpolation from the observed base-year total: 2026 is half-way
    assert tot.at[2026, "status_quo"] == pytest.approx(base + (target - base) / 2)
    assert run.control[2026] == pytest.approx(base + (target - base) / 2)
    assert 2029 not in run.control  # after the last given year: not controlled
    assert tot.at[2028, "niedrig"] != pytest.approx(target)  # scenarios are not scaled
    # interpolation by hand, years outside the horizon ignored
    assert runs.interpolate_control({2026: 120.0, 2050: 1.0}, 2024, 100.0, 5) == {2025: 110.0, 2026: 120.0}
    assert runs.interpolate_control(None, 2024, 100.0, 5) == {}


def test_round_to_half_up():
    assert dp.round_to([1234.5, 1235.0, 4.9, 5.0, 15.0, 25.0], 10).tolist() == [1230, 1240, 0, 10, 20, 30]


def test_projection_table_marks_model_values_as_text(ds, run, tmp_path):
    html = dp.projection_table_html(run, ds.keys, RULES)
    assert _audit(tmp_path, html) == []
    assert 'data-wb-kind="text"' in html and "Prognose 2029" in html
    g = runs.group_changes(run).set_index(["area_id", "group"])
    expect = (g.at[("0101", "Insgesamt"), "projected"] / g.at[("0101", "Insgesamt"), "base"] - 1) * 100
    row = html.split('data-wb-row="0101 ')[1].split("</tr>")[0]
    assert f'data-value="{round(expect, 1)!r}"' in row or f'data-value="{round(expect, 1):g}"' in row
    proj = fmt.number(dp.round_to(g.at[("0101", "Insgesamt"), "projected"], 10))
    assert f">{proj}<" in row
    strict = dp.projection_table_html(run, ds.keys, Rules(min_base=1e9))
    assert strict.count('data-kind="rate"') == 0  # every change withheld when bases are "too small"


def test_backtest_figures_reported(ds, tmp_path):
    bt = runs.run_backtest(ds.population, ds.events, 2024, _cfg())
    assert (bt.base_year, bt.target_year) == (2021, 2024)
    assert bt.city["base_years"] == [2020, 2021]
    assert bt.city["mape"] == pytest.approx(bt.per_area["ape"].mean())
    obs = ds.population[ds.population["year"] == 2024].groupby("area_id")["count"].sum()
    assert bt.per_area.set_index("area_id")["observed"].to_numpy() == pytest.approx(obs.to_numpy())
    assert 0 < bt.city["mape"] < 10
    text = dp.backtest_text(bt)
    assert f"über 12 Sozialräume beträgt {fmt.percent(bt.city['mape'])}" in text
    assert "MAPE" in text
    html = dp.backtest_table_html(bt, ds.keys)
    assert _audit(tmp_path, html) == []
    assert 'data-wb-key="population|sozialraum|0101|2024"' in html


def test_texts_and_figures(ds, run):
    text = dp.projection_text(run, "Kleinstadt", RULES)
    assert "31.12.2029" in text and "Neubau" in text and "Niedrige Zuwanderung" in text
    assert "Neubau" in dp.scenario_list_text(run)
    for group in dp.MAP_GROUPS:
        fig = dp.change_map(run, ds.areas, group, RULES, ds.districts)
        assert isinstance(fig, Figure)
    hatched = dp.change_map(run, ds.areas, "80+", Rules(min_base=1e9))
    assert (hatched.area_colours == load_colours()["suppressed"]["colour"]).all()
    assert isinstance(dp.city_pyramid(run, "Kleinstadt"), Figure)
    assert isinstance(dp.scenario_chart(run, "Kleinstadt"), Figure)
    bt = runs.run_backtest(ds.population, ds.events, 2024, _cfg())
    assert isinstance(dp.backtest_map(bt, ds.areas), Figure)
    with pytest.raises(ConfigError):
        dp.change_map(run, ds.areas, "7–9", RULES)


def test_change_classes_keep_their_colours():
    bins, colours = _change_classes(np.array([-3.0, 0.0, 40.0]))
    anchors = load_colours()["sequential"]["diverging_blue_red"]
    assert bins == [-2.0, 2.0, 10.0, 40.0] and colours == anchors[1:]


def test_age_indicator_map(ds, pc):
    from workbench.chapters.tables import protect_indicators
    from workbench.indicators import compute, load_catalogue

    cat = load_catalogue()
    ind = protect_indicators(compute(cat, ds.population, ds.counts, ds.keys), cat, pc, RULES)
    for name in dm.AGE_INDICATORS:
        gdf = dm.age_indicator_frame(ind, ds.areas, name, 2024)
        assert gdf["value"].notna().all()
        assert isinstance(dm.age_indicator_map(ind, ds.areas, name, 2024, cat, ds.districts), Figure)
    hb = dm.age_indicator_frame(ind, ds.areas, "hochbetagte", 2024).set_index("area_id")
    pop = ds.population[ds.population["year"] == 2024]
    a = pop[pop["area_id"] == "0101"]
    assert hb.at["0101", "value"] == pytest.approx(
        100 * a.loc[a["age"] >= 80, "count"].sum() / a["count"].sum()
    )
