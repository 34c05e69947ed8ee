"""Projection part of the Demografie chapter: configured runs, back-test, tables, maps and charts.

The model itself is :mod:`workbench.projection` (cohort-component per Sozialraum × sex × single year of age).
This module reads the scenarios and parameters from ``config/projection.yaml`` (:func:`load_projection_config`),
runs the status quo and all scenarios from the reporting year (:func:`run_projection`), runs the back-test
(:func:`run_backtest`) and turns the results into published tables and figures.

Projected numbers are model results, not register counts. In published tables they are rounded to
``rounding`` persons (default 10) and shown as data-kind ``"text"`` (the German formatted number), labelled
"Prognose", so the confidentiality audit treats them as what they are — no counts, no totals relations. Changes
in % relative to the register count of the base year are data-kind ``"rate"``; they are withheld where that base
count is below ``rules.min_base`` (an observed small count must not be recoverable from a change rate).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from workbench.chapters.tables import unit_labels
from workbench.confidentiality import Rules
from workbench.errors import ConfigError, DataValidationError
from workbench.projection import STATUS_QUO, Scenario, backtest, estimate_rates, load_scenarios, project
from workbench.render import fmt, maps, plots
from workbench.render.tables import count_key, html_table, margin_totals
from workbench.settings import ROOT

CHANGE_GROUPS: dict[str, tuple[int, int]] = {
    "0–5": (0, 5),
    "6–17": (6, 17),
    "18–64": (18, 64),
    "65+": (65, 100),
    "80+": (80, 100),
}
"""Planning age groups of the change table and maps (inclusive bounds, 100 = 100 and older)."""

MAP_GROUPS = ("0–5", "6–17", "65+", "80+")
SOURCE = "Quelle: Einwohnermelderegister (Bestand 31.12., Bewegungen); eigene Prognose (Kohorten-Komponenten-Modell)"


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

    ``None`` reads ``config/projection.yaml`` of the project. Unknown keys, wrong types and bad scenario
    entries raise a German ``ConfigError`` naming file and key. The status quo is always the first scenario.
    """
    path: Path | None = None
    if source is None or isinstance(source, str | Path):
        path = Path(source) if source is not None else ROOT / "config" / "projection.yaml"
        if not path.is_absolute():
            path = ROOT / path
        if not path.exists():
            raise ConfigError(
                "Prognose-Konfiguration nicht gefunden", path=path, hint="config/projection.yaml anlegen"
            )
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"kein gültiges YAML ({exc})", path=path) from exc
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


def config_for(ch: Any) -> ProjectionConfig:
    """The projection config of a chapter run: report key ``projection_config`` or ``config/projection.yaml``."""
    return load_projection_config(ch.cfg.extra.get("projection_config", "config/projection.yaml"))


# --------------------------------------------------------------------------------------------- runs


def available_base_years(
    population: pd.DataFrame, events: pd.DataFrame, year: int, max_years: int
) -> list[int]:
    """The last ``max_years`` years ≤ ``year`` with events and the previous year's population (ascending)."""
    pop_years = set(pd.unique(population["year"]).tolist())
    ev_years = set(pd.unique(events["year"]).tolist())
    usable = [t for t in sorted(ev_years) if t <= year and t - 1 in pop_years]
    if not usable:
        raise DataValidationError(
            f"keine Basisjahre ≤ {year} mit Bewegungsdaten und Vorjahresbestand",
            where="Tabellen population/events, Spalte year",
            hint="Bewegungsdaten (bewegungen.csv) und Bestände von mindestens zwei Jahren importieren",
        )
    return usable[-max_years:]


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


def round_to(values: Any, base: int = 10) -> np.ndarray:
    """Round half up to multiples of ``base`` persons (deterministic, no banker's rounding)."""
    v = np.asarray(values, dtype=float)
    return np.floor(v / base + 0.5) * base


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


def _withheld(base: pd.Series, rules: Rules) -> pd.Series:
    return base < (rules.min_base or 0)


