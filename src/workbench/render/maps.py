"""Static maps for the report: choropleths, significance maps, class maps, locator and facility maps.

All maps take GeoDataFrames in the contract's projected CRS (EPSG:25832, metres), draw with matplotlib (no
tiles, no internet: they open offline and print well), use German legends with class ranges in German number
format and counts of areas per class, and draw a small ``note`` under the map (method, comparator, source).
Suppressed values (Geheimhaltung) are hatched "////" and never classified, so class breaks cannot reveal them.
Colours come from ``config/colours.yaml`` (see :func:`workbench.render.plots.load_colours`).

Example::

    from workbench import maps
    fig = maps.choropleth(areas, "kinderarmut", scheme="quantiles", k=5, legend_title="Kinderarmut 2024",
                          suppressed="kinderarmut_suppressed", districts=districts, note="Quelle: BA, Stadt")
    fig.classification.bins      # upper class bounds, identical to mapclassify
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from workbench.errors import DataValidationError, WorkbenchError, require_table
from workbench.render import fmt
from workbench.render._style import LOCATOR_HINT, _legend_right, require_area, require_categories
from workbench.render.plots import (
    add_note,
    load_colours,
    new_figure,
    normalise_polarity,
    sequential_colours,
    significance_palette,
)

__all__ = [
    "Classification",
    "SCHEMES",
    "category_map",
    "choropleth",
    "classify",
    "facility_map",
    "load_colours",
    "location_map",
    "mss_categories",
    "significance_map",
]

SCHEMES: dict[str, str] = {
    "quantiles": "Quantile",
    "natural_breaks": "Natürliche Brüche (k-Means)",
    "equal_interval": "Gleiche Intervalle",
    "fisher_jenks": "Natürliche Brüche (Fisher-Jenks)",
    "user": "Benutzerdefinierte Grenzen",
}
"""Classification schemes (mapclassify) and their German names used in legends and notes."""

_SEED = 20240101  # natural_breaks runs k-means: fixed seed for reproducible breaks


@dataclass(frozen=True)
class Classification:
    """Result of :func:`classify`: upper class bounds, class per value (-1 = not classified) and counts."""

    scheme: str
    k: int
    bins: np.ndarray
    lower: float
    yb: np.ndarray
    counts: np.ndarray

    @property
    def label(self) -> str:
        """German description for the note, e.g. "Klassifikation: Quantile, 5 Klassen"."""
        return f"Klassifikation: {SCHEMES[self.scheme]}, {fmt.count_word(self.k, 'Klasse', 'Klassen')}"

    def ranges(self) -> list[tuple[float, float]]:
        """(lower, upper) value range of each class; the first class starts at the smallest value."""
        lows = np.r_[self.lower, self.bins[:-1]]
        return list(zip(lows.tolist(), self.bins.tolist(), strict=True))


def classify(
    values: Sequence[float] | np.ndarray | pd.Series,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
) -> Classification:
    """Classify values with mapclassify; NaN values get class -1 and are not used for the breaks.

    Schemes: quantiles, natural_breaks (k-means, fixed seed), equal_interval, fisher_jenks, user (``bins`` =
    upper bounds; the last bound is raised to the maximum when it lies below it). When there are fewer distinct
    values than ``k``, ``k`` is reduced to their number (the note then names the real class count).
    """
    if scheme not in SCHEMES:
        raise WorkbenchError(
            f"unbekanntes Klassifikationsverfahren '{scheme}'", hint=f"eines von {', '.join(SCHEMES)}"
        )
    y = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce").to_numpy(dtype=float)
    valid = np.isfinite(y)
    if not valid.any():
        raise DataValidationError("keine gültigen Werte zum Klassifizieren", hint="Spalte und Jahr prüfen")
    yv = y[valid]
    if scheme == "user":
        if bins is None or len(bins) == 0:
            raise WorkbenchError(
                "scheme='user' braucht bins (obere Klassengrenzen)", hint="z. B. bins=[5, 10, 20]"
            )
        b = np.sort(np.asarray(bins, dtype=float))
        if b[-1] < yv.max():
            b = np.r_[b, yv.max()]
        result = mapclassify.UserDefined(yv, bins=b.tolist())
    else:
        if int(k) < 2:
            raise WorkbenchError(f"k={k}: mindestens 2 Klassen angeben")
        k = min(int(k), len(np.unique(yv)))
        cls = {
            "quantiles": mapclassify.Quantiles,
            "natural_breaks": mapclassify.NaturalBreaks,
            "equal_interval": mapclassify.EqualInterval,
            "fisher_jenks": mapclassify.FisherJenks,
        }[scheme]
        state = np.random.get_state()
        np.random.seed(_SEED)  # sklearn KMeans inside NaturalBreaks uses the global RNG
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = cls(yv, k=k) if k > 1 else mapclassify.UserDefined(yv, bins=[yv.max()])
        finally:
            np.random.set_state(state)
    yb = np.full(len(y), -1, dtype=int)
    yb[valid] = result.yb
    return Classification(
        scheme=scheme,
        k=len(result.bins),
        bins=np.asarray(result.bins, dtype=float),
        lower=float(yv.min()),
        yb=yb,
        counts=np.asarray(result.counts, dtype=int),
    )


# --------------------------------------------------------------------------------------------- helpers


def _check_gdf(gdf: Any, columns: Sequence[str | None], what: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise DataValidationError(
            f"{what}: erwartet einen GeoDataFrame, erhalten {type(gdf).__name__}",
            hint="Gebiete mit geopandas.read_file(...) laden",
        )
    require_table(gdf, columns, what=what, list_present=True, hint="Spaltennamen prüfen")
    if len(gdf) == 0:
        raise DataValidationError(f"{what}: keine Gebiete", hint="Gebietsdatei und Filter prüfen")
    return gdf


def _bool_column(gdf: gpd.GeoDataFrame, column: str | None, what: str) -> np.ndarray:
    if column is None:
        return np.zeros(len(gdf), dtype=bool)
    col = gdf[column]
    if col.isna().any() or not set(pd.unique(col)) <= {True, False}:
        raise DataValidationError(
            f"{what}: Spalte '{column}' muss wahr/falsch enthalten", where=f"Spalte {column}"
        )
    return col.astype(bool).to_numpy()


def _map_axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 7.0)) -> tuple[Figure, Axes]:
    fig, ax = new_figure(ax, figsize)
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig, ax


def _draw(
    ax: Axes,
    gdf: gpd.GeoDataFrame,
    face: Sequence[str],
    colours: dict[str, Any],
    hatched: np.ndarray,
    districts: gpd.GeoDataFrame | None,
) -> None:
    """Fill areas with one colour each, hatch suppressed ones, outline districts."""
    gdf.plot(ax=ax, color=list(face), edgecolor=colours["lines"]["area_edge"], linewidth=0.5)
    if hatched.any():
        sup = colours["suppressed"]
        gdf[hatched].plot(ax=ax, facecolor="none", edgecolor=sup["edge"], hatch=sup["hatch"], linewidth=0.0)
    if districts is not None:
        _check_gdf(districts, [], "Stadtbezirke")
        d = districts.to_crs(gdf.crs) if districts.crs is not None and gdf.crs is not None else districts
        d.boundary.plot(ax=ax, color=colours["lines"]["district_edge"], linewidth=1.4)


def _labels(ax: Axes, gdf: gpd.GeoDataFrame, column: str | None) -> None:
    if column is None:
        return
    halo = [patheffects.withStroke(linewidth=2, foreground="white")]
    for point, text in zip(gdf.geometry.representative_point(), gdf[column].astype(str), strict=True):
        ax.text(point.x, point.y, text, ha="center", va="center", fontsize=6, path_effects=halo)


def _hatch_patch(colours: dict[str, Any], label: str, count: int) -> Patch:
    sup = colours["suppressed"]
    return Patch(
        facecolor=sup["colour"], edgecolor=sup["edge"], hatch=sup["hatch"], label=f"{label} ({count})"
    )


def _legend(ax: Axes, handles: list, title: str | None) -> None:
    _legend_right(ax, handles, title, anchor_x=1.0, title_fontsize=9)


def _formatter(value_format: str | Callable[[float], str], decimals: int) -> Callable[[float, float], str]:
    if callable(value_format):
        return lambda a, b: f"{value_format(a)} – {value_format(b)}"
    if value_format == "percent":
        return lambda a, b: f"{fmt.number(a, decimals)} – {fmt.number(b, decimals)}\u00a0%"
    if value_format == "number":
        return lambda a, b: f"{fmt.number(a, decimals)} – {fmt.number(b, decimals)}"
    raise WorkbenchError(
        f"value_format '{value_format}' unbekannt", hint='"percent", "number" oder eine Funktion'
    )


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


# --------------------------------------------------------------------------------------------- maps


def choropleth(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    palette: str | Sequence[str] = "sequential_red",
    legend_title: str | None = None,
    value_format: str | Callable[[float], str] = "percent",
    decimals: int = 1,
    suppressed: str | None = None,
    districts: gpd.GeoDataFrame | None = None,
    labels: str | None = None,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Classed choropleth map of ``column`` with a German legend ("12,3 – 15,0 % (4)") and per-class counts.

    Missing values are grey ("keine Daten"); rows flagged in the bool column ``suppressed`` are hatched
    ("geheimgehalten") and left out of the classification. The classification method is added to the note.
    ``fig.classification`` (:class:`Classification`) holds the breaks; ``fig.area_colours`` the fill per row.
    """
    gdf = _check_gdf(gdf, [column, suppressed, labels], "Choroplethenkarte")
    colours = load_colours()
    sup = _bool_column(gdf, suppressed, "Choroplethenkarte")
    try:
        values = pd.to_numeric(gdf[column], errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(
            f"Choroplethenkarte: Spalte '{column}' ist nicht numerisch ({exc})"
        ) from exc
    values = np.where(sup, np.nan, values)  # suppressed values never enter the breaks
    result = classify(values, scheme, k, bins)
    fill = sequential_colours(palette, result.k, colours)
    missing = colours["missing"]["colour"]
    face = [
        fill[c] if c >= 0 else (colours["suppressed"]["colour"] if s else missing)
        for c, s in zip(result.yb, sup, strict=True)
    ]
    fig, ax = _map_axes(ax)
    _draw(ax, gdf, face, colours, sup, districts)
    _labels(ax, gdf, labels)
    rng = _formatter(value_format, decimals)
    handles = [
        Patch(facecolor=fill[i], edgecolor="#999999", label=f"{rng(a, b)} ({result.counts[i]})")
        for i, (a, b) in enumerate(result.ranges())
    ]
    n_missing = int(((result.yb < 0) & ~sup).sum())
    if n_missing:
        handles.append(
            Patch(
                facecolor=missing, edgecolor="#999999", label=f"{colours['missing']['label']} ({n_missing})"
            )
        )
    if sup.any():
        handles.append(_hatch_patch(colours, colours["suppressed"]["label"], int(sup.sum())))
    _legend(ax, handles, legend_title)
    add_note(fig, _join(result.label, note), title, ax)
    fig.classification = result
    fig.area_colours = pd.Series(face, index=gdf.index)
    return fig


def significance_map(
    gdf: gpd.GeoDataFrame,
    comparison_column: str,
    *,
    polarity: str,
    suppressed: str | None = None,
    districts: gpd.GeoDataFrame | None = None,
    labels: str | None = None,
    legend_title: str = "Vergleich mit der Stadt",
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Areas coloured by their comparison with a benchmark (labels of ``workbench.stats.compare``).

    Polar indicators use besser/ähnlich/schlechter, neutral ones höher/ähnlich/niedriger; missing comparisons
    count as "nicht verglichen". Labels that do not fit the polarity raise a DataValidationError.
    """
    gdf = _check_gdf(gdf, [comparison_column, suppressed, labels], "Signifikanzkarte")
    colours = load_colours()
    palette = significance_palette(polarity, colours)
    sup = _bool_column(gdf, suppressed, "Signifikanzkarte")
    cats = gdf[comparison_column].astype(object).where(gdf[comparison_column].notna(), "nicht verglichen")
    cats = cats.astype(str).str.strip().to_numpy()
    cats[sup] = "nicht verglichen"
    require_categories(
        cats, palette, "Signifikanzkarte: Werte", normalise_polarity(polarity), comparison_column
    )
    face = [palette[c] for c in cats]
    fig, ax = _map_axes(ax)
    _draw(ax, gdf, face, colours, sup, districts)
    _labels(ax, gdf, labels)
    # each area counted once: a withheld area is counted as "geheimgehalten", not also as "nicht verglichen"
    handles = [
        Patch(facecolor=c, edgecolor="#999999", label=f"{lab} ({int(((cats == lab) & ~sup).sum())})")
        for lab, c in palette.items()
    ]
    if sup.any():
        handles.append(_hatch_patch(colours, colours["suppressed"]["label"], int(sup.sum())))
    _legend(ax, handles, legend_title)
    add_note(fig, note, title, ax)
    fig.area_colours = pd.Series(face, index=gdf.index)
    return fig


def category_map(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    categories: dict[Any, tuple[str, str]],
    hatch_column: str | None = None,
    hatch_label: str = "",
    districts: gpd.GeoDataFrame | None = None,
    labels: str | None = None,
    legend_title: str | None = None,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Areas coloured by a class (MSS status, the 12 overlay groups, typology): ``categories`` maps each value
    to (German label, colour), in legend order. Missing values are grey ("keine Daten"); rows flagged in
    ``hatch_column`` (e.g. unstable classes) are hatched with legend entry ``hatch_label``.
    """
    gdf = _check_gdf(gdf, [column, hatch_column, labels], "Klassenkarte")
    if not categories:
        raise WorkbenchError("Klassenkarte: categories ist leer", hint="Wert → (Beschriftung, Farbe) angeben")
    colours = load_colours()
    keys = {str(k): k for k in categories}
    raw = gdf[column]
    present = raw.notna().to_numpy()
    as_key = raw.astype(str).str.strip().to_numpy()
    unknown = sorted(set(as_key[present]) - set(keys))
    if unknown:
        raise DataValidationError(
            f"Klassenkarte: Werte {', '.join(unknown)} haben keine Farbe",
            where=f"Spalte {column}",
            hint=f"categories ergänzen; bekannt: {', '.join(keys)}",
        )
    hatched = _bool_column(gdf, hatch_column, "Klassenkarte")
    missing = colours["missing"]["colour"]
    face = [categories[keys[v]][1] if p else missing for v, p in zip(as_key, present, strict=True)]
    fig, ax = _map_axes(ax)
    _draw(ax, gdf, face, colours, hatched, districts)
    _labels(ax, gdf, labels)
    handles = [
        Patch(
            facecolor=colour,
            edgecolor="#999999",
            label=f"{lab} ({int(((as_key == str(k)) & present).sum())})",
        )
        for k, (lab, colour) in categories.items()
    ]
    if (~present).any():
        handles.append(
            Patch(
                facecolor=missing,
                edgecolor="#999999",
                label=f"{colours['missing']['label']} ({int((~present).sum())})",
            )
        )
    if hatched.any():
        handles.append(_hatch_patch(colours, hatch_label or "unsicher", int(hatched.sum())))
    _legend(ax, handles, legend_title)
    add_note(fig, note, title, ax)
    fig.area_colours = pd.Series(face, index=gdf.index)
    return fig


def mss_categories(kind: str = "status", colours: dict[str, Any] | None = None) -> dict[str, tuple[str, str]]:
    """``categories`` for :func:`category_map` from colours.yaml: kind "status" (1–4), "dynamic" (+/±/−) or
    "overlay" (the 12 groups "1+" … "4−")."""
    colours = colours or load_colours()
    if kind not in colours["mss"]:
        raise WorkbenchError(f"unbekannte MSS-Klassenart '{kind}'", hint="status, dynamic oder overlay")
    return {str(k): (v["label"], v["colour"]) for k, v in colours["mss"][kind].items()}


def location_map(
    gdf: gpd.GeoDataFrame,
    highlight_id: str,
    id_column: str = "area_id",
    districts: gpd.GeoDataFrame | None = None,
    *,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Small locator map for an area profile: all areas light grey, the area ``highlight_id`` highlighted."""
    gdf = _check_gdf(gdf, [id_column], "Lagekarte")
    colours = load_colours()
    hit = require_area(
        gdf[id_column].astype(str).to_numpy(), highlight_id, id_column, "Lagekarte", LOCATOR_HINT
    )
    face = np.where(hit, colours["lines"]["highlight"], colours["lines"]["background"]).tolist()
    fig, ax = _map_axes(ax, (3.2, 3.2))
    _draw(ax, gdf, face, colours, np.zeros(len(gdf), dtype=bool), districts)
    add_note(fig, note, title, ax)
    fig.area_colours = pd.Series(face, index=gdf.index)
    return fig


def facility_map(
    gdf_areas: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    highlight_id: str | None = None,
    types: Sequence[str] | None = None,
    *,
    id_column: str = "area_id",
    type_column: str = "type",
    districts: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Facilities as markers by type (colour and marker from colours.yaml) over the areas; the legend counts
    the facilities per type (all, or those inside the highlighted area). ``highlight_id`` outlines one area and
    zooms to it (neighbouring facilities stay visible); ``types`` filters and orders the types."""
    gdf_areas = _check_gdf(gdf_areas, [id_column], "Einrichtungskarte (Gebiete)")
    if not isinstance(facilities, gpd.GeoDataFrame) or type_column not in facilities.columns:
        raise DataValidationError(
            f"Einrichtungskarte: Einrichtungen brauchen einen GeoDataFrame mit Spalte '{type_column}'"
        )
    colours = load_colours()
    fac = facilities
    if fac.crs is not None and gdf_areas.crs is not None and fac.crs != gdf_areas.crs:
        fac = fac.to_crs(gdf_areas.crs)
    if len(fac) and not (fac.geom_type == "Point").all():
        raise DataValidationError(
            "Einrichtungskarte: Einrichtungen müssen Punkte sein", hint="Koordinaten prüfen"
        )
    if types is not None:
        unknown = sorted(set(types) - set(fac[type_column].astype(str)))
        fac = fac[fac[type_column].astype(str).isin([str(t) for t in types])]
        if unknown:
            note = _join(note, f"keine Einrichtungen vom Typ {', '.join(unknown)}")
    fig, ax = _map_axes(ax)
    ids = gdf_areas[id_column].astype(str).to_numpy()
    face = [colours["lines"]["background"]] * len(gdf_areas)
    _draw(ax, gdf_areas, face, colours, np.zeros(len(gdf_areas), dtype=bool), districts)
    if highlight_id is not None:
        hit = require_area(ids, highlight_id, id_column, "Einrichtungskarte")
        area = gdf_areas[hit]
        area.boundary.plot(ax=ax, color=colours["lines"]["highlight"], linewidth=2.0)
        x0, y0, x1, y1 = area.total_bounds
        pad = 0.25 * max(x1 - x0, y1 - y0)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
    handles: list = []
    spec = colours["facilities"]
    inside = np.ones(len(fac), dtype=bool)
    if highlight_id is not None:  # legend counts the facilities inside the highlighted area
        inside = fac.within(gdf_areas[ids == str(highlight_id)].union_all()).to_numpy()
    order = list(types) if types is not None else sorted(pd.unique(fac[type_column].astype(str)))
    for t in order:
        is_t = (fac[type_column].astype(str) == str(t)).to_numpy()
        sub = fac[is_t]
        if not len(sub):
            continue
        s = spec.get(str(t), spec["default"])
        ax.scatter(
            sub.geometry.x,
            sub.geometry.y,
            c=s["colour"],
            marker=s["marker"],
            s=30,
            edgecolors="white",
            linewidths=0.5,
            zorder=5,
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=s["marker"],
                markerfacecolor=s["colour"],
                markeredgecolor="white",
                markersize=7,
                label=f"{t} ({int((is_t & inside).sum())})",
            )
        )
    _legend(ax, handles, "Einrichtungen im Gebiet" if highlight_id is not None else "Einrichtungen")
    add_note(fig, note, title, ax)
    return fig
