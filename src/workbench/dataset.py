"""Load the processed tables of one report (see docs/DATA_CONTRACT.md), read once and cached."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .errors import DataValidationError


class Dataset:
    """The processed tables of a city: population, counts, events, keys, geometries, facilities, survey.

    Tables are read lazily on first access. A missing table raises a clear error that says to run `make data`.
    """

    def __init__(self, processed: str | Path):
        self.processed = Path(processed)

    def _path(self, name: str) -> Path:
        path = self.processed / name
        if not path.exists():
            raise DataValidationError(
                "aufbereitete Tabelle fehlt",
                path=path,
                hint="`make data` ausführen (liest data/raw neu ein).",
            )
        return path

    def _parquet(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self._path(f"{name}.parquet"))

    @cached_property
    def manifest(self) -> dict:
        """Import provenance: files with SHA-256, rows, reference dates; warnings."""
        return json.loads(self._path("manifest.json").read_text(encoding="utf-8"))

    @cached_property
    def keys(self) -> pd.DataFrame:
        return self._parquet("keys")

    @cached_property
    def population(self) -> pd.DataFrame:
        return self._parquet("population")

    @cached_property
    def counts(self) -> pd.DataFrame:
        return self._parquet("counts")

    @cached_property
    def city_totals(self) -> pd.DataFrame:
        """Official unsuppressed city totals (year, measure, value) of suppressed deliveries ("Stadt insgesamt").

        Empty table when the processed data have none (older imports or deliveries without the row).
        """
        p = self.processed / "city_totals.parquet"
        if not p.exists():
            from .city_totals import empty

            return empty()
        return pd.read_parquet(p)

    @cached_property
    def events(self) -> pd.DataFrame:
        return self._parquet("events")

    @cached_property
    def areas(self) -> gpd.GeoDataFrame:
        """Sozialraum polygons with names, district and population of the latest year."""
        return gpd.read_file(self._path("areas.gpkg"), layer="sozialraum")

    @cached_property
    def districts(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self._path("areas.gpkg"), layer="stadtbezirk")

    @cached_property
    def facilities(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self._path("facilities.gpkg"))

    @cached_property
    def survey(self) -> pd.DataFrame | None:
        p = self.processed / "survey.parquet"
        return pd.read_parquet(p) if p.exists() else None

    @cached_property
    def measures(self) -> pd.DataFrame | None:
        p = self.processed / "measures.parquet"
        return pd.read_parquet(p) if p.exists() else None

    @cached_property
    def kpis(self) -> pd.DataFrame | None:
        p = self.processed / "kpis.parquet"
        return pd.read_parquet(p) if p.exists() else None

    @cached_property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.population["year"].unique())

    @cached_property
    def area_keys(self) -> pd.DataFrame:
        """One row per Sozialraum: area_id, area_name, district_id, district_name."""
        cols = ["area_id", "area_name", "district_id", "district_name"]
        return self.keys[cols].drop_duplicates("area_id").sort_values("area_id", ignore_index=True)

    def population_by(self, *cols: str, year: int | None = None) -> pd.DataFrame:
        """Population summed over all other dimensions (e.g. ``population_by("area_id", "year")``)."""
        pop = self.population if year is None else self.population[self.population["year"] == year]
        return pop.groupby(list(cols), as_index=False)["count"].sum()