def projection_table_html(
    run: ProjectionRun, keys: pd.DataFrame, rules: Rules, scenario: str = STATUS_QUO
) -> str:
    """Table per Sozialraum: register population now, projection at the horizon (rounded), changes in %.

    Rows are the Sozialräume and "Stadt insgesamt". The register count carries its count key (it is the same
    count the Bevölkerung chapter publishes); the projection is data-kind text; group changes are rates,
    withheld where the group's base count is below ``rules.min_base``.
    """
    ch = group_changes(run, scenario)
    city = ch.groupby("group", sort=False)[["base", "projected"]].sum().reset_index()
    city["area_id"] = "stadt"
    city["change_pct"] = (city["projected"] - city["base"]) / city["base"] * 100
    ch = pd.concat([ch, city], ignore_index=True)
    labels = pd.concat([unit_labels(keys), unit_labels(keys, "stadt")])
    order = [*sorted(ch.loc[ch["area_id"] != "stadt", "area_id"].unique()), "stadt"]
    idx = pd.Index([labels[a] for a in order], name="Sozialraum")
    wide = {g: d.set_index("area_id").reindex(order) for g, d in ch.groupby("group", sort=False)}
    tot = wide["Insgesamt"]
    y0, y1 = run.base_year, run.horizon_year
    c_now, c_proj, c_chg = f"Einwohner {y0}", f"Prognose {y1}", f"Veränderung {y0}–{y1}"
    df = pd.DataFrame(index=idx)
    df[c_now] = tot["base"].to_numpy()
    df[c_proj] = [fmt.number(v) for v in round_to(tot["projected"], run.config.rounding)]
    df[c_chg] = tot["change_pct"].to_numpy()
    sup = pd.DataFrame(False, index=idx, columns=[c_now, c_proj, c_chg])
    sup[c_chg] = _withheld(tot["base"], rules).to_numpy()
    for g in CHANGE_GROUPS:
        col = f"{g} Jahre: Veränderung"
        df[col] = wide[g]["change_pct"].to_numpy()
        sup[col] = _withheld(wide[g]["base"], rules).to_numpy()
    cell_keys = pd.DataFrame(None, index=idx, columns=df.columns, dtype=object)
    cell_keys[c_now] = [
        count_key("population", "stadt" if a == "stadt" else "sozialraum", a, y0) for a in order
    ]
    kinds = {c: "rate" for c in df.columns}
    kinds.update({c_now: "count", c_proj: "text"})
    return html_table(
        df,
        kinds,
        table_id=f"prognose-{scenario}-{y1}",
        caption=f"Bevölkerungsprognose {y0}–{y1} je Sozialraum ({run.label(scenario)}): Einwohner, Prognose und "
        "Veränderung nach Altersgruppen in %",
        totals=margin_totals(df[[c_now]], total_row=labels["stadt"]),
        suppressed=sup,
        cell_keys=cell_keys,
        footnotes=[
            f"Einwohner: Einwohnermelderegister, Hauptwohnsitz, 31.12.{y0}. Prognose: Modellergebnis "
            f"(Kohorten-Komponenten-Methode, Basisjahre {_years(run.base_years)}), auf {run.config.rounding} Personen "
            "gerundet; keine Zählung.",
            f"Veränderung in % gegenüber dem Bestand 31.12.{y0}; nicht ausgewiesen, wenn die Altersgruppe weniger "
            f"als {fmt.number(rules.min_base or 0)} Einwohner hat.",
        ],
    )


def _years(years: list[int]) -> str:
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])


CHANGE_BOUNDS = (-10.0, -2.0, 2.0, 10.0, math.inf)
"""Upper bounds of the change classes in % (≤ −10, −10 … −2, −2 … 2, 2 … 10, > 10)."""


def _change_classes(values: np.ndarray) -> tuple[list[float], list[str]]:
    """Upper bounds and colours of the fixed change classes that the values reach (diverging palette).

    Each class keeps its own colour of ``diverging_blue_red`` (decline blue, stable white, growth red), so a
    colour means the same change on every map; classes outside the value range are left out of the legend.
    """
    anchors = plots.load_colours()["sequential"]["diverging_blue_red"]
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [CHANGE_BOUNDS[0]], [anchors[0]]
    lo, hi = float(finite.min()), float(finite.max())
    first = next(i for i, b in enumerate(CHANGE_BOUNDS) if b >= lo)
    last = next(i for i, b in enumerate(CHANGE_BOUNDS) if b >= hi)
    bins = [min(b, hi) if math.isinf(b) else b for b in CHANGE_BOUNDS[first : last + 1]]
    return bins, list(anchors[first : last + 1])


