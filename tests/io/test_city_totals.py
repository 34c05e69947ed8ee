"""Official city totals ("Stadt insgesamt") of the BA delivery: demo row, import checks, indicators, secondary
suppression that never lets a suppressed cell be recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from openpyxl import load_workbook
from scipy.optimize import linprog
from statsmodels.stats.proportion import proportion_confint

from workbench.confidentiality import CITY_ID, Rules, protect_counts
from workbench.confidentiality._cube import _interval_disclosed
from workbench.confidentiality._secondary import INPUT, SHOWN, determined_unknowns
from workbench.errors import DataValidationError
from workbench.indicators import compute, load_catalogue
from workbench.io.dataset import Dataset
from workbench.io.importer import BA_COLUMNS, run_import

YEARS = list(range(2019, 2025))
LABEL = "Stadt insgesamt"


def _sheet_rows(path) -> dict[str, list[tuple]]:
    wb = load_workbook(path, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def _total_row(ws) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == LABEL)


# ------------------------------------------------------------------------------------------ demo


def test_demo_total_row_is_the_unsuppressed_sum(small_raw):
    """The total row equals the true (pre-suppression) sums, re-simulated with the generator's own streams."""
    from workbench.demo._city import _BA_SOURCE
    from workbench.demo._geo import build_city
    from workbench.demo._population import simulate
    from workbench.demo._social import social_counts
    from workbench.demo._steering import plant_effect
    from workbench.demo._traits import make_traits

    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(7).spawn(6)]
    city = build_city(streams[0], 12)
    centre = np.array(city.outline.centroid.coords[0])
    radius = float(np.sqrt(city.outline.area / np.pi))
    traits = make_traits(streams[1], city.centroids, centre, radius)
    sim = simulate(streams[2], traits, 2019, 2024)
    social = social_counts(streams[3], traits, sim, city.area_ids)
    social, _ = plant_effect(7, social, traits, city.area_ids, 2024)  # the measure with a known effect
    stars = 0
    for name, rows in _sheet_rows(small_raw / "ba_sgb2_arbeitslose.xlsx").items():
        year = int(name.split()[1])
        header = list(rows[6])
        total = rows[-2]
        assert total[0] == LABEL and total[1] is None  # no id, no name
        true = social[social["year"] == year]
        for col, measure in _BA_SOURCE.items():
            j = header.index(col)
            assert total[j] == int(true[measure].sum())
            stars += sum(r[j] == "*" for r in rows[7:-2])
    assert stars > 0  # the totals matter: some areas are suppressed


# ------------------------------------------------------------------------------------------ importer


def test_import_reads_city_totals(small_processed, small_raw):
    ds = Dataset(small_processed)
    ct = ds.city_totals
    assert list(ct.columns) == ["year", "measure", "value"]
    assert len(ct) == len(YEARS) * len(BA_COLUMNS)
    rows = _sheet_rows(small_raw / "ba_sgb2_arbeitslose.xlsx")
    got = ct.set_index(["year", "measure"])["value"]
    for name, sheet in rows.items():
        header = list(sheet[6])
        for col, measure in BA_COLUMNS.items():
            assert got[(int(name.split()[1]), measure)] == sheet[-2][header.index(col)]
    # where nothing is suppressed the areas add up to the total
    c = ds.counts[ds.counts["measure"].isin(list(BA_COLUMNS.values()))]
    agg = c.groupby(["year", "measure"]).agg(s=("value", "sum"), k=("suppressed", "sum"))
    full = agg[agg["k"] == 0]
    assert (full["s"] == got.loc[full.index]).all()
    part = agg[agg["k"] > 0]
    rest = got.loc[part.index] - part["s"]
    assert ((rest >= part["k"]) & (rest <= 2 * part["k"])).all()


def _edit_total(raw, sheet: str, column: str, fn) -> None:
    path = raw / "ba_sgb2_arbeitslose.xlsx"
    wb = load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[7]]
    r = _total_row(ws)
    j = header.index(column) + 1
    stars = sum(ws.cell(i, j).value == "*" for i in range(8, r))
    visible = sum(v for i in range(8, r) if isinstance(v := ws.cell(i, j).value, int))
    ws.cell(r, j).value = fn(ws.cell(r, j).value, visible, stars)
    wb.save(path)


