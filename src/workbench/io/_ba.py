"""Import of the Bundesagentur XLSX delivery (``ba_sgb2_arbeitslose.xlsx``): one sheet per December, "*" kept as
suppressed, SGB II + SGB III = total and the official "Stadt insgesamt" row checked. Re-exported by ``importer``.

What a "*" can hide: the Bundesagentur suppresses counts of 1 and 2 *and* every further value from which such a
count could be derived (secondary suppression), so a "*" stands for any value ≥ 1 – not only 1 or 2. The only
consistency rules between the areas of a sheet and its row "Stadt insgesamt" are therefore, per column:

* no "*" in the column: the areas add up to the total exactly (rest = total − Σ visible = 0);
* k cells "*": the rest is at least k (each "*" hides at least 1); there is no upper bound.

Example: total 1.186, visible areas 1.168, six "*" → rest 18 ≥ 6, valid (the six cells hide 18 together).
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


def _de(value: float) -> str:
    """A count in German notation (1.186); io sits below render, so no ``render.fmt`` here."""
    return f"{value:,.0f}".replace(",", ".") if float(value).is_integer() else f"{value:g}".replace(".", ",")


def check_city_total(
    long: pd.DataFrame, totals: pd.DataFrame, labels: dict[str, str], *, path: Path, sheet: str | None
) -> None:
    """Refuse a "Stadt insgesamt" value that contradicts the areas of its sheet (rules in the module docstring).

    ``long``: area_id, measure, value, suppressed of one sheet; ``totals``: year, measure, value of that sheet;
    ``labels``: measure → source column name (for the message). Raises :class:`DataValidationError` naming the
    file, the sheet and the column.
    """
    for t in totals.itertuples(index=False):
        part = long[long["measure"] == t.measure]
        visible = float(part["value"].sum(min_count=0))
        stars = int(part["suppressed"].sum())
        rest = float(t.value) - visible
        column = f"Spalte '{labels.get(t.measure, t.measure)}'"
        where = f"Blatt '{sheet}', {column}" if sheet else f"Jahr {t.year}, {column}"
        if stars == 0 and abs(rest) > 0.5:
            raise DataValidationError(
                f"'Stadt insgesamt' ({_de(t.value)}) ist nicht die Summe der Sozialräume ({_de(visible)}), "
                "obwohl kein Feld mit '*' geheimgehalten ist",
                path=path,
                where=where,
                hint="Lieferung der Bundesagentur prüfen: Gebietsstand und Summenzeile müssen übereinstimmen.",
            )
        if stars > 0 and rest < stars - 0.5:
            raise DataValidationError(
                f"Lieferung widersprüchlich: 'Stadt insgesamt' ({_de(t.value)}) minus sichtbare Sozialräume "
                f"({_de(visible)}) ergibt {_de(rest)}; die {stars} Feld(er) mit '*' verbergen aber je mindestens 1, "
                f"zusammen also mindestens {_de(stars)}",
                path=path,
                where=where,
                hint="Summenzeile und Gebietsstand der Lieferung prüfen oder die Lieferung neu anfordern "
                "(ein '*' steht für einen Wert ab 1; die Bundesagentur sperrt auch größere Werte, aus denen "
                "sich 1 oder 2 errechnen ließen).",
            )


def check_ba(
    long: pd.DataFrame, totals: pd.DataFrame, labels: dict[str, str], *, path: Path, sheet: str | None
) -> None:
    """The rules of one BA reporting month (raw XLSX sheet or a mapped table of one year).

    ``long``: area_id, year, measure, value, suppressed of the month; ``totals``: its official city totals (year,
    measure, value); ``labels``: measure → column name as delivered. Where both are visible, SGB II + SGB III
    must equal "Arbeitslose insgesamt" and RLB unter 15 must not exceed RLB insgesamt; the city total must fit
    the areas (:func:`check_city_total`). Measures that are absent are not checked.
    """
    place = f"Blatt '{sheet}'" if sheet else f"Jahr {int(long['year'].iloc[0])}" if len(long) else ""
    wide = long.pivot_table(index="area_id", columns="measure", values="value", aggfunc="first")
    parts = ["unemployed", "unemployed_sgb2", "unemployed_sgb3"]
    full = wide[parts].dropna() if set(parts) <= set(wide.columns) else pd.DataFrame(columns=parts)
    off = (full["unemployed_sgb2"] + full["unemployed_sgb3"] - full["unemployed"]).abs() > 0.5
    if off.any():
        area = off[off].index[0]
        raise DataValidationError(
            f"Arbeitslose SGB II + SGB III ({full.loc[area, 'unemployed_sgb2']:g} + "
            f"{full.loc[area, 'unemployed_sgb3']:g}) ergeben nicht 'Arbeitslose insgesamt' "
            f"({full.loc[area, 'unemployed']:g})",
            path=path,
            where=f"{place}, Sozialraum {area}" if place else f"Sozialraum {area}",
            hint="Teilwerte und Summe in der Lieferung prüfen.",
        )
    _check_le(long, "sgb2_u15", "sgb2_rlb", path, labels)
    check_city_total(long, totals, labels, path=path, sheet=sheet)


def read_ba(raw: Path, area_ids: set[str], result: ImportResult) -> pd.DataFrame:
    """Bundesagentur XLSX, one sheet per December; "*" stays suppressed; SGB II + SGB III = total is checked.

    An optional row "Stadt insgesamt" gives the unsuppressed city totals; they are checked against the areas
    (:func:`check_city_total`) and left in ``result.tables["city_totals"]``
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
        check_ba(long, totals, {v: k for k, v in BA_COLUMNS.items()}, path=path, sheet=name)
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
