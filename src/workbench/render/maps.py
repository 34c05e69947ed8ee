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
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from workbench.errors import DataValidationError, WorkbenchError, require_table
from workbench.render import fmt
from workbench.render._style import LOCATOR_HINT, _legend_right, require_area, require_categories
from workbench.render.figure_text import SIGNIFICANCE_SYMBOLS, attach, significance_label
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


MAX_CLASSES = 7
"""Default upper limit of classes on a sequential map: more shades of one hue cannot be told apart in print."""


@dataclass(frozen=True)
class Classification:
    """Result of :func:`classify`: upper class bounds, class per value (-1 = not classified) and counts.

    ``lows`` holds the lower bound each class label shows: the smallest value for the first class, else the
    previous upper bound plus one unit of the table precision (``decimals``), so labels of neighbouring
    classes never overlap ("1,0 – 2,0" then "2,1 – 3,0"). Empty classes are dropped, classes that collapse
    at the table precision merged; ``k`` is the number of classes actually shown.
    """

    scheme: str
    k: int
    bins: np.ndarray
    lower: float
    yb: np.ndarray
    counts: np.ndarray
    lows: np.ndarray | None = None
    decimals: int | None = None
    centre: float | None = None
    source_index: np.ndarray | None = None
    n_source: int | None = None

    @property
    def label(self) -> str:
        """German description for the note, e.g. "Klassifikation: Quantile, 5 Klassen"."""
        around = ""
        if self.centre is not None:
            d = 0 if float(self.centre).is_integer() else (self.decimals or 0)
            around = f", getrennt für Werte unter und über {fmt.number(self.centre, d)}"
        return (
            f"Klassifikation: {SCHEMES[self.scheme]}{around}, {fmt.count_word(self.k, 'Klasse', 'Klassen')}"
        )

    def ranges(self) -> list[tuple[float, float]]:
        """(lower, upper) value range of each class as its legend shows it (see ``lows``)."""
        lows = self.lows if self.lows is not None else np.r_[self.lower, self.bins[:-1]]
        return list(zip(np.asarray(lows, dtype=float).tolist(), self.bins.tolist(), strict=True))


_CLASSIFIERS = {
    "quantiles": "Quantiles",
    "natural_breaks": "NaturalBreaks",
    "equal_interval": "EqualInterval",
    "fisher_jenks": "FisherJenks",
}
"""Scheme → mapclassify class name. mapclassify is imported on first use: it pulls in scikit-learn (about 2 s),
which pages and profiles that draw no classified map (every Sozialraumprofil) never need."""


def _raw_bins(yv: np.ndarray, scheme: str, k: int, bins: Sequence[float] | None) -> np.ndarray:
    """Upper class bounds of the values ``yv`` by mapclassify (last bound at least the maximum)."""
    if scheme == "user":
        b = np.sort(np.asarray(bins, dtype=float))
        return np.r_[b[b < yv.max()], yv.max()] if b[-1] < yv.max() else b
    k = min(int(k), len(np.unique(yv)))
    if k <= 1:
        return np.array([yv.max()])
    import mapclassify  # imported here, before the seed is set (see _CLASSIFIERS)

    classifier = getattr(mapclassify, _CLASSIFIERS[scheme])
    state = np.random.get_state()
    np.random.seed(_SEED)  # sklearn KMeans inside NaturalBreaks uses the global RNG
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(classifier(yv, k=k).bins, dtype=float)
    finally:
        np.random.set_state(state)


