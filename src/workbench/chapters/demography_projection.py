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
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from workbench.chapters.notes import NOTHING, Note, markdown
from workbench.chapters.tables import unit_labels
from workbench.confidentiality import Rules
from workbench.errors import ConfigError
from workbench.projection import STATUS_QUO
from workbench.projection.evaluation import (
    BASELINE_LABELS,
    DEMAND_GROUPS,
    DEMAND_LABELS,
    METHOD_LABELS,
    TOTAL,
    Evaluation,
    MethodChoice,
    quantities,
)
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
STOCK_SOURCE = "Quelle: Einwohnerbestände nach Alter; eigene Prognose (Hamilton–Perry-Verfahren)"


def source(run: ProjectionRun) -> str:
    """The source line of the run's figures (register and movements, or stocks alone)."""
    return SOURCE if run.method == "cohort-component" else STOCK_SOURCE


def _basis(run: ProjectionRun) -> str:
    """ "Kohorten-Komponenten-Methode, Basisjahre 2022–2024" or "Hamilton–Perry-Verfahren, Stichtage …"."""
    if run.method == "cohort-component":
        return f"Kohorten-Komponenten-Methode, Basisjahre {_years(run.base_years)}"
    return f"Hamilton–Perry-Verfahren, Stichtage {_years(run.base_years)}"


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
            f"({_basis(run)}), auf {run.config.rounding} Personen "
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
        f"Prognose ({run.method_label}) gegenüber dem Bestand {run.base_year}, in %; "
        f"schraffiert: Altersgruppe unter {fmt.number(rules.min_base or 0)} Einwohnern. {source(run)}."
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


