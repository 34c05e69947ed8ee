"""Demografie chapter: natural and migration balance, age-structure indicators, population projection.

Population movements come from the protected count cube (``Chapter.protected_counts``, one suppression pattern
for the whole report): births, deaths, external in/out-migration (``in_ext``/``out_ext``, across the city
boundary) and moves between Sozialräume (``in_int``/``out_int``). Balances are derived per unit and year:

    natürlicher Saldo      = births − deaths
    Außenwanderungssaldo   = in_ext − out_ext
    Binnenwanderungssaldo  = in_int − out_int      (0 for the whole city by construction)
    Gesamtsaldo            = natural + external + internal balance

A balance is withheld when any count it is built from is not published (status other than "shown"), so a
suppressed count can never be recovered as balance + the other, visible count, and it is published whenever
all its counts are, however small (8 − 9 = −1 is known from the counts anyway). The catalogue's balance and
volume indicators (Wanderungssaldo, Umzugsvolumen) follow the same rule (``chapters.tables.rate_inputs``), so
profiles, the Wohnen table and the Excel appendix withhold a balance exactly where this table does. Balances are signed differences,
not numbers of persons: published tables mark them data-kind ``"rate"`` with unit "Personen" (no numerator, no
totals relation), so the audit's non-negative count arithmetic is applied only to the six counts — which carry
their count keys and the city row as total.

The projection runs are :mod:`workbench.projection.runs`; their views are in
:mod:`workbench.chapters.demography_projection`. :func:`build` computes the chapter model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from workbench.chapters.demography_projection import (
    BAND_HORIZONS,
    MAP_GROUPS,
    backtest_map,
    backtest_table_html,
    backtest_text,
    band_chart,
    band_table_html,
    change_map,
    city_pyramid,
    config_for,
    evaluation_table_html,
    evaluation_text,
    projection_table_html,
    projection_text,
    scenario_chart,
    scenario_list_text,
)
from workbench.chapters.indicator_views import IndicatorViews
from workbench.chapters.model import ViewsModel, view
from workbench.chapters.notes import NOTHING, Note, markdown
from workbench.chapters.population_cells import POPULATION
from workbench.chapters.tables import unit_labels
from workbench.confidentiality import CITY_ID, Rules
from workbench.errors import DataValidationError
from workbench.indicators.population import single_years
from workbench.projection.evaluation import Evaluation, MethodChoice, choose_method, evaluate
from workbench.projection.runs import (
    BacktestResult,
    ProjectionConfig,
    ProjectionRun,
    run_backtest,
    run_projection,
    run_stock_projection,
)
from workbench.render import fmt, maps, plots
from workbench.render.findings import significance_summary
from workbench.render.tables import count_key, html_table, margin_totals

EVENT_MEASURES = ("births", "deaths", "in_ext", "out_ext", "in_int", "out_int")
MEASURE_LABELS = {
    "births": "Geburten",
    "deaths": "Sterbefälle",
    "in_ext": "Zuzüge von außerhalb",
    "out_ext": "Fortzüge nach außerhalb",
    "in_int": "Zuzüge aus anderen Sozialräumen",
    "out_int": "Fortzüge in andere Sozialräume",
}
BALANCES = {
    "natural": ("Natürlicher Saldo", ("births",), ("deaths",)),
    "external": ("Außenwanderungssaldo", ("in_ext",), ("out_ext",)),
    "internal": ("Binnenwanderungssaldo", ("in_int",), ("out_int",)),
    "total": ("Gesamtsaldo", ("births", "in_ext", "in_int"), ("deaths", "out_ext", "out_int")),
}
"""Balance name → (German label, added measures, subtracted measures)."""
AGE_INDICATORS = ("jugendquotient", "altenquotient", "hochbetagte")
EVENT_SOURCE = "Quelle: Einwohnermelderegister, Bewegungsdaten (Kalenderjahr)"


def balances(
    protected_counts: pd.DataFrame,
    level: str | None = "sozialraum",
    year: int | None = None,
    stocks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Published movement counts and derived balances per unit and year (wide table).

    Input: the protected count cube (level, unit_id, year, measure, published_value, status). Output columns:
    level, unit_id, year, the six measures (published value, NaN when not published), ``<measure>_suppressed``,
    the balances natural/external/internal/total and ``<balance>_suppressed`` (True when any part is not
    published; the value is then NaN as well). ``level``/``year`` = None keep all.

    With ``stocks`` (the published residents at the end of each year: ``level, unit_id, year,
    published_value``) a balance that follows from published numbers is published too, because anyone can
    compute it: the total balance is the change of the residents between two published year-ends, and each
    balance is the total minus the other published balances. Withholding it would print "." for a value that
    is not secret (an attack recovered four such balances); its flows stay withheld.
    """
    need = {"level", "unit_id", "year", "measure", "published_value", "status"}
    missing = sorted(need - set(protected_counts.columns))
    if missing:
        raise DataValidationError(
            f"Spalte(n) {', '.join(missing)} fehlen", where="geschützter Zählwürfel (protected_counts)"
        )
    pc = protected_counts[protected_counts["measure"].isin(EVENT_MEASURES)]
    if level is not None:
        pc = pc[pc["level"] == level]
    if year is not None:
        pc = pc[pc["year"] == int(year)]
    if pc.empty:
        raise DataValidationError(
            f"keine Bewegungsdaten (Geburten, Sterbefälle, Wanderungen) für Ebene {level}, Jahr {year}",
            where="counts.parquet, Maße births … out_int",
            hint="bewegungen.csv importieren (make data)",
        )
    keys = ["level", "unit_id", "year"]
    shown = pc.assign(ok=pc["status"].eq("shown") & pc["published_value"].notna())
    val = shown.pivot_table(index=keys, columns="measure", values="published_value", aggfunc="first")
    ok = shown.pivot_table(index=keys, columns="measure", values="ok", aggfunc="first")
    val = val.reindex(columns=list(EVENT_MEASURES))
    ok = ok.reindex(columns=list(EVENT_MEASURES)).fillna(False).astype(bool)
    out = val.where(ok)
    for m in EVENT_MEASURES:
        out[f"{m}_suppressed"] = ~ok[m]
    for name, (_label, plus, minus) in BALANCES.items():
        parts_ok = ok[list(plus + minus)].all(axis=1)
        value = val[list(plus)].sum(axis=1, min_count=len(plus)) - val[list(minus)].sum(
            axis=1, min_count=len(minus)
        )
        out[name] = value.where(parts_ok)
        out[f"{name}_suppressed"] = ~parts_ok
    if stocks is not None and len(stocks):
        out = _derived_balances(out, stocks)
    return out.reset_index().sort_values(keys, kind="mergesort", ignore_index=True)


