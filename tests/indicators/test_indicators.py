"""Tests for workbench.indicators: a hand-built city of 3 Sozialräume in 2 Stadtbezirke over 6 years.

Areas: 0101 and 0102 in Stadtbezirk 01, 0201 in Stadtbezirk 02; years 2019–2024; population constant:

| area | children 0–14 | 65+ | total | nichtdeutsch |
|------|---------------|-----|-------|--------------|
| 0101 | 1000          | 500 | 4500  | 500          |
| 0102 | 500           | 300 | 2300  | 1500         |
| 0201 | 2000 (age 14!)| 1000 (age 100) | 7000 | 1000   |

Measures: ``m1`` (share numerator, rising in 0101: 100 + 50·(year − 2019), 50 in 0102, 530 in 0201),
``m2`` (rate numerator: 5, 30, 120), ``m3``/``m4`` (difference), ``m5`` (suppressed in 0102/2024, missing in
0201/2019). Reference values are computed independently (statsmodels, scipy, the METHODS.md formulas).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from workbench.errors import ConfigError, DataValidationError
from workbench.indicators import COLUMNS, compute, indicator_meta, load_catalogue, parse_catalogue, series

YEARS = list(range(2019, 2025))
AREAS = {
    "0101": ("Altstadt", "01", "Mitte"),
    "0102": ("Hafen", "01", "Mitte"),
    "0201": ("Nordfeld", "02", "Nord"),
}
CELLS = {  # (sex, age, nationality, count)
    "0101": [
        ("m", 5, "deutsch", 500),
        ("w", 5, "nichtdeutsch", 500),
        ("m", 40, "deutsch", 3000),
        ("w", 70, "deutsch", 500),
    ],
    "0102": [
        ("m", 5, "deutsch", 250),
        ("w", 5, "deutsch", 250),
        ("w", 40, "nichtdeutsch", 1500),
        ("m", 70, "deutsch", 300),
    ],
    "0201": [
        ("m", 5, "deutsch", 1000),
        ("w", 14, "deutsch", 1000),
        ("m", 15, "deutsch", 4000),
        ("w", 100, "nichtdeutsch", 1000),
    ],
}
CHILDREN = {"0101": 1000, "0102": 500, "0201": 2000}
TOTAL = {"0101": 4500, "0102": 2300, "0201": 7000}
OLD = {"0101": 500, "0102": 300, "0201": 1000}
Z95, Z998 = 1.959963984540054, 3.090232306167813


def m1(area: str, year: int) -> float:
    return {"0101": 100 + 50 * (year - 2019), "0102": 50, "0201": 530}[area]


def _population() -> pd.DataFrame:
    rows = [(a, y, s, age, nat, c) for a, cells in CELLS.items() for y in YEARS for (s, age, nat, c) in cells]
    return pd.DataFrame(rows, columns=["area_id", "year", "sex", "age", "nationality", "count"])


def _counts() -> pd.DataFrame:
    rows = []
    for a in AREAS:
        for y in YEARS:
            rows.append((a, y, "m1", float(m1(a, y)), False))
            rows.append((a, y, "m2", {"0101": 5.0, "0102": 30.0, "0201": 120.0}[a], False))
            rows.append((a, y, "m3", {"0101": 100.0, "0102": 10.0, "0201": 70.0}[a], False))
            rows.append((a, y, "m4", {"0101": 55.0, "0102": 33.0, "0201": 0.0}[a], False))
            if a == "0102" and y == 2024:
                rows.append((a, y, "m5", np.nan, True))
            elif not (a == "0201" and y == 2019):
                rows.append((a, y, "m5", 100.0, False))
    return pd.DataFrame(rows, columns=["area_id", "year", "measure", "value", "suppressed"])


def _keys() -> pd.DataFrame:
    rows = [(a + "01", f"Block {a}", a, n, d, dn) for a, (n, d, dn) in AREAS.items()]
    return pd.DataFrame(
        rows, columns=["block_id", "block_name", "area_id", "area_name", "district_id", "district_name"]
    )


def _entry(id_: str, numerator: dict, denominator: dict, **over) -> dict:
    entry = {
        "id": id_,
        "label": id_.capitalize(),
        "definition": "Testindikator",
        "numerator": numerator,
        "denominator": denominator,
        "unit": "%",
        "multiplier": 100,
        "polarity": "hoch = schlecht",
        "method": "wilson",
        "topic": "test",
        "source": "Test",
        "reference_date": "31.12.",
    }
    entry.update(over)
    return entry


CHILD_POP = {"population": {"age": [0, 14]}}
CAT = parse_catalogue(
    {
        "indicators": [
            _entry("bad", {"measure": "m1"}, CHILD_POP),
            _entry("good", {"measure": "m1"}, CHILD_POP, polarity="hoch = gut"),
            _entry("neutral", {"measure": "m1"}, CHILD_POP, polarity="neutral"),
            _entry(
                "rate",
                {"measure": "m2"},
                {"population": {"age": [65, None]}},
                unit="je 1.000",
                multiplier=1000,
                method="poisson",
            ),
            _entry(
                "saldo",
                {"measure": "m3", "minus": "m4"},
                {"population": {}},
                unit="je 1.000",
                multiplier=1000,
                method="none",
                polarity="neutral",
            ),
            _entry(
                "foreign",
                {"population": {"nationality": "nichtdeutsch"}},
                {"population": {}},
                polarity="neutral",
            ),
            _entry("women_old", {"population": {"sex": "w", "age": [65, None]}}, {"population": {}}),
            _entry("supp", {"measure": "m5"}, CHILD_POP),
        ]
    }
)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return compute(CAT, _population(), _counts(), _keys())


def row(table: pd.DataFrame, indicator: str, unit: str, year: int) -> pd.Series:
    sel = table[(table["indicator"] == indicator) & (table["unit_id"] == unit) & (table["year"] == year)]
    assert len(sel) == 1
    return sel.iloc[0]


# ---------------------------------------------------------------------------------------------------------
# Shape and values
# ---------------------------------------------------------------------------------------------------------


def test_table_shape_and_columns(table):
    assert list(table.columns) == COLUMNS
    # 8 indicators × (3 areas + 2 districts + 1 city) × 6 years
    assert len(table) == 8 * 6 * 6
    city = table[table["level"] == "stadt"]
    assert set(city["unit_id"]) == {"stadt"} and city["parent_id"].isna().all()
    districts = table[table["level"] == "stadtbezirk"]
    assert set(districts["parent_id"]) == {"stadt"}
    areas = table[(table["level"] == "sozialraum") & (table["indicator"] == "bad") & (table["year"] == 2024)]
    assert dict(zip(areas["unit_id"], areas["parent_id"], strict=True)) == {
        "0101": "01",
        "0102": "01",
        "0201": "02",
    }
    assert dict(zip(areas["unit_id"], areas["unit_name"], strict=True))["0201"] == "Nordfeld"


def test_values_and_aggregation_by_hand(table):
    r = row(table, "bad", "0101", 2024)
    assert (r.numerator, r.denominator, r.value) == (350.0, 1000.0, pytest.approx(35.0))
    d = row(table, "bad", "01", 2024)
    assert (d.numerator, d.denominator) == (400.0, 1500.0)
    assert d.value == pytest.approx(400 / 1500 * 100)
    c = row(table, "bad", "stadt", 2024)
    assert (c.numerator, c.denominator) == (930.0, 3500.0)
    assert c.value == pytest.approx(930 / 3500 * 100)
    assert r.city_value == pytest.approx(930 / 3500 * 100)
    assert r.parent_value == pytest.approx(400 / 1500 * 100)
    assert d.parent_value == pytest.approx(930 / 3500 * 100)
    assert np.isnan(c.parent_value)
    # age 14 is a child, age 15 is not; the 100-year-olds count as 65+
    assert row(table, "bad", "0201", 2024).denominator == 2000
    assert row(table, "rate", "0201", 2024).denominator == 1000
    # population filters: nationality; sex combined with open age range
    assert row(table, "foreign", "0102", 2020).value == pytest.approx(1500 / 2300 * 100)
    assert row(table, "foreign", "stadt", 2020).value == pytest.approx(3000 / 13800 * 100)
    assert row(table, "women_old", "0201", 2020).value == pytest.approx(1000 / 7000 * 100)
    assert row(table, "women_old", "0102", 2020).value == 0.0


def test_difference_indicator_has_no_interval(table):
    r = row(table, "saldo", "0102", 2024)
    assert r.numerator == -23 and r.value == pytest.approx(-23 / 2300 * 1000)
    assert row(table, "saldo", "stadt", 2024).value == pytest.approx(92 / 13800 * 1000)
    sub = table[table["indicator"] == "saldo"]
    assert sub[["lower95", "upper95", "lower998", "upper998"]].isna().all().all()
    assert set(sub["cmp_city"]) == {"nicht verglichen"}
    assert set(sub["trend"]) == {"nicht berechenbar"}


# ---------------------------------------------------------------------------------------------------------
# Intervals against independent references
# ---------------------------------------------------------------------------------------------------------


def test_wilson_intervals_match_statsmodels(table):
    sub = table[(table["indicator"] == "bad") & (table["year"] == 2024)]
    x = sub["numerator"].to_numpy()
    n = sub["denominator"].to_numpy()
    lo95, up95 = proportion_confint(x, n, alpha=0.05, method="wilson")
    lo998, up998 = proportion_confint(x, n, alpha=0.002, method="wilson")
    np.testing.assert_allclose(sub["lower95"], lo95 * 100, rtol=1e-9)
    np.testing.assert_allclose(sub["upper95"], up95 * 100, rtol=1e-9)
    np.testing.assert_allclose(sub["lower998"], lo998 * 100, rtol=1e-9)
    np.testing.assert_allclose(sub["upper998"], up998 * 100, rtol=1e-9)
    r = row(table, "bad", "0101", 2024)  # hand check 350/1000 via the METHODS.md formula
    root = Z95 * np.sqrt(Z95**2 + 4 * 350 * (1 - 0.35))
    assert r.lower95 == pytest.approx((700 + Z95**2 - root) / (2 * (1000 + Z95**2)) * 100, rel=1e-9)


def test_poisson_intervals_exact_and_byar(table):
    r = row(table, "rate", "0101", 2024)  # x = 5 < 10: exact limits via chi²
    assert r.value == pytest.approx(10.0)
    assert r.lower95 == pytest.approx(sps.chi2.ppf(0.025, 10) / 2 / 500 * 1000, rel=1e-9)
    assert r.upper95 == pytest.approx(sps.chi2.ppf(0.975, 12) / 2 / 500 * 1000, rel=1e-9)
    assert r.upper998 == pytest.approx(sps.chi2.ppf(0.999, 12) / 2 / 500 * 1000, rel=1e-9)
    r = row(table, "rate", "0102", 2024)  # x = 30: Byar
    lo = 30 * (1 - 1 / 270 - Z95 / (3 * np.sqrt(30))) ** 3
    up = 31 * (1 - 1 / 279 + Z95 / (3 * np.sqrt(31))) ** 3
    assert (r.lower95, r.upper95) == (
        pytest.approx(lo / 300 * 1000, rel=1e-9),
        pytest.approx(up / 300 * 1000, rel=1e-9),
    )
    c = row(table, "rate", "stadt", 2024)  # 155 events / 1800 aged 65+
    assert c.value == pytest.approx(155 / 1800 * 1000)
    assert c.lower95 == pytest.approx(
        155 * (1 - 1 / 1395 - Z95 / (3 * np.sqrt(155))) ** 3 / 1800 * 1000, rel=1e-9
    )


# ---------------------------------------------------------------------------------------------------------
# Comparisons, suppression, trends, quintiles
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indicator", "expected"),
    [
        ("bad", {"0101": "schlechter", "0102": "besser", "0201": "ähnlich"}),
        ("good", {"0101": "besser", "0102": "schlechter", "0201": "ähnlich"}),
        ("neutral", {"0101": "höher", "0102": "niedriger", "0201": "ähnlich"}),
    ],
)
def test_comparison_labels_follow_polarity(table, indicator, expected):
    # city 930/3500 = 26.57 %: 0101 35 % [32.1; 38.0] above, 0102 10 % below, 0201 26.5 % [24.6; 28.5] contains it
    sub = table[
        (table["indicator"] == indicator) & (table["level"] == "sozialraum") & (table["year"] == 2024)
    ]
    assert dict(zip(sub["unit_id"], sub["cmp_city"], strict=True)) == expected
    assert dict(zip(sub["unit_id"], sub["cmp_city_998"], strict=True)) == expected
    # parent: 0201 is alone in its district → similar; 0101 vs district 01 (26.7 %) → above
    assert dict(zip(sub["unit_id"], sub["cmp_parent"], strict=True))["0201"] == "ähnlich"
    assert dict(zip(sub["unit_id"], sub["cmp_parent"], strict=True))["0101"] == expected["0101"]
    assert row(table, indicator, "stadt", 2024).cmp_city == "nicht verglichen"


def test_comparison_at_998_differs_from_95():
    # 0101 in 2019: 100/1000 = 10 %, city 680/3500 = 19.43 % → far; build a borderline case instead:
    # 0102 share 50/500 = 10 % vs a city value chosen between the 95 % and the 99.8 % upper limit.
    lo95, up95 = proportion_confint(50, 500, alpha=0.05, method="wilson")
    lo998, up998 = proportion_confint(50, 500, alpha=0.002, method="wilson")
    # other areas' shares set so that the city share lies between up95 and up998
    target = (up95 + up998) / 2
    rest_n = 1000 + 2000
    rest_x = round(target * 3500 - 50)
    counts = _counts()
    mask = (counts["measure"] == "m1") & (counts["year"] == 2024) & (counts["area_id"] != "0102")
    counts.loc[mask & (counts["area_id"] == "0101"), "value"] = round(rest_x * 1000 / rest_n)
    counts.loc[mask & (counts["area_id"] == "0201"), "value"] = rest_x - round(rest_x * 1000 / rest_n)
    t = compute(CAT, _population(), counts, _keys(), indicators=["bad"], years=[2024])
    r = row(t, "bad", "0102", 2024)
    assert up95 * 100 < r.city_value < up998 * 100
    assert r.cmp_city == "besser" and r.cmp_city_998 == "ähnlich"


def test_suppressed_numerator_propagates(table):
    r = row(table, "supp", "0102", 2024)
    assert r.numerator_suppressed and np.isnan(r.numerator) and np.isnan(r.value)
    assert np.isnan(r.lower95) and r.cmp_city == "nicht verglichen" and r.cmp_parent == "nicht verglichen"
    d = row(table, "supp", "01", 2024)
    assert d.numerator_suppressed and np.isnan(d.numerator) and np.isnan(d.value)
    c = row(table, "supp", "stadt", 2024)
    assert c.numerator_suppressed and np.isnan(c.value)
    # the other areas keep their values but cannot be compared with an unknown city value
    ok = row(table, "supp", "0101", 2024)
    assert ok.value == pytest.approx(10.0) and not ok.numerator_suppressed
    assert np.isnan(ok.city_value) and ok.cmp_city == "nicht verglichen"
    assert row(table, "supp", "02", 2024).value == pytest.approx(5.0)
    assert row(table, "supp", "0201", 2024).cmp_parent == "ähnlich"
    # a missing (not suppressed) count is unknown too, but not flagged as suppressed
    m = row(table, "supp", "0201", 2019)
    assert np.isnan(m.value) and not m.numerator_suppressed
    assert np.isnan(row(table, "supp", "stadt", 2019).value)
    # the suppressed year breaks the five-year trend window of 0102
    assert row(table, "supp", "0102", 2024).trend == "nicht berechenbar"
    assert row(table, "supp", "0102", 2023).trend == "keine signifikante Veränderung"


def _chi2_trend(x, n):
    """METHODS.md χ² test for trend, written out independently."""
    x, n = np.asarray(x, float), np.asarray(n, float)
    t = np.arange(1, len(x) + 1)
    big_x, big_n = x.sum(), n.sum()
    num = big_n * (big_n * (x * t).sum() - big_x * (n * t).sum()) ** 2
    den = big_x * (big_n - big_x) * (big_n * (n * t * t).sum() - (n * t).sum() ** 2)
    return num / den


def test_trend_markers_on_rising_series(table):
    x = [m1("0101", y) for y in range(2020, 2025)]
    assert _chi2_trend(x, [1000] * 5) > 9.5495  # independent check that the series is significant
    sub = table[(table["indicator"] == "bad") & (table["unit_id"] == "0101")].set_index("year")["trend"]
    assert sub[2024] == "steigend" and sub[2023] == "steigend"
    assert set(sub[[2019, 2020, 2021, 2022]]) == {"nicht berechenbar"}  # fewer than 5 years of history
    assert row(table, "bad", "0102", 2024).trend == "keine signifikante Veränderung"
    # district 01 rises too (0101 dominates), the city as well
    assert row(table, "bad", "01", 2024).trend == "steigend"
    assert row(table, "rate", "0201", 2024).trend == "keine signifikante Veränderung"
    # reporting only 2024 still uses the history for the trend
    only = compute(
        CAT, _population(), _counts(), _keys(), years=[2024], indicators=["bad"], levels=["sozialraum"]
    )
    assert len(only) == 3 and set(only["year"]) == {2024}
    assert row(only, "bad", "0101", 2024).trend == "steigend"


def test_falling_series_and_quintiles():
    """Ten areas in one district: falling share in area 01; quintiles by rank, 1 = highest value."""
    areas = [f"01{i:02d}" for i in range(1, 11)]
    pop = pd.DataFrame(
        [(a, y, "m", 10, "deutsch", 1000) for a in areas for y in YEARS],
        columns=["area_id", "year", "sex", "age", "nationality", "count"],
    )
    share = {a: 20 * (i + 1) for i, a in enumerate(areas)}  # 20 … 200 of 1000
    rows = []
    for a in areas:
        for y in YEARS:
            value = 400 - 40 * (y - 2019) if a == "0101" else share[a]
            rows.append((a, y, "m1", float(value), False))
    counts = pd.DataFrame(rows, columns=["area_id", "year", "measure", "value", "suppressed"])
    keys = pd.DataFrame(
        {
            "area_id": areas,
            "area_name": areas,
            "district_id": "01",
            "district_name": "Mitte",
            "block_id": areas,
        }
    )
    t = compute(CAT, pop, counts, keys, indicators=["bad"])
    assert row(t, "bad", "0101", 2024).trend == "fallend"
    sub = t[(t["level"] == "sozialraum") & (t["year"] == 2024)].set_index("unit_id")
    # 2024 values: 0101 = 200 (tied with 0110), others 40 … 200
    values = sub["value"]
    ranks = values.rank(ascending=False, method="average")
    expected = np.ceil(ranks * 5 / 10).astype(int)
    assert sub["quintile"].tolist() == expected.tolist()
    assert (
        sub.loc["0102", "quintile"] == 5 and sub.loc["0101", "quintile"] == sub.loc["0110", "quintile"] == 1
    )
    assert sub.loc["0109", "quintile"] == 2
    # only one district and one city: no quintiles there
    assert t.loc[t["level"] != "sozialraum", "quintile"].isna().all()


def test_series_and_meta(table):
    wide = series(table, "bad", "sozialraum")
    assert list(wide.columns) == YEARS and list(wide.index) == ["0101", "0102", "0201"]
    assert wide.loc["0101", 2019] == pytest.approx(10.0)
    meta = indicator_meta(CAT)
    assert list(meta["id"])[:3] == ["bad", "good", "neutral"]
    assert meta.set_index("id").loc["saldo", "numerator"] == "m3 − m4"
    with pytest.raises(ConfigError, match="keine Werte"):
        series(table, "unbekannt", "sozialraum")


# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------


def test_unknown_measure_names_indicator_and_field():
    cat = parse_catalogue({"indicators": [_entry("tippfehler", {"measure": "m1"}, {"measure": "m9x"})]})
    with pytest.raises(ConfigError) as err:
        compute(cat, _population(), _counts(), _keys())
    text = str(err.value)
    assert "tippfehler" in text and "denominator.measure" in text and "m9x" in text and "m1, m2" in text


def test_no_indicator_gives_the_empty_table(table):
    """A city whose data allow no indicator: the empty table with the columns and dtypes of a full one."""
    empty = compute(CAT, _population(), _counts(), _keys(), indicators=[])
    assert empty.empty and list(empty.columns) == COLUMNS
    assert dict(empty.dtypes) == dict(table.dtypes)
    assert list(compute(CAT, _population(), _counts(), _keys(), confidence_levels=(0.9,), indicators=[])) == [
        c for c in COLUMNS if not c.endswith("998")
    ][:9] + ["lower90", "upper90"] + [c for c in COLUMNS[13:] if not c.endswith("998")]


def test_share_above_100_percent_is_an_error():
    cat = parse_catalogue(
        {"indicators": [_entry("zu_viel", {"measure": "m1"}, {"population": {"age": [70, 70]}})]}
    )
    with pytest.raises(DataValidationError) as err:
        compute(cat, _population(), _counts(), _keys())
    assert "zu_viel" in str(err.value) and "Zähler größer als Nenner" in str(err.value)
    assert "method: poisson" in str(err.value)


def test_bad_tables_and_arguments():
    counts = _counts()
    counts.loc[0, "area_id"] = "9999"
    with pytest.raises(DataValidationError, match="9999"):
        compute(CAT, _population(), counts, _keys())
    with pytest.raises(DataValidationError, match="mehrfach"):
        compute(CAT, _population(), pd.concat([_counts(), _counts().head(1)]), _keys())
    with pytest.raises(DataValidationError, match="count"):
        compute(CAT, _population().drop(columns="count"), _counts(), _keys())
    pop = _population()
    pop.loc[0, "sex"] = "x"
    with pytest.raises(DataValidationError, match="sex"):
        compute(CAT, pop, _counts(), _keys())
    with pytest.raises(ConfigError, match="2030"):
        compute(CAT, _population(), _counts(), _keys(), years=[2030])
    with pytest.raises(ConfigError, match="Gebietsebene"):
        compute(CAT, _population(), _counts(), _keys(), levels=["land"])
    with pytest.raises(ConfigError, match="nicht im Katalog"):
        compute(CAT, _population(), _counts(), _keys(), indicators=["fehlt"])


def test_confidence_levels_in_percent_and_single_level():
    t = compute(CAT, _population(), _counts(), _keys(), indicators=["bad"], confidence_levels=(99.8,))
    assert "lower998" in t.columns and "lower95" not in t.columns and "cmp_city_998" not in t.columns
    r = row(t, "bad", "0101", 2024)
    lo, _ = proportion_confint(350, 1000, alpha=0.002, method="wilson")
    assert r.lower998 == pytest.approx(lo * 100, rel=1e-9)


# ---------------------------------------------------------------------------------------------------------
# Catalogue validation
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ({"drop": "polarity"}, ["kaputt", "polarity", "Pflichtfeld"]),
        ({"unit": "Prozent"}, ["kaputt", "unit", '"%"', '"je 1.000"']),
        ({"polarity": "schlecht"}, ["kaputt", "polarity", "hoch = gut"]),
        ({"method": "bootstrap"}, ["kaputt", "method", "wilson"]),
        ({"multiplier": 1000}, ["kaputt", "multiplier", "100"]),
        ({"numerator": {"population": {"age": [14, 5]}}}, ["kaputt", "numerator.population.age"]),
        ({"numerator": {"population": {"sex": "f"}}}, ["kaputt", "numerator.population.sex", "m, w"]),
        ({"denominator": {"messure": "m1"}}, ["kaputt", "denominator", "population"]),
        ({"colour": "rot"}, ["kaputt", "colour", "unbekannt"]),
    ],
)
def test_malformed_entries_name_entry_and_field(change, needles):
    entry = _entry("kaputt", {"measure": "m1"}, CHILD_POP)
    if "drop" in change:
        entry.pop(change["drop"])
    else:
        entry.update(change)
    with pytest.raises(ConfigError) as err:
        parse_catalogue({"indicators": [_entry("ok", {"measure": "m1"}, CHILD_POP), entry]})
    for needle in needles:
        assert needle in str(err.value)


def test_entry_without_id_is_named_by_position(tmp_path):
    path = tmp_path / "ind.yaml"
    path.write_text("indicators:\n  - label: Ohne id\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    assert "Eintrag Nr. 1" in str(err.value) and str(path) in str(err.value) and "'id'" in str(err.value)
    path.write_text("indicators: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="YAML"):
        load_catalogue(path)
    dup = {
        "indicators": [_entry("a", {"measure": "m1"}, CHILD_POP), _entry("a", {"measure": "m1"}, CHILD_POP)]
    }
    with pytest.raises(ConfigError, match="doppelt"):
        parse_catalogue(dup)


STANDARD = [
    "sgb2_quote", "kinderarmut", "altersarmut", "alo_quote", "alo_sgb2", "jugend_alo", "alleinerziehende",
    "auslaender", "migration", "jugendquotient", "altenquotient", "hochbetagte", "kita_u3", "kita_ue3",
    "hze_dichte", "wanderungssaldo", "fruchtbarkeit", "beschaeftigung", "wohndauer",
]  # fmt: skip


def test_shipped_catalogue_has_standard_indicators():
    cat = load_catalogue()
    assert set(STANDARD) <= set(cat.ids)
    assert cat["kinderarmut"].denominator.population_key == (0, 14, None, None)
    assert cat["fruchtbarkeit"].denominator.population_key == (15, 44, "w", None)
    assert cat["altenquotient"].unit == "je 100" and cat["hze_dichte"].multiplier == 1000
    assert cat["wanderungssaldo"].method == "none"
    assert cat["beschaeftigung"].polarity == "hoch = gut" and cat["auslaender"].polarity == "neutral"
    meta = indicator_meta(cat)
    assert meta["label"].str.len().min() > 0 and set(meta["method"]) == {"wilson", "poisson", "none"}


def test_shipped_catalogue_on_demo_data():
    """If the processed demo data exist beside the repo, every catalogue indicator computes on them."""
    processed = Path(__file__).resolve().parents[2] / "data" / "demo" / "processed"
    if not (processed / "counts.parquet").exists():
        pytest.skip("keine aufbereiteten Demodaten (make data)")
    cat = load_catalogue()
    t = compute(
        cat,
        pd.read_parquet(processed / "population.parquet"),
        pd.read_parquet(processed / "counts.parquet"),
        pd.read_parquet(processed / "keys.parquet"),
    )
    assert set(t["indicator"]) == set(cat.ids)
    assert t.loc[t["level"] == "stadt", "value"].notna().any()
