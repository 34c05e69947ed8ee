"""Geometry of the demo city "Musterstadt": outline, Sozialräume, Stadtbezirke, statistische Bezirke, names.

Method: a wobbly star-shaped outline (Fourier-perturbed circle) around UTM 32N (EPSG:25832) easting
480,000 m / northing 5,700,000 m; Sozialräume are Voronoi cells of density-weighted Lloyd-relaxed seed points
(smaller cells near the centre, as in real cities) clipped to the outline; Stadtbezirke grow as contiguous
regions over the rook-neighbour graph; each Sozialraum is split again by a small Voronoi into 2–4 blocks.
All randomness comes from the ``numpy.random.Generator`` passed in, so the output is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import MultiPoint, Polygon

CENTRE = (480_000.0, 5_700_000.0)
"""Nominal city centre in EPSG:25832 (metres)."""

AREA_PER_SOZIALRAUM_M2 = 2.2e6
"""Mean land area of one Sozialraum (2.2 km²); the outline is scaled to n_areas times this."""

_PREFIXES = [
    "Linden",
    "Eichen",
    "Birken",
    "Buchen",
    "Erlen",
    "Ulmen",
    "Weiden",
    "Kastanien",
    "Rosen",
    "Sonnen",
    "Mühlen",
    "Kirch",
    "Schloss",
    "Brunnen",
    "Wiesen",
    "Berg",
    "Stein",
    "Sand",
    "Tannen",
    "Hasel",
    "Holunder",
    "Fichten",
    "Ahorn",
    "Kiefern",
    "Lerchen",
    "Finken",
    "Raben",
    "Falken",
    "Hirsch",
    "Fuchs",
    "Kloster",
    "Markt",
    "Garten",
    "Wald",
    "Heide",
    "Moor",
    "Quellen",
    "Hügel",
    "Bruch",
    "Kamp",
]
_SUFFIXES = [
    "feld",
    "hof",
    "berg",
    "grund",
    "au",
    "heide",
    "bach",
    "hain",
    "busch",
    "garten",
    "winkel",
    "höhe",
    "wiese",
    "kamp",
    "dorf",
]
_CURATED = [
    "Nordviertel",
    "Südstadt",
    "Weststadt",
    "Oststadt",
    "Am Stadtpark",
    "Hafen-Ost",
    "Hafen-West",
    "Bahnhofsviertel",
    "Neustadt",
    "Gartenstadt",
    "Am Wasserturm",
    "Am Kanal",
    "Am Schlossgarten",
    "Brunnenviertel",
    "Universitätsviertel",
    "Auenviertel",
    "Zechensiedlung",
    "Am Rathaus",
    "Feldmark",
    "Neue Mitte",
    "Alte Weberei",
    "Am Stadtwald",
    "Klosterviertel",
    "Hafenviertel",
]
SMALL_AREAS = (
    ("gewerbe", "Gewerbegebiet Güterbahnhof"),
    ("hafen", "Hafen"),
    ("neubau", "Neubaugebiet Feldrain"),
    ("klinik", "Klinikgelände"),
)
"""Kinds and names of the sparsely populated Sozialräume (100–900 inhabitants) of a demo city with at least
:data:`SMALL_AREAS_FROM` areas: one per 10 areas, at most four (see :func:`small_areas`)."""
SMALL_AREAS_FROM = 20
_DIRECTIONS = ["Nord", "Süd", "Ost", "West"]
_QUADRANTS = ["Nord", "Ost", "Süd", "West"]
_COMPASS = ["Nord", "Nordost", "Ost", "Südost", "Süd", "Südwest", "West", "Nordwest"]


@dataclass
class CityGeometry:
    """Polygons and ids of the demo city; lists are aligned (index i = Sozialraum i)."""

    outline: Polygon
    area_ids: list[str]
    area_names: list[str]
    area_polys: list[Polygon]
    district_of_area: list[int]
    district_ids: list[str]
    district_names: list[str]
    block_ids: list[str]
    block_names: list[str]
    block_area: list[int]
    block_polys: list[Polygon]

    @property
    def centroids(self) -> np.ndarray:
        """Area centroids, shape (n_areas, 2), metres."""
        return shapely.get_coordinates(shapely.centroid(np.asarray(self.area_polys, dtype=object)))


def _outline(rng: np.random.Generator, n_areas: int) -> Polygon:
    """A star-shaped, wobbly city outline of area n_areas × 2.2 km² (not a square, not a circle)."""
    theta = np.linspace(0.0, 2 * np.pi, 361)[:-1]
    radius = np.ones_like(theta)
    for k in range(2, 7):
        amp = rng.uniform(0.03, 0.12) / np.sqrt(k - 1)
        radius += amp * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    radius = np.clip(radius, 0.55, None)
    cx = CENTRE[0] + rng.uniform(-800, 800)
    cy = CENTRE[1] + rng.uniform(-800, 800)
    unit = Polygon(np.column_stack([np.cos(theta) * radius, np.sin(theta) * radius]))
    scale = np.sqrt(n_areas * AREA_PER_SOZIALRAUM_M2 / unit.area)
    pts = np.column_stack([cx + np.cos(theta) * radius * scale, cy + np.sin(theta) * radius * scale])
    return Polygon(np.round(pts, 2))


def _points_in(poly, rng: np.random.Generator, n: int, centre=None, sigma: float | None = None) -> np.ndarray:
    """n random points inside poly; with centre/sigma the density is higher near the centre."""
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        m = max(64, 2 * (n - have))
        xy = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        keep = shapely.contains_xy(poly, xy[:, 0], xy[:, 1])
        if centre is not None:
            d2 = ((xy - centre) ** 2).sum(axis=1)
            dens = 0.35 + np.exp(-d2 / (2 * sigma**2))
            keep &= rng.uniform(0, 1.35, m) < dens
        xy = xy[keep]
        out.append(xy)
        have += len(xy)
    return np.concatenate(out)[:n]


def _lloyd(points: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 12) -> np.ndarray:
    """k seeds relaxed towards the centroids of their nearest-point clusters (deterministic k-means)."""
    seeds = points[rng.choice(len(points), size=k, replace=False)].copy()
    for _ in range(iterations):
        _, lab = cKDTree(seeds).query(points)
        cnt = np.bincount(lab, minlength=k)
        sx = np.bincount(lab, weights=points[:, 0], minlength=k)
        sy = np.bincount(lab, weights=points[:, 1], minlength=k)
        ok = cnt > 0
        seeds[ok, 0] = sx[ok] / cnt[ok]
        seeds[ok, 1] = sy[ok] / cnt[ok]
    # a centroid of a concave cluster can fall outside the region: snap to the nearest sample point
    _, idx = cKDTree(points).query(seeds)
    return np.where((((points[idx] - seeds) ** 2).sum(axis=1) > 0)[:, None], points[idx], seeds)


def _largest_polygon(geom) -> tuple[Polygon | None, list[Polygon]]:
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and not g.is_empty]
    if not parts:
        return None, []
    parts.sort(key=lambda g: -g.area)
    return parts[0], parts[1:]


def partition(region: Polygon, seeds: np.ndarray) -> list[Polygon]:
    """Split region into one Polygon per seed (Voronoi, clipped); stray fragments join their longest-border
    neighbour so that every piece is a single valid Polygon and the pieces still cover the region."""
    minx, miny, maxx, maxy = region.bounds
    pad = max(maxx - minx, maxy - miny)
    frame = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=frame, ordered=True)
    clipped = shapely.intersection(np.asarray(list(cells.geoms), dtype=object), region)
    pieces: list[Polygon | None] = []
    orphans: list[Polygon] = []
    for geom in clipped:
        main, rest = _largest_polygon(geom)
        pieces.append(main)
        orphans.extend(rest)
    for frag in sorted(orphans, key=lambda g: -g.area):
        best, best_len = None, 0.0
        for j, p in enumerate(pieces):
            if p is None or not p.intersects(frag):
                continue
            length = shapely.intersection(p.boundary, frag.boundary).length
            if length > best_len:
                best, best_len = j, length
        if best is not None:
            merged, rest = _largest_polygon(shapely.union(pieces[best], frag))
            if not rest:
                pieces[best] = merged
    if any(p is None for p in pieces):
        raise RuntimeError("empty Voronoi piece")
    return [shapely.make_valid(p) if not p.is_valid else p for p in pieces]  # type: ignore[misc]


def rook_pairs(polys: list[Polygon], min_length: float = 1.0) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of polygons sharing a border of at least min_length metres."""
    arr = np.asarray(polys, dtype=object)
    tree = shapely.STRtree(arr)
    left, right = tree.query(arr, predicate="intersects")
    mask = left < right
    left, right = left[mask], right[mask]
    lengths = shapely.length(shapely.intersection(shapely.boundary(arr[left]), shapely.boundary(arr[right])))
    keep = lengths >= min_length
    return list(zip(left[keep].tolist(), right[keep].tolist(), strict=True))


