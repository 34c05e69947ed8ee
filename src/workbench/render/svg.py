"""Profile charts as inline SVG text, written directly (no matplotlib), the way Fingertips draws spine charts.

Why: a Sozialraumprofil has five figures; rendering them with matplotlib (text layout, PNG encoding) cost
~3.5 CPU-s per profile. Writing the SVG elements as strings takes milliseconds, the result is vector (sharp in
print), searchable and small. All renderers are deterministic: no generated ids, coordinates formatted with
one decimal, German number format for every label (:mod:`workbench.render.fmt`). Every SVG carries a ``<title>``,
a ``<desc>`` with the note, a legend and the note (method, confidence level, comparator, source) as text at
the bottom, so it stands alone when printed. Colours come from ``config/colours.yaml``
(:func:`workbench.render.plots.load_colours`, :func:`workbench.render.plots.significance_palette`).

Charts: :func:`spine_chart_svg`, :func:`sparkline_svg` / :func:`trend_multiples_svg`, :func:`pyramid_svg`.
Maps: :func:`area_map_svg`, :func:`facility_map_svg` (module :mod:`workbench.render.svg_maps`, re-exported here).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.errors import DataValidationError
from workbench.render import fmt
from workbench.render._profile_charts import spine_legend_palette, spine_text
from workbench.render._svg_doc import (
    DEFAULT_TITLES,
    FONT,
    _decimals,
    document,
    esc,
    legend,
    nice_ticks,
    num,
    rect,
    sig_marker,
    swatch_box,
    swatch_dot,
    swatch_line,
    text,
    text_width,
)
from workbench.render.figure_text import (
    SIGNIFICANCE_SYMBOLS,
    FigureText,
    significance_label,
    significance_symbol,
    with_text,
)
from workbench.render.plots import (
    format_value,
    load_colours,
    normalise_polarity,
    spine_comparison,
    spine_positions,
)
from workbench.render.svg_maps import area_map_svg, facility_map_svg, overview_map_svg


# ------------------------------------------------------------------------------------------ spine chart
def spine_chart_svg(
    rows: pd.DataFrame,
    *,
    area_label: str = "Gebiet",
    city_label: str = "Stadt",
    decimals: int = 1,
    title: str = "",
    note: str = "",
    width: float = 780,
) -> str:
    """Fingertips spine chart as SVG: same rows and semantics as :func:`workbench.render.plots.spine_chart`.

    One line per indicator: light bar = range of all areas, dark bar = 25th–75th percentile, vertical line =
    city (always at the middle), dot = this area coloured by its comparison with the city; the worse side is
    left (positions from :func:`workbench.render.plots.spine_positions`). Each dot carries ``data-pos`` (0 … 1,
    with the decimals of the value's table cell). Every value is rounded first to the precision of its table cell (column ``decimals`` of
    ``rows``, else ``decimals``), so positions and coordinates are functions of the published rounded values.
    """
    if "decimals" not in rows.columns:
        rows = rows.assign(decimals=decimals)
    colours = load_colours()
    pos = spine_positions(rows)
    row_h, top = 22.0, 48.0
    x_label, x_val, x_city = 8.0, 330.0, 400.0
    x0, x1 = 420.0, width - 12
    cw = x1 - x0
    body = [text(8, 18, title, 13, font_weight="bold")] if title else []
    head_y = top - 8
    body += [
        text(x_label, head_y, "Indikator", 10, font_weight="bold"),
        text(x_val, head_y, area_label, 10, "end", font_weight="bold"),
        text(x_city, head_y, city_label, 10, "end", font_weight="bold"),
        text(x0, head_y, "← schlechter", 10, font_weight="bold"),
        text(x1, head_y, "besser →", 10, "end", font_weight="bold"),
    ]
    lines = colours["lines"]
    for i, ((_, r), (_, p)) in enumerate(zip(rows.iterrows(), pos.iterrows(), strict=True)):
        y = top + i * row_h
        mid = y + row_h / 2
        if i % 2 == 0:
            body.append(rect(4, y, width - 8, row_h, "#f7f7f7"))
        lo, hi = sorted([p["pos_min"], p["pos_max"]])
        body.append(rect(x0 + lo * cw, mid - 6, (hi - lo) * cw, 12, lines["spine_range"]))
        lo, hi = sorted([p["pos_p25"], p["pos_p75"]])
        body.append(rect(x0 + lo * cw, mid - 6, (hi - lo) * cw, 12, lines["spine_iqr"]))
        unit = str(r["unit"]) if pd.notna(r["unit"]) else ""
        # "%" stays with the number; longer units (je 1.000) go to the label so the value columns stay narrow
        shown_unit, label = (unit, r["label"]) if unit in ("", "%") else ("", f"{r['label']} ({unit})")
        dec = int(r["decimals"]) if "decimals" in rows.columns and pd.notna(r["decimals"]) else decimals
        value_text = format_value(r["value"], shown_unit, dec)
        body += [
            text(x_label, mid + 4, label, 11),
            text(x_val, mid + 4, value_text, 11, "end"),
            text(x_city, mid + 4, format_value(r["city_value"], shown_unit, dec), 11, "end"),
        ]
        cmp, colour = spine_comparison(r, colours)
        if np.isfinite(p["pos_value"]):
            body.append(
                sig_marker(
                    SIGNIFICANCE_SYMBOLS.get(cmp, "●"),
                    x0 + p["pos_value"] * cw,
                    mid,
                    colour,
                    extra=f' data-indicator="{esc(r.name)}" data-pos="{p["pos_value"]:.{dec}f}"',
                    tip=f"{r['label']}: {value_text} ({cmp})",
                )
            )
    bottom = top + len(rows) * row_h
    cx = x0 + 0.5 * cw
    body.append(
        f'<path d="M{num(cx)},{num(top - 2)}V{num(bottom + 2)}" stroke="{lines["benchmark"]}" stroke-width="1.4"/>'
    )
    # a legend entry for every mark: the neutral indicators' dots (höher, niedriger) too
    items = [
        (swatch_dot(c, significance_symbol(k) or "●"), significance_label(k))
        for k, c in spine_legend_palette(rows, colours).items()
    ]
    items += [
        (swatch_box(lines["spine_range"]), "Spannweite aller Gebiete"),
        (swatch_box(lines["spine_iqr"]), "mittlere 50 % der Gebiete"),
        (swatch_line(lines["benchmark"]), city_label),
    ]
    leg, leg_h = legend(items, 8, bottom + 10, width - 16)
    body += leg
    if any(normalise_polarity(p) == "neutral" for p in rows["polarity"]):
        note = (note + " " if note else "") + "Neutrale Indikatoren: links niedriger, rechts höher."
    info = spine_text(rows, area_label, city_label, decimals, title)
    return with_text(
        document(width, bottom + 14 + leg_h, title, note, body, kind="spine", desc=info.alt), info
    )


# ------------------------------------------------------------------------------------------ trends
def _segments(xs: np.ndarray, ys: np.ndarray) -> list[list[tuple[float, float]]]:
    """Runs of consecutive finite points (gaps where a value is missing or withheld)."""
    runs: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    for x, y in zip(xs, ys, strict=True):
        if np.isfinite(y):
            cur.append((x, y))
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return runs


def sparkline_svg(
    years: Sequence[int],
    values: Sequence[float],
    lower: Sequence[float] | None = None,
    upper: Sequence[float] | None = None,
    benchmark: Sequence[float] | None = None,
    *,
    unit: str = "%",
    decimals: int = 1,
    title: str = "",
    marker_text: str | None = None,
    width: float = 380,
    height: float = 160,
) -> str:
    """One small trend panel (standalone ``<svg>``): line with points, 95-% band, dashed benchmark line.

    Values, interval bounds and benchmark are rounded to ``decimals`` (their table precision) before they are
    drawn; a withheld value has no interval either. Missing values (withheld or not delivered) leave gaps. ``marker_text`` (e.g. "Trend: ↑ steigend") is
    printed in a box in the upper left corner of the plot area. No legend and note here: the small
    multiples share one (:func:`trend_multiples_svg`).
    """
    colours = load_colours()
    xs_year = np.asarray(years, dtype=float)
    v = np.asarray(values, dtype=float)
    lo = np.asarray(lower, dtype=float) if lower is not None else np.full_like(v, np.nan)
    hi = np.asarray(upper, dtype=float) if upper is not None else np.full_like(v, np.nan)
    bm = np.asarray(benchmark, dtype=float) if benchmark is not None else np.full_like(v, np.nan)
    # drawn from the values as the tables show them (``decimals``), and no interval without its value
    v, lo, hi, bm = (np.round(x, decimals) for x in (v, lo, hi, bm))
    lo, hi = np.where(np.isfinite(v), lo, np.nan), np.where(np.isfinite(v), hi, np.nan)
    left, right, top, bottom = 46.0, width - 10, 40.0, height - 20
    allv = np.concatenate([v, lo, hi, bm])
    allv = allv[np.isfinite(allv)]
    body = [text(6, 14, title, 11, font_weight="bold")]
    if allv.size:
        vmin, vmax = float(allv.min()), float(allv.max())
        pad = (vmax - vmin) * 0.08 or max(abs(vmax) * 0.1, 0.5)
        vmin, vmax = vmin - pad, vmax + pad
        if vmin < 0 <= allv.min():
            vmin = 0.0
        ticks = nice_ticks(vmin, vmax, 3)
        dec = _decimals(float(ticks[1] - ticks[0])) if len(ticks) > 1 else decimals
    else:
        vmin, vmax, ticks, dec = 0.0, 1.0, np.array([]), 0
    x_lo, x_hi = (xs_year.min(), xs_year.max()) if xs_year.size else (0.0, 1.0)
    span = (x_hi - x_lo) or 1.0

    def px(x: float) -> float:
        return left + 8 + (x - x_lo) / span * (right - left - 16)

    def py(y: float) -> float:
        return bottom - (y - vmin) / (vmax - vmin) * (bottom - top)

    for t in ticks:
        yy = py(t)
        label = fmt.number(t, dec) + ("\xa0%" if unit == "%" else "")
        body.append(f'<path d="M{num(left)},{num(yy)}H{num(right)}" stroke="#e5e5e5" stroke-width="0.8"/>')
        body.append(text(left - 4, yy + 3.5, label, 9, "end", fill="#444444"))
    body.append(f'<path d="M{num(left)},{num(bottom)}H{num(right)}" stroke="#888888" stroke-width="0.8"/>')
    for x in xs_year:
        body.append(text(px(x), bottom + 13, f"{int(x)}", 9, "middle", fill="#444444"))
    c = colours["lines"]["bar"]
    ok = np.isfinite(lo) & np.isfinite(hi)
    for run in _segments(xs_year, np.where(ok, 0.0, np.nan)):
        xr = [x for x, _ in run]
        sel = np.isin(xs_year, xr)
        pts = [(px(x), py(y)) for x, y in zip(xs_year[sel], hi[sel], strict=True)]
        pts += [(px(x), py(y)) for x, y in zip(xs_year[sel][::-1], lo[sel][::-1], strict=True)]
        d = "M" + "L".join(f"{num(a)},{num(b)}" for a, b in pts) + "Z"
        body.append(f'<path d="{d}" fill="{c}" fill-opacity="0.18" stroke="none"/>')
    for run in _segments(xs_year, bm):
        d = "M" + "L".join(f"{num(px(x))},{num(py(y))}" for x, y in run)
        body.append(
            f'<path d="{d}" fill="none" stroke="{colours["lines"]["benchmark"]}" stroke-width="1.2" stroke-dasharray="4,3"/>'
        )
    for run in _segments(xs_year, v):
        d = "M" + "L".join(f"{num(px(x))},{num(py(y))}" for x, y in run)
        body.append(f'<path d="{d}" fill="none" stroke="{c}" stroke-width="1.8"/>')
    for x, y in zip(xs_year, v, strict=True):
        if np.isfinite(y):
            body.append(
                f'<circle cx="{num(px(x))}" cy="{num(py(y))}" r="2.8" fill="{c}">'
                f"<title>{int(x)}: {esc(format_value(y, unit, decimals))}</title></circle>"
            )
    if unit and unit != "%":
        body.append(text(6, 28, unit, 9, fill="#444444"))
    if marker_text:
        w = text_width(marker_text, 9) + 10
        body.append(rect(left + 2, 20, w, 15, "#ffffff", stroke="#999999", stroke_width=0.8, rx=3))
        body.append(text(left + 7, 31, marker_text, 9))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wb-svg wb-svg-sparkline" viewBox="0 0 {num(width)} '
        f'{num(height)}" width="{num(width)}" height="{num(height)}" role="img" font-family="{FONT}">'
        f"<title>{esc(title or DEFAULT_TITLES['sparkline'])}</title>\n" + "\n".join(body) + "\n</svg>"
    )


def trend_multiples_svg(
    panels: Sequence[str],
    *,
    area_label: str,
    benchmark_label: str = "Stadt",
    title: str = "",
    note: str = "",
    ncol: int = 2,
    panel_size: tuple[float, float] = (380, 160),
    text_info: FigureText | None = None,
) -> str:
    """Small multiples: the :func:`sparkline_svg` panels in ``ncol`` columns, one shared legend and note;
    ``text_info`` (text alternative and data table) is attached to the result and its ``alt`` is the
    ``<desc>``."""
    colours = load_colours()
    pw, ph = panel_size
    width = ncol * pw + 20
    top = 26.0 if title else 6.0
    body = [text(8, 18, title, 13, font_weight="bold")] if title else []
    nrow = max(1, -(-len(panels) // ncol))
    for k, panel in enumerate(panels):
        x, y = 10 + (k % ncol) * pw, top + (k // ncol) * ph
        body.append(panel.replace("<svg ", f'<svg x="{num(x)}" y="{num(y)}" ', 1))
    c = colours["lines"]["bar"]
    items = [
        (
            f'<path d="M0,6H12" stroke="{c}" stroke-width="1.8"/><circle cx="6" cy="6" r="2.8" fill="{c}"/>',
            area_label,
        ),
        (rect(0, 1, 12, 10, c, fill_opacity=0.18), "95-%-Konfidenzintervall"),
        (swatch_line(colours["lines"]["benchmark"], dash=True, width=1.2), benchmark_label),
    ]
    leg, leg_h = legend(items, 12, top + nrow * ph + 6, width - 24)
    body += leg
    doc = document(
        width,
        top + nrow * ph + 10 + leg_h,
        title,
        note,
        body,
        kind="trends",
        desc=text_info.alt if text_info else "",
    )
    return with_text(doc, text_info)


# ------------------------------------------------------------------------------------------ pyramid
PYRAMID_STARTS = np.arange(0, 91, 5)


def pyramid_shares(
    df: pd.DataFrame, value_col: str = "value", *, total: float | None = None, decimals: int = 1
) -> pd.DataFrame:
    """Percent of the whole population (both sexes) per 5-year band (rows 0, 5, …, 90) and sex (m, w), rounded
    to ``decimals`` (what a table cell of shares shows: a figure never carries more digits than that).

    ``total`` is the published population the shares refer to (default: the sum of the known values). A band
    with a withheld value (NaN) stays NaN (drawn as withheld, never as 0); rows with ``age < 0`` (totals) are
    ignored.
    """
    missing = {"age", "sex", value_col} - set(df.columns)
    if missing:
        raise DataValidationError(f"Alterspyramide: Spalten fehlen: {', '.join(sorted(missing))}")
    age = pd.to_numeric(df["age"]).to_numpy()
    df = df[age >= 0]
    age = age[age >= 0]
    vals = pd.to_numeric(df[value_col], errors="coerce").to_numpy(dtype=float)
    total = float(np.nansum(vals)) if total is None else float(total)
    if not np.isfinite(total) or total <= 0:
        raise DataValidationError("Alterspyramide: die Bevölkerung ist 0", hint="Gebiet und Jahr prüfen")
    keys = [df["sex"].astype(str).str.lower().to_numpy(), np.minimum(age // 5 * 5, 90)]
    t = pd.Series(np.nan_to_num(vals)).groupby(keys).sum()
    hidden = pd.Series(np.isnan(vals)).groupby(keys).any()
    t[hidden.reindex(t.index, fill_value=False).to_numpy()] = np.nan
    out = pd.DataFrame(
        {s: t.get(s, pd.Series(dtype=float)).reindex(PYRAMID_STARTS, fill_value=0.0) for s in ("m", "w")}
    )
    return (out / total * 100).round(decimals)


def _hidden_band(x: float, y: float, w: float, h: float, **attrs: object) -> str:
    """A withheld band: outlined box of fixed width with diagonal hatching (its size carries no value)."""
    lines = "".join(
        f'<path d="M{num(x + k)},{num(y + h)}L{num(min(x + k + h, x + w))},{num(y + h - min(h, x + w - x - k))}" '
        'stroke="#888888" stroke-width="0.6"/>'
        for k in np.arange(0.0, w, 4.0)
    )
    return rect(x, y, w, h, "#ffffff", stroke="#888888", stroke_width=0.6, **attrs) + lines


def _hatch_swatch() -> str:
    return _hidden_band(0, 1, 12, 10)


def pyramid_svg(
    area: pd.DataFrame,
    city: pd.DataFrame | None = None,
    *,
    value_col: str = "value",
    label_a: str = "Sozialraum",
    label_b: str = "Stadt",
    total_a: float | None = None,
    total_b: float | None = None,
    decimals: int = 1,
    title: str = "",
    note: str = "",
    width: float = 560,
) -> str:
    """Age pyramid: ``area`` as bars (men left, women right, % of all residents per 5-year band, 90+ last),
    ``city`` as a stepped outline. Bars carry ``data-sex``, ``data-age``, ``data-share`` (``decimals``, the
    share as a table would show it; bar lengths are drawn from that rounded share).

    Withheld bands (NaN in ``value_col``) are drawn as a hatched box of fixed width with
    ``data-suppressed="true"`` and no share; the city line has a gap there. ``total_a``/``total_b`` are the
    published totals the shares refer to (default: the sum of the known bands).
    """
    colours = load_colours()
    a = pyramid_shares(area, value_col, total=total_a, decimals=decimals)
    b = pyramid_shares(city, value_col, total=total_b, decimals=decimals) if city is not None else None
    known = [float(np.nanmax(f.to_numpy(), initial=0.0)) for f in (a, b) if f is not None]
    lim = max(*known, 1e-9) * 1.1
    top, bar_h = (48.0 if title else 26.0), 15.0
    left, right = 60.0, width - 10
    cx = (left + right) / 2
    half = (right - left) / 2
    n = len(PYRAMID_STARTS)
    bottom = top + n * bar_h
    body = [text(8, 18, title, 13, font_weight="bold")] if title else []
    body += [
        text(left, top - 6, "Männer", 11, font_weight="bold"),
        text(right, top - 6, "Frauen", 11, "end", font_weight="bold"),
    ]
    fill = {"m": colours["typology"][2], "w": colours["typology"][1]}
    hidden_any = False
    for i, s in enumerate(PYRAMID_STARTS[::-1]):
        y = top + i * bar_h
        label = f"{s}–{s + 4}" if s < 90 else "90+"
        body.append(text(left - 6, y + bar_h / 2 + 3.5, label, 9, "end", fill="#444444"))
        for sex, sign in (("m", -1), ("w", 1)):
            share = float(a.at[s, sex])
            if not np.isfinite(share):
                hidden_any = True
                w = 14.0
                body.append(
                    _hidden_band(
                        cx - w if sign < 0 else cx,
                        y + 1,
                        w,
                        bar_h - 2,
                        data_sex=sex,
                        data_age=int(s),
                        data_suppressed="true",
                    )
                )
                continue
            w = share / lim * half
            x = cx - w if sign < 0 else cx
            body.append(
                rect(
                    x,
                    y + 1,
                    w,
                    bar_h - 2,
                    fill[sex],
                    data_sex=sex,
                    data_age=int(s),
                    data_share=f"{share:.{decimals}f}",
                )
            )
    if b is not None:
        for sex, sign in (("m", -1), ("w", 1)):
            runs: list[list[tuple[float, float]]] = [[]]
            for i, s in enumerate(PYRAMID_STARTS[::-1]):
                share = float(b.at[s, sex])
                if not np.isfinite(share):
                    runs.append([])
                    continue
                x = cx + sign * share / lim * half
                runs[-1] += [(x, top + i * bar_h), (x, top + (i + 1) * bar_h)]
            for pts in (r for r in runs if r):
                d = "M" + "L".join(f"{num(x)},{num(y)}" for x, y in pts)
                body.append(
                    f'<path d="{d}" fill="none" stroke="{colours["lines"]["benchmark"]}" stroke-width="1.3"/>'
                )
    body.append(f'<path d="M{num(cx)},{num(top)}V{num(bottom)}" stroke="#333333" stroke-width="0.6"/>')
    body.append(f'<path d="M{num(left)},{num(bottom)}H{num(right)}" stroke="#888888" stroke-width="0.8"/>')
    for t in nice_ticks(0, lim, 3):
        for sign in (-1, 1) if t > 0 else (1,):
            x = cx + sign * t / lim * half
            body.append(f'<path d="M{num(x)},{num(bottom)}v4" stroke="#888888" stroke-width="0.8"/>')
            body.append(text(x, bottom + 15, fmt.number(t, 1), 9, "middle", fill="#444444"))
    body.append(text(cx, bottom + 29, "Anteil an der Bevölkerung in %", 10, "middle"))
    body.append(
        text(
            14,
            top + n * bar_h / 2,
            "Alter in Jahren",
            9,
            "middle",
            fill="#444444",
            transform=f"rotate(-90 {num(14)} {num(top + n * bar_h / 2)})",
        )
    )
    items = [(swatch_box(fill["m"]), f"{label_a}: Männer"), (swatch_box(fill["w"]), f"{label_a}: Frauen")]
    if b is not None:
        items.append((swatch_line(colours["lines"]["benchmark"], width=1.3), label_b))
    if hidden_any:
        items.append((_hatch_swatch(), "geheimgehalten"))
    leg, leg_h = legend(items, 8, bottom + 38, width - 16)
    body += leg
    info = _pyramid_text(a, b, label_a, label_b, decimals, title)
    doc = document(width, bottom + 42 + leg_h, title, note, body, kind="pyramid", desc=info.alt)
    return with_text(doc, info)


def _pyramid_text(
    a: pd.DataFrame, b: pd.DataFrame | None, label_a: str, label_b: str, decimals: int, title: str
) -> FigureText:
    """Text alternative and data table of :func:`pyramid_svg`: the drawn (rounded) shares, withheld bands
    as the sign of ``geheim`` (".")."""
    labels = [f"{s}–{s + 4}" if s < 90 else "90+" for s in PYRAMID_STARTS]
    cols = {f"{label_a}: Männer": a["m"], f"{label_a}: Frauen": a["w"]}
    if b is not None:
        cols.update({f"{label_b}: Männer": b["m"], f"{label_b}: Frauen": b["w"]})
    data = pd.DataFrame({k: v.reindex(PYRAMID_STARTS).to_numpy(dtype=float) for k, v in cols.items()},
                        index=pd.Index(labels, name="Alter in Jahren")).iloc[::-1]  # fmt: skip
    suppressed = data.isna()
    stacked = a.stack()
    peak = stacked.idxmax() if stacked.notna().any() else None
    finding = ""
    if peak is not None:
        sex = "Männer" if peak[1] == "m" else "Frauen"
        band = labels[list(PYRAMID_STARTS).index(peak[0])]
        finding = f" Größte Gruppe: {sex} {band} Jahre ({fmt.number(stacked.max(), decimals)}\u00a0%)."
    hidden = int(a.isna().to_numpy().sum())
    alt = (
        f"Alterspyramide: {title or label_a}. Anteile der Fünfjahres-Altersgruppen an allen Einwohnern, Männer "
        f"links, Frauen rechts" + (f", {label_b} als Linie" if b is not None else "") + f".{finding}"
        + (f" {fmt.count_word(hidden, 'Gruppe', 'Gruppen')} geheimgehalten." if hidden else "")
    )  # fmt: skip
    return FigureText(
        alt,
        data,
        {c: "share" for c in data.columns},
        f"Daten zur Abbildung: {title or 'Alterspyramide'} (Anteile in %)",
        {
            "number_formats": {c: {"decimals": decimals, "unit": "%"} for c in data.columns},
            "suppressed": suppressed,
        },
    )


__all__ = [
    "area_map_svg",
    "facility_map_svg",
    "overview_map_svg",
    "pyramid_shares",
    "pyramid_svg",
    "sparkline_svg",
    "spine_chart_svg",
    "trend_multiples_svg",
]
