"""Wohnen: household size by hand, Umzugsvolumen against the events, protection follows the count cube."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.chapters import housing
from workbench.chapters.tables import protect_indicators
from workbench.confidentiality import Rules, protect_counts
from workbench.confidentiality.audit import audit_path
from workbench.indicators import compute, load_catalogue
from workbench.io.dataset import Dataset

RULES = Rules(threshold=3, show_zero=True, min_base=20, suppress_on_denominator=True)


@pytest.fixture(scope="module")
def setup(small_processed):
    ds = Dataset(small_processed)
    pc = protect_counts(ds.counts, ds.keys, RULES)
    cat = load_catalogue()
    ind = protect_indicators(compute(cat, ds.population, ds.counts, ds.keys), cat, pc, RULES)
    return ds, pc, ind


def test_household_size_by_hand(setup):
    ds, pc, _ = setup
    year = ds.years[-1]
    f = housing.household_frame(ds, pc, year, RULES).set_index("unit_id")
    a = ds.area_keys["area_id"].iloc[2]
    pop = ds.population
    residents = pop[(pop["year"] == year) & (pop["area_id"] == a)]["count"].sum()
    c = ds.counts
    hh = c[(c["year"] == year) & (c["area_id"] == a) & (c["measure"] == "households")]["value"].iloc[0]
    hhc = c[(c["year"] == year) & (c["area_id"] == a) & (c["measure"] == "households_children")][
        "value"
    ].iloc[0]
    assert f.loc[a, "hh_size_pub"] == pytest.approx(residents / hh)
    assert f.loc[a, "children_share_pub"] == pytest.approx(100 * hhc / hh)
    assert f.loc["stadt", "population"] == pop[pop["year"] == year]["count"].sum()
    assert f.loc["stadt", "households"] == pytest.approx(f.drop(index="stadt")["households"].sum())
    assert 1.0 < f.loc["stadt", "hh_size"] < 4.0


def test_withheld_household_count_withholds_size(setup):
    ds, pc, _ = setup
    year = ds.years[-1]
    a = ds.area_keys["area_id"].iloc[0]
    pc = pc.copy()
    hit = (pc["measure"] == "households") & (pc["unit_id"] == a) & (pc["year"] == year)
    pc.loc[hit, ["status", "published_value"]] = ["secondary", np.nan]
    f = housing.household_frame(ds, pc, year, RULES).set_index("unit_id")
    assert (
        f.loc[a, "hh_hidden"]
        and np.isnan(f.loc[a, "hh_size_pub"])
        and np.isnan(f.loc[a, "children_share_pub"])
    )
    assert np.isfinite(f.loc[a, "hh_size"])  # internal value kept


def test_umzugsvolumen_catalogue_entry_by_hand(setup):
    ds, _, ind = setup
    year = ds.years[-1]
    a = ds.area_keys["area_id"].iloc[3]
    ev = ds.events[(ds.events["year"] == year) & (ds.events["area_id"] == a)]
    moves = ev[["in_ext", "in_int", "out_ext", "out_int"]].to_numpy().sum()
    pop = ds.population
    residents = pop[(pop["year"] == year) & (pop["area_id"] == a)]["count"].sum()
    row = ind[(ind["indicator"] == "umzugsvolumen") & (ind["unit_id"] == a) & (ind["year"] == year)].iloc[0]
    assert row["value"] == pytest.approx(1000 * moves / residents)
    assert row["lower95"] < row["value"] < row["upper95"]
    assert load_catalogue()["umzugsvolumen"].topic == "wohnen"


def test_table_map_and_text(setup, tmp_path):
    ds, pc, ind = setup
    year = ds.years[-1]
    f = housing.household_frame(ds, pc, year, RULES)
    html = housing.housing_table(f, ind, ds.keys, year)
    assert "households|sozialraum|" in html and "Personen je Haushalt" in html
    (tmp_path / "w.html").write_text(html, encoding="utf-8")
    assert audit_path(tmp_path) == []
    gdf = housing.housing_map_frame(ds.areas, f, ind, year)
    assert gdf["hh_size"].notna().all() and not gdf["wohndauer_suppressed"].any()
    fig = housing.household_size_map(gdf, year)
    assert fig.classification.k == 5
    text = housing.housing_summary(f, ind, ds.keys, year)
    assert "Personen je Haushalt" in text and "je 1.000" in text
