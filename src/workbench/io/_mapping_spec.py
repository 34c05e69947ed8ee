"""The mapping of :mod:`workbench.io.mapped`: allowed keys, their checks, and errors that name the place.

Everything here works on the mapping alone (no data read yet): unknown keys, keys that do not fit the format,
malformed values and ambiguous declarations are refused with a :class:`~workbench.errors.ConfigError` whose
``where`` is the key to change; when the mapping came from a YAML file the message names the line of that key.
:class:`Context` also builds the data errors (file, line, column, and the key to change).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import ConfigError, DataValidationError
from workbench.vocabulary import LEVELS, SUPPRESSION_MARKERS

FORMATS = ("csv", "xlsx", "geo")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
TYPES = ("int", "float", "percent", "str", "auto")
LAYOUTS = ("wide", "long")
JOIN_BY = ("id", "name")
TOTAL_LEVELS = tuple(level for level in LEVELS if level != "sozialraum")
DECIMALS = (",", ".")
THOUSANDS = (".", ",", " ", "'", "’")
DASHES = frozenset({"-", "–", "—"})
DEFAULT_SUPPRESSED = frozenset(SUPPRESSION_MARKERS - DASHES)
"""Suppression signs used when ``suppressed`` is not declared: "*", ".", "x", "X", "•". Dashes are left out:
in official statistics "-" means "exactly zero", elsewhere "suppressed", so a dash must be declared."""

_ALL = frozenset(FORMATS)
_TABLE = frozenset({"csv", "xlsx"})
KEYS: dict[str, frozenset[str]] = {
    "file": _ALL, "format": _ALL, "description": _ALL, "source": _ALL,
    "sep": frozenset({"csv"}), "trailing_separator": frozenset({"csv"}), "encoding": frozenset({"csv", "geo"}),
    "sheet": frozenset({"xlsx"}), "layer": frozenset({"geo"}),
    "header": _TABLE, "header_rows": _TABLE, "names": _TABLE, "skip_rows": _TABLE, "footer_rows": _TABLE,
    "decimal": _TABLE, "thousands": _TABLE, "missing": _TABLE, "suppressed": _TABLE, "zero": _TABLE,
    "types": _TABLE, "rename": _ALL, "columns": _ALL, "filter": _ALL, "aggregates": _TABLE,
    "id": _ALL, "join_by": _ALL, "key_table": _ALL, "crosswalk": _ALL,
    "layout": _TABLE, "melt": _TABLE, "row_keys": _ALL,
}  # fmt: skip
"""Every mapping key and the formats it applies to."""
KNOWN_KEYS = frozenset(KEYS)
ID_KEYS = frozenset({"column", "split_name", "strip_prefix", "width", "name", "unique", "names", "parent"})
MELT_KEYS = frozenset({"pattern", "value", "year", "id_columns"})
AGGREGATE_KEYS = frozenset({"level", "column", "match", "values"})
FILTER_KEYS = frozenset({"column", "keep", "drop", "keep_match", "drop_match"})
KEY_TABLE_KEYS = frozenset({"mapping", "id", "name"})
CROSSWALK_FILE_KEYS = frozenset({"file", "from", "to", "sep", "encoding"})

_GEO_SUFFIXES = (".shp", ".geojson", ".gpkg", ".json")
_XLSX_SUFFIXES = (".xlsx", ".xlsm")


def text_code(value: object) -> str:
    """A code of the mapping as text (YAML may give ``-9999`` as a number)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass(frozen=True)
class Codes:
    """Cell contents with a meaning other than a number: no value, suppressed (flagged), exactly zero."""

    missing: frozenset[str]
    suppressed: frozenset[str]
    zero: frozenset[str]
    suppressed_declared: bool


@dataclass(frozen=True)
class Numbers:
    """How numbers are written in the file: decimal sign, thousands separator (None = none allowed)."""

    decimal: str
    thousands: str | None
    declared: bool
    """True when ``decimal`` or ``thousands`` is in the mapping (else "2.155" is ambiguous and refused)."""


