"""Configured projection runs: parameters and scenarios from the report's projection config, the status quo
and every scenario from the reporting year, planning age groups, and the back-test.

Used by the Demografie chapter (tables, maps, charts in :mod:`workbench.chapters.demography_projection`) and by
the Kita planning of the chapter Kinder, Jugend und Familie. The model itself is the cohort-component
projection of :mod:`workbench.projection`. Configuration keys are documented in ``config/projection.yaml``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench import settings
from workbench.errors import ConfigError
from workbench.projection import STATUS_QUO, Scenario, backtest, estimate_rates, load_scenarios, project
from workbench.projection.evaluation import METHOD_LABELS, _hp_long, available_base_years, stock_tables
from workbench.render import fmt
from workbench.settings import read_yaml

CHANGE_GROUPS: dict[str, tuple[int, int]] = {
    "0–5": (0, 5),
    "6–17": (6, 17),
    "18–64": (18, 64),
    "65+": (65, 100),
    "80+": (80, 100),
}
"""Planning age groups of the change table and maps (inclusive bounds, 100 = 100 and older)."""


@dataclass(frozen=True)
class ProjectionConfig:
    """Parameters of the chapter's projection (``config/projection.yaml``; see the comments there)."""

    horizon: int = 15
    max_base_years: int = 3
    smoothing: str = "band5"
    shrinkage: str | float = "auto"
    rounding: int = 10
    backtest_span: int = 3
    control_total: Mapping[int, float] | None = None
    control_total_source: str = ""
    scenarios: tuple[Scenario, ...] = (Scenario(),)
    source: Path | None = None


def _positive_int(data: Mapping[str, Any], key: str, default: int, where: Path | None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{key} muss eine ganze Zahl ≥ 1 sein, gefunden {value!r}", path=where, where=key)
    return value


def load_projection_config(source: str | Path | Mapping[str, Any] | None = None) -> ProjectionConfig:
    """Read the projection parameters and scenarios from a YAML file (or an already parsed mapping).

    ``None`` reads the report's projection config (``config_files: projection:``, else
    ``config/projection.yaml``). Unknown keys, wrong types and bad scenario
    entries raise a German ``ConfigError`` naming file and key. The status quo is always the first scenario.
    """
    path: Path | None = None
    if source is None or isinstance(source, str | Path):
        path = settings.resolve_path(source) if source is not None else settings.active().files.projection
        data = read_yaml(path, "Prognose-Konfiguration", missing_hint="config/projection.yaml anlegen") or {}
    else:
        data = source
    if not isinstance(data, Mapping):
        raise ConfigError("erwartet eine Zuordnung (key: value)", path=path)
    known = {
        "horizon", "max_base_years", "smoothing", "shrinkage", "rounding", "backtest_span",
        "control_total", "control_total_source", "scenarios",
    }  # fmt: skip
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise ConfigError(
            f"unbekannte Schlüssel {', '.join(unknown)}",
            path=path,
            hint=f"erlaubt: {', '.join(sorted(known))}",
        )
    control = data.get("control_total")
    if control is not None:
        if not isinstance(control, Mapping) or not control:
            raise ConfigError(
                "control_total muss eine Zuordnung Jahr → Einwohner sein (oder null)",
                path=path,
                where="control_total",
            )
        try:
            control = {int(y): float(v) for y, v in control.items()}
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                "control_total: Jahre und Einwohnerzahlen müssen Zahlen sein",
                path=path,
                where="control_total",
            ) from exc
        bad = [y for y, v in control.items() if not math.isfinite(v) or v <= 0]
        if bad:
            raise ConfigError(
                f"control_total {bad[0]}: keine positive Einwohnerzahl", path=path, where="control_total"
            )
    try:
        scenarios = tuple(load_scenarios(data.get("scenarios")))
    except ConfigError as exc:
        raise ConfigError(str(exc), path=path) from exc
    shrinkage = data.get("shrinkage", "auto")
    return ProjectionConfig(
        horizon=_positive_int(data, "horizon", 15, path),
        max_base_years=_positive_int(data, "max_base_years", 3, path),
        smoothing=str(data.get("smoothing", "band5")),
        shrinkage=shrinkage,
        rounding=_positive_int(data, "rounding", 10, path),
        backtest_span=_positive_int(data, "backtest_span", 3, path),
        control_total=control,
        control_total_source=str(data.get("control_total_source") or ""),
        scenarios=scenarios,
        source=path,
    )