def test_import_refuses_total_that_is_not_the_sum(raw_copy, tmp_path):
    rows = _sheet_rows(raw_copy / "ba_sgb2_arbeitslose.xlsx")["Dez 2023"]
    j = list(rows[6]).index("RLB insgesamt")
    assert all(r[j] != "*" for r in rows[7:-2])
    _edit_total(raw_copy, "Dez 2023", "RLB insgesamt", lambda v, vis, k: v + 1)
    with pytest.raises(DataValidationError) as info:
        run_import(raw_copy, tmp_path / "p")
    msg = str(info.value)
    assert "ba_sgb2_arbeitslose.xlsx" in msg and "Blatt 'Dez 2023'" in msg and "Spalte 'RLB insgesamt'" in msg
    assert "nicht die Summe" in msg and "Was tun" in msg
    assert not (tmp_path / "p").exists()


def test_import_refuses_total_below_the_star_minimum(raw_copy, tmp_path):
    sheet, col = None, None
    for name, rows in _sheet_rows(raw_copy / "ba_sgb2_arbeitslose.xlsx").items():
        for c in BA_COLUMNS:
            j = list(rows[6]).index(c)
            if any(r[j] == "*" for r in rows[7:-2]):
                sheet, col = name, c
                break
        if sheet:
            break
    assert sheet is not None
    # k stars hide at least k (any value ≥ 1, see workbench.io._ba; a rest above 2k is valid); one below is not
    _edit_total(raw_copy, sheet, col, lambda v, vis, k: vis + k - 1)
    with pytest.raises(DataValidationError) as info:
        run_import(raw_copy, tmp_path / "p")
    msg = str(info.value)
    assert f"Blatt '{sheet}'" in msg and f"Spalte '{col}'" in msg and "widersprüchlich" in msg


def test_import_without_total_row(raw_copy, tmp_path):
    path = raw_copy / "ba_sgb2_arbeitslose.xlsx"
    wb = load_workbook(path)
    for ws in wb.worksheets:
        ws.delete_rows(_total_row(ws))
    wb.save(path)
    run_import(raw_copy, tmp_path / "p")
    ds = Dataset(tmp_path / "p")
    assert ds.city_totals.empty and list(ds.city_totals.columns) == ["year", "measure", "value"]
    (tmp_path / "p" / "city_totals.parquet").unlink()  # older processed data: empty table as well
    assert Dataset(tmp_path / "p").city_totals.empty


# ------------------------------------------------------------------------------------------ indicators


def test_city_value_from_official_total(small_processed):
    ds = Dataset(small_processed)
    cat = load_catalogue()
    kw = {"indicators": ["jugend_alo"]}
    plain = compute(cat, ds.population, ds.counts, ds.keys, **kw)
    with_tot = compute(cat, ds.population, ds.counts, ds.keys, city_totals=ds.city_totals, **kw)
    sup_years = sorted(
        ds.counts.loc[(ds.counts["measure"] == "unemployed_u25") & ds.counts["suppressed"], "year"].unique()
    )
    assert sup_years  # the demo city has suppressed areas in some years
    city_plain = plain[plain["level"] == "stadt"].set_index("year")
    assert city_plain.loc[sup_years, "value"].isna().all()
    city = with_tot[with_tot["level"] == "stadt"].set_index("year")
    pop = ds.population[(ds.population["age"] >= 15) & (ds.population["age"] <= 24)]
    young = pop.groupby("year")["count"].sum()
    tot = ds.city_totals[ds.city_totals["measure"] == "unemployed_u25"].set_index("year")["value"]
    for y in YEARS:
        assert city.loc[y, "numerator"] == tot[y]
        assert city.loc[y, "value"] == pytest.approx(tot[y] / young[y] * 100, rel=1e-12)
        lo, hi = proportion_confint(int(tot[y]), int(young[y]), alpha=0.05, method="wilson")
        assert city.loc[y, "lower95"] == pytest.approx(lo * 100, rel=1e-9)
        assert city.loc[y, "upper95"] == pytest.approx(hi * 100, rel=1e-9)
        assert not city.loc[y, "numerator_suppressed"]
    assert city["trend"].iloc[-1] != "nicht berechenbar"  # five known city years now
    # every area with a known numerator is compared with the city; districts with a "*" stay unknown
    areas = with_tot[with_tot["level"] == "sozialraum"]
    known = areas["numerator"].notna()
    assert (areas.loc[known, "cmp_city"] != "nicht verglichen").all()
    assert (areas.loc[~known, "cmp_city"] == "nicht verglichen").all()
    dist = with_tot[with_tot["level"] == "stadtbezirk"]
    assert (dist["numerator_suppressed"] == dist["numerator"].isna()).all()
    assert dist["numerator"].isna().any()
    # nothing changes where no area is suppressed (except the city trend, whose window now has known years)
    ok = [y for y in YEARS if y not in sup_years]
    pd.testing.assert_frame_equal(
        plain[plain["year"].isin(ok)].drop(columns="trend").reset_index(drop=True),
        with_tot[with_tot["year"].isin(ok)].drop(columns="trend").reset_index(drop=True),
    )
    not_city = plain["level"] != "stadt"
    assert plain.loc[not_city, "trend"].equals(with_tot.loc[not_city, "trend"])


