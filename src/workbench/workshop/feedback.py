"""German feedback on the workshop exercises: recognise the typical mistakes of planning data and say what to check.

Every ``check_*`` function takes the participant's result, compares it with the reference computed from the
course city (:func:`workbench.workshop.kursdaten`) and returns ``None`` when it is right. Otherwise it raises
:class:`Rueckmeldung` (an ``AssertionError``) whose German message names the recognised mistake and what to
check — never just "falsch". The otter-grader tests of the workshop notebooks call these functions, so
``grader.check("q1")`` shows the message; :mod:`tests.workshop` tests every message.

Recognised mistakes (one or more per exercise): a separator or encoding that does not fit the file, ids that
lost their leading zeros (read as numbers), a join on names instead of ids, a share on the wrong denominator
(all inhabitants, under 18, age 15 counted), per cent instead of je 1.000 (and fractions instead of per cent),
the Wald interval instead of Wilson, Wilson instead of Byar for rates, the comparison without polarity, the
unweighted mean of the areas as city value, too many or too few classes, z-scores with the sample standard
deviation or the city value as reference, an indicator whose polarity was ignored in the index, a budget
distributed evenly or by shares instead of need, publishing a count of 1 or 2, a suppressed cell that the
total reveals, and English number formats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench import stats
from workbench.render import fmt
from workbench.workshop._data import Kursdaten, broken_line, delivery_from_department, index_table, kursdaten


class Rueckmeldung(AssertionError):
    """German feedback on an exercise: what is wrong and what to check (shown by ``grader.check``)."""


# ----------------------------------------------------------------------------------------------- helpers

LEADING_ZEROS = (
    "Die Kennungen haben ihre führenden Nullen verloren (z. B. 101 statt '0101'): die Spalte {col} wurde als "
    "Zahl gelesen. Kennungen immer als Text lesen – pd.read_csv(..., dtype=str) oder dtype={{'{col}': str}} – "
    "und nie als Zahl weiterrechnen."
)


def _n(value: float, decimals: int = 1) -> str:
    return fmt.number(value, decimals)


def _require(value: Any, name: str) -> None:
    if value is None or value is Ellipsis:
        raise Rueckmeldung(
            f"`{name}` ist noch leer: die drei Punkte (...) in der Aufgabenzelle durch Ihre Lösung ersetzen "
            "und die Zelle ausführen (Umschalt+Enter), dann diese Prüfung noch einmal ausführen."
        )


def _numeric_ids(index: pd.Index, data: Kursdaten) -> bool:
    if pd.api.types.is_numeric_dtype(index):
        return True
    text = pd.Index([str(i) for i in index])
    stripped = {a.lstrip("0") for a in data.area_ids}
    return bool(len(text)) and text.isin(list(stripped)).mean() > 0.5 and not text.isin(data.area_ids).any()


def _by_area(value: Any, name: str, data: Kursdaten, column: str | None = None) -> pd.Series:
    """The participant's values as a float Series indexed by Sozialraum id (key-table order)."""
    _require(value, name)
    if isinstance(value, pd.DataFrame):
        if column is not None and column in value.columns:
            value = value[column]
        else:
            numeric = [c for c in value.columns if pd.api.types.is_numeric_dtype(value[c])]
            if len(numeric) != 1:
                raise Rueckmeldung(
                    f"`{name}` ist eine Tabelle mit {len(value.columns)} Spalten; erwartet wird eine Spalte "
                    "(pandas-Series) mit einem Wert je Sozialraum, Index = Kennung des Sozialraums."
                )
            value = value[numeric[0]]
    elif isinstance(value, dict):
        value = pd.Series(value)
    if not isinstance(value, pd.Series):
        raise Rueckmeldung(
            f"`{name}` ist {type(value).__name__}; erwartet wird eine pandas-Series mit einem Wert je "
            "Sozialraum (Index = Kennung des Sozialraums, z. B. Ergebnis von groupby(...).sum())."
        )
    if _numeric_ids(value.index, data):
        raise Rueckmeldung(LEADING_ZEROS.format(col="Sozialraum"))
    index = pd.Index([str(i) for i in value.index])
    if (
        index.isin(data.area_names.str.strip().str.lower().tolist()).any()
        or index.isin(data.area_names).any()
    ):
        raise Rueckmeldung(
            f"Der Index von `{name}` enthält Namen von Sozialräumen. Rechnen und verknüpfen Sie mit den "
            "Kennungen (z. B. '0101'): Namen werden in jeder Liste anders geschrieben, Kennungen nicht."
        )
    if not pd.api.types.is_numeric_dtype(value):
        raise Rueckmeldung(
            f"Die Werte von `{name}` sind Text, keine Zahlen (z. B. {str(value.iloc[0])[:20]!r}). Die Zahlenspalte "
            "als Zahl lesen – pd.read_csv(..., dtype={'Sozialraum': str}) macht nur die Kennung zu Text – oder "
            "mit pd.to_numeric umwandeln. (Text wird beim Summieren aneinandergehängt statt addiert.)"
        )
    s = pd.Series(value.to_numpy(dtype=float), index=index)
    if s.index.duplicated().any():
        dup = s.index[s.index.duplicated()][0]
        raise Rueckmeldung(
            f"`{name}` hat mehrere Zeilen für Sozialraum {dup}: je Sozialraum genau einen Wert bilden "
            "(groupby über die Kennung des Sozialraums, nicht über statistische Bezirke oder Altersjahre)."
        )
    missing = [a for a in data.area_ids if a not in s.index]
    if missing:
        raise Rueckmeldung(
            f"In `{name}` fehlen {len(missing)} von {len(data.area_ids)} Sozialräumen (z. B. {missing[0]}). "
            "Alle Sozialräume der Schlüsseltabelle gehören dazu; prüfen Sie Filter und Verknüpfungen."
        )
    return s.reindex(data.area_ids)


def _close(got: pd.Series, expected: pd.Series, rtol: float = 1e-3, atol: float = 1e-6) -> bool:
    """Equal where the reference is known (a suppressed reference value is not judged)."""
    known = expected.notna().to_numpy()
    g, e = got.to_numpy(dtype=float)[known], expected.to_numpy(dtype=float)[known]
    return bool(np.all(np.isfinite(g)) and np.allclose(g, e, rtol=rtol, atol=atol))


