"""Building blocks of the chapter models (see :mod:`workbench.chapters`).

Most views of a chapter model render one module function from fields of the model. :func:`view` declares such a
view in one line instead of a method that only passes fields on; :class:`ViewsModel` is the base of the models
that show catalogue indicators through :class:`~workbench.chapters.indicator_views.IndicatorViews`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, TypeVar

from workbench.chapters.indicator_views import IndicatorViews

T = TypeVar("T")


def view(render: Callable[..., T], *fields: str, **keyword_fields: str) -> Callable[..., T]:
    """A model method that returns ``render(<fields>, *args, <keyword fields>, **kwargs)``.

    ``fields`` and the values of ``keyword_fields`` are attribute paths of the model ("rules", "views.keys");
    the arguments of the call are passed on after them, so ``overview_table = view(population_overview, "ds",
    "year", "first", "rules")`` makes ``m.overview_table(level="stadtbezirk")`` return
    ``population_overview(m.ds, m.year, m.first, m.rules, level="stadtbezirk")``.
    """
    getters = [attrgetter(f) for f in fields]
    keyword_getters = {name: attrgetter(f) for name, f in keyword_fields.items()}

    def method(self: Any, *args: Any, **kwargs: Any) -> T:
        keywords = {name: get(self) for name, get in keyword_getters.items()}
        return render(*(get(self) for get in getters), *args, **keywords, **kwargs)

    method.__doc__ = render.__doc__
    return method


@dataclass(frozen=True)
class ViewsModel:
    """A chapter model with the indicator views of the chapter's data; its report year is theirs."""

    views: IndicatorViews

    @property
    def year(self) -> int:
        return self.views.year
