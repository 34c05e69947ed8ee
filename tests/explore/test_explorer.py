"""The interactive explorer on the small demo city: linked views, selection, neighbours, export, and that a
withheld value never reaches any widget's state."""

from __future__ import annotations

import base64
import math
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

pytest.importorskip("plotly", reason="plotly fehlt (make setup)")
pytest.importorskip("anywidget", reason="anywidget fehlt (make setup)")

from workbench.explore import Explorer  # noqa: E402
from workbench.explore._neighbours import nearest  # noqa: E402
from workbench.io.dataset import Dataset  # noqa: E402
from workbench.render import fmt  # noqa: E402


@pytest.fixture(scope="module")
def chapter(small_processed, tmp_path_factory):
    from workbench.chapters.context import setup

    root = tmp_path_factory.mktemp("explorer")
    proc = root / "processed"
    shutil.copytree(small_processed, proc, ignore=shutil.ignore_patterns("cache"))
    cfg = root / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": int(max(Dataset(proc).years)),
                "data_raw": str(root / "raw"),
                "data_processed": str(proc),
                "reports": str(root / "reports"),
                "chapters": ["soziale_lage"],
            }
        ),
        encoding="utf-8",
    )
    ch = setup(cfg)
    # withhold three more Sozialraum values (as protect_indicators does: status, published columns NaN, no
    # comparison) so the test does not depend on the demo's draw; the internal values stay in the table
    t = ch.indicators.copy()
    first = t["indicator"].iloc[0]
    year = int(ch.year) - 1
    units = sorted(t.loc[t["level"] == "sozialraum", "unit_id"].unique())[:3]
    hide = (
        (t["indicator"] == first)
        & (t["year"] == year)
        & (t["level"] == "sozialraum")
        & t["unit_id"].isin(units)
    )
    assert t.loc[hide, "value"].notna().all()
    t.loc[hide, "status"] = "numerator"
    t.loc[
        hide, ["published_value", "pub_value", "pub_lower95", "pub_upper95", "pub_lower998", "pub_upper998"]
    ] = np.nan
    t.loc[hide, "cmp_city"] = "nicht verglichen"
    ch.__dict__["indicators"] = t
    return ch


@pytest.fixture
def ex(chapter):
    return Explorer(chapter=chapter)


def rows(ch, indicator, year, level="sozialraum"):
    t = ch.indicators
    sel = t[(t["indicator"] == indicator) & (t["year"] == year) & (t["level"] == level)]
    return sel.set_index("unit_id").sort_index()


def suppressed_case(ch):
    """(indicator, year) of the Sozialraum level with the most withheld (not missing) values."""
    t = ch.indicators
    hidden = t[(t["level"] == "sozialraum") & ~t["status"].isin(["shown", "missing"]) & t["value"].notna()]
    assert not hidden.empty, "the small demo city should have withheld indicator values"
    return hidden.groupby(["indicator", "year"]).size().idxmax()


def test_indicator_and_year_change_map_colours_table_and_chart(ex, chapter):
    ind = "kinderarmut" if "kinderarmut" in ex.data.indicators else next(iter(ex.data.indicators))
    year = ex.data.years[-2]
    ex.indicator.value = ind
    ex.year.value = year
    expected = rows(chapter, ind, year)
    info = ex.data.indicators[ind]
    m = ex.map.data[0]
    assert list(m.locations) == list(expected.index)
    # map colour = comparison category of the published row (withheld: "nicht verglichen")
    from workbench.render.plots import significance_palette

    cats = list(significance_palette(info.polarity))
    cmp = expected["cmp_city"].where(expected["status"] == "shown", "nicht verglichen")
    assert [cats[c] for c in m.z] == cmp.tolist()
    # dot chart: the published values, ranked
    shown = expected[expected["status"] == "shown"].sort_values("pub_value")
    np.testing.assert_allclose(ex.chart.data[0].x, shown["pub_value"].round(6))
    assert list(ex.chart.data[0].customdata) == list(shown.index)
    # table: every area's published value, in German format
    for uid, r in expected.iterrows():
        text = fmt.number(r["pub_value"], info.decimals) if r["status"] == "shown" else fmt.SUPPRESSED_SIGN
        assert f'data-unit="{uid}"' in ex.table.value
        row = ex.table.value.split(f'data-unit="{uid}"')[1].split("</tr>")[0]
        assert f">{text}</td>" in row
    # another year changes the colours to that year's comparison
    ex.year.value = ex.data.years[0]
    first = rows(chapter, ind, ex.data.years[0])
    cmp0 = first["cmp_city"].where(first["status"] == "shown", "nicht verglichen")
    assert [cats[c] for c in ex.map.data[0].z] == cmp0.tolist()


