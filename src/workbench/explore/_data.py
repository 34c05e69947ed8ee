"""The explorer's data: published indicator values only, pre-sliced per (indicator, level, year).

Everything the widgets show comes from :class:`ExplorerData`. It keeps only the published columns of
``Chapter.indicators`` (``pub_value``, ``pub_lower95``, ``pub_upper95``, the comparison, trend and status); the
internal values, counts and intervals never enter the explorer, so they cannot end up in a widget's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench import settings
from workbench.chapters.tables import single_measure, unit_labels
from workbench.render import fmt

LEVELS = {"sozialraum": "Sozialraum", "stadtbezirk": "Stadtbezirk"}
"""Levels the explorer shows (key → German label)."""

TOPIC_LABELS = {
    "soziale_lage": "Soziale Lage",
    "arbeit": "Arbeit",
    "kinder_jugend": "Kinder, Jugend und Familie",
    "demografie": "Demografie",
    "wohnen": "Wohnen",
    "bevoelkerung": "Bevölkerung",
    "gesundheit": "Gesundheit",
    "bildung": "Bildung",
}
"""German labels of catalogue topics; an unknown topic gets its chapter title or its capitalised id."""

COUNT_PUBLISHED, COUNT_WITHHELD, COUNT_NONE = 0, 1, 2
"""State of a numerator/denominator cell: a published count, withheld, or no published count of one measure."""

COMPARISON_LABELS = {"ähnlich": "kein Unterschied"}
"""Legend label of a comparison category (the table keeps the label of the reports)."""

_PUBLISHED = ["unit_id", "pub_value", "pub_lower95", "pub_upper95", "cmp_city", "trend", "quintile", "status"]
"""The only columns read from ``Chapter.indicators`` (its own numerator/denominator columns are internal)."""
_COUNT_COLUMNS = ["numerator", "numerator_state", "denominator", "denominator_state"]


@dataclass(frozen=True)
class IndicatorInfo:
    """What the explorer needs of a catalogue indicator (label, unit, polarity, topic, notes)."""

    id: str
    label: str
    unit: str
    decimals: int
    polarity: str
    topic: str
    method: str
    source: str
    reference_date: str
    definition: str

    @property
    def neutral(self) -> bool:
        """True when the indicator has no "better/worse" direction (comparison is höher/niedriger)."""
        return self.polarity not in ("hoch = schlecht", "hoch = gut")


def topic_label(topic: str) -> str:
    """German label of a catalogue topic."""
    if topic in TOPIC_LABELS:
        return TOPIC_LABELS[topic]
    title = settings.chapter_titles().get(topic, {}).get("title")
    return title or topic.replace("_", " ").capitalize()


class ExplorerData:
    """Published indicator values of one report, sliced for fast view updates.

    Parameters
    ----------
    ch : workbench.chapters.context.Chapter
        The report's chapter context; only ``ch.indicators`` (published columns), ``ch.catalogue``,
        ``ch.ds.areas``, ``ch.ds.districts``, ``ch.ds.keys`` and the config are read.
    """

    def __init__(self, ch):
        self.cfg = ch.cfg
        self.city = ch.city
        self.report_year = int(ch.year)
        table = ch.indicators
        table = table[table["level"].isin([*LEVELS, "stadt"])]
        present = set(table["indicator"].unique())
        self.indicators: dict[str, IndicatorInfo] = {}
        for ind in ch.catalogue.indicators:
            if ind.id in present:
                self.indicators[ind.id] = IndicatorInfo(
                    ind.id,
                    ind.label,
                    ind.unit,
                    int(ind.decimals),
                    ind.polarity,
                    ind.topic,
                    ind.method,
                    ind.source,
                    ind.reference_date,
                    ind.definition,
                )
        self.years: list[int] = sorted(int(y) for y in table["year"].unique())
        self.labels = {lvl: unit_labels(ch.ds.keys, lvl) for lvl in LEVELS}
        self.parents = ch.ds.keys.drop_duplicates("area_id").set_index("area_id")["district_name"]
        shown = table["status"].eq("shown")
        pub = table[["indicator", "level", "year", *_PUBLISHED]].copy()
        # withheld rows: no number at all, not even a published one by mistake
        for col in ("pub_value", "pub_lower95", "pub_upper95"):
            pub[col] = pub[col].where(shown)
        pub["quintile"] = pub["quintile"].astype("float").where(shown)
        pub["trend"] = pub["trend"].where(shown, "nicht berechenbar")
        pub["cmp_city"] = pub["cmp_city"].where(shown, "nicht verglichen")
        pub["unit_id"] = pub["unit_id"].astype(str)
        for col, (values, state) in published_terms(pub, ch.catalogue, _protected_counts(ch)).items():
            # a count beside a withheld rate is withheld as well (the rate could follow from the two counts)
            pub[col] = np.where(shown, values, np.nan)
            pub[f"{col}_state"] = np.where(
                shown, state, np.where(pub["status"].eq("missing"), COUNT_NONE, COUNT_WITHHELD)
            )
        # rows of each (indicator, level, year), cut out on first use: slicing all at once costs seconds
        # with 1,000 areas and is needed only for the few views a planner opens
        keys = pub[["indicator", "level", "year"]].astype({"year": int})
        self._groups = {
            (str(i), str(lvl), int(y)): idx
            for (i, lvl, y), idx in keys.groupby(list(keys), sort=False).indices.items()
        }
        self._body = pub.drop(columns=["indicator", "level", "year"]).reset_index(drop=True)
        self._slices: dict[tuple[str, str, int], pd.DataFrame] = {}
        self._units = {lvl: sorted(self.labels[lvl].index.astype(str)) for lvl in LEVELS}
        self._label_dict = {lvl: {str(k): str(v) for k, v in self.labels[lvl].items()} for lvl in LEVELS}
        self._unit_frames = {
            lvl: pd.DataFrame({"unit_id": units, "label": [self._label_dict[lvl].get(u, u) for u in units]})
            for lvl, units in self._units.items()
        }
        self._geo: dict[str, dict] = {}
        self._areas = {
            "sozialraum": (ch.ds.areas, "area_id"),
            "stadtbezirk": (ch.ds.districts, "district_id"),
        }

    # ------------------------------------------------------------------ catalogue
    def grouped_options(self) -> list[tuple[str, str]]:
        """Dropdown options (label, id) in catalogue order, each prefixed with its German topic."""
        return [(f"{topic_label(i.topic)} – {i.label}", i.id) for i in self.indicators.values()]

    def units(self, level: str) -> list[str]:
        """Unit ids of a level (sorted)."""
        return self._units[level]

    def _slice(self, key: tuple[str, str, int]) -> pd.DataFrame | None:
        """Published rows of one (indicator, level, year), None when there are none (cached)."""
        rows = self._slices.get(key)
        if rows is None and key in self._groups:
            rows = self._slices[key] = self._body.take(self._groups[key]).reset_index(drop=True)
        return rows

    def label(self, level: str, unit_id: str) -> str:
        """Row label "0101 Altstadt" of a unit."""
        return self._label_dict[level].get(unit_id, unit_id)

    # ------------------------------------------------------------------ values
    def view(self, indicator: str, level: str, year: int) -> pd.DataFrame:
        """The published rows of one indicator, level and year: one row per unit of the level (units without a
        row get status "missing"), with German display strings.

        Columns: unit_id, label, value (NaN unless published), lower, upper, cmp_city, trend, quintile, status,
        value_text (German number, "." when withheld, "–" when missing), interval_text.
        """
        ind = self.indicators[indicator]
        rows = self._slice((indicator, level, int(year)))
        units = self._unit_frames[level]
        df = units.merge(rows, on="unit_id", how="left") if rows is not None else units.copy()
        for col in [*_PUBLISHED[1:], *_COUNT_COLUMNS]:
            if col not in df:
                df[col] = np.nan
        for col in ("numerator_state", "denominator_state"):
            df[col] = df[col].fillna(COUNT_NONE)
        df["status"] = df["status"].fillna("missing")
        df["cmp_city"] = df["cmp_city"].fillna("nicht verglichen")
        df["trend"] = df["trend"].fillna("nicht berechenbar")
        df = df.rename(columns={"pub_value": "value", "pub_lower95": "lower", "pub_upper95": "upper"})
        status = df["status"].tolist()
        shown = [st == "shown" for st in status]
        withheld = fmt.sign("geheim")
        missing = fmt.MISSING_SIGN
        d = ind.decimals
        texts = [
            fmt.number(v, d) if s else (missing if st == "missing" else withheld)
            for v, s, st in zip(df["value"].tolist(), shown, status, strict=True)
        ]
        df["value_text"] = texts
        for col in ("numerator", "denominator"):
            df[f"{col}_text"] = [
                fmt.number(v, 0)
                if s and c == COUNT_PUBLISHED and v == v
                else (withheld if c == COUNT_WITHHELD or (not s and st != "missing") else missing)
                for v, c, s, st in zip(
                    df[col].tolist(), df[f"{col}_state"].tolist(), shown, status, strict=True
                )
            ]
        df["interval_text"] = [
            (f"{fmt.number(lo, d)} – {fmt.number(up, d)}" if lo == lo and up == up else "") if s else t
            for lo, up, s, t in zip(df["lower"].tolist(), df["upper"].tolist(), shown, texts, strict=True)
        ]
        return df

    def city_value(self, indicator: str, year: int) -> float:
        """The city's published value (NaN when withheld or missing)."""
        rows = self._slice((indicator, "stadt", int(year)))
        if rows is None or rows.empty:
            return float("nan")
        return float(rows["pub_value"].iloc[0])

    def profile_values(self, level: str, unit_id: str, year: int, indicators: list[str]) -> pd.DataFrame:
        """Published values of one unit for several indicators (mini-profile): indicator, label, value_text,
        cmp_city, city_text."""
        out = []
        for i in indicators:
            v = self.view(i, level, year)
            row = v[v["unit_id"] == unit_id]
            if row.empty:
                continue
            ind = self.indicators[i]
            out.append(
                {
                    "indicator": i,
                    "label": ind.label,
                    "unit": ind.unit,
                    "value_text": row["value_text"].iloc[0],
                    "cmp_city": row["cmp_city"].iloc[0],
                    "city_text": fmt.number(self.city_value(i, year), ind.decimals),
                }
            )
        return pd.DataFrame(out)

    def matrix(self, level: str, year: int, indicators: list[str]) -> pd.DataFrame:
        """Published values (unit × indicator) of one level and year; withheld cells are NaN."""
        cols = {}
        for i in indicators:
            rows = self._slice((i, level, int(year)))
            if rows is not None:
                cols[i] = rows.set_index("unit_id")["pub_value"]
        return pd.DataFrame(cols).reindex(self._units[level])

    # ------------------------------------------------------------------ geometry
    def frame(self, level: str):
        """Geometries of a level's units (GeoDataFrame with ``unit_id`` and ``geometry``, the data's CRS)."""
        gdf, key = self._areas[level]
        return gdf[[key, "geometry"]].rename(columns={key: "unit_id"})

    def geojson(self, level: str) -> dict:
        """GeoJSON (WGS84, simplified to ~5 m, coordinates rounded to ~1 m) of a level's units, feature id =
        unit id; built once per level."""
        if level not in self._geo:
            gdf, key = self._areas[level]
            g = gdf[[key, "geometry"]].copy()
            if g.crs is not None and g.crs.is_projected:
                g["geometry"] = g.geometry.simplify(5.0, preserve_topology=True)
            g = g.to_crs(4326) if g.crs is not None else g
            features = []
            for uid, geom in zip(g[key].astype(str), g.geometry, strict=True):
                geo = _round(geom.__geo_interface__, 5)
                features.append({"type": "Feature", "id": uid, "properties": {"id": uid}, "geometry": geo})
            self._geo[level] = {"type": "FeatureCollection", "features": features}
        return self._geo[level]

    # ------------------------------------------------------------------ links
    def profile_page(self, level: str, unit_id: str) -> Path | None:
        """The unit's profile page (``<reports>/profiles/<id>.html``), None when it is not built (``make
        profiles``) or the level has no profile pages (only Sozialräume have one)."""
        if level != "sozialraum":
            return None
        page = self.cfg.paths.profiles / f"{unit_id}.html"
        return page if page.is_file() else None


