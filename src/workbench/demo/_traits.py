"""Latent area characteristics of the demo city: deprivation field, area types, calibration to Berlin MSS 2021.

The deprivation score is a spatially autocorrelated field over the Sozialraum centroids: a sum of random plane
waves (wavelengths 1–2.5 × max(city radius, 4 area spacings)) plus 2–3 Gaussian "deprived clusters" (an inner-city harbour area and
peripheral large housing estates), standardised to mean 0 / sd 1, with a little area noise. Indicator shares are
then mapped from such z-scores by a piecewise-linear function in logit space through the 5th/50th/95th
percentiles of Berlin's Monitoring Soziale Stadtentwicklung 2021 (SOZIALPLANUNG.md), so that a normally
distributed z reproduces those percentiles across areas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Z_P95 = 1.6448536269514722
"""Standard normal 95th percentile (one-sided; the 5th/95th percentiles of the calibration)."""

# (p5, p50, p95) as fractions, Berlin MSS 2021 over 536 Planungsräume
BERLIN_MSS_2021 = {
    "unemployed_sgb2": (0.011, 0.044, 0.107),
    "transfer": (0.023, 0.090, 0.253),
    "child_poverty": (0.039, 0.211, 0.557),
    "old_age_poverty": (0.009, 0.055, 0.198),
    "single_parents": (0.185, 0.289, 0.429),
    "migration_background": (0.12, 0.33, 0.63),
}


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p / (1 - p))


def calibrated_share(z: np.ndarray, quantiles: tuple[float, float, float]) -> np.ndarray:
    """Share for z-scores so that z = −1.645 / 0 / +1.645 give the 5th / 50th / 95th percentile (logit-linear)."""
    p5, p50, p95 = quantiles
    mid = _logit(p50)
    up = (_logit(p95) - mid) / Z_P95
    down = (mid - _logit(p5)) / Z_P95
    x = mid + np.where(z > 0, up, down) * z
    return 1.0 / (1.0 + np.exp(-x))


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / (sd if sd > 0 else 1.0)


def smooth_field(rng: np.random.Generator, xy: np.ndarray, scale: float, n_waves: int = 24) -> np.ndarray:
    """Standardised smooth random field at points xy (random plane waves, wavelengths 1.0–2.5 × scale, metres)."""
    field = np.zeros(len(xy))
    for _ in range(n_waves):
        angle = rng.uniform(0, np.pi)
        wavelength = rng.uniform(1.0, 2.5) * scale
        k = 2 * np.pi / wavelength * np.array([np.cos(angle), np.sin(angle)])
        field += np.cos(xy @ k + rng.uniform(0, 2 * np.pi))
    return _standardise(field)


@dataclass
class AreaTraits:
    """Per-area latent characteristics (arrays of length n_areas); z-like scores have mean 0, sd 1."""

    deprivation: np.ndarray
    family: np.ndarray
    old: np.ndarray
    student: np.ndarray
    centrality: np.ndarray  # 1 at the centre, 0 at the edge
    growth: np.ndarray  # net growth rate per year through migration
    trend: np.ndarray  # change of the deprivation z-score per year (negative = improving)
    z_migration: np.ndarray
    z_single: np.ndarray
    z_old_poverty: np.ndarray
    z_child: np.ndarray
    z_unemp: np.ndarray
    migration_share: np.ndarray
    nongerman_share: np.ndarray
    population: np.ndarray  # target size in the base year


SMALL_AREA_TRAITS = {
    # kind: (inhabitants in the base year, deprivation, family, old, growth per year)
    "gewerbe": (150, 0.8, -1.5, -1.0, 0.0),
    "hafen": (420, 1.6, -0.5, -0.8, 0.0),
    "neubau": (560, -0.6, 2.0, -1.5, 0.07),
    "klinik": (270, 0.2, -2.0, 2.5, 0.0),
}
"""Latent characteristics of the sparsely populated Sozialräume (``workbench.demo._geo.small_areas``):
an industrial estate, a harbour, a new-building area that grows and a hospital site with a care home."""


def make_traits(
    rng: np.random.Generator,
    centroids: np.ndarray,
    outline_centre: np.ndarray,
    radius: float,
    small: dict[int, str] | None = None,
) -> AreaTraits:
    """Draw the latent characteristics of every Sozialraum (see module docstring for the method).

    Field length scales grow with the city radius but are at least 4 (waves) or 1.2 (clusters) typical area
    spacings, so that neighbouring areas resemble each other in small cities too. ``small`` ({area index:
    kind}) sets the size and character of sparsely populated areas (:data:`SMALL_AREA_TRAITS`) after all
    random draws, so the other areas keep theirs.
    """
    n = len(centroids)
    spacing = np.pi * radius**2 / n  # mean area per Sozialraum (m²) ...
    spacing = float(np.sqrt(spacing))  # ... and its side length (m)
    scale = max(radius, 4 * spacing)
    rel = centroids - outline_centre
    dist = np.sqrt((rel**2).sum(axis=1)) / radius
    centrality = np.clip(1.0 - dist, 0.0, 1.0)

    base = smooth_field(rng, centroids, scale)
    bumps = np.zeros(n)
    n_clusters = int(rng.integers(2, 4))
    for c in range(n_clusters):
        # first cluster: inner-city (harbour / station); the others: peripheral housing estates
        target = rng.uniform(0.1, 0.4) if c == 0 else rng.uniform(0.55, 0.95)
        cand = np.flatnonzero(np.abs(dist - target) < 0.2)
        if len(cand) == 0:
            cand = np.arange(n)
        centre = centroids[int(rng.choice(cand))]
        sigma = max(rng.uniform(0.15, 0.25) * radius, rng.uniform(1.0, 1.4) * spacing)
        d2 = ((centroids - centre) ** 2).sum(axis=1)
        bumps += rng.uniform(1.6, 2.4) * np.exp(-d2 / (2 * sigma**2))
    deprivation = _standardise(_standardise(base) + bumps + rng.normal(0, 0.3, n))

    def related(rho: float) -> np.ndarray:
        noise = 0.5 * smooth_field(rng, centroids, 0.7 * scale) + 0.5 * rng.normal(0, 1, n)
        return _standardise(rho * deprivation + np.sqrt(1 - rho**2) * _standardise(noise))

    family = _standardise(
        0.35 * deprivation + 1.2 * (dist - dist.mean()) + smooth_field(rng, centroids, scale) * 0.6
    )
    old = _standardise(smooth_field(rng, centroids, scale) - 0.4 * deprivation + 0.3 * rng.normal(0, 1, n))
    student = np.zeros(n)
    n_students = max(1, n // 12)
    inner = np.argsort(dist + rng.uniform(0, 0.35, n))[: max(3, n // 3)]
    student[rng.choice(inner, size=min(n_students, len(inner)), replace=False)] = rng.uniform(
        0.6, 1.0, min(n_students, len(inner))
    )

    growth = rng.normal(0.002, 0.006, n)
    builders = rng.choice(n, size=max(1, n // 15), replace=False)  # new-building areas on the edge
    growth[builders] += rng.uniform(0.01, 0.03, len(builders)) * (dist[builders] > 0.4)
    trend = rng.normal(0.0, 0.045, n)

    z_migration = related(0.8)
    migration_share = calibrated_share(z_migration, BERLIN_MSS_2021["migration_background"])
    nongerman_share = migration_share * rng.uniform(0.38, 0.55, n)

    population = np.exp(rng.normal(np.log(6500), 0.42, n))
    population = np.clip(population, 2400, 16500)
    for i, kind in (small or {}).items():
        size, dep, fam, age, grow = SMALL_AREA_TRAITS[kind]
        population[i], deprivation[i], family[i], old[i], growth[i] = size, dep, fam, age, grow
        student[i] = 0.0
    return AreaTraits(
        deprivation=deprivation,
        family=family,
        old=old,
        student=student,
        centrality=centrality,
        growth=growth,
        trend=trend,
        z_migration=z_migration,
        z_single=related(0.65),
        z_old_poverty=related(0.85),
        z_child=related(0.95),
        z_unemp=related(0.95),
        migration_share=migration_share,
        nongerman_share=nongerman_share,
        population=population,
    )