def test_value_classes_follow_the_values(ex, chapter):
    ex.colour_by.value = "klassen"
    view = ex.current_view
    codes = np.asarray(ex.map.data[0].z)
    shown = view["status"].eq("shown").to_numpy()
    assert (codes[~shown] == 0).all()
    order = np.argsort(view["value"].to_numpy()[shown], kind="stable")
    assert (np.diff(codes[shown][order]) >= 0).all(), "higher values never get a lower class"
    assert 2 <= len(set(codes[shown])) <= 5


def test_profile_link_points_at_the_built_profile_page(ex, chapter, monkeypatch):
    """The link widget carries the page's absolute path (the browser turns it into a /files/ or /voila/files/
    URL, see tests/browser); without a built page it says how to build it; districts have no profile page."""
    unit, other = ex.data.units("sozialraum")[:2]
    page = chapter.cfg.paths.profiles / f"{unit}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("<title>Profil</title>", encoding="utf-8")
    try:
        ex.select(unit)
        assert ex.profile_link.path == page.resolve().as_posix()
        assert ex.profile_link.missing == ""
        ex.select(other)
        assert ex.profile_link.path == ""
        assert "make profiles" in ex.profile_link.missing
        ex.level.value = "stadtbezirk"
        ex.select(ex.data.units("stadtbezirk")[0])
        assert ex.profile_link.path == "" and ex.profile_link.missing == ""
    finally:
        page.unlink()
    monkeypatch.setenv("WORKBENCH_EXPLORER_FILES_ROOT", str(chapter.cfg.paths.reports))
    assert Explorer(chapter=chapter).profile_link.voila_root == chapter.cfg.paths.reports.as_posix()


def test_selecting_an_area_highlights_it_everywhere(ex, chapter):
    unit = ex.data.units("sozialraum")[3]
    label = ex.data.label("sozialraum", unit)
    ex.select(unit)
    assert list(ex.map.data[2].locations) == [unit]
    pos = list(ex.chart.data[0].customdata).index(unit) if unit in ex.chart.data[0].customdata else None
    if pos is not None:
        assert list(ex.chart.data[2].y) == [pos]
    assert f"▶ {label}" in ex.table.value
    assert label in ex.profile.value
    assert len(ex.neighbours) == 5 and unit not in ex.neighbours
    assert sorted(ex.map.data[1].locations) == sorted(ex.neighbours)
    # the same selection by search (name, then number)
    ex.select(None)
    ex.search.value = label
    assert ex.selected == unit
    assert ex.find(unit) == unit
    # a level change clears the selection and shows the districts
    ex.level.value = "stadtbezirk"
    assert ex.selected is None
    assert list(ex.map.data[0].locations) == ex.data.units("stadtbezirk")


def _walk_states(widget):
    """Every widget state reachable from ``widget`` (all children, figure traces) as one list."""
    states = [widget.get_state()]
    if hasattr(widget, "to_dict"):  # plotly FigureWidget: the figure as the browser gets it
        states.append(widget.to_dict())
    for child in getattr(widget, "children", ()):
        states += _walk_states(child)
    return states


def _numbers_and_strings(obj, nums, strs):
    if isinstance(obj, dict) and "bdata" in obj and "dtype" in obj:  # plotly's base64 typed array
        _numbers_and_strings(np.frombuffer(base64.b64decode(obj["bdata"]), dtype=obj["dtype"]), nums, strs)
    elif isinstance(obj, dict):
        for v in obj.values():
            _numbers_and_strings(v, nums, strs)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _numbers_and_strings(v, nums, strs)
    elif isinstance(obj, np.ndarray):
        for v in obj.ravel().tolist():
            _numbers_and_strings(v, nums, strs)
    elif isinstance(obj, (bytes, memoryview)):
        pass
    elif isinstance(obj, bool):
        pass
    elif isinstance(obj, (int, float, np.floating, np.integer)):
        nums.append(float(obj))
    elif isinstance(obj, str):
        strs.append(obj)