def _derived_balances(out: pd.DataFrame, stocks: pd.DataFrame) -> pd.DataFrame:
    """Fill balances that follow from published year-end residents and the other published balances."""
    st = stocks.assign(unit_id=stocks["unit_id"].astype(str), year=stocks["year"].astype(int))
    st = st.set_index(["level", "unit_id", "year"])["published_value"].astype(float)
    idx = out.index
    lv = idx.get_level_values("level")
    unit = idx.get_level_values("unit_id").astype(str)
    yr = idx.get_level_values("year").astype(int)
    end = st.reindex(pd.MultiIndex.from_arrays([lv, unit, yr])).to_numpy()
    start = st.reindex(pd.MultiIndex.from_arrays([lv, unit, yr - 1])).to_numpy()
    change = end - start
    fill = out["total_suppressed"].to_numpy() & np.isfinite(change)
    out.loc[fill, "total"] = change[fill]
    out.loc[fill, "total_suppressed"] = False
    parts = ("natural", "external", "internal")
    known = ~out[[f"{p}_suppressed" for p in parts]].to_numpy()
    for k, name in enumerate(parts):  # total = natural + external + internal: one unknown follows
        others = [j for j in range(len(parts)) if j != k]
        can = (~known[:, k]) & known[:, others].all(axis=1) & ~out["total_suppressed"].to_numpy()
        if can.any():
            rest = out[[parts[j] for j in others]].to_numpy()[can].sum(axis=1)
            out.loc[can, name] = out["total"].to_numpy()[can] - rest
            out.loc[can, f"{name}_suppressed"] = False
            known[can, k] = True
    return out


