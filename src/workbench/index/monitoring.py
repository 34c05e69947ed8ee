"""Monitoring computations shared by the chapter "Sozialraum-Monitoring" and the profiles: MSS-style status/dynamic
index, class changes, domain index, typology, robustness.

Everything the chapter notebook shows is computed here from the *published* indicator values
(``pub_value``, ``pub_lower95``, ``pub_upper95`` of :attr:`workbench.chapters.context.Chapter.indicators`):

* **Index** (:func:`compute_index`): the Berlin MSS stepwise z-index of :func:`workbench.index.mss_index` with
  the status indicators of ``config/index.yaml`` in the reporting year and their change over ``change_years``
  (percentage points) as dynamic indicators. An area takes part when it has at least ``min_population``
  inhabitants (31.12. of the year), is not listed under ``exclude`` and **all** its input values are published
  (indicator status "shown" in both years). Areas with a suppressed input are "nicht bewertet": a z-value built
  on a suppressed rate would let the rate be recovered from the index.
* **Status only**: a change needs two points in time. When the data lack a comparison year (one year of data,
  or fewer years than ``change_years``), the index is the status-only index of :func:`workbench.index.mss_index`:
  Status-Index and status classes as usual, no Dynamik-Index, no dynamic class and no 12-group Gesamtindex
  (``dynamic_index`` NaN, ``dynamic_class`` / ``overall_class`` <NA>, keys :data:`NOT_COMPUTED`); the German
  sentence why is ``attrs["dynamic_missing"]`` (:func:`dynamic_missing_text`).
* **Robustness** (:func:`workbench.index.class_stability`): the indicators are redrawn from normal distributions
  with the width of their 95 % intervals; for a change x_t − x_(t−k) the interval half-width is the two years'
  half-widths combined in quadrature, h = √(h_t² + h_(t−k)²) (independent years; Wilson intervals are treated as
  symmetric with sd = (upper − lower) / (2 · 1,96)). A class is "unsicher" when fewer than ``threshold``
  (default 80 %) of the draws give the same class.
* **Class changes** against the index of the previous year, the IMD-style **domain index** (deciles) and a
  k-means **typology**, both configured in ``config/index.yaml``.

Maps and tables: :mod:`workbench.chapters.monitoring`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench import settings
from workbench.errors import ConfigError, DataValidationError
from workbench.index._config import load_index_config
from workbench.index._mss import (
    DYNAMIC_LABELS,
    STATUS_LABELS,
    class_stability,
    domain_index,
    index_years,
    mss_index,
)
from workbench.render import fmt

NOT_ASSESSED = "nicht bewertet"
"""Label (and category key) of areas outside the index."""

NOT_COMPUTED = "nicht berechnet"
"""Dynamic and overall key of every area when the index is status only (no comparison year in the data)."""

DYNAMIC_KEYS = {1: "+", 2: "±", 3: "−"}
"""Dynamic class → sign used by :func:`workbench.render.maps.mss_categories` ("+", "±", "−")."""

REASON_POPULATION = "weniger als {n} Einwohner"
REASON_SUPPRESSED = "Indikator geheimgehalten"
REASON_EXCLUDED = "von der Bewertung ausgenommen (Konfiguration)"
REASON_MISSING = "Indikator fehlt"


def overlay_key(code: Any) -> Any:
    """Berlin notation of an overall class → the key of ``maps.mss_categories("overlay")``.

    ``"2-"`` → ``"2−"``, ``"1+/-"`` → ``"1±"``, ``"3+"`` → ``"3+"``; missing stays missing.

    >>> [overlay_key(c) for c in ["2-", "1+/-", "4+"]]
    ['2−', '1±', '4+']
    """
    if code is None or code is pd.NA or (isinstance(code, float) and np.isnan(code)):
        return pd.NA
    text = str(code).strip()
    if text.endswith("+/-"):
        return text[:-3] + "±"
    if text.endswith("-"):
        return text[:-1] + "−"
    return text


def load_spec(path: str | Path | None = None, name: str | None = None) -> tuple[dict, dict]:
    """(MSS index spec, whole validated config) from ``path``, else the report's index config
    (``config_files: index:``, else ``config/index.yaml``).

    ``name`` picks the MSS index; by default the first index with ``method: mss``.
    """
    cfg = load_index_config(path or settings.active().files.index)
    names = [n for n, s in cfg["indices"].items() if s["method"] == "mss"]
    if name is None:
        if not names:
            raise ConfigError("kein Index mit method: mss konfiguriert", where="indices")
        name = names[0]
    if name not in names:
        raise ConfigError(
            f"MSS-Index {name!r} nicht konfiguriert", where="indices", hint=f"vorhanden: {names}"
        )
    return cfg["indices"][name], cfg


def area_population(population: pd.DataFrame) -> pd.DataFrame:
    """Inhabitants per area (rows) and year (columns) from ``population.parquet``."""
    return population.groupby(["area_id", "year"])["count"].sum().unstack("year")


def change_interval(
    value: pd.Series,
    lower: pd.Series,
    upper: pd.Series,
    value0: pd.Series,
    lower0: pd.Series,
    upper0: pd.Series,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(change, lower, upper) of x_t − x_0 with the 95 % half-widths combined in quadrature.

    h = √(((u_t − l_t)/2)² + ((u_0 − l_0)/2)²); interval = change ± h. Assumes independent errors of the two
    years; Wilson intervals are treated as symmetric (their mean half-width).

    >>> c, lo, hi = change_interval(*(pd.Series([v]) for v in (12.0, 11.0, 13.0, 10.0, 9.25, 10.75)))
    >>> float(c[0]), float(lo[0]), float(hi[0])
    (2.0, 0.75, 3.25)
    """
    change = value - value0
    half = np.sqrt(((upper - lower) / 2) ** 2 + ((upper0 - lower0) / 2) ** 2)
    return change, change - half, change + half


