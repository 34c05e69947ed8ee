"""Import of the area tables: key table (``schluessel_gebiete.csv``) and geometries (``gebiete.gpkg``).

Re-exported by ``workbench.io.importer``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from workbench.errors import DataValidationError
from workbench.io import raw as rawio
from workbench.io._schema import ImportResult, _record, _require_areas, _strip_ids


def read_keys(raw: Path, result: ImportResult) -> pd.DataFrame:
    """Key table statistischer Bezirk → Sozialraum → Stadtbezirk (``schluessel_gebiete.csv``)."""
    path = raw / "schluessel_gebiete.csv"
    cols = [
        "stat_bezirk_id",
        "stat_bezirk_name",
        "sozialraum_id",
        "sozialraum_name",
        "stadtbezirk_id",
        "stadtbezirk_name",
    ]
    df = rawio.read_csv(path, required=cols)
    df = df[cols].apply(_strip_ids)
    for c in ("stat_bezirk_id", "sozialraum_id", "stadtbezirk_id"):
        rawio.refuse_first(df[c].eq(""), df[c], "leerer Schlüssel", path=path, column=c)
    rawio.check_duplicates(df, ["stat_bezirk_id"], path=path)
    parents = df.groupby("sozialraum_id")["stadtbezirk_id"].nunique()
    if (parents > 1).any():
        bad = parents[parents > 1].index[0]
        raise DataValidationError(
            f"Sozialraum '{bad}' ist mehreren Stadtbezirken zugeordnet",
            path=path,
            where="Spalte 'stadtbezirk_id'",
            hint="Jeder Sozialraum gehört zu genau einem Stadtbezirk.",
        )
    _record(result, path, len(df))
    return df.rename(
        columns={
            "stat_bezirk_id": "block_id",
            "stat_bezirk_name": "block_name",
            "sozialraum_id": "area_id",
            "sozialraum_name": "area_name",
            "stadtbezirk_id": "district_id",
            "stadtbezirk_name": "district_name",
        }
    )


def _read_layer(path: Path, layer: str, id_col: str) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise DataValidationError(
            f"Ebene '{layer}' nicht lesbar ({exc})",
            path=path,
            hint="GeoPackage mit den Ebenen laut docs/DATA_CONTRACT.md liefern.",
        ) from exc
    if id_col not in gdf.columns:
        raise DataValidationError(f"Spalte '{id_col}' fehlt in Ebene '{layer}'", path=path)
    return check_geometries(gdf, id_col, path=path, what=f"Ebene '{layer}'")


def check_geometries(
    gdf: gpd.GeoDataFrame,
    id_col: str,
    *,
    path: Path,
    what: str,
    objects: list[int] | None = None,
    crs_hint: str = "CRS im GIS setzen, z. B. EPSG:25832 (ETRS89 / UTM 32N), und neu exportieren.",
) -> gpd.GeoDataFrame:
    """Ids stripped, CRS present, every geometry non-empty and valid; reprojected to EPSG:25832.

    ``what`` names the layer in messages ("Ebene 'sozialraeume'"); ``objects`` the object number of each row
    (default 1, 2, …).
    """
    if gdf.crs is None:
        raise DataValidationError(f"{what} hat kein Koordinatenbezugssystem (CRS)", path=path, hint=crs_hint)
    gdf[id_col] = _strip_ids(gdf[id_col])
    for i, geom in enumerate(gdf.geometry):
        ident = gdf[id_col].iloc[i]
        obj = objects[i] if objects is not None else i + 1
        if geom is None or geom.is_empty:
            raise DataValidationError(
                f"leere Geometrie für '{ident}'",
                path=path,
                where=f"{what}, Objekt {obj}",
                hint="Fläche im GIS nachdigitalisieren oder das Objekt entfernen.",
            )
        if not geom.is_valid:
            from shapely.validation import explain_validity

            raise DataValidationError(
                f"ungültige Geometrie für '{ident}' ({explain_validity(geom)})",
                path=path,
                where=f"{what}, Objekt {obj}",
                hint="Geometrie im GIS reparieren (z. B. QGIS 'Geometrien reparieren').",
            )
    if gdf.crs.to_epsg() != 25832:
        gdf = gdf.to_crs(25832)
    return gdf


def area_layers(ids, geometry, crs, keys: pd.DataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Layers ``sozialraum`` (names and district from the key table) and ``stadtbezirk`` (dissolved)."""
    ids = pd.Series(ids)
    names = keys.drop_duplicates("area_id").set_index("area_id")
    sr = gpd.GeoDataFrame(
        {
            "area_id": ids.to_numpy(),
            "area_name": names.loc[ids, "area_name"].to_numpy(),
            "district_id": names.loc[ids, "district_id"].to_numpy(),
            "district_name": names.loc[ids, "district_name"].to_numpy(),
        },
        geometry=geometry,
        crs=crs,
    ).sort_values("area_id", ignore_index=True)
    districts = sr.dissolve("district_id", as_index=False)[["district_id", "district_name", "geometry"]]
    return {"sozialraum": sr, "stadtbezirk": districts.sort_values("district_id", ignore_index=True)}


def block_layer(block_ids: pd.Series, geometry: object, crs: object, keys: pd.DataFrame) -> gpd.GeoDataFrame:
    """Layer ``stat_bezirk`` of ``areas.gpkg``: block_id, its Sozialraum (from the key table), geometry."""
    block_ids = pd.Series(block_ids)
    area_of = keys.set_index("block_id")["area_id"]
    return gpd.GeoDataFrame(
        {"block_id": block_ids.to_numpy(), "area_id": area_of.loc[block_ids].to_numpy()},
        geometry=geometry,
        crs=crs,
    ).sort_values("block_id", ignore_index=True)


def read_areas(raw: Path, keys: pd.DataFrame, result: ImportResult) -> dict[str, gpd.GeoDataFrame]:
    """Sozialraum and block geometries (``gebiete.gpkg``), checked against the key table."""
    path = raw / "gebiete.gpkg"
    if not path.exists():
        raise DataValidationError("Datei fehlt", path=path, hint="Gebietsgeometrien als GeoPackage ablegen.")
    areas = _read_layer(path, "sozialraeume", "sozialraum_id")
    rawio.check_duplicates(areas[["sozialraum_id"]], ["sozialraum_id"], path=path, row_offset=1)
    known = set(keys["area_id"])
    rawio.check_keys(areas["sozialraum_id"], known, path=path, column="sozialraum_id", row_offset=1)
    _require_areas(
        known,
        areas["sozialraum_id"],
        "Geometrie",
        path=path,
        where="Ebene 'sozialraeume'",
        hint="Für jeden Sozialraum der Schlüsseltabelle eine Fläche liefern.",
    )
    out = area_layers(areas["sozialraum_id"], areas.geometry.to_numpy(), areas.crs, keys)
    sr = out["sozialraum"]
    layers = pyogrio.list_layers(path)[:, 0].tolist()
    if "statistische_bezirke" in layers:
        blocks = _read_layer(path, "statistische_bezirke", "stat_bezirk_id")
        rawio.check_keys(
            blocks["stat_bezirk_id"],
            set(keys["block_id"]),
            path=path,
            column="stat_bezirk_id",
            row_offset=1,
            what="statistischer-Bezirk",
        )
        out["stat_bezirk"] = block_layer(
            blocks["stat_bezirk_id"], blocks.geometry.to_numpy(), blocks.crs, keys
        )
    _record(result, path, len(sr), layers=layers)
    return out
