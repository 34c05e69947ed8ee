"""Composite indices for small areas: Berlin MSS stepwise z-index, IMD-style domain index, class stability.

Methods (see ``docs`` / METHODS.md):

* :func:`mss_index` — Berlin *Monitoring Soziale Stadtentwicklung* "gestuftes Indexverfahren": z-standardise
  each status/dynamic indicator over the valid areas (population standard deviation, ddof = 0), sum, z-standardise
  the sums again, cut into 4 status and 3 dynamic classes and overlay them (12 groups).
* :func:`domain_index` — England's Index of Multiple Deprivation style: rank each domain, exponential
  transformation, weighted sum, rank again, deciles.
* :func:`class_stability` — Monte-Carlo robustness of the MSS classes given 95 % intervals of the indicators.
* :func:`typology` (in :mod:`workbench.index._typology`) — k-means area types with German descriptions.
* :func:`load_index_config` / :func:`run_index_config` — the index methods as YAML data
  (:mod:`workbench.index._config`).

All indicator values are expected so that **higher = worse** (as in the MSS: more SGB II, more child poverty;
a rising share gives a positive change, i.e. a "negative" dynamic).
"""

from workbench.index._config import load_index_config, run_index_config, validate_index_config
from workbench.index._mss import (
    BERLIN_DYNAMIC_CODES,
    DYNAMIC_LABELS,
    DYNAMIC_SIGNS,
    STATUS_LABELS,
    Z95,
    class_stability,
    domain_index,
    dynamic_class,
    imd_transform,
    mss_index,
    status_class,
    valid_areas,
)
from workbench.index._typology import Typology, typology

__all__ = [
    "Z95",
    "STATUS_LABELS",
    "DYNAMIC_LABELS",
    "DYNAMIC_SIGNS",
    "BERLIN_DYNAMIC_CODES",
    "status_class",
    "dynamic_class",
    "valid_areas",
    "mss_index",
    "class_stability",
    "imd_transform",
    "domain_index",
    "load_index_config",
    "run_index_config",
    "Typology",
    "typology",
    "validate_index_config",
]
