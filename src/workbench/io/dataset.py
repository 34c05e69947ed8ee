"""Load the processed tables of one report (see docs/DATA_CONTRACT.md), read once and cached.

Two levels of caching: per :class:`Dataset` object (``cached_property``) and per process (:func:`read_memo`,
keyed by absolute path, modification time and size of the file). The process memo lets the warm kernels of
the profile engine read each table once per worker instead of once per profile; the processed files are
immutable inputs of a build, and a changed file (new mtime/size) is read again.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import pandas as pd

from workbench.errors import DataValidationError
from workbench.io.city_totals import empty

_MEMO: dict[tuple, object] = {}
_MEMO_MAX = 64


def read_memo(path: Path, loader, *extra: object):
    """``loader(path)`` memoised per process by (absolute path, mtime_ns, size, ``extra``).

    Returns a shallow copy of the stored frame: with pandas copy-on-write a caller that modifies it gets its
    own copy of what it changes, so the memo (and other profiles in the same worker) never see the change.
    """
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, *extra)
    if key not in _MEMO:
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = loader(path)
    value = _MEMO[key]
    return value.copy(deep=False) if isinstance(value, pd.DataFrame) else value


def clear_memo() -> None:
    """Forget all memoised tables of this process (tests; long-running sessions)."""
    _MEMO.clear()


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
                hint="`make data` ausführen (liest den Rohdatenordner der Berichtskonfiguration, data_raw, neu ein).",
            )
        return path

    FILES = {
        "keys": "keys.parquet",
        "areas": "areas.gpkg",
        "population": "population.parquet",
        "counts": "counts.parquet",
        "events": "events.parquet",
        "facilities": "facilities.gpkg",
        "survey": "survey.parquet",
        "measures": "measures.parquet",
        "shares": "shares.parquet",
        "costs": "costs.parquet",
    }
    """Processed table → file in the processed folder (see docs/DATA_CONTRACT.md)."""

    INDICATOR_INPUTS = "counts|shares"
    """A chapter input met by count tables or by published shares (either one is enough for indicators)."""

    def has(self, table: str) -> bool:
        """Whether the processed table ``table`` (a key of :attr:`FILES`) exists for this city; ``"a|b"``:
        whether one of them does (e.g. :attr:`INDICATOR_INPUTS`)."""
        if "|" in table:
            return any(self.has(t) for t in table.split("|"))
        if table not in self.FILES:
            raise KeyError(f"unbekannte Tabelle {table!r}; bekannt: {', '.join(self.FILES)}")
        return (self.processed / self.FILES[table]).exists()

    def _parquet(self, name: str) -> pd.DataFrame:
        return read_memo(self._path(f"{name}.parquet"), pd.read_parquet)

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
        """Count measures (area_id, year, measure, value, suppressed); without ``counts.parquet`` but with
        published shares the empty table (chapters then show the published indicators only)."""
        if not self.has("counts") and self.has("shares"):
            return pd.DataFrame(
                {
                    "area_id": pd.Series(dtype=str),
                    "year": pd.Series(dtype="int64"),
                    "measure": pd.Series(dtype=str),
                    "value": pd.Series(dtype="float64"),
                    "suppressed": pd.Series(dtype=bool),
                }
            )
        return self._parquet("counts")

    @cached_property
    def city_totals(self) -> pd.DataFrame:
        """Official unsuppressed city totals (year, measure, value) of suppressed deliveries ("Stadt insgesamt").

        Empty table when the processed data have none (older imports or deliveries without the row).
        """
        p = self.processed / "city_totals.parquet"
        if not p.exists():
            return empty()
        return read_memo(p, pd.read_parquet)

    @cached_property
    def shares(self) -> pd.DataFrame | None:
        """Published indicator values without counts (``sources: shares:``), None when the city has none."""
        p = self.processed / "shares.parquet"
        return read_memo(p, pd.read_parquet) if p.exists() else None

    @cached_property
    def age_groups(self) -> pd.DataFrame | None:
        """Age groups of the years without single years of age (``population_age_groups.parquet``: area_id,
        year, sex, nationality, age_from, age_to, count), None when the population has none."""
        p = self.processed / "population_age_groups.parquet"
        return read_memo(p, pd.read_parquet) if p.exists() else None

    @cached_property
    def population_detail(self) -> dict[int, str]:
        """Age detail of the population per year: "single_years", "age_groups" or "total" (manifest key
        ``population_detail_by_year``; without it every year has single years, like the register extracts)."""
        by_year = None
        if (self.processed / "manifest.json").exists():
            by_year = self.manifest.get("population_detail_by_year")
        if not by_year:
            return dict.fromkeys(self.years, "single_years")
        return {int(y): str(kind) for y, kind in by_year.items()}

    @cached_property
    def events(self) -> pd.DataFrame:
        return self._parquet("events")

    @cached_property
    def areas(self) -> gpd.GeoDataFrame:
        """Sozialraum polygons with names, district and population of the latest year."""
        return read_memo(
            self._path("areas.gpkg"), lambda p: gpd.read_file(p, layer="sozialraum"), "sozialraum"
        )

    @cached_property
    def districts(self) -> gpd.GeoDataFrame:
        return read_memo(
            self._path("areas.gpkg"), lambda p: gpd.read_file(p, layer="stadtbezirk"), "stadtbezirk"
        )

    @cached_property
    def facilities(self) -> gpd.GeoDataFrame:
        return read_memo(self._path("facilities.gpkg"), gpd.read_file)

    @cached_property
    def survey(self) -> pd.DataFrame | None:
        p = self.processed / "survey.parquet"
        return read_memo(p, pd.read_parquet) if p.exists() else None

    @cached_property
    def measures(self) -> pd.DataFrame | None:
        p = self.processed / "measures.parquet"
        return read_memo(p, pd.read_parquet) if p.exists() else None

    @cached_property
    def costs(self) -> pd.DataFrame | None:
        """Expenditure per area, year and Leistung (area_id, year, item, cases, expenditure), None without."""
        p = self.processed / "costs.parquet"
        return read_memo(p, pd.read_parquet) if p.exists() else None

    @cached_property
    def kpis(self) -> pd.DataFrame | None:
        p = self.processed / "kpis.parquet"
        return read_memo(p, pd.read_parquet) if p.exists() else None

    @cached_property
    def years(self) -> list[int]:
        """Years of the population table (reads only the ``year`` column unless population is loaded)."""
        if "population" in self.__dict__:
            years = self.population["year"]
        else:
            path = self._path("population.parquet")
            years = read_memo(path, lambda p: pd.read_parquet(p, columns=["year"]), "year")["year"]
        return sorted(int(y) for y in years.unique())

    @cached_property
    def area_keys(self) -> pd.DataFrame:
        """One row per Sozialraum: area_id, area_name, district_id, district_name."""
        cols = ["area_id", "area_name", "district_id", "district_name"]
        return self.keys[cols].drop_duplicates("area_id").sort_values("area_id", ignore_index=True)

    def population_by(self, *cols: str, year: int | None = None) -> pd.DataFrame:
        """Population summed over all other dimensions (e.g. ``population_by("area_id", "year")``)."""
        pop = self.population if year is None else self.population[self.population["year"] == year]
        return pop.groupby(list(cols), as_index=False)["count"].sum()
