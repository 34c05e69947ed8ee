"""Chapter "Sozialraum-Monitoring": index on published values, exclusions, stability, overlay keys, views."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.chapters.monitoring import build_report, changes_text, class_map, ranking_table, summary_text
from workbench.chapters.notes import Note
from workbench.errors import ConfigError, DataValidationError
from workbench.index import monitoring

IDS = ["sgb2_quote", "kinderarmut", "alo_sgb2"]
SPEC = {
    "status": [{"id": i, "label": i} for i in IDS],
    "dynamic": [{"id": i, "change_years": 2, "label": f"d_{i}"} for i in IDS],
    "min_population": 300.0,
    "exclude": [],
}
AREAS = [f"0{i}" for i in range(1, 9)]


def _hand_table(half_width: float = 0.0) -> pd.DataFrame:
    """8 areas × 3 indicators × years 2022/2024 with fixed values; intervals ± half_width."""
    rng = np.random.default_rng(3)
    rows = []
    for k, ind in enumerate(IDS):
        base = np.array([5, 8, 10, 12, 15, 20, 30, 6], dtype=float) * (1 + 0.2 * k)
        change = rng.normal(0, 1.5, len(AREAS))
        for year, vals in ((2022, base), (2024, base + change)):
            for a, v in zip(AREAS, vals, strict=True):
                rows.append(
                    {
                        "indicator": ind,
                        "level": "sozialraum",
                        "unit_id": a,
                        "year": year,
                        "status": "shown",
                        "pub_value": v,
                        "pub_lower95": v - half_width,
                        "pub_upper95": v + half_width,
                    }
                )
    return pd.DataFrame(rows)


def _population(values: dict[str, int] | None = None) -> pd.DataFrame:
    pop = pd.DataFrame({2022: 1000, 2024: 1000}, index=pd.Index(AREAS, name="area_id"))
    for a, v in (values or {}).items():
        pop.loc[a, 2024] = v
    return pop


def test_overlay_key_mapping():
    assert [monitoring.overlay_key(c) for c in ["1+", "1+/-", "1-", "4-", "3+/-"]] == [
        "1+",
        "1±",
        "1−",
        "4−",
        "3±",
    ]
    assert monitoring.overlay_key(pd.NA) is pd.NA
    from workbench.render.maps import mss_categories

    keys = set(mss_categories("overlay"))
    all_codes = [f"{s}{d}" for s in "1234" for d in ("+", "+/-", "-")]
    assert {monitoring.overlay_key(c) for c in all_codes} == keys


def test_change_interval_in_quadrature():
    c, lo, hi = monitoring.change_interval(
        pd.Series([12.0]),
        pd.Series([10.0]),
        pd.Series([14.0]),
        pd.Series([9.0]),
        pd.Series([7.5]),
        pd.Series([10.5]),
    )
    # half-widths 2 and 1.5 → √(4 + 2.25) = 2.5
    assert c[0] == 3.0 and lo[0] == pytest.approx(0.5) and hi[0] == pytest.approx(5.5)


def test_index_matches_independent_z_scores():
    table = _hand_table()
    res = monitoring.compute_index(table, _population(), 2024, SPEC, robustness={"n_draws": 50})
    assert res["assessed"].all() and (res["reason"] == "").all()
    wide = table[table.year == 2024].pivot(index="unit_id", columns="indicator", values="pub_value")[IDS]
    old = table[table.year == 2022].pivot(index="unit_id", columns="indicator", values="pub_value")[IDS]
    status = stats.zscore(stats.zscore(wide, ddof=0).sum(axis=1), ddof=0)
    dynamic = stats.zscore(stats.zscore(wide - old, ddof=0).sum(axis=1), ddof=0)
    np.testing.assert_allclose(res["status_index"].to_numpy(float), np.asarray(status), atol=1e-12)
    np.testing.assert_allclose(res["dynamic_index"].to_numpy(float), np.asarray(dynamic), atol=1e-12)
    np.testing.assert_allclose(res["sgb2_quote_change2"], (wide - old)["sgb2_quote"])
    # classes from the index values; area 07 (30 % base) is by far the worst → status 4
    assert res.loc["07", "status_class"] == 4 and res.loc["07", "status_key"] == "4"
    exp = np.select([status < -1, status <= 1, status <= 1.5], [1, 2, 3], 4)
    assert res["status_class"].astype(int).tolist() == exp.tolist()
    assert set(res["overlay_key"]) <= {f"{s}{d}" for s in "1234" for d in "+±−"}
    # zero-width intervals: every draw equals the point value → all classes stable
    assert (res["status_share"] == 1).all() and not res["unstable"].any()


def test_suppressed_and_small_areas_are_not_assessed():
    table = _hand_table()
    # kinderarmut of area 03 suppressed in the comparison year 2022: its dynamic input is unknown
    hit = (table.unit_id == "03") & (table.indicator == "kinderarmut") & (table.year == 2022)
    table.loc[hit, ["status", "pub_value", "pub_lower95", "pub_upper95"]] = [
        "suppressed",
        np.nan,
        np.nan,
        np.nan,
    ]
    res = monitoring.compute_index(table, _population({"05": 250}), 2024, SPEC, robustness={"n_draws": 50})
    assert res.loc["03", "reason"] == monitoring.REASON_SUPPRESSED
    assert res.loc["05", "reason"] == "weniger als 300 Einwohner"
    left = res.loc[["03", "05"]]
    assert not left["assessed"].any() and left["status_index"].isna().all()
    assert (left[["status_key", "dynamic_key", "overlay_key"]] == monitoring.NOT_ASSESSED).all().all()
    # the statistics use only the 6 remaining areas
    ok = res[res["assessed"]]
    assert len(ok) == 6
    assert ok["status_index"].mean() == pytest.approx(0, abs=1e-12)
    assert ok["status_index"].std(ddof=0) == pytest.approx(1)
    # the suppressed rate's value never enters the inputs
    assert np.isnan(res.loc["03", "kinderarmut"])
    text = summary_text(res, pd.Series({a: f"Gebiet {a}" for a in AREAS}))
    assert "Von 8 Sozialräumen wurden 6 bewertet" in text
    assert "Indikator geheimgehalten: Gebiet 03" in text and "weniger als 300 Einwohner: Gebiet 05" in text


def test_wide_intervals_make_boundary_classes_unstable():
    table = _hand_table(half_width=6.0)
    res = monitoring.compute_index(table, _population(), 2024, SPEC, robustness={"n_draws": 400, "seed": 1})
    assert res["unstable"].any()
    assert (res["unstable"] == (res["status_unstable"] | res["dynamic_unstable"])).all()
    assert ((res["status_share"] < 0.8) == res["status_unstable"]).all()
    # deterministic for a fixed seed
    again = monitoring.compute_index(table, _population(), 2024, SPEC, robustness={"n_draws": 400, "seed": 1})
    pd.testing.assert_series_equal(res["status_share"], again["status_share"])


def test_errors_are_clear():
    table = _hand_table()
    bad = {**SPEC, "status": [{"id": "gibt_es_nicht"}]}
    with pytest.raises(ConfigError, match="gibt_es_nicht"):
        monitoring.compute_index(table, _population(), 2024, bad)
    with pytest.raises(DataValidationError, match="Jahre"):
        monitoring.compute_index(table, _population(), 2023, SPEC)
    with pytest.raises(DataValidationError, match="Spalten"):
        monitoring.compute_index(table.drop(columns=["pub_value"]), _population(), 2024, SPEC)


def test_class_changes_hand_built():
    idx = pd.Index(["a", "b", "c"])
    cur = pd.DataFrame(
        {"assessed": [True, True, False], "status_class": [2, 3, pd.NA], "dynamic_class": [2, 2, pd.NA],
         "overlay_key": ["2±", "3±", "nicht bewertet"]}, index=idx)  # fmt: skip
    prev = pd.DataFrame(
        {"assessed": [True, True, True], "status_class": [2, 2, 1], "dynamic_class": [2, 3, 2],
         "overlay_key": ["2±", "2−", "1±"]}, index=idx)  # fmt: skip
    ch = monitoring.class_changes(cur, prev)
    assert ch.index.tolist() == ["b"] and ch.attrs["n_compared"] == 2
    assert ch.loc["b", ["status_before", "status_now", "dynamic_before", "dynamic_now"]].tolist() == [
        "2 mittel", "3 niedrig", "negativ", "stabil"]  # fmt: skip
    assert "1 von 2" in changes_text(ch, 2023, pd.Series({"b": "Bach"}))


@pytest.fixture(scope="module")
def small_report(small_processed):
    from workbench.chapters.tables import protect_indicators
    from workbench.confidentiality import Rules, protect_counts
    from workbench.indicators import compute, load_catalogue
    from workbench.io.dataset import Dataset

    ds = Dataset(small_processed)
    cat = load_catalogue()
    rules = Rules.from_config(
        {"threshold": 3, "show_zero": True, "min_base": 20, "suppress_on_denominator": True}
    )
    ind = compute(cat, ds.population, ds.counts, ds.keys)
    ind = protect_indicators(ind, cat, protect_counts(ds.counts, ds.keys, rules), rules)
    spec, cfg = monitoring.load_spec()
    cfg = {**cfg, "robustness": {"n_draws": 100, "seed": 0, "threshold": 0.8}}
    return ds, ind, spec, cfg


def test_small_demo_city_report(small_report):
    ds, ind, spec, cfg = small_report
    year = ds.years[-1]
    rep = build_report(ind, ds, year, spec, cfg)
    idx = rep.index
    assert len(idx) == 12
    ok = idx[idx["assessed"]]
    assert len(ok) >= 3 and ok["status_class"].notna().all() and ok["dynamic_class"].notna().all()
    # every not assessed area has a reason; every assessed one's inputs are published
    assert (idx.loc[~idx["assessed"], "reason"] != "").all()
    shown = ind[(ind.level == "sozialraum") & ind.indicator.isin(IDS) & ind.year.isin([year, year - 2])]
    hidden = set(shown.loc[shown.status != "shown", "unit_id"])
    assert not (hidden & set(ok.index))
    assert rep.changes is not None and rep.changes.attrs["n_compared"] >= 3
    html = rep.ranking()
    assert html.count('data-kind="rate"') == 2 * len(ok)
    assert "Rangfolge nach Status-Index" in html
    for kind in ("status", "dynamic", "overlay"):
        fig = rep.map(kind)
        assert len(fig.area_colours) == 12
        plt.close(fig)
    assert rep.summary().startswith("Von 12 Sozialräumen")


def test_small_demo_city_suppressed_area_excluded(small_report):
    ds, ind, spec, cfg = small_report
    year = ds.years[-1]
    ind = ind.copy()
    target = sorted(ind.loc[ind.level == "sozialraum", "unit_id"].unique())[0]
    hit = (ind.unit_id == target) & (ind.indicator == "alo_sgb2") & (ind.year == year)
    ind.loc[hit, "status"] = "suppressed"
    ind.loc[hit, ["pub_value", "pub_lower95", "pub_upper95"]] = np.nan
    rep = build_report(ind, ds, year, spec, cfg)
    row = rep.index.loc[target]
    assert not row["assessed"] and row["reason"] == monitoring.REASON_SUPPRESSED
    assert np.isnan(row["status_index"]) and row["overlay_key"] == monitoring.NOT_ASSESSED
    gdf = rep._gdf()
    fig = class_map(gdf, "overlay")
    grey = fig.area_colours[gdf.index[gdf.area_id == target][0]]
    assert grey == "#d9d9d9"
    plt.close(fig)
    html = ranking_table(rep.index, rep.labels, table_id="t", caption="c", source="s")
    assert "nicht bewertet (Indikator geheimgehalten)" in html


# ------------------------------------------------------------------------------------------- status only
SPEC_ONE = {
    "status": [{"id": "sgb2_quote", "label": "SGB-II-Quote"}],
    "dynamic": [{"id": "sgb2_quote", "change_years": 2, "label": "Veränderung SGB-II-Quote"}],
    "min_population": 300.0,
    "exclude": [],
}
SIX = ["01", "02", "03", "04", "05", "06"]


def _one_year_table() -> pd.DataFrame:
    """Six areas, SGB-II-Quote 2024 only (no comparison year); intervals ± 0,5."""
    values = [4.0, 6.0, 8.0, 10.0, 12.0, 30.0]
    return pd.DataFrame(
        {
            "indicator": "sgb2_quote",
            "level": "sozialraum",
            "unit_id": SIX,
            "year": 2024,
            "status": "shown",
            "pub_value": values,
            "pub_lower95": [v - 0.5 for v in values],
            "pub_upper95": [v + 0.5 for v in values],
        }
    )


def test_status_only_index_with_one_year_hand_worked():
    pop = pd.DataFrame({2024: [900, 900, 900, 900, 900, 250]}, index=pd.Index(SIX, name="area_id"))
    res = monitoring.compute_index(_one_year_table(), pop, 2024, SPEC_ONE, robustness={"n_draws": 50})
    # area 06 (250 inhabitants) stays out; over 01–05 the quote 4, 6, 8, 10, 12 has mean 8 and SD √8:
    # z = −1,414214, −0,707107, 0, 0,707107, 1,414214 → classes 1, 2, 2, 2, 3 (1,41 ≤ 1,5)
    assert res["status_index"].round(6).tolist()[:5] == [-1.414214, -0.707107, 0.0, 0.707107, 1.414214]
    assert res["status_class"].tolist()[:5] == [1, 2, 2, 2, 3]
    assert res["status_key"].tolist() == ["1", "2", "2", "2", "3", monitoring.NOT_ASSESSED]
    assert res.loc["06", "reason"] == "weniger als 300 Einwohner"
    # no dynamic part: no change column, nothing computed, keys say so in every area
    assert "sgb2_quote_change2" not in res.columns
    assert res["dynamic_index"].isna().all() and res["dynamic_class"].isna().all()
    assert res["overall_class"].isna().all() and res["dynamic_share"].isna().all()
    assert (res["dynamic_key"] == monitoring.NOT_COMPUTED).all()
    assert (res["overlay_key"] == monitoring.NOT_COMPUTED).all()
    assert (res["unstable"] == res["status_unstable"]).all() and not res["dynamic_unstable"].any()
    assert monitoring.status_only(res) and res.attrs["dynamic"] == []
    assert res.attrs["dynamic_missing"] == (
        "Dynamik-Index und Gesamtindex (12 Gruppen) fehlen: Die Dynamik ist die Veränderung der Indikatoren "
        "über 2 Jahre und braucht Daten zu zwei Zeitpunkten (2022 und 2024); für 2022 liegen keine Daten vor "
        "(vorhanden: 2024). Gezeigt wird nur der Status-Index."
    )
    # a complete index has no such attribute
    full = monitoring.compute_index(_hand_table(), _population(), 2024, SPEC, robustness={"n_draws": 20})
    assert not monitoring.status_only(full) and "dynamic_missing" not in full.attrs


def test_status_only_with_two_years_compares_status_classes():
    # 2023 and 2024 only: both indices are status only; the class change compares the status classes alone
    table = _one_year_table()
    before = table.assign(year=2023, pub_value=[4.0, 6.0, 8.0, 10.0, 30.0, 12.0])
    before = before.assign(pub_lower95=before.pub_value - 0.5, pub_upper95=before.pub_value + 0.5)
    both = pd.concat([before, table], ignore_index=True)
    pop = pd.DataFrame({2023: 900, 2024: 900}, index=pd.Index(SIX, name="area_id"))
    cur = monitoring.compute_index(both, pop, 2024, SPEC_ONE, robustness={"n_draws": 20})
    prev = monitoring.compute_index(both, pop, 2023, SPEC_ONE, robustness={"n_draws": 20})
    assert "(vorhanden: 2023 und 2024)" in cur.attrs["dynamic_missing"]
    ch = monitoring.class_changes(cur, prev)
    # both years hold the values 4, 6, 8, 10, 12 (or 30), 30 (or 12): mean 11,67, SD 8,60, so 30 has
    # z = 2,13 (class 4) and 4 has z = −0,89 (class 2): areas 05 (4 → 2) and 06 (2 → 4) change
    assert cur["status_class"].tolist() == [2, 2, 2, 2, 2, 4] and prev["status_class"].tolist()[4:] == [4, 2]
    assert ch.index.tolist() == ["05", "06"] and ch.attrs["n_compared"] == 6
    assert ch.attrs["dynamic_compared"] is False and not ch["dynamic_changed"].any()
    text = changes_text(ch, 2023, pd.Series({a: f"Gebiet {a}" for a in SIX}))
    assert text == (
        "Gegenüber dem Index 2023 haben 2 von 6 in beiden Jahren bewerteten Gebieten die Statusklasse gewechselt "
        "(verglichen wird nur die Statusklasse, weil der Dynamik-Index nicht für beide Jahre berechnet werden "
        "kann): Gebiet 05 und Gebiet 06."
    )
    from workbench.chapters.monitoring import changes_table

    html = changes_table(ch, pd.Series({a: a for a in SIX}), 2023, 2024, table_id="w")
    assert "Statusklasse 2023" in html and "Dynamik 2023" not in html and "Gruppe" not in html


def test_small_demo_city_with_one_year_is_status_only(small_report):
    ds, ind, spec, cfg = small_report
    year = ds.years[-1]
    rep = build_report(ind[ind["year"] == year], ds, year, spec, cfg)
    assert rep.changes is None and rep.dynamic_missing.startswith("Dynamik-Index und Gesamtindex")
    assert f"für {year - 2} liegen keine Daten vor (vorhanden: {year})" in rep.dynamic_missing
    summary = rep.summary()
    assert summary.startswith("Von 12 Sozialräumen") and rep.dynamic_missing in summary
    assert "Dynamik:" not in summary and "Negative Dynamik" not in summary
    assert (
        rep.changes_text()
        == f"Ein Vergleich mit dem Vorjahr ist nicht möglich: für {year - 1} liegen keine Daten vor."
    )
    html = rep.ranking()
    assert "Dynamik-Index</th>" not in html and "Gesamtgruppe" not in html and "Statusklasse" in html
    assert rep.dynamic_missing in html
    fig = rep.map("status")
    assert len(fig.area_colours) == 12
    plt.close(fig)
    for kind in ("dynamic", "overlay"):  # the sentence why, shown as text in place of the map
        note = rep.map(kind)
        assert isinstance(note, Note) and note == rep.dynamic_missing == rep.dynamic_note