def _wide(indicators: pd.DataFrame, ids: list[str], year: int, level: str, column: str) -> pd.DataFrame:
    rows = indicators[
        (indicators["level"] == level) & (indicators["year"] == year) & indicators["indicator"].isin(ids)
    ]
    return rows.pivot_table(index="unit_id", columns="indicator", values=column, aggfunc="first").reindex(
        columns=ids
    )


@dataclass
class IndexInputs:
    """Wide inputs of the index for one year: values, 95 % bounds, reason why an area is left out."""

    values: pd.DataFrame
    lower: pd.DataFrame
    upper: pd.DataFrame
    status: list[str]
    dynamic: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    suppressed: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))
    dynamic_missing: str = ""
    """German sentence why the dynamic part is missing ("" when it is there; then ``dynamic`` is empty)."""


def years_text(years) -> str:
    """German list of years (no thousands separator): three or more consecutive years as a range.

    >>> years_text([2024]), years_text([2023, 2024]), years_text([2019, 2020, 2021]), years_text([2020, 2022, 2024])
    ('2024', '2023 und 2024', '2019–2021', '2020, 2022 und 2024')
    >>> years_text([])
    'keine'
    """
    years = sorted(int(y) for y in years)
    if not years:
        return "keine"
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    text = [str(y) for y in years]
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " und " + text[-1]


def dynamic_missing_text(spec: dict, year: int, available: list[int]) -> str:
    """German sentence why the Dynamik-Index of ``year`` cannot be computed ("" when it can).

    >>> spec = {"status": [{"id": "s"}], "dynamic": [{"id": "s", "change_years": 2}]}
    >>> dynamic_missing_text(spec, 2024, [2024])
    'Dynamik-Index und Gesamtindex (12 Gruppen) fehlen: Die Dynamik ist die Veränderung der Indikatoren über 2 Jahre und braucht Daten zu zwei Zeitpunkten (2022 und 2024); für 2022 liegen keine Daten vor (vorhanden: 2024). Gezeigt wird nur der Status-Index.'
    >>> dynamic_missing_text(spec, 2024, [2022, 2023, 2024])
    ''
    """
    need = list(index_years(spec, year)["dynamic"])
    missing = sorted(set(need) - {int(y) for y in available})
    if not missing:
        return ""
    spans = sorted({int(e["change_years"]) for e in spec["dynamic"] if e.get("change_years")})
    span = " bzw. ".join(str(k) for k in spans)
    unit = "Jahr" if spans == [1] else "Jahre"
    return (
        "Dynamik-Index und Gesamtindex (12 Gruppen) fehlen: Die Dynamik ist die Veränderung der Indikatoren "
        f"über {span} {unit} und braucht Daten zu zwei Zeitpunkten ({years_text(need)}); für "
        f"{years_text(missing)} liegen keine Daten vor (vorhanden: {years_text(available)}). "
        "Gezeigt wird nur der Status-Index."
    )


