"""Implementation of the index configuration (read, validate, run) for :mod:`workbench.index`.

Private: import from :mod:`workbench.index`; the YAML format (``config/index.yaml``) is described in
:func:`~workbench.index.load_index_config`.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.errors import ConfigError, DataValidationError
from workbench.index._mss import domain_index, mss_index
from workbench.settings import read_yaml

METHODS = ("mss", "domain")
LONG_COLUMNS = {"area_id", "year", "indicator", "value"}


def _entries(spec: Any, key: str, name: str, path: object) -> list[dict]:
    where = f"indices.{name}.{key}"
    if not isinstance(spec, list) or not spec:
        raise ConfigError(f"{key} muss eine nicht-leere Liste sein", path=path, where=where)
    out = []
    for i, item in enumerate(spec):
        if isinstance(item, str):
            item = {"id": item}
        if not isinstance(item, dict) or not ("id" in item or "column" in item):
            raise ConfigError(
                "jeder Eintrag braucht 'id' (Indikator) oder 'column'", path=path, where=f"{where}[{i}]"
            )
        if "change_years" in item:
            try:
                item["change_years"] = int(item["change_years"])
            except (TypeError, ValueError) as exc:
                raise ConfigError(
                    "change_years muss eine ganze Zahl sein", path=path, where=f"{where}[{i}].change_years"
                ) from exc
            if item["change_years"] < 1:
                raise ConfigError("change_years muss ≥ 1 sein", path=path, where=f"{where}[{i}].change_years")
        out.append(dict(item))
    return out


def validate_index_config(cfg: Any, path: object = None) -> dict:
    """Check an index configuration (already parsed YAML) and return it normalised.

    Parameters
    ----------
    cfg : dict
        Parsed configuration with the key ``indices`` (name → index spec; format in :func:`load_index_config`).
    path : path-like, optional
        File the configuration came from, named in error messages.

    Returns
    -------
    dict
        A copy with every index spec normalised: for ``mss`` the ``status`` / ``dynamic`` entries as dicts
        (plain strings become ``{"id": ...}``, ``change_years`` an int), ``min_population`` a float (default
        300) and ``exclude`` a list of str; ``domain`` specs are checked and kept. Other top-level keys (e.g.
        ``robustness``) are kept unchanged.

    Raises
    ------
    ConfigError
        Naming the offending key (``where``, e.g. ``indices.mss.method``): no ``indices``, an unknown method,
        empty or malformed indicator lists, non-integer or < 1 ``change_years``, a non-numeric
        ``min_population``, ``exclude`` not a list, missing or negative domain weights, or a malformed
        ``higher_is_worse``.

    Notes
    -----
    The format is documented in :func:`load_index_config`, the methods in docs/METHODEN.md, Abschnitt
    „Sozialindex“.

    Examples
    --------
    >>> from workbench.index import validate_index_config
    >>> cfg = validate_index_config({"indices": {"mss": {"method": "mss", "status": ["s1", "s2"],
    ...                                                  "dynamic": [{"id": "s1", "change_years": "2"}]}}})
    >>> spec = cfg["indices"]["mss"]
    >>> spec["status"], spec["dynamic"], spec["min_population"], spec["exclude"]
    ([{'id': 's1'}, {'id': 's2'}], [{'id': 's1', 'change_years': 2}], 300.0, [])
    >>> from workbench.errors import ConfigError
    >>> try:
    ...     validate_index_config({"indices": {"x": {"method": "pca"}}})
    ... except ConfigError as exc:
    ...     print(exc.where, "|", exc.problem)
    indices.x.method | unbekannte Methode 'pca'
    """
    if not isinstance(cfg, dict) or not isinstance(cfg.get("indices"), dict) or not cfg["indices"]:
        raise ConfigError("Schlüssel 'indices' (Zuordnung Name → Index) fehlt", path=path, where="indices")
    out: dict[str, Any] = {k: v for k, v in cfg.items() if k != "indices"}
    out["indices"] = {}
    for name, spec in cfg["indices"].items():
        where = f"indices.{name}"
        if not isinstance(spec, dict):
            raise ConfigError("erwartet eine Zuordnung", path=path, where=where)
        method = spec.get("method")
        if method not in METHODS:
            raise ConfigError(
                f"unbekannte Methode {method!r}",
                path=path,
                where=f"{where}.method",
                hint=f"eine von {METHODS}",
            )
        spec = dict(spec)
        if method == "mss":
            spec["status"] = _entries(spec.get("status"), "status", name, path)
            spec["dynamic"] = _entries(spec.get("dynamic"), "dynamic", name, path)
            try:
                spec["min_population"] = float(spec.get("min_population", 300))
            except (TypeError, ValueError) as exc:
                raise ConfigError(
                    "min_population muss eine Zahl sein", path=path, where=f"{where}.min_population"
                ) from exc
            exclude = spec.get("exclude") or []
            if not isinstance(exclude, list):
                raise ConfigError("exclude muss eine Liste von IDs sein", path=path, where=f"{where}.exclude")
            spec["exclude"] = [str(e) for e in exclude]
        else:
            domains = spec.get("domains")
            if not isinstance(domains, dict) or not domains:
                raise ConfigError(
                    "domains muss eine Zuordnung Indikator → Gewicht sein",
                    path=path,
                    where=f"{where}.domains",
                )
            for key, weight in domains.items():
                if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
                    raise ConfigError(
                        "Gewicht muss eine Zahl ≥ 0 sein", path=path, where=f"{where}.domains.{key}"
                    )
            hiw = spec.get("higher_is_worse", True)
            if not isinstance(hiw, bool | dict):
                raise ConfigError(
                    "higher_is_worse muss true/false oder eine Zuordnung sein",
                    path=path,
                    where=f"{where}.higher_is_worse",
                )
        out["indices"][str(name)] = spec
    return out


def _same_number(area: str, areas: set[str]) -> str:
    """ " (gemeint: 0101?)" when ``area`` differs from an id of ``areas`` only by leading zeros, else ""."""
    same = sorted(a for a in areas if a.lstrip("0") == area.lstrip("0"))
    return f" (gemeint: {same[0]}?)" if same else ""


def index_config_problems(
    cfg: dict, indicator_ids: Any, area_ids: Any, path: object = None
) -> list[ConfigError]:
    """The ids of a validated index configuration that the report's catalogue or data do not hold.

    Parameters
    ----------
    cfg : dict
        Validated configuration (:func:`validate_index_config` / :func:`load_index_config`).
    indicator_ids : iterable of str
        Ids of the report's indicator catalogue: every ``id`` of ``status`` / ``dynamic`` (entries with a
        ready-made ``column`` are not checked) and every key of ``domains`` must be one of them.
    area_ids : iterable of str
        Sozialraum ids of the data: every id in ``exclude`` must be one of them.
    path : path-like, optional
        The file, named in the errors.

    Returns
    -------
    list of ConfigError
        One German error per problem, ``where`` the YAML key to change (e.g. ``indices.mss.exclude``); empty
        when the configuration fits.

    Examples
    --------
    >>> from workbench.index import index_config_problems, validate_index_config
    >>> cfg = validate_index_config({"indices": {"mss": {"method": "mss", "status": ["s1", "s9"],
    ...                                                  "dynamic": ["s1"], "exclude": ["0105", 102]}}})
    >>> for e in index_config_problems(cfg, ["s1"], ["0101", "0102"]):
    ...     print(e.where, "|", e.problem)
    indices.mss.status[1].id | Indikator 's9' steht nicht im Indikatorenkatalog
    indices.mss.exclude | Sozialräume 0105, 102 (gemeint: 0102?) gibt es in den Daten nicht
    """
    known = {str(i) for i in indicator_ids}
    areas = {str(a) for a in area_ids}

    def similar(word: str, candidates: set[str]) -> str:
        close = difflib.get_close_matches(word, sorted(candidates), n=2, cutoff=0.75)
        return f" (ähnlich: {', '.join(close)})" if close else ""

    catalogue_hint = (
        "eine id aus dem Indikatorenkatalog eintragen (Schreibweise prüfen) oder den Eintrag löschen"
    )
    problems = []
    for name, spec in cfg["indices"].items():
        where = f"indices.{name}"
        if spec["method"] == "mss":
            for part in ("status", "dynamic"):
                for i, entry in enumerate(spec[part]):
                    if "column" not in entry and str(entry["id"]) not in known:
                        problems.append(
                            ConfigError(
                                f"Indikator {entry['id']!r}{similar(str(entry['id']), known)} steht nicht im "
                                "Indikatorenkatalog",
                                path=path,
                                where=f"{where}.{part}[{i}].id",
                                hint=catalogue_hint,
                            )
                        )
            missing = [a for a in spec["exclude"] if a not in areas]
            if missing:
                problems.append(
                    ConfigError(
                        f"Sozialr{'aum' if len(missing) == 1 else 'äume'} "
                        f"{', '.join(m + _same_number(m, areas) for m in missing)} gibt es in den "
                        "Daten nicht",
                        path=path,
                        where=f"{where}.exclude",
                        hint="Schlüssel wie in der Schlüsseltabelle schreiben (mit führenden Nullen, in "
                        "Anführungszeichen) oder aus der Liste löschen",
                    )
                )
        else:
            for key in spec["domains"]:
                if str(key) not in known:
                    problems.append(
                        ConfigError(
                            f"Indikator {key!r}{similar(str(key), known)} steht nicht im Indikatorenkatalog",
                            path=path,
                            where=f"{where}.domains.{key}",
                            hint=catalogue_hint,
                        )
                    )
    return problems


def load_index_config(path: str | Path) -> dict:
    """Read and validate an index YAML file (e.g. ``config/index.yaml``).

    Parameters
    ----------
    path : str or path-like
        The YAML file (UTF-8).

    Returns
    -------
    dict
        The validated, normalised configuration (see :func:`validate_index_config`).

    Raises
    ------
    ConfigError
        When the file is missing, not UTF-8 or not valid YAML, and for every error of
        :func:`validate_index_config` (the message names the file and the key).

    Notes
    -----
    Format (the methods are those of :func:`mss_index` and :func:`domain_index`; docs/METHODEN.md, Abschnitt
    „Sozialindex“)::

        indices:
          <name>:
            method: mss                 # or: domain
            title: "…"                  # German title for reports
            population: population      # indicator id / column of inhabitants (mss only, optional)
            min_population: 300         # mss only
            exclude: ["0305"]           # mss only, area ids kept out of the index
            status:  [{id: sgb2_quote, label: SGB-II-Quote}, …]
            dynamic: [{id: sgb2_quote, change_years: 2}, …]   # or {column: D1} for a ready-made change column
            domains: {sgb2_quote: 0.4, …}                     # domain only: id → weight (normalised)
            higher_is_worse: true                             # domain only: bool or {id: bool}

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from workbench.index import load_index_config
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "index.yaml"
    ...     _ = path.write_text("indices: {imd: {method: domain, domains: {sgb2: 2, ka: 1}}}", encoding="utf-8")
    ...     cfg = load_index_config(path)
    >>> cfg["indices"]["imd"]
    {'method': 'domain', 'domains': {'sgb2': 2, 'ka': 1}}
    """
    path = Path(path)
    cfg = read_yaml(path, "Index-Konfiguration", missing_hint="Pfad prüfen")
    return validate_index_config(cfg, path)


def _wide(df: pd.DataFrame, year: int | None) -> tuple[pd.DataFrame, Any]:
    """(wide table of year Y, accessor for other years) from long or wide input."""
    if LONG_COLUMNS <= set(df.columns):
        years = sorted(pd.unique(df["year"]))
        year = int(max(years)) if year is None else int(year)
        table = df.pivot_table(
            index="area_id", columns=["year", "indicator"], values="value", aggfunc="first"
        )

        def at(y: int) -> pd.DataFrame:
            if y not in table.columns.get_level_values(0):
                raise DataValidationError(
                    f"keine Werte für das Jahr {y}", hint=f"vorhandene Jahre: {[int(v) for v in years]}"
                )
            return table[y]

        return at(year), lambda y: at(year - y)
    wide = df.set_index("area_id") if "area_id" in df.columns else df
    return wide, None


def _column(
    entry: dict, part: str, spec_name: str, current: pd.DataFrame, earlier, data: pd.DataFrame
) -> str:
    """Put the entry's values (or their change over ``change_years``) into ``data``; returns the column name."""
    col = entry.get("column", entry.get("id"))
    if col not in current.columns:
        raise DataValidationError(
            f"Indikator {col!r} fehlt in den Daten",
            where=f"indices.{spec_name}.{part}",
            hint="Indikator berechnen oder die Konfiguration anpassen",
        )
    if part == "dynamic" and "change_years" in entry:
        if earlier is None:
            raise DataValidationError(
                "Veränderungen (change_years) brauchen Daten im Langformat (area_id, year, indicator, value)",
                where=f"indices.{spec_name}.dynamic",
            )
        old = earlier(entry["change_years"])
        if col not in old.columns:
            raise DataValidationError(
                f"Indikator {col!r} fehlt im Vergleichsjahr", where=f"indices.{spec_name}"
            )
        key = f"{col}_change{entry['change_years']}"
        data[key] = current[col] - old[col].reindex(current.index)
        return key
    data[col] = current[col]
    return col