def change_map(
    run: ProjectionRun,
    areas: Any,
    group: str,
    rules: Rules,
    districts: Any = None,
    scenario: str = STATUS_QUO,
) -> Figure:
    """Choropleth of the projected change (%) of an age group to the horizon; small bases hatched.

    Fixed classes (≤ −10, −10 … −2, −2 … 2, 2 … 10, > 10 %) with fixed colours of the diverging palette
    (:func:`_change_classes`), so that the maps of all groups are comparable and growth and decline read at a
    glance.
    """
    if group not in CHANGE_GROUPS:
        raise ConfigError(
            f"unbekannte Altersgruppe {group!r}", where="group", hint=f"erlaubt: {', '.join(CHANGE_GROUPS)}"
        )
    ch = group_changes(run, scenario)
    ch = ch[ch["group"] == group].set_index("area_id")
    gdf = areas[["area_id", "area_name", "geometry"]].copy()
    gdf["change"] = ch["change_pct"].reindex(gdf["area_id"]).to_numpy()
    gdf["withheld"] = _withheld(ch["base"].reindex(gdf["area_id"]).fillna(0), rules).to_numpy()
    title = f"Altersgruppe {group}: Veränderung {run.base_year}–{run.horizon_year} ({run.label(scenario)})"
    note = (
        f"Prognose (Kohorten-Komponenten-Modell) gegenüber dem Bestand 31.12.{run.base_year}, in %; "
        f"schraffiert: Altersgruppe unter {fmt.number(rules.min_base or 0)} Einwohnern. {SOURCE}."
    )
    shown = gdf.loc[~gdf["withheld"], "change"].to_numpy(dtype=float)
    if not np.isfinite(shown).any():  # nothing publishable: all areas hatched, no classes
        colours = plots.load_colours()
        sup = colours["suppressed"]
        return maps.category_map(
            gdf.assign(cls="x"), "cls", categories={"x": (sup["label"], sup["colour"])},
            hatch_column="withheld", hatch_label=sup["label"], districts=districts,
            legend_title=f"{group} Jahre, Veränderung", title=title, note=note,
        )  # fmt: skip
    bins, palette = _change_classes(shown)
    return maps.choropleth(
        gdf,
        "change",
        scheme="user",
        bins=bins,
        palette=palette,
        legend_title=f"{group} Jahre, Veränderung",
        value_format="percent",
        decimals=0,
        suppressed="withheld",
        districts=districts,
        title=title,
        note=note,
    )


def city_pyramid(run: ProjectionRun, city: str, scenario: str = STATUS_QUO) -> Figure:
    """City pyramid: the register population at the base year (bars) and the projection at the horizon (line)."""
    res = run.results[scenario]
    now = res[res["year"] == run.base_year].groupby(["age", "sex"], as_index=False)["count"].sum()
    later = res[res["year"] == run.horizon_year].groupby(["age", "sex"], as_index=False)["count"].sum()
    return plots.pyramid(
        now,
        later,
        label_a=f"31.12.{run.base_year} (Bestand)",
        label_b=f"31.12.{run.horizon_year} (Prognose)",
        title=f"Altersaufbau {city}: {run.base_year} und Prognose {run.horizon_year}",
        note=f"Anteile in % der Gesamtbevölkerung, 5-Jahres-Altersgruppen; Prognose {run.label(scenario)} "
        f"(Basisjahre {_years(run.base_years)}). {SOURCE}.",
    )


