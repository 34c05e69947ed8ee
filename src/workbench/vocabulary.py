"""Shared names of the data contract (docs/DATA_CONTRACT.md): area levels, the city's id, sexes, nationalities,
ages, and the signs for suppressed values. Defined once here, used by import, indicators, projection,
confidentiality and the published tables alike.
"""

from __future__ import annotations

LEVELS: tuple[str, ...] = ("sozialraum", "stadtbezirk", "stadt")
"""Area levels of the report, from small to large."""

CITY_ID = "stadt"
"""``unit_id`` of the whole city (the ``parent_id`` of every Stadtbezirk)."""

SEXES: tuple[str, ...] = ("m", "w")
"""Sex codes of ``population.parquet`` and ``events.parquet``."""

NATIONALITIES: tuple[str, ...] = ("deutsch", "nichtdeutsch")
"""Nationality codes of ``population.parquet``."""

MAX_AGE = 100
"""Highest single year of age; 100 is the open age group "100 und älter"."""

ALL = "insgesamt"
"""``sex`` / ``nationality`` of a population row without that breakdown (all persons; population by mapping)."""

AGE_ALL = -1
"""``age`` of a population row that counts all ages (a year without single years of age; its age groups, if
any, are in ``population_age_groups.parquet``)."""

SUPPRESSED_SIGN = "•"
"""Sign shown in published output for a suppressed cell (explained in a German footnote)."""

SUPPRESSION_MARKERS = frozenset({"*", "–", "—", "-", ".", "x", "X", SUPPRESSED_SIGN})
"""Cell contents that mean "value withheld for confidentiality": the Bundesagentur's "*", the statistical
offices' "." and "x", dashes, and the workbench's own sign. Never read as 0."""
