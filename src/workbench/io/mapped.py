"""Read the tables municipalities publish (CSV, XLSX, geodata) through one small YAML mapping, and join on ids.

A mapping (dict or YAML file; reference in German: ``docs/ZUORDNUNGEN.md``) describes one file::

    file: ${SHARED}/flensburg/tab_6.csv   # or relative to the YAML
    format: csv            # csv | xlsx | geo (shapefile, GeoJSON, GeoPackage); default from the suffix
    # reading
    sep: ";"               # csv: one character (default ",")
    trailing_separator: true   # csv: every line ends with the separator (default: recognised automatically)
    encoding: cp1252       # csv/geo: utf-8, utf-8-sig, cp1252; default: detected (checked for "MÃ¼lheim")
    sheet: "Tabelle 2"     # xlsx: sheet name or number (1 = first sheet; default first)
    layer: sozialraeume    # geo
    header: true           # false = no header; then `names` gives the column names
    header_rows: 3         # several header rows flattened into "Einwohner 2023 insgesamt"
    names: [stadtteil, u18_2011, …]   # column names (replace the header)
    skip_rows: 2           # title lines/rows before the header
    footer_rows: 2         # lines at the end to drop; default: stop at the first empty line
    # values
    decimal: ","           # "," or "." (default "."); with "," the thousands dot is implied
    thousands: "."         # ".", ",", " ", "'" or null; must differ from decimal
    missing: ["k.A.", "-9999"]     # no value (empty cells always)
    suppressed: ["*", "."] # suppressed for confidentiality: NaN, flagged (default: * . x X •)
    zero: ["-", "–"]       # exactly 0 (official statistics' dash)
    types: {u18_2011: int, anteil: percent, name: str}   # int, float, percent, str, auto (default)
    # rows
    rename: {PLR-ID: plr_id}
    filter: [{column: Merkmal, keep: [insgesamt]}]          # keep/drop/keep_match/drop_match
    aggregates:                                             # district and city rows → Table.totals
      - {level: stadt, column: Name, match: "(?i)stadt insgesamt"}
      - {level: stadtbezirk, values: ["1", "2"]}
    # ids
    id:
      column: stadtteil
      split_name: stadtteil_name   # "01 Altstadt" → id "01", name "Altstadt"
      strip_prefix: STGT           # "STGT01" → "01"
      width: 2                     # zero-pad to this width
      name: area_id                # final name of the id column (default: unchanged)
      unique: true                 # default true (false for layout: long)
      names: {Mellerbogen: Meller Bogen}   # join_by: name only: aliases → name in the key table
    join_by: name          # id (default) | name: the file has names only, matched to key_table
    key_table: {mapping: ../schluessel.yaml, id: area_id, name: area_name}   # or file: + reader keys
    crosswalk: {"Weiche-Sandberg": ["07", "08"]}   # published area = several key areas (or file/from/to)
    # shape
    layout: wide           # wide (default) | long (then row_keys is required)
    melt: {pattern: "Einwohner (\\d{4})", value: population, year: year, id_columns: [area_id]}
    row_keys: [area_id, year]   # columns unique per row
    columns: [area_id, …]  # keep only these (after everything else), in this order

``${SHARED}`` is the shared data folder (argument ``shared`` or ``$WORKBENCH_SHARED_DATA``, else
``../shared/data`` beside the project); ``${RAW}`` the raw folder of the report config (argument ``raw``,
given by ``sources:``). ``{year}`` in the file name (``einwohner_{year}.csv``) or in ``sheet`` (``"Dez {year}"``)
makes the mapping describe one table per year (:func:`year_parts`, :func:`read_year_tables`). Cells are parsed here, so every problem names the file, the line (the
file's line, or the sheet's row) and the column, and the key to change; a mistake in the mapping is a
:class:`~workbench.errors.ConfigError` whose ``where`` is the key. Never a silently shifted column, a
suppressed cell read as 0, or a number read in the wrong notation: a line with more or fewer fields than the
header, an ambiguous "2.155" (no ``decimal`` declared), a cell in a numeric column that is neither a number
nor a declared code, and mojibake are refused. Percent strings ("53,40%", "45%", "23") become numbers in
percent (53.4), as do percent-formatted Excel cells (0.534 → 53.4).

Rows matched by ``aggregates`` leave the area rows and come back as :attr:`Table.totals` (column ``level``:
"stadtbezirk" or "stadt"); their id is not normalised. With ``crosswalk`` a published row that combines
several key areas gets the id "07+08" and stays as published (counts are never split);
:attr:`Table.combined` and ``df.attrs["combined"]`` list them, and :func:`join_report` reports the key areas
that are only available combined. Order of the steps: read, rename, filter, aggregates, types, ids
(crosswalk, join_by), melt, columns, row_keys.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import ConfigError, DataValidationError
from workbench.io._mapped_sources import read_delimited, read_geodata, read_workbook
from workbench.io._mapping_spec import (
    DASHES,
    ENCODINGS,
    KNOWN_KEYS,
    TYPES,
    Codes,
    Context,
    Numbers,
    check_spec,
    codes_of,
    detect_format,
    numbers_of,
    text_code,
)
from workbench.io.raw import parse_number as parse_number
from workbench.settings import project_root, read_yaml
from workbench.vocabulary import SUPPRESSION_MARKERS

__all__ = [
    "ENCODINGS",
    "KNOWN_KEYS",
    "TYPES",
    "JoinReport",
    "Table",
    "as_records",
    "default_shared_dir",
    "join_report",
    "load_mapping",
    "load_yaml_dir",
    "normalise_name",
    "parse_number",
    "read_table",
    "read_table_full",
    "read_year_tables",
    "resolve_file",
    "year_parts",
]

_SENTINELS = frozenset({"-999", "-9999", "-99999", "-999999"})
_WORDS_FOR_MISSING = frozenset(
    {"k.a.", "k. a.", "n.v.", "n. v.", "n.a.", "na", "nan", "keine angabe", "/", "…", "..."}
)


def default_shared_dir() -> Path:
    """The shared data folder: ``$WORKBENCH_SHARED_DATA`` or ``<project>/../shared/data``."""
    env = os.environ.get("WORKBENCH_SHARED_DATA")
    return Path(env) if env else project_root().parent / "shared" / "data"


def load_mapping(mapping: dict | str | Path) -> tuple[dict, Path | None]:
    """(mapping dict, YAML path or None) from a dict or a YAML file."""
    if isinstance(mapping, dict):
        return dict(mapping), None
    path = Path(mapping)
    data = read_yaml(path, "Mapping-Datei", missing_hint="Pfad der Mapping-Datei prüfen")
    if not isinstance(data, dict):
        raise ConfigError("erwartet eine Zuordnung (key: value)", path=path)
    return data, path


def _resolve(value: object, yaml_path: Path | None, shared: Path | None) -> Path:
    text = str(value)
    if RAW_FOLDER in text:
        raise ConfigError(
            f"{RAW_FOLDER} im Pfad {text!r}, aber kein Rohdatenordner bekannt",
            path=yaml_path,
            where="file",
            hint=f"{RAW_FOLDER} steht für data_raw der Berichtskonfiguration: die Zuordnung unter sources: "
            f"einer Berichtskonfiguration nennen (oder den Pfad ohne {RAW_FOLDER} angeben)",
        )
    path = Path(text.replace("${SHARED}", str(shared or default_shared_dir())))
    if not path.is_absolute():
        path = (yaml_path.parent if yaml_path else Path.cwd()) / path
    return path


RAW_FOLDER = "${RAW}"
"""Placeholder in ``file`` (and in ``crosswalk.file``, ``key_table.file``/``mapping``) for the raw folder
(``data_raw``) of the report config that names the mapping under ``sources:``."""
YEAR = "{year}"
"""Placeholder for a four-digit year in the file name (``einwohner_{year}.csv``) or in ``sheet`` (``"Dez
{year}"``): one table per matching file or sheet, each with that year (:func:`year_parts`)."""


def expand_raw(spec: dict, raw: Path | None) -> dict:
    """The mapping with ``${RAW}`` replaced by ``raw`` in ``file``, ``crosswalk.file`` and ``key_table``."""
    if raw is None:
        return spec
    out = dict(spec)

    def sub(value: object) -> object:
        return value.replace(RAW_FOLDER, str(raw)) if isinstance(value, str) else value

    if "file" in out:
        out["file"] = sub(out["file"])
    for key, fields in (("crosswalk", ("file",)), ("key_table", ("file", "mapping"))):
        if isinstance(out.get(key), dict):
            out[key] = {k: (sub(v) if k in fields else v) for k, v in out[key].items()}
    return out


@dataclass(frozen=True)
class YearPart:
    """One table of a mapping with ``{year}`` in ``file`` or ``sheet``: its year, file and sheet."""

    year: int
    file: Path
    sheet: str | None = None


def has_year(spec: dict) -> bool:
    """Whether ``file`` or ``sheet`` of the mapping holds the placeholder ``{year}``."""
    return YEAR in str(spec.get("file", "")) or YEAR in str(spec.get("sheet", ""))


def _year_pattern(ctx: Context, text: str, key: str) -> re.Pattern:
    if text.count(YEAR) != 1:
        raise ctx.config_error(
            f"{key}: {YEAR} darf nur einmal vorkommen ({text!r})",
            key,
            f"z. B. {key}: einwohner_{YEAR}.csv" if key == "file" else f'z. B. {key}: "Dez {YEAR}"',
        )
    head, tail = text.split(YEAR)
    return re.compile(rf"{re.escape(head)}(\d{{4}}){re.escape(tail)}")


def year_parts(
    mapping: dict | str | Path, shared: str | Path | None = None, raw: Path | None = None
) -> list[YearPart]:
    """The files (and sheets) a mapping with ``{year}`` reads, by year; [] without the placeholder.

    ``file: einwohner_{year}.csv`` matches every file of that folder named so (``einwohner_2023.csv`` → 2023);
    ``sheet: "Dez {year}"`` every sheet of the workbook named so (other sheets are not read). A placeholder
    in the folder part of ``file``, in both ``file`` and ``sheet``, or no matching file or sheet is refused.
    """
    spec, yaml_path = load_mapping(mapping)
    spec = expand_raw(spec, raw)
    if not has_year(spec):
        return []
    ctx = Context(spec, yaml_path, shared=Path(shared) if shared else None)
    text, sheet = str(spec.get("file", "")), spec.get("sheet")
    if YEAR in text and YEAR in str(sheet or ""):
        raise ctx.config_error(
            f"{YEAR} in file und sheet zugleich",
            "sheet",
            "das Jahr entweder im Dateinamen oder im Blattnamen",
        )
    if YEAR in text:
        pattern = _resolve(text, yaml_path, ctx.shared)
        if YEAR in str(pattern.parent):
            raise ctx.config_error(
                f"{YEAR} nur im Dateinamen, nicht im Ordner ({text!r})",
                "file",
                "je Jahr eine Datei in einem Ordner",
            )
        rx = _year_pattern(ctx, pattern.name, "file")
        folder = pattern.parent
        found = sorted(
            (int(m.group(1)), p)
            for p in (folder.iterdir() if folder.is_dir() else [])
            if (m := rx.fullmatch(p.name)) and p.is_file()
        )
        if not found:
            raise DataValidationError(
                f"keine Datei passt zu {pattern.name!r}",
                path=folder,
                hint=f"Dateien je Jahr so benennen ({pattern.name.replace(YEAR, '2024')}) oder {ctx.where_key('file')} anpassen",
            )
        return [YearPart(year, p) for year, p in found]
    file = resolve_file(spec, yaml_path, ctx.shared)
    ctx.file, ctx.fmt = file, detect_format(ctx, file)
    if ctx.fmt != "xlsx":
        raise ctx.config_error(
            f"sheet mit {YEAR} gibt es nur bei Excel-Dateien", "sheet", f"{YEAR} in file setzen"
        )
    import openpyxl

    try:
        names = openpyxl.load_workbook(file, read_only=True).sheetnames
    except Exception as exc:  # openpyxl raises several error types for damaged files
        raise ctx.data_error(
            f"Excel-Datei nicht lesbar ({exc})", hint="Datei in Excel öffnen und als .xlsx speichern"
        ) from None
    rx = _year_pattern(ctx, str(sheet).strip(), "sheet")
    found = sorted((int(m.group(1)), n) for n in names if (m := rx.fullmatch(str(n).strip())))
    if not found:
        raise ctx.data_error(
            f"kein Blatt passt zu {str(sheet)!r}; Blätter: {', '.join(map(str, names))}",
            hint="Blattnamen mit Jahreszahl angeben",
            key="sheet",
        )
    years = [y for y, _ in found]
    if len(set(years)) != len(years):
        dup = next(y for y in years if years.count(y) > 1)
        raise ctx.data_error(
            f"mehrere Blätter für das Jahr {dup}: {', '.join(n for y, n in found if y == dup)}",
            hint="sheet enger fassen",
            key="sheet",
        )
    return [YearPart(year, file, name) for year, name in found]


def read_year_tables(
    mapping: dict | str | Path, shared: str | Path | None = None, raw: Path | None = None
) -> list[tuple[int, Table]]:
    """Every table of a mapping with ``{year}`` in ``file`` or ``sheet`` as (year, :class:`Table`)."""
    return [
        (part.year, read_table_full(mapping, shared, raw=raw, part=part))
        for part in year_parts(mapping, shared, raw)
    ]


def resolve_file(spec: dict, yaml_path: Path | None, shared: Path | None = None) -> Path:
    """The data file of a mapping: ``${SHARED}`` expanded, relative paths relative to the YAML."""
    if "file" not in spec:
        raise ConfigError("Schlüssel 'file' fehlt", path=yaml_path, where="file")
    path = _resolve(spec["file"], yaml_path, shared)
    if not path.exists():
        raise DataValidationError(
            "Datei nicht gefunden", path=path, hint="Pfad im Mapping (file) bzw. den Datenordner prüfen"
        )
    return path


@dataclass
class Table:
    """A read table.

    ``data`` (DataFrame or GeoDataFrame) holds the area rows, ``suppressed`` the bool mask of suppressed cells
    (same shape), ``lines`` the file line (sheet row, feature number) of each row. ``totals`` holds the rows
    marked by ``aggregates`` (column ``level`` first, then the columns of ``data``) with their mask
    ``totals_suppressed``; ``combined`` maps each combined id ("07+08") to its key areas.
    """

    data: pd.DataFrame
    suppressed: pd.DataFrame
    path: Path
    warnings: list[str] = field(default_factory=list)
    totals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["level"]))
    totals_suppressed: pd.DataFrame = field(default_factory=pd.DataFrame)
    combined: dict[str, list[str]] = field(default_factory=dict)
    lines: pd.Series | None = None