def scenario_chart(run: ProjectionRun, city: str) -> Figure:
    """City total per scenario and year (line per scenario, model values in persons)."""
    tot = city_totals(run)
    note = (
        f"Kohorten-Komponenten-Modell je Sozialraum, Geschlecht und Altersjahr; Raten aus den Basisjahren "
        f"{_years(run.base_years)} (Status quo). Modellwerte, keine Zählungen; ohne Konfidenzintervall."
    )
    if run.control:
        src = run.config.control_total_source or "vorgegebener Eckwert"
        note += f" Status quo auf den Eckwert der Stadt skaliert ({src})."
    fig = plots.trend_chart(
        tot, value="count", series="label", unit="Einwohner", decimals=0,
        title=f"{city}: Einwohner {run.base_year}–{run.horizon_year} nach Szenario", note=note + f" {SOURCE}.",
    )  # fmt: skip
    plots.german_axis(fig.axes[0], "y", decimals=0)
    return fig


# --------------------------------------------------------------------------------------------- back-test


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


def backtest_table_html(bt: BacktestResult, keys: pd.DataFrame, rounding: int = 10) -> str:
    """Per Sozialraum and city: observed population, back-test projection (rounded), error in %, APE."""
    labels = pd.concat([unit_labels(keys), unit_labels(keys, "stadt")])
    pa = bt.per_area.sort_values("area_id")
    order = [*pa["area_id"], "stadt"]
    y = bt.target_year
    c_obs, c_proj = f"Einwohner {y} (Bestand)", f"Rückrechnung {y} (Prognose)"
    c_err, c_ape = "Abweichung", "Absoluter Fehler (APE)"
    obs = [*pa["observed"], bt.city["observed"]]
    proj = [*pa["projected"], bt.city["projected"]]
    err = np.array(
        [
            *(pa["error"] / pa["observed"].where(pa["observed"] > 0) * 100),
            bt.city["error"] / bt.city["observed"] * 100,
        ]
    )
    idx = pd.Index([labels[a] for a in order], name="Sozialraum")
    df = pd.DataFrame(
        {
            c_obs: obs,
            c_proj: [fmt.number(v) for v in round_to(proj, rounding)],
            c_err: err,
            c_ape: np.abs(err),
        },
        index=idx,
    )
    cell_keys = pd.DataFrame(None, index=idx, columns=df.columns, dtype=object)
    cell_keys[c_obs] = [
        count_key("population", "stadt" if a == "stadt" else "sozialraum", a, y) for a in order
    ]
    return html_table(
        df,
        {c_obs: "count", c_proj: "text", c_err: "rate", c_ape: "rate"},
        table_id=f"prognose-rueckrechnung-{bt.base_year}-{y}",
        caption=f"Rückrechnung der Prognose: Start 31.12.{bt.base_year}, Vergleich mit dem Bestand 31.12.{y}",
        totals=margin_totals(df[[c_obs]], total_row=labels["stadt"]),
        cell_keys=cell_keys,
        footnotes=[
            f"Prognose mit Raten nur aus den Basisjahren {_years(bt.city['base_years'])}; auf {rounding} Personen "
            "gerundet (Modellergebnis, keine Zählung). Abweichung = (Prognose − Bestand) / Bestand in %; "
            "APE = Betrag der Abweichung.",
            "Quelle: Einwohnermelderegister; eigene Berechnung.",
        ],
    )


def backtest_map(bt: BacktestResult, areas: Any, districts: Any = None) -> Figure:
    """Map of the absolute percentage error (APE) per Sozialraum of the back-test."""
    gdf = areas[["area_id", "area_name", "geometry"]].copy()
    gdf["ape"] = bt.per_area.set_index("area_id")["ape"].reindex(gdf["area_id"]).to_numpy()
    top = float(np.nanmax(gdf["ape"]))
    bins = [b for b in (0.5, 1.0, 2.0, 5.0) if b < top] + [top]
    return maps.choropleth(
        gdf, "ape", scheme="user", bins=bins, palette="sequential_orange",
        legend_title="APE", value_format="percent", decimals=1, districts=districts,
        title=f"Prognosefehler der Rückrechnung {bt.base_year}→{bt.target_year} je Sozialraum",
        note=f"APE = |Prognose − Bestand| / Bestand in %, Bestand 31.12.{bt.target_year}; Raten nur aus Jahren "
        f"bis {bt.base_year}. {SOURCE}.",
    )  # fmt: skip


