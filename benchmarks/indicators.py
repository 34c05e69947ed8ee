"""Benchmark: all catalogue indicators for a synthetic 1,000-area city over 6 years.

Run: ``.venv/bin/python benchmarks/indicators.py [n_areas]``

Builds in-memory frames in the processed-table format of ``docs/DATA_CONTRACT.md`` (population by area, year,
sex, single age, nationality; counts for every catalogue measure, values < 3 suppressed like the BA does;
keys with 25 areas per Stadtbezirk), times :func:`workbench.indicators.compute` for ALL catalogue indicators
at all three levels (values, 95 % and 99.8 % intervals, comparisons, trends, quintiles), and compares it with
a naive approach: a Python loop over areas calling scipy once per value (Wilson via the closed formula with
scipy's normal quantile, exact Poisson via scipy.stats.chi2). The naive loop runs on a SUBSAMPLE of areas and
its time is EXTRAPOLATED linearly to all areas (it also skips aggregation, comparisons and trends, so the
ratio understates the difference).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from scipy import stats as sps

from workbench.indicators import compute, load_catalogue

YEARS = list(range(2019, 2025))
SEED = 20240531


def synthetic_city(n_areas: int = 1000, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(population, counts, keys) for a synthetic city: deprivation varies smoothly between areas."""
    rng = np.random.default_rng(seed)
    per_district = 25
    area_ids = [f"{1 + i // per_district:02d}{1 + i % per_district:02d}" for i in range(n_areas)]
    district_ids = [a[:2] for a in area_ids]
    keys = pd.DataFrame(
        {
            "block_id": [a + "01" for a in area_ids],
            "block_name": [f"Block {a}01" for a in area_ids],
            "area_id": area_ids,
            "area_name": [f"Sozialraum {a}" for a in area_ids],
            "district_id": district_ids,
            "district_name": [f"Stadtbezirk {d}" for d in district_ids],
        }
    )
    ages = np.arange(101)
    age_shape = np.exp(-((ages - 38) ** 2) / (2 * 28**2)) * np.where(ages > 85, np.exp(-(ages - 85) / 4), 1.0)
    size = rng.integers(2000, 12000, n_areas)
    foreign = rng.uniform(0.05, 0.4, n_areas)
    deprivation = np.clip(rng.beta(2, 6, n_areas) + 0.3 * foreign, 0.01, 0.9)

    a_idx, y_idx, s_idx, age_idx, nat_idx = np.meshgrid(
        np.arange(n_areas), np.arange(len(YEARS)), np.arange(2), ages, np.arange(2), indexing="ij"
    )
    share = age_shape / age_shape.sum() / 2
    mean = size[a_idx] * share[age_idx] * np.where(nat_idx == 1, foreign[a_idx], 1 - foreign[a_idx])
    mean = mean * (1 + 0.01 * y_idx)
    population = pd.DataFrame(
        {
            "area_id": np.array(area_ids)[a_idx.ravel()],
            "year": np.array(YEARS)[y_idx.ravel()],
            "sex": np.array(["m", "w"])[s_idx.ravel()],
            "age": age_idx.ravel(),
            "nationality": np.array(["deutsch", "nichtdeutsch"])[nat_idx.ravel()],
            "count": rng.poisson(mean.ravel()).astype(np.int64),
        }
    )

    n_total = size[:, None] * (1 + 0.01 * np.arange(len(YEARS)))[None, :]
    rates = {
        "sgb2_rlb": 0.25 * deprivation,
        "sgb2_u15": 0.05 * deprivation,
        "unemployed": 0.08 * deprivation,
        "unemployed_sgb2": 0.06 * deprivation,
        "unemployed_sgb3": 0.02 * deprivation,
        "unemployed_u25": 0.01 * deprivation,
        "grusi_65": 0.01 * deprivation,
        "hze_cases": 0.01 * deprivation,
        "kita_places_u3": np.full(n_areas, 0.012),
        "kita_places_ue3": np.full(n_areas, 0.03),
        "employees_svb": 0.35 * (1 - deprivation),
        "households": np.full(n_areas, 0.5),
        "households_children": np.full(n_areas, 0.1),
        "single_parent_hh": 0.025 * (0.5 + deprivation),
        "migration_background": np.clip(foreign * 1.8, 0, 0.9),
        "residence_5y": np.full(n_areas, 0.6),
        "births": np.full(n_areas, 0.009),
        "deaths": np.full(n_areas, 0.011),
        "in_ext": np.full(n_areas, 0.05),
        "out_ext": np.full(n_areas, 0.048),
        "in_int": np.full(n_areas, 0.04),
        "out_int": np.full(n_areas, 0.04),
    }
    frames = []
    for measure, rate in rates.items():
        value = rng.poisson(rate[:, None] * n_total).astype(float)
        suppressed = value < 3
        frames.append(
            pd.DataFrame(
                {
                    "area_id": np.repeat(area_ids, len(YEARS)),
                    "year": np.tile(YEARS, n_areas),
                    "measure": measure,
                    "value": np.where(suppressed, np.nan, value).ravel(),
                    "suppressed": suppressed.ravel(),
                }
            )
        )
    counts = pd.concat(frames, ignore_index=True)
    return population, counts, keys