def _grow_districts(cent: np.ndarray, pairs: list[tuple[int, int]], k: int, centre: np.ndarray) -> np.ndarray:
    """Contiguous districts by balanced region growing from k far-apart seed areas (first = city centre)."""
    n = len(cent)
    nb: list[set[int]] = [set() for _ in range(n)]
    for i, j in pairs:
        nb[i].add(j)
        nb[j].add(i)
    seeds = [int(np.argmin(((cent - centre) ** 2).sum(axis=1)))]
    dmin = ((cent - cent[seeds[0]]) ** 2).sum(axis=1)
    while len(seeds) < k:
        s = int(np.argmax(dmin))
        seeds.append(s)
        dmin = np.minimum(dmin, ((cent - cent[s]) ** 2).sum(axis=1))
    label = np.full(n, -1)
    size = np.zeros(k, dtype=int)
    frontier: list[set[int]] = [set() for _ in range(k)]
    for d, s in enumerate(seeds):
        label[s] = d
        size[d] = 1
    for d, s in enumerate(seeds):
        frontier[d] = {j for j in nb[s] if label[j] < 0}
    remaining = n - k
    while remaining > 0:
        active = [d for d in range(k) if frontier[d]]
        if not active:  # disconnected leftovers: attach to the nearest labelled area
            todo = np.flatnonzero(label < 0)
            done = np.flatnonzero(label >= 0)
            _, idx = cKDTree(cent[done]).query(cent[todo])
            label[todo] = label[done[idx]]
            break
        d = min(active, key=lambda x: (size[x], x))
        cand = sorted(frontier[d])
        dist = ((cent[cand] - cent[seeds[d]]) ** 2).sum(axis=1)
        a = cand[int(np.argmin(dist))]
        label[a] = d
        size[d] += 1
        remaining -= 1
        for f in frontier:
            f.discard(a)
        frontier[d].update(j for j in nb[a] if label[j] < 0)
    return label


