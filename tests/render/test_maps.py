"""Tests for workbench.render.maps: classification equals mapclassify, German legends with counts, colours from
colours.yaml, suppressed areas hatched and excluded from the breaks, clear errors, deterministic PNG."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from shapely.geometry import Point, box

from workbench.errors import DataValidationError, WorkbenchError
from workbench.render import maps, plots

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def _no_figure_leak():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def colours():
    return plots.load_colours()


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    """3 × 3 squares of 1 km in EPSG:25832, three districts (rows)."""
    geoms = [box(i * 1000, j * 1000, (i + 1) * 1000, (j + 1) * 1000) for j in range(3) for i in range(3)]
    return gpd.GeoDataFrame(
        {
            "area_id": [f"01{i:02d}" for i in range(1, 10)],
            "district_id": ["01"] * 3 + ["02"] * 3 + ["03"] * 3,
            "value": [3.1, 5.2, 8.4, 12.9, 15.0, 17.3, 22.8, np.nan, 30.5],
            "suppressed": [False] * 8 + [True],
            "cmp": [
                "besser",
                "ähnlich",
                "schlechter",
                None,
                "besser",
                "ähnlich",
                "schlechter",
                "ähnlich",
                "besser",
            ],
            "cmp_neutral": [
                "höher",
                "ähnlich",
                "niedriger",
                "höher",
                None,
                "ähnlich",
                "ähnlich",
                "höher",
                "höher",
            ],
            "mss": ["1", "2", "2", "3", "4", None, "2", "1", "3"],
            "unstable": [False, True] + [False] * 7,
        },
        geometry=geoms,
        crs="EPSG:25832",
    )


def legend_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def face_hex(fig) -> list[str]:
    """Fill colours of the area polygons (first collection drawn)."""
    return [to_hex(c) for c in fig.axes[0].collections[0].get_facecolors()]


# --------------------------------------------------------------------------------------------- classify


@pytest.mark.parametrize(
    ("scheme", "cls"),
    [
        ("quantiles", mapclassify.Quantiles),
        ("equal_interval", mapclassify.EqualInterval),
        ("fisher_jenks", mapclassify.FisherJenks),
    ],
)
def test_classify_breaks_equal_mapclassify(scheme, cls):
    rng = np.random.default_rng(7)
    y = rng.gamma(2.0, 5.0, 40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = cls(y, k=5)
    got = maps.classify(y, scheme, 5)
    np.testing.assert_allclose(got.bins, ref.bins)
    np.testing.assert_array_equal(got.yb, ref.yb)
    np.testing.assert_array_equal(got.counts, ref.counts)
    assert got.lower == pytest.approx(y.min())


def test_classify_natural_breaks_deterministic_and_global_rng_untouched():
    y = np.r_[np.linspace(1, 3, 10), np.linspace(10, 12, 10), np.linspace(30, 33, 10)]
    np.random.seed(5)
    before = np.random.random()
    np.random.seed(5)
    a = maps.classify(y, "natural_breaks", 3)
    assert np.random.random() == before  # the fixed seed inside does not change the caller's RNG stream
    b = maps.classify(y, "natural_breaks", 3)
    np.testing.assert_array_equal(a.bins, b.bins)
    np.testing.assert_allclose(a.bins, [3.0, 12.0, 33.0])  # three obvious clusters
    np.testing.assert_array_equal(a.counts, [10, 10, 10])


def test_classify_nan_user_and_small_k():
    got = maps.classify([1.0, np.nan, 5.0, 9.0], "user", bins=[4, 8])
    np.testing.assert_allclose(got.bins, [4, 8, 9])  # last bound raised to the maximum
    np.testing.assert_array_equal(got.yb, [0, -1, 1, 2])
    assert got.label == "Klassifikation: Benutzerdefinierte Grenzen, 3 Klassen"
    few = maps.classify([2.0, 2.0, 7.0], "quantiles", 5)
    assert few.k == 2  # only two distinct values
    assert few.ranges()[0] == (2.0, 2.0)


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"scheme": "jenks"}, "unbekanntes Klassifikationsverfahren"),
        ({"scheme": "user"}, "braucht bins"),
        ({"k": 1}, "mindestens 2"),
    ],
)
def test_classify_errors(kwargs, text):
    with pytest.raises(WorkbenchError, match=text):
        maps.classify([1.0, 2.0, 3.0], **kwargs)
    with pytest.raises(DataValidationError, match="keine gültigen Werte"):
        maps.classify([np.nan, np.nan])


# --------------------------------------------------------------------------------------------- choropleth


def test_choropleth_legend_breaks_colours_and_note(areas, colours):
    districts = areas.dissolve("district_id").reset_index()
    fig = maps.choropleth(
        areas,
        "value",
        k=3,
        suppressed="suppressed",
        districts=districts,
        labels="area_id",
        legend_title="Kinderarmut 2024",
        title="Kinderarmut",
        note="Quelle: BA",
    )
    # suppressed 30,5 and the missing value are not used for the breaks
    ref = mapclassify.Quantiles(np.array([3.1, 5.2, 8.4, 12.9, 15.0, 17.3, 22.8]), k=3)
    np.testing.assert_allclose(fig.classification.bins, ref.bins)
    assert legend_texts(fig) == [
        f"3,1 – 8,4{NBSP}% (3)",
        f"8,5 – 15,0{NBSP}% (2)",  # labels never overlap: the next class starts one table unit higher
        f"15,1 – 22,8{NBSP}% (2)",
        "keine Daten (1)",
        "geheimgehalten (1)",
    ]
    fill = plots.sequential_colours("sequential_red", 3, colours)
    expected = (
        [fill[0]] * 3
        + [fill[1]] * 2
        + [fill[2]] * 2
        + [colours["missing"]["colour"], colours["suppressed"]["colour"]]
    )
    assert face_hex(fig) == expected == fig.area_colours.tolist()
    assert (
        fill[0] == colours["sequential"]["sequential_red"][0]
        and fill[-1] == colours["sequential"]["sequential_red"][-1]
    )
    hatches = [c.get_hatch() for c in fig.axes[0].collections]
    assert colours["suppressed"]["hatch"] in hatches
    texts = [t.get_text() for t in fig.texts]
    assert "Klassifikation: Quantile, 3 Klassen; Quelle: BA" in texts
    assert fig.axes[0].get_title(loc="left") == "Kinderarmut"
    assert sum(t.get_text() == "0105" for t in fig.axes[0].texts) == 1


def test_choropleth_number_format_and_callable(areas):
    fig = maps.choropleth(
        areas.assign(value=areas["value"] * 100),
        "value",
        scheme="equal_interval",
        k=2,
        value_format="number",
        decimals=0,
    )
    assert legend_texts(fig)[:2] == ["310 – 1.680 (5)", "1.681 – 3.050 (3)"]
    fig = maps.choropleth(areas, "value", scheme="user", bins=[10, 20], value_format=lambda v: f"{v:.0f} €")
    assert legend_texts(fig)[0] == "3 € – 10 € (3)"


def test_choropleth_errors(areas):
    with pytest.raises(DataValidationError, match="Spalte\\(n\\) quote fehlen"):
        maps.choropleth(areas, "quote")
    with pytest.raises(DataValidationError, match="GeoDataFrame"):
        maps.choropleth(pd.DataFrame(areas.drop(columns="geometry")), "value")
    with pytest.raises(DataValidationError, match="nicht numerisch"):
        maps.choropleth(areas.assign(value="hoch"), "value")
    with pytest.raises(DataValidationError, match="wahr/falsch"):
        maps.choropleth(areas.assign(suppressed="ja"), "value", suppressed="suppressed")
    with pytest.raises(WorkbenchError, match="unbekannte Farbskala"):
        maps.choropleth(areas, "value", palette="rainbow")


# --------------------------------------------------------------------------------------------- significance


def test_significance_map_polar_and_neutral(areas, colours):
    fig = maps.significance_map(
        areas, "cmp", polarity="hoch = schlecht", suppressed="suppressed", note="Wilson, 95 %"
    )
    # area 9 is suppressed: hatched and counted once, as "geheimgehalten" (not also as "nicht verglichen")
    assert legend_texts(fig) == [
        "besser ▲ (2)",  # significance as a symbol too, never by colour alone
        "ähnlich ● (3)",
        "schlechter ▼ (2)",
        "nicht verglichen ○ (1)",
        "geheimgehalten (1)",
    ]
    counts = [int(re.search(r"\((\d+)\)$", t).group(1)) for t in legend_texts(fig)]
    assert sum(counts) == len(areas) == 9
    pal = colours["significance"]["polar"]
    assert face_hex(fig)[:4] == [pal["besser"], pal["ähnlich"], pal["schlechter"], pal["nicht verglichen"]]
    fig = maps.significance_map(areas, "cmp_neutral", polarity="neutral")
    assert legend_texts(fig) == ["höher ▲ (4)", "ähnlich ● (3)", "niedriger ▼ (1)", "nicht verglichen ○ (1)"]
    assert face_hex(fig)[0] == colours["significance"]["neutral"]["höher"]
    with pytest.raises(DataValidationError, match="passen nicht zur Polarität"):
        maps.significance_map(areas, "cmp", polarity="neutral")
    with pytest.raises(WorkbenchError, match="unbekannte Polarität"):
        maps.significance_map(areas, "cmp", polarity="hoch")


# --------------------------------------------------------------------------------------------- categories


def test_category_map_mss_status(areas, colours):
    cats = maps.mss_categories("status")
    fig = maps.category_map(
        areas, "mss", categories=cats, hatch_column="unstable", hatch_label="Klasse instabil"
    )
    assert legend_texts(fig) == [
        "1 hoch (2)",
        "2 mittel (3)",
        "3 niedrig (2)",
        "4 sehr niedrig (1)",
        "keine Daten (1)",
        "Klasse instabil (1)",
    ]
    status = colours["mss"]["status"]
    assert face_hex(fig)[:3] == [status["1"]["colour"], status["2"]["colour"], status["2"]["colour"]]
    assert face_hex(fig)[5] == colours["missing"]["colour"]
    overlay = maps.mss_categories("overlay")
    assert len(overlay) == 12 and list(overlay)[:3] == ["1+", "1±", "1−"]
    with pytest.raises(DataValidationError, match="Werte 5 haben keine Farbe"):
        maps.category_map(areas.assign(mss="5"), "mss", categories=cats)


def test_category_map_int_keys(areas):
    typ = {1: ("Typ A", "#111111"), 2: ("Typ B", "#222222")}
    fig = maps.category_map(
        areas.assign(t=[1, 2, 1, 2, 1, 2, 1, 2, 1]), "t", categories=typ, legend_title="Typ"
    )
    assert legend_texts(fig) == ["Typ A (5)", "Typ B (4)"]
    assert face_hex(fig)[:2] == ["#111111", "#222222"]


# --------------------------------------------------------------------------------------------- locator, facilities


def test_location_map(areas, colours):
    fig = maps.location_map(areas, "0105", districts=areas.dissolve("district_id"))
    faces = face_hex(fig)
    assert faces[4] == colours["lines"]["highlight"]
    assert faces.count(colours["lines"]["background"]) == 8
    with pytest.raises(DataValidationError, match="'105' nicht gefunden"):
        maps.location_map(areas, "105")


def test_facility_map(areas, colours):
    fac = gpd.GeoDataFrame(
        {"type": ["Kita", "Kita", "Grundschule", "Seniorentreff", "Sonstiges"]},
        geometry=[
            Point(500, 500),
            Point(1500, 1200),
            Point(2500, 2500),
            Point(1200, 1800),
            Point(1700, 1700),
        ],
        crs="EPSG:25832",
    )
    fig = maps.facility_map(areas, fac)
    assert legend_texts(fig) == ["Grundschule (1)", "Kita (2)", "Seniorentreff (1)", "Sonstiges (1)"]
    handles = fig.axes[0].get_legend().legend_handles
    assert to_hex(handles[1].get_markerfacecolor()) == colours["facilities"]["Kita"]["colour"]
    assert to_hex(handles[3].get_markerfacecolor()) == colours["facilities"]["default"]["colour"]
    # area 0105 = box(1000..2000, 1000..2000) holds one Kita, the Seniorentreff and "Sonstiges"
    fig = maps.facility_map(areas, fac.to_crs(4326), highlight_id="0105", types=["Kita", "Jugendzentrum"])
    assert legend_texts(fig) == ["Kita (1)"]
    assert fig.axes[0].get_legend().get_title().get_text() == "Einrichtungen im Gebiet"
    assert any("keine Einrichtungen vom Typ Jugendzentrum" in t.get_text() for t in fig.texts)
    with pytest.raises(DataValidationError, match="Spalte 'type'"):
        maps.facility_map(areas, fac.rename(columns={"type": "typ"}))


def test_png_deterministic(areas):
    a = plots.figure_to_png_bytes(
        maps.choropleth(areas, "value", scheme="natural_breaks", k=3, note="Quelle: Test")
    )
    b = plots.figure_to_png_bytes(
        maps.choropleth(areas, "value", scheme="natural_breaks", k=3, note="Quelle: Test")
    )
    assert a == b and a[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in a and b"matplotlib" not in a


# --------------------------------------------------------------------------------------------- real data


def test_berlin_mss_status_map_counts():
    geo = DATA / "berlin-mss-2021" / "geo" / "lor_planungsraeume_2021.shp"
    idx = DATA / "berlin-mss-2021" / "mss_2021_indizes.csv"
    if not geo.exists() or not idx.exists():
        pytest.skip("Berlin MSS 2021 data not available beside the repo")
    plr = gpd.read_file(geo)
    table = pd.read_csv(idx, dtype={"PLR_ID": str})
    gdf = plr.merge(table[["PLR_ID", "SI_N"]], on="PLR_ID", how="left")
    gdf["SI_N"] = (
        gdf["SI_N"].where(gdf["SI_N"] > 0).astype("Int64").astype(str).replace("<NA>", np.nan)
    )  # -9999 = invalid area
    fig = maps.category_map(
        gdf, "SI_N", categories=maps.mss_categories("status"), legend_title="Status-Index"
    )
    counts = table.loc[table["SI_N"] > 0, "SI_N"].value_counts()
    expected = [f"{lab} ({counts.get(int(k), 0)})" for k, (lab, _c) in maps.mss_categories("status").items()]
    assert legend_texts(fig)[:4] == expected
    assert sum(counts) + int(gdf["SI_N"].isna().sum()) == len(plr)


def test_german_number_signs():
    """Negative values carry the minus sign of printed statistics; a change that rounds to 0 has no sign."""
    from workbench.render import fmt

    assert fmt.number(-1234.56, 1) == "\u22121.234,6"
    assert fmt.number(-0.04, 1) == "0,0"
    assert fmt.signed(-2.5, 1, "%") == "\u22122,5\u00a0%"
    assert fmt.signed(2.5, 1, "Pp.") == "+2,5\u00a0Pp."
    assert fmt.signed(0.04, 1) == "0,0" and fmt.signed(-0.04, 1) == "0,0"
    assert fmt.signed(1000, 0) == "+1.000"
