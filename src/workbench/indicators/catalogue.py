"""The indicator catalogue (``config/indicators.yaml``): parsing and validation.

A planner adds an indicator by adding a YAML entry; nothing here knows individual indicators. Every entry is
validated when the catalogue is loaded: a malformed entry raises a :class:`~workbench.errors.ConfigError`
that names the file, the entry (id or position), the field and what is allowed. Measure names are checked
against the data later, in :func:`workbench.indicators.compute`, because only the data know which measures
exist.

Public API (re-exported by :mod:`workbench.indicators`): :class:`Term`, :class:`Indicator`,
:class:`Catalogue`, :func:`load_catalogue`, :func:`parse_catalogue`, :func:`indicator_meta`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from workbench import settings, stats
from workbench.errors import ConfigError
from workbench.settings import read_yaml
from workbench.vocabulary import MAX_AGE, NATIONALITIES, SEXES

UNITS: dict[str, tuple[float, ...]] = {
    "%": (100.0,),
    "je 100": (100.0,),
    "je 1.000": (1000.0,),
    "Prozentpunkte": (100.0,),
}
"""Allowed units and the multiplier(s) that fit each ("Prozentpunkte": changes of shares)."""
POLARITIES = stats.POLARITIES
METHODS = ("wilson", "poisson", "none", "published")
METHOD_LABELS = {
    "wilson": "Wilson",
    "poisson": "Poisson/Byar",
    "none": "ohne Konfidenzintervall",
    "published": "veröffentlichter Wert ohne Fallzahlen (ohne Intervall)",
}
PUBLISHED = "published"
"""Method of an indicator whose values a city publishes without numerator and denominator (``shares:``)."""
PUBLISHED_NOT_NEEDED = ("numerator", "denominator", "multiplier")
"""Fields a ``method: published`` entry does not need (its values come from ``shares.parquet``)."""
ARTICLES = ("die", "der", "das")

REQUIRED = (
    "id",
    "label",
    "definition",
    "numerator",
    "denominator",
    "unit",
    "multiplier",
    "polarity",
    "method",
    "topic",
    "source",
    "reference_date",
)
OPTIONAL = ("article", "decimals")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Term:
    """A numerator or denominator: a sum/difference of count measures, or a filtered population count.

    ``kind == "measure"``: value = Σ ``measures`` − Σ ``minus`` (from ``counts.parquet``).
    ``kind == "population"``: residents with ``age_min <= age <= age_max`` (inclusive; ``age_max`` None =
    open-ended), optionally of one ``sex`` ("m"/"w") and one ``nationality`` ("deutsch"/"nichtdeutsch").
    ``kind == "published"``: no count at all — the indicator's values are published shares (``shares.parquet``).
    """

    kind: str
    measures: tuple[str, ...] = ()
    minus: tuple[str, ...] = ()
    age_min: int = 0
    age_max: int | None = None
    sex: str | None = None
    nationality: str | None = None

    @property
    def population_key(self) -> tuple[int, int, str | None, str | None]:
        """Hashable filter key (equal filters are aggregated once)."""
        upper = MAX_AGE if self.age_max is None else min(self.age_max, MAX_AGE)
        return (self.age_min, upper, self.sex, self.nationality)

    def describe(self) -> str:
        """German one-line description, e.g. ``Einwohner 0–14 Jahre, w`` or ``in_ext + in_int − out_ext``."""
        if self.kind == PUBLISHED:
            return "nicht veröffentlicht (nur der Wert)"
        if self.kind == "measure":
            text = " + ".join(self.measures)
            if self.minus:
                text += " − " + " − ".join(self.minus)
            return text
        parts = ["Einwohner"]
        if self.age_min > 0 or self.age_max is not None:
            if self.age_max is None:
                parts.append(f"{self.age_min} Jahre und älter")
            else:
                parts.append(f"{self.age_min}–{self.age_max} Jahre")
        if self.sex:
            parts.append("weiblich" if self.sex == "w" else "männlich")
        if self.nationality:
            parts.append(self.nationality)
        return ", ".join(parts)


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry (see ``config/indicators.yaml`` for the meaning of each field)."""

    id: str
    label: str
    definition: str
    numerator: Term
    denominator: Term
    unit: str
    multiplier: float
    polarity: str
    method: str
    topic: str
    source: str
    reference_date: str
    article: str = "die"
    decimals: int = 1

    @property
    def published(self) -> bool:
        """True for a published share without counts (``method: published``): no interval, no comparison test."""
        return self.method == PUBLISHED

    @property
    def method_label(self) -> str:
        """German name of the interval method for captions ("Wilson", "Poisson/Byar", …)."""
        return METHOD_LABELS[self.method]

    @property
    def measures(self) -> tuple[str, ...]:
        """All count measures the indicator needs (numerator and denominator)."""
        out: list[str] = []
        for term in (self.numerator, self.denominator):
            out.extend(term.measures + term.minus)
        return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Catalogue:
    """An ordered, validated set of indicators; iterate, index by id, or ask ``ids``."""

    indicators: tuple[Indicator, ...]
    path: Path | None = None

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def __contains__(self, indicator_id: object) -> bool:
        return any(ind.id == indicator_id for ind in self.indicators)

    def __getitem__(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise ConfigError(
            f"Indikator {indicator_id!r} steht nicht im Katalog",
            path=self.path,
            hint="Vorhandene Indikatoren: " + ", ".join(self.ids),
        )

    @property
    def ids(self) -> list[str]:
        return [ind.id for ind in self.indicators]

    def select(self, ids: list[str] | tuple[str, ...] | None) -> list[Indicator]:
        """The indicators with the given ids in the given order (all when ``ids`` is None)."""
        if ids is None:
            return list(self.indicators)
        if isinstance(ids, str):
            ids = [ids]
        return [self[i] for i in ids]


# ----------------------------------------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------------------------------------


class _Ctx:
    """Names the file and the entry in every error message."""

    def __init__(self, path: Path | None, entry: str):
        self.path = path
        self.entry = entry

    def fail(self, field: str, problem: str, hint: str | None = None) -> ConfigError:
        return ConfigError(problem, path=self.path, where=f"{self.entry}, Feld {field!r}", hint=hint)


def _name_list(value: Any, ctx: _Ctx, field: str) -> tuple[str, ...]:
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    raise ctx.fail(
        field,
        f"erwartet einen Maßnamen oder eine Liste von Maßnamen, erhalten {value!r}",
        "z. B. 'measure: sgb2_rlb' oder 'measure: [in_ext, in_int]'",
    )


def _age(value: Any, ctx: _Ctx, field: str) -> tuple[int, int | None]:
    hint = (
        "Altersbereich einschließlich als [von, bis] angeben, z. B. [0, 14] oder [65, null] für 65 und älter"
    )
    if not isinstance(value, list) or len(value) != 2:
        raise ctx.fail(field, f"erwartet eine Liste [von, bis], erhalten {value!r}", hint)
    lo, hi = value
    if lo is None:
        lo = 0
    for v in (lo, hi):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0 or v > MAX_AGE):
            raise ctx.fail(field, f"Alter {v!r} ist keine ganze Zahl zwischen 0 und {MAX_AGE}", hint)
    if hi is not None and hi < lo:
        raise ctx.fail(field, f"'bis' ({hi}) ist kleiner als 'von' ({lo})", hint)
    return lo, hi


