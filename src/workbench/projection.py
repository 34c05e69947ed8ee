"""Small-area cohort-component population projection (status quo and scenarios).

The model follows the cohort-component method used by German cities (SIKURS style), per Sozialraum, sex and
single year of age 0 … 100 (100 = open group "100 und älter"), one calendar year at a time. All ages are the
completed age at 31.12., as in the processed ``population`` and ``events`` tables (docs/DATA_CONTRACT.md).

Accounting identity for year t (population at 31.12.t from 31.12.(t−1))::

    R      = population(t−1) aged by one year (99 → 100 and 100 stays 100); R[age 0] = births of t
    births = Σ_{a=15..49} ASFR(a) · area fertility factor · R[women, a]       split 105 : 100 boys : girls
    P(t)   = R − deaths − out_ext − out_int + in_ext + in_int
    deaths = R · q(sex, age) · SMR(area);  out_ext = R · o_ext(area, sex, age);  out_int = R · o_int(area, sex, age)
    in_ext = average persons per year (area, sex, age);  in_int = destination share · city-wide out_int

``R`` (the population at the start of the year, already aged to its age at 31.12.t) is the *population at
risk* of every rate: death rates, fertility rates and out-migration rates are events per person at risk and
year (probabilities, unit 1/year). Internal in-moves are distributed from the projected city-wide internal
out-moves of the same sex and age, so the city-wide internal balance is exactly zero every projected year.

Worked example (two areas, 100 persons in every sex × age cell, one death per cell, births to women 20–39)::

    >>> import pandas as pd
    >>> from workbench.projection import estimate_rates, project, age_groups
    >>> rows = [(a, y, s, age, 100) for a in ("0101", "0102") for y in (2022, 2023)
    ...         for s in ("m", "w") for age in range(101)]
    >>> pop = pd.DataFrame(rows, columns=["area_id", "year", "sex", "age", "count"])
    >>> ev = pop[pop.year == 2023].drop(columns="count").assign(
    ...     births=0, deaths=1, in_ext=0, out_ext=0, in_int=0, out_int=0)
    >>> ev.loc[(ev.sex == "w") & ev.age.between(20, 39), "births"] = 5
    >>> rates = estimate_rates(pop, ev, base_years=[2023])
    >>> float(rates.death_rate[0, 50])  # 1 death / 100 persons at risk (aged 49 at 31.12.2022)
    0.01
    >>> float(rates.death_rate[0, 100])  # open group: at risk = 100 (aged 99) + 100 (aged 100)
    0.005
    >>> float(rates.fertility_rate[30])  # 5 births / 100 women at risk
    0.05
    >>> out = project(pop[pop.year == 2023], rates, start_year=2023, horizon=2)
    >>> round(float(out.query("year == 2024 and area_id == '0101'")["count"].sum()), 1)
    20098.0
    >>> age_groups(out.query("year == 2024 and area_id == '0101' and sex == 'w'"), [0, 18, 65])["count"].round(1).tolist()
    [1730.8, 4653.0, 3664.0]

Choices (all documented in the function docstrings): death and fertility rates are pooled at city level over
the base years and scaled per area by an empirical-Bayes shrunk ratio (observed / expected events);
out-migration rates and in-migrant numbers are smoothed over age (5-year bands by default); scenario factors
multiply the status-quo rates; an optional city-level control total rescales all cells proportionally.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError, DataValidationError, WorkbenchError

MAX_AGE = 100
"""Highest age; 100 is the open age group "100 und älter"."""
N_AGES = MAX_AGE + 1
SEXES = ("m", "w")
BOY_SHARE = 105.0 / 205.0
"""Share of boys among births (sex ratio at birth 105 boys : 100 girls)."""
FERTILE_AGES = (15, 49)
"""Mothers' ages (completed age at 31.12.) with fertility rates; births outside are folded into 15 and 49."""
EVENT_COLUMNS = ("births", "deaths", "in_ext", "out_ext", "in_int", "out_int")
DEFAULT_AGE_BINS = (0, 3, 6, 10, 18, 25, 45, 65, 80)
"""Lower bounds of the planning age groups 0–2, 3–5, 6–9, 10–17, 18–24, 25–44, 45–64, 65–79, 80+."""
SMOOTHING_OPTIONS = ("none", "band5", "kernel")
STATUS_QUO = "status_quo"


# ----------------------------------------------------------------------------------------------------------
# validation and array helpers


def _fail(table: str, message: str, hint: str | None = None, where: str | None = None) -> DataValidationError:
    return DataValidationError(message, where=f"Tabelle {table}" + (f", {where}" if where else ""), hint=hint)