def _protected_counts(ch) -> pd.DataFrame | None:
    """The report's protected count cube, or None when the data hold no counts (e.g. published shares only)."""
    try:
        counts = ch.protected_counts
    except (KeyError, ValueError, FileNotFoundError):  # no count measures in the data
        return None
    return counts if counts is not None and len(counts) else None


def published_terms(
    table: pd.DataFrame, catalogue, counts: pd.DataFrame | None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Published numerator and denominator of each row of an indicator table.

    A term is a published count when it is exactly one count measure of the protected count cube (as in the
    Excel appendix); its value is the cube's ``published_value`` where the cell is shown.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with indicator, level, unit_id (str) and year.
    catalogue : workbench.indicators.catalogue.Catalogue
        The report's catalogue (numerator and denominator terms).
    counts : pandas.DataFrame or None
        :attr:`Chapter.protected_counts` (measure, level, unit_id, year, published_value, status).

    Returns
    -------
    dict
        ``{"numerator": (values, states), "denominator": (values, states)}``: values NaN unless published;
        states :data:`COUNT_PUBLISHED`, :data:`COUNT_WITHHELD` or :data:`COUNT_NONE`.
    """
    meta = {i.id: i for i in catalogue.indicators}
    n = len(table)
    out = {}
    for col in ("numerator", "denominator"):
        values = np.full(n, np.nan)
        state = np.full(n, COUNT_NONE, dtype=np.int8)
        if counts is not None:
            measure = {i: single_measure(getattr(m, col)) for i, m in meta.items()}
            want = pd.DataFrame(
                {
                    "measure": table["indicator"].map(measure).to_numpy(),
                    "level": table["level"].to_numpy(),
                    "unit_id": table["unit_id"].astype(str).to_numpy(),
                    "year": table["year"].to_numpy(),
                }
            )
            cube = counts[["measure", "level", "unit_id", "year", "published_value", "status"]].copy()
            cube["unit_id"] = cube["unit_id"].astype(str)
            cube = cube.drop_duplicates(["measure", "level", "unit_id", "year"])
            hit = want.merge(cube, on=["measure", "level", "unit_id", "year"], how="left")
            found = hit["status"].notna().to_numpy()
            ok = found & hit["status"].eq("shown").to_numpy() & hit["published_value"].notna().to_numpy()
            values[ok] = hit["published_value"].to_numpy(dtype=float)[ok]
            state[found & ~ok] = COUNT_WITHHELD
            state[ok] = COUNT_PUBLISHED
        out[col] = (values, state)
    return out


def _round(geo: dict, digits: int) -> dict:
    """A GeoJSON geometry with coordinates rounded (lists instead of tuples)."""

    def rnd(c):
        if isinstance(c, (int, float)):
            return round(float(c), digits)
        return [rnd(x) for x in c]

    return {"type": geo["type"], "coordinates": rnd(geo["coordinates"])}
