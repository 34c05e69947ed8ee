"""Shared pieces of the import: raw column names, schemas of the processed tables, the result record and
small validation helpers used by ``workbench.io.importer`` and its parts ``_areas`` and ``_ba``.

The raw-format constants are owned here and re-exported by ``workbench.io.importer`` (the demo city imports them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import DataValidationError
from workbench.io import raw as rawio

POPULATION_COLUMNS = ["Sozialraum", "Stichtag", "Geschlecht", "Alter", "Staatsangehörigkeit", "Anzahl"]


HOUSEHOLD_COLUMNS = {
    "Haushalte": "households",
    "Haushalte_mit_Kindern": "households_children",
    "Alleinerziehende": "single_parent_hh",
    "Migrationshintergrund": "migration_background",
    "Wohndauer_ueber_5_Jahre": "residence_5y",
    "SV_Beschaeftigte": "employees_svb",
}


BA_COLUMNS = {
    "RLB insgesamt": "sgb2_rlb",
    "RLB unter 15 Jahre": "sgb2_u15",
    "Arbeitslose insgesamt": "unemployed",
    "Arbeitslose SGB II": "unemployed_sgb2",
    "Arbeitslose SGB III": "unemployed_sgb3",
    "Arbeitslose unter 25 Jahre": "unemployed_u25",
}


EVENT_COLUMNS = {
    "Geburten": "births",
    "Sterbefaelle": "deaths",
    "Zuzuege": "in_ext",
    "Fortzuege": "out_ext",
    "Umzuege_zu": "in_int",
    "Umzuege_weg": "out_int",
}


FACILITY_COLUMNS = [
    "Einrichtung_ID",
    "Name",
    "Typ",
    "Traeger",
    "Adresse",
    "Rechtswert",
    "Hochwert",
    "Kapazitaet",
    "Plaetze_U3",
    "Plaetze_Ue3",
    "Zielgruppe",
    "Sozialraum",
]
MAX_AGE = 100

ALL = "insgesamt"
"""``sex`` / ``nationality`` of ``population.parquet`` when the source has no breakdown by it (all persons)."""
AGE_ALL = -1
"""``age`` of ``population.parquet`` when the source has no single years of age: the row counts all ages (the
age groups, if any, are in ``population_age_groups.parquet``)."""
POPULATION_DETAILS = ("total", "age_groups", "single_years")
"""Age detail of the population per year, coarsest first (manifest key ``population_detail``)."""

OPTIONAL_INPUTS: dict[str, dict] = {
    "households": {"file": "haushalte.csv", "label": "Haushalte und Registerzahlen"},
    "ba": {"file": "ba_sgb2_arbeitslose.xlsx", "label": "BA-Sonderauswertung (SGB II, Arbeitslose)"},
    "sgb12": {"file": "sgb12_grundsicherung_65plus.csv", "label": "Grundsicherung im Alter (SGB XII)"},
    "hze": {"file": "hze_faelle.csv", "label": "Hilfen zur Erziehung"},
    "events": {"file": "bewegungen.csv", "label": "Bevölkerungsbewegungen", "tables": ["events"]},
    "facilities": {"file": "einrichtungen.csv", "label": "Einrichtungen", "tables": ["facilities"]},
    "survey": {"file": "befragung_<Jahr>.csv", "label": "Befragung", "tables": ["survey"]},
    "measures": {"file": "massnahmen.csv", "label": "Maßnahmen", "tables": ["measures", "kpis"]},
    "costs": {
        "file": "kosten.csv",
        "label": "Ausgaben (HzE nach Hilfeart, Kosten der Unterkunft)",
        "tables": ["costs"],
    },
}
"""The optional inputs of the raw folder (everything but key table, geometries and population), in import order.
An absent one is listed in the manifest (``missing``) with the measures and tables it would have given."""


class _LazySchema:
    """A pandera ``DataFrameSchema`` built on first use: importing pandera costs about 0.7 s, which every
    process reading this module (each notebook kernel of a report build) would pay, although only the import
    of raw data validates tables. ``validate`` and every other attribute are the built schema's."""

    def __init__(self, build):
        self._build = build
        self._schema = None

    def schema(self):
        """The pandera schema (built and kept on first call)."""
        if self._schema is None:
            import pandera.pandas as pa

            self._schema = self._build(pa)
        return self._schema

    def validate(self, *args, **kwargs):
        return self.schema().validate(*args, **kwargs)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.schema(), name)


# Declarative schemas of the processed tables (the contract every chapter relies on).
POPULATION_SCHEMA = _LazySchema(
    lambda pa: pa.DataFrameSchema(
        {
            "area_id": pa.Column(str),
            "year": pa.Column("int64", pa.Check.in_range(1900, 2200)),
            "sex": pa.Column(str, pa.Check.isin(["m", "w"])),
            "age": pa.Column("int64", pa.Check.in_range(0, MAX_AGE)),
            "nationality": pa.Column(str, pa.Check.isin(["deutsch", "nichtdeutsch"])),
            "count": pa.Column("int64", pa.Check.ge(0)),
        },
        strict=True,
    )
)


COUNTS_SCHEMA = _LazySchema(
    lambda pa: pa.DataFrameSchema(
        {
            "area_id": pa.Column(str),
            "year": pa.Column("int64"),
            "measure": pa.Column(str),
            "value": pa.Column("float64", pa.Check.ge(0), nullable=True),
            "suppressed": pa.Column(bool),
        },
        strict=True,
    )
)