def _term(value: Any, ctx: _Ctx, field: str) -> Term:
    allowed = "{measure: NAME}, {measure: [A, B]}, {measure: A, minus: B} oder {population: {age: [0, 14], sex: w, nationality: nichtdeutsch}}"
    if not isinstance(value, Mapping):
        raise ctx.fail(field, f"erwartet eine Zuordnung, erhalten {value!r}", f"Erlaubt: {allowed}")
    keys = set(value)
    if "measure" in keys and "population" in keys:
        raise ctx.fail(field, "'measure' und 'population' zugleich angegeben", f"Erlaubt: {allowed}")
    if "measure" in keys:
        unknown = keys - {"measure", "minus"}
        if unknown:
            raise ctx.fail(field, f"unbekannte Angabe(n) {sorted(unknown)}", f"Erlaubt: {allowed}")
        measures = _name_list(value["measure"], ctx, f"{field}.measure")
        minus = _name_list(value["minus"], ctx, f"{field}.minus") if "minus" in value else ()
        return Term("measure", measures=measures, minus=minus)
    if "population" in keys:
        if keys != {"population"}:
            raise ctx.fail(
                field, f"unbekannte Angabe(n) {sorted(keys - {'population'})}", f"Erlaubt: {allowed}"
            )
        spec = value["population"]
        if spec is None or spec == "all":
            spec = {}
        if not isinstance(spec, Mapping):
            raise ctx.fail(
                f"{field}.population", f"erwartet eine Zuordnung von Filtern, erhalten {spec!r}", allowed
            )
        unknown = set(spec) - {"age", "sex", "nationality"}
        if unknown:
            raise ctx.fail(
                f"{field}.population",
                f"unbekannte(r) Filter {sorted(unknown)}",
                "Erlaubte Filter: age, sex, nationality",
            )
        lo, hi = _age(spec["age"], ctx, f"{field}.population.age") if "age" in spec else (0, None)
        sex = spec.get("sex")
        if sex is not None and sex not in SEXES:
            raise ctx.fail(f"{field}.population.sex", f"{sex!r} ist nicht erlaubt", "Erlaubt: m, w")
        nat = spec.get("nationality")
        if nat is not None and nat not in NATIONALITIES:
            raise ctx.fail(
                f"{field}.population.nationality",
                f"{nat!r} ist nicht erlaubt",
                "Erlaubt: deutsch, nichtdeutsch",
            )
        return Term("population", age_min=lo, age_max=hi, sex=sex, nationality=nat)
    raise ctx.fail(field, "weder 'measure' noch 'population' angegeben", f"Erlaubt: {allowed}")


