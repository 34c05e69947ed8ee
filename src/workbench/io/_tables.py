"""Processed tables of the optional inputs (movements, facilities, survey, measures register) from tidy frames.

One piece of code for both ways in: the raw-folder readers of :mod:`workbench.io.importer` (fixed file layout)
and the readers by mapping of :mod:`workbench.io._inputs` (``sources:``) parse their cells into a frame with the
contract's column names (docs/DATA_CONTRACT.md) and hand it to the functions here, which apply the rules of the
data contract and build the processed table. Where a problem lies is named by a :class:`Place`: the data file,
and for a row position and a contract column the line and the column name as the file has it; ``hint`` adds
what to change (for a mapping also which mapping and which entry of ``sources:``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from workbench.errors import DataValidationError
from workbench.io._schema import EVENT_COLUMNS, MAX_AGE

EVENT_MEASURES = tuple(EVENT_COLUMNS.values())
"""Columns of ``events.parquet`` besides area_id, year, sex, age."""
FACILITY_TEXT = ("facility_id", "name", "type", "carrier", "address", "target_group")
FACILITY_NUMBERS = ("capacity", "places_u3", "places_ue3")
SURVEY_TEXT = ("respondent_id", "area_id", "age_group", "sex")
LIKERT = (1, 2, 3, 4, 5)
FACILITY_CRS = 25832
"""Coordinate reference system of ``facilities.gpkg`` (ETRS89 / UTM 32N, like the areas)."""


class Place(Protocol):
    """Where the rows of a tidy frame came from (a raw file or a mapped table)."""

    path: Path

    def label(self, column: str) -> str:
        """The column's name in the file (contract name → name as delivered)."""
        ...

    def where(self, pos: int, column: str | None = None) -> str:
        """The line of row ``pos`` ("Zeile 7"), with the column ("Zeile 7, Spalte 'Alter'")."""
        ...

    def hint(self, text: str) -> str:
        """``text`` plus, for a mapping, the mapping and the entry of ``sources:`` to change."""
        ...


@dataclass(frozen=True)
class RawPlace:
    """A file of the raw folder: header in line 1, first data row in line ``row_offset``."""

    path: Path
    names: Mapping[str, str] = field(default_factory=dict)
    row_offset: int = 2

    def label(self, column: str) -> str:
        return self.names.get(column, column)

    def where(self, pos: int, column: str | None = None) -> str:
        line = f"Zeile {pos + self.row_offset}"
        return f"{line}, Spalte '{self.label(column)}'" if column else line

    def hint(self, text: str) -> str:
        return text


def refuse(
    place: Place,
    bad: pd.Series,
    message: str,
    *,
    hint: str,
    column: str | None = None,
    values: pd.Series | None = None,
) -> None:
    """Raise for the first row where ``bad`` is True; ``{value}`` in ``message`` is that row's entry of ``values``."""
    mask = bad.fillna(False).to_numpy(dtype=bool)
    if mask.any():
        pos = int(np.flatnonzero(mask)[0])
        text = message.format(value=values.iloc[pos]) if values is not None else message
        raise DataValidationError(
            text, path=place.path, where=place.where(pos, column), hint=place.hint(hint)
        )


def check_counts(place: Place, values: pd.Series, column: str) -> None:
    """Refuse negative or fractional counts (NaN passes), naming the first line."""
    refuse(
        place,
        values < 0,
        "negative Anzahl {value:g}",
        hint="Fallzahlen können nicht negativ sein; Quelldatei korrigieren.",
        column=column,
        values=values,
    )
    refuse(
        place,
        values.notna() & (values % 1 != 0),
        "Anzahl {value:g} ist keine ganze Zahl",
        hint="Fallzahlen als ganze Zahlen liefern.",
        column=column,
        values=values,
    )