def index_inputs(indicators: pd.DataFrame, spec: dict, year: int, level: str = "sozialraum") -> IndexInputs:
    """Status values of ``year`` and dynamic changes over ``change_years`` with their 95 % intervals.

    Only published columns are used. ``suppressed`` is True for an area when any input (either year) is not
    shown; its values are then NaN. When a comparison year of the dynamic part is not in the data, the inputs
    are status only: ``dynamic`` is empty and ``dynamic_missing`` says why (:func:`dynamic_missing_text`).
    """
    need = {"indicator", "level", "unit_id", "year", "status", "pub_value", "pub_lower95", "pub_upper95"}
    missing = need - set(indicators.columns)
    if missing:
        raise DataValidationError(
            f"Indikatortabelle ohne Spalten {sorted(missing)}", hint="ch.indicators (geschützt) übergeben"
        )
    ids = sorted({e.get("column", e.get("id")) for e in spec["status"] + spec["dynamic"]})
    known = set(indicators["indicator"].unique())
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ConfigError(
            f"Indikator(en) {unknown} der Index-Konfiguration fehlen im Indikatorenkatalog",
            where="config/index.yaml",
            hint="IDs aus config/indicators.yaml verwenden",
        )
    years = set(index_years(spec, year)["dynamic"])
    available = set(indicators.loc[indicators["level"] == level, "year"].astype(int))
    if year not in available:
        raise DataValidationError(
            f"für den Index fehlen die Jahre {sorted(years - available)}",
            hint=f"vorhandene Jahre: {sorted(available)}; Berichtsjahr oder change_years anpassen",
        )
    dynamic_missing = dynamic_missing_text(spec, year, sorted(available))
    dynamic_spec = [] if dynamic_missing else spec["dynamic"]
    if dynamic_missing:
        years = {year}
    frames = {
        y: {
            c: _wide(indicators, ids, y, level, c)
            for c in ("pub_value", "pub_lower95", "pub_upper95", "status")
        }
        for y in years
    }
    # every area with a row in the indicator table, also one whose values are all missing (not assessed)
    units = sorted(set().union(*(f["status"].index for f in frames.values())))
    cur = {k: v.reindex(units) for k, v in frames[year].items()}
    values, lower, upper = pd.DataFrame(index=units), pd.DataFrame(index=units), pd.DataFrame(index=units)
    hidden = pd.Series(False, index=units)
    status_cols, dynamic_cols, labels = [], [], {}
    used: list[tuple[int, str]] = []
    for e in spec["status"]:
        col = e.get("column", e.get("id"))
        values[col], lower[col], upper[col] = (
            cur["pub_value"][col],
            cur["pub_lower95"][col],
            cur["pub_upper95"][col],
        )
        status_cols.append(col)
        labels[col] = e.get("label", col)
        used.append((year, col))
    for e in dynamic_spec:
        col, k = e.get("column", e.get("id")), int(e.get("change_years", 0))
        old = {key: v.reindex(units) for key, v in frames[year - k].items()}
        name = f"{col}_change{k}" if k else col
        if k:
            values[name], lower[name], upper[name] = change_interval(
                cur["pub_value"][col],
                cur["pub_lower95"][col],
                cur["pub_upper95"][col],
                old["pub_value"][col],
                old["pub_lower95"][col],
                old["pub_upper95"][col],
            )
            used.append((year - k, col))
        else:
            values[name], lower[name], upper[name] = (
                cur[c][col] for c in ("pub_value", "pub_lower95", "pub_upper95")
            )
        used.append((year, col))
        dynamic_cols.append(name)
        labels[name] = e.get("label", name)
    for y, col in used:
        st = frames[y]["status"].reindex(units)[col]
        hidden |= st.notna() & (st != "shown")
        hidden |= frames[y]["pub_value"].reindex(units)[col].isna() & st.notna()
    cols = list(values.columns)
    values.loc[hidden, cols] = np.nan
    return IndexInputs(values, lower, upper, status_cols, dynamic_cols, labels, hidden, dynamic_missing)


