"""Import of the Bundesagentur XLSX delivery (``ba_sgb2_arbeitslose.xlsx``): one sheet per December, "*" kept as
suppressed, SGB II + SGB III = total and the official "Stadt insgesamt" row checked. Re-exported by ``importer``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import DataValidationError
from workbench.io import city_totals
from workbench.io import raw as rawio
from workbench.io._schema import (
    BA_COLUMNS,
    CITY_TOTALS_SCHEMA,
    ImportResult,
    _check_le,
    _long_counts,
    _record,
)


def read_ba(raw: Path, area_ids: set[str], result: ImportResult) -> pd.DataFrame:
    """Bundesagentur XLSX, one sheet per December; "*" stays suppressed; SGB II + SGB III = total is checked.

    An optional row "Stadt insgesamt" gives the unsuppressed city totals; they are checked against the areas
    (:func:`workbench.io.city_totals.check_against_areas`) and left in ``result.tables["city_totals"]``
    (year, measure, value; empty when no sheet has the row).
    """
    path = raw / "ba_sgb2_arbeitslose.xlsx"
    if not path.exists():
        raise DataValidationError(
            "Datei fehlt", path=path, hint="Sonderauswertung der Bundesagentur ablegen."
        )
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise DataValidationError(f"Excel-Datei nicht lesbar ({exc})", path=path) from exc
    frames, total_frames = [], [city_totals.empty()]
    for name, sheet in sheets.items():
        m = re.fullmatch(r"Dez(?:ember)?\.?\s+(\d{4})", str(name).strip())
        if not m:
            result.warnings.append(f"{path.name}: Blatt '{name}' übersprungen (kein Dezember-Berichtsmonat)")
            continue
        year = int(m.group(1))
        first = sheet.iloc[:, 0].astype(str).str.strip()
        header_rows = np.flatnonzero(first.eq("Sozialraum").to_numpy())
        if not len(header_rows):
            raise DataValidationError(
                "Kopfzeile mit 'Sozialraum' nicht gefunden",
                path=path,
                where=f"Blatt '{name}'",
                hint="Blatt im Format der BA-Sonderauswertung liefern.",
            )
        h = int(header_rows[0])
        body = sheet.iloc[h + 1 :].copy()
        body.columns = [str(c).strip() for c in sheet.iloc[h]]
        missing = [c for c in ["Sozialraum", *BA_COLUMNS] if c not in body.columns]
        if missing:
            raise DataValidationError(
                f"Spalte(n) fehlen: {', '.join(missing)}", path=path, where=f"Blatt '{name}'"
            )
        ids = body["Sozialraum"].astype(str).str.strip()
        total_pos = city_totals.total_row(body["Sozialraum"])
        totals = (
            city_totals.empty()
            if total_pos is None
            else city_totals.read_row(
                body.iloc[total_pos], BA_COLUMNS, year=year, path=path, sheet=name, line=h + 2 + total_pos
            )
        )
        body = body[ids.str.fullmatch(r"\d+").fillna(False)].copy()
        body["Sozialraum"] = body["Sozialraum"].astype(str).str.strip()
        offset = h + 2
        rawio.check_keys(
            body["Sozialraum"], area_ids, path=path, column=f"Sozialraum (Blatt '{name}')", row_offset=offset
        )
        rawio.check_duplicates(body.reset_index(drop=True), ["Sozialraum"], path=path, row_offset=offset)
        long = _long_counts(
            body.reset_index(drop=True),
            BA_COLUMNS,
            path=path,
            id_col="Sozialraum",
            year_col=None,
            year=year,
            row_offset=offset,
        )
        wide = long.pivot_table(index="area_id", columns="measure", values="value", aggfunc="first")
        full = wide[["unemployed", "unemployed_sgb2", "unemployed_sgb3"]].dropna()
        off = (full["unemployed_sgb2"] + full["unemployed_sgb3"] - full["unemployed"]).abs() > 0.5
        if off.any():
            area = off[off].index[0]
            raise DataValidationError(
                f"Arbeitslose SGB II + SGB III ({full.loc[area, 'unemployed_sgb2']:g} + "
                f"{full.loc[area, 'unemployed_sgb3']:g}) ergeben nicht 'Arbeitslose insgesamt' "
                f"({full.loc[area, 'unemployed']:g})",
                path=path,
                where=f"Blatt '{name}', Sozialraum {area}",
                hint="Teilwerte und Summe in der Lieferung prüfen.",
            )
        labels = {v: k for k, v in BA_COLUMNS.items()}
        _check_le(long, "sgb2_u15", "sgb2_rlb", path, labels)
        city_totals.check_against_areas(long, totals, labels, path=path, sheet=name)
        frames.append(long)
        total_frames.append(totals)
    if not frames:
        raise DataValidationError(
            "kein Blatt 'Dez JJJJ' gefunden", path=path, hint="Blätter nach Berichtsmonat benennen."
        )
    out = pd.concat(frames, ignore_index=True)
    totals = pd.concat(total_frames, ignore_index=True).sort_values(["measure", "year"], ignore_index=True)
    result.tables["city_totals"] = CITY_TOTALS_SCHEMA.validate(totals)
    _record(result, path, len(out) // len(BA_COLUMNS), sheets=list(sheets), city_totals=len(totals))
    return out
