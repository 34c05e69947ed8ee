"""German names of the count measures (the methods appendix, the Excel definitions, the data-quality chapter).

A module of its own without imports, so that tables and chapters can share it without import cycles.
"""

MEASURE_LABELS = {
    "sgb2_rlb": "Regelleistungsberechtigte SGB II",
    "sgb2_u15": "RLB unter 15 Jahren",
    "unemployed": "Arbeitslose",
    "unemployed_sgb2": "Arbeitslose SGB II",
    "unemployed_sgb3": "Arbeitslose SGB III",
    "unemployed_u25": "Arbeitslose unter 25 Jahren",
    "grusi_65": "Grundsicherung im Alter 65+",
    "hze_cases": "Fälle Hilfen zur Erziehung",
    "kita_places_u3": "Kita-Plätze U3",
    "kita_places_ue3": "Kita-Plätze Ü3",
    "employees_svb": "SV-Beschäftigte",
    "households": "Haushalte",
    "households_children": "Haushalte mit Kindern",
    "single_parent_hh": "Alleinerziehende",
    "migration_background": "Migrationshintergrund",
    "residence_5y": "Wohndauer über 5 Jahre",
    "births": "Geburten",
    "deaths": "Sterbefälle",
    "in_ext": "Zuzüge von außerhalb",
    "out_ext": "Fortzüge nach außerhalb",
    "in_int": "Umzüge in den Sozialraum",
    "out_int": "Umzüge aus dem Sozialraum",
}
