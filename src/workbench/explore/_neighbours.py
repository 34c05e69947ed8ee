"""Statistical neighbours: the areas most similar on the monitoring indicators (published values only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.index import load_index_config

FALLBACK_TOPIC = "soziale_lage"


def monitoring_indicators(cfg, available: list[str], topics: dict[str, str]) -> list[str]:
    """Indicator ids of the report's monitoring (status inputs of the index config and the domains of
    domain indices) that the data hold; without any, the indicators of the topic "soziale_lage"."""
    ids: list[str] = []
    try:
        index_cfg = load_index_config(cfg.files.index)
    except Exception:  # noqa: BLE001 - a missing/invalid index config only changes the neighbour basis
        index_cfg = {}
    for spec in (index_cfg.get("indices") or {}).values():
        for entry in spec.get("status") or []:
            ids.append(entry["id"] if isinstance(entry, dict) else str(entry))
        ids.extend((spec.get("domains") or {}).keys())
    chosen = [i for i in dict.fromkeys(ids) if i in available]
    return chosen or [i for i in available if topics.get(i) == FALLBACK_TOPIC]


def zscores(matrix: pd.DataFrame) -> pd.DataFrame:
    """Column-wise z-scores (population standard deviation) of a unit × indicator matrix; NaN stays NaN, a
    constant column becomes 0."""
    mean = matrix.mean()
    sd = matrix.std(ddof=0).replace(0, np.nan)
    return ((matrix - mean) / sd).where(matrix.notna()).fillna(0).where(matrix.notna())


def nearest(matrix: pd.DataFrame, unit: str, k: int = 5) -> pd.DataFrame:
    """The ``k`` units closest to ``unit`` by Euclidean distance of the z-scores.

    A unit with withheld values (NaN) is compared on the indicators both units have; the sum of squares is
    scaled by (all indicators / common indicators), so fewer common values do not make a unit look closer.
    Units with no common indicator are left out. Ties are broken by unit id.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Published values, index = unit ids, one column per indicator (NaN = withheld or missing).
    unit : str
        The reference unit (must be in the index).
    k : int
        Number of neighbours.

    Returns
    -------
    pandas.DataFrame
        Columns unit_id, distance, common (number of indicators compared), nearest first.

    Examples
    --------
    >>> m = pd.DataFrame({"a": [0.0, 1.0, 3.0, 10.0]}, index=["w", "x", "y", "z"])
    >>> nearest(m, "w", k=2)["unit_id"].tolist()
    ['x', 'y']
    """
    z = zscores(matrix)
    if unit not in z.index:
        raise KeyError(f"unbekannte Einheit {unit!r}")
    ref = z.loc[unit].to_numpy(float)
    others = z.drop(index=unit)
    vals = others.to_numpy(float)
    both = ~np.isnan(vals) & ~np.isnan(ref)
    common = both.sum(axis=1)
    sq = np.where(both, (vals - ref) ** 2, 0.0).sum(axis=1)
    n = max(int((~np.isnan(ref)).sum()), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        dist = np.sqrt(sq * n / common)
    out = pd.DataFrame({"unit_id": others.index.astype(str), "distance": dist, "common": common})
    out = out[out["common"] > 0]
    return out.sort_values(["distance", "unit_id"]).head(k).reset_index(drop=True)
