"""Facility register, resident survey and measures register of the demo city (raw-file tables as text).

Kita places are set per area from a coverage rate (U3 around 40 %, Ü3 around 93 % city-wide, lower in deprived
areas, with strong area variation) and rescaled so that the city-wide coverage of the reporting year hits a
drawn target in 37–43 % (U3) and 91–94 % (Ü3). Survey answers depend on the area's deprivation score; design
weights are inverse response propensities by age group, normalised to mean 1. Measures target the most deprived
areas and report yearly KPIs against targets from their start year on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.demo._geo import CityGeometry, _points_in
from workbench.demo._traits import AreaTraits

_KITA_NAMES = [
    "Sonnenschein",
    "Regenbogen",
    "Pusteblume",
    "Kunterbunt",
    "Zwergenland",
    "Löwenzahn",
    "Wirbelwind",
    "Sternschnuppe",
    "Arche Noah",
    "St. Marien",
    "Spatzennest",
    "Abenteuerland",
    "Wichtelhaus",
    "Kleine Strolche",
    "Am Bach",
    "Sausewind",
    "Purzelbaum",
    "Marienkäfer",
    "St. Josef",
    "Waldwichtel",
]
_STREETS = [
    "Hauptstraße",
    "Bahnhofstraße",
    "Schulstraße",
    "Gartenstraße",
    "Lindenstraße",
    "Kirchstraße",
    "Am Markt",
    "Bergstraße",
    "Mühlenweg",
    "Ringstraße",
    "Friedhofstraße",
    "Parkstraße",
    "Goethestraße",
    "Schillerstraße",
    "Rosenweg",
    "Birkenallee",
    "Wiesenweg",
    "Feldstraße",
    "Dorfstraße",
    "Uferstraße",
    "Amselweg",
    "Breite Straße",
    "Poststraße",
    "Weststraße",
    "Talstraße",
]
_COUNSELLING = [
    "Erziehungsberatung",
    "Schuldnerberatung",
    "Migrationsberatung",
    "Suchtberatung",
    "Sozialberatung",
]
SURVEY_ITEMS = [
    "F1_Wohnzufriedenheit",
    "F2_Sicherheit",
    "F3_Nachbarschaft",
    "F4_Angebote_Kinder_Jugend",
    "F5_Beratung_Unterstuetzung",
]
"""Likert items of the resident survey: 1 = sehr unzufrieden … 5 = sehr zufrieden; empty = keine Angabe."""
_AGE_GROUPS = ["18 bis 29", "30 bis 44", "45 bis 64", "65 und älter"]
_RESPONSE = np.array([0.55, 0.8, 1.0, 1.1])  # relative response propensity by age group
_TEXT_GOOD = [
    "Schöner Park, viel Grün.",
    "Gute Nachbarschaft, man hilft sich.",
    "Die Kita ist sehr gut.",
    "Ich wohne gern hier.",
    "Gute Busverbindung in die Innenstadt.",
    "Das Stadtteilfest war toll.",
]
_TEXT_BAD = [
    "Zu wenig Angebote für Jugendliche.",
    "Die Mieten steigen zu stark.",
    "Abends fühle ich mich unsicher.",
    "Es fehlen Kitaplätze.",
    "Der Spielplatz ist kaputt.",
    "Zu viel Verkehr und Lärm.",
    "Beratung nur mit langer Wartezeit.",
    "Mehr Sauberkeit auf den Straßen.",
]
_MEASURES = [
    (
        "Quartiersmanagement",
        [("Teilnehmende an Quartiersangeboten", 400, False), ("Aktive Ehrenamtliche", 40, False)],
    ),
    (
        "Präventionskette gegen Kinderarmut",
        [("Erreichte Familien", 250, False), ("Quote Willkommensbesuche (%)", 80, True)],
    ),
    (
        "Jobcoaching unter 25",
        [("Vermittlungen in Ausbildung oder Arbeit", 60, False), ("Vermittlungsquote (%)", 35, True)],
    ),
    ("Sprachförderung in Kitas", [("Geförderte Kinder", 180, False)]),
    ("Seniorennetzwerk", [("Teilnehmende", 300, False), ("Hausbesuche", 120, False)]),
    ("Schulsozialarbeit", [("Beratungsgespräche", 900, False)]),
    ("Stadtteilmütter", [("Erreichte Familien", 150, False)]),
    (
        "Familienzentrum plus",
        [("Beratungskontakte", 500, False), ("Anteil Familien mit Migrationsgeschichte (%)", 50, True)],
    ),
]


def decimal_comma(values: np.ndarray, decimals: int) -> list[str]:
    """Numbers as text with decimal comma (no thousands separator), e.g. 480123.4 -> "480123,4"."""
    return [f"{v:.{decimals}f}".replace(".", ",") for v in np.asarray(values, dtype=float)]


def _inner(poly):
    """The polygon shrunk by 25 m (so facility points keep off the border), or the polygon itself if too thin."""
    inner = poly.buffer(-25.0)
    return inner if (not inner.is_empty and inner.area > 0.2 * poly.area) else poly


def _point_inside(rng: np.random.Generator, region) -> tuple[float, float]:
    x, y = _points_in(region, rng, 1)[0]
    return round(float(x), 1), round(float(y), 1)


def facilities(
    rng: np.random.Generator, city: CityGeometry, traits: AreaTraits, pop_last: np.ndarray
) -> pd.DataFrame:
    """Facility register (~6 per Sozialraum) with Kita places; pop_last has shape (A, 2, 101, 2)."""
    by_age = pop_last.sum(axis=(1, 3))
    u3, ue3 = by_age[:, 0:3].sum(axis=1), by_age[:, 3:6].sum(axis=1)
    n = len(city.area_ids)
    cov_u3 = np.clip(0.40 * np.exp(-0.22 * traits.deprivation + rng.normal(0, 0.28, n)), 0.08, 0.9)
    cov_ue3 = np.clip(0.93 * np.exp(-0.05 * traits.deprivation + rng.normal(0, 0.09, n)), 0.6, 1.3)
    cov_u3 *= rng.uniform(0.37, 0.43) * u3.sum() / (cov_u3 * u3).sum()
    cov_ue3 *= rng.uniform(0.91, 0.94) * ue3.sum() / (cov_ue3 * ue3).sum()
    places_u3 = np.round(cov_u3 * u3).astype(int)
    places_ue3 = np.round(cov_ue3 * ue3).astype(int)
    rows = []
    regions = [_inner(p) for p in city.area_polys]

    def add(i: int, typ: str, name: str, carrier: str, capacity, pu3, pue3, target: str) -> None:
        x, y = _point_inside(rng, regions[i])
        rows.append(
            {
                "Einrichtung_ID": f"E{len(rows) + 1:05d}",
                "Name": name,
                "Typ": typ,
                "Traeger": carrier,
                "Adresse": f"{_STREETS[int(rng.integers(len(_STREETS)))]} {int(rng.integers(1, 120))}",
                "Rechtswert": x,
                "Hochwert": y,
                "Kapazitaet": capacity,
                "Plaetze_U3": pu3,
                "Plaetze_Ue3": pue3,
                "Zielgruppe": target,
                "Sozialraum": city.area_ids[i],
            }
        )

    def offer(
        i: int, chance: float, typ: str, carrier: tuple[str, float, str], capacity, target: str
    ) -> None:
        """With probability ``chance`` one facility "<typ> <area>": carrier ``first`` with probability ``p``
        (``carrier`` = (first, p, other)), capacity in tens drawn from ``capacity`` (low, high) or none."""
        if rng.uniform() < chance:
            first, p, other = carrier
            owner = first if rng.uniform() < p else other
            places = int(rng.integers(*capacity)) * 10 if capacity else None
            add(i, typ, f"{typ} {city.area_names[i]}", owner, places, None, None, target)

    for i in range(n):
        area = city.area_names[i]
        dep = traits.deprivation[i]
        n_kita = max(1, int(round((places_u3[i] + places_ue3[i]) / 80)))
        share = rng.dirichlet(np.full(n_kita, 5.0))
        ku3 = np.diff(np.round(np.concatenate([[0], np.cumsum(share)]) * places_u3[i]).astype(int))
        kue3 = np.diff(np.round(np.concatenate([[0], np.cumsum(share)]) * places_ue3[i]).astype(int))
        names = rng.choice(len(_KITA_NAMES), size=n_kita, replace=n_kita > len(_KITA_NAMES))
        for k in range(n_kita):
            carrier = "frei" if rng.uniform() < 0.6 else "kommunal"
            add(
                i,
                "Kita",
                f"Kita {_KITA_NAMES[names[k]]}",
                carrier,
                int(ku3[k] + kue3[k]),
                int(ku3[k]),
                int(kue3[k]),
                "Kinder 0 bis 6 Jahre",
            )
        pop_i = by_age[i].sum()
        n_school = 2 if pop_i > 11000 else (0 if pop_i < 3500 and rng.uniform() < 0.4 else 1)
        for k in range(n_school):
            suffix = f"am {_STREETS[int(rng.integers(len(_STREETS)))]}" if k else area
            add(
                i,
                "Grundschule",
                f"Grundschule {suffix}",
                "kommunal",
                int(rng.integers(15, 45)) * 10,
                None,
                None,
                "Kinder 6 bis 10 Jahre",
            )
        offer(
            i,
            0.35 + 0.25 * (dep > 0),
            "Familienzentrum",
            ("frei", 0.7, "kommunal"),
            None,
            "Familien mit Kindern",
        )
        offer(i, 0.5, "Jugendzentrum", ("kommunal", 0.5, "frei"), (4, 13), "Jugendliche 12 bis 21 Jahre")
        if rng.uniform() < 0.3 + 0.3 * (dep > 0.5):
            kind = _COUNSELLING[int(rng.integers(len(_COUNSELLING)))]
            add(i, "Beratungsstelle", f"{kind} {area}", "frei", None, None, None, "Erwachsene und Familien")
        offer(
            i,
            0.45 + 0.15 * (traits.old[i] > 0),
            "Seniorentreff",
            ("frei", 0.6, "kommunal"),
            (3, 9),
            "Seniorinnen und Senioren ab 65 Jahren",
        )
    df = pd.DataFrame(rows)
    df["Rechtswert"] = decimal_comma(df["Rechtswert"].to_numpy(), 1)
    df["Hochwert"] = decimal_comma(df["Hochwert"].to_numpy(), 1)
    for col in ("Kapazitaet", "Plaetze_U3", "Plaetze_Ue3"):
        df[col] = [("" if v is None or pd.isna(v) else str(int(v))) for v in df[col]]
    return df


SURVEY_STREAM = 1603
"""Second entry of the seed sequence of the earlier survey wave's own random stream (:func:`earlier_wave`)."""
SURVEY_WAVE_GAP = 2
"""The earlier survey wave is this many years before the last year (2022 and 2024 in the default demo)."""


