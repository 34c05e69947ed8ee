"""Berlin as an ordinary report config (examples/berlin/report.yaml): the published MSS 2021 shares come in through
``sources: shares:`` and the Sozialraum-Monitoring reproduces the official classes (real data, skipped without
../shared/data/berlin-mss-2021)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench import settings

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ROOT.parent / "shared" / "data" / "berlin-mss-2021"
CONFIG = ROOT / "examples" / "berlin" / "report.yaml"
pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not BERLIN.is_dir(), reason="../shared/data/berlin-mss-2021 fehlt"),
]


@pytest.fixture(scope="module")
def berlin(tmp_path_factory):
    """Import of the Berlin config into a temporary processed folder; the protected indicator table."""
    from workbench.chapters.tables import protect_indicators
    from workbench.confidentiality import Rules, protect_counts
    from workbench.indicators import compute, load_catalogue
    from workbench.io.dataset import Dataset
    from workbench.io.importer import run_import

    cfg = settings.load_report_config(CONFIG)
    out = tmp_path_factory.mktemp("berlin") / "processed"
    result = run_import(cfg.paths.raw, out, sources=cfg.extra["sources"], reporting_year=2020, config=CONFIG)
    ds = Dataset(out)
    cat = load_catalogue(cfg.files.indicators)
    rules = Rules.from_config(cfg.confidentiality)
    table = compute(cat, ds.population, ds.counts, ds.keys, shares=ds.shares, city_name="Berlin")
    prot = protect_indicators(table, cat, protect_counts(ds.counts, ds.keys, rules), rules)
    return cfg, ds, prot, result


def test_import_keys_population_and_shares(berlin):
    _, ds, _, result = berlin
    keys = ds.keys
    assert keys["area_id"].nunique() == 542 and keys["district_id"].nunique() == 12
    assert (keys["area_id"].str[:2] == keys["district_id"]).all()
    assert keys.set_index("district_id")["district_name"].loc["01"].iloc[0] == "Mitte"
    # Einwohner 31.12.2020 (EW of the Kontextindikatoren), all 542 PLR; 03400831 has 0 inhabitants
    assert int(ds.population["count"].sum()) == 3_769_962 and ds.population["area_id"].nunique() == 542
    shares = ds.shares
    assert set(shares["level"]) == {"sozialraum", "stadtbezirk"}
    s1 = shares[(shares["indicator"] == "mss_s1_arbeitslosigkeit") & (shares["level"] == "sozialraum")]
    assert s1["value"].notna().sum() == 536  # six PLR without assessment (-9999)
    assert len(result.files) == 6


def test_published_values_pass_unchanged(berlin):
    _, _, prot, _ = berlin
    r = prot.set_index(["indicator", "level", "unit_id"])
    a = r.loc[("mss_s1_arbeitslosigkeit", "sozialraum", "01100101")]
    assert a["pub_value"] == pytest.approx(4.22594) and np.isnan(a["pub_lower95"])
    assert r.loc[("mss_s1_arbeitslosigkeit", "stadtbezirk", "01"), "pub_value"] == pytest.approx(6.68137)
    assert r.loc[("mss_d3_transferbezug", "stadtbezirk", "02"), "pub_value"] == pytest.approx(-0.94743)


def test_monitoring_reproduces_mss_2021_classes(berlin):
    from workbench.index import BERLIN_DYNAMIC_CODES
    from workbench.index.monitoring import area_population, compute_index, load_spec
    from workbench.io.mapped import read_table

    cfg, ds, prot, _ = berlin
    spec, full = load_spec(cfg.files.index)
    index = compute_index(prot, area_population(ds.population), 2020, spec, robustness=full.get("robustness"))
    official = read_table(ROOT / "examples" / "berlin" / "indizes.yaml").set_index("area_id")
    ok = index["assessed"]
    assert int(ok.sum()) == 536
    assert not index.loc["10100205", "assessed"]  # the outlier
    off = official.reindex(index.index)
    assert (index.loc[ok, "status_class"].astype(int) == off.loc[ok, "SI_N"].astype(int)).sum() == 536
    dyn = off.loc[ok, "DI_N"].map(BERLIN_DYNAMIC_CODES).astype(int)
    assert (index.loc[ok, "dynamic_class"].astype(int) == dyn).sum() == 536
    assert (index.loc[ok, "overall_class"] == off.loc[ok, "SDI"]).sum() == 536
    assert index.loc[ok, "status_class"].value_counts().sort_index().tolist() == [75, 366, 46, 49]
    assert index.loc[ok, "dynamic_class"].value_counts().sort_index().tolist() == [48, 436, 52]
    # published values carry no interval: the robustness of the classes is not simulated, and said so
    assert index.attrs["robustness"]["computed"] is False
    assert not index["unstable"].any()
    zw = read_table(ROOT / "examples" / "berlin" / "zwerte.yaml").set_index("area_id").reindex(index.index)
    for ours, theirs in (("status_index", "status_index"), ("dynamic_index", "dynamic_index")):
        assert (index.loc[ok, ours] - zw.loc[ok, theirs]).abs().max() <= 0.005 + 1e-5


def test_one_date_without_ages_gives_no_projection(berlin):
    """Berlin's shared data have the population of one date (31.12.2020, totals): the Demografie chapter says
    that no projection is possible (method choice of the chapter)."""
    from workbench.projection.evaluation import choose_method

    _, ds, _, _ = berlin
    choice = choose_method(ds.population, None, ds.age_groups, 2020)
    assert choice.method == "none"
    assert choice.reason.startswith(
        "Keine Bevölkerungsprognose möglich: Die Einwohner liegen nur zu einem Stichtag (2020) und ohne "
        "Altersgliederung vor."
    )