# --- numbers and codes ------------------------------------------------------------------------------------------


class _NotNumber(ValueError):
    """A cell that is no number: ``kind`` "text" (plain text), "format" (number-like, wrong notation) or
    "ambiguous" ("2.155" with no decimal declared)."""

    def __init__(self, kind: str, message: str, hint: str | None = None, key: str | None = None):
        super().__init__(message)
        self.kind, self.message, self.hint, self.key = kind, message, hint, key


_NUMBERISH = re.compile(r"(\d{1,3}([.,'’ ]\d{3})+|\d+)([.,]\d+)?([eE][-+]?\d+)?")


def parse_cell(text: str, numbers: Numbers, percent: bool) -> float:
    """One text cell as a number in the declared notation; raises :class:`_NotNumber` naming the cause."""
    s = text.replace("\u2212", "-").replace("\u00a0", " ").replace("\u202f", " ").strip()
    if s.endswith("%"):
        s = s[:-1].rstrip()
        if not percent:
            raise _NotNumber("format", f"{text!r} ist eine Prozentangabe", "Typ percent wählen", "types")
    sign = 1.0
    if s[:1] in ("-", "+"):
        sign, s = (-1.0 if s[0] == "-" else 1.0), s[1:]
    if not _NUMBERISH.fullmatch(s):
        raise _NotNumber("text", f"{text!r} ist keine Zahl")
    d, g = numbers.decimal, numbers.thousands
    intpart = rf"\d{{1,3}}(?:{re.escape(g)}\d{{3}})+|\d+" if g else r"\d+"
    exp = r"(?:[eE][-+]?\d+)?" if d == "." else ""
    if re.fullmatch(rf"(?:{intpart})(?:{re.escape(d)}\d+)?{exp}", s):
        if not numbers.declared and re.fullmatch(r"\d{1,3}(\.\d{3})+", s):
            raise _NotNumber(
                "ambiguous",
                f"{text!r} ist mehrdeutig (Dezimalpunkt oder Tausenderpunkt?)",
                'decimal: "," angeben, wenn der Punkt Tausender trennt (2.155 = 2155), sonst decimal: "."',
                "decimal",
            )
        plain = s.replace(g, "") if g else s
        return sign * float(plain.replace(d, "."))
    if " " in s:
        raise _NotNumber(
            "format",
            f"Leerzeichen in der Zahl {text!r}",
            'thousands: " " setzen, wenn Leerzeichen Tausender trennen',
            "thousands",
        )
    if d == "," and "." in s:
        if g is None:
            return_hint = 'thousands: "." setzen (Tausenderpunkt) oder decimal: "." (Dezimalpunkt)'
            raise _NotNumber("format", f"Punkt in {text!r}, aber thousands: null", return_hint, "thousands")
        raise _NotNumber(
            "format",
            f'{text!r}: der Punkt ist bei decimal "," nur als Tausenderpunkt erlaubt (1.234)',
            'decimal: "." setzen, wenn die Datei Dezimalpunkte hat; sonst den Wert prüfen',
            "decimal",
        )
    if d == "." and "," in s:
        if g is None:
            raise _NotNumber(
                "format",
                f'Komma in {text!r}, aber decimal "." ohne thousands',
                'decimal: "," (deutsche Schreibweise, 12,5) oder thousands: "," (englische, 1,234)',
                "decimal",
            )
        raise _NotNumber(
            "format",
            f"{text!r}: das Komma ist hier nur als Tausendertrennzeichen erlaubt (1,234)",
            'decimal: "," setzen, wenn die Datei Dezimalkommas hat; sonst den Wert prüfen',
            "decimal",
        )
    raise _NotNumber("format", f"{text!r} passt nicht zu decimal {d!r} / thousands {g!r}", None, "decimal")