@dataclass
class Context:
    """The mapping being read, where it came from, and the data file: builds errors that name the place."""

    spec: dict
    yaml_path: Path | None = None
    file: Path | None = None
    fmt: str = "csv"
    sheet: str | None = None
    letters: dict[str, str] = field(default_factory=dict)
    shared: Path | None = None
    warnings: list[str] = field(default_factory=list)
    _yaml_lines: list[str] | None = None

    # --- the mapping side -------------------------------------------------------------------------------------
    def yaml_line(self, key: str | None) -> int | None:
        """1-based line of ``key`` ("id.column", "aggregates[1].match") in the YAML file, if found."""
        if not key or self.yaml_path is None:
            return None
        if self._yaml_lines is None:
            try:
                self._yaml_lines = self.yaml_path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self._yaml_lines = []
        parts = [re.sub(r"\[\d+\]$", "", p) for p in key.split(".") if p]
        lines = self._yaml_lines
        found = None
        for i, text in enumerate(lines):
            if re.match(rf"{re.escape(parts[0])}\s*:", text) or re.match(
                rf"['\"]{re.escape(parts[0])}['\"]\s*:", text
            ):
                found = i
                break
        if found is None:
            return None
        for part in parts[1:]:
            pat = re.compile(rf"(^|[\s{{,\-])['\"]?{re.escape(part)}['\"]?\s*:")
            for j in range(found, len(lines)):
                if j > found and lines[j][:1] not in (" ", "\t", "-", ""):
                    break  # next top-level key
                if pat.search(lines[j]):
                    found = j
                    break
        return found + 1

    def where_key(self, key: str) -> str:
        """ "Mapping y.yaml, Zeile n: Schlüssel 'x'" for hints (the line when the key is already there)."""
        line = self.yaml_line(key)
        if self.yaml_path is not None and line:
            return f"Mapping {self.yaml_path.name}, Zeile {line}: Schlüssel '{key}'"
        if self.yaml_path is not None:
            return f"Mapping {self.yaml_path.name}: Schlüssel '{key}'"
        return f"Mapping: Schlüssel '{key}'"

    def config_error(self, message: str, key: str | None, hint: str | None = None) -> ConfigError:
        """A :class:`ConfigError` on ``key``: the YAML file (else the data file), ``where`` = the key."""
        line = self.yaml_line(key)
        if line:
            message = f"{message} (Zeile {line})"
        return ConfigError(message, path=self.yaml_path or self.file, where=key, hint=hint)

    # --- the data side ----------------------------------------------------------------------------------------
    def place(self, line: int | None, column: str | None = None) -> str | None:
        """How a cell is named: "Zeile 7, Spalte n"; in workbooks the sheet and the column letter too."""
        if line is None and column is None:
            return None
        unit = "Objekt" if self.fmt == "geo" else "Zeile"
        parts = []
        if self.fmt == "xlsx" and self.sheet is not None:
            parts.append(f"Blatt '{self.sheet}'")
        if line is not None:
            parts.append(f"{unit} {line}")
        if column is not None:
            letter = self.letters.get(column)
            parts.append(f"Spalte {column} ({letter})" if letter else f"Spalte {column}")
        return ", ".join(parts)

    def data_error(
        self,
        message: str,
        line: int | None = None,
        column: str | None = None,
        hint: str | None = None,
        key: str | None = None,
    ) -> DataValidationError:
        """A :class:`DataValidationError` naming the data file, the line and column; ``key`` is added to the hint."""
        if key and not hint:
            hint = f"{self.where_key(key)} anpassen"
        elif key and (self.yaml_path is not None or key.split(".")[0] not in hint):
            hint = f"{hint} ({self.where_key(key)})"
        return DataValidationError(message, path=self.file, where=self.place(line, column), hint=hint)


