"""Readable and accessible figures (issue 13): class legends at table precision, diverging maps centred on 0,
area numbers with a key, labels and legends that never cover marks, text alternatives and data tables."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
from bs4 import BeautifulSoup
from matplotlib.colors import to_hex, to_rgb
from shapely.geometry import box

from workbench.render import maps, plots, svg
from workbench.render.figure_text import data_details, figure_html, svg_figure_html

NBSP = "\u00a0"


def _areas(values, suppressed=None) -> gpd.GeoDataFrame:
    n = len(values)
    return gpd.GeoDataFrame(
        {
            "area_id": [f"{i + 1:04d}" for i in range(n)],
            "area_name": [f"Gebiet {i + 1}" for i in range(n)],
            "value": values,
            "suppressed": suppressed if suppressed is not None else [False] * n,
        },
        geometry=[
            box(i % 6 * 1000, i // 6 * 1000, i % 6 * 1000 + 1000, i // 6 * 1000 + 1000) for i in range(n)
        ],
        crs="EPSG:25832",
    )


def _ranges(labels: list[str]) -> list[tuple[float, float]]:
    """(low, high) of class labels such as "1,1 – 2,0 % (3)", "0 (8)" or "−3,1 bis −0,4 % (2)"."""
    out = []
    for lab in labels:
        nums = re.findall(r"[−-]?\d+(?:\.\d{3})*(?:,\d+)?", lab.split(" (")[0])
        vals = [float(x.replace("−", "-").replace(".", "").replace(",", ".")) for x in nums]
        out.append((vals[0], vals[-1]))
    return out


def _legend(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


# ------------------------------------------------------------------------------------ class legends


def test_class_labels_never_overlap_and_collapsed_classes_merge():
    # quantile breaks 0.98 and 1.02 both print as "1,0": the old legend showed "1,0 – 1,0 %" next to "1,0 – 2,0 %"
    values = [0.98, 1.0, 1.02, 1.5, 1.9, 2.0, 2.4, 2.8, 3.0, 3.1]
    fig = maps.choropleth(_areas(values), "value", scheme="quantiles", k=5, decimals=1)
    labels = [t for t in _legend(fig) if re.match(r"[−\d]", t)]
    ranges = _ranges(labels)
    assert all(lo <= hi for lo, hi in ranges)
    assert all(b[0] > a[1] for a, b in zip(ranges, ranges[1:], strict=False)), labels  # no shared bound
    assert not any(re.search(r"(\d+,\d) – \1\b", t) for t in labels), labels  # no "1,0 – 1,0"
    assert sum(int(re.search(r"\((\d+)\)$", t).group(1)) for t in labels) == len(values)


def test_single_value_class_and_empty_classes():
    # Kita map: 8 areas without missing places showed "0 – 0 (8)"; a class without areas is left out
    values = [0] * 8 + [3, 5, 12, 20, 120]
    fig = maps.choropleth(
        _areas(values), "value", scheme="user", bins=[0, 4, 10, 50, 100], value_format="number", decimals=0
    )
    labels = _legend(fig)
    assert labels[0] == "0 (8)"
    assert all(int(re.search(r"\((\d+)\)$", t).group(1)) > 0 for t in labels)  # 51–100 is empty: dropped
    assert labels == ["0 (8)", "1 – 4 (1)", "5 – 10 (1)", "11 – 50 (2)", "101 – 120 (1)"]
    assert fig.classification.k == 5


def test_at_most_seven_classes_unless_configured():
    values = np.linspace(1, 40, 40)
    assert maps.classify(values, "quantiles", 10).k == 7
    assert maps.classify(values, "quantiles", 10, max_classes=None).k == 10


def test_diverging_map_is_centred_on_zero():
    # the population-change map was white for +1,0 … +4,3 %
    values = [-5.1, -3.0, -1.2, -0.4, 0.0, 0.6, 1.0, 2.2, 4.3, 9.0, 11.5]
    fig = maps.choropleth(
        _areas(values), "value", scheme="natural_breaks", k=5, palette="diverging_blue_red", decimals=1
    )
    faces = fig.area_colours.to_numpy()
    centre = to_hex(plots.load_colours()["sequential"]["diverging_blue_red"][2])
    assert faces[values.index(0.0)] == centre  # white = 0
    for v, f in zip(values, faces, strict=True):
        r, _g, b = to_rgb(f)
        if v < 0:
            assert b > r, (v, f)  # decline blue
        elif v > 0:
            assert r > b and f != centre, (v, f)  # growth red, never white
    assert 0.0 in fig.classification.bins
    # one classification method in the caption
    notes = [t.get_text() for t in fig.texts]
    assert sum(n.count("Klassifikation") for n in notes) == 1
    assert any("−" in t and " bis " in t for t in _legend(fig))


def test_decile_style_palette_has_distinguishable_classes():
    colours = plots.sequential_colours("sequential_red", 5)
    lum = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in (to_rgb(c) for c in colours)]
    assert min(abs(a - b) for a, b in zip(lum, lum[1:], strict=False)) > 0.08


# ------------------------------------------------------------------------------------ area numbers, key, data


def test_map_numbers_key_and_data_table_with_suppressed_sign():
    values = [5.0, 7.5, 9.1, 12.3, 15.0, 30.5]
    gdf = _areas(values, suppressed=[False] * 5 + [True])
    fig = maps.choropleth(gdf, "value", k=3, suppressed="suppressed", title="Kinderarmut 2024")
    texts = [t.get_text() for t in fig.axes[0].texts]
    for i in gdf["area_id"]:
        assert i in texts  # the number on the map
    assert any("0001 Gebiet 1" in t for t in texts)  # the key under the map
    info = fig.wb_text
    assert "Karte: Kinderarmut 2024" in info.alt and "Höchster Wert: Gebiet 5" in info.alt
    html = data_details(info)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("summary").get_text() == "Daten zur Abbildung"
    assert soup.find("caption") and soup.find_all("th")
    row = soup.find("th", string="0006").find_parent("tr")
    assert "30,5" not in html and row.find_all("td")[1].get_text(strip=True) == "."  # suppressed: the sign


def test_significance_map_symbols_not_colour_alone():
    gdf = _areas([1.0] * 4).assign(cmp=["besser", "ähnlich", "schlechter", None])
    fig = maps.significance_map(gdf, "cmp", polarity="hoch = schlecht")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "0001 ▲" in texts and "0002 ●" in texts and "0003 ▼" in texts and "0004" in texts
    assert _legend(fig)[:3] == ["besser ▲ (1)", "ähnlich ● (1)", "schlechter ▼ (1)"]


# ------------------------------------------------------------------------------------ nothing covers marks


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_scatter_labels_never_overlap():
    rng = np.random.default_rng(3)
    xs = np.r_[rng.normal(20, 1.5, 25), rng.uniform(5, 40, 15)]
    ys = np.r_[rng.normal(20, 1.5, 25), rng.uniform(5, 40, 15)]
    fig, ax = plots.new_figure(None, (7.0, 5.0))
    ax.scatter(xs, ys, s=30)
    placed = plots.place_labels(ax, xs, ys, [f"{i:04d}" for i in range(len(xs))])
    fig.canvas.draw()  # measured as drawn (the old offset labels overlapped in 44 pairs here)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in placed]
    overlaps = sum(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert overlaps == 0 and len(placed) >= 20
    pts = ax.transData.transform(np.column_stack([xs, ys]))
    for bb in boxes:  # no label covers a dot
        assert not any(bb.x0 < x < bb.x1 and bb.y0 < y < bb.y1 for x, y in pts)


def test_trend_marker_box_and_legend_outside_the_data_area():
    df = pd.DataFrame(
        {
            "year": [2020, 2021, 2022] * 2,
            "value": [10.0, 11.0, 12.0, 20.0, 21.0, 19.0],
            "s": ["A"] * 3 + ["B"] * 3,
        }
    )
    fig = plots.trend_chart(df, series="s", marker_text="Trend Stadt: steigend", title="Test")
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    axes_box = ax.get_window_extent(renderer)
    marker = next(t for t in ax.texts if t.get_text().startswith("Trend Stadt"))
    assert not _overlap(marker.get_window_extent(renderer), axes_box)
    assert not _overlap(ax.get_legend().get_window_extent(renderer), axes_box)
    assert list(fig.wb_text.data.index) == ["2020", "2021", "2022"] and list(fig.wb_text.data.columns) == [
        "A",
        "B",
    ]


def test_dot_chart_benchmark_label_not_above_the_axes():
    df = pd.DataFrame({"n": ["a", "b"], "v": [10.0, 20.0], "c": ["besser", "schlechter"]})
    fig = plots.dot_chart(
        df, value="v", lower=None, upper=None, label="n", comparison="c", benchmark=13.94,
        polarity="hoch = schlecht", title="Quote",
    )  # fmt: skip
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    title = ax.title if ax.title.get_text() else ax._left_title
    assert all(
        not _overlap(t.get_window_extent(renderer), title.get_window_extent(renderer)) for t in ax.texts
    )
    assert f"Stadt: 13,9{NBSP}%" in _legend(fig)


# ------------------------------------------------------------------------------------ text alternatives


def test_figure_html_has_alt_text_and_data_table():
    df = pd.DataFrame({"n": ["a", "b", "c"], "v": [10.0, 20.0, np.nan], "c": ["besser", "schlechter", None]})
    fig = plots.dot_chart(
        df, value="v", lower=None, upper=None, label="n", comparison="c", polarity="hoch = schlecht"
    )
    page = BeautifulSoup(figure_html(fig, plots.figure_to_png_bytes(fig, dpi=40)), "html.parser")
    img = page.find("img")
    assert img["alt"].startswith("Punktdiagramm") and "Höchster Wert: b" in img["alt"]
    table = page.find("details").find("table")
    assert table.find("caption") and table.find("th", attrs={"scope": "col"})
    cells = {tr.find("th").get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
             for tr in table.find("tbody").find_all("tr")}  # fmt: skip
    assert cells["c"][0] == "."  # no value published: the official sign, never 0


def test_svg_figures_are_labelled_and_carry_their_data():
    area = pd.DataFrame({"age": [0, 5, 90], "sex": ["m", "w", "w"], "value": [3.0, np.nan, 4.0]})
    out = svg.pyramid_svg(area, title="Altersaufbau")
    root = BeautifulSoup(out, "html.parser").find("svg")
    ids = root["aria-labelledby"].split()
    assert root["role"] == "img" and len(ids) == 2
    assert root.find(id=ids[0]).name == "title" and "Alterspyramide" in root.find(id=ids[1]).get_text()
    html = svg_figure_html(out, out.wb_text)
    row = BeautifulSoup(html, "html.parser").find("th", string="5–9").find_parent("tr")
    assert [td.get_text(strip=True) for td in row.find_all("td")][1] == "."  # withheld band


def _contrast(hex_colour: str) -> float:
    def lin(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in to_rgb(hex_colour))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (lum + 0.05)


def test_text_colours_have_enough_contrast():
    df = pd.DataFrame({"n": ["a", "b"], "v": [10.0, np.nan], "c": ["besser", None]})
    figs = [
        plots.dot_chart(
            df,
            value="v",
            lower=None,
            upper=None,
            label="n",
            comparison="c",
            polarity="hoch = schlecht",
            note="Quelle",
        ),  # fmt: skip
        maps.choropleth(_areas([1.0, 2.0, 3.0]), "value", k=2, note="Quelle"),
    ]
    for fig in figs:
        for t in fig.findobj(lambda o: hasattr(o, "get_color") and hasattr(o, "get_text")):
            if t.get_text().strip():
                assert _contrast(to_hex(t.get_color())) >= 4.5, (t.get_text(), t.get_color())
    out = svg.pyramid_svg(pd.DataFrame({"age": [0], "sex": ["m"], "value": [3.0]}), note="Quelle")
    for colour in set(re.findall(r'<text[^>]*fill="(#[0-9a-f]{6})"', out)):
        assert _contrast(colour) >= 4.5, colour


def test_overview_map_links_every_area_to_its_profile():
    gdf = _areas([1.0, 2.0, 3.0])
    out = svg.overview_map_svg(
        gdf, ["hoch", "mittel", "hoch"], {"hoch": "#2c7fb8", "mittel": "#c7e9b4"}, legend_title="Status"
    )
    root = BeautifulSoup(out, "html.parser").find("svg")
    links = {a["href"]: a.find("path")["data-id"] for a in root.find_all("a")}
    assert links == {"0001.html": "0001", "0002.html": "0002", "0003.html": "0003"}
    assert {t.get_text() for t in root.find_all("text")} >= {"0001", "0002", "0003", "hoch (2)", "mittel (1)"}
    assert root["role"] == "img" and "hoch: 2" in root.find("desc").get_text()
    assert list(out.wb_text.data["Status"]) == ["hoch", "mittel", "hoch"]