def _judge(
    got: pd.Series,
    expected: pd.Series,
    mistakes: Sequence[tuple[pd.Series, str]],
    what: str,
    hint: str,
    decimals: int = 1,
) -> None:
    """Pass, or raise the message of the first recognised mistake, or a German hint naming one area."""
    if _close(got, expected):
        return
    for candidate, message in mistakes:
        if _close(got, candidate):
            raise Rueckmeldung(message)
    known = expected.notna() & (~np.isclose(got.fillna(np.inf), expected, rtol=1e-3, atol=1e-6))
    area = known[known].index[0] if known.any() else expected.index[0]
    g, e = got[area], expected[area]
    if not np.isfinite(g):
        detail = "ist leer (NaN) – fehlt ein Wert, oder wurde durch 0 geteilt"
    else:
        ratio = g / e if e else np.inf
        detail = f"ist {_n(g, decimals)} und damit zu {'hoch' if g > e else 'niedrig'}"
        if np.isfinite(ratio) and ratio > 0:
            detail += f" (Faktor {_n(ratio, 2)})"
    raise Rueckmeldung(f"{what} stimmt noch nicht: der Wert für Sozialraum {area} {detail}. {hint}")


# ------------------------------------------------------------------------------ Modul 1: Daten einlesen

KEY_COLUMNS = ["stat_bezirk_id", "stat_bezirk_name", "sozialraum_id", "sozialraum_name", "stadtbezirk_id"]


def check_key_table(schluessel: Any) -> None:
    """Modul 1, Aufgabe 1: the key table read with separator ';', UTF-8 (with BOM) and ids as text.

    Recognises: a wrong separator (one column), the byte order mark in the first column name (encoding
    "utf-8" instead of "utf-8-sig"), broken umlauts (read as cp1252/latin-1), ids read as numbers.
    """
    _require(schluessel, "schluessel")
    if not isinstance(schluessel, pd.DataFrame):
        raise Rueckmeldung(
            "`schluessel` soll die Tabelle sein, die pd.read_csv(...) liefert (ein DataFrame)."
        )
    cols = [str(c) for c in schluessel.columns]
    if len(cols) == 1 and ";" in cols[0]:
        raise Rueckmeldung(
            "Die Tabelle hat nur eine Spalte, in der noch Semikolons stehen: die Datei trennt Spalten mit ';'. "
            "pd.read_csv(..., sep=';') angeben (deutsche CSV-Dateien aus Excel nutzen ';', weil ',' das "
            "Dezimalzeichen ist)."
        )
    if cols and (cols[0].startswith("\ufeff") or cols[0].startswith("ï»¿")):
        raise Rueckmeldung(
            f"Die erste Spalte heißt {cols[0]!r}: vor dem Namen steht das unsichtbare Byte-Order-Mark (BOM), mit "
            "dem Excel UTF-8-Dateien beginnt. Mit encoding='utf-8-sig' einlesen, dann heißt sie "
            "'stat_bezirk_id'."
        )
    missing = [c for c in KEY_COLUMNS if c not in cols]
    if missing:
        raise Rueckmeldung(
            f"Es fehlen die Spalten {', '.join(missing)}; gelesen wurden: {', '.join(cols)}. Datei "
            "schluessel_gebiete.csv mit sep=';' und encoding='utf-8-sig' einlesen."
        )
    names = schluessel["stat_bezirk_name"].astype(str)
    if names.str.contains("Ã|Â", regex=True).any():
        bad = names[names.str.contains("Ã|Â", regex=True)].iloc[0]
        raise Rueckmeldung(
            f"Umlaute sind zerstört ({bad!r} statt „Süd“): die Datei ist UTF-8, wurde aber als cp1252/latin-1 "
            "gelesen. encoding='utf-8-sig' angeben."
        )
    for col in ("stat_bezirk_id", "sozialraum_id", "stadtbezirk_id"):
        if pd.api.types.is_numeric_dtype(schluessel[col]):
            raise Rueckmeldung(LEADING_ZEROS.format(col=col))
    data = kursdaten()
    if len(schluessel) != len(data.dataset.keys):
        raise Rueckmeldung(
            f"Die Tabelle hat {len(schluessel)} Zeilen, die Datei aber {len(data.dataset.keys)} statistische "
            "Bezirke: die ganze Datei einlesen, nichts filtern (nrows/skiprows prüfen)."
        )


def check_population_by_area(einwohner: Any) -> None:
    """Modul 1, Aufgabe 2: inhabitants per Sozialraum on 31.12. of the reporting year.

    Recognises: ids as numbers, ``Anzahl`` as text, another year, one sex or nationality only, a count of
    rows instead of the sum of ``Anzahl``.
    """
    data = kursdaten()
    got = _by_area(einwohner, "einwohner", data, column="Anzahl")
    pop = data.dataset.population
    year = pop[pop["year"] == data.year]
    mistakes = [
        (
            data.population(year=y),
            f"Das sind die Einwohner am 31.12.{y}; gefragt ist {data.year} "
            f"(Datei einwohner_{data.year}.csv).",
        )
        for y in sorted(pop["year"].unique())
        if y != data.year
    ]
    for col, label in (("sex", "Geschlecht"), ("nationality", "Staatsangehörigkeit")):
        for val in year[col].unique():
            part = (
                year[year[col] == val].groupby("area_id")["count"].sum().astype(float).reindex(data.area_ids)
            )
            mistakes.append(
                (
                    part,
                    f"Es wurde nur eine Ausprägung von {label} ({val}) gezählt: über alle Zeilen summieren, "
                    "ohne Filter auf Geschlecht oder Staatsangehörigkeit.",
                )
            )
    rows = year.groupby("area_id").size().astype(float).reindex(data.area_ids)
    mistakes.append(
        (
            rows,
            "Gezählt wurden die Zeilen der Datei, nicht die Personen: jede Zeile ist eine Gruppe (Alter, "
            "Geschlecht, Staatsangehörigkeit) – die Spalte Anzahl summieren (.sum(), nicht .count() oder .size()).",
        )
    )
    _judge(
        got,
        data.population(),
        mistakes,
        "Die Einwohnerzahl",
        "Prüfen Sie: Datei des Berichtsjahres, Spalte Anzahl summiert, gruppiert nach Sozialraum.",
        decimals=0,
    )


