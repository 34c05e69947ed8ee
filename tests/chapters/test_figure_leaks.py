"""Planted leaks of the published figures (issue #12, items 2 and 3), each as a small hand-made case.

1. Profile age pyramid: an area with bands of 1, 2 and 2 persons. Before: the hidden bands were drawn as 0 and
   the header printed the true total, so a single hidden band was total − drawn bands. Now the bands are
   protected jointly with the totals (rows: header totals, columns: the city line), at least two are hidden
   where one is, and no hidden band is pinned by everything the pyramids publish (exact linear programme).
2. Spine chart and sparklines: a value and its 95 % interval drawn with more digits than the table shows
   pinned numerator and denominator. Now two inputs that differ only beyond the table precision give the
   same SVG bytes, and a withheld value has no interval.
3. A withheld city value: every comparison against it is "nicht verglichen" (tables, overview, sentence), and
   the map legend counts each area once.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from workbench.chapters import indicator_views as views
from workbench.chapters import tables as reporttables
from workbench.chapters.profile import PYRAMID_TOTAL, pyramid_bands
from workbench.confidentiality import Rules, protect_counts
from workbench.indicators import compute, load_catalogue
from workbench.io.dataset import Dataset
from workbench.render import maps, svg

NS = "{http://www.w3.org/2000/svg}"


# ------------------------------------------------------------------------------------------- 1. pyramid
def planted_population() -> pd.DataFrame:
    """Four areas, single years 0–94 by sex; area A has the bands m 85–89 = 1, w 85–89 = 2, w 90+ = 2."""
    rows = []
    for k, area in enumerate(["A", "B", "C", "D"]):
        for sex in ("m", "w"):
            for age in range(95):
                n = 4 + (age + k) % 3  # every other band 20 … 30
                if area == "A" and age >= 85:
                    n = 0
                rows.append((area, 2024, sex, age, n))
    pop = pd.DataFrame(rows, columns=["area_id", "year", "sex", "age", "count"])
    planted = {("m", 85): 1, ("w", 86): 2, ("w", 92): 2}
    for (sex, age), n in planted.items():
        pop.loc[(pop.area_id == "A") & (pop.sex == sex) & (pop.age == age), "count"] = n
    return pop


def published_grid(bands: pd.DataFrame) -> pd.DataFrame:
    """What the pyramids and headers publish: unit × cell (sex|age, total), NaN where withheld."""
    b = bands.assign(
        cell=np.where(bands["age"] < 0, PYRAMID_TOTAL, bands["sex"] + "|" + bands["age"].astype(str))
    )
    return b.pivot(index="unit_id", columns="cell", values="published")


def exact_ranges(bands: pd.DataFrame) -> dict[tuple[str, str], tuple[float, float]]:
    """Min and max of every withheld cell given all published cells, row sums = totals, column sums = city
    (non-negative counts): what an outsider can derive at best."""
    true = bands.assign(
        cell=np.where(bands["age"] < 0, PYRAMID_TOTAL, bands["sex"] + "|" + bands["age"].astype(str))
    ).pivot(index="unit_id", columns="cell", values="count")
    pub = published_grid(bands).reindex_like(true)
    cells = [(r, c) for r in true.index for c in true.columns]
    unknown = [rc for rc in cells if np.isnan(pub.at[rc])]
    pos = {rc: i for i, rc in enumerate(unknown)}
    band_cols = [c for c in true.columns if c != PYRAMID_TOTAL]
    areas = [r for r in true.index if r != "stadt"]
    rels = [[(r, c) for c in band_cols] + [(r, PYRAMID_TOTAL)] for r in true.index]  # Σ bands − total = 0
    rels += [[(a, c) for a in areas] + [("stadt", c)] for c in true.columns]  # Σ areas − city = 0
    a_eq, b_eq = [], []
    for rel in rels:
        row, rhs = np.zeros(len(unknown)), 0.0
        for j, rc in enumerate(rel):
            sign = -1.0 if j == len(rel) - 1 else 1.0
            if rc in pos:
                row[pos[rc]] += sign
            else:
                rhs -= sign * pub.at[rc]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    out = {}
    for rc, i in pos.items():
        c = np.zeros(len(unknown))
        c[i] = 1.0
        lo = linprog(c, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=(0, None), method="highs")
        out[rc] = (lo.fun, -hi.fun)
    return out


def test_planted_pyramid_bands_are_not_recoverable():
    bands = pyramid_bands(planted_population(), 2024, rules=Rules(threshold=3))
    a = bands[bands["unit_id"] == "A"]
    small = a[(a["count"] > 0) & (a["count"] < 3)]
    assert sorted(small["count"].tolist()) == [1, 2, 2]
    assert small["published"].isna().all() and (small["status"] == "primary").all()
    # the header total stays published, so more bands than the three small ones are hidden
    assert a.loc[a["age"] < 0, "published"].iloc[0] == a.loc[a["age"] >= 0, "count"].sum()
    hidden_a = a[(a["age"] >= 0) & a["published"].isna()]
    assert len(hidden_a) > 3
    ranges = exact_ranges(bands)
    for (unit, cell), (lo, hi) in ranges.items():
        assert hi - lo >= 1.0 - 1e-6, f"{unit} {cell} pinned to {lo}"
    # the three planted cells keep an interval that does not pin 1 or 2
    for r in small.itertuples():
        lo, hi = ranges[(r.unit_id, f"{r.sex}|{r.age}")]
        assert lo <= r.count <= hi and hi >= 3


def test_planted_pyramid_svg_draws_hidden_bands_as_withheld():
    bands = pyramid_bands(planted_population(), 2024, rules=Rules(threshold=3))
    area, city = bands[bands["unit_id"] == "A"], bands[bands["unit_id"] == "stadt"]
    total = float(area.loc[area["age"] < 0, "published"].iloc[0])
    out = svg.pyramid_svg(
        area,
        city,
        value_col="published",
        total_a=total,
        total_b=float(city.loc[city["age"] < 0, "published"].iloc[0]),
    )
    root = ET.fromstring(out)
    bars = [r for r in root.iter(f"{NS}rect") if r.get("data-sex")]
    assert len(bars) == 2 * 19
    drawn = {(r.get("data-sex"), int(r.get("data-age"))): r for r in bars}
    for r in area[area["age"] >= 0].itertuples():
        el = drawn[(r.sex, int(r.age))]
        if np.isnan(r.published):  # hatched, no share, no width that depends on the value
            assert el.get("data-suppressed") == "true" and el.get("data-share") is None
            assert float(el.get("width")) == 14.0
        else:  # the share as a 0.1-%-table cell shows it, never finer
            assert el.get("data-share") == f"{round(100 * r.count / total, 1):.1f}"
    # the attack: header total minus the drawn bands no longer equals a single hidden band
    hidden = [el for el in bars if el.get("data-suppressed")]
    assert len(hidden) >= 2 and "geheimgehalten" in out


# ------------------------------------------------------------------------------------- 2. chart precision
def test_spine_and_sparkline_carry_no_digit_beyond_the_table():
    def rows(value: float, city: float, lo: float, hi: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "label": ["Armut"],
                "value": [value],
                "city_value": [city],
                "min": [lo],
                "p25": [lo + 1],
                "p75": [hi - 1],
                "max": [hi],
                "comparison": ["schlechter"],
                "polarity": ["hoch = schlecht"],
                "unit": ["%"],
                "decimals": [1],
            },
            index=pd.Index(["a"], name="indicator"),
        )

    fine = svg.spine_chart_svg(rows(12.3456, 10.0412, 2.0449, 20.0351))
    coarse = svg.spine_chart_svg(rows(12.3, 10.0, 2.0, 20.0))
    assert fine == coarse  # digits beyond the table cell do not reach the figure
    # the position has no more digits than the value's table cell: 0.5 − 2.3 / 20 = 0.385 → "0.4"
    assert re.search(r'data-pos="([0-9.]+)"', fine).group(1) == "0.4"
    cx = float(re.search(r'translate\(([0-9.]+),[0-9.]+\)"[^>]*data-pos', fine).group(1))  # ▼ schlechter
    assert cx == pytest.approx(420 + 0.385 * (780 - 12 - 420), abs=0.05)  # drawn from the rounded values

    def spark(v: list[float], lo: list[float], hi: list[float]) -> str:
        return svg.sparkline_svg([2022, 2023, 2024], v, lo, hi, [10.04, 10.11, 9.96], decimals=1)

    a = spark([12.3449, 12.81, 13.04], [11.02, 11.56, 11.96], [13.71, 14.149, 14.06])
    b = spark([12.3, 12.8, 13.0], [11.0, 11.6, 12.0], [13.7, 14.1, 14.1])
    assert a == b
    # a withheld value has no interval, even when bounds are handed in
    c = spark([12.3, np.nan, 13.0], [11.0, 11.6, 12.0], [13.7, 14.1, 14.1])
    band = [p.get("d") for p in ET.fromstring(c).iter(f"{NS}path") if p.get("fill-opacity") == "0.18"]
    assert len(band) == 2  # two separate one-point bands, none at 2023


# ------------------------------------------------------------------------------ 3. withheld benchmark
@pytest.fixture(scope="module")
def withheld_city(small_processed):
    """The small demo city with the city's count of children in SGB II withheld in the last year (planted)."""
    ds = Dataset(small_processed)
    cat = load_catalogue()
    rules = Rules(threshold=3, min_base=20, suppress_on_denominator=True)
    prot = protect_counts(ds.counts, ds.keys, rules)
    year = max(ds.years)
    city = (prot["level"] == "stadt") & (prot["measure"] == "sgb2_u15") & (prot["year"] == year)
    assert city.sum() == 1
    prot.loc[city, ["published_value", "status"]] = [np.nan, "secondary"]
    raw = compute(cat, ds.population, ds.counts, ds.keys)
    table = reporttables.protect_indicators(raw, cat, prot, rules)
    return ds, cat, table, raw, year