def city_pyramid(run: ProjectionRun, city: str, scenario: str = STATUS_QUO) -> Figure | Note:
    """City pyramid: the register population at the base year (bars) and the projection at the horizon (line);
    a note for a projection without sexes (Hamilton–Perry from stocks of persons)."""
    res = run.results[scenario]
    if not res["sex"].isin(("m", "w")).any():
        return Note(
            "Keine Alterspyramide der Prognose: Die Bestände liegen nicht nach Geschlecht vor, und die Prognose aus "
            "Beständen rechnet mit Personen insgesamt."
        )
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
    if run.method == "cohort-component":
        note = (
            f"Kohorten-Komponenten-Modell je Sozialraum, Geschlecht und Altersjahr; Raten aus den Basisjahren "
            f"{_years(run.base_years)} (Status quo). Modellwerte, keine Zählungen; ohne Konfidenzintervall."
        )
    else:
        note = (
            f"Hamilton–Perry-Verfahren je Sozialraum und Altersjahr; Kohortenveränderungsraten der Stichtage "
            f"{_years(run.base_years)}. Modellwerte, keine Zählungen; Schwankungsbreite je Sozialraum im "
            "Abschnitt „Prognosegüte“."
        )
    if run.control:
        src = run.config.control_total_source or "vorgegebener Eckwert"
        note += f" Status quo auf den Eckwert der Stadt skaliert ({src})."
    fig = plots.trend_chart(
        tot, value="count", series="label", unit="Einwohner", decimals=0,
        title=f"{city}: Einwohner {run.base_year}–{run.horizon_year} nach Szenario", note=note + f" {source(run)}.",
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
        f"Nach der Status-quo-Prognose ({run.method_label}) wird die Einwohnerzahl von {city} bis zum 31.12.{run.horizon_year} "
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
    if run.method != "cohort-component":
        lines.append(
            "- Szenarien (z. B. Neubaugebiete, höhere Zuwanderung) verändern einzelne Komponenten – Geburten, "
            "Sterbefälle, Wanderungen –, die das Verfahren aus Beständen nicht kennt; sie werden daher nicht "
            "gerechnet."
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- error bands

BAND_HORIZONS = (5, 10)
"""Horizons (years) of the projection with error bands in tables, charts and the Kita/school demand."""


def _headline_horizon(ev: Evaluation) -> int:
    """The horizon the text cites: 5 years when back-tested, else the longest back-tested horizon below."""
    return 5 if 5 in ev.horizons else max(ev.horizons)


def _best_baseline(ev: Evaluation, horizon: int, quantity: str = TOTAL) -> tuple[str, float] | None:
    rows = [(m, ev.row(m, horizon, quantity)) for m in BASELINE_LABELS]
    rows = [(m, float(r["mape"])) for m, r in rows if r is not None]
    return min(rows, key=lambda x: x[1]) if rows else None


def evaluation_text(ev: Evaluation, choice: MethodChoice) -> str | Note:
    """German summary of the back-test: the model's mean error at 5 years (or the longest tested horizon)
    against the naive baselines, the coverage of the bands, and whether the model earns its keep."""
    if choice.method == "none":
        return Note("Ohne Prognose ist auch keine Rückrechnung möglich (Gründe im Abschnitt zur Prognose).")
    if ev.empty:
        return Note(
            "Keine Rückrechnung möglich: Dafür braucht es mindestens einen früheren Stichtag vor dem Basisjahr und "
            "einen späteren zum Vergleich (drei Stichtage). Die Prognose wird ohne Schwankungsbreite gezeigt."
        )
    h = _headline_horizon(ev)
    own = ev.row(ev.method, h)
    best = _best_baseline(ev, h)
    const = ev.row("constant", h)
    years = "Jahr" if h == 1 else "Jahren"
    parts = [
        f"**Prognosegüte:** Im Rückblick lag die Vorausberechnung ({METHOD_LABELS[ev.method]}) nach {h} {years} im "
        f"Mittel um {fmt.percent(own['mape'])} daneben (Median {fmt.percent(own['median_ape'])}, "
        f"{fmt.number(own['n'])} Vorausberechnungen für Sozialräume aus "
        f"{fmt.count_word(int(own['windows']), 'Basisjahr', 'Basisjahren')}); "
    ]
    if best is not None:
        name, mape = best
        parts[0] += f"die einfache Fortschreibung ({BASELINE_LABELS[name]}) um {fmt.percent(mape)}"
        if const is not None and name != "constant":
            parts[0] += f", eine konstante Einwohnerzahl um {fmt.percent(const['mape'])}"
        parts[0] += "."
        if own["mape"] < mape:
            parts.append(
                "Das Modell ist damit genauer als die beste einfache Fortschreibung und lohnt den Aufwand."
            )
        else:
            parts.append(
                "Das Modell ist damit **nicht genauer** als die einfache Fortschreibung; seine Ergebnisse je "
                "Sozialraum sind mit entsprechender Vorsicht zu lesen."
            )
    bias = float(own["mean_error"])
    if abs(bias) >= 0.5:
        parts.append(
            f"Im Mittel lag die Vorausberechnung {fmt.percent(abs(bias))} {'zu hoch' if bias > 0 else 'zu niedrig'}."
        )
    cov = ev.summary.xs((ev.method, TOTAL, "alle"), level=("method", "quantity", "size_class"))
    cov = cov[cov["n_band"] > 0]
    if len(cov):
        w = float((cov["within_band"] * cov["n_band"]).sum() / cov["n_band"].sum())
        parts.append(
            f"Die Schwankungsbreiten enthalten {fmt.percent(ev.coverage * 100, 0)} der früheren Fehler gleich großer "
            f"Sozialräume; rückblickend lagen {fmt.percent(w, 0)} der Vorausberechnungen innerhalb der Breite, die "
            "zum jeweiligen Zeitpunkt bekannt war."
        )
    if ev.max_horizon < max(BAND_HORIZONS):
        parts.append(
            f"Die Daten erlauben Rückrechnungen bis {fmt.number(ev.max_horizon)} Jahre; die Schwankungsbreite für "
            f"längere Zeiträume ist linear hochgerechnet (gekennzeichnet)."
        )
    return " ".join(parts)


def evaluation_table_html(ev: Evaluation, choice: MethodChoice, quantity: str = TOTAL) -> str | Note:
    """Back-test table by horizon: the model's MAPE, median APE, mean signed error, share within the band and
    band half-width, and the MAPE of the two naive baselines (all in %; no person counts)."""
    if choice.method == "none" or ev.empty:
        return NOTHING
    rows = []
    for h in ev.horizons:
        own = ev.row(ev.method, h, quantity)
        if own is None:
            continue
        r = {
            "Horizont": f"{h} {'Jahr' if h == 1 else 'Jahre'}",
            "Basisjahre": fmt.number(own["windows"]),
            "Vorausberechnungen": fmt.number(own["n"]),
            "MAPE Modell": own["mape"],
            "Median APE Modell": own["median_ape"],
            "Mittlere Abweichung Modell": own["mean_error"],
            "Anteil im Band": own["within_band"],
            "Schwankungsbreite ±": own["band"],
        }
        for m in BASELINE_LABELS:
            b = ev.row(m, h, quantity)
            r[f"MAPE {BASELINE_LABELS[m]}"] = np.nan if b is None else b["mape"]
        rows.append(r)
    df = pd.DataFrame(rows).set_index("Horizont")
    kinds = {c: "rate" for c in df.columns}
    kinds.update({"Basisjahre": "text", "Vorausberechnungen": "text"})
    what = "Einwohner je Sozialraum" if quantity == TOTAL else DEMAND_LABELS.get(quantity, quantity)
    # no band yet (too few earlier errors): "x" (statement not meaningful), not the sign of secret values
    signs = pd.DataFrame(
        np.where(df.isna(), "nicht_sinnvoll", None), index=df.index, columns=df.columns, dtype=object
    )
    return html_table(
        df,
        kinds,
        signs=signs,
        table_id=f"prognose-guete-{'insgesamt' if quantity == TOTAL else quantity.replace('–', '-')}",
        caption=f"Rückrechnung über alle möglichen Basisjahre: Fehler der Vorausberechnung nach Horizont – {what}, "
        "verglichen mit den einfachen Fortschreibungen",
        number_formats={"Mittlere Abweichung Modell": {"decimals": 1, "unit": "%"}},
        footnotes=[
            f"Modell: {METHOD_LABELS[ev.method]}, je Basisjahr nur mit den Daten bis zu diesem Jahr gerechnet. "
            "MAPE = mittlerer absoluter Fehler |Prognose − Bestand| / Bestand in %; mittlere Abweichung mit "
            "Vorzeichen (positiv = zu hoch).",
            f"Anteil im Band: Anteil der Vorausberechnungen, deren Fehler innerhalb der Schwankungsbreite lag, die "
            f"aus den bis dahin bekannten Fehlern gleich großer Sozialräume folgte (Soll "
            f"{fmt.percent(ev.coverage * 100, 0)}; „{fmt.sign('nicht_sinnvoll')}“, wenn es dafür noch zu wenige "
            "frühere Fehler gab). "
            f"Schwankungsbreite ±: {fmt.percent(ev.coverage * 100, 0)}-Quantil aller absoluten Fehler.",
            "Einfache Fortschreibungen: Einwohnerzahl konstant; Wachstum seit dem vorigen Stichtag unverändert "
            "fortgeschrieben.",
        ],
    )


def _banded(run: ProjectionRun, ev: Evaluation, quantity: str, groups: Any = None) -> pd.DataFrame:
    """Per area: base, projection and band bounds (lo/hi, how) at each of :data:`BAND_HORIZONS`."""
    res = run.results[STATUS_QUO]
    grp = dict(groups or DEMAND_GROUPS)
    base = quantities(res[res["year"] == run.base_year], grp)[quantity]
    out = pd.DataFrame({"base": base})
    for h in BAND_HORIZONS:
        if h > run.horizon:
            continue
        proj = quantities(res[res["year"] == run.base_year + h], grp)[quantity].reindex(base.index)
        bounds = [ev.interval(quantity, h, b, p) for b, p in zip(base, proj, strict=True)]
        out[f"proj_{h}"] = proj
        out[f"lo_{h}"] = [b[0] for b in bounds]
        out[f"hi_{h}"] = [b[1] for b in bounds]
        out[f"how_{h}"] = [b[2] for b in bounds]
    return out


def _band_text(lo: float, hi: float, r: int) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "–"
    return f"{fmt.number(round_to(lo, r))} bis {fmt.number(round_to(hi, r))}"


def band_table_html(
    run: ProjectionRun | None, ev: Evaluation, keys: pd.DataFrame, rules: Rules, quantity: str = TOTAL
) -> str | Note:
    """Per Sozialraum: projection in 5 and 10 years with the empirical band (model values rounded to
    ``rounding`` persons, data-kind text, like every projected number of the report)."""
    if run is None:
        return NOTHING
    r = run.config.rounding
    b = _banded(run, ev, quantity)
    labels = unit_labels(keys)
    idx = pd.Index([labels.get(a, a) for a in b.index], name="Sozialraum")
    df = pd.DataFrame(index=idx)
    marks = set()
    for h in BAND_HORIZONS:
        if f"proj_{h}" not in b:
            continue
        y = run.base_year + h
        df[f"Prognose {y}"] = [fmt.number(v) for v in round_to(b[f"proj_{h}"], r)]
        cells = []
        for lo, hi, how in zip(b[f"lo_{h}"], b[f"hi_{h}"], b[f"how_{h}"], strict=True):
            text = _band_text(lo, hi, r)
            if how == "extrapoliert" and text != "–":
                text += " ¹"
                marks.add("extrapoliert")
            cells.append(text)
        df[f"Schwankungsbreite {y}"] = cells
    kinds = {c: "text" for c in df.columns}
    notes = [
        f"Prognose: Modellergebnis ({_basis(run)}), Status quo, auf {r} Personen gerundet; keine Zählung.",
        f"Schwankungsbreite: Prognose ± {fmt.percent(ev.coverage * 100, 0)}-Quantil der früheren absoluten "
        "Prognosefehler von Sozialräumen gleicher Größe und gleichen Horizonts aus der Rückrechnung "
        "(empirisches Prognoseintervall; bei zu wenigen gleich großen Sozialräumen aus allen).",
    ]
    if "extrapoliert" in marks:
        notes.append(
            f"¹ Horizont länger als die längste mögliche Rückrechnung ({fmt.number(ev.max_horizon)} Jahre): "
            "Schwankungsbreite linear mit dem Horizont hochgerechnet."
        )
    if ev.empty:
        notes.append("„–“: keine Rückrechnung möglich, daher keine Schwankungsbreite.")
    what = "Einwohner" if quantity == TOTAL else DEMAND_LABELS.get(quantity, quantity)
    return html_table(
        df,
        kinds,
        table_id=f"prognose-band-{'insgesamt' if quantity == TOTAL else quantity.replace('–', '-')}",
        caption=f"Prognose {what} je Sozialraum in {' und '.join(str(h) for h in BAND_HORIZONS)} Jahren mit "
        "Schwankungsbreite aus der Rückrechnung",
        footnotes=notes,
    )


def band_chart(run: ProjectionRun | None, ev: Evaluation, rules: Rules, city: str) -> Figure | Note:
    """Projected change of every Sozialraum's population to the horizons of :data:`BAND_HORIZONS` (points) with
    the empirical band (bars); areas below ``rules.min_base`` persons are left out."""
    if run is None:
        return NOTHING
    from workbench.render.figure_text import attach  # noqa: PLC0415

    b = _banded(run, ev, TOTAL)
    b = b[b["base"] >= (rules.min_base or 0)]
    hs = [h for h in BAND_HORIZONS if f"proj_{h}" in b]
    order = (b[f"proj_{hs[-1]}"] / b["base"]).sort_values().index if hs else b.index  # by projected change
    b = b.loc[order]
    fig = Figure(figsize=(7.5, max(3.0, 0.22 * len(b) + 1.5)))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    colours = plots.load_colours()["typology"]
    y = np.arange(len(b))
    data = pd.DataFrame(index=pd.Index(b.index, name="Sozialraum"))
    for j, h in enumerate(hs):
        yy = y + (j - (len(hs) - 1) / 2) * 0.3
        chg = (b[f"proj_{h}"] / b["base"] - 1) * 100
        lo = (b[f"lo_{h}"] / b["base"] - 1) * 100
        hi = (b[f"hi_{h}"] / b["base"] - 1) * 100
        ax.hlines(yy, lo, hi, color=colours[j % len(colours)], linewidth=2.5, alpha=0.45)
        ax.plot(chg, yy, "o", color=colours[j % len(colours)], markersize=4,
                label=f"{run.base_year + h} (Punkt: Prognose, Balken: Schwankungsbreite)")  # fmt: skip
        data[f"Veränderung bis {run.base_year + h}"] = chg.to_numpy()
        data[f"untere Grenze {run.base_year + h}"] = lo.to_numpy()
        data[f"obere Grenze {run.base_year + h}"] = hi.to_numpy()
    ax.axvline(0, color="#333333", linewidth=0.6)
    ax.set_yticks(y, list(b.index), fontsize=7)
    plots.german_axis(ax, "x", decimals=0, unit=" %")
    ax.set_xlabel(f"Veränderung gegenüber {run.base_year} in %", fontsize=8)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    plots.add_note(
        fig,
        f"Status quo ({run.method_label}); Balken: empirische Schwankungsbreite "
        f"({fmt.percent(ev.coverage * 100, 0)} der früheren Prognosefehler gleich großer Sozialräume). "
        f"Ohne Sozialräume unter {fmt.number(rules.min_base or 0)} Einwohnern. {source(run)}.",
        f"{city}: Prognose je Sozialraum mit Schwankungsbreite",
        ax,
    )
    data.index = [str(i) for i in data.index]
    data.index.name = "Sozialraum"
    attach(
        fig,
        f"Punktdiagramm: prognostizierte Veränderung der Einwohnerzahl je Sozialraum bis "
        f"{' und '.join(str(run.base_year + h) for h in hs)} mit Schwankungsbreite aus der Rückrechnung.",
        data,
        {c: "rate" for c in data.columns},
        "Prognostizierte Veränderung je Sozialraum in % mit Schwankungsbreite",
    )
    return fig


def demand_table_html(
    run: ProjectionRun | None, ev: Evaluation, keys: pd.DataFrame, rules: Rules, choice: MethodChoice
) -> str | Note:
    """Kita and school-age demand per Sozialraum in 5 and 10 years: projected children of each group of
    :data:`DEMAND_GROUPS` with the empirical band of that group (model values rounded to ``rounding``, text).

    A group whose base count (reporting year) is below ``rules.min_base`` is withheld ('.'): rounded
    projections of a handful of children would come close to revealing the base count.
    """
    if run is None:
        return Note(markdown(choice.reason))
    r = run.config.rounding
    labels = unit_labels(keys)
    frames = {g: _banded(run, ev, g) for g in DEMAND_GROUPS}
    areas = frames[next(iter(DEMAND_GROUPS))].index
    idx = pd.Index([labels.get(a, a) for a in areas], name="Sozialraum")
    df = pd.DataFrame(index=idx)
    extrapolated = False
    for g, b in frames.items():
        small = (b["base"] < (rules.min_base or 0)).to_numpy()
        for h in BAND_HORIZONS:
            if f"proj_{h}" not in b:
                continue
            col = f"{g} Jahre {run.base_year + h}"
            cells = []
            for p, lo, hi, how, tiny in zip(
                b[f"proj_{h}"], b[f"lo_{h}"], b[f"hi_{h}"], b[f"how_{h}"], small, strict=True
            ):
                if tiny:  # a text cell that is exactly the sign: withheld (see docstring)
                    cells.append(fmt.SUPPRESSED_SIGN)
                    continue
                text = f"{fmt.number(round_to(p, r))} ({_band_text(lo, hi, r)})"
                if how == "extrapoliert":
                    text += " ¹"
                    extrapolated = True
                cells.append(text)
            df[col] = cells
    kinds = {c: "text" for c in df.columns}
    notes = [
        "Je Zelle: Prognose (Status quo) und in Klammern die Schwankungsbreite aus der Rückrechnung derselben "
        f"Altersgruppe (Fehler von Sozialräumen mit ähnlich vielen Kindern, {fmt.percent(ev.coverage * 100, 0)} der "
        f"früheren Fehler); Modellergebnis ({_basis(run)}), auf {r} Personen gerundet, keine Zählung.",
        f"„{fmt.SUPPRESSED_SIGN}“: weniger als {fmt.number(rules.min_base or 0)} Kinder der Altersgruppe im Bestand "
        f"{run.base_year}; die Prognose wird nicht ausgewiesen.",
        "Altersgruppen in vollendeten Jahren: 0–2 Krippe (U3), 3–5 Kindergarten (Ü3), 6–9 Grundschule, "
        "10–15 Sekundarstufe I.",
    ]
    if extrapolated:
        notes.append(
            f"¹ Horizont länger als die längste mögliche Rückrechnung ({fmt.number(ev.max_horizon)} Jahre): "
            "Schwankungsbreite linear mit dem Horizont hochgerechnet."
        )
    if ev.empty:
        notes.append("„–“: keine Rückrechnung möglich, daher keine Schwankungsbreite.")
    return html_table(
        df,
        kinds,
        table_id="prognose-kita-schule",
        caption=f"Kinder im Kita- und Schulalter je Sozialraum {run.base_year + BAND_HORIZONS[0]} und "
        f"{run.base_year + BAND_HORIZONS[-1]} (Prognose mit Schwankungsbreite)",
        footnotes=notes,
    )


def demand_text(run: ProjectionRun | None, ev: Evaluation, choice: MethodChoice) -> str | Note:
    """German summary of the city's children per planning group now and in 5 and 10 years (rounded model
    values) and the back-test error of each group at the headline horizon."""
    if run is None:
        return Note(markdown(choice.reason))
    r = run.config.rounding
    res = run.results[STATUS_QUO]
    now = quantities(res[res["year"] == run.base_year]).sum()
    parts = [f"**Kinder im Kita- und Schulalter (Prognose, {run.method_label}):**"]
    for g, label in DEMAND_LABELS.items():
        vals = []
        for h in BAND_HORIZONS:
            if run.base_year + h <= run.horizon_year:
                v = quantities(res[res["year"] == run.base_year + h])[g].sum()
                vals.append(f"{run.base_year + h} rund {fmt.number(round_to(v, r))}")
        chg = ""
        if now[g] > 0 and vals:
            last = quantities(res[res["year"] == run.base_year + BAND_HORIZONS[-1]])[g].sum()
            chg = f" ({fmt.signed((last / now[g] - 1) * 100, 1, '%')} gegenüber {run.base_year})"
        parts.append(f"{label}: {', '.join(vals)}{chg}.")
    if not ev.empty:
        h = _headline_horizon(ev)
        errs = []
        for g in DEMAND_GROUPS:
            own, best = ev.row(ev.method, h, g), _best_baseline(ev, h, g)
            if own is None:
                continue
            text = f"{g} Jahre {fmt.percent(own['mape'])}"
            if best is not None:
                text += f" (einfache Fortschreibung {fmt.percent(best[1])})"
            errs.append(text)
        if errs:
            parts.append(
                f"Im Rückblick lag die Vorausberechnung der Kinderzahlen je Sozialraum nach {h} "
                f"{'Jahr' if h == 1 else 'Jahren'} im Mittel so weit daneben: {'; '.join(errs)}. Kleine "
                "Altersgruppen in kleinen Sozialräumen schwanken stärker; die Schwankungsbreite je Sozialraum steht "
                "in der Tabelle."
            )
    return " ".join(parts)