def balance_table_html(
    protected_counts: pd.DataFrame, keys: pd.DataFrame, year: int, stocks: pd.DataFrame | None = None
) -> str:
    """Movements and balances per Sozialraum in ``year`` plus the city row (published values only).

    Counts carry their count keys (``measure|level|unit|year``) and the city row is declared as their total,
    so the audit checks them against every other table of the report.
    """
    area = balances(protected_counts, "sozialraum", year, stocks)
    city = balances(protected_counts, "stadt", year, stocks)
    both = pd.concat([area, city], ignore_index=True)
    labels = pd.concat([unit_labels(keys), unit_labels(keys, "stadt")])
    idx = pd.Index([labels[u] for u in both["unit_id"]], name="Sozialraum")
    cols = [
        ("births", "count"), ("deaths", "count"), ("natural", "balance"),
        ("in_ext", "count"), ("out_ext", "count"), ("external", "balance"),
        ("in_int", "count"), ("out_int", "count"), ("internal", "balance"), ("total", "balance"),
    ]  # fmt: skip
    names = {**MEASURE_LABELS, **{k: v[0] for k, v in BALANCES.items()}}
    df = pd.DataFrame({names[c]: both[c].to_numpy() for c, _ in cols}, index=idx)
    sup = pd.DataFrame({names[c]: both[f"{c}_suppressed"].to_numpy() for c, _ in cols}, index=idx)
    kinds = {names[c]: ("count" if k == "count" else "rate") for c, k in cols}
    formats = {names[c]: {"decimals": 0, "unit": ""} for c, k in cols if k == "balance"}
    cell_keys = pd.DataFrame(None, index=idx, columns=df.columns, dtype=object)
    for c, _ in cols:  # balances too: the audit relates them to their flows (natural = births − deaths …)
        cell_keys[names[c]] = [
            count_key(c, lv, u, year) for lv, u in zip(both["level"], both["unit_id"], strict=True)
        ]
    return html_table(
        df,
        kinds,
        table_id=f"demografie-bewegungen-{year}",
        caption=f"Geburten, Sterbefälle und Wanderungen je Sozialraum {year} mit Salden",
        totals=margin_totals(df[[names[c] for c, k in cols if k == "count"]], total_row=labels[CITY_ID]),
        number_formats=formats,
        suppressed=sup,
        cell_keys=cell_keys,
        footnotes=[
            f"{EVENT_SOURCE} {year}. Salden = Zugänge − Abgänge in Personen; ein Saldo wird nicht ausgewiesen, "
            "wenn eine seiner Fallzahlen gesperrt ist. Der Binnenwanderungssaldo der Stadt ist 0, weil sich Umzüge "
            "zwischen Sozialräumen aufheben; Zu- und Fortzüge aus anderen Sozialräumen sind auf Stadtebene die "
            "Umzüge innerhalb der Stadt.",
        ],
    )


def city_series(protected_counts: pd.DataFrame) -> pd.DataFrame:
    """City movements and balances per year (long): year, series (German label), value, kind (count/balance)."""
    b = balances(protected_counts, "stadt")
    rows = []
    for m in ("births", "deaths", "in_ext", "out_ext"):
        rows.append(
            pd.DataFrame({"year": b["year"], "series": MEASURE_LABELS[m], "value": b[m], "kind": "count"})
        )
    for name in ("natural", "external", "total"):
        rows.append(
            pd.DataFrame(
                {"year": b["year"], "series": BALANCES[name][0], "value": b[name], "kind": "balance"}
            )
        )
    return pd.concat(rows, ignore_index=True)


def city_series_chart(protected_counts: pd.DataFrame, city: str) -> Figure:
    """Two-panel chart: city births, deaths, external in/out-migration (top) and the balances (bottom)."""
    s = city_series(protected_counts)
    years = sorted(s["year"].unique())
    fig = Figure(figsize=(7.5, 6.5))
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    plots.trend_chart(
        s[s["kind"] == "count"], value="value", series="series", unit="Personen", decimals=0, ax=ax1
    )
    bal = s[s["kind"] == "balance"].pivot(index="year", columns="series", values="value")
    bal = bal.reindex(index=years, columns=[BALANCES[n][0] for n in ("natural", "external", "total")])
    colours = plots.load_colours()["typology"]
    width = 0.8 / len(bal.columns)
    for j, col in enumerate(bal.columns):
        ax2.bar(np.array(years) - 0.4 + width * (j + 0.5), bal[col].fillna(0), width=width * 0.95,
                color=colours[(j + 4) % len(colours)], label=col)  # fmt: skip
    ax2.axhline(0, color="#333333", linewidth=0.6)
    plots.german_axis(ax1, "y", decimals=0)
    plots.german_axis(ax2, "y", decimals=0)
    ax2.set_ylabel("Personen", fontsize=8)
    ax2.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    for side in ("top", "right"):
        ax2.spines[side].set_visible(False)
    ax2.set_xticks(years, [str(y) for y in years])
    plots.add_note(
        fig,
        f"Stadt insgesamt, Kalenderjahre {years[0]}–{years[-1]}; Salden = Zugänge − Abgänge. Wanderungen über "
        f"die Stadtgrenze (Umzüge innerhalb der Stadt heben sich auf). Zählungen, ohne Konfidenzintervall. "
        f"{EVENT_SOURCE}.",
        f"{city}: Geburten, Sterbefälle und Wanderungen {years[0]}–{years[-1]}",
        ax1,
    )
    return fig


