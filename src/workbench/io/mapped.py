"""Read real published tables through a small YAML mapping, and join tables on ids with a report.

A mapping (dict or YAML file) describes one file::

    file: ${SHARED}/flensburg-sozialatlas-2022/tab_6_kinder_und_jugd_bis_18.csv   # or relative to the YAML
    format: csv            # csv (default) or geo (shapefile, GeoJSON, GeoPackage via pyogrio; key `layer`)
    sep: ","               # field separator
    encoding: utf-8        # utf-8, utf-8-sig (BOM) or cp1252
    header: true           # false = headerless; then `names` gives the column names
    names: [stadtteil, u18_2011, …]
    skip_rows: 0           # lines to skip before the header / first data line
    decimal: ","           # decimal sign of numbers in the file
    thousands: "."         # thousands separator (or null)
    missing: ["-9999", ""] # codes meaning "no value"
    suppressed: ["–", "*"] # codes meaning "suppressed for confidentiality" (value NaN, flagged)
    rename: {PLR-ID: plr_id}
    id:                    # the area id column (after renaming)
      column: stadtteil
      split_name: stadtteil_name   # "01 Altstadt" → id "01", name "Altstadt"
      strip_prefix: STGT           # "STGT01" → "01"
      width: 2                     # zero-pad to this width
      name: area_id                # final name of the id column (default: unchanged)
      unique: true
    types: {u18_2011: int, anteil: percent, name: str}   # int, float, percent, str; others: auto
    columns: [area_id, …]  # keep only these (after renaming), in this order

``${SHARED}`` is the shared data folder (argument ``shared`` or ``$WORKBENCH_SHARED_DATA``, else
``../shared/data`` beside the project). Values are read as text and parsed here, so every problem names the
file, the line and the column. Percent strings ("53,40%", "45%", "23") become numbers in percent (53.4).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import ConfigError, DataValidationError
from workbench.io.raw import parse_number as parse_number
from workbench.io.raw import refuse_first
from workbench.settings import project_root, read_yaml

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
TYPES = ("int", "float", "percent", "str", "auto")
KNOWN_KEYS = {
    "file", "format", "layer", "sep", "encoding", "header", "names", "skip_rows", "decimal", "thousands",
    "missing", "suppressed", "rename", "id", "types", "columns", "description", "source",
}  # fmt: skip
_PLACE = "Zeile {line}, Spalte {column}"
"""How errors name a cell of a mapped table (line in the file, column name)."""


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


def resolve_file(spec: dict, yaml_path: Path | None, shared: Path | None = None) -> Path:
    """The data file of a mapping: ``${SHARED}`` expanded, relative paths relative to the YAML."""
    if "file" not in spec:
        raise ConfigError("Schlüssel 'file' fehlt", path=yaml_path, where="file")
    text = str(spec["file"]).replace("${SHARED}", str(shared or default_shared_dir()))
    path = Path(text)
    if not path.is_absolute():
        path = (yaml_path.parent if yaml_path else Path.cwd()) / path
    if not path.exists():
        raise DataValidationError(
            "Datei nicht gefunden", path=path, hint="Pfad im Mapping (file) bzw. den Datenordner prüfen"
        )
    return path


@dataclass
class Table:
    """A read table: ``data`` (DataFrame or GeoDataFrame), ``suppressed`` (bool mask, same shape) and the file."""

    data: pd.DataFrame
    suppressed: pd.DataFrame
    path: Path
    warnings: list[str] = field(default_factory=list)


def _check_keys(spec: dict, path: object) -> None:
    unknown = set(spec) - KNOWN_KEYS
    if unknown:
        raise ConfigError(
            f"unbekannte Schlüssel {sorted(unknown)}", path=path, hint=f"erlaubt: {sorted(KNOWN_KEYS)}"
        )
    enc = spec.get("encoding", "utf-8")
    if enc not in ENCODINGS:
        raise ConfigError(
            f"Kodierung {enc!r} nicht unterstützt", path=path, where="encoding", hint=f"{ENCODINGS}"
        )
    for key in ("rename", "types", "id"):
        if key in spec and not isinstance(spec[key], dict):
            raise ConfigError(f"{key} muss eine Zuordnung sein", path=path, where=key)
    for col, typ in (spec.get("types") or {}).items():
        if typ not in TYPES:
            raise ConfigError(f"Typ {typ!r} unbekannt", path=path, where=f"types.{col}", hint=f"{TYPES}")


def _read_raw(spec: dict, file: Path) -> tuple[pd.DataFrame, int]:
    """All cells as stripped text; returns (frame, line number of the first data row, 1-based)."""
    enc = spec.get("encoding", "utf-8")
    header = spec.get("header", True)
    skip = int(spec.get("skip_rows", 0) or 0)
    names = spec.get("names")
    if not header and not names:
        raise ConfigError("Tabelle ohne Kopfzeile braucht 'names'", path=file, where="names")
    try:
        raw = pd.read_csv(
            file,
            sep=spec.get("sep", ","),
            encoding=enc,
            header=0 if header else None,
            names=None if header else names,
            skiprows=skip,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=False,
        )
    except UnicodeDecodeError as exc:
        other = "cp1252" if enc.startswith("utf") else "utf-8"
        raise DataValidationError(
            f"Datei ist nicht in {enc} kodiert (Byte {exc.start})",
            path=file,
            hint=f"encoding: {other} versuchen",
        ) from exc
    except pd.errors.ParserError as exc:
        raise DataValidationError(
            f"Datei nicht lesbar: {exc}", path=file, hint="Trennzeichen (sep), skip_rows und Kopfzeile prüfen"
        ) from exc
    raw.columns = [str(c).lstrip("\ufeff").strip() for c in raw.columns]
    if header and names:
        if len(names) != raw.shape[1]:
            raise ConfigError(f"{len(names)} Namen für {raw.shape[1]} Spalten", path=file, where="names")
        raw.columns = list(names)
    if not header and raw.shape[1] != len(names):
        raise DataValidationError(
            f"{raw.shape[1]} Spalten, aber {len(names)} Namen", path=file, where="names"
        )
    raw = raw.apply(lambda s: s.str.strip())
    return raw, skip + (2 if header else 1)


def _read_geo(spec: dict, file: Path) -> pd.DataFrame:
    import geopandas as gpd

    try:
        gdf = gpd.read_file(file, layer=spec.get("layer"), engine="pyogrio")
    except Exception as exc:  # pyogrio raises its own error types
        raise DataValidationError(
            f"Geodatei nicht lesbar: {exc}", path=file, hint="Format/Layer prüfen"
        ) from exc
    for col in gdf.columns:
        if col != gdf.geometry.name and gdf[col].dtype == object:
            gdf[col] = gdf[col].astype("string").str.strip().astype(object)
    return gdf


def _convert(
    raw: pd.Series, typ: str, spec: dict, file: Path, first_line: int
) -> tuple[pd.Series, pd.Series]:
    """Parse one text column to ``typ``; returns (values, suppressed mask)."""
    missing = {str(m) for m in spec.get("missing", [""])} | {""}
    suppressed_codes = {str(m) for m in spec.get("suppressed", [])}
    text = raw.astype("string")
    is_supp = text.isin(suppressed_codes).fillna(False).astype(bool)
    is_missing = (text.isin(missing) | text.isna()).fillna(True).astype(bool) | is_supp
    if typ == "str":
        return raw.where(~is_missing, None).astype(object), is_supp
    decimal = spec.get("decimal", ".")
    thousands = spec.get("thousands")
    values = np.full(len(raw), np.nan)
    for i, (cell, miss) in enumerate(zip(text.tolist(), is_missing.tolist(), strict=True)):
        if miss:
            continue
        try:
            values[i] = parse_number(cell, decimal, thousands, percent=(typ in ("percent", "auto")))
        except ValueError:
            if typ == "auto":  # not numeric: keep the text
                return raw.where(~is_missing, None).astype(object), is_supp
            raise DataValidationError(
                f"Wert {cell!r} ist keine Zahl ({typ})",
                path=file,
                where=f"Zeile {first_line + i}, Spalte {raw.name}",
                hint="Wert korrigieren oder als Fehl-/Sperrcode (missing/suppressed) ins Mapping aufnehmen",
            ) from None
    series = pd.Series(values, index=raw.index, name=raw.name)
    if typ == "auto" and raw[~is_missing].str.fullmatch(r"0\d+").any():
        return raw.where(~is_missing, None).astype(object), is_supp  # codes with leading zeros stay text
    if typ == "int":
        refuse_first(
            (series != series.round()) & series.notna(),
            text,
            "Wert {value!r} ist keine ganze Zahl",
            path=file,
            column=raw.name,
            hint="Wert prüfen (OCR-Fehler?) oder Typ float wählen",
            row_offset=first_line,
            place=_PLACE,
        )
        series = series.astype("Int64")
    elif typ == "auto":
        ok = series.dropna()
        if len(ok) and (ok == ok.round()).all() and not raw[~is_missing].str.contains(r"[.,%]").any():
            series = series.astype("Int64")
    return series, is_supp


def _apply_id(df: pd.DataFrame, idspec: dict, file: Path, first_line: int) -> pd.DataFrame:
    col = idspec.get("column")
    if col not in df.columns:
        raise ConfigError(
            f"ID-Spalte {col!r} fehlt", path=file, where="id.column", hint=f"{list(df.columns)}"
        )
    ids = df[col].astype("string").str.strip()
    if idspec.get("split_name"):
        parts = ids.str.extract(r"^\s*(\S+)\s+(.*\S)\s*$")
        refuse_first(
            parts[0].isna() & ids.notna(),
            ids,
            "{value!r} hat nicht die Form 'Nummer Name'",
            path=file,
            column=col,
            row_offset=first_line,
            place=_PLACE,
        )
        df[idspec["split_name"]] = parts[1].astype(object)
        ids = parts[0]
    prefix = idspec.get("strip_prefix")
    if prefix:
        ids = ids.str.removeprefix(prefix)
    width = idspec.get("width")
    if width:
        ids = ids.str.zfill(int(width))
    name = idspec.get("name", col)
    df[col] = ids.astype(object)
    if name != col:
        df = df.rename(columns={col: name})
    if idspec.get("unique", True) and df[name].duplicated().any():
        dup = df[name][df[name].duplicated()].iloc[0]
        i = int(np.flatnonzero((df[name] == dup).to_numpy())[-1])
        raise DataValidationError(
            f"ID {dup!r} kommt mehrfach vor", path=file, where=f"Zeile {first_line + i}, Spalte {col}"
        )
    return df


def read_table_full(mapping: dict | str | Path, shared: str | Path | None = None) -> Table:
    """Read a table as :class:`Table` (data + suppressed mask); see the module docstring for the mapping."""
    spec, yaml_path = load_mapping(mapping)
    _check_keys(spec, yaml_path)
    file = resolve_file(spec, yaml_path, Path(shared) if shared else None)
    geo = spec.get("format", "csv") == "geo" or file.suffix.lower() in (".shp", ".geojson", ".gpkg", ".json")
    if geo:
        df = _read_geo(spec, file)
        first_line = 1
    else:
        df, first_line = _read_raw(spec, file)
    rename = spec.get("rename") or {}
    absent = [c for c in rename if c not in df.columns]
    if absent:
        raise ConfigError(
            f"Spalten zum Umbenennen fehlen: {absent}", path=file, where="rename", hint=f"{list(df.columns)}"
        )
    df = df.rename(columns=rename)
    suppressed = pd.DataFrame(False, index=df.index, columns=df.columns)
    types = spec.get("types") or {}
    unknown = [c for c in types if c not in df.columns]
    if unknown:
        raise ConfigError(f"Spalten in types fehlen: {unknown}", path=file, where="types")
    idcol = (spec.get("id") or {}).get("column")
    if not geo:
        for col in df.columns:
            typ = types.get(col, "str" if col == idcol else "auto")
            df[col], suppressed[col] = _convert(df[col], typ, spec, file, first_line)
    if spec.get("id"):
        df = _apply_id(df, spec["id"], file, first_line)
        suppressed = suppressed.rename(columns={idcol: spec["id"].get("name", idcol)})
        for extra in [c for c in df.columns if c not in suppressed.columns]:
            suppressed[extra] = False
    if spec.get("columns"):
        keep = list(spec["columns"])
        absent = [c for c in keep if c not in df.columns]
        if absent:
            raise ConfigError(
                f"Spalten fehlen: {absent}", path=file, where="columns", hint=f"{list(df.columns)}"
            )
        if geo and df.geometry.name not in keep:
            keep.append(df.geometry.name)
        df = df[keep]
        suppressed = suppressed.reindex(columns=keep, fill_value=False)
    return Table(data=df, suppressed=suppressed.astype(bool), path=file)


def read_table(mapping: dict | str | Path, shared: str | Path | None = None) -> pd.DataFrame:
    """Read a published table through a mapping (dict or YAML path) into a DataFrame (GeoDataFrame for geo).

    Suppressed cells are NaN like missing ones; which cells were suppressed is kept in
    ``df.attrs["suppressed"]`` = {column: [row positions]} (use :func:`read_table_full` for the full mask).
    """
    table = read_table_full(mapping, shared)
    df = table.data
    df.attrs["suppressed"] = {
        c: np.flatnonzero(table.suppressed[c].to_numpy()).tolist()
        for c in table.suppressed.columns
        if table.suppressed[c].any()
    }
    df.attrs["source"] = str(table.path)
    return df


@dataclass
class JoinReport:
    """Outcome of :func:`join_report`: matched count and ids found on only one side (sorted)."""

    matched: int
    left_only: list[str]
    right_only: list[str]
    left_duplicates: list[str] = field(default_factory=list)
    right_duplicates: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when every id matched on both sides and no id is duplicated."""
        return not (self.left_only or self.right_only or self.left_duplicates or self.right_duplicates)

    def __str__(self) -> str:
        text = f"{self.matched} Gebiete verknüpft"
        if self.left_only:
            text += f"; nur links ({len(self.left_only)}): {', '.join(self.left_only[:10])}"
        if self.right_only:
            text += f"; nur rechts ({len(self.right_only)}): {', '.join(self.right_only[:10])}"
        if self.left_duplicates or self.right_duplicates:
            text += f"; doppelte IDs: {self.left_duplicates + self.right_duplicates}"
        return text


