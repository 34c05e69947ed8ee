"""Demo data for steering: a measure with a planted effect and comparison areas, and expenditure (costs).

Both parts draw from their own random stream (``SeedSequence([seed, STEERING_STREAM])``), so the rest of the
demo city does not change when they change.

**Planted effect** (:func:`plant_effect`): measure „Jugendberufshilfe im Quartier“ (id :data:`PLANTED_ID`,
target indicator ``jugend_alo``) runs from 1 January of ``last_year − 2`` in a few areas of the upper half of
deprivation (every third area of the deprivation ranking, starting with the second; only areas with at least
1,000 inhabitants). From that year on each unemployed person under 25 of these areas is kept with probability
1 − :data:`PLANTED_EFFECT` (binomial thinning): the measure lowers youth unemployment by 30 % — in percentage
points of ``jugend_alo`` about −0.3 × the areas' rate. The other areas are untouched, so comparison areas
matched on the monitoring indicators show the counterfactual.

**Costs** (:func:`costs`, raw file ``kosten.csv``): expenditure per Sozialraum, year and Leistung:

* Hilfen zur Erziehung by Hilfeart (§§ 27 ff. SGB VIII): the demo's HzE cases × an average annual cost per
  case (:data:`HZE_COST_PER_CASE`, reporting year 2024) × a small area factor (lognormal, sd 0.08); earlier
  years are deflated by :data:`HZE_COST_GROWTH` per year;
* Kosten der Unterkunft und Heizung (SGB II): Bedarfsgemeinschaften = SGB-II persons / about 1.9 persons per
  BG, × 12 × the average monthly KdU per BG of the year (:data:`KDU_PER_BG_MONTH`) × a rent factor (central
  areas dearer).

The magnitudes are approximate values of published German statistics, quoted from memory without access to
the sources (no internet on the build machine) — they give realistic orders of magnitude, not official
figures:

* Destatis, Statistiken der Kinder- und Jugendhilfe (Ausgaben und Einnahmen; Hilfe zur Erziehung) and the
  Monitor Hilfen zur Erziehung (Arbeitsstelle Kinder- und Jugendhilfestatistik, TU Dortmund), „Ausgaben je
  Hilfe“: Heimerziehung (§ 34) rund 60.000–70.000 € je Hilfe und Jahr, Vollzeitpflege (§ 33) rund 20.000 €,
  Tagesgruppe (§ 32) rund 25.000–30.000 €, SPFH (§ 31) rund 12.000–15.000 € je Familie, Erziehungsbeistand
  (§ 30) rund 8.000–10.000 €, soziale Gruppenarbeit (§ 29) rund 4.000–5.000 €, intensive sozialpädagogische
  Einzelbetreuung (§ 35) rund 40.000–50.000 €, Eingliederungshilfe (§ 35a, ambulant und stationär gemischt)
  rund 20.000 €; Kostensteigerung zuletzt rund 4–5 % im Jahr;
* Statistik der Bundesagentur für Arbeit, „Kosten der Unterkunft und Heizung (KdU)“ / Grundsicherung für
  Arbeitsuchende: laufende anerkannte KdU je Bedarfsgemeinschaft rund 470 € (2019) bis rund 560 € (2024) im
  Monat, rund 1,9 Personen je Bedarfsgemeinschaft.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.demo._social import HZE_TYPES
from workbench.demo._traits import AreaTraits

STEERING_STREAM = 1602
"""Second entry of the seed sequence of this module's random stream."""

PLANTED_ID = "M09"
PLANTED_NAME = "Jugendberufshilfe im Quartier"
PLANTED_INDICATOR = "jugend_alo"
PLANTED_EFFECT = 0.30
"""Share of the unemployed under 25 that the planted measure removes in its areas (binomial thinning)."""

TARGET_INDICATORS = {"M02": "kinderarmut", PLANTED_ID: PLANTED_INDICATOR}
"""Target indicator (catalogue id) of the demo measures that have one (column ``Zielindikator``)."""

HZE_COST_PER_CASE = {
    "§27.2": 8_000,
    "§29": 4_500,
    "§30": 9_000,
    "§31": 13_500,
    "§32": 27_000,
    "§33": 20_000,
    "§34": 65_000,
    "§35": 45_000,
    "§35a": 20_000,
}
"""Average annual expenditure per case of each Hilfeart in 2024, in € (approximate, see module docstring)."""

HZE_COST_GROWTH = 0.045
"""Annual growth of the cost per case (earlier years = 2024 value / 1.045^(2024 − year))."""