def detect_format(ctx: Context, file: Path) -> str:
    """The declared ``format`` or the one of the file's suffix; a contradiction is refused."""
    suffix = file.suffix.lower()
    by_suffix = "geo" if suffix in _GEO_SUFFIXES else "xlsx" if suffix in _XLSX_SUFFIXES else None
    if suffix == ".xls":
        raise ctx.config_error(
            "altes Excel-Format .xls wird nicht gelesen", "file", "Datei in Excel als .xlsx speichern"
        )
    declared = ctx.spec.get("format")
    if declared is None:
        return by_suffix or "csv"
    if declared not in FORMATS:
        raise ctx.config_error(f"Format {declared!r} unbekannt", "format", f"erlaubt: {', '.join(FORMATS)}")
    if by_suffix and by_suffix != declared or (declared != "csv" and by_suffix is None and suffix == ".csv"):
        raise ctx.config_error(
            f"format: {declared} passt nicht zur Datei {file.name}",
            "format",
            f"format: {by_suffix or 'csv'} setzen (oder den Schlüssel weglassen)",
        )
    return declared


def check_keys(ctx: Context) -> None:
    """Refuse unknown keys (anywhere) and keys that do not apply to the format."""
    spec = ctx.spec
    unknown = set(spec) - KNOWN_KEYS
    if unknown:
        raise ctx.config_error(
            f"unbekannte Schlüssel {sorted(unknown)}", None, f"erlaubt: {', '.join(sorted(KNOWN_KEYS))}"
        )
    for key in spec:
        if ctx.fmt not in KEYS[key]:
            raise ctx.config_error(
                f"Schlüssel '{key}' gilt nicht für format: {ctx.fmt}",
                key,
                f"Schlüssel entfernen (gilt für: {', '.join(sorted(KEYS[key]))})",
            )


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str | int | float) for v in value)


def _regex(ctx: Context, pattern: object, key: str) -> re.Pattern:
    if not isinstance(pattern, str):
        raise ctx.config_error("regulärer Ausdruck (Text) erwartet", key)
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ctx.config_error(f"regulärer Ausdruck {pattern!r} ungültig ({exc})", key) from None


def _sub_keys(ctx: Context, value: object, allowed: frozenset[str], key: str) -> dict:
    if not isinstance(value, dict):
        raise ctx.config_error(f"{key} muss eine Zuordnung (Schlüssel: Wert) sein", key)
    unknown = set(value) - allowed
    if unknown:
        raise ctx.config_error(
            f"unbekannte Schlüssel in {key}: {sorted(map(str, unknown))}",
            key,
            f"erlaubt: {', '.join(sorted(allowed))}",
        )
    return value


