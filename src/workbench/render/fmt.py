"""German number, percentage and date formatting for report text and tables (1.234,5 · 12,3 %)."""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np

from workbench.vocabulary import SUPPRESSED_SIGN  # noqa: F401  (re-exported: the sign every table shows)

MISSING_SIGN = "–"
"""Sign shown for a value that is not available (no data, not computable)."""


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(np.isnan(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def number(value: float | int | None, decimals: int = 0) -> str:
    """Format a number the German way: dot as thousands separator, comma as decimal sign.

    ``number(1234.5, 1)`` → ``"1.234,5"``; missing values give ``"–"``.
    """
    if _is_missing(value):
        return MISSING_SIGN
    text = f"{float(value):,.{decimals}f}"
    text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    if text.startswith("-") and float(text.replace(".", "").replace(",", ".").lstrip("-") or 0) == 0:
        text = text[1:]
    return text


def percent(value: float | None, decimals: int = 1) -> str:
    """Format a value already in percent: ``percent(12.345)`` → ``"12,3 %"`` (narrow space before %)."""
    if _is_missing(value):
        return MISSING_SIGN
    return f"{number(value, decimals)}\u00a0%"


def signed(value: float | None, decimals: int = 1, unit: str = "") -> str:
    """Format a change with explicit sign: ``signed(2.5, 1, "Pp.")`` → ``"+2,5 Pp."``."""
    if _is_missing(value):
        return MISSING_SIGN
    text = number(value, decimals)
    if not text.startswith("-") and float(value) != 0:
        text = "+" + text
    return f"{text}\u00a0{unit}".rstrip() if unit else text


def date(value: _dt.date | str) -> str:
    """German date ``31.12.2024`` from a date or an ISO string."""
    if isinstance(value, str):
        value = _dt.date.fromisoformat(value)
    return value.strftime("%d.%m.%Y")


def reference_date(year: int) -> str:
    """The register's reference date for a year: ``31.12.<year>``."""
    return f"31.12.{int(year)}"


def count_word(n: int, singular: str, plural: str) -> str:
    """``count_word(1, "Sozialraum", "Sozialräumen")`` → ``"1 Sozialraum"``; numbers below 13 stay digits."""
    return f"{number(n)} {singular if n == 1 else plural}"


def is_finite(value: object) -> bool:
    """True for a real finite number (helper for templates)."""
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
