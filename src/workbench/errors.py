"""User-facing errors: one clear message naming the file, the place and what to do."""

from __future__ import annotations


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


class ConfigError(WorkbenchError):
    """A YAML configuration (report, catalogue, index, importer mapping) is malformed."""