@dataclass(frozen=True)
class ScenarioCheck:
    """How one configured scenario fits a city's areas (:func:`scenario_checks`).

    ``use``: the scenario is computed for this report; ``error``: the config does not fit the data and must be
    changed (``problem`` and ``hint`` in German, ``key`` the YAML key to change); neither: a scenario of the
    demo city that this report leaves out, with the reason in ``problem``.
    """

    name: str
    key: str
    use: bool = True
    error: bool = False
    problem: str = ""
    hint: str = ""


def _id_list(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" und {fmt.number(len(ids) - limit)} weitere" if len(ids) > limit else "")


def scenario_checks(config: ProjectionConfig, area_ids: Any, *, demo: bool) -> list[ScenarioCheck]:
    """Check the scenarios of ``config`` against the Sozialraum ids of a city's data (``area_ids``).

    ``demo``: the report config asks for the demo city (key ``demo:``). Rules, one :class:`ScenarioCheck` per
    scenario besides the status quo:

    * a scenario whose ``extra_in_migrants`` name areas the data do not hold is an error (the projection
      would stop) — unless it is marked ``demo_only``;
    * a ``demo_only`` scenario (it names areas of the generated demo city) is computed only for a demo config
      whose data hold all its areas; for a city's own config, or a demo city of another size or seed, it is
      left out with a German reason — a city never gets the demo's area ids.
    """
    ids = sorted({str(a) for a in area_ids})
    known = set(ids)
    out = []
    for sc in config.scenarios:
        if sc.name == STATUS_QUO:
            continue
        key = f"scenarios → {sc.name} → extra_in_migrants"
        unknown = sorted(set(sc.extra_in_migrants) - known)
        if sc.demo_only and not demo:
            out.append(
                ScenarioCheck(
                    sc.name,
                    f"scenarios → {sc.name} → demo_only",
                    use=False,
                    problem=f"Szenario „{sc.label_de}“ gehört zur Demo-Stadt (demo_only: true) und wird für "
                    "diesen Bericht nicht gerechnet",
                    hint="eigene Szenarien mit den Sozialraum-Schlüsseln der Stadt in einer eigenen "
                    "Prognose-Konfiguration anlegen (config_files: projection: in der Berichtskonfiguration)",
                )
            )
        elif unknown and sc.demo_only:
            out.append(
                ScenarioCheck(
                    sc.name,
                    key,
                    use=False,
                    problem=f"Szenario „{sc.label_de}“ der Demo-Stadt nennt Sozialräume, die diese Demo-Stadt "
                    f"({fmt.number(len(ids))} Sozialräume) nicht hat ({_id_list(unknown)}); es wird ausgelassen",
                    hint="die Schlüssel passen zur Standard-Demo (demo: {areas: 40, seed: 2024}); für diese "
                    "Demo-Stadt eigene Schlüssel eintragen, sonst nichts zu tun",
                )
            )
        elif unknown:
            out.append(
                ScenarioCheck(
                    sc.name,
                    key,
                    use=False,
                    error=True,
                    problem=f"unbekannte Sozialräume {_id_list(unknown)} – die Daten haben {fmt.number(len(ids))} "
                    f"Sozialräume ({_id_list(ids, 3)})",
                    hint="Sozialraum-Schlüssel der Stadt eintragen (wie in der Schlüsseltabelle, mit führenden "
                    "Nullen, in Anführungszeichen) oder das Szenario löschen",
                )
            )
        else:
            out.append(ScenarioCheck(sc.name, key))
    return out