def check_join(kita: Any) -> None:
    """Modul 1, Aufgabe 3: the department's list joined to the Sozialräume by id.

    Recognises: a join on names (rows lost or empty values where the names are spelt differently), ids as
    numbers, duplicate rows.
    """
    data = kursdaten()
    _require(kita, "kita")
    if not isinstance(kita, pd.DataFrame) or "Kita_Plaetze" not in kita.columns:
        raise Rueckmeldung(
            "`kita` soll die verknüpfte Tabelle sein (ein DataFrame mit der Spalte Kita_Plaetze aus der "
            "Lieferung), z. B. einwohner_tabelle.merge(lieferung, left_on='Sozialraum', right_on='Kennung', "
            "how='left')."
        )
    n = len(data.area_ids)
    empty = int(kita["Kita_Plaetze"].isna().sum())
    if len(kita) < n or empty:
        lost = n - len(kita) if len(kita) < n else empty
        raise Rueckmeldung(
            f"Bei {lost} von {n} Sozialräumen fehlen die Kita-Plätze nach der Verknüpfung. Wurde über den Namen "
            "verknüpft? In der Lieferung sind Namen anders geschrieben (GROSS, Leerzeichen am Ende). Über die "
            "Kennung verknüpfen (on/left_on/right_on mit Kennung bzw. Sozialraum-Nummer), nie über Namen. "
            "Sind beide Kennungen Text mit führenden Nullen?"
        )
    if len(kita) > n:
        raise Rueckmeldung(
            f"Die verknüpfte Tabelle hat {len(kita)} Zeilen, es gibt aber {n} Sozialräume: ein Schlüssel ist "
            "nicht eindeutig (z. B. statistische Bezirke statt Sozialräume, oder über Namen verknüpft). Vor dem "
            "merge je Sozialraum eine Zeile bilden; validate='one_to_one' hilft beim Prüfen."
        )
    id_cols = [c for c in kita.columns if kita[c].astype(str).isin(data.area_ids).all()]
    if not id_cols:
        raise Rueckmeldung(LEADING_ZEROS.format(col="Kennung"))
    expected = delivery_places(data)
    got = pd.Series(kita["Kita_Plaetze"].to_numpy(dtype=float), index=kita[id_cols[0]].astype(str))
    if not _close(got.reindex(data.area_ids), expected):
        raise Rueckmeldung(
            "Die Kita-Plätze stehen beim falschen Sozialraum: die Verknüpfung hat Zeilen vertauscht (z. B. über "
            "die Zeilenposition statt über die Kennung). Mit merge über die Kennung verknüpfen, nicht mit "
            "Spalten aneinanderhängen."
        )


def delivery_places(data: Kursdaten) -> pd.Series:
    """Kita places per Sozialraum of the department's list (reference for :func:`check_join`)."""
    d = delivery_from_department(data)
    return pd.Series(d["Kita_Plaetze"].to_numpy(dtype=float), index=d["Kennung"]).reindex(data.area_ids)


def check_import_error(fehler_zeile: Any, richtige_kennung: Any) -> None:
    """Modul 1, Aufgabe 4: line and correct id of the line the importer rejects.

    Recognises: the 0-based line number of pandas, the id without leading zero, the id as a number.
    """
    _require(fehler_zeile, "fehler_zeile")
    _require(richtige_kennung, "richtige_kennung")
    data = kursdaten()
    line, area = broken_line(data)
    if isinstance(richtige_kennung, int | float | np.integer):
        raise Rueckmeldung(
            f"`richtige_kennung` ist die Zahl {richtige_kennung}: Kennungen sind Text mit führenden Nullen – "
            "in Anführungszeichen schreiben, z. B. '0101'."
        )
    if str(richtige_kennung) == area.lstrip("0"):
        raise Rueckmeldung(
            f"„{richtige_kennung}“ ist die fehlerhafte Kennung aus der Datei. Wie heißt sie richtig? Vergleichen "
            "Sie mit der Schlüsseltabelle (führende Null)."
        )
    try:
        line_got = int(fehler_zeile)
    except (TypeError, ValueError):
        raise Rueckmeldung(
            "`fehler_zeile` soll eine ganze Zahl sein (die Zeilennummer aus der Meldung)."
        ) from None
    if line_got in (line - 1, line - 2):
        raise Rueckmeldung(
            f"Zeile {line_got} ist die Zählung von pandas (ab 0, ohne Kopfzeile). Die Meldung des Importers "
            "zählt wie ein Texteditor oder Excel: die Kopfzeile ist Zeile 1. Die Zeilennummer aus der Meldung "
            "übernehmen."
        )
    if line_got != line:
        raise Rueckmeldung(
            f"In Zeile {line_got} steht kein Fehler. Führen Sie run_import auf den Ordner der fehlerhaften "
            "Lieferung aus und lesen Sie die Zeilennummer in der Meldung („(Zeile …)“)."
        )
    if str(richtige_kennung) != area:
        raise Rueckmeldung(
            f"Die Zeile stimmt, aber '{richtige_kennung}' ist nicht die richtige Kennung: welche Kennung der "
            "Schlüsseltabelle entsteht, wenn Excel die führende Null abgeschnitten hat?"
        )


# ----------------------------------------------------------------------- Modul 2: Indikatoren, Intervalle


def child_poverty(data: Kursdaten) -> tuple[pd.Series, pd.Series]:
    """(Kinder unter 15 in SGB II, Bevölkerung unter 15) per Sozialraum in the reporting year."""
    return data.count("sgb2_u15"), data.population(0, 14)


def check_child_share(anteil: Any) -> None:
    """Modul 2, Aufgabe 1: share of children under 15 in SGB II households, in % of the population under 15.

    Recognises: all inhabitants, under 18 or under 16 as denominator, je 1.000 instead of %, a fraction
    instead of %.
    """
    data = kursdaten()
    got = _by_area(anteil, "anteil", data)
    x, n = child_poverty(data)
    right = x / n * 100
    mistakes = [
        (
            x / data.population() * 100,
            "Der Nenner sollte die Bevölkerung unter 15 Jahren sein, nicht die "
            "Gesamtbevölkerung: der Anteil bezieht die Kinder in SGB II auf alle Kinder derselben Altersgruppe.",
        ),
        (
            x / data.population(0, 17) * 100,
            "Im Nenner stehen die unter 18-Jährigen. Zähler und Nenner müssen "
            "dieselbe Altersgruppe haben: Kinder unter 15 Jahren, also Alter 0 bis 14.",
        ),
        (
            x / data.population(0, 15) * 100,
            "Im Nenner ist das Alter 15 mitgezählt. „Unter 15“ heißt Alter 0 bis "
            "14: Filter age < 15 (oder <= 14), nicht <= 15.",
        ),
        (
            x / n * 1000,
            "Das ist ein Wert je 1.000 Kinder, gefragt ist der Anteil in Prozent (× 100). Anteile "
            "werden in %, Raten (z. B. Fälle) je 1.000 angegeben.",
        ),
        (x / n, "Das ist der Anteil als Bruch (z. B. 0,12). Gefragt ist Prozent: mit 100 multiplizieren."),
        (
            n / x * 100,
            "Zähler und Nenner sind vertauscht: Kinder in SGB II (Zähler) durch alle Kinder unter 15 "
            "(Nenner).",
        ),
    ]
    _judge(got, right, mistakes, "Der Anteil", "Prüfen Sie Zähler (sgb2_u15), Nenner (Alter 0–14) und × 100.")