def test_comparisons_against_a_withheld_city_value(withheld_city):
    ds, cat, table, raw, year = withheld_city
    ind = cat["kinderarmut"]
    cur = table[(table["indicator"] == "kinderarmut") & (table["year"] == year)]
    assert cur.loc[cur["level"] == "stadt", "pub_value"].isna().all()
    # before: the raw comparisons judged areas against the withheld value
    raw_cur = raw[
        (raw["indicator"] == "kinderarmut") & (raw["year"] == year) & (raw["level"] == "sozialraum")
    ]
    assert raw_cur["cmp_city"].isin(["besser", "schlechter"]).any()
    for col in [c for c in cur.columns if c.startswith("cmp_city")]:
        assert (cur[col] == "nicht verglichen").all(), col
    # other years keep their comparisons
    prev = table[
        (table["indicator"] == "kinderarmut") & (table["year"] == year - 1) & (table["level"] == "sozialraum")
    ]
    assert prev["cmp_city"].isin(["besser", "schlechter", "ähnlich"]).any()
    # overview and sentence
    line = next(
        x for x in views.overview(table, [ind], year, cat).splitlines() if x.startswith(f"| {ind.label}")
    )
    assert "nicht verglichen" in line and not re.search(r"\| \d+ \|", line)
    assert "nicht möglich" in views.summary(table, ind, year, cat)
    # the map: every area counted once, all of them "nicht verglichen" or "geheimgehalten"
    rows = cur[cur["level"] == "sozialraum"]
    gdf = ds.areas.merge(rows[["unit_id", "cmp_city", "status"]], left_on="area_id", right_on="unit_id")
    gdf["suppressed"] = gdf["status"].ne("shown")
    fig = maps.significance_map(gdf, "cmp_city", polarity=ind.polarity, suppressed="suppressed")
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    counts = {re.sub(r"( [▲▼●○])? \(\d+\)$", "", t): int(re.search(r"\((\d+)\)$", t).group(1)) for t in texts}
    assert sum(counts.values()) == len(gdf) == 12
    assert counts["nicht verglichen"] + counts.get("geheimgehalten", 0) == 12
