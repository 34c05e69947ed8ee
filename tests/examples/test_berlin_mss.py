"""Reproduce the official Berlin MSS 2021 index from the published index indicators (real data)."""

from pathlib import Path

import pandas as pd
import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
BERLIN = SHARED / "berlin-mss-2021"
pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not BERLIN.is_dir(), reason="../shared/data/berlin-mss-2021 fehlt"),
]

EPS = 1e-5  # the input shares are published with 5 decimals; their rounding moves z by ~1e-6


MAPPINGS = Path(__file__).resolve().parents[2] / "examples" / "berlin"
TABLES = {
    "indikatoren": "index_indikatoren",
    "indizes": "indizes",
    "zwerte": "zwerte",
    "hierarchie": "lor_2021_hierarchie",
    "einwohner": "einwohner_2022_06",
    "plr": "planungsraeume_geo",
    "bzr": "bezirksregionen_geo",
}


@pytest.fixture(scope="module")
def tables():
    from workbench.io.mapped import read_table

    return {key: read_table(MAPPINGS / f"{stem}.yaml", SHARED) for key, stem in TABLES.items()}


@pytest.fixture(scope="module")
def result(tables):
    """The MSS 2021 index recomputed with mss_index on the published S1, S3, S4 / D1, D3, D4 (≥ 300 inhabitants,
    the outlier marked "Ausreißer" excluded) beside the official classes (dynamic codes 1/3/5 → 1/2/3)."""
    from workbench.index import BERLIN_DYNAMIC_CODES, mss_index

    ind = tables["indikatoren"].set_index("area_id")
    outliers = ind.index[ind["validity"].astype(str).str.contains("Ausreißer", regex=False)]
    res = mss_index(
        ind,
        ["S1", "S3", "S4"],
        ["D1", "D3", "D4"],
        population="population",
        min_population=300,
        exclude=outliers,
    )
    off = tables["indizes"].set_index("area_id").reindex(res.index)
    res["official_status_class"] = off["SI_N"].astype("Int64")
    res["official_dynamic_class"] = off["DI_N"].map(BERLIN_DYNAMIC_CODES).astype("Int64")
    res["official_overall_class"] = off["SDI"]
    return res


def test_tables_shape_and_ids(tables):
    for key in ("indikatoren", "indizes", "zwerte", "hierarchie", "einwohner", "plr"):
        df = tables[key]
        assert len(df) == 542, key
        assert df["area_id"].str.fullmatch(r"\d{8}").all(), key
    assert tables["plr"].crs.to_epsg() == 25833
    assert len(tables["bzr"]) == 143
    assert tables["hierarchie"]["bzr_id"].str.fullmatch(r"\d{6}").all()
    assert tables["hierarchie"]["district_name"].nunique() == 12


def test_validity_counts(result, tables):
    assert int(result["valid"].sum()) == 536
    kom = tables["indikatoren"].set_index("area_id")["validity"]
    assert (kom[result["valid"]] == "gültig").all()
    assert not result.loc["10100205", "valid"]  # the outlier (KOM "ungültig (Ausreißer)") is excluded


def test_status_and_dynamic_classes_match_all_536(result):
    v = result[result["valid"]]
    assert (v["status_class"] == v["official_status_class"]).sum() == 536
    assert (v["dynamic_class"] == v["official_dynamic_class"]).sum() == 536
    assert (v["overall_class"] == v["official_overall_class"]).sum() == 536
    # official class counts (PROVENANCE.md)
    assert v["status_class"].value_counts().sort_index().tolist() == [75, 366, 46, 49]
    assert v["dynamic_class"].value_counts().sort_index().tolist() == [48, 436, 52]
    invalid = result[~result["valid"]]
    assert invalid["status_class"].isna().all() and invalid["overall_label"].isna().all()


def test_published_z_values_within_rounding(result, tables):
    pub = tables["zwerte"].set_index("area_id").reindex(result.index)
    v = result["valid"]
    pairs = {
        "z_S1": "zS1", "z_S3": "zS3", "z_S4": "zS4", "z_D1": "zD1", "z_D3": "zD3", "z_D4": "zD4",
        "status_index": "status_index", "dynamic_index": "dynamic_index",
    }  # fmt: skip
    for ours, theirs in pairs.items():
        diff = (result.loc[v, ours] - pub.loc[v, theirs]).abs()
        assert diff.notna().all() and len(diff) == 536
        assert diff.max() <= 0.005 + EPS, (ours, diff.max())
    # published labels agree too
    assert (
        pub.loc[v, "status_class_label"].str.strip()
        == result.loc[v, "overall_label"].str.extract(r"Status (.*),")[0]
    ).all()


def test_sample_sd_would_not_reproduce(tables):
    """Guard for ddof: with the sample SD (ddof=1) the z-values drift beyond the 2-decimal rounding."""
    ind = tables["indikatoren"].set_index("area_id")
    pub = tables["zwerte"].set_index("area_id")
    valid = ind["validity"] == "gültig"
    s1 = ind.loc[valid, "S1"]
    z1 = (s1 - s1.mean()) / s1.std(ddof=1)
    assert (z1 - pub.loc[valid[valid].index, "zS1"]).abs().max() > 0.005


def test_shapefile_joins_tables_by_id(tables):
    from workbench.io.mapped import join_report

    joined, report = join_report(tables["plr"], tables["indizes"], on="area_id")
    assert report.matched == 542 and report.complete
    assert len(joined) == 542 and joined.geometry.notna().all()
    # names differ in 3 cases (PROVENANCE.md), so joining on names would be wrong
    names_differ = (joined["area_name"] != joined["area_name_rechts"]).sum()
    assert names_differ == 3
    _, rep2 = join_report(tables["hierarchie"], tables["plr"], on="area_id")
    assert rep2.complete


def test_population_suppression_flags(tables):
    ew = tables["einwohner"]
    supp = ew.attrs["suppressed"]
    # 5 PLR carry "–": 03300515, 03400831, 04400725, 05300838, 06200418
    rows = sorted({i for positions in supp.values() for i in positions})
    assert ew.loc[rows, "area_id"].tolist() == ["03300515", "03400831", "04400725", "05300838", "06200418"]
    assert pd.isna(ew.set_index("area_id").loc["03400831", "total"])
    assert not ew["total"].isna().iloc[:99].any()  # plain rows are intact
    assert int(ew.set_index("area_id").loc["03300515", "total"]) == 52


def test_berlin_index_as_config_data(tables, result):
    """The same index described as data (wide input, ready-made change columns D1/D3/D4)."""
    from workbench.index import run_index_config

    cfg = {
        "indices": {
            "mss2021": {
                "method": "mss",
                "population": "population",
                "min_population": 300,
                "exclude": ["10100205"],
                "status": ["S1", "S3", "S4"],
                "dynamic": [{"column": "D1"}, {"column": "D3"}, {"column": "D4"}],
            }
        }
    }
    out = run_index_config(cfg, tables["indikatoren"], name="mss2021")
    assert (out["overall_class"].dropna() == result["official_overall_class"][out["valid"]]).sum() == 536