def check_wilson(unten: Any, oben: Any) -> None:
    """Modul 2, Aufgabe 2: 95 % Wilson interval of the child share, in %.

    Recognises: the Wald interval (p ± 1,96·√(p(1−p)/n)), fractions instead of %, limits swapped, the wrong
    denominator.
    """
    data = kursdaten()
    lo, up = _by_area(unten, "unten", data), _by_area(oben, "oben", data)
    x, n = child_poverty(data)
    wl, wu = stats.wilson_ci(x, n)
    p = x / n
    half = 1.959964 * np.sqrt(p * (1 - p) / n)
    if _close(lo, wl) and _close(up, wu):
        raise Rueckmeldung(
            "Die Grenzen sind Brüche (z. B. 0,11); der Anteil steht in Prozent – beide Grenzen mit 100 "
            "multiplizieren, damit Wert und Intervall dieselbe Einheit haben."
        )
    if _close(lo, wu * 100) and _close(up, wl * 100):
        raise Rueckmeldung(
            "Untere und obere Grenze sind vertauscht: stats.wilson_ci gibt (unten, oben) zurück."
        )
    if _close(lo, (p - half) * 100) and _close(up, (p + half) * 100):
        raise Rueckmeldung(
            "Das ist das Wald-Intervall (p ± 1,96·√(p(1−p)/n)). Bei kleinen Zahlen ist es zu schmal und kann "
            "unter 0 % fallen; die Workbench nutzt das Wilson-Intervall: stats.wilson_ci(zaehler, nenner)."
        )
    tl, tu = stats.wilson_ci(x, data.population())
    if _close(lo, tl * 100) and _close(up, tu * 100):
        raise Rueckmeldung(
            "Das Intervall ist mit der Gesamtbevölkerung als Nenner gerechnet; der Nenner sollte die "
            "Bevölkerung unter 15 Jahren sein."
        )
    _judge(lo, wl * 100, [], "Die untere Grenze", "stats.wilson_ci(zaehler, nenner) und × 100 verwenden.")
    _judge(up, wu * 100, [], "Die obere Grenze", "stats.wilson_ci(zaehler, nenner) und × 100 verwenden.")


def hze(data: Kursdaten) -> tuple[pd.Series, pd.Series]:
    """(HzE cases, population under 21) per Sozialraum in the reporting year."""
    return data.count("hze_cases"), data.population(0, 20)


def check_hze_rate(rate: Any, unten: Any, oben: Any) -> None:
    """Modul 2, Aufgabe 3: HzE cases je 1.000 inhabitants under 21 with the Poisson/Byar interval.

    Recognises: per cent instead of je 1.000, all inhabitants as denominator, the Wilson interval for a rate.
    """
    data = kursdaten()
    got = _by_area(rate, "rate", data)
    x, n = hze(data)
    right = x / n * 1000
    _judge(
        got,
        right,
        [
            (
                x / n * 100,
                "Das ist ein Prozentwert (× 100). Fallzahlen der Hilfen zur Erziehung werden als Rate "
                "je 1.000 der unter 21-Jährigen angegeben: × 1000 (so wie im Indikatorenkatalog, Einheit „je 1.000“).",
            ),
            (
                x / data.population() * 1000,
                "Der Nenner sollte die Bevölkerung unter 21 Jahren sein (Alter 0 bis "
                "20), nicht die Gesamtbevölkerung: Hilfen zur Erziehung erhalten junge Menschen.",
            ),
            (
                x / data.population(0, 17) * 1000,
                "Im Nenner stehen die unter 18-Jährigen; HzE wird auf die unter "
                "21-Jährigen bezogen (Alter 0 bis 20, auch junge Volljährige nach § 41 SGB VIII).",
            ),
        ],
        "Die HzE-Rate",
        "Prüfen Sie Zähler (hze_cases), Nenner (Alter 0–20) und × 1000.",
    )
    lo, up = _by_area(unten, "unten", data), _by_area(oben, "oben", data)
    rl, ru = stats.rate_ci(x, n, multiplier=1000)
    wl, wu = stats.wilson_ci(x, n)
    if _close(lo, wl * 1000) and _close(up, wu * 1000):
        raise Rueckmeldung(
            "Das ist das Wilson-Intervall für Anteile. Fälle je 1.000 sind eine Rate (ein Kind kann mehrere "
            "Hilfen haben): stats.rate_ci(faelle, bevoelkerung, multiplier=1000) – exakt nach Poisson unter 10 "
            "Fällen, sonst nach Byar."
        )
    _judge(lo, rl, [], "Die untere Grenze", "stats.rate_ci(faelle, bevoelkerung, multiplier=1000) verwenden.")
    _judge(up, ru, [], "Die obere Grenze", "stats.rate_ci(faelle, bevoelkerung, multiplier=1000) verwenden.")


def _labels(value: Any, name: str, data: Kursdaten) -> pd.Series:
    _require(value, name)
    if isinstance(value, np.ndarray | list):
        if len(value) != len(data.area_ids):
            raise Rueckmeldung(
                f"`{name}` hat {len(value)} Einträge, es gibt {len(data.area_ids)} Sozialräume."
            )
        value = pd.Series(list(value), index=data.area_ids)
    if not isinstance(value, pd.Series):
        raise Rueckmeldung(f"`{name}` soll eine Series mit einem Vergleichsergebnis je Sozialraum sein.")
    if _numeric_ids(value.index, data):
        raise Rueckmeldung(LEADING_ZEROS.format(col="Sozialraum"))
    s = value.astype(object)
    s.index = [str(i) for i in s.index]
    return s.reindex(data.area_ids)


