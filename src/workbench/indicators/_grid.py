"""Input side of :func:`workbench.indicators.compute`: checks of the processed tables and dense arrays.

``Grid`` turns ``population.parquet`` into an (area × year) × (sex, age, nationality) cell matrix (one
``np.bincount``) so that every population filter of the catalogue is one matrix–vector product, computed once
per distinct filter, and ``counts.parquet`` into area × year arrays per measure (NaN where suppressed or
absent; a suppression flag beside it). Errors name the table, the column or row and what to do.

A population by mapping may be coarser (docs/DATA_CONTRACT.md, „Coarser population“): rows with ``age = -1``
(all ages), ``sex`` / ``nationality`` „insgesamt“, and the age groups of ``population_age_groups.parquet``.
Those rows become *coarse cells* (sex, nationality, age from–to) beside the single-year matrix. A population
filter is computed only where every cell of an area and year lies wholly inside or wholly outside it: the whole
population from totals, 0–17 from the groups 0–5 and 6–17, a sex only with a breakdown by sex. Anywhere else the
value is NaN (not computable) — never the total in place of an age range.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.errors import ConfigError, DataValidationError, require_table
from workbench.indicators.catalogue import MAX_AGE, NATIONALITIES, SEXES, Indicator, Term
from workbench.vocabulary import AGE_ALL, ALL

_N_AGES = MAX_AGE + 1
_N_CELLS = len(SEXES) * _N_AGES * len(NATIONALITIES)
_SEX_CODES = (*SEXES, ALL)
_NAT_CODES = (*NATIONALITIES, ALL)
AGE_GROUP_COLUMNS = ["area_id", "year", "sex", "nationality", "age_from", "age_to", "count"]
"""Columns of ``population_age_groups.parquet`` (docs/DATA_CONTRACT.md)."""


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


def _de(value: float) -> str:
    """Whole number with German thousands dots (for messages)."""
    return f"{value:,.0f}".replace(",", ".")


def _cell_text(sex: int, nat: int, lo: int, hi: int) -> str:
    """German description of a coarse population cell, e.g. „Alter 0–5, Geschlecht insgesamt“."""
    if lo == 0 and hi == MAX_AGE:
        age = "alle Alter"
    elif lo == hi:
        age = f"Alter {lo}"
    elif hi == MAX_AGE:
        age = f"Alter {lo} und älter"
    else:
        age = f"Alter {lo}–{hi}"
    return f"{age}, Geschlecht {_SEX_CODES[sex]}, Staatsangehörigkeit {_NAT_CODES[nat]}"


class _Coarse:
    """The coarse population cells of a :class:`Grid`: per area × year the counts of K cell types (sex,
    nationality, age from–to; „insgesamt“ = no breakdown) and which types occur there."""

    def __init__(self, grid: Grid, a, y, s, nat, age, cnt, age_groups: pd.DataFrame | None):
        self.grid = grid
        n_ay = grid.shape[0] * grid.shape[1]
        lo = np.where(age == AGE_ALL, 0, age)
        hi = np.where(age == AGE_ALL, MAX_AGE, age)
        if age_groups is not None and len(age_groups):
            a, y, s, nat, lo, hi, cnt = self._with_groups(
                a, y, s, nat, lo, hi, cnt, age == AGE_ALL, age_groups
            )
        self.types, k = np.unique(np.stack([s, nat, lo, hi], axis=1), axis=0, return_inverse=True)
        k = np.asarray(k).ravel()
        n_k = len(self.types)
        flat = (a * grid.shape[1] + y) * n_k + k
        self.counts = np.bincount(flat, weights=cnt, minlength=n_ay * n_k).reshape(n_ay, n_k)
        self.present = np.bincount(flat, minlength=n_ay * n_k).reshape(n_ay, n_k) > 0
        ts, tn, tlo, thi = self.types.T
        overlap = self._overlaps(ts[None, :], tn[None, :], tlo[None, :], thi[None, :])
        np.fill_diagonal(overlap, False)
        self._refuse_overlaps(overlap, None)

    def _overlaps(self, sex, nat, lo, hi) -> np.ndarray:
        """Types (rows) × given cells (columns): do they share persons (age ranges meet, sex and nationality
        equal or one of them „insgesamt“)?"""
        ts, tn, tlo, thi = (c[:, None] for c in self.types.T)
        all_s, all_n = len(SEXES), len(NATIONALITIES)
        return (
            (tlo <= hi)
            & (lo <= thi)
            & ((ts == sex) | (ts == all_s) | (sex == all_s))
            & ((tn == nat) | (tn == all_n) | (nat == all_n))
        )

    def _refuse_overlaps(self, overlap: np.ndarray, fine_present: np.ndarray | None) -> None:
        """Refuse an area and year whose cells share persons (they would be counted twice)."""
        other = self.present if fine_present is None else fine_present
        hits = (other.astype("float64") @ overlap.T.astype("float64") > 0) & self.present
        if not hits.any():
            return
        row, k = (int(v) for v in np.argwhere(hits)[0])
        mine = _cell_text(*self.types[k])
        if fine_present is None:
            j = int(np.flatnonzero(overlap[k] & self.present[row])[0])
            theirs = _cell_text(*self.types[j])
        else:
            cell = int(np.flatnonzero(overlap[k] & fine_present[row])[0])
            n_nat = len(NATIONALITIES)
            sex, rest = divmod(cell, _N_AGES * n_nat)
            theirs = _cell_text(sex, rest % n_nat, rest // n_nat, rest // n_nat)
        area, year = self.grid.area_ids[row // self.grid.shape[1]], self.grid.years[row % self.grid.shape[1]]
        raise DataValidationError(
            f"Einwohnerzeilen von Sozialraum {area}, Jahr {year} überschneiden sich ({mine} und {theirs}) – "
            "das zählte Personen doppelt",
            path="population.parquet",
            where=f"Sozialraum {area}, Jahr {year}",
            hint="je Sozialraum und Jahr entweder Einzelalter oder eine Gesamtzeile (age = -1) mit Altersgruppen; "
            "Zeilen „insgesamt“ nicht neben m/w bzw. deutsch/nichtdeutsch; make data neu ausführen",
        )

    def check_disjoint(self, fine_present: np.ndarray) -> None:
        """Refuse coarse cells that share persons with the single-year cells (``fine_present``: area × year ×
        cell, True where a row exists)."""
        if not fine_present.any():
            return
        n_nat = len(NATIONALITIES)
        cells = np.arange(_N_CELLS)
        sex, rest = np.divmod(cells, _N_AGES * n_nat)
        age, nat = np.divmod(rest, n_nat)
        self._refuse_overlaps(
            self._overlaps(sex[None, :], nat[None, :], age[None, :], age[None, :]), fine_present
        )

    def population(self, lo: int, hi: int, sex: str | None, nat: str | None) -> np.ndarray:
        """Residents of age ``lo``…``hi`` (and ``sex``, ``nat``) in the coarse cells, areas × years; NaN where a
        cell lies partly inside the filter (the data do not say how many of its persons match)."""
        ts, tn, tlo, thi = self.types.T
        inside = (lo <= tlo) & (thi <= hi)
        outside = (thi < lo) | (tlo > hi)
        for codes, value, allowed in ((ts, sex, SEXES), (tn, nat, NATIONALITIES)):
            if value is not None:
                code = allowed.index(value)
                inside &= codes == code
                outside |= (codes != code) & (codes != len(allowed))
        partial = ~inside & ~outside
        values = self.counts @ inside.astype("float64")
        values[self.present[:, partial].any(axis=1)] = np.nan
        return values.reshape(self.grid.shape)

    def _with_groups(self, a, y, s, nat, lo, hi, cnt, is_total, groups: pd.DataFrame):
        """The coarse rows with each all-ages row replaced by its age groups (checked: groups only where there is
        an all-ages row, from 0 to the open group without gap or overlap, summing to the all-ages count)."""
        table = "population_age_groups.parquet"
        grid = self.grid
        require_columns(groups, table, AGE_GROUP_COLUMNS)
        ga = _area_index(groups["area_id"], grid.area_ids, table)
        years = pd.to_numeric(groups["year"], errors="coerce")
        outside = ~years.isin(grid.data_years)
        if outside.any():
            raise DataValidationError(
                f"Altersgruppen für das Jahr {groups['year'].iloc[int(np.flatnonzero(outside)[0])]}, für das "
                "population.parquet keine Einwohner hat",
                path=table,
                where="Spalte year",
                hint="population.parquet und population_age_groups.parquet aus demselben Import nehmen (make data)",
            )
        gy = years.to_numpy(dtype=np.int64) - grid.y0
        gs = _codes(groups["sex"], _SEX_CODES, table, "sex")
        gn = _codes(groups["nationality"], _NAT_CODES, table, "nationality")
        bounds = [
            pd.to_numeric(groups[c], errors="coerce").to_numpy(dtype="float64")
            for c in ("age_from", "age_to")
        ]
        gcnt = pd.to_numeric(groups["count"], errors="coerce").to_numpy(dtype="float64")
        gfrom, gto = bounds
        bad = np.isnan(gfrom) | np.isnan(gto) | (gfrom < 0) | (gto > MAX_AGE) | (gfrom > gto)
        bad |= np.isnan(gcnt) | (gcnt < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataValidationError(
                "Altersgrenzen oder Anzahl unzulässig",
                path=table,
                where=f"Zeile {i + 1}, Spalten age_from/age_to/count",
                hint=f"0 ≤ age_from ≤ age_to ≤ {MAX_AGE} (ganze Zahlen), count ≥ 0",
            )
        gfrom, gto = gfrom.astype(np.int64), gto.astype(np.int64)
        n_s, n_n, n_y = len(_SEX_CODES), len(_NAT_CODES), grid.shape[1]

        def key(a_, y_, s_, n_):
            return ((a_ * n_y + y_) * n_s + s_) * n_n + n_

        def place(k_: int) -> str:
            rest, n_ = divmod(int(k_), n_n)
            rest, s_ = divmod(rest, n_s)
            a_, y_ = divmod(rest, n_y)
            return (
                f"Sozialraum {grid.area_ids[a_]}, Jahr {grid.years[y_]}, Geschlecht {_SEX_CODES[s_]}, "
                f"Staatsangehörigkeit {_NAT_CODES[n_]}"
            )

        gkey = key(ga, gy, gs, gn)
        tkey = key(a, y, s, nat)
        totals = pd.Series(cnt[is_total], index=tkey[is_total])
        orphan = ~np.isin(gkey, totals.index)
        if orphan.any():
            raise DataValidationError(
                f"Altersgruppen ohne Gesamtzeile (age = {AGE_ALL}) in population.parquet: "
                f"{place(gkey[orphan][0])}",
                path=table,
                hint="Altersgruppen nur für Jahre ohne Einzelalter; population.parquet und "
                "population_age_groups.parquet aus demselben Import nehmen (make data)",
            )
        order = np.lexsort((gfrom, gkey))
        k_s, f_s, t_s = gkey[order], gfrom[order], gto[order]
        first = np.r_[True, k_s[1:] != k_s[:-1]]
        last = np.r_[k_s[1:] != k_s[:-1], True]
        prev_to = np.r_[-1, t_s[:-1]]
        gap = (first & (f_s != 0)) | (~first & (f_s != prev_to + 1)) | (last & (t_s != MAX_AGE))
        if gap.any():
            i = int(np.flatnonzero(gap)[0])
            raise DataValidationError(
                f"Altersgruppen nicht lückenlos von 0 bis {MAX_AGE} oder überschneidend ({place(k_s[i])}, "
                f"Gruppe {f_s[i]}–{t_s[i]})",
                path=table,
                hint="die Gruppen eines Sozialraums und Jahres reichen von 0 bis zur offenen Gruppe "
                f"(age_to {MAX_AGE}) ohne Lücke und Überschneidung; make data neu ausführen",
            )
        sums = pd.Series(gcnt).groupby(gkey).sum()
        off = (sums - totals.reindex(sums.index)).abs() > 0.5
        if off.any():
            k_ = off[off].index[0]
            raise DataValidationError(
                f"Summe der Altersgruppen ({_de(sums[k_])}) ist nicht die Gesamtzahl ({_de(totals[k_])}) – "
                f"{place(k_)}",
                path=table,
                hint="population.parquet und population_age_groups.parquet aus demselben Import nehmen (make data)",
            )
        keep = ~(is_total & np.isin(tkey, gkey))
        return (
            np.r_[a[keep], ga],
            np.r_[y[keep], gy],
            np.r_[s[keep], gs],
            np.r_[nat[keep], gn],
            np.r_[lo[keep], gfrom],
            np.r_[hi[keep], gto],
            np.r_[cnt[keep], gcnt],
        )


class Grid:
    """Areas × years arrays of the population cells and of the count measures.

    ``age_groups`` (``population_age_groups.parquet``, columns :data:`AGE_GROUP_COLUMNS`) replaces the all-ages
    rows (``age = -1``) of the same area, year, sex and nationality by their groups; ``counts`` may be None when
    no measure is needed (population terms only).
    """

    def __init__(
        self,
        population: pd.DataFrame,
        counts: pd.DataFrame | None,
        areas: pd.DataFrame,
        measures: list[str],
        age_groups: pd.DataFrame | None = None,
    ):
        require_columns(
            population, "population.parquet", ["area_id", "year", "sex", "age", "nationality", "count"]
        )
        if counts is not None or measures:
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
        s = _codes(population["sex"], _SEX_CODES, "population.parquet", "sex")
        age = pd.to_numeric(population["age"], errors="coerce").to_numpy(dtype="float64")
        if np.isnan(age).any() or (age < AGE_ALL).any() or (age > MAX_AGE).any() or (age % 1 != 0).any():
            raise DataValidationError(
                f"Alter muss eine ganze Zahl von 0 bis {MAX_AGE} sein ({AGE_ALL} = alle Alter)",
                path="population.parquet",
                where="Spalte age",
            )
        nat = _codes(population["nationality"], _NAT_CODES, "population.parquet", "nationality")
        cnt = pd.to_numeric(population["count"], errors="coerce").to_numpy(dtype="float64")
        if np.isnan(cnt).any() or (cnt < 0).any():
            row = int(np.flatnonzero(np.isnan(cnt) | (cnt < 0))[0])
            raise DataValidationError(
                "Anzahl fehlt oder ist negativ",
                path="population.parquet",
                where=f"Zeile {row + 1}, Spalte count",
                hint="Einwohnerzahlen müssen ganze Zahlen ≥ 0 sein",
            )
        age_i = age.astype(np.int64)
        fine = (age_i >= 0) & (s < len(SEXES)) & (nat < len(NATIONALITIES))
        self._coarse: _Coarse | None = None
        if not fine.all():  # a population by mapping with totals, age groups or without sex / nationality
            rest = ~fine
            self._coarse = _Coarse(
                self, a[rest], y[rest], s[rest], nat[rest], age_i[rest], cnt[rest], age_groups
            )
            a, y, s, nat, age_i, cnt = a[fine], y[fine], s[fine], nat[fine], age_i[fine], cnt[fine]
        elif age_groups is not None and len(age_groups):
            raise DataValidationError(
                "Altersgruppen ohne Gesamtzeilen: population.parquet hat Einzelalter in jedem Jahr",
                path="population_age_groups.parquet",
                hint="Altersgruppen nur für Jahre ohne Einzelalter (age = -1 in population.parquet); "
                "make data neu ausführen",
            )
        cell = (s * _N_AGES + age_i) * len(NATIONALITIES) + nat
        flat = (a * n_y + y) * _N_CELLS + cell
        self.cells = np.bincount(flat, weights=cnt, minlength=n_a * n_y * _N_CELLS).reshape(
            n_a * n_y, _N_CELLS
        )
        if self._coarse is not None:
            present = np.bincount(flat, minlength=n_a * n_y * _N_CELLS).reshape(n_a * n_y, _N_CELLS) > 0
            self._coarse.check_disjoint(present)
        self._age = np.tile(np.repeat(np.arange(_N_AGES), len(NATIONALITIES)), len(SEXES))
        self._sex = np.repeat(np.array(SEXES), _N_AGES * len(NATIONALITIES))
        self._nat = np.tile(np.array(NATIONALITIES), len(SEXES) * _N_AGES)
        self._pop_cache: dict[tuple, np.ndarray] = {}

        self.measures = self._counts(counts, measures) if counts is not None else {}

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
        """Residents matching the term's filters, areas × years: NaN in years without population data and where
        the population's detail does not determine the filter (totals only, age groups that do not add up to the
        age range, no breakdown by sex or nationality)."""
        key = term.population_key
        if key not in self._pop_cache:
            lo, hi, sex, nat = key
            mask = (self._age >= lo) & (self._age <= hi)
            if sex is not None:
                mask &= self._sex == sex
            if nat is not None:
                mask &= self._nat == nat
            values = (self.cells @ mask.astype("float64")).reshape(self.shape)
            if self._coarse is not None:
                values = values + self._coarse.population(lo, hi, sex, nat)
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