def check_unique(place: Place, frame: pd.DataFrame, columns: Sequence[str], hint: str) -> None:
    """Refuse a repeated key combination, naming both lines (by the file's column names)."""
    cols = list(columns)
    dup = frame.duplicated(cols, keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        first = frame.iloc[rows[0]][cols].tolist()
        twins = [int(r) for r in rows if frame.iloc[r][cols].tolist() == first][:2]
        key = {place.label(c): str(v) for c, v in zip(cols, first, strict=True)}
        raise DataValidationError(
            f"doppelter Schlüssel {key}",
            path=place.path,
            where=" und ".join(place.where(i) for i in twins),
            hint=place.hint(hint),
        )


def _text(values: pd.Series, strip: bool = True) -> pd.Series:
    """Text cells with "" for empty ones (the raw readers keep empty cells as "")."""
    out = values.astype(object).where(values.notna(), "").astype(str)
    return out.str.strip() if strip else out


# ------------------------------------------------------------------------------------------------- movements


def events_table(df: pd.DataFrame, place: Place, age_labels: pd.Series | None = None) -> pd.DataFrame:
    """``events.parquet`` from area_id, year, sex, age and the six event columns (births … out_int).

    ``age`` holds numbers (NaN where the label is no single year; ``age_labels`` are shown in that message),
    event cells NaN where empty: an empty cell is no event (0). Refused: sex other than m/w, an age outside
    0 … 100 or not whole, two rows of one area × year × sex × age, negative or fractional counts.
    """
    sex = df["sex"].astype(str).str.strip()
    refuse(
        place,
        ~sex.isin(["m", "w"]),
        "Geschlecht '{value}' unbekannt",
        hint="'m' oder 'w' verwenden (Bewegungen nach Geschlecht).",
        column="sex",
        values=sex,
    )
    age = pd.to_numeric(df["age"], errors="coerce").astype("float64")
    refuse(
        place,
        age.isna() | (age < 0) | (age > MAX_AGE) | (age % 1 != 0),
        "Alter '{value}' ungültig",
        hint="Alter als ganze Zahl 0 … 99 oder '100 und älter' (Bewegungen nach Einzelaltern).",
        column="age",
        values=age_labels if age_labels is not None else df["age"],
    )
    out = pd.DataFrame(
        {
            "area_id": df["area_id"].astype(str).to_numpy(),
            "year": df["year"].astype("int64").to_numpy(),
            "sex": sex.to_numpy(),
            "age": age.astype("int64").to_numpy(),
        }
    )
    check_unique(
        place,
        out,
        ["area_id", "year", "sex", "age"],
        "Jede Kombination darf nur einmal vorkommen; doppelte Zeilen entfernen.",
    )
    for col in EVENT_MEASURES:
        values = pd.to_numeric(df[col], errors="coerce").astype("float64").fillna(0)
        check_counts(place, values, col)
        out[col] = values.astype("int64").to_numpy()
    return out.sort_values(["area_id", "year", "sex", "age"], ignore_index=True)


# ------------------------------------------------------------------------------------------------ facilities


def facilities_table(df: pd.DataFrame, place: Place, crs: int | str = FACILITY_CRS) -> gpd.GeoDataFrame:
    """``facilities.gpkg`` from facility_id, name, type, carrier, address, x, y (coordinates in ``crs``),
    capacity, places_u3, places_ue3 (numbers, NaN when empty), target_group and area_id.

    Refused: a facility id twice, negative or fractional capacities or places, a missing coordinate. Empty places
    are 0, an empty capacity stays empty; the points are stored in EPSG:25832.
    """
    ids = _text(df["facility_id"])
    check_unique(
        place,
        pd.DataFrame({"facility_id": ids}),
        ["facility_id"],
        "Jede Einrichtung nur einmal; doppelte Zeilen entfernen.",
    )
    num = {c: pd.to_numeric(df[c], errors="coerce").astype("float64") for c in ("x", "y", *FACILITY_NUMBERS)}
    for c in FACILITY_NUMBERS:
        check_counts(place, num[c].fillna(0), c)
    nocoord = num["x"].isna() | num["y"].isna()
    if nocoord.any():
        pos = int(np.flatnonzero(nocoord.to_numpy())[0])
        raise DataValidationError(
            "Koordinate fehlt",
            path=place.path,
            where=f"{place.where(pos)}, Spalten '{place.label('x')}'/'{place.label('y')}'",
            hint=place.hint("Rechts- und Hochwert jeder Einrichtung eintragen (oder die Zeile entfernen)."),
        )
    gdf = gpd.GeoDataFrame(
        {
            "facility_id": ids.to_numpy(),
            "name": _text(df["name"], strip=False).to_numpy(),
            "type": _text(df["type"]).to_numpy(),
            "carrier": _text(df["carrier"]).to_numpy(),
            "address": _text(df["address"], strip=False).to_numpy(),
            "capacity": num["capacity"].to_numpy(),
            "places_u3": num["places_u3"].fillna(0).to_numpy(),
            "places_ue3": num["places_ue3"].fillna(0).to_numpy(),
            "target_group": _text(df["target_group"], strip=False).to_numpy(),
            "area_id": df["area_id"].astype(str).to_numpy(),
        },
        geometry=gpd.points_from_xy(num["x"], num["y"]),
        crs=crs,
    )
    return gdf if gdf.crs.to_epsg() == FACILITY_CRS else gdf.to_crs(FACILITY_CRS)


# ---------------------------------------------------------------------------------------------------- survey


def survey_items(columns: Sequence[object]) -> list[str]:
    """The answer columns of a survey by default: names starting with F and a number (``F1_Wohnzufriedenheit``)."""
    return [str(c) for c in columns if re.match(r"F\d+", str(c))]


def survey_table(df: pd.DataFrame, place: Place, items: Sequence[str]) -> pd.DataFrame:
    """``survey.parquet`` from respondent_id, area_id, age_group, sex, weight (number), the Likert ``items``
    (numbers 1–5, NaN = no answer), text and text_code (coded topic of the free text; both optional).

    Refused: a missing or non-positive design weight, an answer outside 1–5.
    """
    weight = pd.to_numeric(df["weight"], errors="coerce").astype("float64")
    refuse(
        place,
        (weight <= 0) | weight.isna(),
        "Gewicht fehlt oder ist nicht positiv",
        hint="Designgewicht jeder befragten Person als positive Zahl liefern.",
        column="weight",
        values=weight,
    )
    out = pd.DataFrame({c: df[c].to_numpy() for c in SURVEY_TEXT})
    out["weight"] = weight.to_numpy()
    for c in items:
        v = pd.to_numeric(df[c], errors="coerce").astype("float64")
        refuse(
            place,
            v.notna() & ~v.isin(LIKERT),
            "Antwort {value:g} außerhalb 1–5",
            hint="Antworten als Zahl 1 bis 5 (leer = keine Angabe).",
            column=c,
            values=v,
        )
        out[c] = v.to_numpy()
    out["text"] = _text(df["text"], strip=False).to_numpy() if "text" in df.columns else ""
    if "text_code" in df.columns:  # optional: topic code of the free text (chapter Bedarfserhebung)
        out["text_code"] = _text(df["text_code"]).to_numpy()
    return out


# ---------------------------------------------------------------------------------------- measures register


def measures_table(df: pd.DataFrame, place: Place, area_ids: set[str] | None) -> pd.DataFrame:
    """``measures.parquet`` from measure_id, name, area_ids (list "0101,0102"), start, end, budget (number).

    Refused: a measure id twice, an area of the list that is not in the key table (``area_ids``; None: not
    checked), a negative budget.
    """
    ids = _text(df["measure_id"])
    check_unique(
        place, pd.DataFrame({"measure_id": ids}), ["measure_id"], "Jede Maßnahme nur einmal aufführen."
    )
    lists = _text(df["area_ids"]).str.replace(" ", "", regex=False)
    known = area_ids
    unknown = lists.map(
        lambda s: None if known is None else next((a for a in s.split(",") if a and a not in known), None)
    )
    refuse(
        place,
        unknown.notna(),
        "Sozialraum '{value}' gibt es in der Schlüsseltabelle nicht",
        hint="Sozialraumschlüssel durch Komma getrennt, wie in der Schlüsseltabelle (führende Nullen).",
        column="area_ids",
        values=unknown,
    )
    budget = pd.to_numeric(df["budget"], errors="coerce").astype("float64")
    refuse(
        place,
        budget < 0,
        "negatives Budget {value:g}",
        hint="Budget in Euro als Zahl ≥ 0.",
        column="budget",
        values=budget,
    )
    return pd.DataFrame(
        {
            "measure_id": ids.to_numpy(),
            "name": _text(df["name"], strip=False).to_numpy(),
            "area_ids": lists.to_numpy(),
            "start": _text(df["start"]).to_numpy(),
            "end": _text(df["end"]).to_numpy(),
            "budget": budget.to_numpy(),
            # optional column: catalogue id of the measure's target indicator ("" = none)
            "target_indicator": (
                _text(df["target_indicator"])
                if "target_indicator" in df.columns
                else pd.Series("", index=df.index)
            ).to_numpy(),
        }
    )


def empty_kpis() -> pd.DataFrame:
    """``kpis.parquet`` of a register without KPI series."""
    return pd.DataFrame(columns=["measure_id", "kpi", "year", "value", "target"])


def kpis_table(df: pd.DataFrame, place: Place, measure_ids: set[str]) -> pd.DataFrame:
    """``kpis.parquet`` from measure_id, kpi, year, value, target (numbers; NaN when empty).

    Refused: a KPI of a measure that is not in the register, a year that is no whole number.
    """
    ids = _text(df["measure_id"])
    refuse(
        place,
        ~ids.isin(measure_ids),
        "Maßnahme '{value}' steht nicht im Maßnahmenregister",
        hint="Kennzahlen nur für Maßnahmen des Registers (Spalte Massnahme_ID bzw. measure_id) liefern.",
        column="measure_id",
        values=ids,
    )
    year = pd.to_numeric(df["year"], errors="coerce")
    refuse(
        place,
        year.isna() | (year % 1 != 0),
        "Jahr '{value}' ist keine Jahreszahl",
        hint="Jahre als vierstellige Zahl.",
        column="year",
        values=df["year"],
    )
    return pd.DataFrame(
        {
            "measure_id": ids.to_numpy(),
            "kpi": _text(df["kpi"], strip=False).to_numpy(),
            "year": year.astype("int64").to_numpy(),
            "value": pd.to_numeric(df["value"], errors="coerce").astype("float64").to_numpy(),
            "target": pd.to_numeric(df["target"], errors="coerce").astype("float64").to_numpy(),
        }
    )