def survey(
    rng: np.random.Generator,
    city: CityGeometry,
    traits: AreaTraits,
    pop_last: np.ndarray,
    mood_shift: np.ndarray | None = None,
) -> pd.DataFrame:
    """Resident survey microdata (30–60 respondents per Sozialraum) with design weights and Likert items;
    ``mood_shift`` (one value per area, default 0) moves the areas' mean answer."""
    by_age = pop_last.sum(axis=(1, 3))
    groups = np.stack(
        [by_age[:, 18:30].sum(1), by_age[:, 30:45].sum(1), by_age[:, 45:65].sum(1), by_age[:, 65:].sum(1)],
        axis=1,
    ).astype(float)
    offsets = np.array([0.2, -0.1, 0.1, -0.3, -0.4])
    missing = np.array([0.03, 0.05, 0.05, 0.1, 0.12])
    rows, weights = [], []
    for i, area in enumerate(city.area_ids):
        n = int(rng.integers(30, 61))
        p = groups[i] * _RESPONSE
        g = rng.choice(4, size=n, p=p / p.sum())
        # inverse response propensity × persons represented per respondent
        w = groups[i].sum() / n * (p.sum() / groups[i].sum()) / _RESPONSE[g]
        weights.extend(w)
        shift = 0.0 if mood_shift is None else float(mood_shift[i])
        mood = 3.7 - 0.45 * traits.deprivation[i] + shift + rng.normal(0, 0.6, n)
        for r in range(n):
            answers = np.clip(np.rint(mood[r] + offsets + rng.normal(0, 0.8, 5)), 1, 5).astype(int)
            miss = rng.uniform(size=5) < missing
            text = ""
            if rng.uniform() < 0.15:
                pool = _TEXT_BAD if rng.uniform() < 0.45 + 0.15 * traits.deprivation[i] else _TEXT_GOOD
                text = pool[int(rng.integers(len(pool)))]
            u = rng.uniform()
            rows.append(
                {
                    "Befragte_ID": f"B{len(rows) + 1:05d}",
                    "Sozialraum": area,
                    "Altersgruppe": _AGE_GROUPS[g[r]],
                    "Geschlecht": "d" if u < 0.006 else ("w" if u < 0.52 else "m"),
                    **{item: ("" if miss[k] else str(answers[k])) for k, item in enumerate(SURVEY_ITEMS)},
                    "Freitext": text,
                }
            )
    w = np.asarray(weights)
    df = pd.DataFrame(rows)
    df.insert(4, "Gewicht", decimal_comma(w / w.mean(), 4))
    return df