def _blank(value: object) -> bool:
    """None, NaN or pd.NA (an empty cell)."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _code_like(text: str) -> bool:
    """Short signs and words that stand for a value ("-", "/", "k.A.", "-9999"), not ordinary text."""
    low = text.casefold()
    return (
        text in SUPPRESSION_MARKERS
        or text in _SENTINELS
        or low in _WORDS_FOR_MISSING
        or (len(text) <= 3 and not any(ch.isalnum() for ch in text))
    )


def _undeclared_code(ctx: Context, text: str, line: int, column: str) -> DataValidationError:
    if text in DASHES:
        hint = (
            f"'{text}' bedeutet in der amtlichen Statistik „genau null“: zero: ['{text}'] ergänzen; "
            f"steht es für geheim gehaltene Werte: suppressed: ['{text}']"
        )
        key = "zero"
    elif text in SUPPRESSION_MARKERS:
        hint = f"als Geheimhaltungszeichen: '{text}' in suppressed ergänzen"
        key = "suppressed"
    elif text in _SENTINELS or text.casefold() in _WORDS_FOR_MISSING:
        hint = f"für „kein Wert“: missing: ['{text}'] ergänzen"
        key = "missing"
    else:
        hint = (
            f"'{text}' je nach Bedeutung in suppressed (geheim gehalten), zero (genau null) oder missing "
            "(kein Wert) ergänzen"
        )
        key = "missing"
    return ctx.data_error(f"Wert {text!r} ist keine Zahl und kein erklärter Code", line, column, hint, key)


def _convert(
    ctx: Context, values: pd.Series, lines: np.ndarray, typ: str, codes: Codes, numbers: Numbers
) -> tuple[pd.Series, pd.Series]:
    """Parse one column of raw cells to ``typ``; returns (values, suppressed mask)."""
    column = str(values.name)
    cells = values.tolist()
    n = len(cells)
    state = np.full(n, "value", dtype=object)  # value | missing | suppressed | zero
    texts: list[str | None] = [None] * n
    for i, cell in enumerate(cells):
        if _blank(cell):
            state[i] = "missing"
            continue
        t = text_code(cell) if isinstance(cell, int | float) and not isinstance(cell, bool) else str(cell)
        texts[i] = t
        if t in codes.suppressed:
            state[i] = "suppressed"
        elif t in codes.missing:
            state[i] = "missing"
        elif t in codes.zero:
            state[i] = "zero"
    supp = pd.Series(state == "suppressed", index=values.index, name=values.name)
    empty = (state == "missing") | (state == "suppressed")

    def as_text() -> pd.Series:
        out = [np.nan if empty[i] else texts[i] for i in range(n)]
        return pd.Series(out, index=values.index, name=values.name, dtype=object)

    if typ == "str":
        return as_text(), supp
    values_seen = {texts[i] or "" for i in range(n) if state[i] == "value"}
    if typ == "auto" and any(re.fullmatch(r"0\d+", t) for t in values_seen):
        return as_text(), supp  # codes with leading zeros stay text
    out = np.full(n, np.nan)
    failures: list[tuple[int, _NotNumber]] = []
    parsed: dict[str, float | _NotNumber] = {}  # large tables repeat few distinct cells
    percent = typ in ("percent", "auto")
    for i, cell in enumerate(cells):
        if state[i] == "zero":
            out[i] = 0.0
        elif state[i] != "value":
            continue
        elif isinstance(cell, int | float) and not isinstance(cell, bool):
            out[i] = float(cell)
        else:
            text = texts[i] or ""
            got = parsed.get(text)
            if got is None:
                try:
                    got = parse_cell(text, numbers, percent=percent)
                except _NotNumber as exc:
                    got = exc
                parsed[text] = got
            if isinstance(got, _NotNumber):
                failures.append((i, got))
            else:
                out[i] = got
    if typ == "auto" and failures:
        plain_text = [(i, e) for i, e in failures if e.kind == "text" and not _code_like(texts[i] or "")]
        numeric = n - len(failures) - int(empty.sum()) > 0
        if plain_text or not numeric and all(e.kind == "text" for _, e in failures):
            return as_text(), supp
    sentinel = next((i for i in range(n) if state[i] == "value" and texts[i] in _SENTINELS), None)
    if sentinel is not None:
        raise _undeclared_code(ctx, texts[sentinel], int(lines[sentinel]), column)
    if failures:
        i, exc = failures[0]
        if exc.kind == "text" and _code_like(texts[i] or ""):
            raise _undeclared_code(ctx, texts[i], int(lines[i]), column)
        hint = exc.hint or "Wert korrigieren oder als Code (missing/suppressed/zero) ins Mapping aufnehmen"
        raise ctx.data_error(
            f"Wert {texts[i]!r} ist keine Zahl ({typ})" if exc.kind == "text" else exc.message,
            int(lines[i]),
            column,
            hint,
            exc.key or "types",
        )
    series = pd.Series(out, index=values.index, name=values.name)
    if typ == "int":
        bad = np.flatnonzero(series.notna().to_numpy() & (series != series.round()).to_numpy())
        if len(bad):
            i = int(bad[0])
            raise ctx.data_error(
                f"Wert {texts[i]!r} ist keine ganze Zahl",
                int(lines[i]),
                column,
                "Wert prüfen (OCR-Fehler?) oder Typ float wählen",
                f"types.{column}",
            )
        series = series.astype("Int64")
    elif typ == "auto":
        ok = series.dropna()
        textual = [texts[i] for i in range(n) if state[i] == "value" and isinstance(cells[i], str)]
        floats = any(isinstance(cells[i], float) for i in range(n) if state[i] == "value")
        if (
            len(ok)
            and (ok == ok.round()).all()
            and not floats
            and not any(numbers.decimal in t or "%" in t for t in textual)
        ):
            series = series.astype("Int64")
    return series, supp


# --- names ------------------------------------------------------------------------------------------------------


def normalise_name(name: str) -> str:
    """A place name compared without case, ß/ss, umlaut spelling, hyphens/underscores and "St."/"Sankt".

    >>> normalise_name("St.-Jürgen"), normalise_name("Sankt Juergen"), normalise_name("Weiche_Sandberg")
    ('sankt juergen', 'sankt juergen', 'weiche sandberg')
    """
    s = unicodedata.normalize("NFC", str(name)).casefold()  # casefold: ß → ss
    s = s.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    s = re.sub(r"\bst\.\s*|\bst\s+(?=\w)", "sankt ", s)
    s = re.sub(r"[-‐‑–—_/]+", " ", s)
    s = re.sub(r"[.,;:'’\"()]", "", s)
    return re.sub(r"\s+", " ", s).strip()


def _suggest(name: str, candidates: dict[str, str]) -> str | None:
    close = difflib.get_close_matches(normalise_name(name), list(candidates), n=1, cutoff=0.6)
    return candidates[close[0]] if close else None


# --- rows: filter, aggregates -----------------------------------------------------------------------------------


def _rule_column(ctx: Context, df: pd.DataFrame, rule: dict, where: str) -> str:
    idspec = ctx.spec.get("id") or {}
    col = rule.get("column", idspec.get("column"))
    if col not in df.columns and col == idspec.get("name"):
        col = idspec.get("column")
    if col not in df.columns:
        raise ctx.config_error(
            f"Spalte {col!r} fehlt in {ctx.file.name}",
            f"{where}.column",
            f"vorhanden: {', '.join(map(str, df.columns))}",
        )
    return col


def _rule_mask(ctx: Context, df: pd.DataFrame, rule: dict, where: str, kinds: tuple[str, ...]) -> pd.Series:
    col = _rule_column(ctx, df, rule, where)
    text = df[col].map(lambda v: "" if _blank(v) else text_code(v))
    kind = next(k for k in kinds if k in rule)
    if kind.endswith("match"):
        rx = re.compile(rule[kind])
        return text.map(lambda v: rx.fullmatch(v) is not None).astype(bool)
    return text.isin([text_code(v) for v in rule[kind]]).astype(bool)


def _filter(ctx: Context, df: pd.DataFrame, lines: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    keep = pd.Series(True, index=df.index)
    for i, rule in enumerate(ctx.spec.get("filter") or []):
        where = f"filter[{i}]"
        mask = _rule_mask(ctx, df, rule, where, ("keep", "drop", "keep_match", "drop_match"))
        keep &= mask if ("keep" in rule or "keep_match" in rule) else ~mask
    if len(df) and not keep.any():
        raise ctx.config_error(
            f"filter entfernt alle {len(df)} Zeilen", "filter", "Werte/Muster der Regeln prüfen"
        )
    return df[keep.to_numpy()], lines[keep.to_numpy()]


def _aggregates(ctx: Context, df: pd.DataFrame, warnings: list[str]) -> pd.Series:
    """The level ("stadtbezirk"/"stadt") of each total row, None for area rows; first matching rule wins."""
    level = pd.Series(None, index=df.index, dtype=object)
    for i, rule in enumerate(ctx.spec.get("aggregates") or []):
        where = f"aggregates[{i}]"
        mask = _rule_mask(ctx, df, rule, where, ("match", "values")) & level.isna()
        if not mask.any():
            warnings.append(f"{where} ({rule['level']}) trifft keine Zeile")
        level[mask] = rule["level"]
    return level


# --- ids ----------------------------------------------------------------------------------------------------------


def _id_text(ctx: Context, df: pd.DataFrame, col: str, lines: np.ndarray) -> pd.Series:
    """The id cells as text; an area row without id is refused."""
    ids = df[col].map(lambda v: None if _blank(v) else text_code(v))
    ids = ids.map(lambda v: v if v else None)
    if ids.isna().any():
        i = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise ctx.data_error(
            "Zeile ohne Gebietsschlüssel",
            int(lines[i]),
            col,
            "Summenzeilen mit aggregates, andere Zeilen mit filter ausschließen",
            "aggregates",
        )
    return ids.astype(object)


def _crosswalk(ctx: Context) -> dict[str, list[str]]:
    """{published area (id or name as in the file): [key area ids]} from the mapping or its CSV file."""
    cw = ctx.spec.get("crosswalk")
    if not cw:
        return {}
    width = (ctx.spec.get("id") or {}).get("width")
    if "file" in cw:
        sub = {
            "file": str(_resolve(cw["file"], ctx.yaml_path, ctx.shared)),
            "sep": cw.get("sep", ","),
            "types": {cw["from"]: "str", cw["to"]: "str"},
        }
        if "encoding" in cw:
            sub["encoding"] = cw["encoding"]
        table = read_table_full(sub, ctx.shared).data
        for key in ("from", "to"):
            if cw[key] not in table.columns:
                raise ctx.config_error(
                    f"Spalte {cw[key]!r} fehlt in {Path(sub['file']).name}",
                    f"crosswalk.{key}",
                    f"vorhanden: {', '.join(table.columns)}",
                )
        pairs: dict[str, list[str]] = {}
        for a, b in zip(table[cw["from"]], table[cw["to"]], strict=True):
            if a and b:
                pairs.setdefault(str(a), []).append(str(b))
        single = [k for k, v in pairs.items() if len(v) < 2]
        if single:
            raise ctx.config_error(
                f"crosswalk-Datei: {single[0]!r} hat nur einen Schlüssel",
                "crosswalk.file",
                "je Gebiet mindestens zwei Zeilen",
            )
    else:
        pairs = {str(k): [text_code(x) for x in v] for k, v in cw.items()}
    out = {}
    for published, members in pairs.items():
        members = [m.zfill(int(width)) if width else m for m in members]
        if len(set(members)) != len(members):
            raise ctx.config_error(
                f"crosswalk: {published!r} nennt einen Schlüssel doppelt", f"crosswalk.{published}"
            )
        out[published] = members
    seen: dict[str, str] = {}
    for published, members in out.items():
        for m in members:
            if m in seen:
                raise ctx.config_error(
                    f"Schlüssel {m!r} steht in zwei zusammengefassten Gebieten ({seen[m]!r}, {published!r})",
                    "crosswalk",
                )
            seen[m] = published
    return out


def _combined_id(members: list[str]) -> str:
    return "+".join(sorted(members))


def _match_crosswalk(ctx: Context, ids: pd.Series, crosswalk: dict[str, list[str]]) -> pd.Series:
    """The combined id for rows whose published id/name is in the crosswalk, else None."""
    if not crosswalk:
        return pd.Series([None] * len(ids), index=ids.index, dtype=object)
    split = bool((ctx.spec.get("id") or {}).get("split_name"))
    by_norm = {normalise_name(k): _combined_id(v) for k, v in crosswalk.items()}
    by_text = {k: _combined_id(v) for k, v in crosswalk.items()}

    def find(text: str) -> str | None:
        if text in by_text:
            return by_text[text]
        if normalise_name(text) in by_norm:
            return by_norm[normalise_name(text)]
        if split:
            parts = text.split(None, 1)
            if len(parts) == 2 and normalise_name(parts[1]) in by_norm:
                return by_norm[normalise_name(parts[1])]
        return None

    return ids.map(find)


def _apply_id(
    ctx: Context, df: pd.DataFrame, lines: np.ndarray, ids: pd.Series, combined_ids: pd.Series
) -> pd.DataFrame:
    """Normalise the ids of the area rows (split, prefix, width); combined rows get their combined id."""
    idspec = ctx.spec["id"]
    col = idspec["column"]
    plain = combined_ids.isna().to_numpy()
    work = ids[plain].astype("string").str.strip()
    if idspec.get("split_name"):
        parts = work.str.extract(r"^\s*(\S+)\s+(.*\S)\s*$")
        bad = parts[0].isna() & work.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ctx.data_error(
                f"{work.iloc[i]!r} hat nicht die Form 'Nummer Name'",
                int(lines[plain][i]),
                col,
                "Summenzeilen mit aggregates ausschließen, zusammengefasste Gebiete per crosswalk zuordnen",
                "id.split_name",
            )
        names = pd.Series(None, index=df.index, dtype=object)
        names[plain] = parts[1].astype(object).to_numpy()
        names[~plain] = (
            ids[~plain].map(lambda t: t.split(None, 1)[1] if re.match(r"^\S*\d\S*\s+\S", t) else t).to_numpy()
        )
        df[idspec["split_name"]] = names
        work = parts[0]
    prefix = idspec.get("strip_prefix")
    if prefix:
        work = work.str.removeprefix(prefix)
    width = idspec.get("width")
    if width:
        work = work.str.zfill(int(width))
    out = pd.Series(None, index=df.index, dtype=object)
    out[plain] = work.astype(object).to_numpy()
    out[~plain] = combined_ids[~plain].to_numpy()
    df[col] = out
    return df


def _key_table(ctx: Context) -> tuple[dict[str, str], dict[str, str]]:
    """The key table of ``join_by: name``: ({normalised official name: id}, {id: official name})."""
    kt = dict(ctx.spec["key_table"])
    id_col, name_col = kt.pop("id"), kt.pop("name")
    if "mapping" in kt:
        table = read_table_full(_resolve(kt["mapping"], ctx.yaml_path, ctx.shared), ctx.shared).data
        source = Path(str(kt["mapping"])).name
    else:
        sub = dict(kt)
        sub["file"] = str(_resolve(sub["file"], ctx.yaml_path, ctx.shared))
        sub["types"] = {**(sub.get("types") or {}), id_col: "str", name_col: "str"}
        table = read_table_full(sub, ctx.shared).data
        source = Path(sub["file"]).name
    for key, col in (("id", id_col), ("name", name_col)):
        if col not in table.columns:
            raise ctx.config_error(
                f"Spalte {col!r} fehlt in der Schlüsseltabelle {source}",
                f"key_table.{key}",
                f"vorhanden: {', '.join(map(str, table.columns))}",
            )
    by_norm: dict[str, str] = {}
    names: dict[str, str] = {}
    for key, name in zip(table[id_col].astype(str), table[name_col].astype(str), strict=True):
        norm = normalise_name(name)
        if norm in by_norm and by_norm[norm] != key:
            raise ctx.config_error(
                f"Schlüsseltabelle {source}: {name!r} ist nicht eindeutig ({by_norm[norm]} und {key})",
                "key_table",
            )
        by_norm[norm] = key
        names[key] = name
    return by_norm, names


def _join_names(
    ctx: Context, df: pd.DataFrame, lines: np.ndarray, crosswalk: dict[str, list[str]]
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """``join_by: name``: the official id for each row's name; unmatched names are refused with suggestions."""
    idspec = ctx.spec["id"]
    col = idspec["column"]
    by_norm, official = _key_table(ctx)
    display = {normalise_name(n): n for n in official.values()}
    aliases: dict[str, str] = {}
    for published, target in (idspec.get("names") or {}).items():
        if normalise_name(target) not in by_norm:
            hint = _suggest(target, display)
            raise ctx.config_error(
                f"id.names: {target!r} steht nicht in der Schlüsseltabelle",
                f"id.names.{published}",
                f"meinten Sie „{hint}“?" if hint else "Namen wie in der Schlüsseltabelle schreiben",
            )
        aliases[normalise_name(str(published))] = normalise_name(target)
    for published, members in crosswalk.items():
        unknown = [m for m in members if m not in official]
        if unknown:
            raise ctx.config_error(
                f"crosswalk: {unknown} nicht in der Schlüsseltabelle",
                f"crosswalk.{published}",
                "Schlüssel wie in key_table schreiben",
            )
    cw = {normalise_name(k): _combined_id(v) for k, v in crosswalk.items()}
    names = _id_text(ctx, df, col, lines)
    out, unmatched = [], []
    for i, name in enumerate(names.tolist()):
        norm = normalise_name(name)
        norm = aliases.get(norm, norm)
        if norm in by_norm:
            out.append(by_norm[norm])
        elif norm in cw:
            out.append(cw[norm])
        else:
            out.append(None)
            unmatched.append((int(lines[i]), name, _suggest(name, display)))
    if unmatched:
        listed = "; ".join(
            f"„{name}“ (Zeile {line})" + (f" → „{s}“?" if s else " – kein ähnlicher Name")
            for line, name, s in unmatched[:20]
        )
        example = next(
            ((n, s) for _, n, s in unmatched if s), (unmatched[0][1], "Name in der Schlüsseltabelle")
        )
        raise ctx.data_error(
            f"{len(unmatched)} Name(n) nicht in der Schlüsseltabelle: {listed}",
            column=col,
            hint=f"Schreibweise angleichen oder als Alias eintragen, z. B. id: {{names: {{{example[0]}: {example[1]}}}}}",
            key="id.names",
        )
    target = idspec.get("name", "area_id")
    if target == col:
        df[col] = out
    else:
        if target in df.columns:
            raise ctx.config_error(
                f"id.name {target!r} gibt es schon als Spalte", "id.name", "anderen Namen wählen"
            )
        df.insert(0, target, out)
    used = {c for c in out if c and "+" in c}
    return df, {c: c.split("+") for c in sorted(used)}


