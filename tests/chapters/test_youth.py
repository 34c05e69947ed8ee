"""Kinder, Jugend und Familie: Kita supply by hand, projection link, protection of small counts, quadrants."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from workbench import projection
from workbench.chapters import youth
from workbench.chapters.tables import protect_indicators
from workbench.confidentiality import Rules, protect_counts
from workbench.confidentiality.audit import audit_path
from workbench.errors import ConfigError
from workbench.indicators import compute, load_catalogue
from workbench.io.dataset import Dataset
from workbench.render import fmt
from workbench.settings import KitaSettings, kita_settings

RULES = Rules(threshold=3, show_zero=True, min_base=20, suppress_on_denominator=True)


@pytest.fixture(scope="module")
def ds(small_processed):
    return Dataset(small_processed)


@pytest.fixture(scope="module")
def supply(ds):
    return youth.kita_supply(ds, ds.years[-1], KitaSettings())


@pytest.fixture(scope="module")
def protected(ds):
    return protect_counts(ds.counts, ds.keys, RULES)


def test_settings_defaults_and_errors():
    s = kita_settings({})
    assert (s.target_u3, s.target_ue3, s.horizon, s.base_years) == (45.0, 95.0, 5, 3)
    s = kita_settings({"kita": {"target_u3": 50, "horizon": 3}})
    assert s.target("u3") == 50.0 and s.target("ue3") == 95.0 and s.horizon == 3
    for bad in ({"target_u3": "45 %"}, {"target_ue3": 0}, {"horizon": 2.5}, {"ziel": 1}):
        with pytest.raises(ConfigError):
            kita_settings({"kita": bad})
    with pytest.raises(ConfigError):
        kita_settings({"kita": [45, 95]})


def test_places_match_register_and_count_cube(ds):
    ids = ds.area_keys["area_id"].tolist()
    places = youth.facility_places(ds.facilities, ids).set_index("area_id")
    fac = ds.facilities
    a = ids[0]
    by_hand = fac[(fac["type"] == "Kita") & (fac["area_id"] == a)]["places_u3"].sum()
    assert places.loc[a, "places_u3"] == by_hand
    cube = ds.counts[(ds.counts["measure"] == "kita_places_ue3") & (ds.counts["year"] == ds.years[-1])]
    cube = cube.set_index("area_id")["value"].reindex(ids)
    assert np.allclose(places["places_ue3"].to_numpy(), cube.to_numpy())


def test_coverage_and_gap_by_hand(ds, supply):
    year = ds.years[-1]
    s = supply.set_index("area_id")
    a = ds.area_keys["area_id"].iloc[1]
    pop = ds.population
    kids = pop[(pop["year"] == year) & (pop["area_id"] == a) & (pop["age"] <= 2)]["count"].sum()
    fac = ds.facilities
    places = fac[(fac["type"] == "Kita") & (fac["area_id"] == a)]["places_u3"].sum()
    assert s.loc[a, "children_u3"] == kids
    assert s.loc[a, "coverage_u3"] == pytest.approx(100 * places / kids)
    assert s.loc[a, "needed_u3"] == math.ceil(0.45 * kids - 1e-9)
    assert s.loc[a, "gap_u3"] == max(0, math.ceil(0.45 * kids - 1e-9) - places)
    areas = s.drop(index="stadt")
    # the city row: sums of children, places and area gaps; coverage from the sums
    for col in ("children_u3", "places_u3", "gap_u3", "gap_ue3_future", "children_ue3_future"):
        assert s.loc["stadt", col] == pytest.approx(areas[col].sum())
    assert s.loc["stadt", "coverage_ue3"] == pytest.approx(
        100 * areas["places_ue3"].sum() / areas["children_ue3"].sum()
    )
    assert (areas["gap_u3"] >= 0).all()


def test_future_children_from_projection(ds, supply):
    year = ds.years[-1]
    rates = projection.estimate_rates(ds.population, ds.events, base_years=[year - 2, year - 1, year])
    out = projection.project(ds.population, rates, start_year=year, horizon=5)
    fut = out[(out["year"] == year + 5) & out["age"].between(3, 5)]
    s = supply.set_index("area_id")
    assert s.loc["stadt", "children_ue3_future"] == pytest.approx(fut["count"].sum())
    assert supply.attrs["target_year"] == year + 5


def _tiny_supply(children_u3: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = [f"01{i:02d}" for i in range(1, len(children_u3) + 1)]
    keys = pd.DataFrame(
        {
            "area_id": ids,
            "area_name": [f"Gebiet {i}" for i in ids],
            "district_id": "01",
            "district_name": "Mitte",
        }
    )
    rows = []
    for a, c in zip(ids, children_u3, strict=True):
        rows.append({"area_id": a, "children_u3": c, "places_u3": 10.0, "children_u3_future": c + 0.4})
    df = pd.DataFrame(rows)
    for suffix in ("", "_future"):
        df[f"needed_u3{suffix}"] = np.ceil(0.45 * df[f"children_u3{suffix}"] - 1e-9)
        df[f"gap_u3{suffix}"] = np.maximum(df[f"needed_u3{suffix}"] - df["places_u3"], 0)
    city = df.drop(columns="area_id").sum().to_frame().T.assign(area_id="stadt")
    df = pd.concat([df, city], ignore_index=True)
    for suffix in ("", "_future"):
        df[f"coverage_u3{suffix}"] = 100 * df["places_u3"] / df[f"children_u3{suffix}"]
    df.attrs.update(year=2024, target_year=2029)
    return df, keys


def test_small_children_count_is_protected_everywhere(tmp_path):
    supply, keys = _tiny_supply([2.0, 40.0, 60.0, 80.0])
    prot = youth.protect_kita(supply, "u3", keys, RULES)
    sup = prot.suppressed
    first, city = "0101 Gebiet 0101", youth.CITY_LABEL
    kids = "Kinder unter 3 Jahren 2024"
    assert sup.loc[first, kids]  # primary
    assert sup[kids].sum() >= 2  # secondary: the city total must not reveal it
    assert not sup.loc[city, kids]
    assert sup.loc[first, "Versorgungsquote 2024"] and sup.loc[first, "Fehlende Plätze 2024"]
    assert sup.loc[city, "Fehlende Plätze 2024"]  # a withheld area gap makes the city sum withheld
    assert prot.display.loc[first, kids] == fmt.SUPPRESSED_SIGN == "."
    html = youth.kita_table(prot, "u3", KitaSettings())
    (tmp_path / "kita.html").write_text(html, encoding="utf-8")
    assert audit_path(tmp_path) == []


def test_places_follow_the_count_cube():
    supply, keys = _tiny_supply([30.0, 40.0, 60.0, 80.0])
    pc = pd.DataFrame(
        {
            "level": "sozialraum",
            "unit_id": ["0101", "0102", "0103", "0104"],
            "year": 2024,
            "measure": "kita_places_u3",
            "value": 10.0,
            "published_value": [np.nan, np.nan, 10.0, 10.0],
            "status": ["primary", "secondary", "shown", "shown"],
        }
    )
    prot = youth.protect_kita(supply, "u3", keys, RULES, pc)
    col = prot.suppressed["Plätze U3 2024"]
    assert col.tolist() == [True, True, False, False, False]
    assert prot.suppressed["Versorgungsquote 2029"].tolist()[:2] == [True, True]


def test_demo_kita_table_passes_audit(ds, supply, protected, tmp_path):
    prot = youth.protect_kita(supply, "ue3", ds.keys, RULES, protected)
    html = youth.kita_table(prot, "ue3", KitaSettings())
    assert 'data-wb-table="kita-ue3-' in html and "Fehlende Plätze" in html
    (tmp_path / "t.html").write_text(html, encoding="utf-8")
    assert audit_path(tmp_path) == []
    text = youth.kita_summary(
        youth.protect_kita(supply, "u3", ds.keys, RULES, protected), prot, KitaSettings()
    )
    assert "Zielquote 45\u00a0%" in text and "Zielquote 95\u00a0%" in text


def test_family_quadrants(ds, protected, tmp_path):
    cat = load_catalogue()
    ind = protect_indicators(compute(cat, ds.population, ds.counts, ds.keys), cat, protected, RULES)
    year = ds.years[-1]
    ids = ds.area_keys["area_id"].tolist()
    f = youth.family_frame(ind, year, ids)
    city = f.attrs["city"]
    both = (f["alleinerziehende"] > city["alleinerziehende"]) & (f["kinderarmut"] > city["kinderarmut"])
    assert ((f["quadrant"] == "beide über Stadtwert") == both).all()
    assert f["quadrant"].notna().sum() == (f["alleinerziehende"].notna() & f["kinderarmut"].notna()).sum()
    html = youth.family_table(f, year, ds.keys, ind)
    (tmp_path / "f.html").write_text(html, encoding="utf-8")
    assert audit_path(tmp_path) == []
    fig = youth.quadrant_chart(f, year)
    assert len(fig.axes[0].collections) == 4


def test_coverage_on_too_few_children_is_unsure_not_secret(tmp_path):
    """Places and children of an area with 12 children are both published, so their rate is no secret (the
    independent attack computed 5/12): it is withheld as "/" (not sure enough), not as "." (secret)."""
    supply, keys = _tiny_supply([12.0, 40.0, 60.0, 80.0])
    prot = youth.protect_kita(supply, "u3", keys, RULES)
    row = "0101 Gebiet 0101"
    assert not prot.suppressed.loc[row, "Versorgungsquote 2024"]
    assert prot.signs.loc[row, "Versorgungsquote 2024"] == "unsicher"
    assert pd.isna(prot.signs.loc["0102 Gebiet 0102", "Versorgungsquote 2024"])
    html = youth.kita_table(prot, "u3", KitaSettings())
    cells = re.findall(r'<td[^>]*data-wb-sign="([^"]+)"[^>]*>([^<]*)<', html)
    assert ("unsicher", "/") in cells and ("geheim", ".") not in cells
    assert "nicht sicher genug" in html  # the legend under the table explains the sign
    (tmp_path / "kita.html").write_text(html, encoding="utf-8")
    assert audit_path(tmp_path) == []
