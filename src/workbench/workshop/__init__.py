"""Qualification workshops (FSA/VSOP courses): course data, German feedback on exercises, participant versions.

The modules live in ``workshop/`` of the project (one folder each, one source notebook in otter-grader's
``otter assign`` format with solutions and tests). This subpackage holds what the notebooks and the trainers
call:

* :func:`kursdaten` — the course city (the demo city "Musterstadt", generated locally, never downloaded);
* :mod:`workbench.workshop.feedback` — the German feedback the notebooks' checks (``grader.check("q1")``)
  show: each ``check_*`` function recognises the typical mistakes of one exercise and raises
  :class:`Rueckmeldung` with what to check;
* :mod:`workbench.workshop.assign` — ``make workshop`` / ``make workshop-reset``: participant versions without
  solutions (``otter assign``), one folder per participant, restoring a folder with a backup.

Why a subpackage of the workbench and not a helper file beside the notebooks: participants' folders are copies
anywhere on a laptop, and ``import workbench.workshop`` works in each of them (the workbench is installed in the
kernel), while a file beside the source notebooks would have to be copied into every folder; the messages are
then testable with pytest like every other part of the package.
"""

from workbench.workshop._data import (
    COURSE_AREAS,
    COURSE_SEED,
    ENV,
    Kursdaten,
    broken_delivery,
    broken_line,
    delivery_from_department,
    hze_by_type,
    hze_exercise,
    index_table,
    kursdaten,
    prepare,
    ready,
)
from workbench.workshop.feedback import Rueckmeldung

__all__ = [
    "COURSE_AREAS",
    "COURSE_SEED",
    "ENV",
    "Kursdaten",
    "Rueckmeldung",
    "broken_delivery",
    "broken_line",
    "delivery_from_department",
    "hze_by_type",
    "hze_exercise",
    "index_table",
    "kursdaten",
    "prepare",
    "ready",
]