def for_report(config: ProjectionConfig, area_ids: Any, *, demo: bool) -> ProjectionConfig:
    """``config`` without the demo-city scenarios this report leaves out (:func:`scenario_checks`).

    Scenarios with unknown areas that are no demo scenarios stay in: the projection stops on them with the
    German error (``workbench check`` names them before anything is built).
    """
    skip = {c.name for c in scenario_checks(config, area_ids, demo=demo) if not c.use and not c.error}
    if not skip:
        return config
    kept = tuple(s for s in config.scenarios if s.name not in skip)
    return replace(config, scenarios=kept)


def interpolate_control(
    control: Mapping[int, float] | None, base_year: int, base_total: float, horizon: int
) -> dict[int, float]:
    """City control totals for every projected year up to the last given year (linear interpolation).

    Between the base year (observed total) and the first given year, and between given years, the control
    value is interpolated linearly; years after the last given year are not controlled. Given years outside
    (base_year, base_year + horizon] are ignored.
    """
    if not control:
        return {}
    pts = {base_year: float(base_total)}
    pts.update({int(y): float(v) for y, v in control.items() if base_year < int(y) <= base_year + horizon})
    if len(pts) == 1:
        return {}
    xs = np.array(sorted(pts), dtype=float)
    ys = np.array([pts[int(x)] for x in xs])
    years = range(base_year + 1, int(xs[-1]) + 1)
    return {y: float(np.interp(y, xs, ys)) for y in years}


@dataclass
class ProjectionRun:
    """Status quo and scenarios projected from 31.12.``base_year`` (long tables area × year × sex × age)."""

    base_year: int
    horizon: int
    base_years: list[int]
    rates: Any
    scenarios: list[Scenario]
    results: dict[str, pd.DataFrame]
    components: dict[str, pd.DataFrame]
    control: dict[int, float] = field(default_factory=dict)
    config: ProjectionConfig = field(default_factory=ProjectionConfig)
    method: str = "cohort-component"
    """``"cohort-component"`` (:func:`run_projection`) or ``"hamilton-perry"`` (:func:`run_stock_projection`)."""

    @property
    def method_label(self) -> str:
        """German name of the method (:data:`workbench.projection.evaluation.METHOD_LABELS`)."""
        return METHOD_LABELS[self.method]

    @property
    def horizon_year(self) -> int:
        return self.base_year + self.horizon

    def label(self, name: str) -> str:
        return next(s.label_de for s in self.scenarios if s.name == name)


def run_projection(
    population: pd.DataFrame, events: pd.DataFrame, year: int, config: ProjectionConfig | None = None
) -> ProjectionRun:
    """Project all scenarios ``config.horizon`` years from 31.12.``year``.

    Status-quo rates come from the last ``max_base_years`` usable years ≤ ``year`` (averaged). The optional
    city control total (interpolated, :func:`interpolate_control`) is applied to the status quo only: the
    scenarios are variants *against* the model's status quo, and a control total from a higher-level forecast
    would cancel exactly the local effects (new housing) they are meant to show.
    """
    config = config or ProjectionConfig()
    used = available_base_years(population, events, year, config.max_base_years)
    rates = estimate_rates(
        population[population["year"] <= year],
        events[events["year"] <= year],
        used,
        config.smoothing,
        config.shrinkage,
    )
    base = population[population["year"] == year]
    control = interpolate_control(config.control_total, year, float(base["count"].sum()), config.horizon)
    results, comps = {}, {}
    for sc in config.scenarios:
        res, comp = project(
            base,
            rates,
            year,
            config.horizon,
            scenario=sc,
            control_total=control if sc.name == STATUS_QUO else None,
            return_components=True,
        )
        results[sc.name], comps[sc.name] = res, comp
    return ProjectionRun(
        year, config.horizon, used, rates, list(config.scenarios), results, comps, control, config
    )


