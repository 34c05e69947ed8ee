"""Interactive explorer of a report's published indicator values (ipywidgets, also served with Voila).

``Explorer(config_file)`` links a map, a sortable table and a ranked dot chart with 95 % intervals; selecting
an area highlights it everywhere, shows its mini-profile and its statistical neighbours. Only published
(protected) values are used: a withheld value appears as the official sign ".". See ``notebooks/explorer.ipynb``
and ``make explorer``.
"""

from workbench.explore._app import Explorer

__all__ = ["Explorer"]
