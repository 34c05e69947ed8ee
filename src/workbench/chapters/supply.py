"""Chapter "Bestand und Versorgung": facilities, capacity per target population, distance and 2SFCA accessibility.

What the chapter computes (docs/METHODEN.md, Abschnitt „Bestand und Versorgung“):

* **Bestand:** facilities per Sozialraum by type (public register: counts of facilities, not of persons) and
  by carrier (counts below the confidentiality threshold withheld with secondary suppression, because a single
  facility of a carrier in an area can be identified).
* **Angebote** (``offers:`` of the chapter entry in ``config/chapters.yaml``, data not code): each offer maps a
  facility type and its supply column (``capacity``, ``places_u3``, ``places_ue3`` or ``facilities`` = one per
  facility) to a target population (inclusive ages), with a catchment (metres) and a Gaussian distance decay.
* **Versorgungsgrad:** supply in the area per ``per`` (1,000) persons of the target population.
* **Entfernung:** population-weighted mean straight-line distance from the statistical blocks to the nearest
  facility of the offer. Block populations are not in the data contract: the target population of an area is
  spread over its blocks in proportion to their land area (areal weighting); the demand point of a block is a
  point inside it (``representative_point``). Without block geometries the areas are the blocks.
* **Erreichbarkeit (2SFCA):** two-step floating catchment area (Luo & Wang 2003) with Gaussian decay
  f(d) = exp(−d² / (2σ²)) inside the catchment d ≤ d₀ (enhanced 2SFCA, Luo & Qi 2009), computed with PySAL's
  ``access`` package: step 1, each facility j gets R_j = S_j / Σ_k f(d_kj) P_k over the blocks k in its
  catchment; step 2, each block i gets A_i = Σ_j f(d_ij) R_j over the facilities j in its catchment. A_i is
  supply per person of the target group (× ``per`` in tables); the area score is the population-weighted mean
  of its blocks, the city value that of all blocks.
* **Versorgungslücken:** an offer is short in an area when its score is below ``gap_share`` (default 0.8) of
  the city value *and* the area's target population is above the mean of the areas (many people affected);
  with the population projection (status quo, ``kita.horizon`` years) the same with the projected target
  population and unchanged facilities.
* **Was wäre, wenn:** :func:`what_if` recomputes scores after opening or closing one facility.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from workbench.chapters.notes import NOTHING, Note
from workbench.chapters.population_cells import joint_status
from workbench.chapters.tables import unit_labels
from workbench.confidentiality import AdditiveTable, Rules, population_measure
from workbench.errors import ConfigError, DataValidationError
from workbench.render import fmt, maps
from workbench.render.figure_text import attach
from workbench.render.plots import add_note, german_axis, new_figure
from workbench.render.tables import html_table
from workbench.settings import chapter_titles
from workbench.vocabulary import CITY_ID

__all__ = [
    "INPUTS",
    "Offer",
    "SupplyInputs",
    "SupplyModel",
    "accessibility",
    "block_demand",
    "build",
    "load_offers",
    "nearest_distance",
    "supply_frame",
    "two_sfca",
    "what_if",
]

INPUTS = ("keys", "areas", "population", "facilities")
"""Processed tables the chapter needs (see :func:`workbench.chapters.missing_inputs`)."""

CHAPTER = "bestand"
CITY_LABEL = "Stadt insgesamt"
SUPPLY_COLUMNS = ("capacity", "places_u3", "places_ue3", "facilities")
DEFAULT_GAP_SHARE = 0.8


# --------------------------------------------------------------------------------------------- offers


@dataclass(frozen=True)
class Offer:
    """One offer: facilities of ``type`` with supply ``supply`` for the persons aged ``ages`` (inclusive,
    ``None`` = open end); 2SFCA catchment ``catchment_m`` and Gaussian decay ``sigma_m`` (None: no decay)."""

    key: str
    label: str
    type: str
    supply: str
    ages: tuple[int, int | None]
    target: str
    unit: str = "Plätze"
    per: int = 1000
    catchment_m: float = 1000.0
    sigma_m: float | None = None

    @property
    def per_label(self) -> str:
        return f"je {fmt.number(self.per)}"


def load_offers(spec: Mapping[str, Any] | None, source: object = "config/chapters.yaml") -> list[Offer]:
    """The offers of the chapter entry ``bestand: offers:`` (see ``config/chapters.yaml``).

    Raises a German ConfigError naming the file and key for a missing or wrong entry."""
    offers = (spec or {}).get("offers")
    if not isinstance(offers, Mapping) or not offers:
        raise ConfigError(
            "keine Angebote für das Kapitel Bestand und Versorgung",
            path=source,
            where=f"{CHAPTER}.offers",
            hint="je Angebot type, supply, ages, target und catchment_m angeben (Vorlage: config/chapters.yaml)",
        )
    out = []
    for key, o in offers.items():
        where = f"{CHAPTER}.offers.{key}"
        if not isinstance(o, Mapping):
            raise ConfigError("Angebot muss eine Zuordnung sein", path=source, where=where)
        missing = [k for k in ("type", "supply", "ages", "target", "catchment_m") if k not in o]
        if missing:
            raise ConfigError(f"es fehlt {', '.join(missing)}", path=source, where=where)
        if o["supply"] not in SUPPLY_COLUMNS:
            raise ConfigError(
                f"unbekannte Angebotsspalte {o['supply']!r}",
                path=source,
                where=f"{where}.supply",
                hint=f"erlaubt: {', '.join(SUPPLY_COLUMNS)}",
            )
        ages = o["ages"]
        if not (isinstance(ages, list | tuple) and len(ages) == 2 and isinstance(ages[0], int)):
            raise ConfigError(
                "ages muss [von, bis] sein (bis leer = offen)", path=source, where=f"{where}.ages"
            )
        try:
            catchment = float(o["catchment_m"])
            sigma = None if o.get("sigma_m") is None else float(o["sigma_m"])
            per = int(o.get("per", 1000))
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                "catchment_m, sigma_m und per müssen Zahlen sein", path=source, where=where
            ) from exc
        if catchment <= 0 or (sigma is not None and sigma <= 0) or per <= 0:
            raise ConfigError("catchment_m, sigma_m und per müssen positiv sein", path=source, where=where)
        out.append(
            Offer(
                key=str(key),
                label=str(o.get("label", key)),
                type=str(o["type"]),
                supply=str(o["supply"]),
                ages=(int(ages[0]), None if ages[1] is None else int(ages[1])),
                target=str(o["target"]),
                unit=str(o.get("unit", "Einrichtungen" if o["supply"] == "facilities" else "Plätze")),
                per=per,
                catchment_m=catchment,
                sigma_m=sigma,
            )
        )
    return out


# --------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class SupplyInputs:
    """Demand points (blocks) and facilities of one city, ready for distances and 2SFCA.

    ``blocks``: block_id, area_id, x, y, land_share (block area / area of its Sozialraum); ``facilities``: the
    facility register (GeoDataFrame); ``target``: target population per (offer key, area_id) now;
    ``target_future``: the same in ``future_year`` (None without projection)."""

    blocks: pd.DataFrame
    facilities: gpd.GeoDataFrame
    target: pd.DataFrame
    target_future: pd.DataFrame | None = None
    future_year: int | None = None
    block_source: str = "stat_bezirk"


def _blocks(ds) -> tuple[pd.DataFrame, str]:
    """Block demand points with the share of their Sozialraum's land area; the areas themselves without blocks."""
    path = ds.processed / ds.FILES["areas"]
    layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    source = "stat_bezirk" if "stat_bezirk" in layers else "sozialraum"
    gdf = gpd.read_file(path, layer=source) if source == "stat_bezirk" else ds.areas.copy()
    if source == "sozialraum":
        gdf["block_id"] = gdf["area_id"].astype(str)
    gdf["area_id"] = gdf["area_id"].astype(str)
    area = gdf.geometry.area
    total = area.groupby(gdf["area_id"]).transform("sum")
    pts = gdf.geometry.representative_point()
    out = pd.DataFrame(
        {
            "block_id": gdf["block_id"].astype(str).to_numpy(),
            "area_id": gdf["area_id"].to_numpy(),
            "x": pts.x.to_numpy(),
            "y": pts.y.to_numpy(),
            "land_share": (area / total.where(total > 0)).fillna(0.0).to_numpy(),
        }
    )
    return out.sort_values("block_id").reset_index(drop=True), source