def _check_unique(
    ctx: Context, df: pd.DataFrame, cols: list[str], lines: np.ndarray, key: str | None
) -> None:
    dup = df.duplicated(cols, keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        first = df.iloc[rows[0]][cols].tolist()
        twins = [int(lines[r]) for r in rows if df.iloc[r][cols].tolist() == first][:2]
        what = f"ID {first[0]!r}" if len(cols) == 1 else f"Kombination {dict(zip(cols, first, strict=True))}"
        raise ctx.data_error(
            f"{what} kommt mehrfach vor (Zeilen {', '.join(map(str, twins))})",
            twins[-1],
            cols[0] if len(cols) == 1 else None,
            "doppelte Zeilen entfernen; Summen- oder Teilzeilen mit aggregates/filter ausschließen"
            if key is None
            else "doppelte Zeilen entfernen oder row_keys um die unterscheidende Spalte ergänzen",
            key,
        )


def _ids(
    ctx: Context, df: pd.DataFrame, supp: pd.DataFrame, lines: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, list[str]]]:
    idspec = ctx.spec["id"]
    col = idspec.get("column")
    if col not in df.columns:
        raise ctx.config_error(
            f"ID-Spalte {col!r} fehlt in {ctx.file.name}",
            "id.column",
            f"vorhanden: {', '.join(map(str, df.columns))}",
        )
    crosswalk = _crosswalk(ctx)
    if ctx.spec.get("join_by", "id") == "name":
        df, combined = _join_names(ctx, df, lines, crosswalk)
        final = idspec.get("name", "area_id")
    else:
        ids = _id_text(ctx, df, col, lines)
        combined_ids = _match_crosswalk(ctx, ids, crosswalk)
        df = _apply_id(ctx, df, lines, ids, combined_ids)
        combined = {c: c.split("+") for c in sorted(set(combined_ids.dropna()))}
        final = idspec.get("name", col)
        if final != col:
            if final in df.columns:
                raise ctx.config_error(
                    f"id.name {final!r} gibt es schon als Spalte", "id.name", "anderen Namen wählen"
                )
            df = df.rename(columns={col: final})
            supp = supp.rename(columns={col: final})
            ctx.letters[final] = ctx.letters.get(col, "")
    unused = [k for k, v in crosswalk.items() if _combined_id(v) not in combined]
    if unused:
        ctx.warnings.append(f"crosswalk: {', '.join(unused)} kommt in der Tabelle nicht vor")
    members = {m: c for c, ms in combined.items() for m in ms}
    single = df[final].isin(list(members))
    if single.any():
        i = int(np.flatnonzero(single.to_numpy())[0])
        m = df[final].iloc[i]
        raise ctx.data_error(
            f"Gebiet {m!r} kommt einzeln und im zusammengefassten Gebiet {members[m]!r} vor",
            int(lines[i]),
            col,
            "crosswalk prüfen: ein Gebiet gehört entweder einzeln oder zusammengefasst in die Tabelle",
            "crosswalk",
        )
    for extra in [c for c in df.columns if c not in supp.columns]:
        supp[extra] = False
    supp = supp[list(df.columns)]
    parent = idspec.get("parent")
    if parent:
        df = _parent_ids(ctx, df, final, parent, lines)
        supp[parent["name"]] = False
    unique = idspec.get("unique", ctx.spec.get("layout", "wide") == "wide")
    if unique:
        _check_unique(ctx, df, [final], lines, None)
    return df, supp, combined


