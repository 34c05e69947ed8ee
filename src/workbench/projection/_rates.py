"""Implementation of the status-quo rate estimation for :mod:`workbench.projection`.

Private: import :func:`~workbench.projection.estimate_rates` and :class:`~workbench.projection.Rates` from
:mod:`workbench.projection`, whose docstring gives the accounting identity. Also holds the input validation
and array helpers that the projection itself uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import ConfigError, DataValidationError
from workbench.vocabulary import MAX_AGE, SEXES

N_AGES = MAX_AGE + 1
"""Number of single years of age 0 … 100: the length of the age axis of every rate array."""


BOY_SHARE = 105.0 / 205.0
"""Share of boys among births (sex ratio at birth 105 boys : 100 girls)."""


FERTILE_AGES = (15, 49)
"""Mothers' ages (completed age at 31.12.) with fertility rates; births outside are folded into 15 and 49."""


EVENT_COLUMNS = ("births", "deaths", "in_ext", "out_ext", "in_int", "out_int")
"""Count columns of the events table: births (in the mothers' rows), deaths, external and internal in/out moves."""


SMOOTHING_OPTIONS = ("none", "band5", "kernel")


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

    def refuse_first(bad: Any, message: Any, hint: str | None = None) -> None:
        """Raise for the first row where ``bad`` holds; ``message(i)`` describes row ``i``."""
        if bad.any():
            i = out.index[np.asarray(bad)][0]
            raise _fail(table, message(i), hint, f"Zeile {i + 1}")

    refuse_first(
        ~out["sex"].isin(SEXES),
        lambda i: f"unbekanntes Geschlecht {out.at[i, 'sex']!r}",
        "erlaubt sind 'm' und 'w'",
    )
    for col in ["age", "year"] if need_year else ["age"]:
        num = pd.to_numeric(out[col], errors="coerce")
        refuse_first(
            num.isna() | (num != np.round(num)),
            lambda i, col=col: f"{col} muss eine ganze Zahl sein, gefunden {out.at[i, col]!r}",
        )
        out[col] = num.astype("int64")
    refuse_first(
        (out["age"] < 0) | (out["age"] > MAX_AGE),
        lambda i: f"Alter {out.at[i, 'age']} außerhalb 0 … 100",
        "100 steht für 100 und älter",
    )
    for col in values:
        num = pd.to_numeric(out[col], errors="coerce")
        refuse_first(
            num.isna() | ~np.isfinite(num.to_numpy(dtype=float, na_value=np.nan)),
            lambda i, col=col: f"Spalte {col}: kein gültiger Zahlenwert ({out.at[i, col]!r})",
        )
        refuse_first(
            num < 0,
            lambda i, col=col, num=num: (
                f"Spalte {col}: negative Anzahl {num[i]} (Jahr {out.at[i, 'year'] if need_year else '–'})"
            ),
            "Anzahlen müssen ≥ 0 sein; Rohdaten prüfen",
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


@dataclass(frozen=True, eq=False)
class Rates:
    """Status-quo rates of the cohort-component projection, as returned by :func:`estimate_rates`.

    Arrays are indexed area (in the order of ``areas``) × sex (0 = "m", 1 = "w") × single year of age 0 … 100
    (100 = "100 und älter"). All rates are events per person at risk and year (probabilities, unit 1/year); the
    person at risk is the population at 31.12. of the previous year aged by one year (for age 0: the births of
    the year).

    Parameters
    ----------
    areas : tuple of str
        Area ids (sorted); :attr:`area_index` gives them as a pandas Index named ``area_id``.
    base_years : tuple of int
        Calendar years whose events (and previous-year populations) were averaged.
    death_rate : numpy.ndarray, shape (2, 101)
        City death rate q(sex, age).
    smr : numpy.ndarray, shape (A,)
        Shrunk standardised mortality ratio per area; area death rate = death_rate · smr.
    fertility_rate : numpy.ndarray, shape (101,)
        City age-specific fertility rate, births per woman at risk; zero outside 15 … 49.
    fertility_factor : numpy.ndarray, shape (A,)
        Shrunk ratio observed / expected births per area.
    out_ext_rate : numpy.ndarray, shape (A, 2, 101)
        External out-migration rate.
    in_ext : numpy.ndarray, shape (A, 2, 101)
        External in-migrants, average persons per year.
    out_int_rate : numpy.ndarray, shape (A, 2, 101)
        Internal out-move rate (moves to other areas of the city).
    in_int_share : numpy.ndarray, shape (A, 2, 101)
        Destination shares of internal moves; sums to 1 over areas for every sex × age.
    in_profile : numpy.ndarray, shape (2, 101)
        Sex × age profile of all in-movers (external + internal), sums to 1; used for extra in-migrants.
    smoothing : str
        Age smoothing used (``"band5"``, ``"kernel"`` or ``"none"``).
    shrinkage_deaths, shrinkage_births : float
        Prior strength k (in expected events) of the empirical-Bayes shrinkage; ``inf`` = all areas get the
        city ratio.
    area_stats : pandas.DataFrame
        Per area: observed / expected deaths and births over the base years, ``smr``, ``fertility_factor``.

    Notes
    -----
    A frozen result container (no checks); the estimation is described in :func:`estimate_rates` and in
    docs/METHODEN.md, Abschnitt „Raten aus gemittelten Basisjahren“.

    Examples
    --------
    A single area with 50 persons in every cell and no events:

    >>> import pandas as pd
    >>> from workbench.projection import EVENT_COLUMNS, estimate_rates
    >>> cells = pd.MultiIndex.from_product([["A"], [2022, 2023], ["m", "w"], range(101)],
    ...                                    names=["area_id", "year", "sex", "age"])
    >>> pop = pd.DataFrame({"count": 50.0}, index=cells).reset_index()
    >>> ev = pop[pop["year"] == 2023].drop(columns="count").assign(**dict.fromkeys(EVENT_COLUMNS, 0.0))
    >>> r = estimate_rates(pop, ev, [2023])
    >>> r.areas, r.base_years, r.death_rate.shape, r.out_ext_rate.shape, list(r.area_index)
    (('A',), (2023,), (2, 101), (1, 2, 101), ['A'])
    >>> round(float(r.in_int_share.sum(axis=0).min()), 12), round(float(r.in_profile.sum()), 12)
    (1.0, 1.0)
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
        """The area ids as a pandas Index named ``area_id`` (order of the first axis of the area arrays)."""
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

    Parameters
    ----------
    population : pandas.DataFrame
        Long table ``area_id, year, sex ("m"/"w"), age (0 … 100), count`` (persons at 31.12.; further key
        columns such as ``nationality`` are summed). Must hold 31.12.(t−1) for every base year t.
    events : pandas.DataFrame
        Long table ``area_id, year, sex, age`` and the counts of :data:`EVENT_COLUMNS` (``births`` in the rows of
        the mothers, by the mother's age; ``in_int`` / ``out_int`` = moves between areas of the city).
    base_years : iterable of int
        Calendar years t whose events are pooled (e.g. the last three years).
    smoothing : {"band5", "kernel", "none"}, default "band5"
        Age smoothing of the migration rates and numbers: 5-year bands, the 1-2-3-2-1 kernel over ±2 years, or
        none.
    shrinkage : "auto" or float, default "auto"
        Empirical-Bayes shrinkage of the area death and fertility ratios: ``"auto"`` (Marshall's method of
        moments) or a fixed prior strength k ≥ 0 in expected events (0 = raw ratios).

    Returns
    -------
    Rates
        The rates (arrays area × sex × age, see :class:`Rates`).

    Raises
    ------
    ConfigError
        For an unknown ``smoothing``, an invalid ``shrinkage`` or no / non-integer base years.
    DataValidationError
        For malformed tables (missing columns, unknown sex, age outside 0 … 100, negative or non-numeric counts,
        duplicate keys), areas in ``events`` missing from ``population``, births in rows of men, a missing
        previous-year population or missing events for a base year, or more deaths than persons at risk.

    Notes
    -----
    Cohort-component method as used by German cities (SIKURS; docs/METHODEN.md, Abschnitte „Raten aus
    gemittelten Basisjahren“, „Schrumpfung (Empirical Bayes)“, „Geburten“, „Wanderungen“):

    - Deaths: city death rate q(sex, age) = Σ deaths / Σ persons at risk over all areas and base years (single
      years of age, no smoothing). Per area SMR = observed / expected deaths (expected = Σ at risk · q), shrunk
      towards the city mean m: (O + k·m) / (E + k) with k = m / s² and, for ``"auto"``,
      s² = Σ E·(O/E − m)² / Σ E − m / Ē (Marshall 1991); s² ≤ 0 gives every area the city ratio.
    - Fertility: city ASFR(a) = Σ births to mothers aged a / Σ women at risk aged a, a = 15 … 49 (births to
      younger / older mothers are counted at 15 / 49); area fertility factor = observed / expected births,
      shrunk alike.
    - External out-migration and internal out-moves: rates by area × sex × age, events and persons at risk
      each smoothed over age before dividing; the city rate where an area had nobody at risk.
    - External in-migration: average persons per year by area × sex × age, smoothed (totals kept).
    - Internal in-moves: destination share of each area in the city's internal in-moves by sex × age
      (smoothed); where the city had none, the area's share of all internal in-moves.

    References
    ----------
    Marshall, R. J. (1991). Mapping disease and mortality rates using empirical Bayes estimators. *Applied
    Statistics* 40, 283–294.

    Examples
    --------
    Two areas with 100 persons in every cell; in 2023 area A has 1 and area B 3 deaths in every cell aged
    80 … 100. By hand: q = 4 / 200 = 0.02 at 80 … 99 and 4 / 400 = 0.01 in the open group 100 (at risk: those
    aged 99 and 100). Observed deaths are 42 and 126, expected 84 each, so the raw SMRs are 0.5 and 1.5;
    Marshall: m = 1, s² = (84 · 0.25 + 84 · 0.25) / 168 − 1 / 84 = 0.238095, k = 4.2, shrunk SMR
    (42 + 4.2) / 88.2 = 0.523810 and (126 + 4.2) / 88.2 = 1.476190:

    >>> import numpy as np
    >>> import pandas as pd
    >>> from workbench.projection import estimate_rates
    >>> cells = [(a, s, age) for a in ("A", "B") for s in ("m", "w") for age in range(101)]
    >>> pop = pd.DataFrame([(a, y, s, age, 100.0) for y in (2022, 2023) for a, s, age in cells],
    ...                    columns=["area_id", "year", "sex", "age", "count"])
    >>> ev = pop[pop.year == 2023].drop(columns="count").assign(
    ...     births=0.0, deaths=0.0, in_ext=0.0, out_ext=0.0, in_int=0.0, out_int=0.0)
    >>> old = ev.age >= 80
    >>> ev.loc[old, "deaths"] = np.where(ev.loc[old, "area_id"] == "A", 1.0, 3.0)
    >>> rates = estimate_rates(pop, ev, base_years=[2023])
    >>> float(rates.death_rate[0, 85]), float(rates.death_rate[1, 100])
    (0.02, 0.01)
    >>> rates.smr.round(6).tolist(), round(float(rates.shrinkage_deaths), 6)
    ([0.52381, 1.47619], 4.2)
    >>> estimate_rates(pop, ev, [2023], shrinkage=0).smr.tolist()
    [0.5, 1.5]
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
