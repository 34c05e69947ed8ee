"""Population and demographic events of the demo city (cohort-component simulation).

Arrays have shape (area, sex, age, nationality): sex 0 = "m", 1 = "w"; age 0..100 (100 = 100 and older);
nationality 0 = "deutsch", 1 = "nichtdeutsch". A base population for year first-1 (31.12.) is drawn from a
German age structure modified per area (student, family, old and inner-city areas). Each following year:

    P(t)[x] = P(t-1)[x-1] (+ P(t-1)[100] at x = 100) + babies (x = 0) − deaths − out_ext − out_int + in_ext + in_int

with age = completed age at 31.12. of the event year (cohort view). Births are recorded in the rows of the
mothers (women 15..49), babies split 105:100 boys:girls. Deaths follow a Gompertz mortality (male q(60) ≈ 0.9 %,
+9 % per year of age; women 0.58 × men), raised in deprived areas. Migration is age-peaked at 18–35.
Internal moves are redistributed city-wide per sex × age × nationality, so arrivals equal departures in every
year. Naturalisations move 1.5 %/year of non-Germans aged 8+ to "deutsch" (not an event: events are by area ×
sex × age only, so cohort totals stay consistent).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.demo._traits import AreaTraits

AGES = np.arange(101)
SEX_RATIO_BOYS = 105 / 205
"""Share of boys among births (105 boys per 100 girls)."""

# German age structure (thousands per single year of age, both sexes, around 2022); age 100 = 100+
_KNOT_AGES = [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 58, 62, 65, 70, 75, 78, 80, 85, 90, 95, 99, 100]
_KNOT_VALS = [
    760,
    790,
    770,
    760,
    860,
    930,
    1120,
    1130,
    1040,
    1000,
    1180,
    1400,
    1420,
    1300,
    1180,
    1000,
    800,
    650,
    720,
    520,
    240,
    80,
    25,
    20,
]


def _gauss(x: np.ndarray, mu: float, sd: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mu) / sd) ** 2)


def base_age_profile() -> np.ndarray:
    """Shape (2, 101): persons per sex × single year of age in Germany (relative, sums to 1)."""
    total = np.interp(AGES, _KNOT_AGES, _KNOT_VALS)
    female = np.interp(AGES, [0, 50, 65, 80, 90, 100], [0.487, 0.495, 0.51, 0.56, 0.66, 0.78])
    prof = np.vstack([total * (1 - female), total * female])
    return prof / prof.sum()


def mortality() -> np.ndarray:
    """Annual death probability by sex × age (Gompertz above 30, floors for infants and children)."""
    male = 0.009 * np.exp(0.09 * (AGES - 60.0))
    male = np.maximum(male, np.where(AGES < 1, 0.0035, np.where(AGES < 15, 0.00012, 0.0006)))
    female = male * 0.58
    female[0] = 0.003
    return np.clip(np.vstack([male, female]), 0, 0.6)


def fertility(tfr: float = 1.45) -> np.ndarray:
    """Age-specific fertility rates for ages 0..100 (non-zero 15..49, peak at 31), summing to tfr."""
    f = _gauss(AGES.astype(float), 31.0, 5.6) * ((AGES >= 15) & (AGES <= 49))
    return tfr * f / f.sum()


def _external_out_rate() -> np.ndarray:
    """Annual probability of moving out of the city by age (age-peaked 18–35)."""
    return 0.018 + 0.11 * _gauss(AGES, 24, 4.5) + 0.035 * _gauss(AGES, 33, 7) + 0.01 * _gauss(AGES, 2, 3)


def _internal_out_rate() -> np.ndarray:
    """Annual probability of moving to another Sozialraum of the city by age."""
    return 0.03 + 0.07 * _gauss(AGES, 28, 7) + 0.02 * _gauss(AGES, 2, 3) + 0.015 * _gauss(AGES, 82, 6)


def area_profiles(traits: AreaTraits) -> np.ndarray:
    """Shape (A, 2, 101): relative age-sex structure of every area (each sums to 1)."""
    base = np.log(base_age_profile())[None]
    age = AGES[None, None, :].astype(float)
    ramp_old = np.clip((age - 55) / 25, 0, 1)
    t = traits
    logw = (
        base
        + (1.7 * t.student)[:, None, None] * _gauss(age, 22, 3.5)
        + (0.3 * t.family)[:, None, None] * (_gauss(age, 6, 6) + _gauss(age, 38, 7))
        + (0.35 * t.old)[:, None, None] * ramp_old
        + (0.5 * t.centrality)[:, None, None] * _gauss(age, 28, 6)
        + (0.12 * t.deprivation)[:, None, None] * (_gauss(age, 8, 8) - 0.5 * ramp_old)
    )
    w = np.exp(logw)
    return w / w.sum(axis=(1, 2), keepdims=True)


def _nongerman_by_age(share: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Shape (A, 2, 101): probability of non-German nationality, higher at 20–45, lower at 70+."""
    rel = 0.85 + 0.7 * _gauss(AGES, 32, 11) - 0.45 * np.clip((AGES - 60) / 20, 0, 1)
    mean_rel = (profile * rel[None, None, :]).sum(axis=(1, 2))
    return np.clip(share[:, None, None] * rel[None, None, :] / mean_rel[:, None, None], 0.0, 0.9)


