"""Bar charts: simple bars, grouped bars and stacked Likert bars (survey answers).

Re-exported by ``workbench.render.plots``; conventions (German labels, notes, colours) as described there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from workbench.errors import DataValidationError
from workbench.render import _style as style
from workbench.render import fmt
from workbench.render.figure_text import attach


def bar_chart(
    df: pd.DataFrame,
    *,
    value: str,
    label: str,
    unit: str = "%",
    decimals: int = 1,
    highlight: str | Sequence[str] | None = None,
    benchmark: float | None = None,
    benchmark_label: str = "Stadt",
    sort: bool = True,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Horizontal bars with the German value at each bar; ``highlight`` labels are drawn in the highlight colour."""
    style.require_columns(df, [value, label], "Balkendiagramm")
    colours = style.load_colours()
    d = df.assign(_v=style._numeric(df, value, "Balkendiagramm"))
    if sort:
        d = d.sort_values("_v", kind="mergesort", na_position="first")
    marks = {highlight} if isinstance(highlight, str) else set(highlight or [])
    labels = d[label].astype(str).tolist()
    fig, ax = style.new_figure(ax, (7.0, 1.0 + 0.3 * max(len(d), 3)))
    cols = [colours["lines"]["highlight"] if lab in marks else colours["lines"]["bar"] for lab in labels]
    vals = d["_v"].to_numpy()
    ax.barh(np.arange(len(d)), np.nan_to_num(vals), color=cols, height=0.7)
    for i, v in enumerate(vals):
        ax.text(
            0 if np.isnan(v) else v, i, " " + style.format_value(v, unit, decimals), va="center", fontsize=7
        )
    ax.set_yticks(np.arange(len(d)), labels, fontsize=8)
    bench_text = None
    if benchmark is not None:
        bench_text = style.benchmark_line(ax, benchmark, benchmark_label, unit, decimals, colours)
        style._legend_right(ax, [style.benchmark_handle(bench_text, colours)])
    style.german_axis(ax, "x", unit="%" if unit == "%" else "")
    ax.margins(x=0.12)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    style.add_note(fig, note, title, ax)
    shown = np.round(vals, decimals)
    data = pd.DataFrame({"Wert": shown}, index=pd.Index(labels, name="Kategorie")).iloc[::-1]
    ok = np.isfinite(shown)
    finding = ""
    if ok.any():
        i = int(np.nanargmax(np.where(ok, shown, -np.inf)))
        finding = f" Höchster Wert: {labels[i]} ({style.format_value(shown[i], unit, decimals)})."
    alt = f"Balkendiagramm: {title or 'Werte'}.{finding}" + (f" {bench_text}." if bench_text else "")
    attach(fig, alt, data, {"Wert": "share" if unit == "%" else "rate"}, f"Daten zur Abbildung: {title or 'Balkendiagramm'}",
           number_formats={"Wert": {"decimals": decimals, "unit": "%" if unit == "%" else ""}})  # fmt: skip
    return fig