def compute_index(
    indicators: pd.DataFrame,
    population: pd.DataFrame,
    year: int,
    spec: dict,
    *,
    level: str = "sozialraum",
    robustness: dict | None = None,
) -> pd.DataFrame:
    """The MSS-style index of ``year`` per area with exclusion reasons and class stability.

    ``population``: inhabitants per area × year (:func:`area_population`). Returns one row per area (index
    area id) with the input columns, ``population``, ``assessed``, ``reason`` (German, "" when assessed),
    ``status_index``, ``status_class``, ``dynamic_index``, ``dynamic_class``, ``overall_class`` (Berlin
    notation "2-"), ``status_key``, ``dynamic_key``, ``overlay_key`` (map keys, "nicht bewertet" when left out),
    ``status_share``, ``dynamic_share`` (share of the simulations keeping the class) and ``unstable``.
    ``robustness``: ``n_draws`` (500), ``seed`` (0), ``threshold`` (0.8).

    When the data lack a comparison year of the dynamic part, the index is **status only**: no change columns,
    ``dynamic_index`` / ``dynamic_share`` NaN, ``dynamic_class`` / ``overall_class`` <NA>, ``dynamic_key`` and
    ``overlay_key`` :data:`NOT_COMPUTED` in every area, ``unstable`` = ``status_unstable``; ``attrs["dynamic"]``
    is empty and ``attrs["dynamic_missing"]`` holds the German reason ("" when the index is complete).
    """
    rob = {"n_draws": 500, "seed": 0, "threshold": 0.8, **(robustness or {})}
    inp = index_inputs(indicators, spec, year, level)
    units = inp.values.index
    if year not in population.columns:
        raise DataValidationError(f"keine Einwohnerzahlen für {year}", hint="population.parquet prüfen")
    pop = population[year].reindex(units)
    minimum = float(spec.get("min_population", 300))
    configured = [str(x) for x in spec.get("exclude", [])]
    nan_input = inp.values.isna().any(axis=1) & ~inp.suppressed
    reason = pd.Series("", index=units, dtype=object)
    reason[nan_input] = REASON_MISSING
    reason[inp.suppressed] = REASON_SUPPRESSED
    reason[units.isin(configured)] = REASON_EXCLUDED
    reason[(pop.fillna(0) < minimum).to_numpy()] = REASON_POPULATION.format(n=fmt.number(minimum))
    leave_out = list(units[reason != ""])
    kwargs = {"population": pop, "min_population": minimum, "exclude": leave_out}
    res = mss_index(inp.values, inp.status, inp.dynamic, **kwargs)
    valid = np.asarray(res["valid"], dtype=bool)
    cols = inp.status + inp.dynamic
    # published values without counts have no interval: the robustness of the classes cannot be simulated
    no_interval = [c for c in cols if not (np.isfinite(inp.lower[c].to_numpy()[valid]).all() and valid.any())]
    rob["computed"] = not no_interval
    if no_interval:
        rob["missing"] = [inp.labels.get(c, c) for c in no_interval]
        stab = pd.DataFrame(
            {"status_share": np.nan, "dynamic_share": np.nan}, index=inp.values.index, dtype="float64"
        )
    else:
        stab = class_stability(
            inp.values,
            inp.lower,
            inp.upper,
            inp.status,
            inp.dynamic,
            n_draws=int(rob["n_draws"]),
            seed=int(rob["seed"]),
            threshold=float(rob["threshold"]),
            **kwargs,
        )
    out = inp.values.copy()
    out["population"] = pop
    out["assessed"] = res["valid"].astype(bool)
    out["reason"] = reason
    for col in ("status_index", "status_class", "dynamic_index", "dynamic_class", "overall_class"):
        out[col] = res[col]
    ok = out["assessed"]
    out["status_key"] = out["status_class"].astype("string").where(ok, NOT_ASSESSED).astype(object)
    if inp.dynamic:
        out["dynamic_key"] = (
            out["dynamic_class"].map(DYNAMIC_KEYS, na_action="ignore").where(ok, NOT_ASSESSED)
        )
        out["overlay_key"] = out["overall_class"].map(overlay_key, na_action="ignore").where(ok, NOT_ASSESSED)
    else:  # status only: no area has a dynamic class or an overall group
        out["dynamic_key"] = NOT_COMPUTED
        out["overlay_key"] = NOT_COMPUTED
    out["status_share"] = stab["status_share"]
    out["dynamic_share"] = stab["dynamic_share"]
    thr = float(rob["threshold"])
    out["status_unstable"] = (out["status_share"] < thr).where(ok, False).astype(bool)
    out["dynamic_unstable"] = (out["dynamic_share"] < thr).where(ok, False).astype(bool)
    out["unstable"] = out["status_unstable"] | out["dynamic_unstable"]
    out.index.name = "area_id"
    out.attrs.update(year=year, status=inp.status, dynamic=inp.dynamic, labels=inp.labels, robustness=rob)
    if inp.dynamic_missing:
        out.attrs["dynamic_missing"] = inp.dynamic_missing
    return out


