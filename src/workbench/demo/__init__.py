"""Demo city generator "Musterstadt": writes a synthetic but realistic set of raw files (docs/DATA_CONTRACT.md).

``generate(out_dir, n_areas, seed, first_year, last_year)`` builds the geometry (``_geo``), latent area
characteristics calibrated to Berlin MSS 2021 (``_traits``; from 20 areas on, one area in ten – at most four –
is a sparsely populated Gewerbegebiet, Hafen, Neubaugebiet or Klinikgelände of 100–900 inhabitants, so that
reports on the demo exercise small counts), a cohort-component population with births,
deaths and moves (``_population``), register counts (``_social``) and facilities, survey and measures
(``_registers``), then writes every raw file in exactly the contract's format. The same arguments always give
byte-identical files: independent random streams per part (``numpy.random.SeedSequence``), no timestamps
(GeoPackage: ``OGR_CURRENT_DATE``; XLSX: fixed document properties and ZIP entry dates).
"""

from workbench.demo._city import (
    BA_COLUMNS,
    BA_FOOTER,
    BA_TOTAL_LABEL,
    FIXED_TIME,
    GENERATOR,
    HZE_TYPES,
    MARKER,
    MAX_AREAS,
    STATIC_FILES,
    DemoFolder,
    Simulation,
    build_city,
    expected_files,
    facilities,
    generate,
    inspect_folder,
    make_traits,
    measures,
    refuse_foreign,
    simulate,
    social_counts,
    survey,
)

__all__ = [
    "facilities",
    "measures",
    "survey",
    "build_city",
    "Simulation",
    "simulate",
    "HZE_TYPES",
    "social_counts",
    "make_traits",
    "FIXED_TIME",
    "STATIC_FILES",
    "BA_COLUMNS",
    "BA_FOOTER",
    "BA_TOTAL_LABEL",
    "MAX_AREAS",
    "generate",
    "MARKER",
    "GENERATOR",
    "DemoFolder",
    "inspect_folder",
    "refuse_foreign",
    "expected_files",
]
