"""Back-tests of the projection from stocks on real open data (../shared/data), against the naive baselines.

Run with ``pytest -s tests/projection/test_stocks_real.py`` to see the tables; the same figures, with the Vienna
windows split into early and late ones, come from ``benchmarks/projection_stocks.py``. The model options are the
defaults of :data:`workbench.projection._stocks.DEFAULTS`, fixed before these back-tests were run (not tuned on
them).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench.projection import backtest_stocks, backtest_summary
from workbench.projection._stock_sources import read_trafford_stocks, read_vienna_stocks

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
VIENNA = DATA / "wien-bevoelkerung-2002-2025"
TRAFFORD = DATA / "trafford-mye-2017-2020"
METHODS = ["hamilton-perry", "trend", "constant"]


def report(name: str, summary: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Print the table by horizon and return the averages over windows per method."""
    s = summary.xs("alle", level="size_class")
    table = s[["mape", "median_ape", "mean_error", "within_band"]].unstack("method")
    table.columns = [f"{m}:{k}" for k, m in table.columns]
    table = table[[f"{m}:{k}" for m in METHODS for k in ("mape", "median_ape", "mean_error", "within_band")]]
    table["windows"] = s["windows"].xs("constant", level="method")
    windows = records.groupby(["method", "base_year", "horizon"])["ape"].mean()  # MAPE of each window
    means = pd.DataFrame(
        {
            "mean_of_horizons": s["mape"].groupby(level="method").mean(),
            "mean_of_windows": windows.groupby(level="method").mean(),
            "median_ape_all": records.groupby("method")["ape"].median(),
            "mean_error_all": records.groupby("method")["pct_error"].mean(),
        }
    ).loc[METHODS]
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(f"\n== {name}: MAPE, median APE, mean signed error (%), share inside the past-errors 80 % band")
        print(table.round(2).to_string())
        print(means.round(3).to_string())
    return means


@pytest.mark.skipif(
    not VIENNA.is_dir(), reason="../shared/data/wien-bevoelkerung-2002-2025 fehlt (not available)"
)
def test_vienna_districts_beat_the_naive_baselines() -> None:
    stocks = read_vienna_stocks(VIENNA)
    assert len(stocks) == 24 and all(f.shape == (23, 34) for f in stocks.values())
    assert (
        stocks[2018].to_numpy().sum() == 1_888_776 and stocks[2025].to_numpy().sum() == 2_028_289
    )  # PROVENANCE
    summary, records = backtest_summary(stocks, range(1, 11), details=True)
    means = report("Wien, 23 Bezirke, Basisjahre 2003–2024, Horizonte 1–10 Jahre", summary, records)
    for col in ("mean_of_horizons", "mean_of_windows"):
        assert means.loc["hamilton-perry", col] < means.loc[["trend", "constant"], col].min(), col
    assert summary.loc[("hamilton-perry", 10, "alle"), "windows"] == 13  # base years 2003 … 2015
    # per band: the 5-year bands are projected, the errors are larger than for totals but bounded
    bands = backtest_stocks(stocks, 2019, 2024, by="band")
    assert len(bands) == 23 * 17 and bands.attrs["youngest"] == "child-woman ratio"
    assert bands["ape"].median() < 10


@pytest.mark.skipif(
    not TRAFFORD.is_dir(), reason="../shared/data/trafford-mye-2017-2020 fehlt (not available)"
)
def test_trafford_wards_beat_the_naive_baselines() -> None:
    stocks = read_trafford_stocks(TRAFFORD)
    assert sorted(stocks) == [2017, 2018, 2019, 2020] and all(f.shape == (21, 182) for f in stocks.values())
    assert stocks[2017].to_numpy().sum() == 235_493 and stocks[2020].to_numpy().sum() == 237_579  # PROVENANCE
    summary, records = backtest_summary(stocks, [1, 2], details=True, min_past=5)
    means = report("Trafford, 21 wards, Basisjahre 2018–2019, Horizonte 1–2 Jahre", summary, records)
    for col in ("mean_of_horizons", "mean_of_windows"):
        assert means.loc["hamilton-perry", col] < means.loc[["trend", "constant"], col].min(), col
