"""Reading the visible text of a published cell: German numbers ("1.234", "12,5 %", "−3") and table signs."""

from __future__ import annotations

import re

from workbench.render import fmt

# Signs of German official statistics ("–" genau null / nichts vorhanden, "." geheim, "x" gesperrt, "/" zu
# unsicher, "…" noch nicht vorhanden) plus the signs the workbench used before them.
SIGNS = frozenset(
    {"–", "-", ".", "x", "X", "/", "…", "...", "*", "•", fmt.SUPPRESSED_SIGN} | set(getattr(fmt, "SIGNS", ()))
)
ZERO_OR_MISSING = frozenset({"–", "-"})
_SPACES = dict.fromkeys(map(ord, "\u00a0\u202f\u2009\u2007 "), None)
_UNITS = ("%", "Pp.", "‰", "€", "Prozentpunkte", "Pp")
_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?$")


def parse_number(text: str | None) -> tuple[float, int] | None:
    """Value and number of decimals of a visible German number, or None when the text is not one number.

    ``"1.234"`` → (1234.0, 0); ``"12,5 %"`` → (12.5, 1); ``"−3"`` → (-3.0, 0); ``"+2"`` → (2.0, 0).
    """
    if text is None:
        return None
    s = text.translate(_SPACES)
    for unit in _UNITS:
        if s.endswith(unit):
            s = s[: -len(unit)]
            break
    sign = 1.0
    if s[:1] in ("+", "-", "−", "–") and len(s) > 1:
        sign = -1.0 if s[0] != "+" else 1.0
        s = s[1:]
    m = _NUMBER.match(s)
    if not m:
        return None
    whole, frac = m.group(1).replace(".", ""), m.group(2) or ""
    return sign * float(f"{whole}.{frac}" if frac else whole), len(frac)


def is_sign(text: str | None) -> bool:
    """True for a table sign (suppressed, locked, missing) instead of a number."""
    return text is not None and text.strip() in SIGNS
