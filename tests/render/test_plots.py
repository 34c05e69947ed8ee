"""Tests for workbench.render.plots: colour config validation, German labels, hand-computed chart geometry, funnel
limits against statsmodels' Wilson interval, deterministic PNG bytes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from statsmodels.stats.proportion import proportion_confint

from workbench.errors import ConfigError, DataValidationError, WorkbenchError
from workbench.render import plots

NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def _no_figure_leak():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def colours():
    return plots.load_colours()


def all_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


# --------------------------------------------------------------------------------------------- colours


def test_shipped_colours_complete(colours):
    assert list(colours["significance"]["polar"]) == ["besser", "ähnlich", "schlechter", "nicht verglichen"]
    assert list(colours["significance"]["neutral"]) == ["höher", "ähnlich", "niedriger", "nicht verglichen"]
    assert len(colours["mss"]["overlay"]) == 12 and len(colours["mss"]["status"]) == 4
    assert set(colours["mss"]["dynamic"]) == {"+", "±", "−"}
    assert colours["suppressed"]["hatch"] == "////" and colours["suppressed"]["label"] == "geheimgehalten"
    assert colours["missing"]["label"] == "keine Daten"
    colours["typology"].append("#000000")  # the caller gets a copy
    assert "#000000" not in plots.load_colours()["typology"]


def test_bad_colour_files(tmp_path):
    import yaml

    good = plots.load_colours()
    bad = dict(
        good,
        significance={
            "polar": dict(good["significance"]["polar"], besser="blauish"),
            "neutral": good["significance"]["neutral"],
        },
    )
    path = tmp_path / "colours.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"significance\.polar\.besser: 'blauish' ist keine gültige Farbe"):
        plots.load_colours(path)
    path.write_text(yaml.safe_dump({k: v for k, v in good.items() if k != "likert"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="Schlüssel fehlen: likert"):
        plots.load_colours(path)
    with pytest.raises(ConfigError, match="nicht gefunden"):
        plots.load_colours(tmp_path / "none.yaml")


def test_palette_helpers(colours):
    assert (
        plots.significance_palette("high_bad")["schlechter"] == colours["significance"]["polar"]["schlechter"]
    )
    assert list(plots.significance_palette("neutral"))[0] == "höher"
    seq = plots.sequential_colours("sequential_blue", 5)
    assert seq == colours["sequential"]["sequential_blue"]  # 5 anchors, 5 classes: the anchors themselves
    assert len(plots.sequential_colours("sequential_blue", 7)) == 7
    assert plots.format_value(18.94) == f"18,9{NBSP}%"
    assert plots.format_value(1234.5, "je 1.000", 1) == f"1.234,5{NBSP}je 1.000"
    assert plots.format_value(np.nan, "je 1.000") == "."  # official sign: Zahlenwert unbekannt


# --------------------------------------------------------------------------------------------- dot chart


@pytest.fixture
def ranked() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": list("ABCDEF"),
            "v": [10, 20, np.nan, 15, 30, 5.0],
            "lo": [8, 17, np.nan, 12, 26, 3],
            "hi": [12, 23, np.nan, 18, 34, 7],
            "cmp": ["besser", "ähnlich", None, "ähnlich", "schlechter", "besser"],
        }
    )


def test_dot_chart(ranked, colours):
    fig = plots.dot_chart(
        ranked,
        value="v",
        lower="lo",
        upper="hi",
        label="name",
        comparison="cmp",
        benchmark=18.9,
        polarity="hoch = schlecht",
        title="Kinderarmut",
        note="Methode: Wilson-Intervall, 95 %",
    )
    assert fig.dot_order == ["E", "B", "D", "A", "F", "C"]  # highest on top, missing value last
    ax = fig.axes[0]
    pal = colours["significance"]["polar"]
    # one scatter per comparison class (colour and marker shape); in ascending order: F, A, D, B, E
    dots = sorted(
        (float(x), to_hex(c))
        for coll in ax.collections[1:]
        for (x, _y), c in zip(
            coll.get_offsets(), np.resize(coll.get_facecolors(), (len(coll.get_offsets()), 4)), strict=True
        )
    )
    assert [c for _x, c in dots] == [pal[k] for k in ["besser", "besser", "ähnlich", "ähnlich", "schlechter"]]
    assert len({tuple(coll.get_paths()[0].vertices.round(3).ravel()) for coll in ax.collections[1:]}) == 3
    texts = all_texts(fig)
    assert "keine Angabe" in texts and "Methode: Wilson-Intervall, 95 %" in texts
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["besser ▲", "ähnlich ●", "schlechter ▼", "nicht verglichen ○", f"Stadt: 18,9{NBSP}%"]
    # the city label is no longer written above the axes, where it ran into the title
    assert not any("Stadt:" in t.get_text() for t in ax.texts)
    info = fig.wb_text
    assert list(info.data.index) == ["E", "B", "D", "A", "F", "C"]
    assert np.isnan(info.data.loc["C", "Wert"]) and np.isnan(info.data.loc["C", "untere Grenze (95 %)"])
    assert "Höchster Wert: E" in info.alt and "Stadt: 18,9" in info.alt
    with pytest.raises(DataValidationError, match="passen nicht zur Polarität"):
        plots.dot_chart(
            ranked, value="v", lower="lo", upper="hi", label="name", comparison="cmp", polarity="neutral"
        )
    with pytest.raises(DataValidationError, match="Spalte\\(n\\) wert fehlen"):
        plots.dot_chart(ranked, value="wert", lower=None, upper=None, label="name")


# --------------------------------------------------------------------------------------------- pyramid


def _population(scale: int = 1) -> pd.DataFrame:
    rows = [
        (age, sex, (age % 7 + 1) * scale + (5 if sex == "w" and age > 80 else 0))
        for age in range(101)
        for sex in "mw"
    ]
    return pd.DataFrame(rows, columns=["age", "sex", "count"])


def test_pyramid_shares_and_sides():
    area, city = _population(), _population(10)
    fig = plots.pyramid(area, city, label_a="0101", note="Quelle: Melderegister")
    a, b = fig.pyramid_data
    # shares at the table precision (one decimal): the sum is 100 up to rounding
    assert a.to_numpy().sum() == pytest.approx(100, abs=1.9) and b.to_numpy().sum() == pytest.approx(
        100, abs=1.9
    )
    assert (a.to_numpy() * 10 == np.round(a.to_numpy() * 10)).all()
    assert list(a.index) == list(range(0, 91, 5))  # 0–4 … 85–89, 90+
    total = area["count"].sum()
    men_0_4 = area[(area.sex == "m") & (area.age < 5)]["count"].sum()
    assert a.loc[0, "m"] == round(men_0_4 / total * 100, 1)
    women_90 = area[(area.sex == "w") & (area.age >= 90)]["count"].sum()
    assert a.loc[90, "w"] == round(women_90 / total * 100, 1)
    bars = fig.axes[0].patches
    assert all(p.get_width() <= 0 for p in bars[:19]) and all(
        p.get_width() >= 0 for p in bars[19:38]
    )  # men left
    texts = all_texts(fig)
    assert "90+" in texts and "0–4" in texts
    assert any("Männer" in t and "Frauen" in t for t in texts)  # sides named in the axis label
    # the legend lies outside the bars: its box does not overlap the axes (it covered the bars for ages 0–9)
    renderer = fig.canvas.get_renderer()
    leg = fig.axes[0].get_legend().get_window_extent(renderer)
    axes_box = fig.axes[0].get_window_extent(renderer)
    assert leg.y1 <= axes_box.y0
    assert fig.wb_text.data.shape == (19, 4) and "Alterspyramide" in fig.wb_text.alt
    single = plots.pyramid(area, band=1, share=False)
    assert single.pyramid_data[0].loc[100, "w"] == area[(area.sex == "w") & (area.age == 100)]["count"].sum()


def test_pyramid_errors():
    with pytest.raises(DataValidationError, match="unbekanntes Geschlecht x"):
        plots.pyramid(_population().assign(sex="x"))
    with pytest.raises(WorkbenchError, match="band=10"):
        plots.pyramid(_population(), band=10)
    with pytest.raises(DataValidationError, match="negative Anzahlen"):
        plots.pyramid(_population().assign(count=-1))


# --------------------------------------------------------------------------------------------- trend


def test_trend_chart():
    df = pd.DataFrame(
        {
            "year": list(range(2019, 2025)) * 2,
            "value": [10, 11, 12, 12.5, 13, 14, 5, 5, 6, 6, 5, 5.0],
            "area": ["Nord"] * 6 + ["Süd"] * 6,
            "city": [9, 9.5, 10, 10, 10.5, 11] * 2,
        }
    )
    df["lower"], df["upper"] = df["value"] - 1, df["value"] + 1
    fig = plots.trend_chart(
        df,
        lower="lower",
        upper="upper",
        series="area",
        benchmark="city",
        marker_text="Trend: steigend",
        note="χ²-Trendtest, 99,8 %",
    )
    ax = fig.axes[0]
    assert len(ax.lines) == 3  # two series and the benchmark
    np.testing.assert_allclose(ax.lines[2].get_ydata(), [9, 9.5, 10, 10, 10.5, 11])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Nord", "Süd", "Stadt"]
    assert "Trend: steigend" in all_texts(fig)
    fig = plots.trend_chart(df[df.area == "Nord"], benchmark=11.0, unit="je 1.000")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [f"Stadt: 11,0{NBSP}je 1.000"]


# --------------------------------------------------------------------------------------------- spine


def test_spine_positions_hand_computed():
    rows = pd.DataFrame(
        {
            "label": ["SGB-II-Quote", "Kita U3", "Ausländeranteil"],
            "value": [25, 30, 12],
            "city_value": [15, 35, 15],
            "min": [2, 10, 3],
            "p25": [8, 25, 9],
            "p75": [20, 40, 20],
            "max": [40, 60, 45],
            "comparison": ["schlechter", "schlechter", "niedriger"],
            "polarity": ["hoch = schlecht", "hoch = gut", "neutral"],
            "unit": ["%", "%", "je 100"],
        }
    )
    fig = plots.spine_chart(rows, note="Quelle: Test")
    pos = fig.spine_positions
    # SGB II: scale = max(15-2, 40-15) = 25; high is bad → mirrored: 0.5 - (25-15)/50
    assert pos.loc[0, "pos_value"] == pytest.approx(0.3)
    assert pos.loc[0, "pos_max"] == pytest.approx(0.0) and pos.loc[0, "pos_min"] == pytest.approx(0.76)
    # Kita: scale = 25, high is good: 0.5 + (30-35)/50; worse (lower) value left of the city line
    assert pos.loc[1, "pos_value"] == pytest.approx(0.4)
    # neutral: scale = 30, not mirrored
    assert pos.loc[2, "pos_p75"] == pytest.approx(0.5 + 5 / 60)
    texts = all_texts(fig)
    assert f"25,0{NBSP}%" in texts and f"12,0{NBSP}je 100" in texts and "← schlechter" in texts
    assert any("Neutrale Indikatoren" in t for t in texts)


# --------------------------------------------------------------------------------------------- funnel


def test_funnel_limits_match_statsmodels_wilson():
    df = pd.DataFrame(
        {"x": [5, 60, 30, 200, np.nan], "n": [400, 500, 1000, 2000, 800], "name": ["A", "B", "C", "D", "E"]}
    )
    fig = plots.funnel_plot(
        df, numerator="x", denominator="n", label="name", polarity="hoch = schlecht", note="Wilson"
    )
    t = fig.funnel_table
    p_bar = 295 / 3900  # pooled over the areas with a value
    for c in (0.95, 0.998):
        lo, hi = proportion_confint(p_bar * t["n"], t["n"], alpha=1 - c, method="wilson")
        np.testing.assert_allclose(t[f"lower_{c:g}"], lo * 100, rtol=1e-9)
        np.testing.assert_allclose(t[f"upper_{c:g}"], hi * 100, rtol=1e-9)
    assert t["comparison"].tolist() == ["besser", "schlechter", "besser", "schlechter"]
    assert "E" not in t["label"].tolist()
    assert any("1 Gebiet ohne Wert nicht dargestellt" in s for s in all_texts(fig))
    assert f"Stadt: 7,6{NBSP}%" in [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
    fig = plots.funnel_plot(
        df, numerator="x", denominator="n", benchmark=10, confidence=(95,), polarity="neutral"
    )
    assert set(fig.funnel_table["comparison"]) <= {"höher", "ähnlich", "niedriger"}
    with pytest.raises(DataValidationError, match="Zeile 1"):
        plots.funnel_plot(df.assign(x=[1, 600, 1, 1, 1]), numerator="x", denominator="n")


def test_funnel_overdispersion_widens():
    df = pd.DataFrame({"x": [20, 90, 150, 40, 300, 60], "n": [500, 800, 1000, 900, 2000, 700]})
    plain = plots.funnel_plot(df, numerator="x", denominator="n").funnel_table
    wide = plots.funnel_plot(df, numerator="x", denominator="n", overdispersion=True).funnel_table
    assert (wide["upper_0.95"] >= plain["upper_0.95"] - 1e-12).all()
    assert (wide["upper_0.95"] > plain["upper_0.95"]).any()


# --------------------------------------------------------------------------------------------- bars, likert


def test_bar_charts(ranked, colours):
    fig = plots.bar_chart(ranked, value="v", label="name", highlight="B", benchmark=15.0)
    bars = fig.axes[0].patches
    assert len(bars) == 6
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["C", "F", "A", "D", "B", "E"]  # ascending, missing first (bottom)
    assert to_hex(bars[4].get_facecolor()) == colours["lines"]["highlight"]
    assert f" 30,0{NBSP}%" in all_texts(fig) and " ." in all_texts(fig)
    g = pd.DataFrame(
        {
            "age": ["0–5", "6–9", "0–5", "6–9"],
            "who": ["Gebiet", "Gebiet", "Stadt", "Stadt"],
            "v": [5, 6, 4, 7.0],
        }
    )
    fig = plots.grouped_bars(g, category="age", group="who", value="v")
    assert [p.get_height() for p in fig.axes[0].patches] == [5, 6, 4, 7]
    with pytest.raises(DataValidationError, match="mehrfach"):
        plots.grouped_bars(pd.concat([g, g]), category="age", group="who", value="v")


def test_likert_bars(colours):
    lk = pd.DataFrame(
        {
            "sehr unzufrieden": [5, 10, 0],
            "unzufrieden": [10, 20, 0],
            "teils": [20, 20, 0],
            "zufrieden": [40, 30, 0],
            "sehr zufrieden": [25, 20, 0],
        },
        index=["Wohnung", "Umfeld", "Lärm"],
    )
    lk.iloc[1] *= 2  # counts, not shares: normalised per row
    fig = plots.likert_bars(lk, n=pd.Series({"Wohnung": 100, "Umfeld": 200, "Lärm": 0}))
    np.testing.assert_allclose(fig.likert_shares.iloc[1], [10, 20, 20, 30, 20])
    bars = fig.axes[0].patches
    # first segment of "Wohnung" starts at -(5 + 10 + 20/2) = -25
    assert bars[0].get_x() == pytest.approx(-25)
    assert to_hex(bars[0].get_facecolor()) == colours["likert"][0]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "Wohnung (n = 100)" and "keine Angaben" in all_texts(fig)


def test_png_bytes_deterministic(ranked):
    def make():
        return plots.figure_to_png_bytes(
            plots.dot_chart(
                ranked,
                value="v",
                lower="lo",
                upper="hi",
                label="name",
                comparison="cmp",
                benchmark=18.9,
                polarity="high_bad",
                note="Quelle: Test",
            ),
            dpi=100,
        )

    a, b = make(), make()
    assert a == b and a.startswith(b"\x89PNG") and b"Software" not in a
