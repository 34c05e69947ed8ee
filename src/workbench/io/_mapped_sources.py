"""Read the cells of a mapped file (CSV, XLSX, geodata) into a frame of raw cells with their file lines.

CSV: the encoding is checked (declared: decoded strictly and checked for mojibake; undeclared: detected by
:func:`workbench.io.raw.decode`), every line must have as many fields as the header (a separator at the end of
every line is recognised), title lines (``skip_rows``), several header rows (``header_rows``) and footnotes
(``footer_rows`` or the first empty line) are handled. XLSX: the same for a sheet, with merged cells filled,
numbers kept as numbers (percent-formatted cells in percent) and formulas without stored values refused.
Geodata: read with pyogrio; a shapefile's ``.dbf`` in UTF-8 without ``.cpg`` is recognised, mojibake refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.io._mapping_spec import Context
from workbench.io.raw import decode, find_mojibake

_NUMERIC_LIKE = re.compile(r"[-+−]?\s*\d[\d.,'’ \u00a0\u202f]*%?")


@dataclass
class RawTable:
    """Cells as read (str for text, int/float for numbers stored as numbers, None for empty), by file line."""

    frame: pd.DataFrame
    lines: np.ndarray
    warnings: list[str] = field(default_factory=list)


def _empty(row: list) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return re.sub(r"\s+", " ", str(value)).strip()


def _looks_like_data(row: list) -> bool:
    """At least two cells that are numbers (a data row after an empty line, not a footnote)."""
    n = 0
    for c in row:
        if isinstance(c, int | float) and not isinstance(c, bool):
            n += 1
        elif isinstance(c, str) and c.strip() and _NUMERIC_LIKE.fullmatch(c.strip()):
            n += 1
    return n >= 2


def split_regions(
    ctx: Context, rows: list[list], lines: list[int]
) -> tuple[list[list], list[int], list[list], list[int], list[str]]:
    """(header rows, their lines, data rows, their lines, warnings) after ``skip_rows`` and the footer."""
    spec = ctx.spec
    header = spec.get("header", True)
    n_head = int(spec.get("header_rows", 1)) if header else 0
    warnings: list[str] = []
    i = 0
    while i < len(rows) and _empty(rows[i]):
        i += 1
    head, head_lines = rows[i : i + n_head], lines[i : i + n_head]
    if len(head) < n_head:
        raise ctx.data_error(
            f"Datei hat keine {n_head} Kopfzeile(n) nach den übersprungenen Zeilen",
            hint="skip_rows und header_rows prüfen",
            key="skip_rows",
        )
    for r, line in zip(head, head_lines, strict=True):
        if _empty(r):
            raise ctx.data_error(
                "Kopfzeile ist leer",
                line,
                hint="skip_rows/header_rows so setzen, dass die Kopfzeilen getroffen werden",
                key="header_rows",
            )
    body, body_lines = rows[i + n_head :], lines[i + n_head :]
    while body and _empty(body[-1]):
        body, body_lines = body[:-1], body_lines[:-1]
    footer = spec.get("footer_rows")
    if footer is not None:
        if footer:
            if footer > len(body):
                raise ctx.data_error(
                    f"footer_rows: {footer}, aber nur {len(body)} Zeilen nach dem Kopf", key="footer_rows"
                )
            body, body_lines = body[:-footer], body_lines[:-footer]
        keep = [k for k, r in enumerate(body) if not _empty(r)]
        return head, head_lines, [body[k] for k in keep], [body_lines[k] for k in keep], warnings
    start = 0
    while start < len(body) and _empty(body[start]):
        start += 1
    stop = next((k for k in range(start, len(body)) if _empty(body[k])), len(body))
    rest = body[stop + 1 :]
    if rest:
        later = next((k for k, r in enumerate(rest) if _looks_like_data(r)), None)
        if later is not None:
            raise ctx.data_error(
                f"nach der leeren Zeile {body_lines[stop]} folgen weitere Datenzeilen (Zeile {body_lines[stop + 1 + later]})",
                body_lines[stop],
                hint="Leerzeile aus der Datei entfernen, oder mit footer_rows die Zahl der Fußzeilen angeben",
                key="footer_rows",
            )
        warnings.append(
            f"Zeilen {body_lines[stop + 1]}–{body_lines[-1]} nach der Leerzeile {body_lines[stop]} als Fußnoten übergangen"
        )
    return head, head_lines, body[start:stop], body_lines[start:stop], warnings


def flatten_header(head: list[list], width: int, blank: list[str]) -> list[str]:
    """One name per column from several header rows: empty cells of upper rows carry the value from the left
    (within the same group above), the parts are joined by spaces ("Einwohner 2023 insgesamt")."""
    grid = [[_cell_text(r[c]) if c < len(r) else "" for c in range(width)] for r in head]
    for r in range(len(grid) - 1):
        for c in range(1, width):
            if not grid[r][c] and all(grid[q][c] == grid[q][c - 1] for q in range(r)):
                grid[r][c] = grid[r][c - 1]
    names = []
    for c in range(width):
        parts: list[str] = []
        for r in range(len(grid)):
            part = grid[r][c]
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        names.append(" ".join(parts) or blank[c])
    return names


def _frame(
    ctx: Context,
    head: list[list],
    head_lines: list[int],
    body: list[list],
    width: int,
    letters: list[str] | None,
) -> pd.DataFrame:
    """Column names (from the header rows or ``names``) and the data cells (text stripped)."""
    spec = ctx.spec
    blank = [f"Spalte {letters[c]}" if letters else f"Spalte {c + 1}" for c in range(width)]
    names = spec.get("names")
    if head:
        columns = flatten_header(head, width, blank)
        columns = [c.lstrip("\ufeff").strip() for c in columns]
    if names is not None:
        if len(names) != width:
            raise ctx.config_error(
                f"{len(names)} Namen für {width} Spalten in {ctx.file.name}",
                "names",
                f"so viele Namen wie Spalten angeben (Kopf: {', '.join(columns) if head else '–'})",
            )
        columns = [str(n) for n in names]
    seen: dict[str, int] = {}
    for c, name in enumerate(columns):
        if name in seen:
            where = head_lines[-1] if head and names is None else None
            raise ctx.data_error(
                f"Spaltenname {name!r} kommt doppelt vor (Spalte {seen[name] + 1} und {c + 1})",
                where,
                hint="eindeutige Namen mit 'names' vergeben oder header_rows prüfen",
                key="names",
            )
        seen[name] = c
    cells = [[(r[c] if c < len(r) else None) for c in range(width)] for r in body]
    cells = [[c.strip() if isinstance(c, str) else c for c in r] for r in cells]
    frame = (
        pd.DataFrame(cells, columns=columns, dtype=object)
        if cells
        else pd.DataFrame(columns=columns, dtype=object)
    )
    if letters:
        ctx.letters = dict(zip(columns, letters, strict=True))
    return frame


# --- CSV --------------------------------------------------------------------------------------------------------


def decode_text(ctx: Context, file: Path) -> str:
    """The text of a CSV file; a declared encoding is checked, an undeclared one detected."""
    enc = ctx.spec.get("encoding")
    if enc is None:
        text, used = decode(file)
        _refuse_mojibake(ctx, text, None)
        return text
    data = file.read_bytes()
    if enc.startswith("utf-8"):
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            try:
                data.decode("cp1252")
                other = (
                    "encoding: cp1252 setzen (Windows-Kodierung) oder den Schlüssel weglassen (wird erkannt)"
                )
            except UnicodeDecodeError:
                other = "Datei als UTF-8 speichern"
            raise ctx.data_error(
                f"Datei ist nicht in {enc} kodiert (Byte {exc.start})", line, hint=other, key="encoding"
            ) from None
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            raise ctx.data_error(
                "Datei beginnt mit einer UTF-8-Kennung (BOM), encoding ist aber cp1252",
                1,
                hint="encoding: utf-8-sig setzen oder den Schlüssel weglassen",
                key="encoding",
            )
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ctx.data_error(
                f"Datei ist nicht in cp1252 kodiert (Byte {exc.start})",
                line,
                hint="encoding: utf-8 versuchen",
                key="encoding",
            ) from None
    _refuse_mojibake(ctx, text, enc)
    return text.lstrip("\ufeff")


def _refuse_mojibake(ctx: Context, text: str, declared: str | None) -> None:
    pos = find_mojibake(text)
    if pos is None:
        return
    line = text[:pos].count("\n") + 1
    start = max(text.rfind("\n", 0, pos), text.rfind(ctx.spec.get("sep", ","), 0, pos), pos - 20) + 1
    word = re.split(r"[\s,;\"]", text[start:])[0][:30] or text[pos : pos + 2]
    if declared == "cp1252":
        hint = "Datei ist UTF-8: encoding: utf-8 setzen oder den Schlüssel weglassen (wird erkannt)"
    else:
        hint = "Text ist doppelt kodiert (UTF-8 als Windows-1252 gespeichert): Datei aus der Quelle neu exportieren"
    raise ctx.data_error(
        f"falsche Zeichenkodierung: {word!r} (Umlaut zerstört)", line, hint=hint, key="encoding"
    )


def read_delimited(ctx: Context, file: Path) -> RawTable:
    """Read a delimited text file: title lines, header rows, field counts per line, footnotes."""
    spec = ctx.spec
    text = decode_text(ctx, file)
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")
    skip = int(spec.get("skip_rows", 0) or 0)
    pos = 0
    for _ in range(skip):
        nl = text.find("\n", pos)
        pos = len(text) if nl < 0 else nl + 1
    sep = spec.get("sep", ",")
    reader = csv.reader(io.StringIO(text[pos:], newline=""), delimiter=sep, quotechar='"', strict=True)
    rows: list[list] = []
    lines: list[int] = []
    prev = 0
    try:
        for rec in reader:
            rows.append(rec)
            lines.append(skip + prev + 1)
            prev = reader.line_num
    except csv.Error as exc:
        reason = str(exc)
        if "unexpected end of data" in reason:
            reason = "Anführungszeichen wird bis zum Dateiende nicht geschlossen"
        elif "expected after" in reason:
            reason = f"nach einem schließenden Anführungszeichen folgt nicht das Trennzeichen {sep!r}"
        raise ctx.data_error(
            f"Zeile nicht lesbar: {reason}",
            skip + prev + 1,
            hint='Anführungszeichen im Wert verdoppeln ("") oder entfernen; sonst sep prüfen',
            key="sep",
        ) from None
    head, head_lines, body, body_lines, warnings = split_regions(ctx, rows, lines)
    head, body, width, note = _field_counts(ctx, head, head_lines, body, body_lines)
    if note:
        warnings.append(note)
    frame = _frame(ctx, head, head_lines, body, width, None)
    return RawTable(frame, np.asarray(body_lines, dtype=int), warnings)


def _field_counts(
    ctx: Context, head: list[list], head_lines: list[int], body: list[list], body_lines: list[int]
) -> tuple[list[list], list[list], int, str | None]:
    """Every line must have as many fields as the header; a separator at the end of every line is removed."""
    spec = ctx.spec
    sep = spec.get("sep", ",")
    trailing = spec.get("trailing_separator")
    names = spec.get("names")
    note = None

    def cut(row: list) -> list:
        return row[:-1] if row and row[-1].strip() == "" else row

    if trailing is True:
        head = [cut(r) for r in head]
    width = len(head[-1]) if head else len(names)
    if (
        head
        and names is not None
        and trailing is None
        and len(head[-1]) == len(names) + 1
        and not head[-1][-1].strip()
    ):
        head, width = [cut(r) for r in head], len(names)
    if trailing is True:
        body = [cut(r) if len(r) == width + 1 else r for r in body]
    elif trailing is None and body:
        ends_empty = all(r[-1].strip() == "" for r in body if r)
        if all(len(r) == width + 1 for r in body) and ends_empty:
            body = [r[:-1] for r in body]
            note = f"jede Datenzeile endet mit dem Trennzeichen {sep!r}: letztes leeres Feld ignoriert (trailing_separator: true setzt das fest)"
        elif head and all(len(r) == width - 1 for r in body) and not head[-1][-1].strip():
            head, width = [cut(r) for r in head], width - 1
            note = f"Kopfzeile endet mit dem Trennzeichen {sep!r}: letztes leeres Feld ignoriert"
        elif head and all(len(r) == width for r in body) and ends_empty and not head[-1][-1].strip():
            head, body, width = [cut(r) for r in head], [r[:-1] for r in body], width - 1
            note = f"jede Zeile endet mit dem Trennzeichen {sep!r}: letztes leeres Feld ignoriert"
    for r, line in zip(head, head_lines, strict=True):
        if len(r) != width:
            raise ctx.data_error(
                f"Kopfzeile hat {len(r)} Felder, die letzte Kopfzeile {width}",
                line,
                hint="header_rows prüfen",
                key="header_rows",
            )
    for r, line in zip(body, body_lines, strict=True):
        if len(r) == width:
            continue
        what = "Kopfzeile" if head else "Liste names"
        if len(r) == width + 1 and not r[-1].strip():
            hint = (
                f"die Zeile endet mit dem Trennzeichen {sep!r}: enden alle Datenzeilen so, trailing_separator: true setzen; "
                "sonst die Zeile korrigieren"
            )
            key = "trailing_separator"
        elif width == 1 and len(r) > 2 and head:
            hint = (
                "die Kopfzeile hat nur ein Feld: steht über ihr eine Titelzeile? Dann skip_rows (Zahl der Zeilen "
                f"über der Kopfzeile) setzen; sonst sep prüfen (jetzt {sep!r})"
            )
            key = "skip_rows"
        elif len(r) > width:
            multi = any("\n" in c for c in r)
            hint = (
                "Anführungszeichen prüfen (ein Wert läuft über mehrere Zeilen)"
                if multi
                else f"enthält ein Wert das Trennzeichen {sep!r}, muss er in Anführungszeichen stehen; sonst sep prüfen"
            )
            key = "sep"
        elif sum(1 for c in r if c.strip()) <= 1:
            hint = "Fußnote oder Zwischenüberschrift? Zahl der Fußzeilen mit footer_rows angeben, sonst Zeile entfernen"
            key = "footer_rows"
        else:
            hint = "fehlende Felder ergänzen (leere Werte als leeres Feld zwischen zwei Trennzeichen)"
            key = "sep"
        raise ctx.data_error(f"{len(r)} Felder, die {what} hat {width}", line, hint=hint, key=key)
    return head, body, width, note


# --- XLSX -------------------------------------------------------------------------------------------------------


def _xlsx_value(cell) -> object:
    value = cell.value
    if value is None or isinstance(value, bool):
        return None if value is None else str(value)
    if isinstance(value, int | float):
        if "%" in (cell.number_format or ""):
            return round(float(value) * 100, 10)
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


def read_workbook(ctx: Context, file: Path) -> RawTable:
    """Read one sheet of an XLSX workbook (merged cells filled, numbers as numbers)."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    try:
        wb = openpyxl.load_workbook(file, data_only=True)
    except Exception as exc:  # openpyxl raises several error types for damaged files
        raise ctx.data_error(
            f"Excel-Datei nicht lesbar ({exc})", hint="Datei in Excel öffnen und als .xlsx speichern"
        ) from None
    ws = _sheet(ctx, wb)
    ctx.sheet = ws.title
    grid = [[_xlsx_value(c) for c in row] for row in ws.iter_rows()]
    numeric_merged: dict[tuple[int, int], str] = {}
    for rng in ws.merged_cells.ranges:
        top = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(grid) else None
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                if (r, c) != (rng.min_row, rng.min_col) and r <= len(grid) and c <= len(grid[r - 1]):
                    grid[r - 1][c - 1] = top
                    if isinstance(top, int | float) and top is not None:
                        numeric_merged[(r, c)] = rng.coord
    _refuse_unstored_formulas(ctx, file, grid)
    lines = list(range(1, len(grid) + 1))
    skip = int(ctx.spec.get("skip_rows", 0) or 0)
    head, head_lines, body, body_lines, warnings = split_regions(ctx, grid[skip:], lines[skip:])
    for (r, _c), coord in numeric_merged.items():
        if r in body_lines:
            raise ctx.data_error(
                f"Zahl in verbundenen Zellen {coord}: ein Wert für mehrere Zeilen/Spalten",
                r,
                hint="Verbindung in Excel aufheben; gilt der Wert für zusammengefasste Gebiete, diese per crosswalk zuordnen",
                key="crosswalk",
            )
    used = head + body
    width = max(
        (max((k + 1 for k, v in enumerate(r) if v is not None and _cell_text(v)), default=0) for r in used),
        default=0,
    )
    if width == 0:
        raise ctx.data_error(
            "Tabellenblatt ist leer (nach skip_rows)", hint="sheet und skip_rows prüfen", key="sheet"
        )
    letters = [get_column_letter(c + 1) for c in range(width)]
    frame = _frame(ctx, head, head_lines, body, width, letters)
    for col in frame.columns:
        for k, v in enumerate(frame[col].tolist()):
            if isinstance(v, str) and find_mojibake(v) is not None:
                raise ctx.data_error(
                    f"falsche Zeichenkodierung: {v!r} (Umlaut zerstört)",
                    body_lines[k],
                    str(col),
                    hint="Daten wurden mit falscher Kodierung nach Excel übernommen: aus der Quelle neu exportieren",
                )
    return RawTable(frame, np.asarray(body_lines, dtype=int), warnings)


