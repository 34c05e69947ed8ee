"""Input side of :func:`workbench.indicators.compute`: checks of the processed tables and dense arrays.

``Grid`` turns ``population.parquet`` into an (area × year) × (sex, age, nationality) cell matrix (one
``np.bincount``) so that every population filter of the catalogue is one matrix–vector product, computed once
per distinct filter, and ``counts.parquet`` into area × year arrays per measure (NaN where suppressed or
absent; a suppression flag beside it). Errors name the table, the column or row and what to do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.errors import ConfigError, DataValidationError, require_table
from workbench.indicators.catalogue import MAX_AGE, NATIONALITIES, SEXES, Indicator, Term

_N_AGES = MAX_AGE + 1
_N_CELLS = len(SEXES) * _N_AGES * len(NATIONALITIES)


def require_columns(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    """Raise a DataValidationError naming the table when ``frame`` is no DataFrame or lacks columns."""
    require_table(
        frame, columns, path=name, hint="Tabelle im Format von docs/DATA_CONTRACT.md erzeugen (make data)"
    )


def hierarchy(keys: pd.DataFrame) -> pd.DataFrame:
    """One row per Sozialraum (area_id, area_name, district_id, district_name), sorted by district and area."""
    require_columns(keys, "keys.parquet", ["area_id", "area_name", "district_id", "district_name"])
    areas = keys[["area_id", "area_name", "district_id", "district_name"]].astype(str).drop_duplicates()
    dup = areas["area_id"].duplicated(keep=False)
    if dup.any():
        bad = areas.loc[dup].sort_values("area_id").head(4)
        first = bad.iloc[0]
        raise DataValidationError(
            f"Sozialraum {first.area_id} ist mehreren Stadtbezirken oder Namen zugeordnet "
            f"({', '.join(bad['district_id'] + ' ' + bad['area_name'])})",
            path="keys.parquet",
            where="Spalten area_id/district_id",
            hint="Schlüsseltabelle korrigieren: jeder Sozialraum gehört zu genau einem Stadtbezirk",
        )
    if areas.empty:
        raise DataValidationError("Schlüsseltabelle ist leer", path="keys.parquet")
    return areas.sort_values(["district_id", "area_id"]).reset_index(drop=True)


def _area_index(ids: pd.Series, area_ids: pd.Index, table: str) -> np.ndarray:
    """Position of each row's area_id in ``area_ids`` (factorised first: millions of rows, few areas)."""
    codes, uniques = pd.factorize(ids, use_na_sentinel=False)
    lookup = area_ids.get_indexer(pd.Index(uniques).astype(str))
    if (lookup < 0).any():
        unknown = sorted(str(u) for u in pd.Index(uniques)[lookup < 0])
        raise DataValidationError(
            f"{len(unknown)} Sozialraum-Kennung(en) fehlen in der Schlüsseltabelle: {', '.join(unknown[:5])}"
            + (" …" if len(unknown) > 5 else ""),
            path=table,
            where="Spalte area_id",
            hint="Schlüsseltabelle (keys.parquet) ergänzen oder Kennungen prüfen (führende Nullen?)",
        )
    return lookup[codes]


def _codes(values: pd.Series, allowed: Sequence[str], table: str, column: str) -> np.ndarray:
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    lookup = pd.Index(allowed).get_indexer(pd.Index(uniques).astype(str))
    if (lookup < 0).any():
        bad = sorted(str(u) for u in pd.Index(uniques)[lookup < 0])[:5]
        raise DataValidationError(
            f"unzulässige Werte {bad}",
            path=table,
            where=f"Spalte {column}",
            hint="Erlaubt: " + ", ".join(allowed),
        )
    return lookup[codes]