def _text(entry: Mapping, key: str, ctx: _Ctx) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise ctx.fail(key, f"erwartet einen nicht leeren Text, erhalten {value!r}")
    return value.strip()


def _indicator(entry: Any, position: int, path: Path | None) -> Indicator:
    ctx = _Ctx(path, f"Eintrag Nr. {position}")
    if not isinstance(entry, Mapping):
        raise ctx.fail("(Eintrag)", f"erwartet eine Zuordnung (Feld: Wert), erhalten {entry!r}")
    raw_id = entry.get("id")
    if isinstance(raw_id, str) and raw_id:
        ctx = _Ctx(path, f"Indikator {raw_id!r} (Eintrag Nr. {position})")
    published = entry.get("method") == PUBLISHED
    missing = [k for k in REQUIRED if k not in entry and not (published and k in PUBLISHED_NOT_NEEDED)]
    if missing:
        raise ctx.fail(
            missing[0],
            f"Pflichtfeld fehlt (fehlend: {', '.join(missing)})",
            "Pflichtfelder: " + ", ".join(REQUIRED),
        )
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ctx.fail(unknown[0], "unbekanntes Feld", "Erlaubte Felder: " + ", ".join(REQUIRED + OPTIONAL))
    ind_id = entry["id"]
    if not isinstance(ind_id, str) or not _ID_RE.match(ind_id):
        raise ctx.fail(
            "id",
            f"{ind_id!r} ist keine gültige id",
            "snake_case: Kleinbuchstaben, Ziffern, '_', z. B. sgb2_quote",
        )
    unit = entry["unit"]
    if unit not in UNITS:
        raise ctx.fail(
            "unit", f"Einheit {unit!r} ist nicht erlaubt", "Erlaubt: " + ", ".join(f'"{u}"' for u in UNITS)
        )
    if published:
        present = [k for k in ("numerator", "denominator") if k in entry]
        if present:
            raise ctx.fail(
                present[0],
                "ein veröffentlichter Wert (method: published) hat keinen Zähler und Nenner",
                "Zähler und Nenner weglassen (die Werte kommen aus sources: shares:) oder mit Fallzahlen eine "
                "andere Methode wählen (wilson, poisson, none)",
            )
    mult = entry.get("multiplier", UNITS[unit][0])
    if isinstance(mult, bool) or not isinstance(mult, (int, float)) or float(mult) not in UNITS[unit]:
        raise ctx.fail(
            "multiplier",
            f"Multiplikator {mult!r} passt nicht zur Einheit {unit!r}",
            f"Für {unit!r} ist multiplier {int(UNITS[unit][0])} zu setzen",
        )
    polarity = entry["polarity"]
    if polarity not in POLARITIES:
        raise ctx.fail(
            "polarity",
            f"Polarität {polarity!r} ist nicht erlaubt",
            "Erlaubt: " + ", ".join(f'"{p}"' for p in POLARITIES),
        )
    method = entry["method"]
    if method not in METHODS:
        raise ctx.fail(
            "method", f"Intervallmethode {method!r} ist nicht erlaubt", "Erlaubt: " + ", ".join(METHODS)
        )
    article = entry.get("article", "die")
    if article not in ARTICLES:
        raise ctx.fail("article", f"Artikel {article!r} ist nicht erlaubt", "Erlaubt: die, der, das")
    decimals = entry.get("decimals", 1)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 4:
        raise ctx.fail("decimals", f"{decimals!r} ist keine ganze Zahl von 0 bis 4")
    if published:
        numerator = denominator = Term(PUBLISHED)
    else:
        numerator = _term(entry["numerator"], ctx, "numerator")
        denominator = _term(entry["denominator"], ctx, "denominator")
    topic = _text(entry, "topic", ctx)
    if not _ID_RE.match(topic):
        raise ctx.fail(
            "topic", f"{topic!r} ist kein gültiger Kapitelname", "snake_case, z. B. soziale_lage, demografie"
        )
    return Indicator(
        id=ind_id,
        label=_text(entry, "label", ctx),
        definition=_text(entry, "definition", ctx),
        numerator=numerator,
        denominator=denominator,
        unit=unit,
        multiplier=float(mult),
        polarity=polarity,
        method=method,
        topic=topic,
        source=_text(entry, "source", ctx),
        reference_date=str(entry["reference_date"]).strip(),
        article=article,
        decimals=decimals,
    )