def _parent_ids(ctx: Context, df: pd.DataFrame, col: str, parent: dict, lines: np.ndarray) -> pd.DataFrame:
    """``id.parent``: the first ``width`` characters of each (normalised) id as a new column ``name``.

    Hierarchical keys carry their parent: LOR Planungsraum „01100101“ lies in Bezirk „01“. Combined areas
    („06+08“) must share their parent; ids shorter than ``width`` are refused with their line.
    """
    name, width = parent["name"], int(parent["width"])
    if name in df.columns:
        raise ctx.config_error(
            f"id.parent.name {name!r} gibt es schon als Spalte", "id.parent", "anderen Namen wählen"
        )
    ids = df[col].astype(str)
    out = []
    for i, value in enumerate(ids):
        parts = {p[:width] for p in value.split("+")}
        if any(len(p) < width for p in value.split("+")) or len(parts) != 1:
            raise ctx.data_error(
                f"Schlüssel {value!r} hat keine eindeutigen ersten {width} Stellen für {name}",
                int(lines[i]),
                col,
                "id.parent.width prüfen (Stellen des übergeordneten Gebiets) oder id.width setzen",
                "id.parent",
            )
        out.append(parts.pop())
    return df.assign(**{name: out})


# --- shape --------------------------------------------------------------------------------------------------------


