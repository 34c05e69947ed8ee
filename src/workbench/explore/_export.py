"""Export of the explorer's current view: CSV and XLSX with German notes; map and dot chart as SVG and PNG
(drawn with matplotlib from the same published values and colours as the widgets, notes under the figure) and
as offline HTML (plotly)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from workbench.explore._data import LEVELS, IndicatorInfo
from workbench.render import fmt

METHOD_TEXT = {
    "wilson": "Wilson-Intervall",
    "poisson": "exaktes Poisson-Intervall (x < 10) bzw. Byar",
    "none": "ohne Intervall",
    "published": "veröffentlichter Wert ohne Fallzahlen, ohne Intervall und ohne Signifikanzvergleich",
}


def notes(ind: IndicatorInfo, level: str, year: int, city: str) -> list[str]:
    """German notes on source, method and confidentiality of an exported view."""
    return [
        f"{ind.label} ({ind.unit}) je {LEVELS[level]}, {city}, {year}: {ind.definition}",
        f"Quelle: {ind.source}, Stand {ind.reference_date}.",
        f"Methode: 95-%-Konfidenzintervall nach {METHOD_TEXT.get(ind.method, ind.method)}; Vergleich mit dem "
        "Wert der Stadt: „ähnlich“, wenn der Stadtwert im 95-%-Intervall liegt; Trend: χ²-Trendtest über die "
        "letzten 5 Jahre (99,8 %).",
        f"Geheimhaltung: nur veröffentlichte Werte. „{fmt.SUPPRESSED_SIGN}“ = geheim gehalten (Fallzahl unter der "
        "Geheimhaltungsschwelle oder zu kleine Bezugsgröße) bzw. nicht vorhanden.",
    ]


def export_view(
    folder: Path,
    view: pd.DataFrame,
    ind: IndicatorInfo,
    *,
    level: str,
    year: int,
    city: str,
    city_text: str,
    neighbours: list[str],
    selected: str | None,
    figures: dict,
    colouring=None,
    areas=None,
    city_value: float = float("nan"),
) -> dict[str, Path]:
    """Write ``<indicator>_<level>_<year>.csv/.xlsx``, the map and the dot chart as SVG and PNG (when
    ``colouring`` and ``areas`` are given) and one HTML file per plotly figure into ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
        Target folder (created).
    view : pandas.DataFrame
        The published view (:meth:`ExplorerData.view`).
    ind : IndicatorInfo
        The indicator shown.
    level, year, city, city_text : str, int, str, str
        Level key, year, city name and the city's value as German text.
    neighbours, selected : list of str, str or None
        Statistical neighbours and the selected unit (marked in the table and the figures).
    figures : dict
        Plotly figures by name, written as HTML.
    colouring : workbench.explore._views.Colouring, optional
        The map colouring (class code per view row, colours, legend labels).
    areas : geopandas.GeoDataFrame, optional
        Geometries of the level's units (column ``unit_id``).
    city_value : float
        The city's published value (dashed line of the dot chart).

    Returns
    -------
    dict
        Paths by kind: ``csv``, ``xlsx``, ``karte_svg``, ``karte_png``, ``diagramm_svg``, ``diagramm_png`` and
        one per HTML figure.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", f"{ind.id}_{level}_{year}")
    role = {u: "Statistischer Nachbar" for u in neighbours}
    if selected:
        role[selected] = "Auswahl"
    shown = view["status"].eq("shown")
    table = pd.DataFrame(
        {
            LEVELS[level]: view["label"],
            f"{ind.label} ({ind.unit})": view["value_text"],
            "95-%-KI": view["interval_text"],
            "Zähler": view["numerator_text"],
            "Nenner": view["denominator_text"],
            "Vergleich Stadt": view["cmp_city"],
            "Trend (5 J.)": view["trend"],
            "Auswahl": view["unit_id"].map(role).fillna(""),
        }
    )
    city_row = {c: "" for c in table.columns}
    city_row.update({LEVELS[level]: "Stadt insgesamt", f"{ind.label} ({ind.unit})": city_text})
    table = pd.concat([table, pd.DataFrame([city_row])], ignore_index=True)
    lines = notes(ind, level, year, city)
    out: dict[str, Path] = {}
    csv = folder / f"{stem}.csv"
    with csv.open("w", encoding="utf-8-sig", newline="") as fh:
        for line in lines:
            fh.write(f"# {line}\n")
        table.to_csv(fh, sep=";", index=False)
    out["csv"] = csv
    # XLSX: numbers stay numbers (published only), withheld cells carry the sign
    xl = table.copy()
    value_col = f"{ind.label} ({ind.unit})"
    numbers = view["value"].where(shown).round(ind.decimals)
    cells = [float(v) if s else t for v, s, t in zip(numbers, shown, view["value_text"], strict=True)]
    xl[value_col] = pd.Series([*cells, city_text], dtype=object)
    for col, name in (("numerator", "Zähler"), ("denominator", "Nenner")):
        num = [
            float(v) if t[:1].isdigit() else t for v, t in zip(view[col], view[f"{col}_text"], strict=True)
        ]
        xl[name] = pd.Series([*num, ""], dtype=object)
    xlsx = folder / f"{stem}.xlsx"
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        xl.to_excel(writer, sheet_name="Werte", index=False)
        pd.DataFrame({"Hinweise": lines}).to_excel(writer, sheet_name="Hinweise", index=False)
    out["xlsx"] = xlsx
    if colouring is not None and areas is not None:
        title = f"{ind.label} ({ind.unit}) je {LEVELS[level]}, {city} {year}"
        for name, fig in (
            ("karte", map_figure(view, colouring, areas, title, selected, neighbours)),
            ("diagramm", dot_figure(view, colouring, ind, title, city_value, selected, neighbours)),
        ):
            _add_notes(fig, lines[1:])
            for ext in ("svg", "png"):
                path = folder / f"{stem}_{name}.{ext}"
                fig.savefig(path, format=ext, dpi=150, bbox_inches="tight", metadata=_metadata(ext, title))
                out[f"{name}_{ext}"] = path
    for name, fig in figures.items():
        path = folder / f"{stem}_{name}.html"
        go_fig = fig if not hasattr(fig, "to_dict") else _plain_figure(fig)
        go_fig.add_annotation(
            text=" ".join(lines[1:]),
            xref="paper",
            yref="paper",
            x=0,
            y=-0.12,
            showarrow=False,
            font={"size": 9},
            align="left",
        )
        go_fig.write_html(path, include_plotlyjs="directory", full_html=True)
        out[name] = path
    return out