def target_population(pop: pd.DataFrame, offers: Sequence[Offer], area_ids: Sequence[str]) -> pd.DataFrame:
    """Target population per offer and area from a single-age population (area_id, age, count) of one year.

    Returns a frame indexed by area_id with one column per offer key."""
    out = pd.DataFrame(index=pd.Index([str(a) for a in area_ids], name="area_id"))
    for o in offers:
        lo, hi = o.ages
        sel = pop[(pop["age"] >= lo) & ((pop["age"] <= hi) if hi is not None else True)]
        out[o.key] = sel.groupby(sel["area_id"].astype(str))["count"].sum().reindex(out.index).fillna(0.0)
    return out


def block_demand(blocks: pd.DataFrame, area_population: pd.Series) -> pd.Series:
    """Population per block: the area's population × the block's share of the area's land (areal weighting).

    Examples
    --------
    >>> b = pd.DataFrame({"block_id": ["a1", "a2"], "area_id": ["A", "A"], "land_share": [0.25, 0.75]})
    >>> block_demand(b, pd.Series({"A": 100.0})).tolist()
    [25.0, 75.0]
    """
    pop = blocks["area_id"].astype(str).map(area_population).fillna(0.0).to_numpy(dtype=float)
    return pd.Series(pop * blocks["land_share"].to_numpy(dtype=float), index=blocks["block_id"].to_numpy())


def _offer_facilities(facilities: pd.DataFrame, offer: Offer) -> pd.DataFrame:
    """facility_id, x, y, supply of the facilities of an offer with positive supply."""
    f = facilities[facilities["type"].astype(str) == offer.type]
    supply = (
        pd.Series(1.0, index=f.index)
        if offer.supply == "facilities"
        else pd.to_numeric(f[offer.supply], errors="coerce").fillna(0.0)
    )
    out = pd.DataFrame(
        {
            "facility_id": f["facility_id"].astype(str).to_numpy(),
            "area_id": f["area_id"].astype(str).to_numpy(),
            "x": f.geometry.x.to_numpy(),
            "y": f.geometry.y.to_numpy(),
            "supply": supply.to_numpy(dtype=float),
        }
    )
    return out[out["supply"] > 0].reset_index(drop=True)


def _distances(blocks: pd.DataFrame, fac: pd.DataFrame) -> np.ndarray:
    """Straight-line distances (metres) blocks × facilities."""
    dx = blocks["x"].to_numpy()[:, None] - fac["x"].to_numpy()[None, :]
    dy = blocks["y"].to_numpy()[:, None] - fac["y"].to_numpy()[None, :]
    return np.hypot(dx, dy)


# --------------------------------------------------------------------------------------------- 2SFCA