def check_spec(ctx: Context) -> None:
    """Check every key's value before any data are read (shape, allowed values, contradictions)."""
    spec = ctx.spec
    check_keys(ctx)
    enc = spec.get("encoding")
    if enc is not None and enc not in ENCODINGS:
        raise ctx.config_error(
            f"Kodierung {enc!r} nicht unterstützt",
            "encoding",
            f"erlaubt: {', '.join(ENCODINGS)} (oder weglassen: wird erkannt)",
        )
    sep = spec.get("sep", ",")
    if not isinstance(sep, str) or len(sep) != 1 or sep in ('"', "\n", "\r"):
        raise ctx.config_error(
            f"Trennzeichen {sep!r} ungültig", "sep", 'genau ein Zeichen, z. B. ";", "," oder "\\t"'
        )
    if spec.get("trailing_separator") not in (None, True, False):
        raise ctx.config_error("trailing_separator muss true oder false sein", "trailing_separator")
    for key in ("rename", "types"):
        if key in spec and not isinstance(spec[key], dict):
            raise ctx.config_error(f"{key} muss eine Zuordnung sein", key)
    for col, typ in (spec.get("types") or {}).items():
        if typ not in TYPES:
            raise ctx.config_error(f"Typ {typ!r} unbekannt", f"types.{col}", f"erlaubt: {', '.join(TYPES)}")
    for key in ("skip_rows", "footer_rows"):
        if key in spec and (not isinstance(spec[key], int) or isinstance(spec[key], bool) or spec[key] < 0):
            raise ctx.config_error(f"{key} muss eine ganze Zahl ≥ 0 sein", key)
    header = spec.get("header", True)
    if header not in (True, False):
        raise ctx.config_error("header muss true oder false sein", "header")
    if "header_rows" in spec:
        n = spec["header_rows"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ctx.config_error("header_rows muss eine ganze Zahl ≥ 1 sein", "header_rows")
        if not header:
            raise ctx.config_error("header: false und header_rows widersprechen sich", "header_rows")
    names = spec.get("names")
    if names is not None and not (_is_str_list(names) and names):
        raise ctx.config_error("names muss eine Liste von Spaltennamen sein", "names")
    if not header and not names:
        raise ctx.config_error("Tabelle ohne Kopfzeile braucht 'names'", "names")
    if "sheet" in spec and not isinstance(spec["sheet"], str | int):
        raise ctx.config_error("sheet: Name des Blatts oder Nummer (1 = erstes Blatt)", "sheet")
    for key in ("columns", "row_keys"):
        if key in spec and not (_is_str_list(spec[key]) and spec[key]):
            raise ctx.config_error(f"{key} muss eine Liste von Spaltennamen sein", key)
    _check_id(ctx)
    _check_rules(ctx)
    _check_layout(ctx)
    _check_crosswalk(ctx)


def _check_id(ctx: Context) -> None:
    spec = ctx.spec
    idspec = spec.get("id")
    join_by = spec.get("join_by", "id")
    if join_by not in JOIN_BY:
        raise ctx.config_error(f"join_by: {join_by!r} unbekannt", "join_by", "erlaubt: id, name")
    if idspec is None:
        for key in ("join_by", "key_table", "crosswalk"):
            if key in spec:
                raise ctx.config_error(f"{key} braucht 'id' (Spalte mit den Gebietsschlüsseln/-namen)", "id")
        return
    _sub_keys(ctx, idspec, ID_KEYS, "id")
    if not isinstance(idspec.get("column"), str):
        raise ctx.config_error("id.column fehlt (Spalte mit den Gebietsschlüsseln)", "id.column")
    if "width" in idspec and (not isinstance(idspec["width"], int) or idspec["width"] < 1):
        raise ctx.config_error("id.width muss eine ganze Zahl ≥ 1 sein", "id.width")
    parent = idspec.get("parent")
    if parent is not None and (
        not isinstance(parent, dict)
        or set(parent) != {"name", "width"}
        or not isinstance(parent["name"], str)
        or isinstance(parent["width"], bool)
        or not isinstance(parent["width"], int)
        or parent["width"] < 1
    ):
        raise ctx.config_error(
            "id.parent braucht name (neue Spalte) und width (Zahl der ersten Stellen des Schlüssels)",
            "id.parent",
            "z. B. parent: {name: district_id, width: 2} – „01100101“ gehört zum Bezirk „01“",
        )
    if join_by == "name":
        for key in ("split_name", "strip_prefix", "width"):
            if key in idspec:
                raise ctx.config_error(
                    f"id.{key} gilt nur für Schlüssel, nicht für join_by: name",
                    f"id.{key}",
                    "Schlüssel entfernen",
                )
        if "key_table" not in spec:
            raise ctx.config_error(
                "join_by: name braucht key_table (Schlüsseltabelle mit Nummer und Name je Gebiet)",
                "key_table",
            )
        names = idspec.get("names", {})
        if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
            raise ctx.config_error(
                "id.names: Zuordnung 'Name in der Datei: Name in der Schlüsseltabelle'", "id.names"
            )
        kt = _sub_keys(ctx, spec["key_table"], KEY_TABLE_KEYS | KNOWN_KEYS - {"id"}, "key_table")
        for key in ("id", "name"):
            if not isinstance(kt.get(key), str):
                raise ctx.config_error(
                    f"key_table.{key}: Spalte der Schlüsseltabelle fehlt", f"key_table.{key}"
                )
        if "mapping" not in kt and "file" not in kt:
            raise ctx.config_error("key_table braucht 'mapping' (YAML) oder 'file' (CSV/XLSX)", "key_table")
    else:
        for key in ("key_table",):
            if key in spec:
                raise ctx.config_error(
                    f"{key} gilt nur für join_by: name", key, "join_by: name setzen oder Schlüssel entfernen"
                )
        if "names" in idspec:
            raise ctx.config_error("id.names gilt nur für join_by: name", "id.names")


def _check_rules(ctx: Context) -> None:
    spec = ctx.spec
    for key, allowed, choices in (
        ("filter", FILTER_KEYS, ("keep", "drop", "keep_match", "drop_match")),
        ("aggregates", AGGREGATE_KEYS, ("match", "values")),
    ):
        rules = spec.get(key)
        if rules is None:
            continue
        if not isinstance(rules, list) or not rules:
            raise ctx.config_error(f"{key} muss eine Liste von Regeln sein", key)
        for i, rule in enumerate(rules):
            where = f"{key}[{i}]"
            _sub_keys(ctx, rule, allowed, where)
            given = [c for c in choices if c in rule]
            if len(given) != 1:
                raise ctx.config_error(f"{where}: genau einer von {', '.join(choices)} nötig", where)
            if given[0].endswith("match"):
                _regex(ctx, rule[given[0]], f"{where}.{given[0]}")
            elif not _is_str_list(rule[given[0]]):
                raise ctx.config_error(
                    f"{where}.{given[0]} muss eine Liste von Werten sein", f"{where}.{given[0]}"
                )
            if key == "filter" and not isinstance(rule.get("column"), str):
                raise ctx.config_error(f"{where}.column fehlt", f"{where}.column")
            if key == "aggregates" and rule.get("level") not in TOTAL_LEVELS:
                raise ctx.config_error(
                    f"{where}.level {rule.get('level')!r} unbekannt",
                    f"{where}.level",
                    f"erlaubt: {', '.join(TOTAL_LEVELS)}",
                )
            if key == "aggregates" and "column" not in rule and "id" not in spec:
                raise ctx.config_error(
                    f"{where}.column fehlt (ohne 'id' gibt es keine Vorgabe)", f"{where}.column"
                )


def _check_layout(ctx: Context) -> None:
    spec = ctx.spec
    layout = spec.get("layout", "wide")
    if layout not in LAYOUTS:
        raise ctx.config_error(f"layout: {layout!r} unbekannt", "layout", "erlaubt: wide, long")
    if layout == "long" and "melt" in spec:
        raise ctx.config_error("melt gilt nur für layout: wide (die Tabelle ist schon lang)", "melt")
    if layout == "long" and "row_keys" not in spec:
        raise ctx.config_error(
            "layout: long braucht row_keys (Spalten, die je Zeile eindeutig sind, z. B. [area_id, year])",
            "row_keys",
        )
    if "melt" in spec:
        melt = _sub_keys(ctx, spec["melt"], MELT_KEYS, "melt")
        rx = _regex(ctx, melt.get("pattern"), "melt.pattern")
        if rx.groups < 1:
            raise ctx.config_error(
                "melt.pattern braucht eine Gruppe (…) für das Jahr",
                "melt.pattern",
                r'z. B. "Einwohner (\d{4}) insgesamt"',
            )
        if not isinstance(melt.get("value"), str):
            raise ctx.config_error("melt.value fehlt (Name der Wertspalte)", "melt.value")
        if "id_columns" in melt and not _is_str_list(melt["id_columns"]):
            raise ctx.config_error("melt.id_columns muss eine Liste von Spaltennamen sein", "melt.id_columns")


def _check_crosswalk(ctx: Context) -> None:
    cw = ctx.spec.get("crosswalk")
    if cw is None:
        return
    if not isinstance(cw, dict) or not cw:
        raise ctx.config_error("crosswalk muss eine Zuordnung sein", "crosswalk")
    if "file" in cw:
        _sub_keys(ctx, cw, CROSSWALK_FILE_KEYS, "crosswalk")
        for key in ("from", "to"):
            if not isinstance(cw.get(key), str):
                raise ctx.config_error(f"crosswalk.{key}: Spaltenname fehlt", f"crosswalk.{key}")
        return
    for published, members in cw.items():
        if not _is_str_list(members) or len(members) < 2:
            raise ctx.config_error(
                f"crosswalk: '{published}' braucht eine Liste von mindestens zwei Schlüsseln",
                f"crosswalk.{published}",
                'z. B. "Weiche-Sandberg": ["07", "08"]; ein einzelnes Gebiet gehört nicht in crosswalk',
            )


def codes_of(ctx: Context) -> Codes:
    """The declared codes (``missing``, ``suppressed``, ``zero``) with defaults; overlaps are refused."""
    spec = ctx.spec
    lists = {}
    for key in ("missing", "suppressed", "zero"):
        value = spec.get(key, [])
        if not isinstance(value, list) or not _is_str_list(value):
            raise ctx.config_error(f"{key} muss eine Liste von Zeichen/Werten sein", key)
        lists[key] = {text_code(v) for v in value}
    declared = "suppressed" in spec
    suppressed = (
        lists["suppressed"] if declared else set(DEFAULT_SUPPRESSED) - lists["zero"] - lists["missing"]
    )
    missing = lists["missing"] | {""}
    for a, b in (("missing", "suppressed"), ("missing", "zero"), ("suppressed", "zero")):
        both = sorted((missing if a == "missing" else lists[a]) & lists[b] - {""})
        if both:
            raise ctx.config_error(
                f"{both} steht in {a} und in {b}", b, "jedes Zeichen nur einer Bedeutung zuordnen"
            )
    if "" in lists["suppressed"] or "" in lists["zero"]:
        raise ctx.config_error(
            "leere Zellen bedeuten immer 'kein Wert'", "suppressed" if "" in lists["suppressed"] else "zero"
        )
    return Codes(frozenset(missing), frozenset(suppressed), frozenset(lists["zero"]), declared)


def numbers_of(ctx: Context) -> Numbers:
    """The declared number format; ambiguous declarations are refused."""
    spec = ctx.spec
    decimal = spec.get("decimal", ".")
    if decimal not in DECIMALS:
        raise ctx.config_error(f"decimal: {decimal!r} ungültig", "decimal", 'decimal: "," oder decimal: "."')
    if "thousands" in spec:
        thousands = spec["thousands"] or None
        if thousands is not None and thousands not in THOUSANDS:
            raise ctx.config_error(
                f"thousands: {thousands!r} ungültig",
                "thousands",
                'z. B. thousands: "." (1.234) oder null (kein Trenner)',
            )
    else:
        thousands = "." if decimal == "," else None
    if thousands == decimal:
        key = "thousands" if "decimal" in spec else "decimal"
        raise ctx.config_error(
            f"Dezimal- und Tausendertrennzeichen sind beide {decimal!r} – mehrdeutig",
            key,
            'deutsch: decimal: "," und thousands: "."; englisch: decimal: "." und thousands: ","',
        )
    return Numbers(decimal, thousands, "decimal" in spec or "thousands" in spec)


def describe_keys() -> list[str]:
    """All mapping keys (top level and nested) as dotted names, e.g. for the reference documentation test."""
    out = sorted(KNOWN_KEYS)
    out += [f"id.{k}" for k in sorted(ID_KEYS)]
    out += [f"melt.{k}" for k in sorted(MELT_KEYS)]
    out += [f"aggregates.{k}" for k in sorted(AGGREGATE_KEYS)]
    out += [f"filter.{k}" for k in sorted(FILTER_KEYS)]
    out += [f"key_table.{k}" for k in sorted(KEY_TABLE_KEYS)]
    out += [f"crosswalk.{k}" for k in sorted(CROSSWALK_FILE_KEYS)]
    return out


def as_list(value: Any) -> list[str]:
    """A YAML list of codes/values as text."""
    return [text_code(v) for v in value]
