"""Confidentiality audit of the published output: ``workbench audit PATH [--threshold N]``.

Reads only what a reader gets — HTML and XLSX files under PATH (recursively, ``executed/`` folders skipped):
the visible text of every table cell (German numbers and signs, :mod:`._audit_text`), the machine-readable
table metadata written by :mod:`workbench.render.tables` (``data-kind``, ``data-value``, ``data-wb-key``,
``data-wb-totals``; the hidden XLSX sheet ``_wb_meta``) and the inline SVG figures (:mod:`._audit_svg`). It
never looks at the protection's internal data and does not trust the metadata: the visible text wins. Findings:

* ``mismatch`` / ``hidden_value`` / ``precision``: visible text and metadata disagree (a number in a cell
  marked suppressed, a ``data-value`` behind a sign or beside an Excel flag, a ``data-value`` finer than shown);
* ``figure_precision`` / ``figure_hidden_band`` / ``figure_small_count``: see :mod:`._audit_svg`;
* ``comparison_withheld``: "besser"/"schlechter" in a table whose city value (benchmark) is suppressed;
* ``small_count``: a visible count 1 … threshold−1 (read from the text, with or without metadata);
* ``rate_small_numerator`` / ``rate_suppressed_numerator``: a visible rate or share whose numerator count
  (``data-numerator-col`` in the same row) is a visible small count, or is suppressed (numerator = rate ×
  base would undo the suppression);
* ``shown_elsewhere``: a suppressed count whose key is visible in another table or cell;
* ``recoverable``: a suppressed count whose value follows from the published cells through the totals of all
  tables (merged over ``data-wb-key``) and the identities between keys (age ranges, sex splits, flows and
  balances: :mod:`._audit_identities`), counts being non-negative and balances of any sign. Checked by linear programming: for each
  unpublished count ``x_j`` the minimum and the maximum of ``x_j`` subject to all relations and ``x ≥ 0``
  (``scipy.optimize.linprog``); ``min == max`` means recoverable (by differencing);
* ``inconsistent``: published totals that do not add up (no table satisfies them);
* ``share_recoverable``: a withheld share of a distribution (share columns declared to add up to 100 % in
  every row, ``"shares"`` in ``data-wb-totals``, e.g. the answers 1–5 of a survey item) that is the only
  withheld one of its row: it is 100 % minus the published shares.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from workbench.confidentiality._audit_identities import Relation, identities, is_signed
from workbench.confidentiality._audit_svg import svg_findings
from workbench.confidentiality._audit_text import SIGNS, ZERO_OR_MISSING, is_sign, parse_number
from workbench.errors import WorkbenchError
from workbench.render import fmt

_SIGNS = set(SIGNS)
_TOL = 1e-6


class AuditInputError(WorkbenchError):
    """A published file cannot be read or its table metadata is malformed."""


@dataclass(frozen=True)
class Finding:
    """One disclosive (or inconsistent) cell of a published table."""

    file: str
    table_id: str
    row: str
    column: str
    kind: str
    value: float | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}: Tabelle „{self.table_id}“, Zeile „{self.row}“, Spalte „{self.column}“: {self.message}"


@dataclass
class _Cell:
    kind: str  # count, rate, share, text, suppressed
    value: float | None
    key: str | None = None
    missing: bool = False
    numerator: str | None = None
    text: str | None = None  # visible text (None: not read, e.g. XLSX numbers)


@dataclass
class _Table:
    file: str
    table_id: str
    rows: list[str]
    cols: list[str]
    col_kind: dict[str, str]
    cells: dict[tuple[str, str], _Cell]
    totals: dict[str, list[dict]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- reading


def _float(text: str | None, where: str) -> float | None:
    if text is None:
        return None
    try:
        v = float(text)
    except ValueError:
        raise AuditInputError(f"data-value {text!r} ist keine Zahl", where=where) from None
    return None if math.isnan(v) else v


def _read_html(
    path: Path, rel: str, figures: list[Finding] | None = None, threshold: int = 3
) -> list[_Table]:
    from bs4 import BeautifulSoup

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditInputError(f"nicht lesbar ({exc})", path=rel) from exc
    soup = BeautifulSoup(text, "html.parser")
    if figures is not None:
        figures.extend(
            Finding(rel, f"Abbildung {f.figure}", f.row, f.column, f.kind, f.value, f.message)
            for f in svg_findings(soup, threshold)
        )
    tables = []
    for t in soup.find_all("table", attrs={"data-wb-table": True}):
        tid = str(t["data-wb-table"])
        where = f"Tabelle {tid}"
        try:
            totals = json.loads(t.get("data-wb-totals") or "{}")
        except json.JSONDecodeError as exc:
            raise AuditInputError("data-wb-totals ist kein gültiges JSON", path=rel, where=where) from exc
        heads = t.find_all("th", attrs={"data-wb-col": True})
        cols = [str(h["data-wb-col"]) for h in heads]
        col_kind = {str(h["data-wb-col"]): str(h.get("data-wb-kind", "")) for h in heads}
        rows: list[str] = []
        cells: dict[tuple[str, str], _Cell] = {}
        body = t.find("tbody") or t
        for tr in body.find_all("tr", recursive=False):
            th = tr.find("th")
            tds = tr.find_all("td", recursive=False)
            if th is None or not tds:
                continue
            label = str(th.get("data-wb-row", th.get_text(strip=True)))
            if len(tds) != len(cols):
                raise AuditInputError(
                    f"Zeile {label!r}: {len(tds)} Zellen, {len(cols)} Spalten", path=rel, where=where
                )
            rows.append(label)
            for c, td in zip(cols, tds, strict=True):
                kind = str(td.get("data-kind", "text"))
                cells[(label, c)] = _Cell(
                    kind=kind,
                    value=_float(td.get("data-value"), where),
                    key=td.get("data-wb-key"),
                    missing=td.get("data-missing") == "true",
                    numerator=td.get("data-numerator-col"),
                    text=td.get_text(" ", strip=True),
                )
        for c in cols:  # header kind missing: take it from the visible cells
            if not col_kind[c]:
                seen = {cells[(r, c)].kind for r in rows} - {"suppressed"}
                col_kind[c] = seen.pop() if len(seen) == 1 else "count" if not seen else "text"
        tables.append(_Table(rel, tid, rows, cols, col_kind, cells, totals))
    return tables


def _read_xlsx(path: Path, rel: str) -> list[_Table]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise AuditInputError(f"keine lesbare XLSX-Datei ({exc})", path=rel) from exc
    if "_wb_meta" not in wb.sheetnames:
        return []
    meta: dict[str, dict] = {}
    keys: dict[tuple[str, str, str], str] = {}
    parts: dict[tuple[str, str], list[str]] = {}  # an item longer than an Excel cell spans consecutive rows
    for r in wb["_wb_meta"].iter_rows(min_row=2, values_only=True):
        if not r or r[0] is None:
            continue
        sheet, tid, item, row, col, value = (list(r) + [None] * 6)[:6]
        if item == "key":
            keys[(str(sheet), str(row), str(col))] = str(value)
            continue
        meta.setdefault(str(sheet), {"table_id": str(tid)})
        parts.setdefault((str(sheet), str(item)), []).append("" if value is None else str(value))
    for (sheet, item), chunks in parts.items():
        try:
            meta[sheet][item] = json.loads("".join(chunks))
        except json.JSONDecodeError as exc:
            raise AuditInputError(f"_wb_meta: {item} für {sheet} ist kein JSON", path=rel) from exc
    tables = []
    for sheet, m in meta.items():
        where = f"Blatt {sheet}"
        if sheet not in wb.sheetnames or not {"layout", "kinds"} <= set(m):
            raise AuditInputError("Metadaten unvollständig", path=rel, where=where)
        ws = wb[sheet]
        lay = m["layout"]
        rows, cols = [str(x) for x in lay["rows"]], [str(x) for x in lay["columns"]]
        kinds = {str(c): v["kind"] for c, v in m["kinds"].items()}
        nums = {str(c): v.get("numerator") for c, v in m["kinds"].items()}
        cells: dict[tuple[str, str], _Cell] = {}
        first, lab = int(lay["first_data_row"]), int(lay["label_column"])
        for i, r in enumerate(rows):
            if str(ws.cell(row=first + i, column=lab).value) != r:
                raise AuditInputError(
                    f"Zeile {first + i} passt nicht zu den Metadaten", path=rel, where=where
                )
            for j, c in enumerate(cols):
                # value and flag column of a number column (render.tables writes "<Spalte> (Zeichen)" after it)
                v = ws.cell(row=first + i, column=int(lay.get("value_columns", {}).get(c, lab + 1 + j))).value
                flag_col = lay.get("flag_columns", {}).get(c)
                flag = ws.cell(row=first + i, column=int(flag_col)).value if flag_col is not None else None
                flag_text = str(flag).strip() if flag not in (None, "") else None
                kind = kinds.get(c, "text")
                key = keys.get((sheet, r, c))
                if kind == "text":
                    cells[(r, c)] = _Cell("text", None, text=None if v is None else str(v))
                elif (
                    flag_text is not None
                ):  # a sign shown: the visible text; a number beside it is published too
                    number = float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
                    cells[(r, c)] = _Cell(kind, number, key, numerator=nums.get(c), text=flag_text)
                elif isinstance(v, str) and parse_number(v) is not None:  # a number written as text
                    cells[(r, c)] = _Cell(kind, None, key, numerator=nums.get(c), text=v)
                elif isinstance(v, bool) or v is None:
                    cells[(r, c)] = _Cell(kind, None, key, missing=True, numerator=nums.get(c))
                elif isinstance(v, int | float):
                    cells[(r, c)] = _Cell(kind, float(v), key, numerator=nums.get(c))
                elif str(v).strip() in _SIGNS - {"–", "-"}:
                    cells[(r, c)] = _Cell("suppressed", None, key)
                else:
                    cells[(r, c)] = _Cell(kind, None, key, missing=True, numerator=nums.get(c))
        tables.append(_Table(rel, m["table_id"], rows, cols, kinds, cells, m.get("totals") or {}))
    return tables


def _published_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    files = [
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in {".html", ".htm", ".xlsx"}
        and "executed" not in p.relative_to(root).parts
    ]
    return sorted(files)


# --------------------------------------------------------------------------------------------- checks


def _cell_var(t: _Table, r: str, c: str) -> str:
    cell = t.cells[(r, c)]
    return cell.key or f"{t.file}#{t.table_id}#{r}#{c}"


def _relations(t: _Table) -> list[Relation]:
    out: list[Relation] = []
    counts = [c for c in t.cols if t.col_kind.get(c) == "count"]

    def rel(total: str, parts: Sequence[str]) -> Relation:
        return ((total, 1.0),) + tuple((p, -1.0) for p in parts)

    for r in t.totals.get("rows", []):
        for c in counts:
            out.append(rel(_cell_var(t, r["total"], c), [_cell_var(t, p, c) for p in r["parts"]]))
    for r in t.totals.get("columns", []):
        if t.col_kind.get(r["total"]) != "count" or any(t.col_kind.get(p) != "count" for p in r["parts"]):
            continue
        for row in t.rows:
            out.append(rel(_cell_var(t, row, r["total"]), [_cell_var(t, row, p) for p in r["parts"]]))
    return out


def _lp_bounds(
    mat: np.ndarray, b: np.ndarray, j: int, bounds: list[tuple[float | None, float | None]]
) -> tuple[float | None, float | None, bool]:
    """Min and max of unknown ``j`` under ``mat x = b`` and ``bounds`` (None = unbounded); False when infeasible."""
    k = mat.shape[1]
    cost = np.zeros(k)
    cost[j] = 1.0
    lo = linprog(cost, A_eq=mat, b_eq=b, bounds=bounds, method="highs")
    if lo.status == 2:
        return None, None, False
    hi = linprog(-cost, A_eq=mat, b_eq=b, bounds=bounds, method="highs")
    return (lo.fun if lo.status == 0 else None), (-hi.fun if hi.status == 0 else None), True


def _recoverable(relations: list[Relation], known: dict[str, float], unknown: set[str]):
    """Unknowns with a unique value under the relations and non-negativity (balances: any sign), and
    inconsistent components."""
    names = sorted(unknown)
    pos = {v: i for i, v in enumerate(names)}
    rows, cols, data, rhs = [], [], [], []
    for members in sorted(set(relations)):
        if not any(v in pos for v, _ in members):
            continue
        r = len(rhs)
        b = 0.0
        for v, coef in members:
            if v in pos:
                rows.append(r)
                cols.append(pos[v])
                data.append(coef)
            else:
                b -= coef * known[v]
        rhs.append(b)
    result: dict[str, float] = {}
    inconsistent: list[str] = []
    if not rhs:
        return result, inconsistent
    a = sp.csr_matrix((data, (rows, cols)), shape=(len(rhs), len(names)))
    rhs_arr = np.array(rhs)
    m = a.shape[0]
    adj = sp.bmat([[None, abs(a)], [abs(a).T, None]], format="csr")
    _, lab = connected_components(adj, directed=False)
    for comp in np.unique(lab[m:]):
        cidx = np.flatnonzero(lab[m:] == comp)
        ridx = np.flatnonzero(lab[:m] == comp)
        if ridx.size == 0:
            continue
        mat = a[ridx][:, cidx].toarray()
        b = rhs_arr[ridx]
        bounds = [(None, None) if is_signed(names[x]) else (0.0, None) for x in cidx]
        for jj, j in enumerate(cidx):
            lo, hi, ok = _lp_bounds(mat, b, jj, bounds)
            if not ok:
                inconsistent.extend(names[x] for x in cidx)
                break
            if lo is not None and hi is not None and hi - lo < _TOL:
                result[names[j]] = float(round(lo, 6))
    return result, inconsistent


def _check_visible(tables: Sequence[_Table]) -> list[Finding]:
    """Compare the visible text of every HTML cell with its metadata and make the visible text authoritative.

    A number shown in a cell marked suppressed, a ``data-value`` behind a sign, or a ``data-value`` that does
    not round to the shown number is a finding; afterwards every cell holds what a reader sees (a visible
    number in a count column counts as a published count, with or without metadata).
    """
    out: list[Finding] = []
    for t in tables:
        for r in t.rows:
            for c in t.cols:
                cell = t.cells[(r, c)]
                if cell.text is None:
                    continue
                shown = parse_number(cell.text)
                col_kind = t.col_kind.get(c, "")

                def add(
                    kind: str, value: float | None, msg: str, t: _Table = t, r: str = r, c: str = c
                ) -> None:
                    out.append(Finding(t.file, t.table_id, r, c, kind, value, msg))

                if cell.kind == "suppressed":
                    if cell.value is not None:
                        add("hidden_value", cell.value, "gesperrte Zelle trägt ihren Wert in data-value")
                    if shown is not None:
                        add(
                            "mismatch",
                            shown[0],
                            f"als gesperrt markiert, zeigt aber „{cell.text}“",
                        )
                        cell.kind = col_kind if col_kind in ("count", "rate", "share") else "count"
                        cell.value = shown[0]
                    continue
                if is_sign(cell.text):
                    if cell.value is not None and not (
                        cell.text.strip() in ZERO_OR_MISSING and cell.value == 0
                    ):
                        add(
                            "hidden_value",
                            cell.value,
                            f"Zeichen „{cell.text}“ sichtbar, data-value verrät {fmt.number(cell.value, 2)}",
                        )
                    if cell.text.strip() not in ZERO_OR_MISSING:
                        cell.kind, cell.value = "suppressed", None
                    continue
                if shown is None:
                    continue
                value, decimals = shown
                if cell.kind == "text" and col_kind in ("count", "rate", "share"):
                    cell.kind = col_kind
                if cell.kind not in ("count", "rate", "share"):
                    continue
                if cell.value is not None and abs(cell.value - value) > 0.5 * 10.0**-decimals + 1e-9:
                    add(
                        "mismatch",
                        cell.value,
                        f"sichtbar „{cell.text}“, data-value {cell.value!r} (Metadaten passen nicht)",
                    )
                elif (
                    cell.value is not None
                    and decimals < 6
                    and abs(cell.value - round(cell.value, decimals)) > 1e-9
                ):
                    add(
                        "precision",
                        cell.value,
                        f"data-value {cell.value!r} genauer als die sichtbare Angabe „{cell.text}“",
                    )
                cell.value = value
                cell.missing = False
    return out


_COMPARED = re.compile(r"\b(besser|schlechter)\b", re.IGNORECASE)


def _is_city(label: str) -> bool:
    return label.strip().lower().startswith("stadt")


def _benchmark(t: _Table, comparison: str) -> tuple[str | None, str | None]:
    """Where the benchmark of a comparison column is: ``(None, column)`` = same row, column named by the
    comparison ("Vergleich mit Stadt" → "Stadt"); ``(city row, column)`` = value column of the city row (the named
    column, else the nearest number column to the left); ``(None, None)`` = not compared with the city."""
    target = re.sub(r"^vergleich\s*(mit\s*)?", "", comparison.strip(), flags=re.IGNORECASE).strip()
    if target in t.cols:
        return None, target
    if "bezirk" in target.lower():  # compared with the district (its own published value), not the city
        return None, None
    city = next((r for r in t.rows if _is_city(r)), None)
    if city is None:
        return None, None
    named = [c for c in t.cols if c != comparison and target and c.startswith(target)]
    if named:
        return city, named[0]
    left = t.cols[: t.cols.index(comparison)]
    nums = [c for c in left if t.col_kind.get(c) in ("count", "rate", "share")]
    return (city, nums[-1]) if nums else (None, None)


def _check_comparisons(tables: Sequence[_Table]) -> list[Finding]:
    """A comparison ("besser"/"schlechter") shown against a withheld benchmark (same row or city row)."""
    out: list[Finding] = []
    for t in tables:
        for c in t.cols:
            if not c.lower().startswith("vergleich"):
                continue
            bench_row, bench_col = _benchmark(t, c)
            if bench_col is None:
                continue
            for r in t.rows:
                cell = t.cells[(r, c)]
                if cell.kind != "text" or not cell.text or not _COMPARED.search(cell.text):
                    continue
                if t.cells[(bench_row or r, bench_col)].kind == "suppressed":
                    out.append(
                        Finding(
                            t.file,
                            t.table_id,
                            r,
                            c,
                            "comparison_withheld",
                            None,
                            f"Vergleich „{cell.text}“ gegen einen geheim gehaltenen Wert („{bench_col}“)",
                        )
                    )
    return out


def _check_distributions(tables: Sequence[_Table]) -> list[Finding]:
    """``share_recoverable``: in a row of a declared distribution (``totals["shares"]``) exactly one share is
    withheld while the others are published — it is 100 % minus their sum."""
    findings = []
    for t in tables:
        for group in t.totals.get("shares", []) or []:
            parts = [p for p in group.get("parts", []) if p in t.cols]
            for r in t.rows:
                cells = [t.cells[(r, p)] for p in parts]
                withheld = [
                    p for p, c in zip(parts, cells, strict=True) if c.kind == "suppressed" or c.value is None
                ]
                if len(withheld) == 1 and len(parts) > 1:
                    rest = sum(c.value or 0.0 for c in cells if c.kind != "suppressed")
                    findings.append(
                        Finding(
                            t.file,
                            t.table_id,
                            r,
                            withheld[0],
                            "share_recoverable",
                            100.0 - rest,
                            "gesperrter Anteil ist als 100 % minus die übrigen Anteile der Zeile rückrechenbar "
                            f"({fmt.number(100.0 - rest, 1)} %)",
                        )
                    )
    return findings


def audit_tables(tables: Sequence[_Table], threshold: int = 3) -> list[Finding]:
    """All findings for already parsed tables (see module docstring)."""
    findings: list[Finding] = (
        _check_visible(tables) + _check_comparisons(tables) + _check_distributions(tables)
    )
    known: dict[str, float] = {}
    for t in tables:
        for (r, c), cell in t.cells.items():
            signed = cell.key is not None and is_signed(cell.key)  # a balance: a signed count
            if (cell.kind == "count" or signed) and cell.value is not None:
                known.setdefault(_cell_var(t, r, c), cell.value)
    for t in tables:
        for r in t.rows:
            for c in t.cols:
                cell = t.cells[(r, c)]
                if cell.kind == "count" and cell.value is not None and 0 < cell.value < threshold:
                    findings.append(
                        Finding(
                            t.file,
                            t.table_id,
                            r,
                            c,
                            "small_count",
                            cell.value,
                            f"sichtbare Fallzahl {fmt.number(cell.value)} (unter {threshold})",
                        )
                    )
                if cell.kind in ("rate", "share") and cell.value is not None and cell.numerator:
                    num = t.cells.get((r, cell.numerator))
                    if num is None:
                        continue
                    if num.kind == "count" and num.value is not None and 0 < num.value < threshold:
                        findings.append(
                            Finding(
                                t.file,
                                t.table_id,
                                r,
                                c,
                                "rate_small_numerator",
                                cell.value,
                                f"Quote/Anteil auf Zählerwert {fmt.number(num.value)} (unter {threshold})",
                            )
                        )
                    elif num.kind == "suppressed":
                        findings.append(
                            Finding(
                                t.file,
                                t.table_id,
                                r,
                                c,
                                "rate_suppressed_numerator",
                                cell.value,
                                "Quote/Anteil sichtbar, obwohl der Zähler gesperrt ist",
                            )
                        )
    relations = [rel for t in tables for rel in _relations(t)]
    unknown = set()
    for t in tables:
        for (r, c), cell in t.cells.items():
            signed = cell.key is not None and is_signed(cell.key)
            if (cell.kind == "suppressed" or (cell.kind == "count" and cell.value is None)) and (
                t.col_kind.get(c) == "count" or signed
            ):
                v = _cell_var(t, r, c)
                if v not in known:
                    unknown.add(v)
    relations += identities(set(known) | unknown)
    for members in relations:  # a relation naming a cell that is neither known nor unknown: treat as unknown
        for v, _ in members:
            if v not in known:
                unknown.add(v)
    recovered, inconsistent = _recoverable(relations, known, unknown)
    bad = set(inconsistent)
    for t in tables:
        for r in t.rows:
            for c in t.cols:
                cell = t.cells[(r, c)]
                if cell.kind != "suppressed":
                    continue
                v = _cell_var(t, r, c)
                if v in known:
                    findings.append(
                        Finding(
                            t.file,
                            t.table_id,
                            r,
                            c,
                            "shown_elsewhere",
                            known[v],
                            f"gesperrter Wert ist an anderer Stelle sichtbar ({fmt.number(known[v])})",
                        )
                    )
                elif v in recovered:
                    findings.append(
                        Finding(
                            t.file,
                            t.table_id,
                            r,
                            c,
                            "recoverable",
                            recovered[v],
                            f"gesperrter Wert ist aus den Summen rückrechenbar ({fmt.number(recovered[v])})",
                        )
                    )
                if v in bad:
                    findings.append(
                        Finding(
                            t.file,
                            t.table_id,
                            r,
                            c,
                            "inconsistent",
                            None,
                            "veröffentlichte Summen gehen nicht auf (Summenangaben prüfen)",
                        )
                    )
    return findings


def audit_path(path: str | Path, threshold: int = 3) -> list[Finding]:
    """Audit all published HTML and XLSX files under ``path`` (see module docstring); AuditInputError if unreadable."""
    root = Path(path)
    if not root.exists():
        raise AuditInputError(
            "Pfad nicht gefunden", path=root, hint="Pfad zum veröffentlichten Bericht angeben"
        )
    if isinstance(threshold, bool) or int(threshold) < 1:
        raise AuditInputError("Schwelle muss eine ganze Zahl ≥ 1 sein", where="--threshold")
    tables: list[_Table] = []
    figures: list[Finding] = []
    for f in _published_files(root):
        rel = f.name if root.is_file() else str(f.relative_to(root))
        if f.suffix.lower() == ".xlsx":
            tables.extend(_read_xlsx(f, rel))
        else:
            tables.extend(_read_html(f, rel, figures, int(threshold)))
    return figures + audit_tables(tables, int(threshold))


def main(argv: Sequence[str] | None = None) -> int:
    """CLI ``workbench audit PATH [--threshold N]``: 0 clean, 1 findings, 2 unreadable input."""
    parser = argparse.ArgumentParser(
        prog="workbench audit", description="Prüft veröffentlichte HTML-/XLSX-Tabellen auf Geheimhaltung."
    )
    parser.add_argument("path", help="Ordner oder Datei des veröffentlichten Berichts")
    parser.add_argument(
        "--threshold", type=int, default=3, help="kleinste veröffentlichbare Fallzahl (Standard 3)"
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    try:
        findings = audit_path(args.path, args.threshold)
    except WorkbenchError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    for f in findings:
        print(f)
    if findings:
        print(f"Geheimhaltungsprüfung: {fmt.number(len(findings))} Befund(e) in {args.path}")
        return 1
    print(f"Geheimhaltungsprüfung: keine Befunde in {args.path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
