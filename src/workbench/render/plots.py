"""Static charts for the report (matplotlib, German labels and number format, printable PNG).

Every function returns a :class:`matplotlib.figure.Figure` and draws a small ``note`` under it (method,
confidence level, comparator, source), because a reader must see how a number was made. Figures are created
without pyplot (no global state leaks between notebooks or batch jobs); in Jupyter show them with
``display(fig)`` or as the last expression of a cell. Colours come from ``config/colours.yaml``
(:func:`load_colours`), so a planner can change them without touching code.

Example::

    from workbench import plots
    fig = plots.dot_chart(table, value="value", lower="lower95", upper="upper95", label="unit_name",
                          comparison="cmp_city", benchmark=18.9, polarity="hoch = schlecht", unit="%",
                          title="Kinderarmut 2024", note="Methode: Wilson-Intervall, 95 %; Vergleich: Stadt")
    png = plots.figure_to_png_bytes(fig)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from workbench.errors import DataValidationError, WorkbenchError
from workbench.render import fmt
from workbench.render._bars import bar_chart, grouped_bars, likert_bars
from workbench.render._profile_charts import (
    funnel_limits,
    funnel_plot,
    spine_chart,
    spine_comparison,
    spine_positions,
)
from workbench.render._style import (
    NOTE_FONTSIZE,
    SIGNIFICANCE_ORDER,
    _finish_axes,
    _legend_right,
    _numeric,
    add_note,
    benchmark_handle,
    benchmark_line,
    figure_to_png_bytes,
    format_value,
    german_axis,
    load_colours,
    new_figure,
    normalise_polarity,
    place_labels,
    require_categories,
    require_columns,
    sequential_colours,
    significance_handles,
    significance_palette,
)
from workbench.render.figure_text import (
    SIGNIFICANCE_MARKERS,
    SIGNIFICANCE_SYMBOLS,
    attach,
    significance_label,
)

__all__ = [
    "NOTE_FONTSIZE",
    "SIGNIFICANCE_ORDER",
    "add_note",
    "bar_chart",
    "dot_chart",
    "figure_to_png_bytes",
    "format_value",
    "funnel_limits",
    "funnel_plot",
    "german_axis",
    "grouped_bars",
    "likert_bars",
    "load_colours",
    "new_figure",
    "normalise_polarity",
    "place_labels",
    "pyramid",
    "require_columns",
    "sequential_colours",
    "significance_palette",
    "spine_chart",
    "spine_comparison",
    "spine_positions",
    "trend_chart",
]


# --------------------------------------------------------------------------------------------- dot chart


def dot_chart(
    df: pd.DataFrame,
    *,
    value: str,
    lower: str | None,
    upper: str | None,
    label: str,
    comparison: str | None = None,
    benchmark: float | None = None,
    polarity: str = "neutral",
    unit: str = "%",
    decimals: int = 1,
    benchmark_label: str = "Stadt",
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Ranked dot chart: one row per area (highest value on top), interval whiskers, dots coloured by comparison.

    Rows without a value (suppressed or missing) are listed at the bottom as "keine Angabe" (no interval). The
    benchmark is a dashed vertical line named in the legend ("Stadt: 18,9 %"); the legend is outside the data
    area and names every mark. The comparison is shown by colour and marker shape (▲ ● ▼ ○). Values are drawn
    at the table precision ``decimals``; ``fig.wb_text`` holds the text alternative and the data table.
    """
    require_columns(df, [value, lower, upper, label, comparison], "Punktdiagramm")
    colours = load_colours()
    palette = significance_palette(polarity, colours)
    d = df.copy()
    d["_v"] = _numeric(d, value, "Punktdiagramm")
    d = pd.concat([d[d["_v"].notna()].sort_values("_v", kind="mergesort"), d[d["_v"].isna()]])
    missing = d["_v"].isna().to_numpy()
    n = len(d)
    fig, ax = new_figure(ax, (7.0, 1.2 + 0.26 * max(n, 3)))
    m = int(missing.sum())
    y = np.empty(n)
    y[~missing] = np.arange(m, n)  # ascending values upwards: highest on top
    y[missing] = np.arange(m)[::-1]  # rows without a value at the bottom
    cats = (
        d[comparison].where(d[comparison].notna(), "nicht verglichen").astype(str).to_numpy()
        if comparison
        else np.full(n, "nicht verglichen")
    )
    require_categories(cats, palette, "Punktdiagramm: Vergleichswerte", polarity, comparison)
    vals = d["_v"].to_numpy()
    lo = hi = np.full(n, np.nan)
    if lower and upper:
        lo, hi = _numeric(d, lower, "Punktdiagramm"), _numeric(d, upper, "Punktdiagramm")
        # published values at table precision; no interval without its value
        lo = np.where(missing, np.nan, np.round(lo, decimals))
        hi = np.where(missing, np.nan, np.round(hi, decimals))
        ok = ~np.isnan(lo) & ~np.isnan(hi)
        ax.hlines(y[ok], lo[ok], hi[ok], color=colours["lines"]["interval"], linewidth=1.2, zorder=2)
    vals = np.round(vals, decimals)
    for cat, colour in palette.items():  # marker shape per comparison class: colour never carries it alone
        sel = ~missing & (cats == cat)
        if not sel.any():
            continue
        sym = SIGNIFICANCE_SYMBOLS.get(cat, "●")
        ax.scatter(
            vals[sel],
            y[sel],
            c="white" if sym == "○" else colour,
            marker=SIGNIFICANCE_MARKERS[sym],
            s=40,
            zorder=3,
            edgecolors="#333333",
            linewidths=0.6,
        )
    for yi in y[missing]:
        ax.text(
            0.01,
            yi,
            "keine Angabe",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=7,
            color="#595959",
        )
    ax.set_yticks(y, d[label].astype(str).tolist(), fontsize=8)
    handles = significance_handles(palette)
    bench_text = None
    if benchmark is not None and np.isfinite(benchmark):
        bench_text = benchmark_line(
            ax, round(float(benchmark), decimals), benchmark_label, unit, decimals, colours, zorder=1
        )
        handles.append(benchmark_handle(bench_text, colours))
    german_axis(ax, "x", unit="%" if unit == "%" else "")
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if unit and unit != "%":
        ax.set_xlabel(unit, fontsize=8)
    _legend_right(ax, handles, "Vergleich")
    add_note(fig, note, title, ax)
    # text alternative and data table (the published values as drawn)
    names = d[label].astype(str).to_numpy()
    fin = ~missing
    finding = ""
    if fin.any():
        top, low = int(np.argmax(np.where(fin, vals, -np.inf))), int(np.argmin(np.where(fin, vals, np.inf)))
        finding = (
            f" Höchster Wert: {names[top]} ({format_value(vals[top], unit, decimals)}); niedrigster Wert: "
            f"{names[low]} ({format_value(vals[low], unit, decimals)})."
        )
    counts = [f"{int(((cats == c) & fin).sum())} {c}" for c in palette if ((cats == c) & fin).any()]
    alt = (
        f"Punktdiagramm: {title or 'Werte je Gebiet'}.{finding}"
        + (f" {bench_text}." if bench_text else "")
        + (f" Vergleich: {', '.join(counts)}." if comparison and counts else "")
        + (
            f" {fmt.count_word(int(missing.sum()), 'Gebiet', 'Gebiete')} ohne Angabe."
            if missing.any()
            else ""
        )
    )
    order = np.argsort(-y, kind="stable")
    kind = "share" if unit == "%" else "rate"
    table = {"Wert": vals}
    if lower and upper:
        table.update({"untere Grenze (95 %)": lo, "obere Grenze (95 %)": hi})
    if comparison:
        table["Vergleich"] = np.where(missing, "", [significance_label(c) for c in cats])
    data = pd.DataFrame(table, index=pd.Index(names, name="Gebiet")).iloc[order]
    kinds = {c: ("text" if c == "Vergleich" else kind) for c in data.columns}
    fmts = {
        c: {"decimals": decimals, "unit": unit if unit == "%" else ""}
        for c in data.columns
        if c != "Vergleich"
    }
    attach(fig, alt, data, kinds, f"Daten zur Abbildung: {title or 'Werte je Gebiet'}"
           + ("" if unit in ("%", "") else f" ({unit})"), number_formats=fmts)  # fmt: skip
    fig.dot_order = d[label].astype(str).to_numpy()[np.argsort(-y, kind="stable")].tolist()  # top to bottom
    return fig