def check_comparison(vergleich: Any, indicator: str = "kinderarmut") -> None:
    """Modul 2, Aufgabe 4 / Modul 3, Aufgabe 3: comparison of each Sozialraum with the city, with polarity.

    Recognises: the comparison without polarity (höher/niedriger), polarity reversed (hoch = gut), the
    unweighted mean of the Sozialräume as city value.
    """
    data = kursdaten()
    got = _labels(vergleich, "vergleich", data)
    x, n = child_poverty(data) if indicator == "kinderarmut" else grusi(data)
    lo, up = stats.wilson_ci(x, n)
    city = x.sum() / n.sum()
    right = pd.Series(stats.compare(lo, up, city, "hoch = schlecht"), index=data.area_ids)

    def same(a: pd.Series) -> bool:
        known = x.notna()
        return bool((a[known].astype(str) == pd.Series(got)[known].astype(str)).all())

    if same(right):
        return
    if got.isin(["höher", "niedriger"]).any():
        raise Rueckmeldung(
            "Der Vergleich sagt „höher“/„niedriger“: die Polarität fehlt. Für diesen Indikator ist ein hoher "
            "Wert schlecht – stats.compare(unten, oben, stadtwert, 'hoch = schlecht') liefert "
            "besser/ähnlich/schlechter."
        )
    if same(pd.Series(stats.compare(lo, up, city, "hoch = gut"), index=data.area_ids)):
        raise Rueckmeldung(
            "Die Polarität ist vertauscht: hier ist ein hoher Wert schlecht (mehr Armut), also "
            "'hoch = schlecht' angeben. Ein Sozialraum über dem Stadtwert ist „schlechter“."
        )
    mean = (x / n).mean()
    if same(pd.Series(stats.compare(lo, up, mean, "hoch = schlecht"), index=data.area_ids)):
        raise Rueckmeldung(
            "Verglichen wurde mit dem Mittelwert der Sozialraum-Anteile. Der Stadtwert ist Summe der Zähler "
            "durch Summe der Nenner (x.sum() / n.sum()): große und kleine Sozialräume zählen nach ihrer Größe."
        )
    if same(pd.Series(stats.compare(lo, up, city * 100, "hoch = schlecht"), index=data.area_ids)) or same(
        pd.Series(stats.compare(lo * 100, up * 100, city, "hoch = schlecht"), index=data.area_ids)
    ):
        raise Rueckmeldung(
            "Intervall und Stadtwert haben verschiedene Einheiten (Bruch und Prozent): beide als Bruch oder "
            "beide in % übergeben."
        )
    wrong = [a for a in data.area_ids if pd.notna(x[a]) and str(got[a]) != str(right[a])]
    raise Rueckmeldung(
        f"Der Vergleich stimmt für {len(wrong)} Sozialräume noch nicht (z. B. {wrong[0]}: „{got[wrong[0]]}“). "
        "Prüfen Sie: Wilson-Grenzen als Bruch, Stadtwert = Summe Zähler / Summe Nenner, Polarität "
        "'hoch = schlecht'."
    )


# -------------------------------------------------------------------------- Modul 3: Karten, Klassen


def grusi(data: Kursdaten) -> tuple[pd.Series, pd.Series]:
    """(Grundsicherung im Alter, Bevölkerung ab 65) per Sozialraum in the reporting year."""
    return data.count("grusi_65"), data.population(65)


def check_map_table(karte: Any) -> None:
    """Modul 3, Aufgabe 1: the Sozialraum geometries joined with the child share.

    Recognises: the geometry lost (DataFrame on the left of the merge), ids as numbers, a join on names.
    """
    import geopandas as gpd

    data = kursdaten()
    _require(karte, "karte")
    if not isinstance(karte, gpd.GeoDataFrame):
        raise Rueckmeldung(
            "`karte` ist keine GeoDataFrame mehr – die Geometrie ist bei der Verknüpfung verloren gegangen. "
            "Die Geodaten links stellen: gebiete.merge(tabelle, on='area_id')."
        )
    if "anteil" not in karte.columns:
        raise Rueckmeldung("In `karte` fehlt die Spalte 'anteil' (der Anteil aus Modul 2, Aufgabe 1).")
    if len(karte) < len(data.area_ids) or karte["anteil"].isna().sum() > data.count("sgb2_u15").isna().sum():
        raise Rueckmeldung(
            "Nach der Verknüpfung fehlen Sozialräume oder ihre Werte. Über die Kennung 'area_id' verknüpfen "
            "(als Text mit führenden Nullen, nicht über Namen); how='left' behält alle Flächen."
        )
    got = pd.Series(karte["anteil"].to_numpy(dtype=float), index=karte["area_id"].astype(str))
    x, n = child_poverty(data)
    if not _close(got.reindex(data.area_ids), x / n * 100):
        raise Rueckmeldung(
            "Die Spalte 'anteil' passt nicht zu den Flächen: verknüpfen Sie über die Kennung (merge), nicht "
            "über die Reihenfolge der Zeilen; Anteil in % der unter 15-Jährigen."
        )


def check_classification(klassen: Any, werte: Any = None) -> None:
    """Modul 3, Aufgabe 2: a classification of the child share with 4 to 6 classes.

    Recognises: too many classes (more than 7 cannot be told apart on a map), too few (2), a classification
    of other values than the share.
    """
    _require(klassen, "klassen")
    k = getattr(klassen, "k", None)
    if k is None or not hasattr(klassen, "counts"):
        raise Rueckmeldung("`klassen` soll das Ergebnis von maps.classify(werte, scheme=..., k=...) sein.")
    if k > 7:
        raise Rueckmeldung(
            f"{k} Klassen sind zu viele: mehr als 5 bis 7 Farbstufen kann niemand in einer Karte "
            "unterscheiden, und jede Klasse enthält nur wenige Sozialräume. k=4 bis k=6 wählen (ohne "
            "max_classes=None)."
        )
    if k < 3:
        raise Rueckmeldung(
            f"{k} Klassen zeigen kaum Unterschiede; für eine Karte der Sozialräume 4 bis 6 Klassen wählen."
        )
    if k < 4 or k > 6:
        raise Rueckmeldung(f"{k} Klassen: die Aufgabe verlangt 4 bis 6 Klassen (k=4, 5 oder 6).")
    data = kursdaten()
    x, n = child_poverty(data)
    right = x / n * 100
    if not np.isclose(float(klassen.lower), float(right.min()), rtol=1e-3) or not np.isclose(
        float(np.max(klassen.bins)), float(right.max()), rtol=1e-3
    ):
        raise Rueckmeldung(
            "Die Klassen umfassen andere Werte als den Anteil der Kinder in SGB II: maps.classify(karte['anteil'], "
            "...) klassifizieren (kleinster und größter Wert müssen die Grenzen bilden)."
        )


def check_hidden_area(antwort: Any) -> None:
    """Modul 3, Aufgabe 4: the Sozialraum with the most children in SGB II (absolute), as an id.

    Recognises: the area with the highest share (what the map shows), a name instead of an id, an id as a
    number.
    """
    _require(antwort, "antwort")
    data = kursdaten()
    x, n = child_poverty(data)
    right = str(x.idxmax())
    top_share = str((x / n).idxmax())
    if isinstance(antwort, int | float | np.integer):
        raise Rueckmeldung(LEADING_ZEROS.format(col="Sozialraum"))
    text = str(antwort).strip()
    if text in set(data.area_names) or text.lower() in {s.lower() for s in data.area_names}:
        raise Rueckmeldung(
            f"„{text}“ ist ein Name; bitte die Kennung angeben (z. B. '0101') – Namen sind in Listen "
            "unterschiedlich geschrieben, Kennungen eindeutig."
        )
    if text == right:
        return
    if text == top_share:
        raise Rueckmeldung(
            f"{text} hat den höchsten Anteil – das zeigt die Karte. Gefragt ist die größte Zahl von Kindern: "
            "ein großer Sozialraum mit mittlerem Anteil kann mehr betroffene Kinder haben, und die Karte der "
            "Anteile verbirgt das. Die Zähler (sgb2_u15) vergleichen."
        )
    raise Rueckmeldung(
        f"{text} ist nicht der Sozialraum mit den meisten Kindern in SGB II. Sortieren Sie die Zähler "
        "(Anzahl, nicht Anteil) absteigend: zaehler.sort_values(ascending=False)."
    )