def test_compute_rejects_bad_city_totals(small_processed):
    ds = Dataset(small_processed)
    bad = ds.city_totals.drop(columns="value")
    with pytest.raises(DataValidationError):
        compute(
            load_catalogue(), ds.population, ds.counts, ds.keys, indicators=["jugend_alo"], city_totals=bad
        )


# ------------------------------------------------------------------------------------------ confidentiality


def _relations(out: pd.DataFrame, keys: pd.DataFrame) -> tuple[sp.csr_matrix, pd.DataFrame]:
    """Audit-side relation matrix of a protect_counts result (built independently of the cube code)."""
    cells = out.reset_index(drop=True)
    pos = {
        k: i
        for i, k in enumerate(
            zip(cells["level"], cells["unit_id"], cells["year"], cells["measure"], strict=True)
        )
    }
    rows = []
    k = keys[["area_id", "district_id"]].drop_duplicates()
    for (year, measure), _ in cells.groupby(["year", "measure"]):
        for d, grp in k.groupby("district_id"):
            rows.append(
                (
                    pos[("stadtbezirk", d, year, measure)],
                    [pos[("sozialraum", a, year, measure)] for a in grp.area_id],
                )
            )
        rows.append(
            (
                pos[("stadt", CITY_ID, year, measure)],
                [pos[("stadtbezirk", d, year, measure)] for d in k.district_id.unique()],
            )
        )
    for (level, unit, year), _ in cells.groupby(["level", "unit_id", "year"]):
        if (level, unit, year, "unemployed") in pos:
            rows.append(
                (
                    pos[(level, unit, year, "unemployed")],
                    [
                        pos[(level, unit, year, "unemployed_sgb2")],
                        pos[(level, unit, year, "unemployed_sgb3")],
                    ],
                )
            )
    r, c, v = [], [], []
    for i, (t, parts) in enumerate(rows):
        r += [i] * (1 + len(parts))
        c += [t, *parts]
        v += [1.0] + [-1.0] * len(parts)
    return sp.csr_matrix((v, (r, c)), shape=(len(rows), len(cells))), cells


def _audit(out: pd.DataFrame, keys: pd.DataFrame) -> None:
    """No protected cell follows from the published ones, exactly or from the known range of each '*' (1–2, or
    at least 1 when the published total shows secondary '*' above 2)."""
    a, cells = _relations(out, keys)
    pub = cells["published_value"].to_numpy(dtype=float)
    protected = cells["status"].isin(["primary", "secondary", "input"]).to_numpy()
    assert not (determined_unknowns(a, pub) & protected).any()
    hidden = np.isnan(pub)
    unk = np.flatnonzero(hidden)
    a_u = a[:, unk].tocsr()
    b = -(a @ np.nan_to_num(pub))
    star = ((cells["level"] == "sozialraum") & (cells["status"] == "input")).to_numpy()
    bounds = [(1, 2) if star[j] else (0, None) for j in unk]
    probe = linprog(np.zeros(unk.size), A_eq=a_u, b_eq=b, bounds=bounds, method="highs")
    if probe.status == 2:  # the delivery holds secondary "*" above 2: each "*" is only known to be ≥ 1
        bounds = [(1, None) if star[j] else (0, None) for j in unk]
    for i, j in enumerate(unk):
        if not protected[j]:
            continue
        cost = np.zeros(unk.size)
        cost[i] = 1
        lo = linprog(cost, A_eq=a_u, b_eq=b, bounds=bounds, method="highs")
        hi = linprog(-cost, A_eq=a_u, b_eq=b, bounds=bounds, method="highs")
        assert lo.status == 0
        if hi.status == 0:  # unbounded above is safe
            assert -hi.fun - lo.fun >= 1 - 1e-6, cells.iloc[j].to_dict()


def _keys(districts: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(a, f"{d + 1:02d}") for d, areas in enumerate(districts) for a in areas],
        columns=["area_id", "district_id"],
    )


def _counts(values: dict[str, object], measure: str = "unemployed_u25", year: int = 2024) -> pd.DataFrame:
    return pd.DataFrame(
        [(a, year, measure, np.nan if v == "*" else float(v), v == "*") for a, v in values.items()],
        columns=["area_id", "year", "measure", "value", "suppressed"],
    )