def naive(
    catalogue, population: pd.DataFrame, counts: pd.DataFrame, keys: pd.DataFrame, sample: int
) -> float:
    """Seconds for the naive per-area loop over ``sample`` areas (values and both intervals, area level only)."""
    start = time.perf_counter()
    areas = keys["area_id"].drop_duplicates().tolist()[:sample]
    pop_of = {a: g for a, g in population[population["area_id"].isin(areas)].groupby("area_id")}
    cnt_of = {a: g for a, g in counts[counts["area_id"].isin(areas)].groupby("area_id")}
    for ind in catalogue:
        for area in areas:
            for year in YEARS:
                pop = pop_of[area][pop_of[area]["year"] == year]

                def term(t, pop=pop, area=area, year=year):
                    if t.kind == "population":
                        m = (pop["age"] >= t.age_min) & (
                            pop["age"] <= (t.age_max if t.age_max is not None else 100)
                        )
                        if t.sex:
                            m &= pop["sex"] == t.sex
                        if t.nationality:
                            m &= pop["nationality"] == t.nationality
                        return float(pop.loc[m, "count"].sum())
                    c = cnt_of[area][cnt_of[area]["year"] == year].set_index("measure")["value"]
                    return float(sum(c[m] for m in t.measures) - sum(c[m] for m in t.minus))

                x, n = term(ind.numerator), term(ind.denominator)
                for conf in (0.95, 0.998):
                    if not (np.isfinite(x) and n > 0) or ind.method == "none":
                        continue
                    if ind.method == "wilson":
                        z = sps.norm.ppf(1 - (1 - conf) / 2)
                        root = z * np.sqrt(z * z + 4 * x * (1 - x / n))
                        _ = (
                            (2 * x + z * z - root) / (2 * (n + z * z)),
                            (2 * x + z * z + root) / (2 * (n + z * z)),
                        )
                    else:
                        a = 1 - conf
                        _ = (
                            sps.chi2.ppf(a / 2, 2 * x) / 2 if x > 0 else 0.0,
                            sps.chi2.ppf(1 - a / 2, 2 * x + 2) / 2,
                        )
    return time.perf_counter() - start


def main(n_areas: int = 1000, sample: int = 20) -> None:
    catalogue = load_catalogue()
    t0 = time.perf_counter()
    population, counts, keys = synthetic_city(n_areas)
    t_build = time.perf_counter() - t0
    print(
        f"Synthetische Stadt: {n_areas} Sozialräume, {keys['district_id'].nunique()} Stadtbezirke, "
        f"{len(YEARS)} Jahre; population {len(population):,} Zeilen, counts {len(counts):,} Zeilen "
        f"(erzeugt in {t_build:.2f} s)"
    )
    compute(catalogue, population, counts, keys)  # warm-up (imports, caches)
    runs, cpu = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        table = compute(catalogue, population, counts, keys)
        runs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    best = min(runs)
    print(
        f"compute(): {len(catalogue)} Indikatoren × 3 Ebenen → {len(table):,} Zeilen in {best:.3f} s Wanduhr "
        f"(bester von 3 Läufen: {', '.join(f'{r:.3f}' for r in runs)}; CPU-Zeit {min(cpu):.3f} s)"
    )
    t_naive = naive(catalogue, population, counts, keys, sample)
    extrapolated = t_naive / sample * n_areas
    print(
        f"naiv (Python-Schleife je Gebiet, scipy je Wert, nur Sozialraumebene, ohne Vergleiche/Trends): "
        f"{t_naive:.2f} s für {sample} Gebiete, HOCHGERECHNET auf {n_areas}: {extrapolated:.1f} s"
    )
    print(f"Verhältnis naiv / vektorisiert: {extrapolated / best:,.0f}×")
    print("Ziel < 2 s:", "erreicht" if best < 2 else "VERFEHLT")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