def _sheet(ctx: Context, wb):
    sheet = ctx.spec.get("sheet")
    names = wb.sheetnames
    if sheet is None:
        return wb.worksheets[0]
    if isinstance(sheet, str):
        if sheet not in names:
            raise ctx.config_error(
                f"Blatt {sheet!r} fehlt in {ctx.file.name}", "sheet", f"vorhanden: {', '.join(names)}"
            )
        return wb[sheet]
    if not 1 <= sheet <= len(names):
        raise ctx.config_error(
            f"Blatt Nummer {sheet} gibt es nicht ({len(names)} Blätter)",
            "sheet",
            f"Blätter werden ab 1 gezählt: {', '.join(f'{i + 1} = {n}' for i, n in enumerate(names))}",
        )
    return wb.worksheets[sheet - 1]


def _refuse_unstored_formulas(ctx: Context, file: Path, grid: list[list]) -> None:
    """A formula whose result Excel never stored (file written by a program) cannot be read."""
    import openpyxl

    if not any(v is None for r in grid for v in r):
        return
    wb = openpyxl.load_workbook(file, data_only=False)
    ws = wb[ctx.sheet]
    for r, row in enumerate(ws.iter_rows(), start=1):
        for c, cell in enumerate(row):
            if isinstance(cell.value, str) and cell.value.startswith("=") and grid[r - 1][c] is None:
                raise ctx.data_error(
                    f"Formel {cell.value!r} ohne gespeicherten Wert in {cell.coordinate}",
                    r,
                    hint="Datei einmal in Excel/LibreOffice öffnen und speichern (dann sind die Werte gespeichert)",
                )


