"""Composite indices: MSS z-index, IMD-style domain index, typology, class stability, YAML config."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.errors import ConfigError, DataValidationError, TooFewAreasError, WorkbenchError
from workbench.index import (
    class_stability,
    domain_index,
    dynamic_class,
    imd_transform,
    index_years,
    load_index_config,
    mss_index,
    run_index_config,
    status_class,
    typology,
)
from workbench.settings import config_dir


@pytest.fixture
def areas():
    rng = np.random.default_rng(3)
    n = 40
    df = pd.DataFrame(
        {
            "s1": rng.gamma(3, 3, n),
            "s2": rng.gamma(4, 2, n),
            "d1": rng.normal(0, 1, n),
            "d2": rng.normal(0, 0.5, n),
            "ew": rng.integers(200, 5000, n),
        },
        index=[f"{i:04d}" for i in range(n)],
    )
    df.iloc[0, df.columns.get_loc("ew")] = 120  # too small
    df.iloc[1, :4] = np.nan  # indicators unknown, also too small
    df.iloc[1, df.columns.get_loc("ew")] = 50
    return df


def test_mss_matches_independent_zscores(areas):
    r = mss_index(areas, ["s1", "s2"], ["d1", "d2"], population="ew", exclude=["0005"])
    valid = (areas["ew"] >= 300) & (areas.index != "0005")
    assert r["valid"].equals(valid)
    v = areas[valid]
    z = pd.DataFrame({c: stats.zscore(v[c], ddof=0) for c in ["s1", "s2", "d1", "d2"]}, index=v.index)
    np.testing.assert_allclose(r.loc[valid, "z_s1"], z["s1"], rtol=1e-12)
    ssum = z["s1"] + z["s2"]
    np.testing.assert_allclose(r.loc[valid, "status_sum"], ssum, rtol=1e-12)
    np.testing.assert_allclose(r.loc[valid, "status_index"], stats.zscore(ssum, ddof=0), rtol=1e-12)
    np.testing.assert_allclose(
        r.loc[valid, "dynamic_index"], stats.zscore(z["d1"] + z["d2"], ddof=0), rtol=1e-12
    )
    assert r.loc[~valid, ["status_index", "dynamic_index"]].isna().all().all()
    assert r.loc[~valid, "status_class"].isna().all()
    assert list(r.columns[-9:]) == [
        "status_sum", "status_index", "status_class", "dynamic_sum", "dynamic_index", "dynamic_class",
        "overall_class", "overall_label", "valid",
    ]  # fmt: skip


def test_mss_hand_worked_example():
    # one indicator each: status 1..5 → z = (x − 3)/√2; 5 → 1.414 → class 3 ("niedrig"); 1 → −1.414 → class 1
    df = pd.DataFrame({"s": [1.0, 2, 3, 4, 5], "d": [0.0, 0, 0, 0, 4]}, index=list("abcde"))
    r = mss_index(df, ["s"], ["d"])
    assert r["status_index"].round(6).tolist() == [-1.414214, -0.707107, 0.0, 0.707107, 1.414214]
    assert r["status_class"].tolist() == [1, 2, 2, 2, 3]
    # d: z = (0 − 0.8)/1.6 = −0.5 for four areas, 2.0 for "e"
    assert r["dynamic_index"].tolist() == pytest.approx([-0.5, -0.5, -0.5, -0.5, 2.0])
    assert r["dynamic_class"].tolist() == [2, 2, 2, 2, 3]
    assert r.loc["e", "overall_class"] == "3-"
    assert r.loc["e", "overall_label"] == "Status niedrig, Dynamik negativ"
    assert r.loc["a", "overall_class"] == "1+/-"


def test_status_only_mss_hand_worked():
    # six areas, one year of data: no change, so no dynamic indicator. F has 250 inhabitants and stays out.
    # s1 over A–E: mean 6, SD √8 → z = ±1.414214, ±0.707107, 0; s2: mean 2, SD 2 → z = −0.5 (4×), 2.
    # sums −1.914214, −1.207107, −0.5, 0.207107, 3.414214 (mean 0, SD 1.847759) → Status-Index below.
    df = pd.DataFrame(
        {"s1": [2.0, 4, 6, 8, 10, 40], "s2": [1.0, 1, 1, 1, 6, 0], "ew": [800, 800, 800, 800, 800, 250]},
        index=list("ABCDEF"),
    )
    for dynamic in (None, []):
        r = mss_index(df, ["s1", "s2"], dynamic, population="ew")
        assert r["z_s1"].round(6).tolist()[:5] == [-1.414214, -0.707107, 0.0, 0.707107, 1.414214]
        assert r["status_sum"].round(6).tolist()[:5] == [-1.914214, -1.207107, -0.5, 0.207107, 3.414214]
        assert r["status_index"].round(6).tolist()[:5] == [
            -1.035965,
            -0.653281,
            -0.270598,
            0.112085,
            1.847759,
        ]
        # −1.035965 < −1 → 1 hoch; 1.847759 > 1.5 → 4 sehr niedrig; F not valid
        assert r["status_class"].tolist() == [1, 2, 2, 2, 4, pd.NA]
        assert r["valid"].tolist() == [True] * 5 + [False]
        # the dynamic index and the 12 groups are not computed: missing everywhere, not "nicht bewertet"
        assert r["dynamic_sum"].isna().all() and r["dynamic_index"].isna().all()
        assert r["dynamic_class"].isna().all() and str(r["dynamic_class"].dtype) == "Int64"
        assert r["overall_class"].isna().all() and r["overall_label"].isna().all()
        assert list(r.columns) == [
            "z_s1", "z_s2", "status_sum", "status_index", "status_class", "dynamic_sum", "dynamic_index",
            "dynamic_class", "overall_class", "overall_label", "valid",
        ]  # fmt: skip
    # the status part is the same as in the full index
    full = mss_index(df.assign(d=[0.1, 0.0, -0.2, 0.3, 0.0, 0.0]), ["s1", "s2"], ["d"], population="ew")
    pd.testing.assert_series_equal(r["status_index"], full["status_index"])
    pd.testing.assert_series_equal(r["status_class"], full["status_class"])


def test_status_only_class_stability_keeps_status_draws():
    v = pd.DataFrame({"s": [2.0, 4, 6, 8, 10], "d": [0.5, 0, 0, 0, -0.5]}, index=list("ABCDE"))
    half = pd.Series({"s": 2.0, "d": 0.0})
    full = class_stability(v, v - half, v + half, ["s"], ["d"], n_draws=200, seed=1)
    only = class_stability(v, v - half, v + half, ["s"], None, n_draws=200, seed=1)
    # status draws come first from the generator, so the shares are the same
    assert only["status_share"].tolist() == full["status_share"].tolist() == [0.945, 0.905, 1.0, 0.865, 0.605]
    assert only["dynamic_share"].isna().all() and only["dynamic_class"].isna().all()
    assert only["unstable"].tolist() == [False, False, False, False, True]


def test_index_years():
    spec = {
        "status": [{"id": "s"}],
        "dynamic": [{"id": "s", "change_years": 2}, {"id": "t", "change_years": 3}],
    }
    assert index_years(spec, 2024) == {"status": (2024,), "dynamic": (2021, 2022, 2024)}
    assert index_years({"status": [{"id": "s"}], "dynamic": [{"column": "D1"}]}, 2024)["dynamic"] == (2024,)


def test_class_boundaries():
    assert status_class([-1.0000001, -1, 1, 1.0000001, 1.5, 1.5000001]).tolist() == [1, 2, 2, 3, 3, 4]
    assert dynamic_class([-1.0000001, -1, 1, 1.0000001]).tolist() == [1, 2, 2, 3]


def test_mss_errors(areas):
    with pytest.raises(ConfigError, match="fehlen"):
        mss_index(areas, ["s1", "nope"], ["d1"], population="ew")
    bad = areas.copy()
    bad.loc["0010", "s2"] = np.nan
    with pytest.raises(DataValidationError, match="0010"):
        mss_index(bad, ["s1", "s2"], ["d1"], population="ew")
    flat = areas.assign(s2=1.0)
    with pytest.raises(DataValidationError, match="gleich"):
        mss_index(flat, ["s1", "s2"], ["d1"], population="ew")
    with pytest.raises(
        TooFewAreasError, match=r"nur 0 Sozialräume .* mindestens 1\.000\.000, .* nötig sind 3"
    ):
        mss_index(areas, ["s1"], ["d1"], population="ew", min_population=10**6)
    assert issubclass(TooFewAreasError, DataValidationError)


def test_imd_transform_hand_values():
    c = 1 - math.exp(-100 / 23)
    for r in (0.1, 0.5, 0.9, 1.0):
        assert imd_transform(r) == pytest.approx(-23 * math.log(1 - r * c), rel=1e-12)
    assert imd_transform(1.0) == pytest.approx(100.0)


def test_domain_index_against_independent_computation():
    rng = np.random.default_rng(1)
    n = 50
    df = pd.DataFrame({"inc": rng.normal(size=n), "emp": rng.normal(size=n), "hlth": rng.normal(size=n)})
    w = {"inc": 2, "emp": 2, "hlth": 1}  # not summing to 1: normalised to 0.4/0.4/0.2
    r = domain_index(df, w, higher_is_worse={"hlth": False})
    c = 1 - math.exp(-100 / 23)
    ref = sum(
        wt / 5 * (-23 * np.log(1 - stats.rankdata(sign * df[col]) / n * c))
        for col, wt, sign in (("inc", 2, 1), ("emp", 2, 1), ("hlth", 1, -1))
    )
    np.testing.assert_allclose(r["score"], ref, rtol=1e-12)
    assert r["rank"].min() == 1 and r.loc[r["score"].idxmax(), "rank"] == 1
    assert (r["decile"].value_counts().sort_index() == 5).all()
    assert r.loc[r["score"].idxmax(), "decile"] == 1 and r.loc[r["score"].idxmin(), "decile"] == 10
    same = domain_index(df, {"inc": 0.4, "emp": 0.4, "hlth": 0.2}, higher_is_worse={"hlth": False})
    np.testing.assert_allclose(same["score"], r["score"])


def test_domain_index_errors():
    df = pd.DataFrame({"a": range(12), "b": range(12)})
    with pytest.raises(ConfigError, match="unbekannte Domäne"):
        domain_index(df, {"a": 1, "x": 1})
    with pytest.raises(ConfigError):
        domain_index(df, {"a": -1})
    with pytest.raises(DataValidationError, match="Dezile"):
        domain_index(df.head(5), {"a": 1})


def _clustered(seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[2.0, 2.0, -1.0], [-1.5, -1.0, 1.5], [0.0, 0.0, 0.0]])
    rows = np.vstack([c + rng.normal(0, 0.15, (10, 3)) for c in centres])
    truth = np.repeat([0, 1, 2], 10)
    df = pd.DataFrame(
        rows, columns=["kinderarmut", "sgb2", "hochbetagt"], index=[f"{i:02d}" for i in range(30)]
    )
    return df, truth


def test_typology_recovers_clusters_and_describes_them():
    df, truth = _clustered()
    labels = {"kinderarmut": "Kinderarmut", "sgb2": "SGB-II-Quote", "hochbetagt": "Anteil Hochbetagter"}
    t = typology(df, list(labels), labels, k_range=range(2, 7), seed=0)
    assert t.k == 3
    assert t.silhouette.idxmax() == 3 and set(t.silhouette.index) == {2, 3, 4, 5, 6}
    # same partition as the truth (up to numbering)
    assert pd.crosstab(t.assignment.to_numpy(), truth).gt(0).sum().tolist() == [1, 1, 1]
    # type 1 = highest mean profile = the burdened cluster
    assert set(t.assignment[:10]) == {1}
    z = (df - df.mean()) / df.std(ddof=0)
    np.testing.assert_allclose(t.profiles.loc[1], z.iloc[:10].mean())
    assert t.descriptions[1].startswith("Typ 1: ")
    assert "SGB-II-Quote und Kinderarmut deutlich überdurchschnittlich" in t.descriptions[1]  # by |z|
    assert (
        "Anteil Hochbetagter" in t.descriptions[1]
        and "Hochbetagter deutlich unterdurchschnittlich" in t.descriptions[1]
    )
    again = typology(df, list(labels), labels, k_range=range(2, 7), seed=0)
    assert again.assignment.equals(t.assignment)


def test_typology_errors():
    df, _ = _clustered()
    with pytest.raises(ConfigError):
        typology(df, ["nope"], {})
    with pytest.raises(DataValidationError):
        typology(df.head(3), ["sgb2", "kinderarmut"], {}, k_range=range(3, 8))


def test_class_stability_matches_loop_and_limits(areas):
    status, dynamic = ["s1", "s2"], ["d1", "d2"]
    kw = {"population": "ew", "min_population": 300}
    half = pd.DataFrame(0.8, index=areas.index, columns=status + dynamic)
    lower, upper = areas[status + dynamic] - half, areas[status + dynamic] + half
    res = class_stability(areas, lower, upper, status, dynamic, n_draws=30, seed=5, **kw)
    # reference: the same random stream, one full mss_index call per draw
    base = mss_index(areas, status, dynamic, **kw)
    idx = base.index[base["valid"]]
    rng = np.random.default_rng(5)
    sd = 1.6 / (2 * 1.959964)
    es = rng.standard_normal((30, len(idx), 2)) * sd
    ed = rng.standard_normal((30, len(idx), 2)) * sd
    keep_s = np.zeros(len(idx))
    keep_d = np.zeros(len(idx))
    for k in range(30):
        drawn = areas.copy()
        drawn.loc[idx, status] = areas.loc[idx, status].to_numpy() + es[k]
        drawn.loc[idx, dynamic] = areas.loc[idx, dynamic].to_numpy() + ed[k]
        r = mss_index(drawn, status, dynamic, **kw)
        keep_s += (r.loc[idx, "status_class"] == base.loc[idx, "status_class"]).to_numpy()
        keep_d += (r.loc[idx, "dynamic_class"] == base.loc[idx, "dynamic_class"]).to_numpy()
    np.testing.assert_allclose(res.loc[idx, "status_share"], keep_s / 30)
    np.testing.assert_allclose(res.loc[idx, "dynamic_share"], keep_d / 30)
    assert res.loc[~base["valid"], "unstable"].isna().all()
    # zero-width intervals: every class is kept in every draw
    exact = class_stability(areas, areas, areas, status, dynamic, n_draws=20, **kw)
    assert (exact.loc[idx, "status_share"] == 1).all() and not exact.loc[idx, "unstable"].any()
    with pytest.raises(DataValidationError, match="kleiner"):
        class_stability(areas, upper, lower, status, dynamic, n_draws=20, **kw)


def _long_data(n=30, seed=2):
    rng = np.random.default_rng(seed)
    ids = [f"{i:04d}" for i in range(n)]
    rows = []
    for year in (2022, 2023, 2024):
        for ind, scale in (("sgb2_quote", 12), ("kinderarmut", 20), ("alo_sgb2", 5)):
            vals = rng.gamma(4, scale / 4, n)
            rows += [(a, year, ind, v) for a, v in zip(ids, vals, strict=True)]
        rows += [(a, year, "population", p) for a, p in zip(ids, rng.integers(100, 9000, n), strict=True)]
    return pd.DataFrame(rows, columns=["area_id", "year", "indicator", "value"])


def test_index_config_runs_demo_config():
    cfg = load_index_config(config_dir() / "index.yaml")
    assert set(cfg["indices"]) == {"mss", "deprivation"}
    data = _long_data()
    out = run_index_config(cfg, data)
    assert "mss.status_index" in out.columns and "deprivation.decile" in out.columns
    wide = data.pivot_table(index="area_id", columns=["year", "indicator"], values="value")
    now, then = wide[2024], wide[2022]
    direct = pd.DataFrame({c: now[c] for c in ["sgb2_quote", "kinderarmut", "alo_sgb2"]})
    for c in ["sgb2_quote", "kinderarmut", "alo_sgb2"]:
        direct[f"{c}_change2"] = now[c] - then[c]
    ref = mss_index(
        direct,
        ["sgb2_quote", "kinderarmut", "alo_sgb2"],
        ["sgb2_quote_change2", "kinderarmut_change2", "alo_sgb2_change2"],
        population=now["population"],
    )
    pd.testing.assert_series_equal(out["mss.dynamic_index"], ref["dynamic_index"], check_names=False)
    dep = run_index_config(cfg, data, name="deprivation")
    ref_dep = domain_index(direct, {"sgb2_quote": 0.4, "kinderarmut": 0.4, "alo_sgb2": 0.2})
    np.testing.assert_allclose(dep["score"], ref_dep["score"])


@pytest.mark.parametrize(
    ("cfg", "key"),
    [
        ({}, "indices"),
        ({"indices": {"x": {"method": "pca"}}}, "indices.x.method"),
        ({"indices": {"x": {"method": "mss", "status": [], "dynamic": ["a"]}}}, "indices.x.status"),
        ({"indices": {"x": {"method": "mss", "status": ["a"], "dynamic": [{"id": "a", "change_years": "zwei"}]}}},
         "indices.x.dynamic[0].change_years"),
        ({"indices": {"x": {"method": "domain", "domains": {"a": "viel"}}}}, "indices.x.domains.a"),
    ],
)  # fmt: skip
def test_malformed_config_names_key(cfg, key, tmp_path):
    import yaml

    p = tmp_path / "index.yaml"
    p.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_index_config(p)
    assert exc.value.where == key and str(p) in str(exc.value)


def test_config_missing_indicator_is_clear():
    cfg = load_index_config(config_dir() / "index.yaml")
    data = _long_data()
    data = data[data["indicator"] != "kinderarmut"]
    with pytest.raises(WorkbenchError, match="kinderarmut"):
        run_index_config(cfg, data)
