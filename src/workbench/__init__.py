"""Sozialplanungs-Workbench: small-area social reporting for German municipalities.

Subpackages by concern (README, section "Aufbau"): ``io`` (raw files, mappings, import, processed tables),
``stats`` (intervals, comparisons, trends), ``indicators`` (catalogue and computation), ``index`` (composite
indices, monitoring), ``projection`` (population projection), ``confidentiality`` (suppression and audit),
``render`` (German formatting, tables, charts, maps), ``chapters`` (report chapters and the profile), ``build``
(notebook engine, report, profiles), ``demo`` (the synthetic city), ``examples`` (real example cities);
top-level ``errors``, ``vocabulary`` (shared names of the data contract), ``settings`` (report config and all
YAML files) and ``cli`` (command line).
"""

__version__ = "0.1.0"