def _angle_from_north(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Clockwise bearing in degrees (0 = north, 90 = east)."""
    return np.degrees(np.arctan2(dx, dy)) % 360.0


def _area_names(rng: np.random.Generator, n: int) -> list[str]:
    compounds = [p + s for p in _PREFIXES for s in _SUFFIXES]
    rng.shuffle(compounds)
    curated = list(_CURATED)
    rng.shuffle(curated)
    # a realistic mix: curated names interleaved with compounds, then directional variants, then numbered
    pool = ["Altstadt"]
    ci = iter(curated)
    for i, name in enumerate(compounds):
        if i % 3 == 0:
            pool.append(next(ci, name))
        pool.append(name)
    pool += [f"{c}-{d}" for d in _DIRECTIONS for c in compounds]
    seen: set[str] = set()
    names = []
    for name in pool:
        if name not in seen:
            seen.add(name)
            names.append(name)
        if len(names) == n:
            return names
    i = 2
    while len(names) < n:
        names.extend(f"{c} {i}" for c in compounds[: n - len(names)])
        i += 1
    return names


def build_city(rng: np.random.Generator, n_areas: int) -> CityGeometry:
    """Generate outline, Sozialräume, Stadtbezirke and statistische Bezirke with ids and German names."""
    outline = _outline(rng, n_areas)
    oc = np.array(outline.centroid.coords[0])
    radius = np.sqrt(outline.area / np.pi)
    samples = _points_in(outline, rng, max(40 * n_areas, 2000), centre=oc, sigma=0.45 * radius)
    seeds = _lloyd(samples, n_areas, rng)
    polys = partition(outline, seeds)
    cent = shapely.get_coordinates(shapely.centroid(np.asarray(polys, dtype=object)))
    pairs = rook_pairs(polys)

    k = max(1, int(round(n_areas / 7)))
    label = _grow_districts(cent, pairs, k, oc)
    # number districts: the one holding the centre first, then clockwise from north
    dcent = np.array([cent[label == d].mean(axis=0) for d in range(k)])
    centre_d = int(label[int(np.argmin(((cent - oc) ** 2).sum(axis=1)))])
    bearing = _angle_from_north(dcent[:, 0] - oc[0], dcent[:, 1] - oc[1])
    order = [centre_d] + sorted((d for d in range(k) if d != centre_d), key=lambda d: bearing[d])
    new_of_old = {old: new for new, old in enumerate(order)}
    label = np.array([new_of_old[x] for x in label])
    dcent = dcent[order]
    bearing = bearing[order]

    dwidth = max(2, len(str(k)))
    awidth = max(2, len(str(int(np.bincount(label).max()))))
    district_ids = [str(d + 1).zfill(dwidth) for d in range(k)]

    # order areas within a district: the one nearest the district centre first, then clockwise
    area_order: list[int] = []
    local_no: dict[int, int] = {}
    for d in range(k):
        members = np.flatnonzero(label == d)
        rel = cent[members] - dcent[d]
        first = members[int(np.argmin((rel**2).sum(axis=1)))]
        rest = [m for m in members if m != first]
        rest.sort(key=lambda m: _angle_from_north(cent[m, 0] - dcent[d, 0], cent[m, 1] - dcent[d, 1]))
        for i, m in enumerate([first, *rest]):
            local_no[int(m)] = i + 1
            area_order.append(int(m))
    polys = [polys[m] for m in area_order]
    cent = cent[area_order]
    label = label[area_order]
    area_ids = [district_ids[label[i]] + str(local_no[m]).zfill(awidth) for i, m in enumerate(area_order)]

    names = _area_names(rng, n_areas)
    by_centre = np.argsort(((cent - oc) ** 2).sum(axis=1), kind="stable")
    area_names = [""] * n_areas
    for rank, i in enumerate(by_centre):
        area_names[int(i)] = names[rank]

    district_names = []
    for d in range(k):
        if d == 0:
            name = "Innenstadt" if k > 1 else "Musterstadt"
        else:
            name = _COMPASS[int(((bearing[d] + 22.5) % 360) // 45)]
        if name in district_names:  # named after its first (central) Sozialraum instead
            name = area_names[int(np.flatnonzero(label == d)[0])]
        district_names.append(name)

    block_ids, block_names, block_area, block_polys = [], [], [], []
    for i, poly in enumerate(polys):
        nb = int(rng.integers(2, 5))
        pts = _points_in(poly, rng, 30 * nb)
        bseeds = _lloyd(pts, nb, rng, iterations=6)
        pieces = partition(poly, bseeds)
        bc = shapely.get_coordinates(shapely.centroid(np.asarray(pieces, dtype=object)))
        pc = cent[i]
        bearings = _angle_from_north(bc[:, 0] - pc[0], bc[:, 1] - pc[1])
        labels = [_QUADRANTS[int(((b + 45) % 360) // 90)] for b in bearings]
        unique = len(set(labels)) == len(labels)
        for j, piece in enumerate(pieces):
            block_ids.append(f"{area_ids[i]}{j + 1:02d}")
            block_names.append(f"{area_names[i]} {labels[j]}" if unique else f"{area_names[i]} {j + 1}")
            block_area.append(i)
            block_polys.append(piece)

    return CityGeometry(
        outline=outline,
        area_ids=area_ids,
        area_names=area_names,
        area_polys=polys,
        district_of_area=label.tolist(),
        district_ids=district_ids,
        district_names=district_names,
        block_ids=block_ids,
        block_names=block_names,
        block_area=block_area,
        block_polys=block_polys,
    )


def small_areas(city: CityGeometry) -> dict[int, str]:
    """Choose and rename the sparsely populated Sozialräume: {area index: kind of :data:`SMALL_AREAS`}.

    A demo city with n ≥ :data:`SMALL_AREAS_FROM` areas gets min(4, n // 10) of them (none below), so that
    every report on it exercises small counts (primary and secondary suppression) and the index's minimum
    population. The choice uses the geometry only (no random draws): the last area (highest number) of the
    Stadtbezirke 2, 3, … in turn, then of the Innenstadt – always an area at the edge of its district, never
    the first one. Area and block names are changed in place to the kind's name; ids stay as they are.
    """
    n = len(city.area_ids)
    count = min(len(SMALL_AREAS), n // 10) if n >= SMALL_AREAS_FROM else 0
    k = len(city.district_ids)
    last: dict[int, int] = {}
    for i, d in enumerate(city.district_of_area):
        last[d] = i  # areas are ordered by district, then by number
    order = [d for d in range(1, k) if d in last] + [0]
    chosen = {last[d]: SMALL_AREAS[j][0] for j, d in enumerate(order[:count])}
    names = dict(SMALL_AREAS)
    for i, kind in chosen.items():
        old = city.area_names[i]
        city.area_names[i] = names[kind]
        for b, area in enumerate(city.block_area):
            if area == i:
                city.block_names[b] = names[kind] + city.block_names[b].removeprefix(old)
    return chosen
