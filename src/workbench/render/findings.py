"""Auto-filled German sentences ("Befunde") from the indicator table of :func:`workbench.indicators.compute`.

The sentences state what the comparison columns say, with the method and confidence level, in correct
German singular/plural and with wording that follows the indicator's polarity. They never print a value
whose numerator is suppressed (``numerator_suppressed``): such units are only counted as "nicht verglichen",
and a suppressed city value is reported as "nicht verfügbar".
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from workbench.errors import ConfigError
from workbench.indicators.catalogue import Catalogue, Indicator, load_catalogue
from workbench.render import fmt

__all__ = ["format_value", "largest_differences", "significance_summary"]

_LEVEL_WORDS = {
    # singular (nom/dat), plural dative, plural nominative/genitive
    "sozialraum": ("Sozialraum", "Sozialräumen", "Sozialräume"),
    "stadtbezirk": ("Stadtbezirk", "Stadtbezirken", "Stadtbezirke"),
}
_PRONOUN = {"die": "sie", "der": "er", "das": "es"}
_ACCUSATIVE = {"die": "die", "der": "den", "das": "das"}
_ABOVE = {"hoch = schlecht": "schlechter", "hoch = gut": "besser", "neutral": "höher"}
_BELOW = {"hoch = schlecht": "besser", "hoch = gut": "schlechter", "neutral": "niedriger"}
_NOT_COMPARED = "nicht verglichen"
_SIMILAR = "ähnlich"


@lru_cache(maxsize=1)
def _default_catalogue() -> Catalogue:
    return load_catalogue()


def _indicator(indicator_id: str, catalogue: Catalogue | None) -> Indicator:
    return (catalogue or _default_catalogue())[indicator_id]


def format_value(value: float, ind: Indicator) -> str:
    """German text of a value in the indicator's unit: ``18,9 %``, ``12,3 je 1.000``, ``34,5 je 100``."""
    if ind.unit == "%":
        return fmt.percent(value, ind.decimals)
    return f"{fmt.number(value, ind.decimals)}\u00a0{ind.unit}"


def _confidence_text(table: pd.DataFrame) -> str:
    """Confidence level of ``cmp_city`` (the first interval columns), e.g. ``95`` or ``99,8``."""
    tag = next((c[len("lower") :] for c in table.columns if c.startswith("lower")), "95")
    return tag if len(tag) <= 2 else f"{tag[:2]},{tag[2:]}"


def _subject(ind: Indicator, capital: bool = False, accusative: bool = False) -> str:
    article = _ACCUSATIVE[ind.article] if accusative else ind.article
    article = article.capitalize() if capital else article
    return f"{article} {ind.label}"


def _rows(table: pd.DataFrame, **where: object) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for col, val in where.items():
        mask &= (table[col] == val).to_numpy()
    return table.loc[mask]


def _in_k_of(k: int, total: int, words: tuple[str, str, str]) -> str:
    """``In 7 von 41 Sozialräumen`` / ``In einem von 41 …`` / ``In keinem der 41 Sozialräume`` / ``In allen …``."""
    _, plural_dat, plural_nom = words
    if k == 0:
        return f"In keinem der {fmt.number(total)} {plural_nom}"
    if k == total:
        return f"In allen {fmt.number(total)} {plural_dat}"
    if k == 1:
        return f"In einem von {fmt.number(total)} {plural_dat}"
    return f"In {fmt.number(k)} von {fmt.number(total)} {plural_dat}"


def _in_k(k: int, words: tuple[str, str, str]) -> str:
    singular, plural_dat, _ = words
    if k == 0:
        return f"In keinem {singular}"
    if k == 1:
        return f"In einem {singular}"
    return f"In {fmt.number(k)} {plural_dat}"


