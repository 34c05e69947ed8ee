"""Low-level readers for raw municipal files: encoding detection, German numbers, suppression markers.

Everything here raises :class:`~workbench.errors.DataValidationError` naming the file, the row (as a line
number in the file, counting the header as line 1) or the column, and what to do.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import DataValidationError
from workbench.vocabulary import SUPPRESSION_MARKERS

_THOUSANDS_RE = re.compile(r"-?\d{1,3}(\.\d{3})+")
_MOJIBAKE = ("Ã¤", "Ã¶", "Ã¼", "ÃŸ", "Ã„", "Ã–", "Ãœ")
_MOJIBAKE_RE = re.compile(
    "[\u00c3\u00c2][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122]|\u00e2[\u20ac\u0080]"
)
"""UTF-8 bytes read as Windows-1252 or Latin-1: "Ã¼" for "ü", "ÃŸ" for "ß", "Â°" for "°", "â€“" for "–"."""


def sha256(path: Path) -> str:
    """SHA-256 hex digest of a file (recorded in the build provenance)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def decode(path: Path, expected: str = "utf-8") -> tuple[str, str]:
    """Read a text file and return ``(text, encoding_used)``.

    Accepts UTF-8 (with or without BOM) and cp1252, whichever the bytes are; a file that decodes only as
    cp1252 while UTF-8 was expected is accepted, as is the reverse. Text that shows UTF-8 read as cp1252
    ("Ã¤") or that decodes as neither (e.g. UTF-16) is refused.
    """
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        text, used = raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:2000]:
        raise DataValidationError(
            "Zeichenkodierung nicht lesbar (UTF-16 oder Binärdatei?)",
            path=path,
            hint="Datei als CSV in UTF-8 oder Windows-1252 (cp1252) speichern.",
        )
    else:
        try:
            text, used = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, used = raw.decode("cp1252"), "cp1252"
            except UnicodeDecodeError as exc:
                line = raw[: exc.start].count(b"\n") + 1
                raise DataValidationError(
                    f"Zeichenkodierung weder UTF-8 noch Windows-1252 (Byte {exc.start})",
                    path=path,
                    where=f"Zeile {line}",
                    hint="Datei als CSV in UTF-8 oder Windows-1252 (cp1252) speichern.",
                ) from exc
    for bad in _MOJIBAKE:
        pos = text.find(bad)
        if pos >= 0:
            line = text[:pos].count("\n") + 1
            raise DataValidationError(
                f"falsche Zeichenkodierung: '{bad}' statt Umlaut (UTF-8 wurde als Windows-1252 gespeichert)",
                path=path,
                where=f"Zeile {line}",
                hint="Datei aus der Quelle neu exportieren, ohne die Kodierung umzuwandeln.",
            )
    return text, used


def find_mojibake(text: str) -> int | None:
    """Position of the first sign of UTF-8 text decoded as Windows-1252/Latin-1 ("MÃ¼lheim"), else None.

    >>> find_mojibake("Mülheim"), find_mojibake("MÃ¼lheim"), find_mojibake("GroÃŸ")
    (None, 1, 3)
    """
    m = _MOJIBAKE_RE.search(text)
    return m.start() if m else None


def read_csv(
    path: Path, *, sep: str = ";", encoding: str = "utf-8", required: Iterable[str] = ()
) -> pd.DataFrame:
    """Read a delimited file with every column as text; check that the required columns are present."""
    if not path.exists():
        raise DataValidationError(
            "Datei fehlt",
            path=path,
            hint="Datei in den Rohdatenordner (data_raw der Berichtskonfiguration) kopieren oder `make data` prüfen.",
        )
    text, _ = decode(path, encoding)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataValidationError(
            f"nicht als CSV lesbar ({exc})", path=path, hint=f"Trennzeichen '{sep}' prüfen."
        ) from exc
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"Spalte(n) fehlen: {', '.join(missing)}; vorhanden: {', '.join(df.columns)}",
            path=path,
            hint=f"Spaltenköpfe wie in docs/DATA_CONTRACT.md benennen (Trennzeichen '{sep}').",
        )
    return df


def parse_number(text: str, decimal: str = ",", thousands: str | None = ".", percent: bool = False) -> float:
    """Parse one number written the German (or any configured) way; raises ``ValueError`` if it is none.

    >>> parse_number("1.374"), parse_number("53,40%", percent=True), parse_number("-0,5")
    (1374.0, 53.4, -0.5)
    """
    s = text.strip().replace("\u00a0", "").replace(" ", "")
    if percent and s.endswith("%"):
        s = s[:-1]
    if thousands:
        if (
            thousands == "."
            and decimal != "."
            and re.fullmatch(r"-?\d+\.\d+", s)
            and not re.fullmatch(r"-?\d{1,3}(\.\d{3})+", s)
        ):
            raise ValueError(f"{text!r}: Punkt ist hier kein Tausendertrennzeichen")
        s = s.replace(thousands, "")
    if decimal != ".":
        s = s.replace(decimal, ".")
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s):
        raise ValueError(text)
    return float(s)


def _raw_number(text: str) -> float:
    """One cell of a raw municipal file as a float, NaN when it is no number.

    Raw files mix both notations, so a comma or a thousands group ("1.374") means German notation and
    anything else is read with a decimal point ("12.5"); spaces inside a number are refused.
    """
    german = "," in text or _THOUSANDS_RE.fullmatch(text) is not None
    if " " in text:
        return math.nan
    try:
        return parse_number(text, ",", ".") if german else parse_number(text, ".", None)
    except ValueError:
        return math.nan