def balance_text(
    protected_counts: pd.DataFrame, year: int, city: str, stocks: pd.DataFrame | None = None
) -> str:
    """German summary of the city balances in ``year`` and of the areas (only published values are cited)."""
    c = balances(protected_counts, "stadt", year, stocks).iloc[0]
    a = balances(protected_counts, "sozialraum", year, stocks)

    def val(col: str) -> str:
        return "(Zahl geheim gehalten)" if c[f"{col}_suppressed"] else fmt.number(c[col])

    parts = [
        f"Im Jahr {year} wurden in {city} {val('births')} Kinder geboren; {val('deaths')} Menschen starben."
    ]
    if not c["natural_suppressed"]:
        word = (
            "Geburtenüberschuss"
            if c["natural"] > 0
            else "Sterbeüberschuss"
            if c["natural"] < 0
            else "ausgeglichener natürlicher Saldo"
        )
        parts.append(f"Das ergibt einen {word} von {fmt.number(abs(c['natural']))} Personen.")
    if not c["external_suppressed"]:
        direction = "mehr" if c["external"] > 0 else "weniger"
        parts.append(
            f"Von außerhalb zogen {val('in_ext')} Personen zu und {val('out_ext')} fort, also "
            f"{fmt.number(abs(c['external']))} {direction} zu als fort."
        )
    if not c["total_suppressed"]:
        parts.append(f"Zusammen ergibt sich ein Gesamtsaldo von {fmt.signed(c['total'], 0)} Personen.")
    shown = a[~a["total_suppressed"]]
    if len(shown):
        n_pos = int((shown["total"] > 0).sum())
        parts.append(
            f"In {fmt.number(n_pos)} von {fmt.number(len(a))} Sozialräumen überwogen die Zugänge "
            "(Geburten und Zuzüge, auch aus anderen Sozialräumen)."
        )
        n_sup = len(a) - len(shown)
        if n_sup:
            parts.append(
                f"Für {fmt.count_word(n_sup, 'Sozialraum', 'Sozialräume')} ist der Saldo wegen gesperrter "
                "Fallzahlen nicht ausgewiesen."
            )
    return " ".join(parts)


# --------------------------------------------------------------------------------------------- age structure


def age_indicator_frame(indicators: pd.DataFrame, areas: Any, indicator: str, year: int) -> Any:
    """Areas GeoDataFrame with the published value (``value``) and ``suppressed`` of an indicator in ``year``."""
    rows = indicators[
        (indicators["indicator"] == indicator)
        & (indicators["level"] == "sozialraum")
        & (indicators["year"] == year)
    ]
    if rows.empty:
        raise DataValidationError(
            f"Indikator {indicator} fehlt für {year}",
            where="Indikatortabelle",
            hint="config/indicators.yaml prüfen",
        )
    r = rows.set_index("unit_id")
    gdf = areas[["area_id", "area_name", "geometry"]].copy()
    gdf["value"] = r["pub_value"].reindex(gdf["area_id"]).to_numpy()
    gdf["suppressed"] = (r["status"].reindex(gdf["area_id"]) != "shown").to_numpy()
    gdf["cmp_city"] = r["cmp_city"].reindex(gdf["area_id"]).to_numpy()
    return gdf