POPULATION_SOURCES_SCHEMA = _LazySchema(
    lambda pa: pa.DataFrameSchema(
        {
            "area_id": pa.Column(str),
            "year": pa.Column("int64", pa.Check.in_range(1900, 2200)),
            "sex": pa.Column(str, pa.Check.isin(["m", "w", ALL])),
            "age": pa.Column("int64", pa.Check.in_range(AGE_ALL, MAX_AGE)),
            "nationality": pa.Column(str, pa.Check.isin(["deutsch", "nichtdeutsch", ALL])),
            "count": pa.Column("int64", pa.Check.ge(0)),
        },
        strict=True,
    )
)
"""``population.parquet`` imported through ``sources:`` (mappings): like :data:`POPULATION_SCHEMA`, but a source
without a breakdown by sex, nationality or single years of age has ``insgesamt`` / ``age = -1`` rows."""


AGE_GROUPS_SCHEMA = _LazySchema(
    lambda pa: pa.DataFrameSchema(
        {
            "area_id": pa.Column(str),
            "year": pa.Column("int64", pa.Check.in_range(1900, 2200)),
            "sex": pa.Column(str, pa.Check.isin(["m", "w", ALL])),
            "nationality": pa.Column(str, pa.Check.isin(["deutsch", "nichtdeutsch", ALL])),
            "age_from": pa.Column("int64", pa.Check.in_range(0, MAX_AGE)),
            "age_to": pa.Column("int64", pa.Check.in_range(0, MAX_AGE)),
            "count": pa.Column("int64", pa.Check.ge(0)),
        },
        strict=True,
    )
)
"""``population_age_groups.parquet``: the age groups of years without single years of age (bounds inclusive,
``age_to`` 100 = open group "… und älter")."""


CITY_TOTALS_SCHEMA = _LazySchema(
    lambda pa: pa.DataFrameSchema(
        {
            "year": pa.Column("int64"),
            "measure": pa.Column(str),
            "value": pa.Column("float64", pa.Check.ge(0)),
        },
        strict=True,
    )
)


@dataclass
class ImportResult:
    """What an import produced: tables, per-file provenance and non-fatal warnings."""

    tables: dict[str, object] = field(default_factory=dict)
    files: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    """Optional inputs that were not delivered: input, file, measures, tables (manifest key ``missing``)."""
    population: dict = field(default_factory=dict)
    """Detail of the population when it is less than single years by sex and nationality (manifest keys
    ``population_detail``, ``population_detail_by_year``, ``population_by``); empty for a full register."""


def _record(result: ImportResult, path: Path, rows: int, **extra) -> None:
    result.files.append({"file": path.name, "sha256": rawio.sha256(path), "rows": int(rows), **extra})


def _strip_ids(s: pd.Series) -> pd.Series:
    return s.astype(str).str.strip()


def _require_areas(
    known: set[str], present, what: str, *, path: Path, hint: str, where: str | None = None
) -> None:
    """Refuse a file that has nothing (``what``) for some Sozialräume of the key table; names up to five."""
    absent = sorted(known - set(present))
    if absent:
        raise DataValidationError(
            f"keine {what} für Sozialraum {', '.join(absent[:5])}", path=path, where=where, hint=hint
        )


def _long_counts(
    df: pd.DataFrame,
    columns: dict[str, str],
    *,
    path: Path,
    id_col: str,
    year_col: str | None,
    year=None,
    row_offset: int = 2,
) -> pd.DataFrame:
    frames = []
    for src, measure in columns.items():
        values, suppressed = rawio.parse_numbers(df[src], path=path, column=src, row_offset=row_offset)
        rawio.check_counts(values, path=path, column=src, row_offset=row_offset)
        frames.append(
            pd.DataFrame(
                {
                    "area_id": df[id_col].to_numpy(),
                    "year": (df[year_col].astype("int64").to_numpy() if year_col else year),
                    "measure": measure,
                    "value": values.to_numpy(),
                    "suppressed": suppressed.to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _check_le(df: pd.DataFrame, part: str, total: str, path: Path, labels: dict[str, str]) -> None:
    """Refuse rows where a part exceeds its total (both visible)."""
    wide = df.pivot_table(index=["area_id", "year"], columns="measure", values="value", aggfunc="first")
    if part not in wide or total not in wide:
        return
    bad = wide[part] > wide[total]
    if bad.any():
        area, year = bad[bad].index[0]
        raise DataValidationError(
            f"{labels.get(part, part)} ({wide.loc[(area, year), part]:g}) größer als {labels.get(total, total)} "
            f"({wide.loc[(area, year), total]:g})",
            path=path,
            where=f"Sozialraum {area}, Jahr {year}",
            hint="Teilmenge darf die Gesamtzahl nicht übersteigen; Lieferung prüfen.",
        )


def check_household_parts(long: pd.DataFrame, path: Path, labels: dict[str, str]) -> None:
    """Households: single parents ≤ households with children ≤ households (each area and year, both visible)."""
    _check_le(long, "single_parent_hh", "households_children", path, labels)
    _check_le(long, "households_children", "households", path, labels)


def sum_groups(long: pd.DataFrame) -> pd.DataFrame:
    """Counts of several rows per area × year × measure (e.g. one per type of help) added up.

    A sum over a suppressed part is suppressed (value NaN), a sum over an empty part is empty.
    """
    agg = long.groupby(["area_id", "year", "measure"], as_index=False).agg(
        value=("value", lambda v: v.sum(min_count=len(v))), suppressed=("suppressed", "any")
    )
    agg.loc[agg["suppressed"], "value"] = np.nan
    return agg
