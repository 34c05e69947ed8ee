"""Profile charts: spine chart (areas against the city range) and funnel plot (rates against control limits).

Re-exported by ``workbench.render.plots``; conventions (German labels, notes, colours) as described there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from workbench.errors import DataValidationError, WorkbenchError
from workbench.render import _style as style
from workbench.render import fmt
from workbench.render.figure_text import (
    SIGNIFICANCE_MARKERS,
    SIGNIFICANCE_SYMBOLS,
    FigureText,
    attach,
    significance_label,
)
from workbench.stats import funnel_limits as stats_limits


def round_to_table(values: np.ndarray, rows: pd.DataFrame, decimals: int | None = None) -> np.ndarray:
    """``values`` rounded to the precision of the table cell that publishes them: per row by a ``decimals``
    column of ``rows`` when it has one, else by ``decimals`` (None: unchanged). A figure drawn from rounded
    values carries no digit the tables do not show (positions are functions of the rounded values only)."""
    x = np.asarray(values, dtype=float)
    if "decimals" in rows.columns:
        dec = pd.to_numeric(rows["decimals"], errors="coerce").fillna(1).to_numpy(dtype=int)
        return np.array(
            [round(float(a), int(d)) if np.isfinite(a) else np.nan for a, d in zip(x, dec, strict=True)]
        )
    return x if decimals is None else np.round(x, decimals)


def spine_positions(rows: pd.DataFrame) -> pd.DataFrame:
    """Positions (0 … 1) of the spine chart: city value at 0.5, the worse side always left.

    Per row the scale is the larger distance between the city value and the minimum or maximum of all areas
    (Fingertips method), so the range of all areas fits and 0.5 is the benchmark. High values go left when
    high is bad ("hoch = schlecht"), right otherwise (also for neutral indicators).
    """
    style.require_columns(
        rows, ["value", "city_value", "min", "p25", "p75", "max", "polarity"], "Spine-Chart"
    )
    cols = ["value", "city_value", "min", "p25", "p75", "max"]
    v = {c: style._numeric(rows, c, "Spine-Chart") for c in cols}
    v = {c: round_to_table(x, rows) for c, x in v.items()}
    direction = np.array(
        [-1.0 if style.normalise_polarity(p) == "hoch = schlecht" else 1.0 for p in rows["polarity"]]
    )
    city = v["city_value"]
    scale = np.fmax(np.abs(city - v["min"]), np.abs(v["max"] - city))
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    out = pd.DataFrame(index=rows.index)
    for c in ("value", "min", "p25", "p75", "max"):
        out[f"pos_{c}"] = 0.5 + direction * (v[c] - city) / (2 * scale)
    return out


def spine_comparison(row: pd.Series, colours: dict) -> tuple[str, str]:
    """The comparison of one spine-chart row with the city ("nicht verglichen" when it is none of the
    categories of the row's polarity) and its colour."""
    palette = style.significance_palette(row["polarity"], colours)
    cmp = row["comparison"]
    if not (isinstance(cmp, str) and cmp in palette):
        cmp = "nicht verglichen"
    return cmp, palette[cmp]


def spine_chart(
    rows: pd.DataFrame,
    *,
    area_label: str = "Gebiet",
    city_label: str = "Stadt",
    decimals: int = 1,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Fingertips-style spine chart for an area profile: one line per indicator.

    ``rows`` has columns label, value, city_value, min, p25, p75, max, comparison, polarity, unit. Light bar:
    range of all areas; dark bar: 25th to 75th percentile; vertical line: city; dot: this area, coloured by its
    comparison with the city. The worse side is always on the left.
    """
    style.require_columns(
        rows,
        ["label", "value", "city_value", "min", "p25", "p75", "max", "comparison", "polarity", "unit"],
        "Spine-Chart",
    )
    colours = style.load_colours()
    pos = spine_positions(rows)
    n = len(rows)
    fig, ax = style.new_figure(ax, (9.0, 1.0 + 0.38 * max(n, 2)))
    y = np.arange(n)[::-1].astype(float)
    for yi, (_, r), (_, p) in zip(y, rows.iterrows(), pos.iterrows(), strict=True):
        lo, hi = sorted([p["pos_min"], p["pos_max"]])
        ax.barh(yi, hi - lo, left=lo, height=0.55, color=colours["lines"]["spine_range"], zorder=1)
        lo, hi = sorted([p["pos_p25"], p["pos_p75"]])
        ax.barh(yi, hi - lo, left=lo, height=0.55, color=colours["lines"]["spine_iqr"], zorder=2)
        cmp, colour = spine_comparison(r, colours)
        if np.isfinite(p["pos_value"]):
            sym = SIGNIFICANCE_SYMBOLS.get(cmp, "●")
            ax.scatter(
                [p["pos_value"]],
                [yi],
                s=60,
                color="white" if sym == "○" else colour,
                marker=SIGNIFICANCE_MARKERS[sym],
                edgecolors="#222222",
                linewidths=0.6,
                zorder=4,
            )
        unit = str(r["unit"]) if pd.notna(r["unit"]) else ""
        ax.text(-1.75, yi, str(r["label"]), va="center", ha="left", fontsize=8)
        ax.text(
            -0.42, yi, style.format_value(r["value"], unit, decimals), va="center", ha="right", fontsize=8
        )
        ax.text(
            -0.08,
            yi,
            style.format_value(r["city_value"], unit, decimals),
            va="center",
            ha="right",
            fontsize=8,
        )
    ax.axvline(0.5, color=colours["lines"]["benchmark"], linewidth=1.2, zorder=3)
    head = n - 0.35
    for x, text, ha in (
        (-1.75, "Indikator", "left"),
        (-0.42, area_label, "right"),
        (-0.08, city_label, "right"),
        (0.0, "← schlechter", "left"),
        (1.0, "besser →", "right"),
    ):
        ax.text(x, head, text, ha=ha, va="bottom", fontsize=8, fontweight="bold")
    ax.set_xlim(-1.78, 1.03)
    ax.set_ylim(-0.6, n + 0.2)
    ax.set_axis_off()
    handles = style.significance_handles(spine_legend_palette(rows, colours), edge="#222222")
    handles += [
        Patch(facecolor=colours["lines"]["spine_range"], label="Spannweite aller Gebiete"),
        Patch(facecolor=colours["lines"]["spine_iqr"], label="mittlere 50 % der Gebiete"),
        Line2D([], [], color=colours["lines"]["benchmark"], label=city_label),
    ]
    if any(style.normalise_polarity(p) == "neutral" for p in rows["polarity"]):
        note = (note + "; " if note else "") + "Neutrale Indikatoren: links niedriger, rechts höher."
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, frameon=False, fontsize=7
    )
    style.add_note(fig, note, title, ax)
    fig.spine_positions = pos
    info = spine_text(rows, area_label, city_label, decimals, title)
    attach(fig, info.alt, info.data, info.kinds, info.caption, **info.options)
    return fig


def spine_legend_palette(rows: pd.DataFrame, colours: dict) -> dict[str, str]:
    """Legend entries (label → colour) for every dot colour a spine chart can draw: the polar classes, and the
    neutral ones ("höher", "niedriger", their own "ähnlich") when a neutral indicator is among the rows."""
    out = dict(style.significance_palette("hoch = schlecht", colours))
    if any(style.normalise_polarity(p) == "neutral" for p in rows["polarity"]):
        for k, c in style.significance_palette("neutral", colours).items():
            if k == "ähnlich" and c != out.get("ähnlich"):
                out["ähnlich (neutraler Indikator)"] = c
            elif k not in out:
                out[k] = c
    return out


def spine_text(
    rows: pd.DataFrame, area_label: str, city_label: str, decimals: int, title: str | None
) -> FigureText:
    """Text alternative and data table of a spine chart: value, city value and comparison per indicator (the
    published values at table precision)."""
    colours = style.load_colours()
    value = round_to_table(rows["value"].to_numpy(dtype=float), rows, decimals)
    city = round_to_table(rows["city_value"].to_numpy(dtype=float), rows, decimals)
    cmps = [spine_comparison(r, colours)[0] for _, r in rows.iterrows()]
    labels = [
        f"{lab} ({u})" if isinstance(u, str) and u not in ("", "%") else str(lab)
        for lab, u in zip(rows["label"], rows["unit"], strict=True)
    ]
    shown = [
        [fmt.number(v, int(d)) if np.isfinite(v) else fmt.sign("geheim") for v in (a, b)]
        for a, b, d in zip(
            value,
            city,
            rows["decimals"] if "decimals" in rows.columns else [decimals] * len(rows),
            strict=True,
        )
    ]
    units = ["%" if u == "%" else "" for u in rows["unit"]]
    data = pd.DataFrame(
        {
            area_label: [f"{a}\u00a0{u}".strip() if a != fmt.sign("geheim") else a for (a, _b), u in zip(shown, units, strict=True)],
            city_label: [f"{b}\u00a0{u}".strip() if b != fmt.sign("geheim") else b for (_a, b), u in zip(shown, units, strict=True)],
            "Vergleich mit der Stadt": [significance_label(c) for c in cmps],
        },
        index=pd.Index(labels, name="Indikator"),
    )  # fmt: skip
    worse = [lab for lab, c in zip(labels, cmps, strict=True) if c == "schlechter"]
    better = [lab for lab, c in zip(labels, cmps, strict=True) if c == "besser"]
    alt = (
        f"Spine-Chart: {title or area_label}. {len(rows)} Indikatoren von {area_label} im Vergleich mit "
        f"{city_label} und der Spannweite aller Gebiete. Signifikant schlechter: {', '.join(worse) or 'keiner'}; "
        f"signifikant besser: {', '.join(better) or 'keiner'}."
    )
    return FigureText(
        alt, data, {c: "text" for c in data.columns}, f"Daten zur Abbildung: {title or 'Spine-Chart'}"
    )


def _fraction(confidence: float) -> float:
    c = float(confidence)
    c = c / 100 if c > 1 else c
    if not 0.5 < c < 1:
        raise WorkbenchError(
            f"Konfidenzniveau {confidence} ungültig", hint="z. B. 0.95 oder 95, 0.998 oder 99.8"
        )
    return c


def funnel_limits(
    p_bar: float,
    n: np.ndarray,
    confidence: float,
    overdispersion: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Control limits (proportions) around ``p_bar`` at denominators ``n``: Wilson limits of p̄ at n, taken from
    :func:`workbench.stats.funnel_limits` (imported lazily; optional DerSimonian–Laird over-dispersion)."""

    lo, hi = stats_limits(
        p_bar, np.asarray(n, dtype=float), confidence=confidence, overdispersion=overdispersion
    )
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)


def funnel_plot(
    df: pd.DataFrame,
    *,
    numerator: str,
    denominator: str,
    benchmark: float | None = None,
    confidence: Sequence[float] = (0.95, 0.998),
    label: str | None = None,
    polarity: str = "neutral",
    multiplier: float = 100.0,
    unit: str = "%",
    benchmark_label: str = "Stadt",
    overdispersion: bool = False,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Funnel plot of proportions: value (x/n × multiplier) against the denominator n with Wilson control limits.

    ``benchmark`` is in the plotted unit (e.g. 18.9 for 18,9 %); without it the pooled value Σx/Σn is used.
    Dots are coloured by the comparison at the first confidence level (polarity-aware); areas outside the last
    (widest) level are labelled. Rows with a missing (suppressed) numerator are left out and counted in the note.
    ``overdispersion=True`` widens the limits by the between-area variance τ² (DerSimonian–Laird on the
    logit, see ``workbench.stats.funnel_limits``) and says so in the note. ``fig.funnel_table`` holds the
    values, limits and comparison per area.
    """
    style.require_columns(df, [numerator, denominator, label], "Funnel-Plot")
    levels = [_fraction(c) for c in confidence]
    if not levels:
        raise WorkbenchError("Funnel-Plot: mindestens ein Konfidenzniveau angeben")
    x_all, n_all = (
        style._numeric(df, numerator, "Funnel-Plot"),
        style._numeric(df, denominator, "Funnel-Plot"),
    )
    keep = ~np.isnan(x_all) & ~np.isnan(n_all)
    x, n = x_all[keep], n_all[keep]
    bad = np.flatnonzero((n <= 0) | (x < 0) | (x > n))
    if bad.size:
        row = df.index[keep][bad[0]]
        raise DataValidationError(
            "Funnel-Plot: Zähler muss zwischen 0 und Nenner liegen, Nenner > 0",
            where=f"Zeile {row}",
            hint=f"Spalten {numerator}/{denominator} prüfen",
        )
    if x.size == 0:
        raise DataValidationError("Funnel-Plot: keine Gebiete mit Zähler und Nenner")
    p_bar = float(benchmark) / multiplier if benchmark is not None else float(x.sum() / n.sum())
    if not 0.0 <= p_bar <= 1.0:
        raise WorkbenchError(
            f"Funnel-Plot: Vergleichswert {benchmark} liegt außerhalb von 0 bis {fmt.number(multiplier)}",
            hint="Vergleichswert in derselben Einheit wie die Werte angeben (z. B. 18.9 für 18,9 %)",
        )
    od = (x, n) if overdispersion else None
    colours = style.load_colours()
    palette = style.significance_palette(polarity, colours)
    pol = style.normalise_polarity(polarity)
    table = pd.DataFrame({"n": n, "value": x / n * multiplier}, index=df.index[keep])
    if label:
        table.insert(0, "label", df.loc[keep, label].astype(str).to_numpy())
    for c in levels:
        lo, hi = funnel_limits(p_bar, n, c, od)
        table[f"lower_{c:g}"], table[f"upper_{c:g}"] = lo * multiplier, hi * multiplier
    first, last = levels[0], levels[-1]
    above = table["value"] > table[f"upper_{first:g}"]
    below = table["value"] < table[f"lower_{first:g}"]
    high, low = {
        "neutral": ("höher", "niedriger"),
        "hoch = schlecht": ("schlechter", "besser"),
        "hoch = gut": ("besser", "schlechter"),
    }[pol]
    table["comparison"] = np.where(above, high, np.where(below, low, "ähnlich"))
    table["outside_last"] = (table["value"] > table[f"upper_{last:g}"]) | (
        table["value"] < table[f"lower_{last:g}"]
    )
    fig, ax = style.new_figure(ax, (7.0, 4.5))
    grid = np.linspace(max(n.min() * 0.8, 1.0), n.max() * 1.1, 300)
    styles = ["--", "-", ":", "-."]
    for i, c in enumerate(levels):
        lo, hi = funnel_limits(p_bar, grid, c, od)
        lab = f"Kontrollgrenze {fmt.number(c * 100, 1 if (c * 100) % 1 else 0)}\u00a0%"
        ax.plot(grid, lo * multiplier, color="#808080", linestyle=styles[i % 4], linewidth=0.9, label=lab)
        ax.plot(grid, hi * multiplier, color="#808080", linestyle=styles[i % 4], linewidth=0.9)
    ax.axhline(
        p_bar * multiplier,
        color=colours["lines"]["benchmark"],
        linewidth=1.6,
        label=f"{benchmark_label}: {style.format_value(p_bar * multiplier, unit, 1)}",
    )
    for k, colour in palette.items():  # colour and marker shape (▲ ● ▼), never colour alone
        sub = table[table["comparison"] == k]
        if len(sub):
            sym = SIGNIFICANCE_SYMBOLS.get(k, "●")
            ax.scatter(
                sub["n"],
                sub["value"],
                c="white" if sym == "○" else colour,
                marker=SIGNIFICANCE_MARKERS[sym],
                s=30,
                edgecolors="#222222",
                linewidths=0.5,
                zorder=3,
            )
    if label:
        out = table[table["outside_last"]]
        style.place_labels(
            ax, out["n"].to_numpy(), out["value"].to_numpy(), out["label"].astype(str).tolist(), fontsize=7
        )
    style.german_axis(ax, "x", decimals=0)
    style.german_axis(ax, "y", unit="%" if unit == "%" else "")
    ax.set_xlabel("Nenner (Personen)", fontsize=8)
    style._finish_axes(ax)
    handles = ax.get_legend_handles_labels()[0]
    handles += style.significance_handles(
        {k: c for k, c in palette.items() if k != "nicht verglichen"}, edge="#222222"
    )
    style._legend_right(ax, handles)
    if overdispersion:
        note = (
            note + "; " if note else ""
        ) + "Grenzen um Überdispersion erweitert (DerSimonian-Laird, Logit)"
    skipped = int((~keep).sum())
    if skipped:
        note = (
            note + "; " if note else ""
        ) + f"{fmt.count_word(skipped, 'Gebiet', 'Gebiete')} ohne Wert nicht dargestellt"
    style.add_note(fig, note, title, ax)
    fig.funnel_table = table
    names = (
        table["label"]
        if "label" in table.columns
        else pd.Series([str(i) for i in table.index], index=table.index)
    )
    data = pd.DataFrame(
        {
            "Nenner": table["n"].to_numpy(dtype=float),
            "Wert": np.round(table["value"].to_numpy(dtype=float), 1),
            "Lage": [significance_label(k) for k in table["comparison"]],
        },
        index=pd.Index(names.astype(str).to_numpy(), name="Gebiet"),
    )
    outside = [str(a) for a, o in zip(names, table["outside_last"], strict=True) if o]
    alt = (
        f"Funnel-Plot: {title or 'Werte gegen Nenner'}. {len(table)} Gebiete gegen ihre Kontrollgrenzen um "
        f"{style.format_value(p_bar * multiplier, unit, 1)}; außerhalb der äußeren Grenze: "
        f"{', '.join(outside) or 'keines'}."
    )
    attach(fig, alt, data, {"Nenner": "count", "Wert": "share" if unit == "%" else "rate", "Lage": "text"},
           f"Daten zur Abbildung: {title or 'Funnel-Plot'}",
           number_formats={"Wert": {"decimals": 1, "unit": "%" if unit == "%" else ""}})  # fmt: skip
    return fig
