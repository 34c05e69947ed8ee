"""Rules, primary suppression, additive tables, the count cube and rates (hand-worked numbers)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from workbench.confidentiality import (
    CITY_ID,
    Rules,
    hierarchy,
    primary_mask,
    protect_counts,
    protect_rates,
    with_margins,
)
from workbench.errors import ConfigError, DataValidationError
from workbench.vocabulary import SUPPRESSED_SIGN  # internal marker; tables show the official "."


def test_rules_from_report_config() -> None:
    r = Rules.from_config(
        {"threshold": 3, "show_zero": True, "min_base": 20, "suppress_on_denominator": True}
    )
    assert r == Rules(threshold=3, show_zero=True, min_base=20.0, suppress_on_denominator=True)
    assert Rules.from_config(None) == Rules()
    assert Rules.from_config({"min_base": None}).min_base is None


@pytest.mark.parametrize(
    "cfg",
    [
        {"threshold": 0},
        {"threshold": "3"},
        {"threshold": True},
        {"show_zero": "ja"},
        {"min_base": -1},
        {"thresold": 3},
    ],
)
def test_rules_invalid_config(cfg) -> None:
    with pytest.raises(ConfigError) as exc:
        Rules.from_config(cfg, path="config/report.yaml")
    assert "config/report.yaml" in str(exc.value)


def test_primary_mask_values_and_markers() -> None:
    s = pd.Series([0, 1, 2, 3, "*", "–", ".", np.nan, 250])
    m = primary_mask(s, Rules())
    assert m.tolist() == [False, True, True, False, True, True, True, False, False]
    assert primary_mask(s, Rules(show_zero=False)).iloc[0]
    flagged = primary_mask(pd.Series([np.nan, 7.0]), Rules(), suppressed=pd.Series([True, False]))
    assert flagged.tolist() == [True, False]
    with pytest.raises(DataValidationError):
        primary_mask([5, -1], Rules())
    with pytest.raises(DataValidationError):
        primary_mask(["zwölf"], Rules())


def test_with_margins_hand_example() -> None:
    df = pd.DataFrame({"a": [5, 1, 7], "b": [4, 6, 9], "c": [10, 12, 2]}, index=["r1", "r2", "r3"])
    prot = with_margins(df).protect(Rules())
    assert prot.values.loc["Insgesamt", "Insgesamt"] == 56
    assert prot.values.loc["r2", "Insgesamt"] == 19
    assert prot.status.loc["r2", "a"] == "primary" and prot.status.loc["r3", "c"] == "primary"
    # no relation may have exactly one suppressed member
    sup = prot.suppressed
    for (rt, ct), parts in prot.relations:
        assert int(sup.loc[rt, ct]) + sum(int(sup.loc[r, c]) for r, c in parts) != 1
    # suppression prefers inner cells: all margins stay visible here
    assert not sup["Insgesamt"].any() and not sup.loc["Insgesamt"].any()
    disp = prot.display()
    assert disp.loc["r2", "a"] == SUPPRESSED_SIGN and disp.loc["r2", "c"] == 12
    # deterministic
    again = with_margins(df).protect(Rules())
    pd.testing.assert_frame_equal(prot.status, again.status)


def test_forced_zero_input_cells_get_protected() -> None:
    """Berlin-like row: total 52 and visible parts summing to 52 pin the two '–' cells to 0 → more suppression."""
    df = pd.DataFrame(
        [[52, 4, 6, 3, "–", 9, "–", 18, 12]],
        columns=["Gesamt", "u6", "6-15", "15-18", "18-27", "27-45", "45-55", "55-65", "65+"],
    )
    prot = with_margins(df, total_column="Gesamt", total_row=None).protect(Rules())
    st = prot.status.iloc[0]
    assert st["18-27"] == "input" and st["45-55"] == "input"
    assert (st == "secondary").sum() == 1 and st["15-18"] == "secondary"  # smallest non-total, non-zero part


def test_with_margins_rejects_wrong_given_total() -> None:
    df = pd.DataFrame({"Gesamt": [10], "a": [4], "b": [5]})
    with pytest.raises(DataValidationError):
        with_margins(df, total_column="Gesamt", total_row=None)


def test_hierarchy_single_area_district() -> None:
    """A district with one area: suppressing the area forces its district, then another district."""
    df = pd.DataFrame({"n": [2, 40, 50, 30]}, index=["0101", "0201", "0202", "0301"])
    keys = {"0101": "01", "0201": "02", "0202": "02", "0301": "03"}
    prot = hierarchy(df, keys).protect(Rules())
    st = prot.status["n"]
    assert st[("sozialraum", "0101")] == "primary"
    assert st[("stadtbezirk", "01")] == "primary"  # the district sum is 2 as well
    assert st[("stadtbezirk", "03")] == "secondary"  # smallest other district (30 < 90)
    assert st[("sozialraum", "0301")] == "secondary"
    assert st[("stadt", CITY_ID)] == "shown"
    assert prot.values["n"][("stadt", CITY_ID)] == 122


def _cube() -> tuple[pd.DataFrame, pd.DataFrame]:
    keys = pd.DataFrame(
        {
            "block_id": ["b1", "b2", "b3", "b4", "b5"],
            "area_id": ["0101", "0101", "0102", "0201", "0202"],
            "district_id": ["01", "01", "01", "02", "02"],
        }
    )
    rows = []
    data = {  # area: (sgb2, sgb3, births)
        "0101": (20, 2, 9),
        "0102": (15, 8, 11),
        "0201": (30, 12, None),  # births missing (input-suppressed below)
        "0202": (25, 10, 14),
    }
    for area, (s2, s3, b) in data.items():
        rows += [
            (area, 2024, "unemployed_sgb2", s2, False),
            (area, 2024, "unemployed_sgb3", s3, False),
            (area, 2024, "unemployed", s2 + s3, False),
            (area, 2024, "births", np.nan if b is None else b, b is None),
        ]
    return pd.DataFrame(rows, columns=["area_id", "year", "measure", "value", "suppressed"]), keys


def test_protect_counts_cube() -> None:
    counts, keys = _cube()
    out = protect_counts(counts, keys, Rules())
    assert list(out.columns) == ["level", "unit_id", "year", "measure", "value", "published_value", "status"]
    assert len(out) == (4 + 2 + 1) * 4
    g = out.set_index(["level", "unit_id", "measure"])
    # aggregates are computed here from the true values
    assert g.loc[("stadtbezirk", "01", "unemployed_sgb3"), "value"] == 10
    assert g.loc[("stadt", CITY_ID, "unemployed"), "value"] == 122
    # primary 2 and the unemployed relation: the 2 cannot be recovered as unemployed - sgb2
    assert g.loc[("sozialraum", "0101", "unemployed_sgb3"), "status"] == "primary"
    trio = [g.loc[("sozialraum", "0101", m), "status"] for m in ("unemployed", "unemployed_sgb2")]
    assert "secondary" in trio
    # input suppression stays and makes its sums unknown (never summed as 0)
    assert g.loc[("sozialraum", "0201", "births"), "status"] == "input"
    assert g.loc[("stadtbezirk", "02", "births"), "status"] == "input"
    assert np.isnan(g.loc[("stadt", CITY_ID, "births"), "value"])
    assert g.loc[("stadtbezirk", "01", "births"), "value"] == 20
    # published_value only where shown
    assert out.loc[out.status != "shown", "published_value"].isna().all()
    assert (
        out.loc[out.status == "shown", "published_value"] == out.loc[out.status == "shown", "value"]
    ).all()
    pd.testing.assert_frame_equal(out, protect_counts(counts.sample(frac=1, random_state=1), keys, Rules()))


def test_protect_counts_errors() -> None:
    counts, keys = _cube()
    with pytest.raises(DataValidationError):
        protect_counts(counts.drop(columns="suppressed"), keys, Rules())
    with pytest.raises(DataValidationError):
        protect_counts(counts, keys[keys.area_id != "0202"], Rules())
    with pytest.raises(DataValidationError):
        protect_counts(pd.concat([counts, counts.iloc[:1]]), keys, Rules())


def test_protect_counts_speed_500_areas() -> None:
    rng = np.random.default_rng(7)
    areas = [f"{i:04d}" for i in range(500)]
    keys = pd.DataFrame({"area_id": areas, "district_id": [f"{i % 25:02d}" for i in range(500)]})
    frames = []
    for m in ["m1", "m2", "m3", "m4"]:
        for y in (2023, 2024):
            v = rng.poisson(rng.choice([1.5, 20, 200], size=500)).astype(float)
            frames.append(
                pd.DataFrame({"area_id": areas, "year": y, "measure": m, "value": v, "suppressed": False})
            )
    counts = pd.concat(frames, ignore_index=True)
    t0 = time.perf_counter()
    out = protect_counts(counts, keys, Rules())
    assert time.perf_counter() - t0 < 5
    shown = out[out.status == "shown"]
    assert not ((shown.value > 0) & (shown.value < 3)).any()


def test_protect_rates() -> None:
    counts, keys = _cube()
    pc = protect_counts(counts, keys, Rules())
    rates = pd.DataFrame(
        {
            "area_id": ["0101", "0202", "0201", "0202"],
            "year": 2024,
            "numerator": ["unemployed_sgb3", "unemployed_sgb3", "births", "unemployed_sgb2"],
            "denominator_value": [500, 600, 700, 15],
            "value": [0.4, 1.3, np.nan, 100.0],
        }
    )
    out = protect_rates(rates, pc, Rules(min_base=20))
    assert out.status.tolist() == ["numerator", "shown", "missing", "min_base"]
    assert out.published_value.tolist()[1] == 1.3 and out.published_value.isna().sum() == 3
    # 0102: unemployed shown, unemployed_sgb2 secondary → a rate on the latter as base is suppressed by rule
    rates2 = pd.DataFrame(
        {
            "area_id": "0102",
            "year": 2024,
            "numerator": "births",
            "denominator": ["unemployed", "unemployed_sgb2"],
            "value": [47.8, 73.3],
        }
    )
    assert protect_rates(rates2, pc, Rules(suppress_on_denominator=True)).status.tolist() == [
        "shown",
        "denominator",
    ]
    assert protect_rates(rates2, pc, Rules()).status.tolist() == ["shown", "shown"]
    assert protect_rates(rates2, pc, Rules(min_base=20)).status.tolist() == ["shown", "min_base"]  # base 15
    with pytest.raises(DataValidationError):
        protect_rates(rates.drop(columns="denominator_value"), pc, Rules(min_base=20))
    with pytest.raises(DataValidationError):
        protect_rates(rates.assign(numerator="no_such_measure").iloc[[1]], pc, Rules())