# --- geodata ----------------------------------------------------------------------------------------------------


def dbf_encoding(file: Path) -> str | None:
    """ "UTF-8" when a shapefile's ``.dbf`` has no ``.cpg`` and its text is valid UTF-8 with non-ASCII bytes."""
    if file.suffix.lower() != ".shp":
        return None
    if any(file.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None
    dbf = next((p for p in (file.with_suffix(".dbf"), file.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return None
    data = dbf.read_bytes()
    if len(data) < 32:
        return None
    header_len = int.from_bytes(data[8:10], "little")
    records = data[header_len:]
    if all(b < 0x80 for b in records):
        return None
    try:
        records.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "UTF-8"


def read_geodata(ctx: Context, file: Path) -> RawTable:
    """Read geodata with pyogrio; the text of every column is checked for broken umlauts."""
    import geopandas as gpd

    enc = ctx.spec.get("encoding")
    detected = dbf_encoding(file) if enc is None else None
    kwargs = {}
    if enc is not None:
        kwargs["encoding"] = "UTF-8" if enc.startswith("utf-8") else "CP1252"
    elif detected:
        kwargs["encoding"] = detected
    try:
        gdf = gpd.read_file(file, layer=ctx.spec.get("layer"), engine="pyogrio", **kwargs)
    except Exception as exc:  # pyogrio raises its own error types
        raise ctx.data_error(
            f"Geodatei nicht lesbar: {exc}", hint="Format/Layer prüfen", key="layer"
        ) from None
    warnings = []
    if detected:
        warnings.append(f"{file.with_suffix('.dbf').name}: ohne .cpg, Text als UTF-8 erkannt")
    for col in gdf.columns:
        if col != gdf.geometry.name and (gdf[col].dtype == object or pd.api.types.is_string_dtype(gdf[col])):
            gdf[col] = gdf[col].map(lambda v: v.strip() if isinstance(v, str) else v).astype(gdf[col].dtype)
            for k, v in enumerate(gdf[col].tolist()):
                if isinstance(v, str) and find_mojibake(v) is not None:
                    hint = (
                        "encoding: utf-8 setzen (die .dbf ist UTF-8)"
                        if enc == "cp1252" or (enc is None and not detected)
                        else "encoding prüfen (cp1252?) oder .cpg-Datei neben die .shp legen"
                    )
                    raise ctx.data_error(
                        f"falsche Zeichenkodierung: {v!r} (Umlaut zerstört)",
                        k + 1,
                        col,
                        hint=hint,
                        key="encoding",
                    )
    return RawTable(gdf, np.arange(1, len(gdf) + 1), warnings)