def significance_summary(
    table: pd.DataFrame,
    indicator_id: str,
    year: int,
    level: str = "sozialraum",
    catalogue: Catalogue | None = None,
) -> str:
    """How many units of ``level`` differ significantly from the city value in ``year`` (German sentences).

    Example: "In 7 von 41 Sozialräumen liegt die Kinderarmut signifikant über dem städtischen Wert von
    18,9 % (95-%-Konfidenzintervall, Wilson). In 12 Sozialräumen liegt sie signifikant darunter."
    The unfavourable direction comes first ("hoch = schlecht": über, "hoch = gut": unter); for neutral
    indicators both directions are given without judgement. Uses ``cmp_city`` (first confidence level).
    ``catalogue`` supplies label, article, unit and method (default: ``config/indicators.yaml``).
    """
    if level not in _LEVEL_WORDS:
        raise ConfigError(
            f"Ebene {level!r} ist für den Vergleich mit der Stadt nicht vorgesehen",
            where="level",
            hint="Erlaubt: " + ", ".join(_LEVEL_WORDS),
        )
    ind = _indicator(indicator_id, catalogue)
    rows = _rows(table, indicator=indicator_id, level=level, year=int(year))
    if rows.empty:
        raise ConfigError(
            f"keine Werte für {ind.label} ({indicator_id}), Ebene {level}, Jahr {year} in der Tabelle",
            hint="compute() mit diesem Indikator, dieser Ebene und diesem Jahr aufrufen",
        )
    words = _LEVEL_WORDS[level]
    total = len(rows)
    city = float(rows["city_value"].iloc[0])
    subject = _subject(ind)
    if not np.isfinite(city):
        return (
            f"Der städtische Wert für {_subject(ind, accusative=True)} ist {int(year)} nicht verfügbar (Zahlen unter der "
            f"Geheimhaltungsgrenze oder fehlend); ein Vergleich der {words[2]} ist nicht möglich."
        )
    city_text = format_value(city, ind)
    if ind.method == "none":
        return (
            f"Für {_subject(ind, accusative=True)} wird kein Konfidenzintervall berechnet; ein Signifikanzvergleich der {words[2]} "
            f"mit dem städtischen Wert von {city_text} ist daher nicht möglich."
        )
    cmp = rows["cmp_city"].astype(str)
    n_above = int((cmp == _ABOVE[ind.polarity]).sum())
    n_below = int((cmp == _BELOW[ind.polarity]).sum())
    n_not = int((cmp == _NOT_COMPARED).sum())
    method = f"({_confidence_text(table)}-%-Konfidenzintervall, {ind.method_label})"
    pronoun = _PRONOUN[ind.article]

    if ind.polarity == "hoch = gut":
        first, first_dir, second, second_dir = n_below, "unter", n_above, "darüber"
    else:
        first, first_dir, second, second_dir = n_above, "über", n_below, "darunter"
    if total == 1:
        only = "über" if n_above else "unter" if n_below else None
        if only:
            text = f"Im einzigen {words[0]} liegt {subject} signifikant {only} dem städtischen Wert von {city_text} {method}."
        else:
            text = (
                f"Im einzigen {words[0]} unterscheidet sich {subject} nicht signifikant vom städtischen Wert "
                f"von {city_text} {method}."
            )
    else:
        text = (
            f"{_in_k_of(first, total, words)} liegt {subject} signifikant {first_dir} dem städtischen Wert "
            f"von {city_text} {method}."
        )
        text += f" {_in_k(second, words)} liegt {pronoun} signifikant {second_dir}."
    if ind.polarity != "neutral" and total > 1:
        text = text[:-1] + (" (günstiger)." if second else ".")
    if n_not:
        verb = "wurde" if n_not == 1 else "wurden"
        noun = words[0] if n_not == 1 else words[2]
        text += (
            f" {fmt.number(n_not)} {noun} {verb} nicht verglichen (Zähler unter der Geheimhaltungsgrenze "
            f"oder Wert nicht berechenbar)."
        )
    return text


def largest_differences(
    table: pd.DataFrame,
    unit_id: str,
    year: int,
    n: int = 3,
    catalogue: Catalogue | None = None,
) -> list[str]:
    """Up to ``n`` sentences on the indicators where a unit differs most from the city (for profiles).

    Only significant differences (``cmp_city`` besser/schlechter/höher/niedriger) count; differences that
    are also significant at the second confidence level (99,8 %) come first and read "deutlich über/unter",
    then by relative difference |value / city − 1|. Units with a suppressed numerator never appear.
    Example: "Die Kinderarmut liegt mit 38,2 % deutlich über dem städtischen Wert von 18,9 %."
    When nothing differs significantly, one sentence says so.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"n = {n!r} ist keine ganze Zahl ≥ 1", where="n")
    rows = _rows(table, unit_id=str(unit_id), year=int(year))
    if rows.empty:
        raise ConfigError(
            f"keine Werte für Gebiet {unit_id!r} im Jahr {year} in der Tabelle",
            hint="Kennung (mit führenden Nullen) und Jahr prüfen",
        )
    strong_col = next((c for c in rows.columns if c.startswith("cmp_city_")), None)
    ok = (
        ~rows["numerator_suppressed"].to_numpy(dtype=bool)
        & np.isfinite(rows["value"].to_numpy(dtype="float64"))
        & np.isfinite(rows["city_value"].to_numpy(dtype="float64"))
        & ~rows["cmp_city"].isin([_NOT_COMPARED, _SIMILAR]).to_numpy()
    )
    sig = rows.loc[ok].copy()
    name = str(rows["unit_name"].iloc[0])
    if sig.empty:
        return [f"{name} weicht {int(year)} bei keinem Indikator signifikant vom städtischen Wert ab."]
    city = sig["city_value"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(sig["value"].to_numpy(dtype="float64") / city - 1.0)
    sig["rank_rel"] = np.where(np.isfinite(rel), rel, np.inf)
    sig["strong"] = (
        ~sig[strong_col].isin([_NOT_COMPARED, _SIMILAR]).to_numpy()
        if strong_col
        else np.zeros(len(sig), bool)
    )
    sig = sig.sort_values(["strong", "rank_rel", "indicator"], ascending=[False, False, True], kind="stable")
    sentences = []
    for row in sig.head(n).itertuples(index=False):
        ind = _indicator(row.indicator, catalogue)
        direction = "über" if row.value > row.city_value else "unter"
        strength = "deutlich " if row.strong else ""
        sentences.append(
            f"{_subject(ind, capital=True)} liegt mit {format_value(row.value, ind)} {strength}{direction} dem "
            f"städtischen Wert von {format_value(row.city_value, ind)}."
        )
    return sentences
