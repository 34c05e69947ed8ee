"""Benchmark of workbench.projection: rate estimation and a 15-year projection for many areas.

Run: ``.venv/bin/python benchmarks/projection.py [--areas 1000] [--demo]``. Synthetic data (fixed seed):
population 31.12.2019 … 2024 by area × sex × age × nationality and events 2020 … 2024 drawn as Poisson counts.
With ``--demo`` the demo city is also generated and imported into a temporary folder and back-tested
(2020/2021/2022 → 2024), printing the MAPE over areas.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.projection import EVENT_COLUMNS, N_AGES, backtest, estimate_rates, project


def synthetic_tables(n_areas: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long population (2019–2024) and events (2020–2024) tables of the data contract, random but plausible."""
    rng = np.random.default_rng(seed)
    areas = np.array([f"{i:05d}" for i in range(n_areas)])
    years = np.arange(2019, 2025)
    grid = pd.MultiIndex.from_product(
        [areas, years, ["m", "w"], np.arange(N_AGES), ["deutsch", "nichtdeutsch"]],
        names=["area_id", "year", "sex", "age", "nationality"],
    ).to_frame(index=False)
    grid["count"] = rng.poisson(25, len(grid))
    pop = grid
    ev = pop[(pop.year > 2019) & (pop.nationality == "deutsch")].drop(columns=["nationality", "count"])
    ev = ev.reset_index(drop=True)
    n = len(ev)
    fertile = (ev.sex == "w") & ev.age.between(15, 49)
    ev["births"] = np.where(fertile, rng.poisson(2.0, n), 0)
    ev["deaths"] = rng.poisson(0.5, n)
    for col in ("in_ext", "out_ext", "in_int", "out_int"):
        ev[col] = rng.poisson(1.5, n)
    assert list(ev.columns[4:]) == list(EVENT_COLUMNS)
    return pop, ev


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--areas", type=int, default=1000)
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args()

    pop, ev = synthetic_tables(args.areas)
    print(f"{args.areas} areas: population {len(pop):,} rows, events {len(ev):,} rows")
    t0 = time.perf_counter()
    rates = estimate_rates(pop, ev, [2022, 2023, 2024])
    t1 = time.perf_counter()
    out = project(pop, rates, 2024, horizon=15)
    t2 = time.perf_counter()
    print(f"estimate_rates: {t1 - t0:.2f} s; project 15 years: {t2 - t1:.2f} s ({len(out):,} rows)")

    if args.demo:
        from workbench import demo
        from workbench.io import importer

        with tempfile.TemporaryDirectory() as tmp:
            demo.generate(Path(tmp) / "raw")
            tables = importer.run_import(Path(tmp) / "raw", write=False).tables
        for base in (2020, 2021, 2022):
            _, city = backtest(tables["population"], tables["events"], base, 2024)
            print(
                f"demo back-test {base}→2024 (base years {city['base_years']}): city APE {city['ape']:.2f} %, "
                f"MAPE {city['mape']:.2f} %, median APE {city['median_ape']:.2f} %"
            )


if __name__ == "__main__":
    main()