def _ids(df: pd.DataFrame, col: str, side: str) -> pd.Series:
    if col in df.columns:
        return df[col].astype("string")
    if df.index.name == col:
        return pd.Series(df.index, index=df.index).astype("string")
    raise ConfigError(f"Join-Spalte {col!r} fehlt ({side})", where="on", hint=f"{list(df.columns)}")


def join_report(
    left: pd.DataFrame, right: pd.DataFrame, on: str | tuple[str, str], how: str = "inner"
) -> tuple[pd.DataFrame, JoinReport]:
    """Join two tables on area ids (never on names) and report ids without partner on either side.

    ``on`` is a column (or index) name present in both, or a pair (left column, right column). Ids are
    compared as strings, so read them with leading zeros. ``how`` as in :func:`pandas.merge`; a GeoDataFrame
    on the left stays one.
    """
    lcol, rcol = (on, on) if isinstance(on, str) else on
    lids, rids = _ids(left, lcol, "links"), _ids(right, rcol, "rechts")
    lset, rset = set(lids.dropna()), set(rids.dropna())
    report = JoinReport(
        matched=len(lset & rset),
        left_only=sorted(lset - rset),
        right_only=sorted(rset - lset),
        left_duplicates=sorted(set(lids[lids.duplicated()].dropna())),
        right_duplicates=sorted(set(rids[rids.duplicated()].dropna())),
    )
    lt = left.reset_index() if lcol not in left.columns else left.copy()
    rt = right.reset_index() if rcol not in right.columns else right.copy()
    lt[lcol] = lids.to_numpy()
    rt[rcol] = rids.to_numpy()
    suffixes = ("", "_rechts")
    joined = lt.merge(rt, left_on=lcol, right_on=rcol, how=how, suffixes=suffixes)
    if rcol != lcol and rcol in joined.columns:
        joined = joined.drop(columns=rcol)
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
    }