# ------------------------------------------------------------------------ Modul 4: Sozialindex


def check_zscores(z: Any) -> None:
    """Modul 4, Aufgabe 1: z-scores of the SGB II share over the Sozialräume of the index table.

    Recognises: the sample standard deviation (pandas' ddof=1), the city value (weighted mean) as reference,
    not divided by the standard deviation.
    """
    data = kursdaten()
    t = index_table(data)
    x = t["sgb2"]
    got = _index_subset(z, "z", data, t.index)
    weighted = (x * t["einwohner"]).sum() / t["einwohner"].sum()
    _judge(
        got,
        (x - x.mean()) / x.std(ddof=0),
        [
            (
                (x - x.mean()) / x.std(ddof=1),
                "Geteilt wurde durch die Stichproben-Standardabweichung (ddof=1, "
                "Voreinstellung von pandas .std()). Das MSS-Verfahren standardisiert über alle Sozialräume als "
                "Grundgesamtheit: x.std(ddof=0).",
            ),
            (
                (x - weighted) / x.std(ddof=0),
                "Bezugspunkt ist hier der Stadtwert (nach Einwohnern gewichtet). "
                "Im MSS-Verfahren beziehen sich z-Werte auf den ungewichteten Mittelwert der Sozialräume: "
                "(x - x.mean()) / x.std(ddof=0).",
            ),
            (
                (x - weighted) / x.std(ddof=1),
                "Zwei Abweichungen vom MSS-Verfahren: Bezugspunkt ist der gewichtete "
                "Stadtwert statt des Mittelwerts der Sozialräume, und die Standardabweichung ist die der "
                "Stichprobe (ddof=1). Richtig: (x - x.mean()) / x.std(ddof=0).",
            ),
            (
                x - x.mean(),
                "Die Abweichung vom Mittelwert ist noch nicht durch die Standardabweichung geteilt: "
                "z = (x - Mittelwert) / Standardabweichung.",
            ),
        ],
        "Der z-Wert",
        "z = (x - x.mean()) / x.std(ddof=0) über die Sozialräume der Tabelle.",
        decimals=2,
    )


def _index_subset(value: Any, name: str, data: Kursdaten, index: pd.Index) -> pd.Series:
    _require(value, name)
    if isinstance(value, pd.DataFrame) and value.shape[1] == 1:
        value = value.iloc[:, 0]
    if not isinstance(value, pd.Series):
        raise Rueckmeldung(f"`{name}` soll eine Series mit einem Wert je Sozialraum der Tabelle sein.")
    if _numeric_ids(value.index, data):
        raise Rueckmeldung(LEADING_ZEROS.format(col="Sozialraum"))
    s = pd.Series(
        pd.to_numeric(value, errors="coerce").to_numpy(dtype=float), index=[str(i) for i in value.index]
    )
    missing = [a for a in index if a not in s.index]
    if missing:
        raise Rueckmeldung(
            f"In `{name}` fehlen Sozialräume der Tabelle (z. B. {missing[0]}): über alle Zeilen von `tabelle` "
            "rechnen."
        )
    return s.reindex(index)


def _z(x: pd.Series) -> pd.Series:
    return (x - x.mean()) / x.std(ddof=0)


def check_status_sum(summe: Any) -> None:
    """Modul 4, Aufgabe 2: sum of the z-scores with every indicator turned so that high = bad.

    Recognises: the polarity of the Wohndauer ignored, raw shares summed without z-scores.
    """
    data = kursdaten()
    t = index_table(data)
    got = _index_subset(summe, "summe", data, t.index)
    right = _z(t["sgb2"]) + _z(t["arbeitslos"]) - _z(t["wohndauer"])
    _judge(
        got,
        right,
        [
            (
                _z(t["sgb2"]) + _z(t["arbeitslos"]) + _z(t["wohndauer"]),
                "Die Polarität der Wohndauer wurde "
                "ignoriert: eine lange Wohndauer ist gut (stabile Nachbarschaften), SGB II und Arbeitslosigkeit "
                "sind schlecht. Im Index muss jeder Indikator so gedreht sein, dass hoch = schlecht: den z-Wert "
                "der Wohndauer abziehen (oder mit −1 multiplizieren).",
            ),
            (
                t["sgb2"] + t["arbeitslos"] - t["wohndauer"],
                "Summiert wurden die Anteile selbst. Erst "
                "standardisieren (z-Werte), dann summieren – sonst bestimmt der Indikator mit der größten Streuung "
                "den Index.",
            ),
            (
                t["sgb2"] + t["arbeitslos"] + t["wohndauer"],
                "Summiert wurden die Anteile selbst und die Polarität "
                "der Wohndauer fehlt: z-Werte bilden und den z-Wert der Wohndauer abziehen (hoch = gut).",
            ),
        ],
        "Die Summe der z-Werte",
        "z-Werte je Indikator, Wohndauer mit umgekehrtem Vorzeichen, dann addieren.",
        decimals=2,
    )


def check_mss(mss: Any) -> None:
    """Modul 4, Aufgabe 3: status classes of :func:`workbench.index.mss_index` with the Wohndauer turned.

    Recognises: the Wohndauer passed without turning its polarity, the population rule forgotten.
    """
    from workbench import index

    data = kursdaten()
    t = index_table(data)
    _require(mss, "mss")
    if not isinstance(mss, pd.DataFrame) or "status_class" not in mss.columns:
        raise Rueckmeldung(
            "`mss` soll das Ergebnis von index.mss_index(...) sein (Tabelle mit status_class)."
        )
    got = mss["status_class"].astype("Float64").astype(float)
    got.index = [str(i) for i in got.index]
    turned = t.assign(wohndauer=-t["wohndauer"])
    right = index.mss_index(turned, status=["sgb2", "arbeitslos", "wohndauer"], population="einwohner")
    wrong = index.mss_index(t, status=["sgb2", "arbeitslos", "wohndauer"], population="einwohner")
    r = right["status_class"].astype("Float64").astype(float)
    w = wrong["status_class"].astype("Float64").astype(float)
    got = got.reindex(r.index)
    if np.allclose(got.fillna(-1), r.fillna(-1)):
        return
    if np.allclose(got.fillna(-1), w.fillna(-1)):
        raise Rueckmeldung(
            "Die Wohndauer ging mit ihrer ursprünglichen Richtung in den Index ein. mss_index erwartet "
            "„hoch = schlecht“ für jeden Indikator: vorher tabelle.assign(wohndauer=-tabelle['wohndauer']) "
            "bilden und diese Tabelle übergeben."
        )
    raise Rueckmeldung(
        "Die Statusklassen stimmen nicht mit index.mss_index(tabelle_gedreht, status=['sgb2', 'arbeitslos', "
        "'wohndauer'], population='einwohner') überein. Prüfen Sie Tabelle, Indikatoren und Einwohnerspalte."
    )