# --------------------------------------------------------------------------------------------- pyramid

_SEX = {"m": "m", "männlich": "m", "maennlich": "m", "w": "w", "weiblich": "w", "f": "w"}


def _pyramid_table(
    pop: pd.DataFrame, age_col: str, sex_col: str, value_col: str, band: int, what: str
) -> pd.Series:
    require_columns(pop, [age_col, sex_col, value_col], what)
    age = _numeric(pop, age_col, what)
    counts = _numeric(pop, value_col, what)
    if np.isnan(age).any() or (age < 0).any():
        raise DataValidationError(f"{what}: Spalte '{age_col}' enthält fehlende oder negative Altersangaben")
    if (counts < 0).any():
        raise DataValidationError(f"{what}: Spalte '{value_col}' enthält negative Anzahlen")
    sex = pop[sex_col].astype(str).str.strip().str.lower().map(_SEX)
    if sex.isna().any():
        bad = sorted(set(pop.loc[sex.isna(), sex_col].astype(str)))
        raise DataValidationError(
            f"{what}: unbekanntes Geschlecht {', '.join(bad)}",
            where=f"Spalte {sex_col}",
            hint='"m" oder "w" verwenden',
        )
    top = 90 if band == 5 else 100
    start = np.minimum((age // band) * band, top).astype(int)
    return pd.Series(counts).groupby([sex.to_numpy(), start]).sum()


def pyramid(
    pop_a: pd.DataFrame,
    pop_b: pd.DataFrame | None = None,
    *,
    label_a: str = "Sozialraum",
    label_b: str = "Stadt",
    age_col: str = "age",
    sex_col: str = "sex",
    value_col: str = "count",
    share: bool = True,
    band: int = 5,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Age pyramid: men left, women right; ``pop_a`` as bars, ``pop_b`` (e.g. the city) as outline.

    ``band=5`` gives 5-year bands (last band 90+), ``band=1`` single years (100 = 100+). With ``share=True``
    each bar is the percentage of the whole population of that table (both sexes), so an area and the city are
    comparable. Long-format input as ``population.parquet`` (age, sex "m"/"w", count); other years or
    nationalities must be filtered before.
    """
    if band not in (1, 5):
        raise WorkbenchError(
            f"band={band} nicht möglich", hint="5 (Fünfjahresgruppen) oder 1 (Einzeljahre) angeben"
        )
    colours = load_colours()
    tables = [_pyramid_table(pop_a, age_col, sex_col, value_col, band, "Alterspyramide")]
    if pop_b is not None:
        tables.append(_pyramid_table(pop_b, age_col, sex_col, value_col, band, "Alterspyramide (Vergleich)"))
    top = 90 if band == 5 else 100
    starts = np.arange(0, top + 1, band)
    frames = []
    for t in tables:
        total = t.sum()
        if total <= 0:
            raise DataValidationError("Alterspyramide: die Bevölkerung ist 0", hint="Gebiet und Jahr prüfen")
        f = pd.DataFrame(
            {s: t.get(s, pd.Series(dtype=float)).reindex(starts, fill_value=0.0) for s in ("m", "w")}
        )
        frames.append((f / total * 100).round(1) if share else f.round(0))  # table precision
    fig, ax = new_figure(ax, (7.0, 6.0 if band == 5 else 8.0))
    height = 0.85 * band
    a = frames[0]
    male_c, female_c = colours["typology"][2], colours["typology"][1]
    ax.barh(
        starts + band / 2 - 0.5 * (band == 1),
        -a["m"],
        height=height,
        color=male_c,
        label=f"{label_a}: Männer",
    )
    ax.barh(
        starts + band / 2 - 0.5 * (band == 1),
        a["w"],
        height=height,
        color=female_c,
        label=f"{label_a}: Frauen",
    )
    if len(frames) > 1:
        b = frames[1]
        edges = np.r_[starts, starts[-1] + band] - 0.5 * (band == 1)
        for col, sign in (("m", -1), ("w", 1)):
            ax.stairs(
                sign * b[col].to_numpy(),
                edges,
                orientation="horizontal",
                color=colours["lines"]["benchmark"],
                linewidth=1.2,
                baseline=None,
                label=label_b if col == "m" else None,
            )
    lim = max(float(np.nanmax([f.to_numpy().max() for f in frames])), 1e-9) * 1.1
    ax.set_xlim(-lim, lim)
    ax.axvline(0, color="#333333", linewidth=0.6)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.number(abs(v), 1 if share else 0)))
    what = "Anteil an der Bevölkerung in %" if share else "Personen"
    ax.set_xlabel(f"\u2190 Männer    {what}    Frauen \u2192", fontsize=8)
    tick_labels = (
        [f"{s}–{s + band - 1}" if s < top else f"{top}+" for s in starts]
        if band == 5
        else [f"{s}" if s < 100 else "100+" for s in starts]
    )
    tick_starts = starts if band == 5 else np.arange(0, 101, 10)
    ax.set_yticks(
        tick_starts + (band / 2 if band == 5 else 0),
        [f"{s}–{s + band - 1}" if s < top else f"{top}+" for s in tick_starts]
        if band == 5
        else [f"{s}" if s < 100 else "100+" for s in tick_starts],
        fontsize=7,
    )
    ax.set_ylabel("Alter in Jahren", fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # legend below the axes, outside the bars (inside it covered the bars of ages 0–9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=7, frameon=False)
    add_note(fig, note, title, ax)
    unit = "%" if share else ""
    d = 1 if share else 0
    cols = {f"{label_a}: Männer": a["m"].to_numpy(), f"{label_a}: Frauen": a["w"].to_numpy()}
    if len(frames) > 1:
        cols.update(
            {f"{label_b}: Männer": frames[1]["m"].to_numpy(), f"{label_b}: Frauen": frames[1]["w"].to_numpy()}
        )
    data = pd.DataFrame(cols, index=pd.Index(tick_labels, name="Alter in Jahren")).iloc[::-1]
    peak = a.stack().idxmax()
    sex_word = {"m": "Männer", "w": "Frauen"}[peak[1]]
    alt = (
        f"Alterspyramide: {title or label_a}. {'Anteile' if share else 'Personen'} je "
        f"{'Fünfjahres-Altersgruppe' if band == 5 else 'Altersjahr'} nach Geschlecht, Männer links, Frauen rechts"
        + (f", {label_b} als Linie zum Vergleich" if len(frames) > 1 else "")
        + f". Größte Gruppe in {label_a}: {sex_word} {tick_labels[list(starts).index(peak[0])]} Jahre "
        f"({format_value(a.loc[peak[0], peak[1]], unit, d)})."
    )
    kind = "share" if share else "count"
    attach(
        fig, alt, data, {c: kind for c in data.columns}, f"Daten zur Abbildung: {title or 'Alterspyramide'}",
        number_formats={c: {"decimals": d, "unit": unit} for c in data.columns} if share else None,
    )  # fmt: skip
    fig.pyramid_data = frames
    return fig


# --------------------------------------------------------------------------------------------- trend chart


def trend_chart(
    df: pd.DataFrame,
    *,
    year: str = "year",
    value: str = "value",
    lower: str | None = None,
    upper: str | None = None,
    series: str | None = None,
    benchmark: str | float | None = None,
    benchmark_label: str = "Stadt",
    unit: str = "%",
    decimals: int = 1,
    title: str | None = None,
    note: str = "",
    marker_text: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Time series: one line per ``series`` (e.g. area), shaded interval band, dashed benchmark.

    ``benchmark`` is a column of ``df`` with the benchmark value per year, or one constant. ``marker_text``
    (e.g. "Trend: steigend (χ²-Trendtest, 99,8 %)") is printed under the axes (outside the data area); the
    legend is outside on the right. ``fig.wb_text``: text alternative and data table (year × series).
    """
    require_columns(
        df,
        [year, value, lower, upper, series, benchmark if isinstance(benchmark, str) else None],
        "Zeitreihe",
    )
    colours = load_colours()
    fig, ax = new_figure(ax, (7.0, 4.0))
    d = df.copy()
    d["_y"] = _numeric(d, year, "Zeitreihe")
    d["_v"] = _numeric(d, value, "Zeitreihe")
    groups = [(None, d)] if series is None else list(d.groupby(series, sort=False))
    pal = colours["typology"]
    for i, (name, g) in enumerate(groups):
        g = g.sort_values("_y")
        c = colours["lines"]["bar"] if series is None else pal[i % len(pal)]
        v = np.round(g["_v"].to_numpy(dtype=float), decimals)  # drawn at the table precision
        ax.plot(
            g["_y"],
            v,
            marker="o",
            color=c,
            linewidth=1.8,
            markersize=4,
            label=str(name) if name is not None else None,
        )
        if lower and upper:
            ok = np.isfinite(v)  # no interval for a withheld value
            ax.fill_between(
                g["_y"],
                np.where(ok, np.round(_numeric(g, lower, "Zeitreihe"), decimals), np.nan),
                np.where(ok, np.round(_numeric(g, upper, "Zeitreihe"), decimals), np.nan),
                color=c,
                alpha=0.18,
                linewidth=0,
            )
    if isinstance(benchmark, str):
        bm = d.groupby("_y")[benchmark].first().sort_index()
        ax.plot(
            bm.index,
            np.round(bm.to_numpy(dtype=float), decimals),
            linestyle="--",
            color=colours["lines"]["benchmark"],
            linewidth=1.2,
            label=benchmark_label,
        )
    elif benchmark is not None:
        ax.axhline(
            float(benchmark),
            linestyle="--",
            color=colours["lines"]["benchmark"],
            linewidth=1.2,
            label=f"{benchmark_label}: {format_value(float(benchmark), unit, decimals)}",
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{int(round(v))}"))
    german_axis(ax, "y", unit="%" if unit == "%" else "")
    if unit and unit != "%":
        ax.set_ylabel(unit, fontsize=8)
    if marker_text:  # under the axes, outside the data area (inside, the box covered a line)
        ax.text(0.0, -0.1, marker_text, transform=ax.transAxes, ha="left", va="top", fontsize=8)
    _finish_axes(ax)
    if ax.get_legend_handles_labels()[0]:
        _legend_right(ax, ax.get_legend_handles_labels()[0])
    add_note(fig, note, title, ax)
    # text alternative and data table: one row per year, one column per series (and the benchmark)
    wide = {}
    for name, g in groups:
        g = g.sort_values("_y")
        wide[str(name) if name is not None else "Wert"] = pd.Series(
            np.round(g["_v"].to_numpy(dtype=float), decimals), index=g["_y"].astype(int).to_numpy()
        )
    if isinstance(benchmark, str):
        bm = d.groupby("_y")[benchmark].first().sort_index()
        wide[benchmark_label] = pd.Series(
            np.round(bm.to_numpy(dtype=float), decimals), index=bm.index.astype(int)
        )
    data = pd.DataFrame(wide)
    data.index = pd.Index([str(i) for i in data.index], name="Jahr")
    data = data.loc[:, ~data.columns.duplicated()]
    parts = []
    if len(data):
        first, last = data.index[0], data.index[-1]
        for c in list(data.columns)[:8]:
            v0, v1 = data[c].iloc[0], data[c].iloc[-1]
            parts.append(
                f"{c} {format_value(v0, unit, decimals)} ({first}) → {format_value(v1, unit, decimals)} ({last})"
            )
    alt = (
        f"Zeitreihe: {title or 'Entwicklung'}. "
        + "; ".join(parts)
        + "."
        + (f" {marker_text}." if marker_text else "")
    )
    kind = "share" if unit == "%" else "rate"
    attach(
        fig, alt, data, {c: kind for c in data.columns}, f"Daten zur Abbildung: {title or 'Zeitreihe'}",
        number_formats={c: {"decimals": decimals, "unit": "%" if unit == "%" else ""} for c in data.columns},
    )  # fmt: skip
    return fig