def age_indicator_map(
    indicators: pd.DataFrame, areas: Any, indicator: str, year: int, catalogue: Any, districts: Any = None
) -> Figure:
    """Choropleth (quantiles) of an age-structure indicator with the city value and its method in the note."""
    ind = next(i for i in catalogue.indicators if i.id == indicator)
    gdf = age_indicator_frame(indicators, areas, indicator, year)
    city = indicators[
        (indicators["indicator"] == indicator)
        & (indicators["level"] == "stadt")
        & (indicators["year"] == year)
    ]
    city_value = float(city["pub_value"].iloc[0]) if len(city) else np.nan
    unit = ind.unit
    city_text = plots.format_value(city_value, unit, 1)
    return maps.choropleth(
        gdf, "value", scheme="quantiles", k=5, palette="sequential_purple",
        legend_title=f"{ind.label} ({unit})", value_format="percent" if unit == "%" else "number", decimals=1,
        suppressed="suppressed", districts=districts, title=f"{ind.label} {year}",
        note=f"{ind.definition} Stadt: {city_text}. {ind.source}, 31.12.{year}.",
    )  # fmt: skip


def rules_text(rules: Rules) -> str:
    """One German sentence on the confidentiality rules applied in this chapter."""
    return (
        f"Fallzahlen von 1 bis {rules.threshold - 1} werden nicht veröffentlicht (Zeichen „{fmt.SUPPRESSED_SIGN}“); "
        "Salden und Quoten, die auf gesperrten Fallzahlen beruhen, ebenfalls nicht."
    )


INPUTS = ("keys", "areas", "population")
"""Processed tables the chapter needs (see :func:`workbench.chapters.missing_inputs`). Movements (``events``)
and counts are optional: without them the section on births, deaths and moves says what is missing, and the
projection is chosen from the data (:func:`workbench.projection.evaluation.choose_method`)."""


def _guarded(render: Any, need: str, *fields: str) -> Any:
    """A model view ``render(<fields>)`` that shows nothing when the model's ``need`` is missing: ``"projection"``
    or ``"backtest"`` None (the method note says why), ``"movements"`` a note (shown once by the text view)."""

    def method(self: DemographyModel, *args: Any, **kwargs: Any) -> Any:
        value = getattr(self, need)
        if value is None or (need == "movements" and value):
            return NOTHING
        return render(*(attrgetter(f)(self) for f in fields), *args, **kwargs)

    method.__doc__ = render.__doc__
    return method


@dataclass(frozen=True)
class DemographyModel(ViewsModel):
    """Protected movements (count cube), age-structure indicators, projection run and back-tests.

    ``choice``: the projection method the data allow (cohort-component, Hamilton–Perry or none);
    ``projection`` is None without a projection, ``backtest`` None unless cohort-component (the single
    back-test window of the model's own back-test map and table); ``evaluation`` the back-test over every
    feasible window against the naive baselines with the empirical bands; ``movements``: a note when the
    movements are missing (else empty).
    """

    protected_counts: pd.DataFrame | None
    rules: Rules
    city: str
    projection_config: ProjectionConfig
    projection: ProjectionRun | None
    backtest: BacktestResult | None
    choice: MethodChoice
    evaluation: Evaluation
    movements: Note = NOTHING
    stocks: pd.DataFrame | None = None
    """Published residents at the end of each year (``level, unit_id, year, published_value``)."""

    # movements
    def balance_text(self) -> str:
        """German summary of the balances, or why there are none."""
        if self.movements:
            return self.movements
        return balance_text(self.protected_counts, self.year, self.city, self.stocks)

    city_series_chart = _guarded(city_series_chart, "movements", "protected_counts", "city")
    balance_table = _guarded(
        balance_table_html, "movements", "protected_counts", "views.keys", "year", "stocks"
    )
    rules_text = _guarded(rules_text, "movements", "rules")

    # age structure
    age_indicators = AGE_INDICATORS

    def _indicator(self, indicator: str) -> Any:
        return self.views.catalogue[indicator] if indicator in self.views.catalogue else None

    def age_indicator_map(self, indicator: str) -> Figure | Note:
        """Choropleth of an age-structure indicator; nothing when the data do not allow it (the text says why)."""
        v = self.views
        ind = self._indicator(indicator)
        if ind is None or v.missing(ind):
            return NOTHING
        return age_indicator_map(v.table, v.areas, indicator, self.year, v.catalogue, v.districts)

    def age_indicator_text(self, indicator: str) -> str:
        """German sentences on the indicator's significant differences (why not, when not computable); for
        indicators the report's catalogue does not hold, one sentence at the first of them."""
        ind = self._indicator(indicator)
        if ind is None:
            absent = [i for i in AGE_INDICATORS if self._indicator(i) is None]
            if indicator != absent[0]:
                return NOTHING
            return Note(
                "Die Altersstrukturindikatoren (Jugendquotient, Altenquotient, Anteil Hochbetagter) stehen nicht "
                "im Indikatorenkatalog dieses Berichts; sie brauchen Einwohner nach Alter."
            )
        missing = self.views.missing(ind)
        if missing:
            return missing
        return significance_summary(self.views.table, indicator, self.year, catalogue=self.views.catalogue)

    # projection
    map_groups = MAP_GROUPS

    def method_text(self) -> str:
        """German sentence: which method the data allow and why (or why there is no projection)."""
        return Note(markdown(self.choice.reason)) if self.choice.method == "none" else self.choice.reason

    projection_text = _guarded(projection_text, "projection", "projection", "city", "rules")
    scenario_chart = _guarded(scenario_chart, "projection", "projection", "city")
    city_pyramid = _guarded(city_pyramid, "projection", "projection", "city")

    def change_map(self, group: str) -> Figure | Note:
        if self.projection is None:
            return NOTHING
        return change_map(self.projection, self.views.areas, group, self.rules, self.views.districts)

    projection_table = _guarded(projection_table_html, "projection", "projection", "views.keys", "rules")
    scenario_list_text = _guarded(scenario_list_text, "projection", "projection")

    # back-test over all windows, bands
    evaluation_text = view(evaluation_text, "evaluation", "choice")
    evaluation_table = view(evaluation_table_html, "evaluation", "choice")
    band_table = view(band_table_html, "projection", "evaluation", "views.keys", "rules")
    band_chart = view(band_chart, "projection", "evaluation", "rules", "city")

    # the model's own single back-test window (cohort-component only)
    backtest_text = _guarded(backtest_text, "backtest", "backtest")
    backtest_map = _guarded(backtest_map, "backtest", "backtest", "views.areas", "views.districts")
    backtest_table = _guarded(
        backtest_table_html, "backtest", "backtest", "views.keys", "projection_config.rounding"
    )


