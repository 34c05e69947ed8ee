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
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
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
    benchmark_line,
    figure_to_png_bytes,
    format_value,
    german_axis,
    load_colours,
    new_figure,
    normalise_polarity,
    require_categories,
    require_columns,
    sequential_colours,
    significance_palette,
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

    Rows without a value (suppressed or missing) are listed at the bottom as "keine Angabe". The benchmark is a
    dashed vertical line labelled e.g. "Stadt: 18,9 %".
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
    if lower and upper:
        lo, hi = _numeric(d, lower, "Punktdiagramm"), _numeric(d, upper, "Punktdiagramm")
        ok = ~np.isnan(lo) & ~np.isnan(hi)
        ax.hlines(y[ok], lo[ok], hi[ok], color=colours["lines"]["interval"], linewidth=1.2, zorder=2)
    vals = d["_v"].to_numpy()
    ax.scatter(
        vals[~missing],
        y[~missing],
        c=[palette[c] for c in cats[~missing]],
        s=36,
        zorder=3,
        edgecolors="#333333",
        linewidths=0.5,
    )
    for yi in y[missing]:
        ax.text(
            0.01,
            yi,
            "keine Angabe",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=7,
            color="#777777",
        )
    ax.set_yticks(y, d[label].astype(str).tolist(), fontsize=8)
    handles = [Patch(facecolor=c, edgecolor="#333333", label=k) for k, c in palette.items()]
    if benchmark is not None and np.isfinite(benchmark):
        text = benchmark_line(ax, benchmark, benchmark_label, unit, decimals, colours, zorder=1)
        handles.append(Line2D([], [], color=colours["lines"]["benchmark"], linestyle="--", label=text))
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
        frames.append(f / total * 100 if share else f)
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
    ax.set_xlabel("Anteil an der Bevölkerung in %" if share else "Personen", fontsize=8)
    tick_starts = starts if band == 5 else np.arange(0, 101, 10)
    ax.set_yticks(
        tick_starts + (band / 2 if band == 5 else 0),
        [f"{s}–{s + band - 1}" if s < top else f"{top}+" for s in tick_starts]
        if band == 5
        else [f"{s}" if s < 100 else "100+" for s in tick_starts],
        fontsize=7,
    )
    ax.set_ylabel("Alter in Jahren", fontsize=8)
    ax.text(0.02, 0.98, "Männer", transform=ax.transAxes, ha="left", va="top", fontsize=10, fontweight="bold")
    ax.text(
        0.98, 0.98, "Frauen", transform=ax.transAxes, ha="right", va="top", fontsize=10, fontweight="bold"
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    add_note(fig, note, title, ax)
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
    (e.g. "Trend: steigend (χ²-Trendtest, 99,8 %)") is printed in the upper left corner.
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
        ax.plot(
            g["_y"],
            g["_v"],
            marker="o",
            color=c,
            linewidth=1.8,
            markersize=4,
            label=str(name) if name is not None else None,
        )
        if lower and upper:
            ax.fill_between(
                g["_y"],
                _numeric(g, lower, "Zeitreihe"),
                _numeric(g, upper, "Zeitreihe"),
                color=c,
                alpha=0.18,
                linewidth=0,
            )
    if isinstance(benchmark, str):
        bm = d.groupby("_y")[benchmark].first().sort_index()
        ax.plot(
            bm.index,
            bm.to_numpy(dtype=float),
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
    if marker_text:
        ax.text(
            0.01,
            0.98,
            marker_text,
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#999999"},
        )
    _finish_axes(ax)
    if ax.get_legend_handles_labels()[0]:
        _legend_right(ax, ax.get_legend_handles_labels()[0])
    add_note(fig, note, title, ax)
    return fig