def refuse_first(
    bad: pd.Series,
    values: pd.Series,
    message: str,
    *,
    path: Path,
    column: str,
    hint: str | None = None,
    row_offset: int = 2,
    place: str = "Zeile {line}, Spalte '{column}'",
) -> None:
    """Raise for the first row where ``bad`` is True, if any; ``{value}`` in message is that row's value.

    ``row_offset`` is the file line of the first data row (header = line 1); ``place`` names the line and the
    column in the error.
    """
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataValidationError(
            message.format(value=values.iloc[pos]),
            path=path,
            where=place.format(line=pos + row_offset, column=column),
            hint=hint,
        )


def parse_numbers(
    values: pd.Series, *, path: Path, column: str, row_offset: int = 2, allow_suppressed: bool = True
) -> tuple[pd.Series, pd.Series]:
    """Parse German-formatted numbers ("1.374", "12,5", "53,40%") into floats.

    Returns ``(values, suppressed)``: suppression markers ("*", "–", ".", "x") give NaN with
    ``suppressed=True``; empty cells give NaN with ``suppressed=False``. Anything else that is not a number
    raises an error naming the line (``row_offset`` is the file line of the first data row).
    """
    text = values.astype(str).str.strip().str.replace("\u00a0", "", regex=False).str.rstrip("%").str.strip()
    suppressed = text.isin(SUPPRESSION_MARKERS)
    empty = text.eq("") | values.isna()
    cells = text[~(suppressed | empty)]
    parsed = {t: _raw_number(t) for t in cells.unique()}
    numeric = text.map(parsed).where(~(suppressed | empty)).astype("float64")
    refuse = partial(refuse_first, values=values, path=path, column=column, row_offset=row_offset)
    refuse(
        ~(suppressed | empty) & numeric.isna(),
        message="'{value}' ist keine Zahl",
        hint="Zahlen ohne Einheit eintragen (z. B. 1.234 oder 12,5); geheimgehaltene Werte als '*'.",
    )
    if not allow_suppressed:
        refuse(
            suppressed,
            message="Geheimhaltungszeichen in einer Spalte, die vollständig sein muss",
            hint="Vollständige (interne) Daten verwenden.",
        )
    return numeric.astype("float64"), suppressed


def check_counts(
    values: pd.Series, *, path: Path, column: str, row_offset: int = 2, integer: bool = True
) -> None:
    """Refuse negative or fractional counts, naming the first offending line."""
    refuse = partial(refuse_first, values=values, path=path, column=column, row_offset=row_offset)
    refuse(
        values < 0,
        message="negative Anzahl {value:g}",
        hint="Fallzahlen können nicht negativ sein; Quelldatei korrigieren.",
    )
    if integer:
        refuse(
            values.notna() & (values % 1 != 0),
            message="Anzahl {value:g} ist keine ganze Zahl",
            hint="Fallzahlen als ganze Zahlen liefern.",
        )


def check_keys(
    ids: pd.Series,
    known: Iterable[str],
    *,
    path: Path,
    column: str,
    row_offset: int = 2,
    what: str = "Sozialraum",
) -> None:
    """Refuse area keys that are not in the key table, naming the first lines and the unknown ids."""
    known = set(known)
    unknown = ~ids.isin(known)
    if unknown.any():
        rows = np.flatnonzero(unknown.to_numpy())
        sample = ", ".join(f"'{ids.iloc[i]}' (Zeile {i + row_offset})" for i in rows[:5])
        raise DataValidationError(
            f"{len(rows)} unbekannte {what}-Schlüssel: {sample}",
            path=path,
            where=f"Spalte '{column}'",
            hint="Schlüssel mit schluessel_gebiete.csv abgleichen (führende Nullen beachten: '0101', nicht '101').",
        )


def check_duplicates(df: pd.DataFrame, cols: list[str], *, path: Path, row_offset: int = 2) -> None:
    """Refuse duplicate key combinations, naming both lines."""
    dup = df.duplicated(cols, keep=False)
    if dup.any():
        rows = np.flatnonzero(dup.to_numpy())
        first = df.iloc[rows[0]][cols].tolist()
        twin = [int(r) for r in rows if df.iloc[r][cols].tolist() == first][:2]
        raise DataValidationError(
            f"doppelter Schlüssel {dict(zip(cols, first, strict=True))}",
            path=path,
            where=f"Zeilen {', '.join(str(r + row_offset) for r in twin)}",
            hint="Jede Kombination darf nur einmal vorkommen; doppelte Zeilen entfernen.",
        )


def deterministic_xlsx(data: bytes, stamp: str = "2000-01-01T00:00:00Z") -> bytes:
    """Re-pack an XLSX (a ZIP) so that the same workbook always gives the same bytes.

    Every entry gets the fixed date of ``stamp`` (ISO 8601, UTC) and fixed permissions, and the created/modified
    document properties in ``docProps/core.xml`` are set to ``stamp``; openpyxl would otherwise write the
    current time into both.
    """
    date_time = tuple(int(x) for x in re.findall(r"\d+", stamp)[:6])
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<3>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)  # type: ignore[arg-type]
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, content)
    return out.getvalue()


def atomic_write(path: Path, writer: Callable[[Path], None]) -> None:
    """Write via ``writer(tmp_path)`` into a temporary file beside ``path``, then rename it into place.

    A failure leaves the previous file untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        tmp_path.unlink()
        writer(tmp_path)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_text(path: Path, text: str) -> None:
    """Atomically write a UTF-8 text file."""
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
