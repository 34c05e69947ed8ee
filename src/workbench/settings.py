"""All paths and the report configuration come from here.

The project root is ``$WORKBENCH_ROOT`` when set (the Makefile sets it), else the checkout that holds this
package (src layout), else the current folder. A report config (``config/report.yaml``) names the city, the
reporting year, the data folders and the chapters; relative paths in it are relative to the project root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.errors import ConfigError


def project_root() -> Path:
    """The project's root folder (see module docstring)."""
    env = os.environ.get("WORKBENCH_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parents[2]
    if (here / "pyproject.toml").exists() and (here / "config").is_dir():
        return here
    return Path.cwd().resolve()


ROOT = project_root()
CONFIG_DIR = ROOT / "config"
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_REPORT_CONFIG = CONFIG_DIR / "report.yaml"
RESOURCES = Path(__file__).resolve().parent / "resources"


@dataclass(frozen=True)
class Paths:
    """Folders of one report build: raw input, processed tables and the published/internal outputs."""

    raw: Path
    processed: Path
    reports: Path

    @property
    def html(self) -> Path:
        """Published chapter HTML."""
        return self.reports / "html"

    @property
    def executed(self) -> Path:
        """Internal executed notebooks (may contain unsuppressed numbers; never linked)."""
        return self.reports / "executed"

    @property
    def profiles(self) -> Path:
        """Published Sozialraumprofile."""
        return self.reports / "profiles"

    @property
    def index_html(self) -> Path:
        return self.reports / "index.html"


@dataclass
class ReportConfig:
    """Parameters of one report: city, reporting year, folders, chapters, confidentiality rules."""

    city: str
    reporting_year: int
    paths: Paths
    chapters: list[str]
    confidentiality: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None


def _resolve(value: str | os.PathLike, base: Path) -> Path:
    p = Path(value)
    return p if p.is_absolute() else (base / p).resolve()


def default_paths() -> Paths:
    """Paths of the default report (the demo city unless config/report.yaml says otherwise)."""
    return load_report_config().paths


def load_report_config(path: str | os.PathLike | None = None) -> ReportConfig:
    """Read a report config YAML; missing keys get the demo defaults, wrong types a ``ConfigError``."""
    path = Path(path) if path else DEFAULT_REPORT_CONFIG
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"kein gültiges YAML ({exc})", path=path, hint="YAML-Syntax prüfen") from exc
        if not isinstance(data, dict):
            raise ConfigError("erwartet eine Zuordnung (key: value)", path=path)
    base = ROOT
    try:
        year = int(data.get("reporting_year", 2024))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            "reporting_year muss eine Jahreszahl sein", path=path, where="reporting_year"
        ) from exc
    chapters = data.get("chapters", ["bevoelkerung"])
    if not isinstance(chapters, list) or not all(isinstance(c, str) for c in chapters):
        raise ConfigError("chapters muss eine Liste von Kapitelnamen sein", path=path, where="chapters")
    paths = Paths(
        raw=_resolve(data.get("data_raw", "data/raw"), base),
        processed=_resolve(data.get("data_processed", "data/processed"), base),
        reports=_resolve(data.get("reports", "reports"), base),
    )
    known = {"city", "reporting_year", "data_raw", "data_processed", "reports", "chapters", "confidentiality"}
    return ReportConfig(
        city=str(data.get("city", "Musterstadt")),
        reporting_year=year,
        paths=paths,
        chapters=chapters,
        confidentiality=dict(data.get("confidentiality") or {}),
        extra={k: v for k, v in data.items() if k not in known},
        source=path,
    )