def test_city_total_published_and_suppressed_area_protected():
    keys = _keys([["a1", "a2"], ["b1", "b2"], ["c1", "c2"]])
    counts = _counts({"a1": "*", "a2": 10, "b1": 20, "b2": 30, "c1": 40, "c2": 50})
    totals = pd.DataFrame({"year": [2024], "measure": ["unemployed_u25"], "value": [152.0]})
    plain = protect_counts(counts, keys, Rules())
    out = protect_counts(counts, keys, Rules(), city_totals=totals)
    g = out.set_index(["level", "unit_id"])
    assert plain.set_index(["level", "unit_id"]).loc[("stadt", CITY_ID), "status"] == "input"
    assert g.loc[("stadt", CITY_ID), "status"] == "shown"
    assert g.loc[("stadt", CITY_ID), "published_value"] == 152
    assert g.loc[("sozialraum", "a1"), "status"] == "input" and np.isnan(g.loc[("sozialraum", "a1"), "value"])
    assert g.loc[("stadtbezirk", "01"), "status"] == "input"
    # district 01 would follow from the city total: a second district and one of its areas are withheld
    assert (out.loc[out["level"] == "stadtbezirk", "status"] == "secondary").sum() == 1
    assert (out.loc[out["level"] == "sozialraum", "status"] == "secondary").sum() == 1
    _audit(out, keys)


@pytest.mark.parametrize(
    "total, shown", [(4.0, False), (5.0, True), (6.0, True), (8.0, False), (12.0, True), (18.0, True)]
)
def test_city_total_withheld_when_stars_would_be_pinned(total, shown):
    # four "*" (each 1 or 2) in two districts: no cell follows exactly from a total, but a total of 4 (or 8)
    # pins every "*" to 1 (or 2); 5 or 6 leaves each of them open; 12 or 18 shows that the BA withheld larger
    # values too (secondary "*"), so each "*" is only known to be at least 1 and none is pinned
    keys = _keys([["a1", "a2"], ["b1", "b2"]])
    counts = _counts({"a1": "*", "a2": "*", "b1": "*", "b2": "*"})
    totals = pd.DataFrame({"year": [2024], "measure": ["unemployed_u25"], "value": [total]})
    out = protect_counts(counts, keys, Rules(), city_totals=totals)
    city = out.set_index("level").loc["stadt"]
    assert city["status"] == ("shown" if shown else "secondary")
    assert city["value"] == total
    _audit(out, keys)


def test_interval_check_of_the_stars():
    a = sp.csr_matrix(np.array([[1.0, -1.0, -1.0]]))  # city = a1 + a2
    status = np.array([SHOWN, INPUT, INPUT])
    delivered = np.array([False, True, True])
    focus = np.array([True, False, False])
    # 7 and 10: more than two "*" of 1 or 2 can hold, so they include secondary "*" (≥ 1): nothing is pinned
    for total, pinned in ((2.0, True), (3.0, False), (4.0, True), (7.0, False), (10.0, False)):
        values = np.array([total, np.nan, np.nan])
        assert _interval_disclosed(a, values, status, delivered, focus).tolist() == [False, pinned, pinned]


def test_protect_with_totals_on_demo_city(small_processed):
    ds = Dataset(small_processed)
    ba = list(BA_COLUMNS.values())
    counts = ds.counts[ds.counts["measure"].isin(ba)]
    out = protect_counts(counts, ds.keys, Rules(), city_totals=ds.city_totals)
    plain = protect_counts(counts, ds.keys, Rules())
    city = out[out["level"] == "stadt"].set_index(["year", "measure"])
    was_input = plain[(plain["level"] == "stadt") & (plain["status"] == "input")].set_index(
        ["year", "measure"]
    )
    assert len(was_input) > 0
    tot = ds.city_totals.set_index(["year", "measure"])["value"]
    assert (city["value"] == tot.loc[city.index]).all()
    assert (city.loc[was_input.index, "status"] != "input").all()
    assert (city.loc[was_input.index, "status"] == "shown").any()  # published where safe
    # delivered "*" stay suppressed and are never published
    star = counts[counts["suppressed"]].set_index(["area_id", "year", "measure"]).index
    areas = out[out["level"] == "sozialraum"].set_index(["unit_id", "year", "measure"])
    assert (areas.loc[star, "status"] == "input").all() and areas.loc[star, "published_value"].isna().all()
    _audit(out, ds.keys)


def test_protect_rejects_total_below_visible_parts():
    keys = _keys([["a1", "a2"], ["b1"]])
    counts = _counts({"a1": "*", "a2": 10, "b1": 20})
    totals = pd.DataFrame({"year": [2024], "measure": ["unemployed_u25"], "value": [25.0]})
    with pytest.raises(DataValidationError) as info:
        protect_counts(counts, keys, Rules(), city_totals=totals)
    assert "unemployed_u25" in str(info.value) and "2024" in str(info.value)