BUDGET = 100_000.0


def check_budget(budget: Any) -> None:
    """Modul 4, Aufgabe 4: 100.000 € distributed by need (children under 15 in SGB II).

    Recognises: an even distribution, a distribution by shares or by inhabitants, a sum other than 100.000 €.
    """
    data = kursdaten()
    got = _by_area(budget, "budget", data)
    x, n = child_poverty(data)
    x = x.fillna(0)
    total = got.sum()
    right = BUDGET * x / x.sum()
    share = x / n
    mistakes = [
        (
            pd.Series(BUDGET / len(x), index=x.index),
            "Das Geld ist gleich verteilt. „Ungleiches ungleich "
            "behandeln“ heißt: wo mehr Kinder in Armut leben, fließt mehr Geld – nach der Zahl der Kinder in "
            "SGB II verteilen (budget = 100000 * zaehler / zaehler.sum()).",
        ),
        (
            BUDGET * share / share.sum(),
            "Verteilt wurde nach dem Anteil. Ein kleiner Sozialraum mit hohem Anteil "
            "bekäme so viel Geld je Kind, ein großer mit vielen betroffenen Kindern zu wenig: nach der Zahl der "
            "Kinder (Zähler) verteilen.",
        ),
        (
            BUDGET * data.population() / data.population().sum(),
            "Verteilt wurde nach Einwohnern – das ist "
            "gleich behandeln je Kopf, nicht nach Bedarf. Nach der Zahl der Kinder in SGB II verteilen.",
        ),
    ]
    if not np.isclose(total, BUDGET, atol=len(x)):
        hint = (
            " (alles × 100: Anteile in % statt Bruch?)" if np.isclose(total, BUDGET * 100, rtol=1e-3) else ""
        )
        raise Rueckmeldung(
            f"Die Summe der Budgets ist {_n(total, 0)} €, verteilt werden genau 100.000 €{hint}. Jeder Anteil "
            "ist zaehler / zaehler.sum(), und die Anteile addieren sich zu 1."
        )
    _judge(got, right, mistakes, "Das Budget", "Nach der Zahl der Kinder unter 15 in SGB II verteilen.", 0)


# ----------------------------------------------------------------- Modul 5: Profil, Geheimhaltung, Bericht


def profile_values(data: Kursdaten, area: str) -> dict[str, float]:
    """Reference values of the profile exercise for one Sozialraum."""
    x, n = child_poverty(data)
    return {
        "einwohner": float(data.population()[area]),
        "anteil_unter_15": float(n[area] / data.population()[area] * 100),
        "kinderarmut": float(x[area] / n[area] * 100),
    }


def check_profile(steckbrief: Any, sozialraum: Any) -> None:
    """Modul 5, Aufgabe 1: a small profile (dict) of one Sozialraum.

    Recognises: a missing key, the id as a number, shares as fractions, another Sozialraum's values.
    """
    _require(steckbrief, "steckbrief")
    data = kursdaten()
    if isinstance(sozialraum, int | np.integer) or str(sozialraum) not in data.area_ids:
        raise Rueckmeldung(LEADING_ZEROS.format(col="Sozialraum"))
    if not isinstance(steckbrief, dict):
        raise Rueckmeldung(
            "`steckbrief` soll ein dict sein: {'einwohner': ..., 'anteil_unter_15': ..., 'kinderarmut': ...}."
        )
    right = profile_values(data, str(sozialraum))
    missing = [k for k in right if k not in steckbrief]
    if missing:
        raise Rueckmeldung(f"Im Steckbrief fehlen die Einträge {', '.join(missing)}.")
    for key, value in right.items():
        got = steckbrief[key]
        if got is None or got is Ellipsis:
            raise Rueckmeldung(
                f"Im Steckbrief ist der Eintrag „{key}“ noch leer (...): den Wert berechnen und eintragen."
            )
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise Rueckmeldung(
                f"Der Eintrag „{key}“ ist {got!r}; im Steckbrief stehen Zahlen – formatiert wird erst im Text (Aufgabe 4)."
            ) from None
        if np.isclose(got, value, rtol=1e-3):
            continue
        if key != "einwohner" and np.isclose(got * 100, value, rtol=1e-3):
            raise Rueckmeldung(
                f"Der Eintrag „{key}“ ist ein Bruch ({_n(got, 3)}); im Profil stehen Anteile in % (× 100)."
            )
        if key == "anteil_unter_15" and np.isclose(got, right["kinderarmut"], rtol=1e-3):
            raise Rueckmeldung(
                "'anteil_unter_15' ist der Anteil der Kinder in SGB II. Gefragt ist der Anteil der unter "
                "15-Jährigen an allen Einwohnern des Sozialraums (Nenner: Gesamtbevölkerung)."
            )
        others = [a for a in data.area_ids if np.isclose(profile_values(data, a)[key], got, rtol=1e-3)]
        if others:
            raise Rueckmeldung(
                f"Der Eintrag „{key}“ ist der Wert von Sozialraum {others[0]}, nicht von {sozialraum}: Filter auf die Kennung "
                "prüfen."
            )
        raise Rueckmeldung(
            f"Der Eintrag „{key}“ ist {_n(got, 1)} und stimmt noch nicht für Sozialraum {sozialraum}: Zähler, Nenner und "
            "Jahr prüfen."
        )


def _published(value: Any, name: str, raw: pd.DataFrame) -> pd.DataFrame:
    _require(value, name)
    if not isinstance(value, pd.DataFrame):
        raise Rueckmeldung(
            f"`{name}` soll eine Tabelle (DataFrame) wie `faelle` sein, gesperrte Zellen leer (NaN)."
        )
    if list(value.columns)[: len(raw.columns)] != list(raw.columns) or not raw.index.isin(value.index).all():
        raise Rueckmeldung(
            f"`{name}` soll dieselben Zeilen und Spalten wie `faelle` haben (gesperrte Zellen als NaN), z. B. "
            "faelle.mask(maske)."
        )
    # signs such as "." (geheim) count as suppressed
    return value.loc[raw.index, raw.columns].apply(pd.to_numeric, errors="coerce")


