"""The report pipeline without make (``workbench report`` / ``workbench pdf``), for Windows laptops and conda.

The same steps and the same file dependencies as the Makefile's ``make report``: data → check of the
configuration against the data → chapters → profiles → index page → audit (a report whose audit finds a
disclosive cell loses its index page again). A step runs only when its output is missing or older than one of
its inputs, so a second run does nothing and an edited notebook rebuilds only its chapter and the index:

=====================  =====================================================================================
output                 inputs
=====================  =====================================================================================
processed manifest     report config, raw files (and the list of their names), mapping/source files, io code
configuration check    manifest, report config, workbench code and configuration files
chapter HTML           its notebook, manifest, report config, workbench code and configuration files
profiles overview      notebooks/profil.ipynb, manifest, report config, workbench code and configuration files
index page             chapter HTML, profiles overview
=====================  =====================================================================================

The steps themselves are the ones make calls (:mod:`workbench.build.report`, :mod:`workbench.build.profiles`,
the commands of :mod:`workbench.cli`), so both ways build the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workbench.settings import ReportConfig, config_dir, notebooks_dir

RAW_LIST = ".rohdateien"
"""Names of the raw files the last import read (in the processed folder; written by make and by the pipeline)."""

CHECKED = ".konfiguration-geprueft"
"""Stamp of the last successful configuration check (in the processed folder)."""


def _package_dir() -> Path:
    return Path(__file__).resolve().parents[1]


def code_files() -> list[Path]:
    """The workbench's own code, YAML, page template and style files plus the default configuration files
    (make's ``SRC``)."""
    pkg = _package_dir()
    files = [*pkg.rglob("*.py"), *pkg.rglob("*.yaml"), *pkg.rglob("*.j2"), *pkg.rglob("*.css")]
    files += list(config_dir().glob("*.yaml"))
    return sorted(set(files))


def raw_files(cfg: ReportConfig) -> list[Path]:
    """The raw files of a report: files directly in its raw folder (subfolders and hidden files excluded)."""
    raw = cfg.paths.raw
    if not raw.is_dir():
        return []
    return sorted(p for p in raw.iterdir() if p.is_file() and not p.name.startswith("."))


def outdated(target: Path, inputs: Iterable[Path]) -> bool:
    """True when ``target`` is missing or older than any existing input (make's rule)."""
    if not target.exists():
        return True
    when = target.stat().st_mtime
    return any(p.exists() and p.stat().st_mtime > when for p in inputs)


@dataclass
class Plan:
    """What a run of the pipeline has to do (computed from file times, like ``make -n``)."""

    data: bool = False
    check: bool = False
    chapters: list[str] = field(default_factory=list)
    profiles: bool = False
    index: bool = False

    @property
    def nothing(self) -> bool:
        return not (self.data or self.check or self.chapters or self.profiles or self.index)


def config_files(cfg: ReportConfig) -> list[Path]:
    """The report config and the configuration files it uses (indicators, colours, chapters, index, projection)."""
    files = [cfg.source] if cfg.source is not None else []
    f = cfg.files
    files += [f.indicators, f.colours, f.chapters, f.index, f.projection]
    return [Path(p) for p in files if p is not None]


def data_inputs(cfg: ReportConfig) -> list[Path]:
    """Inputs of the import: report config, raw files, mapping and source files, the io code."""
    from workbench.io.importer import source_files

    sources = source_files(cfg.extra.get("sources"), config=cfg.source) if cfg.extra.get("sources") else []
    io_code = sorted((_package_dir() / "io").glob("*.py"))
    return [*(p for p in [cfg.source] if p is not None), *raw_files(cfg), *sources, *io_code]


def raw_names_changed(cfg: ReportConfig) -> bool:
    """True when the raw folder holds other file names than the last import read (a file added or removed)."""
    listing = cfg.paths.processed / RAW_LIST
    if not listing.exists():
        return (cfg.paths.processed / "manifest.json").exists()
    before = sorted(line for line in listing.read_text(encoding="utf-8").splitlines() if line)
    return before != sorted(p.name for p in raw_files(cfg))


def record_raw_names(cfg: ReportConfig) -> None:
    """Write the names of the raw files just imported (same file as the Makefile's recipe writes)."""
    names = "".join(f"{p.name}\n" for p in raw_files(cfg))
    (cfg.paths.processed / RAW_LIST).write_text(names, encoding="utf-8")


def plan(cfg: ReportConfig) -> Plan:
    """The steps that are due; a step after a due step is due as well (its input will be new)."""
    proc = cfg.paths.processed
    manifest = proc / "manifest.json"
    code = code_files()
    configs = config_files(cfg)
    p = Plan()
    p.data = outdated(manifest, data_inputs(cfg)) or raw_names_changed(cfg)
    p.check = p.data or outdated(proc / CHECKED, [manifest, *configs, *code])
    common = [manifest, *configs, *code]
    for name in cfg.chapters:
        target = cfg.paths.html / f"{name}.html"
        if p.data or outdated(target, [notebooks_dir() / f"{name}.ipynb", *common]):
            p.chapters.append(name)
    overview = cfg.paths.profiles / "index.html"
    p.profiles = p.data or outdated(overview, [notebooks_dir() / "profil.ipynb", *common])
    chapter_html = [cfg.paths.html / f"{n}.html" for n in cfg.chapters]
    p.index = bool(p.chapters) or p.profiles or outdated(cfg.paths.index_html, [*chapter_html, overview])
    return p


__all__ = [
    "CHECKED",
    "RAW_LIST",
    "Plan",
    "code_files",
    "config_files",
    "data_inputs",
    "outdated",
    "plan",
    "raw_files",
    "raw_names_changed",
    "record_raw_names",
]
