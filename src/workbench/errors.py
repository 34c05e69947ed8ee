"""User-facing errors: one clear message naming the file, the place and what to do."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class WorkbenchError(Exception):
    """An error caused by the user's data or configuration, shown without a traceback.

    The message names the file (``path``), the row or column (``where``), what is wrong and what to do
    (``hint``); the command line prints it and exits with code 2.
    """

    def __init__(
        self, message: str, *, path: object = None, where: str | None = None, hint: str | None = None
    ):
        self.path = None if path is None else str(path)
        self.where = where
        self.hint = hint
        self.problem = message
        parts = []
        if self.path:
            parts.append(f"Datei {self.path}")
        if where:
            parts.append(where)
        head = ", ".join(parts)
        text = f"{head}: {message}" if head else message
        if hint:
            text += f"\n  Was tun: {hint}"
        super().__init__(text)


class DataValidationError(WorkbenchError):
    """Raw or processed data violate the expected schema (keys, counts, totals, geometry, encoding)."""


class TooFewAreasError(DataValidationError):
    """Fewer valid areas than a method needs (the MSS index needs 3): the data allow no result, nothing is
    malformed; a profile says so instead of failing."""


class ConfigError(WorkbenchError):
    """A YAML configuration (report, catalogue, index, importer mapping) is malformed."""


def require_table(
    frame: object,
    columns: Iterable[Any],
    *,
    hint: str,
    what: str = "",
    list_present: bool = False,
    path: object = None,
    where: str | None = None,
) -> None:
    """Raise a :class:`DataValidationError` when ``frame`` is no DataFrame or lacks one of ``columns``.

    ``None`` entries of ``columns`` are skipped. Both messages start with ``what`` ("Balkendiagramm: …") when it
    is given and name ``path`` and ``where``; with ``list_present`` the missing-columns error names the columns
    that are present instead of ``where``.
    """
    import pandas as pd  # here, not at module level: the notebook engine's processes import this module

    prefix = f"{what}: " if what else ""
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(
            f"{prefix}erwartet eine Tabelle (DataFrame), erhalten {type(frame).__name__}",
            path=path,
            where=where,
        )
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        if list_present:
            where = f"vorhanden: {', '.join(map(str, frame.columns))}"
        raise DataValidationError(
            f"{prefix}Spalte(n) {', '.join(map(str, missing))} fehlen", path=path, where=where, hint=hint
        )
