"""Back-test of the projection from stocks (Hamilton–Perry) on real open data, against the naive baselines.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/projection_stocks.py [--data ../shared/data]``. Reads Vienna
(23 districts × sex × 5-year bands, 1 January 2002–2025) and Trafford (21 wards × sex × single years, mid-2017–2020)
from ``../shared/data`` (see their PROVENANCE.md) and prints, per data set and horizon, MAPE, median APE and mean
signed error (%) of Hamilton–Perry with the default options and of the baselines "constant" (base stock kept) and
"trend" (growth of the last year continued), the share of areas inside the empirical 80 % band known at the base
year, and the averages over horizons. For Vienna the windows are also split into an early part (target year
≤ 2015) and a late part (base year ≥ 2015), since the defaults were fixed before looking at either. With
``--demo`` the demo city is generated and the stock projection is compared with the cohort-component back-test
(which uses the components the demo city has) for the base years 2020–2022 → 2024.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from workbench.projection import backtest, backtest_stocks, backtest_summary
from workbench.projection._stock_sources import (
    read_trafford_stocks,
    read_vienna_stocks,
    stocks_from_population,
)

ROOT = Path(__file__).resolve().parents[1]


def table(summary: pd.DataFrame) -> pd.DataFrame:
    """Wide table: one row per horizon, MAPE / median / bias / within band per method, plus the mean row."""
    s = summary.xs("alle", level="size_class")
    wide = s[["mape", "median_ape", "mean_error", "within_band"]].unstack("method")
    wide.columns = [f"{m}:{k}" for k, m in wide.columns]
    wide.loc["Mittel"] = wide.mean()
    wide["windows"] = s["windows"].xs("constant", level="method").reindex(wide.index)
    order = [
        f"{m}:{k}"
        for m in ("hamilton-perry", "trend", "constant")
        for k in ("mape", "median_ape", "mean_error", "within_band")
    ]
    return wide[[c for c in order if c in wide.columns] + ["windows"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--demo", action="store_true", help="also compare with the cohort-component model")
    args = parser.parse_args()
    pd.set_option("display.width", 250, "display.max_columns", 30)
    vienna = args.data / "wien-bevoelkerung-2002-2025"
    trafford = args.data / "trafford-mye-2017-2020"
    for name, path, reader, horizons in (
        ("Wien, 23 Bezirke, 2002–2025", vienna, read_vienna_stocks, range(1, 11)),
        ("Trafford, 21 wards, 2017–2020", trafford, read_trafford_stocks, range(1, 3)),
    ):
        if not path.is_dir():
            print(f"{name}: {path} fehlt, übersprungen")
            continue
        t0 = time.perf_counter()
        stocks = reader(path)
        summary, records = backtest_summary(stocks, horizons, details=True)
        print(f"\n== {name}: all windows ({time.perf_counter() - t0:.1f} s)")
        print(table(summary).round(2).to_string())
        if path == vienna:
            for label, keep in (
                ("early windows (target year ≤ 2015)", records["base_year"] + records["horizon"] <= 2015),
                ("late windows (base year ≥ 2015)", records["base_year"] >= 2015),
            ):
                sub = records[keep]
                mape = sub.groupby(["method", "horizon"])["ape"].mean().unstack("method")
                print(f"\n-- {label}: MAPE by horizon, and the mean over horizons")
                mape.loc["Mittel"] = mape.mean()
                print(mape.round(2).to_string())
            sizes = summary.xs(5, level="horizon")["mape"].unstack("method")
            print("\n-- horizon 5: MAPE by size class")
            print(sizes.round(2).to_string())
    if args.demo:
        demo_comparison()


def demo_comparison() -> None:
    """Demo city: cohort-component back-test vs. the projection from stocks and the baselines (MAPE, %)."""
    import tempfile

    from workbench import demo
    from workbench.io import importer

    with tempfile.TemporaryDirectory() as tmp:
        demo.generate(Path(tmp) / "raw")
        tables = importer.run_import(Path(tmp) / "raw", write=False).tables
    stocks = stocks_from_population(tables["population"])
    print("\n== Demo city → 2024: MAPE (median APE) in %")
    for base in (2020, 2021, 2022):
        _, city = backtest(tables["population"], tables["events"], base, 2024)
        parts = [f"cohort-component {city['mape']:.2f} ({city['median_ape']:.2f})"]
        for method in ("hamilton-perry", "trend", "constant"):
            ape = backtest_stocks(stocks, base, 2024, method=method)["ape"]
            parts.append(f"{method} {ape.mean():.2f} ({ape.median():.2f})")
        print(f"base {base}: " + "; ".join(parts))


if __name__ == "__main__":
    main()
