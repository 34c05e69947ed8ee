"""Composite indices for small areas: Berlin MSS stepwise z-index, IMD-style domain index, robustness, typology.

Methods (docs/METHODEN.md, Abschnitt „Sozialindex“):

* :func:`mss_index` — Berlin *Monitoring Soziale Stadtentwicklung* "gestuftes Indexverfahren": z-standardise
  each status/dynamic indicator over the valid areas (population standard deviation, ddof = 0), sum,
  z-standardise the sums again, cut into 4 status and 3 dynamic classes and overlay them (12 groups).
  Without dynamic indicators (one year of data: a change needs two points in time) it is the status-only
  index — Status-Index and 4 status classes, no Dynamik-Index and no Gesamtindex; :func:`index_years` says
  which years each part needs.
* :func:`domain_index` — England's Index of Multiple Deprivation style: rank each domain, exponential
  transformation, weighted sum, rank again, deciles.
* :func:`class_stability` — Monte-Carlo robustness of the MSS classes given 95 % intervals of the indicators.
* :func:`typology` — k-means area types with German descriptions.
* :func:`load_index_config` / :func:`run_index_config` — the index methods as YAML data
  (``config/index.yaml``).

All indicator values are expected so that **higher = worse** (as in the MSS: more SGB II, more child poverty;
a rising share gives a positive change, i.e. a "negative" dynamic).

See Also
--------
mss_index, valid_areas, status_class, dynamic_class, class_stability, index_years : The MSS "gestuftes
    Indexverfahren" (:data:`STATUS_LABELS`, :data:`DYNAMIC_LABELS`, :data:`BERLIN_DYNAMIC_CODES`).
domain_index, imd_transform : The IMD-style domain index.
typology, Typology : Area types by k-means.
load_index_config, validate_index_config, run_index_config : The indices as YAML data.

Notes
-----
The implementation lives in private modules (``_mss``, ``_config``, ``_typology``); import from
:mod:`workbench.index`. The public submodule :mod:`workbench.index.monitoring` computes the report chapter's
index from *published* indicator values (suppressed inputs are "nicht bewertet").

References
----------
Senatsverwaltung für Stadtentwicklung, Bauen und Wohnen Berlin: *Monitoring Soziale Stadtentwicklung 2021*;
MHCLG: *The English Indices of Deprivation 2019 – Technical Report*; Rousseeuw (1987); full citations in
docs/METHODEN.md, Abschnitt „Quellen“.

Examples
--------
Six areas, one status indicator S1 (%) and its change D1 (percentage points); area F has fewer than 300
inhabitants and stays out. Over the five valid areas S1 has z = −1.41, −0.71, 0, 0.71, 1.41:

>>> import pandas as pd
>>> from workbench import index
>>> df = pd.DataFrame({"S1": [2.0, 4, 6, 8, 10, 30], "D1": [0.2, 0.1, 0, -0.1, -0.2, 5],
...                    "EW": [500, 500, 500, 500, 500, 100]}, index=list("ABCDEF"))
>>> r = index.mss_index(df, status=["S1"], dynamic=["D1"], population="EW")
>>> r["overall_class"].tolist()
['1-', '2+/-', '2+/-', '2+/-', '3+', <NA>]
>>> {code: index.DYNAMIC_LABELS[c] for code, c in index.BERLIN_DYNAMIC_CODES.items()}
{1: 'positiv', 3: 'stabil', 5: 'negativ'}

With one year of data there is no change D1: the status-only index keeps the status classes and has no
overall group:

>>> s = index.mss_index(df, status=["S1"], population="EW")
>>> s["status_class"].tolist(), bool(s["overall_class"].isna().all())
([1, 2, 2, 2, 3, <NA>], True)
"""

from inspect import isfunction as _isfunction

from workbench.index._config import (
    index_config_problems,
    load_index_config,
    run_index_config,
    validate_index_config,
)
from workbench.index._mss import (
    BERLIN_DYNAMIC_CODES,
    DYNAMIC_LABELS,
    STATUS_LABELS,
    class_stability,
    domain_index,
    dynamic_class,
    imd_transform,
    index_years,
    mss_index,
    status_class,
    valid_areas,
)
from workbench.index._typology import Typology, typology

__all__ = [
    "BERLIN_DYNAMIC_CODES",
    "DYNAMIC_LABELS",
    "STATUS_LABELS",
    "Typology",
    "class_stability",
    "domain_index",
    "dynamic_class",
    "imd_transform",
    "index_config_problems",
    "index_years",
    "load_index_config",
    "mss_index",
    "run_index_config",
    "status_class",
    "typology",
    "valid_areas",
    "validate_index_config",
]


for _obj in filter(_isfunction, (globals()[_n] for _n in __all__)):  # help() and tracebacks name the façade
    _obj.__module__ = __name__
del _obj