def test_withheld_values_never_reach_the_widget_state(ex, chapter):
    indicator, year = suppressed_case(chapter)
    ex.indicator.value = indicator
    ex.year.value = int(year)
    expected = rows(chapter, indicator, int(year))
    hidden = expected[~expected["status"].isin(["shown", "missing"])]
    ex.select(hidden.index[0])  # the profile shows the withheld area too
    for colour in ("vergleich", "klassen"):
        ex.colour_by.value = colour
        nums, strs = [], []
        for state in _walk_states(ex):
            _numbers_and_strings(state, nums, strs)
        nums = np.array(nums)
        published = expected.loc[expected["status"] == "shown", "pub_value"].round(6).to_numpy()
        assert np.isin(published, nums).all(), "the scan must see the figures' data"
        secret = hidden[["value", "lower95", "upper95", "numerator"]].to_numpy(float).ravel()
        # small integers are also ids, sizes and class codes: check non-integers and large counts
        secret = secret[np.isfinite(secret) & ((secret != np.round(secret)) | (np.abs(secret) >= 1000))]
        assert secret.size
        for s in secret:
            assert not np.isclose(nums, s, rtol=0, atol=1e-9).any(), f"internal value {s} in widget state"
        d = ex.data.indicators[indicator].decimals
        blob = "\n".join(strs)
        for uid, r in hidden.iterrows():
            label = ex.data.label("sozialraum", uid)
            hover = [s for s in ex.map.data[0].text if s.startswith(label)][0]
            assert f": {fmt.SUPPRESSED_SIGN}<br>" in hover
            row = ex.table.value.split(f'data-unit="{uid}"')[1].split("</tr>")[0]
            assert f">{fmt.SUPPRESSED_SIGN}</td>" in row
            assert fmt.number(r["value"], d) not in row
            # nor its internal numerator/denominator (the rate would follow from them)
            cells = [c.split(">")[-1] for c in row.split("</td>")]
            for count in (r["numerator"], r["denominator"]):
                if np.isfinite(count) and count >= 3:
                    assert fmt.number(count, 0) not in cells
            assert uid not in list(ex.chart.data[0].customdata)
        assert blob  # the scan saw the texts


def test_neighbours_hand_checked():
    # a: mean 3, sd √5 → z = (−1.342, −0.447, 0.447, 1.342); b: mean 2, sd √8 → z = (−0.707, −0.707, 1.414, –)
    m = pd.DataFrame({"a": [0.0, 2, 4, 6], "b": [0.0, 0, 6, np.nan]}, index=["w", "x", "y", "z"])
    res = nearest(m, "w", k=3)
    assert res["unit_id"].tolist() == ["x", "y", "z"]
    za = 2 / math.sqrt(5)
    zb = 6 / math.sqrt(8)
    assert res["distance"].tolist() == pytest.approx(
        [za, math.sqrt((2 * za) ** 2 + zb**2), math.sqrt((3 * za) ** 2 * 2 / 1)]
    )
    # z has only one common indicator: unscaled it would (wrongly) come before y
    assert res["common"].tolist() == [2, 2, 1]
    assert nearest(m, "w", k=1)["unit_id"].tolist() == ["x"]


def test_explorer_neighbours_use_published_report_year_values(ex):
    unit = ex.data.units("sozialraum")[0]
    ex.select(unit)
    matrix = ex.data.matrix("sozialraum", ex.data.report_year, ex._monitoring)
    assert ex.neighbours == nearest(matrix, unit, 5)["unit_id"].tolist()


def test_export_writes_values_and_notes(ex, chapter, tmp_path):
    indicator, year = suppressed_case(chapter)
    ex.indicator.value = indicator
    ex.year.value = int(year)
    unit = ex.data.units("sozialraum")[1]
    ex.select(unit)
    paths = ex.export(tmp_path)
    text = paths["csv"].read_text(encoding="utf-8-sig")
    assert "# Quelle:" in text and "# Geheimhaltung:" in text and "# Methode:" in text
    table = pd.read_csv(paths["csv"], sep=";", comment="#", dtype=str, keep_default_na=False)
    expected = rows(chapter, indicator, int(year))
    info = ex.data.indicators[indicator]
    col = f"{info.label} ({info.unit})"
    got = table.set_index(table.columns[0])[col]
    for uid, r in expected.iterrows():
        want = fmt.number(r["pub_value"], info.decimals) if r["status"] == "shown" else fmt.SUPPRESSED_SIGN
        assert got[ex.data.label("sozialraum", uid)] == want
    assert "Auswahl" in set(table["Auswahl"])
    xl = pd.read_excel(paths["xlsx"], sheet_name=None)
    assert set(xl) == {"Werte", "Hinweise"}
    assert any("Geheimhaltung" in s for s in xl["Hinweise"]["Hinweise"])
    assert paths["chart"].exists() if "chart" in paths else paths["diagramm"].exists()
    assert (tmp_path / "plotly.min.js").exists(), "the HTML export works offline"


