"""Published tables: German-formatted HTML and XLSX that an independent checker can read back.

Every HTML ``<td>`` carries ``data-kind`` (count, rate, share, suppressed, text) and, for numbers, a
machine-readable ``data-value`` (dot decimal, rounded as displayed); suppressed cells carry no value. A cell
shown as a sign of the official Zeichenerklärung (:mod:`workbench.render.fmt`) carries ``data-wb-sign`` (its
role), and a legend under the table explains exactly the signs used. Rates and
shares name the count column they are built on (``data-numerator-col``). Count cells may carry a stable
``data-wb-key`` (``measure|level|unit|year``, see :func:`count_key`) so that :mod:`workbench.confidentiality.audit` can merge
tables that repeat the same counts. The ``<table>`` carries ``data-wb-table`` (id) and ``data-wb-totals``
(JSON ``{"rows": [{"total": label, "parts": [labels]}], "columns": [...]}``: a row relation holds in every
count column, a column relation in every row). XLSX files hold the same metadata in the hidden sheet
``_wb_meta``; their number columns hold numbers only, each followed by a flag column with the signs.
"""

from __future__ import annotations

import html
import io
import json
import math
import os
import re
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.io.raw import atomic_write, deterministic_xlsx
from workbench.render import fmt
from workbench.vocabulary import SUPPRESSION_MARKERS

KINDS = ("count", "rate", "share", "text")
META_SHEET = "_wb_meta"
_FIXED_ISO = "2000-01-01T00:00:00Z"
_META_CHUNK = 30_000  # characters of one metadata item per row of ``_wb_meta`` (Excel cell limit 32,767)

KindSpec = str | tuple[str, Hashable]


def count_key(measure: str, level: str, unit: str, year: int | str) -> str:
    """Stable key of a count cell: ``"measure|level|unit|year"`` (same count → same key in every table)."""
    return f"{measure}|{level}|{unit}|{year}"


def _label(x: Hashable) -> str:
    if isinstance(x, tuple):
        return " / ".join(str(p) for p in x)
    return str(x)


def _parse_kinds(
    df: pd.DataFrame, kinds: Mapping[Hashable, KindSpec]
) -> dict[Hashable, tuple[str, str | None]]:
    out: dict[Hashable, tuple[str, str | None]] = {}
    for col in df.columns:
        if col not in kinds:
            raise WorkbenchError(
                f"Spalte {_label(col)!r} hat keine Art (count/rate/share/text)", where="kinds"
            )
        spec = kinds[col]
        kind, num = (spec, None) if isinstance(spec, str) else (spec[0], spec[1])
        if kind not in KINDS:
            raise WorkbenchError(f"unbekannte Art {kind!r} für Spalte {_label(col)!r}", where="kinds")
        if num is not None:
            if kind not in ("rate", "share"):
                raise WorkbenchError(
                    f"Zählerspalte nur für rate/share, nicht {kind}", where=f"kinds[{col!r}]"
                )
            num = _label(num) if num in df.columns and kinds.get(num) == "count" else None
        out[col] = (kind, num)
    return out