def status_only(index: pd.DataFrame) -> bool:
    """True when ``index`` (from :func:`compute_index`) has no dynamic part (no comparison year in the data)."""
    return not index.attrs.get("dynamic")


def class_label(kind: str, cls: Any) -> str:
    """German class label: status 3 → "3 niedrig", dynamic 1 → "positiv"; missing → "nicht bewertet"."""
    if cls is None or cls is pd.NA or (isinstance(cls, float) and np.isnan(cls)):
        return NOT_ASSESSED
    if kind == "status":
        return f"{int(cls)} {STATUS_LABELS[int(cls)]}"
    return DYNAMIC_LABELS[int(cls)]


def class_changes(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Areas assessed in both years whose status or dynamic class changed (index area id).

    Columns: ``status_before``, ``status_now``, ``dynamic_before``, ``dynamic_now`` (German labels),
    ``overall_before``, ``overall_now`` (map notation "2−"), ``status_changed``, ``dynamic_changed``.
    When either index is status only (no dynamic classes), only the status classes are compared
    (``dynamic_changed`` False); ``attrs["dynamic_compared"]`` says whether the dynamic classes were compared.
    """
    both = current.index[current["assessed"]].intersection(previous.index[previous["assessed"]])
    cur, prev = current.loc[both], previous.loc[both]
    s_ch = (cur["status_class"] != prev["status_class"]).astype(bool)
    dynamic = bool(cur["dynamic_class"].notna().all() and prev["dynamic_class"].notna().all())
    if dynamic:
        d_ch = (cur["dynamic_class"] != prev["dynamic_class"]).astype(bool)
    else:
        d_ch = pd.Series(False, index=both)
    changed = both[(s_ch | d_ch).to_numpy()]
    out = pd.DataFrame(index=changed)
    out["status_before"] = [class_label("status", v) for v in prev.loc[changed, "status_class"]]
    out["status_now"] = [class_label("status", v) for v in cur.loc[changed, "status_class"]]
    out["dynamic_before"] = [class_label("dynamic", v) for v in prev.loc[changed, "dynamic_class"]]
    out["dynamic_now"] = [class_label("dynamic", v) for v in cur.loc[changed, "dynamic_class"]]
    out["overall_before"] = prev.loc[changed, "overlay_key"]
    out["overall_now"] = cur.loc[changed, "overlay_key"]
    out["status_changed"] = s_ch[changed]
    out["dynamic_changed"] = d_ch[changed]
    out.attrs["n_compared"] = len(both)
    out.attrs["dynamic_compared"] = dynamic
    return out


def deprivation_deciles(
    indicators: pd.DataFrame,
    population: pd.DataFrame,
    year: int,
    spec: dict,
    min_population: float = 300,
    level: str = "sozialraum",
) -> pd.DataFrame | None:
    """IMD-style domain index (:func:`workbench.index.domain_index`) of ``year`` on published values.

    Areas with a suppressed domain indicator or fewer than ``min_population`` inhabitants are left out
    (``decile`` missing). ``None`` when fewer than 10 areas remain (deciles would be meaningless).
    """
    domains = list(spec["domains"])
    vals = _wide(indicators, domains, year, level, "pub_value")
    shown = _wide(indicators, domains, year, level, "status").eq("shown").all(axis=1)
    pop = population[year].reindex(vals.index)
    ok = shown & vals.notna().all(axis=1) & (pop >= min_population)
    if ok.sum() < 10:
        return None
    res = domain_index(vals[ok], spec["domains"], spec.get("higher_is_worse", True))
    out = res.reindex(vals.index)
    out["decile"] = out["decile"].astype("Int64")
    out.index.name = "area_id"
    return out


def typology_frame(index: pd.DataFrame) -> pd.DataFrame:
    """The index inputs (status values and changes) of the assessed areas, for :func:`workbench.index.typology`."""
    cols = list(dict.fromkeys(index.attrs["status"] + index.attrs["dynamic"]))
    return index.loc[index["assessed"], cols]


# ------------------------------------------------------------------------------------------------ text
