"""Pure view builders of the explorer: colouring, map/chart trace data, the HTML table, the mini-profile.

They take the published view of :meth:`ExplorerData.view` and return plain data (lists, dicts, HTML strings);
the widget class only assigns them. Map colours are class codes (integers), never the values themselves: a
withheld area's code is the "nicht verglichen"/"geheim" class and its hover text is the official sign.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.explore._data import COMPARISON_LABELS, IndicatorInfo
from workbench.render import fmt
from workbench.render.plots import sequential_colours, significance_palette

MAX_CLASSES = 5
WITHHELD_COLOUR = "#e6e6e6"
SELECTED_COLOUR = "#000000"
NEIGHBOUR_COLOUR = "#e7298a"


@dataclass
class Colouring:
    """Class code per unit (aligned with the view rows), colours and legend labels of the codes."""

    codes: list[int]
    colours: list[str]
    labels: list[str]
    title: str

    def colorscale(self) -> list[list]:
        """Stepped plotly colourscale for the integer codes 0 … n-1."""
        n = len(self.colours)
        if n == 1:
            return [[0, self.colours[0]], [1, self.colours[0]]]
        scale = []
        for i, c in enumerate(self.colours):
            scale += [[i / n, c], [(i + 1) / n, c]]
        return scale

    def row_colours(self) -> list[str]:
        """Fill colour per row."""
        return [self.colours[c] for c in self.codes]


def comparison_colouring(view: pd.DataFrame, ind: IndicatorInfo) -> Colouring:
    """Colouring by the 95 % comparison with the city (polarity-aware categories of the reports)."""
    palette = significance_palette(ind.polarity)
    cats = list(palette)
    index = {c: i for i, c in enumerate(cats)}
    fallback = index["nicht verglichen"]
    codes = [index.get(c, fallback) for c in view["cmp_city"]]
    labels = [COMPARISON_LABELS.get(c, c) for c in cats]
    return Colouring(codes, [palette[c] for c in cats], labels, "Vergleich mit der Stadt (95 %)")


def quantile_breaks(values: np.ndarray, k: int = MAX_CLASSES) -> np.ndarray:
    """Upper class limits of at most ``k`` quantile classes of the finite values (duplicates merged).

    >>> quantile_breaks(np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 2).tolist()
    [5.5, 10.0]
    """
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.array([])
    k = max(1, min(int(k), MAX_CLASSES, np.unique(v).size))
    qs = np.quantile(v, np.linspace(0, 1, k + 1)[1:])
    return np.unique(qs)


def class_colouring(view: pd.DataFrame, ind: IndicatorInfo, k: int = MAX_CLASSES) -> Colouring:
    """Colouring by quantile classes of the published values (≤ 5 classes); withheld/missing = own class."""
    values = view["value"].to_numpy(float)
    breaks = quantile_breaks(values, k)
    palette = "sequential_red" if ind.polarity == "hoch = schlecht" else "sequential_blue"
    colours = [WITHHELD_COLOUR, *sequential_colours(palette, max(len(breaks), 1))]
    d = ind.decimals
    labels = [f"{fmt.SUPPRESSED_SIGN} geheim / fehlt"]
    lower = np.nanmin(values) if np.isfinite(values).any() else np.nan
    for b in breaks:
        labels.append(f"{fmt.number(lower, d)} – {fmt.number(b, d)}")
        lower = b
    codes = []
    for v in values:
        if not np.isfinite(v):
            codes.append(0)
        else:
            codes.append(int(np.searchsorted(breaks, v, side="left")) + 1)
    return Colouring(codes, colours[: len(breaks) + 1], labels[: len(breaks) + 1], f"Klassen ({ind.unit})")


def hover_texts(view: pd.DataFrame, ind: IndicatorInfo) -> list[str]:
    """Hover text per unit: label, published value (or sign), comparison."""
    unit = f" {ind.unit}" if ind.unit else ""
    return [
        f"{html.escape(lab)}<br>{ind.label}: {v}{unit if s == 'shown' else ''}<br>{html.escape(c)}"
        for lab, v, s, c in zip(
            view["label"], view["value_text"], view["status"], view["cmp_city"], strict=True
        )
    ]


def dot_data(view: pd.DataFrame) -> pd.DataFrame:
    """Rows of the ranked dot chart: published values only, ascending (the chart lists the highest on top)."""
    shown = view[view["status"].eq("shown") & view["value"].notna()]
    return shown.sort_values(["value", "unit_id"]).reset_index(drop=True)


SORT_KEYS = {
    "Rang (Wert)": ("value", False),
    "Nummer": ("unit_id", True),
    "Name": ("name", True),
    "Vergleich": ("cmp_city", True),
    "Trend": ("trend", True),
    "Zähler": ("numerator", False),
    "Nenner": ("denominator", False),
}
"""Sort options of the table (German label → column, ascending)."""


def table_html(
    view: pd.DataFrame,
    ind: IndicatorInfo,
    colouring: Colouring,
    sort: str = "Rang (Wert)",
    descending: bool | None = None,
    selected: str | None = None,
    neighbours: list[str] | None = None,
    city_text: str = "",
    max_height: int = 420,
) -> str:
    """HTML table of the current view (value, 95 % interval, published numerator and denominator, comparison,
    trend); selected and neighbour rows are highlighted. Withheld values show the official sign. The numerator
    and denominator columns appear only when the view has a published count in them (a term that is not one
    published count, e.g. a population age slice, shows the sign of "unbekannt"). Column heads carry their
    sort key (``data-sort``) for the clickable table."""
    col, asc = SORT_KEYS.get(sort, SORT_KEYS["Rang (Wert)"])
    if descending is not None:
        asc = not descending
    df = view.assign(name=view["label"].str.split(" ", n=1).str[-1], colour=colouring.row_colours())
    df = df.sort_values([col, "unit_id"], ascending=[asc, True], na_position="last", kind="mergesort")
    neighbours = neighbours or []
    unit = html.escape(ind.unit)
    nb = set(neighbours)
    esc = html.escape
    rows = []
    cols = [
        df[c].tolist()
        for c in (
            "unit_id",
            "label",
            "value_text",
            "interval_text",
            "numerator_text",
            "denominator_text",
            "cmp_city",
            "trend",
            "colour",
        )
    ]
    right = '<td style="text-align:right">'
    show_num = bool(df["numerator"].notna().any()) if "numerator" in df else False
    show_den = bool(df["denominator"].notna().any()) if "denominator" in df else False
    for uid, label, value, interval, num, den, cmp, trend, colour in zip(*cols, strict=True):
        style = mark = ""
        if uid == selected:
            style, mark = ' style="font-weight:bold;background:#fff3b0"', "▶ "
        elif uid in nb:
            style, mark = ' style="background:#fde0ef"', "≈ "
        rows.append(
            f'<tr data-unit="{esc(uid)}"{style}><td>{mark}{esc(label)}</td>'
            f"{right}{esc(value)}</td>{right}{esc(interval)}</td>"
            + (f"{right}{esc(num)}</td>" if show_num else "")
            + (f"{right}{esc(den)}</td>" if show_den else "")
            + f'<td><span style="display:inline-block;width:10px;height:10px;background:{colour}"></span> '
            f"{esc(cmp)}</td><td>{esc(trend)}</td></tr>"
        )
    head = (
        '<tr><th data-sort="Name">Gebiet</th>'
        f'<th data-sort="Rang (Wert)">{html.escape(ind.label)} ({unit})</th><th>95-%-KI</th>'
        + ('<th data-sort="Zähler">Zähler</th>' if show_num else "")
        + ('<th data-sort="Nenner">Nenner</th>' if show_den else "")
        + '<th data-sort="Vergleich">Vergleich Stadt</th><th data-sort="Trend">Trend (5 J.)</th></tr>'
    )
    empty = 3 + show_num + show_den
    foot = (
        f'<tr style="border-top:2px solid #333"><td>Stadt insgesamt</td>'
        f'<td style="text-align:right">{html.escape(city_text)}</td>' + "<td></td>" * empty + "</tr>"
    )
    return (
        f'<div class="wb-explorer-table" style="max-height:{max_height}px;overflow-y:auto">'
        '<table style="border-collapse:collapse;font-size:12px;width:100%">'
        f"<thead>{head}</thead><tbody>{''.join(rows)}{foot}</tbody></table></div>"
        f'<p style="font-size:11px;color:#555">{html.escape(fmt.SUPPRESSED_SIGN)} = geheim gehalten '
        "(Fallzahl zu klein) oder nicht vorhanden. Zähler und Nenner nur, wo sie als Fallzahl veröffentlicht "
        "sind. Zeile anklicken: Gebiet wählen; Spaltenkopf anklicken: sortieren.</p>"
    )


def profile_html(
    label: str, district: str, values: pd.DataFrame, neighbours: list[str], neighbour_labels: dict
) -> str:
    """Mini-profile: key figures (published values with city value and comparison) and neighbours (the link to
    the area's profile page is a widget of its own, :class:`workbench.explore._link.ProfileLink`)."""
    cell = "padding:1px 6px"
    num = f"{cell};text-align:right"

    def with_unit(text: str, unit: str) -> str:
        return f"{text} {unit}" if text[:1].isdigit() or text[:1] == "-" else text

    rows = "".join(
        f"<tr><td style='{cell}'>{html.escape(r.label)}</td>"
        f"<td style='{num}'>{html.escape(with_unit(r.value_text, r.unit))}</td>"
        f"<td style='{num}'>{html.escape(with_unit(r.city_text, r.unit))}</td>"
        f"<td style='{cell}'>{html.escape(r.cmp_city)}</td></tr>"
        for r in values.itertuples(index=False)
    )
    nb = ", ".join(html.escape(neighbour_labels.get(n, n)) for n in neighbours) or "–"
    sub = f" ({html.escape(district)})" if district else ""
    return (
        f"<div class='wb-explorer-profile'><h4 style='margin:4px 0'>{html.escape(label)}{sub}</h4>"
        "<table style='font-size:12px;border-collapse:collapse'>"
        f"<tr><th style='{cell}'>Kennzahl</th><th style='{num}'>Wert</th><th style='{num}'>Stadt</th>"
        f"<th style='{cell}'>Vergleich</th></tr>"
        f"{rows}</table><p style='font-size:12px'>Statistische Nachbarn: {nb}</p></div>"
    )