def run_stock_projection(
    population: pd.DataFrame | None,
    age_groups: pd.DataFrame | None,
    stock_years: list[int],
    year: int,
    config: ProjectionConfig | None = None,
) -> ProjectionRun:
    """Status quo from the stocks alone (Hamilton–Perry), ``config.horizon`` years from ``year``.

    The stocks of ``stock_years`` up to ``year`` (:func:`workbench.projection.evaluation.stock_tables`, sexes
    added up) are graduated to single years; the result has the same long form as :func:`run_projection`
    (area_id, year, sex ``"insgesamt"``, age, count; the open age group at its lower bound) including the base
    year (graduated stock). Scenarios and control totals are not applied: they change components this method
    does not know.
    """
    config = config or ProjectionConfig()
    stocks = stock_tables(population, age_groups, [y for y in stock_years if y <= year])
    cache: dict[int, Any] = {}
    from workbench.projection.evaluation import _graduated  # noqa: PLC0415

    frames = [_graduated(stocks, year, cache).assign(year=year)]
    for h in range(1, config.horizon + 1):
        frames.append(_hp_long(stocks, year, year + h, cache).assign(year=year + h))
    res = pd.concat(frames, ignore_index=True).assign(sex="insgesamt")[
        ["area_id", "year", "sex", "age", "count"]
    ]
    used = sorted(stocks)[-6:]
    status_quo = Scenario(
        description_de="Veränderung jedes Jahrgangs zwischen den letzten Stichtagen (Kohortenveränderungsraten) "
        "unverändert fortgeschrieben."
    )
    return ProjectionRun(
        year, config.horizon, used, None, [status_quo], {STATUS_QUO: res}, {}, {}, config, "hamilton-perry"
    )


def _group_sum(df: pd.DataFrame, lo: int, hi: int, by: list[str]) -> pd.Series:
    sub = df[(df["age"] >= lo) & (df["age"] <= hi)]
    return sub.groupby(by)["count"].sum()


def group_changes(run: ProjectionRun, scenario: str = STATUS_QUO, year: int | None = None) -> pd.DataFrame:
    """Per area and age group (:data:`CHANGE_GROUPS` plus "Insgesamt"): base count, projection, change in %.

    Columns: area_id, group, base (register count at 31.12. of the base year), projected (model value, not
    rounded), change_pct = (projected − base) / base · 100 (NaN when base is 0).
    """
    year = run.horizon_year if year is None else int(year)
    res = run.results[scenario]
    start, end = res[res["year"] == run.base_year], res[res["year"] == year]
    rows = []
    for g, (lo, hi) in {"Insgesamt": (0, 100), **CHANGE_GROUPS}.items():
        b, p = _group_sum(start, lo, hi, ["area_id"]), _group_sum(end, lo, hi, ["area_id"])
        rows.append(
            pd.DataFrame(
                {
                    "area_id": b.index,
                    "group": g,
                    "base": b.to_numpy(),
                    "projected": p.reindex(b.index).to_numpy(),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    out["change_pct"] = np.where(
        out["base"] > 0, (out["projected"] - out["base"]) / out["base"].where(out["base"] > 0) * 100, np.nan
    )
    return out


def city_totals(run: ProjectionRun) -> pd.DataFrame:
    """City population per scenario and year: scenario, label, year, count (model values)."""
    frames = []
    for sc in run.scenarios:
        t = run.results[sc.name].groupby("year", as_index=False)["count"].sum()
        frames.append(t.assign(scenario=sc.name, label=sc.label_de))
    return pd.concat(frames, ignore_index=True)[["scenario", "label", "year", "count"]]


@dataclass
class BacktestResult:
    """Back-test from 31.12.``base_year`` to 31.12.``target_year``: per area and city figures."""

    base_year: int
    target_year: int
    per_area: pd.DataFrame
    city: dict[str, Any]


def run_backtest(
    population: pd.DataFrame, events: pd.DataFrame, year: int, config: ProjectionConfig | None = None
) -> BacktestResult:
    """Project from ``year − backtest_span`` with rates from years up to that base year only; compare.

    Uses :func:`workbench.projection.backtest` (status quo, same smoothing/shrinkage as the chapter).
    """
    config = config or ProjectionConfig()
    base = int(year) - config.backtest_span
    per_area, city = backtest(
        population, events, base, int(year), config.max_base_years, config.smoothing, config.shrinkage
    )
    return BacktestResult(base, int(year), per_area, city)