def _small_visible(published: pd.DataFrame) -> str | None:
    small = (published > 0) & (published < 3)
    if small.to_numpy().any():
        row, col = next((r, c) for r in small.index for c in small.columns if small.loc[r, c])
        v = int(published.loc[row, col])
        return (
            f"Die Fallzahl {v} ({col}, Sozialraum {row}) darf nicht veröffentlicht werden: Werte 1 und 2 "
            "machen einzelne Familien erkennbar. Alle Zellen mit 1 oder 2 sperren (primäre Geheimhaltung, "
            "confidentiality.primary_mask(faelle, Rules()))."
        )
    return None


def check_primary(veroeffentlicht: Any, faelle: pd.DataFrame) -> None:
    """Modul 5, Aufgabe 2: primary suppression of a table of HzE cases.

    Recognises: a visible 1 or 2, a 0 suppressed (may be shown), a count of 3 or more suppressed, changed
    values.
    """
    published = _published(veroeffentlicht, "veroeffentlicht", faelle)
    message = _small_visible(published)
    if message:
        raise Rueckmeldung(message)
    hidden = published.isna()
    if (hidden & (faelle == 0)).to_numpy().any():
        raise Rueckmeldung(
            "Eine 0 wurde gesperrt. Eine 0 verrät niemanden und darf gezeigt werden (Rules(show_zero=True)); "
            "gesperrt werden nur 1 und 2."
        )
    if (hidden & (faelle >= 3)).to_numpy().any():
        raise Rueckmeldung(
            "Es wurden auch Werte ab 3 gesperrt. Die primäre Sperrung betrifft nur 1 und 2; jede unnötige Sperre "
            "nimmt dem Bericht Information. (Sekundäre Sperren folgen in Aufgabe 3.)"
        )
    visible = ~hidden
    if not np.allclose(published[visible].fillna(0), faelle[visible].fillna(0)):
        raise Rueckmeldung("Sichtbare Werte wurden verändert: nur sperren (NaN), nie runden oder ändern.")


def check_secondary(geschuetzt: Any, faelle: pd.DataFrame, total: str = "Insgesamt") -> None:
    """Modul 5, Aufgabe 3: a table with row totals protected so that no suppressed cell can be computed.

    Recognises: a visible 1 or 2, a row or column with exactly one suppressed cell next to a visible total
    (the total minus the visible cells reveals it), changed values.
    """
    published = _published(geschuetzt, "geschuetzt", faelle)
    message = _small_visible(published)
    if message:
        raise Rueckmeldung(message)
    parts = [c for c in faelle.columns if c != total]
    for row in published.index:
        if total in published.columns and pd.notna(published.loc[row, total]):
            hidden = [c for c in parts if pd.isna(published.loc[row, c])]
            if len(hidden) == 1:
                raise Rueckmeldung(
                    f"Sozialraum {row}: nur {hidden[0]} ist gesperrt, aber die Summe ({total}) ist sichtbar – "
                    f"{total} minus die sichtbaren Werte ergibt die gesperrte Zahl. Eine zweite Zelle sperren "
                    "(sekundäre Geheimhaltung), z. B. mit confidentiality.with_margins(faelle, total_row=None)"
                    ".protect(Rules())."
                )
    if total in faelle.index:
        for col in published.columns:
            if pd.notna(published.loc[total, col]):
                hidden = [r for r in published.index if r != total and pd.isna(published.loc[r, col])]
                if len(hidden) == 1:
                    raise Rueckmeldung(
                        f"Spalte {col}: nur Sozialraum {hidden[0]} ist gesperrt, die Spaltensumme ist sichtbar – "
                        "daraus lässt sich die Zahl errechnen. Eine zweite Zelle der Spalte sperren."
                    )
    visible = published.notna()
    if not np.allclose(published[visible].fillna(0), faelle[visible].fillna(0)):
        raise Rueckmeldung("Sichtbare Werte wurden verändert: nur sperren (NaN), nie runden oder ändern.")
    if published.isna().to_numpy().mean() > 0.5:
        raise Rueckmeldung(
            "Mehr als die Hälfte der Tabelle ist gesperrt: so wenig wie nötig sperren – je Zeile mit einer "
            "primären Sperre genügt meist eine zweite, möglichst kleine Zelle."
        )


def check_sentence(satz: Any, wert: float, decimals: int = 1) -> None:
    """Modul 5, Aufgabe 4: a report sentence with the share in German number format ("12,3 %").

    Recognises: a decimal point, no blank before %, too many decimals, a fraction instead of per cent.
    """
    _require(satz, "satz")
    text = str(satz)
    right = fmt.percent(wert, decimals)
    if right in text or right.replace("\u202f", " ").replace("\xa0", " ") in text.replace("\xa0", " "):
        return
    english = f"{wert:.{decimals}f}"
    if english in text:
        raise Rueckmeldung(
            f"Im Satz steht {english} mit Dezimalpunkt. Deutsche Berichte schreiben ein Komma: {right} – "
            "fmt.percent(wert) formatiert richtig."
        )
    plain = right.replace(" %", "%").replace("\xa0%", "%").replace("\u202f%", "%")
    if plain in text:
        raise Rueckmeldung(
            f"Vor dem Prozentzeichen fehlt das Leerzeichen: {right} statt {plain} (DIN 5008); fmt.percent(wert)."
        )
    if fmt.number(wert, 2) in text or fmt.number(wert, 3) in text or str(wert) in text:
        raise Rueckmeldung(
            f"Zu viele Nachkommastellen: eine Stelle genügt und täuscht keine Genauigkeit vor, die das "
            f"Konfidenzintervall nicht hergibt – {right}."
        )
    if fmt.number(wert / 100, 2) in text or f"{wert / 100:.2f}" in text:
        raise Rueckmeldung(f"Im Satz steht der Bruch statt des Prozentwerts: {right}.")
    raise Rueckmeldung(
        f"Im Satz fehlt der Anteil im deutschen Format ({right}). Mit f-String und fmt.percent(wert) einsetzen: "
        'f"… {fmt.percent(wert)} …".'
    )


CHECKS: dict[str, Callable[..., None]] = {
    name: obj for name, obj in globals().items() if name.startswith("check_") and callable(obj)
}
"""Every check of this module by name (the tests make sure each one has a passing and a failing case)."""
