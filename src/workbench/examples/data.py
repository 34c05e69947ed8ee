"""Loaders for the real example cities (Berlin MSS 2021, Flensburg Sozialatlas 2022) via the YAML mappings.

The mappings live in ``examples/berlin/`` and ``examples/flensburg/``; the data in the shared data folder
(``shared_dir`` or ``$WORKBENCH_SHARED_DATA``, else ``../shared/data`` beside the project).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import DataValidationError
from workbench.index import BERLIN_DYNAMIC_CODES, mss_index
from workbench.io.mapped import default_shared_dir, read_table
from workbench.settings import project_root


def examples_dir() -> Path:
    """The folder of the example mappings (``examples/`` of the project)."""
    return project_root() / "examples"

BERLIN_STATUS = ["S1", "S3", "S4"]
"""MSS 2021 status indicators: S1 unemployed (SGB II), S3 transfer recipients, S4 child poverty (all in %)."""

BERLIN_DYNAMIC = ["D1", "D3", "D4"]
"""MSS 2021 dynamic indicators: 2-year changes of S1, S3, S4 in percentage points."""

BERLIN_TABLES = {
    "indikatoren": "index_indikatoren",
    "indizes": "indizes",
    "zwerte": "zwerte",
    "hierarchie": "lor_2021_hierarchie",
    "einwohner": "einwohner_2022_06",
    "plr": "planungsraeume_geo",
    "bzr": "bezirksregionen_geo",
}

FLENSBURG_TABLES = {
    "einwohner": "tab_1_einwohner",
    "altersgruppen": "tab_5_altersgruppen_2021",
    "unter_18": "tab_6_unter_18",
    "18_bis_65": "tab_7_18_bis_65",
    "migration": "tab_9_migrationshintergrund",
    "sgb2": "tab_18_sgb2",
    "stadtteile": "stadtteile_geo",
    "stat_bezirke": "stat_bezirke_geo",
}


def _load(folder: Path, tables: dict[str, str], shared_dir: str | Path | None) -> dict[str, pd.DataFrame]:
    shared = Path(shared_dir) if shared_dir else default_shared_dir()
    if not shared.is_dir():
        raise DataValidationError(
            "Ordner mit den Beispieldaten fehlt",
            path=shared,
            hint="shared_dir oder WORKBENCH_SHARED_DATA setzen",
        )
    return {key: read_table(folder / f"{stem}.yaml", shared) for key, stem in tables.items()}


def load_berlin_mss(shared_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """All Berlin MSS 2021 tables: ``indikatoren``, ``indizes``, ``zwerte`` (published z-values),
    ``hierarchie`` (PLR → BZR → PGR → Bezirk), ``einwohner`` (30.06.2022, "–" suppressed → NaN),
    ``plr`` and ``bzr`` (GeoDataFrames, EPSG:25833). Every table has the 8-digit ``area_id`` (``bzr``: ``bzr_id``).
    """
    return _load(examples_dir() / "berlin", BERLIN_TABLES, shared_dir)


def berlin_mss_recompute(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Recompute MSS 2021 from the index indicators (S1, S3, S4 / D1, D3, D4; ≥ 300 inhabitants; the outlier
    marked "Ausreißer" in KOM excluded) and put the official classes beside it (``official_status_class``,
    ``official_dynamic_class`` mapped 1/3/5 → 1/2/3, ``official_overall_class``)."""
    ind = tables["indikatoren"].set_index("area_id")
    outliers = ind.index[ind["validity"].astype(str).str.contains("Ausreißer", regex=False)]
    res = mss_index(
        ind, BERLIN_STATUS, BERLIN_DYNAMIC, population="population", min_population=300, exclude=outliers
    )
    off = tables["indizes"].set_index("area_id").reindex(res.index)
    res.insert(0, "area_name", ind["area_name"])
    res["official_status_class"] = off["SI_N"].astype("Int64")
    res["official_dynamic_class"] = off["DI_N"].map(BERLIN_DYNAMIC_CODES).astype("Int64")
    res["official_overall_class"] = off["SDI"]
    return res


def load_flensburg(shared_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Flensburg Sozialatlas 2022 tables per Stadtteil (``area_id`` "01".."13"): ``einwohner`` (Tab. 1),
    ``altersgruppen`` (Tab. 5), ``unter_18`` (Tab. 6), ``18_bis_65`` (Tab. 7), ``migration`` (Tab. 9), ``sgb2``
    (Tab. 18) and the geometries ``stadtteile`` / ``stat_bezirke`` (EPSG:4326)."""
    return _load(examples_dir() / "flensburg", FLENSBURG_TABLES, shared_dir)


def flensburg_sgb2_shares(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """SGB II recipients as % of the population under 65 (Tab. 6 + Tab. 7) per Stadtteil and year 2018–2021,
    beside the published share (Tab. 18). Long table: area_id, year, recipients, pop_u65, share, published."""
    u18 = tables["unter_18"].set_index("area_id")
    mid = tables["18_bis_65"].set_index("area_id")
    sgb2 = tables["sgb2"].set_index("area_id")
    rows = []
    for year in (2018, 2019, 2020, 2021):
        pop = (u18[f"u18_{year}"] + mid[f"a18_65_{year}"]).reindex(sgb2.index)
        rec = sgb2[f"sgb2_{year}"]
        rows.append(
            pd.DataFrame(
                {
                    "area_id": sgb2.index,
                    "year": year,
                    "recipients": rec.to_numpy(),
                    "pop_u65": pop.to_numpy(),
                    "share": (rec.astype(float) / pop.astype(float) * 100).to_numpy(),
                    "published": sgb2[f"sgb2_pct_{year}"].to_numpy(),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    out["difference"] = out["share"] - out["published"]
    out["share"] = out["share"].astype(float)
    if not np.isfinite(out["share"]).all():
        raise DataValidationError(
            "SGB-II-Anteil nicht berechenbar (fehlende Einwohnerzahl)", where="Tab. 6/7"
        )
    return out
