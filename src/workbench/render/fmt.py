"""German number, percentage and date formatting for report text and tables (1.234,5 · 12,3 %), and the signs.

Signs follow the Zeichenerklärung of German official statistics (Statistisches Bundesamt and the statistical
offices of the Länder). Each sign has a *role*; the report config may change sign and text per role
(``signs:``, validated by :func:`workbench.settings.sign_settings`); the defaults live here only:

======================  =====  ==========================================================================
role                    sign   meaning (German legend text)
======================  =====  ==========================================================================
``null``                –      nichts vorhanden (genau null) — a true 0, only where a 0 is shown as sign
``geheim``              .      Zahlenwert unbekannt oder geheim zu halten — withheld for confidentiality
``unbekannt``           .      Zahlenwert unbekannt oder geheim zu halten — not delivered / not known
``nicht_sinnvoll``      x      Tabellenfach gesperrt, weil Aussage nicht sinnvoll — not computable, no
                               interval by method
``unsicher``            /      keine Angaben, da Zahlenwert nicht sicher genug
``spaeter``             …      Angabe fällt später an
======================  =====  ==========================================================================

``SUPPRESSED_SIGN`` and ``MISSING_SIGN`` are read at access time (module ``__getattr__``) and give the sign of
the roles ``geheim`` and ``unbekannt`` in the report config in force.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping

import numpy as np

from workbench import settings
from workbench.errors import ConfigError

SIGN_DEFAULTS: Mapping[str, tuple[str, str]] = {
    "null": ("–", "nichts vorhanden (genau null)"),
    "geheim": (".", "Zahlenwert unbekannt oder geheim zu halten"),
    "unbekannt": (".", "Zahlenwert unbekannt oder geheim zu halten"),
    "nicht_sinnvoll": ("x", "Tabellenfach gesperrt, weil Aussage nicht sinnvoll"),
    "unsicher": ("/", "keine Angaben, da Zahlenwert nicht sicher genug"),
    "spaeter": ("…", "Angabe fällt später an"),
}
"""Role → (sign, German legend text): the Zeichenerklärung of official statistics (the one place of defaults)."""

if tuple(SIGN_DEFAULTS) != settings.SIGN_ROLES:  # pragma: no cover - guards the two lists against drifting
    raise RuntimeError("fmt.SIGN_DEFAULTS und settings.SIGN_ROLES nennen verschiedene Rollen")

SIGNS: frozenset[str] = frozenset(s for s, _ in SIGN_DEFAULTS.values())
"""Every default sign (for readers of published files; the signs in force: :func:`sign_table`)."""

SUPPRESSION_REASON = "geheim gehalten: Fallzahl unter 3 oder aus anderen Angaben rückrechenbar"
"""Why the workbench withholds a value (added to the legend entry of the ``geheim`` sign)."""


def sign_table(cfg: settings.ReportConfig | None = None) -> dict[str, tuple[str, str]]:
    """Role → (sign, text) in force: the defaults, overridden by the report config's ``signs:``."""
    table = dict(SIGN_DEFAULTS)
    try:
        overrides = (cfg or settings.active()).signs
    except ConfigError:  # no readable report config (e.g. a bare test environment): the official defaults
        overrides = {}
    for role, (sign_, text) in overrides.items():
        table[role] = (sign_ or table[role][0], text or table[role][1])
    for role in overrides:  # one sign, one meaning: "." may stand for geheim and unbekannt, "–" only for 0
        s, text = table[role]
        clash = [r for r, (s2, t2) in table.items() if r != role and s2 == s and t2 != text]
        if clash:
            raise ConfigError(
                f"Zeichen {s!r} ist schon für {', '.join(clash)} mit anderer Bedeutung vergeben",
                path=(cfg or settings.active()).source,
                where=f"signs.{role}",
                hint="jeder Rolle ein eigenes Zeichen geben oder denselben Text verwenden",
            )
    return table


def sign(role: str) -> str:
    """The sign in force for ``role`` (see module docstring): ``sign("geheim")`` → ``"."``."""
    if role not in SIGN_DEFAULTS:
        raise KeyError(f"unbekannte Zeichenrolle {role!r}; erlaubt: {', '.join(SIGN_DEFAULTS)}")
    return sign_table()[role][0]


def sign_role(text: object) -> str | None:
    """The role of a visible sign in force (``"x"`` → ``"nicht_sinnvoll"``); shared signs give the first role
    in :data:`SIGN_DEFAULTS` order (``"."`` → ``"geheim"``); None for anything else."""
    t = str(text).strip()
    for role, (s, _) in sign_table().items():
        if t == s:
            return role
    return None


def legend(roles: Iterable[str]) -> str:
    """German legend line for the sign roles used in a table, in the order of :data:`SIGN_DEFAULTS`.

    Roles sharing a sign are explained once (``.`` for ``geheim`` and ``unbekannt``); the ``geheim`` entry
    adds why the workbench withholds. ``legend(["geheim"])`` →
    ``"Zeichenerklärung: . = Zahlenwert unbekannt oder geheim zu halten (geheim gehalten: …)"``; no roles → "".
    """
    used = set(roles)
    unknown = used - set(SIGN_DEFAULTS)
    if unknown:
        raise KeyError(f"unbekannte Zeichenrolle(n) {', '.join(sorted(unknown))}")
    table = sign_table()
    by_sign: dict[str, list[str]] = {}
    for role in SIGN_DEFAULTS:
        if role in used:
            by_sign.setdefault(table[role][0], []).append(role)
    parts = []
    for s, rs in by_sign.items():
        texts = list(dict.fromkeys(table[r][1] for r in rs))
        text = " bzw. ".join(texts)
        if "geheim" in rs:
            text += f" ({SUPPRESSION_REASON})"
        parts.append(f"{s} = {text}")
    return ("Zeichenerklärung: " + "; ".join(parts)) if parts else ""


def __getattr__(name: str) -> str:
    if name == "SUPPRESSED_SIGN":
        return sign("geheim")
    if name == "MISSING_SIGN":
        return sign("unbekannt")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(np.isnan(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def number(value: float | int | None, decimals: int = 0) -> str:
    """Format a number the German way: dot as thousands separator, comma as decimal sign.

    ``number(1234.5, 1)`` → ``"1.234,5"``; ``number(-3)`` → ``"−3"`` (minus sign U+2212, as in printed
    statistics); missing values give the sign of ``unbekannt`` (``"."``).
    """
    if _is_missing(value):
        return sign("unbekannt")
    text = f"{float(value):,.{decimals}f}"
    text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    if text.startswith("-"):
        # no sign on a value that rounds to 0; otherwise the typographic minus of printed statistics (U+2212)
        zero = float(text.replace(".", "").replace(",", ".").lstrip("-") or 0) == 0
        text = text[1:] if zero else "\u2212" + text[1:]
    return text


def percent(value: float | None, decimals: int = 1) -> str:
    """Format a value already in percent: ``percent(12.345)`` → ``"12,3 %"`` (narrow space before %)."""
    if _is_missing(value):
        return sign("unbekannt")
    return f"{number(value, decimals)}\u00a0%"


def signed(value: float | None, decimals: int = 1, unit: str = "") -> str:
    """Format a change with explicit sign: ``signed(2.5, 1, "Pp.")`` → ``"+2,5 Pp."``."""
    if _is_missing(value):
        return sign("unbekannt")
    text = number(value, decimals)
    if not text.startswith("\u2212") and text.strip("0,.") != "":  # no "+" on a change that rounds to 0
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