def earlier_wave(seed: int, city: CityGeometry, traits: AreaTraits, pop: np.ndarray) -> pd.DataFrame:
    """The earlier survey wave (``befragung_<last year − 2>.csv``): same design and items, drawn from its own
    stream (``SeedSequence([seed, SURVEY_STREAM])``, so the other raw files do not change), with the areas'
    mean answer lower by a change drawn per area (mean 0.15, sd 0.3 on the 1–5 scale): most areas improve
    a little towards the last wave, a few clearly, some get worse."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), SURVEY_STREAM]))
    change = rng.normal(0.15, 0.3, len(city.area_ids))
    return survey(rng, city, traits, pop, mood_shift=-change)


def _german_date(year: int, month: int, day: int = 1) -> str:
    return f"{day:02d}.{month:02d}.{year}"


def measures(
    rng: np.random.Generator, city: CityGeometry, traits: AreaTraits, first_year: int, last_year: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Measures register (8 measures, mostly in deprived areas) and KPI values per year with targets."""
    order = np.argsort(-traits.deprivation, kind="stable")
    top = order[: max(3, len(order) // 4)]
    reg, kpis = [], []
    for m, (name, kpi_list) in enumerate(_MEASURES):
        k = int(rng.integers(1, min(4, len(city.area_ids)) + 1))
        pool = top if rng.uniform() < 0.75 else order
        areas = sorted(rng.choice(pool, size=min(k, len(pool)), replace=False).tolist())
        start = int(rng.integers(first_year, max(first_year, last_year - 2) + 1))
        end = "" if rng.uniform() < 0.3 else _german_date(start + int(rng.integers(3, 7)), 12, 31)
        title = f"{name} {city.area_names[areas[0]]}" if k == 1 else name
        mid = f"M{m + 1:02d}"
        reg.append(
            {
                "Massnahme_ID": mid,
                "Name": title,
                "Sozialraeume": ",".join(city.area_ids[a] for a in areas),
                "Beginn": _german_date(start, int(rng.integers(1, 13))),
                "Ende": end,
                "Budget_EUR": str(int(rng.integers(50, 900)) * 1000),
            }
        )
        for kpi, target, is_pct in kpi_list:
            scale = 1.0 if is_pct else len(areas) ** 0.5
            for j, year in enumerate(range(start, last_year + 1)):
                goal = target * scale * (1 + 0.05 * j) if not is_pct else target
                value = goal * min(1.15, 0.55 + 0.15 * j + rng.normal(0, 0.08))
                kpis.append(
                    {
                        "Massnahme_ID": mid,
                        "Kennzahl": kpi,
                        "Jahr": str(year),
                        "Wert": decimal_comma([value], 1)[0] if is_pct else str(int(round(value))),
                        "Zielwert": decimal_comma([goal], 1)[0] if is_pct else str(int(round(goal))),
                    }
                )
    return pd.DataFrame(reg), pd.DataFrame(kpis)