def _plain_figure(fig):
    import plotly.graph_objects as go

    return go.Figure(fig.to_dict())


def _metadata(ext: str, title: str) -> dict:
    return {"Title": title} if ext == "png" else {"Title": title, "Date": None}


def _add_notes(fig, lines: list[str]) -> None:
    """Source, method and confidentiality notes under a figure (wrapped)."""
    import textwrap

    width = fig.get_figwidth()
    text = "\n".join(textwrap.fill(line, width=int(width * 16)) for line in lines)
    fig.text(0.01, 0.0, text, fontsize=6.5, va="top", ha="left", color="#333333")


def map_figure(view, colouring, areas, title: str, selected: str | None, neighbours: list[str]):
    """The map of the current view as a matplotlib figure: fill = the explorer's colour of each area, legend of
    the classes, selection black and neighbours pink outlined."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from workbench.explore._views import NEIGHBOUR_COLOUR, SELECTED_COLOUR

    colour = dict(zip(view["unit_id"], colouring.row_colours(), strict=True))
    g = areas.assign(unit_id=areas["unit_id"].astype(str))
    g = g[g["unit_id"].isin(colour)]
    fig = Figure(figsize=(7.0, 6.5))
    ax = fig.add_subplot()
    g.plot(ax=ax, color=g["unit_id"].map(colour).tolist(), edgecolor="white", linewidth=0.4)
    for units, edge, width in (
        (neighbours, NEIGHBOUR_COLOUR, 1.6),
        ([selected] if selected else [], SELECTED_COLOUR, 2.2),
    ):
        part = g[g["unit_id"].isin(units)]
        if len(part):
            part.boundary.plot(ax=ax, color=edge, linewidth=width)
    used = sorted(set(colouring.codes))
    handles = [
        Patch(facecolor=colouring.colours[c], edgecolor="#999999", label=colouring.labels[c]) for c in used
    ]
    if selected:
        handles.append(Patch(facecolor="none", edgecolor=SELECTED_COLOUR, linewidth=2, label="Auswahl"))
    if neighbours:
        handles.append(
            Patch(facecolor="none", edgecolor=NEIGHBOUR_COLOUR, linewidth=2, label="Statistische Nachbarn")
        )
    ax.legend(
        handles=handles,
        title=colouring.title,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        title_fontsize=8,
        frameon=False,
    )
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=10, loc="left")
    return fig


def dot_figure(
    view, colouring, ind, title: str, city_value: float, selected: str | None, neighbours: list[str]
):
    """The ranked dot chart of the current view (published values with 95 % intervals) as a matplotlib figure."""
    import numpy as np
    from matplotlib.figure import Figure

    from workbench.explore._views import NEIGHBOUR_COLOUR, SELECTED_COLOUR, dot_data

    colour = dict(zip(view["unit_id"], colouring.row_colours(), strict=True))
    dots = dot_data(view)
    n = len(dots)
    few = n <= 60
    fig = Figure(figsize=(7.0, max(3.0, min(0.16 * n + 1.2, 11.0)) if few else 7.0))
    ax = fig.add_subplot()
    y = np.arange(n)
    value = dots["value"].to_numpy(float)
    err = np.vstack(
        [
            np.nan_to_num((value - dots["lower"].to_numpy(float)).clip(min=0)),
            np.nan_to_num((dots["upper"].to_numpy(float) - value).clip(min=0)),
        ]
    )
    ax.errorbar(value, y, xerr=err, fmt="none", ecolor="#999999", elinewidth=0.8)
    ax.scatter(
        value,
        y,
        c=[colour[u] for u in dots["unit_id"]],
        s=18 if few else 8,
        edgecolors="#333333",
        linewidths=0.4,
        zorder=3,
    )
    for units, c, size, marker in (
        (neighbours, NEIGHBOUR_COLOUR, 40, "o"),
        ([selected] if selected else [], SELECTED_COLOUR, 60, "D"),
    ):
        rows = np.flatnonzero(dots["unit_id"].isin(units).to_numpy())
        if rows.size:
            ax.scatter(value[rows], rows, c=c, s=size, marker=marker, zorder=4)
    if np.isfinite(city_value):
        ax.axvline(city_value, color="#333333", linestyle="--", linewidth=0.8)
    if few:
        ax.set_yticks(y, dots["label"].tolist(), fontsize=7)
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{n} Gebiete nach Rang", fontsize=8)
    ax.set_ylim(-0.8, n - 0.2)
    ax.set_xlabel(
        f"{ind.label} ({ind.unit}); Punkt = Wert, Linie = 95-%-Intervall, gestrichelt = Stadt", fontsize=8
    )
    ax.xaxis.set_major_formatter(lambda x, _pos: fmt.number(x, max(ind.decimals, 0)))
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, fontsize=10, loc="left")
    return fig