def _validate(df: Any, table: str, values: Sequence[str], need_year: bool = True) -> pd.DataFrame:
    """Check columns, key values and counts of a long table; return a clean copy (area_id as str)."""
    if not isinstance(df, pd.DataFrame):
        raise _fail(table, f"erwartet eine Tabelle (DataFrame), erhalten: {type(df).__name__}")
    required = ["area_id", "sex", "age", *(["year"] if need_year else []), *values]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise _fail(
            table, f"Spalte(n) {', '.join(missing)} fehlen", hint="Tabellenformat laut DATA_CONTRACT.md"
        )
    out = df.reset_index(drop=True)  # row numbers in messages: 1-based data rows
    if not isinstance(out["area_id"].dtype, pd.StringDtype):
        out["area_id"] = out["area_id"].astype(str)
    bad_sex = ~out["sex"].isin(SEXES)
    if bad_sex.any():
        i = out.index[bad_sex][0]
        raise _fail(
            table,
            f"unbekanntes Geschlecht {out.at[i, 'sex']!r}",
            "erlaubt sind 'm' und 'w'",
            f"Zeile {i + 1}",
        )
    int_cols = ["age", "year"] if need_year else ["age"]
    for col in int_cols:
        num = pd.to_numeric(out[col], errors="coerce")
        bad = num.isna() | (num != np.round(num))
        if bad.any():
            i = out.index[bad.to_numpy()][0]
            raise _fail(
                table, f"{col} muss eine ganze Zahl sein, gefunden {out.at[i, col]!r}", where=f"Zeile {i + 1}"
            )
        out[col] = num.astype("int64")
    bad_age = (out["age"] < 0) | (out["age"] > MAX_AGE)
    if bad_age.any():
        i = out.index[bad_age.to_numpy()][0]
        raise _fail(
            table,
            f"Alter {out.at[i, 'age']} außerhalb 0 … 100",
            "100 steht für 100 und älter",
            f"Zeile {i + 1}",
        )
    for col in values:
        num = pd.to_numeric(out[col], errors="coerce")
        bad = num.isna() | ~np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            i = out.index[bad.to_numpy()][0]
            raise _fail(
                table, f"Spalte {col}: kein gültiger Zahlenwert ({out.at[i, col]!r})", where=f"Zeile {i + 1}"
            )
        neg = num < 0
        if neg.any():
            i = out.index[neg.to_numpy()][0]
            raise _fail(
                table,
                f"Spalte {col}: negative Anzahl {num[i]} (Jahr {out.at[i, 'year'] if need_year else '–'})",
                "Anzahlen müssen ≥ 0 sein; Rohdaten prüfen",
                f"Zeile {i + 1}",
            )
        out[col] = num.astype(float)
    keys = [c for c in ("area_id", "year", "sex", "age", "nationality") if c in out.columns]
    combined = np.zeros(len(out), dtype=np.int64)
    for k in keys:  # integer key per row: much faster than duplicated() on string columns
        codes, uniques = pd.factorize(out[k])
        combined = combined * (len(uniques) + 1) + codes
    dup = pd.Series(combined).duplicated()
    if dup.any():
        i = out.index[dup.to_numpy()][0]
        raise _fail(
            table,
            f"Zeile doppelt für {', '.join(f'{k}={out.at[i, k]}' for k in keys)}",
            "jede Kombination der Schlüsselspalten darf nur einmal vorkommen",
            f"Zeile {i + 1}",
        )
    return out


def _cubes(
    df: pd.DataFrame, cols: Sequence[str], areas: pd.Index, years: Sequence[int] | None
) -> dict[str, np.ndarray]:
    """Sum columns of a long table into arrays (year,) × area × sex × age; other areas/years are ignored."""
    n_areas = len(areas)
    codes, uniques = pd.factorize(df["area_id"])
    a = np.append(areas.get_indexer(uniques), -1)[codes]  # factorize first: get_indexer on few uniques
    s = (df["sex"] == "w").to_numpy().astype(np.int64)
    age = df["age"].to_numpy(dtype=np.int64)
    if years is None:
        keep = a >= 0
        flat = (a * 2 + s) * N_AGES + age
        size, shape = n_areas * 2 * N_AGES, (n_areas, 2, N_AGES)
    else:
        y = pd.Index(list(years)).get_indexer(df["year"])
        keep = (a >= 0) & (y >= 0)
        flat = ((y * n_areas + a) * 2 + s) * N_AGES + age
        size, shape = len(years) * n_areas * 2 * N_AGES, (len(years), n_areas, 2, N_AGES)
    flat = flat[keep]
    return {
        c: np.bincount(flat, weights=df[c].to_numpy(dtype=float)[keep], minlength=size).reshape(shape)
        for c in cols
    }


def _labels(codes: np.ndarray, names: list[str]) -> pd.Series:
    """String column from integer codes (fast path via an Arrow dictionary array for millions of rows)."""
    try:
        import pyarrow as pa

        arr = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(names))
        return pd.Series(arr.cast(pa.large_string()), dtype="str")
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return pd.Series(np.asarray(names, dtype=object)[codes], dtype="str")


def _age_one_year(pop: np.ndarray) -> np.ndarray:
    """Shift ages by one (last axis); 99 and 100 both end in the open group 100; age 0 is left empty."""
    out = np.zeros_like(pop)
    out[..., 1:MAX_AGE] = pop[..., : MAX_AGE - 1]
    out[..., MAX_AGE] = pop[..., MAX_AGE - 1] + pop[..., MAX_AGE]
    return out


def _band_index(width: int = 5) -> np.ndarray:
    """Band number of every age: 0–4, 5–9, …, 95–100 (100 joins the last band)."""
    idx = np.arange(N_AGES) // width
    idx[MAX_AGE] = idx[MAX_AGE - 1]
    return idx


