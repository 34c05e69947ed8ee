"""Sozialplanungs-Workbench: small-area social reporting for German municipalities.

Modules by concern: ``config`` (paths, report config), ``importer`` (raw -> processed, validation),
``stats`` (intervals, comparisons, trends), ``indicators`` (catalogue and computation),
``confidentiality`` (suppression), ``maps``/``plots`` (figures), ``index`` (composite indices),
``projection`` (population projection), ``engine`` (batch notebook execution), ``reportbuild`` (HTML report).
"""

__version__ = "0.1.0"