def projection_for(
    ch: Any, horizon: int | None = None
) -> tuple[MethodChoice, ProjectionRun | None, Evaluation]:
    """The projection the chapter's data allow: method choice, status-quo run (None without projection) and the
    back-test over every feasible window with its bands. Shared by the Demografie chapter and the Kita and
    school demand of the chapter Kinder, Jugend und Familie. ``horizon``: years (default: the projection
    config's ``horizon``, at least the longest horizon of the bands)."""
    ds, year = ch.ds, ch.year
    cfg = config_for(ch)
    if horizon is not None or cfg.horizon < max(BAND_HORIZONS):
        cfg = replace(cfg, horizon=max(horizon or cfg.horizon, max(BAND_HORIZONS)))
    events = ds.events if ds.has("events") else None
    population = ds.population
    choice = choose_method(population, events, ds.age_groups, year)
    opts = {"max_base_years": cfg.max_base_years, "smoothing": cfg.smoothing, "shrinkage": cfg.shrinkage}
    if choice.method == "none":
        run = None
    elif choice.method == "cohort-component":
        run = run_projection(single_years(population), events, year, cfg)
    else:
        run = run_stock_projection(population, ds.age_groups, list(choice.stock_years), year, cfg)
    ev = evaluate(choice, single_years(population) if choice.method == "cohort-component" else population,
                  events, ds.age_groups, year, **opts)  # fmt: skip
    return choice, run, ev


def build(ch: Any) -> DemographyModel:
    """The chapter model from a :class:`~workbench.chapters.context.Chapter` (runs projection and back-tests)."""
    ds, year = ch.ds, ch.year
    cfg = config_for(ch)
    choice, run, ev = projection_for(ch, cfg.horizon)
    bt = None
    if choice.method == "cohort-component" and ch.item("demografie.rueckrechnung").ok:
        bt = run_backtest(single_years(ds.population), ds.events, year, cfg)
    movements = NOTHING
    counts = stocks = None
    if not (ds.has("events") and ds.has("counts")):
        movements = ch.left_out("demografie.bewegungen")
    else:
        counts = ch.protected_counts
        pop = ch.protected_population
        stocks = pop[(pop["measure"] == POPULATION) & (pop["status"] == "shown")]
    return DemographyModel(
        IndicatorViews.of(ch), counts, ch.rules, ch.city, cfg, run, bt, choice, ev, movements, stocks
    )
