"""Sozialraumprofile: profile content on the 12-area demo city (fast) and the batch build (slow, engine).

Fast tests check the published numbers against the protected indicator table and hand-worked values; the
slow tests build three profiles through :func:`workbench.build.profiles.build_profiles`, audit them and compare the
engine's HTML with a fresh papermill + nbconvert run byte for byte.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from workbench.build import profiles
from workbench.chapters import profile as profile_content
from workbench.chapters.context import Chapter
from workbench.confidentiality.audit import audit_path
from workbench.errors import ConfigError


@pytest.fixture(scope="module")
def setup(small_processed, tmp_path_factory):
    """A private copy of the small demo city (caches are written into it) and a report config for it."""
    root = tmp_path_factory.mktemp("profiles")
    processed = root / "processed"
    shutil.copytree(small_processed, processed)
    cfg = root / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": 2024,
                "data_raw": str(root / "raw"),
                "data_processed": str(processed),
                "reports": str(root / "reports"),
                "confidentiality": {"threshold": 3, "min_base": 20},
            }
        ),
        encoding="utf-8",
    )
    return cfg


@pytest.fixture(scope="module")
def ch(setup):
    return Chapter(setup)


@pytest.fixture(scope="module")
def area(ch):
    return sorted(ch.ds.area_keys["area_id"])[0]


def test_steckbrief_uses_only_published_values(ch, area):
    p = profile_content.Profile(ch, area)
    df, sup, classes = p.steckbrief()
    t = ch.indicators
    cur = t[(t["year"] == ch.year) & (t["level"] == "sozialraum") & (t["unit_id"] == area)]
    cur = cur.set_index("indicator").reindex([i.id for i in ch.catalogue.indicators])
    assert len(df) == len(ch.catalogue.indicators)
    np.testing.assert_array_equal(df["Wert"].to_numpy(), cur["pub_value"].to_numpy(dtype=float))
    np.testing.assert_array_equal(df["95-%-KI von"].to_numpy(), cur["pub_lower95"].to_numpy(dtype=float))
    city = t[(t["year"] == ch.year) & (t["level"] == "stadt")].set_index("indicator")["pub_value"]
    assert df["Stadt"].to_numpy() == pytest.approx(city.reindex(cur.index).to_numpy(dtype=float), nan_ok=True)
    # withheld values are masked, never shown
    withheld = ~cur["status"].isin(["shown", "missing"]).to_numpy()
    assert (sup["Wert"].to_numpy() == withheld).all()
    assert not np.isfinite(df["Wert"].to_numpy()[withheld]).any()
    # comparison colours follow the label
    for row, cls in zip(df.itertuples(index=False), classes, strict=True):
        assert cls[6].endswith(profile_content._CSS_NAMES[row[6]])


def test_steckbrief_html_keeps_machine_readable_cells(ch, area):
    html = profile_content.Profile(ch, area).steckbrief_html()
    assert "<style>" in html and 'data-wb-table="steckbrief-' in html
    cells = re.findall(r"<td[^>]*>", html)
    assert cells and all("data-kind=" in c for c in cells)
    assert sum("wb-cmp-" in c for c in cells) == 2 * len(ch.catalogue.indicators)
    # the comparison class sits on the text cell of the comparison, e.g. <td class=".. besser" data-kind="text">besser
    for cls, text in re.findall(
        r'<td class="wb-cmp wb-cmp-(?:polar|neutral)-(\w+)" data-kind="text">([^<]*)<', html
    ):
        assert profile_content._CSS_NAMES[text] == cls


def test_add_cell_classes_hand_example():
    html = '<tr><td data-kind="text">a</td><td data-kind="rate" data-value="1.5">1,5</td></tr>'
    out = profile_content.add_cell_classes(html, [[None, "x"]])
    assert (
        out == '<tr><td data-kind="text">a</td><td class="x" data-kind="rate" data-value="1.5">1,5</td></tr>'
    )


def test_trend_class_follows_polarity():
    assert profile_content.trend_class("steigend", "hoch = schlecht") == "wb-trend-schlechter"
    assert profile_content.trend_class("steigend", "hoch = gut") == "wb-trend-besser"
    assert profile_content.trend_class("fallend", "hoch = schlecht") == "wb-trend-besser"
    assert profile_content.trend_class("steigend", "neutral") is None
    assert profile_content.trend_class("keine signifikante Veränderung", "hoch = schlecht") is None


def test_short_label():
    assert profile_content.short_label("Mindestsicherungsquote (SGB II und Grundsicherung im Alter)") == (
        "Mindestsicherungsquote"
    )
    assert profile_content.short_label("Kinderarmut") == "Kinderarmut"
    assert len(profile_content.short_label("x" * 50)) == 34


def test_pyramid_bands_hand_worked():
    pop = pd.DataFrame(
        {
            "area_id": ["01", "01", "01", "01", "02", "02"],
            "year": 2024,
            "sex": ["m", "m", "w", "m", "m", "w"],
            "age": [0, 4, 7, 95, 3, 100],
            "nationality": "deutsch",
            "count": [2, 3, 1, 2, 1, 10],
        }
    )
    out = profile_content.pyramid_bands(pop, 2024, threshold=3)
    b = out.set_index(["unit_id", "sex", "age"])
    # withheld bands are NaN (drawn hatched), never 0
    assert b.loc[("01", "w", 5), "count"] == 1 and np.isnan(b.loc[("01", "w", 5), "published"])
    assert b.loc[("01", "w", 5), "status"] == "primary"
    assert b.loc[("01", "m", 90), "status"] == "primary"  # 95 → band 90+, 2 persons withheld
    assert b.loc[("stadt", "m", 0), "count"] == 6  # 5 + 1 (city sums true counts)
    # the header totals (8, 11) and the city line (m 0–4 = 6, w 90+ = 10) stay published, so partners go:
    # 02 m 0–4 = 1 takes 02 w 90+ (row), 01 m 0–4 (column m 0–4) and 01 w 90+ (column w 90+, a 0)
    assert b.loc[("01", "", -1), "published"] == 8 and b.loc[("02", "", -1), "published"] == 11
    assert b.loc[("stadt", "m", 0), "published"] == 6 and b.loc[("stadt", "w", 90), "published"] == 10
    for cell in [("01", "m", 0), ("01", "w", 90), ("02", "w", 90)]:
        assert b.loc[cell, "status"] == "secondary" and np.isnan(b.loc[cell, "published"])
    shown = out["status"] == "shown"
    assert (out.loc[shown, "published"] == out.loc[shown, "count"]).all()
    assert out.loc[~shown, "published"].isna().all()


def test_spine_rows_spread_of_published_values(ch, area):
    rows = profile_content.Profile(ch, area).spine_rows()
    t = ch.indicators
    cur = t[(t["year"] == ch.year) & (t["level"] == "sozialraum") & (t["indicator"] == "sgb2_quote")]
    # the spread of the values as the tables show them (1 decimal), never from finer digits
    v = np.array([round(x, 1) for x in cur["pub_value"].dropna()])
    r = rows.loc["sgb2_quote"]
    assert r["decimals"] == 1
    assert r["min"] == pytest.approx(v.min()) and r["max"] == pytest.approx(v.max())
    assert r["p25"] == pytest.approx(np.percentile(v, 25)) and r["p75"] == pytest.approx(np.percentile(v, 75))


def test_monitoring_matches_chapter_module(ch, area):
    from workbench.index.monitoring import area_population, compute_index, load_spec

    spec, cfg = load_spec()
    ref = compute_index(ch.indicators, area_population(ch.ds.population), ch.year, spec)
    classes = profile_content.mss_classes(ch).set_index("area_id")
    assert (classes["assessed"].to_numpy() == ref["assessed"].reindex(classes.index).to_numpy()).all()
    ok = classes["assessed"]
    assert classes.loc[ok, "status_class"].tolist() == ref.loc[classes.index[ok], "status_class"].tolist()
    assert "Status-Index" in profile_content.Profile(ch, area).monitoring_html() or not ok[area]


def test_index_not_computable_leaves_every_profile_with_the_reason(setup, area, monkeypatch):
    """A city where fewer than 3 areas have the index indicators published (the 1.000-area demo: every
    SGB-II-Quote withheld) gets no MSS index: the profiles say why instead of failing in the cache warm-up."""
    from workbench.errors import DataValidationError, TooFewAreasError

    def too_few(*args, **kwargs):
        raise TooFewAreasError("nur 0 Sozialräume erfüllen die Bedingungen des Index")

    monkeypatch.setattr(profile_content, "compute_index", too_few)
    monkeypatch.setattr(profile_content, "_file_tag", lambda path: "too-few")  # its own cache entry
    ch = Chapter(setup)
    classes = profile_content.mss_classes(ch)
    assert len(classes) == len(ch.ds.area_keys) and not classes["assessed"].any()
    page = profile_content.Profile(ch, area).monitoring_html()
    assert "wird im Index Soziale Ungleichheit nicht bewertet" in page
    assert "nicht berechenbar: nur 0 Sozialräume erfüllen die Bedingungen des Index" in page

    def broken(*args, **kwargs):  # a genuine data error is not hidden in the profiles
        raise DataValidationError("Gebiets-IDs doppelt: ['0101']")

    monkeypatch.setattr(profile_content, "compute_index", broken)
    monkeypatch.setattr(profile_content, "_file_tag", lambda path: "broken")
    with pytest.raises(DataValidationError, match="doppelt"):
        profile_content.mss_classes(Chapter(setup))


def test_facilities_in_and_near(ch, area):
    p = profile_content.Profile(ch, area)
    fac = ch.ds.facilities
    shape = ch.ds.areas.set_index("area_id").geometry[area]
    inside = fac[fac["area_id"] == area]
    assert (p.facilities["where"] == "im Sozialraum").sum() == len(inside)
    near = p.facilities[p.facilities["where"] == "in der Nähe"]
    assert (near.geometry.distance(shape) <= profile_content.NEAR_METRES).all()
    html = p.facility_html()
    assert 'data-kind="count"' not in html  # facility numbers are register data, published as text


def test_findings_never_cite_withheld_values(ch):
    t = ch.indicators
    cur = t[(t["year"] == ch.year) & (t["level"] == "sozialraum")]
    hidden = cur[cur["status"] != "shown"]
    for unit in sorted(cur["unit_id"].unique()):
        text = profile_content.Profile(ch, unit).findings(n=30)
        for ind_id in hidden.loc[hidden["unit_id"] == unit, "indicator"]:
            label = ch.catalogue[ind_id].label
            assert f"{label} liegt mit" not in text


def test_unknown_area_is_a_clear_error(ch):
    with pytest.raises(ConfigError, match="9999"):
        profile_content.Profile(ch, "9999")
    with pytest.raises(ConfigError, match="unbekannte Sozialräume: 9999"):
        profiles.parse_areas("0101,9999", ["0101", "0102"])
    assert profiles.parse_areas(None, ["0102", "0101"]) == ["0101", "0102"]
    assert profiles.parse_areas(" 0102 ,0101,0102", ["0102", "0101"]) == ["0102", "0101"]


def test_failure_summary_names_area_and_cell():
    from workbench.build.engine import Result

    ok = Result({"area_id": "0101"}, Path("a.html"))
    bad = Result({"area_id": "0105"}, Path("b.html"), ok=False, cell_index=7, ename="KeyError", evalue="'x'")
    assert (
        profiles.failure_summary([ok, bad])
        == "1 Profile erstellt, 1 fehlgeschlagen: 0105 (Zelle 7: KeyError: 'x')"
    )


# ------------------------------------------------------------------------------------ batch build (engine)
@pytest.fixture(scope="module")
def built(setup, ch):
    """Three profiles on 2 workers from an empty cache folder; records what the warm-up saw (``start``)."""
    import multiprocessing

    ids = sorted(ch.ds.area_keys["area_id"])[:3]
    cache = ch.cfg.paths.processed / "cache"
    shutil.rmtree(cache, ignore_errors=True)  # the build itself must compute the shared results
    start: dict[str, object] = {}
    real = profiles.warm_caches

    def spy(arg):
        start["workers"] = len(multiprocessing.active_children())
        out = real(arg)
        start["cache"] = {p.name: p.stat().st_ino for p in cache.iterdir()}
        return out

    profiles.warm_caches = spy
    try:
        code = profiles.build_profiles(setup, workers=2, areas=",".join(ids))
    finally:
        profiles.warm_caches = real
    return code, ids, ch.cfg.paths.profiles, start


@pytest.mark.slow
def test_build_profiles_writes_audited_pages(built):
    code, ids, folder, _ = built
    assert code == 0
    for a in ids:
        page = (folder / f"{a}.html").read_text(encoding="utf-8")
        assert f'data-wb-table="steckbrief-{a}-2024"' in page
        assert "Sozialraumprofil" in page and "profile_content" not in page  # no code in the page
        assert "chapter.setup" not in page and "from workbench import" not in page
    overview = (folder / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{a}.html"' in overview for a in ids)
    assert 'href="../index.html"' in overview and "data:image/png;base64," in overview
    assert audit_path(folder) == []


@pytest.mark.slow
def test_shared_results_are_computed_once_while_the_kernels_start(built, ch):
    """Structure of the start, not its speed: the workers (and their kernels) were running when the warm-up
    began, the warm-up wrote every shared result a profile reads, and no kernel computed one itself (it would
    have written a new file: a new inode or a new name in the cache folder)."""
    code, _, _, start = built
    assert code == 0
    assert start["workers"] == 2
    names = {n.rsplit("-", 1)[0] for n in start["cache"]}
    assert {"protected_counts", "indicators", "availability", "protected_population"} <= names, names
    assert any(n.startswith("profile_pyramid_protected_") for n in names)
    assert any(n.startswith("profile_mss_") for n in names)
    after = {p.name: p.stat().st_ino for p in (ch.cfg.paths.processed / "cache").iterdir()}
    assert after == start["cache"]


@pytest.mark.slow
def test_engine_profile_equals_fresh_papermill(built, setup, ch, tmp_path):
    from workbench.build import engine
    from workbench.settings import notebooks_dir, project_root

    _, ids, folder, _ = built
    names = ch.ds.area_keys.assign(area_id=ch.ds.area_keys["area_id"].astype(str)).set_index("area_id")
    for a in ids:
        ref = tmp_path / f"{a}.html"
        res = engine.run_papermill(
            notebooks_dir() / "profil.ipynb",
            {"config_file": str(setup), "area_id": a},
            None,
            ref,
            cwd=project_root(),
            title=profiles.profile_title(a, names.at[a, "area_name"], ch.cfg.city, ch.year),
        )
        assert res.ok, res.error
        assert ref.read_bytes() == (folder / f"{a}.html").read_bytes()


@pytest.mark.slow
def test_failing_profile_is_reported_and_others_build(setup, ch, monkeypatch, tmp_path, capsys):
    """A profile that fails in a cell (here: its area is missing from the area geometries) gives exit code 1
    and a summary."""
    import geopandas as gpd

    ids = sorted(ch.ds.area_keys["area_id"])[:1]
    areas = ch.cfg.paths.processed / "areas.gpkg"
    areas.rename(tmp_path / "areas.gpkg")
    try:
        for layer in gpd.list_layers(tmp_path / "areas.gpkg")["name"]:
            gdf = gpd.read_file(tmp_path / "areas.gpkg", layer=layer)
            if "area_id" in gdf:
                gdf = gdf[gdf["area_id"].astype(str) != ids[0]]
            gdf.to_file(areas, layer=layer, driver="GPKG")
        code = profiles.build_profiles(setup, workers=1, areas=ids)
    finally:
        areas.unlink(missing_ok=True)
        (tmp_path / "areas.gpkg").rename(areas)
    out = capsys.readouterr().out
    assert code == 1
    assert re.search(rf"0 Profile erstellt, 1 fehlgeschlagen: {ids[0]} \(Zelle \d+: ", out)


def test_profiles_the_data_do_not_allow_get_a_page(small_processed, tmp_path, capsys):
    """Without counts no profile is run: the overview page says what is missing, stale pages go (exit 0)."""
    processed = tmp_path / "processed"
    shutil.copytree(small_processed, processed, ignore=shutil.ignore_patterns("cache"))
    (processed / "counts.parquet").unlink()
    cfg = tmp_path / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": 2024,
                "data_raw": str(tmp_path / "raw"),
                "data_processed": str(processed),
                "reports": str(tmp_path / "reports"),
            }
        ),
        encoding="utf-8",
    )
    folder = tmp_path / "reports" / "profiles"
    folder.mkdir(parents=True)
    (folder / "0101.html").write_text("<html>altes Profil</html>", encoding="utf-8")  # earlier, fuller data
    assert profiles.build_profiles(cfg, workers=1) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["index.html"]
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="de">') and 'href="../index.html"' in page
    assert (
        "Die Sozialraumprofile konnten nicht erstellt werden: es fehlen Fallzahlen (SGB II, Arbeitslose, "
        "Haushalte …; counts.parquet) – mindestens eine der Dateien"
    ) in page
    assert "Rohdatenordner (data_raw)" in page and str(tmp_path) not in page
    assert audit_path(folder) == []
    assert "Sozialraumprofile nicht erstellt: es fehlen Fallzahlen" in capsys.readouterr().out