def two_sfca(
    demand: pd.Series,
    supply: pd.Series,
    cost: pd.DataFrame,
    catchment: float,
    sigma: float | None = None,
) -> pd.Series:
    """Two-step floating catchment area accessibility per demand point, computed with PySAL ``access``.

    Parameters
    ----------
    demand : pandas.Series
        Persons of the target group per demand point (index = demand id).
    supply : pandas.Series
        Supply per facility (places or 1 per facility; index = facility id).
    cost : pandas.DataFrame
        Columns ``origin`` (demand id), ``dest`` (facility id), ``cost`` (metres).
    catchment : float
        Catchment d₀ (same unit as ``cost``): pairs with cost > d₀ do not count.
    sigma : float, optional
        Width σ of the Gaussian decay f(d) = exp(−d² / (2σ²)) (``access.weights.gaussian``); None = no decay
        (classic 2SFCA, f = 1 inside the catchment).

    Returns
    -------
    pandas.Series
        A_i = Σ_j f(d_ij) R_j with R_j = S_j / Σ_k f(d_kj) P_k (supply per person), for every demand id (0 where
        no facility is within the catchment).

    References
    ----------
    Luo, W. & Wang, F. (2003), Environ. Plann. B 30:865–884; Luo, W. & Qi, Y. (2009), Health Place
    15:1100–1107; PySAL ``access`` (Saxon et al. 2022, J. Open Source Softw. 7:3653).
    """
    from access import Access, weights

    ids = demand.index.astype(str)
    dem = pd.DataFrame({"demand": demand.to_numpy(dtype=float)}, index=pd.Index(ids, name="origin"))
    dem = dem[dem["demand"] > 0]  # points without persons neither use nor get supply
    sup = pd.DataFrame(
        {"supply": supply.to_numpy(dtype=float)}, index=pd.Index(supply.index.astype(str), name="dest")
    )
    c = cost.assign(origin=cost["origin"].astype(str), dest=cost["dest"].astype(str))
    c = c[c["origin"].isin(dem.index) & c["dest"].isin(sup.index)]
    if dem.empty or sup.empty or c.empty:
        return pd.Series(0.0, index=ids)
    acc = Access(
        demand_df=dem,
        demand_index=True,
        demand_value="demand",
        supply_df=sup,
        supply_index=True,
        supply_value="supply",
        cost_df=c,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    fn = weights.gaussian(sigma) if sigma else None
    res = acc.two_stage_fca(name="a", max_cost=catchment, weight_fn=fn)
    col = [k for k in res.columns if str(k).startswith("a_")][0]
    return res[col].reindex(ids).fillna(0.0).astype(float)


def accessibility(
    blocks: pd.DataFrame, facilities: pd.DataFrame, offer: Offer, area_population: pd.Series
) -> pd.DataFrame:
    """Per area: 2SFCA score (supply per ``offer.per`` persons) and population-weighted nearest distance.

    Returns a frame indexed by area_id plus the city row ``stadt`` with ``score``, ``distance`` (m) and
    ``persons`` (target population, modelled per block)."""
    fac = _offer_facilities(facilities, offer)
    demand = block_demand(blocks, area_population)
    if fac.empty:
        score = pd.Series(0.0, index=demand.index)
        dist = pd.Series(np.nan, index=demand.index)
    else:
        d = _distances(blocks, fac)
        cost = pd.DataFrame(
            {
                "origin": np.repeat(blocks["block_id"].astype(str).to_numpy(), len(fac)),
                "dest": np.tile(fac["facility_id"].to_numpy(), len(blocks)),
                "cost": d.ravel(),
            }
        )
        supply = pd.Series(fac["supply"].to_numpy(), index=fac["facility_id"].to_numpy())
        score = two_sfca(demand, supply, cost, offer.catchment_m, offer.sigma_m)
        dist = pd.Series(d.min(axis=1), index=demand.index)
    frame = pd.DataFrame(
        {
            "area_id": blocks["area_id"].astype(str).to_numpy(),
            "w": demand.to_numpy(),
            "score": score.reindex(demand.index).to_numpy() * offer.per,
            "distance": dist.to_numpy(),
        }
    )
    frame["ws"], frame["wd"] = frame["w"] * frame["score"], frame["w"] * frame["distance"]
    g = frame.groupby("area_id")[["w", "ws", "wd"]].sum()
    city = g.sum().to_frame(CITY_ID).T
    g = pd.concat([g, city])
    out = pd.DataFrame(
        {
            "score": g["ws"] / g["w"].where(g["w"] > 0),
            "distance": g["wd"] / g["w"].where(g["w"] > 0),
            "persons": g["w"],
        }
    )
    out.index.name = "area_id"
    return out


def nearest_distance(blocks: pd.DataFrame, facilities: pd.DataFrame, offer: Offer) -> pd.Series:
    """Straight-line distance (m) from each block's demand point to the nearest facility of ``offer``."""
    fac = _offer_facilities(facilities, offer)
    if fac.empty:
        return pd.Series(np.nan, index=blocks["block_id"].to_numpy())
    return pd.Series(_distances(blocks, fac).min(axis=1), index=blocks["block_id"].to_numpy())


def supply_frame(inputs: SupplyInputs, offers: Sequence[Offer], gap_share: float) -> pd.DataFrame:
    """Long frame offer × area (+ city): supply, persons, rate per ``per``, score, distance, score_future and
    the gap flags ``gap`` / ``gap_future`` (internal, unprotected)."""
    rows = []
    area_ids = list(inputs.target.index)
    for o in offers:
        fac = _offer_facilities(inputs.facilities, o)
        sup = fac.groupby("area_id")["supply"].sum().reindex(area_ids).fillna(0.0)
        n_fac = fac.groupby("area_id").size().reindex(area_ids).fillna(0).astype(int)
        persons = inputs.target[o.key]
        acc = accessibility(inputs.blocks, inputs.facilities, o, persons)
        df = pd.DataFrame(index=pd.Index([*area_ids, CITY_ID], name="area_id"))
        df["offer"] = o.key
        df["facilities"] = pd.concat([n_fac, pd.Series({CITY_ID: int(n_fac.sum())})]).to_numpy()
        df["supply"] = pd.concat([sup, pd.Series({CITY_ID: sup.sum()})]).to_numpy()
        df["persons"] = pd.concat([persons, pd.Series({CITY_ID: persons.sum()})]).to_numpy()
        df["rate"] = o.per * df["supply"] / df["persons"].where(df["persons"] > 0)
        df["score"] = acc["score"].reindex(df.index).to_numpy()
        df["distance"] = acc["distance"].reindex(df.index).to_numpy()
        city_score = float(df.loc[CITY_ID, "score"])
        mean_persons = float(persons.mean())
        df["high_need"] = df["persons"] > mean_persons
        df["gap"] = (df["score"] < gap_share * city_score) & df["high_need"]
        if inputs.target_future is not None:
            fut = inputs.target_future[o.key]
            acc_f = accessibility(inputs.blocks, inputs.facilities, o, fut)
            df["persons_future"] = pd.concat([fut, pd.Series({CITY_ID: fut.sum()})]).to_numpy()
            df["score_future"] = acc_f["score"].reindex(df.index).to_numpy()
            city_f = float(df.loc[CITY_ID, "score_future"])
            df["gap_future"] = (df["score_future"] < gap_share * city_f) & (
                df["persons_future"] > float(fut.mean())
            )
        df.loc[CITY_ID, ["high_need", "gap"]] = False
        if "gap_future" in df:
            df.loc[CITY_ID, "gap_future"] = False
        rows.append(df.reset_index())
    return pd.concat(rows, ignore_index=True)


def what_if(
    inputs: SupplyInputs,
    offer: Offer,
    *,
    open_at: tuple[float, float] | None = None,
    supply: float | None = None,
    close: str | None = None,
) -> pd.DataFrame:
    """2SFCA scores per area before and after opening one facility (at ``open_at`` = (x, y) in the CRS of the
    register, with ``supply`` places) or closing one (``close`` = facility_id).

    Returns a frame indexed by area_id (+ ``stadt``) with ``before``, ``after`` and ``change`` (supply per
    ``offer.per`` persons) and ``distance_before`` / ``distance_after`` (m)."""
    if (open_at is None) == (close is None):
        raise ConfigError("genau eines von open_at (mit supply) oder close angeben", where="what_if")
    fac = inputs.facilities
    if close is not None:
        hit = fac["facility_id"].astype(str) == str(close)
        if not hit.any():
            raise DataValidationError(
                f"Einrichtung {close!r} gibt es nicht", where="Tabelle facilities, Spalte facility_id"
            )
        changed = fac[~hit]
    else:
        if supply is None or supply <= 0:
            raise ConfigError("supply (Plätze der neuen Einrichtung) muss positiv sein", where="what_if")
        x, y = open_at
        new = {c: None for c in fac.columns if c != "geometry"}
        new.update(facility_id="NEU", type=offer.type, area_id="", name="neue Einrichtung")
        for col in ("capacity", "places_u3", "places_ue3"):
            if col in fac.columns:
                new[col] = supply if col == offer.supply else 0.0
        extra = gpd.GeoDataFrame([new], geometry=gpd.points_from_xy([x], [y]), crs=fac.crs)
        changed = pd.concat([fac, extra], ignore_index=True)
    persons = inputs.target[offer.key]
    before = accessibility(inputs.blocks, fac, offer, persons)
    after = accessibility(inputs.blocks, changed, offer, persons)
    return pd.DataFrame(
        {
            "before": before["score"],
            "after": after["score"],
            "change": after["score"] - before["score"],
            "distance_before": before["distance"],
            "distance_after": after["distance"],
        }
    )


# --------------------------------------------------------------------------------------------- protection


def carrier_table(facilities: pd.DataFrame, keys: pd.DataFrame, rules: Rules) -> str:
    """Facilities per Sozialraum by carrier, counts below the threshold withheld (primary and secondary)."""
    labels = unit_labels(keys)
    area_ids = list(labels.index)
    carriers = sorted(facilities["carrier"].dropna().astype(str).unique()) if "carrier" in facilities else []
    if not carriers:
        return NOTHING
    tab = pd.crosstab(facilities["area_id"].astype(str), facilities["carrier"].astype(str))
    tab = tab.reindex(index=area_ids, columns=carriers, fill_value=0).astype(float)
    tab["zusammen"] = tab[carriers].sum(axis=1)
    tab.index = [labels[a] for a in area_ids]
    tab.loc[CITY_LABEL] = tab.sum(axis=0)
    tab.columns = [f"Träger {c}" if c != "zusammen" else "zusammen" for c in tab.columns]
    cols = list(tab.columns)
    rows = list(tab.index)
    relations = [((r, "zusammen"), [(r, c) for c in cols[:-1]]) for r in rows]
    relations += [((CITY_LABEL, c), [(r, c) for r in rows[:-1]]) for c in cols]
    prot = AdditiveTable(tab, relations).protect(rules)
    totals = {
        "rows": [{"total": CITY_LABEL, "parts": rows[:-1]}],
        "columns": [{"total": "zusammen", "parts": cols[:-1]}],
    }
    tab.index.name = "Sozialraum"
    return html_table(
        tab,
        {c: "count" for c in cols},
        table_id="bestand-traeger",
        caption="Einrichtungen je Sozialraum nach Träger",
        totals=totals,
        suppressed=prot.suppressed,
        footnotes=[
            "Anzahl der Einrichtungen aller Typen laut Einrichtungsregister. Weniger als "
            f"{rules.threshold} Einrichtungen eines Trägers in einem Sozialraum werden nicht ausgewiesen (eine "
            "einzelne Einrichtung wäre erkennbar), ebenso Zellen, aus denen sie sich errechnen ließen.",
            "Quelle: Einrichtungsregister der Stadt.",
        ],
    )


def type_table(facilities: pd.DataFrame, keys: pd.DataFrame) -> str:
    """Facilities per Sozialraum by type (public register; counts of facilities as text, as in the profile)."""
    labels = unit_labels(keys)
    area_ids = list(labels.index)
    types = sorted(facilities["type"].astype(str).unique())
    tab = pd.crosstab(facilities["area_id"].astype(str), facilities["type"].astype(str))
    tab = tab.reindex(index=area_ids, columns=types, fill_value=0)
    tab.loc[CITY_ID] = tab.sum(axis=0)
    df = tab.map(fmt.number)
    df.index = pd.Index([labels[a] for a in area_ids] + [CITY_LABEL], name="Sozialraum")
    return html_table(
        df,
        {c: "text" for c in df.columns},
        table_id="bestand-typen",
        caption="Einrichtungen je Sozialraum nach Typ",
        footnotes=[
            "Anzahl Einrichtungen laut öffentlichem Einrichtungsregister (Standorte sind öffentlich; keine "
            "Fallzahlen von Personen, daher ohne Geheimhaltung). Die Aufteilung nach Trägern steht mit "
            "Geheimhaltung in der folgenden Tabelle.",
            "Quelle: Einrichtungsregister der Stadt.",
        ],
    )


def _withheld_rate(ch: Any, offer: Offer, area_ids: list[str], year: int) -> np.ndarray:
    """True where the rate per target population must not be shown: its target population is withheld in the
    report's joint population protection (a breakdown the report does not publish counts as withheld only
    when it is below ``min_base``)."""
    lo, hi = offer.ages
    measure = population_measure(lo, hi)
    prot = ch.protected_population
    known = set(prot.loc[prot["year"] == year, "measure"].astype(str))
    levels = ["sozialraum"] * len(area_ids) + ["stadt"]
    units = [*area_ids, CITY_ID]
    if measure not in known:
        return np.zeros(len(units), dtype=bool)
    return joint_status(prot, year, levels, units, [measure] * len(units)) != "shown"


def _withheld_supply(ch: Any, offer: Offer, area_ids: list[str], year: int) -> np.ndarray:
    """True where the supply itself is a count the report withholds: Kita places (``places_u3`` /
    ``places_ue3``) are the count measures ``kita_places_u3`` / ``kita_places_ue3`` of the report-wide protected
    count cube, withheld there where small (or complementary); the same cells are withheld here, with the rate
    on them (places 1 in one table and "." in another would give the count away)."""
    measure = {"places_u3": "kita_places_u3", "places_ue3": "kita_places_ue3"}.get(offer.supply)
    if measure is None or not ch.ds.has("counts"):
        return np.zeros(len(area_ids) + 1, dtype=bool)
    pc = ch.protected_counts
    sel = pc[(pc["measure"] == measure) & (pc["year"] == year)]
    st = sel.set_index([sel["level"].astype(str), sel["unit_id"].astype(str)])["status"]
    idx = pd.MultiIndex.from_arrays([["sozialraum"] * len(area_ids) + ["stadt"], [*area_ids, CITY_ID]])
    return st.reindex(idx).isin(["primary", "secondary", "input"]).to_numpy()


# --------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class SupplyModel:
    """Protected views of the chapter: per-offer tables, maps, charts, gaps and the what-if example."""

    year: int
    offers: tuple[Offer, ...]
    frame: pd.DataFrame
    inputs: SupplyInputs
    keys: pd.DataFrame
    areas: Any
    districts: Any
    rules: Rules
    withheld: Mapping[str, np.ndarray]
    supply_withheld: Mapping[str, np.ndarray]
    gap_share: float = DEFAULT_GAP_SHARE
    projection_note: str = ""
    example: Mapping[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------ helpers
    def offer(self, key: str) -> Offer:
        for o in self.offers:
            if o.key == key:
                return o
        raise KeyError(f"unbekanntes Angebot {key!r}; bekannt: {', '.join(o.key for o in self.offers)}")

    def _f(self, key: str) -> pd.DataFrame:
        return self.frame[self.frame["offer"] == key].set_index("area_id")

    @property
    def labels(self) -> pd.Series:
        return unit_labels(self.keys)

    # ------------------------------------------------------------ text
    def summary(self) -> str:
        """German paragraph: facilities, the offers' city values and the number of gaps."""
        fac = self.inputs.facilities
        parts = [
            f"Das Einrichtungsregister verzeichnet {fmt.number(len(fac))} Einrichtungen in "
            f"{fmt.number(fac['type'].nunique())} Typen. Die Versorgung wird für "
            f"{fmt.count_word(len(self.offers), 'Angebot', 'Angebote')} bewertet."
        ]
        for o in self.offers:
            f = self._f(o.key)
            c = f.loc[CITY_ID]
            n_gap = int(f.drop(index=CITY_ID)["gap"].sum())
            text = (
                f"**{o.label}:** {fmt.number(c['supply'])} {o.unit} für {o.target}; stadtweit "
                f"{fmt.number(c['score'], 1)} erreichbare {o.unit} {o.per_label} (2SFCA, Einzugsbereich "
                f"{fmt.number(o.catchment_m)} m), mittlere Entfernung zur nächsten Einrichtung "
                f"{fmt.number(c['distance'])} m. "
            )
            text += (
                f"{fmt.count_word(n_gap, 'Sozialraum hat', 'Sozialräume haben')} eine Versorgungslücke."
                if n_gap
                else "Kein Sozialraum hat eine Versorgungslücke."
            )
            if "gap_future" in f:
                n_fut = int(f.drop(index=CITY_ID)["gap_future"].sum())
                text += f" Mit der Bevölkerung von {self.inputs.future_year} (Prognose): {fmt.number(n_fut)}."
            parts.append(text)
        if self.projection_note:
            parts.append(self.projection_note)
        return "\n\n".join(parts)

    # ------------------------------------------------------------ tables
    def type_table(self) -> str:
        return type_table(self.inputs.facilities, self.keys)

    def carrier_table(self) -> str:
        return carrier_table(self.inputs.facilities, self.keys, self.rules)

    def offer_table(self, key: str) -> str:
        """German table of one offer per Sozialraum: facilities, supply, rate, distance, 2SFCA, gap."""
        o = self.offer(key)
        f = self._f(key)
        area_ids = [a for a in f.index if a != CITY_ID]
        order = [*area_ids, CITY_ID]
        f = f.loc[order]
        rows = [self.labels[a] for a in area_ids] + [CITY_LABEL]
        c_fac, c_sup = "Einrichtungen", f"{o.unit}"
        c_rate, c_dist = f"{o.unit} {o.per_label} {o.target}", "Entfernung zur nächsten (m)"
        c_score, c_gap = f"Erreichbarkeit (2SFCA, {o.per_label})", "Versorgungslücke"
        df = pd.DataFrame(index=pd.Index(rows, name="Sozialraum"))
        df[c_fac] = [fmt.number(v) for v in f["facilities"]]
        df[c_sup] = [fmt.number(v) for v in f["supply"]]
        df[c_rate] = f["rate"].to_numpy()
        df[c_dist] = [fmt.number(v) if np.isfinite(v) else fmt.sign("unbekannt") for v in f["distance"]]
        df[c_score] = f["score"].to_numpy()
        gap = ["ja" if g else "nein" for g in f["gap"]]
        gap[-1] = ""
        df[c_gap] = gap
        sup = pd.DataFrame(False, index=df.index, columns=df.columns)
        hidden_supply = self.supply_withheld[key]
        df[c_sup] = [fmt.sign("geheim") if h else t for t, h in zip(df[c_sup], hidden_supply, strict=True)]
        sup[c_sup] = hidden_supply
        sup[c_rate] = self.withheld[key] | hidden_supply
        base = self.rules.min_base or 0.0
        unsure = (~sup[c_rate]) & (f["persons"].to_numpy() < base)
        df[c_rate] = df[c_rate].where(~unsure.to_numpy())
        signs = pd.DataFrame(None, index=df.index, columns=df.columns, dtype=object)
        signs.loc[unsure.to_numpy(), c_rate] = "unsicher"
        fut = ""
        if "score_future" in f:
            c_fut = f"Erreichbarkeit {self.inputs.future_year} (Prognose)"
            df[c_fut] = f["score_future"].to_numpy()
            g2 = ["ja" if g else "nein" for g in f["gap_future"]]
            g2[-1] = ""
            df[f"Lücke {self.inputs.future_year}"] = g2
            sup = sup.reindex(columns=df.columns, fill_value=False)
            signs = signs.reindex(columns=df.columns)
            fut = (
                f" Prognose {self.inputs.future_year}: kleinräumige Bevölkerungsprognose (Status quo), "
                "Einrichtungen unverändert."
            )
        kinds = {c: "text" for c in df.columns}
        rate_fmt = {"decimals": 1, "unit": ""}
        kinds[c_rate] = "rate"
        kinds[c_score] = "rate"
        nf = {c_rate: rate_fmt, c_score: rate_fmt}
        if "score_future" in f:
            kinds[df.columns[-2]] = "rate"
            nf[df.columns[-2]] = rate_fmt
        return html_table(
            df,
            kinds,
            table_id=f"bestand-{key}-{self.year}",
            caption=f"{o.label}: Bestand und Versorgung je Sozialraum {self.year}",
            suppressed=sup,
            signs=signs,
            number_formats=nf,
            footnotes=[
                f"{o.unit} {o.per_label} {o.target} im Sozialraum (Zielgruppe: Alter "
                f"{_ages_text(o.ages)}, Einwohnermelderegister 31.12.{self.year}). Entfernung: mit der "
                "Einwohnerzahl gewichtete Luftlinie von den statistischen Bezirken zur nächsten Einrichtung.",
                f"Erreichbarkeit: Zwei-Stufen-Verfahren mit gleitendem Einzugsbereich (2SFCA) mit "
                f"Einzugsbereich {fmt.number(o.catchment_m)} m"
                + (
                    f" und gaußscher Distanzgewichtung (σ = {fmt.number(o.sigma_m)} m)"
                    if o.sigma_m
                    else " ohne Distanzgewichtung"
                )
                + f": erreichbare {o.unit} {o.per_label} Personen der Zielgruppe, auch über die Grenzen der "
                "Sozialräume hinweg (Luo & Wang 2003; Paket access von PySAL).",
                f"Versorgungslücke: Erreichbarkeit unter {fmt.percent(100 * self.gap_share, 0)} des Stadtwerts "
                "und überdurchschnittlich viele Personen der Zielgruppe." + fut,
                "Quellen: Einrichtungsregister, Einwohnermelderegister, Gebietsgeometrien.",
            ],
        )

    def gap_table(self) -> str | Note:
        """The list of Versorgungslücken: offer, area, score in % of the city value, now and projected."""
        rows = []
        for o in self.offers:
            f = self._f(o.key)
            city = float(f.loc[CITY_ID, "score"])
            has_f = "gap_future" in f
            for a, r in f.drop(index=CITY_ID).iterrows():
                if r["gap"] or (has_f and r["gap_future"]):
                    rows.append(
                        {
                            "Angebot": o.label,
                            "Sozialraum": self.labels[a],
                            "Erreichbarkeit in % des Stadtwerts": 100 * r["score"] / city if city else np.nan,
                            f"Lücke {self.year}": "ja" if r["gap"] else "nein",
                            **(
                                {
                                    f"Lücke {self.inputs.future_year} (Prognose)": "ja"
                                    if r["gap_future"]
                                    else "nein"
                                }
                                if has_f
                                else {}
                            ),
                        }
                    )
        if not rows:
            return Note("Kein Sozialraum hat nach der Regel dieses Kapitels eine Versorgungslücke.")
        df = pd.DataFrame(rows)
        df.index = pd.Index([f"{i + 1}" for i in range(len(df))], name="Nr.")
        kinds = {c: "text" for c in df.columns}
        kinds["Erreichbarkeit in % des Stadtwerts"] = "share"
        return html_table(
            df,
            kinds,
            table_id=f"bestand-luecken-{self.year}",
            caption=f"Versorgungslücken {self.year}"
            + (f" und {self.inputs.future_year}" if self.inputs.future_year else ""),
            number_formats={"Erreichbarkeit in % des Stadtwerts": {"decimals": 0, "unit": "%"}},
            footnotes=[
                f"Versorgungslücke: Erreichbarkeit (2SFCA) unter {fmt.percent(100 * self.gap_share, 0)} des "
                "Stadtwerts und mehr Personen der Zielgruppe als im Durchschnitt der Sozialräume.",
                self.projection_note
                or f"Prognose {self.inputs.future_year}: Status quo, Einrichtungen unverändert.",
            ],
        )

    # ------------------------------------------------------------ figures
    def score_map(self, key: str):
        """Choropleth of the 2SFCA score of one offer per Sozialraum."""
        o = self.offer(key)
        f = self._f(key)
        gdf = self.areas.copy()
        gdf["score"] = gdf["area_id"].astype(str).map(f["score"]).to_numpy()
        city = float(f.loc[CITY_ID, "score"])
        return maps.choropleth(
            gdf,
            "score",
            scheme="quantiles",
            k=5,
            palette="sequential_blue",
            legend_title=f"{o.unit} {o.per_label}",
            value_format="number",
            decimals=1,
            districts=self.districts,
            labels="area_id",
            title=f"Erreichbarkeit {o.label} je Sozialraum {self.year} (2SFCA)",
            note=(
                f"Erreichbare {o.unit} {o.per_label} {o.target}, Einzugsbereich {fmt.number(o.catchment_m)} m"
                + (f", gaußsche Distanzgewichtung σ = {fmt.number(o.sigma_m)} m" if o.sigma_m else "")
                + f"; Stadt: {fmt.number(city, 1)}. Quelle: Einrichtungsregister, Einwohnermelderegister."
            ),
        )

    def distance_chart(self):
        """Bars: population-weighted mean distance to the nearest facility per offer (city)."""
        fig, ax = new_figure(None, (7.0, 0.5 + 0.45 * len(self.offers)))
        labels = [o.label for o in self.offers]
        values = [float(self._f(o.key).loc[CITY_ID, "distance"]) for o in self.offers]
        y = np.arange(len(labels))[::-1]
        ax.barh(y, values, color="#6a8caf")
        ax.set_yticks(y, labels, fontsize=8)
        german_axis(ax, "x", decimals=0, unit="m")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for yi, v in zip(y, values, strict=True):
            ax.text(v, yi, f" {fmt.number(v)} m", va="center", fontsize=8)
        title = f"Mittlere Entfernung zur nächsten Einrichtung {self.year}"
        add_note(
            fig,
            "Luftlinie von den statistischen Bezirken, gewichtet mit der Zielgruppe (Einwohnerzahl auf die "
            "Bezirke nach Fläche verteilt). Quelle: Einrichtungsregister, Einwohnermelderegister.",
            title,
            ax,
        )
        data = pd.DataFrame(
            {"Entfernung (m)": [fmt.number(v) for v in values]}, index=pd.Index(labels, name="Angebot")
        )
        return attach(
            fig,
            f"Balkendiagramm: {title}. "
            + "; ".join(f"{lab}: {fmt.number(v)} m" for lab, v in zip(labels, values, strict=True))
            + ".",
            data,
            {"Entfernung (m)": "text"},
            f"Daten zur Abbildung: {title}",
        )

    def facility_map(self):
        return maps.facility_map(
            self.areas,
            self.inputs.facilities,
            districts=self.districts,
            title="Einrichtungen nach Typ",
            note="Quelle: Einrichtungsregister der Stadt (Standorte).",
        )

    # ------------------------------------------------------------ what-if
    def what_if_table(self) -> str | Note:
        """The chapter's example: opening one facility where the first offer with a gap is shortest."""
        ex = self.example
        if not ex:
            return Note(
                "Für das Beispiel „Was wäre, wenn“ gibt es keine Versorgungslücke und keine Einrichtung."
            )
        o = self.offer(ex["offer"])
        res: pd.DataFrame = ex["result"]
        changed = res[(res["change"].abs() >= 0.05)].drop(index=CITY_ID, errors="ignore")
        changed = changed.sort_values("change", ascending=False)
        order = [*changed.index, CITY_ID]
        df = pd.DataFrame(
            {
                "vorher": res.loc[order, "before"].to_numpy(),
                "nachher": res.loc[order, "after"].to_numpy(),
                "Veränderung": [fmt.signed(v, 1) for v in res.loc[order, "change"]],
            },
            index=pd.Index([self.labels[a] for a in changed.index] + [CITY_LABEL], name="Sozialraum"),
        )
        rate_fmt = {"decimals": 1, "unit": ""}
        return html_table(
            df,
            {"vorher": "rate", "nachher": "rate", "Veränderung": "text"},
            table_id=f"bestand-wasware-{o.key}",
            caption=f"Was wäre, wenn: {ex['text']} – Erreichbarkeit {o.label} ({o.unit} {o.per_label})",
            number_formats={"vorher": rate_fmt, "nachher": rate_fmt},
            footnotes=[
                "Nur Sozialräume, deren Erreichbarkeit sich um mindestens 0,05 ändert. Berechnet mit "
                "supply.what_if (gleiche Zielgruppe, gleicher Einzugsbereich und Distanzabfall).",
            ],
        )

    def what_if_text(self) -> str:
        ex = self.example
        if not ex:
            return ""
        o = self.offer(ex["offer"])
        res = ex["result"]
        c = res.loc[CITY_ID]
        a = ex["area"]
        r = res.loc[a]
        return (
            f"**Beispiel:** {ex['text']}. Die Erreichbarkeit in {self.labels[a]} stiege von "
            f"{fmt.number(r['before'], 1)} auf {fmt.number(r['after'], 1)} {o.unit} {o.per_label}, die mittlere "
            f"Entfernung zur nächsten Einrichtung dort von {fmt.number(r['distance_before'])} m auf "
            f"{fmt.number(r['distance_after'])} m; stadtweit änderte sich die Erreichbarkeit von "
            f"{fmt.number(c['before'], 1)} auf {fmt.number(c['after'], 1)}. Da das 2SFCA-Verfahren das Angebot auf "
            "alle Nachfragenden im Einzugsbereich verteilt, gewinnen auch Nachbarräume."
        )


def _dative(unit: str) -> str:
    """„mit 60 Plätzen“: the dative plural of a unit word."""
    return unit if unit.endswith("n") else unit + "n"


def _ages_text(ages: tuple[int, int | None]) -> str:
    lo, hi = ages
    return f"{lo} und älter" if hi is None else f"{lo} bis {hi} Jahre"


def _example(inputs: SupplyInputs, offers: Sequence[Offer], frame: pd.DataFrame) -> dict[str, Any]:
    """Open one facility of the offer with the most gaps at the demand point of its worst area's most
    populated block (supply = median of that type)."""
    best = None
    for o in offers:
        f = frame[(frame["offer"] == o.key) & (frame["area_id"] != CITY_ID)]
        gaps = f[f["gap"]]
        if len(gaps) and (best is None or len(gaps) > best[1]):
            best = (o, len(gaps), gaps.sort_values("score").iloc[0]["area_id"])
    if best is None:
        return {}
    o, _, area = best
    fac = _offer_facilities(inputs.facilities, o)
    if fac.empty:
        return {}
    supply = float(np.median(fac["supply"]))
    demand = block_demand(inputs.blocks, inputs.target[o.key])
    blocks = inputs.blocks.set_index("block_id")
    in_area = blocks.index[blocks["area_id"] == area]
    block = demand.reindex(in_area).idxmax()
    x, y = float(blocks.loc[block, "x"]), float(blocks.loc[block, "y"])
    res = what_if(inputs, o, open_at=(x, y), supply=supply)
    text = (
        f"eine neue Einrichtung „{o.label}“ mit {fmt.number(supply)} {_dative(o.unit)} (Median der bestehenden) im "
        f"statistischen Bezirk {block} mit der größten Zielgruppe des Sozialraums"
    )
    return {
        "offer": o.key,
        "area": str(area),
        "block": str(block),
        "supply": supply,
        "result": res,
        "text": text,
    }


def build(ch: Any) -> SupplyModel:
    """The chapter model from a :class:`~workbench.chapters.context.Chapter`."""
    from workbench.chapters import youth
    from workbench.indicators.population import single_years

    ds, year = ch.ds, ch.year
    spec = chapter_titles(ch.cfg).get(CHAPTER) or {}
    offers = load_offers(spec, ch.cfg.files.chapters)
    try:
        gap_share = float(spec.get("gap_share", DEFAULT_GAP_SHARE))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            "gap_share muss eine Zahl sein", path=ch.cfg.files.chapters, where=f"{CHAPTER}.gap_share"
        ) from exc
    fac = ds.facilities
    present = set(fac["type"].astype(str))
    offers = [
        o for o in offers if o.type in present and (o.supply == "facilities" or o.supply in fac.columns)
    ]
    if not offers:
        raise DataValidationError(
            "keine der Einrichtungstypen des Kapitels im Einrichtungsregister",
            where="Tabelle facilities, Spalte type",
            hint=f"Typen in {CHAPTER}.offers (config/chapters.yaml) an das Register anpassen",
        )
    area_ids = ds.area_keys["area_id"].astype(str).tolist()
    unknown = sorted(set(fac["area_id"].astype(str)) - set(area_ids))
    if unknown:
        raise DataValidationError(
            f"Einrichtungen in unbekannten Sozialräumen: {', '.join(unknown[:5])}",
            where="Tabelle facilities, Spalte area_id",
            hint="Sozialraum-Nummern im Einrichtungsregister prüfen",
        )
    population = single_years(ds.population)
    now = population[population["year"] == year]
    blocks, source = _blocks(ds)
    target = target_population(now, offers, area_ids)
    target_future, future_year, note = None, None, ""
    item = ch.item("bestand.prognose")
    if item.ok:
        projected, _ = youth.projected_population(population, ds.events, year, ch.cfg.kita)
        future_year = year + ch.cfg.kita.horizon
        target_future = target_population(projected[projected["year"] == future_year], offers, area_ids)
    else:
        note = (
            "Versorgungslücken mit der prognostizierten Bevölkerung sind nicht berechnet: "
            + ch.left_out_sentence("bestand.prognose")
        )
    inputs = SupplyInputs(blocks, fac, target, target_future, future_year, source)
    frame = supply_frame(inputs, offers, gap_share)
    withheld = {o.key: _withheld_rate(ch, o, area_ids, year) for o in offers}
    supply_withheld = {o.key: _withheld_supply(ch, o, area_ids, year) for o in offers}
    example = _example(inputs, offers, frame)
    return SupplyModel(
        year,
        tuple(offers),
        frame,
        inputs,
        ds.keys,
        ds.areas,
        ds.districts,
        ch.rules,
        withheld,
        supply_withheld,
        gap_share,
        note,
        example,
    )


# --------------------------------------------------------------------------------------------- profile


def cached_frame(ch: Any) -> pd.DataFrame | None:
    """The chapter's supply frame (:func:`supply_frame`), computed once per build and cached with the
    processed data (the Sozialraumprofile read it); None when the report has no chapter „Bestand und
    Versorgung“ or the data do not allow it."""
    from workbench.chapters import missing_inputs

    if CHAPTER not in ch.cfg.chapters or missing_inputs(CHAPTER, ch.ds):
        return None
    if not ch.availability.chapter(CHAPTER).ok:
        return None
    return ch._cached("supply_frame", lambda: build(ch).frame, f"reporting_year={ch.year}")


def profile_text(ch: Any, area_id: str) -> str:
    """German sentence for the Sozialraumprofil: the area's 2SFCA accessibility per offer in % of the city value
    and its Versorgungslücken (nothing without the chapter)."""
    frame = cached_frame(ch)
    if frame is None:
        return NOTHING
    spec = chapter_titles(ch.cfg).get(CHAPTER) or {}
    labels = {o.key: o.label for o in load_offers(spec, ch.cfg.files.chapters)}
    parts, gaps = [], []
    for key, f in frame.groupby("offer", sort=False):
        f = f.set_index("area_id")
        if str(area_id) not in f.index:
            continue
        city, own = float(f.loc[CITY_ID, "score"]), float(f.loc[str(area_id), "score"])
        if city > 0:
            parts.append(f"{labels.get(key, key)} {fmt.percent(100 * own / city, 0)}")
        if bool(f.loc[str(area_id), "gap"]):
            gaps.append(labels.get(key, key))
    if not parts:
        return NOTHING
    text = "**Erreichbarkeit (2SFCA) im Verhältnis zum Stadtwert:** " + ", ".join(parts) + ". "
    text += (
        "Versorgungslücke bei " + ", ".join(gaps) + " (Kapitel „Bestand und Versorgung“)."
        if gaps
        else "Keine Versorgungslücke nach der Regel des Kapitels „Bestand und Versorgung“."
    )
    return text
