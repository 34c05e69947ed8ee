"""Interactive explorer of a report's published indicator values (ipywidgets, also served with Voila).

``Explorer(config_file)`` links a map, a sortable table and a ranked dot chart with 95 % intervals; selecting
an area highlights it everywhere, shows its mini-profile and its statistical neighbours. Only published
(protected) values are used: a withheld value appears as the official sign ".". See ``notebooks/explorer.ipynb``
and ``make explorer`` (:mod:`workbench.explore.serve`).

``Explorer`` is imported on first use, so that ``python -m workbench.explore.serve`` starts Voila without
loading the widget stack.
"""

from __future__ import annotations

__all__ = ["Explorer"]


def __getattr__(name: str):
    if name == "Explorer":
        from workbench.explore._app import Explorer

        return Explorer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