def _smooth(x: np.ndarray, method: str) -> np.ndarray:
    """Smooth counts over age (last axis), preserving the total of every area × sex.

    ``band5``: each age gets the mean of its 5-year band (0–4 … 95–100). ``kernel``: triangular kernel with
    weights 1-2-3-2-1 over ages a−2 … a+2, each age's count spread so that its total is kept (edge weights are
    renormalised). ``none``: unchanged.
    """
    if method == "none":
        return x.copy()
    if method == "band5":
        idx = _band_index()
        member = np.zeros((N_AGES, idx.max() + 1))
        member[np.arange(N_AGES), idx] = 1.0
        return ((x @ member) / member.sum(axis=0))[..., idx]
    # kernel: spread matrix K[a, b] = share of age a's count that goes to age b (rows sum to 1)
    weights = np.array([1.0, 2.0, 3.0, 2.0, 1.0])
    k = np.zeros((N_AGES, N_AGES))
    for a in range(N_AGES):
        for j, d in enumerate(range(-2, 3)):
            if 0 <= a + d < N_AGES:
                k[a, a + d] = weights[j]
    k /= k.sum(axis=1, keepdims=True)
    return x @ k


def _smooth_rate(events: np.ndarray, at_risk: np.ndarray, method: str) -> np.ndarray:
    """Rate = smoothed events / smoothed persons at risk (area × sex × age); city rate where nobody was at risk."""
    ev, risk = _smooth(events, method), _smooth(at_risk, method)
    city_ev, city_risk = ev.sum(axis=0), risk.sum(axis=0)
    city = np.divide(city_ev, city_risk, out=np.zeros_like(city_ev), where=city_risk > 0)
    rate = np.divide(ev, risk, out=np.broadcast_to(city, ev.shape).copy(), where=risk > 0)
    return rate


def _shrunk_ratio(
    observed: np.ndarray, expected: np.ndarray, shrinkage: str | float
) -> tuple[np.ndarray, float]:
    """Empirical-Bayes (Poisson–gamma) shrunk ratio observed / expected per area, and the prior strength k.

    Prior: area ratio ~ Gamma with mean m = ΣO / ΣE and variance s²; posterior mean (O + k·m) / (E + k),
    k = m / s². ``"auto"`` estimates s² by Marshall's (1991) method of moments:
    s² = Σ E·(O/E − m)² / ΣE − m / Ē (Ē = mean expected count); s² ≤ 0 means no detectable variation
    between areas, all ratios become m. A number fixes k (in expected events; 0 = raw ratios).
    """
    observed, expected = np.asarray(observed, float), np.asarray(expected, float)
    total_e = expected.sum()
    m = observed.sum() / total_e if total_e > 0 else 1.0
    if m == 0:
        m = 1.0
    if shrinkage == "auto":
        pos = expected > 0
        if pos.sum() < 2:
            return np.full_like(expected, m), math.inf
        r = observed[pos] / expected[pos]
        s2 = float((expected[pos] * (r - m) ** 2).sum() / expected[pos].sum() - m / expected[pos].mean())
        k = m / s2 if s2 > 0 else math.inf
    else:
        k = float(shrinkage)
    if math.isinf(k):
        return np.full_like(expected, m), k
    ratio = np.divide(observed + k * m, expected + k, out=np.full_like(expected, m), where=(expected + k) > 0)
    return ratio, k


# ----------------------------------------------------------------------------------------------------------
# rates


