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
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workbench.chapters.tables import unit_labels
from workbench.confidentiality import Rules
from workbench.errors import ConfigError
from workbench.projection import STATUS_QUO
from workbench.projection.runs import (  # noqa: F401  (re-exported for the chapter notebook)
    CHANGE_GROUPS,
    BacktestResult,
    ProjectionConfig,
    ProjectionRun,
    available_base_years,
    city_totals,
    for_report,
    group_changes,
    interpolate_control,
    load_projection_config,
    run_backtest,
    run_projection,
)
from workbench.render import fmt, maps, plots
from workbench.render.tables import count_key, html_table, margin_totals

MAP_GROUPS = ("0–5", "6–17", "65+", "80+")
SOURCE = "Quelle: Einwohnermelderegister (Bestand 31.12., Bewegungen); eigene Prognose (Kohorten-Komponenten-Modell)"


def config_for(ch: Any) -> ProjectionConfig:
    """The projection config of a chapter run (``config_files: projection:`` of the report config), without
    the demo-city scenarios this report leaves out (:func:`workbench.projection.runs.for_report`)."""
    demo = ch.cfg.extra.get("demo", False) is not False
    return for_report(load_projection_config(ch.cfg.files.projection), ch.ds.keys["area_id"], demo=demo)


# --------------------------------------------------------------------------------------------- runs


def round_to(values: Any, base: int = 10) -> np.ndarray:
    """Round half up to multiples of ``base`` persons (deterministic, no banker's rounding)."""
    v = np.asarray(values, dtype=float)
    return np.floor(v / base + 0.5) * base


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