@dataclass
class Simulation:
    """Result of the simulation: population per reference year and events per event year."""

    years: list[int]
    population: dict[int, np.ndarray]  # year -> int64 (A, 2, 101, 2)
    births: dict[int, np.ndarray]  # year -> (A, 101) births by mother's age (women's rows)
    deaths: dict[int, np.ndarray]  # year -> (A, 2, 101), summed over nationality
    in_ext: dict[int, np.ndarray]
    out_ext: dict[int, np.ndarray]
    in_int: dict[int, np.ndarray]
    out_int: dict[int, np.ndarray]


def simulate(rng: np.random.Generator, traits: AreaTraits, first_year: int, last_year: int) -> Simulation:
    """Draw the base population (31.12. of first_year-1) and project it year by year with random events."""
    prof = area_profiles(traits)
    ng_p = _nongerman_by_age(traits.nongerman_share, prof)
    expected = traits.population[:, None, None] * prof
    pop = np.empty(prof.shape + (2,), dtype=np.int64)
    pop[..., 1] = rng.poisson(expected * ng_p)
    pop[..., 0] = rng.poisson(expected * (1 - ng_p))

    q = mortality()[None, :, :, None] * np.exp(0.12 * traits.deprivation)[:, None, None, None]
    q = np.clip(q, 0, 0.6)
    r_out = _external_out_rate()[None, None, :, None] * np.array([1.0, 1.6])[None, None, None, :]
    r_out = r_out * (1 + 0.8 * traits.student)[:, None, None, None]
    r_int = np.broadcast_to(_internal_out_rate()[None, None, :, None], pop.shape)
    tfr = 1.45 * np.exp(0.07 * traits.deprivation + 0.06 * traits.family)
    asfr = tfr[:, None] * fertility(1.0)[None, :]  # (A, 101)
    mig_shape = _external_out_rate() - 0.012
    in_dist = prof * mig_shape[None, None, :]
    in_dist /= in_dist.sum(axis=(1, 2), keepdims=True)
    p_in_ng = np.clip(traits.nongerman_share * 2.2, 0.1, 0.85)
    attract = prof * mig_shape[None, None, :] * (traits.population * np.exp(8 * traits.growth))[:, None, None]

    sim = Simulation(list(range(first_year, last_year + 1)), {}, {}, {}, {}, {}, {}, {})
    for year in sim.years:
        aged = np.zeros_like(pop)
        aged[:, :, 1:] = pop[:, :, :-1]
        aged[:, :, 100] += pop[:, :, 100]
        # births by mother's (completed) age at 31.12. of the event year
        women = aged[:, 1, :, :]
        births_nat = rng.poisson(women * (asfr[:, :, None] * np.array([1.0, 1.25])[None, None, :]))
        births = births_nat.sum(axis=2)
        b_total = births_nat.sum(axis=1)  # (A, 2) by mother's nationality
        b_ng = rng.binomial(b_total[:, 1], 0.55)  # ius soli: 45 % of these babies are German
        b_de = b_total.sum(axis=1) - b_ng
        for nat, count in ((0, b_de), (1, b_ng)):
            boys = rng.binomial(count, SEX_RATIO_BOYS)
            aged[:, 0, 0, nat] = boys
            aged[:, 1, 0, nat] = count - boys
        deaths = rng.binomial(aged, q)
        alive = aged - deaths
        out_ext = rng.binomial(alive, np.clip(r_out, 0, 0.9))
        out_int = rng.binomial(alive - out_ext, r_int)
        # external arrivals replace departures and deaths minus births, plus the area's growth
        pop_t = aged.sum(axis=(1, 2, 3))
        target_in = (
            out_ext.sum(axis=(1, 2, 3))
            + deaths.sum(axis=(1, 2, 3))
            - births.sum(axis=1)
            + traits.growth * pop_t
        )
        target_in = np.maximum(target_in, 0.01 * pop_t)
        lam = target_in[:, None, None] * in_dist
        in_ext = np.empty_like(pop)
        in_ext[..., 1] = rng.poisson(lam * p_in_ng[:, None, None])
        in_ext[..., 0] = rng.poisson(lam * (1 - p_in_ng)[:, None, None])
        # internal moves: every departure arrives somewhere in the city (sex × age × nationality kept)
        movers = out_int.sum(axis=0)  # (2, 101, 2)
        pvals = attract / attract.sum(axis=0, keepdims=True)  # (A, 2, 101)
        pvals = np.moveaxis(pvals, 0, -1)[:, :, None, :]  # (2, 101, 1, A)
        in_int = np.moveaxis(
            rng.multinomial(movers, np.broadcast_to(pvals, movers.shape + (len(pop),))), -1, 0
        )
        new = alive - out_ext - out_int + in_ext + in_int
        # naturalisation (not an event): non-German aged 8+ -> German
        nat = rng.binomial(new[..., 1], 0.015 * (AGES >= 8)[None, None, :])
        new[..., 1] -= nat
        new[..., 0] += nat
        pop = new
        sim.population[year] = pop
        sim.births[year] = births
        sim.deaths[year] = deaths.sum(axis=3)
        sim.in_ext[year] = in_ext.sum(axis=3)
        sim.out_ext[year] = out_ext.sum(axis=3)
        sim.in_int[year] = in_int.sum(axis=3)
        sim.out_int[year] = out_int.sum(axis=3)
    return sim