def _normalise_totals(totals: Any, rows: list[str], cols: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Totals as ``{"rows": [...], "columns": [...]}`` with string labels; unknown labels → WorkbenchError.

    ``"shares"`` (optional): groups of share columns that add up to 100 % in every row (an answer
    distribution), ``[{"parts": [columns]}]``; the audit checks that no row withholds exactly one of them."""
    result: dict[str, list[dict[str, Any]]] = {"rows": [], "columns": []}
    if not totals:
        return result
    for axis, labels in (("rows", rows), ("columns", cols)):
        for rel in totals.get(axis, []) or []:
            if isinstance(rel, Mapping):
                total, parts = rel["total"], rel["parts"]
            else:
                total, parts = rel
            t = _label(total)
            p = [_label(x) for x in parts]
            for x in [t, *p]:
                if x not in labels:
                    raise WorkbenchError(f"Summenangabe nennt unbekannte {axis} {x!r}", where="totals")
            if not p or t in p:
                raise WorkbenchError(f"ungültige Summenangabe für {t!r}", where="totals")
            result[axis].append({"total": t, "parts": p})
    for rel in totals.get("shares", []) or []:  # share columns that add up to 100 % in every row
        p = [_label(x) for x in (rel["parts"] if isinstance(rel, Mapping) else rel)]
        if len(p) < 2 or any(x not in cols for x in p):
            raise WorkbenchError(
                f"ungültige Anteilsgruppe {p!r} (mindestens zwei Spalten der Tabelle)", where="totals"
            )
        result.setdefault("shares", []).append({"parts": p})
    return result


def margin_totals(
    df: pd.DataFrame, *, total_row: Hashable | None = None, total_column: Hashable | None = None
) -> dict:
    """Totals metadata for a table whose ``total_row`` / ``total_column`` is the sum of all other rows/columns."""
    out: dict[str, list[dict[str, Any]]] = {"rows": [], "columns": []}
    if total_row is not None:
        out["rows"].append({"total": total_row, "parts": [r for r in df.index if r != total_row]})
    if total_column is not None:
        out["columns"].append({"total": total_column, "parts": [c for c in df.columns if c != total_column]})
    return out


def _format_spec(
    number_formats: Mapping[Hashable, Any] | None, col: Hashable, kind: str
) -> tuple[int, str | None]:
    decimals = 0 if kind == "count" else 1
    unit: str | None = None if kind == "count" else "%"
    spec = (number_formats or {}).get(col)
    if isinstance(spec, int) and not isinstance(spec, bool):
        decimals = spec
    elif isinstance(spec, Mapping):
        decimals = int(spec.get("decimals", decimals))
        unit = spec.get("unit", unit)
    elif spec is not None:
        raise WorkbenchError(f"Zahlenformat für {_label(col)!r} muss Stellenzahl oder Zuordnung sein")
    return decimals, unit


def _string_role(v: Any) -> str | None:
    """Sign role of a text value in a number column: ``"geheim"`` for suppression markers (``"•"``, ``"*"``,
    dashes …), the role of another sign in force (``"x"`` → ``"nicht_sinnvoll"``), else None."""
    if not isinstance(v, str):
        return None
    t = v.strip()
    role = fmt.sign_role(t)
    if role in ("unbekannt", "nicht_sinnvoll", "unsicher", "spaeter") and t != fmt.sign("geheim"):
        return role
    if role == "geheim" or t in SUPPRESSION_MARKERS:
        return "geheim"  # a dash in a number column is read as withheld, never as 0
    return None


def _role_of_missing(signs: Any, r: Hashable, c: Hashable) -> str:
    """Sign role of a cell without a number: from ``signs`` (frame or column → role), default ``unbekannt``."""
    role: Any = None
    if isinstance(signs, pd.DataFrame):
        if r in signs.index and c in signs.columns:
            role = signs.at[r, c]
    elif isinstance(signs, Mapping):
        role = signs.get(c)
    return _checked_role(role, r, c)


def _checked_role(role: Any, r: Hashable, c: Hashable) -> str:
    if role is None or (isinstance(role, float) and math.isnan(role)) or role == "":
        return "unbekannt"
    if role not in fmt.SIGN_DEFAULTS or role in ("geheim", "null"):
        raise WorkbenchError(
            f"ungültige Zeichenrolle {role!r} für Zelle ({_label(r)!r}, {_label(c)!r})",
            hint="unbekannt, nicht_sinnvoll, unsicher oder spaeter; Geheimhaltung über suppressed angeben",
        )
    return str(role)


def _aligned(frame: pd.DataFrame | None, df: pd.DataFrame) -> np.ndarray | None:
    """``frame`` as an object array in the row and column order of ``df`` (None where it has no cell)."""
    if frame is None:
        return None
    out = np.full(df.shape, None, dtype=object)
    rows = [frame.index.get_loc(r) if r in frame.index else -1 for r in df.index]
    cols = [frame.columns.get_loc(c) if c in frame.columns else -1 for c in df.columns]
    src = frame.to_numpy(dtype=object)
    ri = np.array(rows, dtype=int)
    for j, cj in enumerate(cols):
        if cj < 0:
            continue
        ok = ri >= 0
        out[ok, j] = src[ri[ok], cj]
    return out


def _number(v: Any) -> float | None:
    if v is None or v is pd.NA or isinstance(v, str):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _machine(v: float, decimals: int) -> str:
    r = round(v, decimals)
    if decimals <= 0 or float(r).is_integer():
        return str(int(round(r)))
    return repr(float(r))


class _Cell:
    """One table cell after classification: kind, display text, machine value, extra attributes."""

    __slots__ = ("kind", "text", "value", "numerator", "key", "missing", "role")

    def __init__(
        self,
        kind: str,
        text: str,
        value: str | None,
        numerator: str | None,
        key: str | None,
        missing: bool,
        role: str | None = None,
    ):
        self.kind, self.text, self.value, self.numerator, self.key, self.missing, self.role = (
            kind,
            text,
            value,
            numerator,
            key,
            missing,
            role,
        )


def _cells(
    df: pd.DataFrame,
    kinds: Mapping[Hashable, KindSpec],
    suppressed: pd.DataFrame | None,
    cell_keys: pd.DataFrame | None,
    number_formats: Mapping[Hashable, Any] | None,
    signs: Any = None,
    zero_as_sign: bool = False,
) -> list[list[_Cell]]:
    parsed = _parse_kinds(df, kinds)
    rows: list[list[_Cell]] = []
    values = df.to_numpy(dtype=object)
    sup_arr = _aligned(suppressed, df)
    key_arr = _aligned(cell_keys, df)
    sign_arr = _aligned(signs, df) if isinstance(signs, pd.DataFrame) else None
    for i, r in enumerate(df.index):
        row: list[_Cell] = []
        for j, c in enumerate(df.columns):
            kind, num = parsed[c]
            v = values[i, j]
            str_role = _string_role(v) if kind != "text" else None
            sup = str_role == "geheim" or (
                sup_arr is not None and sup_arr[i, j] is not None and bool(sup_arr[i, j])
            )
            key = None
            if key_arr is not None:
                k = key_arr[i, j]
                key = None if k is None or (isinstance(k, float) and math.isnan(k)) else str(k)
            if kind == "text":
                text = "" if _number(v) is None and not isinstance(v, str) else str(v)
                # a text cell that is exactly a sign in force (not "–": a dash in text is no 0) is explained
                t_role = fmt.sign_role(text) if text.strip() and text.strip() != fmt.sign("null") else None
                row.append(_Cell("text", text, None, None, None, False, t_role))
                continue
            if sup:
                row.append(
                    _Cell(
                        "suppressed",
                        fmt.sign("geheim"),
                        None,
                        None,
                        key,
                        False,
                        "geheim",
                    )
                )
                continue
            f = _number(v)
            if f is None:
                if isinstance(v, str) and str_role is None and v.strip() != "":
                    raise WorkbenchError(
                        f"Zelle ({_label(r)!r}, {_label(c)!r}) enthält Text {v!r} in einer Zahlenspalte",
                        hint="Zahl, NaN oder ein Zeichen der Zeichenerklärung verwenden",
                    )
                role = str_role or (
                    _checked_role(sign_arr[i, j], r, c)
                    if sign_arr is not None
                    else _role_of_missing(signs, r, c)
                )
                row.append(_Cell(kind, fmt.sign(role), None, num, key, True, role))
                continue
            decimals, unit = _format_spec(number_formats, c, kind)
            if zero_as_sign and kind == "count" and f == 0:
                row.append(_Cell(kind, fmt.sign("null"), "0", num, key, False, "null"))
                continue
            if kind == "count":
                text = fmt.number(f, decimals)
            elif unit == "%":
                text = fmt.percent(f, decimals)
            else:
                text = fmt.number(f, decimals) + (f"\u00a0{unit}" if unit else "")
            row.append(_Cell(kind, text, _machine(f, decimals), num, key, False))
        rows.append(row)
    return rows


def _table_legend(cells: Sequence[Sequence[_Cell]]) -> str:
    """German legend line for exactly the signs used in a table's cells ("" when none is used)."""
    return fmt.legend({c.role for row in cells for c in row if c.role is not None})


def _check_labels(df: pd.DataFrame) -> tuple[list[str], list[str]]:
    rows = [_label(x) for x in df.index]
    cols = [_label(x) for x in df.columns]
    if len(set(rows)) != len(rows) or len(set(cols)) != len(cols):
        raise WorkbenchError("Zeilen- und Spaltenbeschriftungen einer Tabelle müssen eindeutig sein")
    return rows, cols


def _attr(name: str, value: str) -> str:
    return f' {name}="{html.escape(value, quote=True)}"'


def html_table(
    df: pd.DataFrame,
    kinds: Mapping[Hashable, KindSpec],
    *,
    table_id: str,
    caption: str,
    totals: Mapping[str, Any] | None = None,
    footnotes: Sequence[str] | None = None,
    number_formats: Mapping[Hashable, Any] | None = None,
    suppressed: pd.DataFrame | None = None,
    cell_keys: pd.DataFrame | None = None,
    row_header: str | None = None,
    signs: pd.DataFrame | Mapping[Hashable, str] | None = None,
    zero_as_sign: bool = False,
) -> str:
    """German-formatted, machine-readable HTML table (see module docstring for the attributes).

    ``df``: rows = index (labels), one column per ``kinds`` entry: ``"count"``, ``"rate"``, ``"share"``,
    ``"text"`` or ``("rate", numerator_column)``. Rates and shares are in percent (12.3 → "12,3 %") unless
    ``number_formats[col] = {"decimals": d, "unit": "je 1.000"}``; counts use 0 decimals (int = decimals).
    A cell is suppressed when ``suppressed`` is True there or its value is a suppression sign (shown as the
    sign of ``geheim``, "." by default). A cell without a number (NaN) shows the sign of its role in ``signs``
    (same-shaped frame or column → role: ``unbekannt`` ".", ``nicht_sinnvoll`` "x", ``unsicher`` "/",
    ``spaeter`` "…"; default ``unbekannt``); ``zero_as_sign`` shows counts of exactly 0 as "–" (genau null).
    ``totals``: ``{"rows": [(total, [parts])], "columns": [...]}`` (see :func:`margin_totals`); ``cell_keys``:
    same-shaped frame of :func:`count_key` strings. Every cell shown as a sign carries ``data-wb-sign`` (its
    role); under the table a legend (``<p class="wb-legend">``) explains exactly the signs used in it.
    """
    if not table_id or not re.fullmatch(r"[A-Za-z0-9_.:-]+", table_id):
        raise WorkbenchError(f"ungültige Tabellen-ID {table_id!r}", hint="nur Buchstaben, Ziffern, _ . : -")
    rows, cols = _check_labels(df)
    tot = _normalise_totals(totals, rows, cols)
    cells = _cells(df, kinds, suppressed, cell_keys, number_formats, signs, zero_as_sign)
    header = row_header if row_header is not None else ("" if df.index.name is None else str(df.index.name))
    out = [
        f'<div class="wb-table-wrap"><table class="wb-table"{_attr("data-wb-table", table_id)}'
        f"{_attr('data-wb-totals', json.dumps(tot, ensure_ascii=False, sort_keys=True))}>",
        f"<caption>{html.escape(caption)}</caption>",
        f'<thead><tr><th scope="col">{html.escape(header)}</th>',
    ]
    total_rows = {r["total"] for r in tot["rows"]}
    parsed = _parse_kinds(df, kinds)
    for c, col in zip(cols, df.columns, strict=True):
        attrs = _attr("data-wb-col", c) + _attr("data-wb-kind", parsed[col][0])
        out.append(f'<th scope="col"{attrs}>{html.escape(c)}</th>')
    out.append("</tr></thead><tbody>")
    for label, row in zip(rows, cells, strict=True):
        cls = ' class="wb-total"' if label in total_rows else ""
        out.append(f'<tr{cls}><th scope="row"{_attr("data-wb-row", label)}>{html.escape(label)}</th>')
        for cell in row:
            attrs = _attr("data-kind", cell.kind)
            if cell.value is not None:
                attrs += _attr("data-value", cell.value)
            if cell.missing:
                attrs += _attr("data-missing", "true")
            if cell.numerator is not None:
                attrs += _attr("data-numerator-col", cell.numerator)
            if cell.key is not None:
                attrs += _attr("data-wb-key", cell.key)
            if cell.role is not None:
                attrs += _attr("data-wb-sign", cell.role)
            out.append(f"<td{attrs}>{html.escape(cell.text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    for n in footnotes or []:
        out.append(f'<p class="wb-footnote">{html.escape(n)}</p>')
    legend = _table_legend(cells)
    if legend:
        out.append(f'<p class="wb-legend">{html.escape(legend)}</p>')
    out.append("</div>")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------- XLSX


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", str(name))[:31] or "Tabelle"
    if base == META_SHEET:
        base = "Tabelle"
    cand, i = base, 2
    while cand.lower() in used:
        suffix = f"_{i}"
        cand = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(cand.lower())
    return cand


def _excel_format(kind: str, decimals: int, unit: str | None) -> str:
    digits = "0" if decimals <= 0 else "0." + "0" * decimals
    if kind == "count":
        return "#,##" + digits
    return digits + (f'" {unit}"' if unit else "")


def write_xlsx(tables: Mapping[str, Sequence[Any]], path: str | os.PathLike) -> Path:
    """Write tables to one XLSX file, one sheet each, plus the hidden metadata sheet ``_wb_meta``.

    ``tables``: sheet name → ``(df, kinds, totals)`` or ``(df, kinds, totals, options)`` with options
    ``suppressed``, ``cell_keys``, ``caption``, ``footnotes``, ``number_formats``, ``signs``, ``zero_as_sign``
    as in :func:`html_table`, and ``integer_columns`` (text columns written as whole numbers, e.g. the year).
    Every sheet has a frozen header row and label column and a filter on its header row. Every number column stays numeric (numbers with German-style number formats;
    an empty cell where nothing is published) and is followed by a flag column „<Spalte> (Zeichen)“ holding
    the sign of the cell (".", "x", "–" …, see :mod:`workbench.render.fmt`), so that formulas work on the
    numbers. The legend of the signs used follows the footnotes. The layout in ``_wb_meta`` names the Excel
    column of every value (``value_columns``) and flag (``flag_columns``). Atomic and byte-for-byte
    deterministic.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    meta_rows: list[list[Any]] = []
    used: set[str] = set()
    for name, spec in tables.items():
        if len(spec) not in (3, 4):
            raise WorkbenchError(f"Tabelle {name!r}: erwartet (df, kinds, totals[, Optionen])")
        df, kinds, totals = spec[0], spec[1], spec[2]
        opts = dict(spec[3]) if len(spec) == 4 else {}
        rows, cols = _check_labels(df)
        tot = _normalise_totals(totals, rows, cols)
        nf = opts.get("number_formats")
        ints = {_label(c) for c in opts.get("integer_columns") or ()}
        cells = _cells(
            df,
            kinds,
            opts.get("suppressed"),
            opts.get("cell_keys"),
            nf,
            opts.get("signs"),
            bool(opts.get("zero_as_sign", False)),
        )
        parsed = _parse_kinds(df, kinds)
        sheet = _sheet_name(name, used)
        ws = wb.create_sheet(sheet)
        ws.cell(row=1, column=1, value=str(opts.get("caption", name))).font = Font(bold=True)
        header_row, first = 3, 4
        ws.cell(row=header_row, column=1, value=df.index.name or "")
        value_col: dict[str, int] = {}
        flag_col: dict[str, int] = {}
        x = 2
        for c, col in zip(cols, df.columns, strict=True):
            value_col[c] = x
            ws.cell(row=header_row, column=x, value=c).font = Font(bold=True)
            x += 1
            if parsed[col][0] != "text":
                flag_col[c] = x
                ws.cell(row=header_row, column=x, value=f"{c} (Zeichen)").font = Font(bold=True)
                x += 1
        for i, (label, row) in enumerate(zip(rows, cells, strict=True)):
            ws.cell(row=first + i, column=1, value=label)
            for j, cell in enumerate(row):
                xc = ws.cell(row=first + i, column=value_col[cols[j]])
                if cell.kind == "text":
                    t = cell.text
                    as_int = cols[j] in ints and t.strip().lstrip("-").isdigit()
                    xc.value = int(t) if as_int else t
                else:
                    if cell.value is not None:  # a number (also a 0 shown as "–")
                        decimals, unit = _format_spec(nf, df.columns[j], cell.kind)
                        xc.value = float(cell.value) if "." in cell.value else int(cell.value)
                        xc.number_format = _excel_format(cell.kind, decimals, unit)
                    if cell.role is not None:
                        fc = ws.cell(row=first + i, column=flag_col[cols[j]], value=cell.text)
                        fc.alignment = Alignment(horizontal="center")
                if cell.key is not None:
                    meta_rows.append([sheet, name, "key", label, cols[j], cell.key])
        # planners filter and scroll: header row and label column frozen, a filter on the header row
        last_col = max([*value_col.values(), *flag_col.values(), 1])
        ws.freeze_panes = ws.cell(row=first, column=2)
        if rows:
            ws.auto_filter.ref = f"A{header_row}:{get_column_letter(last_col)}{first + len(rows) - 1}"
        notes = list(opts.get("footnotes") or [])
        legend = _table_legend(cells)
        if legend:
            notes.append(legend)
        for k, n in enumerate(notes):
            ws.cell(row=first + len(rows) + 1 + k, column=1, value=n)
        layout = {
            "header_row": header_row,
            "first_data_row": first,
            "label_column": 1,
            "rows": rows,
            "columns": cols,
            "value_columns": value_col,
            "flag_columns": flag_col,
        }
        kinds_meta = {
            _label(c): ({"kind": k, "numerator": n} if n else {"kind": k}) for c, (k, n) in parsed.items()
        }
        for item, obj in (("layout", layout), ("kinds", kinds_meta), ("totals", tot)):
            text = json.dumps(obj, ensure_ascii=False, sort_keys=True)
            # an Excel cell holds at most 32,767 characters: a longer item spans consecutive rows
            for k in range(0, max(len(text), 1), _META_CHUNK):
                meta_rows.append([sheet, name, item, None, None, text[k : k + _META_CHUNK]])
    meta = wb.create_sheet(META_SHEET)
    meta.append(["sheet", "table_id", "item", "row", "column", "value"])
    for r in meta_rows:
        meta.append(r)
    meta.sheet_state = "hidden"
    if not tables:
        raise WorkbenchError("keine Tabellen zum Schreiben", path=path)
    wb.properties.creator = "Sozialplanungs-Workbench"
    buf = io.BytesIO()
    wb.save(buf)
    data = deterministic_xlsx(buf.getvalue(), _FIXED_ISO)
    atomic_write(path, lambda p: p.write_bytes(data))
    return path


def read_numeric(value: Any) -> float | None:
    """Helper for checkers: a number from an XLSX/HTML cell value, None for signs and text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        f = float(value)
        return None if math.isnan(f) else f
    return None