def test_table_click_selects_and_head_click_sorts(ex):
    unit = ex.data.units("sozialraum")[7]
    ex.table.clicked = f"{unit}|1"  # what the browser sends for a click on the row
    assert ex.selected == unit
    assert list(ex.map.data[2].locations) == [unit]
    ex.table.clicked = "no-such-area|2"  # ignored, selection stays
    assert ex.selected == unit
    ex.table.sort_request = "Name|3"
    assert ex.sort.value == "Name" and ex.descending.value is False
    names = [ex.data.label("sozialraum", u).split(" ", 1)[-1] for u in _table_units(ex)]
    assert names == sorted(names)
    ex.table.sort_request = "Name|4"  # the same head again: reversed
    assert ex.descending.value is True
    assert [ex.data.label("sozialraum", u).split(" ", 1)[-1] for u in _table_units(ex)] == sorted(names)[::-1]


def _table_units(ex) -> list[str]:
    return [part.split('"', 1)[0] for part in ex.table.value.split('data-unit="')[1:]]


def test_table_shows_published_numerator_only(ex, chapter):
    counts = chapter.protected_counts
    from workbench.chapters.tables import single_measure

    meta = {i.id: i for i in chapter.catalogue.indicators}
    ind = next(i for i in ex.data.indicators if single_measure(meta[i].numerator))
    measure = single_measure(meta[ind].numerator)
    ex.indicator.value = ind
    view = ex.current_view
    cube = counts[(counts["measure"] == measure) & (counts["level"] == "sozialraum")]
    cube = cube[cube["year"] == ex.year.value]
    cube = cube.set_index(cube["unit_id"].astype(str))
    assert '<th data-sort="Zähler">Zähler</th>' in ex.table.value
    for r in view.itertuples():
        cell = cube.loc[r.unit_id]
        if r.status == "shown" and cell["status"] == "shown":
            assert r.numerator_text == fmt.number(cell["published_value"], 0)
        else:
            assert r.numerator_text == fmt.SUPPRESSED_SIGN


def test_export_writes_svg_and_png_figures(ex, tmp_path):
    ex.select(ex.data.units("sozialraum")[2])
    paths = ex.export(tmp_path)
    for kind in ("karte", "diagramm"):
        svg = paths[f"{kind}_svg"].read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
        assert paths[f"{kind}_png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the notes are drawn under the figure (text as paths, so check the PNG is taller than the plot alone):
    # height from the PNG header (IHDR: width and height as big-endian 32-bit integers at bytes 16–24)
    height = int.from_bytes(paths["karte_png"].read_bytes()[20:24], "big")
    assert height > 600


def test_without_any_comparison_the_map_falls_back_to_value_classes(ex):
    ind, year = ex.indicator.value, ex.year.value
    key = (ind, "sozialraum", int(year))
    ex.data._slices[key] = ex.data._slice(key).assign(cmp_city="nicht verglichen")
    ex.refresh()
    assert ex.colour_by.value == "vergleich"
    assert ex.map.data[0].colorbar.title.text.startswith("Klassen")
    assert "Wertklassen" in ex.note.value
    assert len(set(np.asarray(ex.map.data[0].z))) >= 2


def test_display_sends_the_current_figures(ex):
    """A page that connects after the updates (Voila) builds the figures from the widget state: displaying the
    explorer must bring that state up to date."""
    ex.indicator.value = list(ex.data.indicators)[1]
    ex.select(ex.data.units("sozialraum")[0])
    ex._repr_mimebundle_()
    state = ex.map._widget_data[0]
    np.testing.assert_array_equal(np.asarray(state["z"]), np.asarray(ex.map.data[0].z))
    assert list(ex.map._widget_data[2]["locations"]) == [ex.data.units("sozialraum")[0]]
    assert ex.chart._widget_layout["title"]["text"].startswith(ex.data.indicators[ex.indicator.value].label)
    assert ex.map._config["topojsonURL"].startswith("data:application/json,")


def test_display_text_is_short(ex):
    """The display bundle's text form names the explorer instead of writing out every figure (its GeoJSON took
    seconds with 542 areas)."""
    bundle = ex._repr_mimebundle_()
    assert bundle["text/plain"] == f"Explorer(Kleinstadt, {len(ex.data.units('sozialraum'))} Sozialräume)"
    assert "application/vnd.jupyter.widget-view+json" in bundle
