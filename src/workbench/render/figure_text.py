"""Text alternatives and data tables of figures (accessibility, BITV 2.0 / WCAG 2.1 AA).

Every chart and map function attaches a :class:`FigureText` to its figure (``fig.wb_text``): a German text
alternative that says what the figure shows and its main finding, and the table of the published values behind
it. :func:`figure_html` writes a matplotlib figure as ``<figure>`` with an ``<img alt>`` and a collapsible
``<details><summary>Daten zur Abbildung</summary><table>…`` built with :func:`workbench.render.tables.html_table`
— so the data table has a caption, header cells, the official signs ("." for a suppressed value) and the
metadata the confidentiality audit reads. :func:`svg_figure_html` does the same for inline SVG.

Significance is never carried by colour alone: :data:`SIGNIFICANCE_SYMBOLS` gives the symbol shown next to
every comparison label (legends, maps, dot and spine charts).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

SIGNIFICANCE_SYMBOLS = {
    "besser": "▲",
    "höher": "▲",
    "ähnlich": "●",
    "schlechter": "▼",
    "niedriger": "▼",
    "nicht verglichen": "○",
}
"""Symbol of each comparison label: up = better/higher, down = worse/lower, filled circle = similar."""

SIGNIFICANCE_MARKERS = {"▲": "^", "▼": "v", "●": "o", "○": "o"}
"""matplotlib marker of each symbol (hollow circle drawn without fill)."""


def significance_symbol(label: str) -> str:
    """The symbol of a comparison label (also of a qualified one such as "ähnlich (neutraler Indikator)")."""
    return SIGNIFICANCE_SYMBOLS.get(str(label).split(" (")[0], "")


def significance_label(label: str) -> str:
    """Legend text of a comparison label with its symbol: ``"besser ▲"``, ``"ähnlich ● (neutral)"``."""
    label = str(label)
    base, rest = label.split(" (")[0], label[len(label.split(" (")[0]) :]
    sym = SIGNIFICANCE_SYMBOLS.get(base)
    return f"{base} {sym}{rest}" if sym else label


@dataclass
class FigureText:
    """Text alternative and data table of one figure.

    Attributes
    ----------
    alt : str
        German text alternative: what the figure shows and its main finding.
    data : pandas.DataFrame
        The published values behind the figure (index = row labels); NaN where nothing is published.
    kinds : dict
        Column kinds for :func:`workbench.render.tables.html_table` (count, rate, share, text).
    caption : str
        Caption of the data table.
    options : dict
        Further keyword arguments of ``html_table`` (``number_formats``, ``suppressed``, ``row_header``).
    """

    alt: str
    data: pd.DataFrame
    kinds: dict[Hashable, Any]
    caption: str
    options: dict[str, Any] = field(default_factory=dict)


def attach(
    fig: Any, alt: str, data: pd.DataFrame, kinds: Mapping[Hashable, Any], caption: str, **options: Any
):
    """Attach a :class:`FigureText` to ``fig`` (``fig.wb_text``) and return ``fig``."""
    fig.wb_text = FigureText(alt=alt, data=data, kinds=dict(kinds), caption=caption, options=options)
    return fig


def _table_id(info: FigureText, prefix: str = "abb") -> str:
    """A stable table id from the caption and the data (same figure → same id, build after build)."""
    digest = hashlib.sha256((info.caption + info.data.to_csv()).encode()).hexdigest()[:10]
    slug = re.sub(r"[^a-z0-9]+", "-", info.caption.lower())[:40].strip("-") or "daten"
    return f"{prefix}-{slug}-{digest}"


def data_details(info: FigureText, table_id: str | None = None) -> str:
    """``<details><summary>Daten zur Abbildung</summary>`` with the data table of ``info``."""
    from workbench.render.tables import html_table

    table = html_table(
        info.data,
        info.kinds,
        table_id=table_id or _table_id(info),
        caption=info.caption,
        **info.options,
    )
    return f'<details class="wb-figure-data"><summary>Daten zur Abbildung</summary>{table}</details>'


def figure_html(fig: Any, png: bytes) -> str:
    """A matplotlib figure as ``<figure>``: PNG with German ``alt`` text, and its data table when it has one.

    Figures without a :class:`FigureText` get their title (or "Abbildung") as alt text.
    """
    info: FigureText | None = getattr(fig, "wb_text", None)
    alt = info.alt if info is not None else _fallback_alt(fig)
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    parts = [
        '<figure class="wb-figure" style="margin:0">',
        f'<img src="{src}" alt="{html.escape(alt, quote=True)}" style="max-width:100%;height:auto">',
    ]
    if info is not None:
        parts.append(data_details(info))
    parts.append("</figure>")
    return "".join(parts)


def svg_figure_html(svg: str, info: FigureText | None = None) -> str:
    """Inline SVG as ``<figure>`` followed by the data table of ``info`` (when given)."""
    body = [f'<figure class="wb-figure" style="margin:0">{svg}']
    if info is not None:
        body.append(data_details(info))
    body.append("</figure>")
    return "".join(body)


def _fallback_alt(fig: Any) -> str:
    titles = [ax.get_title(loc="left") or ax.get_title() for ax in getattr(fig, "axes", [])]
    title = next((t for t in titles if t), "")
    return f"Abbildung: {title}" if title else "Abbildung"


class SvgFigure(str):
    """SVG markup (a ``str``) that carries its :class:`FigureText` as ``wb_text`` (None when it has none)."""

    wb_text: FigureText | None = None


def with_text(svg: str, info: FigureText | None) -> SvgFigure:
    """``svg`` as :class:`SvgFigure` carrying ``info``."""
    out = SvgFigure(svg)
    out.wb_text = info
    return out