KDU_PER_BG_MONTH = {2019: 470, 2020: 480, 2021: 490, 2022: 505, 2023: 530, 2024: 560}
"""Average monthly Kosten der Unterkunft und Heizung per Bedarfsgemeinschaft in €, by year (approximate)."""

PERSONS_PER_BG = 1.9
"""Persons in SGB II per Bedarfsgemeinschaft (approximate)."""

KDU_LABEL = "KdU"
"""Leistung of the Kosten der Unterkunft rows of ``kosten.csv``."""


@dataclass(frozen=True)
class Planted:
    """The planted measure: its areas (indices and ids), start year and the thinned counts."""

    areas: list[int]
    area_ids: list[str]
    start_year: int


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), STEERING_STREAM]))


def plant_effect(
    seed: int, social: pd.DataFrame, traits: AreaTraits, area_ids: list[str], last_year: int
) -> tuple[pd.DataFrame, Planted]:
    """``social`` with the planted effect on ``unemployed_u25`` (see module docstring) and the measure."""
    rng = _rng(seed)
    n = len(area_ids)
    order = [int(i) for i in np.argsort(-traits.deprivation, kind="stable") if traits.population[i] >= 1000]
    upper = order[: max(2, len(order) // 2)]
    k = max(2, n // 8)
    chosen = sorted(upper[1::3][:k]) if len(upper[1::3]) >= 2 else sorted(upper[:k])
    start = last_year - 2
    ids = [area_ids[i] for i in chosen]
    out = social.copy()
    hit = out["area_id"].isin(ids) & (out["year"] >= start)
    kept = rng.binomial(out.loc[hit, "unemployed_u25"].to_numpy(np.int64), 1.0 - PLANTED_EFFECT)
    out.loc[hit, "unemployed_u25"] = kept
    return out, Planted(chosen, ids, start)


def planted_register(seed: int, planted: Planted, last_year: int) -> tuple[dict, list[dict]]:
    """Register row and KPI rows (raw-file columns) of the planted measure."""
    rng = _rng(seed + 1)
    row = {
        "Massnahme_ID": PLANTED_ID,
        "Name": PLANTED_NAME,
        "Sozialraeume": ",".join(planted.area_ids),
        "Beginn": f"01.01.{planted.start_year}",
        "Ende": "",
        "Budget_EUR": str(180_000 * len(planted.area_ids)),
    }
    kpis = []
    for j, year in enumerate(range(planted.start_year, last_year + 1)):
        goal = 40 * len(planted.area_ids)
        value = int(round(goal * (0.75 + 0.15 * j + rng.normal(0, 0.05))))
        kpis.append(
            {
                "Massnahme_ID": PLANTED_ID,
                "Kennzahl": "Teilnehmende Jugendliche",
                "Jahr": str(year),
                "Wert": str(value),
                "Zielwert": str(goal),
            }
        )
    return row, kpis


def costs(seed: int, social: pd.DataFrame, traits: AreaTraits, area_ids: list[str]) -> pd.DataFrame:
    """``kosten.csv``: Sozialraum, Jahr, Leistung (Hilfeart or „KdU“), Faelle (cases or BG), Ausgaben_EUR."""
    rng = _rng(seed + 2)
    n = len(area_ids)
    area_factor = np.exp(rng.normal(0, 0.08, (n, len(HZE_TYPES))))
    rent = 0.9 + 0.2 * np.clip(traits.centrality, 0, 1)
    pos = {a: i for i, a in enumerate(area_ids)}
    rows = []
    last = int(social["year"].max())
    ordered = social.sort_values(["area_id", "year"], kind="stable")
    cases_by_type = ordered[[f"hze_{h}" for h in HZE_TYPES]].to_numpy(np.int64)
    for r, (area, year, rlb) in enumerate(
        zip(ordered["area_id"], ordered["year"].astype(int), ordered["sgb2_rlb"], strict=True)
    ):
        i = pos[area]
        deflate = (1 + HZE_COST_GROWTH) ** (last - year)
        for k, h in enumerate(HZE_TYPES):
            cases = int(cases_by_type[r, k])
            cost = cases * HZE_COST_PER_CASE[h] / deflate * area_factor[i, k]
            rows.append((area, year, h, cases, int(round(cost))))
        bg = int(round(rlb / (PERSONS_PER_BG * np.exp(rng.normal(0, 0.03)))))
        month = KDU_PER_BG_MONTH.get(year, KDU_PER_BG_MONTH[max(KDU_PER_BG_MONTH)])
        rows.append((area, year, KDU_LABEL, bg, int(round(bg * 12 * month * rent[i]))))
    return pd.DataFrame(rows, columns=["Sozialraum", "Jahr", "Leistung", "Faelle", "Ausgaben_EUR"])