def backtest_text(bt: BacktestResult) -> str:
    """German summary of the back-test: MAPE over the areas, maximum APE and the city error."""
    c = bt.city
    worst = bt.per_area.loc[bt.per_area["ape"].idxmax()]
    direction = "über" if c["error"] > 0 else "unter"
    return (
        f"**Rückrechnung:** Die Prognose wurde probeweise vom 31.12.{bt.base_year} aus gerechnet – mit Raten nur aus "
        f"den Jahren {_years(c['base_years'])} – und mit dem tatsächlichen Bestand am 31.12.{bt.target_year} "
        f"verglichen. Der mittlere absolute Prognosefehler (MAPE) über {fmt.number(c['n_areas'])} Sozialräume "
        f"beträgt {fmt.percent(c['mape'])} (Median {fmt.percent(c['median_ape'])}, größter Fehler "
        f"{fmt.percent(worst['ape'])}). Für die Stadt insgesamt lag die Prognose {fmt.percent(c['ape'], 2)} "
        f"{direction} dem Bestand."
    )


def projection_text(run: ProjectionRun, city: str, rules: Rules) -> str:
    """German summary of the status quo and the scenarios (rounded model values, changes in %)."""
    tot = city_totals(run)
    sq = tot[tot["scenario"] == STATUS_QUO].set_index("year")["count"]
    base, end = float(sq[run.base_year]), float(sq[run.horizon_year])
    r = run.config.rounding
    chg = (end - base) / base * 100
    verb = "wachsen" if chg > 0.05 else "schrumpfen" if chg < -0.05 else "etwa gleich bleiben"
    groups = group_changes(run)
    city_g = groups.groupby("group", sort=False)[["base", "projected"]].sum()
    city_g["pct"] = (city_g["projected"] - city_g["base"]) / city_g["base"] * 100
    parts = [
        f"Nach der Status-quo-Prognose wird die Einwohnerzahl von {city} bis zum 31.12.{run.horizon_year} "
        f"{verb}: von {fmt.number(base)} auf rund {fmt.number(round_to(end, r))} ({fmt.signed(chg, 1, '%')})."
    ]
    g = city_g.drop(index="Insgesamt")
    parts.append(
        "Nach Altersgruppen: "
        + ", ".join(f"{k} Jahre {fmt.signed(v, 1, '%')}" for k, v in g["pct"].items())
        + "."
    )
    areas = groups[(groups["group"] == "Insgesamt") & ~_withheld(groups["base"], rules)]
    n_up = int((areas["change_pct"] > 0).sum())
    parts.append(
        f"In {fmt.number(n_up)} von {fmt.number(len(areas))} Sozialräumen nimmt die Einwohnerzahl zu."
    )
    for sc in run.scenarios:
        if sc.name == STATUS_QUO:
            continue
        s = tot[tot["scenario"] == sc.name].set_index("year")["count"]
        diff = float(s[run.horizon_year]) - end
        parts.append(
            f"Im Szenario „{sc.label_de}“ hätte die Stadt {run.horizon_year} rund "
            f"{fmt.number(round_to(s[run.horizon_year], r))} Einwohner ({fmt.signed(round_to(diff, r)[()], 0)} "
            "gegenüber dem Status quo)."
        )
    return " ".join(parts)


def scenario_list_text(run: ProjectionRun) -> str:
    """German Markdown list of the scenarios: label, description and the rounded city total at the horizon."""
    tot = city_totals(run)
    end = tot[tot["year"] == run.horizon_year].set_index("scenario")["count"]
    lines = []
    for sc in run.scenarios:
        desc = sc.description_de or (
            f"Raten der Basisjahre {_years(run.base_years)} unverändert fortgeschrieben"
            + (" und auf den Eckwert der Stadt skaliert" if sc.name == STATUS_QUO and run.control else "")
            + "."
        )
        value = fmt.number(round_to(end[sc.name], run.config.rounding))
        lines.append(f"- **{sc.label_de}:** {desc} Prognose {run.horizon_year}: rund {value} Einwohner.")
    return "\n".join(lines)