def grouped_bars(
    df: pd.DataFrame,
    *,
    category: str,
    group: str,
    value: str,
    unit: str = "%",
    decimals: int = 1,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Vertical bars per ``category`` with one bar per ``group`` side by side (e.g. area vs. city per age group)."""
    style.require_columns(df, [category, group, value], "Gruppiertes Balkendiagramm")
    colours = style.load_colours()
    d = df.assign(_v=style._numeric(df, value, "Gruppiertes Balkendiagramm"))
    if d.duplicated([category, group]).any():
        raise DataValidationError(
            "Gruppiertes Balkendiagramm: Kategorie und Gruppe kommen mehrfach vor",
            hint="Tabelle vorher aggregieren",
        )
    table = d.pivot(index=category, columns=group, values="_v")
    table = table.reindex(index=pd.unique(d[category]), columns=pd.unique(d[group]))
    fig, ax = style.new_figure(ax, (max(5.0, 1.2 * len(table)), 4.0))
    k = len(table.columns)
    width = 0.8 / k
    xs = np.arange(len(table))
    table = table.round(decimals)  # drawn at the table precision
    for j, g in enumerate(table.columns):
        v = table[g].to_numpy(dtype=float)
        ok = np.isfinite(v)
        x = xs - 0.4 + width * (j + 0.5)
        ax.bar(
            x[ok],
            v[ok],
            width=width * 0.95,
            color=colours["typology"][j % len(colours["typology"])],
            label=str(g),
        )
        for xi in x[~ok]:  # a withheld value is shown as its sign, never as a bar of 0
            ax.text(xi, 0, fmt.sign("geheim"), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(xs, [str(c) for c in table.index], fontsize=8)
    style.german_axis(ax, "y", unit="%" if unit == "%" else "")
    if unit and unit != "%":
        ax.set_ylabel(unit, fontsize=8)
    style._finish_axes(ax)
    style._legend_right(ax, ax.get_legend_handles_labels()[0])
    style.add_note(fig, note, title, ax)
    data = table.copy()
    data.index = pd.Index([str(c) for c in data.index], name=str(category))
    data.columns = [str(c) for c in data.columns]
    parts = []
    for c in data.columns:
        col = data[c]
        if col.notna().any():
            parts.append(
                f"{c}: höchster Wert {col.idxmax()} ({style.format_value(col.max(), unit, decimals)})"
            )
    alt = f"Balkendiagramm: {title or 'Werte je Gruppe'}. " + "; ".join(parts) + "."
    kind = "share" if unit == "%" else "rate"
    attach(fig, alt, data, {c: kind for c in data.columns}, f"Daten zur Abbildung: {title or 'Balkendiagramm'}",
           number_formats={c: {"decimals": decimals, "unit": "%" if unit == "%" else ""} for c in data.columns})  # fmt: skip
    return fig


def likert_bars(
    df: pd.DataFrame,
    *,
    levels: Sequence[str] | None = None,
    n: pd.Series | None = None,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Diverging stacked bars for Likert items: rows = items (index = German item text), columns = answers
    ordered from most negative to most positive, values = (weighted) counts or shares.

    Each row is normalised to 100 %; negative answers go left of 0, positive right, an odd middle answer is
    split half and half around 0. Shares of at least 5 % are written into the bars. ``n`` (answers per item)
    is added to the item labels. ``fig.likert_shares`` holds the shares in %.
    """
    levels = list(levels) if levels is not None else [str(c) for c in df.columns]
    style.require_columns(df.rename(columns=str), levels, "Likert-Diagramm")
    colours = style.load_colours()
    values = df.rename(columns=str)[levels].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    if (values.to_numpy() < 0).any():
        raise DataValidationError("Likert-Diagramm: negative Anzahlen", hint="Eingabetabelle prüfen")
    totals = values.sum(axis=1)
    shares = values.div(totals.where(totals > 0), axis=0) * 100
    k = len(levels)
    cols = (
        colours["likert"] if k == len(colours["likert"]) else style.sequential_colours(colours["likert"], k)
    )
    half = k // 2
    mid = k % 2 == 1
    left = -shares.iloc[:, :half].sum(axis=1) - (shares.iloc[:, half] / 2 if mid else 0)
    fig, ax = style.new_figure(ax, (8.0, 1.3 + 0.45 * max(len(df), 2)))
    y = np.arange(len(df))[::-1]
    start = left.fillna(0).to_numpy().copy()
    for j, lev in enumerate(levels):
        w = shares[lev].fillna(0).to_numpy()
        ax.barh(y, w, left=start, color=cols[j], height=0.65, label=lev, edgecolor="white", linewidth=0.5)
        for yi, s, wi in zip(y, start, w, strict=True):
            if wi >= 5:
                r, g, b = mcolors.to_rgb(cols[j])
                ink = (
                    "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"
                )  # readable on dark fills
                ax.text(s + wi / 2, yi, fmt.number(wi, 0), ha="center", va="center", fontsize=7, color=ink)
        start = start + w
    labels = [str(i) for i in df.index]
    if n is not None:
        labels = [
            f"{lab} (n = {fmt.number(n.get(i, np.nan), 0)})" for lab, i in zip(labels, df.index, strict=True)
        ]
    for yi in y[totals.to_numpy() <= 0]:
        ax.text(0, yi, "keine Angaben", ha="center", va="center", fontsize=7, color="#595959")
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0, color="#333333", linewidth=0.8, zorder=0.5)
    extent = float(np.nanmax(np.abs(np.r_[left.fillna(0).to_numpy(), start, 1.0])))
    lim = min(100.0, np.ceil((extent + 5) / 25) * 25)
    ax.set_xlim(-lim, lim)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{fmt.number(abs(v), 0)}\u00a0%"))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(k, 5), frameon=False, fontsize=7)
    style.add_note(fig, note, title, ax)
    fig.likert_shares = shares
    data = shares.round(0)
    data.index = pd.Index(labels, name="Aussage")
    data.columns = [str(c) for c in data.columns]
    pos = shares.iloc[:, k - half :].sum(axis=1)
    best = str(pos.idxmax()) if pos.notna().any() else ""
    alt = (
        f"Gestapelte Balken: {title or 'Antworten'}. Anteile der Antworten je Aussage, ablehnende links, zustimmende "
        f"rechts." + (f" Höchste Zustimmung: {best} ({fmt.number(pos.max(), 0)}\u00a0%)." if best else "")
    )
    attach(fig, alt, data, {c: "share" for c in data.columns}, f"Daten zur Abbildung: {title or 'Antworten'} (Anteile)",
           number_formats={c: {"decimals": 0, "unit": "%"} for c in data.columns})  # fmt: skip
    return fig