def parse_catalogue(data: Any, path: Path | None = None) -> Catalogue:
    """Validate an already-parsed YAML document (``{"indicators": [...]}`` or a bare list) into a Catalogue."""
    if isinstance(data, Mapping):
        if "indicators" not in data:
            raise ConfigError(
                "Schlüssel 'indicators' fehlt",
                path=path,
                hint="Datei beginnt mit 'indicators:' und einer Liste",
            )
        entries = data["indicators"]
    else:
        entries = data
    if not isinstance(entries, list) or not entries:
        raise ConfigError(
            "'indicators' muss eine nicht leere Liste von Einträgen sein", path=path, where="indicators"
        )
    indicators = [_indicator(e, i, path) for i, e in enumerate(entries, start=1)]
    seen: dict[str, int] = {}
    for pos, ind in enumerate(indicators, start=1):
        if ind.id in seen:
            raise ConfigError(
                f"id {ind.id!r} kommt doppelt vor (Einträge Nr. {seen[ind.id]} und {pos})",
                path=path,
                where=f"Indikator {ind.id!r}, Feld 'id'",
                hint="Jede id darf nur einmal vorkommen",
            )
        seen[ind.id] = pos
    return Catalogue(tuple(indicators), path)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and validate the indicator catalogue.

    ``path`` defaults to the report's catalogue (``config_files: indicators:`` of the report config in force,
    else ``config/indicators.yaml``). Raises :class:`ConfigError` naming file and entry.
    """
    path = Path(path) if path is not None else settings.active().files.indicators
    return parse_catalogue(_with_includes(path, ()), path)


def _with_includes(path: Path, seen: tuple[Path, ...]) -> dict:
    """The catalogue document at ``path`` with the entries of its ``include:`` catalogues in front.

    ``include: config/indicators.yaml`` (a path relative to the project root, or a list of them) lets a city's
    catalogue add its own indicators to the standard ones without copying them.
    """
    data = read_yaml(
        path, "Indikatorenkatalog", missing_hint="Pfad prüfen oder config/indicators.yaml anlegen"
    )
    if not isinstance(data, Mapping) or "include" not in data:
        return data
    includes = data["include"]
    includes = [includes] if isinstance(includes, str) else includes
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise ConfigError(
            "include muss ein Pfad oder eine Liste von Pfaden sein",
            path=path,
            where="include",
            hint="z. B. include: config/indicators.yaml",
        )
    entries: list = []
    for inc in includes:
        target = settings.resolve_path(inc)
        if target in seen or target == path.resolve():
            raise ConfigError(f"{inc} bindet sich selbst ein", path=path, where="include")
        if not target.is_file():
            raise ConfigError(
                f"eingebundener Katalog {inc} nicht gefunden",
                path=path,
                where="include",
                hint="Pfad relativ zum Projektordner angeben, z. B. config/indicators.yaml",
            )
        sub = _with_includes(target, (*seen, path.resolve()))
        entries += list(sub["indicators"] if isinstance(sub, Mapping) else sub)
    own = data.get("indicators") or []
    return {"indicators": entries + list(own)}


def indicator_meta(catalogue: Catalogue) -> pd.DataFrame:
    """One row per indicator: id, label, definition, numerator/denominator text, unit, multiplier, polarity,
    method (and its German label), topic, source, reference date — for captions and the methods annex."""
    rows = [
        {
            "id": ind.id,
            "label": ind.label,
            "definition": ind.definition,
            "numerator": ind.numerator.describe(),
            "denominator": ind.denominator.describe(),
            "unit": ind.unit,
            "multiplier": ind.multiplier,
            "polarity": ind.polarity,
            "method": ind.method,
            "method_label": ind.method_label,
            "topic": ind.topic,
            "source": ind.source,
            "reference_date": ind.reference_date,
        }
        for ind in catalogue
    ]
    return pd.DataFrame(rows)