class Grid:
    """Areas × years arrays of the population cells and of the count measures."""

    def __init__(
        self, population: pd.DataFrame, counts: pd.DataFrame, areas: pd.DataFrame, measures: list[str]
    ):
        require_columns(
            population, "population.parquet", ["area_id", "year", "sex", "age", "nationality", "count"]
        )
        require_columns(counts, "counts.parquet", ["area_id", "year", "measure", "value", "suppressed"])
        self.area_ids = pd.Index(areas["area_id"])
        if population.empty:
            raise DataValidationError("Bevölkerungstabelle ist leer", path="population.parquet")
        pop_years = pd.to_numeric(population["year"], errors="coerce")
        if pop_years.isna().any():
            raise DataValidationError("Jahr ist keine Zahl", path="population.parquet", where="Spalte year")
        self.data_years = sorted(int(y) for y in pop_years.unique())
        self.y0 = self.data_years[0]
        self.years = list(range(self.y0, self.data_years[-1] + 1))
        n_a, n_y = len(self.area_ids), len(self.years)
        self.shape = (n_a, n_y)
        self.year_present = np.isin(self.years, self.data_years)

        a = _area_index(population["area_id"], self.area_ids, "population.parquet")
        y = pop_years.to_numpy(dtype=np.int64) - self.y0
        s = _codes(population["sex"], SEXES, "population.parquet", "sex")
        age = pd.to_numeric(population["age"], errors="coerce").to_numpy(dtype="float64")
        if np.isnan(age).any() or (age < 0).any() or (age > MAX_AGE).any() or (age % 1 != 0).any():
            raise DataValidationError(
                f"Alter muss eine ganze Zahl von 0 bis {MAX_AGE} sein",
                path="population.parquet",
                where="Spalte age",
            )
        nat = _codes(population["nationality"], NATIONALITIES, "population.parquet", "nationality")
        cnt = pd.to_numeric(population["count"], errors="coerce").to_numpy(dtype="float64")
        if np.isnan(cnt).any() or (cnt < 0).any():
            row = int(np.flatnonzero(np.isnan(cnt) | (cnt < 0))[0])
            raise DataValidationError(
                "Anzahl fehlt oder ist negativ",
                path="population.parquet",
                where=f"Zeile {row + 1}, Spalte count",
                hint="Einwohnerzahlen müssen ganze Zahlen ≥ 0 sein",
            )
        cell = (s * _N_AGES + age.astype(np.int64)) * len(NATIONALITIES) + nat
        flat = (a * n_y + y) * _N_CELLS + cell
        self.cells = np.bincount(flat, weights=cnt, minlength=n_a * n_y * _N_CELLS).reshape(
            n_a * n_y, _N_CELLS
        )
        self._age = np.tile(np.repeat(np.arange(_N_AGES), len(NATIONALITIES)), len(SEXES))
        self._sex = np.repeat(np.array(SEXES), _N_AGES * len(NATIONALITIES))
        self._nat = np.tile(np.array(NATIONALITIES), len(SEXES) * _N_AGES)
        self._pop_cache: dict[tuple, np.ndarray] = {}

        self.measures = self._counts(counts, measures)

    def _counts(self, counts: pd.DataFrame, measures: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Wide arrays (value, suppressed) per needed measure; rows absent from the table stay NaN."""
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if not measures:
            return out
        sub = counts.loc[counts["measure"].astype(str).isin(measures)]
        years = pd.to_numeric(sub["year"], errors="coerce")
        sub = sub.loc[years.isin(self.years)]
        years = years.loc[sub.index]
        dup = sub.duplicated(["area_id", "year", "measure"], keep=False)
        if dup.any():
            r = sub.loc[dup].iloc[0]
            raise DataValidationError(
                f"Maß {r['measure']} für Sozialraum {r['area_id']}, Jahr {r['year']} kommt mehrfach vor",
                path="counts.parquet",
                hint="Je Sozialraum, Jahr und Maß ist genau eine Zeile erlaubt",
            )
        a = _area_index(sub["area_id"], self.area_ids, "counts.parquet")
        y = years.to_numpy(dtype=np.int64) - self.y0
        val = pd.to_numeric(sub["value"], errors="coerce").to_numpy(dtype="float64")
        sup = sub["suppressed"].fillna(False).astype(bool).to_numpy()
        val = np.where(sup, np.nan, val)
        if (val < 0).any():
            r = sub.iloc[int(np.flatnonzero(val < 0)[0])]
            raise DataValidationError(
                f"negativer Wert {r['value']} für Maß {r['measure']}, Sozialraum {r['area_id']}, Jahr {r['year']}",
                path="counts.parquet",
                where="Spalte value",
                hint="Anzahlen müssen ≥ 0 sein",
            )
        m = sub["measure"].astype(str).to_numpy()
        for name in measures:
            sel = m == name
            value = np.full(self.shape, np.nan)
            supp = np.zeros(self.shape, dtype=bool)
            value[a[sel], y[sel]] = val[sel]
            supp[a[sel], y[sel]] = sup[sel]
            out[name] = (value, supp)
        return out

    def population(self, term: Term) -> np.ndarray:
        """Residents matching the term's filters, areas × years (NaN in years without population data)."""
        key = term.population_key
        if key not in self._pop_cache:
            lo, hi, sex, nat = key
            mask = (self._age >= lo) & (self._age <= hi)
            if sex is not None:
                mask &= self._sex == sex
            if nat is not None:
                mask &= self._nat == nat
            values = (self.cells @ mask.astype("float64")).reshape(self.shape)
            values[:, ~self.year_present] = np.nan
            self._pop_cache[key] = values
        return self._pop_cache[key]

    def term(self, term: Term) -> tuple[np.ndarray, np.ndarray]:
        """(value, suppressed) of a numerator/denominator at Sozialraum level."""
        if term.kind == "population":
            return self.population(term), np.zeros(self.shape, dtype=bool)
        value = np.zeros(self.shape)
        supp = np.zeros(self.shape, dtype=bool)
        for name in term.measures:
            v, s = self.measures[name]
            value = value + v
            supp |= s
        for name in term.minus:
            v, s = self.measures[name]
            value = value - v
            supp |= s
        return value, supp

    def city_term(self, term: Term, totals: dict[tuple[int, str], float]) -> tuple[np.ndarray, np.ndarray]:
        """(value, suppressed) of a term for the whole city, shape (1, years).

        Each measure is summed over the Sozialräume; where that sum is unknown (a part suppressed or absent) and
        an official city total (``totals``: {(year, measure): value}, e.g. the BA row "Stadt insgesamt") exists,
        the official total is used instead and the year no longer counts as suppressed. Population terms are
        plain sums of the areas.
        """
        if term.kind == "population":
            return self.population(term).sum(axis=0, keepdims=True), np.zeros((1, self.shape[1]), dtype=bool)
        value = np.zeros((1, self.shape[1]))
        supp = np.zeros((1, self.shape[1]), dtype=bool)
        for names, sign in ((term.measures, 1.0), (term.minus, -1.0)):
            for name in names:
                v, s = self.measures[name]
                col = v.sum(axis=0)  # NaN when any part is unknown
                sup = s.any(axis=0)
                official = np.array([totals.get((y, name), np.nan) for y in self.years])
                use = np.isnan(col) & np.isfinite(official)
                value = value + sign * np.where(use, official, col)[None, :]
                supp |= (sup & ~use)[None, :]
        return value, supp


def check_measures(selected: list[Indicator], counts: pd.DataFrame, path: object) -> list[str]:
    """The measures the selected indicators need; a ConfigError naming indicator and field for unknown ones."""
    available = set(counts["measure"].astype(str).unique()) if "measure" in counts.columns else set()
    needed: list[str] = []
    for ind in selected:
        for field, term in (("numerator", ind.numerator), ("denominator", ind.denominator)):
            for name in term.measures + term.minus:
                if name not in available:
                    sub = "measure" if name in term.measures else "minus"
                    raise ConfigError(
                        f"Maß {name!r} kommt in counts.parquet nicht vor",
                        path=path,
                        where=f"Indikator {ind.id!r}, Feld '{field}.{sub}'",
                        hint="Vorhandene Maße: "
                        + (", ".join(sorted(available)) or "keine")
                        + "; Schreibweise prüfen oder den Indikator mit indicators=[…] auslassen",
                    )
                needed.append(name)
    return list(dict.fromkeys(needed))
