"""Profile maps as inline SVG (see :mod:`workbench.render.svg`): locator map and facility map.

Geometries (shapely, metres) are simplified with a tolerance of half a pixel, scaled to the map width,
y flipped, and written as SVG path data with coordinates rounded to one decimal. The base paths of the
whole city (all areas, Stadtbezirke) are computed ONCE per process (memo keyed by the ids, the bounds and the
map size) and reused by every profile; only the highlight changes per profile.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely

from workbench.errors import DataValidationError
from workbench.render._style import LOCATOR_HINT, require_area
from workbench.render._svg_doc import document, esc, legend, num, rect, swatch_box, swatch_line, text
from workbench.render.plots import load_colours

_BASE: dict[tuple, dict[str, str]] = {}
_BASE_MAX = 16


def _rings(geom) -> list[np.ndarray]:
    """Exterior and interior rings of a (multi)polygon as coordinate arrays."""
    out: list[np.ndarray] = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        out.append(np.asarray(poly.exterior.coords))
        out.extend(np.asarray(r.coords) for r in poly.interiors)
    return out


def path_data(geom, transform: tuple[float, float, float, float], tolerance: float) -> str:
    """SVG path data of a (multi)polygon: ``x_px = (x - x0) * s + ox``, ``y_px = oy - (y - y0) * s``.

    ``transform`` is (x0, y0, s, oy) with left offset folded into x0; geometry simplified with ``tolerance``
    (metres, topology preserved), duplicate consecutive pixel points dropped.
    """
    x0, y0, s, oy = transform
    if tolerance > 0:
        geom = shapely.simplify(geom, tolerance, preserve_topology=True)
    parts = []
    for ring in _rings(geom):
        px = np.round((ring[:, 0] - x0) * s, 1)
        py = np.round(oy - (ring[:, 1] - y0) * s, 1)
        keep = np.r_[True, (np.diff(px) != 0) | (np.diff(py) != 0)]
        px, py = px[keep], py[keep]
        if len(px) < 3:
            continue
        parts.append("M" + "L".join(f"{num(a)},{num(b)}" for a, b in zip(px, py, strict=True)) + "Z")
    return "".join(parts)


def _frame(
    bounds: Sequence[float], width: float, max_height: float
) -> tuple[tuple[float, float, float, float], float, float]:
    """Transform fitting ``bounds`` into ``width`` × ``max_height`` px (aspect kept), and the pixel size."""
    bx0, by0, bx1, by1 = (float(v) for v in bounds)
    s = min(width / max(bx1 - bx0, 1e-9), max_height / max(by1 - by0, 1e-9))
    w, h = (bx1 - bx0) * s, (by1 - by0) * s
    return (bx0, by0, s, h), w, h


def _layer(gdf, ids: np.ndarray, transform, tolerance: float, what: str) -> dict[str, str]:
    """Path data per id for a GeoDataFrame, memoised per process (immutable city geometry)."""
    key = (
        what,
        tuple(ids),
        tuple(np.round(gdf.total_bounds, 3)),
        tuple(round(v, 6) for v in transform),
        round(tolerance, 6),
    )
    hit = _BASE.get(key)
    if hit is None:
        hit = {i: path_data(g, transform, tolerance) for i, g in zip(ids, gdf.geometry, strict=True)}
        if len(_BASE) >= _BASE_MAX:
            _BASE.pop(next(iter(_BASE)))
        _BASE[key] = hit
    return hit


def _check(gdf, column: str, what: str) -> np.ndarray:
    if gdf is None or column not in gdf.columns or "geometry" not in gdf.columns:
        raise DataValidationError(f"{what}: Geodaten mit Spalte '{column}' erwartet")
    return gdf[column].astype(str).to_numpy()


def area_map_svg(
    gdf,
    highlight_id: str,
    districts=None,
    *,
    id_column: str = "area_id",
    max_areas: int | None = None,
    title: str = "",
    note: str = "",
    width: float = 300,
    max_height: float = 300,
    link: str | None = "{id}.html",
    names: dict[str, str] | None = None,
) -> str:
    """Locator map: every area light grey (one ``<path data-id>`` each), Stadtbezirke as dark outlines, the
    area ``highlight_id`` in the highlight colour (``class="wb-highlight"``).

    With ``link`` (a pattern with ``{id}``, default the profile page ``0101.html`` next to this one) every
    area is an SVG ``<a>`` to its profile, with its name (``names``, else the column ``area_name``) as tooltip.

    With ``max_areas`` and more areas than that, the background is the Stadtbezirke (filled) instead of every
    area — the same picture at this size with far less SVG. Paths are memoised per process.
    """
    ids = _check(gdf, id_column, "Lagekarte")
    require_area(ids, highlight_id, id_column, "Lagekarte", LOCATOR_HINT)
    colours = load_colours()
    lines = colours["lines"]
    top = 26.0 if title else 6.0
    transform, w, h = _frame(gdf.total_bounds, width - 16, max_height)
    tol = 0.5 / transform[2]
    body = [text(8, 18, title, 12, font_weight="bold")] if title else []
    body.append(f'<g transform="translate(8,{num(top)})">')
    area_paths = _layer(gdf, ids, transform, tol, "areas")
    use_districts = districts is not None and max_areas is not None and len(gdf) > max_areas
    if use_districts:
        dids = _check(districts, "district_id", "Lagekarte (Stadtbezirke)")
        dp = _layer(districts, dids, transform, tol, "districts")
        body += [
            f'<path d="{dp[i]}" fill="{lines["background"]}" stroke="{lines["area_edge"]}" stroke-width="0.5" data-district="{esc(i)}"/>'
            for i in dids
        ]
    else:
        if names is None and "area_name" in gdf.columns:
            names = dict(zip(ids, gdf["area_name"].astype(str), strict=True))
        for i in ids:
            path = (
                f'<path d="{area_paths[i]}" fill="{lines["background"]}" stroke="{lines["area_edge"]}" '
                f'stroke-width="0.5" data-id="{esc(i)}"/>'
            )
            if link and i != str(highlight_id):
                label = f"{i} {names.get(i, '')}".strip() if names else str(i)
                path = (
                    f'<a href="{esc(link.format(id=i))}" aria-label="Profil {esc(label)}">'
                    f"<title>Profil {esc(label)}</title>{path}</a>"
                )
            body.append(path)
    if districts is not None:
        dids = _check(districts, "district_id", "Lagekarte (Stadtbezirke)")
        dp = _layer(districts, dids, transform, tol, "districts")
        body.append(
            f'<path d="{"".join(dp[i] for i in dids)}" fill="none" stroke="{lines["district_edge"]}" stroke-width="1"/>'
        )
    hid = str(highlight_id)
    body.append(
        f'<path class="wb-highlight" d="{area_paths[hid]}" fill="{lines["highlight"]}" stroke="{lines["district_edge"]}" '
        f'stroke-width="0.8" data-id="{esc(hid)}"/>'
    )
    body.append("</g>")
    items = [
        (swatch_box(lines["highlight"]), "Sozialraum"),
        (swatch_box(lines["background"], "#999999"), "übrige Stadt"),
    ]
    if districts is not None:
        items.append((swatch_line(lines["district_edge"], width=1), "Stadtbezirksgrenze"))
    leg, leg_h = legend(items, 8, top + h + 8, width - 16, size=9)
    body += leg
    name = (names or {}).get(hid) if names else None
    desc = (
        f"Lagekarte: {name or hid} ist hervorgehoben, die übrige Stadt grau"
        + (", Stadtbezirksgrenzen dunkel" if districts is not None else "")
        + (". Jedes Gebiet verweist auf sein Profil." if link and not use_districts else ".")
    )
    return document(width, top + h + 10 + leg_h, title, note, body, kind="location", desc=desc)


_MARKERS = {  # matplotlib marker letters of colours.yaml → SVG path around (0, 0), radius ~5 px
    "o": None,
    "s": "M-4.5,-4.5H4.5V4.5H-4.5Z",
    "D": "M0,-5.5L5,0L0,5.5L-5,0Z",
    "^": "M0,-5.5L5,4L-5,4Z",
    "v": "M0,5.5L5,-4L-5,-4Z",
    "P": "M-1.7,-5H1.7V-1.7H5V1.7H1.7V5H-1.7V1.7H-5V-1.7H-1.7Z",
    "X": "M-3.5,-5.5L0,-2L3.5,-5.5L5.5,-3.5L2,0L5.5,3.5L3.5,5.5L0,2L-3.5,5.5L-5.5,3.5L-2,0L-5.5,-3.5Z",
}


def marker(shape: str, x: float, y: float, fill: str, tooltip: str = "") -> str:
    """A facility marker (shape letter as in colours.yaml) at pixel ``x``, ``y``, white edge."""
    tip = f"<title>{esc(tooltip)}</title>" if tooltip else ""
    d = _MARKERS.get(shape)
    if d is None:
        return f'<circle cx="{num(x)}" cy="{num(y)}" r="4.5" fill="{fill}" stroke="#ffffff" stroke-width="0.6">{tip}</circle>'
    return f'<path transform="translate({num(x)},{num(y)})" d="{d}" fill="{fill}" stroke="#ffffff" stroke-width="0.6">{tip}</path>'


def facility_map_svg(
    areas,
    facilities,
    highlight_id: str,
    *,
    id_column: str = "area_id",
    type_column: str = "type",
    name_column: str | None = "name",
    districts=None,
    title: str = "",
    note: str = "",
    width: float = 560,
    max_height: float = 460,
) -> str:
    """Facilities by type (colour and marker from colours.yaml) around the area ``highlight_id``.

    The map window is the area's bounding box plus 25 % (as :func:`workbench.render.maps.facility_map`); areas grey,
    the area outlined in the highlight colour, Stadtbezirke dark. The legend counts the facilities of each type
    inside the area (shapely ``within``).
    """
    ids = _check(areas, id_column, "Einrichtungskarte")
    hit = require_area(ids, highlight_id, id_column, "Einrichtungskarte")
    if type_column not in facilities.columns:
        raise DataValidationError(f"Einrichtungskarte: Einrichtungen brauchen eine Spalte '{type_column}'")
    colours = load_colours()
    lines = colours["lines"]
    shape = areas.geometry.to_numpy()[hit][0]
    x0, y0, x1, y1 = shape.bounds
    pad = 0.25 * max(x1 - x0, y1 - y0)
    transform, w, h = _frame((x0 - pad, y0 - pad, x1 + pad, y1 + pad), width - 16, max_height)
    tol = 0.5 / transform[2]
    top = 26.0 if title else 6.0
    body = [text(8, 18, title, 12, font_weight="bold")] if title else []
    body.append(
        f'<svg x="8" y="{num(top)}" width="{num(w)}" height="{num(h)}" viewBox="0 0 {num(w)} {num(h)}">'
    )
    body.append(rect(0, 0, w, h, "#fbfbfb"))
    for i, g in zip(ids, areas.geometry, strict=True):
        body.append(
            f'<path d="{path_data(g, transform, tol)}" fill="{lines["background"]}" stroke="#bbbbbb" stroke-width="0.6" data-id="{esc(i)}"/>'
        )
    if districts is not None:
        window = (x0 - 2 * pad, y0 - 2 * pad, x1 + 2 * pad, y1 + 2 * pad)
        clipped = shapely.clip_by_rect(districts.geometry.to_numpy(), *window)
        d = "".join(path_data(g, transform, tol) for g in clipped)
        body.append(f'<path d="{d}" fill="none" stroke="{lines["district_edge"]}" stroke-width="1"/>')
    body.append(
        f'<path class="wb-highlight" d="{path_data(shape, transform, tol)}" fill="none" stroke="{lines["highlight"]}" stroke-width="2.2"/>'
    )
    spec = colours["facilities"]
    types = sorted(pd.unique(facilities[type_column].astype(str)))
    pts = facilities.geometry
    xs = (pts.x.to_numpy() - transform[0]) * transform[2]
    ys = transform[3] - (pts.y.to_numpy() - transform[1]) * transform[2]
    inside = np.asarray(shapely.within(pts.to_numpy(), shape), dtype=bool)
    ftype = facilities[type_column].astype(str).to_numpy()
    names = facilities[name_column].astype(str).to_numpy() if name_column in facilities.columns else ftype
    order = np.lexsort((ys, xs))
    for k in order:
        s = spec.get(ftype[k], spec["default"])
        body.append(marker(s["marker"], xs[k], ys[k], s["colour"], f"{ftype[k]}: {names[k]}"))
    body.append("</svg>")
    items = []
    for t in types:
        s = spec.get(t, spec["default"])
        sym = marker(s["marker"], 6, 6, s["colour"])
        items.append((sym, f"{t} ({int(((ftype == t) & inside).sum())})"))
    items.append((swatch_line(lines["highlight"], width=2.2), "Sozialraum"))
    head = [text(8, top + h + 20, "Einrichtungen im Sozialraum (Anzahl):", 10, font_weight="bold")]
    leg, leg_h = legend(items, 8, top + h + 28, width - 16, size=10)
    body += head + leg
    counts = [f"{t}: {int(((ftype == t) & inside).sum())}" for t in types]
    desc = (
        f"Einrichtungskarte: Einrichtungen in und um das Gebiet {highlight_id}, nach Art (Farbe und Form). Im "
        f"Gebiet: {'; '.join(counts) if counts else 'keine'}."
    )
    return document(width, top + h + 32 + leg_h, title, note, body, kind="facilities", desc=desc)


def overview_map_svg(
    gdf,
    classes: Sequence[str],
    colours: dict[str, str],
    *,
    id_column: str = "area_id",
    name_column: str | None = "area_name",
    link: str | None = "{id}.html",
    districts=None,
    numbers: bool = True,
    title: str = "",
    note: str = "",
    legend_title: str = "",
    width: float = 600,
    max_height: float = 520,
) -> str:
    """Overview map of all areas as inline SVG, each area an ``<a>`` to its profile page (``link`` with
    ``{id}``), filled by its class (``classes``: one label per row, ``colours``: label → fill, legend order),
    with its number on the map (``numbers``) and a text alternative and data table (``.wb_text``).

    For the profiles' overview page: unlike a PNG, a planner clicks an area to open its profile, and a screen
    reader follows the same links.
    """
    from workbench.render.figure_text import FigureText, with_text

    ids = _check(gdf, id_column, "Übersichtskarte")
    names = gdf[name_column].astype(str).to_numpy() if name_column and name_column in gdf.columns else ids
    cls = [str(c) for c in classes]
    if len(cls) != len(ids):
        raise DataValidationError("Übersichtskarte: eine Klasse je Gebiet angeben")
    unknown = sorted(set(cls) - set(colours))
    if unknown:
        raise DataValidationError(f"Übersichtskarte: Klassen ohne Farbe: {', '.join(unknown)}")
    lines = load_colours()["lines"]
    top = 26.0 if title else 6.0
    transform, w, h = _frame(gdf.total_bounds, width - 16, max_height)
    tol = 0.5 / transform[2]
    paths = _layer(gdf, ids, transform, tol, "areas")
    body = [text(8, 18, title, 13, font_weight="bold")] if title else []
    body.append(f'<g transform="translate(8,{num(top)})">')
    points = gdf.geometry.representative_point()
    for a, n, c in zip(ids, names, cls, strict=True):
        shape = (
            f'<path d="{paths[a]}" fill="{colours[c]}" stroke="{lines["area_edge"]}" stroke-width="0.6" '
            f'data-id="{esc(a)}"/>'
        )
        label = f"{a} {n}" if n != a else a
        if link:
            shape = (
                f'<a href="{esc(link.format(id=a))}" aria-label="Profil {esc(label)}: {esc(c)}">'
                f"<title>{esc(label)}: {esc(c)}</title>{shape}</a>"
            )
        body.append(shape)
    if districts is not None:
        dids = _check(districts, "district_id", "Übersichtskarte (Stadtbezirke)")
        dp = _layer(districts, dids, transform, tol, "districts")
        body.append(
            f'<path d="{"".join(dp[i] for i in dids)}" fill="none" stroke="{lines["district_edge"]}" '
            'stroke-width="1.2" pointer-events="none"/>'
        )
    if numbers:
        x0, y0, s, oy = transform
        for a, p in zip(ids, points, strict=True):
            px, py = (p.x - x0) * s, oy - (p.y - y0) * s
            body.append(
                text(px, py + 3, a, 8, "middle", stroke="#ffffff", stroke_width=2, paint_order="stroke",
                     pointer_events="none")
            )  # fmt: skip
    body.append("</g>")
    counts = {c: cls.count(c) for c in colours}
    items = [(swatch_box(col, "#999999"), f"{c} ({counts[c]})") for c, col in colours.items() if counts[c]]
    head = [text(8, top + h + 20, legend_title, 10, font_weight="bold")] if legend_title else []
    leg, leg_h = legend(items, 8, top + h + (28 if legend_title else 8), width - 16, size=10)
    body += head + leg
    parts = [f"{c}: {counts[c]}" for c in colours if counts[c]]
    desc = f"Übersichtskarte: {len(ids)} Gebiete nach {legend_title or 'Klasse'} – {'; '.join(parts)}." + (
        " Jedes Gebiet verweist auf sein Profil." if link else ""
    )
    data = pd.DataFrame(
        {"Gebiet": names, legend_title or "Klasse": cls}, index=pd.Index(ids, name="Nr.")
    ).sort_index()
    info = FigureText(
        desc, data, {c: "text" for c in data.columns}, f"Daten zur Karte: {title or 'Übersicht'}"
    )
    doc = document(width, top + h + (32 if legend_title else 12) + leg_h, title, note, body, kind="overview",
                   desc=desc)  # fmt: skip
    return with_text(doc, info)
