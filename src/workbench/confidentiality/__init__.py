"""Statistical confidentiality (Geheimhaltung) of every published count, rate and share.

Rule: nothing published may reveal a count of 1 … threshold−1 (default: 1 or 2). Three layers protect it —
primary suppression, secondary suppression in tables with totals, and the protection of rates and shares
(see Notes; docs/METHODEN.md, Abschnitt „Statistische Geheimhaltung“).

See Also
--------
Rules, primary_mask, parse_counts : Rules and primary suppression (:data:`SUPPRESSION_MARKERS`).
AdditiveTable, with_margins, hierarchy, ProtectedTable : Tables with totals, primary and secondary
    suppression.
protect_counts, protect_rates : The report's count cube (:data:`CITY_ID` = the city) and the rates on it.

Notes
-----
**Primary suppression** (:func:`primary_mask`): a count with ``0 < value < threshold`` is suppressed; 0 is
shown unless ``show_zero`` is off. Values already suppressed in the delivered data (NaN with the
``suppressed`` flag, or the signs "*", "–", "-", ".", "x", "•") stay suppressed and are never summed as 0.

**Secondary suppression** (:class:`AdditiveTable`, :func:`protect_counts`): a table is a set of cells plus
linear relations "total = sum of parts" (row/column margins, Sozialraum → Stadtbezirk → Stadt,
``unemployed = unemployed_sgb2 + unemployed_sgb3``). Algorithm (private module ``_secondary``):

1. Start with the primary and input suppressions.
2. While some relation has exactly one unpublished member, suppress one more visible member of it: cells
   that are not the total of any relation first, then non-zero before zero, then the smallest value, then the
   first cell in table order (deterministic tie-break).
3. Verify exactly which unpublished cells an outsider can still compute from the published ones, using the
   relations and non-negativity of counts: forced zeros by a small linear programme, then a rank test — a
   cell is recoverable iff its unit vector lies in the row space of the relations restricted to the
   unpublished cells (null-space test per connected component).
4. For each recoverable cell suppress the best visible member of the relation through it with the fewest
   unpublished members, then go back to step 2. Stops when no unpublished cell is recoverable.

**Aggregates** (decision): :func:`protect_counts` computes the Stadtbezirk and Stadt values itself. When a part
was suppressed *by the workbench* (primary/secondary) its true value is known internally, so the true sum is
used and may be published if step 3 allows. When a part was suppressed *in the delivered data*, the sum is
unknown internally; it gets status ``input`` and is never published (no lower bound is shown). A missing part
(no data) makes the sum ``missing``.

**Rates and shares** (:func:`protect_rates`): suppressed when the numerator count is not shown, when (rule
``suppress_on_denominator``) the denominator count is not shown, or when the denominator is below
``min_base``.

The report protects the central count cube once (:func:`protect_counts`) and every chapter uses that result,
so the same count is suppressed everywhere. Result statuses: ``shown``, ``primary``, ``secondary``,
``input`` (suppressed in the delivered data, or a sum over such a value) and ``missing`` (no data).

The implementation lives in private modules (``_rules``, ``_secondary``, ``_cube``); import from
:mod:`workbench.confidentiality`. The public submodule :mod:`workbench.confidentiality.audit` checks the
published HTML and XLSX files independently (``workbench audit``).

References
----------
Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley, Chichester (primary and secondary
suppression).

Examples
--------
A district with two areas, 2 and 9 persons: the 2 is suppressed (primary), so the 9 must go too
(secondary), otherwise 2 = 11 − 9. The other district (a single area of 14) and the city stay visible:

>>> from workbench.confidentiality import Rules, hierarchy
>>> import pandas as pd
>>> table = hierarchy(pd.DataFrame({"n": [2, 9, 14]}, index=["a1", "a2", "b1"]), {"a1": "A", "a2": "A", "b1": "B"})
>>> table.protect(Rules(threshold=3)).published["n"].tolist()
[nan, nan, 14.0, 11.0, 14.0, 25.0]
"""

from inspect import isfunction as _isfunction

from workbench.confidentiality._cube import protect_counts, protect_rates
from workbench.confidentiality._population import (
    age_range,
    derivable_breakdowns,
    population_measure,
    protect_population,
)
from workbench.confidentiality._rules import (
    AdditiveTable,
    ProtectedTable,
    Rules,
    hierarchy,
    parse_counts,
    primary_mask,
    with_margins,
)
from workbench.vocabulary import CITY_ID, SUPPRESSION_MARKERS

__all__ = [
    "CITY_ID",
    "SUPPRESSION_MARKERS",
    "AdditiveTable",
    "ProtectedTable",
    "Rules",
    "hierarchy",
    "parse_counts",
    "primary_mask",
    "protect_counts",
    "protect_rates",
    "with_margins",
    "age_range",
    "derivable_breakdowns",
    "population_measure",
    "protect_population",
]


for _obj in filter(_isfunction, (globals()[_n] for _n in __all__)):  # help() and tracebacks name the façade
    _obj.__module__ = __name__
del _obj