@dataclass(frozen=True, eq=False)
class Rates:
    """Status-quo rates estimated from averaged base years (arrays indexed area × sex (m, w) × age 0…100).

    Units: all rates are events per person at risk and year (probabilities); the person at risk is the
    population at 31.12. of the previous year aged by one year (for age 0: the births of the year).
    """

    areas: tuple[str, ...]
    base_years: tuple[int, ...]
    death_rate: np.ndarray
    """City death rate by sex × age (2, 101)."""
    smr: np.ndarray
    """Shrunk standardised mortality ratio per area (A,); area death rate = death_rate · smr."""
    fertility_rate: np.ndarray
    """City age-specific fertility rate (101,), births per woman at risk; zero outside 15–49."""
    fertility_factor: np.ndarray
    """Shrunk ratio observed / expected births per area (A,)."""
    out_ext_rate: np.ndarray
    """External out-migration rate (A, 2, 101)."""
    in_ext: np.ndarray
    """External in-migrants, average persons per year (A, 2, 101)."""
    out_int_rate: np.ndarray
    """Internal out-move rate (A, 2, 101)."""
    in_int_share: np.ndarray
    """Destination shares of internal moves (A, 2, 101); sums to 1 over areas for every sex × age."""
    in_profile: np.ndarray
    """Sex × age profile of all in-movers (external + internal), sums to 1; used for extra in-migrants."""
    smoothing: str = "band5"
    shrinkage_deaths: float = math.inf
    shrinkage_births: float = math.inf
    area_stats: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per area: observed/expected deaths and births over the base years, smr, fertility_factor."""

    @property
    def area_index(self) -> pd.Index:
        return pd.Index(self.areas, name="area_id")


def _prepare_inputs(population: pd.DataFrame, events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    pop = _validate(population, "population", ["count"])
    ev = _validate(events, "events", list(EVENT_COLUMNS))
    unknown = sorted(set(ev["area_id"].unique()) - set(pop["area_id"].unique()))
    if unknown:
        raise _fail(
            "events",
            f"Spalte area_id: {len(unknown)} Gebiet(e) fehlen in der Tabelle population: {', '.join(unknown[:5])}",
            "Gebietsschlüssel beider Tabellen angleichen",
        )
    male_births = ev.loc[ev["sex"] == "m", "births"]
    if (male_births > 0).any():
        i = male_births.index[(male_births > 0).to_numpy()][0]
        raise _fail(
            "events",
            "Geburten in Zeilen von Männern",
            "Geburten stehen in den Zeilen der Mütter (sex 'w')",
            f"Zeile {i + 1}, Spalte births",
        )
    return pop, ev


def estimate_rates(
    population: pd.DataFrame,
    events: pd.DataFrame,
    base_years: Iterable[int],
    smoothing: str = "band5",
    shrinkage: str | float = "auto",
) -> Rates:
    """Estimate status-quo rates from the base years (events of year t, population at 31.12.(t−1)).

    - Deaths: city death rate q(sex, age) = Σ deaths / Σ persons at risk over all areas and base years (single
      years of age, no smoothing: pooled city data are large enough). Per area a standardised mortality ratio
      SMR = observed / expected deaths (expected = Σ at risk · q), shrunk towards 1 (see ``shrinkage``).
    - Fertility: city ASFR(a) = Σ births to mothers aged a / Σ women at risk aged a, a = 15…49 (births to
      younger/older mothers are counted at 15/49); area fertility factor = observed / expected births, shrunk.
    - External out-migration and internal out-moves: rates by area × sex × age, events and persons at risk
      each smoothed over age (``smoothing``) before dividing; city rate where an area had nobody at risk.
    - External in-migration: average persons per year by area × sex × age, smoothed over age (totals kept).
    - Internal in-moves: destination share of each area in the city's internal in-moves by sex × age
      (smoothed); where the city had none, the area's share of all internal in-moves.

    ``smoothing``: ``"band5"`` (5-year bands), ``"kernel"`` (1-2-3-2-1 over ±2 years) or ``"none"``.
    ``shrinkage``: ``"auto"`` (Marshall's method of moments) or a fixed prior strength k ≥ 0 in expected events.
    """
    if smoothing not in SMOOTHING_OPTIONS:
        raise ConfigError(
            f"unbekannte Glättung {smoothing!r}",
            where="smoothing",
            hint=f"erlaubt: {', '.join(SMOOTHING_OPTIONS)}",
        )
    if shrinkage != "auto":
        try:
            ok = float(shrinkage) >= 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ConfigError(
                f"ungültige Schrumpfung {shrinkage!r}", where="shrinkage", hint="'auto' oder Zahl ≥ 0"
            )
    try:
        years = sorted({int(y) for y in base_years})
    except (TypeError, ValueError) as exc:
        raise ConfigError("base_years muss eine Liste von Jahreszahlen sein", where="base_years") from exc
    if not years:
        raise ConfigError(
            "keine Basisjahre angegeben", where="base_years", hint="z. B. base_years=[2022, 2023, 2024]"
        )
    pop, ev = _prepare_inputs(population, events)
    pop_years, ev_years = set(pop["year"].unique().tolist()), set(ev["year"].unique().tolist())
    for t in years:
        if t - 1 not in pop_years:
            raise _fail(
                "population",
                f"Bestand zum 31.12.{t - 1} fehlt (nötig für das Basisjahr {t})",
                "Basisjahre so wählen, dass der Vorjahresbestand vorliegt",
                "Spalte year",
            )
        if t not in ev_years:
            raise _fail(
                "events",
                f"keine Bewegungsdaten für das Basisjahr {t}",
                "andere Basisjahre wählen",
                "Spalte year",
            )
    areas = pd.Index(sorted(pop["area_id"].unique()), name="area_id")
    p_prev = _cubes(pop, ["count"], areas, [t - 1 for t in years])["count"]
    e = _cubes(ev, EVENT_COLUMNS, areas, years)
    births_area = e["births"][:, :, 1, :].sum(axis=-1)  # (Y, A)
    risk = _age_one_year(p_prev)
    risk[:, :, 0, 0] = births_area * BOY_SHARE
    risk[:, :, 1, 0] = births_area * (1 - BOY_SHARE)
    risk_sum = risk.sum(axis=0)  # (A, 2, 101)

    deaths = e["deaths"].sum(axis=0)
    city_risk, city_deaths = risk_sum.sum(axis=0), deaths.sum(axis=0)
    q = np.divide(city_deaths, city_risk, out=np.zeros_like(city_deaths), where=city_risk > 0)
    if (q > 1).any():
        s, a = np.argwhere(q > 1)[0]
        raise _fail(
            "events",
            f"mehr Sterbefälle als Einwohner (Geschlecht {SEXES[s]}, Alter {a})",
            "Bestände und Bewegungen prüfen",
            "Spalte deaths",
        )
    exp_deaths = (risk_sum * q).sum(axis=(1, 2))
    obs_deaths = deaths.sum(axis=(1, 2))
    smr, k_deaths = _shrunk_ratio(obs_deaths, exp_deaths, shrinkage)

    lo, hi = FERTILE_AGES
    births = e["births"][:, :, 1, :].sum(axis=0)  # (A, 101) by mother's age
    folded = births.copy()
    folded[:, lo] += births[:, :lo].sum(axis=1)
    folded[:, hi] += births[:, hi + 1 :].sum(axis=1)
    folded[:, :lo] = 0
    folded[:, hi + 1 :] = 0
    women = risk_sum[:, 1, :]
    city_women = women.sum(axis=0)
    asfr = np.divide(folded.sum(axis=0), city_women, out=np.zeros(N_AGES), where=city_women > 0)
    asfr[:lo] = 0
    asfr[hi + 1 :] = 0
    exp_births = (women * asfr).sum(axis=1)
    obs_births = folded.sum(axis=1)
    fert, k_births = _shrunk_ratio(obs_births, exp_births, shrinkage)

    out_ext = _smooth_rate(e["out_ext"].sum(axis=0), risk_sum, smoothing)
    out_int = _smooth_rate(e["out_int"].sum(axis=0), risk_sum, smoothing)
    in_ext = _smooth(e["in_ext"].mean(axis=0), smoothing)
    in_int = _smooth(e["in_int"].sum(axis=0), smoothing)
    city_in = in_int.sum(axis=0)
    total_in = in_int.sum(axis=(1, 2))
    if total_in.sum() > 0:
        fallback = total_in / total_in.sum()
    else:  # no internal in-moves at all: distribute by population at risk
        base = risk_sum.sum(axis=(1, 2))
        fallback = base / base.sum() if base.sum() > 0 else np.full(len(areas), 1 / len(areas))
    share = np.divide(
        in_int, city_in, out=np.broadcast_to(fallback[:, None, None], in_int.shape).copy(), where=city_in > 0
    )
    movers = (e["in_ext"] + e["in_int"]).sum(axis=(0, 1))
    profile = movers / movers.sum() if movers.sum() > 0 else np.full((2, N_AGES), 1 / (2 * N_AGES))

    stats = pd.DataFrame(
        {
            "deaths_observed": obs_deaths,
            "deaths_expected": exp_deaths,
            "smr": smr,
            "births_observed": obs_births,
            "births_expected": exp_births,
            "fertility_factor": fert,
        },
        index=areas,
    ).reset_index()
    return Rates(
        areas=tuple(areas),
        base_years=tuple(years),
        death_rate=q,
        smr=smr,
        fertility_rate=asfr,
        fertility_factor=fert,
        out_ext_rate=out_ext,
        in_ext=in_ext,
        out_int_rate=out_int,
        in_int_share=share,
        in_profile=profile,
        smoothing=smoothing,
        shrinkage_deaths=k_deaths,
        shrinkage_births=k_births,
        area_stats=stats,
    )


# ----------------------------------------------------------------------------------------------------------
# scenarios


@dataclass(frozen=True)
class Scenario:
    """A projection variant: factors that multiply the status-quo rates, plus extra in-migrants.

    ``fertility_factor`` multiplies all fertility rates, ``mortality_factor`` all death rates,
    ``in_migration_factor`` the external in-migrants, ``out_migration_factor`` the external out-migration rates,
    ``internal_migration_factor`` the internal out-move rates (internal in-moves follow, the city balance stays
    zero). ``extra_in_migrants``: area_id → additional persons per year (e.g. new housing), distributed over
    sex × age by the profile of all in-movers of the base years, added in the years ``extra_first_year`` …
    ``extra_last_year`` (None = all projected years).
    """

    name: str = STATUS_QUO
    label_de: str = "Status quo"
    fertility_factor: float = 1.0
    mortality_factor: float = 1.0
    in_migration_factor: float = 1.0
    out_migration_factor: float = 1.0
    internal_migration_factor: float = 1.0
    extra_in_migrants: Mapping[str, float] = field(default_factory=dict)
    extra_first_year: int | None = None
    extra_last_year: int | None = None
    description_de: str = ""

    def __post_init__(self) -> None:
        where = f"Szenario {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError("jedes Szenario braucht einen Namen (name)", where="Szenario")
        for f in (
            "fertility_factor",
            "mortality_factor",
            "in_migration_factor",
            "out_migration_factor",
            "internal_migration_factor",
        ):
            value = getattr(self, f)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ConfigError(
                    f"{f} muss eine Zahl ≥ 0 sein, gefunden {value!r}",
                    where=where,
                    hint="1 = wie Status quo, 1.1 = +10 %",
                )
        if not isinstance(self.extra_in_migrants, Mapping):
            raise ConfigError(
                "extra_in_migrants muss eine Zuordnung Gebiet → Personen pro Jahr sein", where=where
            )
        clean = {}
        for area, n in self.extra_in_migrants.items():
            if isinstance(n, bool) or not isinstance(n, int | float) or not math.isfinite(n) or n < 0:
                raise ConfigError(
                    f"extra_in_migrants[{area!r}] muss eine Zahl ≥ 0 sein, gefunden {n!r}", where=where
                )
            clean[str(area)] = float(n)
        object.__setattr__(self, "extra_in_migrants", clean)
        for f in ("extra_first_year", "extra_last_year"):
            value = getattr(self, f)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"{f} muss eine Jahreszahl sein, gefunden {value!r}", where=where)

    def extra_active(self, year: int) -> bool:
        """True when the extra in-migrants are added in ``year``."""
        first = self.extra_first_year if self.extra_first_year is not None else -math.inf
        last = self.extra_last_year if self.extra_last_year is not None else math.inf
        return first <= year <= last


def load_scenarios(cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None) -> list[Scenario]:
    """Scenarios from a YAML-like config; the status quo is always the first entry.

    Accepted forms: ``{"scenarios": [{"name": ..., "label_de": ..., "fertility_factor": ...}, ...]}``,
    ``{"scenarios": {name: {...}, ...}}``, or the list / mapping itself. Unknown keys, duplicate names and
    invalid values raise a ``ConfigError``. A config entry named ``status_quo`` replaces the default one.
    """
    if cfg is None:
        return [Scenario()]
    items: Any = cfg.get("scenarios", cfg) if isinstance(cfg, Mapping) else cfg
    if items is None:
        return [Scenario()]
    if isinstance(items, Mapping):
        entries = []
        for name, params in items.items():
            if not isinstance(params, Mapping):
                raise ConfigError("Szenario-Eintrag muss eine Zuordnung sein", where=f"scenarios.{name}")
            entries.append({"name": str(name), **params})
    elif isinstance(items, list | tuple):
        entries = list(items)
    else:
        raise ConfigError("scenarios muss eine Liste oder Zuordnung sein", where="scenarios")
    allowed = {f.name for f in fields(Scenario)}
    result: dict[str, Scenario] = {STATUS_QUO: Scenario()}
    for i, entry in enumerate(entries):
        where = f"scenarios[{i}]"
        if not isinstance(entry, Mapping):
            raise ConfigError("Szenario-Eintrag muss eine Zuordnung sein", where=where)
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise ConfigError(
                f"unbekannte Schlüssel {', '.join(unknown)}",
                where=where,
                hint=f"erlaubt: {', '.join(sorted(allowed))}",
            )
        if "name" not in entry:
            raise ConfigError("Schlüssel name fehlt", where=where)
        params = dict(entry)
        params.setdefault("label_de", str(params["name"]))
        if params.get("extra_in_migrants") is None:  # YAML "extra_in_migrants:" without entries
            params["extra_in_migrants"] = {}
        scenario = Scenario(**params)
        if scenario.name in result and scenario.name != STATUS_QUO:
            raise ConfigError(f"Szenarioname {scenario.name!r} doppelt", where=where)
        result[scenario.name] = scenario
    return list(result.values())


# ----------------------------------------------------------------------------------------------------------
# projection


def _control_series(control_total: Any, years: range) -> dict[int, float]:
    if control_total is None:
        return {}
    try:
        series = pd.Series(control_total, dtype=float)
        series.index = [int(y) for y in series.index]
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            "control_total muss eine Reihe Jahr → Einwohnerzahl sein", where="control_total"
        ) from exc
    bad = series[~np.isfinite(series.to_numpy()) | (series.to_numpy() <= 0)]
    if len(bad):
        raise ConfigError(
            f"Eckwert für {bad.index[0]} ist keine positive Zahl ({bad.iloc[0]})",
            where="control_total",
            hint="Eckwerte der Stadt als positive Einwohnerzahlen angeben",
        )
    return {y: float(v) for y, v in series.items() if y in years}


def project(
    base_population: pd.DataFrame,
    rates: Rates,
    start_year: int,
    horizon: int = 15,
    scenario: Scenario | None = None,
    control_total: pd.Series | Mapping[int, float] | None = None,
    include_base: bool = True,
    return_components: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Project the population at 31.12.``start_year`` for ``horizon`` years (cohort-component, see module).

    ``base_population``: long table (area_id, sex, age, count; a ``year`` column is filtered to start_year;
    nationality is summed). Areas of the rates missing from it start with zero inhabitants.
    ``control_total``: city totals by year; after projecting a year, every cell is multiplied by
    control / projected city total (proportional scaling keeps each area's share and its age-sex structure),
    and the scaled population is the start of the next year. Years without a control value are not scaled.
    If death + out-migration rates of a cell exceed 1 (large scenario factors), they are scaled down to 1.

    Returns (area_id, year, sex, age, count float), including the base year unless ``include_base=False``;
    with ``return_components`` also per area × year: births, deaths, in_ext, out_ext, in_int, out_int, extra.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ConfigError(f"horizon muss eine ganze Zahl ≥ 1 sein, gefunden {horizon!r}", where="horizon")
    start_year = int(start_year)
    scenario = scenario if scenario is not None else Scenario()
    has_year = isinstance(base_population, pd.DataFrame) and "year" in base_population.columns
    if has_year:  # select the start year first: validating all years of a large table is wasted time
        base_population = base_population[
            pd.to_numeric(base_population["year"], errors="coerce") == start_year
        ]
        if base_population.empty:
            raise _fail(
                "base_population", f"kein Bestand zum 31.12.{start_year}", "start_year prüfen", "Spalte year"
            )
    pop = _validate(base_population, "base_population", ["count"], need_year=has_year)
    areas = rates.area_index
    unknown = sorted(set(pop["area_id"].unique()) - set(areas))
    if unknown:
        raise _fail(
            "base_population",
            f"Gebiet(e) ohne geschätzte Raten: {', '.join(unknown[:5])}",
            "Raten aus Daten derselben Gebietsgliederung schätzen",
            "Spalte area_id",
        )
    extra_unknown = sorted(set(scenario.extra_in_migrants) - set(areas))
    if extra_unknown:
        raise ConfigError(
            f"unbekannte Gebiete in extra_in_migrants: {', '.join(extra_unknown[:5])}",
            where=f"Szenario {scenario.name!r}",
        )
    years = range(start_year + 1, start_year + horizon + 1)
    control = _control_series(control_total, years)

    q = rates.death_rate[None, :, :] * rates.smr[:, None, None] * scenario.mortality_factor
    o_ext = rates.out_ext_rate * scenario.out_migration_factor
    o_int = rates.out_int_rate * scenario.internal_migration_factor
    exits = q + o_ext + o_int
    cap = np.where(exits > 1, 1 / np.where(exits > 1, exits, 1), 1.0)
    q, o_ext, o_int = q * cap, o_ext * cap, o_int * cap
    asfr = rates.fertility_rate[None, :] * rates.fertility_factor[:, None] * scenario.fertility_factor
    in_ext = rates.in_ext * scenario.in_migration_factor
    extra = np.array([scenario.extra_in_migrants.get(a, 0.0) for a in areas])
    extra_cells = extra[:, None, None] * rates.in_profile[None, :, :]

    current = _cubes(pop, ["count"], areas, None)["count"]
    frames = [current] if include_base else []
    comp = []
    for year in years:
        risk = _age_one_year(current)
        births = (risk[:, 1, :] * asfr).sum(axis=1)
        risk[:, 0, 0] = births * BOY_SHARE
        risk[:, 1, 0] = births * (1 - BOY_SHARE)
        deaths, out_e, out_i = risk * q, risk * o_ext, risk * o_int
        in_i = rates.in_int_share * out_i.sum(axis=0)[None, :, :]
        add = extra_cells if scenario.extra_active(year) else np.zeros_like(extra_cells)
        current = risk - deaths - out_e - out_i + in_ext + in_i + add
        if year in control:
            total = current.sum()
            if total <= 0:
                raise WorkbenchError(
                    f"Eckwert {year}: projizierte Bevölkerung ist 0, Skalierung unmöglich",
                    where="control_total",
                )
            current = current * (control[year] / total)
        frames.append(current)
        if return_components:
            comp.append(
                pd.DataFrame(
                    {
                        "area_id": areas,
                        "year": year,
                        "births": births,
                        "deaths": deaths.sum(axis=(1, 2)),
                        "in_ext": in_ext.sum(axis=(1, 2)),
                        "out_ext": out_e.sum(axis=(1, 2)),
                        "in_int": in_i.sum(axis=(1, 2)),
                        "out_int": out_i.sum(axis=(1, 2)),
                        "extra": add.sum(axis=(1, 2)),
                    }
                )
            )
    out_years = ([start_year] if include_base else []) + list(years)
    n_a, n_y = len(areas), len(out_years)
    result = pd.DataFrame(
        {
            "area_id": _labels(np.tile(np.repeat(np.arange(n_a), 2 * N_AGES), n_y), list(areas)),
            "year": np.repeat(np.asarray(out_years, dtype=np.int64), n_a * 2 * N_AGES),
            "sex": _labels(np.tile(np.repeat(np.arange(2), N_AGES), n_a * n_y), list(SEXES)),
            "age": np.tile(np.arange(N_AGES, dtype=np.int64), 2 * n_a * n_y),
            "count": np.concatenate([f.reshape(-1) for f in frames]),
        }
    )
    if return_components:
        return result, pd.concat(comp, ignore_index=True)
    return result


# ----------------------------------------------------------------------------------------------------------
# back-test and helpers


def backtest(
    population: pd.DataFrame,
    events: pd.DataFrame,
    base_year: int,
    target_year: int,
    base_years: int = 3,
    smoothing: str = "band5",
    shrinkage: str | float = "auto",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Project from 31.12.``base_year`` with rates from years ≤ base_year; compare with 31.12.``target_year``.

    Rates use the last ``base_years`` years up to base_year for which both the previous year's population and
    the events exist (fewer if the data start later; the years used are returned as ``base_years``).
    Returns per area (area_id, observed, projected, error = projected − observed, ape = |error| / observed · 100
    in %, NaN for empty areas) and for the city: observed, projected, error, ape (%), mape (mean ape over
    areas, %), median_ape (%), n_areas, base_years.
    """
    base_year, target_year = int(base_year), int(target_year)
    if target_year <= base_year:
        raise ConfigError(
            f"Zieljahr {target_year} muss nach dem Basisjahr {base_year} liegen", where="target_year"
        )
    pop, ev = _prepare_inputs(population, events)
    pop_years, ev_years = set(pop["year"].unique().tolist()), set(ev["year"].unique().tolist())
    for y, name in ((base_year, "Basisjahr"), (target_year, "Zieljahr")):
        if y not in pop_years:
            raise _fail("population", f"kein Bestand zum 31.12.{y} ({name})", where="Spalte year")
    used = [
        t
        for t in range(base_year - int(base_years) + 1, base_year + 1)
        if t - 1 in pop_years and t in ev_years
    ]
    if not used:
        raise _fail(
            "events",
            f"keine Basisjahre ≤ {base_year} mit Bewegungsdaten und Vorjahresbestand",
            "früheres Zieljahr oder späteres Basisjahr wählen",
            "Spalte year",
        )
    rates = estimate_rates(
        pop[pop["year"] <= base_year], ev[ev["year"] <= base_year], used, smoothing, shrinkage
    )
    projected = project(
        pop[pop["year"] == base_year], rates, base_year, target_year - base_year, include_base=False
    )
    projected = projected[projected["year"] == target_year].groupby("area_id")["count"].sum()
    observed = pop[pop["year"] == target_year].groupby("area_id")["count"].sum()
    new_areas = sorted(set(observed.index) - set(rates.areas))
    if new_areas:
        raise _fail(
            "population",
            f"Gebiet(e) im Zieljahr {target_year}, nicht im Basisjahr: {', '.join(new_areas[:5])}",
            "Gebietsgliederung hat sich geändert; Bestände auf eine Gliederung umschlüsseln",
        )
    per_area = pd.DataFrame(
        {
            "observed": observed.reindex(rates.area_index, fill_value=0.0).astype(float),
            "projected": projected.reindex(rates.area_index, fill_value=0.0),
        }
    )
    per_area["error"] = per_area["projected"] - per_area["observed"]
    obs = per_area["observed"].to_numpy()
    per_area["ape"] = np.divide(
        np.abs(per_area["error"].to_numpy()) * 100, obs, out=np.full(len(obs), np.nan), where=obs > 0
    )
    per_area = per_area.reset_index()
    city_obs, city_proj = float(per_area["observed"].sum()), float(per_area["projected"].sum())
    city = {
        "observed": city_obs,
        "projected": city_proj,
        "error": city_proj - city_obs,
        "ape": abs(city_proj - city_obs) / city_obs * 100 if city_obs > 0 else math.nan,
        "mape": float(per_area["ape"].mean()),
        "median_ape": float(per_area["ape"].median()),
        "n_areas": int(len(per_area)),
        "base_years": list(used),
    }
    return per_area, city


def age_group_labels(bins: Sequence[int]) -> list[str]:
    """German labels for lower bounds: ``[0, 3, 80]`` → ``["0–2", "3–79", "80+"]`` (single ages as ``"5"``)."""
    labels = []
    for lo, hi in zip(bins, [*bins[1:], None], strict=True):
        if hi is None:
            labels.append(f"{lo}+" if lo < MAX_AGE else f"{MAX_AGE}+")
        elif hi - 1 == lo:
            labels.append(str(lo))
        else:
            labels.append(f"{lo}–{hi - 1}")
    return labels


def age_groups(
    df: pd.DataFrame,
    bins: Sequence[int] = DEFAULT_AGE_BINS,
    value: str | Sequence[str] = "count",
    labels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Sum single years of age into age groups given by their lower bounds (the last group is open).

    ``bins`` must start at 0 and increase strictly up to at most 100. All columns other than ``age`` and the
    value column(s) are kept as keys; the result has an ordered categorical ``age_group`` instead of ``age``.
    """
    values = [value] if isinstance(value, str) else list(value)
    bounds = [int(b) for b in bins]
    if (
        not bounds
        or bounds[0] != 0
        or any(b >= c for b, c in zip(bounds, bounds[1:], strict=False))
        or bounds[-1] > MAX_AGE
    ):
        raise ConfigError(
            f"Altersgruppen-Grenzen ungültig: {list(bins)}",
            where="bins",
            hint="aufsteigende Untergrenzen ab 0, höchstens 100, z. B. [0, 3, 6, 10, 18]",
        )
    names = list(labels) if labels is not None else age_group_labels(bounds)
    if len(names) != len(bounds):
        raise ConfigError("Anzahl der Beschriftungen passt nicht zu den Altersgruppen", where="labels")
    missing = [c for c in ["age", *values] if c not in df.columns]
    if missing:
        raise DataValidationError(f"Spalte(n) {', '.join(missing)} fehlen", where="age_groups")
    keys = [c for c in df.columns if c not in ("age", *values)]
    group = pd.cut(df["age"], bins=[*bounds, MAX_AGE + 1], right=False, labels=names)
    if group.isna().any():
        raise DataValidationError("Alter außerhalb 0 … 100", where="age_groups, Spalte age")
    tmp = df[keys + values].assign(age_group=pd.Categorical(group, categories=names, ordered=True))
    out = tmp.groupby([*keys, "age_group"], observed=True, sort=True)[values].sum().reset_index()
    return out
