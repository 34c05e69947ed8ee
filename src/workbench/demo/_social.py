"""Social register counts of the demo city per Sozialraum × year (SGB II/III, SGB XII, HzE, households).

Shares come from the latent z-scores of ``workbench.demo._traits`` (calibrated to Berlin MSS 2021) shifted by each area's
trend per year; counts are binomial draws on the simulated population, built so that the totals nest:
RLB = children < 15 in SGB II + unemployed SGB II + other adult RLB; Arbeitslose = SGB II + SGB III exactly;
Migrationshintergrund = non-Germans + Germans with migration background; Alleinerziehende ≤ Haushalte mit
Kindern ≤ Haushalte.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.demo._population import Simulation
from workbench.demo._traits import BERLIN_MSS_2021, AreaTraits, calibrated_share

HZE_TYPES = ["§27.2", "§29", "§30", "§31", "§32", "§33", "§34", "§35", "§35a"]
"""Hilfearten of the Hilfen zur Erziehung (SGB VIII) in the raw file."""

HZE_MIX = np.array([0.10, 0.03, 0.12, 0.25, 0.04, 0.15, 0.17, 0.015, 0.125])
"""Typical distribution of HzE cases over the Hilfearten (SPFH §31 most common), sums to 1."""

# city-wide cyclical shift of unemployment (z units): Covid years higher
_CYCLE = {2020: 0.10, 2021: 0.06, 2022: 0.0, 2023: 0.02, 2024: 0.04}


def _age_sum(pop: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Persons aged lo..hi-1 per area (pop shape (A, 2, 101, 2))."""
    return pop[:, :, lo:hi, :].sum(axis=(1, 2, 3))


def _binom(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    return rng.binomial(np.maximum(n, 0).astype(np.int64), np.clip(p, 0.0, 1.0))


def social_counts(
    rng: np.random.Generator, traits: AreaTraits, sim: Simulation, area_ids: list[str]
) -> pd.DataFrame:
    """One row per area × year with all register counts (unsuppressed) and the denominators used."""
    t = traits
    rows = []
    first = sim.years[0]
    hh_noise = rng.normal(0, 0.03, len(area_ids))
    kids_per_hh = np.clip(
        1.6 + 0.12 * t.deprivation + 0.08 * t.family + rng.normal(0, 0.05, len(area_ids)), 1.35, 2.1
    )
    employ = np.clip(0.60 - 0.035 * t.deprivation + rng.normal(0, 0.015, len(area_ids)), 0.45, 0.70)
    resid = np.clip(
        0.56 + 0.06 * t.old - 0.2 * t.student - 0.05 * t.centrality + rng.normal(0, 0.03, len(area_ids)),
        0.3,
        0.8,
    )
    hze_rate = 22.0 * np.exp(0.35 * t.deprivation + rng.normal(0, 0.12, len(area_ids)))  # per 1,000 under 21
    for year in sim.years:
        pop = sim.population[year]
        shift = t.trend * (year - first)
        cycle = _CYCLE.get(year, 0.0)
        total = pop.sum(axis=(1, 2, 3))
        u15, u18, u21 = _age_sum(pop, 0, 15), _age_sum(pop, 0, 18), _age_sum(pop, 0, 21)
        a15_24, a15_64 = _age_sum(pop, 15, 25), _age_sum(pop, 15, 65)
        u65, a65 = _age_sum(pop, 0, 65), _age_sum(pop, 65, 101)
        nongerman = pop[..., 1].sum(axis=(1, 2))

        rlb_u15 = _binom(rng, u15, calibrated_share(t.z_child + shift, BERLIN_MSS_2021["child_poverty"]))
        r_u2 = calibrated_share(t.z_unemp + shift + cycle, BERLIN_MSS_2021["unemployed_sgb2"])
        unemp2 = _binom(rng, a15_64, r_u2)
        r_transfer = calibrated_share(t.deprivation + shift, BERLIN_MSS_2021["transfer"])
        other_mean = np.maximum(r_transfer * u65 - rlb_u15 - unemp2, 0.9 * unemp2)
        rest = a15_64 - unemp2
        rlb_other = _binom(rng, rest, other_mean / np.maximum(rest, 1))
        rlb = rlb_u15 + unemp2 + rlb_other
        unemp3 = _binom(rng, rest, 0.015 * np.exp(0.2 * t.z_unemp + cycle))
        unemp = unemp2 + unemp3
        p_u25 = np.clip(0.075 * (a15_24 / np.maximum(a15_64, 1)) / 0.16 * np.exp(0.15 * t.z_unemp), 0.02, 0.3)
        unemp_u25 = np.minimum(_binom(rng, unemp, p_u25), a15_24)
        grusi = _binom(
            rng, a65, calibrated_share(t.z_old_poverty + shift, BERLIN_MSS_2021["old_age_poverty"])
        )

        hh_size = np.clip(1.45 + 2.8 * u18 / total - 0.25 * t.student + hh_noise, 1.4, 2.6)
        households = np.round(total / hh_size).astype(np.int64)
        hh_children = np.minimum(np.round(u18 / kids_per_hh).astype(np.int64), households)
        single = _binom(
            rng, hh_children, calibrated_share(t.z_single + 0.5 * shift, BERLIN_MSS_2021["single_parents"])
        )
        mig_share = calibrated_share(
            t.z_migration + 0.02 * (year - first), BERLIN_MSS_2021["migration_background"]
        )
        german = total - nongerman
        p_mig_de = np.clip((mig_share * total - nongerman) / np.maximum(german, 1), 0.0, 1.0)
        migration = nongerman + _binom(rng, german, p_mig_de)
        residence = _binom(rng, total, resid)
        svb = _binom(rng, a15_64 - unemp, (employ - 0.01 * shift) * a15_64 / np.maximum(a15_64 - unemp, 1))
        hze_total = rng.poisson(hze_rate * np.exp(0.2 * shift) * u21 / 1000.0)
        hze = rng.multinomial(hze_total, HZE_MIX)

        for i, area in enumerate(area_ids):
            rows.append(
                {
                    "area_id": area,
                    "year": year,
                    "population": int(total[i]),
                    "pop_u15": int(u15[i]),
                    "pop_15_64": int(a15_64[i]),
                    "pop_u65": int(u65[i]),
                    "pop_65plus": int(a65[i]),
                    "pop_u21": int(u21[i]),
                    "nongerman": int(nongerman[i]),
                    "sgb2_rlb": int(rlb[i]),
                    "sgb2_u15": int(rlb_u15[i]),
                    "unemployed": int(unemp[i]),
                    "unemployed_sgb2": int(unemp2[i]),
                    "unemployed_sgb3": int(unemp3[i]),
                    "unemployed_u25": int(unemp_u25[i]),
                    "grusi_65": int(grusi[i]),
                    "households": int(households[i]),
                    "households_children": int(hh_children[i]),
                    "single_parent_hh": int(single[i]),
                    "migration_background": int(migration[i]),
                    "residence_5y": int(residence[i]),
                    "employees_svb": int(svb[i]),
                    **{f"hze_{h}": int(hze[i, k]) for k, h in enumerate(HZE_TYPES)},
                }
            )
    return pd.DataFrame(rows)
