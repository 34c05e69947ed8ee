"""SVG renderers of the profiles (workbench.render.svg, workbench.render.svg_maps, workbench.chapters.profile_figures).

Checks: same bytes twice, valid XML with title/desc, spine positions equal plots.spine_positions (and a
hand-worked value), pyramid shares equal the data (hand-worked), one map path per area plus the highlight,
facility legend counts, gaps in trend lines, and the per-process table memo (isolation of copies).
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from shapely.geometry import Point, box

from workbench.chapters import profile as profile_content
from workbench.chapters import profile_figures
from workbench.chapters.context import Chapter
from workbench.errors import DataValidationError
from workbench.io import dataset
from workbench.render import svg, svg_maps
from workbench.render.plots import spine_positions

NS = "{http://www.w3.org/2000/svg}"


def parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{NS}svg"
    assert root.find(f"{NS}title") is not None and root.find(f"{NS}title").text
    return root


def spine_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["Armut", "Beschäftigung", "Neutral"],
            "value": [10.0, 40.0, np.nan],
            "city_value": [5.0, 50.0, 3.0],
            "min": [0.0, 20.0, 1.0],
            "p25": [3.0, 40.0, 2.0],
            "p75": [8.0, 55.0, 4.0],
            "max": [20.0, 60.0, 9.0],
            "comparison": ["schlechter", "schlechter", "nicht verglichen"],
            "polarity": ["hoch = schlecht", "hoch = gut", "neutral"],
            "unit": ["%", "%", "je 1.000"],
        },
        index=pd.Index(["a", "b", "c"], name="indicator"),
    )


def test_spine_chart_positions_and_determinism():
    rows = spine_rows()
    out = svg.spine_chart_svg(rows, area_label="Nord", title="Test", note="Quelle: Test.")
    assert out == svg.spine_chart_svg(rows, area_label="Nord", title="Test", note="Quelle: Test.")
    root = parse(out)
    dots = {c.get("data-indicator"): float(c.get("data-pos")) for c in root.iter() if c.get("data-pos")}
    ref = spine_positions(rows)["pos_value"]
    assert set(dots) == {"a", "b"}  # no dot for the missing value
    for k, v in dots.items():  # data-pos has the decimals of the table cell (1)
        assert v == pytest.approx(ref[k], abs=0.05)
    # hand-worked: high = bad, scale = max(|5-0|, |20-5|) = 15 -> 0.5 - (10-5)/30 = 1/3 (worse: left)
    assert dots["a"] == 0.3
    # high = good: scale = max(30, 10) = 30 -> 0.5 + (40-50)/60 = 1/3
    assert dots["b"] == 0.3
    assert "10,0\xa0%" in out and "Neutrale Indikatoren" in out
    # long units move into the label so the value columns stay narrow: "(je 1.000)" after the name, "3,0" alone
    assert "(je 1.000)</text>" in out and ">3,0</text>" in out
    assert "← schlechter" in out and "Spannweite aller Gebiete" in out
    # a legend entry for every mark: the neutral indicator's dot colours too, each with its symbol
    legend = [t.text for t in root.iter(f"{NS}text")]
    assert {"besser ▲", "schlechter ▼", "höher ▲", "niedriger ▼"} <= set(legend)
    # text alternative: role img, labelled by title and desc; data table with the published values
    assert root.get("role") == "img" and len(root.get("aria-labelledby").split()) == 2
    assert "Spine-Chart" in root.find(f"{NS}desc").text
    assert list(out.wb_text.data.columns) == ["Nord", "Stadt", "Vergleich mit der Stadt"]


def test_pyramid_shares_hand_worked():
    area = pd.DataFrame({"age": [0, 5, 90], "sex": ["m", "w", "w"], "value": [3, 1, 4]})
    city = pd.DataFrame({"age": [0, 5], "sex": ["m", "w"], "value": [50, 50]})
    sh = svg.pyramid_shares(area)
    assert sh.loc[0, "m"] == pytest.approx(37.5) and sh.loc[5, "w"] == pytest.approx(12.5)
    assert sh.loc[90, "w"] == pytest.approx(50.0) and sh.to_numpy().sum() == pytest.approx(100.0)
    out = svg.pyramid_svg(area, city, title="Altersaufbau", note="Quelle: Test.")
    assert out == svg.pyramid_svg(area, city, title="Altersaufbau", note="Quelle: Test.")
    bars = {
        (r.get("data-sex"), int(r.get("data-age"))): float(r.get("data-share"))
        for r in parse(out).iter(f"{NS}rect")
        if r.get("data-sex")
    }
    assert len(bars) == 2 * 19
    assert bars[("m", 0)] == pytest.approx(37.5) and bars[("w", 90)] == pytest.approx(50.0)
    assert bars[("w", 0)] == 0.0
    with pytest.raises(DataValidationError, match="Bevölkerung ist 0"):
        svg.pyramid_shares(area.assign(value=0))


def test_sparkline_gaps_and_german_ticks():
    out = svg.sparkline_svg(
        [2020, 2021, 2022, 2023],
        [10.0, np.nan, 12.5, 13.0],
        [9.0, np.nan, 11.0, 12.0],
        [11.0, np.nan, 14.0, 14.0],
        [10.5, 10.6, 10.7, 10.8],
        title="Kinderarmut",
        marker_text="Trend: ↑ steigend",
    )
    root = parse(out)
    assert len(list(root.iter(f"{NS}circle"))) == 3
    assert "Trend: ↑ steigend" in out and re.search(r">\d+(,\d)?\xa0%<", out)
    lines = [p.get("d") for p in root.iter(f"{NS}path") if p.get("stroke-width") == "1.8"]
    assert len(lines) == 2  # the missing year splits the line
    assert svg.nice_ticks(0, 10, 3).tolist() == [0.0, 5.0, 10.0]
    assert svg.nice_ticks(1.2, 2.9, 3).tolist() == pytest.approx([1.5, 2.0, 2.5])


def grid_city(n: int = 4) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    cells = [box(i * 1000, j * 1000, (i + 1) * 1000, (j + 1) * 1000) for j in range(n) for i in range(n)]
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"{k:04d}" for k in range(len(cells))],
            "district_id": [str(k % 2) for k in range(len(cells))],
        },
        geometry=cells,
        crs=25832,
    )
    districts = areas.dissolve("district_id").reset_index()[["district_id", "geometry"]]
    return areas, districts


def test_area_map_one_path_per_area_and_highlight():
    areas, districts = grid_city()
    out = svg.area_map_svg(areas, "0005", districts=districts, title="Lage", note="Quelle: Test.")
    assert out == svg.area_map_svg(areas, "0005", districts=districts, title="Lage", note="Quelle: Test.")
    root = parse(out)
    paths = [p for p in root.iter(f"{NS}path") if p.get("data-id")]
    assert len(paths) == len(areas) + 1  # every area once, plus the highlight on top
    hl = [p for p in paths if p.get("class") == "wb-highlight"]
    assert len(hl) == 1 and hl[0].get("data-id") == "0005"
    # its areas link to the profiles: a group of links, not an image (which must not hold focusable controls)
    assert root.get("role") == "group" and len(list(root.iter(f"{NS}a"))) == len(areas) - 1  # not itself
    assert parse(svg.area_map_svg(areas, "0005", link=None)).get("role") == "img"
    assert hl[0].get("d") == next(p.get("d") for p in paths if p.get("data-id") == "0005" and p is not hl[0])
    assert all(re.fullmatch(r"-?\d+\.\d", v) for v in re.findall(r"-?[\d.]+", hl[0].get("d")))
    # large city: Stadtbezirke as background instead of every area
    small = parse(svg.area_map_svg(areas, "0005", districts=districts, max_areas=4))
    assert [p.get("data-id") for p in small.iter(f"{NS}path") if p.get("data-id")] == ["0005"]
    assert len([p for p in small.iter(f"{NS}path") if p.get("data-district")]) == 2
    with pytest.raises(DataValidationError, match="9999"):
        svg.area_map_svg(areas, "9999")


def test_area_map_base_paths_computed_once(monkeypatch):
    areas, _ = grid_city(3)
    svg.area_map_svg(areas, "0001")
    calls = []
    orig = svg_maps.path_data
    monkeypatch.setattr(svg_maps, "path_data", lambda *a, **k: calls.append(1) or orig(*a, **k))
    svg.area_map_svg(areas.copy(), "0002")
    assert calls == []  # base layer from the process memo


def test_facility_map_counts_inside():
    areas, districts = grid_city()
    fac = gpd.GeoDataFrame(
        {"type": ["Kita", "Kita", "Grundschule", "Sonstiges"], "name": ["A", "B", "C", "D"]},
        geometry=[Point(1500, 1500), Point(1200, 1800), Point(2500, 1500), Point(1100, 1100)],
        crs=25832,
    )
    out = svg.facility_map_svg(
        areas, fac, "0005", districts=districts, title="Einrichtungen", note="Quelle: Test."
    )
    assert out == svg.facility_map_svg(
        areas, fac, "0005", districts=districts, title="Einrichtungen", note="Quelle: Test."
    )
    parse(out)
    assert "Kita (2)" in out and "Grundschule (0)" in out and "Sonstiges (1)" in out
    assert out.count("<title>Kita: ") == 2 and "<title>Grundschule: C</title>" in out


@pytest.fixture(scope="module")
def ch(small_processed, tmp_path_factory):
    root = tmp_path_factory.mktemp("svgprof")
    shutil.copytree(small_processed, root / "processed")
    cfg = root / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": 2024,
                "data_raw": str(root / "raw"),
                "data_processed": str(root / "processed"),
                "reports": str(root / "reports"),
                "confidentiality": {"threshold": 3, "min_base": 20},
            }
        ),
        encoding="utf-8",
    )
    return Chapter(cfg)


def test_profile_figures_on_small_city(ch):
    area = sorted(ch.ds.area_keys["area_id"])[0]
    p = profile_content.Profile(ch, area)
    for name in ("spine", "trends", "pyramid", "location", "facility"):
        out = getattr(profile_figures, name)(p)
        assert out == getattr(profile_figures, name)(profile_content.Profile(ch, area)), name
        root = parse(out)
        desc = root.find(f"{NS}desc").text
        assert "Quelle" in desc, name
    trends = parse(profile_figures.trends(p))
    assert len(trends.findall(f"{NS}svg")) == len([i for i in profile_content.MAIN_TRENDS if i in p.meta])
    # pyramid bars are the published shares of the protected age bands
    bands = profile_content.age_bands(ch)
    own = bands[bands["unit_id"] == area]
    root = parse(profile_figures.pyramid(p))
    bars = {
        (r.get("data-sex"), int(r.get("data-age"))): r.get("data-share")
        for r in root.iter(f"{NS}rect")
        if r.get("data-sex")
    }
    total = float(own.loc[own["age"] < 0, "published"].iloc[0])  # the header total
    assert total == own.loc[own["age"] >= 0, "count"].sum()
    for r in own[own["age"] >= 0].itertuples():
        if np.isnan(r.published):  # withheld: no share at all
            assert bars[(r.sex, int(r.age))] is None
        else:  # the share as a table shows it (0.1 %), never finer
            assert bars[(r.sex, int(r.age))] == f"{round(100 * r.published / total, 1):.1f}"


def test_table_memo_isolates_callers(small_processed):
    a = dataset.Dataset(small_processed)
    b = dataset.Dataset(small_processed)
    pa, pb = a.population, b.population
    assert pa is not pb and pa.equals(pb)
    pa["count"] = -1  # a careless caller must not change what others read
    assert (b.population["count"] >= 0).all() and (
        dataset.Dataset(small_processed).population["count"] >= 0
    ).all()
    ref = sorted(pd.read_parquet(small_processed / "population.parquet")["year"].unique().tolist())
    assert dataset.Dataset(small_processed).years == ref