def classify(
    values: Sequence[float] | np.ndarray | pd.Series,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    *,
    decimals: int | None = None,
    max_classes: int | None = MAX_CLASSES,
    centre: float | None = None,
) -> Classification:
    """Classify values with mapclassify; NaN values get class -1 and are not used for the breaks.

    Schemes: quantiles, natural_breaks (k-means, fixed seed), equal_interval, fisher_jenks, user (``bins`` =
    upper bounds; the last bound is raised to the maximum when it lies below it). When there are fewer distinct
    values than ``k``, ``k`` is reduced to their number (the note then names the real class count); ``k`` is
    capped at ``max_classes`` (None: no cap).

    With ``decimals`` (the precision of the table cell that shows the value) values and breaks are rounded to
    it, classes that collapse at that precision are merged and class labels (:meth:`Classification.ranges`)
    never overlap. Empty classes are always dropped. With ``centre`` (e.g. 0 for a change) the values below
    and above the centre are classified separately (about ``k // 2`` classes each) and a value exactly at the
    centre gets a class of its own, so the centre is always a class break (diverging maps).
    """
    if scheme not in SCHEMES:
        raise WorkbenchError(
            f"unbekanntes Klassifikationsverfahren '{scheme}'", hint=f"eines von {', '.join(SCHEMES)}"
        )
    y = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce").to_numpy(dtype=float)
    if decimals is not None:
        y = np.round(y, decimals)
    valid = np.isfinite(y)
    if not valid.any():
        raise DataValidationError("keine gültigen Werte zum Klassifizieren", hint="Spalte und Jahr prüfen")
    yv = y[valid]
    if scheme == "user" and (bins is None or len(bins) == 0):
        raise WorkbenchError(
            "scheme='user' braucht bins (obere Klassengrenzen)", hint="z. B. bins=[5, 10, 20]"
        )
    if scheme != "user" and int(k) < 2:
        raise WorkbenchError(f"k={k}: mindestens 2 Klassen angeben")
    if max_classes is not None and scheme != "user":
        k = min(int(k), int(max_classes))
    if centre is None:
        b = _raw_bins(yv, scheme, k, bins)
    else:
        below, above = yv[yv < centre], yv[yv > centre]
        k_side = max(1, int(k) // 2)
        parts = []
        if below.size:
            parts.append(_raw_bins(below, scheme, k_side, bins)[:-1])
            parts.append(np.array([below.max()]))
        parts.append(np.array([float(centre)]))  # the centre is always a break (class of values == centre)
        if above.size:
            parts.append(_raw_bins(above, scheme, k_side, bins))
        b = np.concatenate(parts)
    if decimals is not None:
        b = np.round(b, decimals)
    b = np.unique(b)  # sorted; equal bounds (collapsed at the table precision) merged
    if b[-1] < yv.max():
        b = np.r_[b, yv.max()]
    step = 10.0**-decimals if decimals is not None else 0.0
    lows = np.r_[yv.min(), b[:-1] + step] if decimals is not None else np.r_[yv.min(), b[:-1]]
    if centre is not None:
        lows[b == centre] = centre  # the centre class holds exactly the centre value
    lows = np.minimum(lows, b)
    yb_valid = np.searchsorted(b, yv, side="left")  # class i holds b[i-1] < y <= b[i]
    counts = np.bincount(yb_valid, minlength=len(b))
    keep = counts > 0  # empty classes dropped
    new_index = np.cumsum(keep) - 1
    yb = np.full(len(y), -1, dtype=int)
    yb[valid] = new_index[yb_valid]
    return Classification(
        scheme=scheme,
        k=int(keep.sum()),
        bins=b[keep],
        lower=float(yv.min()),
        yb=yb,
        counts=counts[keep].astype(int),
        lows=lows[keep],
        decimals=decimals,
        centre=None if centre is None else float(centre),
        source_index=np.flatnonzero(keep),
        n_source=len(b),
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


AREA_LABEL_LIMIT = 120
"""Up to this many areas a chapter map writes each area's number on the map (more would not be legible)."""

KEY_LIMIT = 60
"""Up to this many areas the key (number → name) is printed under the map; beyond, the data table is the key."""

_ID_COLUMNS = ("area_id", "unit_id")
_NAME_COLUMNS = ("area_name", "unit_name", "name")


def _ids_names(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Area numbers and names of the map's rows (None when the frame has no such column)."""
    idc = next((c for c in _ID_COLUMNS if c in gdf.columns), None)
    nc = next((c for c in _NAME_COLUMNS if c in gdf.columns), None)
    ids = gdf[idc].astype(str).to_numpy() if idc else None
    names = gdf[nc].astype(str).to_numpy() if nc else None
    return ids, names


def _labels(
    ax: Axes, gdf: gpd.GeoDataFrame, column: str | None, symbols: Sequence[str] | None = None
) -> list[str] | None:
    """Write the area labels (``column``, else the area numbers up to :data:`AREA_LABEL_LIMIT` areas) at a
    point inside each area, with the comparison symbol after it when ``symbols`` is given. Returns the labels."""
    if column is not None:
        texts = gdf[column].astype(str).to_numpy()
    else:
        ids, _ = _ids_names(gdf)
        if ids is None or len(gdf) > AREA_LABEL_LIMIT:
            return None
        texts = ids
    size = 6 if len(gdf) <= 60 else 5
    halo = [patheffects.withStroke(linewidth=2, foreground="white")]
    points = gdf.geometry.representative_point()
    for i, (point, label) in enumerate(zip(points, texts, strict=True)):
        if point is None or point.is_empty:
            continue
        sym = f" {symbols[i]}" if symbols is not None and symbols[i] else ""
        ax.text(point.x, point.y, f"{label}{sym}", ha="center", va="center", fontsize=size, path_effects=halo)
    return list(texts)


def _key(ax: Axes, gdf: gpd.GeoDataFrame, labels: list[str] | None) -> None:
    """Key under the map: area number → name in columns (up to :data:`KEY_LIMIT` areas).

    The column count follows the measured width of the longest entry, so that columns never run into each
    other; entries longer than a quarter of the map width are shortened with "…".
    """
    ids, names = _ids_names(gdf)
    if labels is None or names is None or len(gdf) > KEY_LIMIT:
        return
    pairs = [f"{a} {b}" for a, b in sorted(zip(labels, names, strict=True))]
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    width = ax.get_window_extent(renderer).width

    def measure(text: str) -> float:
        t = ax.text(0, 0, text, fontsize=6, transform=ax.transAxes)
        w = t.get_window_extent(renderer).width
        t.remove()
        return w

    ncol = 4 if len(pairs) > 12 else 2
    room = width / ncol - 6 * fig.dpi / 72  # column width minus a gap
    fitted = []
    for p in pairs:
        w = measure(p)
        if w > room:  # shorten with "…" to the measured room, so columns never run into each other
            keep = max(6, int(len(p) * room / w) - 1)
            p = p[:keep].rstrip() + "…"
        fitted.append(p)
    pairs = fitted
    per = -(-len(pairs) // ncol)
    for c in range(ncol):
        chunk = pairs[c * per : (c + 1) * per]
        if chunk:
            ax.text(c / ncol, -0.02, "\n".join(chunk), transform=ax.transAxes, ha="left", va="top", fontsize=6,
                    color="#222222", linespacing=1.25)  # fmt: skip
    ax.text(0.0, -0.005, "Gebiete (Nummer auf der Karte)", transform=ax.transAxes, ha="left", va="bottom",
            fontsize=6.5, fontweight="bold")  # fmt: skip
    fig.key_columns = ncol


def _hatch_patch(colours: dict[str, Any], label: str, count: int) -> Patch:
    sup = colours["suppressed"]
    return Patch(
        facecolor=sup["colour"], edgecolor=sup["edge"], hatch=sup["hatch"], label=f"{label} ({count})"
    )


def _legend(ax: Axes, handles: list, title: str | None) -> None:
    _legend_right(ax, handles, title, anchor_x=1.0, title_fontsize=9)


def _single(value_format: str | Callable[[float], str], decimals: int) -> Callable[[float], str]:
    if callable(value_format):
        return value_format
    if value_format == "percent":
        return lambda a: f"{fmt.number(a, decimals)}\u00a0%"
    if value_format == "number":
        return lambda a: fmt.number(a, decimals)
    raise WorkbenchError(
        f"value_format '{value_format}' unbekannt", hint='"percent", "number" oder eine Funktion'
    )


def _formatter(value_format: str | Callable[[float], str], decimals: int) -> Callable[[float, float], str]:
    """Class label "a – b" (one value when both ends are equal at the table precision; "a bis b" with a
    negative end, minus as "−")."""
    one = _single(value_format, decimals)
    if callable(value_format):
        return lambda a, b: one(a) if one(a) == one(b) else f"{one(a)} – {one(b)}"
    unit = "\u00a0%" if value_format == "percent" else ""

    def rng(a: float, b: float) -> str:
        lo, hi = (fmt.number(v, decimals).replace("-", "\u2212") for v in (a, b))
        if lo == hi:
            return f"{lo}{unit}"
        sep = " bis " if lo.startswith("\u2212") or hi.startswith("\u2212") else " – "
        return f"{lo}{sep}{hi}{unit}"

    return rng


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _diverging_fill(result: Classification, anchors: Sequence[str]) -> list[str]:
    """Colours of a classification around its centre: classes below dark → light, the centre class exactly
    the palette's middle colour (white), classes above light → dark."""
    cmap = mcolors.LinearSegmentedColormap.from_list("wb_div", list(anchors))
    centre = result.centre
    below = int((result.bins < centre).sum())
    above = int((result.bins > centre).sum())
    out = []
    for b in result.bins:
        if b < centre:
            j = int((result.bins < b).sum())  # 0 = lowest
            out.append(mcolors.to_hex(cmap(0.5 - 0.5 * (below - j) / below * 0.9 - 0.05)))
        elif b > centre:
            j = int(((result.bins > centre) & (result.bins < b)).sum())
            out.append(mcolors.to_hex(cmap(0.5 + 0.5 * (j + 1) / above * 0.9 + 0.05)))
        else:  # exactly the palette's middle colour (white), not an interpolation near it
            mid = list(anchors)[len(anchors) // 2] if len(anchors) % 2 else cmap(0.5)
            out.append(mcolors.to_hex(mid))
    return out


def _map_table(
    gdf: gpd.GeoDataFrame, columns: dict[str, Any], kinds: dict[str, Any], **options: Any
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Data table of a map: one row per area (number), its name and the given columns."""
    ids, names = _ids_names(gdf)
    index = pd.Index(ids if ids is not None else [str(i + 1) for i in range(len(gdf))], name="Nr.")
    data = {"Gebiet": names if names is not None else [""] * len(gdf), **columns}
    df = pd.DataFrame(data, index=index)
    order = np.argsort(index.to_numpy(), kind="stable")
    return df.iloc[order], {"Gebiet": "text", **kinds}


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
    max_classes: int | None = MAX_CLASSES,
    centre: float | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Classed choropleth map of ``column`` with a German legend ("12,3 – 15,0 % (4)") and per-class counts.

    Values are classified at their table precision ``decimals`` (:func:`classify`): class labels never
    overlap, empty classes are dropped, at most ``max_classes`` classes. With ``centre`` (e.g. 0 for a change)
    the palette is diverging (default ``diverging_blue_red``): the centre is a class break and its own class is
    the palette's middle colour (white), values below are blue, above red. Missing values are grey ("keine
    Daten"); rows flagged in the bool column ``suppressed`` are hatched ("geheimgehalten") and left out of the
    classification. The classification method (one) is added to the note. Areas carry their numbers (or
    ``labels``) with a key under the map. ``fig.classification`` (:class:`Classification`) holds the breaks;
    ``fig.area_colours`` the fill per row; ``fig.wb_text`` the text alternative and data table.
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
    values = np.where(sup, np.nan, np.round(values, decimals))  # suppressed values never enter the breaks
    if centre is None and isinstance(palette, str) and palette.startswith("diverging") and scheme != "user":
        centre = 0.0  # a diverging palette is centred on 0: white means no change
    result = classify(values, scheme, k, bins, decimals=decimals, max_classes=max_classes, centre=centre)
    if centre is not None:
        if isinstance(palette, str) and palette.startswith("sequential"):
            palette = "diverging_blue_red"
        anchors = colours["sequential"][palette] if isinstance(palette, str) else list(palette)
        fill = _diverging_fill(result, anchors)
    elif not isinstance(palette, str) and len(palette) == result.n_source:
        fill = [mcolors.to_hex(palette[i]) for i in result.source_index]  # one fixed colour per given class
    else:
        fill = sequential_colours(palette, result.k, colours)
    missing = colours["missing"]["colour"]
    face = [
        fill[c] if c >= 0 else (colours["suppressed"]["colour"] if s else missing)
        for c, s in zip(result.yb, sup, strict=True)
    ]
    fig, ax = _map_axes(ax)
    _draw(ax, gdf, face, colours, sup, districts)
    shown = _labels(ax, gdf, labels)
    _key(ax, gdf, shown)
    rng = _formatter(value_format, decimals)
    class_text = [rng(a, b) for a, b in result.ranges()]
    handles = [
        Patch(facecolor=fill[i], edgecolor="#999999", label=f"{class_text[i]} ({result.counts[i]})")
        for i in range(result.k)
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
    fig.legend_labels = [h.get_label() for h in handles]
    # text alternative and data table: the published (rounded) values, suppressed ones as "."
    what = legend_title or column
    one = _single(value_format, decimals)
    ids, names = _ids_names(gdf)
    names = names if names is not None else (ids if ids is not None else np.array([""] * len(gdf)))
    ok = np.isfinite(values)
    finding = ""
    if ok.any():
        hi, lo = (
            int(np.nanargmax(np.where(ok, values, -np.inf))),
            int(np.nanargmin(np.where(ok, values, np.inf))),
        )
        finding = f" Höchster Wert: {names[hi]} ({one(values[hi])}); niedrigster Wert: {names[lo]} ({one(values[lo])})."
    alt = (
        f"Karte: {title or what}. {fmt.count_word(int(ok.sum()), 'Gebiet', 'Gebiete')} in "
        f"{fmt.count_word(result.k, 'Klasse', 'Klassen')} ({SCHEMES[scheme]}).{finding}"
        + (f" {fmt.count_word(int(sup.sum()), 'Gebiet', 'Gebiete')} geheimgehalten." if sup.any() else "")
    )
    cls = np.array([class_text[c] if c >= 0 else "" for c in result.yb], dtype=object)
    kind = "share" if value_format == "percent" else "rate"
    col = f"Wert ({what})" if legend_title else "Wert"
    data, kinds = _map_table(gdf, {col: values, "Klasse": cls}, {col: kind, "Klasse": "text"})
    supp = pd.DataFrame(False, index=data.index, columns=data.columns)
    supp[col] = _reorder(gdf, sup)
    attach(
        fig, alt, data, kinds, f"Daten zur Karte: {title or what}",
        number_formats={col: {"decimals": decimals, "unit": "%" if value_format == "percent" else ""}},
        suppressed=supp,
    )  # fmt: skip
    return fig


def _reorder(gdf: gpd.GeoDataFrame, values: np.ndarray) -> np.ndarray:
    """``values`` (one per row of ``gdf``) in the row order of :func:`_map_table`."""
    ids, _ = _ids_names(gdf)
    index = ids if ids is not None else np.array([str(i + 1) for i in range(len(gdf))])
    return np.asarray(values)[np.argsort(index, kind="stable")]


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
    count as "nicht verglichen". Labels that do not fit the polarity raise a DataValidationError. The
    comparison is also written as a symbol (▲ ● ▼, :data:`SIGNIFICANCE_SYMBOLS`) after each area number, so
    colour never carries it alone.
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
    symbols = [SIGNIFICANCE_SYMBOLS.get(c, "") if c != "nicht verglichen" else "" for c in cats]
    shown = _labels(ax, gdf, labels, symbols)
    _key(ax, gdf, shown)
    # each area counted once: a withheld area is counted as "geheimgehalten", not also as "nicht verglichen"
    counts = {lab: int(((cats == lab) & ~sup).sum()) for lab in palette}
    handles = [
        Patch(facecolor=c, edgecolor="#999999", label=f"{significance_label(lab)} ({counts[lab]})")
        for lab, c in palette.items()
    ]
    if sup.any():
        handles.append(_hatch_patch(colours, colours["suppressed"]["label"], int(sup.sum())))
    _legend(ax, handles, legend_title)
    add_note(fig, note, title, ax)
    fig.area_colours = pd.Series(face, index=gdf.index)
    fig.legend_labels = [h.get_label() for h in handles]
    parts = [f"{counts[lab]} {lab}" for lab in palette if counts[lab]]
    alt = (
        f"Karte: {title or legend_title}. {legend_title}: {', '.join(parts)}"
        + (f", {int(sup.sum())} geheimgehalten" if sup.any() else "")
        + "."
    )
    shown_cats = np.where(sup, colours["suppressed"]["label"], [significance_label(c) for c in cats])
    data, kinds = _map_table(gdf, {legend_title: shown_cats}, {legend_title: "text"})
    attach(fig, alt, data, kinds, f"Daten zur Karte: {title or legend_title}")
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
    ``hatch_column`` (e.g. unstable classes) are hatched with legend entry ``hatch_label``. Classes without an
    area are left out of the legend; areas carry their numbers (or ``labels``) with a key under the map.
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
    shown = _labels(ax, gdf, labels)
    _key(ax, gdf, shown)
    counts = {k: int(((as_key == str(k)) & present).sum()) for k in categories}
    handles = [
        Patch(facecolor=colour, edgecolor="#999999", label=f"{lab} ({counts[k]})")
        for k, (lab, colour) in categories.items()
        if counts[k]
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
    fig.legend_labels = [h.get_label() for h in handles]
    what = legend_title or column
    parts = [f"{lab}: {counts[k]}" for k, (lab, _c) in categories.items() if counts[k]]
    alt = f"Karte: {title or what}. Gebiete je Klasse – {'; '.join(parts)}."
    label_of = np.array(
        [
            categories[keys[v]][0] if p else colours["missing"]["label"]
            for v, p in zip(as_key, present, strict=True)
        ],
        dtype=object,
    )
    if hatched.any():
        label_of = np.where(hatched, [f"{x} ({hatch_label or 'unsicher'})" for x in label_of], label_of)
    data, kinds = _map_table(gdf, {what: label_of}, {what: "text"})
    attach(fig, alt, data, kinds, f"Daten zur Karte: {title or what}")
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
    where = f"im Gebiet {highlight_id}" if highlight_id is not None else "in der Stadt"
    counts = {h.get_label().rsplit(" (", 1)[0]: h.get_label().rsplit(" (", 1)[1].rstrip(")") for h in handles}
    alt = (
        f"Karte: {title or 'Einrichtungen'}. Einrichtungen {where} nach Art (Farbe und Form): "
        + ("; ".join(f"{t} {n}" for t, n in counts.items()) or "keine")
        + "."
    )
    # facility counts are register data, not counts of persons: shown as text, as in the legend
    data = pd.DataFrame({"Anzahl": list(counts.values())}, index=pd.Index(list(counts), name="Art"))
    attach(fig, alt, data, {"Anzahl": "text"}, f"Daten zur Karte: {title or 'Einrichtungen'} ({where})")
    return fig