def _melt(
    ctx: Context, df: pd.DataFrame, supp: pd.DataFrame, lines: np.ndarray, extra_ids: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Wide → long: columns matching ``melt.pattern`` become rows (id columns, year, value)."""
    melt = ctx.spec["melt"]
    rx = re.compile(melt["pattern"])
    group = "year" if "year" in rx.groupindex else 1
    value_cols, years = [], []
    for c in df.columns:
        m = rx.fullmatch(str(c))
        if m:
            value_cols.append(c)
            year = m.group(group)
            if not (year and year.isdigit()):
                raise ctx.config_error(
                    f"melt.pattern: aus {c!r} wird kein Jahr ({year!r})",
                    "melt.pattern",
                    "die Gruppe (…) muss die Jahreszahl treffen",
                )
            years.append(int(year))
    if not value_cols:
        raise ctx.config_error(
            "melt.pattern trifft keine Spalte", "melt.pattern", f"Spalten: {', '.join(map(str, df.columns))}"
        )
    if len(set(years)) != len(years):
        dup = next(y for y in years if years.count(y) > 1)
        cols = [c for c, y in zip(value_cols, years, strict=True) if y == dup]
        raise ctx.config_error(
            f"melt: Jahr {dup} in mehreren Spalten {cols}", "melt.pattern", "Muster enger fassen"
        )
    ids = list(melt.get("id_columns") or [c for c in df.columns if c not in value_cols])
    ids = [c for c in extra_ids if c not in ids] + ids
    absent = [c for c in ids if c not in df.columns]
    if absent:
        raise ctx.config_error(
            f"melt.id_columns fehlen: {absent}",
            "melt.id_columns",
            f"Spalten: {', '.join(map(str, df.columns))}",
        )
    year_col, value_col = melt.get("year", "year"), melt["value"]
    ints = all(str(df[c].dtype) == "Int64" for c in value_cols)
    parts, masks, line_parts = [], [], []
    for c, year in zip(value_cols, years, strict=True):
        part = df[ids].copy()
        part[year_col] = year
        part[value_col] = (
            df[c].astype("Int64") if ints else pd.to_numeric(df[c], errors="coerce").astype("float64")
        )
        part["_pos"] = np.arange(len(df))
        parts.append(part)
        mask = pd.DataFrame(False, index=part.index, columns=[*ids, year_col, value_col])
        mask[value_col] = supp[c].to_numpy()
        masks.append(mask)
        line_parts.append(lines)
    if not all(pd.api.types.is_numeric_dtype(df[c]) for c in value_cols):
        text = next(c for c in value_cols if not pd.api.types.is_numeric_dtype(df[c]))
        raise ctx.config_error(
            f"melt: Spalte {text!r} enthält keine Zahlen", "melt.pattern", f"types.{text} prüfen"
        )
    long = pd.concat(parts, ignore_index=True)
    mask = pd.concat(masks, ignore_index=True)
    all_lines = np.concatenate(line_parts)
    order = np.lexsort((long[year_col].to_numpy(), long["_pos"].to_numpy()))
    long = long.iloc[order].drop(columns="_pos").reset_index(drop=True)
    mask = mask.iloc[order].reset_index(drop=True)
    return long, mask, all_lines[order]


def _select(
    ctx: Context, df: pd.DataFrame, supp: pd.DataFrame, geo: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    keep = list(ctx.spec["columns"])
    absent = [c for c in keep if c not in df.columns]
    if absent:
        raise ctx.config_error(
            f"Spalten fehlen: {absent}", "columns", f"vorhanden: {', '.join(map(str, df.columns))}"
        )
    if geo and df.geometry.name not in keep:
        keep.append(df.geometry.name)
    return df[keep], supp.reindex(columns=keep, fill_value=False)


# --- the reader ---------------------------------------------------------------------------------------------------


def read_table_full(
    mapping: dict | str | Path,
    shared: str | Path | None = None,
    *,
    raw: Path | None = None,
    part: YearPart | None = None,
) -> Table:
    """Read a table as :class:`Table` (data, suppressed mask, totals); see the module docstring for the mapping.

    ``raw`` replaces ``${RAW}`` in the paths; ``part`` (from :func:`year_parts`) is the file and sheet to read
    for a mapping with ``{year}`` (which cannot be read without it).
    """
    spec, yaml_path = load_mapping(mapping)
    spec = expand_raw(spec, raw)
    if part is not None:
        spec["file"] = str(part.file)
        if part.sheet is not None:
            spec["sheet"] = part.sheet
    ctx = Context(spec, yaml_path, shared=Path(shared) if shared else None)
    if part is None and has_year(spec):
        key = "file" if YEAR in str(spec.get("file", "")) else "sheet"
        raise ctx.config_error(
            f"{key} enthält {YEAR}: die Zuordnung beschreibt eine Tabelle je Jahr",
            key,
            "unter sources: einer Berichtskonfiguration nennen (jede Datei bzw. jedes Blatt wird mit seinem "
            "Jahr gelesen) oder mit read_year_tables lesen",
        )
    unknown = set(spec) - KNOWN_KEYS
    if unknown:
        raise ctx.config_error(
            f"unbekannte Schlüssel {sorted(unknown)}", None, f"erlaubt: {', '.join(sorted(KNOWN_KEYS))}"
        )
    file = resolve_file(spec, yaml_path, ctx.shared)
    ctx.file = file
    ctx.fmt = detect_format(ctx, file)
    check_spec(ctx)
    geo = ctx.fmt == "geo"
    if geo:
        raw = read_geodata(ctx, file)
    else:
        codes, numbers = codes_of(ctx), numbers_of(ctx)
        raw = read_delimited(ctx, file) if ctx.fmt == "csv" else read_workbook(ctx, file)
    df, lines, warnings = raw.frame, raw.lines, list(raw.warnings)
    rename = spec.get("rename") or {}
    absent = [c for c in rename if c not in df.columns]
    if absent:
        raise ctx.config_error(
            f"Spalten zum Umbenennen fehlen in {file.name}: {absent}",
            "rename",
            f"vorhanden: {', '.join(map(str, df.columns))}",
        )
    df = df.rename(columns=rename)
    ctx.letters = {rename.get(k, k): v for k, v in ctx.letters.items()}
    df, lines = _filter(ctx, df, lines)
    df = df.reset_index(drop=True)
    level = (
        _aggregates(ctx, df, warnings)
        if "aggregates" in spec
        else pd.Series(None, index=df.index, dtype=object)
    )
    suppressed = pd.DataFrame(False, index=df.index, columns=df.columns)
    idcol = (spec.get("id") or {}).get("column")
    if not geo:
        types = spec.get("types") or {}
        unknown_cols = [c for c in types if c not in df.columns]
        if unknown_cols:
            raise ctx.config_error(
                f"Spalten in types fehlen: {unknown_cols}",
                "types",
                f"vorhanden: {', '.join(map(str, df.columns))}",
            )
        for col in list(df.columns):
            typ = types.get(col, "str" if col == idcol else "auto")
            df[col], suppressed[col] = _convert(ctx, df[col], lines, typ, codes, numbers)
    is_total = level.notna().to_numpy()
    totals, totals_supp, total_lines = df[is_total].copy(), suppressed[is_total].copy(), lines[is_total]
    df, suppressed, lines = (
        df[~is_total].reset_index(drop=True),
        suppressed[~is_total].reset_index(drop=True),
        lines[~is_total],
    )
    combined: dict[str, list[str]] = {}
    final = None
    if spec.get("id"):
        df, suppressed, combined = _ids(ctx, df, suppressed, lines)
        final = spec["id"].get("name", "area_id" if spec.get("join_by") == "name" else idcol)
        if final != idcol and spec.get("join_by", "id") == "id":
            totals, totals_supp = (
                totals.rename(columns={idcol: final}),
                totals_supp.rename(columns={idcol: final}),
            )
        # totals keep their published id/name text; columns made only for area rows stay empty
        totals = totals.reindex(columns=list(df.columns))
        totals_supp = totals_supp.reindex(columns=list(df.columns), fill_value=False)
    warnings += ctx.warnings
    totals.insert(0, "level", level[is_total].to_numpy())
    totals_supp.insert(0, "level", False)
    totals, totals_supp = totals.reset_index(drop=True), totals_supp.reset_index(drop=True)
    if "melt" in spec:
        df, suppressed, lines = _melt(ctx, df, suppressed, lines, [])
        if len(totals):
            totals, totals_supp, total_lines = _melt(ctx, totals, totals_supp, total_lines, ["level"])
    if spec.get("columns"):
        df, suppressed = _select(ctx, df, suppressed, geo)
        keep = ["level"] + [c for c in df.columns if c in totals.columns and c != "level"]
        totals, totals_supp = totals[keep], totals_supp.reindex(columns=keep, fill_value=False)
    row_keys = spec.get("row_keys")
    if row_keys is None and "melt" in spec and final in df.columns:
        row_keys = [final, spec["melt"].get("year", "year")]
    if row_keys:
        absent = [c for c in row_keys if c not in df.columns]
        if absent:
            raise ctx.config_error(
                f"row_keys: Spalten fehlen {absent}",
                "row_keys",
                f"vorhanden: {', '.join(map(str, df.columns))}",
            )
        _check_unique(ctx, df, list(row_keys), lines, "row_keys")
    return Table(
        data=df,
        suppressed=suppressed.astype(bool),
        path=file,
        warnings=warnings,
        totals=totals,
        totals_suppressed=totals_supp.astype(bool),
        combined=combined,
        lines=pd.Series(lines, index=df.index, name="line"),
    )


def read_table(mapping: dict | str | Path, shared: str | Path | None = None) -> pd.DataFrame:
    """Read a published table through a mapping (dict or YAML path) into a DataFrame (GeoDataFrame for geo).

    Suppressed cells are NaN like missing ones; which cells were suppressed is kept in
    ``df.attrs["suppressed"]`` = {column: [row positions]}; combined areas (``crosswalk``) in
    ``df.attrs["combined"]``. Totals rows (``aggregates``) are only in :func:`read_table_full`'s result.
    """
    table = read_table_full(mapping, shared)
    df = table.data
    df.attrs["suppressed"] = {
        c: np.flatnonzero(table.suppressed[c].to_numpy()).tolist()
        for c in table.suppressed.columns
        if table.suppressed[c].any()
    }
    df.attrs["source"] = str(table.path)
    if table.combined:
        df.attrs["combined"] = {k: list(v) for k, v in table.combined.items()}
    return df


# --- joins --------------------------------------------------------------------------------------------------------


@dataclass
class JoinReport:
    """Outcome of :func:`join_report`: matched count and ids found on only one side (sorted).

    ``only_combined`` maps each key area that the other side has only as part of a combined area
    (``crosswalk``) to that combined id ("07" → "07+08"); such areas get no value of their own.
    """

    matched: int
    left_only: list[str]
    right_only: list[str]
    left_duplicates: list[str] = field(default_factory=list)
    right_duplicates: list[str] = field(default_factory=list)
    only_combined: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when every id matched on both sides, none only combined, and no id is duplicated."""
        return not (
            self.left_only
            or self.right_only
            or self.left_duplicates
            or self.right_duplicates
            or self.only_combined
        )

    def __str__(self) -> str:
        text = f"{self.matched} Gebiete verknüpft"
        if self.left_only:
            text += f"; nur links ({len(self.left_only)}): {', '.join(self.left_only[:10])}"
        if self.right_only:
            text += f"; nur rechts ({len(self.right_only)}): {', '.join(self.right_only[:10])}"
        if self.only_combined:
            groups: dict[str, list[str]] = {}
            for member, cid in sorted(self.only_combined.items()):
                groups.setdefault(cid, []).append(member)
            text += "; nur zusammengefasst verfügbar: " + ", ".join(
                f"{', '.join(ms)} (als {cid})" for cid, ms in groups.items()
            )
        if self.left_duplicates or self.right_duplicates:
            text += f"; doppelte IDs: {self.left_duplicates + self.right_duplicates}"
        return text


def _side_ids(df: pd.DataFrame, col: str, side: str) -> pd.Series:
    if col in df.columns:
        return df[col].astype("string")
    if df.index.name == col:
        return pd.Series(df.index, index=df.index).astype("string")
    raise ConfigError(f"Join-Spalte {col!r} fehlt ({side})", where="on", hint=f"{list(df.columns)}")


def join_report(
    left: pd.DataFrame,
    right: pd.DataFrame,
    on: str | tuple[str, str],
    how: str = "inner",
    combined: dict[str, list[str]] | None = None,
) -> tuple[pd.DataFrame, JoinReport]:
    """Join two tables on area ids (never on names) and report ids without partner on either side.

    ``on`` is a column (or index) name present in both, or a pair (left column, right column). Ids are
    compared as strings, so read them with leading zeros. ``how`` as in :func:`pandas.merge`; a GeoDataFrame
    on the left stays one. Combined areas (``combined`` = {"07+08": ["07", "08"]}, default: the
    ``attrs["combined"]`` of both tables) are reported as :attr:`JoinReport.only_combined` instead of as
    unmatched; their rows keep the combined value, the key areas get none (a count or share is never split),
    and the joined table gets a column ``combined_in`` naming the combined area of such key areas.
    """
    lcol, rcol = (on, on) if isinstance(on, str) else on
    lids, rids = _side_ids(left, lcol, "links"), _side_ids(right, rcol, "rechts")
    lset, rset = set(lids.dropna()), set(rids.dropna())
    groups: dict[str, list[str]] = {}
    for frame in (left, right):
        groups.update(frame.attrs.get("combined") or {})
    groups.update(combined or {})
    only_combined: dict[str, str] = {}
    for cid, members in groups.items():
        for here, there in ((lset, rset), (rset, lset)):
            if cid in here and cid not in there:
                for m in members:
                    if m in there and m not in here:
                        only_combined[m] = cid
    used = set(only_combined.values())
    report = JoinReport(
        matched=len(lset & rset),
        left_only=sorted(lset - rset - set(only_combined) - used),
        right_only=sorted(rset - lset - set(only_combined) - used),
        left_duplicates=sorted(set(lids[lids.duplicated()].dropna())),
        right_duplicates=sorted(set(rids[rids.duplicated()].dropna())),
        only_combined=dict(sorted(only_combined.items())),
    )
    lt = left.reset_index() if lcol not in left.columns else left.copy()
    rt = right.reset_index() if rcol not in right.columns else right.copy()
    lt[lcol] = lids.to_numpy()
    rt[rcol] = rids.to_numpy()
    suffixes = ("", "_rechts")
    joined = lt.merge(rt, left_on=lcol, right_on=rcol, how=how, suffixes=suffixes)
    if rcol != lcol and rcol in joined.columns:
        joined = joined.drop(columns=rcol)
    if only_combined:
        key = joined[lcol].astype("string")
        if rcol in joined.columns and rcol != lcol:
            key = key.fillna(joined[rcol].astype("string"))
        joined["combined_in"] = key.map(only_combined).astype(object)
    return joined, report


def load_yaml_dir(folder: str | Path, shared: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Read every ``*.yaml`` mapping in a folder: {file stem: table}."""
    folder = Path(folder)
    return {p.stem: read_table(p, shared) for p in sorted(folder.glob("*.yaml"))}


def as_records(report: JoinReport) -> dict[str, Any]:
    """The join report as a plain dict (for manifests / JSON)."""
    return {
        "matched": report.matched,
        "left_only": report.left_only,
        "right_only": report.right_only,
        "left_duplicates": report.left_duplicates,
        "right_duplicates": report.right_duplicates,
        "only_combined": report.only_combined,
    }