def run_index_config(
    cfg: dict, df: pd.DataFrame, year: int | None = None, name: str | None = None
) -> pd.DataFrame:
    """Compute the indices an index configuration describes.

    Parameters
    ----------
    cfg : dict
        Index configuration (parsed YAML; validated again here, see :func:`load_index_config`).
    df : pandas.DataFrame
        Indicator values, either *long* (columns ``area_id, year, indicator, value`` — the indicator engine's
        output) or *wide* (one row per area, index or column ``area_id``, one column per indicator).
    year : int, optional
        Reporting year of long input; default the latest year. Ignored for wide input.
    name : str, optional
        Compute only this index and return its result unprefixed.

    Returns
    -------
    pandas.DataFrame
        With ``name``: the result of that index alone (columns as from :func:`mss_index` /
        :func:`domain_index`). Otherwise all indices side by side with columns ``"<name>.<column>"``.

    Raises
    ------
    ConfigError
        For an invalid configuration or an index ``name`` that is not configured.
    DataValidationError
        When an indicator, the population column or the comparison year is missing, when ``change_years`` is
        used with wide input, and for the errors of :func:`mss_index` / :func:`domain_index`.

    Notes
    -----
    Methods: docs/METHODEN.md, Abschnitt „Sozialindex“.

    Dynamic entries with ``change_years: k`` are value(Y) − value(Y − k) in the indicator's unit (percentage
    points for shares) and need long input.

    Examples
    --------
    The five areas of the :func:`mss_index` example in long form: the dynamic indicator is the change of s1
    over two years (by hand: −0.5, 0, 0, 0, +0.5 percentage points → Dynamik-Index ∓1.581139):

    >>> import pandas as pd
    >>> from workbench.index import run_index_config
    >>> cfg = {"indices": {"mss": {"method": "mss", "status": ["s1", "s2"],
    ...                            "dynamic": [{"id": "s1", "change_years": 2}]}}}
    >>> now = pd.DataFrame({"area_id": list("ABCDE"), "year": 2024, "indicator": "s1", "value": [2.0, 4, 6, 8, 10]})
    >>> s2 = now.assign(indicator="s2", value=[1.0, 1, 1, 1, 6])
    >>> old = now.assign(year=2022, value=[2.5, 4, 6, 8, 9.5])
    >>> r = run_index_config(cfg, pd.concat([now, s2, old]), name="mss")
    >>> r["dynamic_index"].round(6).tolist(), r["overall_class"].tolist()
    ([-1.581139, 0.0, 0.0, 0.0, 1.581139], ['1+', '2+/-', '2+/-', '2+/-', '4-'])
    """

    cfg = validate_index_config(cfg)
    current, earlier = _wide(df, year)
    names = [name] if name else list(cfg["indices"])
    results = []
    for nm in names:
        if nm not in cfg["indices"]:
            raise ConfigError(
                f"Index {nm!r} nicht konfiguriert", where="indices", hint=f"{list(cfg['indices'])}"
            )
        spec = cfg["indices"][nm]
        data = pd.DataFrame(index=current.index)

        if spec["method"] == "mss":
            status = [_column(e, "status", nm, current, earlier, data) for e in spec["status"]]
            dynamic = [_column(e, "dynamic", nm, current, earlier, data) for e in spec["dynamic"]]
            pop = None
            if spec.get("population"):
                pcol = spec["population"]
                if pcol not in current.columns:
                    raise DataValidationError(
                        f"Einwohnerzahl {pcol!r} fehlt in den Daten", where=f"indices.{nm}.population"
                    )
                pop = current[pcol]
            res = mss_index(
                data,
                status,
                dynamic,
                population=pop,
                min_population=spec["min_population"],
                exclude=spec["exclude"],
            )
        else:
            for key in spec["domains"]:
                _column({"id": key}, "domains", nm, current, earlier, data)
            res = domain_index(data, spec["domains"], spec.get("higher_is_worse", True))
        if name:
            return res
        results.append(res.add_prefix(f"{nm}."))
    return pd.concat(results, axis=1)
